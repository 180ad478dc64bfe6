//! Numbers behind a figure: theory lines, Monte Carlo markers, heat-map grids and
//! minimisations over a model parameter, from the typed specs of [`super::spec`].

use super::spec::{
    point_config, with_alphas, Axis, FigureKind, FigureSpec, Measure, Optimum, PanelSpec, Quantity,
    SeriesSpec, Show,
};
use crate::jobs::features;
use crate::jobs::run::RunOptions;
use crate::jobs::stepped::{self, Stepped};
use crate::jobs::store::PointKey;
use crate::jobs::sweep;
use crate::jobs::validate::{self, Row};
use crate::model::Model;
use crate::spec::limits::MIN_EFFECTIVE_RANK;
use crate::spec::{Config, Ensemble, Error, Invalid, Result, Simulation};
use crate::support::brent;
use crate::support::progress::{Note, Progress, Silent};
use crate::support::stats::Summary;
use crate::theory::{Point, Theory};
use argmin::core::{CostFunction, Error as ArgminError};
use rayon::prelude::*;

/// A Monte Carlo marker: mean and 95% interval (the mean itself with one trial).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    /// (mean − theory)/stderr at the simulated sizes, when defined.
    pub z: Option<f64>,
    /// One-pass SGD: the median run and its 95 % order-statistic interval (the risk of one
    /// run is heavy-tailed; the theory predicts the mean).
    pub median: Option<(f64, f64, f64)>,
}

/// One series of a panel.
#[derive(Clone, Debug)]
pub struct SeriesData {
    pub label: String,
    pub measure: Measure,
    pub dashed: bool,
    /// Palette index of the series' colour.
    pub color: usize,
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

/// A quantity of the readout of `cfg`: with an ensemble, its E_g(K) and that error's bias
/// and variance parts (the training error is the single learner's).
fn value(q: Quantity, p: &Point, cfg: &Config) -> Result<f64> {
    let k = cfg.readout_ensemble();
    Ok(match q {
        Quantity::Error => cfg.ensemble_value(k.error(p))?,
        Quantity::Bias => cfg.ensemble_value(k.bias(p))?,
        Quantity::Variance => cfg.ensemble_value(k.variance(p))?,
        Quantity::TrainError => p.train_error,
        Quantity::TestMse if k == Ensemble::SINGLE => p.test_mse,
        Quantity::TestMse => cfg.ensemble_value(k.error(p))? + cfg.model().noise(),
        // Need the theory or the spectrum, not only the point: see `plain`.
        Quantity::ExponentSamples
        | Quantity::Eigenvalue
        | Quantity::TaskPower
        | Quantity::FlowError
        | Quantity::Width
        | Quantity::Sharpness
        | Quantity::EarlyStopped
        | Quantity::Deviation
        | Quantity::UncentredError => f64::NAN,
    })
}

fn marker(q: Quantity, x: f64, r: &Row, noise: f64) -> Marker {
    let from = |s: &Summary, shift: f64, theory: f64| {
        let (lo, hi) = s.ci95.unwrap_or((s.mean, s.mean));
        Marker { x, mean: s.mean + shift, low: lo + shift, high: hi + shift, z: s.z(theory), median: None }
    };
    match q {
        Quantity::Error => from(&r.mc, 0.0, r.theory),
        Quantity::Bias => from(&r.mc_bias, 0.0, r.bias_theory),
        Quantity::Variance => from(&r.mc_variance, 0.0, r.variance_theory),
        Quantity::TestMse => from(&r.mc, noise, r.theory),
        Quantity::TrainError => {
            let m = r.train_mc_mean;
            Marker { x, mean: m, low: m, high: m, z: None, median: None }
        }
        // Never simulated (`marker_configs` gives them no markers).
        Quantity::ExponentSamples
        | Quantity::Eigenvalue
        | Quantity::TaskPower
        | Quantity::FlowError
        | Quantity::Width
        | Quantity::Sharpness
        | Quantity::EarlyStopped
        | Quantity::Deviation
        | Quantity::UncentredError => {
            Marker { x, mean: f64::NAN, low: f64::NAN, high: f64::NAN, z: None, median: None }
        }
    }
}

/// The theory of a config and its points over the config's sample sizes.
fn theory_curve(cfg: &Config) -> Result<(Theory, Vec<Point>)> {
    let theory = Theory::from_spec(cfg.model(), &Silent)?;
    let mut points =
        sweep::learning_curve(&theory, cfg.samples(), cfg.ridge(), cfg.readout_ensemble(), &Silent)?;
    // A finite or optimal training time replaces the converged readout's errors.
    sweep::at_times(cfg, &theory, &mut points)?;
    Ok((theory, points))
}

/// A quantity of the readout trained for each time of `xs` (a time axis): one theory and
/// one windowed solve of the whole axis (DYNAMICS §3), not a theory per time.
fn time_values(s: &SeriesSpec, q: Quantity, cfg: &Config, xs: &[f64]) -> Result<Vec<(f64, f64)>> {
    let ridge = match cfg.ridge() {
        crate::spec::Ridge::Fixed(l) => l,
        crate::spec::Ridge::Optimal => {
            return Err(point_error(s, Invalid("a time axis needs a fixed ridge λ ≥ 0".into())))
        }
    };
    let theory = Theory::from_spec(cfg.model(), &Silent)?;
    let p = *cfg.samples().first().expect("a config has samples") as f64;
    let noise = cfg.model().noise();
    theory
        .points_at_times(p, ridge, xs)?
        .into_iter()
        .map(|t| {
            let y = trained_value(q, &t, noise).ok_or_else(|| {
                point_error(s, Invalid(format!("{} has no value at a training time", q.symbol())))
            })?;
            Ok((t.time, y))
        })
        .collect()
}

/// A quantity of a readout trained for a time or a number of steps (`None`: not one of its).
fn trained_value(q: Quantity, t: &crate::theory::TimePoint, noise: f64) -> Option<f64> {
    Some(match q {
        Quantity::Error => t.error,
        Quantity::Bias => t.bias,
        Quantity::Variance => t.variance,
        Quantity::TrainError => t.train_error,
        Quantity::TestMse => t.error + noise,
        _ => return None,
    })
}

/// A quantity of gradient descent (the config's single sample size) or one-pass SGD after
/// each step count of `xs` (rounded): one theory and one node set for the whole axis
/// (TRAINING A3, B3). Beyond the stability edge there are no numbers: +∞, no line.
fn step_values(s: &SeriesSpec, q: Quantity, cfg: &Config, xs: &[f64]) -> Result<Vec<(f64, f64)>> {
    let ks = stepped::steps(&xs.iter().map(|x| x.round()).collect::<Vec<_>>())?;
    let noise = cfg.model().noise();
    let none = |what: &str| point_error(s, Invalid(format!("{} has no value for {what}", q.symbol())));
    if let crate::spec::Training::Features(_) = cfg.training() {
        // Every layer trained: the dataset means at the config's one sample size; a step at
        // which every training set has diverged is +∞ (no line).
        let report = features::run(cfg, &ks, None, &features::FeatureOptions::default(), &Silent)?;
        return report
            .points
            .iter()
            .map(|pt| {
                let y = match q {
                    Quantity::Error => pt.error,
                    Quantity::TrainError => pt.train_error,
                    Quantity::TestMse => pt.error.map(|e| e + noise),
                    Quantity::Sharpness => Some(pt.sharpness),
                    Quantity::UncentredError => pt.error.zip(pt.uncentred_extra).map(|(e, x)| e + x),
                    _ => return Err(none("a network with every layer trained")),
                };
                Ok((pt.steps as f64, y.unwrap_or(f64::INFINITY)))
            })
            .collect();
    }
    let out = match stepped::run(cfg, &ks, None, &Silent)? {
        Stepped::Descent { ridge, rows, .. } => {
            let row = &rows[0];
            if row.growth.is_some() {
                return Ok(ks.iter().map(|&k| (k as f64, f64::INFINITY)).collect());
            }
            let flow = if q == Quantity::FlowError {
                let times: Vec<f64> = row.points.iter().map(|t| t.time).collect();
                Theory::from_spec(cfg.model(), &Silent)?.points_at_times(row.samples, ridge, &times)?
            } else {
                vec![]
            };
            row.points
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let k = t.descent.map_or(f64::INFINITY, |d| d.steps);
                    let y = match q {
                        Quantity::FlowError => flow[i].error,
                        _ => trained_value(q, t, noise).ok_or_else(|| none("gradient descent"))?,
                    };
                    Ok((k, y))
                })
                .collect::<Result<Vec<_>>>()?
        }
        Stepped::Sgd { curve, .. } => {
            if curve.diverged.is_some() {
                return Ok(ks.iter().map(|&k| (k as f64, f64::INFINITY)).collect());
            }
            curve
                .points
                .iter()
                .map(|p| {
                    let y = match q {
                        Quantity::Error => p.error,
                        Quantity::Bias => p.bias,
                        Quantity::Variance => p.variance,
                        Quantity::TestMse => p.error + noise,
                        _ => return Err(none("one-pass SGD")),
                    };
                    Ok((p.steps, y))
                })
                .collect::<Result<Vec<_>>>()?
        }
    };
    Ok(out)
}

/// A network with every layer trained at each sample size of `cfg`, after `[training]
/// steps` = T steps: the dataset mean of E_g (or E_tr) at T, or of each set's smallest E_g
/// over k = 0 … T (`early_stopped`); +∞ (no line) where every set diverged.
fn feature_samples_values(
    s: &SeriesSpec,
    q: Quantity,
    cfg: &Config,
    t: &crate::spec::FeatureTraining,
) -> Result<Vec<(f64, f64)>> {
    let crate::spec::Steps::Count(top) = t.steps else {
        return Err(point_error(s, Invalid("give [training] steps = k".into())));
    };
    let ks: Vec<u64> = if q == Quantity::EarlyStopped { (0..=top).collect() } else { vec![top] };
    let report = features::run(cfg, &ks, None, &features::FeatureOptions::default(), &Silent)?;
    let noise = cfg.model().noise();
    cfg.samples()
        .iter()
        .map(|&p| {
            let y = match q {
                Quantity::EarlyStopped => {
                    let best: Vec<f64> = (0..t.datasets)
                        .filter_map(|i| {
                            report
                                .datasets
                                .iter()
                                .filter(|r| r.samples == p && r.dataset == i)
                                .filter_map(|r| r.error)
                                .reduce(f64::min)
                        })
                        .collect();
                    (!best.is_empty()).then(|| best.iter().sum::<f64>() / best.len() as f64)
                }
                _ => {
                    let pt = report.points.iter().find(|pt| pt.samples == p);
                    match q {
                        Quantity::Error => pt.and_then(|pt| pt.error),
                        Quantity::TrainError => pt.and_then(|pt| pt.train_error),
                        Quantity::TestMse => pt.and_then(|pt| pt.error).map(|e| e + noise),
                        Quantity::UncentredError => {
                            pt.and_then(|pt| pt.error.zip(pt.uncentred_extra)).map(|(e, x)| e + x)
                        }
                        _ => {
                            return Err(point_error(
                                s,
                                Invalid(format!("{} has no value on a samples axis here", q.symbol())),
                            ))
                        }
                    }
                }
            };
            Ok((p as f64, y.unwrap_or(f64::INFINITY)))
        })
        .collect()
}

/// One-pass SGD's compute-optimal frontier at the budgets `xs` (TRAINING B9): the loss E*
/// or the width N*; a budget whose best width sits at the end of the width grid
/// (pre-asymptotic) is +∞, no line.
fn sgd_frontier_values(
    q: Quantity,
    cfg: &Config,
    xs: &[f64],
    frontiers: &Frontiers,
) -> Result<Vec<(f64, f64)>> {
    let report = frontiers.get(cfg, xs)?;
    Ok(xs
        .iter()
        .map(|&f| {
            let y = report
                .frontier
                .points
                .iter()
                .find(|p| p.budget == f && p.interior)
                .map_or(f64::INFINITY, |p| if q == Quantity::Width { p.width } else { p.error });
            (f, y)
        })
        .collect())
}

/// The eigenvalue m_j or the task power m_j c_j² of the data spectrum (descending m) at
/// the indices `xs` (rounded); +∞ (a break) beyond the spectrum.
fn spectrum_values(s: &SeriesSpec, q: Quantity, cfg: &Config, xs: &[f64]) -> Result<Vec<(f64, f64)>> {
    let modes = Model::build(cfg.model(), crate::model::Purpose::Theory, &Silent)?.modes(&Silent)?;
    if modes.weights.is_some() {
        return Err(point_error(s, Invalid("an index axis needs an explicit spectrum (n0 ≤ 20 000)".into())));
    }
    let mut pairs: Vec<(f64, f64)> = modes.m.iter().zip(&modes.c2).map(|(&m, &c)| (m, m * c)).collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(xs
        .iter()
        .map(|&x| {
            let j = x.round().max(1.0) as usize;
            let y = pairs
                .get(j - 1)
                .map_or(f64::INFINITY, |&(m, t)| if q == Quantity::Eigenvalue { m } else { t });
            (j as f64, y)
        })
        .collect())
}

/// The quantity at every point of a config's curve (the local exponent from the theory;
/// +∞, a break in the line, where it is undefined).
fn curve_values(q: Quantity, cfg: &Config, x: impl Fn(&Point) -> f64) -> Result<Vec<(f64, f64)>> {
    let (theory, pts) = theory_curve(cfg)?;
    pts.iter()
        .map(|p| {
            let y = match q {
                Quantity::ExponentSamples => {
                    crate::jobs::exponents::samples_exponent(&theory, p)?.unwrap_or(f64::INFINITY)
                }
                _ => value(q, p, cfg)?,
            };
            Ok((x(p), y))
        })
        .collect()
}

/// A point that passed resolution but cannot be built: report it as bad input.
fn point_error(s: &SeriesSpec, m: Invalid) -> Error {
    Error::Input { file: s.config.source().to_string(), key: format!("{}: sweep", s.context), message: m.0 }
}

/// Where a series is evaluated: the x axis and values, a heat map's y value, a value of
/// the parameter minimised over.
#[derive(Clone, Copy)]
struct At<'a> {
    axis: &'a Axis,
    xs: &'a [f64],
    y: Option<(&'a Axis, f64)>,
    /// Frontiers already computed in this figure.
    frontiers: &'a Frontiers,
}

/// One-pass SGD frontiers computed in a figure, by config and budgets: the panels of the
/// loss and of the width show one frontier.
#[derive(Default)]
struct Frontiers(std::sync::Mutex<std::collections::HashMap<String, crate::jobs::compute::ComputeReport>>);

impl Frontiers {
    fn get(&self, cfg: &Config, budgets: &[f64]) -> Result<crate::jobs::compute::ComputeReport> {
        let key = format!("{cfg:?}|{budgets:?}");
        if let Some(r) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(r.clone());
        }
        let r = crate::jobs::compute::run(cfg, budgets, &Silent)?;
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(key, r.clone());
        Ok(r)
    }
}

/// `(plotted x, quantity)` of a series at every x, with `over` applied.
fn plain(s: &SeriesSpec, q: Quantity, at: At<'_>, over: Option<(&Axis, f64)>) -> Result<Vec<(f64, f64)>> {
    match at.axis {
        Axis::Alpha => {
            let cfg = point_config(s, at.axis, None, at.y, over).map_err(|m| point_error(s, m))?;
            let cfg = with_alphas(&cfg, at.xs).map_err(|m| point_error(s, m))?;
            return curve_values(q, &cfg, |p| p.alpha);
        }
        Axis::Samples => {
            let mut cfg = point_config(s, at.axis, None, at.y, over).map_err(|m| point_error(s, m))?;
            let mut ps: Vec<usize> = at.xs.iter().map(|x| x.round() as usize).collect();
            ps.dedup();
            cfg.set_samples(ps).map_err(|m| point_error(s, m))?;
            if let crate::spec::Training::Features(t) = cfg.training() {
                return feature_samples_values(s, q, &cfg, &t);
            }
            return curve_values(q, &cfg, |p| p.samples);
        }
        Axis::Index => {
            let cfg = point_config(s, at.axis, None, at.y, over).map_err(|m| point_error(s, m))?;
            return spectrum_values(s, q, &cfg, at.xs);
        }
        Axis::Time => {
            let cfg = point_config(s, at.axis, None, at.y, over).map_err(|m| point_error(s, m))?;
            return time_values(s, q, &cfg, at.xs);
        }
        Axis::Steps => {
            let cfg = point_config(s, at.axis, None, at.y, over).map_err(|m| point_error(s, m))?;
            return step_values(s, q, &cfg, at.xs);
        }
        Axis::Richness => {
            return at
                .xs
                .iter()
                .map(|&x| {
                    let cfg = point_config(s, at.axis, Some(x), at.y, over).map_err(|m| point_error(s, m))?;
                    let crate::spec::Training::Features(t) = cfg.training() else {
                        return Err(point_error(s, Invalid("needs [training] layers = \"all\"".into())));
                    };
                    Ok((x, feature_samples_values(s, q, &cfg, &t)?.first().map_or(f64::INFINITY, |v| v.1)))
                })
                .collect();
        }
        Axis::NetworkWidth => {
            // The infinite-width theory does not depend on N: one value for every x; the
            // deviation is the networks' alone (no line).
            let cfg = point_config(s, at.axis, None, at.y, over).map_err(|m| point_error(s, m))?;
            let y = match (q, cfg.training()) {
                (Quantity::Deviation, _) => f64::INFINITY,
                (_, crate::spec::Training::Features(t)) => {
                    feature_samples_values(s, q, &cfg, &t)?.first().map_or(f64::INFINITY, |v| v.1)
                }
                _ => return Err(point_error(s, Invalid("needs [training] layers = \"all\"".into()))),
            };
            return Ok(at.xs.iter().map(|&x| (x.round(), y)).collect());
        }
        Axis::Compute => {
            let cfg = point_config(s, at.axis, None, at.y, over).map_err(|m| point_error(s, m))?;
            return sgd_frontier_values(q, &cfg, at.xs, at.frontiers);
        }
        Axis::Budget => {
            let cfg = point_config(s, at.axis, None, at.y, over).map_err(|m| point_error(s, m))?;
            return at
                .xs
                .iter()
                .map(|&c| Ok((c, crate::jobs::scaling::frontier_point(cfg.model(), cfg.ridge(), c)?.error)))
                .collect();
        }
        _ => {}
    }
    at.xs
        .iter()
        .map(|&x| {
            let cfg = point_config(s, at.axis, Some(x), at.y, over).map_err(|m| point_error(s, m))?;
            let plotted = at.axis.plotted(&cfg, x);
            Ok((plotted, curve_values(q, &cfg, |_| plotted)?[0].1))
        })
        .collect()
}

/// The quantity at one x as a function of the parameter minimised over.
struct Objective<'a> {
    s: &'a SeriesSpec,
    o: &'a Optimum,
    at: At<'a>,
}

impl Objective<'_> {
    fn eval(&self, g: f64) -> Result<f64> {
        Ok(plain(self.s, self.o.quantity, self.at, Some((&self.o.over, g)))?[0].1)
    }
}

impl CostFunction for Objective<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, g: &f64) -> std::result::Result<f64, ArgminError> {
        self.eval(*g).map_err(|e| ArgminError::msg(e.to_string()))
    }
}

/// Minimisations already done in a figure, by what determines them (series model,
/// quantity, parameter, grid, x values and heat-map y): panels that show the same
/// minimisation differently (F8's s* and its gain) compute it once.
#[derive(Default)]
struct Minima(std::sync::Mutex<std::collections::HashMap<String, Vec<Minimum>>>);

/// `(x, argmin, min)` of a minimisation at one x.
type Minimum = (f64, f64, f64);

impl Minima {
    fn key(s: &SeriesSpec, o: &Optimum, at: At<'_>) -> String {
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            s.config,
            o.quantity,
            o.over,
            o.grid,
            at.axis,
            at.xs,
            at.y.map(|(a, y)| (a.clone(), y))
        )
    }
}

/// Minimises the quantity over the parameter at every x: a scan of the grid, then Brent's
/// method between the best grid value's neighbours. Returns `(x, shown value)`.
fn optimum(s: &SeriesSpec, o: &Optimum, at: At<'_>, minima: &Minima) -> Result<Vec<(f64, f64)>> {
    let key = Minima::key(s, o, at);
    let cached = minima.0.lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
    let found = match cached {
        Some(m) => m,
        None => {
            let m = minimise(s, o, at)?;
            minima.0.lock().unwrap_or_else(|p| p.into_inner()).insert(key, m.clone());
            m
        }
    };
    let reference = match o.show {
        Show::Gain => Some(plain(s, o.quantity, at, Some((&o.over, o.reference)))?),
        _ => None,
    };
    Ok(found
        .iter()
        .enumerate()
        .map(|(ix, &(x, arg, min))| {
            let shown = match o.show {
                Show::Argmin => arg,
                Show::Min => min,
                Show::Gain => min / reference.as_ref().map_or(f64::NAN, |r| r[ix].1),
            };
            (x, shown)
        })
        .collect())
}

/// `(x, argmin, min)` of the quantity over the parameter at every x.
fn minimise(s: &SeriesSpec, o: &Optimum, at: At<'_>) -> Result<Vec<Minimum>> {
    let scans: Vec<Vec<(f64, f64)>> =
        o.grid.iter().map(|&g| plain(s, o.quantity, at, Some((&o.over, g)))).collect::<Result<_>>()?;
    (0..scans[0].len())
        .map(|ix| {
            let x = scans[0][ix].0;
            let best =
                (0..o.grid.len()).min_by(|&a, &b| scans[a][ix].1.total_cmp(&scans[b][ix].1)).unwrap_or(0);
            let (mut arg, mut min) = (o.grid[best], scans[best][ix].1);
            let (a, b) = (o.grid[best.saturating_sub(1)], o.grid[(best + 1).min(o.grid.len() - 1)]);
            // On an α axis the scan's x are α = p/n0 of distinct rounded p (fewer than the
            // sweep's values when two round alike): refine at that α, which gives the same p.
            let x1 = [if *at.axis == Axis::Alpha { x } else { at.xs[ix] }];
            let problem = Objective { s, o, at: At { xs: &x1, ..at } };
            let found = brent::minimum(problem, (a, b), arg, (1e-6, 1e-9), 100).map_err(|e| {
                Error::Numerical(format!("{}: minimising over {}: {e}", s.context, o.over.symbol()))
            })?;
            if let (Some(g), c) = found {
                if c < min {
                    (arg, min) = (g, c);
                }
            }
            Ok((x, arg, min))
        })
        .collect()
}

/// The measure of a series at every x of a sweep (and a heat map's y value).
fn measure(s: &SeriesSpec, at: At<'_>, minima: &Minima) -> Result<Vec<(f64, f64)>> {
    match &s.measure {
        Measure::Plain(q) => plain(s, *q, at, None),
        Measure::Optimum(o) => optimum(s, o, at, minima),
    }
}

/// The validations behind a series' markers: one config with every simulated sample
/// size on an α axis, else one config per simulated x (with its x).
fn marker_configs(panel: &PanelSpec, s: &SeriesSpec) -> Result<Vec<(Option<f64>, Config)>> {
    let (axis, xs) = (&panel.sweep.axis, &panel.sweep.simulate);
    let simulated = matches!(
        s.measure,
        Measure::Plain(
            Quantity::Error
                | Quantity::Bias
                | Quantity::Variance
                | Quantity::TrainError
                | Quantity::TestMse
                | Quantity::Deviation
                | Quantity::UncentredError
        )
    );
    if xs.is_empty() || !s.markers || !simulated || matches!(axis, Axis::Budget | Axis::Compute | Axis::Index)
    {
        return Ok(vec![]);
    }
    if *axis == Axis::Samples {
        let mut cfg = s.config.clone();
        let mut ps: Vec<usize> = xs.iter().map(|x| x.round() as usize).collect();
        ps.dedup();
        cfg.set_samples(ps).map_err(|m| point_error(s, m))?;
        return Ok(vec![(None, cfg)]);
    }
    if *axis == Axis::Alpha {
        let cfg = with_alphas(&s.config, xs).map_err(|m| point_error(s, m))?;
        return Ok(vec![(None, cfg)]);
    }
    // A step axis is simulated at once: one draw per trial (gradient descent) or one run
    // (SGD) for every step count.
    if *axis == Axis::Steps {
        return Ok(vec![(None, s.config.clone())]);
    }
    xs.iter()
        .map(|&x| Ok((Some(x), point_config(s, axis, Some(x), None, None).map_err(|m| point_error(s, m))?)))
        .collect()
}

/// The store key of every point a figure's markers simulate, with its number of trials
/// (what a figure refers to in the results store).
pub(crate) fn marker_keys(spec: &FigureSpec, sim: &RunOptions) -> Result<Vec<(PointKey, usize)>> {
    let opts = marker_options(spec, sim)?;
    let mut out = Vec::new();
    if !sim.simulate || spec.kind == FigureKind::Heatmap {
        return Ok(out);
    }
    for panel in &spec.panels {
        for s in &panel.series {
            for (_, cfg) in marker_configs(panel, s)? {
                if let (Axis::NetworkWidth | Axis::Richness, crate::spec::Training::Features(t)) =
                    (&panel.sweep.axis, cfg.training())
                {
                    if let crate::spec::Steps::Count(k) = t.steps {
                        out.extend(features::point_keys(&cfg, &[k], &opts));
                    }
                    continue;
                }
                if panel.sweep.axis != Axis::Steps {
                    out.extend(validate::point_keys(&cfg, &opts)?);
                    continue;
                }
                let ks = stepped::steps(&panel.sweep.simulate)?;
                match cfg.training() {
                    crate::spec::Training::Features(_) => out.extend(features::point_keys(&cfg, &ks, &opts)),
                    _ => out.extend(stepped::point_keys(&cfg, &ks, &opts)?),
                }
            }
        }
    }
    Ok(out)
}

/// Markers of a step axis: gradient descent's trials (one draw per trial for every step
/// count) or one-pass SGD's runs, with the median beside the mean.
fn step_markers(
    panel: &PanelSpec,
    s: &SeriesSpec,
    q: Quantity,
    sim: &RunOptions,
    progress: &dyn Progress,
) -> Result<Vec<Marker>> {
    let ks = stepped::steps(&panel.sweep.simulate)?;
    let noise = s.config.model().noise();
    if let crate::spec::Training::Features(_) = s.config.training() {
        return feature_markers(s, q, &ks, sim, progress);
    }
    let from = |x: f64, m: &Summary, theory: f64| {
        let (lo, hi) = m.ci95.unwrap_or((m.mean, m.mean));
        Marker { x, mean: m.mean, low: lo, high: hi, z: m.z(theory), median: None }
    };
    let shift = |mut m: Marker, by: f64| {
        (m.mean, m.low, m.high) = (m.mean + by, m.low + by, m.high + by);
        m.median = m.median.map(|(a, b, c)| (a + by, b + by, c + by));
        m
    };
    Ok(match stepped::run(&s.config, &ks, Some(sim), progress)? {
        Stepped::Descent { rows, simulated: Some((sums, _)), .. } => rows[0]
            .points
            .iter()
            .zip(&sums)
            .map(|(t, (e, tr))| {
                let k = t.descent.map_or(f64::INFINITY, |d| d.steps);
                match q {
                    Quantity::TrainError => from(k, tr, t.train_error),
                    Quantity::TestMse => shift(from(k, e, t.error), noise),
                    _ => from(k, e, t.error),
                }
            })
            .collect(),
        Stepped::Sgd { curve, simulated: Some((runs, _)), .. } => curve
            .points
            .iter()
            .zip(&runs)
            .map(|(p, (m, med))| {
                let mut marker = from(p.steps, m, p.error);
                if med.median.is_finite() {
                    let (lo, hi) = med.interval.unwrap_or((med.median, med.median));
                    marker.median = Some((med.median, lo, hi));
                }
                if q == Quantity::TestMse {
                    marker = shift(marker, noise);
                }
                marker
            })
            .collect(),
        // A shard fills the store; a diverged curve has nothing to compare with.
        _ => vec![],
    })
}

fn marker_options(spec: &FigureSpec, sim: &RunOptions) -> Result<Simulation> {
    spec.simulation.with(&sim.overrides)
}

fn series_markers(
    panel: &PanelSpec,
    s: &SeriesSpec,
    opts: &Simulation,
    sim: &RunOptions,
    progress: &dyn Progress,
) -> Result<Vec<Marker>> {
    let q = match &s.measure {
        Measure::Plain(q) => *q,
        Measure::Optimum(_) => return Ok(vec![]),
    };
    if panel.sweep.axis == Axis::Steps {
        return if marker_configs(panel, s)?.is_empty() {
            Ok(vec![])
        } else {
            step_markers(panel, s, q, sim, progress)
        };
    }
    if matches!(panel.sweep.axis, Axis::NetworkWidth | Axis::Richness) {
        let mut out = Vec::new();
        for (x, cfg) in marker_configs(panel, s)? {
            let crate::spec::Training::Features(t) = cfg.training() else { continue };
            let crate::spec::Steps::Count(k) = t.steps else { continue };
            let plotted =
                x.map_or(0.0, |x| if panel.sweep.axis == Axis::NetworkWidth { x.round() } else { x });
            out.extend(width_markers(&cfg, q, k, plotted, sim, progress)?);
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    for (x, cfg) in marker_configs(panel, s)? {
        if let (Some(shard), Some(store)) = (sim.shard, &sim.store) {
            validate::run_shard(&cfg, opts, store, shard, progress)?;
            continue;
        }
        let v = validate::run_stored(&cfg, opts, sim.store.as_deref(), progress)?;
        match x {
            None => {
                let samples_axis = panel.sweep.axis == Axis::Samples;
                let at = |r: &Row| if samples_axis { r.samples as f64 } else { r.alpha };
                out.extend(v.rows.iter().map(|r| marker(q, at(r), r, cfg.model().noise())))
            }
            Some(x) => {
                out.push(marker(q, panel.sweep.axis.plotted(&cfg, x), &v.rows[0], cfg.model().noise()))
            }
        }
    }
    Ok(out)
}

/// Markers of a network with every layer trained: networks of the config's width on the
/// same training sets as the theory, their mean over networks and sets with the paired
/// standard error (95 % interval ±1.96 of it) and z.
fn feature_markers(
    s: &SeriesSpec,
    q: Quantity,
    ks: &[u64],
    sim: &RunOptions,
    progress: &dyn Progress,
) -> Result<Vec<Marker>> {
    let report = features::run(&s.config, ks, Some(sim), &features::FeatureOptions::default(), progress)?;
    let noise = s.config.model().noise();
    let Some((_, rows)) = report.simulated.as_ref() else { return Ok(vec![]) };
    Ok(rows
        .iter()
        .filter_map(|w| {
            if q == Quantity::UncentredError {
                let (mean, se, z) = uncentred_marker(w)?;
                let half = 1.96 * se;
                return Some(Marker {
                    x: w.steps as f64,
                    mean,
                    low: mean - half,
                    high: mean + half,
                    z,
                    median: None,
                });
            }
            let (mean, shift) = match q {
                Quantity::Error => (w.error?, 0.0),
                Quantity::TestMse => (w.error?, noise),
                Quantity::TrainError => {
                    let m = w.train_error?;
                    return Some(Marker {
                        x: w.steps as f64,
                        mean: m,
                        low: m,
                        high: m,
                        z: None,
                        median: None,
                    });
                }
                _ => return None,
            };
            let half = 1.96 * w.error_stderr.unwrap_or(0.0);
            Some(Marker {
                x: w.steps as f64,
                mean: mean + shift,
                low: mean + shift - half,
                high: mean + shift + half,
                z: w.z,
                median: None,
            })
        })
        .collect())
}

/// Markers of networks of one width N (the config's) at step k: their mean E_g paired by
/// training set, or N·⟨|β_N − β_∞|²⟩ with its standard error, plotted at x = N.
fn width_markers(
    cfg: &Config,
    q: Quantity,
    k: u64,
    n: f64,
    sim: &RunOptions,
    progress: &dyn Progress,
) -> Result<Vec<Marker>> {
    let report = features::run(cfg, &[k], Some(sim), &features::FeatureOptions::default(), progress)?;
    let Some((_, rows)) = report.simulated.as_ref() else { return Ok(vec![]) };
    Ok(rows
        .iter()
        .filter_map(|w| {
            let (mean, se, z) = match q {
                Quantity::Deviation => (w.deviation?, w.deviation_stderr.unwrap_or(0.0), None),
                Quantity::Error => (w.error?, w.error_stderr.unwrap_or(0.0), w.z),
                Quantity::UncentredError => uncentred_marker(w)?,
                _ => return None,
            };
            let half = 1.96 * se;
            Some(Marker { x: n, mean, low: mean - half, high: mean + half, z, median: None })
        })
        .collect())
}

/// Uncentred networks: their mean, paired standard error and z (the job pairs them with the
/// infinite-width E_g plus the lazy extra error of their initial function).
fn uncentred_marker(w: &features::WidthRow) -> Option<(f64, f64, Option<f64>)> {
    Some((w.error?, w.error_stderr?, w.z))
}

/// Forwards only cancellation and notes: a figure's inner validations must stop with the
/// run, without redrawing the figures' progress bar.
struct Inner<'a>(&'a dyn Progress);

impl Progress for Inner<'_> {
    fn cancelled(&self) -> bool {
        self.0.cancelled()
    }
    fn note(&self, note: &Note) {
        // The figure warns once about low effective ranks, for all its points, and has its
        // own progress bar instead of each validation's estimate.
        if !matches!(note, Note::LowEffectiveRank { .. } | Note::LongRun { .. }) {
            self.0.note(note)
        }
    }
}

/// The smallest effective rank of M over the points of a series with a nonlinear layer
/// (`None` for a linear series).
fn min_effective_rank(panel: &PanelSpec, s: &SeriesSpec) -> Result<Option<f64>> {
    if !s.config.model().has_nonaffine_layer() {
        return Ok(None);
    }
    let axis = &panel.sweep.axis;
    let xs: Vec<Option<f64>> = if *axis == Axis::Alpha {
        vec![None]
    } else {
        panel.sweep.values.iter().copied().map(Some).collect()
    };
    let mut min = f64::INFINITY;
    for x in xs {
        let cfg = point_config(s, axis, x, None, None).map_err(|m| point_error(s, m))?;
        if cfg.model().has_nonaffine_layer() {
            min = min.min(Model::effective_rank_of(cfg.model(), &Silent)?);
        }
    }
    Ok(min.is_finite().then_some(min))
}

/// One warning line for a figure with nonlinear series whose inputs have a low effective
/// rank: the smallest rank, and which series.
fn warn_low_effective_rank(spec: &FigureSpec, progress: &dyn Progress) -> Result<()> {
    let mut low: Vec<(String, f64)> = Vec::new();
    for panel in &spec.panels {
        for s in &panel.series {
            if let Some(r) = min_effective_rank(panel, s)? {
                if r < MIN_EFFECTIVE_RANK {
                    low.push((s.context.clone(), r));
                }
            }
        }
    }
    if let Some(r) = low.iter().map(|(_, r)| *r).min_by(f64::total_cmp) {
        let series: Vec<&str> = low.iter().map(|(c, _)| c.as_str()).collect();
        let source = format!("{} ({})", spec.path.display(), series.join(", "));
        progress.note(&Note::LowEffectiveRank { source, rank: r });
    }
    Ok(())
}

fn heat(panel: &PanelSpec, minima: &Minima) -> Result<Heat> {
    let s = &panel.series[0];
    let ys = panel.sweep_y.as_ref().expect("heat maps have a y sweep");
    let rows: Vec<(f64, Vec<(f64, f64)>)> = ys
        .values
        .par_iter()
        .map(|&y| {
            let at = At {
                axis: &panel.sweep.axis,
                xs: &panel.sweep.values,
                y: Some((&ys.axis, y)),
                frontiers: &Frontiers::default(),
            };
            let row = measure(s, at, minima)?;
            let cfg = point_config(s, &panel.sweep.axis, None, Some((&ys.axis, y)), None)
                .map_err(|m| point_error(s, m))?;
            Ok((ys.axis.plotted(&cfg, y), row))
        })
        .collect::<Result<_>>()?;
    Ok(Heat {
        xs: rows[0].1.iter().map(|c| c.0).collect(),
        ys: rows.iter().map(|r| r.0).collect(),
        z: rows.iter().map(|r| r.1.iter().map(|c| c.1).collect()).collect(),
    })
}

impl FigureData {
    /// Number of markers with a z-score, and the largest |z| among them (theory at the
    /// simulated sizes).
    pub fn agreement(&self) -> (usize, Option<f64>) {
        self.max_abs_z(false)
    }

    /// As [`FigureData::agreement`], over the panels that show where the theory fails on
    /// purpose (`shows_failure`).
    pub fn failure_agreement(&self) -> (usize, Option<f64>) {
        self.max_abs_z(true)
    }

    fn max_abs_z(&self, failure: bool) -> (usize, Option<f64>) {
        let zs: Vec<f64> = self
            .panels
            .iter()
            .filter(|p| p.spec.shows_failure == failure)
            .flat_map(|p| &p.series)
            .flat_map(|s| &s.markers)
            .filter_map(|m| m.z)
            .collect();
        (zs.len(), zs.iter().map(|z| z.abs()).fold(None, |m: Option<f64>, z| Some(m.map_or(z, |m| m.max(z)))))
    }
}

/// Computes every panel of a figure (simulation markers unless disabled).
pub fn compute(spec: &FigureSpec, sim: &RunOptions) -> Result<FigureData> {
    compute_observed(spec, sim, &Silent)
}

/// As [`compute`], stopping when `progress` is cancelled and passing on its notes. With a
/// shard only the markers' trials are computed (into the store); the figure is empty.
pub(crate) fn compute_observed(
    spec: &FigureSpec,
    sim: &RunOptions,
    progress: &dyn Progress,
) -> Result<FigureData> {
    let opts = marker_options(spec, sim)?;
    warn_low_effective_rank(spec, progress)?;
    let inner = Inner(progress);
    let minima = Minima::default();
    let frontiers = Frontiers::default();
    let simulate = sim.simulate && spec.panels.iter().any(|p| !p.sweep.simulate.is_empty());
    let mut panels = Vec::with_capacity(spec.panels.len());
    let mut sim_dims = Vec::new();
    for panel in &spec.panels {
        if spec.kind == FigureKind::Heatmap {
            if sim.shard.is_some() {
                continue; // heat maps are theory only
            }
            panels.push(PanelData { spec: panel.clone(), series: vec![], heat: Some(heat(panel, &minima)?) });
            continue;
        }
        let series = panel
            .series
            .par_iter()
            .enumerate()
            .map(|(i, s)| -> Result<SeriesData> {
                let at =
                    At { axis: &panel.sweep.axis, xs: &panel.sweep.values, y: None, frontiers: &frontiers };
                let theory = if sim.shard.is_some() { vec![] } else { measure(s, at, &minima)? };
                let markers = if simulate { series_markers(panel, s, &opts, sim, &inner)? } else { vec![] };
                Ok(SeriesData {
                    label: s.label.clone(),
                    measure: s.measure.clone(),
                    dashed: s.dashed,
                    color: s.color.unwrap_or(i),
                    theory,
                    markers,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if simulate && !panel.sweep.simulate.is_empty() {
            sim_dims.push(crate::spec::rules::scale_size(panel.series[0].config.model().dim(), opts.scale));
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
        let inputs = match opts.inputs {
            crate::spec::Inputs::Gaussian => "",
            crate::spec::Inputs::Data => {
                " on the dataset's real inputs (rows drawn with replacement, E_g over all of them)"
            }
        };
        let medians = panels.iter().flat_map(|p| &p.series).flat_map(|s| &s.markers).any(|m| m.median.is_some());
        let median = if medians {
            " Triangles: the median run (one run's risk is heavy-tailed; the theory is the mean)."
        } else {
            ""
        };
        // Networks with every layer trained: S networks per training set, of the config's width.
        let features = spec.panels.iter().flat_map(|p| &p.series).find_map(|s| match s.config.training() {
            crate::spec::Training::Features(t) if s.markers => Some(t.datasets),
            _ => None,
        });
        match features {
            Some(sets) => format!(
                "Lines: infinite-width theory, mean over {sets} training sets. Markers: networks of the width given, {} per training set on the same sets, mean ± 95% interval paired by set.",
                opts.trials
            ),
            None => format!(
                "Lines: theory. Markers: simulation mean{interval} over {} trials at n₀ = {n0}{scale}{inputs}.{median}",
                opts.trials
            ),
        }
    });
    Ok(FigureData { spec: spec.clone(), panels, simulation_note })
}
