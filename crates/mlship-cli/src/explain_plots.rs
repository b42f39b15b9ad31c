//! `mlship explain --plots DIR`: bar.svg (mean |SHAP| per input column),
//! summary.svg (each row's SHAP value per column, coloured by the column's
//! value: blue low, red high) and dependence.svg (the top column's SHAP
//! value against its value). Columns are the input columns (features after
//! PCA); for several outputs the first is drawn (the positive class of a
//! binary classifier's margin, the first class's probability otherwise).

use crate::explain::Report;
use anyhow::{Context, Result};
use mlship_data::{Column, Table};
use mlship_learn::Matrix;
use mlship_track::plots;
use std::path::Path;

/// The columns drawn in the summary plot, at most.
const SUMMARY_COLUMNS: usize = 20;

pub(crate) fn write(dir: &Path, report: &Report<'_>, x: &Matrix, table: &Table) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the plot folder", dir.display()))?;
    let ranking = report.ranking();
    let e = report.explanation;
    let k = e.n_outputs();
    let by_column = report.column_values.is_some();
    let names: Vec<String> = if by_column { report.columns.to_vec() } else { report.pipeline.feature_names.clone() };
    let n_items = names.len();
    // Item `j`'s SHAP value (first output) and the value it colours by, for each row.
    let points = |j: usize| -> Vec<(f64, f64)> {
        (0..e.n_rows)
            .map(|i| {
                let shap = match &report.column_values {
                    Some(values) => values.get((i * n_items + j) * k).copied().unwrap_or(0.0),
                    None => e.value(i, j, 0),
                };
                let colour = if by_column { column_number(table, j, i) } else { x.columns[j][i] };
                (shap, colour)
            })
            .collect()
    };
    let write = |name: &str, svg: String| -> Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, svg).with_context(|| format!("{}: cannot write", path.display()))
    };
    let what = if by_column { "input column" } else { "component" };
    write("bar.svg", plots::bars(&format!("Mean |SHAP| per {what}"), "mean |SHAP value|", &ranking))?;
    let rows: Vec<(String, Vec<(f64, f64)>)> = ranking
        .iter()
        .take(SUMMARY_COLUMNS)
        .filter_map(|(name, _)| names.iter().position(|n| n == name).map(|j| (name.clone(), points(j))))
        .collect();
    write("summary.svg", plots::strips("SHAP values (colour: low → high value)", "SHAP value", &rows))?;
    if let Some((top, _)) = ranking.first() {
        let j = names.iter().position(|n| n == top).unwrap_or(0);
        let pairs: Vec<(f64, f64)> = points(j).into_iter().map(|(shap, value)| (value, shap)).collect();
        let svg =
            plots::scatter(&format!("Dependence on {top}"), top, &format!("SHAP value of {top}"), &pairs, false, true);
        write("dependence.svg", svg)?;
    }
    Ok(())
}

/// Column `c`'s value at `row` as a number: a numeric cell, else the
/// category's code (levels in first-seen order), NaN when missing.
fn column_number(table: &Table, c: usize, row: usize) -> f64 {
    match table.columns.get(c) {
        Some(Column::Numeric(values)) => values.get(row).copied().unwrap_or(f64::NAN),
        Some(Column::Categorical(categorical)) => categorical
            .codes
            .get(row)
            .filter(|&&code| code != mlship_data::MISSING_CODE)
            .map_or(f64::NAN, |&code| f64::from(code)),
        None => f64::NAN,
    }
}
