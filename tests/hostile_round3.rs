//! The hostile-input reproducers of issue 28 (round 3: datasets, scaling, exponents,
//! dynamics), each with the exit code and the shape of what it must say. The Python ones
//! are in python/tests.

mod common;
use common::{npy, run, run_env, scratch, write};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SMALL: &str =
    "[data]\ndim = 40\nnoise = 0.1\n\n[[layers]]\nwidth = 60\n\n[readout]\nridge = 0.01\n\n[samples]\nvalues = [20, 40]\n";

const INFINITE: &str = "[data]\ndim = \"infinite\"\nnoise = 0.5\ncovariance = { kind = \"power_law\", exponent = 2.0, normalize = false }\ntarget = { kind = \"power_law\", exponent = 0.5 }\n\n[[layers]]\nwidth = 1000\n\n[readout]\nridge = \"optimal\"\n\n[samples]\nvalues = [100]\n";

/// Bad input: exit 2, one line, every `says` in it, nothing on stdout.
fn bad(args: &[&str], says: &[&str]) {
    let (code, out, err) = run(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
    assert!(out.is_empty(), "{args:?}: {out}");
    for s in says {
        assert!(err.contains(s), "{args:?}: `{s}` not in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

/// Item 1: `--times FROM:TO:POINTS` checks the count before anything is built: no panic,
/// no unbounded memory, and 0 points is not a time axis.
#[test]
fn time_axes_are_counted_first() {
    let dir = scratch("r3_times");
    let c = write(&dir, "c.toml", SMALL);
    let c = c.to_str().unwrap();
    for t in ["1:10:18446744073709551615", "1:10:1000000000000", "1:10:100000000", "1:10:0", "1:10:-3"] {
        let started = Instant::now();
        bad(&["dynamics", c, "--times", t], &["--times"]);
        assert!(started.elapsed() < Duration::from_secs(5), "{t} was refused late");
    }
}

/// Items 4–6: scaling and exponents: no NaN, settings that do not apply are refused naming the
/// key, budgets beyond the sample limit are refused, valid sizes near 1e15 work.
#[test]
fn scaling_and_exponents_refuse_or_answer() {
    let dir = scratch("r3_scaling");
    let inf = write(&dir, "inf.toml", INFINITE);
    let inf = inf.to_str().unwrap();
    let (code, out, err) = run(&["scaling", inf, "--budget", "1e6:1e6:5", "--table", "fit"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("NaN") && out.starts_with("quantity,fitted,predicted\nerror,,"), "{out}");
    bad(&["scaling", inf, "--budget", "1e6:1e30:5"], &["--budget", "largest sample size"]);
    let timed = write(&dir, "timed.toml", &SMALL.replace("ridge = 0.01", "ridge = 0.01\ntime = 5"));
    let timed = timed.to_str().unwrap();
    bad(&["scaling", timed], &["readout.time", "converged readout"]);
    bad(&["curve", timed, "--exponents"], &["readout.time", "exponents"]);
    let ens = write(&dir, "ens.toml", &SMALL.replace("ridge = 0.01", "ridge = 0.01\nensemble = 4"));
    bad(&["dynamics", ens.to_str().unwrap(), "--times", "1,2"], &["readout.ensemble", "single learner"]);
    // p near the largest sample size: a one-sided stencil, and no flag that does not exist.
    let (code, out, err) = run(&["curve", inf, "--set", "samples.values=[999999999999999]", "--exponents"]);
    assert_eq!(code, 0, "{err}");
    let row: Vec<&str> = out.lines().nth(1).unwrap().split(',').collect();
    assert!(row.last().unwrap().parse::<f64>().is_ok(), "{out}");
    // n0 = ∞: no sentinel in messages, and exponents are limited by floating point only.
    let (code, _, err) = run(&["curve", inf, "--set", "data.covariance.exponent=14"]);
    assert_eq!(code, 0, "{err}");
    bad(&["curve", inf, "--set", "data.covariance.exponent=300"], &["data.covariance.exponent", "n0 = ∞"]);
    // A ridge no double tells from 0 over the axis (1e-300 at p = 1e15) trains like λ = 0.
    let c = write(&dir, "c.toml", SMALL);
    let axis = |ridge: &str| {
        let set = format!("readout.ridge={ridge}");
        let (code, out, err) = run(&[
            "dynamics",
            c.to_str().unwrap(),
            "--set",
            &set,
            "--set",
            "samples.values=[1000000000000000]",
            "--times",
            "1,100",
        ]);
        assert_eq!(code, 0, "λ = {ridge}: {err}");
        out.lines().map(|l| l.split(',').skip(1).collect::<Vec<_>>().join(",")).collect::<Vec<_>>()
    };
    assert_eq!(axis("1e-300"), axis("0"));
    let (_, _, err) = run(&["curve", inf, "--set", "data.covariance.exponent=300"]);
    assert!(!err.contains("18446744073709551615"), "the n0 = ∞ sentinel leaks: {err}");
}

/// Item 12: a CSV is one table; the others by --table, all of them in JSON.
#[test]
fn one_table_per_csv() {
    let dir = scratch("r3_tables");
    let c = write(&dir, "c.toml", SMALL);
    let c = c.to_str().unwrap();
    let (code, axis, err) = run(&["dynamics", c, "--times", "1,10"]);
    assert_eq!(code, 0, "{err}");
    assert!(!axis.contains("\n\n") && axis.starts_with("samples,time,"), "{axis}");
    let (_, summary, _) = run(&["dynamics", c, "--times", "1,10", "--table", "summary"]);
    assert!(!summary.contains("\n\n") && summary.starts_with("samples,t_star,"), "{summary}");
    bad(&["dynamics", c, "--times", "1,10", "--table", "nope"], &["--table", "points, summary"]);
    bad(&["dynamics", c, "--times", "1,10", "--table", "summary", "--format", "json"], &["--table", "JSON"]);
}

/// Item 7: a damaged `.npy` header is one printable line; a CSV with lone CR line ends reads.
#[test]
fn files_give_one_printable_line() {
    let dir = scratch("r3_files");
    std::fs::write(
        dir.join("bad.npy"),
        b"\x93NUMPY\x01\x00\x46\x00{\"descr\": \"<f8\",\n \"fortran_order\": False, \x1b[31m\"shape\": (3,\n 2), }     \n",
    )
    .unwrap();
    let cfg = "[data]\nsource = { features = \"bad.npy\", labels = \"bad.npy\" }\n[readout]\nridge = 0.1\n[samples]\nvalues = [10]\n";
    let c = write(&dir, "c.toml", cfg);
    let (code, _, err) = run(&["curve", c.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains('\u{1b}') && err.contains("data.source.features"), "{err}");
    // The same numbers with LF and with lone CR line ends give the same curve.
    let rows: Vec<String> = (0..60)
        .map(|i| {
            (0..5)
                .map(|j| format!("{}", ((i * 7 + j * 13) % 17) as f64 - 8.0 + 0.1 * j as f64))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let labels: Vec<String> =
        (0..60).map(|i| format!("{}", (i % 5) as f64 - 2.0 + 0.01 * i as f64)).collect();
    let curves: Vec<String> = ["\n", "\r"]
        .iter()
        .map(|nl| {
            std::fs::write(dir.join("x.csv"), rows.join(nl)).unwrap();
            std::fs::write(dir.join("y.csv"), labels.join(nl)).unwrap();
            let cfg = cfg.replace("bad.npy\", labels = \"bad.npy", "x.csv\", labels = \"y.csv");
            let c = write(&dir, "csv.toml", &cfg);
            let (code, out, err) = run(&["curve", c.to_str().unwrap()]);
            assert_eq!(code, 0, "{err}");
            out
        })
        .collect();
    assert_eq!(curves[0], curves[1]);
}

/// Item 2: a dataset larger than the memory limit is refused before it is read.
#[test]
fn datasets_pass_the_memory_estimate() {
    let dir = scratch("r3_memory");
    // 20 000 × 1 000 uint8: 20 MB on disk, ≈ 0.5 GB as f64 with its analysis.
    let (n, d) = (20_000usize, 1_000usize);
    let data: Vec<u8> = (0..n * d).map(|k| (k % 251) as u8).collect();
    npy(&dir.join("x.npy"), "|u1", &[n, d], false, &data);
    std::fs::write(dir.join("y.csv"), vec!["1"; n].join("\n")).unwrap();
    let c = write(
        &dir,
        "c.toml",
        "[data]\nsource = { features = \"x.npy\", labels = \"y.csv\" }\n[readout]\nridge = 0.1\n[samples]\nvalues = [10]\n",
    );
    let (code, _, err) = run_env(&["curve", c.to_str().unwrap()], &[("LCURVE_MEMORY_LIMIT", "100M")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("data.source.features") && err.contains("limit of 0.10 GB"), "{err}");
}

/// Item 8: Ctrl-C while a large dataset is analysed ends the run at once (exit 130).
#[test]
fn sigint_while_a_dataset_is_read() {
    let dir = scratch("r3_sigint");
    let (n, d) = (4_000usize, 2_500usize);
    let mut state = 7u64;
    let values: Vec<f64> = (0..n * d)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    common::f64_npy(&dir.join("x.npy"), &[n, d], &values);
    std::fs::write(dir.join("y.csv"), (0..n).map(|i| format!("{}", i % 7)).collect::<Vec<_>>().join("\n"))
        .unwrap();
    let c = write(
        &dir,
        "c.toml",
        "[data]\nsource = { features = \"x.npy\", labels = \"y.csv\" }\n[readout]\nridge = 0.1\n[samples]\nvalues = [10]\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_lcurve"))
        .args(["curve", c.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The analysis of a 4000 × 2500 dataset takes seconds; the read itself ≈ 0.1 s.
    std::thread::sleep(Duration::from_millis(600));
    assert!(child.try_wait().unwrap().is_none(), "still reading when signalled");
    let sent = Instant::now();
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let code = child.wait().unwrap().code().unwrap_or(-1);
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(code, 130, "{err}");
    assert!(sent.elapsed() < Duration::from_secs(2), "stopped after {:?}", sent.elapsed());
}

/// Items 11, 13, 14: store status in a folder with an n0 = ∞ config; a caveat beside few
/// trials' z; did-you-mean for a command and a flag.
#[test]
fn new_user_friction() {
    let dir = scratch("r3_friction");
    write(&dir, "inf.toml", INFINITE);
    let c = write(&dir, "c.toml", SMALL);
    let store = dir.join("store");
    let (code, out, err) =
        run(&["store", "status", dir.to_str().unwrap(), "--store", store.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("inf.toml: 0 of 0 trials"), "{out}");
    let (code, _, err) = run(&["validate", c.to_str().unwrap(), "--trials", "5", "--no-store"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("with 5 trials per point z is unreliable"), "{err}");
    bad(&["curv"], &["similar subcommand", "'curve'"]);
    bad(&["curve", c.to_str().unwrap(), "--fromat", "csv"], &["'--format'"]);
    assert!(Path::new(&dir).exists());
}

/// Item 16: `lcurve plot` draws a model config's learning curve (with markers on request)
/// to PNG or SVG, and refuses what it cannot draw.
#[test]
fn plot_is_a_quick_look() {
    let dir = scratch("r3_plot");
    let c = write(&dir, "c.toml", SMALL);
    let c = c.to_str().unwrap();
    let svg = dir.join("c.svg");
    let (code, _, err) = run(&["plot", c, "--out", svg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.starts_with("<svg") && text.contains("c: learning curve"),
        "{}",
        &text[..200.min(text.len())]
    );
    let png = dir.join("c.png");
    let (code, _, err) =
        run(&["plot", c, "--validate", "--trials", "4", "--no-store", "--out", png.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("simulation: 2 markers"), "{err}");
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    bad(&["plot", c, "--out", dir.join("c.txt").to_str().unwrap()], &["--out", ".png or .svg"]);
    let fig = write(&dir, "f.toml", &format!("{SMALL}\n[figure]\ntitle = \"x\"\n"));
    bad(&["plot", fig.to_str().unwrap(), "--out", svg.to_str().unwrap()], &["figure config"]);
}
