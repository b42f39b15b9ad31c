//! UTC timestamps for artifacts without a date-time dependency: the civil date
//! and time of day come from the data crate's one conversion.

use mlship_data::date::UtcTime;
use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in UTC, as RFC 3339 to the second (`2026-01-02T03:04:05Z`).
pub fn utc_now_rfc3339() -> String {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let t = UtcTime::from_unix_seconds(seconds);
    format!("{}T{:02}:{:02}:{:02}Z", t.date.iso(), t.hour, t.minute, t.second)
}
