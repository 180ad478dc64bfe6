//! The library boundary: configs from text, progress weighted by cost, cancellation, and
//! concurrent runs in one process giving the bits of sequential ones.

use lcurve::progress::{Progress, Silent};
use lcurve::validate;
use lcurve::Config;
use lcurve::Error;
use lcurve::Simulation;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

const MODEL: &str = r#"
[data]
dim = 60
noise = 0.2
covariance = { kind = "power_law", exponent = 1.0 }

[[layers]]
width = 90
covariance = { kind = "ar1", rho = 0.3 }

[readout]
ridge = 0.01

[samples]
values = [20, 240]
"#;

/// Records what a run reports.
#[derive(Default)]
struct Recorder {
    stages: Mutex<Vec<(String, u64)>>,
    advances: Mutex<Vec<u64>>,
    cancel_after: Option<u64>,
    seen: AtomicU64,
}

impl Progress for Recorder {
    fn start(&self, what: &str, total: u64) {
        self.stages.lock().unwrap().push((what.to_string(), total));
    }
    fn advance(&self, units: u64) {
        self.advances.lock().unwrap().push(units);
        self.seen.fetch_add(1, Ordering::SeqCst);
    }
    fn cancelled(&self) -> bool {
        self.cancel_after.is_some_and(|n| self.seen.load(Ordering::SeqCst) >= n)
    }
}

#[test]
fn configs_from_text_equal_configs_from_files() {
    let dir = std::env::temp_dir().join(format!("lcurve_lib_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.toml");
    std::fs::write(&path, MODEL).unwrap();
    let from_file = Config::load(&path).unwrap();
    let from_text = Config::from_toml_str(MODEL).unwrap();
    assert_eq!(from_file.model().layers(), from_text.model().layers());
    assert_eq!(from_file.samples(), from_text.samples());
    assert_eq!(from_text.source(), "<string>");
    let a = lcurve::curve::run(&from_file, &Silent).unwrap();
    let b = lcurve::curve::run(&from_text, &Silent).unwrap();
    assert_eq!(a.points, b.points);
    // Errors in text name `<string>` where a file name would stand, with the same key.
    let e = Config::from_toml_str(&MODEL.replace("dim = 60", "dim = -1")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "<string>: data.dim: expected an integer from 4 to 1e15 or \"infinite\", got -1"
    );
    assert!(e.is_input());
    let e = Config::from_toml_str("[data\n").unwrap_err();
    assert!(e.to_string().starts_with("<string>: line 1, column"), "{e}");
}

#[test]
fn simulation_progress_is_weighted_by_cost() {
    let cfg = Config::from_toml_str(MODEL).unwrap();
    let rec = Recorder::default();
    let opts =
        Simulation { trials: 3, seed: 4, scale: 1.0, inputs: lcurve::Inputs::Gaussian, ..Default::default() };
    validate::run(&cfg, &opts, &rec).unwrap();
    let stages = rec.stages.lock().unwrap();
    let (_, total) = stages.iter().find(|(w, _)| w == "simulate").unwrap();
    let advances = rec.advances.lock().unwrap();
    assert_eq!(advances.len(), 6, "one advance per trial");
    assert_eq!(advances.iter().sum::<u64>(), *total, "units add up to the announced total");
    // A trial at p = 240 costs more than one at p = 20, and is counted so.
    let (small, large) = (advances.iter().min().unwrap(), advances.iter().max().unwrap());
    assert!(*large > 3 * *small, "units {small} vs {large}");
    let plan = validate::plan(&cfg, &opts).unwrap();
    assert_eq!(plan.trials, 6);
    assert!(plan.bytes > 0.0 && plan.seconds > 0.0);
}

#[test]
fn a_cancelled_run_stops_with_interrupted() {
    let cfg = Config::from_toml_str(MODEL).unwrap();
    let rec = Recorder { cancel_after: Some(2), ..Default::default() };
    let opts = Simulation {
        trials: 40,
        seed: 4,
        scale: 1.0,
        inputs: lcurve::Inputs::Gaussian,
        ..Default::default()
    };
    match validate::run(&cfg, &opts, &rec) {
        Err(e @ Error::Interrupted { done, total, unit }) => {
            assert_eq!((total, unit), (80, "trial"));
            assert_eq!(e.to_string(), format!("interrupted after {done} of 80 trials"));
            assert!(done < total, "stopped early: {done} of {total}");
        }
        other => panic!("expected Interrupted, got {other:?}"),
    }
    // Curves too, between points.
    struct Stop(AtomicBool);
    impl Progress for Stop {
        fn cancelled(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }
    }
    let e = lcurve::curve::run(&cfg, &Stop(AtomicBool::new(true))).unwrap_err();
    assert!(matches!(e, Error::Interrupted { unit: "point", .. }), "{e:?}");
}

#[test]
fn concurrent_validations_match_sequential_ones() {
    let cfg = Config::from_toml_str(MODEL).unwrap();
    let opts =
        Simulation { trials: 4, seed: 9, scale: 1.0, inputs: lcurve::Inputs::Gaussian, ..Default::default() };
    let render = |v: &validate::Validation| v.render("m", lcurve::output::Format::Csv);
    let sequential = render(&validate::run(&cfg, &opts, &Silent).unwrap());
    let other = Simulation { seed: 10, ..opts };
    let sequential_other = render(&validate::run(&cfg, &other, &Silent).unwrap());
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| render(&validate::run(&cfg, &opts, &Silent).unwrap()));
        let b = s.spawn(|| render(&validate::run(&cfg, &other, &Silent).unwrap()));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(a, sequential);
    assert_eq!(b, sequential_other);
    assert_ne!(a, b);
}

/// The solver's cost in passes over the spectra (issue 20): on the benchmark curve (200
/// points, n0 = 10⁴, two structured layers) at most 8 passes per point on average. A count,
/// not a time: it does not depend on the machine.
#[test]
fn a_curve_costs_few_passes_per_point() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/bench_curve.toml");
    let cfg = Config::load(&path).unwrap();
    let theory = lcurve::Theory::from_spec(cfg.model(), &Silent).unwrap();
    let before = theory.passes();
    let pts =
        lcurve::sweep::learning_curve(&theory, cfg.samples(), cfg.ridge(), cfg.readout_ensemble(), &Silent)
            .unwrap();
    let per_point = (theory.passes() - before) / pts.len() as f64;
    assert!((1.0..=8.0).contains(&per_point), "{per_point:.2} passes per point");
}
