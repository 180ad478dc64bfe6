//! Output: tables rendered as CSV or JSON with the same fields, and file writes that
//! never leave a partial file and never replace what the target path points at.

use crate::spec::{Error, Result};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Output format of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    /// The format for an output path: JSON when it ends in `.json` (any case), else CSV.
    pub fn for_path(path: Option<&Path>) -> Format {
        match path.and_then(|p| p.extension()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Csv,
        }
    }
}

/// The table of a report with several that a CSV holds: a CSV is one rectangular table
/// (what pandas reads as it is), so a report names its tables and the caller picks one,
/// the first by default; JSON holds them all. An unknown name, or a name with JSON, is an
/// error of the option `table`.
pub fn pick<'a>(
    tables: &'a [(&'static str, Table)],
    name: Option<&str>,
    format: Format,
) -> Result<&'a Table> {
    let names: Vec<&str> = tables.iter().map(|t| t.0).collect();
    match (name, format) {
        (Some(_), Format::Json) => {
            Err(Error::option("table", "a JSON report holds every table; choose one for a CSV only"))
        }
        (None, _) => {
            tables.first().map(|t| &t.1).ok_or_else(|| Error::option("table", "the report has no table"))
        }
        (Some(n), Format::Csv) => tables.iter().find(|t| t.0 == n).map(|t| &t.1).ok_or_else(|| {
            Error::option(
                "table",
                format!(
                    "expected one of {}, got \"{}\"",
                    names.join(", "),
                    crate::spec::text::truncate(n, 40)
                ),
            )
        }),
    }
}

/// One cell of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Int(u64),
    /// A number; +∞ is `inf` in CSV and `null` in JSON.
    Num(f64),
    /// No value (e.g. z with fewer than two trials): empty in CSV, `null` in JSON.
    Missing,
    /// Text (quoted in CSV when it holds a comma or a quote).
    Text(String),
}

impl Cell {
    /// A number, or [`Cell::Missing`] for `None`.
    pub fn opt(x: Option<f64>) -> Cell {
        x.map_or(Cell::Missing, Cell::Num)
    }

    fn csv(&self) -> String {
        match self {
            Cell::Int(i) => i.to_string(),
            Cell::Num(x) => num(*x),
            Cell::Missing => String::new(),
            Cell::Text(t) if t.contains([',', '"', '\n']) => format!("\"{}\"", t.replace('"', "\"\"")),
            Cell::Text(t) => t.clone(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Int(i) => (*i).into(),
            Cell::Num(x) if x.is_finite() => (*x).into(),
            Cell::Text(t) => t.clone().into(),
            _ => serde_json::Value::Null,
        }
    }

    /// The cell as a float (`NaN` for a missing value), for array consumers.
    pub fn as_f64(&self) -> f64 {
        match self {
            Cell::Int(i) => *i as f64,
            Cell::Num(x) => *x,
            Cell::Missing | Cell::Text(_) => f64::NAN,
        }
    }
}

impl From<Option<f64>> for Cell {
    fn from(x: Option<f64>) -> Cell {
        x.map_or(Cell::Missing, Cell::Num)
    }
}

/// A table: named columns and rows of cells; the single source of the CSV and JSON
/// renderings (and of the Python package's arrays), so they always carry the same fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// CSV with a header line.
    /// A table with these column names.
    pub fn named(columns: &[&str], rows: Vec<Vec<Cell>>) -> Table {
        Table { columns: columns.iter().map(|c| c.to_string()).collect(), rows }
    }

    pub fn csv(&self) -> String {
        let mut s = self.columns.join(",");
        s.push('\n');
        for row in &self.rows {
            s.push_str(&row.iter().map(Cell::csv).collect::<Vec<_>>().join(","));
            s.push('\n');
        }
        s
    }

    /// The rows as JSON objects keyed by column name.
    pub(crate) fn json_rows(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.rows
                .iter()
                .map(|row| {
                    let map: serde_json::Map<String, serde_json::Value> =
                        self.columns.iter().cloned().zip(row.iter().map(Cell::json)).collect();
                    serde_json::Value::Object(map)
                })
                .collect(),
        )
    }

    /// One column as floats, by name.
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let i = self.columns.iter().position(|c| c == name)?;
        Some(self.rows.iter().map(|r| r[i].as_f64()).collect())
    }
}

pub use crate::spec::text::num;

/// Renders a table as CSV, or as a JSON report: `program`, `version`, `config` (the
/// config's name), `ridge`, then `fields` (a JSON object's members, in order), then the
/// table's rows as `points`.
pub(crate) fn render_report(
    table: &Table,
    format: Format,
    source: &str,
    ridge: crate::spec::Ridge,
    fields: serde_json::Value,
) -> String {
    match format {
        Format::Csv => table.csv(),
        Format::Json => {
            let mut doc = serde_json::json!({
                "ridge": match ridge {
                    crate::spec::Ridge::Fixed(l) => serde_json::json!(l),
                    crate::spec::Ridge::Optimal => serde_json::json!("optimal"),
                },
            });
            if let (Some(map), serde_json::Value::Object(extra)) = (doc.as_object_mut(), fields) {
                map.extend(extra);
                map.insert("points".into(), table.json_rows());
            }
            document(source, doc)
        }
    }
}

/// Serialises any report as pretty JSON.
/// A report of several tables: CSV holds the one `name` picks ([`pick`]); JSON is a
/// [`document`] of `fields` (every table, built only then).
pub(crate) fn render_tables(
    tables: &[(&'static str, Table)],
    name: Option<&str>,
    format: Format,
    source: &str,
    fields: impl FnOnce() -> serde_json::Value,
) -> Result<String> {
    let chosen = pick(tables, name, format)?;
    Ok(match format {
        Format::Csv => chosen.csv(),
        Format::Json => document(source, fields()),
    })
}

/// A JSON report: `program`, `version` and `config` (the source), then `fields` in their
/// order.
pub(crate) fn document(source: &str, fields: serde_json::Value) -> String {
    let mut doc = serde_json::json!({
        "program": "lcurve",
        "version": env!("CARGO_PKG_VERSION"),
        "config": source,
    });
    if let (Some(map), serde_json::Value::Object(extra)) = (doc.as_object_mut(), fields) {
        map.extend(extra);
    }
    to_json(&doc)
}

pub(crate) fn to_json<T: Serialize>(report: &T) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("reports serialise");
    s.push('\n');
    s
}

/// Follows a chain of symbolic links to the path that will really be written (which may
/// not exist yet).
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p).map_err(|e| Error::io(&p, e))?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(Error::io(path, std::io::Error::other("too many levels of symbolic links")))
}

/// Whether `path` (followed by the kernel) is a device, FIFO or socket: written directly.
fn is_stream(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Writes `contents` to `path` so that the target is either written whole or left as it
/// was:
/// * a symbolic link is followed and its target written;
/// * a regular file (or a new one) is replaced atomically (temporary file in the same
///   folder, then rename), keeping an existing file's permissions;
/// * a device or FIFO (`/dev/stdout`, a named pipe) is written directly;
/// * a folder, a path ending in `/` or a missing parent folder is an error.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let bad = |m: &str| Error::io(path, std::io::Error::other(m.to_string()));
    if path.as_os_str().to_string_lossy().ends_with('/') {
        return Err(bad("ends with '/': expected a file path, not a folder"));
    }
    if is_stream(path) {
        // The kernel follows `/dev/stdout` → `/proc/self/fd/1` → `pipe:[…]`, which is no
        // path: open what the name refers to.
        let io = |e| Error::io(path, e);
        let mut f = std::fs::OpenOptions::new().write(true).open(path).map_err(io)?;
        return f.write_all(contents).and_then(|_| f.flush()).map_err(io);
    }
    let real = resolve_links(path)?;
    let meta = match std::fs::metadata(&real) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(path, e)),
    };
    if let Some(m) = &meta {
        if m.is_dir() {
            return Err(bad("is a folder: expected a file path"));
        }
        if !m.is_file() {
            let io = |e| Error::io(path, e);
            let mut f = std::fs::OpenOptions::new().write(true).open(&real).map_err(io)?;
            return f.write_all(contents).and_then(|_| f.flush()).map_err(io);
        }
    }
    let dir = real.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(bad(&format!("the folder {} does not exist", dir.display())));
    }
    let name = real.file_name().ok_or_else(|| bad("not a file name"))?;
    let tmp = dir.join(format!(".{}.tmp{}", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        if let Some(m) = &meta {
            std::fs::set_permissions(&tmp, m.permissions())?;
        }
        std::fs::rename(&tmp, &real)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| Error::io(path, e))
}

/// Checks an output path before any work is done: not a folder, not ending in `/`, in a
/// folder that exists. Errors name the option `out`.
pub fn check_target(path: &Path) -> Result<()> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    let bad = |m: String| Error::option("out", format!("{}: {m}", path.display()));
    if path.as_os_str().to_string_lossy().ends_with('/') {
        return Err(bad("ends with '/': expected a file path, not a folder".into()));
    }
    if is_stream(path) {
        return Ok(());
    }
    let real = resolve_links(path).map_err(|e| match e {
        Error::Io { source, .. } => bad(source.to_string()),
        e => e,
    })?;
    if real.is_dir() {
        return Err(bad("is a folder: expected a file path".into()));
    }
    let dir = real.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(bad(format!("the folder {} does not exist", dir.display())));
    }
    Ok(())
}

/// Whether an output path means standard output (`-`).
pub fn is_stdout(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p.as_os_str() == "-")
}

/// Writes to `path`, or to stdout when `path` is `None` or `-`.
pub fn emit(path: Option<&Path>, contents: &str) -> Result<()> {
    match path {
        Some(p) if !is_stdout(path) => write_atomic(p, contents.as_bytes()),
        _ => {
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
