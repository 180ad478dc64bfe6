//! Theory benchmark of issue 2: a 200-point learning curve at n0 = 10 000 with two
//! structured hidden layers (12 000 and 9 000 wide), λ = 1e-3; of issue 10: the same
//! network with ReLU in both layers (the nonlinear chain); of issue 22: a training-time
//! axis of the linear network.

/// The command-line tool's allocator, so that the benches measure what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use lcurve::config::Override;
use lcurve::progress::Silent;
use lcurve::Config;
use std::path::Path;

/// The bench config with `overrides`, benchmarked as group `name` (curve, one cold point,
/// building the theory).
fn bench_config(c: &mut Criterion, name: &str, overrides: &[&str], samples: usize) {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench_curve.toml")).unwrap();
    let overrides: Vec<Override> = overrides.iter().map(|s| s.parse().unwrap()).collect();
    let cfg = Config::from_toml_str_with(&text, &overrides).unwrap();
    let theory = lcurve::Theory::from_spec(cfg.model(), &Silent).unwrap();
    assert_eq!(cfg.samples().len(), 200);
    let mut group = c.benchmark_group(name);
    group.sample_size(samples);
    group.bench_function("curve_200_points_n10000_L2", |b| {
        b.iter(|| {
            lcurve::sweep::learning_curve(
                &theory,
                cfg.samples(),
                cfg.ridge(),
                cfg.readout_ensemble(),
                &Silent,
            )
            .unwrap()
        })
    });
    group.bench_function("single_point_p5000", |b| b.iter(|| theory.point(5000, 1e-3).unwrap()));
    if name == "theory" {
        // Training time (DYNAMICS.md): a dense axis of 40 times from 0.1 to 1000 at p = 5000.
        let times: Vec<f64> = (0..40).map(|i| 10f64.powf(-1.0 + 4.0 * i as f64 / 39.0)).collect();
        group.bench_function("dynamics_40_times_p5000", |b| {
            b.iter(|| theory.points_at_times(5000.0, 1e-3, &times).unwrap())
        });
        group.bench_function("dynamics_one_time_p5000", |b| {
            b.iter(|| theory.point_at_time(5000.0, 1e-3, 10.0).unwrap())
        });
    }
    group.bench_function("build_and_reduce", |b| {
        b.iter(|| lcurve::Theory::from_spec(cfg.model(), &Silent).unwrap())
    });
    group.finish();
}

fn curve(c: &mut Criterion) {
    bench_config(c, "theory", &[], 20);
    bench_config(c, "theory_relu", &["layers[0].activation=\"relu\"", "layers[1].activation=\"relu\""], 10);
}

criterion_group!(benches, curve);
criterion_main!(benches);
