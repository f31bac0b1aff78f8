//! One run of the summarizer, phase by phase ([`run`]):
//!
//! 1. replay: the answers of earlier reports (`--summaries-from`,
//!    [`super::replay`]); when they answer every thread for one model the
//!    run ends there ([`all_replayed`]);
//! 2. connect: the servers and the model they serve ([`pool::connect`]);
//!    when none can be used, the answers that need no server
//!    ([`offline`]);
//! 3. plan and cache: each thread's prompt plan and cache key, answered by
//!    the replayed reports, the summary store or a remembered failure, else
//!    a [`Job`] for the model ([`plan`]);
//! 4. send: the jobs, concurrently through the server pool ([`send`]);
//! 5. store: the answers and unusable-answer failures into the store, one
//!    summary per thread ([`store`]).
//!
//! The database is used from the calling thread only (phases 2, 3 and 5).

use std::collections::HashMap;
use std::panic::resume_unwind;
use std::sync::Arc;

use rusqlite::Connection;

use super::backend::Probe;
use super::cache::Cache;
use super::keys::{self, KeyBase, plan_and_key, rolling_context, stored_earlier};
use super::notice;
use super::outcome::{Failure, FailureKind, ModelInfo, Outcome, Summary, SummarySource};
use super::pool::{self, CallFailure, Connected, Shared, ThreadResult};
use super::prompt::{Budget, Plan};
use super::replay::{self, Replay, ReplayHit};
use super::rolling;
use super::settings::{Backend, Settings};
use crate::digest::{Digest, ThreadView};
use crate::lang::Lang;
use crate::progress::{Progress, Task};

/// What every phase reads.
struct Ctx<'a> {
    threads: &'a [ThreadView],
    settings: &'a Settings,
    /// `zh` or `en`.
    lang: Lang,
    /// The summary store.
    db: &'a Connection,
    progress: &'a Progress,
    /// One step per thread answered.
    bar: Task,
}

impl Ctx<'_> {
    /// A cache key base for the configured backend and `model`.
    fn base<'b>(&self, model: &'b str, digest: &'b str, prompt_version: &'b str) -> KeyBase<'b> {
        KeyBase {
            backend: self.settings.backend,
            model,
            digest,
            prompt_version,
            lang: self.lang,
        }
    }

    /// Note a failure of the summary store and go on without it.
    fn note(&self, e: impl std::fmt::Display) {
        self.progress.note(&e.to_string());
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

/// Summarize every thread of `digest` (see [`super::summarize_with`]).
pub(super) fn run(
    digest: &Digest,
    settings: &Settings,
    db: &Connection,
    replay: &[Replay],
    progress: &Progress,
) -> Outcome {
    let lang = settings.lang;
    let threads = &digest.threads;
    let n = threads.len();
    let mut out = Outcome::new(n, settings, lang);
    let cx = Ctx {
        threads,
        settings,
        lang,
        db,
        progress,
        bar: progress.bar(n as u64, "summaries"),
    };
    if settings.backend == Backend::Extractive || threads.is_empty() {
        out.summaries = threads
            .iter()
            .map(|t| Summary::extractive(t, lang))
            .collect();
        cx.bar.inc(n as u64);
        return out;
    }

    // 1. Earlier reports first: when they answer every thread for one
    // model, no server is needed.
    let replayed = replay::hits(threads, settings, lang, &out.prompt_version, replay);
    if let Some(first) = replay::answering_all(&replayed, replay) {
        return all_replayed(&cx, out, replayed, &replay[first]);
    }

    // 2. The servers.
    let cache = match Cache::open(db) {
        Ok(c) => Some(c),
        Err(e) => {
            cx.note(format!("{e}; summaries are not cached in this run"));
            None
        }
    };
    let Connected { rt, servers, probe } = match pool::connect(settings, progress) {
        Ok(c) => c,
        Err(e) => return offline(&cx, out, cache.as_ref(), replayed, replay, &e.to_string()),
    };

    // 3. Plans, keys and the answers already known.
    out.model = Some(model_in_use(&cx, &probe, cache.as_ref()));
    let prompt_version = out.prompt_version.clone();
    let base = cx.base(&probe.name, &probe.digest, &prompt_version);
    let budget = settings.budget(probe.context_length);
    let context = rolling_context(settings, &base);
    out.rolling_context = Some(context.clone());
    let planned = plan(&cx, cache.as_ref(), (&base, budget), &context, replay);
    out.cache_hits = planned.known;

    // 4. The requests.
    let jobs = settings.jobs.clamp(1, 64);
    let shared = Arc::new(Shared::new(servers, jobs, &probe.name, settings, budget));
    let results = send(&cx, &rt, &shared, &planned.jobs);

    // 5. The answers, stored.
    out.summaries = store(&cx, cache.as_ref(), &base, planned, results);
    out.failed = out
        .summaries
        .iter()
        .filter(|s| s.source == SummarySource::Unavailable)
        .count();
    let counts = shared.counts();
    out.requests = counts.requests;
    if let Some(share) = shared.per_server() {
        progress.note(&share);
    }
    out.prompt_tokens_estimated = counts.tokens_estimated;
    out.prompt_tokens_reported = counts.tokens_reported;
    out.notice = notice::failed(&out, lang, n);
    out
}

/// Every thread answered by the replayed reports, all of one model (`r`,
/// the first report that answers).
fn all_replayed(
    cx: &Ctx<'_>,
    mut out: Outcome,
    replayed: Vec<Option<ReplayHit>>,
    r: &Replay,
) -> Outcome {
    let n = cx.threads.len();
    out.model = Some(r.model_info(cx.settings.backend));
    out.rolling_context = Some(rolling_context(
        cx.settings,
        &cx.base(&r.model, &r.digest, &out.prompt_version),
    ));
    out.cache_hits = n;
    out.failed = replayed.iter().flatten().filter(|h| h.failed()).count();
    out.summaries = replayed
        .into_iter()
        .zip(cx.threads)
        .filter_map(|(h, t)| h.map(|h| h.summary(t, cx.lang)))
        .collect();
    out.notice = notice::failed(&out, cx.lang, n);
    cx.bar.inc(n as u64);
    out
}

/// No server can be used (`err` says why). Summaries of the replayed
/// reports stand, and those cached for the model last seen at this
/// endpoint are still good; the rest are extractive (no backend chosen) or
/// unavailable (a chosen backend failed).
fn offline(
    cx: &Ctx<'_>,
    mut out: Outcome,
    cache: Option<&Cache<'_>>,
    replayed: Vec<Option<ReplayHit>>,
    replay: &[Replay],
    err: &str,
) -> Outcome {
    let settings = cx.settings;
    let n = cx.threads.len();
    let fallback = !settings.backend_explicit;
    let endpoint = settings.endpoint();
    let last = cache.and_then(|c| {
        c.last_model(settings.backend.as_str(), &endpoint, &settings.model)
            .ok()
            .flatten()
    });
    let mut replay_used = None;
    for (t, r) in cx.threads.iter().zip(replayed) {
        let s = match r {
            Some(h) => {
                replay_used.get_or_insert(h.source);
                out.cache_hits += 1;
                if h.failed() {
                    out.failed += 1;
                }
                h.summary(t, cx.lang)
            }
            None => match (cache, &last, settings.refresh) {
                (Some(c), Some((name, digest)), false) => {
                    let base = cx.base(name, digest, &out.prompt_version);
                    let context = rolling_context(settings, &base);
                    let earlier = stored_earlier(t, settings, Some(cx.db), &context, cx.progress);
                    let budget = settings.budget(None);
                    let (_, key) = plan_and_key(t, settings, &base, budget, earlier.as_ref());
                    c.get(&key).ok().flatten().map(|h| {
                        out.cache_hits += 1;
                        out.rolling_context.get_or_insert(context);
                        Summary::cached(h.text, h.parts, key, earlier)
                    })
                }
                _ => None,
            }
            .unwrap_or_else(|| {
                if fallback {
                    Summary::extractive(t, cx.lang)
                } else {
                    out.failed += 1;
                    Summary::unavailable(t, cx.lang, Failure::request(err))
                }
            }),
        };
        out.summaries.push(s);
        cx.bar.inc(1);
    }
    if let Some(i) = replay_used {
        out.model = Some(replay[i].model_info(settings.backend));
        // Summaries of two models are not remembered under one.
        out.rolling_context = None;
    } else if out.cache_hits > 0
        && let Some((name, digest)) = last
    {
        out.model = Some(ModelInfo {
            backend: settings.backend,
            name,
            digest: Some(digest),
            endpoint,
            server_version: None,
            context_length: None,
        });
    }
    out.notice = if out.cache_hits < n {
        Some(notice::unreachable(settings, cx.lang, err, fallback))
    } else {
        // Every thread answered by earlier reports, failures too.
        notice::failed(&out, cx.lang, n)
    };
    out
}

/// The model the servers serve (`probe`), remembered in the store for
/// this endpoint (so that its summaries are found when the server is
/// down).
fn model_in_use(cx: &Ctx<'_>, probe: &Probe, cache: Option<&Cache<'_>>) -> ModelInfo {
    let settings = cx.settings;
    let endpoint = settings.endpoint();
    if let Some(c) = cache
        && let Err(e) = c.remember_model(
            settings.backend.as_str(),
            &endpoint,
            &settings.model,
            &probe.name,
            &probe.digest,
            now_secs(),
        )
    {
        cx.note(e);
    }
    ModelInfo {
        backend: settings.backend,
        name: probe.name.clone(),
        digest: Some(probe.digest.clone()),
        endpoint,
        server_version: probe.server_version.clone(),
        context_length: probe.context_length,
    }
}

/// What [`plan`] found.
struct Planned {
    /// Per thread: its summary when already known (replayed, cached, a
    /// remembered failure), else None and a job.
    slots: Vec<Option<Summary>>,
    jobs: Vec<Job>,
    /// Threads already known.
    known: usize,
}

/// Each thread's plan and key for the model in use (`base`, `budget`), with
/// the HISTORY SUMMARY the store has for it under `context`; answered by
/// the replayed reports, the store or a remembered failure (unless
/// `--refresh-summaries`), else a job.
fn plan(
    cx: &Ctx<'_>,
    cache: Option<&Cache<'_>>,
    (base, budget): (&KeyBase<'_>, Budget),
    context: &str,
    replay: &[Replay],
) -> Planned {
    let settings = cx.settings;
    let mut planned = Planned {
        slots: vec![None; cx.threads.len()],
        jobs: Vec::new(),
        known: 0,
    };
    let rolling_db = match (settings.rolling, cache) {
        (true, Some(_)) => rolling::open(cx.db)
            .map_err(|e| cx.note(e))
            .ok()
            .map(|_| cx.db),
        _ => None,
    };
    for (i, t) in cx.threads.iter().enumerate() {
        let earlier = stored_earlier(t, settings, rolling_db, context, cx.progress);
        let (plan, key) = plan_and_key(t, settings, base, budget, earlier.as_ref());
        let replayed = replay::hit_for_model(
            t,
            settings,
            (base, budget),
            (earlier.as_ref(), &key),
            replay,
        );
        let known = match (replayed, cache.filter(|_| !settings.refresh)) {
            (Some(h), _) => Some(h.summary(t, cx.lang)),
            (None, Some(c)) => cached(cx, c, t, &key, &earlier),
            (None, None) => None,
        };
        match known {
            Some(s) => {
                planned.known += 1;
                planned.slots[i] = Some(s);
                cx.bar.inc(1);
            }
            None => planned.jobs.push(Job {
                index: i,
                plan,
                key,
                earlier,
            }),
        }
    }
    planned
}

/// The store's answer for `key`, or the failure it remembers for it.
fn cached(
    cx: &Ctx<'_>,
    c: &Cache<'_>,
    t: &ThreadView,
    key: &str,
    earlier: &Option<rolling::Earlier>,
) -> Option<Summary> {
    let hit = c.get(key).unwrap_or_else(|e| {
        cx.note(e);
        None
    });
    if let Some(h) = hit {
        return Some(Summary::cached(
            h.text,
            h.parts,
            key.to_string(),
            earlier.clone(),
        ));
    }
    let stored = c.get_failure(key).unwrap_or(None)?;
    Some(
        Summary::unavailable(t, cx.lang, Failure::remembered(&stored))
            .keyed(key.to_string(), earlier.clone()),
    )
}

/// Send every job through the pool on `rt`, concurrently; each thread's
/// result by its index.
fn send(
    cx: &Ctx<'_>,
    rt: &pool::Rt,
    shared: &Arc<Shared>,
    jobs: &[Job],
) -> Vec<(usize, ThreadResult)> {
    let plans: Vec<(usize, Plan)> = jobs.iter().map(|j| (j.index, j.plan.clone())).collect();
    let bar = &cx.bar;
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        let mut ids = HashMap::new();
        for (index, plan) in plans {
            let sh = Arc::clone(shared);
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
                        Err(CallFailure::Request(format!("request cancelled: {e}"))),
                    ));
                }
            }
            bar.inc(1);
        }
        res
    })
}

/// Each thread's summary: known before (`planned.slots`) or the job's
/// result; model answers and unusable-answer failures go into the store
/// under the model and run of `base`.
fn store(
    cx: &Ctx<'_>,
    cache: Option<&Cache<'_>>,
    base: &KeyBase<'_>,
    planned: Planned,
    results: Vec<(usize, ThreadResult)>,
) -> Vec<Summary> {
    let Planned {
        mut slots, jobs, ..
    } = planned;
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (index, r) in results {
        let Some(t) = cx.threads.get(index) else {
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
                let failure = Failure::from(e);
                match failure.kind() {
                    FailureKind::Unusable => {
                        let failure = failure.cleaned();
                        failures.push((key.clone(), failure.as_str().to_string()));
                        // The key goes into the JSON with the error, so
                        // that `--summaries-from` shows the same failure
                        // again.
                        Summary::unavailable(t, cx.lang, failure).keyed(key, earlier)
                    }
                    FailureKind::Request => Summary::unavailable(t, cx.lang, failure),
                }
            }
        });
    }
    if let Some(c) = cache {
        let now = now_secs();
        if let Err(e) = c.put_all(&keys::run_parts(cx.settings, base), &rows, now) {
            cx.note(e);
        }
        if let Err(e) = c.put_failures(&failures, now) {
            cx.note(e);
        }
    }
    slots
        .into_iter()
        .zip(cx.threads)
        .map(|(s, t)| {
            s.unwrap_or_else(|| Summary::unavailable(t, cx.lang, Failure::request("no answer")))
        })
        .collect()
}

/// Remember the model summaries of a report ([`Outcome`] of `digest`;
/// `rejected[i]`: the grounding check rejected the answer of thread i) for
/// later windows' rolling summaries. Nothing without a model.
pub fn remember_rolling(
    db: &Connection,
    digest: &Digest,
    outcome: &Outcome,
    rejected: &[bool],
) -> Result<(), rolling::StoreError> {
    let Some(context) = &outcome.rolling_context else {
        return Ok(());
    };
    let rows: Vec<rolling::Row<'_>> = outcome
        .summaries
        .iter()
        .zip(&digest.threads)
        .enumerate()
        .filter(|(_, (s, _))| s.source.is_model())
        .filter_map(|(i, (s, t))| {
            Some(rolling::Row {
                key: s.key.as_deref()?,
                thread: t,
                text: &s.text,
                rejected: rejected.get(i).copied().unwrap_or(false),
            })
        })
        .collect();
    rolling::remember(db, context, &rows, now_secs())
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
