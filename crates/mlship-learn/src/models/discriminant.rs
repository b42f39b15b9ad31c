//! `LinearDiscriminantAnalysis` (PyCaret's `lda`, solver "svd"; "lsqr" and
//! "eigen" with `shrinkage` are in `models::lda_solvers`) and
//! `QuadraticDiscriminantAnalysis` (`qda`, `reg_param` 0) as
//! `sklearn/discriminant_analysis.py` (1.4) fits them, and the linear
//! classifier value that `lda` and `ridge` (RidgeClassifier) share.
//!
//! A training fold may miss a class of the whole target: these models are
//! fitted on the classes present (as scikit-learn would be) and report the
//! missing ones with probability 0 and a decision value of minus infinity.

use crate::matrix::Matrix;
use crate::models::lda_solvers::{self, Shrinkage, Solver};
use crate::models::{validate, Fitted, FittedModel, ModelEntry, TrainingData};
use crate::numpy::{argmax, softmax_rows};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use faer::Mat;
use serde::{Deserialize, Serialize};

/// How a linear classifier's scores become probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Probabilities {
    /// No `predict_proba` (RidgeClassifier).
    None,
    /// The logistic of the binary score, a softmax of the multiclass ones (LDA).
    Softmax,
}

/// A linear classifier: scores `x·coef_k + intercept_k`, one per class
/// present in training, or one (for the second class) when two are present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedLinearClassifier {
    /// The library class, for messages.
    pub class: String,
    /// One weight vector per score.
    pub coef: Vec<Vec<f64>>,
    /// One intercept per score.
    pub intercept: Vec<f64>,
    /// The class codes present in training, sorted.
    pub classes: Vec<usize>,
    /// The number of classes of the whole target.
    pub n_classes: usize,
    /// Whether and how it gives probabilities.
    pub probabilities: Probabilities,
}

impl FittedLinearClassifier {
    fn check(&self, x: &Matrix) -> Result<(), LearnError> {
        x.expect_width(self.n_features(), &self.class)?;
        let scores = if self.classes.len() == 2 { 1 } else { self.classes.len() };
        let consistent = self.coef.len() == scores
            && self.intercept.len() == scores
            && self.coef.iter().all(|c| c.len() == self.n_features())
            && self.classes.iter().all(|&c| c < self.n_classes);
        if consistent {
            Ok(())
        } else {
            Err(LearnError::InvalidOption(format!("the stored {} is inconsistent (a damaged artifact?)", self.class)))
        }
    }

    /// The raw scores, row-major, one per score vector.
    fn scores(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        self.check(x)?;
        let k = self.coef.len();
        let mut out = vec![0.0; x.n_rows * k];
        for (s, (coef, intercept)) in self.coef.iter().zip(&self.intercept).enumerate() {
            for row in 0..x.n_rows {
                out[row * k + s] =
                    x.columns.iter().zip(coef).map(|(column, c)| column[row] * c).sum::<f64>() + intercept;
            }
        }
        Ok(out)
    }

    fn spread(&self, values: &[f64], fill: f64) -> Vec<f64> {
        spread(values, &self.classes, self.n_classes, fill)
    }
}

/// Columns of the classes present in training (`classes`, row-major) spread
/// over every class of the target, `fill` for the missing ones.
pub(crate) fn spread(values: &[f64], classes: &[usize], n_classes: usize, fill: f64) -> Vec<f64> {
    let k = classes.len();
    let mut out = vec![fill; values.len() / k * n_classes];
    for (row, chunk) in values.chunks(k).enumerate() {
        for (value, &class) in chunk.iter().zip(classes) {
            out[row * n_classes + class] = *value;
        }
    }
    out
}

impl Fitted for FittedLinearClassifier {
    fn validate(&self) -> Result<(), String> {
        let k = self.classes.len();
        if k < 2 || k > self.n_classes || self.n_features() == 0 {
            return Err(format!(
                "{k} classes present of {} and {} features (need 2 classes and 1 feature at least)",
                self.n_classes,
                self.n_features()
            ));
        }
        if self.classes.windows(2).any(|pair| pair[0] >= pair[1]) || self.classes[k - 1] >= self.n_classes {
            return Err(format!("classes {:?} are not sorted codes below {}", self.classes, self.n_classes));
        }
        let scores = if k == 2 { 1 } else { k };
        validate::length("coef", self.coef.len(), scores)?;
        validate::length("intercept", self.intercept.len(), scores)?;
        validate::finite("intercept", &self.intercept)?;
        for (i, coef) in self.coef.iter().enumerate() {
            validate::length(&format!("coef[{i}]"), coef.len(), self.n_features())?;
            validate::finite(&format!("coef[{i}]"), coef)?;
        }
        Ok(())
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let scores = self.scores(x)?;
        Ok(if self.classes.len() == 2 {
            scores.iter().map(|&s| self.classes[usize::from(s > 0.0)] as f64).collect()
        } else {
            scores.chunks(self.coef.len()).map(|row| self.classes[argmax(row)] as f64).collect()
        })
    }
    fn n_features(&self) -> usize {
        self.coef.first().map_or(0, Vec::len)
    }
    fn is_finite(&self) -> bool {
        self.coef.iter().flatten().chain(&self.intercept).all(|v| v.is_finite())
    }
    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        if self.probabilities == Probabilities::None {
            return None;
        }
        Some(self.scores(x).map(|mut scores| {
            if self.classes.len() == 2 {
                let pairs: Vec<f64> = scores
                    .iter()
                    .flat_map(|&s| {
                        let p = 1.0 / (1.0 + (-s).exp());
                        [1.0 - p, p]
                    })
                    .collect();
                self.spread(&pairs, 0.0)
            } else {
                softmax_rows(&mut scores, self.classes.len());
                self.spread(&scores, 0.0)
            }
        }))
    }
    fn decision_function(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        Some(self.scores(x).map(|scores| {
            if self.n_classes == 2 {
                scores
            } else if self.classes.len() == 2 {
                // Two classes present of more: the second's score and its negation.
                let pairs: Vec<f64> = scores.iter().flat_map(|&s| [-s, s]).collect();
                self.spread(&pairs, f64::NEG_INFINITY)
            } else {
                self.spread(&scores, f64::NEG_INFINITY)
            }
        }))
    }
}

/// The classes present in training (sorted codes), each row's index among
/// them, and their counts.
pub(crate) struct Present {
    /// The class codes present, sorted.
    pub classes: Vec<usize>,
    /// Each row's position in `classes`.
    pub index: Vec<usize>,
    /// Each present class's number of rows.
    pub counts: Vec<usize>,
}

/// The classes present in the codes; fewer than two is scikit-learn's error.
pub(crate) fn present_classes(data: &TrainingData<'_>, class: &str) -> Result<Present, LearnError> {
    let codes = data.class_codes();
    let mut counts = vec![0usize; data.n_classes];
    for &code in &codes {
        match counts.get_mut(code) {
            Some(count) => *count += 1,
            None => {
                return Err(LearnError::InvalidOption(format!(
                    "{class}: class code {code} is outside the {} classes",
                    data.n_classes
                )))
            }
        }
    }
    let classes: Vec<usize> = (0..data.n_classes).filter(|&c| counts[c] > 0).collect();
    if classes.len() < 2 {
        return Err(LearnError::InvalidOption(format!(
            "{class} needs samples of at least 2 classes in the data, but the training rows have {}",
            classes.len()
        )));
    }
    let mut position = vec![0usize; data.n_classes];
    classes.iter().enumerate().for_each(|(i, &c)| position[c] = i);
    let index = codes.iter().map(|&c| position[c]).collect();
    let counts = classes.iter().map(|&c| counts[c]).collect();
    Ok(Present { classes, index, counts })
}

fn numerical(step: &str, error: impl std::fmt::Debug) -> LearnError {
    LearnError::Numerical { step: step.to_string(), message: format!("{error:?}") }
}

/// Per class (present), the mean of every feature.
fn class_means(x: &Matrix, index: &[usize], counts: &[usize]) -> Vec<Vec<f64>> {
    let mut means = vec![vec![0.0; x.n_cols()]; counts.len()];
    for (j, column) in x.columns.iter().enumerate() {
        for (row, value) in column.iter().enumerate() {
            means[index[row]][j] += value;
        }
    }
    for (mean, &count) in means.iter_mut().zip(counts) {
        mean.iter_mut().for_each(|m| *m /= count as f64);
    }
    means
}

const LDA: &str = "LinearDiscriminantAnalysis";

/// `shrinkage`: None, "auto" or a number in [0, 1] (scikit-learn 1.4 and
/// 1.9 refuse "empirical", which PyCaret's tune grid lists: so does the
/// parameter's validation here).
fn lda_shrinkage(params: &Params) -> Result<Shrinkage, LearnError> {
    Ok(match params.value("shrinkage")? {
        ParamValue::Null => Shrinkage::None,
        ParamValue::Str(word) if word == "auto" => Shrinkage::Auto,
        ParamValue::Str(word) => {
            return Err(LearnError::InvalidOption(format!(
                "{LDA}: shrinkage \"{word}\" is not \"auto\", a number in [0, 1] or None"
            )))
        }
        _ => Shrinkage::Fixed(params.float("shrinkage")?),
    })
}

fn fit_lda(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let tol = params.float("tol")?;
    let shrinkage = lda_shrinkage(params)?;
    let solver = match params.value("solver")? {
        ParamValue::Str(word) if word == "lsqr" => Some(Solver::Lsqr),
        ParamValue::Str(word) if word == "eigen" => Some(Solver::Eigen),
        _ => None,
    };
    if solver.is_none() && shrinkage != Shrinkage::None {
        // scikit-learn's NotImplementedError, whatever the value (even 0).
        return Err(LearnError::InvalidOption(format!(
            "{LDA}: shrinkage is not supported with solver \"svd\" (use \"lsqr\" or \"eigen\")"
        )));
    }
    let Present { classes, index, counts } = present_classes(data, LDA)?;
    let (n, p, k) = (data.x.n_rows, data.x.n_cols(), classes.len());
    if n <= k {
        return Err(LearnError::TooFewRows(format!(
            "{LDA}: the number of samples ({n}) must be more than the number of classes ({k})"
        )));
    }
    if p == 0 {
        return Err(LearnError::Shape(format!("X has 0 features, but {LDA} needs at least one")));
    }
    let priors: Vec<f64> = counts.iter().map(|&c| c as f64 / n as f64).collect();
    let means = class_means(data.x, &index, &counts);
    let (mut coef, mut intercept) = match solver {
        Some(solver) => lda_solvers::fit(data.x, &index, &means, &priors, solver, shrinkage)?,
        None => lda_svd(data, &index, &means, &priors, tol)?,
    };
    if k == 2 {
        coef = vec![coef[1].iter().zip(&coef[0]).map(|(a, b)| a - b).collect()];
        intercept = vec![intercept[1] - intercept[0]];
    }
    Ok(FittedModel::LinearClassifier(FittedLinearClassifier {
        class: LDA.to_string(),
        coef,
        intercept,
        classes,
        n_classes: data.n_classes,
        probabilities: Probabilities::Softmax,
    }))
}

/// The "svd" solver's weights and intercepts per class present (1.4's
/// within-class scaling by 1/(n − classes)).
fn lda_svd(
    data: &TrainingData<'_>,
    index: &[usize],
    means: &[Vec<f64>],
    priors: &[f64],
    tol: f64,
) -> Result<(Vec<Vec<f64>>, Vec<f64>), LearnError> {
    let (n, p, k) = (data.x.n_rows, data.x.n_cols(), priors.len());
    // Within-class centred rows, scaled by the columns' standard deviations.
    let xc = |row: usize, j: usize| data.x.columns[j][row] - means[index[row]][j];
    let std: Vec<f64> = (0..p)
        .map(|j| {
            let mean = (0..n).map(|row| xc(row, j)).sum::<f64>() / n as f64;
            let var = (0..n).map(|row| (xc(row, j) - mean).powi(2)).sum::<f64>() / n as f64;
            match var.sqrt() {
                0.0 => 1.0,
                s => s,
            }
        })
        .collect();
    let fac = (1.0 / (n - k) as f64).sqrt();
    let within = Mat::from_fn(n, p, |row, j| fac * (xc(row, j) / std[j]));
    let svd = within.thin_svd().map_err(|e| numerical(LDA, e))?;
    let (s, v) = (svd.S().column_vector(), svd.V());
    let rank = (0..s.nrows()).filter(|&i| s[i] > tol).count();
    if rank == 0 {
        return Err(LearnError::Numerical {
            step: LDA.to_string(),
            message: "the within-class scatter is zero (every feature constant within classes?)".to_string(),
        });
    }
    // scalings[j, r] = V[j, r] / std[j] / S[r]
    let scalings = Mat::from_fn(p, rank, |j, r| v[(j, r)] / std[j] / s[r]);
    let xbar: Vec<f64> = (0..p).map(|j| priors.iter().zip(means).map(|(w, m)| w * m[j]).sum()).collect();
    let between_fac = if k == 1 { 1.0 } else { 1.0 / (k - 1) as f64 };
    let centres = Mat::from_fn(k, p, |c, j| means[c][j] - xbar[j]);
    let weights: Vec<f64> = priors.iter().map(|prior| (n as f64 * prior * between_fac).sqrt()).collect();
    let weighted = Mat::from_fn(k, p, |c, j| weights[c] * centres[(c, j)]);
    let between = &weighted * &scalings;
    let svd2 = between.thin_svd().map_err(|e| numerical(LDA, e))?;
    let (s2, v2) = (svd2.S().column_vector(), svd2.V());
    let s2_first = if s2.nrows() > 0 { s2[0] } else { 0.0 };
    let rank2 = (0..s2.nrows()).filter(|&i| s2[i] > tol * s2_first).count();
    let final_scalings = &scalings * v2.subcols(0, rank2);
    let coef_small = &centres * &final_scalings;
    let coef_full = &coef_small * final_scalings.transpose();
    let coef: Vec<Vec<f64>> = (0..k).map(|c| (0..p).map(|j| coef_full[(c, j)]).collect()).collect();
    let intercept: Vec<f64> = (0..k)
        .map(|c| {
            let squares: f64 = (0..rank2).map(|r| coef_small[(c, r)].powi(2)).sum();
            let offset: f64 = xbar.iter().zip(&coef[c]).map(|(m, w)| m * w).sum();
            -0.5 * squares + priors[c].ln() - offset
        })
        .collect();
    Ok((coef, intercept))
}

/// A fitted QDA: per class present, its mean, the rotation and scalings of
/// its (regularised) covariance, and its prior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedQda {
    /// Per class, the feature means (`means_`).
    pub means: Vec<Vec<f64>>,
    /// Per class, the right singular vectors of its centred rows, one
    /// vector (of the features' length) per component (`rotations_`, transposed).
    pub rotations: Vec<Vec<Vec<f64>>>,
    /// Per class, the variance along each component (`scalings_`).
    pub scalings: Vec<Vec<f64>>,
    /// Per class, its share of the training rows (`priors_`).
    pub priors: Vec<f64>,
    /// The class codes present in training, sorted.
    pub classes: Vec<usize>,
    /// The number of classes of the whole target.
    pub n_classes: usize,
}

const QDA: &str = "QuadraticDiscriminantAnalysis";

impl FittedQda {
    /// scikit-learn's `_decision_function`: the log posterior up to a
    /// constant, per row and class present (row-major).
    fn log_posterior(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let p = self.means.first().map_or(0, Vec::len);
        x.expect_width(p, QDA)?;
        let k = self.classes.len();
        let consistent = k >= 2
            && self.means.len() == k
            && self.rotations.len() == k
            && self.scalings.len() == k
            && self.priors.len() == k
            && self
                .rotations
                .iter()
                .zip(&self.scalings)
                .all(|(r, s)| r.len() == s.len() && r.iter().all(|v| v.len() == p))
            && self.classes.iter().all(|&c| c < self.n_classes);
        if !consistent {
            return Err(LearnError::InvalidOption(format!("the stored {QDA} is inconsistent (a damaged artifact?)")));
        }
        let mut out = vec![0.0; x.n_rows * k];
        let mut centred = vec![0.0; p];
        for c in 0..k {
            let u: f64 = self.scalings[c].iter().map(|s| s.ln()).sum();
            let prior = self.priors[c].ln();
            for row in 0..x.n_rows {
                for (j, value) in centred.iter_mut().enumerate() {
                    *value = x.columns[j][row] - self.means[c][j];
                }
                let norm2: f64 = self.rotations[c]
                    .iter()
                    .zip(&self.scalings[c])
                    .map(|(vector, s)| {
                        let projection: f64 = centred.iter().zip(vector).map(|(a, b)| a * b * s.powf(-0.5)).sum();
                        projection * projection
                    })
                    .sum();
                out[row * k + c] = -0.5 * (norm2 + u) + prior;
            }
        }
        Ok(out)
    }

    fn spread(&self, values: &[f64], fill: f64) -> Vec<f64> {
        spread(values, &self.classes, self.n_classes, fill)
    }
}

impl Fitted for FittedQda {
    fn validate(&self) -> Result<(), String> {
        let (k, p) = (self.classes.len(), self.n_features());
        if k < 2 || k > self.n_classes || p == 0 {
            return Err(format!(
                "{k} classes present of {} and {p} features (need 2 classes and 1 feature at least)",
                self.n_classes
            ));
        }
        if self.classes.windows(2).any(|pair| pair[0] >= pair[1]) || self.classes[k - 1] >= self.n_classes {
            return Err(format!("classes {:?} are not sorted codes below {}", self.classes, self.n_classes));
        }
        validate::length("means", self.means.len(), k)?;
        validate::length("rotations", self.rotations.len(), k)?;
        validate::length("scalings", self.scalings.len(), k)?;
        validate::length("priors", self.priors.len(), k)?;
        validate::finite("priors", &self.priors)?;
        for c in 0..k {
            validate::length(&format!("means[{c}]"), self.means[c].len(), p)?;
            validate::finite(&format!("means[{c}]"), &self.means[c])?;
            validate::length(&format!("rotations[{c}]"), self.rotations[c].len(), self.scalings[c].len())?;
            validate::finite(&format!("scalings[{c}]"), &self.scalings[c])?;
            if let Some(at) = self.scalings[c].iter().position(|&v| v <= 0.0) {
                return Err(format!("scalings[{c}][{at}] is {} (a variance must be positive)", self.scalings[c][at]));
            }
            for (i, vector) in self.rotations[c].iter().enumerate() {
                validate::length(&format!("rotations[{c}][{i}]"), vector.len(), p)?;
                validate::finite(&format!("rotations[{c}][{i}]"), vector)?;
            }
        }
        Ok(())
    }
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let k = self.classes.len();
        Ok(self.log_posterior(x)?.chunks(k).map(|row| self.classes[argmax(row)] as f64).collect())
    }
    fn n_features(&self) -> usize {
        self.means.first().map_or(0, Vec::len)
    }
    fn is_finite(&self) -> bool {
        self.means
            .iter()
            .chain(&self.scalings)
            .flatten()
            .chain(self.rotations.iter().flatten().flatten())
            .all(|v| v.is_finite())
            && self.priors.iter().all(|v| v.is_finite())
    }
    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        let k = self.classes.len();
        Some(self.log_posterior(x).map(|mut values| {
            for row in values.chunks_mut(k) {
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                row.iter_mut().for_each(|v| *v = (*v - max).exp());
                let sum: f64 = row.iter().sum();
                row.iter_mut().for_each(|v| *v /= sum);
            }
            self.spread(&values, 0.0)
        }))
    }
    fn decision_function(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        let k = self.classes.len();
        Some(self.log_posterior(x).map(|values| {
            if self.n_classes == 2 {
                values.chunks(k).map(|row| row[1] - row[0]).collect()
            } else {
                self.spread(&values, f64::NEG_INFINITY)
            }
        }))
    }
}

fn fit_qda(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let reg_param = params.float("reg_param")?;
    let tol = params.float("tol")?;
    let Present { classes, index, counts } = present_classes(data, QDA)?;
    let (n, p) = (data.x.n_rows, data.x.n_cols());
    if p == 0 {
        return Err(LearnError::Shape(format!("X has 0 features, but {QDA} needs at least one")));
    }
    let means = class_means(data.x, &index, &counts);
    let (mut rotations, mut scalings) = (Vec::new(), Vec::new());
    for (c, &class) in classes.iter().enumerate() {
        let rows: Vec<usize> = (0..n).filter(|&row| index[row] == c).collect();
        if rows.len() == 1 {
            return Err(LearnError::TooFewRows(format!(
                "{QDA}: y has only 1 sample in class {class}, covariance is ill defined"
            )));
        }
        let centred = Mat::from_fn(rows.len(), p, |i, j| data.x.columns[j][rows[i]] - means[c][j]);
        let svd = centred.thin_svd().map_err(|e| numerical(QDA, e))?;
        let (s, v) = (svd.S().column_vector(), svd.V());
        let variances: Vec<f64> =
            (0..s.nrows()).map(|i| (1.0 - reg_param) * (s[i] * s[i] / (rows.len() - 1) as f64) + reg_param).collect();
        let rank = (0..s.nrows()).filter(|&i| s[i] > tol).count();
        // scikit-learn 1.4 (PyCaret's) only warns "Variables are collinear"
        // below full rank and fits a covariance whose inverse is rounding
        // noise (later releases refuse); PyCaret's leaderboard shows such a
        // model's scores (a one-hot encoded column is collinear by design),
        // so it is fitted here too. A variance of exactly 0 would divide by
        // zero in scikit-learn as well: that one is refused.
        if variances.iter().any(|&v| v <= 0.0 || !v.is_finite()) {
            return Err(LearnError::Numerical {
                step: QDA.to_string(),
                message: format!(
                    "the covariance matrix of class {class} is singular ({rank} of {p} features above tol: \
                     collinear features, or no more rows than features); raise reg_param"
                ),
            });
        }
        rotations.push((0..s.nrows()).map(|i| (0..p).map(|j| v[(j, i)]).collect()).collect());
        scalings.push(variances);
    }
    let priors = counts.iter().map(|&count| count as f64 / n as f64).collect();
    Ok(FittedModel::Qda(FittedQda { means, rotations, scalings, priors, classes, n_classes: data.n_classes }))
}

const TOL: ParamSpec = ParamSpec {
    name: "tol",
    kinds: &[ParamKind::NON_NEGATIVE],
    default: DefaultValue::Float(1e-4),
    help: "singular values below it count as zero (the rank estimate)",
};

/// PyCaret's `qda` and `lda`, in its order.
pub const MODELS: &[ModelEntry] = &[
    ModelEntry {
        id: "qda",
        name: "Quadratic Discriminant Analysis",
        class: "sklearn.discriminant_analysis.QuadraticDiscriminantAnalysis",
        family: "discriminant_analysis",
        task: Task::Classification,
        turbo: true,
        randomised: false,
        params: &[
            ParamSpec {
                name: "reg_param",
                kinds: &[ParamKind::FRACTION],
                default: DefaultValue::Float(0.0),
                help: "shrinks each class's covariance towards the identity",
            },
            TOL,
        ],
        fit: fit_qda,
    },
    ModelEntry {
        id: "lda",
        name: "Linear Discriminant Analysis",
        class: "sklearn.discriminant_analysis.LinearDiscriminantAnalysis",
        family: "discriminant_analysis",
        task: Task::Classification,
        turbo: true,
        randomised: false,
        params: &[
            ParamSpec {
                name: "solver",
                kinds: &[ParamKind::Choice(&["svd", "lsqr", "eigen"])],
                default: DefaultValue::Str("svd"),
                help: "svd (no covariance matrix), lsqr (least squares on the within-class covariance) or eigen \
                       (its generalised eigenproblem; needs it positive definite)",
            },
            ParamSpec {
                name: "shrinkage",
                kinds: &[ParamKind::Null, ParamKind::Choice(&["auto"]), ParamKind::FRACTION],
                default: DefaultValue::Null,
                help: "lsqr and eigen only: None, \"auto\" (Ledoit-Wolf) or a fixed shrinkage in [0, 1] \
                       (\"empirical\" is refused, as scikit-learn refuses it)",
            },
            TOL,
        ],
        fit: fit_lda,
    },
];

#[cfg(test)]
mod tests {
    use crate::matrix::Matrix;
    use crate::models::ModelSpec;
    use crate::params::ParamValue;
    use crate::task::Task;

    /// Three well-separated classes on two features, 8 rows each.
    fn three_classes() -> (Matrix, Vec<f64>) {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let mut y = Vec::new();
        for class in 0..3 {
            for i in 0..8 {
                a.push(class as f64 * 4.0 + (i % 3) as f64 * 0.3 + i as f64 * 0.05);
                b.push(-(class as f64) * 2.0 + ((i * 5) % 7) as f64 * 0.2);
                y.push(class as f64);
            }
        }
        (Matrix { n_rows: y.len(), columns: vec![a, b] }, y)
    }

    fn lda(given: &[(&str, ParamValue)]) -> Result<ModelSpec, crate::LearnError> {
        let given: Vec<(String, ParamValue)> = given.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        ModelSpec::new(Task::Classification, "lda", &given, 0)
    }

    /// scikit-learn's refusals: "empirical" (its own parameter check, 1.4
    /// and 1.9), any shrinkage with "svd" (even 0), and "eigen" on a
    /// within-class covariance that is not positive definite.
    #[test]
    fn lda_refuses_what_scikit_learn_refuses() {
        let word = |w: &str| ParamValue::Str(w.to_string());
        let error = lda(&[("solver", word("lsqr")), ("shrinkage", word("empirical"))]).unwrap_err();
        assert!(error.to_string().contains("shrinkage"), "{error}");
        let (x, y) = three_classes();
        let svd = lda(&[("shrinkage", ParamValue::Float(0.0))]).unwrap();
        let error = svd.fit_task(&x, &y, 3).unwrap_err();
        assert!(error.to_string().contains("not supported with solver \"svd\""), "{error}");
        let mut constant = x.clone();
        constant.columns.push(vec![1.0; y.len()]);
        let eigen = lda(&[("solver", word("eigen"))]).unwrap();
        let error = eigen.fit_task(&constant, &y, 3).unwrap_err();
        assert!(error.to_string().contains("not positive definite"), "{error}");
        // lsqr takes the minimum-norm solution, and a shrinkage makes eigen work.
        for (solver, shrinkage) in
            [("lsqr", ParamValue::Null), ("eigen", word("auto")), ("eigen", ParamValue::Float(0.1))]
        {
            let spec = lda(&[("solver", word(solver)), ("shrinkage", shrinkage)]).unwrap();
            let predicted = spec.fit_task(&constant, &y, 3).unwrap().predict(&constant).unwrap();
            assert_eq!(predicted, y, "{solver}");
        }
    }

    #[test]
    fn a_class_missing_from_training_gets_probability_zero_and_is_never_predicted() {
        let (x, y) = three_classes();
        // Train on classes 0 and 2 only, with the whole target's 3 classes.
        let keep: Vec<usize> = (0..y.len()).filter(|&row| y[row] != 1.0).collect();
        let train = x.take_rows(&keep);
        let y_train: Vec<f64> = keep.iter().map(|&row| y[row]).collect();
        for id in ["lda", "qda", "ridge", "knn"] {
            let fitted =
                ModelSpec::with_defaults(Task::Classification, id, 0).unwrap().fit_task(&train, &y_train, 3).unwrap();
            let predicted = fitted.predict(&x).unwrap();
            assert!(predicted.iter().all(|&p| p == 0.0 || p == 2.0), "{id}: {predicted:?}");
            assert_eq!(predicted[0], 0.0, "{id}");
            assert_eq!(predicted[23], 2.0, "{id}");
            if let Some(probabilities) = fitted.predict_proba(&x) {
                let probabilities = probabilities.unwrap();
                assert_eq!(probabilities.len(), 3 * x.n_rows, "{id}");
                assert!(probabilities.chunks(3).all(|row| row[1] == 0.0), "{id}");
            }
            if let Some(decision) = fitted.decision_function(&x) {
                let decision = decision.unwrap();
                assert_eq!(decision.len(), 3 * x.n_rows, "{id}");
                assert!(decision.chunks(3).all(|row| row[1] == f64::NEG_INFINITY), "{id}");
                if id != "qda" {
                    // Two classes present: one score, spread as its negation and itself.
                    assert!(decision.chunks(3).all(|row| row[0] == -row[2]), "{id}");
                }
            }
        }
    }

    #[test]
    fn one_class_and_a_single_row_class_are_clear_errors() {
        let (x, y) = three_classes();
        let first: Vec<usize> = (0..8).collect();
        for id in ["lda", "qda", "ridge"] {
            let spec = ModelSpec::with_defaults(Task::Classification, id, 0).unwrap();
            let error = spec.fit_task(&x.take_rows(&first), &y[..8], 3).unwrap_err().to_string();
            assert!(error.contains("at least 2 classes"), "{id}: {error}");
        }
        let rows: Vec<usize> = (0..17).collect();
        let error = ModelSpec::with_defaults(Task::Classification, "qda", 0)
            .unwrap()
            .fit_task(&x.take_rows(&rows), &y[..17], 3)
            .unwrap_err()
            .to_string();
        assert!(error.contains("only 1 sample in class 2"), "{error}");
    }

    #[test]
    fn qda_fits_collinear_features_as_scikit_learn_1_4_and_refuses_a_zero_variance() {
        let (mut x, y) = three_classes();
        let spec = |reg: f64| {
            let given = [("reg_param".to_string(), ParamValue::Float(reg))];
            ModelSpec::new(Task::Classification, "qda", &given, 0).unwrap()
        };
        // Collinear columns (a one-hot group) are fitted, as PyCaret's scikit-learn 1.4 does.
        x.columns[1] = x.columns[0].iter().map(|v| 2.0 * v).collect();
        let fitted = spec(0.0).fit_task(&x, &y, 3).unwrap();
        let probabilities = fitted.predict_proba(&x).unwrap().unwrap();
        assert!(probabilities.iter().all(|p| p.is_finite()));
        // A class whose rows are all the same point has no variance at all.
        let rows_of_class_0: Vec<usize> = (0..y.len()).filter(|&row| y[row] == 0.0).collect();
        for column in &mut x.columns {
            let first = column[rows_of_class_0[0]];
            rows_of_class_0.iter().for_each(|&row| column[row] = first);
        }
        let error = spec(0.0).fit_task(&x, &y, 3).unwrap_err().to_string();
        assert!(error.contains("singular") && error.contains("reg_param"), "{error}");
        assert!(spec(0.1).fit_task(&x, &y, 3).is_ok());
    }
}
