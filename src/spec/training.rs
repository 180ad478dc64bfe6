//! How the readout is trained with a step (TRAINING.md): full-batch gradient descent and
//! one-pass SGD — the `[training]` section's values and their rules.

use super::error::Invalid;
use super::text::{num, truncate};

/// The optimizer of `[training] optimizer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Optimizer {
    /// Gradient flow (DYNAMICS.md; `[readout] time`).
    Flow,
    /// Full-batch gradient descent with a step (TRAINING A).
    Gd,
    /// One-pass SGD on fresh samples (TRAINING B).
    Sgd,
}

impl Optimizer {
    pub fn named(name: &str) -> Result<Optimizer, Invalid> {
        match name {
            "flow" => Ok(Optimizer::Flow),
            "gd" => Ok(Optimizer::Gd),
            "sgd" => Ok(Optimizer::Sgd),
            other => {
                Err(Invalid(format!("expected \"flow\", \"gd\" or \"sgd\", got \"{}\"", truncate(other, 40))))
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Flow => "flow",
            Optimizer::Gd => "gd",
            Optimizer::Sgd => "sgd",
        }
    }
}

/// The step η: a number, or a rule resolved against the model (TRAINING B10).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// η itself.
    Fixed(f64),
    /// A fraction f of the stability edge: GD f·2/(x₊ + λ) per sample size; SGD f·η_c with
    /// ‖K‖(η_c) = 1.
    Edge(f64),
    /// SGD: η = c·2B/tr Σ_F (kernel norm ≈ c at small steps).
    KernelNorm(f64),
}

impl Step {
    /// A step η > 0 (finite).
    pub fn fixed(eta: f64) -> Result<Step, Invalid> {
        if eta.is_finite() && eta > 0.0 {
            Ok(Step::Fixed(eta))
        } else {
            Err(Invalid(format!("expected a step η > 0, got {}", num(eta))))
        }
    }

    /// A fraction of the edge: 0 < f ≤ 10 (beyond 1 gradient descent diverges, which is
    /// reported rather than refused).
    pub fn edge(f: f64) -> Result<Step, Invalid> {
        if f.is_finite() && f > 0.0 && f <= 10.0 {
            Ok(Step::Edge(f))
        } else {
            Err(Invalid(format!("expected a fraction of the stability edge in (0, 10], got {}", num(f))))
        }
    }

    /// A kernel norm 0 < c < 1.
    pub fn kernel_norm(c: f64) -> Result<Step, Invalid> {
        if c.is_finite() && c > 0.0 && c < 1.0 {
            Ok(Step::KernelNorm(c))
        } else {
            Err(Invalid(format!("expected a kernel norm in (0, 1), got {}", num(c))))
        }
    }
}

/// The largest step count (time = ηk is kept in doubles; 10¹⁵ steps cost what 10 cost).
pub const MAX_STEPS: u64 = 1_000_000_000_000_000;

/// How many steps: a count, the best count (early stopping), or to convergence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Steps {
    Count(u64),
    /// The k minimising E_g (discrete early stopping).
    Optimal,
    /// k → ∞: the static theory (gd, below the edge) or SGD's limit R_∞.
    Infinite,
}

impl Steps {
    /// A step count 0 ≤ k ≤ [`MAX_STEPS`].
    pub fn count(k: i64) -> Result<Steps, Invalid> {
        if k >= 0 && k as u64 <= MAX_STEPS {
            Ok(Steps::Count(k as u64))
        } else {
            Err(Invalid(format!("expected a step count from 0 to 10^15, got {k}")))
        }
    }

    /// `"optimal"` or `"infinite"`.
    pub fn named(name: &str) -> Result<Steps, Invalid> {
        match name {
            "optimal" => Ok(Steps::Optimal),
            "infinite" => Ok(Steps::Infinite),
            other => Err(Invalid(format!(
                "expected a step count k ≥ 0, \"optimal\" or \"infinite\", got \"{}\"",
                truncate(other, 40)
            ))),
        }
    }
}

/// Full-batch gradient descent: its step and how many steps `curve` evaluates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Descent {
    pub step: Step,
    pub steps: Steps,
}

/// One-pass SGD: step, batch B and how many steps `curve` evaluates (samples seen = k·B).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OnlineSgd {
    pub step: Step,
    pub batch: u64,
    pub steps: Steps,
}

/// The largest batch.
pub const MAX_BATCH: i64 = 1_000_000_000;

/// A batch size 1 ≤ B ≤ 10⁹.
pub fn batch(b: i64) -> Result<u64, Invalid> {
    if (1..=MAX_BATCH).contains(&b) {
        Ok(b as u64)
    } else {
        Err(Invalid(format!("expected a batch size from 1 to 10^9, got {b}")))
    }
}

/// Why gradient descent and SGD need a fixed ridge (their weight decay).
pub(crate) const STEP_RIDGE: &str =
    "gradient descent and SGD train at a fixed ridge λ ≥ 0 (the weight decay); λ* is the converged readout's";
/// Why a training with a step refuses an ensemble.
pub(crate) const STEP_ENSEMBLE: &str =
    "gradient descent and SGD are specified for a single learner, not an ensemble";
/// Why SGD refuses sample sizes.
pub(crate) const SGD_SAMPLES: &str =
    "one-pass SGD sees fresh samples at every step (samples seen = steps × batch): remove [samples]";
/// Why the step rules need a linear network.
pub(crate) const STEP_LINEAR: &str =
    "gradient descent and SGD are specified for linear networks (TRAINING.md), and a layer is nonlinear";

/// Every layer trained (FEATURES.md): full-batch gradient descent of a deep linear network
/// in μP at step ε and richness γ0, its infinite-width DMFT at fixed data averaged over
/// `datasets` training sets per sample size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeatureTraining {
    /// ε (time t = εk).
    pub step: f64,
    /// γ0 ≥ 0 (0: lazy gradient descent).
    pub richness: f64,
    /// Train f − f₀ (β(0) = 0) rather than f.
    pub centered: bool,
    /// Training sets per sample size.
    pub datasets: usize,
    pub steps: Steps,
}

/// The largest number of training sets per sample size.
pub const MAX_DATASETS: i64 = 100_000;

/// The largest richness γ0.
pub(crate) const MAX_RICHNESS: f64 = 1e3;

impl FeatureTraining {
    /// γ0 ≥ 0 (finite, at most 10³).
    pub fn richness(g: f64) -> Result<f64, Invalid> {
        if (0.0..=MAX_RICHNESS).contains(&g) {
            Ok(g)
        } else {
            Err(Invalid(format!("expected a richness γ0 from 0 (lazy) to 1000, got {}", num(g))))
        }
    }

    /// 1 ≤ M ≤ 10⁵ training sets.
    pub fn datasets(m: i64) -> Result<usize, Invalid> {
        if (1..=MAX_DATASETS).contains(&m) {
            Ok(m as usize)
        } else {
            Err(Invalid(format!("expected 1 to 100000 training sets per sample size, got {m}")))
        }
    }
}

/// Why feature learning needs its own kind of network (FEATURES §10).
pub(crate) const FEATURES_LINEAR: &str =
    "every layer is trained for deep linear networks (FEATURES.md), and a layer is nonlinear";

/// Where a network with every layer trained is computed.
pub(crate) const FEATURES_DYNAMICS: &str = "a network with every layer trained is computed per training set along its steps: lcurve dynamics CONFIG --steps a,b,c (the theory) and --validate (networks)";
