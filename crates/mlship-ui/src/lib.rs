//! `mlship ui`: the tracking UI (server-rendered HTML, no script, no CDN, so it
//! works offline) and the JSON REST API under `/api/` that the pages' data
//! comes from and that scripts can use too.
//!
//! Safety: the server binds 127.0.0.1 unless told otherwise, and binding any
//! other address requires a token; with a token, every write needs
//! `Authorization: Bearer TOKEN` (and with `--auth-read` every read too).
//! Every request's Host must name the bound address and its Origin, when
//! sent, must be the UI's own; every write needs a JSON body (see `guard`).
//! Connections get the same header-read and idle timeouts and the same
//! connection limit as `mlship serve`, through its accept loop.

// Only the binary may hold unsafe code (its SIGPIPE reset); a library never.
#![forbid(unsafe_code)]

mod api;
mod error;
mod guard;
mod leaderboard;
pub mod mlflow;
mod pages;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::Router;
use mlship_serve::listen::{self, ConnectionLimits};
use mlship_track::Store;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::net::TcpListener;

pub use error::UiError;
pub use guard::{entropy_bits, Caller, MIN_TOKEN_BITS, MIN_TOKEN_BYTES};

/// The largest request body the API reads; its writes are a few fields of JSON.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Where the tracking UI listens, who may write (and read), and how long a
/// connection may take.
#[derive(Debug, Clone)]
pub struct UiConfig {
    /// The host or address to bind; anything but loopback needs a token.
    pub host: String,
    /// The port to bind (0 for any free port).
    pub port: u16,
    /// The accepted tokens, each `SECRET` or `NAME:SECRET` (the name is what
    /// the registry records as the caller). Required for every write when
    /// any is set; required to bind a non-loopback address.
    pub tokens: Vec<String>,
    /// Every read (pages, API, file downloads) needs a token too.
    pub auth_read: bool,
    /// Further names the Host header may carry (`NAME` or `NAME:PORT`), e.g.
    /// the name a reverse proxy forwards.
    pub allowed_hosts: Vec<String>,
    /// How long a client gets to send a request's headers (and an idle keep-alive connection stays open).
    pub header_timeout: Duration,
    /// How long a connection may move no byte either way before it is closed.
    pub idle_timeout: Duration,
    /// Open connections at most; more wait in the listen backlog.
    pub max_connections: usize,
    /// How long requests in flight get to finish after the stop signal.
    pub grace_period: Duration,
}

impl UiConfig {
    /// Refuses a non-loopback address without a token, a weak token,
    /// `--auth-read` without a token, and a malformed `--allowed-host`.
    pub fn check(&self) -> Result<(), StartError> {
        self.parsed().map(|_| ())
    }

    fn parsed(&self) -> Result<(Vec<guard::Token>, Vec<guard::AllowedHost>), StartError> {
        let mut tokens: Vec<guard::Token> = Vec::new();
        for text in self.tokens.iter().filter(|t| !t.is_empty()) {
            let token = guard::parse_token(text).map_err(StartError::WeakToken)?;
            if tokens.iter().any(|t| t.identity() == token.identity()) {
                return Err(StartError::WeakToken(format!("two tokens are both {}", token.identity())));
            }
            tokens.push(token);
        }
        if tokens.is_empty() && !is_loopback(&self.host) {
            return Err(StartError::TokenRequired(self.host.clone()));
        }
        if tokens.is_empty() && self.auth_read {
            return Err(StartError::AuthReadWithoutToken);
        }
        let allowed = self
            .allowed_hosts
            .iter()
            .map(|text| guard::parse_allowed_host(text).map_err(StartError::AllowedHost))
            .collect::<Result<_, _>>()?;
        if self.max_connections == 0 {
            return Err(StartError::Limits("the connection limit must be at least 1".into()));
        }
        if self.header_timeout.is_zero() || self.idle_timeout.is_zero() {
            return Err(StartError::Limits("timeouts must be longer than zero".into()));
        }
        Ok((tokens, allowed))
    }
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            host: "127.0.0.1".to_string(),
            port: 5001,
            tokens: Vec::new(),
            auth_read: false,
            allowed_hosts: Vec::new(),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 256,
            grace_period: Duration::from_secs(5),
        }
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
    #[error("invalid auth token: {0} (generate one with `openssl rand -hex 32`)")]
    WeakToken(String),
    #[error("--auth-read needs a token: pass --auth-token or set MLSHIP_TOKEN")]
    AuthReadWithoutToken,
    #[error("invalid --allowed-host: {0}")]
    AllowedHost(String),
    #[error("invalid connection limits: {0}")]
    Limits(String),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
}

/// What every handler shares: the store, the tokens and the Host rule.
pub struct UiState {
    /// The tracking store the pages read and the API writes.
    pub store: Store,
    tokens: Vec<guard::Token>,
    auth_read: bool,
    hosts: guard::HostRule,
}

/// The state as handlers receive it.
pub type SharedUi = Arc<UiState>;

/// The tracking UI, bound and ready to serve.
pub struct UiApp {
    listener: TcpListener,
    state: SharedUi,
    limits: ConnectionLimits,
    grace_period: Duration,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl UiApp {
    /// Checks the config and binds its address; refuses a non-loopback host without a token.
    pub async fn build(store: Store, config: UiConfig) -> Result<UiApp, StartError> {
        let (tokens, allowed) = config.parsed()?;
        let address = format!("{}:{}", config.host, config.port);
        let listener =
            TcpListener::bind(&address).await.map_err(|e| StartError::Bind { address: address.clone(), source: e })?;
        let bound = listener.local_addr().map_err(|e| StartError::Bind { address, source: e })?;
        let hosts = guard::HostRule::new(&config.host, bound, allowed);
        let limits = ConnectionLimits {
            header_timeout: config.header_timeout,
            idle_timeout: config.idle_timeout,
            max_connections: config.max_connections,
        };
        let state = Arc::new(UiState { store, tokens, auth_read: config.auth_read, hosts });
        Ok(UiApp { listener, state, limits, grace_period: config.grace_period })
    }

    /// The address actually bound (port 0 picks one).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` resolves, then lets requests in flight finish
    /// (at most the grace period).
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let app = router(self.state);
        listen::serve(self.listener, app, self.limits, shutdown, self.grace_period).await
    }
}

/// Every route of the UI and its JSON API, on `state`.
pub fn router(state: SharedUi) -> Router {
    let routes = Router::new()
        .route("/", get(pages::experiments))
        .route("/experiments/{id}", get(pages::runs))
        .route("/runs/{id}", get(pages::run))
        .route("/runs/{id}/leaderboard", get(leaderboard::leaderboard))
        .route("/runs/{id}/files/{*path}", get(api::run_file))
        .route("/compare", get(pages::compare))
        .route("/models", get(pages::models))
        .route("/models/{name}", get(pages::model))
        .route("/models/{name}/drift/{id}", get(pages::drift_report))
        .route("/api/experiments", get(api::experiments))
        .route("/api/runs", get(api::runs))
        .route("/api/runs/{id}", get(api::run))
        .route("/api/runs/{id}/files/{*path}", get(api::run_file))
        .route("/api/compare", get(api::compare))
        .route("/api/models", get(api::models))
        .route("/api/models/{name}", get(api::model))
        .route("/api/models/{name}/versions", post(api::register))
        .route("/api/models/{name}/aliases/{alias}", put(api::set_alias).delete(api::delete_alias))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // MLflow's protocol has its own body limits (a log-batch, streamed uploads).
        .merge(mlflow::routes())
        .fallback(|| async { UiError::not_found("no such page or API route").into_response() })
        .layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        .with_state(state);
    // Around the whole router, not each route: a route's layers run inside its
    // method router, before that adds the `Allow` header to a 405.
    Router::new()
        .fallback_service(routes)
        .layer(middleware::from_fn(guard::catch_panic))
        .layer(middleware::from_fn(guard::error_shape))
        .layer(middleware::from_fn(guard::security_headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("127.0.0.1") && is_loopback("::1") && is_loopback("localhost"));
        assert!(!is_loopback("0.0.0.0") && !is_loopback("192.168.1.4"));
    }
}
