//! Monitoring a model in production: what it was trained on (the reference
//! profile kept in every artifact), what it sees now (inference logs and
//! feedback written by `serve`), and the statistical tests that compare the
//! two, with Evidently's defaults so a report reads like theirs.

// Only the binary may hold unsafe code (its SIGPIPE reset); a library never.
#![forbid(unsafe_code)]

pub mod drift;
pub mod live;
pub mod logs;
pub mod profile;
pub mod report;
pub mod stattest;
