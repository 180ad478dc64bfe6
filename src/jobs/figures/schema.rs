//! What serde reads from a figure config, before any validation: the `[figure]`,
//! `[sweep]`, `[sweep_y]`, `[[series]]` and `[[panels]]` tables. Unknown keys are errors.

use crate::config::RawRange;
use serde::Deserialize;

/// Top-level keys of a figure config that are not part of the model schema.
pub(crate) const FIGURE_KEYS: [&str; 5] = ["figure", "sweep", "sweep_y", "series", "panels"];
/// Top-level keys of the model schema.
pub(crate) const MODEL_KEYS: [&str; 6] = ["data", "layers", "readout", "training", "samples", "simulation"];

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFigure {
    pub title: String,
    pub kind: Option<String>,
    pub y: Option<toml::Value>,
    pub log_x: Option<bool>,
    pub log_y: Option<bool>,
    pub x_ticks: Option<Vec<f64>>,
    pub y_range: Option<[f64; 2]>,
    pub color_range: Option<[f64; 2]>,
    pub color_scale: Option<String>,
    pub caption: Option<String>,
    pub guides: Option<Vec<RawGuide>>,
    pub panel_width: Option<i64>,
    pub panel_height: Option<i64>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGuide {
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub diagonal: Option<bool>,
    pub power: Option<f64>,
    pub series: Option<i64>,
    pub at: Option<f64>,
    pub label: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSweep {
    pub axis: String,
    pub layer: Option<i64>,
    pub width_budget: Option<f64>,
    pub covariance: Option<String>,
    pub values: Option<Vec<f64>>,
    pub range: Option<RawRange>,
    pub simulate: Option<RawPoints>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPoints {
    pub values: Option<Vec<f64>>,
    pub range: Option<RawRange>,
}

/// `y = { minimise = "error", over = { axis = …, values/range }, show = "argmin" }`.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOptimum {
    pub minimise: String,
    pub over: RawSweep,
    pub show: Option<String>,
    pub reference: Option<f64>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSeries {
    pub label: String,
    pub y: Option<toml::Value>,
    pub dashed: Option<bool>,
    pub markers: Option<bool>,
    pub color: Option<i64>,
    pub set: Option<toml::Table>,
}

#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPanel {
    pub title: Option<String>,
    pub set: Option<toml::Table>,
    pub sweep: Option<RawSweep>,
    pub sweep_y: Option<RawSweep>,
    pub series: Option<Vec<RawSeries>>,
    pub y: Option<toml::Value>,
    pub log_x: Option<bool>,
    pub log_y: Option<bool>,
    pub x_ticks: Option<Vec<f64>>,
    pub y_range: Option<[f64; 2]>,
    pub color_range: Option<[f64; 2]>,
    pub color_scale: Option<String>,
    pub guides: Option<Vec<RawGuide>>,
    pub shows_failure: Option<bool>,
}
