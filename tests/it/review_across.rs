//! Review followed across versions: a v3 series whose v2 was reviewed the
//! week before. The v3 patches carry the v2 trailers, the cover letter
//! says what changed since v2; the report lists the carried trailers, the
//! changelog and the review of v2 (JSON and Markdown, both languages), and
//! the model is given them as FACTS.

use crate::common;
use crate::summarize_support::{Api, FakeLlm, OPENAI_MODEL, T0};

use std::path::Path;
use std::sync::Arc;

use common::{mail, rfc2822_date};
use serde_json::Value;

fn at(days: f64) -> String {
    rfc2822_date(T0 + (days * 86400.0) as i64)
}

const ALICE: &str = "Alice Author <alice@example.org>";
const OLGA: &str = "Olga Oldreviewer <olga@example.org>";
const MARC: &str = "Marc Maintainer <maint@example.org>";
const BOB: &str = "Bob Reviewer <bob@example.org>";

fn mails() -> Vec<Vec<u8>> {
    let patch = |n: u32, title: &str, trailers: &str, notes: &str| {
        format!(
            "{title} does what it says.\n\n{trailers}Signed-off-by: Alice Author <alice@example.org>\n---\n{notes} \
             arch/arm64/kvm/g{n}.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n\
             diff --git a/arch/arm64/kvm/g{n}.c b/arch/arm64/kvm/g{n}.c\n--- a/arch/arm64/kvm/g{n}.c\n\
             +++ b/arch/arm64/kvm/g{n}.c\n@@ -1 +1 @@\n-a\n+b\n"
        )
    };
    vec![
        // v2, the week before the window, reviewed by Olga and Marc.
        mail(
            "v2-0@x",
            ALICE,
            "[PATCH v2 0/2] KVM: arm64: gizmo support",
            &at(-6.0),
            None,
            &[],
            "This series adds gizmo support.\n\nAlice Author (2):\n  one\n  two\n",
        ),
        mail(
            "v2-1@x",
            ALICE,
            "[PATCH v2 1/2] KVM: arm64: gizmo one",
            &at(-6.0),
            Some("v2-0@x"),
            &["v2-0@x"],
            &patch(1, "Gizmo one", "", ""),
        ),
        mail(
            "v2-2@x",
            ALICE,
            "[PATCH v2 2/2] KVM: arm64: gizmo two",
            &at(-6.0),
            Some("v2-0@x"),
            &["v2-0@x"],
            &patch(2, "Gizmo two", "", ""),
        ),
        mail(
            "v2-r1@x",
            OLGA,
            "Re: [PATCH v2 1/2] KVM: arm64: gizmo one",
            &at(-5.0),
            Some("v2-1@x"),
            &["v2-0@x", "v2-1@x"],
            "Hi Alice,\n\nOn Mon, 28 Feb 2022, Alice Author wrote:\n> Gizmo one does what it says.\n\n\
             The gizmo lock is taken with interrupts enabled, please use a spinlock.\n\n\
             Thanks,\nOlga\n",
        ),
        mail(
            "v2-r2@x",
            ALICE,
            "Re: [PATCH v2 1/2] KVM: arm64: gizmo one",
            &at(-4.5),
            Some("v2-r1@x"),
            &["v2-0@x", "v2-1@x", "v2-r1@x"],
            "> please use a spinlock.\n\nWill do in v3.\n",
        ),
        mail(
            "v2-r3@x",
            MARC,
            "Re: [PATCH v2 2/2] KVM: arm64: gizmo two",
            &at(-4.0),
            Some("v2-2@x"),
            &["v2-0@x", "v2-2@x"],
            "Looks fine to me.\n\nAcked-by: Marc Maintainer <maint@example.org>\n",
        ),
        // v3 in the window: 2/2 carries Marc's Acked-by, 1/2 Bob's
        // Reviewed-by, which Bob also gives again in a reply.
        mail(
            "v3-0@x",
            ALICE,
            "[PATCH v3 0/2] KVM: arm64: gizmo support",
            &at(1.0),
            None,
            &[],
            "This series adds gizmo support.\n\nChanges since v2:\n - use a spinlock for the gizmo lock (Olga)\n \
             - collected tags\n\nChanges since v1:\n - split the series\n\nAlice Author (2):\n  one\n  two\n",
        ),
        mail(
            "v3-1@x",
            ALICE,
            "[PATCH v3 1/2] KVM: arm64: gizmo one",
            &at(1.0),
            Some("v3-0@x"),
            &["v3-0@x"],
            &patch(
                1,
                "Gizmo one",
                "Reviewed-by: Bob Reviewer <bob@example.org>\nAcked-by: Alice Author <alice@example.org>\n",
                "v3: renamed the gizmo lock helper\n\n",
            ),
        ),
        mail(
            "v3-2@x",
            ALICE,
            "[PATCH v3 2/2] KVM: arm64: gizmo two",
            &at(1.0),
            Some("v3-0@x"),
            &["v3-0@x"],
            &patch(
                2,
                "Gizmo two",
                "Acked-by: Marc Maintainer <maint@example.org>\n",
                "",
            ),
        ),
        mail(
            "v3-r1@x",
            BOB,
            "Re: [PATCH v3 1/2] KVM: arm64: gizmo one",
            &at(2.0),
            Some("v3-1@x"),
            &["v3-0@x", "v3-1@x"],
            "Still good.\n\nReviewed-by: Bob Reviewer <bob@example.org>\n",
        ),
    ]
}

fn archive() -> (tempfile::TempDir, common::EpochBuilder, tempfile::TempDir) {
    archive_of(mails())
}

/// `mails` synced as list `t` into a new data directory.
fn archive_of(mails: Vec<Vec<u8>>) -> (tempfile::TempDir, common::EpochBuilder, tempfile::TempDir) {
    let (repo, b) = common::EpochBuilder::temp();
    b.add_dated(mails);
    let data = crate::summarize_support::synced(b.path());
    (repo, b, data)
}

/// The JSON and Markdown of 2022-W10 in `lang`, `extra` added.
fn report(data: &Path, out: &Path, lang: &str, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["--week", "2022-W10", "--lang", lang];
    args.extend(extra);
    report_with(data, out, &args)
}

/// The JSON and Markdown of `report t ARGS` (one window).
fn report_with(data: &Path, out: &Path, args: &[&str]) -> (Value, String) {
    let o = common::Lore::new(data)
        .args(["report", "t", "--format", "md,json", "--out"])
        .arg(out)
        .args(args)
        .run();
    (o.written_json(), o.written_text("md"))
}

/// Two weeks, with v2 and its review: 2022-02-28..2022-03-13, in English.
const TWO_WEEKS: [&str; 7] = [
    "--since",
    "2022-02-28",
    "--until",
    "2022-03-13",
    "--no-llm",
    "--lang",
    "en",
];

fn v3(j: &Value) -> &Value {
    j["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "v3-0@x")
        .expect("the v3 thread")
}

#[test]
fn a_new_version_shows_carried_trailers_its_changelog_and_the_previous_review() {
    let (_r, _b, data) = archive();
    let out = tempfile::tempdir().unwrap();
    let (j, md) = report(data.path(), out.path(), "en", &["--no-llm"]);
    let t = v3(&j);

    // Marc's Acked-by is carried in 2/2; Alice's own Acked-by is not
    // counted; Bob's Reviewed-by, carried in 1/2 and given again in a
    // reply, counts once, as the reply.
    let acked = t["review"]["acked_by"].as_array().unwrap();
    assert_eq!(acked.len(), 1, "{acked:?}");
    assert_eq!(acked[0]["name"], "Marc Maintainer");
    assert_eq!(acked[0]["carried"], true);
    assert_eq!(acked[0]["message_id"], "v3-2@x");
    assert!(acked[0]["patch"].as_str().unwrap().contains("v3 2/2"));
    let reviewed = t["review"]["reviewed_by"].as_array().unwrap();
    assert_eq!(reviewed.len(), 1, "{reviewed:?}");
    assert_eq!(reviewed[0]["message_id"], "v3-r1@x");
    assert!(reviewed[0].get("carried").is_none());

    // The changelog of the cover letter and of patch 1/2's notes, newest
    // version first.
    let cl = t["series"]["changelog"].as_array().unwrap();
    assert_eq!(cl.len(), 3, "{cl:?}");
    assert_eq!(cl[0]["version"], 3);
    assert_eq!(cl[0]["cover_letter"], true);
    assert_eq!(cl[0]["message_id"], "v3-0@x");
    assert_eq!(
        cl[0]["items"],
        serde_json::json!(["use a spinlock for the gizmo lock (Olga)", "collected tags"])
    );
    assert_eq!(cl[1]["version"], 3);
    assert_eq!(cl[1]["cover_letter"], false);
    assert_eq!(cl[1]["part"], "1/2");
    assert_eq!(
        cl[1]["items"],
        serde_json::json!(["renamed the gizmo lock helper"])
    );
    assert_eq!(cl[2]["version"], 2);
    assert_eq!(cl[2]["items"], serde_json::json!(["split the series"]));

    // The review of v2: Olga and Marc, not Alice's own answer.
    let pr = t["series"]["previous_review"].as_array().unwrap();
    let from: Vec<&str> = pr.iter().map(|r| r["from"].as_str().unwrap()).collect();
    assert_eq!(from, ["Olga Oldreviewer", "Marc Maintainer"]);
    assert_eq!(
        pr[0]["lines"],
        serde_json::json!([
            "The gizmo lock is taken with interrupts enabled, please use a spinlock."
        ])
    );
    assert_eq!(pr[0]["url"], "https://lore.kernel.org/t/v2-r1@x/");
    assert_eq!(pr[1]["trailers"], serde_json::json!(["acked-by"]));
    assert!(t["series"].get("previous_review_more").is_none());

    // The Markdown shows them under the thread.
    for s in [
        "Marc Maintainer *(carried from v2)* (2/2)",
        "**Changes in v3** ([cover letter](https://lore.kernel.org/t/v3-0@x/)): use a spinlock for the gizmo lock (Olga) · collected tags",
        "**Changes in v3** ([notes of patch 1/2](https://lore.kernel.org/t/v3-1@x/)): renamed the gizmo lock helper",
        "**Review of v2**:",
        "  - [Olga Oldreviewer](https://lore.kernel.org/t/v2-r1@x/) (2022-03-02): “The gizmo lock is taken with interrupts enabled, please use a spinlock.”",
        "  - [Marc Maintainer](https://lore.kernel.org/t/v2-r3@x/) (2022-03-03) Acked-by: “Looks fine to me.”",
    ] {
        assert!(md.contains(s), "{s}\n{md}");
    }
    // Only the newest version's changes are on the page; the older ones
    // are in the JSON (above) and behind the cover letter's link.
    assert!(!md.contains("**Changes in v2**"), "{md}");
    // The extractive summary names the carried trailer, marked.
    assert!(md.contains("Acked-by: Marc Maintainer (carried)"), "{md}");

    let (_jz, mdz) = report(data.path(), out.path(), "zh", &["--no-llm"]);
    for s in [
        "Marc Maintainer *(沿用自 v2)* (2/2)",
        "**v3 的改动** ([封面信](https://lore.kernel.org/t/v3-0@x/))",
        "**v2 的评审**",
        "Acked-by：Marc Maintainer（沿用）",
    ] {
        assert!(mdz.contains(s), "{s}\n{mdz}");
    }
}

#[test]
fn the_model_gets_the_changelog_and_previous_review_as_facts_and_may_name_the_reviewers() {
    let (_r, _b, data) = archive();
    // A model that says which review point v3 answers, naming Olga, who
    // wrote only in the v2 thread.
    let llm = FakeLlm::start_answering(
        Api::OpenAi,
        Arc::new(|_user: &str| {
            "Topic: gizmo support for KVM on arm64 [#1].\n\
             This window: v3 answers Olga Oldreviewer's review of v2 by using a spinlock [#1]; \
             Bob Reviewer gave his Reviewed-by again [#4]."
                .to_string()
        }),
    );
    let out = tempfile::tempdir().unwrap();
    let url = llm.url();
    let (j, _md) = report(
        data.path(),
        out.path(),
        "en",
        &[
            "--backend",
            "openai",
            "--llm-url",
            &url,
            "--model",
            OPENAI_MODEL,
            "--num-ctx",
            "32768",
        ],
    );
    let user = llm
        .recorded()
        .iter()
        .map(|r| r.user())
        .find(|u| u.contains("Subject: [PATCH v3 0/2]"))
        .expect("the v3 thread was summarized");
    let facts = user.split("\n#").next().unwrap();
    for s in [
        "Changes in v3 (from the cover letter, #1): use a spinlock for the gizmo lock (Olga); collected tags",
        "Changes in v3 (from the notes of patch 1/2, #2): renamed the gizmo lock helper",
        "Changes in v2 (from the cover letter, #1): split the series",
        "Review of v2 (replies in the previous version's thread",
        "Review of v2: Olga Oldreviewer (2022-03-02): \"The gizmo lock is taken with interrupts enabled, please use a spinlock.\"",
        "Review of v2: Marc Maintainer (2022-03-03, Acked-by): \"Looks fine to me.\"",
        "Acked-by: Marc Maintainer (carried in the posted patch, given to an earlier version; on 2/2; WINDOW; #3)",
    ] {
        assert!(facts.contains(s), "{s}\n{facts}");
    }
    // The grounding check knows the reviewers of v2.
    let t = v3(&j);
    let problems = t["summary"]["grounding"]["problems"].as_array().unwrap();
    assert!(
        !problems.iter().any(|p| p["kind"] == "name"),
        "{problems:?}"
    );
    assert_eq!(t["summary"]["source"], "model", "{}", t["summary"]);
}

#[test]
fn a_previous_version_on_the_same_page_is_linked_and_its_review_not_repeated() {
    let (_r, _b, data) = archive();
    let out = tempfile::tempdir().unwrap();
    // Two weeks: v2 and its review, and v3, are all in the window.
    let (j, md) = report_with(data.path(), out.path(), &TWO_WEEKS);
    let threads = j["threads"].as_array().unwrap();
    let number = |id: &str| 1 + threads.iter().position(|t| t["id"] == id).unwrap();
    let (n2, n3) = (number("v2-0@x"), number("v3-0@x"));
    // The JSON still lists the review of v2 under v3.
    assert_eq!(
        v3(&j)["series"]["previous_review"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The page links v2's section instead of quoting its replies again.
    let section = |n: usize| {
        let start = md.find(&format!("\n### {n}. ")).unwrap();
        let rest = &md[start + 1..];
        &rest[..rest[4..].find("\n### ").map_or(rest.len(), |e| e + 4)]
    };
    let s3 = section(n3);
    assert!(
        s3.contains(&format!("**Review of v2**: [T{n2}](#t-{n2})")),
        "{s3}"
    );
    assert!(
        s3.contains(&format!(
            "**Previous version**: [\\[PATCH v2 0/2\\]](https://lore.kernel.org/t/v2-0@x/) · [T{n2}](#t-{n2})"
        )),
        "the version's tags, the title being the heading's: {s3}"
    );
    assert!(!s3.contains("Olga Oldreviewer](https://"), "{s3}");
    // v2's section has the replies, and points on to v3.
    let s2 = section(n2);
    assert!(s2.contains("https://lore.kernel.org/t/v2-r1@x/"), "{s2}");
    assert!(s2.contains(&format!(" · [T{n3}](#t-{n3})")), "{s2}");
}

#[test]
fn the_versions_of_a_series_on_one_page_stay_together_newest_first() {
    // v2 (6 mails) and v3 (4 mails) in a two-week window, and another
    // patch with 5 mails: by activity alone it would sit between them.
    let mut all = mails();
    let dave = "Dave Other <dave@example.org>";
    all.push(mail(
        "x-0@x",
        dave,
        "[PATCH] KVM: arm64: unrelated fix",
        &at(0.5),
        None,
        &[],
        "Fix it.\n",
    ));
    for k in 1..5 {
        all.push(mail(
            &format!("x-{k}@x"),
            if k % 2 == 1 { BOB } else { dave },
            "Re: [PATCH] KVM: arm64: unrelated fix",
            &at(0.5 + k as f64 * 0.1),
            Some("x-0@x"),
            &["x-0@x"],
            "Looks right.\n",
        ));
    }
    let (_r, _b, data) = archive_of(all);
    let out = tempfile::tempdir().unwrap();
    let (j, _md) = report_with(data.path(), out.path(), &TWO_WEEKS);
    let order: Vec<(&str, u64)> = j["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap(),
                t["window_messages"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [("v3-0@x", 4), ("v2-0@x", 6), ("x-0@x", 5)],
        "the series where its busiest version ranks, newest first"
    );
}

#[test]
fn a_version_whose_title_changed_is_followed_through_the_link_in_its_cover_letter() {
    // v3's cover letter has a new title, and links v2 by its Message-ID on
    // lore (as "v2: URL"); v1 is linked too but is not in the archive.
    let mut all = mails();
    let cover = all
        .iter()
        .position(|m| String::from_utf8_lossy(m).contains("Message-ID: <v3-0@x>"))
        .expect("v3's cover letter");
    all[cover] = mail(
        "v3-0@x",
        ALICE,
        "[PATCH v3 0/2] KVM: arm64: gizmo and gadget support",
        &at(1.0),
        None,
        &[],
        "This series adds gizmo support.\n\nChanges since v2:\n - use a spinlock (Olga)\n\n\
         v2: https://lore.kernel.org/r/v2-0@x\n\
         v1: https://lore.kernel.org/all/v1-0%40x/\n",
    );
    let (_r, _b, data) = archive_of(all);
    let out = tempfile::tempdir().unwrap();
    let (j, md) = report(data.path(), out.path(), "en", &["--no-llm"]);
    let t = v3(&j);
    assert_eq!(t["series"]["previous_version"]["id"], "v2-0@x", "{t}");
    let from: Vec<&str> = t["series"]["previous_review"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["from"].as_str().unwrap())
        .collect();
    assert_eq!(from, ["Olga Oldreviewer", "Marc Maintainer"]);
    assert!(md.contains("**Review of v2**:"), "{md}");
    // The old title is shown whole: it is not the heading's.
    assert!(
        md.contains("**Previous version**: [\\[PATCH v2 0/2\\] KVM: arm64: gizmo support]("),
        "{md}"
    );
    assert!(md.contains("Marc Maintainer *(carried from v2)*"), "{md}");
}
