//! Type inference while reading: every column starts numeric and becomes
//! categorical at its first non-numeric, non-missing cell. The cells already
//! read are turned into their canonical text, which is the text they would have
//! had anyway (see `parse::canonical_level`), so one pass over the file suffices.

use crate::parse::{canonical_level, canonical_number_text, is_missing, is_non_finite_number, parse_number};
use crate::table::{CategoricalBuilder, Column};

pub(crate) enum ColumnBuilder {
    Numeric(Vec<f64>),
    Text(CategoricalBuilder),
}

impl Default for ColumnBuilder {
    fn default() -> Self {
        ColumnBuilder::Numeric(Vec::new())
    }
}

impl ColumnBuilder {
    /// Adds one cell; false (nothing added) for a non-finite number such as `inf`.
    pub(crate) fn push_cell(&mut self, cell: &str) -> bool {
        // A number is never a missing token, so the common case parses first.
        if let Some(value) = parse_number(cell) {
            self.push_number(value);
        } else if is_missing(cell) {
            self.push_missing();
        } else if is_non_finite_number(cell) {
            return false;
        } else {
            self.push_text(cell);
        }
        true
    }

    pub(crate) fn push_missing(&mut self) {
        match self {
            ColumnBuilder::Numeric(values) => values.push(f64::NAN),
            ColumnBuilder::Text(builder) => builder.push(None),
        }
    }

    pub(crate) fn push_number(&mut self, value: f64) {
        match self {
            ColumnBuilder::Numeric(values) => values.push(value),
            ColumnBuilder::Text(builder) => builder.push(Some(&canonical_number_text(value))),
        }
    }

    pub(crate) fn push_text(&mut self, text: &str) {
        if let ColumnBuilder::Numeric(values) = self {
            let mut builder = CategoricalBuilder::default();
            for &value in values.iter() {
                let level = (!value.is_nan()).then(|| canonical_number_text(value));
                builder.push(level.as_deref());
            }
            *self = ColumnBuilder::Text(builder);
        }
        if let ColumnBuilder::Text(builder) = self {
            builder.push(Some(&canonical_level(text)));
        }
    }

    pub(crate) fn finish(self) -> Column {
        match self {
            ColumnBuilder::Numeric(values) => Column::Numeric(values),
            ColumnBuilder::Text(builder) => Column::Categorical(builder.finish()),
        }
    }
}
