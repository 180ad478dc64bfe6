//! Elementwise activations of hidden layers (NONLINEAR.md §1): what a config names.
//! Their Gaussian-equivalent moments are computed by the theory.

use super::error::Invalid;
use super::limits::COEFFICIENT_RANGE;
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// An elementwise activation σ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// σ(h) = h.
    Linear,
    /// σ(h) = max(h, 0).
    Relu,
    /// σ(h) = tanh(h).
    Tanh,
    /// σ(h) = erf(h).
    Erf,
    /// Fixed Gaussian coefficients, whatever the preactivation (any other σ, given by its
    /// `μ0`, `μ1`, `μ*`).
    Coefficients { mu0: f64, mu1: f64, mustar: f64 },
}

/// As in configs: the name, or the table `{mu0, mu1, mustar}`.
impl Serialize for Activation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Activation::Coefficients { mu0, mu1, mustar } => {
                let mut t = s.serialize_struct("Coefficients", 3)?;
                t.serialize_field("mu0", &mu0)?;
                t.serialize_field("mu1", &mu1)?;
                t.serialize_field("mustar", &mustar)?;
                t.end()
            }
            a => s.serialize_str(a.name()),
        }
    }
}

impl Activation {
    /// Fixed Gaussian coefficients, checked: each finite, μ1 ≠ 0 (the layer must pass a
    /// linear signal), μ* ≥ 0, all within [`COEFFICIENT_RANGE`]. The error names the
    /// coefficient (`mu0`, `mu1`, `mustar`).
    pub fn coefficients(mu0: f64, mu1: f64, mustar: f64) -> Result<Activation, (&'static str, Invalid)> {
        const R: f64 = COEFFICIENT_RANGE;
        for (name, x) in [("mu0", mu0), ("mu1", mu1), ("mustar", mustar)] {
            if !x.is_finite() {
                return Err((name, Invalid(format!("expected a finite number, got {x}"))));
            }
        }
        if mu1 == 0.0 {
            return Err((
                "mu1",
                Invalid(
                    "expected μ1 ≠ 0: with μ1 = 0 the layer passes no linear signal and the readout cannot learn a linear target"
                        .into(),
                ),
            ));
        }
        if mustar < 0.0 {
            return Err((
                "mustar",
                Invalid(format!("expected μ* ≥ 0 (μ*² = E σ² − μ0² − v μ1² is a variance), got {mustar}")),
            ));
        }
        let scale =
            "the theory is solved in double precision: rescale the activation (and the ridge by its square)";
        if !(1.0 / R..=R).contains(&mu1.abs()) {
            return Err(("mu1", Invalid(format!("expected 1e-6 ≤ |μ1| ≤ 1e6 ({scale}), got {mu1:e}"))));
        }
        for (name, x) in [("mu0", mu0.abs()), ("mustar", mustar)] {
            if x > R {
                return Err((name, Invalid(format!("expected a magnitude ≤ 1e6 ({scale}), got {x:e}"))));
            }
        }
        Ok(Activation::Coefficients { mu0, mu1, mustar })
    }

    /// σ(h).
    pub fn apply(&self, h: f64) -> f64 {
        match *self {
            Activation::Linear => h,
            Activation::Relu => h.max(0.0),
            Activation::Tanh => h.tanh(),
            Activation::Erf => statrs::function::erf::erf(h),
            // The deterministic part of the surrogate (see `apply_all` for its noise).
            Activation::Coefficients { mu0, mu1, .. } => mu0 + mu1 * h,
        }
    }

    /// The name used in configs and reports: `linear`, `relu`, `tanh`, `erf`, or
    /// `coefficients` for a fixed `{mu0, mu1, mustar}`.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Erf => "erf",
            Activation::Coefficients { .. } => "coefficients",
        }
    }

    /// The activation named `name` (`linear`, `relu`, `tanh`, `erf`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "linear" => Activation::Linear,
            "relu" => Activation::Relu,
            "tanh" => Activation::Tanh,
            "erf" => Activation::Erf,
            _ => return None,
        })
    }

    /// Whether σ is the identity (the layer is then the linear model of THEORY.md;
    /// fixed coefficients other than μ0 = 0, μ1 = 1, μ* = 0 go through the nonlinear theory).
    pub fn is_linear(&self) -> bool {
        match *self {
            Activation::Linear => true,
            Activation::Coefficients { mu0, mu1, mustar } => mu0 == 0.0 && mu1 == 1.0 && mustar == 0.0,
            _ => false,
        }
    }

    /// Whether σ is affine (μ* = 0: Gaussian equivalence is then exact).
    pub fn is_affine(&self) -> bool {
        match *self {
            Activation::Linear => true,
            Activation::Coefficients { mustar, .. } => mustar == 0.0,
            _ => false,
        }
    }
}
