//! Times as ZooKeeper stores them (ms since the Unix epoch) and as zkdd shows
//! and accepts them: RFC 3339 with milliseconds, UTC unless `--local`.

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// RFC 3339 UTC with milliseconds (`2026-11-23T08:34:20.025Z`); `None` when
/// the value is outside chrono's range.
pub fn rfc3339_utc(ms: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
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
/// offsets allowed), or `YYYY-MM-DD[ T]HH:MM[:SS[.fff]]` / `YYYY-MM-DD`
/// taken as UTC (local with `local`), or `@<ms since epoch>`.
pub fn parse(s: &str, local: bool) -> Result<i64, String> {
    let s = s.trim();
    if let Some(ms) = s.strip_prefix('@') {
        return ms
            .parse()
            .map_err(|_| format!("invalid epoch milliseconds: {s:?}"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
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
