//! What can go wrong with a list's archive, and the exit status each means.

use std::path::{Path, PathBuf};

use crate::error::{Exit, ExitStatus, IoError};
use crate::storage::index;
use crate::storage::mirror;
use crate::storage::walk;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong with a list's archive: its mirror's, index's and
/// epochs' errors, and what only the archive as a whole can say.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Mirror(#[from] mirror::Error),
    #[error(transparent)]
    Index(#[from] index::Error),
    #[error(transparent)]
    Repo(#[from] walk::Error),
    #[error(transparent)]
    Io(#[from] IoError),
    #[error(
        "list {list}: never synced: nothing is mirrored in {root}{did_you_mean}; run `lore-digest --data-dir {data_dir} sync {list} --url URL` first"
    )]
    NeverSynced {
        list: String,
        root: PathBuf,
        data_dir: PathBuf,
        /// `; did you mean kvmarm?` when a synced list has a close name.
        did_you_mean: String,
    },
    #[error("list {list}: no mirror in {root}; run `lore-digest sync {list} --url …` first")]
    NoMirror { list: String, root: PathBuf },
    /// The index needs repair, and another run holds the lock repair needs.
    #[error("list {list}: {index}; it cannot be rebuilt now: {lock}")]
    Unrepairable {
        list: String,
        #[source]
        index: Box<index::Error>,
        lock: Box<mirror::Error>,
    },
    /// The index names an epoch that is not on disk.
    #[error("epoch {epoch} ({root}): epoch missing from the mirror")]
    EpochMissing { epoch: u32, root: PathBuf },
    #[error("--range: {0}")]
    Range(#[source] RangeError),
}

impl ExitStatus for Error {
    fn exit(&self) -> Exit {
        match self {
            Error::Mirror(e) => e.exit(),
            Error::Range(_) => Exit::Usage,
            _ => Exit::Failure,
        }
    }
}

impl Error {
    pub(super) fn io(path: &Path, e: std::io::Error) -> Error {
        Error::Io(IoError::new(path, e))
    }
}

/// Why `--range` cannot be resolved against the index.
#[derive(Debug, thiserror::Error)]
pub enum RangeError {
    #[error("commit {rev} is not in the index of {list} (sync first?)")]
    UnknownCommit { rev: String, list: String },
    #[error("commit {rev} is ambiguous; give more digits")]
    Ambiguous { rev: String },
    #[error("epoch {epoch} is not indexed for {list} (its epochs: {have})")]
    EpochNotIndexed {
        epoch: u32,
        list: String,
        /// The epochs that are, e.g. `0, 1`.
        have: String,
    },
    #[error("{from} comes after {to} in epoch {epoch}")]
    Backwards {
        from: String,
        to: String,
        epoch: u32,
    },
}
