//! The history page of one series (`series LIST MSGID --format md,html`):
//! version by version, its date, patches, replies, trailers and applied
//! notice, from the ledger ([`crate::digest::ledger`]).

use crate::digest::ledger::SeriesEntry;
use crate::lang::Lang;

use super::markup::{applied_parts, escape_inline, link};

/// The page's Markdown.
pub fn markdown(s: &SeriesEntry) -> String {
    let mut o = format!("# {}\n\n", escape_inline(&s.title));
    o.push_str(&format!(
        "- v{} · {} · state: {} since {}\n- last activity: {}\n- {}\n",
        s.version,
        escape_inline(&s.author),
        s.state.as_str(),
        day(&s.state_since),
        day(&s.last_activity),
        link(&s.url, &s.url)
    ));
    if !s.reviewers.is_empty() {
        let who: Vec<String> = s.reviewers.iter().map(|r| escape_inline(r)).collect();
        o.push_str(&format!("- reviewers: {}\n", who.join(", ")));
    }
    for v in s.versions.iter().rev() {
        o.push_str(&format!(
            "\n## v{} · {}\n\n- {} patches · {} replies · {}\n",
            v.version,
            day(&v.date),
            v.patches,
            v.replies,
            escape_inline(&format!("<{}>", v.message_id))
        ));
        for t in &v.trailers {
            o.push_str(&format!(
                "- {}: {}{} — {}\n",
                t.kind.as_str(),
                escape_inline(&t.who),
                if t.carried { " (carried)" } else { "" },
                escape_inline(&t.patch)
            ));
        }
        if let Some(a) = &v.applied {
            o.push_str(&format!(
                "- applied: {}\n",
                applied_parts(&a.who, &a.target, &a.date)
            ));
        }
    }
    o
}

/// The page's HTML: [`markdown`] as a standalone page.
pub fn html(s: &SeriesEntry, lang: Lang) -> String {
    super::html::render_page(&s.title, lang, &markdown(s))
}

/// The file stem of a series' page: its id with any character outside
/// `[A-Za-z0-9._@-]` as `_`.
pub fn file_stem(s: &SeriesEntry) -> String {
    s.id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn day(t: &str) -> &str {
    t.get(..10).unwrap_or(t)
}
