//! Feature learning (FEATURES.md): the causal stepper of the infinite-width DMFT on one
//! training set (q = 50 and 100 coordinates, T = 200 steps, L = 2; FEATURES §3.3's numpy
//! reference takes 2.2 s and 3.0 s on one thread), lazy descent for comparison, and one
//! finite-width network (N = 500, D = 32, T = 100).

/// The command-line tool's allocator, so that the benches measure what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use lcurve::theory::features::{solve, FeatureData, FeatureSchedule};
use nalgebra::DMatrix;

/// A deterministic training set: P × D inputs and labels from a fixed LCG (the bench
/// measures the stepper, not the draw).
fn set(p: usize, d: usize) -> (DMatrix<f64>, Vec<f64>) {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    let x = DMatrix::from_fn(p, d, |_, j| next() * (1.0 + j as f64).powf(-0.5) * 1.7);
    let y = (0..p).map(|i| x[(i, 0)] + 0.5 * x[(i, 1)] + 0.1 * next()).collect();
    (x, y)
}

fn stepper(c: &mut Criterion) {
    let mut group = c.benchmark_group("features");
    group.sample_size(10);
    for q in [50usize, 100] {
        let (x, y) = set(q, 2 * q);
        let data = FeatureData { x: &x, y: &y, gamma: None };
        let rich = FeatureSchedule { layers: 2, richness: 1.0, step: 0.01, rows: 200 };
        group.bench_function(format!("dmft_q{q}_t200_l2"), |b| {
            b.iter(|| solve(&data, &rich, &|| false).unwrap())
        });
        let lazy = FeatureSchedule { richness: 0.0, ..rich };
        group.bench_function(format!("lazy_q{q}_t200"), |b| {
            b.iter(|| solve(&data, &lazy, &|| false).unwrap())
        });
    }
    let (x, y) = set(20, 32);
    let net = lcurve::simulation::features::Network {
        layers: 2,
        width: 500,
        richness: 1.0,
        step: 0.02,
        rows: 100,
        centered: true,
    };
    group.bench_function("network_n500_d32_t100", |b| {
        b.iter(|| {
            let mut rng = lcurve::simulation::features::network_rng(1, 20, 0, 500, 0);
            lcurve::simulation::features::train(&x, &y, None, &net, &mut rng, &|| false).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, stepper);
criterion_main!(benches);
