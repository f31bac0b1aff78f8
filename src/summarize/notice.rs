//! What a run says at the top of the report, in the report's language: no
//! server could be used, or some summaries failed.

use super::outcome::{Failure, Outcome};
use super::sanitize;
use super::settings::Settings;
use crate::lang::Lang;

/// No server could be used (`err`); `fallback`: the summaries are
/// extractive (no backend was chosen), else those the model could not
/// make are marked unavailable.
pub(super) fn unreachable(settings: &Settings, lang: Lang, err: &str, fallback: bool) -> String {
    let endpoint = settings.endpoint();
    let backend = settings.backend.as_str();
    let model = &settings.model;
    let err = sanitize::clean_error(err);
    match (lang, fallback) {
        (Lang::Zh, true) => format!(
            "未能使用大模型（{backend}，地址 {endpoint}，模型 {model}：{err}）；本报告的摘要为抽取式（未使用模型）。"
        ),
        (Lang::Zh, false) => format!(
            "大模型后端不可用（{backend}，地址 {endpoint}，模型 {model}：{err}）；未能由模型生成的摘要均标记为不可用。"
        ),
        (_, true) => format!(
            "No LLM server could be used ({backend} at {endpoint}, model {model}: {err}); the summaries are extractive (made without a model)."
        ),
        (_, false) => format!(
            "The LLM backend is unavailable ({backend} at {endpoint}, model {model}: {err}); summaries it could not make are marked unavailable."
        ),
    }
}

/// `first`: the error of the first failed thread, so that the notice names
/// a cause (e.g. `HTTP 404: …`).
fn failed_of(lang: Lang, failed: usize, total: usize, first: &str) -> String {
    let first = sanitize::clean_error(first);
    if lang == Lang::Zh {
        format!(
            "{total} 个线程中有 {failed} 个的模型摘要生成失败（首个错误：{first}），显示为抽取式摘要并标记为不可用。"
        )
    } else {
        format!(
            "{failed} of {total} thread summaries failed (first error: {first}); they show extractive text and are marked unavailable."
        )
    }
}

/// The notice of the summaries that failed (`out.failed` of `n`), naming
/// the first error; None when none failed.
pub(super) fn failed(out: &Outcome, lang: Lang, n: usize) -> Option<String> {
    (out.failed > 0).then(|| {
        let first = out
            .summaries
            .iter()
            .find_map(|s| s.error.as_ref().map(Failure::as_str))
            .unwrap_or("");
        failed_of(lang, out.failed, n, first)
    })
}
