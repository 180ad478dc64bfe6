//! lcurve: learning curves of ridge regression on deep structured Gaussian random
//! features, from the saddle-point equations of `THEORY.md`, checked against Monte Carlo
//! simulation.
//!
//! Data flow: [`config`] (TOML) → [`model`] (covariances built, normalised) →
//! [`spectra::reduce`] (THEORY §2) → [`theory::Theory`] (THEORY §3–4) → [`sweep`] (curves)
//! → [`output`] (CSV / JSON).

pub mod config;
pub mod curve;
pub mod error;
pub mod figures;
pub(crate) mod linalg;
pub mod model;
pub mod output;
pub mod progress;
pub mod refs;
pub mod resources;
pub mod simulation;
pub mod spectra;
pub mod stats;
pub mod store;
pub mod sweep;
pub mod theory;
pub mod validate;

pub use error::{Error, Result};
pub use theory::{Point, Theory};
