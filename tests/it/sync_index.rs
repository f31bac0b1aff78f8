//! Mirror + walk + index on synthetic public-inbox v2 epochs made by the test.

use crate::common;

use common::*;
use lore_digest::storage::index::Index;
use serde_json::Value;

const T0: i64 = 1_646_647_200; // 2022-03-07 10:00:00 UTC (Monday of 2022-W10)

fn day(n: i64) -> String {
    rfc2822_date(T0 + n * 86400)
}

/// A small, varied epoch: a thread, a reply whose In-Reply-To has a comment,
/// a mail without Message-ID, broken bytes, encoded and folded headers, a
/// bogus Date, a resent identical copy and a removed message.
fn hostile_epoch(b: &EpochBuilder) -> Vec<Vec<u8>> {
    let cover = mail(
        "cover@x",
        "Alice <alice@example.org>",
        "[PATCH v2 0/2] KVM: arm64: thing",
        &day(0),
        None,
        &[],
        "cover letter",
    );
    let p1 = mail(
        "p1@x",
        "Alice <alice@example.org>",
        "[PATCH v2 1/2] KVM: arm64: one",
        &day(0),
        Some("cover@x"),
        &["cover@x"],
        "diff --git a/x b/x",
    );
    let reply = MailBuilder::new()
        .received(&day(1))
        .from("=?UTF-8?B?TWFyYyBaeW5naWVy?= <maz@example.org>")
        .folded("Subject", &["Re: [PATCH v2 1/2] KVM: arm64:", " one"])
        .date(&day(1))
        .message_id("r1@x")
        .header("In-Reply-To", "<p1@x> (message from Alice on Mon)")
        .body("> quoted\nReviewed-by: Marc <maz@example.org>\n")
        .build();
    let no_mid = MailBuilder::new()
        .received(&day(2))
        .from("Bob <bob@example.org>")
        .subject("question without id")
        .date(&day(2))
        .body("hello")
        .build();
    let broken = MailBuilder::new()
        .received(&day(2))
        .header_bytes(b"From", b"Caf\xe9 <cafe@example.org>")
        .header_bytes(b"Subject", b"bad \xff\xfe bytes")
        .date("not a date at all")
        .message_id("broken@x")
        .body_bytes(b"\xff\xfe\x00body")
        .build();
    let future = MailBuilder::new()
        .received(&day(3))
        .from("Eve <eve@example.org>")
        .subject("from the future")
        .date("Fri, 1 Jan 2100 00:00:00 +0000")
        .message_id("future@x")
        .body("x")
        .build();
    let spam = mail(
        "spam@x",
        "Spam <spam@example.org>",
        "buy now",
        &day(3),
        None,
        &[],
        "spam",
    );
    // The list delivered p1 a second time: trace headers differ only.
    let p1_again = {
        let mut v = b"Received: from relay2 by list; ".to_vec();
        v.extend_from_slice(day(0).as_bytes());
        v.extend_from_slice(b"\n");
        v.extend_from_slice(&p1);
        v
    };
    b.add_messages(&[
        (cover.clone(), T0 + 10),
        (p1.clone(), T0 + 20),
        (reply.clone(), T0 + 86400 + 10),
        (no_mid.clone(), T0 + 2 * 86400),
        (broken.clone(), T0 + 2 * 86400 + 10),
        (future.clone(), T0 + 3 * 86400),
        (spam.clone(), T0 + 3 * 86400 + 10),
        (p1_again, T0 + 3 * 86400 + 20),
    ]);
    b.delete_message(&spam, T0 + 4 * 86400);
    vec![cover, p1, reply, no_mid, broken, future, spam]
}

#[test]
fn sync_indexes_every_message_once_and_survives_malformed_mail() {
    let (_t, b) = EpochBuilder::temp();
    hostile_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    let out = Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap(), "--json"])
        .ok()
        .json();
    assert_eq!(out["index"]["added"], 8, "{out}");
    assert_eq!(out["index"]["deleted"], 1, "{out}");
    assert_eq!(out["index"]["errors"], 0, "{out}");
    // 8 added - 1 removed - 1 identical copy
    assert_eq!(out["messages"], 6, "{out}");

    let ix = Index::open(&data.path().join("t/index.sqlite3")).unwrap();
    let all = ix.all_messages().unwrap();
    let by_mid = |m: &str| all.iter().find(|x| x.message_id == m).cloned();
    assert!(by_mid("spam@x").is_none(), "a d commit removes the message");
    let r1 = by_mid("r1@x").unwrap();
    assert_eq!(r1.from_name, "Marc Zyngier");
    assert_eq!(r1.subject, "Re: [PATCH v2 1/2] KVM: arm64: one");
    assert_eq!(r1.in_reply_to, vec!["p1@x"]);
    let synthetic: Vec<_> = all.iter().filter(|m| m.mid_synthetic).collect();
    assert_eq!(synthetic.len(), 1);
    assert!(synthetic[0].message_id.starts_with(&synthetic[0].blob));
    let broken = by_mid("broken@x").unwrap();
    assert!(broken.subject.starts_with("bad"));
    assert_eq!(broken.date, None);
    // received time comes from the Received header, not the bogus Date
    let future = by_mid("future@x").unwrap();
    assert_eq!(future.received, T0 + 3 * 86400);
    assert_eq!(ix.duplicates().unwrap().len(), 1);
}

#[test]
fn stats_counts_window_by_received_time() {
    let (_t, b) = EpochBuilder::temp();
    hostile_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap()])
        .ok();
    let s = Lore::new(data.path())
        .args(["stats", "t", "--week", "2022-W10", "--json"])
        .ok()
        .json();
    assert_eq!(s["messages"], 6, "{s}");
    assert_eq!(s["senders"], 5, "{s}");
    assert_eq!(s["window"]["first_day"], "2022-03-07");
    let d = Lore::new(data.path())
        .args([
            "stats",
            "t",
            "--since",
            "2022-03-08",
            "--until",
            "2022-03-08",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(d["messages"], 1, "{d}");
    // by Date header, the 2100 mail leaves the week
    let by_date = Lore::new(data.path())
        .args(["stats", "t", "--week", "2022-W10", "--by", "date", "--json"])
        .ok()
        .json();
    assert_eq!(by_date["messages"], 5, "{by_date}");
}

#[test]
fn second_sync_parses_only_new_commits() {
    let (_t, b) = EpochBuilder::temp();
    hostile_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    let url = b.path().to_str().unwrap().to_string();
    Lore::new(data.path())
        .args(["sync", "t", "--url", &url])
        .ok();
    let again = Lore::new(data.path())
        .args(["sync", "t", "--json"])
        .ok()
        .json();
    assert_eq!(again["index"]["added"], 0, "{again}");
    assert_eq!(again["epochs"][0]["action"], "up-to-date");
    b.add_message(
        &mail("new@x", "N <n@example.org>", "new", &day(5), None, &[], "x"),
        T0 + 5 * 86400,
    );
    let third = Lore::new(data.path())
        .args(["sync", "t", "--json"])
        .ok()
        .json();
    assert_eq!(third["epochs"][0]["action"], "fetched", "{third}");
    assert_eq!(third["index"]["added"], 1, "{third}");
    assert_eq!(third["messages"], 7, "{third}");
}

#[test]
fn rewritten_history_is_indexed_again() {
    let (_t, b) = EpochBuilder::temp();
    let msgs = hostile_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    let url = b.path().to_str().unwrap().to_string();
    Lore::new(data.path())
        .args(["sync", "t", "--url", &url])
        .ok();
    // A purge (public-inbox-purge) rewrites the epoch from the purged
    // message on; the commits before it, the root among them, stay.
    let root = b.commits()[0].clone();
    b.git(&["update-ref", "refs/heads/master", &root]);
    let rest: Vec<(Vec<u8>, i64)> = msgs[2..4].iter().map(|m| (m.clone(), T0)).collect();
    b.add_messages(&rest);
    let out = Lore::new(data.path())
        .args(["sync", "t", "--json"])
        .ok()
        .json();
    assert_eq!(out["index"]["reindexed_epochs"][0], 0, "{out}");
    assert_eq!(out["messages"], 3, "{out}");
}

#[test]
fn interrupted_clone_and_stale_locks_are_recovered() {
    let (_t, b) = EpochBuilder::temp();
    hostile_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    let url = b.path().to_str().unwrap().to_string();
    // What a killed clone leaves behind.
    let partial = data.path().join("t/git/0.git.partial");
    std::fs::create_dir_all(partial.join("objects")).unwrap();
    std::fs::write(partial.join("HEAD"), "garbage").unwrap();
    let out = Lore::new(data.path())
        .args(["sync", "t", "--url", &url, "--json"])
        .ok()
        .json();
    assert_eq!(out["messages"], 6, "{out}");
    assert!(!partial.exists());
    // What a killed fetch leaves behind.
    let lock = data.path().join("t/git/0.git/refs/heads/master.lock");
    std::fs::write(&lock, "x").unwrap();
    b.add_message(
        &mail(
            "late@x",
            "L <l@example.org>",
            "late",
            &day(6),
            None,
            &[],
            "x",
        ),
        T0 + 6 * 86400,
    );
    let out = Lore::new(data.path())
        .args(["sync", "t", "--json"])
        .ok()
        .json();
    assert_eq!(out["messages"], 7, "{out}");
    assert!(!lock.exists());
}

#[test]
fn damaged_index_is_moved_aside_and_rebuilt() {
    let (_t, b) = EpochBuilder::temp();
    hostile_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap()])
        .ok();
    let ix = data.path().join("t/index.sqlite3");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", ix.display()));
    }
    std::fs::write(
        &ix,
        b"this is not a database, it is garbage that fills a page or so".repeat(100),
    )
    .unwrap();
    let out = Lore::new(data.path())
        .args(["stats", "t", "--week", "2022-W10", "--json"])
        .run();
    assert!(out.status.success(), "{}", &out.stderr);
    let s: Value = out.json();
    assert_eq!(s["messages"], 6);
    assert!(out.stderr.contains("rebuilding"));
    assert!(data.path().join("t/index.sqlite3.broken").exists());
}

#[test]
fn concurrent_runs_are_refused_with_a_clear_message() {
    let (_t, b) = EpochBuilder::temp();
    hostile_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    let mirror = lore_digest::storage::mirror::Mirror::new(data.path(), "t").unwrap();
    let _held = mirror.lock().unwrap();
    let out = Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap()])
        .run();
    assert_eq!(out.status.code(), Some(75));
    let err = &out.stderr;
    assert!(err.contains("another lore-digest"), "{err}");
}

#[test]
fn local_inbox_with_several_epochs_is_used_in_place() {
    let inbox = tempfile::tempdir().unwrap();
    let e0 = EpochBuilder::create_in_inbox(inbox.path(), 0);
    let e1 = EpochBuilder::create_in_inbox(inbox.path(), 1);
    e0.add_message(
        &mail("a@x", "A <a@example.org>", "first", &day(0), None, &[], "x"),
        T0,
    );
    e1.add_message(
        &mail(
            "b@x",
            "B <b@example.org>",
            "Re: first",
            &day(1),
            Some("a@x"),
            &["a@x"],
            "y",
        ),
        T0 + 86400,
    );
    let data = tempfile::tempdir().unwrap();
    let out = Lore::new(data.path())
        .args([
            "sync",
            "t",
            "--url",
            inbox.path().to_str().unwrap(),
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(out["messages"], 2, "{out}");
    assert_eq!(out["epochs"][1]["action"], "in-place");
    assert!(!data.path().join("t/git").exists(), "nothing is copied");
    // new mail in the inbox shows up without a sync
    e1.add_message(
        &mail(
            "c@x",
            "C <c@example.org>",
            "second",
            &day(2),
            None,
            &[],
            "z",
        ),
        T0 + 2 * 86400,
    );
    let s = Lore::new(data.path())
        .args(["stats", "t", "--week", "2022-W10", "--json"])
        .ok()
        .json();
    assert_eq!(s["messages"], 3, "{s}");
}

#[test]
fn range_limits_messages_to_commits() {
    let (_t, b) = EpochBuilder::temp();
    hostile_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap()])
        .ok();
    let commits = b.commits();
    // after the first two commits, up to the fourth: reply and no-mid mail
    let range = format!("{}..{}", &commits[1][..10], &commits[3]);
    let s = Lore::new(data.path())
        .args(["stats", "t", "--range", &range, "--json"])
        .ok()
        .json();
    assert_eq!(s["messages"], 2, "{s}");
    assert_eq!(s["epochs"][0]["to"], commits[3].as_str());
    let bad = Lore::new(data.path())
        .args(["stats", "t", "--range", "deadbeef..", "--json"])
        .run();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn usage_errors_name_the_problem() {
    let data = tempfile::tempdir().unwrap();
    let out = Lore::new(data.path())
        .args(["stats", "nolist", "--week", "2022-W10"])
        .run();
    assert!(!out.status.success());
    assert!(out.stderr.contains("sync"));
    let out = Lore::new(data.path())
        .args(["sync", "t", "--url", "/no/such/place"])
        .run();
    // A path that names nothing cannot be fetched, as a file:// URL cannot
    // (docs/exit-status.md): 69, not a usage error.
    assert_eq!(out.status.code(), Some(69));
    assert!(out.stderr.contains("/no/such/place"));
}

/// The number of messages `sync` prints is kept in the index as batches are
/// stored (counting the rows reads the whole table); it must stay what a
/// recount gives through additions, removals, copies, a rewritten epoch
/// and an index that has no noted count yet.
#[test]
fn kept_message_count_equals_a_recount_over_syncs() {
    let (_t, b) = EpochBuilder::temp();
    let msgs = hostile_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    let url = b.path().to_str().unwrap().to_string();
    let ix_path = data.path().join("t/index.sqlite3");
    let check = |out: &Value, want: u64| {
        let recount = Index::open(&ix_path).unwrap().recount().unwrap();
        assert_eq!(recount, want, "{out}");
        assert_eq!(out["messages"], want, "{out}");
    };
    let out = Lore::new(data.path())
        .args(["sync", "t", "--url", &url, "--json"])
        .ok()
        .json();
    check(&out, 6);

    // A new mail, the removal of a counted one (the reply) and of the
    // first copy of p1, whose later copy is not counted.
    b.add_message(
        &mail("new@x", "N <n@example.org>", "new", &day(5), None, &[], "x"),
        T0 + 5 * 86400,
    );
    b.delete_message(&msgs[2], T0 + 5 * 86400 + 10);
    b.delete_message(&msgs[1], T0 + 5 * 86400 + 20);
    let out = Lore::new(data.path())
        .args(["sync", "t", "--json"])
        .ok()
        .json();
    assert_eq!(out["index"]["deleted"], 2, "{out}");
    check(&out, 5);

    // An index made before the count was kept: counted, then noted again.
    {
        let ix = Index::open(&ix_path).unwrap();
        ix.connection()
            .execute("DELETE FROM meta WHERE key='live_messages'", [])
            .unwrap();
    }
    let out = Lore::new(data.path())
        .args(["sync", "t", "--json"])
        .ok()
        .json();
    check(&out, 5);
    let noted: Option<String> = Index::open(&ix_path)
        .unwrap()
        .connection()
        .query_row(
            "SELECT value FROM meta WHERE key='live_messages'",
            [],
            |r| r.get(0),
        )
        .ok();
    assert_eq!(noted.as_deref(), Some("5"));

    // A purge rewrites the epoch: it is indexed again and counted again.
    let root = b.commits()[0].clone();
    b.git(&["update-ref", "refs/heads/master", &root]);
    let rest: Vec<(Vec<u8>, i64)> = msgs[2..4].iter().map(|m| (m.clone(), T0)).collect();
    b.add_messages(&rest);
    let out = Lore::new(data.path())
        .args(["sync", "t", "--json"])
        .ok()
        .json();
    assert_eq!(out["index"]["reindexed_epochs"][0], 0, "{out}");
    check(&out, 3);
}

/// The first indexing makes the window and series indexes once at the end;
/// a run stopped before that leaves the index incomplete, and the next one
/// (a reading command too) makes them.
#[test]
fn indexes_left_out_by_an_interrupted_first_indexing_are_made_by_the_next_run() {
    let (_t, b) = EpochBuilder::temp();
    hostile_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    let url = b.path().to_str().unwrap().to_string();
    Lore::new(data.path())
        .args(["sync", "t", "--url", &url])
        .ok();
    let ix_path = data.path().join("t/index.sqlite3");
    let names = |ix: &Index| -> Vec<String> {
        let mut st = ix
            .connection()
            .prepare("SELECT name FROM sqlite_master WHERE type='index' AND name LIKE 'messages_%' ORDER BY name")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let all = {
        let ix = Index::open(&ix_path).unwrap();
        assert!(ix.is_complete().unwrap());
        names(&ix)
    };
    for want in ["messages_ds", "messages_received", "messages_subject_key"] {
        assert!(all.iter().any(|n| n == want), "{all:?}");
    }
    {
        let ix = Index::open(&ix_path).unwrap();
        ix.connection()
            .execute_batch("DROP INDEX messages_received; DROP INDEX messages_subject_key;")
            .unwrap();
        assert!(!ix.is_complete().unwrap());
    }
    Lore::new(data.path())
        .args(["threads", "t", "--week", "2022-W10"])
        .ok();
    let ix = Index::open(&ix_path).unwrap();
    assert!(ix.is_complete().unwrap());
    assert_eq!(names(&ix), all);
}
