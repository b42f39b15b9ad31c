//! `serve --log-inferences DIR`: every scored row, and every actual value
//! `POST /feedback` accepts, as one JSON line in size-rotated gzip files
//! (`mlship_monitor::logs` has the record types and the reader).
//!
//! Off the request path: a handler only moves the parsed table and a copy of
//! the predictions into a queue bounded in rows, and one writer thread turns
//! them into lines, compresses and writes. A full queue, a full disk or a
//! folder that went away is a counted, logged (at most once per 10 s per
//! reason) drop, never a failed prediction.
//!
//! Each file is a series of gzip members: the writer finishes the member under
//! way at least every second (and when it holds `member_limit` bytes), so a
//! crash loses at most the last second, and every finished member is readable
//! by zcat, jq and pandas while the file is still growing. A file is closed
//! once it passes `rotate_bytes`; when the folder's log files pass
//! `max_bytes`, the oldest go. On shutdown the queue is drained and the last
//! members finished before the server exits.

use crate::api::label_json;
use crate::feedback::{RecentRequests, PREDICTIONS_KEPT};
use crate::state::ServedModel;
use flate2::write::GzEncoder;
use flate2::Compression;
use mlship_data::{Column, Table};
use mlship_learn::Predictions;
use mlship_monitor::live::Outcome;
use mlship_monitor::logs::{FeedbackRecord, InferenceRecord, FEEDBACK_PREFIX, INFERENCE_PREFIX, LOG_SUFFIX};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use thiserror::Error;

/// Files are closed past this size unless `--log-rotate-bytes` says otherwise (64 MiB).
pub const DEFAULT_ROTATE_BYTES: u64 = 64 * 1024 * 1024;
/// The folder's log files are kept under this many bytes unless `--log-max-bytes` says otherwise (1 GiB).
pub const DEFAULT_MAX_BYTES: u64 = 1024 * 1024 * 1024;
/// Rows waiting for the writer at most, unless `--log-queue-rows` says otherwise.
pub const DEFAULT_QUEUE_ROWS: usize = 100_000;
/// Request ids remembered for `POST /feedback`, unless `--feedback-ids` says otherwise.
pub const DEFAULT_FEEDBACK_IDS: usize = 100_000;
/// How long a request id takes feedback, unless `--feedback-max-age` says otherwise (24 h).
pub const DEFAULT_FEEDBACK_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// A member is finished at least this often, so a crash loses at most this much.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Drops of one reason are logged at most this often (with the count since the last line).
const DROP_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// The reasons a row is dropped, the `reason` label of `mlship_inference_log_dropped_total`.
pub const DROP_REASONS: [&str; 4] = ["queue_full", "disk_full", "unwritable", "shutdown"];

/// Where and how much to log.
#[derive(Debug, Clone)]
pub struct InferenceLogConfig {
    /// The folder the files go to (created if missing).
    pub dir: PathBuf,
    /// A file is closed once it holds this many bytes (it may pass it by one member).
    pub rotate_bytes: u64,
    /// The folder's log files are kept under this many bytes: the oldest go first.
    pub max_bytes: u64,
    /// Rows waiting for the writer at most; more are dropped (and counted).
    pub queue_rows: usize,
    /// Request ids remembered for feedback at most (the oldest are forgotten).
    pub feedback_ids: usize,
    /// Feedback for a request older than this is refused (410).
    pub feedback_max_age: Duration,
}

impl InferenceLogConfig {
    /// Logging into `dir` with the documented defaults.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        InferenceLogConfig {
            dir: dir.into(),
            rotate_bytes: DEFAULT_ROTATE_BYTES,
            max_bytes: DEFAULT_MAX_BYTES,
            queue_rows: DEFAULT_QUEUE_ROWS,
            feedback_ids: DEFAULT_FEEDBACK_IDS,
            feedback_max_age: DEFAULT_FEEDBACK_MAX_AGE,
        }
    }

    /// The uncompressed bytes after which a member is finished early: a
    /// quarter of a file, so rotation happens near its size, and at most
    /// 1 MiB, so a busy server still finishes members often.
    fn member_limit(&self) -> u64 {
        (self.rotate_bytes / 4).clamp(1, 1024 * 1024)
    }
}

/// What stops inference logging from starting: the user asked for it, so a
/// folder that cannot be written is a start-up error, not a silent drop.
#[allow(
    missing_docs,
    reason = "each variant's #[error] message documents it; its fields are the values that message names"
)]
#[derive(Debug, Error)]
pub enum InferenceLogError {
    #[error("--log-inferences {path}: cannot create or write the folder: {source}")]
    Folder { path: String, source: io::Error },
    #[error("invalid option: {0}")]
    Invalid(String),
}

/// The counters the writer and the handlers share with `/metrics`.
#[derive(Clone, Default)]
pub struct LogCounters {
    /// Inference rows written into finished gzip members.
    pub records: Counter,
    /// Feedback rows written into finished gzip members.
    pub feedback: Counter,
    /// Rows dropped, by reason.
    pub dropped: Family<crate::metrics::ReasonLabels, Counter>,
}

/// Counts drops and logs them, at most once per reason every 10 s, so a full
/// disk does not also flood the server's own log.
struct Drops {
    counters: LogCounters,
    last: Mutex<HashMap<&'static str, (Option<Instant>, u64)>>,
}

impl Drops {
    fn record(&self, reason: &'static str, rows: u64, detail: &dyn std::fmt::Display) {
        if rows == 0 {
            return;
        }
        self.counters.dropped.get_or_create(&crate::metrics::ReasonLabels { reason: reason.to_string() }).inc_by(rows);
        let Ok(mut last) = self.last.lock() else { return };
        let entry = last.entry(reason).or_insert((None, 0));
        entry.1 += rows;
        if entry.0.is_none_or(|at| at.elapsed() >= DROP_LOG_INTERVAL) {
            tracing::warn!(target: "mlship::inference_log", reason, rows = entry.1, "inference log: rows dropped ({detail}); predictions are still answered");
            *entry = (Some(Instant::now()), 0);
        }
    }
}

/// One request's scored rows, as the handler hands them over.
struct ScoredRows {
    time: SystemTime,
    request_id: String,
    model: Arc<ServedModel>,
    table: Table,
    predictions: Predictions,
}

enum Message {
    Scored(ScoredRows),
    Feedback(Vec<FeedbackRecord>),
    Close,
}

impl Message {
    fn rows(&self) -> usize {
        match self {
            Message::Scored(scored) => scored.predictions.len(),
            Message::Feedback(records) => records.len(),
            Message::Close => 0,
        }
    }
}

/// The running inference log: the queue's sending end, the writer thread, and
/// the request ids remembered for feedback.
pub struct InferenceLog {
    sender: Sender<Message>,
    queued: Arc<AtomicUsize>,
    capacity: usize,
    drops: Arc<Drops>,
    writer: Mutex<Option<JoinHandle<()>>>,
    dir: PathBuf,
    /// Recent request ids, for `POST /feedback`.
    pub recent: RecentRequests,
}

impl InferenceLog {
    /// Checks the folder can be written (creating it), then starts the writer.
    pub fn start(config: InferenceLogConfig, counters: LogCounters) -> Result<Self, InferenceLogError> {
        if config.rotate_bytes == 0 {
            return Err(InferenceLogError::Invalid("--log-rotate-bytes must be at least 1".into()));
        }
        if config.max_bytes < config.rotate_bytes.saturating_mul(2) {
            return Err(InferenceLogError::Invalid(format!(
                "--log-max-bytes ({}) must be at least twice --log-rotate-bytes ({}): the file being written and the one before it",
                config.max_bytes, config.rotate_bytes
            )));
        }
        if config.feedback_ids == 0 {
            return Err(InferenceLogError::Invalid("--feedback-ids must be at least 1".into()));
        }
        check_writable(&config.dir)
            .map_err(|source| InferenceLogError::Folder { path: config.dir.display().to_string(), source })?;
        for reason in DROP_REASONS {
            let _ = counters.dropped.get_or_create(&crate::metrics::ReasonLabels { reason: reason.to_string() });
        }
        let drops = Arc::new(Drops { counters: counters.clone(), last: Mutex::new(HashMap::new()) });
        let (sender, receiver) = mpsc::channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let mut writer = Writer {
            config: config.clone(),
            inferences: Sink::new(INFERENCE_PREFIX),
            feedback: Sink::new(FEEDBACK_PREFIX),
            counters,
            drops: drops.clone(),
            queued: queued.clone(),
            sequence: 0,
            line: Vec::new(),
        };
        writer.enforce_budget();
        let thread = std::thread::Builder::new()
            .name("mlship-inference-log".into())
            .spawn(move || writer.run(&receiver))
            .map_err(|source| InferenceLogError::Folder { path: config.dir.display().to_string(), source })?;
        tracing::info!(target: "mlship::inference_log", dir = %config.dir.display(), rotate_bytes = config.rotate_bytes, max_bytes = config.max_bytes, "logging every scored row");
        Ok(InferenceLog {
            sender,
            queued,
            capacity: config.queue_rows,
            drops,
            writer: Mutex::new(Some(thread)),
            dir: config.dir,
            recent: RecentRequests::new(config.feedback_ids, config.feedback_max_age),
        })
    }

    /// The folder logged to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queues `message` unless the queue's rows would pass its bound; the reason otherwise.
    fn enqueue(&self, message: Message) -> Result<(), &'static str> {
        let rows = message.rows();
        let before = self.queued.fetch_add(rows, Ordering::SeqCst);
        if before + rows > self.capacity {
            self.queued.fetch_sub(rows, Ordering::SeqCst);
            return Err("queue_full");
        }
        if self.sender.send(message).is_err() {
            self.queued.fetch_sub(rows, Ordering::SeqCst);
            return Err("shutdown");
        }
        Ok(())
    }

    /// Hands a request's scored rows to the writer and remembers its id for
    /// feedback; never fails the request (a drop is counted and logged).
    pub fn scored(&self, request_id: &str, model: Arc<ServedModel>, table: Table, predictions: &Predictions) {
        let rows = predictions.len();
        let outcomes: Vec<Outcome> = match predictions {
            Predictions::Regression(values) => {
                values.iter().take(PREDICTIONS_KEPT).map(|&v| Outcome::Number(v)).collect()
            }
            Predictions::Classification(classes) => {
                classes.codes.iter().take(PREDICTIONS_KEPT).map(|&c| Outcome::Class(c)).collect()
            }
        };
        self.recent.remember(request_id, rows, &outcomes);
        let message = Message::Scored(ScoredRows {
            time: SystemTime::now(),
            request_id: request_id.to_string(),
            model,
            table,
            predictions: predictions.clone(),
        });
        if let Err(reason) = self.enqueue(message) {
            self.drops.record(reason, rows as u64, &format_args!("the queue holds {} rows at most", self.capacity));
        }
    }

    /// Hands accepted feedback to the writer; the reason when the queue cannot take it
    /// (the client is told to retry: feedback is not a prediction).
    pub fn feedback(&self, records: Vec<FeedbackRecord>) -> Result<(), &'static str> {
        self.enqueue(Message::Feedback(records))
    }

    /// Drains the queue, finishes the files and stops the writer; waits for it.
    /// Rows handed over later are dropped with reason `shutdown`.
    pub fn close(&self) {
        let _ = self.sender.send(Message::Close);
        let thread = self.writer.lock().ok().and_then(|mut writer| writer.take());
        if let Some(thread) = thread {
            if thread.join().is_err() {
                tracing::error!(target: "mlship::inference_log", "the inference log writer stopped with a panic");
            }
        }
    }
}

/// Creates `dir` if needed and writes and removes a file in it.
fn check_writable(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".mlship-write-check-{}", std::process::id()));
    let written = File::create(&probe).and_then(|mut file| file.write_all(b"ok"));
    let _ = std::fs::remove_file(&probe);
    written
}

/// The drop reason of a write error: a full disk or quota, or a folder that cannot be written.
fn reason_of(error: &io::Error) -> &'static str {
    match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge => "disk_full",
        _ => "unwritable",
    }
}

/// An input number as JSON: whole numbers as integers (`19`, as clients send
/// ages and counts), others as they are, missing (NaN) as null.
fn number_json(value: f64) -> serde_json::Value {
    if value.is_nan() {
        serde_json::Value::Null
    } else if value.fract() == 0.0 && value.abs() < 9.0e15 {
        serde_json::json!(value as i64)
    } else {
        serde_json::json!(value)
    }
}

/// RFC 3339 in UTC with milliseconds: `2026-12-01T04:25:08.123Z`.
pub fn rfc3339_millis(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let t = mlship_data::date::UtcTime::from_unix_seconds(since.as_secs() as i64);
    format!("{}T{:02}:{:02}:{:02}.{:03}Z", t.date.iso(), t.hour, t.minute, t.second, since.subsec_millis())
}

/// The same moment for a file name: `20261201T042508.123Z`.
fn compact_stamp(time: SystemTime) -> String {
    rfc3339_millis(time).replace(['-', ':'], "")
}

/// One open log file, between members or inside one.
struct OpenFile {
    path: PathBuf,
    /// The file between members; `None` while a member holds it.
    idle: Option<File>,
    member: Option<GzEncoder<File>>,
    disk_bytes: u64,
    member_bytes: u64,
    /// Rows written into the member under way, counted once it is finished.
    pending: u64,
}

/// The files of one kind (inferences or feedback).
struct Sink {
    prefix: &'static str,
    open: Option<OpenFile>,
}

impl Sink {
    fn new(prefix: &'static str) -> Self {
        Sink { prefix, open: None }
    }
}

struct Writer {
    config: InferenceLogConfig,
    inferences: Sink,
    feedback: Sink,
    counters: LogCounters,
    drops: Arc<Drops>,
    queued: Arc<AtomicUsize>,
    sequence: u64,
    line: Vec<u8>,
}

#[derive(Clone, Copy)]
enum Kind {
    Inferences,
    Feedback,
}

impl Writer {
    fn run(&mut self, receiver: &mpsc::Receiver<Message>) {
        let mut last_flush = Instant::now();
        loop {
            let wait = FLUSH_INTERVAL.saturating_sub(last_flush.elapsed());
            match receiver.recv_timeout(wait) {
                Ok(Message::Close) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(message) => self.handle(message),
                Err(RecvTimeoutError::Timeout) => {}
            }
            if last_flush.elapsed() >= FLUSH_INTERVAL {
                self.finish_members(false);
                last_flush = Instant::now();
            }
        }
        // Rows a request still handed over while Close was on its way are written too.
        while let Ok(message) = receiver.try_recv() {
            self.handle(message);
        }
        // Everything queued before Close is written: finish, sync and close.
        self.finish_members(true);
        tracing::info!(target: "mlship::inference_log", "inference log closed: every queued row is written");
    }

    fn handle(&mut self, message: Message) {
        self.queued.fetch_sub(message.rows(), Ordering::SeqCst);
        match message {
            Message::Scored(scored) => {
                let rows = self.inference_lines(&scored);
                self.write(Kind::Inferences, rows);
            }
            Message::Feedback(records) => {
                self.line.clear();
                for record in &records {
                    // A record of strings and JSON values always serializes.
                    let _ = serde_json::to_writer(&mut self.line, record);
                    self.line.push(b'\n');
                }
                self.write(Kind::Feedback, records.len() as u64);
            }
            Message::Close => {}
        }
    }

    /// The lines for one request's rows, in `self.line`; the number of rows.
    fn inference_lines(&mut self, scored: &ScoredRows) -> u64 {
        self.line.clear();
        let time = rfc3339_millis(scored.time);
        let model = &scored.model;
        let labels = model.artifact.pipeline.labels.as_ref();
        let rows = scored.predictions.len();
        for row in 0..rows {
            let inputs = scored
                .table
                .names
                .iter()
                .zip(&scored.table.columns)
                .map(|(name, column)| {
                    let value = match column {
                        Column::Numeric(values) => {
                            values.get(row).copied().map_or(serde_json::Value::Null, number_json)
                        }
                        Column::Categorical(column) => column
                            .codes
                            .get(row)
                            .and_then(|_| column.value(row))
                            .map_or(serde_json::Value::Null, |v| serde_json::json!(v)),
                    };
                    (name.clone(), value)
                })
                .collect();
            let (prediction, prediction_score) = match &scored.predictions {
                Predictions::Regression(values) => (serde_json::json!(values[row]), None),
                Predictions::Classification(classes) => (
                    labels.and_then(|l| l.label(classes.codes[row])).map_or(serde_json::Value::Null, label_json),
                    classes.score(row),
                ),
            };
            let record = InferenceRecord {
                time: time.clone(),
                request_id: scored.request_id.clone(),
                row: row as u32,
                model_name: model.name.clone(),
                model_version: model.version.clone(),
                model_digest: model.digest.clone(),
                inputs,
                prediction,
                prediction_score,
            };
            let _ = serde_json::to_writer(&mut self.line, &record);
            self.line.push(b'\n');
        }
        rows as u64
    }

    fn sink(&mut self, kind: Kind) -> &mut Sink {
        match kind {
            Kind::Inferences => &mut self.inferences,
            Kind::Feedback => &mut self.feedback,
        }
    }

    /// Writes `self.line` (holding `rows` rows) to the kind's file, opening
    /// one if none is open; on an error the rows of the member under way and
    /// these are dropped, and the file is given up (the next write opens another).
    fn write(&mut self, kind: Kind, rows: u64) {
        if rows == 0 {
            return;
        }
        if self.sink(kind).open.is_none() {
            match self.open_file(kind) {
                Ok(file) => self.sink(kind).open = Some(file),
                Err(error) => {
                    let detail = format!("cannot create a log file in {}: {error}", self.config.dir.display());
                    self.drops.record(reason_of(&error), rows, &detail);
                    return;
                }
            }
        }
        let limit = self.config.member_limit();
        let line = std::mem::take(&mut self.line);
        let written = self.sink(kind).open.as_mut().map_or(Ok(false), |open| {
            let mut member = match open.member.take() {
                Some(member) => member,
                None => match open.idle.take() {
                    Some(file) => GzEncoder::new(file, Compression::fast()),
                    None => return Err(io::Error::other("the log file was given up")),
                },
            };
            let result = member.write_all(&line);
            open.member = Some(member);
            result?;
            open.member_bytes += line.len() as u64;
            open.pending += rows;
            Ok(open.member_bytes >= limit)
        });
        self.line = line;
        match written {
            Ok(true) => self.finish(kind, false),
            Ok(false) => {}
            Err(error) => self.give_up(kind, &error, rows),
        }
    }

    /// Drops the kind's open file after `error`: its unfinished rows and `extra` more.
    fn give_up(&mut self, kind: Kind, error: &io::Error, extra: u64) {
        let open = self.sink(kind).open.take();
        let (path, pending) = open.map_or((String::new(), 0), |open| (open.path.display().to_string(), open.pending));
        self.drops.record(reason_of(error), pending + extra, &format_args!("cannot write {path}: {error}"));
    }

    fn finish_members(&mut self, closing: bool) {
        self.finish(Kind::Inferences, closing);
        self.finish(Kind::Feedback, closing);
    }

    /// Finishes the member under way (its rows are counted as written), and
    /// closes the file when it passed the rotation size or the server stops.
    fn finish(&mut self, kind: Kind, closing: bool) {
        let rotate = self.config.rotate_bytes;
        let Some(open) = self.sink(kind).open.as_mut() else { return };
        let mut rotated = false;
        if let Some(member) = open.member.take() {
            let finished = member.finish().and_then(|file| {
                let length = file.metadata()?.len();
                Ok((file, length))
            });
            match finished {
                Ok((file, length)) => {
                    open.disk_bytes = length;
                    open.idle = Some(file);
                    open.member_bytes = 0;
                    let pending = std::mem::take(&mut open.pending);
                    match kind {
                        Kind::Inferences => self.counters.records.inc_by(pending),
                        Kind::Feedback => self.counters.feedback.inc_by(pending),
                    };
                }
                Err(error) => {
                    self.give_up(kind, &error, 0);
                    return;
                }
            }
        }
        let Some(open) = self.sink(kind).open.as_mut() else { return };
        if closing || open.disk_bytes >= rotate {
            if let Some(file) = open.idle.take() {
                if closing {
                    // The kernel has every byte once the process exits; the
                    // sync guards against losing them with the machine.
                    let _ = file.sync_data();
                }
            }
            self.sink(kind).open = None;
            rotated = true;
        }
        if rotated || !closing {
            self.enforce_budget();
        }
    }

    /// Opens a new file, named after now and the next sequence number.
    fn open_file(&mut self, kind: Kind) -> io::Result<OpenFile> {
        let prefix = self.sink(kind).prefix;
        loop {
            self.sequence += 1;
            let name = format!("{prefix}{}-{:06}{LOG_SUFFIX}", compact_stamp(SystemTime::now()), self.sequence);
            let path = self.config.dir.join(name);
            match File::options().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(OpenFile {
                        path,
                        idle: Some(file),
                        member: None,
                        disk_bytes: 0,
                        member_bytes: 0,
                        pending: 0,
                    })
                }
                // Another server writing to the same folder took the name.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists && !self.sequence.is_multiple_of(1000) => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Removes the oldest closed log files (both kinds, by the time in their
    /// names) while the folder's log files hold more than `max_bytes`.
    fn enforce_budget(&self) {
        let open: Vec<&Path> = [&self.inferences, &self.feedback]
            .iter()
            .filter_map(|s| s.open.as_ref().map(|o| o.path.as_path()))
            .collect();
        let Ok(entries) = std::fs::read_dir(&self.config.dir) else { return };
        let mut files: Vec<(String, PathBuf, u64)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().to_str()?.to_string();
                let key = name.strip_prefix(INFERENCE_PREFIX).or_else(|| name.strip_prefix(FEEDBACK_PREFIX))?;
                if !key.ends_with(LOG_SUFFIX) {
                    return None;
                }
                let size = entry.metadata().ok()?.len();
                Some((key.to_string(), entry.path(), size))
            })
            .collect();
        let mut total: u64 = files.iter().map(|(_, _, size)| size).sum();
        if total <= self.config.max_bytes {
            return;
        }
        files.sort();
        for (_, path, size) in files {
            if total <= self.config.max_bytes {
                break;
            }
            if open.contains(&path.as_path()) {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    total -= size;
                    tracing::info!(target: "mlship::inference_log", file = %path.display(), bytes = size, max_bytes = self.config.max_bytes, "disk budget: removed the oldest log file");
                }
                Err(error) => {
                    tracing::warn!(target: "mlship::inference_log", file = %path.display(), "disk budget: cannot remove the oldest log file: {error}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_with_milliseconds() {
        let time = UNIX_EPOCH + Duration::from_millis(1_764_563_108_123);
        assert_eq!(rfc3339_millis(time), "2025-12-01T04:25:08.123Z");
        assert_eq!(compact_stamp(time), "20251201T042508.123Z");
    }

    #[test]
    fn write_errors_are_told_apart() {
        assert_eq!(reason_of(&io::Error::from(io::ErrorKind::StorageFull)), "disk_full");
        assert_eq!(reason_of(&io::Error::from_raw_os_error(28)), "disk_full");
        assert_eq!(reason_of(&io::Error::from(io::ErrorKind::PermissionDenied)), "unwritable");
        assert_eq!(reason_of(&io::Error::from(io::ErrorKind::NotFound)), "unwritable");
    }

    #[test]
    fn a_member_never_exceeds_a_quarter_file_or_a_mebibyte() {
        let mut config = InferenceLogConfig::new("x");
        assert_eq!(config.member_limit(), 1024 * 1024);
        config.rotate_bytes = 4000;
        assert_eq!(config.member_limit(), 1000);
        config.rotate_bytes = 1;
        assert_eq!(config.member_limit(), 1);
    }
}
