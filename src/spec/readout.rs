//! The readout: its ridge and how many learners an ensemble averages.

use super::error::Invalid;
use super::text::truncate;
use std::fmt;

/// The ridge of the readout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ridge {
    /// A fixed λ ≥ 0 (0 = minimum-norm interpolation).
    Fixed(f64),
    /// λ* = argmin E_g at each sample size.
    Optimal,
}

impl Ridge {
    /// A fixed ridge: a finite λ ≥ 0.
    pub fn fixed(lambda: f64) -> Result<Ridge, Invalid> {
        if lambda.is_finite() && lambda >= 0.0 {
            Ok(Ridge::Fixed(lambda))
        } else {
            Err(Invalid(format!("expected a finite number ≥ 0, got {lambda}")))
        }
    }

    /// A ridge by name: only `"optimal"`.
    pub fn named(name: &str) -> Result<Ridge, Invalid> {
        match name {
            "optimal" => Ok(Ridge::Optimal),
            other => {
                Err(Invalid(format!("expected a number ≥ 0 or \"optimal\", got \"{}\"", truncate(other, 40))))
            }
        }
    }
}

/// How long the readout is trained by gradient flow (DYNAMICS.md; half-loss time: the full
/// loss's time is 2t).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Time {
    /// Trained to convergence: the ridge estimator of THEORY.md (the default).
    #[default]
    Infinite,
    /// A finite time t > 0.
    Finite(f64),
    /// The time t* minimising E_g at each sample size (early stopping).
    Optimal,
}

impl Time {
    /// A finite time: a number from [`MIN_TIME`](super::limits::MIN_TIME) to [`MAX_TIME`](super::limits::MAX_TIME).
    pub fn finite(t: f64) -> Result<Time, Invalid> {
        super::rules::time(t).map(Time::Finite)
    }

    /// A time by name: `"infinite"` or `"optimal"`.
    pub fn named(name: &str) -> Result<Time, Invalid> {
        match name {
            "infinite" => Ok(Time::Infinite),
            "optimal" => Ok(Time::Optimal),
            other => Err(Invalid(format!(
                "expected a time t > 0 (a number), \"infinite\" or \"optimal\", got \"{}\"",
                truncate(other, 40)
            ))),
        }
    }
}

/// Why an ensemble of a network with a nonlinear layer is refused.
pub(crate) const NONLINEAR_ENSEMBLE: &str =
    "ensembles (THEORY §7) are specified for linear networks only, and a layer has a nonlinear activation";

/// How many learners an ensemble averages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ensemble {
    /// K ≥ 1 learners (K = 1: the single learner).
    Members(usize),
    /// The limit K → ∞.
    Infinite,
}

impl Ensemble {
    /// One learner.
    pub const SINGLE: Ensemble = Ensemble::Members(1);

    /// K, or `None` for the infinite ensemble.
    pub fn members(self) -> Option<usize> {
        match self {
            Ensemble::Members(k) => Some(k),
            Ensemble::Infinite => None,
        }
    }
}

/// JSON and other serde formats: the integer K, or the string `"infinite"`.
impl serde::Serialize for Ensemble {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Ensemble::Members(k) => s.serialize_u64(*k as u64),
            Ensemble::Infinite => s.serialize_str("infinite"),
        }
    }
}

impl fmt::Display for Ensemble {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ensemble::Members(k) => write!(f, "{k}"),
            Ensemble::Infinite => f.write_str("infinite"),
        }
    }
}

/// How the readout is trained: the one value the jobs dispatch on. A config says it with
/// `[readout] ridge` and `time`; every job (curve, validate, dynamics, figures, Python's
/// `point`) asks [`Training::ridge`] for the λ it trains with and branches on the variant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Training {
    /// Trained to convergence: the ridge estimator of THEORY.md (λ fixed or λ*).
    Converged,
    /// Gradient flow for a finite time t (DYNAMICS.md), at a fixed ridge.
    Flow(f64),
    /// Gradient flow stopped at the time t* that minimises E_g (early stopping).
    EarlyStopped,
    /// Full-batch gradient descent with a step (TRAINING A).
    Descent(super::Descent),
    /// One-pass SGD on fresh samples (TRAINING B).
    Sgd(super::OnlineSgd),
    /// Every layer trained by gradient descent in μP (FEATURES.md).
    Features(super::FeatureTraining),
}

impl Training {
    /// The training a `[readout] time` asks for.
    pub fn of_time(time: Time) -> Training {
        match time {
            Time::Infinite => Training::Converged,
            Time::Finite(t) => Training::Flow(t),
            Time::Optimal => Training::EarlyStopped,
        }
    }

    /// The `[readout] time` of this training (∞ for a training with a step, which has
    /// none).
    pub fn time(self) -> Time {
        match self {
            Training::Flow(t) => Time::Finite(t),
            Training::EarlyStopped => Time::Optimal,
            Training::Converged | Training::Descent(_) | Training::Sgd(_) | Training::Features(_) => {
                Time::Infinite
            }
        }
    }

    /// The optimizer: flow for gradient flow and the converged readout.
    pub fn optimizer(self) -> super::Optimizer {
        match self {
            Training::Descent(_) | Training::Features(_) => super::Optimizer::Gd,
            Training::Sgd(_) => super::Optimizer::Sgd,
            _ => super::Optimizer::Flow,
        }
    }

    /// The fixed λ a finite training needs (`None` for the converged readout, which also
    /// takes λ*); λ* with a finite training breaks the rule of `FINITE_TIME_RIDGE`.
    pub fn ridge(self, ridge: Ridge) -> Result<Option<f64>, Invalid> {
        match (self, ridge) {
            (Training::Converged, _) => Ok(None),
            (_, Ridge::Fixed(l)) => Ok(Some(l)),
            (_, Ridge::Optimal) => Err(Invalid(FINITE_TIME_RIDGE.into())),
        }
    }
}

/// Why λ* and a finite training time do not go together.
pub(crate) const FINITE_TIME_RIDGE: &str =
    "a finite training time needs a fixed ridge λ ≥ 0 (λ* is the converged readout's; use time = \"optimal\" for early stopping)";

/// Why a finite training time and an ensemble do not go together.
pub(crate) const FINITE_TIME_ENSEMBLE: &str =
    "a finite training time is specified for a single learner, not an ensemble";

/// Why the scaling laws and the budget frontier refuse a finite training time.
pub(crate) const SCALING_CONVERGED: &str =
    "the scaling laws and the budget frontier are of the converged readout: remove [readout] time (lcurve dynamics gives the training-time curves)";

/// Why local exponents refuse a finite training time.
pub(crate) const EXPONENTS_CONVERGED: &str =
    "the local exponents are of the converged readout: remove [readout] time, or leave out the exponents";

/// Why the dynamics refuse an ensemble.
pub(crate) const DYNAMICS_SINGLE: &str =
    "the training-time dynamics are of a single learner (DYNAMICS.md): remove readout.ensemble";
