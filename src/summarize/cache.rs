//! The summary cache: its own database per list, `DIR/LIST/summaries.sqlite3`.
//!
//! Summaries cost minutes of a GPU or hours of a CPU, so they are kept apart
//! from the index: `index --rebuild`, a damaged index moved aside or a new
//! clone of the mirror never throw them away (and a report regenerated later
//! still finds them). Versions before 0.2 kept these tables inside
//! `index.sqlite3`; [`open_store`] moves them over once.
//!
//! Key: SHA-256 over a canonical text of
//! - the cache format version;
//! - backend kind, model name and model digest;
//! - the prompt version (templates + condensing rules + prompt format);
//! - the options that change answers: language, num_ctx, num_predict,
//!   seed, temperature;
//! - the thread's message set: every Message-ID shown (window and history),
//!   sorted, each with its window membership (`W`/`H`);
//! - a hash of the exact requests planned for the thread (facts and
//!   condensed mails), so that changed facts (a new Reviewed-by, a newer
//!   version superseding it) are asked again;
//! - for a rolling summary, the hash of the earlier summary it was given
//!   as HISTORY SUMMARY (see `rolling`; absent otherwise, so the keys of
//!   other summaries are as before).
//!
//! The window membership is part of the key on purpose: a summary says
//! what happened in the window and what earlier discussion established, so
//! it is only reused when the same mails are split the same way, e.g. when a
//! report is run again, regenerated with `--range`, or a later (or rolling)
//! window shows the thread with the same mails in the same roles. A thread
//! with new mail, or whose window mails became history, is asked again. The
//! window's dates themselves are not part of the key (nor of the prompt).
//!
//! Model answers are stored, and (in `summary_failures`) requests whose
//! answer was unusable (an echo of the prompt, no text): with temperature 0
//! and a fixed seed asking again gives the same answer, so an identical run
//! sends no request. Transport failures (timeouts, HTTP errors) and
//! extractive text are never stored.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use super::hash::sha256_hex;
use crate::error::{Exit, ExitStatus};
use crate::lang::Lang;

/// Version of the key format and table layout.
pub const CACHE_VERSION: u32 = 1;

/// The store's schema, one step per version (`PRAGMA user_version` says how
/// many a store has taken). A step, once released, never changes: a new
/// layout is a new step that moves the rows over, since summaries cannot be
/// made again for free.
///
/// Stores before step 1 set no `user_version` (0). The first layout kept
/// `summary_cache` and `summary_models` (later also `summary_failures`) in
/// the index, which [`open_store`] moves over; then this store of its own
/// held those three; rolling summaries added `summary_rolling`. Step 1
/// creates whatever of these a store lacks, so a store of any of them takes
/// it as it is (`tests/it/store_versions.rs` opens each).
const MIGRATIONS: &[&str] = &["
CREATE TABLE IF NOT EXISTS summary_cache(
    key TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    model_digest TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    lang TEXT NOT NULL,
    parts INTEGER NOT NULL,
    text TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS summary_failures(
    key TEXT PRIMARY KEY,
    error TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS summary_models(
    backend TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    updated INTEGER NOT NULL,
    PRIMARY KEY(backend, endpoint, model)
);
CREATE TABLE IF NOT EXISTS summary_rolling(
    key TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    context TEXT NOT NULL,
    mails INTEGER NOT NULL,
    prefix TEXT NOT NULL,
    text TEXT NOT NULL,
    rejected INTEGER NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS summary_rolling_thread ON summary_rolling(thread_id, context);
"];

/// The schema version this lore-digest writes: the number of [`MIGRATIONS`].
pub const STORE_VERSION: i64 = MIGRATIONS.len() as i64;

/// What can go wrong with the summary store. None stops a report: it then
/// runs without the cache.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("summary store {path}: {source}")]
    Store {
        path: PathBuf,
        #[source]
        source: SchemaError,
    },
    #[error("summary store {path}: moving the summaries out of {legacy}: {source}")]
    Legacy {
        path: PathBuf,
        legacy: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// A query or update of an open store.
    #[error("summary cache: {0}")]
    Cache(#[source] SchemaError),
}

impl ExitStatus for Error {
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Cache(SchemaError::Sqlite(e))
    }
}

/// Opening a store at its schema version failed.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// Written by a newer lore-digest: refused, and left as it is.
    #[error(
        "schema version {found} was written by a newer lore-digest (this one knows up to \
         {STORE_VERSION}); use that version, or another --data-dir"
    )]
    Newer { found: i64 },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Bring the store's schema to [`STORE_VERSION`], each step in a transaction
/// with the version it reaches; a store of a newer version is left alone.
pub fn migrate(db: &Connection) -> std::result::Result<(), SchemaError> {
    let found: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > STORE_VERSION {
        return Err(SchemaError::Newer { found });
    }
    for (step, sql) in (1..).zip(MIGRATIONS).skip(found.max(0) as usize) {
        let tx = db.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", step)?;
        tx.commit()?;
    }
    Ok(())
}

/// Open (creating) the summary store at `path`, at the current schema
/// version. When `legacy` (the list's index database) still holds summary
/// tables of an older version, their rows are copied over (existing rows
/// win) and the old tables dropped, in one transaction each side, so no
/// summary is lost on the way.
pub fn open_store(path: &Path, legacy: Option<&Path>) -> Result<Connection> {
    let err = |source: SchemaError| Error::Store {
        path: path.to_path_buf(),
        source,
    };
    let db = Connection::open(path).map_err(|e| err(e.into()))?;
    // The version first: a newer store is not touched, not even its journal mode.
    let found: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| err(e.into()))?;
    if found > STORE_VERSION {
        return Err(err(SchemaError::Newer { found }));
    }
    db.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        .map_err(|e| err(e.into()))?;
    migrate(&db).map_err(err)?;
    if let Some(legacy) = legacy.filter(|l| l.exists()) {
        move_legacy(&db, legacy).map_err(|source| Error::Legacy {
            path: path.to_path_buf(),
            legacy: legacy.to_path_buf(),
            source,
        })?;
    }
    Ok(db)
}

const TABLES: [&str; 3] = ["summary_cache", "summary_failures", "summary_models"];

fn move_legacy(db: &Connection, legacy: &Path) -> rusqlite::Result<()> {
    let old = Connection::open(legacy)?;
    old.busy_timeout(std::time::Duration::from_secs(5))?;
    let present: Vec<&str> = TABLES
        .into_iter()
        .filter(|t| {
            old.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?1",
                [t],
                |r| r.get::<_, i64>(0),
            )
            .is_ok_and(|n| n > 0)
        })
        .collect();
    if present.is_empty() {
        return Ok(());
    }
    db.execute(
        "ATTACH DATABASE ?1 AS legacy",
        [legacy.to_string_lossy().as_ref()],
    )?;
    let copied = (|| {
        let tx = db.unchecked_transaction()?;
        for t in &present {
            tx.execute(
                &format!("INSERT OR IGNORE INTO main.{t} SELECT * FROM legacy.{t}"),
                [],
            )?;
        }
        tx.commit()
    })();
    db.execute("DETACH DATABASE legacy", [])?;
    copied?;
    // Only now that the rows are safe in the store.
    let tx = old.unchecked_transaction()?;
    for t in &present {
        tx.execute(&format!("DROP TABLE {t}"), [])?;
    }
    tx.commit()
}

/// Everything a cached summary depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyParts<'a> {
    pub backend: &'a str,
    pub model: &'a str,
    pub model_digest: &'a str,
    pub prompt_version: &'a str,
    pub lang: Lang,
    pub num_ctx: usize,
    pub num_predict: usize,
    pub seed: i64,
    /// `(Message-ID, in window)` of every mail shown, any order.
    pub messages: Vec<(&'a str, bool)>,
    /// Hash of the planned requests.
    pub input_hash: String,
    /// Hash of the earlier summary given as HISTORY SUMMARY, if any.
    pub earlier: Option<String>,
}

/// The cache key (64 hex digits).
pub fn key(p: &KeyParts<'_>) -> String {
    let mut mids = p.messages.clone();
    mids.sort_unstable();
    mids.dedup();
    let mut text = format!(
        "lore-digest summary cache v{CACHE_VERSION}\nbackend={}\nmodel={}\ndigest={}\nprompt={}\nlang={}\nnum_ctx={}\nnum_predict={}\nseed={}\ntemperature=0\ninput={}\nmessages={}\n",
        p.backend,
        p.model,
        p.model_digest,
        p.prompt_version,
        p.lang,
        p.num_ctx,
        p.num_predict,
        p.seed,
        p.input_hash,
        mids.len()
    );
    if let Some(e) = &p.earlier {
        text.push_str(&format!("earlier={e}\n"));
    }
    for (mid, w) in mids {
        text.push_str(mid);
        text.push('\t');
        text.push(if w { 'W' } else { 'H' });
        text.push('\n');
    }
    sha256_hex(text.as_bytes())
}

/// A cached answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub text: String,
    pub parts: u32,
}

pub struct Cache<'c> {
    db: &'c Connection,
}

impl<'c> Cache<'c> {
    /// Bring the store to the current schema (creating the tables in a
    /// new one); a store of a newer version is refused.
    pub fn open(db: &'c Connection) -> Result<Cache<'c>> {
        migrate(db).map_err(Error::Cache)?;
        Ok(Cache { db })
    }

    pub fn get(&self, key: &str) -> Result<Option<Hit>> {
        self.db
            .query_row(
                "SELECT text, parts FROM summary_cache WHERE key = ?1",
                [key],
                |r| {
                    Ok(Hit {
                        text: r.get(0)?,
                        parts: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(Error::from)
    }

    /// Store answers: `(key, thread id, text, parts)`, in one transaction.
    pub fn put_all(
        &self,
        meta: &KeyParts<'_>,
        rows: &[(String, String, String, u32)],
        now: i64,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let tx = self.db.unchecked_transaction()?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO summary_cache(key, thread_id, backend, model, model_digest, prompt_version, lang, parts, text, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                ?;
            for (key, thread, text, parts) in rows {
                st.execute(params![
                    key,
                    thread,
                    meta.backend,
                    meta.model,
                    meta.model_digest,
                    meta.prompt_version,
                    meta.lang.as_str(),
                    parts,
                    text,
                    now
                ])?;
            }
        }
        tx.commit().map_err(Error::from)
    }

    /// The remembered unusable-answer error for a key, if any.
    pub fn get_failure(&self, key: &str) -> Result<Option<String>> {
        self.db
            .query_row(
                "SELECT error FROM summary_failures WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::from)
    }

    /// Remember unusable answers: `(key, error)`.
    pub fn put_failures(&self, rows: &[(String, String)], now: i64) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let tx = self.db.unchecked_transaction()?;
        for (key, error) in rows {
            tx.execute(
                "INSERT OR REPLACE INTO summary_failures(key, error, created) VALUES(?1, ?2, ?3)",
                params![key, error, now],
            )?;
        }
        tx.commit().map_err(Error::from)
    }

    /// The model name and digest last seen for a backend endpoint and
    /// configured model: lets cached summaries be found when the server
    /// is not running.
    pub fn last_model(
        &self,
        backend: &str,
        endpoint: &str,
        model: &str,
    ) -> Result<Option<(String, String)>> {
        self.db
            .query_row(
                "SELECT name, digest FROM summary_models WHERE backend = ?1 AND endpoint = ?2 AND model = ?3",
                params![backend, endpoint, model],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::from)
    }

    pub fn remember_model(
        &self,
        backend: &str,
        endpoint: &str,
        model: &str,
        name: &str,
        digest: &str,
        now: i64,
    ) -> Result<()> {
        self.db
            .execute(
                "INSERT OR REPLACE INTO summary_models(backend, endpoint, model, name, digest, updated) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                params![backend, endpoint, model, name, digest, now],
            )
            .map(|_| ())
            .map_err(Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> KeyParts<'static> {
        KeyParts {
            backend: "ollama",
            model: "qwen2.5:7b-instruct",
            model_digest: "845dbda0ea48",
            prompt_version: "p1-abc",
            lang: crate::lang::Lang::Zh,
            num_ctx: 8192,
            num_predict: 800,
            seed: 42,
            messages: vec![("b@x", true), ("a@x", false)],
            input_hash: "i1".into(),
            earlier: None,
        }
    }

    #[test]
    fn key_depends_on_every_part() {
        let base = key(&parts());
        // Order of the message list does not matter.
        let mut p = parts();
        p.messages.reverse();
        assert_eq!(key(&p), base);
        type Change = Box<dyn Fn(&mut KeyParts<'static>)>;
        let changes: Vec<Change> = vec![
            Box::new(|p| p.messages.push(("c@x", true))),
            Box::new(|p| p.messages[0].1 = false),
            Box::new(|p| p.messages[0].0 = "b2@x"),
            Box::new(|p| p.model_digest = "other"),
            Box::new(|p| p.model = "llama3"),
            Box::new(|p| p.backend = "openai"),
            Box::new(|p| p.prompt_version = "p1-def"),
            Box::new(|p| p.lang = crate::lang::Lang::En),
            Box::new(|p| p.num_ctx = 4096),
            Box::new(|p| p.num_predict = 512),
            Box::new(|p| p.seed = 7),
            Box::new(|p| p.input_hash = "i2".into()),
            Box::new(|p| p.earlier = Some("e1".into())),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut p = parts();
            change(&mut p);
            assert_ne!(key(&p), base, "change {i}");
        }
    }

    #[test]
    fn keys_without_an_earlier_summary_are_as_before() {
        // The key of `parts()` before rolling summaries: caches made then
        // still answer.
        assert_eq!(
            key(&parts()),
            "6b1c0890c1dd698a8f4bf2ac3c5db10e8cffda30c61b6a69a1cecafc66ba850d"
        );
    }

    #[test]
    fn store_and_find() {
        let db = Connection::open_in_memory().unwrap();
        let c = Cache::open(&db).unwrap();
        let p = parts();
        let k = key(&p);
        assert_eq!(c.get(&k).unwrap(), None);
        c.put_all(&p, &[(k.clone(), "t@x".into(), "text".into(), 3)], 1)
            .unwrap();
        assert_eq!(
            c.get(&k).unwrap(),
            Some(Hit {
                text: "text".into(),
                parts: 3
            })
        );
        // Opening again keeps the rows.
        let c = Cache::open(&db).unwrap();
        assert!(c.get(&k).unwrap().is_some());
        c.remember_model("ollama", "http://h/", "m", "m", "d1", 1)
            .unwrap();
        c.remember_model("ollama", "http://h/", "m", "m", "d2", 2)
            .unwrap();
        assert_eq!(
            c.last_model("ollama", "http://h/", "m").unwrap(),
            Some(("m".into(), "d2".into()))
        );
    }
}
