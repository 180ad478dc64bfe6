//! Scaling studies (SCALING.md): generated spectra of any size summed as weighted nodes
//! (§2) against explicit sums, n0 = ∞ against its finite-size limit, local exponents
//! against centred differences of the theory, the asymptotic laws of §4 and the budget
//! frontier of §5 against brute force.

use lcurve::model::{Model, Purpose};
use lcurve::progress::Silent;
use lcurve::theory::Point;
use lcurve::{Config, Theory};

fn config(text: &str) -> Config {
    Config::from_toml_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The theory of a config with compressed spectra (what `curve` uses) and with every
/// eigenvalue explicit (the simulation's build).
fn both(text: &str) -> (Theory, Theory) {
    let spec = config(text).model().clone();
    let compressed = Theory::from_spec(&spec, &Silent).unwrap();
    let explicit =
        Theory::from_model(&Model::build(&spec, Purpose::Simulation, &Silent).unwrap(), &Silent).unwrap();
    (compressed, explicit)
}

/// Every printed column of a point, named.
fn columns(p: &Point) -> Vec<(String, f64)> {
    let mut out = vec![
        ("error".to_string(), p.error),
        ("bias".into(), p.bias),
        ("variance".into(), p.variance),
        ("train_error".into(), p.train_error),
        ("test_mse".into(), p.test_mse),
        ("df".into(), p.df),
        ("df2".into(), p.df2),
        ("kappa".into(), p.kappa),
        ("kappa_data".into(), p.kappa_data),
    ];
    out.extend(p.kappa_layers.iter().enumerate().map(|(i, k)| (format!("kappa_{}", i + 1), *k)));
    for (name, v) in [
        ("error_inf", p.error_inf),
        ("bias_inf", p.bias_inf),
        ("variance_inf", p.variance_inf),
        ("init_variance", p.init_variance),
    ] {
        if let Some(v) = v {
            out.push((name.into(), v));
        }
    }
    out
}

/// Every column to `tol` relative; the initialisation variance E_g − E_∞, a difference of
/// two columns, relative to E_g (it inherits their absolute error, not a relative one).
fn agree(a: &Point, b: &Point, tol: f64, what: &str) {
    for ((name, x), (_, y)) in columns(a).into_iter().zip(columns(b)) {
        let scale = if name == "init_variance" { b.error } else { y.abs() };
        // An exact zero is rounding on either side: the ridgeless training error below the
        // threshold, and past it a nonlinear chain's κ_ℓ, which sits at the edge κ_0*(1 + 1e-11).
        let zero = if name.starts_with("kappa_") { 1e-10 } else { 1e-20 };
        let ok = x == y || (x - y).abs() <= tol * scale || (x.abs() < zero && y.abs() < zero);
        assert!(ok, "{what}, {name}: {x:e} vs {y:e} (relative {:.1e})", ((x - y) / y).abs());
    }
}

/// A config: `data` lines, hidden layers (width, covariance), noise, ridge.
fn model(dim: &str, data: &str, layers: &[(usize, &str, &str)], noise: f64, ridge: &str) -> String {
    let mut t = format!("[data]\ndim = {dim}\nnoise = {noise}\n{data}\n");
    for (w, cov, act) in layers {
        t += &format!("[[layers]]\nwidth = {w}\n{cov}\n{act}\n");
    }
    t + &format!("[readout]\nridge = {ridge}\n[samples]\nvalues = [10]\n")
}

/// SCALING §2: compressed against explicit sums at n = 10⁵…10⁷, one to three layers,
/// ridge and ridgeless (both regimes), noise, bottlenecks, Γ = Σ0^s, power-law S_ℓ and a
/// ReLU layer: every column to 1e-10.
#[test]
fn compressed_spectra_match_explicit_sums() {
    let pl = |e: f64| format!("covariance = {{ kind = \"power_law\", exponent = {e} }}");
    let cases: Vec<(String, Vec<f64>)> = vec![
        (
            model(
                "100000",
                &format!("{}\ntarget = {{ kind = \"power_law\", exponent = 0.4 }}", pl(0.8)),
                &[(3000, &pl(0.5), "")],
                0.2,
                "RIDGE",
            ),
            vec![50.0, 2999.0, 3000.0, 3001.0, 20_000.0, 300_000.0],
        ),
        (
            model(
                "1000000",
                "covariance = { kind = \"power_law\", exponent = 1.5, normalize = false }\n\
                 target = { kind = \"power_law\", exponent = 0.5 }",
                &[
                    (
                        50_000,
                        &pl(0.7),
                        "input_covariance = { kind = \"data_power\", exponent = 0.2, normalize = false }",
                    ),
                    (30_000, "", ""),
                ],
                0.1,
                "RIDGE",
            ),
            vec![100.0, 29_999.0, 30_001.0, 1e6],
        ),
        (
            model(
                "10000000",
                &pl(1.1),
                &[(40_000, "", ""), (25_000, &pl(0.3), ""), (60_000, "", "")],
                0.0,
                "RIDGE",
            ),
            vec![1000.0, 24_000.0, 26_000.0],
        ),
        (
            model(
                "10000000",
                &format!("{}\ntarget = {{ kind = \"power_law\", exponent = 1.0 }}", pl(0.6)),
                &[],
                0.3,
                "RIDGE",
            ),
            vec![500.0, 9e6, 1.1e7],
        ),
        (
            model("100000", &pl(0.4), &[(30_000, &pl(0.4), "activation = \"relu\"")], 0.1, "RIDGE"),
            vec![1000.0, 29_000.0, 31_000.0],
        ),
    ];
    for (text, ps) in &cases {
        // The nonlinear chain forms 1 − d/p directly, so at λ = 1e-6 its training error
        // (∝ (1 − d/p)²) holds only ≈ 1e-8 with explicit and compressed sums alike.
        let ridges: &[&str] =
            if text.contains("relu") { &["0", "1e-3", "0.01"] } else { &["0", "1e-6", "0.01"] };
        for &ridge in ridges {
            let (fast, slow) = both(&text.replace("RIDGE", ridge));
            for &p in ps {
                let r: f64 = ridge.parse().unwrap();
                let (a, b) = (fast.point_at(p, r).unwrap(), slow.point_at(p, r).unwrap());
                agree(&a, &b, 1e-10, &format!("p = {p}, λ = {ridge} in\n{text}"));
            }
        }
    }
}

/// λ* on compressed spectra: E_g at λ* to 1e-10, λ* itself to the minimiser's tolerance.
#[test]
fn optimal_ridge_on_compressed_spectra() {
    let text = model(
        "200000",
        "covariance = { kind = \"power_law\", exponent = 1.2 }\ntarget = { kind = \"power_law\", exponent = 0.3 }",
        &[(25_000, "", "")],
        0.5,
        "0",
    );
    let (fast, slow) = both(&text);
    for p in [100.0, 5000.0, 80_000.0] {
        let (a, b) = (
            fast.optimal_point_at(p, lcurve::Ensemble::SINGLE).unwrap(),
            slow.optimal_point_at(p, lcurve::Ensemble::SINGLE).unwrap(),
        );
        assert!((a.error / b.error - 1.0).abs() < 1e-10, "E_g(λ*) at p = {p}: {} vs {}", a.error, b.error);
        assert!((a.ridge / b.ridge - 1.0).abs() < 1e-5, "λ* at p = {p}: {} vs {}", a.ridge, b.ridge);
    }
}

/// n0 = ∞ is the limit n0 → ∞: at a = 2.5 the remainder beyond n0 = 10¹² is ≈ 10⁻¹⁸, so the
/// two agree to 1e-12; at a = 1.5 the gap closes like n0^(1−q) with q = min(a_m, a + t).
#[test]
fn infinite_dimension_is_the_limit() {
    let text = |dim: &str, a: f64| {
        model(
            dim,
            &format!(
                "covariance = {{ kind = \"power_law\", exponent = {a}, normalize = false }}\n\
                 target = {{ kind = \"power_law\", exponent = 0.5 }}"
            ),
            &[(2000, "", "")],
            0.1,
            "1e-4",
        )
    };
    let at = |dim: &str, a: f64, p: f64| {
        Theory::from_spec(config(&text(dim, a)).model(), &Silent).unwrap().point_at(p, 1e-4).unwrap()
    };
    for p in [10.0, 1000.0, 1e6] {
        let (inf, big) = (at("\"infinite\"", 2.5, p), at("1000000000000", 2.5, p));
        agree(&inf, &big, 1e-12, &format!("a = 2.5, p = {p}"));
        assert_eq!(inf.alpha, 0.0);
        // a = 1.5, t = 0.5: q = 1.5, the gap falls by 10 per two decades of n0.
        let e = at("\"infinite\"", 1.5, p).error;
        let gap = |n: &str| (at(n, 1.5, p).error - e).abs();
        let ratio = gap("100000000") / gap("10000000000");
        assert!((ratio / 10.0 - 1.0).abs() < 0.05, "p = {p}: gap ratio {ratio}");
    }
}

/// SCALING §3: the local exponents of `curve --exponents` against centred differences of
/// the theory (h = 1e-4 in ln p; widths ±1 at n = 5000, h = 2e-4 in ln n), to 1e-6;
/// empty at the ridgeless peak; the envelope theorem on an optimal-ridge curve.
#[test]
fn local_exponents_match_centred_differences() {
    let text = |ridge: &str, samples: &str| {
        format!(
            "[data]\ndim = 8000\nnoise = 0.2\ncovariance = {{ kind = \"power_law\", exponent = 1.3, normalize = false }}\n\
             target = {{ kind = \"power_law\", exponent = 0.4 }}\n\
             [[layers]]\nwidth = 5000\ncovariance = {{ kind = \"power_law\", exponent = 0.5 }}\n\
             [[layers]]\nwidth = 3000\n\
             [readout]\nridge = {ridge}\n[samples]\nvalues = {samples}\n"
        )
    };
    let error = |cfg: &Config, p: f64, ridge: f64| {
        Theory::from_spec(cfg.model(), &Silent).unwrap().point_at(p, ridge).unwrap().error
    };
    let with_width = |cfg: &Config, layer: usize, n: usize| {
        let mut c = cfg.clone();
        let mut m = c.model().clone();
        m.set_width(layer, n).unwrap();
        c = Config::new(m, c.ridge(), c.ensemble(), c.samples().to_vec(), c.simulation().clone()).unwrap();
        c
    };
    for ridge in ["0", "1e-3", "\"optimal\""] {
        let cfg = config(&text(ridge, "[100, 2000, 2999, 3000, 3001, 20000]"));
        let curve = lcurve::curve::run_with(&cfg, true, &Silent).unwrap();
        let ex = curve.exponents.as_ref().unwrap();
        let table = curve.table();
        assert_eq!(
            &table.columns[table.columns.len() - 3..],
            ["exponent_samples", "exponent_width_1", "exponent_width_2"]
        );
        for (pt, e) in curve.points.iter().zip(ex) {
            let (p, l) = (pt.samples, pt.ridge);
            if ridge == "0" && p == 3000.0 {
                assert_eq!(e.samples, None, "the peak has no exponent");
                assert_eq!(e.widths, vec![None, None]);
                continue;
            }
            // Beside the ridgeless peak p = 3000 the reference step shrinks with the distance.
            let h: f64 = if ridge == "0" { (1e-4f64).min((p / 3000.0).ln().abs() / 1000.0) } else { 1e-4 };
            let reference =
                -((error(&cfg, p * h.exp(), l) / error(&cfg, p * (-h).exp(), l)).ln()) / (2.0 * h);
            let got = e.samples.unwrap();
            // 1e-6, relative where the exponent is large (beside the peak it is ≈ p/(r − p)).
            assert!(
                (got - reference).abs() < 1e-6 * reference.abs().max(1.0),
                "λ = {ridge}, p = {p}: {got} vs {reference}"
            );
            for (layer, n) in [(1, 5000), (2, 3000)] {
                let (up, down) = (with_width(&cfg, layer, n + 1), with_width(&cfg, layer, n - 1));
                let reference = -(error(&up, p, l) / error(&down, p, l)).ln()
                    / ((n as f64 + 1.0) / (n as f64 - 1.0)).ln();
                match e.widths[layer - 1] {
                    // Ridgeless beside a bottleneck: the ±2k stencil would cross the peak.
                    None => assert!(
                        ridge == "0" && (p - n as f64).abs() <= 2.0 * (n as f64 * 0.002).round() + 1.0,
                        "λ = {ridge}, p = {p}, layer {layer}"
                    ),
                    Some(got) => assert!(
                        (got - reference).abs() < 1e-6,
                        "λ = {ridge}, p = {p}, layer {layer}: {got} vs {reference}"
                    ),
                }
            }
        }
    }
}
