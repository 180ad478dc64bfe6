//! Limits on sizes and estimates of the memory and time a run needs, checked before
//! anything is allocated so that an impossible request is one clear error, never an
//! aborted allocation.
//!
//! The estimates are deliberately generous upper bounds (they count every temporary
//! matrix a trial holds at its peak); the time estimates are calibrated on a 2-core
//! AMD EPYC (≈ 40 GFLOP/s per core in the dense kernels).

use crate::spec::text::truncate;
use crate::spec::{Error, ModelSpec, Result};

pub use crate::spec::limits::{
    MAX_CONFIG_BYTES, MAX_DENSE_DIM, MAX_NOISE, MAX_POINTS, MAX_SAMPLES, MAX_SIZE, MIN_SIZE,
};

/// Rows of a nonlinear network's test set pushed through the network at once.
pub(crate) const TEST_CHUNK: usize = 1024;

const GB: f64 = 1e9;
/// Sustained dense floating-point rate of one thread (FLOP/s), for time estimates.
const FLOPS_PER_THREAD: f64 = 3e10;

/// The environment variable that sets the memory limit.
pub const MEMORY_LIMIT_VAR: &str = "LCURVE_MEMORY_LIMIT";

/// The memory a run may use: `LCURVE_MEMORY_LIMIT` (bytes, with an optional K/M/G/T
/// suffix) if set, else three quarters of the machine's physical memory, else 8 GB. A
/// limit above the machine's physical memory is capped there (an allocation beyond it
/// would abort the process). A malformed value is bad input, never ignored.
pub fn memory_limit() -> Result<f64> {
    let physical = physical_memory();
    match std::env::var(MEMORY_LIMIT_VAR) {
        Ok(s) => {
            let v = parse_bytes(&s).map_err(|m| {
                Error::input("environment", MEMORY_LIMIT_VAR, format!("{m}, got \"{}\"", truncate(&s, 40)))
            })?;
            Ok(physical.map_or(v, |p| v.min(p)))
        }
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::input(
            "environment",
            MEMORY_LIMIT_VAR,
            "expected a number of bytes, got non-UTF-8 text",
        )),
        Err(std::env::VarError::NotPresent) => Ok(physical.map(|m| 0.75 * m).unwrap_or(8.0 * GB)),
    }
}

/// A number of bytes: a positive finite number with an optional K, M, G or T suffix
/// (powers of 1000), at least 1 MB.
fn parse_bytes(s: &str) -> std::result::Result<f64, &'static str> {
    const EXPECTED: &str = "expected a number of bytes ≥ 1M with an optional K, M, G or T suffix (e.g. 12G)";
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 'K' | 'k')) => (&s[..i], 1e3),
        Some((i, 'M' | 'm')) => (&s[..i], 1e6),
        Some((i, 'G' | 'g')) => (&s[..i], 1e9),
        Some((i, 'T' | 't')) => (&s[..i], 1e12),
        _ => (s, 1.0),
    };
    num.trim().parse::<f64>().ok().map(|x| x * mult).filter(|x| x.is_finite() && *x >= 1e6).ok_or(EXPECTED)
}

fn physical_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// `x` bytes in GB with two significant decimals.
pub fn gb(x: f64) -> String {
    format!("{:.2} GB", x / GB)
}

/// Seconds as a short human duration.
pub fn duration(s: f64) -> String {
    if s < 90.0 {
        format!("{s:.0} s")
    } else if s < 5400.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// Refuses an estimate above the memory limit, naming the key that drives it.
pub(crate) fn check_memory(source: &str, key: &str, what: &str, bytes: f64) -> Result<()> {
    // A bad LCURVE_MEMORY_LIMIT is its own input error, not one of the key's.
    memory_limit()?;
    fits(what, bytes).map_err(|e| e.at(source, key))
}

/// Checks that `what` (a file's reading, say) fits the memory limit, for a caller that
/// names the key: an [`Invalid`] saying both numbers.
pub(crate) fn fits(what: &str, bytes: f64) -> std::result::Result<(), crate::spec::Invalid> {
    let limit = memory_limit().map_err(|e| crate::spec::Invalid(e.to_string()))?;
    if bytes > limit {
        return Err(crate::spec::Invalid(format!(
            "{what} needs ≈ {} of memory, more than the limit of {} (LCURVE_MEMORY_LIMIT sets it, up to the machine's memory)",
            gb(bytes),
            gb(limit)
        )));
    }
    Ok(())
}

/// Peak bytes of reading a dataset of `values` numbers with `cols` columns and analysing
/// it: the numbers as f64, the (centred) matrix and its products (three copies), and the
/// covariance with its eigendecomposition (four n0 × n0 matrices).
pub(crate) fn dataset_bytes(values: f64, cols: f64) -> f64 {
    24.0 * values + 32.0 * cols * cols
}

/// Bytes of one dense n × n matrix.
pub(crate) fn dense_bytes(n: usize) -> f64 {
    8.0 * (n as f64) * (n as f64)
}

/// Seconds of a symmetric eigendecomposition of an n × n matrix (values only, or with
/// vectors), measured with faer on this project's machine.
pub(crate) fn eigen_seconds(n: usize, vectors: bool) -> f64 {
    let r = n as f64 / 2000.0;
    (if vectors { 1.2 } else { 0.85 }) * r * r * r
}

/// An upper bound on the nodes of a compressed spectrum (n0 = ∞ with the slowest decay
/// the grid accepts needs ≈ 10⁴).
const COMPRESSED_NODES: f64 = 20_000.0;

/// Peak memory of the theory of a model spec over `points` sample sizes: a few vectors
/// per spectrum, the dense matrices of dense covariances, and the output rows.
/// A compressed spectrum (SCALING §2) counts as [`COMPRESSED_NODES`] values.
pub(crate) fn theory_bytes(spec: &ModelSpec, points: usize) -> f64 {
    let data = if spec.compressed_data() { COMPRESSED_NODES } else { spec.dim() as f64 };
    let layers = (0..spec.layers().len()).map(|i| {
        if spec.compressed_layer(i) {
            COMPRESSED_NODES
        } else {
            spec.layers()[i].width as f64
        }
    });
    let n: f64 = data + layers.sum::<f64>();
    let dense: f64 = spec.dense_dims().iter().map(|&d| 4.0 * dense_bytes(d)).sum();
    80.0 * n + dense + 600.0 * points as f64
}

/// Floating-point work of one Monte Carlo trial at sample size p: the feature products,
/// the Gram matrix and its factorisation, the dense input map when there is one.
pub(crate) fn trial_flops(spec: &ModelSpec, p: usize) -> f64 {
    let p = p as f64;
    let mut prev = spec.dim() as f64;
    let mut f = if spec.has_dense_data() { 2.0 * p * prev * prev } else { p * prev };
    for l in spec.layers() {
        let n = l.width as f64;
        f += 2.0 * p * prev * n;
        if l.is_dense() {
            f += 2.0 * p * n * n;
        }
        prev = n;
    }
    let q = p.min(prev);
    f + 2.0 * p.max(prev) * q * q + q * q * q / 3.0
}

/// Extra work of a nonlinear network's trial: its test set of `test_samples` inputs pushed
/// through the network and the readout (the fit is in [`trial_flops`]).
pub(crate) fn test_set_flops(spec: &ModelSpec, test_samples: usize) -> f64 {
    if !spec.is_nonlinear() {
        return 0.0;
    }
    if spec.has_exact_test_error() {
        // A = M W (n0 × n1), C = AᵀA, and the kernel's n1² entries.
        let (n0, n1) = (spec.dim() as f64, spec.layers()[0].width as f64);
        let map = if spec.has_dense_data() { 2.0 * n0 * n0 * n1 } else { n0 * n1 };
        return map + 2.0 * n0 * n1 * n1 + 40.0 * n1 * n1;
    }
    let t = test_samples as f64;
    let mut prev = spec.dim() as f64;
    let mut f = if spec.has_dense_data() { 2.0 * t * prev * prev } else { t * prev };
    for l in spec.layers() {
        f += 2.0 * t * prev * l.width as f64;
        prev = l.width as f64;
    }
    f + 4.0 * t * prev
}

/// Peak memory of one trial at sample size p (every temporary it holds at once).
pub(crate) fn trial_bytes(spec: &ModelSpec, p: usize) -> f64 {
    let p = p as f64;
    let n0 = spec.dim() as f64;
    let mut words = 3.0 * p * n0;
    let mut prev = n0;
    for l in spec.layers() {
        let n = l.width as f64;
        words += prev * n + 3.0 * p * n;
        prev = n;
    }
    let q = p.min(prev);
    words += 3.0 * q * q + 2.0 * n0;
    if spec.has_exact_test_error() {
        // A = M W and C = AᵀA of the closed-form test error.
        let n1 = spec.layers()[0].width as f64;
        words += n0 * n1 + 2.0 * n1 * n1;
    } else if spec.is_nonlinear() {
        // A chunk of the test set through the widest stage.
        let widest = spec.layers().iter().map(|l| l.width).max().unwrap_or(0).max(spec.dim()) as f64;
        words += 3.0 * TEST_CHUNK as f64 * widest;
    }
    8.0 * words
}

/// Peak memory of one one-pass SGD run: the features' map F built layer by layer (n0 × n0
/// to start, then n0 × n_ℓ with its G_ℓ), Σ0^{1/2}F, Σ_F and its eigenvectors.
pub(crate) fn sgd_run_bytes(spec: &ModelSpec) -> f64 {
    let n0 = spec.dim() as f64;
    let (mut words, mut prev) = (2.0 * n0 * n0, n0);
    for l in spec.layers() {
        let n = l.width as f64;
        words = words.max(n0 * prev + prev * n + 2.0 * n0 * n);
        prev = n;
    }
    8.0 * (words + n0 * prev + 3.0 * prev * prev)
}

/// Memory of the simulator's shared state (square roots of the dense covariances).
pub(crate) fn simulator_bytes(spec: &ModelSpec) -> f64 {
    // A dataset's rows: kept by the model, and once more by trials on the real inputs.
    let rows = match &spec.data().kind {
        crate::spec::CovarianceKind::Empirical { data } => 16.0 * (data.rows() * data.dim()) as f64,
        _ => 0.0,
    };
    spec.dense_dims().iter().map(|&d| 6.0 * dense_bytes(d)).sum::<f64>() + 64.0 * spec.dim() as f64 + rows
}

/// Seconds of `flops` of dense work spread over `threads` threads.
pub fn seconds(flops: f64, threads: usize) -> f64 {
    flops / (FLOPS_PER_THREAD * threads.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_suffixes() {
        assert_eq!(parse_bytes("12G"), Ok(12e9));
        assert_eq!(parse_bytes("512 M"), Ok(512e6));
        assert_eq!(parse_bytes("2000000"), Ok(2e6));
        for bad in ["-1G", "lots", "abc", "12GB", "0", "-5G", "1e999", "1000", ""] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
    }
}
