//! PyCaret's classification metrics (Accuracy, AUC, Recall, Prec., F1, Kappa,
//! MCC), computed as PyCaret 3.3.2's scorers call `sklearn.metrics`: Recall,
//! Prec. and F1 with `average="binary"` (positive class = the encoded 1) when
//! the target's own labels are the numbers 0 and 1, and `average="weighted"`
//! otherwise, even for two classes: PyCaret's `BinaryMulticlassScoreFunc`
//! tests `((y_true == 0) | (y_true == 1)).all()` on the labels as given, so a
//! yes/no target gets weighted scores (its Recall equals its Accuracy), as
//! PyCaret 3.3.2 prints them (checked with PyCaret itself); AUC
//! from scores with `average="weighted", multi_class="ovr"`; a score that
//! scikit-learn refuses to compute (AUC of a model without scores, of a fold
//! whose true labels miss a class, of multiclass scores that are not
//! probabilities) is 0, PyCaret's `error_score`.
//!
//! Labels are class codes `0..n_classes` (the sorted label encoding of the
//! whole target); sums follow numpy's order where it matters for the last bit.

use crate::numpy::pairwise_sum as numpy_sum;
use serde::{Deserialize, Serialize};

/// PyCaret's classification scores for one set of predictions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassificationMetrics {
    /// Share of rows predicted right.
    #[serde(rename = "Accuracy")]
    pub accuracy: f64,
    /// Area under the ROC curve (one-vs-rest, weighted by support, for more than two classes).
    #[serde(rename = "AUC")]
    pub auc: f64,
    /// Recall of the positive class (binary) or support-weighted recall.
    #[serde(rename = "Recall")]
    pub recall: f64,
    /// Precision, as recall.
    #[serde(rename = "Prec.")]
    pub precision: f64,
    /// F1, as recall.
    #[serde(rename = "F1")]
    pub f1: f64,
    /// Cohen's kappa.
    #[serde(rename = "Kappa")]
    pub kappa: f64,
    /// Matthews correlation coefficient.
    #[serde(rename = "MCC")]
    pub mcc: f64,
}

/// The metric names, in PyCaret's column order; `values` follows it.
pub const CLASSIFICATION_METRIC_NAMES: [&str; 7] = ["Accuracy", "AUC", "Recall", "Prec.", "F1", "Kappa", "MCC"];

/// Counts of (true class, predicted class), `n_classes` × `n_classes`, row = true.
fn confusion(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Vec<Vec<u64>> {
    let mut matrix = vec![vec![0u64; n_classes]; n_classes];
    for (&t, &p) in y_true.iter().zip(y_pred) {
        matrix[t][p] += 1;
    }
    matrix
}

/// `a / b`, or 0 where scikit-learn's `zero_division="warn"` gives 0.
fn divide(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// `np.average(values, weights=weights)`.
fn weighted_average(values: &[f64], weights: &[f64]) -> f64 {
    let products: Vec<f64> = values.iter().zip(weights).map(|(v, w)| v * w).collect();
    numpy_sum(&products) / numpy_sum(weights)
}

/// scikit-learn's `roc_auc_score` of one binary problem: the trapezoid under
/// the ROC curve from the scores' distinct thresholds; `None` when `truth`
/// has only one class (scikit-learn raises).
pub fn binary_auc(truth: &[bool], scores: &[f64]) -> Option<f64> {
    let n_positive = truth.iter().filter(|&&t| t).count();
    if n_positive == 0 || n_positive == truth.len() {
        return None;
    }
    // `np.argsort(scores, kind="mergesort")[::-1]`: descending, ties in reverse row order.
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    order.reverse();
    let (mut fps, mut tps) = (vec![0.0], vec![0.0]);
    let (mut tp, mut fp) = (0.0, 0.0);
    for (position, &row) in order.iter().enumerate() {
        if truth[row] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_value = order.get(position + 1).is_none_or(|&next| scores[next] != scores[row]);
        if last_of_value {
            tps.push(tp);
            fps.push(fp);
        }
    }
    let (fp_total, tp_total) = (fp, tp);
    let fpr: Vec<f64> = fps.iter().map(|v| v / fp_total).collect();
    let tpr: Vec<f64> = tps.iter().map(|v| v / tp_total).collect();
    // np.trapz(tpr, fpr) = sum(diff(fpr) * (tpr[1:] + tpr[:-1]) / 2).
    let pieces: Vec<f64> = (1..fpr.len()).map(|i| (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2.0).collect();
    Some(numpy_sum(&pieces))
}

/// What PyCaret's AUC scorer reads from a model: scikit-learn's
/// `decision_function` when the class has one (`response_method=
/// ("decision_function", "predict_proba")`), else `predict_proba`. Row-major,
/// `per_row` values per row: 1 for a binary decision function, else one per class.
#[derive(Debug, Clone, Copy)]
pub struct AucScores<'a> {
    /// The scores.
    pub values: &'a [f64],
    /// Values per row.
    pub per_row: usize,
}

/// AUC as PyCaret scores it; 0 where scikit-learn refuses (a multiclass
/// decision function is not probabilities, so PyCaret 3.3.2 shows 0 for
/// `lr`, `ridge`, `gbc`… on more than two classes: seen with PyCaret itself).
fn auc(y_true: &[usize], scores: AucScores<'_>, n_classes: usize) -> f64 {
    let AucScores { values: probabilities, per_row } = scores;
    if y_true.iter().all(|&t| t <= 1) {
        if n_classes != 2 || !(per_row == 1 || per_row == 2) {
            // scikit-learn's binary AUC refuses a score matrix of more than two columns.
            return 0.0;
        }
        let truth: Vec<bool> = y_true.iter().map(|&t| t == 1).collect();
        let scores: Vec<f64> = probabilities.chunks(per_row).map(|row| row[per_row - 1]).collect();
        return binary_auc(&truth, &scores).unwrap_or(0.0);
    }
    if per_row != n_classes {
        return 0.0;
    }
    // `multi_class="ovr"` needs rows that sum to 1 (np.allclose).
    if probabilities.chunks(n_classes).any(|row| {
        let sum = row.iter().sum::<f64>();
        (1.0 - sum).abs() > 1e-8 + 1e-5 * sum.abs()
    }) {
        return 0.0;
    }
    let mut support = vec![0.0; n_classes];
    y_true.iter().for_each(|&t| support[t] += 1.0);
    // scikit-learn refuses when a class is missing from y_true.
    if support.contains(&0.0) {
        return 0.0;
    }
    let mut scores = Vec::with_capacity(n_classes);
    for class in 0..n_classes {
        let truth: Vec<bool> = y_true.iter().map(|&t| t == class).collect();
        let column: Vec<f64> = probabilities.chunks(n_classes).map(|row| row[class]).collect();
        match binary_auc(&truth, &column) {
            Some(score) => scores.push(score),
            None => return 0.0,
        }
    }
    weighted_average(&scores, &support)
}

impl ClassificationMetrics {
    /// Scores predicted classes (and, when the model has them, the scores
    /// PyCaret's AUC reads) against the true classes.
    /// `zero_one_labels`: the target's labels are the numbers 0 and 1, which
    /// is when PyCaret averages Recall, Prec. and F1 as "binary".
    pub fn compute(
        y_true: &[usize],
        y_pred: &[usize],
        auc_scores: Option<AucScores<'_>>,
        n_classes: usize,
        zero_one_labels: bool,
    ) -> Self {
        let n = y_true.len() as f64;
        let matrix = confusion(y_true, y_pred, n_classes);
        let true_sum: Vec<f64> = matrix.iter().map(|row| row.iter().sum::<u64>() as f64).collect();
        let pred_sum: Vec<f64> = (0..n_classes).map(|p| matrix.iter().map(|row| row[p]).sum::<u64>() as f64).collect();
        let tp: Vec<f64> = (0..n_classes).map(|c| matrix[c][c] as f64).collect();
        let correct: f64 = tp.iter().sum();
        let accuracy = correct / n;
        let precision_of = |c: usize| divide(tp[c], pred_sum[c]);
        let recall_of = |c: usize| divide(tp[c], true_sum[c]);
        let f1_of = |c: usize| divide(2.0 * tp[c], true_sum[c] + pred_sum[c]);
        let (recall, precision, f1) = if zero_one_labels {
            if y_pred.iter().any(|&p| p > 1) {
                // scikit-learn: "Target is multiclass but average='binary'"; PyCaret scores 0.
                (0.0, 0.0, 0.0)
            } else {
                (recall_of(1), precision_of(1), f1_of(1))
            }
        } else {
            let per_class = |score: &dyn Fn(usize) -> f64| {
                let values: Vec<f64> = (0..n_classes).map(score).collect();
                if numpy_sum(&true_sum) == 0.0 {
                    0.0
                } else {
                    weighted_average(&values, &true_sum)
                }
            };
            (per_class(&recall_of), per_class(&precision_of), per_class(&f1_of))
        };
        // Cohen's kappa: 1 - observed disagreement / expected disagreement.
        let total: f64 = numpy_sum(&pred_sum);
        let mut disagreement = 0.0;
        let mut expected = Vec::with_capacity(n_classes * n_classes);
        for (i, row) in matrix.iter().enumerate() {
            for (j, &count) in row.iter().enumerate() {
                // np.outer(sum0, sum1): sum0 = predicted counts, sum1 = true counts.
                let e = pred_sum[i] * true_sum[j] / total;
                if i != j {
                    disagreement += count as f64;
                    expected.push(e);
                } else {
                    expected.push(0.0);
                }
            }
        }
        let kappa = 1.0 - disagreement / numpy_sum(&expected);
        // Matthews correlation coefficient, scikit-learn's multiclass formula.
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).fold(0.0, |sum, (x, y)| sum + x * y);
        let cov_ytyp = correct * n - dot(&true_sum, &pred_sum);
        let cov_ypyp = n * n - dot(&pred_sum, &pred_sum);
        let cov_ytyt = n * n - dot(&true_sum, &true_sum);
        let mcc = if cov_ypyp * cov_ytyt == 0.0 { 0.0 } else { cov_ytyp / (cov_ytyt * cov_ypyp).sqrt() };
        let auc = auc_scores.map_or(0.0, |scores| auc(y_true, scores, n_classes));
        ClassificationMetrics { accuracy, auc, recall, precision, f1, kappa, mcc }
    }

    /// The scores in PyCaret's column order.
    pub fn values(&self) -> [f64; 7] {
        [self.accuracy, self.auc, self.recall, self.precision, self.f1, self.kappa, self.mcc]
    }
}
