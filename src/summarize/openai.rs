//! The OpenAI-compatible backend (llama.cpp's llama-server, vLLM, LM
//! Studio, …): `POST {base}/chat/completions` and `GET {base}/models`, with
//! `base` as OpenAI clients take it (`http://127.0.0.1:8080/v1`).
//!
//! Model "digest": such servers do not publish a content hash. When the
//! model's entry in `GET {base}/models` carries a `digest`/`sha256`/`hash`
//! field it is used; otherwise the digest is `sha256:` + SHA-256 over the
//! model id and the entry itself as canonical JSON (sorted keys), without
//! fields that change on every call (`created`, `permission`): llama-server
//! puts the parameter count, vocabulary and file size there (`meta`), so a
//! different model file under the same alias changes the digest. A server
//! without `/models` gives a hash of the model id alone (`id-only:` prefix).
//! When the configured model is not listed and the server serves exactly
//! one model, that model is used (and reported).

use std::time::Duration;

use serde_json::{Value, json};

use super::address::normalize_base;
use super::backend::{
    Answer, BoxFuture, CallError, ModelBackend, Probe, error_message, from_reqwest, http_client,
};
use super::hash::sha256_hex;

/// JSON with object keys sorted, for hashing.
pub fn canonical_json(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::to_string(k).unwrap_or_default(),
                        canonical_json(&m[k])
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical_json).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// The digest of a `/models` entry (see the module documentation).
pub fn entry_digest(id: &str, entry: Option<&Value>) -> String {
    let Some(entry) = entry else {
        return format!("id-only:{}", &sha256_hex(id.as_bytes())[..16]);
    };
    for k in ["digest", "sha256", "hash"] {
        if let Some(d) = entry[k].as_str().filter(|d| !d.is_empty()) {
            return d.to_string();
        }
    }
    let mut e = entry.clone();
    if let Some(m) = e.as_object_mut() {
        m.remove("created");
        m.remove("permission");
    }
    let text = format!("openai-compatible\n{id}\n{}", canonical_json(&e));
    format!("sha256:{}", sha256_hex(text.as_bytes()))
}

pub struct OpenAiBackend {
    base: String,
    http: reqwest::Client,
    num_predict: u32,
    seed: i64,
    timeout: Duration,
}

impl OpenAiBackend {
    pub fn new(
        base: &str,
        num_predict: u32,
        seed: i64,
        timeout: Duration,
    ) -> Result<OpenAiBackend, CallError> {
        Ok(OpenAiBackend {
            base: normalize_base(base)?,
            http: http_client(timeout)?,
            num_predict,
            seed,
            timeout,
        })
    }

    /// The request body.
    pub fn body(&self, model: &str, system: &str, user: &str) -> Value {
        json!({
            "model": model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "temperature": 0.0,
            "seed": self.seed,
            "max_tokens": self.num_predict,
            "stream": false,
        })
    }

    async fn do_probe(&self, model: &str) -> Result<Probe, CallError> {
        let url = format!("{}/models", self.base);
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
        if status == 404 || status == 405 {
            // No model list: the server answers, the model is what we send.
            return Ok(Probe {
                name: model.to_string(),
                digest: entry_digest(model, None),
                ..Probe::default()
            });
        }
        if !(200..300).contains(&status) {
            return Err(CallError::from_message(Some(status), &error_message(&body)));
        }
        let v: Value = serde_json::from_str(&body)
            .map_err(|e| CallError::Garbage(format!("GET /models: not JSON: {e}")))?;
        let list = v["data"].as_array().cloned().unwrap_or_default();
        let id_of = |e: &Value| e["id"].as_str().unwrap_or("").to_string();
        let (name, entry) = match list.iter().find(|e| id_of(e) == model) {
            Some(e) => (model.to_string(), Some(e.clone())),
            None if list.len() == 1 => (id_of(&list[0]), Some(list[0].clone())),
            None if list.is_empty() => (model.to_string(), None),
            None => {
                let ids: Vec<String> = list.iter().map(id_of).collect();
                return Err(CallError::Model(format!(
                    "model {model:?} is not served; the server has {}",
                    ids.join(", ")
                )));
            }
        };
        let name = if name.is_empty() {
            model.to_string()
        } else {
            name
        };
        let context_length = entry
            .as_ref()
            .and_then(|e| e["max_model_len"].as_u64().or(e["context_length"].as_u64()));
        Ok(Probe {
            digest: entry_digest(&name, entry.as_ref()),
            name,
            server_version: None,
            context_length,
        })
    }

    async fn do_chat(&self, model: &str, system: &str, user: &str) -> Result<Answer, CallError> {
        let url = format!("{}/chat/completions", self.base);
        let res = self
            .http
            .post(&url)
            .json(&self.body(model, system, user))
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
        let v: Value = serde_json::from_str(&body)
            .map_err(|e| CallError::Garbage(format!("not JSON: {e}")))?;
        if !v["error"].is_null() {
            return Err(CallError::from_message(None, &error_message(&body)));
        }
        let choice = &v["choices"][0];
        let Some(text) = choice["message"]["content"].as_str() else {
            return Err(CallError::Garbage(
                "no choices[0].message.content in the answer".to_string(),
            ));
        };
        Ok(Answer {
            text: text.to_string(),
            truncated: choice["finish_reason"].as_str() == Some("length"),
            prompt_tokens: v["usage"]["prompt_tokens"].as_u64(),
        })
    }
}

impl ModelBackend for OpenAiBackend {
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
    fn digests() {
        let a = json!({"id": "m", "object": "model", "created": 1, "meta": {"n_params": 268098176, "size": 253}});
        let b = json!({"meta": {"size": 253, "n_params": 268098176}, "created": 999, "object": "model", "id": "m"});
        // Key order and the creation time do not matter.
        assert_eq!(entry_digest("m", Some(&a)), entry_digest("m", Some(&b)));
        assert!(entry_digest("m", Some(&a)).starts_with("sha256:"));
        // Another file under the same alias does.
        let c = json!({"id": "m", "object": "model", "created": 1, "meta": {"n_params": 135000000, "size": 98}});
        assert_ne!(entry_digest("m", Some(&a)), entry_digest("m", Some(&c)));
        // A digest given by the server is used as it is.
        let d = json!({"id": "m", "digest": "abc123"});
        assert_eq!(entry_digest("m", Some(&d)), "abc123");
        assert!(entry_digest("m", None).starts_with("id-only:"));
    }

    #[test]
    fn request_body() {
        let b = OpenAiBackend::new("http://127.0.0.1:1/v1", 800, 42, Duration::from_secs(5))
            .unwrap()
            .body("m", "sys", "usr");
        assert_eq!(b["temperature"], 0.0);
        assert_eq!(b["seed"], 42);
        assert_eq!(b["max_tokens"], 800);
        assert_eq!(b["stream"], false);
        assert_eq!(b["messages"][0]["role"], "system");
        assert_eq!(b["messages"][1]["content"], "usr");
    }
}
