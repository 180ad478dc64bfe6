//! `lcurve plot`: a quick look at a model config without writing a figure config — its
//! learning curve E_g(p) on log axes at the config's sample sizes, with Monte Carlo markers
//! (mean and 95% interval) when the run simulates. The figure is an ordinary figure spec
//! built from the model config's own table, so it is drawn and checked like every other.

use super::compute::{compute_observed, FigureData};
use super::spec::FigureSpec;
use crate::config::{self, Override};
use crate::jobs::run::RunOptions;
use crate::spec::{Config, Result};
use crate::support::progress::Progress;
use std::path::Path;

/// The learning curve of the model config at `path` (with `--set` overrides) as a figure;
/// markers at every sample size when `run.simulate`.
pub fn look(
    path: &Path,
    overrides: &[Override],
    run: &RunOptions,
    progress: &dyn Progress,
) -> Result<FigureData> {
    let (file, mut table) = config::read_table(path)?;
    config::apply_overrides(&file, "set", &mut table, overrides.iter().map(|o| (o.path.as_str(), &o.value)))?;
    // The model config as it is checked everywhere else (a figure config is refused here).
    let cfg = Config::from_table(table.clone(), &file, path.parent().unwrap_or(Path::new(".")))?;
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "config".into());
    let samples: Vec<toml::Value> = cfg.samples().iter().map(|&p| toml::Value::Float(p as f64)).collect();
    let mut sweep = toml::Table::new();
    sweep.insert("axis".into(), "samples".into());
    sweep.insert("values".into(), toml::Value::Array(samples.clone()));
    if run.simulate {
        let mut sim = toml::Table::new();
        sim.insert("values".into(), toml::Value::Array(samples));
        sweep.insert("simulate".into(), toml::Value::Table(sim));
    }
    let mut figure = toml::Table::new();
    figure.insert("title".into(), format!("{name}: learning curve").into());
    figure.insert("log_x".into(), true.into());
    figure.insert("log_y".into(), true.into());
    figure.insert("caption".into(), format!("`lcurve plot {name}`: E_g(p) of `lcurve curve`.").into());
    let mut series = toml::Table::new();
    series.insert("label".into(), "E_g".into());
    table.insert("figure".into(), toml::Value::Table(figure));
    table.insert("sweep".into(), toml::Value::Table(sweep));
    table.insert("series".into(), toml::Value::Array(vec![toml::Value::Table(series)]));
    let spec = FigureSpec::from_table(table, &file, &path.with_file_name(name))?;
    compute_observed(&spec, run, progress)
}
