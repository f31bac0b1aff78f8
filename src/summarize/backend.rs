//! The model backends' common interface: one trait, one error type.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::address::{BaseError, HostError};
use super::settings::SettingsError;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the server says about the model before any request.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// The model name to send (may differ from the configured one when an
    /// OpenAI-compatible server serves exactly one other model).
    pub name: String,
    pub digest: String,
    pub server_version: Option<String>,
    /// The model's own context length, when the server tells.
    pub context_length: Option<u64>,
}

/// One answer.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub text: String,
    /// The answer hit the token limit (`num_predict` / `max_tokens`).
    pub truncated: bool,
    /// Prompt tokens as counted by the server.
    pub prompt_tokens: Option<u64>,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No connection (refused, unreachable, name not resolved, TLS
    /// handshake failed): the cause, from [`crate::net::cause`].
    #[error("no connection: {0}")]
    Connect(String),
    /// No complete answer within the time limit.
    #[error("no answer within {} s", .0.as_secs_f32())]
    Timeout(Duration),
    /// An HTTP error; `status` is `None` when the client library hides it
    /// (ollama-rs reports only the body).
    #[error("{}", status_text(*.status, .message))]
    Status {
        status: Option<u16>,
        message: String,
    },
    /// The prompt does not fit the model's context.
    #[error("context length exceeded: {0}")]
    Context(String),
    /// The model is not available on the server.
    #[error("model unavailable: {0}")]
    Model(String),
    /// An answer that cannot be decoded.
    #[error("undecodable answer: {0}")]
    Garbage(String),
    /// Settings that cannot work.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// An Ollama address that cannot be used.
    #[error(transparent)]
    Host(#[from] HostError),
    /// The base of an OpenAI-compatible server that cannot be used.
    #[error(transparent)]
    Base(#[from] BaseError),
    /// Bad settings (no backend, no HTTP client, …).
    #[error("{0}")]
    Config(String),
}

/// `HTTP 404: …`, or `server error: …` when the status is unknown.
fn status_text(status: Option<u16>, message: &str) -> String {
    match status {
        Some(s) => format!("HTTP {s}: {message}"),
        None => format!("server error: {message}"),
    }
}

impl CallError {
    /// Worth trying again: connection failures, timeouts, 408/429/5xx and
    /// HTTP errors of unknown status.
    pub fn transient(&self) -> bool {
        match self {
            CallError::Connect(_) | CallError::Timeout(_) => true,
            CallError::Status { status, .. } => {
                status.is_none_or(|s| s == 408 || s == 425 || s == 429 || s >= 500)
            }
            _ => false,
        }
    }

    /// Classify an error message of a server.
    pub fn from_message(status: Option<u16>, message: &str) -> CallError {
        let m = message.to_ascii_lowercase();
        let context = (m.contains("context") || m.contains("too long") || m.contains("token"))
            && (m.contains("length")
                || m.contains("exceed")
                || m.contains("window")
                || m.contains("size")
                || m.contains("too long")
                || m.contains("limit")
                || m.contains("maximum"));
        if context && status.is_none_or(|s| s < 500 || m.contains("context")) {
            return CallError::Context(message.to_string());
        }
        if m.contains("model") && (m.contains("not found") || m.contains("does not exist")) {
            return CallError::Model(message.to_string());
        }
        CallError::Status {
            status,
            message: message.to_string(),
        }
    }
}

/// The message of a JSON error body (`{"error": "..."}`,
/// `{"error": {"message": "..."}}`, `{"message": "..."}`), else the body.
pub fn error_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        let e = &v["error"];
        if let Some(s) = e.as_str() {
            return s.to_string();
        }
        if let Some(s) = e["message"].as_str() {
            return s.to_string();
        }
        if let Some(s) = v["message"].as_str() {
            return s.to_string();
        }
        if let Some(s) = v["detail"].as_str() {
            return s.to_string();
        }
    }
    let t = body.trim();
    if t.is_empty() {
        "(empty body)".to_string()
    } else {
        t.chars().take(500).collect()
    }
}

/// Map a reqwest error.
pub fn from_reqwest(e: &reqwest::Error, timeout: Duration) -> CallError {
    if e.is_timeout() {
        return CallError::Timeout(timeout);
    }
    if e.is_connect() {
        let url = e.url().map(|u| u.as_str()).unwrap_or("");
        return CallError::Connect(crate::net::cause(e, url));
    }
    if e.is_decode() || e.is_body() {
        return CallError::Garbage(e.to_string());
    }
    CallError::Status {
        status: e.status().map(|s| s.as_u16()),
        message: e.to_string(),
    }
}

/// A chat model server.
pub trait ModelBackend: Send + Sync {
    /// Check the server and find the model and its digest.
    fn probe<'a>(&'a self, model: &'a str) -> BoxFuture<'a, Result<Probe, CallError>>;
    /// One chat request (system + user message).
    fn chat<'a>(
        &'a self,
        model: &'a str,
        system: &'a str,
        user: &'a str,
    ) -> BoxFuture<'a, Result<Answer, CallError>>;
}

/// A reqwest client for model servers (`http://` or `https://`, TLS by the
/// system's OpenSSL): no proxy, bounded connect time.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, CallError> {
    reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(10).min(timeout))
        .timeout(timeout + Duration::from_secs(5))
        .build()
        .map_err(|e| CallError::Config(format!("HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_messages() {
        assert!(matches!(
            CallError::from_message(None, "input length exceeds the context length of the model"),
            CallError::Context(_)
        ));
        assert!(matches!(
            CallError::from_message(
                Some(400),
                "This model's maximum context length is 8192 tokens"
            ),
            CallError::Context(_)
        ));
        assert!(matches!(
            CallError::from_message(
                Some(400),
                "the request exceeds the available context size, try increasing it"
            ),
            CallError::Context(_)
        ));
        assert!(matches!(
            CallError::from_message(Some(404), "model 'x' not found"),
            CallError::Model(_)
        ));
        let busy = CallError::from_message(Some(429), "server busy, try again");
        assert!(busy.transient());
        assert!(CallError::from_message(Some(503), "loading model").transient());
        assert!(CallError::from_message(None, "something odd").transient());
        assert!(!CallError::from_message(Some(400), "bad option").transient());
        assert!(!CallError::Garbage("x".into()).transient());
    }

    #[test]
    fn error_bodies() {
        assert_eq!(error_message(r#"{"error":"boom"}"#), "boom");
        assert_eq!(
            error_message(r#"{"error":{"message":"deep","code":400}}"#),
            "deep"
        );
        assert_eq!(error_message("plain text"), "plain text");
        assert_eq!(error_message(""), "(empty body)");
    }
}
