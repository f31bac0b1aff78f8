//! What can go wrong with the index. The index is made from the mirror, so
//! every failure here can be repaired by building it again (see
//! [`super::Index::open_repairing`]).

use std::path::{Path, PathBuf};

use super::schema::SCHEMA_VERSION;
use crate::error::{Exit, ExitStatus, IoError};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite failed on the index.
    #[error("index {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The index file cannot be used as it is; the reason says what to do.
    #[error("index {path}: {reason}")]
    Unusable { path: PathBuf, reason: Unusable },
    /// SQLite says the index file is damaged (corrupt pages, not a database).
    #[error("index {path}: damaged ({damage})")]
    Damaged {
        path: PathBuf,
        #[source]
        damage: Damage,
    },
    /// An index of an older schema: it is rebuilt from the mirror.
    #[error("index {path}: schema version {version} is outdated")]
    Outdated { path: PathBuf, version: i64 },
    #[error(transparent)]
    Io(#[from] IoError),
}

impl ExitStatus for Error {
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

/// Why an index file cannot be used as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    #[error("missing")]
    Missing,
    #[error("not a lore-digest index; move it away or use another --data-dir")]
    NotOurs,
    #[error(
        "schema version {version} was written by a newer lore-digest (this one uses \
         {SCHEMA_VERSION}); use that version, or another --data-dir"
    )]
    Newer { version: String },
}

/// How damage showed.
#[derive(Debug, thiserror::Error)]
pub enum Damage {
    /// `PRAGMA quick_check` found these problems.
    #[error("{0}")]
    Check(String),
    /// SQLite met it in a query.
    #[error(transparent)]
    Sqlite(rusqlite::Error),
}

impl Error {
    /// An SQLite error on the index at `path`; damage that SQLite reports
    /// (corrupt pages, a file that is not a database) becomes
    /// [`Error::Damaged`].
    pub fn sqlite(path: &Path, e: rusqlite::Error) -> Error {
        use rusqlite::ErrorCode;
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && matches!(f.code, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
        {
            return Error::Damaged {
                path: path.to_path_buf(),
                damage: Damage::Sqlite(e),
            };
        }
        Error::Sqlite {
            path: path.to_path_buf(),
            source: e,
        }
    }
}
