//! Figure configs: the committed set parses, resolves and matches what the command
//! produces; small renders write PNG and SVG; bad figure configs get one clear line.

mod common;
use common::{assert_bad_input, run, scratch, write};
use lcurve::figures::{self, FigureSpec};
use lcurve::run::RunOptions;
use std::path::{Path, PathBuf};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

const SMALL: &str = r#"
[figure]
title = "small"
log_x = true
log_y = true
guides = [{ x = 1.0, label = "α = 1" }]

[data]
dim = 40
noise = 0.1

[[layers]]
width = 60

[readout]
ridge = 0.01

[simulation]
trials = 3

[sweep]
axis = "alpha"
range = { from = 0.1, to = 4, points = 20 }
simulate = { values = [0.5, 2] }

[[series]]
label = "η² = 0.1"
[[series]]
label = "η² = 0.5, bias"
y = "bias"
set = { "data.noise" = 0.5 }
"#;

#[test]
fn every_committed_figure_config_resolves() {
    let found = figures::discover(&[repo("configs")]).unwrap();
    let names: Vec<String> =
        found.iter().map(|p| p.file_stem().unwrap().to_string_lossy().into_owned()).collect();
    for f in [
        "f1_double_descent",
        "f2_first_layer_structure",
        "f3_hidden_layer_structure",
        "f4_regularisation",
        "f5_bottleneck_phase_diagram",
        "f6_bias_variance",
        "f7_ensembles",
        "f8_best_first_layer",
        "f9_nonlinear",
        "f10_scaling",
        "f11_digits",
        "f12_dynamics",
        "f13_feature_learning",
        "f14_width_consistency",
        "f15_training",
        "f16_compute_optimal",
    ] {
        assert!(names.iter().any(|n| n == f), "{f} missing from {names:?}");
    }
    // Plain model configs are not figure configs.
    assert!(!names.iter().any(|n| n == "quickstart"));
    for p in &found {
        let spec = FigureSpec::load(p).unwrap();
        assert!(!spec.title.is_empty());
        assert!(spec.panels.iter().all(|pa| !pa.series.is_empty() && !pa.sweep.values.is_empty()));
    }
}

#[test]
fn committed_figures_match_the_command() {
    let dir = scratch("figures_regenerate");
    let found = figures::discover(&[repo("configs")]).unwrap();
    let written =
        figures::render_all(&found, &dir, &RunOptions::default(), 96.0, &lcurve::progress::Silent).unwrap();
    assert_eq!(written.len(), found.len());
    for r in written {
        for new in [r.png, r.svg] {
            let committed = repo("figures").join(new.file_name().unwrap());
            let (a, b) = (std::fs::read(&new).unwrap(), std::fs::read(&committed).unwrap_or_default());
            assert!(
                a == b,
                "{} differs from the committed figure: run `lcurve figures` and commit",
                committed.display()
            );
        }
    }
}

#[test]
fn small_render_writes_png_and_svg() {
    let dir = scratch("figures_small");
    let cfg = write(&dir, "small.toml", SMALL);
    let out = dir.join("out");
    let (code, _, err) =
        run(&["figures", cfg.to_str().unwrap(), "--out", out.to_str().unwrap(), "--trials", "2"]);
    assert_eq!(code, 0, "{err}");
    let png = std::fs::read(out.join("small.png")).unwrap();
    assert!(png.len() > 1000 && png.starts_with(b"\x89PNG"));
    let svg = std::fs::read_to_string(out.join("small.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("small") && svg.contains("η² = 0.5, bias"));
    // The markers' caption is there with simulation, and absent with --no-sim.
    assert!(svg.contains("Markers"));
    let (code, _, err) = run(&["figures", cfg.to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-sim"]);
    assert_eq!(code, 0, "{err}");
    assert!(!std::fs::read_to_string(out.join("small.svg")).unwrap().contains("Markers"));
}

#[test]
fn heat_map_and_other_axes_render() {
    let dir = scratch("figures_axes");
    let heat = SMALL
        .replace("title = \"small\"", "title = \"heat\"\nkind = \"heatmap\"")
        .replace(
            "simulate = { values = [0.5, 2] }",
            "[sweep_y]\naxis = \"width\"\nlayer = 1\nrange = { from = 0.2, to = 3, points = 6 }",
        )
        .split("[[series]]")
        .next()
        .unwrap()
        .to_string();
    let cfg = write(&dir, "heat.toml", &heat);
    let data = figures::compute(&FigureSpec::load(&cfg).unwrap(), &RunOptions::default()).unwrap();
    let h = data.panels[0].heat.as_ref().unwrap();
    assert_eq!((h.ys.len(), h.xs.len()), (6, 20));
    assert!((h.ys[0] - 8.0 / 40.0).abs() < 1e-12, "ν = width/n0 with integer widths");
    let noise = SMALL
        .replace(
            "axis = \"alpha\"\nrange = { from = 0.1, to = 4, points = 20 }\nsimulate = { values = [0.5, 2] }",
            "axis = \"noise\"\nvalues = [0.0, 0.5, 1.0]\nsimulate = { values = [0.5] }",
        )
        .replace("[simulation]", "[samples]\nvalues = [30]\n\n[simulation]")
        .replace("log_y = true", "log_y = false")
        .replace("log_x = true", "log_x = false");
    let cfg = write(&dir, "noise.toml", &noise);
    let data = figures::compute(
        &FigureSpec::load(&cfg).unwrap(),
        &RunOptions::with_overrides(lcurve::SimulationOverrides { trials: Some(2), ..Default::default() }),
    )
    .unwrap();
    let s = &data.panels[0].series[0];
    assert_eq!(s.theory.len(), 3);
    assert!(s.theory[2].1 > s.theory[0].1, "error grows with η²");
    assert_eq!(s.markers.len(), 1);
    for (name, axis) in [
        ("exp", "axis = \"exponent\"\ncovariance = \"data\""),
        ("ridge", "axis = \"ridge\""),
        ("width", "axis = \"width\"\nlayer = 1"),
    ] {
        let t = noise
            .replace("axis = \"noise\"", axis)
            .replace("values = [0.0, 0.5, 1.0]", "values = [0.5, 1.0]")
            .replace(
                "[data]\ndim = 40",
                "[data]\ndim = 40\ncovariance = { kind = \"power_law\", exponent = 1.0 }",
            );
        let cfg = write(&dir, &format!("{name}.toml"), &t);
        let (code, _, err) =
            run(&["figures", cfg.to_str().unwrap(), "--out", dir.join("o").to_str().unwrap(), "--no-sim"]);
        assert_eq!(code, 0, "{name}: {err}");
    }
}

#[test]
fn bad_figure_configs_get_one_line() {
    let dir = scratch("figures_bad");
    let cases = [
        ("title = \"small\"", "title = \"small\"\ncolour = \"red\"", "figure.colour"),
        ("axis = \"alpha\"", "axis = \"sample\"", "sweep.axis"),
        (
            "guides = [{ x = 1.0, label = \"α = 1\" }]",
            "guides = [{ power = -1.0, series = 5 }]",
            "panels[0].guides",
        ),
        (
            "guides = [{ x = 1.0, label = \"α = 1\" }]",
            "guides = [{ x = 1.0, series = 1 }]",
            "figure.guides[0]",
        ),
        (
            "guides = [{ x = 1.0, label = \"α = 1\" }]",
            "guides = [{ power = -1.0, series = 0 }]",
            "figure.guides[0].series",
        ),
        (
            "range = { from = 0.1, to = 4, points = 20 }",
            "range = { from = 0.1, to = 4, points = 20 }\ny = \"exponent\"",
            "sweep",
        ),
        (
            "set = { \"data.noise\" = 0.5 }",
            "set = { \"data.noise\" = -0.5 }",
            "series[1] \"η² = 0.5, bias\": data.noise",
        ),
        ("set = { \"data.noise\" = 0.5 }", "set = { \"layers[3].width\" = 5 }", "series[1].set"),
        ("y = \"bias\"", "y = \"loss\"", "series[1].y"),
        (
            "range = { from = 0.1, to = 4, points = 20 }",
            "range = { from = 0.0, to = 4, points = 20 }",
            "sweep",
        ),
        ("title = \"small\"", "title = \"small\"\nkind = \"heatmap\"", "sweep_y"),
        ("[sweep]", "[sweeps]", "sweeps"),
        ("axis = \"alpha\"", "axis = \"alpha\"\nwidth_budget = 2.0", "sweep.width_budget"),
        ("log_x = true", "log_x = false\nx_ticks = [1, 2]", "figure.x_ticks"),
        ("log_x = true", "log_x = true\nx_ticks = [0, 2]", "figure.x_ticks"),
        ("label = \"η² = 0.1\"", "label = \"η² = 0.1\"\ncolor = 9", "series[0] \"η² = 0.1\".color"),
        ("ridge = 0.01", "ridge = 0.01\nensemble = 0", "readout.ensemble"),
        // Training axes and quantities where they do not apply (the SMALL model is trained
        // to convergence).
        (
            "[sweep]\naxis = \"alpha\"",
            "[samples]\nvalues = [20]\n[sweep]\naxis = \"steps\"",
            "series[0] \"η² = 0.1\": training.optimizer",
        ),
        (
            "[sweep]\naxis = \"alpha\"",
            "[samples]\nvalues = [20]\n[sweep]\naxis = \"step_edge\"",
            "series[0] \"η² = 0.1\": training.optimizer",
        ),
        (
            "[sweep]\naxis = \"alpha\"",
            "[samples]\nvalues = [20]\n[sweep]\naxis = \"compute\"",
            "series[0] \"η² = 0.1\": training.optimizer",
        ),
        ("y = \"bias\"", "y = \"flow_error\"", "series[1] \"η² = 0.5, bias\".y"),
        ("y = \"bias\"", "y = \"width\"", "series[1] \"η² = 0.5, bias\".y"),
        ("y = \"bias\"", "y = \"deviation\"", "series[1] \"η² = 0.5, bias\".y"),
    ];
    for (i, (from, to, key)) in cases.iter().enumerate() {
        assert!(SMALL.contains(from), "case {i}");
        let cfg = write(&dir, &format!("bad{i}.toml"), &SMALL.replacen(from, to, 1));
        let out = dir.join(format!("out{i}"));
        let args = ["figures", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()];
        assert_bad_input(
            &format!("case {i}"),
            &args,
            &format!("bad{i}.toml"),
            key,
            &out.join(format!("bad{i}.png")),
        );
    }
    let (code, _, err) = run(&["figures", "/nonexistent/dir"]);
    assert_eq!(code, 2, "{err}");
    let cfg = write(&dir, "ok.toml", SMALL);
    let (code, _, err) = run(&["figures", cfg.to_str().unwrap(), "--trials", "0"]);
    assert_eq!(code, 2, "{err}");
}

/// Committed SVGs stay small (a heat map is one embedded image, not a rectangle per cell).
#[test]
fn committed_svgs_are_small() {
    for e in std::fs::read_dir(repo("figures")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "svg") {
            let n = std::fs::metadata(&p).unwrap().len();
            assert!(n < 300_000, "{}: {n} bytes", p.display());
        }
    }
}

/// The PNG is the SVG rasterised with anti-aliasing: a curve's edges have intermediate
/// shades between the line colour and the white background, and `--dpi` scales it.
#[test]
fn png_is_anti_aliased_and_follows_dpi() {
    use lcurve::figures::render;
    let dir = scratch("figures_png");
    let cfg = write(&dir, "small.toml", SMALL);
    let data = figures::compute(
        &FigureSpec::load(&cfg).unwrap(),
        &RunOptions { simulate: false, ..Default::default() },
    )
    .unwrap();
    let svg = render::svg(&data).unwrap();
    let decode = |bytes: &[u8]| resvg::tiny_skia::Pixmap::decode_png(bytes).unwrap();
    let base = decode(&render::png(&svg, 96.0).unwrap());
    // Blue-ish pixels (the first series' colour is (31, 119, 180)) that are neither the full
    // colour nor white: anti-aliased edges.
    let mut shades = std::collections::BTreeSet::new();
    for px in base.pixels() {
        let (r, g, b) = (px.red() as u32, px.green() as u32, px.blue() as u32);
        if b > r + 20 && b > g && (r, g, b) != (31, 119, 180) && b < 255 {
            shades.insert((r, g, b));
        }
    }
    assert!(shades.len() > 20, "only {} intermediate shades of the line colour", shades.len());
    let double = render::png(&svg, 192.0).unwrap();
    let big = decode(&double);
    assert_eq!((big.width(), big.height()), (2 * base.width(), 2 * base.height()));
    // The resolution is recorded (pHYs, pixels per metre).
    let at = double.windows(4).position(|w| w == b"pHYs").expect("a pHYs chunk");
    let ppm = u32::from_be_bytes(double[at + 4..at + 8].try_into().unwrap());
    assert_eq!(ppm, (192.0f64 / 0.0254).round() as u32);
    let (code, _, err) = run(&[
        "figures",
        cfg.to_str().unwrap(),
        "--out",
        dir.join("o").to_str().unwrap(),
        "--no-sim",
        "--dpi",
        "5",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--dpi"), "{err}");
}

/// The minimisation measure against a brute-force scan of the same model.
#[test]
fn argmin_measure_matches_a_brute_force_scan() {
    use lcurve::progress::Silent;
    use lcurve::Config;
    let dir = scratch("figures_argmin");
    let cfg = write(
        &dir,
        "argmin.toml",
        r#"
[figure]
title = "argmin"
kind = "heatmap"
[data]
dim = 120
noise = 0.1
covariance = { kind = "power_law", exponent = 1.0 }
target = { kind = "power_law", exponent = 1.0 }
[[layers]]
width = 120
input_covariance = { kind = "data_power", exponent = 0.0 }
[readout]
ridge = "optimal"
[sweep]
axis = "alpha"
values = [0.5, 2.0]
[sweep_y]
axis = "width"
layer = 1
values = [0.5, 1.5]
[[panels]]
y = { minimise = "error", over = { axis = "exponent", covariance = "input", range = { from = -0.5, to = 3, points = 8, scale = "linear" } }, show = "argmin" }
[[panels]]
y = { minimise = "error", over = { axis = "exponent", covariance = "input", range = { from = -0.5, to = 3, points = 8, scale = "linear" } }, show = "gain", reference = 0.0 }
"#,
    );
    let data = figures::compute(&FigureSpec::load(&cfg).unwrap(), &RunOptions::default()).unwrap();
    let (argmin, gain) = (data.panels[0].heat.as_ref().unwrap(), data.panels[1].heat.as_ref().unwrap());
    for (iy, &nu) in [0.5, 1.5].iter().enumerate() {
        for (ix, &alpha) in [0.5, 2.0].iter().enumerate() {
            let error = |s: f64| {
                let text = format!(
                    "[data]\ndim = 120\nnoise = 0.1\ncovariance = {{ kind = \"power_law\", exponent = 1.0 }}\ntarget = {{ kind = \"power_law\", exponent = 1.0 }}\n[[layers]]\nwidth = {}\ninput_covariance = {{ kind = \"data_power\", exponent = {s} }}\n[readout]\nridge = \"optimal\"\n[samples]\nvalues = [{}]\n",
                    (nu * 120.0f64).round(),
                    (alpha * 120.0f64).round()
                );
                lcurve::curve::run(&Config::from_toml_str(&text).unwrap(), &Silent).unwrap().points[0].error
            };
            // Brute force on a grid of step 0.005 over the same interval.
            let (best_s, best) = (0..=700)
                .map(|k| -0.5 + 0.005 * k as f64)
                .map(|s| (s, error(s)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            let s_star = argmin.z[iy][ix];
            assert!(
                (s_star - best_s).abs() < 0.02,
                "ν = {nu}, α = {alpha}: s* = {s_star} vs brute force {best_s}"
            );
            assert!(
                error(s_star) <= best + 1e-12,
                "ν = {nu}, α = {alpha}: the refined minimum is not below the scan's"
            );
            let g = gain.z[iy][ix];
            assert!((g - error(s_star) / error(0.0)).abs() < 1e-9, "gain {g}");
        }
    }
}

/// Every point is checked before anything is computed or written: a bad value in the last
/// x of the last series of one figure stops the whole batch, and nothing is written.
#[test]
fn late_errors_fail_before_any_file_is_written() {
    let dir = scratch("figures_late");
    let good = write(&dir, "a_good.toml", SMALL);
    // The exponent axis on a series whose Σ0 is AR(1) (no exponent), found at x #3 of series 2.
    let bad = SMALL
        .replace(
            "range = { from = 0.1, to = 4, points = 20 }\nsimulate = { values = [0.5, 2] }",
            "axis_placeholder",
        )
        .replace(
            "axis = \"alpha\"\naxis_placeholder",
            "axis = \"width\"\nlayer = 1\nvalues = [0.5, 1.0, 0.01]",
        )
        .replace("[simulation]", "[samples]\nvalues = [30]\n\n[simulation]");
    assert!(bad.contains("values = [0.5, 1.0, 0.01]"));
    let bad = write(&dir, "b_bad.toml", &bad);
    let out = dir.join("out");
    let (code, _, err) =
        run(&["figures", good.to_str().unwrap(), bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("b_bad.toml")
            && err.contains("series[0] \"η² = 0.1\": sweep")
            && err.contains("x = 0.01"),
        "{err}"
    );
    assert!(!out.join("a_good.png").exists() && !out.join("a_good.svg").exists());
}

/// Nothing in a figure config is silently ignored.
#[test]
fn ignored_tables_are_errors() {
    let dir = scratch("figures_ignored");
    let f1 = std::fs::read_to_string(repo("configs/f1_double_descent.toml")).unwrap();
    let with_series = format!("{f1}\n[[series]]\nlabel = \"stray\"\nset = {{ \"data.noise\" = -1 }}\n");
    let cfg = write(&dir, "f1.toml", &with_series);
    let out = dir.join("o");
    let args = ["figures", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()];
    let (_, err) = assert_bad_input("top-level series", &args, "f1.toml", "series", &out.join("f1.png"));
    assert!(err.contains("ignored"), "{err}");
    // A minimisation cannot have simulation markers.
    let argmin = SMALL.replace(
        "y = \"bias\"",
        "y = { minimise = \"error\", over = { axis = \"noise\", values = [0.1, 0.2] } }",
    );
    let cfg = write(&dir, "m.toml", &argmin);
    let args = ["figures", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()];
    assert_bad_input("argmin with markers", &args, "m.toml", "series[1].y", &out.join("m.png"));
}

/// A figure rendered in memory is the SVG the command writes.
#[test]
fn in_memory_svg_equals_the_written_one() {
    let dir = scratch("figures_memory");
    let cfg = write(&dir, "small.toml", SMALL);
    let sim = RunOptions { simulate: false, ..Default::default() };
    let svg = figures::render_svg(&cfg, &sim, &lcurve::progress::Silent).unwrap();
    let r = figures::render_one(&cfg, &dir, &sim, 96.0).unwrap();
    assert_eq!(svg, std::fs::read_to_string(r.svg).unwrap());
}

const ENSEMBLE: &str = r#"
[figure]
title = "ensembles"
log_x = true
x_ticks = [1, 2, 4]

[data]
dim = 60
noise = 0.1
covariance = { kind = "power_law", exponent = 1.0 }

[[layers]]
width = 30

[readout]
ridge = 0

[samples]
values = [45]

[simulation]
trials = 4

[sweep]
axis = "ensemble"
width_budget = 2.0
layer = 1
values = [1, 2, 4]
simulate = { values = [2] }

[[series]]
label = "ridgeless"
color = 3
[[series]]
label = "λ*"
markers = false
set = { "readout.ridge" = "optimal" }
"#;

/// The ensemble axis with a width budget: K members of width round(2 n0/K), the same
/// numbers as `lcurve curve` with that ensemble and width; markers only where asked.
#[test]
fn ensemble_axis_with_a_width_budget_matches_the_curve() {
    use lcurve::progress::Silent;
    use lcurve::Config;
    let dir = scratch("figures_ensemble");
    let cfg = write(&dir, "ens.toml", ENSEMBLE);
    let data = figures::compute(&FigureSpec::load(&cfg).unwrap(), &RunOptions::default()).unwrap();
    let panel = &data.panels[0];
    assert_eq!(panel.spec.x_ticks.as_deref(), Some(&[1.0, 2.0, 4.0][..]));
    let (ridgeless, optimal) = (&panel.series[0], &panel.series[1]);
    assert_eq!((ridgeless.color, optimal.color), (2, 1));
    assert_eq!((ridgeless.markers.len(), optimal.markers.len()), (1, 0));
    for (i, k) in [1usize, 2, 4].into_iter().enumerate() {
        for (series, ridge) in [(ridgeless, "0"), (optimal, "\"optimal\"")] {
            let text = ENSEMBLE
                .split("[sweep]")
                .next()
                .unwrap()
                .replace("[figure]\ntitle = \"ensembles\"\nlog_x = true\nx_ticks = [1, 2, 4]\n", "")
                .replace("width = 30", &format!("width = {}", 120 / k))
                .replace("ridge = 0", &format!("ridge = {ridge}\nensemble = {k}"));
            let curve = lcurve::curve::run(&Config::from_toml_str(&text).unwrap(), &Silent).unwrap();
            let pt = &curve.points[0];
            let want = lcurve::Ensemble::Members(k).error(pt).unwrap();
            assert_eq!(series.theory[i], (k as f64, want), "K = {k}, ridge {ridge}");
        }
    }
    // The marker at K = 2 is the validation of that ensemble.
    let m = &ridgeless.markers[0];
    assert_eq!(m.x, 2.0);
    assert!(m.z.is_some_and(|z| z.abs() < 4.0), "{m:?}");
    let (code, _, err) = run(&["figures", cfg.to_str().unwrap(), "--out", dir.join("o").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // Bad ensemble axes: non-integer K, a budget without a layer, a width below the minimum,
    // minimising over K.
    let out = dir.join("bad");
    for (i, (from, to, key)) in [
        ("values = [1, 2, 4]", "values = [1, 2.5]", "sweep"),
        ("layer = 1\n", "", "sweep.layer"),
        ("values = [1, 2, 4]", "values = [1, 64]", "sweep"),
        (
            "label = \"λ*\"",
            "label = \"λ*\"\ny = { minimise = \"error\", over = { axis = \"ensemble\", values = [1, 2] } }",
            "series[1].y.over.axis",
        ),
    ]
    .iter()
    .enumerate()
    {
        assert!(ENSEMBLE.contains(from), "case {i}");
        let bad = write(&dir, &format!("bad{i}.toml"), &ENSEMBLE.replacen(from, to, 1));
        let args = ["figures", bad.to_str().unwrap(), "--out", out.to_str().unwrap()];
        assert_bad_input(
            &format!("case {i}"),
            &args,
            &format!("bad{i}.toml"),
            key,
            &out.join(format!("bad{i}.png")),
        );
    }
}

/// The scaling axes: a `samples` sweep equals the curve at those p, `exponent_samples`
/// equals the local exponent of `curve --exponents`, a `budget` sweep equals the frontier,
/// and a power guide renders; none of them has simulation markers.
#[test]
fn scaling_axes_match_the_library() {
    let text = r#"
[figure]
title = "scaling"
log_x = true
log_y = true

[data]
dim = "infinite"
covariance = { kind = "power_law", exponent = 2.0, normalize = false }
target = { kind = "power_law", exponent = 0.5 }

[[layers]]
width = 300

[readout]
ridge = 0.0001

[samples]
values = [10]

[[panels]]
sweep = { axis = "samples", values = [10, 100, 1000] }
guides = [{ power = -1.5, series = 1, at = 10 }]
[[panels.series]]
label = "E_g"
[[panels.series]]
label = "exponent"
y = "exponent_samples"

[[panels]]
sweep = { axis = "budget", values = [1e5, 1e6] }
[[panels.series]]
label = "frontier"
"#;
    let dir = scratch("figures_scaling");
    let path = write(&dir, "s.toml", text);
    let spec = FigureSpec::load(&path).unwrap();
    let data = figures::compute(&spec, &RunOptions::default()).unwrap();
    let model = "[data]\ndim = \"infinite\"\ncovariance = { kind = \"power_law\", exponent = 2.0, normalize = false }\n\
        target = { kind = \"power_law\", exponent = 0.5 }\n[[layers]]\nwidth = 300\n[readout]\nridge = 0.0001\n\
        [samples]\nvalues = [10, 100, 1000]\n";
    let cfg = lcurve::Config::from_toml_str(model).unwrap();
    let curve = lcurve::curve::run_with(&cfg, true, &lcurve::progress::Silent).unwrap();
    let panel = &data.panels[0];
    for (i, pt) in curve.points.iter().enumerate() {
        assert_eq!(panel.series[0].theory[i], (pt.samples, pt.error));
        assert_eq!(
            panel.series[1].theory[i],
            (pt.samples, curve.exponents.as_ref().unwrap()[i].samples.unwrap())
        );
    }
    assert!(panel.series.iter().all(|s| s.markers.is_empty()));
    let budgets = [1e5, 1e6];
    let (frontier, _) = lcurve::scaling::frontier(&cfg, &budgets, &lcurve::progress::Silent).unwrap();
    for (i, f) in frontier.iter().enumerate() {
        assert_eq!(data.panels[1].series[0].theory[i], (f.budget, f.error));
    }
    let svg = figures::render::svg(&data).unwrap();
    assert!(svg.contains("<svg"));
}

/// Training axes (TRAINING.md): a `steps` axis of gradient descent (with gradient flow at
/// t = ηk) and of one-pass SGD (markers with the median run), a `step_edge` axis, and one-pass
/// SGD's `compute` axis (loss and width), each equal to the library's numbers; the store
/// refers to every trial the markers simulated.
#[test]
fn training_axes_match_the_library() {
    let text = r#"
[figure]
title = "training"
log_x = true
log_y = true

[data]
dim = 60
noise = 0.1
covariance = { kind = "power_law", exponent = 1.0 }

[[layers]]
width = 80

[readout]
ridge = 0

[training]
optimizer = "sgd"
step = { kernel_norm = 0.5 }

[simulation]
trials = 6
seed = 3

[[panels]]
set = { training = { optimizer = "gd", step = { edge = 0.5 } }, samples = { values = [50] } }
sweep = { axis = "steps", values = [1, 10, 100], simulate = { values = [3, 30] } }
[[panels.series]]
label = "gd"
[[panels.series]]
label = "flow"
y = "flow_error"

[[panels]]
set = { training = { optimizer = "gd", step = { edge = 0.5 } }, samples = { values = [50] } }
sweep = { axis = "step_edge", values = [0.2, 0.9] }
[[panels.series]]
label = "k = 5"
set = { "training.steps" = 5 }

[[panels]]
set = { "training.batch" = 2 }
sweep = { axis = "steps", values = [1, 10, 100], simulate = { values = [10, 100] } }
[[panels.series]]
label = "sgd"

[[panels]]
set = { "training.batch" = 2, data = { dim = "infinite", covariance = { kind = "power_law", exponent = 1.6, normalize = false }, target = { kind = "power_law", exponent = 0.6 } } }
sweep = { axis = "compute", values = [1e3, 1e4, 1e5] }
[[panels.series]]
label = "loss"
[[panels.series]]
label = "width"
y = "width"
"#;
    let dir = scratch("figures_training");
    let path = write(&dir, "t.toml", text);
    let store = dir.join("store");
    let spec = FigureSpec::load(&path).unwrap();
    let opts = RunOptions {
        store: Some(std::sync::Arc::new(lcurve::store::Store::open(&store).unwrap())),
        ..RunOptions::default()
    };
    let data = figures::compute(&spec, &opts).unwrap();
    let model = |extra: &str| {
        lcurve::Config::from_toml_str(&format!(
            "[data]\ndim = 60\nnoise = 0.1\ncovariance = {{ kind = \"power_law\", exponent = 1.0 }}\n\
             [[layers]]\nwidth = 80\n[readout]\nridge = 0\n{extra}"
        ))
        .unwrap()
    };
    let silent = &lcurve::progress::Silent;
    // Gradient descent along the steps, and gradient flow at its times.
    let gd = model("[samples]\nvalues = [50]\n[training]\noptimizer = \"gd\"\nstep = { edge = 0.5 }\n");
    let lcurve::stepped::Stepped::Descent { rows, .. } =
        lcurve::stepped::run(&gd, &[1, 10, 100], None, silent).unwrap()
    else {
        panic!("not gradient descent")
    };
    let theory = lcurve::Theory::from_spec(gd.model(), silent).unwrap();
    let times: Vec<f64> = rows[0].points.iter().map(|t| t.time).collect();
    let flow = theory.points_at_times(50.0, 0.0, &times).unwrap();
    for (i, t) in rows[0].points.iter().enumerate() {
        let k = [1.0, 10.0, 100.0][i];
        assert_eq!(data.panels[0].series[0].theory[i], (k, t.error));
        assert_eq!(data.panels[0].series[1].theory[i], (k, flow[i].error));
    }
    let markers = &data.panels[0].series[0].markers;
    assert_eq!(markers.iter().map(|m| m.x).collect::<Vec<_>>(), [3.0, 30.0]);
    assert!(markers.iter().all(|m| m.z.is_some_and(|z| z.abs() < 4.0) && m.median.is_none()), "{markers:?}");
    assert!(data.panels[0].series[1].markers.is_empty());
    // The step as a fraction of the edge.
    for (i, f) in [0.2, 0.9].iter().enumerate() {
        let cfg = model(&format!(
            "[samples]\nvalues = [50]\n[training]\noptimizer = \"gd\"\nstep = {{ edge = {f} }}\nsteps = 5\n"
        ));
        let lcurve::stepped::Stepped::Descent { rows, .. } =
            lcurve::stepped::run(&cfg, &[5], None, silent).unwrap()
        else {
            panic!("not gradient descent")
        };
        assert_eq!(data.panels[1].series[0].theory[i], (*f, rows[0].points[0].error));
    }
    // One-pass SGD: the mean curve, and markers with the median run.
    let sgd = model("[training]\noptimizer = \"sgd\"\nstep = { kernel_norm = 0.5 }\nbatch = 2\n");
    let lcurve::stepped::Stepped::Sgd { curve, .. } =
        lcurve::stepped::run(&sgd, &[1, 10, 100], None, silent).unwrap()
    else {
        panic!("not sgd")
    };
    for (i, p) in curve.points.iter().enumerate() {
        assert_eq!(data.panels[2].series[0].theory[i], (p.steps, p.error));
    }
    let markers = &data.panels[2].series[0].markers;
    assert_eq!(markers.len(), 2);
    assert!(markers.iter().all(|m| m.median.is_some_and(|(v, lo, hi)| lo <= v && v <= hi)), "{markers:?}");
    // The compute-optimal frontier: loss and width of `lcurve scaling --budget`.
    let infinite = write(
        &dir,
        "plrf.toml",
        "[data]\ndim = \"infinite\"\nnoise = 0.1\ncovariance = { kind = \"power_law\", exponent = 1.6, normalize = false }\n\
         target = { kind = \"power_law\", exponent = 0.6 }\n[[layers]]\nwidth = 80\n[readout]\nridge = 0\n\
         [training]\noptimizer = \"sgd\"\nstep = { kernel_norm = 0.5 }\nbatch = 2\n",
    );
    let (code, out, err) =
        run(&["scaling", infinite.to_str().unwrap(), "--budget", "1e3:1e5:3", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cli = j["frontier"].as_array().unwrap();
    let mut interior = 0;
    for (i, f) in [1e3, 1e4, 1e5].iter().enumerate() {
        let (loss, width) = (data.panels[3].series[0].theory[i], data.panels[3].series[1].theory[i]);
        assert_eq!((loss.0, width.0), (*f, *f));
        match cli.iter().find(|p| p["budget"].as_f64() == Some(*f) && p["interior"] == "true") {
            Some(p) => {
                // The JSON prints 15 significant digits.
                let close = |a: f64, b: f64| (a / b - 1.0).abs() < 1e-13;
                assert!(close(loss.1, p["error"].as_f64().unwrap()), "{loss:?} vs {p}");
                assert!(close(width.1, p["width"].as_f64().unwrap()), "{width:?} vs {p}");
                interior += 1;
            }
            // Not on the frontier (no step, or the best width at the end of the grid): no line.
            None => assert!(loss.1.is_infinite() && width.1.is_infinite(), "{f}: {loss:?}"),
        }
    }
    assert!(interior >= 2, "{cli:?}");
    // Every marker's trials are in the store, and the store says so.
    let (code, out, err) =
        run(&["store", "status", path.to_str().unwrap(), "--store", store.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // 6 trials at 2 gradient-descent step counts and 6 SGD runs at 2 step counts.
    assert!(out.contains("t.toml: 24 of 24 trials stored, 0 missing"), "{out}");
}

/// A network with every layer trained on a `steps` axis: the line is `dynamics`'s dataset
/// mean (and the sharpness), the markers are networks of the config's width on the same
/// training sets with the paired z, and the store refers to every network they trained.
#[test]
fn every_layer_trained_on_a_steps_axis() {
    let text = r#"
[figure]
title = "features"
log_x = true

[data]
dim = 12
noise = 0.05
covariance = { kind = "power_law", exponent = 1.0 }

[[layers]]
width = 200
[[layers]]
width = 200

[readout]
ridge = 0

[samples]
values = [8]

[training]
optimizer = "gd"
layers = "all"
step = 0.05
richness = 1.0
datasets = 3

[simulation]
trials = 3
seed = 6

[[panels]]
sweep = { axis = "steps", values = [1, 10, 40], simulate = { values = [10, 40] } }
[[panels.series]]
label = "E_g"
[[panels.series]]
label = "s"
y = "sharpness"

[[panels]]
set = { "training.steps" = 30 }
sweep = { axis = "samples", values = [6, 12] }
y = "early_stopped"
[[panels.series]]
label = "early stopped"
"#;
    let dir = scratch("figures_features");
    let path = write(&dir, "f.toml", text);
    let store = dir.join("store");
    let spec = FigureSpec::load(&path).unwrap();
    let opts = RunOptions {
        store: Some(std::sync::Arc::new(lcurve::store::Store::open(&store).unwrap())),
        ..RunOptions::default()
    };
    let data = figures::compute(&spec, &opts).unwrap();
    let model = text
        .split("[[panels]]")
        .next()
        .unwrap()
        .replace("[figure]\ntitle = \"features\"\nlog_x = true\n", "");
    let cfg = lcurve::Config::from_toml_str(&model).unwrap();
    let silent = &lcurve::progress::Silent;
    let report = lcurve::features::run(&cfg, &[1, 10, 40], None, &Default::default(), silent).unwrap();
    let series = &data.panels[0].series;
    for (i, pt) in report.points.iter().enumerate() {
        assert_eq!(series[0].theory[i], (pt.steps as f64, pt.error.unwrap()));
        assert_eq!(series[1].theory[i], (pt.steps as f64, pt.sharpness));
    }
    let markers = &series[0].markers;
    assert_eq!(markers.iter().map(|m| m.x).collect::<Vec<_>>(), [10.0, 40.0]);
    assert!(markers.iter().all(|m| m.z.is_some_and(|z| z.abs() < 5.0) && m.low < m.mean && m.mean < m.high));
    assert!(series[1].markers.is_empty());
    // Early stopping with an oracle: each training set's smallest E_g over k ≤ 30, averaged.
    let mut at = cfg.clone();
    at.set_samples(vec![6, 12]).unwrap();
    let all: Vec<u64> = (0..=30).collect();
    let every = lcurve::features::run(&at, &all, None, &Default::default(), silent).unwrap();
    for (i, p) in [6usize, 12].iter().enumerate() {
        let best: Vec<f64> = (0..3)
            .map(|d| {
                every
                    .datasets
                    .iter()
                    .filter(|r| r.samples == *p && r.dataset == d)
                    .map(|r| r.error.unwrap())
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        let mean = best.iter().sum::<f64>() / 3.0;
        assert_eq!(data.panels[1].series[0].theory[i], (*p as f64, mean));
    }
    let (code, out, err) =
        run(&["store", "status", path.to_str().unwrap(), "--store", store.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // 3 training sets × 3 networks at 2 steps.
    assert!(out.contains("f.toml: 18 of 18 trials stored, 0 missing"), "{out}");
    // The sharpness belongs to a network with every layer trained.
    let bad = write(
        &dir,
        "bad.toml",
        &text.replace("layers = \"all\"\n", "").replace("richness = 1.0\n", "").replace("datasets = 3\n", ""),
    );
    let out = dir.join("out");
    let args = ["figures", bad.to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-sim"];
    assert_bad_input("sharpness", &args, "bad.toml", "series[1] \"s\".y", &out.join("bad.png"));
}

/// A network-width axis (F14's 1/N check): the line is the infinite-width E_g at
/// `[training] steps` (flat in N), the markers are networks of each width with the paired z,
/// and the deviation N·⟨|β_N − β_∞|²⟩ is markers only — the `widths` table of `dynamics`.
#[test]
fn network_width_axis_is_the_widths_table() {
    let text = r#"
[figure]
title = "widths"
log_x = true

[data]
dim = 12
noise = 0.05
covariance = { kind = "power_law", exponent = 1.0 }

[[layers]]
width = 200
[[layers]]
width = 200

[readout]
ridge = 0

[samples]
values = [8]

[training]
optimizer = "gd"
layers = "all"
step = 0.05
richness = 0.5
datasets = 4
steps = 20

[simulation]
trials = 4
seed = 9

[[panels]]
sweep = { axis = "network_width", values = [100, 400], simulate = { values = [100, 400] } }
[[panels.series]]
label = "E_g"
[[panels.series]]
label = "deviation"
y = "deviation"
"#;
    let dir = scratch("figures_network_width");
    let path = write(&dir, "w.toml", text);
    let spec = FigureSpec::load(&path).unwrap();
    let data = figures::compute(&spec, &RunOptions::default()).unwrap();
    let model =
        text.split("[[panels]]").next().unwrap().replace("[figure]\ntitle = \"widths\"\nlog_x = true\n", "");
    let cfg = lcurve::Config::from_toml_str(&model).unwrap();
    let silent = &lcurve::progress::Silent;
    let sim = RunOptions::default();
    let opts = lcurve::features::FeatureOptions { widths: Some(vec![100, 400]), save_datasets: None };
    let report = lcurve::features::run(&cfg, &[20], Some(&sim), &opts, silent).unwrap();
    let series = &data.panels[0].series;
    let theory = report.points[0].error.unwrap();
    assert_eq!(series[0].theory, vec![(100.0, theory), (400.0, theory)]);
    assert!(series[1].theory.iter().all(|p| p.1.is_infinite()));
    let (_, rows) = report.simulated.as_ref().unwrap();
    for (i, n) in [100usize, 400].iter().enumerate() {
        let row = rows.iter().find(|r| r.width == *n).unwrap();
        assert_eq!(series[0].markers[i].mean, row.error.unwrap());
        assert_eq!(series[0].markers[i].z, row.z);
        assert_eq!(series[1].markers[i].mean, row.deviation.unwrap());
    }
    // 1/N: N·⟨|δβ|²⟩ stays within a factor 2 from N = 100 to 400 (without the law it would
    // grow 4×; 16 networks a width leave about ±30 %).
    let ratio = series[1].markers[1].mean / series[1].markers[0].mean;
    assert!((0.5..2.0).contains(&ratio), "{ratio}");
}

/// Uncentred networks on a `richness` axis: the line `uncentred_error` is `dynamics`'s
/// error plus its `uncentred_extra` at `[training] steps` for each γ0, and the markers'
/// z is the widths table's (paired against that sum).
#[test]
fn uncentred_networks_on_a_richness_axis() {
    let text = r#"
[figure]
title = "uncentred"
log_x = true

[data]
dim = 12
noise = 0.05
covariance = { kind = "power_law", exponent = 1.0 }

[[layers]]
width = 150
[[layers]]
width = 150

[readout]
ridge = 0

[samples]
values = [8]

[training]
optimizer = "gd"
layers = "all"
step = 0.05
richness = 0.1
centered = false
datasets = 3
steps = 10

[simulation]
trials = 3
seed = 2

[[panels]]
sweep = { axis = "richness", values = [0.05, 0.5], simulate = { values = [0.05] } }
y = "uncentred_error"
[[panels.series]]
label = "uncentred"
"#;
    let dir = scratch("figures_uncentred");
    let path = write(&dir, "u.toml", text);
    let data = figures::compute(&FigureSpec::load(&path).unwrap(), &RunOptions::default()).unwrap();
    let series = &data.panels[0].series[0];
    let silent = &lcurve::progress::Silent;
    for (i, g) in [0.05, 0.5].iter().enumerate() {
        let model =
            text.split("[[panels]]").next().unwrap().replace("richness = 0.1", &format!("richness = {g}"));
        let model = model.replace("[figure]\ntitle = \"uncentred\"\nlog_x = true\n", "");
        let cfg = lcurve::Config::from_toml_str(&model).unwrap();
        let sim = RunOptions::default();
        let report =
            lcurve::features::run(&cfg, &[10], (i == 0).then_some(&sim), &Default::default(), silent)
                .unwrap();
        let pt = &report.points[0];
        assert_eq!(series.theory[i], (*g, pt.error.unwrap() + pt.uncentred_extra.unwrap()));
        if i == 0 {
            let row = &report.simulated.as_ref().unwrap().1[0];
            assert_eq!((series.markers[0].mean, series.markers[0].z), (row.error.unwrap(), row.z));
            assert!(row.z.is_some_and(|z| z.abs() < 4.0), "{row:?}");
        }
    }
}
