//! Trials of a network with a nonlinear layer (NONLINEAR.md): the true features, and E_g
//! on a fresh test set (or in closed form over Gaussian inputs).

use super::solvers::{min_norm_generic, ridge_solve};
use super::{normal, Data, Kernel, Simulator, Trial};
use crate::spec::{Activation, Result};
use crate::support::linalg::{gemm, Op};
use crate::support::resources::TEST_CHUNK;
use faer::Par;
use nalgebra::{DMatrix, DVector};
use rand::Rng;

impl Simulator {
    /// A trial of a network with a nonlinear layer (NONLINEAR.md §1, §7): weights with the
    /// fan-in normalisation `W_ℓ = G_ℓ S_ℓ^{1/2}/√n_{ℓ−1}` (Γ^{1/2} folded into the inputs),
    /// the true features `φ = √(n0/n_L)·a_L` (not centred), the readout fitted on the noisy
    /// and the noiseless labels, and E_g of both fits as the mean of `(φ·v̂ − β*·x)²` over a
    /// fresh test set (unbiased given the fit).
    pub(super) fn nonlinear_trial(
        &self,
        data: &Data,
        ridge: f64,
        rng: &mut impl Rng,
        par: Par,
    ) -> Result<Trial> {
        let p = data.y.len();
        let mut fan_in = self.n0;
        let weights: Vec<DMatrix<f64>> = self
            .widths
            .iter()
            .enumerate()
            .map(|(l, &n)| {
                let g = normal::matrix(rng, fan_in, n, par);
                let w = self.layer_half[l].right(g, 1.0 / (fan_in as f64).sqrt(), par);
                fan_in = n;
                w
            })
            .collect();
        let phi = self.features(&data.inputs, &weights, rng, par);
        let v = if ridge > 0.0 {
            ridge_solve(&phi, &data.rhs, ridge, par)?
        } else {
            min_norm_generic(&phi, &data.rhs, self.rank.min(p), par, p < self.rank)?
        };
        let resid = &data.y - &phi * v.column(0);
        let train_error = resid.norm_squared() / p as f64;
        if let Some(real) = &self.real {
            // Over every row of the dataset: the noisy fit against the labels (minus η²),
            // the noiseless one against the linear target xᵀβ*.
            let inputs = self.gamma_half.right(real.x.clone(), 1.0, par);
            let features = self.features(&inputs, &weights, rng, par);
            let predicted = gemm(&features, Op::N, &v, Op::N, par);
            let target = &real.x * &real.beta;
            let n = real.x.nrows() as f64;
            let error =
                predicted.column(0).iter().zip(real.y.iter()).map(|(f, y)| (f - y).powi(2)).sum::<f64>() / n
                    - real.noise;
            let bias =
                predicted.column(1).iter().zip(target.iter()).map(|(f, y)| (f - y).powi(2)).sum::<f64>() / n;
            return Ok(Trial { error, bias, train_error });
        }
        // The target β*·x = w Σ0^{1/2}β* of a white input w.
        let target_dir = self.sigma_half.left_vec(&data.beta);
        if self.exact_error {
            let [error, bias] = self.exact_test_error(&weights[0], &v, &target_dir, par);
            return Ok(Trial { error, bias, train_error });
        }
        // The test set, in chunks: inputs Γ^{1/2}x.
        let mut sums = [0.0, 0.0];
        let mut left = self.test_samples;
        while left > 0 {
            let rows = left.min(TEST_CHUNK);
            left -= rows;
            let white = normal::matrix(rng, rows, self.n0, par);
            let target = &white * &target_dir;
            let features = self.features(&self.input_map.right(white, 1.0, par), &weights, rng, par);
            let predicted = gemm(&features, Op::N, &v, Op::N, par);
            for (k, sum) in sums.iter_mut().enumerate() {
                *sum +=
                    predicted.column(k).iter().zip(target.iter()).map(|(f, y)| (f - y).powi(2)).sum::<f64>();
            }
        }
        let [error, bias] = sums.map(|s| s / self.test_samples as f64);
        Ok(Trial { error, bias, train_error })
    }

    /// E_g of the readouts `v` (columns: noisy and noiseless fits) of a one-layer network,
    /// exactly over the input distribution: with a white input z, h = Aᵀz (A = M W, M the
    /// input map) has covariance C = AᵀA and the target y = tᵀz covariance Aᵀt with h, so
    ///
    /// ```text
    /// E_g(v) = s² vᵀKv − 2 s vᵀc + tᵀt,   s = √(n0/n1),   K_ij = E σ(h_i)σ(h_j),   c_i = E σ'(h_i) (Aᵀt)_i
    /// ```
    ///
    /// (Stein's lemma for c). K is the arc-cosine kernel for ReLU, the arcsine kernel for erf,
    /// μ0² + μ1² C + μ*² I for fixed coefficients (the surrogate's noise is fresh per input).
    pub(super) fn exact_test_error(
        &self,
        w: &DMatrix<f64>,
        v: &DMatrix<f64>,
        t: &DVector<f64>,
        par: Par,
    ) -> [f64; 2] {
        let a = self.input_map.left(w, par);
        let c = gemm(&a, Op::T, &a, Op::N, par);
        let at = a.tr_mul(t);
        let n1 = c.nrows();
        let sd: Vec<f64> = (0..n1).map(|i| c[(i, i)].max(0.0).sqrt()).collect();
        let (kernel, slope): (Kernel<'_>, Vec<f64>) = match self.activations[0] {
            Activation::Relu => (
                Box::new(|i, j| {
                    let s = sd[i] * sd[j];
                    if s == 0.0 {
                        return 0.0;
                    }
                    let rho = (c[(i, j)] / s).clamp(-1.0, 1.0);
                    let theta = rho.acos();
                    s * (theta.sin() + (std::f64::consts::PI - theta) * rho) / (2.0 * std::f64::consts::PI)
                }),
                vec![0.5; n1],
            ),
            Activation::Erf => {
                let q: Vec<f64> = (0..n1).map(|i| (1.0 + 2.0 * c[(i, i)]).sqrt()).collect();
                let slope = q.iter().map(|qi| 2.0 / (std::f64::consts::PI.sqrt() * qi)).collect();
                let qk = q.clone();
                (
                    Box::new(move |i, j| {
                        (2.0 / std::f64::consts::PI)
                            * (2.0 * c[(i, j)] / (qk[i] * qk[j])).clamp(-1.0, 1.0).asin()
                    }),
                    slope,
                )
            }
            Activation::Coefficients { mu0, mu1, mustar } => (
                Box::new(move |i, j| {
                    mu0 * mu0 + mu1 * mu1 * c[(i, j)] + if i == j { mustar * mustar } else { 0.0 }
                }),
                vec![mu1; n1],
            ),
            _ => unreachable!("exact_error is set for ReLU, erf and coefficients only"),
        };
        let s = (self.n0 as f64 / n1 as f64).sqrt();
        let signal = t.norm_squared();
        [0, 1].map(|k| {
            let vk = v.column(k);
            let mut quad = 0.0;
            for j in 0..n1 {
                let mut row = 0.0;
                for i in 0..n1 {
                    row += kernel(i, j) * vk[i];
                }
                quad += vk[j] * row;
            }
            let lin: f64 = (0..n1).map(|i| vk[i] * slope[i] * at[i]).sum();
            s * s * quad - 2.0 * s * lin + signal
        })
    }
}

/// Activations as the simulation applies them.
impl Activation {
    /// σ applied to every entry of `a` (nothing for the identity). Fixed coefficients are
    /// the Gaussian-equivalent surrogate `μ0 + μ1 h + μ* z`, z ~ N(0, 1) fresh per entry
    /// (drawn from `rng`): the model the theory solves exactly.
    pub(crate) fn apply_all(&self, a: &mut nalgebra::DMatrix<f64>, rng: &mut impl rand::Rng, par: Par) {
        match *self {
            Activation::Linear => {}
            Activation::Coefficients { mu0, mu1, mustar } => {
                let z = normal::matrix(rng, a.nrows(), a.ncols(), par);
                a.zip_apply(&z, |h, z| *h = mu0 + mu1 * *h + mustar * z)
            }
            act => a.apply(|h| *h = act.apply(*h)),
        }
    }
}
