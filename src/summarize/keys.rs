//! A thread's prompt plan and cache key for one model ([`plan_and_key`]),
//! with the earlier summary that may stand for its first mails (a rolling
//! summary, [`stored_earlier`]), and the [`rolling::context`] the model's
//! answers are remembered under.

use rusqlite::Connection;

use super::cache::{self, KeyParts};
use super::hash;
use super::prompt::{self, Budget, Plan};
use super::rolling;
use super::settings::{Backend, Settings};
use crate::digest::ThreadView;
use crate::lang::Lang;
use crate::progress::Progress;

/// What a cache key takes from the model and the run.
pub(super) struct KeyBase<'a> {
    pub backend: Backend,
    pub model: &'a str,
    pub digest: &'a str,
    pub prompt_version: &'a str,
    pub lang: Lang,
}

/// Hash of everything a plan sends.
fn plan_hash(plan: &Plan) -> String {
    let mut h = hash::Sha256::new();
    for r in &plan.requests {
        h.update(r.system.as_bytes());
        h.update(b"\0");
        h.update(r.user.as_bytes());
        h.update(b"\0");
    }
    hash::hex(&h.finish())
}

/// The key parts of `thread` (its mails, no earlier summary) for the
/// model and run of `base`; `input_hash`: see [`KeyParts`].
pub(super) fn key_parts<'a>(
    thread: &'a ThreadView,
    settings: &Settings,
    base: &KeyBase<'a>,
    input_hash: String,
) -> KeyParts<'a> {
    KeyParts {
        messages: thread
            .messages
            .iter()
            .map(|m| (m.message_id.as_str(), m.in_window))
            .collect(),
        input_hash,
        ..run_parts(settings, base)
    }
}

/// The key parts of the model and the run, without a thread.
pub(super) fn run_parts<'a>(settings: &Settings, base: &KeyBase<'a>) -> KeyParts<'a> {
    KeyParts {
        backend: base.backend.as_str(),
        model: base.model,
        model_digest: base.digest,
        prompt_version: base.prompt_version,
        lang: base.lang,
        num_ctx: settings.num_ctx as usize,
        num_predict: settings.num_predict as usize,
        seed: settings.effective_seed(),
        messages: Vec::new(),
        input_hash: String::new(),
        earlier: None,
    }
}

/// The [`rolling::context`] of a model and these settings.
pub(super) fn rolling_context(settings: &Settings, base: &KeyBase<'_>) -> String {
    rolling::context(&run_parts(settings, base))
}

/// A thread's plan and cache key for one model, with `earlier` as the
/// HISTORY SUMMARY standing for its first mails when given.
pub(super) fn plan_and_key(
    t: &ThreadView,
    settings: &Settings,
    base: &KeyBase<'_>,
    budget: Budget,
    earlier: Option<&rolling::Earlier>,
) -> (Plan, String) {
    let input = match earlier {
        Some(e) => rolling::thread_input(t, e),
        None => prompt::thread_input(t),
    };
    let plan = prompt::plan(&input, base.lang, budget);
    let mut kp = key_parts(t, settings, base, plan_hash(&plan));
    kp.earlier = earlier.map(rolling::Earlier::hash);
    let key = cache::key(&kp);
    (plan, key)
}

/// The earlier summary of `t` remembered in the store for `context`, when
/// it makes the prompt smaller (none with rolling summaries off, or when
/// the store cannot say).
pub(super) fn stored_earlier(
    t: &ThreadView,
    settings: &Settings,
    db: Option<&Connection>,
    context: &str,
    progress: &Progress,
) -> Option<rolling::Earlier> {
    if !settings.rolling {
        return None;
    }
    rolling::find(db?, t, context)
        .unwrap_or_else(|e| {
            progress.note(&e.to_string());
            None
        })
        .filter(|e| rolling::saves_tokens(t, e))
}
