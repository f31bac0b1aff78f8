//! `lore-digest stats`: messages and distinct senders of a window, or one
//! row per week or day of it (`--per`).

use std::path::PathBuf;

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::WindowRequest;
use crate::analysis::people::Sender;
use crate::error::Result;
use crate::progress::Progress;
use crate::storage::archive::Archive;
use crate::storage::index::{Message, TimeField};
use crate::window::{RangeOut, Window};

/// What `stats` does.
#[derive(Debug, Clone)]
pub struct StatsPlan {
    pub data_dir: PathBuf,
    pub list: String,
    pub window: WindowRequest,
    pub json: bool,
    /// One row per week or day instead of one total.
    pub per: Option<Per>,
}

pub use crate::window::Per;

/// One week or day of `stats --per`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeriodRow {
    /// `2022-W10` or `2022-03-07`.
    pub period: String,
    pub messages: usize,
    /// Distinct threads with a mail in the period.
    pub threads: usize,
    /// Distinct people who sent mail in the period.
    pub senders: usize,
    /// Patch threads whose first mail is in the period.
    pub new_series: usize,
    /// Applied/queued/merged notices sent in the period.
    pub applied: usize,
    /// The window cuts the period: only part of it is counted.
    pub partial: bool,
}

#[derive(Debug, Serialize)]
pub struct StatsOut {
    pub list: String,
    pub window: Window,
    pub messages: usize,
    pub senders: usize,
    pub epochs: Vec<RangeOut>,
}

pub fn run(plan: &StatsPlan, progress: &Progress) -> Result<i32> {
    let archive = Archive::open_for_reading(&plan.data_dir, &plan.list, progress)?;
    let window = plan.window.resolve(&archive, crate::clock::now())?;
    super::stale_note(&archive, &window, progress)?;
    if let Some(per) = plan.per {
        return run_per(plan, per, &archive, &window);
    }
    let msgs = archive.messages(&window)?;
    let senders = crate::digest::count_senders(&archive, &msgs)?;
    let out = StatsOut {
        list: plan.list.clone(),
        messages: msgs.len(),
        senders,
        epochs: match &window.ranges {
            Some(r) => r.clone(),
            None => archive.current_ranges()?,
        },
        window,
    };
    if plan.json {
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&out).expect("serializes")
        );
    } else {
        crate::outln!(
            "{} {} ({} .. {}, {}, by {} time): {} messages from {} senders",
            plan.list,
            out.window.label,
            out.window.first_day,
            out.window.last_day,
            out.window.tz(),
            out.window.field.as_str(),
            out.messages,
            out.senders
        );
    }
    Ok(0)
}

/// The period of a local day.
fn period_of(per: Per, day: NaiveDate) -> String {
    match per {
        Per::Week => {
            let w = day.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        Per::Day => day.format("%Y-%m-%d").to_string(),
    }
}

/// Every period of the window, in order, with nothing counted yet.
fn periods(per: Per, window: &Window) -> Vec<PeriodRow> {
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let (Some(first), Some(last)) = (day(&window.first_day), day(&window.last_day)) else {
        return Vec::new();
    };
    let midnight = |d: NaiveDate| crate::window::local_midnight(window.zone, d);
    let mut out: Vec<PeriodRow> = Vec::new();
    for d in first.iter_days().take_while(|d| *d <= last) {
        let p = period_of(per, d);
        if out.last().is_none_or(|r| r.period != p) {
            // The period's own days: one day, or its ISO week.
            let (p_first, p_last) = match per {
                Per::Day => (d, d),
                Per::Week => {
                    let w = d.iso_week();
                    let day = |wd| NaiveDate::from_isoywd_opt(w.year(), w.week(), wd);
                    (
                        day(chrono::Weekday::Mon).unwrap_or(d),
                        day(chrono::Weekday::Sun).unwrap_or(d),
                    )
                }
            };
            let partial = window.start > midnight(p_first)
                || p_last
                    .succ_opt()
                    .is_some_and(|next| window.end < midnight(next));
            out.push(PeriodRow {
                period: p,
                partial,
                ..PeriodRow::default()
            });
        }
    }
    out
}

/// Rows of `stats --per`: one pass over the window's messages with the
/// thread ids of the index; senders by the people rules; the first mail of
/// each thread for new series; reply bodies for applied notices.
pub fn per_period(archive: &Archive, window: &Window, per: Per) -> Result<Vec<PeriodRow>> {
    let msgs = archive.messages(window)?;
    let tid_of = archive.message_tids(window)?;
    let senders = crate::digest::senders_of(archive, &msgs)?;
    let applied = crate::digest::applied_notices(archive, &msgs)?;
    let local = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .with_timezone(&window.zone)
            .date_naive()
    };
    let time = |m: &Message| match window.field {
        TimeField::Received => m.received,
        TimeField::Date => m.ds,
    };
    let mut rows = periods(per, window);
    let mut slot: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.period.clone(), i))
        .collect();
    let mut slot_of = |rows: &mut Vec<PeriodRow>, p: String| -> usize {
        *slot.entry(p.clone()).or_insert_with(|| {
            rows.push(PeriodRow {
                period: p,
                ..PeriodRow::default()
            });
            rows.len() - 1
        })
    };
    let mut threads: Vec<HashSet<i64>> = Vec::new();
    let mut people: Vec<Vec<Sender>> = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let s = slot_of(&mut rows, period_of(per, local(time(m))));
        if threads.len() < rows.len() {
            threads.resize_with(rows.len(), HashSet::new);
            people.resize_with(rows.len(), Vec::new);
        }
        rows[s].messages += 1;
        rows[s].applied += applied[i] as usize;
        threads[s].insert(tid_of.get(&m.id).copied().unwrap_or(-m.id));
        people[s].push(senders[i].clone());
    }
    threads.resize_with(rows.len(), HashSet::new);
    people.resize_with(rows.len(), Vec::new);
    for (s, row) in rows.iter_mut().enumerate() {
        row.threads = threads[s].len();
        row.senders = crate::analysis::people::count_people(&people[s]);
    }
    // New series: a patch mail (not a reply) first in its thread, in the window.
    let tids: Vec<i64> = tid_of
        .values()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for (_, t, subject) in archive.thread_firsts(window.field, &tids)? {
        if t < window.start || t >= window.end {
            continue;
        }
        if !crate::analysis::parse_subject(&subject).is_patch_mail() {
            continue;
        }
        let s = slot_of(&mut rows, period_of(per, local(t)));
        rows[s].new_series += 1;
    }
    rows.sort_by(|a, b| a.period.cmp(&b.period));
    Ok(rows)
}

fn run_per(plan: &StatsPlan, per: Per, archive: &Archive, window: &Window) -> Result<i32> {
    let rows = per_period(archive, window, per)?;
    let (key, plural) = match per {
        Per::Week => ("week", "weeks"),
        Per::Day => ("day", "days"),
    };
    if plan.json {
        let rows: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let mut row = serde_json::json!({
                    key: r.period,
                    "messages": r.messages,
                    "threads": r.threads,
                    "senders": r.senders,
                    "new_series": r.new_series,
                    "applied": r.applied,
                });
                if r.partial {
                    row["partial"] = serde_json::Value::Bool(true);
                }
                row
            })
            .collect();
        let out = serde_json::json!({
            "list": plan.list,
            "window": window,
            plural: rows,
        });
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&out).expect("serializes")
        );
    } else {
        crate::outln!("{key}\tmessages\tthreads\tsenders\tnew_series\tapplied");
        for r in &rows {
            crate::outln!(
                "{}{}\t{}\t{}\t{}\t{}\t{}",
                r.period,
                if r.partial { " (partial)" } else { "" },
                r.messages,
                r.threads,
                r.senders,
                r.new_series,
                r.applied
            );
        }
    }
    Ok(0)
}
