//! Model output is untrusted text: reasoning blocks, special tokens, HTML,
//! headings, control characters and endless repetition are removed and the
//! length is capped before it is shown (or cached). What remains is plain
//! text with "- " lists (Markdown-lite); renderers still escape it.

use std::sync::LazyLock;

use regex::Regex;

use super::condense::strip_controls;

/// Longest summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 4000;

/// Fewest letters an answer must have to count as one.
const MIN_LETTERS: usize = 12;

/// Control characters out, CRLF to LF, trailing blanks and runs of blank
/// lines collapsed, HTML tags out; trimmed.
pub fn clean_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let s = strip_controls(&s);
    let s = strip_html(&s);
    let mut out: Vec<&str> = Vec::new();
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// Remove HTML elements that a renderer could take for markup: script and
/// style blocks with their content, comments, and the tags (not the text)
/// of common elements. `<asm/kvm.h>` and `<maz@kernel.org>` are not HTML
/// and stay.
fn strip_html(s: &str) -> String {
    static BLOCK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)<(script|style|iframe|object|embed)\b[^>]*>.*?</(?:script|style|iframe|object|embed)\s*>|<!--.*?-->")
            .unwrap()
    });
    static BR: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)<br\s*/?>|</?p\s*>|</?div\b[^>]*>").unwrap());
    static TAG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)</?(?:a|abbr|b|big|blockquote|body|button|center|code|del|details|em|embed|font|form|h[1-6]|head|hr|html|i|iframe|img|input|ins|kbd|li|link|mark|meta|object|ol|pre|s|script|small|span|strike|strong|style|sub|summary|sup|svg|table|tbody|td|textarea|tfoot|th|thead|title|tr|tt|u|ul|video|audio|source|base|frame|frameset|math)(?:\s[^<>]*)?/?>",
        )
        .unwrap()
    });
    let s = BLOCK.replace_all(s, "");
    let s = BR.replace_all(&s, "\n");
    TAG.replace_all(&s, "").into_owned()
}

/// Cut at `max` characters, at the last paragraph, line or sentence end
/// that fits; "…" marks the cut.
fn cap(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max.saturating_sub(1)).collect();
    let min = head.len() / 2;
    let cut = ["\n\n", "\n", "。", ". ", "! ", "? "]
        .iter()
        .filter_map(|p| head.rfind(p).map(|i| i + p.len()))
        .filter(|&i| i >= min)
        .max()
        .unwrap_or(head.len());
    format!("{}…", head[..cut].trim_end())
}

/// Cut an answer that hit the token limit at its last complete sentence.
fn trim_unfinished(s: &str) -> String {
    let t = s.trim_end();
    if t.ends_with(['.', '!', '?', '。', '！', '？', ')', '）', '"', '”']) {
        return t.to_string();
    }
    let ends = ["。", "！", "？", ". ", ".\n", "! ", "? ", "!\n", "?\n"];
    let cut = ends
        .iter()
        .filter_map(|p| t.rfind(p).map(|i| i + p.trim_end().len()))
        .max();
    match cut {
        Some(i) if i >= t.len() / 3 => format!("{} …", t[..i].trim_end()),
        _ => format!("{t} …"),
    }
}

/// Why a model answer cannot be shown (for the error field, never the
/// text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    #[error("empty answer")]
    Empty,
    /// Too few letters; the length of the answer as it came.
    #[error("answer has no usable text ({0} characters)")]
    NoText(usize),
    /// The answer repeats the prompt ([`echoes_prompt`]).
    #[error("it repeats the prompt instead of summarizing it")]
    EchoesPrompt,
}

/// Clean a model answer. `truncated`: the answer hit the token limit.
pub fn sanitize_answer(raw: &str, truncated: bool) -> Result<String, Unusable> {
    static THINK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)<(think|thinking|reasoning|analysis)>.*?</(?:think|thinking|reasoning|analysis)>")
            .unwrap()
    });
    static SPECIAL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"<\|[a-zA-Z0-9_]{1,40}\|>|</?s>|<(?:start|end)_of_turn>|\[/?INST\]").unwrap()
    });
    static OPEN_THINK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?is)<(?:think|thinking|reasoning|analysis)>").unwrap());
    static PREAMBLE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:sure|certainly|okay|ok|of course|here(?: is|'s| are)|below is|以下是|好的|当然)[^\n]{0,80}[:：]\s*$")
            .unwrap()
    });
    static HEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s{0,3}#{1,6}\s+").unwrap());
    static FENCE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*(?:```|~~~)").unwrap());

    let s = raw.replace("\r\n", "\n");
    let s = THINK.replace_all(&s, "");
    // An unclosed reasoning block: everything after it is reasoning.
    let s = match OPEN_THINK.find(&s) {
        Some(m) => s[..m.start()].to_string(),
        None => s.into_owned(),
    };
    // A stray closing tag: what came before it was reasoning.
    let s = match s.rfind("</think>") {
        Some(i) => s[i + "</think>".len()..].to_string(),
        None => s,
    };
    let s = SPECIAL.replace_all(&s, "");
    let s = clean_text(&s);

    let mut lines: Vec<String> = Vec::new();
    for line in s.lines() {
        if FENCE.is_match(line) {
            continue;
        }
        let line = HEADING.replace(line, "").into_owned();
        // Collapse repetition: the same non-empty line twice in a row.
        if !line.trim().is_empty() && lines.last().is_some_and(|l| l.trim() == line.trim()) {
            continue;
        }
        lines.push(line);
    }
    // Preamble lines ("Here is the summary:") and trailing offers.
    while lines
        .first()
        .is_some_and(|l| l.trim().is_empty() || PREAMBLE.is_match(l.trim()))
    {
        lines.remove(0);
    }
    // The same paragraph again and again (small models loop): keep the first.
    let text = lines.join("\n");
    let mut paras: Vec<&str> = Vec::new();
    for p in text.split("\n\n") {
        if !p.trim().is_empty() && paras.iter().any(|q| q.trim() == p.trim()) {
            continue;
        }
        paras.push(p);
    }
    let mut text = clean_text(&paras.join("\n\n"));
    if truncated {
        text = trim_unfinished(&text);
    }
    let text = cap(&text, MAX_SUMMARY_CHARS);
    // Letters, a CJK character counting as two.
    let letters: usize = text
        .chars()
        .filter(|c| c.is_alphabetic())
        .map(|c| if c.is_ascii() { 1 } else { 2 })
        .sum();
    if letters < MIN_LETTERS {
        return Err(if raw.trim().is_empty() {
            Unusable::Empty
        } else {
            Unusable::NoText(raw.chars().count())
        });
    }
    Ok(text)
}

/// The answer repeats the prompt (small models do) instead of summarizing
/// it: the data markers, the mail headers or section names of the
/// material, or a line of the system prompt.
pub fn echoes_prompt(answer: &str, system: &str) -> bool {
    static MATERIAL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?m)BEGIN DATA |END DATA |^#\d+ (?:HISTORY|WINDOW) \d{4}-\d\d-\d\d|(?:HISTORY|WINDOW) \d{4}-\d\d-\d\d \d\d:\d\d UTC From:|^(?:FACTS|MAILS|PART NOTES)\s*$",
        )
        .unwrap()
    });
    if MATERIAL.is_match(answer) {
        return true;
    }
    system
        .lines()
        .map(str::trim)
        .filter(|l| l.chars().count() >= 40)
        .any(|l| answer.contains(l))
}

/// An error message fit to keep (one line, no control characters, short).
pub fn clean_error(s: &str) -> String {
    let one: String = strip_controls(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if one.chars().count() > 300 {
        format!("{}…", one.chars().take(299).collect::<String>())
    } else {
        one
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copied_mail_headers_in_any_numbering_are_an_echo() {
        // Seen from SmolLM2: a mail header of the material renumbered.
        let a = "[1/1] KVM: arm64: x\n\n[2/1] WINDOW 2022-03-09 18:21 UTC From: Marc Zyngier (reply to: 1)";
        assert!(echoes_prompt(a, "system"));
        assert!(!echoes_prompt(
            "Topic: the window of 2022-03-09 saw a review.",
            "system"
        ));
    }

    #[test]
    fn think_blocks_and_special_tokens() {
        let a = sanitize_answer(
            "<think>\nThe user wants a summary. Let me think.\n</think>\n\nTopic: the widget series.<|im_end|>",
            false,
        )
        .unwrap();
        assert_eq!(a, "Topic: the widget series.");
        // Unclosed reasoning is dropped; nothing else is left.
        assert!(sanitize_answer("<think>I will now reason forever", false).is_err());
        // A stray closing tag.
        let a = sanitize_answer("reasoning here</think>Topic: widget rework.", false).unwrap();
        assert_eq!(a, "Topic: widget rework.");
    }

    #[test]
    fn html_headings_fences_and_controls() {
        let a = sanitize_answer(
            "Here is the summary:\n\n## Topic\n```\nAdds <b>lazy</b> widgets to <asm/kvm.h>.<br>Marc <maz@kernel.org> agreed.\x07\x1b[31m\n```\n<script>alert(1)</script>",
            false,
        )
        .unwrap();
        assert_eq!(
            a,
            "Topic\nAdds lazy widgets to <asm/kvm.h>.\nMarc <maz@kernel.org> agreed.[31m"
        );
        assert!(!a.contains('\x1b'));
    }

    #[test]
    fn repetition_length_and_truncation() {
        let a = sanitize_answer("Topic: widgets.\nTopic: widgets.\nTopic: widgets.\n\nMore text here.\n\nMore text here.", false).unwrap();
        assert_eq!(a, "Topic: widgets.\n\nMore text here.");
        let long = "This is a sentence about widgets. ".repeat(400);
        let a = sanitize_answer(&long, false).unwrap();
        assert!(a.chars().count() <= MAX_SUMMARY_CHARS);
        assert!(a.ends_with("widgets.…"), "{}", &a[a.len() - 40..]);
        let a = sanitize_answer("Topic: widgets. This window: Marc asked for", true).unwrap();
        assert_eq!(a, "Topic: widgets. …");
        let a = sanitize_answer("主题：小部件补丁。本周期：Marc 要求", true).unwrap();
        assert_eq!(a, "主题：小部件补丁。 …");
    }

    #[test]
    fn empty_and_garbage_rejected() {
        assert_eq!(sanitize_answer("", false).unwrap_err(), Unusable::Empty);
        assert_eq!(
            sanitize_answer("!!!! ???? 1234 ....", false)
                .unwrap_err()
                .to_string(),
            "answer has no usable text (19 characters)"
        );
        assert!(sanitize_answer("   \n\n ", false).is_err());
        assert!(sanitize_answer("!!!! ???? 1234 ....", false).is_err());
        assert!(sanitize_answer("<|im_end|>", false).is_err());
    }

    #[test]
    fn prompt_echoes() {
        let system = "You summarize threads.\n- Use only what the material states, and nothing else at all.\n";
        assert!(echoes_prompt(
            "Rules:\n- Use only what the material states, and nothing else at all.",
            system
        ));
        assert!(echoes_prompt("Topic: x\n<<<END DATA 12ab>>>", system));
        assert!(echoes_prompt(
            "MAILS\n#2 WINDOW 2022-03-08 10:00 UTC From: Pat",
            system
        ));
        assert!(echoes_prompt("FACTS\nSubject: x", system));
        assert!(!echoes_prompt(
            "Topic: the series uses only what the guest states.\nThis window: Marc reviewed patch #2.",
            system
        ));
    }

    #[test]
    fn errors_are_one_short_line() {
        let e = clean_error(&format!("HTTP 500:\n{}\x1b", "x".repeat(1000)));
        assert!(!e.contains('\n') && !e.contains('\x1b'));
        assert!(e.chars().count() <= 300);
    }
}
