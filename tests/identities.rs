//! Identities of THEORY §4 and independent checks of the solver on structured spectra.

use lcurve::model::DataSpectrum;
use lcurve::Theory;

fn power_law(n: usize, e: f64) -> Vec<f64> {
    let v: Vec<f64> = (1..=n).map(|j| (j as f64).powf(-e)).collect();
    let mean = v.iter().sum::<f64>() / n as f64;
    v.iter().map(|x| x / mean).collect()
}

/// Power-law data (mean eigenvalue 1) with a power-law target of unit signal.
fn structured_modes(n0: usize) -> DataSpectrum {
    let m = power_law(n0, 1.0);
    let raw: Vec<f64> = (1..=n0).map(|j| (j as f64).powf(-0.5)).collect();
    let signal: f64 = raw.iter().zip(&m).map(|(b, m)| b * m).sum();
    DataSpectrum::new(m, raw.iter().map(|b| b / signal).collect())
}

fn deep_structured(noise: f64) -> Theory {
    let n0 = 300;
    Theory::new(n0, noise, structured_modes(n0), &[(450, power_law(450, 0.5)), (360, power_law(360, 1.2))])
}

#[test]
fn null_predictor_limit_as_p_goes_to_zero() {
    // E_g → Σ m c² = 1 as α = p/n0 → 0 at fixed λ > 0: isotropic n0 = 10^5, p = 1..4.
    let n0 = 100_000;
    let modes = DataSpectrum::new(vec![1.0; n0], vec![1.0 / n0 as f64; n0]);
    let th = Theory::new(n0, 0.0, modes, &[(150_000, vec![1.0; 150_000])]);
    for ridge in [1e-3, 0.1, 10.0] {
        let e: Vec<f64> = (1..=4).map(|p| th.point(p, ridge).unwrap().error).collect();
        assert!((e[0] - 1.0).abs() < 1e-4, "λ {ridge}: E_g(p = 1) = {}", e[0]);
        // 1 − E_g is O(p): linear in p to first order.
        let slope = (1.0 - e[0], (1.0 - e[3]) / 4.0);
        assert!((slope.0 / slope.1 - 1.0).abs() < 1e-2, "λ {ridge}: {slope:?}");
    }
    // Structured model at p = 1: 1 − E_g = O(1/λ) as λ → ∞.
    let th = deep_structured(0.2);
    let gap = |ridge: f64| 1.0 - th.point(1, ridge).unwrap().error;
    let ratio = gap(1e6) / gap(1e7);
    assert!((ratio - 10.0).abs() < 0.01, "1/λ scaling: ratio {ratio}");
    assert!(gap(1e8) > 0.0 && gap(1e8) < 1e-5);
}

#[test]
fn bias_plus_variance_and_training_error_identity() {
    for noise in [0.0, 0.3] {
        let th = deep_structured(noise);
        for ridge in [0.0, 1e-8, 1e-2, 3.0] {
            for p in [5, 120, 299, 301, 360, 700, 5000] {
                if ridge == 0.0 && p == (th.rank() as usize) {
                    continue;
                }
                let pt = th.point(p, ridge).unwrap();
                let tol = 1e-12 * pt.error.max(1e-300);
                assert!((pt.bias + pt.variance - pt.error).abs() <= tol);
                assert!((pt.test_mse - pt.error - noise).abs() <= 1e-12);
                assert!(pt.df2 > 0.0 && pt.df2 <= pt.df && pt.df <= p.min(th.rank() as usize) as f64);
                if ridge > 0.0 {
                    // E_tr = (λ/κ)² (E_g + η²), with κ from eq. (3) and λ as given.
                    let r = ridge / pt.kappa;
                    let expected = r * r * (pt.error + noise);
                    assert!(
                        (pt.train_error - expected).abs() <= 1e-9 * expected,
                        "p {p} λ {ridge}: {} vs {expected}",
                        pt.train_error
                    );
                    // Eq. (4) itself: λ = κ (1 − d/p) (1 − d/p resolvable from d only for λ ≳ 1e-6).
                    if ridge < 1e-6 {
                        continue;
                    }
                    let lam = pt.kappa * (1.0 - pt.df / p as f64);
                    assert!((lam - ridge).abs() <= 1e-8 * ridge, "p {p}: λ {lam} vs {ridge}");
                } else if p < (th.rank() as usize) {
                    assert_eq!(pt.train_error, 0.0);
                }
            }
        }
    }
}

/// Independent implementation of plain ridge (L = 0) deterministic equivalents:
/// κ from λ = κ(1 − df(κ)/p) by bisection, E_g = (κ² Σ c²m/(m+κ)² + η² df2/p)/(1 − df2/p),
/// df2 = Σ m²/(m+κ)².
fn plain_ridge_reference(modes: &DataSpectrum, noise: f64, p: f64, ridge: f64) -> f64 {
    let df = |k: f64| modes.m.iter().map(|m| m / (m + k)).sum::<f64>();
    let (mut lo, mut hi) = (ridge, ridge + modes.m.iter().sum::<f64>() / p * 10.0 + 10.0);
    for _ in 0..300 {
        let mid = 0.5 * (lo + hi);
        if mid * (1.0 - df(mid) / p) < ridge {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let k = 0.5 * (lo + hi);
    let df2: f64 = modes.m.iter().map(|m| m * m / ((m + k) * (m + k))).sum();
    let bias: f64 = modes.m.iter().zip(&modes.c2).map(|(m, c)| k * k * c * m / ((m + k) * (m + k))).sum();
    (bias + noise * df2 / p) / (1.0 - df2 / p)
}

#[test]
fn plain_ridge_matches_direct_trace_evaluation() {
    let n0 = 250;
    let modes = structured_modes(n0);
    let th = Theory::new(n0, 0.25, modes.clone(), &[]);
    for ridge in [1e-4, 1e-2, 0.5, 20.0] {
        for p in [10, 100, 249, 251, 600, 4000] {
            let pt = th.point(p, ridge).unwrap();
            let reference = plain_ridge_reference(&modes, 0.25, p as f64, ridge);
            assert!(
                (pt.error - reference).abs() <= 1e-9 * reference,
                "λ {ridge} p {p}: {} vs {reference}",
                pt.error
            );
        }
    }
}

/// Bisection inverse of df_a (independent of the library's Brent solver).
fn kappa_of(a: &[f64], d: f64) -> f64 {
    let df = |k: f64| a.iter().map(|x| x / (x + k)).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1.0);
    while df(hi) > d {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if df(mid) > d {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// THEORY §4 evaluated literally with finite-difference derivatives in d, for a deep model.
#[test]
fn deep_observables_match_finite_differences() {
    let n0 = 300;
    let modes = structured_modes(n0);
    let layers = [(450, power_law(450, 0.5)), (360, power_law(360, 1.2))];
    let noise = 0.2;
    let th = Theory::new(n0, noise, modes.clone(), &layers);
    // ln κ(d) and g(d) = h/P as plain functions of d.
    let eval = |d: f64| {
        let k0 = kappa_of(&modes.m, d);
        let mut ln_p = 0.0;
        for (n, s) in &layers {
            ln_p += (d / *n as f64).ln() + kappa_of(s, d).ln();
        }
        let h: f64 = modes.m.iter().zip(&modes.c2).map(|(m, c)| c * m / (m + k0)).sum();
        (k0.ln() + ln_p, h / ln_p.exp())
    };
    for (p, ridge) in [(60, 0.05), (200, 1e-3), (500, 0.02), (1500, 1e-4)] {
        let pt = th.point(p, ridge).unwrap();
        let d = pt.df;
        let step = 1e-4 * d;
        let (lk_plus, g_plus) = eval(d + step);
        let (lk_minus, g_minus) = eval(d - step);
        let (lk, g) = eval(d);
        let dlk = (lk_plus - lk_minus) / (2.0 * step);
        let dg = (g_plus - g_minus) / (2.0 * step);
        let d2 = d + 1.0 / dlk;
        let kappa = lk.exp();
        let b = -kappa * dg / dlk;
        let pf = p as f64;
        let eg = (b + noise * d2 / pf) / (1.0 - d2 / pf);
        assert!((kappa / pt.kappa - 1.0).abs() < 1e-9, "κ at p {p}");
        assert!((ridge / (kappa * (1.0 - d / pf)) - 1.0).abs() < 1e-8, "eq. (4) at p {p}");
        assert!((d2 / pt.df2 - 1.0).abs() < 1e-6, "d2 at p {p}: {d2} vs {}", pt.df2);
        assert!((eg / pt.error - 1.0).abs() < 1e-6, "E_g at p {p}: {eg} vs {} (g {g})", pt.error);
    }
}

#[test]
fn optimal_ridge_beats_every_ridge_on_a_grid() {
    for noise in [0.0, 0.1, 1.0] {
        let th = deep_structured(noise);
        for p in [30, 200, 300, 900] {
            let opt = th.optimal_point(p, lcurve::Ensemble::SINGLE).unwrap();
            assert!(opt.ridge >= 0.0);
            for i in 0..=40 {
                let ridge = 10f64.powf(-9.0 + 0.3 * i as f64);
                let pt = th.point(p, ridge).unwrap();
                assert!(
                    opt.error <= pt.error * (1.0 + 1e-10),
                    "η² {noise} p {p}: optimal {} (λ* {}) > {} at λ {ridge}",
                    opt.error,
                    opt.ridge,
                    pt.error
                );
            }
            let ridgeless = th.point(p, 0.0).unwrap();
            assert!(opt.error <= ridgeless.error * (1.0 + 1e-12));
        }
    }
}

#[test]
fn extreme_ridges_and_huge_spectra() {
    let th = deep_structured(0.1);
    for ridge in [1e-12, 1e6] {
        for p in [1, 299, 300, 301, 360, 100_000] {
            let pt = th.point(p, ridge).unwrap();
            assert!(pt.error.is_finite() && pt.error > 0.0, "λ {ridge} p {p}");
        }
    }
    // 10^6 eigenvalues.
    let n0 = 1_000_000;
    let m = power_law(n0, 1.0);
    let modes = DataSpectrum::new(m, vec![1.0 / n0 as f64; n0]);
    let th = Theory::new(n0, 0.1, modes, &[]);
    let pt = th.point(10_000, 1e-3).unwrap();
    assert!(pt.error > 0.0 && pt.error < 1.0);
}

#[test]
fn rank_deficient_spectra() {
    // Data of rank 200 in 300 dimensions, a layer of rank 150 in width 400.
    let n0 = 300;
    let mut m = power_law(200, 1.0);
    m.extend(vec![0.0; 100]);
    let c2 = vec![1.0 / 200.0 / (m.iter().sum::<f64>() / 200.0); n0];
    let modes = DataSpectrum::new(m, c2);
    let mut s = vec![1.0; 150];
    s.extend(vec![0.0; 250]);
    let th = Theory::new(n0, 0.1, modes, &[(400, s)]);
    assert_eq!((th.rank() as usize), 150);
    for ridge in [0.0, 1e-6, 0.1] {
        for p in [50, 149, 151, 199, 201, 1000] {
            let pt = th.point(p, ridge).unwrap();
            assert!(pt.error.is_finite() && !pt.error.is_nan(), "λ {ridge} p {p}");
            assert!(pt.df <= 150.0);
        }
    }
    assert_eq!(th.point(150, 0.0).unwrap().error, f64::INFINITY);
}
