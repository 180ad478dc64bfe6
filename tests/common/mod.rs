//! Helpers shared by the integration tests: scratch folders and running the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh scratch folder under the target dir, unique per test name.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `lcurve` with arguments; returns (exit code, stdout, stderr). Each call has its
/// own empty default results store (`$LCURVE_STORE`), so runs never reuse each other's
/// trials unless a test passes `--store`.
pub fn run(args: &[&str]) -> (i32, String, String) {
    run_env(args, &[])
}

/// As [`run`], with environment variables set for the call.
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let store =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("default-store-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&store);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lcurve"));
    cmd.args(args).env("LCURVE_STORE", &store);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let _ = std::fs::remove_dir_all(&store);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A minimal `.npy` writer (format 1.0) for the loader tests: `descr` such as `<f8`, the
/// shape, Fortran order or not, and the raw bytes of the elements.
pub fn npy(path: &Path, descr: &str, shape: &[usize], fortran: bool, data: &[u8]) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(data);
    std::fs::write(path, bytes).unwrap();
}

/// An `.npy` file of float64 values.
pub fn f64_npy(path: &Path, shape: &[usize], values: &[f64]) {
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    npy(path, "<f8", shape, false, &data);
}

/// Runs `args` as bad input: asserts exit code 2, a single stderr line naming the config
/// file `file` and the key `key`, and that `out` was not written. Returns (stdout, stderr).
pub fn assert_bad_input(case: &str, args: &[&str], file: &str, key: &str, out: &Path) -> (String, String) {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 2, "{case}: exit {code}, stderr {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{case}: {stderr}");
    assert!(stderr.contains(file), "{case}: no file name {file} in {stderr}");
    assert!(stderr.contains(key), "{case}: key {key} not in {stderr}");
    assert!(!out.exists(), "{case}: partial output written to {}", out.display());
    (stdout, stderr)
}

/// A valid model config with one layer; `extra` replaces/extends parts via string edits.
pub const BASE: &str = r#"
[data]
dim = 50
noise = 0.1
covariance = { kind = "power_law", exponent = 1.0 }
target = { kind = "isotropic" }

[[layers]]
width = 70
covariance = { kind = "power_law", exponent = 0.5 }
input_covariance = { kind = "power_law", exponent = 0.3 }

[readout]
ridge = 0.01

[samples]
values = [10, 40, 100]
"#;
