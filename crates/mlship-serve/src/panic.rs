//! A panic in a handler (a bug, or a model file no check foresaw) must not
//! drop the connection silently: it is caught at the request's future,
//! logged, counted in `/metrics` (`mlship_panics_total`) and answered as the
//! documented JSON 500. A small future wrapper rather than a new dependency.

use crate::error::ApiError;
use crate::state::SharedState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Polls the inner future inside `catch_unwind`; a panic becomes `Err(payload)`.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// The panic's message, when it is text.
fn message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Runs `future`; a panic inside it becomes `Err(message)`. For another
/// server's middleware (the UI answers its own error shape with it).
pub async fn catching<F: Future>(future: F) -> Result<F::Output, String> {
    CatchUnwind(Box::pin(future)).await.map_err(|payload| message(payload.as_ref()).to_string())
}

/// Middleware: runs the rest of the request; a panic is a counted, logged JSON 500.
pub async fn catch_panic(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    match CatchUnwind(Box::pin(next.run(request))).await {
        Ok(response) => response,
        Err(payload) => {
            state.metrics.record_panic();
            tracing::error!(target: "mlship::serve", %method, %path, panic = message(payload.as_ref()), "a handler panicked");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error while handling the request")
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::catch_panic;
    use crate::state::{AppState, ServedModel};
    use axum::middleware;
    use axum::routing::get;
    use axum::Router;
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn boom() -> &'static str {
        panic!("a bug in a handler")
    }

    /// A handler that panics: the client gets the JSON 500 on the same
    /// connection, which then answers its next request; the panic is counted.
    #[tokio::test]
    async fn a_panicking_handler_answers_json_500_and_is_counted() {
        let artifact = mlship_artifact::Artifact::load(&mlship_testkit::golden_artifact()).unwrap();
        let state = Arc::new(AppState::new(ServedModel::new(artifact, "0", None, None), 1024, None).unwrap());
        let app = Router::new()
            .route("/boom", get(boom))
            .route("/fine", get(|| async { "fine" }))
            .route_layer(middleware::from_fn_with_state(state.clone(), catch_panic))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let mut answers = String::new();
        for path in ["/boom", "/fine"] {
            let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut buffer = vec![0u8; 4096];
            let n = stream.read(&mut buffer).await.unwrap();
            answers.push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
        assert!(answers.starts_with("HTTP/1.1 500"), "{answers}");
        assert!(answers.contains("application/json"), "{answers}");
        assert!(answers.contains(r#""error_code":"INTERNAL_ERROR""#), "{answers}");
        assert!(!answers.contains("a bug in a handler"), "the panic's text stays in the log: {answers}");
        assert!(answers.contains("HTTP/1.1 200") && answers.ends_with("fine"), "{answers}");
        assert!(state.metrics.encode().contains("mlship_panics_total 1\n"), "{}", state.metrics.encode());
    }
}
