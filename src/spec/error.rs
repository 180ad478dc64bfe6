//! The library's error type. Every variant renders as one line; how a front end reacts to
//! each class (exit codes, exception types) is the front end's business.

use super::text::truncate;
use std::path::{Path, PathBuf};

/// The longest file name, key or path a message repeats (a user's 900 KB key must not
/// become a 900 KB line).
const NAME_CHARS: usize = 200;

fn short(s: &str) -> String {
    truncate(s, NAME_CHARS)
}

fn short_path(p: &Path) -> String {
    short(&p.display().to_string())
}

/// Errors of lcurve, by class: the caller's input (`Input`, `Option`), a computation that
/// failed (`Solver`, `Numerical`), the file system (`Io`), drawing (`Render`), or a run
/// stopped by its caller (`Interrupted`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad configuration value: the source (file name, or `<string>` for TOML text),
    /// the dotted key path and what is expected.
    #[error("{}: {}: {}", short(file), short(key), truncate(message, 2 * NAME_CHARS + 400))]
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
    #[error("{}: {source}", short_path(path))]
    Io { path: PathBuf, source: std::io::Error },
    /// Drawing a figure failed.
    #[error("{}: drawing failed: {message}", short(path))]
    Render { path: String, message: String },
    /// The caller asked the run to stop (e.g. Ctrl-C); `done` of `total` units of work
    /// (`unit`: "trial", "point", "figure") had finished.
    #[error("interrupted after {done} of {total} {unit}s")]
    Interrupted { done: u64, total: u64, unit: &'static str },
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

/// A value that breaks a rule of the specification: what is expected, in words. The caller
/// that knows where the value came from turns it into an [`Error::Input`] (file and key)
/// or an [`Error::Option`] (a run option).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    /// The rule's message with `context` in front (`"x = 3: expected …"`).
    pub(crate) fn context(self, context: impl std::fmt::Display) -> Invalid {
        Invalid(format!("{context}: {}", self.0))
    }

    /// As an input error of `file` at `key`.
    pub(crate) fn at(self, file: &str, key: impl Into<String>) -> Error {
        Error::input(file, key, self.0)
    }

    /// As an error of the run option `option`.
    pub(crate) fn option(self, option: &'static str) -> Error {
        Error::option(option, self.0)
    }
}
