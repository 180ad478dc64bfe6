//! Summary statistics of Monte Carlo trials (statrs): mean, standard error and the
//! Student-t 95% confidence interval.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::statistics::Statistics;

/// Differences below this (absolute, in units of the target's unit signal, relative for
/// larger values) are floating-point rounding of an exact fit — e.g. noiseless least
/// squares recovering β* (E_g ≈ 1e-29 against a theory of 0) — not Monte Carlo error.
pub(crate) const ROUNDING: f64 = 1e-12;

/// Whether `a` equals a finite reference `b` to rounding (never for an infinite reference:
/// at the interpolation threshold nothing is compared).
fn within_rounding(a: f64, b: f64) -> bool {
    b.is_finite() && (a - b).abs() <= ROUNDING * b.abs().max(1.0)
}

/// Mean of the trials with, for two or more trials, its standard error and 95% interval.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Summary {
    pub trials: usize,
    pub mean: f64,
    /// Sample standard deviation / √trials; `None` with fewer than 2 trials.
    pub stderr: Option<f64>,
    /// `mean ± t_{0.975, trials−1} · stderr`; `None` with fewer than 2 trials.
    pub ci95: Option<(f64, f64)>,
}

/// The median of trial values and its 95 % order-statistic interval (the ranks
/// n/2 ∓ 1.96·√n/2 of the sorted values: distribution-free, for heavy tails where a mean's
/// standard error is not valid); no interval below 6 values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Median {
    pub median: f64,
    pub interval: Option<(f64, f64)>,
}

pub(crate) fn median(values: &[f64]) -> Median {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return Median { median: f64::NAN, interval: None };
    }
    let median = if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) };
    let half = 1.96 * (n as f64).sqrt() / 2.0;
    let (lo, hi) = ((n as f64 / 2.0 - half).floor(), (n as f64 / 2.0 + half).ceil());
    let interval = (n >= 6 && lo >= 0.0 && (hi as usize) < n).then(|| (v[lo as usize], v[hi as usize]));
    Median { median, interval }
}

/// Summarises trial values (at least one).
pub(crate) fn summarize(values: &[f64]) -> Summary {
    let n = values.len();
    let mean = values.iter().mean();
    if n < 2 {
        return Summary { trials: n, mean, stderr: None, ci95: None };
    }
    let se = values.iter().std_dev() / (n as f64).sqrt();
    let t =
        StudentsT::new(0.0, 1.0, (n - 1) as f64).expect("n − 1 ≥ 1 degrees of freedom").inverse_cdf(0.975);
    Summary { trials: n, mean, stderr: Some(se), ci95: Some((mean - t * se, mean + t * se)) }
}

impl Summary {
    /// `(mean − reference)/stderr`, when both are finite and the standard error is positive;
    /// 0 when the two agree to [`ROUNDING`].
    pub fn z(&self, reference: f64) -> Option<f64> {
        if self.stderr.is_some() && within_rounding(self.mean, reference) {
            return Some(0.0);
        }
        match self.stderr {
            Some(se) if se > 0.0 && reference.is_finite() => Some((self.mean - reference) / se),
            _ => None,
        }
    }

    /// Whether the 95% interval contains `reference`, or the mean equals it to [`ROUNDING`]
    /// (`None` without an interval or with an infinite reference).
    pub(crate) fn covers(&self, reference: f64) -> Option<bool> {
        if !reference.is_finite() {
            return None;
        }
        self.ci95
            .map(|(lo, hi)| (lo <= reference && reference <= hi) || within_rounding(self.mean, reference))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        let se = (5.0f64 / 3.0).sqrt() / 2.0;
        assert!((s.stderr.unwrap() - se).abs() < 1e-15);
        // t_{0.975, 3} = 3.182446305284263
        let (lo, hi) = s.ci95.unwrap();
        assert!((hi - 2.5 - 3.182446305284263 * se).abs() < 1e-9);
        assert!((2.5 - lo - 3.182446305284263 * se).abs() < 1e-9);
        assert!((s.z(2.0).unwrap() - 0.5 / se).abs() < 1e-12);
        assert_eq!(s.covers(2.0), Some(true));
    }

    #[test]
    fn exact_fits_agree_to_rounding() {
        // Noiseless least squares: E_g is rounding noise around an exact 0.
        let s = summarize(&[3e-29, 1e-29, 2e-29]);
        assert_eq!(s.z(0.0), Some(0.0));
        assert_eq!(s.covers(0.0), Some(true));
        // A real deviation still counts.
        let s = summarize(&[0.10, 0.11, 0.12]);
        assert!(s.z(0.0).unwrap() > 10.0);
        assert_eq!(s.covers(0.0), Some(false));
    }

    #[test]
    fn infinite_theory_is_not_compared() {
        // The interpolation threshold: theory +∞, a finite simulated mean.
        let s = summarize(&[3.0, 5.0, 4.0]);
        assert_eq!(s.z(f64::INFINITY), None);
        assert_eq!(s.covers(f64::INFINITY), None);
    }

    #[test]
    fn single_trial_has_no_interval() {
        let s = summarize(&[0.7]);
        assert_eq!((s.mean, s.stderr, s.ci95), (0.7, None, None));
        assert_eq!(s.z(0.5), None);
        assert_eq!(s.covers(0.5), None);
    }
}

/// A power law v_j ∝ j^(−exponent) fitted to a spectrum, with the window of indices used
/// and how far the exponent moves when the window does.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct PowerFit {
    /// The least-squares slope of −ln v_j on ln j over the window.
    pub exponent: f64,
    /// The indices j (1-based, inclusive) fitted.
    pub window: [usize; 2],
    /// The largest change of the exponent when the window is halved at either end
    /// ([lo, hi/2] and [2·lo, hi]): how much of a power law the spectrum is.
    pub spread: f64,
}

/// Least-squares slope of −ln v_j on ln j over j ∈ [lo, hi] (positive values only).
fn log_slope(values: &[f64], lo: usize, hi: usize) -> Option<f64> {
    let pts: Vec<(f64, f64)> = (lo..=hi.min(values.len()))
        .filter(|&j| values[j - 1] > 0.0)
        .map(|j| ((j as f64).ln(), values[j - 1].ln()))
        .collect();
    if pts.len() < 3 {
        return None;
    }
    let n = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxy: f64 = pts.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = pts.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    Some(-sxy / sxx)
}

/// The power law of a spectrum `values` (v_1 ≥ v_2 ≥ …, zeros at the end ignored), fitted
/// over j ∈ [2, r/2] with r the number of positive values (the head j = 1 and the tail,
/// where a finite spectrum bends down, are left out); `None` with fewer than 12 positive
/// values.
pub fn power_law_fit(values: &[f64]) -> Option<PowerFit> {
    let r = values.iter().filter(|&&v| v > 0.0).count();
    if r < 12 {
        return None;
    }
    let (lo, hi) = (2, r / 2);
    let exponent = log_slope(values, lo, hi)?;
    let spread = [log_slope(values, lo, hi / 2), log_slope(values, 2 * lo, hi)]
        .iter()
        .flatten()
        .map(|e| (e - exponent).abs())
        .fold(0.0, f64::max);
    Some(PowerFit { exponent, window: [lo, hi], spread })
}

#[cfg(test)]
mod fit_tests {
    use super::*;

    /// A pure power law is recovered exactly, with no spread; a bent one shows a spread.
    #[test]
    fn power_law_fit_recovers_known_exponents() {
        let v: Vec<f64> = (1..=200).map(|j| 3.0 * (j as f64).powf(-1.7)).collect();
        let f = power_law_fit(&v).unwrap();
        assert!((f.exponent - 1.7).abs() < 1e-12 && f.spread < 1e-12 && f.window == [2, 100], "{f:?}");
        let bent: Vec<f64> = (1..=200).map(|j| (j as f64).powf(-1.0) * (-(j as f64) / 50.0).exp()).collect();
        assert!(power_law_fit(&bent).unwrap().spread > 0.1);
        assert!(power_law_fit(&[1.0; 5]).is_none());
    }
}

/// Fewer trials than this get a caveat beside their z-scores.
pub const FEW_TRIALS: usize = 30;

/// Why z-scores of `trials` trials need care (`None` from [`FEW_TRIALS`] on): the mean of
/// a few skewed errors is heavy-tailed, so large |z| is common even when the theory holds.
pub fn few_trials_caveat(trials: usize) -> Option<String> {
    (trials < FEW_TRIALS).then(|| {
        format!(
            "with {trials} trials per point z is unreliable: the mean of a few skewed errors is heavy-tailed, so large |z| is common when the theory holds (use ≥ {FEW_TRIALS} trials for a check)"
        )
    })
}
