//! The `Range` request header (RFC 9110 §14.2), single byte ranges only.
//!
//! A header this server does not take — another unit, bad syntax, several ranges — is
//! ignored and the whole file is sent, which RFC 9110 allows.
//! Parsed by hand rather than with `headers::Range`: numbers past `u64::MAX` saturate
//! (they lie past any end) and list syntax follows RFC 9110 §5.6.1 exactly.

/// One byte range as requested, before it is checked against the file size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `first-last` (both inclusive).
    Bounded {
        /// First byte.
        first: u64,
        /// Last byte; may lie past the end.
        last: u64,
    },
    /// `first-`: from `first` to the end.
    From(u64),
    /// `-length`: the last `length` bytes.
    Suffix(u64),
}

/// What to send for a range, given the file size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// The whole file, status 200.
    Full,
    /// Bytes `start..=end`, status 206.
    Part {
        /// First byte.
        start: u64,
        /// Last byte (inclusive, below the size).
        end: u64,
    },
    /// Nothing of the file overlaps the range: 416.
    Unsatisfiable,
}

/// Parses a `Range` value; `None` when it is to be ignored.
pub fn parse(value: &str) -> Option<ByteRange> {
    let (unit, set) = value.trim().split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    // Lists may hold empty elements (RFC 9110 §5.6.1); exactly one range must remain.
    let mut specs = set.split(',').map(str::trim).filter(|s| !s.is_empty());
    let spec = specs.next()?;
    if specs.next().is_some() {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    match (number(first), number(last)) {
        (Some(first), Some(last)) if first <= last => Some(ByteRange::Bounded { first, last }),
        (Some(first), None) if last.is_empty() => Some(ByteRange::From(first)),
        (None, Some(length)) if first.is_empty() => Some(ByteRange::Suffix(length)),
        _ => None,
    }
}

/// Decimal digits only; a value past `u64::MAX` saturates (it is past any file end).
fn number(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

impl ByteRange {
    /// The bytes of a file of `size` bytes this range selects (RFC 9110 §14.1.1).
    pub fn select(self, size: u64) -> Selection {
        let Some(last_byte) = size.checked_sub(1) else {
            // An empty file has no byte to point at. A suffix range asks for "at most the
            // last n bytes": the whole (empty) file.
            return match self {
                ByteRange::Suffix(n) if n > 0 => Selection::Full,
                _ => Selection::Unsatisfiable,
            };
        };
        match self {
            ByteRange::Bounded { first, .. } | ByteRange::From(first) if first >= size => {
                Selection::Unsatisfiable
            }
            ByteRange::Bounded { first, last } => Selection::Part {
                start: first,
                end: last.min(last_byte),
            },
            ByteRange::From(first) => Selection::Part {
                start: first,
                end: last_byte,
            },
            ByteRange::Suffix(0) => Selection::Unsatisfiable,
            ByteRange::Suffix(length) => Selection::Part {
                start: size.saturating_sub(length),
                end: last_byte,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(
            parse("bytes=0-499"),
            Some(ByteRange::Bounded {
                first: 0,
                last: 499
            })
        );
        assert_eq!(parse("bytes=9500-"), Some(ByteRange::From(9500)));
        assert_eq!(parse("bytes=-500"), Some(ByteRange::Suffix(500)));
        assert_eq!(parse(" Bytes = 5-5 ,"), parse("bytes=5-5"));
        assert_eq!(
            parse("bytes=1-99999999999999999999999"),
            Some(ByteRange::Bounded {
                first: 1,
                last: u64::MAX
            })
        );
    }

    #[test]
    fn ignores_what_it_does_not_take() {
        for value in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=5-4",
            "bytes=a-b",
            "bytes=+1-2",
            "bytes=1 -2",
            "bytes=0-1,4-5",
            "bytes=0-1, -1",
            "items=0-1",
            "0-1",
        ] {
            assert_eq!(parse(value), None, "{value:?}");
        }
    }

    #[test]
    fn selects_against_the_size() {
        let part = |start, end| Selection::Part { start, end };
        let bounded = |first, last| ByteRange::Bounded { first, last };
        assert_eq!(bounded(0, 3).select(10), part(0, 3));
        assert_eq!(bounded(2, 100).select(10), part(2, 9));
        assert_eq!(bounded(9, 9).select(10), part(9, 9));
        assert_eq!(bounded(10, 12).select(10), Selection::Unsatisfiable);
        assert_eq!(ByteRange::From(4).select(10), part(4, 9));
        assert_eq!(ByteRange::From(10).select(10), Selection::Unsatisfiable);
        assert_eq!(ByteRange::Suffix(3).select(10), part(7, 9));
        assert_eq!(ByteRange::Suffix(30).select(10), part(0, 9));
        assert_eq!(ByteRange::Suffix(0).select(10), Selection::Unsatisfiable);
        assert_eq!(ByteRange::From(0).select(0), Selection::Unsatisfiable);
        assert_eq!(ByteRange::Suffix(1).select(0), Selection::Full);
    }
}
