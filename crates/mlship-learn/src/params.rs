//! Hyperparameters as data: every model declares its parameters once (name,
//! type, range, default, scikit-learn's meaning) and that declaration is the
//! one place that validates `--param`, the TOML `[model]` table and a loaded
//! artifact's spec, renders the CLI help and names the allowed values in
//! errors. Values keep scikit-learn's names, so a PyCaret user's
//! `n_neighbors=7` means what it means there.

use crate::LearnError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// One parameter value. Untagged so that the artifact and `--json` read as
/// scikit-learn's `get_params()` would print them (`7`, `0.1`, `"scale"`,
/// `null`, `[100]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// Python's `None`.
    Null,
    /// A flag.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A real number.
    Float(f64),
    /// A word from a fixed set (`"scale"`, `"uniform"`, …).
    Str(String),
    /// A tuple of whole numbers (`hidden_layer_sizes`).
    IntList(Vec<i64>),
    /// A list of real numbers (an ensemble's `weights`); after `IntList`, so
    /// `[1, 2]` still reads as whole numbers and `[0.5, 1.5]` as reals.
    FloatList(Vec<f64>),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Null => write!(f, "None"),
            ParamValue::Bool(value) => write!(f, "{}", if *value { "True" } else { "False" }),
            ParamValue::Int(value) => write!(f, "{value}"),
            ParamValue::Float(value) => write!(f, "{value}"),
            ParamValue::Str(value) => write!(f, "{value}"),
            ParamValue::IntList(values) => {
                let parts: Vec<String> = values.iter().map(i64::to_string).collect();
                write!(f, "[{}]", parts.join(","))
            }
            ParamValue::FloatList(values) => {
                let parts: Vec<String> = values.iter().map(f64::to_string).collect();
                write!(f, "[{}]", parts.join(","))
            }
        }
    }
}

/// What a parameter accepts. A parameter may accept several kinds
/// (`gamma`: "scale", "auto" or a positive float), tried in order.
#[derive(Debug, Clone, Copy)]
pub enum ParamKind {
    /// A real number in `[min, max]`; `open_min` excludes `min` itself.
    Float {
        /// The smallest value accepted.
        min: f64,
        /// The largest value accepted.
        max: f64,
        /// Whether `min` itself is refused.
        open_min: bool,
    },
    /// A whole number in `[min, max]`.
    Int {
        /// The smallest value accepted.
        min: i64,
        /// The largest value accepted.
        max: i64,
    },
    /// True or false.
    Bool,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// Python's `None`.
    Null,
    /// A non-empty list of whole numbers, each at least `min`.
    IntList {
        /// The smallest value accepted for each element.
        min: i64,
    },
    /// A non-empty list of finite real numbers, each at least `min`.
    FloatList {
        /// The smallest value accepted for each element.
        min: f64,
    },
}

impl ParamKind {
    /// A non-negative real number.
    pub const NON_NEGATIVE: ParamKind = ParamKind::Float { min: 0.0, max: f64::INFINITY, open_min: false };
    /// A strictly positive real number.
    pub const POSITIVE: ParamKind = ParamKind::Float { min: 0.0, max: f64::INFINITY, open_min: true };
    /// A fraction in [0, 1].
    pub const FRACTION: ParamKind = ParamKind::Float { min: 0.0, max: 1.0, open_min: false };
    /// A whole number of at least 1.
    pub const COUNT: ParamKind = ParamKind::Int { min: 1, max: i64::MAX };
    /// A seed: scikit-learn accepts any non-negative 32-bit integer.
    pub const SEED: ParamKind = ParamKind::Int { min: 0, max: u32::MAX as i64 };

    fn describe(&self) -> String {
        let bound = |value: f64| if value.is_infinite() { "inf".to_string() } else { format!("{value}") };
        match self {
            ParamKind::Float { min, max, open_min } => {
                let open = if *open_min { "(" } else { "[" };
                format!("a number in {open}{}, {}]", bound(*min), bound(*max))
            }
            ParamKind::Int { min, max } if *max == i64::MAX => format!("an integer >= {min}"),
            ParamKind::Int { min, max } => format!("an integer in [{min}, {max}]"),
            ParamKind::Bool => "true or false".to_string(),
            ParamKind::Choice(words) => {
                let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
                format!("one of {}", quoted.join(", "))
            }
            ParamKind::Null => "None".to_string(),
            ParamKind::IntList { min } => format!("a list of integers >= {min}, e.g. 100 or 100,50"),
            ParamKind::FloatList { min } => format!("a list of numbers >= {min}, e.g. 1,2,1 or 0.5,0.25,0.25"),
        }
    }

    /// Whether `value` is of this kind's own type (no conversion needed).
    fn same_type(&self, value: &ParamValue) -> bool {
        matches!(
            (self, value),
            (ParamKind::Float { .. }, ParamValue::Float(_))
                | (ParamKind::Int { .. }, ParamValue::Int(_))
                | (ParamKind::Bool, ParamValue::Bool(_))
                | (ParamKind::Choice(_), ParamValue::Str(_))
                | (ParamKind::Null, ParamValue::Null)
                | (ParamKind::IntList { .. }, ParamValue::IntList(_))
                | (ParamKind::FloatList { .. }, ParamValue::FloatList(_))
        )
    }

    /// The value as this kind accepts it (an integer is a valid float), or why not.
    fn accept(&self, value: &ParamValue) -> Option<ParamValue> {
        match (self, value) {
            (ParamKind::Float { min, max, open_min }, ParamValue::Float(_) | ParamValue::Int(_)) => {
                let number = match value {
                    ParamValue::Float(v) => *v,
                    ParamValue::Int(v) => *v as f64,
                    _ => return None,
                };
                let above = if *open_min { number > *min } else { number >= *min };
                (number.is_finite() && above && number <= *max).then_some(ParamValue::Float(number))
            }
            (ParamKind::Int { min, max }, ParamValue::Int(v)) => (v >= min && v <= max).then_some(value.clone()),
            // 7.0 is a fine integer; 7.5 is not.
            (ParamKind::Int { min, max }, ParamValue::Float(v)) if v.fract() == 0.0 && v.abs() < 9e15 => {
                let whole = *v as i64;
                (whole >= *min && whole <= *max).then_some(ParamValue::Int(whole))
            }
            (ParamKind::Bool, ParamValue::Bool(_)) => Some(value.clone()),
            (ParamKind::Choice(words), ParamValue::Str(word)) => words.contains(&word.as_str()).then(|| value.clone()),
            (ParamKind::Null, ParamValue::Null) => Some(ParamValue::Null),
            (ParamKind::IntList { min }, ParamValue::IntList(values)) => {
                (!values.is_empty() && values.iter().all(|v| v >= min)).then(|| value.clone())
            }
            (ParamKind::IntList { min }, ParamValue::Int(v)) => (v >= min).then(|| ParamValue::IntList(vec![*v])),
            (ParamKind::FloatList { min }, ParamValue::FloatList(_) | ParamValue::IntList(_)) => {
                let values: Vec<f64> = match value {
                    ParamValue::FloatList(values) => values.clone(),
                    ParamValue::IntList(values) => values.iter().map(|&v| v as f64).collect(),
                    _ => return None,
                };
                let fine = !values.is_empty() && values.iter().all(|v| v.is_finite() && v >= min);
                fine.then_some(ParamValue::FloatList(values))
            }
            _ => None,
        }
    }
}

/// One declared parameter of one model.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// scikit-learn's (or the boosting library's) name.
    pub name: &'static str,
    /// What it accepts, tried in order.
    pub kinds: &'static [ParamKind],
    /// The library class's default, as PyCaret creates the model.
    pub default: DefaultValue,
    /// One line for `--help` and the docs.
    pub help: &'static str,
}

/// A default that can live in a `static` table.
#[derive(Debug, Clone, Copy)]
pub enum DefaultValue {
    /// `None`.
    Null,
    /// A flag.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A real number.
    Float(f64),
    /// A word.
    Str(&'static str),
    /// A tuple of whole numbers.
    IntList(&'static [i64]),
    /// The session's seed (`random_state=session_id`, as PyCaret sets it).
    Seed,
}

impl ParamSpec {
    fn default_value(&self, seed: u32) -> ParamValue {
        match self.default {
            DefaultValue::Null => ParamValue::Null,
            DefaultValue::Bool(v) => ParamValue::Bool(v),
            DefaultValue::Int(v) => ParamValue::Int(v),
            DefaultValue::Float(v) => ParamValue::Float(v),
            DefaultValue::Str(v) => ParamValue::Str(v.to_string()),
            DefaultValue::IntList(v) => ParamValue::IntList(v.to_vec()),
            DefaultValue::Seed => ParamValue::Int(i64::from(seed)),
        }
    }

    /// The default as help shows it (`session_id` for a seed).
    pub fn default_text(&self) -> String {
        match self.default {
            DefaultValue::Seed => "session_id".to_string(),
            _ => self.default_value(0).to_string(),
        }
    }

    /// What the parameter accepts, for errors and help.
    pub fn allowed(&self) -> String {
        let parts: Vec<String> = self.kinds.iter().map(ParamKind::describe).collect();
        parts.join(" or ")
    }
}

/// Parses a command-line value (`7`, `0.5`, `true`, `None`, `scale`, `100,50`)
/// into the most specific value it can be; `ParamSpec` then decides whether
/// that value is allowed.
pub fn parse_param_text(text: &str) -> ParamValue {
    let trimmed = text.trim();
    match trimmed {
        "None" | "none" | "null" => return ParamValue::Null,
        "true" | "True" => return ParamValue::Bool(true),
        "false" | "False" => return ParamValue::Bool(false),
        _ => {}
    }
    if let Ok(value) = trimmed.parse::<i64>() {
        return ParamValue::Int(value);
    }
    if let Ok(value) = trimmed.parse::<f64>() {
        return ParamValue::Float(value);
    }
    let inner = trimmed.trim_start_matches(['(', '[']).trim_end_matches([')', ']']);
    if inner.contains(',') {
        let parts: Result<Vec<i64>, _> =
            inner.split(',').filter(|p| !p.trim().is_empty()).map(|p| p.trim().parse::<i64>()).collect();
        if let Ok(values) = parts {
            return ParamValue::IntList(values);
        }
        let reals: Result<Vec<f64>, _> =
            inner.split(',').filter(|p| !p.trim().is_empty()).map(|p| p.trim().parse::<f64>()).collect();
        if let Ok(values) = reals {
            return ParamValue::FloatList(values);
        }
    }
    ParamValue::Str(trimmed.to_string())
}

/// A model's parameters, resolved: every declared parameter present, each
/// value checked against its declaration.
pub type Params = BTreeMap<String, ParamValue>;

/// Checks `given` against `declared` and fills the defaults: an unknown name,
/// a wrong type or an out-of-range value is an error naming the model, the
/// parameter and what it accepts.
pub fn resolve_params(
    model_id: &str,
    declared: &[ParamSpec],
    given: &[(String, ParamValue)],
    seed: u32,
) -> Result<Params, LearnError> {
    let mut params: Params = declared.iter().map(|spec| (spec.name.to_string(), spec.default_value(seed))).collect();
    for (name, value) in given {
        let Some(spec) = declared.iter().find(|spec| spec.name == name) else {
            let known: Vec<&str> = declared.iter().map(|spec| spec.name).collect();
            let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
            return Err(LearnError::InvalidOption(format!(
                "model \"{model_id}\" has no parameter \"{name}\" (its parameters: {known})"
            )));
        };
        // A kind of the value's own type first: `max_features=1` is one feature (an
        // integer), `max_features=1.0` all of them (a fraction); only then conversions.
        let exact = spec.kinds.iter().filter(|kind| kind.same_type(value)).find_map(|kind| kind.accept(value));
        let accepted = exact.or_else(|| spec.kinds.iter().find_map(|kind| kind.accept(value))).ok_or_else(|| {
            LearnError::InvalidOption(format!(
                "model \"{model_id}\" parameter \"{name}\": {value} is not allowed (expected {})",
                spec.allowed()
            ))
        })?;
        params.insert(name.clone(), accepted);
    }
    Ok(params)
}

/// Typed reads of resolved parameters. Resolution guarantees presence and
/// type, so a failure here means a spec table and a family disagree: an
/// internal error, reported rather than panicking.
pub trait ParamsExt {
    /// A real number (an integer reads as one).
    fn float(&self, name: &str) -> Result<f64, LearnError>;
    /// A whole number.
    fn int(&self, name: &str) -> Result<i64, LearnError>;
    /// A count (a whole number of at least 0).
    fn usize(&self, name: &str) -> Result<usize, LearnError>;
    /// A flag.
    fn bool(&self, name: &str) -> Result<bool, LearnError>;
    /// The raw value.
    fn value(&self, name: &str) -> Result<&ParamValue, LearnError>;
    /// The seed, as a 32-bit integer.
    fn seed(&self, name: &str) -> Result<u32, LearnError>;
}

fn wrong(name: &str, value: &ParamValue, expected: &str) -> LearnError {
    LearnError::InvalidOption(format!("parameter \"{name}\": {value} is not {expected}"))
}

impl ParamsExt for Params {
    fn value(&self, name: &str) -> Result<&ParamValue, LearnError> {
        self.get(name).ok_or_else(|| LearnError::InvalidOption(format!("parameter \"{name}\" is missing")))
    }
    fn float(&self, name: &str) -> Result<f64, LearnError> {
        match self.value(name)? {
            ParamValue::Float(v) => Ok(*v),
            ParamValue::Int(v) => Ok(*v as f64),
            other => Err(wrong(name, other, "a number")),
        }
    }
    fn int(&self, name: &str) -> Result<i64, LearnError> {
        match self.value(name)? {
            ParamValue::Int(v) => Ok(*v),
            ParamValue::Float(v) if v.fract() == 0.0 => Ok(*v as i64),
            other => Err(wrong(name, other, "an integer")),
        }
    }
    fn usize(&self, name: &str) -> Result<usize, LearnError> {
        let value = self.int(name)?;
        usize::try_from(value).map_err(|_| wrong(name, &ParamValue::Int(value), "a count"))
    }
    fn bool(&self, name: &str) -> Result<bool, LearnError> {
        match self.value(name)? {
            ParamValue::Bool(v) => Ok(*v),
            other => Err(wrong(name, other, "true or false")),
        }
    }
    fn seed(&self, name: &str) -> Result<u32, LearnError> {
        let value = self.int(name)?;
        u32::try_from(value).map_err(|_| wrong(name, &ParamValue::Int(value), "a 32-bit seed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[
        ParamSpec { name: "n_neighbors", kinds: &[ParamKind::COUNT], default: DefaultValue::Int(5), help: "" },
        ParamSpec {
            name: "gamma",
            kinds: &[ParamKind::Choice(&["scale", "auto"]), ParamKind::POSITIVE],
            default: DefaultValue::Str("scale"),
            help: "",
        },
        ParamSpec { name: "random_state", kinds: &[ParamKind::SEED], default: DefaultValue::Seed, help: "" },
    ];

    #[test]
    fn defaults_fill_and_values_convert() {
        let given = vec![("gamma".to_string(), parse_param_text("2"))];
        let params = resolve_params("svm", SPECS, &given, 123).unwrap();
        assert_eq!(params["n_neighbors"], ParamValue::Int(5));
        assert_eq!(params["gamma"], ParamValue::Float(2.0));
        assert_eq!(params["random_state"], ParamValue::Int(123));
    }

    #[test]
    fn errors_name_model_parameter_and_allowed_values() {
        let unknown = resolve_params("knn", SPECS, &[("k".into(), ParamValue::Int(3))], 0).unwrap_err();
        assert!(unknown.to_string().contains("model \"knn\" has no parameter \"k\""), "{unknown}");
        assert!(unknown.to_string().contains("n_neighbors"), "{unknown}");
        let range = resolve_params("knn", SPECS, &[("n_neighbors".into(), ParamValue::Int(0))], 0).unwrap_err();
        assert!(range.to_string().contains("an integer >= 1"), "{range}");
        let kind = resolve_params("knn", SPECS, &[("gamma".into(), parse_param_text("fast"))], 0).unwrap_err();
        assert!(kind.to_string().contains("one of \"scale\", \"auto\" or a number in (0, inf]"), "{kind}");
        let half = resolve_params("knn", SPECS, &[("n_neighbors".into(), ParamValue::Float(2.5))], 0).unwrap_err();
        let either = [ParamSpec {
            name: "max_features",
            kinds: &[ParamKind::FRACTION, ParamKind::COUNT],
            default: DefaultValue::Float(1.0),
            help: "",
        }];
        let one = resolve_params("dt", &either, &[("max_features".into(), ParamValue::Int(1))], 0).unwrap();
        assert_eq!(one["max_features"], ParamValue::Int(1), "an integer stays a count");
        let all = resolve_params("dt", &either, &[("max_features".into(), ParamValue::Float(1.0))], 0).unwrap();
        assert_eq!(all["max_features"], ParamValue::Float(1.0), "a float stays a fraction");
        assert!(half.to_string().contains("2.5 is not allowed"), "{half}");
    }

    #[test]
    fn command_line_text_parses_to_the_most_specific_value() {
        assert_eq!(parse_param_text("None"), ParamValue::Null);
        assert_eq!(parse_param_text("7"), ParamValue::Int(7));
        assert_eq!(parse_param_text("1e-3"), ParamValue::Float(1e-3));
        assert_eq!(parse_param_text("(100, 50)"), ParamValue::IntList(vec![100, 50]));
        assert_eq!(parse_param_text("distance"), ParamValue::Str("distance".into()));
        assert_eq!(parse_param_text("True"), ParamValue::Bool(true));
        assert_eq!(parse_param_text("0.5,1,2"), ParamValue::FloatList(vec![0.5, 1.0, 2.0]));
    }

    #[test]
    fn float_lists_take_whole_numbers_and_refuse_negatives() {
        let weights = [ParamSpec {
            name: "weights",
            kinds: &[ParamKind::Null, ParamKind::FloatList { min: 0.0 }],
            default: DefaultValue::Null,
            help: "",
        }];
        let whole = resolve_params("blend", &weights, &[("weights".into(), parse_param_text("1,2,1"))], 0).unwrap();
        assert_eq!(whole["weights"], ParamValue::FloatList(vec![1.0, 2.0, 1.0]));
        let negative = resolve_params("blend", &weights, &[("weights".into(), parse_param_text("1,-2"))], 0);
        assert!(negative.unwrap_err().to_string().contains("a list of numbers >= 0"));
        let text = serde_json::to_string(&ParamValue::FloatList(vec![0.5, 2.0])).unwrap();
        assert_eq!(serde_json::from_str::<ParamValue>(&text).unwrap(), ParamValue::FloatList(vec![0.5, 2.0]));
    }
}
