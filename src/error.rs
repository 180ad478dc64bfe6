//! Error type shared by the library. Every variant renders as one line.

use std::path::PathBuf;

/// Errors of lcurve. `Input` and `Usage` are the user's to fix (the CLI exits 2);
/// the others are failures of a computation or of the file system (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad configuration value: the file, the dotted key path and what is expected.
    #[error("{file}: {key}: {message}")]
    Input { file: String, key: String, message: String },
    /// A bad command-line value.
    #[error("{0}")]
    Usage(String),
    /// A saddle-point equation could not be solved at one point of a curve.
    #[error("solver failed at p = {samples} (ridge {ridge:e}): equation {equation}: {detail}")]
    Solver { samples: usize, ridge: f64, equation: String, detail: String },
    /// A numerical kernel failed (e.g. a Cholesky factor of a matrix that is not positive definite).
    #[error("{0}")]
    Numerical(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

impl Error {
    /// Process exit code the CLI uses for this error: 2 for bad input, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input { .. } | Error::Usage(_) => 2,
            _ => 1,
        }
    }

    pub(crate) fn input(file: &str, key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Input { file: file.to_string(), key: key.into(), message: message.into() }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
