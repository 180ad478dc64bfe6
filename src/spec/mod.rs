//! The bottom layer: the vocabulary of a specification and its rules. It imports nothing
//! else of the crate; every other module speaks it.
//!
//! * [`error`]: the crate's error type, and [`Invalid`], a value that breaks a rule.
//! * [`limits`]: sizes and counts a run may ask for.
//! * [`rules`]: each rule with its one message (configs, setters, figure axes, options
//!   and Python check through it).
//! * the model's parts: [`Activation`], [`CovarianceKind`]/[`CovarianceSpec`], [`Target`],
//!   a [`Dataset`] as the population,
//!   [`LayerSpec`], [`ModelSpec`]; the readout's: [`Ridge`], [`Ensemble`]; a run's:
//!   [`Config`], [`Simulation`] (and a run's [`SimulationOverrides`]); training with a
//!   step: [`Optimizer`], [`Step`], [`Steps`], [`Descent`], [`OnlineSgd`].

mod activation;
mod covariance;
mod dataset;
pub mod error;
pub mod limits;
mod model;
mod readout;
pub mod rules;
mod run_config;
mod simulation;
pub mod text;
mod training;

pub use activation::Activation;
pub use covariance::{check_power_law, check_symmetric, CovarianceKind, CovarianceSpec, Target};
pub use dataset::Dataset;
pub use error::{Error, Invalid, Result};
pub(crate) use model::INPUT_KEY;
pub use model::{ExponentOf, LayerSpec, ModelParts, ModelSpec};
pub use readout::{Ensemble, Ridge, Time, Training};
pub(crate) use readout::{
    DYNAMICS_SINGLE, EXPONENTS_CONVERGED, FINITE_TIME_ENSEMBLE, NONLINEAR_ENSEMBLE, SCALING_CONVERGED,
};
pub use run_config::Config;
pub(crate) use simulation::DATA_INPUTS;
pub use simulation::{Inputs, Simulation, SimulationOverrides};
pub use training::{
    batch, Descent, FeatureTraining, OnlineSgd, Optimizer, Step, Steps, MAX_BATCH, MAX_DATASETS, MAX_STEPS,
};
pub(crate) use training::{FEATURES_DYNAMICS, SGD_SAMPLES, STEP_ENSEMBLE, STEP_LINEAR, STEP_RIDGE};
