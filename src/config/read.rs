//! Reading a config file: bounded opening, TOML parsing with line and column, and serde
//! messages cleaned into one line naming the key.

use crate::spec::limits::MAX_CONFIG_BYTES;
use crate::spec::text::truncate;
use crate::spec::{Error, Invalid, Result};
use crate::support::files::open_bounded;
use serde::Deserialize;
use std::path::Path;

/// Reads a configuration file into a table; one-line errors for I/O and syntax problems.
pub(crate) fn read_table(path: &Path) -> Result<(String, toml::Table)> {
    let file = path.display().to_string();
    let mut text = String::new();
    use std::io::Read;
    open_bounded(path, MAX_CONFIG_BYTES)
        .and_then(|mut r| r.read_to_string(&mut text).map_err(|e| Invalid(format!("cannot read: {e}"))))
        .map_err(|m| m.at(&file, "(file)"))?;
    Ok((file.clone(), parse_table(&text, &file)?))
}

/// Parses TOML text; `source` names it in errors (a file name, or `<string>`).
pub(crate) fn parse_table(text: &str, source: &str) -> Result<toml::Table> {
    text.parse().map_err(|e: toml::de::Error| {
        let key = match e.span() {
            Some(s) => {
                let (line, col) = line_col(text, s.start);
                format!("line {line}, column {col}")
            }
            None => "(syntax)".to_string(),
        };
        Error::input(source, key, format!("invalid TOML: {}", truncate(e.message().trim(), 200)))
    })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..].chars().count() + 1;
    (line, col)
}

/// Deserialises a TOML value into `T`, naming the dotted key path of any mismatch.
pub(crate) fn from_value<T: for<'de> Deserialize<'de>>(
    file: &str,
    prefix: &str,
    value: toml::Value,
) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let key = match (prefix.is_empty(), path == ".") {
            (true, true) => "(top level)".to_string(),
            (true, false) => path,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{path}"),
        };
        Error::input(file, key, clean_serde_message(&e.inner().to_string()))
    })
}

/// What serde found, in TOML's words and shortened.
fn got_kind(got: &str) -> String {
    match got {
        "map" => "a table".into(),
        "sequence" => "an array".into(),
        g => truncate(g, 60),
    }
}

/// serde's wording in the user's terms: no Rust type names, values shortened.
fn clean_serde_message(msg: &str) -> String {
    let msg = msg.lines().next().unwrap_or(msg).trim();
    let expected = |e: &str| -> String {
        let e = e.trim();
        if e.starts_with("struct Raw") || e.starts_with("a map") {
            "a table (e.g. { kind = \"identity\" })".into()
        } else if e == "i64" || e == "u64" || e == "usize" {
            "an integer".into()
        } else if e == "f64" {
            "a number".into()
        } else if e == "a boolean" || e == "a string" || e == "an integer" {
            e.into()
        } else if e.starts_with("a sequence") || e.starts_with("an array") {
            "an array".into()
        } else {
            truncate(e, 80)
        }
    };
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let rest = rest.replacen(", expected", "; expected", 1);
        format!("unknown key {}", truncate(&rest, 300))
    } else if let Some(rest) = msg.strip_prefix("missing field ") {
        format!("missing key {}", truncate(rest, 80))
    } else if let Some(rest) = msg.strip_prefix("invalid type: ") {
        match rest.rsplit_once(", expected ") {
            Some((got, exp)) => format!("expected {}, got {}", expected(exp), got_kind(got)),
            None => truncate(rest, 120),
        }
    } else if let Some(rest) = msg.strip_prefix("invalid length ") {
        match rest.split_once(", expected ") {
            Some((_, exp)) => format!("expected {}", expected(exp)),
            None => truncate(msg, 120),
        }
    } else if let Some(rest) = msg.strip_prefix("invalid value: ") {
        match rest.rsplit_once(", expected ") {
            Some((got, exp)) => format!("expected {}, got {}", expected(exp), truncate(got, 60)),
            None => truncate(rest, 120),
        }
    } else {
        truncate(msg, 200)
    }
}
