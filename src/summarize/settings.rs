//! How to summarize: the backend ([`Backend`]) and the settings of a run
//! ([`Settings`]), with their defaults, the checks of settings that cannot
//! work and what follows from them (options recorded in reports, the
//! server addresses in use, the request budget).

use crate::lang::Lang;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::address::{self, normalize_base, normalize_host};
use super::prompt::Budget;

/// The default Ollama model (see the module documentation of
/// [`crate::summarize`]).
pub const DEFAULT_MODEL: &str = "qwen2.5:7b-instruct";

/// Which summarizer. Its serde form is its name ([`Backend::as_str`]), as
/// reports record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// Ollama's API (ollama-rs).
    Ollama,
    /// Any OpenAI-compatible `/v1/chat/completions` server (llama.cpp, vLLM, LM Studio).
    #[value(name = "openai")]
    #[serde(rename = "openai")]
    OpenAi,
    /// No model: facts, cover letter, who said what.
    Extractive,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Ollama => "ollama",
            Backend::OpenAi => "openai",
            Backend::Extractive => "extractive",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A backend name that is none of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown summary backend {0:?} (ollama, openai, extractive)")]
pub struct UnknownBackend(pub String);

impl FromStr for Backend {
    type Err = UnknownBackend;
    /// A name as a configuration file gives it (any case; `openai-compatible`
    /// and `none` too).
    fn from_str(s: &str) -> Result<Backend, UnknownBackend> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ollama" => Ok(Backend::Ollama),
            "openai" | "openai-compatible" => Ok(Backend::OpenAi),
            "extractive" | "none" => Ok(Backend::Extractive),
            _ => Err(UnknownBackend(s.to_string())),
        }
    }
}

/// Settings that cannot work ([`Settings::validate`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("num_predict {0} is below 64")]
    AnswerTooShort(u32),
    #[error(
        "num_ctx {num_ctx} leaves less than 1024 tokens for the prompt (num_predict {num_predict})"
    )]
    ContextTooSmall { num_ctx: u32, num_predict: u32 },
    #[error("the request timeout is zero")]
    NoTimeout,
    #[error("no model given")]
    NoModel,
    #[error("no Ollama server given")]
    NoOllamaServer,
    #[error("the openai backend needs a server URL (e.g. http://127.0.0.1:8080/v1)")]
    NoLlmUrl,
}

/// How to summarize.
#[derive(Debug, Clone)]
pub struct Settings {
    pub backend: Backend,
    /// The user chose the backend or its URL. When false and the default
    /// server does not answer, summaries are extractive with a notice;
    /// when true, they are marked unavailable and count as failed.
    pub backend_explicit: bool,
    pub model: String,
    /// Ollama servers, `OLLAMA_HOST`-style addresses (scheme and port
    /// optional); never empty. The first is the one notices name.
    pub ollama_urls: Vec<String>,
    /// Bases of OpenAI-compatible servers, e.g. `http://127.0.0.1:8080/v1`
    /// (none: the openai backend cannot be used).
    pub llm_urls: Vec<String>,
    /// `zh` or `en` (any `zh…` tag is Chinese, anything else English).
    pub lang: Lang,
    pub num_ctx: u32,
    pub num_predict: u32,
    pub seed: u64,
    /// Requests in flight per server (a request goes to whichever server
    /// has a free slot).
    pub jobs: usize,
    /// Limit for one request (the whole answer). Requests waiting in a
    /// server's queue count, so allow for `jobs` × generation time when the
    /// server handles one request at a time.
    pub timeout: Duration,
    /// Further attempts after a transient error (connection lost, timeout,
    /// HTTP 408/429/5xx).
    pub retries: u32,
    /// First wait before a retry; doubles each time, at most 30 s.
    pub backoff: Duration,
    /// Ignore cached summaries (answers are still stored).
    pub refresh: bool,
    /// Ollama only: stream the answer (NDJSON) instead of one JSON reply.
    pub stream: bool,
    /// Rolling summaries: a thread whose earlier state has a summary gets
    /// it in place of the history mails it covers (see
    /// [`super::rolling`]).
    pub rolling: bool,
}

impl Settings {
    /// Defaults: Ollama at 127.0.0.1:11434 with [`DEFAULT_MODEL`], 8192
    /// tokens of context, 800 for the answer, seed 42, 2 jobs, 600 s per
    /// request, 2 retries.
    pub fn defaults(lang: Lang) -> Settings {
        Settings {
            backend: Backend::Ollama,
            backend_explicit: false,
            model: DEFAULT_MODEL.to_string(),
            ollama_urls: vec![address::DEFAULT_HOST.to_string()],
            llm_urls: Vec::new(),
            lang,
            num_ctx: 8192,
            num_predict: 800,
            seed: 42,
            jobs: 2,
            timeout: Duration::from_secs(600),
            retries: 2,
            backoff: Duration::from_secs(2),
            refresh: false,
            stream: false,
            rolling: true,
        }
    }

    /// Settings that cannot work.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.num_predict < 64 {
            return Err(SettingsError::AnswerTooShort(self.num_predict));
        }
        if self.num_ctx < self.num_predict.saturating_add(1024) {
            return Err(SettingsError::ContextTooSmall {
                num_ctx: self.num_ctx,
                num_predict: self.num_predict,
            });
        }
        if self.timeout.is_zero() {
            return Err(SettingsError::NoTimeout);
        }
        if self.model.trim().is_empty() && self.backend == Backend::Ollama {
            return Err(SettingsError::NoModel);
        }
        if self.backend == Backend::Ollama && self.ollama_urls.is_empty() {
            return Err(SettingsError::NoOllamaServer);
        }
        if self.backend == Backend::OpenAi && self.llm_urls.is_empty() {
            return Err(SettingsError::NoLlmUrl);
        }
        Ok(())
    }

    /// The seed sent (Ollama reads a 32-bit integer).
    pub fn effective_seed(&self) -> i64 {
        (self.seed % (1u64 << 31)) as i64
    }

    /// Options that change answers, as `name=value` (for reports).
    pub fn options(&self) -> Vec<String> {
        vec![
            format!("num_ctx={}", self.num_ctx),
            format!("num_predict={}", self.num_predict),
            format!("seed={}", self.effective_seed()),
            "temperature=0".to_string(),
        ]
    }

    /// The first server address in use, normalized when possible (what
    /// notices name and the summary store remembers the model under).
    pub fn endpoint(&self) -> String {
        self.endpoints().into_iter().next().unwrap_or_default()
    }

    /// Every server address in use, normalized when possible, in the order
    /// given.
    pub fn endpoints(&self) -> Vec<String> {
        match self.backend {
            Backend::Ollama => self
                .ollama_urls
                .iter()
                .map(|u| normalize_host(u).unwrap_or_else(|_| u.clone()))
                .collect(),
            Backend::OpenAi => self
                .llm_urls
                .iter()
                .map(|u| normalize_base(u).unwrap_or_else(|_| u.clone()))
                .collect(),
            Backend::Extractive => Vec::new(),
        }
    }

    /// The request budget: the configured context, or the model's own
    /// (`model_context`, as its server reports it) when it is smaller.
    pub fn budget(&self, model_context: Option<u64>) -> Budget {
        let ctx = match model_context {
            Some(m) if m > 0 && (m as usize) < self.num_ctx as usize => m as usize,
            _ => self.num_ctx as usize,
        };
        Budget {
            num_ctx: ctx,
            num_predict: self.num_predict as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_names() {
        assert_eq!("ollama".parse::<Backend>().unwrap(), Backend::Ollama);
        assert_eq!("OpenAI".parse::<Backend>().unwrap(), Backend::OpenAi);
        assert_eq!(
            "extractive".parse::<Backend>().unwrap(),
            Backend::Extractive
        );
        assert_eq!(
            "gpt".parse::<Backend>(),
            Err(UnknownBackend("gpt".to_string()))
        );
        assert_eq!(Backend::OpenAi.to_string(), "openai");
    }

    #[test]
    fn backends_serialize_as_their_names() {
        for b in [Backend::Ollama, Backend::OpenAi, Backend::Extractive] {
            let json = serde_json::to_string(&b).unwrap();
            assert_eq!(json, format!("\"{}\"", b.as_str()));
            assert_eq!(serde_json::from_str::<Backend>(&json).unwrap(), b);
        }
        // Only the names reports write, not the aliases of the configuration.
        assert!(serde_json::from_str::<Backend>("\"openai-compatible\"").is_err());
    }

    #[test]
    fn settings() {
        let s = Settings::defaults(crate::lang::Lang::Zh);
        assert_eq!(s.lang, crate::lang::Lang::Zh);
        assert_eq!(s.model, DEFAULT_MODEL);
        assert!(s.validate().is_ok());
        assert_eq!(
            s.options(),
            [
                "num_ctx=8192",
                "num_predict=800",
                "seed=42",
                "temperature=0"
            ]
        );
        let mut t = s.clone();
        t.num_ctx = 1500;
        assert_eq!(
            t.validate(),
            Err(SettingsError::ContextTooSmall {
                num_ctx: 1500,
                num_predict: 800
            })
        );
        let mut t = s.clone();
        t.backend = Backend::OpenAi;
        assert_eq!(t.validate(), Err(SettingsError::NoLlmUrl));
        t.llm_urls = vec!["http://127.0.0.1:8080/v1".into()];
        assert!(t.validate().is_ok());
        let mut t = s;
        t.seed = (1u64 << 31) + 5;
        assert_eq!(t.effective_seed(), 5);
    }

    #[test]
    fn the_budget_is_the_smaller_context() {
        let s = Settings::defaults(crate::lang::Lang::En);
        assert_eq!(s.budget(None).num_ctx, 8192);
        assert_eq!(s.budget(Some(4096)).num_ctx, 4096);
        assert_eq!(s.budget(Some(32768)).num_ctx, 8192);
        assert_eq!(s.budget(Some(0)).num_ctx, 8192);
        assert_eq!(s.budget(None).num_predict, 800);
    }
}
