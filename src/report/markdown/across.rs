//! The status lines of a series across its versions: the changelog of the
//! cover letter and patches, and the review replies to the previous
//! version, compactly (a few items each, then how many more).

use super::text::{OnPage, page_link};
use crate::digest::ThreadView;
use crate::lang::Labels;
use crate::report::markup::{escape_inline, link};

/// Most changelog entries of the newest version shown (its cover letter,
/// its patches' notes).
const MAX_ENTRIES: usize = 3;
/// Most items of one changelog entry shown.
const MAX_ITEMS: usize = 4;
/// Longest changelog item shown, in characters.
const ITEM_CHARS: usize = 110;
/// Most replies to the previous version shown (the JSON and the prompt
/// keep up to [`crate::digest::MAX_PREVIOUS_REVIEW`]).
const MAX_REVIEW: usize = 5;
/// Longest quotation of one such reply (its first lines), in characters.
const QUOTE_CHARS: usize = 120;

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
/// list item's text; nested items on their own indented lines). A previous
/// version that is itself on the page (`on_page`) is linked, not repeated:
/// its replies are in its own section.
pub(super) fn lines(l: &Labels, t: &ThreadView, on_page: &OnPage) -> Vec<String> {
    let mut out = Vec::new();
    let a = &t.series.across;
    // The newest version's entries (its cover letter's, its patches'
    // notes); older versions' are in the JSON and behind the links.
    let newest = a.changelog.first().map(|c| c.version);
    for c in a
        .changelog
        .iter()
        .filter(|c| Some(c.version) == newest)
        .take(MAX_ENTRIES)
    {
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
    if let Some(p) = &t.series.previous_version
        && !a.previous_review.is_empty()
    {
        let heading = escape_inline(
            &l.previous_review
                .replace("{version}", &p.version.to_string()),
        );
        let here = page_link(on_page, &p.id);
        if let Some(here) = here.strip_prefix(" · ") {
            out.push(format!("**{heading}**: {here}"));
            return out;
        }
        let mut line = format!("**{heading}**:");
        for r in a.previous_review.iter().take(MAX_REVIEW) {
            let mut item = format!(
                "\n  - {} ({})",
                link(&r.from, &r.url),
                &r.date[..10.min(r.date.len())]
            );
            if !r.trailers.is_empty() {
                let t: Vec<&str> = r.trailers.iter().map(|k| k.as_str()).collect();
                item.push_str(&format!(" {}", t.join(", ")));
            }
            // Its first lines, while they fit.
            let mut quoted: Vec<String> = Vec::new();
            let mut room = QUOTE_CHARS;
            for s in &r.lines {
                let n = s.chars().count();
                if quoted.is_empty() || n <= room {
                    let q = cut(s, room.max(40));
                    room = room.saturating_sub(q.chars().count());
                    quoted.push(format!("“{}”", escape_inline(&q)));
                } else {
                    break;
                }
            }
            if !quoted.is_empty() {
                item.push_str(&format!(": {}", quoted.join(" ")));
            }
            line.push_str(&item);
        }
        let hidden = a.previous_review.len().saturating_sub(MAX_REVIEW) + a.previous_review_more;
        if hidden > 0 {
            line.push_str(&format!("\n  - {}", more(l, hidden)));
        }
        out.push(line);
    }
    out
}
