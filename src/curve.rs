//! The `curve` job: config → model → theory → learning curve → table.

use crate::config::{Config, Ridge};
use crate::error::Result;
use crate::model::ModelSummary;
use crate::output::{self, CurveReport, Format};
use crate::sweep;
use crate::theory::Point;

/// A computed learning curve with the resolved model it belongs to.
#[derive(Clone, Debug)]
pub struct Curve {
    pub summary: ModelSummary,
    pub ridge: Ridge,
    pub points: Vec<Point>,
}

/// Computes the learning curve of a loaded config (progress bar on a terminal if `progress`).
pub fn run(config: &Config, progress: bool) -> Result<Curve> {
    let model = config.model.build()?;
    let theory = model.theory()?;
    let pb = crate::progress::bar(config.samples.len(), "theory", progress);
    let points = sweep::learning_curve(&theory, &config.samples, config.ridge, &pb)?;
    pb.finish_and_clear();
    Ok(Curve { summary: model.summary(&theory), ridge: config.ridge, points })
}

/// Human-readable ridge: the number, or `optimal`.
pub fn ridge_label(r: Ridge) -> String {
    match r {
        Ridge::Fixed(l) => output::num(l),
        Ridge::Optimal => "optimal".into(),
    }
}

/// Renders a curve in the requested format.
pub fn render(config: &Config, curve: &Curve, format: Format) -> String {
    match format {
        Format::Csv => output::curve_csv(&curve.points, curve.summary.widths.len()),
        Format::Json => output::to_json(&CurveReport {
            program: "lcurve",
            version: env!("CARGO_PKG_VERSION"),
            config: config.path.display().to_string(),
            ridge: ridge_label(curve.ridge),
            model: &curve.summary,
            points: &curve.points,
        }),
    }
}
