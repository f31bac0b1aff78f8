//! Self-test of the shared integration-test support code in `tests/it/common/mod.rs`.

use crate::common;

use common::{EpochBuilder, MailBuilder, PiHttpd};
use std::path::Path;
use std::time::Duration;

fn sample_messages() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let a = common::mail(
        "root@example.org",
        "Alice Example <alice@example.org>",
        "[PATCH 0/2] KVM: arm64: frobnicate",
        "Fri, 06 Jan 2023 12:16:15 +0100",
        None,
        &[],
        "cover letter",
    );
    let b = common::mail(
        "<reply@example.org>",
        "\"Bob, B.\" <bob@example.org>",
        "Re: [PATCH 0/2] KVM: arm64: frobnicate",
        "Sat, 7 Jan 2023 08:00:00 -0500",
        Some("root@example.org"),
        &["root@example.org"],
        "reply body\n",
    );
    // Hostile: CRLF, folded + encoded subject, raw 8-bit header and body bytes, two
    // Message-IDs.
    let c = MailBuilder::new()
        .crlf(true)
        .received("Sun, 08 Jan 2023 10:00:00 +0000")
        .from("=?UTF-8?Q?Ren=C3=A9?= <rene@example.org>")
        .header(
            "Subject",
            &format!("{}\n {}", common::encode_word_b("Grüße"), "aus Köln"),
        )
        .date("Sun, 8 Jan 2023 10:00:00 GMT")
        .message_id("one@example.org")
        .message_id("two@example.org")
        .header_bytes(b"X-Raw", b"caf\xe9 \xff\xfe")
        .body_bytes(b"line1\r\n\xc3\x28 invalid utf8\r\nno trailing newline")
        .build();
    (a, b, c)
}

fn blob(repo: &Path, spec: &str) -> Vec<u8> {
    common::git_bytes(repo, &["cat-file", "blob", spec])
}

#[test]
fn epoch_builder_writes_public_inbox_v2_layout() {
    let (_tmp, epoch) = EpochBuilder::temp();
    let repo = epoch.path().to_path_buf();
    let (a, b, c) = sample_messages();
    let t0 = common::utc_ts(2023, 1, 9, 0, 0, 0);

    assert_eq!(epoch.head(), None);
    let ca = epoch.add_message(&a, t0);
    let batch = epoch.add_messages(&[(b.clone(), t0 + 60), (c.clone(), t0 + 120)]);
    let cd = epoch.delete_message(&b, t0 + 180);
    let mut expected = vec![ca.clone()];
    expected.extend(batch.iter().cloned());
    expected.push(cd.clone());

    assert_eq!(
        common::git(&repo, &["symbolic-ref", "HEAD"]),
        "refs/heads/master"
    );
    assert_eq!(epoch.head().as_deref(), Some(cd.as_str()));
    assert_eq!(epoch.commits(), expected);

    // Linear: each commit's only parent is the previous one.
    let parents = common::git(&repo, &["rev-list", "--reverse", "--parents", "master"]);
    let rows: Vec<Vec<&str>> = parents
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 4);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], expected[i]);
        if i == 0 {
            assert_eq!(row.len(), 1, "root commit has no parent");
        } else {
            assert_eq!(row[1..], [expected[i - 1].as_str()]);
        }
    }

    // One file per tree: m, m, m, d.
    for (commit, file) in expected.iter().zip(["m", "m", "m", "d"]) {
        let ls = common::git(&repo, &["ls-tree", "-r", "--name-only", commit]);
        assert_eq!(ls, file, "tree of {commit}");
    }

    // Blobs are byte-identical to the input; d blob == removed m blob.
    assert_eq!(blob(&repo, &format!("{ca}:m")), a);
    assert_eq!(blob(&repo, &format!("{}:m", batch[0])), b);
    assert_eq!(blob(&repo, &format!("{}:m", batch[1])), c);
    assert_eq!(blob(&repo, &format!("{cd}:d")), b);
    assert_eq!(
        common::git(&repo, &["rev-parse", &format!("{cd}:d")]),
        common::git(&repo, &["rev-parse", &format!("{}:m", batch[0])])
    );

    // Commit metadata.
    let fmt = "--format=%an|%ae|%at|%ai|%cn|%ce|%ct|%s";
    let meta = |c: &str| common::git(&repo, &["log", "-1", fmt, c]);
    assert_eq!(
        meta(&ca),
        format!(
            "Alice Example|alice@example.org|{}|2023-01-06 12:16:15 +0100|lore-digest test|test@example.org|{t0}|[PATCH 0/2] KVM: arm64: frobnicate",
            common::utc_ts(2023, 1, 6, 11, 16, 15)
        )
    );
    assert!(
        meta(&batch[0]).starts_with(&format!(
            "Bob, B.|bob@example.org|{}|2023-01-07 08:00:00 -0500|",
            common::utc_ts(2023, 1, 7, 13, 0, 0)
        )),
        "{}",
        meta(&batch[0])
    );
    assert_eq!(
        meta(&batch[1]),
        format!(
            "René|rene@example.org|{ts}|2023-01-08 10:00:00 +0000|lore-digest test|test@example.org|{}|Grüße aus Köln",
            t0 + 120,
            ts = common::utc_ts(2023, 1, 8, 10, 0, 0)
        )
    );
    assert_eq!(
        meta(&cd),
        format!(
            "lore-digest test|test@example.org|{t}|2023-01-09 00:03:00 +0000|lore-digest test|test@example.org|{t}|rm",
            t = t0 + 180
        )
    );

    // Re-opening appends to the same history; no From/Date/Subject falls back cleanly.
    let again = EpochBuilder::open(&repo).with_committer("test.0 <list@example.org>");
    let bare = MailBuilder::new().body("no headers at all\n").build();
    let ce = again.add_message(&bare, t0 + 240);
    assert_eq!(
        common::git(&repo, &["log", "-1", fmt, &ce]),
        format!(
            "test.0|list@example.org|{t}|2023-01-09 00:04:00 +0000|test.0|list@example.org|{t}|(no subject)",
            t = t0 + 240
        )
    );
    assert_eq!(
        common::git(&repo, &["rev-parse", &format!("{ce}^")]),
        cd,
        "appended on top of the previous tip"
    );
}

#[test]
fn epoch_builder_handles_large_batches() {
    let (_tmp, epoch) = EpochBuilder::temp();
    let base = common::utc_ts(2022, 6, 1, 0, 0, 0);
    let msgs: Vec<(Vec<u8>, i64)> = (0..500)
        .map(|i| {
            let date = common::rfc2822_date(base + i * 3600);
            let body = if i == 7 {
                "x".repeat(3 << 20) // one 3 MiB message
            } else {
                format!("message {i}")
            };
            (
                common::mail(
                    &format!("m{i}@example.org"),
                    "Tester <t@example.org>",
                    &format!("subject {i}"),
                    &date,
                    None,
                    &[],
                    &body,
                ),
                base + i * 3600 + 30,
            )
        })
        .collect();
    let ids = epoch.add_messages(&msgs);
    assert_eq!(ids.len(), 500);
    assert_eq!(epoch.commits(), ids);
    let big = blob(epoch.path(), &format!("{}:m", ids[7]));
    assert_eq!(big, msgs[7].0);
}

#[test]
fn mail_helpers() {
    let m = common::mail(
        "a@b",
        "A <a@b>",
        "subj",
        "Mon, 02 Jan 2023 03:04:05 +0000",
        Some("<p@b>"),
        &["r1@b", "<p@b>"],
        "hello",
    );
    let text = String::from_utf8(m.clone()).unwrap();
    assert!(text.starts_with("Received: from x by y; Mon, 02 Jan 2023 03:04:05 +0000\n"));
    assert!(text.contains("\nMessage-ID: <a@b>\n"));
    assert!(text.contains("\nIn-Reply-To: <p@b>\n"));
    assert!(text.contains("\nReferences: <r1@b>\n <p@b>\n"));
    assert!(text.ends_with("\n\nhello\n"));
    assert_eq!(
        common::header_value(&m, "references").unwrap(),
        b"<r1@b> <p@b>"
    );

    // Builder: several Message-IDs, CRLF, raw bytes, headers only.
    let h = MailBuilder::new()
        .crlf(true)
        .message_id("x@y")
        .message_id("z@y")
        .folded("Subject", &["a", "b"])
        .raw_line(b"X-Verbatim: \xff\n")
        .headers_only(true)
        .build();
    assert_eq!(
        h,
        b"Message-ID: <x@y>\r\nMessage-ID: <z@y>\r\nSubject: a\r\n\tb\r\nX-Verbatim: \xff\n"
    );
    assert_eq!(common::header_values(&h, "message-id").len(), 2);

    // Dates.
    let ts = common::utc_ts(2023, 1, 6, 12, 16, 15);
    assert_eq!(common::rfc2822_date(ts), "Fri, 06 Jan 2023 12:16:15 +0000");
    assert_eq!(
        common::rfc2822_date_tz(ts, -300),
        "Fri, 06 Jan 2023 07:16:15 -0500"
    );
    assert_eq!(
        common::parse_rfc2822_date("Fri, 6 Jan 2023 13:16:15 +0100 (CET)"),
        Some((ts, "+0100".to_string()))
    );
    assert_eq!(
        common::parse_rfc2822_date("6 Jan 23 07:16 EST"),
        Some((ts - 15, "-0500".to_string()))
    );
    assert_eq!(common::parse_rfc2822_date("yesterday"), None);

    // RFC 2047.
    assert_eq!(
        common::decode_rfc2047(b"=?UTF-8?B?R3LDvMOfZQ==?= =?utf-8?q?_x?= plain =?bogus"),
        "Grüße x plain =?bogus".as_bytes()
    );
    assert_eq!(
        common::decode_rfc2047(common::encode_word_q("a b=é").as_bytes()),
        "a b=é".as_bytes()
    );
    assert_eq!(
        common::decode_rfc2047(b"=?ISO-8859-1?Q?caf=E9?="),
        "café".as_bytes()
    );
    assert_eq!(
        common::mail_author_ident(b"From: bob@example.org (Bob B)\n\n").unwrap(),
        b"Bob B <bob@example.org>"
    );
    assert_eq!(
        common::mail_author_ident(b"From: <bob@example.org>\n\n").unwrap(),
        b"bob <bob@example.org>"
    );
    assert_eq!(common::mail_author_ident(b"From: nobody\n\n"), None);
}

#[test]
fn paths_and_binary() {
    let bin = common::lore_digest_bin();
    assert!(bin.ends_with("lore-digest"), "{}", bin.display());
    assert!(bin.exists(), "{} not built", bin.display());
    if let Some(corpus) = common::shared_corpus() {
        assert!(corpus.join("objects").is_dir());
        let head = common::git(&corpus, &["rev-parse", "--verify", "refs/heads/master"]);
        assert_eq!(head.len(), 40);
    }
    if let Some(tsv) = common::shared_threads_tsv() {
        assert!(tsv.is_file());
    }
    // A missing file is None on a developer's machine and a failure under
    // CI=true (see `common::missing`).
    let missing = std::panic::catch_unwind(|| common::shared_file("does-not-exist.tsv"));
    match missing {
        Ok(found) => {
            assert!(!common::under_ci());
            assert_eq!(found, None);
        }
        Err(_) => assert!(common::under_ci()),
    }
}

#[test]
fn pi_httpd_serves_clone_and_incremental_fetch() {
    if !common::require_public_inbox("pi_httpd_serves_clone_and_incremental_fetch") {
        return;
    }
    let (_src_tmp, src) = EpochBuilder::temp();
    let (a, b, c) = sample_messages();
    let t0 = common::utc_ts(2023, 1, 9, 0, 0, 0);
    src.add_messages(&[(a, t0), (b.clone(), t0 + 1), (c, t0 + 2)]);
    src.delete_message(&b, t0 + 3);
    let src_head = src.head().unwrap();

    let httpd = PiHttpd::serve(src.path());
    assert!(httpd.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(httpd.epoch_url(0), format!("{}/0", httpd.base_url()));
    assert!(httpd.inbox_epoch_path(0).join("objects").is_dir());

    let work = tempfile::tempdir().unwrap();
    let mirror = work.path().join("0.git");
    common::git_clone_mirror(&format!("{}/0", httpd.base_url()), &mirror);
    assert_eq!(
        common::git(&mirror, &["rev-parse", "refs/heads/master"]),
        src_head
    );
    assert_eq!(
        common::git(&mirror, &["rev-list", "--count", "refs/heads/master"]),
        "4"
    );

    // Incremental: append to the served epoch, fetch again.
    let served = httpd.epoch_builder(0);
    let d = common::mail(
        "late@example.org",
        "Carol <carol@example.org>",
        "late",
        "Tue, 10 Jan 2023 00:00:00 +0000",
        None,
        &[],
        "late body",
    );
    let new_head = served.add_message(&d, t0 + 86_400);
    common::git(&mirror, &["fetch", "-q", "origin"]);
    assert_eq!(
        common::git(&mirror, &["rev-parse", "refs/heads/master"]),
        new_head
    );
    assert_eq!(blob(&mirror, "refs/heads/master:m"), d);

    // Epoch discovery manifest is served gzipped.
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let resp = http.get(httpd.manifest_url()).send().unwrap();
    assert_eq!(resp.status(), 200, "{}", httpd.err_log());
    assert!(
        resp.bytes().unwrap().starts_with(&[0x1f, 0x8b]),
        "gzip magic"
    );
    let root = http
        .get(format!("{}/manifest.js.gz", httpd.root_url()))
        .send()
        .unwrap();
    assert_eq!(root.status(), 200);
}

#[test]
fn lore_runs_the_binary_and_run_shows_what_went_wrong() {
    let version = common::Lore::bare().arg("--version").ok();
    assert!(version.stdout.starts_with("lore-digest "), "{version}");
    assert!(version.what.ends_with("lore-digest --version"));
    // Under another program, the arguments still go to lore-digest.
    let under = common::Lore::bare().under(&["env"]).arg("--version").ok();
    assert_eq!(under.stdout, version.stdout);

    let data = tempfile::tempdir().unwrap();
    let failed = common::Lore::new(data.path())
        .args(["stats", "nolist", "--week", "2022-W10"])
        .run();
    assert!(!failed.status.success());
    assert!(failed.stderr.contains("nolist"), "{failed}");
    let stderr = failed.stderr.clone();
    let panic = std::panic::catch_unwind(move || failed.success()).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("stats nolist --week 2022-W10 failed"),
        "{message}"
    );
    assert!(
        message.contains(&stderr),
        "the panic shows stderr: {message}"
    );
}

#[test]
fn loopback_server_counts_every_connection_made_before_asking() {
    let server = common::LoopbackServer::start(drop);
    assert_eq!(server.accepted(), 0);
    for _ in 0..3 {
        std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    }
    assert_eq!(server.accepted(), 3);

    let not_found = common::not_found_server();
    let answer = reqwest::blocking::get(format!("{}/x", not_found.url())).unwrap();
    assert_eq!(answer.status(), 404);
    assert_eq!(not_found.accepted(), 1);
}
