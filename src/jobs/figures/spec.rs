//! The figure vocabulary: what a resolved figure config is made of. Every series is a validated
//! [`Config`] (the base model with the panel's and the series' `set` overrides applied),
//! every sweep an [`Axis`] that applies an x value to a config, every y a [`Measure`].
//! Every point a figure will compute (all x, all y, all series, every minimisation grid
//! value) is checked by [`super::resolve`], so a bad value fails before anything is computed
//! or written.

use crate::config::{self};
use crate::spec::rules;
use crate::spec::text::truncate;
use crate::spec::{Config, Ensemble, ExponentOf, Invalid, Result, Ridge, Simulation};
use std::path::{Path, PathBuf};

/// A column of the theory (or of the simulation) a figure plots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    Error,
    Bias,
    Variance,
    TrainError,
    TestMse,
    /// The local exponent −∂ln E_g/∂ln p (SCALING §3), theory only.
    ExponentSamples,
    /// The j-th eigenvalue m_j of M = Γ^{1/2}Σ0Γ^{1/2} (descending), on an `index` axis.
    Eigenvalue,
    /// The task power m_j c_j² along it (Σ_j m_j c_j² = 1), on an `index` axis.
    TaskPower,
    /// E_g of gradient flow at the time t = ηk of gradient descent's k steps, on a `steps`
    /// axis (the flow a descent approaches as η → 0).
    FlowError,
    /// The compute-optimal readout width N* of one-pass SGD, on a `compute` axis.
    Width,
    /// Every layer trained: the largest sharpness s = ηλ_max(Σ̂^{1/2}𝒦Σ̂^{1/2}) so far over
    /// the training sets (the edge of stability is s = 2), on a `steps` axis.
    Sharpness,
    /// An uncentred network with every layer trained: the infinite-width E_g plus the lazy
    /// extra error of its initial function at the config's width (FEATURES §10).
    UncentredError,
    /// Every layer trained: N·⟨|β_N − β_∞|²⟩ of networks of width N at `[training] steps`
    /// (flat in N: the 1/N law), markers only, on a `network_width` axis.
    Deviation,
    /// Every layer trained: E_g at each training set's best step k ≤ `[training] steps`,
    /// averaged over the sets (early stopping with an oracle), on a `samples` axis.
    EarlyStopped,
}

impl Quantity {
    pub(super) fn parse(s: &str) -> std::result::Result<Self, Invalid> {
        Ok(match s {
            "error" => Quantity::Error,
            "bias" => Quantity::Bias,
            "variance" => Quantity::Variance,
            "train_error" => Quantity::TrainError,
            "test_mse" => Quantity::TestMse,
            "exponent_samples" => Quantity::ExponentSamples,
            "eigenvalue" => Quantity::Eigenvalue,
            "task_power" => Quantity::TaskPower,
            "flow_error" => Quantity::FlowError,
            "width" => Quantity::Width,
            "sharpness" => Quantity::Sharpness,
            "early_stopped" => Quantity::EarlyStopped,
            "deviation" => Quantity::Deviation,
            "uncentred_error" => Quantity::UncentredError,
            other => {
                return Err(Invalid(format!(
                    "unknown quantity \"{}\"; expected error, bias, variance, train_error, test_mse, exponent_samples, eigenvalue, task_power, flow_error, width, sharpness, early_stopped, deviation or uncentred_error",
                    truncate(other, 40)
                )))
            }
        })
    }

    /// Axis label with the usual symbols.
    pub fn label(self) -> &'static str {
        match self {
            Quantity::Error => "generalisation error E_g",
            Quantity::Bias => "bias",
            Quantity::Variance => "variance",
            Quantity::TrainError => "training error E_tr",
            Quantity::TestMse => "test MSE E_g + η²",
            Quantity::ExponentSamples => "local exponent −∂ln E_g/∂ln p",
            Quantity::Eigenvalue => "eigenvalue m_j",
            Quantity::TaskPower => "task power m_j c_j²",
            Quantity::FlowError => "E_g of gradient flow at t = ηk",
            Quantity::Width => "compute-optimal width N*",
            Quantity::Sharpness => "sharpness s (edge of stability at 2)",
            Quantity::EarlyStopped => "E_g at each training set's best step",
            Quantity::Deviation => "N·⟨|β_N − β_∞|²⟩ (networks)",
            Quantity::UncentredError => "E_g of the uncentred network (theory + lazy ΔE_g)",
        }
    }

    /// Short symbol, for derived labels.
    pub fn symbol(self) -> &'static str {
        match self {
            Quantity::Error => "E_g",
            Quantity::Bias => "bias",
            Quantity::Variance => "variance",
            Quantity::TrainError => "E_tr",
            Quantity::TestMse => "E_g + η²",
            Quantity::ExponentSamples => "−∂ln E_g/∂ln p",
            Quantity::Eigenvalue => "m_j",
            Quantity::TaskPower => "m_j c_j²",
            Quantity::FlowError => "E_g(t = ηk)",
            Quantity::Width => "N*",
            Quantity::Sharpness => "s",
            Quantity::EarlyStopped => "min_k E_g",
            Quantity::Deviation => "N·⟨|δβ|²⟩",
            Quantity::UncentredError => "E_g + ΔE_g",
        }
    }
}

/// What a minimisation over a parameter reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    /// The minimising parameter value (e.g. the optimal exponent s*).
    Argmin,
    /// The minimal value of the quantity.
    Min,
    /// The minimum divided by the quantity at the reference parameter value.
    Gain,
}

/// `minimise quantity over a parameter`: a grid scan refined by Brent's method.
#[derive(Clone, Debug, PartialEq)]
pub struct Optimum {
    pub quantity: Quantity,
    /// The parameter minimised over, applied like a sweep axis.
    pub over: Axis,
    /// The scan grid (ascending); the minimum is refined between its neighbours.
    pub grid: Vec<f64>,
    pub show: Show,
    /// The parameter value `Show::Gain` compares against.
    pub reference: f64,
}

/// The y value (or heat-map colour) of a series.
#[derive(Clone, Debug, PartialEq)]
pub enum Measure {
    Plain(Quantity),
    Optimum(Optimum),
}

impl Measure {
    /// Axis or colour-bar label.
    pub fn label(&self) -> String {
        match self {
            Measure::Plain(q) => q.label().to_string(),
            Measure::Optimum(o) => match o.show {
                Show::Argmin => format!("optimal {}", o.over.symbol()),
                Show::Min => format!("min over {} of {}", o.over.symbol(), o.quantity.symbol()),
                Show::Gain => format!(
                    "{0}(optimal {1}) / {0}({1} = {2})",
                    o.quantity.symbol(),
                    o.over.symbol(),
                    crate::support::output::num(o.reference)
                ),
            },
        }
    }

    /// Whether the natural colour scale is logarithmic (errors) or linear (parameters, ratios).
    pub(crate) fn log_colors(&self) -> bool {
        matches!(self, Measure::Plain(_) | Measure::Optimum(Optimum { show: Show::Min, .. }))
    }
}

/// What a sweep varies.
#[derive(Clone, Debug, PartialEq)]
pub enum Axis {
    /// α = p/n0 (sample sizes p = round(α n0)).
    Alpha,
    /// The sample size p itself (rounded to an integer): the axis of n0 = ∞.
    Samples,
    /// The budget C = p·n₁ of the frontier (SCALING §5): each x is the best split (theory
    /// only, measure `error`).
    Budget,
    /// The compute f = k·B·N of one-pass SGD's compute-optimal frontier (TRAINING B9):
    /// each x is the best width and step count (theory only, measures `error`, `width`).
    Compute,
    /// The index j of the data spectrum (measures `eigenvalue`, `task_power`).
    Index,
    /// The training time t of gradient flow (`readout.time`, DYNAMICS.md).
    Time,
    /// The step count k of gradient descent or one-pass SGD (`training.steps`, TRAINING.md).
    Steps,
    /// The step as a fraction of the stability edge (`training.step = { edge = x }`).
    StepEdge,
    /// The one width N of every hidden layer of a network with every layer trained.
    NetworkWidth,
    /// The richness γ0 of a network with every layer trained.
    Richness,
    /// The ridge λ (at the model's single sample size).
    Ridge,
    /// ν_ℓ = n_ℓ/n0 of hidden layer ℓ (1-based).
    Width { layer: usize },
    /// The label-noise variance η².
    Noise,
    /// The exponent of a covariance or of the target.
    Exponent(ExponentOf),
    /// The ensemble size K (`readout.ensemble`); with a budget, hidden layer `layer` gets
    /// width `round(units · n0 / K)`, so that K members share `units · n0` hidden units.
    Ensemble { budget: Option<WidthBudget> },
}

/// A fixed number of hidden units in one layer, shared by the members of an ensemble.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WidthBudget {
    /// The hidden layer (1-based).
    pub layer: usize,
    /// K · n_ℓ / n0.
    pub units: f64,
}

/// Unicode subscript digits.
pub(crate) fn sub(n: usize) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or('?'))
        .collect()
}

impl Axis {
    /// Axis label with the usual symbols.
    pub fn label(&self) -> String {
        match self {
            Axis::Alpha => "α = p/n₀".into(),
            Axis::Samples => "sample size p".into(),
            Axis::Budget => "budget C = p·n₁".into(),
            Axis::Compute => "compute f = steps × batch × width".into(),
            Axis::Index => "index j (descending eigenvalues of M)".into(),
            Axis::Time => "training time t (gradient flow)".into(),
            Axis::Steps => "steps k".into(),
            Axis::StepEdge => "step η as a fraction of the stability edge η_c".into(),
            Axis::NetworkWidth => "network width N".into(),
            Axis::Richness => "richness γ0".into(),
            Axis::Ridge => "ridge λ".into(),
            Axis::Width { layer } => format!("ν{} = n{}/n₀", sub(*layer), sub(*layer)),
            Axis::Noise => "label-noise variance η²".into(),
            Axis::Exponent(_) => format!("exponent {}", self.symbol()),
            Axis::Ensemble { budget: None } => "ensemble size K".into(),
            Axis::Ensemble { budget: Some(b) } => {
                format!("ensemble size K (K·n{} = {}·n₀)", sub(b.layer), crate::support::output::num(b.units))
            }
        }
    }

    /// The parameter's symbol.
    pub fn symbol(&self) -> String {
        match self {
            Axis::Alpha => "α".into(),
            Axis::Samples => "p".into(),
            Axis::Budget => "C".into(),
            Axis::Compute => "f".into(),
            Axis::Index => "j".into(),
            Axis::Time => "t".into(),
            Axis::Steps => "k".into(),
            Axis::StepEdge => "η/η_c".into(),
            Axis::NetworkWidth => "N".into(),
            Axis::Richness => "γ0".into(),
            Axis::Ridge => "λ".into(),
            Axis::Width { layer } => format!("ν{}", sub(*layer)),
            Axis::Noise => "η²".into(),
            Axis::Exponent(ExponentOf::Data) => "of Σ₀".into(),
            Axis::Exponent(ExponentOf::Input) => "s of Γ".into(),
            Axis::Exponent(ExponentOf::Target) => "of the target".into(),
            Axis::Exponent(ExponentOf::Layer(l)) => format!("of S{}", sub(*l)),
            Axis::Ensemble { .. } => "K".into(),
        }
    }

    /// Sets the axis value `x` in a config, through the config's setters (their rules and
    /// messages). `Err` says why `x` is not allowed there.
    pub fn apply(&self, cfg: &mut Config, x: f64) -> std::result::Result<(), Invalid> {
        if !x.is_finite() {
            return Err(Invalid(format!("expected a finite value, got {x}")));
        }
        match self {
            Axis::Alpha => cfg.set_alphas(&[x]),
            Axis::Samples => cfg.set_samples(vec![rules::sample_size(x.round() as i64)?]),
            // A budget is split by the frontier, not set in the model: C ≥ 4·MIN_SIZE.
            Axis::Budget => {
                crate::jobs::scaling::budgets(x, x, 1).map(|_| ()).map_err(|e| Invalid(e.to_string()))
            }
            Axis::Compute if x >= 1.0 => Ok(()),
            Axis::Compute => Err(Invalid(format!("expected a compute f ≥ 1, got {x}"))),
            // An index reads the spectrum; it changes nothing in the model.
            Axis::Index if x >= 1.0 => Ok(()),
            Axis::Index => Err(Invalid(format!("expected an index j ≥ 1, got {x}"))),
            Axis::Time => cfg.set_time(crate::spec::Time::finite(x)?),
            Axis::Steps => cfg.set_steps(crate::spec::Steps::count(x.round() as i64)?),
            Axis::StepEdge => cfg.set_step(crate::spec::Step::edge(x)?),
            Axis::NetworkWidth => cfg.set_network_width(rules::size(x.round() as i64)?),
            Axis::Richness => cfg.set_richness(x),
            Axis::Ridge => {
                cfg.set_ridge(Ridge::Fixed(x)).map_err(|_| Invalid(format!("expected λ ≥ 0, got {x}")))
            }
            Axis::Noise => cfg.set_noise(x),
            Axis::Width { layer } => cfg.set_width_ratio(*layer, x),
            Axis::Ensemble { budget } => {
                cfg.set_ensemble(Some(Ensemble::Members(rules::ensemble_size(x)?)))?;
                match budget {
                    Some(b) => cfg.set_width_ratio(b.layer, b.units / x),
                    None => Ok(()),
                }
            }
            Axis::Exponent(of) => cfg.set_exponent(*of, x),
        }
    }

    /// The x coordinate a value is plotted at (widths are rounded to integers).
    pub(crate) fn plotted(&self, cfg: &Config, x: f64) -> f64 {
        match self {
            Axis::Width { layer } => cfg.model().layers()[layer - 1].width as f64 / cfg.model().dim() as f64,
            _ => x,
        }
    }

    /// Values of this axis that must be positive (`Some(true)`), non-negative
    /// (`Some(false)`), or anything finite (`None`).
    pub(super) fn sign(&self) -> Option<bool> {
        match self {
            Axis::Alpha
            | Axis::Samples
            | Axis::Budget
            | Axis::Compute
            | Axis::Index
            | Axis::Time
            | Axis::StepEdge
            | Axis::NetworkWidth
            | Axis::Richness
            | Axis::Width { .. }
            | Axis::Ensemble { .. } => Some(true),
            Axis::Ridge | Axis::Noise | Axis::Steps => Some(false),
            Axis::Exponent(_) => None,
        }
    }
}

/// A resolved sweep: axis, x values of the theory line and of the simulation markers.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub axis: Axis,
    pub values: Vec<f64>,
    pub simulate: Vec<f64>,
}

/// A reference line drawn on a panel.
#[derive(Clone, Debug, PartialEq)]
pub enum Guide {
    Vertical {
        x: f64,
        label: Option<String>,
    },
    Horizontal {
        y: f64,
        label: Option<String>,
    },
    /// The line y = x.
    Diagonal {
        label: Option<String>,
    },
    /// The power law y ∝ x^power through the point of the panel's series `series` (0-based)
    /// nearest to x = `at` (its last point when `None`): a predicted law beside the curve
    /// that should follow it.
    Power {
        power: f64,
        series: usize,
        at: Option<f64>,
        label: Option<String>,
    },
}

/// One series: a label, what it measures and its validated model.
#[derive(Clone, Debug)]
pub struct SeriesSpec {
    pub label: String,
    pub measure: Measure,
    /// Draw the theory line dashed (e.g. a reference curve).
    pub dashed: bool,
    /// Simulation markers at the sweep's `simulate` values (`markers = false`: theory only).
    pub markers: bool,
    /// Palette index (0-based) of the series' colour; `None`: its position in the panel.
    pub color: Option<usize>,
    /// The base model with the panel's and the series' overrides applied.
    pub config: Config,
    /// Where the series comes from, for error messages (`panels[0].series[2] "η² = 0.5"`).
    pub context: String,
}

/// Colours of a heat map: a range (automatic when `None`) on a log or linear scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Colors {
    /// In the measure's units (not log₁₀), `low < high`.
    pub range: Option<(f64, f64)>,
    pub log: bool,
}

/// One panel of a figure.
#[derive(Clone, Debug)]
pub struct PanelSpec {
    pub title: Option<String>,
    pub sweep: Sweep,
    /// Heat maps: the y sweep (theory only).
    pub sweep_y: Option<Sweep>,
    pub series: Vec<SeriesSpec>,
    pub log_x: bool,
    pub log_y: bool,
    /// Tick positions of the x axis (`None`: automatic).
    pub x_ticks: Option<Vec<f64>>,
    pub y_range: Option<(f64, f64)>,
    pub guides: Vec<Guide>,
    pub colors: Colors,
    /// The panel shows where the theory fails, on purpose (`shows_failure = true`): its
    /// markers are reported apart from the figure's agreement.
    pub shows_failure: bool,
}

/// Kind of figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FigureKind {
    Curves,
    Heatmap,
}

/// A resolved figure config.
#[derive(Clone, Debug)]
pub struct FigureSpec {
    pub path: PathBuf,
    /// Output file stem (the config's file stem).
    pub name: String,
    pub title: String,
    pub kind: FigureKind,
    pub caption: Option<String>,
    pub panels: Vec<PanelSpec>,
    pub panel_size: (u32, u32),
    pub simulation: Simulation,
}

/// Whether a TOML file is a figure config (has a `[figure]` table).
pub(crate) fn is_figure(path: &Path) -> Result<bool> {
    let (_, table) = config::read_table(path)?;
    Ok(table.contains_key("figure"))
}

/// The config of one point: the series' model with the heat map's y value, the
/// minimisation parameter and the x value applied (in that order). `x = None` leaves the
/// sample sizes alone (they are set for a whole α sweep at once).
pub(crate) fn point_config(
    series: &SeriesSpec,
    x_axis: &Axis,
    x: Option<f64>,
    y: Option<(&Axis, f64)>,
    over: Option<(&Axis, f64)>,
) -> std::result::Result<Config, Invalid> {
    let mut cfg = series.config.clone();
    if let Some((axis, v)) = y {
        axis.apply(&mut cfg, v).map_err(|m| m.context(format!("y = {v}")))?;
    }
    if let Some((axis, v)) = over {
        axis.apply(&mut cfg, v).map_err(|m| m.context(format!("minimising over {v}")))?;
    }
    if let Some(x) = x {
        x_axis.apply(&mut cfg, x).map_err(|m| m.context(format!("x = {x}")))?;
    }
    Ok(cfg)
}

/// A config with the sample sizes of an α sweep (deduplicated, in order).
pub(crate) fn with_alphas(cfg: &Config, alphas: &[f64]) -> std::result::Result<Config, Invalid> {
    let mut cfg = cfg.clone();
    cfg.set_alphas(alphas)?;
    Ok(cfg)
}
