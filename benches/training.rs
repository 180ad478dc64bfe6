//! Training with a step (TRAINING.md): a gradient-descent point against the gradient-flow
//! point at the same time ηk on the bench network; a one-pass SGD curve of 10⁴ step counts
//! at n0 = 10⁶ and n0 = ∞ (one hidden layer: deterministic-equivalent measures, then the
//! exponential sum); the compute-optimal frontier of 13 budgets.

/// The command-line tool's allocator, so that the benches measure what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use lcurve::progress::Silent;
use lcurve::spec::{OnlineSgd, Step, Steps};
use lcurve::{Config, Theory};

fn theory(text: &str) -> Theory {
    Theory::from_spec(Config::from_toml_str(text).unwrap().model(), &Silent).unwrap()
}

fn descent(c: &mut Criterion) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/bench_curve.toml")).unwrap();
    let th = theory(&text);
    let (p, ridge) = (5000.0, 1e-3);
    let eta = 0.5 * 2.0 / (th.top_edge(p).unwrap() + ridge);
    let mut group = c.benchmark_group("descent");
    group.sample_size(20);
    // k = 1000: the mapped Talbot route (28 nodes); k = 20: the w-circle (160 nodes).
    for k in [1000u64, 20] {
        group.bench_function(format!("gd_point_k{k}"), |b| {
            b.iter(|| th.descent(p, ridge, eta, &[k]).unwrap())
        });
        group.bench_function(format!("flow_point_t_eta_k{k}"), |b| {
            b.iter(|| th.point_at_time(p, ridge, eta * k as f64).unwrap())
        });
    }
    group.bench_function("top_edge", |b| b.iter(|| th.top_edge(p).unwrap()));
    group.finish();
}

fn sgd_config(dim: &str) -> String {
    format!(
        "[data]\ndim = {dim}\nnoise = 0.1\ncovariance = {{ kind = \"power_law\", exponent = 1.6, normalize = false }}\n\
         target = {{ kind = \"power_law\", exponent = 0.6 }}\n[[layers]]\nwidth = 1000\n[readout]\nridge = 0\n\
         [training]\noptimizer = \"sgd\"\nstep = {{ kernel_norm = 0.5 }}\n"
    )
}

fn sgd(c: &mut Criterion) {
    let mut group = c.benchmark_group("sgd");
    group.sample_size(10);
    let sgd = OnlineSgd { step: Step::KernelNorm(0.5), batch: 1, steps: Steps::Infinite };
    let ks: Vec<u64> =
        (0..10_000u64).map(|i| (10f64.powf(i as f64 * 9.0 / 9_999.0)).round() as u64).collect();
    for (name, dim) in [("1e6", "1000000"), ("inf", "\"infinite\"")] {
        let th = theory(&sgd_config(dim));
        group.bench_function(format!("curve_10k_steps_n0_{name}"), |b| {
            b.iter(|| th.sgd(sgd, 0.0, &ks).unwrap())
        });
        let m = th.sgd_measures().unwrap();
        let kf: Vec<f64> = ks.iter().map(|&k| k as f64).collect();
        group.bench_function(format!("solve_and_evaluate_n0_{name}"), |b| {
            b.iter(|| th.sgd_on(&m, sgd, 0.0, &kf).unwrap())
        });
    }
    let th = theory(&sgd_config("\"infinite\"").replace("width = 1000", "width = 100"));
    let budgets: Vec<f64> = (0..13).map(|i| 10f64.powf(3.0 + 0.25 * i as f64)).collect();
    group.bench_function("frontier_13_budgets_1e3_1e6", |b| {
        b.iter(|| th.sgd_frontier(sgd, 0.0, &budgets, &Silent).unwrap())
    });
    group.finish();
}

criterion_group!(benches, descent, sgd);
criterion_main!(benches);
