//! The in-memory table: named, typed columns. Numeric columns are `f64` with NaN
//! for missing; categorical columns are dictionary-encoded (levels + `u32`
//! codes) so a million-row text column costs four bytes a row.

use std::collections::HashMap;

/// The code of a missing categorical cell.
pub const MISSING_CODE: u32 = u32::MAX;

/// A label column stored as codes into its distinct levels, so each label is kept once.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalColumn {
    /// The distinct labels, in order of first appearance.
    pub levels: Vec<String>,
    /// One code per row: an index into `levels`, or the missing code.
    pub codes: Vec<u32>,
}

impl CategoricalColumn {
    /// The label at `row_idx`, or `None` when the cell is missing.
    pub fn value(&self, row_idx: usize) -> Option<&str> {
        let code = self.codes[row_idx];
        (code != MISSING_CODE).then(|| self.levels[code as usize].as_str())
    }

    /// Builds a column from labels in row order, `None` for a missing cell.
    pub fn from_values<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        let mut builder = CategoricalBuilder::default();
        for value in values {
            builder.push(value);
        }
        builder.finish()
    }
}

/// Up to this many levels, a new cell is matched by scanning the levels.
const SCAN_LEVELS: usize = 16;

/// Builds a dictionary-encoded column one cell at a time.
#[derive(Debug, Default)]
pub struct CategoricalBuilder {
    index: HashMap<String, u32>,
    levels: Vec<String>,
    codes: Vec<u32>,
}

impl CategoricalBuilder {
    /// Appends one row's label, `None` for a missing cell.
    pub fn push(&mut self, value: Option<&str>) {
        let code = match value {
            None => MISSING_CODE,
            // Most categoricals have a handful of levels: a scan beats hashing.
            Some(text) if self.levels.len() <= SCAN_LEVELS => match self.levels.iter().position(|l| l == text) {
                Some(position) => position as u32,
                None => self.insert(text),
            },
            Some(text) => match self.index.get(text) {
                Some(&code) => code,
                None => self.insert(text),
            },
        };
        self.codes.push(code);
    }

    fn insert(&mut self, text: &str) -> u32 {
        let code = self.levels.len() as u32;
        self.index.insert(text.to_string(), code);
        self.levels.push(text.to_string());
        code
    }

    /// The finished column.
    pub fn finish(self) -> CategoricalColumn {
        CategoricalColumn { levels: self.levels, codes: self.codes }
    }
}

/// One column's cells: numbers or labels.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers, `NaN` for a missing cell.
    Numeric(Vec<f64>),
    /// Labels, stored as codes.
    Categorical(CategoricalColumn),
}

impl Column {
    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Numeric(values) => values.len(),
            Column::Categorical(column) => column.codes.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the cell at `row_idx` is missing.
    pub fn is_missing(&self, row_idx: usize) -> bool {
        match self {
            Column::Numeric(values) => values[row_idx].is_nan(),
            Column::Categorical(column) => column.codes[row_idx] == MISSING_CODE,
        }
    }

    /// Keeps the rows at `row_indices`, in that order.
    pub fn take(&self, row_indices: &[usize]) -> Column {
        match self {
            Column::Numeric(values) => Column::Numeric(row_indices.iter().map(|&i| values[i]).collect()),
            Column::Categorical(column) => Column::Categorical(CategoricalColumn {
                levels: column.levels.clone(),
                codes: row_indices.iter().map(|&i| column.codes[i]).collect(),
            }),
        }
    }
}

/// A table of named, typed columns of equal length: what the learning crate receives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column names, in column order.
    pub names: Vec<String>,
    /// The columns, one per name.
    pub columns: Vec<Column>,
}

impl Table {
    /// The number of rows (0 for a table with no columns).
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// The number of columns.
    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    /// The index of the column called `name`, if any.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The column called `name`, if any.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.position(name).map(|idx| &self.columns[idx])
    }

    /// Appends a column; its length must match the table's rows.
    pub fn push(&mut self, name: impl Into<String>, column: Column) {
        self.names.push(name.into());
        self.columns.push(column);
    }

    /// Removes and returns the named column.
    pub fn remove(&mut self, name: &str) -> Option<Column> {
        let idx = self.position(name)?;
        self.names.remove(idx);
        Some(self.columns.remove(idx))
    }

    /// A new table holding the given rows, in the given order (splits and folds).
    pub fn take_rows(&self, row_indices: &[usize]) -> Table {
        Table { names: self.names.clone(), columns: self.columns.iter().map(|c| c.take(row_indices)).collect() }
    }
}
