//! The page-wide parts of the Markdown report: the header, the watched
//! threads, the highlights, the overview (totals, kinds), the contents,
//! and after the threads the data-quality appendix and how to reproduce
//! the report.

use std::fmt::Write;

use super::text::{WARN, fmt_instant, fmt_time, problem_list};
use crate::digest::{Quality, ThreadView, Totals};
use crate::lang::{Labels, Lang};
use crate::report::Header;
use crate::report::highlights::{Highlight, Synthesis};
use crate::report::markup::{anchor, escape_inline};
use crate::watch::Watched;
use crate::window::{RangeOut, Window};

/// The title and the lines under it: list, window, when generated, by
/// which summarizer, the grounding counts and the run's notices.
pub(super) fn header(o: &mut String, l: &Labels, h: &Header, list: &str, window: &Window) {
    let tz = window.zone;
    let list_up = list.to_uppercase();
    let _ = writeln!(
        o,
        "# {} {} · {}\n",
        escape_inline(&list_up),
        l.title,
        escape_inline(&window.label)
    );
    let by = if window.field == crate::window::TimeField::Date {
        l.by_date
    } else {
        l.by_received
    };
    let _ = writeln!(o, "- **{}**: {}", l.list, escape_inline(list));
    if window.first_day.is_empty() {
        let _ = writeln!(
            o,
            "- **{}**: {} ({})",
            l.window,
            escape_inline(&window.label),
            by
        );
    } else {
        let _ = writeln!(
            o,
            "- **{}**: {} — {} ({}, {by}, {})",
            l.window,
            fmt_instant(window.start, tz),
            fmt_instant(window.end, tz),
            window.tz(),
            escape_inline(&window.label),
        );
    }
    let _ = writeln!(
        o,
        "- **{}**: {}",
        l.generated,
        fmt_time(&h.generated_at, tz) + " " + window.tz()
    );
    let sm = &h.summarizer;
    let mut who = if sm.backend == crate::summarize::Backend::Extractive {
        l.extractive_backend.to_string()
    } else {
        format!("{} {}", sm.backend, sm.model.as_deref().unwrap_or(""))
    };
    if let Some(dg) = &sm.model_digest {
        who.push_str(&format!(" ({})", &dg[..dg.len().min(19)]));
    }
    let _ = writeln!(o, "- **{}**: {}", l.summaries, escape_inline(who.trim()));
    if let Some(g) = &h.grounding {
        let _ = writeln!(
            o,
            "- **{}**: {} {} · {} {} · {} {} ({})",
            l.grounding,
            g.grounded,
            l.grounded,
            g.flagged,
            l.flagged,
            g.rejected,
            l.rejected,
            escape_inline(&g.mode)
        );
    }
    for n in &h.notices {
        let _ = writeln!(o, "- {WARN} {}", escape_inline(n));
    }
    o.push('\n');
}

/// The "Watched" section: the threads that match the watch list, each
/// linked to its place in the report, with the reasons.
pub(super) fn watched(o: &mut String, lang: Lang, watched: &[Watched], threads: &[ThreadView]) {
    let l = lang.labels();
    let _ = writeln!(o, "## {}\n", l.watched);
    if watched.is_empty() {
        let _ = writeln!(o, "{}\n", l.watched_none);
        return;
    }
    for w in watched {
        let Some(i) = threads.iter().position(|t| t.id == w.id) else {
            continue;
        };
        let th = &threads[i];
        let _ = writeln!(
            o,
            "- [{}](#{}) — {}",
            escape_inline(&th.subject),
            anchor(i + 1),
            escape_inline(&w.why.join("; "))
        );
    }
    o.push('\n');
}

/// Inline text that opens a list item: a leading `-`, `+`, `=` or `1.`
/// escaped, so that it cannot start a rule, a nested list or a heading.
fn not_a_block(s: &str) -> String {
    let t = s.trim_start();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if t.starts_with(['-', '+', '=']) {
        format!("\\{t}")
    } else if digits > 0 && t[digits..].starts_with(['.', ')']) {
        format!("{}\\{}", &t[..digits], &t[digits..])
    } else {
        t.to_string()
    }
}

/// The Markdown section (empty without highlights): each item with links
/// to its threads (`[T3](#t-3)`, numbered as the report's threads). The
/// model's items keep their citations in place, as links, and a flagged
/// item is marked; when the model's were not shown, a notice says why.
pub(super) fn highlights(
    l: &Labels,
    lang: Lang,
    items: &[Highlight],
    synthesis: Option<&Synthesis>,
    threads: &[ThreadView],
) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut o = format!("## {}\n\n", lang.labels().highlights);
    if let Some(n) = synthesis.and_then(|s| s.notice.as_ref()) {
        let _ = writeln!(o, "{WARN} {}\n", escape_inline(n));
    }
    let inline = synthesis.is_some_and(|s| s.items.is_some());
    for (k, h) in items.iter().enumerate() {
        if inline {
            use crate::summarize::synthesis::{Segment, segments};
            o.push_str("- ");
            for (k, seg) in segments(&h.text).into_iter().enumerate() {
                match seg {
                    Segment::Text(t) if k == 0 => o.push_str(&not_a_block(&escape_inline(t))),
                    Segment::Text(t) => o.push_str(&escape_inline(t)),
                    Segment::Cite(ns) => {
                        let links: Vec<String> = ns
                            .iter()
                            .map(|&n| {
                                if (1..=threads.len()).contains(&n) {
                                    format!("[T{n}](#{})", anchor(n))
                                } else {
                                    format!("\\[T{n}\\]")
                                }
                            })
                            .collect();
                        o.push_str(&links.join(" "));
                    }
                }
            }
            let problems = synthesis.map(|s| s.problems_of(k)).unwrap_or_default();
            if !problems.is_empty() {
                let why = l
                    .unverified
                    .replace("{problems}", &problem_list(l, &problems, 3));
                let _ = write!(o, " {WARN} *({})*", escape_inline(&why));
            }
            o.push('\n');
            continue;
        }
        let links: Vec<String> = h
            .threads
            .iter()
            .filter_map(|id| threads.iter().position(|t| &t.id == id))
            .map(|i| format!("[T{}](#{})", i + 1, anchor(i + 1)))
            .collect();
        o.push_str(&format!("- {}", escape_inline(&h.text)));
        if !links.is_empty() {
            o.push_str(&format!(" {}", links.join(" ")));
        }
        o.push('\n');
    }
    o.push('\n');
    o
}

/// The overview: mails, threads and people of the window, and the threads
/// and mails of each kind.
pub(super) fn totals(o: &mut String, l: &Labels, lang: Lang, t: &Totals) {
    let _ = writeln!(o, "## {}\n", l.overview);
    let _ = writeln!(
        o,
        "- **{}**: {} ({})",
        l.mails_in_window,
        t.messages,
        l.history_context
            .word(t.history_messages)
            .replace("{n}", &t.history_messages.to_string())
    );
    let _ = writeln!(
        o,
        "- **{}**: {} ({} {}, {} {})",
        l.threads, t.threads, t.new_threads, l.new_threads, t.big_threads, l.big_threads
    );
    let _ = writeln!(o, "- **{}**: {}\n", l.participants, t.participants);
    if !t.by_kind.is_empty() {
        let _ = writeln!(o, "### {}\n", l.by_kind);
        let _ = writeln!(o, "| {} | {} | {} |", l.kind, l.threads, l.mails);
        let _ = writeln!(o, "| --- | ---: | ---: |");
        for k in &t.by_kind {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                k.kind.label(lang),
                k.threads,
                k.messages
            );
        }
        o.push('\n');
    }
}

/// The contents: each thread linked, with its kind and mails (else that
/// there are none).
pub(super) fn contents(o: &mut String, l: &Labels, lang: Lang, threads: &[ThreadView]) {
    if threads.is_empty() {
        let _ = writeln!(o, "{}\n", l.no_threads);
    } else {
        let _ = writeln!(o, "## {}\n", l.contents);
        for (i, th) in threads.iter().enumerate() {
            let _ = writeln!(
                o,
                "{}. [{}](#{}) — {} · {}",
                i + 1,
                escape_inline(&th.subject),
                anchor(i + 1),
                th.kind.label(lang),
                l.n_mails.of(th.window_messages)
            );
        }
        o.push('\n');
    }
}

/// The data-quality appendix: each kind of problem with its count and up
/// to 20 of its mails or commits.
pub(super) fn quality(o: &mut String, l: &Labels, q: &Quality) {
    let _ = writeln!(o, "---\n\n## {}\n", l.quality);
    if q.is_empty() {
        let _ = writeln!(o, "{}\n", l.quality_none);
    } else {
        for (label, items) in [
            (l.q_no_mid, &q.no_message_id),
            (l.q_undecodable, &q.undecodable),
            (l.q_date_skew, &q.date_skew),
            (l.q_reused, &q.reused_message_id),
            (l.q_unreadable, &q.unreadable_commits),
        ] {
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(o, "- **{label}**: {}", items.len());
            for it in items.iter().take(20) {
                let mut line = String::new();
                if !it.subject.is_empty() {
                    line.push_str(&escape_inline(&it.subject));
                }
                if !it.message_id.is_empty() {
                    let _ = write!(line, " ‹{}›", escape_inline(&it.message_id));
                }
                if !it.detail.is_empty() {
                    let _ = write!(line, " — {}", escape_inline(&it.detail));
                }
                let _ = writeln!(o, "  - {}", line.trim());
            }
            if items.len() > 20 {
                let _ = writeln!(o, "  - …");
            }
        }
        o.push('\n');
    }
}

/// How to make the report again: the commits of each epoch, the command,
/// the tool and prompt versions and the summarizer's options.
pub(super) fn reproduce(o: &mut String, l: &Labels, h: &Header, epochs: &[RangeOut]) {
    let _ = writeln!(o, "## {}\n", l.reproduce);
    for e in epochs {
        let from = e.from.as_deref().unwrap_or("root");
        let _ = writeln!(
            o,
            "- **{}** epoch {}: `{}..{}`",
            l.commits, e.epoch, from, e.to
        );
    }
    let _ = writeln!(o, "- `{}`", h.regenerate.replace('`', "'"));
    let mut info = vec![format!("{} {}", h.tool, h.version)];
    if let Some(p) = &h.summarizer.prompt_version {
        info.push(format!("prompt {p}"));
    }
    info.extend(h.summarizer.options.iter().cloned());
    let _ = writeln!(o, "- {}", escape_inline(&info.join(" · ")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_highlight_cannot_open_a_block() {
        for t in ["---", "- - -", "===", "+ x", "1. x", "2) y"] {
            let md = format!("- {}\n", not_a_block(&escape_inline(t)));
            let html = crate::report::html::markdown_to_html(&md);
            assert!(!html.contains("<hr"), "{t}: {html}");
            assert_eq!(html.matches("<li>").count(), 1, "{t}: {html}");
            assert!(!html.contains("<ol"), "{t}: {html}");
        }
    }
}
