//! `lore-digest threads`: the window's threads with history, series and
//! review facts, on synthetic epochs and on the real corpus.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;
use common::*;

const T0: i64 = 1_646_647_200; // Monday 2022-03-07 10:00 UTC

fn at(days: f64) -> String {
    rfc2822_date(T0 + (days * 86400.0) as i64)
}

/// Last week: v1 of a series with a review; this week: v2 (superseding v1)
/// with a cover letter, a reply giving Reviewed-by, an applied notice, a
/// late reply to v1, and an unrelated series with the same subject by
/// someone else.
fn series_epoch(b: &EpochBuilder) {
    let alice = "Alice <alice@example.org>";
    let bob = "Bob Reviewer <bob@example.org>";
    let carol = "Carol <carol@example.org>";
    let msgs = vec![
        mail(
            "v1-0@x",
            alice,
            "[PATCH 0/2] KVM: arm64: widget",
            &at(-6.0),
            None,
            &[],
            "cover v1",
        ),
        mail(
            "v1-1@x",
            alice,
            "[PATCH 1/2] KVM: arm64: widget one",
            &at(-6.0),
            Some("v1-0@x"),
            &["v1-0@x"],
            "diff --git a/a.c b/a.c\n",
        ),
        mail(
            "v1-2@x",
            alice,
            "[PATCH 2/2] KVM: arm64: widget two",
            &at(-6.0),
            Some("v1-0@x"),
            &["v1-0@x"],
            "diff --git a/b.c b/b.c\n",
        ),
        mail(
            "v1-r@x",
            bob,
            "Re: [PATCH 1/2] KVM: arm64: widget one",
            &at(-5.0),
            Some("v1-1@x"),
            &["v1-0@x", "v1-1@x"],
            "> diff\nLooks fine.\n\nReviewed-by: Bob Reviewer <bob@example.org>\n",
        ),
        mail(
            "v2-0@x",
            alice,
            "[PATCH v2 0/2] KVM: arm64: widget",
            &at(0.0),
            None,
            &[],
            "cover v2",
        ),
        mail(
            "v2-1@x",
            alice,
            "[PATCH v2 1/2] KVM: arm64: widget one",
            &at(0.01),
            Some("v2-0@x"),
            &["v2-0@x"],
            "diff --git a/a.c b/a.c\n",
        ),
        mail(
            "v2-2@x",
            alice,
            "[PATCH v2 2/2] KVM: arm64: widget two",
            &at(0.02),
            Some("v2-0@x"),
            &["v2-0@x"],
            "diff --git a/b.c b/b.c\n",
        ),
        mail(
            "v2-r@x",
            bob,
            "Re: [PATCH v2 2/2] KVM: arm64: widget two",
            &at(1.0),
            Some("v2-2@x"),
            &["v2-0@x", "v2-2@x"],
            "> Reviewed-by: Someone Else <else@example.org>\nReviewed-by: Bob Reviewer <bob@example.org>\n",
        ),
        mail(
            "v2-a@x",
            "Maintainer <maint@example.org>",
            "Re: [PATCH v2 0/2] KVM: arm64: widget",
            &at(2.0),
            Some("v2-0@x"),
            &["v2-0@x"],
            "Applied to kvmarm/next, thanks!\n",
        ),
        mail(
            "v1-late@x",
            bob,
            "Re: [PATCH 0/2] KVM: arm64: widget",
            &at(2.5),
            Some("v1-0@x"),
            &["v1-0@x"],
            "Please see v2.\n",
        ),
        // Same subject as v2's patch 1, other author, no references: a different thread.
        mail(
            "other-1@x",
            carol,
            "[PATCH v2 1/2] KVM: arm64: widget one",
            &at(3.0),
            None,
            &[],
            "diff --git a/c.c b/c.c\n",
        ),
        // Next week: must not appear in this week's digest.
        mail(
            "next@x",
            bob,
            "Re: [PATCH v2 0/2] KVM: arm64: widget",
            &at(8.0),
            Some("v2-0@x"),
            &["v2-0@x"],
            "late\n",
        ),
    ];
    b.add_dated(msgs);
}

#[test]
fn threads_json_has_history_series_and_review_facts() {
    let (_t, b) = EpochBuilder::temp();
    series_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap(), "--json"])
        .ok()
        .json();
    let d = Lore::new(data.path())
        .args(["threads", "t", "--week", "2022-W10", "--json"])
        .ok()
        .json();

    assert_eq!(d["window"]["label"], "2022-W10");
    let threads = d["threads"].as_array().unwrap();
    assert_eq!(threads.len(), 3, "v2, v1 (late reply) and Carol's: {d:#}");
    let find = |id: &str| {
        threads
            .iter()
            .find(|t| t["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {d:#}"))
    };

    let v2 = find("v2-0@x");
    assert_eq!(v2["kind"], "patch");
    assert_eq!(v2["window_messages"], 5);
    assert_eq!(v2["history_messages"], 0);
    assert_eq!(v2["series"]["version"], 2);
    assert_eq!(v2["series"]["total"], 2);
    assert_eq!(v2["series"]["cover_letter"], true);
    assert_eq!(v2["series"]["previous_version"]["id"], "v1-0@x");
    let rb = v2["review"]["reviewed_by"].as_array().unwrap();
    assert_eq!(rb.len(), 1, "quoted trailers are not counted: {rb:?}");
    assert_eq!(rb[0]["name"], "Bob Reviewer");
    assert_eq!(rb[0]["patch"], "[PATCH v2 2/2] KVM: arm64: widget two");
    assert_eq!(v2["review"]["applied"][0]["by"], "Maintainer");
    let ids: Vec<&str> = v2["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"next@x"), "later mail stays out");
    let m0 = &v2["messages"][0];
    for key in [
        "message_id",
        "in_window",
        "date",
        "received",
        "from",
        "subject",
        "url",
    ] {
        assert!(!m0[key].is_null(), "message field {key}");
    }
    assert_eq!(m0["url"], "https://lore.kernel.org/t/v2-0@x/");

    let v1 = find("v1-0@x");
    assert_eq!(v1["window_messages"], 1);
    assert_eq!(v1["history_messages"], 4, "earlier mails are history");
    assert_eq!(v1["series"]["superseded_by"]["id"], "v2-0@x");
    assert_eq!(v1["review"]["reviewed_by"][0]["in_window"], false);

    let carol = find("other-1@x");
    assert!(
        carol["series"]["previous_version"].is_null(),
        "other author: no chain"
    );

    assert_eq!(d["totals"]["messages"], 7);
    assert_eq!(d["totals"]["threads"], 3);
    assert_eq!(d["totals"]["history_messages"], 4);
    let stats = Lore::new(data.path())
        .args(["stats", "t", "--week", "2022-W10", "--json"])
        .ok()
        .json();
    assert_eq!(stats["messages"], d["totals"]["messages"]);

    // The readable table names the threads.
    let text = Lore::new(data.path())
        .args(["threads", "t", "--week", "2022-W10"])
        .ok()
        .stdout;
    assert!(text.contains("[PATCH v2 0/2] KVM: arm64: widget"), "{text}");
}

#[test]
fn kind_rules_come_from_the_config_file() {
    let (_t, b) = EpochBuilder::temp();
    series_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap(), "--json"])
        .ok()
        .json();
    let cfg = data.path().join("cfg.toml");
    std::fs::write(
        &cfg,
        "[lists.t]\nlink_base = \"https://example.org/t\"\n[[kinds.rule]]\nkind = \"question\"\nany_tags = [\"PATCH\"]\n",
    )
    .unwrap();
    let d = Lore::new(data.path())
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "threads",
            "t",
            "--week",
            "2022-W10",
            "--json",
        ])
        .ok()
        .json();
    for t in d["threads"].as_array().unwrap() {
        assert_eq!(t["kind"], "question");
        assert!(
            t["url"]
                .as_str()
                .unwrap()
                .starts_with("https://example.org/t/")
        );
    }
}

#[test]
fn corpus_threads_per_week_match_public_inbox() {
    let (Some(data), Some(weeks_tsv)) = (synced_corpus(), shared_weeks_tsv()) else {
        return;
    };
    let d = Lore::new(data.path())
        .args([
            "threads",
            "kvmarm",
            "--since",
            "2019-01-01",
            "--until",
            "2023-02-01",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(d["totals"]["messages"], 21366);
    assert_eq!(d["totals"]["threads"], 1751);
    // Weekly messages and threads by received time, from the one JSON.
    let mut msgs: BTreeMap<String, usize> = BTreeMap::new();
    let mut threads: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in d["threads"].as_array().unwrap() {
        for m in t["messages"].as_array().unwrap() {
            let r = chrono::DateTime::parse_from_rfc3339(m["received"].as_str().unwrap()).unwrap();
            let w = r.naive_utc().date().iso_week();
            let key = format!("{}-W{:02}", w.year(), w.week());
            *msgs.entry(key.clone()).or_default() += 1;
            threads
                .entry(key)
                .or_default()
                .insert(t["id"].as_str().unwrap().to_string());
        }
    }
    let tsv = std::fs::read_to_string(weeks_tsv).unwrap();
    let mut bad = Vec::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (m, t): (usize, usize) = (f[3].parse().unwrap(), f[4].parse().unwrap());
        let ours_m = msgs.get(f[0]).copied().unwrap_or(0);
        let ours_t = threads.get(f[0]).map(|s| s.len()).unwrap_or(0);
        if (ours_m, ours_t) != (m, t) {
            bad.push((f[0].to_string(), ours_m, m, ours_t, t));
        }
    }
    assert!(
        bad.is_empty(),
        "(week, our msgs, theirs, our threads, theirs): {bad:?}"
    );

    // The weekly command agrees with the same numbers.
    let w = Lore::new(data.path())
        .args(["threads", "kvmarm", "--week", "2022-W10", "--json"])
        .ok()
        .json();
    assert_eq!(w["totals"]["messages"], msgs["2022-W10"]);
    assert_eq!(w["totals"]["threads"], threads["2022-W10"].len());
}
