//! Highlights at the top of a report, built from facts (so with
//! `--no-llm`): applied series, objections, new versions of long-running
//! series, a new contributor's first series, the busiest discussion.

use crate::common;
use crate::summarize_support::T0;

use common::{mail, rfc2822_date};
use serde_json::Value;

fn at(days: f64) -> String {
    rfc2822_date(T0 + (days * 86400.0) as i64)
}

const ALICE: &str = "Alice Author <alice@example.org>";
const MAINT: &str = "Marc Maintainer <maint@example.org>";
const BOB: &str = "Bob Reviewer <bob@example.org>";

fn mails() -> Vec<Vec<u8>> {
    let mut v = vec![
        // Everyone but Nina wrote before the window.
        mail(
            "old-a@x",
            ALICE,
            "KVM: arm64: an old note",
            &at(-20.0),
            None,
            &[],
            "old\n",
        ),
        mail(
            "old-m@x",
            MAINT,
            "KVM: arm64: old",
            &at(-20.0),
            None,
            &[],
            "old\n",
        ),
        mail(
            "old-b@x",
            BOB,
            "KVM: arm64: old too",
            &at(-20.0),
            None,
            &[],
            "old\n",
        ),
        // Applied.
        mail(
            "ap0@x",
            ALICE,
            "[PATCH] KVM: arm64: applied widget",
            &at(0.5),
            None,
            &[],
            "Fix.\n\nSigned-off-by: Alice Author <alice@example.org>\n",
        ),
        mail(
            "ap1@x",
            MAINT,
            "Re: [PATCH] KVM: arm64: applied widget",
            &at(1.0),
            Some("ap0@x"),
            &["ap0@x"],
            "Applied to kvmarm/next, thanks!\n\nM.\n",
        ),
        // NAK.
        mail(
            "nk0@x",
            ALICE,
            "[PATCH] KVM: arm64: risky gadget",
            &at(0.6),
            None,
            &[],
            "Risky.\n\nSigned-off-by: Alice Author <alice@example.org>\n",
        ),
        mail(
            "nk1@x",
            MAINT,
            "Re: [PATCH] KVM: arm64: risky gadget",
            &at(1.2),
            Some("nk0@x"),
            &["nk0@x"],
            "NAK, this breaks nested guests.\n\nM.\n",
        ),
        // A v4 of a long-running series.
        mail(
            "v4@x",
            ALICE,
            "[PATCH v4] KVM: arm64: long story",
            &at(2.0),
            None,
            &[],
            "Again.\n\nSigned-off-by: Alice Author <alice@example.org>\n",
        ),
        // Nina's first series.
        mail(
            "nn@x",
            "Nina Newcomer <nina@example.org>",
            "[PATCH] KVM: arm64: first fix",
            &at(2.5),
            None,
            &[],
            "Hello.\n\nSigned-off-by: Nina Newcomer <nina@example.org>\n",
        ),
        // Bob's patch: not his first mail.
        mail(
            "bb@x",
            BOB,
            "[PATCH] KVM: arm64: bob fix",
            &at(2.6),
            None,
            &[],
            "Fix.\n\nSigned-off-by: Bob Reviewer <bob@example.org>\n",
        ),
    ];
    // The busiest discussion: a question with five replies.
    v.push(mail(
        "q0@x",
        BOB,
        "KVM: arm64: why does WFI hang?",
        &at(3.0),
        None,
        &[],
        "Why?\n",
    ));
    for i in 1..=5 {
        let from = if i % 2 == 0 { BOB } else { MAINT };
        v.push(mail(
            &format!("q{i}@x"),
            from,
            "Re: KVM: arm64: why does WFI hang?",
            &at(3.0 + i as f64 / 10.0),
            Some("q0@x"),
            &["q0@x"],
            "Because.\n",
        ));
    }
    v
}

fn report(data: &std::path::Path, out: &std::path::Path, lang: &str) -> (Value, String) {
    let o = common::Lore::new(data)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "report", "t", "--week", "2022-W10", "--no-llm", "--format", "md,json", "--lang", lang,
            "--out",
        ])
        .arg(out)
        .run();
    (o.written_json(), o.written_text("md"))
}

#[test]
fn highlights_name_applied_naks_new_versions_newcomers_and_the_busiest() {
    let (_repo, b) = common::EpochBuilder::temp();
    b.add_dated(mails());
    let data = crate::summarize_support::synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let (j, md) = report(data.path(), out.path(), "en");

    let threads = j["threads"].as_array().unwrap();
    let id_of = |needle: &str| -> (usize, String) {
        threads
            .iter()
            .enumerate()
            .find(|(_, t)| t["subject"].as_str().unwrap().contains(needle))
            .map(|(i, t)| (i + 1, t["id"].as_str().unwrap().to_string()))
            .unwrap_or_else(|| panic!("no thread {needle}"))
    };
    let hl = j["highlights"].as_array().unwrap();
    let texts: Vec<(&str, Vec<&str>)> = hl
        .iter()
        .map(|h| {
            (
                h["text"].as_str().unwrap(),
                h["threads"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert!((3..=7).contains(&texts.len()), "{texts:?}");
    let find = |prefix: &str, needle: &str| {
        let (n, id) = id_of(needle);
        let (text, ids) = texts
            .iter()
            .find(|(t, _)| t.starts_with(prefix) && t.contains(needle))
            .unwrap_or_else(|| panic!("no {prefix} {needle}: {texts:?}"));
        assert_eq!(ids, &vec![id.as_str()]);
        // Markdown: the same text with a link to the thread.
        assert!(md.contains(&format!("[T{n}](#t-{n})")), "{md}");
        text.to_string()
    };
    assert!(find("Applied:", "applied widget").contains("Marc Maintainer"));
    assert!(find("Objection:", "risky gadget").contains("NAK, this breaks nested guests."));
    find("New version v4", "long story");
    assert!(find("First series from a new contributor", "first fix").contains("Nina Newcomer"));
    assert!(find("Busiest discussion", "why does WFI hang?").contains("5 replies"));
    // Bob wrote before the window: not a newcomer.
    assert!(
        !texts.iter().any(|(t, _)| t.contains("bob fix")),
        "{texts:?}"
    );
    // The section is near the top: before the overview.
    let top = md.find("## Highlights").unwrap();
    assert!(top < md.find("## Overview").unwrap_or(usize::MAX), "{md}");

    let (jz, mdz) = report(data.path(), out.path(), "zh");
    assert_eq!(jz["highlights"].as_array().unwrap().len(), hl.len());
    assert!(mdz.contains("## 本周要点"), "{mdz}");
    assert!(mdz.contains("已合入："), "{mdz}");
}
