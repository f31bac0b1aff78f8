//! The Ollama backend: chat through ollama-rs (`/api/chat`, streaming or
//! not), `/api/show` through ollama-rs for the model's context length, and
//! `/api/version` and `/api/tags` read directly (ollama-rs does not expose
//! the model digest).
//!
//! ollama-rs reports HTTP errors as their body text only, so the status is
//! unknown: errors are classified by their message (context length, model
//! not found) and any other server error counts as transient.

use std::time::Duration;

use ollama_rs::Ollama;
use ollama_rs::error::OllamaError;
use ollama_rs::generation::chat::ChatMessage;
use ollama_rs::generation::chat::request::ChatMessageRequest;
use ollama_rs::models::ModelOptions;

use super::address::normalize_host;
use super::backend::{
    Answer, BoxFuture, CallError, ModelBackend, Probe, error_message, from_reqwest, http_client,
};

pub struct OllamaBackend {
    base: String,
    client: Ollama,
    http: reqwest::Client,
    options: ModelOptions,
    num_predict: u32,
    stream: bool,
    timeout: Duration,
}

/// Generation options: temperature 0, the seed, explicit context length and
/// answer length.
pub fn model_options(num_ctx: u32, num_predict: u32, seed: i32) -> ModelOptions {
    ModelOptions::default()
        .temperature(0.0)
        .seed(seed)
        .num_ctx(u64::from(num_ctx))
        .num_predict(num_predict as i32)
}

impl OllamaBackend {
    pub fn new(
        host: &str,
        num_ctx: u32,
        num_predict: u32,
        seed: i32,
        timeout: Duration,
        stream: bool,
    ) -> Result<OllamaBackend, CallError> {
        let base = normalize_host(host)?;
        let http = http_client(timeout)?;
        let url = reqwest::Url::parse(&base).map_err(|e| CallError::Config(e.to_string()))?;
        let client = Ollama::builder()
            .url(url)
            .reqwest_client(http.clone())
            .build();
        Ok(OllamaBackend {
            base,
            client,
            http,
            options: model_options(num_ctx, num_predict, seed),
            num_predict,
            stream,
            timeout,
        })
    }

    fn map(&self, e: OllamaError) -> CallError {
        match e {
            OllamaError::ReqwestError(e) => from_reqwest(&e, self.timeout),
            OllamaError::JsonError(e) => CallError::Garbage(format!("undecodable answer: {e}")),
            OllamaError::Other(body) => CallError::from_message(None, &error_message(&body)),
            OllamaError::InternalError(e) => CallError::from_message(None, &e.message),
            OllamaError::ToolCallError(e) => CallError::Garbage(e.to_string()),
        }
    }

    async fn get_json(&self, path: &str) -> Result<serde_json::Value, CallError> {
        let url = format!("{}{path}", self.base);
        let res = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| from_reqwest(&e, self.timeout))?;
        let status = res.status().as_u16();
        let body = res
            .text()
            .await
            .map_err(|e| from_reqwest(&e, self.timeout))?;
        if !(200..300).contains(&status) {
            return Err(CallError::from_message(Some(status), &error_message(&body)));
        }
        serde_json::from_str(&body)
            .map_err(|e| CallError::Garbage(format!("GET {path}: not JSON: {e}")))
    }

    async fn do_probe(&self, model: &str) -> Result<Probe, CallError> {
        let version = self
            .get_json("api/version")
            .await?
            .get("version")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let tags = self.get_json("api/tags").await?;
        let models = tags["models"].as_array().cloned().unwrap_or_default();
        let with_tag = |n: &str| {
            if n.contains(':') {
                n.to_string()
            } else {
                format!("{n}:latest")
            }
        };
        let want = with_tag(model);
        let found = models.iter().find(|m| {
            let n = m["name"].as_str().or(m["model"].as_str()).unwrap_or("");
            with_tag(n) == want
        });
        let Some(found) = found else {
            return Err(CallError::Model(format!(
                "model {model:?} is not installed on the Ollama server (ollama pull {model})"
            )));
        };
        let digest = found["digest"].as_str().unwrap_or("").to_string();
        if digest.is_empty() {
            return Err(CallError::Garbage(format!(
                "/api/tags gives no digest for {model:?}"
            )));
        }
        // The model's own context length, if /api/show tells (optional).
        let context_length = match self.client.show_model_info(model.to_string()).await {
            Ok(info) => info
                .model_info
                .iter()
                .find(|(k, _)| k.ends_with(".context_length"))
                .and_then(|(_, v)| v.as_u64()),
            Err(_) => None,
        };
        Ok(Probe {
            name: model.to_string(),
            digest,
            server_version: version,
            context_length,
        })
    }

    async fn do_chat(&self, model: &str, system: &str, user: &str) -> Result<Answer, CallError> {
        let req = ChatMessageRequest::new(
            model.to_string(),
            vec![
                ChatMessage::system(system.to_string()),
                ChatMessage::user(user.to_string()),
            ],
        )
        .options(self.options.clone());
        let (text, eval, prompt) = if self.stream {
            use tokio_stream::StreamExt;
            let mut s = self
                .client
                .send_chat_messages_stream(req)
                .await
                .map_err(|e| self.map(e))?;
            let mut text = String::new();
            let mut fin = None;
            while let Some(item) = s.next().await {
                let item = item
                    .map_err(|()| CallError::Garbage("the answer stream broke off".to_string()))?;
                text.push_str(&item.message.content);
                if item.done {
                    fin = Some(item.final_data);
                    break;
                }
            }
            let Some(fin) = fin else {
                return Err(CallError::Garbage(
                    "the answer stream ended before it was complete".to_string(),
                ));
            };
            (
                text,
                fin.as_ref().map(|f| f.eval_count),
                fin.as_ref().map(|f| f.prompt_eval_count),
            )
        } else {
            let r = self
                .client
                .send_chat_messages(req)
                .await
                .map_err(|e| self.map(e))?;
            (
                r.message.content,
                r.final_data.as_ref().map(|f| f.eval_count),
                r.final_data.as_ref().map(|f| f.prompt_eval_count),
            )
        };
        Ok(Answer {
            text,
            // done_reason is not exposed: an answer as long as the limit was
            // cut by it.
            truncated: eval.is_some_and(|n| n >= u64::from(self.num_predict)),
            prompt_tokens: prompt,
        })
    }
}

impl ModelBackend for OllamaBackend {
    fn probe<'a>(&'a self, model: &'a str) -> BoxFuture<'a, Result<Probe, CallError>> {
        Box::pin(self.do_probe(model))
    }

    fn chat<'a>(
        &'a self,
        model: &'a str,
        system: &'a str,
        user: &'a str,
    ) -> BoxFuture<'a, Result<Answer, CallError>> {
        Box::pin(self.do_chat(model, system, user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_deterministic() {
        let o = serde_json::to_value(model_options(8192, 800, 42)).unwrap();
        assert_eq!(o["temperature"], 0.0);
        assert_eq!(o["seed"], 42);
        assert_eq!(o["num_ctx"], 8192);
        assert_eq!(o["num_predict"], 800);
    }
}
