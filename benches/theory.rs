//! Theory benchmark of issue 2: a 200-point learning curve at n0 = 10 000 with two
//! structured hidden layers (12 000 and 9 000 wide), λ = 1e-3.

use criterion::{criterion_group, criterion_main, Criterion};
use lcurve::config::Config;
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
}

criterion_group!(benches, curve);
criterion_main!(benches);
