//! Resolution of a raw config into a [`Config`]: every value checked by the rules of
//! `spec::rules`, every error one line naming the file and the dotted key.

use crate::spec::limits::{INFINITE_DIM, MAX_DENSE_DIM, MAX_ENSEMBLE, MAX_POINTS, MAX_SAMPLES};
use crate::spec::text::truncate;
use crate::spec::{
    check_symmetric, rules, Activation, Config, CovarianceKind, CovarianceSpec, Ensemble, Error, Invalid,
    LayerSpec, ModelParts, ModelSpec, Result, Ridge, Simulation, Target,
};
use nalgebra::DMatrix;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::schema::*;
use crate::spec::rules::spaced;
use crate::support::files;

/// Validates a raw config. `base` locates files referenced by relative paths.
pub(crate) fn resolve(file: &str, base: &Path, raw: &RawConfig) -> Result<Config> {
    resolve_with(Validator { file, base: base.to_path_buf(), dataset: None }, raw)
}

/// As [`resolve`] with a validator (which may hold a dataset given as numbers).
pub(crate) fn resolve_with(v: Validator<'_>, raw: &RawConfig) -> Result<Config> {
    let file = v.file;
    let model = v.model(&raw.data, &raw.layers)?;
    let ridge = v.ridge(&raw.readout.ridge, "readout.ridge")?;
    let ensemble = raw.readout.ensemble.as_ref().map(|e| v.ensemble(e, "readout.ensemble")).transpose()?;
    let sgd = raw.training.as_ref().is_some_and(|t| t.optimizer == "sgd");
    if sgd && raw.training.as_ref().is_some_and(|t| t.layers.as_deref() == Some("all")) {
        return Err(v.err(
            "training.optimizer",
            "every layer is trained by full-batch gradient descent (FEATURES.md): optimizer = \"gd\"",
        ));
    }
    let samples = match (&raw.samples, sgd) {
        (Some(s), false) => v.samples(s)?,
        (Some(_), true) => return Err(v.err("samples", crate::spec::SGD_SAMPLES)),
        (None, true) => Vec::new(),
        (None, false) => return Err(v.err("samples", "missing: expected a [samples] section")),
    };
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
    if let Some(training) = raw.training.as_ref().map(|t| v.training(t)).transpose()?.flatten() {
        if let crate::spec::Training::Features(_) = training {
            if let Some((key, why)) = config.features_rule() {
                return Err(why.at(file, key));
            }
        }
        config.set_training(training).map_err(|e| e.at(file, "training"))?;
    }
    Ok(config)
}

/// Training sets per sample size when `[training] datasets` is absent (FEATURES §8 S4 used
/// 10: enough for a standard error).
const DEFAULT_DATASETS: i64 = 10;

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
        let path = self.base.join(rel);
        let file_err = |msg: String| self.err(key, format!("{}: {msg}", path.display()));
        // At most ~48 bytes per number (with comments and spacing); above the dense limit
        // only a list of eigenvalues is possible.
        let numbers = if n > MAX_DENSE_DIM { n as u64 } else { (n as u64) * (n as u64) };
        let max_bytes = 48 * numbers + 4096;
        let bytes = files::read_bounded(&path, max_bytes).map_err(|e| file_err(e.0))?;
        let rows = files::number_rows(&String::from_utf8_lossy(&bytes), n, n)
            .map_err(|e| file_err(format!("{} (the dimension is {n})", e.0)))?;
        if let Some((i, x)) = rows.iter().flatten().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(file_err(format!("number {} is {x}, expected a finite number", i + 1)));
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

    /// `[training]`: the optimizer and its step, batch and steps (TRAINING B10); `None` for
    /// gradient flow, whose only key is `[readout] time`.
    pub(crate) fn training(&self, t: &RawTraining) -> Result<Option<crate::spec::Training>> {
        use crate::spec::{Optimizer, Step, Steps, Training};
        let optimizer = self.check("training.optimizer", Optimizer::named(&t.optimizer))?;
        let steps = match &t.steps {
            None => Steps::Infinite,
            Some(toml::Value::Integer(k)) => self.check("training.steps", Steps::count(*k))?,
            Some(toml::Value::String(s)) => self.check("training.steps", Steps::named(s))?,
            Some(other) => {
                return Err(self.err(
                    "training.steps",
                    format!(
                        "expected a step count k ≥ 0, \"optimal\" or \"infinite\", got {}",
                        truncate(&other.to_string(), 40)
                    ),
                ))
            }
        };
        let step = |sgd: bool| -> Result<Step> {
            let expected = if sgd {
                "expected a step η > 0, { edge = f } or { kernel_norm = c }"
            } else {
                "expected a step η > 0 or { edge = f }"
            };
            match &t.step {
                None => Err(self.err("training.step", format!("missing: {expected}"))),
                Some(toml::Value::Float(x)) => self.check("training.step", Step::fixed(*x)),
                Some(toml::Value::Integer(x)) => self.check("training.step", Step::fixed(*x as f64)),
                Some(toml::Value::Table(tab)) if tab.len() == 1 => {
                    let (key, value) =
                        tab.iter().next().ok_or_else(|| self.err("training.step", expected))?;
                    let x = match value {
                        toml::Value::Float(x) => *x,
                        toml::Value::Integer(x) => *x as f64,
                        _ => return Err(self.err(format!("training.step.{key}"), "expected a number")),
                    };
                    match key.as_str() {
                        "edge" => self.check("training.step.edge", Step::edge(x)),
                        "kernel_norm" if sgd => self.check("training.step.kernel_norm", Step::kernel_norm(x)),
                        _ => Err(self.err(format!("training.step.{}", truncate(key, 40)), expected)),
                    }
                }
                Some(other) => Err(self
                    .err("training.step", format!("{expected}, got {}", truncate(&other.to_string(), 40)))),
            }
        };
        let all = match t.layers.as_deref() {
            None | Some("readout") => false,
            Some("all") => true,
            Some(other) => {
                return Err(self.err(
                    "training.layers",
                    format!("expected \"readout\" or \"all\", got \"{}\"", truncate(other, 40)),
                ))
            }
        };
        if !all {
            for (key, given) in [
                ("training.richness", t.richness.is_some()),
                ("training.centered", t.centered.is_some()),
                ("training.datasets", t.datasets.is_some()),
            ] {
                if given {
                    return Err(
                        self.err(key, "only for networks with every layer trained (layers = \"all\")")
                    );
                }
            }
        } else {
            if optimizer != Optimizer::Gd {
                return Err(self.err(
                    "training.optimizer",
                    "every layer is trained by full-batch gradient descent (FEATURES.md): optimizer = \"gd\"",
                ));
            }
            if t.batch.is_some() {
                return Err(self.err("training.batch", "full-batch gradient descent has no batch (sgd has)"));
            }
            let eps = match step(false)? {
                Step::Fixed(e) => e,
                _ => {
                    return Err(self.err(
                        "training.step",
                        "every layer trained takes a step ε > 0 (time t = εk); the sharpness of each step is monitored instead of an edge rule",
                    ))
                }
            };
            let richness = match t.richness {
                Some(g) => self.check("training.richness", crate::spec::FeatureTraining::richness(g))?,
                None => return Err(self.err("training.richness", "missing: expected γ0 ≥ 0 (0: lazy)")),
            };
            let centered = t.centered.unwrap_or(true);
            if !centered && richness == 0.0 {
                return Err(self.err(
                    "training.centered",
                    "an uncentred network at γ0 = 0 starts from an output of infinite variance 1/(γ0²N): centre it or give γ0 > 0",
                ));
            }
            let datasets = self.check(
                "training.datasets",
                crate::spec::FeatureTraining::datasets(t.datasets.unwrap_or(DEFAULT_DATASETS)),
            )?;
            if !matches!(steps, Steps::Count(_) | Steps::Infinite) {
                return Err(self.err(
                    "training.steps",
                    "every layer trained runs along the steps a run names (lcurve dynamics --steps): give a count",
                ));
            }
            return Ok(Some(Training::Features(crate::spec::FeatureTraining {
                step: eps,
                richness,
                centered,
                datasets,
                steps,
            })));
        }
        match optimizer {
            Optimizer::Flow => {
                for (key, given) in [
                    ("training.step", t.step.is_some()),
                    ("training.batch", t.batch.is_some()),
                    ("training.steps", t.steps.is_some()),
                ] {
                    if given {
                        return Err(
                            self.err(key, "gradient flow has no step: its training time is [readout] time")
                        );
                    }
                }
                Ok(None)
            }
            Optimizer::Gd => {
                if t.batch.is_some() {
                    return Err(
                        self.err("training.batch", "full-batch gradient descent has no batch (sgd has)")
                    );
                }
                Ok(Some(Training::Descent(crate::spec::Descent { step: step(false)?, steps })))
            }
            Optimizer::Sgd => {
                let batch = self.check("training.batch", crate::spec::batch(t.batch.unwrap_or(1)))?;
                Ok(Some(Training::Sgd(crate::spec::OnlineSgd { step: step(true)?, batch, steps })))
            }
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

    pub(crate) fn simulation(&self, s: Option<&RawSimulation>) -> Result<Simulation> {
        let mut out = Simulation::default();
        if let Some(s) = s {
            if let Some(t) = s.trials {
                out.trials = self.check("simulation.trials", rules::trials(t))?;
            }
            if let Some(seed) = s.seed {
                out.seed = self.check("simulation.seed", rules::seed(seed))?;
            }
            if let Some(f) = s.scale {
                out.scale = self.check("simulation.scale", rules::scale(f))?;
            }
            if let Some(n) = s.test_samples {
                out.test_samples = self.check("simulation.test_samples", rules::test_samples(n))?;
            }
            if let Some(i) = &s.inputs {
                out.inputs = self.check("simulation.inputs", crate::spec::Inputs::named(i))?;
            }
        }
        Ok(out)
    }
}
