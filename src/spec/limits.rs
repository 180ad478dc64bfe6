//! Limits on what a specification may ask for, checked by the rules of [`super::rules`]
//! before anything is built.

/// Smallest input dimension or layer width accepted: the theory describes large models,
/// and below a few units a "learning curve" has no meaning.
pub const MIN_SIZE: usize = 4;
/// Largest input dimension or layer width of the theory. Generated spectra above
/// [`COMPRESS_ABOVE`] are summed as weighted nodes (SCALING §2) at a cost independent of
/// their size; a simulation is bounded by its memory estimate long before this.
pub const MAX_SIZE: usize = 1_000_000_000_000_000;
/// `data.dim = "infinite"`: n0 = ∞, a raw-scale power-law Σ0 with exponent > 1 whose sums
/// converge (SCALING §1). Stored as this value of `ModelSpec::dim`; see
/// `ModelSpec::is_infinite`.
pub const INFINITE_DIM: usize = usize::MAX;
/// Size above which the theory sums a generated spectrum (power law, identity, Σ0^s, a
/// power-law target) as weighted nodes instead of explicit eigenvalues (SCALING §2):
/// ≈ 1 400 nodes at any size, accurate to ≤ 1e-12 relative (tested against explicit sums).
pub const COMPRESS_ABOVE: usize = 20_000;
/// Width above which a nonlinear layer's generated S_ℓ (power law, identity) is summed as
/// weighted nodes: its unit scales are the nonlinear chain's classes (SCALING §2 applied to
/// NONLINEAR.md's unit classes).
pub const COMPRESS_CLASSES_ABOVE: usize = 2_500;
/// Largest dimension of a dense covariance (AR(1), matrix file, or a first-layer Γ that
/// does not commute with Σ0): its eigendecomposition is O(n³).
pub const MAX_DENSE_DIM: usize = 16_384;
/// Largest number of points of a sample-size list or range.
pub const MAX_POINTS: usize = 1_000_000;
/// Largest sample size p of the theory (an exactly representable integer).
pub const MAX_SAMPLES: f64 = 1e15;
/// Range of a finite training time t (DYNAMICS.md, in the time units of the normalised
/// spectra): the complex saddle points at μ = λ + s/t need |s/t|² and |μ|⁴ within double
/// range (beyond 1e150 the sums underflow and the answers drift; below 1e-77 the start
/// overflows). E_g(t) is 1 − O(t) at the lower end and has long converged at the upper.
pub const MIN_TIME: f64 = 1e-50;
/// See [`MIN_TIME`].
pub const MAX_TIME: f64 = 1e100;
/// Largest label-noise variance η² (in units of the target's signal, which is 1).
pub const MAX_NOISE: f64 = 1e12;
/// Largest configuration file read.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// Largest number of Monte Carlo trials per sample size.
pub const MAX_TRIALS: usize = 1 << 20;
/// Default `[simulation] test_samples` (see the README for the measurement behind it).
pub const DEFAULT_TEST_SAMPLES: usize = 20_000;
/// Largest `[simulation] test_samples`.
pub const MAX_TEST_SAMPLES: usize = 10_000_000;
/// Largest ensemble size K (a simulated trial fits K readouts one after another).
pub const MAX_ENSEMBLE: usize = 1_000_000;
/// Effective rank (tr M)²/tr M² below which a network with a non-affine layer gets a
/// warning: Gaussian equivalence needs many input directions per unit (NONLINEAR.md §6: it
/// held at r_eff ≥ 83 and failed by up to 15% at 26, 45% at 5).
pub const MIN_EFFECTIVE_RANK: f64 = 50.0;
/// The range of Gaussian coefficients the theory solves reliably in double precision:
/// |μ0|, μ* ≤ this and 1/this ≤ |μ1| ≤ this. An activation outside it is a rescaled one
/// (features times c, ridge times c²) and can be given at a moderate scale.
pub const COEFFICIENT_RANGE: f64 = 1e6;
