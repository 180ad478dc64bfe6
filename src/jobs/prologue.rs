//! What every job starts from: the theory of a model, its resolved summary, and the
//! Gaussian-equivalence note heard once. `curve`, `validate`, `dynamics` and the Python
//! package begin here.

use crate::model::{Model, Purpose};
use crate::spec::{Config, ModelSpec, Result};
use crate::support::progress::Progress;
use crate::theory::{ModelSummary, Theory};

/// A model's theory and summary.
pub struct Prepared {
    pub theory: Theory,
    pub summary: ModelSummary,
}

/// The theory and summary of a built model (for the theory or, when a job also simulates
/// it, for simulation); a network whose Gaussian equivalence is doubtful is noted (named by
/// `source`).
pub fn from_model(model: &Model, source: &str, progress: &dyn Progress) -> Result<Prepared> {
    let theory = Theory::from_model(model, progress)?;
    let summary = ModelSummary::new(model, &theory);
    if let Some(w) = theory.gaussian_equivalence_note(source) {
        progress.note(&w);
    }
    Ok(Prepared { theory, summary })
}

/// As [`from_model`] for `spec` (the config's model, or a scaled one) built for the theory.
pub fn prepare(spec: &ModelSpec, source: &str, progress: &dyn Progress) -> Result<Prepared> {
    from_model(&Model::build(spec, Purpose::Theory, progress)?, source, progress)
}

/// The theory of a config's model (for a caller that evaluates points itself, such as
/// Python's `point`), with the note.
pub fn theory(config: &Config, progress: &dyn Progress) -> Result<Theory> {
    prepare(config.model(), config.source(), progress).map(|p| p.theory)
}

/// The resolved summary of a config's model (sizes, ranks, normalisations).
pub fn summary(config: &Config, progress: &dyn Progress) -> Result<ModelSummary> {
    prepare(config.model(), config.source(), progress).map(|p| p.summary)
}
