//! Date-times on the wire: RFC 3339, UTC, milliseconds (`2025-03-21T09:42:55.024Z`).

use chrono::{DateTime, SecondsFormat, Utc};

use crate::Problem;

/// Formats an instant the way every family's clients expect.
pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 date-time with a zone; the error names the parameter.
pub fn parse(name: &str, value: &str) -> Result<DateTime<Utc>, Problem> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            Problem::invalid(
                "INVALID_DATE_TIME",
                format!("{name}={value:?} is not an RFC 3339 date-time with a zone: {e}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = parse("t", "2025-03-21T09:42:55.024Z").unwrap();
        assert_eq!(format(t), "2025-03-21T09:42:55.024Z");
        assert_eq!(
            format(parse("t", "2025-03-21T10:42:55+01:00").unwrap()),
            "2025-03-21T09:42:55.000Z"
        );
        assert!(parse("t", "2025-03-21T09:42:55").is_err());
    }
}
