//! The Markdown report. All text that comes from mail or from a model is
//! escaped so it can never become a link, an image, HTML or a heading: the
//! structure of the report is ours alone.

use std::fmt::Write;

use chrono::TimeZone;
use chrono_tz::Tz;

use super::i18n::{Labels, labels};
use super::markup::{anchor, escape_inline, link, mail_anchor, parse_iso};
use super::{Report, ThreadSummary};
use crate::analysis::Kind;
use crate::digest::{GivenTrailer, ThreadView};
use crate::grounding::{Problem, ProblemKind};
use crate::summarize::SummarySource;

mod across;

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
fn escape_block_with(s: &str, inline: &dyn Fn(usize, &str) -> String) -> String {
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

fn fmt_instant(t: i64, tz: Tz) -> String {
    tz.timestamp_opt(t, 0)
        .single()
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// "person not in the thread “Will Deacon”; no mail cited", at most `max`
/// problems (then "…").
fn problem_list(l: &Labels, problems: &[Problem], max: usize) -> String {
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

/// The summary text: citations as links to the mail's entry in the report
/// and (the first citation of each mail) to lore, flagged statements marked
/// with the reason.
fn summary_body(l: &Labels, n: usize, th: &ThreadView, s: &ThreadSummary) -> String {
    let Some(c) = &s.shown else {
        return escape_block(&s.text);
    };
    // Marks at the end of each flagged statement.
    let mut marks: Vec<(usize, String)> = Vec::new();
    for (i, st) in c.statements.iter().enumerate() {
        let ps: Vec<Problem> = c
            .grounding
            .problems
            .iter()
            .filter(|p| p.statement == Some(i))
            .cloned()
            .collect();
        if !ps.is_empty() {
            marks.push((st.end, problem_list(l, &ps, 3)));
        }
    }
    // A mail's first citation also links lore; a repeated one links its
    // entry (which links lore), not lore again.
    let linked = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let cite = |numbers: &[usize]| -> String {
        let parts: Vec<String> = numbers
            .iter()
            .map(|&k| match th.messages.get(k.wrapping_sub(1)) {
                Some(m) if k > 0 => format!(
                    "[#{k}](#{}){}",
                    mail_anchor(n, k),
                    if (m.url.starts_with("https://") || m.url.starts_with("http://"))
                        && linked.borrow_mut().insert(k)
                    {
                        format!(" [↗]({})", m.url.replace(['(', ')', ' ', '<', '>'], ""))
                    } else {
                        String::new()
                    }
                ),
                _ => format!("\\#{k}"),
            })
            .collect();
        format!("\\[{}\\]", parts.join(", "))
    };
    let inline = |off: usize, rest: &str| -> String {
        let end = off + rest.len();
        let mut out = String::new();
        let mut pos = off;
        let mut events: Vec<(usize, usize, String)> = Vec::new();
        for ct in &c.citations {
            if ct.start >= off && ct.end <= end {
                events.push((ct.start, ct.end, cite(&ct.numbers)));
            }
        }
        for (at, why) in &marks {
            if *at > off && *at <= end {
                let m = l.unverified.replace("{problems}", why);
                events.push((*at, *at, format!(" {WARN} *({})*", escape_inline(&m))));
            }
        }
        events.sort_by_key(|e| (e.0, e.1));
        for (s0, e0, rendered) in events {
            if s0 < pos {
                continue;
            }
            out.push_str(&escape_inline(&s.text[pos..s0]));
            out.push_str(&rendered);
            pos = e0;
        }
        out.push_str(&escape_inline(&s.text[pos.min(end)..end]));
        out
    };
    let mut body = escape_block_with(&s.text, &inline);
    // Problems outside every statement (in a label line).
    let loose: Vec<Problem> = c
        .grounding
        .problems
        .iter()
        .filter(|p| p.statement.is_none())
        .cloned()
        .collect();
    if !loose.is_empty() {
        let m = l
            .unverified
            .replace("{problems}", &problem_list(l, &loose, 3));
        body.push_str(&format!("\n{WARN} *{}*\n", escape_inline(&m)));
    }
    body
}

/// A link whose target we made (lore URLs): only http(s) is ever emitted.
/// A patch a trailer was given to: version, N and "N/M".
type PatchNo = (u32, u32, String);

/// Who gave a trailer, and for which patches (by N/M, cover letter first);
/// trailers carried in the patches apart, marked so (`previous`: the
/// previous version, when in the archive).
fn trailer_list(l: &Labels, items: &[GivenTrailer], previous: Option<u32>) -> String {
    // name (+ mark) -> patches
    let mut by: Vec<(String, Vec<PatchNo>)> = Vec::new();
    for t in items {
        let who = if t.name.is_empty() {
            t.email.clone()
        } else {
            t.name.clone()
        };
        let who = if t.carried {
            across::carried_mark(l, &who, previous)
        } else {
            escape_inline(&who)
        };
        let info = crate::analysis::parse_subject(&t.patch);
        let patch = info
            .part
            .map(|(n, m)| (info.effective_version(), n, format!("{n}/{m}")));
        let i = match by.iter().position(|(w, _)| *w == who) {
            Some(i) => i,
            None => {
                by.push((who, Vec::new()));
                by.len() - 1
            }
        };
        if let Some(p) = patch
            && !by[i].1.iter().any(|q| q.2 == p.2)
        {
            by[i].1.push(p);
        }
    }
    by.iter_mut()
        .map(|(who, ps)| {
            ps.sort();
            if ps.is_empty() {
                who.clone()
            } else {
                format!("{who} ({})", patch_numbers(l, ps))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The subject of another version of a thread's series: only its tags
/// (`[PATCH v5 00/69]`) when its title is the thread's, as it is for
/// versions linked by title; else whole.
fn other_version<'a>(subject: &'a str, thread_subject: &str) -> &'a str {
    let (a, b) = (
        crate::analysis::parse_subject(subject),
        crate::analysis::parse_subject(thread_subject),
    );
    let tags_end = subject
        .strip_prefix('[')
        .and_then(|r| r.find(']'))
        .map(|e| e + 2);
    match tags_end {
        Some(e) if !a.title.is_empty() && a.title.eq_ignore_ascii_case(&b.title) => &subject[..e],
        _ => subject,
    }
}

/// Sorted patch numbers: "3/64" alone; several of one series as runs,
/// "1, 7, 12–15 of 64"; of several series (versions, totals) each "N/M".
fn patch_numbers(l: &Labels, ps: &[PatchNo]) -> String {
    let total = |p: &PatchNo| p.2.rsplit('/').next().unwrap_or("").to_string();
    let one_series = ps
        .iter()
        .all(|p| p.0 == ps[0].0 && total(p) == total(&ps[0]));
    if ps.len() < 2 || !one_series {
        let all: Vec<&str> = ps.iter().map(|p| p.2.as_str()).collect();
        return all.join(", ");
    }
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for p in ps {
        match runs.last_mut() {
            Some((_, b)) if p.1 == *b + 1 => *b = p.1,
            _ => runs.push((p.1, p.1)),
        }
    }
    let list: Vec<String> = runs
        .iter()
        .map(|&(a, b)| match b - a {
            0 => a.to_string(),
            1 => format!("{a}, {b}"),
            _ => format!("{a}–{b}"),
        })
        .collect();
    l.patches_of
        .replace("{list}", &list.join(", "))
        .replace("{total}", &total(&ps[0]))
}

/// `s` as a Markdown code span, whatever backticks it holds.
fn code(s: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

fn status_lines(l: &Labels, t: &ThreadView, on_page: &OnPage) -> Vec<String> {
    let s = &t.series.facts;
    let mut out = Vec::new();
    let mut parts = Vec::new();
    if s.patch_mails > 0 {
        parts.push(format!("{} v{}", l.version, s.version));
        if let Some(total) = s.total {
            parts.push(format!(
                "{}/{} {}",
                s.arrived.len(),
                total,
                l.patches_arrived.word(s.arrived.len())
            ));
        }
        if !s.missing.is_empty() {
            let list: Vec<String> = s.missing.iter().take(20).map(|n| n.to_string()).collect();
            parts.push(format!("{} {}", l.missing, list.join(", ")));
        }
        if s.cover_letter {
            parts.push(l.cover_letter.to_string());
        }
        if s.rfc {
            parts.push(l.rfc.to_string());
        }
        if s.resend {
            parts.push(l.resend.to_string());
        }
    }
    if t.root_missing {
        parts.push(l.root_missing.to_string());
    }
    if !parts.is_empty() {
        out.push(format!("**{}**: {}", l.status, parts.join(" · ")));
    }
    if let Some(p) = &t.series.previous_version {
        out.push(format!(
            "**{}**: {}{}",
            l.previous_version,
            link(other_version(&p.subject, &t.subject), &p.url),
            page_link(on_page, &p.id)
        ));
    }
    if let Some(b) = &t.series.b4 {
        out.push(format!("**b4**: {} · {}", code(&b.shazam), code(&b.am)));
    }
    if let Some(n) = &t.series.superseded_by {
        out.push(format!(
            "**{}**: {} ({}){}",
            l.superseded_by,
            link(other_version(&n.subject, &t.subject), &n.url),
            &n.date[..10.min(n.date.len())],
            page_link(on_page, &n.id)
        ));
    }
    let r = &t.review;
    for (label, items) in [
        ("Reviewed-by", &r.reviewed_by),
        ("Acked-by", &r.acked_by),
        ("Tested-by", &r.tested_by),
        ("Reported-by", &r.reported_by),
    ] {
        if !items.is_empty() {
            let previous = t.series.previous_version.as_ref().map(|p| p.version);
            out.push(format!("**{label}**: {}", trailer_list(l, items, previous)));
        }
    }
    out.extend(across::lines(l, t, on_page));
    // Identical notices (the same words from the same person, as when
    // each patch of a series is answered "Applied, thanks") once.
    let mut seen: Vec<String> = Vec::new();
    for a in &r.applied {
        let who = if a.by.is_empty() { &a.by_email } else { &a.by };
        let line = format!(
            "**{}**: {} — “{}”",
            l.applied,
            escape_inline(who),
            escape_inline(&a.line)
        );
        if seen.contains(&line) {
            continue;
        }
        seen.push(line.clone());
        out.push(format!("{line} ({})", &a.date[..10.min(a.date.len())]));
    }
    for a in &r.naks {
        let who = if a.by.is_empty() { &a.by_email } else { &a.by };
        let line = format!(
            "**{}**: {} — “{}”",
            l.nak,
            escape_inline(who),
            escape_inline(&a.line)
        );
        if !seen.contains(&line) {
            seen.push(line.clone());
            out.push(line);
        }
    }
    if !r.bots.is_empty() {
        let b: Vec<String> = r.bots.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        out.push(format!("**{}**: {}", l.bots, b.join(", ")));
    }
    out
}

/// The summary's heading. A cached answer is the model's answer: the page
/// says the same either way, so a report regenerated from the cache (or
/// replayed) is byte-identical; JSON keeps `source` for scripts.
fn summary_heading(l: &Labels, s: &ThreadSummary) -> String {
    let src = match s.source {
        SummarySource::Model | SummarySource::Cache => l.summary_source_model,
        SummarySource::Unavailable => l.summary_unavailable,
        SummarySource::Extractive => l.summary_source_extractive,
    };
    format!("#### {} ({src})", l.summary)
}

/// Render the whole report as Markdown.
/// The "Watched" section: the threads that match the watch list, each
/// linked to its place in the report, with the reasons.
fn render_watched(o: &mut String, report: &Report) {
    let Some(watched) = &report.watched else {
        return;
    };
    let zh = report.report.lang == "zh";
    let _ = writeln!(o, "## {}\n", if zh { "关注" } else { "Watched" });
    if watched.is_empty() {
        let none = if zh {
            "本期没有匹配关注列表的讨论。"
        } else {
            "No thread matches the watch list."
        };
        let _ = writeln!(o, "{none}\n");
        return;
    }
    for w in watched {
        let Some(i) = report.digest.threads.iter().position(|t| t.id == w.id) else {
            continue;
        };
        let th = &report.digest.threads[i];
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

pub fn render(report: &Report) -> String {
    let h = &report.report;
    let d = &report.digest;
    let l = labels(&h.lang);
    let tz: Tz = d.window.zone;
    // The number of each thread on this page, by id.
    let on_page: OnPage = d
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i + 1))
        .collect();
    let mut o = String::new();
    let list_up = d.list.to_uppercase();
    let _ = writeln!(
        o,
        "# {} {} · {}\n",
        escape_inline(&list_up),
        l.title,
        escape_inline(&d.window.label)
    );
    let by = if d.window.by == "date" {
        l.by_date
    } else {
        l.by_received
    };
    let _ = writeln!(o, "- **{}**: {}", l.list, escape_inline(&d.list));
    if d.window.first_day.is_empty() {
        let _ = writeln!(
            o,
            "- **{}**: {} ({})",
            l.window,
            escape_inline(&d.window.label),
            by
        );
    } else {
        let _ = writeln!(
            o,
            "- **{}**: {} — {} ({}, {by}, {})",
            l.window,
            fmt_instant(d.window.start, tz),
            fmt_instant(d.window.end, tz),
            d.window.tz,
            escape_inline(&d.window.label),
        );
    }
    let _ = writeln!(
        o,
        "- **{}**: {}",
        l.generated,
        fmt_time(&h.generated_at, tz) + " " + &d.window.tz
    );
    let sm = &h.summarizer;
    let mut who = if sm.backend == "extractive" {
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
    render_watched(&mut o, report);
    o.push_str(&render_highlights(report, l, &h.lang));

    // Overview
    let t = &d.totals;
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
                k.kind.label(&h.lang),
                k.threads,
                k.messages
            );
        }
        o.push('\n');
    }
    // The HTML puts its charts here; the numbers are in the JSON.
    if !report.activity.is_empty() {
        let _ = writeln!(o, "{}\n", super::charts::MARKER);
    }
    o.push_str(&super::people::render(
        &super::people::of_digest(d),
        &h.lang,
    ));

    if d.threads.is_empty() {
        let _ = writeln!(o, "{}\n", l.no_threads);
    } else {
        // Contents
        let _ = writeln!(o, "## {}\n", l.contents);
        for (i, th) in d.threads.iter().enumerate() {
            let _ = writeln!(
                o,
                "{}. [{}](#{}) — {} · {}",
                i + 1,
                escape_inline(&th.subject),
                anchor(i + 1),
                th.kind.label(&h.lang),
                l.n_mails.of(th.window_messages)
            );
        }
        o.push('\n');
    }

    // Threads by kind
    let mut n = 0;
    for kind in Kind::ALL {
        let threads: Vec<(usize, &ThreadView)> = d
            .threads
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == kind)
            .collect();
        if threads.is_empty() {
            continue;
        }
        let _ = writeln!(o, "---\n\n## {}\n", kind.label(&h.lang));
        let _ = writeln!(o, "{}\n", l.n_threads.of(threads.len()));
        for (i, th) in threads {
            n += 1;
            debug_assert_eq!(n, i + 1);
            let s = &report.summaries[i];
            render_thread(&mut o, l, &h.lang, tz, (i + 1, th), s, &on_page);
        }
    }

    // Data quality
    let _ = writeln!(o, "---\n\n## {}\n", l.quality);
    let q = &d.quality;
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

    // Reproduce
    let _ = writeln!(o, "## {}\n", l.reproduce);
    for e in &d.epochs {
        let from = e.from.as_deref().unwrap_or("root");
        let _ = writeln!(
            o,
            "- **{}** epoch {}: `{}..{}`",
            l.commits, e.epoch, from, e.to
        );
    }
    let _ = writeln!(o, "- `{}`", h.regenerate.replace('`', "'"));
    let mut info = vec![format!("{} {}", h.tool, h.version)];
    if let Some(p) = &sm.prompt_version {
        info.push(format!("prompt {p}"));
    }
    info.extend(sm.options.iter().cloned());
    let _ = writeln!(o, "- {}", escape_inline(&info.join(" · ")));
    o
}

/// First and last mail of a thread: both, even on one day; one time when
/// they are the same minute.
fn period(first: &str, last: &str, tz: Tz) -> String {
    let (a, b) = (fmt_time(first, tz), fmt_time(last, tz));
    if a == b { a } else { format!("{a} — {b}") }
}

/// The threads of the page: id → number (`T3`, anchor `t-3`).
pub(super) type OnPage<'a> = std::collections::HashMap<&'a str, usize>;

/// ` · [T3](#t-3)` when thread `id` is on this page, else nothing.
pub(super) fn page_link(on_page: &OnPage, id: &str) -> String {
    on_page
        .get(id)
        .map(|k| format!(" · [T{k}](#{})", anchor(*k)))
        .unwrap_or_default()
}

fn render_thread(
    o: &mut String,
    l: &Labels,
    lang: &str,
    tz: Tz,
    (n, th): (usize, &ThreadView),
    s: &ThreadSummary,
    on_page: &OnPage,
) {
    let _ = writeln!(o, "### {n}. {}\n", escape_inline(&th.subject));
    let period = period(&th.first_date, &th.last_date, tz);
    let people: Vec<String> = th
        .participants
        .iter()
        .map(|p| {
            let name = if p.name.is_empty() { &p.email } else { &p.name };
            format!("{} ({})", escape_inline(name), p.messages + p.history)
        })
        .collect();
    let _ = writeln!(
        o,
        "**{}**: {} {} / {} {} | **{}**: {} | **{}**: {} | {}\n",
        l.mails,
        l.window_mails,
        th.window_messages,
        l.history_mails,
        th.history_messages,
        l.participants,
        th.participants.len(),
        l.period,
        period,
        link("lore", &th.url)
    );
    let _ = writeln!(o, "{}\n", people.join(", "));
    for line in status_lines(l, th, on_page) {
        let _ = writeln!(o, "- {line}");
    }
    o.push('\n');
    if s.model_text.is_some() {
        let _ = writeln!(o, "#### {} ({})\n", l.summary, l.summary_rejected);
        let problems = s
            .grounding
            .as_ref()
            .map(|g| problem_list(l, &g.problems, 4))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "{WARN} {}\n",
            escape_inline(&l.rejected_notice.replace("{problems}", &problems))
        );
    } else {
        let _ = writeln!(o, "{}\n", summary_heading(l, s));
    }
    let body = summary_body(l, n, th, s);
    if body.trim().is_empty() {
        let _ = writeln!(o, "{}\n", l.summary_unavailable);
    } else {
        let _ = writeln!(o, "{body}");
    }
    let _ = writeln!(o, "#### {}\n", l.messages);
    let cited: std::collections::BTreeSet<usize> = s
        .shown
        .iter()
        .flat_map(|c| c.citations.iter().flat_map(|ct| ct.numbers.iter().copied()))
        .collect();
    super::maillist::render(o, l, lang, tz, n, th, &cited);
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
fn render_highlights(report: &Report, l: &Labels, lang: &str) -> String {
    let (items, d) = (&report.highlights, &report.digest);
    if items.is_empty() {
        return String::new();
    }
    let mut o = format!("## {}\n\n", super::highlights::heading(lang));
    let synthesis = report.synthesis.as_ref();
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
                                if (1..=d.threads.len()).contains(&n) {
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
            .filter_map(|id| d.threads.iter().position(|t| &t.id == id))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_version_is_named_by_its_tags_when_its_title_is_the_threads() {
        let t = "[PATCH v6 00/64] KVM: arm64: NV support";
        assert_eq!(
            other_version("[PATCH v5 00/69] KVM: arm64: NV support", t),
            "[PATCH v5 00/69]"
        );
        assert_eq!(
            other_version("[PATCH v5 00/69] KVM: arm64: NV basics", t),
            "[PATCH v5 00/69] KVM: arm64: NV basics"
        );
        assert_eq!(
            other_version("KVM: arm64: NV support", t),
            "KVM: arm64: NV support"
        );
    }

    #[test]
    fn patch_numbers_of_one_series_are_runs_of_its_total() {
        let p = |v: u32, n: u32, m: u32| (v, n, format!("{n}/{m}"));
        let en = labels("en");
        let list = [1, 7, 12, 13, 14, 15, 17, 18].map(|n| p(6, n, 64));
        assert_eq!(patch_numbers(en, &list), "1, 7, 12–15, 17, 18 of 64");
        assert_eq!(patch_numbers(en, &[p(2, 3, 3)]), "3/3");
        assert_eq!(patch_numbers(en, &[p(2, 0, 3), p(2, 1, 3)]), "0, 1 of 3");
        // Two series (another total, another version): each number whole.
        assert_eq!(patch_numbers(en, &[p(2, 1, 3), p(2, 2, 4)]), "1/3, 2/4");
        assert_eq!(patch_numbers(en, &[p(2, 1, 3), p(3, 2, 3)]), "1/3, 2/3");
        let zh = labels("zh");
        assert_eq!(patch_numbers(zh, &list), "1, 7, 12–15, 17, 18，共 64");
    }

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
    fn a_highlight_cannot_open_a_block() {
        for t in ["---", "- - -", "===", "+ x", "1. x", "2) y"] {
            let md = format!("- {}\n", not_a_block(&escape_inline(t)));
            let html = crate::report::html::markdown_to_html(&md);
            assert!(!html.contains("<hr"), "{t}: {html}");
            assert_eq!(html.matches("<li>").count(), 1, "{t}: {html}");
            assert!(!html.contains("<ol"), "{t}: {html}");
        }
    }

    #[test]
    fn long_text_is_cut() {
        let long = "x".repeat(10_000);
        assert!(escape_inline(&long).chars().count() <= super::super::markup::MAX_INLINE_CHARS + 1);
        assert!(escape_block(&long).chars().count() <= MAX_SUMMARY_CHARS + 2);
    }
}
