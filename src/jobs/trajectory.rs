//! Trained networks followed along an axis (gradient flow's times, gradient descent's step
//! counts): one draw and one eigendecomposition per trial for the whole axis, trials keyed
//! as `validate`'s and kept in the run's store. Shared by `dynamics` and the stepped runs.

use crate::jobs::run::RunOptions;
use crate::jobs::store::{PointKey, Record};
use crate::jobs::trials::{self, Jobs};
use crate::simulation::{Filter, Trial};
use crate::spec::{Config, Error, Inputs, Result};
use crate::support::progress::Progress;
use crate::support::stats::{summarize, Summary};

/// E_g and E_tr summaries of the run's trajectories (gradient flow or gradient descent, one
/// draw per trial for a whole axis) at every sample size and filter of `filters` (one list
/// per sample size), in that order (empty for a shard, which only fills the store).
pub(crate) fn simulate_axis(
    config: &Config,
    ridge: f64,
    filters: &[Vec<Filter>],
    run: &RunOptions,
    progress: &dyn Progress,
) -> Result<Vec<(Summary, Summary)>> {
    run.check()?;
    let s = run.simulation(config)?;
    if s.scale != 1.0 {
        return Err(Error::option("scale", SCALE_ONE));
    }
    if s.inputs != Inputs::Gaussian {
        return Err(Error::option("inputs", GAUSSIAN_ONLY));
    }
    crate::jobs::validate::plan(config, &s)?;
    // The keys of `validate`'s trial at (p, t): a trajectory is stored as one record per time.
    let keys: Vec<Vec<PointKey>> = config
        .samples()
        .iter()
        .zip(filters)
        .map(|(&p, fs)| {
            let key = PointKey::new(config.model(), p, ridge, None, s.seed, s.test_samples);
            fs.iter().map(|&f| key.with_filter(f)).collect()
        })
        .collect();
    let stored = trials::stored(run.store(), keys.iter().flatten().copied().collect(), progress)?;
    let jobs: Vec<(usize, usize)> =
        (0..config.samples().len()).flat_map(|i| (0..s.trials).map(move |t| (i, t))).collect();
    let from_store = |j: usize| -> Option<Vec<Trial>> {
        let (i, t) = jobs[j];
        keys[i]
            .iter()
            .map(|k| match stored.get(&(*k, t as u32)) {
                Some(v) if v.len() == 3 => Some(Trial { error: v[0], bias: v[1], train_error: v[2] }),
                _ => None,
            })
            .collect()
    };
    // A shard takes its share of the jobs by cost (a trajectory costs ∝ p·width²), the same
    // share in every process whatever the store holds.
    let cost = |j: usize| config.samples()[jobs[j].0] as u64;
    let mine = run.shard.map(|shard| shard.assign(&(0..jobs.len()).map(cost).collect::<Vec<_>>()));
    let todo: Vec<usize> =
        (0..jobs.len()).filter(|&j| mine.as_ref().is_none_or(|m| m[j]) && from_store(j).is_none()).collect();
    let sim = if todo.is_empty() {
        None
    } else {
        let model = crate::model::Model::for_simulation(config.model(), progress)?;
        Some(crate::simulation::Simulator::new(&model)?)
    };
    let compute = |j: usize| -> Result<Vec<Trial>> {
        let (i, t) = jobs[j];
        let Some(sim) = sim.as_ref() else {
            return Err(Error::Numerical("no simulator for a missing trial".into()));
        };
        let p = config.samples()[i];
        let mut rng = crate::simulation::trial_rng(s.seed, p, t);
        sim.trials_filtered(p, ridge, &filters[i], &mut rng, faer::Par::Seq)
    };
    let records = |j: usize, r: &Vec<Trial>| -> Vec<Record> {
        let (i, t) = jobs[j];
        keys[i]
            .iter()
            .zip(r)
            .map(|(k, tr)| Record {
                key: *k,
                trial: t as u32,
                values: vec![tr.error, tr.bias, tr.train_error],
            })
            .collect()
    };
    let runs = Jobs { cost: &cost, from_store: &from_store, compute: &compute, records: &records }.run(
        jobs.len(),
        &todo,
        run.store(),
        progress,
    )?;
    if run.shard.is_some() {
        return Ok(Vec::new());
    }
    let runs: Vec<Vec<Trial>> = runs
        .into_iter()
        .map(|r| r.ok_or_else(|| Error::Numerical("a trajectory of the run is missing".into())))
        .collect::<Result<_>>()?;
    let mut out = Vec::new();
    for i in 0..config.samples().len() {
        let per_p = &runs[i * s.trials..(i + 1) * s.trials];
        for k in 0..filters[i].len() {
            // A draw beyond its own stability edge (gradient descent) is marked +∞ and left
            // out: its summary counts the trials that stayed (`Summary::trials`).
            let e: Vec<f64> = per_p.iter().map(|r| r[k].error).filter(|x| x.is_finite()).collect();
            let tr: Vec<f64> = per_p.iter().map(|r| r[k].train_error).filter(|x| x.is_finite()).collect();
            out.push((summarize(&e), summarize(&tr)));
        }
    }
    Ok(out)
}

/// Why `dynamics --validate` refuses a scale.
pub(crate) const SCALE_ONE: &str = "dynamics simulates at the config's own sizes: the scale must be 1";
/// Why `dynamics --validate` refuses real inputs.
pub(crate) const GAUSSIAN_ONLY: &str = "dynamics simulates Gaussian inputs only";
