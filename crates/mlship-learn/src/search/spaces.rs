//! PyCaret 3.3.2's search spaces, as data: every model container's
//! `tune_grid` (what its scikit-learn random and grid searches sample) and
//! `tune_distribution` (what its Bayesian searches sample), read off PyCaret
//! itself by `fixtures/pycaret_tune_grids.py` into `data/pycaret_tune_grids.json`
//! and compiled in. Copying PyCaret's lists (`np.arange` floats and all) is
//! what makes a seed draw the same candidates here as there.
//!
//! A few grid names are PyCaret's or the library's aliases of a parameter
//! mlship names otherwise (LightGBM's `feature_fraction` is `colsample_bytree`,
//! CatBoost's `eta` is `learning_rate`, PyCaret's `hidden_layer_size_N` build
//! `hidden_layer_sizes`); `model_params` turns a candidate into mlship's names.

use super::grid::{Candidate, SearchGrid};
use crate::params::ParamValue;
use crate::task::Task;
use crate::LearnError;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

const GRIDS_JSON: &str = include_str!("../../data/pycaret_tune_grids.json");

/// One parameter's prior for the Bayesian search (PyCaret's distributions).
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// A real number in `[lower, upper]`, uniform or log-uniform.
    Uniform {
        /// The smallest value.
        lower: f64,
        /// The largest value.
        upper: f64,
        /// Uniform in the logarithm.
        log: bool,
    },
    /// A whole number in `[lower, upper]`, uniform or log-uniform.
    IntUniform {
        /// The smallest value.
        lower: i64,
        /// The largest value.
        upper: i64,
        /// Uniform in the logarithm.
        log: bool,
    },
    /// One of these values.
    Categorical(Vec<ParamValue>),
}

/// A model's search space.
#[derive(Debug, Clone)]
pub struct SearchSpace {
    /// The library class PyCaret tunes.
    pub class: String,
    /// `tune_grid`, in PyCaret's declaration order.
    pub grid: Vec<(String, Vec<ParamValue>)>,
    /// `tune_distribution`, in PyCaret's declaration order.
    pub distributions: Vec<(String, Distribution)>,
}

type Spaces = HashMap<(Task, String), SearchSpace>;

/// A JSON grid value as a parameter value. scikit-learn reads an empty
/// `class_weight` dict as "no weights", which is `None`.
fn param_value(value: &Value) -> Result<ParamValue, String> {
    Ok(match value {
        Value::Null => ParamValue::Null,
        Value::Bool(flag) => ParamValue::Bool(*flag),
        Value::Number(number) => match number.as_i64() {
            Some(int) => ParamValue::Int(int),
            None => ParamValue::Float(number.as_f64().ok_or_else(|| format!("number {number}"))?),
        },
        Value::String(text) => ParamValue::Str(text.clone()),
        Value::Object(map) if map.is_empty() => ParamValue::Null,
        other => return Err(format!("unsupported grid value {other}")),
    })
}

fn distribution(value: &Value) -> Result<Distribution, String> {
    let field = |name: &str| value.get(name).ok_or_else(|| format!("distribution without \"{name}\": {value}"));
    let log = field("log").ok().and_then(Value::as_bool).unwrap_or(false);
    match field("type")?.as_str() {
        Some("uniform") => Ok(Distribution::Uniform {
            lower: field("lower")?.as_f64().ok_or("lower")?,
            upper: field("upper")?.as_f64().ok_or("upper")?,
            log,
        }),
        Some("int_uniform") => Ok(Distribution::IntUniform {
            lower: field("lower")?.as_i64().ok_or("lower")?,
            upper: field("upper")?.as_i64().ok_or("upper")?,
            log,
        }),
        Some("categorical") => {
            let values = field("values")?.as_array().ok_or("values")?;
            Ok(Distribution::Categorical(values.iter().map(param_value).collect::<Result<_, _>>()?))
        }
        other => Err(format!("unknown distribution type {other:?}")),
    }
}

fn named_pairs<T>(value: &Value, convert: impl Fn(&Value) -> Result<T, String>) -> Result<Vec<(String, T)>, String> {
    let pairs = value.as_array().ok_or("expected a list of [name, value] pairs")?;
    pairs
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([Value::String(name), inner]) => Ok((name.clone(), convert(inner)?)),
            _ => Err(format!("expected [name, value], got {pair}")),
        })
        .collect()
}

fn parse_spaces() -> Result<Spaces, String> {
    let document: Value = serde_json::from_str(GRIDS_JSON).map_err(|error| error.to_string())?;
    let mut spaces = Spaces::new();
    let models = document.get("models").and_then(Value::as_object).ok_or("no \"models\"")?;
    for (task_name, by_id) in models {
        let task = Task::parse(task_name).ok_or_else(|| format!("unknown task {task_name}"))?;
        for (id, space) in by_id.as_object().ok_or("models by id")? {
            let grid = named_pairs(space.get("tune_grid").ok_or("tune_grid")?, |values| {
                values
                    .as_array()
                    .ok_or_else(|| format!("{id}: values"))
                    .and_then(|list| list.iter().map(param_value).collect::<Result<Vec<_>, _>>())
            })?;
            let distributions = named_pairs(space.get("tune_distribution").ok_or("tune_distribution")?, distribution)?;
            let class = space.get("class").and_then(Value::as_str).unwrap_or_default().to_string();
            spaces.insert((task, id.clone()), SearchSpace { class, grid, distributions });
        }
    }
    Ok(spaces)
}

fn spaces() -> Result<&'static Spaces, LearnError> {
    static SPACES: OnceLock<Result<Spaces, String>> = OnceLock::new();
    SPACES
        .get_or_init(parse_spaces)
        .as_ref()
        .map_err(|error| LearnError::InvalidOption(format!("the built-in search spaces are unreadable: {error}")))
}

/// PyCaret's search space for a model; a model without one (the dummy
/// regressor) is an error that says to give `--custom-grid`.
pub fn search_space(task: Task, id: &str) -> Result<&'static SearchSpace, LearnError> {
    let space = spaces()?.get(&(task, id.to_string())).ok_or_else(|| {
        LearnError::InvalidOption(format!("PyCaret has no search space for the {} model \"{id}\"", task.as_str()))
    })?;
    if space.grid.is_empty() {
        return Err(LearnError::InvalidOption(format!(
            "PyCaret's search space for \"{id}\" is empty: give --custom-grid to tune it"
        )));
    }
    Ok(space)
}

/// PyCaret's `tune_grid` for a model, as a grid to search.
pub fn tune_grid(task: Task, id: &str) -> Result<SearchGrid, LearnError> {
    SearchGrid::new(search_space(task, id)?.grid.clone())
}

/// The name mlship gives a grid parameter of model `id` (the library's alias
/// resolved); most names are already mlship's.
pub fn canonical_name<'a>(id: &str, name: &'a str) -> &'a str {
    match (id, name) {
        ("lightgbm", "feature_fraction") => "colsample_bytree",
        ("lightgbm", "bagging_fraction") => "subsample",
        ("lightgbm", "bagging_freq") => "subsample_freq",
        ("catboost", "eta") => "learning_rate",
        ("catboost", "n_estimators") => "iterations",
        _ => name,
    }
}

/// A candidate as the parameters of model `id`, in mlship's names:
/// aliases resolved and PyCaret's `hidden_layer_size_0`, `_1`, … (a size of
/// 0 or less removes the layer, as PyCaret's tunable MLP does) gathered into
/// `hidden_layer_sizes`.
pub fn model_params(id: &str, candidate: &Candidate) -> Result<Vec<(String, ParamValue)>, LearnError> {
    let mut params = Vec::with_capacity(candidate.len());
    let mut layers: BTreeMap<usize, i64> = BTreeMap::new();
    for (name, value) in candidate {
        if let Some(layer) = name.strip_prefix("hidden_layer_size_").and_then(|n| n.parse::<usize>().ok()) {
            let size = match value {
                ParamValue::Int(size) => *size,
                other => {
                    return Err(LearnError::InvalidOption(format!(
                        "\"{name}\" must be a whole number of neurons, got {other}"
                    )))
                }
            };
            layers.insert(layer, size);
        } else {
            params.push((canonical_name(id, name).to_string(), value.clone()));
        }
    }
    if !layers.is_empty() {
        let sizes: Vec<i64> = layers.into_values().filter(|&size| size > 0).collect();
        if sizes.is_empty() {
            return Err(LearnError::InvalidOption("every hidden_layer_size_N is 0: the MLP needs a layer".into()));
        }
        params.push(("hidden_layer_sizes".to_string(), ParamValue::IntList(sizes)));
    }
    Ok(params)
}
