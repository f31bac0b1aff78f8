//! A local inbox folder used in place (its `git/N.git` are read, never
//! written), and clones of a repository on this machine made by copying.

use std::path::Path;

use super::source::epochs_in;
use super::{EpochSync, Error, LocalCloneError, Mirror, Result, SyncCtx, SyncError, master_tip};
use crate::storage::walk::RepoError;

/// The refspec of a mirror's `origin`: its branches are the source's, one
/// for one (a local clone writes it into the config, a fetch uses it).
pub(super) const REFSPEC: &str = "+refs/heads/*:refs/heads/*";

impl Mirror {
    /// Check the epochs of the inbox folder `path`, used in place.
    pub(super) fn sync_in_place(&self, ctx: &SyncCtx<'_>, path: &Path) -> Result<Vec<EpochSync>> {
        let known = ctx.known;
        let git = path.join("git");
        let mut out = Vec::new();
        for ep in epochs_in(&git)? {
            let repo = gix::open_opts(&ep.path, gix::open::Options::isolated())
                .map_err(|e| Error::repo(ep.number, &ep.path, RepoError::git(e)))?;
            let tip = master_tip(&repo);
            if let Some(t) = &tip {
                let id = gix::ObjectId::from_hex(t.as_bytes())
                    .map_err(|e| Error::repo(ep.number, &ep.path, RepoError::git(e)))?;
                let indexed = known
                    .tips
                    .get(&ep.number)
                    .and_then(|t| gix::ObjectId::from_hex(t.as_bytes()).ok());
                self.check_incoming(ctx, &repo, ep.number, id, indexed, &ep.path)?;
            }
            out.push(EpochSync {
                epoch: ep.number,
                action: "in-place",
                tip,
            });
        }
        if out.is_empty() {
            return Err(Error::Sync {
                list: self.list.clone(),
                url: git.display().to_string(),
                problem: SyncError::NoEpochs,
            });
        }
        Ok(out)
    }
}

/// Clone a repository on this machine as `git clone --local --no-hardlinks`
/// does: copy its object store and its branches instead of packing and
/// re-indexing every object through the git protocol. The source is only
/// read. Returns the tip of master.
pub(super) fn local_clone(src: &Path, dest: &Path, url: &str) -> Result<String, LocalCloneError> {
    let source =
        gix::open_opts(src, gix::open::Options::isolated()).map_err(LocalCloneError::git)?;
    let mut heads = Vec::new();
    let platform = source.references().map_err(LocalCloneError::git)?;
    for r in platform.local_branches().map_err(LocalCloneError::git)? {
        let mut r = r.map_err(LocalCloneError::git)?;
        let name = r.name().as_bstr().to_string();
        let id = r.peel_to_id().map_err(LocalCloneError::git)?.detach();
        heads.push((name, id));
    }
    let Some(tip) = heads
        .iter()
        .find(|(n, _)| n == crate::storage::walk::MASTER)
        .map(|(_, id)| *id)
    else {
        return Err(LocalCloneError::NoMaster);
    };
    let repo = gix::init_bare(dest).map_err(LocalCloneError::git)?;
    copy_tree(&src.join("objects"), &dest.join("objects"))?;
    for (name, id) in &heads {
        repo.reference(
            name.as_str(),
            *id,
            gix::refs::transaction::PreviousValue::Any,
            format!("clone: from {url}"),
        )
        .map_err(LocalCloneError::git)?;
    }
    // public-inbox epochs have HEAD on master.
    std::fs::write(dest.join("HEAD"), "ref: refs/heads/master\n")?;
    // Record the origin as git would, so plain git can fetch too.
    let config = dest.join("config");
    let mut text = std::fs::read_to_string(&config)?;
    text.push_str(&format!(
        "[remote \"origin\"]\n\turl = {url}\n\tfetch = {REFSPEC}\n"
    ));
    std::fs::write(&config, text)?;
    // The copy must be readable before it replaces anything.
    let check =
        gix::open_opts(dest, gix::open::Options::isolated()).map_err(LocalCloneError::git)?;
    check
        .find_commit(tip)
        .map_err(|e| LocalCloneError::Incomplete {
            tip,
            source: e.into(),
        })?;
    Ok(tip.to_string())
}

/// Copy a folder tree (regular files and folders only).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let target = to.join(entry.file_name());
        if ty.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if ty.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
