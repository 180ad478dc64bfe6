//! How values are written in messages and tables.

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

/// A user's text quoted for a one-line message: shortened as [`truncate`] does, with
/// control characters (line breaks, escape sequences from a file) written as `\u{…}`.
pub(crate) fn quote(s: &str, max: usize) -> String {
    format!("\"{}\"", printable(s, max))
}

/// Text from a file or another library (an error message quoting a damaged header) made
/// fit for one line: control characters written as `\u{…}`, shortened as [`truncate`] does.
pub(crate) fn printable(s: &str, max: usize) -> String {
    let escaped: String = s
        .chars()
        .flat_map(|c| {
            let esc: Vec<char> =
                if c.is_control() { format!("\\u{{{:x}}}", c as u32).chars().collect() } else { vec![c] };
            esc
        })
        .collect();
    truncate(&escaped, max)
}

/// Formats a float for CSV and messages: shortest round-trip form, exponent notation
/// outside [1e-4, 1e6), `inf` for +∞.
pub fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-4..1e6).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// `n` followed by `word`, in the plural unless n = 1 ("1 trial", "3 trials", "2 entries").
pub fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("1 {word}"),
        (_, Some(stem)) if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {word}s"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn plurals() {
        assert_eq!(super::plural(1, "entry"), "1 entry");
        assert_eq!(super::plural(2, "entry"), "2 entries");
        assert_eq!(super::plural(0, "trial"), "0 trials");
        assert_eq!(super::plural(3, "key"), "3 keys");
    }
}
