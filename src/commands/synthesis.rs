//! The model's highlights for a report: after the thread summaries, when a
//! model made some of them, one more request asks for a synthesis
//! ([`crate::summarize::synthesis`]). Answered, in this order, by the
//! reports of `--summaries-from`, the summary store (unless
//! `--refresh-summaries`) and the model; checked against the threads it
//! cites; shown when grounded or flagged, else the report shows the
//! highlights from facts with a notice.

use crate::digest::Digest;
use crate::grounding::{KnownPeople, Mode, Verdict};
use crate::lang::Lang;
use crate::progress::Progress;
use crate::report::ThreadSummary;
use crate::report::highlights::{Highlight, Synthesis};
use crate::summarize::cache::{Cache, KeyParts as CacheKeyParts};
use crate::summarize::synthesis::{self, KeyParts};
use crate::summarize::{Failure, FailureKind, ModelInfo, Replay, Settings, SummarySource};

/// What a synthesis needs.
pub struct Ask<'a> {
    pub digest: &'a Digest,
    /// The summaries as shown, parallel to `digest.threads`.
    pub summaries: &'a [ThreadSummary],
    pub settings: &'a Settings,
    /// The model that made the summaries.
    pub model: &'a ModelInfo,
    pub store: &'a rusqlite::Connection,
    pub replay: &'a [Replay],
    pub people: &'a KnownPeople,
    /// The acronym glossary of the grounding check.
    pub glossary: &'a crate::grounding::Glossary,
    pub mode: Mode,
}

/// The model's highlights, or None when the model gave no thread an answer
/// (every request failed: the server is not reachable, and the highlights
/// from facts stand alone). Summaries the check rejected and unusable
/// answers still show that the model answers.
pub fn highlights(a: &Ask<'_>, progress: &Progress) -> Option<Synthesis> {
    let answered = |s: &ThreadSummary| {
        s.source.is_model()
            || s.error
                .as_ref()
                .is_some_and(|e| e.kind() == FailureKind::Unusable)
    };
    if !a.summaries.iter().any(answered) {
        return None;
    }
    let s = a.settings;
    let lang = s.lang;
    let context = match a.model.context_length {
        Some(m) if m > 0 && (m as usize) < s.num_ctx as usize => m as usize,
        _ => s.num_ctx as usize,
    };
    let entries: Vec<(&str, &str)> = a
        .digest
        .threads
        .iter()
        .zip(a.summaries)
        .map(|(t, x)| (t.subject.as_str(), x.text.as_str()))
        .collect();
    let request = synthesis::request(&entries, lang, context, s.num_predict as usize);
    let digest = a.model.digest.clone().unwrap_or_default();
    let key = synthesis::key(
        &KeyParts {
            backend: a.model.backend.as_str(),
            model: &a.model.name,
            model_digest: &digest,
            lang,
            num_ctx: s.num_ctx as usize,
            num_predict: s.num_predict as usize,
            seed: s.effective_seed(),
        },
        &request,
    );
    let answer = answer(a, &key, &request, &digest, lang, progress);
    let mut out = Synthesis {
        source: answer.source,
        text: answer.text.clone(),
        error: answer.error.clone(),
        grounding: None,
        cache_key: key,
        notice: None,
        items: None,
    };
    let Some(text) = answer.text else {
        let why = answer.error.as_ref().map_or("", Failure::as_str);
        let n = synthesis::notice(lang, Some(why), &[]);
        progress.note(&n);
        out.notice = Some(n);
        return Some(out);
    };
    if synthesis::echoes(&text, &request) {
        let why = Failure::unusable("it repeats the prompt instead of synthesizing it");
        let n = synthesis::notice(lang, Some(why.as_str()), &[]);
        progress.note(&n);
        out.error = Some(why);
        out.notice = Some(n);
        return Some(out);
    }
    let checked = synthesis::check(&text, &a.digest.threads, a.people, a.glossary, a.mode);
    if a.mode != Mode::Off {
        out.grounding = Some(checked.grounding.clone());
    }
    if checked.grounding.verdict == Verdict::Rejected {
        let n = synthesis::notice(lang, None, &checked.grounding.problems);
        progress.note(&n);
        out.notice = Some(n);
        return Some(out);
    }
    out.items = Some(
        checked
            .items
            .into_iter()
            .take(synthesis::MAX_ITEMS)
            .map(|it| Highlight {
                text: it.text,
                threads: it
                    .threads
                    .iter()
                    .map(|&n| a.digest.threads[n - 1].id.clone())
                    .collect(),
            })
            .collect(),
    );
    Some(out)
}

struct Answer {
    /// `Model`, `Cache` or `Unavailable`.
    source: SummarySource,
    text: Option<String>,
    error: Option<Failure>,
}

/// The answer for `key`: replayed, cached or asked (and then stored).
fn answer(
    a: &Ask<'_>,
    key: &str,
    request: &synthesis::Request,
    digest: &str,
    lang: Lang,
    progress: &Progress,
) -> Answer {
    let found = |text: String| Answer {
        source: SummarySource::Cache,
        text: Some(text),
        error: None,
    };
    if let Some(r) = a.replay.iter().find(|r| r.answers.contains_key(key)) {
        // The source of the run that made the answer: a replay is the
        // same byte for byte.
        let mut answer = found(r.answers[key].0.clone());
        if let Some(src) = r.sources.get(key) {
            answer.source = *src;
        }
        return answer;
    }
    if let Some(e) = a.replay.iter().find_map(|r| r.failures.get(key)) {
        return Answer {
            source: SummarySource::Unavailable,
            text: None,
            error: Some(e.clone()),
        };
    }
    let cache = Cache::open(a.store)
        .map_err(|e| progress.note(&e.to_string()))
        .ok();
    if let Some(c) = &cache
        && !a.settings.refresh
    {
        match c.get(key) {
            Ok(Some(hit)) => return found(hit.text),
            Ok(None) => {}
            Err(e) => progress.note(&e.to_string()),
        }
        if let Ok(Some(err)) = c.get_failure(key) {
            return Answer {
                source: SummarySource::Unavailable,
                text: None,
                error: Some(Failure::remembered(&err)),
            };
        }
    }
    let version = synthesis::version(lang);
    let meta = CacheKeyParts {
        backend: a.model.backend.as_str(),
        model: &a.model.name,
        model_digest: digest,
        prompt_version: &version,
        lang,
        num_ctx: a.settings.num_ctx as usize,
        num_predict: a.settings.num_predict as usize,
        seed: a.settings.effective_seed(),
        messages: Vec::new(),
        input_hash: String::new(),
        earlier: None,
    };
    let now = crate::clock::now();
    match crate::summarize::ask_model(a.settings, &a.model.name, &request.system, &request.user) {
        Ok(text) => {
            if let Some(c) = &cache {
                let row = (key.to_string(), "highlights".to_string(), text.clone(), 1);
                if let Err(e) = c.put_all(&meta, &[row], now) {
                    progress.note(&e.to_string());
                }
            }
            Answer {
                source: SummarySource::Model,
                text: Some(text),
                error: None,
            }
        }
        Err(e) => {
            let e = e.cleaned();
            if e.kind() == FailureKind::Unusable
                && let Some(c) = &cache
                && let Err(err) = c.put_failures(&[(key.to_string(), e.to_string())], now)
            {
                progress.note(&err.to_string());
            }
            Answer {
                source: SummarySource::Unavailable,
                text: None,
                error: Some(e),
            }
        }
    }
}
