//! Theory benchmark of issue 2: a 200-point learning curve at n0 = 10 000 with two
//! structured hidden layers (12 000 and 9 000 wide), λ = 1e-3.

use criterion::{criterion_group, criterion_main, Criterion};
use lcurve::config::{Config, Override};
use lcurve::progress::Silent;
use std::path::Path;

fn curve(c: &mut Criterion) {
    let cfg = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("bench_curve.toml")).unwrap();
    let theory = cfg.model.theory(&Silent).unwrap();
    assert_eq!(cfg.samples.len(), 200);
    let mut group = c.benchmark_group("theory");
    group.sample_size(20);
    group.bench_function("curve_200_points_n10000_L2", |b| {
        b.iter(|| {
            lcurve::sweep::learning_curve(&theory, &cfg.samples, cfg.ridge, cfg.readout_ensemble(), &Silent)
                .unwrap()
        })
    });
    group.bench_function("single_point_p5000", |b| b.iter(|| theory.point(5000, 1e-3).unwrap()));
    group.bench_function("build_and_reduce", |b| b.iter(|| cfg.model.theory(&Silent).unwrap()));
    group.finish();

    // The same network with ReLU in every layer (issue 10): the nonlinear chain.
    let relu: Vec<Override> = ["layers[0].activation=\"relu\"", "layers[1].activation=\"relu\""]
        .map(|s| s.parse().unwrap())
        .to_vec();
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench_curve.toml")).unwrap();
    let cfg = Config::from_toml_str_with(&text, &relu).unwrap();
    let theory = cfg.model.theory(&Silent).unwrap();
    assert!(theory.is_nonlinear());
    let mut group = c.benchmark_group("theory_relu");
    group.sample_size(10);
    group.bench_function("curve_200_points_n10000_L2_relu", |b| {
        b.iter(|| {
            lcurve::sweep::learning_curve(&theory, &cfg.samples, cfg.ridge, cfg.readout_ensemble(), &Silent)
                .unwrap()
        })
    });
    group.bench_function("single_point_p5000_relu", |b| b.iter(|| theory.point(5000, 1e-3).unwrap()));
    group.bench_function("build_and_reduce_relu", |b| b.iter(|| cfg.model.theory(&Silent).unwrap()));
    group.finish();
}

criterion_group!(benches, curve);
criterion_main!(benches);
