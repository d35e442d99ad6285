//! `xs:dateTime` values as SAML uses them (SAML Core 1.3.3): always UTC.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

/// Formats `t` as `YYYY-MM-DDTHH:MM:SSZ`, the form SAML Core 1.3.3 asks for.
pub fn format(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .expect("a UTC timestamp always formats")
}

/// Parses an `xs:dateTime` with an explicit time zone (`Z` or an offset).
///
/// SAML Core 1.3.3 requires UTC with no zone offset, but peers send
/// fractional seconds and `+00:00`; both are accepted. A value without a zone
/// is refused: its instant is unknown.
pub fn parse(value: &str) -> Option<OffsetDateTime> {
    if value.len() > 64 {
        return None;
    }
    OffsetDateTime::parse(value, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_seconds_and_z() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert_eq!(format(t), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn parses_fractional_seconds_and_offsets() {
        let a = parse("2023-11-14T22:13:20Z").unwrap();
        let b = parse("2023-11-14T22:13:20.123Z").unwrap();
        let c = parse("2023-11-14T23:13:20+01:00").unwrap();
        assert_eq!(a.unix_timestamp(), 1_700_000_000);
        assert_eq!(b.unix_timestamp(), 1_700_000_000);
        assert_eq!(c.unix_timestamp(), 1_700_000_000);
    }

    #[test]
    fn rejects_times_without_zone_or_garbage() {
        assert!(parse("2023-11-14T22:13:20").is_none());
        assert!(parse("yesterday").is_none());
        assert!(parse("").is_none());
    }
}
