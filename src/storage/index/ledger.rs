//! The stored series ledger: one row per series (its record as the digest
//! layer serialized it, opaque here) and the Message-IDs of its mails, so
//! that a query reads only the series it asks for. The index does not know
//! what a series is: [`crate::digest::ledger`] derives the rows and decides
//! when to rebuild them; this file keeps them and answers look-ups.
//!
//! The ledger is derived data: its tables are created on open when
//! missing (an index of an earlier release gets them empty and the next
//! sync fills them), and a [`LedgerMark`] records which state of the index
//! the rows were derived from.

use rusqlite::{OptionalExtension, params};

use super::{Index, Result, TimeField};

const LEDGER_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS ledger_series(
    key TEXT PRIMARY KEY,
    last_ts INTEGER NOT NULL,
    record TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger_mids(
    mid TEXT PRIMARY KEY,
    key TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_mids_key ON ledger_mids(key);
"#;

/// What the index held when the ledger was derived: the last message row,
/// the number of dropped (rewritten) epochs and of removals, and the
/// fingerprint of the options and code the rows were derived with. Each is
/// read from a table's end or a small table, never by counting messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerMark {
    pub max_id: i64,
    /// Epochs dropped from the index (a rewritten history), ever.
    pub drops: i64,
    pub deletions: i64,
    pub fingerprint: String,
}

impl LedgerMark {
    fn encode(&self) -> String {
        format!(
            "{} {} {} {}",
            self.max_id, self.drops, self.deletions, self.fingerprint
        )
    }

    fn decode(s: &str) -> Option<LedgerMark> {
        let mut it = s.splitn(4, ' ');
        Some(LedgerMark {
            max_id: it.next()?.parse().ok()?,
            drops: it.next()?.parse().ok()?,
            deletions: it.next()?.parse().ok()?,
            fingerprint: it.next().unwrap_or_default().to_string(),
        })
    }
}

/// One stored series: its key, the time of its newest mail, its record,
/// and (when written) the Message-IDs of its mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub key: String,
    pub last_ts: i64,
    pub record: String,
    pub mids: Vec<String>,
}

impl Index {
    /// Create the ledger's tables when missing.
    fn ensure_ledger(&self) -> Result<()> {
        self.connection()
            .execute_batch(LEDGER_SCHEMA)
            .map_err(|e| self.err(e))
    }

    /// The mark the stored ledger was derived at, if any.
    pub fn ledger_mark(&self) -> Result<Option<LedgerMark>> {
        let v: Option<String> = self
            .connection()
            .query_row("SELECT value FROM meta WHERE key='ledger_mark'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(v.as_deref().and_then(LedgerMark::decode))
    }

    /// The index as it stands, under `fingerprint`.
    pub fn ledger_mark_now(&self, fingerprint: &str) -> Result<LedgerMark> {
        let max_id: Option<i64> = self
            .connection()
            .query_row("SELECT max(id) FROM messages", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let drops: Option<String> = self
            .connection()
            .query_row("SELECT value FROM meta WHERE key='epoch_drops'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        let deletions: i64 = self
            .connection()
            .query_row("SELECT count(*) FROM deletions", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        Ok(LedgerMark {
            max_id: max_id.unwrap_or(0),
            drops: drops.and_then(|d| d.parse().ok()).unwrap_or(0),
            deletions,
            fingerprint: fingerprint.to_string(),
        })
    }

    /// Has the index only gained mails since `mark` (no removal, no dropped
    /// epoch, the same options)? Then a ledger update needs to look at the
    /// rows after `mark.max_id` only.
    pub fn ledger_only_appended(&self, mark: &LedgerMark, now: &LedgerMark) -> bool {
        now.fingerprint == mark.fingerprint
            && now.drops == mark.drops
            && now.deletions == mark.deletions
            && now.max_id >= mark.max_id
    }

    /// The thread ids of the live mails stored after row `max_id`.
    pub fn thread_ids_after(&self, max_id: i64) -> Result<Vec<i64>> {
        let mut st = self
            .connection()
            .prepare(
                "SELECT DISTINCT tid FROM messages WHERE id > ?1 AND tid IS NOT NULL \
                 AND deleted_by IS NULL AND duplicate_of IS NULL ORDER BY tid",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([max_id], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<i64>>>()
            .map_err(|e| self.err(e))
    }

    /// Every thread id (of live mails).
    pub fn all_thread_ids(&self) -> Result<Vec<i64>> {
        self.thread_ids_after(i64::MIN)
    }

    /// The distinct values of the first column of `sql` (whose `{marks}`
    /// is a list of placeholders), for `items` asked 500 at a time.
    fn distinct_in<T: rusqlite::types::FromSql + Ord>(
        &self,
        sql: &str,
        items: &[impl rusqlite::ToSql],
    ) -> Result<Vec<T>> {
        self.ensure_ledger()?;
        let mut out = std::collections::BTreeSet::new();
        for chunk in items.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = sql.replace("{marks}", &marks);
            let mut st = self.connection().prepare(&sql).map_err(|e| self.err(e))?;
            let rows = st
                .query_map(rusqlite::params_from_iter(chunk.iter()), |r| r.get(0))
                .map_err(|e| self.err(e))?;
            for v in rows {
                out.insert(v.map_err(|e| self.err(e))?);
            }
        }
        Ok(out.into_iter().collect())
    }

    /// The keys of the stored series that hold any of `mids`.
    pub fn ledger_keys_of(&self, mids: &[&str]) -> Result<Vec<String>> {
        self.distinct_in(
            "SELECT DISTINCT key FROM ledger_mids WHERE mid IN ({marks})",
            mids,
        )
    }

    /// The thread ids of the live mails of the stored series `keys`.
    pub fn ledger_thread_ids(&self, keys: &[String]) -> Result<Vec<i64>> {
        self.distinct_in(
            "SELECT DISTINCT m.tid FROM ledger_mids l JOIN messages m ON m.message_id = l.mid \
             WHERE l.key IN ({marks}) AND m.tid IS NOT NULL AND m.deleted_by IS NULL",
            keys,
        )
    }

    /// In one transaction: remove the stored series `remove` (all of them
    /// first, with `clear`), store `rows`, and note `mark`.
    pub fn ledger_write(
        &mut self,
        clear: bool,
        remove: &[String],
        rows: &[LedgerRow],
        mark: &LedgerMark,
    ) -> Result<()> {
        self.ensure_ledger()?;
        let path = self.path.clone();
        let err = |e| super::Error::sqlite(&path, e);
        let tx = self.conn_mut().transaction().map_err(err)?;
        if clear {
            tx.execute_batch("DELETE FROM ledger_series; DELETE FROM ledger_mids;")
                .map_err(err)?;
        }
        {
            let mut del_s = tx
                .prepare_cached("DELETE FROM ledger_series WHERE key = ?1")
                .map_err(err)?;
            let mut del_m = tx
                .prepare_cached("DELETE FROM ledger_mids WHERE key = ?1")
                .map_err(err)?;
            for k in remove {
                del_s.execute([k]).map_err(err)?;
                del_m.execute([k]).map_err(err)?;
            }
            let mut ins_s = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO ledger_series(key, last_ts, record) VALUES(?1, ?2, ?3)",
                )
                .map_err(err)?;
            let mut ins_m = tx
                .prepare_cached("INSERT OR REPLACE INTO ledger_mids(mid, key) VALUES(?1, ?2)")
                .map_err(err)?;
            for r in rows {
                ins_s
                    .execute(params![r.key, r.last_ts, r.record])
                    .map_err(err)?;
                for m in &r.mids {
                    ins_m.execute(params![m, r.key]).map_err(err)?;
                }
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES('ledger_mark', ?1)",
            [mark.encode()],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    fn ledger_rows(&self, sql: &str, args: impl rusqlite::Params) -> Result<Vec<LedgerRow>> {
        self.ensure_ledger()?;
        let mut st = self
            .connection()
            .prepare_cached(sql)
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(args, |r| {
                Ok(LedgerRow {
                    key: r.get(0)?,
                    last_ts: r.get(1)?,
                    record: r.get(2)?,
                    mids: Vec::new(),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Every stored series, newest activity first.
    pub fn ledger_all(&self) -> Result<Vec<LedgerRow>> {
        self.ledger_rows(
            "SELECT key, last_ts, record FROM ledger_series ORDER BY last_ts DESC, key",
            [],
        )
    }

    /// The stored series with a live mail in `[start, end)` by `field`,
    /// newest activity first: read through the window's mails, so the cost
    /// is the window's, not the archive's.
    pub fn ledger_in_window(
        &self,
        field: TimeField,
        start: i64,
        end: i64,
    ) -> Result<Vec<LedgerRow>> {
        let col = match field {
            TimeField::Received => "received",
            TimeField::Date => "ds",
        };
        self.ledger_rows(
            &format!(
                "SELECT s.key, s.last_ts, s.record FROM ledger_series s WHERE s.key IN ( \
                 SELECT l.key FROM messages m JOIN ledger_mids l ON l.mid = m.message_id \
                 WHERE m.{col} >= ?1 AND m.{col} < ?2 AND m.deleted_by IS NULL) \
                 ORDER BY s.last_ts DESC, s.key"
            ),
            params![start, end],
        )
    }

    /// The stored series that holds the mail `mid`.
    pub fn ledger_of_message(&self, mid: &str) -> Result<Option<LedgerRow>> {
        Ok(self
            .ledger_rows(
                "SELECT s.key, s.last_ts, s.record FROM ledger_series s \
                 JOIN ledger_mids l ON l.key = s.key WHERE l.mid = ?1",
                [mid],
            )?
            .into_iter()
            .next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_reads_back_as_written() {
        let m = LedgerMark {
            max_id: 42,
            drops: 0,
            deletions: 1,
            fingerprint: "v1 abc def".into(),
        };
        assert_eq!(LedgerMark::decode(&m.encode()), Some(m));
        assert_eq!(LedgerMark::decode("garbage"), None);
    }
}
