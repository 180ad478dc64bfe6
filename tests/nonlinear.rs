//! Nonlinear activations (NONLINEAR.md): configs, theory against closed forms and the
//! linear theory, Gaussian coefficients against direct quadrature, the simulation of the
//! true networks, the low-effective-rank warning and bad input.

mod common;

use common::{assert_bad_input, run, scratch, write};
use lcurve::progress::Silent;
use lcurve::validate;
use lcurve::Activation;
use lcurve::Config;
use lcurve::Simulation;

/// One hidden layer of width `width` on isotropic data of dimension `dim`.
fn one_layer(dim: usize, width: usize, activation: &str, ridge: &str, samples: &[usize]) -> String {
    format!(
        "[data]\ndim = {dim}\nnoise = 0.1\n\n[[layers]]\nwidth = {width}\nactivation = {activation}\n\n\
         [readout]\nridge = {ridge}\n\n[samples]\nvalues = {samples:?}\n"
    )
}

fn curve(text: &str) -> Vec<lcurve::theory::Point> {
    lcurve::curve::run(&Config::from_toml_str(text).unwrap(), &Silent).unwrap().points
}

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol * b.abs().max(1e-12), "{what}: {a} vs {b} (tolerance {tol:e})");
}

/// `activation = "linear"` (and the identity's coefficients) is the existing model bit for
/// bit; the nonlinear chain with linear-like coefficients (μ1 ≠ 1 only rescales S) equals
/// the linear theory with S scaled by μ1² to 1e-10.
#[test]
fn linear_activation_is_the_linear_model() {
    let base = "[data]\ndim = 120\nnoise = 0.2\ncovariance = { kind = \"power_law\", exponent = 0.8 }\n\
        target = { kind = \"power_law\", exponent = 0.5 }\n\n\
        [[layers]]\nwidth = 90\ncovariance = { kind = \"power_law\", exponent = 0.6 }\nACT\n\n\
        [[layers]]\nwidth = 200\n\n[readout]\nridge = RIDGE\n\n[samples]\nvalues = [30, 89, 90, 91, 150, 400]\n";
    for ridge in ["0", "1e-3", "0.5", "\"optimal\""] {
        let text = |act: &str| base.replace("ACT", act).replace("RIDGE", ridge);
        let plain = curve(&text(""));
        assert_eq!(plain, curve(&text("activation = \"linear\"")), "ridge {ridge}");
        assert_eq!(plain, curve(&text("activation = { mu0 = 0, mu1 = 1, mustar = 0 }")), "ridge {ridge}");
    }
    // μ1 = 2, μ* = 0 runs through the nonlinear chain (the offsets of μ0 do not matter for
    // an affine σ); S_1 scaled by μ1² = 4 is renormalised to mean 1, so compare with
    // normalize = false on both sides.
    let scaled = |act: &str, exponent_scale: &str| {
        base.replace("ACT", act)
            .replace("RIDGE", "0")
            .replace("{ kind = \"power_law\", exponent = 0.6 }", exponent_scale)
    };
    let values: Vec<String> = (1..=90).map(|j| format!("{}", (j as f64).powf(-0.6))).collect();
    let four: Vec<String> = (1..=90).map(|j| format!("{}", 4.0 * (j as f64).powf(-0.6))).collect();
    let chain = curve(&scaled(
        "activation = { mu0 = 0.3, mu1 = 2, mustar = 0 }",
        &format!("{{ kind = \"diagonal\", values = [{}], normalize = false }}", values.join(", ")),
    ));
    let linear = curve(&scaled(
        "",
        &format!("{{ kind = \"diagonal\", values = [{}], normalize = false }}", four.join(", ")),
    ));
    for (a, b) in chain.iter().zip(&linear) {
        let what = format!("p = {}", a.samples);
        if b.error.is_infinite() {
            assert!(a.error.is_infinite(), "{what}: {} vs ∞", a.error);
            continue;
        }
        for (x, y, name) in
            [(a.error, b.error, "E_g"), (a.bias, b.bias, "bias"), (a.df, b.df, "df"), (a.df2, b.df2, "df2")]
        {
            close(x, y, 1e-10, &format!("{what}: {name}"));
        }
        close(a.train_error, b.train_error, 1e-10, &format!("{what}: E_tr"));
        assert!(a.error_inf.is_none() && b.error_inf.is_some(), "{what}: §7 fields");
    }
}

/// The spec's L = 1 isotropic closed form (NONLINEAR.md §5, ridgeless): x = κ_0 solves
/// a x² + (a − 1 − r) x − r = 0, r = μ*²/μ1², a = α below n1 and ψ = n1/n0 above.
#[test]
fn one_layer_isotropic_closed_form() {
    let (n0, noise) = (400usize, 0.1);
    for (act, name) in
        [(Activation::Tanh, "\"tanh\""), (Activation::Relu, "\"relu\""), (Activation::Erf, "\"erf\"")]
    {
        let m = act.moments(0.0, 1.0);
        let (mu1sq, ms2) = (m.mu1 * m.mu1, m.mustar2(1.0));
        let r = ms2 / mu1sq;
        for n1 in [200usize, 600] {
            let psi = n1 as f64 / n0 as f64;
            let samples: Vec<usize> =
                [100, 150, 300, 500, 700, 900].into_iter().filter(|&p| p != n1).collect();
            let pts = curve(&one_layer(n0, n1, name, "0", &samples));
            for pt in pts {
                let alpha = pt.samples / n0 as f64;
                let a = if pt.samples < n1 as f64 { alpha } else { psi };
                let (b, c) = (a - 1.0 - r, -r);
                let x = (-b + (b * b - 4.0 * a * c).sqrt()) / (2.0 * a);
                let n0f = n0 as f64;
                let k1 = (mu1sq * (psi * x - x / (1.0 + x)) - ms2).max(0.0);
                let k1 = if pt.samples > n1 as f64 { 0.0 } else { k1 };
                let d1 = n0f * (r / x + 1.0 / (1.0 + x));
                let d1p = -n0f * (r / (x * x) + 1.0 / (1.0 + x).powi(2));
                let k1p = mu1sq * (psi - 1.0 / (1.0 + x).powi(2));
                let rr = 1.0 / (1.0 + x);
                let r0p = -1.0 / (1.0 + x).powi(2);
                let (df2, extra) = if pt.samples > n1 as f64 {
                    (n1 as f64, 0.0)
                } else {
                    (d1 + k1 * d1p / k1p, k1 * r0p / k1p)
                };
                let p = pt.samples;
                let want = (1.0 - rr + extra + noise * df2 / p) / (1.0 - df2 / p);
                close(pt.error, want, 1e-9, &format!("{act:?} n1 {n1} p {p}"));
            }
        }
    }
}

/// λ → ∞ gives the null predictor, E_g → E0 = 1 (spec §7.2), through configs.
#[test]
fn huge_ridge_gives_the_null_predictor() {
    for act in ["\"relu\"", "\"tanh\"", "{ mu0 = 0.2, mu1 = 0.7, mustar = 0.4 }"] {
        let text = one_layer(100, 150, act, "1e7", &[50, 300]);
        for pt in curve(&text) {
            assert!((pt.error - 1.0).abs() < 1e-4 && pt.error < 1.0, "{act}: {}", pt.error);
        }
    }
}

/// `E f(ζ)`, ζ ~ N(0, 1), by composite Simpson on [−12, 12] with `n` intervals: an
/// independent rule (the implementation uses closed forms or the trapezoid rule).
fn simpson(n: usize, f: impl Fn(f64) -> f64) -> f64 {
    let (a, h) = (-12.0, 24.0 / n as f64);
    let g = |z: f64| f(z) * (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let mut s = g(a) + g(-a);
    for i in 1..n {
        s += if i % 2 == 1 { 4.0 } else { 2.0 } * g(a + h * i as f64);
    }
    s * h / 3.0
}

/// The Gaussian coefficients against direct quadrature of their definitions, with μ1 in
/// Stein's form E[σ(h) ζ]/√v (the implementation uses E σ'(h) or closed forms).
#[test]
fn coefficients_match_direct_quadrature() {
    // The last case is a steep unit (tanh over 1/√v ≈ 0.02 of ζ): the trapezoid step must
    // follow the scale, Simpson needs 10× more intervals.
    for (b, v) in [(0.0, 1.0), (0.3, 0.5), (-1.2, 2.5), (0.8, 0.05), (0.5, 2500.0)] {
        let s: f64 = f64::sqrt(v);
        let n = if v > 100.0 { 240_000 } else { 24_000 };
        for act in [Activation::Tanh, Activation::Erf, Activation::Relu] {
            let m = act.moments(b, v);
            let sigma = |x: f64| act.apply(x);
            let mu0 = simpson(n, |z| sigma(b + s * z));
            let stein = simpson(n, |z| sigma(b + s * z) * z) / s;
            let e2 = simpson(n, |z| sigma(b + s * z).powi(2));
            // Simpson across ReLU's kink is O(h²) ≈ 1e-6.
            let tol = if act == Activation::Relu { 1e-5 } else { 1e-10 };
            let what = format!("{act:?} b {b} v {v}");
            assert!((m.mu0 - mu0).abs() < tol, "{what}: μ0 {} vs {mu0}", m.mu0);
            assert!((m.mu1 - stein).abs() < tol, "{what}: μ1 {} vs {stein}", m.mu1);
            assert!((m.e2 - e2).abs() < tol, "{what}: E2 {} vs {e2}", m.e2);
            assert!(m.mustar2(v) > 0.0, "{what}: μ*² > 0 for a nonlinear σ");
        }
    }
}

/// Reference values of NONLINEAR.md §7.4 through configs (readout λ = table λ·n0/n_L),
/// with the coefficients reported per layer.
#[test]
fn spec_reference_values_through_configs() {
    let pts = curve(&one_layer(400, 600, "\"relu\"", "0", &[200, 800]));
    close(pts[0].error, 0.9919, 6e-5, "L1 relu α 0.5 ridgeless");
    close(pts[1].error, 1.5390, 6e-5, "L1 relu α 2 ridgeless");
    let pts = curve(&one_layer(400, 600, "\"tanh\"", &format!("{}", 1e-2 * 400.0 / 600.0), &[400]));
    close(pts[0].error, 0.6657, 6e-5, "L1 tanh α 1 λ 1e-2");
    let text = "[data]\ndim = 400\nnoise = 0.1\n\n[[layers]]\nwidth = 500\nactivation = \"relu\"\n\n\
        [[layers]]\nwidth = 400\nactivation = \"relu\"\n\n[[layers]]\nwidth = 300\nactivation = \"relu\"\n\n\
        [readout]\nridge = 0\n\n[samples]\nvalues = [150, 600]\n";
    let pts = curve(text);
    close(pts[0].error, 2.4325, 6e-5, "L3 relu α 0.375");
    close(pts[1].error, 1.7194, 6e-5, "L3 relu α 1.5");
    // The threshold is at p = n_L and is +∞, not NaN.
    let pts = curve(&text.replace("[150, 600]", "[299, 300, 301]"));
    assert!(pts[0].error.is_finite() && pts[2].error.is_finite());
    assert_eq!(pts[1].error, f64::INFINITY);
    // The JSON model summary: effective rank and per-layer coefficients.
    let c = lcurve::curve::run(&Config::from_toml_str(text).unwrap(), &Silent).unwrap();
    assert_eq!(c.summary.effective_rank, 400.0);
    assert_eq!(c.summary.threshold, lcurve::theory::Count(300.0));
    let layers = c.summary.activations.as_ref().unwrap();
    close(layers[0].mu1, 0.5, 1e-15, "layer 1 μ1 of ReLU at v = 1");
    assert_eq!(layers[0].classes, 1);
    assert!(layers[1].offset_variance > 0.0 && (2..=61).contains(&layers[1].classes), "offsets after ReLU");
    let json = c.render("x.toml", lcurve::output::Format::Json);
    assert!(json.contains("\"effective_rank\"") && json.contains("\"mustar\"") && json.contains("\"relu\""));
}

/// `ridge = "optimal"` works and beats a grid of fixed ridges.
#[test]
fn optimal_ridge_of_a_nonlinear_network() {
    let text = one_layer(200, 300, "\"tanh\"", "\"optimal\"", &[100, 300, 600]);
    for pt in curve(&text) {
        for lam in [0.0, 1e-4, 1e-3, 1e-2, 0.03, 0.1, 0.3, 1.0, 3.0] {
            let fixed =
                &curve(&one_layer(200, 300, "\"tanh\"", &format!("{lam}"), &[pt.samples as usize]))[0];
            assert!(pt.error <= fixed.error * (1.0 + 1e-9), "p {}: λ* {} vs λ {lam}", pt.samples, pt.ridge);
        }
    }
}

/// The true networks against the theory (seeded): ReLU and tanh, one and two layers,
/// ridge and ridgeless, on both sides of the threshold. Bound: |z| < 3.5 for each of the
/// 8 points (a false alarm has probability below 1% for all of them together).
#[test]
fn simulation_of_the_true_networks_agrees() {
    let cases = [("\"relu\"", "0", vec![60, 240]), ("\"tanh\"", "0.05", vec![60, 240])];
    for (act, ridge, samples) in cases {
        for two_layers in [false, true] {
            let mut text = one_layer(100, 150, act, ridge, &samples);
            if two_layers {
                text = text.replace(
                    "[readout]",
                    &format!("[[layers]]\nwidth = 120\nactivation = {act}\n\n[readout]"),
                );
            }
            text.push_str("\n[simulation]\ntest_samples = 4000\n");
            let cfg = Config::from_toml_str(&text).unwrap();
            let v = validate::run(
                &cfg,
                &Simulation {
                    trials: 40,
                    seed: 3,
                    scale: 1.0,
                    inputs: lcurve::Inputs::Gaussian,
                    ..Default::default()
                },
                &Silent,
            )
            .unwrap();
            for r in &v.rows {
                for (what, theory, mc) in [("E_g", r.theory, &r.mc), ("bias", r.bias_theory, &r.mc_bias)] {
                    let z = mc.z(theory).unwrap();
                    let p = r.samples;
                    assert!(z.abs() < 3.5, "{act} two layers {two_layers} p {p}: {what} {theory} vs {mc:?}");
                }
            }
        }
    }
}

/// Bit-reproducible whatever the thread count, and the fixed-coefficient surrogate agrees
/// with the theory it solves exactly.
#[test]
fn simulation_is_deterministic_and_surrogate_agrees() {
    let mut text = one_layer(60, 90, "{ mu0 = 0.4, mu1 = 0.5, mustar = 0.3 }", "0.01", &[40, 150]);
    text.push_str("\n[simulation]\ntest_samples = 3000\n");
    let cfg = Config::from_toml_str(&text).unwrap();
    let opts = Simulation {
        trials: 30,
        seed: 5,
        scale: 1.0,
        inputs: lcurve::Inputs::Gaussian,
        ..Default::default()
    };
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let a = one.install(|| validate::run(&cfg, &opts, &Silent).unwrap());
    let b = validate::run(&cfg, &opts, &Silent).unwrap();
    for (x, y) in a.rows.iter().zip(&b.rows) {
        assert_eq!(x.mc.mean.to_bits(), y.mc.mean.to_bits());
        assert_eq!(x.train_mc_mean.to_bits(), y.train_mc_mean.to_bits());
        assert!(x.z.unwrap().abs() < 3.5, "surrogate p {}: {} vs {:?}", x.samples, x.theory, x.mc);
    }
}

/// A low effective rank prints one warning line (exit 0) for curve and validate; a high
/// one and a linear network print nothing.
#[test]
fn low_effective_rank_is_flagged() {
    let dir = scratch("nonlinear_warning");
    let low = "[data]\ndim = 200\nnoise = 0.1\ncovariance = { kind = \"power_law\", exponent = 1.0 }\n\n\
        [[layers]]\nwidth = 300\nACT\ninput_covariance = { kind = \"data_power\", exponent = 0.5 }\n\n\
        [readout]\nridge = 0.01\n\n[samples]\nvalues = [100]\n\n[simulation]\ntrials = 2\ntest_samples = 500\n";
    let path = write(&dir, "low.toml", &low.replace("ACT", "activation = \"relu\""));
    let path = path.to_str().unwrap();
    for cmd in [vec!["curve", path], vec!["validate", path, "--no-store"]] {
        let (code, _, stderr) = run(&cmd);
        assert_eq!(code, 0, "{cmd:?}: {stderr}");
        let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warning:")).collect();
        assert_eq!(warnings.len(), 1, "{cmd:?}: {stderr}");
        assert!(
            warnings[0].contains("effective rank") && warnings[0].contains("lcurve validate"),
            "{stderr}"
        );
        assert!(warnings[0].contains("low.toml"), "{stderr}");
    }
    // A figure warns once, naming the series in the failure regime (F9's right panel).
    let f9 = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/f9_nonlinear.toml");
    let out = dir.join("figs");
    let (code, _, stderr) = run(&["figures", f9, "--no-sim", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("\"ReLU\"") && warnings[0].contains("\"tanh\"") && warnings[0].contains("5.1")
    );
    let linear = write(&dir, "linear.toml", &low.replace("ACT", ""));
    let high = write(&dir, "high.toml", &one_layer(200, 300, "\"relu\"", "0.01", &[100]));
    for p in [linear, high] {
        let (code, _, stderr) = run(&["curve", p.to_str().unwrap()]);
        assert_eq!((code, stderr.as_str()), (0, ""), "{}", p.display());
    }
}

#[test]
fn bad_activation_input() {
    let dir = scratch("nonlinear_bad");
    let out = dir.join("out.csv");
    let o = out.to_str().unwrap();
    let base = one_layer(50, 60, "ACT", "0", &[20]);
    let cases = [
        ("unknown name", "\"softplus\"", "layers[0].activation"),
        ("missing coefficient", "{ mu0 = 0, mu1 = 1 }", "layers[0].activation.mustar"),
        ("infinite coefficient", "{ mu0 = inf, mu1 = 1, mustar = 1 }", "layers[0].activation.mu0"),
        ("μ*² < 0", "{ mu0 = 0, mu1 = 1, mustar = -0.5 }", "layers[0].activation.mustar"),
        ("no signal", "{ mu0 = 0, mu1 = 0, mustar = 1 }", "layers[0].activation.mu1"),
        ("unknown coefficient", "{ mu0 = 0, mu1 = 1, mustar = 1, mu2 = 1 }", "layers[0].activation.mu2"),
        ("not a string", "[1, 2]", "layers[0].activation"),
    ];
    let mut texts: Vec<(&str, String, &str, &str)> =
        cases.iter().map(|&(case, act, key)| (case, base.replace("ACT", act), "curve", key)).collect();
    let relu = base.replace("ACT", "\"relu\"");
    texts.extend([
        (
            "ar1 S",
            base.replace(
                "activation = ACT",
                "activation = \"tanh\"\ncovariance = { kind = \"ar1\", rho = 0.3 }",
            ),
            "curve",
            "layers[0].covariance",
        ),
        ("ensemble", relu.replace("ridge = 0", "ridge = 0\nensemble = 2"), "curve", "readout.ensemble"),
        ("test set", relu + "\n[simulation]\ntest_samples = -3\n", "validate", "simulation.test_samples"),
    ]);
    for (case, text, cmd, key) in texts {
        let p = write(&dir, "bad.toml", &text);
        let (_, err) = assert_bad_input(case, &[cmd, p.to_str().unwrap(), "--out", o], "bad.toml", key, &out);
        if case == "ar1 S" {
            assert!(err.contains("diagonal"), "{err}");
        }
    }
}

/// Store keys: a linear network's keys ignore the test-set size (they predate it); a
/// nonlinear network's depend on the activation, and on the test-set size unless its trials
/// measure E_g in closed form (one ReLU, erf or coefficient layer).
#[test]
fn store_keys_cover_activation_and_test_set() {
    use lcurve::store::PointKey;
    let spec =
        |act: &str| Config::from_toml_str(&one_layer(50, 60, act, "0", &[20])).unwrap().model().clone();
    let key = |act: &str, test: usize| PointKey::new(&spec(act), 20, 0.0, None, 1, test);
    assert_eq!(key("\"linear\"", 100), key("\"linear\"", 200));
    assert_eq!(key("\"relu\"", 100), key("\"relu\"", 200), "exact: no test set");
    assert_ne!(key("\"tanh\"", 100), key("\"tanh\"", 200));
    assert_ne!(key("\"relu\"", 100), key("\"tanh\"", 100));
    assert_ne!(key("\"relu\"", 100), key("\"linear\"", 100));
    assert_ne!(
        key("{ mu0 = 0, mu1 = 1, mustar = 0.5 }", 100),
        key("{ mu0 = 0, mu1 = 1, mustar = 0.6 }", 100)
    );
}
