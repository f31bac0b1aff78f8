//! Summaries for a report: the configured backend through
//! [`crate::summarize`], mapped to what the report shows and records.

use serde::Deserialize;

use crate::digest::{Digest, ThreadView};
use crate::error::{Error, Result};
use crate::grounding::{self, Glossary, KnownPeople, Mode, ThreadMaterial, Verdict};
use crate::lang::Lang;
use crate::progress::Progress;
use crate::report::{GroundingCounts, SummarizerInfo, ThreadSummary, public_url};
use crate::storage::archive::Archive;
use crate::summarize::{self, Backend, Failure, FailureKind, Settings, Summary, SummarySource};

/// Summaries of every thread (parallel to `digest.threads`), each checked
/// for grounding (`mode`), how they were made, the verdict counts and
/// notices for the report header.
pub fn make(
    archive: &Archive,
    digest: &Digest,
    s: &Settings,
    mode: Mode,
    glossary: &Glossary,
    replay: &[summarize::Replay],
    progress: &Progress,
) -> Result<Made> {
    let lang = s.lang;
    // The store lives beside the index, not in it: no index rebuild loses
    // a summary. When it cannot be opened the run goes on without a cache.
    let store =
        match summarize::cache::open_store(&archive.summaries_path(), Some(archive.index_path())) {
            Ok(db) => db,
            Err(e) => {
                progress.note(&format!("{e}; summaries are not cached in this run"));
                rusqlite::Connection::open_in_memory()
                    .map_err(|e| Error::Usage(format!("in-memory summary store: {e}")))?
            }
        };
    let outcome = summarize::summarize_with(digest, s, &store, replay, progress);
    let (summaries, counts, people) = ground_all(
        archive,
        digest,
        &outcome.summaries,
        mode,
        glossary,
        lang,
        progress,
    );
    let synthesis = outcome
        .model
        .as_ref()
        .filter(|_| digest.threads.len() >= summarize::synthesis::MIN_THREADS)
        .and_then(|model| {
            let ask = super::synthesis::Ask {
                digest,
                summaries: &summaries,
                settings: s,
                model,
                store: &store,
                replay,
                people: &people,
                glossary,
                mode,
            };
            super::synthesis::highlights(&ask, progress)
        });
    // Remembered for later windows' rolling summaries, but not a model
    // answer the grounding check rejected.
    let rejected: Vec<bool> = summaries.iter().map(|x| x.model_text.is_some()).collect();
    if let Err(e) = summarize::remember_rolling(&store, digest, &outcome, &rejected) {
        progress.note(&e.to_string());
    }
    let mut notices = Vec::new();
    if let Some(n) = &outcome.notice {
        // An endpoint as given may carry user:password: never in a report.
        let mut n = n.clone();
        for endpoint in s.endpoints() {
            n = n.replace(&endpoint, &public_url(&endpoint));
        }
        progress.note(&n);
        notices.push(n);
    }
    let used_model = outcome.model.is_some();
    let info = SummarizerInfo {
        backend: outcome
            .model
            .as_ref()
            .map_or(Backend::Extractive, |m| m.backend),
        // The model asked for, as the reproduce line records it; the one
        // the server reported only where it differs.
        model: outcome.model.as_ref().map(|_| s.model.clone()),
        model_answered: outcome
            .model
            .as_ref()
            .filter(|m| m.name != s.model)
            .map(|m| m.name.clone()),
        model_digest: outcome.model.as_ref().and_then(|m| m.digest.clone()),
        prompt_version: used_model.then(|| outcome.prompt_version.clone()),
        options: if used_model {
            vec![
                format!("num_ctx={}", s.num_ctx),
                format!("seed={}", s.seed),
                "temperature=0".into(),
            ]
        } else {
            Vec::new()
        },
        failed: outcome.failed,
        endpoint: outcome.model.as_ref().map(|m| public_url(&m.endpoint)),
        context_length: outcome.model.as_ref().and_then(|m| m.context_length),
    };
    if let Some(c) = &counts
        && c.rejected > 0
    {
        progress.note(&format!(
            "{} model summar{} rejected by the grounding check; the extractive summary is shown instead",
            c.rejected,
            if c.rejected == 1 { "y was" } else { "ies were" }
        ));
    }
    Ok(Made {
        summaries,
        info,
        notices,
        grounding: counts,
        synthesis,
    })
}

/// What [`make`] returns.
pub struct Made {
    pub summaries: Vec<ThreadSummary>,
    pub info: SummarizerInfo,
    pub notices: Vec<String>,
    /// Verdict counts; None with `--grounding off`.
    pub grounding: Option<GroundingCounts>,
    /// The model's highlights, when a model made summaries.
    pub synthesis: Option<crate::report::highlights::Synthesis>,
}

/// Check every summary (model, cache or extractive) against its thread.
/// A model answer the check rejects is replaced by the extractive summary
/// and kept as `model_text`.
fn ground_all(
    archive: &Archive,
    digest: &Digest,
    made: &[Summary],
    mode: Mode,
    glossary: &Glossary,
    lang: Lang,
    progress: &Progress,
) -> (Vec<ThreadSummary>, Option<GroundingCounts>, KnownPeople) {
    let people = if mode == Mode::Off {
        KnownPeople::default()
    } else {
        match archive.sender_names() {
            Ok(names) => KnownPeople::from_names(names).with_well_known(),
            Err(e) => {
                progress.note(&format!(
                    "{e}; the grounding check knows only the thread's own people"
                ));
                KnownPeople::default().with_well_known()
            }
        }
    };
    let mut counts = GroundingCounts {
        mode: mode.as_str().to_string(),
        ..GroundingCounts::default()
    };
    let out = made
        .iter()
        .zip(&digest.threads)
        .map(|(x, t)| ground_one(x, t, mode, glossary, &people, lang, &mut counts))
        .collect();
    (out, (mode != Mode::Off).then_some(counts), people)
}

/// The summary of one thread as the report shows it.
pub fn ground_one(
    x: &Summary,
    t: &ThreadView,
    mode: Mode,
    glossary: &Glossary,
    people: &KnownPeople,
    lang: Lang,
    counts: &mut GroundingCounts,
) -> ThreadSummary {
    let material = ThreadMaterial::of_thread(t);
    let mut checked = grounding::check_with(&x.text, &material, people, glossary, mode);
    let base = ThreadSummary {
        text: x.text.clone(),
        source: x.source,
        error: x.error.clone(),
        model_text: None,
        statements: checked.statements.clone(),
        grounding: None,
        shown: None,
        cache_key: x.key.clone(),
        parts: x.key.as_ref().map(|_| x.parts),
        history_summary: x.earlier.clone(),
    };
    if mode == Mode::Off {
        checked.grounding.problems.clear();
        return ThreadSummary {
            shown: Some(checked),
            ..base
        };
    }
    let from_model = x.source.is_model();
    match checked.grounding.verdict {
        Verdict::Rejected if from_model => {
            counts.rejected += 1;
            let text = summarize::extractive(t, lang);
            let shown = grounding::check_with(&text, &material, people, glossary, mode);
            ThreadSummary {
                text,
                model_text: Some(x.text.clone()),
                statements: shown.statements.clone(),
                grounding: Some(checked.grounding),
                shown: Some(shown),
                ..base
            }
        }
        mut v => {
            // Only a model's text is rejected: the tool's own extractive
            // text is shown whatever the check finds, so it is at most
            // flagged.
            if v == Verdict::Rejected && !from_model {
                v = Verdict::Flagged;
                checked.grounding.verdict = v;
            }
            match v {
                Verdict::Grounded => counts.grounded += 1,
                Verdict::Flagged => counts.flagged += 1,
                Verdict::Rejected => counts.rejected += 1,
            }
            ThreadSummary {
                grounding: Some(checked.grounding.clone()),
                shown: Some(checked),
                ..base
            }
        }
    }
}

/// The answers of an earlier JSON report (`--summaries-from`): its model
/// (backend, name, digest, prompt version, context length, endpoint) and
/// every thread summary that carries a cache key (the model's own answer:
/// `model_text` when the grounding check rejected it). A report made
/// without a model gives no answers.
pub fn load_replay(path: &std::path::Path) -> Result<summarize::Replay> {
    let bad = |what: &str| {
        Error::Usage(format!(
            "--summaries-from {}: {what} (a JSON report of lore-digest is expected)",
            path.display()
        ))
    };
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let j: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let sm = j
        .pointer("/report/summarizer")
        .ok_or_else(|| bad("no report.summarizer"))?;
    let field = |name: &str| sm.get(name).and_then(|v| v.as_str()).map(str::to_string);
    let backend = sm
        .get("backend")
        .filter(|v| v.is_string())
        .ok_or_else(|| bad("no summarizer backend"))?;
    let mut r = summarize::Replay {
        origin: path.display().to_string(),
        // A backend that is none of ours answers nothing.
        backend: Backend::deserialize(backend).ok(),
        ..Default::default()
    };
    let (Some(model), Some(digest), Some(pv)) = (
        field("model"),
        field("model_digest"),
        field("prompt_version"),
    ) else {
        return Ok(r);
    };
    // The cache keys were made with the model the server reported.
    r.model = field("model_answered").unwrap_or(model);
    r.digest = digest;
    r.prompt_version = pv;
    r.endpoint = field("endpoint").unwrap_or_default();
    r.context_length = sm.get("context_length").and_then(|v| v.as_u64());
    let threads = j
        .get("threads")
        .and_then(|t| t.as_array())
        .ok_or_else(|| bad("no threads"))?;
    for t in threads {
        let s = &t["summary"];
        let Some(key) = s.get("cache_key").and_then(|k| k.as_str()) else {
            continue;
        };
        let source = s.get("source").map(SummarySource::deserialize);
        if let Some(Ok(SummarySource::Unavailable)) = source {
            // An unusable answer (a failed request has no key): the same
            // request gets the same failure.
            if let Some(Ok(e)) = s.get("error").map(Failure::deserialize) {
                r.failures.insert(key.to_string(), e);
            }
            continue;
        }
        let answer = s
            .get("model_text")
            .or_else(|| s.get("text"))
            .and_then(|v| v.as_str());
        let Some(answer) = answer else {
            return Err(bad(&format!("thread summary with key {key} has no text")));
        };
        if let Some(Ok(src)) = source.filter(|s| s.as_ref().is_ok_and(|s| s.is_model())) {
            r.sources.insert(key.to_string(), src);
        }
        let parts = s.get("parts").and_then(|p| p.as_u64()).unwrap_or(1) as u32;
        r.answers
            .insert(key.to_string(), (answer.to_string(), parts.max(1)));
        if let (Some(id), Some(h)) = (
            t.get("id").and_then(|i| i.as_str()),
            s.get("history_summary"),
        ) {
            let e = serde_json::from_value(h.clone())
                .map_err(|e| bad(&format!("thread {id}: summary.history_summary: {e}")))?;
            r.earlier.entry(id.to_string()).or_default().push(e);
        }
    }
    // The model's highlights: their key cannot match a thread's.
    let synthesis = |name: &str| {
        j.pointer(&format!("/highlights_synthesis/{name}"))
            .and_then(|v| v.as_str())
    };
    let failure = j
        .pointer("/highlights_synthesis/error")
        .and_then(|v| Failure::deserialize(v).ok());
    match (synthesis("cache_key"), synthesis("text"), failure) {
        (Some(key), Some(text), _) => {
            r.answers.insert(key.to_string(), (text.to_string(), 1));
            let source = j.pointer("/highlights_synthesis/source");
            if let Some(Ok(src)) = source.map(SummarySource::deserialize)
                && src.is_model()
            {
                r.sources.insert(key.to_string(), src);
            }
        }
        (Some(key), None, Some(f)) if f.kind() == FailureKind::Unusable => {
            r.failures.insert(key.to_string(), f);
        }
        _ => {}
    }
    Ok(r)
}
