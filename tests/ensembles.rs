//! THEORY §7: ensembles over feature draws. Closed forms of the isotropic model, the
//! infinite ensemble against an independent solve (ridge regression on the data at the
//! renormalised ridge), the exact 1/K law, every limit without NaN, λ* of an ensemble,
//! simulation of K members on shared data, and bad input.

mod common;
use common::{assert_bad_input, run, scratch, write};
use lcurve::model::DataSpectrum;
use lcurve::progress::Silent;
use lcurve::validate::run as validate;
use lcurve::Ensemble;
use lcurve::Simulation;
use lcurve::{Config, Ridge};
use lcurve::{Point, Theory};

const REL: f64 = 1e-9;

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= REL * b.abs().max(1e-300),
        "{what}: got {a}, expected {b} (rel {:e})",
        ((a - b) / b).abs()
    );
}

fn isotropic(n0: usize, noise: f64, widths: &[usize]) -> Theory {
    let modes = DataSpectrum::new(vec![1.0; n0], vec![1.0 / n0 as f64; n0]);
    let layers: Vec<(usize, Vec<f64>)> = widths.iter().map(|&w| (w, vec![1.0; w])).collect();
    Theory::new(n0, noise, modes, &layers)
}

/// Power-law data (exponent 1) and target (exponent 0.5), normalised, with power-law layers.
fn structured(n0: usize, noise: f64, widths: &[usize]) -> (Theory, DataSpectrum) {
    let m: Vec<f64> = (1..=n0).map(|i| 1.0 / i as f64).collect();
    let mean = m.iter().sum::<f64>() / n0 as f64;
    let m: Vec<f64> = m.iter().map(|x| x / mean).collect();
    let b: Vec<f64> = (1..=n0).map(|i| (i as f64).powf(-0.5)).collect();
    let signal: f64 = m.iter().zip(&b).map(|(m, b)| m * b).sum();
    let modes = DataSpectrum::new(m, b.iter().map(|b| b / signal).collect());
    let layers: Vec<(usize, Vec<f64>)> =
        widths.iter().map(|&w| (w, (1..=w).map(|i| (i as f64).powf(-0.5)).collect())).collect();
    (Theory::new(n0, noise, modes.clone(), &layers), modes)
}

/// §7's closed form of E_∞ for the isotropic model at λ = 0.
fn infinite_closed_form(alpha: f64, nu_min: f64, noise: f64) -> f64 {
    if alpha < nu_min.min(1.0) {
        (1.0 - alpha) + noise * alpha / (1.0 - alpha)
    } else if nu_min < 1.0 {
        ((1.0 - nu_min).powi(2) + noise * nu_min * nu_min / alpha) / (1.0 - nu_min * nu_min / alpha)
    } else {
        assert!(alpha > 1.0);
        noise / (alpha - 1.0)
    }
}

#[test]
fn isotropic_ridgeless_closed_forms() {
    let n0 = 400;
    for widths in [vec![600], vec![200], vec![600, 300], vec![500, 800, 700], vec![120, 900]] {
        let nus: Vec<f64> = widths.iter().map(|&w| w as f64 / n0 as f64).collect();
        let nu_min = nus.iter().copied().fold(f64::INFINITY, f64::min);
        for noise in [0.0, 0.1, 0.5] {
            let th = isotropic(n0, noise, &widths);
            for p in [1, 37, 119, 121, 150, 199, 200, 201, 250, 300, 399, 401, 650, 1200, 5000] {
                let alpha = p as f64 / n0 as f64;
                if p == n0 && nu_min >= 1.0 {
                    continue; // the data is the bottleneck: E_∞ = E_g = +∞ (or 0 without noise)
                }
                let what = format!("widths {widths:?} η² {noise} p {p}");
                let pt = th.point(p, 0.0).unwrap();
                close(pt.error_inf.unwrap(), infinite_closed_form(alpha, nu_min, noise), &what);
                close(
                    pt.bias_inf.unwrap() + pt.variance_inf.unwrap(),
                    pt.error_inf.unwrap(),
                    "bias_inf + variance_inf",
                );
                if alpha < nu_min.min(1.0) {
                    let s: f64 = nus.iter().map(|nu| alpha / (nu - alpha)).sum();
                    close(
                        pt.init_variance.unwrap(),
                        (1.0 - alpha + noise) * s,
                        &format!("{what}: init variance"),
                    );
                }
                if nu_min > 1.0 && alpha > 1.0 {
                    close(pt.error_inf.unwrap(), pt.error, &format!("{what}: data bottleneck"));
                    assert_eq!(pt.init_variance.unwrap(), 0.0);
                }
            }
        }
    }
}

/// The narrow layer's peak is initialisation variance: at p = r the single learner
/// diverges and the infinite ensemble is finite, with the closed form at α = ν.
#[test]
fn narrow_layer_peak_is_initialisation_variance() {
    let th = isotropic(400, 0.1, &[200]);
    let pt = th.point(200, 0.0).unwrap();
    assert_eq!(pt.error, f64::INFINITY);
    close(pt.error_inf.unwrap(), infinite_closed_form(0.5, 0.5, 0.1), "E_∞ at p = r");
    assert_eq!(pt.init_variance.unwrap(), f64::INFINITY);
    assert_eq!(Ensemble::Members(1000).error(&pt).unwrap(), f64::INFINITY);
    assert_eq!(Ensemble::Infinite.error(&pt).unwrap(), pt.error_inf.unwrap());
}

/// E_∞ is ridge regression on the Γ-transformed data at κ̃ = κ_0 (1 − d/p): compare with
/// the solver of the model without hidden layers at that ridge.
#[test]
fn infinite_ensemble_is_ridge_on_the_data_at_the_renormalised_ridge() {
    let n0 = 300;
    for widths in [vec![450], vec![120], vec![400, 150], vec![600, 500]] {
        let (th, modes) = structured(n0, 0.2, &widths);
        let data_only = Theory::new(n0, 0.2, modes, &[]);
        let r = th.rank() as usize;
        for ridge in [0.0, 1e-4, 1e-2, 0.3] {
            for p in [20, 90, 200, r + 37, 700, 2000] {
                let pt = th.point(p, ridge).unwrap();
                let what = format!("widths {widths:?} λ {ridge} p {p}");
                if pt.kappa_data == 0.0 {
                    close(pt.error_inf.unwrap(), pt.error, &format!("{what}: data bottleneck"));
                    continue;
                }
                let ridge_tilde = pt.kappa_data * (1.0 - pt.df / p as f64);
                let direct = data_only.point(p, ridge_tilde).unwrap();
                close(pt.error_inf.unwrap(), direct.error, &what);
                close(pt.bias_inf.unwrap(), direct.bias, &format!("{what}: bias"));
                close(pt.variance_inf.unwrap(), direct.variance, &format!("{what}: variance"));
            }
        }
    }
}

/// Without hidden layers, and when the data is the bottleneck, the ensemble is the learner.
#[test]
fn no_layers_and_data_bottleneck_have_no_initialisation_variance() {
    let (th, _) = structured(200, 0.3, &[]);
    for p in [10, 150, 199, 250, 900] {
        for ridge in [0.0, 1e-3, 1.0] {
            let pt = th.point(p, ridge).unwrap();
            assert_eq!((pt.error_inf.unwrap(), pt.init_variance.unwrap()), (pt.error, 0.0));
        }
    }
    // Rank-50 data under wide layers: ridgeless past p = 50 the data is the bottleneck.
    let mut m = vec![0.0; 200];
    m[..50].iter_mut().enumerate().for_each(|(i, x)| *x = 1.0 / (i + 1) as f64);
    let modes = DataSpectrum::new(m, vec![0.01; 200]);
    let th = Theory::new(200, 0.3, modes, &[(300, vec![1.0; 300])]);
    for p in [51, 80, 400] {
        let pt = th.point(p, 0.0).unwrap();
        close(pt.error_inf.unwrap(), pt.error, &format!("p {p}"));
        assert_eq!(pt.init_variance.unwrap(), 0.0);
    }
}

fn check_point(pt: &Point, what: &str) {
    let fields =
        [pt.error_inf.unwrap(), pt.bias_inf.unwrap(), pt.variance_inf.unwrap(), pt.init_variance.unwrap()];
    assert!(fields.iter().all(|x| !x.is_nan() && *x >= 0.0), "{what}: {pt:?}");
    assert!(
        pt.error_inf.unwrap() <= pt.error * (1.0 + 1e-12),
        "{what}: E_∞ {} > E_g {}",
        pt.error_inf.unwrap(),
        pt.error
    );
    // The 1/K law: K = 1 is the learner itself, E_g(K) decreases to E_∞.
    assert_eq!(Ensemble::SINGLE.error(pt), Some(pt.error));
    let mut last = pt.error;
    for k in [2, 4, 16, 1 << 20] {
        let e = Ensemble::Members(k).error(pt).unwrap();
        assert!(!e.is_nan() && e <= last && e >= pt.error_inf.unwrap(), "{what}: K = {k}");
        last = e;
    }
    if pt.error.is_finite() {
        let tol = 1e-5 * pt.init_variance.unwrap() + 1e-15 * pt.error;
        assert!(
            last - pt.error_inf.unwrap() <= tol,
            "{what}: K = 2^20 gives {last}, E_∞ = {}",
            pt.error_inf.unwrap()
        );
    }
}

/// Every regime, extreme ridges included: never NaN, 0 ≤ E_∞ ≤ E_g, the 1/K law.
#[test]
fn every_regime_is_finite_ordered_and_exact_in_one_over_k() {
    for widths in [vec![], vec![100], vec![500], vec![150, 90], vec![700, 700]] {
        for noise in [0.0, 0.5] {
            let (th, _) = structured(200, noise, &widths);
            let r = th.rank() as usize;
            for p in [1, 50, r - 1, r, r + 1, 400, 10_000] {
                for ridge in [0.0, 1e-300, 1e-12, 1e-3, 1.0, 1e6, 1e300] {
                    let pt = th.point(p, ridge).unwrap();
                    check_point(&pt, &format!("widths {widths:?} η² {noise} p {p} λ {ridge:e}"));
                }
            }
        }
    }
}

/// With an ensemble, λ* minimises E_g(K): no λ of a fine grid does better, and the
/// infinite ensemble's optimum is at most the single learner's λ*'s E_∞.
#[test]
fn optimal_ridge_minimises_the_ensemble_error() {
    let (th, _) = structured(300, 0.5, &[150]);
    for p in [60, 150, 400] {
        for k in [Ensemble::SINGLE, Ensemble::Members(4), Ensemble::Infinite] {
            let best = th.optimal_point(p, k).unwrap();
            for i in 0..=80 {
                let lam = 10f64.powf(-8.0 + 0.1 * i as f64);
                let e = k.error(&th.point(p, lam).unwrap()).unwrap();
                assert!(
                    k.error(&best).unwrap() <= e * (1.0 + 1e-7),
                    "p {p} K {k}: λ* {} worse than λ {lam}",
                    best.ridge
                );
            }
        }
        let single = th.optimal_point(p, Ensemble::SINGLE).unwrap();
        let inf = th.optimal_point(p, Ensemble::Infinite).unwrap();
        assert!(inf.error_inf.unwrap() <= single.error_inf.unwrap() * (1.0 + 1e-9));
    }
}

fn narrow_config(ensemble: &str, ridge: &str) -> String {
    format!(
        "[data]\ndim = 300\nnoise = 0.1\ncovariance = {{ kind = \"power_law\", exponent = 1.0 }}\n\
         target = {{ kind = \"power_law\", exponent = 0.5 }}\n\
         [[layers]]\nwidth = 150\ncovariance = {{ kind = \"power_law\", exponent = 0.5 }}\n\
         input_covariance = {{ kind = \"data_power\", exponent = 0.5 }}\n\
         [readout]\nridge = {ridge}\n{ensemble}\n[samples]\nvalues = [60, 120, 180, 240, 450]\n"
    )
}

/// K = 4 members on shared data against the theory, seeded. The ensemble's and the single
/// learner's |z| stay below 3.5 (200 trials; the §7 check found |z| ≤ 1.4 at these sizes
/// away from the peak) and the first member is exactly the single-learner simulation.
#[test]
fn simulated_ensembles_agree_with_the_theory() {
    for ridge in ["0", "0.01"] {
        let cfg = Config::from_toml_str(&narrow_config("ensemble = 4", ridge)).unwrap();
        let opts = Simulation {
            trials: 200,
            seed: 5,
            scale: 1.0,
            inputs: lcurve::Inputs::Gaussian,
            ..Default::default()
        };
        let v = validate(&cfg, &opts, &Silent).unwrap();
        for r in &v.rows {
            let one = r.single.as_ref().unwrap();
            for (what, z) in [("ensemble", r.z), ("single", one.z), ("bias", r.mc_bias.z(r.bias_theory))] {
                let z = z.unwrap();
                assert!(z.abs() < 3.5, "λ {ridge} p {}: {what} z = {z}", r.samples);
            }
            assert!(r.theory < one.theory, "the ensemble of 4 beats one learner");
        }
        // The first member draws exactly what a single-learner run draws.
        let single = Config::from_toml_str(&narrow_config("", ridge)).unwrap();
        let s = validate(&single, &opts, &Silent).unwrap();
        for (a, b) in v.rows.iter().zip(&s.rows) {
            assert_eq!(a.single.as_ref().unwrap().mc.mean, b.mc.mean);
            assert!(b.single.is_none());
        }
    }
}

/// The infinite ensemble is estimated without bias from member pairs: finite at the
/// narrow layer's peak, where every single learner diverges.
#[test]
fn simulated_infinite_ensemble_agrees_at_the_peak() {
    let cfg = Config::from_toml_str(&narrow_config("ensemble = \"infinite\"", "0")).unwrap();
    let v = validate(
        &cfg,
        &Simulation {
            trials: 100,
            seed: 2,
            scale: 1.0,
            inputs: lcurve::Inputs::Gaussian,
            ..Default::default()
        },
        &Silent,
    )
    .unwrap();
    for r in &v.rows {
        assert!(r.theory.is_finite());
        let z = r.z.unwrap();
        assert!(z.abs() < 3.5, "p {}: z = {z}", r.samples);
    }
    assert!(v.summary_line().contains("infinite ensemble"), "{}", v.summary_line());
}

#[test]
fn curve_and_validate_columns() {
    let dir = scratch("ensemble_columns");
    let plain = write(&dir, "plain.toml", &narrow_config("", "0.01"));
    let (code, out, _) = run(&["curve", plain.to_str().unwrap()]);
    assert_eq!(code, 0);
    let header = out.lines().next().unwrap();
    assert!(header.ends_with(",kappa_1,error_inf,bias_inf,variance_inf,init_variance"), "{header}");
    let k4 = write(&dir, "k4.toml", &narrow_config("ensemble = 4", "\"optimal\""));
    let (code, out, _) = run(&["curve", k4.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["ensemble"], 4);
    let pt = &doc["points"][0];
    let (e, ei, iv) = (
        pt["error"].as_f64().unwrap(),
        pt["error_inf"].as_f64().unwrap(),
        pt["init_variance"].as_f64().unwrap(),
    );
    close(pt["error_ensemble"].as_f64().unwrap(), ei + iv / 4.0, "error_ensemble");
    close(e - ei, iv, "init_variance");
    let cfg = Config::load(&k4).unwrap();
    assert_eq!((cfg.ridge(), cfg.ensemble()), (Ridge::Optimal, Some(Ensemble::Members(4))));
    let (code, out, err) = run(&["validate", k4.to_str().unwrap(), "--trials", "3"]);
    assert_eq!(code, 0, "{err}");
    let header = out.lines().next().unwrap();
    assert!(
        header.contains(",z,theory_single,mc_single_mean,mc_single_stderr,z_single,train_theory,"),
        "{header}"
    );
    assert!(err.contains("ensembles of 4") && err.contains("single learner"), "{err}");
}

#[test]
fn bad_ensembles_are_one_line_errors() {
    let dir = scratch("ensemble_bad");
    let out = dir.join("out.csv");
    for (i, bad) in
        ["0", "-3", "2.5", "\"many\"", "true", "[4]", "1000001", "9223372036854775807"].iter().enumerate()
    {
        let path = write(&dir, &format!("bad{i}.toml"), &narrow_config(&format!("ensemble = {bad}"), "0.01"));
        let (_, err) = assert_bad_input(
            bad,
            &["curve", path.to_str().unwrap(), "--out", out.to_str().unwrap()],
            path.to_str().unwrap(),
            "readout.ensemble",
            &out,
        );
        assert!(err.contains("expected an integer from 1 to 1000000 or \"infinite\""), "{err}");
    }
    // Through --set as well.
    let ok = write(&dir, "ok.toml", &narrow_config("", "0.01"));
    let (code, _, err) = run(&["curve", ok.to_str().unwrap(), "--set", "readout.ensemble=0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("readout.ensemble"), "{err}");
    let (code, out, _) = run(&["curve", ok.to_str().unwrap(), "--set", "readout.ensemble=infinite"]);
    assert_eq!(code, 0);
    assert!(out.lines().next().unwrap().ends_with("init_variance,error_ensemble"));
}
