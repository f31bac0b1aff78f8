//! The index's tables, and opening an index: its schema version, the check
//! for damage (skipped when the file is the one the last run left), and
//! repair by a run that holds the list lock.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};

use super::{Damage, Error, Index, Result, Unusable};
use crate::error::IoError;

/// Bump when the schema or the meaning of a column changes: the index is
/// then rebuilt from the mirror.
pub const SCHEMA_VERSION: i64 = 3;

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
    to_cc TEXT NOT NULL,
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
pub(super) const LATE_INDEXES: &str = r#"
CREATE INDEX IF NOT EXISTS messages_received ON messages(received);
CREATE INDEX IF NOT EXISTS messages_ds ON messages(ds);
CREATE INDEX IF NOT EXISTS messages_subject_key ON messages(subject_key) WHERE subject_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_from ON messages(lower(from_addr));
CREATE INDEX IF NOT EXISTS messages_from_name ON messages(from_name) WHERE from_name != '' AND deleted_by IS NULL;
"#;
pub(super) const LATE_INDEX_NAMES: [&str; 5] = [
    "messages_received",
    "messages_ds",
    "messages_subject_key",
    "messages_from",
    "messages_from_name",
];

/// `index.sqlite3.checked`: size and modification time of the index as the
/// last run left it.
pub(super) fn checked_marker(path: &Path) -> PathBuf {
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
            Err(e) => return Err(IoError::new(&p, e).into()),
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

impl Index {
    /// Open (creating if needed) the index at `path`. Damage that SQLite
    /// reports (a file that is not a database, corrupt pages) is an
    /// [`Error::Damaged`]; nothing is moved or deleted here, so a
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
            Err(Error::Damaged { damage, .. }) => {
                let aside = path.with_extension("sqlite3.broken");
                note(&format!(
                    "index {} is damaged ({damage}); moving it to {} and rebuilding from the mirror",
                    path.display(),
                    aside.display()
                ));
                for (from, to) in sqlite_files(path).into_iter().zip(sqlite_files(&aside)) {
                    let _ = std::fs::remove_file(&to);
                    if from.exists() {
                        std::fs::rename(&from, &to).map_err(|e| IoError::new(&from, e))?;
                    }
                }
                let _ = std::fs::remove_file(checked_marker(path));
                Self::try_open(path)
            }
            Err(Error::Outdated { path: p, version }) => {
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
        let conn = Connection::open(path).map_err(|e| Error::sqlite(path, e))?;
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
                return Err(Error::Damaged {
                    path: path.to_path_buf(),
                    damage: Damage::Check(
                        check
                            .iter()
                            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                });
            }
        }
        ix.checked = true;
        let version: i64 = ix
            .connection()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| ix.err(e))?;
        match version {
            SCHEMA_VERSION => {}
            0 => ix.adopt_or_create()?,
            v if v < SCHEMA_VERSION => {
                return Err(Error::Outdated {
                    path: path.to_path_buf(),
                    version: v,
                });
            }
            v => return Err(ix.newer(v.to_string())),
        }
        Ok(ix)
    }

    /// An index without a `user_version`: a new file, or one made before
    /// the index had it, whose version is then in `meta`
    /// (`schema_version`): of this schema, it takes the version as it is.
    fn adopt_or_create(&self) -> Result<()> {
        let meta: Option<String> = self
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
            .map_err(|e| self.err(e))?;
        match meta {
            Some(v) if v == SCHEMA_VERSION.to_string() => self.set_version(),
            Some(v) => match v.parse::<i64>() {
                Ok(old) if old < SCHEMA_VERSION => Err(Error::Outdated {
                    path: self.path.clone(),
                    version: old,
                }),
                _ => Err(self.newer(v)),
            },
            None => {
                let tables: i64 = self
                    .connection()
                    .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                    .map_err(|e| self.err(e))?;
                let has_meta: i64 = self
                    .connection()
                    .query_row(
                        "SELECT count(*) FROM sqlite_master WHERE name='meta'",
                        [],
                        |r| r.get(0),
                    )
                    .map_err(|e| self.err(e))?;
                if tables > 0 && has_meta == 0 {
                    return Err(Error::Unusable {
                        path: self.path.clone(),
                        reason: Unusable::NotOurs,
                    });
                }
                self.connection()
                    .execute_batch(SCHEMA)
                    .map_err(|e| self.err(e))?;
                self.connection()
                    .execute_batch(&format!(
                        "{LATE_INDEXES} INSERT OR REPLACE INTO meta(key, value) VALUES('live_messages', '0');"
                    ))
                    .map_err(|e| self.err(e))?;
                self.set_version()
            }
        }
    }

    /// Note [`SCHEMA_VERSION`] as the index's `user_version`, and in `meta`
    /// too: the releases before `user_version` read it there, and so refuse
    /// an index of a newer schema instead of misreading it.
    fn set_version(&self) -> Result<()> {
        self.connection()
            .execute_batch(&format!(
                "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '{SCHEMA_VERSION}');
                 PRAGMA user_version = {SCHEMA_VERSION};"
            ))
            .map_err(|e| self.err(e))
    }

    /// The index was written by a newer lore-digest, of schema `version`.
    fn newer(&self, version: String) -> Error {
        Error::Unusable {
            path: self.path.clone(),
            reason: Unusable::Newer { version },
        }
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
}
