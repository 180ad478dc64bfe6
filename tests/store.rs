//! The results store (issue 11): reuse with byte-identical output, damaged files, many
//! concurrent writers, shards assembled into the single-process result, interrupt and
//! resume, `store status` / `store gc`, figures that re-render without simulating.

mod common;
use common::{run, scratch, write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MODEL: &str = r#"
[data]
dim = 60
noise = 0.2
covariance = { kind = "power_law", exponent = 1.0 }
target = { kind = "power_law", exponent = 0.5 }

[[layers]]
width = 50
covariance = { kind = "power_law", exponent = 0.5 }
input_covariance = { kind = "data_power", exponent = 0.5 }

[readout]
ridge = 0.01

[samples]
values = [20, 45, 90, 200]

[simulation]
trials = 12
seed = 4
"#;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lcurve"))
}

/// Starts `lcurve validate CFG --trials N --store STORE [extra…]` with its output captured.
fn spawn_validate(cfg: &Path, trials: &str, store: &Path, extra: &[&str]) -> std::process::Child {
    bin()
        .args(["validate", cfg.to_str().unwrap(), "--trials", trials, "--store", store.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Every `.trials` file of the store and its text.
fn store_files(store: &Path) -> Vec<(PathBuf, String)> {
    let mut out = vec![];
    for v in std::fs::read_dir(store).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(v.path()).into_iter().flatten().flatten() {
            let p = f.path();
            if p.extension().is_some_and(|x| x == "trials") {
                out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn records(store: &Path) -> usize {
    store_files(store).iter().map(|(_, t)| t.lines().count()).sum()
}

fn validate(cfg: &Path, store: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["validate", cfg.to_str().unwrap(), "--store", store.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn a_second_run_simulates_nothing_and_prints_the_same_bytes() {
    let dir = scratch("store_reuse");
    let cfg = write(&dir, "m.toml", MODEL);
    let store = dir.join("store");
    let (code, fresh, err) = run(&["validate", cfg.to_str().unwrap(), "--no-store"]);
    assert_eq!(code, 0, "{err}");
    assert!(!store.exists());
    let (code, first, err) = validate(&cfg, &store, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(first, fresh);
    assert_eq!(records(&store), 4 * 12);
    let files = store_files(&store);
    assert_eq!(files.len(), 1);
    assert!(files[0].1.lines().all(|l| l.len() < 100), "records stay under 100 bytes");
    let (code, second, err) = validate(&cfg, &store, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(second, fresh);
    assert_eq!(store_files(&store), files, "nothing new was written");
    // More trials: only the new ones are simulated, and the result is a fresh run's.
    let (_, more, _) = validate(&cfg, &store, &["--trials", "20"]);
    assert_eq!(more, run(&["validate", cfg.to_str().unwrap(), "--no-store", "--trials", "20"]).1);
    assert_eq!(records(&store), 4 * 20);
    // $LCURVE_STORE is the default location.
    let env_store = dir.join("env-store");
    let out = bin()
        .args(["validate", cfg.to_str().unwrap()])
        .env("LCURVE_STORE", &env_store)
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(records(&env_store), 48);
    // Ensembles are stored under their own keys.
    let (_, k3, _) = validate(&cfg, &store, &["--set", "readout.ensemble=3"]);
    assert_eq!(k3, run(&["validate", cfg.to_str().unwrap(), "--no-store", "--set", "readout.ensemble=3"]).1);
    assert_eq!(records(&store), 80 + 48);
}

#[test]
fn torn_and_corrupt_records_are_skipped_and_recomputed() {
    let dir = scratch("store_damage");
    let cfg = write(&dir, "m.toml", MODEL);
    let store = dir.join("store");
    let (_, fresh, _) = validate(&cfg, &store, &[]);
    let (path, text) = store_files(&store).remove(0);
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Damage one record in the middle, cut the last one short (a killed writer).
    // (in a value: a damaged key is simply another point's, which nobody asks for)
    let mut mid: Vec<char> = lines[5].chars().collect();
    mid[40] = if mid[40] == 'a' { 'b' } else { 'a' };
    lines[5] = mid.into_iter().collect();
    let last = lines.pop().unwrap();
    let mut damaged = lines.join("\n") + "\n";
    damaged.push_str(&last[..last.len() / 2]);
    std::fs::write(&path, damaged).unwrap();
    // A file that is not a store file at all, and an unreadable one.
    write(path.parent().unwrap(), "junk.trials", "this is not a record\n\u{0}\u{1}\n");
    let (code, out, err) = validate(&cfg, &store, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, fresh, "damaged trials are recomputed to the same numbers");
    let notes: Vec<&str> = err.lines().filter(|l| l.contains("corrupt line")).collect();
    assert_eq!(notes.len(), 2, "{err}");
    assert!(notes.iter().any(|l| l.contains("junk.trials") && l.contains("2 corrupt lines")), "{err}");
    // The two recomputed trials went to a new file of this process.
    assert_eq!(store_files(&store).len(), 3);
}

#[test]
fn concurrent_writers_never_produce_a_wrong_result() {
    let dir = scratch("store_concurrent");
    let cfg = write(&dir, "m.toml", MODEL);
    let store = dir.join("store");
    let (_, fresh, _) = run(&["validate", cfg.to_str().unwrap(), "--no-store", "--trials", "30"]);
    let children: Vec<_> = (0..4).map(|_| spawn_validate(&cfg, "30", &store, &[])).collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8(out.stdout).unwrap(), fresh);
    }
    // One file per process that had something to write (a late one may find everything stored).
    let files = store_files(&store).len();
    assert!((1..=4).contains(&files), "{files} files");
    let (_, again, _) = validate(&cfg, &store, &["--trials", "30"]);
    assert_eq!(again, fresh);
}

#[test]
fn shards_in_parallel_then_an_assembling_run_give_the_single_run() {
    let dir = scratch("store_shards");
    let cfg = write(&dir, "m.toml", MODEL);
    let store = dir.join("store");
    let (_, fresh, _) = run(&["validate", cfg.to_str().unwrap(), "--no-store", "--trials", "25"]);
    let shards: Vec<_> =
        (0..3).map(|i| spawn_validate(&cfg, "25", &store, &["--shard", &format!("{i}/3")])).collect();
    let mut computed = 0;
    for c in shards {
        let out = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        assert!(out.stdout.is_empty(), "a shard writes no output");
        let n: usize = err.split(" computed").next().unwrap().rsplit(' ').next().unwrap().parse().unwrap();
        computed += n;
    }
    assert_eq!(computed, 100, "the shards share the 4 × 25 trials");
    let (code, status, err) = run(&[
        "store",
        "status",
        cfg.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "--trials",
        "25",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(status.contains("100 of 100 trials stored, 0 missing"), "{status}");
    let (code, assembled, err) = validate(&cfg, &store, &["--trials", "25"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(assembled, fresh);
    assert_eq!(records(&store), 100, "the assembling run simulated nothing");
    // Bad shards are one-line errors.
    for bad in ["3/3", "1/0", "x/2", "1"] {
        let (code, _, err) = validate(&cfg, &store, &["--shard", bad]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("--shard") && err.lines().count() == 1, "{err}");
    }
    let (code, _, err) = run(&["validate", cfg.to_str().unwrap(), "--no-store", "--shard", "0/2"]);
    assert_eq!(code, 2, "{err}");
}

/// Ctrl-C (SIGINT) or SIGTERM: stop within a second, keep the finished trials, write no
/// output, exit 130/143 with one line; the same command then resumes.
#[test]
fn interrupted_runs_resume_where_they_stopped() {
    let dir = scratch("store_interrupt");
    let big = MODEL
        .replace("dim = 60", "dim = 300")
        .replace("width = 50", "width = 250")
        .replace("values = [20, 45, 90, 200]", "values = [100, 225, 450, 1000]");
    let cfg = write(&dir, "m.toml", &big);
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let store = dir.join(format!("store-{signal}"));
        let out = dir.join(format!("out-{signal}.csv"));
        let child = bin()
            .args(["validate", cfg.to_str().unwrap(), "--trials", "400", "--store", store.to_str().unwrap()])
            .args(["--out", out.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until some trials are stored, then signal.
        let start = Instant::now();
        while records(&store) < 20 {
            assert!(start.elapsed() < Duration::from_secs(60), "no trial stored");
            std::thread::sleep(Duration::from_millis(20));
        }
        let status =
            Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let result = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&result.stderr).into_owned();
        assert_eq!(result.status.code(), Some(code), "{err}");
        let line = err.lines().last().unwrap();
        assert!(
            line.contains(&format!("interrupted by SIG{signal}"))
                && line.contains("run the same command again"),
            "{err}"
        );
        assert!(!out.exists(), "no partial output");
        let kept = records(&store);
        assert!((20..1600).contains(&kept), "{kept}");
        let n: usize = line.split("; ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        assert_eq!(n, kept, "{line}");
        // Resume with fewer trials to keep the test short: the stored ones are reused.
        if signal == "INT" {
            let (code, resumed, e) = run(&[
                "validate",
                cfg.to_str().unwrap(),
                "--trials",
                "30",
                "--store",
                store.to_str().unwrap(),
            ]);
            assert_eq!(code, 0, "{e}");
            assert_eq!(resumed, run(&["validate", cfg.to_str().unwrap(), "--trials", "30", "--no-store"]).1);
        }
    }
}

#[test]
fn status_and_gc() {
    let dir = scratch("store_gc");
    let a = write(&dir, "a.toml", MODEL);
    let b = write(&dir, "b.toml", &MODEL.replace("seed = 4", "seed = 5"));
    let store = dir.join("store");
    validate(&a, &store, &[]);
    validate(&b, &store, &[]);
    // An older simulation version's records.
    std::fs::create_dir_all(store.join("v0")).unwrap();
    write(&store.join("v0"), "old.trials", "x\n");
    let s = store.to_str().unwrap();
    let (code, out, err) = run(&["store", "status", a.to_str().unwrap(), b.to_str().unwrap(), "--store", s]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("96 trials of 8 points in 2 files"), "{out}");
    assert!(out.contains("1 file of older simulation versions"), "{out}");
    assert!(out.contains("a.toml: 48 of 48 trials stored, 0 missing"), "{out}");
    let (_, out, _) = run(&["store", "status", a.to_str().unwrap(), "--store", s, "--trials", "20"]);
    assert!(out.contains("a.toml: 48 of 80 trials stored, 32 missing"), "{out}");
    // gc without --prune deletes nothing of the current version (b's trials, or trajectories
    // of `dynamics --validate` whose times no config names), only older versions.
    let (code, out, err) = run(&["store", "gc", a.to_str().unwrap(), "--store", s]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kept 96 trials") && out.contains("--prune"), "{out}");
    assert!(!store.join("v0").exists());
    assert_eq!(records(&store), 96);
    // gc --prune keeps only a's records.
    let (code, out, err) = run(&["store", "gc", a.to_str().unwrap(), "--store", s, "--prune"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kept 48 trials"), "{out}");
    assert_eq!(records(&store), 48);
    assert_eq!(store_files(&store).len(), 1);
    let (_, again, _) = validate(&a, &store, &[]);
    assert_eq!(records(&store), 48, "a's trials survived gc");
    assert_eq!(again, run(&["validate", a.to_str().unwrap(), "--no-store"]).1);
    // A store path that is a file is bad input.
    let file = write(&dir, "file", "");
    let (code, _, err) = validate(&a, &file, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--store"), "{err}");
}

#[test]
fn figures_reuse_the_store_when_only_the_styling_changes() {
    let dir = scratch("store_figures");
    let fig = MODEL.replace("[data]", "[figure]\ntitle = \"one\"\nlog_x = true\n\n[data]").replace(
        "[samples]\nvalues = [20, 45, 90, 200]\n",
        "[sweep]\naxis = \"alpha\"\nrange = { from = 0.2, to = 4, points = 10 }\nsimulate = { values = [0.5, 2] }\n[[series]]\nlabel = \"a\"\n",
    );
    let cfg = write(&dir, "f.toml", &fig);
    let store = dir.join("store");
    let s = store.to_str().unwrap();
    let out = dir.join("out");
    let (code, _, err) =
        run(&["figures", cfg.to_str().unwrap(), "--out", out.to_str().unwrap(), "--store", s]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(records(&store), 24);
    let files = store_files(&store);
    let svg = std::fs::read_to_string(out.join("f.svg")).unwrap();
    // Restyle: new title, caption and label; no new trial, same markers.
    let restyled = fig
        .replace("title = \"one\"", "title = \"two\"\ncaption = \"restyled\"")
        .replace("label = \"a\"", "label = \"b\"");
    write(&dir, "f.toml", &restyled);
    let (code, _, err) =
        run(&["figures", cfg.to_str().unwrap(), "--out", out.to_str().unwrap(), "--store", s]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(store_files(&store), files, "no simulation");
    let svg2 = std::fs::read_to_string(out.join("f.svg")).unwrap();
    assert!(svg2.contains("restyled") && svg != svg2);
    // Shards of a figure batch fill the store; the drawing run then simulates nothing.
    let store2 = dir.join("store2");
    let s2 = store2.to_str().unwrap();
    for i in 0..2 {
        let (code, stdout, err) = run(&[
            "figures",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--store",
            s2,
            "--shard",
            &format!("{i}/2"),
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(stdout.is_empty() && err.contains("run without --shard to draw"), "{err}");
    }
    assert_eq!(records(&store2), 24);
    let out2 = dir.join("out2");
    run(&["figures", cfg.to_str().unwrap(), "--out", out2.to_str().unwrap(), "--store", s2]);
    assert_eq!(records(&store2), 24);
    assert_eq!(std::fs::read(out2.join("f.svg")).unwrap(), svg2.into_bytes());
}

/// `store gc` while a validation writes (issue 21): gc never deletes a file a live process
/// writes, so every trial of the run survives, and its counts are consistent.
#[test]
fn gc_during_a_running_validation_loses_nothing() {
    let dir = scratch("store_gc_live");
    let big = MODEL.replace("dim = 60", "dim = 300").replace("width = 50", "width = 250");
    let cfg = write(&dir, "m.toml", &big);
    let store = dir.join("store");
    let s = store.to_str().unwrap();
    let mut child = spawn_validate(&cfg, "600", &store, &["--out", dir.join("out.csv").to_str().unwrap()]);
    let start = Instant::now();
    while records(&store) < 10 {
        assert!(start.elapsed() < Duration::from_secs(120), "no trial stored");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut live_seen = false;
    for _ in 0..3 {
        let (code, out, err) =
            run(&["store", "gc", cfg.to_str().unwrap(), "--store", s, "--trials", "600", "--prune"]);
        assert_eq!(code, 0, "{err}");
        let (kept, read) = {
            let w: Vec<&str> = out.split_whitespace().collect();
            let at = w.iter().position(|x| *x == "kept").unwrap();
            (w[at + 1].parse::<usize>().unwrap(), w[at + 4].parse::<usize>().unwrap())
        };
        assert!(kept <= read, "{out}");
        live_seen |= out.contains("running lcurve processes write");
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = child.wait().unwrap();
    assert!(status.success());
    // Racing a live writer depends on timing: reported, not asserted.
    eprintln!("gc saw the live writer's file: {live_seen}");
    // Deterministically: a file whose writer holds its lock is left alone by gc.
    let live = store.join(format!("v{}", lcurve::store::SIM_VERSION)).join("live-test.trials");
    std::fs::copy(&store_files(&store)[0].0, &live).unwrap();
    let f = std::fs::File::open(&live).unwrap();
    f.lock().unwrap();
    let (code, out, err) = run(&["store", "gc", cfg.to_str().unwrap(), "--store", s, "--prune"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("left 1 file that running lcurve processes write") && live.exists(), "{out}");
    f.unlock().unwrap();
    let (_, out, _) = run(&["store", "status", cfg.to_str().unwrap(), "--store", s, "--trials", "600"]);
    assert!(out.contains("2400 of 2400 trials stored, 0 missing"), "{out}");
}
