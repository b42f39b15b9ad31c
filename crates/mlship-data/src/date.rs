//! Dates in text columns: the formats recognised (ISO 8601 and the common
//! day/month/year forms) and the day, month and year features PyCaret's
//! `create_date_columns` extracts. A column is a date column when every
//! non-missing value parses with one and the same format.

use serde::{Deserialize, Serialize};

/// A date layout recognised in a column, kept in the artifact so prediction parses dates the way training did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateFormat {
    /// `2020-04-28`, optionally followed by `T` or a space and a time.
    Iso,
    /// `2020/04/28`
    YearSlash,
    /// `04/28/2020` (pandas' default reading of slashed dates)
    MonthFirstSlash,
    /// `28/04/2020`
    DayFirstSlash,
    /// `28-04-2020`
    DayFirstDash,
    /// `28.04.2020`
    DayFirstDot,
}

/// In order of preference: where both month-first and day-first parse every
/// value, month-first wins, as in pandas.
const FORMATS: [DateFormat; 6] = [
    DateFormat::Iso,
    DateFormat::YearSlash,
    DateFormat::MonthFirstSlash,
    DateFormat::DayFirstSlash,
    DateFormat::DayFirstDash,
    DateFormat::DayFirstDot,
];

/// A calendar date (proleptic Gregorian), the value a date column's cells parse to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    /// The year, e.g. 2020.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, 1 to 31.
    pub day: u32,
}

impl DateFormat {
    /// Parses `text` in this layout; `None` if it does not match or names no real day.
    pub fn parse(self, text: &str) -> Option<Date> {
        let text = text.trim();
        let (parts, order) = match self {
            DateFormat::Iso => {
                let date_part = text.split(['T', ' ']).next()?;
                (split3(date_part, '-')?, [0, 1, 2])
            }
            DateFormat::YearSlash => (split3(text, '/')?, [0, 1, 2]),
            DateFormat::MonthFirstSlash => (split3(text, '/')?, [2, 0, 1]),
            DateFormat::DayFirstSlash => (split3(text, '/')?, [2, 1, 0]),
            DateFormat::DayFirstDash => (split3(text, '-')?, [2, 1, 0]),
            DateFormat::DayFirstDot => (split3(text, '.')?, [2, 1, 0]),
        };
        let [year_idx, month_idx, day_idx] = order;
        if parts[year_idx].len() != 4 || parts[month_idx].len() > 2 || parts[day_idx].len() > 2 {
            return None;
        }
        let date = Date {
            year: parts[year_idx].parse().ok()?,
            month: parts[month_idx].parse().ok()?,
            day: parts[day_idx].parse().ok()?,
        };
        date.is_valid().then_some(date)
    }
}

fn split3(text: &str, separator: char) -> Option<[&str; 3]> {
    let mut pieces = text.split(separator);
    let parts = [pieces.next()?, pieces.next()?, pieces.next()?];
    let all_digits = parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (pieces.next().is_none() && all_digits).then_some(parts)
}

impl Date {
    fn is_valid(&self) -> bool {
        let leap = (self.year % 4 == 0 && self.year % 100 != 0) || self.year % 400 == 0;
        let days_in_month = match self.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return false,
        };
        (1..=days_in_month).contains(&self.day)
    }

    /// The civil date of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (year_of_era + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The date as `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A moment in UTC split into its civil date and time of day, to the second:
/// the one days-to-calendar conversion the artifact's timestamps and the
/// store's displayed times share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    /// The civil date in UTC.
    pub date: Date,
    /// Hour of the day, 0 to 23.
    pub hour: u32,
    /// Minute of the hour, 0 to 59.
    pub minute: u32,
    /// Second of the minute, 0 to 59.
    pub second: u32,
}

impl UtcTime {
    /// Seconds since 1970-01-01T00:00:00Z (negative before it).
    pub fn from_unix_seconds(seconds: i64) -> UtcTime {
        let date = Date::from_days_since_epoch(seconds.div_euclid(86_400));
        // In 0..86_400, so the casts cannot truncate.
        let of_day = seconds.rem_euclid(86_400) as u32;
        UtcTime { date, hour: of_day / 3600, minute: of_day % 3600 / 60, second: of_day % 60 }
    }
}

/// The one format that parses every given value, if any (and at least one value).
pub fn detect_format<'a>(values: impl Iterator<Item = &'a str> + Clone) -> Option<DateFormat> {
    let mut values = values.peekable();
    values.peek()?;
    FORMATS.into_iter().find(|format| values.clone().all(|v| format.parse(v).is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_reject() {
        let d = Date { year: 2020, month: 4, day: 28 };
        assert_eq!(DateFormat::Iso.parse("2020-04-28"), Some(d));
        assert_eq!(DateFormat::Iso.parse("2020-04-28T10:00:00Z"), Some(d));
        assert_eq!(DateFormat::DayFirstSlash.parse("28/04/2020"), Some(d));
        assert_eq!(DateFormat::MonthFirstSlash.parse("04/28/2020"), Some(d));
        assert_eq!(DateFormat::DayFirstDot.parse("28.04.2020"), Some(d));
        assert_eq!(DateFormat::Iso.parse("2021-02-29"), None);
        assert_eq!(DateFormat::Iso.parse("hello"), None);
    }

    #[test]
    fn detection_prefers_month_first_but_falls_back_to_day_first() {
        assert_eq!(detect_format(["01/02/2020", "03/04/2020"].into_iter()), Some(DateFormat::MonthFirstSlash));
        assert_eq!(detect_format(["01/02/2020", "28/04/2020"].into_iter()), Some(DateFormat::DayFirstSlash));
        assert_eq!(detect_format(["2020-01-01", "male"].into_iter()), None);
    }

    #[test]
    fn epoch_days_convert() {
        assert_eq!(Date::from_days_since_epoch(0).iso(), "1970-01-01");
        assert_eq!(Date::from_days_since_epoch(18_380).iso(), "2020-04-28");
        assert_eq!(Date::from_days_since_epoch(-1).iso(), "1969-12-31");
    }

    #[test]
    fn unix_seconds_split_into_date_and_time() {
        let t = UtcTime::from_unix_seconds(1_588_075_323);
        assert_eq!((t.date.iso(), t.hour, t.minute, t.second), ("2020-04-28".to_string(), 12, 2, 3));
        let t = UtcTime::from_unix_seconds(-1);
        assert_eq!((t.date.iso(), t.hour, t.minute, t.second), ("1969-12-31".to_string(), 23, 59, 59));
    }
}
