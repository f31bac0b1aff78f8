//! Nothing lost: a sync from another archive, a mistyped URL, a failed first
//! sync, git locks of other programs, a damaged index met by a reader, and
//! runs that wait for the list lock.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::common::*;

const T0: i64 = 1_646_647_200; // 2022-03-07 10:00:00 UTC (Monday of 2022-W10)

fn count(data: &Path, list: &str) -> u64 {
    let v = Lore::new(data)
        .args(["stats", list, "--since", "2022-01-01"])
        .args(["--until", "2022-12-31", "--json"])
        .ok()
        .json();
    v["messages"].as_u64().unwrap()
}

/// Every file of a folder with a digest of its bytes (the mirror and index
/// as a user would find them), lock files aside.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64)> {
    fn walk(d: &Path, out: &mut Vec<(PathBuf, u64)>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if !p.ends_with(".lock") && !p.to_string_lossy().ends_with("-shm") {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                std::fs::read(&p).unwrap_or_default().hash(&mut h);
                out.push((p.clone(), h.finish()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

#[test]
fn sync_from_another_archive_is_refused_and_changes_nothing() {
    let (_a, kvm) = epoch_of("kvm", 5);
    let (_b, other) = epoch_of("other", 3);
    let data = tempfile::tempdir().unwrap();
    let kvm_url = format!("file://{}", kvm.path().display());
    let other_url = format!("file://{}", other.path().display());
    Lore::new(data.path())
        .args(["sync", "t", "--url", &kvm_url])
        .ok();
    assert_eq!(count(data.path(), "t"), 5);
    // New mail in the list's own archive must not be what makes it pass.
    let before = snapshot(&data.path().join("t"));

    let out = Lore::new(data.path())
        .args(["sync", "t", "--url", &other_url])
        .run();
    let err = &out.stderr;
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(err.contains("list t"), "names the list: {err}");
    assert!(err.contains(&other_url), "names the new source: {err}");
    assert!(
        err.contains(kvm.path().to_str().unwrap()),
        "names the old source: {err}"
    );
    assert!(err.contains("--replace"), "says how to replace: {err}");
    assert!(
        err.contains("sync OTHER-NAME --url"),
        "says how to mirror it under another name: {err}"
    );
    assert_eq!(
        snapshot(&data.path().join("t")),
        before,
        "mirror, index and remembered URL untouched"
    );
    assert_eq!(count(data.path(), "t"), 5);
    // A later plain sync still follows the list's own source.
    kvm.add_message(
        &mail(
            "kvm-late@example.org",
            "K <kvm@example.org>",
            "late",
            &rfc2822_date(T0 + 86400 * 2),
            None,
            &[],
            "x",
        ),
        T0 + 86400 * 2,
    );
    Lore::new(data.path()).args(["sync", "t"]).ok();
    assert_eq!(count(data.path(), "t"), 6);

    // The same refusal for a source used in place (an inbox folder).
    let inbox = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(inbox.path().join("git")).unwrap();
    assert!(
        Command::new("cp")
            .arg("-a")
            .arg(other.path())
            .arg(inbox.path().join("git/0.git"))
            .status()
            .unwrap()
            .success()
    );
    let out = Lore::new(data.path())
        .args(["sync", "t", "--url", inbox.path().to_str().unwrap()])
        .run();
    assert_eq!(out.status.code(), Some(65), "{}", &out.stderr);
    assert_eq!(count(data.path(), "t"), 6);

    // Asked for explicitly, the list is replaced once the new one is complete.
    let out = Lore::new(data.path())
        .args(["sync", "t", "--url", &other_url, "--replace"])
        .run();
    assert!(out.status.success(), "{}", &out.stderr);
    assert_eq!(count(data.path(), "t"), 3);
    assert!(!data.path().join(".t.replacing").exists());
    assert!(!data.path().join(".t.replaced").exists());
    let state = std::fs::read_to_string(data.path().join("t/mirror.json")).unwrap();
    assert!(state.contains(other.path().to_str().unwrap()), "{state}");
}

#[test]
fn a_failed_url_is_not_remembered() {
    let (_a, kvm) = epoch_of("kvm", 4);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", kvm.path().to_str().unwrap()])
        .ok();
    let state = std::fs::read(data.path().join("t/mirror.json")).unwrap();
    let out = Lore::new(data.path())
        .args(["sync", "t", "--url", "http://127.0.0.1:9/typo"])
        .run();
    assert!(!out.status.success());
    assert_eq!(
        std::fs::read(data.path().join("t/mirror.json")).unwrap(),
        state,
        "the typo is not remembered"
    );
    kvm.add_message(
        &mail(
            "kvm-late@example.org",
            "K <kvm@example.org>",
            "late",
            &rfc2822_date(T0 + 86400 * 2),
            None,
            &[],
            "x",
        ),
        T0 + 86400 * 2,
    );
    Lore::new(data.path()).args(["sync", "t"]).ok();
    assert_eq!(count(data.path(), "t"), 5);
}

#[test]
fn a_failed_first_sync_leaves_no_list_behind() {
    let data = tempfile::tempdir().unwrap();
    let out = Lore::new(data.path())
        .args(["sync", "ghost", "--url", "http://127.0.0.1:9/ghost"])
        .run();
    assert!(!out.status.success());
    assert!(!data.path().join("ghost").exists(), "nothing left behind");
    for args in [
        &["stats", "ghost", "--week", "2022-W10", "--json"][..],
        &["threads", "ghost", "--week", "2022-W10"][..],
        &["report", "ghost", "--week", "2022-W10", "--no-llm", "--out"][..],
    ] {
        let mut args = args.to_vec();
        let out_dir = data.path().join("R");
        if args.last() == Some(&"--out") {
            args.push(out_dir.to_str().unwrap());
        }
        let out = Lore::new(data.path()).args(&args).run();
        let err = &out.stderr;
        assert!(!out.status.success(), "{args:?} must fail: {err}");
        assert!(err.contains("never synced"), "{args:?}: {err}");
        assert!(
            err.contains("sync ghost"),
            "{args:?} says what to do: {err}"
        );
        assert!(
            !data.path().join("ghost").exists(),
            "{args:?} creates nothing"
        );
        assert!(!out_dir.exists(), "{args:?} writes no report");
    }
}

#[test]
fn a_git_repository_without_messages_is_not_a_public_inbox_archive() {
    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q", "--bare", "-b", "master"]);
    let work = tempfile::tempdir().unwrap();
    git(work.path(), &["init", "-q", "-b", "master"]);
    std::fs::write(work.path().join("README"), "a project, not an archive\n").unwrap();
    git(work.path(), &["add", "README"]);
    git(
        work.path(),
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.org",
            "commit",
            "-q",
            "-m",
            "init",
        ],
    );
    git(
        work.path(),
        &["push", "-q", repo.path().to_str().unwrap(), "master"],
    );
    let data = tempfile::tempdir().unwrap();
    let out = Lore::new(data.path())
        .args(["sync", "proj", "--url", repo.path().to_str().unwrap()])
        .run();
    let err = &out.stderr;
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(err.contains("not a public-inbox archive"), "{err}");
    assert!(!data.path().join("proj").exists());
}

/// A process that keeps a repository open (its working folder is inside),
/// as git run by grokmirror or public-inbox does while it holds a lock.
struct Holder(std::process::Child);

impl Holder {
    fn start(inside: &Path) -> Holder {
        Holder(
            Command::new("sleep")
                .arg("60")
                .current_dir(inside)
                .spawn()
                .unwrap(),
        )
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn git_locks_of_a_running_program_are_kept_and_stale_ones_removed() {
    let (_a, kvm) = epoch_of("kvm", 3);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", kvm.path().to_str().unwrap()])
        .ok();
    let repo = data.path().join("t/git/0.git");
    let lock = repo.join("refs/heads/master.lock");
    std::fs::write(&lock, "0000000000000000000000000000000000000000\n").unwrap();

    let holder = Holder::start(&repo);
    // Ready once the kernel shows its working folder inside the repository.
    let cwd = format!("/proc/{}/cwd", holder.0.id());
    let inside = repo.canonicalize().unwrap();
    eventually(
        "the holder works inside the repository",
        Duration::from_secs(10),
        || std::fs::read_link(&cwd).is_ok_and(|d| d == inside),
    );
    let out = Lore::new(data.path()).args(["sync", "t"]).run();
    let err = &out.stderr;
    assert_eq!(out.status.code(), Some(75), "{err}");
    assert!(err.contains("master.lock"), "names the lock: {err}");
    assert!(
        err.contains(&format!("pid {}", holder.0.id())),
        "names the holder: {err}"
    );
    assert!(lock.exists(), "a live lock is never deleted");
    // Waiting gives up after the time asked for, still without deleting.
    let t = Instant::now();
    let out = Lore::new(data.path()).args(["sync", "t", "--wait=1"]).run();
    assert_eq!(out.status.code(), Some(75), "{}", &out.stderr);
    assert!(t.elapsed() >= Duration::from_secs(1));
    assert!(lock.exists());
    drop(holder);

    // Nobody holds it any more: an interrupted run's leftover, removed with a note.
    let out = Lore::new(data.path()).args(["sync", "t"]).run();
    let err = &out.stderr;
    assert!(out.status.success(), "{err}");
    assert!(err.contains("removed the stale git lock"), "{err}");
    assert!(!lock.exists());
}

#[test]
fn a_reader_never_moves_an_index_aside() {
    let (_a, kvm) = epoch_of("kvm", 3);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", kvm.path().to_str().unwrap()])
        .ok();
    let ix = data.path().join("t/index.sqlite3");

    // A good index that another program holds open exclusively: the reader
    // fails (or waits), but the database stays where it is.
    {
        let conn = rusqlite::Connection::open(&ix).unwrap();
        conn.execute_batch(
            "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE meta SET value=value;",
        )
        .unwrap();
        let _ = Lore::new(data.path())
            .args(["stats", "t", "--week", "2022-W10", "--json"])
            .run();
        assert!(!data.path().join("t/index.sqlite3.broken").exists());
        conn.execute_batch("ROLLBACK").unwrap();
    }
    assert_eq!(count(data.path(), "t"), 3);

    // A damaged index while a sync holds the list lock: the reader says so
    // and leaves it to the lock holder.
    let mirror = lore_digest::storage::mirror::Mirror::new(data.path(), "t").unwrap();
    let held = mirror.lock().unwrap();
    for p in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{p}", ix.display()));
    }
    std::fs::write(&ix, b"garbage, not a database".repeat(200)).unwrap();
    let out = Lore::new(data.path())
        .args(["stats", "t", "--week", "2022-W10", "--json"])
        .run();
    let err = &out.stderr;
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("damaged"), "{err}");
    assert!(err.contains("another lore-digest"), "{err}");
    assert!(ix.exists() && !data.path().join("t/index.sqlite3.broken").exists());
    drop(held);
    // Without the lock held, the next reader repairs it.
    assert_eq!(count(data.path(), "t"), 3);
    assert!(data.path().join("t/index.sqlite3.broken").exists());
}

#[test]
fn report_and_sync_wait_for_the_list_lock_when_asked() {
    let (_a, kvm) = epoch_of("kvm", 3);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", kvm.path().to_str().unwrap()])
        .ok();
    let out_dir = data.path().join("R");
    let report = [
        "report",
        "t",
        "--week",
        "2022-W10",
        "--no-llm",
        "--format",
        "json",
        "--out",
        out_dir.to_str().unwrap(),
    ];
    for (cmd, wait) in [("report", "--wait=30"), ("sync", "--wait")] {
        let args: &[&str] = if cmd == "report" {
            &report
        } else {
            &["sync", "t"]
        };
        let mirror = lore_digest::storage::mirror::Mirror::new(data.path(), "t").unwrap();
        let held = mirror.lock().unwrap();
        let refused = Lore::new(data.path()).args(args).run().code(75);
        assert!(
            refused.stderr.contains("--wait"),
            "{cmd} tells about --wait: {refused}"
        );
        // Started while the lock is held, it says that it waits, and it
        // goes on waiting: it ends well, which it can only once the lock
        // is released.
        let (mut child, lines) = spawn_reading_stderr(Lore::new(data.path()).args(args).arg(wait));
        let said = loop {
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("{cmd} {wait} says that it waits"));
            if line.contains("waiting for another lore-digest") {
                break line;
            }
        };
        assert!(
            said.contains(&format!("pid {}", std::process::id())),
            "{said}"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "{cmd} {wait} still waits while the lock is held"
        );
        drop(held);
        let status = child.wait().unwrap();
        let rest: Vec<String> = lines.iter().collect();
        assert!(
            status.success(),
            "{cmd} {wait}: {status}\n{}",
            rest.join("\n")
        );
    }
}

/// Start `lore`, its standard error read line by line into the receiver.
fn spawn_reading_stderr(lore: Lore) -> (Child, Receiver<String>) {
    let mut child = lore
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}
