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
        c = Config::new(m, c.ridge(), c.ensemble(), c.samples().to_vec(), *c.simulation()).unwrap();
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

/// A raw-scale power-law model at n0 = ∞: Σ0 = j^−a, target t, noise, hidden widths.
fn law_config(a: f64, t: f64, noise: f64, widths: &[usize], ridge: &str, samples: &[f64]) -> Config {
    let mut text = format!(
        "[data]\ndim = \"infinite\"\nnoise = {noise}\n\
         covariance = {{ kind = \"power_law\", exponent = {a}, normalize = false }}\n\
         target = {{ kind = \"power_law\", exponent = {t} }}\n"
    );
    for w in widths {
        text += &format!("[[layers]]\nwidth = {w}\n");
    }
    let samples: Vec<String> = samples.iter().map(|p| format!("{p:.0}")).collect();
    text += &format!("[readout]\nridge = {ridge}\n[samples]\nvalues = [{}]\n", samples.join(", "));
    config(&text)
}

/// −d ln f/d ln p by a centred difference of step h in ln p.
fn log_slope(f: impl Fn(f64) -> f64, p: f64, h: f64) -> f64 {
    -(f(p * h.exp()) / f(p * (-h).exp())).ln() / (2.0 * h)
}

/// SCALING §4, no hidden layer, ridgeless, noiseless: E_g ~ p^−m₁ on both branches of
/// m₁ = min(a + t − 1, 2a), local slope at p = 10¹² (window 10⁶…10¹²) within 0.01; the
/// scaling report predicts the same.
#[test]
fn data_limited_law_on_both_branches() {
    for (a, t, m1) in [(1.5, 1.0, 1.5), (2.0, 0.5, 1.5), (1.5, 3.0, 3.0), (2.0, 1.5, 2.5)] {
        let cfg = law_config(a, t, 0.0, &[], "0", &[1e6, 1e12]);
        let th = Theory::from_spec(cfg.model(), &Silent).unwrap();
        let pt = th.point_at(1e12, 0.0).unwrap();
        let e = lcurve::exponents::samples_exponent(&th, &pt).unwrap().unwrap();
        assert!((e - m1).abs() < 0.01, "(a, t) = ({a}, {t}): slope {e} vs m₁ = {m1}");
        let report = lcurve::scaling::run(&cfg, None, &Silent).unwrap();
        assert!((report.laws[0].predicted.unwrap() - m1).abs() < 1e-12, "{:?}", report.laws[0]);
        assert_eq!(report.laws[0].measured, Some(e));
    }
}

/// SCALING §4, width-limited: past p = N ridgeless, E_g = (E_∞(N) + η²N/p)/(1 − N/p)
/// exactly, with E_∞(N) = κ0 Σ σb/(σ+κ0) and Σ σ/(σ+κ0) = N (explicit sums at
/// n0 = 10⁶, κ0 by bisection); the width exponent m_N = min(a + t − 1, a) — which
/// saturates at a, not 2a — at N = 10⁸, p = 10¹⁴, within 0.01.
#[test]
fn width_limited_law_saturates_at_a() {
    let (n0, n, noise) = (1_000_000usize, 3000usize, 0.3);
    let text = format!(
        "[data]\ndim = {n0}\nnoise = {noise}\ncovariance = {{ kind = \"power_law\", exponent = 1.5, normalize = false }}\n\
         target = {{ kind = \"power_law\", exponent = 0.7 }}\n[[layers]]\nwidth = {n}\n\
         [readout]\nridge = 0\n[samples]\nvalues = [10]\n"
    );
    let th = Theory::from_spec(config(&text).model(), &Silent).unwrap();
    let sigma: Vec<f64> = (1..=n0).map(|j| (j as f64).powf(-1.5)).collect();
    let raw: Vec<f64> = (1..=n0).map(|j| (j as f64).powf(-0.7)).collect();
    let signal: f64 = sigma.iter().zip(&raw).map(|(s, b)| s * b).sum();
    let df = |k: f64| sigma.iter().map(|s| s / (s + k)).sum::<f64>();
    let (mut lo, mut hi) = (1e-30f64, 1e3f64);
    for _ in 0..300 {
        let mid = (lo * hi).sqrt();
        if df(mid) > n as f64 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let k0 = (lo * hi).sqrt();
    let e_inf = k0 * sigma.iter().zip(&raw).map(|(s, b)| s * b / signal / (s + k0)).sum::<f64>();
    let limit = th.width_limited_error(n as f64).unwrap();
    assert!((limit / e_inf - 1.0).abs() < 1e-9, "E_∞(N): {limit} vs {e_inf}");
    for p in [3500.0, 10_000.0, 1e6] {
        let exact = (e_inf + noise * n as f64 / p) / (1.0 - n as f64 / p);
        let got = th.point_at(p, 0.0).unwrap().error;
        assert!((got / exact - 1.0).abs() < 1e-9, "p = {p}: {got} vs {exact}");
    }
    for (a, t, mn) in [(2.0, 0.5, 1.5), (1.5, 0.7, 1.2), (1.5, 3.0, 1.5), (2.0, 1.5, 2.0)] {
        let cfg = law_config(a, t, 0.0, &[100_000_000], "0", &[1e14]);
        let report = lcurve::scaling::run(&cfg, None, &Silent).unwrap();
        let width = &report.laws[1];
        assert!((width.predicted.unwrap() - mn).abs() < 1e-12, "{width:?}");
        let e = width.measured.unwrap();
        assert!((e - mn).abs() < 0.01, "(a, t) = ({a}, {t}): width slope {e} vs m_N = {mn}");
    }
}

/// SCALING §4, optimal ridge with noise, no hidden layer: E_g ~ p^−m₁/(1+m₁) and
/// λ* ~ p^−a/(1+m₁), slopes at p = 10¹² within 0.02 (both branches of m₁).
#[test]
fn optimal_ridge_law() {
    for (a, t) in [(1.5, 1.0), (2.0, 0.5), (1.5, 3.0), (2.0, 1.5)] {
        let law = lcurve::scaling::PowerLaw { a, t };
        let m1 = law.m1();
        let cfg = law_config(a, t, 0.5, &[], "\"optimal\"", &[1e12]);
        let th = Theory::from_spec(cfg.model(), &Silent).unwrap();
        let opt = |p: f64| th.optimal_point_at(p, lcurve::Ensemble::SINGLE).unwrap();
        let e = log_slope(|p| opt(p).error, 1e12, 0.05);
        let l = log_slope(|p| opt(p).ridge, 1e12, 0.05);
        assert!(
            (e - m1 / (1.0 + m1)).abs() < 0.02,
            "(a, t) = ({a}, {t}): E slope {e} vs {}",
            m1 / (1.0 + m1)
        );
        assert!((l - a / (1.0 + m1)).abs() < 0.02, "(a, t) = ({a}, {t}): λ* slope {l} vs {}", a / (1.0 + m1));
        let report = lcurve::scaling::run(&cfg, None, &Silent).unwrap();
        assert!((report.laws[0].predicted.unwrap() - m1 / (1.0 + m1)).abs() < 1e-15);
    }
}

/// SCALING §4, a ridge λ = p^−ℓ along the curve, no hidden layer: noiseless
/// E_g ~ p^−min(ℓ, a)·m₁/a; noisy p^−min(ℓm₁/a, 1 − ℓ/a) for ℓ < a. Slopes of
/// E_g(p, p^−ℓ) at p = 10¹² within 0.01 (noiseless) and 0.02 (noisy: slow corrections
/// p^(ℓ/a − 1)).
#[test]
fn ridge_path_laws() {
    let cells = [
        (1.5, 1.0, 0.5, false),
        (1.5, 1.0, 1.0, false),
        (2.0, 0.5, 3.0, false),
        (1.5, 3.0, 1.0, false),
        (1.5, 1.0, 0.5, true),
        (2.0, 0.5, 1.0, true),
        (1.5, 3.0, 0.6, true),
    ];
    for (a, t, ell, noisy) in cells {
        let law = lcurve::scaling::PowerLaw { a, t };
        let m1 = law.m1();
        let cfg = law_config(a, t, if noisy { 0.5 } else { 0.0 }, &[], "0", &[1e12]);
        let th = Theory::from_spec(cfg.model(), &Silent).unwrap();
        let e = log_slope(|p| th.point_at(p, p.powf(-ell)).unwrap().error, 1e12, 0.01);
        let (want, tol) =
            if noisy { ((ell * m1 / a).min(1.0 - ell / a), 0.02) } else { (ell.min(a) * m1 / a, 0.01) };
        assert!((e - want).abs() < tol, "(a, t, ℓ, noisy) = ({a}, {t}, {ell}, {noisy}): slope {e} vs {want}");
    }
}

/// SCALING §4, depth: two hidden layers (S = I) or a power-law S₁ change prefactors
/// only: the samples slope (p ≪ N) and the width slope (p ≫ N) equal the one-layer ones
/// to 0.01.
#[test]
fn depth_keeps_the_exponents() {
    let slopes = |extra: &str, second: bool| {
        let mk = |n: usize, p: f64| {
            let mut text = format!(
                "[data]\ndim = \"infinite\"\nnoise = 0\ncovariance = {{ kind = \"power_law\", exponent = 2.0, normalize = false }}\n\
                 target = {{ kind = \"power_law\", exponent = 0.5 }}\n[[layers]]\nwidth = {n}\n{extra}\n"
            );
            if second {
                text += &format!("[[layers]]\nwidth = {}\n", 2 * n);
            }
            text += &format!("[readout]\nridge = 0\n[samples]\nvalues = [{p:.0}]\n");
            lcurve::scaling::run(&config(&text), None, &Silent).unwrap()
        };
        (mk(1_000_000_000, 1e5).laws[0].measured.unwrap(), mk(1_000_000, 1e12).laws[1].measured.unwrap())
    };
    let one = slopes("", false);
    for (extra, second) in [("", true), ("covariance = { kind = \"power_law\", exponent = 0.5 }", false)] {
        let other = slopes(extra, second);
        assert!(
            (one.0 - other.0).abs() < 0.01 && (one.1 - other.1).abs() < 0.01,
            "{extra:?} {second}: {one:?} vs {other:?}"
        );
    }
}

/// SCALING §5: the frontier's fitted exponents over C = 10⁶…10¹² within 0.01 of the
/// prediction (noiseless optimal ridge, the ridgeless optimum of t > 1, noisy), and each
/// frontier point against a brute-force grid of 400 splits.
#[test]
fn budget_frontier_matches_section_5_and_brute_force() {
    let cases = [(2.0, 0.5, 0.0, "\"optimal\""), (1.5, 3.0, 0.0, "0"), (2.0, 0.5, 0.5, "\"optimal\"")];
    for (a, t, noise, ridge) in cases {
        let cfg = law_config(a, t, noise, &[1000], ridge, &[100.0]);
        let budgets = lcurve::scaling::budgets(1e6, 1e12, 7).unwrap();
        let (points, fit) = lcurve::scaling::frontier(&cfg, &budgets, &Silent).unwrap();
        let fit = fit.unwrap();
        let want = fit.predicted.unwrap();
        for (got, want, what) in
            [(fit.error, want.error, "E*"), (fit.samples, want.samples, "p*"), (fit.width, want.width, "n*")]
        {
            let got = got.unwrap();
            assert!((got - want).abs() < 0.01, "(a, t, η²) = ({a}, {t}, {noise}): {what} {got} vs {want}");
        }
        // Brute force at C = 10⁸: no split of a 400-point grid does better, and the best
        // grid split is within a grid step of p*.
        let c = 1e8;
        let best = points.iter().find(|f| f.budget == c).unwrap();
        let base = Theory::from_spec(cfg.model(), &Silent).unwrap();
        let mut grid_best = (f64::INFINITY, 0.0);
        for i in 0..400 {
            let p = (c / 4.0f64).powf(i as f64 / 399.0);
            // Real widths n = C/p (every S is the identity), as the frontier sets them.
            let th = base.with_width(1, c / p).unwrap();
            let e = match cfg.ridge() {
                lcurve::Ridge::Optimal => th.optimal_point_at(p, lcurve::Ensemble::SINGLE).unwrap().error,
                lcurve::Ridge::Fixed(l) => th.point_at(p, l).unwrap().error,
            };
            if e < grid_best.0 {
                grid_best = (e, p);
            }
        }
        assert!(
            best.error <= grid_best.0 * (1.0 + 1e-9),
            "C = 1e8: frontier {} vs grid {}",
            best.error,
            grid_best.0
        );
        let step = (c / 4.0f64).ln() / 399.0;
        assert!(
            (best.samples / grid_best.1).ln().abs() <= step,
            "p* {} vs grid {}",
            best.samples,
            grid_best.1
        );
    }
}

/// `Theory::with_width` at an integer width is the theory built at that width (to 1e-12),
/// refuses a non-scalar S, and a config without a power law gets its local exponents with
/// the reason no law applies.
#[test]
fn real_widths_and_configs_without_a_law() {
    let text = |w: usize, s: &str| {
        format!(
            "[data]\ndim = 500\nnoise = 0.1\ncovariance = {{ kind = \"power_law\", exponent = 1.2 }}\n\
             [[layers]]\nwidth = {w}\n{s}\n[readout]\nridge = 1e-3\n[samples]\nvalues = [300]\n"
        )
    };
    let th = Theory::from_spec(config(&text(200, "")).model(), &Silent).unwrap();
    let direct = Theory::from_spec(config(&text(350, "")).model(), &Silent).unwrap();
    for (p, ridge) in [(100.0, 1e-3), (349.0, 0.0), (351.0, 0.0), (900.0, 0.1)] {
        agree(
            &th.with_width(1, 350.0).unwrap().point_at(p, ridge).unwrap(),
            &direct.point_at(p, ridge).unwrap(),
            1e-12,
            &format!("p = {p}"),
        );
    }
    let curved = Theory::from_spec(
        config(&text(200, "covariance = { kind = \"power_law\", exponent = 0.5 }")).model(),
        &Silent,
    )
    .unwrap();
    assert!(curved.with_width(1, 350.0).is_none());
    let ar1 =
        config(&text(200, "").replace("kind = \"power_law\", exponent = 1.2", "kind = \"ar1\", rho = 0.5"));
    let report = lcurve::scaling::run(&ar1, None, &Silent).unwrap();
    assert!(report.no_law.as_deref().unwrap().contains("\"ar1\""), "{:?}", report.no_law);
    assert!(report.laws.iter().all(|l| l.predicted.is_none() && l.measured.is_some()), "{:?}", report.laws);
    let csv = report.render("x", lcurve::output::Format::Csv, None).unwrap();
    assert!(csv.starts_with("resource,layer,predicted,regime,measured,at,limits\n"), "{csv}");
    // A power-law S falls back to rounded widths on the frontier.
    let budgets = lcurve::scaling::budgets(1e5, 1e6, 2).unwrap();
    let cfg = config(&text(200, "covariance = { kind = \"power_law\", exponent = 0.5 }"));
    let (points, _) = lcurve::scaling::frontier(&cfg, &budgets, &Silent).unwrap();
    assert!(points.iter().all(|f| f.widths[0] == f.widths[0].round() && f.error > 0.0));
    let err = lcurve::scaling::budgets(1.0, 1e6, 5).unwrap_err().to_string();
    assert!(err.contains("budget"), "{err}");
}
