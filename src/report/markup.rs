//! The small pieces of markup every part of a report shares: escaping for
//! Markdown and HTML, the anchors of threads and mails, links and short
//! dates. Below the renderers ([`super::markdown`], [`super::html`]) and
//! their sections ([`super::maillist`], [`super::people`], [`super::charts`]).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Longest single line of mail-derived text (subject, name).
pub const MAX_INLINE_CHARS: usize = 300;

/// Escape one line of untrusted text for Markdown: no links, images,
/// emphasis, HTML, entities or code spans; control characters and line
/// breaks become spaces; very long text is cut.
pub fn escape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for (n, c) in s.chars().enumerate() {
        if n >= MAX_INLINE_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '$' | '!' | '#'
            | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            // Bidi overrides and other invisible format characters.
            '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200B}'..='\u{200F}'
            | '\u{FEFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Escape text for an XML document (the Atom feed): as [`escape_html`],
/// and the characters XML 1.0 does not allow become U+FFFD.
pub fn escape_xml(s: &str) -> String {
    let allowed: String = s
        .chars()
        .map(|c| match c {
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => '\u{FFFD}',
            '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect();
    escape_html(&allowed)
}

/// Escape text for HTML (and the SVG charts in it) element content and
/// attribute values: the one escaper of the reports.
pub fn escape_html(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Anchor of the n-th thread (1-based).
pub fn anchor(n: usize) -> String {
    format!("t-{n}")
}

/// Anchor of mail `k` (1-based, as cited) of the n-th thread.
pub fn mail_anchor(n: usize, k: usize) -> String {
    format!("t-{n}-m-{k}")
}

/// A Markdown link to an http(s) URL; other URLs give the text alone.
pub fn link(text: &str, url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        let url = url.replace(['(', ')', ' ', '<', '>'], "");
        format!("[{}]({url})", escape_inline(text))
    } else {
        escape_inline(text)
    }
}

/// An applied notice as the report and the series page show it: "who ·
/// where · day", escaped, without the where when it is empty (a notice that
/// names no tree).
pub fn applied_parts(who: &str, target: &str, date: &str) -> String {
    let day = date.get(..10).unwrap_or(date);
    [escape_inline(who), escape_inline(target), day.to_string()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// `MM-DD HH:MM` of an RFC 3339 time in `tz` (empty if unparsable).
pub fn fmt_short(t: &str, tz: Tz) -> String {
    parse_iso(t)
        .map(|d| d.with_timezone(&tz).format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// An RFC 3339 time.
pub fn parse_iso(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_applied_notice_without_a_tree_shows_who_and_when() {
        let date = "2022-03-08T12:00:00Z";
        assert_eq!(
            applied_parts("Marc Zyngier", "kvmarm/next", date),
            "Marc Zyngier · kvmarm/next · 2022-03-08"
        );
        assert_eq!(
            applied_parts("Marc Zyngier", "", date),
            "Marc Zyngier · 2022-03-08"
        );
    }
}
