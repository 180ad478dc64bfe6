//! The hostile-input suite (issue 21): a table of single commands with the exit code and
//! the shape of the message each must give, and the multi-step cases (signals, pipes,
//! concurrent stores) that a table cannot hold. Every case is a reproducer from the
//! hostile-user report; the whole file runs in seconds.

mod common;
use common::{run, scratch, write};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The report's `small.toml`.
const SMALL: &str =
    "[data]\ndim = 40\nnoise = 0.1\n\n[[layers]]\nwidth = 60\n\n[readout]\nridge = 0.01\n\n[samples]\nvalues = [20, 40, 80]\n";

/// One case: a config (SMALL with `edit` applied: text after `width = 60\n` for a layer
/// key, or a replacement `from → to`), the command's arguments after the config, an
/// environment, and what must come out.
struct Case {
    name: &'static str,
    edit: Edit,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    code: i32,
    /// Every one of these must be in stderr (one line when the exit code is 2).
    says: &'static [&'static str],
}

enum Edit {
    None,
    Replace(&'static str, &'static str),
}

const CASES: &[Case] = &[
    // 1. NaN never printed: extreme Gaussian coefficients are refused up front.
    Case {
        name: "mustar 1e100",
        edit: Edit::Replace(
            "width = 60\n",
            "width = 60\nactivation = { mu0 = 0, mu1 = 1, mustar = 1e100 }\n",
        ),
        args: &["curve"],
        env: &[],
        code: 2,
        says: &["layers[0].activation.mustar", "≤ 1e6"],
    },
    Case {
        name: "mu0 = mustar = 1e150 in validate",
        edit: Edit::Replace(
            "width = 60\n",
            "width = 60\nactivation = { mu0 = 1e150, mu1 = 1, mustar = 1e150 }\n",
        ),
        args: &["validate", "--trials", "2", "--no-store"],
        env: &[],
        code: 2,
        says: &["layers[0].activation.mu0"],
    },
    Case {
        name: "mu1 = 1e-300",
        edit: Edit::Replace(
            "width = 60\n",
            "width = 60\nactivation = { mu0 = 1e308, mu1 = 1e-300, mustar = 0 }\n",
        ),
        args: &["curve"],
        env: &[],
        code: 2,
        says: &["layers[0].activation.mu1", "1e-6 ≤ |μ1|"],
    },
    // 2. Ensembles have an upper bound.
    Case {
        name: "ensemble i64::MAX",
        edit: Edit::Replace("ridge = 0.01\n", "ridge = 0.01\nensemble = 9223372036854775807\n"),
        args: &["validate", "--trials", "1", "--no-store"],
        env: &[],
        code: 2,
        says: &["readout.ensemble", "from 1 to 1000000"],
    },
    // 3. Figures' rasters are checked before anything is computed (see `figure_cases`).
    // 6. A tiny positive ridge validates like ridge 0.
    Case {
        name: "ridge 1e-16 at p = 80",
        edit: Edit::Replace(
            "ridge = 0.01\n\n[samples]\nvalues = [20, 40, 80]",
            "ridge = 1e-16\n\n[samples]\nvalues = [80]",
        ),
        args: &["validate", "--trials", "2", "--no-store"],
        env: &[],
        code: 0,
        says: &["validate: 1 point × 2 trials"],
    },
    // 8. LCURVE_MEMORY_LIMIT: malformed values are bad input; a limit above the machine's
    // memory is capped there.
    Case {
        name: "memory limit abc",
        edit: Edit::None,
        args: &["curve"],
        env: &[("LCURVE_MEMORY_LIMIT", "abc")],
        code: 2,
        says: &["LCURVE_MEMORY_LIMIT", "expected a number of bytes"],
    },
    Case {
        name: "memory limit 12GB",
        edit: Edit::None,
        args: &["curve"],
        env: &[("LCURVE_MEMORY_LIMIT", "12GB")],
        code: 2,
        says: &["LCURVE_MEMORY_LIMIT", "\"12GB\""],
    },
    Case {
        name: "memory limit 0",
        edit: Edit::None,
        args: &["curve"],
        env: &[("LCURVE_MEMORY_LIMIT", "0")],
        code: 2,
        says: &["LCURVE_MEMORY_LIMIT"],
    },
    Case {
        name: "memory limit -5G",
        edit: Edit::None,
        args: &["curve"],
        env: &[("LCURVE_MEMORY_LIMIT", "-5G")],
        code: 2,
        says: &["LCURVE_MEMORY_LIMIT"],
    },
    Case {
        name: "memory limit 1e999",
        edit: Edit::None,
        args: &["curve"],
        env: &[("LCURVE_MEMORY_LIMIT", "1e999")],
        code: 2,
        says: &["LCURVE_MEMORY_LIMIT"],
    },
    Case {
        name: "memory limit 1T above the machine",
        edit: Edit::Replace(
            "dim = 40\nnoise = 0.1\n\n[[layers]]\nwidth = 60",
            "dim = 5000\nnoise = 0.1\n\n[[layers]]\nwidth = 10000000",
        ),
        args: &["validate", "--trials", "2", "--no-store"],
        env: &[("LCURVE_MEMORY_LIMIT", "1T")],
        code: 2,
        says: &["needs ≈", "more than the limit"],
    },
    // 10. Long values are shortened in messages.
    Case {
        name: "--alpha 1e-300:1e300:5",
        edit: Edit::None,
        args: &["curve", "--alpha", "1e-300:1e300:5"],
        env: &[],
        code: 2,
        says: &["--alpha", "α = 1e-300"],
    },
    // 11. Overflowing eigenvalues are diagnosed as overflow.
    Case {
        name: "diagonal values 1e308",
        edit: Edit::Replace(
            "dim = 40\n",
            "dim = 4\ncovariance = { kind = \"diagonal\", values = [1e308, 1e308, 1e308, 1e308] }\n",
        ),
        args: &["curve"],
        env: &[],
        code: 2,
        says: &["data.covariance", "overflows"],
    },
    // 16. Setting one of values/range replaces the other.
    Case {
        name: "--set samples.values on a range",
        edit: Edit::Replace("values = [20, 40, 80]", "range = { from = 10, to = 100, points = 3 }"),
        args: &["curve", "--set", "samples.values=[100,200]"],
        env: &[],
        code: 0,
        says: &[],
    },
    // 20. Messages in the user's words.
    Case {
        name: "unquoted string in a --set table",
        edit: Edit::None,
        args: &["curve", "--set", "data.covariance={ kind = ar1 }"],
        env: &[],
        code: 2,
        says: &["not a TOML table or array", "quote strings"],
    },
    Case {
        name: "--format xml",
        edit: Edit::None,
        args: &["curve", "--format", "xml"],
        env: &[],
        code: 2,
        says: &["expected one of csv, json"],
    },
    Case {
        name: "layer index out of range",
        edit: Edit::None,
        args: &["curve", "--set", "layers[3].width=5"],
        env: &[],
        code: 2,
        says: &["(layers has 1 entry)"],
    },
    // Scaling, datasets and training time (issues 18, 19, 22).
    Case {
        name: "dim infinite with an identity Σ0",
        edit: Edit::Replace("dim = 40\n", "dim = \"infinite\"\n"),
        args: &["curve"],
        env: &[],
        code: 2,
        says: &["data.covariance.kind", "power_law"],
    },
    Case {
        name: "dim infinite in validate",
        edit: Edit::Replace(
            "dim = 40\n",
            "dim = \"infinite\"\ncovariance = { kind = \"power_law\", exponent = 2.0, normalize = false }\n",
        ),
        args: &["validate", "--trials", "2", "--no-store"],
        env: &[],
        code: 2,
        says: &["data.dim", "finite"],
    },
    Case {
        name: "a budget below any split",
        edit: Edit::None,
        args: &["scaling", "--budget", "1:100:3"],
        env: &[],
        code: 2,
        says: &["--budget"],
    },
    Case {
        name: "a zero training time",
        edit: Edit::Replace("ridge = 0.01\n", "ridge = 0.01\ntime = 0\n"),
        args: &["curve"],
        env: &[],
        code: 2,
        says: &["readout.time", "expected a time t from"],
    },
    Case {
        name: "a training time beyond double range of the saddle points",
        edit: Edit::Replace("ridge = 0.01\n", "ridge = 0.01\ntime = 1e200\n"),
        args: &["curve"],
        env: &[],
        code: 2,
        says: &["readout.time", "1e100"],
    },
    Case {
        name: "times with a zero",
        edit: Edit::None,
        args: &["dynamics", "--times", "0,1"],
        env: &[],
        code: 2,
        says: &["--times"],
    },
    Case {
        name: "times below the representable range",
        edit: Edit::None,
        args: &["dynamics", "--times", "1e-60:1:5"],
        env: &[],
        code: 2,
        says: &["--times", "1e-50"],
    },
    Case {
        name: "real inputs without a dataset",
        edit: Edit::None,
        args: &["validate", "--inputs", "data", "--trials", "2", "--no-store"],
        env: &[],
        code: 2,
        says: &["--inputs", "source"],
    },
    Case {
        name: "a missing features file",
        edit: Edit::Replace("dim = 40\n", "source = { features = \"nope.npy\", labels = \"nope.npy\" }\n"),
        args: &["curve"],
        env: &[],
        code: 2,
        says: &["data.source.features", "cannot read"],
    },
];

#[test]
fn the_table_of_hostile_commands() {
    let dir = scratch("hostile_table");
    for (i, case) in CASES.iter().enumerate() {
        let text = match case.edit {
            Edit::None => SMALL.to_string(),
            Edit::Replace(from, to) => {
                assert!(SMALL.contains(from), "{}: the edit applies", case.name);
                SMALL.replacen(from, to, 1)
            }
        };
        let cfg = write(&dir, &format!("c{i}.toml"), &text);
        let out = dir.join(format!("c{i}.out"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lcurve"));
        cmd.arg(case.args[0]).arg(&cfg).args(&case.args[1..]).arg("--out").arg(&out);
        cmd.env("LCURVE_STORE", dir.join("store"));
        for (k, v) in case.env {
            cmd.env(k, v);
        }
        let o = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(case.code), "{}: {err}", case.name);
        for s in case.says {
            assert!(err.contains(s), "{}: `{s}` not in {err}", case.name);
        }
        assert!(!err.contains("NaN") && !err.contains("panicked"), "{}: {err}", case.name);
        if case.code == 2 {
            assert_eq!(err.lines().count(), 1, "{}: one line: {err}", case.name);
            assert!(!out.exists(), "{}: no output on bad input", case.name);
        }
        if case.code == 0 {
            let text = std::fs::read_to_string(&out).unwrap();
            assert!(!text.contains("NaN"), "{}: {text}", case.name);
        }
    }
}

/// A stored config whose `--set` key path has 60 000 parts, and long keys and paths, give
/// one short line (5, 10).
#[test]
fn deep_and_long_input_gives_one_short_line() {
    let dir = scratch("hostile_long");
    let cfg = write(&dir, "s.toml", SMALL);
    let c = cfg.to_str().unwrap();
    let deep = format!("{}a=1", "a.".repeat(60_000));
    let (code, _, err) = run(&["curve", c, "--set", &deep]);
    assert_eq!(code, 2, "{err}");
    assert!(err.lines().count() == 1 && err.len() < 1000, "{} bytes", err.len());
    // (One argument is at most 128 kB on Linux.)
    let key = format!("data.{}", "k".repeat(100_000));
    let (code, _, err) = run(&["curve", c, "--set", &format!("{key}=1")]);
    assert_eq!(code, 2);
    assert!(err.lines().count() == 1 && err.len() < 2000, "{} bytes", err.len());
    let long = dir.join("x".repeat(250));
    let (code, _, err) = run(&["curve", long.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.len() < 800, "{} bytes: {err}", err.len());
    // Deeply nested TOML values stop at the parser's depth limit, with one line.
    let nested = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let (code, _, err) = run(&["curve", c, "--set", &format!("data.noise={nested}")]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1);
}

/// Figures (3, 9): rasters are checked before anything is computed; a NUL in a title,
/// an --out that is a file, a store whose version folder is a file, a symlink loop are bad
/// input (2); --no-sim needs an explicit folder (17).
#[test]
fn figure_and_path_cases() {
    let dir = scratch("hostile_figures");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let f1 = repo.join("configs/f1_double_descent.toml");
    let base = std::fs::read_to_string(&f1).unwrap();
    let big = write(
        &dir,
        "big.toml",
        &base.replacen("[figure]", "[figure]\npanel_width = 4000\npanel_height = 4000", 1),
    );
    let out = dir.join("figs");
    let (code, _, err) =
        run(&["figures", big.to_str().unwrap(), "--no-sim", "--dpi", "1200", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--dpi") && err.contains("pixels"), "{err}");
    assert!(!out.exists(), "refused before anything is written");
    let title = base.lines().find(|l| l.starts_with("title")).unwrap();
    let nul = write(&dir, "nul.toml", &base.replacen(title, "title = \"bad\\u0000title\"", 1));
    let (code, _, err) = run(&["figures", nul.to_str().unwrap(), "--no-sim", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("figure.title") && err.contains("U+0000"), "{err}");
    let caption = write(
        &dir,
        "caption.toml",
        &base.replacen("[figure]", &format!("[figure]\ncaption = \"{}\"", "c".repeat(500_000)), 1),
    );
    let caption = std::fs::read_to_string(&caption).unwrap();
    // The old caption line would be a second key: keep only the long one.
    let caption: String = {
        let mut seen = false;
        caption
            .lines()
            .filter(|l| {
                if l.starts_with("caption") {
                    let keep = !seen;
                    seen = true;
                    keep
                } else {
                    true
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let cap = write(&dir, "cap.toml", &caption);
    let (code, _, err) = run(&["figures", cap.to_str().unwrap(), "--no-sim", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("figure.caption") && err.len() < 1000, "{err}");
    let file = write(&dir, "afile", "");
    let (code, _, err) = run(&["figures", f1.to_str().unwrap(), "--no-sim", "--out", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out") && err.contains("is a file"), "{err}");
    let (code, _, err) = run(&["figures", f1.to_str().unwrap(), "--no-sim"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--no-sim") && err.contains("--out"), "{err}");
    let cfg = write(&dir, "s.toml", SMALL);
    let store = dir.join("store");
    std::fs::create_dir_all(&store).unwrap();
    write(&store, &format!("v{}", lcurve::store::SIM_VERSION), "");
    let (code, _, err) =
        run(&["validate", cfg.to_str().unwrap(), "--trials", "2", "--store", store.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--store"), "{err}");
    let (a, b) = (dir.join("loop1"), dir.join("loop2"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let (code, _, err) = run(&["curve", cfg.to_str().unwrap(), "--out", a.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out") && err.contains("symbolic links"), "{err}");
}

/// `--out /dev/stdout` into a pipe (7).
#[test]
fn out_dev_stdout_into_a_pipe() {
    let dir = scratch("hostile_stdout");
    let cfg = write(&dir, "s.toml", SMALL);
    let o = Command::new(env!("CARGO_BIN_EXE_lcurve"))
        .args(["curve", cfg.to_str().unwrap(), "--out", "/dev/stdout"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("samples,alpha"));
}

/// Sends SIGTERM once `lcurve` has run for a while; returns (exit code, stderr, seconds
/// from the signal to the exit).
fn terminate_after(args: &[&str], wait: Duration) -> (i32, String, f64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lcurve"))
        .args(args)
        .env("LCURVE_STORE", std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-store"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(wait);
    // The signal must reach a running process, or the test proves nothing.
    assert!(child.try_wait().unwrap().is_none(), "{args:?} finished before it was signalled");
    let sent = Instant::now();
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success(), "still running when signalled");
    let code = child.wait().unwrap().code().unwrap_or(-1);
    let stopped = sent.elapsed().as_secs_f64();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (code, err, stopped)
}

/// SIGTERM inside one large ensemble trial (2) and during a dense eigendecomposition (4):
/// the run stops (exit 143), writes no output, and says so. (How fast it stops is
/// reported, not asserted: the machines are shared.)
#[test]
fn signals_stop_long_kernels() {
    let dir = scratch("hostile_signals");
    let ens = write(
        &dir,
        "ens.toml",
        &SMALL
            .replace("ridge = 0.01\n", "ridge = 0.01\nensemble = 200000\n")
            .replace("values = [20, 40, 80]", "values = [20]"),
    );
    let out = dir.join("e.csv");
    let (code, err, secs) = terminate_after(
        &["validate", ens.to_str().unwrap(), "--trials", "1", "--no-store", "--out", out.to_str().unwrap()],
        Duration::from_millis(1500),
    );
    assert_eq!(code, 143, "{err}");
    assert!(err.contains("interrupted by SIGTERM"), "{err}");
    assert!(!out.exists());
    eprintln!("ensemble trial stopped {secs:.2} s after SIGTERM");
    let ar = write(
        &dir,
        "ar.toml",
        &SMALL
            .replace("dim = 40\n", "dim = 3500\ncovariance = { kind = \"ar1\", rho = 0.7 }\n")
            .replace("values = [20, 40, 80]", "values = [100]"),
    );
    let (code, err, secs) = terminate_after(
        &["validate", ar.to_str().unwrap(), "--trials", "2", "--no-store"],
        Duration::from_millis(1500),
    );
    assert_eq!(code, 143, "{err}");
    eprintln!("eigendecomposition stopped {secs:.2} s after SIGTERM");
}
