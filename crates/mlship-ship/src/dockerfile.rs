//! `image dockerfile`: a multi-stage Dockerfile for teams that build with
//! Docker, equivalent to what `image build` produces: an official Rust image
//! compiles a static mlship, and the runtime stage is `scratch` with the
//! binary, the model, a non-root user, the same entrypoint, port and labels.
//! The build context is an mlship source checkout; the model is copied in.

use crate::image::ImageLabels;
use crate::manifests::NON_ROOT_ID;

pub const MODEL_FILE_NAME: &str = "model.mlship";

/// The Dockerfile text; `model_path` is the model's path inside the build context.
pub fn dockerfile(model_path: &str, labels: &ImageLabels, port: u16) -> String {
    let mut label_lines = String::new();
    for (key, value) in labels.pairs() {
        label_lines.push_str(&format!("LABEL {key}={}\n", serde_json::Value::String(value)));
    }
    format!(
        "# syntax=docker/dockerfile:1\n\
# Written by `mlship image dockerfile`; equivalent to `mlship image build`.\n\
# Build from an mlship source checkout:  docker build -f THIS_FILE -t IMAGE .\n\
FROM rust:1-bookworm AS build\n\
WORKDIR /src\n\
COPY . .\n\
RUN RUSTFLAGS=\"-C target-feature=+crt-static\" cargo build --release --locked \\\n    --target x86_64-unknown-linux-gnu --bin mlship\n\
\n\
FROM scratch\n\
COPY --from=build /src/target/x86_64-unknown-linux-gnu/release/mlship /mlship\n\
COPY {model_path} /{MODEL_FILE_NAME}\n\
USER {NON_ROOT_ID}:{NON_ROOT_ID}\n\
EXPOSE {port}\n\
{label_lines}\
ENTRYPOINT [\"/mlship\"]\n\
CMD [\"serve\", \"--model\", \"/{MODEL_FILE_NAME}\", \"--host\", \"0.0.0.0\", \"--port\", \"{port}\"]\n"
    )
}

/// What the build context must not send to the daemon.
pub fn dockerignore(model_path: &str) -> String {
    format!("target/\n.git/\n.mlship/\n*.mlship\n!{model_path}\n")
}
