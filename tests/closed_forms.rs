//! THEORY §6: closed forms of the isotropic model, to 1e-9 relative.

use lcurve::model::DataSpectrum;
use lcurve::Theory;

const REL: f64 = 1e-9;

fn isotropic(n0: usize, noise: f64, widths: &[usize]) -> Theory {
    let modes = DataSpectrum::new(vec![1.0; n0], vec![1.0 / n0 as f64; n0]);
    let layers: Vec<(usize, Vec<f64>)> = widths.iter().map(|&w| (w, vec![1.0; w])).collect();
    Theory::new(n0, noise, modes, &layers)
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= REL * b.abs().max(1e-300),
        "{what}: got {a}, expected {b} (rel {:e})",
        ((a - b) / b).abs()
    );
}

/// E_g of the deep isotropic model at λ = 0 (THEORY §6).
fn deep_closed_form(alpha: f64, nus: &[f64], noise: f64) -> f64 {
    let nu_min = nus.iter().copied().fold(f64::INFINITY, f64::min);
    if nus.is_empty() || alpha < nu_min.min(1.0) {
        let s: f64 = nus.iter().map(|nu| alpha / (nu - alpha)).sum();
        if alpha < 1.0 {
            return (1.0 - alpha) * (1.0 + s) + noise * (alpha / (1.0 - alpha) + s);
        }
    }
    if nu_min < 1.0 && alpha > nu_min {
        alpha * (1.0 - nu_min) / (alpha - nu_min) + noise * nu_min / (alpha - nu_min)
    } else {
        assert!(alpha > 1.0);
        noise / (alpha - 1.0)
    }
}

#[test]
fn deep_isotropic_ridgeless_matches_closed_forms() {
    let n0 = 400;
    for widths in [vec![600], vec![200], vec![600, 300], vec![500, 800, 700], vec![400, 1000]] {
        let nus: Vec<f64> = widths.iter().map(|&w| w as f64 / n0 as f64).collect();
        for noise in [0.0, 0.1, 0.5] {
            let th = isotropic(n0, noise, &widths);
            for p in [1, 37, 150, 199, 201, 250, 399, 401, 650, 1200, 5000] {
                if p as f64 == th.rank() {
                    continue;
                }
                let pt = th.point(p, 0.0).unwrap();
                let alpha = p as f64 / n0 as f64;
                let expected = deep_closed_form(alpha, &nus, noise);
                close(pt.error, expected, &format!("widths {widths:?} η² {noise} p {p}"));
                close(pt.bias + pt.variance, pt.error, "bias + variance");
            }
        }
    }
}

#[test]
fn plain_ridgeless_regression_matches_closed_forms() {
    let n0 = 300;
    for noise in [0.0, 0.2, 1.0] {
        let th = isotropic(n0, noise, &[]);
        for p in [10, 100, 299, 301, 450, 3000] {
            let gamma = n0 as f64 / p as f64;
            let expected = if gamma < 1.0 {
                noise * gamma / (1.0 - gamma)
            } else {
                (1.0 - 1.0 / gamma) + noise / (gamma - 1.0)
            };
            let pt = th.point(p, 0.0).unwrap();
            close(pt.error, expected, &format!("L = 0, η² {noise}, p {p}"));
        }
    }
}

#[test]
fn threshold_is_infinite_not_nan() {
    let th = isotropic(200, 0.1, &[300]);
    let pt = th.point(200, 0.0).unwrap();
    assert_eq!(pt.error, f64::INFINITY);
    assert_eq!(pt.train_error, 0.0);
    let th = isotropic(200, 0.1, &[120, 500]);
    let pt = th.point(120, 0.0).unwrap();
    assert_eq!(pt.error, f64::INFINITY);
    assert_eq!(pt.bias, f64::INFINITY);
    // Noiseless, data bottleneck: the bias tends to 0 on both sides; no divergence.
    let th = isotropic(200, 0.0, &[300]);
    let pt = th.point(200, 0.0).unwrap();
    assert_eq!(pt.error, 0.0);
}

#[test]
fn small_ridge_approaches_ridgeless_closed_form() {
    let n0 = 400;
    let th = isotropic(n0, 0.3, &[600, 500]);
    for p in [100, 300, 700, 2000] {
        let exact = th.point(p, 0.0).unwrap().error;
        let pt = th.point(p, 1e-12).unwrap();
        assert!((pt.error - exact).abs() < 1e-6 * exact, "p {p}: {} vs {exact}", pt.error);
    }
}
