//! The `dynamics` job for networks with every layer trained (FEATURES.md): per sample size,
//! `datasets` training sets drawn as `validate`'s trials draw them; the infinite-width DMFT
//! of each (the causal stepper) along the step axis; dataset means with their standard
//! errors, the sharpness monitor and the divergence guard counted per dataset (never
//! averaged silently). With a simulation: real networks of the config's width (or of
//! `widths`) on the same training sets, paired by dataset, with N·⟨|β_N − β_∞|²⟩ — the
//! 1/N check.

use crate::jobs::run::RunOptions;
use crate::jobs::store::{PointKey, Record};
use crate::simulation::features::{network_bytes, network_rng, train, Network};
use crate::simulation::{trial_rng, Simulator, TrainingSet};
use crate::spec::text::num;
use crate::spec::{Config, Error, FeatureTraining, Result, Training};
use crate::support::output::{Cell, Format, Table};
use crate::support::progress::Progress;
use crate::theory::features::{self, FeatureCurve, FeatureData, FeatureSchedule, EDGE_OF_STABILITY};
use faer::Par;
use nalgebra::DMatrix;
use rayon::prelude::*;
use std::path::PathBuf;

/// What only a feature-learning run takes: the widths simulated (default: the config's) and
/// a folder to write every training set to.
#[derive(Clone, Debug, Default)]
pub struct FeatureOptions {
    pub widths: Option<Vec<usize>>,
    pub save_datasets: Option<PathBuf>,
}

impl FeatureOptions {
    /// Whether any option is set (they are refused for other trainings).
    pub fn is_set(&self) -> bool {
        self.widths.is_some() || self.save_datasets.is_some()
    }
}

/// Refuses a config with every layer trained in the jobs of a converged or readout-only
/// network (`curve`, `validate`, `scaling`, figures): it runs along steps, in `dynamics`.
pub(crate) fn along_steps_only(config: &Config) -> Result<()> {
    match config.training() {
        Training::Features(_) => {
            Err(Error::input(config.source(), "training.layers", crate::spec::FEATURES_DYNAMICS))
        }
        _ => Ok(()),
    }
}

/// The largest width a network is simulated at.
pub const MAX_WIDTH: usize = 1 << 16;

/// Checks `--widths`: 1 to 16 widths, each from 2 to 65 536.
pub fn widths(values: &[f64]) -> Result<Vec<usize>> {
    if values.is_empty() || values.len() > 16 {
        return Err(Error::option("widths", format!("expected 1 to 16 widths, got {}", values.len())));
    }
    values
        .iter()
        .map(|&w| {
            if w.fract() == 0.0 && (2.0..=MAX_WIDTH as f64).contains(&w) {
                Ok(w as usize)
            } else {
                Err(Error::option(
                    "widths",
                    format!("expected widths N from 2 to {MAX_WIDTH}, got {}", num(w)),
                ))
            }
        })
        .collect()
}

/// One training set's curve at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetRow {
    pub samples: usize,
    pub dataset: usize,
    pub steps: u64,
    /// E_g, E_tr and s(k); `None` once the guard stopped the run.
    pub error: Option<f64>,
    pub train_error: Option<f64>,
    pub sharpness: Option<f64>,
}

/// The dataset mean at one (P, k).
#[derive(Clone, Debug, PartialEq)]
pub struct FeaturePoint {
    pub samples: usize,
    pub steps: u64,
    pub time: f64,
    /// Means over the datasets still running, with standard errors (`None` for one dataset).
    pub error: Option<f64>,
    pub error_stderr: Option<f64>,
    pub train_error: Option<f64>,
    pub train_stderr: Option<f64>,
    /// The largest s(j), j ≤ k, over the datasets.
    pub sharpness: f64,
    /// Datasets past the edge of stability (s > 2 at some j ≤ k) and stopped by the guard.
    pub past_edge: usize,
    pub diverged: usize,
    /// Uncentred networks: the mean lazy extra error of the initial function (FEATURES §10).
    pub uncentred_extra: Option<f64>,
}

/// Per sample size: the monitor's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureSummary {
    pub samples: usize,
    pub datasets: usize,
    /// Dimension the DMFT ran in (mean over datasets: rank X with Γ = I, else D).
    pub coordinates: f64,
    pub max_sharpness: f64,
    /// The first step with s > 2 over the datasets, and how many datasets crossed it.
    pub first_edge_step: Option<u64>,
    pub past_edge: usize,
    /// The first step the guard stopped a dataset at, and how many it stopped.
    pub first_divergence: Option<u64>,
    pub diverged: usize,
    /// ε' < 2ε/max s when the edge was crossed (FEATURES §4).
    pub suggested_step: Option<f64>,
}

/// Networks at one width, one (P, k): paired by dataset against the DMFT.
#[derive(Clone, Debug, PartialEq)]
pub struct WidthRow {
    pub samples: usize,
    pub width: usize,
    pub steps: u64,
    /// Mean E_g and E_tr over networks and datasets, the paired standard error of E_g and z.
    pub error: Option<f64>,
    pub error_stderr: Option<f64>,
    pub z: Option<f64>,
    pub train_error: Option<f64>,
    /// N·⟨|β_N − β_∞|²⟩ and its standard error: flat in N is the 1/N law.
    pub deviation: Option<f64>,
    pub deviation_stderr: Option<f64>,
    /// The largest finite-N sharpness s(j), j ≤ k, over the networks.
    pub sharpness: Option<f64>,
    /// Networks that ran (networks × datasets, minus those stopped by the guard).
    pub networks: usize,
}

/// The report of a feature-learning run.
#[derive(Clone, Debug)]
pub struct FeatureReport {
    pub training: FeatureTraining,
    pub layers: usize,
    pub width: usize,
    pub points: Vec<FeaturePoint>,
    pub datasets: Vec<DatasetRow>,
    pub summary: Vec<FeatureSummary>,
    /// With a simulation: networks per dataset and the rows per width.
    pub simulated: Option<(usize, Vec<WidthRow>)>,
}

/// One training set and its DMFT.
struct Solved {
    set: TrainingSet,
    curve: FeatureCurve,
    /// (E_g, E_tr) at every computed step.
    errors: Vec<(f64, f64)>,
    extra: Option<Vec<f64>>,
}

/// The schedule of a config's training along `steps` (T = max + 1 rows).
fn schedule(config: &Config, t: &FeatureTraining, steps: &[u64]) -> Result<FeatureSchedule> {
    let top = steps.iter().copied().max().unwrap_or(0);
    if top >= MAX_ROWS {
        return Err(Error::option(
            "steps",
            format!("every layer trained runs each step: expected step counts below {MAX_ROWS}, got {top}"),
        ));
    }
    Ok(FeatureSchedule {
        layers: config.model().layers().len(),
        richness: t.richness,
        step: t.step,
        rows: top as usize + 1,
    })
}

/// The longest horizon (steps): the stepper's cost grows like T³.
pub const MAX_ROWS: u64 = 100_000;

/// Runs the DMFT of a config with every layer trained (`[training] layers = "all"`) at every
/// sample size and training set along `steps`; with `simulate`, real networks beside it.
pub fn run(
    config: &Config,
    steps: &[u64],
    simulate: Option<&RunOptions>,
    options: &FeatureOptions,
    progress: &dyn Progress,
) -> Result<FeatureReport> {
    let Training::Features(t) = config.training() else {
        return Err(Error::input(
            config.source(),
            "training.layers",
            "--widths and --save-datasets are for networks with every layer trained (layers = \"all\")",
        ));
    };
    let sched = schedule(config, &t, steps)?;
    let spec = config.model();
    let dim = spec.dim();
    let width = spec.layers()[0].width;
    let seed = match simulate {
        Some(run) => run.simulation(config)?.seed,
        None => config.simulation().seed,
    };
    // Every dataset holds its X, the stepper's state and its curve; they run in parallel.
    let threads = rayon::current_num_threads().max(1) as f64;
    let largest = config.samples().iter().copied().max().unwrap_or(0);
    let q = if spec.input().kind == crate::spec::CovarianceKind::Identity { largest.min(dim) } else { dim };
    let bytes = threads
        * (features::stepper_bytes(q, dim, &sched)
            + 8.0 * (largest * dim) as f64
            + 8.0 * (dim * sched.rows) as f64 * 2.0
            + 8.0 * (dim * dim) as f64 * 4.0);
    crate::support::resources::check_memory(
        config.source(),
        "training.datasets",
        "the feature-learning DMFT",
        bytes,
    )?;
    let model = crate::model::Model::for_simulation(spec, progress)?;
    let sim = Simulator::new(&model)?;
    let sim = match config.simulation().inputs {
        crate::spec::Inputs::Data => {
            sim.with_real_inputs(&model).unwrap_or_else(|| Simulator::new(&model).expect("built once"))
        }
        crate::spec::Inputs::Gaussian => sim,
    };
    let identity = spec.input().kind == crate::spec::CovarianceKind::Identity;
    let gamma = sim.first_layer_covariance(identity);
    let jobs: Vec<(usize, usize)> =
        config.samples().iter().flat_map(|&p| (0..t.datasets).map(move |i| (p, i))).collect();
    progress.start("feature-learning DMFT (training sets)", jobs.len() as u64);
    let solved: Vec<Solved> = jobs
        .par_iter()
        .map(|&(p, i)| -> Result<Solved> {
            let mut rng = trial_rng(seed, p, i);
            let set = sim.training_set(p, &mut rng, Par::Seq);
            let data = FeatureData { x: &set.x, y: &set.y, gamma: gamma.as_ref() };
            let cancelled = || progress.cancelled();
            let curve = features::solve(&data, &sched, &cancelled)?;
            let errors = curve.errors(&data, sim.metric(), &set.target);
            let extra = if t.centered {
                None
            } else {
                Some(features::uncentred_extra(&data, &sched, sim.metric(), width)?)
            };
            progress.advance(1);
            Ok(Solved { set, curve, errors, extra })
        })
        .collect::<Result<_>>()?;
    progress.finish();
    if let Some(dir) = &options.save_datasets {
        save(dir, &jobs, &solved)?;
    }
    let (points, datasets, summary) = tables(config, &t, &sched, steps, &jobs, &solved);
    let simulated = match simulate {
        None => None,
        Some(run) => {
            let widths = options.widths.clone().unwrap_or_else(|| vec![width]);
            let metric = sim.metric();
            simulate_networks(
                config,
                &t,
                &sched,
                steps,
                &jobs,
                &solved,
                &widths,
                gamma.as_ref(),
                metric,
                run,
                progress,
            )?
        }
    };
    Ok(FeatureReport { training: t, layers: sched.layers, width, points, datasets, summary, simulated })
}

/// Mean and standard error (None for fewer than two values).
fn mean_se(v: &[f64]) -> (Option<f64>, Option<f64>) {
    if v.is_empty() {
        return (None, None);
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (Some(m), None);
    }
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (Some(m), Some((var / n).sqrt()))
}

type Tables = (Vec<FeaturePoint>, Vec<DatasetRow>, Vec<FeatureSummary>);

fn tables(
    config: &Config,
    t: &FeatureTraining,
    sched: &FeatureSchedule,
    steps: &[u64],
    jobs: &[(usize, usize)],
    solved: &[Solved],
) -> Tables {
    let mut points = Vec::new();
    let mut rows = Vec::new();
    let mut summary = Vec::new();
    for &p in config.samples() {
        let mine: Vec<(usize, &Solved)> =
            jobs.iter().zip(solved).filter(|((pp, _), _)| *pp == p).map(|((_, i), s)| (*i, s)).collect();
        for &k in steps {
            let k_us = k as usize;
            let alive: Vec<&Solved> =
                mine.iter().map(|(_, s)| *s).filter(|s| k_us < s.errors.len()).collect();
            let eg: Vec<f64> = alive.iter().map(|s| s.errors[k_us].0).collect();
            let tr: Vec<f64> = alive.iter().map(|s| s.errors[k_us].1).collect();
            let (error, error_stderr) = mean_se(&eg);
            let (train_error, train_stderr) = mean_se(&tr);
            let upto = |s: &Solved| s.curve.sharpness.iter().take(k_us + 1).copied().fold(0.0, f64::max);
            let extra: Vec<f64> = alive.iter().filter_map(|s| s.extra.as_ref().map(|e| e[k_us])).collect();
            points.push(FeaturePoint {
                samples: p,
                steps: k,
                time: t.step * k as f64,
                error,
                error_stderr,
                train_error,
                train_stderr,
                sharpness: mine.iter().map(|(_, s)| upto(s)).fold(0.0, f64::max),
                past_edge: mine.iter().filter(|(_, s)| upto(s) > EDGE_OF_STABILITY).count(),
                diverged: mine.iter().filter(|(_, s)| s.curve.diverged.is_some_and(|d| d <= k_us)).count(),
                uncentred_extra: (!t.centered).then(|| mean_se(&extra).0).flatten(),
            });
            for (i, s) in &mine {
                let e = s.errors.get(k_us);
                rows.push(DatasetRow {
                    samples: p,
                    dataset: *i,
                    steps: k,
                    error: e.map(|e| e.0),
                    train_error: e.map(|e| e.1),
                    sharpness: s.curve.sharpness.get(k_us).copied(),
                });
            }
        }
        let max = mine.iter().flat_map(|(_, s)| s.curve.sharpness.iter().copied()).fold(0.0, f64::max);
        let crossings: Vec<usize> = mine.iter().filter_map(|(_, s)| s.curve.edge_crossing()).collect();
        let divergences: Vec<usize> = mine.iter().filter_map(|(_, s)| s.curve.diverged).collect();
        summary.push(FeatureSummary {
            samples: p,
            datasets: mine.len(),
            coordinates: mine.iter().map(|(_, s)| s.curve.coordinates as f64).sum::<f64>()
                / mine.len().max(1) as f64,
            max_sharpness: max,
            first_edge_step: crossings.iter().min().map(|&k| k as u64),
            past_edge: crossings.len(),
            first_divergence: divergences.iter().min().map(|&k| k as u64),
            diverged: divergences.len(),
            suggested_step: (max > EDGE_OF_STABILITY).then(|| 2.0 * sched.step / max),
        });
    }
    (points, rows, summary)
}

/// Writes every training set as `DIR/p{P}-d{i}/features.npy` (P × D), `labels.npy` (P) and
/// `target.npy` (β*, D), in the model's units.
fn save(dir: &std::path::Path, jobs: &[(usize, usize)], solved: &[Solved]) -> Result<()> {
    use npyz::WriterBuilder;
    let write = |path: PathBuf, shape: &[u64], data: &mut dyn Iterator<Item = f64>| -> Result<()> {
        let io = |e: std::io::Error| Error::io(&path, e);
        let file = std::fs::File::create(&path).map_err(io)?;
        let mut w = npyz::WriteOptions::<f64>::new()
            .default_dtype()
            .shape(shape)
            .writer(std::io::BufWriter::new(file))
            .begin_nd()
            .map_err(io)?;
        w.extend(data).map_err(io)?;
        w.finish().map_err(io)
    };
    for (&(p, i), s) in jobs.iter().zip(solved) {
        let sub = dir.join(format!("p{p}-d{i}"));
        std::fs::create_dir_all(&sub).map_err(|e| Error::io(&sub, e))?;
        let (rows, cols) = s.set.x.shape();
        let x = &s.set.x;
        write(
            sub.join("features.npy"),
            &[rows as u64, cols as u64],
            &mut (0..rows).flat_map(|r| (0..cols).map(move |c| x[(r, c)])),
        )?;
        write(sub.join("labels.npy"), &[rows as u64], &mut s.set.y.iter().copied())?;
        write(sub.join("target.npy"), &[cols as u64], &mut s.set.target.iter().copied())?;
    }
    Ok(())
}

/// The store key of every network a validation along `steps` trains at the config's width,
/// with the networks per training set (what a figure's markers refer to in the store).
pub(crate) fn point_keys(
    config: &Config,
    steps: &[u64],
    opts: &crate::spec::Simulation,
) -> Vec<(PointKey, usize)> {
    let Training::Features(t) = config.training() else { return Vec::new() };
    let (layers, width) = (config.model().layers().len(), config.model().layers()[0].width);
    let mut out = Vec::new();
    for &p in config.samples() {
        for i in 0..t.datasets {
            for &k in steps {
                out.push((network_key(config, opts, &t, (p, i), width, layers, k), opts.trials));
            }
        }
    }
    out
}

/// The store key of a network (FEATURES §10): its training set (samples, index), width,
/// depth, ε, γ0, centring and step.
fn network_key(
    config: &Config,
    opts: &crate::spec::Simulation,
    t: &FeatureTraining,
    (samples, dataset): (usize, usize),
    width: usize,
    layers: usize,
    steps: u64,
) -> PointKey {
    PointKey::new(config.model(), samples, 0.0, None, opts.seed, opts.test_samples)
        .with_inputs(opts.inputs)
        .with_network(dataset, width, layers, t.step, t.richness, t.centered, steps)
}

/// What one network run gives at each requested step: E_g, E_tr, |β_N − β_∞|², and the
/// largest sharpness so far; NaN once its guard (or the DMFT's) stopped it.
const PER_STEP: usize = 4;

#[allow(clippy::too_many_arguments)] // one run's parts, each used
fn simulate_networks(
    config: &Config,
    t: &FeatureTraining,
    sched: &FeatureSchedule,
    steps: &[u64],
    jobs: &[(usize, usize)],
    solved: &[Solved],
    widths: &[usize],
    gamma: Option<&DMatrix<f64>>,
    metric: features::Metric<'_>,
    run: &RunOptions,
    progress: &dyn Progress,
) -> Result<Option<(usize, Vec<WidthRow>)>> {
    run.check()?;
    let s = run.simulation(config)?;
    if s.scale != 1.0 {
        return Err(Error::option(
            "scale",
            "networks are simulated at the config's own sizes: the scale must be 1",
        ));
    }
    let networks = s.trials;
    if networks < 2 {
        return Err(Error::option(
            "trials",
            "the paired z of feature learning needs at least 2 networks per training set",
        ));
    }
    let dim = config.model().dim();
    let threads = rayon::current_num_threads().min(networks).max(1) as f64;
    let net_of = |n: usize| Network {
        layers: sched.layers,
        width: n,
        richness: t.richness,
        step: t.step,
        rows: sched.rows,
        centered: t.centered,
    };
    let largest = widths.iter().copied().max().unwrap_or(2);
    crate::support::resources::check_memory(
        config.source(),
        "layers[0].width",
        "the networks",
        threads * network_bytes(dim, &net_of(largest)),
    )?;
    let gamma_half = match gamma {
        None => None,
        Some(g) => {
            let e = crate::support::linalg::sym_eigen(g, Par::Seq)?;
            Some(crate::support::linalg::spectral_function(&e, |x| x.max(0.0).sqrt(), Par::Seq))
        }
    };
    // Jobs: (training set j, width w, network s).
    let all: Vec<(usize, usize, usize)> = (0..jobs.len())
        .flat_map(|j| (0..widths.len()).flat_map(move |w| (0..networks).map(move |n| (j, w, n))))
        .collect();
    let keys = |job: usize| -> Vec<PointKey> {
        let (j, w, _) = all[job];
        steps.iter().map(|&k| network_key(config, &s, t, jobs[j], widths[w], sched.layers, k)).collect()
    };
    let stored = crate::jobs::trials::stored(run.store(), (0..all.len()).flat_map(keys).collect(), progress)?;
    let from_store = |job: usize| -> Option<Vec<f64>> {
        let n = all[job].2 as u32;
        let mut out = Vec::with_capacity(steps.len() * PER_STEP);
        for key in keys(job) {
            let v = stored.get(&(key, n))?;
            if v.len() != PER_STEP {
                return None;
            }
            out.extend(v);
        }
        Some(out)
    };
    let cost = |job: usize| {
        let n = widths[all[job].1] as u64;
        (sched.rows as u64 * sched.layers as u64 * n * n * dim as u64 / 1_000_000).max(1)
    };
    let mine = run.shard.map(|sh| sh.assign(&(0..all.len()).map(cost).collect::<Vec<_>>()));
    let todo: Vec<usize> =
        (0..all.len()).filter(|&j| mine.as_ref().is_none_or(|m| m[j]) && from_store(j).is_none()).collect();
    let compute = |job: usize| -> Result<Vec<f64>> {
        let (j, w, n) = all[job];
        let (p, i) = jobs[j];
        let set = &solved[j].set;
        let mut rng = network_rng(s.seed, p, i, widths[w], n);
        let cancelled = || progress.cancelled();
        let r = train(&set.x, &set.y, gamma_half.as_ref(), &net_of(widths[w]), &mut rng, &cancelled)?;
        let sim = &solved[j];
        let p_rows = set.x.nrows() as f64;
        let mut out = Vec::with_capacity(steps.len() * PER_STEP);
        for &k in steps {
            let k = k as usize;
            if k >= r.beta.ncols() || k >= sim.curve.beta.ncols() {
                out.extend([f64::NAN; PER_STEP]);
                continue;
            }
            let beta = r.beta.column(k);
            let diff: Vec<f64> = beta.iter().zip(&set.target).map(|(b, t)| b - t).collect();
            let eg = metric.quadratic(&diff);
            let fit = &set.x * beta;
            let etr = fit.iter().zip(&set.y).map(|(f, y)| (y - f) * (y - f)).sum::<f64>() / p_rows;
            let dev = (beta - sim.curve.beta.column(k)).norm_squared();
            let sharp = r.sharpness.iter().take(k + 1).copied().fold(0.0, f64::max);
            out.extend([eg, etr, dev, sharp]);
        }
        Ok(out)
    };
    let records = |job: usize, r: &Vec<f64>| -> Vec<Record> {
        let n = all[job].2 as u32;
        keys(job)
            .into_iter()
            .enumerate()
            .map(|(si, key)| Record { key, trial: n, values: r[si * PER_STEP..(si + 1) * PER_STEP].to_vec() })
            .collect()
    };
    let results = crate::jobs::trials::Jobs {
        cost: &cost,
        from_store: &from_store,
        compute: &compute,
        records: &records,
    }
    .run(all.len(), &todo, run.store(), progress)?;
    if run.shard.is_some() {
        return Ok(None);
    }
    let results: Vec<Vec<f64>> = results
        .into_iter()
        .map(|r| r.ok_or_else(|| Error::Numerical("a network of the simulation is missing".into())))
        .collect::<Result<_>>()?;
    let mut rows = Vec::new();
    for &p in config.samples() {
        for (w, &n) in widths.iter().enumerate() {
            for (si, &k) in steps.iter().enumerate() {
                // Per training set: its networks' mean E_g and variance, paired with its DMFT value.
                let mut diffs = Vec::new();
                let mut vars = Vec::new();
                let (mut egs, mut trs, mut devs, mut sharp) = (Vec::new(), Vec::new(), Vec::new(), 0.0f64);
                for (j, &(pp, _)) in jobs.iter().enumerate() {
                    if pp != p || si >= steps.len() {
                        continue;
                    }
                    let Some(&(centred, _)) = solved[j].errors.get(k as usize) else { continue };
                    // Uncentred networks carry their initial function: compare with the DMFT plus
                    // its lazy extra error (FEATURES §10).
                    let extra = solved[j].extra.as_ref().map_or(0.0, |e| e[k as usize]);
                    let theory = centred + extra;
                    let vals: Vec<&[f64]> = (0..networks)
                        .map(|net| {
                            let job = (j * widths.len() + w) * networks + net;
                            &results[job][si * PER_STEP..(si + 1) * PER_STEP]
                        })
                        .filter(|v| v.iter().all(|x| x.is_finite()))
                        .collect();
                    if vals.len() < 2 {
                        continue;
                    }
                    let e: Vec<f64> = vals.iter().map(|v| v[0]).collect();
                    let (m, se) = mean_se(&e);
                    if let (Some(m), Some(se)) = (m, se) {
                        diffs.push(m - theory);
                        vars.push(se * se);
                    }
                    egs.extend(e);
                    trs.extend(vals.iter().map(|v| v[1]));
                    devs.extend(vals.iter().map(|v| v[2] * n as f64));
                    sharp = vals.iter().map(|v| v[3]).fold(sharp, f64::max);
                }
                let m = diffs.len() as f64;
                let (z, paired_se) = if diffs.is_empty() {
                    (None, None)
                } else {
                    // z = mean_i(ē_i − E_i^∞) / (√(Σ_i var_i/S)/M): var_i/S is the squared
                    // standard error of dataset i's network mean.
                    let se = vars.iter().sum::<f64>().sqrt() / m;
                    let mean = diffs.iter().sum::<f64>() / m;
                    ((se > 0.0).then(|| mean / se), Some(se))
                };
                let (dev, dev_se) = mean_se(&devs);
                rows.push(WidthRow {
                    samples: p,
                    width: n,
                    steps: k,
                    error: mean_se(&egs).0,
                    error_stderr: paired_se,
                    z,
                    train_error: mean_se(&trs).0,
                    deviation: dev,
                    deviation_stderr: dev_se,
                    sharpness: (!egs.is_empty()).then_some(sharp),
                    networks: egs.len(),
                });
            }
        }
    }
    Ok(Some((networks, rows)))
}

impl FeatureReport {
    /// The simulated width the points table shows: the config's if simulated, else the first.
    fn shown_width(&self) -> Option<usize> {
        let (_, rows) = self.simulated.as_ref()?;
        rows.iter().find(|r| r.width == self.width).or(rows.first()).map(|r| r.width)
    }

    fn width_row(&self, p: usize, k: u64, n: usize) -> Option<&WidthRow> {
        let (_, rows) = self.simulated.as_ref()?;
        rows.iter().find(|r| r.samples == p && r.steps == k && r.width == n)
    }

    /// Per sample size and step: `samples, steps, time, error, error_stderr, train_error,
    /// train_stderr, sharpness, past_edge, diverged` (+ `uncentred_extra`), and with a
    /// simulation at the config's width `mc_mean, mc_stderr, z, train_mc_mean,
    /// network_sharpness, networks`.
    pub fn points_table(&self) -> Table {
        let mut columns: Vec<String> = [
            "samples",
            "steps",
            "time",
            "error",
            "error_stderr",
            "train_error",
            "train_stderr",
            "sharpness",
            "past_edge",
            "diverged",
        ]
        .map(String::from)
        .to_vec();
        if !self.training.centered {
            columns.push("uncentred_extra".into());
        }
        let shown = self.shown_width();
        if shown.is_some() {
            columns.extend(
                ["mc_mean", "mc_stderr", "z", "train_mc_mean", "network_sharpness", "networks"]
                    .map(String::from),
            );
        }
        let rows = self
            .points
            .iter()
            .map(|pt| {
                let mut row = vec![
                    Cell::Int(pt.samples as u64),
                    Cell::Int(pt.steps),
                    Cell::Num(pt.time),
                    Cell::opt(pt.error),
                    Cell::opt(pt.error_stderr),
                    Cell::opt(pt.train_error),
                    Cell::opt(pt.train_stderr),
                    Cell::Num(pt.sharpness),
                    Cell::Int(pt.past_edge as u64),
                    Cell::Int(pt.diverged as u64),
                ];
                if !self.training.centered {
                    row.push(Cell::opt(pt.uncentred_extra));
                }
                if let Some(n) = shown {
                    match self.width_row(pt.samples, pt.steps, n) {
                        Some(w) => row.extend([
                            Cell::opt(w.error),
                            Cell::opt(w.error_stderr),
                            Cell::opt(w.z),
                            Cell::opt(w.train_error),
                            Cell::opt(w.sharpness),
                            Cell::Int(w.networks as u64),
                        ]),
                        None => row.extend(std::iter::repeat_n(Cell::Missing, 6)),
                    }
                }
                row
            })
            .collect();
        Table { columns, rows }
    }

    /// One row per (samples, dataset, steps): `error, train_error, sharpness` of that
    /// training set's DMFT (empty after its guard stopped it).
    pub fn datasets_table(&self) -> Table {
        let columns = ["samples", "dataset", "steps", "time", "error", "train_error", "sharpness"];
        let rows = self
            .datasets
            .iter()
            .map(|r| {
                vec![
                    Cell::Int(r.samples as u64),
                    Cell::Int(r.dataset as u64),
                    Cell::Int(r.steps),
                    Cell::Num(self.training.step * r.steps as f64),
                    Cell::opt(r.error),
                    Cell::opt(r.train_error),
                    Cell::opt(r.sharpness),
                ]
            })
            .collect();
        Table::named(&columns, rows)
    }

    /// Per sample size: the monitor (FEATURES §4) and the guard.
    pub fn summary_table(&self) -> Table {
        let columns = [
            "samples",
            "datasets",
            "coordinates",
            "max_sharpness",
            "first_edge_step",
            "past_edge",
            "first_divergence",
            "diverged",
            "suggested_step",
        ];
        let int = |x: Option<u64>| x.map_or(Cell::Missing, Cell::Int);
        let rows = self
            .summary
            .iter()
            .map(|s| {
                vec![
                    Cell::Int(s.samples as u64),
                    Cell::Int(s.datasets as u64),
                    Cell::Num(s.coordinates),
                    Cell::Num(s.max_sharpness),
                    int(s.first_edge_step),
                    Cell::Int(s.past_edge as u64),
                    int(s.first_divergence),
                    Cell::Int(s.diverged as u64),
                    Cell::opt(s.suggested_step),
                ]
            })
            .collect();
        Table::named(&columns, rows)
    }

    /// With a simulation: one row per (samples, width, steps) with the networks' mean, the
    /// paired z, and N·⟨|β_N − β_∞|²⟩ (`deviation`).
    pub fn widths_table(&self) -> Table {
        let columns = [
            "samples",
            "width",
            "steps",
            "time",
            "mc_mean",
            "mc_stderr",
            "z",
            "train_mc_mean",
            "deviation",
            "deviation_stderr",
            "network_sharpness",
            "networks",
        ];
        let rows = self
            .simulated
            .iter()
            .flat_map(|(_, rows)| rows)
            .map(|w| {
                vec![
                    Cell::Int(w.samples as u64),
                    Cell::Int(w.width as u64),
                    Cell::Int(w.steps),
                    Cell::Num(self.training.step * w.steps as f64),
                    Cell::opt(w.error),
                    Cell::opt(w.error_stderr),
                    Cell::opt(w.z),
                    Cell::opt(w.train_error),
                    Cell::opt(w.deviation),
                    Cell::opt(w.deviation_stderr),
                    Cell::opt(w.sharpness),
                    Cell::Int(w.networks as u64),
                ]
            })
            .collect();
        Table::named(&columns, rows)
    }

    /// The edge of stability and the guard per sample size, one line each (FEATURES §4).
    pub fn warnings(&self) -> Vec<String> {
        let eps = self.training.step;
        let mut out = Vec::new();
        for s in &self.summary {
            if let (Some(k), Some(e)) = (s.first_edge_step, s.suggested_step) {
                out.push(format!(
                    "p = {}: the sharpness passed 2 (the edge of stability) on {} of {} training sets, first at step {k} (t = {}), max {}: gradient descent left its stable region — what follows depends on ε and is not gradient flow's, and finite-width fluctuations are amplified; try ε < {}",
                    s.samples,
                    s.past_edge,
                    s.datasets,
                    num(eps * k as f64),
                    num(s.max_sharpness),
                    num(e)
                ));
            }
            if let Some(k) = s.first_divergence {
                out.push(format!(
                    "p = {}: gradient descent diverged on {} of {} training sets (first at step {k}): their rows are empty from there, the means are over the others",
                    s.samples, s.diverged, s.datasets
                ));
            }
        }
        out
    }

    /// With a simulation: points, networks per training set, and the largest |z| at the
    /// points table's width.
    pub fn simulation_check(&self) -> Option<(usize, usize, f64)> {
        let (networks, rows) = self.simulated.as_ref()?;
        let n = self.shown_width()?;
        let z = rows.iter().filter(|r| r.width == n).filter_map(|r| r.z).map(f64::abs).reduce(f64::max)?;
        Some((self.points.len(), *networks, z))
    }

    /// CSV: one table (`points`, the default, `summary`, `datasets` or `widths`). JSON: all
    /// of them with `warnings`, beside `program`, `version`, `config` and the training.
    pub fn render(&self, source: &str, format: Format, table: Option<&str>) -> Result<String> {
        let mut tables = vec![
            ("points", self.points_table()),
            ("summary", self.summary_table()),
            ("datasets", self.datasets_table()),
        ];
        if self.simulated.is_some() {
            tables.push(("widths", self.widths_table()));
        }
        crate::support::output::render_tables(&tables, table, format, source, || {
            let t = &self.training;
            serde_json::json!({
                "optimizer": "gd",
                "layers": "all",
                "hidden_layers": self.layers,
                "width": self.width,
                "step": t.step,
                "richness": t.richness,
                "centered": t.centered,
                "datasets_per_sample_size": t.datasets,
                "points": self.points_table().json_rows(),
                "summary": self.summary_table().json_rows(),
                "datasets": self.datasets_table().json_rows(),
                "widths": self.simulated.as_ref().map(|_| self.widths_table().json_rows()),
                "warnings": self.warnings(),
            })
        })
    }
}
