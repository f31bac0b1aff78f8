//! Mirror a public-inbox v2 archive: `DIR/LIST/git/N.git`, bare repositories
//! with `refs/heads/master`, exactly as public-inbox and grokmirror lay them
//! out, so either tool can use the other's mirror.
//!
//! - [`source`]: what `--url` names (an inbox, one epoch, a local inbox
//!   folder) and the epochs found in a folder;
//! - [`lock`]: the list's lock, waiting for it, and git lock files left in
//!   an epoch;
//! - [`fetch`]: clone or fetch an epoch, the fetched history checked (under
//!   `refs/lore-digest/incoming/`) before it replaces ours;
//! - [`local`]: an inbox folder used in place, and clones of repositories
//!   on this machine;
//! - [`manifest`]: the epochs an inbox lists in `manifest.js.gz`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod error;
mod fetch;
mod local;
mod lock;
mod manifest;
mod source;

pub use error::{Cause, Error, Holder, LocalCloneError, Result, SyncError, Unrelated};
pub use lock::{ListLock, Wait};
pub use manifest::{FetchError, discover_epochs, parse_manifest};
pub use source::Source;
use source::epochs_in;

/// Recorded state of a list's mirror (`DIR/LIST/mirror.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MirrorState {
    pub source: Source,
    /// When the last sync that worked ended (UTC seconds); none in the
    /// state of older releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync: Option<i64>,
}

/// A list's folder in the data dir.
#[derive(Debug, Clone)]
pub struct Mirror {
    pub list: String,
    pub root: PathBuf,
}

/// An epoch repository on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochPath {
    pub number: u32,
    pub path: PathBuf,
}

/// What a sync did to one epoch.
#[derive(Debug, Clone, Serialize)]
pub struct EpochSync {
    pub epoch: u32,
    pub action: &'static str,
    pub tip: Option<String>,
}

impl Mirror {
    pub fn new(data_dir: &Path, list: &str) -> Result<Mirror> {
        if list.is_empty()
            || list.starts_with('.')
            || list.contains(['/', '\\', '\0'])
            || list.len() > 200
        {
            return Err(Error::ListName {
                list: list.to_string(),
            });
        }
        Ok(Mirror {
            list: list.to_string(),
            root: data_dir.join(list),
        })
    }

    /// The list's folder at an explicit place (a staging folder).
    pub fn at(root: PathBuf, list: &str) -> Mirror {
        Mirror {
            list: list.to_string(),
            root,
        }
    }

    /// True once a sync has worked (it records its source).
    pub fn has_state(&self) -> Result<bool> {
        Ok(self.state()?.is_some())
    }

    pub fn index_path(&self) -> PathBuf {
        self.root.join("index.sqlite3")
    }

    fn state_path(&self) -> PathBuf {
        self.root.join("mirror.json")
    }

    pub fn state(&self) -> Result<Option<MirrorState>> {
        let p = self.state_path();
        match std::fs::read(&p) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| Error::StateDamaged {
                        list: self.list.clone(),
                        path: p.clone(),
                        source: e,
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&p, e)),
        }
    }

    fn save_state(&self, state: &MirrorState) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(state).expect("state serializes");
        Ok(crate::fsutil::write_atomic(&self.state_path(), &bytes)?)
    }

    /// Folder holding the `N.git` epochs: ours, or the local inbox's.
    pub fn git_dir(&self) -> Result<PathBuf> {
        Ok(match self.state()? {
            Some(MirrorState {
                source: Source::Local { path },
                ..
            }) => path.join("git"),
            _ => self.root.join("git"),
        })
    }

    /// The epochs present on disk, by number.
    pub fn epochs(&self) -> Result<Vec<EpochPath>> {
        epochs_in(&self.git_dir()?)
    }

    /// Clone or fetch every epoch of the list from `source` (or the source
    /// recorded by the last sync), refusing a source whose history is not
    /// this list's (see [`Known`]). The source is remembered only once the
    /// sync has worked. Call with the lock held.
    pub fn sync(
        &self,
        source: Option<Source>,
        known: &Known,
        progress: &crate::progress::Progress,
    ) -> Result<Vec<EpochSync>> {
        let previous = self.state()?.map(|s| s.source);
        let source = match source.or_else(|| previous.clone()) {
            Some(s) => s,
            None => Source::lore(&self.list),
        };
        std::fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let ctx = SyncCtx {
            known,
            previous: previous.as_ref(),
            source: &source,
            progress,
        };
        let out = match &source {
            Source::Local { path } => self.sync_in_place(&ctx, path)?,
            Source::Epoch { url, epoch } => vec![self.sync_epoch(&ctx, url, *epoch)?],
            Source::Inbox { url } => self.sync_inbox(&ctx, url)?,
        };
        // Only a sync that worked is remembered: a mistyped --url must not
        // be reused by every later sync.
        let last_sync = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_secs()).ok());
        self.save_state(&MirrorState { source, last_sync })?;
        Ok(out)
    }
}

/// What a sync must keep: the root commit each epoch of the list starts
/// at, as the index knows it (`epoch -> commit id`), and how long to wait
/// for git lock files held by another program.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub roots: std::collections::BTreeMap<u32, String>,
    /// The tip each epoch had when last indexed: a source used in place
    /// whose tip is still this one (or descends from it) needs no walk.
    pub tips: std::collections::BTreeMap<u32, String>,
    pub wait: Wait,
}

pub(super) struct SyncCtx<'a> {
    known: &'a Known,
    /// The source of the last sync that worked.
    previous: Option<&'a Source>,
    source: &'a Source,
    progress: &'a crate::progress::Progress,
}

pub(super) fn master_tip(repo: &gix::Repository) -> Option<String> {
    let mut r = repo
        .try_find_reference(crate::storage::walk::MASTER)
        .ok()??;
    r.peel_to_id().ok().map(|id| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_names_are_checked() {
        assert!(Mirror::new(Path::new("/tmp"), "../etc").is_err());
        assert!(Mirror::new(Path::new("/tmp"), "").is_err());
        assert!(Mirror::new(Path::new("/tmp"), "kvmarm").is_ok());
    }
}
