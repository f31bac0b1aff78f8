//! Message times computed the way public-inbox computes them
//! (`PublicInbox::MsgTime`), so that windows by received time put every mail
//! in the same week that public-inbox does.
//!
//! - `ts` (received time): the first (newest, topmost) Received header that
//!   holds a parsable RFC 822 date, else the Date header, else the commit time.
//! - `ds` (date): the Date header, else the Received time, else commit time.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate};
use regex::Regex;

const OBSOLETE_TZ: &[(&str, i64)] = &[
    ("EST", -500),
    ("EDT", -400),
    ("CST", -600),
    ("CDT", -500),
    ("MST", -700),
    ("MDT", -600),
    ("PST", -800),
    ("PDT", -700),
    ("UT", 0),
    ("GMT", 0),
    ("Z", 0),
];

static DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:[A-Za-z]+,?\s+)?",                                       // day of week
        r"([0-9]+),?\s+",                                             // dd
        r"([A-Za-z]+)\s+",                                            // mon
        r"([0-9]{2,4})\s+",                                           // yyyy (or yy)
        r"([0-9]+)[:.]",                                              // hh
        r"((?:[0-9]{2})|(?:\s?[0-9]))",                               // mm
        r"(?:[:.]((?:[0-9]{2})|(?:\s?[0-9])))?",                      // :ss
        r"\s+([+\-])?[+\-]*", // zone sign (extra signs seen)
        r"([0-9]+|EST|EDT|CST|CDT|MST|MDT|PST|PDT|UT|GMT|Z)(?:\s|$)", // zone
    ))
    .unwrap()
});

static RECEIVED_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\s*([0-9]+\s+[a-zA-Z]+\s+[0-9]{2,4}\s+",
        r"[0-9]+[^0-9][0-9]+(?:[^0-9][0-9]+)",
        r"\s+(?:[+\-][0-9]+))"
    ))
    .unwrap()
});

fn month(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let lc = name.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == lc || (lc.len() == 3 && m.starts_with(lc.as_str())))
        .map(|i| i as u32 + 1)
}

fn num(s: &str) -> Option<i64> {
    s.trim().parse::<i64>().ok()
}

/// Parse an RFC 822 style date as public-inbox does. Returns UTC seconds and
/// the zone offset in seconds east of UTC. Other forms (ISO 8601, no zone)
/// are tried afterwards, like public-inbox's Date::Parse fallback, in UTC.
pub fn str2date_zone(date: &str) -> Option<(i64, i32)> {
    if let Some(c) = DATE_RE.captures(date) {
        return rfc822(&c);
    }
    fallback(date)
}

fn rfc822(c: &regex::Captures<'_>) -> Option<(i64, i32)> {
    let dd = num(&c[1])?;
    let mon = month(&c[2])?;
    let mut yyyy = num(&c[3])?;
    let hh = num(&c[4])?;
    let mm = num(&c[5])?;
    let ss = c.get(6).map(|m| num(m.as_str())).unwrap_or(Some(0))?;
    let mut sign = c.get(7).map(|m| m.as_str()).unwrap_or("+");
    let tz_raw = &c[8];

    if c[3].len() <= 3 {
        yyyy += 1900;
        if yyyy < 1950 {
            yyyy += 100;
        }
    }
    // Time::Local's timegm refuses out-of-range fields.
    if !(0..=23).contains(&hh) || !(0..=59).contains(&mm) || !(0..=59).contains(&ss) {
        return None;
    }
    let day = NaiveDate::from_ymd_opt(i32::try_from(yyyy).ok()?, mon, u32::try_from(dd).ok()?)?;
    let mut ts = day
        .and_hms_opt(hh as u32, mm as u32, ss as u32)?
        .and_utc()
        .timestamp();
    if ts < 0 {
        return None;
    }

    let tz: String = match OBSOLETE_TZ.iter().find(|(n, _)| *n == tz_raw) {
        Some((_, off)) => {
            sign = if *off < 0 { "-" } else { "+" };
            format!("{:04}", off.abs())
        }
        None => tz_raw.to_string(),
    };
    let (mut tz_hh, mut tz_mm) = match tz.len() {
        1 => (num(&tz)?, 0),
        2 => (0, num(&tz)?),
        n => {
            let hh = if n > 2 {
                num(&tz[..n - 2]).unwrap_or(0)
            } else {
                0
            };
            (hh, num(&tz[n - 2..])?)
        }
    };
    while tz_mm >= 60 {
        tz_mm -= 60;
        tz_hh += 1;
    }
    let off = tz_mm
        .checked_mul(60)?
        .checked_add(tz_hh.checked_mul(3600)?)?;
    let off = if sign == "-" { -off } else { off };
    ts = ts.checked_sub(off)?;
    let off = i32::try_from(off).unwrap_or(0);
    // Zones beyond ±14h are nonsense; keep the instant, not the zone.
    let off = if off.abs() >= 14 * 3600 { 0 } else { off };
    Some((ts, off))
}

fn fallback(date: &str) -> Option<(i64, i32)> {
    let d = date.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(d) {
        return Some((t.timestamp(), t.offset().local_minus_utc()));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(d) {
        return Some((t.timestamp(), t.offset().local_minus_utc()));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%a, %d %b %Y %H:%M:%S",
        "%d %b %Y %H:%M:%S",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(d, fmt) {
            return Some((t.and_utc().timestamp(), 0));
        }
    }
    None
}

/// The time of one Received header, as public-inbox's `msg_received_at`.
pub fn received_time(header: &str) -> Option<i64> {
    let c = RECEIVED_RE.captures(header)?;
    let inner = DATE_RE.captures(&c[1])?;
    rfc822(&inner).map(|(ts, _)| ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc822_dates_with_zones() {
        assert_eq!(
            str2date_zone("Mon, 7 Mar 2022 11:00:00 +0100"),
            Some((1646647200, 3600))
        );
        assert_eq!(
            str2date_zone("7 Mar 2022 05:00:00 EST"),
            Some((1646647200, -5 * 3600))
        );
        // extra sign, as seen in the wild
        assert_eq!(
            str2date_zone("Mon, 7 Mar 2022 05:00:00 --500"),
            Some((1646647200, -5 * 3600))
        );
        // no seconds
        assert_eq!(
            str2date_zone("Mon, 7 Mar 2022 10:00 +0000"),
            Some((1646647200, 0))
        );
    }

    #[test]
    fn two_digit_years_follow_rfc2822() {
        assert_eq!(
            str2date_zone("Mon, 7 Mar 22 10:00:00 +0000").map(|x| x.0),
            Some(1646647200)
        );
    }

    #[test]
    fn rejects_impossible_dates() {
        assert_eq!(str2date_zone("Mon, 32 Mar 2022 10:00:00 +0000"), None);
        assert_eq!(str2date_zone("Mon, 7 Foo 2022 10:00:00 +0000"), None);
        assert_eq!(str2date_zone("Mon, 7 Mar 2022 25:00:00 +0000"), None);
        assert_eq!(str2date_zone("Thu, 1 Jan 1900 00:00:00 +0000"), None);
        assert_eq!(str2date_zone(""), None);
    }

    #[test]
    fn iso_dates_fall_back() {
        assert_eq!(
            str2date_zone("2022-03-07T10:00:00+00:00"),
            Some((1646647200, 0))
        );
    }

    #[test]
    fn received_takes_date_after_semicolon() {
        let r = "from mail.kernel.org (mail.kernel.org [1.2.3.4])\n\tby x (Postfix) with ESMTPS id 1\n\tfor <a@b>; Mon,  7 Mar 2022 10:00:00 +0000 (UTC)";
        assert_eq!(received_time(r), Some(1646647200));
        assert_eq!(received_time("from x by y with local"), None);
    }
}
