//! The model of THEORY §1 as a validated specification: sizes, covariance recipes, the
//! target, the noise and each hidden layer's activation. Nothing is built here.

use super::activation::Activation;
use super::covariance::{check_power_law, CovarianceKind, CovarianceSpec, Target};
use super::error::{Error, Invalid, Result};
use super::limits::{COMPRESS_ABOVE, COMPRESS_CLASSES_ABOVE, INFINITE_DIM};
use super::rules;
use super::text::num;

/// One hidden layer: width `n_ℓ`, the row covariance `S_ℓ` and the elementwise activation
/// (NONLINEAR.md; `Linear` is the model of THEORY.md). Checked when a [`ModelSpec`] is made.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSpec {
    pub width: usize,
    pub covariance: CovarianceSpec,
    pub activation: Activation,
}

impl LayerSpec {
    /// A linear layer.
    pub fn linear(width: usize, covariance: CovarianceSpec) -> Self {
        LayerSpec { width, covariance, activation: Activation::Linear }
    }

    /// Whether `S_ℓ` is a dense matrix.
    pub fn is_dense(&self) -> bool {
        self.covariance.kind.is_dense()
    }
}

/// Which exponent of a model a change sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExponentOf {
    /// Σ0 (`data.covariance`, kind power_law).
    Data,
    /// Γ (`layers[0].input_covariance`, kind power_law or data_power).
    Input,
    /// The target (`data.target`, kind power_law).
    Target,
    /// S_ℓ of hidden layer ℓ (1-based; kind power_law).
    Layer(usize),
}

/// The parts of a model, not yet checked: what [`ModelSpec::new`] validates.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelParts {
    /// Input dimension n0.
    pub dim: usize,
    /// Label-noise variance η² ≥ 0.
    pub noise: f64,
    /// Data covariance Σ0.
    pub data: CovarianceSpec,
    /// Target prior.
    pub target: Target,
    /// First-layer input covariance Γ (identity without hidden layers).
    pub input: CovarianceSpec,
    /// Hidden layers, input side first.
    pub layers: Vec<LayerSpec>,
}

/// A validated model specification (sizes and covariance recipes, nothing built yet).
/// Made by [`ModelSpec::new`] (or from a config); changed only through setters that keep
/// every rule.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    source: String,
    parts: ModelParts,
}

/// Key of the first layer's Γ in a config.
pub(crate) const INPUT_KEY: &str = "layers[0].input_covariance";

impl ModelSpec {
    /// A model from its parts, checked. `source` names it in errors, whose keys are those of
    /// a config (`data.dim`, `layers[1].width`, …).
    pub fn new(source: &str, parts: ModelParts) -> Result<ModelSpec> {
        let ModelParts { dim, noise, data, target, input, layers } = &parts;
        let (dim, noise) = (*dim, *noise);
        let at = |key: &'static str| move |e: Invalid| e.at(source, key);
        if dim != INFINITE_DIM {
            rules::size(as_i64(dim)).map_err(at("data.dim"))?;
        }
        rules::noise(noise).map_err(at("data.noise"))?;
        check_covariance(data, dim, false).map_err(|(k, e)| e.at(source, format!("data.covariance{k}")))?;
        check_covariance(input, dim, true).map_err(|(k, e)| e.at(source, format!("{INPUT_KEY}{k}")))?;
        match target {
            Target::PowerLaw { exponent } => {
                check_power_law(*exponent, dim).map_err(at("data.target.exponent"))?
            }
            Target::Weights { values } => eigenvalue_list(values, dim).map_err(at("data.target"))?,
            Target::Isotropic => {}
        }
        for (i, l) in layers.iter().enumerate() {
            rules::size(as_i64(l.width)).map_err(|e| e.at(source, format!("layers[{i}].width")))?;
            check_covariance(&l.covariance, l.width, false)
                .map_err(|(k, e)| e.at(source, format!("layers[{i}].covariance{k}")))?;
            if let Activation::Coefficients { mu0, mu1, mustar } = l.activation {
                Activation::coefficients(mu0, mu1, mustar)
                    .map_err(|(name, e)| e.at(source, format!("layers[{i}].activation.{name}")))?;
            }
            check_activation(l).map_err(|e| e.at(source, format!("layers[{i}].covariance.kind")))?;
        }
        if dim == INFINITE_DIM {
            check_infinite(&parts).map_err(|(k, e)| e.at(source, k))?;
        }
        Ok(ModelSpec { source: source.to_string(), parts })
    }

    /// Where the spec came from (a file name, or `<string>`), for error messages.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Input dimension n0 ([`INFINITE_DIM`] for n0 = ∞: see [`ModelSpec::is_infinite`]).
    pub fn dim(&self) -> usize {
        self.parts.dim
    }

    /// Whether n0 = ∞ (`data.dim = "infinite"`, SCALING §1): a raw-scale power-law Σ0 whose
    /// sums converge; the theory only (α = p/n0 = 0).
    pub fn is_infinite(&self) -> bool {
        self.parts.dim == INFINITE_DIM
    }

    /// n0 as a number (∞ for an infinite dimension).
    pub fn dim_f64(&self) -> f64 {
        if self.is_infinite() {
            f64::INFINITY
        } else {
            self.parts.dim as f64
        }
    }

    /// Whether the theory sums the data side (Σ0, Γ, the target) as weighted nodes (SCALING
    /// §2) rather than n0 explicit eigenvalues: n0 above [`COMPRESS_ABOVE`] with Σ0 and Γ
    /// generated by a function of the index (identity, power law, Σ0^s).
    pub fn compressed_data(&self) -> bool {
        let generated = |k: &CovarianceKind| {
            matches!(
                k,
                CovarianceKind::Identity | CovarianceKind::PowerLaw { .. } | CovarianceKind::DataPower { .. }
            )
        };
        self.parts.dim > COMPRESS_ABOVE
            && generated(&self.parts.data.kind)
            && generated(&self.parts.input.kind)
    }

    /// Whether the theory sums hidden layer `i`'s (0-based) S_ℓ as weighted nodes: a
    /// power law or the identity of a width above [`COMPRESS_ABOVE`], or above
    /// [`COMPRESS_CLASSES_ABOVE`] when the layer is nonlinear (its unit scales are the
    /// classes the nonlinear chain sums at every step, times the offset nodes after a
    /// non-centred layer).
    pub fn compressed_layer(&self, i: usize) -> bool {
        let l = &self.parts.layers[i];
        let above = if l.activation.is_linear() { COMPRESS_ABOVE } else { COMPRESS_CLASSES_ABOVE };
        l.width > above
            && matches!(l.covariance.kind, CovarianceKind::Identity | CovarianceKind::PowerLaw { .. })
    }

    /// Label-noise variance η² ≥ 0.
    pub fn noise(&self) -> f64 {
        self.parts.noise
    }

    /// Data covariance Σ0.
    pub fn data(&self) -> &CovarianceSpec {
        &self.parts.data
    }

    /// Target prior.
    pub fn target(&self) -> &Target {
        &self.parts.target
    }

    /// First-layer input covariance Γ (identity when there is no hidden layer).
    pub fn input(&self) -> &CovarianceSpec {
        &self.parts.input
    }

    /// Hidden layers, input side first.
    pub fn layers(&self) -> &[LayerSpec] {
        &self.parts.layers
    }

    /// Whether any hidden layer has a nonlinear activation (the theory of NONLINEAR.md).
    pub fn is_nonlinear(&self) -> bool {
        self.parts.layers.iter().any(|l| !l.activation.is_linear())
    }

    /// Whether a hidden layer's activation is not affine: Gaussian equivalence is then an
    /// approximation, reliable only at a large effective rank (NONLINEAR.md §6).
    pub fn has_nonaffine_layer(&self) -> bool {
        self.parts.layers.iter().any(|l| !l.activation.is_affine())
    }

    /// Whether a simulated trial measures E_g in closed form over the input distribution
    /// rather than on a test set: one hidden layer, ReLU, erf or fixed Gaussian coefficients
    /// (their Gaussian expectations are known exactly: the arc-cosine and arcsine kernels).
    pub fn has_exact_test_error(&self) -> bool {
        matches!(self.parts.layers.as_slice(), [l] if !l.activation.is_linear()
            && matches!(l.activation, Activation::Relu | Activation::Erf | Activation::Coefficients { .. }))
    }

    /// Dimensions of the dense covariances (Σ0, Γ, S_ℓ), for memory estimates.
    pub fn dense_dims(&self) -> Vec<usize> {
        let mut d = Vec::new();
        if self.parts.data.kind.is_dense() {
            d.push(self.parts.dim);
        }
        if self.parts.input.kind.is_dense()
            || (self.has_dense_data() && self.parts.input.kind != CovarianceKind::Identity)
        {
            d.push(self.parts.dim);
        }
        d.extend(self.parts.layers.iter().filter(|l| l.is_dense()).map(|l| l.width));
        d
    }

    /// Whether the simulation maps white noise to inputs through a dense matrix.
    pub fn has_dense_data(&self) -> bool {
        self.parts.data.kind.is_dense() || self.parts.input.kind.is_dense()
    }

    /// Sets the label-noise variance η² (`data.noise`).
    pub fn set_noise(&mut self, noise: f64) -> Result<(), Invalid> {
        self.parts.noise = rules::noise(noise)?;
        Ok(())
    }

    /// Sets the width of hidden layer `layer` (1-based): a size whose covariance can follow it.
    pub fn set_width(&mut self, layer: usize, width: usize) -> Result<(), Invalid> {
        let depth = self.parts.layers.len();
        let l = layer
            .checked_sub(1)
            .and_then(|i| self.parts.layers.get_mut(i))
            .ok_or_else(|| Invalid(format!("the model has {depth} hidden layers, not {layer}")))?;
        rules::size(as_i64(width))?;
        if l.covariance.kind.has_fixed_size() {
            return Err(Invalid(format!(
                "layer {layer}'s covariance has a fixed size and cannot follow its width"
            )));
        }
        l.width = width;
        Ok(())
    }

    /// Sets hidden layer `layer`'s width to round(ν·n0).
    pub fn set_width_ratio(&mut self, layer: usize, nu: f64) -> Result<(), Invalid> {
        if self.is_infinite() {
            return Err(Invalid("a width ratio ν = n_ℓ/n0 needs a finite data.dim".into()));
        }
        let n0 = self.parts.dim;
        let w = rules::derived_size(nu * n0 as f64, || format!("ν = {nu} gives width round({nu} × {n0})"))?;
        self.set_width(layer, w)
    }

    /// Sets an exponent: of Σ0 or S_ℓ (kind power_law), of Γ (power_law or data_power) or
    /// of the target (power_law).
    pub fn set_exponent(&mut self, of: ExponentOf, x: f64) -> Result<(), Invalid> {
        let x = rules::finite(x)?;
        let n0 = self.parts.dim;
        let (kind, n, key) = match of {
            ExponentOf::Data => (&mut self.parts.data.kind, n0, "data.covariance"),
            ExponentOf::Input => (&mut self.parts.input.kind, n0, INPUT_KEY),
            ExponentOf::Target => {
                return match &mut self.parts.target {
                    Target::PowerLaw { exponent } => {
                        check_power_law(x, n0)?;
                        *exponent = x;
                        Ok(())
                    }
                    Target::Isotropic | Target::Weights { .. } => Err(Invalid(
                        "data.target is not a power law; the exponent axis needs kind \"power_law\"".into(),
                    )),
                };
            }
            ExponentOf::Layer(l) => match l.checked_sub(1).and_then(|i| self.parts.layers.get_mut(i)) {
                Some(layer) => (&mut layer.covariance.kind, layer.width, "layers[ℓ].covariance"),
                None => return Err(Invalid(format!("the model has no hidden layer {of:?}"))),
            },
        };
        match kind {
            CovarianceKind::PowerLaw { exponent } => {
                check_power_law(x, n)?;
                *exponent = x;
            }
            CovarianceKind::DataPower { exponent } => *exponent = x,
            other => {
                return Err(Invalid(format!(
                    "{key} is \"{}\"; the exponent axis needs kind \"power_law\"{}",
                    other.name(),
                    if of == ExponentOf::Input { " or \"data_power\"" } else { "" }
                )))
            }
        }
        if self.is_infinite() {
            check_infinite(&self.parts).map_err(|(_, e)| e)?;
        }
        Ok(())
    }

    /// The same model with n0 and every width multiplied by `factor` (rounded); spectra are
    /// regenerated at the new sizes. Fixed-length kinds cannot be rescaled (an input error
    /// at their key), and every size must stay a valid size (errors name the option `scale`).
    pub fn scaled(&self, factor: f64) -> Result<ModelSpec> {
        if factor == 1.0 {
            return Ok(self.clone());
        }
        let f = num(factor);
        let resize = |key: &str, n: usize| -> Result<usize> {
            rules::derived_size(n as f64 * factor, || format!("{f} makes {key} = {n} × {f}"))
                .map_err(|e| e.option("scale"))
        };
        let fixed = |c: &CovarianceSpec, key: &str| -> Result<()> {
            if c.kind.has_fixed_size() {
                return Err(Error::input(
                    &self.source,
                    key,
                    "a covariance given by explicit values or a file has a fixed size and cannot be rescaled (use scale = 1)",
                ));
            }
            Ok(())
        };
        fixed(&self.parts.data, "data.covariance")?;
        fixed(&self.parts.input, INPUT_KEY)?;
        let mut out = self.clone();
        if !self.is_infinite() {
            out.parts.dim = resize("data.dim", self.parts.dim)?;
        }
        for (i, l) in out.parts.layers.iter_mut().enumerate() {
            fixed(&l.covariance, &format!("layers[{i}].covariance"))?;
            l.width = resize(&format!("layers[{i}].width"), l.width)?;
        }
        Ok(out)
    }
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The rules of one covariance of an n × n matrix (`input`: Γ, which may be `data_power`);
/// the error names the sub-key (`.values`, `.exponent`, …) it concerns.
fn check_covariance(c: &CovarianceSpec, n: usize, input: bool) -> Result<(), (&'static str, Invalid)> {
    match &c.kind {
        CovarianceKind::PowerLaw { exponent } => check_power_law(*exponent, n).map_err(|e| (".exponent", e)),
        CovarianceKind::DataPower { exponent } => {
            if !input {
                return Err((
                    ".kind",
                    Invalid(
                        "\"data_power\" (Γ = Σ0^exponent) is only allowed for layers[0].input_covariance"
                            .into(),
                    ),
                ));
            }
            rules::finite(*exponent).map(|_| ()).map_err(|e| (".exponent", e))
        }
        CovarianceKind::Diagonal { values } => eigenvalue_list(values, n).map_err(|e| (".values", e)),
        CovarianceKind::Ar1 { rho } => {
            if !(rho.is_finite() && rho.abs() < 1.0) {
                return Err((".rho", Invalid(format!("expected |rho| < 1, got {rho}"))));
            }
            Ok(())
        }
        CovarianceKind::Matrix { matrix } => {
            // Symmetry and PSD are checked where the matrix is decomposed (`model::spectra`).
            if matrix.nrows() != n || matrix.ncols() != n {
                return Err((
                    ".path",
                    Invalid(format!(
                        "expected a {n} × {n} matrix, got {} × {}",
                        matrix.nrows(),
                        matrix.ncols()
                    )),
                ));
            }
            Ok(())
        }
        CovarianceKind::Identity => Ok(()),
        CovarianceKind::Empirical { data } if !input && data.dim() == n => Ok(()),
        CovarianceKind::Empirical { data } => Err((
            ".kind",
            Invalid(format!("a dataset's covariance is the data covariance of its {} features", data.dim())),
        )),
    }
}

/// Explicit eigenvalues of an n × n matrix: n finite values ≥ 0, not all zero.
fn eigenvalue_list(values: &[f64], n: usize) -> Result<(), Invalid> {
    if values.len() != n {
        return Err(Invalid(format!("expected {n} values (the matrix dimension), got {}", values.len())));
    }
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
        return Err(Invalid(format!("expected finite values ≥ 0, but entry {} is {v}", i + 1)));
    }
    if values.iter().all(|&v| v == 0.0) {
        return Err(Invalid("all values are zero".into()));
    }
    Ok(())
}

/// The rules of n0 = ∞ (SCALING §1): every sum of the theory must converge, so Σ0 is a
/// raw-scale power law j^(−a) with a > 1, Γ the identity or a raw-scale power law (or Σ0^s)
/// with M = Γ^{1/2}Σ0Γ^{1/2} still decaying faster than 1/j, the task power σ_j b_j too, and
/// every layer linear (a nonlinear layer's convention divides by n0). Errors name the key.
fn check_infinite(parts: &ModelParts) -> Result<(), (String, Invalid)> {
    let bad = |key: &str, m: String| Err((key.to_string(), Invalid(m)));
    let a = match parts.data.kind {
        CovarianceKind::PowerLaw { exponent } if parts.data.normalize => {
            let _ = exponent;
            return bad(
                "data.covariance.normalize",
                "dim = \"infinite\" needs a raw-scale Σ0 (normalize = false): its mean eigenvalue is 0".into(),
            );
        }
        CovarianceKind::PowerLaw { exponent } if exponent > 1.0 => exponent,
        CovarianceKind::PowerLaw { exponent } => {
            return bad(
                "data.covariance.exponent",
                format!("dim = \"infinite\" needs a power-law exponent > 1 (a finite trace), got {}", num(exponent)),
            )
        }
        ref other => {
            return bad(
                "data.covariance.kind",
                format!("dim = \"infinite\" needs a \"power_law\" Σ0 (with exponent > 1 and normalize = false), got \"{}\"", other.name()),
            )
        }
    };
    let m = match parts.input.kind {
        CovarianceKind::Identity => a,
        CovarianceKind::PowerLaw { .. } | CovarianceKind::DataPower { .. } if parts.input.normalize => {
            return bad(
                &format!("{INPUT_KEY}.normalize"),
                "dim = \"infinite\" needs a raw-scale Γ (normalize = false) unless it is the identity".into(),
            )
        }
        CovarianceKind::PowerLaw { exponent } => a + exponent,
        CovarianceKind::DataPower { exponent } => a * (1.0 + exponent),
        ref other => {
            return bad(
                &format!("{INPUT_KEY}.kind"),
                format!(
                "dim = \"infinite\" needs Γ to be \"identity\", \"power_law\" or \"data_power\", got \"{}\"",
                other.name()
            ),
            )
        }
    };
    if m <= 1.0 {
        return bad(
            &format!("{INPUT_KEY}.exponent"),
            format!("with dim = \"infinite\" the spectrum of Γ^½Σ0Γ^½ must decay faster than 1/j, but it decays like j^−{}", num(m)),
        );
    }
    let t = match parts.target {
        Target::Isotropic => 0.0,
        Target::PowerLaw { exponent } => exponent,
        Target::Weights { .. } => {
            return bad("data.target", "dim = \"infinite\" needs a power-law or isotropic target".into())
        }
    };
    if a + t <= 1.0 {
        return bad(
            "data.target.exponent",
            format!("with dim = \"infinite\" the task power σ_j b_j ∝ j^−(a+t) must decay faster than 1/j, but a + t = {}", num(a + t)),
        );
    }
    if let Some(i) = parts.layers.iter().position(|l| !l.activation.is_linear()) {
        return bad(
            &format!("layers[{i}].activation"),
            "a nonlinear layer needs a finite data.dim (its preactivations are scaled by 1/√n0)".into(),
        );
    }
    Ok(())
}

/// A nonlinear layer needs a diagonal S (NONLINEAR.md §6).
fn check_activation(l: &LayerSpec) -> Result<(), Invalid> {
    if !l.activation.is_linear() && l.covariance.kind.is_dense() {
        return Err(Invalid(format!(
            "a nonlinear layer (activation \"{}\") needs a diagonal S (identity, power_law or \
             diagonal), got \"{}\": with correlated unit weights Gaussian equivalence \
             is not specified (NONLINEAR.md §6)",
            l.activation.name(),
            l.covariance.kind.name()
        )));
    }
    Ok(())
}
