//! Hostile input: sizes that cannot fit, files that never end, output paths that are not
//! plain files, extreme numbers, the interpolation threshold, thread counts, messages and
//! output shapes (issue 7). Every refusal is one line, exit code 2, and no output file.

mod common;
use common::{assert_bad_input, run, run_env, scratch, write};
use std::path::Path;
use std::process::Command;

/// The reporter's base config: dim 50, one layer of width 80, λ = 0.01.
const BASE: &str = "[data]\ndim = 50\nnoise = 0.1\n\n[[layers]]\nwidth = 80\n\n[readout]\nridge = 0.01\n\n[samples]\nvalues = [10, 50, 100]\n";

fn repo(p: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// Runs lcurve with an environment variable set; (exit code, stdout, stderr).

#[test]
fn sizes_that_cannot_fit_are_refused_up_front() {
    let dir = scratch("hard_sizes");
    let cases: [(&str, &str, &str, &str); 12] = [
        // The theory takes any size up to 10¹⁵ (compressed spectra); a simulation is refused
        // by its memory estimate, which blames the size.
        ("dim = 50", "dim = 1000000000000", "data.dim", "validate"),
        ("dim = 50", "dim = 9223372036854775807", "data.dim", "curve"),
        ("dim = 50", "dim = 2", "data.dim", "curve"),
        ("dim = 50", "dim = \"infinite\"", "data.covariance.kind", "curve"),
        ("dim = 50", "dim = \"huge\"", "data.dim", "curve"),
        ("width = 80", "width = 1000000000", "layers[0].width", "validate"),
        ("width = 80", "width = 10000000000000000", "layers[0].width", "curve"),
        (
            "values = [10, 50, 100]",
            "range = { from = 10, to = 1000, points = 1000000000 }",
            "samples.range.points",
            "curve",
        ),
        (
            "values = [10, 50, 100]",
            "range = { from = 10, to = 1e300, points = 3 }",
            "samples.range.to",
            "curve",
        ),
        ("values = [10, 50, 100]", "values = [10000000]", "samples", "validate"),
        ("noise = 0.1", "noise = 1e308", "data.noise", "curve"),
        ("values = [10, 50, 100]", "values = [10, 50, 10000000000000000]", "samples.values[2]", "curve"),
    ];
    for (i, (from, to, key, cmd)) in cases.iter().enumerate() {
        let cfg = write(&dir, &format!("s{i}.toml"), &BASE.replacen(from, to, 1));
        let out = dir.join(format!("s{i}.csv"));
        let args = [cmd, cfg.to_str().unwrap(), "--out", out.to_str().unwrap()];
        assert_bad_input(&format!("case {i} ({to})"), &args, &format!("s{i}.toml"), key, &out);
    }
    // The memory estimate names its numbers and the limit.
    let cfg = dir.join("s9.toml");
    let (code, _, err) = run_env(&["validate", cfg.to_str().unwrap()], &[("LCURVE_MEMORY_LIMIT", "4G")]);
    assert_eq!(code, 2);
    assert!(err.contains("GB") && err.contains("limit of 4.00 GB"), "{err}");
    // --scale that blows sizes up or shrinks them below a meaningful model.
    let base = write(&dir, "base.toml", BASE);
    for scale in ["1e6", "1e-9", "0.01"] {
        let (code, out, err) = run(&["validate", base.to_str().unwrap(), "--scale", scale]);
        assert_eq!(code, 2, "--scale {scale}: {err}");
        assert!(out.is_empty() && err.lines().count() == 1 && err.contains("scale"), "{err}");
    }
}

#[test]
fn unbounded_and_special_files_are_refused() {
    let dir = scratch("hard_files");
    // The config itself: a device, a FIFO, a folder, an oversized file.
    let fifo = dir.join("fifo.toml");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let big = write(&dir, "big.toml", &format!("[data]\ndim = \"{}\"\n", "x".repeat(2_000_000)));
    for (path, what) in [
        (Path::new("/dev/zero"), "regular file"),
        (fifo.as_path(), "regular file"),
        (dir.as_path(), "folder"),
        (big.as_path(), "bytes"),
    ] {
        let (code, _, err) = run(&["curve", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{}: {err}", path.display());
        assert!(err.lines().count() == 1 && err.contains(what), "{}: {err}", path.display());
    }
    // Covariance files: a device, a FIFO, far more lines than the dimension can need.
    let lines: String = (1..=2_000_000).map(|i| format!("{i}\n")).collect();
    write(&dir, "long.txt", &lines);
    write(&dir, "rows.txt", &(1..=51).map(|i| format!("{i}\n")).collect::<String>());
    for (i, path) in ["/dev/urandom", "fifo.toml", "long.txt", "rows.txt"].iter().enumerate() {
        let cfg = write(
            &dir,
            &format!("c{i}.toml"),
            &BASE.replacen(
                "noise = 0.1",
                &format!("noise = 0.1\ncovariance = {{ kind = \"file\", path = \"{path}\" }}"),
                1,
            ),
        );
        let out = dir.join(format!("c{i}.csv"));
        let args = ["curve", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()];
        assert_bad_input(&format!("file {path}"), &args, &format!("c{i}.toml"), "data.covariance.path", &out);
    }
}

#[test]
fn output_paths_are_written_through_not_replaced() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = scratch("hard_out");
    let cfg = write(&dir, "m.toml", BASE);
    let c = cfg.to_str().unwrap();
    let (_, expected, _) = run(&["curve", c]);
    // A symlink: its target is written and the link stays a link.
    let target = write(&dir, "target.csv", "old");
    let link = dir.join("link.csv");
    symlink(&target, &link).unwrap();
    let (code, _, err) = run(&["curve", c, "--out", link.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), expected);
    // A mode-600 file keeps its mode.
    let private = write(&dir, "private.csv", "old");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, _, _) = run(&["curve", c, "--out", private.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&private).unwrap(), expected);
    // `-` is stdout, and no file named `-` appears.
    let (code, out, _) = Command::new(env!("CARGO_BIN_EXE_lcurve"))
        .args(["curve", c, "--out", "-"])
        .current_dir(&dir)
        .output()
        .map(|o| (o.status.code().unwrap(), String::from_utf8(o.stdout).unwrap(), ()))
        .unwrap();
    assert_eq!(code, 0);
    assert_eq!(out, expected);
    assert!(!dir.join("-").exists());
    // A FIFO is written directly (a reader gets the table).
    let fifo = dir.join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let (code, _, err) = run(&["curve", c, "--out", fifo.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(reader.join().unwrap(), expected);
    // A device is written directly and stays a device.
    let (code, _, err) = run(&["curve", c, "--out", "/dev/null"]);
    assert_eq!(code, 0, "{err}");
    assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
    // Extensions are case-insensitive.
    let json = dir.join("UPPER.JSON");
    assert_eq!(run(&["curve", c, "--out", json.to_str().unwrap()]).0, 0);
    assert!(std::fs::read_to_string(&json).unwrap().starts_with('{'));
    // Folders, trailing slashes and missing folders: one line naming --out, exit 2, before any work.
    for bad in [
        dir.to_str().unwrap().to_string(),
        format!("{}/", dir.display()),
        format!("{}/nodir/x.csv", dir.display()),
    ] {
        let (code, out, err) = run(&["curve", c, "--out", &bad]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(out.is_empty() && err.lines().count() == 1 && err.contains("--out"), "{bad}: {err}");
    }
}

#[test]
fn interpolation_threshold_is_not_scored() {
    let dir = scratch("hard_threshold");
    // Ridgeless, r = min(n0, n1) = 50: p = 50 is the threshold.
    let cfg = write(&dir, "t.toml", &BASE.replacen("ridge = 0.01", "ridge = 0", 1));
    let (code, out, err) = run(&["validate", cfg.to_str().unwrap(), "--trials", "4"]);
    assert_eq!(code, 0, "{err}");
    let header: Vec<&str> = out.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let row: Vec<&str> = out.lines().find(|l| l.starts_with("50,")).unwrap().split(',').collect();
    assert_eq!(row[col("theory")], "inf");
    assert_eq!(row[col("z")], "", "no z at the threshold");
    assert!(row[col("mc_mean")].parse::<f64>().unwrap().is_finite());
    assert!(
        err.contains("1 point at the interpolation threshold (theory = inf) not compared: p = 50"),
        "{err}"
    );
    let json = dir.join("t.json");
    let (code, _, _) =
        run(&["validate", cfg.to_str().unwrap(), "--trials", "4", "--out", json.to_str().unwrap()]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let p50 = v["points"].as_array().unwrap().iter().find(|p| p["samples"] == 50).unwrap();
    assert!(p50["z"].is_null() && p50["theory"].is_null());
    assert_eq!(v["agreement"]["at_threshold"][0], 50);
    assert_ne!(v["agreement"]["max_abs_z_samples"], 50);
    // --check can still fail on the other points, never on this one.
    let (code, _, _) = run(&["validate", cfg.to_str().unwrap(), "--trials", "4", "--check", "1e6"]);
    assert_eq!(code, 0);
}

#[test]
fn extreme_ridges_and_their_limits() {
    let dir = scratch("hard_ridges");
    let value = |ridge: &str| -> Vec<Vec<f64>> {
        let cfg = write(&dir, "r.toml", &BASE.replacen("ridge = 0.01", &format!("ridge = {ridge}"), 1));
        let (code, out, err) = run(&["curve", cfg.to_str().unwrap()]);
        assert_eq!(code, 0, "ridge {ridge}: {err}");
        assert!(!out.contains("NaN"), "{out}");
        out.lines().skip(1).map(|l| l.split(',').map(|x| x.parse().unwrap()).collect()).collect()
    };
    // λ → ∞: the null predictor, E_g = 1 (the normalised signal), E_tr = 1 + η².
    for big in ["1e200", "1e300", "1.7e308"] {
        for row in value(big) {
            assert!((row[3] - 1.0).abs() < 1e-12, "{big}: E_g = {}", row[3]);
            assert!((row[6] - 1.1).abs() < 1e-12, "{big}: E_tr = {}", row[6]);
        }
    }
    // λ → 0: the ridgeless values away from the threshold p = 50, and a huge finite error at it.
    let tiny = value("1e-300");
    let zero = value("0");
    for (t, z) in tiny.iter().zip(&zero) {
        if z[0] == 50.0 {
            assert!(z[3].is_infinite() && t[3] > 1e100, "{t:?}");
        } else {
            assert!((t[3] - z[3]).abs() <= 1e-9 * z[3], "{t:?} vs {z:?}");
        }
    }
    // A small but representable λ is close to ridgeless away from the threshold.
    for (s, z) in value("1e-12").iter().zip(&zero) {
        if z[0] != 50.0 {
            assert!((s[3] - z[3]).abs() <= 1e-6 * z[3], "{s:?} vs {z:?}");
        }
    }
}

#[test]
fn thread_count_never_changes_a_bit() {
    let dir = scratch("hard_threads");
    let small_ar1 =
        std::fs::read_to_string(repo("configs/ar1_data.toml")).unwrap().replace("points = 12", "points = 4");
    let ar1 = write(&dir, "ar1.toml", &small_ar1);
    let quick = repo("configs/quickstart.toml");
    let runs: [Vec<&str>; 3] = [
        vec!["curve", quick.to_str().unwrap()],
        vec!["curve", ar1.to_str().unwrap()],
        vec!["validate", ar1.to_str().unwrap(), "--trials", "3"],
    ];
    for args in &runs {
        let one = run_env(args, &[("RAYON_NUM_THREADS", "1")]);
        let two = run_env(args, &[("RAYON_NUM_THREADS", "2")]);
        assert_eq!(one.0, 0, "{args:?}: {}", one.2);
        assert_eq!(one.1, two.1, "{args:?}: 1 and 2 threads differ");
    }
}

#[test]
fn messages_are_one_line_in_the_users_words() {
    let dir = scratch("hard_messages");
    let huge = "x".repeat(500_000);
    let cases = [
        ("noise = 0.1", "noise = 0.1\ncovariance = 5".to_string(), "data.covariance"),
        ("noise = 0.1", "noise = 0.1\ncovariance = []".to_string(), "data.covariance"),
        ("width = 80", "width = { a = 1 }".to_string(), "layers[0].width"),
        ("dim = 50", "dim = 50.5".to_string(), "data.dim"),
        ("noise = 0.1", format!("noise = 0.1\ncovariance = {{ kind = \"{huge}\" }}"), "data.covariance.kind"),
        ("ridge = 0.01", format!("ridge = \"{huge}\""), "readout.ridge"),
        ("[data]", "= 5\n[data]".to_string(), "line 1, column 1"),
    ];
    for (i, (from, to, key)) in cases.iter().enumerate() {
        let cfg = write(&dir, &format!("m{i}.toml"), &BASE.replacen(from, to, 1));
        let out = dir.join(format!("m{i}.csv"));
        let args = ["curve", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()];
        let (_, err) = assert_bad_input(&format!("case {i}"), &args, &format!("m{i}.toml"), key, &out);
        for leak in ["Raw", "struct", "line 0", ": .:", "i64", "f64", "map"] {
            assert!(!err.contains(leak), "case {i}: `{leak}` in {err}");
        }
        assert!(err.len() < 400, "case {i}: {} bytes of message", err.len());
    }
    write(&dir, "ok.toml", BASE);
    let empty = write(&dir, "empty.toml", "");
    let (_, _, err) = run(&["curve", empty.to_str().unwrap()]);
    assert!(err.contains("(top level): missing key `data`"), "{err}");
    // Command-line errors: one line, exit 2, about the value.
    let c = dir.join("m0.toml");
    let c = c.to_str().unwrap();
    for (args, expect) in [
        (vec!["validate", c, "--trials", "-1"], "expected an integer from 1 to"),
        (vec!["validate", c, "--scale", "-2"], "expected a finite number > 0"),
        (vec!["curve", c, "--frobnicate"], "unexpected argument"),
        (vec!["curve", c, "--alpha", "1:2"], "FROM:TO:POINTS"),
        (vec!["curve", c, "--set", "novalue"], "key=value"),
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.lines().count() == 1 && err.contains(expect), "{args:?}: {err}");
    }
    // Plurals and the figures' help (its default once).
    let (_, help, _) = run(&["figures", "--help"]);
    assert_eq!(help.matches("default: figures").count(), 1, "{help}");
    for cmd in ["curve", "validate", "figures"] {
        assert!(run(&[cmd, "--help"]).1.contains(&format!("Example: lcurve {cmd}")), "{cmd}");
    }
    let (_, _, err) = run(&["validate", dir.join("ok.toml").to_str().unwrap(), "--trials", "1"]);
    assert!(err.contains("3 points × 1 trial "), "{err}");
}

#[test]
fn csv_and_json_carry_the_same_fields() {
    let dir = scratch("hard_shapes");
    let cfg = write(&dir, "m.toml", BASE);
    let c = cfg.to_str().unwrap();
    for (cmd, extra) in [("curve", vec![]), ("validate", vec!["--trials", "3"])] {
        let mut args = vec![cmd, c];
        args.extend(&extra);
        let (_, csv, _) = run(&args);
        let json_path = dir.join(format!("{cmd}.json"));
        args.extend(["--out", json_path.to_str().unwrap()]);
        assert_eq!(run(&args).0, 0);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        assert_eq!(v["ridge"], 0.01, "{cmd}: the ridge is a number");
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let points = v["points"].as_array().unwrap();
        assert_eq!(points.len(), csv.lines().count() - 1);
        for (p, line) in points.iter().zip(csv.lines().skip(1)) {
            let keys: Vec<&str> = p.as_object().unwrap().keys().map(|k| k.as_str()).collect();
            assert_eq!(keys, header, "{cmd}: JSON fields in CSV order");
            for (k, cell) in header.iter().zip(line.split(',')) {
                // serde_json's default float parser may be one ulp off the written digits.
                if !cell.is_empty() && cell != "inf" {
                    let x: f64 = cell.parse().unwrap();
                    let y = p[*k].as_f64().unwrap();
                    assert!((x - y).abs() <= 4.0 * f64::EPSILON * x.abs(), "{cmd}: {k}: {x} vs {y}");
                }
            }
        }
    }
}

#[test]
fn set_and_alpha_change_the_model_without_editing_it() {
    let dir = scratch("hard_set");
    let cfg = write(&dir, "m.toml", BASE);
    let edited = write(
        &dir,
        "e.toml",
        &BASE.replacen("ridge = 0.01", "ridge = 0.1", 1).replacen("width = 80", "width = 120", 1),
    );
    let c = cfg.to_str().unwrap();
    let (code, with_set, err) =
        run(&["curve", c, "--set", "readout.ridge=0.1", "--set", "layers[0].width=120"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(with_set, run(&["curve", edited.to_str().unwrap()]).1);
    // Unquoted strings and inline tables.
    let (code, _, err) = run(&["curve", c, "--set", "readout.ridge=optimal"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["curve", c, "--set", "data.covariance={ kind = \"ar1\", rho = 0.5 }"]);
    assert_eq!(code, 0, "{err}");
    // Bad overrides name the override and the key.
    let (code, _, err) = run(&["curve", c, "--set", "data.noise=-1"]);
    assert!(code == 2 && err.contains("data.noise"), "{err}");
    let (code, _, err) = run(&["curve", c, "--set", "layers[3].width=5"]);
    assert!(code == 2 && err.contains("set.\"layers[3].width\""), "{err}");
    // --alpha: a log-spaced α sweep, p = round(α n0).
    let (code, out, err) = run(&["curve", c, "--alpha", "0.2:2:3"]);
    assert_eq!(code, 0, "{err}");
    let ps: Vec<&str> = out.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ps, ["10", "32", "100"]);
    let (code, _, err) = run(&["curve", c, "--alpha", "0.001:2:3"]);
    assert!(code == 2 && err.contains("--alpha"), "{err}");
}
