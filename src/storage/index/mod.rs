//! The index: one SQLite database per list (`DIR/LIST/index.sqlite3`) with a
//! row per `m` commit of every epoch, updated incrementally. It holds header
//! facts only; bodies are read from the mirror when a later stage needs them.
//!
//! - [`schema`]: the tables, opening (version, damage check) and repair;
//! - [`write`]: batches of walked commits, deletions, thread ids;
//! - [`query`]: what later stages read (windows, threads, series, people).

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde::Serialize;

use crate::mail::Links;

mod error;
mod ledger;
mod query;
mod schema;
mod write;

/// The time field and commit ranges a query selects by belong to the window
/// a command looks at; the index takes them as they are.
pub use crate::window::{SeqRange, TimeField};
pub use error::{Damage, Error, Result, Unusable};
pub use ledger::{LedgerMark, LedgerRow};
pub use schema::{SCHEMA_VERSION, remove_files, sqlite_files};
pub use write::{subject_key, subject_key_prefix};

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
    /// The addresses of its To and Cc headers, lower-cased
    /// ([`crate::mail::ParsedMail::to_cc`]).
    pub to_cc: Vec<String>,
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

impl Index {
    fn err(&self, e: rusqlite::Error) -> Error {
        let e = Error::sqlite(&self.path, e);
        if matches!(e, Error::Damaged { .. }) {
            // Make the next open check the whole file (and repair it).
            let _ = std::fs::remove_file(schema::checked_marker(&self.path));
        }
        e
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw connection, for stages that keep their own tables (cache).
    pub fn connection(&self) -> &Connection {
        self.conn.as_ref().expect("open until dropped")
    }

    fn conn_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("open until dropped")
    }
}
