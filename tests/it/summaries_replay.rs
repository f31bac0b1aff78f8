//! `report --summaries-from`: a report made with a model is regenerated
//! byte for byte from its own JSON on another data directory, with an
//! empty cache and no server (no request sent); the reproduce line names
//! the JSON.

use crate::common;
use crate::summarize_support;

use std::path::Path;

use common::Run;
use summarize_support::*;

fn archive() -> (tempfile::TempDir, common::EpochBuilder) {
    let (repo_dir, b) = common::EpochBuilder::temp();
    b.add_dated(standard_mails());
    (repo_dir, b)
}

fn report(data: &Path, out: &Path, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--week", "2022-W10", "--refresh-summaries"];
    args.extend_from_slice(extra);
    model_report(data, out, url, &args)
}

#[test]
fn replay_from_json_is_byte_identical_without_model_or_cache() {
    let (_r, b) = archive();
    let llm = FakeLlm::start(Api::OpenAi);
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let first = report(data.path(), out.path(), &llm.url(), &[]);
    let (md1, json1) = (first.written("md"), first.written("json"));
    let chats = llm.chats();
    assert!(chats > 0);
    let md1 = std::fs::read_to_string(md1).unwrap();
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json1).unwrap()).unwrap();
    assert!(j["threads"][0]["summary"]["cache_key"].is_string(), "{j}");
    assert!(j["report"]["summarizer"]["endpoint"].is_string(), "{j}");
    let stem = json1.file_name().unwrap().to_str().unwrap();
    assert!(md1.contains(&format!("--summaries-from {stem}")), "{md1}");

    // Another data dir, another output dir, a dead server.
    let data2 = synced(b.path());
    let out2 = tempfile::tempdir().unwrap();
    let dead = format!("http://127.0.0.1:{}/v1", dead_port());
    let again = report(
        data2.path(),
        out2.path(),
        &dead,
        &["--summaries-from", json1.to_str().unwrap()],
    );
    let md2 = std::fs::read_to_string(again.written("md")).unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(md1, md2);
    // The JSON too: each summary keeps the source of the run that made it
    // ("model"); that it was replayed is said on stderr.
    let json2 = std::fs::read_to_string(again.written("json")).unwrap();
    assert_eq!(std::fs::read_to_string(&json1).unwrap(), json2);
    let n = j["threads"].as_array().unwrap().len();
    assert!(
        again
            .stderr
            .contains(&format!("{n} of {n} thread summaries replayed from")),
        "{}",
        again.stderr
    );
    assert_eq!(llm.chats(), chats, "no request for a replayed report");

    // The reproduce line as written: its bare JSON name is found beside
    // the report when --out names the same directory.
    let data3 = synced(b.path());
    let third = report(data3.path(), out.path(), &dead, &["--summaries-from", stem]);
    let md3 = std::fs::read_to_string(third.written("md")).unwrap();
    assert_eq!(md1, md3);
}

#[test]
fn replay_answers_only_matching_threads_and_the_model_the_rest() {
    let (_r, b) = archive();
    let llm = FakeLlm::start(Api::OpenAi);
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let first = report(data.path(), out.path(), &llm.url(), &[]);
    let json1 = first.written("json");
    let chats = llm.chats();
    // Drop one thread's key: that thread is asked again, the others not.
    let mut j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json1).unwrap()).unwrap();
    let n = j["threads"].as_array().unwrap().len();
    assert!(n > 1);
    j["threads"][0]["summary"]
        .as_object_mut()
        .unwrap()
        .remove("cache_key");
    let edited = out.path().join("edited.json");
    std::fs::write(&edited, j.to_string()).unwrap();
    let data2 = synced(b.path());
    let out2 = tempfile::tempdir().unwrap();
    let again = report(
        data2.path(),
        out2.path(),
        &llm.url(),
        &["--summaries-from", edited.to_str().unwrap()],
    );
    again.written("md");
    assert!(llm.chats() > chats);
    assert!(llm.chats() - chats < n, "{} of {n}", llm.chats() - chats);

    // Not a report: the error names the file.
    std::fs::write(&edited, "not json").unwrap();
    let bad = report(
        data2.path(),
        out2.path(),
        &llm.url(),
        &["--summaries-from", edited.to_str().unwrap()],
    );
    assert!(!bad.status.success());
    assert!(bad.stderr.contains("edited.json"), "{bad}");
}

#[test]
fn replay_reproduces_an_unusable_answer_byte_for_byte_without_asking() {
    // The model answers one thread with nothing usable (an empty answer):
    // that thread shows its extractive text, marked unavailable, and the
    // header names the error. Replayed from the JSON with a dead server,
    // the same error is shown, not the dead server's.
    let (_r, b) = archive();
    let llm = FakeLlm::start_answering(
        Api::OpenAi,
        std::sync::Arc::new(|user: &str| {
            if !user.contains("THREAD SUMMARIES") && user.contains("lazy widgets") {
                String::new()
            } else {
                answer_for(user)
            }
        }),
    );
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let first = report(data.path(), out.path(), &llm.url(), &[]);
    let (md1, json1) = (first.printed("md"), first.printed("json"));
    let md1 = std::fs::read_to_string(md1).unwrap();
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json1).unwrap()).unwrap();
    let failed = j["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["summary"]["source"] == "unavailable")
        .unwrap_or_else(|| panic!("one thread's answer was unusable: {j}"));
    assert!(failed["summary"]["cache_key"].is_string(), "{failed}");
    assert!(
        failed["summary"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("unusable answer")),
        "{failed}"
    );
    let chats = llm.chats();

    let data2 = synced(b.path());
    let out2 = tempfile::tempdir().unwrap();
    let dead = format!("http://127.0.0.1:{}/v1", dead_port());
    let again = report(
        data2.path(),
        out2.path(),
        &dead,
        &["--summaries-from", json1.to_str().unwrap()],
    );
    let md2 = std::fs::read_to_string(again.printed("md")).unwrap();
    assert_eq!(md1, md2);
    assert_eq!(first.status.code(), again.status.code());
    assert_eq!(llm.chats(), chats, "no request for a replayed report");
}

#[test]
fn header_json_and_reproduce_line_name_the_model_asked_and_the_one_that_answered() {
    let (_r, b) = archive();
    let llm = FakeLlm::start(Api::OpenAi);
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let run = |data: &Path, url: &str, extra: &[&str]| {
        common::Lore::new(data)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(["report", "t", "--week", "2022-W10", "--lang", "en"])
            .args([
                "--llm-url",
                url,
                "--model",
                "asked-model",
                "--format",
                "md,json",
            ])
            .args(extra)
            .arg("--out")
            .arg(out.path())
            .run()
    };
    let first = run(data.path(), &llm.url(), &[]);
    let md = first.written_text("md");
    let j = first.written_json();
    let sm = &j["report"]["summarizer"];
    assert_eq!(sm["model"], "asked-model", "{sm}");
    assert_eq!(sm["model_answered"], OPENAI_MODEL, "{sm}");
    assert!(
        md.contains(&format!("openai asked-model (answered: {OPENAI_MODEL})")),
        "{md}"
    );
    assert!(md.contains("--model asked-model"), "{md}");

    // Replayed as the reproduce line says, with a dead server: the same.
    let dead = format!("http://127.0.0.1:{}/v1", dead_port());
    let json1 = first.written("json");
    let stem = json1.file_name().unwrap().to_str().unwrap().to_string();
    let data2 = synced(b.path());
    let again = run(data2.path(), &dead, &["--summaries-from", &stem]);
    assert_eq!(again.written_text("md"), md);
    assert_eq!(again.written_json(), j);

    // A model the server serves under the name asked: no model_answered.
    let data3 = synced(b.path());
    let out3 = tempfile::tempdir().unwrap();
    let same = common::Lore::new(data3.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["report", "t", "--week", "2022-W10", "--lang", "en"])
        .args([
            "--llm-url",
            &llm.url(),
            "--model",
            OPENAI_MODEL,
            "--format",
            "json",
        ])
        .arg("--out")
        .arg(out3.path())
        .run();
    let sm = same.written_json()["report"]["summarizer"].clone();
    assert_eq!(sm["model"], OPENAI_MODEL, "{sm}");
    assert!(sm.get("model_answered").is_none(), "{sm}");
}

#[test]
fn llm_url_without_backend_summarizes_through_it_and_the_reproduce_line_says_so() {
    let (_r, b) = archive();
    let llm = FakeLlm::start(Api::OpenAi);
    let data = synced(b.path());
    let out = tempfile::tempdir().unwrap();
    let run = common::Lore::new(data.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["report", "t", "--week", "2022-W10", "--lang", "en"])
        .args(["--llm-url", &llm.url(), "--format", "md,json"])
        .arg("--out")
        .arg(out.path())
        .run();
    let j = run.written_json();
    assert!(
        llm.chats() > 0,
        "the URL given was not asked: {}",
        run.stderr
    );
    assert_eq!(j["report"]["summarizer"]["backend"], "openai");
    let regen = j["report"]["regenerate"].as_str().unwrap();
    assert!(
        regen.contains("--backend openai") && regen.contains(&llm.url()),
        "{regen}"
    );
    assert!(!regen.contains("--ollama-url"), "{regen}");

    // Two servers of two backends, or a server with --no-llm: refused.
    for extra in [
        &["--ollama-url", "http://127.0.0.1:9"][..],
        &["--no-llm"],
        &["--backend", "ollama"],
    ] {
        let r = common::Lore::new(data.path())
            .args(["report", "t", "--week", "2022-W10", "--llm-url", &llm.url()])
            .args(extra)
            .arg("--out")
            .arg(out.path())
            .run();
        assert_eq!(r.status.code(), Some(2), "{extra:?}: {}", r.stderr);
        assert!(r.stderr.contains("--llm-url"), "{extra:?}: {}", r.stderr);
    }
}
