//! The `dynamics` job (DYNAMICS.md): E_g(t) and E_tr(t) of gradient flow along a time axis
//! at every sample size of a config, with early stopping beside the optimal ridge.

use crate::jobs::run::RunOptions;
use crate::simulation::Filter;
use crate::spec::text::num;
use crate::spec::{Config, Ensemble, Error, Result, Ridge};
use crate::support::output::{Cell, Format, Table};
use crate::support::progress::Progress;
use crate::support::stats::Summary;
use crate::theory::TimePoint;

/// Largest number of times of an axis.
pub const MAX_TIMES: usize = 10_000;

/// Checks a list of times (each finite and > 0, 1 to [`MAX_TIMES`] of them); errors name
/// the option `times`.
pub fn times(values: Vec<f64>) -> Result<Vec<f64>> {
    if values.is_empty() || values.len() > MAX_TIMES {
        return Err(Error::option("times", format!("expected 1 to {MAX_TIMES} times, got {}", values.len())));
    }
    for &t in &values {
        crate::spec::rules::time(t).map_err(|e| Error::option("times", e.0))?;
    }
    Ok(values)
}

/// `points` log-spaced times from `from` to `to` (0 < from ≤ to, 1 ≤ points ≤
/// [`MAX_TIMES`]); the count is checked before anything is allocated.
pub fn time_range(from: f64, to: f64, points: i64) -> Result<Vec<f64>> {
    if !(from.is_finite() && to.is_finite() && from > 0.0 && to >= from) {
        return Err(Error::option("times", format!("expected 0 < FROM ≤ TO, got {}:{}", num(from), num(to))));
    }
    if !(1..=MAX_TIMES as i64).contains(&points) {
        return Err(Error::option("times", format!("expected 1 to {MAX_TIMES} times, got {points}")));
    }
    // Log spacing leaves 0.10000000000000002 for 0.1: snap to 12 significant digits.
    let snap = |x: f64| format!("{x:.11e}").parse::<f64>().unwrap_or(x);
    times(crate::spec::rules::spaced(from, to, points as usize, true).into_iter().map(snap).collect())
}

/// The axis a dynamics run follows: times (gradient flow) or step counts (gradient descent,
/// SGD).
#[derive(Clone, Debug, PartialEq)]
pub enum Axis {
    Times(Vec<f64>),
    Steps(Vec<u64>),
}

/// A dynamics report: gradient flow along times, or a training with a step along steps.
#[derive(Clone, Debug)]
pub enum Report {
    Flow(Dynamics),
    Stepped(crate::jobs::stepped::Stepped),
    Features(crate::jobs::features::FeatureReport),
}

/// The axis of a run from what the caller gave: times or step counts, exactly one of them
/// (errors name the option `times`).
pub fn axis(times: Option<Vec<f64>>, steps: Option<Vec<u64>>) -> Result<Axis> {
    match (times, steps) {
        (Some(t), None) => Ok(Axis::Times(self::times(t)?)),
        (None, Some(k)) => Ok(Axis::Steps(k)),
        (Some(_), Some(_)) => {
            Err(Error::option("times", "give times (gradient flow) or step counts (gd, sgd), not both"))
        }
        (None, None) => Err(Error::option("times", "give times (gradient flow) or step counts (gd, sgd)")),
    }
}

impl Report {
    /// The axis (`points`) and the per-run summary (`summary`) tables.
    pub fn points_table(&self) -> Table {
        match self {
            Report::Flow(d) => d.table(),
            Report::Stepped(s) => s.table(),
            Report::Features(f) => f.points_table(),
        }
    }

    /// See [`Report::points_table`].
    pub fn summary_table(&self) -> Table {
        match self {
            Report::Flow(d) => d.summary_table(),
            Report::Stepped(s) => s.summary_table(),
            Report::Features(f) => f.summary_table(),
        }
    }

    /// Tables beyond the points and the summary: with every layer trained `datasets` (one row
    /// per training set and step) and, with a simulation, `widths`.
    pub fn extra_tables(&self) -> Vec<(&'static str, Table)> {
        match self {
            Report::Features(f) => {
                let mut out = vec![("datasets", f.datasets_table())];
                if f.simulated.is_some() {
                    out.push(("widths", f.widths_table()));
                }
                out
            }
            _ => Vec::new(),
        }
    }

    /// CSV: one table (`points` or `summary`); JSON: both (see each report).
    pub fn render(&self, source: &str, format: Format, table: Option<&str>) -> Result<String> {
        match self {
            Report::Flow(d) => d.render(source, format, table),
            Report::Stepped(s) => s.render(source, format, table),
            Report::Features(f) => f.render(source, format, table),
        }
    }

    /// With a simulation: the number of points, the trials per sample size and the largest
    /// |z| of E_g.
    pub fn simulation_check(&self) -> Option<(usize, usize, f64)> {
        match self {
            Report::Flow(d) => Some((d.points.len(), d.trials?, d.max_abs_z()?)),
            Report::Stepped(s) => s.simulation_check().map(|(t, z)| (s.len(), t, z)),
            Report::Features(f) => f.simulation_check(),
        }
    }

    /// What the user must be told beside the numbers (diverging steps, heavy tails).
    pub fn warnings(&self) -> Vec<String> {
        match self {
            Report::Flow(_) => Vec::new(),
            Report::Stepped(s) => s.warnings(),
            Report::Features(f) => f.warnings(),
        }
    }
}

/// Runs the dynamics of a config along `axis`: gradient flow takes times (`[readout] time`'s
/// training), gradient descent and SGD (`[training]`) take step counts; the other pairing
/// is an error naming the option. `simulate` adds trained networks beside the theory.
pub fn run_axis(
    config: &Config,
    axis: &Axis,
    simulate: Option<&RunOptions>,
    options: &crate::jobs::features::FeatureOptions,
    progress: &dyn Progress,
) -> Result<Report> {
    let features = matches!(config.training(), crate::spec::Training::Features(_));
    if features {
        return match axis {
            Axis::Steps(steps) => {
                crate::jobs::features::run(config, steps, simulate, options, progress).map(Report::Features)
            }
            Axis::Times(_) => {
                Err(Error::option("times", "every layer trained runs along step counts (steps), not times"))
            }
        };
    }
    if options.is_set() {
        let option = if options.widths.is_some() { "widths" } else { "save-datasets" };
        return Err(Error::option(
            option,
            "only for networks with every layer trained ([training] layers = \"all\")",
        ));
    }
    let stepped =
        matches!(config.training(), crate::spec::Training::Descent(_) | crate::spec::Training::Sgd(_));
    match (axis, stepped) {
        (Axis::Times(times), false) => run_with(config, times, simulate, progress).map(Report::Flow),
        (Axis::Steps(steps), true) => crate::jobs::stepped::run(config, steps, simulate, progress).map(Report::Stepped),
        (Axis::Steps(_), false) => Err(Error::option(
            "steps",
            "step counts are for gradient descent and SGD ([training] optimizer = \"gd\" or \"sgd\"); gradient flow takes times",
        )),
        (Axis::Times(_), true) => Err(Error::option(
            "times",
            format!(
                "[training] optimizer = \"{}\" runs along step counts (steps), not times",
                config.training().optimizer().name()
            ),
        )),
    }
}

/// Early stopping at one sample size, beside the converged readout and the optimal ridge.
#[derive(Clone, Debug, PartialEq)]
pub struct EarlyStop {
    pub samples: f64,
    /// t* minimising E_g(t) at the config's λ (∞ when no finite time beats convergence).
    pub t_star: f64,
    /// E_g(t*).
    pub error_t_star: f64,
    /// E_g(∞): the converged readout at the config's λ.
    pub error_converged: f64,
    /// λ* of the converged readout and its E_g.
    pub ridge_star: f64,
    pub error_ridge_star: f64,
}

/// A time axis at every sample size, with its early-stopping summary.
#[derive(Clone, Debug)]
pub struct Dynamics {
    pub ridge: f64,
    pub noise: f64,
    /// Sample size by sample size, time by time.
    pub points: Vec<TimePoint>,
    pub summary: Vec<EarlyStop>,
    /// With a simulation: exact gradient flow at every point (E_g and E_tr summaries).
    pub simulated: Option<Vec<(Summary, Summary)>>,
    /// Trials per sample size of the simulation.
    pub trials: Option<usize>,
}

/// Runs the dynamics of a config (a linear network with a fixed ridge) over `times`;
/// progress counts one unit per sample size.
pub fn run(config: &Config, times: &[f64], progress: &dyn Progress) -> Result<Dynamics> {
    run_with(config, times, None, progress)
}

/// As [`run`], with exact gradient-flow trials at every point when `simulate` is given:
/// `trials` trained networks per sample size, each followed along the whole time axis (one
/// draw, one eigendecomposition), streams keyed by (seed, p, trial) as in `validate`,
/// looked up in and kept in the run's store under the keys `validate` gives a trial at each
/// time (so the two share their trials, and an interrupted run resumes). With a shard only
/// its trajectories are computed into the store, and nothing is summarised.
pub fn run_with(
    config: &Config,
    times: &[f64],
    simulate: Option<&RunOptions>,
    progress: &dyn Progress,
) -> Result<Dynamics> {
    if config.ensemble().is_some() {
        return Err(Error::input(config.source(), "readout.ensemble", crate::spec::DYNAMICS_SINGLE));
    }
    let ridge = match config.ridge() {
        Ridge::Fixed(l) => l,
        Ridge::Optimal => {
            return Err(Error::input(
                config.source(),
                "readout.ridge",
                "the dynamics are of gradient flow at a fixed ridge λ ≥ 0 (λ* is reported beside them)",
            ))
        }
    };
    let theory = crate::jobs::prologue::theory(config, progress)?;
    let per_p: Vec<(Vec<TimePoint>, EarlyStop)> =
        crate::jobs::sweep::per_sample(config, "dynamics", progress, |p| {
            let pts = theory.points_at_times(p, ridge, times)?;
            let stop = theory.optimal_time(p, ridge)?;
            let converged = theory.point_at(p, ridge)?;
            let best = theory.optimal_point_at(p, Ensemble::SINGLE)?;
            Ok((
                pts,
                EarlyStop {
                    samples: p,
                    t_star: stop.time,
                    error_t_star: stop.error,
                    error_converged: converged.error,
                    ridge_star: best.ridge,
                    error_ridge_star: best.error,
                },
            ))
        })?;
    let (points, summary): (Vec<Vec<TimePoint>>, Vec<EarlyStop>) = per_p.into_iter().unzip();
    let simulated = match simulate {
        None => None,
        // A shard only fills the store: no summaries of a part of the trials.
        Some(run) if run.shard.is_some() => {
            crate::jobs::trajectory::simulate_axis(
                config,
                ridge,
                &flow_filters(config, times),
                run,
                progress,
            )?;
            None
        }
        Some(run) => Some(crate::jobs::trajectory::simulate_axis(
            config,
            ridge,
            &flow_filters(config, times),
            run,
            progress,
        )?),
    };
    Ok(Dynamics {
        ridge,
        noise: config.model().noise(),
        points: points.into_iter().flatten().collect(),
        summary,
        trials: simulated
            .as_ref()
            .and(simulate.map(|run| run.simulation(config)).transpose()?.map(|s| s.trials)),
        simulated,
    })
}

/// Gradient flow's filters: the same times at every sample size.
fn flow_filters(config: &Config, times: &[f64]) -> Vec<Vec<Filter>> {
    vec![times.iter().map(|&t| Filter::Flow(t)).collect(); config.samples().len()]
}

impl Dynamics {
    /// `samples, time, error, bias, variance, train_error, test_mse`, and with a simulation
    /// `mc_mean, mc_stderr, z, train_mc_mean`.
    pub fn table(&self) -> Table {
        let mut columns: Vec<String> =
            ["samples", "time", "error", "bias", "variance", "train_error", "test_mse"]
                .map(String::from)
                .to_vec();
        if self.simulated.is_some() {
            columns.extend(["mc_mean", "mc_stderr", "z", "train_mc_mean"].map(String::from));
        }
        let rows = self
            .points
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut row = vec![Cell::Int(t.samples as u64)];
                row.extend(
                    [t.time, t.error, t.bias, t.variance, t.train_error, t.error + self.noise].map(Cell::Num),
                );
                if let Some(sim) = &self.simulated {
                    let (e, tr) = &sim[i];
                    row.extend([Cell::Num(e.mean), e.stderr.into(), e.z(t.error).into(), Cell::Num(tr.mean)]);
                }
                row
            })
            .collect();
        Table { columns, rows }
    }

    /// The largest |z| of the simulated points (None without a simulation or a stderr).
    pub fn max_abs_z(&self) -> Option<f64> {
        let sim = self.simulated.as_ref()?;
        sim.iter().zip(&self.points).filter_map(|((e, _), t)| e.z(t.error)).map(f64::abs).reduce(f64::max)
    }

    /// `samples, t_star, error_t_star, error_converged, ridge_star, error_ridge_star`.
    pub fn summary_table(&self) -> Table {
        let columns =
            ["samples", "t_star", "error_t_star", "error_converged", "ridge_star", "error_ridge_star"];
        let rows = self
            .summary
            .iter()
            .map(|s| {
                let mut row = vec![Cell::Int(s.samples as u64)];
                row.extend(
                    [s.t_star, s.error_t_star, s.error_converged, s.ridge_star, s.error_ridge_star]
                        .map(Cell::Num),
                );
                row
            })
            .collect();
        Table { columns: columns.map(String::from).to_vec(), rows }
    }

    /// The report's tables by name: `points` (the time axis, a CSV's default) and `summary`.
    pub fn tables(&self) -> Vec<(&'static str, Table)> {
        vec![("points", self.table()), ("summary", self.summary_table())]
    }

    /// CSV: one table (`table`, default `points`; see [`Dynamics::tables`]). JSON: `points`
    /// (the axis) and `summary`, beside `program`, `version`, `config` and `ridge`.
    pub fn render(&self, source: &str, format: Format, table: Option<&str>) -> Result<String> {
        let tables = self.tables();
        crate::support::output::render_tables(&tables, table, format, source, || {
            serde_json::json!({
                "ridge": self.ridge,
                "points": self.table().json_rows(),
                "summary": self.summary_table().json_rows(),
            })
        })
    }
}
