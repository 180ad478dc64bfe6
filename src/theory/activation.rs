//! Elementwise activations and their Gaussian-equivalent coefficients (NONLINEAR.md §2),
//! the first stage of the nonlinear theory: for a unit whose preactivation over the data
//! is `h = b + √v ζ`, ζ ~ N(0, 1), with a frozen offset b,
//!
//! ```text
//! μ0 = E σ(h),   μ1 = E σ'(h) = E[σ(h) ζ]/√v,   E2 = E σ(h)²,   μ*² = E2 − μ0² − v μ1² ≥ 0
//! ```
//!
//! Closed forms for linear, ReLU and (μ0, μ1 of) erf; otherwise the trapezoid rule on
//! ζ ∈ [−11, 11] with a step fitted to the preactivation scale (spectrally accurate for
//! analytic σ). Offsets that vary
//! across units are integrated with the 61-node Gauss–Hermite rule of [`hermite_rule`].

pub(super) use crate::spec::Activation;
use std::f64::consts::PI;

/// The moments of σ(b + √v ζ) that Gaussian equivalence needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moments {
    /// μ0 = E σ(h).
    pub mu0: f64,
    /// μ1 = E σ'(h).
    pub mu1: f64,
    /// E2 = E σ(h)².
    pub e2: f64,
}

impl Moments {
    /// μ*² = E2 − μ0² − v μ1², clamped at 0 (it is ≥ 0 exactly; 0 iff σ is affine).
    /// Values at the rounding level of E2 are 0 (an affine σ with an offset).
    pub fn mustar2(&self, v: f64) -> f64 {
        let x = self.e2 - self.mu0 * self.mu0 - v * self.mu1 * self.mu1;
        if x <= 1e-13 * self.e2 {
            0.0
        } else {
            x
        }
    }

    /// The centred variance E2 − μ0² of σ(h).
    pub fn variance(&self) -> f64 {
        (self.e2 - self.mu0 * self.mu0).max(0.0)
    }
}

/// Standard normal density and distribution function.
fn phi(u: f64) -> f64 {
    (-0.5 * u * u).exp() / (2.0 * PI).sqrt()
}

fn big_phi(u: f64) -> f64 {
    0.5 * erfc(-u / std::f64::consts::SQRT_2)
}

fn erf(x: f64) -> f64 {
    statrs::function::erf::erf(x)
}

fn erfc(x: f64) -> f64 {
    statrs::function::erf::erfc(x)
}

/// The trapezoid rule on ζ ∈ [−11, 11] with the Gaussian weight folded in. For σ analytic
/// in a strip |Im h| < a (tanh: a = π/2; erf: entire), its error on σ(b + √v ζ) decays
/// like exp(−2π a/(√v · step)); the step min(0.02, 0.1/√v) keeps that below 1e-40 at every
/// v (the spec's fixed 0.005 is four times finer than needed for v ≤ 25, and too coarse for
/// 1e-12 beyond v ≈ 5000; tested against Simpson's rule to 1e-10 up to v = 2500). Kinked σ
/// (ReLU) use closed forms.
const QUAD_HALF_WIDTH: f64 = 11.0;

/// The trapezoid step for a preactivation variance v.
fn quad_step(v: f64) -> f64 {
    0.02f64.min(0.1 / v.sqrt())
}

/// `E f(ζ)` for ζ ~ N(0, 1) by the trapezoid rule with `step`, for `N` functions at once.
fn trapezoid<const N: usize>(step: f64, f: impl Fn(f64) -> [f64; N]) -> [f64; N] {
    let n = (2.0 * QUAD_HALF_WIDTH / step).ceil() as usize;
    let h = 2.0 * QUAD_HALF_WIDTH / n as f64;
    let mut s = [0.0; N];
    for i in 0..=n {
        let z = -QUAD_HALF_WIDTH + h * i as f64;
        let w = if i == 0 || i == n { 0.5 } else { 1.0 } * phi(z);
        for (acc, v) in s.iter_mut().zip(f(z)) {
            *acc += w * v;
        }
    }
    s.map(|x| x * h)
}

/// `E f(ζ)` for ζ ~ N(0, 1) by the spec's trapezoid rule (step 0.005 on [−11, 11]): the
/// reference the tests hold the adaptive rule to.
#[cfg(test)]
fn gaussian_expectation(f: impl Fn(f64) -> f64) -> f64 {
    trapezoid(0.005, |z| [f(z)])[0]
}

/// The Gaussian-equivalent moments (the vocabulary type lives in `spec`).
impl Activation {
    /// The moments of σ(b + √v ζ) for an offset b and a variance v > 0.
    pub fn moments(&self, b: f64, v: f64) -> Moments {
        let s = v.sqrt();
        match *self {
            Activation::Linear => Moments { mu0: b, mu1: 1.0, e2: b * b + v },
            Activation::Relu => {
                let u = b / s;
                let (cdf, pdf) = (big_phi(u), phi(u));
                Moments { mu0: b * cdf + s * pdf, mu1: cdf, e2: (b * b + v) * cdf + b * s * pdf }
            }
            Activation::Erf => {
                let a = 1.0 + 2.0 * v;
                Moments {
                    mu0: erf(b / a.sqrt()),
                    mu1: 2.0 / PI.sqrt() * (-b * b / a).exp() / a.sqrt(),
                    e2: trapezoid(quad_step(v), |z| [erf(b + s * z).powi(2)])[0],
                }
            }
            Activation::Tanh => {
                let [mu0, e2] = trapezoid(quad_step(v), |z| {
                    let t = (b + s * z).tanh();
                    [t, t * t]
                });
                // σ' = 1 − tanh².
                Moments { mu0, mu1: 1.0 - e2, e2 }
            }
            Activation::Coefficients { mu0, mu1, mustar } => {
                Moments { mu0, mu1, e2: mustar * mustar + mu0 * mu0 + v * mu1 * mu1 }
            }
        }
    }
}

/// The `n`-node Gauss–Hermite rule for the standard normal: nodes ζ_r and weights ω_r with
/// Σ ω_r f(ζ_r) = E f(ζ) exactly for polynomials of degree < 2n (ω sums to 1). Nodes
/// ascending. Newton's method on the orthonormal Hermite recurrence from the usual
/// asymptotic starting points.
pub(super) fn hermite_rule(n: usize) -> (Vec<f64>, Vec<f64>) {
    // Physicists' rule (weight e^{−x²}), then ζ = √2 x, ω = w/√π.
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let m = n.div_ceil(2);
    let pim4 = PI.powf(-0.25);
    let nf = n as f64;
    let mut z = 0.0_f64;
    for i in 0..m {
        z = match i {
            0 => (2.0 * nf + 1.0).sqrt() - 1.85575 * (2.0 * nf + 1.0).powf(-1.0 / 6.0),
            1 => z - 1.14 * nf.powf(0.426) / z,
            2 => 1.86 * z - 0.86 * x[0],
            3 => 1.91 * z - 0.91 * x[1],
            _ => 2.0 * z - x[i - 2],
        };
        let mut pp = 0.0;
        for _ in 0..100 {
            // Orthonormal Hermite polynomials p_j(z) by recurrence.
            let (mut p1, mut p2) = (pim4, 0.0);
            for j in 1..=n {
                let p3 = p2;
                p2 = p1;
                let jf = j as f64;
                p1 = z * (2.0 / jf).sqrt() * p2 - ((jf - 1.0) / jf).sqrt() * p3;
            }
            pp = (2.0 * nf).sqrt() * p2;
            let dz = p1 / pp;
            z -= dz;
            if dz.abs() <= 1e-15 * z.abs().max(1.0) {
                break;
            }
        }
        x[i] = z;
        x[n - 1 - i] = -z;
        w[i] = 2.0 / (pp * pp);
        w[n - 1 - i] = w[i];
    }
    let nodes: Vec<f64> = x.iter().rev().map(|x| x * std::f64::consts::SQRT_2).collect();
    let weights: Vec<f64> = w.iter().rev().map(|w| w / PI.sqrt()).collect();
    (nodes, weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64, what: &str) {
        assert!((a - b).abs() <= tol * b.abs().max(1.0), "{what}: {a} vs {b}");
    }

    /// The closed forms against the trapezoid rule applied to σ itself (an independent
    /// evaluation), at offsets and variances of both signs and scales.
    #[test]
    fn closed_forms_match_quadrature() {
        for (b, v) in [(0.0, 1.0f64), (0.7, 0.3), (-1.3, 2.5), (2.0, 0.05), (-0.2, 9.0)] {
            let s: f64 = v.sqrt();
            for act in [Activation::Linear, Activation::Relu, Activation::Erf] {
                let m = act.moments(b, v);
                let mu0 = gaussian_expectation(|z| act.apply(b + s * z));
                let mu1 = gaussian_expectation(|z| act.apply(b + s * z) * z) / s;
                let e2 = gaussian_expectation(|z| act.apply(b + s * z).powi(2));
                // The kink of ReLU limits the trapezoid rule to O(step²).
                let tol = if act == Activation::Relu { 1e-5 } else { 1e-10 };
                close(m.mu0, mu0, tol, &format!("{act:?} μ0 at ({b}, {v})"));
                close(m.mu1, mu1, tol, &format!("{act:?} μ1 at ({b}, {v})"));
                close(m.e2, e2, tol, &format!("{act:?} E2 at ({b}, {v})"));
            }
            // tanh: μ1 as E σ' equals E[σ ζ]/√v (Stein's lemma).
            let m = Activation::Tanh.moments(b, v);
            let stein = gaussian_expectation(|z| (b + s * z).tanh() * z) / s;
            close(m.mu1, stein, 1e-10, &format!("tanh Stein at ({b}, {v})"));
        }
    }

    #[test]
    fn known_values() {
        // ReLU at b = 0: μ0 = √(v/2π), μ1 = 1/2, μ*² = v (1/4 − 1/2π).
        let v = 1.7;
        let m = Activation::Relu.moments(0.0, v);
        close(m.mu0, (v / (2.0 * PI)).sqrt(), 1e-14, "ReLU μ0");
        close(m.mu1, 0.5, 1e-15, "ReLU μ1");
        close(m.mustar2(v), v * (0.25 - 0.5 / PI), 1e-13, "ReLU μ*²");
        // Linear: no μ*; odd σ at zero offset: μ0 = 0.
        assert_eq!(Activation::Linear.moments(0.4, 2.0).mustar2(2.0), 0.0);
        assert!(Activation::Tanh.moments(0.0, 1.3).mu0.abs() < 1e-15);
        // erf: E2 at b = 0 is (2/π) asin(2v/(1+2v)).
        let v: f64 = 0.8;
        let e2 = 2.0 / PI * (2.0 * v / (1.0 + 2.0 * v)).asin();
        close(Activation::Erf.moments(0.0, v).e2, e2, 1e-10, "erf E2 (quadrature of statrs erf)");
        // Fixed coefficients reproduce themselves.
        let c = Activation::Coefficients { mu0: 0.1, mu1: 0.6, mustar: 0.3 };
        close(c.moments(0.0, 2.0).mustar2(2.0), 0.09, 1e-14, "fixed μ*²");
        assert!(!c.is_linear() && Activation::Linear.is_linear());
    }

    /// 61 nodes integrate every polynomial of degree < 122 exactly: E ζ^{2k} = (2k−1)!!.
    #[test]
    fn hermite_rule_is_exact_for_polynomials() {
        let (z, w) = hermite_rule(61);
        assert_eq!(z.len(), 61);
        assert!(z.windows(2).all(|p| p[0] < p[1]));
        assert!(z[30].abs() < 1e-14, "odd rule has a node at 0");
        let mut double_factorial = 1.0;
        for k in 0..=30i32 {
            if k > 0 {
                double_factorial *= (2 * k - 1) as f64;
            }
            let m: f64 = z.iter().zip(&w).map(|(z, w)| w * z.powi(2 * k)).sum();
            close(m, double_factorial, 1e-11, &format!("E ζ^{}", 2 * k));
            let odd: f64 = z.iter().zip(&w).map(|(z, w)| w * z.powi(2 * k + 1)).sum();
            assert!(odd.abs() < 1e-9 * double_factorial.max(1.0), "odd moment {}", 2 * k + 1);
        }
        // A smooth function: E cos(ζ) = e^{−1/2}.
        let c: f64 = z.iter().zip(&w).map(|(z, w)| w * z.cos()).sum();
        close(c, (-0.5f64).exp(), 1e-14, "E cos ζ");
    }
}
