//! `POST /feedback`: actual values by request id, written as
//! `FeedbackRecord`s by the inference log's writer, so `mlship monitor` can
//! join them to the rows they belong to.
//!
//! The server remembers recent request ids (bounded in count and age) to
//! answer mistakes at once rather than log feedback nothing will ever join:
//! an id it never gave (or has forgotten) is a 404 naming it, an id older
//! than `--feedback-max-age` a 410, an actual of the wrong type or an unknown
//! class a 422. A batch is all or nothing: one bad item refuses every item.

use crate::api::{label_json, parse_json};
use crate::error::ApiError;
use crate::inference_log::rfc3339_millis;
use crate::state::SharedState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use mlship_learn::ClassLabel;
use mlship_monitor::live::Outcome;
use mlship_monitor::logs::FeedbackRecord;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// At most this many ids are named in a 404 or 410 message.
const NAMED_IDS: usize = 10;

/// What the server remembers about a request id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Never given, or forgotten (more recent requests took its place).
    Unknown,
    /// Given longer ago than the feedback window.
    Expired,
    /// Given within the window, for a request of this many rows.
    Recent {
        /// Rows the request scored.
        rows: usize,
    },
}

/// Predictions kept per request for live performance: the first rows only, so
/// memory stays bounded by the id count (a batch's other rows are still logged
/// with their feedback, for `mlship monitor`).
pub const PREDICTIONS_KEPT: usize = 16;

/// What is kept of one scored request.
struct Scored {
    /// When it was scored.
    at: Instant,
    /// Its row count.
    rows: usize,
    /// The predictions of its first rows.
    predictions: Arc<[Outcome]>,
}

struct Remembered {
    ids: HashMap<Arc<str>, Scored>,
    order: VecDeque<(Arc<str>, Instant)>,
}

/// The last `capacity` request ids with the time they were scored and their
/// row counts. Memory is bounded by the count (an id is at most 128 bytes);
/// age only decides between 410 and acceptance, so an expired id is told
/// apart from one never seen until newer requests push it out.
pub struct RecentRequests {
    inner: Mutex<Remembered>,
    capacity: usize,
    max_age: Duration,
}

impl RecentRequests {
    /// Remembers at most `capacity` ids; feedback is accepted for `max_age`.
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        RecentRequests {
            inner: Mutex::new(Remembered { ids: HashMap::new(), order: VecDeque::new() }),
            capacity: capacity.max(1),
            max_age,
        }
    }

    /// Remembers `id`, scored now with `rows` rows whose first predictions are
    /// `predictions` (a reused id is renewed).
    pub fn remember(&self, id: &str, rows: usize, predictions: &[Outcome]) {
        let Ok(mut inner) = self.inner.lock() else { return };
        let now = Instant::now();
        let id: Arc<str> = Arc::from(id);
        let kept: Arc<[Outcome]> = predictions.iter().take(PREDICTIONS_KEPT).copied().collect();
        inner.ids.insert(id.clone(), Scored { at: now, rows, predictions: kept });
        inner.order.push_back((id, now));
        while inner.order.len() > self.capacity {
            if let Some((old, at)) = inner.order.pop_front() {
                // A renewed id has a newer time in the map: keep it.
                if inner.ids.get(&old).is_some_and(|scored| scored.at == at) {
                    inner.ids.remove(&old);
                }
            }
        }
    }

    /// What is known about `id` now.
    pub fn seen(&self, id: &str) -> Seen {
        let Ok(inner) = self.inner.lock() else { return Seen::Unknown };
        match inner.ids.get(id) {
            None => Seen::Unknown,
            Some(scored) if scored.at.elapsed() > self.max_age => Seen::Expired,
            Some(scored) => Seen::Recent { rows: scored.rows },
        }
    }

    /// The prediction served for `row` of request `id`, when it is still kept.
    pub fn prediction(&self, id: &str, row: usize) -> Option<Outcome> {
        let inner = self.inner.lock().ok()?;
        inner.ids.get(id).and_then(|scored| scored.predictions.get(row).copied())
    }

    /// How many ids are remembered at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How long feedback is accepted after a prediction.
    pub fn max_age(&self) -> Duration {
        self.max_age
    }
}

/// One item of a feedback request, checked for shape.
struct Item {
    request_id: String,
    row: usize,
    actual: Value,
}

/// The items of any accepted body shape: one object, a list, or `{"feedback": [...]}`.
fn items(body: Value) -> Result<Vec<Value>, ApiError> {
    let list = match body {
        Value::Array(list) => list,
        Value::Object(mut object) if object.contains_key("feedback") => match object.remove("feedback") {
            Some(Value::Array(list)) => list,
            _ => {
                return Err(ApiError::unprocessable(
                    "\"feedback\" must be a list of {\"request_id\", \"actual\"} objects",
                ))
            }
        },
        Value::Object(object) => vec![Value::Object(object)],
        _ => {
            return Err(ApiError::unprocessable(
                "the body must be {\"request_id\": …, \"actual\": …}, a list of those, or {\"feedback\": [...]}",
            ))
        }
    };
    if list.is_empty() {
        return Err(ApiError::unprocessable("no feedback given: the list is empty"));
    }
    Ok(list)
}

fn item(idx: usize, value: Value) -> Result<Item, ApiError> {
    let Value::Object(mut fields) = value else {
        return Err(ApiError::unprocessable(format!(
            "feedback[{idx}] must be an object with \"request_id\" and \"actual\""
        )));
    };
    let request_id = match fields.remove("request_id") {
        Some(Value::String(id)) if crate::request_id::is_sane(id.as_bytes()) => id,
        Some(Value::String(_)) => {
            return Err(ApiError::field(
                "request_id",
                format!("feedback[{idx}].request_id is not a request id (1 to 128 visible ASCII characters)"),
            ))
        }
        Some(_) => return Err(ApiError::field("request_id", format!("feedback[{idx}].request_id must be a string"))),
        None => return Err(ApiError::field("request_id", format!("feedback[{idx}] has no \"request_id\""))),
    };
    let row = match fields.remove("row") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|r| r <= u64::from(u32::MAX)) => {
            n.as_u64().unwrap_or(0) as usize
        }
        Some(other) => {
            return Err(ApiError::field("row", format!("feedback[{idx}].row must be a row number from 0, got {other}")))
        }
    };
    let Some(actual) = fields.remove("actual") else {
        return Err(ApiError::field("actual", format!("feedback[{idx}] has no \"actual\"")));
    };
    Ok(Item { request_id, row, actual })
}

/// The actual as the log keeps it: a finite number for a regressor, one of
/// the training classes (as the APIs answer it) for a classifier.
fn check_actual(idx: usize, actual: &Value, classes: Option<&[ClassLabel]>) -> Result<Value, ApiError> {
    match classes {
        None => match actual.as_f64() {
            Some(value) if value.is_finite() && actual.is_number() => Ok(actual.clone()),
            _ => Err(ApiError::field(
                "actual",
                format!("feedback[{idx}].actual must be a number for this regression model, got {actual}"),
            )),
        },
        Some(classes) => {
            let matches = |class: &ClassLabel| match (class, actual) {
                (ClassLabel::Number(value), Value::Number(n)) => n.as_f64() == Some(*value),
                (ClassLabel::Text(text), Value::String(s)) => text == s,
                // A number label sent as text ("1") is the same class.
                (ClassLabel::Number(_), Value::String(s)) => class.to_string() == *s,
                _ => false,
            };
            match classes.iter().find(|class| matches(class)) {
                Some(class) => Ok(label_json(class)),
                None => {
                    let known: Vec<String> = classes.iter().map(|c| label_json(c).to_string()).collect();
                    Err(ApiError::field(
                        "actual",
                        format!(
                            "feedback[{idx}].actual {actual} is not a class of this model (classes: {})",
                            known.join(", ")
                        ),
                    ))
                }
            }
        }
    }
}

fn named(ids: &[String]) -> String {
    let mut text: Vec<String> = ids.iter().take(NAMED_IDS).map(|id| format!("\"{id}\"")).collect();
    if ids.len() > NAMED_IDS {
        text.push(format!("and {} more", ids.len() - NAMED_IDS));
    }
    text.join(", ")
}

/// `POST /feedback`.
pub async fn feedback(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if let Some(content_type) = content_type {
        let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if media != "application/json" {
            return Err(ApiError::unsupported_media_type(&media, "application/json"));
        }
    }
    let Some(log) = state.inference_log() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "feedback needs the inference log: start the server with --log-inferences DIR",
        ));
    };
    let model = state.model();
    let classes = model.artifact.pipeline.labels.as_ref().map(|l| l.classes.as_slice());
    let mut checked = Vec::new();
    for (idx, value) in items(parse_json(&body)?)?.into_iter().enumerate() {
        let item = item(idx, value)?;
        let actual = check_actual(idx, &item.actual, classes)?;
        checked.push((item, actual));
    }
    let mut unknown = Vec::new();
    let mut expired = Vec::new();
    for (item, _) in &checked {
        match log.recent.seen(&item.request_id) {
            Seen::Unknown if !unknown.contains(&item.request_id) => unknown.push(item.request_id.clone()),
            Seen::Expired if !expired.contains(&item.request_id) => expired.push(item.request_id.clone()),
            _ => {}
        }
    }
    if !unknown.is_empty() {
        return Err(ApiError::not_found(format!(
            "unknown request id {}: not given by this server, or older than the last {} requests it remembers (--feedback-ids); no feedback was recorded",
            named(&unknown),
            log.recent.capacity()
        )));
    }
    if !expired.is_empty() {
        return Err(ApiError::new(
            StatusCode::GONE,
            format!(
                "request id {} older than {} s (--feedback-max-age); no feedback was recorded",
                named(&expired),
                log.recent.max_age().as_secs()
            ),
        ));
    }
    for (idx, (item, _)) in checked.iter().enumerate() {
        if let Seen::Recent { rows } = log.recent.seen(&item.request_id) {
            if item.row >= rows {
                return Err(ApiError::field(
                    "row",
                    format!(
                        "feedback[{idx}].row {} is out of range: request \"{}\" scored {rows} row(s), numbered from 0",
                        item.row, item.request_id
                    ),
                ));
            }
        }
    }
    let time = rfc3339_millis(SystemTime::now());
    let records: Vec<FeedbackRecord> = checked
        .into_iter()
        .map(|(item, actual)| FeedbackRecord {
            time: time.clone(),
            request_id: item.request_id,
            row: item.row as u32,
            actual,
        })
        .collect();
    let accepted = records.len();
    // (prediction, actual) pairs for the live performance gauges, before the records move to the writer.
    let pairs: Vec<(Outcome, Outcome)> = records
        .iter()
        .filter_map(|r| {
            let prediction = log.recent.prediction(&r.request_id, r.row as usize)?;
            Some((prediction, outcome(&r.actual, model.artifact.pipeline.labels.as_ref())?))
        })
        .collect();
    if let Err(reason) = log.feedback(records) {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the inference log cannot take feedback now ({reason}); no feedback was recorded, retry later"),
        ));
    }
    for (prediction, actual) in pairs {
        state.live.record_actual(prediction, actual);
    }
    Ok(Json(json!({ "accepted": accepted })))
}

/// A checked actual as the live metrics read it: the number, or the class code.
fn outcome(actual: &Value, labels: Option<&mlship_learn::LabelEncoding>) -> Option<Outcome> {
    match labels {
        None => actual.as_f64().map(Outcome::Number),
        Some(labels) => {
            let text = match actual {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            labels.code_of_text(&text).ok().map(Outcome::Class)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_remembered_up_to_the_count_and_age() {
        let recent = RecentRequests::new(2, Duration::from_secs(3600));
        recent.remember("a", 1, &[]);
        recent.remember("b", 3, &[Outcome::Number(1.0), Outcome::Number(2.0)]);
        assert_eq!(recent.seen("b"), Seen::Recent { rows: 3 });
        recent.remember("a", 2, &[]);
        recent.remember("c", 1, &[]);
        // "b" is the oldest now that "a" was renewed.
        assert_eq!(recent.seen("b"), Seen::Unknown);
        assert_eq!(recent.seen("a"), Seen::Recent { rows: 2 });
        assert_eq!(recent.seen("c"), Seen::Recent { rows: 1 });
        let expiring = RecentRequests::new(10, Duration::ZERO);
        expiring.remember("old", 1, &[]);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(expiring.seen("old"), Seen::Expired);
    }

    #[test]
    fn actuals_are_checked_against_the_task() {
        assert_eq!(check_actual(0, &json!(3.5), None).unwrap(), json!(3.5));
        assert!(check_actual(0, &json!("3.5"), None).is_err());
        let classes = [ClassLabel::Number(0.0), ClassLabel::Number(1.0)];
        assert_eq!(check_actual(0, &json!(1.0), Some(&classes)).unwrap(), json!(1));
        assert_eq!(check_actual(0, &json!("1"), Some(&classes)).unwrap(), json!(1));
        let error = check_actual(2, &json!(2), Some(&classes)).unwrap_err();
        assert_eq!(error.message, "feedback[2].actual 2 is not a class of this model (classes: 0, 1)");
        let text = [ClassLabel::Text("no".into()), ClassLabel::Text("yes".into())];
        assert_eq!(check_actual(0, &json!("yes"), Some(&text)).unwrap(), json!("yes"));
        assert!(check_actual(0, &json!(1), Some(&text)).is_err());
    }
}
