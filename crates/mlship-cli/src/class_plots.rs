//! A classifier's diagnostic plots on the hold-out rows, as PyCaret's
//! `plot_model` names them: the confusion matrix, the class report
//! (precision, recall, F1 and support per class), ROC and precision-recall
//! curves (one-vs-rest per class; the positive class for two) and the
//! calibration curve of a binary classifier. Curves need probabilities: a
//! model without them (`svm`, `ridge`) gets the confusion matrix and report.

use mlship_learn::{ClassPredictions, Evaluation};
use mlship_track::plots;

/// Points of a curve on the unit square.
type Curve = Vec<(f64, f64)>;

/// Calibration bins, as scikit-learn's `calibration_curve(n_bins=10)`.
const CALIBRATION_BINS: usize = 10;

/// (file stem, SVG) of every classification plot.
pub fn plots(evaluation: &Evaluation) -> Vec<(&'static str, String)> {
    let (Some(classes), Some(labels)) = (evaluation.holdout_predictions.classes(), &evaluation.pipeline.labels) else {
        return Vec::new();
    };
    let truth: Vec<usize> = evaluation.holdout_truth.iter().map(|&code| code as usize).collect();
    let names: Vec<String> = labels.classes.iter().map(ToString::to_string).collect();
    let mut out = vec![confusion_plot(&truth, classes, &names), class_report(&truth, classes, &names)];
    if let Some(probabilities) = &classes.probabilities {
        let n = classes.n_classes;
        let shown: Vec<usize> = if n == 2 { vec![1] } else { (0..n).collect() };
        let mut roc = Vec::new();
        let mut pr = Vec::new();
        for class in shown {
            let positive: Vec<bool> = truth.iter().map(|&t| t == class).collect();
            if !positive.contains(&true) || !positive.contains(&false) {
                continue;
            }
            let scores: Vec<f64> = probabilities.chunks(n).map(|row| row[class]).collect();
            let (roc_points, pr_points) = curves(&positive, &scores);
            let auc = mlship_learn::class_metrics::binary_auc(&positive, &scores).unwrap_or(f64::NAN);
            roc.push((format!("{} (AUC {auc:.3})", names[class]), roc_points));
            pr.push((names[class].clone(), pr_points));
        }
        out.push((
            "roc",
            plots::curves("ROC curves (hold-out)", "False positive rate", "True positive rate", &roc, true),
        ));
        out.push(("precision_recall", plots::curves("Precision-recall (hold-out)", "Recall", "Precision", &pr, false)));
        if n == 2 {
            let scores: Vec<f64> = probabilities.chunks(2).map(|row| row[1]).collect();
            let points = calibration(&truth, &scores);
            let series = [(names[1].clone(), points)];
            let title = "Calibration (hold-out)";
            out.push((
                "calibration",
                plots::curves(title, "Mean predicted probability", "Fraction of positives", &series, true),
            ));
        }
    }
    out
}

fn confusion_plot(truth: &[usize], classes: &ClassPredictions, names: &[String]) -> (&'static str, String) {
    let n = classes.n_classes;
    let mut counts = vec![vec![0.0; n]; n];
    for (&t, &p) in truth.iter().zip(&classes.codes) {
        counts[t][p] += 1.0;
    }
    let rows: Vec<String> = names.iter().map(|name| format!("true {name}")).collect();
    ("confusion_matrix", plots::grid("Confusion matrix (hold-out)", &rows, names, &counts, 0, false))
}

/// Precision, recall, F1 and support per class (scikit-learn's
/// `classification_report`, 0 where a ratio divides by 0).
fn class_report(truth: &[usize], classes: &ClassPredictions, names: &[String]) -> (&'static str, String) {
    let n = classes.n_classes;
    let ratio = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
    let cells: Vec<Vec<f64>> = (0..n)
        .map(|class| {
            let tp = truth.iter().zip(&classes.codes).filter(|(&t, &p)| t == class && p == class).count() as f64;
            let support = truth.iter().filter(|&&t| t == class).count() as f64;
            let predicted = classes.codes.iter().filter(|&&p| p == class).count() as f64;
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
            vec![precision, recall, ratio(2.0 * precision * recall, precision + recall), support]
        })
        .collect();
    let columns = ["Precision", "Recall", "F1", "Support"].map(str::to_string);
    ("class_report", plots::grid("Class report (hold-out)", names, &columns, &cells, 3, true))
}

/// ROC points (false positive rate, true positive rate) and
/// precision-recall points (recall, precision) at every distinct score,
/// highest first.
fn curves(positive: &[bool], scores: &[f64]) -> (Curve, Curve) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let n_positive = positive.iter().filter(|&&p| p).count() as f64;
    let n_negative = positive.len() as f64 - n_positive;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut roc = vec![(0.0, 0.0)];
    let mut pr = vec![(0.0, 1.0)];
    for (position, &row) in order.iter().enumerate() {
        if positive[row] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        if order.get(position + 1).is_none_or(|&next| scores[next] != scores[row]) {
            roc.push((fp / n_negative, tp / n_positive));
            pr.push((tp / n_positive, tp / (tp + fp)));
        }
    }
    (roc, pr)
}

/// (mean predicted probability, fraction of positives) per non-empty bin of
/// ten equal widths on [0, 1] (scikit-learn's `strategy="uniform"`).
fn calibration(truth: &[usize], scores: &[f64]) -> Vec<(f64, f64)> {
    let mut sums = [(0.0, 0.0, 0usize); CALIBRATION_BINS];
    for (&t, &score) in truth.iter().zip(scores) {
        let bin = ((score * CALIBRATION_BINS as f64) as usize).min(CALIBRATION_BINS - 1);
        sums[bin].0 += score;
        sums[bin].1 += f64::from(u8::from(t == 1));
        sums[bin].2 += 1;
    }
    sums.iter().filter(|(_, _, n)| *n > 0).map(|(s, p, n)| (s / *n as f64, p / *n as f64)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_and_calibration_follow_the_scores() {
        let positive = [true, false, true, false];
        let (roc, pr) = curves(&positive, &[0.9, 0.8, 0.7, 0.1]);
        assert_eq!(roc, vec![(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]);
        assert_eq!(pr[1], (0.5, 1.0));
        assert_eq!(pr.last(), Some(&(1.0, 0.5)));
        let points = calibration(&[1, 0, 1, 1], &[0.95, 0.05, 0.9, 0.15]);
        assert_eq!(points, vec![(0.05, 0.0), (0.15, 1.0), (0.925, 1.0)]);
    }
}
