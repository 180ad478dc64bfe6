//! The `validate` job: simulate every sample size of a config and set the Monte Carlo
//! estimate beside the theory at the simulated sizes.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{scale_size, ModelSummary};
use crate::simulation::{trial_rng, Simulator, Trial, MAX_TRIALS};
use crate::stats::{summarize, Summary};
use crate::sweep;
use faer::Par;
use rayon::prelude::*;
use serde::Serialize;

/// Monte Carlo settings of one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Independent trials per sample size (≥ 1).
    pub trials: usize,
    /// Seed of every trial's RNG stream.
    pub seed: u64,
    /// Factor applied to n0, every width and every sample size (> 0).
    pub scale: f64,
    /// Show a progress bar on a terminal.
    pub progress: bool,
}

impl Options {
    /// Checks the values, naming the flag of a bad one.
    pub fn check(&self) -> Result<()> {
        if self.trials == 0 || self.trials > MAX_TRIALS {
            return Err(Error::Usage(format!("--trials: expected 1 to {MAX_TRIALS}, got {}", self.trials)));
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(Error::Usage(format!("--scale: expected a finite number > 0, got {}", self.scale)));
        }
        Ok(())
    }
}

/// One validated sample size.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub samples: usize,
    pub alpha: f64,
    /// λ simulated (the theory's λ* for `ridge = "optimal"`).
    pub ridge: f64,
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
}

/// Agreement over all rows.
#[derive(Clone, Debug, Serialize)]
pub struct Agreement {
    pub points: usize,
    /// Largest |z| and the sample size where it occurs (points with a z only).
    pub max_abs_z: Option<(f64, usize)>,
    /// Points whose 95% interval contains the theory, out of `with_interval`.
    pub covered: usize,
    pub with_interval: usize,
    /// Points at the interpolation threshold (theory +∞), not compared.
    pub at_threshold: Vec<usize>,
}

/// A validation run: rows, agreement and the resolved (scaled) model.
#[derive(Clone, Debug, Serialize)]
pub struct Validation {
    pub model: ModelSummary,
    pub trials: usize,
    pub seed: u64,
    pub scale: f64,
    pub rows: Vec<Row>,
    pub agreement: Agreement,
}

/// Runs the Monte Carlo validation of a config.
pub fn run(config: &Config, opts: &Options) -> Result<Validation> {
    opts.check()?;
    let spec = config.model.scaled(opts.scale)?;
    let mut samples: Vec<usize> = config.samples.iter().map(|&p| scale_size(p, opts.scale)).collect();
    samples.dedup();
    let model = spec.build()?;
    let theory = model.theory()?;
    let sim = Simulator::new(&model)?;
    let points = sweep::learning_curve(&theory, &samples, config.ridge, &indicatif::ProgressBar::hidden())?;
    let jobs: Vec<(usize, usize)> =
        (0..points.len()).flat_map(|i| (0..opts.trials).map(move |t| (i, t))).collect();
    let pb = crate::progress::bar(jobs.len(), "simulate", opts.progress);
    // Sequential kernels inside trials: parallelism is over trials, and results do not
    // depend on the thread count.
    let previous = faer::get_global_parallelism();
    faer::set_global_parallelism(Par::Seq);
    let results: Result<Vec<Trial>> = jobs
        .par_iter()
        .map(|&(i, t)| {
            let p = points[i].samples;
            let mut rng = trial_rng(opts.seed, p, t);
            let r = sim.trial(p, points[i].ridge, &mut rng, Par::Seq);
            pb.inc(1);
            r
        })
        .collect();
    faer::set_global_parallelism(previous);
    pb.finish_and_clear();
    let results = results?;
    let rows: Vec<Row> = points
        .iter()
        .enumerate()
        .map(|(i, pt)| {
            let trials = &results[i * opts.trials..(i + 1) * opts.trials];
            let errors: Vec<f64> = trials.iter().map(|t| t.error).collect();
            let train: Vec<f64> = trials.iter().map(|t| t.train_error).collect();
            let bias: Vec<f64> = trials.iter().map(|t| t.bias).collect();
            let variance: Vec<f64> = trials.iter().map(|t| t.error - t.bias).collect();
            let mc = summarize(&errors);
            Row {
                samples: pt.samples,
                alpha: pt.alpha,
                ridge: pt.ridge,
                theory: pt.error,
                z: mc.z(pt.error),
                mc,
                train_theory: pt.train_error,
                train_mc_mean: summarize(&train).mean,
                bias_theory: pt.bias,
                mc_bias: summarize(&bias),
                variance_theory: pt.variance,
                mc_variance: summarize(&variance),
            }
        })
        .collect();
    let agreement = agreement(&rows);
    Ok(Validation {
        model: model.summary(&theory),
        trials: opts.trials,
        seed: opts.seed,
        scale: opts.scale,
        rows,
        agreement,
    })
}

fn agreement(rows: &[Row]) -> Agreement {
    let mut a =
        Agreement { points: rows.len(), max_abs_z: None, covered: 0, with_interval: 0, at_threshold: vec![] };
    for r in rows {
        if !r.theory.is_finite() {
            a.at_threshold.push(r.samples);
            continue;
        }
        if let Some(z) = r.z {
            if a.max_abs_z.is_none_or(|(m, _)| z.abs() > m) {
                a.max_abs_z = Some((z.abs(), r.samples));
            }
        }
        if let Some(c) = r.mc.covers(r.theory) {
            a.with_interval += 1;
            a.covered += c as usize;
        }
    }
    a
}

impl Validation {
    /// One-paragraph summary for stderr.
    pub fn summary_line(&self) -> String {
        let a = &self.agreement;
        let mut s = format!("validate: {} points × {} trials (scale {})", a.points, self.trials, self.scale);
        match a.max_abs_z {
            Some((z, p)) => s.push_str(&format!("; max |z| = {z:.2} at p = {p}")),
            None => s.push_str("; no z (fewer than 2 trials per point)"),
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
            s.push_str(&format!(
                "; not compared at the interpolation threshold (theory = inf): p = {:?}",
                a.at_threshold
            ));
        }
        s
    }

    /// Sample sizes whose |z| exceeds `limit`.
    pub fn failures(&self, limit: f64) -> Vec<(usize, f64)> {
        self.rows.iter().filter_map(|r| r.z.filter(|z| z.abs() > limit).map(|z| (r.samples, z))).collect()
    }
}
