//! Just enough ISO 8601 for deadlines: the engine has no clock, so `now` comes in as text.
//!
//! Accepts `YYYY-MM-DD`, optionally followed by `T` (or a space) and `HH:MM[:SS[.fraction]]`
//! and an offset (`Z`, `+HH:MM`, `-HHMM`); without an offset the time is read as UTC. The
//! server writes round-trip times such as `2024-01-30T09:41:12.1234567Z` (seven fraction digits).

use crate::Error;

/// Seconds since the Unix epoch (UTC), with the fraction dropped.
pub type UnixSeconds = i64;

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Reads `n` ASCII digits at `pos`.
fn digits(bytes: &[u8], pos: usize, n: usize) -> Option<i64> {
    let slice = bytes.get(pos..pos + n)?;
    slice.iter().try_fold(0i64, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

/// Parses an ISO 8601 date or date-time into Unix seconds.
///
/// ```
/// use federate_core::verdict::parse_iso_time;
/// assert_eq!(parse_iso_time("1970-01-02T00:00:00Z").unwrap(), 86_400);
/// assert_eq!(parse_iso_time("2024-01-30T09:41:12.1234567Z").unwrap(), 1_706_607_672);
/// assert!(parse_iso_time("30/01/2024").is_err());
/// ```
pub fn parse_iso_time(text: &str) -> Result<UnixSeconds, Error> {
    let bad = |what: &str| Error::Argument(format!("invalid ISO 8601 time {text:?}: {what}"));
    let s = text.trim();
    let b = s.as_bytes();
    let year = digits(b, 0, 4).ok_or_else(|| bad("expected a 4-digit year"))?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return Err(bad("expected YYYY-MM-DD"));
    }
    let month = digits(b, 5, 2).ok_or_else(|| bad("expected a 2-digit month"))?;
    let day = digits(b, 8, 2).ok_or_else(|| bad("expected a 2-digit day"))?;
    if !(1..=12).contains(&month) {
        return Err(bad("month out of range"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(bad("day out of range"));
    }
    let mut secs = days_from_civil(year, month, day) * 86_400;
    let mut pos = 10;
    if pos == b.len() {
        return Ok(secs);
    }
    if !matches!(b.get(pos), Some(b'T' | b't' | b' ')) {
        return Err(bad("expected 'T' after the date"));
    }
    pos += 1;
    let hour = digits(b, pos, 2).ok_or_else(|| bad("expected a 2-digit hour"))?;
    if b.get(pos + 2) != Some(&b':') {
        return Err(bad("expected HH:MM"));
    }
    let minute = digits(b, pos + 3, 2).ok_or_else(|| bad("expected 2-digit minutes"))?;
    pos += 5;
    let mut second = 0;
    if b.get(pos) == Some(&b':') {
        second = digits(b, pos + 1, 2).ok_or_else(|| bad("expected 2-digit seconds"))?;
        pos += 3;
        if matches!(b.get(pos), Some(b'.' | b',')) {
            pos += 1;
            let start = pos;
            while b.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            if pos == start {
                return Err(bad("empty fraction of a second"));
            }
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(bad("time of day out of range"));
    }
    secs += hour * 3600 + minute * 60 + second;
    match b.get(pos) {
        None => Ok(secs),
        Some(b'Z' | b'z') if pos + 1 == b.len() => Ok(secs),
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, pos + 1, 2).ok_or_else(|| bad("expected an offset hour"))?;
            let rest = &b[pos + 3..];
            let om = match rest {
                [] => 0,
                [b':', ..] if rest.len() == 3 => {
                    digits(rest, 1, 2).ok_or_else(|| bad("bad offset"))?
                }
                _ if rest.len() == 2 => digits(rest, 0, 2).ok_or_else(|| bad("bad offset"))?,
                _ => return Err(bad("bad offset")),
            };
            if oh > 23 || om > 59 {
                return Err(bad("offset out of range"));
            }
            let offset = oh * 3600 + om * 60;
            Ok(if sign == b'+' {
                secs - offset
            } else {
                secs + offset
            })
        }
        Some(_) => Err(bad("unexpected text after the time")),
    }
}

/// Whole days from `now` until `deadline`, rounded up while time is left (half a day left
/// reads as 1), and 0 or negative once passed (rounded toward zero, then negated days).
pub fn days_until(now: UnixSeconds, deadline: UnixSeconds) -> i64 {
    let diff = deadline - now;
    if diff > 0 {
        (diff + 86_399) / 86_400
    } else {
        diff / 86_400
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_forms() {
        assert_eq!(parse_iso_time("1970-01-01").unwrap(), 0);
        assert_eq!(
            parse_iso_time("2027-07-01T00:00:00Z").unwrap(),
            1_814_400_000
        );
        assert_eq!(parse_iso_time("1970-01-01T01:00:00+01:00").unwrap(), 0);
        assert_eq!(parse_iso_time("1970-01-01T00:00:00-0130").unwrap(), 5400);
        assert_eq!(parse_iso_time("2000-02-29T12:30").unwrap(), 951_827_400);
        for bad in [
            "",
            "2024",
            "2024-13-01",
            "2023-02-29",
            "2024-01-01T25:00",
            "2024-01-01Tx",
            "2024-01-01T10:00:00Zjunk",
            "２０２４-01-01",
        ] {
            assert!(parse_iso_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn days() {
        assert_eq!(days_until(0, 86_400), 1);
        assert_eq!(days_until(0, 1), 1);
        assert_eq!(days_until(0, 86_401), 2);
        assert_eq!(days_until(0, 0), 0);
        assert_eq!(days_until(86_400 * 3, 0), -3);
    }
}
