//! The pieces of text the parts of the Markdown report share: escaped
//! blocks (summaries), times, the list of a statement's problems and the
//! links to the page's threads.

use std::fmt::Write;

use chrono::TimeZone;
use chrono_tz::Tz;

use crate::digest::ThreadView;
use crate::grounding::{Problem, ProblemKind};
use crate::lang::Labels;
use crate::report::markup::{anchor, escape_inline, parse_iso};

/// Longest summary shown (characters); model output beyond is cut.
pub const MAX_SUMMARY_CHARS: usize = 6000;
/// The mark of a warning (a notice, a flagged statement, a rejected
/// summary): text, not an emoji, which many machines (air-gapped servers
/// above all) have no font for.
pub const WARN: &str = "**!**";

/// Escape multi-line untrusted text (a summary): each line is escaped as
/// inline text; simple list items ("- ", "* ", "1. ") stay lists; every
/// other line is its own paragraph. Cut at [`MAX_SUMMARY_CHARS`].
pub fn escape_block(s: &str) -> String {
    escape_block_with(s, &|_, rest| escape_inline(rest))
}

/// [`escape_block`] whose line text (after any list marker) is rendered by
/// `inline(offset, text)`, `offset` being where the text starts in `s`.
pub(super) fn escape_block_with(s: &str, inline: &dyn Fn(usize, &str) -> String) -> String {
    let mut text: String = s.chars().take(MAX_SUMMARY_CHARS).collect();
    if s.chars().count() > MAX_SUMMARY_CHARS {
        text.push('…');
    }
    let base = text.as_ptr() as usize;
    let mut out = String::new();
    let mut prev_list = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            prev_list = false;
            continue;
        }
        let (marker, rest) =
            if let Some(r) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
                (Some("- ".to_string()), r)
            } else if let Some(r) = line.strip_prefix("• ") {
                (Some("- ".to_string()), r)
            } else if let Some((num, r)) = line.split_once(". ")
                && !num.is_empty()
                && num.len() <= 3
                && num.bytes().all(|b| b.is_ascii_digit())
            {
                (Some(format!("{num}. ")), r)
            } else {
                (None, line)
            };
        // Leading characters that start blocks (headings, quotes, rules,
        // setext underlines, list markers) are escaped by escape_inline or
        // here.
        let mut body = inline(rest.as_ptr() as usize - base, rest);
        if let Some(first) = body.chars().next()
            && matches!(first, '-' | '+' | '=' | '.' | ')' | ':')
        {
            body.insert(0, '\\');
        }
        if body.chars().next().is_some_and(|c| c.is_ascii_digit()) && marker.is_none() {
            // "2019. x" would start an ordered list.
            if let Some(pos) = body.find(". ")
                && body[..pos].bytes().all(|b| b.is_ascii_digit())
            {
                body.insert(pos, '\\');
            }
        }
        match marker {
            Some(m) => {
                if !prev_list && !out.is_empty() {
                    out.push('\n');
                }
                let _ = writeln!(out, "{m}{body}");
                prev_list = true;
            }
            None => {
                if !out.is_empty() {
                    out.push('\n');
                }
                let _ = writeln!(out, "{body}");
                prev_list = false;
            }
        }
    }
    out
}

/// Time as `YYYY-MM-DD HH:MM` in `tz`.
pub fn fmt_time(t: &str, tz: Tz) -> String {
    parse_iso(t)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

pub(super) fn fmt_instant(t: i64, tz: Tz) -> String {
    tz.timestamp_opt(t, 0)
        .single()
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// "person not in the thread “Will Deacon”; no mail cited", at most `max`
/// problems (then "…").
pub(super) fn problem_list(l: &Labels, problems: &[Problem], max: usize) -> String {
    let mut parts: Vec<String> = problems
        .iter()
        .take(max)
        .map(|p| {
            let kind = ProblemKind::ALL
                .iter()
                .position(|k| *k == p.kind)
                .map_or("", |i| l.problem_kinds[i]);
            if p.kind == ProblemKind::Uncited {
                kind.to_string()
            } else {
                let t: String = p.text.chars().take(60).collect();
                format!("{kind} “{t}”")
            }
        })
        .collect();
    parts.dedup();
    if problems.len() > max {
        parts.push("…".into());
    }
    parts.join("; ")
}

/// The threads of the page: id → number (`T3`, anchor `t-3`).
pub(super) type OnPage<'a> = std::collections::HashMap<&'a str, usize>;

/// The number of each thread on the page, by id.
pub(super) fn on_page(threads: &[ThreadView]) -> OnPage<'_> {
    threads
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i + 1))
        .collect()
}

/// ` · [T3](#t-3)` when thread `id` is on this page, else nothing.
pub(super) fn page_link(on_page: &OnPage, id: &str) -> String {
    on_page
        .get(id)
        .map(|k| format!(" · [T{k}](#{})", anchor(*k)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_escapes_links_html_and_breaks() {
        let e = escape_inline("[x](javascript:alert(1)) <script>alert(1)</script>\n# h");
        assert!(!e.contains("[x]("));
        assert!(e.contains("\\[x\\]"));
        assert!(e.contains("\\<script\\>"));
        assert!(!e.contains('\n'));
        let html = crate::report::html::markdown_to_html(&e);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("href"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn block_keeps_lists_but_not_headings_or_links() {
        let s = "# Title\n- item one\n* item [two](http://evil)\n\n---\n1. first\n> quote\n<img src=x onerror=alert(1)>";
        let e = escape_block(s);
        let html = crate::report::html::markdown_to_html(&e);
        assert!(!html.contains("<h1"), "{html}");
        assert!(!html.contains("<hr"), "{html}");
        assert!(!html.contains("<a "), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<blockquote"), "{html}");
        assert!(html.contains("<li>item one</li>"), "{html}");
        assert!(html.contains("<ol>"), "{html}");
    }

    #[test]
    fn long_text_is_cut() {
        let long = "x".repeat(10_000);
        assert!(
            escape_inline(&long).chars().count() <= crate::report::markup::MAX_INLINE_CHARS + 1
        );
        assert!(escape_block(&long).chars().count() <= MAX_SUMMARY_CHARS + 2);
    }
}
