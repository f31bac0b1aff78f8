//! A list's archive as the commands see it: the mirror on disk plus its
//! index, kept in step. Wires the mirror, walk and index stages.

use std::path::Path;

use crate::error::{Error, Result};
use crate::index::{Index, IndexStats, Message, SeqRange};
use crate::mirror::Mirror;
use crate::progress::Progress;
use crate::walk::{Change, Epoch, WalkedCommit};
use crate::window::{RangeArg, RangeOut, Window};

/// Commits read and stored per transaction: bounds memory and lets an
/// interrupted run resume from the last stored batch.
const BATCH: usize = 4096;

pub struct Archive {
    pub mirror: Mirror,
    pub index: Index,
}

impl Archive {
    /// Open the list's index (creating it). Does not touch the network.
    pub fn open(data_dir: &Path, list: &str) -> Result<Archive> {
        let mirror = Mirror::new(data_dir, list)?;
        std::fs::create_dir_all(&mirror.root).map_err(|e| Error::io(&mirror.root, e))?;
        let index = Index::open(&mirror.index_path())?;
        Ok(Archive { mirror, index })
    }

    /// True when some epoch on disk has commits the index has not seen.
    pub fn index_is_stale(&self) -> Result<bool> {
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
            let mut seq = plan.base_seq;
            for chunk in plan.commits.chunks(BATCH) {
                let mut walked = epoch.read(chunk, seq);
                self.mark_duplicates(&epoch, &mut walked)?;
                seq += chunk.len() as u64;
                let tip = chunk.last().expect("chunks are not empty").to_string();
                self.index
                    .apply_batch(ep.number, &walked, &tip, seq, &mut stats)?;
                bar.inc(chunk.len() as u64);
            }
            bar.finish();
        }
        Ok(stats)
    }

    /// A later message with an already indexed Message-ID is kept in the
    /// index but not counted (`duplicate_of`), as public-inbox indexes one
    /// message per Message-ID: threads are built on Message-IDs, so a second
    /// copy cannot be a node of its own. When the copies differ in content
    /// (not only in trace headers) the later one is flagged
    /// `reused-message-id` for the data-quality appendix. Only messages whose
    /// Message-ID was seen before are read again.
    fn mark_duplicates(&self, epoch: &Epoch, walked: &mut [WalkedCommit]) -> Result<()> {
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
                    (epoch.number, w.commit.clone(), w.blob.clone()),
                );
                continue;
            };
            let old = if p_epoch == epoch.number {
                epoch.read_blob(&p_blob)?
            } else {
                let ep = self
                    .mirror
                    .epochs()?
                    .into_iter()
                    .find(|e| e.number == p_epoch)
                    .ok_or_else(|| {
                        Error::git(p_epoch, &self.mirror.root, "epoch missing from the mirror")
                    })?;
                Epoch::open(p_epoch, &ep.path)?.read_blob(&p_blob)?
            };
            let new = epoch.read_blob(&w.blob)?;
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
            Err(Error::Locked { message }) => {
                progress.note(&format!("index not updated: {message}"));
                Ok(())
            }
            Err(e) => Err(e),
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
                0 => Err(Error::Usage(format!(
                    "--range: commit {rev} is not in the index of {} (sync first?)",
                    self.mirror.list
                ))),
                1 => Ok(found.into_iter().next().expect("one")),
                _ => Err(Error::Usage(format!(
                    "--range: commit {rev} is ambiguous; give more digits"
                ))),
            }
        };
        for a in args {
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
                let state = epochs.iter().find(|s| s.epoch == e).ok_or_else(|| {
                    Error::Usage(format!(
                        "--range: epoch {e} is not indexed for {}",
                        self.mirror.list
                    ))
                })?;
                let (upto, to_id) = match &to {
                    Some(t) => (t.1, t.2.clone()),
                    None => (state.commits, state.tip.clone()),
                };
                let (after, from_id) = match &from {
                    Some(f) => (f.1, Some(f.2.clone())),
                    None => (0, None),
                };
                if after > upto {
                    return Err(Error::Usage(format!(
                        "--range: {} comes after {} in epoch {e}",
                        from_id.unwrap_or_default(),
                        to_id
                    )));
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
        self.index.messages_in_window(
            window.field,
            window.start,
            window.end,
            window.seq_ranges.as_deref(),
        )
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

impl Archive {
    /// Times (by `field`) of the first and last mail that counts, within
    /// the commit ranges when given; None when there is none.
    pub fn mail_span(
        &self,
        field: crate::index::TimeField,
        ranges: Option<&[SeqRange]>,
    ) -> Result<Option<(i64, i64)>> {
        self.index.time_span(field, ranges)
    }
}
