//! What every job starts from: the model built for its purpose, its theory, the resolved
//! summary, and the Gaussian-equivalence note heard once. `curve`, `validate`,
//! `dynamics` and the Python package begin here.

use crate::model::{Model, Purpose};
use crate::spec::{Config, ModelSpec, Result};
use crate::support::progress::Progress;
use crate::theory::{ModelSummary, Theory};

/// A model with its theory and summary.
pub struct Prepared {
    pub model: Model,
    pub theory: Theory,
    pub summary: ModelSummary,
}

/// Builds `spec` (the config's model, or a scaled one) for `purpose`, its theory and
/// summary; a network whose Gaussian equivalence is doubtful is noted (named by `source`).
pub fn prepare(
    spec: &ModelSpec,
    source: &str,
    purpose: Purpose,
    progress: &dyn Progress,
) -> Result<Prepared> {
    let model = Model::build(spec, purpose, progress)?;
    let theory = Theory::from_model(&model, progress)?;
    let summary = ModelSummary::new(&model, &theory);
    if let Some(w) = theory.gaussian_equivalence_note(source) {
        progress.note(&w);
    }
    Ok(Prepared { model, theory, summary })
}

/// The theory of a config's model (for a caller that evaluates points itself, such as
/// Python's `point`), with the note.
pub fn theory(config: &Config, progress: &dyn Progress) -> Result<Theory> {
    prepare(config.model(), config.source(), Purpose::Theory, progress).map(|p| p.theory)
}

/// The resolved summary of a config's model (sizes, ranks, normalisations).
pub fn summary(config: &Config, progress: &dyn Progress) -> Result<ModelSummary> {
    prepare(config.model(), config.source(), Purpose::Theory, progress).map(|p| p.summary)
}
