//! Schema versions of the two databases of a list: the summary store
//! (`summaries.sqlite3`, which cannot be made again: every earlier schema
//! opens and keeps every row) and the index (`index.sqlite3`, made again
//! from the mirror when its version is older, refused when newer).
//!
//! The DDL below is each earlier release's, copied from its source (`git log
//! -p -- src/summarize/cache.rs src/summarize/rolling.rs`), not the current
//! code's: a store made by that release is what must open.

use std::path::Path;

use lore_digest::storage::index::{Index, SCHEMA_VERSION};
use lore_digest::summarize::cache::{self, Cache, STORE_VERSION};
use rusqlite::Connection;

/// `summary_cache` and `summary_models` as every release wrote them.
const CACHE_AND_MODELS: &str = "
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
CREATE TABLE IF NOT EXISTS summary_models(
    backend TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    updated INTEGER NOT NULL,
    PRIMARY KEY(backend, endpoint, model)
);
";

/// `summary_failures`, since unusable answers were remembered.
const FAILURES: &str = "
CREATE TABLE IF NOT EXISTS summary_failures(
    key TEXT PRIMARY KEY,
    error TEXT NOT NULL,
    created INTEGER NOT NULL
);
";

/// `summary_rolling`, since rolling summaries (the previous release).
const ROLLING: &str = "
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
";

/// A database at `path` made with `ddl`, holding a row in each summary
/// table it has.
fn make_store(path: &Path, ddl: &str, extra: &str) {
    let db = Connection::open(path).unwrap();
    db.execute_batch(ddl).unwrap();
    db.execute_batch(extra).unwrap();
    db.execute_batch(
        "INSERT INTO summary_cache VALUES('k1', 't1@x', 'ollama', 'm', 'd1', 'p1', 'zh', 2, 'a paid-for summary', 5);
         INSERT INTO summary_models VALUES('ollama', 'http://h/', 'm', 'm:7b', 'd1', 5);",
    )
    .unwrap();
    if ddl.contains("summary_failures") {
        db.execute(
            "INSERT INTO summary_failures VALUES('k2', 'unusable answer: echo', 5)",
            [],
        )
        .unwrap();
    }
    if ddl.contains("summary_rolling") {
        db.execute(
            "INSERT INTO summary_rolling VALUES('k1', 't1@x', 'c1', 3, 'h1', 'a paid-for summary', 0, 5)",
            [],
        )
        .unwrap();
    }
}

fn user_version(db: &Connection) -> i64 {
    db.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

fn count(db: &Connection, table: &str) -> i64 {
    db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// The store has every table of the current schema and the rows `make_store`
/// put in the tables `ddl` had.
fn assert_kept(db: &Connection, ddl: &str) {
    assert_eq!(user_version(db), STORE_VERSION);
    let c = Cache::open(db).unwrap();
    let hit = c.get("k1").unwrap().expect("the summary is kept");
    assert_eq!((hit.text.as_str(), hit.parts), ("a paid-for summary", 2));
    assert_eq!(
        c.last_model("ollama", "http://h/", "m").unwrap(),
        Some(("m:7b".to_string(), "d1".to_string()))
    );
    let failures = if ddl.contains("summary_failures") {
        1
    } else {
        0
    };
    assert_eq!(count(db, "summary_failures"), failures);
    let rolling = if ddl.contains("summary_rolling") {
        1
    } else {
        0
    };
    assert_eq!(count(db, "summary_rolling"), rolling);
    assert_eq!(count(db, "summary_cache"), 1);
}

#[test]
fn every_earlier_summary_store_opens_and_keeps_its_summaries() {
    let schemas = [
        // 0.2: the store of its own, without versions.
        ("own store", format!("{CACHE_AND_MODELS}{FAILURES}")),
        // Rolling summaries (the previous release): a fourth table.
        ("rolling", format!("{CACHE_AND_MODELS}{FAILURES}{ROLLING}")),
    ];
    for (name, ddl) in schemas {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summaries.sqlite3");
        make_store(&path, &ddl, "PRAGMA journal_mode=WAL;");
        let db = cache::open_store(&path, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_kept(&db, &ddl);
        // New rows go in, and a second opening changes nothing.
        Cache::open(&db)
            .unwrap()
            .put_failures(&[("k3".into(), "unusable".into())], 6)
            .unwrap();
        drop(db);
        let db = cache::open_store(&path, None).unwrap();
        assert_eq!(user_version(&db), STORE_VERSION, "{name}");
        assert_eq!(
            Cache::open(&db)
                .unwrap()
                .get_failure("k3")
                .unwrap()
                .as_deref(),
            Some("unusable")
        );
    }
}

#[test]
fn summaries_kept_in_the_index_by_early_releases_move_to_the_store_once() {
    let schemas = [
        // 0.1: summaries and models in the index.
        ("first", CACHE_AND_MODELS.to_string()),
        // Then unusable answers too.
        ("failures", format!("{CACHE_AND_MODELS}{FAILURES}")),
    ];
    for (name, ddl) in schemas {
        let dir = tempfile::tempdir().unwrap();
        let legacy = dir.path().join("index.sqlite3");
        make_store(
            &legacy,
            &ddl,
            "CREATE TABLE messages(id INTEGER PRIMARY KEY);",
        );
        let store = dir.path().join("summaries.sqlite3");
        let db = cache::open_store(&store, Some(&legacy)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_kept(&db, &ddl);
        let old = Connection::open(&legacy).unwrap();
        let left: i64 = old
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name LIKE 'summary_%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0, "{name}: moved, not copied twice");
        assert_eq!(
            count(&old, "messages"),
            0,
            "{name}: the index itself is untouched"
        );
        assert_eq!(
            user_version(&old),
            0,
            "{name}: the index's version is not the store's"
        );
        drop(db);
        // Opening again finds nothing more to move and keeps the rows.
        let db = cache::open_store(&store, Some(&legacy)).unwrap();
        assert_kept(&db, &ddl);
    }
}

#[test]
fn a_summary_store_of_a_newer_version_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summaries.sqlite3");
    let ddl = format!("{CACHE_AND_MODELS}{FAILURES}{ROLLING}");
    make_store(
        &path,
        &ddl,
        &format!("PRAGMA user_version = {};", STORE_VERSION + 1),
    );
    let before = std::fs::read(&path).unwrap();
    let e = cache::open_store(&path, None).expect_err("a newer store is refused");
    assert_eq!(
        e.to_string(),
        format!(
            "summary store {}: schema version {} was written by a newer lore-digest (this one \
             knows up to {STORE_VERSION}); use that version, or another --data-dir",
            path.display(),
            STORE_VERSION + 1
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "not changed");
    // Nor through a connection opened some other way.
    let db = Connection::open(&path).unwrap();
    assert!(Cache::open(&db).is_err());
    assert_eq!(user_version(&db), STORE_VERSION + 1);
}

/// An index as the release before index versions left it: the current
/// tables, its version only in `meta`.
fn index_of_meta_version(path: &Path, version: &str) {
    {
        let ix = Index::open(path).unwrap();
        ix.connection()
            .execute_batch(&format!(
                "PRAGMA user_version = 0;
                 UPDATE meta SET value = '{version}' WHERE key = 'schema_version';
                 INSERT INTO epochs VALUES(0, 'abc', 1);"
            ))
            .unwrap();
    }
}

/// An index whose version is only in `meta`, as the releases before index
/// versions noted it, is kept when that version is this one's.
#[test]
fn an_index_of_the_release_before_index_versions_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite3");
    index_of_meta_version(&path, &SCHEMA_VERSION.to_string());
    let notes = std::cell::RefCell::new(Vec::new());
    let ix = Index::open_repairing(&path, &|m| notes.borrow_mut().push(m.to_string())).unwrap();
    assert_eq!(notes.borrow().len(), 0, "{:?}", notes.borrow());
    assert_eq!(ix.epochs().unwrap().len(), 1, "not rebuilt");
    assert_eq!(user_version(ix.connection()), SCHEMA_VERSION);
}

/// Every older version, noted in `meta` (the releases before index
/// versions) or as `user_version` (2: the index without To and Cc).
#[test]
fn an_index_of_an_older_version_is_rebuilt_with_a_note() {
    let cases = (1..SCHEMA_VERSION).flat_map(|v| [("meta", v), ("user_version", v)]);
    for (how, old) in cases {
        let case = format!("{how} {old}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.sqlite3");
        if how == "meta" {
            index_of_meta_version(&path, &old.to_string());
        } else {
            index_of_meta_version(&path, &SCHEMA_VERSION.to_string());
            Connection::open(&path)
                .unwrap()
                .execute_batch(&format!("PRAGMA user_version = {old};"))
                .unwrap();
        }
        let e = Index::open(&path)
            .err()
            .expect("older: refused by a reader");
        assert_eq!(
            e.to_string(),
            format!("index {}: schema version {old} is outdated", path.display()),
            "{case}"
        );
        let notes = std::cell::RefCell::new(Vec::new());
        let ix = Index::open_repairing(&path, &|m| notes.borrow_mut().push(m.to_string())).unwrap();
        assert_eq!(
            *notes.borrow(),
            [format!(
                "index {} has schema version {old}, this lore-digest uses {SCHEMA_VERSION}; \
                 rebuilding it from the mirror",
                path.display()
            )],
            "{case}"
        );
        assert!(ix.epochs().unwrap().is_empty(), "{case}: made again");
        assert_eq!(user_version(ix.connection()), SCHEMA_VERSION);
    }
}

#[test]
fn an_index_of_a_newer_version_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite3");
    index_of_meta_version(&path, &SCHEMA_VERSION.to_string());
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 9;")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let e = Index::open_repairing(&path, &|m| panic!("no repair: {m}"))
        .err()
        .expect("newer: refused");
    assert_eq!(
        e.to_string(),
        format!(
            "index {}: schema version 9 was written by a newer lore-digest (this one uses \
             {SCHEMA_VERSION}); use that version, or another --data-dir",
            path.display()
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "not changed");
}
