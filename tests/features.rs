//! Networks with every layer trained (FEATURES.md) through the command line: the DMFT per
//! training set along the steps, the datasets a run writes (recomputed independently),
//! real networks converging to the DMFT like 1/N, the monitor's warnings, the store, and the
//! one-line errors of every misuse.

mod common;
use common::{assert_bad_input, run, run_env, scratch, write};

const FEAT: &str = r#"
[data]
dim = 12
noise = 0.05
covariance = { kind = "power_law", exponent = 1.0 }
target = { kind = "power_law", exponent = 1.0 }
[[layers]]
width = 300
[[layers]]
width = 300
[readout]
ridge = 0
[samples]
values = [8, 16]
[training]
optimizer = "gd"
layers = "all"
step = 0.05
richness = 0.5
datasets = 4
[simulation]
trials = 4
seed = 3
"#;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The points are the plain means of the datasets table, with standard errors sd/√M; step 0
/// is the untrained centred network (E_g = β*ᵀΣ0β*, E_tr = |y|²/P); the summary counts the
/// datasets and the DMFT's coordinates (rank X = P below D).
#[test]
fn points_are_dataset_means() {
    let dir = scratch("features_points");
    let cfg = write(&dir, "f.toml", FEAT);
    let (code, out, err) =
        run(&["dynamics", cfg.to_str().unwrap(), "--steps", "0,10,40", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let j = json(&out);
    let points = j["points"].as_array().unwrap();
    let rows = j["datasets"].as_array().unwrap();
    assert_eq!((points.len(), rows.len()), (6, 24));
    for pt in points {
        let mine: Vec<f64> = rows
            .iter()
            .filter(|r| r["samples"] == pt["samples"] && r["steps"] == pt["steps"])
            .map(|r| num(&r["error"]))
            .collect();
        assert_eq!(mine.len(), 4);
        let m = mine.iter().sum::<f64>() / 4.0;
        let sd = (mine.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 3.0).sqrt();
        assert!((num(&pt["error"]) - m).abs() < 1e-14 * m.max(1.0), "{pt}");
        assert!((num(&pt["error_stderr"]) - sd / 2.0).abs() < 1e-12, "{pt}");
        assert_eq!(num(&pt["time"]), 0.05 * num(&pt["steps"]));
    }
    let s = &j["summary"].as_array().unwrap();
    assert_eq!((num(&s[0]["coordinates"]), num(&s[1]["coordinates"])), (8.0, 12.0));
    assert_eq!(num(&s[0]["datasets"]), 4.0);
    assert_eq!(j["richness"], 0.5);
}

fn read_npy(path: &std::path::Path) -> (Vec<u64>, Vec<f64>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape = npy.shape().to_vec();
    (shape, npy.into_vec::<f64>().unwrap())
}

/// `--save-datasets` writes each training set; from the files alone the datasets table's
/// rows follow: E_g(0) = β*ᵀΣ0β* and E_tr(0) = |y|²/P of the untrained centred network,
/// and after one step β(1) = εXᵀy/P (the kernel at initialisation is the lazy one).
#[test]
fn saved_datasets_recompute_the_rows() {
    let dir = scratch("features_save");
    let cfg = write(&dir, "f.toml", FEAT);
    let saved = dir.join("sets");
    let (code, out, err) = run(&[
        "dynamics",
        cfg.to_str().unwrap(),
        "--steps",
        "0,1",
        "--format",
        "json",
        "--save-datasets",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let j = json(&out);
    let sigma: Vec<f64> = {
        let raw: Vec<f64> = (1..=12).map(|k| 1.0 / k as f64).collect();
        let mean = raw.iter().sum::<f64>() / 12.0;
        raw.iter().map(|s| s / mean).collect()
    };
    let rows = j["datasets"].as_array().unwrap();
    assert_eq!(rows.len(), 16);
    for r in rows {
        let (p, i, k) = (num(&r["samples"]) as usize, num(&r["dataset"]) as usize, num(&r["steps"]));
        let sub = saved.join(format!("p{p}-d{i}"));
        let (xs, x) = read_npy(&sub.join("features.npy"));
        let (_, y) = read_npy(&sub.join("labels.npy"));
        let (ts, target) = read_npy(&sub.join("target.npy"));
        assert_eq!((xs, ts), (vec![p as u64, 12], vec![12]));
        let xm = nalgebra::DMatrix::from_row_slice(p, 12, &x);
        let ym = nalgebra::DVector::from_column_slice(&y);
        let beta =
            if k == 0.0 { nalgebra::DVector::zeros(12) } else { xm.transpose() * &ym * (0.05 / p as f64) };
        let eg: f64 = (0..12).map(|j| sigma[j] * (beta[j] - target[j]).powi(2)).sum();
        let etr = (&ym - &xm * &beta).norm_squared() / p as f64;
        assert!((num(&r["error"]) - eg).abs() < 1e-10 * eg, "{r} vs {eg}");
        assert!((num(&r["train_error"]) - etr).abs() < 1e-10 * etr, "{r} vs {etr}");
    }
}

/// Real networks on the same training sets: N·⟨|β_N − β_∞|²⟩ is flat in N (the 1/N law:
/// within 35 % between N = 100 and 400) and the paired z at N = 400 is within 4; a second
/// run takes every network from the store and prints the same table.
#[test]
fn networks_converge_to_the_dmft_like_one_over_n() {
    let dir = scratch("features_widths");
    let cfg = write(&dir, "f.toml", FEAT);
    let store = dir.join("store");
    let args = [
        "dynamics",
        cfg.to_str().unwrap(),
        "--steps",
        "10,40",
        "--validate",
        "--widths",
        "100,400",
        "--table",
        "widths",
        "--store",
        store.to_str().unwrap(),
    ];
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Vec<String>> = out.lines().map(|l| l.split(',').map(String::from).collect()).collect();
    let col = |name: &str| lines[0].iter().position(|c| c == name).unwrap();
    let rows = &lines[1..];
    assert_eq!(rows.len(), 8);
    for p in ["8", "16"] {
        for k in ["10", "40"] {
            let at = |n: &str| {
                rows.iter()
                    .find(|r| r[col("samples")] == p && r[col("steps")] == k && r[col("width")] == n)
                    .unwrap()
            };
            let (small, large) = (at("100"), at("400"));
            let dev = |r: &Vec<String>| r[col("deviation")].parse::<f64>().unwrap();
            let ratio = dev(large) / dev(small);
            assert!((0.65..1.35).contains(&ratio), "p = {p}, k = {k}: {ratio}");
            let z: f64 = large[col("z")].parse().unwrap();
            assert!(z.abs() <= 4.0, "p = {p}, k = {k}: z = {z}");
            assert_eq!(large[col("networks")], "16");
        }
    }
    let (code, again, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(again, out);
    // 2 sample sizes × 4 training sets × 2 widths × 2 steps, 4 networks each, all kept.
    let (code, status, err) = run(&["store", "status", "--store", store.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(status.contains("128 trials of 32 points"), "{status}");
}

/// The monitor (FEATURES §4): a rich network at a large step passes s = 2 on some training
/// sets — a warning naming the step and a smaller ε, the summary's first step and count —
/// and keeps its numbers.
#[test]
fn edge_of_stability_is_reported() {
    let dir = scratch("features_eos");
    let text = FEAT
        .replace("dim = 12", "dim = 20")
        .replace("values = [8, 16]", "values = [40]")
        .replace("step = 0.05", "step = 0.1")
        .replace("richness = 0.5", "richness = 1.5");
    let cfg = write(&dir, "f.toml", &text);
    let (code, out, err) =
        run(&["dynamics", cfg.to_str().unwrap(), "--steps", "0,40,79", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let j = json(&out);
    let s = &j["summary"][0];
    assert!(num(&s["max_sharpness"]) > 2.0 && num(&s["past_edge"]) >= 1.0, "{s}");
    assert!(num(&s["suggested_step"]) < 0.1, "{s}");
    assert!(err.contains("edge of stability") && err.contains("try ε <"), "{err}");
    assert!(j["points"].as_array().unwrap().iter().all(|p| p["error"].is_number()));
}

/// Every misuse is one line naming the file and key (or the option), exit 2, nothing written.
#[test]
fn feature_misuse_is_one_line() {
    let dir = scratch("features_bad");
    let out = dir.join("never.csv");
    let o = out.to_str().unwrap();
    let cases: Vec<(&str, String, &str, Vec<&str>)> = vec![
        (
            "ridge",
            FEAT.replace("ridge = 0", "ridge = 0.1"),
            "readout.ridge",
            vec!["dynamics", "--steps", "1"],
        ),
        (
            "nonlinear",
            FEAT.replacen("width = 300\n", "width = 300\nactivation = \"relu\"\n", 1),
            "layers[0].activation",
            vec!["dynamics", "--steps", "1"],
        ),
        (
            "unequal widths",
            FEAT.replacen("width = 300\n[readout]", "width = 200\n[readout]", 1),
            "layers[1].width",
            vec!["dynamics", "--steps", "1"],
        ),
        (
            "structured hidden layer",
            FEAT.replacen(
                "width = 300\n",
                "width = 300\ncovariance = { kind = \"power_law\", exponent = 1.0 }\n",
                1,
            ),
            "layers[0].covariance",
            vec!["dynamics", "--steps", "1"],
        ),
        (
            "no hidden layer",
            FEAT.replace("[[layers]]\nwidth = 300\n[[layers]]\nwidth = 300\n", ""),
            "layers",
            vec!["dynamics", "--steps", "1"],
        ),
        (
            "edge rule",
            FEAT.replace("step = 0.05", "step = { edge = 0.5 }"),
            "training.step",
            vec!["dynamics", "--steps", "1"],
        ),
        ("sgd", FEAT.replace("\"gd\"", "\"sgd\""), "training.optimizer", vec!["dynamics", "--steps", "1"]),
        (
            "no richness",
            FEAT.replace("richness = 0.5\n", ""),
            "training.richness",
            vec!["dynamics", "--steps", "1"],
        ),
        (
            "negative richness",
            FEAT.replace("richness = 0.5", "richness = -1"),
            "training.richness",
            vec!["dynamics", "--steps", "1"],
        ),
        (
            "uncentred lazy",
            FEAT.replace("richness = 0.5", "richness = 0.0\ncentered = false"),
            "training.centered",
            vec!["dynamics", "--steps", "1"],
        ),
        (
            "no datasets",
            FEAT.replace("datasets = 4", "datasets = 0"),
            "training.datasets",
            vec!["dynamics", "--steps", "1"],
        ),
        (
            "richness on the readout",
            FEAT.replace("layers = \"all\"\n", ""),
            "training.richness",
            vec!["dynamics", "--steps", "1"],
        ),
        (
            "layers value",
            FEAT.replace("\"all\"", "\"some\""),
            "training.layers",
            vec!["dynamics", "--steps", "1"],
        ),
        ("times", FEAT.to_string(), "times", vec!["dynamics", "--times", "1,2"]),
        ("curve", FEAT.to_string(), "training.layers", vec!["curve"]),
        ("validate", FEAT.to_string(), "training.layers", vec!["validate"]),
        (
            "one network",
            FEAT.to_string(),
            "trials",
            vec!["dynamics", "--steps", "1", "--validate", "--trials", "1"],
        ),
        (
            "width zero",
            FEAT.to_string(),
            "widths",
            vec!["dynamics", "--steps", "1", "--validate", "--widths", "0"],
        ),
    ];
    for (case, text, key, cmd) in cases {
        let cfg = write(&dir, "bad.toml", &text);
        let mut args: Vec<&str> = vec![cmd[0], cfg.to_str().unwrap()];
        args.extend(&cmd[1..]);
        args.extend(["--out", o]);
        let file = if ["times", "trials", "widths"].contains(&key) { "" } else { "bad.toml" };
        assert_bad_input(case, &args, file, key, &out);
    }
    // The options of every layer trained, on a readout-only config, name themselves.
    let plain = write(
        &dir,
        "gd.toml",
        &FEAT.replace("layers = \"all\"\n", "").replace("richness = 0.5\n", "").replace("datasets = 4\n", ""),
    );
    let (code, _, err) = run(&["dynamics", plain.to_str().unwrap(), "--steps", "1", "--save-datasets", o]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--save-datasets") && err.lines().count() == 1, "{err}");
}

/// The DMFT's memory is estimated before anything is drawn.
#[test]
fn memory_is_checked_first() {
    let dir = scratch("features_memory");
    let cfg = write(&dir, "f.toml", FEAT);
    let (code, _, err) =
        run_env(&["dynamics", cfg.to_str().unwrap(), "--steps", "5000"], &[("LCURVE_MEMORY_LIMIT", "10M")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("training.datasets") && err.contains("memory"), "{err}");
}
