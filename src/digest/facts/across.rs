//! FACTS lines of a series across its versions: what its changelog says
//! each version changed, and what the review of the previous version said
//! (who, their first own lines), so that a summary can say which review
//! points the new version answers. Both are capped in size.

use super::{ThreadView, neutralize};

/// Most characters of changelog items given, over all entries.
const CHANGELOG_CHARS: usize = 1200;
/// Most characters of previous-review lines given, over all replies.
const REVIEW_CHARS: usize = 1500;

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let c: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", c.trim_end())
}

/// The lines, in English (data for the model).
pub(super) fn facts(thread: &ThreadView, number_of: &dyn Fn(&str) -> Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    let a = &thread.series.across;
    let mut room = CHANGELOG_CHARS;
    for (k, c) in a.changelog.iter().enumerate() {
        if room < 40 {
            out.push(format!(
                "Changelog: {} more entries not listed",
                a.changelog.len() - k
            ));
            break;
        }
        let source = match (&c.part, c.cover_letter) {
            (_, true) => "the cover letter".to_string(),
            (Some(p), false) => format!("the notes of patch {p}"),
            (None, false) => "the patch notes".to_string(),
        };
        let at = number_of(&c.message_id)
            .map(|n| format!(", #{n}"))
            .unwrap_or_default();
        let items = cut(&c.items.join("; "), room);
        room = room.saturating_sub(items.chars().count());
        out.push(format!(
            "Changes in v{} (from {source}{at}): {}",
            c.version,
            neutralize(&items)
        ));
    }
    if let Some(p) = &thread.series.previous_version
        && !a.previous_review.is_empty()
    {
        out.push(format!(
            "Review of v{} (replies in the previous version's thread \"{}\"; those mails have no numbers here):",
            p.version,
            neutralize(&p.subject)
        ));
        let mut room = REVIEW_CHARS;
        for (k, r) in a.previous_review.iter().enumerate() {
            if room < 40 {
                out.push(format!(
                    "Review of v{}: {} more replies not listed",
                    p.version,
                    a.previous_review.len() - k + a.previous_review_more
                ));
                room = 0;
                break;
            }
            let mut what: Vec<String> = r.trailers.iter().map(|t| t.as_str().to_string()).collect();
            what.insert(0, r.date.get(..10).unwrap_or(&r.date).to_string());
            let said = if r.lines.is_empty() {
                String::new()
            } else {
                let q: Vec<String> = r.lines.iter().map(|l| format!("\"{l}\"")).collect();
                format!(": {}", cut(&q.join(" "), room))
            };
            room = room.saturating_sub(said.chars().count());
            out.push(format!(
                "Review of v{}: {} ({}){}",
                p.version,
                neutralize(&r.from),
                what.join(", "),
                neutralize(&said)
            ));
        }
        if room > 0 && a.previous_review_more > 0 {
            out.push(format!(
                "Review of v{}: {} more replies not listed",
                p.version, a.previous_review_more
            ));
        }
    }
    out
}
