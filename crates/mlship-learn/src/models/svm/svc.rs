//! `SVC` (PyCaret's `rbfsvm`: rbf kernel, C = 1, gamma "auto",
//! `probability=True`) as scikit-learn's libsvm trains it: the classes
//! sorted, one C-SVC per pair of classes (one-vs-one) on that pair's rows in
//! training order (the first class +1), each solved by the SMO solver the
//! SVR uses (`solver::solve_c_svc`); the support vectors are the rows with a
//! non-zero coefficient in any pair, grouped by class, with libsvm's
//! `sv_coef` layout ((classes − 1) × support vectors).
//!
//! With `probability`, each pair first fits Platt's sigmoid on decision
//! values from libsvm's internal 5-fold cross-validation (`platt`), before
//! its own SMO, exactly in libsvm's order so that the random fold shuffle is
//! the one scikit-learn draws for the same `random_state`.
//!
//! `predict` is libsvm's vote over the pairs (not the argmax of the
//! probabilities, which may disagree), `decision_function` scikit-learn's
//! default "ovr" shape (votes plus confidences squashed into (−⅓, ⅓); the
//! pair's value negated for two classes; "ovo", one value per pair, is not
//! offered: mlship's decision function has one value per class), `predict_proba` the coupled pairwise
//! sigmoids. A class missing from the training rows gets probability 0 and
//! decision value −∞, as in the discriminant analyses.
//!
//! `class_weight="balanced"` bounds each class's multipliers by C times its
//! balanced weight (libsvm's `weighted_C`), in the pairs and in their
//! probability folds alike.

use super::platt::{multiclass_probability, sigmoid_predict, sigmoid_train, LibsvmRandom};
use super::solver::{solve_c_svc, SmoOptions};
use super::{kernel, SvmKernel};
use crate::matrix::Matrix;
use crate::models::class_weight::{self, ClassWeight};
use crate::models::discriminant::{present_classes, spread};
use crate::models::random::NumpyRandom;
use crate::models::{validate, Fitted, FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use serde::{Deserialize, Serialize};

const CLASS: &str = "SVC";

/// A fitted `SVC`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedSvc {
    /// The kernel, with its parameters resolved.
    pub kernel: SvmKernel,
    /// The number of input features, checked when predicting.
    pub n_features: usize,
    /// The class codes present in training, sorted.
    pub classes: Vec<usize>,
    /// The number of classes of the whole target.
    pub n_classes: usize,
    /// Support vectors per present class (scikit-learn's `n_support_`).
    pub n_support: Vec<usize>,
    /// The support vectors, row-major, grouped by class.
    pub support_vectors: Vec<f64>,
    /// libsvm's `sv_coef`: (classes − 1) rows of one coefficient per
    /// support vector, row-major (pair (i, j) reads row j − 1 for class i's
    /// vectors and row i for class j's).
    pub dual_coef: Vec<f64>,
    /// ρ per pair (0,1), (0,2), …, (1,2), …; the pair's value is Σ − ρ.
    pub rho: Vec<f64>,
    /// Platt's A per pair; empty without `probability`.
    pub prob_a: Vec<f64>,
    /// Platt's B per pair; empty without `probability`.
    pub prob_b: Vec<f64>,
}

/// The kernel as libsvm's `k_function` computes it when predicting: the RBF
/// from the squared differences, the others from the dot product.
fn k_function(kernel: SvmKernel, a: &[f64], b: &[f64]) -> f64 {
    match kernel {
        SvmKernel::Rbf { gamma } => {
            let mut sum = 0.0;
            for (u, v) in a.iter().zip(b) {
                let d = u - v;
                sum += d * d;
            }
            (-gamma * sum).exp()
        }
        _ => {
            let mut dot = 0.0;
            for (u, v) in a.iter().zip(b) {
                dot += u * v;
            }
            kernel.training_value(dot, 0.0, 0.0)
        }
    }
}

fn pairs(k: usize) -> usize {
    k * (k - 1) / 2
}

impl FittedSvc {
    fn check(&self, x: &Matrix) -> Result<(), LearnError> {
        x.expect_width(self.n_features, CLASS)?;
        self.shape().map_err(|e| LearnError::InvalidOption(format!("the stored {CLASS} is inconsistent: {e}")))
    }

    /// Every length agrees with the others (what indexing relies on; the
    /// finiteness checks of `validate` are left to loading).
    fn shape(&self) -> Result<(), String> {
        let k = self.classes.len();
        if k < 2 || k > self.n_classes || self.n_features == 0 {
            return Err(format!(
                "{k} classes present of {} and {} features (need 2 classes and 1 feature at least)",
                self.n_classes, self.n_features
            ));
        }
        if self.classes.windows(2).any(|pair| pair[0] >= pair[1]) || self.classes[k - 1] >= self.n_classes {
            return Err(format!("classes {:?} are not sorted codes below {}", self.classes, self.n_classes));
        }
        validate::length("n_support", self.n_support.len(), k)?;
        let n_sv = self.n_support.iter().try_fold(0usize, |sum, &n| sum.checked_add(n));
        let n_sv = n_sv.ok_or_else(|| "n_support overflows".to_string())?;
        let expected = validate::product("support_vectors", n_sv, self.n_features)?;
        validate::length("support_vectors", self.support_vectors.len(), expected)?;
        validate::length("dual_coef", self.dual_coef.len(), validate::product("dual_coef", k - 1, n_sv)?)?;
        validate::length("rho", self.rho.len(), pairs(k))?;
        if !self.prob_a.is_empty() || !self.prob_b.is_empty() {
            validate::length("prob_a", self.prob_a.len(), pairs(k))?;
            validate::length("prob_b", self.prob_b.len(), pairs(k))?;
        }
        Ok(())
    }

    /// The pair values (libsvm's `dec_values`) of every row, row-major.
    fn pair_values(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        self.check(x)?;
        let (k, d) = (self.classes.len(), self.n_features);
        let n_sv: usize = self.n_support.iter().sum();
        let mut starts = vec![0usize; k];
        for c in 1..k {
            starts[c] = starts[c - 1] + self.n_support[c - 1];
        }
        let mut out = Vec::with_capacity(x.n_rows * pairs(k));
        let mut row = vec![0.0; d];
        let mut kvalue = vec![0.0; n_sv];
        for r in 0..x.n_rows {
            row.iter_mut().zip(&x.columns).for_each(|(v, column)| *v = column[r]);
            for (s, value) in kvalue.iter_mut().enumerate() {
                *value = k_function(self.kernel, &row, &self.support_vectors[s * d..(s + 1) * d]);
            }
            let mut p = 0;
            for i in 0..k {
                for j in i + 1..k {
                    let coef_i = &self.dual_coef[(j - 1) * n_sv..j * n_sv];
                    let coef_j = &self.dual_coef[i * n_sv..(i + 1) * n_sv];
                    let mut sum = 0.0;
                    for s in starts[i]..starts[i] + self.n_support[i] {
                        sum += coef_i[s] * kvalue[s];
                    }
                    for s in starts[j]..starts[j] + self.n_support[j] {
                        sum += coef_j[s] * kvalue[s];
                    }
                    out.push(sum - self.rho[p]);
                    p += 1;
                }
            }
        }
        Ok(out)
    }
}

/// libsvm's vote: pair (i, j) votes i when its value is positive, else j;
/// the first class with the most votes wins.
fn vote(values: &[f64], k: usize) -> usize {
    let mut votes = vec![0usize; k];
    let mut p = 0;
    for i in 0..k {
        for j in i + 1..k {
            votes[if values[p] > 0.0 { i } else { j }] += 1;
            p += 1;
        }
    }
    let mut best = 0;
    for c in 1..k {
        if votes[c] > votes[best] {
            best = c;
        }
    }
    best
}

/// scikit-learn's `_ovr_decision_function(dec < 0, -dec, k)`.
fn ovr_values(values: &[f64], k: usize) -> Vec<f64> {
    let (mut votes, mut confidence) = (vec![0.0; k], vec![0.0; k]);
    let mut p = 0;
    for i in 0..k {
        for j in i + 1..k {
            confidence[i] += values[p];
            confidence[j] -= values[p];
            votes[if values[p] < 0.0 { j } else { i }] += 1.0;
            p += 1;
        }
    }
    votes.iter().zip(&confidence).map(|(v, c)| v + c / (3.0 * (c.abs() + 1.0))).collect()
}

impl Fitted for FittedSvc {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn is_finite(&self) -> bool {
        self.kernel.is_finite()
            && [&self.support_vectors, &self.dual_coef, &self.rho, &self.prob_a, &self.prob_b]
                .iter()
                .all(|values| values.iter().all(|v| v.is_finite()))
    }

    fn validate(&self) -> Result<(), String> {
        self.shape()?;
        validate::finite("support_vectors", &self.support_vectors)?;
        validate::finite("dual_coef", &self.dual_coef)?;
        validate::finite("rho", &self.rho)?;
        validate::finite("prob_a", &self.prob_a)?;
        validate::finite("prob_b", &self.prob_b)?;
        if self.kernel.is_finite() {
            Ok(())
        } else {
            Err("a kernel parameter is not a finite number".to_string())
        }
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let k = self.classes.len();
        let values = self.pair_values(x)?;
        Ok(values.chunks(pairs(k)).map(|row| self.classes[vote(row, k)] as f64).collect())
    }

    fn decision_function(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        let k = self.classes.len();
        Some(self.pair_values(x).map(|values| {
            if k == 2 {
                // scikit-learn negates the binary value: positive means the second class.
                let second: Vec<f64> = values.iter().map(|v| -v).collect();
                if self.n_classes == 2 {
                    second
                } else {
                    let both: Vec<f64> = second.iter().flat_map(|&s| [-s, s]).collect();
                    spread(&both, &self.classes, self.n_classes, f64::NEG_INFINITY)
                }
            } else {
                let ovr: Vec<f64> = values.chunks(pairs(k)).flat_map(|row| ovr_values(row, k)).collect();
                spread(&ovr, &self.classes, self.n_classes, f64::NEG_INFINITY)
            }
        }))
    }

    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        if self.prob_a.is_empty() {
            return None;
        }
        let k = self.classes.len();
        const MIN_PROB: f64 = 1e-7;
        Some(self.pair_values(x).map(|values| {
            let mut out = Vec::with_capacity(values.len() / pairs(k) * k);
            let mut r = vec![0.0; k * k];
            for row in values.chunks(pairs(k)) {
                let mut p = 0;
                for i in 0..k {
                    for j in i + 1..k {
                        let pairwise = sigmoid_predict(row[p], self.prob_a[p], self.prob_b[p]);
                        r[i * k + j] = pairwise.clamp(MIN_PROB, 1.0 - MIN_PROB);
                        r[j * k + i] = 1.0 - r[i * k + j];
                        p += 1;
                    }
                }
                out.extend(multiclass_probability(k, &r));
            }
            spread(&out, &self.classes, self.n_classes, 0.0)
        }))
    }
}

/// One binary problem's solution: a coefficient per row and ρ.
struct Binary {
    coef: Vec<f64>,
    rho: f64,
}

/// A C-SVC on `x` with labels ±1, as `svm_train` fits two classes: the
/// labels sorted (−1 first), so the solver's positive class is −1 and the
/// rows are regrouped −1 first. Returns the value function on other rows.
/// `c_of`: the C of the rows labelled +1 and −1 (the fold's Cp and Cn).
fn train_binary_sorted(
    x: &Matrix,
    labels: &[f64],
    kernel: SvmKernel,
    options: &SmoOptions,
    (c_plus, c_minus): (f64, f64),
) -> (Matrix, Binary) {
    let order: Vec<usize> =
        (0..x.n_rows).filter(|&i| labels[i] <= 0.0).chain((0..x.n_rows).filter(|&i| labels[i] > 0.0)).collect();
    let grouped = x.take_rows(&order);
    let signs: Vec<i8> = order.iter().map(|&i| if labels[i] <= 0.0 { 1 } else { -1 }).collect();
    // The solver's +1 rows are the labels −1 (sorted first), so their C is Cn.
    let solution = solve_c_svc(&grouped, &signs, kernel, options, (c_minus, c_plus));
    (grouped, Binary { coef: solution.coef, rho: solution.rho })
}

/// `svm_binary_svc_probability`: Platt's A and B for one pair (rows `x`,
/// labels ±1) from 5-fold cross-validated decision values; each fold's SVC
/// bounds the +1 rows by `c.0` and the −1 rows by `c.1` (libsvm passes Cp and
/// Cn to the folds as the two labels' weights of C = 1).
fn binary_probability(
    x: &Matrix,
    labels: &[f64],
    kernel: SvmKernel,
    options: &SmoOptions,
    c: (f64, f64),
    random: &mut LibsvmRandom,
) -> (f64, f64) {
    const FOLDS: usize = 5;
    let l = x.n_rows;
    let mut perm: Vec<usize> = (0..l).collect();
    for i in 0..l {
        let j = i + random.bounded((l - i) as u32) as usize;
        perm.swap(i, j);
    }
    let mut dec_values = vec![0.0; l];
    let d = x.n_cols();
    for fold in 0..FOLDS {
        let (begin, end) = (fold * l / FOLDS, (fold + 1) * l / FOLDS);
        let train: Vec<usize> = perm[..begin].iter().chain(&perm[end..]).copied().collect();
        let positives = train.iter().filter(|&&i| labels[i] > 0.0).count();
        let negatives = train.len() - positives;
        let constant = match (positives, negatives) {
            (0, 0) => Some(0.0),
            (_, 0) => Some(1.0),
            (0, _) => Some(-1.0),
            _ => None,
        };
        if let Some(value) = constant {
            perm[begin..end].iter().for_each(|&i| dec_values[i] = value);
            continue;
        }
        // The fold's svm_train re-seeds the stream (its parameters carry the seed).
        random.reseed();
        let fold_labels: Vec<f64> = train.iter().map(|&i| labels[i]).collect();
        let (grouped, model) = train_binary_sorted(&x.take_rows(&train), &fold_labels, kernel, options, c);
        let support: Vec<(f64, Vec<f64>)> = (0..grouped.n_rows)
            .filter(|&s| model.coef[s].abs() > 0.0)
            .map(|s| (model.coef[s], grouped.columns.iter().map(|column| column[s]).collect()))
            .collect();
        let mut row = vec![0.0; d];
        for &i in &perm[begin..end] {
            row.iter_mut().zip(&x.columns).for_each(|(v, column)| *v = column[i]);
            let sum = support.iter().fold(0.0, |sum, (coef, sv)| sum + coef * k_function(kernel, &row, sv));
            // The sorted labels put −1 first: libsvm multiplies by label[0] = −1.
            dec_values[i] = -(sum - model.rho);
        }
    }
    sigmoid_train(&dec_values, labels)
}

fn fit_svc(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let x = data.x;
    let n_features = x.n_cols();
    if n_features == 0 {
        return Err(LearnError::Shape(format!("X has 0 features, but {CLASS} needs at least one")));
    }
    let present = present_classes(data, CLASS)?;
    let k = present.classes.len();
    let max_iter = params.int("max_iter")?;
    let options = SmoOptions {
        c: params.float("C")?,
        tol: params.float("tol")?,
        shrinking: params.bool("shrinking")?,
        max_iter: usize::try_from(max_iter).ok(),
        cache_bytes: params.float("cache_size")? * (1u64 << 20) as f64,
    };
    let kernel = kernel(params, x)?;
    let probability = params.bool("probability")?;
    // BaseLibSVM.fit: the libsvm seed is randint(INT_MAX) of random_state.
    let seed = NumpyRandom::new(params.seed("random_state")?).randint(i32::MAX as usize) as u32;
    let mut random = LibsvmRandom::new(seed);
    // libsvm's weighted_C: C times the class's weight ("balanced": over the classes present).
    let weighted_c: Vec<f64> = match ClassWeight::from_params(params)? {
        ClassWeight::Uniform => vec![options.c; k],
        _ => class_weight::balanced(&present.index, None, k).iter().map(|w| options.c * w).collect(),
    };
    let members: Vec<Vec<usize>> = (0..k).map(|c| (0..x.n_rows).filter(|&i| present.index[i] == c).collect()).collect();
    let mut nonzero: Vec<Vec<bool>> = members.iter().map(|rows| vec![false; rows.len()]).collect();
    let (mut solutions, mut prob_a, mut prob_b) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..k {
        for j in i + 1..k {
            let rows: Vec<usize> = members[i].iter().chain(&members[j]).copied().collect();
            let sub = x.take_rows(&rows);
            let labels: Vec<f64> = (0..rows.len()).map(|r| if r < members[i].len() { 1.0 } else { -1.0 }).collect();
            if probability {
                let c = (weighted_c[i], weighted_c[j]);
                let (a, b) = binary_probability(&sub, &labels, kernel, &options, c, &mut random);
                prob_a.push(a);
                prob_b.push(b);
            }
            let signs: Vec<i8> = labels.iter().map(|&y| if y > 0.0 { 1 } else { -1 }).collect();
            let solution = solve_c_svc(&sub, &signs, kernel, &options, (weighted_c[i], weighted_c[j]));
            let (ci, cj) = (members[i].len(), members[j].len());
            (0..ci).for_each(|r| nonzero[i][r] |= solution.coef[r].abs() > 0.0);
            (0..cj).for_each(|r| nonzero[j][r] |= solution.coef[ci + r].abs() > 0.0);
            solutions.push(Binary { coef: solution.coef, rho: solution.rho });
        }
    }
    let n_support: Vec<usize> = nonzero.iter().map(|flags| flags.iter().filter(|&&f| f).count()).collect();
    let n_sv: usize = n_support.iter().sum();
    let mut nz_start = vec![0usize; k];
    for c in 1..k {
        nz_start[c] = nz_start[c - 1] + n_support[c - 1];
    }
    let mut support_vectors = Vec::with_capacity(n_sv * n_features);
    for (rows, flags) in members.iter().zip(&nonzero) {
        for (&row, _) in rows.iter().zip(flags).filter(|(_, &f)| f) {
            support_vectors.extend(x.columns.iter().map(|column| column[row]));
        }
    }
    let mut dual_coef = vec![0.0; (k - 1) * n_sv];
    let mut p = 0;
    for i in 0..k {
        for j in i + 1..k {
            let coef = &solutions[p].coef;
            let ci = members[i].len();
            let mut q = nz_start[i];
            for r in (0..ci).filter(|&r| nonzero[i][r]) {
                dual_coef[(j - 1) * n_sv + q] = coef[r];
                q += 1;
            }
            q = nz_start[j];
            for r in (0..members[j].len()).filter(|&r| nonzero[j][r]) {
                dual_coef[i * n_sv + q] = coef[ci + r];
                q += 1;
            }
            p += 1;
        }
    }
    Ok(FittedModel::Svc(FittedSvc {
        kernel,
        n_features,
        classes: present.classes,
        n_classes: data.n_classes,
        n_support,
        support_vectors,
        dual_coef,
        rho: solutions.iter().map(|s| s.rho).collect(),
        prob_a,
        prob_b,
    }))
}

/// PyCaret's `rbfsvm`.
pub const CLASSIFIERS: &[ModelEntry] = &[ModelEntry {
    id: "rbfsvm",
    name: "SVM - Radial Kernel",
    class: "sklearn.svm.SVC",
    family: "svm",
    task: Task::Classification,
    turbo: false,
    // The seed only moves the probabilities' cross-validation folds.
    randomised: true,
    params: &[
        ParamSpec { name: "C", kinds: &[ParamKind::POSITIVE], default: DefaultValue::Float(1.0), help: "the penalty" },
        super::KERNEL,
        super::DEGREE,
        ParamSpec {
            name: "gamma",
            kinds: &[ParamKind::Choice(&["scale", "auto"]), ParamKind::NON_NEGATIVE],
            default: DefaultValue::Str("auto"),
            help: "the kernel coefficient: \"auto\" 1/n_features (PyCaret's), \"scale\" 1/(n_features·X.var()), or a number",
        },
        super::COEF0,
        ParamSpec {
            name: "shrinking",
            kinds: &[ParamKind::Bool],
            default: DefaultValue::Bool(true),
            help: "use libsvm's shrinking heuristic (speed only)",
        },
        ParamSpec {
            name: "probability",
            kinds: &[ParamKind::Bool],
            default: DefaultValue::Bool(true),
            help: "fit Platt's probabilities by an internal 5-fold cross-validation (PyCaret sets it)",
        },
        ParamSpec {
            name: "tol",
            kinds: &[ParamKind::POSITIVE],
            default: DefaultValue::Float(1e-3),
            help: "the stopping tolerance on the KKT violation",
        },
        ParamSpec {
            name: "cache_size",
            kinds: &[ParamKind::POSITIVE],
            default: DefaultValue::Float(200.0),
            help: "the kernel cache in megabytes (speed only)",
        },
        ParamSpec {
            name: "max_iter",
            kinds: &[ParamKind::Int { min: -1, max: i64::MAX }],
            default: DefaultValue::Int(-1),
            help: "solver iterations per pair at most (-1: no limit)",
        },
        ParamSpec {
            name: "random_state",
            kinds: &[ParamKind::SEED],
            default: DefaultValue::Seed,
            help: "seed of the probabilities' cross-validation folds",
        },
        class_weight::CLASS_WEIGHT,
    ],
    fit: fit_svc,
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelSpec;
    use crate::params::ParamValue;

    fn blobs() -> (Matrix, Vec<f64>) {
        let n = 60;
        let y: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
        let a = (0..n).map(|i| y[i] * 2.0 + (i as f64 * 0.7).sin()).collect();
        let b = (0..n).map(|i| -y[i] + (i as f64 * 1.3).cos()).collect();
        (Matrix { n_rows: n, columns: vec![a, b] }, y)
    }

    #[test]
    fn the_vote_predicts_and_the_ovr_decision_agrees_with_it() {
        let (x, y) = blobs();
        let fitted = ModelSpec::with_defaults(Task::Classification, "rbfsvm", 0).unwrap().fit_task(&x, &y, 3).unwrap();
        let predicted = fitted.predict(&x).unwrap();
        let accuracy = predicted.iter().zip(&y).filter(|(p, t)| p == t).count() as f64 / y.len() as f64;
        assert!(accuracy > 0.9, "{accuracy}");
        let decision = fitted.decision_function(&x).unwrap().unwrap();
        for (row, p) in decision.chunks(3).zip(&predicted) {
            assert_eq!(crate::numpy::argmax(row) as f64, *p, "{row:?}");
        }
    }

    #[test]
    fn a_missing_class_has_probability_zero() {
        let (x, y) = blobs();
        let rows: Vec<usize> = (0..x.n_rows).filter(|&i| y[i] != 1.0).collect();
        let (x2, y2) = (x.take_rows(&rows), rows.iter().map(|&i| y[i]).collect::<Vec<f64>>());
        let fitted =
            ModelSpec::with_defaults(Task::Classification, "rbfsvm", 0).unwrap().fit_task(&x2, &y2, 3).unwrap();
        let probabilities = fitted.predict_proba(&x2).unwrap().unwrap();
        assert!(probabilities.chunks(3).all(|row| row[1] == 0.0 && (row[0] + row[2] - 1.0).abs() < 1e-9));
        let decision = fitted.decision_function(&x2).unwrap().unwrap();
        assert!(decision.chunks(3).all(|row| row[1] == f64::NEG_INFINITY && row[0] == -row[2]));
    }

    #[test]
    fn a_damaged_model_is_an_error_not_a_panic() {
        let (x, y) = blobs();
        let fitted = ModelSpec::with_defaults(Task::Classification, "rbfsvm", 0).unwrap().fit_task(&x, &y, 3).unwrap();
        let FittedModel::Svc(mut svc) = fitted else { panic!("{fitted:?}") };
        svc.rho.pop();
        assert!(svc.validate().unwrap_err().contains("rho"));
        assert!(svc.predict(&x).unwrap_err().to_string().contains("inconsistent"));
        svc.rho.push(f64::NAN);
        assert!(svc.validate().unwrap_err().contains("rho"));
        svc.n_support[0] += 1;
        assert!(svc.predict_proba(&x).unwrap().is_err());
    }

    #[test]
    fn without_probability_there_is_no_predict_proba() {
        let (x, y) = blobs();
        let given = vec![("probability".to_string(), ParamValue::Bool(false))];
        let fitted = ModelSpec::new(Task::Classification, "rbfsvm", &given, 0).unwrap().fit_task(&x, &y, 3).unwrap();
        assert!(fitted.predict_proba(&x).is_none());
    }
}
