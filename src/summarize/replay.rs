//! The answers of earlier reports (`--summaries-from`, [`Replay`]): a
//! thread whose cache key, computed for the model a report was made with,
//! is among that report's answers takes the answer before the summary
//! store and the model are asked. A thread is looked up with each earlier
//! summary the reports recorded for it as HISTORY SUMMARY (rolling
//! summaries), so that the same prompt and key are made again.

use std::collections::HashMap;

use super::keys::{KeyBase, plan_and_key};
use super::outcome::{Failure, ModelInfo, Summary};
use super::prompt::Budget;
use super::rolling;
use super::settings::{Backend, Settings};
use crate::digest::ThreadView;
use crate::lang::Lang;

/// The answers of an earlier report (`--summaries-from`): the model they
/// were made with and each thread's answer by cache key. A thread whose key,
/// computed for that model, is here takes the answer before the cache and
/// the model are asked.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    /// Where the answers came from (for messages).
    pub origin: String,
    /// The backend the report names (None: none of ours, it answers
    /// nothing).
    pub backend: Option<Backend>,
    pub model: String,
    pub digest: String,
    pub prompt_version: String,
    /// The model's context length as its server reported it (it bounds the
    /// prompt, so the key).
    pub context_length: Option<u64>,
    /// The server address (public form).
    pub endpoint: String,
    /// Cache key → (answer, parts).
    pub answers: HashMap<String, (String, u32)>,
    /// Thread id → the earlier summaries its prompts carried (rolling
    /// summaries), so that the same prompt and key are made again.
    pub earlier: HashMap<String, Vec<rolling::Earlier>>,
    /// Cache key → the failure of an unusable answer (the same request
    /// gets the same answer, so the same failure).
    pub failures: HashMap<String, Failure>,
}

impl Replay {
    /// The model as the report recorded it.
    pub fn model_info(&self, backend: Backend) -> ModelInfo {
        ModelInfo {
            backend,
            name: self.model.clone(),
            digest: Some(self.digest.clone()),
            endpoint: self.endpoint.clone(),
            server_version: None,
            context_length: self.context_length,
        }
    }

    /// The same model as `other` (name, digest and context length): their
    /// answers can stand together in one report.
    fn same_model(&self, other: &Replay) -> bool {
        (&self.model, &self.digest, self.context_length)
            == (&other.model, &other.digest, other.context_length)
    }
}

/// A thread's answer in the replayed reports.
#[derive(Debug, Clone)]
pub(super) struct ReplayHit {
    /// Index of the report in the replay list.
    pub source: usize,
    key: String,
    /// The HISTORY SUMMARY its prompt carried.
    earlier: Option<rolling::Earlier>,
    /// The answer and its parts, or why it was unusable, as the replayed
    /// report showed it.
    answer: Result<(String, u32), Failure>,
}

impl ReplayHit {
    pub fn failed(&self) -> bool {
        self.answer.is_err()
    }

    pub fn summary(self, t: &ThreadView, lang: Lang) -> Summary {
        match self.answer {
            Ok((text, parts)) => Summary::cached(text, parts, self.key, self.earlier),
            Err(failure) => Summary::unavailable(t, lang, failure).keyed(self.key, self.earlier),
        }
    }
}

/// The answer under `key` in report `source`, if it has one (or the
/// failure of an unusable answer).
fn lookup(
    r: &Replay,
    source: usize,
    key: String,
    earlier: Option<&rolling::Earlier>,
) -> Option<ReplayHit> {
    let answer = match (r.answers.get(&key), r.failures.get(&key)) {
        (Some(a), _) => Ok(a.clone()),
        (None, Some(f)) => Err(f.clone()),
        (None, None) => return None,
    };
    Some(ReplayHit {
        source,
        key,
        earlier: earlier.cloned(),
        answer,
    })
}

/// A thread's answer in the replayed reports, the key computed for each
/// source's model, with each earlier summary the reports recorded for the
/// thread as HISTORY SUMMARY, else with none.
fn hit_for_reports(
    t: &ThreadView,
    settings: &Settings,
    lang: Lang,
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
        let backend = r.backend.filter(|b| *b == settings.backend)?;
        if r.prompt_version != prompt_version {
            return None;
        }
        let base = KeyBase {
            backend,
            model: &r.model,
            digest: &r.digest,
            prompt_version,
            lang,
        };
        let budget = settings.budget(r.context_length);
        candidates.iter().find_map(|earlier| {
            let (_, key) = plan_and_key(t, settings, &base, budget, *earlier);
            lookup(r, i, key, *earlier)
        })
    })
}

/// Each thread's answer in the replayed reports, each for its reports'
/// own models (see [`hit_for_reports`]).
pub(super) fn hits(
    threads: &[ThreadView],
    settings: &Settings,
    lang: Lang,
    prompt_version: &str,
    replay: &[Replay],
) -> Vec<Option<ReplayHit>> {
    threads
        .iter()
        .map(|t| hit_for_reports(t, settings, lang, prompt_version, replay))
        .collect()
}

/// The report that answers every thread when all the answers are of one
/// model (then no server is needed), else None.
pub(super) fn answering_all(hits: &[Option<ReplayHit>], replay: &[Replay]) -> Option<usize> {
    let first = hits.first()?.as_ref()?.source;
    hits.iter()
        .all(|h| {
            h.as_ref()
                .is_some_and(|h| replay[first].same_model(&replay[h.source]))
        })
        .then_some(first)
}

/// A thread's answer in the replayed reports for the model in use
/// (`base`, `budget`): under `key`, the key of its prompt with the
/// HISTORY SUMMARY found in the store (`earlier`), else under the key made
/// with an earlier summary the reports recorded.
pub(super) fn hit_for_model(
    t: &ThreadView,
    settings: &Settings,
    (base, budget): (&KeyBase<'_>, Budget),
    (earlier, key): (Option<&rolling::Earlier>, &str),
    replay: &[Replay],
) -> Option<ReplayHit> {
    if replay.is_empty() {
        return None;
    }
    let mut candidates = vec![(earlier, key.to_string())];
    for e in replayed_earlier(t, settings, replay) {
        if earlier != Some(e) {
            let (_, k) = plan_and_key(t, settings, base, budget, Some(e));
            candidates.push((Some(e), k));
        }
    }
    candidates.into_iter().find_map(|(e, k)| {
        let found = |with_answer: bool| {
            replay.iter().position(|r| {
                if with_answer {
                    r.answers.contains_key(&k)
                } else {
                    r.failures.contains_key(&k)
                }
            })
        };
        // An answer in any report before a failure in any.
        let i = found(true).or_else(|| found(false))?;
        lookup(&replay[i], i, k, e)
    })
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
