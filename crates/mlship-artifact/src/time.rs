//! UTC timestamps for artifacts without a date-time dependency: the civil date
//! comes from the data crate's epoch-day conversion.

use mlship_data::date::Date;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn utc_now_rfc3339() -> String {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let date = Date::from_days_since_epoch(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!("{}T{:02}:{:02}:{:02}Z", date.iso(), of_day / 3600, of_day % 3600 / 60, of_day % 60)
}
