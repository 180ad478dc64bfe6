//! Results-store benchmark: a store of 10⁶ trial records (10⁴ points × 100 trials, one
//! writer's file, ≈ 90 MB): looking up one validation's points (40 points; repeated lookups
//! use the store's in-process index), a figure's 20 validations from a fresh store, and
//! reading every record (`lcurve store status`).

/// The command-line tool's allocator, so that the benches measure what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use lcurve::store::{PointKey, Record, Store};
use lcurve::Config;
use std::collections::HashSet;
use std::path::Path;

fn store(c: &mut Criterion) {
    let cfg = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("bench_curve.toml")).unwrap();
    let dir = std::env::temp_dir().join(format!("lcurve-store-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let st = Store::open(&dir).unwrap();
    let keys: Vec<PointKey> =
        (0..10_000).map(|p| PointKey::new(cfg.model(), 100 + p, 1e-3, None, 1, 20_000)).collect();
    for k in &keys {
        for t in 0..100 {
            st.append(&Record { key: *k, trial: t, values: vec![0.1 + t as f64, 0.05, 0.3] }).unwrap();
        }
    }
    let bytes: u64 = std::fs::read_dir(dir.join(format!("v{}", lcurve::store::SIM_VERSION)))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    eprintln!("store: 10^6 records, {:.1} MB", bytes as f64 / 1e6);
    let wanted: HashSet<PointKey> = keys.iter().step_by(250).copied().collect();
    assert_eq!(wanted.len(), 40);
    let mut group = c.benchmark_group("store");
    group.sample_size(10);
    group.bench_function("lookup_40_points_in_1e6_records", |b| {
        b.iter(|| {
            let l = st.load(Some(&wanted)).unwrap();
            assert_eq!(l.trials.len(), 4000);
        })
    });
    // A figure with 20 validations: one store, 20 lookups of 40 points each (the first
    // reads the files, the others use the in-process index).
    group.bench_function("figure_20_lookups_of_40_points_in_1e6_records", |b| {
        b.iter(|| {
            let st = Store::open(&dir).unwrap();
            for v in 0..20 {
                let w: HashSet<PointKey> = keys.iter().skip(v).step_by(250).copied().collect();
                assert_eq!(st.load(Some(&w)).unwrap().trials.len(), 4000);
            }
        })
    });
    group.bench_function("read_all_1e6_records", |b| {
        b.iter(|| {
            let l = st.load(None).unwrap();
            assert_eq!(l.trials.len(), 1_000_000);
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, store);
criterion_main!(benches);
