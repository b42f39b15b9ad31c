//! `MLPClassifier` (PyCaret's classification `mlp`, `max_iter=500`): the
//! regressor's network and Adam trainer (`mlp::train`, scikit-learn's
//! initial weights and epoch shuffles from the same numpy stream) with the
//! classifier's output: for two classes one logistic unit on the 0/1 target
//! (binary log-loss), for more a softmax over one-hot targets (log-loss), as
//! `LabelBinarizer` encodes them. Early stopping is off (scikit-learn's
//! default): training stops after more than `n_iter_no_change` epochs
//! without a `tol` improvement of the mean loss, or at `max_iter`.
//!
//! `predict` is scikit-learn's: the second class where the logistic output
//! exceeds 0.5, else the first maximal softmax output. It has no
//! `decision_function`. A class missing from the training rows is fitted
//! without (as scikit-learn, which only knows the classes it saw) and gets
//! probability 0.

use crate::matrix::Matrix;
use crate::models::discriminant::{present_classes, spread};
use crate::models::mlp::{config, forward_rows, train, Activation, Layer, Output, PARAMS};
use crate::models::{validate, Fitted, FittedModel, ModelEntry, TrainingData};
use crate::numpy::argmax;
use crate::params::Params;
use crate::task::Task;
use crate::LearnError;
use serde::{Deserialize, Serialize};

const CLASS: &str = "MLPClassifier";

/// A fitted `MLPClassifier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedMlpClassifier {
    /// The hidden layers' activation.
    pub activation: Activation,
    /// The layers, input side first; the last has one output for two
    /// classes, else one per class present.
    pub layers: Vec<Layer>,
    /// The class codes present in training, sorted.
    pub classes: Vec<usize>,
    /// The number of classes of the whole target.
    pub n_classes: usize,
}

impl FittedMlpClassifier {
    fn output(&self) -> Output {
        if self.classes.len() == 2 {
            Output::Logistic
        } else {
            Output::Softmax
        }
    }

    fn outputs(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features(), CLASS)?;
        self.shape().map_err(|e| LearnError::InvalidOption(format!("the stored {CLASS} is inconsistent: {e}")))?;
        Ok(forward_rows(self.activation, self.output(), &self.layers, x))
    }

    /// The classes and the layers' sizes agree (what indexing relies on;
    /// finiteness is `validate`'s, at loading).
    fn shape(&self) -> Result<(), String> {
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
        for (index, layer) in self.layers.iter().enumerate() {
            let field = format!("layers[{index}]");
            let weights = validate::product(&format!("{field}.weights"), layer.n_in, layer.n_out)?;
            validate::length(&format!("{field}.weights"), layer.weights.len(), weights)?;
            validate::length(&format!("{field}.bias"), layer.bias.len(), layer.n_out)?;
        }
        for (index, pair) in self.layers.windows(2).enumerate() {
            if pair[0].n_out != pair[1].n_in {
                return Err(format!(
                    "layers[{index}].n_out is {} but layers[{}].n_in is {}",
                    pair[0].n_out,
                    index + 1,
                    pair[1].n_in
                ));
            }
        }
        let outputs = if k == 2 { 1 } else { k };
        match self.layers.last() {
            Some(last) => validate::length("the last layer's outputs", last.n_out, outputs),
            None => Err("layers is empty".to_string()),
        }
    }
}

impl Fitted for FittedMlpClassifier {
    fn n_features(&self) -> usize {
        self.layers.first().map_or(0, |layer| layer.n_in)
    }

    fn is_finite(&self) -> bool {
        self.layers.iter().all(|l| l.weights.iter().chain(&l.bias).all(|v| v.is_finite()))
    }

    fn validate(&self) -> Result<(), String> {
        self.shape()?;
        for (index, layer) in self.layers.iter().enumerate() {
            validate::finite(&format!("layers[{index}].weights"), &layer.weights)?;
            validate::finite(&format!("layers[{index}].bias"), &layer.bias)?;
        }
        Ok(())
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let outputs = self.outputs(x)?;
        Ok(if self.classes.len() == 2 {
            outputs.iter().map(|&p| self.classes[usize::from(p > 0.5)] as f64).collect()
        } else {
            outputs.chunks(self.classes.len()).map(|row| self.classes[argmax(row)] as f64).collect()
        })
    }

    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        Some(self.outputs(x).map(|outputs| {
            if self.classes.len() == 2 {
                let both: Vec<f64> = outputs.iter().flat_map(|&p| [1.0 - p, p]).collect();
                spread(&both, &self.classes, self.n_classes, 0.0)
            } else {
                spread(&outputs, &self.classes, self.n_classes, 0.0)
            }
        }))
    }
}

fn fit_mlp_classifier(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let present = present_classes(data, CLASS)?;
    let k = present.classes.len();
    let config = config(params)?;
    let (n_out, output, targets) = if k == 2 {
        (1, Output::Logistic, present.index.iter().map(|&c| c as f64).collect::<Vec<f64>>())
    } else {
        let mut one_hot = vec![0.0; present.index.len() * k];
        present.index.iter().enumerate().for_each(|(row, &c)| one_hot[row * k + c] = 1.0);
        (k, Output::Softmax, one_hot)
    };
    let layers = train(data.x, &targets, n_out, output, &config, CLASS)?;
    Ok(FittedModel::MlpClassifier(FittedMlpClassifier {
        activation: config.activation,
        layers,
        classes: present.classes,
        n_classes: data.n_classes,
    }))
}

/// PyCaret's classification `mlp`.
pub const CLASSIFIERS: &[ModelEntry] = &[ModelEntry {
    id: "mlp",
    name: "MLP Classifier",
    class: "sklearn.neural_network.MLPClassifier",
    family: "neural_network",
    task: Task::Classification,
    turbo: false,
    randomised: true,
    params: PARAMS,
    fit: fit_mlp_classifier,
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelSpec;

    #[test]
    fn two_classes_train_one_logistic_output_and_three_a_softmax() {
        let n = 90;
        let y: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
        let a: Vec<f64> = (0..n).map(|i| y[i] + 0.3 * (i as f64 * 0.9).sin()).collect();
        let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.4).cos()).collect();
        let x = Matrix { n_rows: n, columns: vec![a, b] };
        let spec = ModelSpec::with_defaults(Task::Classification, "mlp", 0).unwrap();
        let fitted = spec.fit_task(&x, &y, 3).unwrap();
        let FittedModel::MlpClassifier(model) = &fitted else { panic!("{fitted:?}") };
        assert_eq!(model.layers.last().unwrap().n_out, 3);
        let predicted = fitted.predict(&x).unwrap();
        let accuracy = predicted.iter().zip(&y).filter(|(p, t)| p == t).count() as f64 / n as f64;
        assert!(accuracy > 0.9, "{accuracy}");

        let rows: Vec<usize> = (0..n).filter(|&i| y[i] != 1.0).collect();
        let y2: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
        let fitted = spec.fit_task(&x.take_rows(&rows), &y2, 3).unwrap();
        let FittedModel::MlpClassifier(model) = &fitted else { panic!("{fitted:?}") };
        assert_eq!(model.layers.last().unwrap().n_out, 1);
        let probabilities = fitted.predict_proba(&x.take_rows(&rows)).unwrap().unwrap();
        assert!(probabilities.chunks(3).all(|row| row[1] == 0.0 && (row[0] + row[2] - 1.0).abs() < 1e-12));

        let FittedModel::MlpClassifier(mut damaged) = fitted else { panic!("{fitted:?}") };
        damaged.classes.push(1);
        assert!(damaged.validate().is_err());
        assert!(damaged.predict(&x).is_err());
    }
}
