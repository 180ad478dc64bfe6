//! Real deep linear networks with every layer trained (FEATURES §1, §3.5): width N, L hidden
//! layers, μP (fan-in 1/√D, 1/√N, readout 1/(γ0 N), rate ηγ0²N on every weight with
//! η = εD/(L + 1)), full-batch gradient descent with simultaneous updates, in float64.
//! The network is linear, so it is its map β = M^Lᵀw/(γ0 N) with M¹ = W⁰/√D and
//! M^{ℓ+1} = W^ℓM^ℓ/√N; the sharpness s(k) is that of the finite-N NTK.

use crate::spec::{Error, Result};
use crate::support::linalg::{self, gemm, Op};
use faer::Par;
use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A network and its training.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Network {
    pub layers: usize,
    pub width: usize,
    pub richness: f64,
    pub step: f64,
    /// β(0) … β(rows − 1).
    pub rows: usize,
    /// Train f − f₀ (record β − β₀) rather than f.
    pub centered: bool,
}

/// A trained network's β(k) (D × steps) and sharpness s(k); the guard's step if it ran away.
#[derive(Clone, Debug)]
pub struct NetworkRun {
    pub beta: DMatrix<f64>,
    pub sharpness: Vec<f64>,
    pub diverged: Option<usize>,
}

/// The RNG of network `network` of width `width` on training set `dataset` at `samples`:
/// its own keyed stream, apart from the training set's (FEATURES §10: W⁰, W¹ …, w in order).
pub fn network_rng(seed: u64, samples: usize, dataset: usize, width: usize, network: usize) -> ChaCha8Rng {
    use rand::SeedableRng;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in [seed, 0x6e65_7477_6f72_6b73, samples as u64, dataset as u64, width as u64, network as u64] {
        for b in v.to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    ChaCha8Rng::seed_from_u64(h)
}

/// Bytes a network holds: its weights and maps (N × D and N × N per layer, twice).
pub fn network_bytes(dim: usize, net: &Network) -> f64 {
    let (n, d, l) = (net.width as f64, dim as f64, net.layers as f64);
    8.0 * (2.0 * n * d
        + 2.0 * (l - 1.0).max(0.0) * n * n
        + 2.0 * l * n * d
        + 3.0 * d * d
        + d * net.rows as f64)
}

/// Trains one network from its initialisation on (X, y): `gamma_half` is Γ^{1/2} of the
/// first layer's rows (`None`: Γ = I). `cancelled` is asked every step.
pub fn train(
    x: &DMatrix<f64>,
    y: &[f64],
    gamma_half: Option<&DMatrix<f64>>,
    net: &Network,
    rng: &mut impl Rng,
    cancelled: &dyn Fn() -> bool,
) -> Result<NetworkRun> {
    let (p, d) = x.shape();
    let (n, nl) = (net.width, net.layers);
    let (nf, df) = (n as f64, d as f64);
    let eta = net.step * df / (nl as f64 + 1.0);
    let c = eta * net.richness;
    let par = Par::Seq;
    let mut w0 = super::normal::matrix(rng, n, d, par);
    if let Some(g) = gamma_half {
        w0 = gemm(&w0, Op::N, g, Op::N, par);
    }
    let mut hidden: Vec<DMatrix<f64>> = (1..nl).map(|_| super::normal::matrix(rng, n, n, par)).collect();
    let mut w = DVector::from_iterator(n, (0..n).map(|_| rng.sample::<f64, _>(rand_distr::StandardNormal)));
    let sigma_hat = x.transpose() * x / p as f64;
    let b = x.transpose() * DVector::from_column_slice(y) / p as f64;
    let root = linalg::spectral_function(&linalg::sym_eigen(&sigma_hat, par)?, |v| v.max(0.0).sqrt(), par);
    // The maps M^ℓ (N × D) of the current weights.
    let maps = |w0: &DMatrix<f64>, hidden: &[DMatrix<f64>]| -> Vec<DMatrix<f64>> {
        let mut out = vec![w0 / df.sqrt()];
        for wl in hidden {
            let next = gemm(wl, Op::N, out.last().expect("layer 1"), Op::N, par) / nf.sqrt();
            out.push(next);
        }
        out
    };
    let beta_of = |ms: &[DMatrix<f64>], w: &DVector<f64>| -> DVector<f64> {
        ms[nl - 1].transpose() * w / (net.richness * nf)
    };
    let beta0 = beta_of(&maps(&w0, &hidden), &w);
    let mut betas = DMatrix::zeros(d, net.rows);
    let mut sharpness = Vec::with_capacity(net.rows);
    let mut diverged = None;
    let bound = 1e6 * (1.0 + b.amax());
    for k in 0..net.rows {
        if cancelled() {
            return Err(Error::Interrupted { done: k as u64, total: net.rows as u64, unit: "step" });
        }
        let ms = maps(&w0, &hidden);
        let full = beta_of(&ms, &w);
        let beta = if net.centered { &full - &beta0 } else { full };
        if beta.iter().any(|v| !v.is_finite() || v.abs() > bound) {
            diverged = Some(k);
            break;
        }
        betas.set_column(k, &beta);
        // Backward fields g^L = w, g^ℓ = W^ℓᵀ g^{ℓ+1}/√N.
        let mut gs = vec![w.clone(); nl];
        for l in (0..nl - 1).rev() {
            gs[l] = hidden[l].transpose() * &gs[l + 1] / nf.sqrt();
        }
        // Sharpness of the finite-N NTK: η[(|g¹|²/N) I/D + Σ_{ℓ<L} (|g^{ℓ+1}|²/N) MᵀM/N + M^LᵀM^L/N].
        let mut kernel = DMatrix::identity(d, d) * (gs[0].norm_squared() / nf / df);
        for l in 0..nl {
            let weight = if l + 1 == nl { 1.0 } else { gs[l + 1].norm_squared() / nf };
            kernel += gemm(&ms[l], Op::T, &ms[l], Op::N, par) * (weight / nf);
        }
        let m = &root * kernel * &root;
        let sym = (&m + m.transpose()) * 0.5;
        sharpness.push(eta * linalg::sym_eigenvalues(&sym, par)?.first().copied().unwrap_or(0.0));
        // One step, every gradient from the same state.
        let r = &b - &sigma_hat * &beta;
        let mr: Vec<DVector<f64>> = ms.iter().map(|m| m * &r).collect();
        w0 += &gs[0] * r.transpose() * (c / df.sqrt());
        for l in 0..nl - 1 {
            hidden[l] += &gs[l + 1] * mr[l].transpose() * (c / nf.sqrt());
        }
        w += &mr[nl - 1] * c;
    }
    let done = diverged.unwrap_or(net.rows);
    Ok(NetworkRun { beta: betas.columns(0, done).into_owned(), sharpness, diverged })
}
