//! Times one CatBoost fit on the classification benchmark's set
//! (bench/classification/make_classification.py, BENCHMARKS.md issue 13):
//! the text columns become codes (in order of first appearance), the first `n_train` rows (default
//! 18,900: one of PyCaret's 10 folds of a 70% train split of 30,000 rows)
//! are fitted and the rest scored. `regressor` fits `CatBoostRegressor` on
//! column `x1` from the others instead, `multiclass` the 5 classes of
//! `region`. With `--dump PATH` the predictions
//! of every row are written one per line (`{:e}`, every digit), so two
//! builds can be compared for identical results.
//!
//!     cargo run --release -p mlship-learn --example fit_catboost -- classifier clf_30k.csv [n_train] [--dump out.txt] [name=value …]

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use mlship_data::{read_csv, Column, CsvOptions};
use mlship_learn::params::parse_param_text;
use mlship_learn::{Matrix, ModelSpec, Task};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let dump = args.iter().position(|a| a == "--dump").map(|at| {
        let path = args.remove(at + 1);
        args.remove(at);
        path
    });
    let (mode, path) = (args[0].clone(), args[1].clone());
    let table = read_csv(Path::new(&path), &CsvOptions::default()).unwrap();
    let n_rows = table.n_rows();
    let mut rest = &args[2..];
    let n_train = match rest.first().and_then(|a| a.parse::<usize>().ok()) {
        Some(n) => {
            rest = &rest[1..];
            n
        }
        None => 18_900,
    };
    let given: Vec<(String, mlship_learn::ParamValue)> = rest
        .iter()
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("parameters are name=value");
            (name.to_string(), parse_param_text(value))
        })
        .collect();
    let mut columns: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut order = Vec::new();
    for name in &table.names {
        let values = match table.column(name) {
            Some(Column::Numeric(values)) => values.clone(),
            // Codes in order of first appearance; the target's "yes" is class 1.
            Some(Column::Categorical(column)) => column
                .codes
                .iter()
                .map(|&c| {
                    if name == "churn" {
                        f64::from(u8::from(column.levels[c as usize] == "yes"))
                    } else {
                        f64::from(c)
                    }
                })
                .collect(),
            _ => panic!("column {name} has an unexpected type"),
        };
        columns.insert(name.clone(), values);
        order.push(name.clone());
    }
    let (task, target_name, n_classes) = match mode.as_str() {
        "regressor" => (Task::Regression, "x1", 0),
        "multiclass" => (Task::Classification, "region", 5),
        _ => (Task::Classification, "churn", 2),
    };
    let y = columns[target_name].clone();
    let mut train = Matrix::with_rows(n_train);
    let mut all = Matrix::with_rows(n_rows);
    for name in order.iter().filter(|name| ![target_name, "churn"].contains(&name.as_str())) {
        train.push_column(columns[name][..n_train].to_vec());
        all.push_column(columns[name].clone());
    }
    let spec = ModelSpec::new(task, "catboost", &given, 123).unwrap();
    let started = Instant::now();
    let fitted = if task == Task::Classification {
        spec.fit_task(&train, &y[..n_train], n_classes).unwrap()
    } else {
        spec.fit(&train, &y[..n_train]).unwrap()
    };
    let fit_seconds = started.elapsed().as_secs_f64();
    let predictions = match fitted.predict_proba(&all) {
        Some(probabilities) => probabilities.unwrap(),
        None => fitted.predict(&all).unwrap(),
    };
    let score = if task == Task::Classification {
        let labels = fitted.predict(&all).unwrap();
        let right = labels[n_train..].iter().zip(&y[n_train..]).filter(|(p, t)| p == t).count();
        right as f64 / (n_rows - n_train) as f64
    } else {
        let held_out = &predictions[n_train..];
        let mean = y[n_train..].iter().sum::<f64>() / held_out.len() as f64;
        let residual: f64 = held_out.iter().zip(&y[n_train..]).map(|(p, t)| (p - t).powi(2)).sum();
        let total: f64 = y[n_train..].iter().map(|t| (t - mean).powi(2)).sum();
        1.0 - residual / total
    };
    println!("{{\"mode\": \"{mode}\", \"n_train\": {n_train}, \"fit_seconds\": {fit_seconds:.3}, \"holdout_score\": {score:.6}}}");
    if let Some(dump) = dump {
        let text: String = predictions.iter().map(|p| format!("{p:e}\n")).collect();
        std::fs::write(dump, text).unwrap();
    }
}
