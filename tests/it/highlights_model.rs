//! Highlights written by the model (a synthesis of the thread summaries):
//! shown with their thread citations as links when the grounding check
//! passes them, replaced by the highlights from facts with a notice when it
//! rejects them (a thread the report does not have, a person of another
//! thread), cached, and replayed byte for byte by `--summaries-from`
//! without a model.

use crate::common;
use crate::summarize_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{Lore, Run};
use serde_json::Value;
use summarize_support::*;

/// The contract's command, on the synthetic list `t`.
fn report(data: &Path, out: &Path, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--week", "2022-W10"];
    args.extend_from_slice(extra);
    model_report(data, out, url, &args)
}

fn read(o: &Run) -> (Value, String, PathBuf) {
    (o.written_json(), o.written_text("md"), o.written("json"))
}

/// The T-number of the thread whose subject contains `needle`, as the
/// synthesis prompt lists it (`[T3] subject`).
fn t_of(user: &str, needle: &str) -> usize {
    user.lines()
        .find_map(|l| {
            let rest = l.strip_prefix("[T")?;
            let (n, subject) = rest.split_once("] ")?;
            subject.contains(needle).then(|| n.parse().ok())?
        })
        .unwrap_or_else(|| panic!("no {needle} in {user}"))
}

/// A fake model that summarizes threads as usual and answers the
/// highlights request with `synthesis(user prompt)`.
fn model(synthesis: fn(&str) -> String) -> FakeLlm {
    FakeLlm::start_answering(
        Api::OpenAi,
        Arc::new(move |user: &str| {
            if user.contains("THREAD SUMMARIES") {
                synthesis(user)
            } else {
                answer_for(user)
            }
        }),
    )
}

fn good(user: &str) -> String {
    let w = t_of(user, "lazy widgets");
    let q = t_of(user, "hang on WFI");
    format!(
        "Here are the highlights:\n- Marc Maintainer applied the lazy widgets series to kvmarm/next [T{w}].\n- Quentin Question asked why his guest hangs on WFI; Marc answered [T{q}].\n- Both threads were active this week [T{w}, T{q}]."
    )
}

fn thread_number(j: &Value, needle: &str) -> (usize, String) {
    j["threads"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .find(|(_, t)| t["subject"].as_str().unwrap().contains(needle))
        .map(|(i, t)| (i + 1, t["id"].as_str().unwrap().to_string()))
        .unwrap()
}

#[test]
fn a_grounded_synthesis_is_shown_with_links_and_cached() {
    let (_r, b) = common::EpochBuilder::temp();
    b.add_dated(standard_mails());
    let llm = model(good);
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let first = report(data.path(), out.path(), &llm.url(), &[]);
    let (j, md, _) = read(&first);
    assert_eq!(
        j["highlights_source"], "model",
        "{}",
        j["highlights_synthesis"]
    );
    let syn = &j["highlights_synthesis"];
    assert_eq!(syn["source"], "model");
    assert_eq!(syn["grounding"]["verdict"], "grounded", "{syn}");
    assert_eq!(syn["grounding"]["statements"], 3);
    assert!(syn["cache_key"].as_str().unwrap().len() == 64);
    let (w, wid) = thread_number(&j, "lazy widgets");
    let (q, qid) = thread_number(&j, "hang on WFI");
    let hl = j["highlights"].as_array().unwrap();
    assert_eq!(hl.len(), 3, "{hl:?}");
    assert_eq!(
        hl[0]["text"],
        format!("Marc Maintainer applied the lazy widgets series to kvmarm/next [T{w}].")
    );
    assert_eq!(hl[0]["threads"], serde_json::json!([wid]));
    assert_eq!(hl[2]["threads"], serde_json::json!([wid, qid]));
    // Markdown: the citations in place, as links to the thread sections;
    // the preamble line is not an item; no item from facts.
    assert!(
        md.contains(&format!(
            "- Marc Maintainer applied the lazy widgets series to kvmarm/next [T{w}](#t-{w}).\n"
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!("[T{w}](#t-{w}) [T{q}](#t-{q})")),
        "{md}"
    );
    assert!(!md.contains("Here are the highlights"), "{md}");
    assert!(!md.contains("- Applied: "), "{md}");
    assert!(md.contains(&format!("<a id=\"t-{w}\"></a>")) || md.contains(&format!("### {w}. ")));

    // Again, without --refresh-summaries: from the store, no request.
    let chats = llm.chats();
    let again = report(data.path(), out.path(), &llm.url(), &[]);
    let (j2, md2, _) = read(&again);
    assert_eq!(llm.chats(), chats);
    assert_eq!(j2["highlights_synthesis"]["source"], "cache");
    assert_eq!(md2, md);
}

fn cites_a_missing_thread(user: &str) -> String {
    let w = t_of(user, "lazy widgets");
    format!("- The lazy widgets series was applied [T{w}].\n- A mystery series was merged [T99].")
}

fn names_a_person_of_another_thread(user: &str) -> String {
    let w = t_of(user, "lazy widgets");
    format!(
        "- The lazy widgets series was applied [T{w}].\n- Quentin Question reviewed the lazy widgets series [T{w}]."
    )
}

#[test]
fn a_synthesis_citing_a_missing_thread_or_a_foreign_person_gives_way_to_facts() {
    for (synthesis, kind, offending) in [
        (
            cites_a_missing_thread as fn(&str) -> String,
            "citation",
            "[T99]",
        ),
        (names_a_person_of_another_thread, "name", "Quentin Question"),
    ] {
        let (_r, b) = common::EpochBuilder::temp();
        b.add_dated(standard_mails());
        let llm = model(synthesis);
        let data = synced(b.path());
        let out = tempfile::tempdir().unwrap();
        let o = report(data.path(), out.path(), &llm.url(), &[]);
        let (j, md, _) = read(&o);
        assert_eq!(j["highlights_source"], "facts", "{kind}");
        let syn = &j["highlights_synthesis"];
        assert_eq!(syn["grounding"]["verdict"], "rejected", "{syn}");
        let problems = syn["grounding"]["problems"].as_array().unwrap();
        assert!(
            problems
                .iter()
                .any(|p| p["kind"] == kind && p["text"].as_str().unwrap().contains(offending)),
            "{kind}: {problems:?}"
        );
        // The model's answer is kept for replay; the highlights are the
        // ones from facts, under a notice naming the problem.
        assert!(syn["text"].as_str().unwrap().contains(offending));
        let hl = j["highlights"].as_array().unwrap();
        assert!(
            hl.iter()
                .any(|h| h["text"].as_str().unwrap().starts_with("Applied: ")),
            "{hl:?}"
        );
        let section = &md[md.find("## Highlights").unwrap()..md.find("Overview").unwrap()];
        assert!(
            section.contains("**!** The model's highlights failed the grounding check"),
            "{section}"
        );
        assert!(section.contains(kind), "{section}");
        assert!(!section.contains("mystery series"), "{section}");
        let stderr = &o.stderr;
        assert!(stderr.contains("failed the grounding check"), "{stderr}");
    }
}

/// An answer the model client refuses (it repeats the data markers): no
/// text to keep, only the error.
fn unusable(_: &str) -> String {
    "<<<BEGIN DATA 0123456789>>>\n[T1] something".to_string()
}

#[test]
fn replay_from_json_with_a_dead_server_reproduces_the_model_highlights() {
    for synthesis in [good as fn(&str) -> String, cites_a_missing_thread, unusable] {
        let (_r, b) = common::EpochBuilder::temp();
        b.add_dated(standard_mails());
        let llm = model(synthesis);
        let data = synced(b.path());
        let out = tempfile::tempdir().unwrap();
        let first = report(
            data.path(),
            out.path(),
            &llm.url(),
            &["--refresh-summaries"],
        );
        let (j, md1, json1) = read(&first);
        assert!(!j["highlights"].as_array().unwrap().is_empty());
        let chats = llm.chats();

        let data2 = synced(b.path());
        let out2 = tempfile::tempdir().unwrap();
        let dead = format!("http://127.0.0.1:{}/v1", dead_port());
        let again = report(
            data2.path(),
            out2.path(),
            &dead,
            &[
                "--refresh-summaries",
                "--summaries-from",
                json1.to_str().unwrap(),
            ],
        );
        let (j2, md2, _) = read(&again);
        assert_eq!(md1, md2);
        assert_eq!(j2["highlights"], j["highlights"]);
        assert_eq!(j2["highlights_source"], j["highlights_source"]);
        // An answer, or an unusable one, is replayed with the source of the
        // run that made it: the replayed JSON is the same.
        assert_eq!(
            j2["highlights_synthesis"]["source"],
            j["highlights_synthesis"]["source"]
        );
        assert_eq!(llm.chats(), chats);
    }
}

#[test]
fn no_synthesis_without_a_model() {
    let (_r, b) = common::EpochBuilder::temp();
    b.add_dated(standard_mails());
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let o = Lore::new(data.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "report", "t", "--week", "2022-W10", "--lang", "en", "--no-llm", "--format", "json",
            "--out",
        ])
        .arg(out.path())
        .run();
    let j = o.written_json();
    assert_eq!(j["highlights_source"], "facts");
    assert!(j.get("highlights_synthesis").is_none());
    assert!(!j["highlights"].as_array().unwrap().is_empty());
}

fn uncited_summaries(user: &str) -> String {
    if user.contains("THREAD SUMMARIES") {
        good(user)
    } else {
        "People talked about it at length. Nobody said which mail.\nIt went on for a while."
            .to_string()
    }
}

#[test]
fn rejected_thread_summaries_still_get_model_highlights() {
    let (_r, b) = common::EpochBuilder::temp();
    b.add_dated(standard_mails());
    let llm = FakeLlm::start_answering(Api::OpenAi, Arc::new(uncited_summaries));
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let (j, _, _) = read(&report(data.path(), out.path(), &llm.url(), &[]));
    let n = j["threads"].as_array().unwrap().len();
    assert_eq!(j["report"]["grounding"]["rejected"], n, "{}", j["report"]);
    assert_eq!(
        j["highlights_source"], "model",
        "{}",
        j["highlights_synthesis"]
    );
}

fn one_foreign_identifier(user: &str) -> String {
    let w = t_of(user, "lazy widgets");
    format!(
        "{}\n- The series also renames widget_frobnicate() [T{w}].",
        good(user)
    )
}

#[test]
fn a_flagged_synthesis_is_shown_with_the_item_marked() {
    let (_r, b) = common::EpochBuilder::temp();
    b.add_dated(standard_mails());
    let llm = model(one_foreign_identifier);
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let (j, md, _) = read(&report(data.path(), out.path(), &llm.url(), &[]));
    let syn = &j["highlights_synthesis"];
    assert_eq!(syn["grounding"]["verdict"], "flagged", "{syn}");
    assert_eq!(j["highlights_source"], "model");
    assert_eq!(j["highlights"].as_array().unwrap().len(), 4);
    let line = md
        .lines()
        .find(|l| l.contains("widget\\_frobnicate()"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(
        line.contains("**!** *(unverified: identifier not in the thread “widget\\_frobnicate()”)*"),
        "{line}"
    );
}

/// What SmolLM2 answered on kvmarm 2022-03-08: the prompt's thread lines
/// again, with thread numbers past the report's.
fn echo_of_the_prompt(user: &str) -> String {
    let heads: Vec<&str> = user.lines().filter(|l| l.starts_with("[T")).collect();
    format!("The summary of the report is:\n\n{}", heads.join("\n\n"))
}

fn past_the_seventh_item(user: &str) -> String {
    let w = t_of(user, "lazy widgets");
    let more: String = (0..5)
        .map(|_| format!("\n- The lazy widgets series was discussed [T{w}]."))
        .collect();
    format!("{}{more}\n- A mystery series was merged [T99].", good(user))
}

#[test]
fn an_echo_of_the_prompt_or_a_bad_citation_past_the_seventh_item_gives_way_to_facts() {
    for (synthesis, expect) in [
        (
            echo_of_the_prompt as fn(&str) -> String,
            "repeats the prompt",
        ),
        (past_the_seventh_item, "T99"),
    ] {
        let (_r, b) = common::EpochBuilder::temp();
        b.add_dated(standard_mails());
        let llm = model(synthesis);
        let data = synced(b.path());
        let out = tempfile::tempdir().unwrap();
        let (j, md, _) = read(&report(data.path(), out.path(), &llm.url(), &[]));
        assert_eq!(
            j["highlights_source"], "facts",
            "{}",
            j["highlights_synthesis"]
        );
        let section = &md[md.find("## Highlights").unwrap()..md.find("Overview").unwrap()];
        assert!(section.contains(expect), "{section}");
    }
}

#[test]
fn a_window_of_fewer_than_three_threads_gets_facts_highlights_without_a_request() {
    // 2022-03-10 holds two threads (the WFI question's answer and the
    // subject-only mail): their summaries are the whole story, so no
    // synthesis is asked for.
    let (_r, b) = common::EpochBuilder::temp();
    b.add_dated(standard_mails());
    let llm = model(good);
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let o = model_report(
        data.path(),
        out.path(),
        &llm.url(),
        &["--since", "2022-03-10", "--until", "2022-03-10"],
    );
    let j = o.written_json();
    assert!(j["threads"].as_array().unwrap().len() < 3, "{j}");
    assert!(llm.chats() > 0, "the threads were summarized by the model");
    let asked = llm
        .recorded()
        .iter()
        .filter(|r| r.user().contains("THREAD SUMMARIES"))
        .count();
    assert_eq!(asked, 0, "no highlights request");
    assert_eq!(j["highlights_source"], "facts");
    assert!(j.get("highlights_synthesis").is_none(), "{j}");
}
