//! Clone or fetch an epoch over git (or from a repository on this
//! machine), checking that the new history is the list's own before it
//! replaces anything: fetches land under `refs/lore-digest/incoming/` first.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use super::local::{REFSPEC, local_clone};
use super::lock::clear_git_locks;
use super::manifest::{FetchError, discover_epochs};
use super::source::{is_bare_repo, local_path};
use super::{Cause, EpochSync, Error, Mirror, Result, SyncCtx, SyncError, Unrelated, master_tip};
use crate::storage::walk::{self, RepoError};

impl Mirror {
    /// Every epoch of the inbox at `url`: those its manifest lists, else
    /// `url/0`, `url/1`, … until one is missing.
    pub(super) fn sync_inbox(&self, ctx: &SyncCtx<'_>, url: &str) -> Result<Vec<EpochSync>> {
        let progress = ctx.progress;
        let sync_err = |problem: SyncError| Error::Sync {
            list: self.list.clone(),
            url: url.to_string(),
            problem,
        };
        let mut manifest_error = None;
        let epochs = match discover_epochs(url) {
            Ok(list) if !list.is_empty() => Some(list),
            Ok(_) => None,
            // No server answered: probing epochs would only fail
            // the same way.
            Err(e @ FetchError::NoAnswer { .. }) => {
                return Err(sync_err(SyncError::NoAnswer(e)));
            }
            Err(e) => {
                progress.note(&format!(
                    "{url}/manifest.js.gz unusable ({e}); probing {url}/0, {url}/1, …"
                ));
                manifest_error = Some(e);
                None
            }
        };
        let mut out = Vec::new();
        match epochs {
            Some(list) => {
                for n in list {
                    out.push(self.sync_epoch(ctx, &format!("{url}/{n}"), n)?);
                }
            }
            None => {
                let mut n = 0;
                loop {
                    match self.sync_epoch(ctx, &format!("{url}/{n}"), n) {
                        Ok(s) => out.push(s),
                        Err(e) if n > 0 => {
                            progress.note(&format!("no epoch {n} ({e}); {n} epoch(s) found"));
                            break;
                        }
                        Err(Error::Sync { problem, .. }) => {
                            return Err(sync_err(SyncError::NoArchive {
                                url: url.to_string(),
                                manifest: manifest_error.take(),
                                clone: Box::new(problem),
                            }));
                        }
                        Err(e) => return Err(e),
                    }
                    n += 1;
                }
            }
        }
        Ok(out)
    }

    /// The root commit epoch `n` of this list is known to start at: from
    /// the index, else from the epoch on disk.
    fn expected_root(&self, ctx: &SyncCtx<'_>, n: u32) -> Option<gix::ObjectId> {
        if let Some(r) = ctx.known.roots.get(&n) {
            return gix::ObjectId::from_hex(r.as_bytes()).ok();
        }
        let ep = self.epochs().ok()?.into_iter().find(|e| e.number == n)?;
        let repo = gix::open_opts(&ep.path, gix::open::Options::isolated()).ok()?;
        let tip = gix::ObjectId::from_hex(master_tip(&repo)?.as_bytes()).ok()?;
        match crate::storage::walk::lineage(&repo, tip, None).ok()? {
            crate::storage::walk::Lineage::Root(r) => Some(r),
            crate::storage::walk::Lineage::Descends => None,
        }
    }

    /// Check a tip about to become epoch `n` of this list: its commits must
    /// carry messages (`m`/`d`), and it must descend from the tip we have
    /// (`old`) or at least start at the same root commit (a public-inbox
    /// purge rewrites history but keeps the root). Anything else is another
    /// archive, refused unless the caller asked to replace the list.
    pub(super) fn check_incoming(
        &self,
        ctx: &SyncCtx<'_>,
        repo: &gix::Repository,
        n: u32,
        tip: gix::ObjectId,
        old: Option<gix::ObjectId>,
        path: &Path,
    ) -> Result<()> {
        let where_ = ctx.source.describe();
        match walk::carries_message(repo, tip) {
            Ok(true) => {}
            Ok(false) => {
                return Err(Error::Sync {
                    list: self.list.clone(),
                    url: where_,
                    problem: SyncError::NoMessages { tip, epoch: n },
                });
            }
            Err(e) => return Err(Error::repo(n, path, e)),
        }
        let root = match walk::lineage(repo, tip, old).map_err(|e| Error::repo(n, path, e))? {
            crate::storage::walk::Lineage::Descends => return Ok(()),
            crate::storage::walk::Lineage::Root(r) => r,
        };
        let Some(expected) = self.expected_root(ctx, n) else {
            return Ok(());
        };
        if expected == root {
            return Ok(());
        }
        let was = match ctx.previous {
            Some(p) => format!("mirrored from {}", p.describe()),
            None => "indexed".to_string(),
        };
        Err(Error::Unrelated(Box::new(Unrelated {
            list: self.list.clone(),
            new: where_,
            epoch: n,
            root,
            was,
            expected,
            url: ctx.source.url_arg(),
        })))
    }

    /// Clone epoch `n` from `url`, or fetch into the existing clone.
    pub(super) fn sync_epoch(&self, ctx: &SyncCtx<'_>, url: &str, n: u32) -> Result<EpochSync> {
        let progress = ctx.progress;
        let git = self.root.join("git");
        std::fs::create_dir_all(&git).map_err(|e| Error::io(&git, e))?;
        let dest = git.join(format!("{n}.git"));
        let err = |problem: SyncError| Error::Sync {
            list: self.list.clone(),
            url: url.to_string(),
            problem,
        };
        let open_failed = |source: Cause| {
            err(SyncError::Open {
                path: dest.clone(),
                source,
            })
        };
        let interrupt = AtomicBool::new(false);
        if is_bare_repo(&dest) && dest.join("refs/heads/master").exists()
            || has_packed_master(&dest)
        {
            clear_git_locks(&dest, n, ctx.known.wait, progress)?;
            let spinner = progress.spinner(&format!("fetching epoch {n} from {url}"));
            let repo = gix::open_opts(&dest, gix::open::Options::isolated())
                .map_err(|e| open_failed(e.into()))?;
            let before = master_tip(&repo);
            // Fetch beside our branches, not over them: the new history is
            // checked before it replaces anything.
            drop_incoming(&repo).map_err(|e| Error::repo(n, &dest, e))?;
            let packs_before = list_dir(&dest.join("objects/pack"));
            let remote = repo
                .remote_at(url)
                .map_err(|e| err(SyncError::Url(e.into())))?
                .with_refspecs(Some(INCOMING_REFSPEC), gix::remote::Direction::Fetch)
                .map_err(|e| err(SyncError::Refspec(e.into())))?
                .with_fetch_tags(gix::remote::fetch::Tags::None);
            let conn = remote.connect(gix::remote::Direction::Fetch).map_err(|e| {
                err(SyncError::Connect {
                    cause: crate::net::cause(&e, url),
                    source: e.into(),
                })
            })?;
            conn.prepare_fetch(gix::progress::Discard, Default::default())
                .map_err(|e| err(SyncError::ListRefs(e.into())))?
                .receive(gix::progress::Discard, &interrupt)
                .map_err(|e| {
                    err(SyncError::Fetch {
                        cause: crate::net::cause(&e, url),
                        source: e.into(),
                    })
                })?;
            let repo = gix::open_opts(&dest, gix::open::Options::isolated())
                .map_err(|e| open_failed(e.into()))?;
            let incoming = incoming_refs(&repo).map_err(|e| Error::repo(n, &dest, e))?;
            let Some(new_tip) = incoming
                .iter()
                .find(|(name, _)| name == crate::storage::walk::MASTER)
                .map(|(_, id)| *id)
            else {
                let _ = drop_incoming(&repo);
                return Err(err(SyncError::NoMaster));
            };
            let old = before
                .as_deref()
                .and_then(|b| gix::ObjectId::from_hex(b.as_bytes()).ok());
            if old != Some(new_tip) {
                if let Err(e) = self.check_incoming(ctx, &repo, n, new_tip, old, &dest) {
                    let _ = drop_incoming(&repo);
                    drop(repo);
                    // The refused history's objects go too: the epoch is
                    // left exactly as it was.
                    for p in list_dir(&dest.join("objects/pack")) {
                        if !packs_before.contains(&p) {
                            let _ = std::fs::remove_file(&p);
                        }
                    }
                    return Err(e);
                }
                for (name, id) in &incoming {
                    repo.reference(
                        name.as_str(),
                        *id,
                        gix::refs::transaction::PreviousValue::Any,
                        format!("fetch: from {url}"),
                    )
                    .map_err(|e| {
                        Error::repo(
                            n,
                            &dest,
                            RepoError::UpdateRef {
                                name: name.clone(),
                                source: e.into(),
                            },
                        )
                    })?;
                }
            }
            drop_incoming(&repo).map_err(|e| Error::repo(n, &dest, e))?;
            spinner.finish();
            return Ok(EpochSync {
                epoch: n,
                action: if old == Some(new_tip) {
                    "up-to-date"
                } else {
                    "fetched"
                },
                tip: Some(new_tip.to_string()),
            });
        }
        // Clone into a temporary folder and rename when complete and
        // checked: an interrupted clone leaves only the temporary folder,
        // which the next run removes.
        let tmp = git.join(format!("{n}.git.partial"));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        }
        let spinner = progress.spinner(&format!("cloning epoch {n} from {url}"));
        let cloned = if let Some(src) = local_path(url)
            && !src.join("objects/info/alternates").exists()
        {
            local_clone(&src, &tmp, url).map_err(|e| {
                let _ = std::fs::remove_dir_all(&tmp);
                err(SyncError::LocalClone(e))
            })?;
            gix::open_opts(&tmp, gix::open::Options::isolated())
                .map_err(|e| err(SyncError::OpenClone(e.into())))?
        } else {
            let prep = gix::prepare_clone_bare(url, &tmp)
                .map_err(|e| err(SyncError::StartClone(e.into())))?;
            let mut prep = prep
                .with_remote_name("origin")
                .map_err(|e| err(SyncError::Remote(e.into())))?
                .configure_remote(|r| {
                    Ok(
                        r.with_refspecs(Some(REFSPEC), gix::remote::Direction::Fetch)?
                            .with_fetch_tags(gix::remote::fetch::Tags::None),
                    )
                });
            let (repo, _) = prep
                .fetch_only(gix::progress::Discard, &interrupt)
                .map_err(|e| {
                    let _ = std::fs::remove_dir_all(&tmp);
                    err(SyncError::Clone {
                        cause: crate::net::cause(&e, url),
                        source: e.into(),
                    })
                })?;
            repo
        };
        let tip = master_tip(&cloned);
        let checked = match tip
            .as_deref()
            .and_then(|t| gix::ObjectId::from_hex(t.as_bytes()).ok())
        {
            None => Err(err(SyncError::NoMaster)),
            Some(id) => self.check_incoming(ctx, &cloned, n, id, None, &tmp),
        };
        drop(cloned);
        if let Err(e) = checked {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        if dest.exists() {
            // A folder without a usable master: a broken earlier state.
            let aside = git.join(format!("{n}.git.broken"));
            let _ = std::fs::remove_dir_all(&aside);
            std::fs::rename(&dest, &aside).map_err(|e| Error::io(&dest, e))?;
            progress.note(&format!(
                "{} had no refs/heads/master; moved aside to {}",
                dest.display(),
                aside.display()
            ));
        }
        std::fs::rename(&tmp, &dest).map_err(|e| Error::io(&dest, e))?;
        spinner.finish();
        Ok(EpochSync {
            epoch: n,
            action: "cloned",
            tip,
        })
    }
}

/// Fetches land here first and replace `refs/heads/*` once checked.
const INCOMING: &str = "refs/lore-digest/incoming/";
const INCOMING_REFSPEC: &str = "+refs/heads/*:refs/lore-digest/incoming/*";

/// The fetched branches waiting under [`INCOMING`], as the `refs/heads/`
/// names they will take.
fn incoming_refs(repo: &gix::Repository) -> Result<Vec<(String, gix::ObjectId)>, RepoError> {
    let mut out = Vec::new();
    let platform = repo.references().map_err(RepoError::git)?;
    for r in platform.all().map_err(RepoError::git)? {
        let mut r = r.map_err(RepoError::git)?;
        let name = r.name().as_bstr().to_string();
        if let Some(rest) = name.strip_prefix(INCOMING) {
            let id = r.peel_to_id().map_err(RepoError::git)?.detach();
            out.push((format!("refs/heads/{rest}"), id));
        }
    }
    Ok(out)
}

/// The entries of a folder (none when it cannot be read).
fn list_dir(dir: &Path) -> std::collections::BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Remove every ref under [`INCOMING`].
fn drop_incoming(repo: &gix::Repository) -> Result<(), RepoError> {
    use gix::refs::transaction::{Change, PreviousValue, RefEdit, RefLog};
    let platform = repo.references().map_err(RepoError::git)?;
    let mut edits = Vec::new();
    for r in platform.all().map_err(RepoError::git)? {
        let r = r.map_err(RepoError::git)?;
        if r.name().as_bstr().starts_with(INCOMING.as_bytes()) {
            edits.push(RefEdit {
                change: Change::Delete {
                    expected: PreviousValue::Any,
                    log: RefLog::AndReference,
                },
                name: r.name().to_owned(),
                deref: false,
            });
        }
    }
    if !edits.is_empty() {
        repo.edit_references(edits)
            .map_err(|e| RepoError::RemoveRefs {
                prefix: INCOMING,
                source: e.into(),
            })?;
    }
    Ok(())
}

fn has_packed_master(dest: &Path) -> bool {
    is_bare_repo(dest)
        && std::fs::read_to_string(dest.join("packed-refs"))
            .map(|s| s.lines().any(|l| l.ends_with(" refs/heads/master")))
            .unwrap_or(false)
}
