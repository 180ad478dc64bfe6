//! Scaling benchmark of issue 18: the cost of one cold theory point against the input
//! dimension n0 = 10⁴ (explicit eigenvalues), 10⁷, 10¹² (compressed, SCALING §2) and ∞, for
//! one and two hidden layers, linear and ReLU (a nonlinear layer needs a finite n0); and a
//! budget-frontier point (SCALING §5).

/// The command-line tool's allocator, so that the benches measure what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use lcurve::progress::Silent;
use lcurve::{Config, Theory};

/// Raw-scale power-law data (a = 1.5, t = 0.5), identity layers of widths `widths`.
fn config(dim: &str, widths: &[usize], activation: &str) -> Config {
    let mut text = format!(
        "[data]\ndim = {dim}\nnoise = 0.1\ncovariance = {{ kind = \"power_law\", exponent = 1.5, normalize = false }}\n\
         target = {{ kind = \"power_law\", exponent = 0.5 }}\n"
    );
    for w in widths {
        text += &format!("[[layers]]\nwidth = {w}\nactivation = \"{activation}\"\n");
    }
    text += "[readout]\nridge = 1e-3\n[samples]\nvalues = [500]\n";
    Config::from_toml_str(&text).unwrap()
}

fn points(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling_point");
    group.sample_size(30);
    for (layers, widths) in [("L1", &[1000][..]), ("L2", &[1000, 800][..])] {
        for activation in ["linear", "relu"] {
            for (name, dim) in
                [("1e4", "10000"), ("1e7", "10000000"), ("1e12", "1000000000000"), ("inf", "\"infinite\"")]
            {
                if activation == "relu" && name == "inf" {
                    continue;
                }
                let theory = Theory::from_spec(config(dim, widths, activation).model(), &Silent).unwrap();
                group.bench_function(format!("{layers}_{activation}_n0_{name}"), |b| {
                    b.iter(|| theory.point(500, 1e-3).unwrap())
                });
            }
        }
    }
    group.finish();
    let mut group = c.benchmark_group("scaling_frontier");
    group.sample_size(10);
    let cfg = config("\"infinite\"", &[1000], "linear");
    group.bench_function("frontier_point_C1e9_fixed_ridge", |b| {
        b.iter(|| lcurve::scaling::frontier_point(cfg.model(), cfg.ridge(), 1e9).unwrap())
    });
    group.finish();
}

criterion_group!(benches, points);
criterion_main!(benches);
