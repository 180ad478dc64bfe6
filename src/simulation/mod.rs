//! Monte Carlo simulation of the model (THEORY §5): sample data, target, noise and every
//! weight matrix, solve the ridge problem, and measure E_g exactly from β̂ = F v̂.
//!
//! Determinism: every (sample size, trial) pair has its own ChaCha8 stream
//! ([`trial_rng`]); each random matrix takes a key from it and fills its entries in fixed
//! blocks from non-overlapping Xoshiro256++ sub-streams (`normal`, the same entries on any
//! number of threads), and dense kernels run sequentially inside a trial
//! ([`Simulator::trial`] takes the faer parallelism), so results do not depend on the
//! number of threads that run trials.

use crate::model::spectra::Covariance;
use crate::model::{Model, SimModel};
use crate::spec::{Activation, Error, Invalid, Result};
use crate::support::linalg::{self, gemm, Op};
use faer::Par;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

pub use crate::spec::limits::MAX_TRIALS;

pub mod features;
mod flow;
mod sgd;
pub use flow::Filter;
pub use sgd::SgdRun;
mod nonlinear;
mod normal;
mod solvers;

use solvers::{dense, min_norm_generic, ridge_solve};

/// Members simulated per trial for `ensemble = "infinite"`: E_∞ is estimated without bias
/// from their pairs (see [`Simulator::ensemble_trial`]).
pub const INFINITE_MEMBERS: usize = 8;

/// The members an ensemble trial fits: `count` readouts on the same data, and whether
/// they estimate the infinite ensemble from their pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Members {
    pub count: usize,
    pub infinite: bool,
}

impl Members {
    /// The members simulated for a readout's ensemble: 1 for none, K, or
    /// [`INFINITE_MEMBERS`] estimating E_∞.
    pub fn of(ensemble: Option<crate::spec::Ensemble>) -> Members {
        use crate::spec::Ensemble;
        match ensemble {
            None => Members { count: 1, infinite: false },
            Some(Ensemble::Members(k)) => Members { count: k, infinite: false },
            Some(Ensemble::Infinite) => Members { count: INFINITE_MEMBERS, infinite: true },
        }
    }
}

/// E σ(h_i)σ(h_j) of a layer's units, by index.
type Kernel<'a> = Box<dyn Fn(usize, usize) -> f64 + 'a>;

/// The RNG of one trial at one sample size: a ChaCha8 stream keyed by (seed, p, trial).
pub fn trial_rng(seed: u64, samples: usize, trial: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((samples as u64) << 20) | trial as u64);
    rng
}

/// Σ0 as the exact E_g = eᵀΣ0e needs it: its eigenvalues, or its matrix.
#[derive(Clone, Debug)]
enum SigmaNorm {
    Diagonal(Vec<f64>),
    Dense(DMatrix<f64>),
}

/// A linear map applied on the right of a row-sample matrix: `A ↦ A·M`.
#[derive(Clone, Debug)]
enum RightMap {
    Diagonal(Vec<f64>),
    Dense(DMatrix<f64>),
}

impl RightMap {
    /// `C^power` as a map (C symmetric, so left and right application agree up to transpose).
    fn power(c: &Covariance, power: f64) -> Result<Self> {
        Ok(match c.power_diagonal(power) {
            Some(d) => RightMap::Diagonal(d),
            None => {
                RightMap::Dense(c.power_dense(power, linalg::setup_par()).map_err(|e| Error::Numerical(e.0))?)
            }
        })
    }

    /// `M · b`.
    fn left(&self, b: &DMatrix<f64>, par: Par) -> DMatrix<f64> {
        match self {
            RightMap::Diagonal(d) => {
                let mut out = b.clone();
                for (i, mut row) in out.row_iter_mut().enumerate() {
                    row *= d[i];
                }
                out
            }
            RightMap::Dense(m) => gemm(m, Op::N, b, Op::N, par),
        }
    }

    /// `a · M`, scaled by `s`.
    fn right(&self, mut a: DMatrix<f64>, s: f64, par: Par) -> DMatrix<f64> {
        match self {
            RightMap::Diagonal(d) => {
                for (j, mut col) in a.column_iter_mut().enumerate() {
                    col *= d[j] * s;
                }
                a
            }
            RightMap::Dense(m) => {
                let mut out = gemm(&a, Op::N, m, Op::N, par);
                out *= s;
                out
            }
        }
    }

    /// `M · v` (M symmetric).
    fn left_vec(&self, v: &DVector<f64>) -> DVector<f64> {
        match self {
            RightMap::Diagonal(d) => DVector::from_iterator(v.len(), v.iter().zip(d).map(|(x, y)| x * y)),
            RightMap::Dense(m) => m * v,
        }
    }
}

/// One training set: raw inputs X (P × n0), labels y, and the target β* it was drawn with.
#[derive(Clone, Debug)]
pub struct TrainingSet {
    pub x: DMatrix<f64>,
    pub y: Vec<f64>,
    pub target: Vec<f64>,
}

/// Outcome of one trial.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trial {
    /// E_g = (β̂−β*)ᵀΣ0(β̂−β*).
    pub error: f64,
    /// E_g of the same draw fitted on noiseless labels (the bias part; E[error − bias] is
    /// the variance part, as the cross term averages to zero).
    pub bias: f64,
    /// (1/p) Σ (y − f(x))².
    pub train_error: f64,
}

/// Outcome of one ensemble trial.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EnsembleTrial {
    /// The first member alone (the single learner, on the same draws).
    pub single: Trial,
    /// E_g of the averaged β̂ (or the unbiased pair estimate of E_∞).
    pub error: f64,
    /// The same for the noiseless fits (the ensemble's bias part).
    pub bias: f64,
}

/// What the members of an ensemble share: β*, the labels and the first-layer inputs.
struct Data {
    beta: DVector<f64>,
    y: DVector<f64>,
    /// Noisy and noiseless labels as the two columns of the right-hand side.
    rhs: DMatrix<f64>,
    /// h_0 = Γ^{1/2}x row-wise (p × n0).
    inputs: DMatrix<f64>,
}

/// A model prepared for simulation (square roots of its covariances precomputed).
#[derive(Clone, Debug)]
pub struct Simulator {
    n0: usize,
    noise: f64,
    widths: Vec<usize>,
    /// Σ0^{1/2} Γ^{1/2}: maps white noise rows to first-layer inputs h_0 = Γ^{1/2} x.
    input_map: RightMap,
    /// Σ0^{1/2}.
    sigma_half: RightMap,
    /// Γ^{1/2}.
    gamma_half: RightMap,
    /// S_ℓ^{1/2}.
    layer_half: Vec<RightMap>,
    /// Σ0, for the exact E_g.
    sigma: SigmaNorm,
    /// Σ0's basis u_j (None: standard basis) and √b_j, to draw β* = Σ √b_j z_j u_j.
    basis: Option<DMatrix<f64>>,
    sqrt_b: Vec<f64>,
    /// Every covariance has full rank, so Gram matrices have the generic rank.
    full_rank: bool,
    /// Interpolation threshold r of the theory (generic rank of Φ for p ≥ r).
    rank: usize,
    /// Each hidden layer's activation; with a nonlinear one the trial computes the true
    /// features and measures E_g on a fresh test set of `test_samples` inputs.
    activations: Vec<Activation>,
    test_samples: usize,
    /// E_g in closed form over the inputs instead of a test set (see
    /// [`ModelSpec::has_exact_test_error`](crate::spec::ModelSpec::has_exact_test_error)).
    exact_error: bool,
    /// Trials on a dataset's real inputs instead of Gaussian ones.
    real: Option<RealInputs>,
}

/// A dataset's rows in the model's units, for trials on the real inputs: every trial draws
/// its p training rows i.i.d. from the N rows (the dataset is the population) and measures
/// E_g over all N rows.
#[derive(Clone, Debug)]
struct RealInputs {
    /// N × n0 inputs x = √s·(centred features), s = Σ0's normalisation.
    x: DMatrix<f64>,
    /// N labels y / √signal.
    y: DVector<f64>,
    /// β* in the same units (y ≈ xᵀβ*).
    beta: DVector<f64>,
    /// η² in the same units: mean (y − xᵀβ*)².
    noise: f64,
}

impl Simulator {
    /// Prepares a model built for simulation.
    pub fn new(model: &SimModel) -> Result<Self> {
        let missing = |e: Invalid| Error::Numerical(e.0);
        let sigma = match &model.data.cov {
            Covariance::Diagonal(v) => SigmaNorm::Diagonal(v.clone()),
            c => SigmaNorm::Dense(c.to_dense().map_err(missing)?),
        };
        let sigma_half = RightMap::power(&model.data.cov, 0.5)?;
        let gamma_half = RightMap::power(&model.input.cov, 0.5)?;
        let input_map = match (&sigma_half, &gamma_half) {
            (RightMap::Diagonal(a), RightMap::Diagonal(b)) => {
                RightMap::Diagonal(a.iter().zip(b).map(|(x, y)| x * y).collect())
            }
            _ => RightMap::Dense(gemm(
                &dense(&sigma_half, model.spec.dim()),
                Op::N,
                &dense(&gamma_half, model.spec.dim()),
                Op::N,
                linalg::setup_par(),
            )),
        };
        let basis = model.data.cov.basis().map_err(missing)?.cloned();
        // Ranks of Σ0 (= rank of M, as Γ is positive definite) and of every S_ℓ: their
        // minimum is the theory's interpolation threshold r.
        let ranks: Vec<(usize, usize)> = std::iter::once((model.data.cov.rank(), model.spec.dim()))
            .chain(model.layers.iter().zip(model.spec.layers()).map(|(b, l)| (b.cov.rank(), l.width)))
            .collect();
        let full_rank = ranks.iter().all(|&(r, n)| r == n);
        let activations: Vec<Activation> = model.spec.layers().iter().map(|l| l.activation).collect();
        // A nonlinear layer has full rank whatever its input: the features' rank is set by
        // the stages from the last nonlinear layer on.
        let from = activations.iter().rposition(|a| !a.is_linear()).map_or(0, |l| l + 1);
        let rank = ranks[from..].iter().map(|&(r, _)| r).min().unwrap_or(0);
        Ok(Simulator {
            n0: model.spec.dim(),
            noise: model.spec.noise(),
            widths: model.spec.layers().iter().map(|l| l.width).collect(),
            input_map,
            sigma_half,
            gamma_half,
            layer_half: model.layers.iter().map(|b| RightMap::power(&b.cov, 0.5)).collect::<Result<_>>()?,
            sigma,
            basis,
            sqrt_b: model.target_weights.iter().map(|b| b.sqrt()).collect(),
            full_rank,
            rank,
            activations,
            test_samples: crate::spec::limits::DEFAULT_TEST_SAMPLES,
            exact_error: model.spec.has_exact_test_error(),
            real: None,
        })
    }

    /// Trials on the real inputs of the model's dataset (`[data] source`): each draws its p
    /// training rows with replacement from the dataset, labels them with the dataset's
    /// labels, and measures E_g over all N rows — exactly (β̂−β*)ᵀΣ0(β̂−β*) with the
    /// dataset's Σ0 for a linear network; the mean of (f(x) − y)² over the rows minus η²
    /// for a nonlinear one. `None` when the model has no dataset.
    pub fn with_real_inputs(mut self, model: &Model) -> Option<Self> {
        let crate::spec::CovarianceKind::Empirical { data } = &model.spec.data().kind else {
            return None;
        };
        let (fs, ls) = (model.data.scale.sqrt(), 1.0 / data.signal.sqrt());
        let x = &*data.features * fs;
        let y = DVector::from_iterator(data.rows(), data.labels.iter().map(|v| v * ls));
        let beta = DVector::from_iterator(data.dim(), data.beta.iter().map(|b| b * ls / fs));
        let noise = (&y - &x * &beta).norm_squared() / data.rows() as f64;
        self.real = Some(RealInputs { x, y, beta, noise });
        Some(self)
    }

    /// Sets the size of the test set on which a nonlinear network's trials measure E_g.
    pub(crate) fn with_test_samples(mut self, n: usize) -> Self {
        self.test_samples = n.max(1);
        self
    }

    /// Whether a hidden layer is nonlinear (E_g is then measured on a test set).
    pub(crate) fn is_nonlinear(&self) -> bool {
        self.activations.iter().any(|a| !a.is_linear())
    }

    /// Width of the readout's feature space n_L (n0 without hidden layers).
    pub(crate) fn feature_dim(&self) -> usize {
        self.widths.last().copied().unwrap_or(self.n0)
    }

    /// One trial at `samples` = p and ridge λ ≥ 0, drawing everything from `rng`.
    /// `par` is the parallelism of the dense kernels inside the trial.
    pub fn trial(&self, samples: usize, ridge: f64, rng: &mut impl Rng, par: Par) -> Result<Trial> {
        let data = self.draw_data(samples, rng, par);
        if self.is_nonlinear() {
            return self.nonlinear_trial(&data, ridge, rng, par);
        }
        let (fit, _) = self.fit_member(&data, ridge, rng, par)?;
        Ok(fit)
    }

    /// One ensemble trial (THEORY §7): the data (X, ξ, β*) drawn once, then `members`
    /// independent sets of weights, each trained on the same data. The ensemble's E_g is
    /// measured exactly from the averaged β̂; `single` is the first member, which draws
    /// exactly what [`Simulator::trial`] draws from the same `rng`.
    ///
    /// With `members.infinite`, `error` and `bias` estimate E_∞ without bias from the member
    /// pairs: `mean_{i≠j} (β̂_i−β*)ᵀΣ0(β̂_j−β*)`, whose expectation over the weights at fixed
    /// data is the infinite ensemble's error (needs at least 2 members). `cancelled` is
    /// polled between members: a large ensemble stops with `Error::Interrupted`.
    pub fn ensemble_trial(
        &self,
        (samples, ridge): (usize, f64),
        members: Members,
        rng: &mut impl Rng,
        par: Par,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<EnsembleTrial> {
        let Members { count: members, infinite } = members;
        assert!(members >= 1 && (members >= 2 || !infinite), "an ensemble trial needs members");
        if self.is_nonlinear() {
            if members > 1 {
                return Err(Error::Numerical(crate::spec::NONLINEAR_ENSEMBLE.into()));
            }
            let single = self.trial(samples, ridge, rng, par)?;
            return Ok(EnsembleTrial { single, error: single.error, bias: single.bias });
        }
        let data = self.draw_data(samples, rng, par);
        let mut single = None;
        // Sums over members of β̂ − β* (noisy and noiseless labels) and of their Σ0-norms.
        let mut sum = [DVector::zeros(self.n0), DVector::zeros(self.n0)];
        let mut norms = [0.0, 0.0];
        for member in 0..members {
            // A large ensemble is one long trial: it stops between members when asked to.
            if member > 0 && cancelled() {
                return Err(Error::Interrupted {
                    done: member as u64,
                    total: members as u64,
                    unit: "ensemble member",
                });
            }
            let (fit, diffs) = self.fit_member(&data, ridge, rng, par)?;
            single.get_or_insert(fit);
            for (k, diff) in diffs.iter().enumerate() {
                sum[k] += diff;
            }
            norms[0] += fit.error;
            norms[1] += fit.bias;
        }
        let kf = members as f64;
        let [error, bias] = [0, 1].map(|k| {
            let total = self.sigma_norm(&sum[k]);
            if infinite {
                (total - norms[k]) / (kf * (kf - 1.0))
            } else {
                total / (kf * kf)
            }
        });
        Ok(EnsembleTrial { single: single.expect("at least one member"), error, bias })
    }

    /// One training set as validate's trial at (seed, p, trial) draws it (β*, then X, then
    /// the label noise, from the same stream): the raw inputs X (P × n0, x ~ N(0, Σ0) — no
    /// Γ applied), the labels and β*. On a dataset's real inputs: rows drawn with
    /// replacement, its labels and its fixed β*, in the model's units.
    pub fn training_set(&self, p: usize, rng: &mut impl Rng, par: Par) -> TrainingSet {
        if let Some(real) = &self.real {
            let rows: Vec<usize> = (0..p).map(|_| rng.random_range(0..real.x.nrows())).collect();
            let x = real.x.select_rows(rows.iter());
            let y = rows.iter().map(|&i| real.y[i]).collect();
            return TrainingSet { x, y, target: real.beta.as_slice().to_vec() };
        }
        let beta = self.draw_target(rng);
        let white = normal::matrix(rng, p, self.n0, par);
        let y_clean = &white * self.sigma_half.left_vec(&beta);
        let noise_sd = self.noise.sqrt();
        let y = (0..p).map(|i| y_clean[i] + noise_sd * rng.sample::<f64, _>(StandardNormal)).collect();
        let x = self.sigma_half.right(white, 1.0, par);
        TrainingSet { x, y, target: beta.as_slice().to_vec() }
    }

    /// Σ0 for E_g = eᵀΣ0e: its diagonal, or its matrix.
    pub fn metric(&self) -> linalg::Metric<'_> {
        match &self.sigma {
            SigmaNorm::Diagonal(d) => linalg::Metric::Diagonal(d),
            SigmaNorm::Dense(m) => linalg::Metric::Dense(m),
        }
    }

    /// Γ, the covariance of the first layer's initial rows (`None`: the identity).
    pub fn first_layer_covariance(&self, identity: bool) -> Option<DMatrix<f64>> {
        if identity {
            return None;
        }
        let half = solvers::dense(&self.gamma_half, self.n0);
        Some(&half * &half)
    }

    /// The data of a trial: β* = Σ_j √b_j z_j u_j, X = W Σ0^{1/2} (W white), y = Xβ* + ξ,
    /// and the first-layer inputs Γ^{1/2}x row-wise, shared by every member of an ensemble.
    /// β* = Σ_j √b_j z_j u_j (THEORY §1).
    fn draw_target(&self, rng: &mut impl Rng) -> DVector<f64> {
        let z = DVector::from_fn(self.n0, |j, _| self.sqrt_b[j] * rng.sample::<f64, _>(StandardNormal));
        match &self.basis {
            None => z,
            Some(u) => u * z,
        }
    }

    fn draw_data(&self, p: usize, rng: &mut impl Rng, par: Par) -> Data {
        if let Some(real) = &self.real {
            let rows: Vec<usize> = (0..p).map(|_| rng.random_range(0..real.x.nrows())).collect();
            let x = real.x.select_rows(rows.iter());
            let y = DVector::from_iterator(p, rows.iter().map(|&i| real.y[i]));
            let y_clean = &x * &real.beta;
            let rhs = DMatrix::from_columns(&[y.clone(), y_clean]);
            let inputs = self.gamma_half.right(x, 1.0, par);
            return Data { beta: real.beta.clone(), y, rhs, inputs };
        }
        let beta = self.draw_target(rng);
        let white = normal::matrix(rng, p, self.n0, par);
        let y_clean = &white * self.sigma_half.left_vec(&beta);
        let noise_sd = self.noise.sqrt();
        let y = DVector::from_fn(p, |i, _| y_clean[i] + noise_sd * rng.sample::<f64, _>(StandardNormal));
        // Two right-hand sides: noisy labels and noiseless ones (for the bias), one factorisation.
        let rhs = DMatrix::from_columns(&[y.clone(), y_clean]);
        let inputs = self.input_map.right(white, 1.0, par);
        Data { beta, y, rhs, inputs }
    }

    /// Draws one set of weights G_ℓ, computes the features of `data`, fits the readout on
    /// both label columns, and returns the fit's errors with `β̂ − β*` of both fits.
    fn fit_member(
        &self,
        data: &Data,
        ridge: f64,
        rng: &mut impl Rng,
        par: Par,
    ) -> Result<(Trial, [DVector<f64>; 2])> {
        let p = data.y.len();
        // Features layer by layer; the G_ℓ are kept to map v̂ back to β̂ = F v̂.
        let mut phi: Option<DMatrix<f64>> = None; // None: the shared inputs
        let mut gs = Vec::with_capacity(self.widths.len());
        // Φ at the bottleneck stage, kept only for the factored ridgeless solve (p > r).
        let factored = ridge == 0.0 && p > self.rank && self.full_rank;
        let bottleneck = self.bottleneck_stage();
        let mut at_bottleneck = None;
        let mut prev = self.n0;
        for (l, &n) in self.widths.iter().enumerate() {
            let g = normal::matrix(rng, prev, n, par);
            let cur = phi.as_ref().unwrap_or(&data.inputs);
            if factored && bottleneck == l {
                at_bottleneck = Some(phi.clone());
            }
            let prod = gemm(cur, Op::N, &g, Op::N, par);
            phi = Some(self.layer_half[l].right(prod, 1.0 / (n as f64).sqrt(), par));
            gs.push(g);
            prev = n;
        }
        let phi = phi.as_ref().unwrap_or(&data.inputs);
        let v = if ridge > 0.0 {
            ridge_solve(phi, &data.rhs, ridge, par)?
        } else if factored {
            // The bottleneck stage's Φ (the shared inputs at stage 0; the last stage is Φ itself).
            let a = match &at_bottleneck {
                Some(stage) => stage.as_ref().unwrap_or(&data.inputs),
                None => phi,
            };
            self.min_norm_factored(a, bottleneck, &gs, &data.rhs, par)?
        } else {
            min_norm_generic(phi, &data.rhs, self.rank.min(p), par, self.full_rank && p < self.rank)?
        };
        // Training error (noisy labels) and E_g of both fits.
        let v_noisy = v.column(0).into_owned();
        let resid = &data.y - phi * &v_noisy;
        let train_error = resid.norm_squared() / p as f64;
        let diffs = [v_noisy, v.column(1).into_owned()].map(|v| self.beta_hat(&v, &gs) - &data.beta);
        let [error, bias] = [0, 1].map(|k| self.sigma_norm(&diffs[k]));
        Ok((Trial { error, bias, train_error }, diffs))
    }

    /// `√(n0/n_L)·a_L` of the rows of `inputs` (Γ^{1/2}x row-wise), layer by layer.
    fn features(
        &self,
        inputs: &DMatrix<f64>,
        weights: &[DMatrix<f64>],
        rng: &mut impl Rng,
        par: Par,
    ) -> DMatrix<f64> {
        let mut a = gemm(inputs, Op::N, &weights[0], Op::N, par);
        self.activations[0].apply_all(&mut a, rng, par);
        for (w, act) in weights.iter().zip(&self.activations).skip(1) {
            a = gemm(&a, Op::N, w, Op::N, par);
            act.apply_all(&mut a, rng, par);
        }
        a *= (self.n0 as f64 / self.feature_dim() as f64).sqrt();
        a
    }

    /// `β̂ = Γ^{1/2} G_1 S_1^{1/2}/√n1 ⋯ v̂`.
    fn beta_hat(&self, v: &DVector<f64>, gs: &[DMatrix<f64>]) -> DVector<f64> {
        let mut w = v.clone();
        for l in (0..self.widths.len()).rev() {
            let n = self.widths[l] as f64;
            w = &gs[l] * self.layer_half[l].left_vec(&w) / n.sqrt();
        }
        self.gamma_half.left_vec(&w)
    }

    /// `eᵀ Σ0 e`.
    fn sigma_norm(&self, e: &DVector<f64>) -> f64 {
        match &self.sigma {
            SigmaNorm::Diagonal(s) => e.iter().zip(s).map(|(d, s)| d * d * s).sum(),
            SigmaNorm::Dense(m) => e.dot(&(m * e)),
        }
    }

    /// Index of the narrowest stage (0 = the n0 inputs, ℓ = layer ℓ's output), first if tied.
    fn bottleneck_stage(&self) -> usize {
        let mut best = (self.n0, 0);
        for (l, &n) in self.widths.iter().enumerate() {
            if n < best.0 {
                best = (n, l + 1);
            }
        }
        best.1
    }

    /// Minimum-norm least squares for p > r with full-rank covariances, through the rank
    /// factorisation Φ = A M at the bottleneck: A = Φ at stage k (p × n_k, full column
    /// rank), M = the later layers (n_k × n_L, full row rank), Φ⁺ = M⁺ A⁺.
    fn min_norm_factored(
        &self,
        a: &DMatrix<f64>,
        k: usize,
        gs: &[DMatrix<f64>],
        y: &DMatrix<f64>,
        par: Par,
    ) -> Result<DMatrix<f64>> {
        let ata = linalg::gram_lower(a, Op::T, 1.0, par);
        let aty = gemm(a, Op::T, y, Op::N, par);
        let z = linalg::spd_solve(&ata, &aty, par)
            .ok_or_else(|| Error::Numerical("ridgeless solve: AᵀA is not positive definite".into()))?;
        if k == self.widths.len() {
            return Ok(z);
        }
        // M = Π_{ℓ > k} G_ℓ S_ℓ^{1/2}/√n_ℓ, built as a (n_k × n_L) matrix.
        let mut m = DMatrix::<f64>::identity(a.ncols(), a.ncols());
        for ((g, half), &n) in gs.iter().zip(&self.layer_half).zip(&self.widths).skip(k) {
            let prod = gemm(&m, Op::N, g, Op::N, par);
            m = half.right(prod, 1.0 / (n as f64).sqrt(), par);
        }
        let mmt = linalg::gram_lower(&m, Op::N, 1.0, par);
        let u = linalg::spd_solve(&mmt, &z, par)
            .ok_or_else(|| Error::Numerical("ridgeless solve: MMᵀ is not positive definite".into()))?;
        Ok(gemm(&m, Op::T, &u, Op::N, par))
    }
}

#[cfg(test)]
mod tests {
    use super::solvers::spectral_solve;
    use super::*;

    /// The simulator of a spec, built for simulation.
    fn simulator(spec: &crate::spec::ModelSpec) -> Simulator {
        let model = Model::for_simulation(spec, &crate::support::progress::Silent).unwrap();
        Simulator::new(&model).unwrap()
    }

    fn random(r: usize, c: usize, seed: u64) -> DMatrix<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        DMatrix::from_fn(r, c, |_, _| rng.sample(StandardNormal))
    }

    /// Ridge in primal and dual form against a direct dense solve.
    #[test]
    fn ridge_matches_direct_solve() {
        for (p, n) in [(12, 5), (5, 12)] {
            let phi = random(p, n, 1);
            let y = random(p, 1, 2);
            let lam = 0.3;
            let v = ridge_solve(&phi, &y, lam, Par::Seq).unwrap();
            let a = phi.transpose() * &phi / p as f64 + DMatrix::identity(n, n) * lam;
            let direct = a.lu().solve(&(phi.transpose() * &y / p as f64)).unwrap();
            assert!((v - direct).norm() < 1e-12);
        }
    }

    /// Rank-deficient Φ (an inner bottleneck) in both forms: the spectral solve equals the
    /// direct ridge solution at a moderate λ, and a λ below the Gram matrix's rounding
    /// (where Cholesky fails) gives the minimum-norm solution, not an error.
    #[test]
    fn ridge_on_rank_deficient_features() {
        for (p, n) in [(12, 8), (8, 12)] {
            let phi = random(p, 3, 7) * random(3, n, 8);
            let y = random(p, 1, 9);
            let lam = 0.05;
            let v = spectral_solve(&phi, &y, usize::MAX, lam, Par::Seq).unwrap();
            let a = phi.transpose() * &phi / p as f64 + DMatrix::identity(n, n) * lam;
            let direct = a.lu().solve(&(phi.transpose() * &y / p as f64)).unwrap();
            assert!((v - &direct).norm() < 1e-10 * direct.norm(), "{p} × {n}");
            let tiny = ridge_solve(&phi, &y, 1e-16, Par::Seq).unwrap();
            let pinv = phi.clone().pseudo_inverse(1e-10).unwrap() * &y;
            assert!((tiny - &pinv).norm() < 1e-8 * pinv.norm(), "{p} × {n}");
        }
    }

    /// Minimum norm against the SVD pseudo-inverse, for full-rank and rank-deficient Φ.
    #[test]
    fn min_norm_matches_pseudo_inverse() {
        let y = random(9, 1, 3);
        // Rank 3 features in 9 × 7 (an inner bottleneck of width 3).
        let phi = random(9, 3, 4) * random(3, 7, 5);
        let pinv = phi.clone().pseudo_inverse(1e-10).unwrap();
        let v = min_norm_generic(&phi, &y, 3, Par::Seq, false).unwrap();
        assert!((v - &pinv * &y).norm() < 1e-9);
        // Full row rank (p < n): dual Cholesky path.
        let phi = random(4, 7, 6);
        let y4 = y.rows(0, 4).into_owned();
        let v = min_norm_generic(&phi, &y4, 4, Par::Seq, true).unwrap();
        let pinv = phi.clone().pseudo_inverse(1e-12).unwrap();
        assert!((v - pinv * y4).norm() < 1e-10);
    }

    #[test]
    fn streams_differ_and_repeat() {
        let a: f64 = trial_rng(7, 100, 0).sample(StandardNormal);
        let b: f64 = trial_rng(7, 100, 1).sample(StandardNormal);
        let c: f64 = trial_rng(7, 100, 0).sample(StandardNormal);
        assert_ne!(a, b);
        assert_eq!(a, c);
    }

    /// The closed-form test error of a one-layer network equals the test-set estimate on the
    /// same fit (same data and weights): within 5 standard errors of a 200 000-input test
    /// set (its noise is ≈ E_g √(2/T) per trial), for ReLU, erf and fixed coefficients, with
    /// structured Σ0, Γ and S, ridge and ridgeless.
    #[test]
    fn exact_test_error_equals_the_test_set_estimate() {
        use crate::spec::{
            Activation, CovarianceKind, CovarianceSpec, LayerSpec, ModelParts, ModelSpec, Target,
        };
        let pl = |e| CovarianceSpec { kind: CovarianceKind::PowerLaw { exponent: e }, normalize: true };
        let acts =
            [Activation::Relu, Activation::Erf, Activation::Coefficients { mu0: 0.3, mu1: 0.8, mustar: 0.5 }];
        for (case, act) in acts.into_iter().enumerate() {
            for (p, ridge) in [(50, 0.05), (90, 0.0)] {
                let layer = LayerSpec { width: 70, covariance: pl(0.4), activation: act };
                let parts = ModelParts {
                    dim: 40,
                    noise: 0.2,
                    data: pl(1.0),
                    target: Target::PowerLaw { exponent: 0.5 },
                    input: pl(0.3),
                    layers: vec![layer],
                };
                let spec = ModelSpec::new("test", parts).unwrap();
                assert!(spec.has_exact_test_error());
                let exact = simulator(&spec);
                let mut sampled = exact.clone().with_test_samples(200_000);
                sampled.exact_error = false;
                let seed = 10 + case as u64;
                let a = exact.trial(p, ridge, &mut trial_rng(seed, p, 0), Par::Seq).unwrap();
                let b = sampled.trial(p, ridge, &mut trial_rng(seed, p, 0), Par::Seq).unwrap();
                assert_eq!(a.train_error, b.train_error, "the same fit");
                for (what, x, y) in [("E_g", a.error, b.error), ("bias", a.bias, b.bias)] {
                    let sd = x * (2.0 / 200_000f64).sqrt();
                    assert!(
                        (x - y).abs() < 5.0 * sd,
                        "{act:?} p = {p} λ = {ridge}: {what} exact {x} vs test set {y}"
                    );
                }
            }
        }
    }

    /// The factored ridgeless path (p > r, inner bottleneck) equals the eigen pseudo-inverse
    /// on the same draw.
    #[test]
    fn factored_min_norm_equals_pseudo_inverse_path() {
        use crate::spec::{CovarianceKind, CovarianceSpec, Target};
        use crate::spec::{LayerSpec, ModelParts, ModelSpec};
        let pl = |e| CovarianceSpec { kind: CovarianceKind::PowerLaw { exponent: e }, normalize: true };
        for widths in [vec![9, 14], vec![20, 8], vec![25]] {
            let layers = widths.iter().map(|&w| LayerSpec::linear(w, pl(0.7))).collect();
            let target = Target::PowerLaw { exponent: 0.5 };
            let parts = ModelParts { dim: 12, noise: 0.3, data: pl(1.0), target, input: pl(0.4), layers };
            let sim = simulator(&ModelSpec::new("test", parts).unwrap());
            let mut generic = sim.clone();
            generic.full_rank = false;
            let p = 30;
            let a = sim.trial(p, 0.0, &mut trial_rng(3, p, 0), Par::Seq).unwrap();
            let b = generic.trial(p, 0.0, &mut trial_rng(3, p, 0), Par::Seq).unwrap();
            assert!((a.error - b.error).abs() < 1e-9 * b.error, "{widths:?}: {a:?} vs {b:?}");
            assert!((a.train_error - b.train_error).abs() < 1e-9 * b.train_error.max(1e-12));
        }
    }
}
