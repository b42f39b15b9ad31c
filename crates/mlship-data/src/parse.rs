//! Cell-level parsing rules shared by every reader: which tokens mean "missing"
//! (pandas' default `na_values` plus `?`), what counts as a number, and the
//! canonical text of a number that ends up in a categorical column.

use std::borrow::Cow;

/// pandas' default missing-value tokens, plus `?` (used by the UCI datasets).
const MISSING_TOKENS: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
    "NULL", "NaN", "None", "n/a", "nan", "null", "?",
];

/// Whether a cell counts as missing (empty, or a spelling of NA pandas also treats as missing).
pub fn is_missing(cell: &str) -> bool {
    let trimmed = cell.trim();
    MISSING_TOKENS.contains(&trimmed)
}

/// A finite number, allowing surrounding spaces; `inf` and `nan` are not numbers
/// here (missing tokens are handled before, infinities are rejected so they can
/// never reach a model).
pub fn parse_number(cell: &str) -> Option<f64> {
    let trimmed = cell.trim();
    let first = trimmed.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    trimmed.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The text a numeric-looking value takes in a categorical column, so that
/// "1.50" at training and "1.5" at prediction time are the same level.
pub fn canonical_number_text(value: f64) -> String {
    format!("{value}")
}

/// A cell that reads as a number but not a finite one (`inf`, `-Infinity`,
/// `1e400`). Every reader refuses it, naming its line and column, in training
/// and prediction alike: it is neither a number a model can use nor a level.
pub fn is_non_finite_number(cell: &str) -> bool {
    let trimmed = cell.trim();
    !is_missing(trimmed) && trimmed.parse::<f64>().is_ok_and(|v| !v.is_finite())
}

/// The message for such a cell, the same in every reader.
pub fn non_finite_message(cell: &str) -> String {
    format!("{cell:?} is not a finite number (infinite values are refused in training and prediction)")
}

/// Canonical text of a categorical cell: numbers canonicalised, other text kept
/// as written (pandas does not strip spaces from strings either).
pub fn canonical_level(cell: &str) -> Cow<'_, str> {
    match parse_number(cell) {
        Some(value) => Cow::Owned(canonical_number_text(value)),
        None => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tokens_are_recognised_with_spaces() {
        for token in ["", "NA", "NaN", "null", "?", " NA ", "None"] {
            assert!(is_missing(token), "{token:?}");
        }
        assert!(!is_missing("0"));
        assert!(!is_missing("no"));
    }

    #[test]
    fn numbers_parse_but_words_and_infinities_do_not() {
        assert_eq!(parse_number(" 27.9 "), Some(27.9));
        assert_eq!(parse_number("-1e3"), Some(-1000.0));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("1e999"), None);
        assert_eq!(parse_number("yes"), None);
        assert_eq!(canonical_level("1.50"), "1.5");
        assert_eq!(canonical_level("male"), "male");
    }
}
