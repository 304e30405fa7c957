//! Dates as feeds write them, to UTC.
//!
//! Two families cover nearly everything: RFC 822 (`Sat, 07 Sep 2002
//! 00:00:01 GMT`, RSS's format) and W3C-DTF / ISO 8601 (`2002-09-07T00:00:01Z`,
//! Atom's and Dublin Core's). Real feeds bend both: long or missing weekday
//! names, one-digit days and hours, two-digit years, missing seconds or
//! zones, zone names (`EST`, `UTC`), a space for the `T`, reduced precision
//! (`2003-12`, `2003`). RFC 822 dates are read token by token, so the order
//! of the parts does not matter (`Sep 7 2002`, asctime's `Sat Sep  7
//! 00:00:01 2002`, `2002/09/07 00:00:01`). A date without a zone is UTC.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use regex::Regex;

/// Zone names and their offsets in hours (RFC 822's list, the US zones
/// without daylight marker, and the military letters RFC 822 names).
const ZONES: &[(&str, i32)] = &[
    ("ut", 0),
    ("utc", 0),
    ("gmt", 0),
    ("z", 0),
    ("adt", -3),
    ("ast", -4),
    ("at", -4),
    ("edt", -4),
    ("est", -5),
    ("et", -5),
    ("cdt", -5),
    ("cst", -6),
    ("ct", -6),
    ("mdt", -6),
    ("mst", -7),
    ("mt", -7),
    ("pdt", -7),
    ("pst", -8),
    ("pt", -8),
    ("a", -1),
    ("n", 1),
    ("m", -12),
    ("y", 12),
];

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Parses a feed date; None when it is not one.
pub(crate) fn parse(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    iso(s).or_else(|| rfc822(s))
}

/// W3C-DTF / ISO 8601, extended or basic, down to year precision.
fn iso(s: &str) -> Option<DateTime<Utc>> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| {
            Regex::new(concat!(
                r"^(\d{4})(?:-?(\d{2})(?:-?(\d{2}))?)?",
                r"(?:[Tt ]+(\d{1,2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?",
                r"\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"
            ))
            .ok()
        })
        .as_ref()?;
    let c = re.captures(s)?;
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let year = i32::try_from(num(1)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, num(2).unwrap_or(1), num(3).unwrap_or(1))?;
    let offset = c.get(7).map_or(Some(0), |z| zone_offset(z.as_str()))?;
    at(
        date,
        num(4).unwrap_or(0),
        num(5).unwrap_or(0),
        num(6).unwrap_or(0),
        offset,
    )
}

/// RFC 822 and its relatives, read as a bag of tokens.
fn rfc822(s: &str) -> Option<DateTime<Utc>> {
    let mut parts = Parts::default();
    // A trailing "(GMT)"-style comment says nothing the zone does not.
    let s = s.split('(').next().unwrap_or(s);
    for token in s.split(|c: char| c.is_whitespace() || c == ',') {
        if !token.is_empty() && !parts.take(token) {
            return None;
        }
    }
    let year = parts.year?;
    let date = NaiveDate::from_ymd_opt(year, parts.month?, parts.day?)?;
    let (h, m, sec) = parts.time.unwrap_or((0, 0, 0));
    at(date, h, m, sec, parts.offset.unwrap_or(0))
}

#[derive(Default)]
struct Parts {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    time: Option<(u32, u32, u32)>,
    /// Seconds east of UTC.
    offset: Option<i32>,
}

impl Parts {
    /// Files one token; false when it cannot be part of a date.
    fn take(&mut self, token: &str) -> bool {
        let lower = token.to_ascii_lowercase();
        if token.starts_with(['+', '-']) {
            self.offset = zone_offset(token);
            return self.offset.is_some();
        }
        if token.contains(':') {
            return self.time.is_none() && self.take_time(token);
        }
        if token.contains('/') || (token.contains('-') && !token.starts_with(['+', '-'])) {
            return self.take_numeric_date(token);
        }
        if let Some(offset) =
            zone_offset(token).filter(|_| self.year.is_some() || self.time.is_some())
        {
            self.offset = Some(offset);
            return true;
        }
        if lower.chars().all(|c| c.is_ascii_alphabetic() || c == '.') {
            if let Some(m) = MONTHS.iter().position(|m| lower.starts_with(m)) {
                if self.month.is_some() {
                    return false;
                }
                self.month = u32::try_from(m + 1).ok();
                return true;
            }
            // Weekday names, "at", "Uhr": words that carry nothing.
            return true;
        }
        let Ok(n) = token.trim_end_matches('.').parse::<u32>() else {
            return false;
        };
        match (token.len(), self.day, self.year) {
            (4, _, None) => self.year = i32::try_from(n).ok(),
            (1 | 2, None, _) => self.day = Some(n),
            (2, Some(_), None) => self.year = Some(two_digit_year(n)),
            _ => return false,
        }
        true
    }

    fn take_time(&mut self, token: &str) -> bool {
        let (clock, zone) = match token.find(|c: char| c.is_ascii_alphabetic() || c == '+') {
            Some(i) if i > 0 => token.split_at(i),
            _ => (token, ""),
        };
        let mut fields = clock
            .split(':')
            .map(|f| f.split('.').next().unwrap_or(f).parse::<u32>());
        let (Some(Ok(h)), Some(Ok(m))) = (fields.next(), fields.next()) else {
            return false;
        };
        let sec = match fields.next() {
            Some(Ok(s)) => s,
            Some(Err(_)) => return false,
            None => 0,
        };
        // Some feeds write midnight as 24:00 of the same day.
        self.time = Some((if h == 24 { 0 } else { h }, m, sec));
        if !zone.is_empty() {
            self.offset = zone_offset(zone);
        }
        true
    }

    /// `2002/09/07` or `2002-09-07` inside an otherwise RFC 822-ish date.
    fn take_numeric_date(&mut self, token: &str) -> bool {
        let nums: Vec<u32> = token
            .split(['/', '-'])
            .filter_map(|p| p.parse().ok())
            .collect();
        match nums.as_slice() {
            [y, m, d] if *y > 999 => {
                self.year = i32::try_from(*y).ok();
                self.month = Some(*m);
                self.day = Some(*d);
                true
            }
            _ => false,
        }
    }
}

fn two_digit_year(n: u32) -> i32 {
    let n = i32::try_from(n).unwrap_or(0);
    if n < 50 { 2000 + n } else { 1900 + n }
}

/// `+0100`, `-05:00`, `+01`, `Z`, `GMT`, `EST`: seconds east of UTC.
fn zone_offset(zone: &str) -> Option<i32> {
    let z = zone.trim();
    if let Some(rest) = z
        .strip_prefix('+')
        .map(|r| (1, r))
        .or_else(|| z.strip_prefix('-').map(|r| (-1, r)))
    {
        let (sign, digits) = rest;
        let digits: String = digits.chars().filter(|c| *c != ':').collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
            return None;
        }
        let h: i32 = digits.get(..2)?.parse().ok()?;
        let m: i32 = digits
            .get(2..)
            .filter(|s| !s.is_empty())
            .map_or(Some(0), |s| s.parse().ok())?;
        return Some(sign * (h * 3600 + m * 60));
    }
    let lower = z.to_ascii_lowercase();
    ZONES
        .iter()
        .find(|(name, _)| *name == lower)
        .map(|(_, hours)| hours * 3600)
}

fn at(date: NaiveDate, h: u32, m: u32, s: u32, offset: i32) -> Option<DateTime<Utc>> {
    // A leap second (":60") is the next second.
    let (s, extra) = if s == 60 { (59, 1) } else { (s, 0) };
    let local = date.and_hms_opt(h, m, s)?;
    let utc = Utc.from_utc_datetime(&local) - Duration::seconds(i64::from(offset));
    Some(utc + Duration::seconds(extra))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymdhms(s: &str) -> Option<String> {
        parse(s).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    #[test]
    fn rfc822_and_its_variants() {
        let want = Some("2002-09-28 21:00:02".to_owned());
        for s in [
            "Sat, 28 Sep 2002 21:00:02 GMT",
            "Sat, 28 Sep 2002 21:00:02 +0000",
            "28 Sep 2002 21:00:02 UT",
            "Saturday, 28 September 2002 21:00:02 Z",
            "Sat, 28 Sep 02 21:00:02 GMT",
            "Sat, 28 Sep 2002 17:00:02 EDT",
            "Sat, 28 Sep 2002 23:00:02 +02:00",
            "Sep 28 2002 21:00:02",
            "Sat Sep 28 21:00:02 2002",
            "2002/09/28 21:00:02 GMT",
            "Sat, 28 Sep 2002 21:00:02 +0000 (GMT)",
        ] {
            assert_eq!(ymdhms(s), want, "{s}");
        }
        assert_eq!(
            ymdhms("Sat, 8 Sep 2002 1:00 GMT"),
            Some("2002-09-08 01:00:00".to_owned())
        );
    }

    #[test]
    fn w3cdtf_and_iso8601() {
        assert_eq!(
            ymdhms("2003-12-31T10:14:55Z"),
            Some("2003-12-31 10:14:55".to_owned())
        );
        assert_eq!(
            ymdhms("2003-12-31T10:14:55.123-08:00"),
            Some("2003-12-31 18:14:55".to_owned())
        );
        assert_eq!(
            ymdhms("2003-12-31 10:14"),
            Some("2003-12-31 10:14:00".to_owned())
        );
        assert_eq!(
            ymdhms("20031231T101455+0100"),
            Some("2003-12-31 09:14:55".to_owned())
        );
        assert_eq!(ymdhms("2003-12"), Some("2003-12-01 00:00:00".to_owned()));
        assert_eq!(ymdhms("2003"), Some("2003-01-01 00:00:00".to_owned()));
    }

    #[test]
    fn non_dates_are_none() {
        for s in [
            "",
            "soon",
            "2003-13-01",
            "Sat, 31 Feb 2002 10:00:00 GMT",
            "12345",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }
}
