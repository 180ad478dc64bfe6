//! Output: CSV and JSON renderings of learning curves, and atomic file writes (a file is
//! either written whole or not at all).

use crate::error::{Error, Result};
use crate::model::ModelSummary;
use crate::theory::Point;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Output format of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// Formats a float for CSV: shortest round-trip form, exponent notation outside
/// [1e-4, 1e6), `inf` for +∞.
pub fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-4..1e6).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// CSV header of a learning curve with `depth` hidden layers.
pub fn curve_header(depth: usize) -> Vec<String> {
    let mut h: Vec<String> = [
        "samples",
        "alpha",
        "ridge",
        "error",
        "bias",
        "variance",
        "train_error",
        "test_mse",
        "df",
        "df2",
        "kappa",
        "kappa_data",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    h.extend((1..=depth).map(|l| format!("kappa_{l}")));
    h
}

/// A learning curve as CSV (columns of [`curve_header`]).
pub fn curve_csv(points: &[Point], depth: usize) -> String {
    let mut s = curve_header(depth).join(",");
    s.push('\n');
    for p in points {
        let mut row = vec![
            p.samples.to_string(),
            num(p.alpha),
            num(p.ridge),
            num(p.error),
            num(p.bias),
            num(p.variance),
            num(p.train_error),
            num(p.test_mse),
            num(p.df),
            num(p.df2),
            num(p.kappa),
            num(p.kappa_data),
        ];
        row.extend(p.kappa_layers.iter().map(|&k| num(k)));
        s.push_str(&row.join(","));
        s.push('\n');
    }
    s
}

/// Column names of `lcurve validate`'s CSV.
pub const VALIDATION_HEADER: &str =
    "samples,alpha,ridge,theory,mc_mean,mc_stderr,ci_low,ci_high,z,train_theory,train_mc_mean,trials";

/// A validation as CSV; fields without a value (no interval with one trial) are empty.
pub fn validation_csv(v: &crate::validate::Validation) -> String {
    let opt = |x: Option<f64>| x.map(num).unwrap_or_default();
    let mut s = format!("{VALIDATION_HEADER}\n");
    for r in &v.rows {
        let row = [
            r.samples.to_string(),
            num(r.alpha),
            num(r.ridge),
            num(r.theory),
            num(r.mc.mean),
            opt(r.mc.stderr),
            opt(r.mc.ci95.map(|c| c.0)),
            opt(r.mc.ci95.map(|c| c.1)),
            opt(r.z),
            num(r.train_theory),
            num(r.train_mc_mean),
            r.mc.trials.to_string(),
        ];
        s.push_str(&row.join(","));
        s.push('\n');
    }
    s
}

/// JSON document of a validation run.
#[derive(Serialize)]
pub struct ValidationReport<'a> {
    pub program: &'static str,
    pub version: &'static str,
    pub config: String,
    pub summary: String,
    #[serde(flatten)]
    pub validation: &'a crate::validate::Validation,
}

/// JSON document of a learning curve: program version, config, resolved model and points.
/// Non-finite numbers (E_g = +∞ at the interpolation threshold) are written as `null`.
#[derive(Serialize)]
pub struct CurveReport<'a> {
    pub program: &'static str,
    pub version: &'static str,
    pub config: String,
    pub ridge: String,
    pub model: &'a ModelSummary,
    pub points: &'a [Point],
}

/// Serialises any report as pretty JSON.
pub fn to_json<T: Serialize>(report: &T) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("reports serialise");
    s.push('\n');
    s
}

/// Writes `contents` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name =
        path.file_name().ok_or_else(|| Error::Usage(format!("{}: not a file name", path.display())))?;
    let tmp = dir.join(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Writes to `path`, or to stdout when `path` is `None`.
pub fn emit(path: Option<&Path>, contents: &str) -> Result<()> {
    match path {
        Some(p) => write_atomic(p, contents.as_bytes()),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(contents.as_bytes())
                .and_then(|_| out.flush())
                .map_err(|source| Error::Io { path: "<stdout>".into(), source })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for x in [0.0, 1.0, 0.1, 1e-12, 123456.5, 3.5e7, -2e-9, f64::INFINITY] {
            let s = num(x);
            assert_eq!(s.parse::<f64>().unwrap(), x, "{s}");
        }
        assert_eq!(num(1e-12), "1e-12");
    }
}
