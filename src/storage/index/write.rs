//! Writing the index: batches of walked commits (messages, deletions,
//! walk errors) with their thread ids, each batch one transaction.

use rusqlite::{OptionalExtension, Transaction, params};

use super::query::MESSAGE_COLUMNS;
use super::query::row_to_message_at;
use super::schema::{LATE_INDEX_NAMES, LATE_INDEXES};
use super::{Error, Result};
use super::{Index, IndexStats, Message};
use crate::mail::ParsedMail;
use crate::storage::tid::Tids;
use crate::storage::walk::{Change, WalkedCommit};

impl Index {
    /// Prepare a run of [`Index::apply_batch`] calls. When the index holds
    /// no message yet (a first indexing, or a rebuild), the
    /// [`LATE_INDEXES`] are dropped and made again by [`Index::end_bulk`]:
    /// one sort of a million rows is much cheaper than a million random
    /// inserts into three B-trees. Returns whether it did so. A run
    /// interrupted before `end_bulk` leaves them missing; [`Index::is_complete`]
    /// then says so and the next indexing run makes them.
    pub fn begin_bulk(&mut self) -> Result<bool> {
        let empty: bool = self
            .connection()
            .query_row("SELECT NOT EXISTS(SELECT 1 FROM messages)", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))?;
        if empty {
            let drop: String = LATE_INDEX_NAMES
                .iter()
                .map(|n| format!("DROP INDEX IF EXISTS {n};"))
                .chain(["PRAGMA synchronous=OFF;".to_string()])
                .collect();
            self.connection()
                .execute_batch(&drop)
                .map_err(|e| self.err(e))?;
        }
        Ok(empty)
    }

    /// Make the [`LATE_INDEXES`] that are missing (after [`Index::begin_bulk`]
    /// or an interrupted first indexing).
    /// Also notes the number of counted messages when it is not noted
    /// (an index of an older lore-digest, or after a rewritten epoch).
    pub fn end_bulk(&mut self) -> Result<()> {
        self.connection()
            .execute_batch(LATE_INDEXES)
            .and_then(|()| {
                self.connection()
                    .execute_batch("PRAGMA synchronous=NORMAL;")
            })
            .map_err(|e| self.err(e))?;
        if self.noted_count()?.is_none() {
            let n = self.recount()?;
            self.connection()
                .execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES('live_messages', ?1)",
                    [n.to_string()],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Forget everything indexed from `epoch` (its history was rewritten).
    pub fn drop_epoch(&mut self, epoch: u32) -> Result<()> {
        let path = self.path.clone();
        let e = |err: rusqlite::Error| Error::sqlite(&path, err);
        let tx = self.conn_mut().transaction().map_err(e)?;
        for table in ["messages", "deletions", "walk_errors", "epochs"] {
            tx.execute(&format!("DELETE FROM {table} WHERE epoch=?1"), [epoch])
                .map_err(e)?;
        }
        // Counted again by `end_bulk`: deletions of other epochs may have
        // matched rows of this one.
        tx.execute("DELETE FROM meta WHERE key='live_messages'", [])
            .map_err(e)?;
        // What was derived from the index (the series ledger) must be
        // derived again: rows went and thread ids change.
        tx.execute(
            "INSERT INTO meta(key, value) VALUES('epoch_drops', '1') \
             ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            [],
        )
        .map_err(e)?;
        // Deletions from other epochs may have matched rows of this one;
        // they are re-applied when this epoch is indexed again.
        // The thread ids of the messages left are made again from scratch:
        // the dropped messages may have been what joined some of them.
        rethread(&tx).map_err(e)?;
        tx.commit().map_err(e)
    }

    /// Store a batch of walked commits of `epoch` (in history order) and move
    /// the epoch's tip to `tip`, in one transaction: an interrupted run
    /// leaves the index at the previous batch.
    pub fn apply_batch(
        &mut self,
        epoch: u32,
        batch: &[WalkedCommit],
        tip: &str,
        commits: u64,
        stats: &mut IndexStats,
    ) -> Result<()> {
        let path = self.path.clone();
        let e = |err: rusqlite::Error| Error::sqlite(&path, err);
        let tx = self.conn_mut().transaction().map_err(e)?;
        let mut tids = Tids::new();
        let mut live = 0i64;
        for w in batch {
            match &w.change {
                Change::Add { mail, size } => {
                    // A copy of a counted Message-ID is not counted: no tid.
                    let tid = match w.duplicate_of {
                        None => Some(tids.assign(&tx, mail.links()).map_err(e)?),
                        Some(_) => None,
                    };
                    insert_message(&tx, epoch, w, mail, *size, tid).map_err(e)?;
                    live += i64::from(w.duplicate_of.is_none());
                    stats.added += 1;
                }
                Change::Delete => {
                    let (matched, counted) = apply_deletion(&tx, epoch, w).map_err(e)?;
                    live -= i64::from(counted);
                    stats.deleted += u64::from(matched);
                }
                Change::Error(msg) => {
                    tx.execute(
                        "INSERT OR REPLACE INTO walk_errors(epoch, seq, commit_oid, error) VALUES(?1, ?2, ?3, ?4)",
                        params![epoch, w.seq, w.commit, msg],
                    )
                    .map_err(e)?;
                    stats.errors += 1;
                }
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO epochs(epoch, tip, commits) VALUES(?1, ?2, ?3)",
            params![epoch, tip, commits],
        )
        .map_err(e)?;
        tx.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + ?1 WHERE key='live_messages'",
            [live],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }
}

/// Assign every thread id again, in archive order (after a rewritten epoch
/// was dropped). Messages removed by a `d` keep their place, as when they
/// were first indexed.
fn rethread(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM thread_ids", [])?;
    tx.execute("UPDATE messages SET tid=NULL", [])?;
    let mut tids = Tids::new();
    let mut after = (-1i64, -1i64);
    loop {
        // In slices, so memory stays bounded on a large archive.
        let rows: Vec<(i64, i64, i64, Message)> = {
            let sql = format!(
                "SELECT epoch, seq, id, {MESSAGE_COLUMNS} FROM messages WHERE duplicate_of IS NULL \
                 AND (epoch, seq) > (?1, ?2) ORDER BY epoch, seq LIMIT 4096"
            );
            let mut st = tx.prepare_cached(&sql)?;
            st.query_map(params![after.0, after.1], |r| {
                let m = row_to_message_at(r, 3)?;
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, m))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
        };
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = (last.0, last.1);
        for (_, _, id, m) in &rows {
            let tid = tids.assign(tx, m.links())?;
            tx.prepare_cached("UPDATE messages SET tid=?1 WHERE id=?2")?
                .execute(params![tid, id])?;
        }
    }
}

fn insert_message(
    tx: &Transaction<'_>,
    epoch: u32,
    w: &WalkedCommit,
    mail: &ParsedMail,
    size: u64,
    tid: Option<i64>,
) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT OR REPLACE INTO messages(epoch, seq, commit_oid, blob_oid, message_id, extra_mids, mid_synthetic, \
         date, date_offset, ds, received, commit_time, from_name, from_addr, subject, in_reply_to, refs, list_id, \
         size, problems, deleted_by, duplicate_of, tid, subject_key, to_cc) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
         ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, NULL, ?21, ?22, ?23, ?24)",
    )?;
    st.execute(params![
        epoch,
        w.seq,
        w.commit,
        w.blob,
        mail.message_id,
        join_ids(&mail.extra_message_ids),
        mail.mid_synthetic,
        mail.date,
        mail.date_offset,
        mail.date_or(w.commit_time),
        mail.received_or(w.commit_time),
        w.commit_time,
        mail.from_name,
        mail.from_addr,
        mail.subject,
        join_ids(&mail.in_reply_to),
        join_ids(&mail.references),
        mail.list_id,
        size,
        mail.problems,
        w.duplicate_of,
        tid,
        subject_key(&mail.from_addr, &mail.subject),
        join_ids(&mail.to_cc),
    ])?;
    Ok(())
}

/// Lower-cased for matching: `char::to_lowercase` of each character, with
/// the final sigma folded too, so that the fold of a suffix is a suffix of
/// the fold.
fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

/// `messages.subject_key`: what finds the other versions of a patch series
/// without parsing every subject of the archive. The sender's address,
/// then the subject with white space collapsed, lower-cased and reversed,
/// so that every title that ends the subject (what
/// [`crate::analysis::parse_subject`] leaves after the reply prefixes and
/// tag groups) is a prefix of the reversed part: [`subject_key_prefix`].
/// Only subjects with a tag group (`[`, `***`) can be patch mails; others
/// get none.
pub fn subject_key(from_addr: &str, subject: &str) -> Option<String> {
    if !subject.contains('[') && !subject.contains("***") {
        return None;
    }
    let collapsed = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let rev: String = fold(&collapsed).chars().rev().collect();
    Some(format!("{}\n{rev}", fold(from_addr.trim())))
}

/// The prefix of [`subject_key`] shared by every mail of `author` whose
/// subject ends with `title`.
pub fn subject_key_prefix(author: &str, title: &str) -> String {
    let rev: String = fold(title.trim()).chars().rev().collect();
    format!("{}\n{rev}", fold(author.trim()))
}

/// Mark the newest live message with the deleted blob as removed. Returns
/// whether one was, and whether it was a counted one (not a copy).
fn apply_deletion(
    tx: &Transaction<'_>,
    epoch: u32,
    w: &WalkedCommit,
) -> rusqlite::Result<(bool, bool)> {
    let target: Option<(i64, bool)> = tx
        .query_row(
            "SELECT id, duplicate_of IS NULL FROM messages WHERE blob_oid=?1 AND deleted_by IS NULL ORDER BY duplicate_of IS NULL DESC, id DESC LIMIT 1",
            [&w.blob],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((id, _)) = target {
        tx.execute(
            "UPDATE messages SET deleted_by=?1 WHERE id=?2",
            params![w.commit, id],
        )?;
    }
    tx.execute(
        "INSERT OR REPLACE INTO deletions(epoch, seq, commit_oid, blob_oid, commit_time, matched) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
        params![epoch, w.seq, w.commit, w.blob, w.commit_time, target.is_some()],
    )?;
    Ok((target.is_some(), target.is_some_and(|(_, counted)| counted)))
}

fn join_ids(ids: &[String]) -> String {
    ids.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::{self, MAX_TO_CC};

    fn walked(seq: u64, raw: &str) -> WalkedCommit {
        let blob = format!("{seq:040x}");
        WalkedCommit {
            seq,
            commit: format!("c{seq}"),
            blob: blob.clone(),
            commit_time: 1_646_647_200 + seq as i64,
            change: Change::Add {
                mail: Box::new(mail::parse(raw.as_bytes(), &blob)),
                size: raw.len() as u64,
            },
            duplicate_of: None,
        }
    }

    #[test]
    fn a_row_carries_the_to_and_cc_addresses_lower_cased() {
        let dir = tempfile::tempdir().unwrap();
        let mut ix = Index::open(&dir.path().join("index.sqlite3")).unwrap();
        let many: Vec<String> = (0..MAX_TO_CC + 10)
            .map(|i| format!("P{i}@Example.org"))
            .collect();
        let batch = [
            walked(
                1,
                "Message-ID: <1@x>\nFrom: Alice <Alice@Example.org>\n\
                 To: Marc <MAZ@Kernel.org>\nCc: kvm: KVM@vger.kernel.org, Will <will@kernel.org>;\n\
                 Cc: \"Name, with comma\" <Oliver@Linux.dev>\nTo: maz@kernel.org\n\nbody\n",
            ),
            walked(2, "Message-ID: <2@x>\nFrom: b@x\n\nno addressees\n"),
            walked(
                3,
                &format!("Message-ID: <3@x>\nCc: {}\n\nmany\n", many.join(",\n ")),
            ),
        ];
        ix.apply_batch(0, &batch, "c3", 3, &mut IndexStats::default())
            .unwrap();
        let rows = ix.all_messages().unwrap();
        assert_eq!(
            rows[0].to_cc,
            [
                "maz@kernel.org",
                "kvm@vger.kernel.org",
                "will@kernel.org",
                "oliver@linux.dev"
            ]
        );
        assert!(rows[1].to_cc.is_empty());
        assert_eq!(rows[2].to_cc.len(), MAX_TO_CC);
        assert_eq!(rows[2].to_cc[0], "p0@example.org");
        // And after the thread ids are made again from the rows.
        ix.drop_epoch(1).unwrap();
        assert_eq!(ix.all_messages().unwrap()[0].to_cc, rows[0].to_cc);
    }
}
