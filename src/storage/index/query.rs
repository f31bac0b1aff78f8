//! Reading the index: the messages and threads of a window, series and
//! Message-ID look-ups, senders, counts and commit positions.

use rusqlite::{OptionalExtension, params};

use super::Result;
use super::{EpochState, Index, Message, SeqRange, ThreadHit, TimeField};

fn split_ids(s: String) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split('\n').map(str::to_string).collect()
    }
}

pub(super) const MESSAGE_COLUMNS: &str = "id, epoch, seq, commit_oid, blob_oid, message_id, extra_mids, mid_synthetic, \
     date, date_offset, ds, received, commit_time, from_name, from_addr, subject, in_reply_to, refs, \
     list_id, size, problems, deleted_by, to_cc";

fn row_to_message(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    row_to_message_at(r, 0)
}

/// A [`Message`] from [`MESSAGE_COLUMNS`] starting at column `o`.
pub(super) fn row_to_message_at(r: &rusqlite::Row<'_>, o: usize) -> rusqlite::Result<Message> {
    Ok(Message {
        id: r.get(o)?,
        epoch: r.get(o + 1)?,
        seq: r.get(o + 2)?,
        commit: r.get(o + 3)?,
        blob: r.get(o + 4)?,
        message_id: r.get(o + 5)?,
        extra_message_ids: split_ids(r.get(o + 6)?),
        mid_synthetic: r.get(o + 7)?,
        date: r.get(o + 8)?,
        date_offset: r.get(o + 9)?,
        ds: r.get(o + 10)?,
        received: r.get(o + 11)?,
        commit_time: r.get(o + 12)?,
        from_name: r.get(o + 13)?,
        from_addr: r.get(o + 14)?,
        subject: r.get(o + 15)?,
        in_reply_to: split_ids(r.get(o + 16)?),
        references: split_ids(r.get(o + 17)?),
        list_id: r.get(o + 18)?,
        size: r.get(o + 19)?,
        problems: r.get(o + 20)?,
        deleted_by: r.get(o + 21)?,
        to_cc: split_ids(r.get(o + 22)?),
    })
}

impl Index {
    pub fn epochs(&self) -> Result<Vec<EpochState>> {
        let mut st = self
            .connection()
            .prepare("SELECT epoch, tip, commits FROM epochs ORDER BY epoch")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| {
                Ok(EpochState {
                    epoch: r.get(0)?,
                    tip: r.get(1)?,
                    commits: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    pub fn epoch(&self, epoch: u32) -> Result<Option<EpochState>> {
        Ok(self.epochs()?.into_iter().find(|e| e.epoch == epoch))
    }

    /// The first commit (root) of each indexed epoch: what identifies the
    /// archive, so that a sync from another archive can be refused.
    pub fn roots(&self) -> Result<std::collections::BTreeMap<u32, String>> {
        let mut out = std::collections::BTreeMap::new();
        for table in ["messages", "deletions", "walk_errors"] {
            // Through the (epoch, seq) keys: a scan of `messages` would cost
            // a second on a million-message index, at every sync.
            let sql = format!(
                "SELECT epoch, commit_oid FROM {table} WHERE epoch IN (SELECT epoch FROM epochs) AND seq = 1"
            );
            let mut st = self.connection().prepare(&sql).map_err(|e| self.err(e))?;
            let rows = st
                .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))
                .map_err(|e| self.err(e))?;
            for row in rows {
                let (epoch, commit) = row.map_err(|e| self.err(e))?;
                out.insert(epoch, commit);
            }
        }
        Ok(out)
    }

    /// Messages whose time (`field`) lies in `[start, end)`, not deleted,
    /// optionally restricted to commit ranges, ordered by id.
    pub fn messages_in_window(
        &self,
        field: TimeField,
        start: i64,
        end: i64,
        ranges: Option<&[SeqRange]>,
    ) -> Result<Vec<Message>> {
        let col = match field {
            TimeField::Received => "received",
            TimeField::Date => "ds",
        };
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE {col} >= ?1 AND {col} < ?2 AND deleted_by IS NULL AND duplicate_of IS NULL ORDER BY epoch, seq"
        );
        let all = self.query_messages(&sql, params![start, end])?;
        Ok(filter_ranges(all, ranges))
    }

    /// Thread ids of the messages whose time (`field`) lies in `[start,
    /// end)`, not deleted, optionally restricted to commit ranges.
    pub fn thread_ids_in_window(
        &self,
        field: TimeField,
        start: i64,
        end: i64,
        ranges: Option<&[SeqRange]>,
    ) -> Result<std::collections::BTreeSet<i64>> {
        let col = match field {
            TimeField::Received => "received",
            TimeField::Date => "ds",
        };
        let sql = format!(
            "SELECT tid, epoch, seq FROM messages WHERE {col} >= ?1 AND {col} < ?2 \
             AND deleted_by IS NULL AND duplicate_of IS NULL AND tid IS NOT NULL"
        );
        let mut st = self
            .connection()
            .prepare_cached(&sql)
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![start, end], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, u64>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = std::collections::BTreeSet::new();
        for row in rows {
            let (tid, epoch, seq) = row.map_err(|e| self.err(e))?;
            if in_ranges(ranges, epoch, seq) {
                out.insert(tid);
            }
        }
        Ok(out)
    }

    /// Thread id of each message (row id) whose time (`field`) lies in
    /// `[start, end)`, not deleted: one pass for per-week and per-day counts.
    pub fn message_tids_in_window(
        &self,
        field: TimeField,
        start: i64,
        end: i64,
    ) -> Result<std::collections::HashMap<i64, i64>> {
        let col = match field {
            TimeField::Received => "received",
            TimeField::Date => "ds",
        };
        let sql = format!(
            "SELECT id, tid FROM messages WHERE {col} >= ?1 AND {col} < ?2 \
             AND deleted_by IS NULL AND duplicate_of IS NULL AND tid IS NOT NULL"
        );
        let mut st = self
            .connection()
            .prepare_cached(&sql)
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![start, end], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// The first mail (by `field`, not deleted) of each thread of `tids`:
    /// (tid, its time, its subject).
    pub fn thread_firsts(&self, field: TimeField, tids: &[i64]) -> Result<Vec<(i64, i64, String)>> {
        let col = match field {
            TimeField::Received => "received",
            TimeField::Date => "ds",
        };
        let mut out = Vec::new();
        for chunk in tids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            // SQLite takes the bare columns from the row of the MIN.
            let sql = format!(
                "SELECT tid, MIN({col}), subject FROM messages WHERE tid IN ({marks}) \
                 AND deleted_by IS NULL AND duplicate_of IS NULL GROUP BY tid"
            );
            let mut st = self
                .connection()
                .prepare_cached(&sql)
                .map_err(|e| self.err(e))?;
            let rows = st
                .query_map(rusqlite::params_from_iter(chunk.iter()), |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                out.push(row.map_err(|e| self.err(e))?);
            }
        }
        Ok(out)
    }

    /// Every message (not deleted) of the threads `tids`, ordered by
    /// (epoch, seq).
    pub fn messages_of_threads(&self, tids: &[i64]) -> Result<Vec<Message>> {
        let mut out = Vec::new();
        for chunk in tids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE tid IN ({marks}) \
                 AND deleted_by IS NULL AND duplicate_of IS NULL"
            );
            out.extend(self.query_messages(&sql, rusqlite::params_from_iter(chunk.iter()))?);
        }
        out.sort_by_key(|m| (m.epoch, m.seq));
        Ok(out)
    }

    /// The live mails with Message-ID `mid` (a link in a cover letter to an
    /// earlier version): their threads and places.
    pub fn thread_ids_by_message_id(&self, mid: &str) -> Result<Vec<ThreadHit>> {
        self.thread_hits("message_id = ?1", params![mid])
    }

    /// Messages (not deleted) whose [`subject_key`] starts with `prefix`.
    pub fn thread_ids_by_subject_key(&self, prefix: &str) -> Result<Vec<ThreadHit>> {
        let upper = format!("{prefix}\u{10FFFF}");
        self.thread_hits(
            "subject_key >= ?1 AND subject_key < ?2",
            params![prefix, upper],
        )
    }

    /// The thread and place of the live, threaded mails matching `filter`
    /// (an SQL condition on `messages`, with `args` as its parameters).
    fn thread_hits(&self, filter: &str, args: impl rusqlite::Params) -> Result<Vec<ThreadHit>> {
        let sql = format!(
            "SELECT tid, epoch, seq, received, ds FROM messages WHERE {filter} \
             AND deleted_by IS NULL AND duplicate_of IS NULL AND tid IS NOT NULL"
        );
        let mut st = self
            .connection()
            .prepare_cached(&sql)
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(args, |r| {
                Ok(ThreadHit {
                    tid: r.get(0)?,
                    epoch: r.get(1)?,
                    seq: r.get(2)?,
                    received: r.get(3)?,
                    ds: r.get(4)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Every message of the index that is not deleted, ordered by id.
    pub fn all_messages(&self) -> Result<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE deleted_by IS NULL AND duplicate_of IS NULL ORDER BY epoch, seq"
        );
        self.query_messages(&sql, [])
    }

    fn query_messages<P: rusqlite::Params>(&self, sql: &str, p: P) -> Result<Vec<Message>> {
        let mut st = self
            .connection()
            .prepare_cached(sql)
            .map_err(|e| self.err(e))?;
        let rows = st.query_map(p, row_to_message).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Number of indexed (not deleted) messages.
    pub fn count(&self) -> Result<u64> {
        match self.noted_count()? {
            Some(n) => Ok(n),
            None => self.recount(),
        }
    }

    /// The count kept in `meta` (`live_messages`) as batches are stored:
    /// counting the rows reads the whole table, seconds on a large archive,
    /// and a no-op `sync` prints the count.
    pub(super) fn noted_count(&self) -> Result<Option<u64>> {
        self.connection()
            .query_row(
                "SELECT CAST(value AS INTEGER) FROM meta WHERE key='live_messages'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Messages counted (not removed, not copies), by reading every row.
    pub fn recount(&self) -> Result<u64> {
        self.connection()
            .query_row(
                "SELECT count(*) FROM messages WHERE deleted_by IS NULL AND duplicate_of IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Commits the walk could not read, with their errors.
    pub fn walk_errors(&self) -> Result<Vec<(u32, String, String)>> {
        self.triples("SELECT epoch, commit_oid, error FROM walk_errors ORDER BY epoch, seq")
    }

    /// Rows of (epoch, text, text) of a query without parameters.
    fn triples(&self, sql: &str) -> Result<Vec<(u32, String, String)>> {
        let mut st = self.connection().prepare(sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Of `mids`, those already carried by a counted message, with that
    /// message's (epoch, commit, blob).
    pub fn live_by_mids(&self, mids: &[&str]) -> Result<Vec<(String, u32, String, String)>> {
        let mut out = Vec::new();
        for chunk in mids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT message_id, epoch, commit_oid, blob_oid FROM messages WHERE message_id IN ({marks}) \
                 AND deleted_by IS NULL AND duplicate_of IS NULL ORDER BY epoch, seq"
            );
            let mut st = self.connection().prepare(&sql).map_err(|e| self.err(e))?;
            let rows = st
                .query_map(rusqlite::params_from_iter(chunk.iter()), |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                out.push(row.map_err(|e| self.err(e))?);
            }
        }
        Ok(out)
    }

    /// Copies of earlier mails that were not counted, whose time (`field`)
    /// lies in `[start, end)`: the messages with (epoch, original commit).
    pub fn duplicates_in_window(
        &self,
        field: TimeField,
        start: i64,
        end: i64,
    ) -> Result<Vec<(Message, String)>> {
        let col = match field {
            TimeField::Received => "received",
            TimeField::Date => "ds",
        };
        let sql = format!(
            "SELECT duplicate_of, {MESSAGE_COLUMNS} FROM messages WHERE {col} >= ?1 AND {col} < ?2 \
             AND duplicate_of IS NOT NULL ORDER BY epoch, seq"
        );
        let mut st = self
            .connection()
            .prepare_cached(&sql)
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![start, end], |r| {
                Ok((row_to_message_at(r, 1)?, r.get(0)?))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Copies of earlier mails that were not counted: (epoch, commit, original commit).
    pub fn duplicates(&self) -> Result<Vec<(u32, String, String)>> {
        self.triples(
            "SELECT epoch, commit_oid, duplicate_of FROM messages WHERE duplicate_of IS NOT NULL \
             ORDER BY epoch, seq",
        )
    }

    /// Commits whose id starts with `prefix` (lowercase hex), as (epoch,
    /// position, full id), optionally within one epoch.
    pub fn find_commit(&self, prefix: &str, epoch: Option<u32>) -> Result<Vec<(u32, u64, String)>> {
        let mut out = Vec::new();
        for table in ["messages", "deletions", "walk_errors"] {
            let sql = format!(
                "SELECT epoch, seq, commit_oid FROM {table} WHERE commit_oid >= ?1 AND commit_oid < ?2"
            );
            let upper = format!("{prefix}g");
            let mut st = self
                .connection()
                .prepare_cached(&sql)
                .map_err(|e| self.err(e))?;
            let rows = st
                .query_map(params![prefix, upper], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                let row: (u32, u64, String) = row.map_err(|e| self.err(e))?;
                if epoch.is_none_or(|e| e == row.0) {
                    out.push(row);
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Every distinct non-empty sender name of the archive (deleted mails
    /// excluded): who the archive knows as people, for the grounding check
    /// of summaries.
    pub fn sender_names(&self) -> Result<Vec<String>> {
        // From one name to the next in `messages_from_name`: a step per
        // sender, not a row per message.
        let mut st = self
            .connection()
            .prepare_cached(
                "SELECT min(from_name) FROM messages WHERE from_name > ?1 AND from_name != '' \
                 AND deleted_by IS NULL",
            )
            .map_err(|e| self.err(e))?;
        let mut out: Vec<String> = Vec::new();
        loop {
            let after = out.last().map_or("", String::as_str);
            let next: Option<String> = st
                .query_row([after], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            match next {
                Some(n) => out.push(n),
                None => return Ok(out),
            }
        }
    }

    /// Of `addrs` (lower-cased), those with a mail (not deleted) earlier
    /// than `before` by `field`: one pass over the messages.
    pub fn addresses_seen_before(
        &self,
        addrs: &[String],
        field: TimeField,
        before: i64,
    ) -> Result<std::collections::HashSet<String>> {
        let mut out = std::collections::HashSet::new();
        if addrs.is_empty() {
            return Ok(out);
        }
        let col = match field {
            TimeField::Received => "received",
            TimeField::Date => "ds",
        };
        // One look-up per address in `messages_from`, which stops at the
        // sender's first mail (rows come in archive order): the cost does
        // not grow with the mail before the window.
        let sql = format!(
            "SELECT EXISTS(SELECT 1 FROM messages WHERE lower(from_addr) = ?1 AND {col} < ?2 \
             AND deleted_by IS NULL)"
        );
        let mut st = self
            .connection()
            .prepare_cached(&sql)
            .map_err(|e| self.err(e))?;
        for a in addrs {
            let seen: bool = st
                .query_row(params![a, before], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            if seen {
                out.insert(a.clone());
            }
        }
        Ok(out)
    }

    /// Earliest and latest time (`field`) of the messages that count (not
    /// deleted, not a duplicate), optionally only those of commit ranges;
    /// None when there are none.
    pub fn time_span(
        &self,
        field: TimeField,
        ranges: Option<&[SeqRange]>,
    ) -> Result<Option<(i64, i64)>> {
        let col = match field {
            TimeField::Received => "received",
            TimeField::Date => "ds",
        };
        let live = "deleted_by IS NULL AND duplicate_of IS NULL";
        let Some(ranges) = ranges else {
            // ORDER BY … LIMIT 1 walks the time index from either end.
            let one = |dir: &str| -> Result<Option<i64>> {
                let sql =
                    format!("SELECT {col} FROM messages WHERE {live} ORDER BY {col} {dir} LIMIT 1");
                let mut st = self
                    .connection()
                    .prepare_cached(&sql)
                    .map_err(|e| self.err(e))?;
                let mut rows = st.query([]).map_err(|e| self.err(e))?;
                match rows.next().map_err(|e| self.err(e))? {
                    Some(r) => Ok(Some(r.get(0).map_err(|e| self.err(e))?)),
                    None => Ok(None),
                }
            };
            return Ok(one("ASC")?.zip(one("DESC")?));
        };
        let sql = format!(
            "SELECT MIN({col}), MAX({col}) FROM messages WHERE epoch = ?1 AND seq > ?2 AND seq <= ?3 AND {live}"
        );
        let mut span: Option<(i64, i64)> = None;
        for r in ranges {
            let (lo, hi): (Option<i64>, Option<i64>) = self
                .connection()
                .query_row(&sql, params![r.epoch, r.after, r.upto], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .map_err(|e| self.err(e))?;
            if let (Some(lo), Some(hi)) = (lo, hi) {
                span = Some(match span {
                    Some((a, b)) => (a.min(lo), b.max(hi)),
                    None => (lo, hi),
                });
            }
        }
        Ok(span)
    }
}

/// Whether position `seq` of `epoch` is inside one of the commit ranges.
fn in_ranges(ranges: Option<&[SeqRange]>, epoch: u32, seq: u64) -> bool {
    ranges.is_none_or(|r| {
        r.iter()
            .any(|r| r.epoch == epoch && seq > r.after && seq <= r.upto)
    })
}

fn filter_ranges(all: Vec<Message>, ranges: Option<&[SeqRange]>) -> Vec<Message> {
    match ranges {
        None => all,
        Some(r) => all
            .into_iter()
            .filter(|m| {
                r.iter()
                    .any(|r| r.epoch == m.epoch && m.seq > r.after && m.seq <= r.upto)
            })
            .collect(),
    }
}
