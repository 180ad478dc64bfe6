//! How a run simulates: the `[simulation]` section of a config (its defaults), what a run
//! changes of them ([`SimulationOverrides`]: flags, Python keywords, figure batches), and
//! the resolution of the two into one checked [`Simulation`].

use super::error::{Invalid, Result};
use super::limits::DEFAULT_TEST_SAMPLES;
use super::rules;

/// Monte Carlo settings: a config's `[simulation]` defaults, or a run's resolved values
/// ([`Simulation::with`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Simulation {
    /// Independent trials per sample size (1 to [`MAX_TRIALS`](super::limits::MAX_TRIALS)).
    pub trials: usize,
    /// Seed of every trial's random stream.
    pub seed: u64,
    /// Factor applied to n0, every width and every sample size (> 0).
    pub scale: f64,
    /// Size of the fresh test set on which a trial of a nonlinear network measures E_g
    /// (linear networks use the exact formula and ignore it).
    pub test_samples: usize,
    /// Gaussian inputs, or the rows of the model's dataset (`inputs = "data"`).
    pub inputs: Inputs,
}

impl Default for Simulation {
    fn default() -> Self {
        Simulation {
            trials: 20,
            seed: 1,
            scale: 1.0,
            test_samples: DEFAULT_TEST_SAMPLES,
            inputs: Inputs::Gaussian,
        }
    }
}

/// What a run changes of a config's `[simulation]` values; `None` keeps the config's.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SimulationOverrides {
    pub trials: Option<usize>,
    pub seed: Option<u64>,
    pub scale: Option<f64>,
    pub inputs: Option<Inputs>,
}

impl Simulation {
    /// These settings with a run's overrides applied, checked; errors name the option
    /// (`trials`, `scale`).
    pub fn with(&self, o: &SimulationOverrides) -> Result<Simulation> {
        let s = Simulation {
            trials: o.trials.unwrap_or(self.trials),
            seed: o.seed.unwrap_or(self.seed),
            scale: o.scale.unwrap_or(self.scale),
            test_samples: self.test_samples,
            inputs: o.inputs.unwrap_or(self.inputs),
        };
        s.check()?;
        Ok(s)
    }

    /// Checks the values a run may change; errors name the option (`trials`, `scale`).
    pub fn check(&self) -> Result<()> {
        rules::trials(i64::try_from(self.trials).unwrap_or(i64::MAX)).map_err(|e| e.option("trials"))?;
        rules::scale(self.scale).map_err(|e| e.option("scale"))?;
        Ok(())
    }
}

impl SimulationOverrides {
    /// Checks the values given (as [`Simulation::check`]), before any config is read.
    pub fn check(&self) -> Result<()> {
        Simulation::default().with(self).map(|_| ())
    }
}

/// Where a simulation's inputs come from (`lcurve validate --inputs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Inputs {
    /// x ~ N(0, Σ0) with the model's Σ0, β* drawn from its prior (the default).
    #[default]
    Gaussian,
    /// The rows of the model's dataset (`[data] source`), drawn with replacement; E_g over
    /// all of them.
    Data,
}

impl Inputs {
    /// `"gaussian"` or `"data"`.
    pub fn named(s: &str) -> std::result::Result<Inputs, Invalid> {
        match s {
            "gaussian" => Ok(Inputs::Gaussian),
            "data" => Ok(Inputs::Data),
            other => Err(Invalid(format!(
                "expected \"gaussian\" or \"data\", got \"{}\"",
                super::text::truncate(other, 40)
            ))),
        }
    }

    /// The name of the inputs.
    pub fn name(self) -> &'static str {
        match self {
            Inputs::Gaussian => "gaussian",
            Inputs::Data => "data",
        }
    }
}

/// Why `inputs = "data"` needs a dataset.
pub(crate) const DATA_INPUTS: &str = "\"data\" draws the rows of a dataset: the config needs [data] source";
