//! `--set key=value` overrides (and a figure's `set`): parsed and merged into the TOML
//! table before it is resolved.

use crate::spec::text::truncate;
use crate::spec::{Error, Invalid, Result};

/// One `key=value` override of a config (`--set`, figure `set`): a dotted key path with
/// optional `[i]` indices (`readout.ridge`, `layers[0].width`) and a TOML value.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: toml::Value,
}

impl std::str::FromStr for Override {
    type Err = Invalid;

    /// Parses `key=value`. The value is read as TOML (`0.1`, `[1, 2]`,
    /// `{ kind = "ar1", rho = 0.5 }`, `"text"`); anything that is not TOML is a string, so
    /// `readout.ridge=optimal` works unquoted.
    fn from_str(s: &str) -> std::result::Result<Self, Invalid> {
        let (path, raw) = s
            .split_once('=')
            .ok_or_else(|| Invalid(format!("expected key=value, got \"{}\"", truncate(s, 60))))?;
        let path = path.trim();
        if parse_path(path).is_none() {
            return Err(Invalid(format!(
                "expected a dotted key path such as data.noise or layers[0].width, got \"{}\"",
                truncate(path, 60)
            )));
        }
        let raw = raw.trim();
        let value = match format!("v = {raw}").parse::<toml::Table>() {
            Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.to_string())),
            // A table or an array that is not TOML is a mistake, not a string.
            Err(e) if raw.starts_with(['{', '[']) => {
                return Err(Invalid(format!(
                    "\"{}\" is not a TOML table or array ({}); quote strings inside it, e.g. {{ kind = \"ar1\", rho = 0.5 }}",
                    truncate(raw, 60),
                    truncate(e.message().trim(), 80)
                )))
            }
            Err(_) => toml::Value::String(raw.to_string()),
        };
        Ok(Override { path: path.to_string(), value })
    }
}

/// One step of a dotted override path.
enum Step {
    Key(String),
    Index(String, usize),
}

/// The most parts a key path may have (a config is at most 4 deep; a longer path cannot
/// name anything, and deep paths would nest tables without bound).
const MAX_KEY_PARTS: usize = 16;

fn parse_path(path: &str) -> Option<Vec<Step>> {
    if path.split('.').nth(MAX_KEY_PARTS).is_some() {
        return None;
    }
    path.split('.')
        .map(|part| match part.split_once('[') {
            None if !part.is_empty() => Some(Step::Key(part.to_string())),
            Some((k, rest)) if !k.is_empty() => {
                let i = rest.strip_suffix(']')?.parse().ok()?;
                Some(Step::Index(k.to_string(), i))
            }
            _ => None,
        })
        .collect()
}

/// Tables that are one of several alternatives and replace the old value whole: a
/// covariance or target (`kind`), a step rule (`{ edge = f }`, `{ kernel_norm = c }`).
const WHOLE: [&str; 3] = ["kind", "edge", "kernel_norm"];

/// Merges `value` into `slot`: tables merge key by key, except a table of [`WHOLE`],
/// which replaces the old value whole; anything else replaces.
fn merge(slot: &mut toml::Value, value: &toml::Value) {
    match (slot, value) {
        (toml::Value::Table(old), toml::Value::Table(new)) if !WHOLE.iter().any(|k| new.contains_key(*k)) => {
            for (k, v) in new {
                match old.get_mut(k) {
                    Some(o) => merge(o, v),
                    None => {
                        old.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, value) => *slot = value.clone(),
    }
}

/// Applies overrides to a config table. Errors name `key."path"` in `source`.
pub(crate) fn apply_overrides<'a>(
    source: &str,
    key: &str,
    table: &mut toml::Table,
    overrides: impl IntoIterator<Item = (&'a str, &'a toml::Value)>,
) -> Result<()> {
    for (path, value) in overrides {
        let err = |m: &str| Error::input(source, format!("{key}.\"{}\"", truncate(path, 60)), m.to_string());
        let steps = parse_path(path)
            .ok_or_else(|| err("expected a dotted key path such as \"data.noise\" or \"layers[0].width\""))?;
        let mut cur = &mut *table;
        for (i, step) in steps.iter().enumerate() {
            let last = i + 1 == steps.len();
            let slot: &mut toml::Value = match step {
                Step::Key(k) => {
                    if last {
                        // `values` and `range` are alternatives: setting one replaces the other.
                        let other = match k.as_str() {
                            "values" => Some("range"),
                            "range" => Some("values"),
                            _ => None,
                        };
                        if let Some(o) = other {
                            cur.remove(o);
                        }
                        match cur.get_mut(k) {
                            Some(old) => merge(old, value),
                            None => {
                                cur.insert(k.clone(), value.clone());
                            }
                        }
                        break;
                    }
                    cur.entry(k.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()))
                }
                Step::Index(k, idx) => {
                    let arr = cur
                        .get_mut(k)
                        .and_then(|a| a.as_array_mut())
                        .ok_or_else(|| err(&format!("`{k}` is not an array in the base model")))?;
                    let len = arr.len();
                    let item = arr.get_mut(*idx).ok_or_else(|| {
                        err(&format!(
                            "index {idx} is out of range ({k} has {})",
                            crate::spec::text::plural(len, "entry")
                        ))
                    })?;
                    if last {
                        merge(item, value);
                        break;
                    }
                    item
                }
            };
            cur = slot
                .as_table_mut()
                .ok_or_else(|| err("the path goes through a value that is not a table"))?;
        }
    }
    Ok(())
}
