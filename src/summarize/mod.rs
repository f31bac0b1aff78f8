//! Thread summaries: one model answer per thread per report (or a split +
//! merge for long threads), cached in the list's summary store, with an
//! extractive summary (no model) for `--no-llm`, for an absent default
//! server, and as the text of every summary that failed.
//!
//! Backends ([`Backend`], with the run's [`Settings`] in [`settings`]):
//! `ollama` (default; [`ollama`]), any OpenAI-compatible
//! `/chat/completions` server ([`openai`]), and `extractive`
//! ([`extractive()`]).
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
//! Flow of [`summarize`] (the phases of `run.rs`): the answers of earlier
//! reports (`replay.rs`); probe the servers (model name and digest; several
//! servers must serve the same model, see `pool.rs`); build each thread's
//! prompt ([`prompt`]; with the summary of an earlier state of the thread
//! in place of its first history mails when the store has one, see
//! [`rolling`]) and cache key ([`cache`]), look the keys up; send what is
//! missing concurrently through the server pool (`jobs` in flight per
//! server, each request to the least busy server that has not failed
//! lately, a timeout per request, another server or retries with backoff
//! for transient errors) on a tokio runtime made there; store the answers,
//! and return one [`Summary`] per thread. The database is used from the
//! calling thread only.

mod address;
mod backend;
pub mod cache;
pub mod condense;
mod extractive;
pub mod hash;
mod keys;
mod notice;
pub mod ollama;
pub mod openai;
mod outcome;
mod pool;
pub mod prompt;
mod replay;
pub mod rolling;
mod run;
pub mod sanitize;
pub mod settings;
pub mod synthesis;

pub use address::{BaseError, DEFAULT_HOST, HostError, normalize_base, normalize_host};
pub use backend::CallError;
pub use extractive::{extractive, fill_previous_review};
pub use outcome::{Failure, FailureKind, ModelInfo, Outcome, Summary, SummarySource};
pub use pool::ask_model;
pub use prompt::{estimate_tokens, prompt_version};
pub use replay::Replay;
pub use run::remember_rolling;
pub use settings::{Backend, DEFAULT_MODEL, Settings, SettingsError, UnknownBackend};

use crate::digest::Digest;
use crate::progress::Progress;

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
    run::run(digest, settings, db, replay, progress)
}
