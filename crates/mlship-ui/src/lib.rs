//! `mlship ui`: the tracking UI (server-rendered HTML, no script, no CDN, so it
//! works offline) and the JSON REST API under `/api/` that the pages' data
//! comes from and that scripts can use too.
//!
//! Safety: the server binds 127.0.0.1 unless told otherwise, and binding any
//! other address requires a token; with a token, every write needs
//! `Authorization: Bearer TOKEN`.

// Only the binary may hold unsafe code (its SIGPIPE reset); a library never.
#![forbid(unsafe_code)]

mod api;
mod error;
mod leaderboard;
mod pages;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use mlship_track::Store;
use std::future::{Future, IntoFuture};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use thiserror::Error;
use tokio::net::TcpListener;

pub use error::UiError;

/// Where the tracking UI listens and who may write.
#[derive(Debug, Clone)]
pub struct UiConfig {
    /// The host or address to bind; anything but loopback needs a token.
    pub host: String,
    /// The port to bind (0 for any free port).
    pub port: u16,
    /// Required for every write when set; required to bind a non-loopback address.
    pub token: Option<String>,
}

impl UiConfig {
    /// Refuses a non-loopback address without a token, and a short token.
    pub fn check(&self) -> Result<(), StartError> {
        let token = self.token.as_deref().filter(|t| !t.is_empty());
        if token.is_some_and(|t| t.chars().count() < 16) {
            return Err(StartError::WeakToken);
        }
        if token.is_none() && !is_loopback(&self.host) {
            return Err(StartError::TokenRequired(self.host.clone()));
        }
        Ok(())
    }
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig { host: "127.0.0.1".to_string(), port: 5001, token: None }
    }
}

/// Why the tracking UI refused or failed to start.
#[allow(
    missing_docs,
    reason = "each variant's #[error] message documents it; its fields are the values that message names"
)]
#[derive(Debug, Error)]
pub enum StartError {
    #[error("refusing to listen on {0} without an auth token: pass --auth-token or set MLSHIP_TOKEN (writes will need it), or keep the default 127.0.0.1")]
    TokenRequired(String),
    #[error("invalid auth token: use at least 16 characters")]
    WeakToken,
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
}

/// What every handler shares: the store and the write token.
pub struct UiState {
    /// The tracking store the pages read and the API writes.
    pub store: Store,
    token: Option<String>,
}

/// The state as handlers receive it.
pub type SharedUi = Arc<UiState>;

/// The tracking UI, bound and ready to serve.
pub struct UiApp {
    listener: TcpListener,
    state: SharedUi,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl UiApp {
    /// Checks the config and binds its address; refuses a non-loopback host without a token.
    pub async fn build(store: Store, config: UiConfig) -> Result<UiApp, StartError> {
        config.check()?;
        let token = config.token.filter(|t| !t.is_empty());
        let address = format!("{}:{}", config.host, config.port);
        let listener =
            TcpListener::bind(&address).await.map_err(|e| StartError::Bind { address: address.clone(), source: e })?;
        Ok(UiApp { listener, state: Arc::new(UiState { store, token }) })
    }

    /// The address actually bound (port 0 picks one).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` resolves, then lets requests in flight finish.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let app = router(self.state);
        axum::serve(self.listener, app).with_graceful_shutdown(shutdown).into_future().await
    }
}

/// Every route of the UI and its JSON API, on `state`.
pub fn router(state: SharedUi) -> Router {
    Router::new()
        .route("/", get(pages::experiments))
        .route("/experiments/{id}", get(pages::runs))
        .route("/runs/{id}", get(pages::run))
        .route("/runs/{id}/leaderboard", get(leaderboard::leaderboard))
        .route("/runs/{id}/files/{*path}", get(api::run_file))
        .route("/compare", get(pages::compare))
        .route("/models", get(pages::models))
        .route("/models/{name}", get(pages::model))
        .route("/api/experiments", get(api::experiments))
        .route("/api/runs", get(api::runs))
        .route("/api/runs/{id}", get(api::run))
        .route("/api/runs/{id}/files/{*path}", get(api::run_file))
        .route("/api/compare", get(api::compare))
        .route("/api/models", get(api::models))
        .route("/api/models/{name}", get(api::model))
        .route("/api/models/{name}/versions", post(api::register))
        .route("/api/models/{name}/aliases/{alias}", put(api::set_alias).delete(api::delete_alias))
        .fallback(|| async { UiError::not_found("no such page or API route").into_response() })
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// Constant-time comparison, so response timing does not reveal the token.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Writes need the token when one is set; every answer forbids framing and sniffing.
async fn guard(State(state): State<SharedUi>, request: Request, next: Next) -> Response {
    let is_write = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if let (true, Some(token)) = (is_write, &state.token) {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !same_secret(given.as_bytes(), token.as_bytes()) {
            let mut response = UiError {
                status: StatusCode::UNAUTHORIZED,
                message: "this server needs `Authorization: Bearer TOKEN` for writes".to_string(),
            }
            .into_response();
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_secrets() {
        assert!(is_loopback("127.0.0.1") && is_loopback("::1") && is_loopback("localhost"));
        assert!(!is_loopback("0.0.0.0") && !is_loopback("192.168.1.4"));
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc") && !same_secret(b"ab", b"abc"));
    }
}
