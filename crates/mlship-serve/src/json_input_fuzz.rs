//! Issue 10, item 8: the JSON request parsers (`/invocations` in every
//! MLflow shape, `/predict_api`'s record, CSV bodies) fuzzed with proptest
//! from a committed corpus of valid bodies for the golden insurance schema.
//! A mutated body must parse into a table or an `ApiError`, never panic,
//! never hold more than the stated allocation bound (`allocation_bound`,
//! measured by the unit tests' counting allocator, declared in lib.rs), and
//! an accepted table has no more rows than the body has bytes. A fixed seed
//! keeps CI repeatable.

use super::{invocations, single_record};
use crate::input::from_csv;
use mlship_learn::InputColumn;
use mlship_testkit::alloc::peak_during;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};

fn schema() -> Vec<InputColumn> {
    mlship_artifact::Artifact::load(&mlship_testkit::golden_artifact()).unwrap().pipeline.schema
}

const CORPUS: &[&str] = &[
    r#"{"dataframe_records":[{"age":19,"sex":"female","bmi":27.9,"children":0,"smoker":"yes","region":"southwest"}]}"#,
    r#"{"dataframe_split":{"columns":["age","sex","bmi","children","smoker","region"],"data":[[19,"female",27.9,0,"yes","southwest"],[60,"male",31,2,"no","x"]]}}"#,
    r#"{"instances":[{"age":19,"sex":"female","bmi":27.9,"children":0,"smoker":"yes","region":"southwest"}]}"#,
    r#"{"inputs":{"age":[19,60],"sex":["female","male"],"bmi":[27.9,31],"children":[0,2],"smoker":["yes","no"],"region":["southwest","northeast"]}}"#,
    r#"{"age":19,"sex":"female","bmi":27.9,"children":0,"smoker":"yes","region":"southwest"}"#,
    "age,sex,bmi,children,smoker,region\n19,female,27.9,0,yes,southwest\n60,male,31,2,no,\"north,east\"\n",
];

/// The stated bound: parsing a body (all three ways) never holds more than
/// 4 MiB plus 64 bytes per body byte.
fn allocation_bound(body_bytes: usize) -> usize {
    4 * 1024 * 1024 + 64 * body_bytes
}

#[test]
fn mutated_request_bodies_never_panic_the_parsers() {
    let schema = schema();
    let config = Config {
        cases: 800,
        rng_seed: RngSeed::Fixed(20261130),
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel("proptest-regressions"))),
        ..Config::default()
    };
    let tokens: Vec<&'static [u8]> =
        vec![b"{", b"}", b"[", b"]", b",", b":", b"\"", b"null", b"1e999", b"-0", b"\"age\"", b"[[", b"\\u0000", b"\n"];
    let mutation =
        (0..CORPUS.len(), prop::collection::vec((any::<usize>(), prop::sample::select(tokens), 0u8..3), 1..10));
    proptest!(config, |((file, edits) in mutation)| {
        let mut body = CORPUS[file].as_bytes().to_vec();
        for (at, token, op) in edits {
            let at = at % (body.len() + 1);
            match op {
                0 => { body.splice(at..at, token.iter().copied()); }
                1 => { body.drain(at..(at + token.len()).min(body.len())); }
                _ => { body.truncate(at); }
            }
        }
        let (parsed, peak) =
            peak_during(|| [invocations(&schema, &body), single_record(&schema, &body), from_csv(&schema, &body)]);
        prop_assert!(peak <= allocation_bound(body.len()), "{peak} bytes held for a {}-byte body", body.len());
        for parsed in parsed.into_iter().flatten() {
            prop_assert!(parsed.table.n_rows() <= body.len(), "{} rows from {} bytes", parsed.table.n_rows(), body.len());
        }
    });
}
