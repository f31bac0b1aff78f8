//! Support for the summarizer's integration tests (`tests/summarize_*.rs`):
//! - [`FakeLlm`]: an HTTP/1.1 server on 127.0.0.1 (a `LoopbackServer`, one
//!   thread per connection) that follows Ollama's documented API (`/api/chat`,
//!   `/api/generate`, `/api/show`, `/api/tags`, `/api/version`; streaming
//!   NDJSON and single JSON answers) or the OpenAI API (`/v1/models`,
//!   `/v1/chat/completions`), with misbehaviour chosen by markers in the
//!   thread's subject (`MARK-429`, `MARK-500`, `MARK-GARBAGE`, `MARK-SLOW`,
//!   `MARK-CTX`, `MARK-EMPTY`, `MARK-FLAKY`, `MARK-THINK`) when faults are on;
//! - [`synthetic_digest`]: a synthetic archive (via `tests/it/common`) synced
//!   with the real binary, and its digest of 2022-W10 built by the library.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::common::*;

pub const OLLAMA_DIGEST: &str = "845dbda0ea48ed749caafd9e6037047aa19acfcfd82e704d7ca97d631a0b697e";
/// The digest of [`FakeLlm::set_other_file`].
pub const OLLAMA_OTHER_DIGEST: &str =
    "0f6a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
pub const OLLAMA_MODEL: &str = "qwen2.5:7b-instruct";
pub const OPENAI_MODEL: &str = "gemma3-270m";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    Ollama,
    OpenAi,
}

/// One chat request as received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub path: String,
    pub body: Value,
}

impl Recorded {
    /// The user message.
    pub fn user(&self) -> String {
        let msgs = self.body["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        msgs.iter()
            .filter(|m| m["role"] == "user")
            .map(|m| m["content"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn system(&self) -> String {
        let msgs = self.body["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        msgs.iter()
            .filter(|m| m["role"] == "system")
            .map(|m| m["content"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The thread subject from the prompt's FACTS.
    pub fn subject(&self) -> String {
        subject_of(&self.user())
    }
}

fn subject_of(prompt: &str) -> String {
    prompt
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or("?")
        .to_string()
}

/// Answers a chat from its user prompt.
pub type AnswerFn = dyn Fn(&str) -> String + Send + Sync;

struct State {
    api: Api,
    /// When set, every chat is answered with this (no faults, no markers).
    answer: Option<Arc<AnswerFn>>,
    faults: AtomicBool,
    slow: Duration,
    chats: AtomicUsize,
    recorded: Mutex<Vec<Recorded>>,
    flaky_seen: Mutex<HashMap<String, usize>>,
    /// Value of "created" in /v1/models (changes on every call, as
    /// llama-server's does).
    created: AtomicUsize,
    /// Serve another file of the model (another digest), for a mix of
    /// servers.
    other_file: AtomicBool,
    /// Answer every chat request with 503 (a server failing mid-run).
    failing: AtomicBool,
}

/// A fake LLM server; stops when dropped.
pub struct FakeLlm {
    server: LoopbackServer,
    state: Arc<State>,
}

impl FakeLlm {
    pub fn start(api: Api) -> FakeLlm {
        Self::start_with(api, Duration::from_secs(3))
    }

    /// A server whose every chat answer is `answer(user prompt)`: a
    /// hostile or scripted model.
    pub fn start_answering(api: Api, answer: Arc<AnswerFn>) -> FakeLlm {
        Self::start_full(api, Duration::from_secs(3), Some(answer))
    }

    /// `slow`: how long `MARK-SLOW` threads take.
    pub fn start_with(api: Api, slow: Duration) -> FakeLlm {
        Self::start_full(api, slow, None)
    }

    fn start_full(api: Api, slow: Duration, answer: Option<Arc<AnswerFn>>) -> FakeLlm {
        let state = Arc::new(State {
            api,
            answer,
            faults: AtomicBool::new(false),
            slow,
            chats: AtomicUsize::new(0),
            recorded: Mutex::new(Vec::new()),
            flaky_seen: Mutex::new(HashMap::new()),
            created: AtomicUsize::new(1_700_000_000),
            other_file: AtomicBool::new(false),
            failing: AtomicBool::new(false),
        });
        let st = Arc::clone(&state);
        // One thread per connection: requests run in parallel.
        let server = LoopbackServer::start(move |conn| {
            let st = Arc::clone(&st);
            std::thread::spawn(move || {
                let _ = handle(conn, &st);
            });
        });
        FakeLlm { server, state }
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// `http://127.0.0.1:PORT` (Ollama) or `http://127.0.0.1:PORT/v1`.
    pub fn url(&self) -> String {
        match self.state.api {
            Api::Ollama => self.server.url(),
            Api::OpenAi => format!("{}/v1", self.server.url()),
        }
    }

    /// Honour the `MARK-…` markers.
    pub fn set_faults(&self, on: bool) {
        self.state.faults.store(on, Ordering::SeqCst);
    }

    /// Serve another file under the same model name (another digest in
    /// `/api/tags`, other metadata in `/v1/models`).
    pub fn set_other_file(&self, on: bool) {
        self.state.other_file.store(on, Ordering::SeqCst);
    }

    /// Answer every chat request with HTTP 503 (probes still answer).
    pub fn set_failing(&self, on: bool) {
        self.state.failing.store(on, Ordering::SeqCst);
    }

    /// Chat requests received so far.
    pub fn chats(&self) -> usize {
        self.state.chats.load(Ordering::SeqCst)
    }

    pub fn recorded(&self) -> Vec<Recorded> {
        self.state.recorded.lock().unwrap().clone()
    }

    /// Chat requests whose thread subject contains `needle`.
    pub fn chats_for(&self, needle: &str) -> usize {
        self.recorded()
            .iter()
            .filter(|r| r.subject().contains(needle))
            .count()
    }
}

/// A port on which nothing listens.
pub fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let p = l.local_addr().unwrap().port();
    drop(l);
    p
}

struct Req {
    method: String,
    path: String,
    body: Vec<u8>,
}

fn read_request(conn: &mut TcpStream) -> std::io::Result<Req> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut r = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(Req { method, path, body })
}

fn respond(conn: &mut TcpStream, status: u16, ctype: &str, body: &[u8]) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes())?;
    conn.write_all(body)?;
    conn.flush()
}

fn respond_json(conn: &mut TcpStream, status: u16, v: &Value) -> std::io::Result<()> {
    respond(conn, status, "application/json", v.to_string().as_bytes())
}

/// NDJSON lines as a chunked body, one chunk per line.
fn respond_stream(conn: &mut TcpStream, lines: &[Value]) -> std::io::Result<()> {
    conn.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    )?;
    for l in lines {
        let data = format!("{l}\n");
        conn.write_all(format!("{:x}\r\n{data}\r\n", data.len()).as_bytes())?;
        conn.flush()?;
        std::thread::sleep(Duration::from_millis(5));
    }
    conn.write_all(b"0\r\n\r\n")?;
    conn.flush()
}

/// What the fake model answers for a prompt: a correct, cited summary, or
/// one with a planted error when the thread's subject carries a `GROUND-…`
/// marker (see [`planted_error`]); for the report's highlights, two items
/// citing the first threads.
pub fn answer_for(user: &str) -> String {
    let subject = subject_of(user);
    if user.contains("THREAD SUMMARIES") {
        let mut a = "- The participants discussed the first thread [T1].".to_string();
        if user.contains("\n[T2] ") {
            a.push_str("\n- Work went on in the second thread [T2].");
        }
        a
    } else if user.contains("NOTES ON ") {
        format!(
            "Topic: merged summary of {subject} [#1].\nEarlier discussion: from the notes [#1].\nThis window: from the notes [#2].\nOpen questions and outcome: none stated."
        )
    } else if user.contains("This is part ") || user.contains("这是第 ") {
        format!("Notes on this part of {subject}: people discussed the patches [#1].")
    } else if let Some(bad) = planted_error(&subject) {
        format!(
            "Topic: model summary of {subject} [#1].\nEarlier discussion: none, the thread started in this window.\nThis window: the participants discussed it [#1]. {bad}\nOpen questions and outcome: none stated."
        )
    } else {
        format!(
            "Topic: model summary of {subject} [#1].\nEarlier discussion: none, the thread started in this window.\nThis window: the participants discussed it [#1].\nOpen questions and outcome: none stated."
        )
    }
}

/// Markers of planted errors, the problem kind each must raise, and the
/// statement the fake model adds for it.
pub const PLANTED: &[(&str, &str, &str)] = &[
    (
        "GROUND-CITATION",
        "citation",
        "The author answered the review [#9].",
    ),
    (
        "GROUND-NAME",
        "name",
        "Quentin Question reviewed the fix [#1].",
    ),
    (
        "GROUND-VERSION",
        "version",
        "This is v4 of the series, based on v5.19-rc2 [#1].",
    ),
    (
        "GROUND-IDENT",
        "identifier",
        "It changes kvm_arch_vcpu_widget_reset() in arch/arm64/kvm/widget.c [#1].",
    ),
    (
        "GROUND-EXPANSION",
        "expansion",
        "It relies on FWB (Firmware Workaround) [#1].",
    ),
    (
        "GROUND-UNCITED",
        "uncited",
        "The fix was tested on several boards and found to work well.",
    ),
];

fn planted_error(subject: &str) -> Option<&'static str> {
    PLANTED
        .iter()
        .find(|(m, _, _)| subject.contains(m))
        .map(|(_, _, bad)| *bad)
}

enum Fault {
    None,
    Status(u16, Value),
    Garbage,
    Slow,
    Empty,
    Think,
    Echo,
}

fn fault_for(state: &State, user: &str) -> Fault {
    if state.failing.load(Ordering::SeqCst) {
        return Fault::Status(503, json!({ "error": "server shutting down" }));
    }
    if !state.faults.load(Ordering::SeqCst) {
        return Fault::None;
    }
    let subject = subject_of(user);
    let ollama = state.api == Api::Ollama;
    let err = |msg: &str, code: u16| {
        if ollama {
            json!({ "error": msg })
        } else {
            json!({ "error": { "code": code, "message": msg, "type": "server_error" } })
        }
    };
    if subject.contains("MARK-429") {
        Fault::Status(
            429,
            err(
                "server busy, please try again.  maximum pending requests exceeded",
                429,
            ),
        )
    } else if subject.contains("MARK-500") {
        Fault::Status(
            500,
            err("llama runner process has terminated: exit status 2", 500),
        )
    } else if subject.contains("MARK-CTX") {
        Fault::Status(
            400,
            err(
                "the input length exceeds the context length (9000 > 8192 tokens)",
                400,
            ),
        )
    } else if subject.contains("MARK-GARBAGE") {
        Fault::Garbage
    } else if subject.contains("MARK-SLOW") {
        Fault::Slow
    } else if subject.contains("MARK-EMPTY") {
        Fault::Empty
    } else if subject.contains("MARK-THINK") {
        Fault::Think
    } else if subject.contains("MARK-ECHO") {
        Fault::Echo
    } else if subject.contains("MARK-FLAKY") {
        let mut seen = state.flaky_seen.lock().unwrap();
        let n = seen.entry(subject).or_insert(0);
        *n += 1;
        if *n == 1 {
            Fault::Status(503, err("model is loading", 503))
        } else {
            Fault::None
        }
    } else {
        Fault::None
    }
}

fn handle(mut conn: TcpStream, st: &State) -> std::io::Result<()> {
    let req = read_request(&mut conn)?;
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    match (st.api, req.method.as_str(), req.path.as_str()) {
        (Api::Ollama, "GET", "/api/version") => {
            respond_json(&mut conn, 200, &json!({ "version": "0.6.5" }))
        }
        (Api::Ollama, "GET", "/api/tags") => respond_json(
            &mut conn,
            200,
            &json!({ "models": [
                { "name": "llama3.2:1b", "model": "llama3.2:1b", "modified_at": "2025-01-01T00:00:00Z",
                  "size": 1321098329u64, "digest": "baf6a787fdffd633537aa2eb51cfd54cb93ff08e28040095462bb63daf552878",
                  "details": { "format": "gguf", "family": "llama", "parameter_size": "1.2B", "quantization_level": "Q8_0" } },
                { "name": OLLAMA_MODEL, "model": OLLAMA_MODEL, "modified_at": "2025-01-01T00:00:00Z",
                  "size": 4683087332u64,
                  "digest": if st.other_file.load(Ordering::SeqCst) { OLLAMA_OTHER_DIGEST } else { OLLAMA_DIGEST },
                  "details": { "format": "gguf", "family": "qwen2", "parameter_size": "7.6B", "quantization_level": "Q4_K_M" } }
            ] }),
        ),
        (Api::Ollama, "POST", "/api/show") => {
            let name = body["model"]
                .as_str()
                .or(body["name"].as_str())
                .unwrap_or("");
            if name != OLLAMA_MODEL {
                return respond_json(
                    &mut conn,
                    404,
                    &json!({ "error": format!("model '{name}' not found") }),
                );
            }
            respond_json(
                &mut conn,
                200,
                &json!({
                    "modelfile": "FROM qwen2.5", "parameters": "", "template": "{{ .Prompt }}",
                    "details": { "format": "gguf", "family": "qwen2" },
                    "model_info": { "general.architecture": "qwen2", "qwen2.context_length": 32768 },
                    "capabilities": ["completion"]
                }),
            )
        }
        (Api::Ollama, "POST", "/api/chat") | (Api::Ollama, "POST", "/api/generate") => {
            let generate = req.path == "/api/generate";
            st.chats.fetch_add(1, Ordering::SeqCst);
            st.recorded.lock().unwrap().push(Recorded {
                path: req.path.clone(),
                body: body.clone(),
            });
            let user = if generate {
                body["prompt"].as_str().unwrap_or("").to_string()
            } else {
                Recorded {
                    path: String::new(),
                    body: body.clone(),
                }
                .user()
            };
            let model = body["model"].as_str().unwrap_or("").to_string();
            if model != OLLAMA_MODEL {
                return respond_json(
                    &mut conn,
                    404,
                    &json!({ "error": format!("model \"{model}\" not found, try pulling it first") }),
                );
            }
            // Ollama streams unless told not to.
            let stream = body["stream"].as_bool().unwrap_or(true);
            let mut text = match &st.answer {
                Some(f) => f(&user),
                None => answer_for(&user),
            };
            match fault_for(st, &user) {
                Fault::None => {}
                Fault::Status(code, v) => return respond_json(&mut conn, code, &v),
                Fault::Garbage => {
                    return respond(
                        &mut conn,
                        200,
                        "application/json",
                        b"<html><body>502 Bad Gateway</body></html>",
                    );
                }
                Fault::Slow => std::thread::sleep(st.slow),
                Fault::Empty => text.clear(),
                Fault::Think => text = format!("<think>\nLet me think.\n</think>\n{text}"),
                Fault::Echo => text = user.clone(),
            }
            let prompt_tokens = user.len() / 4;
            let now = "2025-01-01T00:00:00Z";
            let done = |content: &str| {
                let mut v = json!({
                    "model": model, "created_at": now, "done": true, "done_reason": "stop",
                    "total_duration": 1000, "load_duration": 10, "prompt_eval_count": prompt_tokens,
                    "prompt_eval_duration": 100, "eval_count": 42, "eval_duration": 100
                });
                if generate {
                    v["response"] = json!(content);
                } else {
                    v["message"] = json!({ "role": "assistant", "content": content });
                }
                v
            };
            if stream {
                let mut lines = Vec::new();
                let chars: Vec<char> = text.chars().collect();
                for piece in chars.chunks(chars.len().div_ceil(3).max(1)) {
                    let piece: String = piece.iter().collect();
                    let mut v = json!({ "model": model, "created_at": now, "done": false });
                    if generate {
                        v["response"] = json!(piece);
                    } else {
                        v["message"] = json!({ "role": "assistant", "content": piece });
                    }
                    lines.push(v);
                }
                lines.push(done(""));
                respond_stream(&mut conn, &lines)
            } else {
                respond_json(&mut conn, 200, &done(&text))
            }
        }
        (Api::OpenAi, "GET", "/v1/models") => {
            let created = st.created.fetch_add(1, Ordering::SeqCst);
            let size: u64 = if st.other_file.load(Ordering::SeqCst) {
                291_545_344
            } else {
                253_104_384
            };
            respond_json(
                &mut conn,
                200,
                &json!({ "object": "list", "data": [
                    { "id": OPENAI_MODEL, "object": "model", "created": created, "owned_by": "llamacpp",
                      "meta": { "vocab_type": 1, "n_vocab": 262144, "n_ctx_train": 32768, "n_embd": 640,
                                "n_params": 268098176u64, "size": size } }
                ] }),
            )
        }
        (Api::OpenAi, "POST", "/v1/chat/completions") => {
            st.chats.fetch_add(1, Ordering::SeqCst);
            let rec = Recorded {
                path: req.path.clone(),
                body: body.clone(),
            };
            let user = rec.user();
            st.recorded.lock().unwrap().push(rec);
            let mut text = match &st.answer {
                Some(f) => f(&user),
                None => answer_for(&user),
            };
            match fault_for(st, &user) {
                Fault::None => {}
                Fault::Status(code, v) => return respond_json(&mut conn, code, &v),
                Fault::Garbage => {
                    return respond(&mut conn, 200, "text/plain", b"\x00\x01 not json at all");
                }
                Fault::Slow => std::thread::sleep(st.slow),
                Fault::Empty => text.clear(),
                Fault::Think => text = format!("<think>\nLet me think.\n</think>\n{text}"),
                Fault::Echo => text = user.clone(),
            }
            respond_json(
                &mut conn,
                200,
                &json!({
                    "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,
                    "model": body["model"],
                    "choices": [ { "index": 0, "finish_reason": "stop",
                                   "message": { "role": "assistant", "content": text } } ],
                    "usage": { "prompt_tokens": user.len() / 4, "completion_tokens": 42,
                               "total_tokens": user.len() / 4 + 42 }
                }),
            )
        }
        _ => respond_json(&mut conn, 404, &json!({ "error": "not found" })),
    }
}

// ---------------------------------------------------------------------------
// A synthetic archive and its digest
// ---------------------------------------------------------------------------

pub const T0: i64 = 1_646_647_200; // Monday 2022-03-07 10:00 UTC

fn at(days: f64) -> String {
    rfc2822_date(T0 + (days * 86400.0) as i64)
}

/// A plain thread of `n` mails (a root and replies), all in the window.
pub fn simple_thread(id: &str, subject: &str, body: &str) -> Vec<Vec<u8>> {
    vec![mail(
        &format!("{id}@x"),
        "Pat Poster <pat@example.org>",
        subject,
        &at(1.0),
        None,
        &[],
        body,
    )]
}

/// The mails of the standard synthetic archive:
/// - `widget`: a series (cover + 2 patches with diffs) posted last week
///   (history), reviewed last week, and a reply and an applied notice this
///   week;
/// - `question`: a question with an answer this week;
/// - `subject-only`: a mail with an empty body;
/// - one small thread per fault marker.
pub fn standard_mails() -> Vec<Vec<u8>> {
    let alice = "Alice Author <alice@example.org>";
    let bob = "Bob Reviewer <bob@example.org>";
    let maint = "Marc Maintainer <maint@example.org>";
    let mut msgs = vec![
        mail(
            "w0@x",
            alice,
            "[PATCH v2 0/2] KVM: arm64: lazy widgets",
            &at(-5.0),
            None,
            &[],
            "Hi all,\n\nThis series makes widgets lazy, so that guests which never touch\nthem do not pay for their setup.\n\nChanges since v1:\n- dropped the sysreg change\n\nAlice Author (2):\n  KVM: arm64: widget one\n  KVM: arm64: widget two\n\n arch/arm64/kvm/arm.c | 4 ++--\n 1 file changed, 2 insertions(+), 2 deletions(-)\n\n-- \n2.35.1\n",
        ),
        mail(
            "w1@x",
            alice,
            "[PATCH v2 1/2] KVM: arm64: widget one",
            &at(-5.0),
            Some("w0@x"),
            &["w0@x"],
            "Defer widget setup to first use.\n\nSigned-off-by: Alice Author <alice@example.org>\n---\n arch/arm64/kvm/arm.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\ndiff --git a/arch/arm64/kvm/arm.c b/arch/arm64/kvm/arm.c\nindex 1111111..2222222 100644\n--- a/arch/arm64/kvm/arm.c\n+++ b/arch/arm64/kvm/arm.c\n@@ -1,3 +1,3 @@\n-\twidget_init(vcpu);\n+\twidget_defer(vcpu);\n \treturn 0;\n-- \n2.35.1\n",
        ),
        mail(
            "w2@x",
            alice,
            "[PATCH v2 2/2] KVM: arm64: widget two",
            &at(-5.0),
            Some("w0@x"),
            &["w0@x"],
            "Free widgets on vcpu teardown.\n\nSigned-off-by: Alice Author <alice@example.org>\n---\ndiff --git a/arch/arm64/kvm/mmu.c b/arch/arm64/kvm/mmu.c\n--- a/arch/arm64/kvm/mmu.c\n+++ b/arch/arm64/kvm/mmu.c\n@@ -9 +9 @@\n-a\n+b\n",
        ),
        mail(
            "w3@x",
            bob,
            "Re: [PATCH v2 1/2] KVM: arm64: widget one",
            &at(-4.0),
            Some("w1@x"),
            &["w0@x", "w1@x"],
            "On Tue, 1 Mar 2022, Alice Author wrote:\n> SECRET-QUOTED-TEXT\n> Defer widget setup to first use.\n\nWhat happens if the guest touches the widget before the vcpu runs?\n\nThanks,\nBob\n",
        ),
        mail(
            "w4@x",
            alice,
            "Re: [PATCH v2 1/2] KVM: arm64: widget one",
            &at(1.0),
            Some("w3@x"),
            &["w0@x", "w1@x", "w3@x"],
            "> What happens if the guest touches the widget before the vcpu runs?\n\nThe first access traps and sets it up; I will add a comment.\n\n-- \nAlice\nSIGNATURE-TEXT\n",
        ),
        mail(
            "w5@x",
            bob,
            "Re: [PATCH v2 0/2] KVM: arm64: lazy widgets",
            &at(1.5),
            Some("w0@x"),
            &["w0@x"],
            "Fine with the explanation.\n\nReviewed-by: Bob Reviewer <bob@example.org>\n",
        ),
        mail(
            "w6@x",
            maint,
            "Re: [PATCH v2 0/2] KVM: arm64: lazy widgets",
            &at(2.0),
            Some("w0@x"),
            &["w0@x"],
            "Applied to kvmarm/next, thanks!\n\n[1/2] KVM: arm64: widget one\n      commit: 0123456789ab\n\nCheers,\n\n\tM.\n",
        ),
        mail(
            "q0@x",
            "Quentin Question <q@example.org>",
            "[Question] KVM: arm64: why does my guest hang on WFI?",
            &at(2.5),
            None,
            &[],
            "Hello,\n\nMy guest hangs on WFI when the timer is disabled. Is this expected?\n\nThanks,\nQuentin\n",
        ),
        mail(
            "q1@x",
            maint,
            "Re: [Question] KVM: arm64: why does my guest hang on WFI?",
            &at(3.0),
            Some("q0@x"),
            &["q0@x"],
            "> My guest hangs on WFI when the timer is disabled. Is this expected?\n\nYes: with no timer, nothing wakes the vcpu up. Enable the timer.\n\nM.\n",
        ),
        mail(
            "s0@x",
            "Sam Subject <sam@example.org>",
            "KVM: arm64: subject only mail",
            &at(3.5),
            None,
            &[],
            "",
        ),
    ];
    for (i, m) in [
        "MARK-429",
        "MARK-500",
        "MARK-GARBAGE",
        "MARK-SLOW",
        "MARK-CTX",
        "MARK-EMPTY",
        "MARK-FLAKY",
        "MARK-THINK",
    ]
    .iter()
    .enumerate()
    {
        msgs.extend(simple_thread(
            &format!("f{i}"),
            &format!("[PATCH] KVM: arm64: fix {m} handling"),
            "This fixes a bug in the handling of things.\n\nSigned-off-by: Pat Poster <pat@example.org>\n",
        ));
    }
    msgs
}

/// Sync `mails` into a fresh data dir (with the real binary) and build the
/// digest of 2022-W10 with bodies. Returns the data dir (keep it alive), the
/// archive and the digest.
pub fn synthetic_digest(
    mails: Vec<Vec<u8>>,
) -> (
    tempfile::TempDir,
    tempfile::TempDir,
    lore_digest::storage::archive::Archive,
    lore_digest::digest::Digest,
) {
    let (repo_dir, b) = EpochBuilder::temp();
    b.add_dated(mails);
    let data = synced(b.path());
    let (archive, digest) = digest_of(data.path(), "t", 2022, 10);
    (repo_dir, data, archive, digest)
}

/// The digest of an ISO week of a synced list.
pub fn digest_of(
    data: &Path,
    list: &str,
    year: i32,
    week: u32,
) -> (
    lore_digest::storage::archive::Archive,
    lore_digest::digest::Digest,
) {
    use lore_digest::window::{self, WindowSpec};
    let archive = lore_digest::storage::archive::Archive::open(data, list).unwrap();
    let w = window::resolve(
        &WindowSpec::Week { year, week },
        chrono_tz::UTC,
        lore_digest::storage::index::TimeField::Received,
        T0 + 30 * 86400,
    );
    let mut opts = lore_digest::digest::Options::for_list(list);
    opts.keep_bodies = true;
    let d = lore_digest::digest::build(&archive, &w, &opts).unwrap();
    (archive, d)
}

/// Index of the thread whose subject contains `needle`.
pub fn thread_index(d: &lore_digest::digest::Digest, needle: &str) -> usize {
    d.threads
        .iter()
        .position(|t| t.subject.contains(needle))
        .unwrap_or_else(|| panic!("no thread with {needle:?}"))
}

/// Settings for tests: short timeouts and backoff.
pub fn test_settings(
    backend: lore_digest::summarize::Backend,
    url: &str,
) -> lore_digest::summarize::Settings {
    use lore_digest::summarize::{Backend, Settings};
    let mut s = Settings::defaults(lore_digest::lang::Lang::En);
    s.backend = backend;
    s.backend_explicit = true;
    match backend {
        Backend::Ollama => s.ollama_urls = vec![url.to_string()],
        Backend::OpenAi => {
            s.llm_urls = vec![url.to_string()];
            s.model = OPENAI_MODEL.to_string();
        }
        Backend::Extractive => {}
    }
    s.timeout = Duration::from_millis(1500);
    s.retries = 1;
    s.backoff = Duration::from_millis(20);
    s.jobs = 3;
    s
}

/// A fresh data dir with list `t` synced from `repo`.
pub fn synced(repo: &Path) -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url"])
        .arg(repo)
        .ok();
    data
}

/// `report t ARGS` with `SOURCE_DATE_EPOCH`, English, Markdown and JSON, and
/// the OpenAI-compatible fake model at `url` (the contract's command shape).
pub fn model_report(data: &Path, out: &Path, url: &str, args: &[&str]) -> Run {
    Lore::new(data)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "report",
            "t",
            "--lang",
            "en",
            "--backend",
            "openai",
            "--llm-url",
            url,
        ])
        .args([
            "--model",
            OPENAI_MODEL,
            "--num-ctx",
            "32768",
            "--format",
            "md,json",
        ])
        .args(args)
        .arg("--out")
        .arg(out)
        .run()
}
