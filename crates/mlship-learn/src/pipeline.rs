//! The pipeline: a `PipelineSpec` (options + model, never mutated) fits into a
//! `FittedPipeline` that records its input schema and every fitted step, in
//! PyCaret's order: imputation/encoding → trigonometry / interaction / ratio →
//! polynomial → binning → multicollinearity → normalize → PCA → model, with an
//! optional Yeo-Johnson transform of the target around the model. Batch
//! prediction, serving and cross-validation all call the same `predict`.

use crate::binning::FittedBinning;
use crate::encode::{fit_encoder, FittedEncoder, InputColumn};
use crate::features::{FittedGenerated, FittedPolynomial, Generated};
use crate::labels::LabelEncoding;
use crate::matrix::Matrix;
use crate::models::{FittedModel, ModelSpec};
use crate::options::SetupOptions;
use crate::pca::FittedPca;
use crate::predictions::{predict_matrix, Output, Predictions};
use crate::scale::FittedScaler;
use crate::select::FittedColumnDrop;
use crate::smote::smote;
use crate::target::FittedYeoJohnson;
use crate::task::Task;
use crate::LearnError;
use mlship_data::{ColumnKind, Table};
use serde::{Deserialize, Serialize};

/// What to train: the setup options and the model, as the artifact records them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineSpec {
    /// The preprocessing options.
    pub options: SetupOptions,
    /// The model and its parameters.
    pub model: ModelSpec,
}

/// One fitted preprocessing step between the encoder and the model, in PyCaret's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum FittedStep {
    /// Generated features (trigonometry, interaction, ratio).
    Generated(FittedGenerated),
    /// Polynomial features.
    Polynomial(FittedPolynomial),
    /// Binned numeric features.
    Binning(FittedBinning),
    /// Dropped multicollinear features.
    Multicollinearity(FittedColumnDrop),
    /// Scaled features.
    Normalize(FittedScaler),
    /// Principal components.
    Pca(FittedPca),
}

impl FittedStep {
    /// Applies the step to `x`; a matrix of another width is an error.
    pub fn transform(&self, mut x: Matrix) -> Result<Matrix, LearnError> {
        match self {
            FittedStep::Generated(step) => {
                // Names are not needed to transform; the fitted pipeline keeps them.
                let mut names = vec![String::new(); x.n_cols()];
                step.append(&mut x, &mut names)?;
                Ok(x)
            }
            FittedStep::Polynomial(step) => step.transform(x),
            FittedStep::Binning(step) => step.transform(x),
            FittedStep::Multicollinearity(step) => step.transform(x),
            FittedStep::Normalize(step) => step.transform(x),
            FittedStep::Pca(step) => step.transform(x),
        }
    }
}

/// Everything fitted, from input table to prediction: what an artifact stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPipeline {
    /// The name of the column it predicts.
    pub target: String,
    /// The input columns it expects.
    pub schema: Vec<InputColumn>,
    /// The fitted input stage.
    pub encoder: FittedEncoder,
    /// The fitted steps, in order.
    pub steps: Vec<FittedStep>,
    /// The model's input features, after every step.
    pub feature_names: Vec<String>,
    /// The fitted target transform, when `transform_target` was on.
    pub target_transform: Option<FittedYeoJohnson>,
    /// The fitted model.
    pub model: FittedModel,
    /// A classifier's label encoding: the sorted classes its codes stand
    /// for (absent for regression, and in artifacts made before classification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<LabelEncoding>,
    /// A binary classifier's `probability_threshold`, when one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability_threshold: Option<f64>,
}

/// A fitted pipeline and the warnings fitting it raised (constant columns, …).
pub struct PipelineFit {
    /// The fitted pipeline.
    pub pipeline: FittedPipeline,
    /// What fitting noticed and the user should know.
    pub warnings: Vec<String>,
}

/// The pipeline's steps before the model, fitted: what `compare` fits once
/// per fold and shares between every model.
#[derive(Debug, Clone)]
pub struct FittedPreprocessing {
    /// The input columns the encoder was fitted on.
    pub schema: Vec<InputColumn>,
    /// Imputation and encoding.
    pub encoder: FittedEncoder,
    /// Every later step, in order.
    pub steps: Vec<FittedStep>,
    /// The model's input features, after every step.
    pub feature_names: Vec<String>,
    /// The target transform, when `transform_target` is on.
    pub target_transform: Option<FittedYeoJohnson>,
    /// Warnings raised while fitting (constant columns, …).
    pub warnings: Vec<String>,
}

/// Preprocessing fitted on some rows, with those rows transformed: the
/// model's training matrix and (transformed) target.
pub struct PreparedData {
    /// The fitted steps.
    pub preprocessing: FittedPreprocessing,
    /// The training rows after every step.
    pub x: Matrix,
    /// The target the model sees (Yeo-Johnson transformed when asked).
    pub y_model: Vec<f64>,
}

/// imbalanced-learn's SMOTE default `k_neighbors`.
const SMOTE_K_NEIGHBORS: usize = 5;

/// Fits every step before the model on `table`, in PyCaret's order.
pub fn fit_preprocessing(
    options: &SetupOptions,
    table: &Table,
    kinds: &[ColumnKind],
    y: &[f64],
) -> Result<PreparedData, LearnError> {
    options.validate()?;
    let target_transform = options.transform_target.then(|| FittedYeoJohnson::fit(y));
    let y_model = match &target_transform {
        Some(transform) => transform.transform(y),
        None => y.to_vec(),
    };
    let encoded = fit_encoder(table, kinds, &y_model, options)?;
    let mut x = encoded.encoder.transform(table)?;
    let mut names = encoded.encoder.output_names();
    let numeric = encoded.encoder.numeric_output_indices();
    let mut steps = Vec::new();
    for (enabled, kind) in [
        (options.trigonometry_features, Generated::Trigonometry),
        (options.feature_interaction, Generated::Interaction),
        (options.feature_ratio, Generated::Ratio),
    ] {
        if enabled {
            let step = FittedGenerated { kind, n_inputs: x.n_cols(), numeric: numeric.clone() };
            step.append(&mut x, &mut names)?;
            steps.push(FittedStep::Generated(step));
        }
    }
    let mut push = |step: FittedStep, x: Matrix| -> Result<Matrix, LearnError> {
        let out = step.transform(x)?;
        steps.push(step);
        Ok(out)
    };
    if options.polynomial_features {
        let (step, out_names) = FittedPolynomial::fit(&x, &names, options.polynomial_degree);
        names = out_names;
        x = push(FittedStep::Polynomial(step), x)?;
    }
    if !options.bin_numeric_features.is_empty() {
        let indices = bin_column_indices(&options.bin_numeric_features, &encoded.schema, &names)?;
        x = push(FittedStep::Binning(FittedBinning::fit(&x, &indices)), x)?;
    }
    if options.remove_multicollinearity {
        let step = FittedColumnDrop::fit_multicollinearity(&x, &y_model, options.multicollinearity_threshold);
        names = step.kept_names(&names);
        x = push(FittedStep::Multicollinearity(step), x)?;
    }
    // PyCaret's `fix_imbalance` step sits here, after multicollinearity and
    // before normalize and PCA (which then fit on the resampled rows); it
    // resamples while fitting only, so no fitted step records it.
    let mut y_model = y_model;
    if options.fix_imbalance {
        let codes: Vec<usize> = y_model.iter().map(|&code| code as usize).collect();
        let n_classes = codes.iter().max().map_or(0, |&max| max + 1);
        let seed = options.session_id.unwrap_or(0);
        let (resampled, resampled_codes) = smote(&x, &codes, n_classes, SMOTE_K_NEIGHBORS, seed)?;
        x = resampled;
        y_model = resampled_codes.into_iter().map(|code| code as f64).collect();
    }
    if options.normalize {
        x = push(FittedStep::Normalize(FittedScaler::fit(&x, options.normalize_method)), x)?;
    }
    if options.pca {
        let step = FittedPca::fit(&x, options.pca_components)?;
        names = step.names();
        x = push(FittedStep::Pca(step), x)?;
    }
    let preprocessing = FittedPreprocessing {
        schema: encoded.schema,
        encoder: encoded.encoder,
        steps,
        feature_names: names,
        target_transform,
        warnings: encoded.warnings,
    };
    Ok(PreparedData { preprocessing, x, y_model })
}

impl FittedPreprocessing {
    /// The model's input matrix for a table holding the schema's columns.
    pub fn transform(&self, table: &Table) -> Result<Matrix, LearnError> {
        transform_steps(&self.encoder, &self.steps, table)
    }

    /// The whole pipeline: these steps, a fitted model and, for a
    /// classifier, its label encoding and probability threshold.
    pub fn with_model(
        self,
        target: &str,
        model: FittedModel,
        labels: Option<&LabelEncoding>,
        probability_threshold: Option<f64>,
    ) -> PipelineFit {
        let pipeline = FittedPipeline {
            target: target.to_string(),
            schema: self.schema,
            encoder: self.encoder,
            steps: self.steps,
            feature_names: self.feature_names,
            target_transform: self.target_transform,
            model,
            labels: labels.cloned(),
            probability_threshold,
        };
        PipelineFit { pipeline, warnings: self.warnings }
    }
}

fn transform_steps(encoder: &FittedEncoder, steps: &[FittedStep], table: &Table) -> Result<Matrix, LearnError> {
    let mut x = encoder.transform(table)?;
    for step in steps {
        x = step.transform(x)?;
    }
    Ok(x)
}

impl PipelineSpec {
    /// The task the spec learns (its model's).
    pub fn task(&self) -> Task {
        self.model.task
    }

    /// Fits the preprocessing, then the model on its output. A classifier's
    /// `y` holds class codes of `labels` (the whole target's encoding).
    pub fn fit(
        &self,
        table: &Table,
        kinds: &[ColumnKind],
        target: &str,
        y: &[f64],
        labels: Option<&LabelEncoding>,
    ) -> Result<PipelineFit, LearnError> {
        self.check_target(labels)?;
        let prepared = fit_preprocessing(&self.options, table, kinds, y)?;
        let model = fit_model(&self.model, &prepared.x, &prepared.y_model, labels)?;
        let threshold = self.options.probability_threshold;
        Ok(prepared.preprocessing.with_model(target, model, labels, threshold))
    }

    /// The target agrees with the model's task and the options with both.
    pub fn check_target(&self, labels: Option<&LabelEncoding>) -> Result<(), LearnError> {
        let target_task = if labels.is_some() { Task::Classification } else { Task::Regression };
        if target_task != self.task() {
            return Err(LearnError::InvalidOption(format!(
                "model \"{}\" is a {} model but the target is a {} target",
                self.model.id,
                self.task().as_str(),
                target_task.as_str()
            )));
        }
        self.options.validate_for(target_task)
    }
}

/// Fits the model on the preprocessed training rows (class codes of
/// `labels` for a classifier, with the whole target's class count): what
/// `train` and `compare` both call after the preprocessing.
pub fn fit_model(
    spec: &ModelSpec,
    x: &Matrix,
    y: &[f64],
    labels: Option<&LabelEncoding>,
) -> Result<FittedModel, LearnError> {
    spec.fit_task(x, y, labels.map_or(0, LabelEncoding::n_classes))
}

/// Where each `bin_numeric_features` column sits; it must be a numeric input.
fn bin_column_indices(
    requested: &[String],
    schema: &[InputColumn],
    names: &[String],
) -> Result<Vec<usize>, LearnError> {
    requested
        .iter()
        .map(|name| {
            let is_numeric_input = schema.iter().any(|c| c.name == *name && c.kind == ColumnKind::Numeric);
            let position = names.iter().position(|n| n == name);
            match (is_numeric_input, position) {
                (true, Some(idx)) => Ok(idx),
                _ => Err(LearnError::InvalidOption(format!(
                    "bin_numeric_features: \"{name}\" is not a numeric feature column"
                ))),
            }
        })
        .collect()
}

/// The widest row any step of a pipeline may make: a loaded pipeline whose
/// encoder, generated features, polynomial expansion or any later step would
/// exceed it is refused, so one request row costs at most this many values
/// (8 MB) per step however the file was edited.
pub const MAX_FEATURES: usize = 1_000_000;

impl FittedStep {
    /// The step's name in errors (its `step` tag in the file).
    fn name(&self) -> &'static str {
        match self {
            FittedStep::Generated(_) => "generated features",
            FittedStep::Polynomial(_) => "polynomial",
            FittedStep::Binning(_) => "binning",
            FittedStep::Multicollinearity(_) => "multicollinearity",
            FittedStep::Normalize(_) => "normalize",
            FittedStep::Pca(_) => "pca",
        }
    }

    /// Checks the step against the `width` it receives; its output width.
    fn validate(&self, width: usize) -> Result<usize, String> {
        match self {
            FittedStep::Generated(step) => step.validate(width),
            FittedStep::Polynomial(step) => step.validate(width, MAX_FEATURES),
            FittedStep::Binning(step) => step.validate(width),
            FittedStep::Multicollinearity(step) => step.validate(width),
            FittedStep::Normalize(step) => step.validate(width),
            FittedStep::Pca(step) => step.validate(width),
        }
    }
}

/// The model's `kind` tag (`kernel_ridge`), for errors: its variant's name in
/// snake case, so a family added later needs no line here (formats the whole
/// model: error path only).
pub(crate) fn model_kind(model: &FittedModel) -> String {
    let debug = format!("{model:?}");
    let variant = debug.split(['(', ' ', '{']).next().unwrap_or_default();
    let mut kind = String::new();
    for (index, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            kind.push('_');
        }
        kind.push(c.to_ascii_lowercase());
    }
    kind
}

impl FittedPipeline {
    /// Checks a pipeline read from a file before it is used: the encoder
    /// against the schema, each step's fitted width against the width the
    /// previous one gives, every index inside the width it indexes, every
    /// vector's length, every row at most `MAX_FEATURES` wide, the feature
    /// names and the model's `n_features` against the last width, and the
    /// model itself (`Fitted::validate`). The error names the step and field.
    pub fn validate(&self) -> Result<(), LearnError> {
        let invalid = |step: String, message: String| LearnError::InvalidPipeline { step, message };
        let too_wide = |width: usize| format!("a row would be {width} features wide (the limit is {MAX_FEATURES})");
        let mut width = self
            .encoder
            .validate(&self.schema)
            .map_err(|(field, message)| invalid("encoder".to_string(), format!("{field}: {message}")))?;
        if width == 0 || width > MAX_FEATURES {
            return Err(invalid("encoder".to_string(), too_wide(width)));
        }
        for (index, step) in self.steps.iter().enumerate() {
            let name = format!("step {} ({})", index + 1, step.name());
            width = step.validate(width).map_err(|message| invalid(name.clone(), message))?;
            if width == 0 || width > MAX_FEATURES {
                return Err(invalid(name, too_wide(width)));
            }
        }
        if self.feature_names.len() != width {
            let message = format!("{} names for {width} features", self.feature_names.len());
            return Err(invalid("feature_names".to_string(), message));
        }
        if let Some(transform) = &self.target_transform {
            transform.validate().map_err(|message| invalid("target_transform".to_string(), message))?;
        }
        if let Some(labels) = &self.labels {
            if labels.n_classes() < 2 {
                return Err(invalid("labels".to_string(), format!("{} classes (at least 2)", labels.n_classes())));
            }
            if self.target_transform.is_some() {
                return Err(invalid("labels".to_string(), "a classifier with a target transform".to_string()));
            }
        }
        if let Some(threshold) = self.probability_threshold {
            if !(threshold > 0.0 && threshold < 1.0) || self.labels.as_ref().is_none_or(|l| l.n_classes() != 2) {
                let message = format!("{threshold} (needs two classes and a value in (0, 1))");
                return Err(invalid("probability_threshold".to_string(), message));
            }
        }
        let model = || format!("model ({})", model_kind(&self.model));
        self.model.validate().map_err(|message| invalid(model(), message))?;
        if self.model.n_features() != width {
            let message = format!("n_features is {} but the last step gives {width} features", self.model.n_features());
            return Err(invalid(model(), message));
        }
        Ok(())
    }

    /// The model's input matrix for a table holding the schema's columns.
    pub fn transform(&self, table: &Table) -> Result<Matrix, LearnError> {
        transform_steps(&self.encoder, &self.steps, table)
    }

    /// The task the pipeline learnt: classification when it holds a label encoding.
    pub fn task(&self) -> Task {
        if self.labels.is_some() {
            Task::Classification
        } else {
            Task::Regression
        }
    }

    /// How the model's output becomes predictions.
    pub fn output(&self) -> Output<'_> {
        Output {
            labels: self.labels.as_ref(),
            probability_threshold: self.probability_threshold,
            target_transform: self.target_transform.as_ref(),
        }
    }

    /// Predicts every row of `table`: numbers in the target's original scale,
    /// or classes with their probabilities.
    pub fn predict(&self, table: &Table) -> Result<Predictions, LearnError> {
        let x = self.transform(table)?;
        predict_matrix(&self.model, &x, self.output())
    }
}
