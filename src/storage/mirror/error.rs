//! What can go wrong with a list's mirror, and what each failure means for
//! the exit status.

use std::path::PathBuf;

use gix::ObjectId;

use super::manifest::FetchError;
use super::source::URL_ADVICE;
use crate::error::{Exit, ExitStatus, IoError};
use crate::storage::walk;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// gix's (or the HTTP client's) error underneath one of ours.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{list:?} is not a valid list name")]
    ListName { list: String },
    #[error("empty --url")]
    EmptyUrl,
    #[error("{url}: neither an http(s) URL, a git repository nor an inbox folder with git/N.git")]
    UnknownUrl { url: String },
    /// A `file://` URL or a path that does not exist: nothing to fetch.
    #[error("{url}: no such file or folder; the archive cannot be fetched from it")]
    MissingPath { url: String },
    /// `mirror.json` cannot be read back.
    #[error("list {list}: {path} is damaged ({source}); run sync with --url again")]
    StateDamaged {
        list: String,
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// Another lore-digest holds the list's lock.
    #[error(
        "another lore-digest (pid {holder}) is working on {root}; wait for it to finish and \
         run again, or use --wait[=SECONDS]"
    )]
    Locked { holder: String, root: PathBuf },
    /// Another program holds a git lock file of an epoch.
    #[error(
        "epoch {epoch}: {lock} is held by another program: {holder}; run again when it is done, \
         or use --wait[=SECONDS]"
    )]
    GitLocked {
        epoch: u32,
        lock: PathBuf,
        holder: Holder,
    },
    /// The archive could not be fetched from `url`.
    #[error("sync of {list} from {url}: {problem}")]
    Sync {
        list: String,
        url: String,
        #[source]
        problem: SyncError,
    },
    /// The source is another archive than the list's.
    #[error(transparent)]
    Unrelated(Box<Unrelated>),
    /// Reading or updating an epoch repository failed.
    #[error(transparent)]
    Repo(#[from] walk::Error),
}

impl Error {
    pub(crate) fn io(path: &std::path::Path, e: std::io::Error) -> Error {
        Error::Io(IoError::new(path, e))
    }

    /// Epoch `epoch`'s repository at `path` failed.
    pub(crate) fn repo(epoch: u32, path: &std::path::Path, e: walk::RepoError) -> Error {
        Error::Repo(walk::Error::repo(epoch, path, e))
    }
}

impl ExitStatus for Error {
    fn exit(&self) -> Exit {
        match self {
            Error::ListName { .. } | Error::EmptyUrl | Error::UnknownUrl { .. } => Exit::Usage,
            Error::Locked { .. } | Error::GitLocked { .. } => Exit::Locked,
            Error::Sync { .. } | Error::MissingPath { .. } => Exit::Unavailable,
            Error::Unrelated(_) => Exit::Unrelated,
            Error::Io(_) | Error::StateDamaged { .. } | Error::Repo(_) => Exit::Failure,
        }
    }
}

/// The source's epoch `epoch` starts at another root commit than the
/// list's: another archive.
#[derive(Debug, thiserror::Error)]
#[error(
    "list {list}: {new} is another archive, not {list}'s: its epoch {epoch} starts at commit {root}, \
     where {list} ({was}) starts at {expected}. Nothing was changed. To mirror it too, give it \
     its own name: `lore-digest sync OTHER-NAME --url {url}`; to throw away {list}'s mirror, \
     index and summaries and mirror the new source instead, add --replace."
)]
pub struct Unrelated {
    pub list: String,
    /// The source, described.
    pub new: String,
    pub epoch: u32,
    pub root: ObjectId,
    /// Where the list came from: "mirrored from …" or "indexed".
    pub was: String,
    pub expected: ObjectId,
    /// The source as `--url` takes it.
    pub url: String,
}

/// Who holds a git lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A process of this machine that has the repository open.
    Process { pid: u32, name: String },
    /// Nobody this system can name (it has no `/proc`), and the lock is recent.
    Unknown,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holder::Process { pid, name } => {
                write!(f, "{name} (pid {pid}) has the repository open")
            }
            Holder::Unknown => {
                f.write_str("it is recent, and this system cannot tell who holds it")
            }
        }
    }
}

/// Why the archive could not be fetched (see [`Error::Sync`]).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("no epoch repositories (git/N.git) found")]
    NoEpochs,
    /// No server answered the manifest's download.
    #[error("{0}; check the network (and a proxy, if any) and --url")]
    NoAnswer(#[source] FetchError),
    /// Neither the manifest nor epoch 0 is there.
    #[error(
        "no public-inbox archive there: {url}/manifest.js.gz {} and {url}/0 cannot be cloned ({clone})",
        manifest_words(.manifest)
    )]
    NoArchive {
        url: String,
        /// Why the manifest could not be used; None when it lists no epoch.
        manifest: Option<FetchError>,
        #[source]
        clone: Box<SyncError>,
    },
    #[error(
        "not a public-inbox archive: commit {tip} of epoch {epoch} (refs/heads/master) has no `m` \
         or `d` file; {URL_ADVICE}"
    )]
    NoMessages { tip: ObjectId, epoch: u32 },
    #[error("the repository has no refs/heads/master: not a public-inbox epoch; {URL_ADVICE}")]
    NoMaster,
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: Cause,
    },
    #[error("bad URL: {0}")]
    Url(#[source] Cause),
    #[error("refspec: {0}")]
    Refspec(#[source] Cause),
    /// `cause`: what went wrong on the network, in words ([`crate::net::cause`]).
    #[error("cannot connect: {cause}")]
    Connect {
        cause: String,
        #[source]
        source: Cause,
    },
    #[error("cannot list refs: {0}")]
    ListRefs(#[source] Cause),
    #[error("fetch failed: {cause}")]
    Fetch {
        cause: String,
        #[source]
        source: Cause,
    },
    #[error("local clone failed: {0}; {URL_ADVICE}")]
    LocalClone(#[source] LocalCloneError),
    #[error("cannot open the clone: {0}")]
    OpenClone(#[source] Cause),
    #[error("cannot start clone: {0}")]
    StartClone(#[source] Cause),
    #[error(transparent)]
    Remote(Cause),
    #[error("clone failed: {cause}; {URL_ADVICE}, and that the server answers")]
    Clone {
        cause: String,
        #[source]
        source: Cause,
    },
}

fn manifest_words(manifest: &Option<FetchError>) -> String {
    match manifest {
        Some(e) => format!("gives {e}"),
        None => "lists no epoch".to_string(),
    }
}

/// Why copying a repository of this machine failed.
#[derive(Debug, thiserror::Error)]
pub enum LocalCloneError {
    #[error(transparent)]
    Git(Cause),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("the repository has no refs/heads/master: not a public-inbox epoch")]
    NoMaster,
    #[error("copied repository lacks {tip}: {source}")]
    Incomplete {
        tip: ObjectId,
        #[source]
        source: Cause,
    },
}

impl LocalCloneError {
    pub fn git(e: impl Into<Cause>) -> LocalCloneError {
        LocalCloneError::Git(e.into())
    }
}
