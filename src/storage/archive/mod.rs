//! A list's archive as the commands see it: the mirror on disk plus its
//! index, kept in step. Wires the mirror, walk and index stages.

use std::path::Path;

use crate::progress::Progress;
use crate::storage::index::{self, Index, IndexStats, Message, SeqRange};
use crate::storage::mirror::{self, EpochSync, Known, ListLock, Mirror, Source, Wait};
use crate::storage::walk::{self, Change, Epoch, WalkedCommit};
use crate::window::{RangeArg, RangeOut, Window};

mod error;
mod ledger;

pub use error::{Error, RangeError, Result};

/// Commits read and stored per transaction: bounds memory and lets an
/// interrupted run resume from the last stored batch.
const BATCH: usize = 4096;

pub struct Archive {
    mirror: Mirror,
    index: Index,
}

/// How `sync` runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOptions {
    /// Only mirror; leave the index as it is.
    pub no_index: bool,
    /// How long to wait for the list lock and for git locks of other programs.
    pub wait: Wait,
    /// Mirror the source even when it is another archive, throwing away the
    /// list's mirror, index and summaries once the new one is complete.
    pub replace: bool,
}

/// What a sync did.
pub struct Synced {
    pub archive: Archive,
    pub epochs: Vec<EpochSync>,
    pub index: Option<IndexStats>,
    /// True when `--replace` swapped in a new archive.
    pub replaced: bool,
}

impl Archive {
    /// Open the list's index (creating it), without the lock and without
    /// repairing anything. Does not touch the network.
    pub fn open(data_dir: &Path, list: &str) -> Result<Archive> {
        let mirror = Mirror::new(data_dir, list)?;
        std::fs::create_dir_all(&mirror.root).map_err(|e| Error::io(&mirror.root, e))?;
        let index = Index::open(&mirror.index_path())?;
        Ok(Archive { mirror, index })
    }

    /// Open a list for a command that only reads (stats, threads). The
    /// index is brought up to date when it is behind the mirror, missing or
    /// damaged, but only when no other run holds the list lock: a reader
    /// never moves or rebuilds an index that someone else is writing.
    pub fn open_for_reading(data_dir: &Path, list: &str, progress: &Progress) -> Result<Archive> {
        let mirror = Mirror::new(data_dir, list)?;
        ensure_synced(&mirror, data_dir)?;
        let path = mirror.index_path();
        let opened = if path.exists() {
            Index::open(&path)
        } else {
            Err(index::Error::Unusable {
                path: path.clone(),
                reason: index::Unusable::Missing,
            })
        };
        match opened {
            Ok(index) => {
                let mut archive = Archive { mirror, index };
                archive.refresh(progress)?;
                Ok(archive)
            }
            Err(e @ index::Error::Io(_)) => Err(e.into()),
            Err(e) => {
                // Repair needs the lock; without it, say why and stop.
                let lock = match mirror.lock() {
                    Ok(lock) => lock,
                    Err(lock @ mirror::Error::Locked { .. }) => {
                        return Err(Error::Unrepairable {
                            list: list.to_string(),
                            index: Box::new(e),
                            lock: Box::new(lock),
                        });
                    }
                    Err(other) => return Err(other.into()),
                };
                let (archive, _lock) = Self::open_locked(mirror, lock, progress)?;
                Ok(archive)
            }
        }
    }

    /// Open a list for a command that writes (sync, index, report): take
    /// the list lock first (waiting as `wait` allows, else refused with
    /// exit 75 naming the holder), repair a damaged or missing index and
    /// bring it up to date. Keep the lock while writing.
    pub fn open_for_writing(
        data_dir: &Path,
        list: &str,
        wait: Wait,
        progress: &Progress,
    ) -> Result<(Archive, ListLock)> {
        let mirror = Mirror::new(data_dir, list)?;
        ensure_synced(&mirror, data_dir)?;
        let lock = mirror.lock_waiting(wait, progress)?;
        Self::open_locked(mirror, lock, progress)
    }

    fn open_locked(
        mirror: Mirror,
        lock: ListLock,
        progress: &Progress,
    ) -> Result<(Archive, ListLock)> {
        let path = mirror.index_path();
        if !path.exists() {
            progress.note(&format!(
                "list {}: the index {} is missing; building it again from the mirror",
                mirror.list,
                path.display()
            ));
        }
        let index = Index::open_repairing(&path, &|m| progress.note(&m))?;
        let mut archive = Archive { mirror, index };
        if archive.index_is_stale()? {
            archive.update_index(progress)?;
        }
        Ok((archive, lock))
    }

    /// Clone or fetch the list from `source` (or the remembered source),
    /// then update the index. A source with another history is refused
    /// unless `replace`; a first sync that fails leaves nothing behind.
    pub fn sync(
        data_dir: &Path,
        list: &str,
        source: Option<Source>,
        opts: SyncOptions,
        progress: &Progress,
    ) -> Result<Synced> {
        let mirror = Mirror::new(data_dir, list)?;
        let lock = mirror.lock_waiting(opts.wait, progress)?;
        if opts.replace {
            return Self::sync_replacing(data_dir, mirror, source, opts, progress, lock);
        }
        // Decided under the lock: a run that waited for another's first
        // sync must not remove what that run made.
        let fresh =
            !mirror.has_state()? && mirror.epochs()?.is_empty() && !mirror.index_path().exists();
        let result = Self::sync_locked(mirror.clone(), source, opts, progress);
        if result.is_err() && fresh {
            // Nothing of a failed first sync stays: no list appears that
            // `stats` or `report` would then read as empty.
            let _ = std::fs::remove_dir_all(&mirror.root);
        }
        drop(lock);
        result
    }

    fn sync_locked(
        mirror: Mirror,
        source: Option<Source>,
        opts: SyncOptions,
        progress: &Progress,
    ) -> Result<Synced> {
        let path = mirror.index_path();
        let (roots, tips) = if path.exists() {
            let ix = Index::open_repairing(&path, &|m| progress.note(&m))?;
            let tips = ix.epochs()?.into_iter().map(|e| (e.epoch, e.tip)).collect();
            (ix.roots()?, tips)
        } else {
            Default::default()
        };
        let known = Known {
            roots,
            tips,
            wait: opts.wait,
        };
        let epochs = mirror.sync(source, &known, progress)?;
        if !path.exists() && !opts.no_index {
            progress.note(&format!(
                "list {}: building the index {}",
                mirror.list,
                path.display()
            ));
        }
        let index = Index::open_repairing(&path, &|m| progress.note(&m))?;
        let mut archive = Archive { mirror, index };
        let stats = if opts.no_index {
            None
        } else {
            Some(archive.update_index(progress)?)
        };
        Ok(Synced {
            archive,
            epochs,
            index: stats,
            replaced: false,
        })
    }

    /// `sync --replace`: mirror and index the source beside the list
    /// (`DIR/.LIST.replacing`), then swap it in; the old mirror, index and
    /// summaries go only once the new archive is complete.
    fn sync_replacing(
        data_dir: &Path,
        mirror: Mirror,
        source: Option<Source>,
        opts: SyncOptions,
        progress: &Progress,
        lock: ListLock,
    ) -> Result<Synced> {
        let staging = Mirror::at(
            data_dir.join(format!(".{}.replacing", mirror.list)),
            &mirror.list,
        );
        if staging.root.exists() {
            std::fs::remove_dir_all(&staging.root).map_err(|e| Error::io(&staging.root, e))?;
        }
        let source = match source {
            Some(s) => Some(s),
            None => mirror.state()?.map(|s| s.source),
        };
        let staged = Self::sync_locked(
            staging.clone(),
            source,
            SyncOptions {
                replace: false,
                ..opts
            },
            progress,
        );
        let staged = match staged {
            Ok(s) => s,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging.root);
                return Err(e);
            }
        };
        let epochs = staged.epochs;
        let stats = staged.index;
        drop(staged.archive);
        let old = data_dir.join(format!(".{}.replaced", mirror.list));
        let _ = std::fs::remove_dir_all(&old);
        if mirror.root.exists() {
            std::fs::rename(&mirror.root, &old).map_err(|e| Error::io(&mirror.root, e))?;
        }
        std::fs::rename(&staging.root, &mirror.root).map_err(|e| Error::io(&staging.root, e))?;
        drop(lock);
        std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        progress.note(&format!(
            "list {}: replaced the mirror, index and summaries with {}",
            mirror.list,
            mirror
                .state()?
                .map(|s| s.source.describe())
                .unwrap_or_default()
        ));
        let index = Index::open(&mirror.index_path())?;
        Ok(Synced {
            archive: Archive { mirror, index },
            epochs,
            index: stats,
            replaced: true,
        })
    }

    /// Recreate (`rebuild`) or update the index from the mirror on disk.
    pub fn reindex(
        data_dir: &Path,
        list: &str,
        rebuild: bool,
        progress: &Progress,
    ) -> Result<(Archive, IndexStats)> {
        let mirror = Mirror::new(data_dir, list)?;
        ensure_synced(&mirror, data_dir)?;
        let lock = mirror.lock()?;
        if rebuild {
            crate::storage::index::remove_files(&mirror.index_path())?;
        }
        let index = Index::open_repairing(&mirror.index_path(), &|m| progress.note(&m))?;
        let mut archive = Archive { mirror, index };
        if archive.mirror.epochs()?.is_empty() {
            return Err(Error::NoMirror {
                list: list.to_string(),
                root: archive.mirror.root.clone(),
            });
        }
        let stats = archive.update_index(progress)?;
        drop(lock);
        Ok((archive, stats))
    }

    /// The list's name.
    pub fn list(&self) -> &str {
        &self.mirror.list
    }

    /// Thread ids of the window's mails (see [`crate::storage::tid`]).
    pub fn thread_ids_in_window(
        &self,
        field: crate::storage::index::TimeField,
        start: i64,
        end: i64,
        ranges: Option<&[SeqRange]>,
    ) -> Result<std::collections::BTreeSet<i64>> {
        Ok(self.index.thread_ids_in_window(field, start, end, ranges)?)
    }

    /// Every counted mail of these thread ids.
    pub fn messages_of_threads(&self, tids: &[i64]) -> Result<Vec<Message>> {
        Ok(self.index.messages_of_threads(tids)?)
    }

    /// Threads whose mails carry a subject key starting with `prefix` (the
    /// versions of a patch series).
    pub fn thread_ids_by_subject_key(
        &self,
        prefix: &str,
    ) -> Result<Vec<crate::storage::index::ThreadHit>> {
        Ok(self.index.thread_ids_by_subject_key(prefix)?)
    }

    /// The threads of the live mails with Message-ID `mid`.
    pub fn thread_ids_by_message_id(
        &self,
        mid: &str,
    ) -> Result<Vec<crate::storage::index::ThreadHit>> {
        Ok(self.index.thread_ids_by_message_id(mid)?)
    }

    /// Repeated copies of mails whose time lies in the window, with the
    /// commit of the original.
    pub fn duplicates_in_window(
        &self,
        field: crate::storage::index::TimeField,
        start: i64,
        end: i64,
    ) -> Result<Vec<(Message, String)>> {
        Ok(self.index.duplicates_in_window(field, start, end)?)
    }

    /// Every sender name of the archive (people the grounding check knows).
    pub fn sender_names(&self) -> Result<Vec<String>> {
        Ok(self.index.sender_names()?)
    }

    /// Of `addrs` (lower-cased), those with a mail before `before`.
    pub fn addresses_seen_before(
        &self,
        addrs: &[String],
        field: crate::storage::index::TimeField,
        before: i64,
    ) -> Result<std::collections::HashSet<String>> {
        Ok(self.index.addresses_seen_before(addrs, field, before)?)
    }

    /// The index database file.
    pub fn index_path(&self) -> &Path {
        self.index.path()
    }

    /// The epoch repositories on disk: (number, path).
    pub fn epoch_paths(&self) -> Result<Vec<(u32, std::path::PathBuf)>> {
        Ok(self
            .mirror
            .epochs()?
            .into_iter()
            .map(|e| (e.number, e.path))
            .collect())
    }

    /// The raw bytes of the counted mails `mids`, in that order (none for
    /// a Message-ID not archived or a blob that cannot be read).
    pub fn raw_mails(&self, mids: &[&str]) -> Result<Vec<Option<Vec<u8>>>> {
        let found: std::collections::HashMap<String, (u32, String)> =
            (self.index.live_by_mids(mids)?.into_iter())
                .map(|(mid, e, _, blob)| (mid, (e, blob)))
                .collect();
        let items: Vec<(u32, &str)> = (mids.iter().filter_map(|m| found.get(*m)))
            .map(|(e, b)| (*e, b.as_str()))
            .collect();
        let mut read = walk::map_blobs(&self.epoch_paths()?, &items, |b| b.ok());
        let mut read = read.drain(..);
        Ok(mids
            .iter()
            .map(|m| found.get(*m).and_then(|_| read.next().flatten()))
            .collect())
    }

    /// Messages that count (not deleted, not a repeated copy).
    pub fn count(&self) -> Result<u64> {
        Ok(self.index.count()?)
    }

    /// Commits the walk could not read: (epoch, commit, error).
    pub fn walk_errors(&self) -> Result<Vec<(u32, String, String)>> {
        Ok(self.index.walk_errors()?)
    }

    /// The list's summary store (`DIR/LIST/summaries.sqlite3`), kept apart
    /// from the index so that no index operation loses a summary.
    pub fn summaries_path(&self) -> std::path::PathBuf {
        self.mirror.root.join("summaries.sqlite3")
    }

    /// True when some epoch on disk has commits the index has not seen.
    pub fn index_is_stale(&self) -> Result<bool> {
        if !self.index.is_complete()? {
            return Ok(true);
        }
        let known = self.index.epochs()?;
        for ep in self.mirror.epochs()? {
            let tip = Epoch::open(ep.number, &ep.path)?
                .tip()?
                .map(|t| t.to_string());
            let k = known
                .iter()
                .find(|k| k.epoch == ep.number)
                .map(|k| k.tip.clone());
            if tip != k {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Bring the index up to date with the mirror: only commits not yet
    /// indexed are read; a rewritten epoch is indexed again from scratch.
    pub fn update_index(&mut self, progress: &Progress) -> Result<IndexStats> {
        let mut stats = IndexStats::default();
        self.index.begin_bulk()?;
        for ep in self.mirror.epochs()? {
            let epoch = Epoch::open(ep.number, &ep.path)?;
            let known = self.index.epoch(ep.number)?;
            let plan = epoch.plan(known.as_ref().map(|k| (k.tip.as_str(), k.commits)))?;
            if plan.rewritten {
                progress.note(&format!(
                    "list {}: epoch {} history was rewritten (purge?); indexing it again",
                    self.mirror.list, ep.number
                ));
                self.index.drop_epoch(ep.number)?;
                stats.reindexed_epochs.push(ep.number);
            }
            if plan.commits.is_empty() {
                continue;
            }
            let bar = progress.bar(
                plan.commits.len() as u64,
                &format!("indexing {} epoch {}", self.mirror.list, ep.number),
            );
            // The next batch is read and parsed (in parallel) while this one
            // is stored: reading and SQLite then overlap instead of taking
            // turns. One batch waits in the channel at most, so memory
            // stays bounded by a few batches.
            // One handle on the epoch's packs: the reader's. Mapping them
            // twice would count every page read twice in resident memory;
            // duplicates open the epoch again only when there is one.
            drop(epoch);
            let reader = Epoch::open(ep.number, &ep.path)?;
            let chunks: Vec<(u64, &[gix::ObjectId])> = {
                let mut seq = plan.base_seq;
                plan.commits
                    .chunks(BATCH)
                    .map(|c| {
                        let at = seq;
                        seq += c.len() as u64;
                        (at, c)
                    })
                    .collect()
            };
            std::thread::scope(|scope| -> Result<()> {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<WalkedCommit>>(1);
                let chunks = &chunks;
                scope.spawn(move || {
                    for &(seq, chunk) in chunks {
                        if tx.send(reader.read(chunk, seq)).is_err() {
                            return; // the storing side stopped on an error
                        }
                    }
                });
                for (&(seq, chunk), mut walked) in chunks.iter().zip(rx) {
                    self.mark_duplicates(ep.number, &ep.path, &mut walked)?;
                    let upto = seq + chunk.len() as u64;
                    let tip = chunk.last().expect("chunks are not empty").to_string();
                    self.index
                        .apply_batch(ep.number, &walked, &tip, upto, &mut stats)?;
                    bar.inc(chunk.len() as u64);
                }
                Ok(())
            })?;
            bar.finish();
        }
        self.index.end_bulk()?;
        Ok(stats)
    }

    /// A later message with an already indexed Message-ID is kept in the
    /// index but not counted (`duplicate_of`), as public-inbox indexes one
    /// message per Message-ID: threads are built on Message-IDs, so a second
    /// copy cannot be a node of its own. When the copies differ in content
    /// (not only in trace headers) the later one is flagged
    /// `reused-message-id` for the data-quality appendix. Only messages whose
    /// Message-ID was seen before are read again.
    fn mark_duplicates(&self, number: u32, path: &Path, walked: &mut [WalkedCommit]) -> Result<()> {
        let mut opened: Option<Epoch> = None;
        use std::collections::HashMap;
        let mids: Vec<&str> = walked
            .iter()
            .filter_map(|w| match &w.change {
                Change::Add { mail, .. } if !mail.mid_synthetic => Some(mail.message_id.as_str()),
                _ => None,
            })
            .collect();
        let mut first: HashMap<String, (u32, String, String)> = HashMap::new();
        for (mid, e, c, b) in self.index.live_by_mids(&mids)? {
            first.entry(mid).or_insert((e, c, b));
        }
        for w in walked.iter_mut() {
            let Change::Add { mail, .. } = &mut w.change else {
                continue;
            };
            if mail.mid_synthetic {
                continue;
            }
            let prior = first.get(&mail.message_id).cloned();
            let Some((p_epoch, p_commit, p_blob)) = prior else {
                first.insert(
                    mail.message_id.clone(),
                    (number, w.commit.clone(), w.blob.clone()),
                );
                continue;
            };
            let epoch = match opened.take() {
                Some(e) => e,
                None => Epoch::open(number, path)?,
            };
            let old = if p_epoch == number {
                epoch.read_blob(&p_blob)?
            } else {
                let ep = self
                    .mirror
                    .epochs()?
                    .into_iter()
                    .find(|e| e.number == p_epoch)
                    .ok_or_else(|| Error::EpochMissing {
                        epoch: p_epoch,
                        root: self.mirror.root.clone(),
                    })?;
                Epoch::open(p_epoch, &ep.path)?.read_blob(&p_blob)?
            };
            let new = epoch.read_blob(&w.blob)?;
            opened = Some(epoch);
            if crate::mail::content_digest(&old) != crate::mail::content_digest(&new) {
                mail.problems |= crate::mail::problem::REUSED_MESSAGE_ID;
            }
            w.duplicate_of = Some(p_commit);
        }
        Ok(())
    }

    /// Update the index if it is behind the mirror and nobody else holds the
    /// list's lock; otherwise use it as it is.
    pub fn refresh(&mut self, progress: &Progress) -> Result<()> {
        if !self.index_is_stale()? {
            return Ok(());
        }
        match self.mirror.lock() {
            Ok(_lock) => {
                self.update_index(progress)?;
                Ok(())
            }
            Err(e @ mirror::Error::Locked { .. }) => {
                progress.note(&format!("index not updated: {e}"));
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Resolve `--range` arguments to positions in the index.
    pub fn resolve_ranges(&self, args: &[RangeArg]) -> Result<(Vec<SeqRange>, Vec<RangeOut>)> {
        let epochs = self.index.epochs()?;
        let mut seqs = Vec::new();
        let mut outs = Vec::new();
        let lookup = |rev: &str, epoch: Option<u32>| -> Result<(u32, u64, String)> {
            let found = self.index.find_commit(rev, epoch)?;
            match found.len() {
                0 => Err(Error::Range(RangeError::UnknownCommit {
                    rev: rev.to_string(),
                    list: self.mirror.list.clone(),
                })),
                1 => Ok(found.into_iter().next().expect("one")),
                _ => Err(Error::Range(RangeError::Ambiguous {
                    rev: rev.to_string(),
                })),
            }
        };
        let not_indexed = |e: u32| {
            let have: Vec<String> = epochs.iter().map(|s| s.epoch.to_string()).collect();
            Error::Range(RangeError::EpochNotIndexed {
                epoch: e,
                list: self.mirror.list.clone(),
                have: if have.is_empty() {
                    "none".into()
                } else {
                    have.join(", ")
                },
            })
        };
        for a in args {
            // An epoch that is not there is named before its commits are
            // looked up in it.
            if let Some(e) = a.epoch
                && !epochs.iter().any(|s| s.epoch == e)
            {
                return Err(not_indexed(e));
            }
            let to = a.to.as_deref().map(|t| lookup(t, a.epoch)).transpose()?;
            let from_epoch = a.epoch.or(to.as_ref().map(|t| t.0));
            let from = a
                .from
                .as_deref()
                .map(|f| lookup(f, from_epoch))
                .transpose()?;
            let epoch_nums: Vec<u32> = match (a.epoch, &to, &from) {
                (Some(e), _, _) => vec![e],
                (None, Some(t), _) => vec![t.0],
                (None, None, Some(f)) => vec![f.0],
                (None, None, None) => epochs.iter().map(|e| e.epoch).collect(),
            };
            for e in epoch_nums {
                let state = epochs
                    .iter()
                    .find(|s| s.epoch == e)
                    .ok_or_else(|| not_indexed(e))?;
                let (upto, to_id) = match &to {
                    Some(t) => (t.1, t.2.clone()),
                    None => (state.commits, state.tip.clone()),
                };
                let (after, from_id) = match &from {
                    Some(f) => (f.1, Some(f.2.clone())),
                    None => (0, None),
                };
                if after > upto {
                    return Err(Error::Range(RangeError::Backwards {
                        from: from_id.unwrap_or_default(),
                        to: to_id,
                        epoch: e,
                    }));
                }
                seqs.push(SeqRange {
                    epoch: e,
                    after,
                    upto,
                });
                outs.push(RangeOut {
                    epoch: e,
                    from: from_id,
                    to: to_id,
                });
            }
        }
        Ok((seqs, outs))
    }

    /// The messages of a window (time and commit ranges), not deleted.
    pub fn messages(&self, window: &Window) -> Result<Vec<Message>> {
        Ok(self.index.messages_in_window(
            window.field,
            window.start,
            window.end,
            window.seq_ranges.as_deref(),
        )?)
    }

    /// Thread id of each message (row id) of the window's time span.
    pub fn message_tids(&self, window: &Window) -> Result<std::collections::HashMap<i64, i64>> {
        Ok(self
            .index
            .message_tids_in_window(window.field, window.start, window.end)?)
    }

    /// The first mail of each thread of `tids`: (tid, time by `field`, subject).
    pub fn thread_firsts(
        &self,
        field: crate::storage::index::TimeField,
        tids: &[i64],
    ) -> Result<Vec<(i64, i64, String)>> {
        Ok(self.index.thread_firsts(field, tids)?)
    }

    /// The commit range of each epoch as it stands in the index: what a
    /// command run now has seen.
    pub fn current_ranges(&self) -> Result<Vec<RangeOut>> {
        Ok(self
            .index
            .epochs()?
            .into_iter()
            .map(|e| RangeOut {
                epoch: e.epoch,
                from: None,
                to: e.tip,
            })
            .collect())
    }
}

/// A list that was never synced has nothing to read: say so (and how to
/// sync it) instead of reporting an empty archive.
fn ensure_synced(mirror: &Mirror, data_dir: &Path) -> Result<()> {
    if mirror.has_state()? || !mirror.epochs()?.is_empty() {
        return Ok(());
    }
    Err(Error::NeverSynced {
        list: mirror.list.clone(),
        root: mirror.root.clone(),
        data_dir: data_dir.to_path_buf(),
        did_you_mean: closest_list(data_dir, &mirror.list)
            .map(|l| format!("; did you mean {l}?"))
            .unwrap_or_default(),
    })
}

/// The synced list in `data_dir` (a folder with `mirror.json`) whose name
/// is closest to `list`, if one is close (a typo or two away).
fn closest_list(data_dir: &Path, list: &str) -> Option<String> {
    let entries = std::fs::read_dir(data_dir).ok()?;
    entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("mirror.json").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name != list)
        .map(|name| (strsim::damerau_levenshtein(list, &name), name))
        .filter(|(d, name)| *d <= 2.max(name.len() / 4) && *d < name.len())
        .min()
        .map(|(_, name)| name)
}

impl Archive {
    /// Times (by `field`) of the first and last mail that counts, within
    /// the commit ranges when given; None when there is none.
    pub fn mail_span(
        &self,
        field: crate::storage::index::TimeField,
        ranges: Option<&[SeqRange]>,
    ) -> Result<Option<(i64, i64)>> {
        Ok(self.index.time_span(field, ranges)?)
    }
}
