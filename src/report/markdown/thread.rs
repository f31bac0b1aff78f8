//! One thread of the Markdown report: its heading, counts and people, the
//! status lines of its series and review, its summary (citations linked,
//! flagged statements marked) and its mails.

use std::fmt::Write;

use chrono_tz::Tz;

use super::across;
use super::text::{
    OnPage, WARN, escape_block, escape_block_with, fmt_time, page_link, problem_list,
};
use crate::analysis::Kind;
use crate::digest::{GivenTrailer, ThreadView};
use crate::grounding::Problem;
use crate::lang::{Labels, Lang};
use crate::report::ThreadSummary;
use crate::report::maillist;
use crate::report::markup::{applied_parts, escape_inline, link, mail_anchor};
use crate::summarize::SummarySource;

/// What every thread of the page is rendered with: the labels of the
/// report's language, its time zone and the numbers of its threads.
pub(super) struct Page<'a> {
    pub(super) labels: &'static Labels,
    pub(super) tz: Tz,
    pub(super) on_page: OnPage<'a>,
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
    if let Some(state) = t.series.state {
        let since = t.series.state_since.as_deref().unwrap_or_default();
        out.push(format!(
            "**{}**: {} ({} {})",
            l.series_state,
            state.as_str(),
            l.since,
            &since[..10.min(since.len())]
        ));
    }
    if let Some(a) = &t.series.applied {
        out.push(format!(
            "**{}**: v{} · {}",
            l.series_applied,
            a.version,
            applied_parts(&a.who, &a.target, &a.date)
        ));
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

/// First and last mail of a thread: both, even on one day; one time when
/// they are the same minute.
fn period(first: &str, last: &str, tz: Tz) -> String {
    let (a, b) = (fmt_time(first, tz), fmt_time(last, tz));
    if a == b { a } else { format!("{a} — {b}") }
}

/// The threads of the page, a section for each kind; `summaries[i]` is the
/// summary of `threads[i]`.
pub(super) fn by_kind(
    o: &mut String,
    page: &Page,
    lang: Lang,
    threads: &[ThreadView],
    summaries: &[ThreadSummary],
) {
    let l = page.labels;
    let mut n = 0;
    for kind in Kind::ALL {
        let of_kind: Vec<(usize, &ThreadView)> = threads
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == kind)
            .collect();
        if of_kind.is_empty() {
            continue;
        }
        let _ = writeln!(o, "---\n\n## {}\n", kind.label(lang));
        let _ = writeln!(o, "{}\n", l.n_threads.of(of_kind.len()));
        for (i, th) in of_kind {
            n += 1;
            debug_assert_eq!(n, i + 1);
            render(o, page, lang, (i + 1, th), &summaries[i]);
        }
    }
}

/// Thread `n` of the page: its heading, counts and people, status lines,
/// summary and mails.
fn render(
    o: &mut String,
    page: &Page,
    lang: Lang,
    (n, th): (usize, &ThreadView),
    s: &ThreadSummary,
) {
    let (l, tz) = (page.labels, page.tz);
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
    for line in status_lines(l, th, &page.on_page) {
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
    maillist::render(o, l, lang, tz, n, th, &cited);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

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
        let en = Lang::En.labels();
        let list = [1, 7, 12, 13, 14, 15, 17, 18].map(|n| p(6, n, 64));
        assert_eq!(patch_numbers(en, &list), "1, 7, 12–15, 17, 18 of 64");
        assert_eq!(patch_numbers(en, &[p(2, 3, 3)]), "3/3");
        assert_eq!(patch_numbers(en, &[p(2, 0, 3), p(2, 1, 3)]), "0, 1 of 3");
        // Two series (another total, another version): each number whole.
        assert_eq!(patch_numbers(en, &[p(2, 1, 3), p(2, 2, 4)]), "1/3, 2/4");
        assert_eq!(patch_numbers(en, &[p(2, 1, 3), p(3, 2, 3)]), "1/3, 2/3");
        let zh = Lang::Zh.labels();
        assert_eq!(patch_numbers(zh, &list), "1, 7, 12–15, 17, 18，共 64");
    }
}
