//! Shared support code for the integration tests (`tests/it/`).
//!
//! - [`Lore`]: run the `lore-digest` binary (`Lore::new(data).args([..]).ok()`),
//!   and [`Run`], the finished run with its assertions (`.success()`,
//!   `.code(75)`, `.json()`, `.written_json()`);
//! - mail: [`mail`], [`MailBuilder`], header, RFC 2047 and RFC 2822 helpers;
//! - git: [`git`], [`git_bytes`], [`try_git`], [`git_command`], and
//!   [`EpochBuilder`], which writes public-inbox v2 epochs;
//! - servers: [`PiHttpd`] (the real `public-inbox-httpd`), and
//!   [`LoopbackServer`] for fake ones ([`not_found_server`],
//!   [`stalling_server`]);
//! - resources: [`shared_corpus`] and friends, [`synced_corpus`] (a data
//!   folder with the corpus synced, made once per run), [`which`], and [`missing`],
//!   which skips a test on a developer's machine and fails it under `CI=true`;
//! - [`chromium`], [`headless`], [`dump_dom`]: a report in a real browser;
//! - [`eventually`]: wait for a condition (a lock taken, a file written).

mod browser;
mod git;
mod httpd;
mod lore;
mod mail;
mod server;

pub use browser::*;
pub use git::*;
pub use httpd::*;
pub use lore::*;
pub use mail::*;
pub use server::*;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The crate root.
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared resources folder: `$LORE_DIGEST_SHARED` when set, else
/// `CARGO_MANIFEST_DIR/../shared` (may not exist).
pub fn shared_dir() -> PathBuf {
    let p = std::env::var_os("LORE_DIGEST_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("..").join("shared"));
    p.canonicalize().unwrap_or(p)
}

/// True when the tests run under CI (`CI=true`): there a resource a test needs
/// must be present.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A resource a test needs is missing: on a developer's machine the test says
/// so on stderr and skips; under `CI=true` it fails, so that a broken install
/// step can never pass as a skipped test.
#[track_caller]
pub fn missing(what: &str) {
    if under_ci() {
        panic!("CI=true and a resource this test needs is missing: {what}");
    }
    eprintln!("skipping: {what}");
}

/// A file or directory under `../shared/corpora/`, or `None` (see [`missing`])
/// when it is absent.
pub fn shared_file(name: &str) -> Option<PathBuf> {
    let p = shared_dir().join("corpora").join(name);
    if p.exists() {
        Some(p.canonicalize().unwrap_or(p))
    } else {
        missing(&format!(
            "../shared/corpora not found ({} does not exist; LORE_DIGEST_SHARED names another folder)",
            p.display()
        ));
        None
    }
}

/// The read-only real epoch `../shared/corpora/kvmarm-columbia.git`, or `None` (with a
/// "skipping" message) when absent. Never write into it.
pub fn shared_corpus() -> Option<PathBuf> {
    shared_file("kvmarm-columbia.git")
}

/// `../shared/corpora/kvmarm-columbia.threads.tsv`, or `None`.
pub fn shared_threads_tsv() -> Option<PathBuf> {
    shared_file("kvmarm-columbia.threads.tsv")
}

/// `../shared/corpora/kvmarm-columbia.weeks.tsv`, or `None`.
pub fn shared_weeks_tsv() -> Option<PathBuf> {
    shared_file("kvmarm-columbia.weeks.tsv")
}

/// The corpus synced once per test run (into `target/tmp`), and what that
/// first `sync --json` printed.
fn corpus_synced_once(corpus: &Path) -> &'static (PathBuf, serde_json::Value) {
    static SYNCED: OnceLock<(PathBuf, serde_json::Value)> = OnceLock::new();
    SYNCED.get_or_init(|| {
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        // Those of earlier runs, whose process is gone.
        for e in std::fs::read_dir(&tmp).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("corpus-")
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        let dir = tmp.join(format!("corpus-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let sync = Lore::new(&dir)
            .quiet()
            .args(["sync", "kvmarm", "--json", "--url"])
            .arg(format!("file://{}", corpus.display()))
            .ok()
            .json();
        (dir, sync)
    })
}

/// A data folder of its own with the real corpus synced as list `kvmarm`
/// (from `file://`), or `None` without the corpus (see [`missing`]). The
/// corpus is synced once per test run and copied for each caller, who may
/// write into the copy.
pub fn synced_corpus() -> Option<tempfile::TempDir> {
    let corpus = shared_corpus()?;
    let (synced, _) = corpus_synced_once(&corpus);
    let copy = tempfile::tempdir().unwrap();
    Run::of(
        std::process::Command::new("cp")
            .arg("-a")
            .arg(synced.join("."))
            .arg(copy.path()),
    )
    .success();
    Some(copy)
}

/// What `sync kvmarm --json` printed when [`synced_corpus`] synced the
/// corpus, or `None` without the corpus.
pub fn corpus_sync_json() -> Option<serde_json::Value> {
    let corpus = shared_corpus()?;
    Some(corpus_synced_once(&corpus).1.clone())
}

/// Searches `PATH` for an executable named `prog`.
pub fn which(prog: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(prog))
        .find(|p| p.is_file())
}

/// Wait until `ready()` holds (a lock file names a process, a file is
/// written): checked every few milliseconds, and a failure naming `what`
/// after `within`.
#[track_caller]
pub fn eventually(what: &str, within: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !ready() {
        assert!(Instant::now() < deadline, "not within {within:?}: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
