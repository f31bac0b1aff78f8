//! The model servers of a run: which to use ([`connect`]: make a backend
//! per configured server, probe them all, keep those that answer, all
//! serving one model), and the pool that shares the requests among them
//! ([`Shared`]): `jobs` in flight per server (a [`Lease`] holds a slot),
//! each request to the least busy server that has not failed lately, a
//! failing server passed over for a while, a transient failure sent to
//! another server at once and then retried with backoff, a long thread's
//! parts and merges in turn. [`ask_model`] sends one request through it.

use std::future::Future;
use std::panic::resume_unwind;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use super::backend::{CallError, ModelBackend, Probe};
use super::outcome::Failure;
use super::prompt::{self, Budget, Plan, Request};
use super::sanitize::{self, Unusable};
use super::settings::{Backend, Settings};
use super::{ollama, openai};
use crate::lang::Lang;
use crate::progress::Progress;

/// The text and part count of a thread's answer, or why it failed.
pub(super) type ThreadResult = Result<(String, u32), CallFailure>;

/// Why a request gave no answer, as the pool sees it; the report's form
/// (with its [`super::FailureKind`]) is [`Failure`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CallFailure {
    /// The model answered unusably: why.
    Unusable(String),
    /// The request failed (connection, timeout, HTTP error).
    Request(String),
}

impl CallFailure {
    fn unusable(why: Unusable) -> CallFailure {
        CallFailure::Unusable(why.to_string())
    }

    /// The same failure, said to concern `part` (a part or the merge).
    fn within(self, part: &str) -> CallFailure {
        match self {
            CallFailure::Unusable(m) => CallFailure::Unusable(format!("{part}: {m}")),
            CallFailure::Request(m) => CallFailure::Request(format!("{part}: {m}")),
        }
    }
}

impl From<CallFailure> for Failure {
    fn from(f: CallFailure) -> Failure {
        match f {
            CallFailure::Unusable(why) => Failure::unusable(why),
            CallFailure::Request(text) => Failure::request(text),
        }
    }
}

/// What a pool sent ([`Shared::counts`]).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counts {
    pub requests: usize,
    pub tokens_estimated: usize,
    pub tokens_reported: usize,
}

/// The tokio runtime of one [`super::summarize`] call (or one
/// [`ask_model`]). Dropping it never blocks
/// (a runtime dropped the ordinary way inside an async context panics).
pub(super) struct Rt(Option<tokio::runtime::Runtime>);

impl Rt {
    pub(super) fn new() -> Result<Rt, CallError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| Rt(Some(rt)))
            .map_err(|e| CallError::Config(format!("async runtime: {e}")))
    }

    /// Run a future to completion, from a fresh thread when the caller is
    /// itself inside a tokio runtime (where `block_on` would panic).
    pub(super) fn block_on<F>(&self, f: F) -> F::Output
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

/// How long a server that failed a request is passed over while another
/// one answers.
const AVOID: Duration = Duration::from_secs(30);

/// One model server of a run.
pub(super) struct Server {
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

/// What the concurrent requests share: the servers, their slots and how
/// each request is made (model, timeout, retries), and the counts of what
/// was sent.
pub(super) struct Shared {
    servers: Vec<Server>,
    /// Requests in flight per server.
    jobs: usize,
    slots: std::sync::Mutex<Vec<Slot>>,
    /// A slot was given back.
    freed: tokio::sync::Notify,
    /// Rotates the first server looked at, so that ties alternate.
    turn: AtomicUsize,
    model: String,
    lang: Lang,
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
    /// A pool of `servers` for requests to `model`, `jobs` in flight per
    /// server, with the timeout, retries and backoff of `settings`.
    pub(super) fn new(
        servers: Vec<Server>,
        jobs: usize,
        model: &str,
        settings: &Settings,
        budget: Budget,
    ) -> Shared {
        let n = servers.len();
        Shared {
            servers,
            jobs,
            slots: std::sync::Mutex::new(vec![Slot::default(); n]),
            freed: tokio::sync::Notify::new(),
            turn: AtomicUsize::new(0),
            model: model.to_string(),
            lang: settings.lang,
            budget,
            timeout: settings.timeout,
            retries: settings.retries,
            backoff: settings.backoff,
            requests: AtomicUsize::new(0),
            tokens_estimated: AtomicUsize::new(0),
            tokens_reported: AtomicUsize::new(0),
            dead: AtomicBool::new(false),
        }
    }

    /// What was sent: chat requests (retries included), estimated prompt
    /// tokens, prompt tokens as the servers counted them.
    pub(super) fn counts(&self) -> Counts {
        Counts {
            requests: self.requests.load(Ordering::Relaxed),
            tokens_estimated: self.tokens_estimated.load(Ordering::Relaxed),
            tokens_reported: self.tokens_reported.load(Ordering::Relaxed),
        }
    }

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

    /// How the requests were shared, when there are several servers:
    /// `model requests per server: ADDRESS N, …`.
    pub(super) fn per_server(&self) -> Option<String> {
        if self.servers.len() < 2 {
            return None;
        }
        let per: Vec<String> = self
            .servers
            .iter()
            .zip(self.slots().iter())
            .map(|(s, slot)| format!("{} {}", s.endpoint, slot.sent))
            .collect();
        Some(format!("model requests per server: {}", per.join(", ")))
    }

    /// One request with retries; the sanitized answer or why there is none.
    /// A transient failure sends the request to another server at once
    /// (each server at most once) while one has not failed lately; then
    /// come the retries with backoff.
    pub(super) async fn call(&self, req: &Request) -> Result<String, CallFailure> {
        let n = self.servers.len();
        let mut attempt = 0u32;
        let mut failovers = 0usize;
        loop {
            if self.dead.load(Ordering::Relaxed) {
                return Err(CallFailure::Request(if n > 1 {
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
                        .map_err(CallFailure::unusable)?;
                    if sanitize::echoes_prompt(&text, &req.system) {
                        return Err(CallFailure::unusable(Unusable::EchoesPrompt));
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
                    return Err(CallFailure::Request(format!(
                        "{e}{}",
                        tries(attempt as usize + failovers)
                    )));
                }
                Err(e) => {
                    return Err(CallFailure::Request(format!(
                        "{e}{}",
                        tries(attempt as usize + failovers)
                    )));
                }
            }
        }
    }

    /// A thread: its one request, or its parts and their merge.
    pub(super) async fn thread(&self, plan: &Plan) -> ThreadResult {
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
                return Err(CallFailure::Request(
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

/// The servers to use, the model they serve and the runtime to ask them
/// on.
pub(super) struct Connected {
    pub rt: Rt,
    pub servers: Vec<Server>,
    pub probe: Probe,
}

/// Make a backend per configured server and probe them all at once (each
/// within 30 s or the request timeout, whichever is shorter); keep those
/// that answer (see [`choose_servers`]).
pub(super) fn connect(settings: &Settings, progress: &Progress) -> Result<Connected, CallError> {
    let rt = Rt::new()?;
    let servers = make_servers(settings)?;
    let limit = settings.timeout.min(Duration::from_secs(30));
    let probes = rt.block_on(probe_all(&servers, &settings.model, limit));
    let (servers, probe) = choose_servers(servers, probes, progress)?;
    Ok(Connected { rt, servers, probe })
}

/// A backend per configured server, in the order given.
pub(super) fn make_servers(settings: &Settings) -> Result<Vec<Server>, CallError> {
    settings.validate()?;
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

/// One request besides the thread summaries (the report's highlights, see
/// [`super::synthesis`]): to the configured servers with the run's
/// timeout, retries and failover, naming `model` (the probed name). The
/// failure's kind says whether the model answered unusably (remember it)
/// or the request failed.
pub fn ask_model(
    settings: &Settings,
    model: &str,
    system: &str,
    user: &str,
) -> Result<String, Failure> {
    let failed = |e: CallError| Failure::request(e.to_string());
    let rt = Rt::new().map_err(failed)?;
    let servers = make_servers(settings).map_err(failed)?;
    let shared = Shared::new(servers, 1, model, settings, settings.budget(None));
    let req = Request {
        system: system.to_string(),
        user: user.to_string(),
        tokens: prompt::request_tokens(system, user),
        step: prompt::Step::Single,
    };
    rt.block_on(shared.call(&req)).map_err(Failure::from)
}
