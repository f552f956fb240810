//! Times as ZooKeeper stores them (ms since the Unix epoch) and as zkdd shows
//! and accepts them: RFC 3339 with milliseconds, UTC unless `--local`.

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// RFC 3339 UTC with milliseconds (`2026-11-23T08:34:20.025Z`); `None` when
/// the value is outside chrono's range.
pub fn rfc3339_utc(ms: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// `YYYY-MM-DDTHH:MM:SS` of `second` (since the epoch, UTC): the part of
/// [`rfc3339_utc`] before the milliseconds, for years 0 to 9999 (`None`
/// outside), from chrono's calendar fields without its formatter, which
/// costs more than the rest of a JSON line.
pub fn utc_second_prefix(second: i64) -> Option<[u8; 19]> {
    use chrono::{Datelike, Timelike};
    let t = DateTime::<Utc>::from_timestamp(second, 0)?;
    let year = u32::try_from(t.year()).ok().filter(|&y| y <= 9999)?;
    let mut out = [0u8; 19];
    let fields = [
        (0, 4, year),
        (5, 2, t.month()),
        (8, 2, t.day()),
        (11, 2, t.hour()),
        (14, 2, t.minute()),
        (17, 2, t.second()),
    ];
    for (at, width, mut v) in fields {
        for d in out.get_mut(at..at + width)?.iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    for (at, sep) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')] {
        *out.get_mut(at)? = sep;
    }
    Some(out)
}

/// RFC 3339 in the local time zone with milliseconds.
pub fn rfc3339_local(ms: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| {
        t.with_timezone(&Local)
            .to_rfc3339_opts(SecondsFormat::Millis, false)
    })
}

/// For people: UTC or local, with the raw value when it is out of range.
pub fn display(ms: i64, local: bool) -> String {
    let s = if local {
        rfc3339_local(ms)
    } else {
        rfc3339_utc(ms)
    };
    s.unwrap_or_else(|| format!("{ms}ms"))
}

/// Parses a time given on the command line: RFC 3339 (`2026-11-23T03:14:00Z`,
/// seconds optional, offsets allowed), or `YYYY-MM-DD[ T]HH:MM[:SS[.fff]]` /
/// `YYYY-MM-DD` taken as UTC (local with `local`), or `@<ms since epoch>`,
/// or relative to now: `now`, `-1h`, `-10m`, `-1h30m`, `2h ago`.
pub fn parse(s: &str, local: bool) -> Result<i64, String> {
    parse_at(s, local, chrono::Utc::now().timestamp_millis())
}

/// [`parse`] with "now" given, for relative times.
pub fn parse_at(s: &str, local: bool, now_ms: i64) -> Result<i64, String> {
    let s = s.trim();
    if let Some(ms) = s.strip_prefix('@') {
        return ms
            .parse()
            .map_err(|_| format!("invalid epoch milliseconds: {s:?}"));
    }
    if s.eq_ignore_ascii_case("now") {
        return Ok(now_ms);
    }
    let ago = s
        .strip_prefix('-')
        .or_else(|| s.strip_suffix(" ago").or_else(|| s.strip_suffix("ago")));
    if let Some(span) = ago {
        let d = humantime::parse_duration(span.trim()).map_err(|e| {
            format!("invalid relative time {s:?}: {e} (e.g. -1h, -10m, \"2h ago\")")
        })?;
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        return Ok(now_ms.saturating_sub(ms));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    // RFC 3339 without seconds, as people type it: 2026-11-23T03:14Z.
    if let Some(t) = s.get(..16).and_then(|hm| {
        let zone = s.get(16..)?;
        DateTime::parse_from_rfc3339(&format!("{hm}:00{zone}")).ok()
    }) {
        return Ok(t.timestamp_millis());
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
    .ok_or_else(|| {
        format!("invalid time {s:?}: use RFC 3339 like 2026-11-23T03:14:00Z, or @<epoch ms>")
    })?;
    if local {
        Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.timestamp_millis())
            .ok_or_else(|| format!("{s:?} does not exist in the local time zone"))
    } else {
        Ok(naive.and_utc().timestamp_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_prefix_is_the_start_of_the_full_format() {
        for second in [
            0i64,
            1,
            59,
            86_399,
            951_782_400,
            1_795_422_860,
            -1,
            -62_135_596_800,
            -62_167_219_200,
            253_402_300_799,
        ] {
            let full = rfc3339_utc(second * 1000).unwrap();
            let prefix = utc_second_prefix(second).unwrap();
            assert_eq!(&full.as_bytes()[..19], &prefix[..], "{full}");
        }
        assert_eq!(utc_second_prefix(-62_167_219_201), None);
        assert_eq!(utc_second_prefix(253_402_300_800), None);
    }

    #[test]
    fn formats_like_the_json_contract() {
        assert_eq!(
            rfc3339_utc(1_795_422_860_025).unwrap(),
            "2026-11-23T08:34:20.025Z"
        );
        assert_eq!(rfc3339_utc(0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert!(rfc3339_utc(i64::MAX).is_none());
        assert_eq!(display(i64::MAX, false), format!("{}ms", i64::MAX));
    }

    #[test]
    fn parses_relative_times_and_minutes_only() {
        let now = parse("2026-11-23T03:14:00Z", false).unwrap();
        assert_eq!(parse_at("now", false, now).unwrap(), now);
        assert_eq!(parse_at("-1h", false, now).unwrap(), now - 3_600_000);
        assert_eq!(parse_at("-1h30m", false, now).unwrap(), now - 5_400_000);
        assert_eq!(parse_at("10m ago", false, now).unwrap(), now - 600_000);
        assert_eq!(parse_at("2026-11-23T03:14Z", false, 0).unwrap(), now);
        assert_eq!(parse_at("2026-11-23T05:14+02:00", false, 0).unwrap(), now);
        assert!(parse_at("-1 fortnight", false, now).is_err());
        assert!(parse_at("yesterday", false, now).is_err());
    }

    #[test]
    fn parses_common_spellings() {
        let z = parse("2026-11-23T03:14:00Z", false).unwrap();
        assert_eq!(parse("2026-11-23 03:14", false).unwrap(), z);
        assert_eq!(parse("2026-11-23T05:14:00+02:00", false).unwrap(), z);
        assert_eq!(parse("@1000", false).unwrap(), 1000);
        assert_eq!(
            parse("2026-11-23", false).unwrap(),
            parse("2026-11-23T00:00:00Z", false).unwrap()
        );
        assert!(parse("yesterday", false).is_err());
    }
}
