//! Datasets bundled into the binary, so `--data insurance` works like PyCaret's
//! `get_data('insurance')` with no network and no file next to the binary.

use crate::csv_reader::read_csv_from;
use crate::{CsvOptions, DataError, Fingerprint, LoadedTable};

/// A dataset compiled into the binary, so the quickstart works offline.
pub struct BundledDataset {
    /// The name users pass, e.g. `insurance`.
    pub name: &'static str,
    /// One line for listings: what the rows are, where they come from, the licence.
    pub description: &'static str,
    /// The column `quickstart` and examples predict when none is given.
    pub default_target: &'static str,
    /// What predicting `default_target` is, as PyCaret's module name
    /// (`regression` or `classification`, what `Task::parse` reads); the task
    /// `get_ml_task` infers from that column agrees.
    pub task: &'static str,
    /// Where the rows come from, first publisher first.
    pub source: &'static str,
    /// The licence the file is redistributed under.
    pub license: &'static str,
    /// The whole CSV file, compiled into the binary so the dataset needs no download.
    pub csv: &'static str,
}

/// Every dataset the binary carries, by the name `--dataset` takes. The
/// classification sets are scikit-learn's own files, written by
/// `data/make_datasets.py` (see it for the column choices).
pub const BUNDLED: &[BundledDataset] = &[
    BundledDataset {
        name: "insurance",
        description: "medical charges of 1,338 US patients (age, sex, bmi, children, smoker, region); PyCaret's get_data('insurance'), MIT",
        default_target: "charges",
        task: "regression",
        source: "PyCaret's datasets repository (get_data('insurance')), from Lantz's Machine Learning with R",
        license: "MIT",
        csv: include_str!("../../../data/insurance.csv"),
    },
    BundledDataset {
        name: "iris",
        description: "150 iris flowers, 4 measurements in cm, species setosa / versicolor / virginica (50 each); scikit-learn's load_iris, UCI, BSD-3-Clause",
        default_target: "species",
        task: "classification",
        source: "UCI Machine Learning Repository, Iris (R. A. Fisher, 1936), as scikit-learn 1.9.1 ships it (load_iris)",
        license: "BSD-3-Clause (scikit-learn); the UCI data CC BY 4.0",
        csv: include_str!("../../../data/iris.csv"),
    },
    BundledDataset {
        name: "breast_cancer",
        description: "569 breast masses, 30 cell-nucleus features, target 0 = malignant (212) / 1 = benign (357); scikit-learn's load_breast_cancer, UCI, BSD-3-Clause",
        default_target: "target",
        task: "classification",
        source: "UCI Machine Learning Repository, Breast Cancer Wisconsin (Diagnostic) (Wolberg, Street, Mangasarian, 1995), as scikit-learn 1.9.1 ships it (load_breast_cancer)",
        license: "BSD-3-Clause (scikit-learn); the UCI data CC BY 4.0",
        csv: include_str!("../../../data/breast_cancer.csv"),
    },
    BundledDataset {
        name: "wine",
        description: "178 Italian wines, 13 chemical measurements, target cultivar 0 / 1 / 2 (59, 71, 48); scikit-learn's load_wine, UCI, BSD-3-Clause",
        default_target: "target",
        task: "classification",
        source: "UCI Machine Learning Repository, Wine (M. Forina et al., 1988), as scikit-learn 1.9.1 ships it (load_wine)",
        license: "BSD-3-Clause (scikit-learn); the UCI data CC BY 4.0",
        csv: include_str!("../../../data/wine.csv"),
    },
];

/// The bundled dataset called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static BundledDataset> {
    BUNDLED.iter().find(|d| d.name == name)
}

/// Parses the bundled dataset called `name`; an unknown name is an error listing the available ones.
pub fn load(name: &str) -> Result<LoadedTable, DataError> {
    let dataset = find(name).ok_or_else(|| DataError::UnknownDataset {
        name: name.to_string(),
        available: BUNDLED.iter().map(|d| d.name).collect::<Vec<_>>().join(", "),
    })?;
    let source = format!("bundled:{name}");
    let table = read_csv_from(dataset.csv.as_bytes(), &source, &CsvOptions::default())?;
    Ok(LoadedTable { table, fingerprint: Fingerprint::of_bytes(dataset.csv.as_bytes()), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Column;

    /// Rows per target value, in sorted order of the values' text.
    fn class_counts(name: &str) -> (usize, usize, Vec<(String, usize)>) {
        let loaded = load(name).unwrap();
        let dataset = find(name).unwrap();
        let table = &loaded.table;
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        let target = table.column(dataset.default_target).unwrap();
        for row in 0..table.n_rows() {
            let label = match target {
                Column::Numeric(values) => values[row].to_string(),
                Column::Categorical(column) => column.value(row).unwrap().to_string(),
            };
            *counts.entry(label).or_default() += 1;
        }
        (table.n_rows(), table.n_cols(), counts.into_iter().collect())
    }

    fn counts(pairs: &[(&str, usize)]) -> Vec<(String, usize)> {
        pairs.iter().map(|(label, n)| (label.to_string(), *n)).collect()
    }

    #[test]
    fn the_classification_sets_have_scikit_learns_shapes_and_class_counts() {
        let iris = counts(&[("setosa", 50), ("versicolor", 50), ("virginica", 50)]);
        assert_eq!(class_counts("iris"), (150, 5, iris));
        assert_eq!(class_counts("breast_cancer"), (569, 31, counts(&[("0", 212), ("1", 357)])));
        assert_eq!(class_counts("wine"), (178, 14, counts(&[("0", 59), ("1", 71), ("2", 48)])));
    }

    #[test]
    fn every_bundled_set_loads_with_its_target_and_numeric_features() {
        for dataset in BUNDLED {
            let table = load(dataset.name).unwrap().table;
            assert_eq!(table.names.last().map(String::as_str), Some(dataset.default_target), "{}", dataset.name);
            assert!(["regression", "classification"].contains(&dataset.task), "{}", dataset.name);
            assert!(!dataset.source.is_empty() && !dataset.license.is_empty(), "{}", dataset.name);
            // PyCaret's get_ml_task (mlship_learn::Task::infer): labels, or whole
            // numbers with at most 20 distinct values, are a classification target.
            let labels = match table.column(dataset.default_target).unwrap() {
                Column::Numeric(values) => {
                    let mut distinct: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
                    distinct.sort_unstable();
                    distinct.dedup();
                    values.iter().all(|v| v.fract() == 0.0) && distinct.len() <= 20
                }
                Column::Categorical(_) => true,
            };
            assert_eq!(labels, dataset.task == "classification", "{}: task", dataset.name);
            if dataset.task == "classification" {
                for (name, column) in table.names.iter().zip(&table.columns) {
                    let numeric = matches!(column, Column::Numeric(_));
                    assert!(numeric || name == dataset.default_target, "{}: {name} is not numeric", dataset.name);
                    assert!((0..column.len()).all(|row| !column.is_missing(row)), "{}: {name} has a gap", dataset.name);
                }
            }
        }
        let error = load("iris2").err().unwrap().to_string();
        assert!(error.contains("insurance, iris, breast_cancer, wine"), "{error}");
    }
}
