//! A classification target's label encoding, as PyCaret's `LabelEncoder`
//! step: the distinct labels sorted (numbers numerically, text by code point,
//! as `np.unique` sorts them), each row's label replaced by its position.
//! The encoding is kept in the artifact, so predictions come back as the
//! original labels.

use crate::LearnError;
use mlship_data::{Column, MISSING_CODE};
use serde::{Deserialize, Serialize};

/// One class label as the data spell it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClassLabel {
    /// A numeric label (`0`, `1`, `3.5`).
    Number(f64),
    /// A text label (`"yes"`).
    Text(String),
}

impl std::fmt::Display for ClassLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClassLabel::Number(value) => write!(f, "{value}"),
            ClassLabel::Text(text) => f.write_str(text),
        }
    }
}

/// The sorted classes of a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelEncoding {
    /// The classes, sorted; a class's code is its position.
    pub classes: Vec<ClassLabel>,
}

/// A target encoded for a classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedTarget {
    /// The encoding (sorted classes).
    pub encoding: LabelEncoding,
    /// Each row's class code.
    pub codes: Vec<usize>,
    /// Labels that differ only in case or surrounding whitespace (kept
    /// distinct, as PyCaret does, but probably a data error): one line each.
    pub warnings: Vec<String>,
}

impl LabelEncoding {
    /// Encodes a target column (no missing cells: the caller drops those
    /// rows). A target with a single class cannot be learned.
    pub fn fit(target: &str, column: &Column) -> Result<EncodedTarget, LearnError> {
        let (encoding, codes) = match column {
            Column::Numeric(values) => {
                if let Some(row) = values.iter().position(|v| !v.is_finite()) {
                    return Err(LearnError::InvalidOption(format!(
                        "target \"{target}\": row {row} is {} (a class label must be present and finite)",
                        values[row]
                    )));
                }
                let mut classes = values.clone();
                classes.sort_by(f64::total_cmp);
                classes.dedup();
                let codes =
                    values.iter().map(|v| classes.binary_search_by(|c| c.total_cmp(v)).unwrap_or_default()).collect();
                (LabelEncoding { classes: classes.into_iter().map(ClassLabel::Number).collect() }, codes)
            }
            Column::Categorical(column) => {
                if let Some(row) = column.codes.iter().position(|&code| code == MISSING_CODE) {
                    return Err(LearnError::InvalidOption(format!(
                        "target \"{target}\": row {row} has no label (drop rows with a missing target first)"
                    )));
                }
                // Only the levels some row uses, sorted by code point (Rust's `str` order).
                let mut used = vec![false; column.levels.len()];
                column.codes.iter().for_each(|&code| used[code as usize] = true);
                let mut order: Vec<usize> = (0..column.levels.len()).filter(|&level| used[level]).collect();
                order.sort_by(|&a, &b| column.levels[a].cmp(&column.levels[b]));
                let mut code_of_level = vec![0usize; column.levels.len()];
                for (code, &level) in order.iter().enumerate() {
                    code_of_level[level] = code;
                }
                let classes = order.iter().map(|&level| ClassLabel::Text(column.levels[level].clone())).collect();
                (LabelEncoding { classes }, column.codes.iter().map(|&code| code_of_level[code as usize]).collect())
            }
        };
        if encoding.classes.len() < 2 {
            return Err(LearnError::InvalidOption(format!(
                "target \"{target}\" has a single class ({}): classification needs at least two",
                encoding.classes.first().map_or_else(String::new, ToString::to_string)
            )));
        }
        let warnings = encoding.near_duplicates(target);
        Ok(EncodedTarget { encoding, codes, warnings })
    }

    /// The number of classes.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// Whether the labels are the numbers 0 and 1: PyCaret then scores
    /// Recall, Prec. and F1 as "binary" (see `class_metrics`).
    pub fn zero_one_labels(&self) -> bool {
        self.classes.iter().all(|class| matches!(class, ClassLabel::Number(v) if *v == 0.0 || *v == 1.0))
    }

    /// The label of a class code.
    pub fn label(&self, code: usize) -> Option<&ClassLabel> {
        self.classes.get(code)
    }

    /// The code of a label read from data, or an error naming the label and
    /// the known classes (a label never seen in training).
    pub fn code_of_text(&self, text: &str) -> Result<usize, LearnError> {
        let found = self.classes.iter().position(|class| match class {
            ClassLabel::Text(label) => label == text,
            ClassLabel::Number(value) => text.trim().parse::<f64>().is_ok_and(|v| v == *value),
        });
        found.ok_or_else(|| {
            let known: Vec<String> = self.classes.iter().map(ToString::to_string).collect();
            LearnError::InvalidOption(format!(
                "label \"{text}\" was not seen in training (classes: {})",
                known.join(", ")
            ))
        })
    }

    fn near_duplicates(&self, target: &str) -> Vec<String> {
        let mut warnings = Vec::new();
        let texts: Vec<&str> = self
            .classes
            .iter()
            .filter_map(|class| match class {
                ClassLabel::Text(text) => Some(text.as_str()),
                ClassLabel::Number(_) => None,
            })
            .collect();
        for (i, a) in texts.iter().enumerate() {
            for b in &texts[i + 1..] {
                if a.trim().to_lowercase() == b.trim().to_lowercase() {
                    warnings.push(format!(
                        "target \"{target}\": labels {a:?} and {b:?} differ only in case or whitespace; \
                         they are kept as two classes"
                    ));
                }
            }
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlship_data::CategoricalBuilder;

    fn text_column(values: &[&str]) -> Column {
        let mut builder = CategoricalBuilder::default();
        values.iter().for_each(|v| builder.push(Some(v)));
        Column::Categorical(builder.finish())
    }

    #[test]
    fn classes_are_sorted_as_numpy_unique() {
        let encoded = LabelEncoding::fit("y", &text_column(&["no", "yes", "No", "no", "Ärger"])).unwrap();
        let labels: Vec<String> = encoded.encoding.classes.iter().map(ToString::to_string).collect();
        assert_eq!(labels, ["No", "no", "yes", "Ärger"]);
        assert_eq!(encoded.codes, [1, 2, 0, 1, 3]);
        assert_eq!(encoded.warnings.len(), 1, "{:?}", encoded.warnings);
        assert!(!encoded.encoding.zero_one_labels());
        let numbers = LabelEncoding::fit("y", &Column::Numeric(vec![1.0, 0.0, 1.0])).unwrap();
        assert_eq!(numbers.codes, [1, 0, 1]);
        assert!(numbers.encoding.zero_one_labels());
        assert_eq!(numbers.encoding.code_of_text("1").unwrap(), 1);
        let three = LabelEncoding::fit("y", &Column::Numeric(vec![10.0, 2.0, 3.0])).unwrap();
        assert_eq!(three.codes, [2, 0, 1]);
    }

    #[test]
    fn one_class_unseen_labels_and_missing_cells_are_clear_errors() {
        let error = LabelEncoding::fit("churn", &text_column(&["yes", "yes"])).unwrap_err().to_string();
        assert!(error.contains("single class (yes)"), "{error}");
        let encoded = LabelEncoding::fit("churn", &text_column(&["yes", "no"])).unwrap();
        let error = encoded.encoding.code_of_text("maybe").unwrap_err().to_string();
        assert!(error.contains("\"maybe\"") && error.contains("no, yes"), "{error}");
        let error = LabelEncoding::fit("y", &Column::Numeric(vec![1.0, f64::NAN])).unwrap_err().to_string();
        assert!(error.contains("row 1"), "{error}");
    }
}
