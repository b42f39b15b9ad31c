//! Warnings about the values of a request (unknown categorical levels, numbers
//! outside the training range), aggregated per column: a count and a few
//! short examples. One warning per row made an 80,000-row CSV with unknown
//! levels answer 40 MB, and a 500,000-character level a 500 KB header that
//! clients refuse; aggregated and truncated, an answer's warnings stay small
//! whatever the request.

use serde::Serialize;
use std::fmt::Display;

/// Examples kept per column and kind of warning.
pub const MAX_EXAMPLES: usize = 3;
/// Characters of a value kept in an example; longer ones end in "...".
pub const MAX_EXAMPLE_CHARS: usize = 40;
/// The `x-mlship-warnings` header is cut to this many bytes (curl and most
/// proxies refuse header lines much beyond a few KB).
pub const MAX_HEADER_BYTES: usize = 4096;

/// What went wrong with a value, so that the same problem in one column is counted once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WarningKind {
    UnknownLevel,
    OutOfRange,
}

/// Every value of one column with the same problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputWarning {
    pub field: String,
    pub message: String,
    /// How many values (rows) have it.
    pub count: usize,
    /// The first few, each value truncated.
    pub examples: Vec<WarningExample>,
    #[serde(skip)]
    kind: WarningKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WarningExample {
    pub row: usize,
    pub value: String,
}

/// A request's warnings, at most one entry per column and kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Warnings {
    list: Vec<InputWarning>,
}

impl Warnings {
    /// Counts one more `kind` problem in `field`; `message` is only made for
    /// the column's first one, and `value` only formatted while examples are kept.
    pub(crate) fn add(
        &mut self,
        field: &str,
        kind: WarningKind,
        row: usize,
        value: &dyn Display,
        message: impl FnOnce() -> String,
    ) {
        let index = match self.list.iter().position(|w| w.kind == kind && w.field == field) {
            Some(index) => index,
            None => {
                let entry =
                    InputWarning { field: field.to_string(), message: message(), count: 0, examples: Vec::new(), kind };
                self.list.push(entry);
                self.list.len() - 1
            }
        };
        let entry = &mut self.list[index];
        entry.count += 1;
        if entry.examples.len() < MAX_EXAMPLES {
            entry.examples.push(WarningExample { row, value: truncate(&value.to_string()) });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// One line per column and kind, for the form page.
    pub fn lines(&self) -> Vec<String> {
        self.list.iter().map(InputWarning::line).collect()
    }

    /// The `x-mlship-warnings` header: every line joined, printable ASCII
    /// only, and at most `MAX_HEADER_BYTES` long with a note when cut.
    pub fn header_text(&self) -> String {
        let text: String = self
            .lines()
            .join("; ")
            .chars()
            .map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' })
            .collect();
        if text.len() <= MAX_HEADER_BYTES {
            return text;
        }
        let note = format!(" ... [truncated: {} bytes of warnings in all]", text.len());
        // ASCII only, so every byte index is a char boundary.
        format!("{}{note}", &text[..MAX_HEADER_BYTES - note.len()])
    }
}

impl InputWarning {
    /// `region: unknown level (2 rows; e.g. row 0 "mars", row 4 "venus")`.
    fn line(&self) -> String {
        let rows = if self.count == 1 { "1 row".to_string() } else { format!("{} rows", self.count) };
        let examples: Vec<String> = self.examples.iter().map(|e| format!("row {} {:?}", e.row, e.value)).collect();
        format!("{}: {} ({rows}; e.g. {})", self.field, self.message, examples.join(", "))
    }
}

/// The first `MAX_EXAMPLE_CHARS` characters, and "..." when there were more.
fn truncate(value: &str) -> String {
    match value.char_indices().nth(MAX_EXAMPLE_CHARS) {
        Some((cut, _)) => format!("{}...", &value[..cut]),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_counted_per_column_with_a_few_short_examples() {
        let mut warnings = Warnings::default();
        let long = "x".repeat(500_000);
        for row in 0..10_000 {
            let value = if row == 1 { long.as_str() } else { "mars" };
            warnings.add("region", WarningKind::UnknownLevel, row, &value, || "unknown level".to_string());
        }
        warnings.add("age", WarningKind::OutOfRange, 3, &99.5, || "outside the training range 18 to 64".to_string());
        let list = &warnings.list;
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].count, 10_000);
        assert_eq!(list[0].examples.len(), MAX_EXAMPLES);
        assert_eq!(list[0].examples[1].value, format!("{}...", "x".repeat(MAX_EXAMPLE_CHARS)));
        assert_eq!(warnings.lines()[1], "age: outside the training range 18 to 64 (1 row; e.g. row 3 \"99.5\")");
        assert!(warnings.header_text().len() < 400, "{}", warnings.header_text());
    }

    #[test]
    fn the_header_is_bounded_and_says_it_was_cut() {
        let mut warnings = Warnings::default();
        for column in 0..500 {
            let field = format!("column_{column}_{}", "é".repeat(30));
            warnings.add(&field, WarningKind::UnknownLevel, 0, &"zzz", || "unknown level".to_string());
        }
        let header = warnings.header_text();
        assert_eq!(header.len(), MAX_HEADER_BYTES);
        assert!(header.is_ascii());
        assert!(header.contains("[truncated: "), "{header}");
    }
}
