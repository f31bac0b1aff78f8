//! Rolling summaries: in a backfill, a thread that continues from the week
//! before gets that week's summary as HISTORY SUMMARY instead of the history
//! mails it covers; a rejected summary is not used; `--no-rolling` gives
//! the prompt made without any earlier summary; `--summaries-from` replays
//! a rolling report byte for byte with an empty cache and a dead server.

use crate::common;
use crate::summarize_support;

use common::Run;
use std::path::Path;
use std::sync::Arc;

use summarize_support::*;

const SDE: &str = "1700000000";
/// The widget series: posted and reviewed in 2022-W09, answered, reviewed
/// and applied in 2022-W10 (see `standard_mails`).
const WIDGETS: &str = "lazy widgets";
/// Text of history mails #2 and #3 of the widget thread in W10 (#4 is
/// quoted by #5).
const HISTORY_TEXT: [&str; 2] = [
    "Defer widget setup to first use.",
    "Free widgets on vcpu teardown.",
];

/// `report t` with the fake model at `url`, English, Markdown and JSON.
fn report(data: &Path, out: &Path, url: &str, window: &[&str], extra: &[&str]) -> Run {
    model_report(data, out, url, &[window, extra].concat()).success()
}

const BACKFILL: [&str; 5] = [
    "--backfill",
    "--since",
    "2022-02-28",
    "--until",
    "2022-03-13",
];
const W10: [&str; 2] = ["--week", "2022-W10"];

/// The user prompts sent for the widget thread, in order.
fn widget_prompts(llm: &FakeLlm) -> Vec<String> {
    llm.recorded()
        .iter()
        .filter(|r| r.subject().contains(WIDGETS))
        .map(|r| r.user())
        .collect()
}

fn archive() -> (tempfile::TempDir, common::EpochBuilder) {
    let (repo_dir, b) = common::EpochBuilder::temp();
    b.add_dated(standard_mails());
    (repo_dir, b)
}

fn subject_line(user: &str) -> String {
    user.lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or("?")
        .to_string()
}

#[test]
fn backfill_gives_week_two_the_summary_of_week_one_instead_of_its_mails() {
    let (_r, b) = archive();
    let llm = FakeLlm::start(Api::OpenAi);
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let o = report(data.path(), out.path(), &llm.url(), &BACKFILL, &[]);
    assert_eq!(o.files(".md").len(), 2, "W09 and W10");

    let prompts = widget_prompts(&llm);
    assert_eq!(prompts.len(), 2, "one request per week");
    let (week1, week2) = (&prompts[0], &prompts[1]);
    assert!(!week1.contains("HISTORY SUMMARY"), "{week1}");
    for h in HISTORY_TEXT {
        assert!(week1.contains(h), "week 1 has the mails: {week1}");
        assert!(!week2.contains(h), "week 2 has not: {week2}");
    }
    // Week 1's answer (the fake model's), labelled with the mails it covers.
    let answer1 = format!("Topic: model summary of {} [#1].", subject_line(week1));
    assert!(
        week2.contains("HISTORY SUMMARY of mails #1-#4 (HISTORY, up to 2022-03-03 "),
        "{week2}"
    );
    assert!(week2.contains(&answer1), "{week2}");
    assert!(week2.contains("Its citations [#n] use the mail numbers of this thread"));
    // The mails after #4 keep their numbers; the facts stay first.
    assert!(week2.contains("#5 WINDOW"), "{week2}");
    assert!(!week2.contains("#1 HISTORY"), "{week2}");
    assert!(week2.find("FACTS").unwrap() < week2.find("HISTORY SUMMARY").unwrap());

    // The JSON records it, and the summary is grounded (citations of the
    // history mails exist in the thread).
    let json = o.files("2022-03-13.json");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json[0]).unwrap()).unwrap();
    let t = j["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"].as_str().unwrap().contains(WIDGETS))
        .unwrap();
    assert_eq!(t["summary"]["history_summary"]["mails"], 4, "{t}");
    assert!(
        t["summary"]["history_summary"]["text"]
            .as_str()
            .unwrap()
            .contains(&answer1)
    );
    assert_eq!(t["summary"]["grounding"]["verdict"], "grounded", "{t}");

    // Again, same cache: the same prompts, so the same keys: no request.
    let chats = llm.chats();
    let again = tempfile::tempdir().unwrap();
    report(data.path(), again.path(), &llm.url(), &BACKFILL, &[]);
    assert_eq!(llm.chats(), chats, "every summary is cached");

    // The server gone: the cache still has week 2's rolling summary (found
    // through week 1's), so the report is the same.
    let url = llm.url();
    drop(llm);
    let down = tempfile::tempdir().unwrap();
    let o = report(data.path(), down.path(), &url, &W10, &[]);
    let md = |o: &Run| std::fs::read_to_string(&o.files(".md")[0]).unwrap();
    let first = std::fs::read_to_string(out.path().join("t/2022/t-2022-03-13.md")).unwrap();
    assert_eq!(md(&o), first);
}

#[test]
fn a_rolling_report_replays_byte_identical_without_cache_or_model() {
    let (_r, b) = archive();
    let llm = FakeLlm::start(Api::OpenAi);
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let o = report(data.path(), out.path(), &llm.url(), &BACKFILL, &[]);
    let md = o.files("2022-03-13.md");
    let json = o.files("2022-03-13.json");
    let md1 = std::fs::read_to_string(&md[0]).unwrap();
    assert!(md1.contains("--summaries-from t-2022-03-13.json"), "{md1}");
    assert!(!md1.contains("--no-rolling"), "{md1}");

    // Another data dir (an empty cache), a dead server.
    let data2 = synced(b.path());
    let out2 = tempfile::tempdir().unwrap();
    let dead = format!("http://127.0.0.1:{}/v1", dead_port());
    let chats = llm.chats();
    let again = report(
        data2.path(),
        out2.path(),
        &dead,
        &W10,
        &["--summaries-from", json[0].to_str().unwrap()],
    );
    assert_eq!(again.status.code(), Some(0));
    let md2 = std::fs::read_to_string(&again.files(".md")[0]).unwrap();
    assert_eq!(md1, md2);
    assert_eq!(llm.chats(), chats);
}

#[test]
fn a_rejected_week_one_summary_is_not_history() {
    let (_r, b) = archive();
    // Week 1's answer for the widgets cites a mail the thread does not
    // have: the grounding check rejects it.
    let llm = FakeLlm::start_answering(
        Api::OpenAi,
        Arc::new(|user: &str| {
            let subject = subject_line(user);
            let bad = if subject.contains(WIDGETS) && !user.contains("#5 WINDOW") {
                " The author answered the review [#9]."
            } else {
                ""
            };
            format!(
                "Topic: model summary of {subject} [#1].\nThis window: the participants discussed it [#1].{bad}\nOpen questions and outcome: none stated."
            )
        }),
    );
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let o = report(data.path(), out.path(), &llm.url(), &BACKFILL, &[]);
    let json = o.files("2022-03-06.json");
    let j = std::fs::read_to_string(&json[0]).unwrap();
    assert!(j.contains("\"verdict\": \"rejected\"") || j.contains("\"verdict\":\"rejected\""));

    let prompts = widget_prompts(&llm);
    assert_eq!(prompts.len(), 2);
    let week2 = &prompts[1];
    assert!(!week2.contains("HISTORY SUMMARY"), "{week2}");
    assert!(week2.contains("#1 HISTORY"), "{week2}");
    for h in HISTORY_TEXT {
        assert!(week2.contains(h), "{week2}");
    }
}

#[test]
fn no_rolling_gives_the_prompt_made_without_an_earlier_summary() {
    let (_r, b) = archive();
    // Today's prompt: week 10 alone, nothing earlier in the cache.
    let llm0 = FakeLlm::start(Api::OpenAi);
    let data0 = synced(b.path());
    let out0 = tempfile::tempdir().unwrap();
    report(data0.path(), out0.path(), &llm0.url(), &W10, &[]);
    let today = widget_prompts(&llm0);
    assert_eq!(today.len(), 1);

    let llm = FakeLlm::start(Api::OpenAi);
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let o = report(
        data.path(),
        out.path(),
        &llm.url(),
        &BACKFILL,
        &["--no-rolling"],
    );
    let prompts = widget_prompts(&llm);
    assert_eq!(prompts.len(), 2);
    assert_eq!(prompts[1], today[0]);
    let md = std::fs::read_to_string(&o.files("2022-03-13.md")[0]).unwrap();
    assert!(
        md.contains("--no-rolling"),
        "the reproduce line says so: {md}"
    );

    // Also from the configuration.
    let conf = out.path().join("lore-digest.toml");
    std::fs::write(&conf, "[defaults]\nrolling = false\n").unwrap();
    let llm2 = FakeLlm::start(Api::OpenAi);
    let data2 = synced(b.path());
    let out2 = tempfile::tempdir().unwrap();
    common::Lore::new(data2.path())
        .arg("--config")
        .arg(&conf)
        .env("SOURCE_DATE_EPOCH", SDE)
        .args(["report", "t"])
        .args(BACKFILL)
        .args(["--lang", "en", "--backend", "openai", "--llm-url"])
        .arg(llm2.url())
        .args([
            "--model",
            OPENAI_MODEL,
            "--num-ctx",
            "32768",
            "--format",
            "md",
        ])
        .arg("--out")
        .arg(out2.path())
        .ok();
    assert_eq!(widget_prompts(&llm2)[1], today[0]);
}
