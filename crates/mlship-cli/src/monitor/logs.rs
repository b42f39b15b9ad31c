//! The current data from `serve`'s inference logs: the rows one model
//! version scored in a time range, back in a table typed by the model's
//! schema, with the predictions as served, and the actuals that feedback
//! (or a file of actuals) gave for them.

use anyhow::{anyhow, bail, Context, Result};
use mlship_data::parse::{canonical_number_text, parse_number};
use mlship_data::{CategoricalBuilder, Column, ColumnKind, Table};
use mlship_learn::FittedPipeline;
use mlship_monitor::logs::{read_feedback, read_inferences, InferenceRecord};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// What the logs held for one model version.
pub struct Logged {
    /// The input columns, typed as the model reads them.
    pub table: Table,
    /// Each row's prediction as it was served.
    pub predictions: Vec<Value>,
    /// Each row's time (RFC 3339, UTC).
    pub times: Vec<String>,
    /// Each row's actual, when feedback or `--actuals` gave one.
    pub actuals: Vec<Option<Value>>,
    /// The first and last time.
    pub range: (String, String),
    /// What the reader should know (other versions skipped, unreadable lines, unmatched actuals).
    pub notices: Vec<String>,
}

/// `24h`, `30m`, `7d`, `90s` ago, or an RFC 3339 time (or its prefix) as given.
pub fn resolve_time(text: &str) -> Result<String> {
    let text = text.trim();
    if let Some((at, unit)) = text.char_indices().last() {
        let multiplier: Option<i64> = match unit {
            's' => Some(1),
            'm' => Some(60),
            'h' => Some(3_600),
            'd' => Some(86_400),
            _ => None,
        };
        let ago = multiplier.and_then(|m| text[..at].parse::<u32>().ok().map(|amount| i64::from(amount) * m));
        if let Some(ago) = ago {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            let t = mlship_data::date::UtcTime::from_unix_seconds(now.saturating_sub(ago));
            // Milliseconds as the logs write them, so the text comparison is exact.
            return Ok(format!("{}T{:02}:{:02}:{:02}.000Z", t.date.iso(), t.hour, t.minute, t.second));
        }
    }
    let looks_like_time = text.len() >= 4
        && text.chars().take(4).all(|c| c.is_ascii_digit())
        && text.chars().all(|c| c.is_ascii_digit() || "-T:.Z".contains(c));
    if !looks_like_time {
        bail!(
            "\"{text}\" is neither a time ago (24h, 30m, 7d, 90s) nor an RFC 3339 time in UTC (2026-12-01T10:00:00Z)"
        );
    }
    Ok(text.to_string())
}

/// Reads the rows `digest` scored in `dir` between `since` and `until`.
pub fn read(
    dir: &Path,
    since: Option<&str>,
    until: Option<&str>,
    pipeline: &FittedPipeline,
    digest: &str,
    actuals_file: Option<&Path>,
) -> Result<Logged> {
    let read = read_inferences(dir, since, until)?;
    let mut notices = Vec::new();
    if read.unreadable_lines > 0 {
        notices.push(format!(
            "{}: {} log lines could not be read and were skipped",
            dir.display(),
            read.unreadable_lines
        ));
    }
    let window = match (since, until) {
        (None, None) => String::new(),
        (since, until) => format!(" between {} and {}", since.unwrap_or("the start"), until.unwrap_or("now")),
    };
    let mut others: BTreeMap<String, usize> = BTreeMap::new();
    let mut records: Vec<InferenceRecord> = Vec::new();
    for record in read.records {
        if record.model_digest == digest {
            records.push(record);
        } else {
            *others.entry(format!("{} {}", record.model_name, record.model_version)).or_default() += 1;
        }
    }
    let listed = || others.iter().map(|(v, n)| format!("{v} ({n} rows)")).collect::<Vec<_>>().join(", ");
    if records.is_empty() {
        if read.files == 0 {
            bail!("{}: no inference logs (serve writes them with --log-inferences DIR)", dir.display());
        }
        if others.is_empty() {
            bail!("{}: no scored rows{window}: an empty window", dir.display());
        }
        bail!(
            "{}: no rows{window} were scored by this model (digest {}); the logs hold other versions: {}",
            dir.display(),
            &digest[..12.min(digest.len())],
            listed()
        );
    }
    if !others.is_empty() {
        notices.push(format!("rows scored by other model versions were left out: {}", listed()));
    }
    let actuals = actuals_for(dir, actuals_file, &records, &mut notices)?;
    let table = table_of(&records, pipeline);
    let range = (records[0].time.clone(), records[records.len() - 1].time.clone());
    Ok(Logged {
        table,
        predictions: records.iter().map(|r| r.prediction.clone()).collect(),
        times: records.iter().map(|r| r.time.clone()).collect(),
        actuals,
        range,
        notices,
    })
}

/// The logged inputs as the model's columns: numbers where the model reads
/// numbers (a text cell that is not one keeps the column as text: its type changed).
fn table_of(records: &[InferenceRecord], pipeline: &FittedPipeline) -> Table {
    let mut table = Table::default();
    for input in &pipeline.schema {
        let cells = records.iter().map(|r| r.inputs.get(&input.name).unwrap_or(&Value::Null));
        let numbers: Option<Vec<f64>> = match input.kind {
            ColumnKind::Numeric => cells
                .clone()
                .map(|cell| match cell {
                    Value::Null => Some(f64::NAN),
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) if s.trim().is_empty() => Some(f64::NAN),
                    Value::String(s) => parse_number(s),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        let column = match numbers {
            Some(values) => Column::Numeric(values),
            None => {
                let mut builder = CategoricalBuilder::default();
                for cell in cells {
                    match cell {
                        Value::Null => builder.push(None),
                        Value::String(s) => builder.push(Some(s)),
                        Value::Number(n) => {
                            builder.push(Some(&n.as_f64().map_or_else(|| n.to_string(), canonical_number_text)))
                        }
                        other => builder.push(Some(&other.to_string())),
                    }
                }
                Column::Categorical(builder.finish())
            }
        };
        table.push(input.name.clone(), column);
    }
    table
}

/// Each record's actual: from feedback in the log folder, then from `--actuals FILE`
/// (a CSV with `request_id`, optional `row`, and `actual`), which wins.
fn actuals_for(
    dir: &Path,
    file: Option<&Path>,
    records: &[InferenceRecord],
    notices: &mut Vec<String>,
) -> Result<Vec<Option<Value>>> {
    let mut known: HashMap<(String, u32), Value> = HashMap::new();
    let feedback = read_feedback(dir)?;
    for record in feedback.records {
        known.insert((record.request_id, record.row), record.actual);
    }
    if let Some(file) = file {
        let shown = file.display().to_string();
        let mut reader = csv::Reader::from_path(file).with_context(|| format!("{shown}: cannot read the actuals"))?;
        let headers = reader.headers().with_context(|| shown.clone())?.clone();
        let position = |name: &str| headers.iter().position(|h| h == name);
        let id = position("request_id").ok_or_else(|| {
            anyhow!("{shown}: no \"request_id\" column (the actuals file needs request_id, actual and optionally row)")
        })?;
        let actual = position("actual").ok_or_else(|| anyhow!("{shown}: no \"actual\" column"))?;
        let row = position("row");
        for (line, record) in reader.records().enumerate() {
            let record = record.with_context(|| format!("{shown}: line {}", line + 2))?;
            let row_number = match row.and_then(|r| record.get(r)) {
                Some(text) if !text.is_empty() => text
                    .parse::<u32>()
                    .map_err(|_| anyhow!("{shown}: line {}: row \"{text}\" is not a row number", line + 2))?,
                _ => 0,
            };
            let text = record.get(actual).unwrap_or("");
            if text.is_empty() {
                continue;
            }
            let value = parse_number(text).map_or_else(|| Value::String(text.to_string()), Value::from);
            known.insert((record.get(id).unwrap_or("").to_string(), row_number), value);
        }
    }
    let n_known = known.len();
    let actuals: Vec<Option<Value>> =
        records.iter().map(|r| known.get(&(r.request_id.clone(), r.row)).cloned()).collect();
    let matched = actuals.iter().filter(|a| a.is_some()).count();
    if n_known > matched {
        notices.push(format!(
            "{} actuals match no row scored by this model in the window (other versions, other times, or unknown request ids)",
            n_known - matched
        ));
    }
    Ok(actuals)
}

/// The window a time falls in: `hour` → `2026-12-01T10`, `day` → `2026-12-01`.
pub fn window_key<'a>(time: &'a str, window: &str) -> &'a str {
    let length = if window == "hour" { 13 } else { 10 };
    time.get(..length).unwrap_or(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_ago_or_rfc3339_and_anything_else_is_refused() {
        let day_ago = resolve_time("1d").expect("a day ago");
        let hour_ago = resolve_time("60m").expect("an hour ago");
        assert!(day_ago < hour_ago && day_ago.ends_with(".000Z") && day_ago.len() == 24, "{day_ago} {hour_ago}");
        assert_eq!(resolve_time("2026-12-01T10").expect("a prefix"), "2026-12-01T10");
        for bad in ["", "yesterday", "24é", "-5h", "h", "99999999999d", "2026-12-01 10:00"] {
            assert!(resolve_time(bad).is_err(), "{bad:?}");
        }
    }
}
