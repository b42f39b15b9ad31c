//! The application: routes, the middleware every request passes (body limit,
//! timeout, one log line and metrics), binding, and graceful shutdown with a
//! drain period (connections themselves are handled in `listen`).
//! `Application::build` binds its own port so tests start the real server on
//! port 0.

use crate::api::{self, RowsScored};
use crate::error::ApiError;
use crate::html::{form_page, FormView};
use crate::inference_log::{InferenceLogConfig, InferenceLogError};
use crate::input;
use crate::listen::{self, ConnectionLimits};
use crate::state::{AppState, ServedModel, SharedState};
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mlship_artifact::Artifact;
use mlship_learn::Predictions;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::net::TcpListener;

/// How and where the server runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The host or address to bind.
    pub host: String,
    /// The port to bind (0 for any free port).
    pub port: u16,
    /// The model's name in URLs (`/v2/models/{name}`); the artifact's name by default.
    pub name: Option<String>,
    /// What the form calls the prediction ("Expected {label} will be …"); the target by default.
    pub label: Option<String>,
    /// The largest request body accepted, in bytes; larger ones get a 413.
    pub body_limit: usize,
    /// How long one request may take before it gets a timeout answer.
    pub request_timeout: Duration,
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT (after the drain).
    pub grace_period: Duration,
    /// How long a client may take to send a request's headers; an idle
    /// keep-alive connection waiting for its next request is bound by it too.
    pub header_timeout: Duration,
    /// A connection that moves no byte either way for this long is closed.
    pub idle_timeout: Duration,
    /// Open connections at most; more wait in the listen backlog.
    pub max_connections: usize,
    /// After SIGTERM/SIGINT, how long `/readyz` answers 503 while everything
    /// else is still served, so load balancers stop sending before the
    /// listener closes. Zero here; `mlship serve` defaults to 5 s.
    pub drain_period: Duration,
    /// Where and how to log every scored row (`--log-inferences`); none by default.
    pub inference_log: Option<InferenceLogConfig>,
    /// Scored rows kept for live drift on `/metrics` (0 turns it off).
    pub drift_window: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            host: "127.0.0.1".to_string(),
            port: 5000,
            name: None,
            label: None,
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            grace_period: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            drain_period: Duration::ZERO,
            inference_log: None,
            drift_window: crate::live::DEFAULT_WINDOW,
        }
    }
}

/// What stops the server from loading its model or starting.
#[allow(
    missing_docs,
    reason = "each variant's #[error] message documents it; its fields are the values that message names"
)]
#[derive(Debug, Error)]
pub enum ServeError {
    #[error(transparent)]
    Model(#[from] mlship_artifact::ArtifactError),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
    #[error(transparent)]
    InferenceLog(#[from] InferenceLogError),
}

/// The server, bound to its address with its model loaded, ready to serve.
pub struct Application {
    listener: TcpListener,
    state: SharedState,
    config: ServeConfig,
}

#[derive(Clone)]
struct Limits {
    body_limit: usize,
    request_timeout: Duration,
}

impl Application {
    /// Loads the model file at `model_path` and binds; the model's name is the file's stem unless the config names it.
    pub async fn build(model_path: &Path, config: ServeConfig) -> Result<Self, ServeError> {
        let (artifact, digest) = Artifact::load_with_digest(model_path)?;
        // The model's name in URLs is the file's stem unless --name says otherwise.
        let stem = model_path.file_stem().and_then(|s| s.to_str()).map(str::to_string);
        let config = ServeConfig { name: config.name.or(stem), ..config };
        Self::with_artifact(artifact, &digest, config).await
    }

    /// Serves an artifact already loaded; `digest` is its payload sha256, which versions it.
    pub async fn with_artifact(artifact: Artifact, digest: &str, config: ServeConfig) -> Result<Self, ServeError> {
        let model = ServedModel::new(artifact, digest, config.name.clone(), config.label.clone());
        Self::with_model(model, config).await
    }

    /// Serves a model already resolved (e.g. from the registry) and binds the address.
    pub async fn with_model(model: ServedModel, config: ServeConfig) -> Result<Self, ServeError> {
        let state = Arc::new(AppState::new(model, config.body_limit, config.inference_log.clone())?);
        state.live.configure(&state.model(), config.drift_window);
        let address = format!("{}:{}", config.host, config.port);
        let listener =
            TcpListener::bind(&address).await.map_err(|e| ServeError::Bind { address: address.clone(), source: e })?;
        Ok(Application { listener, state, config })
    }

    /// The address actually bound (port 0 picks one).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], self.config.port)))
    }

    /// The state the handlers share, the served model included.
    pub fn state(&self) -> SharedState {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves; then readiness turns false at once,
    /// everything is still served for the drain period, the listener closes,
    /// in-flight requests finish, and the server stops within the grace period.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let limits = Limits { body_limit: self.config.body_limit, request_timeout: self.config.request_timeout };
        let app = router(self.state.clone(), limits);
        let state = self.state.clone();
        let drain = self.config.drain_period;
        let stop = async move {
            shutdown.await;
            state.set_not_ready();
            tracing::info!(target: "mlship::serve", drain_seconds = drain.as_secs_f64(), "shutting down: readiness is false, draining");
            tokio::time::sleep(drain).await;
            tracing::info!(target: "mlship::serve", "closing the listener, finishing in-flight requests");
        };
        let connections = ConnectionLimits {
            header_timeout: self.config.header_timeout,
            idle_timeout: self.config.idle_timeout,
            max_connections: self.config.max_connections,
        };
        let served = listen::serve(self.listener, app, connections, stop, self.config.grace_period).await;
        // Every request is answered: drain the log's queue and finish its
        // files, so nothing a client was answered for is lost.
        let state = self.state.clone();
        if tokio::task::spawn_blocking(move || state.close_inference_log()).await.is_err() {
            tracing::error!(target: "mlship::serve", "closing the inference log failed");
        }
        served
    }
}

fn router(state: SharedState, limits: Limits) -> Router {
    Router::new()
        .route("/", get(form_get))
        .route("/predict", post(form_post))
        .route("/predict_api", post(api::predict_api))
        .route("/invocations", post(api::invocations))
        .route("/ping", get(api::ping))
        .route("/version", get(api::version))
        .route("/v2", get(api::v2_server))
        .route("/v2/health/live", get(api::v2_live))
        .route("/v2/health/ready", get(api::v2_ready))
        .route("/v2/models/{name}", get(api::v2_model))
        .route("/v2/models/{name}/ready", get(api::v2_model_ready))
        .route("/v2/models/{name}/infer", post(api::v2_infer))
        .route("/feedback", post(crate::feedback::feedback))
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        // Inside `observe`, so a panicking handler is logged and counted as its route's 500.
        .route_layer(middleware::from_fn_with_state(state.clone(), crate::panic::catch_panic))
        .route_layer(middleware::from_fn_with_state(state.clone(), observe))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(limits.clone(), limit_body))
        .layer(middleware::from_fn_with_state(limits, timeout))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(state.clone(), close_when_draining))
        .layer(middleware::from_fn(security_headers))
        // Every answer, errors included, carries its x-request-id.
        .layer(middleware::from_fn(crate::request_id::assign))
        // Outermost: a panic in any middleware above is a JSON 500 too.
        .layer(middleware::from_fn_with_state(state.clone(), crate::panic::catch_panic))
        .with_state(state)
}

/// One structured log line and the metrics for every routed request.
async fn observe(
    State(state): State<SharedState>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = matched.map_or_else(|| request.uri().path().to_string(), |m| m.as_str().to_string());
    let request_id = crate::request_id::of(request.headers());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let rows = response.extensions().get::<RowsScored>().map_or(0, |r| r.0);
    let seconds = started.elapsed().as_secs_f64();
    state.metrics.record_request(&route, method.as_str(), status, seconds);
    tracing::info!(target: "mlship::request", method = %method, route = %route, status, latency_ms = seconds * 1000.0, rows, request_id);
    response
}

async fn not_found(State(state): State<SharedState>, request: Request) -> ApiError {
    state.metrics.record_request("unmatched", request.method().as_str(), 404, 0.0);
    tracing::info!(target: "mlship::request", method = %request.method(), route = "unmatched", status = 404, path = %request.uri().path());
    ApiError::not_found(format!("no route {} {}", request.method(), request.uri().path()))
}

/// The headers every answer carries, the UI's values (mlship-ui's `guard`):
/// no sniffing, no framing, and a CSP that allows only the pages' own inline
/// style, images and form posts from this origin (the pages have no script).
/// The two crates share no HTTP crate, so the values are kept equal by the
/// test `every_answer_carries_the_security_headers`.
pub const SECURITY_HEADERS: [(&str, &str); 3] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'"),
];

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// A known path with another method: the documented JSON error, not an empty 405.
async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method {} is not allowed on {}", request.method(), request.uri().path()),
    )
}

/// While draining, every answer closes its connection, so keep-alive clients
/// (a proxy's pool) reconnect, and reach a server that is not stopping.
async fn close_when_draining(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if !state.is_ready() {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Refuses a body over the limit with 413 before reading it when its length is
/// announced, and while reading it otherwise.
async fn limit_body(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let too_large = || {
        let mut error =
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("body over the limit of {} bytes", limits.body_limit));
        error.field = None;
        error.into_response()
    };
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match announced {
        Some(length) if length > limits.body_limit => too_large(),
        Some(_) => next.run(request).await,
        None => {
            let (parts, body) = request.into_parts();
            match axum::body::to_bytes(body, limits.body_limit).await {
                Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
                Err(_) => too_large(),
            }
        }
    }
}

async fn timeout(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("request timed out after {} s", limits.request_timeout.as_secs_f64()),
        )
        .into_response(),
    }
}

async fn form_get(State(state): State<SharedState>) -> Result<Html<String>, ApiError> {
    Ok(Html(form_page(&state.model(), &FormView::default())?))
}

/// The seed's `round=0` then `int(...)`: round half to even, no decimals.
fn whole_number(value: f64) -> String {
    let rounded = value.round_ties_even();
    format!("{:.0}", if rounded == 0.0 { 0.0 } else { rounded })
}

async fn form_post(State(state): State<SharedState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("(none)");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(ApiError::unsupported_media_type(content_type, "application/x-www-form-urlencoded"));
    }
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| ApiError::bad_request(format!("invalid form body: {e}")))?;
    let model = state.model();
    let schema = &model.artifact.pipeline.schema;
    let page_with_errors = |errors: Vec<ApiError>| {
        let errors: Vec<(String, String)> =
            errors.into_iter().map(|e| (e.field.clone().unwrap_or_default(), e.message)).collect();
        let view = FormView { values: &fields, errors: &errors, ..FormView::default() };
        match form_page(&model, &view) {
            Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response(),
            Err(error) => error.into_response(),
        }
    };
    let parsed = match input::from_form(schema, &fields) {
        Ok(parsed) => parsed,
        Err(errors) => return Ok(page_with_errors(errors)),
    };
    let scored = match api::score(&state, &model, parsed, &crate::request_id::of(&headers)) {
        Ok(scored) => scored,
        Err(error) if error.status.is_client_error() => return Ok(page_with_errors(vec![error])),
        Err(error) => return Err(error),
    };
    let result = match &scored.predictions {
        Predictions::Regression(values) => format!("Expected {} will be {}", model.label, whole_number(values[0])),
        Predictions::Classification(classes) => {
            let label = api::class_label(&model, classes.codes[0]);
            match classes.score(0) {
                Some(probability) => format!("Predicted {}: {label} (probability {probability:.4})", model.label),
                None => format!("Predicted {}: {label}", model.label),
            }
        }
    };
    let warnings = scored.warnings.lines();
    let view = FormView { values: &fields, result: Some(result), warnings: &warnings, ..FormView::default() };
    let mut response = Html(form_page(&model, &view)?).into_response();
    response.extensions_mut().insert(RowsScored(1));
    Ok(response)
}

async fn openapi_json(State(state): State<SharedState>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], state.model().openapi_json.clone()).into_response()
}

async fn docs(State(state): State<SharedState>) -> Html<String> {
    Html(state.model().docs_html.clone())
}

async fn metrics(State(state): State<SharedState>) -> Response {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode())
        .into_response()
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn readyz(State(state): State<SharedState>) -> Response {
    let ready = state.is_ready();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(serde_json::json!({ "ready": ready }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::whole_number;

    #[test]
    fn whole_numbers_round_half_to_even() {
        assert_eq!(whole_number(23624.0786), "23624");
        assert_eq!(whole_number(2.5), "2");
        assert_eq!(whole_number(3.5), "4");
        assert_eq!(whole_number(-0.4), "0");
    }
}
