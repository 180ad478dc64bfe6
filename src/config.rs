//! TOML configuration: schema, validation and resolution into a [`ModelSpec`], a ridge and
//! a list of sample sizes. Every problem is reported as one [`Error::Input`] line naming
//! the file, the dotted key and what is expected.

use crate::spec::limits::{
    INFINITE_DIM, MAX_CONFIG_BYTES, MAX_DENSE_DIM, MAX_ENSEMBLE, MAX_POINTS, MAX_SAMPLES, MAX_TEST_SAMPLES,
};
use crate::spec::text::truncate;
use crate::spec::{
    check_symmetric, rules, Activation, Config, CovarianceKind, CovarianceSpec, Ensemble, Error, Invalid,
    LayerSpec, ModelParts, ModelSpec, Result, Ridge, SimulationSpec, Target,
};
use nalgebra::DMatrix;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

// ---------- raw schema (what serde reads) ----------

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub data: RawData,
    #[serde(default)]
    pub layers: Vec<RawLayer>,
    pub readout: RawReadout,
    pub samples: RawSamples,
    pub simulation: Option<RawSimulation>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawData {
    /// An integer, or `"infinite"` (n0 = ∞, SCALING §1); taken from `source` when absent.
    pub dim: Option<toml::Value>,
    pub noise: Option<f64>,
    /// A dataset as the population: Σ0, the target and η² come from it.
    pub source: Option<RawSource>,
    pub covariance: Option<RawCovariance>,
    pub target: Option<RawTarget>,
}

#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCovariance {
    pub kind: String,
    pub exponent: Option<f64>,
    pub values: Option<Vec<f64>>,
    pub rho: Option<f64>,
    pub path: Option<String>,
    pub normalize: Option<bool>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTarget {
    pub kind: String,
    pub exponent: Option<f64>,
    pub path: Option<String>,
}

/// `[data] source = { features = "X.npy", labels = "y.npy", center = true }`.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSource {
    pub features: String,
    pub labels: String,
    pub center: Option<bool>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLayer {
    pub width: i64,
    pub covariance: Option<RawCovariance>,
    pub input_covariance: Option<RawCovariance>,
    pub activation: Option<toml::Value>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReadout {
    pub ridge: toml::Value,
    pub ensemble: Option<toml::Value>,
    pub time: Option<toml::Value>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSamples {
    pub values: Option<Vec<i64>>,
    pub range: Option<RawRange>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRange {
    pub from: f64,
    pub to: f64,
    pub points: i64,
    pub scale: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSimulation {
    pub trials: Option<i64>,
    pub seed: Option<i64>,
    pub scale: Option<f64>,
    pub test_samples: Option<i64>,
    pub inputs: Option<String>,
}

// ---------- reading ----------

/// Opens a file for reading, refusing anything but a regular file (a device such as
/// `/dev/zero` or a FIFO would never end) and files larger than `max_bytes`.
pub(crate) fn open_bounded(
    path: &Path,
    max_bytes: u64,
) -> std::result::Result<std::io::Take<std::fs::File>, Invalid> {
    let meta = std::fs::metadata(path).map_err(|e| Invalid(format!("cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(Invalid("is a folder, not a file".into()));
    }
    if !meta.is_file() {
        return Err(Invalid("is not a regular file (a device, FIFO or socket cannot be read)".into()));
    }
    if meta.len() > max_bytes {
        return Err(Invalid(format!("is {} bytes, more than the {max_bytes} bytes it can need", meta.len())));
    }
    let f = std::fs::File::open(path).map_err(|e| Invalid(format!("cannot read: {e}")))?;
    use std::io::Read;
    Ok(f.take(max_bytes + 1))
}

/// Reads a configuration file into a table; one-line errors for I/O and syntax problems.
pub(crate) fn read_table(path: &Path) -> Result<(String, toml::Table)> {
    let file = path.display().to_string();
    let mut text = String::new();
    use std::io::Read;
    open_bounded(path, MAX_CONFIG_BYTES)
        .and_then(|mut r| r.read_to_string(&mut text).map_err(|e| Invalid(format!("cannot read: {e}"))))
        .map_err(|m| m.at(&file, "(file)"))?;
    Ok((file.clone(), parse_table(&text, &file)?))
}

/// Parses TOML text; `source` names it in errors (a file name, or `<string>`).
pub(crate) fn parse_table(text: &str, source: &str) -> Result<toml::Table> {
    text.parse().map_err(|e: toml::de::Error| {
        let key = match e.span() {
            Some(s) => {
                let (line, col) = line_col(text, s.start);
                format!("line {line}, column {col}")
            }
            None => "(syntax)".to_string(),
        };
        Error::input(source, key, format!("invalid TOML: {}", truncate(e.message().trim(), 200)))
    })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..].chars().count() + 1;
    (line, col)
}

/// Deserialises a TOML value into `T`, naming the dotted key path of any mismatch.
pub(crate) fn from_value<T: for<'de> Deserialize<'de>>(
    file: &str,
    prefix: &str,
    value: toml::Value,
) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let key = match (prefix.is_empty(), path == ".") {
            (true, true) => "(top level)".to_string(),
            (true, false) => path,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{path}"),
        };
        Error::input(file, key, clean_serde_message(&e.inner().to_string()))
    })
}

/// What serde found, in TOML's words and shortened.
fn got_kind(got: &str) -> String {
    match got {
        "map" => "a table".into(),
        "sequence" => "an array".into(),
        g => truncate(g, 60),
    }
}

/// serde's wording in the user's terms: no Rust type names, values shortened.
fn clean_serde_message(msg: &str) -> String {
    let msg = msg.lines().next().unwrap_or(msg).trim();
    let expected = |e: &str| -> String {
        let e = e.trim();
        if e.starts_with("struct Raw") || e.starts_with("a map") {
            "a table (e.g. { kind = \"identity\" })".into()
        } else if e == "i64" || e == "u64" || e == "usize" {
            "an integer".into()
        } else if e == "f64" {
            "a number".into()
        } else if e == "a boolean" || e == "a string" || e == "an integer" {
            e.into()
        } else if e.starts_with("a sequence") || e.starts_with("an array") {
            "an array".into()
        } else {
            truncate(e, 80)
        }
    };
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let rest = rest.replacen(", expected", "; expected", 1);
        format!("unknown key {}", truncate(&rest, 300))
    } else if let Some(rest) = msg.strip_prefix("missing field ") {
        format!("missing key {}", truncate(rest, 80))
    } else if let Some(rest) = msg.strip_prefix("invalid type: ") {
        match rest.rsplit_once(", expected ") {
            Some((got, exp)) => format!("expected {}, got {}", expected(exp), got_kind(got)),
            None => truncate(rest, 120),
        }
    } else if let Some(rest) = msg.strip_prefix("invalid length ") {
        match rest.split_once(", expected ") {
            Some((_, exp)) => format!("expected {}", expected(exp)),
            None => truncate(msg, 120),
        }
    } else if let Some(rest) = msg.strip_prefix("invalid value: ") {
        match rest.rsplit_once(", expected ") {
            Some((got, exp)) => format!("expected {}, got {}", expected(exp), truncate(got, 60)),
            None => truncate(rest, 120),
        }
    } else {
        truncate(msg, 200)
    }
}

/// One `key=value` override of a config (`--set`, figure `set`): a dotted key path with
/// optional `[i]` indices (`readout.ridge`, `layers[0].width`) and a TOML value.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: toml::Value,
}

impl std::str::FromStr for Override {
    type Err = Invalid;

    /// Parses `key=value`. The value is read as TOML (`0.1`, `[1, 2]`,
    /// `{ kind = "ar1", rho = 0.5 }`, `"text"`); anything that is not TOML is a string, so
    /// `readout.ridge=optimal` works unquoted.
    fn from_str(s: &str) -> std::result::Result<Self, Invalid> {
        let (path, raw) = s
            .split_once('=')
            .ok_or_else(|| Invalid(format!("expected key=value, got \"{}\"", truncate(s, 60))))?;
        let path = path.trim();
        if parse_path(path).is_none() {
            return Err(Invalid(format!(
                "expected a dotted key path such as data.noise or layers[0].width, got \"{}\"",
                truncate(path, 60)
            )));
        }
        let raw = raw.trim();
        let value = match format!("v = {raw}").parse::<toml::Table>() {
            Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.to_string())),
            // A table or an array that is not TOML is a mistake, not a string.
            Err(e) if raw.starts_with(['{', '[']) => {
                return Err(Invalid(format!(
                    "\"{}\" is not a TOML table or array ({}); quote strings inside it, e.g. {{ kind = \"ar1\", rho = 0.5 }}",
                    truncate(raw, 60),
                    truncate(e.message().trim(), 80)
                )))
            }
            Err(_) => toml::Value::String(raw.to_string()),
        };
        Ok(Override { path: path.to_string(), value })
    }
}

/// One step of a dotted override path.
enum Step {
    Key(String),
    Index(String, usize),
}

/// The most parts a key path may have (a config is at most 4 deep; a longer path cannot
/// name anything, and deep paths would nest tables without bound).
const MAX_KEY_PARTS: usize = 16;

fn parse_path(path: &str) -> Option<Vec<Step>> {
    if path.split('.').nth(MAX_KEY_PARTS).is_some() {
        return None;
    }
    path.split('.')
        .map(|part| match part.split_once('[') {
            None if !part.is_empty() => Some(Step::Key(part.to_string())),
            Some((k, rest)) if !k.is_empty() => {
                let i = rest.strip_suffix(']')?.parse().ok()?;
                Some(Step::Index(k.to_string(), i))
            }
            _ => None,
        })
        .collect()
}

/// Merges `value` into `slot`: tables merge key by key, except a table with a `kind`
/// (a covariance or target), which replaces the old value whole; anything else replaces.
fn merge(slot: &mut toml::Value, value: &toml::Value) {
    match (slot, value) {
        (toml::Value::Table(old), toml::Value::Table(new)) if !new.contains_key("kind") => {
            for (k, v) in new {
                match old.get_mut(k) {
                    Some(o) => merge(o, v),
                    None => {
                        old.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, value) => *slot = value.clone(),
    }
}

/// Applies overrides to a config table. Errors name `key."path"` in `source`.
pub(crate) fn apply_overrides<'a>(
    source: &str,
    key: &str,
    table: &mut toml::Table,
    overrides: impl IntoIterator<Item = (&'a str, &'a toml::Value)>,
) -> Result<()> {
    for (path, value) in overrides {
        let err = |m: &str| Error::input(source, format!("{key}.\"{}\"", truncate(path, 60)), m.to_string());
        let steps = parse_path(path)
            .ok_or_else(|| err("expected a dotted key path such as \"data.noise\" or \"layers[0].width\""))?;
        let mut cur = &mut *table;
        for (i, step) in steps.iter().enumerate() {
            let last = i + 1 == steps.len();
            let slot: &mut toml::Value = match step {
                Step::Key(k) => {
                    if last {
                        // `values` and `range` are alternatives: setting one replaces the other.
                        let other = match k.as_str() {
                            "values" => Some("range"),
                            "range" => Some("values"),
                            _ => None,
                        };
                        if let Some(o) = other {
                            cur.remove(o);
                        }
                        match cur.get_mut(k) {
                            Some(old) => merge(old, value),
                            None => {
                                cur.insert(k.clone(), value.clone());
                            }
                        }
                        break;
                    }
                    cur.entry(k.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()))
                }
                Step::Index(k, idx) => {
                    let arr = cur
                        .get_mut(k)
                        .and_then(|a| a.as_array_mut())
                        .ok_or_else(|| err(&format!("`{k}` is not an array in the base model")))?;
                    let len = arr.len();
                    let item = arr.get_mut(*idx).ok_or_else(|| {
                        err(&format!(
                            "index {idx} is out of range ({k} has {})",
                            crate::spec::text::plural(len, "entry")
                        ))
                    })?;
                    if last {
                        merge(item, value);
                        break;
                    }
                    item
                }
            };
            cur = slot
                .as_table_mut()
                .ok_or_else(|| err("the path goes through a value that is not a table"))?;
        }
    }
    Ok(())
}

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

/// Validates a raw config. `base` locates files referenced by relative paths.
pub(crate) fn resolve(file: &str, base: &Path, raw: &RawConfig) -> Result<Config> {
    resolve_with(Validator { file, base: base.to_path_buf(), dataset: None }, raw)
}

/// As [`resolve`] with a validator (which may hold a dataset given as numbers).
fn resolve_with(v: Validator<'_>, raw: &RawConfig) -> Result<Config> {
    let file = v.file;
    let model = v.model(&raw.data, &raw.layers)?;
    let ridge = v.ridge(&raw.readout.ridge, "readout.ridge")?;
    let ensemble = raw.readout.ensemble.as_ref().map(|e| v.ensemble(e, "readout.ensemble")).transpose()?;
    let samples = v.samples(&raw.samples)?;
    let simulation = v.simulation(raw.simulation.as_ref())?;
    crate::support::resources::check_memory(
        file,
        if samples.len() > 10_000 { "samples" } else { "data.dim" },
        "the theory",
        crate::support::resources::theory_bytes(&model, samples.len()),
    )?;
    let mut config = Config::new(model, ridge, ensemble, samples, simulation)?;
    if let Some(t) = &raw.readout.time {
        let time = match t {
            toml::Value::String(s) => crate::spec::Time::named(s),
            toml::Value::Integer(i) => crate::spec::Time::finite(*i as f64),
            toml::Value::Float(x) => crate::spec::Time::finite(*x),
            other => Err(Invalid(format!(
                "expected a time t > 0, \"infinite\" or \"optimal\", got {}",
                truncate(&other.to_string(), 40)
            ))),
        };
        let time = time.map_err(|e| e.at(file, "readout.time"))?;
        config.set_time(time).map_err(|e| e.at(file, "readout.time"))?;
    }
    Ok(config)
}

pub(crate) struct Validator<'a> {
    pub file: &'a str,
    pub base: PathBuf,
    /// A dataset given as numbers (`Config::from_data`), used when `[data]` has no source.
    pub dataset: Option<crate::spec::Dataset>,
}

impl Validator<'_> {
    pub(crate) fn err(&self, key: impl Into<String>, msg: impl Into<String>) -> Error {
        Error::input(self.file, key, msg)
    }

    /// A rule's verdict on the value at `key`.
    fn check<T>(&self, key: &str, verdict: std::result::Result<T, Invalid>) -> Result<T> {
        verdict.map_err(|e| e.at(self.file, key))
    }

    pub(crate) fn positive_int(&self, key: &str, v: i64) -> Result<usize> {
        if v >= 1 {
            Ok(v as usize)
        } else {
            Err(self.err(key, format!("expected a positive integer, got {v}")))
        }
    }

    pub(crate) fn finite(&self, key: &str, v: f64) -> Result<f64> {
        self.check(key, rules::finite(v))
    }

    /// The model: each value parsed and checked where its type is known, then the rules of
    /// [`ModelSpec::new`] (sizes, noise, covariances against their sizes, activations).
    pub(crate) fn model(&self, data: &RawData, layers: &[RawLayer]) -> Result<ModelSpec> {
        let dataset = match (&data.source, &self.dataset) {
            (Some(s), _) => Some(self.dataset(s)?),
            (None, given) => given.clone(),
        };
        let dim = match (&data.dim, &dataset) {
            (None, Some(d)) => d.dim(),
            (None, None) => {
                return Err(self.err("data.dim", "expected n0 (an integer or \"infinite\"), or a data.source"))
            }
            (Some(toml::Value::Integer(n)), _) => self.check("data.dim", rules::dim(*n))?,
            (Some(toml::Value::String(w)), _) if w == "infinite" => INFINITE_DIM,
            (Some(other), _) => {
                let got = match other {
                    toml::Value::String(w) => format!("\"{}\"", truncate(w, 40)),
                    v => truncate(&v.to_string(), 40),
                };
                return Err(self.err("data.dim", format!("expected an integer or \"infinite\", got {got}")));
            }
        };
        let (data_cov, target, noise) = match dataset {
            Some(d) => {
                if dim != d.dim() {
                    return Err(self.err(
                        "data.dim",
                        format!(
                            "{dim} disagrees with the {} features of data.source (leave dim out)",
                            d.dim()
                        ),
                    ));
                }
                for (key, given) in [
                    ("data.covariance", data.covariance.is_some()),
                    ("data.target", data.target.is_some()),
                    ("data.noise", data.noise.is_some()),
                ] {
                    if given {
                        return Err(self.err(
                            key,
                            "comes from data.source (Σ0, β* and η² of the dataset): leave it out",
                        ));
                    }
                }
                let noise = d.relative_noise();
                let target = Target::Weights { values: Arc::clone(&d.target) };
                (
                    CovarianceSpec { kind: CovarianceKind::Empirical { data: Arc::new(d) }, normalize: true },
                    target,
                    noise,
                )
            }
            None => {
                let data_cov = match &data.covariance {
                    Some(c) => self.covariance(c, "data.covariance", dim, false)?,
                    None => CovarianceSpec::identity(),
                };
                let target = match &data.target {
                    None => Target::Isotropic,
                    Some(t) => self.target(t, dim)?,
                };
                (data_cov, target, data.noise.unwrap_or(0.0))
            }
        };
        let mut input = CovarianceSpec::identity();
        let mut specs = Vec::with_capacity(layers.len());
        for (i, l) in layers.iter().enumerate() {
            let key = format!("layers[{i}]");
            let width = self.check(&format!("{key}.width"), rules::size(l.width))?;
            let covariance = match &l.covariance {
                Some(c) => self.covariance(c, &format!("{key}.covariance"), width, false)?,
                None => CovarianceSpec::identity(),
            };
            if let Some(c) = &l.input_covariance {
                if i > 0 {
                    return Err(self.err(
                        format!("{key}.input_covariance"),
                        "only the first layer has an input covariance Γ (it lives in data space)",
                    ));
                }
                input = self.covariance(c, &format!("{key}.input_covariance"), dim, true)?;
            }
            let activation = match &l.activation {
                Some(a) => self.activation(a, &format!("{key}.activation"))?,
                None => Activation::Linear,
            };
            specs.push(LayerSpec { width, covariance, activation });
        }
        let parts = ModelParts { dim, noise, data: data_cov, target, input, layers: specs };
        ModelSpec::new(self.file, parts)
    }

    /// A layer's activation: a name, or a table `{ mu0, mu1, mustar }` of Gaussian
    /// coefficients (finite, μ1 ≠ 0 so that the layer passes a signal, μ* ≥ 0).
    pub(crate) fn activation(&self, v: &toml::Value, key: &str) -> Result<Activation> {
        const NAMES: &str = "\"linear\", \"relu\", \"tanh\", \"erf\" or a table { mu0, mu1, mustar }";
        match v {
            toml::Value::String(name) => Activation::from_name(name).ok_or_else(|| {
                self.err(key, format!("unknown activation \"{}\"; expected {NAMES}", truncate(name, 40)))
            }),
            toml::Value::Table(t) => {
                if let Some(k) = t.keys().find(|k| !["mu0", "mu1", "mustar"].contains(&k.as_str())) {
                    return Err(self.err(
                        format!("{key}.{}", truncate(k, 40)),
                        "unknown key; Gaussian coefficients are mu0, mu1 and mustar",
                    ));
                }
                let get = |name: &str| -> Result<f64> {
                    let k = format!("{key}.{name}");
                    let x = match t.get(name) {
                        None => {
                            return Err(
                                self.err(&k, "missing; Gaussian coefficients need mu0, mu1 and mustar")
                            )
                        }
                        Some(toml::Value::Float(x)) => *x,
                        Some(toml::Value::Integer(i)) => *i as f64,
                        Some(other) => {
                            return Err(self.err(&k, format!("expected a number, got {}", other.type_str())))
                        }
                    };
                    self.finite(&k, x)
                };
                let (mu0, mu1, mustar) = (get("mu0")?, get("mu1")?, get("mustar")?);
                Activation::coefficients(mu0, mu1, mustar)
                    .map_err(|(name, e)| e.at(self.file, format!("{key}.{name}")))
            }
            other => {
                Err(self.err(key, format!("expected {NAMES}, got {}", truncate(&other.to_string(), 40))))
            }
        }
    }

    /// Reads and analyses `data.source` (paths relative to the config).
    fn dataset(&self, s: &RawSource) -> Result<crate::spec::Dataset> {
        use crate::support::dataset::{analyse, read_array, Part};
        let features =
            read_array(&self.base.join(&s.features)).map_err(|e| e.at(self.file, "data.source.features"))?;
        let labels =
            read_array(&self.base.join(&s.labels)).map_err(|e| e.at(self.file, "data.source.labels"))?;
        analyse(&s.features, features, labels, s.center.unwrap_or(true), crate::support::linalg::setup_par())
            .map_err(|(part, e)| {
                e.at(
                    self.file,
                    match part {
                        Part::Features => "data.source.features",
                        Part::Labels => "data.source.labels",
                    },
                )
            })
    }

    fn target(&self, t: &RawTarget, dim: usize) -> Result<Target> {
        if t.path.is_some() && t.kind != "file" {
            return Err(self
                .err("data.target.path", format!("not a parameter of kind \"{}\"", truncate(&t.kind, 40))));
        }
        match t.kind.as_str() {
            "file" => {
                let rel = t
                    .path
                    .as_deref()
                    .ok_or_else(|| self.err("data.target.path", "kind \"file\" needs a path"))?;
                if t.exponent.is_some() {
                    return Err(self.err("data.target.exponent", "not a parameter of kind \"file\""));
                }
                match self.covariance_file("data.target.path", rel, dim)? {
                    CovarianceKind::Diagonal { values } => Ok(Target::Weights { values }),
                    _ => Err(self.err(
                        "data.target.path",
                        format!("expected {dim} target variances, one per eigenvector of Σ0, got a matrix"),
                    )),
                }
            }
            "isotropic" => {
                if t.exponent.is_some() {
                    return Err(self.err("data.target.exponent", "not a parameter of kind \"isotropic\""));
                }
                Ok(Target::Isotropic)
            }
            "power_law" => {
                let e = t.exponent.ok_or_else(|| {
                    self.err("data.target.exponent", "kind \"power_law\" needs an exponent")
                })?;
                Ok(Target::PowerLaw { exponent: self.finite("data.target.exponent", e)? })
            }
            other => Err(self.err(
                "data.target.kind",
                format!(
                    "unknown target kind \"{}\"; expected \"isotropic\", \"power_law\" or \"file\"",
                    truncate(other, 40)
                ),
            )),
        }
    }

    /// Validates a covariance spec of an `n × n` matrix. `input` allows `data_power`.
    pub(crate) fn covariance(
        &self,
        c: &RawCovariance,
        key: &str,
        n: usize,
        input: bool,
    ) -> Result<CovarianceSpec> {
        let allowed: &[&str] = match c.kind.as_str() {
            "identity" => &[],
            "power_law" | "data_power" => &["exponent"],
            "diagonal" => &["values"],
            "ar1" => &["rho"],
            "file" => &["path"],
            other => {
                let kinds = if input {
                    "identity, power_law, diagonal, ar1, file, data_power"
                } else {
                    "identity, power_law, diagonal, ar1, file"
                };
                return Err(self.err(
                    format!("{key}.kind"),
                    format!("unknown covariance kind \"{}\"; expected one of {kinds}", truncate(other, 40)),
                ));
            }
        };
        let present = [
            ("exponent", c.exponent.is_some()),
            ("values", c.values.is_some()),
            ("rho", c.rho.is_some()),
            ("path", c.path.is_some()),
        ];
        for (name, is) in present {
            if is && !allowed.contains(&name) {
                return Err(
                    self.err(format!("{key}.{name}"), format!("not a parameter of kind \"{}\"", c.kind))
                );
            }
            if !is && allowed.contains(&name) {
                return Err(
                    self.err(format!("{key}.{name}"), format!("kind \"{}\" needs key `{name}`", c.kind))
                );
            }
        }
        let exponent = || self.finite(&format!("{key}.exponent"), c.exponent.unwrap_or(0.0));
        let kind = match c.kind.as_str() {
            "identity" => CovarianceKind::Identity,
            "power_law" => CovarianceKind::PowerLaw { exponent: exponent()? },
            "data_power" => CovarianceKind::DataPower { exponent: exponent()? },
            "diagonal" => {
                CovarianceKind::Diagonal { values: std::sync::Arc::new(c.values.clone().unwrap_or_default()) }
            }
            "ar1" => CovarianceKind::Ar1 { rho: self.finite(&format!("{key}.rho"), c.rho.unwrap_or(0.0))? },
            "file" => self.covariance_file(&format!("{key}.path"), c.path.as_deref().unwrap_or(""), n)?,
            _ => unreachable!("kind checked above"),
        };
        Ok(CovarianceSpec { kind, normalize: c.normalize.unwrap_or(true) })
    }

    /// Reads a covariance file: `n` eigenvalues (one per line, or on one line separated
    /// by commas or spaces) or an `n × n` symmetric matrix as CSV. Only a regular file is
    /// read, and reading stops at what an `n × n` matrix can need.
    fn covariance_file(&self, key: &str, rel: &str, n: usize) -> Result<CovarianceKind> {
        use std::io::BufRead;
        let path = self.base.join(rel);
        let file_err = |msg: String| self.err(key, format!("{}: {msg}", path.display()));
        // At most ~48 bytes per number (with comments and spacing); above the dense limit
        // only a list of eigenvalues is possible.
        let numbers = if n > MAX_DENSE_DIM { n as u64 } else { (n as u64) * (n as u64) };
        let max_bytes = 48 * numbers + 4096;
        let reader = std::io::BufReader::new(open_bounded(&path, max_bytes).map_err(|e| file_err(e.0))?);
        let mut rows: Vec<Vec<f64>> = Vec::new();
        for (i, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| file_err(format!("line {}: {e}", i + 1)))?;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut row = Vec::new();
            for s in line.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()) {
                let x: f64 = s.parse().map_err(|_| {
                    file_err(format!("line {}: \"{}\" is not a number", i + 1, truncate(s, 30)))
                })?;
                if !x.is_finite() {
                    return Err(file_err(format!("line {}: entry {x} is not finite", i + 1)));
                }
                row.push(x);
                if row.len() > n {
                    return Err(file_err(format!("line {}: more than {n} entries (the dimension)", i + 1)));
                }
            }
            rows.push(row);
            if rows.len() > n {
                return Err(file_err(format!("more than {n} rows (the dimension)")));
            }
        }
        let eigenvalues: Option<Vec<f64>> = if rows.len() == 1 {
            Some(rows[0].clone())
        } else if rows.iter().all(|r| r.len() == 1) {
            Some(rows.iter().map(|r| r[0]).collect())
        } else {
            None
        };
        match eigenvalues {
            Some(values) if values.len() == n || rows.len() != n => {
                if values.len() != n {
                    return Err(file_err(format!(
                        "expected {n} eigenvalues (the matrix dimension), got {}",
                        values.len()
                    )));
                }
                if let Some(bad) = values.iter().find(|&&v| v < 0.0) {
                    return Err(file_err(format!("expected eigenvalues ≥ 0, got {bad}")));
                }
                Ok(CovarianceKind::Diagonal { values: std::sync::Arc::new(values) })
            }
            _ => {
                if rows.len() != n || rows.iter().any(|r| r.len() != n) {
                    return Err(file_err(format!(
                        "expected {n} eigenvalues or a square {n} × {n} matrix, got {} rows of lengths {}–{}",
                        rows.len(),
                        rows.iter().map(Vec::len).min().unwrap_or(0),
                        rows.iter().map(Vec::len).max().unwrap_or(0)
                    )));
                }
                if n > MAX_DENSE_DIM {
                    return Err(file_err(format!(
                        "a dense {n} × {n} matrix is too large (at most {}); give its eigenvalues instead",
                        MAX_DENSE_DIM
                    )));
                }
                let matrix = DMatrix::from_fn(n, n, |i, j| rows[i][j]);
                check_symmetric(&matrix).map_err(|e| file_err(e.0))?;
                Ok(CovarianceKind::Matrix { matrix: std::sync::Arc::new(matrix) })
            }
        }
    }

    pub(crate) fn ridge(&self, v: &toml::Value, key: &str) -> Result<Ridge> {
        match v {
            toml::Value::String(s) => self.check(key, Ridge::named(s)),
            toml::Value::Integer(i) => self.check(key, Ridge::fixed(*i as f64)),
            toml::Value::Float(x) => self.check(key, Ridge::fixed(*x)),
            other => Err(self.err(
                key,
                format!("expected a number ≥ 0 or \"optimal\", got {}", truncate(&other.to_string(), 40)),
            )),
        }
    }

    /// An ensemble size: an integer ≥ 1 or `"infinite"`.
    pub(crate) fn ensemble(&self, v: &toml::Value, key: &str) -> Result<Ensemble> {
        match v {
            toml::Value::Integer(k) => {
                self.check(key, rules::ensemble_size(*k as f64)).map(Ensemble::Members)
            }
            toml::Value::String(s) if s == "infinite" => Ok(Ensemble::Infinite),
            other => Err(self.err(
                key,
                format!(
                    "expected an integer from 1 to {MAX_ENSEMBLE} or \"infinite\", got {}",
                    truncate(&other.to_string(), 40)
                ),
            )),
        }
    }

    pub(crate) fn samples(&self, s: &RawSamples) -> Result<Vec<usize>> {
        let mut out = match (&s.values, &s.range) {
            (Some(_), Some(_)) => {
                return Err(self.err("samples", "give either `values` or `range`, not both"))
            }
            (None, None) => {
                return Err(self.err("samples", "expected `values = [...]` or `range = { from, to, points }`"))
            }
            (Some(v), None) => {
                if v.is_empty() {
                    return Err(self.err("samples.values", "expected at least one sample size"));
                }
                if v.len() > MAX_POINTS {
                    return Err(self.err(
                        "samples.values",
                        format!("expected at most {MAX_POINTS} sample sizes, got {}", v.len()),
                    ));
                }
                v.iter()
                    .enumerate()
                    .map(|(i, &x)| self.check(&format!("samples.values[{i}]"), rules::sample_size(x)))
                    .collect::<Result<Vec<_>>>()?
            }
            (None, Some(r)) => self.range(r, "samples.range")?,
        };
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Sample sizes of a `range`: the range's numbers rounded to integers, each from 1 to
    /// [`MAX_SAMPLES`].
    pub(crate) fn range(&self, r: &RawRange, key: &str) -> Result<Vec<usize>> {
        let values = self.range_values(r, key)?;
        let from = values[0];
        if from < 1.0 {
            return Err(self.err(format!("{key}.from"), format!("expected a sample size ≥ 1, got {from}")));
        }
        if r.to > MAX_SAMPLES {
            return Err(self.err(
                format!("{key}.to"),
                format!("expected a sample size ≤ {MAX_SAMPLES:e}, got {:e}", r.to),
            ));
        }
        Ok(values.into_iter().map(|x| x.round() as usize).collect())
    }

    /// The numbers of a `range = { from, to, points, scale }`: finite ends with to ≥ from,
    /// 1 to [`MAX_POINTS`] points, from > 0 on a log scale (the default).
    pub(crate) fn range_values(&self, r: &RawRange, key: &str) -> Result<Vec<f64>> {
        let from = self.finite(&format!("{key}.from"), r.from)?;
        let to = self.finite(&format!("{key}.to"), r.to)?;
        if to < from {
            return Err(self.err(format!("{key}.to"), format!("expected to ≥ from = {from}, got {to}")));
        }
        let points = self.points(&format!("{key}.points"), r.points)?;
        let log = self.scale(r.scale.as_deref(), &format!("{key}.scale"))?;
        if log && from <= 0.0 {
            return Err(self.err(format!("{key}.from"), format!("a log range needs from > 0, got {from}")));
        }
        Ok(spaced(from, to, points, log))
    }

    /// The numbers of `values = [...]` or of a `range` (exactly one of them; neither gives
    /// an empty list unless `required`), every one finite.
    pub(crate) fn grid(
        &self,
        key: &str,
        values: Option<&[f64]>,
        range: Option<&RawRange>,
        required: bool,
    ) -> Result<Vec<f64>> {
        match (values, range) {
            (Some(_), Some(_)) => Err(self.err(key, "give either `values` or `range`, not both")),
            (Some(xs), None) => {
                if xs.is_empty() {
                    return Err(self.err(format!("{key}.values"), "expected at least one value"));
                }
                if xs.len() > MAX_POINTS {
                    return Err(
                        self.err(format!("{key}.values"), format!("expected at most {MAX_POINTS} values"))
                    );
                }
                xs.iter().enumerate().map(|(i, &x)| self.finite(&format!("{key}.values[{i}]"), x)).collect()
            }
            (None, Some(r)) => self.range_values(r, &format!("{key}.range")),
            (None, None) if required => {
                Err(self.err(key, "expected `values = [...]` or `range = { from, to, points }`"))
            }
            (None, None) => Ok(vec![]),
        }
    }

    /// The number of points of a range: 1 to [`MAX_POINTS`].
    pub(crate) fn points(&self, key: &str, v: i64) -> Result<usize> {
        self.check(key, rules::points(v))
    }

    pub(crate) fn scale(&self, s: Option<&str>, key: &str) -> Result<bool> {
        match s.unwrap_or("log") {
            "log" => Ok(true),
            "linear" => Ok(false),
            other => {
                Err(self.err(key, format!("expected \"log\" or \"linear\", got \"{}\"", truncate(other, 40))))
            }
        }
    }

    pub(crate) fn simulation(&self, s: Option<&RawSimulation>) -> Result<SimulationSpec> {
        let mut out = SimulationSpec::default();
        if let Some(s) = s {
            if let Some(t) = s.trials {
                out.trials = self.positive_int("simulation.trials", t)?;
            }
            if let Some(seed) = s.seed {
                if seed < 0 {
                    return Err(self.err("simulation.seed", format!("expected an integer ≥ 0, got {seed}")));
                }
                out.seed = seed as u64;
            }
            if let Some(f) = s.scale {
                if !(f.is_finite() && f > 0.0) {
                    return Err(self.err("simulation.scale", format!("expected a number > 0, got {f}")));
                }
                out.scale = f;
            }
            if let Some(n) = s.test_samples {
                if !(1..=MAX_TEST_SAMPLES as i64).contains(&n) {
                    return Err(self.err(
                        "simulation.test_samples",
                        format!("expected an integer from 1 to {MAX_TEST_SAMPLES}, got {n}"),
                    ));
                }
                out.test_samples = n as usize;
            }
            if let Some(i) = &s.inputs {
                out.inputs = self.check("simulation.inputs", crate::spec::Inputs::named(i))?;
            }
        }
        Ok(out)
    }
}

pub use crate::spec::rules::spaced;

/// The given files, and the `.toml` files under the given folders (searched recursively)
/// that `keep` accepts; sorted, without duplicates. A missing path is bad input.
pub(crate) fn toml_files(paths: &[PathBuf], keep: impl Fn(&Path) -> Result<bool>) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                for e in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
                    let path = e.map_err(|e| Error::io(&dir, e))?.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|x| x == "toml") && keep(&path)? {
                        out.push(path);
                    }
                }
            }
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(Error::input(&p.display().to_string(), "(path)", "no such file or folder"));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}
