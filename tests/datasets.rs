//! Datasets as the population (issue 19): the dataset route against the eigenvalues-plus-
//! coefficients route, the fitted power laws, validation on the real inputs of a Gaussian
//! dataset, the loader's dtypes and orders, and bad data.

mod common;

use common::{assert_bad_input, f64_npy, npy, run, scratch, write};
use lcurve::progress::Silent;
use lcurve::validate;
use lcurve::Simulation;
use lcurve::{Config, Inputs};
use std::path::Path;

/// A deterministic pseudo-random number in (−1, 1).
fn noise(k: usize) -> f64 {
    let x = (k as u64).wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    ((x >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

/// N × n0 features whose empirical covariance is exactly diag(σ): orthonormal DCT-II
/// columns k = 1…n0 (zero mean, so centring keeps them) times √(N σ_k).
fn dct_features(n: usize, sigma: &[f64]) -> Vec<f64> {
    let mut x = vec![0.0; n * sigma.len()];
    for i in 0..n {
        for (k, s) in sigma.iter().enumerate() {
            let q = (2.0 / n as f64).sqrt()
                * (std::f64::consts::PI * (i as f64 + 0.5) * (k + 1) as f64 / n as f64).cos();
            x[i * sigma.len() + k] = q * (n as f64 * s).sqrt();
        }
    }
    x
}

fn model(source: &str, extra: &str) -> String {
    format!("[data]\n{source}\n{extra}\n[[layers]]\nwidth = 40\n[readout]\nridge = RIDGE\n[samples]\nvalues = [5, 20, 39, 40, 41, 100, 300]\n")
}

/// Writes `text` with `RIDGE` replaced and loads it.
fn load(dir: &Path, name: &str, text: &str, ridge: &str) -> Config {
    let path = write(dir, &format!("{name}_{}.toml", ridge.replace('"', "")), &text.replace("RIDGE", ridge));
    Config::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// The dataset route equals Σ0 given by its eigenvalues (`diagonal`), the target by its
/// b_j (`kind = "file"`) and η² by the residual, to 1e-10 on every column, at λ = 0, a
/// fixed λ and λ*.
#[test]
fn dataset_route_equals_the_spectrum_route() {
    let dir = scratch("datasets_route");
    let (n, d) = (400, 30);
    let xs: Vec<f64> = (0..n * d).map(|k| noise(k) * (1.0 + (k % d) as f64).powf(-0.6)).collect();
    let ys: Vec<f64> = (0..n)
        .map(|i| {
            (0..d).map(|j| xs[i * d + j] * (j as f64 + 1.0).powf(-0.5)).sum::<f64>() + 0.3 * noise(10_000 + i)
        })
        .collect();
    f64_npy(&dir.join("x.npy"), &[n, d], &xs);
    write(&dir, "y.csv", &ys.iter().map(|y| format!("{y:e}\n")).collect::<String>());
    let text = model("source = { features = \"x.npy\", labels = \"y.csv\" }", "");
    let probe = load(&dir, "data", &text, "0");
    let curve = lcurve::curve::run(&probe, &Silent).unwrap();
    let ds = match &probe.model().data().kind {
        lcurve::CovarianceKind::Empirical { data } => data.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!((ds.rows(), ds.dim(), curve.summary.dataset.as_ref().unwrap().rows), (n, d, n));
    let values: Vec<String> = ds.eigenvalues.iter().map(|v| format!("{v:e}")).collect();
    write(&dir, "b.txt", &ds.target.iter().map(|b| format!("{b:e}\n")).collect::<String>());
    let spectral = model(
        &format!("dim = {d}\nnoise = {:e}\ncovariance = {{ kind = \"diagonal\", values = [{}] }}\ntarget = {{ kind = \"file\", path = \"b.txt\" }}", ds.relative_noise(), values.join(", ")),
        "",
    );
    for ridge in ["0", "1e-3", "\"optimal\""] {
        let a = lcurve::curve::run(&load(&dir, "data", &text, ridge), &Silent).unwrap();
        let b = lcurve::curve::run(&load(&dir, "spectral", &spectral, ridge), &Silent).unwrap();
        for (pa, pb) in a.points.iter().zip(&b.points) {
            for (x, y, what) in [
                (pa.error, pb.error, "error"),
                (pa.bias, pb.bias, "bias"),
                (pa.variance, pb.variance, "variance"),
                (pa.train_error, pb.train_error, "train_error"),
                (pa.df2, pb.df2, "df2"),
                (pa.kappa, pb.kappa, "kappa"),
                (pa.ridge, pb.ridge, "ridge"),
            ] {
                let tol = if what == "ridge" { 1e-6 } else { 1e-10 };
                assert!(
                    x == y || (x - y).abs() <= tol * y.abs(),
                    "λ = {ridge}, p = {}, {what}: {x} vs {y}",
                    pa.samples
                );
            }
        }
    }
}

/// A dataset whose covariance is exactly diag(j^−1.3) and whose task power is
/// j^−(1.3+0.8): the summary's fits recover both exponents with no spread.
#[test]
fn fitted_exponents_recover_a_known_power_law() {
    let dir = scratch("datasets_fit");
    let (n, d) = (256, 64);
    let sigma: Vec<f64> = (1..=d).map(|j| (j as f64).powf(-1.3)).collect();
    let xs = dct_features(n, &sigma);
    let beta: Vec<f64> = (1..=d).map(|j| (j as f64).powf(-0.4)).collect();
    let ys: Vec<f64> = (0..n).map(|i| (0..d).map(|j| xs[i * d + j] * beta[j]).sum()).collect();
    f64_npy(&dir.join("x.npy"), &[n, d], &xs);
    f64_npy(&dir.join("y.npy"), &[n], &ys);
    let cfg = load(&dir, "fit", &model("source = { features = \"x.npy\", labels = \"y.npy\" }", ""), "0.01");
    let s = lcurve::curve::run(&cfg, &Silent).unwrap().summary.dataset.unwrap();
    let (a, t) = (s.spectrum_exponent.unwrap(), s.task_exponent.unwrap());
    assert!((a.exponent - 1.3).abs() < 1e-9 && a.spread < 1e-9, "{a:?}");
    assert!((t.exponent - 2.1).abs() < 1e-9 && t.spread < 1e-9, "{t:?}");
    assert!(
        s.residual < 1e-20
            && (s.signal / sigma.iter().zip(&beta).map(|(s, b)| s * b * b).sum::<f64>() - 1.0).abs() < 1e-10
    );
}

/// `--inputs data` on a dataset drawn from a Gaussian (N = 20 000 ≫ p): the trials on the
/// real rows agree with the theory of its empirical Σ0, β* and η² (|z| ≤ 4), for a linear
/// network and with a hidden layer; the Gaussian default on the same config too.
#[test]
fn real_inputs_of_a_gaussian_dataset_agree_with_the_theory() {
    let dir = scratch("datasets_gaussian");
    let (n, d) = (20_000, 40);
    let mut rng_state = 7u64;
    let mut gauss = || {
        // Box–Muller on a splitmix stream: reproducible Gaussian rows.
        let mut u = || {
            rng_state = rng_state.wrapping_add(0x9E3779B97F4A7C15);
            let mut z = rng_state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        let (a, b) = (u().max(1e-300), u());
        (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos()
    };
    let xs: Vec<f64> = (0..n * d).map(|k| gauss() * (1.0 + (k % d) as f64).powf(-0.5)).collect();
    let ys: Vec<f64> = (0..n)
        .map(|i| (0..d).map(|j| xs[i * d + j] * (j as f64 + 1.0).powf(-0.3)).sum::<f64>() + 0.5 * gauss())
        .collect();
    f64_npy(&dir.join("x.npy"), &[n, d], &xs);
    f64_npy(&dir.join("y.npy"), &[n], &ys);
    for layers in ["", "[[layers]]\nwidth = 60\n"] {
        let text = format!(
            "[data]\nsource = {{ features = \"x.npy\", labels = \"y.npy\" }}\n{layers}[readout]\nridge = 0.05\n[samples]\nvalues = [10, 30, 60, 120]\n"
        );
        let cfg = load(&dir, "g", &text, "");
        for inputs in [Inputs::Data, Inputs::Gaussian] {
            let v = validate::run(
                &cfg,
                &Simulation { trials: 60, seed: 3, scale: 1.0, inputs, ..Default::default() },
                &Silent,
            )
            .unwrap();
            assert!(v.agreement.max_abs_z.unwrap() < 4.0, "{layers:?} {inputs:?}: {}", v.summary_line());
        }
    }
}

/// The loader reads every float, integer and bool dtype, either byte order, C and Fortran
/// order, and CSV, to the same numbers.
#[test]
fn every_dtype_and_order_reads_the_same_numbers() {
    let dir = scratch("datasets_dtypes");
    let values: Vec<f64> = (0..12).map(|k| (k % 5) as f64).collect(); // 3 × 4, small integers
    let labels: Vec<f64> = vec![1.0, 0.0, 1.0];
    f64_npy(&dir.join("y.npy"), &[3], &labels);
    let fortran: Vec<f64> = (0..12).map(|k| values[(k % 3) * 4 + k / 3]).collect();
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("<f8", values.iter().flat_map(|v| v.to_le_bytes()).collect(), false),
        (">f8", values.iter().flat_map(|v| v.to_be_bytes()).collect(), false),
        ("<f4", values.iter().flat_map(|v| (*v as f32).to_le_bytes()).collect(), false),
        ("<i8", values.iter().flat_map(|v| (*v as i64).to_le_bytes()).collect(), false),
        ("<i4", values.iter().flat_map(|v| (*v as i32).to_le_bytes()).collect(), false),
        ("<i2", values.iter().flat_map(|v| (*v as i16).to_le_bytes()).collect(), false),
        ("|i1", values.iter().map(|v| *v as i8 as u8).collect(), false),
        ("<u8", values.iter().flat_map(|v| (*v as u64).to_le_bytes()).collect(), false),
        ("<u4", values.iter().flat_map(|v| (*v as u32).to_le_bytes()).collect(), false),
        ("<u2", values.iter().flat_map(|v| (*v as u16).to_le_bytes()).collect(), false),
        ("|u1", values.iter().map(|v| *v as u8).collect(), false),
        ("<f8", fortran.iter().flat_map(|v| v.to_le_bytes()).collect(), true),
    ];
    let text = |features: &str| {
        format!("[data]\nsource = {{ features = \"{features}\", labels = \"y.npy\", center = false }}\n[readout]\nridge = 0.1\n[samples]\nvalues = [2]\n")
    };
    let reference = {
        write(
            &dir,
            "x.csv",
            &values
                .chunks(4)
                .map(|r| r.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",") + "\n")
                .collect::<String>(),
        );
        Config::load(&write(&dir, "csv.toml", &text("x.csv"))).unwrap()
    };
    let features = |c: &Config| match &c.model().data().kind {
        lcurve::CovarianceKind::Empirical { data } => data.features.as_slice().to_vec(),
        other => panic!("{other:?}"),
    };
    for (i, (descr, data, fortran)) in cases.iter().enumerate() {
        let name = format!("x{i}.npy");
        npy(&dir.join(&name), descr, &[3, 4], *fortran, data);
        let cfg = Config::load(&write(&dir, &format!("c{i}.toml"), &text(&name)))
            .unwrap_or_else(|e| panic!("{descr}: {e}"));
        assert_eq!(features(&cfg), features(&reference), "{descr} fortran = {fortran}");
    }
    npy(
        &dir.join("b.npy"),
        "|b1",
        &[3, 4],
        false,
        &values.iter().map(|v| (*v > 1.0) as u8).collect::<Vec<_>>(),
    );
    assert!(Config::load(&write(&dir, "b.toml", &text("b.npy"))).is_ok());
}

/// Bad data gets one line naming the key, and exit code 2.
#[test]
fn bad_data_is_one_line() {
    let dir = scratch("datasets_bad");
    f64_npy(&dir.join("y3.npy"), &[3], &[1.0, 2.0, 3.0]);
    f64_npy(&dir.join("y2.npy"), &[2], &[1.0, 2.0]);
    f64_npy(&dir.join("y1.npy"), &[1], &[1.0]);
    f64_npy(&dir.join("x_ok.npy"), &[3, 2], &[1.0, 0.0, 0.0, 1.0, 2.0, 5.0]);
    f64_npy(&dir.join("x_nan.npy"), &[3, 2], &[1.0, f64::NAN, 0.0, 1.0, 2.0, 5.0]);
    f64_npy(&dir.join("x_one.npy"), &[1, 2], &[1.0, 2.0]);
    f64_npy(&dir.join("x_const.npy"), &[3, 2], &[1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    f64_npy(&dir.join("x_wide.npy"), &[2, 16_385], &vec![1.0; 2 * 16_385]);
    write(&dir, "ragged.csv", "1,2\n3\n4,5\n");
    write(&dir, "inf.csv", "1,2\n3,inf\n4,5\n");
    let cases = [
        ("ragged.csv", "y3.npy", "", "data.source.features", "ragged"),
        ("inf.csv", "y3.npy", "", "data.source.features", "finite"),
        ("x_nan.npy", "y3.npy", "", "data.source.features", "finite"),
        ("x_one.npy", "y1.npy", "", "data.source.features", "at least 2 rows"),
        ("x_ok.npy", "y2.npy", "", "data.source.labels", "3 labels"),
        ("x_const.npy", "y3.npy", "", "data.source.features", "constant"),
        ("x_wide.npy", "y2.npy", "", "data.source.features", "GB"),
        ("missing.npy", "y3.npy", "", "data.source.features", "cannot read"),
        ("x_ok.npy", "y3.npy", "dim = 5", "data.dim", "disagrees"),
        ("x_ok.npy", "y3.npy", "noise = 0.1", "data.noise", "comes from data.source"),
        (
            "x_ok.npy",
            "y3.npy",
            "covariance = { kind = \"identity\" }",
            "data.covariance",
            "comes from data.source",
        ),
    ];
    for (i, (x, y, extra, key, says)) in cases.iter().enumerate() {
        let cfg = write(
            &dir,
            &format!("bad{i}.toml"),
            &format!("[data]\nsource = {{ features = \"{x}\", labels = \"{y}\" }}\n{extra}\n[readout]\nridge = 0.1\n[samples]\nvalues = [2]\n"),
        );
        let out = dir.join(format!("out{i}.csv"));
        let (_, err) = assert_bad_input(
            &format!("case {i}"),
            &["curve", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()],
            &format!("bad{i}.toml"),
            key,
            &out,
        );
        assert!(err.contains(says), "case {i}: {err}");
    }
    // --inputs data without a dataset.
    let plain =
        write(&dir, "plain.toml", "[data]\ndim = 10\n[readout]\nridge = 0.1\n[samples]\nvalues = [5]\n");
    let (code, _, err) = run(&["validate", plain.to_str().unwrap(), "--inputs", "data", "--trials", "2"]);
    assert!(code == 2 && err.contains("--inputs") && err.lines().count() == 1, "{err}");
}
