//! lcurve: learning curves of ridge regression on deep structured Gaussian random
//! features, from the saddle-point equations of `THEORY.md`, checked against Monte Carlo
//! simulation.
//!
//! The crate is layered (ARCHITECTURE.md); each layer uses only the ones below it:
//!
//! 1. [`spec`]: the vocabulary — [`Config`], [`ModelSpec`], covariances, targets,
//!    activations, [`Ridge`], [`Ensemble`], limits and rules, [`Error`];
//! 2. `support`: [`progress`], [`output`] tables and file writes, statistics, resources;
//! 3. [`config`] (TOML → [`Config`]) and [`model`] (covariances built, THEORY §2 spectra);
//! 4. [`theory`] (THEORY §3–4, NONLINEAR.md, §7) and [`simulation`] (§5);
//! 5. the jobs: [`curve`] (with local [`exponents`]), [`validate`], [`figures`], the
//!    results [`store`] and [`refs`].
//!
//! A typical use: [`Config::load`] a file, then [`curve::run`] or [`validate::run`].

#![warn(unreachable_pub)]

pub mod config;
mod jobs;
pub mod model;
pub mod simulation;
pub mod spec;
mod support;
pub mod theory;

pub use jobs::{
    compute, curve, dynamics, exponents, features, figures, prologue, refs, run, scaling, stepped, store,
    sweep, trials, validate,
};
pub use spec::{
    Activation, Config, CovarianceKind, CovarianceSpec, Dataset, Ensemble, Error, ExponentOf, Inputs,
    Invalid, LayerSpec, ModelParts, ModelSpec, Result, Ridge, Simulation, SimulationOverrides, Target,
    Training,
};
pub use support::{output, progress, resources, stats};
pub use theory::{Point, Theory};
