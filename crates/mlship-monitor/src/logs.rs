//! The records `serve` writes and `monitor` reads: one JSON object per line,
//! in gzip files (see ARCHITECTURE.md, "Inference logs").

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};

/// One scored row, as `serve --log-inferences DIR` writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferenceRecord {
    /// When it was scored, RFC 3339 in UTC with milliseconds.
    pub time: String,
    /// The request's id (the `x-request-id` the client sent or was given).
    pub request_id: String,
    /// The row's position in its request, from 0.
    pub row: u32,
    /// The served model's name.
    pub model_name: String,
    /// The served model's version: a digest prefix for a file, the number for the registry.
    pub model_version: String,
    /// The artifact's payload sha256: which exact model scored the row.
    pub model_digest: String,
    /// The row as received: input column → number, text or null.
    pub inputs: serde_json::Map<String, serde_json::Value>,
    /// The prediction: a number (regression) or the original label (classification).
    pub prediction: serde_json::Value,
    /// For a classifier, the probability of the predicted class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction_score: Option<f64>,
}

/// One actual value, as `POST /feedback` writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackRecord {
    /// When the feedback arrived, RFC 3339 in UTC with milliseconds.
    pub time: String,
    /// The request the actual belongs to.
    pub request_id: String,
    /// The row of that request, from 0.
    #[serde(default)]
    pub row: u32,
    /// The actual value: a number (regression) or a label (classification).
    pub actual: serde_json::Value,
}

/// File names: `inferences-<UTC start>-<sequence>.jsonl.gz` and `feedback-…`.
pub const INFERENCE_PREFIX: &str = "inferences-";
/// The prefix of feedback files.
pub const FEEDBACK_PREFIX: &str = "feedback-";
/// The suffix of every log file.
pub const LOG_SUFFIX: &str = ".jsonl.gz";

/// What reading a log folder found: the records, and what could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRead<T = InferenceRecord> {
    /// The records, file by file in the order the files were started, each file's lines in order.
    pub records: Vec<T>,
    /// How many log files were read.
    pub files: usize,
    /// Lines that are not a record: not JSON, not this record's shape, or
    /// cut short (the last line of a file still being written or cut by a crash).
    pub unreadable_lines: usize,
    /// Files whose gzip stream ends early: the one `serve` is writing now, or
    /// one a crash or a full disk cut. Every complete line before the cut is read.
    pub truncated_files: Vec<String>,
}

/// What stops a log folder from being read at all.
#[allow(
    missing_docs,
    reason = "each variant's #[error] message documents it; its fields are the values that message names"
)]
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{path}: cannot read the log folder: {source}")]
    Folder { path: String, source: std::io::Error },
    #[error("{path}: cannot read the log file: {source}")]
    File { path: String, source: std::io::Error },
}

/// The log files of one kind in `dir`, oldest first. Names sort by the UTC
/// time the file was started, then its sequence number, so the name's order
/// is the time order (`inferences-20261201T042508.123Z-000001.jsonl.gz`).
pub fn log_files(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>, LogError> {
    let folder_error = |source| LogError::Folder { path: dir.display().to_string(), source };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(folder_error)? {
        let entry = entry.map_err(folder_error)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(prefix) && name.ends_with(LOG_SUFFIX) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// The scored rows logged in `dir` whose `time` is at or after `since` and
/// before `until` (RFC 3339 in UTC, compared as text, so a prefix such as
/// `2026-12-01` or `2026-12-01T10` also works). A file still being written,
/// or one cut short, gives every complete line before its end.
pub fn read_inferences(dir: &Path, since: Option<&str>, until: Option<&str>) -> Result<LogRead, LogError> {
    let mut read = read_kind::<InferenceRecord>(dir, INFERENCE_PREFIX)?;
    read.records.retain(|record| {
        since.is_none_or(|since| record.time.as_str() >= since)
            && until.is_none_or(|until| record.time.as_str() < until)
    });
    Ok(read)
}

/// Every actual value `POST /feedback` logged in `dir`, oldest first.
pub fn read_feedback(dir: &Path) -> Result<LogRead<FeedbackRecord>, LogError> {
    read_kind::<FeedbackRecord>(dir, FEEDBACK_PREFIX)
}

fn read_kind<T: DeserializeOwned>(dir: &Path, prefix: &str) -> Result<LogRead<T>, LogError> {
    let files = log_files(dir, prefix)?;
    let mut read =
        LogRead { records: Vec::new(), files: files.len(), unreadable_lines: 0, truncated_files: Vec::new() };
    for path in files {
        let (text, complete) = decompress(&path)?;
        if !complete {
            read.truncated_files.push(path.display().to_string());
        }
        for line in text.split(|&b| b == b'\n') {
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice::<T>(line) {
                Ok(record) => read.records.push(record),
                Err(_) => read.unreadable_lines += 1,
            }
        }
    }
    Ok(read)
}

/// The text of a gzip file of one or more members (`serve` finishes a member
/// at every flush), and whether it ended cleanly. A stream cut short gives
/// every byte decoded before the cut.
fn decompress(path: &Path) -> Result<(Vec<u8>, bool), LogError> {
    let file =
        std::fs::File::open(path).map_err(|source| LogError::File { path: path.display().to_string(), source })?;
    let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
    let mut text = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match decoder.read(&mut chunk) {
            Ok(0) => return Ok((text, true)),
            Ok(n) => text.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            // A cut stream (UnexpectedEof) or a damaged one (InvalidInput,
            // InvalidData): keep what was decoded; a half line will not parse.
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::InvalidInput
                        | std::io::ErrorKind::InvalidData
                ) =>
            {
                return Ok((text, false))
            }
            Err(source) => return Err(LogError::File { path: path.display().to_string(), source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn record(time: &str, request_id: &str, row: u32) -> InferenceRecord {
        InferenceRecord {
            time: time.to_string(),
            request_id: request_id.to_string(),
            row,
            model_name: "m".into(),
            model_version: "1".into(),
            model_digest: "0".repeat(64),
            inputs: serde_json::Map::new(),
            prediction: serde_json::json!(1.5),
            prediction_score: None,
        }
    }

    fn member(records: &[InferenceRecord]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        for record in records {
            serde_json::to_writer(&mut encoder, record).unwrap();
            encoder.write_all(b"\n").unwrap();
        }
        encoder.finish().unwrap()
    }

    #[test]
    fn reads_every_member_in_name_order_and_filters_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = [record("2026-12-01T10:00:00.000Z", "a", 0), record("2026-12-01T10:00:01.000Z", "a", 1)];
        let second = [record("2026-12-01T11:00:00.000Z", "b", 0)];
        let mut bytes = member(&first[..1]);
        bytes.extend(member(&first[1..]));
        std::fs::write(dir.path().join("inferences-20261201T100000.000Z-000001.jsonl.gz"), bytes).unwrap();
        std::fs::write(dir.path().join("inferences-20261201T110000.000Z-000002.jsonl.gz"), member(&second)).unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"not a log").unwrap();
        let read = read_inferences(dir.path(), None, None).unwrap();
        assert_eq!(read.files, 2);
        assert_eq!(read.records, [first[0].clone(), first[1].clone(), second[0].clone()]);
        assert_eq!((read.unreadable_lines, read.truncated_files.len()), (0, 0));
        let window = read_inferences(dir.path(), Some("2026-12-01T10:00:01"), Some("2026-12-01T11")).unwrap();
        assert_eq!(window.records, [first[1].clone()]);
    }

    #[test]
    fn a_file_cut_mid_member_gives_its_complete_lines_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let finished = [record("2026-12-01T10:00:00.000Z", "a", 0)];
        let rows: Vec<InferenceRecord> =
            (0..200).map(|i| record("2026-12-01T10:00:02.000Z", &format!("id-{i:04}-{}", "x".repeat(40)), i)).collect();
        let mut bytes = member(&finished);
        let cut = member(&rows);
        // The second member loses its tail, as a file still being written or cut by a crash does.
        bytes.extend_from_slice(&cut[..cut.len() * 2 / 3]);
        let path = dir.path().join("inferences-20261201T100000.000Z-000001.jsonl.gz");
        std::fs::write(&path, bytes).unwrap();
        let read = read_inferences(dir.path(), None, None).unwrap();
        assert_eq!(read.truncated_files, [path.display().to_string()]);
        assert_eq!(read.records[0], finished[0]);
        // Every line decoded before the cut is whole and in order; at most the last is half.
        assert!(read.records.len() > 1 && read.records.len() < 201, "{}", read.records.len());
        for (idx, record) in read.records[1..].iter().enumerate() {
            assert_eq!(record, &rows[idx]);
        }
        assert!(read.unreadable_lines <= 1);
    }

    #[test]
    fn feedback_and_broken_lines_are_counted_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder
            .write_all(b"{\"time\":\"t\",\"request_id\":\"a\",\"row\":0,\"actual\":3}\nnot json\n{\"time\":1}\n")
            .unwrap();
        std::fs::write(dir.path().join("feedback-20261201T100000.000Z-000001.jsonl.gz"), encoder.finish().unwrap())
            .unwrap();
        let read = read_feedback(dir.path()).unwrap();
        assert_eq!(read.records.len(), 1);
        assert_eq!(read.records[0].actual, serde_json::json!(3));
        assert_eq!(read.unreadable_lines, 2);
        assert!(read.truncated_files.is_empty());
        let missing = read_inferences(&dir.path().join("nowhere"), None, None).unwrap_err();
        assert!(missing.to_string().contains("nowhere: cannot read the log folder"), "{missing}");
    }
}
