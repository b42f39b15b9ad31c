//! `KNeighborsRegressor` (PyCaret's `knn`): the mean (or inverse-distance
//! weighted mean) of the targets of the k nearest training rows under a
//! Minkowski distance, as scikit-learn's `sklearn.neighbors` computes it.
//!
//! Semantics chosen where scikit-learn is loose:
//! - Ties in distance go to the lower training index, always. scikit-learn's
//!   brute force keeps the first row met in index order (its heap only takes
//!   a strictly closer row), but its kd-tree keeps whichever row its walk
//!   meets first, so the two can disagree on ties; here the tree and the
//!   brute force return the same neighbours by construction (see `kd_tree`).
//! - `algorithm` picks only the search, never the answer: "auto" builds the
//!   kd-tree when scikit-learn's rule would (at most 15 features and
//!   `n_neighbors < n_samples / 2`), "kd_tree" and "ball_tree" always build
//!   it (a ball tree would find the same exact neighbours), "brute" never.
//! - `weights="distance"` with a query at distance 0 from some rows predicts
//!   the mean target of those rows only (scikit-learn's rule). Distances here
//!   are computed from coordinate differences, so an exact match is exactly
//!   0; scikit-learn's brute force computes Euclidean distances through
//!   ‖x‖² − 2x·y + ‖y‖², where an exact match can come out as ~1e-8.
//! - `n_neighbors` larger than the training rows is refused when fitting
//!   (scikit-learn refuses it when predicting), and a query with a NaN or
//!   infinite feature is refused (a nearest neighbour of NaN is meaningless).

mod kd_tree;

use crate::matrix::Matrix;
use crate::models::{Fitted, FittedModel, ModelEntry, TrainingData};
use crate::numpy::argmax;
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
pub use kd_tree::KdTree;
use kd_tree::{Euclidean, Manhattan, Minkowski, NeighbourHeap, Rows, Term};
use serde::{Deserialize, Serialize};

/// The distance, with scikit-learn's `effective_metric_` reduction of
/// Minkowski p = 1 and p = 2.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum Metric {
    /// p = 1.
    Manhattan,
    /// p = 2.
    Euclidean,
    /// Any other p >= 1.
    Minkowski {
        /// The power of the distance.
        p: f64,
    },
}

/// How the neighbours' targets are averaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weights {
    /// The plain mean.
    Uniform,
    /// Weighted by the inverse distance.
    Distance,
}

/// A fitted `KNeighborsRegressor`: the training rows themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedNeighbors {
    /// How many neighbours each prediction averages.
    pub n_neighbors: usize,
    /// How their targets are averaged.
    pub weights: Weights,
    /// The distance between rows.
    pub metric: Metric,
    /// The number of input features, checked when predicting.
    pub n_features: usize,
    /// The training rows, row-major, in the tree's leaf order (training
    /// order when there is no tree), so a leaf's rows are contiguous.
    pub rows: Vec<f64>,
    /// Each stored row's index in the training data: the tie-break.
    pub train_index: Vec<u32>,
    /// Each stored row's target.
    pub y: Vec<f64>,
    /// The kd-tree over the stored rows; `None` searches by brute force.
    pub tree: Option<KdTree>,
    /// A classifier's number of classes (`y` then holds class codes); 0 for
    /// the regressor (and in artifacts written before classification).
    #[serde(default)]
    pub n_classes: usize,
}

const CLASS: &str = "KNeighborsRegressor";

impl Fitted for FittedNeighbors {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn is_finite(&self) -> bool {
        self.rows.iter().all(|v| v.is_finite()) && self.y.iter().all(|v| v.is_finite())
    }

    fn validate(&self) -> Result<(), String> {
        self.check_consistent().map_err(|e| e.to_string())?;
        super::validate::finite("rows", &self.rows)?;
        super::validate::finite("y", &self.y)?;
        if let Some(code) = self
            .y
            .iter()
            .find(|&&code| self.n_classes > 0 && !(code >= 0.0 && code < self.n_classes as f64 && code.fract() == 0.0))
        {
            return Err(format!("y holds {code}, not a class code below n_classes {}", self.n_classes));
        }
        if let Metric::Minkowski { p } = self.metric {
            if !(p.is_finite() && p >= 1.0) {
                return Err(format!("metric.p is {p}, expected a number >= 1"));
            }
        }
        match &self.tree {
            Some(tree) => {
                super::validate::finite("tree.lower", &tree.lower)?;
                super::validate::finite("tree.upper", &tree.upper)
            }
            None => Ok(()),
        }
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        if self.n_classes > 0 {
            let probabilities = self.class_shares(x)?;
            return Ok(probabilities.chunks(self.n_classes).map(|row| argmax(row) as f64).collect());
        }
        let mut predictions = Vec::with_capacity(x.n_rows);
        self.search(x, |neighbours| predictions.push(self.average(neighbours)))?;
        Ok(predictions)
    }

    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        (self.n_classes > 0).then(|| self.class_shares(x))
    }
}

impl FittedNeighbors {
    /// A model read from a file is checked before it is indexed.
    fn check_consistent(&self) -> Result<(), LearnError> {
        let n_rows = self.y.len();
        let consistent = n_rows.checked_mul(self.n_features) == Some(self.rows.len())
            && self.train_index.len() == n_rows
            && self.n_features >= 1
            && self.n_neighbors >= 1
            && self.n_neighbors <= n_rows
            && self.tree.as_ref().is_none_or(|tree| tree.is_consistent(n_rows, self.n_features));
        if consistent {
            Ok(())
        } else {
            Err(LearnError::InvalidOption(format!("the stored {CLASS} is inconsistent (a damaged artifact?)")))
        }
    }

    /// Calls `each` with every query row's neighbours, nearest first.
    fn search(&self, x: &Matrix, each: impl FnMut(&[kd_tree::Candidate])) -> Result<(), LearnError> {
        x.expect_width(self.n_features, self.class_name())?;
        self.check_consistent()?;
        match self.metric {
            Metric::Euclidean => self.search_with(&Euclidean, x, each),
            Metric::Manhattan => self.search_with(&Manhattan, x, each),
            Metric::Minkowski { p } => self.search_with(&Minkowski(p), x, each),
        }
    }

    fn class_name(&self) -> &'static str {
        if self.n_classes > 0 {
            "KNeighborsClassifier"
        } else {
            CLASS
        }
    }

    /// `KNeighborsClassifier.predict_proba`: each class's share of the
    /// neighbours' (uniform or inverse-distance) weights, row-major.
    fn class_shares(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let k = self.n_classes;
        let mut out = Vec::with_capacity(x.n_rows * k);
        let mut bad_code = None;
        self.search(x, |neighbours| {
            let start = out.len();
            out.resize(start + k, 0.0);
            let exact = self.weights == Weights::Distance && neighbours.iter().any(|c| c.rdist == 0.0);
            for candidate in neighbours {
                let weight = match (self.weights, exact) {
                    (Weights::Uniform, _) => 1.0,
                    // scikit-learn: a row with an exact match weighs its matches only.
                    (Weights::Distance, true) => f64::from(u8::from(candidate.rdist == 0.0)),
                    (Weights::Distance, false) => 1.0 / self.distance(candidate.rdist),
                };
                let code = self.y[candidate.position as usize];
                match out.get_mut(start + code as usize) {
                    Some(slot) if code >= 0.0 && (code as usize) < k => *slot += weight,
                    _ => bad_code = Some(code),
                }
            }
            let total: f64 = out[start..].iter().sum();
            out[start..].iter_mut().for_each(|v| *v /= total);
        })?;
        match bad_code {
            Some(code) => Err(LearnError::InvalidOption(format!(
                "the stored KNeighborsClassifier has class code {code} outside its {k} classes (a damaged artifact?)"
            ))),
            None => Ok(out),
        }
    }

    fn search_with<T: Term>(
        &self,
        term: &T,
        x: &Matrix,
        mut each: impl FnMut(&[kd_tree::Candidate]),
    ) -> Result<(), LearnError> {
        let rows = Rows { values: &self.rows, train_index: &self.train_index, n_features: self.n_features };
        let mut heap = NeighbourHeap::new(self.n_neighbors);
        let mut stack = Vec::new();
        let mut query = vec![0.0; self.n_features];
        for row in 0..x.n_rows {
            for (feature, (value, column)) in query.iter_mut().zip(&x.columns).enumerate() {
                *value = column[row];
                if !value.is_finite() {
                    return Err(LearnError::Value {
                        column: format!("feature {feature}"),
                        row,
                        message: format!(
                            "{value} is not a finite number ({} needs finite features)",
                            self.class_name()
                        ),
                    });
                }
            }
            match &self.tree {
                Some(tree) => tree.query(term, &rows, &query, &mut heap, &mut stack),
                None => rows.brute_force(term, &query, &mut heap),
            }
            each(heap.sorted());
        }
        Ok(())
    }

    fn average(&self, neighbours: &[kd_tree::Candidate]) -> f64 {
        let target = |c: &kd_tree::Candidate| self.y[c.position as usize];
        match self.weights {
            Weights::Uniform => neighbours.iter().map(target).sum::<f64>() / neighbours.len() as f64,
            Weights::Distance => {
                // scikit-learn: 1/0 is infinite, and a row with an infinite
                // weight averages its exact matches only.
                let exact: Vec<f64> = neighbours.iter().filter(|c| c.rdist == 0.0).map(target).collect();
                if !exact.is_empty() {
                    return exact.iter().sum::<f64>() / exact.len() as f64;
                }
                let (mut numerator, mut denominator) = (0.0, 0.0);
                for candidate in neighbours {
                    let weight = 1.0 / self.distance(candidate.rdist);
                    numerator += target(candidate) * weight;
                    denominator += weight;
                }
                numerator / denominator
            }
        }
    }

    /// The distance from a reduced distance (scikit-learn's `rdist_to_dist`).
    fn distance(&self, rdist: f64) -> f64 {
        match self.metric {
            Metric::Euclidean => rdist.sqrt(),
            Metric::Manhattan => rdist,
            Metric::Minkowski { p } => rdist.powf(1.0 / p),
        }
    }
}

/// `NearestNeighbors(n_neighbors=k).fit(x).kneighbors(x)` under the
/// Euclidean distance: each row's `k` nearest rows of `x` (itself included),
/// nearest first, ties to the lower row index, row-major `n_rows × k`. SMOTE
/// asks this of each class's rows; the kd-tree (leaf size 30) serves it under
/// scikit-learn's "auto" rule, brute force otherwise, with the same answer.
/// The caller checks `1 <= k <= n_rows`, at least one feature, finite values
/// and fewer than 2^32 rows.
pub(crate) fn kneighbors_of_own_rows(x: &Matrix, k: usize) -> Result<Vec<usize>, LearnError> {
    let (n_rows, n_features) = (x.n_rows, x.n_cols());
    let mut rows = vec![0.0; n_rows * n_features];
    for (feature, column) in x.columns.iter().enumerate() {
        for (row, value) in column.iter().enumerate() {
            rows[row * n_features + feature] = *value;
        }
    }
    let mut fitted = FittedNeighbors {
        n_neighbors: k,
        weights: Weights::Uniform,
        metric: Metric::Euclidean,
        n_features,
        rows,
        train_index: (0..n_rows as u32).collect(),
        y: vec![0.0; n_rows],
        tree: None,
        n_classes: 0,
    };
    if n_features <= 15 && k < n_rows / 2 {
        let (tree, order) = KdTree::build(&fitted.rows, n_features, 30);
        fitted.rows = order
            .iter()
            .flat_map(|&row| &fitted.rows[row as usize * n_features..(row as usize + 1) * n_features])
            .copied()
            .collect();
        fitted.train_index = order;
        fitted.tree = Some(tree);
    }
    fitted.check_consistent()?;
    let mut neighbours = Vec::with_capacity(n_rows * k);
    fitted.search_with(&Euclidean, x, |found| {
        neighbours.extend(found.iter().map(|candidate| candidate.train_index as usize));
    })?;
    Ok(neighbours)
}

/// scikit-learn's `effective_metric_`.
fn metric(params: &Params) -> Result<Metric, LearnError> {
    let p = params.float("p")?;
    Ok(match params.value("metric")? {
        ParamValue::Str(name) if name == "euclidean" => Metric::Euclidean,
        ParamValue::Str(name) if name == "manhattan" => Metric::Manhattan,
        _ if p == 1.0 => Metric::Manhattan,
        _ if p == 2.0 => Metric::Euclidean,
        _ => Metric::Minkowski { p },
    })
}

/// scikit-learn's "auto" rule, for the search only.
fn use_tree(params: &Params, n_rows: usize, n_features: usize, n_neighbors: usize) -> Result<bool, LearnError> {
    Ok(match params.value("algorithm")? {
        ParamValue::Str(name) if name == "brute" => false,
        ParamValue::Str(name) if name == "kd_tree" || name == "ball_tree" => true,
        _ => n_features <= 15 && n_neighbors < n_rows / 2,
    })
}

fn fit_knn(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let class = if data.n_classes > 0 { "KNeighborsClassifier" } else { CLASS };
    let (n_rows, n_features) = (data.x.n_rows, data.x.n_cols());
    let n_neighbors = params.usize("n_neighbors")?;
    if n_features == 0 {
        return Err(LearnError::Shape(format!("X has 0 features, but {class} needs at least one")));
    }
    if n_neighbors > n_rows {
        return Err(LearnError::TooFewRows(format!(
            "{class} needs n_neighbors <= n_samples_fit, but n_neighbors = {n_neighbors}, n_samples_fit = {n_rows}"
        )));
    }
    if u32::try_from(n_rows).is_err() {
        return Err(LearnError::Shape(format!("{class} takes at most {} training rows, not {n_rows}", u32::MAX)));
    }
    let weights = match params.value("weights")? {
        ParamValue::Str(name) if name == "distance" => Weights::Distance,
        _ => Weights::Uniform,
    };
    let mut rows = vec![0.0; n_rows * n_features];
    for (feature, column) in data.x.columns.iter().enumerate() {
        for (row, value) in column.iter().enumerate() {
            rows[row * n_features + feature] = *value;
        }
    }
    let mut fitted = FittedNeighbors {
        n_neighbors,
        weights,
        metric: metric(params)?,
        n_features,
        rows,
        train_index: (0..n_rows as u32).collect(),
        y: data.y.to_vec(),
        tree: None,
        n_classes: data.n_classes,
    };
    if use_tree(params, n_rows, n_features, n_neighbors)? {
        let (tree, order) = KdTree::build(&fitted.rows, n_features, params.usize("leaf_size")?);
        fitted.rows = order
            .iter()
            .flat_map(|&row| &fitted.rows[row as usize * n_features..(row as usize + 1) * n_features])
            .copied()
            .collect();
        fitted.y = order.iter().map(|&row| data.y[row as usize]).collect();
        fitted.train_index = order;
        fitted.tree = Some(tree);
    }
    Ok(FittedModel::Neighbors(fitted))
}

/// PyCaret's `knn`, for each task.
pub const MODELS: &[ModelEntry] = &[
    ModelEntry {
        id: "knn",
        name: "K Neighbors Regressor",
        class: "sklearn.neighbors.KNeighborsRegressor",
        family: "neighbors",
        task: Task::Regression,
        turbo: true,
        randomised: false,
        params: PARAMS,
        fit: fit_knn,
    },
    ModelEntry {
        id: "knn",
        name: "K Neighbors Classifier",
        class: "sklearn.neighbors.KNeighborsClassifier",
        family: "neighbors",
        task: Task::Classification,
        turbo: true,
        randomised: false,
        params: PARAMS,
        fit: fit_knn,
    },
];

/// The parameters both `knn`s share.
const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "n_neighbors",
        kinds: &[ParamKind::COUNT],
        default: DefaultValue::Int(5),
        help: "the number of neighbours averaged",
    },
    ParamSpec {
        name: "weights",
        kinds: &[ParamKind::Choice(&["uniform", "distance"])],
        default: DefaultValue::Str("uniform"),
        help: "\"uniform\": the plain mean; \"distance\": weighted by inverse distance",
    },
    ParamSpec {
        name: "algorithm",
        kinds: &[ParamKind::Choice(&["auto", "kd_tree", "ball_tree", "brute"])],
        default: DefaultValue::Str("auto"),
        help: "the search (the neighbours found are the same): a kd-tree or brute force",
    },
    ParamSpec {
        name: "leaf_size",
        kinds: &[ParamKind::COUNT],
        default: DefaultValue::Int(30),
        help: "rows per kd-tree leaf (speed only)",
    },
    ParamSpec {
        name: "p",
        kinds: &[ParamKind::Float { min: 1.0, max: f64::MAX, open_min: false }],
        default: DefaultValue::Float(2.0),
        help: "the Minkowski power: 1 Manhattan, 2 Euclidean",
    },
    ParamSpec {
        name: "metric",
        kinds: &[ParamKind::Choice(&["minkowski", "euclidean", "manhattan"])],
        default: DefaultValue::Str("minkowski"),
        help: "the distance (\"minkowski\" uses p)",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelSpec;

    fn fit(x: &Matrix, y: &[f64], given: &[(&str, ParamValue)]) -> FittedModel {
        let given: Vec<(String, ParamValue)> = given.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        ModelSpec::new(Task::Regression, "knn", &given, 0).unwrap().fit(x, y).unwrap()
    }

    #[test]
    fn an_exact_match_with_distance_weights_averages_the_matches_only() {
        let x = Matrix { n_rows: 4, columns: vec![vec![0.0, 0.0, 1.0, 3.0]] };
        let y = [2.0, 4.0, 10.0, 20.0];
        let weights = ("weights", ParamValue::Str("distance".into()));
        let fitted = fit(&x, &y, &[("n_neighbors", ParamValue::Int(3)), weights.clone()]);
        let query = Matrix { n_rows: 2, columns: vec![vec![0.0, 2.0]] };
        let predicted = fitted.predict(&query).unwrap();
        assert_eq!(predicted[0], 3.0);
        // At 2.0 the neighbours are 1.0 (d=1), 3.0 (d=1) and a 0.0 (d=2).
        let expected = (10.0 + 20.0 + 2.0 * 0.5) / 2.5;
        assert!((predicted[1] - expected).abs() < 1e-12, "{}", predicted[1]);
    }

    #[test]
    fn too_many_neighbours_and_non_finite_queries_are_errors() {
        let x = Matrix { n_rows: 3, columns: vec![vec![0.0, 1.0, 2.0]] };
        let spec = ModelSpec::new(Task::Regression, "knn", &[], 0).unwrap();
        let error = spec.fit(&x, &[1.0, 2.0, 3.0]).unwrap_err().to_string();
        assert!(error.contains("n_neighbors = 5, n_samples_fit = 3"), "{error}");
        let fitted = fit(&x, &[1.0, 2.0, 3.0], &[("n_neighbors", ParamValue::Int(2))]);
        let no_features = spec.fit(&Matrix { n_rows: 3, columns: vec![] }, &[1.0, 2.0, 3.0]).unwrap_err();
        assert!(no_features.to_string().contains("X has 0 features"), "{no_features}");
        let error = fitted.predict(&Matrix { n_rows: 1, columns: vec![vec![f64::NAN]] }).unwrap_err().to_string();
        assert!(error.contains("feature 0 row 0") || error.contains("\"feature 0\" row 0"), "{error}");
    }

    #[test]
    fn a_regressor_saved_before_classification_still_loads_as_a_regressor() {
        let x = Matrix { n_rows: 4, columns: vec![vec![0.0, 1.0, 2.0, 3.0]] };
        let fitted = fit(&x, &[1.0, 2.0, 3.0, 4.0], &[("n_neighbors", ParamValue::Int(2))]);
        let mut json: serde_json::Value = serde_json::to_value(&fitted).unwrap();
        assert_eq!(json["n_classes"], 0);
        json.as_object_mut().unwrap().remove("n_classes");
        let loaded: FittedModel = serde_json::from_value(json).unwrap();
        assert_eq!(loaded, fitted);
        assert!(loaded.predict_proba(&x).is_none());
    }

    #[test]
    fn every_algorithm_gives_the_same_predictions() {
        let n = 300;
        let columns: Vec<Vec<f64>> =
            (0..4).map(|j| (0..n).map(|i| ((i * (7 + j) + j * 13) % 11) as f64 * 0.5).collect()).collect();
        let y: Vec<f64> = (0..n).map(|i| (i % 17) as f64).collect();
        let x = Matrix { n_rows: n, columns };
        let query = Matrix {
            n_rows: 20,
            columns: x.columns.iter().map(|c| c[..20].iter().map(|v| v + 0.25).collect()).collect(),
        };
        for weights in ["uniform", "distance"] {
            for p in [1.0, 2.0, 3.5] {
                let predictions: Vec<Vec<f64>> = ["brute", "kd_tree", "auto"]
                    .iter()
                    .map(|algorithm| {
                        let given = [
                            ("algorithm", ParamValue::Str(algorithm.to_string())),
                            ("weights", ParamValue::Str(weights.to_string())),
                            ("p", ParamValue::Float(p)),
                            ("leaf_size", ParamValue::Int(3)),
                        ];
                        fit(&x, &y, &given).predict(&query).unwrap()
                    })
                    .collect();
                assert_eq!(predictions[0], predictions[1], "{weights} p={p}");
                assert_eq!(predictions[0], predictions[2], "{weights} p={p}");
            }
        }
    }
}
