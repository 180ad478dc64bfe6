//! Reading a dataset (an N × n0 feature matrix and N labels) and the statistics the model
//! takes from it, as a [`Dataset`]: the (centred) empirical covariance Σ0 = XᵀX/N with its
//! eigendecomposition (faer), the least-squares minimum-norm predictor β* of the labels,
//! β*'s squared coordinates along Σ0's eigenvectors and the residual variance.
//!
//! Files: `.npy` of any float, integer or bool dtype, C or Fortran order (npyz), or CSV
//! (numbers separated by commas, one row per line; a label file may also be one number per
//! line). Every problem is an [`Invalid`] the caller attaches to its config key.

use crate::spec::limits::MAX_DENSE_DIM;
use crate::spec::{Dataset, Invalid};
use crate::support::files;
use crate::support::hash::Fnv;
use crate::support::linalg::{self, gemm, Op};
use crate::support::resources;
use faer::Par;
use nalgebra::DMatrix;
use std::path::Path;
use std::sync::Arc;

/// Largest data file read (features of 10⁶ × 16 384 float32 would be 64 GB: the memory
/// estimate refuses what does not fit long before).
pub(crate) const MAX_DATA_BYTES: u64 = 1 << 34;

/// An array read from a file: its shape (1 or 2 dimensions) and its values in row-major
/// (C) order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Array {
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
}

/// Reads an array from `.npy` (by its extension) or CSV.
pub(crate) fn read_array(path: &Path) -> Result<Array, Invalid> {
    let named = |e: Invalid| e.context(path.display());
    let len = files::checked_len(path, MAX_DATA_BYTES).map_err(named)?;
    let npy = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if npy {
        let file = files::open_bounded(path, MAX_DATA_BYTES).map_err(named)?;
        read_npy(std::io::BufReader::new(file))
    } else {
        // A number takes at least two bytes (a digit and a separator): at most len/2 of them.
        resources::fits("reading it", len as f64 + resources::dataset_bytes(len as f64 / 2.0 + 1.0, 0.0))?;
        let bytes = files::read_bounded(path, MAX_DATA_BYTES).map_err(named)?;
        read_csv(&String::from_utf8_lossy(&bytes))
    }
}

/// An `.npy` array of any numeric dtype as f64, in C order; its size (from the header) is
/// checked against the memory limit before the data are read.
fn read_npy(reader: impl std::io::Read) -> Result<Array, Invalid> {
    let bad = |e: std::io::Error| {
        Invalid(format!("not a readable .npy file: {}", crate::spec::text::printable(&e.to_string(), 200)))
    };
    let npy = npyz::NpyFile::new(reader).map_err(bad)?;
    let dims: Vec<u64> = npy.shape().to_vec();
    let values = dims.iter().fold(1.0f64, |a, &d| a * d as f64);
    let cols = if dims.len() == 2 { dims[1] as f64 } else { 1.0 };
    resources::fits("reading and analysing it", resources::dataset_bytes(values, cols))?;
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    if shape.is_empty() || shape.len() > 2 {
        return Err(Invalid(format!("expected a 1- or 2-dimensional array, got shape {shape:?}")));
    }
    let fortran = npy.order() == npyz::Order::Fortran;
    let descr = match npy.dtype() {
        npyz::DType::Plain(t) => t.to_string(),
        other => return Err(Invalid(format!("expected a numeric dtype, got {}", other.descr()))),
    };
    let kind = descr.get(1..).unwrap_or("");
    macro_rules! as_f64 {
        ($t:ty) => {
            npy.into_vec::<$t>().map_err(bad)?.into_iter().map(|x| x as f64).collect::<Vec<f64>>()
        };
    }
    let values: Vec<f64> = match kind {
        "f8" => npy.into_vec::<f64>().map_err(bad)?,
        "f4" => as_f64!(f32),
        "i8" => as_f64!(i64),
        "i4" => as_f64!(i32),
        "i2" => as_f64!(i16),
        "i1" => as_f64!(i8),
        "u8" => as_f64!(u64),
        "u4" => as_f64!(u32),
        "u2" => as_f64!(u16),
        "u1" => as_f64!(u8),
        "b1" => npy.into_vec::<bool>().map_err(bad)?.into_iter().map(|b| b as u8 as f64).collect(),
        _ => return Err(Invalid(format!("expected a float, integer or bool dtype, got \"{descr}\""))),
    };
    let values = if fortran && shape.len() == 2 {
        let (r, c) = (shape[0], shape[1]);
        (0..r * c).map(|k| values[(k % c) * r + k / c]).collect()
    } else {
        values
    };
    Ok(Array { shape, values })
}

/// CSV: one row per line, numbers separated by commas or spaces (blank lines and `#`
/// lines skipped), every row as long as the first.
fn read_csv(text: &str) -> Result<Array, Invalid> {
    let rows = files::number_rows(text, usize::MAX, usize::MAX)?;
    let cols = rows.first().map(Vec::len).ok_or_else(|| Invalid("the file holds no numbers".into()))?;
    if let Some(i) = rows.iter().position(|r| r.len() != cols) {
        return Err(Invalid(format!(
            "row {}: {} numbers, but the first row has {cols} (a ragged table)",
            i + 1,
            rows[i].len()
        )));
    }
    Ok(Array { shape: vec![rows.len(), cols], values: rows.into_iter().flatten().collect() })
}

/// A stable hash of the numbers and the centring flag (the low 64 bits of [`Fnv`]).
fn hash(features: &DMatrix<f64>, labels: &[f64], center: bool) -> u64 {
    let mut h = Fnv::new();
    h.tag("dataset").u64(features.nrows() as u64).u64(features.ncols() as u64);
    features.iter().for_each(|&x| {
        h.f64(x);
    });
    labels.iter().for_each(|&x| {
        h.f64(x);
    });
    h.u64(center as u64);
    h.0 as u64
}

/// Which input of a dataset a problem concerns (the caller maps it to its config key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    Features,
    Labels,
}

/// The dataset of an N × n0 feature matrix (row-major) and N labels: centred when
/// `center`, checked (finite, N ≥ 2, n0 ≤ the dense limit, not constant), then analysed.
pub(crate) fn analyse(
    source: &str,
    features: Array,
    labels: Array,
    center: bool,
    par: Par,
) -> Result<Dataset, (Part, Invalid)> {
    let f = |m: String| (Part::Features, Invalid(m));
    let (n, d) = match features.shape[..] {
        [n, d] => (n, d),
        [n] => (n, 1),
        _ => return Err(f(format!("expected an N × n0 matrix, got shape {:?}", features.shape))),
    };
    if n < 2 {
        return Err(f(format!("expected at least 2 rows (the population of the model), got {n}")));
    }
    if d > MAX_DENSE_DIM {
        return Err(f(format!(
            "{d} features: Σ0 would be a dense {d} × {d} matrix ({:.1} GB, decomposed in O(n0³)); at most {MAX_DENSE_DIM}",
            8.0 * (d as f64).powi(2) / 1e9
        )));
    }
    resources::fits("analysing it", resources::dataset_bytes((n * d) as f64, d as f64))
        .map_err(|e| (Part::Features, e))?;
    if let Some(k) = features.values.iter().position(|x| !x.is_finite()) {
        return Err(f(format!(
            "entry ({}, {}) is {}: expected finite numbers",
            k / d + 1,
            k % d + 1,
            features.values[k]
        )));
    }
    let labels_n = labels.values.len();
    let one_column = labels.shape.len() == 1 || labels.shape.iter().filter(|&&s| s != 1).count() <= 1;
    if !one_column || labels_n != n {
        return Err((
            Part::Labels,
            Invalid(format!(
                "expected {n} labels (one per row of the features), got shape {:?}",
                labels.shape
            )),
        ));
    }
    if let Some(k) = labels.values.iter().position(|x| !x.is_finite()) {
        return Err((
            Part::Labels,
            Invalid(format!("label {} is {}: expected finite numbers", k + 1, labels.values[k])),
        ));
    }
    let mut x = DMatrix::from_row_slice(n, d, &features.values);
    // Features in very large or very small units: rescale them by a power of two (exact),
    // so that s² stays in range. The model is scale-free (Σ0 is normalised, β* scales back).
    let amax = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if amax > 0.0 && !(2f64.powi(-200)..=2f64.powi(200)).contains(&amax) {
        x *= 2f64.powi(-(amax.log2().round() as i32));
    }
    let mut y = labels.values;
    if center {
        for mut col in x.column_iter_mut() {
            let mean = col.sum() / n as f64;
            col.add_scalar_mut(-mean);
        }
        let mean = y.iter().sum::<f64>() / n as f64;
        y.iter_mut().for_each(|v| *v -= mean);
    }
    // Σ0 = XᵀX/N = V diag(s²/N) Vᵀ from the singular values of X: a feature in other units
    // (a direction 10⁶ times larger) leaves the others' eigenvalues 10¹² times smaller,
    // below the rounding of XᵀX but well inside that of X's singular values.
    let (s, vectors) = linalg::right_svd(&x, par).map_err(|e| f(e.to_string()))?;
    let smax = s.iter().fold(0.0f64, |m, &v| m.max(v));
    if smax <= 0.0 {
        return Err(f("every feature is constant: the covariance is zero".into()));
    }
    // Rank as a pseudo-inverse decides it: singular values below ε·s_max·max(N, n0) are 0.
    let tol = smax * f64::EPSILON * n.max(d) as f64;
    let sigma: Vec<f64> =
        (0..d).map(|j| s.get(j).filter(|&&v| v > tol).map_or(0.0, |&v| v * v / n as f64)).collect();
    let eig = crate::support::linalg::SymEigen { values: sigma.clone(), vectors };
    // g = Xᵀy/N, β* = Σ⁺g (minimum norm), along the eigenvectors: a_j = u_jᵀg/σ_j.
    let ym = DMatrix::from_column_slice(n, 1, &y);
    let g = gemm(&x, Op::T, &ym, Op::N, par) / n as f64;
    let ug = gemm(&eig.vectors, Op::T, &g, Op::N, par);
    let coords: Vec<f64> = (0..d).map(|j| if sigma[j] > 0.0 { ug[(j, 0)] / sigma[j] } else { 0.0 }).collect();
    let beta_m = &eig.vectors * DMatrix::from_column_slice(d, 1, &coords);
    let fit = &x * &beta_m;
    let residual = y.iter().zip(fit.iter()).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / n as f64;
    let signal: f64 = coords.iter().zip(&sigma).map(|(a, s)| s * a * a).sum();
    if signal.is_nan() || signal <= 0.0 {
        return Err((
            Part::Labels,
            Invalid(
                "the labels have no linear component in the features (β*ᵀΣ0β* = 0): nothing to learn".into(),
            ),
        ));
    }
    let target: Vec<f64> = coords.iter().map(|a| a * a).collect();
    let hash = hash(&x, &y, center);
    Ok(Dataset {
        source: source.to_string(),
        features: Arc::new(x),
        labels: Arc::new(y),
        center,
        eigenvalues: Arc::new(sigma),
        vectors: Arc::new(eig.vectors),
        target: Arc::new(target),
        beta: Arc::new(beta_m.iter().copied().collect()),
        signal,
        residual,
        hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_tables_and_their_errors() {
        let a = read_csv("1, 2,3\n\n4,5,6\n").unwrap();
        assert_eq!(a, Array { shape: vec![2, 3], values: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0] });
        assert!(read_csv("1,2\n3\n").unwrap_err().0.contains("ragged"));
        assert!(read_csv("1,x\n").unwrap_err().0.contains("line 1"));
        assert!(read_csv("\n").unwrap_err().0.contains("no numbers"));
    }

    /// Least squares recovers a planted β* exactly when the labels are linear, and the
    /// residual variance is the noise added.
    #[test]
    fn least_squares_and_covariance() {
        let (n, d) = (50, 3);
        let xs: Vec<f64> =
            (0..n * d).map(|k| ((k * 7919 % 101) as f64 / 101.0 - 0.5) * (1 + k % d) as f64).collect();
        let beta = [0.5, -1.0, 2.0];
        let ys: Vec<f64> = (0..n).map(|i| (0..d).map(|j| xs[i * d + j] * beta[j]).sum()).collect();
        let ds = analyse(
            "t",
            Array { shape: vec![n, d], values: xs.clone() },
            Array { shape: vec![n], values: ys },
            true,
            Par::Seq,
        )
        .unwrap();
        for (b, want) in ds.beta.iter().zip(beta) {
            assert!((b - want).abs() < 1e-10, "{b} vs {want}");
        }
        assert!(ds.residual < 1e-20, "{}", ds.residual);
        let cov = ds.covariance();
        let x = &*ds.features;
        let direct = x.transpose() * x / n as f64;
        assert!((cov - &direct).abs().max() < 1e-12);
        let signal: f64 =
            (0..d).map(|i| (0..d).map(|j| ds.beta[i] * direct[(i, j)] * ds.beta[j]).sum::<f64>()).sum();
        assert!((signal / ds.signal - 1.0).abs() < 1e-12);
    }

    /// The model of a dataset does not depend on its units: one feature in units 3·10⁶
    /// times larger keeps the least-squares residual (the labels are not noise), and every
    /// feature ×1e200 or ×1e-160 gives the same normalised spectrum, target and noise.
    #[test]
    fn units_change_nothing() {
        let (n, d) = (400, 12);
        let mut state = 12345u64;
        let mut rnd = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let xs: Vec<f64> = (0..n * d).map(|_| rnd()).collect();
        let noise: Vec<f64> = (0..n).map(|_| 0.1 * rnd()).collect();
        let ys: Vec<f64> = (0..n)
            .map(|i| (0..d).map(|j| xs[i * d + j] * (1.0 + j as f64)).sum::<f64>() + noise[i])
            .collect();
        let model = |scale: &dyn Fn(usize) -> f64| {
            let x: Vec<f64> = xs.iter().enumerate().map(|(k, v)| v * scale(k % d)).collect();
            let ds = analyse(
                "t",
                Array { shape: vec![n, d], values: x },
                Array { shape: vec![n], values: ys.clone() },
                true,
                Par::Seq,
            )
            .unwrap();
            let mean = ds.eigenvalues.iter().sum::<f64>() / d as f64;
            let mut spectrum: Vec<f64> = ds.eigenvalues.iter().map(|v| v / mean).collect();
            spectrum.sort_by(|a, b| b.total_cmp(a));
            (ds.residual, ds.signal, spectrum)
        };
        let (r1, s1, spec1) = model(&|_| 1.0);
        assert!(r1 > 1e-4, "the noise is seen: {r1}");
        let (r2, s2, _) = model(&|j| if j == 0 { 3e6 } else { 1.0 });
        assert!((r2 / r1 - 1.0).abs() < 1e-8 && (s2 / s1 - 1.0).abs() < 1e-8, "{r1} {r2} {s1} {s2}");
        for c in [1e200, 1e-160] {
            let (r, s, spec) = model(&|_| c);
            assert!((r / r1 - 1.0).abs() < 1e-10 && (s / s1 - 1.0).abs() < 1e-10, "×{c}: {r} {s}");
            for (a, b) in spec.iter().zip(&spec1) {
                assert!((a / b - 1.0).abs() < 1e-10, "×{c}: {a} vs {b}");
            }
        }
    }
}
