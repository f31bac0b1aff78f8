//! Faults (issue #6, part C): a sync killed at any moment, a damaged or
//! missing index, two runs at once, a full disk under the report folder,
//! and errors that name what they concern and say what to do.

use crate::common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// Monday 2022-03-07 10:00 UTC (2022-W10).
const T0: i64 = 1_646_647_200;

/// `n` generated mails starting at number `from`: threads of five (a root
/// and four replies), ten minutes apart from T0 - 7 days on.
fn gen_mails(from: usize, n: usize) -> Vec<(Vec<u8>, i64)> {
    (from..from + n)
        .map(|i| {
            let t = T0 - 7 * 86400 + i as i64 * 600;
            let root = i - i % 5;
            let (irt, refs) = if i == root {
                (None, vec![])
            } else {
                (
                    Some(format!("m{}@gen", i - 1)),
                    vec![format!("m{root}@gen")],
                )
            };
            let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
            let raw = mail(
                &format!("m{i}@gen"),
                &format!("Sender {} <s{}@example.org>", i % 37, i % 37),
                &if i == root {
                    format!("[PATCH] KVM: arm64: change number {i}")
                } else {
                    format!("Re: [PATCH] KVM: arm64: change number {root}")
                },
                &rfc2822_date(t),
                irt.as_deref(),
                &refs,
                &format!("Body of mail {i}.\n\nSigned-off-by: S <s@example.org>\n"),
            );
            (raw, t)
        })
        .collect()
}

/// Facts of the index on disk, read with SQLite directly.
#[derive(Debug, PartialEq, Eq)]
struct Facts {
    rows: u64,
    distinct_positions: u64,
    distinct_commits: u64,
    counted: u64,
    epoch_commits: u64,
    max_seq: u64,
    walk_errors: u64,
}

fn facts(data: &Path, list: &str) -> Facts {
    let db = rusqlite::Connection::open_with_flags(
        data.join(list).join("index.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open index");
    let q = |sql: &str| -> u64 { db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64 };
    Facts {
        rows: q("SELECT count(*) FROM messages"),
        distinct_positions: q("SELECT count(*) FROM (SELECT DISTINCT epoch, seq FROM messages)"),
        distinct_commits: q("SELECT count(DISTINCT commit_oid) FROM messages"),
        counted: q(
            "SELECT count(*) FROM messages WHERE deleted_by IS NULL AND duplicate_of IS NULL",
        ),
        epoch_commits: q("SELECT coalesce(sum(commits), 0) FROM epochs"),
        max_seq: q("SELECT coalesce(max(seq), 0) FROM messages"),
        walk_errors: q("SELECT count(*) FROM walk_errors"),
    }
}

/// Start `run`; SIGKILL it (our child, by its PID) after `after` unless it
/// finished first. True when it was killed. Its end is seen on a pipe: its
/// standard output reaches end of file when it exits.
fn kill_after(run: Lore, after: Duration) -> bool {
    let mut child = run
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lore-digest");
    let mut stdout = child.stdout.take().unwrap();
    let (ended, end) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        let _ = ended.send(());
    });
    let finished = end.recv_timeout(after).is_ok() || child.try_wait().unwrap().is_some();
    if !finished {
        child.kill().unwrap();
    }
    child.wait().unwrap();
    !finished
}

/// Sync killed after each delay in turn (each run starting over what the
/// last one left), then a sync that runs to the end. Returns how many runs
/// were killed.
fn killed_syncs(data: &Path, list: &str, url: &str, delays: &[Duration]) -> usize {
    let mut killed = 0;
    // Rows in the index after each run: shows where the kills landed
    // (during the clone: none yet; during indexing: whole batches).
    let mut progress = Vec::new();
    for d in delays {
        let k = kill_after(
            Lore::new(data).quiet().args(["sync", list, "--url", url]),
            *d,
        );
        if k {
            killed += 1;
        }
        // (An index killed before its tables were made has no rows.)
        let rows = rusqlite::Connection::open_with_flags(
            data.join(list).join("index.sqlite3"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .and_then(|db| db.query_row("SELECT count(*) FROM messages", [], |r| r.get::<_, i64>(0)))
        .unwrap_or(0);
        progress.push(format!("{}{rows}", if k { "killed:" } else { "done:" }));
    }
    eprintln!("{list}: index rows after each run: {progress:?}");
    let t = Instant::now();
    let last = Lore::new(data)
        .quiet()
        .args(["sync", list, "--json", "--url", url])
        .ok()
        .json();
    eprintln!(
        "{list}: {killed} of {} syncs killed ({delays:?}); the last sync took {:.2?}: epoch 0 {}, {} added",
        delays.len(),
        t.elapsed(),
        last["epochs"][0]["action"],
        last["index"]["added"]
    );
    assert!(
        !data.join(list).join("git/0.git.partial").exists(),
        "partial clone left behind"
    );
    killed
}

fn stats_week(data: &Path, list: &str, week: &str) -> Value {
    let v = Lore::new(data)
        .quiet()
        .args(["stats", list, "--week", week, "--json"])
        .ok()
        .json();
    serde_json::json!({ "messages": v["messages"], "senders": v["senders"] })
}

/// The per-week message counts of every week the synthetic mails touch.
fn week_counts(data: &Path, list: &str) -> BTreeMap<String, Value> {
    [
        "2022-W09", "2022-W10", "2022-W11", "2022-W12", "2022-W13", "2022-W14", "2022-W15",
    ]
    .iter()
    .map(|w| (w.to_string(), stats_week(data, list, w)))
    .collect()
}

fn ms(v: &[u64]) -> Vec<Duration> {
    v.iter().map(|&m| Duration::from_millis(m)).collect()
}

/// Fractions of a measured duration.
fn fractions(total: Duration, f: &[f64]) -> Vec<Duration> {
    f.iter().map(|x| total.mul_f64(*x)).collect()
}

// ---------------------------------------------------------------------------
// C1: a sync killed in the middle
// ---------------------------------------------------------------------------

/// Serve `epoch` over smart HTTP; without public-inbox (not under CI, see
/// `missing`) use its path (the local clone path). Returns (server, URL).
fn serve(epoch: &Path, test: &str) -> (Option<PiHttpd>, String) {
    if require_public_inbox(test) {
        let s = PiHttpd::serve(epoch);
        let url = s.epoch_url(0);
        (Some(s), url)
    } else {
        eprintln!("{test}: syncing from the local path instead of smart HTTP");
        (None, epoch.display().to_string())
    }
}

#[test]
fn synthetic_sync_killed_at_any_moment_ends_with_every_message_once() {
    const N: usize = 6000;
    let (_repo, b) = EpochBuilder::temp();
    b.add_messages(&gen_mails(0, N));
    let (server, url) = serve(b.path(), "synthetic kill test");

    // Reference: an uninterrupted sync, and how long it takes.
    let clean = tempfile::tempdir().unwrap();
    let t = Instant::now();
    Lore::new(clean.path())
        .quiet()
        .args(["sync", "t", "--url", &url])
        .ok();
    let full = t.elapsed();
    let expected = facts(clean.path(), "t");
    assert_eq!(expected.rows, N as u64);
    let expected_weeks = week_counts(clean.path(), "t");

    let data = tempfile::tempdir().unwrap();
    let mut delays = ms(&[20, 50, 150]);
    let steps: Vec<f64> = (2..20).map(|i| f64::from(i) * 0.05).collect();
    delays.extend(fractions(full, &steps));
    let killed = killed_syncs(data.path(), "t", &url, &delays);
    assert!(
        killed >= 3,
        "only {killed} syncs were killed (full sync {full:?})"
    );
    let got = facts(data.path(), "t");
    assert_eq!(got, expected, "index after killed syncs");
    assert_eq!(got.distinct_positions, got.rows, "duplicate (epoch, seq)");
    assert_eq!(got.distinct_commits, got.rows, "duplicate commits");
    assert_eq!(got.epoch_commits, N as u64);
    assert_eq!(week_counts(data.path(), "t"), expected_weeks);

    // Incremental: M more commits on the server, the fetch killed.
    const M: usize = 4000;
    let served = match &server {
        Some(s) => s.epoch_builder(0),
        None => b.clone(),
    };
    served.add_messages(&gen_mails(N, M));
    let t = Instant::now();
    Lore::new(clean.path()).quiet().args(["sync", "t"]).ok();
    let incr = t.elapsed();
    let expected = facts(clean.path(), "t");
    assert_eq!(expected.rows, (N + M) as u64);
    let expected_weeks = week_counts(clean.path(), "t");
    let mut delays = ms(&[20, 60]);
    delays.extend(fractions(incr, &steps));
    let killed = killed_syncs(data.path(), "t", &url, &delays);
    assert!(
        killed >= 3,
        "only {killed} incremental syncs were killed ({incr:?})"
    );
    let got = facts(data.path(), "t");
    assert_eq!(got, expected, "index after killed incremental syncs");
    assert_eq!(got.distinct_commits, got.rows);
    assert_eq!(week_counts(data.path(), "t"), expected_weeks);

    // From the local path too (a copy of the object store, then a rename).
    if server.is_some() {
        let path = b.path().display().to_string();
        let local = tempfile::tempdir().unwrap();
        let t = Instant::now();
        Lore::new(local.path())
            .quiet()
            .args(["sync", "t", "--url", &path])
            .ok();
        let full = t.elapsed();
        let expected = facts(local.path(), "t");
        let data = tempfile::tempdir().unwrap();
        let mut delays = ms(&[5, 20, 50]);
        delays.extend(fractions(full, &steps));
        killed_syncs(data.path(), "t", &path, &delays);
        assert_eq!(
            facts(data.path(), "t"),
            expected,
            "after killed local syncs"
        );
    }
    drop(server);
}

/// Weeks of the corpus with their message count by received time, from
/// `kvmarm-columbia.weeks.tsv` (public-inbox's own numbers).
fn corpus_weeks() -> Vec<(String, u64)> {
    let Some(tsv) = shared_weeks_tsv() else {
        return Vec::new();
    };
    let text = std::fs::read_to_string(tsv).unwrap();
    let rows: Vec<(String, u64)> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some((f.first()?.to_string(), f.get(3)?.parse().ok()?))
        })
        .collect();
    // A handful spread over the archive, and 2022-W10.
    let step = (rows.len() / 5).max(1);
    let mut pick: Vec<(String, u64)> = rows.iter().step_by(step).cloned().collect();
    if let Some(w) = rows.iter().find(|(w, _)| w == "2022-W10") {
        pick.push(w.clone());
    }
    pick
}

#[test]
fn corpus_sync_over_http_killed_at_any_moment_ends_with_every_message_once() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    if !require_public_inbox("corpus_sync_over_http_killed_at_any_moment") {
        return;
    }
    let server = PiHttpd::serve(&corpus);
    let url = server.epoch_url(0);
    let data = tempfile::tempdir().unwrap();
    let killed = killed_syncs(
        data.path(),
        "kvmarm",
        &url,
        &ms(&[50, 150, 300, 600, 1200, 2000, 3000, 4000, 5000]),
    );
    assert!(killed >= 4, "only {killed} syncs were killed");
    let got = facts(data.path(), "kvmarm");
    assert_eq!(got.rows, 21_367, "{got:?}");
    assert_eq!(got.distinct_positions, 21_367, "{got:?}");
    assert_eq!(got.distinct_commits, 21_367, "{got:?}");
    assert_eq!(got.max_seq, 21_367, "{got:?}");
    assert_eq!(got.epoch_commits, 21_367, "{got:?}");
    assert_eq!(got.counted, 21_366, "{got:?}");
    for (week, n) in corpus_weeks() {
        assert_eq!(
            stats_week(data.path(), "kvmarm", &week)["messages"],
            n,
            "week {week}"
        );
    }

    // Incremental: the server shows the first 15,000 commits, then all.
    let served = server.inbox_epoch_path(0);
    let all = git(&served, &["rev-list", "--reverse", "refs/heads/master"]);
    let commits: Vec<&str> = all.lines().collect();
    let tip = commits.last().unwrap().to_string();
    git(
        &served,
        &["update-ref", "refs/heads/master", commits[14_999]],
    );
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .quiet()
        .args(["sync", "kvmarm", "--url", &url])
        .ok();
    assert_eq!(facts(data.path(), "kvmarm").rows, 15_000);
    git(&served, &["update-ref", "refs/heads/master", &tip]);
    let killed = killed_syncs(
        data.path(),
        "kvmarm",
        &url,
        &ms(&[
            30, 100, 250, 500, 700, 800, 900, 1000, 1100, 1200, 1400, 1600, 2000,
        ]),
    );
    assert!(killed >= 3, "only {killed} incremental syncs were killed");
    let got = facts(data.path(), "kvmarm");
    assert_eq!(
        (
            got.rows,
            got.distinct_commits,
            got.distinct_positions,
            got.counted
        ),
        (21_367, 21_367, 21_367, 21_366),
        "{got:?}"
    );
    assert_eq!(
        stats_week(data.path(), "kvmarm", "2022-W10")["messages"],
        157
    );
}

// ---------------------------------------------------------------------------
// C2: a damaged, truncated or missing index
// ---------------------------------------------------------------------------

/// What the commands say about a list: stats of two weeks, the threads of
/// one, and a report's JSON.
fn observable(data: &Path) -> Vec<String> {
    let w10 = Lore::new(data)
        .quiet()
        .args(["stats", "t", "--week", "2022-W10", "--json"])
        .ok();
    let w11 = Lore::new(data)
        .quiet()
        .args(["stats", "t", "--week", "2022-W11", "--json"])
        .ok();
    let th = Lore::new(data)
        .quiet()
        .args(["threads", "t", "--week", "2022-W10", "--json"])
        .ok();
    vec![w10.stdout, w11.stdout, th.stdout]
}

fn remove_wal(ix: &Path) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", ix.display()));
    }
}

#[test]
fn damaged_truncated_or_missing_index_is_rebuilt_from_the_mirror() {
    let (_repo, b) = EpochBuilder::temp();
    b.add_messages(&gen_mails(0, 3000));
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .quiet()
        .args(["sync", "t", "--url"])
        .arg(b.path())
        .ok();
    let before = observable(data.path());
    let ix = data.path().join("t/index.sqlite3");
    let len = std::fs::metadata(&ix).unwrap().len();
    assert!(len > 200_000, "index of {len} bytes");

    type Damage = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Damage, &str)> = vec![
        (
            "random bytes over the middle",
            Box::new(|p: &Path| {
                let len = std::fs::metadata(p).unwrap().len();
                let mut f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
                use std::io::Seek;
                f.seek(std::io::SeekFrom::Start(len / 2)).unwrap();
                let mut x: u64 = 0x2545_F491_4F6C_DD1D;
                let junk: Vec<u8> = (0..16384)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect();
                f.write_all(&junk).unwrap();
            }),
            "rebuilding from the mirror",
        ),
        (
            "truncated to half",
            Box::new(|p: &Path| {
                let len = std::fs::metadata(p).unwrap().len();
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(p)
                    .unwrap()
                    .set_len(len / 2)
                    .unwrap();
            }),
            "rebuilding from the mirror",
        ),
        (
            "deleted",
            Box::new(|p: &Path| std::fs::remove_file(p).unwrap()),
            "building it again from the mirror",
        ),
    ];
    for (what, damage, says) in &cases {
        remove_wal(&ix);
        damage(&ix);
        // The first command after the damage notices, says so and rebuilds.
        let out = Lore::new(data.path())
            .quiet()
            .args(["stats", "t", "--week", "2022-W10", "--json"])
            .ok();
        let err = &out.stderr;
        assert!(err.contains(says), "{what}: no clear message: {err}");
        assert!(
            err.contains(&ix.display().to_string()),
            "{what}: names the file: {err}"
        );
        assert_eq!(observable(data.path()), before, "{what}: results differ");
        let f = facts(data.path(), "t");
        assert_eq!((f.rows, f.distinct_commits), (3000, 3000), "{what}");
        if *what != "deleted" {
            assert!(
                data.path().join("t/index.sqlite3.broken").exists(),
                "{what}: kept aside"
            );
        }
    }
    // Damage noticed by a sync and by a report too.
    for cmd in [
        &["sync", "t"][..],
        &[
            "report", "t", "--week", "2022-W10", "--no-llm", "--format", "json",
        ][..],
    ] {
        remove_wal(&ix);
        cases[0].1(&ix);
        let out = Lore::new(data.path())
            .quiet()
            .args(cmd)
            .current_dir(data.path())
            .ok();
        assert!(
            out.stderr.contains("rebuilding from the mirror"),
            "{cmd:?}: {}",
            &out.stderr
        );
        assert_eq!(observable(data.path()), before, "{cmd:?}");
    }
}

// ---------------------------------------------------------------------------
// C3: two runs at once
// ---------------------------------------------------------------------------

/// Kills (by PID) the child on drop.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn assert_refused(out: &Run, holder: u32, what: &str) {
    let err = &out.stderr;
    assert_eq!(out.status.code(), Some(75), "{what}: {err}");
    assert!(err.contains("another lore-digest"), "{what}: {err}");
    assert!(
        err.contains(&format!("pid {holder}")),
        "{what}: names the holder: {err}"
    );
    assert!(err.contains("run again"), "{what}: says what to do: {err}");
}

fn second_runs_are_refused(data: &Path, holder: u32, epoch: &Path) {
    let out_dir = data.join("R");
    let report = Lore::new(data)
        .quiet()
        .args(["report", "t", "--week", "2022-W10", "--no-llm", "--out"])
        .arg(&out_dir)
        .run();
    assert_refused(&report, holder, "report");
    assert!(!out_dir.exists(), "a refused report writes nothing");
    assert_refused(
        &Lore::new(data).quiet().args(["index", "t"]).run(),
        holder,
        "index",
    );
    assert_refused(
        &Lore::new(data)
            .quiet()
            .args(["index", "t", "--rebuild"])
            .run(),
        holder,
        "index --rebuild",
    );
    assert_refused(
        &Lore::new(data)
            .quiet()
            .args(["sync", "t", "--url"])
            .arg(epoch)
            .run(),
        holder,
        "sync",
    );
    // Readers still read.
    Lore::new(data)
        .quiet()
        .args(["stats", "t", "--week", "2022-W10"])
        .ok();
}

#[test]
fn a_second_run_is_refused_while_the_lock_is_held() {
    let (_repo, b) = EpochBuilder::temp();
    b.add_messages(&gen_mails(0, 200));
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .quiet()
        .args(["sync", "t", "--url"])
        .arg(b.path())
        .ok();

    // Held by the library, in this process.
    {
        let mirror = lore_digest::storage::mirror::Mirror::new(data.path(), "t").unwrap();
        let _held = mirror.lock().unwrap();
        second_runs_are_refused(data.path(), std::process::id(), b.path());
    }

    // Held by a real sync that hangs on a server that never answers.
    // A server that never answers: the sync hangs holding the lock.
    let stall = stalling_server();
    let child = Lore::new(data.path())
        .quiet()
        .args(["sync", "t", "--url", &format!("{}/t", stall.url())])
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sync = KillOnDrop(child);
    let pid = sync.0.id();
    let lock = data.path().join("t/.lock");
    eventually("the sync takes the lock", Duration::from_secs(20), || {
        std::fs::read_to_string(&lock).unwrap_or_default().trim() == pid.to_string()
    });
    second_runs_are_refused(data.path(), pid, b.path());
    drop(sync);
    drop(stall);
    // Once it is gone, the lock is free again (the kernel drops it).
    Lore::new(data.path())
        .quiet()
        .args(["sync", "t", "--url"])
        .arg(b.path())
        .ok();
    Lore::new(data.path())
        .quiet()
        .args(["report", "t", "--week", "2022-W10", "--no-llm", "--out"])
        .arg(data.path().join("R"))
        .ok();
}

#[test]
fn a_report_is_refused_while_a_corpus_sync_runs() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    if !require_public_inbox("a_report_is_refused_while_a_corpus_sync_runs") {
        return;
    }
    let server = PiHttpd::serve(&corpus);
    let data = tempfile::tempdir().unwrap();
    // A first mirror, so that there is something to report on.
    let (_repo, b) = EpochBuilder::temp();
    b.add_messages(&gen_mails(0, 50));
    Lore::new(data.path())
        .quiet()
        .args(["sync", "t", "--url"])
        .arg(b.path())
        .ok();
    // The corpus replaces it: a long clone (the epoch has another history,
    // so it takes --replace).
    let child = Lore::new(data.path())
        .quiet()
        .args(["sync", "t", "--replace", "--url", &server.epoch_url(0)])
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut sync = KillOnDrop(child);
    let pid = sync.0.id();
    let lock = data.path().join("t/.lock");
    eventually("the sync takes the lock", Duration::from_secs(20), || {
        std::fs::read_to_string(&lock).unwrap_or_default().trim() == pid.to_string()
    });
    let report = Lore::new(data.path())
        .quiet()
        .args(["report", "t", "--week", "2022-W10", "--no-llm", "--out"])
        .arg(data.path().join("R"))
        .run();
    let index = Lore::new(data.path()).quiet().args(["index", "t"]).run();
    let still_running = sync.0.try_wait().unwrap().is_none();
    if still_running {
        assert_refused(&report, pid, "report during a corpus sync");
        assert_refused(&index, pid, "index during a corpus sync");
    } else {
        eprintln!("the corpus sync ended before the second runs; not checked");
    }
    let status = sync.0.wait().unwrap();
    assert!(status.success(), "the corpus sync failed");
}

// ---------------------------------------------------------------------------
// C4: disk full while writing a report
// ---------------------------------------------------------------------------

/// A tmpfs mounted on a fresh folder, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                missing(&format!(
                    "the disk-full test: mount -t tmpfs is not permitted here ({}; run as root)",
                    String::from_utf8_lossy(&o.stderr).trim()
                ));
                None
            }
            Err(e) => {
                missing(&format!("the disk-full test: cannot run mount ({e})"));
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let out = Command::new("umount").arg(self.dir.path()).output();
        if !out.is_ok_and(|o| o.status.success()) {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(self.dir.path())
                .output();
        }
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Fill the file system of `dir` with `filler`, then free `leave` bytes.
fn fill(filler: &Path, leave: u64) {
    let mut f = std::fs::File::create(filler).unwrap();
    let chunk = vec![0x55u8; 4096];
    let mut written = 0u64;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(_) => break,
        }
    }
    let _ = f.sync_all();
    f.set_len(written.saturating_sub(leave)).unwrap();
    f.sync_all().unwrap();
}

#[test]
fn disk_full_while_writing_a_report_keeps_the_previous_one() {
    let (_repo, b) = EpochBuilder::temp();
    // 1005 mails: the last 15 (3 threads) fall in 2022-W10.
    b.add_messages(&gen_mails(0, 1005));
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .quiet()
        .args(["sync", "t", "--url"])
        .arg(b.path())
        .ok();
    let Some(fs) = Tmpfs::mount("512k") else {
        return;
    };
    let out = fs.path().join("reports");
    let report = |sde: &str| {
        Lore::new(data.path())
            .quiet()
            .env("SOURCE_DATE_EPOCH", sde)
            .args([
                "report",
                "t",
                "--week",
                "2022-W10",
                "--no-llm",
                "--format",
                "md,html,json",
                "--out",
            ])
            .arg(&out)
            .run()
    };
    let first = report("1647302400");
    assert!(first.status.success(), "{}", &first.stderr);
    let before = snapshot(&out);
    // md, html, json, index.html and feed.atom.
    assert_eq!(before.len(), 5, "{:?}", before.keys());
    let sizes: Vec<u64> = ["md", "html", "json"]
        .iter()
        .map(|e| before[&out.join(format!("t/2022/t-2022-03-13.{e}"))].len() as u64)
        .collect();
    eprintln!("report sizes md/html/json: {sizes:?}");

    // Full: nothing fits. Then room for the Markdown only: a report is
    // replaced as a whole or not at all.
    let filler = fs.path().join("filler");
    for (what, leave) in [
        ("no room", 0),
        ("room for the Markdown only", sizes[0] + 4096),
    ] {
        fill(&filler, leave);
        let second = report("1647388800");
        let err = &second.stderr;
        assert_eq!(second.status.code(), Some(1), "{what}: {err}");
        assert!(
            err.contains(&out.display().to_string()),
            "{what}: names the file: {err}"
        );
        assert!(
            err.contains("No space left on device"),
            "{what}: says why: {err}"
        );
        assert!(
            err.contains("free some space"),
            "{what}: says what to do: {err}"
        );
        assert_eq!(
            snapshot(&out),
            before,
            "{what}: previous report changed or temp files left"
        );
        std::fs::remove_file(&filler).unwrap();
    }
    // With room again the new report is written.
    let third = report("1647388800");
    assert!(third.status.success(), "{}", &third.stderr);
    assert_ne!(snapshot(&out), before);
}

// ---------------------------------------------------------------------------
// C5: errors name what they concern and say what to do
// ---------------------------------------------------------------------------

#[test]
fn sync_errors_name_the_list_and_url_and_say_what_to_do() {
    let data = tempfile::tempdir().unwrap();
    // An HTTP URL that is not a repository (nor an inbox).
    let server = not_found_server();
    let url = format!("{}/nothing", server.url());
    let out = Lore::new(data.path())
        .quiet()
        .args(["sync", "t", "--url", &url])
        .run();
    let err = &out.stderr;
    drop(server);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(err.contains("sync of t from"), "{err}");
    assert!(err.contains(&url), "names the URL: {err}");
    assert!(err.contains("--url"), "says what to do: {err}");

    // A git repository that is not a public-inbox epoch (no refs/heads/master).
    let other = tempfile::tempdir().unwrap();
    let repo = other.path().join("other.git");
    git(
        other.path(),
        &["init", "-q", "--bare", "--initial-branch=main", "other.git"],
    );
    let work = other.path().join("work");
    git(
        other.path(),
        &["init", "-q", "--initial-branch=main", "work"],
    );
    std::fs::write(work.join("README"), "not mail\n").unwrap();
    git(&work, &["add", "README"]);
    git(
        &work,
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.org",
            "commit",
            "-q",
            "-m",
            "x",
        ],
    );
    git(&work, &["push", "-q", repo.to_str().unwrap(), "main"]);
    let out = Lore::new(data.path())
        .quiet()
        .args(["sync", "u", "--url"])
        .arg(&repo)
        .run();
    let err = &out.stderr;
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(err.contains("sync of u from"), "{err}");
    assert!(
        err.contains(&repo.display().to_string()),
        "names the repository: {err}"
    );
    assert!(err.contains("refs/heads/master"), "{err}");
    assert!(err.contains("not a public-inbox epoch"), "{err}");
    assert!(
        !data.path().join("u/git/0.git").exists()
            && !data.path().join("u/git/0.git.partial").exists(),
        "nothing half-made is left"
    );
    if require_public_inbox("sync_errors_name_the_list_and_url_and_say_what_to_do") {
        // The same over smart HTTP.
        let server = PiHttpd::serve(&repo);
        let out = Lore::new(data.path())
            .quiet()
            .args(["sync", "v", "--url", &server.epoch_url(0)])
            .run();
        let err = &out.stderr;
        assert_eq!(out.status.code(), Some(69), "{err}");
        assert!(err.contains(&server.epoch_url(0)), "{err}");
        assert!(err.contains("not a public-inbox epoch"), "{err}");
    }
}

#[test]
fn unreadable_commit_is_reported_with_epoch_and_commit_and_the_run_goes_on() {
    let (_repo, b) = EpochBuilder::temp();
    b.add_messages(&gen_mails(1000, 10));
    // A commit whose tree holds neither m nor d, as public-inbox never writes.
    let blob = {
        let mut c = git_command(b.path());
        let mut child = c
            .args(["hash-object", "-w", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"not a mail\n")
            .unwrap();
        let o = child.wait_with_output().unwrap();
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    let tree = {
        let mut child = git_command(b.path())
            .args(["mktree"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "100644 blob {blob}\tx").unwrap();
        let o = child.wait_with_output().unwrap();
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    let head = b.head().unwrap();
    let bad = git_command(b.path())
        .args(["commit-tree", &tree, "-p", &head, "-m", "odd"])
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .env("GIT_AUTHOR_DATE", format!("{} +0000", T0 + 86400))
        .env("GIT_COMMITTER_DATE", format!("{} +0000", T0 + 86400))
        .output()
        .unwrap();
    let bad = String::from_utf8(bad.stdout).unwrap().trim().to_string();
    assert_eq!(bad.len(), 40);
    b.git(&["update-ref", "refs/heads/master", &bad]);
    b.add_messages(&gen_mails(1010, 10));

    let data = tempfile::tempdir().unwrap();
    let out = Lore::new(data.path())
        .quiet()
        .args(["sync", "t", "--json", "--url"])
        .arg(b.path())
        .ok();
    let s = out.json();
    assert_eq!(s["index"]["errors"], 1, "{s}");
    assert_eq!(s["messages"], 20, "the run went on: {s}");
    let err = &out.stderr;
    assert!(
        err.contains(&format!("epoch 0 commit {bad}")) && err.contains("neither m nor d"),
        "{err}"
    );
    let r = data.path().join("R");
    Lore::new(data.path())
        .quiet()
        .args([
            "report", "t", "--week", "2022-W10", "--no-llm", "--lang", "en", "--format", "md,json",
            "--out",
        ])
        .arg(&r)
        .ok();
    let md = std::fs::read_to_string(r.join("t/2022/t-2022-03-13.md")).unwrap();
    let appendix = &md[md.find("## Data quality").expect("appendix")..];
    assert!(
        appendix.contains(&format!("epoch 0 commit {bad}")),
        "{appendix}"
    );
    assert!(appendix.contains("neither m nor d"), "{appendix}");
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(r.join("t/2022/t-2022-03-13.json")).unwrap())
            .unwrap();
    assert!(
        j["quality"]["unreadable_commits"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(&bad)
    );
}

#[test]
fn range_and_output_errors_name_what_and_say_what_to_do() {
    let (_repo, b) = EpochBuilder::temp();
    b.add_messages(&gen_mails(1000, 20));
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .quiet()
        .args(["sync", "t", "--url"])
        .arg(b.path())
        .ok();

    // An unknown --range commit.
    let out = Lore::new(data.path())
        .quiet()
        .args(["report", "t", "--range", "0:deadbeef..", "--no-llm"])
        .run();
    let err = &out.stderr;
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("deadbeef") && err.contains("index of t"),
        "{err}"
    );
    assert!(err.contains("sync first"), "says what to do: {err}");
    let out = Lore::new(data.path())
        .quiet()
        .args(["stats", "t", "--range", "..0123456789abcdef"])
        .run();
    assert_eq!(out.status.code(), Some(2), "{}", &out.stderr);
    assert!(out.stderr.contains("0123456789abcdef"));

    // An out dir nobody may enter (chmod 000). Root passes permission
    // checks, so the command runs without CAP_DAC_OVERRIDE then.
    let locked = data.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let root_bypasses = std::fs::read_dir(&locked).is_ok();
    let mut c = Lore::new(data.path()).quiet();
    if root_bypasses {
        if which("setpriv").is_none() {
            missing("the unwritable-folder check as root: setpriv (util-linux)");
            std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
            return;
        }
        c = c.under(&[
            "setpriv",
            "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-all",
            "--",
        ]);
    }
    let out = c
        .args(["report", "t", "--week", "2022-W10", "--no-llm", "--out"])
        .arg(&locked)
        .run();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = &out.stderr;
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&locked.display().to_string()),
        "names the folder: {err}"
    );
    assert!(err.contains("Permission denied"), "says why: {err}");
    assert!(err.contains("permission"), "says what to do: {err}");
    assert_eq!(std::fs::read_dir(&locked).unwrap().count(), 0);
}
