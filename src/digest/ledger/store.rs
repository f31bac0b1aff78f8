//! The ledger of a whole archive, kept in the index (its `ledger_*`
//! tables, see [`crate::storage::index`]): derived from the threads that
//! mails touch, stored series by series, read back by window or by one
//! mail, its state derived again for the day it is asked on.
//!
//! - [`update`] brings the stored ledger up to the index: after a sync,
//!   only the series of the threads its new mails joined (with every other
//!   version of those series) are derived again; a removal, a rewritten
//!   epoch, other options ([`fingerprint`]) or a missing ledger derive it
//!   all again, a batch of threads at a time so memory stays bounded.
//! - [`in_window`] and [`of_message`] read only the series asked for.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{SeriesEntry, StateFacts, ledger};
use crate::analysis::Kind;
use crate::digest::{self, Options};
use crate::error::{Exit, ExitStatus, Result};
use crate::progress::Progress;
use crate::storage::archive::Archive;
use crate::storage::index::{LedgerMark, LedgerRow, TimeField};
use crate::window::{self, Window, WindowSpec};

/// Bump when what a stored series holds, or how it is derived, changes:
/// stored ledgers are then derived again on the next update.
const LEDGER_FORMAT: u32 = 2;

/// Threads derived together when the whole ledger is derived.
const REBUILD_BATCH: usize = 4000;

/// Rounds of following links to other versions before an update stops
/// looking for more (each round adds the threads the last one linked).
const MAX_ROUNDS: usize = 12;

/// A stored series: its public record and what the JSON leaves out.
#[derive(Serialize, Deserialize)]
struct Record {
    #[serde(flatten)]
    entry: SeriesEntry,
    hidden: Hidden,
}

#[derive(Serialize, Deserialize)]
struct Hidden {
    threads: Vec<String>,
    kind: Kind,
    first_ts: i64,
    version_ts: Vec<i64>,
    facts: StateFacts,
}

/// A stored series that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("series <{key}>: cannot store it: {source}")]
    Encode {
        key: String,
        source: serde_json::Error,
    },
    #[error(
        "the stored series ledger is damaged at series <{key}> ({source}); \
         `lore-digest index LIST --rebuild` derives it again"
    )]
    Damaged {
        key: String,
        source: serde_json::Error,
    },
}

impl ExitStatus for StoreError {
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

/// What [`update`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Updated {
    /// The stored ledger was up to date.
    Current,
    /// The series of `threads` index threads were derived again.
    Updated { threads: usize, series: usize },
    /// The whole ledger was derived again.
    Rebuilt { series: usize },
}

impl Updated {
    /// Series written by the update (0 when it was current).
    pub fn series(self) -> usize {
        match self {
            Updated::Current => 0,
            Updated::Updated { series, .. } | Updated::Rebuilt { series } => series,
        }
    }
}

impl std::fmt::Display for Updated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Updated::Current => write!(f, "up to date"),
            Updated::Updated { threads, series } => write!(
                f,
                "updated: {series} series of the {threads} thread(s) with new mail derived again"
            ),
            Updated::Rebuilt { series } => {
                write!(f, "derived from the whole archive: {series} series")
            }
        }
    }
}

/// The options and code a stored ledger was derived with: link base, kind
/// rules and [`LEDGER_FORMAT`], hashed.
pub fn fingerprint(opts: &Options) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    opts.link_base.hash(&mut h);
    serde_json::to_string(&opts.kinds)
        .unwrap_or_default()
        .hash(&mut h);
    format!("v{LEDGER_FORMAT}-{:016x}", h.finish())
}

/// A window over every mail the archive can hold.
fn whole_archive() -> Window {
    window::resolve(
        &WindowSpec::Instants {
            // 0001-01-01 to 9999-12-31: any time a mail can carry.
            start: -62_135_596_800,
            end: 253_402_300_800,
        },
        chrono_tz::UTC,
        TimeField::Received,
        0,
    )
}

/// Is the stored ledger derived from the index as it stands, with `opts`?
pub fn is_current(archive: &Archive, opts: &Options) -> Result<bool> {
    let fp = fingerprint(opts);
    Ok(archive.ledger_mark()?.as_ref() == Some(&archive.ledger_mark_now(&fp)?))
}

/// Bring the stored ledger up to the index (see the module's text). The
/// caller holds the list lock, or knows nobody else writes.
pub fn update(archive: &mut Archive, opts: &Options, progress: &Progress) -> Result<Updated> {
    let fp = fingerprint(opts);
    let now = archive.ledger_mark_now(&fp)?;
    let opts = Options {
        keep_bodies: false,
        ..opts.clone()
    };
    match archive.ledger_mark()? {
        Some(m) if m == now => Ok(Updated::Current),
        Some(m) if archive.ledger_only_appended(&m, &now) => {
            let seeds = archive.thread_ids_after(m.max_id)?;
            let (remove, rows) = derive(archive, &opts, seeds.iter().copied().collect())?;
            archive.ledger_write(false, &remove, &rows, &now)?;
            Ok(Updated::Updated {
                threads: seeds.len(),
                series: rows.len(),
            })
        }
        _ => rebuild(archive, &opts, &now, progress),
    }
}

/// Derive the whole ledger again, [`REBUILD_BATCH`] threads at a time: a
/// series that spans batches is derived again whole by the later one.
fn rebuild(
    archive: &mut Archive,
    opts: &Options,
    now: &LedgerMark,
    progress: &Progress,
) -> Result<Updated> {
    let tids = archive.all_thread_ids()?;
    let bar = progress.bar(
        tids.len() as u64,
        &format!("series ledger of {}", archive.list()),
    );
    // Marked "nothing stored" until the last batch is written: an
    // interrupted rebuild is done again by the next update.
    let mut unfinished = now.clone();
    unfinished.fingerprint = "unfinished".into();
    archive.ledger_write(true, &[], &[], &unfinished)?;
    for (i, chunk) in tids.chunks(REBUILD_BATCH).enumerate() {
        let (remove, rows) = derive(archive, opts, chunk.iter().copied().collect())?;
        let last = (i + 1) * REBUILD_BATCH >= tids.len();
        archive.ledger_write(false, &remove, &rows, if last { now } else { &unfinished })?;
        bar.inc(chunk.len() as u64);
    }
    if tids.is_empty() {
        archive.ledger_write(true, &[], &[], now)?;
    }
    bar.finish();
    Ok(Updated::Rebuilt {
        series: archive.ledger_all()?.len(),
    })
}

/// The digest of the index threads `tids` as the ledger reads them (all
/// their mails, whatever their time).
pub fn digest_of_threads(
    archive: &Archive,
    opts: &Options,
    tids: &[i64],
) -> Result<crate::digest::Digest> {
    let window = whole_archive();
    let g = digest::gather_threads(archive, &window, tids, false)?;
    Ok(digest::assemble(g, &window, opts))
}

/// The series of the threads `seeds` and of every thread linked to them as
/// another version, or stored in one series with them: the keys of the
/// stored series they replace, and their new rows.
fn derive(
    archive: &Archive,
    opts: &Options,
    mut seeds: BTreeSet<i64>,
) -> Result<(Vec<String>, Vec<LedgerRow>)> {
    let mut round = 0;
    let (d, stored) = loop {
        round += 1;
        let list: Vec<i64> = seeds.iter().copied().collect();
        let d = digest_of_threads(archive, opts, &list)?;
        let mids: Vec<&str> = (d.threads.iter())
            .flat_map(|t| t.messages.iter().map(|m| m.message_id.as_str()))
            .collect();
        let stored = archive.ledger_keys_of(&mids)?;
        let mut more: BTreeSet<i64> = archive.ledger_thread_ids(&stored)?.into_iter().collect();
        for t in d.threads.iter().filter(|t| t.series.facts.patch_mails > 0) {
            for r in [&t.series.previous_version, &t.series.superseded_by]
                .into_iter()
                .flatten()
            {
                more.extend(
                    archive
                        .thread_ids_by_message_id(&r.id)?
                        .iter()
                        .map(|h| h.tid),
                );
            }
        }
        if more.is_subset(&seeds) || round >= MAX_ROUNDS {
            break (d, stored);
        }
        seeds.extend(more);
    };
    let rows = ledger(&d, 0, super::DEFAULT_STALE_DAYS)
        .into_iter()
        .map(row_of)
        .collect::<Result<Vec<_>>>()?;
    Ok((stored, rows))
}

fn row_of(s: SeriesEntry) -> Result<LedgerRow> {
    let mids = s.message_ids.clone();
    let hidden = Hidden {
        threads: s.threads.clone(),
        kind: s.kind,
        first_ts: s.first_ts,
        version_ts: s.versions.iter().map(|v| v.ts).collect(),
        facts: s.facts.clone(),
    };
    let key = s.id.clone();
    let last_ts = s.last_ts;
    let record = serde_json::to_string(&Record { entry: s, hidden }).map_err(|source| {
        StoreError::Encode {
            key: key.clone(),
            source,
        }
    })?;
    Ok(LedgerRow {
        key,
        last_ts,
        record,
        mids,
    })
}

/// The series of a stored row, its state as of `as_of`.
fn entry_of(row: &LedgerRow, as_of: i64, stale_days: i64) -> Result<SeriesEntry> {
    let r: Record = serde_json::from_str(&row.record).map_err(|source| StoreError::Damaged {
        key: row.key.clone(),
        source,
    })?;
    let mut s = r.entry;
    s.threads = r.hidden.threads;
    s.kind = r.hidden.kind;
    s.first_ts = r.hidden.first_ts;
    s.last_ts = row.last_ts;
    for (v, ts) in s.versions.iter_mut().zip(r.hidden.version_ts) {
        v.ts = ts;
    }
    s.facts = r.hidden.facts;
    s.set_state(as_of, stale_days);
    Ok(s)
}

/// The stored series with a mail in `[start, end)` by `field`, newest
/// activity first, states as of `as_of`.
pub fn in_window(
    archive: &Archive,
    field: TimeField,
    start: i64,
    end: i64,
    as_of: i64,
    stale_days: i64,
) -> Result<Vec<SeriesEntry>> {
    archive
        .ledger_in_window(field, start, end)?
        .iter()
        .map(|r| entry_of(r, as_of, stale_days))
        .collect()
}

/// The stored series holding the mail `mid`, its state as of `as_of`.
pub fn of_message(
    archive: &Archive,
    mid: &str,
    as_of: i64,
    stale_days: i64,
) -> Result<Option<SeriesEntry>> {
    archive
        .ledger_of_message(mid)?
        .map(|r| entry_of(&r, as_of, stale_days))
        .transpose()
}

/// Every stored series, newest activity first, states as of `as_of`.
pub fn all(archive: &Archive, as_of: i64, stale_days: i64) -> Result<Vec<SeriesEntry>> {
    archive
        .ledger_all()?
        .iter()
        .map(|r| entry_of(r, as_of, stale_days))
        .collect()
}
