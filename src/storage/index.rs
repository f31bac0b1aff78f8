//! The index: one SQLite database per list (`DIR/LIST/index.sqlite3`) with a
//! row per `m` commit of every epoch, updated incrementally. It holds header
//! facts only; bodies are read from the mirror when a later stage needs them.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::mail::Links;
use crate::mail::ParsedMail;
use crate::storage::tid::Tids;
use crate::storage::walk::{Change, WalkedCommit};

/// Bump when the schema or the meaning of a column changes: the index is
/// then rebuilt from the mirror.
pub const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS epochs(
    epoch INTEGER PRIMARY KEY,
    tip TEXT NOT NULL,
    commits INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages(
    id INTEGER PRIMARY KEY,
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    commit_oid TEXT NOT NULL,
    blob_oid TEXT NOT NULL,
    message_id TEXT NOT NULL,
    extra_mids TEXT NOT NULL,
    mid_synthetic INTEGER NOT NULL,
    date INTEGER,
    date_offset INTEGER,
    ds INTEGER NOT NULL,
    received INTEGER NOT NULL,
    commit_time INTEGER NOT NULL,
    from_name TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    in_reply_to TEXT NOT NULL,
    refs TEXT NOT NULL,
    list_id TEXT,
    size INTEGER NOT NULL,
    problems INTEGER NOT NULL,
    deleted_by TEXT,
    duplicate_of TEXT,
    tid INTEGER,
    subject_key TEXT,
    UNIQUE(epoch, seq)
);
CREATE INDEX IF NOT EXISTS messages_mid ON messages(message_id);
CREATE INDEX IF NOT EXISTS messages_blob ON messages(blob_oid);
CREATE INDEX IF NOT EXISTS messages_tid ON messages(tid);
CREATE TABLE IF NOT EXISTS thread_ids(
    mid TEXT PRIMARY KEY,
    tid INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS thread_ids_tid ON thread_ids(tid);
CREATE TABLE IF NOT EXISTS deletions(
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    commit_oid TEXT NOT NULL,
    blob_oid TEXT NOT NULL,
    commit_time INTEGER NOT NULL,
    matched INTEGER NOT NULL,
    PRIMARY KEY(epoch, seq)
);
CREATE TABLE IF NOT EXISTS walk_errors(
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    commit_oid TEXT NOT NULL,
    error TEXT NOT NULL,
    PRIMARY KEY(epoch, seq)
);
"#;

/// Indexes of `messages` that indexing itself never reads (only windows and
/// series look-ups do). The first indexing of an archive creates them once
/// at the end, sorted in one pass, instead of updating them row by row:
/// see [`Index::begin_bulk`].
const LATE_INDEXES: &str = r#"
CREATE INDEX IF NOT EXISTS messages_received ON messages(received);
CREATE INDEX IF NOT EXISTS messages_ds ON messages(ds);
CREATE INDEX IF NOT EXISTS messages_subject_key ON messages(subject_key) WHERE subject_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_from ON messages(lower(from_addr));
CREATE INDEX IF NOT EXISTS messages_from_name ON messages(from_name) WHERE from_name != '' AND deleted_by IS NULL;
"#;
const LATE_INDEX_NAMES: [&str; 5] = [
    "messages_received",
    "messages_ds",
    "messages_subject_key",
    "messages_from",
    "messages_from_name",
];

/// One indexed message, as later stages see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Row id: stable while the index is not rebuilt; orders messages by
    /// (epoch, position in the epoch).
    pub id: i64,
    pub epoch: u32,
    /// 1-based position of the commit in its epoch's history.
    pub seq: u64,
    pub commit: String,
    pub blob: String,
    pub message_id: String,
    pub extra_message_ids: Vec<String>,
    pub mid_synthetic: bool,
    /// Date header (UTC seconds), when parsable.
    pub date: Option<i64>,
    pub date_offset: Option<i32>,
    /// public-inbox `ds`: Date header, else received, else commit time.
    pub ds: i64,
    /// public-inbox `ts`: newest Received header, else Date, else commit time.
    pub received: i64,
    pub commit_time: i64,
    pub from_name: String,
    pub from_addr: String,
    pub subject: String,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub list_id: Option<String>,
    pub size: u64,
    pub problems: u32,
    /// Commit of the `d` that removed this message from the archive.
    pub deleted_by: Option<String>,
}

impl Message {
    /// The headers that place this message in a thread.
    pub fn links(&self) -> Links<'_> {
        Links {
            message_id: &self.message_id,
            extra_ids: &self.extra_message_ids,
            from_addr: &self.from_addr,
            references: &self.references,
            in_reply_to: &self.in_reply_to,
        }
    }

    /// All Message-IDs this message carries.
    pub fn all_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.message_id.as_str())
            .chain(self.extra_message_ids.iter().map(|s| s.as_str()))
    }
}

/// A message found by an index query, with its thread id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadHit {
    pub tid: i64,
    pub epoch: u32,
    pub seq: u64,
    pub received: i64,
    pub ds: i64,
}

/// Which messages to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// What one indexing run changed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct IndexStats {
    pub added: u64,
    pub deleted: u64,
    pub errors: u64,
    pub reindexed_epochs: Vec<u32>,
}

/// State of an epoch in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EpochState {
    pub epoch: u32,
    pub tip: String,
    pub commits: u64,
}

pub struct Index {
    /// Always Some until dropped.
    conn: Option<Connection>,
    path: PathBuf,
    /// The file passed the damage check at open.
    checked: bool,
}

/// `index.sqlite3.checked`: size and modification time of the index as the
/// last run left it.
fn checked_marker(path: &Path) -> PathBuf {
    path.with_extension("sqlite3.checked")
}

/// The database file and its WAL and shared-memory files.
pub fn sqlite_files(path: &Path) -> [PathBuf; 3] {
    ["", "-wal", "-shm"].map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
}

/// Delete an index (and its WAL, shared memory and check marker).
pub fn remove_files(path: &Path) -> Result<()> {
    for p in sqlite_files(path).into_iter().chain([checked_marker(path)]) {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&p, e)),
        }
    }
    Ok(())
}

/// "size mtime-nanoseconds" of a file.
fn file_stamp(path: &Path) -> Option<String> {
    let m = std::fs::metadata(path).ok()?;
    let t = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some(format!("{} {t}", m.len()))
}

impl Drop for Index {
    /// Close the database (checkpointing the WAL into the file), then note
    /// the file's stamp so that the next open can skip the damage check.
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if conn.close().is_err() || !self.checked {
            return;
        }
        let wal = PathBuf::from(format!("{}-wal", self.path.display()));
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            // Another connection is still writing; let the next open check.
            return;
        }
        if let Some(stamp) = file_stamp(&self.path) {
            let _ = crate::fsutil::write_atomic(&checked_marker(&self.path), stamp.as_bytes());
        }
    }
}

fn join_ids(ids: &[String]) -> String {
    ids.join("\n")
}

fn split_ids(s: String) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split('\n').map(str::to_string).collect()
    }
}

const MESSAGE_COLUMNS: &str = "id, epoch, seq, commit_oid, blob_oid, message_id, extra_mids, mid_synthetic, \
     date, date_offset, ds, received, commit_time, from_name, from_addr, subject, in_reply_to, refs, \
     list_id, size, problems, deleted_by";

fn row_to_message(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    row_to_message_at(r, 0)
}

/// A [`Message`] from [`MESSAGE_COLUMNS`] starting at column `o`.
fn row_to_message_at(r: &rusqlite::Row<'_>, o: usize) -> rusqlite::Result<Message> {
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
    })
}

impl Index {
    /// Open (creating if needed) the index at `path`. Damage that SQLite
    /// reports (a file that is not a database, corrupt pages) is an
    /// [`Error::IndexDamaged`]; nothing is moved or deleted here, so a
    /// reader without the list lock never touches a good index. Repair is
    /// [`Index::open_repairing`], under the lock.
    pub fn open(path: &Path) -> Result<Index> {
        Self::try_open(path)
    }

    /// Open the index for a run that holds the list lock: a damaged index
    /// is moved aside to `index.sqlite3.broken`, one of an older schema is
    /// deleted, and a new empty one is created (the mirror is the source of
    /// truth; the caller indexes it again). `note` says what was done.
    pub fn open_repairing(path: &Path, note: &dyn Fn(&str)) -> Result<Index> {
        match Self::try_open(path) {
            Ok(ix) => Ok(ix),
            Err(Error::IndexDamaged { reason, .. }) => {
                let aside = path.with_extension("sqlite3.broken");
                note(&format!(
                    "index {} is damaged ({reason}); moving it to {} and rebuilding from the mirror",
                    path.display(),
                    aside.display()
                ));
                for (from, to) in sqlite_files(path).into_iter().zip(sqlite_files(&aside)) {
                    let _ = std::fs::remove_file(&to);
                    if from.exists() {
                        std::fs::rename(&from, &to).map_err(|e| Error::io(&from, e))?;
                    }
                }
                let _ = std::fs::remove_file(checked_marker(path));
                Self::try_open(path)
            }
            Err(Error::IndexOutdated { path: p, version }) => {
                note(&format!(
                    "index {} has schema version {version}, this lore-digest uses {SCHEMA_VERSION}; \
                     rebuilding it from the mirror",
                    p.display()
                ));
                remove_files(path)?;
                Self::try_open(path)
            }
            Err(e) => Err(e),
        }
    }

    fn try_open(path: &Path) -> Result<Index> {
        let conn = Connection::open(path).map_err(|e| Error::index(path, e))?;
        let ix = Index {
            conn: Some(conn),
            path: path.to_path_buf(),
            checked: false,
        };
        ix.connection()
            .execute_batch(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;",
            )
            .map_err(|e| ix.err(e))?;
        // A file that is not a database fails here ("file is not a database").
        ix.connection()
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(|e| ix.err(e))?;
        // Damage inside the file (overwritten or missing pages) shows only
        // when the pages are read. Checking them all costs a second on a
        // million-message index, so it is done only when the file changed
        // behind our back: after each run the index's size and modification
        // time are noted beside it (`index.sqlite3.checked`), and a file that
        // still matches is the file we left. Damage met later by a query is
        // an IndexDamaged error too, and the next run checks the file.
        let mut ix = ix;
        if !ix.unchanged_since_checked() {
            let check: Vec<String> = ix
                .connection()
                .prepare("PRAGMA quick_check(5)")
                .and_then(|mut st| {
                    st.query_map([], |r| r.get::<_, String>(0))?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(|e| ix.err(e))?;
            if check.first().map(String::as_str) != Some("ok") {
                return Err(Error::IndexDamaged {
                    path: path.to_path_buf(),
                    reason: check
                        .iter()
                        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
        }
        ix.checked = true;
        let version: Option<String> = ix
            .connection()
            .query_row(
                "SELECT value FROM meta WHERE key='schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .or_else(|e| match e {
                rusqlite::Error::SqliteFailure(_, Some(ref m)) if m.contains("no such table") => {
                    Ok(None)
                }
                e => Err(e),
            })
            .map_err(|e| ix.err(e))?;
        match version {
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(v) => {
                let older = v.parse::<i64>().is_ok_and(|v| v < SCHEMA_VERSION);
                if older {
                    return Err(Error::IndexOutdated {
                        path: path.to_path_buf(),
                        version: v,
                    });
                }
                return Err(Error::IndexUnusable {
                    path: path.to_path_buf(),
                    reason: format!(
                        "schema version {v} was written by a newer lore-digest (this one uses \
                         {SCHEMA_VERSION}); use that version, or another --data-dir"
                    ),
                });
            }
            None => {
                let tables: i64 = ix
                    .connection()
                    .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                    .map_err(|e| ix.err(e))?;
                let has_meta: i64 = ix
                    .connection()
                    .query_row(
                        "SELECT count(*) FROM sqlite_master WHERE name='meta'",
                        [],
                        |r| r.get(0),
                    )
                    .map_err(|e| ix.err(e))?;
                if tables > 0 && has_meta == 0 {
                    return Err(Error::IndexUnusable {
                        path: path.to_path_buf(),
                        reason: "not a lore-digest index; move it away or use another --data-dir"
                            .into(),
                    });
                }
                ix.connection()
                    .execute_batch(SCHEMA)
                    .map_err(|e| ix.err(e))?;
                ix.connection()
                    .execute_batch(
                        &format!("{LATE_INDEXES} INSERT OR REPLACE INTO meta(key, value) VALUES('live_messages', '0');"),
                    )
                    .map_err(|e| ix.err(e))?;
                ix.connection()
                    .execute(
                        "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?1)",
                        [SCHEMA_VERSION.to_string()],
                    )
                    .map_err(|e| ix.err(e))?;
            }
        }
        Ok(ix)
    }

    /// True when the file is the one noted after the last run (size and
    /// modification time) and no write-ahead log is pending.
    fn unchanged_since_checked(&self) -> bool {
        let Ok(noted) = std::fs::read_to_string(checked_marker(&self.path)) else {
            return false;
        };
        let wal = PathBuf::from(format!("{}-wal", self.path.display()));
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return false;
        }
        file_stamp(&self.path).is_some_and(|s| s == noted.trim())
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        let e = Error::index(&self.path, e);
        if matches!(e, Error::IndexDamaged { .. }) {
            // Make the next open check the whole file (and repair it).
            let _ = std::fs::remove_file(checked_marker(&self.path));
        }
        e
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

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

    /// False when an indexing run was interrupted before it made the
    /// [`LATE_INDEXES`] again.
    pub fn is_complete(&self) -> Result<bool> {
        let marks = vec!["?"; LATE_INDEX_NAMES.len()].join(",");
        let n: i64 = self
            .connection()
            .query_row(
                &format!(
                    "SELECT count(*) FROM sqlite_master WHERE type='index' AND name IN ({marks})"
                ),
                rusqlite::params_from_iter(LATE_INDEX_NAMES),
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(n == LATE_INDEX_NAMES.len() as i64)
    }

    /// Forget everything indexed from `epoch` (its history was rewritten).
    pub fn drop_epoch(&mut self, epoch: u32) -> Result<()> {
        let path = self.path.clone();
        let e = |err: rusqlite::Error| Error::index(&path, err);
        let tx = self.conn_mut().transaction().map_err(e)?;
        for table in ["messages", "deletions", "walk_errors", "epochs"] {
            tx.execute(&format!("DELETE FROM {table} WHERE epoch=?1"), [epoch])
                .map_err(e)?;
        }
        // Counted again by `end_bulk`: deletions of other epochs may have
        // matched rows of this one.
        tx.execute("DELETE FROM meta WHERE key='live_messages'", [])
            .map_err(e)?;
        // Deletions from other epochs may have matched rows of this one;
        // they are re-applied when this epoch is indexed again.
        // The thread ids of the messages left are made again from scratch:
        // the dropped messages may have been what joined some of them.
        rethread(&tx).map_err(e)?;
        tx.commit().map_err(e)
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
        let e = |err: rusqlite::Error| Error::index(&path, err);
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
    fn noted_count(&self) -> Result<Option<u64>> {
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

    /// The raw connection, for stages that keep their own tables (cache).
    pub fn connection(&self) -> &Connection {
        self.conn.as_ref().expect("open until dropped")
    }

    fn conn_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("open until dropped")
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
         size, problems, deleted_by, duplicate_of, tid, subject_key) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \
         ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, NULL, ?21, ?22, ?23)",
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

impl Index {
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

impl Index {
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
}

impl Index {
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
}

impl Index {
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
