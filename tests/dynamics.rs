//! Training-time learning curves (DYNAMICS.md): the theory of gradient flow against the
//! static theory as t → ∞, its start E_g(0) = 1 with the initial slope, and exact gradient
//! flow on explicit matrices.

use lcurve::progress::Silent;
use lcurve::{Config, Theory};

fn theory(text: &str) -> Theory {
    Theory::from_spec(Config::from_toml_str(text).unwrap().model(), &Silent).unwrap()
}

fn model(layers: &str, noise: f64) -> String {
    format!(
        "[data]\ndim = 120\nnoise = {noise}\ncovariance = {{ kind = \"power_law\", exponent = 1.0 }}\n\
         target = {{ kind = \"power_law\", exponent = 0.5 }}\n{layers}[readout]\nridge = 0.01\n[samples]\nvalues = [10]\n"
    )
}

/// t → ∞ is the static theory (to 1e-10) once E_g(t) has converged: at λ > 0 with
/// structured spectra (tλ ≥ 50), and ridgeless on both sides of the threshold with
/// isotropic ones (the smallest non-zero eigenvalue of K is then bounded away from 0), for
/// no hidden layer, one layer and two layers (a bottleneck).
#[test]
fn long_times_reach_the_static_theory() {
    let structured = ["", "[[layers]]\nwidth = 150\ncovariance = { kind = \"power_law\", exponent = 0.5 }\n", "[[layers]]\nwidth = 90\n[[layers]]\nwidth = 200\ncovariance = { kind = \"power_law\", exponent = 0.8 }\n"];
    let isotropic = ["", "[[layers]]\nwidth = 150\n", "[[layers]]\nwidth = 90\n[[layers]]\nwidth = 200\n"];
    let mut cases: Vec<(String, f64, f64, f64)> = Vec::new();
    for layers in structured {
        for (p, ridge, t) in [(60.0, 0.05, 1e3), (300.0, 0.05, 1e3), (40.0, 1.0, 100.0)] {
            cases.push((model(layers, 0.2), p, ridge, t));
        }
    }
    for layers in isotropic {
        let text = model(layers, 0.2).replace("covariance = { kind = \"power_law\", exponent = 1.0 }", "");
        // Below the threshold E_g(t) converges by t = 200; above it (the gap of K is smaller
        // behind a layer) by t = 5000.
        for (p, t) in [(40.0, 200.0), (300.0, 5e3)] {
            cases.push((text.clone(), p, 0.0, t));
        }
    }
    for (text, p, ridge, t) in &cases {
        let th = theory(text);
        let stat = th.point_at(*p, *ridge).unwrap();
        let dynamic = th.point_at_time(*p, *ridge, *t).unwrap();
        let rel = (dynamic.error / stat.error - 1.0).abs();
        assert!(
            rel < 1e-10,
            "p = {p}, λ = {ridge}, t = {t}: {} vs {} ({rel:e})\n{text}",
            dynamic.error,
            stat.error
        );
        for (x, y, what) in [(dynamic.bias, stat.bias, "bias"), (dynamic.variance, stat.variance, "variance")]
        {
            assert!((x - y).abs() <= 1e-10 * stat.error, "{what} at p = {p}, λ = {ridge}: {x} vs {y}");
        }
        let diff = (dynamic.train_error - stat.train_error).abs();
        assert!(
            diff <= 1e-10 * stat.train_error.max(1e-3),
            "train at p = {p}, λ = {ridge}: {} vs {}",
            dynamic.train_error,
            stat.train_error
        );
    }
}

/// Late times keep every digit (DYNAMICS §4: the unknowns relative to the static solution):
/// at t = 10⁹, 10¹⁵ and 10¹⁰⁰ (the largest time accepted), where every eigen-direction has converged, E_g(t), its bias and
/// variance and E_tr(t) equal the static theory to 1e-11 for λ from 0 to 10⁶ (λt up to
/// 10²¹), structured and isotropic data, no, one and two hidden layers, below, above and
/// past a bottleneck's threshold. With the plain unknowns (before) the worst case was
/// 1e7 relative (λ = 10⁶, t = 10¹⁵) and 1e-5 at λ = 0, t = 10⁹; now 5e-13.
#[test]
fn late_times_keep_every_digit() {
    let layers = [
        "",
        "[[layers]]\nwidth = 150\ncovariance = { kind = \"power_law\", exponent = 0.5 }\n",
        "[[layers]]\nwidth = 90\n[[layers]]\nwidth = 200\ncovariance = { kind = \"power_law\", exponent = 0.8 }\n",
    ];
    for l in layers {
        for structured in [true, false] {
            let mut text = model(l, 0.2);
            if !structured {
                text = text.replace("covariance = { kind = \"power_law\", exponent = 1.0 }", "");
            }
            let th = theory(&text);
            for p in [40.0, 60.0, 300.0] {
                for ridge in [0.0, 1e-12, 1e-6, 1e-3, 1.0, 1e3, 1e6] {
                    let stat = th.point_at(p, ridge).unwrap();
                    for t in [1e9, 1e15, 1e100] {
                        let dynamic = th.point_at_time(p, ridge, t).unwrap();
                        let at = format!("p = {p}, λ = {ridge:e}, t = {t:e}\n{text}");
                        let rel = (dynamic.error / stat.error - 1.0).abs();
                        assert!(rel < 1e-11, "{at}: {} vs {} ({rel:e})", dynamic.error, stat.error);
                        for (x, y) in [(dynamic.bias, stat.bias), (dynamic.variance, stat.variance)] {
                            assert!((x - y).abs() <= 1e-11 * stat.error, "{at}: split {x} vs {y}");
                        }
                        let diff = (dynamic.train_error - stat.train_error).abs();
                        assert!(diff <= 1e-11 * stat.train_error.max(1e-3), "{at}: train {diff:e}");
                    }
                }
            }
        }
    }
}

/// A raw-scale spectrum (Σ0 = j^−2 unnormalised: tr/max = 1.64, far below min(p, r)) starts
/// its rays where κ_a ≈ tr_a/d holds (the start scales with every spectrum's tr/max; it
/// used min(p, r) alone and found no solution there): the curve starts at the signal and
/// reaches the static theory, on both sides of the threshold.
#[test]
fn raw_scale_spectra_start_in_the_asymptotic_regime() {
    let th = theory(
        "[data]\ndim = 1000\nnoise = 0.1\ncovariance = { kind = \"power_law\", exponent = 2.0, normalize = false }\n\
         target = { kind = \"power_law\", exponent = 0.5 }\n[[layers]]\nwidth = 800\n[readout]\nridge = 0\n[samples]\nvalues = [100]\n",
    );
    for p in [100.0, 900.0] {
        let stat = th.point_at(p, 0.0).unwrap();
        let start = th.point_at_time(p, 0.0, 1e-10).unwrap();
        assert!((start.error - 1.0).abs() < 1e-9, "p = {p}: E_g(1e-10) = {}", start.error);
        let late = th.point_at_time(p, 0.0, 1e15).unwrap();
        assert!((late.error / stat.error - 1.0).abs() < 1e-10, "p = {p}: {} vs {}", late.error, stat.error);
    }
}

/// E_g(t → 0) = 1 (the signal) with slope −2 Σ c² m² (DYNAMICS §5); at the smallest time
/// accepted (1e-50) E_g and E_tr − η² are the signal to 1e-12.
#[test]
fn short_times_start_at_the_signal() {
    let text = model("[[layers]]\nwidth = 150\n", 0.2);
    let th = theory(&text);
    let spec = Config::from_toml_str(&text).unwrap().model().clone();
    let modes = lcurve::model::Model::build(&spec, lcurve::model::Purpose::Theory, &Silent)
        .unwrap()
        .modes(&Silent)
        .unwrap();
    let slope: f64 = 2.0 * modes.m.iter().zip(&modes.c2).map(|(m, c)| c * m * m).sum::<f64>();
    for t in [1e-7, 1e-6] {
        let e = th.point_at_time(80.0, 0.0, t).unwrap().error;
        // E_g(t) = 1 − slope·t + O(t²).
        assert!(
            ((1.0 - e) / t / slope - 1.0).abs() < 1e-3,
            "t = {t}: (1 − E)/t = {} vs {slope}",
            (1.0 - e) / t
        );
    }
    for p in [80.0, 200.0] {
        let pt = th.point_at_time(p, 0.0, lcurve::spec::limits::MIN_TIME).unwrap();
        assert!((pt.error - 1.0).abs() < 1e-12 && (pt.train_error - 1.2).abs() < 1e-12, "{pt:?}");
    }
}

/// Exact gradient flow on explicit matrices (200 trials: X, β*, ξ and the layer's G drawn,
/// K = ΦᵀΦ/p decomposed, v(t) = U φ_t(Λ) Uᵀ Φᵀy/p, E_g = (Fv − β*)ᵀΣ0(Fv − β*)) against the
/// theory at t = 0.3, 3, 30 and 300: |z| < 4, without and with a hidden layer, ridge 0.01
/// and ridgeless.
#[test]
fn exact_gradient_flow_agrees_with_the_theory() {
    use nalgebra::{DMatrix, DVector, SymmetricEigen};
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let (n0, p, noise, trials) = (80usize, 50usize, 0.3f64, 200usize);
    let sigma: Vec<f64> = {
        let raw: Vec<f64> = (1..=n0).map(|j| (j as f64).powf(-0.8)).collect();
        let mean = raw.iter().sum::<f64>() / n0 as f64;
        raw.iter().map(|x| x / mean).collect()
    };
    let text = |layers: &str, ridge: f64| {
        format!(
            "[data]\ndim = {n0}\nnoise = {noise}\ncovariance = {{ kind = \"power_law\", exponent = 0.8 }}\n{layers}\
             [readout]\nridge = {ridge}\n[samples]\nvalues = [{p}]\n"
        )
    };
    let times = [0.3, 3.0, 30.0, 300.0];
    for (layers, width) in [("", 0usize), ("[[layers]]\nwidth = 70\n", 70)] {
        for ridge in [0.01, 0.0] {
            let th = theory(&text(layers, ridge));
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
            let mut sums = vec![(0.0, 0.0); times.len()];
            for _ in 0..trials {
                let mut g = || -> f64 { StandardNormal.sample(&mut rng) };
                // Isotropic target of unit signal: β*_j ~ N(0, 1/n0) in Σ0's (standard) basis.
                let beta = DVector::from_fn(n0, |_, _| g() / (n0 as f64).sqrt());
                let x = DMatrix::from_fn(p, n0, |_, j| g() * sigma[j].sqrt());
                let y = &x * &beta + DVector::from_fn(p, |_, _| g() * noise.sqrt());
                let f = if width == 0 {
                    DMatrix::identity(n0, n0)
                } else {
                    DMatrix::from_fn(n0, width, |_, _| g()) / (width as f64).sqrt()
                };
                let phi = &x * &f;
                let k = phi.transpose() * &phi / p as f64;
                let b = phi.transpose() * &y / p as f64;
                let eig = SymmetricEigen::new(k);
                let ub = eig.eigenvectors.transpose() * &b;
                for (i, &t) in times.iter().enumerate() {
                    let filtered = DVector::from_fn(ub.len(), |j, _| {
                        let kr = eig.eigenvalues[j].max(0.0) + ridge;
                        let phi_t = if kr * t < 1e-12 { t } else { -(-t * kr).exp_m1() / kr };
                        phi_t * ub[j]
                    });
                    let v = &eig.eigenvectors * filtered;
                    let e = &f * v - &beta;
                    let err: f64 = e.iter().zip(&sigma).map(|(e, s)| e * e * s).sum();
                    sums[i].0 += err;
                    sums[i].1 += err * err;
                }
            }
            for (i, &t) in times.iter().enumerate() {
                let mean = sums[i].0 / trials as f64;
                let var = (sums[i].1 / trials as f64 - mean * mean) * trials as f64 / (trials - 1) as f64;
                let theory = th.point_at_time(p as f64, ridge, t).unwrap().error;
                let z = (mean - theory) / (var / trials as f64).sqrt();
                assert!(
                    z.abs() < 4.0,
                    "{layers:?} λ = {ridge}, t = {t}: simulation {mean} vs theory {theory} (z = {z:.2})"
                );
            }
        }
    }
}

/// `[readout] time` in a curve equals the theory at that time; `time = "optimal"` beats
/// every time of a dense grid and the converged readout; `lcurve dynamics` prints the axis
/// and the summary; bad combinations are one line naming the key or the option.
#[test]
fn time_in_configs_and_the_dynamics_command() {
    let base = model("[[layers]]\nwidth = 150\n", 0.2)
        .replace("ridge = 0.01", "ridge = 0.001")
        .replace("values = [10]", "values = [30, 90]");
    let at = |time: &str| {
        let cfg =
            Config::from_toml_str(&base.replace("ridge = 0.001", &format!("ridge = 0.001\ntime = {time}")))
                .unwrap();
        lcurve::curve::run(&cfg, &Silent).unwrap()
    };
    let th = theory(&base);
    let curve = at("7.5");
    let table = curve.table();
    assert_eq!(
        table.columns,
        ["samples", "alpha", "ridge", "time", "error", "bias", "variance", "train_error", "test_mse"]
    );
    for t in curve.at_time.as_ref().unwrap() {
        let direct = th.point_at_time(t.samples, 0.001, 7.5).unwrap();
        assert_eq!(t.error, direct.error);
    }
    let best = at("\"optimal\"");
    for t in best.at_time.as_ref().unwrap() {
        let grid: Vec<f64> = (0..60).map(|i| 10f64.powf(-1.0 + 5.0 * i as f64 / 59.0)).collect();
        let scan = th.points_at_times(t.samples, 0.001, &grid).unwrap();
        let min = scan.iter().map(|q| q.error).fold(f64::INFINITY, f64::min);
        assert!(
            t.error <= min * (1.0 + 1e-9),
            "p = {}: t* = {} gives {} > grid {}",
            t.samples,
            t.time,
            t.error,
            min
        );
        assert!(t.error <= th.point_at(t.samples, 0.001).unwrap().error);
    }
    // Where E_g(t) falls to its converged value and stays there (quickstart's largest p),
    // t* is ∞: a scan minimum within rounding of E_g(∞) is not early stopping (it was
    // reported as t* = 14 427 with E_g(t*) = E_g(∞) − 1e-14).
    let quick =
        Config::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/configs/quickstart.toml")))
            .unwrap();
    let th = Theory::from_spec(quick.model(), &Silent).unwrap();
    for p in [3413.0, 4000.0] {
        let t = th.optimal_time(p, 0.01).unwrap();
        assert!(
            t.time.is_infinite(),
            "p = {p}: t* = {} with {} vs {}",
            t.time,
            t.error,
            th.point_at(p, 0.01).unwrap().error
        );
    }
    // The command line.
    let dir = std::env::temp_dir().join(format!("lcurve_dyn_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("d.toml");
    std::fs::write(&path, &base).unwrap();
    let table = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lcurve"))
            .args(["dynamics", path.to_str().unwrap(), "--times", "0.1:100:4"])
            .args(extra)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // A CSV is one table: the axis by default, the summary with --table summary.
    let (axis, summary) = (table(&[]), table(&["--table", "summary"]));
    assert!(!axis.contains("\n\n") && !summary.contains("\n\n"), "{axis}{summary}");
    assert!(axis.starts_with("samples,time,error,bias,variance,train_error,test_mse\n30,0.1,"), "{axis}");
    assert_eq!(axis.lines().count(), 1 + 2 * 4);
    assert!(
        summary.starts_with("samples,t_star,error_t_star,error_converged,ridge_star,error_ridge_star\n"),
        "{summary}"
    );
    for (edit, key) in [
        ("ridge = 0.001\ntime = 0", "readout.time"),
        ("ridge = \"optimal\"\ntime = 5", "readout.time"),
        ("ridge = 0.001\nensemble = 4\ntime = 5", "readout.time"),
    ] {
        let e = Config::from_toml_str(&base.replace("ridge = 0.001", edit)).unwrap_err().to_string();
        assert!(e.contains(key), "{edit}: {e}");
    }
    let relu = base
        .replace("width = 150\n", "width = 150\nactivation = \"relu\"\n")
        .replace("ridge = 0.001", "ridge = 0.001\ntime = 5");
    let e = Config::from_toml_str(&relu).unwrap_err().to_string();
    assert!(e.contains("readout.time") && e.contains("linear"), "{e}");
}

/// `validate` with a finite training time simulates exact gradient flow: |z| < 4 for no
/// hidden layer, an isotropic layer and a structured bottleneck with aligned Γ, at four
/// times each (60 trials, four sample sizes on both sides of the threshold).
#[test]
fn validate_at_finite_times_agrees() {
    use lcurve::validate;
    use lcurve::Simulation;
    let nets = [
        "",
        "[[layers]]\nwidth = 180\n",
        "[[layers]]\nwidth = 60\ncovariance = { kind = \"power_law\", exponent = 0.5 }\ninput_covariance = { kind = \"data_power\", exponent = 0.5 }\n[[layers]]\nwidth = 180\n",
    ];
    for layers in nets {
        for time in ["0.1", "1", "10", "1000"] {
            let text = model(layers, 0.2)
                .replace("ridge = 0.01", &format!("ridge = 0\ntime = {time}"))
                .replace("values = [10]", "values = [30, 100, 200, 400]");
            let cfg = Config::from_toml_str(&text).unwrap();
            let opts = Simulation {
                trials: 60,
                seed: 7,
                scale: 1.0,
                inputs: lcurve::Inputs::Gaussian,
                ..Default::default()
            };
            let v = validate::run(&cfg, &opts, &Silent).unwrap();
            let z = v.agreement.max_abs_z.unwrap();
            assert!(z < 4.0, "{layers:?} t = {time}: {}", v.summary_line());
            assert!(v.rows.iter().all(|r| r.time == Some(time.parse().unwrap())));
        }
    }
}

/// A dense time axis (the windowed rule of DYNAMICS §3: one set of saddle points per factor
/// 2 of t) agrees with the per-time rule at every time, to 1e-10.
#[test]
fn windowed_axis_matches_the_per_time_rule() {
    let th = theory(&model("[[layers]]\nwidth = 90\n[[layers]]\nwidth = 200\n", 0.2));
    let times: Vec<f64> = (0..40).map(|i| 10f64.powf(-1.0 + 4.0 * i as f64 / 39.0)).collect();
    for (p, ridge) in [(60.0, 0.01), (300.0, 0.0), (90.0, 0.0)] {
        let axis = th.points_at_times(p, ridge, &times).unwrap();
        for (a, &t) in axis.iter().zip(&times) {
            let one = th.point_at_time(p, ridge, t).unwrap();
            assert_eq!(a.time, t);
            for (x, y, what) in [
                (a.error, one.error, "E_g"),
                (a.train_error, one.train_error, "E_tr"),
                (a.bias, one.bias, "bias"),
            ] {
                assert!(
                    (x - y).abs() <= 1e-10 * one.error.max(1e-3),
                    "p = {p}, λ = {ridge}, t = {t}, {what}: {x} vs {y}"
                );
            }
        }
    }
}

/// The closed form without a hidden layer and with isotropic data (Σ0 = I, isotropic target
/// of unit signal): K = XᵀX/p has the Marchenko–Pastur law of ratio γ = n0/p, and
/// E_g(t) = ∫ (1 − kφ_t(k))² dMP(k) + η² γ ∫ k φ_t(k)² dMP(k), φ_t(k) = (1 − e^{−t(k+λ)})/(k+λ)
/// (with the atom 1 − 1/γ at k = 0 when γ > 1), integrated in θ (k = m + h cos θ) to 1e-14;
/// the theory agrees to 1e-9 for ridgeless and ridge, on both sides of p = n0.
#[test]
fn isotropic_closed_form_by_marchenko_pastur() {
    let n0 = 200usize;
    let noise = 0.3;
    let text = |p: usize, ridge: f64| {
        format!(
            "[data]\ndim = {n0}\nnoise = {noise}\n[readout]\nridge = {ridge}\n[samples]\nvalues = [{p}]\n"
        )
    };
    for (p, ridge) in [(100usize, 0.0), (400, 0.0), (100, 0.1), (400, 0.05)] {
        let th = theory(&text(p, ridge));
        let gamma = n0 as f64 / p as f64;
        let (a, b) = ((1.0 - gamma.sqrt()).powi(2), (1.0 + gamma.sqrt()).powi(2));
        let (m, h) = ((a + b) / 2.0, (b - a) / 2.0);
        for t in [0.3, 3.0, 30.0] {
            let phi = |k: f64| {
                let x = k + ridge;
                if x * t < 1e-12 {
                    t
                } else {
                    -(-t * x).exp_m1() / x
                }
            };
            // MP density √((b−k)(k−a))/(2πγk); with k = m + h cos θ, dk = h sin θ dθ and the
            // square root h sin θ: a smooth periodic integrand, midpoint rule in θ ∈ (0, π).
            let n = 2000;
            let (mut bias, mut var) = (0.0, 0.0);
            for i in 0..n {
                let th_ = std::f64::consts::PI * (i as f64 + 0.5) / n as f64;
                let k = m + h * th_.cos();
                let dens = (h * th_.sin()).powi(2) / (2.0 * std::f64::consts::PI * gamma * k)
                    * std::f64::consts::PI
                    / n as f64;
                bias += dens * (1.0 - k * phi(k)).powi(2);
                var += dens * k * phi(k).powi(2);
            }
            if gamma > 1.0 {
                bias += 1.0 - 1.0 / gamma; // the atom at k = 0: nothing of β* is learnt there
            }
            let exact = bias + noise * gamma * var;
            let got = th.point_at_time(p as f64, ridge, t).unwrap();
            assert!(
                (got.error / exact - 1.0).abs() < 1e-9,
                "p = {p}, λ = {ridge}, t = {t}: {} vs {exact}",
                got.error
            );
            assert!(
                (got.bias / bias - 1.0).abs() < 1e-9,
                "bias p = {p}, λ = {ridge}, t = {t}: {} vs {bias}",
                got.bias
            );
        }
    }
}

/// `dynamics --validate` follows each trained network along the axis: agreement with the
/// theory (|z| < 4) and, at each time, exactly `validate`'s trials at that time (the same
/// streams, data, weights and gradient flow).
#[test]
fn dynamics_validate_follows_validate() {
    use lcurve::dynamics::run_with;
    use lcurve::validate;
    use lcurve::Simulation;
    let text = model("[[layers]]\nwidth = 150\n", 0.2)
        .replace("ridge = 0.01", "ridge = 0")
        .replace("values = [10]", "values = [60, 200]");
    let cfg = Config::from_toml_str(&text).unwrap();
    let times = [0.2, 2.0, 20.0];
    let d = run_with(&cfg, &times, Some(&sim_run(30, 5, None, None)), &Silent).unwrap();
    assert!(d.max_abs_z().unwrap() < 4.0, "{:?}", d.max_abs_z());
    for (k, &t) in times.iter().enumerate() {
        let at =
            Config::from_toml_str(&text.replace("ridge = 0", &format!("ridge = 0\ntime = {t}"))).unwrap();
        let v = validate::run(
            &at,
            &Simulation {
                trials: 30,
                seed: 5,
                scale: 1.0,
                inputs: lcurve::Inputs::Gaussian,
                ..Default::default()
            },
            &Silent,
        )
        .unwrap();
        for (i, row) in v.rows.iter().enumerate() {
            let (e, _) = &d.simulated.as_ref().unwrap()[i * times.len() + k];
            assert_eq!(row.mc.mean, e.mean, "p = {}, t = {t}", row.samples);
        }
    }
}

/// The trials of `dynamics --validate` are kept in the results store under `validate`'s
/// keys at each time: a later `validate` at one of those times simulates nothing, and a
/// second dynamics run takes every trial from the store with the same numbers.
#[test]
fn dynamics_validate_shares_the_store() {
    use lcurve::dynamics::run_with;
    use lcurve::validate;
    use lcurve::Simulation;
    let dir = std::env::temp_dir().join(format!("lcurve_dyn_store_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = lcurve::store::Store::open(&dir).unwrap();
    let text = model("", 0.2)
        .replace("ridge = 0.01", "ridge = 0.001")
        .replace("values = [10]", "values = [40, 150]");
    let cfg = Config::from_toml_str(&text).unwrap();
    let times = [0.5, 5.0];
    let store = std::sync::Arc::new(store);
    let sim = sim_run(8, 3, Some(&store), None);
    let first = run_with(&cfg, &times, Some(&sim), &Silent).unwrap();
    let at = Config::from_toml_str(&text.replace("ridge = 0.001", "ridge = 0.001\ntime = 5")).unwrap();
    let v = validate::run_stored(
        &at,
        &Simulation {
            trials: 8,
            seed: 3,
            scale: 1.0,
            inputs: lcurve::Inputs::Gaussian,
            ..Default::default()
        },
        Some(&*store),
        &Silent,
    )
    .unwrap();
    assert_eq!(v.from_store, 2 * 8, "every trial of validate at t = 5 comes from the dynamics run");
    for (i, row) in v.rows.iter().enumerate() {
        assert_eq!(row.mc.mean, first.simulated.as_ref().unwrap()[i * 2 + 1].0.mean);
    }
    let again = run_with(&cfg, &times, Some(&sim), &Silent).unwrap();
    assert_eq!(first.table(), again.table());
    let _ = std::fs::remove_dir_all(&dir);
    // Two shards into a fresh store, then the assembling run: the unsharded numbers.
    let store = std::sync::Arc::new(lcurve::store::Store::open(&dir).unwrap());
    let sim = sim_run(8, 3, Some(&store), None);
    for index in 0..2 {
        let shard = Some(lcurve::trials::Shard { index, count: 2 });
        let part = run_with(&cfg, &times, Some(&sim_run(8, 3, Some(&store), shard)), &Silent).unwrap();
        assert!(part.simulated.is_none());
    }
    let assembled = run_with(&cfg, &times, Some(&sim), &Silent).unwrap();
    assert_eq!(assembled.table(), first.table());
    let _ = std::fs::remove_dir_all(&dir);
}

/// At the ridgeless interpolation threshold p = r, E_g(t) is finite at every time and grows
/// without bound as t → ∞ (DYNAMICS §5), where the static theory is +∞.
#[test]
fn at_the_threshold_the_error_is_finite_and_grows() {
    let th = theory(&model("[[layers]]\nwidth = 150\n", 0.2));
    assert_eq!(th.rank(), 120.0);
    assert!(th.point_at(120.0, 0.0).unwrap().error.is_infinite());
    let errors: Vec<f64> =
        [1.0, 10.0, 100.0, 1000.0].iter().map(|&t| th.point_at_time(120.0, 0.0, t).unwrap().error).collect();
    assert!(errors.iter().all(|e| e.is_finite()), "{errors:?}");
    assert!(errors.windows(2).all(|w| w[1] > w[0]) && errors[3] > 3.0 * errors[1], "{errors:?}");
}

/// Run options of `trials` trials with `seed`, an optional store and shard.
fn sim_run(
    trials: usize,
    seed: u64,
    store: Option<&std::sync::Arc<lcurve::store::Store>>,
    shard: Option<lcurve::trials::Shard>,
) -> lcurve::run::RunOptions {
    lcurve::run::RunOptions {
        store: store.cloned(),
        shard,
        ..lcurve::run::RunOptions::with_overrides(lcurve::SimulationOverrides {
            trials: Some(trials),
            seed: Some(seed),
            ..Default::default()
        })
    }
}
