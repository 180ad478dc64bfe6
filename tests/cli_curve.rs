//! `lcurve curve`: output format and every class of bad input (one line, exit code 2,
//! no partial output file).

mod common;
use common::{assert_bad_input, run, scratch, write, BASE};

#[test]
fn curve_csv_and_json() {
    let dir = scratch("curve_ok");
    let cfg = write(&dir, "m.toml", BASE);
    let (code, out, err) = run(&["curve", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "samples,alpha,ridge,error,bias,variance,train_error,test_mse,df,df2,kappa,kappa_data,kappa_1,\
         error_inf,bias_inf,variance_inf,init_variance"
    );
    assert_eq!(lines.len(), 4);
    let row: Vec<f64> = lines[1].split(',').map(|x| x.parse().unwrap()).collect();
    assert_eq!(row[0], 10.0);
    assert!((row[1] - 0.2).abs() < 1e-15);
    assert!((row[3] - row[4] - row[5]).abs() < 1e-12);

    let json_path = dir.join("out.json");
    let (code, _, err) = run(&["curve", cfg.to_str().unwrap(), "--out", json_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["model"]["dim"], 50);
    assert_eq!(v["model"]["widths"][0], 70);
    assert_eq!(v["points"].as_array().unwrap().len(), 3);
    assert!(v["points"][2]["kappa_1"].as_f64().unwrap() > 0.0);
}

/// Each case: (replace this, with that, expected key in the message).
fn bad_cases() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("noise = 0.1", "noise = 0.1\nnosie = 1", "data.nosie"),
        ("exponent = 1.0 }", "exponent = \"one\" }", "data.covariance.exponent"),
        ("dim = 50", "dim = 0", "data.dim"),
        ("width = 70", "width = -3", "layers[0].width"),
        ("noise = 0.1", "noise = nan", "data.noise"),
        ("exponent = 0.5 }", "exponent = inf }", "layers[0].covariance.exponent"),
        (
            "{ kind = \"power_law\", exponent = 0.5 }",
            "{ kind = \"ar1\", rho = 1.0 }",
            "layers[0].covariance.rho",
        ),
        (
            "{ kind = \"power_law\", exponent = 1.0 }",
            "{ kind = \"diagonal\", values = [1.0, 2.0] }",
            "data.covariance.values",
        ),
        (
            "{ kind = \"power_law\", exponent = 1.0 }",
            "{ kind = \"file\", path = \"missing.txt\" }",
            "data.covariance.path",
        ),
        (
            "{ kind = \"power_law\", exponent = 1.0 }",
            "{ kind = \"file\", path = \"asym.csv\" }",
            "data.covariance.path",
        ),
        (
            "{ kind = \"power_law\", exponent = 1.0 }",
            "{ kind = \"file\", path = \"indef.csv\" }",
            "data.covariance.path",
        ),
        ("values = [10, 40, 100]", "values = []", "samples.values"),
        ("values = [10, 40, 100]", "values = [10, 0]", "samples.values[1]"),
        ("ridge = 0.01", "ridge = -0.5", "readout.ridge"),
        ("ridge = 0.01", "ridge = \"best\"", "readout.ridge"),
        (
            "{ kind = \"power_law\", exponent = 1.0 }",
            "{ kind = \"powerlaw\", exponent = 1.0 }",
            "data.covariance.kind",
        ),
        ("{ kind = \"power_law\", exponent = 1.0 }", "{ kind = \"power_law\" }", "data.covariance.exponent"),
        (
            "{ kind = \"power_law\", exponent = 1.0 }",
            "{ kind = \"ar1\", rho = 0.5, exponent = 1 }",
            "data.covariance.exponent",
        ),
        (
            "{ kind = \"power_law\", exponent = 0.5 }",
            "{ kind = \"data_power\", exponent = 0.5 }",
            "layers[0].covariance.kind",
        ),
        (
            "{ kind = \"power_law\", exponent = 0.3 }",
            "{ kind = \"diagonal\", values = [0.0, 1.0] }",
            "layers[0].input_covariance.values",
        ),
        (
            "[readout]",
            "[[layers]]\nwidth = 5\ninput_covariance = { kind = \"identity\" }\n[readout]",
            "layers[1].input_covariance",
        ),
        ("values = [10, 40, 100]", "range = { from = 10, to = 5, points = 3 }", "samples.range.to"),
        ("[samples]", "[sampels]", "sampels"),
        ("dim = 50", "dim = 50\ndim = 51", "line 4"),
    ]
}

#[test]
fn bad_inputs_get_one_line_and_exit_code_2() {
    let dir = scratch("curve_bad");
    write(
        &dir,
        "asym.csv",
        &(0..50)
            .map(|i| {
                (0..50)
                    .map(|j| {
                        if i == j {
                            "1"
                        } else if i < j {
                            "0.1"
                        } else {
                            "0"
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    write(
        &dir,
        "indef.csv",
        &(0..50)
            .map(|i| (0..50).map(|j| if i == j { "1" } else { "0.5" }).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
            .join("\n")
            .replacen("1,", "-3,", 1),
    );
    for (i, (from, to, key)) in bad_cases().into_iter().enumerate() {
        assert!(BASE.contains(from), "case {i}: {from}");
        let cfg = write(&dir, &format!("bad{i}.toml"), &BASE.replacen(from, to, 1));
        let out = dir.join(format!("bad{i}.csv"));
        let args = ["curve", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()];
        let (stdout, stderr) =
            assert_bad_input(&format!("case {i} ({to})"), &args, &format!("bad{i}.toml"), key, &out);
        assert!(!stderr.contains("panicked"), "case {i}: {stderr}");
        assert!(stdout.is_empty());
    }
}

#[test]
fn missing_config_and_bad_flags() {
    let (code, _, err) = run(&["curve", "/nonexistent/model.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/model.toml") && err.lines().count() == 1, "{err}");
    let (code, _, _) = run(&["curve", "x.toml", "--format", "xml"]);
    assert_eq!(code, 2);
}

#[test]
fn covariance_files_eigenvalues_and_matrices() {
    let dir = scratch("curve_files");
    // Γ as a diagonal matrix file (dense path) equals Γ as a diagonal kind (co-diagonal shortcut).
    let n = 50;
    let gamma: Vec<f64> = (1..=n).map(|j| (j as f64).powf(-0.3)).collect();
    let matrix: String = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| if i == j { gamma[i].to_string() } else { "0".into() })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    write(&dir, "gamma_matrix.csv", &matrix);
    write(&dir, "gamma_eigs.txt", &gamma.iter().map(|g| g.to_string()).collect::<Vec<_>>().join("\n"));
    let with = |spec: &str| {
        let cfg = write(&dir, "g.toml", &BASE.replacen("{ kind = \"power_law\", exponent = 0.3 }", spec, 1));
        let (code, out, err) = run(&["curve", cfg.to_str().unwrap()]);
        assert_eq!(code, 0, "{spec}: {err}");
        out
    };
    let shortcut = with("{ kind = \"power_law\", exponent = 0.3 }");
    let dense = with("{ kind = \"file\", path = \"gamma_matrix.csv\" }");
    let eigs = with("{ kind = \"file\", path = \"gamma_eigs.txt\" }");
    assert_eq!(shortcut, eigs);
    for (a, b) in shortcut.lines().zip(dense.lines()).skip(1) {
        for (x, y) in a.split(',').zip(b.split(',')) {
            let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1e-300), "{x} vs {y}");
        }
    }
}

#[test]
fn optimal_ridge_and_ridgeless_threshold_rows() {
    let dir = scratch("curve_optimal");
    let cfg = write(&dir, "o.toml", &BASE.replacen("ridge = 0.01", "ridge = \"optimal\"", 1));
    let (code, out, err) = run(&["curve", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for line in out.lines().skip(1) {
        let ridge: f64 = line.split(',').nth(2).unwrap().parse().unwrap();
        assert!(ridge >= 0.0);
    }
    // Ridgeless at the interpolation threshold p = r = 50: an "inf" row, never NaN.
    let cfg = write(
        &dir,
        "t.toml",
        &BASE.replacen("ridge = 0.01", "ridge = 0", 1).replacen("[10, 40, 100]", "[50]", 1),
    );
    let (code, out, err) = run(&["curve", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().nth(1).unwrap().split(',').nth(3) == Some("inf"), "{out}");
    assert!(!out.contains("NaN"));
}
