//! `stack`: scikit-learn 1.9's `StackingRegressor` / `StackingClassifier` as
//! PyCaret's `stack_models` builds them. Every member is fitted on all the
//! rows (what predicts later) and, through `cross_val_predict` over
//! `meta_model_fold` unshuffled folds (KFold; StratifiedKFold for a
//! classifier), gives out-of-fold outputs that train the final estimator
//! (`meta_model`, `lr` by default). A classifier member gives
//! `predict_proba` (its first column dropped for two classes, which sum to
//! one), else `decision_function`, else `predict` (`method` "auto"); with
//! `restack` the input features follow the members' outputs.

use super::{
    check_member_classes, fit_members, has_decision_function, member_error, validate_members, word, FittedModel,
    ModelSpec, TrainingData,
};
use crate::compare::parallel_map;
use crate::matrix::Matrix;
use crate::models::Fitted;
use crate::params::{ParamValue, Params, ParamsExt};
use crate::split::{kfold, stratified_kfold};
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// What a member gives the final estimator (scikit-learn's `stack_method_`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackMethod {
    /// The prediction (a regressor's number, a classifier's class code).
    Predict,
    /// The class probabilities (the second only, for two classes).
    PredictProba,
    /// The decision function (one value for two classes, else one per class).
    DecisionFunction,
}

impl StackMethod {
    fn name(self) -> &'static str {
        match self {
            StackMethod::Predict => "predict",
            StackMethod::PredictProba => "predict_proba",
            StackMethod::DecisionFunction => "decision_function",
        }
    }

    /// The number of columns it adds.
    fn width(self, n_classes: usize) -> usize {
        match self {
            StackMethod::Predict => 1,
            StackMethod::PredictProba | StackMethod::DecisionFunction if n_classes == 2 => 1,
            StackMethod::PredictProba | StackMethod::DecisionFunction => n_classes,
        }
    }

    /// The member's output on `x` as columns.
    pub(super) fn columns(
        self,
        model: &FittedModel,
        x: &Matrix,
        n_classes: usize,
    ) -> Result<Vec<Vec<f64>>, LearnError> {
        let missing = || LearnError::InvalidOption(format!("the model has no {}", self.name()));
        let values = match self {
            StackMethod::Predict => return Ok(vec![model.predict(x)?]),
            StackMethod::PredictProba => model.predict_proba(x).ok_or_else(missing)??,
            StackMethod::DecisionFunction => model.decision_function(x).ok_or_else(missing)??,
        };
        let per_row = if self == StackMethod::DecisionFunction && n_classes == 2 { 1 } else { n_classes };
        if per_row == 0 || values.len() != x.n_rows * per_row {
            return Err(LearnError::Shape(format!(
                "{} gave {} values for {} rows of {n_classes} classes",
                self.name(),
                values.len(),
                x.n_rows
            )));
        }
        // Two classes' probabilities sum to one: only the second is kept.
        let first = usize::from(self == StackMethod::PredictProba && n_classes == 2);
        Ok((first..per_row).map(|class| values.iter().skip(class).step_by(per_row).copied().collect()).collect())
    }
}

/// Fitted members, what each gives, and the final estimator on top.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedStacking {
    /// The members, each fitted on every training row.
    pub members: Vec<FittedModel>,
    /// What each member gives the final estimator, in member order.
    pub stack_method: Vec<StackMethod>,
    /// The model fitted on the members' out-of-fold outputs.
    pub final_estimator: Box<FittedModel>,
    /// The input features follow the members' outputs (`restack`).
    pub passthrough: bool,
    /// The classes of the whole target (0 for regression).
    pub n_classes: usize,
}

pub(super) fn fit(
    spec: &ModelSpec,
    params: &Params,
    data: &TrainingData<'_>,
    n_threads: usize,
) -> Result<FittedStacking, LearnError> {
    fit_with_features(spec, params, data, n_threads).map(|(fitted, _)| fitted)
}

/// The fit, and the final estimator's training matrix (for parity tests).
pub(super) fn fit_with_features(
    spec: &ModelSpec,
    params: &Params,
    data: &TrainingData<'_>,
    n_threads: usize,
) -> Result<(FittedStacking, Matrix), LearnError> {
    let n_folds = params.usize("meta_model_fold")?;
    let passthrough = params.bool("restack")?;
    let meta_id = match params.value("meta_model")? {
        ParamValue::Str(id) => id.as_str(),
        _ => "lr",
    };
    let final_spec = ModelSpec::with_defaults(spec.task, meta_id, params.seed("random_state")?)?;
    let requested = if data.n_classes == 0 { "predict" } else { word(params, "method")? };
    let folds: Vec<Vec<usize>> = if data.n_classes == 0 {
        kfold(data.x.n_rows, n_folds)?.into_iter().map(Iterator::collect).collect()
    } else {
        stratified_kfold(&data.class_codes(), n_folds)?.0
    };
    let members = fit_members(spec, data, n_threads)?;
    let stack_method = members
        .iter()
        .enumerate()
        .map(|(index, member)| {
            let has_proba = member.has_probabilities();
            let has_decision = has_decision_function(member);
            match requested {
                "predict" => Ok(StackMethod::Predict),
                "auto" if has_proba => Ok(StackMethod::PredictProba),
                "auto" if has_decision => Ok(StackMethod::DecisionFunction),
                "auto" => Ok(StackMethod::Predict),
                "predict_proba" if has_proba => Ok(StackMethod::PredictProba),
                "decision_function" if has_decision => Ok(StackMethod::DecisionFunction),
                other => Err(member_error(
                    spec,
                    index,
                    &LearnError::InvalidOption(format!("method \"{other}\" is not available for this model")),
                )),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let meta_x = out_of_fold(spec, &stack_method, data, &folds, passthrough, n_threads)?;
    let final_estimator = final_spec
        .fit_task(&meta_x, data.y, data.n_classes)
        .map_err(|error| LearnError::InvalidOption(format!("{}: meta_model \"{meta_id}\": {error}", spec.id)))?;
    let fitted = FittedStacking {
        members,
        stack_method,
        final_estimator: Box::new(final_estimator),
        passthrough,
        n_classes: data.n_classes,
    };
    Ok((fitted, meta_x))
}

/// `cross_val_predict` for every member with its method, then the columns
/// side by side (and the inputs after them with `passthrough`): the final
/// estimator's training matrix. Members × folds run on `n_threads`.
fn out_of_fold(
    spec: &ModelSpec,
    stack_method: &[StackMethod],
    data: &TrainingData<'_>,
    folds: &[Vec<usize>],
    passthrough: bool,
    n_threads: usize,
) -> Result<Matrix, LearnError> {
    let n_rows = data.x.n_rows;
    let n_folds = folds.len();
    let cells = parallel_map(spec.estimators.len() * n_folds, n_threads, |job| {
        let (member_idx, fold_idx) = (job / n_folds, job % n_folds);
        let (Some(member), Some(test), Some(method)) =
            (spec.estimators.get(member_idx), folds.get(fold_idx), stack_method.get(member_idx))
        else {
            return Err(LearnError::InvalidOption(format!("{}: no fold {job}", spec.id)));
        };
        let mut in_test = vec![false; n_rows];
        test.iter().for_each(|&row| in_test[row] = true);
        let train: Vec<usize> = (0..n_rows).filter(|&row| !in_test[row]).collect();
        let y_train: Vec<f64> = train.iter().map(|&row| data.y[row]).collect();
        let fitted = member
            .fit_task(&data.x.take_rows(&train), &y_train, data.n_classes)
            .map_err(|error| member_error(spec, member_idx, &error))?;
        method
            .columns(&fitted, &data.x.take_rows(test), data.n_classes)
            .map_err(|error| member_error(spec, member_idx, &error))
    });
    let mut meta = Matrix::with_rows(n_rows);
    let mut cells = cells.into_iter();
    for method in stack_method {
        let mut columns = vec![vec![0.0; n_rows]; method.width(data.n_classes)];
        for test in folds {
            let fold_columns = cells.next().ok_or_else(|| LearnError::Shape("a fold's output is missing".into()))??;
            for (column, values) in columns.iter_mut().zip(fold_columns) {
                for (&row, value) in test.iter().zip(values) {
                    column[row] = value;
                }
            }
        }
        columns.into_iter().for_each(|column| meta.push_column(column));
    }
    if passthrough {
        data.x.columns.iter().for_each(|column| meta.push_column(column.clone()));
    }
    Ok(meta)
}

impl FittedStacking {
    /// The final estimator's input for `x`: every member's output, then `x`
    /// itself with `passthrough` (scikit-learn's `transform`).
    pub fn transform(&self, x: &Matrix) -> Result<Matrix, LearnError> {
        x.expect_width(self.n_features(), "StackingModel")?;
        let mut meta = Matrix::with_rows(x.n_rows);
        for (member, method) in self.members.iter().zip(&self.stack_method) {
            method.columns(member, x, self.n_classes)?.into_iter().for_each(|column| meta.push_column(column));
        }
        if self.passthrough {
            x.columns.iter().for_each(|column| meta.push_column(column.clone()));
        }
        Ok(meta)
    }
}

impl Fitted for FittedStacking {
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        self.final_estimator.predict(&self.transform(x)?)
    }

    fn n_features(&self) -> usize {
        self.members.first().map_or(0, FittedModel::n_features)
    }

    fn is_finite(&self) -> bool {
        self.members.iter().all(|member| member.as_fitted().is_finite()) && self.final_estimator.as_fitted().is_finite()
    }

    fn validate(&self) -> Result<(), String> {
        let width = validate_members(&self.members)?;
        if self.stack_method.len() != self.members.len() {
            return Err(format!(
                "stack_method has {} values for {} members",
                self.stack_method.len(),
                self.members.len()
            ));
        }
        match self.n_classes {
            0 if self.stack_method.iter().all(|method| *method == StackMethod::Predict) => {}
            0 => return Err("a regressor's members give only predict".to_string()),
            1 => return Err("n_classes is 1 (at least 2)".to_string()),
            n_classes => check_member_classes(&self.members, n_classes)?,
        }
        self.final_estimator.validate().map_err(|message| format!("final_estimator: {message}"))?;
        let expected = self.stack_method.iter().map(|method| method.width(self.n_classes)).sum::<usize>()
            + if self.passthrough { width } else { 0 };
        if self.final_estimator.n_features() != expected {
            return Err(format!(
                "final_estimator has n_features {} but the members give {expected}",
                self.final_estimator.n_features()
            ));
        }
        Ok(())
    }

    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        let meta = match self.transform(x) {
            Ok(meta) => meta,
            Err(error) => return self.final_estimator.has_probabilities().then_some(Err(error)),
        };
        self.final_estimator.predict_proba(&meta)
    }

    fn decision_function(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        let meta = match self.transform(x) {
            Ok(meta) => meta,
            Err(error) => return has_decision_function(&self.final_estimator).then_some(Err(error)),
        };
        self.final_estimator.decision_function(&meta)
    }
}
