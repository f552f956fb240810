//! Numbers for people: byte counts with thousands separators and in
//! binary units (`922.6 KiB (944,718 bytes)`).

/// `1234567` → `1,234,567`.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1023` → `1023 bytes`, `944718` → `922.6 KiB (944,718 bytes)`; up to TiB.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {} ({} bytes)", UNITS[u], group(n))
    }
}

/// A size for people: `512 B`, `64.0 MiB`; with `exact` the byte count.
pub fn size(n: u64, exact: bool) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if exact {
        return n.to_string();
    }
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

/// A run time for people: `3.2 ms`, `1.25 s`.
pub fn duration(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.1} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_and_units() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(size(512, false), "512 B");
        assert_eq!(size(67_108_880, false), "64.0 MiB");
        assert_eq!(size(67_108_880, true), "67108880");
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(1023), "1023 bytes");
        assert_eq!(human_bytes(1024), "1.0 KiB (1,024 bytes)");
        assert_eq!(human_bytes(944_718), "922.6 KiB (944,718 bytes)");
        assert_eq!(
            human_bytes(u64::MAX),
            "16777216.0 TiB (18,446,744,073,709,551,615 bytes)"
        );
    }
}
