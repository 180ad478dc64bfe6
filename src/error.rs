//! The library's error type. Every variant renders as one line; how a front end reacts to
//! each class (exit codes, exception types) is the front end's business.

use std::path::PathBuf;

/// Errors of lcurve, by class: the caller's input (`Input`, `Option`), a computation that
/// failed (`Solver`, `Numerical`), the file system (`Io`), drawing (`Render`), or a run
/// stopped by its caller (`Interrupted`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad configuration value: the source (file name, or `<string>` for TOML text),
    /// the dotted key path and what is expected.
    #[error("{file}: {key}: {message}")]
    Input { file: String, key: String, message: String },
    /// A bad run option (`trials`, `scale`, `out`, …), named as the library knows it; the
    /// command line maps the name to its flag.
    #[error("{option}: {message}")]
    Option { option: &'static str, message: String },
    /// A saddle-point equation could not be solved at one point of a curve.
    #[error("solver failed at p = {samples} (ridge {ridge:e}): equation {equation}: {detail}")]
    Solver { samples: f64, ridge: f64, equation: String, detail: String },
    /// A numerical kernel failed (e.g. a Cholesky factor of a matrix that is not positive
    /// definite inside a simulated trial).
    #[error("{0}")]
    Numerical(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// Drawing a figure failed.
    #[error("{path}: drawing failed: {message}")]
    Render { path: String, message: String },
    /// The caller asked the run to stop (e.g. Ctrl-C); `done` of `total` units had finished.
    #[error("interrupted after {done} of {total} trials")]
    Interrupted { done: u64, total: u64 },
}

impl Error {
    /// Whether the error is the caller's to fix (bad config or option), as opposed to a
    /// failure of a computation, of the file system or of drawing.
    pub fn is_input(&self) -> bool {
        matches!(self, Error::Input { .. } | Error::Option { .. })
    }

    pub(crate) fn input(file: &str, key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Input { file: file.to_string(), key: key.into(), message: message.into() }
    }

    pub(crate) fn option(option: &'static str, message: impl Into<String>) -> Self {
        Error::Option { option, message: message.into() }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shortens a user-supplied value for an error message: at most `max` characters, with
/// an ellipsis and the full length when cut (a 10 MB string must not be echoed whole).
pub(crate) fn truncate(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        s.to_string()
    } else {
        let head: String = s.chars().take(max).collect();
        format!("{head}… ({n} characters)")
    }
}
