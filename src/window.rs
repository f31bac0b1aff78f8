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

/// A period of counts or charts: ISO weeks (Monday to Monday) or days, in
/// the window's zone. Serialized as `week` / `day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Per {
    /// ISO weeks (Monday to Monday).
    Week,
    /// Days.
    #[default]
    Day,
}

/// Which time a window selects messages by (JSON `by`: `received` or
/// `date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeField {
    /// public-inbox `ts` (Received header), the default for windows.
    Received,
    /// The Date header (`ds`).
    Date,
}

/// Commit range of one epoch: positions `after < seq <= upto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    pub epoch: u32,
    pub after: u64,
    pub upto: u64,
}

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
    /// `--since`/`--until` with an open side or an exact time: a missing
    /// `--since` starts at the first mail, a missing `--until` ends today
    /// (whole days) or now (exact times); a plain day starts at its local
    /// midnight in the window's zone.
    Between {
        since: Option<Bound>,
        until: Option<Bound>,
    },
    /// No time limit (a `--range` alone): from the first to the last mail
    /// of the range.
    All,
}

impl WindowSpec {
    /// True when resolving needs the first and last mail ([`MailSpan`]).
    pub fn needs_mail_span(&self) -> bool {
        matches!(
            self,
            WindowSpec::All | WindowSpec::Between { since: None, .. }
        )
    }
}

/// One side of `--since`/`--until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// A whole day (`2022-03-07`): `--since` from its local midnight,
    /// `--until` to the next one.
    Day(NaiveDate),
    /// An exact RFC 3339 time, UTC seconds.
    Instant(i64),
}

/// Times (by the window's time field) of the first and last mail that
/// count, within the `--range` if one is given.
pub type MailSpan = (i64, i64);

/// What kind of window it is: decides the report's file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WindowKind {
    /// An ISO week.
    Week,
    /// One whole day.
    Day,
    /// Several whole days.
    Days,
    /// The last N minutes, hours or days before the generation time.
    Last,
    /// Exact instants.
    Instants,
    /// A `--range` alone: its first to its last mail.
    Range,
}

/// A resolved window.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    /// Inclusive start, UTC seconds.
    pub start: i64,
    /// Exclusive end, UTC seconds.
    pub end: i64,
    /// Human label: `2022-W10`, `2022-03-13`, `2022-03-07..2022-03-13`,
    /// `last 7d`, `2022-03-07T10:00:00Z..2022-03-08T10:00:00Z`,
    /// `range 2019-04-29..2023-11-15`.
    pub label: String,
    /// IANA zone the window was computed in (JSON `tz`: its name).
    #[serde(rename = "tz", serialize_with = "zone_name")]
    pub zone: Tz,
    /// The time it selects by (JSON `by`: `received` or `date`).
    #[serde(rename = "by")]
    pub field: TimeField,
    /// `week`, `day`, `days`, `last`, `instants` or `range`.
    pub kind: WindowKind,
    /// First and last day of the window in its zone (YYYY-MM-DD).
    pub first_day: String,
    pub last_day: String,
    /// Commit ranges the messages are limited to, if any (output records
    /// them as the digest's `epochs`).
    #[serde(skip)]
    pub ranges: Option<Vec<RangeOut>>,
    #[serde(skip)]
    pub seq_ranges: Option<Vec<SeqRange>>,
    /// Command-line options that give this window again.
    #[serde(skip)]
    pub args: Vec<String>,
    /// A week that a backfill's `--since`/`--until` cut: only the given
    /// days of it are counted (JSON `"partial": true`, absent otherwise).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
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

    /// This week window clipped to the days of `days` (a window inside
    /// it): the week's name and file, the days' times, marked partial.
    pub fn clipped_to(self, days: Window) -> Window {
        let label = format!(
            "{} (partial: {}..{})",
            self.label, days.first_day, days.last_day
        );
        Window {
            start: days.start,
            end: days.end,
            label,
            first_day: days.first_day,
            last_day: days.last_day,
            args: days.args,
            partial: true,
            ..self
        }
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
            "--last {s:?}: expected a duration like 7d, 36h, 2w or 90m"
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

/// The first instant of a local day in `zone` (UTC seconds).
pub fn local_midnight(zone: Tz, day: NaiveDate) -> i64 {
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
/// the clock). Specs that need the archive's first or last mail
/// ([`WindowSpec::needs_mail_span`]) are resolved as if it held none; use
/// [`resolve_in`].
pub fn resolve(spec: &WindowSpec, zone: Tz, field: TimeField, now: i64) -> Window {
    resolve_in(spec, zone, field, now, None)
}

/// The label of `--last`: in the largest unit that divides it exactly
/// (`7d`, `36h`, `90m`), None when no unit does.
fn last_amount(seconds: i64) -> Option<String> {
    [(86400, 'd'), (3600, 'h'), (60, 'm')]
        .into_iter()
        .find(|(unit, _)| seconds % unit == 0)
        .map(|(unit, c)| format!("{}{c}", seconds / unit))
}

fn zone_name<S: serde::Serializer>(zone: &Tz, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(zone.name())
}

impl TimeField {
    /// `received` or `date`, as `--by` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeField::Received => "received",
            TimeField::Date => "date",
        }
    }
}

impl Window {
    /// The IANA name of its zone.
    pub fn tz(&self) -> &'static str {
        self.zone.name()
    }
}

/// Resolve a spec to a window, given the first and last mail (`span`, by
/// `field` and within the `--range`): `--until` alone starts at the first
/// mail's day, a `--range` alone spans its first to its last mail.
pub fn resolve_in(
    spec: &WindowSpec,
    zone: Tz,
    field: TimeField,
    now: i64,
    span: Option<MailSpan>,
) -> Window {
    let day_of = |t: i64| {
        DateTime::<Utc>::from_timestamp(t, 0)
            .unwrap_or_default()
            .with_timezone(&zone)
            .date_naive()
    };
    if let WindowSpec::Between { since, until } = spec {
        let first = span.map(|s| s.0);
        let concrete = match (since, until) {
            (Some(Bound::Instant(_)), _) | (_, Some(Bound::Instant(_))) => {
                let end = match until {
                    Some(Bound::Instant(t)) => *t,
                    Some(Bound::Day(d)) => local_midnight(zone, *d + Duration::days(1)),
                    None => now,
                };
                let start = match since {
                    Some(Bound::Instant(t)) => *t,
                    Some(Bound::Day(d)) => local_midnight(zone, *d),
                    None => first.map_or(end, |f| f.min(end)),
                };
                WindowSpec::Instants { start, end }
            }
            _ => {
                let until = match until {
                    Some(Bound::Day(d)) => *d,
                    _ => day_of(now),
                };
                let since = match since {
                    Some(Bound::Day(d)) => *d,
                    _ => first.map_or(until, |f| day_of(f).min(until)),
                };
                WindowSpec::Days { since, until }
            }
        };
        return resolve_in(&concrete, zone, field, now, span);
    }
    let (start, end, label, kind) = match spec {
        WindowSpec::Week { year, week } => {
            let mon = NaiveDate::from_isoywd_opt(*year, *week, Weekday::Mon).expect("checked week");
            let next = mon + Duration::days(7);
            (
                local_midnight(zone, mon),
                local_midnight(zone, next),
                format!("{year}-W{week:02}"),
                WindowKind::Week,
            )
        }
        WindowSpec::Days { since, until } => {
            let next = *until + Duration::days(1);
            let (label, kind) = if since == until {
                (since.to_string(), WindowKind::Day)
            } else {
                (format!("{since}..{until}"), WindowKind::Days)
            };
            (
                local_midnight(zone, *since),
                local_midnight(zone, next),
                label,
                kind,
            )
        }
        WindowSpec::Last { seconds } => {
            let label = match last_amount(*seconds) {
                Some(a) => format!("last {a}"),
                None => format!("last {seconds}s"),
            };
            (now - seconds, now, label, WindowKind::Last)
        }
        WindowSpec::Instants { start, end } => (
            *start,
            *end,
            format!("{}..{}", crate::clock::iso(*start), crate::clock::iso(*end)),
            WindowKind::Instants,
        ),
        WindowSpec::All => match span {
            Some((first, last)) => (
                first,
                last.saturating_add(1),
                format!("range {}..{}", day_of(first), day_of(last)),
                WindowKind::Range,
            ),
            None => (now, now, "range (no mail)".to_string(), WindowKind::Range),
        },
        WindowSpec::Between { .. } => unreachable!("resolved above"),
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
        WindowSpec::Last { seconds } if last_amount(*seconds).is_some() => {
            // Again relative to the generation time, which the regenerate
            // command records as SOURCE_DATE_EPOCH.
            vec!["--last".into(), last_amount(*seconds).unwrap_or_default()]
        }
        WindowSpec::Last { .. } | WindowSpec::Instants { .. } => vec![
            "--since".into(),
            crate::clock::iso(start),
            "--until".into(),
            crate::clock::iso(end),
        ],
        WindowSpec::All | WindowSpec::Between { .. } => Vec::new(),
    };
    let first_day = day_of(start);
    let last_day = day_of((end - 1).max(start));
    Window {
        start,
        end,
        label,
        kind,
        first_day: first_day.to_string(),
        last_day: last_day.to_string(),
        field,
        zone,
        ranges: None,
        seq_ranges: None,
        args,
        partial: false,
    }
}

/// Every ISO week (year, week) that overlaps `[since, until]`.
pub fn weeks_between(since: NaiveDate, until: NaiveDate) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    let mut d = since;
    while d.weekday() != Weekday::Mon {
        d -= Duration::days(1);
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
        assert_eq!(w.field, TimeField::Date);
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
    fn last_is_labelled_in_the_unit_that_divides_it() {
        let label =
            |s: &str| resolve(&parse_last(s).unwrap(), Tz::UTC, TimeField::Received, 0).label;
        assert_eq!(label("90m"), "last 90m");
        assert_eq!(label("30m"), "last 30m");
        assert_eq!(label("120m"), "last 2h");
        assert_eq!(label("36h"), "last 36h");
        assert_eq!(label("7d"), "last 7d");
        assert_eq!(label("2w"), "last 14d");
        let w = resolve(
            &parse_last("90m").unwrap(),
            Tz::UTC,
            TimeField::Received,
            10_000,
        );
        assert_eq!((w.start, w.end), (10_000 - 5400, 10_000));
        assert_eq!(w.args, ["--last", "90m"]);
        assert_eq!(w.kind, WindowKind::Last);
    }

    #[test]
    fn plain_day_with_an_exact_time_starts_at_local_midnight() {
        let z = parse_tz("Asia/Shanghai").unwrap();
        let spec = WindowSpec::Between {
            since: Some(Bound::Day(parse_day("--since", "2022-03-07").unwrap())),
            until: Some(Bound::Instant(
                parse_instant("--until", "2022-03-08T12:00:00Z").unwrap(),
            )),
        };
        let w = resolve(&spec, z, TimeField::Received, 0);
        assert_eq!(w.start, 1646611200 - 8 * 3600);
        assert_eq!(w.end, 1646611200 + 86400 + 12 * 3600);
        assert_eq!(w.kind, WindowKind::Instants);
        assert_eq!(w.label, "2022-03-06T16:00:00Z..2022-03-08T12:00:00Z");
        // and the other way round
        let spec = WindowSpec::Between {
            since: Some(Bound::Instant(
                parse_instant("--since", "2022-03-07T12:00:00Z").unwrap(),
            )),
            until: Some(Bound::Day(parse_day("--until", "2022-03-08").unwrap())),
        };
        let w = resolve(&spec, z, TimeField::Received, 0);
        assert_eq!(w.end, 1646611200 + 2 * 86400 - 8 * 3600);
    }

    #[test]
    fn open_since_starts_at_the_first_mail_and_open_until_ends_today() {
        let first = 1556532000; // 2019-04-29T10:00:00Z
        let span = Some((first, 1646647200));
        let until_only = WindowSpec::Between {
            since: None,
            until: Some(Bound::Day(parse_day("--until", "2019-08-01").unwrap())),
        };
        let w = resolve_in(&until_only, Tz::UTC, TimeField::Received, 0, span);
        assert_eq!(w.label, "2019-04-29..2019-08-01");
        assert_eq!(w.first_day, "2019-04-29");
        assert_eq!(w.args, ["--since", "2019-04-29", "--until", "2019-08-01"]);
        // A first mail after --until: an empty window on that day.
        let w = resolve_in(
            &until_only,
            Tz::UTC,
            TimeField::Received,
            0,
            Some((1646647200, 1646647200)),
        );
        assert_eq!(w.label, "2019-08-01");
        let since_only = WindowSpec::Between {
            since: Some(Bound::Day(parse_day("--since", "2022-03-01").unwrap())),
            until: None,
        };
        let w = resolve_in(&since_only, Tz::UTC, TimeField::Received, 1647302400, span);
        assert_eq!(w.label, "2022-03-01..2022-03-15");
        let exact_until = WindowSpec::Between {
            since: None,
            until: Some(Bound::Instant(1646647200)),
        };
        let w = resolve_in(&exact_until, Tz::UTC, TimeField::Received, 0, span);
        assert_eq!((w.start, w.end), (first, 1646647200));
    }

    #[test]
    fn range_alone_spans_its_first_to_its_last_mail() {
        let w = resolve_in(
            &WindowSpec::All,
            Tz::UTC,
            TimeField::Received,
            0,
            Some((1556532000, 1700035800)),
        );
        assert_eq!((w.start, w.end), (1556532000, 1700035801));
        assert_eq!(w.label, "range 2019-04-29..2023-11-15");
        assert_eq!(
            (w.first_day.as_str(), w.last_day.as_str()),
            ("2019-04-29", "2023-11-15")
        );
        assert_eq!(w.kind, WindowKind::Range);
        assert!(w.args.is_empty());
        // No mail in the range: an empty window at the generation time.
        let w = resolve_in(
            &WindowSpec::All,
            Tz::UTC,
            TimeField::Received,
            1647302400,
            None,
        );
        assert_eq!((w.start, w.end), (1647302400, 1647302400));
        assert_eq!(
            (w.first_day.as_str(), w.last_day.as_str()),
            ("2022-03-15", "2022-03-15")
        );
        assert_eq!(w.label, "range (no mail)");
    }

    #[test]
    fn weeks_between_lists_every_overlapping_week() {
        // 2022-01-01 is the Saturday of 2021-W52.
        let w = weeks_between(
            NaiveDate::from_ymd_opt(2022, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2022, 1, 31).unwrap(),
        );
        assert_eq!(
            w,
            vec![
                (2021, 52),
                (2022, 1),
                (2022, 2),
                (2022, 3),
                (2022, 4),
                (2022, 5)
            ]
        );
    }
}
