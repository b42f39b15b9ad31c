//! `RidgeClassifier` (PyCaret's `ridge` for classification, `alpha` 1): the
//! classes binarised to ±1 targets (`LabelBinarizer(pos_label=1,
//! neg_label=-1)`: one column for two classes, one per class otherwise),
//! each fitted by the ridge solver of `linear` (scikit-learn's cholesky
//! path; `fit_intercept=False` fits the ±1 targets uncentred, intercept 0), the class of greatest score predicted. It has a
//! `decision_function` and no `predict_proba`, as scikit-learn's (so PyCaret
//! shows its AUC as 0).

use crate::models::discriminant::{present_classes, FittedLinearClassifier, Present, Probabilities};
use crate::models::linear::{ridge_fit, FIT_INTERCEPT};
use crate::models::{FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;

const CLASS: &str = "RidgeClassifier";

fn fit_ridge_classifier(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    let (alpha, fit_intercept) = (params.float("alpha")?, params.bool("fit_intercept")?);
    let Present { classes, index, .. } = present_classes(data, CLASS)?;
    if data.x.n_cols() == 0 {
        return Err(LearnError::Shape(format!("X has 0 features, but {CLASS} needs at least one")));
    }
    let columns: Vec<usize> = if classes.len() == 2 { vec![1] } else { (0..classes.len()).collect() };
    let (mut coef, mut intercept) = (Vec::new(), Vec::new());
    for column in columns {
        let target: Vec<f64> = index.iter().map(|&i| if i == column { 1.0 } else { -1.0 }).collect();
        let fitted = ridge_fit(data.x, &target, alpha, fit_intercept)?;
        coef.push(fitted.coef);
        intercept.push(fitted.intercept);
    }
    Ok(FittedModel::LinearClassifier(FittedLinearClassifier {
        class: CLASS.to_string(),
        coef,
        intercept,
        classes,
        n_classes: data.n_classes,
        probabilities: Probabilities::None,
    }))
}

/// PyCaret's `ridge` classifier.
pub const MODELS: &[ModelEntry] = &[ModelEntry {
    id: "ridge",
    name: "Ridge Classifier",
    class: "sklearn.linear_model.RidgeClassifier",
    family: "linear_model",
    task: Task::Classification,
    turbo: true,
    randomised: false,
    params: &[
        ParamSpec {
            name: "alpha",
            kinds: &[ParamKind::NON_NEGATIVE],
            default: DefaultValue::Float(1.0),
            help: "regularisation strength",
        },
        FIT_INTERCEPT,
    ],
    fit: fit_ridge_classifier,
}];
