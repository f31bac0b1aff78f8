//! Mirror a public-inbox v2 archive: `DIR/LIST/git/N.git`, bare repositories
//! with `refs/heads/master`, exactly as public-inbox and grokmirror lay them
//! out, so either tool can use the other's mirror.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where the archive of a list comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// A public-inbox base URL (`https://lore.kernel.org/LIST`): epochs are
    /// found in `manifest.js.gz`, or by probing `URL/0`, `URL/1`, ….
    Inbox { url: String },
    /// One epoch repository (`https://…/LIST/0`, `file://…`, a path).
    Epoch { url: String, epoch: u32 },
    /// A local inbox folder with `git/N.git`, used in place.
    Local { path: PathBuf },
}

impl Source {
    /// Classify a `--url` value.
    pub fn parse(url: &str) -> Result<Source> {
        let url = url.trim();
        if url.is_empty() {
            return Err(Error::Usage("empty --url".into()));
        }
        if url.starts_with("http://") || url.starts_with("https://") {
            let trimmed = url.trim_end_matches('/');
            let last = trimmed.rsplit('/').next().unwrap_or("");
            if let Some(n) = epoch_number(last) {
                return Ok(Source::Epoch {
                    url: trimmed.to_string(),
                    epoch: n,
                });
            }
            return Ok(Source::Inbox {
                url: trimmed.to_string(),
            });
        }
        let path = PathBuf::from(url.strip_prefix("file://").unwrap_or(url));
        if path.join("git").is_dir() && !is_bare_repo(&path) {
            let path = path.canonicalize().map_err(|e| Error::io(&path, e))?;
            return Ok(Source::Local { path });
        }
        if is_bare_repo(&path) || path.join(".git").is_dir() {
            let path = path.canonicalize().map_err(|e| Error::io(&path, e))?;
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let epoch = epoch_number(name).unwrap_or(0);
            return Ok(Source::Epoch {
                url: format!("file://{}", path.display()),
                epoch,
            });
        }
        Err(Error::Usage(format!(
            "{url}: neither an http(s) URL, a git repository nor an inbox folder with git/N.git"
        )))
    }

    /// The default source of a list: lore.kernel.org.
    pub fn lore(list: &str) -> Source {
        Source::Inbox {
            url: format!("https://lore.kernel.org/{list}"),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Source::Inbox { url } => url.clone(),
            Source::Epoch { url, epoch } => format!("{url} (epoch {epoch})"),
            Source::Local { path } => format!("{} (used in place)", path.display()),
        }
    }

    /// The source as `--url` takes it.
    pub fn url_arg(&self) -> String {
        match self {
            Source::Inbox { url } | Source::Epoch { url, .. } => url.clone(),
            Source::Local { path } => path.display().to_string(),
        }
    }
}

/// The epoch repositories `N.git` in a folder, by number.
fn epochs_in(dir: &Path) -> Result<Vec<EpochPath>> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.ends_with(".git") {
            continue;
        }
        if let Some(n) = epoch_number(name)
            && is_bare_repo(&entry.path())
        {
            out.push(EpochPath {
                number: n,
                path: entry.path(),
            });
        }
    }
    out.sort_by_key(|e| e.number);
    Ok(out)
}

/// `0`, `12`, `3.git` -> epoch number.
fn epoch_number(name: &str) -> Option<u32> {
    let n = name.strip_suffix(".git").unwrap_or(name);
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

fn is_bare_repo(p: &Path) -> bool {
    p.join("HEAD").is_file() && p.join("objects").is_dir() && p.join("refs").is_dir()
}

/// Recorded state of a list's mirror (`DIR/LIST/mirror.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MirrorState {
    pub source: Source,
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

/// Holds the data-dir lock of a list while alive.
pub struct ListLock {
    _file: File,
}

impl Mirror {
    pub fn new(data_dir: &Path, list: &str) -> Result<Mirror> {
        if list.is_empty()
            || list.starts_with('.')
            || list.contains(['/', '\\', '\0'])
            || list.len() > 200
        {
            return Err(Error::Usage(format!("{list:?} is not a valid list name")));
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
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::List {
                    list: self.list.clone(),
                    message: format!(
                        "{} is damaged ({e}); run sync with --url again",
                        p.display()
                    ),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&p, e)),
        }
    }

    fn save_state(&self, state: &MirrorState) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(state).expect("state serializes");
        crate::fsutil::write_atomic(&self.state_path(), &bytes)
    }

    /// Folder holding the `N.git` epochs: ours, or the local inbox's.
    pub fn git_dir(&self) -> Result<PathBuf> {
        Ok(match self.state()? {
            Some(MirrorState {
                source: Source::Local { path },
            }) => path.join("git"),
            _ => self.root.join("git"),
        })
    }

    /// The epochs present on disk, by number.
    pub fn epochs(&self) -> Result<Vec<EpochPath>> {
        epochs_in(&self.git_dir()?)
    }

    /// Take the list's lock, or fail at once saying who holds it.
    pub fn lock(&self) -> Result<ListLock> {
        self.lock_waiting(Wait::No, &crate::progress::Progress::hidden())
    }

    /// Take the list's lock, waiting for another run to finish as `wait`
    /// allows; then refuse saying who holds it (exit 75).
    pub fn lock_waiting(
        &self,
        wait: Wait,
        progress: &crate::progress::Progress,
    ) -> Result<ListLock> {
        std::fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let p = self.root.join(".lock");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&p)
            .map_err(|e| Error::io(&p, e))?;
        let deadline = wait.deadline();
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    use std::io::{Seek, Write};
                    let _ = file.set_len(0);
                    let _ = file.seek(std::io::SeekFrom::Start(0));
                    let _ = write!(file, "{}", std::process::id());
                    return Ok(ListLock { _file: file });
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    use std::io::Seek;
                    let mut holder = String::new();
                    let _ = file.seek(std::io::SeekFrom::Start(0));
                    let _ = file.read_to_string(&mut holder);
                    if !deadline.allows_waiting() {
                        return Err(Error::Locked {
                            message: format!(
                                "another lore-digest (pid {}) is working on {}; wait for it to finish and \
                                 run again, or use --wait[=SECONDS]",
                                holder.trim(),
                                self.root.display()
                            ),
                        });
                    }
                    if !said {
                        progress.note(&format!(
                            "waiting for another lore-digest (pid {}) working on {}",
                            holder.trim(),
                            self.root.display()
                        ));
                        said = true;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&p, e)),
            }
        }
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
        let sync_err = |url: &str, message: String| Error::Sync {
            list: self.list.clone(),
            url: url.to_string(),
            message,
        };
        let out = match &source {
            Source::Local { path } => {
                let git = path.join("git");
                let mut out = Vec::new();
                for ep in epochs_in(&git)? {
                    let repo = gix::open_opts(&ep.path, gix::open::Options::isolated())
                        .map_err(|e| Error::git(ep.number, &ep.path, e))?;
                    let tip = master_tip(&repo);
                    if let Some(t) = &tip {
                        let id = gix::ObjectId::from_hex(t.as_bytes())
                            .map_err(|e| Error::git(ep.number, &ep.path, e))?;
                        let indexed = known
                            .tips
                            .get(&ep.number)
                            .and_then(|t| gix::ObjectId::from_hex(t.as_bytes()).ok());
                        self.check_incoming(&ctx, &repo, ep.number, id, indexed, &ep.path)?;
                    }
                    out.push(EpochSync {
                        epoch: ep.number,
                        action: "in-place",
                        tip,
                    });
                }
                if out.is_empty() {
                    return Err(sync_err(
                        &git.display().to_string(),
                        "no epoch repositories (git/N.git) found".into(),
                    ));
                }
                out
            }
            Source::Epoch { url, epoch } => vec![self.sync_epoch(&ctx, url, *epoch)?],
            Source::Inbox { url } => {
                let mut manifest_error = None;
                let epochs = match discover_epochs(url) {
                    Ok(list) if !list.is_empty() => Some(list),
                    Ok(_) => None,
                    // No server answered: probing epochs would only fail
                    // the same way.
                    Err(e @ FetchError::NoAnswer(_)) => {
                        return Err(sync_err(
                            url,
                            format!("{e}; check the network (and a proxy, if any) and --url"),
                        ));
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
                            out.push(self.sync_epoch(&ctx, &format!("{url}/{n}"), n)?);
                        }
                    }
                    None => {
                        let mut n = 0;
                        loop {
                            match self.sync_epoch(&ctx, &format!("{url}/{n}"), n) {
                                Ok(s) => out.push(s),
                                Err(e) if n > 0 => {
                                    progress
                                        .note(&format!("no epoch {n} ({e}); {n} epoch(s) found"));
                                    break;
                                }
                                Err(Error::Sync { message, .. }) => {
                                    return Err(sync_err(
                                        url,
                                        format!(
                                            "no public-inbox archive there: {url}/manifest.js.gz {} \
                                             and {url}/0 cannot be cloned ({message})",
                                            match &manifest_error {
                                                Some(e) => format!("gives {e}"),
                                                None => "lists no epoch".to_string(),
                                            }
                                        ),
                                    ));
                                }
                                Err(e) => return Err(e),
                            }
                            n += 1;
                        }
                    }
                }
                out
            }
        };
        // Only a sync that worked is remembered: a mistyped --url must not
        // be reused by every later sync.
        self.save_state(&MirrorState { source })?;
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
    fn check_incoming(
        &self,
        ctx: &SyncCtx<'_>,
        repo: &gix::Repository,
        n: u32,
        tip: gix::ObjectId,
        old: Option<gix::ObjectId>,
        path: &Path,
    ) -> Result<()> {
        let where_ = ctx.source.describe();
        let not_pi = |message: String| Error::Sync {
            list: self.list.clone(),
            url: where_.clone(),
            message,
        };
        match crate::storage::walk::carries_message(repo, tip) {
            Ok(true) => {}
            Ok(false) => {
                return Err(not_pi(format!(
                    "not a public-inbox archive: commit {tip} of epoch {n} (refs/heads/master) has no `m` \
                     or `d` file; {URL_ADVICE}"
                )));
            }
            Err(e) => return Err(Error::git(n, path, e)),
        }
        let root = match crate::storage::walk::lineage(repo, tip, old)
            .map_err(|e| Error::git(n, path, e))?
        {
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
        Err(Error::Unrelated {
            list: self.list.clone(),
            message: format!(
                "list {list}: {new} is another archive, not {list}'s: its epoch {n} starts at commit {root}, \
                 where {list} ({was}) starts at {expected}. Nothing was changed. To mirror it too, give it \
                 its own name: `lore-digest sync OTHER-NAME --url {url}`; to throw away {list}'s mirror, \
                 index and summaries and mirror the new source instead, add --replace.",
                list = self.list,
                new = where_,
                url = ctx.source.url_arg(),
            ),
        })
    }

    /// Clone epoch `n` from `url`, or fetch into the existing clone.
    fn sync_epoch(&self, ctx: &SyncCtx<'_>, url: &str, n: u32) -> Result<EpochSync> {
        let progress = ctx.progress;
        let git = self.root.join("git");
        std::fs::create_dir_all(&git).map_err(|e| Error::io(&git, e))?;
        let dest = git.join(format!("{n}.git"));
        let err = |message: String| Error::Sync {
            list: self.list.clone(),
            url: url.to_string(),
            message,
        };
        let interrupt = AtomicBool::new(false);
        if is_bare_repo(&dest) && dest.join("refs/heads/master").exists()
            || has_packed_master(&dest)
        {
            clear_git_locks(&dest, n, ctx.known.wait, progress)?;
            let spinner = progress.spinner(&format!("fetching epoch {n} from {url}"));
            let repo = gix::open_opts(&dest, gix::open::Options::isolated())
                .map_err(|e| err(format!("cannot open {}: {e}", dest.display())))?;
            let before = master_tip(&repo);
            // Fetch beside our branches, not over them: the new history is
            // checked before it replaces anything.
            drop_incoming(&repo).map_err(|e| Error::git(n, &dest, e))?;
            let packs_before = list_dir(&dest.join("objects/pack"));
            let remote = repo
                .remote_at(url)
                .map_err(|e| err(format!("bad URL: {e}")))?
                .with_refspecs(Some(INCOMING_REFSPEC), gix::remote::Direction::Fetch)
                .map_err(|e| err(format!("refspec: {e}")))?
                .with_fetch_tags(gix::remote::fetch::Tags::None);
            let conn = remote
                .connect(gix::remote::Direction::Fetch)
                .map_err(|e| err(format!("cannot connect: {}", crate::net::cause(&e, url))))?;
            conn.prepare_fetch(gix::progress::Discard, Default::default())
                .map_err(|e| err(format!("cannot list refs: {e}")))?
                .receive(gix::progress::Discard, &interrupt)
                .map_err(|e| err(format!("fetch failed: {}", crate::net::cause(&e, url))))?;
            let repo = gix::open_opts(&dest, gix::open::Options::isolated())
                .map_err(|e| err(format!("cannot open {}: {e}", dest.display())))?;
            let incoming = incoming_refs(&repo).map_err(|e| Error::git(n, &dest, e))?;
            let Some(new_tip) = incoming
                .iter()
                .find(|(name, _)| name == crate::storage::walk::MASTER)
                .map(|(_, id)| *id)
            else {
                let _ = drop_incoming(&repo);
                return Err(err(format!(
                    "the repository has no refs/heads/master: not a public-inbox epoch; {URL_ADVICE}"
                )));
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
                    .map_err(|e| Error::git(n, &dest, format!("cannot update {name}: {e}")))?;
                }
            }
            drop_incoming(&repo).map_err(|e| Error::git(n, &dest, e))?;
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
                err(format!("local clone failed: {e}; {URL_ADVICE}"))
            })?;
            gix::open_opts(&tmp, gix::open::Options::isolated())
                .map_err(|e| err(format!("cannot open the clone: {e}")))?
        } else {
            let prep = gix::prepare_clone_bare(url, &tmp)
                .map_err(|e| err(format!("cannot start clone: {e}")))?;
            let mut prep = prep
                .with_remote_name("origin")
                .map_err(|e| err(e.to_string()))?
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
                    err(format!(
                        "clone failed: {}; {URL_ADVICE}, and that the server answers",
                        crate::net::cause(&e, url)
                    ))
                })?;
            repo
        };
        let tip = master_tip(&cloned);
        let checked = match tip
            .as_deref()
            .and_then(|t| gix::ObjectId::from_hex(t.as_bytes()).ok())
        {
            None => Err(err(format!(
                "the repository has no refs/heads/master: not a public-inbox epoch; {URL_ADVICE}"
            ))),
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

/// How long to wait for a lock that another program holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Wait {
    /// Refuse at once (exit 75).
    #[default]
    No,
    /// Wait up to this long, then refuse.
    For(std::time::Duration),
    /// Wait as long as it takes.
    Forever,
}

impl Wait {
    /// From `--wait[=SECONDS]`: absent → no wait; without a value → forever.
    pub fn from_flag(flag: Option<Option<u64>>) -> Wait {
        match flag {
            None => Wait::No,
            Some(None) => Wait::Forever,
            Some(Some(s)) => Wait::For(std::time::Duration::from_secs(s)),
        }
    }

    /// Start waiting now.
    fn deadline(self) -> Deadline {
        Deadline(match self {
            Wait::No => None,
            Wait::For(d) => Some(Some(std::time::Instant::now() + d)),
            Wait::Forever => Some(None),
        })
    }
}

/// When a [`Wait`] that started ends: never waiting, an instant, or never.
#[derive(Debug, Clone, Copy)]
struct Deadline(Option<Option<std::time::Instant>>);

impl Deadline {
    /// True while one may go on waiting.
    fn allows_waiting(self) -> bool {
        match self.0 {
            None => false,
            Some(None) => true,
            Some(Some(t)) => std::time::Instant::now() < t,
        }
    }
}

struct SyncCtx<'a> {
    known: &'a Known,
    /// The source of the last sync that worked.
    previous: Option<&'a Source>,
    source: &'a Source,
    progress: &'a crate::progress::Progress,
}

const REFSPEC: &str = "+refs/heads/*:refs/heads/*";
/// Fetches land here first and replace `refs/heads/*` once checked.
const INCOMING: &str = "refs/lore-digest/incoming/";
const INCOMING_REFSPEC: &str = "+refs/heads/*:refs/lore-digest/incoming/*";

/// The fetched branches waiting under [`INCOMING`], as the `refs/heads/`
/// names they will take.
fn incoming_refs(
    repo: &gix::Repository,
) -> std::result::Result<Vec<(String, gix::ObjectId)>, String> {
    let mut out = Vec::new();
    let platform = repo.references().map_err(|e| e.to_string())?;
    for r in platform.all().map_err(|e| e.to_string())? {
        let mut r = r.map_err(|e| e.to_string())?;
        let name = r.name().as_bstr().to_string();
        if let Some(rest) = name.strip_prefix(INCOMING) {
            let id = r.peel_to_id().map_err(|e| e.to_string())?.detach();
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
fn drop_incoming(repo: &gix::Repository) -> std::result::Result<(), String> {
    use gix::refs::transaction::{Change, PreviousValue, RefEdit, RefLog};
    let platform = repo.references().map_err(|e| e.to_string())?;
    let mut edits = Vec::new();
    for r in platform.all().map_err(|e| e.to_string())? {
        let r = r.map_err(|e| e.to_string())?;
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
            .map_err(|e| format!("cannot remove {INCOMING}*: {e}"))?;
    }
    Ok(())
}

/// What to do when a source is not a public-inbox archive.
const URL_ADVICE: &str = "check --url: it takes a public-inbox inbox (https://lore.kernel.org/LIST), \
one of its epochs (…/LIST/0, file:///…/0.git) or a local inbox folder with git/N.git";

/// The folder of a `file://` URL or plain path that is a bare repository.
fn local_path(url: &str) -> Option<PathBuf> {
    if url.starts_with("http://")
        || url.starts_with("https://")
        || url.contains("://") && !url.starts_with("file://")
    {
        return None;
    }
    let p = PathBuf::from(url.strip_prefix("file://").unwrap_or(url));
    is_bare_repo(&p).then_some(p)
}

/// Clone a repository on this machine as `git clone --local --no-hardlinks`
/// does: copy its object store and its branches instead of packing and
/// re-indexing every object through the git protocol. The source is only
/// read. Returns the tip of master.
fn local_clone(src: &Path, dest: &Path, url: &str) -> std::result::Result<String, String> {
    let source = gix::open_opts(src, gix::open::Options::isolated()).map_err(|e| e.to_string())?;
    let mut heads = Vec::new();
    let platform = source.references().map_err(|e| e.to_string())?;
    for r in platform.local_branches().map_err(|e| e.to_string())? {
        let mut r = r.map_err(|e| e.to_string())?;
        let name = r.name().as_bstr().to_string();
        let id = r.peel_to_id().map_err(|e| e.to_string())?.detach();
        heads.push((name, id));
    }
    let Some(tip) = heads
        .iter()
        .find(|(n, _)| n == crate::storage::walk::MASTER)
        .map(|(_, id)| *id)
    else {
        return Err("the repository has no refs/heads/master: not a public-inbox epoch".into());
    };
    let repo = gix::init_bare(dest).map_err(|e| e.to_string())?;
    copy_tree(&src.join("objects"), &dest.join("objects")).map_err(|e| e.to_string())?;
    for (name, id) in &heads {
        repo.reference(
            name.as_str(),
            *id,
            gix::refs::transaction::PreviousValue::Any,
            format!("clone: from {url}"),
        )
        .map_err(|e| e.to_string())?;
    }
    // public-inbox epochs have HEAD on master.
    std::fs::write(dest.join("HEAD"), "ref: refs/heads/master\n").map_err(|e| e.to_string())?;
    // Record the origin as git would, so plain git can fetch too.
    let config = dest.join("config");
    let mut text = std::fs::read_to_string(&config).map_err(|e| e.to_string())?;
    text.push_str(&format!(
        "[remote \"origin\"]\n\turl = {url}\n\tfetch = {REFSPEC}\n"
    ));
    std::fs::write(&config, text).map_err(|e| e.to_string())?;
    // The copy must be readable before it replaces anything.
    let check = gix::open_opts(dest, gix::open::Options::isolated()).map_err(|e| e.to_string())?;
    check
        .find_commit(tip)
        .map_err(|e| format!("copied repository lacks {tip}: {e}"))?;
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

fn has_packed_master(dest: &Path) -> bool {
    is_bare_repo(dest)
        && std::fs::read_to_string(dest.join("packed-refs"))
            .map(|s| s.lines().any(|l| l.ends_with(" refs/heads/master")))
            .unwrap_or(false)
}

fn master_tip(repo: &gix::Repository) -> Option<String> {
    let mut r = repo
        .try_find_reference(crate::storage::walk::MASTER)
        .ok()??;
    r.peel_to_id().ok().map(|id| id.to_string())
}

/// Git lock files in an epoch: `*.lock` at its top and under `refs/`.
fn git_locks(repo: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>, deep: bool) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                if deep {
                    walk(&p, out, true);
                }
            } else if p.extension().is_some_and(|x| x == "lock") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(repo, &mut out, false);
    walk(&repo.join("refs"), &mut out, true);
    out.sort();
    out
}

/// A process of this machine, other than this one, that has `repo` open:
/// one of its open files or its working folder lies inside it. Such a
/// process (git run by grokmirror or public-inbox, say) may own the lock
/// files there. `None` when no process does, or when this system has no
/// `/proc` to tell.
fn process_using(repo: &Path) -> Option<(u32, String)> {
    let repo = repo.canonicalize().ok()?;
    let me = std::process::id();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let dir = entry.path();
        let inside = |p: PathBuf| p.starts_with(&repo);
        let mut uses = std::fs::read_link(dir.join("cwd")).is_ok_and(inside);
        if !uses && let Ok(fds) = std::fs::read_dir(dir.join("fd")) {
            uses = fds
                .flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(inside));
        }
        if uses {
            let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            return Some((pid, name.trim().to_string()));
        }
    }
    None
}

/// Locks older than this are stale where no `/proc` tells who holds them.
const STALE_LOCK_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// Lock files git leaves behind when it is interrupted stop every later
/// fetch. Remove those that are stale: no process of this machine has the
/// repository open (so none can own them), or, without `/proc`, older than
/// [`STALE_LOCK_AGE`]. Locks a running program may hold (grokmirror or
/// public-inbox share the mirror) are never removed: wait for them as
/// `wait` allows, then refuse (exit 75). Call with the list lock held.
fn clear_git_locks(
    repo: &Path,
    n: u32,
    wait: Wait,
    progress: &crate::progress::Progress,
) -> Result<()> {
    let deadline = wait.deadline();
    let have_proc = Path::new("/proc/self/fd").is_dir();
    let mut said = false;
    loop {
        let locks = git_locks(repo);
        if locks.is_empty() {
            return Ok(());
        }
        let user = if have_proc { process_using(repo) } else { None };
        let old = |p: &PathBuf| {
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_LOCK_AGE)
        };
        if user.is_none() {
            let stale: Vec<&PathBuf> = locks.iter().filter(|p| have_proc || old(p)).collect();
            for p in &stale {
                std::fs::remove_file(p).map_err(|e| Error::io(p, e))?;
                progress.note(&format!(
                    "epoch {n}: removed the stale git lock {} (left by an interrupted run; no process holds it)",
                    p.display()
                ));
            }
            if stale.len() == locks.len() {
                return Ok(());
            }
        }
        let holder = match &user {
            Some((pid, name)) => format!("{name} (pid {pid}) has the repository open"),
            None => "it is recent, and this system cannot tell who holds it".to_string(),
        };
        if !deadline.allows_waiting() {
            return Err(Error::Locked {
                message: format!(
                    "epoch {n}: {} is held by another program: {holder}; run again when it is done, \
                     or use --wait[=SECONDS]",
                    locks[0].display()
                ),
            });
        }
        if !said {
            progress.note(&format!(
                "epoch {n}: waiting for {} ({holder})",
                locks[0].display()
            ));
            said = true;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// Epoch numbers listed by `BASE/manifest.js.gz` (grokmirror manifest).
pub fn discover_epochs(base: &str) -> Result<Vec<u32>, FetchError> {
    let url = format!("{}/manifest.js.gz", base.trim_end_matches('/'));
    let body = http_get(&url)?;
    parse_manifest(&body, base).map_err(FetchError::Unusable)
}

/// Parse a gzipped (or plain) grokmirror manifest, keeping the epochs of the
/// inbox at `base` (keys `/LIST/git/N.git`; any `/git/N.git` if none match).
pub fn parse_manifest(body: &[u8], base: &str) -> Result<Vec<u32>, String> {
    let mut json = Vec::new();
    if body.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(body)
            .read_to_end(&mut json)
            .map_err(|e| format!("bad gzip: {e}"))?;
    } else {
        json = body.to_vec();
    }
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&json).map_err(|e| format!("bad manifest JSON: {e}"))?;
    let list = base.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let mut exact = Vec::new();
    let mut any = Vec::new();
    for key in map.keys() {
        let Some(prefix) = key.strip_suffix(".git") else {
            continue;
        };
        let Some((head, num)) = prefix.rsplit_once("/git/") else {
            continue;
        };
        let Some(n) = epoch_number(num) else { continue };
        any.push(n);
        if head.rsplit('/').next() == Some(list) {
            exact.push(n);
        }
    }
    let mut out = if exact.is_empty() { any } else { exact };
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Why an HTTP download failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// No answer from the server: the cause ([`crate::net::cause`]).
    NoAnswer(String),
    /// The server answered with this status.
    Status(u16),
    /// The server answered, but the body is not usable.
    Unusable(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::NoAnswer(c) => write!(f, "cannot connect: {c}"),
            FetchError::Status(s) => write!(f, "HTTP {s}"),
            FetchError::Unusable(m) => f.write_str(m),
        }
    }
}

/// GET `url` (redirects followed) with the blocking reqwest client. Called
/// from inside a tokio runtime (where that client panics) it runs on a
/// thread of its own.
fn http_get(url: &str) -> Result<Vec<u8>, FetchError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return std::thread::scope(|s| {
            s.spawn(|| blocking_get(url))
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        });
    }
    blocking_get(url)
}

fn blocking_get(url: &str) -> Result<Vec<u8>, FetchError> {
    const CONNECT: std::time::Duration = std::time::Duration::from_secs(20);
    let no_answer = |e: reqwest::Error| {
        if e.is_timeout() {
            FetchError::NoAnswer(format!(
                "no answer from {} in time ({e})",
                crate::net::target(url)
            ))
        } else {
            FetchError::NoAnswer(crate::net::cause(&e, url))
        }
    };
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(CONNECT)
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .map_err(|e| FetchError::NoAnswer(format!("HTTP client: {e}")))?;
    let res = client.get(url).send().map_err(no_answer)?;
    let status = res.status().as_u16();
    if status != 200 {
        return Err(FetchError::Status(status));
    }
    Ok(res.bytes().map_err(no_answer)?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_urls() {
        assert_eq!(
            Source::parse("https://lore.kernel.org/kvmarm").unwrap(),
            Source::Inbox {
                url: "https://lore.kernel.org/kvmarm".into()
            }
        );
        assert_eq!(
            Source::parse("https://lore.kernel.org/kvmarm/3.git/").unwrap(),
            Source::Epoch {
                url: "https://lore.kernel.org/kvmarm/3.git".into(),
                epoch: 3
            }
        );
        assert!(Source::parse("/nonexistent/path").is_err());
    }

    #[test]
    fn manifest_keys_select_the_list() {
        let json = br#"{"/kvmarm/git/0.git": {}, "/kvmarm/git/1.git": {}, "/other/git/0.git": {}, "/kvmarm/git/x.git": {}}"#;
        assert_eq!(
            parse_manifest(json, "https://lore.kernel.org/kvmarm").unwrap(),
            vec![0, 1]
        );
        let mut gz = Vec::new();
        {
            use std::io::Write;
            let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
            enc.write_all(json).unwrap();
        }
        assert_eq!(
            parse_manifest(&gz, "http://127.0.0.1:1/kvmarm").unwrap(),
            vec![0, 1]
        );
        assert!(parse_manifest(b"not json", "x").is_err());
    }

    #[test]
    fn manifest_download_inside_a_runtime_does_not_panic() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let r = rt.block_on(async { discover_epochs(&format!("http://127.0.0.1:{port}/t")) });
        assert_eq!(
            r,
            Err(FetchError::NoAnswer(format!(
                "connection refused (127.0.0.1:{port})"
            )))
        );
    }

    #[test]
    fn list_names_are_checked() {
        assert!(Mirror::new(Path::new("/tmp"), "../etc").is_err());
        assert!(Mirror::new(Path::new("/tmp"), "").is_err());
        assert!(Mirror::new(Path::new("/tmp"), "kvmarm").is_ok());
    }
}
