//! `MLPRegressor` (PyCaret's `mlp`): scikit-learn's multi-layer perceptron
//! for regression with the `adam` solver, as `_multilayer_perceptron.py`
//! trains it: Glorot-uniform weights (`_init_coef`, bound √(6/(fan_in +
//! fan_out)), √(2/…) for the logistic), identity output, loss ½·mean squared
//! error + ½·alpha·||W||²/batch, mini-batches of `min(200, n)` rows in an
//! order re-shuffled every epoch, Adam's bias-corrected step, and the stop
//! after more than `n_iter_no_change` epochs whose mean loss improved by
//! less than `tol` (or `max_iter` epochs; PyCaret sets 500). The trainer
//! (`train`) takes the output activation and its loss as a parameter, so
//! `MLPClassifier` (`mlp_classifier`) shares it with a logistic or softmax
//! output and scikit-learn's (binary) log-loss.
//!
//! The random numbers are numpy's: `RandomState(random_state)` draws the
//! initial weights (`uniform`, layer by layer, weights then biases) and the
//! epoch shuffles (`shuffle` of `arange(n)` composed with the previous
//! order), so a seed starts from scikit-learn's weights and visits the rows
//! in scikit-learn's order; the trajectories then differ only by the
//! summation order of the matrix products (BLAS there, faer here), which
//! on the parity fixtures stays at rounding level after 500 epochs.
//!
//! Speed: the design is copied once to row-major; each mini-batch is
//! gathered into a row-major buffer, the three products per layer (forward,
//! weight gradient, back-propagated delta) are faer matrix products on
//! row-major views (SIMD with FMA where the CPU has it, chosen at run time),
//! the element-wise steps are branch-free loops, and every buffer is
//! allocated once per fit. About 5x less CPU than scikit-learn per fit on a
//! 1,070 × 10 design (measured on the development machine).

use crate::matrix::Matrix;
use crate::models::random::NumpyRandom;
use crate::models::{Fitted, FittedModel, ModelEntry, TrainingData};
use crate::params::{DefaultValue, ParamKind, ParamSpec, ParamValue, Params, ParamsExt};
use crate::task::Task;
use crate::LearnError;
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use serde::{Deserialize, Serialize};

/// The hidden layers' activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// f(x) = x.
    Identity,
    /// The logistic sigmoid, 1 / (1 + e^−x).
    Logistic,
    /// The hyperbolic tangent.
    Tanh,
    /// max(0, x).
    Relu,
}

impl Activation {
    fn apply(self, values: &mut [f64]) {
        match self {
            Activation::Identity => {}
            Activation::Logistic => values.iter_mut().for_each(|v| *v = 1.0 / (1.0 + (-*v).exp())),
            Activation::Tanh => values.iter_mut().for_each(|v| *v = v.tanh()),
            // np.maximum(v, 0) keeps a NaN; f64::max would not. A select,
            // not a branch, so that the loop vectorises.
            Activation::Relu => values.iter_mut().for_each(|v| *v = if *v < 0.0 { 0.0 } else { *v }),
        }
    }

    /// Multiplies `delta` by the derivative, from the activated values.
    fn backward(self, activated: &[f64], delta: &mut [f64]) {
        let pairs = delta.iter_mut().zip(activated);
        match self {
            Activation::Identity => {}
            Activation::Logistic => pairs.for_each(|(d, z)| *d = *d * z * (1.0 - z)),
            Activation::Tanh => pairs.for_each(|(d, z)| *d *= 1.0 - z * z),
            Activation::Relu => pairs.for_each(|(d, z)| *d = if *z == 0.0 { 0.0 } else { *d }),
        }
    }
}

/// The output layer's activation: identity for the regressor; for
/// `MLPClassifier` the logistic with one output (two classes) and the
/// softmax otherwise, each paired with its log-loss as scikit-learn pairs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Output {
    /// f(x) = x, squared loss.
    Identity,
    /// The logistic sigmoid, binary log-loss.
    Logistic,
    /// The row softmax, log-loss.
    Softmax,
}

impl Output {
    fn apply(self, values: &mut [f64], width: usize) {
        match self {
            Output::Identity => {}
            Output::Logistic => Activation::Logistic.apply(values),
            // scikit-learn's `softmax`: minus the row's max, exp, over the sum.
            Output::Softmax => {
                for row in values.chunks_exact_mut(width) {
                    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    row.iter_mut().for_each(|v| *v = (*v - max).exp());
                    let sum: f64 = row.iter().sum();
                    row.iter_mut().for_each(|v| *v /= sum);
                }
            }
        }
    }

    /// The data term of the loss, as `_base.py`'s `squared_loss`, `log_loss`
    /// and `binary_log_loss` compute it (probabilities clipped to
    /// [eps, 1 − eps]); the penalty is added by the caller.
    fn loss(self, predicted: &[f64], target: &[f64], rows: usize) -> f64 {
        let n = rows as f64;
        let clip = |p: f64| p.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
        let pairs = predicted.iter().zip(target);
        match self {
            Output::Identity => 0.5 * pairs.map(|(o, t)| (t - o) * (t - o)).sum::<f64>() / n,
            Output::Logistic => {
                let (mut ones, mut zeros) = (0.0, 0.0);
                for (p, t) in pairs {
                    let p = clip(*p);
                    if *t > 0.0 {
                        ones += t * p.ln();
                    }
                    if *t < 1.0 {
                        zeros += (1.0 - t) * (1.0 - p).ln();
                    }
                }
                -(ones + zeros) / n
            }
            Output::Softmax => -pairs.filter(|(_, t)| **t > 0.0).map(|(p, t)| t * clip(*p).ln()).sum::<f64>() / n,
        }
    }
}

/// One dense layer: `weights` is fan_in × fan_out, row-major (scikit-learn's
/// `coefs_[i]`), `bias` its `intercepts_[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// Inputs to the layer.
    pub n_in: usize,
    /// Outputs of the layer.
    pub n_out: usize,
    /// `n_in × n_out` weights, row-major.
    pub weights: Vec<f64>,
    /// One bias per output.
    pub bias: Vec<f64>,
}

impl Layer {
    fn weights_ref(&self) -> MatRef<'_, f64> {
        MatRef::from_row_major_slice(&self.weights, self.n_in, self.n_out)
    }
}

/// A fitted network: hidden layers with `activation`, an identity output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedMlp {
    /// The hidden layers' activation.
    pub activation: Activation,
    /// The layers, input side first; the last is the output layer.
    pub layers: Vec<Layer>,
}

/// `out` (rows × n_out) = `input` (rows × n_in) · W + b.
fn forward_layer(layer: &Layer, input: &[f64], rows: usize, out: &mut [f64]) {
    for out_row in out.chunks_exact_mut(layer.n_out) {
        out_row.copy_from_slice(&layer.bias);
    }
    matmul(
        MatMut::from_row_major_slice_mut(out, rows, layer.n_out),
        Accum::Add,
        MatRef::from_row_major_slice(input, rows, layer.n_in),
        layer.weights_ref(),
        1.0,
        Par::Seq,
    );
}

/// The network's output for `rows` rows of `input`, through `scratch`
/// (one buffer per layer, each at least rows × its width).
pub(crate) fn forward(
    activation: Activation,
    output: Output,
    layers: &[Layer],
    input: &[f64],
    rows: usize,
    scratch: &mut [Vec<f64>],
) {
    for (i, layer) in layers.iter().enumerate() {
        let (before, after) = scratch.split_at_mut(i);
        let source: &[f64] = if i == 0 { input } else { &before[i - 1] };
        let target = &mut after[0][..rows * layer.n_out];
        forward_layer(layer, &source[..rows * layer.n_in], rows, target);
        if i + 1 < layers.len() {
            activation.apply(target);
        } else {
            output.apply(target, layer.n_out);
        }
    }
}

/// The network's outputs for every row of `x`, row-major (rows × the last
/// layer's width), computed in blocks.
pub(crate) fn forward_rows(activation: Activation, output: Output, layers: &[Layer], x: &Matrix) -> Vec<f64> {
    const BLOCK: usize = 256;
    let n_features = layers.first().map_or(0, |l| l.n_in);
    let width = layers.last().map_or(0, |l| l.n_out);
    let mut input = vec![0.0; BLOCK * n_features];
    let mut scratch: Vec<Vec<f64>> = layers.iter().map(|l| vec![0.0; BLOCK * l.n_out]).collect();
    let mut outputs = Vec::with_capacity(x.n_rows * width);
    for start in (0..x.n_rows).step_by(BLOCK) {
        let rows = BLOCK.min(x.n_rows - start);
        for (j, column) in x.columns.iter().enumerate() {
            for r in 0..rows {
                input[r * n_features + j] = column[start + r];
            }
        }
        forward(activation, output, layers, &input, rows, &mut scratch);
        if let Some(last) = scratch.last() {
            outputs.extend_from_slice(&last[..rows * width]);
        }
    }
    outputs
}

impl FittedMlp {
    /// The layers chain into one output and each holds fan_in × fan_out
    /// weights (a loaded artifact is data, not trusted).
    fn check_shapes(&self) -> Result<(), LearnError> {
        let chained = self.layers.windows(2).all(|pair| pair[0].n_out == pair[1].n_in);
        let sized = self.layers.iter().all(|l| l.weights.len() == l.n_in * l.n_out && l.bias.len() == l.n_out);
        if chained && sized && self.layers.last().is_some_and(|l| l.n_out == 1) {
            Ok(())
        } else {
            Err(LearnError::Shape("the MLPRegressor's layers do not fit together (a damaged model?)".to_string()))
        }
    }
}

impl Fitted for FittedMlp {
    fn n_features(&self) -> usize {
        self.layers.first().map_or(0, |layer| layer.n_in)
    }

    fn is_finite(&self) -> bool {
        self.layers.iter().all(|l| l.weights.iter().chain(&l.bias).all(|v| v.is_finite()))
    }

    fn validate(&self) -> Result<(), String> {
        use super::validate::{finite, length, product};
        if self.layers.is_empty() || self.n_features() == 0 {
            return Err("layers is empty or takes no features".to_string());
        }
        for (index, layer) in self.layers.iter().enumerate() {
            let field = format!("layers[{index}]");
            let weights = product(&format!("{field}.weights"), layer.n_in, layer.n_out)?;
            length(&format!("{field}.weights"), layer.weights.len(), weights)?;
            length(&format!("{field}.bias"), layer.bias.len(), layer.n_out)?;
            finite(&format!("{field}.weights"), &layer.weights)?;
            finite(&format!("{field}.bias"), &layer.bias)?;
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
        match self.layers.last() {
            Some(last) if last.n_out == 1 => Ok(()),
            _ => Err("the last layer must have one output".to_string()),
        }
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, LearnError> {
        x.expect_width(self.n_features(), "MLPRegressor")?;
        self.check_shapes()?;
        Ok(forward_rows(self.activation, Output::Identity, &self.layers, x))
    }
}

/// scikit-learn's `MLPRegressor(solver="adam")` / `MLPClassifier` parameters.
#[derive(Debug, Clone)]
pub struct Mlp {
    /// Neurons in each hidden layer, input side first.
    pub hidden_layer_sizes: Vec<usize>,
    /// The hidden layers' activation.
    pub activation: Activation,
    /// The L2 penalty.
    pub alpha: f64,
    /// `None`: "auto", min(200, n).
    pub batch_size: Option<usize>,
    /// Adam's step size.
    pub learning_rate_init: f64,
    /// The most epochs to run.
    pub max_iter: usize,
    /// Shuffle the rows before each epoch.
    pub shuffle: bool,
    /// The loss improvement below which an epoch counts as no progress.
    pub tol: f64,
    /// Epochs without progress before stopping.
    pub n_iter_no_change: usize,
    /// Adam's decay rate for the first moment.
    pub beta_1: f64,
    /// Adam's decay rate for the second moment.
    pub beta_2: f64,
    /// Adam's numerical-stability constant.
    pub epsilon: f64,
    /// The seed for the initial weights and the shuffles.
    pub seed: u32,
}

/// `_init_coef` for every layer, in scikit-learn's draw order.
pub(crate) fn initial_layers(units: &[usize], activation: Activation, rng: &mut NumpyRandom) -> Vec<Layer> {
    let factor = if activation == Activation::Logistic { 2.0 } else { 6.0 };
    units
        .windows(2)
        .map(|pair| {
            let (n_in, n_out) = (pair[0], pair[1]);
            let bound = (factor / (n_in + n_out) as f64).sqrt();
            let weights = (0..n_in * n_out).map(|_| rng.uniform(-bound, bound)).collect();
            let bias = (0..n_out).map(|_| rng.uniform(-bound, bound)).collect();
            Layer { n_in, n_out, weights, bias }
        })
        .collect()
}

/// Adam's moments, one pair of buffers per layer's weights and biases.
struct Adam {
    first: Vec<(Vec<f64>, Vec<f64>)>,
    second: Vec<(Vec<f64>, Vec<f64>)>,
    t: i32,
}

fn adam_update(param: &mut [f64], grad: &[f64], m: &mut [f64], v: &mut [f64], config: &Mlp, rate: f64) {
    for (((p, g), m), v) in param.iter_mut().zip(grad).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m = config.beta_1 * *m + (1.0 - config.beta_1) * g;
        *v = config.beta_2 * *v + (1.0 - config.beta_2) * (g * g);
        *p += -rate * *m / (v.sqrt() + config.epsilon);
    }
}

impl Adam {
    fn new(layers: &[Layer]) -> Self {
        let zeros = |l: &Layer| (vec![0.0; l.weights.len()], vec![0.0; l.bias.len()]);
        Adam { first: layers.iter().map(zeros).collect(), second: layers.iter().map(zeros).collect(), t: 0 }
    }

    fn step(&mut self, layers: &mut [Layer], grads: &[(Vec<f64>, Vec<f64>)], config: &Mlp) {
        self.t += 1;
        let t = f64::from(self.t);
        let rate = config.learning_rate_init * (1.0 - config.beta_2.powf(t)).sqrt() / (1.0 - config.beta_1.powf(t));
        for (i, layer) in layers.iter_mut().enumerate() {
            let ((m_w, m_b), (v_w, v_b)) = (&mut self.first[i], &mut self.second[i]);
            adam_update(&mut layer.weights, &grads[i].0, m_w, v_w, config, rate);
            adam_update(&mut layer.bias, &grads[i].1, m_b, v_b, config, rate);
        }
    }
}

/// Every buffer one mini-batch needs, allocated once.
struct Workspace {
    input: Vec<f64>,
    target: Vec<f64>,
    activations: Vec<Vec<f64>>,
    deltas: Vec<Vec<f64>>,
    grads: Vec<(Vec<f64>, Vec<f64>)>,
}

impl Workspace {
    fn new(layers: &[Layer], batch: usize) -> Self {
        let n_out = layers.last().map_or(0, |l| l.n_out);
        Workspace {
            input: vec![0.0; batch * layers[0].n_in],
            target: vec![0.0; batch * n_out],
            activations: layers.iter().map(|l| vec![0.0; batch * l.n_out]).collect(),
            deltas: layers.iter().map(|l| vec![0.0; batch * l.n_out]).collect(),
            grads: layers.iter().map(|l| (vec![0.0; l.weights.len()], vec![0.0; l.bias.len()])).collect(),
        }
    }
}

/// `_compute_loss_grad`: (inputᵀ·delta + alpha·W)/rows and Σdelta/rows.
fn layer_gradient(
    layer: &Layer,
    input: &[f64],
    delta: &[f64],
    rows: usize,
    alpha: f64,
    grad: &mut (Vec<f64>, Vec<f64>),
) {
    let (grad_w, grad_b) = grad;
    matmul(
        MatMut::from_row_major_slice_mut(grad_w, layer.n_in, layer.n_out),
        Accum::Replace,
        MatRef::from_row_major_slice(input, rows, layer.n_in).transpose(),
        MatRef::from_row_major_slice(delta, rows, layer.n_out),
        1.0,
        Par::Seq,
    );
    grad_b.iter_mut().for_each(|g| *g = 0.0);
    for delta_row in delta.chunks_exact(layer.n_out) {
        grad_b.iter_mut().zip(delta_row).for_each(|(g, d)| *g += d);
    }
    let scale = rows as f64;
    grad_w.iter_mut().zip(&layer.weights).for_each(|(g, w)| *g = (*g + alpha * w) / scale);
    grad_b.iter_mut().for_each(|g| *g /= scale);
}

/// `previous` (rows × n_in) = `delta` (rows × n_out) · Wᵀ.
fn back_propagate(layer: &Layer, delta: &[f64], rows: usize, previous: &mut [f64]) {
    matmul(
        MatMut::from_row_major_slice_mut(previous, rows, layer.n_in),
        Accum::Replace,
        MatRef::from_row_major_slice(delta, rows, layer.n_out),
        layer.weights_ref().transpose(),
        1.0,
        Par::Seq,
    );
}

/// `_backprop` on the batch in `work.input`/`work.target`: fills the
/// gradients and returns the batch loss.
fn backprop(
    layers: &[Layer],
    (activation, output_activation): (Activation, Output),
    alpha: f64,
    rows: usize,
    work: &mut Workspace,
) -> f64 {
    forward(activation, output_activation, layers, &work.input, rows, &mut work.activations);
    let last = layers.len() - 1;
    let width = layers[last].n_out;
    let output = &work.activations[last][..rows * width];
    let target = &work.target[..rows * width];
    let penalty: f64 = layers.iter().map(|l| l.weights.iter().map(|w| w * w).sum::<f64>()).sum();
    let loss = output_activation.loss(output, target, rows) + 0.5 * alpha * penalty / rows as f64;
    // Every output pairs with its loss so that the output delta is o − t.
    for ((delta, o), t) in work.deltas[last].iter_mut().zip(output).zip(target) {
        *delta = o - t;
    }
    for i in (0..=last).rev() {
        let input: &[f64] = if i == 0 { &work.input } else { &work.activations[i - 1] };
        let (n_in, n_out) = (layers[i].n_in, layers[i].n_out);
        let delta = &work.deltas[i][..rows * n_out];
        layer_gradient(&layers[i], &input[..rows * n_in], delta, rows, alpha, &mut work.grads[i]);
        if i > 0 {
            let (before, after) = work.deltas.split_at_mut(i);
            back_propagate(&layers[i], &after[0][..rows * n_out], rows, &mut before[i - 1][..rows * n_in]);
            let width = layers[i].n_in;
            activation.backward(&work.activations[i - 1][..rows * width], &mut before[i - 1][..rows * width]);
        }
    }
    loss
}

/// Trains the network; a divergent fit is an error, as scikit-learn raises.
pub fn mlp(x: &Matrix, y: &[f64], config: &Mlp) -> Result<FittedMlp, LearnError> {
    let layers = train(x, y, 1, Output::Identity, config, "MLPRegressor")?;
    let fitted = FittedMlp { activation: config.activation, layers };
    if !fitted.is_finite() {
        return Err(LearnError::Numerical {
            step: "MLPRegressor".to_string(),
            message: "the solver produced non-finite weights (scaling the features or the target may help)".to_string(),
        });
    }
    Ok(fitted)
}

/// `_fit_stochastic` with Adam: the layers trained on `targets` (row-major,
/// `n_out` per row) through the `output` activation and its loss.
pub(crate) fn train(
    x: &Matrix,
    targets: &[f64],
    n_out: usize,
    output: Output,
    config: &Mlp,
    class: &str,
) -> Result<Vec<Layer>, LearnError> {
    let (n_rows, n_features) = (x.n_rows, x.n_cols());
    if n_rows == 0 {
        return Err(LearnError::TooFewRows(format!("{class} needs at least 1 row, got 0")));
    }
    let mut units = vec![n_features];
    units.extend(&config.hidden_layer_sizes);
    units.push(n_out);
    let mut rng = NumpyRandom::new(config.seed);
    let mut layers = initial_layers(&units, config.activation, &mut rng);
    let batch = config.batch_size.unwrap_or(200).clamp(1, n_rows);
    let mut rows_major = vec![0.0; n_rows * n_features];
    for (j, column) in x.columns.iter().enumerate() {
        for (i, v) in column.iter().enumerate() {
            rows_major[i * n_features + j] = *v;
        }
    }
    let mut work = Workspace::new(&layers, batch);
    let mut adam = Adam::new(&layers);
    let mut order: Vec<usize> = (0..n_rows).collect();
    let (mut best_loss, mut no_improvement) = (f64::INFINITY, 0usize);
    for _ in 0..config.max_iter {
        if config.shuffle {
            let permutation = rng.permutation(n_rows);
            order = permutation.iter().map(|&i| order[i]).collect();
        }
        let mut accumulated = 0.0;
        for start in (0..n_rows).step_by(batch) {
            let rows = batch.min(n_rows - start);
            for (r, &sample) in order[start..start + rows].iter().enumerate() {
                let source = &rows_major[sample * n_features..(sample + 1) * n_features];
                work.input[r * n_features..(r + 1) * n_features].copy_from_slice(source);
                work.target[r * n_out..(r + 1) * n_out].copy_from_slice(&targets[sample * n_out..(sample + 1) * n_out]);
            }
            let activations = (config.activation, output);
            accumulated += backprop(&layers, activations, config.alpha, rows, &mut work) * rows as f64;
            adam.step(&mut layers, &work.grads, config);
        }
        let loss = accumulated / n_rows as f64;
        no_improvement = if loss > best_loss - config.tol { no_improvement + 1 } else { 0 };
        best_loss = best_loss.min(loss);
        if no_improvement > config.n_iter_no_change {
            break;
        }
    }
    Ok(layers)
}

pub(crate) fn activation_param(params: &Params) -> Result<Activation, LearnError> {
    Ok(match params.value("activation")? {
        ParamValue::Str(name) if name == "identity" => Activation::Identity,
        ParamValue::Str(name) if name == "logistic" => Activation::Logistic,
        ParamValue::Str(name) if name == "tanh" => Activation::Tanh,
        _ => Activation::Relu,
    })
}

/// The declared parameters as the trainer's configuration.
pub(crate) fn config(params: &Params) -> Result<Mlp, LearnError> {
    let hidden_layer_sizes = match params.value("hidden_layer_sizes")? {
        ParamValue::IntList(sizes) => sizes.iter().map(|&s| s.max(1) as usize).collect(),
        other => {
            return Err(LearnError::InvalidOption(format!("parameter \"hidden_layer_sizes\": {other} is not a list")))
        }
    };
    let batch_size = match params.value("batch_size")? {
        ParamValue::Str(_) => None,
        _ => Some(params.usize("batch_size")?),
    };
    Ok(Mlp {
        hidden_layer_sizes,
        activation: activation_param(params)?,
        alpha: params.float("alpha")?,
        batch_size,
        learning_rate_init: params.float("learning_rate_init")?,
        max_iter: params.usize("max_iter")?,
        shuffle: params.bool("shuffle")?,
        tol: params.float("tol")?,
        n_iter_no_change: params.usize("n_iter_no_change")?,
        beta_1: params.float("beta_1")?,
        beta_2: params.float("beta_2")?,
        epsilon: params.float("epsilon")?,
        seed: params.seed("random_state")?,
    })
}

fn fit_mlp(params: &Params, data: &TrainingData<'_>) -> Result<FittedModel, LearnError> {
    mlp(data.x, data.y, &config(params)?).map(FittedModel::Mlp)
}

/// [0, 1): Adam's decay rates.
const DECAY: ParamKind = ParamKind::Float { min: 0.0, max: 1.0 - f64::EPSILON / 2.0, open_min: false };

/// PyCaret's `mlp` (`max_iter=500`, as PyCaret creates it).
pub const MODELS: &[ModelEntry] = &[ModelEntry {
    id: "mlp",
    name: "MLP Regressor",
    class: "sklearn.neural_network.MLPRegressor",
    family: "neural_network",
    task: Task::Regression,
    turbo: false,
    randomised: true,
    params: PARAMS,
    fit: fit_mlp,
}];

/// The parameters `MLPRegressor` and `MLPClassifier` share (PyCaret sets
/// `max_iter=500` for both).
pub(crate) const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "hidden_layer_sizes",
        kinds: &[ParamKind::IntList { min: 1 }],
        default: DefaultValue::IntList(&[100]),
        help: "neurons of each hidden layer",
    },
    ParamSpec {
        name: "activation",
        kinds: &[ParamKind::Choice(&["relu", "identity", "logistic", "tanh"])],
        default: DefaultValue::Str("relu"),
        help: "the hidden layers' activation",
    },
    ParamSpec {
        name: "solver",
        kinds: &[ParamKind::Choice(&["adam"])],
        default: DefaultValue::Str("adam"),
        help: "the optimiser (adam only)",
    },
    ParamSpec {
        name: "learning_rate",
        kinds: &[ParamKind::Choice(&["constant", "invscaling", "adaptive"])],
        default: DefaultValue::Str("constant"),
        help:
            "the step-size schedule of the sgd solver; adam ignores it, as in scikit-learn (PyCaret's grid searches it)",
    },
    ParamSpec {
        name: "alpha",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(1e-4),
        help: "L2 penalty",
    },
    ParamSpec {
        name: "batch_size",
        kinds: &[ParamKind::Choice(&["auto"]), ParamKind::COUNT],
        default: DefaultValue::Str("auto"),
        help: "rows per mini-batch (auto: min(200, rows))",
    },
    ParamSpec {
        name: "learning_rate_init",
        kinds: &[ParamKind::POSITIVE],
        default: DefaultValue::Float(1e-3),
        help: "Adam's step size",
    },
    ParamSpec { name: "max_iter", kinds: &[ParamKind::COUNT], default: DefaultValue::Int(500), help: "epochs at most" },
    ParamSpec {
        name: "shuffle",
        kinds: &[ParamKind::Bool],
        default: DefaultValue::Bool(true),
        help: "shuffle the rows every epoch",
    },
    ParamSpec {
        name: "random_state",
        kinds: &[ParamKind::SEED],
        default: DefaultValue::Seed,
        help: "seed of the initial weights and the shuffles",
    },
    ParamSpec {
        name: "tol",
        kinds: &[ParamKind::NON_NEGATIVE],
        default: DefaultValue::Float(1e-4),
        help: "improvement of the mean loss that counts as progress",
    },
    ParamSpec { name: "beta_1", kinds: &[DECAY], default: DefaultValue::Float(0.9), help: "Adam's first-moment decay" },
    ParamSpec {
        name: "beta_2",
        kinds: &[DECAY],
        default: DefaultValue::Float(0.999),
        help: "Adam's second-moment decay",
    },
    ParamSpec {
        name: "epsilon",
        kinds: &[ParamKind::POSITIVE],
        default: DefaultValue::Float(1e-8),
        help: "Adam's numerical-stability term",
    },
    ParamSpec {
        name: "n_iter_no_change",
        kinds: &[ParamKind::COUNT],
        default: DefaultValue::Int(10),
        help: "epochs without progress before stopping",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_weights_are_scikit_learns() {
        // MLPRegressor._init_coef(2, 3) with RandomState(0).
        let layers = initial_layers(&[2, 3, 1], Activation::Relu, &mut NumpyRandom::new(0));
        let weights = [
            0.10694502884745116,
            0.47145628038967113,
            0.22514327663930378,
            0.09833412712013101,
            -0.16726395423736085,
            0.319637986935267,
        ];
        assert_eq!(layers[0].weights, weights);
        assert_eq!(layers[0].bias, [-0.13673956907291074, 0.8583316397993366, 1.0158342120061161]);
    }

    #[test]
    fn a_damaged_model_or_a_nan_input_is_not_a_panic() {
        let layer = |n_in, n_out, len| Layer { n_in, n_out, weights: vec![0.5; len], bias: vec![0.0; n_out] };
        let model = FittedMlp { activation: Activation::Relu, layers: vec![layer(2, 3, 6), layer(3, 1, 3)] };
        let x = Matrix { n_rows: 2, columns: vec![vec![1.0, f64::NAN], vec![2.0, 0.0]] };
        let predictions = model.predict(&x).unwrap();
        assert_eq!(predictions[0], 1.5 * 3.0 * 0.5);
        assert!(predictions[1].is_nan());
        let damaged = FittedMlp { activation: Activation::Relu, layers: vec![layer(2, 3, 5), layer(3, 1, 3)] };
        assert!(damaged.predict(&x).unwrap_err().to_string().contains("damaged"));
        let unchained = FittedMlp { activation: Activation::Relu, layers: vec![layer(2, 3, 6), layer(4, 1, 4)] };
        assert!(unchained.predict(&x).is_err());
    }

    #[test]
    fn a_design_without_features_still_fits() {
        let spec = crate::models::ModelSpec::with_defaults(Task::Regression, "mlp", 0).unwrap();
        let x = Matrix { n_rows: 4, columns: Vec::new() };
        let predictions = spec.fit(&x, &[1.0, 2.0, 3.0, 4.0]).unwrap().predict(&x).unwrap();
        assert!(predictions.iter().all(|p| p.is_finite()), "{predictions:?}");
    }
}
