//! The grounding check in `lore-digest report`: every summary (model,
//! cache, extractive) is checked against its thread; planted errors of each
//! kind are flagged or rejected, correct cited answers are grounded;
//! citations become links in Markdown and HTML.

use crate::common;
use crate::summarize_support;

use std::path::Path;

use serde_json::Value;
use summarize_support::*;

const SDE: &str = "1700000000";

/// The standard synthetic archive plus one one-mail thread per planted
/// error.
fn archive() -> (tempfile::TempDir, common::EpochBuilder, tempfile::TempDir) {
    let mut mails = standard_mails();
    for (i, (marker, _, _)) in PLANTED.iter().enumerate() {
        mails.extend(simple_thread(
            &format!("g{i}"),
            &format!("[PATCH] KVM: arm64: fix {marker} handling"),
            "This fixes a bug in the handling of things.\n\nSigned-off-by: Pat Poster <pat@example.org>\n",
        ));
    }
    let (repo_dir, b) = common::EpochBuilder::temp();
    b.add_dated(mails);
    let data = synced(b.path());
    (repo_dir, b, data)
}

fn report(data: &Path, out: &Path, args: &[&str]) -> (Value, String, String) {
    let o = common::Lore::new(data)
        .env("SOURCE_DATE_EPOCH", SDE)
        .args([
            "report",
            "t",
            "--week",
            "2022-W10",
            "--lang",
            "en",
            "--format",
            "md,html,json",
        ])
        .args(args)
        .arg("--out")
        .arg(out)
        .ok();
    (
        o.written_json(),
        o.written_text("md"),
        o.written_text("html"),
    )
}

fn thread<'a>(j: &'a Value, needle: &str) -> (usize, &'a Value) {
    j["threads"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .find(|(_, t)| t["subject"].as_str().unwrap().contains(needle))
        .map(|(i, t)| (i + 1, t))
        .unwrap_or_else(|| panic!("no thread {needle}"))
}

fn kinds(t: &Value) -> Vec<String> {
    t["summary"]["grounding"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap().to_string())
        .collect()
}

fn llm_args(llm: &FakeLlm) -> Vec<String> {
    [
        "--backend",
        "openai",
        "--llm-url",
        &llm.url(),
        "--model",
        OPENAI_MODEL,
        "--num-ctx",
        "32768",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn planted_errors_are_flagged_or_rejected_and_correct_answers_grounded() {
    let (_r, _b, data) = archive();
    let llm = FakeLlm::start(Api::OpenAi);
    let out = tempfile::tempdir().unwrap();
    let mut args = llm_args(&llm);
    args.push("--refresh-summaries".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (j, md, html) = report(data.path(), out.path(), &args);

    // Every thread is checked.
    let threads = j["threads"].as_array().unwrap();
    for t in threads {
        let v = t["summary"]["grounding"]["verdict"].as_str().unwrap();
        assert!(["grounded", "flagged", "rejected"].contains(&v), "{v}");
    }
    // Planted errors: not grounded, and named.
    let mut counts = (0, 0, 0);
    for (marker, kind, bad) in PLANTED {
        let (n, t) = thread(&j, marker);
        let s = &t["summary"];
        let v = s["grounding"]["verdict"].as_str().unwrap();
        assert_ne!(v, "grounded", "{marker}: {s}");
        assert!(kinds(t).iter().any(|k| k == kind), "{marker}: {s}");
        if ["citation", "name"].contains(kind) {
            // Rejected: the extractive summary is shown with a notice, the
            // model's answer kept in the JSON.
            assert_eq!(v, "rejected", "{marker}");
            assert!(s["model_text"].as_str().unwrap().contains(bad));
            assert!(s["text"].as_str().unwrap().starts_with("Status: "), "{s}");
            assert!(!md.contains(&bad.replace(['[', ']', '#'], "")));
            counts.2 += 1;
        } else {
            assert_eq!(v, "flagged", "{marker}: {s}");
            assert!(s.get("model_text").is_none(), "{marker}");
            counts.1 += 1;
        }
        let _ = n;
    }
    assert!(md.contains("The model summary failed the grounding check (cites a mail the thread does not have “\\[\\#9\\]”); the extractive summary is shown."), "{md}");
    assert!(md.contains("**!** *(unverified: version not in the thread “v4”; version not in the thread “v5.19-rc2”)*"), "{md}");
    assert!(
        md.contains(
            "**!** *(unverified: expansion not in the thread “FWB (Firmware Workaround)”)*"
        ),
        "{md}"
    );
    assert!(md.contains("**!** *(unverified: no mail cited)*"), "{md}");
    // Correct cited answers are grounded, here and on a real-looking series.
    for needle in ["lazy widgets", "hang on WFI", "subject only", "MARK-429"] {
        let (_, t) = thread(&j, needle);
        assert_eq!(
            t["summary"]["grounding"]["verdict"], "grounded",
            "{needle}: {}",
            t["summary"]
        );
        assert_eq!(t["summary"]["source"], "model");
        counts.0 += 1;
    }
    // The header counts every verdict.
    let g = &j["report"]["grounding"];
    let total = threads.len() as u64;
    assert_eq!(g["mode"], "mark");
    assert_eq!(g["flagged"], counts.1);
    assert_eq!(g["rejected"], counts.2);
    assert_eq!(
        g["grounded"].as_u64().unwrap()
            + g["flagged"].as_u64().unwrap()
            + g["rejected"].as_u64().unwrap(),
        total
    );
    assert!(md.contains(&format!(
        "- **Grounding**: {} grounded · {} flagged · {} rejected (mark)",
        g["grounded"], counts.1, counts.2
    )));

    // Statements keep their citations in the JSON; citations are links to
    // the mail's entry and to lore, in Markdown and HTML.
    let (n, w) = thread(&j, "lazy widgets");
    let st = w["summary"]["statements"].as_array().unwrap();
    assert_eq!(st[0]["cites"], serde_json::json!([1]));
    assert!(
        st[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Topic: model summary of")
    );
    let url = w["messages"][0]["url"].as_str().unwrap();
    let link = format!("\\[[#1](#t-{n}-m-1) [↗]({url})\\]");
    assert!(md.contains(&link), "{link}\n{md}");
    // Mail 1 (a patch, in its series' line of numbers) keeps its anchor.
    assert!(md.contains(&format!("<a id=\"t-{n}-m-1\"></a>[")), "{md}");
    assert!(
        html.contains(&format!("<a id=\"t-{n}-m-1\"></a>")),
        "mail anchor"
    );
    assert!(
        html.contains(&format!("<a href=\"#t-{n}-m-1\">#1</a>")),
        "citation link"
    );
    assert!(
        html.contains(&format!("<a href=\"{url}\">↗</a>")),
        "lore link"
    );
    // Every citation lands on an anchor, and no anchor is given twice.
    let ids: Vec<&str> = html
        .match_indices("<a id=\"")
        .map(|(i, _)| {
            let r = &html[i + 7..];
            &r[..r.find('"').unwrap()]
        })
        .collect();
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "anchors given twice");
    for (i, _) in html.match_indices("<a href=\"#t-") {
        let r = &html[i + 10..];
        let target = &r[..r.find('"').unwrap()];
        if target.contains("-m-") {
            assert!(
                unique.contains(target),
                "citation of {target} lands nowhere"
            );
        }
    }

    // Strict: any problem rejects. Off: no check.
    let out2 = tempfile::tempdir().unwrap();
    let mut a2: Vec<&str> = args.clone();
    a2.retain(|x| *x != "--refresh-summaries");
    a2.extend(["--grounding", "strict"]);
    let (j2, md2, _) = report(data.path(), out2.path(), &a2);
    let (_, t) = thread(&j2, "GROUND-VERSION");
    assert_eq!(t["summary"]["grounding"]["verdict"], "rejected");
    assert_eq!(
        t["summary"]["source"], "cache",
        "cached answers are checked too"
    );
    assert_eq!(j2["report"]["grounding"]["mode"], "strict");
    assert!(
        j2["report"]["regenerate"]
            .as_str()
            .unwrap()
            .contains("--grounding strict")
    );
    assert!(md2.contains("(strict)"));
    let out3 = tempfile::tempdir().unwrap();
    let mut a3: Vec<&str> = args.clone();
    a3.extend(["--grounding", "off"]);
    let (j3, md3, _) = report(data.path(), out3.path(), &a3);
    assert!(j3["report"].get("grounding").is_none());
    let (_, t) = thread(&j3, "GROUND-NAME");
    assert!(t["summary"].get("grounding").is_none());
    assert!(
        t["summary"]["text"]
            .as_str()
            .unwrap()
            .contains("Quentin Question reviewed")
    );
    assert!(!md3.contains("**Grounding**"));
}

#[test]
fn extractive_summaries_are_cited_and_grounded() {
    let (_r, _b, data) = archive();
    let out = tempfile::tempdir().unwrap();
    let (j, md, _) = report(data.path(), out.path(), &["--no-llm"]);
    for t in j["threads"].as_array().unwrap() {
        let s = &t["summary"];
        assert_eq!(s["source"], "extractive");
        assert_eq!(s["grounding"]["verdict"], "grounded", "{s}");
        assert!(s["grounding"]["cited"].as_u64().unwrap() >= 1);
    }
    assert!(md.contains("- **Grounding**: "));
    assert!(!md.contains("unverified"));
}

#[test]
fn an_expansion_added_in_the_config_glossary_is_accepted() {
    let (_r, _b, data) = archive();
    let llm = FakeLlm::start(Api::OpenAi);
    let mut args = llm_args(&llm);
    args.push("--refresh-summaries".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Shipped glossary: "FWB (Firmware Workaround)" contradicts it.
    let out = tempfile::tempdir().unwrap();
    let (j, _, _) = report(data.path(), out.path(), &args);
    let (_, t) = thread(&j, "GROUND-EXPANSION");
    assert_eq!(kinds(t), vec!["expansion"], "{}", t["summary"]);
    // A team's own meaning, added in the configuration's [glossary].
    let cfg = data.path().join("lore-digest.toml");
    std::fs::write(&cfg, "[glossary]\nFWB = [\"Firmware Workaround\"]\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut with = args.clone();
    with.extend(["--config", cfg.to_str().unwrap()]);
    let (j, _, _) = report(data.path(), out.path(), &with);
    let (_, t) = thread(&j, "GROUND-EXPANSION");
    assert_eq!(
        t["summary"]["grounding"]["verdict"], "grounded",
        "{}",
        t["summary"]
    );
    // Other contradictions stay caught.
    let (_, t) = thread(&j, "GROUND-VERSION");
    assert_eq!(kinds(t), vec!["version", "version"], "{}", t["summary"]);
}
