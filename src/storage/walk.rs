//! Walk the commits of a public-inbox v2 epoch and parse their messages in
//! parallel. Each commit on `refs/heads/master` adds one file: `m` (a message)
//! or `d` (a removed message, byte-identical to the `m` blob it removes).

use std::path::{Path, PathBuf};

use gix::ObjectId;
use rayon::prelude::*;

use crate::error::{Exit, ExitStatus};
use crate::mail::{self, ParsedMail};

/// gix's error underneath one of ours.
type Source = Box<dyn std::error::Error + Send + Sync>;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Reading an epoch repository failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("epoch {epoch} ({path}): {source}")]
    Repo {
        epoch: u32,
        path: PathBuf,
        #[source]
        source: RepoError,
    },
    /// A blob asked for lies in an epoch that is not on disk.
    #[error("epoch {epoch} is not in the mirror")]
    NotInMirror { epoch: u32 },
}

impl Error {
    pub fn repo(epoch: u32, path: &Path, source: RepoError) -> Error {
        Error::Repo {
            epoch,
            path: path.to_path_buf(),
            source,
        }
    }
}

impl ExitStatus for Error {
    fn exit(&self) -> Exit {
        Exit::Failure
    }
}

/// What failed in a repository (the epoch is named by [`Error`]).
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("cannot open repository: {0}")]
    Open(#[source] Source),
    /// Opening it failed before, for another item.
    #[error("cannot open repository")]
    Unopened,
    #[error("bad blob id {blob}: {source}")]
    BlobId {
        blob: String,
        #[source]
        source: Source,
    },
    #[error("cannot read blob {blob}: {source}")]
    Blob {
        blob: String,
        #[source]
        source: Source,
    },
    #[error("cannot read commit {id}: {source}")]
    Commit {
        id: ObjectId,
        #[source]
        source: Source,
    },
    #[error("cannot read the tree of {id}: {source}")]
    Tree {
        id: ObjectId,
        #[source]
        source: Source,
    },
    #[error("cannot decode the tree of {id}: {source}")]
    DecodeTree {
        id: ObjectId,
        #[source]
        source: Source,
    },
    #[error("cannot update {name}: {source}")]
    UpdateRef {
        name: String,
        #[source]
        source: Source,
    },
    #[error("cannot remove {prefix}*: {source}")]
    RemoveRefs {
        prefix: &'static str,
        #[source]
        source: Source,
    },
    /// Any other step (references, a history walk), in gix's words.
    #[error(transparent)]
    Git(Source),
}

impl RepoError {
    /// gix's error as it is.
    pub fn git(e: impl Into<Source>) -> RepoError {
        RepoError::Git(e.into())
    }
}

/// Why one commit could not be read as public-inbox writes it. Its text is
/// kept in the index ([`Change::Error`]); the walk goes on.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("cannot read commit: {0}")]
    Commit(#[source] Source),
    #[error("bad committer time: {0}")]
    Time(#[source] Source),
    #[error("cannot read tree: {0}")]
    Tree(#[source] Source),
    #[error("cannot decode tree: {0}")]
    DecodeTree(#[source] Source),
    #[error("tree holds both m and d")]
    BothFiles,
    #[error("tree holds neither m nor d")]
    NoFile,
    #[error("cannot read blob {blob}: {source}")]
    Blob {
        blob: ObjectId,
        #[source]
        source: Source,
    },
}

pub const MASTER: &str = "refs/heads/master";

/// What one commit did to the archive.
#[derive(Debug, Clone)]
pub enum Change {
    /// A message was added.
    Add { mail: Box<ParsedMail>, size: u64 },
    /// The message with this blob was removed.
    Delete,
    /// The commit could not be read as public-inbox writes it; the text says
    /// why. The walk goes on.
    Error(String),
}

/// One commit of an epoch, read and parsed.
#[derive(Debug, Clone)]
pub struct WalkedCommit {
    /// 1-based position in the epoch's history.
    pub seq: u64,
    pub commit: String,
    /// The `m` or `d` blob (empty for errors).
    pub blob: String,
    /// Committer time: when the archive imported the message.
    pub commit_time: i64,
    pub change: Change,
    /// Set by the indexer: commit of an earlier copy of the same mail (same
    /// Message-ID and content); this copy is then not counted.
    pub duplicate_of: Option<String>,
}

/// An opened epoch repository.
pub struct Epoch {
    pub number: u32,
    pub path: PathBuf,
    repo: gix::Repository,
}

/// The commits to read from an epoch, oldest first.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Current tip of `refs/heads/master` (None for an empty epoch).
    pub tip: Option<ObjectId>,
    /// Commits after the base, oldest first.
    pub commits: Vec<ObjectId>,
    /// Position of the first planned commit minus one.
    pub base_seq: u64,
    /// True when the previously indexed tip is no longer in the history
    /// (a purge rewrote it): the epoch must be indexed from scratch.
    pub rewritten: bool,
}

impl Epoch {
    pub fn open(number: u32, path: &Path) -> Result<Epoch> {
        let repo = gix::open_opts(path, gix::open::Options::isolated())
            .map_err(|e| Error::repo(number, path, RepoError::Open(e.into())))?;
        Ok(Epoch {
            number,
            path: path.to_path_buf(),
            repo,
        })
    }

    fn err(&self, e: impl Into<Source>) -> Error {
        self.fail(RepoError::git(e))
    }

    fn fail(&self, e: RepoError) -> Error {
        Error::repo(self.number, &self.path, e)
    }

    /// Current tip of `refs/heads/master`, None when the epoch is empty.
    pub fn tip(&self) -> Result<Option<ObjectId>> {
        match self
            .repo
            .try_find_reference(MASTER)
            .map_err(|e| self.err(e))?
        {
            None => Ok(None),
            Some(mut r) => Ok(Some(r.peel_to_id().map_err(|e| self.err(e))?.detach())),
        }
    }

    /// All commit ids from the root to `tip`, oldest first.
    pub fn history(&self, tip: ObjectId) -> Result<Vec<ObjectId>> {
        let mut ids = Vec::new();
        for info in self.repo.rev_walk([tip]).all().map_err(|e| self.err(e))? {
            ids.push(info.map_err(|e| self.err(e))?.id);
        }
        ids.reverse();
        Ok(ids)
    }

    /// Plan the walk from an indexed tip (`known`, with `known_seq` commits)
    /// to the current tip.
    pub fn plan(&self, known: Option<(&str, u64)>) -> Result<Plan> {
        let Some(tip) = self.tip()? else {
            return Ok(Plan {
                tip: None,
                commits: Vec::new(),
                base_seq: 0,
                rewritten: known.is_some(),
            });
        };
        let Some((old_hex, old_seq)) = known else {
            return Ok(Plan {
                tip: Some(tip),
                commits: self.history(tip)?,
                base_seq: 0,
                rewritten: false,
            });
        };
        let old = ObjectId::from_hex(old_hex.as_bytes()).ok();
        if old == Some(tip) {
            return Ok(Plan {
                tip: Some(tip),
                commits: Vec::new(),
                base_seq: old_seq,
                rewritten: false,
            });
        }
        // Linear history: walk back from the tip until the known tip.
        let mut newer = Vec::new();
        let mut found = false;
        if let Some(old) = old.filter(|o| self.repo.has_object(o)) {
            let walk = self
                .repo
                .rev_walk([tip])
                .with_hidden([old])
                .all()
                .map_err(|e| self.err(e))?;
            for info in walk {
                let info = info.map_err(|e| self.err(e))?;
                newer.push(info.id);
            }
            // The oldest new commit must have the known tip as its parent.
            if let Some(last) = newer.last() {
                let c = self.repo.find_commit(*last).map_err(|e| self.err(e))?;
                found = c.parent_ids().any(|p| p.detach() == old);
            }
        }
        if !found {
            return Ok(Plan {
                tip: Some(tip),
                commits: self.history(tip)?,
                base_seq: 0,
                rewritten: true,
            });
        }
        newer.reverse();
        Ok(Plan {
            tip: Some(tip),
            commits: newer,
            base_seq: old_seq,
            rewritten: false,
        })
    }

    /// Read and parse `commits` (oldest first, the first at position
    /// `base_seq + 1`) in parallel. Order is kept.
    pub fn read(&self, commits: &[ObjectId], base_seq: u64) -> Vec<WalkedCommit> {
        let sync = self.repo.clone().into_sync();
        commits
            .par_iter()
            .enumerate()
            .map_init(
                || sync.to_thread_local(),
                |repo, (i, id)| read_commit(repo, *id, base_seq + 1 + i as u64),
            )
            .collect()
    }
}

fn read_commit(repo: &gix::Repository, id: ObjectId, seq: u64) -> WalkedCommit {
    let mut out = WalkedCommit {
        seq,
        commit: id.to_string(),
        blob: String::new(),
        commit_time: 0,
        change: Change::Error(String::new()),
        duplicate_of: None,
    };
    match read_commit_inner(repo, id, &mut out) {
        Ok(change) => out.change = change,
        Err(e) => out.change = Change::Error(e.to_string()),
    }
    out
}

fn read_commit_inner(
    repo: &gix::Repository,
    id: ObjectId,
    out: &mut WalkedCommit,
) -> Result<Change, CommitError> {
    let commit = repo
        .find_commit(id)
        .map_err(|e| CommitError::Commit(e.into()))?;
    out.commit_time = commit
        .time()
        .map_err(|e| CommitError::Time(e.into()))?
        .seconds;
    let tree = commit.tree().map_err(|e| CommitError::Tree(e.into()))?;
    let decoded = tree
        .decode()
        .map_err(|e| CommitError::DecodeTree(e.into()))?;
    let mut found: Option<(bool, ObjectId)> = None;
    for entry in &decoded.entries {
        let name: &[u8] = entry.filename.as_ref();
        let is_add = match name {
            b"m" => true,
            b"d" => false,
            _ => continue,
        };
        if found.is_some() {
            return Err(CommitError::BothFiles);
        }
        found = Some((is_add, entry.oid.to_owned()));
    }
    let Some((is_add, blob_id)) = found else {
        return Err(CommitError::NoFile);
    };
    out.blob = blob_id.to_string();
    if !is_add {
        return Ok(Change::Delete);
    }
    let blob = repo.find_blob(blob_id).map_err(|e| CommitError::Blob {
        blob: blob_id,
        source: e.into(),
    })?;
    let size = blob.data.len() as u64;
    let mail = mail::parse(&blob.data, &out.blob);
    Ok(Change::Add {
        mail: Box::new(mail),
        size,
    })
}

impl Epoch {
    /// Raw bytes of a blob (a message), for stages that need the body.
    pub fn read_blob(&self, blob_hex: &str) -> Result<Vec<u8>> {
        blob_in(&self.repo, blob_hex).map_err(|e| self.fail(e))
    }
}

/// The bytes of blob `blob_hex` of `repo`.
fn blob_in(repo: &gix::Repository, blob_hex: &str) -> Result<Vec<u8>, RepoError> {
    let id = ObjectId::from_hex(blob_hex.as_bytes()).map_err(|e| RepoError::BlobId {
        blob: blob_hex.to_string(),
        source: e.into(),
    })?;
    let mut blob = repo.find_blob(id).map_err(|e| RepoError::Blob {
        blob: blob_hex.to_string(),
        source: e.into(),
    })?;
    Ok(blob.take_data())
}

/// Read many blobs of several epochs in parallel and map each through `f`
/// as soon as it is read (no blob is kept), in input order. Each item is
/// (epoch number, blob id); an epoch missing from `epochs` or an unreadable
/// blob gives `f` an error for that item only.
pub fn map_blobs<T: Send>(
    epochs: &[(u32, PathBuf)],
    items: &[(u32, &str)],
    f: impl Fn(Result<Vec<u8>>) -> T + Sync + Send,
) -> Vec<T> {
    let repos: Vec<(u32, PathBuf, Option<gix::ThreadSafeRepository>)> = epochs
        .iter()
        .map(|(n, p)| {
            let repo = gix::open_opts(p, gix::open::Options::isolated())
                .ok()
                .map(|r| r.into_sync());
            (*n, p.clone(), repo)
        })
        .collect();
    items
        .par_iter()
        .map_init(
            || {
                repos
                    .iter()
                    .map(|(n, p, r)| (*n, p.clone(), r.as_ref().map(|r| r.to_thread_local())))
                    .collect::<Vec<_>>()
            },
            |local, (epoch, blob)| {
                let Some((_, path, repo)) = local.iter().find(|(n, _, _)| n == epoch) else {
                    return Err(Error::NotInMirror { epoch: *epoch });
                };
                let Some(repo) = repo else {
                    return Err(Error::repo(*epoch, path, RepoError::Unopened));
                };
                blob_in(repo, blob).map_err(|e| Error::repo(*epoch, path, e))
            },
        )
        .map(f)
        .collect()
}

/// Where a first-parent walk from a tip ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lineage {
    /// The walk met the commit it was looking for: the tip descends from it.
    Descends,
    /// The walk reached this root commit without meeting it.
    Root(ObjectId),
}

/// Walk first parents from `tip` until `ancestor` (when given) or the root.
/// public-inbox epochs have a linear history, so this either proves a fetch
/// a fast-forward (only the new commits are read) or finds the root commit
/// that identifies the archive.
pub fn lineage(
    repo: &gix::Repository,
    tip: ObjectId,
    ancestor: Option<ObjectId>,
) -> Result<Lineage, RepoError> {
    let mut id = tip;
    loop {
        if Some(id) == ancestor {
            return Ok(Lineage::Descends);
        }
        let commit = repo.find_commit(id).map_err(|e| RepoError::Commit {
            id,
            source: e.into(),
        })?;
        match commit.parent_ids().next() {
            Some(p) => id = p.detach(),
            None => return Ok(Lineage::Root(id)),
        }
    }
}

/// True when the tree of commit `id` holds an `m` or `d` file, as every
/// commit of a public-inbox epoch does.
pub fn carries_message(repo: &gix::Repository, id: ObjectId) -> Result<bool, RepoError> {
    let commit = repo.find_commit(id).map_err(|e| RepoError::Commit {
        id,
        source: e.into(),
    })?;
    let tree = commit.tree().map_err(|e| RepoError::Tree {
        id,
        source: e.into(),
    })?;
    let decoded = tree.decode().map_err(|e| RepoError::DecodeTree {
        id,
        source: e.into(),
    })?;
    Ok(decoded.entries.iter().any(|e| {
        let name: &[u8] = e.filename.as_ref();
        name == b"m" || name == b"d"
    }))
}
