//! Summaries for a report: the configured backend through
//! [`crate::summarize`], mapped to what the report shows and records.

use crate::archive::Archive;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::report::{SummarizerInfo, ThreadSummary, public_url};
use crate::summarize::{self, Settings, SummarySource};

/// Summaries of every thread (parallel to `digest.threads`), how they were
/// made, and notices for the report header.
pub fn make(
    archive: &Archive,
    digest: &Digest,
    s: &Settings,
    progress: &Progress,
) -> Result<(Vec<ThreadSummary>, SummarizerInfo, Vec<String>)> {
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
    let outcome = summarize::summarize(digest, s, &store, progress);
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
        let n = n.replace(&endpoint, &public_url(&endpoint));
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
    Ok((summaries, info, notices))
}
