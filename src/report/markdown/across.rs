//! The status lines of a series across its versions: the changelog of the
//! cover letter and patches, and the review replies to the previous
//! version, compactly (a few items each, then how many more).

use super::{Labels, ThreadView, escape_inline, link};

/// Most changelog entries (versions per mail) shown.
const MAX_ENTRIES: usize = 3;
/// Most items of one changelog entry shown.
const MAX_ITEMS: usize = 5;
/// Longest item or quoted line shown, in characters.
const ITEM_CHARS: usize = 140;

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let c: String = s.chars().take(max - 1).collect();
    format!("{}…", c.trim_end())
}

/// A person whose trailer was carried in the patch: "Name (carried from
/// v2)", escaped.
pub(super) fn carried_mark(l: &Labels, who: &str, previous: Option<u32>) -> String {
    let mark = match previous {
        Some(v) => l.carried_from.replace("{version}", &v.to_string()),
        None => l.carried.to_string(),
    };
    format!("{} *({})*", escape_inline(who), escape_inline(&mark))
}

fn more(l: &Labels, n: usize) -> String {
    escape_inline(&l.n_more.replace("{n}", &n.to_string()))
}

/// The changelog and previous-review lines of a thread (Markdown, each a
/// list item's text; nested items on their own indented lines).
pub(super) fn lines(l: &Labels, t: &ThreadView) -> Vec<String> {
    let mut out = Vec::new();
    let a = &t.series.across;
    for c in a.changelog.iter().take(MAX_ENTRIES) {
        let heading = l.changes_in.replace("{version}", &c.version.to_string());
        let source = match (&c.part, c.cover_letter) {
            (_, true) => l.changelog_cover.to_string(),
            (Some(p), false) => l.patch_notes.replace("{part}", p),
            (None, false) => l.changelog_notes.to_string(),
        };
        let mut items: Vec<String> = c
            .items
            .iter()
            .take(MAX_ITEMS)
            .map(|i| escape_inline(&cut(i, ITEM_CHARS)))
            .collect();
        if c.items.len() > MAX_ITEMS {
            items.push(more(l, c.items.len() - MAX_ITEMS));
        }
        out.push(format!(
            "**{}** ({}): {}",
            escape_inline(&heading),
            link(&source, &c.url),
            items.join(" · ")
        ));
    }
    if a.changelog.len() > MAX_ENTRIES {
        let heading = l.changes_in.replace("{version}", "…");
        out.push(format!(
            "**{}**: {}",
            escape_inline(&heading),
            more(l, a.changelog.len() - MAX_ENTRIES)
        ));
    }
    if let Some(p) = &t.series.previous_version
        && !a.previous_review.is_empty()
    {
        let mut line = format!(
            "**{}**:",
            escape_inline(
                &l.previous_review
                    .replace("{version}", &p.version.to_string())
            )
        );
        for r in &a.previous_review {
            let mut item = format!(
                "\n  - {} ({})",
                link(&r.from, &r.url),
                &r.date[..10.min(r.date.len())]
            );
            if !r.trailers.is_empty() {
                let t: Vec<&str> = r.trailers.iter().map(|k| k.as_str()).collect();
                item.push_str(&format!(" {}", t.join(", ")));
            }
            let quoted: Vec<String> = r
                .lines
                .iter()
                .map(|s| format!("“{}”", escape_inline(&cut(s, ITEM_CHARS))))
                .collect();
            if !quoted.is_empty() {
                item.push_str(&format!(": {}", quoted.join(" ")));
            }
            line.push_str(&item);
        }
        if a.previous_review_more > 0 {
            line.push_str(&format!("\n  - {}", more(l, a.previous_review_more)));
        }
        out.push(line);
    }
    out
}
