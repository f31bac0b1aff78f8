//! Errors that name what they concern (list, epoch, commit, file) and say
//! what to do.
//!
//! Each layer has its own error type, with the gix, SQLite or I/O error
//! underneath as its source: the mirror's, the walk's, the index's and the
//! archive's (`crate::storage`), the summary store's, the kind table's and
//! the configuration's. Each says what it means for the exit status
//! ([`ExitStatus`]: one of the [`Exit`] rows of docs/exit-status.md);
//! [`Error`] carries any of them up to the CLI, which prints it and exits
//! with [`Error::exit_code`]: the one place where they become numbers.

use std::path::{Path, PathBuf};

/// What a failure means to whoever ran the command (docs/exit-status.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Reading or writing the mirror, index or output failed (1).
    Failure,
    /// A bad command line or configuration (2).
    Usage,
    /// `sync --url` names another archive than the list's (65).
    Unrelated,
    /// The archive could not be fetched (69).
    Unavailable,
    /// Another program holds a lock: run again later, or `--wait` (75).
    Locked,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> i32 {
        match self {
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Unrelated => 65,
            Exit::Unavailable => 69,
            Exit::Locked => 75,
        }
    }
}

/// A layer's error, which knows what it means for the exit status; any of
/// them becomes an [`Error`] with `?`.
pub trait ExitStatus: std::error::Error + Send + Sync + 'static {
    fn exit(&self) -> Exit;
}

/// An I/O error on a file or folder, with what to do where there is
/// something to say.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}{}", io_advice(.source))]
pub struct IoError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl IoError {
    pub fn new(path: &Path, source: std::io::Error) -> IoError {
        IoError {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl ExitStatus for IoError {
    fn exit(&self) -> Exit {
        Exit::Failure
    }
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

/// The error a command returns: a bad command line, or a layer's error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    /// The error of a layer (see the module's doc), shown as it is.
    #[error("{source}")]
    Layer {
        exit: Exit,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl<E: ExitStatus> From<E> for Error {
    fn from(e: E) -> Error {
        Error::Layer {
            exit: e.exit(),
            source: Box::new(e),
        }
    }
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        IoError::new(path, source).into()
    }

    /// Process exit status for this error (see docs/exit-status.md).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => Exit::Usage,
            Error::Layer { exit, .. } => *exit,
        }
        .code()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
