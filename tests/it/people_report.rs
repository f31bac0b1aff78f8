//! The People section of a report: per person, patches and series sent,
//! Reviewed-by/Acked-by/Tested-by given in replies and carried in others'
//! patches, replies and threads — collapsed in Markdown and HTML, `people`
//! in the JSON.

use crate::common;

use common::{mail, rfc2822_date};
use serde_json::Value;

const T0: i64 = 1_646_647_200; // Monday 2022-03-07 10:00 UTC

fn at(hours: i64) -> String {
    rfc2822_date(T0 + hours * 3600)
}

const ALICE: &str = "Alice Author <alice@example.org>";
const MARC: &str = "Marc Zyngier <maz@kernel.org>";
const MARC_ARM: &str = "Marc Zyngier <marc.zyngier@arm.com>";
const BOB: &str = "Bob Reviewer <bob@example.org>";
const BOT: &str = "patchwork-bot+kvmarm@kernel.org";

fn mails() -> Vec<Vec<u8>> {
    let sob = "Signed-off-by: Alice Author <alice@example.org>\n";
    vec![
        // History: not counted.
        mail(
            "old@x",
            MARC,
            "KVM: arm64: old",
            &at(-24 * 20),
            None,
            &[],
            "Old.\n",
        ),
        mail(
            "c0@x",
            ALICE,
            "[PATCH v2 0/2] KVM: arm64: widgets",
            &at(1),
            None,
            &[],
            "Two widgets.\n",
        ),
        mail(
            "c1@x",
            ALICE,
            "[PATCH v2 1/2] KVM: arm64: widget a",
            &at(1),
            Some("c0@x"),
            &["c0@x"],
            &format!("A.\n\nReviewed-by: Marc Zyngier <maz@kernel.org>\n{sob}---\n"),
        ),
        mail(
            "c2@x",
            ALICE,
            "[PATCH v2 2/2] KVM: arm64: widget b",
            &at(1),
            Some("c0@x"),
            &["c0@x"],
            &format!("B.\n\nAcked-by: Bob Reviewer <bob@example.org>\n{sob}---\n"),
        ),
        mail(
            "r1@x",
            MARC,
            "Re: [PATCH v2 2/2] KVM: arm64: widget b",
            &at(5),
            Some("c2@x"),
            &["c0@x", "c2@x"],
            "> B.\n\nLooks good.\n\nReviewed-by: Marc Zyngier <maz@kernel.org>\n",
        ),
        // The same person from another address.
        mail(
            "r2@x",
            MARC_ARM,
            "Re: [PATCH v2 0/2] KVM: arm64: widgets",
            &at(6),
            Some("c0@x"),
            &["c0@x"],
            "For the series:\n\nAcked-by: Marc Zyngier <marc.zyngier@arm.com>\n",
        ),
        mail(
            "r3@x",
            BOB,
            "Re: [PATCH v2 1/2] KVM: arm64: widget a",
            &at(7),
            Some("c1@x"),
            &["c0@x", "c1@x"],
            "Tested-by: Bob Reviewer <bob@example.org>\n",
        ),
        mail(
            "r4@x",
            BOT,
            "Re: [PATCH v2 0/2] KVM: arm64: widgets",
            &at(8),
            Some("c0@x"),
            &["c0@x"],
            "This series was applied to kvmarm/next.\n\nTested-by: Bob Reviewer <bob@example.org>\n",
        ),
        mail(
            "q0@x",
            BOB,
            "KVM: arm64: why does WFI hang?",
            &at(9),
            None,
            &[],
            "Why?\n",
        ),
    ]
}

fn report(data: &std::path::Path, out: &std::path::Path, lang: &str) -> (Value, String, String) {
    let o = common::Lore::new(data)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "report",
            "t",
            "--week",
            "2022-W10",
            "--no-llm",
            "--format",
            "md,html,json",
            "--lang",
            lang,
            "--out",
        ])
        .arg(out)
        .run();
    (
        o.written_json(),
        o.written_text("md"),
        o.written_text("html"),
    )
}

#[test]
fn people_counts_patches_trailers_given_and_carried_and_replies_per_person() {
    let (_repo, b) = common::EpochBuilder::temp();
    b.add_dated(mails());
    let data = crate::summarize_support::synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let (j, md, html) = report(data.path(), out.path(), "en");

    let people = j["people"].as_array().expect("people in the JSON");
    let rows: Vec<(String, String, [u64; 8])> = people
        .iter()
        .map(|p| {
            let n = |k: &str| p[k].as_u64().unwrap_or_else(|| panic!("{k} in {p}"));
            (
                p["name"].as_str().unwrap().to_string(),
                p["email"].as_str().unwrap().to_string(),
                [
                    n("patches"),
                    n("series"),
                    n("reviews"),
                    n("acks"),
                    n("tested"),
                    n("carried"),
                    n("replies"),
                    n("threads"),
                ],
            )
        })
        .collect();
    // patches, series, reviews, acks, tested, carried, replies, threads.
    let want = vec![
        // One person at two addresses, one mail from each (the smaller
        // address names him, as in the participants); the history mail is
        // not counted.
        (
            "Marc Zyngier",
            "marc.zyngier@arm.com",
            [0, 0, 1, 1, 0, 1, 2, 1],
        ),
        // The bot's Tested-by is not counted.
        ("Bob Reviewer", "bob@example.org", [0, 0, 0, 0, 1, 1, 2, 2]),
        (
            "Alice Author",
            "alice@example.org",
            [2, 1, 0, 0, 0, 0, 0, 1],
        ),
    ];
    let got: Vec<(&str, &str, [u64; 8])> = rows
        .iter()
        .map(|(n, e, c)| (n.as_str(), e.as_str(), *c))
        .collect();
    assert_eq!(got, want);
    let widgets = j["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"].as_str().unwrap().contains("widgets"))
        .unwrap();
    let marc = widgets["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Marc Zyngier")
        .unwrap();
    assert_eq!(marc["email"], "marc.zyngier@arm.com");

    // Markdown: a collapsed table, after the overview, before the threads.
    let start = md
        .find("<details>\n<summary>People (3)</summary>\n\n| Person | Patches | Series | Reviewed-by | Acked-by | Tested-by | Carried | Replies | Threads |\n")
        .unwrap_or_else(|| panic!("{md}"));
    assert!(start > md.find("## Overview").unwrap(), "{md}");
    assert!(start < md.find("## Contents").unwrap(), "{md}");
    assert!(
        md.contains("| Marc Zyngier | 0 | 0 | 1 | 1 | 0 | 1 | 2 | 1 |\n| Bob Reviewer |"),
        "{md}"
    );
    assert!(md[start..].contains("\n</details>\n"), "{md}");
    // HTML: the same, collapsed, as real elements.
    assert!(
        html.contains("<details>\n<summary>People (3)</summary>\n"),
        "{html}"
    );
    assert!(html.contains("<td>Marc Zyngier</td>"), "{html}");
    assert!(!html.contains("&lt;details&gt;"), "{html}");
    assert!(!html.contains("<script"), "{html}");

    let (jz, mdz, _) = report(data.path(), out.path(), "zh");
    assert_eq!(jz["people"], j["people"]);
    assert!(mdz.contains("<summary>人员活动 (3)</summary>"), "{mdz}");
    assert!(mdz.contains("| 人员 | 补丁 | 系列 |"), "{mdz}");
}
