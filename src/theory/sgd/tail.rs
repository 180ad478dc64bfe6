//! The tail of one run's risk at a large step (TRAINING B7): the top mode is a Kesten
//! recursion `e ← (1 − ηλ − ησχ²_B/B) e + noise`, whose risk has the power-law tail index
//! α_R = κ/2 with κ > 0 the root of `E|1 − ηλ − ησχ²_B/B|^κ = 1`.
//!
//! With χ²_B = y² the density of y, ∝ y^{B−1}e^{−y²/2}, is smooth at 0 (χ²_1's is not), and
//! the integrand has one cusp, at y² = B(1 − ηλ)/(ησ): the integral is split there and each
//! side summed by composite Gauss–Legendre in y. The root in κ is bracketed by doubling and
//! found by Brent's method.

use crate::model::quadrature::legendre_rule;
use crate::support::brent;

/// Panels on each side of the cusp, nodes per panel.
const PANELS: usize = 96;
const NODES: usize = 16;
/// Largest κ searched: beyond it the run has no heavy tail worth a warning.
const KAPPA_MAX: f64 = 4096.0;

/// α_R = κ/2 for the top mode at step η, value σ_top, batch B and weight decay λ;
/// `f64::INFINITY` when κ exceeds [`KAPPA_MAX`] (no heavy tail), `None` when
/// E log|1 − ηλ − ησχ²_B/B| ≥ 0 (the top mode itself diverges).
pub(crate) fn tail_index(step: f64, top: f64, batch: f64, decay: f64) -> Option<f64> {
    let a = 1.0 - step * decay;
    let b = step * top / batch;
    let cusp = (a.max(0.0) / b).sqrt();
    let (gx, gw) = legendre_rule(NODES);
    let log_norm = (batch / 2.0) * std::f64::consts::LN_2 + statrs::function::gamma::ln_gamma(batch / 2.0)
        - std::f64::consts::LN_2;
    // E f(ln|a − b y²|) over y with density 2y^{B−1}e^{−y²/2}/(2^{B/2}Γ(B/2)).
    let expect = |kappa: f64, log_moment: bool| -> f64 {
        let top_y = (batch + 2.0 * kappa.max(1.0)).sqrt() + 40.0;
        let mut total = 0.0;
        let sides: [(f64, f64); 2] = if cusp > 0.0 && cusp < top_y {
            [(0.0, cusp), (cusp, top_y)]
        } else {
            [(0.0, top_y), (top_y, top_y)]
        };
        for (lo, hi) in sides {
            let h = (hi - lo) / PANELS as f64;
            for panel in 0..PANELS {
                let mid = lo + (panel as f64 + 0.5) * h;
                for (x, w) in gx.iter().zip(&gw) {
                    let y = mid + 0.5 * h * x;
                    let l = (a - b * y * y).abs().ln();
                    let dens = ((batch - 1.0) * y.ln() - 0.5 * y * y - log_norm).exp();
                    let f = if log_moment { l } else { (kappa * l).exp() };
                    total += 0.5 * h * w * dens * f;
                }
            }
        }
        total
    };
    if expect(0.0, true) >= 0.0 {
        return None;
    }
    let f = |kappa: f64| expect(kappa, false) - 1.0;
    let mut hi = 1.0;
    while f(hi) <= 0.0 {
        hi *= 2.0;
        if hi > KAPPA_MAX {
            return Some(f64::INFINITY);
        }
    }
    let mut lo = 0.5 * hi;
    while f(lo) > 0.0 {
        lo *= 0.5;
        if lo < 1e-9 {
            return Some(0.0);
        }
    }
    brent::root(brent::Fun(f), lo, hi, 1e-10, 200).ok().map(|k| 0.5 * k)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TRAINING B7's table of α_R (B = 1: ησ = 0.1 → 8.6, 0.2 → 4.15, 0.25 → 3.25,
    /// 0.3 → 2.65, 0.38 → 2.02; B = 4: 0.38 → 7.1, 0.5 → 5.0, 0.8 → 2.5; B = 8: 0.3 → 18),
    /// to the table's digits.
    #[test]
    fn tail_index_matches_the_table() {
        let table = [
            (0.1, 1.0, 8.6, 0.05),
            (0.2, 1.0, 4.15, 0.005),
            (0.25, 1.0, 3.25, 0.005),
            (0.3, 1.0, 2.65, 0.005),
            (0.38, 1.0, 2.02, 0.005),
            (0.38, 4.0, 7.1, 0.05),
            (0.5, 4.0, 5.0, 0.05),
            (0.8, 4.0, 2.5, 0.05),
            (0.3, 8.0, 18.0, 0.5),
        ];
        for (es, batch, want, tol) in table {
            let got = tail_index(es, 1.0, batch, 0.0).unwrap();
            assert!((got - want).abs() <= tol, "ησ = {es}, B = {batch}: {got} vs {want}");
        }
    }

    /// The closed form at B = 1 and κ = 2: E(1 − gχ²₁)² = 1 − 2g + 3g², so κ = 2 (α_R = 1)
    /// exactly at g = 2/3; and a step whose top mode diverges has no index.
    #[test]
    fn tail_index_closed_form_and_divergence() {
        let got = tail_index(2.0 / 3.0, 1.0, 1.0, 0.0).unwrap();
        assert!((got - 1.0).abs() < 1e-8, "{got}");
        assert_eq!(tail_index(3.0, 1.0, 1.0, 0.0), None);
    }
}
