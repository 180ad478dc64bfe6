//! TOML configuration: schema, validation and resolution into a [`ModelSpec`], a ridge and
//! a list of sample sizes. Every problem is reported as one [`Error::Input`] line naming
//! the file, the dotted key and what is expected.

use crate::error::{Error, Result};
use crate::model::{LayerSpec, ModelSpec};
use crate::spectra::{CovarianceKind, CovarianceSpec, Target};
use nalgebra::DMatrix;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The ridge of the readout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ridge {
    /// A fixed λ ≥ 0 (0 = minimum-norm interpolation).
    Fixed(f64),
    /// λ* = argmin E_g at each sample size.
    Optimal,
}

/// Monte Carlo defaults from the `[simulation]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationSpec {
    pub trials: usize,
    pub seed: u64,
    pub scale: f64,
}

impl Default for SimulationSpec {
    fn default() -> Self {
        SimulationSpec { trials: 20, seed: 1, scale: 1.0 }
    }
}

/// A resolved configuration file.
#[derive(Clone, Debug)]
pub struct Config {
    pub path: PathBuf,
    pub model: ModelSpec,
    pub ridge: Ridge,
    /// Sample sizes, ascending, distinct, ≥ 1.
    pub samples: Vec<usize>,
    pub simulation: SimulationSpec,
}

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
    pub dim: i64,
    #[serde(default)]
    pub noise: f64,
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
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLayer {
    pub width: i64,
    pub covariance: Option<RawCovariance>,
    pub input_covariance: Option<RawCovariance>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReadout {
    pub ridge: toml::Value,
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
}

// ---------- reading ----------

/// Reads a TOML file into a table, with a one-line error for I/O and syntax problems.
pub(crate) fn read_table(path: &Path) -> Result<(String, toml::Table)> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::input(&file, "(file)", format!("cannot read: {e}")))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let (line, col) = e.span().map(|s| line_col(&text, s.start)).unwrap_or((0, 0));
        Error::input(
            &file,
            format!("line {line}, column {col}"),
            format!("invalid TOML: {}", e.message().trim()),
        )
    })?;
    Ok((file, table))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
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
            (true, _) => path,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{path}"),
        };
        Error::input(file, key, clean_serde_message(&e.inner().to_string()))
    })
}

fn clean_serde_message(msg: &str) -> String {
    let msg = msg.lines().next().unwrap_or(msg).trim();
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        format!("unknown key {rest}")
    } else if let Some(rest) = msg.strip_prefix("missing field ") {
        format!("missing key {rest}")
    } else {
        msg.replace("i64", "an integer").replace("f64", "a number")
    }
}

impl Config {
    /// Loads and validates a model configuration file.
    pub fn load(path: &Path) -> Result<Config> {
        let (file, table) = read_table(path)?;
        if table.contains_key("figure") {
            return Err(Error::input(
                &file,
                "figure",
                "this is a figure config, not a model config: render it (theory and simulation markers) with `lcurve figures`",
            ));
        }
        let raw: RawConfig = from_value(&file, "", toml::Value::Table(table))?;
        resolve(&file, path, &raw)
    }
}

/// Validates a raw config. `path` locates files referenced by relative paths.
pub(crate) fn resolve(file: &str, path: &Path, raw: &RawConfig) -> Result<Config> {
    let v = Validator { file, base: path.parent().unwrap_or(Path::new(".")).to_path_buf() };
    let model = v.model(&raw.data, &raw.layers)?;
    let ridge = v.ridge(&raw.readout.ridge, "readout.ridge")?;
    let samples = v.samples(&raw.samples)?;
    let simulation = v.simulation(raw.simulation.as_ref())?;
    Ok(Config { path: path.to_path_buf(), model, ridge, samples, simulation })
}

pub(crate) struct Validator<'a> {
    pub file: &'a str,
    pub base: PathBuf,
}

impl Validator<'_> {
    pub fn err(&self, key: impl Into<String>, msg: impl Into<String>) -> Error {
        Error::input(self.file, key, msg)
    }

    pub fn positive_int(&self, key: &str, v: i64) -> Result<usize> {
        if v >= 1 {
            Ok(v as usize)
        } else {
            Err(self.err(key, format!("expected a positive integer, got {v}")))
        }
    }

    pub fn finite(&self, key: &str, v: f64) -> Result<f64> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(self.err(key, format!("expected a finite number, got {v}")))
        }
    }

    pub fn non_negative(&self, key: &str, v: f64) -> Result<f64> {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(self.err(key, format!("expected a finite number ≥ 0, got {v}")))
        }
    }

    pub fn model(&self, data: &RawData, layers: &[RawLayer]) -> Result<ModelSpec> {
        let dim = self.positive_int("data.dim", data.dim)?;
        let noise = self.non_negative("data.noise", data.noise)?;
        let data_cov = match &data.covariance {
            Some(c) => self.covariance(c, "data.covariance", dim, false)?,
            None => CovarianceSpec::identity(),
        };
        let target = match &data.target {
            None => Target::Isotropic,
            Some(t) => self.target(t)?,
        };
        let mut input = CovarianceSpec::identity();
        let mut specs = Vec::with_capacity(layers.len());
        for (i, l) in layers.iter().enumerate() {
            let key = format!("layers[{i}]");
            let width = self.positive_int(&format!("{key}.width"), l.width)?;
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
            specs.push(LayerSpec { width, covariance });
        }
        Ok(ModelSpec {
            source: self.file.to_string(),
            dim,
            noise,
            data: data_cov,
            target,
            input,
            layers: specs,
        })
    }

    fn target(&self, t: &RawTarget) -> Result<Target> {
        match t.kind.as_str() {
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
                format!("unknown target kind \"{other}\"; expected \"isotropic\" or \"power_law\""),
            )),
        }
    }

    /// Validates a covariance spec of an `n × n` matrix. `input` allows `data_power`.
    pub fn covariance(&self, c: &RawCovariance, key: &str, n: usize, input: bool) -> Result<CovarianceSpec> {
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
                    format!("unknown covariance kind \"{other}\"; expected one of {kinds}"),
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
            "data_power" => {
                if !input {
                    return Err(self.err(
                        format!("{key}.kind"),
                        "\"data_power\" (Γ = Σ0^exponent) is only allowed for layers[0].input_covariance",
                    ));
                }
                CovarianceKind::DataPower { exponent: exponent()? }
            }
            "diagonal" => {
                let values = c.values.clone().unwrap_or_default();
                self.eigenvalue_list(&format!("{key}.values"), &values, n)?;
                CovarianceKind::Diagonal { values }
            }
            "ar1" => {
                let rho = self.finite(&format!("{key}.rho"), c.rho.unwrap_or(0.0))?;
                if rho.abs() >= 1.0 {
                    return Err(self.err(format!("{key}.rho"), format!("expected |rho| < 1, got {rho}")));
                }
                CovarianceKind::Ar1 { rho }
            }
            "file" => self.covariance_file(&format!("{key}.path"), c.path.as_deref().unwrap_or(""), n)?,
            _ => unreachable!("kind checked above"),
        };
        Ok(CovarianceSpec { kind, normalize: c.normalize.unwrap_or(true) })
    }

    fn eigenvalue_list(&self, key: &str, values: &[f64], n: usize) -> Result<()> {
        if values.len() != n {
            return Err(
                self.err(key, format!("expected {n} values (the matrix dimension), got {}", values.len()))
            );
        }
        if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
            return Err(self.err(key, format!("expected finite values ≥ 0, but entry {} is {v}", i + 1)));
        }
        if values.iter().all(|&v| v == 0.0) {
            return Err(self.err(key, "all values are zero"));
        }
        Ok(())
    }

    fn covariance_file(&self, key: &str, rel: &str, n: usize) -> Result<CovarianceKind> {
        let path = self.base.join(rel);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| self.err(key, format!("cannot read covariance file {}: {e}", path.display())))?;
        let mut rows: Vec<Vec<f64>> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let row = line
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<f64>().map_err(|_| {
                        self.err(key, format!("{}: line {}: \"{s}\" is not a number", path.display(), i + 1))
                    })
                })
                .collect::<Result<Vec<f64>>>()?;
            rows.push(row);
        }
        let file_err = |msg: String| self.err(key, format!("{}: {msg}", path.display()));
        if let Some(bad) = rows.iter().flatten().find(|x| !x.is_finite()) {
            return Err(file_err(format!("entry {bad} is not finite")));
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
                Ok(CovarianceKind::Diagonal { values })
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
                let matrix = DMatrix::from_fn(n, n, |i, j| rows[i][j]);
                crate::spectra::psd_eigen(&matrix).map_err(file_err)?;
                Ok(CovarianceKind::Matrix { matrix })
            }
        }
    }

    pub fn ridge(&self, v: &toml::Value, key: &str) -> Result<Ridge> {
        match v {
            toml::Value::String(s) if s == "optimal" => Ok(Ridge::Optimal),
            toml::Value::Integer(i) => self.non_negative(key, *i as f64).map(Ridge::Fixed),
            toml::Value::Float(x) => self.non_negative(key, *x).map(Ridge::Fixed),
            other => Err(self.err(key, format!("expected a number ≥ 0 or \"optimal\", got {other}"))),
        }
    }

    pub fn samples(&self, s: &RawSamples) -> Result<Vec<usize>> {
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
                v.iter()
                    .enumerate()
                    .map(|(i, &x)| self.positive_int(&format!("samples.values[{i}]"), x))
                    .collect::<Result<Vec<_>>>()?
            }
            (None, Some(r)) => self.range(r, "samples.range")?,
        };
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    pub fn range(&self, r: &RawRange, key: &str) -> Result<Vec<usize>> {
        let from = self.finite(&format!("{key}.from"), r.from)?;
        let to = self.finite(&format!("{key}.to"), r.to)?;
        if from < 1.0 {
            return Err(self.err(format!("{key}.from"), format!("expected a sample size ≥ 1, got {from}")));
        }
        if to < from {
            return Err(self.err(format!("{key}.to"), format!("expected to ≥ from = {from}, got {to}")));
        }
        let points = self.positive_int(&format!("{key}.points"), r.points)?;
        let values = spaced(from, to, points, self.scale(r.scale.as_deref(), &format!("{key}.scale"))?);
        Ok(values.into_iter().map(|x| x.round() as usize).collect())
    }

    pub fn scale(&self, s: Option<&str>, key: &str) -> Result<bool> {
        match s.unwrap_or("log") {
            "log" => Ok(true),
            "linear" => Ok(false),
            other => Err(self.err(key, format!("expected \"log\" or \"linear\", got \"{other}\""))),
        }
    }

    pub fn simulation(&self, s: Option<&RawSimulation>) -> Result<SimulationSpec> {
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
        }
        Ok(out)
    }
}

/// `points` values from `from` to `to`, log- or linearly spaced (one point gives `from`).
pub fn spaced(from: f64, to: f64, points: usize, log: bool) -> Vec<f64> {
    (0..points)
        .map(|i| {
            let t = if points == 1 { 0.0 } else { i as f64 / (points - 1) as f64 };
            if log {
                (from.ln() + t * (to.ln() - from.ln())).exp()
            } else {
                from + t * (to - from)
            }
        })
        .collect()
}
