//! The list's lock (`DIR/LIST/.lock`), held by a run that writes, and the
//! git lock files an interrupted run (ours, grokmirror's, public-inbox's)
//! leaves in an epoch.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Error, Holder, Mirror, Result};

/// Holds the data-dir lock of a list while alive.
pub struct ListLock {
    _file: File,
}

impl Mirror {
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
                            holder: holder.trim().to_string(),
                            root: self.root.clone(),
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
pub(super) fn clear_git_locks(
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
        let holder = match user {
            Some((pid, name)) => Holder::Process { pid, name },
            None => Holder::Unknown,
        };
        if !deadline.allows_waiting() {
            return Err(Error::GitLocked {
                epoch: n,
                lock: locks[0].clone(),
                holder,
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
