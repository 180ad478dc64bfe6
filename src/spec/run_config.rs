//! A run's specification: the model, the readout (ridge, ensemble), the sample sizes and
//! the simulation defaults. Parsed from TOML by `crate::config`; changed only through
//! setters that keep every rule.

use super::error::{Error, Invalid, Result};
use super::limits::MAX_SAMPLES;
use super::model::{ExponentOf, ModelSpec};
use super::readout::{
    Ensemble, Ridge, Time, Training, FINITE_TIME_ENSEMBLE, FINITE_TIME_RIDGE, NONLINEAR_ENSEMBLE,
};
use super::rules;
use super::simulation::Simulation;
use super::text::num;

/// A validated model configuration: the model, the ridge, the sample sizes and the
/// simulation defaults.
#[derive(Clone, Debug)]
pub struct Config {
    source: String,
    model: ModelSpec,
    ridge: Ridge,
    ensemble: Option<Ensemble>,
    time: Time,
    /// `[training]` with a step (gradient descent, SGD); `None`: gradient flow by `time`.
    stepped: Option<Training>,
    samples: Vec<usize>,
    simulation: Simulation,
}

/// Why a config trained by gradient flow has no step or step count.
const NO_STEP: &str =
    "steps and step counts are gradient descent's and SGD's: set [training] optimizer = \"gd\" or \"sgd\"";

impl Config {
    /// A configuration from its parts, checked (the keys of errors are a config file's).
    /// `samples` are sorted and deduplicated.
    pub fn new(
        model: ModelSpec,
        ridge: Ridge,
        ensemble: Option<Ensemble>,
        mut samples: Vec<usize>,
        simulation: Simulation,
    ) -> Result<Config> {
        let source = model.source().to_string();
        samples.sort_unstable();
        samples.dedup();
        let mut c = Config {
            source,
            model,
            ridge: Ridge::Optimal,
            ensemble: None,
            time: Time::Infinite,
            stepped: None,
            samples: vec![],
            simulation,
        };
        c.set_ridge(ridge).map_err(|e| e.at(&c.source, "readout.ridge"))?;
        c.set_ensemble(ensemble).map_err(|e| e.at(&c.source, "readout.ensemble"))?;
        // No sample sizes only for one-pass SGD, set next by `set_training` (resolve's rule).
        if !samples.is_empty() {
            c.set_samples(samples).map_err(|e| e.at(&c.source, "samples.values"))?;
        }
        Ok(c)
    }

    /// Where the config came from: its file name, or `<string>` for TOML text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The model.
    pub fn model(&self) -> &ModelSpec {
        &self.model
    }

    /// The ridge of the readout.
    pub fn ridge(&self) -> Ridge {
        self.ridge
    }

    /// `[readout] time`: how long gradient flow trains the readout (DYNAMICS.md).
    pub fn time(&self) -> Time {
        self.time
    }

    /// How the readout is trained (`[training]`, else `[readout] time`): the value every job
    /// dispatches on.
    pub fn training(&self) -> Training {
        self.stepped.unwrap_or(Training::of_time(self.time))
    }

    /// Sets a training with a step (`[training]`): gradient descent or one-pass SGD need a
    /// linear network, a fixed ridge (their weight decay), a single learner and no
    /// `[readout] time`; SGD has no sample sizes, gradient descent needs them. Gradient flow
    /// (`Training::Flow`, …) goes through [`Config::set_time`].
    pub fn set_training(&mut self, training: Training) -> Result<(), Invalid> {
        if let Training::Features(_) = training {
            if let Some((_, why)) = self.features_rule() {
                return Err(why);
            }
            self.stepped = Some(training);
            return Ok(());
        }
        let sgd = matches!(training, Training::Sgd(_));
        if !matches!(training, Training::Descent(_) | Training::Sgd(_)) {
            return self.set_time(training.time());
        }
        if self.model.is_nonlinear() {
            return Err(Invalid(crate::spec::STEP_LINEAR.into()));
        }
        if self.ridge == Ridge::Optimal {
            return Err(Invalid(crate::spec::STEP_RIDGE.into()));
        }
        if self.ensemble.is_some() {
            return Err(Invalid(crate::spec::STEP_ENSEMBLE.into()));
        }
        if self.time != Time::Infinite {
            return Err(Invalid(
                "[readout] time is gradient flow's: give [training] steps for gradient descent and SGD"
                    .into(),
            ));
        }
        if sgd && !self.samples.is_empty() {
            return Err(Invalid(crate::spec::SGD_SAMPLES.into()));
        }
        if !sgd && self.samples.is_empty() {
            return Err(Invalid("gradient descent needs sample sizes: add [samples]".into()));
        }
        self.stepped = Some(training);
        Ok(())
    }

    /// Sets the step count of gradient descent or one-pass SGD (`training.steps`); a config
    /// trained by gradient flow has none.
    pub fn set_steps(&mut self, steps: crate::spec::Steps) -> Result<(), Invalid> {
        self.stepped = Some(match self.stepped {
            Some(Training::Descent(d)) => Training::Descent(crate::spec::Descent { steps, ..d }),
            Some(Training::Sgd(s)) => Training::Sgd(crate::spec::OnlineSgd { steps, ..s }),
            Some(Training::Features(f)) => Training::Features(crate::spec::FeatureTraining { steps, ..f }),
            _ => return Err(Invalid(NO_STEP.into())),
        });
        Ok(())
    }

    /// What a network with every layer trained (FEATURES §10) needs of this config, as the
    /// key that breaks it and why: one or more linear hidden layers of one width N with
    /// i.i.d. weights (S_ℓ = I), finite data, the plain squared loss (ridge 0), a single
    /// network, no `[readout] time`, and sample sizes.
    pub fn features_rule(&self) -> Option<(String, Invalid)> {
        let why = |key: String, m: String| Some((key, Invalid(m)));
        let layers = self.model.layers();
        if layers.is_empty() {
            return why(
                "layers".into(),
                "every layer trained needs a hidden layer ([[layers]]); without one it is the readout's gradient descent (layers = \"readout\")".into(),
            );
        }
        for (i, l) in layers.iter().enumerate() {
            if !l.activation.is_linear() {
                return why(format!("layers[{i}].activation"), crate::spec::training::FEATURES_LINEAR.into());
            }
            if l.covariance.kind != crate::spec::CovarianceKind::Identity {
                return why(
                    format!("layers[{i}].covariance"),
                    "the feature-learning DMFT has i.i.d. hidden weights (S_ℓ = I); structured hidden layers are not derived (FEATURES §9)".into(),
                );
            }
            if l.width != layers[0].width {
                return why(
                    format!("layers[{i}].width"),
                    format!(
                        "every hidden layer has the one width N the networks are simulated at (FEATURES §10): layers[0] has {}, layers[{i}] {}",
                        layers[0].width, l.width
                    ),
                );
            }
        }
        if self.model.is_infinite() {
            return why(
                "data.dim".into(),
                "feature learning is computed at fixed data (P samples in D dimensions): give a finite dim"
                    .into(),
            );
        }
        if self.ridge != Ridge::Fixed(0.0) {
            return why(
                "readout.ridge".into(),
                "every layer is trained on the plain squared loss (FEATURES §1): the ridge must be 0".into(),
            );
        }
        if self.ensemble.is_some() {
            return why(
                "readout.ensemble".into(),
                "feature learning is computed for a single network; finite-width fluctuations are in dynamics --validate --widths".into(),
            );
        }
        if self.time != Time::Infinite {
            return why(
                "readout.time".into(),
                "[readout] time is gradient flow's: give [training] steps for gradient descent".into(),
            );
        }
        if self.samples.is_empty() {
            return why("samples".into(), "feature learning needs sample sizes: add [samples]".into());
        }
        None
    }

    /// Sets the step of gradient descent or one-pass SGD (`training.step`).
    pub fn set_step(&mut self, step: crate::spec::Step) -> Result<(), Invalid> {
        self.stepped = Some(match self.stepped {
            Some(Training::Descent(d)) => Training::Descent(crate::spec::Descent { step, ..d }),
            Some(Training::Sgd(s)) => Training::Sgd(crate::spec::OnlineSgd { step, ..s }),
            _ => return Err(Invalid(NO_STEP.into())),
        });
        Ok(())
    }

    /// Sets the training time (`readout.time`): a finite time, t*, or ∞ (the default). A
    /// finite time needs a linear network, a fixed ridge and no ensemble.
    pub fn set_time(&mut self, time: Time) -> Result<(), Invalid> {
        if let Time::Finite(t) = time {
            Time::finite(t)?;
        }
        if time != Time::Infinite {
            if self.model.is_nonlinear() {
                return Err(Invalid(
                    "a finite training time is specified for linear networks (DYNAMICS.md), and a layer is nonlinear".into(),
                ));
            }
            if self.ridge == Ridge::Optimal {
                return Err(Invalid(FINITE_TIME_RIDGE.into()));
            }
            if self.ensemble.is_some() {
                return Err(Invalid(FINITE_TIME_ENSEMBLE.into()));
            }
        }
        self.time = time;
        Ok(())
    }

    /// `[readout] ensemble`: the number of learners averaged (THEORY §7), if the config sets
    /// it. The single learner's columns are reported either way; with an ensemble the
    /// curve adds E_g(K), `Ridge::Optimal` minimises E_g(K) and `validate` simulates K learners.
    pub fn ensemble(&self) -> Option<Ensemble> {
        self.ensemble
    }

    /// The ensemble the readout averages ([`Ensemble::SINGLE`] when `ensemble` is unset).
    pub fn readout_ensemble(&self) -> Ensemble {
        self.ensemble.unwrap_or(Ensemble::SINGLE)
    }

    /// Sample sizes, each from 1 to `MAX_SAMPLES`, distinct.
    pub fn samples(&self) -> &[usize] {
        &self.samples
    }

    /// The `[simulation]` defaults.
    pub fn simulation(&self) -> &Simulation {
        &self.simulation
    }

    /// A quantity of the readout's ensemble (`Ensemble::error` and its parts), or the
    /// config error that explains its absence: §7 is specified for linear networks only,
    /// which [`Config::set_ensemble`] and the figures' ensemble axis already enforce.
    pub fn ensemble_value(&self, v: Option<f64>) -> Result<f64> {
        v.ok_or_else(|| Error::input(&self.source, "readout.ensemble", NONLINEAR_ENSEMBLE))
    }

    /// Sets the ridge (`readout.ridge`): a finite λ ≥ 0 or λ*.
    pub fn set_ridge(&mut self, ridge: Ridge) -> Result<(), Invalid> {
        if ridge == Ridge::Optimal && self.time != Time::Infinite {
            return Err(Invalid(FINITE_TIME_RIDGE.into()));
        }
        if ridge == Ridge::Optimal && self.stepped.is_some() {
            return Err(Invalid(crate::spec::STEP_RIDGE.into()));
        }
        self.ridge = match ridge {
            Ridge::Fixed(l) => Ridge::fixed(l)?,
            Ridge::Optimal => Ridge::Optimal,
        };
        Ok(())
    }

    /// Sets the ensemble (`readout.ensemble`): K ≥ 1 or ∞, for linear networks only.
    pub fn set_ensemble(&mut self, ensemble: Option<Ensemble>) -> Result<(), Invalid> {
        if let Some(e) = ensemble {
            if let Ensemble::Members(k) = e {
                rules::ensemble_size(k as f64)?;
            }
            if self.model.is_nonlinear() {
                return Err(Invalid(NONLINEAR_ENSEMBLE.into()));
            }
            if self.time != Time::Infinite {
                return Err(Invalid(FINITE_TIME_ENSEMBLE.into()));
            }
            if self.stepped.is_some() {
                return Err(Invalid(crate::spec::STEP_ENSEMBLE.into()));
            }
        }
        self.ensemble = ensemble;
        Ok(())
    }

    /// Sets the sample sizes (`samples`), kept in the given order with repeats removed.
    pub fn set_samples(&mut self, mut samples: Vec<usize>) -> Result<(), Invalid> {
        if matches!(self.stepped, Some(Training::Sgd(_))) {
            return Err(Invalid(crate::spec::SGD_SAMPLES.into()));
        }
        rules::sample_list(&samples)?;
        samples.dedup();
        self.samples = samples;
        Ok(())
    }

    /// Sets the sample sizes p = round(α n0) of ratios α (in order, repeats removed).
    pub fn set_alphas(&mut self, alphas: &[f64]) -> Result<(), Invalid> {
        if self.model.is_infinite() {
            return Err(Invalid(INFINITE_ALPHA.into()));
        }
        let n0 = self.model.dim();
        let ps = alphas.iter().map(|&a| rules::alpha_samples(a, n0)).collect::<Result<Vec<_>, _>>()?;
        self.set_samples(ps)
    }

    /// Sets the label-noise variance η² (`data.noise`).
    pub fn set_noise(&mut self, noise: f64) -> Result<(), Invalid> {
        self.model.set_noise(noise)
    }

    /// Sets hidden layer `layer`'s (1-based) width to round(ν·n0).
    pub fn set_width_ratio(&mut self, layer: usize, nu: f64) -> Result<(), Invalid> {
        self.model.set_width_ratio(layer, nu)
    }

    /// Sets the richness γ0 of a network with every layer trained (`training.richness`).
    pub fn set_richness(&mut self, richness: f64) -> Result<(), Invalid> {
        let Some(Training::Features(t)) = self.stepped else {
            return Err(Invalid(
                "the richness is a network's with every layer trained ([training] layers = \"all\")".into(),
            ));
        };
        let richness = crate::spec::FeatureTraining::richness(richness)?;
        if !t.centered && richness == 0.0 {
            return Err(Invalid("an uncentred network needs γ0 > 0".into()));
        }
        self.stepped = Some(Training::Features(crate::spec::FeatureTraining { richness, ..t }));
        Ok(())
    }

    /// Sets every hidden layer to one width N (the networks of a config with every layer
    /// trained have one width).
    pub fn set_network_width(&mut self, width: usize) -> Result<(), Invalid> {
        for l in 1..=self.model.layers().len() {
            self.model.set_width(l, width)?;
        }
        Ok(())
    }

    /// Sets an exponent of the model (see [`ModelSpec::set_exponent`]).
    pub fn set_exponent(&mut self, of: ExponentOf, x: f64) -> Result<(), Invalid> {
        self.model.set_exponent(of, x)
    }

    /// Replaces the sample sizes by `points` values of α = p/n0 from `from` to `to`
    /// (log-spaced when `log`), p = round(α n0) deduplicated: a quick sweep without
    /// editing the file. Errors name the option `alpha`.
    pub fn with_alpha_range(mut self, from: f64, to: f64, points: usize, log: bool) -> Result<Config> {
        let n0 = self.model.dim() as f64;
        let bad = |m: String| Error::option("alpha", m);
        if self.model.is_infinite() {
            return Err(bad(INFINITE_ALPHA.into()));
        }
        let (f, t) = (num(from), num(to));
        if !(from.is_finite() && to.is_finite() && from > 0.0 && to >= from) {
            return Err(bad(format!("expected 0 < FROM ≤ TO, got {f}:{t}")));
        }
        rules::points(i64::try_from(points).unwrap_or(i64::MAX)).map_err(|e| e.option("alpha"))?;
        if from * n0 < 0.5 {
            return Err(bad(format!(
                "α = {f} gives p = round({f} × {n0}) = 0 samples; start at α ≥ {}",
                num(0.5 / n0)
            )));
        }
        if to * n0 > MAX_SAMPLES {
            return Err(bad(format!("α = {t} gives p above the largest sample size {MAX_SAMPLES:e}")));
        }
        let ps: Vec<usize> = rules::spaced(from * n0, to * n0, points, log)
            .into_iter()
            .map(|x| (x.round() as usize).max(1))
            .collect();
        self.set_samples(ps).map_err(|e| e.option("alpha"))?;
        Ok(self)
    }
}

/// Why α = p/n0 cannot give sample sizes of an infinite model.
const INFINITE_ALPHA: &str =
    "with data.dim = \"infinite\" α = p/n0 is 0: give sample sizes p (samples.values or samples.range)";
