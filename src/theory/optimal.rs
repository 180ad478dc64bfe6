//! The optimal ridge λ* = argmin_{λ ≥ 0} E_g(p, λ) (of a single learner or of an
//! ensemble, §7), by a coarse scan in ln λ followed by argmin's Brent minimiser on the
//! bracketing interval.

use super::{Ensemble, Point, Theory};
use crate::spec::{Error, Result};
use crate::support::brent;
use argmin::core::{CostFunction, Error as ArgminError};

/// Smallest and largest ridge scanned (λ in units of the normalised spectra, whose mean
/// eigenvalue is 1). The lower end also follows 10⁻⁴/p and 10⁻⁴·κ_0 of the ridgeless
/// point: in raw-scale scaling studies λ* falls like a power of p (SCALING §4:
/// p^(−a/(1+m₁))), on the scale of the eigenvalues near index p, which κ_0 measures.
pub(super) const RIDGE_MIN: f64 = 1e-10;
pub(super) const RIDGE_MAX: f64 = 1e6;
/// Scan points per decade of λ (33 points over the 16 decades of the default range).
const SCAN_PER_DECADE: f64 = 2.0;

/// The scanned range of ln λ at sample size p (κ_0 of the ridgeless point) and its
/// number of points.
fn scan(p: f64, kappa0: f64) -> (f64, f64, usize) {
    let kappa0 = if kappa0 > 0.0 { kappa0 } else { f64::INFINITY };
    let lmin = RIDGE_MIN.min(1e-4 / p).min(1e-4 * kappa0).ln();
    let lmax = RIDGE_MAX.ln();
    let points = 1 + ((lmax - lmin) / std::f64::consts::LN_10 * SCAN_PER_DECADE).round() as usize;
    (lmin, lmax, points)
}

struct ErrorOfLnRidge<'a> {
    theory: &'a Theory,
    p: f64,
    ensemble: Ensemble,
}

impl CostFunction for ErrorOfLnRidge<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, u: &f64) -> std::result::Result<f64, ArgminError> {
        self.theory
            .point_at(self.p, u.exp())
            .map(|pt| ensemble_error(self.ensemble, &pt))
            .map_err(|e| ArgminError::msg(e.to_string()))
    }
}

/// E_g(K); the callers check first that the theory has E_∞ when K > 1.
fn ensemble_error(ensemble: Ensemble, pt: &Point) -> f64 {
    ensemble.error(pt).unwrap_or(f64::INFINITY)
}

impl Theory {
    /// The point at the ridge λ* ≥ 0 that minimises the error of `ensemble` (E_g for
    /// [`Ensemble::SINGLE`], E_g(K) otherwise) at `samples` = p. λ* = 0 when the ridgeless
    /// error is at least as small as every λ > 0 scanned.
    pub fn optimal_point(&self, samples: usize, ensemble: Ensemble) -> Result<Point> {
        self.optimal_point_at(samples as f64, ensemble)
    }

    /// As [`Theory::optimal_point`] at a real sample size p > 0.
    pub fn optimal_point_at(&self, samples: f64, ensemble: Ensemble) -> Result<Point> {
        if ensemble != Ensemble::SINGLE && self.is_nonlinear() {
            return Err(Error::Solver {
                samples,
                ridge: 0.0,
                equation: format!("optimal ridge: min over λ of E_g(K = {ensemble})"),
                detail: crate::spec::NONLINEAR_ENSEMBLE.into(),
            });
        }
        let err = |pt: &Point| ensemble_error(ensemble, pt);
        let ridgeless = self.point_at(samples, 0.0)?;
        let (lmin, lmax, points) = scan(samples, ridgeless.kappa_data);
        let grid: Vec<f64> =
            (0..points).map(|i| lmin + (lmax - lmin) * i as f64 / (points - 1) as f64).collect();
        let mut warm = crate::theory::Warm::default();
        let mut best: Option<(usize, Point)> = None;
        for (i, &u) in grid.iter().enumerate() {
            let pt = self.point_warm(samples, u.exp(), &mut warm)?;
            if best.as_ref().is_none_or(|(_, b)| err(&pt) < err(b)) {
                best = Some((i, pt));
            }
        }
        let (i, mut best) = best.expect("scan is not empty");
        let (a, b) = (grid[i.saturating_sub(1)], grid[(i + 1).min(points - 1)]);
        let problem = ErrorOfLnRidge { theory: self, p: samples, ensemble };
        let (arg, _) =
            brent::minimum(problem, (a, b), (a + b) / 2.0, (1e-9, 1e-9), 200).map_err(|e| Error::Solver {
                samples,
                ridge: best.ridge,
                equation: match ensemble {
                    Ensemble::SINGLE => "optimal ridge: min over λ of E_g".into(),
                    k => format!("optimal ridge: min over λ of E_g(K = {k})"),
                },
                detail: e.to_string(),
            })?;
        if let Some(u) = arg {
            let pt = self.point_at(samples, u.exp())?;
            if err(&pt) < err(&best) {
                best = pt;
            }
        }
        if err(&ridgeless) <= err(&best) {
            best = ridgeless;
        }
        Ok(best)
    }
}
