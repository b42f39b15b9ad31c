//! Issue 10, item 8: the CSV reader fuzzed with proptest from a committed
//! corpus (the bundled insurance data's first lines and a few awkward
//! files: quotes, CRLF, BOM, missing tokens, dates). Mutated bytes must read
//! into a table or a `DataError`, never panic, never hold more than the
//! stated allocation bound (`allocation_bound`, measured by the test binary's
//! counting allocator), and an accepted table is bounded by its input: no
//! more rows or columns than the bytes could spell.
//! A fixed seed keeps CI repeatable.

use mlship_data::{infer_kinds, read_csv_from, CsvOptions, KindOverrides};
use mlship_testkit::alloc::peak_during;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};

fn corpus() -> Vec<Vec<u8>> {
    let insurance = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/insurance.csv")).unwrap();
    let head: String = insurance.lines().take(40).map(|line| format!("{line}\n")).collect();
    vec![
        head.into_bytes(),
        b"a,b,c\r\n1,\"x,y\",2020-01-31\r\n,\"he said \"\"hi\"\"\",\r\n3,NA,2021-02-28\r\n".to_vec(),
        b"\xef\xbb\xbfid;value\n1;2,5\n2;nan\n3;\n".to_vec(),
        b"x,y\n1e308,-inf\n1,2\n\"unterminated\n".to_vec(),
    ]
}

/// The stated bound: reading a CSV and inferring its kinds never holds more
/// than 4 MiB plus 64 bytes per input byte.
fn allocation_bound(input_bytes: usize) -> usize {
    4 * 1024 * 1024 + 64 * input_bytes
}

#[test]
fn mutated_csv_never_panics_and_stays_bounded() {
    let corpus = corpus();
    let config = Config {
        cases: 500,
        rng_seed: RngSeed::Fixed(20261130),
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel("proptest-regressions"))),
        ..Config::default()
    };
    let mutation = (
        any::<prop::sample::Index>(),
        any::<bool>(),
        prop::collection::vec(
            (any::<usize>(), prop::sample::select(b",;\"\n\r\t\\x0a.-e9 NA".to_vec()), 0u8..3),
            1..12,
        ),
    );
    proptest!(config, |((file, semicolon, edits) in mutation)| {
        let mut bytes = file.get(&corpus).clone();
        for (at, byte, op) in edits {
            let at = at % (bytes.len() + 1);
            match op {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => { bytes.drain(at..(at + 3).min(bytes.len())); }
            }
        }
        let options = CsvOptions { delimiter: if semicolon { b';' } else { b',' } };
        let (read, peak) = peak_during(|| {
            let mut read = read_csv_from(bytes.as_slice(), "fuzz.csv", &options);
            if let Ok(table) = read.as_mut() {
                let _ = infer_kinds(table, &KindOverrides::default());
            }
            read
        });
        prop_assert!(peak <= allocation_bound(bytes.len()), "{peak} bytes held for {} input bytes", bytes.len());
        if let Ok(table) = read {
            prop_assert!(table.n_rows() <= bytes.len() + 1, "{} rows from {} bytes", table.n_rows(), bytes.len());
            prop_assert!(table.names.len() <= bytes.len() + 1);
        }
    });
}
