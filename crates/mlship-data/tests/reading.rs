//! Reading real-world CSV and Parquet files: quoting, BOM, CRLF, delimiters,
//! missing tokens, type inference, dates, and every malformed-file error.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used)]

use mlship_data::date::DateFormat;
use mlship_data::{
    infer_kinds, read_csv, read_path, Column, ColumnKind, CsvBatchReader, CsvOptions, DataError, KindOverrides,
};
use std::io::Write;
use std::path::PathBuf;

#[path = "reading/fuzz.rs"]
mod fuzz;

#[global_allocator]
static COUNTING: mlship_testkit::alloc::Counting = mlship_testkit::alloc::Counting;

fn write_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::File::create(&path).unwrap().write_all(bytes).unwrap();
    path
}

fn read(bytes: &[u8]) -> Result<mlship_data::Table, DataError> {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "data.csv", bytes);
    read_csv(&path, &CsvOptions::default())
}

fn numeric(table: &mlship_data::Table, name: &str) -> Vec<f64> {
    match table.column(name) {
        Some(Column::Numeric(values)) => values.clone(),
        other => panic!("{name} is not numeric: {other:?}"),
    }
}

fn texts(table: &mlship_data::Table, name: &str) -> Vec<Option<String>> {
    match table.column(name) {
        Some(Column::Categorical(c)) => (0..c.codes.len()).map(|i| c.value(i).map(str::to_string)).collect(),
        other => panic!("{name} is not categorical: {other:?}"),
    }
}

#[test]
fn quoted_fields_bom_crlf_and_spaced_names() {
    let table =
        read(b"\xEF\xBB\xBFfirst name,amount,note\r\n\"Smith, Jo\",1.5,\"two\r\nlines\"\r\nAnn,2,plain\r\n").unwrap();
    assert_eq!(table.names, ["first name", "amount", "note"]);
    assert_eq!(texts(&table, "first name"), [Some("Smith, Jo".into()), Some("Ann".into())]);
    assert_eq!(numeric(&table, "amount"), [1.5, 2.0]);
    assert_eq!(texts(&table, "note")[0].as_deref(), Some("two\r\nlines"));
}

#[test]
fn other_delimiters() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "semi.csv", b"a;b\n1;x\n2;y\n");
    let table = read_csv(&path, &CsvOptions { delimiter: b';' }).unwrap();
    assert_eq!(numeric(&table, "a"), [1.0, 2.0]);
}

#[test]
fn missing_tokens_and_inference() {
    let table = read(b"n,c,mixed\n1,a,1.50\nNA,?,x\nNaN,null,2\n,b,\n4,a,3\n").unwrap();
    let n = numeric(&table, "n");
    assert_eq!(n[0], 1.0);
    assert!(n[1].is_nan() && n[2].is_nan() && n[3].is_nan());
    assert_eq!(texts(&table, "c"), [Some("a".into()), None, None, Some("b".into()), Some("a".into())]);
    // A column with one word in it is categorical; its numbers are canonicalised.
    assert_eq!(
        texts(&table, "mixed"),
        [Some("1.5".into()), Some("x".into()), Some("2".into()), None, Some("3".into())]
    );
}

#[test]
fn pandas_index_column_gets_a_name() {
    let table = read(b",a\n0,1\n1,2\n").unwrap();
    assert_eq!(table.names, ["Unnamed: 0", "a"]);
}

#[test]
fn dates_are_detected_in_one_format() {
    let mut table = read(b"when,other,x\n2020-04-28,28/04/2020,1\n2021-01-05,05/01/2021,2\n").unwrap();
    let kinds = infer_kinds(&mut table, &KindOverrides::default()).unwrap();
    assert_eq!(kinds[0], ColumnKind::Date { format: DateFormat::Iso });
    assert_eq!(kinds[1], ColumnKind::Date { format: DateFormat::DayFirstSlash });
    assert_eq!(kinds[2], ColumnKind::Numeric);
}

#[test]
fn overrides_convert_ignore_and_check_names() {
    let mut table = read(b"code,size,drop_me\n1,10,a\n2,20,b\n").unwrap();
    let overrides =
        KindOverrides { categorical: vec!["code".into()], ignore: vec!["drop_me".into()], ..KindOverrides::default() };
    let kinds = infer_kinds(&mut table, &overrides).unwrap();
    assert_eq!(table.names, ["code", "size"]);
    assert_eq!(kinds, [ColumnKind::Categorical, ColumnKind::Numeric]);
    let mut table = read(b"a\nx\n").unwrap();
    let error =
        infer_kinds(&mut table, &KindOverrides { numeric: vec!["a".into()], ..KindOverrides::default() }).unwrap_err();
    assert_eq!(error.to_string(), "column \"a\": declared numeric but row 1 holds \"x\", which is not a number");
    let error =
        infer_kinds(&mut table, &KindOverrides { ignore: vec!["zzz".into()], ..KindOverrides::default() }).unwrap_err();
    assert!(error.to_string().contains("\"zzz\": named in an option but not in the data"), "{error}");
}

#[test]
fn malformed_files_give_specific_errors() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "the file is empty"),
        (b"a,b\n", "the file has a header but no data rows"),
        (b"a,b\n1,2\n3\n", "line 3: expected 2 fields like the header, found 1"),
        (b"a,b\n1,2\n3,\xff\xfe\n", "line 3, column b: invalid UTF-8"),
        (b"a,b,a\n1,2,3\n", "duplicate column name \"a\" (columns 1 and 3)"),
    ];
    for (bytes, expected) in cases {
        let error = read(bytes).unwrap_err().to_string();
        assert!(error.contains("data.csv: "), "{error}");
        assert!(error.contains(expected), "{error:?} should contain {expected:?}");
    }
    let error = read_path(std::path::Path::new("/no/such/file.csv"), &CsvOptions::default()).unwrap_err();
    assert_eq!(error.to_string(), "/no/such/file.csv: no such file");
}

#[test]
fn batch_reader_streams_against_a_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "score.csv", b"id,age,sex\n1,19,female\n2,,male\n3,40,female\n");
    let schema = vec![("age".to_string(), ColumnKind::Numeric), ("sex".to_string(), ColumnKind::Categorical)];
    let mut reader = CsvBatchReader::open(&path, &CsvOptions::default(), &schema).unwrap();
    let first = reader.next_batch(2).unwrap().unwrap();
    assert_eq!(first.records.len(), 2);
    assert_eq!(first.table.names, ["age", "sex"]);
    assert!(numeric(&first.table, "age")[1].is_nan());
    let second = reader.next_batch(2).unwrap().unwrap();
    assert_eq!(second.records.len(), 1);
    assert!(reader.next_batch(2).unwrap().is_none());

    let missing = vec![("bmi".to_string(), ColumnKind::Numeric)];
    let error = CsvBatchReader::open(&path, &CsvOptions::default(), &missing).err().unwrap().to_string();
    assert!(error.ends_with("missing column \"bmi\" (the file has: id, age, sex)"), "{error}");

    let bad = write_file(&dir, "bad.csv", b"age\n1\nabc\n");
    let mut reader = CsvBatchReader::open(&bad, &CsvOptions::default(), &schema[..1]).unwrap();
    let error = reader.next_batch(10).err().unwrap().to_string();
    assert!(error.ends_with("line 3, column \"age\": \"abc\" is not a number"), "{error}");
}

/// Issue 10 item 3: batches are bounded in bytes as well as rows; a field
/// over the limit is an error naming its line and column; a record far over
/// it is refused while it is read, before it is held whole.
#[test]
fn batch_reader_bounds_bytes_and_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "score.csv", b"id,age\n1,19\n2,20\n3,21\n4,22\n");
    let schema = vec![("age".to_string(), ColumnKind::Numeric)];
    let mut reader = CsvBatchReader::open(&path, &CsvOptions::default(), &schema).unwrap();
    // Each record holds 3 bytes of fields: a bound of 5 is reached by the second.
    assert_eq!(reader.next_batch_bounded(100, 5).unwrap().unwrap().records.len(), 2);
    assert_eq!(reader.next_batch_bounded(100, 1).unwrap().unwrap().records.len(), 1);
    assert_eq!(reader.next_batch_bounded(100, usize::MAX).unwrap().unwrap().records.len(), 1);
    assert!(reader.next_batch_bounded(100, 1).unwrap().is_none());

    let long = format!("id,age,note\n1,19,ok\n2,20,{}\n", "x".repeat(100));
    let path = write_file(&dir, "long.csv", long.as_bytes());
    let mut reader = CsvBatchReader::open(&path, &CsvOptions::default(), &schema).unwrap();
    reader.set_max_field_bytes(50);
    let error = reader.next_batch(10).err().unwrap().to_string();
    assert!(
        error.ends_with(
            "line 3, column \"note\": a field of 100 bytes is over the limit of 50 bytes (--max-field-bytes)"
        ),
        "{error}"
    );

    let huge = format!("id,age\n1,19\n2,{}\n", "9".repeat(4 << 20));
    let path = write_file(&dir, "huge.csv", huge.as_bytes());
    let mut reader = CsvBatchReader::open(&path, &CsvOptions::default(), &schema).unwrap();
    reader.set_max_field_bytes(1000);
    let error = reader.next_batch(10).err().unwrap().to_string();
    assert!(error.contains("line 3") && error.contains("over the limit of 1000 bytes"), "{error}");
}

/// Issue 10 item 6: `inf` (any spelling of a non-finite number) is refused in
/// training data as it is when scoring, naming the line and column.
#[test]
fn infinities_are_refused_by_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    for cell in ["inf", "-Infinity", "1e400", "+INF"] {
        let path = write_file(&dir, "data.csv", format!("a,b\n1,x\n{cell},y\n").as_bytes());
        let error = read_path(&path, &CsvOptions::default()).unwrap_err().to_string();
        assert!(error.ends_with(&format!("line 3, column \"a\": \"{cell}\" is not a finite number (infinite values are refused in training and prediction)")), "{error}");
        let schema = vec![("a".to_string(), ColumnKind::Numeric), ("b".to_string(), ColumnKind::Categorical)];
        let mut reader = CsvBatchReader::open(&path, &CsvOptions::default(), &schema).unwrap();
        let scoring = reader.next_batch(10).err().unwrap().to_string();
        assert_eq!(scoring, error);
    }
    // NaN spellings stay missing values, as in pandas.
    let path = write_file(&dir, "nan.csv", b"a\n1\nNaN\n");
    assert!(read_path(&path, &CsvOptions::default()).is_ok());
}

#[test]
fn parquet_reads_like_the_same_csv() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sample.parquet");
    let loaded = read_path(&path, &CsvOptions::default()).unwrap();
    let table = loaded.table;
    assert_eq!(table.names, ["age", "sex", "bmi", "smoker", "charges", "visit", "flag"]);
    assert_eq!(table.n_rows(), 5);
    assert_eq!(numeric(&table, "age")[0], 19.0);
    assert!(numeric(&table, "bmi")[2].is_nan());
    assert_eq!(texts(&table, "sex")[0].as_deref(), Some("female"));
    assert_eq!(texts(&table, "sex")[3], None);
    assert_eq!(texts(&table, "visit")[0].as_deref(), Some("2020-04-28"));
    assert_eq!(texts(&table, "flag")[1].as_deref(), Some("False"));
    assert_eq!(loaded.fingerprint.n_bytes, std::fs::metadata(&path).unwrap().len());
}

#[test]
fn a_file_that_is_not_parquet_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "fake.parquet", b"age,sex\n1,2\n");
    let error = read_path(&path, &CsvOptions::default()).err().unwrap().to_string();
    assert!(error.contains("fake.parquet: not a readable Parquet file"), "{error}");
}
