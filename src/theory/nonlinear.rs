//! The nonlinear theory's equations (NONLINEAR.md §5): one unknown, the data-level ridge
//! κ_0, and a bottom-up chain through the layers' unit classes ([`super::measure`]).
//!
//! At κ_0 the chain gives d_0 = Σ m/(m+κ_0), then per layer ℓ (input width N = n_{ℓ−1})
//! `δ_ℓ = κ_{ℓ−1} d_{ℓ−1}/N`, κ_ℓ ≥ 0 from `Σ_a w t/(k + δt + κ_ℓ) = N/κ_{ℓ−1}` (C_ℓ) and
//! `d_ℓ = Σ_a w (k+δt)/(k+δt+κ_ℓ)`, with their tangents in κ_0. The outer equation is
//! `λ/κ_L + d_L/p = 1`. Every root goes through argmin: (C_ℓ) and the outer equation by
//! bracketed Newton steps with the chain's exact derivatives (`theory::roots`), warm-started
//! along a sweep; the lower end κ_0* of the feasible κ_0 by Brent's method. The chain's λ
//! is the readout's λ·n_L/n0 (the readout sees √(n0/n_L)·a_L), which [`Chain::point`]
//! applies.

use super::measure::LayerMeasure;
use super::roots::{newton_root, Equation};
use crate::model::spectra::DataSpectrum;
use crate::support::brent::{self, Fun, RootError};
use std::cell::RefCell;

/// One hidden layer of the chain: its input width N = n_{ℓ−1}, its width and its classes.
#[derive(Clone, Debug)]
pub(super) struct ChainLayer {
    pub fan_in: usize,
    pub width: usize,
    pub measure: LayerMeasure,
    /// Σ_a w_a t_a.
    sum_wt: f64,
}

impl ChainLayer {
    pub(super) fn new(fan_in: usize, width: usize, measure: LayerMeasure) -> Self {
        let sum_wt = measure.t.iter().zip(&measure.w).map(|(t, w)| w * t).sum();
        ChainLayer { fan_in, width, measure, sum_wt }
    }
}

/// `Σ_a f(t_a, k_a, w_a)` over a layer's classes, componentwise, with four independent
/// accumulators so that the loop vectorises (the chain's cost is these sums).
#[inline(always)]
fn class_sums<const N: usize>(ms: &LayerMeasure, f: impl Fn(f64, f64, f64) -> [f64; N]) -> [f64; N] {
    let mut acc = [[0.0; N]; 4];
    let (t, k, w) = (ms.t.chunks_exact(4), ms.k.chunks_exact(4), ms.w.chunks_exact(4));
    let rest = (t.remainder(), k.remainder(), w.remainder());
    for ((t, k), w) in t.zip(k).zip(w) {
        for lane in 0..4 {
            let v = f(t[lane], k[lane], w[lane]);
            for (a, x) in acc[lane].iter_mut().zip(v) {
                *a += x;
            }
        }
    }
    for ((t, k), w) in rest.0.iter().zip(rest.1).zip(rest.2) {
        for (a, x) in acc[0].iter_mut().zip(f(*t, *k, *w)) {
            *a += x;
        }
    }
    std::array::from_fn(|j| (acc[0][j] + acc[1][j]) + (acc[2][j] + acc[3][j]))
}

/// A warm start: ln κ_0 and the layers' κ_ℓ of a nearby point.
#[derive(Clone, Debug, Default)]
pub(super) struct ChainWarm {
    ln_kappa0: Option<f64>,
    kappas: Vec<f64>,
}

/// The outer equation in u = ln κ_0, with its derivative from the chain's tangents, in a
/// form Newton's method handles from afar: for λ > 0, `ln(κ_L(1 − d_L/p)) − ln λ` where
/// d_L < p, and `1 − d_L/p − λ/κ_L` (negative) where d_L ≥ p, −∞ at the edge (κ_L = 0) and
/// below; for λ = 0, `d_L/p − 1` (d*/p − 1 > 0 at the edge). Each has the sign of
/// λ = κ_L(1 − d_L/p)'s residual, so the bracket stays valid across the two forms. `hints` carries the layers' κ_ℓ from one evaluation to the next.
struct Outer<'a> {
    chain: &'a Chain,
    lambda: f64,
    p: f64,
    hints: RefCell<Vec<f64>>,
}

impl Outer<'_> {
    /// The sign of the equation at the lower end u = ln κ_0*.
    fn lower_sign(&self) -> f64 {
        if self.lambda == 0.0 {
            1.0
        } else {
            -1.0
        }
    }
}

impl Equation for Outer<'_> {
    fn eval(&self, u: f64) -> (f64, f64) {
        let k0 = u.exp();
        let below = (self.lower_sign() * f64::INFINITY, f64::NAN);
        let Ok(s) = self.chain.run(k0, None, Some(&mut self.hints.borrow_mut())) else {
            return below;
        };
        if self.lambda == 0.0 {
            return (s.d / self.p - 1.0, k0 * s.d_prime / self.p);
        }
        if s.kappa <= 0.0 {
            return below;
        }
        let q = 1.0 - s.d / self.p;
        let qp = -k0 * s.d_prime / self.p;
        if q > 0.0 {
            // ln(κ_L q) − ln λ: nearly linear in u where κ_L grows like κ_0.
            let v = s.kappa * q;
            (v.ln() - self.lambda.ln(), (k0 * s.kappa_prime * q + s.kappa * qp) / v)
        } else {
            // Where d_L ≥ p the logarithm is undefined: q − λ/κ_L (< 0) instead.
            let r = self.lambda / s.kappa;
            (q - r, qp + k0 * r * s.kappa_prime / s.kappa)
        }
    }
}

/// (C_ℓ) as `h(x) = 1/LHS(x) − 1/target` with `LHS(x) = Σ_a w t/(k + δt + x)`: increasing
/// and concave in x = κ_ℓ (1/LHS of a Stieltjes function is a Bernstein function), so
/// Newton's steps approach the root monotonically after at most one overshoot.
struct Resolvent<'a> {
    ms: &'a LayerMeasure,
    delta: f64,
    target: f64,
}

impl Resolvent<'_> {
    /// LHS(x) and LHS′(x), in one pass.
    fn lhs(&self, x: f64) -> (f64, f64) {
        let delta = self.delta;
        let [f, g] = class_sums(self.ms, |t, k, w| {
            let r = 1.0 / (k + delta * t + x);
            let a = w * t * r;
            [a, -a * r]
        });
        (f, g)
    }
}

impl Equation for Resolvent<'_> {
    fn eval(&self, x: f64) -> (f64, f64) {
        let (f, g) = self.lhs(x);
        (1.0 / f - 1.0 / self.target, -g / (f * f))
    }
}

/// The chain's state at one κ_0: the top layer's κ_L, d_L and their tangents.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct ChainState {
    pub kappa0: f64,
    pub kappa: f64,
    pub d: f64,
    pub kappa_prime: f64,
    pub d_prime: f64,
    /// min over layers of L0/(N/κ_{ℓ−1}) − 1 > 0, the relative margin of feasibility
    /// (L0 = the left side of (C_ℓ) at κ_ℓ = 0); over the layers whose root was found
    /// without a hint only (all of them for [`Chain::state`]).
    pub margin: f64,
}

/// Why the chain has no state at a κ_0: a layer's (C_ℓ) has no root ≥ 0 (κ_0 below the
/// admissible range), or a root did not converge.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub(super) enum ChainError {
    /// The layer, and its relative margin L0/(N/κ_{ℓ−1}) − 1 ≤ 0.
    #[error("layer {0}: no κ ≥ 0 solves (C_{0}) at this κ_0 (below the admissible range)")]
    Infeasible(usize, f64),
    #[error("{0}")]
    Root(String),
}

/// Brent's method on `f` over [a, b] (a sign change required), to `tol` in the argument.
fn brent(f: impl Fn(f64) -> f64, a: f64, b: f64, tol: f64, what: &str) -> Result<f64, ChainError> {
    brent::root(Fun(f), a, b, tol, 300).map_err(|e| match e {
        RootError::NoConvergence(_) => ChainError::Root(format!("{what}: no convergence on [{a:e}, {b:e}]")),
        e => ChainError::Root(format!("{what}: {e}")),
    })
}

/// The spectral inputs and layers of the nonlinear theory, with the lower end of the
/// feasible κ_0 and the rank d* of the features, computed once.
#[derive(Clone, Debug)]
pub(super) struct Chain {
    /// Eigenvalues m_i > 0 of M = Γ^{1/2}Σ0Γ^{1/2}, their target weights c_i² and their
    /// multiplicities w_i (1 each for an explicit spectrum; SCALING §2 for a compressed one).
    m: Vec<f64>,
    c2: Vec<f64>,
    w: Vec<f64>,
    /// The number of positive m represented (Σ w up to rounding).
    rank: f64,
    n0: usize,
    noise: f64,
    layers: Vec<ChainLayer>,
    /// κ_0*(1 + 1e-11), or 4e-18 · min m when the chain is feasible down to there.
    edge: f64,
    /// d_L at the edge: the rank of the features (n_L once every unit has μ* > 0).
    d_star: f64,
}

/// Observables of one point of the nonlinear theory.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Observed {
    pub error: f64,
    pub bias: f64,
    pub variance: f64,
    pub train_error: f64,
    pub df: f64,
    pub df2: f64,
    pub kappa: f64,
    pub kappa_data: f64,
    /// The chain's κ_1 … κ_L (κ_L = `kappa`).
    pub kappa_layers: Vec<f64>,
}

impl Chain {
    /// The chain of the data modes (eigenvalues m of M, zeros dropped, with target weights
    /// c²), input dimension n0, label noise η² and hidden layers (input side first).
    pub(super) fn new(
        modes: &DataSpectrum,
        n0: usize,
        noise: f64,
        layers: Vec<ChainLayer>,
    ) -> Result<Self, ChainError> {
        let (mut m, mut c2, mut w) = (Vec::new(), Vec::new(), Vec::new());
        for (i, (&mi, &ci)) in modes.m.iter().zip(&modes.c2).enumerate() {
            if mi > 0.0 {
                m.push(mi);
                c2.push(ci);
                w.push(modes.weights.as_ref().map_or(1.0, |w| w[i]));
            }
        }
        if m.is_empty() {
            return Err(ChainError::Root("the data spectrum has no positive eigenvalue".into()));
        }
        let rank = modes.rank();
        let mut chain = Chain { m, c2, w, rank, n0, noise, layers, edge: 0.0, d_star: 0.0 };
        let k0min = chain.kappa0_min()?;
        chain.edge = if k0min > 0.0 { k0min * (1.0 + 1e-11) } else { 4e-18 * chain.min_m() };
        chain.state(chain.edge)?;
        chain.d_star = chain.feature_rank();
        Ok(chain)
    }

    /// The generic rank of Ω_L = T^{1/2}GᵀΩ_{L−1}GT^{1/2}/N + K, layer by layer: units with
    /// k > 0 add full rank, the others pass at most the rank below. (d_L at the edge tends to
    /// it, but steeply where a layer with k = 0 is the bottleneck, so it is counted instead.)
    fn feature_rank(&self) -> f64 {
        let mut rank = self.rank;
        for layer in &self.layers {
            let ms = &layer.measure;
            let (mut noisy, mut linear) = (0.0, 0.0);
            for ((t, k), w) in ms.t.iter().zip(&ms.k).zip(&ms.w) {
                if *k > 0.0 {
                    noisy += w;
                } else if *t > 0.0 {
                    linear += w;
                }
            }
            rank = (noisy + linear.min(rank)).round();
        }
        rank
    }

    fn min_m(&self) -> f64 {
        self.m.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// d*: the rank of the features, the ridgeless interpolation threshold in p (n_L as
    /// soon as every unit of a layer is nonlinear).
    pub(super) fn threshold(&self) -> f64 {
        self.d_star
    }

    /// The chain at κ_0 > 0.
    pub(super) fn state(&self, kappa0: f64) -> Result<ChainState, ChainError> {
        self.run(kappa0, None, None)
    }

    /// The chain at κ_0, recording every layer's κ_ℓ in `kappas` when given. `hints` holds
    /// each layer's κ_ℓ at a nearby κ_0 (0: none), where its root search starts; updated.
    fn run(
        &self,
        kappa0: f64,
        mut kappas: Option<&mut Vec<f64>>,
        mut hints: Option<&mut [f64]>,
    ) -> Result<ChainState, ChainError> {
        let (mut d, mut dp) = (0.0, 0.0);
        for (&m, &w) in self.m.iter().zip(&self.w) {
            let r = 1.0 / (m + kappa0);
            d += w * (m * r);
            dp -= w * (m * r * r);
        }
        let (mut kappa, mut kp) = (kappa0, 1.0);
        let mut margin = f64::INFINITY;
        for (l, layer) in self.layers.iter().enumerate() {
            let n = layer.fan_in as f64;
            let ms = &layer.measure;
            let delta = kappa * d / n;
            let delta_p = (kp * d + kappa * dp) / n;
            let target = n / kappa;
            let eq = Resolvent { ms, delta, target };
            // LHS ≤ target at Σ w t κ_{ℓ−1}/N (each term is below w t/κ_ℓ).
            let upper = layer.sum_wt * kappa / n;
            let what = || format!("(C_{}) layer {}", l + 1, l + 1);
            // A hint below the root proves feasibility (LHS(0) > LHS(hint) > target) and
            // brackets the root from the left: no pass at κ_ℓ = 0 then.
            let hint = hints.as_deref().map_or(0.0, |h| h[l]);
            let from_hint = if hint > 0.0 && hint < upper && ms.t.len() > 1 {
                let (f, g) = eq.eval(hint);
                (f < 0.0).then(|| (hint, (hint - f / g).clamp(hint, upper)))
            } else {
                None
            };
            let kl = if let Some((lo, start)) = from_hint {
                newton_root(&eq, (lo, upper), -1.0, start, (1e-300, 1e-14), what)
                    .map_err(|e| ChainError::Root(e.to_string()))?
            } else {
                let at_zero = eq.lhs(0.0).0;
                let layer_margin = if at_zero.is_nan() { -1.0 } else { at_zero / target - 1.0 };
                if layer_margin <= 0.0 {
                    return Err(ChainError::Infeasible(l + 1, layer_margin));
                }
                margin = margin.min(layer_margin);
                if ms.t.len() == 1 {
                    (ms.w[0] * ms.t[0] * kappa / n - ms.k[0] - delta * ms.t[0]).max(0.0)
                } else {
                    let start = hint.clamp(0.0, upper);
                    newton_root(&eq, (0.0, upper), -1.0, start, (1e-300, 1e-14), what)
                        .map_err(|e| ChainError::Root(e.to_string()))?
                }
            };
            if let Some(h) = hints.as_deref_mut() {
                h[l] = kl;
            }
            let [a1, a2, b0, b1, dl] = class_sums(ms, |t, k, w| {
                let r = 1.0 / (k + delta * t + kl);
                let (wr, wr2) = (w * r, w * r * r);
                [t * wr2, t * t * wr2, wr, wr2, (k + delta * t) * wr]
            });
            if let Some(out) = kappas.as_deref_mut() {
                out.push(kl);
            }
            let klp = (n * kp / (kappa * kappa) - delta_p * a2) / a1;
            let dlp = -klp * b0 + kl * (klp * b1 + delta_p * a1);
            (kappa, kp, d, dp) = (kl, klp, dl, dlp);
        }
        Ok(ChainState { kappa0, kappa, d, kappa_prime: kp, d_prime: dp, margin })
    }

    /// The readout's feature width n_L (n0 without layers).
    fn top_width(&self) -> usize {
        self.layers.last().map_or(self.n0, |l| l.width)
    }

    /// κ_0*: the lower end of the feasible κ_0 (0 when the chain is feasible down to
    /// 4e-18 · min m).
    pub(super) fn kappa0_min(&self) -> Result<f64, ChainError> {
        let min_m = self.min_m();
        let tiny = 4e-18 * min_m;
        if self.state(tiny).is_ok() {
            return Ok(0.0);
        }
        // The relative margin of feasibility: negative (the first infeasible layer's) below
        // κ_0*, positive (the smallest over layers) above; increasing in κ_0.
        let margin = |u: f64| -> f64 {
            match self.state(u.exp()) {
                Ok(s) => s.margin,
                Err(ChainError::Infeasible(_, m)) => m,
                Err(_) => -1.0,
            }
        };
        let mut hi = min_m.max(1.0).ln();
        while margin(hi) <= 0.0 {
            hi += 3.0;
            if hi > 700.0 {
                return Err(ChainError::Root("κ_0*: the chain is infeasible at every κ_0".into()));
            }
        }
        let u = brent(margin, tiny.ln(), hi, 1e-13, "κ_0*: lower end of the feasible κ_0")?;
        // Brent may end a rounding step below the edge: step up to the feasible side.
        let mut step = 1e-13 * u.abs().max(1.0);
        let mut u = u;
        while margin(u) <= 0.0 {
            u += step;
            step *= 2.0;
        }
        Ok(u.exp())
    }

    /// The observables at a solved state and sample size p (§5).
    /// `lambda` is the chain's ridge: for λ > 0 the outer equation gives 1 − d_L/p = λ/κ_L,
    /// which the training error uses instead of the difference (it cancels when d_L ≈ p).
    fn observe(&self, s: &ChainState, p: f64, lambda: f64, kappa_layers: Vec<f64>) -> Observed {
        let (mut e0, mut r, mut r0p) = (0.0, 0.0, 0.0);
        for ((&m, &c), &w) in self.m.iter().zip(&self.c2).zip(&self.w) {
            let q = 1.0 / (m + s.kappa0);
            e0 += w * (m * c);
            r += w * (c * m * m * q);
            r0p -= w * (c * m * m * q * q);
        }
        let rp = r0p / s.kappa_prime;
        let df2 = s.d + s.kappa * s.d_prime / s.kappa_prime;
        let one_minus = 1.0 - df2 / p;
        let bias = (e0 - r + s.kappa * rp) / one_minus;
        let variance = self.noise * (df2 / p) / one_minus;
        let error = bias + variance;
        let residual = if lambda > 0.0 { lambda / s.kappa } else { 1.0 - s.d / p };
        Observed {
            error,
            bias,
            variance,
            train_error: residual * residual * (error + self.noise),
            df: s.d,
            df2,
            kappa: s.kappa,
            kappa_data: s.kappa0,
            kappa_layers,
        }
    }

    /// κ_1 … κ_L at κ_0 (a state that was solved before, so it exists).
    fn kappas(&self, kappa0: f64) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.layers.len());
        match self.run(kappa0, Some(&mut out), None) {
            Ok(_) => out,
            Err(_) => vec![0.0; self.layers.len()],
        }
    }

    /// The point at sample size p > 0 and the readout's ridge λ ≥ 0 (the chain runs at
    /// λ·n_L/n0). λ = 0 is the minimum-norm limit: below the rank d* of the features d_L = p,
    /// above it κ_L = 0 at κ_0 = κ_0*, and +∞ at p = d* (d* = n_L once any layer is nonlinear).
    #[cfg(test)]
    fn point(&self, p: f64, ridge: f64) -> Result<Observed, ChainError> {
        self.point_warm(p, ridge, &mut ChainWarm::default())
    }

    /// As [`Chain::point`], starting the roots at `warm` (the solution of a nearby point,
    /// updated), which saves most of the iterations on a sweep.
    pub(super) fn point_warm(
        &self,
        p: f64,
        ridge: f64,
        warm: &mut ChainWarm,
    ) -> Result<Observed, ChainError> {
        let lambda = ridge * self.top_width() as f64 / self.n0 as f64;
        let lo = self.edge;
        if lambda == 0.0 {
            let d_star = self.d_star;
            if (p - d_star).abs() <= 1e-9 * p {
                return Ok(self.peak(p, d_star, lo));
            }
            if p > d_star {
                return Ok(self.past_threshold(p, d_star, lo));
            }
        }
        let hints = std::mem::take(&mut warm.kappas);
        let hints = if hints.len() == self.layers.len() { hints } else { vec![0.0; self.layers.len()] };
        let outer = Outer { chain: self, lambda, p, hints: RefCell::new(hints) };
        let u_lo = lo.ln();
        // Cold: one e-fold above the edge (at the edge λ/κ_L has a pole Newton crawls from).
        let start = warm.ln_kappa0.unwrap_or(0.0).max(u_lo + 1.0);
        let what = || "outer equation λ = κ_L(1 − d_L/p)".to_string();
        let u = newton_root(&outer, (u_lo, f64::INFINITY), outer.lower_sign(), start, (1e-14, 0.0), what)
            .map_err(|e| ChainError::Root(e.to_string()))?;
        // The final state starts its inner roots at the last evaluation's κ_ℓ.
        let mut kappas = Vec::with_capacity(self.layers.len());
        let mut hints = outer.hints.into_inner();
        let s = self.run(u.exp(), Some(&mut kappas), Some(&mut hints))?;
        *warm = ChainWarm { ln_kappa0: Some(u), kappas: hints };
        Ok(self.observe(&s, p, lambda, kappas))
    }

    /// E0 = Σ c² m (1 when normalised) and R(κ_0) = Σ c² m²/(m+κ_0).
    fn e0_r(&self, kappa0: f64) -> (f64, f64) {
        let terms = || self.m.iter().zip(&self.c2).zip(&self.w);
        let e0 = terms().map(|((m, c), w)| w * (m * c)).sum();
        let r = terms().map(|((m, c), w)| w * (c * m * m / (m + kappa0))).sum();
        (e0, r)
    }

    /// Ridgeless past the threshold: κ_L = 0 at κ_0*, the κR′ term vanishes (§5).
    fn past_threshold(&self, p: f64, d_star: f64, kappa0: f64) -> Observed {
        let (e0, r) = self.e0_r(kappa0);
        let one_minus = 1.0 - d_star / p;
        let bias = (e0 - r).max(0.0) / one_minus;
        let variance = self.noise * (d_star / p) / one_minus;
        Observed {
            error: bias + variance,
            bias,
            variance,
            train_error: one_minus * one_minus * (bias + variance + self.noise),
            df: d_star,
            df2: d_star,
            kappa: 0.0,
            kappa_data: kappa0,
            kappa_layers: self.kappas(kappa0),
        }
    }

    /// The interpolation peak p = d*: +∞ (the bias part too when the features miss part of
    /// the target, i.e. E0 > R(κ_0*)).
    fn peak(&self, p: f64, d_star: f64, kappa0: f64) -> Observed {
        let (e0, r) = self.e0_r(kappa0);
        let bias = if e0 - r > 1e-12 * e0 { f64::INFINITY } else { 0.0 };
        let variance = if self.noise > 0.0 { f64::INFINITY } else { 0.0 };
        Observed {
            error: bias + variance,
            bias,
            variance,
            train_error: 0.0,
            df: d_star.min(p),
            df2: d_star.min(p),
            kappa: 0.0,
            kappa_data: kappa0,
            kappa_layers: self.kappas(kappa0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Activation;
    use crate::theory::measure::{propagate, Scales};
    use crate::Theory;

    fn chain(m: &[f64], c2: &[f64], noise: f64, layers: &[(Activation, Vec<f64>)]) -> Chain {
        let v0 = m.iter().sum::<f64>() / m.len() as f64;
        let refs: Vec<(Activation, Scales<'_>)> =
            layers.iter().map(|(a, s)| (*a, Scales::explicit(s))).collect();
        let measures = propagate(v0, &refs);
        let mut fan_in = m.len();
        let layers = layers
            .iter()
            .zip(measures)
            .map(|((_, s), measure)| {
                let l = ChainLayer::new(fan_in, s.len(), measure);
                fan_in = s.len();
                l
            })
            .collect();
        Chain::new(&DataSpectrum::new(m.to_vec(), c2.to_vec()), m.len(), noise, layers).unwrap()
    }

    /// A power-law spectrum j^(−e), j = 1..n, normalised to mean 1.
    fn power_law(n: usize, e: f64) -> Vec<f64> {
        let v: Vec<f64> = (1..=n).map(|i| (i as f64).powf(-e)).collect();
        let mean = v.iter().sum::<f64>() / n as f64;
        v.iter().map(|x| x / mean).collect()
    }

    /// Linear activations: exactly the linear theory at every λ > 0 (spec §5, edge cases).
    #[test]
    fn linear_activations_reproduce_the_linear_theory() {
        let n0 = 120;
        let m = power_law(n0, 0.5);
        let b: Vec<f64> = (1..=n0).map(|i| (i as f64).powf(-0.5)).collect();
        let sig: f64 = m.iter().zip(&b).map(|(m, b)| m * b).sum();
        let c2: Vec<f64> = b.iter().map(|b| b / sig).collect();
        for widths in [vec![150], vec![80, 200], vec![160, 60, 140]] {
            let layers: Vec<(Activation, Vec<f64>)> =
                widths.iter().map(|&w| (Activation::Linear, power_law(w, 0.6))).collect();
            let ch = chain(&m, &c2, 0.2, &layers);
            let lin = Theory::new(
                n0,
                0.2,
                DataSpectrum::new(m.clone(), c2.clone()),
                &layers.iter().map(|(_, s)| (s.len(), s.clone())).collect::<Vec<_>>(),
            );
            for p in [30.0, 100.0, 250.0] {
                for ridge in [0.0, 1e-3, 1e-1, 2.0] {
                    let a = ch.point(p, ridge).unwrap();
                    let b = lin.point(p as usize, ridge).unwrap();
                    let what = format!("widths {widths:?} p {p} λ {ridge}");
                    for (x, y, name) in [
                        (a.error, b.error, "E_g"),
                        (a.df, b.df, "df"),
                        (a.df2, b.df2, "df2"),
                        (a.train_error, b.train_error, "E_tr"),
                    ] {
                        assert!((x - y).abs() <= 1e-10 * y.abs().max(1e-12), "{what}: {name} {x} vs {y}");
                    }
                }
            }
        }
    }

    /// The spec's reference theory values (NONLINEAR.md §7.4, 4 digits): isotropic data and
    /// target, n0 = 400, η² = 0.1, S = I. The table's λ is for the raw features a_L, i.e. the
    /// chain's λ; the readout's λ is λ·n0/n_L. L ≥ 2 ReLU exercises the offsets.
    #[test]
    fn matches_the_reference_values_of_the_spec() {
        let n0 = 400;
        let m = vec![1.0; n0];
        let c2 = vec![1.0 / n0 as f64; n0];
        // (name, σ, widths, α, the table's λ, theory E_g)
        type Case = (&'static str, Activation, &'static [usize], f64, f64, f64);
        let cases: [Case; 11] = [
            ("L1 tanh", Activation::Tanh, &[600], 1.0, 1e-2, 0.6657),
            ("L1 tanh", Activation::Tanh, &[600], 2.0, 1e-3, 0.5612),
            ("L1 tanh", Activation::Tanh, &[600], 3.0, 1e-1, 0.2642),
            ("L1 relu", Activation::Relu, &[600], 1.0, 1e-3, 1.3745),
            ("L1 relu", Activation::Relu, &[600], 2.0, 1e-2, 0.8523),
            ("L1 relu", Activation::Relu, &[600], 3.0, 1e-1, 0.4780),
            ("L2 relu", Activation::Relu, &[500, 500], 1.0, 1e-2, 1.3979),
            ("L2 relu", Activation::Relu, &[500, 500], 2.0, 1e-3, 1.5085),
            ("L2 relu", Activation::Relu, &[500, 500], 3.0, 1e-1, 0.7641),
            ("L3 relu", Activation::Relu, &[500, 400, 300], 1.0, 1e-2, 1.1800),
            ("L3 relu", Activation::Relu, &[500, 400, 300], 1.5, 1e-3, 1.3968),
        ];
        for (name, act, widths, alpha, lambda, want) in cases {
            let layers: Vec<(Activation, Vec<f64>)> = widths.iter().map(|&w| (act, vec![1.0; w])).collect();
            let ch = chain(&m, &c2, 0.1, &layers);
            let n_l = *widths.last().unwrap() as f64;
            let got = ch.point(alpha * n0 as f64, lambda * n0 as f64 / n_l).unwrap();
            assert!(
                (got.error - want).abs() <= 6e-5 * want.max(1.0),
                "{name} α {alpha} λ {lambda}: {} vs {want}",
                got.error
            );
        }
    }

    /// Ridgeless reference values of the spec (§7.4) and the threshold at p = n_L.
    #[test]
    fn ridgeless_reference_values_and_threshold() {
        let n0 = 400;
        let m = vec![1.0; n0];
        let c2 = vec![1.0 / n0 as f64; n0];
        type Case = (Activation, &'static [usize], f64, f64);
        let cases: [Case; 8] = [
            (Activation::Tanh, &[600], 0.5, 0.9045),
            (Activation::Tanh, &[600], 2.0, 0.7370),
            (Activation::Relu, &[600], 0.5, 0.9919),
            (Activation::Relu, &[600], 2.0, 1.5390),
            (Activation::Relu, &[500, 500], 0.5, 1.5722),
            (Activation::Relu, &[500, 500], 2.0, 1.7865),
            (Activation::Relu, &[500, 400, 300], 0.375, 2.4325),
            (Activation::Relu, &[500, 400, 300], 1.5, 1.7194),
        ];
        for (act, widths, alpha, want) in cases {
            let layers: Vec<(Activation, Vec<f64>)> = widths.iter().map(|&w| (act, vec![1.0; w])).collect();
            let ch = chain(&m, &c2, 0.1, &layers);
            let got = ch.point(alpha * n0 as f64, 0.0).unwrap();
            assert!(
                (got.error - want).abs() <= 6e-5 * want.max(1.0),
                "{act:?} {widths:?} α {alpha}: {} vs {want}",
                got.error
            );
            // The ridgeless point is the limit λ → 0+.
            let near = ch.point(alpha * n0 as f64, 1e-9).unwrap();
            assert!(
                (near.error - got.error).abs() <= 1e-5 * got.error,
                "{act:?} {widths:?} α {alpha}: λ → 0"
            );
        }
        // A nonlinear layer puts the threshold at p = n_L = 600, not at n0 = 400.
        let ch = chain(&m, &c2, 0.1, &[(Activation::Tanh, vec![1.0; 600])]);
        assert!(ch.point(400.0, 0.0).unwrap().error.is_finite());
        assert_eq!(ch.point(600.0, 0.0).unwrap().error, f64::INFINITY);
        assert!(ch.point(601.0, 0.0).unwrap().error.is_finite());
    }

    /// The adaptive offset rule (fewest Gauss–Hermite nodes that hold the layer's sums to
    /// 1e-11) against the spec's 61 nodes: E_g, df2 and the training error to 1e-8.
    #[test]
    fn adaptive_offset_nodes_hold_1e_8() {
        use crate::theory::measure::propagate_with;
        let n0 = 150;
        let m = power_law(n0, 0.5);
        let c2 = vec![1.0 / n0 as f64; n0];
        let nets: [&[(Activation, usize, f64)]; 4] = [
            &[(Activation::Relu, 200, 0.0), (Activation::Relu, 180, 0.0)],
            &[(Activation::Relu, 200, 0.6), (Activation::Tanh, 120, 0.0), (Activation::Relu, 160, 1.0)],
            &[(Activation::Relu, 250, 0.0), (Activation::Erf, 220, 0.8)],
            &[
                (Activation::Coefficients { mu0: 0.5, mu1: 0.8, mustar: 0.3 }, 140, 0.0),
                (Activation::Relu, 170, 0.5),
            ],
        ];
        for net in nets {
            let layers: Vec<(Activation, Vec<f64>)> =
                net.iter().map(|&(a, w, e)| (a, power_law(w, e))).collect();
            let refs: Vec<(Activation, Scales<'_>)> =
                layers.iter().map(|(a, s)| (*a, Scales::explicit(s))).collect();
            let v0 = m.iter().sum::<f64>() / n0 as f64;
            let build = |nodes: Option<usize>| {
                let mut fan_in = n0;
                let ls = refs
                    .iter()
                    .zip(propagate_with(v0, &refs, nodes))
                    .map(|((_, s), measure)| {
                        let l = ChainLayer::new(fan_in, s.values.len(), measure);
                        fan_in = s.values.len();
                        l
                    })
                    .collect();
                Chain::new(&DataSpectrum::new(m.clone(), c2.clone()), n0, 0.1, ls).unwrap()
            };
            let (adaptive, full) = (build(None), build(Some(61)));
            let classes: Vec<usize> = adaptive.layers.iter().map(|l| l.measure.t.len()).collect();
            for p in [60.0, 200.0, 400.0] {
                for ridge in [0.0, 1e-3, 0.1] {
                    let (a, b) = (adaptive.point(p, ridge).unwrap(), full.point(p, ridge).unwrap());
                    for (x, y, what) in [
                        (a.error, b.error, "E_g"),
                        (a.df2, b.df2, "df2"),
                        (a.train_error, b.train_error, "E_tr"),
                    ] {
                        assert!(
                            (x - y).abs() <= 1e-8 * y.abs().max(1e-12),
                            "{net:?} (classes {classes:?}) p {p} λ {ridge}: {what} {x} vs {y}"
                        );
                    }
                }
            }
        }
    }

    /// λ → ∞ gives the null predictor (E_g → E0 = 1, spec §7.2: 0.99999672 at λ = 1e7 for
    /// tanh–tanh); tiny λ the ridgeless point; nothing is NaN in between.
    #[test]
    fn extreme_ridges() {
        let n0 = 200;
        let m = power_law(n0, 0.5);
        let c2 = vec![1.0 / n0 as f64; n0];
        let e0: f64 = m.iter().zip(&c2).map(|(m, c)| m * c).sum();
        let layers = vec![(Activation::Tanh, vec![1.0; 300]), (Activation::Relu, vec![1.0; 250])];
        let ch = chain(&m, &c2, 0.1, &layers);
        for p in [50.0, 249.0, 400.0] {
            let mut last = 0.0;
            for e in -10..=9 {
                let pt = ch.point(p, 10f64.powi(e)).unwrap();
                assert!(pt.error.is_finite() && pt.error > 0.0, "p {p} λ 1e{e}: {pt:?}");
                assert!(pt.train_error <= pt.error + 0.1 + 1e-12, "p {p} λ 1e{e}");
                last = pt.error;
            }
            assert!((last - e0).abs() < 1e-4 * e0, "p {p}: λ = 1e9 gives {last}, E0 = {e0}");
        }
    }
}
