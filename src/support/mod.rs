//! Services every job uses, above the vocabulary and below the model: progress and
//! cancellation, tables and file writes, dense kernels, statistics, and resource limits.

pub(crate) mod brent;
pub(crate) mod dataset;
pub(crate) mod files;
pub(crate) mod hash;
pub(crate) mod linalg;
pub mod output;
pub mod progress;
pub mod resources;
pub mod stats;
