//! Text into HTML and SVG: one escaping rule for element text and
//! attribute values, and short number formats for tables and labels.

use std::borrow::Cow;

/// Escapes `s` for HTML/SVG text and double- or single-quoted attribute
/// values. Control characters (file names and znode paths may hold any
/// byte) become U+FFFD.
pub fn esc(s: &str) -> Cow<'_, str> {
    let special =
        |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || (c.is_control() && c != '\n');
    if !s.chars().any(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push('\n'),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `944718` → `922.6 KiB`; bytes below 1 KiB as `512 B`.
pub fn short_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `1234567` → `1.2M`, `12345` → `12.3k`; exact below 10,000.
pub fn short_count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{:.1}G", n as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_controls() {
        assert_eq!(esc("/a/b"), "/a/b");
        assert_eq!(
            esc("<script>\"x\" & 'y'\u{1b}"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;\u{fffd}"
        );
    }

    #[test]
    fn short_formats() {
        assert_eq!(short_bytes(512), "512 B");
        assert_eq!(short_bytes(1536), "1.5 KiB");
        assert_eq!(short_count(9999), "9999");
        assert_eq!(short_count(12_345), "12.3k");
    }
}
