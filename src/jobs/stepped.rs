//! The `dynamics` job for trainings with a step (TRAINING.md): full-batch gradient descent
//! at every sample size, and one-pass SGD (no sample size: samples seen = k·B), along a
//! step axis.

use crate::jobs::run::RunOptions;
use crate::jobs::store::{PointKey, Record};
use crate::simulation::Filter;
use crate::spec::text::num;
use crate::spec::{Config, Descent, Error, OnlineSgd, Result, Ridge, Training, MAX_STEPS};
use crate::support::output::{Cell, Format, Table};
use crate::support::progress::Progress;
use crate::support::stats::{median, summarize, Median, Summary};
use crate::theory::{SgdCurve, TimePoint};

/// Largest number of step counts of an axis.
pub const MAX_STEP_COUNTS: usize = 10_000;

/// Checks a list of step counts (integers 0 … 10¹⁵, 1 to [`MAX_STEP_COUNTS`] of them);
/// errors name the option `steps`.
pub fn steps(values: &[f64]) -> Result<Vec<u64>> {
    if values.is_empty() || values.len() > MAX_STEP_COUNTS {
        return Err(Error::option(
            "steps",
            format!("expected 1 to {MAX_STEP_COUNTS} step counts, got {}", values.len()),
        ));
    }
    values
        .iter()
        .map(|&k| {
            if k >= 0.0 && k.fract() == 0.0 && k <= MAX_STEPS as f64 {
                Ok(k as u64)
            } else {
                Err(Error::option("steps", format!("expected step counts k from 0 to 10^15, got {}", num(k))))
            }
        })
        .collect()
}

/// `points` log-spaced step counts from `from` to `to` (1 ≤ from ≤ to ≤ 10¹⁵), rounded to
/// integers, repeats removed (so a short range gives fewer counts); checked before
/// anything is allocated.
pub fn step_range(from: f64, to: f64, points: i64) -> Result<Vec<u64>> {
    if !(from >= 1.0 && to >= from && to <= MAX_STEPS as f64) {
        return Err(Error::option(
            "steps",
            format!("expected 1 ≤ FROM ≤ TO ≤ 10^15, got {}:{}", num(from), num(to)),
        ));
    }
    if !(1..=MAX_STEP_COUNTS as i64).contains(&points) {
        return Err(Error::option(
            "steps",
            format!("expected 1 to {MAX_STEP_COUNTS} step counts, got {points}"),
        ));
    }
    let mut ks: Vec<u64> = crate::spec::rules::spaced(from, to, points as usize, true)
        .into_iter()
        .map(|k| k.round() as u64)
        .collect();
    ks.dedup();
    Ok(ks)
}

/// Gradient descent at one sample size: the step, its edge and the curve.
#[derive(Clone, Debug)]
pub struct DescentRow {
    pub samples: f64,
    /// η (resolved per sample size for a fraction of the edge).
    pub step: f64,
    /// 2/(x₊ + λ) and x₊.
    pub step_edge: f64,
    pub top_edge: f64,
    /// Beyond the edge: E_g's growth per step (no points).
    pub growth: Option<f64>,
    pub points: Vec<TimePoint>,
    /// Discrete early stopping (k* = ∞ when no k beats convergence) and the converged
    /// readout; `None` beyond the edge.
    pub best: Option<TimePoint>,
    pub error_converged: Option<f64>,
}

/// The report of a training with a step along a step axis.
#[derive(Clone, Debug)]
pub enum Stepped {
    Descent {
        ridge: f64,
        noise: f64,
        rows: Vec<DescentRow>,
        /// With `--validate`: E_g and E_tr summaries of exact gradient-descent trials at
        /// every point, in the order of the points, and the trials per sample size.
        simulated: Option<(Vec<(Summary, Summary)>, usize)>,
    },
    Sgd {
        noise: f64,
        curve: Box<SgdCurve>,
        /// With `--validate`: per point the mean summary and the median with its 95 %
        /// order-statistic interval of real one-pass SGD runs, and the runs.
        simulated: Option<SgdRuns>,
    },
}

/// One-pass SGD runs beside the theory: per point the mean summary and the median with its
/// interval, and the number of runs.
pub type SgdRuns = (Vec<(Summary, Median)>, usize);

/// A training with a step.
enum Kind {
    Descent(Descent),
    Sgd(OnlineSgd),
}

/// The training with a step of a config, with its fixed ridge (the weight decay).
fn stepped(config: &Config) -> Result<(Kind, f64)> {
    let kind = match config.training() {
        Training::Descent(d) => Kind::Descent(d),
        Training::Sgd(s) => Kind::Sgd(s),
        _ => {
            return Err(Error::input(
                config.source(),
                "training.optimizer",
                "a step axis is for gradient descent and SGD ([training] optimizer = \"gd\" or \"sgd\"); gradient flow takes times",
            ))
        }
    };
    match config.ridge() {
        Ridge::Fixed(l) => Ok((kind, l)),
        Ridge::Optimal => Err(Error::input(config.source(), "readout.ridge", crate::spec::STEP_RIDGE)),
    }
}

/// Runs gradient descent (every sample size) or one-pass SGD of a config at every step
/// count of `steps`; progress counts one unit per sample size (one for SGD). With
/// `simulate`, trained networks beside the theory: gradient descent through the exact filter
/// of one eigendecomposition per trial (the iterates themselves at fixed η and λ), trials
/// keyed and stored as `validate`'s.
pub fn run(
    config: &Config,
    steps: &[u64],
    simulate: Option<&RunOptions>,
    progress: &dyn Progress,
) -> Result<Stepped> {
    let (training, ridge) = stepped(config)?;
    let theory = crate::jobs::prologue::theory(config, progress)?;
    let noise = config.model().noise();
    match training {
        Kind::Descent(d) => {
            let rows = crate::jobs::sweep::per_sample(config, "gradient descent", progress, |p| {
                descent_row(&theory, p, ridge, d, steps)
            })?;
            let simulated = match simulate {
                None => None,
                Some(run) => {
                    let filters: Vec<Vec<Filter>> = rows
                        .iter()
                        .map(|r| {
                            r.points
                                .iter()
                                .filter_map(|t| t.descent)
                                .map(|d| Filter::Descent { step: d.step, steps: d.steps })
                                .collect()
                        })
                        .collect();
                    let sums =
                        crate::jobs::trajectory::simulate_axis(config, ridge, &filters, run, progress)?;
                    (run.shard.is_none()).then_some((sums, run.simulation(config)?.trials))
                }
            };
            Ok(Stepped::Descent { ridge, noise, rows, simulated })
        }
        Kind::Sgd(s) => {
            progress.start("one-pass SGD", 1);
            let curve = theory.sgd(s, ridge, steps)?;
            progress.advance(1);
            progress.finish();
            let simulated = match simulate {
                Some(run) if curve.diverged.is_none() => simulate_sgd(config, &curve, steps, run, progress)?,
                _ => None,
            };
            Ok(Stepped::Sgd { noise, curve: Box::new(curve), simulated })
        }
    }
}

fn descent_row(theory: &crate::Theory, p: f64, ridge: f64, d: Descent, steps: &[u64]) -> Result<DescentRow> {
    let eta = theory.descent_step(p, ridge, d.step)?;
    let curve = theory.descent(p, ridge, eta, steps)?;
    let (best, error_converged) = if curve.diverged.is_none() {
        (Some(theory.optimal_steps(p, ridge, eta)?), Some(theory.point_at(p, ridge)?.error))
    } else {
        (None, None)
    };
    Ok(DescentRow {
        samples: p,
        step: eta,
        step_edge: curve.step_edge,
        top_edge: curve.top_edge,
        growth: curve.diverged,
        points: curve.points,
        best,
        error_converged,
    })
}

/// Real one-pass SGD runs at the curve's step and batch (TRAINING B4b: F, β* and every batch
/// fresh per run), each followed along the whole step axis, streams keyed by (seed, run),
/// kept in the run's store; `None` for a shard (which only fills the store).
fn simulate_sgd(
    config: &Config,
    curve: &SgdCurve,
    steps: &[u64],
    run: &RunOptions,
    progress: &dyn Progress,
) -> Result<Option<SgdRuns>> {
    run.check()?;
    let s = run.simulation(config)?;
    if s.scale != 1.0 {
        return Err(Error::option(
            "scale",
            "one-pass SGD is simulated at the config's own sizes: the scale must be 1",
        ));
    }
    if s.inputs != crate::spec::Inputs::Gaussian {
        return Err(Error::option("inputs", crate::jobs::trajectory::GAUSSIAN_ONLY));
    }
    // Every run holds its features at once; the runs go in parallel, one per thread.
    let threads = rayon::current_num_threads().min(s.trials).max(1) as f64;
    let bytes = crate::support::resources::simulator_bytes(config.model())
        + threads * crate::support::resources::sgd_run_bytes(config.model());
    crate::support::resources::check_memory(config.source(), "data.dim", "one-pass SGD runs", bytes)?;
    let mut order: Vec<usize> = (0..steps.len()).collect();
    order.sort_by_key(|&i| steps[i]);
    let sorted: Vec<u64> = order.iter().map(|&i| steps[i]).collect();
    let keys = sgd_keys(config, curve, &sorted, &s);
    let stored = crate::jobs::trials::stored(run.store(), keys.iter().copied().collect(), progress)?;
    let from_store = |t: usize| -> Option<Vec<f64>> {
        keys.iter().map(|k| stored.get(&(*k, t as u32)).and_then(|v| v.first().copied())).collect()
    };
    let top = sorted.last().copied().unwrap_or(0);
    // A run costs ∝ its last step count times the batch.
    let cost = |_: usize| (top.max(1)).saturating_mul(curve.batch) / 1000 + 1;
    let mine = run.shard.map(|sh| sh.assign(&(0..s.trials).map(cost).collect::<Vec<_>>()));
    let todo: Vec<usize> =
        (0..s.trials).filter(|&t| mine.as_ref().is_none_or(|m| m[t]) && from_store(t).is_none()).collect();
    let sim = if todo.is_empty() {
        None
    } else {
        let model = crate::model::Model::for_simulation(config.model(), progress)?;
        Some(crate::simulation::Simulator::new(&model)?)
    };
    let params =
        crate::simulation::SgdRun { step: curve.step, batch: curve.batch as usize, decay: curve.decay };
    let compute = |t: usize| -> Result<Vec<f64>> {
        let Some(sim) = sim.as_ref() else {
            return Err(Error::Numerical("no simulator for a missing run".into()));
        };
        let mut rng = crate::simulation::trial_rng(s.seed, 0, t);
        let cancelled = || progress.cancelled();
        sim.sgd_trial(params, &sorted, &mut rng, faer::Par::Seq, &cancelled)?.ok_or(Error::Interrupted {
            done: 0,
            total: s.trials as u64,
            unit: "trial",
        })
    };
    let records = |t: usize, r: &Vec<f64>| -> Vec<Record> {
        keys.iter().zip(r).map(|(k, &e)| Record { key: *k, trial: t as u32, values: vec![e, e, e] }).collect()
    };
    let runs = crate::jobs::trials::Jobs {
        cost: &cost,
        from_store: &from_store,
        compute: &compute,
        records: &records,
    }
    .run(s.trials, &todo, run.store(), progress)?;
    if run.shard.is_some() {
        return Ok(None);
    }
    let runs: Vec<Vec<f64>> = runs
        .into_iter()
        .map(|r| r.ok_or_else(|| Error::Numerical("a run of the simulation is missing".into())))
        .collect::<Result<_>>()?;
    // Back to the caller's order of step counts.
    let mut out: Vec<Option<(Summary, Median)>> = vec![None; steps.len()];
    for (pos, &i) in order.iter().enumerate() {
        let v: Vec<f64> = runs.iter().map(|r| r[pos]).filter(|x| x.is_finite()).collect();
        out[i] = Some((summarize(&v), median(&v)));
    }
    Ok(Some((out.into_iter().flatten().collect(), s.trials)))
}

/// The store keys of one-pass SGD runs after each step count (one record per run and count).
fn sgd_keys(config: &Config, curve: &SgdCurve, steps: &[u64], s: &crate::spec::Simulation) -> Vec<PointKey> {
    let base = PointKey::new(config.model(), 0, curve.decay, None, s.seed, s.test_samples);
    steps.iter().map(|&k| base.with_sgd(curve.step, curve.batch, k)).collect()
}

/// The store key of every point the simulation of a config's training along `steps` needs,
/// with its number of trials (what a figure's step axis refers to in the results store);
/// computes the theory, which resolves the step.
pub(crate) fn point_keys(
    config: &Config,
    steps: &[u64],
    opts: &crate::spec::Simulation,
) -> Result<Vec<(PointKey, usize)>> {
    let (training, ridge) = stepped(config)?;
    let theory = crate::jobs::prologue::theory(config, &crate::support::progress::Silent)?;
    let keys = match training {
        Kind::Descent(d) => {
            let mut keys = Vec::new();
            for &p in config.samples() {
                let eta = theory.descent_step(p as f64, ridge, d.step)?;
                let base = PointKey::new(config.model(), p, ridge, None, opts.seed, opts.test_samples);
                keys.extend(
                    steps.iter().map(|&k| base.with_filter(Filter::Descent { step: eta, steps: k as f64 })),
                );
            }
            keys
        }
        Kind::Sgd(s) => {
            let curve = theory.sgd(s, ridge, &[])?;
            if curve.diverged.is_some() {
                return Ok(vec![]);
            }
            sgd_keys(config, &curve, steps, opts)
        }
    };
    Ok(keys.into_iter().map(|k| (k, opts.trials)).collect())
}

impl Stepped {
    /// The step axis: gradient descent `samples, step, steps, time, error, bias, variance,
    /// train_error, test_mse`; SGD `steps, samples_seen, time, error, bias, variance, test_mse`.
    pub fn table(&self) -> Table {
        match self {
            Stepped::Descent { noise, rows, simulated, .. } => {
                let mut columns: Vec<String> = [
                    "samples",
                    "step",
                    "steps",
                    "time",
                    "error",
                    "bias",
                    "variance",
                    "train_error",
                    "test_mse",
                ]
                .map(String::from)
                .to_vec();
                if simulated.is_some() {
                    columns.extend(
                        ["mc_mean", "mc_stderr", "z", "train_mc_mean", "mc_trials"].map(String::from),
                    );
                }
                let mut out: Vec<Vec<Cell>> = rows
                    .iter()
                    .flat_map(|r| {
                        r.points.iter().map(move |t| {
                            let k = t.descent.map_or(0.0, |d| d.steps);
                            let mut row =
                                vec![Cell::Int(r.samples as u64), Cell::Num(r.step), Cell::Int(k as u64)];
                            row.extend(
                                [t.time, t.error, t.bias, t.variance, t.train_error, t.error + noise]
                                    .map(Cell::Num),
                            );
                            row
                        })
                    })
                    .collect();
                if let Some((sums, _)) = simulated {
                    let theory: Vec<f64> =
                        rows.iter().flat_map(|r| r.points.iter().map(|t| t.error)).collect();
                    for ((row, (e, tr)), th) in out.iter_mut().zip(sums).zip(theory) {
                        let mean = |s: &Summary| if s.trials > 0 { Cell::Num(s.mean) } else { Cell::Missing };
                        row.extend([
                            mean(e),
                            e.stderr.into(),
                            e.z(th).into(),
                            mean(tr),
                            Cell::Int(e.trials as u64),
                        ]);
                    }
                }
                Table { columns, rows: out }
            }
            Stepped::Sgd { noise, curve, simulated } => {
                let mut columns: Vec<String> =
                    ["steps", "samples_seen", "time", "error", "bias", "variance", "test_mse"]
                        .map(String::from)
                        .to_vec();
                if simulated.is_some() {
                    columns.extend(
                        ["mc_mean", "mc_stderr", "z", "mc_median", "median_low", "median_high", "mc_trials"]
                            .map(String::from),
                    );
                }
                let rows = curve
                    .points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let mut row = vec![Cell::Int(p.steps as u64), Cell::Num(p.samples_seen)];
                        row.extend([p.time, p.error, p.bias, p.variance, p.error + noise].map(Cell::Num));
                        if let Some((sums, _)) = simulated {
                            let (e, m) = &sums[i];
                            let num = |x: f64| if e.trials > 0 { Cell::Num(x) } else { Cell::Missing };
                            row.extend([num(e.mean), e.stderr.into(), e.z(p.error).into()]);
                            row.extend([
                                num(m.median),
                                m.interval.map(|c| c.0).into(),
                                m.interval.map(|c| c.1).into(),
                            ]);
                            row.push(Cell::Int(e.trials as u64));
                        }
                        row
                    })
                    .collect();
                Table { columns, rows }
            }
        }
    }

    /// Gradient descent: per sample size `samples, step, step_edge, top_edge, growth_per_step`
    /// (beyond the edge), `steps_star, error_steps_star, error_converged`. SGD: one row
    /// `step, batch, weight_decay, kernel_norm, step_edge, tail_index, floor,
    /// approximation_floor, top, trace_error, atoms`.
    pub fn summary_table(&self) -> Table {
        let opt = |x: Option<f64>| x.map_or(Cell::Missing, Cell::Num);
        match self {
            Stepped::Descent { rows, .. } => {
                let columns = [
                    "samples",
                    "step",
                    "step_edge",
                    "top_edge",
                    "growth_per_step",
                    "steps_star",
                    "error_steps_star",
                    "error_converged",
                ];
                let rows = rows
                    .iter()
                    .map(|r| {
                        let k_star = r.best.as_ref().and_then(|b| b.descent).map(|d| d.steps);
                        vec![
                            Cell::Int(r.samples as u64),
                            Cell::Num(r.step),
                            Cell::Num(r.step_edge),
                            Cell::Num(r.top_edge),
                            opt(r.growth),
                            opt(k_star),
                            opt(r.best.as_ref().map(|b| b.error)),
                            opt(r.error_converged),
                        ]
                    })
                    .collect();
                Table { columns: columns.map(String::from).to_vec(), rows }
            }
            Stepped::Sgd { curve: c, .. } => {
                let columns = [
                    "step",
                    "batch",
                    "weight_decay",
                    "kernel_norm",
                    "step_edge",
                    "tail_index",
                    "floor",
                    "approximation_floor",
                    "top",
                    "trace_error",
                    "atoms",
                ];
                let row = vec![
                    Cell::Num(c.step),
                    Cell::Int(c.batch),
                    Cell::Num(c.decay),
                    opt(c.kernel_norm.is_finite().then_some(c.kernel_norm)),
                    Cell::Num(c.step_edge),
                    opt(c.tail_index),
                    opt(c.floor.is_finite().then_some(c.floor)),
                    Cell::Num(c.approximation),
                    Cell::Num(c.top),
                    Cell::Num(c.trace_error),
                    Cell::Int(c.atoms as u64),
                ];
                Table { columns: columns.map(String::from).to_vec(), rows: vec![row] }
            }
        }
    }

    /// What the user must be told: diverging steps (gradient descent: per sample size) and
    /// SGD's heavy tails (TRAINING B7), one line each.
    pub fn warnings(&self) -> Vec<String> {
        match self {
            Stepped::Descent { rows, simulated, .. } => {
                let mut out: Vec<String> = rows
                    .iter()
                    .filter_map(|r| {
                        r.growth.map(|g| {
                            format!(
                                "p = {}: η = {} is beyond the stability edge {}: gradient descent diverges (E_g grows by e^{g:.3} per step); no points",
                                num(r.samples),
                                num(r.step),
                                num(r.step_edge)
                            )
                        })
                    })
                    .collect();
                if let Some((sums, trials)) = simulated {
                    let mut i = 0;
                    for r in rows {
                        let kept = sums[i..i + r.points.len()].iter().map(|s| s.0.trials).min();
                        i += r.points.len();
                        if let Some(kept) = kept.filter(|&k| k < *trials) {
                            out.push(format!(
                                "p = {}: {} of {trials} trials diverged — their draw's top eigenvalue of K lies above the typical edge x₊ = {} \
                                 (an isolated spike the deterministic equivalent smears, TRAINING A4); statistics are over the others",
                                num(r.samples),
                                trials - kept,
                                num(r.top_edge)
                            ));
                        }
                    }
                }
                out
            }
            Stepped::Sgd { curve, simulated, .. } => {
                let mut out: Vec<String> = curve.warning().into_iter().collect();
                if simulated.is_some() && curve.tail_index.is_some_and(|a| a < 4.0) {
                    out.push(
                        "the runs are heavy-tailed (tail index < 4): Gaussian z of their mean is not valid; compare the \
                         median column, and expect the mean of few runs to sit below the theory"
                            .into(),
                    );
                }
                out
            }
        }
    }

    /// With a simulation: the trials per sample size and the largest |z| of E_g.
    pub fn simulation_check(&self) -> Option<(usize, f64)> {
        match self {
            Stepped::Descent { rows, simulated: Some((sums, trials)), .. } => {
                let theory = rows.iter().flat_map(|r| r.points.iter().map(|t| t.error));
                let z = sums
                    .iter()
                    .zip(theory)
                    .filter_map(|((e, _), th)| e.z(th))
                    .map(f64::abs)
                    .reduce(f64::max)?;
                Some((*trials, z))
            }
            Stepped::Sgd { curve, simulated: Some((sums, trials)), .. } => {
                let z = sums
                    .iter()
                    .zip(&curve.points)
                    .filter_map(|((e, _), p)| e.z(p.error))
                    .map(f64::abs)
                    .reduce(f64::max)?;
                Some((*trials, z))
            }
            _ => None,
        }
    }

    /// Number of points on the axis.
    pub fn len(&self) -> usize {
        self.table().rows.len()
    }

    /// Whether the axis has no point (every step diverged).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// CSV: one table (`points`, the default, or `summary`). JSON: `points`, `summary` and
    /// `warnings`, beside `program`, `version`, `config`, `optimizer`.
    pub fn render(&self, source: &str, format: Format, table: Option<&str>) -> Result<String> {
        let tables = vec![("points", self.table()), ("summary", self.summary_table())];
        crate::support::output::render_tables(&tables, table, format, source, || {
            serde_json::json!({
                "optimizer": match self { Stepped::Descent { .. } => "gd", Stepped::Sgd { .. } => "sgd" },
                "points": self.table().json_rows(),
                "summary": self.summary_table().json_rows(),
                "warnings": self.warnings(),
            })
        })
    }
}
