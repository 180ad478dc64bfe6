//! TOML configuration, in one folder with a file per stage: the raw [`schema`] (serde), the
//! bounded [`read`]ing of a file and its one-line messages, the `--set` [`overrides`], the
//! [`resolve`]d [`Config`] (every value checked by `spec::rules`), and the list of config
//! [`files`] of a folder. Every problem is one [`Error::Input`] naming the file, the dotted
//! key and what is expected.

mod files;
mod overrides;
mod read;
mod resolve;
mod schema;

pub use crate::spec::rules::spaced;
pub(crate) use files::toml_files;
pub(crate) use overrides::apply_overrides;
pub use overrides::Override;
pub(crate) use read::{from_value, parse_table, read_table};
pub(crate) use resolve::{resolve, resolve_with, Validator};
pub(crate) use schema::*;

use crate::spec::limits::MAX_CONFIG_BYTES;
use crate::spec::{Config, Error, Result};
use std::path::{Path, PathBuf};

/// Name of TOML text that did not come from a file, in error messages.
pub const STRING_SOURCE: &str = "<string>";

impl Config {
    /// Loads and validates a model configuration file.
    pub fn load(path: &Path) -> Result<Config> {
        Config::load_with(path, &[])
    }

    /// Loads a model configuration file with `key=value` overrides applied first (the
    /// command line's `--set`); errors in an override name it as `set."key"`.
    pub fn load_with(path: &Path, overrides: &[Override]) -> Result<Config> {
        let (file, mut table) = read_table(path)?;
        apply_overrides(&file, "set", &mut table, overrides.iter().map(|o| (o.path.as_str(), &o.value)))?;
        Config::from_table(table, &file, path.parent().unwrap_or(Path::new(".")))
    }

    /// Validates a model configuration given as TOML text (named `<string>` in errors;
    /// covariance files are relative to the working directory).
    pub fn from_toml_str(text: &str) -> Result<Config> {
        Config::from_toml_str_with(text, &[])
    }

    /// As [`Config::from_toml_str`], with `key=value` overrides applied first.
    pub fn from_toml_str_with(text: &str, overrides: &[Override]) -> Result<Config> {
        if text.len() as u64 > MAX_CONFIG_BYTES {
            return Err(Error::input(
                STRING_SOURCE,
                "(text)",
                format!("{} bytes of TOML, more than the {} a config can need", text.len(), MAX_CONFIG_BYTES),
            ));
        }
        Config::from_table_with(parse_table(text, STRING_SOURCE)?, STRING_SOURCE, Path::new("."), overrides)
    }

    /// As [`Config::from_table`], with `key=value` overrides applied first.
    pub fn from_table_with(
        mut table: toml::Table,
        source: &str,
        base_dir: &Path,
        overrides: &[Override],
    ) -> Result<Config> {
        apply_overrides(source, "set", &mut table, overrides.iter().map(|o| (o.path.as_str(), &o.value)))?;
        Config::from_table(table, source, base_dir)
    }

    /// Validates a model configuration table. `source` names it in errors; relative
    /// covariance file paths are resolved against `base_dir`.
    pub fn from_table(table: toml::Table, source: &str, base_dir: &Path) -> Result<Config> {
        if table.contains_key("figure") {
            return Err(Error::input(
                source,
                "figure",
                "this is a figure config, not a model config: render it (theory and simulation markers) with `lcurve figures`",
            ));
        }
        let raw: RawConfig = from_value(source, "", toml::Value::Table(table))?;
        resolve(source, base_dir, &raw)
    }

    /// A model whose data are given as numbers: `features` (N × n0, row-major), `labels`
    /// (N), centred when `center` — the `[data] source` of a file config, without files.
    /// `table` holds the rest of the config (`layers`, `readout`, `samples`, …; its `[data]`
    /// may only be absent or empty, as everything in it comes from the data). Errors in
    /// the data name `data.source.features` / `data.source.labels`.
    pub fn from_data(
        mut table: toml::Table,
        source: &str,
        features: (usize, usize, Vec<f64>),
        labels: Vec<f64>,
        center: bool,
    ) -> Result<Config> {
        use crate::support::dataset::{analyse, Array, Part};
        let (rows, cols, values) = features;
        if rows.checked_mul(cols) != Some(values.len()) {
            return Err(Error::input(
                source,
                "data.source.features",
                format!("expected {rows} × {cols} numbers, got {}", values.len()),
            ));
        }
        let n = labels.len();
        let dataset = analyse(
            source,
            Array { shape: vec![rows, cols], values },
            Array { shape: vec![n], values: labels },
            center,
            crate::support::linalg::setup_par(),
        )
        .map_err(|(part, e)| {
            e.at(source, if part == Part::Features { "data.source.features" } else { "data.source.labels" })
        })?;
        match table.get("data") {
            None => {}
            Some(toml::Value::Table(t)) if t.is_empty() => {}
            Some(_) => {
                return Err(Error::input(
                    source,
                    "data",
                    "comes from the arrays given (Σ0, β*, η², n0): leave it out",
                ))
            }
        }
        table.insert("data".into(), toml::Value::Table(toml::Table::new()));
        let raw: RawConfig = from_value(source, "", toml::Value::Table(table))?;
        let v = Validator { file: source, base: PathBuf::new(), dataset: Some(dataset) };
        resolve_with(v, &raw)
    }
}
