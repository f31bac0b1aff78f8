//! The series ledger (`series`), the report's "Awaiting review" and series
//! states, `lists` and `threads --mbox`, on a small synthetic archive.

use crate::common;

use common::{mail, rfc2822_date};
use serde_json::Value;

const T0: i64 = 1_646_647_200; // Monday 2022-03-07 10:00 UTC

fn at(hours: i64) -> String {
    rfc2822_date(T0 + hours * 3600)
}

const ALICE: &str = "Alice Author <alice@example.org>";
const BOB: &str = "Bob Reviewer <bob@example.org>";
const MARC: &str = "Marc Zyngier <maz@kernel.org>";

/// A mail `h` hours after T0, replying to `parent` when given.
fn m(mid: &str, from: &str, subject: &str, h: i64, parent: Option<&str>, body: &str) -> Vec<u8> {
    let refs: Vec<&str> = parent.into_iter().collect();
    mail(mid, from, subject, &at(h), parent, &refs, body)
}

fn mails() -> Vec<Vec<u8>> {
    vec![
        // Waiting since the week before: no reply at all.
        m(
            "d0@x",
            ALICE,
            "[PATCH] KVM: arm64: lonely",
            -24 * 8,
            None,
            "Lonely.\n",
        ),
        // v1 reviewed, then v2 whose patch 3/3 never reached the list.
        m(
            "a0@x",
            ALICE,
            "[PATCH 0/2] KVM: arm64: widgets",
            1,
            None,
            "Two.\n",
        ),
        m(
            "a1@x",
            ALICE,
            "[PATCH 1/2] KVM: arm64: widget a",
            1,
            Some("a0@x"),
            "A.\n",
        ),
        m(
            "a2@x",
            ALICE,
            "[PATCH 2/2] KVM: arm64: widget b",
            1,
            Some("a0@x"),
            "B.\n",
        ),
        m(
            "a3@x",
            BOB,
            "Re: [PATCH 1/2] KVM: arm64: widget a",
            5,
            Some("a1@x"),
            "> A.\n\nReviewed-by: Bob Reviewer <bob@example.org>\n",
        ),
        m(
            "b0@x",
            ALICE,
            "[PATCH v2 0/3] KVM: arm64: widgets",
            48,
            None,
            "Three.\n",
        ),
        m(
            "b1@x",
            ALICE,
            "[PATCH v2 1/3] KVM: arm64: widget a",
            48,
            Some("b0@x"),
            "A.\n",
        ),
        m(
            "b2@x",
            ALICE,
            "[PATCH v2 2/3] KVM: arm64: widget b",
            48,
            Some("b0@x"),
            "B.\n",
        ),
        // Applied.
        m(
            "c0@x",
            ALICE,
            "[PATCH] KVM: arm64: gizmo",
            2,
            None,
            "Gizmo.\n\nFrom the start this was wrong.\n>From a quote.\n",
        ),
        m(
            "c1@x",
            MARC,
            "Re: [PATCH] KVM: arm64: gizmo",
            30,
            Some("c0@x"),
            "Applied to kvmarm/next, thanks!\n",
        ),
        // A question, no trailer.
        m(
            "e0@x",
            ALICE,
            "[PATCH] KVM: arm64: doohickey",
            3,
            None,
            "D.\n",
        ),
        m(
            "e1@x",
            BOB,
            "Re: [PATCH] KVM: arm64: doohickey",
            4,
            Some("e0@x"),
            "Why is this needed?\n",
        ),
    ]
}

fn synced() -> tempfile::TempDir {
    let (_repo, b) = common::EpochBuilder::temp();
    b.add_dated(mails());
    crate::summarize_support::synced(b.path())
}

fn series_json(data: &std::path::Path, args: &[&str]) -> Value {
    common::Lore::new(data)
        .args(["series", "t"])
        .args(args)
        .arg("--json")
        .ok()
        .json()
}

fn by_title<'a>(all: &'a Value, title: &str) -> &'a Value {
    all["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"] == title)
        .unwrap_or_else(|| panic!("no series {title} in {all}"))
}

#[test]
fn series_states_follow_what_the_mails_say() {
    let data = synced();
    let all = series_json(data.path(), &[]);
    assert_eq!(all["series"].as_array().unwrap().len(), 4, "{all}");

    let w = by_title(&all, "KVM: arm64: widgets");
    assert_eq!(w["version"], 2);
    assert_eq!(w["state"], "new", "{w}");
    let versions = w["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["patches"], 2);
    // 3/3 never reached the list: the count is still N of n/N.
    assert_eq!(versions[1]["patches"], 3);
    assert_eq!(versions[1]["message_id"], "b0@x");
    assert_eq!(versions[0]["replies"], 1);
    assert_eq!(versions[0]["trailers"][0]["who"], "Bob Reviewer");
    assert_eq!(versions[0]["trailers"][0]["carried"], false);
    assert_eq!(w["reviewers"][0], "Bob Reviewer");

    let g = by_title(&all, "KVM: arm64: gizmo");
    assert_eq!(g["state"], "applied", "{g}");
    assert_eq!(g["versions"][0]["applied"]["who"], "Marc Zyngier");

    assert_eq!(
        by_title(&all, "KVM: arm64: doohickey")["state"],
        "in-review"
    );
    assert_eq!(by_title(&all, "KVM: arm64: lonely")["state"], "new");

    let only_applied = series_json(data.path(), &["--state", "applied"]);
    assert_eq!(only_applied["series"].as_array().unwrap().len(), 1);

    // One series by the Message-ID of any of its mails, or its lore URL.
    let one = series_json(data.path(), &["a3@x"]);
    assert_eq!(one["title"], "KVM: arm64: widgets");
    let by_url = series_json(data.path(), &["https://lore.kernel.org/t/b1@x/"]);
    assert_eq!(by_url["id"], one["id"]);
}

#[test]
fn report_lists_series_awaiting_review_and_each_threads_series_state() {
    let data = synced();
    let out = tempfile::tempdir().unwrap();
    let o = common::Lore::new(data.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "report", "t", "--week", "2022-W10", "--no-llm", "--lang", "en",
        ])
        .args(["--format", "md,json", "--out"])
        .arg(out.path())
        .run();
    let j = o.written_json();
    let awaiting = j["awaiting_review"].as_array().expect("awaiting_review");
    assert_eq!(awaiting.len(), 1, "{awaiting:?}");
    assert_eq!(awaiting[0]["title"], "KVM: arm64: lonely");
    assert_eq!(awaiting[0]["days"], 14);
    let states: Vec<(&str, &str)> = j["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["subject"].as_str().unwrap(),
                t["series"]["state"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert!(
        states.contains(&("[PATCH] KVM: arm64: gizmo", "applied")),
        "{states:?}"
    );
    // Every thread of a series shows the series' state: v1's thread too.
    assert!(
        states.contains(&("[PATCH 0/2] KVM: arm64: widgets", "new")),
        "{states:?}"
    );
    let md = o.written_text("md");
    assert!(md.contains("## Awaiting review"), "{md}");
}

#[test]
fn threads_mbox_holds_every_mail_once_with_from_lines_quoted() {
    let data = synced();
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("w10.mbox");
    common::Lore::new(data.path())
        .args(["threads", "t", "--week", "2022-W10", "--mbox"])
        .arg(&mbox)
        .ok();
    let text = String::from_utf8(std::fs::read(&mbox).unwrap()).unwrap();
    // Every mail of the week's threads (the lonely patch is history of none).
    assert_eq!(text.matches("From mboxrd@z ").count(), 11, "{text}");
    assert!(text.contains("\n>From the start this was wrong.\n>>From a quote.\n"));
    // Thread order: a reply follows its parent.
    let pos = |mid: &str| text.find(&format!("Message-ID: <{mid}>")).unwrap();
    assert!(pos("a0@x") < pos("a1@x") && pos("a1@x") < pos("a3@x") && pos("a3@x") < pos("a2@x"));
}

#[test]
fn lists_shows_each_synced_list() {
    let data = synced();
    let j = common::Lore::new(data.path())
        .args(["lists", "--json"])
        .ok()
        .json();
    let lists = j["lists"].as_array().unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0]["name"], "t");
    assert_eq!(lists[0]["messages"], 12);
    assert_eq!(lists[0]["epochs"], 1);
    assert!(lists[0]["last_sync"].is_string());
    assert!(lists[0]["newest"].is_string());
}

#[test]
fn b4_am_takes_the_series_from_a_threads_mbox_with_folded_subjects() {
    if common::which("b4").is_none() {
        common::missing("b4 (Debian package b4)");
        return;
    }
    let m = |mid: &str, subject: &str, parent: Option<&str>, body: &str| {
        let refs: Vec<&str> = parent.into_iter().collect();
        mail(mid, ALICE, subject, &at(1), parent, &refs, body)
    };
    let patch = |n: u32| {
        format!(
            "Patch {n}.\n\nSigned-off-by: {ALICE}\n---\n f{n}.c | 1 +\n\ndiff --git a/f{n}.c b/f{n}.c\n--- a/f{n}.c\n+++ b/f{n}.c\n@@ -1 +1,2 @@\n x\n+y\n"
        )
    };
    let (_repo, b) = common::EpochBuilder::temp();
    b.add_dated(vec![
        m(
            "f0@x",
            "[PATCH 0/2] KVM: arm64: a series whose subject is long enough\n to be folded",
            None,
            "Cover.\n",
        ),
        m(
            "f1@x",
            "[PATCH 1/2] KVM: arm64: the first patch, also with a subject\n that was folded",
            Some("f0@x"),
            &patch(1),
        ),
        m(
            "f2@x",
            "[PATCH 2/2] KVM: arm64: the second\n\tpatch",
            Some("f0@x"),
            &patch(2),
        ),
    ]);
    let data = crate::summarize_support::synced(b.path());
    let work = tempfile::tempdir().unwrap();
    let mbox = work.path().join("w10.mbox");
    common::Lore::new(data.path())
        .args(["threads", "t", "--week", "2022-W10", "--mbox"])
        .arg(&mbox)
        .ok();
    std::fs::create_dir(work.path().join("out")).unwrap();
    let out = std::process::Command::new("b4")
        .args([
            "--offline-mode",
            "am",
            "-m",
            "w10.mbox",
            "f0@x",
            "-o",
            "out",
        ])
        .current_dir(work.path())
        .env("XDG_CACHE_HOME", work.path().join("cache"))
        .env("XDG_DATA_HOME", work.path().join("data"))
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "b4.attestation-policy")
        .env("GIT_CONFIG_VALUE_0", "off")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "b4 am failed: {log}");
    let mbx: Vec<_> = std::fs::read_dir(work.path().join("out"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "mbx"))
        .collect();
    assert_eq!(mbx.len(), 1, "{log}");
    let am = std::fs::read_to_string(&mbx[0]).unwrap();
    assert_eq!(am.matches("\nSubject: [PATCH ").count(), 2, "{am}");
    // b4 folds long subjects again in the file it writes.
    assert!(
        am.replace("\n ", " ")
            .contains("the first patch, also with a subject that was folded"),
        "{am}"
    );
}

#[test]
fn awaiting_review_leaves_out_stable_backports_and_other_non_review_kinds() {
    let m = |mid: &str, from: &str, subject: &str, body: &str| {
        mail(mid, from, subject, &at(-24 * 8), None, &[], body)
    };
    let greg = "Greg Kroah-Hartman <gregkh@linuxfoundation.org>";
    let sasha = "Sasha Levin <sashal@kernel.org>";
    let (_repo, b) = common::EpochBuilder::temp();
    b.add_dated(vec![
        m("l0@x", ALICE, "[PATCH] KVM: arm64: lonely", "Lonely.\n"),
        m(
            "s0@x",
            sasha,
            "[PATCH AUTOSEL 5.16 03/17] KVM: arm64: fix a thing",
            "[ Upstream commit 0123456789abcdef ]\n\nFix.\n",
        ),
        m(
            "s1@x",
            greg,
            "[PATCH 5.10 000/120] 5.10.105-rc1 review",
            "This is the start of the stable review cycle for the 5.10.105 release.\n",
        ),
        m(
            "p0@x",
            BOB,
            "[GIT PULL] KVM/arm64 fixes for 5.17, take #4",
            "Please pull.\n",
        ),
    ]);
    let data = crate::summarize_support::synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let o = common::Lore::new(data.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "report", "t", "--week", "2022-W10", "--no-llm", "--lang", "en",
        ])
        .args(["--format", "json", "--out"])
        .arg(out.path())
        .run();
    let j = o.written_json();
    let titles: Vec<&str> = j["awaiting_review"]
        .as_array()
        .expect("awaiting_review")
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["KVM: arm64: lonely"]);
}

#[test]
fn a_series_applied_in_the_window_says_which_version_where_and_by_whom() {
    let data = synced();
    let out = tempfile::tempdir().unwrap();
    let o = common::Lore::new(data.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "report", "t", "--week", "2022-W10", "--no-llm", "--lang", "en",
        ])
        .args(["--format", "md,json", "--out"])
        .arg(out.path())
        .run();
    let j = o.written_json();
    let threads = j["threads"].as_array().unwrap();
    let gizmo = threads
        .iter()
        .find(|t| t["subject"] == "[PATCH] KVM: arm64: gizmo")
        .unwrap();
    let a = &gizmo["series"]["applied"];
    assert_eq!(a["version"], 1, "{a}");
    assert_eq!(a["who"], "Marc Zyngier");
    assert_eq!(a["where"], "kvmarm/next");
    assert!(a["date"].as_str().unwrap().starts_with("2022-03-08"), "{a}");
    // A series not applied says nothing of it.
    let widgets = threads
        .iter()
        .find(|t| t["subject"] == "[PATCH v2 0/3] KVM: arm64: widgets")
        .unwrap();
    assert!(widgets["series"].get("applied").is_none(), "{widgets}");
    let md = o.written_text("md");
    assert!(
        md.contains("**Applied**: v1 · Marc Zyngier · kvmarm/next · 2022-03-08"),
        "{md}"
    );
}

#[test]
fn series_history_page_is_written_under_out_list_series_in_md_and_html() {
    let data = synced();
    let out = tempfile::tempdir().unwrap();
    common::Lore::new(data.path())
        .args(["series", "t", "a3@x", "--format", "md,html", "--out"])
        .arg(out.path())
        .ok();
    let dir = out.path().join("t/series");
    let md = std::fs::read_to_string(dir.join("b0@x.md")).unwrap();
    assert!(md.starts_with("# KVM: arm64: widgets\n"), "{md}");
    // Newest version first, each with its patches and trailers.
    let (v2, v1) = (md.find("## v2 ").unwrap(), md.find("## v1 ").unwrap());
    assert!(v2 < v1, "{md}");
    assert!(md.contains("- 3 patches · 0 replies"), "{md}");
    assert!(md.contains("- Reviewed-by: Bob Reviewer — "), "{md}");
    let html = std::fs::read_to_string(dir.join("b0@x.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<h1>KVM: arm64: widgets</h1>"), "{html}");
    // No temporary file is left beside the pages.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["b0@x.html", "b0@x.md"]);
}

/// `series --json` of every series, `index --rebuild` first when `rebuild`.
fn all_series(data: &std::path::Path, list: &str, rebuild: bool) -> Value {
    if rebuild {
        common::Lore::new(data)
            .quiet()
            .args(["index", list, "--rebuild"])
            .ok();
    }
    common::Lore::new(data)
        .quiet()
        .args(["series", list, "--json"])
        .ok()
        .json()
}

#[test]
fn a_sync_updates_the_stored_ledger_to_what_a_rebuild_derives() {
    let all = mails();
    let (_repo, b) = common::EpochBuilder::temp();
    // First the v1 of widgets (reviewed) and the gizmo patch, not yet applied.
    let first: Vec<Vec<u8>> = all
        .iter()
        .filter(|m| {
            let s = String::from_utf8_lossy(m);
            ["a0@x", "a1@x", "a2@x", "a3@x", "c0@x", "d0@x"]
                .iter()
                .any(|id| s.contains(&format!("Message-ID: <{id}>")))
        })
        .cloned()
        .collect();
    assert_eq!(first.len(), 6, "the fixture's Message-ID header changed");
    let rest: Vec<Vec<u8>> = all.iter().filter(|m| !first.contains(m)).cloned().collect();
    b.add_dated(first);
    let data = crate::summarize_support::synced(b.path());
    let before = series_json(data.path(), &[]);
    assert_eq!(
        by_title(&before, "KVM: arm64: widgets")["state"],
        "reviewed",
        "{before}"
    );
    assert_eq!(by_title(&before, "KVM: arm64: gizmo")["state"], "new");

    // The rest arrives: v2 of widgets, the applied notice of gizmo, doohickey.
    b.add_dated(rest);
    let sync = common::Lore::new(data.path())
        .quiet()
        .args(["sync", "t", "--json"])
        .ok()
        .json();
    // Only the series the new mails touch were derived again: widgets
    // (v2), gizmo (applied) and doohickey (new), not lonely.
    assert_eq!(sync["ledger_series"], 3, "{sync}");
    let updated = all_series(data.path(), "t", false);
    let w = by_title(&updated, "KVM: arm64: widgets");
    assert_eq!(w["version"], 2, "{w}");
    assert_eq!(w["versions"].as_array().unwrap().len(), 2, "{w}");
    assert_eq!(by_title(&updated, "KVM: arm64: gizmo")["state"], "applied");
    let rebuilt = all_series(data.path(), "t", true);
    assert_eq!(updated, rebuilt);
}

#[test]
fn a_version_applied_in_part_and_posted_again_is_not_applied() {
    let (_repo, b) = common::EpochBuilder::temp();
    b.add_dated(vec![
        m(
            "p0@x",
            ALICE,
            "[PATCH 0/2] KVM: arm64: frobnicator",
            0,
            None,
            "Two.\n",
        ),
        m(
            "p1@x",
            ALICE,
            "[PATCH 1/2] KVM: arm64: frob a",
            0,
            Some("p0@x"),
            "A.\n",
        ),
        m(
            "p2@x",
            ALICE,
            "[PATCH 2/2] KVM: arm64: frob b",
            0,
            Some("p0@x"),
            "B.\n",
        ),
        m(
            "p3@x",
            MARC,
            "Re: [PATCH 0/2] KVM: arm64: frobnicator",
            10,
            Some("p0@x"),
            "Applied patch 1 to kvmarm/next, thanks! Patch 2 needs rework.\n",
        ),
        m(
            "q0@x",
            ALICE,
            "[PATCH v2] KVM: arm64: frobnicator",
            40,
            None,
            "The rest.\n",
        ),
    ]);
    let data = crate::summarize_support::synced(b.path());
    let s = series_json(data.path(), &["q0@x"]);
    assert_eq!(s["version"], 2, "{s}");
    assert!(s["versions"][0]["applied"].is_object(), "{s}");
    assert_eq!(s["state"], "new", "v2 carries the rest: {s}");
}

#[test]
fn corpus_ledger_kept_by_syncs_equals_the_rebuilt_one() {
    let Some(corpus) = common::shared_corpus() else {
        return common::missing("the kvmarm corpus for the incremental ledger check");
    };
    let tmp = tempfile::tempdir().unwrap();
    let part = tmp.path().join("part.git");
    let git = |args: &[&str]| {
        common::Run::of(std::process::Command::new("git").args(args)).success();
    };
    git(&[
        "clone",
        "-q",
        "--bare",
        &format!("file://{}", corpus.display()),
        part.to_str().unwrap(),
    ]);
    let out = std::process::Command::new("git")
        .args([
            "-C",
            part.to_str().unwrap(),
            "rev-list",
            "--reverse",
            "master",
        ])
        .output()
        .unwrap();
    let commits: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let data = tmp.path().join("data");
    let url = format!("file://{}", part.display());
    // Synced in two steps: up to the autumn of 2022 (the whole ledger
    // derived), then the rest (an update).
    for cut in [commits.len() * 9 / 10, commits.len()] {
        git(&[
            "-C",
            part.to_str().unwrap(),
            "update-ref",
            "refs/heads/master",
            &commits[cut - 1],
        ]);
        common::Lore::new(&data)
            .quiet()
            .args(["sync", "kvmarm", "--url", &url])
            .ok();
    }
    let kept = all_series(&data, "kvmarm", false);
    let rebuilt = all_series(&data, "kvmarm", true);
    let n = rebuilt["series"].as_array().unwrap().len();
    assert!(n > 500, "{n} series");
    assert_eq!(kept["series"].as_array().unwrap().len(), n);
    assert!(
        kept == rebuilt,
        "the ledger kept by syncs differs from the rebuilt one"
    );
}

#[test]
fn a_removed_mail_leaves_the_stored_ledger_at_the_next_sync() {
    let (_repo, b) = common::EpochBuilder::temp();
    let all = mails();
    b.add_dated(all.clone());
    let data = crate::summarize_support::synced(b.path());
    let before = series_json(data.path(), &[]);
    assert_eq!(by_title(&before, "KVM: arm64: gizmo")["state"], "applied");
    // The applied notice is removed from the archive (a `d` commit).
    let notice = all
        .iter()
        .find(|m| String::from_utf8_lossy(m).contains("Message-ID: <c1@x>"))
        .unwrap();
    b.delete_message(notice, T0 + 100 * 3600);
    common::Lore::new(data.path())
        .quiet()
        .args(["sync", "t"])
        .ok();
    let after = series_json(data.path(), &[]);
    let g = by_title(&after, "KVM: arm64: gizmo");
    assert_eq!(g["state"], "new", "{g}");
    assert!(g["versions"][0]["applied"].is_null(), "{g}");
    assert_eq!(after, all_series(data.path(), "t", true));
}

#[test]
fn an_applied_notice_that_names_no_tree_has_an_empty_where() {
    let (_repo, b) = common::EpochBuilder::temp();
    b.add_dated(vec![
        mail(
            "w0@x",
            ALICE,
            "[PATCH] KVM: arm64: thingamajig",
            &at(0),
            None,
            &[],
            "T.\n",
        ),
        mail(
            "w1@x",
            MARC,
            "Re: [PATCH] KVM: arm64: thingamajig",
            &at(5),
            Some("w0@x"),
            &["w0@x"],
            "Queued, thanks.\n",
        ),
    ]);
    let data = crate::summarize_support::synced(b.path());
    let s = series_json(data.path(), &["w0@x"]);
    assert_eq!(s["state"], "applied", "{s}");
    let a = &s["versions"][0]["applied"];
    assert_eq!(a["where"], "", "{s}");
    assert_eq!(a["who"], "Marc Zyngier", "{s}");
}

#[test]
fn series_mbox_holds_every_mail_of_every_version_once_oldest_version_first() {
    let data = synced();
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("widgets.mbox");
    common::Lore::new(data.path())
        .args(["series", "t", "b1@x", "--mbox"])
        .arg(&path)
        .ok();
    let mbox = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
    let ids: Vec<&str> = mbox
        .lines()
        .filter_map(|l| l.strip_prefix("Message-ID: <"))
        .map(|l| l.trim_end_matches('>'))
        .collect();
    assert_eq!(
        ids,
        ["a0@x", "a1@x", "a3@x", "a2@x", "b0@x", "b1@x", "b2@x"],
        "{mbox}"
    );
    assert_eq!(mbox.lines().filter(|l| l.starts_with("From ")).count(), 7);
    // Not without a series.
    common::Lore::new(data.path())
        .args(["series", "t", "--mbox"])
        .arg(&path)
        .run()
        .code(2);
}
