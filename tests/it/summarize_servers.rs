//! Several model servers (`--llm-url`/`--ollama-url` given more than once):
//! requests spread over them, a server down at the start or failing later is
//! left aside, and servers that serve different models are refused.

use crate::summarize_support;

use lore_digest::progress::Progress;
use lore_digest::summarize::{self, Backend, Failure, Settings, SummarySource};
use serde_json::Value;
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

fn openai(urls: &[String]) -> Settings {
    let mut s = test_settings(Backend::OpenAi, &urls[0]);
    s.llm_urls = urls.to_vec();
    s.jobs = 1;
    s
}

fn all_model(o: &summarize::Outcome) -> bool {
    o.failed == 0 && o.summaries.iter().all(|s| s.source == SummarySource::Model)
}

#[test]
fn requests_go_to_every_server_with_a_free_slot() {
    let (_r, _d, archive, digest) = synthetic_digest(standard_mails());
    let n = digest.threads.len();
    let (a, b) = (FakeLlm::start(Api::OpenAi), FakeLlm::start(Api::OpenAi));
    let o = run(&digest, &openai(&[a.url(), b.url()]), &archive);
    assert!(all_model(&o), "{:?}", o.summaries);
    assert!(
        a.chats() > 0 && b.chats() > 0,
        "{} {}",
        a.chats(),
        b.chats()
    );
    assert_eq!(a.chats() + b.chats(), n);
    assert_eq!(o.requests, n);
}

#[test]
fn a_server_down_at_the_start_is_skipped() {
    let (_r, _d, archive, digest) = synthetic_digest(standard_mails());
    let n = digest.threads.len();
    let a = FakeLlm::start(Api::OpenAi);
    let dead = format!("http://127.0.0.1:{}/v1", dead_port());
    let o = run(&digest, &openai(&[dead, a.url()]), &archive);
    assert!(all_model(&o), "{:?}", o.summaries);
    assert_eq!(a.chats(), n);
    assert!(o.notice.is_none(), "{:?}", o.notice);
}

#[test]
fn a_server_failing_mid_run_is_avoided_and_its_requests_sent_elsewhere() {
    let (_r, _d, archive, digest) = synthetic_digest(standard_mails());
    let n = digest.threads.len();
    let (a, b) = (FakeLlm::start(Api::OpenAi), FakeLlm::start(Api::OpenAi));
    // Both answer the probe; `a` then fails every chat request.
    a.set_failing(true);
    let mut s = openai(&[a.url(), b.url()]);
    s.retries = 0;
    let o = run(&digest, &s, &archive);
    assert!(all_model(&o), "{:?}", o.summaries);
    assert_eq!(b.chats(), n);
    // Once it failed, it is passed over: at most one request (one slot).
    assert_eq!(a.chats(), 1);
}

#[test]
fn every_server_failing_still_fails_each_thread_with_the_cause() {
    let (_r, _d, archive, digest) = synthetic_digest(standard_mails());
    let (a, b) = (FakeLlm::start(Api::OpenAi), FakeLlm::start(Api::OpenAi));
    a.set_failing(true);
    b.set_failing(true);
    let o = run(&digest, &openai(&[a.url(), b.url()]), &archive);
    assert_eq!(o.failed, digest.threads.len());
    let e = o.summaries[0].error.as_ref().map(Failure::as_str).unwrap();
    assert!(e.contains("HTTP 503"), "{e}");
}

#[test]
fn servers_with_different_models_are_refused() {
    let (_r, _d, archive, digest) = synthetic_digest(standard_mails());
    for api in [Api::OpenAi, Api::Ollama] {
        let (a, b) = (FakeLlm::start(api), FakeLlm::start(api));
        b.set_other_file(true);
        let s = match api {
            Api::OpenAi => openai(&[a.url(), b.url()]),
            Api::Ollama => {
                let mut s = test_settings(Backend::Ollama, &a.url());
                s.ollama_urls = vec![a.url(), b.url()];
                s
            }
        };
        let o = run(&digest, &s, &archive);
        assert_eq!(o.failed, digest.threads.len(), "{api:?}");
        assert_eq!(a.chats() + b.chats(), 0, "{api:?}: nothing is asked");
        let notice = o.notice.unwrap();
        assert!(notice.contains("different models"), "{notice}");
        for port in [a.port(), b.port()] {
            assert!(notice.contains(&format!(":{port}")), "{notice}");
        }
        if api == Api::Ollama {
            assert!(notice.contains(OLLAMA_DIGEST) && notice.contains(OLLAMA_OTHER_DIGEST));
        }
    }
}

/// The command line: `--llm-url` twice; both servers are asked, the
/// regenerate command names both; with one down every thread still gets a
/// model summary.
#[test]
fn report_with_two_llm_urls() {
    let (_r, data, _archive, _digest) = synthetic_digest(standard_mails());
    let (a, b) = (FakeLlm::start(Api::OpenAi), FakeLlm::start(Api::OpenAi));
    let out_dir = data.path().join("R");
    let report = |u1: &str, u2: &str| -> Value {
        crate::common::Lore::new(data.path())
            .args([
                "report",
                "t",
                "--week",
                "2022-W10",
                "--backend",
                "openai",
                "--llm-url",
                u1,
                "--llm-url",
                u2,
                "--jobs",
                "4",
                "--model",
                OPENAI_MODEL,
                "--num-ctx",
                "32768",
                "--refresh-summaries",
                "--lang",
                "en",
                "--format",
                "json",
                "--out",
            ])
            .arg(&out_dir)
            .run()
            .code(0);
        let j: Value = serde_json::from_str(
            &std::fs::read_to_string(out_dir.join("t/2022/t-2022-03-13.json")).unwrap(),
        )
        .unwrap();
        for t in j["threads"].as_array().unwrap() {
            let src = t["summary"]["source"].as_str().unwrap();
            assert!(src == "model" || src == "cache", "{}", t["summary"]);
        }
        j
    };
    let j = report(&a.url(), &b.url());
    assert!(
        a.chats() > 0 && b.chats() > 0,
        "{} {}",
        a.chats(),
        b.chats()
    );
    let regen = j["report"]["regenerate"].as_str().unwrap();
    assert!(
        regen.contains(&format!("--llm-url {} --llm-url {}", a.url(), b.url())),
        "{regen}"
    );
    drop(b);
    let dead = format!("http://127.0.0.1:{}/v1", dead_port());
    let before = a.chats();
    report(&dead, &a.url());
    assert!(a.chats() > before);
}

/// `[defaults] llm_url` as a list in the configuration.
#[test]
fn config_lists_several_llm_urls() {
    let (_r, data, _archive, _digest) = synthetic_digest(standard_mails());
    let (a, b) = (FakeLlm::start(Api::OpenAi), FakeLlm::start(Api::OpenAi));
    let cfg = data.path().join("lore-digest.toml");
    std::fs::write(
        &cfg,
        format!(
            "[defaults]\nbackend = \"openai\"\nmodel = \"{OPENAI_MODEL}\"\nllm_url = [\"{}\", \"{}\"]\njobs = 1\n",
            a.url(),
            b.url()
        ),
    )
    .unwrap();
    crate::common::Lore::new(data.path())
        .arg("--config")
        .arg(&cfg)
        .args([
            "report", "t", "--week", "2022-W10", "--format", "json", "--out",
        ])
        .arg(data.path().join("R"))
        .run()
        .code(0);
    assert!(
        a.chats() > 0 && b.chats() > 0,
        "{} {}",
        a.chats(),
        b.chats()
    );
}
