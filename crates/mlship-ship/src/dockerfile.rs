//! `image dockerfile`: a multi-stage Dockerfile for teams that build with
//! Docker, equivalent to what `image build` produces: an official Rust image
//! (Debian bookworm) runs the default release build, and the runtime stage is
//! `scratch` with the binary, the dynamic loader and the shared libraries it
//! links, the model, a non-root user, the same entrypoint, port and labels.
//! The build context is an mlship source checkout; the model is copied in.
//!
//! The library list is fixed because the builder is: these are the paths in
//! Debian bookworm (amd64) of what mlship's ELF headers name (glibc's loader,
//! libc, libm, libgcc_s). The CLI tests check that every library `image build`
//! adds for the mlship they run is in this list.

use crate::image::ImageLabels;
use crate::manifests::NON_ROOT_ID;

/// Where the model sits next to the binary in the build context and the image.
pub const MODEL_FILE_NAME: &str = "model.mlship";

/// The loader (at mlship's PT_INTERP path) and the libraries mlship needs, in the builder.
pub const RUNTIME_FILES: [&str; 4] = [
    "/lib64/ld-linux-x86-64.so.2",
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib/x86_64-linux-gnu/libgcc_s.so.1",
    "/lib/x86_64-linux-gnu/libm.so.6",
];

/// The Dockerfile text; `model_path` is the model's path inside the build context.
pub fn dockerfile(model_path: &str, labels: &ImageLabels, port: u16) -> String {
    let mut label_lines = String::new();
    for (key, value) in labels.pairs() {
        label_lines.push_str(&format!("LABEL {key}={}\n", serde_json::Value::String(value)));
    }
    let runtime_files = RUNTIME_FILES.join(" \\\n    ");
    format!(
        "# syntax=docker/dockerfile:1\n\
# Written by `mlship image dockerfile`; equivalent to `mlship image build`.\n\
# Build from an mlship source checkout:  docker build -f THIS_FILE -t IMAGE .\n\
FROM rust:1-bookworm AS build\n\
WORKDIR /src\n\
COPY . .\n\
RUN cargo build --release --locked --bin mlship\n\
# The dynamic loader and the shared libraries mlship links, real files at the loader's paths\n\
RUN mkdir /runtime && cp --parents --dereference \\\n    {runtime_files} \\\n    /runtime/\n\
\n\
FROM scratch\n\
COPY --from=build /runtime/ /\n\
COPY --from=build /src/target/release/mlship /mlship\n\
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
