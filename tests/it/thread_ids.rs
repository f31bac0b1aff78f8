//! Thread ids kept in the index (`messages.tid`), updated as commits are
//! indexed, against the from-scratch references: `thread::components` (the
//! same partition, exactly) and `thread::build` (whose threads each lie in
//! one tid, and which equals it on these archives). Also: the digest of a
//! window, which reads only its threads through the tids, against
//! threading the whole archive.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use lore_digest::storage::index::{Index, Message};
use lore_digest::thread;
use serde_json::Value;

use crate::common::{self, *};

const T0: i64 = 1_646_647_200; // 2022-03-07 10:00:00 UTC (Monday of 2022-W10)

/// The index's tid of every live message, by row id.
fn tids(ix: &Index) -> HashMap<i64, i64> {
    let mut st = ix
        .connection()
        .prepare("SELECT id, tid FROM messages WHERE deleted_by IS NULL AND duplicate_of IS NULL")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?)))
        .unwrap()
        .map(|r| {
            let (id, tid) = r.unwrap();
            (id, tid.expect("a counted message without tid"))
        })
        .collect()
}

/// Whether two labellings of the same items are the same partition.
fn same_partition<A: Ord + Copy, B: Ord + Copy>(a: &[A], b: &[B]) -> bool {
    let mut ab: BTreeMap<A, B> = BTreeMap::new();
    let mut ba: BTreeMap<B, A> = BTreeMap::new();
    a.iter()
        .zip(b)
        .all(|(&x, &y)| *ab.entry(x).or_insert(y) == y && *ba.entry(y).or_insert(x) == x)
}

/// Checks the index's tids against the references; returns the number of
/// thread ids.
fn check_tids(data: &Path, list: &str, expect_build_equal: bool) -> usize {
    let ix = Index::open(&data.join(list).join("index.sqlite3")).unwrap();
    let msgs: Vec<Message> = ix.all_messages().unwrap();
    let by_id = tids(&ix);
    let ours: Vec<i64> = msgs.iter().map(|m| by_id[&m.id]).collect();
    let comps = thread::components(&msgs);
    assert!(
        same_partition(&ours, &comps),
        "the index's thread ids are not the connected components of the archive"
    );
    let built = thread::build(&msgs);
    for th in &built.threads {
        let t: BTreeSet<i64> = th.members.iter().map(|&i| ours[i]).collect();
        assert_eq!(t.len(), 1, "thread {} spans thread ids {t:?}", th.id);
    }
    if expect_build_equal {
        assert!(
            same_partition(&ours, &built.thread_of),
            "thread ids and threads differ"
        );
    }
    ours.iter().collect::<BTreeSet<_>>().len()
}

fn set_master(repo: &Path, commit: &str) {
    git(repo, &["update-ref", "refs/heads/master", commit]);
}

fn commits(repo: &Path) -> Vec<String> {
    git(repo, &["rev-list", "--reverse", "master"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// A synthetic kernel-list archive (`../shared/tools/synth-archive.py`).
fn synth_archive(dir: &Path, messages: u32, weeks: u32, epoch_size: u32) -> bool {
    let tool = common::shared_dir().join("tools").join("synth-archive.py");
    if !tool.is_file() {
        common::missing(&format!("{} not found", tool.display()));
        return false;
    }
    if which("python3").is_none() {
        common::missing("python3 not found");
        return false;
    }
    Run::of(
        Command::new("python3")
            .arg(tool)
            .arg(dir)
            .args(["--messages", &messages.to_string()])
            .args(["--weeks", &weeks.to_string()])
            .args(["--epoch-size", &epoch_size.to_string()])
            .args(["--start", "2022-01-03"]),
    )
    .success();
    true
}

#[test]
fn thread_ids_kept_over_several_syncs_equal_a_from_scratch_threading() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    if !synth_archive(&inbox, 3000, 3, 1600) {
        return;
    }
    let data = tmp.path().join("data");
    let e0 = inbox.join("git/0.git");
    let e1 = inbox.join("git/1.git");
    let c0 = commits(&e0);
    let c1 = commits(&e1);
    let url = inbox.display().to_string();

    // Epoch 1 appears only later; epoch 0 arrives in three syncs.
    let e1_away = tmp.path().join("1.git.away");
    std::fs::rename(&e1, &e1_away).unwrap();
    set_master(&e0, &c0[499]);
    Lore::new(&data).args(["sync", "synth", "--url", &url]).ok();
    check_tids(&data, "synth", true);
    set_master(&e0, &c0[1099]);
    Lore::new(&data).args(["sync", "synth"]).ok();
    check_tids(&data, "synth", true);
    set_master(&e0, c0.last().unwrap());
    std::fs::rename(&e1_away, &e1).unwrap();
    set_master(&e1, &c1[299]);
    Lore::new(&data).args(["sync", "synth"]).ok();
    check_tids(&data, "synth", true);
    set_master(&e1, c1.last().unwrap());

    // On top: replies that arrive before their parent, a mail that joins
    // two threads, and removed messages (a leaf and a middle one).
    let b = EpochBuilder::open(&e1);
    let d = |n: i64| rfc2822_date(T0 + n * 3600);
    let who = "Alice <alice@example.org>";
    let late_reply = mail(
        "late-reply@x",
        who,
        "Re: question",
        &d(1),
        Some("late-root@x"),
        &["late-root@x"],
        "b",
    );
    let late_reply2 = mail(
        "late-reply2@x",
        who,
        "Re: question",
        &d(2),
        Some("late-reply@x"),
        &["late-root@x", "late-reply@x"],
        "c",
    );
    let other = mail("other@x", who, "other", &d(3), None, &[], "d");
    let late_root = mail("late-root@x", who, "question", &d(0), None, &[], "a");
    let middle = mail(
        "middle@x",
        who,
        "Re: other",
        &d(4),
        Some("other@x"),
        &["other@x"],
        "e",
    );
    let below = mail(
        "below@x",
        who,
        "Re: other",
        &d(5),
        Some("middle@x"),
        &["other@x", "middle@x"],
        "f",
    );
    let joiner = mail(
        "joiner@x",
        who,
        "Re: question",
        &d(6),
        Some("late-reply2@x"),
        &["late-root@x", "late-reply@x", "late-reply2@x", "below@x"],
        "g",
    );
    b.add_messages(&[
        (late_reply, T0 + 3600),
        (late_reply2.clone(), T0 + 7200),
        (other, T0 + 3 * 3600),
    ]);
    Lore::new(&data).args(["sync", "synth"]).ok();
    let before = check_tids(&data, "synth", true);
    b.add_messages(&[
        (late_root, T0 + 4 * 3600),
        (middle.clone(), T0 + 5 * 3600),
        (below, T0 + 6 * 3600),
    ]);
    Lore::new(&data).args(["sync", "synth"]).ok();
    // The late root joined its replies; "other" got two replies.
    assert_eq!(check_tids(&data, "synth", true), before);
    b.add_message(&joiner, T0 + 7 * 3600);
    Lore::new(&data).args(["sync", "synth"]).ok();
    assert_eq!(check_tids(&data, "synth", false), before - 1);
    b.delete_message(&middle, T0 + 8 * 3600);
    b.delete_message(&late_reply2, T0 + 9 * 3600);
    Lore::new(&data).args(["sync", "synth"]).ok();
    let ix = Index::open(&data.join("synth/index.sqlite3")).unwrap();
    assert_eq!(ix.count().unwrap(), 3000 + 5);
    drop(ix);
    check_tids(&data, "synth", false);

    // Indexing everything at once gives the same partition.
    let incremental = partition_by_mid(&data);
    Lore::new(&data).args(["index", "synth", "--rebuild"]).ok();
    assert_eq!(partition_by_mid(&data), incremental);
}

/// The thread ids as sets of Message-IDs (live messages).
fn partition_by_mid(data: &Path) -> BTreeSet<BTreeSet<String>> {
    let ix = Index::open(&data.join("synth/index.sqlite3")).unwrap();
    let by_id = tids(&ix);
    let mut parts: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for m in ix.all_messages().unwrap() {
        parts
            .entry(by_id[&m.id])
            .or_default()
            .insert(m.message_id.clone());
    }
    parts.into_values().collect()
}

/// The window's threads as `threads --json` shows them: thread id -> the
/// Message-IDs shown (history included) with their in-window flag.
fn shown(v: &Value) -> BTreeMap<String, Vec<(String, bool)>> {
    v["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let mut msgs: Vec<(String, bool)> = t["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    (
                        m["message_id"].as_str().unwrap().to_string(),
                        m["in_window"].as_bool().unwrap(),
                    )
                })
                .collect();
            msgs.sort();
            (t["id"].as_str().unwrap().to_string(), msgs)
        })
        .collect()
}

/// The same from threading every message received before the window end.
fn reference(msgs: &[Message], start: i64, end: i64) -> BTreeMap<String, Vec<(String, bool)>> {
    let held: Vec<Message> = msgs.iter().filter(|m| m.received < end).cloned().collect();
    let t = thread::build(&held);
    let mut out = BTreeMap::new();
    for th in &t.threads {
        if !th
            .members
            .iter()
            .any(|&i| held[i].received >= start && held[i].received < end)
        {
            continue;
        }
        let mut ms: Vec<(String, bool)> = th
            .members
            .iter()
            .map(|&i| {
                let m = &held[i];
                (m.message_id.clone(), m.received >= start)
            })
            .collect();
        ms.sort();
        out.insert(th.id.clone(), ms);
    }
    out
}

#[test]
fn window_reads_its_threads_as_the_whole_archive_threads_them() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    if !synth_archive(&inbox, 4000, 4, 100_000) {
        return;
    }
    let data = tmp.path().join("data");
    let e0 = inbox.join("git/0.git");
    // Mail that links threads in ways threading refuses (a References
    // chain over a message that starts a thread by its own headers), so
    // that a tid holds two threads; one removed mail that alone held two
    // parts of a thread together.
    let b = EpochBuilder::open(&e0);
    let d = |n: i64| rfc2822_date(T0 + n * 3600);
    let who = "Bob <bob@example.org>";
    let a = mail("a@x", who, "[PATCH] x: a", &d(0), None, &[], "a");
    let r = mail("r@x", who, "root", &d(1), None, &[], "r");
    let m = mail(
        "m@x",
        who,
        "Re: root",
        &d(2),
        Some("r@x"),
        &["a@x", "r@x"],
        "m",
    );
    let bridge = mail(
        "bridge@x",
        who,
        "Re: q",
        &d(3),
        Some("g@x"),
        &["r@x", "g@x"],
        "x",
    );
    let under_ghost = mail("ug@x", who, "Re: q", &d(200), Some("g@x"), &["g@x"], "y");
    b.add_messages(&[
        (a, T0),
        (r, T0 + 3600),
        (m, T0 + 7200),
        (bridge.clone(), T0 + 3 * 3600),
        (under_ghost, T0 + 200 * 3600),
    ]);
    b.delete_message(&bridge, T0 + 201 * 3600);
    Lore::new(&data)
        .args(["sync", "synth", "--url", &inbox.display().to_string()])
        .ok();
    let ix = Index::open(&data.join("synth/index.sqlite3")).unwrap();
    let msgs = ix.all_messages().unwrap();
    drop(ix);

    // Every week of the archive (2022-W01..W05) and the weeks of the mails
    // above (2022-W10, W11).
    let mut weeks: Vec<String> = (1..=5).map(|w| format!("2022-W{w:02}")).collect();
    weeks.extend(["2022-W10".into(), "2022-W11".into()]);
    let mut threads_seen = 0;
    for w in &weeks {
        let v: Value = Lore::new(&data)
            .args(["threads", "synth", "--week", w, "--json"])
            .ok()
            .json();
        let start = v["window"]["start"].as_i64().unwrap();
        let end = v["window"]["end"].as_i64().unwrap();
        let got = shown(&v);
        assert_eq!(got, reference(&msgs, start, end), "week {w}");
        threads_seen += got.len();
    }
    assert!(threads_seen > 500, "only {threads_seen} threads");
}
