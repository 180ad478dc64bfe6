//! Figure configs: the committed set parses, resolves and matches what the command
//! produces; small renders write PNG and SVG; bad figure configs get one clear line.

mod common;
use common::{assert_bad_input, run, scratch, write};
use lcurve::figures::{self, FigureSpec, SimOptions};
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
        figures::render_all(&found, &dir, &SimOptions::default(), 96.0, &lcurve::progress::Silent).unwrap();
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
    let data = figures::compute(&FigureSpec::load(&cfg).unwrap(), &SimOptions::default()).unwrap();
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
        &SimOptions { trials: Some(2), ..Default::default() },
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
        ("axis = \"alpha\"", "axis = \"samples\"", "sweep.axis"),
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
