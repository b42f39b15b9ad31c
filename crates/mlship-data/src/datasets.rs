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
    /// The whole CSV file, compiled into the binary so the dataset needs no download.
    pub csv: &'static str,
}

/// Every dataset the binary carries, by the name `--dataset` takes.
pub const BUNDLED: &[BundledDataset] = &[BundledDataset {
    name: "insurance",
    description: "medical charges of 1,338 US patients (age, sex, bmi, children, smoker, region); PyCaret's get_data('insurance'), MIT",
    default_target: "charges",
    csv: include_str!("../../../data/insurance.csv"),
}];

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
