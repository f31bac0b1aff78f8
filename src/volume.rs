//! The numbers behind a report's charts ([`crate::report::charts`]): the
//! window's mails per day (per ISO week for windows longer than
//! [`MAX_DAYS`] days) by what each mail is, and the trend of messages and
//! threads over the [`TREND_WEEKS`] weeks that end with the window's last
//! week.
//!
//! The per-day counts come from the digest's own window mails; the trend
//! from two indexed queries over the twelve weeks (messages and their
//! thread ids by time), counted as `stats --per week` counts them, of
//! what the archive held at the window end — never the whole archive.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;

use crate::analysis::TrailerKind;
use crate::digest::{MessageView, ThreadView};
use crate::error::Result;
use crate::storage::archive::Archive;
use crate::storage::index::{Message, TimeField};
use crate::window::{Per, Window};

/// Windows of up to this many days are charted per day, longer ones per
/// ISO week.
pub const MAX_DAYS: usize = 62;
/// Weeks of the trend, the window's last week included.
pub const TREND_WEEKS: usize = 12;

/// What a mail of the window is, for the per-day chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MailRole {
    /// A patch or cover letter (not a reply).
    Patch,
    /// A reply that gives Reviewed-by, Acked-by or Tested-by, or a NAK.
    Review,
    /// Any other reply.
    Reply,
    /// A new mail that is no patch: a question, a pull request, a notice.
    Other,
    /// A mail from a bot (CI, patchwork, stable queue, …).
    Bot,
}

impl MailRole {
    /// Every role, in stacking order (bottom first).
    pub const ALL: [MailRole; 5] = [
        MailRole::Patch,
        MailRole::Review,
        MailRole::Reply,
        MailRole::Other,
        MailRole::Bot,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailRole::Patch => "patch",
            MailRole::Review => "review",
            MailRole::Reply => "reply",
            MailRole::Other => "other",
            MailRole::Bot => "bot",
        }
    }

    /// The role of a mail: a bot's mail is a bot's whatever it says; a
    /// patch mail (`[PATCH …]`, not `Re:`) a patch; a mail with review
    /// trailers or a NAK a review; a mail with a parent or `Re:` a reply.
    pub fn of(m: &MessageView) -> MailRole {
        if m.bot.is_some() {
            MailRole::Bot
        } else if m.subject_info.is_patch_mail() {
            MailRole::Patch
        } else if m.facts.nak
            || m.facts.trailers.iter().any(|t| {
                matches!(
                    t.kind,
                    TrailerKind::ReviewedBy
                        | TrailerKind::AckedBy
                        | TrailerKind::TestedBy
                        | TrailerKind::Nacked
                )
            })
        {
            MailRole::Review
        } else if m.parent.is_some() || m.subject_info.is_reply {
            MailRole::Reply
        } else {
            MailRole::Other
        }
    }
}

/// The window's mails of one day (or week), by role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Period {
    /// `2022-03-07`, or `2022-W10` for a long window.
    pub period: String,
    pub messages: usize,
    pub patch: usize,
    pub review: usize,
    pub reply: usize,
    pub other: usize,
    pub bot: usize,
}

impl Period {
    fn empty(period: String) -> Period {
        Period {
            period,
            ..Period::default()
        }
    }

    /// Mails of `role`.
    pub fn count(&self, role: MailRole) -> usize {
        match role {
            MailRole::Patch => self.patch,
            MailRole::Review => self.review,
            MailRole::Reply => self.reply,
            MailRole::Other => self.other,
            MailRole::Bot => self.bot,
        }
    }

    fn add(&mut self, role: MailRole) {
        self.messages += 1;
        *match role {
            MailRole::Patch => &mut self.patch,
            MailRole::Review => &mut self.review,
            MailRole::Reply => &mut self.reply,
            MailRole::Other => &mut self.other,
            MailRole::Bot => &mut self.bot,
        } += 1;
    }
}

/// One week of the trend.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TrendWeek {
    /// ISO week, `2022-W10`, in the window's zone.
    pub week: String,
    pub messages: usize,
    /// Distinct threads (the index's thread ids) with a mail in the week.
    pub threads: usize,
}

/// The numbers of a report's charts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Activity {
    /// What a period of `periods` is.
    pub per: Per,
    /// Every day (or week) of the window, empty ones included.
    pub periods: Vec<Period>,
    /// The [`TREND_WEEKS`] weeks ending with the window's last week, oldest
    /// first; the last week counts its mails up to the window end.
    pub trend: Vec<TrendWeek>,
}

impl Activity {
    /// Nothing to chart (an empty window).
    pub fn is_empty(&self) -> bool {
        self.periods.iter().all(|p| p.messages == 0)
    }
}

fn local_day(zone: Tz, t: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .with_timezone(&zone)
        .date_naive()
}

fn iso_week(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// The first and last local day of `[start, end)`; None when it is empty.
fn day_span(window: &Window) -> Option<(NaiveDate, NaiveDate)> {
    if window.end <= window.start {
        return None;
    }
    Some((
        local_day(window.zone, window.start),
        local_day(window.zone, window.end - 1),
    ))
}

/// The window's mails (of `threads`) per day, or per ISO week when the
/// window is longer than [`MAX_DAYS`] days, by [`MailRole`]: every period
/// of the window, in order.
pub fn periods(window: &Window, threads: &[ThreadView]) -> (Per, Vec<Period>) {
    let Some((first, last)) = day_span(window) else {
        return (Per::Day, Vec::new());
    };
    let days = (last - first).num_days() + 1;
    let weekly = days > MAX_DAYS as i64;
    let name = |d: NaiveDate| {
        if weekly {
            iso_week(d)
        } else {
            d.format("%Y-%m-%d").to_string()
        }
    };
    let mut out: Vec<Period> = Vec::new();
    for d in first.iter_days().take_while(|d| *d <= last) {
        let p = name(d);
        if out.last().is_none_or(|r| r.period != p) {
            out.push(Period::empty(p));
        }
    }
    let slot: HashMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, p)| (p.period.clone(), i))
        .collect();
    for m in threads.iter().flat_map(|t| &t.messages) {
        if !m.in_window {
            continue;
        }
        let t = match window.field {
            TimeField::Received => m.ts,
            TimeField::Date => m.ds,
        };
        if let Some(&i) = slot.get(&name(local_day(window.zone, t))) {
            out[i].add(MailRole::of(m));
        }
    }
    (if weekly { Per::Week } else { Per::Day }, out)
}

/// Monday of the week [`TREND_WEEKS`]` - 1` weeks before the window's last
/// week, and that last day.
fn trend_span(window: &Window) -> Option<(NaiveDate, NaiveDate)> {
    let (_, last) = day_span(window)?;
    let monday = last - Duration::days(last.weekday().num_days_from_monday() as i64);
    Some((monday - Duration::weeks(TREND_WEEKS as i64 - 1), last))
}

/// Count `msgs` (with their thread ids, by row id) into the trend's weeks
/// from `first` to `last`: one row per week, empty weeks included.
fn count_weeks(
    window: &Window,
    first: NaiveDate,
    last: NaiveDate,
    msgs: &[Message],
    tid_of: &HashMap<i64, i64>,
) -> Vec<TrendWeek> {
    let mut weeks: BTreeMap<String, (usize, HashSet<i64>)> = BTreeMap::new();
    for d in first.iter_days().take_while(|d| *d <= last).step_by(7) {
        weeks.entry(iso_week(d)).or_default();
    }
    for m in msgs {
        let t = match window.field {
            TimeField::Received => m.received,
            TimeField::Date => m.ds,
        };
        if let Some(w) = weeks.get_mut(&iso_week(local_day(window.zone, t))) {
            w.0 += 1;
            w.1.insert(tid_of.get(&m.id).copied().unwrap_or(-m.id));
        }
    }
    weeks
        .into_iter()
        .map(|(week, (messages, threads))| TrendWeek {
            week,
            messages,
            threads: threads.len(),
        })
        .collect()
}

/// The trend of messages and threads over the [`TREND_WEEKS`] weeks that
/// end with the window's last week, as the archive held them at the window
/// end (within its commit range, when it has one): indexed queries over
/// those weeks alone.
pub fn trend(archive: &Archive, window: &Window) -> Result<Vec<TrendWeek>> {
    let Some((first, last)) = trend_span(window) else {
        return Ok(Vec::new());
    };
    let mut span = window.clone();
    span.start = crate::window::local_midnight(window.zone, first);
    // Every mail the archive held at the window end, not only the range's:
    // the earlier weeks are outside any `--range FROM..`.
    let ranges = span.seq_ranges.take();
    let held = |m: &Message| {
        ranges
            .as_deref()
            .is_none_or(|r| r.iter().any(|r| r.epoch == m.epoch && m.seq <= r.upto))
    };
    let msgs: Vec<Message> = archive
        .messages(&span)?
        .into_iter()
        .filter(|m| held(m))
        .collect();
    let tid_of = archive.message_tids(&span)?;
    Ok(count_weeks(window, first, last, &msgs, &tid_of))
}

/// The activity of a digest's window: [`periods`] of its threads and the
/// [`trend`] from the archive.
pub fn build(archive: &Archive, window: &Window, threads: &[ThreadView]) -> Result<Activity> {
    let (per, periods) = periods(window, threads);
    Ok(Activity {
        per,
        periods,
        trend: trend(archive, window)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{WindowSpec, parse_week, resolve};

    fn week() -> Window {
        resolve(
            &parse_week("2022-W10").unwrap(),
            Tz::UTC,
            TimeField::Received,
            1647302400,
        )
    }

    fn msg(id: i64, received: i64) -> Message {
        Message {
            id,
            epoch: 0,
            seq: id as u64,
            commit: String::new(),
            blob: String::new(),
            message_id: format!("{id}@x"),
            extra_message_ids: Vec::new(),
            mid_synthetic: false,
            date: Some(received),
            date_offset: Some(0),
            ds: received,
            received,
            commit_time: received,
            from_name: String::new(),
            from_addr: String::new(),
            subject: String::new(),
            in_reply_to: Vec::new(),
            references: Vec::new(),
            list_id: None,
            size: 0,
            problems: 0,
            deleted_by: None,
            to_cc: Vec::new(),
        }
    }

    #[test]
    fn a_week_has_seven_days_and_twelve_trend_weeks_ending_with_it() {
        let w = week();
        let (per, p) = periods(&w, &[]);
        assert_eq!(per, Per::Day);
        let days: Vec<&str> = p.iter().map(|p| p.period.as_str()).collect();
        assert_eq!(
            days,
            [
                "2022-03-07",
                "2022-03-08",
                "2022-03-09",
                "2022-03-10",
                "2022-03-11",
                "2022-03-12",
                "2022-03-13"
            ]
        );
        let (first, last) = trend_span(&w).unwrap();
        let t = count_weeks(&w, first, last, &[], &HashMap::new());
        assert_eq!(t.len(), TREND_WEEKS);
        assert_eq!(t[0].week, "2021-W51");
        assert_eq!(t[11].week, "2022-W10");
    }

    #[test]
    fn trend_counts_messages_and_distinct_threads_per_week() {
        let w = week();
        let (first, last) = trend_span(&w).unwrap();
        // Monday 2022-03-07 and Sunday 2022-03-06 (the week before).
        let mon = 1646611200;
        let msgs = [
            msg(1, mon + 10),
            msg(2, mon + 20),
            msg(3, mon + 30),
            msg(4, mon - 10),
        ];
        let tids: HashMap<i64, i64> = [(1, 7), (2, 7), (3, 8), (4, 7)].into_iter().collect();
        let t = count_weeks(&w, first, last, &msgs, &tids);
        assert_eq!(
            t[11],
            TrendWeek {
                week: "2022-W10".into(),
                messages: 3,
                threads: 2
            }
        );
        assert_eq!(
            t[10],
            TrendWeek {
                week: "2022-W09".into(),
                messages: 1,
                threads: 1
            }
        );
        assert_eq!(t.iter().map(|w| w.messages).sum::<usize>(), 4);
    }

    #[test]
    fn long_windows_are_charted_per_week() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let w = resolve(
            &WindowSpec::Days {
                since: day("2022-01-03"),
                until: day("2022-03-13"),
            },
            Tz::UTC,
            TimeField::Received,
            1647302400,
        );
        let (per, p) = periods(&w, &[]);
        assert_eq!(per, Per::Week);
        assert_eq!(p.len(), 10);
        assert_eq!(p[0].period, "2022-W01");
        assert_eq!(p[9].period, "2022-W10");
        // The trend ends with the window's last week.
        assert_eq!(trend_span(&w).unwrap().1, day("2022-03-13"));
    }
}
