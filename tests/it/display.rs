//! How a report shows people, patches, periods, counts and who said what:
//! one person per participant whatever their From headers say, the patches
//! of a series by number, both ends of a one-day period, English plurals,
//! and quotes that are never salutations, attributions, copied headers or
//! bot boilerplate.

use crate::common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

const T0: i64 = 1_646_647_200; // Monday 2022-03-07 10:00 UTC
const LIST_ADDR: &str = "virtualization@lists.example.org";

fn at(hours: f64) -> String {
    rfc2822_date(T0 + (hours * 3600.0) as i64)
}

/// A mail with extra headers (Reply-To, X-Original-From).
#[allow(clippy::too_many_arguments)]
fn mail_h(
    mid: &str,
    from: &str,
    subject: &str,
    hours: f64,
    parent: Option<&str>,
    refs: &[&str],
    extra: &[(&str, &str)],
    body: &str,
) -> Vec<u8> {
    let date = at(hours);
    let mut b = MailBuilder::new()
        .received(&date)
        .from(from)
        .header("To", "list@example.org")
        .subject(subject)
        .date(&date)
        .message_id(mid);
    if let Some(p) = parent {
        b = b.in_reply_to(p);
    }
    if !refs.is_empty() {
        b = b.references(refs);
    }
    for (k, v) in extra {
        b = b.header(k, v);
    }
    b.header("MIME-Version", "1.0")
        .header("Content-Type", "text/plain; charset=utf-8")
        .body(body)
        .build()
}

/// Sync `msgs` as list `t` and write the English report of 2022-W10 as
/// Markdown and JSON.
fn report(msgs: Vec<Vec<u8>>) -> (tempfile::TempDir, tempfile::TempDir, String, Value) {
    let (t, b) = EpochBuilder::temp();
    let ops: Vec<(Vec<u8>, i64)> = msgs
        .into_iter()
        .enumerate()
        .map(|(i, m)| (m, T0 + 86400 + i as i64 * 60))
        .collect();
    b.add_messages(&ops);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap()])
        .ok();
    let out = data.path().join("R");
    Lore::new(data.path())
        .args([
            "report", "t", "--week", "2022-W10", "--no-llm", "--lang", "en", "--format", "md,json",
            "--out",
        ])
        .arg(&out)
        .ok();
    let path = |ext: &str| -> PathBuf { out.join(format!("t/2022/t-2022-03-13.{ext}")) };
    let md = std::fs::read_to_string(path("md")).unwrap();
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(path("json")).unwrap()).unwrap();
    (t, data, md, json)
}

const SERIES: &str = "KVM: arm64: Widgets";

fn patch(n: u32, hours: f64) -> Vec<u8> {
    let (parent, refs): (Option<&str>, Vec<&str>) = if n == 0 {
        (None, vec![])
    } else {
        (Some("p0@x"), vec!["p0@x"])
    };
    mail_h(
        &format!("p{n}@x"),
        "Ann Author <ann@example.org>",
        &format!("[PATCH v2 {n}/3] {SERIES} {n}"),
        hours,
        parent,
        &refs,
        &[],
        &format!("This is patch {n} of the widget series.\n\ndiff --git a/w{n}.c b/w{n}.c\n"),
    )
}

fn reply(
    mid: &str,
    from: &str,
    to_patch: u32,
    hours: f64,
    extra: &[(&str, &str)],
    body: &str,
) -> Vec<u8> {
    let parent = format!("p{to_patch}@x");
    mail_h(
        mid,
        from,
        &format!("Re: [PATCH v2 {to_patch}/3] {SERIES} {to_patch}"),
        hours,
        Some(&parent),
        &["p0@x", &parent],
        extra,
        body,
    )
}

/// The series thread: patches sent out of order, replies from people
/// whose From headers disagree.
fn series_thread() -> Vec<Vec<u8>> {
    vec![
        patch(0, 0.0),
        patch(2, 0.1),
        patch(1, 0.2),
        patch(3, 0.3),
        reply(
            "r1@x",
            "\"peterz@infradead.org\" <peterz@infradead.org>",
            2,
            1.0,
            &[],
            "This needs a barrier before the store.\n",
        ),
        reply(
            "r2@x",
            "Peter Zijlstra <peterz@infradead.org>",
            3,
            2.0,
            &[],
            "Reviewed-by: Peter Zijlstra <peterz@infradead.org>\n",
        ),
        reply(
            "r3@x",
            &format!("Marc Zyngier via Virtualization <{LIST_ADDR}>"),
            1,
            3.0,
            &[
                ("Reply-To", "Marc Zyngier <maz@kernel.org>"),
                ("X-Original-From", "Marc Zyngier <maz@kernel.org>"),
            ],
            "Please split the refactoring from the fix.\n",
        ),
        reply(
            "r4@x",
            "Marc Zyngier <maz@kernel.org>",
            1,
            4.0,
            &[],
            "Reviewed-by: Marc Zyngier <maz@kernel.org>\n",
        ),
        reply(
            "r5@x",
            "maz <MAZ@kernel.org>",
            2,
            5.0,
            &[],
            "And the naming of the helper is odd.\n",
        ),
        // No original sender given: the same name elsewhere names the person.
        reply(
            "r6@x",
            &format!("\"Oliver Upton via Virtualization\" <{LIST_ADDR}>"),
            3,
            6.0,
            &[],
            "Works for me on the test machine.\n",
        ),
        reply(
            "r7@x",
            "Oliver Upton <oupton@google.com>",
            0,
            7.0,
            &[],
            "Tested-by: Oliver Upton <oupton@google.com>\n",
        ),
    ]
}

fn thread_of<'a>(j: &'a Value, subject_part: &str) -> &'a Value {
    j["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"].as_str().unwrap().contains(subject_part))
        .unwrap_or_else(|| panic!("no thread {subject_part}"))
}

#[test]
fn participants_are_people_whatever_their_from_headers_say() {
    let (_t, data, md, j) = report(series_thread());
    let th = thread_of(&j, SERIES);
    let people = th["participants"].as_array().unwrap();
    let names: Vec<&str> = people.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        vec![
            "Ann Author",
            "Peter Zijlstra",
            "Marc Zyngier",
            "Oliver Upton"
        ],
        "{people:?}"
    );
    let emails: Vec<&str> = people
        .iter()
        .map(|p| p["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        vec![
            "ann@example.org",
            "peterz@infradead.org",
            "maz@kernel.org",
            "oupton@google.com"
        ]
    );
    let counts: Vec<u64> = people
        .iter()
        .map(|p| p["messages"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, vec![4, 2, 3, 2]);
    assert_eq!(j["totals"]["participants"], 4);
    assert!(md.contains("**Participants**: 4"), "{md}");
    assert!(md.contains("- **Participants**: 4"), "{md}");
    assert!(!md.contains("peterz@infradead.org (1)"), "{md}");
    // `stats` counts the same people.
    let stats = Lore::new(data.path())
        .args(["stats", "t", "--week", "2022-W10", "--json"])
        .ok()
        .json();
    assert_eq!(stats["senders"], 4, "{stats}");
    // Who said what names each person once, by their name.
    let summary = th["summary"]["text"].as_str().unwrap();
    assert!(!summary.contains("via Virtualization"), "{summary}");
    assert!(!summary.contains("- peterz@infradead.org"), "{summary}");
    assert_eq!(summary.matches("- Marc Zyngier: ").count(), 1, "{summary}");
    assert_eq!(summary.matches("- Oliver Upton: ").count(), 1, "{summary}");
}

#[test]
fn patches_are_listed_in_series_order_and_replies_in_time_order() {
    let (_t, _data, md, j) = report(series_thread());
    let th = thread_of(&j, SERIES);
    let subjects: Vec<&str> = th["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    let patches: Vec<&str> = subjects
        .iter()
        .copied()
        .filter(|s| s.starts_with("[PATCH"))
        .collect();
    assert_eq!(
        patches,
        (0..4)
            .map(|n| format!("[PATCH v2 {n}/3] {SERIES} {n}"))
            .collect::<Vec<_>>(),
    );
    // Replies keep their time order, after the patches.
    let mids: Vec<&str> = th["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        mids,
        vec![
            "p0@x", "p1@x", "p2@x", "p3@x", "r1@x", "r2@x", "r3@x", "r4@x", "r5@x", "r6@x", "r7@x"
        ]
    );
    // Markdown lists the mails in the same order: the patches as one line
    // of numbers, then the replies.
    let pos = |s: &str| md.find(s).unwrap_or_else(|| panic!("{s} in {md}"));
    assert!(pos("[0/3](") < pos("[1/3]("));
    assert!(pos("[1/3](") < pos("[2/3]("));
    assert!(pos("[2/3](") < pos("[3/3]("));
    assert!(pos("[3/3](") < pos("/r1@x/) — "));
    assert!(pos("/r1@x/) — ") < pos("/r7@x/) — "));
    // Trailers by patch: Peter reviewed 3/3 before Marc reviewed 1/3.
    let reviewed: Vec<&str> = th["review"]["reviewed_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(reviewed, vec!["Marc Zyngier", "Peter Zijlstra"]);
    assert!(
        md.contains("**Reviewed-by**: Marc Zyngier (1/3), Peter Zijlstra (3/3)"),
        "{md}"
    );
}

#[test]
fn a_trailer_list_names_the_patches_in_order() {
    let mut msgs = series_thread();
    msgs.push(reply(
        "b3@x",
        "Bob Reviewer <bob@example.org>",
        3,
        8.0,
        &[],
        "Reviewed-by: Bob Reviewer <bob@example.org>\n",
    ));
    msgs.push(reply(
        "b1@x",
        "Bob Reviewer <bob@example.org>",
        1,
        9.0,
        &[],
        "Reviewed-by: Bob Reviewer <bob@example.org>\n",
    ));
    let (_t, _data, md, _j) = report(msgs);
    // In order (3/3 came first), as numbers of the series.
    assert!(md.contains("Bob Reviewer (1, 3 of 3)"), "{md}");
}

#[test]
fn period_shows_both_ends_on_one_day_and_counts_are_english() {
    let msgs = vec![
        mail_h(
            "q1@x",
            "Ann Author <ann@example.org>",
            "Question about widgets",
            0.0,
            None,
            &[],
            &[],
            "How are widgets reset on vcpu reset?\n",
        ),
        mail_h(
            "q2@x",
            "Bob Reviewer <bob@example.org>",
            "Re: Question about widgets",
            5.5,
            Some("q1@x"),
            &["q1@x"],
            &[],
            "They are reset by the vgic code path.\n",
        ),
        mail_h(
            "s1@x",
            "Carol <carol@example.org>",
            "[PATCH] KVM: arm64: Lone fix",
            1.0,
            None,
            &[],
            &[],
            "Fix the lone thing.\n\ndiff --git a/x.c b/x.c\n",
        ),
    ];
    let (_t, _data, md, _j) = report(msgs);
    assert!(
        md.contains("**Period**: 2022-03-07 10:00 — 2022-03-07 15:30"),
        "{md}"
    );
    // One mail, one thread, one patch.
    assert!(md.contains("· 1 mail\n"), "{md}");
    assert!(md.contains("· 2 mails\n"), "{md}");
    assert!(md.contains("\n1 thread\n"), "{md}");
    assert!(md.contains("1/1 patch arrived"), "{md}");
    for bad in [
        "1 mails",
        "1 threads",
        "1 patches",
        "1 earlier mails",
        "1 more participants",
    ] {
        assert!(!md.contains(bad), "{bad}: {md}");
    }
    // A single mail shows its one time.
    assert!(md.contains("**Period**: 2022-03-07 11:00 |"), "{md}");
}

#[test]
fn who_said_what_quotes_own_words_only() {
    let msgs = vec![
        patch(0, 0.0),
        patch(1, 0.1),
        patch(2, 0.2),
        patch(3, 0.3),
        reply(
            "w1@x",
            "Christoph Hellwig <hch@example.org>",
            1,
            1.0,
            &[],
            "Ann,\n\nOn Mon, 7 Mar 2022 10:00:00 +0000, Ann Author <ann@example.org> wrote:\n\
             > This is patch 1 of the widget series.\n\n\
             This leaks the widget on the error path.\n",
        ),
        reply(
            "w2@x",
            "Nicholas Piggin <npiggin@example.org>",
            1,
            2.0,
            &[],
            "Excerpts from Ann Author's message of March 7, 2022 10:00 am:\n\
             > This is patch 1 of the widget series.\n\n\
             The barrier is not needed on this path.\n",
        ),
        reply(
            "w3@x",
            "Build Checker <checker@example.net>",
            2,
            3.0,
            &[],
            "Hi Ann,\n\nThank you for the patch! Perhaps something to improve:\n\n\
             [auto build test WARNING on kvmarm/next]\n",
        ),
        reply(
            "w4@x",
            "Greg Stable <greg@example.org>",
            2,
            4.0,
            &[],
            "This is a note to let you know that I've just added the patch titled\n\n\
             \x20   KVM: arm64: Widgets 2\n\nto the 5.16-stable tree which can be found at:\n",
        ),
        reply(
            "w6@x",
            "Paolo Bonzini <pbonzini@example.org>",
            1,
            6.0,
            &[],
            "Paolo, Christoph,\n\nI would rather keep the helper as it is.\n",
        ),
        reply(
            "w7@x",
            "Marc Zyngier <maz@kernel.org>",
            1,
            7.0,
            &[],
            "Applied to kvmarm/next, thanks!\n\n[1/3] KVM: arm64: Widgets 1\n      commit: 0123456789ab\n",
        ),
        reply(
            "w8@x",
            "Marc Zyngier <maz@kernel.org>",
            2,
            7.1,
            &[],
            "Applied to kvmarm/next, thanks!\n",
        ),
        reply(
            "w9@x",
            "Marc Zyngier <maz@kernel.org>",
            3,
            7.2,
            &[],
            "Applied to kvmarm/next, thanks!\n",
        ),
        // A second thread: a resend and a notice without its target.
        mail_h(
            "k1@x",
            "Kim Tool <kim@example.org>",
            "[PATCH kvmtool] Fix the widget option",
            1.0,
            None,
            &[],
            &[],
            "Fix the widget option parsing.\n\ndiff --git a/k.c b/k.c\n",
        ),
        mail_h(
            "k2@x",
            "Fwd Person <fwd@example.org>",
            "Re: [PATCH kvmtool] Fix the widget option",
            2.0,
            Some("k1@x"),
            &["k1@x"],
            &[],
            "From: Ann Author <ann@example.org>\n\nThe original author asked me to resend this.\n",
        ),
        // Where to is only in a URL line of its own: the repository it names.
        mail_h(
            "k3@x",
            "Will Deacon <will@example.org>",
            "Re: [PATCH kvmtool] Fix the widget option",
            3.0,
            Some("k1@x"),
            &["k1@x"],
            &[],
            "Applied to\n\n  git://git.example.org/pub/scm/kvmtool.git master\n\nCheers,\nWill\n",
        ),
    ];
    let (_t, _data, md, j) = report(msgs);
    let th = thread_of(&j, SERIES);
    let summary = format!(
        "{}\n{}",
        th["summary"]["text"].as_str().unwrap(),
        thread_of(&j, "widget option")["summary"]["text"]
            .as_str()
            .unwrap()
    );
    for bad in [
        "Ann,",
        "Paolo, Christoph",
        "wrote:",
        "Excerpts from",
        "Thank you for the patch",
        "This is a note to let you know",
        "From: Ann",
        "\"Applied to\"",
        "git://",
        "commit: 0123",
    ] {
        assert!(!summary.contains(bad), "quoted {bad:?}: {summary}");
    }
    for good in [
        "- Christoph Hellwig: \"This leaks the widget on the error path.\"",
        "- Nicholas Piggin: \"The barrier is not needed on this path.\"",
        "- Fwd Person: \"The original author asked me to resend this.\"",
        "- Paolo Bonzini: \"I would rather keep the helper as it is.\"",
        "- Marc Zyngier: \"Applied to kvmarm/next, thanks!\"",
        "- Will Deacon: (applied to kvmtool master)",
    ] {
        assert!(summary.contains(good), "{good:?} in {summary}");
    }
    // One notice per person and words, not one per patch.
    assert_eq!(
        summary.matches("applied to kvmarm/next by").count(),
        1,
        "{summary}"
    );
    assert_eq!(
        summary.matches("Applied to kvmarm/next").count(),
        1,
        "{summary}"
    );
    assert_eq!(
        md.matches("**Applied/queued**: Marc Zyngier").count(),
        1,
        "{md}"
    );
    // The notices stay in the JSON, one per mail (Marc's three and the
    // stable queue's).
    assert_eq!(th["review"]["applied"].as_array().unwrap().len(), 4);
}
