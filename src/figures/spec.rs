//! Figure configurations: a base model (the usual `[data]`, `[[layers]]`, `[readout]`,
//! `[samples]` sections) plus `[figure]`, `[sweep]` (the x axis), optional `[sweep_y]`
//! (heat maps), `[[series]]` and `[[panels]]`. Series and panels override parameters of the
//! base model through `set` tables whose keys are dotted paths (`"data.noise"`,
//! `"layers[0].input_covariance"`, `"readout.ridge"`); a table value is merged into the
//! base, except a covariance table with a `kind`, which replaces it whole.

use crate::config::{self, Config, RawConfig, Validator};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Keys of a figure config that are not part of the model schema.
const FIGURE_KEYS: [&str; 5] = ["figure", "sweep", "sweep_y", "series", "panels"];

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct RawFigure {
    title: String,
    kind: Option<String>,
    y: Option<String>,
    log_x: Option<bool>,
    log_y: Option<bool>,
    y_range: Option<[f64; 2]>,
    color_range: Option<[f64; 2]>,
    caption: Option<String>,
    guides: Option<Vec<RawGuide>>,
    panel_width: Option<i64>,
    panel_height: Option<i64>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct RawGuide {
    x: Option<f64>,
    y: Option<f64>,
    diagonal: Option<bool>,
    label: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    axis: String,
    layer: Option<i64>,
    covariance: Option<String>,
    values: Option<Vec<f64>>,
    range: Option<config::RawRange>,
    simulate: Option<RawPoints>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct RawPoints {
    values: Option<Vec<f64>>,
    range: Option<config::RawRange>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct RawSeries {
    label: String,
    y: Option<String>,
    set: Option<toml::Table>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct RawPanel {
    title: Option<String>,
    set: Option<toml::Table>,
    sweep: Option<RawSweep>,
    sweep_y: Option<RawSweep>,
    series: Option<Vec<RawSeries>>,
    y: Option<String>,
    log_x: Option<bool>,
    log_y: Option<bool>,
    y_range: Option<[f64; 2]>,
    guides: Option<Vec<RawGuide>>,
}

/// The quantity on the y axis (or the colour of a heat map).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    Error,
    Bias,
    Variance,
    TrainError,
    TestMse,
}

impl Quantity {
    fn parse(v: &Validator<'_>, key: &str, s: &str) -> Result<Self> {
        Ok(match s {
            "error" => Quantity::Error,
            "bias" => Quantity::Bias,
            "variance" => Quantity::Variance,
            "train_error" => Quantity::TrainError,
            "test_mse" => Quantity::TestMse,
            other => {
                return Err(v.err(
                    key,
                    format!(
                    "unknown quantity \"{other}\"; expected error, bias, variance, train_error or test_mse"
                ),
                ))
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
        }
    }
}

/// What a sweep varies.
#[derive(Clone, Debug, PartialEq)]
pub enum Axis {
    /// α = p/n0 (sample sizes p = round(α n0)).
    Alpha,
    /// The ridge λ (at the model's single sample size).
    Ridge,
    /// ν_ℓ = n_ℓ/n0 of hidden layer ℓ (1-based).
    Width { layer: usize },
    /// The label-noise variance η².
    Noise,
    /// The exponent of a covariance or of the target; `key` is its dotted path.
    Exponent { key: String, name: String },
}

impl Axis {
    /// Axis label with the usual symbols.
    pub fn label(&self) -> String {
        match self {
            Axis::Alpha => "α = p/n₀".into(),
            Axis::Ridge => "ridge λ".into(),
            Axis::Width { layer } => format!("ν{} = n{}/n₀", sub(*layer), sub(*layer)),
            Axis::Noise => "label-noise variance η²".into(),
            Axis::Exponent { name, .. } => format!("exponent of {name}"),
        }
    }
}

/// Unicode subscript digits.
pub fn sub(n: usize) -> String {
    n.to_string().chars().map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap()).unwrap()).collect()
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
}

/// One series: a label, a quantity and the base model with its overrides applied.
#[derive(Clone, Debug)]
pub struct SeriesSpec {
    pub label: String,
    pub quantity: Quantity,
    /// The model table with panel and series overrides applied (figure keys removed).
    pub table: toml::Table,
    /// Where the series comes from, for error messages (`panels[0].series[2] "η² = 0.5"`).
    pub context: String,
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
    pub y_range: Option<(f64, f64)>,
    pub guides: Vec<Guide>,
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
    /// Log₁₀ colour range of a heat map (automatic when `None`).
    pub color_range: Option<(f64, f64)>,
    pub panel_size: (u32, u32),
    pub simulation: config::SimulationSpec,
}

/// Whether a TOML file is a figure config (has a `[figure]` table).
pub fn is_figure(path: &Path) -> Result<bool> {
    let (_, table) = config::read_table(path)?;
    Ok(table.contains_key("figure"))
}

impl FigureSpec {
    /// Loads and validates a figure config, including every series' model.
    pub fn load(path: &Path) -> Result<FigureSpec> {
        let (file, table) = config::read_table(path)?;
        let v = Validator { file: &file, base: path.parent().unwrap_or(Path::new(".")).to_path_buf() };
        const MODEL_KEYS: [&str; 5] = ["data", "layers", "readout", "samples", "simulation"];
        if let Some(k) =
            table.keys().find(|k| !MODEL_KEYS.contains(&k.as_str()) && !FIGURE_KEYS.contains(&k.as_str()))
        {
            let all: Vec<String> = MODEL_KEYS.iter().chain(&FIGURE_KEYS).map(|k| format!("`{k}`")).collect();
            return Err(v.err(k.clone(), format!("unknown key `{k}`, expected one of {}", all.join(", "))));
        }
        let get = |k: &str| table.get(k).cloned();
        let figure: RawFigure = match get("figure") {
            Some(t) => config::from_value(&file, "figure", t)?,
            None => return Err(v.err("figure", "missing [figure] table: this is not a figure config")),
        };
        let kind = match figure.kind.as_deref().unwrap_or("curves") {
            "curves" => FigureKind::Curves,
            "heatmap" => FigureKind::Heatmap,
            other => {
                return Err(
                    v.err("figure.kind", format!("expected \"curves\" or \"heatmap\", got \"{other}\""))
                )
            }
        };
        let sweep: Option<RawSweep> =
            get("sweep").map(|t| config::from_value(&file, "sweep", t)).transpose()?;
        let sweep_y: Option<RawSweep> =
            get("sweep_y").map(|t| config::from_value(&file, "sweep_y", t)).transpose()?;
        let series: Option<Vec<RawSeries>> =
            get("series").map(|t| config::from_value(&file, "series", t)).transpose()?;
        let panels: Option<Vec<RawPanel>> =
            get("panels").map(|t| config::from_value(&file, "panels", t)).transpose()?;
        let mut base = table.clone();
        for k in FIGURE_KEYS {
            base.remove(k);
        }
        let raw_sim: Option<config::RawSimulation> = base
            .get("simulation")
            .cloned()
            .map(|t| config::from_value(&file, "simulation", t))
            .transpose()?;
        let simulation = v.simulation(raw_sim.as_ref())?;
        let default_panel = RawPanel {
            title: None,
            set: None,
            sweep: None,
            sweep_y: None,
            series: None,
            y: None,
            log_x: None,
            log_y: None,
            y_range: None,
            guides: None,
        };
        let raw_panels = panels.unwrap_or_else(|| vec![default_panel]);
        if raw_panels.is_empty() {
            return Err(v.err("panels", "expected at least one panel"));
        }
        let mut out = Vec::new();
        for (pi, rp) in raw_panels.iter().enumerate() {
            let pkey = if table.contains_key("panels") { format!("panels[{pi}]") } else { String::new() };
            let sk = |k: &str| {
                if pkey.is_empty() {
                    k.to_string()
                } else {
                    format!("{pkey}.{k}")
                }
            };
            let rs = rp
                .sweep
                .as_ref()
                .or(sweep.as_ref())
                .ok_or_else(|| v.err(sk("sweep"), "missing [sweep] (the x axis)"))?;
            let sweep_key = if rp.sweep.is_some() { sk("sweep") } else { "sweep".into() };
            let sw = resolve_sweep(&v, &sweep_key, rs)?;
            let sw_y = match (kind, rp.sweep_y.as_ref().or(sweep_y.as_ref())) {
                (FigureKind::Heatmap, Some(r)) => Some(resolve_sweep(&v, &sk("sweep_y"), r)?),
                (FigureKind::Heatmap, None) => {
                    return Err(v.err("sweep_y", "a heat map needs [sweep_y] (the y axis)"))
                }
                (FigureKind::Curves, Some(_)) => {
                    return Err(v.err("sweep_y", "only heat maps (figure.kind = \"heatmap\") have a y sweep"))
                }
                (FigureKind::Curves, None) => None,
            };
            if kind == FigureKind::Heatmap && sw.axis != Axis::Alpha {
                return Err(v.err(sweep_key.clone(), "a heat map's x axis must be \"alpha\""));
            }
            let y_name = rp.y.as_deref().or(figure.y.as_deref()).unwrap_or("error");
            let default_quantity = Quantity::parse(&v, &sk("y"), y_name)?;
            let mut panel_table = base.clone();
            if let Some(set) = &rp.set {
                apply_overrides(&v, &sk("set"), &mut panel_table, set)?;
            }
            let raw_series = rp.series.as_ref().or(series.as_ref());
            let series_key = if rp.series.is_some() { sk("series") } else { "series".into() };
            let mut specs = Vec::new();
            let single = [RawSeries { label: String::new(), y: None, set: None }];
            let list: &[RawSeries] = match raw_series {
                Some(s) if !s.is_empty() => s,
                Some(_) => return Err(v.err(series_key, "expected at least one series")),
                None => &single,
            };
            if kind == FigureKind::Heatmap && list.len() > 1 {
                return Err(v.err(series_key, "a heat map shows one series per panel"));
            }
            for (si, s) in list.iter().enumerate() {
                let key = format!("{series_key}[{si}]");
                let mut t = panel_table.clone();
                if let Some(set) = &s.set {
                    apply_overrides(&v, &format!("{key}.set"), &mut t, set)?;
                }
                let quantity = match &s.y {
                    Some(y) => Quantity::parse(&v, &format!("{key}.y"), y)?,
                    None => default_quantity,
                };
                let context = if s.label.is_empty() { key.clone() } else { format!("{key} \"{}\"", s.label) };
                let spec = SeriesSpec { label: s.label.clone(), quantity, table: t, context };
                // Validate now: the model at the first x value of every sweep.
                let first = sw.values[0];
                let mut check = spec.table.clone();
                if let Some(y) = &sw_y {
                    set_axis(&v, &spec.context, &mut check, &y.axis, y.values[0])?;
                }
                series_config(&v, path, &spec, &sw.axis, &[first], &check)?;
                specs.push(spec);
            }
            let mut guides = Vec::new();
            for (gi, g) in rp.guides.as_ref().or(figure.guides.as_ref()).into_iter().flatten().enumerate() {
                let gk = format!(
                    "{}[{gi}]",
                    if rp.guides.is_some() { sk("guides") } else { "figure.guides".into() }
                );
                guides.push(match (g.x, g.y, g.diagonal.unwrap_or(false)) {
                    (Some(x), None, false) => {
                        Guide::Vertical { x: v.finite(&format!("{gk}.x"), x)?, label: g.label.clone() }
                    }
                    (None, Some(y), false) => {
                        Guide::Horizontal { y: v.finite(&format!("{gk}.y"), y)?, label: g.label.clone() }
                    }
                    (None, None, true) => Guide::Diagonal { label: g.label.clone() },
                    _ => return Err(v.err(gk, "a guide is exactly one of x = …, y = … or diagonal = true")),
                });
            }
            let y_range = match rp.y_range.or(figure.y_range) {
                Some([lo, hi]) => {
                    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                        return Err(v.err(
                            sk("y_range"),
                            format!("expected [low, high] with low < high, got [{lo}, {hi}]"),
                        ));
                    }
                    Some((lo, hi))
                }
                None => None,
            };
            let log_y = rp.log_y.or(figure.log_y).unwrap_or(false);
            if log_y && y_range.is_some_and(|r| r.0 <= 0.0) {
                return Err(v.err(sk("y_range"), "a log axis needs a positive range"));
            }
            let log_x = rp.log_x.or(figure.log_x).unwrap_or(false);
            if log_x && sw.values.iter().any(|&x| x <= 0.0) {
                return Err(v.err(sweep_key, "a log x axis needs positive sweep values"));
            }
            out.push(PanelSpec {
                title: rp.title.clone(),
                sweep: sw,
                sweep_y: sw_y,
                series: specs,
                log_x,
                log_y,
                y_range,
                guides,
            });
        }
        let color_range = match figure.color_range {
            Some([lo, hi]) if lo.is_finite() && hi.is_finite() && lo < hi => Some((lo, hi)),
            Some([lo, hi]) => {
                return Err(v.err(
                    "figure.color_range",
                    format!("expected [low, high] (log₁₀ E_g) with low < high, got [{lo}, {hi}]"),
                ))
            }
            None => None,
        };
        let size = |k: &str, x: Option<i64>, d: u32| -> Result<u32> {
            match x {
                None => Ok(d),
                Some(n) if (200..=4000).contains(&n) => Ok(n as u32),
                Some(n) => Err(v.err(format!("figure.{k}"), format!("expected 200 to 4000 pixels, got {n}"))),
            }
        };
        Ok(FigureSpec {
            path: path.to_path_buf(),
            name: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "figure".into()),
            title: figure.title,
            kind,
            caption: figure.caption,
            panels: out,
            color_range,
            panel_size: (
                size("panel_width", figure.panel_width, 900)?,
                size("panel_height", figure.panel_height, 620)?,
            ),
            simulation,
        })
    }
}

fn resolve_sweep(v: &Validator<'_>, key: &str, r: &RawSweep) -> Result<Sweep> {
    let layer = |needed: bool| -> Result<usize> {
        match (r.layer, needed) {
            (Some(l), true) if l >= 1 => Ok(l as usize),
            (Some(l), true) => {
                Err(v.err(format!("{key}.layer"), format!("expected a layer number ≥ 1, got {l}")))
            }
            (None, true) => {
                Err(v.err(format!("{key}.layer"), "this axis needs `layer` (1 = first hidden layer)"))
            }
            (Some(_), false) => {
                Err(v.err(format!("{key}.layer"), format!("not a parameter of axis \"{}\"", r.axis)))
            }
            (None, false) => Ok(0),
        }
    };
    if r.covariance.is_some() && r.axis != "exponent" {
        return Err(v.err(format!("{key}.covariance"), format!("not a parameter of axis \"{}\"", r.axis)));
    }
    let axis = match r.axis.as_str() {
        "alpha" => {
            layer(false)?;
            Axis::Alpha
        }
        "ridge" => {
            layer(false)?;
            Axis::Ridge
        }
        "noise" => {
            layer(false)?;
            Axis::Noise
        }
        "width" => Axis::Width { layer: layer(true)? },
        "exponent" => {
            let which = r.covariance.as_deref().ok_or_else(|| {
                v.err(
                    format!("{key}.covariance"),
                    "axis \"exponent\" needs covariance = \"data\", \"input\", \"layer\" or \"target\"",
                )
            })?;
            match which {
                "data" => {
                    layer(false)?;
                    Axis::Exponent { key: "data.covariance.exponent".into(), name: "Σ₀".into() }
                }
                "target" => {
                    layer(false)?;
                    Axis::Exponent { key: "data.target.exponent".into(), name: "the target".into() }
                }
                "input" => {
                    layer(false)?;
                    Axis::Exponent { key: "layers[0].input_covariance.exponent".into(), name: "Γ".into() }
                }
                "layer" => {
                    let l = layer(true)?;
                    Axis::Exponent {
                        key: format!("layers[{}].covariance.exponent", l - 1),
                        name: format!("S{}", sub(l)),
                    }
                }
                other => {
                    return Err(v.err(
                        format!("{key}.covariance"),
                        format!("expected \"data\", \"input\", \"layer\" or \"target\", got \"{other}\""),
                    ))
                }
            }
        }
        other => {
            return Err(v.err(
                format!("{key}.axis"),
                format!(
                    "unknown axis \"{}\"; expected alpha, ridge, width, noise or exponent",
                    crate::error::truncate(other, 40)
                ),
            ))
        }
    };
    let points = |vals: &Option<Vec<f64>>,
                  range: &Option<config::RawRange>,
                  k: &str,
                  required: bool|
     -> Result<Vec<f64>> {
        match (vals, range) {
            (Some(_), Some(_)) => Err(v.err(k, "give either `values` or `range`, not both")),
            (Some(xs), None) => {
                if xs.is_empty() {
                    return Err(v.err(format!("{k}.values"), "expected at least one value"));
                }
                xs.iter().enumerate().map(|(i, &x)| v.finite(&format!("{k}.values[{i}]"), x)).collect()
            }
            (None, Some(r)) => {
                let from = v.finite(&format!("{k}.range.from"), r.from)?;
                let to = v.finite(&format!("{k}.range.to"), r.to)?;
                let n = v.positive_int(&format!("{k}.range.points"), r.points)?;
                let log = v.scale(r.scale.as_deref(), &format!("{k}.range.scale"))?;
                if to < from {
                    return Err(
                        v.err(format!("{k}.range.to"), format!("expected to ≥ from = {from}, got {to}"))
                    );
                }
                if log && from <= 0.0 {
                    return Err(
                        v.err(format!("{k}.range.from"), format!("a log range needs from > 0, got {from}"))
                    );
                }
                Ok(config::spaced(from, to, n, log))
            }
            (None, None) if required => {
                Err(v.err(k, "expected `values = [...]` or `range = { from, to, points }`"))
            }
            (None, None) => Ok(vec![]),
        }
    };
    let values = points(&r.values, &r.range, key, true)?;
    let simulate = match &r.simulate {
        Some(s) => points(&s.values, &s.range, &format!("{key}.simulate"), true)?,
        None => vec![],
    };
    let positive = matches!(axis, Axis::Alpha | Axis::Width { .. });
    let non_negative = matches!(axis, Axis::Ridge | Axis::Noise);
    for (i, &x) in values.iter().chain(&simulate).enumerate() {
        if (positive && x <= 0.0) || (non_negative && x < 0.0) {
            return Err(v.err(key, format!("value {x} (#{}) is out of range for axis \"{}\"", i + 1, r.axis)));
        }
    }
    Ok(Sweep { axis, values, simulate })
}

/// Applies `set` overrides (dotted paths with `[i]` indices) to a model table.
pub(crate) fn apply_overrides(
    v: &Validator<'_>,
    key: &str,
    table: &mut toml::Table,
    set: &toml::Table,
) -> Result<()> {
    config::apply_overrides(v.file, key, table, set.iter().map(|(k, v)| (k.as_str(), v)))
}

/// Sets a sweep axis value (other than α) in a model table.
pub(crate) fn set_axis(
    v: &Validator<'_>,
    context: &str,
    table: &mut toml::Table,
    axis: &Axis,
    x: f64,
) -> Result<()> {
    let n0 = table.get("data").and_then(|d| d.get("dim")).and_then(|d| d.as_integer()).unwrap_or(1) as f64;
    let (path, value) = match axis {
        Axis::Alpha => return Ok(()),
        Axis::Ridge => ("readout.ridge".to_string(), toml::Value::Float(x)),
        Axis::Noise => ("data.noise".to_string(), toml::Value::Float(x)),
        Axis::Width { layer } => {
            (format!("layers[{}].width", layer - 1), toml::Value::Integer(((x * n0).round() as i64).max(1)))
        }
        Axis::Exponent { key, .. } => (key.clone(), toml::Value::Float(x)),
    };
    let mut set = toml::Table::new();
    set.insert(path, value);
    apply_overrides(v, &format!("{context}: sweep"), table, &set)
}

/// The validated model config of a series at sweep position(s): for the α axis, sample
/// sizes `round(α n0)` for every α in `xs`; otherwise the axis value `xs[0]` with the
/// model's own (single) sample size.
pub(crate) fn series_config(
    v: &Validator<'_>,
    path: &Path,
    s: &SeriesSpec,
    axis: &Axis,
    xs: &[f64],
    table: &toml::Table,
) -> Result<Config> {
    let mut t = table.clone();
    let samples = if *axis == Axis::Alpha {
        let n0 = t.get("data").and_then(|d| d.get("dim")).and_then(|d| d.as_integer()).unwrap_or(1) as f64;
        let mut ps: Vec<usize> = xs.iter().map(|a| ((a * n0).round() as usize).max(1)).collect();
        ps.dedup();
        let mut st = toml::Table::new();
        st.insert(
            "values".into(),
            toml::Value::Array(ps.iter().map(|&p| toml::Value::Integer(p as i64)).collect()),
        );
        t.insert("samples".into(), toml::Value::Table(st));
        None
    } else {
        set_axis(v, &s.context, &mut t, axis, xs[0])?;
        Some(())
    };
    let cfg = resolve_model(v, path, &t, &s.context)?;
    if samples.is_some() && cfg.samples.len() != 1 {
        return Err(v.err(
            format!("{}: samples", s.context),
            format!("a sweep over {} needs exactly one sample size, got {}", axis.label(), cfg.samples.len()),
        ));
    }
    Ok(cfg)
}

/// Deserialises and validates a model table; errors name the series context.
fn resolve_model(v: &Validator<'_>, path: &Path, t: &toml::Table, context: &str) -> Result<Config> {
    let t = t.clone();
    let prefix = |e: Error| match e {
        Error::Input { file, key, message } if !context.is_empty() => {
            Error::Input { file, key: format!("{context}: {key}"), message }
        }
        e => e,
    };
    let raw: RawConfig = config::from_value(v.file, "", toml::Value::Table(t)).map_err(prefix)?;
    config::resolve(v.file, path.parent().unwrap_or(Path::new(".")), &raw).map_err(prefix)
}

/// Resolves the model config of a series at sweep positions (used by [`super::compute`]).
pub(crate) fn model_at(
    spec: &FigureSpec,
    s: &SeriesSpec,
    axis: &Axis,
    xs: &[f64],
    extra: Option<(&Axis, f64)>,
) -> Result<Config> {
    let file = spec.path.display().to_string();
    let v = Validator { file: &file, base: spec.path.parent().unwrap_or(Path::new(".")).to_path_buf() };
    let mut t = s.table.clone();
    if let Some((ax, y)) = extra {
        set_axis(&v, &s.context, &mut t, ax, y)?;
    }
    series_config(&v, &spec.path, s, axis, xs, &t)
}
