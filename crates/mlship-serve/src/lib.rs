//! The mlship server: the web form, the seed's `/predict_api`, MLflow's
//! `/invocations`, the Open Inference Protocol (KServe V2), OpenAPI and an
//! offline docs page, Prometheus metrics, health and readiness. The only crate
//! that knows HTTP; it scores with the artifact's `FittedPipeline::predict`,
//! the same code batch prediction uses.

// Only the binary may hold unsafe code (its SIGPIPE reset); a library never.
#![forbid(unsafe_code)]

mod api;
mod app;
mod error;
mod feedback;
mod html;
mod inference_log;
mod input;
mod json_input;
// Public for `mlship ui`, which serves its pages through the same loop.
pub mod listen;
// Live drift and performance gauges (issue 14).
pub mod live;
mod metrics;
mod openapi;
mod panic;
mod request_id;
mod state;
mod warnings;

pub use app::{Application, ServeConfig, ServeError, SECURITY_HEADERS};
pub use error::ApiError;
pub use inference_log::{
    InferenceLogConfig, InferenceLogError, DEFAULT_FEEDBACK_IDS, DEFAULT_FEEDBACK_MAX_AGE, DEFAULT_MAX_BYTES,
    DEFAULT_QUEUE_ROWS, DEFAULT_ROTATE_BYTES,
};
pub use input::MAX_ABS_VALUE;
pub use panic::catching;
pub use request_id::HEADER as REQUEST_ID_HEADER;
pub use state::ServedModel;

// The unit tests' fuzz targets measure what the parsers allocate.
#[cfg(test)]
#[global_allocator]
static COUNTING: mlship_testkit::alloc::Counting = mlship_testkit::alloc::Counting;
