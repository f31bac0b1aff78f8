//! Thread summaries: one model answer per thread per report (or a split +
//! merge for long threads), cached in the list's summary store, with an
//! extractive summary (no model) for `--no-llm`, for an absent default
//! server, and as the text of every summary that failed.
//!
//! Backends ([`Backend`]): `ollama` (default; [`ollama`]), any
//! OpenAI-compatible `/chat/completions` server ([`openai`]), and
//! `extractive` ([`extractive()`]).
//!
//! Default model: `qwen2.5:7b-instruct`, an instruction-tuned model that
//! writes good Chinese and English, follows the "quoted material, not
//! instructions" framing, has a 32k context, and runs on a CPU-only machine
//! (the 4-bit default tag is ~4.7 GB, fits in 8 GB of RAM).
//!
//! Determinism: temperature 0, a fixed seed (taken modulo 2^31 since Ollama
//! reads it as a 32-bit integer), explicit `num_ctx` and `num_predict`.
//! Markdown, HTML and JSON show the same text because they render the one
//! [`Outcome`].
//!
//! Flow of [`summarize`]: probe the servers (model name and digest; several
//! servers must serve the same model, see `choose_servers`), build
//! each thread's prompt ([`prompt`]; with the summary of an earlier state
//! of the thread in place of its first history mails when the store has
//! one, see [`rolling`]) and cache key ([`cache`]), look the
//! keys up, send what is missing concurrently (`jobs` in flight per server,
//! each request to the least busy server that has not failed lately, a
//! timeout per request, another server or retries with backoff for
//! transient errors) on a tokio
//! runtime made here, store the answers, and return one [`Summary`] per
//! thread. The database is used from the calling thread only.

mod backend;
pub mod cache;
pub mod condense;
mod extractive;
pub mod hash;
pub mod ollama;
pub mod openai;
pub mod prompt;
pub mod rolling;
pub mod sanitize;
pub mod synthesis;

use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::digest::{Digest, ThreadView};
use crate::progress::Progress;

pub use backend::CallError;
pub use extractive::{extractive, fill_previous_review};
pub use prompt::{estimate_tokens, prompt_version};

use backend::{ModelBackend, Probe};
use cache::{Cache, KeyParts};
use prompt::{Budget, Plan, Request, norm_lang};

/// The default Ollama model (see the module documentation).
pub const DEFAULT_MODEL: &str = "qwen2.5:7b-instruct";

/// Which summarizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// Ollama's API (ollama-rs).
    Ollama,
    /// Any OpenAI-compatible `/v1/chat/completions` server (llama.cpp, vLLM, LM Studio).
    #[value(name = "openai")]
    OpenAi,
    /// No model: facts, cover letter, who said what.
    Extractive,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Ollama => "ollama",
            Backend::OpenAi => "openai",
            Backend::Extractive => "extractive",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Backend, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ollama" => Ok(Backend::Ollama),
            "openai" | "openai-compatible" => Ok(Backend::OpenAi),
            "extractive" | "none" => Ok(Backend::Extractive),
            _ => Err(format!(
                "unknown summary backend {s:?} (ollama, openai, extractive)"
            )),
        }
    }
}

/// How to summarize.
#[derive(Debug, Clone)]
pub struct Settings {
    pub backend: Backend,
    /// The user chose the backend or its URL. When false and the default
    /// server does not answer, summaries are extractive with a notice;
    /// when true, they are marked unavailable and count as failed.
    pub backend_explicit: bool,
    pub model: String,
    /// Ollama servers, `OLLAMA_HOST`-style addresses (scheme and port
    /// optional); never empty. The first is the one notices name.
    pub ollama_urls: Vec<String>,
    /// Bases of OpenAI-compatible servers, e.g. `http://127.0.0.1:8080/v1`
    /// (none: the openai backend cannot be used).
    pub llm_urls: Vec<String>,
    /// `zh` or `en` (any `zh…` tag is Chinese, anything else English).
    pub lang: String,
    pub num_ctx: u32,
    pub num_predict: u32,
    pub seed: u64,
    /// Requests in flight per server (a request goes to whichever server
    /// has a free slot).
    pub jobs: usize,
    /// Limit for one request (the whole answer). Requests waiting in a
    /// server's queue count, so allow for `jobs` × generation time when the
    /// server handles one request at a time.
    pub timeout: Duration,
    /// Further attempts after a transient error (connection lost, timeout,
    /// HTTP 408/429/5xx).
    pub retries: u32,
    /// First wait before a retry; doubles each time, at most 30 s.
    pub backoff: Duration,
    /// Ignore cached summaries (answers are still stored).
    pub refresh: bool,
    /// Ollama only: stream the answer (NDJSON) instead of one JSON reply.
    pub stream: bool,
    /// Rolling summaries: a thread whose earlier state has a summary gets
    /// it in place of the history mails it covers (see [`rolling`]).
    pub rolling: bool,
}

impl Settings {
    /// Defaults: Ollama at 127.0.0.1:11434 with [`DEFAULT_MODEL`], 8192
    /// tokens of context, 800 for the answer, seed 42, 2 jobs, 600 s per
    /// request, 2 retries.
    pub fn defaults(lang: &str) -> Settings {
        Settings {
            backend: Backend::Ollama,
            backend_explicit: false,
            model: DEFAULT_MODEL.to_string(),
            ollama_urls: vec![ollama::DEFAULT_HOST.to_string()],
            llm_urls: Vec::new(),
            lang: norm_lang(lang).to_string(),
            num_ctx: 8192,
            num_predict: 800,
            seed: 42,
            jobs: 2,
            timeout: Duration::from_secs(600),
            retries: 2,
            backoff: Duration::from_secs(2),
            refresh: false,
            stream: false,
            rolling: true,
        }
    }

    /// Settings that cannot work.
    pub fn validate(&self) -> Result<(), String> {
        if self.num_predict < 64 {
            return Err(format!("num_predict {} is below 64", self.num_predict));
        }
        if self.num_ctx < self.num_predict.saturating_add(1024) {
            return Err(format!(
                "num_ctx {} leaves less than 1024 tokens for the prompt (num_predict {})",
                self.num_ctx, self.num_predict
            ));
        }
        if self.timeout.is_zero() {
            return Err("the request timeout is zero".into());
        }
        if self.model.trim().is_empty() && self.backend == Backend::Ollama {
            return Err("no model given".into());
        }
        if self.backend == Backend::Ollama && self.ollama_urls.is_empty() {
            return Err("no Ollama server given".into());
        }
        if self.backend == Backend::OpenAi && self.llm_urls.is_empty() {
            return Err(
                "the openai backend needs a server URL (e.g. http://127.0.0.1:8080/v1)".into(),
            );
        }
        Ok(())
    }

    /// The seed sent (Ollama reads a 32-bit integer).
    pub fn effective_seed(&self) -> i64 {
        (self.seed % (1u64 << 31)) as i64
    }

    /// Options that change answers, as `name=value` (for reports).
    pub fn options(&self) -> Vec<String> {
        vec![
            format!("num_ctx={}", self.num_ctx),
            format!("num_predict={}", self.num_predict),
            format!("seed={}", self.effective_seed()),
            "temperature=0".to_string(),
        ]
    }

    /// The first server address in use, normalized when possible (what
    /// notices name and the summary store remembers the model under).
    pub fn endpoint(&self) -> String {
        self.endpoints().into_iter().next().unwrap_or_default()
    }

    /// Every server address in use, normalized when possible, in the order
    /// given.
    pub fn endpoints(&self) -> Vec<String> {
        match self.backend {
            Backend::Ollama => self
                .ollama_urls
                .iter()
                .map(|u| ollama::normalize_host(u).unwrap_or_else(|_| u.clone()))
                .collect(),
            Backend::OpenAi => self
                .llm_urls
                .iter()
                .map(|u| openai::normalize_base(u).unwrap_or_else(|_| u.clone()))
                .collect(),
            Backend::Extractive => Vec::new(),
        }
    }
}

/// Where a summary's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SummarySource {
    /// Asked the model in this run.
    Model,
    /// A model answer from an earlier run.
    Cache,
    /// No model: `--no-llm`, or no server answered (see the notice).
    Extractive,
    /// The model failed for this thread: the text is extractive and
    /// `error` says why.
    Unavailable,
}

impl SummarySource {
    pub fn as_str(self) -> &'static str {
        match self {
            SummarySource::Model => "model",
            SummarySource::Cache => "cache",
            SummarySource::Extractive => "extractive",
            SummarySource::Unavailable => "unavailable",
        }
    }
}

/// The summary of one thread.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Plain text ("- " lists allowed), never an error message.
    pub text: String,
    pub source: SummarySource,
    /// Why the model failed (`Unavailable` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Requests the thread was split into (1 = whole thread at once; 0 for
    /// extractive text).
    pub parts: u32,
    /// The cache key of a model answer (model, cache or replayed): what
    /// `--summaries-from` matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The earlier summary the prompt carried as HISTORY SUMMARY (a
    /// rolling summary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earlier: Option<rolling::Earlier>,
}

/// The answers of an earlier report (`--summaries-from`): the model they
/// were made with and each thread's answer by cache key. A thread whose key,
/// computed for that model, is here takes the answer before the cache and
/// the model are asked.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    /// Where the answers came from (for messages).
    pub origin: String,
    pub backend: String,
    pub model: String,
    pub digest: String,
    pub prompt_version: String,
    /// The model's context length as its server reported it (it bounds the
    /// prompt, so the key).
    pub context_length: Option<u64>,
    /// The server address (public form).
    pub endpoint: String,
    /// Cache key → (answer, parts).
    pub answers: std::collections::HashMap<String, (String, u32)>,
    /// Thread id → the earlier summaries its prompts carried (rolling
    /// summaries), so that the same prompt and key are made again.
    pub earlier: std::collections::HashMap<String, Vec<rolling::Earlier>>,
    /// Cache key → the error of an unusable answer (the report's highlights:
    /// the same request gets the same answer, so the same error).
    pub failures: std::collections::HashMap<String, String>,
}

/// The model that made (or would have made) the summaries.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub backend: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Where the server was asked.
    pub endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// The model's context length as the server reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
}

/// The result of [`summarize`].
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// One per thread of the digest, in the same order.
    pub summaries: Vec<Summary>,
    pub model: Option<ModelInfo>,
    pub prompt_version: String,
    /// Something the report should say at the top (in the report's
    /// language): no server answered, summaries unavailable, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Threads whose summary is `Unavailable`.
    pub failed: usize,
    /// Chat requests sent (retries included).
    pub requests: usize,
    /// Estimated prompt tokens of those requests.
    pub prompt_tokens_estimated: usize,
    /// Prompt tokens as counted by the server, where it said.
    pub prompt_tokens_reported: usize,
    pub cache_hits: usize,
    pub backend: String,
    /// [`Settings::options`].
    pub options: Vec<String>,
    pub lang: String,
    /// The [`rolling::context`] of the model answers (None without a
    /// model): what the report's summaries are remembered under.
    #[serde(skip)]
    pub rolling_context: Option<String>,
}

impl Outcome {
    fn new(n: usize, settings: &Settings, lang: &str) -> Outcome {
        Outcome {
            summaries: Vec::with_capacity(n),
            model: None,
            prompt_version: prompt_version(lang),
            notice: None,
            failed: 0,
            requests: 0,
            prompt_tokens_estimated: 0,
            prompt_tokens_reported: 0,
            cache_hits: 0,
            backend: settings.backend.as_str().to_string(),
            options: settings.options(),
            lang: lang.to_string(),
            rolling_context: None,
        }
    }
}

fn extractive_summary(thread: &ThreadView, lang: &str) -> Summary {
    Summary {
        text: extractive(thread, lang),
        source: SummarySource::Extractive,
        error: None,
        parts: 0,
        key: None,
        earlier: None,
    }
}

fn unavailable(thread: &ThreadView, lang: &str, error: &str) -> Summary {
    Summary {
        text: extractive(thread, lang),
        source: SummarySource::Unavailable,
        error: Some(sanitize::clean_error(error)),
        parts: 0,
        key: None,
        earlier: None,
    }
}

/// Summarize every thread of `digest`. Never returns an
/// error text as a summary. `db` is the list's summary store (the cache
/// lives there) and is used from the calling thread only.
pub fn summarize(
    digest: &Digest,
    settings: &Settings,
    db: &rusqlite::Connection,
    progress: &Progress,
) -> Outcome {
    summarize_with(digest, settings, db, &[], progress)
}

/// [`summarize`], with the answers of earlier reports (`--summaries-from`)
/// answering before the cache and the model. When they answer every thread
/// for one model, no server is asked at all (not even probed) and the
/// model is reported as they recorded it.
pub fn summarize_with(
    digest: &Digest,
    settings: &Settings,
    db: &rusqlite::Connection,
    replay: &[Replay],
    progress: &Progress,
) -> Outcome {
    // A panic here is a bug: it is not turned into "internal error"
    // summaries but ends the run (exit 70, see main.rs); reports are
    // written atomically, so nothing is left half-written.
    run(digest, settings, db, replay, progress)
}

/// A thread's answer in the replayed reports.
#[derive(Debug, Clone)]
struct ReplayHit {
    /// Index of the report in the replay list.
    source: usize,
    key: String,
    text: String,
    parts: u32,
    /// The HISTORY SUMMARY its prompt carried.
    earlier: Option<rolling::Earlier>,
    /// The answer was unusable: why (then `text` is empty), as the
    /// replayed report showed it.
    failure: Option<String>,
}

impl ReplayHit {
    fn summary(self, t: &ThreadView, lang: &str) -> Summary {
        match self.failure {
            Some(err) => Summary {
                key: Some(self.key),
                earlier: self.earlier,
                ..unavailable(t, lang, &err)
            },
            None => Summary {
                text: self.text,
                source: SummarySource::Cache,
                error: None,
                parts: self.parts,
                key: Some(self.key),
                earlier: self.earlier,
            },
        }
    }
}

/// A thread's answer in the replayed reports, the key computed for each
/// source's model, with each earlier summary the reports recorded for the
/// thread as HISTORY SUMMARY, else with none.
fn replay_hit(
    t: &ThreadView,
    settings: &Settings,
    lang: &'static str,
    prompt_version: &str,
    replay: &[Replay],
) -> Option<ReplayHit> {
    if replay.is_empty() {
        return None;
    }
    let mut candidates: Vec<Option<&rolling::Earlier>> = replayed_earlier(t, settings, replay)
        .into_iter()
        .map(Some)
        .collect();
    candidates.push(None);
    replay.iter().enumerate().find_map(|(i, r)| {
        if r.backend != settings.backend.as_str() || r.prompt_version != prompt_version {
            return None;
        }
        let base = KeyBase {
            backend: &r.backend,
            model: &r.model,
            digest: &r.digest,
            prompt_version,
            lang,
        };
        let budget = budget_for(settings, r.context_length);
        candidates.iter().find_map(|earlier| {
            let (_, key) = plan_and_key(t, settings, &base, budget, *earlier);
            if let Some((text, parts)) = r.answers.get(&key) {
                return Some(ReplayHit {
                    source: i,
                    key,
                    text: text.clone(),
                    parts: *parts,
                    earlier: earlier.cloned(),
                    failure: None,
                });
            }
            r.failures.get(&key).map(|err| ReplayHit {
                source: i,
                key,
                text: String::new(),
                parts: 0,
                earlier: earlier.cloned(),
                failure: Some(err.clone()),
            })
        })
    })
}

fn replay_model(r: &Replay) -> ModelInfo {
    ModelInfo {
        backend: r.backend.clone(),
        name: r.model.clone(),
        digest: Some(r.digest.clone()),
        endpoint: r.endpoint.clone(),
        server_version: None,
        context_length: r.context_length,
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The tokio runtime of one [`summarize`] call. Dropping it never blocks
/// (a runtime dropped the ordinary way inside an async context panics).
struct Rt(Option<tokio::runtime::Runtime>);

impl Rt {
    fn new() -> Result<Rt, CallError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| Rt(Some(rt)))
            .map_err(|e| CallError::Config(format!("async runtime: {e}")))
    }

    /// Run a future to completion, from a fresh thread when the caller is
    /// itself inside a tokio runtime (where `block_on` would panic).
    fn block_on<F>(&self, f: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        let rt = self.0.as_ref().expect("runtime present until drop");
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| match s.spawn(|| rt.block_on(f)).join() {
                Ok(v) => v,
                Err(p) => resume_unwind(p),
            })
        } else {
            rt.block_on(f)
        }
    }
}

impl Drop for Rt {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// A thread waiting for the model.
struct Job {
    index: usize,
    plan: Plan,
    key: String,
    /// The HISTORY SUMMARY its prompt carries.
    earlier: Option<rolling::Earlier>,
}

/// How long a server that failed a request is passed over while another
/// one answers.
const AVOID: Duration = Duration::from_secs(30);

/// One model server of a run.
struct Server {
    /// Normalized address (may carry credentials: not for reports).
    endpoint: String,
    backend: Arc<dyn ModelBackend>,
}

/// A server's share of the requests in flight.
#[derive(Debug, Clone, Default)]
struct Slot {
    in_flight: usize,
    /// Chat requests sent to it.
    sent: usize,
    /// Passed over until then (it failed a request).
    avoid_until: Option<std::time::Instant>,
    /// Its last failure was a refused connection.
    refused: bool,
}

/// A request's hold on one of a server's slots, given back when dropped.
struct Lease<'a> {
    shared: &'a Shared,
    server: usize,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.shared.slots()[self.server].in_flight -= 1;
        self.shared.freed.notify_waiters();
    }
}

/// What the concurrent requests share.
struct Shared {
    servers: Vec<Server>,
    /// Requests in flight per server.
    jobs: usize,
    slots: std::sync::Mutex<Vec<Slot>>,
    /// A slot was given back.
    freed: tokio::sync::Notify,
    /// Rotates the first server looked at, so that ties alternate.
    turn: AtomicUsize,
    model: String,
    lang: &'static str,
    budget: Budget,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    requests: AtomicUsize,
    tokens_estimated: AtomicUsize,
    tokens_reported: AtomicUsize,
    /// Every server stopped accepting connections: fail fast from now on.
    dead: AtomicBool,
}

impl Shared {
    fn slots(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        // The lock is never held across a panic that matters: the counts
        // stay usable.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A free slot: on the least busy server that has not failed lately,
    /// else (every server failed lately) on the one whose failure is the
    /// oldest; `None` when the servers to use are all busy.
    fn pick(&self) -> Option<usize> {
        let mut slots = self.slots();
        let n = slots.len();
        let now = std::time::Instant::now();
        let usable = |s: &Slot| s.avoid_until.is_none_or(|t| t <= now);
        let any_usable = slots.iter().any(usable);
        let start = self.turn.fetch_add(1, Ordering::Relaxed) % n.max(1);
        let mut best: Option<usize> = None;
        for k in 0..n {
            let i = (start + k) % n;
            let s = &slots[i];
            if s.in_flight >= self.jobs || (any_usable && !usable(s)) {
                continue;
            }
            best = match best {
                Some(b) => {
                    let better = if any_usable {
                        s.in_flight < slots[b].in_flight
                    } else {
                        s.avoid_until < slots[b].avoid_until
                    };
                    Some(if better { i } else { b })
                }
                None => Some(i),
            };
        }
        if let Some(i) = best {
            slots[i].in_flight += 1;
            slots[i].sent += 1;
        }
        best
    }

    /// Wait for a free slot.
    async fn lease(&self) -> Lease<'_> {
        loop {
            let freed = std::pin::pin!(self.freed.notified());
            let mut freed = freed;
            // Registered before looking, so that a slot given back in
            // between is not missed.
            freed.as_mut().enable();
            if let Some(server) = self.pick() {
                return Lease {
                    shared: self,
                    server,
                };
            }
            freed.await;
        }
    }

    /// Note how a request to `server` went.
    fn outcome(&self, server: usize, failure: Option<&CallError>) {
        let mut slots = self.slots();
        let s = &mut slots[server];
        match failure {
            None => {
                s.avoid_until = None;
                s.refused = false;
            }
            Some(e) => {
                s.avoid_until = Some(std::time::Instant::now() + AVOID);
                s.refused = matches!(e, CallError::Connect(_));
            }
        }
    }

    /// Some server has not failed lately.
    fn any_usable(&self) -> bool {
        let now = std::time::Instant::now();
        self.slots()
            .iter()
            .any(|s| s.avoid_until.is_none_or(|t| t <= now))
    }

    /// Requests sent to each server, in the order of [`Shared::servers`].
    fn sent(&self) -> Vec<usize> {
        self.slots().iter().map(|s| s.sent).collect()
    }

    /// One request with retries; the sanitized answer or why there is none.
    /// A transient failure sends the request to another server at once
    /// (each server at most once) while one has not failed lately; then
    /// come the retries with backoff.
    async fn call(&self, req: &Request) -> Result<String, Failure> {
        let n = self.servers.len();
        let mut attempt = 0u32;
        let mut failovers = 0usize;
        loop {
            if self.dead.load(Ordering::Relaxed) {
                return Err(Failure::Request(if n > 1 {
                    "every server stopped answering earlier in this run".to_string()
                } else {
                    "the server stopped answering earlier in this run".to_string()
                }));
            }
            let (server, result) = {
                let lease = self.lease().await;
                let backend = &self.servers[lease.server].backend;
                self.requests.fetch_add(1, Ordering::Relaxed);
                self.tokens_estimated
                    .fetch_add(req.tokens, Ordering::Relaxed);
                let r = tokio::time::timeout(
                    self.timeout,
                    backend.chat(&self.model, &req.system, &req.user),
                )
                .await
                .unwrap_or(Err(CallError::Timeout(self.timeout)));
                (lease.server, r)
            };
            match result {
                Ok(answer) => {
                    self.outcome(server, None);
                    if let Some(n) = answer.prompt_tokens {
                        self.tokens_reported
                            .fetch_add(n as usize, Ordering::Relaxed);
                    }
                    let text = sanitize::sanitize_answer(&answer.text, answer.truncated)
                        .map_err(Failure::Unusable)?;
                    if sanitize::echoes_prompt(&text, &req.system) {
                        return Err(Failure::Unusable(
                            "it repeats the prompt instead of summarizing it".to_string(),
                        ));
                    }
                    return Ok(text);
                }
                Err(e) if e.transient() => {
                    self.outcome(server, Some(&e));
                    if failovers + 1 < n && self.any_usable() {
                        failovers += 1;
                        continue;
                    }
                    if attempt < self.retries {
                        let wait = self
                            .backoff
                            .saturating_mul(1u32 << attempt.min(10))
                            .min(Duration::from_secs(30));
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    if self.slots().iter().all(|s| s.refused) {
                        self.dead.store(true, Ordering::Relaxed);
                    }
                    return Err(Failure::Request(format!(
                        "{e}{}",
                        tries(attempt as usize + failovers)
                    )));
                }
                Err(e) => {
                    return Err(Failure::Request(format!(
                        "{e}{}",
                        tries(attempt as usize + failovers)
                    )));
                }
            }
        }
    }

    /// A thread: its one request, or its parts and their merge.
    async fn thread(&self, plan: &Plan) -> ThreadResult {
        let count = plan.requests.len();
        if !plan.is_split() {
            return self.call(&plan.requests[0]).await.map(|t| (t, 1));
        }
        let mut notes: Vec<(String, String)> = Vec::with_capacity(count);
        for (k, (req, label)) in plan.requests.iter().zip(&plan.part_labels).enumerate() {
            let text = self
                .call(req)
                .await
                .map_err(|e| e.within(&format!("part {}/{count}", k + 1)))?;
            notes.push((label.clone(), text));
        }
        loop {
            let round = prompt::merge_round(&plan.facts, &notes, self.lang, self.budget);
            if round.len() == 1 {
                let text = self
                    .call(&round[0].0)
                    .await
                    .map_err(|e| e.within("merge"))?;
                return Ok((text, count as u32));
            }
            if round.len() >= notes.len() {
                return Err(Failure::Request(
                    "the part notes do not fit the context for merging".to_string(),
                ));
            }
            let mut next = Vec::with_capacity(round.len());
            for (req, idx) in &round {
                let text = self.call(req).await.map_err(|e| e.within("merge"))?;
                let first = idx.first().copied().unwrap_or(0);
                let last = idx.last().copied().unwrap_or(0);
                next.push((format!("parts {}-{}", first + 1, last + 1), text));
            }
            notes = next;
        }
    }
}

/// " (after N attempts)" for `again` further attempts, else nothing.
fn tries(again: usize) -> String {
    if again > 0 {
        format!(" (after {} attempts)", again + 1)
    } else {
        String::new()
    }
}

fn notice_unreachable(settings: &Settings, lang: &str, err: &str, fallback: bool) -> String {
    let endpoint = settings.endpoint();
    let backend = settings.backend.as_str();
    let model = &settings.model;
    let err = sanitize::clean_error(err);
    match (lang, fallback) {
        ("zh", true) => format!(
            "未能使用大模型（{backend}，地址 {endpoint}，模型 {model}：{err}）；本报告的摘要为抽取式（未使用模型）。"
        ),
        ("zh", false) => format!(
            "大模型后端不可用（{backend}，地址 {endpoint}，模型 {model}：{err}）；未能由模型生成的摘要均标记为不可用。"
        ),
        (_, true) => format!(
            "No LLM server could be used ({backend} at {endpoint}, model {model}: {err}); the summaries are extractive (made without a model)."
        ),
        (_, false) => format!(
            "The LLM backend is unavailable ({backend} at {endpoint}, model {model}: {err}); summaries it could not make are marked unavailable."
        ),
    }
}

/// `first`: the error of the first failed thread, so that the notice names
/// a cause (e.g. `HTTP 404: …`).
fn notice_failed(lang: &str, failed: usize, total: usize, first: &str) -> String {
    let first = sanitize::clean_error(first);
    if lang == "zh" {
        format!(
            "{total} 个线程中有 {failed} 个的模型摘要生成失败（首个错误：{first}），显示为抽取式摘要并标记为不可用。"
        )
    } else {
        format!(
            "{failed} of {total} thread summaries failed (first error: {first}); they show extractive text and are marked unavailable."
        )
    }
}

/// A backend per configured server, in the order given.
fn make_servers(settings: &Settings) -> Result<Vec<Server>, CallError> {
    settings.validate().map_err(CallError::Config)?;
    let seed = settings.effective_seed();
    let urls = match settings.backend {
        Backend::Ollama => &settings.ollama_urls,
        Backend::OpenAi => &settings.llm_urls,
        Backend::Extractive => return Err(CallError::Config("no model backend".into())),
    };
    urls.iter()
        .zip(settings.endpoints())
        .map(|(url, endpoint)| {
            let backend: Arc<dyn ModelBackend> = match settings.backend {
                Backend::OpenAi => Arc::new(openai::OpenAiBackend::new(
                    url,
                    settings.num_predict,
                    seed,
                    settings.timeout,
                )?),
                _ => Arc::new(ollama::OllamaBackend::new(
                    url,
                    settings.num_ctx,
                    settings.num_predict,
                    seed as i32,
                    settings.timeout,
                    settings.stream,
                )?),
            };
            Ok(Server { endpoint, backend })
        })
        .collect()
}

/// Probe every server at once (each within `limit`); one result per
/// server, in order.
async fn probe_all(
    servers: &[Server],
    model: &str,
    limit: Duration,
) -> Vec<Result<Probe, CallError>> {
    let mut set = tokio::task::JoinSet::new();
    for (i, s) in servers.iter().enumerate() {
        let backend = Arc::clone(&s.backend);
        let model = model.to_string();
        set.spawn(async move {
            let r = tokio::time::timeout(limit, backend.probe(&model))
                .await
                .unwrap_or(Err(CallError::Timeout(limit)));
            (i, r)
        });
    }
    let mut out: Vec<Option<Result<Probe, CallError>>> = vec![None; servers.len()];
    while let Some(r) = set.join_next().await {
        match r {
            Ok((i, p)) => out[i] = Some(p),
            Err(e) if e.is_panic() => resume_unwind(e.into_panic()),
            Err(_) => {}
        }
    }
    out.into_iter()
        .map(|p| p.unwrap_or_else(|| Err(CallError::Config("probe cancelled".into()))))
        .collect()
}

/// The servers to use and the model they serve, from their probes: a
/// server that is down (a transient failure) is left out with a note as
/// long as another answers; any other failure, or two servers with
/// different models (name or digest), is an error naming them — the cache
/// key and the report's reproducibility rest on one model.
fn choose_servers(
    servers: Vec<Server>,
    probes: Vec<Result<Probe, CallError>>,
    progress: &Progress,
) -> Result<(Vec<Server>, Probe), CallError> {
    if servers.len() == 1 {
        let p = probes
            .into_iter()
            .next()
            .unwrap_or_else(|| Err(CallError::Config("no probe".into())))?;
        return Ok((servers, p));
    }
    let mut up: Vec<(Server, Probe)> = Vec::new();
    let mut down: Vec<(String, CallError)> = Vec::new();
    for (s, p) in servers.into_iter().zip(probes) {
        match p {
            Ok(p) => up.push((s, p)),
            Err(e) if e.transient() => down.push((s.endpoint, e)),
            Err(e) => {
                return Err(CallError::Config(format!(
                    "model server {}: {e}",
                    s.endpoint
                )));
            }
        }
    }
    let Some((_, first)) = up.first() else {
        let all: Vec<String> = down.iter().map(|(u, e)| format!("{u}: {e}")).collect();
        return Err(CallError::Config(format!(
            "no model server answered ({})",
            all.join("; ")
        )));
    };
    for (s, p) in &up[1..] {
        if p.name != first.name || p.digest != first.digest {
            return Err(CallError::Config(format!(
                "the model servers serve different models: {} has {} ({}), {} has {} ({}); every server must serve the same model file",
                up[0].0.endpoint, first.name, first.digest, s.endpoint, p.name, p.digest
            )));
        }
    }
    for (u, e) in &down {
        progress.note(&format!(
            "model server {u} does not answer ({e}); the other servers are used"
        ));
    }
    let mut probe = first.clone();
    probe.context_length = up.iter().filter_map(|(_, p)| p.context_length).min();
    Ok((up.into_iter().map(|(s, _)| s).collect(), probe))
}

/// Hash of everything a plan sends.
fn plan_hash(plan: &Plan) -> String {
    let mut h = hash::Sha256::new();
    for r in &plan.requests {
        h.update(r.system.as_bytes());
        h.update(b"\0");
        h.update(r.user.as_bytes());
        h.update(b"\0");
    }
    hash::hex(&h.finish())
}

/// What a cache key takes from the model and the run.
struct KeyBase<'a> {
    backend: &'a str,
    model: &'a str,
    digest: &'a str,
    prompt_version: &'a str,
    lang: &'a str,
}

fn key_parts<'a>(
    thread: &'a ThreadView,
    settings: &Settings,
    base: &KeyBase<'a>,
    input_hash: String,
) -> KeyParts<'a> {
    KeyParts {
        backend: base.backend,
        model: base.model,
        model_digest: base.digest,
        prompt_version: base.prompt_version,
        lang: base.lang,
        num_ctx: settings.num_ctx as usize,
        num_predict: settings.num_predict as usize,
        seed: settings.effective_seed(),
        messages: thread
            .messages
            .iter()
            .map(|m| (m.message_id.as_str(), m.in_window))
            .collect(),
        input_hash,
        earlier: None,
    }
}

/// The [`rolling::context`] of a model and these settings.
fn rolling_context(settings: &Settings, base: &KeyBase<'_>) -> String {
    rolling::context(&KeyParts {
        backend: base.backend,
        model: base.model,
        model_digest: base.digest,
        prompt_version: base.prompt_version,
        lang: base.lang,
        num_ctx: settings.num_ctx as usize,
        num_predict: settings.num_predict as usize,
        seed: settings.effective_seed(),
        messages: Vec::new(),
        input_hash: String::new(),
        earlier: None,
    })
}

/// A thread's plan and cache key for one model, with `earlier` as the
/// HISTORY SUMMARY standing for its first mails when given.
fn plan_and_key(
    t: &ThreadView,
    settings: &Settings,
    base: &KeyBase<'_>,
    budget: Budget,
    earlier: Option<&rolling::Earlier>,
) -> (Plan, String) {
    let input = match earlier {
        Some(e) => rolling::thread_input(t, e),
        None => prompt::thread_input(t),
    };
    let plan = prompt::plan(&input, base.lang, budget);
    let mut kp = key_parts(t, settings, base, plan_hash(&plan));
    kp.earlier = earlier.map(rolling::Earlier::hash);
    let key = cache::key(&kp);
    (plan, key)
}

/// The earlier summary of `t` remembered in the store for `context`, when
/// it makes the prompt smaller (none with rolling summaries off, or when
/// the store cannot say).
fn stored_earlier(
    t: &ThreadView,
    settings: &Settings,
    db: Option<&rusqlite::Connection>,
    context: &str,
    progress: &Progress,
) -> Option<rolling::Earlier> {
    if !settings.rolling {
        return None;
    }
    rolling::find(db?, t, context)
        .unwrap_or_else(|e| {
            progress.note(&e);
            None
        })
        .filter(|e| rolling::saves_tokens(t, e))
}

/// The earlier summaries the replayed reports recorded for `t` that can
/// stand for its first mails (none with rolling summaries off).
fn replayed_earlier<'r>(
    t: &ThreadView,
    settings: &Settings,
    replay: &'r [Replay],
) -> Vec<&'r rolling::Earlier> {
    if !settings.rolling {
        return Vec::new();
    }
    replay
        .iter()
        .filter_map(|r| r.earlier.get(&t.id))
        .flatten()
        .filter(|e| e.fits(t))
        .collect()
}

/// The text and part count of a thread's answer, or why it failed.
type ThreadResult = Result<(String, u32), Failure>;

/// Why a request gave no summary.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// The model answered, but the answer cannot be shown (an echo of the
    /// prompt, no text). With temperature 0 and a fixed seed the same
    /// request gets the same answer, so these are remembered in the cache:
    /// an identical run does not ask again (`--refresh-summaries` does).
    Unusable(String),
    /// The request failed (connection, timeout, HTTP error): asked again
    /// by the next run.
    Request(String),
}

impl Failure {
    /// The same failure, said to concern `part` (a part or the merge).
    fn within(self, part: &str) -> Failure {
        match self {
            Failure::Unusable(m) => Failure::Unusable(format!("{part}: {m}")),
            Failure::Request(m) => Failure::Request(format!("{part}: {m}")),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Unusable(m) => write!(f, "unusable answer: {m}"),
            Failure::Request(m) => f.write_str(m),
        }
    }
}

fn run(
    digest: &Digest,
    settings: &Settings,
    db: &rusqlite::Connection,
    replay: &[Replay],
    progress: &Progress,
) -> Outcome {
    let lang = norm_lang(&settings.lang);
    let threads = &digest.threads;
    let n = threads.len();
    let mut out = Outcome::new(n, settings, lang);
    let bar = progress.bar(n as u64, "summaries");

    if settings.backend == Backend::Extractive || threads.is_empty() {
        out.summaries = threads
            .iter()
            .map(|t| extractive_summary(t, lang))
            .collect();
        bar.inc(n as u64);
        return out;
    }

    // Earlier reports first: when they answer every thread for one model,
    // no server is needed.
    let replayed: Vec<Option<ReplayHit>> = threads
        .iter()
        .map(|t| replay_hit(t, settings, lang, &out.prompt_version, replay))
        .collect();
    let one_model = |a: usize, b: usize| {
        let (x, y) = (&replay[a], &replay[b]);
        (&x.model, &x.digest, x.context_length) == (&y.model, &y.digest, y.context_length)
    };
    if let Some(Some(ReplayHit { source: first, .. })) = replayed.first()
        && replayed
            .iter()
            .all(|h| h.as_ref().is_some_and(|h| one_model(*first, h.source)))
    {
        let r = &replay[*first];
        out.model = Some(replay_model(r));
        out.rolling_context = Some(rolling_context(
            settings,
            &KeyBase {
                backend: &r.backend,
                model: &r.model,
                digest: &r.digest,
                prompt_version: &out.prompt_version,
                lang,
            },
        ));
        out.cache_hits = n;
        out.failed = replayed
            .iter()
            .flatten()
            .filter(|h| h.failure.is_some())
            .count();
        out.summaries = replayed
            .into_iter()
            .zip(threads)
            .filter_map(|(h, t)| h.map(|h| h.summary(t, lang)))
            .collect();
        out.notice = failed_notice(&out, lang, n);
        bar.inc(n as u64);
        return out;
    }

    let cache = match Cache::open(db) {
        Ok(c) => Some(c),
        Err(e) => {
            progress.note(&format!("{e}; summaries are not cached in this run"));
            None
        }
    };
    let rt = Rt::new();
    let probe_limit = settings.timeout.min(Duration::from_secs(30));
    let ready: Result<(&Rt, Vec<Server>, Probe), CallError> =
        rt.as_ref().map_err(Clone::clone).and_then(|rt| {
            let servers = make_servers(settings)?;
            let probes = rt.block_on(probe_all(&servers, &settings.model, probe_limit));
            let (servers, probe) = choose_servers(servers, probes, progress)?;
            Ok((rt, servers, probe))
        });
    let endpoint = settings.endpoint();
    let backend_name = settings.backend.as_str();
    let prompt_version = out.prompt_version.clone();

    let (rt, servers, probe) = match ready {
        Ok(r) => r,
        Err(e) => {
            // The server cannot be used. Summaries cached for the model last
            // seen at this endpoint are still good; the rest are extractive
            // (no backend chosen) or unavailable (a chosen backend failed).
            let fallback = !settings.backend_explicit;
            let last = cache.as_ref().and_then(|c| {
                c.last_model(backend_name, &endpoint, &settings.model)
                    .ok()
                    .flatten()
            });
            let err = e.to_string();
            let mut replay_used = None;
            for (t, r) in threads.iter().zip(&replayed) {
                if let Some(h) = r {
                    replay_used.get_or_insert(h.source);
                    out.cache_hits += 1;
                    if h.failure.is_some() {
                        out.failed += 1;
                    }
                    out.summaries.push(h.clone().summary(t, lang));
                    bar.inc(1);
                    continue;
                }
                let hit = match (&cache, &last, settings.refresh) {
                    (Some(c), Some((name, dig)), false) => {
                        let base = KeyBase {
                            backend: backend_name,
                            model: name,
                            digest: dig,
                            prompt_version: &prompt_version,
                            lang,
                        };
                        let context = rolling_context(settings, &base);
                        let earlier = stored_earlier(t, settings, Some(db), &context, progress);
                        let budget = budget_for(settings, None);
                        let (_, key) = plan_and_key(t, settings, &base, budget, earlier.as_ref());
                        c.get(&key)
                            .ok()
                            .flatten()
                            .map(|h| (h, key, earlier, context))
                    }
                    _ => None,
                };
                let s = match hit {
                    Some((h, key, earlier, context)) => {
                        out.cache_hits += 1;
                        out.rolling_context.get_or_insert(context);
                        Summary {
                            text: h.text,
                            source: SummarySource::Cache,
                            error: None,
                            parts: h.parts,
                            key: Some(key),
                            earlier,
                        }
                    }
                    None if fallback => extractive_summary(t, lang),
                    None => {
                        out.failed += 1;
                        unavailable(t, lang, &err)
                    }
                };
                out.summaries.push(s);
                bar.inc(1);
            }
            if let Some(i) = replay_used {
                out.model = Some(replay_model(&replay[i]));
                // Summaries of two models are not remembered under one.
                out.rolling_context = None;
            } else if out.cache_hits > 0
                && let Some((name, dig)) = last
            {
                out.model = Some(ModelInfo {
                    backend: backend_name.to_string(),
                    name,
                    digest: Some(dig),
                    endpoint: endpoint.clone(),
                    server_version: None,
                    context_length: None,
                });
            }
            if out.cache_hits < n {
                out.notice = Some(notice_unreachable(settings, lang, &err, fallback));
            } else {
                // Every thread answered by earlier reports, failures too.
                out.notice = failed_notice(&out, lang, n);
            }
            return out;
        }
    };

    out.model = Some(ModelInfo {
        backend: backend_name.to_string(),
        name: probe.name.clone(),
        digest: Some(probe.digest.clone()),
        endpoint: endpoint.clone(),
        server_version: probe.server_version.clone(),
        context_length: probe.context_length,
    });
    if let Some(c) = &cache
        && let Err(e) = c.remember_model(
            backend_name,
            &endpoint,
            &settings.model,
            &probe.name,
            &probe.digest,
            now_secs(),
        )
    {
        progress.note(&e);
    }

    // Plans, keys and cache lookups (on this thread: the connection is not
    // shared with the requests).
    let budget = budget_for(settings, probe.context_length);
    let mut slots: Vec<Option<Summary>> = vec![None; n];
    let mut jobs: Vec<Job> = Vec::new();
    let mut key_meta = None;
    let base = KeyBase {
        backend: backend_name,
        model: &probe.name,
        digest: &probe.digest,
        prompt_version: &prompt_version,
        lang,
    };
    let context = rolling_context(settings, &base);
    out.rolling_context = Some(context.clone());
    let rolling_db = match (settings.rolling, &cache) {
        (true, Some(_)) => rolling::open(db)
            .map_err(|e| progress.note(&e))
            .ok()
            .map(|_| db),
        _ => None,
    };
    for (i, t) in threads.iter().enumerate() {
        let earlier = stored_earlier(t, settings, rolling_db, &context, progress);
        let (plan, key) = plan_and_key(t, settings, &base, budget, earlier.as_ref());
        if key_meta.is_none() {
            key_meta = Some(key_parts(t, settings, &base, String::new()));
        }
        // An answer of the replayed reports, with the HISTORY SUMMARY
        // found here or one they recorded.
        let replayed = (!replay.is_empty())
            .then(|| {
                let mut candidates = vec![(earlier.clone(), key.clone())];
                for e in replayed_earlier(t, settings, replay) {
                    if earlier.as_ref() != Some(e) {
                        let (_, k) = plan_and_key(t, settings, &base, budget, Some(e));
                        candidates.push((Some(e.clone()), k));
                    }
                }
                candidates.into_iter().find_map(|(e, k)| {
                    if let Some((text, parts)) = replay.iter().find_map(|r| r.answers.get(&k)) {
                        return Some(Summary {
                            text: text.clone(),
                            source: SummarySource::Cache,
                            error: None,
                            parts: *parts,
                            key: Some(k),
                            earlier: e,
                        });
                    }
                    replay.iter().find_map(|r| r.failures.get(&k)).map(|err| {
                        out.failed += 1;
                        Summary {
                            key: Some(k.clone()),
                            earlier: e.clone(),
                            ..unavailable(t, lang, err)
                        }
                    })
                })
            })
            .flatten();
        if let Some(s) = replayed {
            out.cache_hits += 1;
            slots[i] = Some(s);
            bar.inc(1);
            continue;
        }
        let hit = match (&cache, settings.refresh) {
            (Some(c), false) => c.get(&key).unwrap_or_else(|e| {
                progress.note(&e);
                None
            }),
            _ => None,
        };
        let known_failure = match (&cache, settings.refresh, &hit) {
            (Some(c), false, None) => c.get_failure(&key).unwrap_or(None),
            _ => None,
        };
        match (hit, known_failure) {
            (Some(h), _) => {
                out.cache_hits += 1;
                slots[i] = Some(Summary {
                    text: h.text,
                    source: SummarySource::Cache,
                    error: None,
                    parts: h.parts,
                    key: Some(key),
                    earlier,
                });
                bar.inc(1);
            }
            (None, Some(err)) => {
                out.cache_hits += 1;
                slots[i] = Some(Summary {
                    key: Some(key),
                    earlier,
                    ..unavailable(
                        t,
                        lang,
                        &format!(
                            "{err} (remembered from an earlier run; --refresh-summaries asks again)"
                        ),
                    )
                });
                bar.inc(1);
            }
            (None, None) => jobs.push(Job {
                index: i,
                plan,
                key,
                earlier,
            }),
        }
    }

    // The requests.
    let server_slots = vec![Slot::default(); servers.len()];
    let shared = Arc::new(Shared {
        servers,
        jobs: settings.jobs.clamp(1, 64),
        slots: std::sync::Mutex::new(server_slots),
        freed: tokio::sync::Notify::new(),
        turn: AtomicUsize::new(0),
        model: probe.name.clone(),
        lang,
        budget,
        timeout: settings.timeout,
        retries: settings.retries,
        backoff: settings.backoff,
        requests: AtomicUsize::new(0),
        tokens_estimated: AtomicUsize::new(0),
        tokens_reported: AtomicUsize::new(0),
        dead: AtomicBool::new(false),
    });
    let plans: Vec<(usize, Plan)> = jobs.iter().map(|j| (j.index, j.plan.clone())).collect();
    let results: Vec<(usize, ThreadResult)> = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        let mut ids = std::collections::HashMap::new();
        for (index, plan) in plans {
            let sh = Arc::clone(&shared);
            let handle = set.spawn(async move { (index, sh.thread(&plan).await) });
            ids.insert(handle.id(), index);
        }
        let mut res = Vec::new();
        while let Some(r) = set.join_next_with_id().await {
            match r {
                Ok((_, v)) => res.push(v),
                // A panic in a request task is a bug: let it end the run.
                Err(e) if e.is_panic() => resume_unwind(e.into_panic()),
                Err(e) => {
                    let index = ids.get(&e.id()).copied().unwrap_or(usize::MAX);
                    res.push((
                        index,
                        Err(Failure::Request(format!("request cancelled: {e}"))),
                    ));
                }
            }
            bar.inc(1);
        }
        res
    });

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (index, r) in results {
        let Some(t) = threads.get(index) else {
            continue;
        };
        let (key, earlier) = jobs
            .iter()
            .find(|j| j.index == index)
            .map(|j| (j.key.clone(), j.earlier.clone()))
            .unwrap_or_default();
        slots[index] = Some(match r {
            Ok((text, parts)) => {
                rows.push((key.clone(), t.id.clone(), text.clone(), parts));
                Summary {
                    text,
                    source: SummarySource::Model,
                    error: None,
                    parts,
                    key: Some(key),
                    earlier,
                }
            }
            Err(e) => {
                let e_text = e.to_string();
                if matches!(e, Failure::Unusable(_)) {
                    failures.push((key.clone(), sanitize::clean_error(&e_text)));
                    // The key goes into the JSON with the error, so that
                    // `--summaries-from` shows the same failure again.
                    Summary {
                        key: Some(key),
                        earlier,
                        ..unavailable(t, lang, &e_text)
                    }
                } else {
                    unavailable(t, lang, &e_text)
                }
            }
        });
    }
    if let (Some(c), Some(meta)) = (&cache, &key_meta)
        && let Err(e) = c.put_all(meta, &rows, now_secs())
    {
        progress.note(&e);
    }
    if let Some(c) = &cache
        && let Err(e) = c.put_failures(&failures, now_secs())
    {
        progress.note(&e);
    }
    out.summaries = slots
        .into_iter()
        .zip(threads)
        .map(|(s, t)| s.unwrap_or_else(|| unavailable(t, lang, "no answer")))
        .collect();
    out.failed = out
        .summaries
        .iter()
        .filter(|s| s.source == SummarySource::Unavailable)
        .count();
    out.requests = shared.requests.load(Ordering::Relaxed);
    if shared.servers.len() > 1 {
        let per: Vec<String> = shared
            .servers
            .iter()
            .zip(shared.sent())
            .map(|(s, n)| format!("{} {n}", s.endpoint))
            .collect();
        progress.note(&format!("model requests per server: {}", per.join(", ")));
    }
    out.prompt_tokens_estimated = shared.tokens_estimated.load(Ordering::Relaxed);
    out.prompt_tokens_reported = shared.tokens_reported.load(Ordering::Relaxed);
    out.notice = failed_notice(&out, lang, n);
    out
}

/// The notice of the summaries that failed, naming the first error.
fn failed_notice(out: &Outcome, lang: &str, n: usize) -> Option<String> {
    (out.failed > 0).then(|| {
        let first = out
            .summaries
            .iter()
            .find_map(|s| s.error.as_deref())
            .unwrap_or("");
        notice_failed(lang, out.failed, n, first)
    })
}

/// One request besides the thread summaries (the report's highlights, see
/// [`synthesis`]): to the configured servers with the run's timeout,
/// retries and failover, naming `model` (the probed name). The error says
/// whether the model answered unusably (`true`: remember it) or the
/// request failed.
pub fn ask_model(
    settings: &Settings,
    model: &str,
    system: &str,
    user: &str,
) -> Result<String, (bool, String)> {
    let failed = |e: CallError| (false, e.to_string());
    let rt = Rt::new().map_err(failed)?;
    let servers = make_servers(settings).map_err(failed)?;
    let n = servers.len();
    let shared = Shared {
        servers,
        jobs: 1,
        slots: std::sync::Mutex::new(vec![Slot::default(); n]),
        freed: tokio::sync::Notify::new(),
        turn: AtomicUsize::new(0),
        model: model.to_string(),
        lang: norm_lang(&settings.lang),
        budget: budget_for(settings, None),
        timeout: settings.timeout,
        retries: settings.retries,
        backoff: settings.backoff,
        requests: AtomicUsize::new(0),
        tokens_estimated: AtomicUsize::new(0),
        tokens_reported: AtomicUsize::new(0),
        dead: AtomicBool::new(false),
    };
    let req = Request {
        system: system.to_string(),
        user: user.to_string(),
        tokens: prompt::request_tokens(system, user),
        step: prompt::Step::Single,
    };
    rt.block_on(shared.call(&req))
        .map_err(|e| (matches!(e, Failure::Unusable(_)), e.to_string()))
}

/// The request budget: the configured context, or the model's own when it
/// is smaller.
fn budget_for(settings: &Settings, model_context: Option<u64>) -> Budget {
    let ctx = match model_context {
        Some(m) if m > 0 && (m as usize) < settings.num_ctx as usize => m as usize,
        _ => settings.num_ctx as usize,
    };
    Budget {
        num_ctx: ctx,
        num_predict: settings.num_predict as usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_names() {
        assert_eq!("ollama".parse::<Backend>().unwrap(), Backend::Ollama);
        assert_eq!("OpenAI".parse::<Backend>().unwrap(), Backend::OpenAi);
        assert_eq!(
            "extractive".parse::<Backend>().unwrap(),
            Backend::Extractive
        );
        assert!("gpt".parse::<Backend>().is_err());
        assert_eq!(Backend::OpenAi.to_string(), "openai");
        assert_eq!(
            serde_json::to_string(&SummarySource::Unavailable).unwrap(),
            "\"unavailable\""
        );
    }

    #[test]
    fn settings() {
        let s = Settings::defaults("zh-CN");
        assert_eq!(s.lang, "zh");
        assert_eq!(s.model, DEFAULT_MODEL);
        assert!(s.validate().is_ok());
        assert_eq!(
            s.options(),
            [
                "num_ctx=8192",
                "num_predict=800",
                "seed=42",
                "temperature=0"
            ]
        );
        let mut t = s.clone();
        t.num_ctx = 1500;
        assert!(t.validate().is_err());
        let mut t = s.clone();
        t.backend = Backend::OpenAi;
        assert!(t.validate().is_err());
        t.llm_urls = vec!["http://127.0.0.1:8080/v1".into()];
        assert!(t.validate().is_ok());
        let mut t = s;
        t.seed = (1u64 << 31) + 5;
        assert_eq!(t.effective_seed(), 5);
    }
}
