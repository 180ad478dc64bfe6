//! Reading the files a user names (configs, covariance files, datasets): one bounded opener
//! and one reader of numbers in text, so every file is refused the same way (a folder, a
//! device, a file larger than its key can need) and every number error reads the same.

use crate::spec::text::quote;
use crate::spec::Invalid;
use std::io::Read;
use std::path::Path;

/// Opens a file for reading, refusing anything but a regular file (a device such as
/// `/dev/zero` or a FIFO would never end) and files larger than `max_bytes`.
pub(crate) fn open_bounded(path: &Path, max_bytes: u64) -> Result<std::io::Take<std::fs::File>, Invalid> {
    checked_len(path, max_bytes)?;
    let f = std::fs::File::open(path).map_err(|e| Invalid(format!("cannot read: {e}")))?;
    Ok(f.take(max_bytes + 1))
}

/// The size of a regular file of at most `max_bytes` bytes (the checks of [`open_bounded`]).
pub(crate) fn checked_len(path: &Path, max_bytes: u64) -> Result<u64, Invalid> {
    let meta = std::fs::metadata(path).map_err(|e| Invalid(format!("cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(Invalid("is a folder, not a file".into()));
    }
    if !meta.is_file() {
        return Err(Invalid("is not a regular file (a device, FIFO or socket cannot be read)".into()));
    }
    if meta.len() > max_bytes {
        return Err(Invalid(format!("is {} bytes, more than the {max_bytes} bytes it can need", meta.len())));
    }
    Ok(meta.len())
}

/// The bytes of a file of at most `max_bytes` bytes.
pub(crate) fn read_bounded(path: &Path, max_bytes: u64) -> Result<Vec<u8>, Invalid> {
    let mut bytes = Vec::new();
    open_bounded(path, max_bytes)?
        .read_to_end(&mut bytes)
        .map_err(|e| Invalid(format!("cannot read: {e}")))?;
    Ok(bytes)
}

/// Rows of numbers in text: one row per line (a line ends at LF, CRLF or a lone CR),
/// numbers separated by commas or white space; blank lines and lines starting with `#` are
/// skipped. At most `max_cols` numbers a row and `max_rows` rows. Errors name the line and
/// quote the offending text with control characters escaped.
pub(crate) fn number_rows(text: &str, max_cols: usize, max_rows: usize) -> Result<Vec<Vec<f64>>, Invalid> {
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (i, line) in lines(text).enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut row = Vec::new();
        for cell in line.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()) {
            let x: f64 = cell.parse().map_err(|_| {
                Invalid(format!("line {}: expected a number, got {}", i + 1, quote(cell, 30)))
            })?;
            row.push(x);
            if row.len() > max_cols {
                return Err(Invalid(format!("line {}: more than {max_cols} numbers", i + 1)));
            }
        }
        rows.push(row);
        if rows.len() > max_rows {
            return Err(Invalid(format!("more than {max_rows} rows")));
        }
    }
    Ok(rows)
}

/// The lines of a text whose lines end in LF, CRLF or a lone CR (old Mac files).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let line = &rest[..end];
        let skip = match &rest.as_bytes()[end..] {
            [b'\r', b'\n', ..] => 2,
            [] => 0,
            _ => 1,
        };
        rest = &rest[end + skip..];
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_in_every_line_ending() {
        for text in ["1,2\n3 4\n", "1,2\r\n3 4\r\n", "1,2\r3 4\r", "# c\n1, 2\n\n3\t4"] {
            assert_eq!(number_rows(text, 10, 10).unwrap(), vec![vec![1.0, 2.0], vec![3.0, 4.0]], "{text:?}");
        }
        let e = number_rows("1\r2\rx\u{1b}[31m\r", 10, 10).unwrap_err().0;
        assert!(e.starts_with("line 3:") && !e.contains('\u{1b}') && !e.contains('\r'), "{e}");
        assert!(number_rows("1 2 3", 2, 10).unwrap_err().0.contains("more than 2 numbers"));
        assert!(number_rows("1\n2\n3", 2, 2).unwrap_err().0.contains("more than 2 rows"));
    }
}
