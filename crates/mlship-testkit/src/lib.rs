//! What more than one test binary needs, kept once: the seed pipeline (its
//! spec, its data and its `mlship train` flags), the golden format-1 artifact,
//! the gzipped parity fixtures, running the `mlship` binary, and headless
//! Chromium for the browser tests. Never a dependency of non-test code.

// Test support: a panic naming the value is the failure a test wants.
#![allow(clippy::unwrap_used)]
// `deny`, not `forbid`: the counting allocator's one `unsafe impl` is allowed in `alloc`.
#![deny(unsafe_code)]

pub mod alloc;
#[cfg(feature = "browser")]
pub mod browser;
pub mod cli;
pub mod fixtures;
#[cfg(feature = "seed")]
pub mod seed;

#[cfg(feature = "browser")]
pub use browser::{free_port, Chromedriver};
pub use fixtures::golden_artifact;
