//! The `validate` job: simulate every sample size of a config and set the Monte Carlo
//! estimate beside the theory at the simulated sizes.

use crate::jobs::prologue::{self, Prepared};
use crate::jobs::run::{Ran, RunOptions};
use crate::jobs::store::{PointKey, Record, Store};
use crate::jobs::sweep;
use crate::jobs::trials::{self, Jobs, Shard, ShardReport};
use crate::model::{Model, SimModel};
use crate::simulation::{trial_rng, EnsembleTrial, Members, Simulator, INFINITE_MEMBERS};
use crate::spec::rules::scale_size;
use crate::spec::text::plural;
use crate::spec::{Config, Ensemble, Error, Inputs, Result, Ridge, Simulation, DATA_INPUTS};
use crate::support::output::{self, Cell, Format, Table};
use crate::support::progress::{Note, Progress, Silent};
use crate::support::resources;
use crate::support::stats::{summarize, Summary};
use crate::theory::{ModelSummary, Point};
use faer::Par;
use serde::Serialize;

/// One validated sample size.
#[derive(Clone, Debug)]
pub struct Row {
    pub samples: usize,
    pub alpha: f64,
    /// λ simulated (the theory's λ* for `ridge = "optimal"`).
    pub ridge: f64,
    /// The training time simulated (gradient flow's t, gradient descent's ηk; `None`: the
    /// converged readout).
    pub time: Option<f64>,
    /// Gradient descent's step and step count simulated.
    pub descent: Option<crate::theory::Stepping>,
    /// Theory E_g at the simulated sizes (+∞ at the interpolation threshold).
    pub theory: f64,
    /// Monte Carlo E_g.
    pub mc: Summary,
    /// (mc mean − theory)/stderr, when defined.
    pub z: Option<f64>,
    pub train_theory: f64,
    pub train_mc_mean: f64,
    /// Theory bias and its Monte Carlo estimate (same draws fitted on noiseless labels).
    pub bias_theory: f64,
    pub mc_bias: Summary,
    /// Theory variance and the Monte Carlo mean of E_g − bias.
    pub variance_theory: f64,
    pub mc_variance: Summary,
    /// With an ensemble: the single learner (the first member of the same draws). The
    /// columns above are then the ensemble's, except the training error (the first member's).
    pub single: Option<SingleRow>,
}

/// The single learner beside an ensemble's row.
#[derive(Clone, Debug)]
pub struct SingleRow {
    pub theory: f64,
    pub mc: Summary,
    pub z: Option<f64>,
}

/// Agreement over all rows.
#[derive(Clone, Debug, Serialize)]
pub struct Agreement {
    pub points: usize,
    /// Largest |z| (points with a z only) and the sample size where it occurs.
    pub max_abs_z: Option<f64>,
    pub max_abs_z_samples: Option<usize>,
    /// Points whose 95% interval contains the theory, out of `with_interval`.
    pub covered: usize,
    pub with_interval: usize,
    /// Points at the interpolation threshold (theory +∞), not compared.
    pub at_threshold: Vec<usize>,
    /// With an ensemble: the largest |z| of the single learner and where it occurs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub single_max_abs_z: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub single_max_abs_z_samples: Option<usize>,
}

/// A validation run: rows, agreement and the resolved (scaled) model.
#[derive(Clone, Debug)]
pub struct Validation {
    pub model: ModelSummary,
    /// The config's ridge (each row has the λ simulated).
    pub ridge: Ridge,
    /// The config's ensemble, if set (rows then compare the ensemble and the single learner).
    pub ensemble: Option<Ensemble>,
    /// How the config trains the readout (a `time` column follows `ridge` unless it is
    /// the converged readout; gradient descent adds `step` and `steps`).
    pub training: crate::spec::Training,
    pub trials: usize,
    pub seed: u64,
    pub scale: f64,
    pub rows: Vec<Row>,
    pub agreement: Agreement,
    /// Trials taken from the results store (the others were simulated by this run).
    pub from_store: usize,
}

/// What a validation will cost, estimated from the sizes before anything is simulated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// Trials in all.
    pub trials: u64,
    /// Estimated floating-point work of all trials.
    pub flops: f64,
    /// Estimated peak memory (shared state plus one trial per thread), bytes.
    pub bytes: f64,
    /// Estimated seconds on the current thread pool.
    pub seconds: f64,
}

/// A run estimated to take longer than this says so before it starts (seconds).
const LONG_RUN_SECONDS: f64 = 60.0;

/// Sample sizes of a config at a scale (rounded, deduplicated, in order).
fn scaled_samples(config: &Config, scale: f64) -> Vec<usize> {
    let mut samples: Vec<usize> = config.samples().iter().map(|&p| scale_size(p, scale)).collect();
    samples.dedup();
    samples
}

/// Checks the options and the memory a validation needs (one line naming the key if it
/// cannot fit), and estimates its cost.
pub fn plan(config: &Config, opts: &Simulation) -> Result<Plan> {
    prepare(config, opts).map(|(_, _, plan)| plan)
}

/// The config key of the largest size of a model (n0 or a width), for a memory error.
fn size_key(spec: &crate::spec::ModelSpec) -> String {
    let widest = spec.layers().iter().enumerate().max_by_key(|(_, l)| l.width);
    match widest {
        Some((i, l)) if l.width > spec.dim() => format!("layers[{i}].width"),
        _ => "data.dim".into(),
    }
}

/// The scaled model spec, the scaled sample sizes and the plan of a validation.
fn prepare(config: &Config, opts: &Simulation) -> Result<(crate::spec::ModelSpec, Vec<usize>, Plan)> {
    opts.check()?;
    if matches!(config.training(), crate::spec::Training::Sgd(_)) {
        return Err(Error::input(
            config.source(),
            "training.optimizer",
            "one-pass SGD has no sample sizes to validate: its trials run along the steps (lcurve dynamics --validate)",
        ));
    }
    let spec = config.model().scaled(opts.scale)?;
    let samples = scaled_samples(config, opts.scale);
    if let Some(&p) = samples.iter().find(|&&p| p as f64 > resources::MAX_SAMPLES) {
        return Err(Error::option("scale", format!("{} makes a sample size of {p:e}", opts.scale)));
    }
    if opts.inputs == Inputs::Data
        && !matches!(spec.data().kind, crate::spec::CovarianceKind::Empirical { .. })
    {
        return Err(Error::option("inputs", DATA_INPUTS));
    }
    if spec.is_infinite() {
        return Err(Error::input(
            config.source(),
            "data.dim",
            "a simulation needs a finite data.dim (n0 = ∞ is the theory's limit)",
        ));
    }
    let threads = rayon::current_num_threads().min(samples.len() * opts.trials).max(1);
    let p_max = *samples.iter().max().unwrap_or(&1);
    let bytes = resources::simulator_bytes(&spec) + threads as f64 * resources::trial_bytes(&spec, p_max);
    // Blame the sizes when even the smallest trial does not fit, else the sample sizes.
    let smallest = resources::simulator_bytes(&spec) + threads as f64 * resources::trial_bytes(&spec, 1);
    let key = match (smallest > resources::memory_limit()?, opts.scale == 1.0) {
        (true, true) => size_key(&spec),
        (true, false) => "data.dim (after the scale)".into(),
        (false, true) => "samples".into(),
        (false, false) => "samples (after the scale)".into(),
    };
    resources::check_memory(
        config.source(),
        &key,
        &format!("simulating p = {p_max} on {threads} threads"),
        bytes,
    )?;
    let flops: f64 = samples.iter().map(|&p| trial_flops(&spec, p, config)).sum::<f64>() * opts.trials as f64;
    let plan = Plan {
        trials: (samples.len() * opts.trials) as u64,
        flops,
        bytes,
        seconds: resources::seconds(flops, threads),
    };
    Ok((spec, samples, plan))
}

/// Runs the Monte Carlo validation of a config. `progress` hears of the setup and of every
/// trial (weighted by its estimated cost) and may cancel the run between trials.
///
/// Deterministic: every trial draws from its own stream keyed by (seed, p, trial) and
/// runs its dense kernels sequentially, so the result does not depend on the number of
/// threads, and two validations may run at once in one process.
pub fn run(config: &Config, opts: &Simulation, progress: &dyn Progress) -> Result<Validation> {
    run_stored(config, opts, None, progress)
}

/// Runs a validation as `run` says: the config's `[simulation]` values with its overrides,
/// its store, and with a shard only that shard's trials into the store.
pub fn execute(config: &Config, run: &RunOptions, progress: &dyn Progress) -> Result<Ran<Validation>> {
    run.check()?;
    let sim = run.simulation(config)?;
    match (run.shard, run.store()) {
        (Some(shard), Some(st)) => run_shard(config, &sim, st, shard, progress).map(Ran::Shard),
        _ => run_stored(config, &sim, run.store(), progress).map(Ran::Done),
    }
}

/// As [`run`], keeping every finished trial in `store` and computing only the trials it
/// does not hold: the result is bit-identical to a run without a store. When the run is
/// cancelled, the trials finished so far are in the store.
pub fn run_stored(
    config: &Config,
    opts: &Simulation,
    store: Option<&Store>,
    progress: &dyn Progress,
) -> Result<Validation> {
    let run = Trials::prepare(config, opts, store, progress)?;
    let from_store = run.jobs.iter().filter(|&&job| run.stored_trial(job).is_some()).count();
    let results = run.simulate(None, progress)?;
    let rows: Vec<Row> = run
        .points
        .iter()
        .enumerate()
        .map(|(i, pt)| {
            let trials: Vec<EnsembleTrial> = results[i * opts.trials..(i + 1) * opts.trials]
                .iter()
                .map(|t| t.ok_or_else(|| Error::Numerical("a trial of the run is missing".into())))
                .collect::<Result<_>>()?;
            let mut r = row(pt, &trials, config)?;
            r.time = run.times[i].map(crate::simulation::Filter::time);
            r.descent = match run.times[i] {
                Some(crate::simulation::Filter::Descent { step, steps }) => {
                    Some(crate::theory::Stepping { step, steps })
                }
                _ => None,
            };
            Ok(r)
        })
        .collect::<Result<_>>()?;
    let agreement = agreement(&rows);
    Ok(Validation {
        model: run.summary,
        ridge: config.ridge(),
        ensemble: config.ensemble(),
        training: config.training(),
        trials: opts.trials,
        seed: opts.seed,
        scale: opts.scale,
        rows,
        agreement,
        from_store,
    })
}

/// The store key of every point a validation simulates, with its number of trials
/// (computes the theory: the keys depend on the λ simulated, λ* for `"optimal"`).
pub(crate) fn point_keys(config: &Config, opts: &Simulation) -> Result<Vec<(PointKey, usize)>> {
    let run = Trials::prepare(config, opts, None, &Silent)?;
    Ok(run.keys.iter().map(|&k| (k, opts.trials)).collect())
}

/// Computes this shard's share of the trials a validation needs and writes them to
/// `store`; no result is assembled (a run without a shard does that from the store).
pub fn run_shard(
    config: &Config,
    opts: &Simulation,
    store: &Store,
    shard: Shard,
    progress: &dyn Progress,
) -> Result<ShardReport> {
    let run = Trials::prepare(config, opts, Some(store), progress)?;
    let mine = shard.assign(&run.jobs.iter().map(|&(i, _)| run.cost[i]).collect::<Vec<_>>());
    let assigned = mine.iter().filter(|&&m| m).count() as u64;
    let stored =
        run.jobs.iter().zip(&mine).filter(|(j, &m)| m && run.stored_trial(**j).is_some()).count() as u64;
    run.simulate(Some(&mine), progress)?;
    Ok(ShardReport { total: run.jobs.len() as u64, assigned, stored, computed: assigned - stored })
}

/// The trials of one validation: the theory's points, the jobs (point, trial), their
/// costs and store keys, and what the store already holds.
struct Trials<'a> {
    config: &'a Config,
    opts: Simulation,
    spec: crate::spec::ModelSpec,
    points: Vec<Point>,
    /// The training of each point's readout (None: converged).
    times: Vec<Option<crate::simulation::Filter>>,
    summary: ModelSummary,
    jobs: Vec<(usize, usize)>,
    /// Progress units of a trial at each point: its estimated work in MFLOP (at least 1),
    /// so the bar's rate and its time estimate follow the cost, not the count.
    cost: Vec<u64>,
    keys: Vec<PointKey>,
    stored: crate::jobs::store::Trials,
    store: Option<&'a Store>,
    /// The simulation model, when the theory was computed from it already.
    model: Option<SimModel>,
    /// Estimated peak memory of the simulation, bytes.
    bytes: f64,
}

impl<'a> Trials<'a> {
    fn prepare(
        config: &'a Config,
        opts: &Simulation,
        store: Option<&'a Store>,
        progress: &dyn Progress,
    ) -> Result<Self> {
        let (spec, samples, plan) = prepare(config, opts)?;
        // With a store the simulation's model (eigenvectors of dense covariances) is built
        // only if some trial is missing.
        let (model, Prepared { theory, summary }) = match store {
            Some(_) => (None, prologue::prepare(&spec, config.source(), progress)?),
            None => {
                let m = Model::for_simulation(&spec, progress)?;
                let p = prologue::from_model(&m, config.source(), progress)?;
                (Some(m), p)
            }
        };
        let mut points =
            sweep::learning_curve(&theory, &samples, config.ridge(), config.readout_ensemble(), &Silent)?;
        let times = sweep::at_times(config, &theory, &mut points)?;
        let jobs = (0..points.len()).flat_map(|i| (0..opts.trials).map(move |t| (i, t))).collect();
        let cost = points
            .iter()
            .map(|pt| (trial_flops(&spec, pt.samples as usize, config) / 1e6).max(1.0) as u64)
            .collect();
        let keys: Vec<PointKey> = points
            .iter()
            .map(|pt| {
                let test = config.simulation().test_samples;
                PointKey::new(&spec, pt.samples as usize, pt.ridge, config.ensemble(), opts.seed, test)
                    .with_inputs(opts.inputs)
            })
            .zip(&times)
            .map(|(k, t)| t.map_or(k, |t| k.with_filter(t)))
            .collect();
        let stored = trials::stored(store, keys.iter().copied().collect(), progress)?;
        Ok(Trials {
            config,
            opts: *opts,
            summary,
            model,
            spec,
            points,
            times,
            jobs,
            cost,
            keys,
            stored,
            store,
            bytes: plan.bytes,
        })
    }

    /// The stored values of a job as a trial, if the store holds it whole.
    fn stored_trial(&self, (i, t): (usize, usize)) -> Option<EnsembleTrial> {
        let v = self.stored.get(&(self.keys[i], t as u32))?;
        let single = crate::simulation::Trial { error: v[0], bias: v[1], train_error: v[2] };
        match (self.config.ensemble(), v.len()) {
            (None, 3) => Some(EnsembleTrial { single, error: v[0], bias: v[1] }),
            (Some(_), 5) => Some(EnsembleTrial { single, error: v[3], bias: v[4] }),
            _ => None,
        }
    }

    fn record(&self, (i, t): (usize, usize), r: &EnsembleTrial) -> Record {
        let mut values = vec![r.single.error, r.single.bias, r.single.train_error];
        if self.config.ensemble().is_some() {
            values.extend([r.error, r.bias]);
        }
        Record { key: self.keys[i], trial: t as u32, values }
    }

    /// Every job's trial: from the store, else simulated (and stored) when `mine` selects
    /// it (all jobs when `None`); `None` for jobs left to other shards.
    fn simulate(&self, mine: Option<&[bool]>, progress: &dyn Progress) -> Result<Vec<Option<EnsembleTrial>>> {
        let todo: Vec<usize> = (0..self.jobs.len())
            .filter(|&j| mine.is_none_or(|m| m[j]) && self.stored_trial(self.jobs[j]).is_none())
            .collect();
        let built;
        let model = match (&self.model, todo.is_empty()) {
            (Some(m), _) => Some(m),
            (None, true) => None,
            (None, false) => {
                built = Model::for_simulation(&self.spec, progress)?;
                Some(&built)
            }
        };
        let test_samples = self.config.simulation().test_samples;
        let inputs = self.opts.inputs;
        let sim = model
            .map(|m| {
                let s = Simulator::new(m)?.with_test_samples(test_samples);
                match inputs {
                    Inputs::Gaussian => Ok(s),
                    Inputs::Data => s.with_real_inputs(m).ok_or_else(|| Error::option("inputs", DATA_INPUTS)),
                }
            })
            .transpose()?;
        let total: u64 = todo.iter().map(|&j| self.cost[self.jobs[j].0]).sum();
        let threads = rayon::current_num_threads().min(todo.len()).max(1);
        let seconds = resources::seconds(total as f64 * 1e6, threads);
        if seconds > LONG_RUN_SECONDS {
            let stored = self.jobs.iter().filter(|&&job| self.stored_trial(job).is_some()).count();
            progress.note(&Note::LongRun {
                what: "validate",
                trials: todo.len(),
                stored,
                seconds,
                threads,
                bytes: self.bytes,
            });
        }
        let members = Members::of(self.config.ensemble());
        let compute = |j: usize| -> Result<EnsembleTrial> {
            let (i, t) = self.jobs[j];
            let Some(sim) = sim.as_ref() else {
                return Err(Error::Numerical("no simulator for a missing trial".into()));
            };
            let p = self.points[i].samples as usize;
            let mut rng = trial_rng(self.opts.seed, p, t);
            // Sequential kernels inside trials: parallelism is over trials.
            let cancelled = || progress.cancelled();
            match self.times[i] {
                Some(filter) => sim
                    .trials_filtered(p, self.points[i].ridge, &[filter], &mut rng, Par::Seq)
                    .map(|mut v| v.remove(0))
                    .map(|single| EnsembleTrial { single, error: single.error, bias: single.bias }),
                None => {
                    sim.ensemble_trial((p, self.points[i].ridge), members, &mut rng, Par::Seq, &cancelled)
                }
            }
        };
        Jobs {
            cost: &|j| self.cost[self.jobs[j].0],
            from_store: &|j| self.stored_trial(self.jobs[j]),
            compute: &compute,
            records: &|j, r| vec![self.record(self.jobs[j], r)],
        }
        .run(self.jobs.len(), &todo, self.store, progress)
    }
}

/// Estimated work of one (ensemble) trial.
fn trial_flops(spec: &crate::spec::ModelSpec, samples: usize, config: &Config) -> f64 {
    let test = resources::test_set_flops(spec, config.simulation().test_samples);
    (resources::trial_flops(spec, samples) + test) * Members::of(config.ensemble()).count as f64
}

/// One row from the theory point and its trials.
fn row(pt: &Point, trials: &[EnsembleTrial], config: &Config) -> Result<Row> {
    let ensemble = config.ensemble();
    let stat = |f: &dyn Fn(&EnsembleTrial) -> f64| summarize(&trials.iter().map(f).collect::<Vec<_>>());
    let single = |f: fn(&crate::simulation::Trial) -> f64| stat(&|t| f(&t.single));
    let readout = ensemble.unwrap_or(Ensemble::SINGLE);
    let theory = config.ensemble_value(readout.error(pt))?;
    let (mc, mc_bias, mc_variance) = match ensemble {
        None => (single(|t| t.error), single(|t| t.bias), single(|t| t.error - t.bias)),
        Some(_) => (stat(&|t| t.error), stat(&|t| t.bias), stat(&|t| t.error - t.bias)),
    };
    Ok(Row {
        samples: pt.samples as usize,
        alpha: pt.alpha,
        ridge: pt.ridge,
        time: None,
        descent: None,
        theory,
        z: mc.z(theory),
        mc,
        train_theory: pt.train_error,
        train_mc_mean: single(|t| t.train_error).mean,
        bias_theory: config.ensemble_value(readout.bias(pt))?,
        mc_bias,
        variance_theory: config.ensemble_value(readout.variance(pt))?,
        mc_variance,
        single: ensemble.map(|_| {
            let mc = single(|t| t.error);
            SingleRow { theory: pt.error, z: mc.z(pt.error), mc }
        }),
    })
}

fn agreement(rows: &[Row]) -> Agreement {
    let mut a = Agreement {
        points: rows.len(),
        max_abs_z: None,
        max_abs_z_samples: None,
        covered: 0,
        with_interval: 0,
        at_threshold: vec![],
        single_max_abs_z: None,
        single_max_abs_z_samples: None,
    };
    for r in rows {
        if !r.theory.is_finite() {
            a.at_threshold.push(r.samples);
            continue;
        }
        if let Some(z) = r.z {
            if a.max_abs_z.is_none_or(|m| z.abs() > m) {
                a.max_abs_z = Some(z.abs());
                a.max_abs_z_samples = Some(r.samples);
            }
        }
        if let Some(c) = r.mc.covers(r.theory) {
            a.with_interval += 1;
            a.covered += c as usize;
        }
        if let Some(z) = r.single.as_ref().and_then(|s| s.z) {
            if a.single_max_abs_z.is_none_or(|m| z.abs() > m) {
                a.single_max_abs_z = Some(z.abs());
                a.single_max_abs_z_samples = Some(r.samples);
            }
        }
    }
    a
}

impl Validation {
    /// One-paragraph summary for stderr.
    pub fn summary_line(&self) -> String {
        let a = &self.agreement;
        let mut s = format!(
            "validate: {} × {} (scale {})",
            plural(a.points, "point"),
            plural(self.trials, "trial"),
            self.scale
        );
        if let Some(k) = self.ensemble {
            s.push_str(&match k {
                Ensemble::Members(k) => format!("; ensembles of {k}"),
                Ensemble::Infinite => {
                    format!("; infinite ensemble (pair estimate from {INFINITE_MEMBERS} members)")
                }
            });
        }
        match (a.max_abs_z, a.max_abs_z_samples) {
            (Some(z), Some(p)) => s.push_str(&format!("; max |z| = {z:.2} at p = {p}")),
            _ => s.push_str("; no z (fewer than 2 trials per point)"),
        }
        if let (Some(z), Some(p)) = (a.single_max_abs_z, a.single_max_abs_z_samples) {
            s.push_str(&format!(" (single learner: {z:.2} at p = {p})"));
        }
        if a.with_interval > 0 {
            s.push_str(&format!(
                "; 95% interval covers the theory at {}/{} points ({:.0}%)",
                a.covered,
                a.with_interval,
                100.0 * a.covered as f64 / a.with_interval as f64
            ));
        } else {
            s.push_str("; no intervals: fewer than 2 trials per point");
        }
        if !a.at_threshold.is_empty() {
            let ps: Vec<String> = a.at_threshold.iter().map(|p| p.to_string()).collect();
            s.push_str(&format!(
                "; {} at the interpolation threshold (theory = inf) not compared: p = {}",
                plural(a.at_threshold.len(), "point"),
                ps.join(", ")
            ));
        }
        if let Some(c) = crate::support::stats::few_trials_caveat(self.trials) {
            if a.max_abs_z.is_some() {
                s.push_str(&format!("; {c}"));
            }
        }
        if self.from_store > 0 {
            let total = self.rows.len() * self.trials;
            s.push_str(&format!("; {} of {total} from the results store", plural(self.from_store, "trial")));
        }
        s
    }

    /// Column names of the validation table (without an ensemble).
    pub const COLUMNS: [&'static str; 18] = [
        "samples",
        "alpha",
        "ridge",
        "theory",
        "mc_mean",
        "mc_stderr",
        "ci_low",
        "ci_high",
        "z",
        "train_theory",
        "train_mc_mean",
        "bias_theory",
        "bias_mc_mean",
        "bias_mc_stderr",
        "variance_theory",
        "variance_mc_mean",
        "variance_mc_stderr",
        "trials",
    ];

    /// Columns added after `z` when the config sets an ensemble (the columns before are
    /// then the ensemble's): the single learner of the same draws.
    pub const SINGLE_COLUMNS: [&'static str; 4] =
        ["theory_single", "mc_single_mean", "mc_single_stderr", "z_single"];

    /// Column names of this validation.
    pub fn columns(&self) -> Vec<String> {
        let mut c: Vec<String> = Self::COLUMNS.iter().map(|c| c.to_string()).collect();
        if self.ensemble.is_some() {
            let at = c.iter().position(|c| c == "z").expect("a z column") + 1;
            c.splice(at..at, Self::SINGLE_COLUMNS.iter().map(|c| c.to_string()));
        }
        if self.training != crate::spec::Training::Converged {
            c.insert(3, "time".into());
        }
        if matches!(self.training, crate::spec::Training::Descent(_)) {
            c.splice(4..4, ["step".to_string(), "steps".to_string()]);
        }
        c
    }

    /// The rows as a table (the columns of [`Validation::columns`]); cells without a value
    /// (no interval with one trial, no z at the threshold) are missing.
    pub fn table(&self) -> Table {
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![Cell::Int(r.samples as u64), Cell::Num(r.alpha), Cell::Num(r.ridge)];
                if self.training != crate::spec::Training::Converged {
                    // t* = ∞ (no finite time beats convergence) simulates the converged readout.
                    row.push(Cell::Num(r.time.unwrap_or(f64::INFINITY)));
                }
                if matches!(self.training, crate::spec::Training::Descent(_)) {
                    // k* = ∞ (no k beats convergence) simulates the converged readout.
                    match r.descent {
                        Some(d) => row.extend([Cell::Num(d.step), Cell::Num(d.steps)]),
                        None => row.extend([Cell::Missing, Cell::Num(f64::INFINITY)]),
                    }
                }
                row.extend([
                    Cell::Num(r.theory),
                    Cell::Num(r.mc.mean),
                    r.mc.stderr.into(),
                    r.mc.ci95.map(|c| c.0).into(),
                    r.mc.ci95.map(|c| c.1).into(),
                    r.z.into(),
                ]);
                if let Some(one) = &r.single {
                    row.extend([
                        Cell::Num(one.theory),
                        Cell::Num(one.mc.mean),
                        one.mc.stderr.into(),
                        one.z.into(),
                    ]);
                }
                row.extend([
                    Cell::Num(r.train_theory),
                    Cell::Num(r.train_mc_mean),
                    Cell::Num(r.bias_theory),
                    Cell::Num(r.mc_bias.mean),
                    r.mc_bias.stderr.into(),
                    Cell::Num(r.variance_theory),
                    Cell::Num(r.mc_variance.mean),
                    r.mc_variance.stderr.into(),
                    Cell::Int(r.mc.trials as u64),
                ]);
                row
            })
            .collect();
        Table { columns: self.columns(), rows }
    }

    /// Renders the validation: CSV, or JSON with the program version, the config's name,
    /// the settings, the resolved model, the agreement and the same rows.
    pub fn render(&self, source: &str, format: Format) -> String {
        let mut fields = serde_json::json!({
            "trials": self.trials,
            "seed": self.seed,
            "scale": self.scale,
            "summary": self.summary_line(),
            "model": &self.model,
            "agreement": &self.agreement,
        });
        if let Some(k) = self.ensemble {
            fields["ensemble"] = serde_json::json!(k);
        }
        output::render_report(&self.table(), format, source, self.ridge, fields)
    }

    /// Sample sizes whose |z| (of the ensemble, or of its single learner) exceeds `limit`.
    pub fn failures(&self, limit: f64) -> Vec<(usize, f64)> {
        self.rows
            .iter()
            .flat_map(|r| [r.z, r.single.as_ref().and_then(|s| s.z)].map(|z| (r.samples, z)))
            .filter_map(|(p, z)| z.filter(|z| z.abs() > limit).map(|z| (p, z)))
            .collect()
    }
}
