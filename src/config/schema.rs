//! The raw schema of a model config: what serde reads, unknown keys rejected.

use serde::Deserialize;

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub data: RawData,
    #[serde(default)]
    pub layers: Vec<RawLayer>,
    pub readout: RawReadout,
    /// Required except for one-pass SGD (which sees fresh samples at every step).
    pub samples: Option<RawSamples>,
    pub simulation: Option<RawSimulation>,
    pub training: Option<RawTraining>,
}

/// `[training]`: how the readout is trained with a step (TRAINING.md).
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTraining {
    pub optimizer: String,
    /// A number, `{ edge = f }` or `{ kernel_norm = c }`.
    pub step: Option<toml::Value>,
    pub batch: Option<i64>,
    /// A count, `"optimal"` or `"infinite"`.
    pub steps: Option<toml::Value>,
    /// `"readout"` (default) or `"all"` (FEATURES.md).
    pub layers: Option<String>,
    pub richness: Option<f64>,
    pub centered: Option<bool>,
    pub datasets: Option<i64>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawData {
    /// An integer, or `"infinite"` (n0 = ∞, SCALING §1); taken from `source` when absent.
    pub dim: Option<toml::Value>,
    pub noise: Option<f64>,
    /// A dataset as the population: Σ0, the target and η² come from it.
    pub source: Option<RawSource>,
    pub covariance: Option<RawCovariance>,
    pub target: Option<RawTarget>,
}

#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCovariance {
    pub kind: String,
    pub exponent: Option<f64>,
    pub values: Option<Vec<f64>>,
    pub rho: Option<f64>,
    pub path: Option<String>,
    pub normalize: Option<bool>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTarget {
    pub kind: String,
    pub exponent: Option<f64>,
    pub path: Option<String>,
}

/// `[data] source = { features = "X.npy", labels = "y.npy", center = true }`.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSource {
    pub features: String,
    pub labels: String,
    pub center: Option<bool>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLayer {
    pub width: i64,
    pub covariance: Option<RawCovariance>,
    pub input_covariance: Option<RawCovariance>,
    pub activation: Option<toml::Value>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReadout {
    pub ridge: toml::Value,
    pub ensemble: Option<toml::Value>,
    pub time: Option<toml::Value>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSamples {
    pub values: Option<Vec<i64>>,
    pub range: Option<RawRange>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRange {
    pub from: f64,
    pub to: f64,
    pub points: i64,
    pub scale: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSimulation {
    pub trials: Option<i64>,
    pub seed: Option<i64>,
    pub scale: Option<f64>,
    pub test_samples: Option<i64>,
    pub inputs: Option<String>,
}
