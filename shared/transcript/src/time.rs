//! Clock times as written in caption and transcript files (`01:02:03.450`, `02:03,4`, `1:02:03`).

/// Most fraction digits read; more would overflow the exact integer arithmetic below.
const MAX_FRACTION_DIGITS: u32 = 9;

/// Reads `hh:mm:ss`, `mm:ss` or `h:mm:ss`, each with an optional fraction after `.` or `,`,
/// into seconds.
///
/// Seconds must be below 60, and so must minutes when hours are given; minutes alone may exceed
/// 59 (`75:10` is 1 h 15 min 10 s). The sum is computed in integer units of the fraction and
/// divided once, so `00:00:01.234` gives exactly the `f64` nearest to 1.234.
pub(crate) fn parse_clock(text: &str) -> Option<f64> {
    let (clock, fraction) = match text.find(['.', ',']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let mut parts = clock.split(':');
    let first = digits(parts.next()?)?;
    let second = digits(parts.next()?)?;
    let third = parts.next().map(digits);
    if parts.next().is_some() {
        return None;
    }
    let whole_seconds = match third {
        Some(seconds) => {
            let seconds = seconds?;
            if second >= 60 || seconds >= 60 {
                return None;
            }
            first.checked_mul(3600)?.checked_add(second * 60 + seconds)?
        }
        None => {
            if second >= 60 {
                return None;
            }
            first.checked_mul(60)?.checked_add(second)?
        }
    };
    let (fraction_value, fraction_digits) = match fraction {
        Some(f) => {
            let len = u32::try_from(f.len()).ok()?;
            if len == 0 || len > MAX_FRACTION_DIGITS {
                return None;
            }
            (digits(f)?, len)
        }
        None => (0, 0),
    };
    let scale = 10u64.pow(fraction_digits);
    let units = whole_seconds.checked_mul(scale)?.checked_add(fraction_value)?;
    // Exact below 2^53 units, which covers any real recording length at millisecond precision.
    Some(units as f64 / scale as f64)
}

/// ASCII digits only (no sign, no spaces) as a number; at most 12 of them.
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Formats seconds as `hh:mm:ss.mmm` for messages a person reads.
pub(crate) fn format_clock(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return format!("{seconds}");
    }
    let millis = (seconds * 1000.0).round() as u64;
    let (hours, rest) = (millis / 3_600_000, millis % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    format!("{hours:02}:{minutes:02}:{:02}.{:03}", rest / 1000, rest % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hours_minutes_seconds_with_either_decimal_mark() {
        assert_eq!(parse_clock("00:00:01.234"), Some(1.234));
        assert_eq!(parse_clock("01:02:03,450"), Some(3723.45));
        assert_eq!(parse_clock("1:02:03"), Some(3723.0));
        assert_eq!(parse_clock("100:00:00.000"), Some(360_000.0));
    }

    #[test]
    fn reads_minutes_and_seconds() {
        assert_eq!(parse_clock("02:03.5"), Some(123.5));
        assert_eq!(parse_clock("75:10"), Some(4510.0));
        assert_eq!(parse_clock("0:07"), Some(7.0));
    }

    #[test]
    fn refuses_malformed_clocks() {
        for bad in [
            "",
            "12",
            "1:2:3:4",
            "00:60:00",
            "00:00:60",
            "01:60",
            "aa:00",
            "00:00:01.",
            "00:00:01.abc",
            "-1:00",
            "00: 01",
            "00:00:01.1234567890",
            "00:00:01.000.5",
        ] {
            assert_eq!(parse_clock(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_for_messages() {
        assert_eq!(format_clock(3723.45), "01:02:03.450");
        assert_eq!(format_clock(0.0), "00:00:00.000");
        assert_eq!(format_clock(-1.0), "-1");
    }
}
