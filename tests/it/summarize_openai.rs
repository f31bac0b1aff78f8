//! The summarizer against an in-test OpenAI-compatible server
//! (`/v1/models`, `/v1/chat/completions`).

use crate::summarize_support;

use std::time::Duration;

use lore_digest::progress::Progress;
use lore_digest::summarize::{self, Backend, Failure, Settings, SummarySource};
use summarize_support::*;

fn run(
    d: &lore_digest::digest::Digest,
    s: &Settings,
    a: &lore_digest::storage::archive::Archive,
) -> summarize::Outcome {
    summarize::summarize(
        d,
        s,
        &lore_digest::summarize::cache::open_store(&a.summaries_path(), None).unwrap(),
        &Progress::hidden(),
    )
}

#[test]
fn answers_cache_and_refresh() {
    let (_r, _d, archive, digest) = synthetic_digest(standard_mails());
    let n = digest.threads.len();
    let server = FakeLlm::start(Api::OpenAi);
    let settings = test_settings(Backend::OpenAi, &server.url());
    let o = run(&digest, &settings, &archive);
    assert_eq!(o.failed, 0, "{:?}", o.summaries);
    assert!(o.summaries.iter().all(|s| s.source == SummarySource::Model));
    assert!(o.summaries[0].text.starts_with("Topic: model summary of "));
    assert_eq!(o.requests, n);
    assert_eq!(server.chats(), n);
    let m = o.model.clone().unwrap();
    assert_eq!(m.backend, Backend::OpenAi);
    assert_eq!(m.name, OPENAI_MODEL);
    let digest1 = m.digest.unwrap();
    assert!(digest1.starts_with("sha256:"), "{digest1}");
    for r in server.recorded() {
        assert_eq!(r.path, "/v1/chat/completions");
        assert_eq!(r.body["model"], OPENAI_MODEL);
        assert_eq!(r.body["temperature"], 0.0);
        assert_eq!(r.body["seed"], 42);
        assert_eq!(r.body["max_tokens"], 800);
        assert_eq!(r.body["stream"], false);
    }

    // The server's "created" changes on every /v1/models call; the digest
    // (and so the cache key) does not.
    let o2 = run(&digest, &settings, &archive);
    assert_eq!(o2.model.unwrap().digest.unwrap(), digest1);
    assert_eq!(o2.requests, 0);
    assert_eq!(o2.cache_hits, n);
    assert!(
        o2.summaries
            .iter()
            .all(|s| s.source == SummarySource::Cache)
    );

    let mut refresh = settings.clone();
    refresh.refresh = true;
    let o3 = run(&digest, &refresh, &archive);
    assert_eq!(o3.requests, n);
    assert_eq!(server.chats(), 2 * n);
}

#[test]
fn the_one_served_model_is_used_and_reported() {
    let (_r, _d, archive, digest) = synthetic_digest(standard_mails());
    let server = FakeLlm::start(Api::OpenAi);
    let mut settings = test_settings(Backend::OpenAi, &server.url());
    settings.model = "qwen2.5:7b-instruct".into();
    let o = run(&digest, &settings, &archive);
    assert_eq!(o.failed, 0);
    assert_eq!(o.model.unwrap().name, OPENAI_MODEL);
    assert!(
        server
            .recorded()
            .iter()
            .all(|r| r.body["model"] == OPENAI_MODEL)
    );
}

#[test]
fn failures_per_thread() {
    let (_r, _d, archive, digest) = synthetic_digest(standard_mails());
    let server = FakeLlm::start_with(Api::OpenAi, Duration::from_secs(4));
    server.set_faults(true);
    let settings = test_settings(Backend::OpenAi, &server.url());
    let o = run(&digest, &settings, &archive);
    let expect = [
        ("MARK-429", "HTTP 429"),
        ("MARK-500", "HTTP 500"),
        ("MARK-GARBAGE", "undecodable answer"),
        ("MARK-SLOW", "no answer within"),
        ("MARK-CTX", "context length exceeded"),
        ("MARK-EMPTY", "empty answer"),
    ];
    for (s, t) in o.summaries.iter().zip(&digest.threads) {
        match expect.iter().find(|(m, _)| t.subject.contains(m)) {
            Some((m, err)) => {
                assert_eq!(s.source, SummarySource::Unavailable, "{m}");
                assert!(
                    s.error.as_ref().map(Failure::as_str).unwrap().contains(err),
                    "{m}: {s:?}"
                );
                assert_eq!(
                    s.text,
                    summarize::extractive(t, lore_digest::lang::Lang::En)
                );
                assert!(!s.text.contains("HTTP"));
            }
            None => assert_eq!(s.source, SummarySource::Model, "{}: {s:?}", t.subject),
        }
    }
    assert_eq!(o.failed, expect.len());
    assert_eq!(server.chats_for("MARK-429"), 2);
    assert_eq!(server.chats_for("MARK-CTX"), 1);
    assert_eq!(server.chats_for("MARK-FLAKY"), 2);
}

#[test]
fn server_down() {
    let (_r, _d, archive, digest) = synthetic_digest(standard_mails());
    let n = digest.threads.len();
    let url = format!("http://127.0.0.1:{}/v1", dead_port());
    let mut s = test_settings(Backend::OpenAi, &url);
    let o = run(&digest, &s, &archive);
    assert!(
        o.summaries
            .iter()
            .all(|x| x.source == SummarySource::Unavailable)
    );
    assert_eq!(o.failed, n);
    assert!(o.notice.is_some());
    s.backend_explicit = false;
    let o = run(&digest, &s, &archive);
    assert!(
        o.summaries
            .iter()
            .all(|x| x.source == SummarySource::Extractive)
    );
    assert_eq!(o.failed, 0);
    assert!(o.notice.unwrap().contains("extractive"));
}

/// Against a real OpenAI-compatible server (e.g. `scripts/llm-server.sh
/// start PORT`): `LORE_DIGEST_LLM_URL=http://127.0.0.1:PORT/v1 cargo test
/// --test it summarize_openai::real_server -- --ignored --nocapture`. Checks
/// structure only (small test models write poor summaries) and prints the
/// server's prompt token counts against the estimate.
#[test]
#[ignore]
fn real_server() {
    let Ok(url) = std::env::var("LORE_DIGEST_LLM_URL") else {
        eprintln!("skipping: LORE_DIGEST_LLM_URL is not set");
        return;
    };
    let (_r, _d, archive, digest) = synthetic_digest(standard_mails());
    let mut s = test_settings(Backend::OpenAi, &url);
    s.model = std::env::var("LORE_DIGEST_LLM_MODEL").unwrap_or_else(|_| OPENAI_MODEL.into());
    s.timeout = Duration::from_secs(300);
    s.jobs = 1;
    s.num_predict = 200;
    s.num_ctx = 4096;
    let t0 = std::time::Instant::now();
    let o = run(&digest, &s, &archive);
    println!(
        "{} threads in {:.1} s: {} requests, estimated {} prompt tokens, server counted {}",
        digest.threads.len(),
        t0.elapsed().as_secs_f64(),
        o.requests,
        o.prompt_tokens_estimated,
        o.prompt_tokens_reported
    );
    println!("model: {:?}", o.model);
    for (x, t) in o.summaries.iter().zip(&digest.threads) {
        println!(
            "--- {} [{:?}] {:?}\n{}",
            t.subject, x.source, x.error, x.text
        );
        assert!(!x.text.trim().is_empty());
    }
    assert!(o.prompt_tokens_reported <= o.prompt_tokens_estimated);
    let again = run(&digest, &s, &archive);
    assert_eq!(again.requests, o.failed);
}

/// Summaries are paid for: `index --rebuild` (or a damaged index moved
/// aside) must not throw them away, so the same report asks nothing again.
#[test]
fn summaries_survive_an_index_rebuild() {
    let (_r, data, _archive, _digest) = synthetic_digest(standard_mails());
    let server = FakeLlm::start(Api::OpenAi);
    let out_dir = data.path().join("R");
    let report = || {
        crate::common::Lore::new(data.path())
            .args([
                "report",
                "t",
                "--week",
                "2022-W10",
                "--backend",
                "openai",
                "--llm-url",
            ])
            .arg(server.url())
            .args([
                "--model",
                OPENAI_MODEL,
                "--num-ctx",
                "32768",
                "--format",
                "json",
                "--out",
            ])
            .arg(&out_dir)
            .run()
            .code(0);
    };
    report();
    let asked = server.chats();
    assert!(asked > 0);
    assert!(data.path().join("t/summaries.sqlite3").exists());
    crate::common::Lore::new(data.path())
        .args(["index", "t", "--rebuild"])
        .ok();
    report();
    assert_eq!(server.chats(), asked, "the second report sends no request");
}
