//! Time windows and commit ranges: which messages a command looks at.
//!
//! A window is a half-open interval `[start, end)` of UTC seconds, computed
//! in a time zone (`--tz`, default UTC), over the received time (public-inbox
//! `ts`, the default) or the Date header (`--by date`). `--range` limits the
//! messages to commit ranges of the epochs, so a report can be regenerated
//! exactly after new mail arrived.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::index::{SeqRange, TimeField};

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowSpec {
    /// ISO week, e.g. 2022-W10.
    Week { year: i32, week: u32 },
    /// Whole days, both inclusive.
    Days { since: NaiveDate, until: NaiveDate },
    /// The last N seconds before now.
    Last { seconds: i64 },
    /// Exact instants (UTC seconds), end exclusive.
    Instants { start: i64, end: i64 },
    /// No time limit (a `--range` alone).
    All,
}

/// A resolved window.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    /// Inclusive start, UTC seconds.
    pub start: i64,
    /// Exclusive end, UTC seconds.
    pub end: i64,
    /// Human label: `2022-W10`, `2022-03-07..2022-03-13`, `last 7d`.
    pub label: String,
    /// IANA zone the window was computed in.
    pub tz: String,
    /// `received` or `date`.
    pub by: &'static str,
    /// First and last day of the window in its zone (YYYY-MM-DD).
    pub first_day: String,
    pub last_day: String,
    #[serde(skip)]
    pub field: TimeField,
    #[serde(skip)]
    pub zone: Tz,
    /// Commit ranges the messages are limited to, if any (output records
    /// them as the digest's `epochs`).
    #[serde(skip)]
    pub ranges: Option<Vec<RangeOut>>,
    #[serde(skip)]
    pub seq_ranges: Option<Vec<SeqRange>>,
    /// Command-line options that give this window again.
    #[serde(skip)]
    pub args: Vec<String>,
}

/// A commit range as recorded in output: epoch and commit ids.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RangeOut {
    pub epoch: u32,
    /// Exclusive start commit (None: from the root).
    pub from: Option<String>,
    /// Inclusive end commit.
    pub to: String,
}

impl Window {
    pub fn contains(&self, t: i64) -> bool {
        t >= self.start && t < self.end
    }
}

/// Parse `2022-W10` (also `2022W10`, `2022-w10`).
pub fn parse_week(s: &str) -> Result<WindowSpec> {
    let bad = || Error::Usage(format!("--week {s:?}: expected an ISO week like 2022-W10"));
    let up = s.trim().to_ascii_uppercase();
    let (y, w) = up.split_once('W').ok_or_else(bad)?;
    let year: i32 = y.trim_end_matches('-').parse().map_err(|_| bad())?;
    let week: u32 = w.parse().map_err(|_| bad())?;
    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
    Ok(WindowSpec::Week { year, week })
}

/// Parse a day `2022-03-07`.
pub fn parse_day(flag: &str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| Error::Usage(format!("{flag} {s:?}: expected a date like 2022-03-07")))
}

/// Parse an exact instant: RFC 3339 (`2022-03-07T10:00:00Z`).
pub fn parse_instant(flag: &str, s: &str) -> Result<i64> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.timestamp())
        .map_err(|_| Error::Usage(format!("{flag} {s:?}: expected a date (2022-03-07) or an RFC 3339 time (2022-03-07T10:00:00Z)")))
}

/// Parse `7d`, `36h`, `2w`, `90m`.
pub fn parse_last(s: &str) -> Result<WindowSpec> {
    let bad = || {
        Error::Usage(format!(
            "--last {s:?}: expected a duration like 7d, 36h or 2w"
        ))
    };
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num.parse().map_err(|_| bad())?;
    let mult = match unit {
        "m" | "min" => 60,
        "h" => 3600,
        "d" | "" => 86400,
        "w" => 7 * 86400,
        _ => return Err(bad()),
    };
    if n <= 0 || n > 100 * 366 {
        return Err(bad());
    }
    Ok(WindowSpec::Last { seconds: n * mult })
}

pub fn parse_tz(s: &str) -> Result<Tz> {
    s.parse::<Tz>().map_err(|_| {
        Error::Usage(format!(
            "--tz {s:?}: not an IANA time zone (e.g. UTC, Asia/Shanghai)"
        ))
    })
}

fn local_midnight(zone: Tz, day: NaiveDate) -> i64 {
    let naive = NaiveDateTime::new(day, NaiveTime::MIN);
    // A midnight that does not exist (DST jump) maps to the earliest valid.
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.timestamp())
        .unwrap_or_else(|| naive.and_utc().timestamp())
}

/// Resolve a spec to a window. `now` is UTC seconds (SOURCE_DATE_EPOCH or
/// the clock).
pub fn resolve(spec: &WindowSpec, zone: Tz, field: TimeField, now: i64) -> Window {
    let by = match field {
        TimeField::Received => "received",
        TimeField::Date => "date",
    };
    let day_of = |t: i64| {
        DateTime::<Utc>::from_timestamp(t, 0)
            .unwrap_or_default()
            .with_timezone(&zone)
            .date_naive()
    };
    let (start, end, label) = match spec {
        WindowSpec::Week { year, week } => {
            let mon = NaiveDate::from_isoywd_opt(*year, *week, Weekday::Mon).expect("checked week");
            let next = mon + Duration::days(7);
            (
                local_midnight(zone, mon),
                local_midnight(zone, next),
                format!("{year}-W{week:02}"),
            )
        }
        WindowSpec::Days { since, until } => {
            let next = *until + Duration::days(1);
            (
                local_midnight(zone, *since),
                local_midnight(zone, next),
                format!("{since}..{until}"),
            )
        }
        WindowSpec::Last { seconds } => {
            let label = if seconds % 86400 == 0 {
                format!("last {}d", seconds / 86400)
            } else {
                format!("last {}h", seconds / 3600)
            };
            (now - seconds, now, label)
        }
        WindowSpec::Instants { start, end } => (
            *start,
            *end,
            format!(
                "{}..{}",
                crate::digest::iso(*start),
                crate::digest::iso(*end)
            ),
        ),
        WindowSpec::All => (i64::MIN / 2, i64::MAX / 2, "all".to_string()),
    };
    let args: Vec<String> = match spec {
        WindowSpec::Week { .. } => vec!["--week".into(), label.clone()],
        WindowSpec::Days { since, until } => {
            vec![
                "--since".into(),
                since.to_string(),
                "--until".into(),
                until.to_string(),
            ]
        }
        WindowSpec::Last { .. } | WindowSpec::Instants { .. } => vec![
            "--since".into(),
            crate::digest::iso(start),
            "--until".into(),
            crate::digest::iso(end),
        ],
        WindowSpec::All => Vec::new(),
    };
    let (first_day, last_day) = if matches!(spec, WindowSpec::All) {
        (String::new(), String::new())
    } else {
        (day_of(start).to_string(), day_of(end - 1).to_string())
    };
    Window {
        start,
        end,
        label,
        tz: zone.name().to_string(),
        by,
        first_day,
        last_day,
        field,
        zone,
        ranges: None,
        seq_ranges: None,
        args,
    }
}

/// Every ISO week (year, week) whose Monday lies in `[since, until]`.
pub fn weeks_between(since: NaiveDate, until: NaiveDate) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let mut d = since;
    while d.weekday() != Weekday::Mon {
        d += Duration::days(1);
    }
    while d <= until {
        let w = d.iso_week();
        out.push((w.year(), w.week()));
        d += Duration::days(7);
    }
    out
}

/// A `--range` argument before resolution: `[EPOCH:]FROM..TO`, FROM or TO may
/// be empty (root, tip).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeArg {
    pub epoch: Option<u32>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Parse `A..B`, `0:A..B`, `..B`, several separated by commas.
pub fn parse_ranges(s: &str) -> Result<Vec<RangeArg>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || {
            Error::Usage(format!(
                "--range {part:?}: expected [EPOCH:]FROM..TO (commit ids)"
            ))
        };
        let (epoch, rest) = match part.split_once(':') {
            Some((e, r)) => (Some(e.parse::<u32>().map_err(|_| bad())?), r),
            None => (None, part),
        };
        let (from, to) = rest.split_once("..").ok_or_else(bad)?;
        let check = |x: &str| -> Result<Option<String>> {
            if x.is_empty() {
                Ok(None)
            } else if x.len() >= 4 && x.len() <= 64 && x.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(Some(x.to_ascii_lowercase()))
            } else {
                Err(bad())
            }
        };
        out.push(RangeArg {
            epoch,
            from: check(from)?,
            to: check(to)?,
        });
    }
    if out.is_empty() {
        return Err(Error::Usage("--range: empty".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_week_in_utc_is_monday_to_monday() {
        let w = resolve(
            &parse_week("2022-W10").unwrap(),
            Tz::UTC,
            TimeField::Received,
            0,
        );
        assert_eq!(w.start, 1646611200); // 2022-03-07T00:00Z
        assert_eq!(w.end, 1646611200 + 7 * 86400);
        assert_eq!(w.first_day, "2022-03-07");
        assert_eq!(w.last_day, "2022-03-13");
        assert_eq!(w.label, "2022-W10");
    }

    #[test]
    fn week_in_a_zone_starts_at_local_midnight() {
        let z = parse_tz("Asia/Shanghai").unwrap();
        let w = resolve(&parse_week("2022-W10").unwrap(), z, TimeField::Received, 0);
        assert_eq!(w.start, 1646611200 - 8 * 3600);
    }

    #[test]
    fn days_are_inclusive() {
        let spec = WindowSpec::Days {
            since: parse_day("--since", "2022-03-07").unwrap(),
            until: parse_day("--until", "2022-03-07").unwrap(),
        };
        let w = resolve(&spec, Tz::UTC, TimeField::Date, 0);
        assert_eq!(w.end - w.start, 86400);
        assert_eq!(w.by, "date");
    }

    #[test]
    fn parses_last_and_rejects_junk() {
        assert_eq!(
            parse_last("7d").unwrap(),
            WindowSpec::Last { seconds: 7 * 86400 }
        );
        assert_eq!(
            parse_last("36h").unwrap(),
            WindowSpec::Last { seconds: 36 * 3600 }
        );
        assert!(parse_last("7x").is_err());
        assert!(parse_last("-1d").is_err());
        assert!(parse_week("2022-W54").is_err());
        assert!(parse_week("banana").is_err());
        assert!(parse_tz("Mars/Base").is_err());
    }

    #[test]
    fn parses_ranges() {
        let r = parse_ranges("0:abcd..ef01,..1234").unwrap();
        assert_eq!(
            r[0],
            RangeArg {
                epoch: Some(0),
                from: Some("abcd".into()),
                to: Some("ef01".into())
            }
        );
        assert_eq!(r[1].from, None);
        assert!(parse_ranges("zz..yy").is_err());
        assert!(parse_ranges("abc").is_err());
    }

    #[test]
    fn weeks_between_lists_mondays() {
        let w = weeks_between(
            NaiveDate::from_ymd_opt(2022, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2022, 1, 31).unwrap(),
        );
        assert_eq!(
            w,
            vec![(2022, 1), (2022, 2), (2022, 3), (2022, 4), (2022, 5)]
        );
    }
}
