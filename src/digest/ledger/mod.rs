//! The series ledger: every series of a digest (its threads linked across
//! versions as the report links them, see [`VersionLinks`](super::VersionLinks)),
//! version by version, with a derived state as of a given time (the
//! archive's newest mail). Pure: made from a [`Digest`] alone. [`store`]
//! keeps the ledger of a whole archive in the index, updated by sync for
//! the series that new mails touch.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

pub mod store;

pub use super::view::State;
use super::view::{Digest, SeriesApplied, ThreadView};
use crate::analysis::{self, TrailerKind};

/// Days without a mail after which the newest version of a series is stale.
pub const DEFAULT_STALE_DAYS: i64 = 30;

/// A trailer given on one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerTrailer {
    pub kind: TrailerKind,
    pub who: String,
    /// Subject of the patch it was given on.
    pub patch: String,
    /// Written by the author in the patch (carried from an earlier review).
    pub carried: bool,
}

/// An applied notice of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub who: String,
    /// The tree or branch the notice names; empty when it names none.
    #[serde(rename = "where")]
    pub target: String,
    pub date: String,
}

/// One version of a series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub version: u32,
    /// First patch mail of the version, RFC 3339 UTC.
    pub date: String,
    /// N of the version's "n/N" subjects (1 for a single patch).
    pub patches: u32,
    /// The cover letter's Message-ID, else the first patch's.
    pub message_id: String,
    pub trailers: Vec<LedgerTrailer>,
    /// Replies to the version by people other than its author.
    pub replies: usize,
    pub applied: Option<Applied>,
    /// `date` in UTC seconds.
    #[serde(skip)]
    pub ts: i64,
}

/// One series: all its versions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesEntry {
    /// Message-ID of the first mail of the newest version's thread.
    pub id: String,
    pub title: String,
    /// The newest version.
    pub version: u32,
    pub versions: Vec<Version>,
    pub state: State,
    /// When the state was reached, RFC 3339 UTC.
    pub state_since: String,
    /// People who gave Reviewed-by, Acked-by or Tested-by, on any version.
    pub reviewers: Vec<String>,
    /// Newest mail of the series, RFC 3339 UTC.
    pub last_activity: String,
    /// Link to the newest version.
    pub url: String,
    /// Every thread of the series (ids), oldest version first.
    #[serde(skip)]
    pub threads: Vec<String>,
    /// The author of the newest version.
    pub author: String,
    /// The kind of the newest version's thread.
    #[serde(skip, default = "patch_kind")]
    pub kind: crate::analysis::Kind,
    /// Every Message-ID of the series.
    #[serde(skip)]
    pub message_ids: Vec<String>,
    /// The time of every mail of the series.
    #[serde(skip)]
    pub times: Vec<i64>,
    #[serde(skip)]
    pub last_ts: i64,
    #[serde(skip)]
    pub first_ts: i64,
    /// What `state` was derived from ([`SeriesEntry::set_state`] derives it
    /// again for another day).
    #[serde(skip)]
    pub facts: StateFacts,
}

fn patch_kind() -> crate::analysis::Kind {
    crate::analysis::Kind::Patch
}

/// What the state of a series is derived from, whatever the day it is
/// asked on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateFacts {
    /// Date of the newest applied notice of any version.
    pub applied: Option<String>,
    /// Date of the newer version that superseded the newest one here.
    pub superseded: Option<String>,
    /// The newest mail of the series.
    pub last_ts: i64,
    /// First Reviewed-by/Acked-by given (not carried) on the newest version.
    pub first_review: Option<i64>,
    /// First reply to the newest version by someone but its author.
    pub first_reply: Option<i64>,
    /// When the newest version was posted, RFC 3339 UTC.
    pub newest_date: String,
}

impl StateFacts {
    /// The state as of `as_of` (UTC seconds), stale after `stale_days`
    /// without a mail, and the date it was reached.
    pub fn state_at(&self, as_of: i64, stale_days: i64) -> (State, String) {
        if let Some(d) = &self.applied {
            return (State::Applied, d.clone());
        }
        if let Some(d) = &self.superseded {
            return (State::Superseded, d.clone());
        }
        let stale_at = self.last_ts.saturating_add(stale_days * 86_400);
        if stale_at <= as_of {
            (State::Stale, crate::clock::iso(stale_at))
        } else if let Some(ts) = self.first_review {
            (State::Reviewed, crate::clock::iso(ts))
        } else if let Some(ts) = self.first_reply {
            (State::InReview, crate::clock::iso(ts))
        } else {
            (State::New, self.newest_date.clone())
        }
    }
}

impl SeriesEntry {
    /// Derive `state` and `state_since` again, as of `as_of`.
    pub fn set_state(&mut self, as_of: i64, stale_days: i64) {
        (self.state, self.state_since) = self.facts.state_at(as_of, stale_days);
    }
}

/// The series of `d`'s patch threads, newest activity first, states as of
/// `as_of` (UTC seconds), stale after `stale_days`.
pub fn ledger(d: &Digest, as_of: i64, stale_days: i64) -> Vec<SeriesEntry> {
    let by_id: HashMap<&str, usize> = d
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    let is_series = |t: &ThreadView| t.series.facts.patch_mails > 0;
    // Union of the threads linked as versions.
    let mut parent: Vec<usize> = (0..d.threads.len()).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for (i, t) in d.threads.iter().enumerate() {
        if !is_series(t) {
            continue;
        }
        for other in [&t.series.previous_version, &t.series.superseded_by]
            .into_iter()
            .flatten()
        {
            if let Some(&j) = by_id.get(other.id.as_str())
                && is_series(&d.threads[j])
            {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                if a != b {
                    parent[a] = b;
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, t) in d.threads.iter().enumerate() {
        if is_series(t) {
            let r = find(&mut parent, i);
            groups.entry(r).or_default().push(i);
        }
    }
    let mut out: Vec<SeriesEntry> = groups
        .into_values()
        .map(|members| series_of(d, &members, as_of, stale_days))
        .collect();
    out.sort_by(|a, b| b.last_ts.cmp(&a.last_ts).then(a.id.cmp(&b.id)));
    out
}

fn version_of_subject(s: &str) -> u32 {
    analysis::parse_subject(s).effective_version()
}

fn series_of(d: &Digest, members: &[usize], as_of: i64, stale_days: i64) -> SeriesEntry {
    let mut threads: Vec<&ThreadView> = members.iter().map(|&i| &d.threads[i]).collect();
    threads.sort_by_key(|t| (t.series.facts.version, t.messages.first().map(|m| m.ts)));
    let mut versions: BTreeMap<u32, Version> = BTreeMap::new();
    let mut reviewers: Vec<String> = Vec::new();
    let mut message_ids = Vec::new();
    let mut times = Vec::new();
    let mut author_name = String::new();
    let mut last_ts = i64::MIN;
    let mut first_ts = i64::MAX;
    let mut last_activity = String::new();
    // Replies to a version by others, with their times; trailer times.
    let mut reply_ts: HashMap<u32, Vec<i64>> = HashMap::new();
    let mut review_ts: HashMap<u32, Vec<i64>> = HashMap::new();
    for t in &threads {
        let author = t
            .messages
            .iter()
            .find(|m| m.subject_info.is_patch_mail())
            .map(|m| m.sender.key.clone())
            .unwrap_or_default();
        let ts_of: HashMap<&str, i64> = t
            .messages
            .iter()
            .map(|m| (m.message_id.as_str(), m.ts))
            .collect();
        for m in &t.messages {
            message_ids.push(m.message_id.clone());
            times.push(m.ts);
            if m.ts > last_ts {
                last_ts = m.ts;
                last_activity = m.received.clone();
            }
            first_ts = first_ts.min(m.ts);
            let v = m.subject_info.effective_version();
            if m.subject_info.is_patch_mail() {
                author_name = crate::digest::format_from(&m.author.0, &m.author.1);
                let e = versions.entry(v).or_insert_with(|| Version {
                    version: v,
                    date: m.received.clone(),
                    patches: 0,
                    message_id: m.message_id.clone(),
                    trailers: Vec::new(),
                    replies: 0,
                    applied: None,
                    ts: m.ts,
                });
                if let Some((n, total)) = m.subject_info.part {
                    e.patches = e.patches.max(total);
                    if n == 0 {
                        e.message_id = m.message_id.clone();
                    }
                } else {
                    e.patches = e.patches.max(1);
                }
                if m.ts < e.ts {
                    e.ts = m.ts;
                    e.date = m.received.clone();
                }
            } else if m.sender.key != author && m.bot.is_none() {
                reply_ts.entry(v).or_default().push(m.ts);
            }
        }
        let r = &t.review;
        for g in r.all_given() {
            let v = version_of_subject(&g.patch);
            if let Some(e) = versions.get_mut(&v) {
                e.trailers.push(LedgerTrailer {
                    kind: g.kind,
                    who: g.name.clone(),
                    patch: g.patch.clone(),
                    carried: g.carried,
                });
            }
            if !g.carried
                && matches!(g.kind, TrailerKind::ReviewedBy | TrailerKind::AckedBy)
                && let Some(&ts) = ts_of.get(g.message_id.as_str())
            {
                review_ts.entry(v).or_default().push(ts);
            }
            if g.kind != TrailerKind::ReportedBy && !reviewers.contains(&g.name) {
                reviewers.push(g.name.clone());
            }
        }
        if let Some(n) = r.applied.first() {
            let v = t.series.facts.version;
            if let Some(e) = versions.get_mut(&v)
                && e.applied.is_none()
            {
                // Named as the notice's own mail names its writer (the
                // digest's display name depends on the other mails read).
                let who = t
                    .messages
                    .iter()
                    .find(|m| m.message_id == n.message_id)
                    .map(|m| m.author.0.clone())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| n.by.clone());
                e.applied = Some(Applied {
                    who,
                    target: n.target.clone().unwrap_or_default(),
                    date: n.date.clone(),
                });
            }
        }
    }
    for (v, e) in versions.iter_mut() {
        e.replies = reply_ts.get(v).map_or(0, Vec::len);
    }
    let newest_thread = threads.last().expect("a series has a thread");
    let versions: Vec<Version> = versions.into_values().collect();
    let newest = versions.last().cloned();
    let version = newest.as_ref().map_or(1, |v| v.version);
    // Applied: the newest version, or an earlier one whose notice came
    // after the newest was posted. A version applied in part and then
    // posted again with the rest is not applied.
    let newest_posted = newest.as_ref().map(|v| v.date.clone()).unwrap_or_default();
    let facts = StateFacts {
        applied: versions
            .iter()
            .rev()
            .filter_map(|v| v.applied.as_ref().map(|a| (v.version, a)))
            .find(|(v, a)| *v == version || a.date >= newest_posted)
            .map(|(_, a)| a.date.clone()),
        superseded: newest_thread
            .series
            .superseded_by
            .as_ref()
            .map(|n| n.date.clone()),
        last_ts,
        first_review: review_ts
            .get(&version)
            .and_then(|v| v.iter().min())
            .copied(),
        first_reply: reply_ts.get(&version).and_then(|v| v.iter().min()).copied(),
        newest_date: newest.as_ref().map(|v| v.date.clone()).unwrap_or_default(),
    };
    let (state, since) = facts.state_at(as_of, stale_days);
    SeriesEntry {
        id: newest_thread.id.clone(),
        title: analysis::parse_subject(&newest_thread.subject).title,
        version,
        versions,
        state,
        state_since: since,
        reviewers,
        last_activity,
        url: newest_thread.url.clone(),
        threads: threads.iter().map(|t| t.id.clone()).collect(),
        author: author_name,
        kind: newest_thread.kind,
        message_ids,
        times,
        last_ts,
        first_ts,
        facts,
    }
}

/// Days without a reply after which a series awaits review.
pub const DEFAULT_AWAITING_DAYS: i64 = 7;

/// A series whose newest version had no reply from anyone but its author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Awaiting {
    pub id: String,
    pub title: String,
    pub version: u32,
    /// When the newest version was posted, RFC 3339 UTC.
    pub since: String,
    /// Whole days from `since` to the end of the window.
    pub days: i64,
    pub url: String,
}

/// The series of `series` (a ledger as of `as_of`) whose newest version,
/// of a kind that asks for review ([`Kind::asks_for_review`](crate::analysis::Kind::asks_for_review):
/// no stable backport), neither applied nor superseded, had no reply from anyone but its author
/// for at least `min_days` at `as_of`: oldest first.
pub fn awaiting_review(series: &[SeriesEntry], as_of: i64, min_days: i64) -> Vec<Awaiting> {
    let mut out: Vec<(i64, Awaiting)> = series
        .iter()
        .filter(|s| s.kind.asks_for_review())
        .filter(|s| !matches!(s.state, State::Applied | State::Superseded))
        .filter_map(|s| {
            let v = s.versions.last()?;
            let age = as_of - v.ts;
            (v.replies == 0 && v.applied.is_none() && age >= min_days * 86_400).then(|| {
                (
                    v.ts,
                    Awaiting {
                        id: s.id.clone(),
                        title: s.title.clone(),
                        version: v.version,
                        since: v.date.clone(),
                        days: age / 86_400,
                        url: s.url.clone(),
                    },
                )
            })
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    out.into_iter().map(|(_, a)| a).collect()
}

/// Set each thread's `series.state` from the ledger `series`, and
/// `series.applied` when a version of its series was applied at or after
/// `since` (UTC seconds: the start of the window).
pub fn mark_states(threads: &mut [ThreadView], series: &[SeriesEntry], since: i64) {
    let since = crate::clock::iso(since);
    let of: HashMap<&str, &SeriesEntry> = series
        .iter()
        .flat_map(|s| s.threads.iter().map(move |t| (t.as_str(), s)))
        .collect();
    for t in threads {
        if let Some(s) = of.get(t.id.as_str()) {
            t.series.state = Some(s.state);
            t.series.state_since = Some(s.state_since.clone());
            t.series.applied = s.versions.iter().rev().find_map(|v| {
                let a = v.applied.as_ref()?;
                (a.date >= since).then(|| SeriesApplied {
                    version: v.version,
                    who: a.who.clone(),
                    target: a.target.clone(),
                    date: a.date.clone(),
                })
            });
        }
    }
}
