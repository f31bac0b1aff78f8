//! What summarizing gives: one [`Summary`] per thread, where its text came
//! from ([`SummarySource`]) and, when the model gave none, why
//! ([`Failure`], whose [`FailureKind`] decides whether it is remembered),
//! the model that made them ([`ModelInfo`]) and the run as a whole
//! ([`Outcome`]). These types keep their decisions as enums up to serde:
//! a report records their names and texts, and `--summaries-from` reads
//! them back through the same serde forms.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::extractive::extractive;
use super::prompt::prompt_version;
use super::rolling;
use super::sanitize;
use super::settings::{Backend, Settings};
use crate::digest::ThreadView;
use crate::lang::Lang;

/// Where a summary's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The text is the model's answer (made now or earlier).
    pub fn is_model(self) -> bool {
        matches!(self, SummarySource::Model | SummarySource::Cache)
    }
}

/// What kind of failure left a thread (or the highlights) without a model
/// answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The model answered, but the answer cannot be shown (an echo of the
    /// prompt, no text). With temperature 0 and a fixed seed the same
    /// request gets the same answer, so these are remembered in the
    /// summary store and replayed by `--summaries-from`: an identical run
    /// does not ask again (`--refresh-summaries` does).
    Unusable,
    /// No answer: the request failed (connection, timeout, HTTP error) or
    /// no server could be used. The next run asks again.
    Request,
}

/// Why the model gave no answer: its kind, and the text the report shows
/// (serialized as that text alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    kind: FailureKind,
    text: String,
}

/// How the text of an unusable answer's failure begins. A report records
/// a failure as its text only, so this prefix is its kind in that form
/// ([`Failure::recorded`] reads it back).
const UNUSABLE: &str = "unusable answer: ";

impl Failure {
    /// The model answered unusably: `why`.
    pub fn unusable(why: impl fmt::Display) -> Failure {
        Failure {
            kind: FailureKind::Unusable,
            text: format!("{UNUSABLE}{why}"),
        }
    }

    /// A request failed, or no server could be used: `text` says how.
    pub fn request(text: impl Into<String>) -> Failure {
        Failure {
            kind: FailureKind::Request,
            text: text.into(),
        }
    }

    /// An unusable answer remembered in the summary store (`stored`: its
    /// text as stored).
    pub fn remembered(stored: &str) -> Failure {
        Failure {
            kind: FailureKind::Unusable,
            text: format!(
                "{stored} (remembered from an earlier run; --refresh-summaries asks again)"
            ),
        }
    }

    /// A failure as a report recorded it (its serde form): the text as it
    /// is, the kind from how the text begins.
    pub fn recorded(text: &str) -> Failure {
        let kind = if text.starts_with(UNUSABLE.trim_end()) {
            FailureKind::Unusable
        } else {
            FailureKind::Request
        };
        Failure {
            kind,
            text: text.to_string(),
        }
    }

    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The same failure with its text fit to keep (one line, short: see
    /// [`sanitize::clean_error`]).
    pub fn cleaned(self) -> Failure {
        Failure {
            text: sanitize::clean_error(&self.text),
            ..self
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Failure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Failure {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Failure, D::Error> {
        String::deserialize(d).map(|t| Failure::recorded(&t))
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
    pub error: Option<Failure>,
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

impl Summary {
    /// The extractive summary of `thread` (no model asked).
    pub fn extractive(thread: &ThreadView, lang: Lang) -> Summary {
        Summary {
            text: extractive(thread, lang),
            source: SummarySource::Extractive,
            error: None,
            parts: 0,
            key: None,
            earlier: None,
        }
    }

    /// The model failed for `thread`: its extractive summary, marked
    /// unavailable with the failure (its text cleaned).
    pub fn unavailable(thread: &ThreadView, lang: Lang, failure: Failure) -> Summary {
        Summary {
            text: extractive(thread, lang),
            source: SummarySource::Unavailable,
            error: Some(failure.cleaned()),
            parts: 0,
            key: None,
            earlier: None,
        }
    }

    /// A model answer of an earlier run (the summary store or a replayed
    /// report), under its cache key.
    pub fn cached(
        text: String,
        parts: u32,
        key: String,
        earlier: Option<rolling::Earlier>,
    ) -> Summary {
        Summary {
            text,
            source: SummarySource::Cache,
            error: None,
            parts,
            key: Some(key),
            earlier,
        }
    }

    /// The same summary, recorded under the cache key of the request (so
    /// that `--summaries-from` finds its failure again) and the HISTORY
    /// SUMMARY its prompt carried.
    pub fn keyed(self, key: String, earlier: Option<rolling::Earlier>) -> Summary {
        Summary {
            key: Some(key),
            earlier,
            ..self
        }
    }
}

/// The model that made (or would have made) the summaries.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub backend: Backend,
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

/// The result of [`super::summarize`].
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
    pub backend: Backend,
    /// [`Settings::options`].
    pub options: Vec<String>,
    pub lang: String,
    /// The [`rolling::context`] of the model answers (None without a
    /// model): what the report's summaries are remembered under.
    #[serde(skip)]
    pub rolling_context: Option<String>,
}

impl Outcome {
    /// An outcome with no summaries yet, for `n` threads.
    pub fn new(n: usize, settings: &Settings, lang: Lang) -> Outcome {
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
            backend: settings.backend,
            options: settings.options(),
            lang: lang.to_string(),
            rolling_context: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_serialize_as_their_names() {
        assert_eq!(
            serde_json::to_string(&SummarySource::Unavailable).unwrap(),
            "\"unavailable\""
        );
        assert_eq!(
            serde_json::from_str::<SummarySource>("\"cache\"").unwrap(),
            SummarySource::Cache
        );
        assert!(SummarySource::Cache.is_model() && !SummarySource::Extractive.is_model());
    }

    #[test]
    fn a_failure_is_recorded_as_its_text_and_read_back_with_its_kind() {
        let cases = [
            Failure::unusable("empty answer"),
            Failure::unusable("part 2/3: empty answer"),
            Failure::remembered("unusable answer: empty answer"),
            Failure::request("no connection: refused"),
            Failure::request("part 1/2: HTTP 500: boom"),
        ];
        for f in cases {
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, serde_json::to_string(f.as_str()).unwrap());
            let back: Failure = serde_json::from_str(&json).unwrap();
            assert_eq!(back, f, "{json}");
        }
        assert_eq!(
            Failure::unusable("it repeats the prompt").to_string(),
            "unusable answer: it repeats the prompt"
        );
        // A cleaned text keeps its kind, even cut to one short line.
        let long = Failure::unusable(format!("x\n{}", "y ".repeat(400))).cleaned();
        assert_eq!(long.kind(), FailureKind::Unusable);
        assert!(!long.as_str().contains('\n') && long.as_str().chars().count() <= 300);
        assert_eq!(
            Failure::recorded(long.as_str()).kind(),
            FailureKind::Unusable
        );
    }
}
