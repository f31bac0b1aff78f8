//! Errors that name what they concern (list, epoch, commit, file) and say
//! what to do.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}{}", io_advice(.source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// SQLite failed on the index.
    #[error("index {path}: {source}")]
    Index {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The index file cannot be used as it is (missing, another program's
    /// database, a newer schema); the reason says what to do.
    #[error("index {path}: {reason}")]
    IndexUnusable { path: PathBuf, reason: String },
    /// Reading an epoch repository failed.
    #[error("epoch {epoch} ({path}): {source}")]
    Git {
        epoch: u32,
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("sync of {list} from {url}: {message}")]
    Sync {
        list: String,
        url: String,
        message: String,
    },
    #[error("{0}")]
    Usage(String),
    #[error("list {list}: {message}")]
    List { list: String, message: String },
    #[error("{message}")]
    Locked { message: String },
    /// A sync source whose history is not the list's: another archive.
    #[error("{message}")]
    Unrelated { list: String, message: String },
    /// SQLite says the index file is damaged (corrupt pages, not a database).
    #[error("index {path}: damaged ({reason})")]
    IndexDamaged { path: PathBuf, reason: String },
    /// An index of an older schema: it is rebuilt from the mirror.
    #[error("index {path}: schema version {version} is outdated")]
    IndexOutdated { path: PathBuf, version: String },
}

/// What to do about an I/O error, where there is something to say.
fn io_advice(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::PermissionDenied => {
            "; check the permissions of that path, or choose another folder (--out, --data-dir)"
        }
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
            "; free some space on that file system (or choose another folder) and run again"
        }
        ErrorKind::ReadOnlyFilesystem => {
            "; that file system is read-only: choose another folder (--out, --data-dir)"
        }
        _ => "",
    }
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// An index error; damage that SQLite reports (corrupt pages, a file
    /// that is not a database) becomes [`Error::IndexDamaged`].
    pub fn index(path: &Path, e: rusqlite::Error) -> Error {
        use rusqlite::ErrorCode;
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && matches!(f.code, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
        {
            return Error::IndexDamaged {
                path: path.to_path_buf(),
                reason: e.to_string(),
            };
        }
        Error::Index {
            path: path.to_path_buf(),
            source: e,
        }
    }

    /// A failure reading epoch `epoch`: any error (gix's, kept as the
    /// source) or a message.
    pub fn git(
        epoch: u32,
        path: &Path,
        e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::Git {
            epoch,
            path: path.to_path_buf(),
            source: e.into(),
        }
    }

    /// Process exit status for this error (see README, "Exit status").
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::Locked { .. } => 75,
            Error::Sync { .. } => 69,
            Error::Unrelated { .. } => 65,
            _ => 1,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
