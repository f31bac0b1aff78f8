//! Summaries for a report: the configured backend through
//! [`crate::summarize`], mapped to what the report shows and records.

use super::{SummarizerInfo, ThreadSummary};
use crate::archive::Archive;
use crate::cli::ReportArgs;
use crate::config::Config;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::summarize::{self, Backend, Settings, SummarySource};

/// The summarizer as the user asked for it: what the regenerate command
/// records.
pub struct Asked {
    /// After flags, configuration and environment.
    pub settings: Settings,
    /// The Ollama address came from `OLLAMA_HOST`.
    pub ollama_from_env: bool,
}

/// Summaries of every thread (parallel to `digest.threads`), how they were
/// made, notices for the report header, and how they were asked for.
pub fn make(
    archive: &Archive,
    digest: &Digest,
    a: &ReportArgs,
    config: &Config,
    lang: &str,
    progress: &Progress,
) -> Result<(Vec<ThreadSummary>, SummarizerInfo, Vec<String>, Asked)> {
    let d = &config.defaults;
    let mut s = Settings::defaults(lang);
    let backend_name = if a.no_llm {
        Some("extractive".to_string())
    } else {
        a.backend.clone().or_else(|| d.backend.clone())
    };
    s.backend_explicit = backend_name.is_some()
        || a.model.is_some()
        || a.llm_url.is_some()
        || a.ollama_url.is_some();
    if let Some(b) = &backend_name {
        s.backend = b
            .parse::<Backend>()
            .map_err(|e| Error::Usage(format!("--backend: {e}")))?;
    }
    if let Some(m) = a.model.clone().or_else(|| d.model.clone()) {
        s.model = m;
    }
    let env_host = std::env::var("OLLAMA_HOST").ok().filter(|v| !v.is_empty());
    let ollama_from_env = a.ollama_url.is_none() && d.ollama_url.is_none() && env_host.is_some();
    if let Some(u) = a
        .ollama_url
        .clone()
        .or_else(|| d.ollama_url.clone())
        .or(env_host)
    {
        s.ollama_url = u;
    }
    if let Some(u) = a.llm_url.clone().or_else(|| d.llm_url.clone()) {
        s.llm_url = Some(u);
    }
    if matches!(s.backend, Backend::OpenAi) && s.llm_url.is_none() {
        return Err(Error::Usage(
            "--backend openai needs --llm-url (e.g. http://127.0.0.1:8080/v1)".into(),
        ));
    }
    if let Some(j) = a.jobs.or(d.jobs) {
        s.jobs = j.clamp(1, 64);
    }
    if let Some(n) = a.num_ctx.or(d.num_ctx) {
        s.num_ctx = n;
    }
    if let Some(t) = a.timeout.or(d.timeout_secs) {
        s.timeout = std::time::Duration::from_secs(t.max(1));
    }
    s.refresh = a.refresh_summaries;

    // The store lives beside the index, not in it: no index rebuild loses
    // a summary. When it cannot be opened the run goes on without a cache.
    let store =
        match summarize::cache::open_store(&archive.summaries_path(), Some(archive.index.path())) {
            Ok(db) => db,
            Err(e) => {
                progress.note(&format!("{e}; summaries are not cached in this run"));
                rusqlite::Connection::open_in_memory()
                    .map_err(|e| Error::Usage(format!("in-memory summary store: {e}")))?
            }
        };
    let outcome = summarize::summarize(digest, &s, &store, progress);
    let summaries = outcome
        .summaries
        .iter()
        .map(|x| ThreadSummary {
            text: x.text.clone(),
            source: match x.source {
                SummarySource::Model => "model",
                SummarySource::Cache => "cache",
                SummarySource::Extractive => "extractive",
                SummarySource::Unavailable => "unavailable",
            }
            .to_string(),
            error: x.error.clone(),
        })
        .collect();
    let mut notices = Vec::new();
    if let Some(n) = &outcome.notice {
        // The endpoint as given may carry user:password: never in a report.
        let endpoint = s.endpoint();
        let n = n.replace(&endpoint, &super::public_url(&endpoint));
        progress.note(&n);
        notices.push(n);
    }
    let used_model = outcome.model.is_some();
    let info = SummarizerInfo {
        backend: match (&outcome.model, s.backend) {
            (Some(m), _) => m.backend.clone(),
            (None, _) => "extractive".into(),
        },
        model: outcome.model.as_ref().map(|m| m.name.clone()),
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
    };
    let asked = Asked {
        settings: s,
        ollama_from_env,
    };
    Ok((summaries, info, notices, asked))
}
