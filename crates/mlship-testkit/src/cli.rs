//! Running the `mlship` binary as a user would, in a folder of the test's
//! own, and reading what it printed. The binary's path comes from the test
//! (`env!("CARGO_BIN_EXE_mlship")` exists only in the CLI crate's tests).

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `binary args…` in `dir`, with the store variables cleared so a
/// developer's own `MLSHIP_STORE` never receives test runs.
pub fn run(binary: &str, dir: &Path, args: &[&str]) -> Output {
    Command::new(binary)
        .current_dir(dir)
        .env_remove("MLSHIP_STORE")
        .env_remove("MLSHIP_ARTIFACTS")
        .args(args)
        .output()
        .expect("run mlship")
}

/// Standard output of a command, lossily decoded.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error of a command, lossily decoded.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Standard output of a command that must have succeeded.
pub fn ok(output: &Output) -> String {
    assert!(output.status.success(), "mlship failed: {}", stderr(output));
    stdout(output)
}

/// The JSON document a successful `--json` command printed.
pub fn json(output: &Output) -> Value {
    serde_json::from_str(&ok(output)).expect("JSON output")
}

/// The error a command that must have failed printed, trimmed.
pub fn failure(output: &Output) -> String {
    assert!(!output.status.success(), "expected a failure, got: {}", stdout(output));
    stderr(output).trim().to_string()
}
