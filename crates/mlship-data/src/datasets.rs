//! Datasets bundled into the binary, so `--data insurance` works like PyCaret's
//! `get_data('insurance')` with no network and no file next to the binary.

use crate::csv_reader::read_csv_from;
use crate::{CsvOptions, DataError, Fingerprint, LoadedTable};

pub struct BundledDataset {
    pub name: &'static str,
    pub description: &'static str,
    pub default_target: &'static str,
    pub csv: &'static str,
}

pub const BUNDLED: &[BundledDataset] = &[BundledDataset {
    name: "insurance",
    description: "medical charges of 1,338 US patients (age, sex, bmi, children, smoker, region); PyCaret's get_data('insurance'), MIT",
    default_target: "charges",
    csv: include_str!("../../../data/insurance.csv"),
}];

pub fn find(name: &str) -> Option<&'static BundledDataset> {
    BUNDLED.iter().find(|d| d.name == name)
}

pub fn load(name: &str) -> Result<LoadedTable, DataError> {
    let dataset = find(name).ok_or_else(|| DataError::UnknownDataset {
        name: name.to_string(),
        available: BUNDLED.iter().map(|d| d.name).collect::<Vec<_>>().join(", "),
    })?;
    let source = format!("bundled:{name}");
    let table = read_csv_from(dataset.csv.as_bytes(), &source, &CsvOptions::default())?;
    Ok(LoadedTable { table, fingerprint: Fingerprint::of_bytes(dataset.csv.as_bytes()), source })
}
