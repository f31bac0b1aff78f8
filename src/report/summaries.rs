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

/// Summaries of every thread (parallel to `digest.threads`), how they were
/// made, and notices for the report header.
pub fn make(
    archive: &Archive,
    digest: &Digest,
    a: &ReportArgs,
    config: &Config,
    lang: &str,
    progress: &Progress,
) -> Result<(Vec<ThreadSummary>, SummarizerInfo, Vec<String>)> {
    let d = &config.defaults;
    let mut s = Settings::defaults(lang);
    let backend_name = if a.no_llm {
        Some("extractive".to_string())
    } else {
        a.backend.clone().or_else(|| d.backend.clone())
    };
    // A backend, model or server named anywhere (flag, config, or
    // OLLAMA_HOST, the user's own choice of Ollama server) is a request
    // that must be met: when that server cannot be used the summaries are
    // unavailable and the exit status is 3. Only the built-in default falls
    // back to extractive summaries with a notice.
    let ollama_host = std::env::var("OLLAMA_HOST")
        .ok()
        .filter(|v| !v.trim().is_empty());
    s.backend_explicit = backend_name.is_some()
        || a.model.is_some()
        || a.llm_url.is_some()
        || a.ollama_url.is_some()
        || d.model.is_some()
        || d.llm_url.is_some()
        || d.ollama_url.is_some()
        || ollama_host.is_some();
    if let Some(b) = &backend_name {
        s.backend = b
            .parse::<Backend>()
            .map_err(|e| Error::Usage(format!("--backend: {e}")))?;
    }
    if let Some(m) = a.model.clone().or_else(|| d.model.clone()) {
        s.model = m;
    }
    if let Some(u) = a
        .ollama_url
        .clone()
        .or_else(|| d.ollama_url.clone())
        .or(ollama_host)
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

    let outcome = summarize::summarize(digest, &s, archive.index.connection(), progress);
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
        progress.note(n);
        notices.push(n.clone());
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
    Ok((summaries, info, notices))
}
