//! `blend`: scikit-learn 1.9's `VotingRegressor` (the weighted mean of the
//! members' predictions, `np.average`) and `VotingClassifier` (soft: the
//! weighted mean of their probabilities, then the first most probable class;
//! hard: the weighted majority of their predicted classes, ties to the
//! lowest class as `np.argmax(np.bincount(…))` breaks them).

use super::{check_member_classes, fit_members, validate_members, word, FittedModel, ModelSpec, TrainingData};
use crate::matrix::Matrix;
use crate::models::Fitted;
use crate::numpy::argmax;
use crate::params::{ParamValue, Params};
use crate::LearnError;
use serde::{Deserialize, Serialize};

/// How the members' outputs are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VotingMethod {
    /// Regression: the (weighted) mean of the predictions.
    Mean,
    /// The (weighted) mean of the class probabilities.
    Soft,
    /// The (weighted) majority of the predicted classes; no probabilities.
    Hard,
}

/// Fitted members and how they vote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedVoting {
    /// The members, each fitted on every training row.
    pub members: Vec<FittedModel>,
    /// One weight per member; `None` weighs them equally.
    pub weights: Option<Vec<f64>>,
    /// How they are combined.
    pub method: VotingMethod,
    /// The classes of the whole target (0 for regression).
    pub n_classes: usize,
}

pub(super) fn fit(
    spec: &ModelSpec,
    params: &Params,
    data: &TrainingData<'_>,
    n_threads: usize,
) -> Result<FittedVoting, LearnError> {
    let weights = match params.get("weights") {
        Some(ParamValue::FloatList(weights)) => Some(weights.clone()),
        _ => None,
    };
    let requested = if data.n_classes == 0 { "mean" } else { word(params, "method")? };
    let members = fit_members(spec, data, n_threads)?;
    let method = match requested {
        "mean" => VotingMethod::Mean,
        "hard" => VotingMethod::Hard,
        soft_or_auto => {
            // PyCaret's blend_models: "auto" is soft when every member has
            // probabilities, else hard; "soft" with a member without them is an error.
            match members.iter().position(|member| !member.has_probabilities()) {
                None => VotingMethod::Soft,
                Some(_) if soft_or_auto == "auto" => VotingMethod::Hard,
                Some(index) => {
                    let id = spec.estimators.get(index).map_or("?", |member| member.id.as_str());
                    return Err(LearnError::InvalidOption(format!(
                        "blend: method \"soft\" needs probabilities but model {} (\"{id}\") has none: use \
                         method \"hard\" or \"auto\", or leave it out",
                        index + 1
                    )));
                }
            }
        }
    };
    Ok(FittedVoting { members, weights, method, n_classes: data.n_classes })
}

impl FittedVoting {
    /// `np.average` over the members of one value per member: the weighted
    /// sum over the weights' sum, or the plain mean.
    fn average(&self, values: impl Iterator<Item = f64>) -> f64 {
        match &self.weights {
            Some(weights) => {
                let total: f64 = weights.iter().sum();
                values.zip(weights).map(|(value, weight)| value * weight).sum::<f64>() / total
            }
            None => {
                let (sum, count) = values.fold((0.0, 0usize), |(sum, count), value| (sum + value, count + 1));
                sum / count as f64
            }
        }
    }

    fn member_outputs(
        &self,
        output: impl Fn(&FittedModel) -> Option<Result<Vec<f64>, LearnError>>,
        what: &str,
    ) -> Result<Vec<Vec<f64>>, LearnError> {
        self.members
            .iter()
            .enumerate()
            .map(|(index, member)| {
                output(member).unwrap_or_else(|| {
                    Err(LearnError::InvalidOption(format!("blend: model {} has no {what}", index + 1)))
                })
            })
            .collect()
    }

    fn soft_probabilities(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let outputs = self.member_outputs(|member| member.predict_proba(x), "predict_proba")?;
        let expected = x.n_rows * self.n_classes;
        if let Some(index) = outputs.iter().position(|probabilities| probabilities.len() != expected) {
            return Err(LearnError::Shape(format!(
                "blend: model {} gave {} probabilities for {} rows of {} classes",
                index + 1,
                outputs.get(index).map_or(0, Vec::len),
                x.n_rows,
                self.n_classes
            )));
        }
        Ok((0..expected).map(|cell| self.average(outputs.iter().map(|member| member[cell]))).collect())
    }

    fn hard_votes(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        let outputs = self.member_outputs(|member| Some(member.predict(x)), "predict")?;
        let mut predictions = Vec::with_capacity(x.n_rows);
        let mut counts = vec![0.0; self.n_classes];
        for row in 0..x.n_rows {
            counts.iter_mut().for_each(|count| *count = 0.0);
            for (index, member) in outputs.iter().enumerate() {
                let code = member.get(row).copied().unwrap_or(f64::NAN);
                let class = code as usize;
                if !(code >= 0.0 && code.fract() == 0.0 && class < self.n_classes) {
                    return Err(LearnError::Shape(format!(
                        "blend: model {} predicted class code {code} of {} classes",
                        index + 1,
                        self.n_classes
                    )));
                }
                counts[class] += self.weights.as_ref().and_then(|weights| weights.get(index)).copied().unwrap_or(1.0);
            }
            predictions.push(argmax(&counts) as f64);
        }
        Ok(predictions)
    }
}

impl Fitted for FittedVoting {
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features(), "VotingRegressor")?;
        match self.method {
            VotingMethod::Mean => {
                let outputs = self.member_outputs(|member| Some(member.predict(x)), "predict")?;
                Ok((0..x.n_rows)
                    .map(|row| self.average(outputs.iter().map(|member| member.get(row).copied().unwrap_or(f64::NAN))))
                    .collect())
            }
            VotingMethod::Soft => {
                let probabilities = self.soft_probabilities(x)?;
                Ok(probabilities.chunks(self.n_classes.max(1)).map(|row| argmax(row) as f64).collect())
            }
            VotingMethod::Hard => self.hard_votes(x),
        }
    }

    fn n_features(&self) -> usize {
        self.members.first().map_or(0, FittedModel::n_features)
    }

    fn is_finite(&self) -> bool {
        self.members.iter().all(|member| member.as_fitted().is_finite())
            && self.weights.iter().flatten().all(|weight| weight.is_finite())
    }

    fn validate(&self) -> Result<(), String> {
        validate_members(&self.members)?;
        if let Some(weights) = &self.weights {
            if weights.len() != self.members.len() {
                return Err(format!("weights has {} values for {} members", weights.len(), self.members.len()));
            }
            if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || weights.iter().all(|w| *w == 0.0) {
                return Err("weights must be finite, >= 0 and not all zero".to_string());
            }
        }
        match (self.method, self.n_classes) {
            (VotingMethod::Mean, 0) => Ok(()),
            (VotingMethod::Soft | VotingMethod::Hard, n_classes) if n_classes >= 2 => {
                check_member_classes(&self.members, n_classes)?;
                if self.method == VotingMethod::Soft && !self.members.iter().all(FittedModel::has_probabilities) {
                    return Err("soft voting with a member without probabilities".to_string());
                }
                Ok(())
            }
            (method, n_classes) => Err(format!("method {method:?} with {n_classes} classes")),
        }
    }

    fn predict_proba(&self, x: &Matrix) -> Option<Result<Vec<f64>, LearnError>> {
        (self.method == VotingMethod::Soft).then(|| {
            x.expect_width(self.n_features(), "VotingClassifier")?;
            self.soft_probabilities(x)
        })
    }
}
