//! The Atom feed of a list's reports (checked with a real feed parser,
//! Python's feedparser), watch lists (`[watch]`: the "Watched" section,
//! JSON `watched`, `--only-watched`) and the b4 commands of each series.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

const T0: i64 = 1_646_647_200; // Monday 2022-03-07 10:00 UTC

fn at(days: f64) -> String {
    rfc2822_date(T0 + (days * 86400.0) as i64)
}

/// Week 9: Alice's series A, reviewed by Bob. Week 10: Alice answers on A
/// (Bob is only in its history), Dave's patch B touches the vgic, Erin's
/// cover letter C names pKVM in its text only, Frank's question D matches
/// nothing.
fn watch_epoch(b: &EpochBuilder) {
    let msgs = vec![
        mail(
            "a0@x",
            "Alice <alice@example.org>",
            "[PATCH] KVM: arm64: widget",
            &at(-6.0),
            None,
            &[],
            "---\n arch/arm64/kvm/arm.c | 2 +-\n\ndiff --git a/arch/arm64/kvm/arm.c b/arch/arm64/kvm/arm.c\n",
        ),
        mail(
            "a1@x",
            "Bob Reviewer <bob@example.org>",
            "Re: [PATCH] KVM: arm64: widget",
            &at(-5.0),
            Some("a0@x"),
            &["a0@x"],
            "> diff\nLooks wrong to me.\n",
        ),
        mail(
            "a2@x",
            "Alice <alice@example.org>",
            "Re: [PATCH] KVM: arm64: widget",
            &at(0.5),
            Some("a1@x"),
            &["a0@x", "a1@x"],
            "> Looks wrong to me.\nWhy?\n",
        ),
        mail(
            "b0@x",
            "Dave <dave@example.org>",
            "[PATCH] KVM: arm64: gic fix",
            &at(1.0),
            None,
            &[],
            "---\n arch/arm64/kvm/vgic/vgic-v3.c | 2 +-\n\ndiff --git a/arch/arm64/kvm/vgic/vgic-v3.c b/arch/arm64/kvm/vgic/vgic-v3.c\n",
        ),
        mail(
            "c0@x",
            "Erin <erin@example.org>",
            "[PATCH 0/1] KVM: arm64: protected guests",
            &at(2.0),
            None,
            &[],
            "This series prepares PKVM for guests.\n",
        ),
        mail(
            "c1@x",
            "Erin <erin@example.org>",
            "[PATCH 1/1] KVM: arm64: protected guests",
            &at(2.01),
            Some("c0@x"),
            &["c0@x"],
            "diff --git a/arch/arm64/kvm/pkvm.c b/arch/arm64/kvm/pkvm.c\n",
        ),
        mail(
            "d0@x",
            "Frank <frank@example.org>",
            "question about timers",
            &at(3.0),
            None,
            &[],
            "How?\n",
        ),
    ];
    let ops: Vec<(Vec<u8>, i64)> = msgs
        .into_iter()
        .enumerate()
        .map(|(i, m)| (m, T0 + i as i64 * 3600))
        .collect();
    b.add_messages(&ops);
}

const WATCH: &str = r#"
[watch]
people = ["Bob Reviewer"]
paths = ["arch/arm64/kvm/vgic/"]
keywords = ["pKVM"]
"#;

fn setup() -> (tempfile::TempDir, EpochBuilder, tempfile::TempDir) {
    let (t, b) = EpochBuilder::temp();
    watch_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap()])
        .ok();
    std::fs::write(data.path().join("watch.toml"), WATCH).unwrap();
    (t, b, data)
}

fn report(data: &Path, config: Option<&Path>, args: &[&str]) -> Run {
    let mut c = Lore::new(data);
    if let Some(p) = config {
        c = c.arg("--config").arg(p);
    }
    c.args(["report", "t"])
        .args(args)
        .args([
            "--no-llm",
            "--lang",
            "en",
            "--format",
            "md,html,json",
            "--out",
        ])
        .arg(data.join("R"))
        .run()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The feed as Python's feedparser reads it (`bozo` is set on any XML or
/// feed error), or None when feedparser is missing (a failure under CI).
pub fn parse_feed(path: &Path) -> Option<Value> {
    const SCRIPT: &str = r#"
import json, sys
import feedparser
d = feedparser.parse(sys.argv[1])
print(json.dumps({
    "bozo": bool(d.bozo),
    "bozo_exception": str(d.get("bozo_exception", "")),
    "version": d.version,
    "feed": {"id": d.feed.get("id"), "title": d.feed.get("title"), "updated": d.feed.get("updated")},
    "entries": [{"id": e.get("id"), "title": e.get("title"), "updated": e.get("updated"),
                 "link": e.get("link"), "summary": e.get("summary")} for e in d.entries],
}))
"#;
    // The python3 on PATH (pyenv's, say) or the system's, whichever has
    // feedparser (Debian's python3-feedparser or `pip install feedparser`).
    let has_feedparser = |py: &Path| {
        Command::new(py)
            .args(["-c", "import feedparser"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let candidates = [which("python3"), Some(PathBuf::from("/usr/bin/python3"))];
    let Some(py) = candidates.into_iter().flatten().find(|p| has_feedparser(p)) else {
        missing("python3 with feedparser (Debian python3-feedparser, or pip install feedparser)");
        return None;
    };
    let out = Run::of(Command::new(py).args(["-c", SCRIPT]).arg(path)).success();
    Some(out.json())
}

#[test]
fn feed_has_an_entry_per_report_and_parses_as_atom() {
    let (_t, _b, data) = setup();
    report(
        data.path(),
        None,
        &[
            "--since",
            "2022-02-28",
            "--until",
            "2022-03-13",
            "--backfill",
        ],
    )
    .success();
    let feed = data.path().join("R/t/feed.atom");
    assert!(feed.exists(), "feed.atom written with index.html");
    let Some(f) = parse_feed(&feed) else {
        return;
    };
    assert_eq!(f["bozo"], false, "{}", f["bozo_exception"]);
    assert_eq!(f["version"], "atom10");
    assert_eq!(f["feed"]["id"], "tag:lore-digest,2024:t");
    let entries = f["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{f}");
    // Newest first; the HTML of each report, its generation time, its totals.
    assert_eq!(entries[0]["title"], "t 2022-W10");
    assert_eq!(entries[0]["link"], "2022/t-2022-03-13.html");
    assert_eq!(entries[0]["id"], "tag:lore-digest,2024:t/2022/t-2022-03-13");
    assert_eq!(entries[0]["updated"], "2022-03-15T00:00:00Z");
    let j = read_json(&data.path().join("R/t/2022/t-2022-03-13.json"));
    // The summary is the report's highlights, else its totals.
    let summary = entries[0]["summary"].as_str().unwrap();
    let want = match j["highlights"].as_array().and_then(|h| h.first()) {
        Some(h) => h["text"].as_str().unwrap().to_string(),
        None => format!(
            "{} messages in {} threads",
            j["totals"]["messages"], j["totals"]["threads"]
        ),
    };
    assert!(summary.starts_with(&want), "{summary} / {want}");
    assert_eq!(entries[1]["title"], "t 2022-W09");
    // A report written later is in the feed too (rewritten with the index).
    report(data.path(), None, &["--week", "2022-W11"]).success();
    let f = parse_feed(&feed).unwrap();
    assert_eq!(f["entries"].as_array().unwrap().len(), 3);
    assert_eq!(f["entries"][0]["title"], "t 2022-W11");
}

#[test]
fn watched_threads_are_listed_with_why_in_markdown_and_json() {
    let (_t, _b, data) = setup();
    let config = data.path().join("watch.toml");
    report(data.path(), Some(&config), &["--week", "2022-W10"]).success();
    let dir = data.path().join("R/t/2022");
    let j = read_json(&dir.join("t-2022-03-13.json"));
    let subject_of = |id: &str| {
        j["threads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| t["subject"].as_str().unwrap().to_string())
            .unwrap()
    };
    let watched: Vec<(String, Vec<String>)> = j["watched"]
        .as_array()
        .expect("watched")
        .iter()
        .map(|w| {
            (
                subject_of(w["id"].as_str().unwrap()),
                w["why"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let mut watched = watched;
    watched.sort();
    assert_eq!(
        watched,
        vec![
            (
                "[PATCH 0/1] KVM: arm64: protected guests".to_string(),
                vec!["keyword: pKVM".to_string()]
            ),
            (
                "[PATCH] KVM: arm64: gic fix".to_string(),
                vec!["path: arch/arm64/kvm/vgic/vgic-v3.c".to_string()]
            ),
            (
                "[PATCH] KVM: arm64: widget".to_string(),
                vec!["person: Bob Reviewer".to_string()]
            ),
        ]
    );
    assert_eq!(j["threads"].as_array().unwrap().len(), 4);
    // Markdown: the section comes before the overview and names the reasons.
    let md = std::fs::read_to_string(dir.join("t-2022-03-13.md")).unwrap();
    let w = md.find("## Watched").expect("Watched section");
    let overview = md.find("\n## ").unwrap();
    assert_eq!(overview + 1, w, "Watched is the first section");
    assert!(md[w..].contains("person: Bob Reviewer"));
    assert!(!md[w..md[w + 3..].find("\n## ").unwrap() + w + 3].contains("timers"));

    // --only-watched: the report holds just those threads.
    report(
        data.path(),
        Some(&config),
        &["--week", "2022-W10", "--only-watched"],
    )
    .success();
    let j = read_json(&dir.join("t-2022-03-13-watched.json"));
    let subjects: Vec<&str> = j["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects.len(), 3, "{subjects:?}");
    assert!(!subjects.iter().any(|s| s.contains("timers")));
    assert!(
        j["report"]["regenerate"]
            .as_str()
            .unwrap()
            .contains("--only-watched")
    );

    // Without a watch list there is no section and no `watched`, and
    // --only-watched is refused.
    report(data.path(), None, &["--week", "2022-W10"]).success();
    let j = read_json(&dir.join("t-2022-03-13.json"));
    assert!(j.get("watched").is_none());
    let out = report(data.path(), None, &["--week", "2022-W10", "--only-watched"]);
    assert!(!out.status.success());
    assert!(out.stderr.contains("[watch]"), "{}", out.stderr);
}

#[test]
fn only_watched_report_has_its_own_file_beside_the_full_one() {
    let (_t, _b, data) = setup();
    let config = data.path().join("watch.toml");
    report(data.path(), Some(&config), &["--week", "2022-W10"]).success();
    let out = report(
        data.path(),
        Some(&config),
        &["--week", "2022-W10", "--only-watched"],
    )
    .success();
    let dir = data.path().join("R/t/2022");
    for ext in ["md", "html", "json"] {
        let p = dir.join(format!("t-2022-03-13-watched.{ext}"));
        assert!(p.exists(), "{} written", p.display());
        let stdout = &out.stdout;
        assert!(stdout.contains(&p.display().to_string()), "{stdout}");
    }
    // The full report is still there, with every thread.
    let full = read_json(&dir.join("t-2022-03-13.json"));
    assert_eq!(full["threads"].as_array().unwrap().len(), 4);
    assert!(
        !full["report"]["regenerate"]
            .as_str()
            .unwrap()
            .contains("--only-watched")
    );
    let watched = read_json(&dir.join("t-2022-03-13-watched.json"));
    assert_eq!(watched["threads"].as_array().unwrap().len(), 3);

    // The index lists both, the full report first, the other labelled.
    let index = std::fs::read_to_string(data.path().join("R/t/index.html")).unwrap();
    let full_at = index
        .find("<a href=\"2022/t-2022-03-13.html\">2022-W10</a>")
        .unwrap_or_else(|| panic!("{index}"));
    let watched_at = index
        .find("<a href=\"2022/t-2022-03-13-watched.html\">2022-W10 (watched)</a>")
        .unwrap_or_else(|| panic!("{index}"));
    assert!(full_at < watched_at, "{index}");

    // The feed has an entry for each, with ids and titles of their own.
    let feed_path = data.path().join("R/t/feed.atom");
    let feed = std::fs::read_to_string(&feed_path).unwrap();
    assert_eq!(feed.matches("<entry>").count(), 2, "{feed}");
    assert!(
        feed.contains("<id>tag:lore-digest,2024:t/2022/t-2022-03-13-watched</id>"),
        "{feed}"
    );
    assert!(
        feed.contains("<title>t 2022-W10 (watched)</title>"),
        "{feed}"
    );
    assert!(feed.contains("<title>t 2022-W10</title>"), "{feed}");
    if let Some(f) = parse_feed(&feed_path) {
        assert_eq!(f["bozo"], false, "{}", f["bozo_exception"]);
        assert_eq!(f["entries"][0]["link"], "2022/t-2022-03-13.html");
        assert_eq!(f["entries"][1]["link"], "2022/t-2022-03-13-watched.html");
    }
}

#[test]
fn index_page_links_the_atom_feed() {
    let (_t, _b, data) = setup();
    report(data.path(), None, &["--week", "2022-W10"]).success();
    let index = std::fs::read_to_string(data.path().join("R/t/index.html")).unwrap();
    let (head, body) = index.split_once("</head>").unwrap();
    assert!(
        head.contains("<link rel=\"alternate\" type=\"application/atom+xml\" href=\"feed.atom\""),
        "{head}"
    );
    assert!(
        body.contains("<a href=\"feed.atom\""),
        "a visible link: {body}"
    );
}

#[test]
fn watch_section_with_unknown_key_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let c = data.path().join("c.toml");
    std::fs::write(&c, "[watch]\npeople = [\"x\"]\nfiles = [\"y\"]\n").unwrap();
    let out = Lore::new(data.path())
        .arg("--config")
        .arg(&c)
        .args(["stats", "t"])
        .run();
    assert!(!out.status.success());
    assert!(out.stderr.contains("files"), "{}", out.stderr);
}

/// `report kvmarm --no-llm ARGS` of the corpus with `[watch]` `watch`,
/// written under `DATA/R`, which it returns.
fn corpus_report(data: &Path, watch: &str, args: &[&str]) -> PathBuf {
    let config = data.join("c.toml");
    std::fs::write(&config, format!("[watch]\n{watch}\n")).unwrap();
    let r = data.join("R");
    Lore::new(data)
        .arg("--config")
        .arg(&config)
        .args(["report", "kvmarm", "--no-llm"])
        .args(args)
        .arg("--out")
        .arg(&r)
        .ok();
    r
}

#[test]
fn corpus_backfill_feed_and_watched_marc_zyngier() {
    let Some(data) = synced_corpus() else {
        return;
    };
    let r = corpus_report(
        data.path(),
        "people = [\"Marc Zyngier\"]",
        &[
            "--since",
            "2022-02-28",
            "--until",
            "2022-03-13",
            "--backfill",
            "--format",
            "md,html,json",
        ],
    );
    let j = read_json(&r.join("kvmarm/2022/kvmarm-2022-03-13.json"));
    let mut want: Vec<&str> = j["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["participants"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "Marc Zyngier")
        })
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    let mut got: Vec<&str> = j["watched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    want.sort();
    got.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    let md = std::fs::read_to_string(r.join("kvmarm/2022/kvmarm-2022-03-13.md")).unwrap();
    assert!(
        md.contains("**b4**: `b4 shazam "),
        "a b4 command in the W10 Markdown"
    );
    let Some(f) = parse_feed(&r.join("kvmarm/feed.atom")) else {
        return;
    };
    assert_eq!(f["bozo"], false, "{}", f["bozo_exception"]);
    let entries = f["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for e in entries {
        for k in ["id", "title", "updated", "link"] {
            assert!(e[k].as_str().is_some_and(|s| !s.is_empty()), "{k}: {e}");
        }
    }
}

#[test]
fn every_series_shows_the_b4_commands_in_markdown_html_and_json() {
    let (_t, _b, data) = setup();
    report(data.path(), None, &["--week", "2022-W10"]).success();
    let dir = data.path().join("R/t/2022");
    let j = read_json(&dir.join("t-2022-03-13.json"));
    let by_subject = |s: &str| {
        j["threads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["subject"] == s)
            .unwrap()
            .clone()
    };
    // The cover letter of a series, the patch of a single patch.
    let c = by_subject("[PATCH 0/1] KVM: arm64: protected guests");
    assert_eq!(c["series"]["b4"]["shazam"], "b4 shazam c0@x");
    assert_eq!(c["series"]["b4"]["am"], "b4 am c0@x");
    assert_eq!(c["series"]["b4"]["message_id"], "c0@x");
    let b = by_subject("[PATCH] KVM: arm64: gic fix");
    assert_eq!(b["series"]["b4"]["am"], "b4 am b0@x");
    // No command for a thread without patches.
    let d = by_subject("question about timers");
    assert!(d["series"].get("b4").is_none());
    let md = std::fs::read_to_string(dir.join("t-2022-03-13.md")).unwrap();
    assert!(
        md.contains("**b4**: `b4 shazam c0@x` · `b4 am c0@x`"),
        "{md}"
    );
    let html = std::fs::read_to_string(dir.join("t-2022-03-13.html")).unwrap();
    assert!(html.contains("<code>b4 shazam c0@x</code>"));
    assert!(html.contains("<code>b4 am b0@x</code>"));
}

/// Week 10: Gina's patch E, to the list, whose reply from Hank is Cc'd to
/// the watcher; Ivy's patch F names the watcher's address in its text
/// only; the watcher's own question G is sent from that address.
fn cc_epoch(b: &EpochBuilder) {
    let cc = |raw: Vec<u8>, cc: &str| [format!("Cc: {cc}\n").into_bytes(), raw].concat();
    let msgs = vec![
        mail(
            "e0@x",
            "Gina <gina@example.org>",
            "[PATCH] KVM: arm64: cc'd fix",
            &at(0.5),
            None,
            &[],
            "diff --git a/arch/arm64/kvm/arm.c b/arch/arm64/kvm/arm.c\n",
        ),
        cc(
            mail(
                "e1@x",
                "Hank <hank@example.org>",
                "Re: [PATCH] KVM: arm64: cc'd fix",
                &at(1.0),
                Some("e0@x"),
                &["e0@x"],
                "> diff\nAdding the watcher.\n",
            ),
            "Gina <gina@example.org>,\n \"Watcher, The\" <Watch@Example.ORG>",
        ),
        mail(
            "f0@x",
            "Ivy <ivy@example.org>",
            "[PATCH] KVM: arm64: other fix",
            &at(2.0),
            None,
            &[],
            "Reported-by: Watcher <watch@example.org>\n",
        ),
        mail(
            "g0@x",
            "Watcher <watch@example.org>",
            "a question",
            &at(3.0),
            None,
            &[],
            "How?\n",
        ),
    ];
    b.add_dated(msgs);
}

/// The subjects of the watched threads of a report's JSON, with why.
fn watched_subjects(j: &Value) -> Vec<(String, Vec<String>)> {
    let threads = j["threads"].as_array().unwrap();
    j["watched"]
        .as_array()
        .expect("watched")
        .iter()
        .map(|w| {
            let t = threads.iter().find(|t| t["id"] == w["id"]).unwrap();
            let why = w["why"].as_array().unwrap();
            (
                t["subject"].as_str().unwrap().to_string(),
                why.iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn an_address_watch_selects_the_threads_with_a_mail_ccd_to_it() {
    let (_t, b) = EpochBuilder::temp();
    cc_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap()])
        .ok();
    let config = data.path().join("watch.toml");
    std::fs::write(&config, "[watch]\naddresses = [\"<watch@example.org>\"]\n").unwrap();
    let want = vec![(
        "[PATCH] KVM: arm64: cc'd fix".to_string(),
        vec!["to: <watch@example.org>".to_string()],
    )];
    let json = data.path().join("R/t/2022/t-2022-03-13.json");
    report(data.path(), Some(&config), &["--week", "2022-W10"]).success();
    assert_eq!(watched_subjects(&read_json(&json)), want);

    // The addresses come from the index: a digest without the mails' text
    // (as `threads` and the series ledger make) has them too.
    {
        use lore_digest::{digest, storage::archive::Archive, watch, window};
        let archive = Archive::open(data.path(), "t").unwrap();
        let spec = window::parse_week("2022-W10").unwrap();
        let w = window::resolve(&spec, chrono_tz::Tz::UTC, window::TimeField::Received, 0);
        let mut opts = digest::Options::for_list("t");
        opts.keep_bodies = false;
        let d = digest::build(&archive, &w, &opts).unwrap();
        let list: watch::WatchList = toml::from_str("addresses = [\"Watch@example.org\"]").unwrap();
        let got = watch::matches(&list, &d.threads);
        let subject = |id: &str| {
            let t = d.threads.iter().find(|t| t.id == id).unwrap();
            t.subject.clone()
        };
        let got: Vec<String> = got.iter().map(|w| subject(&w.id)).collect();
        assert_eq!(got, ["[PATCH] KVM: arm64: cc'd fix"]);
    }

    // An index of schema 2 (no To/Cc column) is rebuilt from the mirror,
    // with a note, and the watch list then works as before.
    let index = data.path().join("t/index.sqlite3");
    rusqlite::Connection::open(&index)
        .unwrap()
        .execute_batch(
            "ALTER TABLE messages DROP COLUMN to_cc;
             UPDATE meta SET value = '2' WHERE key = 'schema_version';
             PRAGMA user_version = 2;",
        )
        .unwrap();
    let out = report(data.path(), Some(&config), &["--week", "2022-W10"]).success();
    assert!(
        out.stderr.contains(&format!(
            "index {} has schema version 2, this lore-digest uses 3; rebuilding it from the mirror",
            index.display()
        )),
        "{}",
        out.stderr
    );
    assert_eq!(watched_subjects(&read_json(&json)), want);
}

#[test]
fn corpus_address_watch_lists_the_threads_ccd_to_it() {
    let Some(data) = synced_corpus() else {
        return;
    };
    // Cc'd (never To) in three threads of 2022-W10.
    let r = corpus_report(
        data.path(),
        "addresses = [\"pshier@google.com\"]",
        &["--week", "2022-W10", "--lang", "en", "--format", "md,json"],
    );
    let j = read_json(&r.join("kvmarm/2022/kvmarm-2022-03-13.json"));
    let mut got: Vec<String> = watched_subjects(&j)
        .into_iter()
        .map(|(s, why)| {
            assert_eq!(why, ["to: pshier@google.com"]);
            s
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "[PATCH v2] Documentation: KVM: Update documentation to indicate KVM is arm64-only",
            "[PATCH v4 00/15] KVM: arm64: PSCI SYSTEM_SUSPEND + SYSTEM_RESET2 bugfix",
            "[PATCH v6 00/25] KVM: arm64: Make CPU ID registers writable by userspace",
        ]
    );
    let md = std::fs::read_to_string(r.join("kvmarm/2022/kvmarm-2022-03-13.md")).unwrap();
    let w = md.find("## Watched").expect("Watched section");
    let section = &md[w..w + 3 + md[w + 3..].find("\n## ").unwrap()];
    assert_eq!(
        section.matches("to: pshier@google.com").count(),
        3,
        "{section}"
    );
}
