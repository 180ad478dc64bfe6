//! Numbers behind a figure: theory lines, Monte Carlo markers and heat-map grids.

use super::spec::{Axis, FigureKind, FigureSpec, PanelSpec, Quantity, SeriesSpec};
use crate::config::Config;
use crate::error::Result;
use crate::progress::Silent;
use crate::stats::Summary;
use crate::sweep;
use crate::theory::Point;
use crate::validate::{self, Row};
use rayon::prelude::*;

/// Simulation settings for figures; `None` fields fall back to the config's `[simulation]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimOptions {
    pub disabled: bool,
    pub trials: Option<usize>,
    pub scale: Option<f64>,
}

impl SimOptions {
    /// Checks `--trials` and `--scale` (when given), naming the flag of a bad one.
    pub fn check(&self) -> Result<()> {
        let opts = |trials, scale| validate::Options { trials, seed: 0, scale };
        opts(self.trials.unwrap_or(1), self.scale.unwrap_or(1.0)).check()
    }
}

/// A Monte Carlo marker: mean and 95% interval (the mean itself with one trial).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    /// (mean − theory)/stderr at the simulated sizes, when defined.
    pub z: Option<f64>,
}

/// One series of a panel.
#[derive(Clone, Debug)]
pub struct SeriesData {
    pub label: String,
    pub quantity: Quantity,
    /// Theory (x, y); +∞ marks the interpolation threshold.
    pub theory: Vec<(f64, f64)>,
    pub markers: Vec<Marker>,
}

/// A heat map: `z[iy][ix]` at `(xs[ix], ys[iy])`.
#[derive(Clone, Debug)]
pub struct Heat {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    pub z: Vec<Vec<f64>>,
}

/// One computed panel.
#[derive(Clone, Debug)]
pub struct PanelData {
    pub spec: PanelSpec,
    pub series: Vec<SeriesData>,
    pub heat: Option<Heat>,
}

/// A computed figure, ready to render.
#[derive(Clone, Debug)]
pub struct FigureData {
    pub spec: FigureSpec,
    pub panels: Vec<PanelData>,
    /// What the markers are (trials, scale), for the caption; `None` without simulation.
    pub simulation_note: Option<String>,
}

fn value(q: Quantity, p: &Point) -> f64 {
    match q {
        Quantity::Error => p.error,
        Quantity::Bias => p.bias,
        Quantity::Variance => p.variance,
        Quantity::TrainError => p.train_error,
        Quantity::TestMse => p.test_mse,
    }
}

fn marker(q: Quantity, x: f64, r: &Row, noise: f64) -> Marker {
    let from = |s: &Summary, shift: f64, theory: f64| {
        let (lo, hi) = s.ci95.unwrap_or((s.mean, s.mean));
        Marker { x, mean: s.mean + shift, low: lo + shift, high: hi + shift, z: s.z(theory) }
    };
    match q {
        Quantity::Error => from(&r.mc, 0.0, r.theory),
        Quantity::Bias => from(&r.mc_bias, 0.0, r.bias_theory),
        Quantity::Variance => from(&r.mc_variance, 0.0, r.variance_theory),
        Quantity::TestMse => from(&r.mc, noise, r.theory),
        Quantity::TrainError => {
            let m = r.train_mc_mean;
            Marker { x, mean: m, low: m, high: m, z: None }
        }
    }
}

/// The theory point(s) of a config: the learning curve over its sample sizes.
fn theory_points(cfg: &Config) -> Result<Vec<Point>> {
    let theory = cfg.model.theory(&Silent)?;
    sweep::learning_curve(&theory, &cfg.samples, cfg.ridge, &Silent)
}

/// x coordinate of a sweep value as plotted (widths are rounded to integers).
fn plotted_x(axis: &Axis, x: f64, cfg: &Config) -> f64 {
    match axis {
        Axis::Width { layer } => cfg.model.layers[layer - 1].width as f64 / cfg.model.dim as f64,
        _ => x,
    }
}

fn series_theory(spec: &FigureSpec, panel: &PanelSpec, s: &SeriesSpec) -> Result<Vec<(f64, f64)>> {
    let axis = &panel.sweep.axis;
    if *axis == Axis::Alpha {
        let cfg = super::spec::model_at(spec, s, axis, &panel.sweep.values, None)?;
        let pts = theory_points(&cfg)?;
        return Ok(pts.iter().map(|p| (p.alpha, value(s.quantity, p))).collect());
    }
    panel
        .sweep
        .values
        .par_iter()
        .map(|&x| {
            let cfg = super::spec::model_at(spec, s, axis, &[x], None)?;
            let pts = theory_points(&cfg)?;
            Ok((plotted_x(axis, x, &cfg), value(s.quantity, &pts[0])))
        })
        .collect()
}

fn series_markers(
    spec: &FigureSpec,
    panel: &PanelSpec,
    s: &SeriesSpec,
    opts: &validate::Options,
) -> Result<Vec<Marker>> {
    let axis = &panel.sweep.axis;
    if panel.sweep.simulate.is_empty() {
        return Ok(vec![]);
    }
    if *axis == Axis::Alpha {
        let cfg = super::spec::model_at(spec, s, axis, &panel.sweep.simulate, None)?;
        let v = validate::run(&cfg, opts, &Silent)?;
        return Ok(v.rows.iter().map(|r| marker(s.quantity, r.alpha, r, cfg.model.noise)).collect());
    }
    let mut out = Vec::new();
    for &x in &panel.sweep.simulate {
        let cfg = super::spec::model_at(spec, s, axis, &[x], None)?;
        let v = validate::run(&cfg, opts, &Silent)?;
        out.push(marker(s.quantity, plotted_x(axis, x, &cfg), &v.rows[0], cfg.model.noise));
    }
    Ok(out)
}

fn heat(spec: &FigureSpec, panel: &PanelSpec) -> Result<Heat> {
    let s = &panel.series[0];
    let ys = panel.sweep_y.as_ref().expect("heat maps have a y sweep");
    let rows: Vec<(f64, Vec<(f64, f64)>)> = ys
        .values
        .par_iter()
        .map(|&y| {
            let cfg = super::spec::model_at(spec, s, &Axis::Alpha, &panel.sweep.values, Some((&ys.axis, y)))?;
            let pts = theory_points(&cfg)?;
            let row = pts.iter().map(|p| (p.alpha, value(s.quantity, p))).collect();
            Ok((plotted_x(&ys.axis, y, &cfg), row))
        })
        .collect::<Result<_>>()?;
    let xs: Vec<f64> = rows[0].1.iter().map(|c| c.0).collect();
    Ok(Heat {
        xs,
        ys: rows.iter().map(|r| r.0).collect(),
        z: rows.iter().map(|r| r.1.iter().map(|c| c.1).collect()).collect(),
    })
}

impl FigureData {
    /// Number of markers with a z-score, and the largest |z| among them (theory at the
    /// simulated sizes).
    pub fn agreement(&self) -> (usize, Option<f64>) {
        let zs: Vec<f64> =
            self.panels.iter().flat_map(|p| &p.series).flat_map(|s| &s.markers).filter_map(|m| m.z).collect();
        (zs.len(), zs.iter().map(|z| z.abs()).fold(None, |m: Option<f64>, z| Some(m.map_or(z, |m| m.max(z)))))
    }
}

/// Computes every panel of a figure (simulation markers unless disabled).
pub fn compute(spec: &FigureSpec, sim: &SimOptions) -> Result<FigureData> {
    let opts = validate::Options {
        trials: sim.trials.unwrap_or(spec.simulation.trials),
        seed: spec.simulation.seed,
        scale: sim.scale.unwrap_or(spec.simulation.scale),
    };
    opts.check()?;
    let simulate = !sim.disabled && spec.panels.iter().any(|p| !p.sweep.simulate.is_empty());
    let mut panels = Vec::with_capacity(spec.panels.len());
    let mut sim_dims = Vec::new();
    for panel in &spec.panels {
        if spec.kind == FigureKind::Heatmap {
            panels.push(PanelData { spec: panel.clone(), series: vec![], heat: Some(heat(spec, panel)?) });
            continue;
        }
        let series = panel
            .series
            .par_iter()
            .map(|s| -> Result<SeriesData> {
                let theory = series_theory(spec, panel, s)?;
                let markers = if simulate { series_markers(spec, panel, s, &opts)? } else { vec![] };
                Ok(SeriesData { label: s.label.clone(), quantity: s.quantity, theory, markers })
            })
            .collect::<Result<Vec<_>>>()?;
        if simulate && !panel.sweep.simulate.is_empty() {
            let cfg = super::spec::model_at(
                spec,
                &panel.series[0],
                &panel.sweep.axis,
                &panel.sweep.simulate[..1],
                None,
            )?;
            sim_dims.push(crate::model::scale_size(cfg.model.dim, opts.scale));
        }
        panels.push(PanelData { spec: panel.clone(), series, heat: None });
    }
    sim_dims.dedup();
    let simulation_note = (simulate && !sim_dims.is_empty()).then(|| {
        let n0 = sim_dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("/");
        let scale = if opts.scale == 1.0 {
            String::new()
        } else {
            format!(", simulated at scale {} of the theory's sizes", opts.scale)
        };
        let interval = if opts.trials >= 2 { " ± 95% interval" } else { "" };
        format!(
            "Lines: theory. Markers: simulation mean{interval} over {} trials at n₀ = {n0}{scale}.",
            opts.trials
        )
    });
    Ok(FigureData { spec: spec.clone(), panels, simulation_note })
}
