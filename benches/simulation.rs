//! Simulation benchmark of issue 3: one trial at n0 = 1000, p = 800, widths [1200, 900],
//! power-law data (exponent 1), for λ = 1e-2 and λ = 0; and of issue 9: one ensemble trial
//! of K = 4 members on shared data (to compare with 4 single trials).

/// The command-line tool's allocator, so that the benches measure what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use faer::Par;
use lcurve::model::Model;
use lcurve::progress::Silent;
use lcurve::simulation::{trial_rng, Members, Simulator};
use lcurve::{CovarianceKind, CovarianceSpec, Target};
use lcurve::{LayerSpec, ModelParts, ModelSpec};
use rayon::prelude::*;

fn simulator() -> Simulator {
    let parts = ModelParts {
        dim: 1000,
        noise: 0.1,
        data: CovarianceSpec { kind: CovarianceKind::PowerLaw { exponent: 1.0 }, normalize: true },
        target: Target::Isotropic,
        input: CovarianceSpec::identity(),
        layers: [1200, 900].iter().map(|&w| LayerSpec::linear(w, CovarianceSpec::identity())).collect(),
    };
    let spec = ModelSpec::new("bench", parts).unwrap();
    Simulator::new(&Model::for_simulation(&spec, &Silent).unwrap()).unwrap()
}

fn trials(c: &mut Criterion) {
    let sim = simulator();
    let p = 800;
    let mut group = c.benchmark_group("simulation");
    group.sample_size(20);
    for (name, ridge) in [("ridge_1e-2", 1e-2), ("ridgeless", 0.0)] {
        // Latency of one trial using both cores inside the dense kernels.
        let mut seed = 0;
        group.bench_function(format!("one_trial_parallel_kernels/{name}"), |b| {
            b.iter(|| {
                seed += 1;
                sim.trial(p, ridge, &mut trial_rng(seed, p, 0), Par::rayon(0)).unwrap()
            })
        });
        // Throughput as `lcurve validate` runs: two trials at once, sequential kernels
        // (time per iteration / 2 = time per trial).
        group.bench_function(format!("two_trials_parallel_over_trials/{name}"), |b| {
            b.iter(|| {
                seed += 1;
                (0..2)
                    .into_par_iter()
                    .map(|t| sim.trial(p, ridge, &mut trial_rng(seed, p, t), Par::Seq).unwrap())
                    .collect::<Vec<_>>()
            })
        });
        // One ensemble trial of K = 4 members (data drawn once, four sets of weights).
        group.bench_function(format!("ensemble_of_4_parallel_kernels/{name}"), |b| {
            b.iter(|| {
                seed += 1;
                let four = Members { count: 4, infinite: false };
                sim.ensemble_trial((p, ridge), four, &mut trial_rng(seed, p, 0), Par::rayon(0), &|| false)
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, trials);
criterion_main!(benches);
