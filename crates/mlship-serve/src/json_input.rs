//! Streaming JSON → input table for the record-shaped bodies: the seed's one
//! record, and MLflow's `dataframe_records`, `instances` and `inputs` (records
//! or columns). Cells go straight from the request bytes into the column
//! builders, borrowed where they can be, with no `serde_json::Value` tree in
//! between: that tree's allocations were most of the cost of a 1,000-row batch.
//! Input errors (a missing field, a wrong type) abort the parse and come back
//! as the 422 they are; anything else serde reports is malformed JSON (400).

use crate::error::ApiError;
use crate::input::{from_split, Cell, InputBuilder, ParsedInput};
use mlship_learn::InputColumn;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// A 400 for a body that is not JSON, saying where and, for NaN, why.
pub fn invalid_json(body: &[u8], error: &serde_json::Error) -> ApiError {
    let text = String::from_utf8_lossy(body);
    let hint = if ["NaN", "Infinity"].iter().any(|t| text.contains(t)) {
        " (NaN and Infinity are not JSON numbers; send null for a missing value)"
    } else {
        ""
    };
    ApiError::bad_request(format!("invalid JSON: {error}{hint}"))
}

struct CellSeed;

impl<'de> DeserializeSeed<'de> for CellSeed {
    type Value = Cell<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cell<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CellSeed {
    type Value = Cell<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Cell<'de>, E> {
        Ok(Cell::Null)
    }
    fn visit_none<E>(self) -> Result<Cell<'de>, E> {
        Ok(Cell::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Cell<'de>, E> {
        Ok(Cell::Other("a boolean"))
    }
    fn visit_i64<E>(self, value: i64) -> Result<Cell<'de>, E> {
        Ok(Cell::Number(value as f64))
    }
    fn visit_u64<E>(self, value: u64) -> Result<Cell<'de>, E> {
        Ok(Cell::Number(value as f64))
    }
    fn visit_f64<E>(self, value: f64) -> Result<Cell<'de>, E> {
        Ok(Cell::Number(value))
    }
    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Cell<'de>, E> {
        Ok(Cell::Text(Cow::Borrowed(value)))
    }
    fn visit_str<E>(self, value: &str) -> Result<Cell<'de>, E> {
        Ok(Cell::Text(Cow::Owned(value.to_string())))
    }
    fn visit_string<E>(self, value: String) -> Result<Cell<'de>, E> {
        Ok(Cell::Text(Cow::Owned(value)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cell<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Cell::Other("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Cell::Other("an object"))
    }
}

/// The builder being filled, the rows so far, and the input error that stopped the parse.
struct Sink<'b, 'a> {
    builder: &'b mut InputBuilder<'a>,
    rows: usize,
    seen: Vec<bool>,
    failure: Option<ApiError>,
}

impl Sink<'_, '_> {
    fn fail<E: de::Error>(&mut self, error: ApiError) -> E {
        self.failure = Some(error);
        E::custom("input rejected")
    }

    fn push<E: de::Error>(&mut self, column_idx: usize, row: usize, cell: Cell<'_>) -> Result<(), E> {
        match self.builder.push_cell(column_idx, row, cell) {
            Ok(()) => Ok(()),
            Err(error) => Err(self.fail(error)),
        }
    }
}

/// The `visit_*` methods for JSON values of the wrong kind: each calls the
/// visitor's own `reject`, which records a 422 naming what was expected.
macro_rules! reject_scalars {
    ($value:ty) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$value, E> {
            Err(self.reject("a boolean"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$value, E> {
            Err(self.reject("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$value, E> {
            Err(self.reject("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$value, E> {
            Err(self.reject("a number"))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$value, E> {
            Err(self.reject("a string"))
        }
        fn visit_unit<E: de::Error>(self) -> Result<$value, E> {
            Err(self.reject("null"))
        }
    };
}

/// One record: an object with a field per input column (other fields are ignored).
struct RecordSeed<'s, 'b, 'a> {
    sink: &'s mut Sink<'b, 'a>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl RecordSeed<'_, '_, '_> {
    fn reject<E: de::Error>(self, got: &str) -> E {
        let message =
            format!("row {}: expected a JSON object with a field per input column, got {got}", self.sink.rows);
        self.sink.fail(ApiError::unprocessable(message))
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object (one record)")
    }
    reject_scalars!(());
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.reject("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let row = self.sink.rows;
        self.sink.seen.iter_mut().for_each(|seen| *seen = false);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let Some(idx) = self.sink.builder.column_index(&key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if self.sink.seen[idx] {
                return Err(self.sink.fail(ApiError::field(&key, format!("row {row}: field \"{key}\" appears twice"))));
            }
            self.sink.seen[idx] = true;
            let cell = map.next_value_seed(CellSeed)?;
            self.sink.push(idx, row, cell)?;
        }
        if let Some(idx) = self.sink.seen.iter().position(|seen| !seen) {
            let name = self.sink.builder.column_name(idx).to_string();
            return Err(self.sink.fail(ApiError::field(&name, format!("row {row}: missing field \"{name}\""))));
        }
        self.sink.rows += 1;
        Ok(())
    }
}

/// One column's values (columnar `inputs`/`instances`).
struct ColumnSeed<'s, 'b, 'a> {
    sink: &'s mut Sink<'b, 'a>,
    column_idx: usize,
}

impl<'de> DeserializeSeed<'de> for ColumnSeed<'_, '_, '_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ColumnSeed<'_, '_, '_> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of values")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut row = 0;
        while let Some(cell) = seq.next_element_seed(CellSeed)? {
            self.sink.push(self.column_idx, row, cell)?;
            row += 1;
        }
        Ok(row)
    }
}

/// The value of `dataframe_records` (records only) or `instances`/`inputs` (records or columns).
struct RowsSeed<'s, 'b, 'a> {
    sink: &'s mut Sink<'b, 'a>,
    key: &'static str,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(RecordSeed { sink: &mut *self.sink })?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.key == "dataframe_records" {
            return Err(self.sink.fail(ApiError::unprocessable("dataframe_records must be an array of records")));
        }
        let mut lengths: Vec<Option<usize>> = vec![None; self.sink.builder.n_columns()];
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let Some(idx) = self.sink.builder.column_index(&key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if lengths[idx].is_some() {
                return Err(self.sink.fail(ApiError::field(&key, format!("column \"{key}\" appears twice"))));
            }
            lengths[idx] = Some(map.next_value_seed(ColumnSeed { sink: &mut *self.sink, column_idx: idx })?);
        }
        let mut n_rows = None;
        for (idx, length) in lengths.iter().enumerate() {
            let name = self.sink.builder.column_name(idx).to_string();
            match (length, n_rows) {
                (None, _) => return Err(self.sink.fail(ApiError::field(&name, format!("missing field \"{name}\"")))),
                (Some(length), Some(expected)) if *length != expected => {
                    let message = format!("has {length} values but the other columns have {expected}");
                    return Err(self.sink.fail(ApiError::field(&name, message)));
                }
                (Some(length), _) => n_rows = Some(*length),
            }
        }
        self.sink.rows = n_rows.unwrap_or(0);
        Ok(())
    }
    reject_scalars!(());
}

impl RowsSeed<'_, '_, '_> {
    fn reject<E: de::Error>(self, got: &str) -> E {
        let message = format!(
            "{}: expected an array of records (or, for instances and inputs, an object of columns), got {got}",
            self.key
        );
        self.sink.fail(ApiError::unprocessable(message))
    }
}

const DATA_KEYS: [&str; 4] = ["dataframe_split", "dataframe_records", "instances", "inputs"];

/// MLflow's request object: exactly one data key, and optionally `params`.
struct InvocationsSeed<'s, 'b, 'a> {
    sink: &'s mut Sink<'b, 'a>,
}

enum Invocation {
    Rows,
    Split(Value),
}

impl InvocationsSeed<'_, '_, '_> {
    fn reject<E: de::Error>(self, got: &str) -> E {
        let message =
            format!("expected a JSON object with dataframe_split, dataframe_records, instances or inputs, got {got}");
        self.sink.fail(ApiError::unprocessable(message))
    }
}

impl<'de> DeserializeSeed<'de> for InvocationsSeed<'_, '_, '_> {
    type Value = Invocation;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Invocation, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for InvocationsSeed<'_, '_, '_> {
    type Value = Invocation;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an MLflow scoring request")
    }
    reject_scalars!(Invocation);
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Invocation, A::Error> {
        Err(self.reject("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Invocation, A::Error> {
        let mut present: Vec<&'static str> = Vec::new();
        let mut split = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "params" {
                if !map.next_value::<Value>()?.is_object() {
                    return Err(self.sink.fail(ApiError::unprocessable("\"params\" must be an object")));
                }
                continue;
            }
            let Some(data_key) = DATA_KEYS.iter().copied().find(|k| *k == key) else {
                let message = format!(
                    "unexpected key \"{key}\" (expected one of dataframe_split, dataframe_records, instances, inputs, and optionally params)"
                );
                return Err(self.sink.fail(ApiError::unprocessable(message)));
            };
            present.push(data_key);
            if present.len() > 1 {
                let message = format!(
                    "expected exactly one of dataframe_split, dataframe_records, instances, inputs; got {}",
                    present.join(", ")
                );
                return Err(self.sink.fail(ApiError::unprocessable(message)));
            }
            if data_key == "dataframe_split" {
                split = Some(map.next_value::<Value>()?);
            } else {
                map.next_value_seed(RowsSeed { sink: &mut *self.sink, key: data_key })?;
            }
        }
        if present.is_empty() {
            let message = "expected exactly one of dataframe_split, dataframe_records, instances, inputs; got none";
            return Err(self.sink.fail(ApiError::unprocessable(message)));
        }
        Ok(split.map_or(Invocation::Rows, Invocation::Split))
    }
}

fn run<'a, T>(
    schema: &'a [InputColumn],
    body: &[u8],
    parse: impl FnOnce(
        &mut Sink<'_, 'a>,
        &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
    ) -> Result<T, serde_json::Error>,
) -> Result<(T, InputBuilder<'a>, usize), ApiError> {
    let mut builder = InputBuilder::new(schema);
    let n_columns = builder.n_columns();
    let mut sink = Sink { builder: &mut builder, rows: 0, seen: vec![false; n_columns], failure: None };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let outcome = parse(&mut sink, &mut deserializer).and_then(|value| deserializer.end().map(|()| value));
    let (rows, failure) = (sink.rows, sink.failure.take());
    match outcome {
        Ok(value) => Ok((value, builder, rows)),
        Err(error) => Err(failure.unwrap_or_else(|| invalid_json(body, &error))),
    }
}

/// `POST /invocations` with a JSON body.
pub fn invocations(schema: &[InputColumn], body: &[u8]) -> Result<ParsedInput, ApiError> {
    let (invocation, builder, rows) =
        run(schema, body, |sink, deserializer| InvocationsSeed { sink }.deserialize(deserializer))?;
    match invocation {
        Invocation::Rows => builder.finish(rows),
        Invocation::Split(split) => {
            let columns = split.get("columns").and_then(Value::as_array);
            let data = split.get("data").and_then(Value::as_array);
            match (columns, data) {
                (Some(columns), Some(data)) => from_split(schema, columns, data),
                _ => Err(ApiError::unprocessable("dataframe_split needs \"columns\" and \"data\" arrays")),
            }
        }
    }
}

/// `POST /predict_api`: one record.
pub fn single_record(schema: &[InputColumn], body: &[u8]) -> Result<ParsedInput, ApiError> {
    let ((), builder, rows) = run(schema, body, |sink, deserializer| RecordSeed { sink }.deserialize(deserializer))?;
    builder.finish(rows)
}

#[cfg(test)]
#[path = "json_input_fuzz.rs"]
mod fuzz;
