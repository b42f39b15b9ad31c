//! mlship's side of the tree benchmarks (BENCHMARKS.md, issue 12; the
//! libraries' side is bench/trees/peer_fit.py): reads the CSV of
//! bench/trees/make_regression.py, fits a model on the first 80% of rows with
//! its defaults (and any `name=value` parameters), scores the last 20% and
//! then predicts every row, and prints one JSON line with the peer's keys.
//!
//!     cargo run --release -p mlship-learn --example fit_large -- rf data.csv [n_estimators=100 …]

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use mlship_data::{read_csv, Column, CsvOptions};
use mlship_learn::params::parse_param_text;
use mlship_learn::{Matrix, ModelSpec, RegressionMetrics, Task};
use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (model, path) = (args[0].as_str(), Path::new(&args[1]));
    let given: Vec<(String, mlship_learn::ParamValue)> = args[2..]
        .iter()
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("parameters are name=value");
            (name.to_string(), parse_param_text(value))
        })
        .collect();
    let table = read_csv(path, &CsvOptions::default()).unwrap();
    let n_rows = table.n_rows();
    let n_train = n_rows * 8 / 10;
    let numbers = |name: &str| match table.column(name) {
        Some(Column::Numeric(values)) => values.clone(),
        _ => panic!("column {name} is not numeric"),
    };
    let y = numbers("y");
    let mut all = Matrix::with_rows(n_rows);
    let mut train = Matrix::with_rows(n_train);
    let mut test = Matrix::with_rows(n_rows - n_train);
    for name in table.names.iter().filter(|name| name.as_str() != "y") {
        let column = numbers(name);
        train.push_column(column[..n_train].to_vec());
        test.push_column(column[n_train..].to_vec());
        all.push_column(column);
    }
    let spec = ModelSpec::new(Task::Regression, model, &given, 123).unwrap();
    let started = Instant::now();
    let fitted = spec.fit(&train, &y[..n_train]).unwrap();
    let fit_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let predicted = fitted.predict(&test).unwrap();
    let predict_seconds = started.elapsed().as_secs_f64();
    let holdout_r2 = RegressionMetrics::compute(&y[n_train..], &predicted).r2;
    let started = Instant::now();
    let every_row = fitted.predict(&all).unwrap();
    let predict_all_seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"model\": \"{model}\", \"fit_seconds\": {fit_seconds}, \"predict_seconds\": {predict_seconds}, \
         \"holdout_r2\": {holdout_r2}, \"predict_all_rows\": {}, \"predict_all_seconds\": {predict_all_seconds}, \
         \"predict_rows_per_second\": {}}}",
        every_row.len(),
        every_row.len() as f64 / predict_all_seconds
    );
}
