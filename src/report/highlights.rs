//! Highlights at the top of a report ("本周要点" / "Highlights"): at most
//! seven items built from facts of the digest alone (so they work with
//! `--no-llm`), each naming the threads it rests on:
//!
//! 1. series applied or queued (an applied notice in the window),
//! 2. objections and NAKs in the window,
//! 3. new versions of long-running series (v3 or later, or a series whose
//!    earlier version is in the archive) posted in the window,
//! 4. a new contributor's first series (the author's address has no mail
//!    before the window: `newcomers`),
//! 5. the busiest discussions (most replies in the window, two people or
//!    more): the busiest always, more to reach three items.

use std::collections::HashSet;

use serde::Serialize;

use crate::digest::{Digest, ThreadView};
use crate::lang::Lang;

/// One highlight.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Highlight {
    /// Plain text in the report's language (Markdown escapes it).
    pub text: String,
    /// Ids of the threads it is about (`threads[].id` of the report).
    pub threads: Vec<String>,
}

/// The model's highlights, a synthesis of the thread summaries
/// ([`crate::summarize::synthesis`]), as the JSON records them
/// (`highlights_synthesis`): shown instead of the highlights from facts
/// when the grounding check passes it.
#[derive(Debug, Clone, Serialize)]
pub struct Synthesis {
    /// `model` (asked in this run), `cache` (the summary store or
    /// `--summaries-from`) or `unavailable` (no usable answer).
    pub source: crate::summarize::SummarySource,
    /// The model's answer as it came (what `--summaries-from` replays).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Why there is no answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::summarize::Failure>,
    /// The check of the answer (items as statements); absent with
    /// `--grounding off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grounding: Option<crate::grounding::Grounding>,
    pub cache_key: String,
    /// Why the highlights shown are the ones from facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// The items shown, when the synthesis passed.
    #[serde(skip)]
    pub items: Option<Vec<Highlight>>,
}

impl Synthesis {
    /// Problems of item `i` (for marks after a flagged item).
    pub fn problems_of(&self, i: usize) -> Vec<crate::grounding::Problem> {
        self.grounding
            .iter()
            .flat_map(|g| &g.problems)
            .filter(|p| p.statement == Some(i))
            .cloned()
            .collect()
    }
}

/// `model` when the synthesis is shown, else `facts`.
pub fn source(s: Option<&Synthesis>) -> &'static str {
    if s.is_some_and(|s| s.items.is_some()) {
        "model"
    } else {
        "facts"
    }
}

/// Most items shown.
pub const MAX: usize = 7;
/// Busiest discussions are added until there are this many items.
const MIN: usize = 3;

/// Series authors (lower-cased addresses) whose first patch mail of the
/// thread is in the window: the addresses to ask the archive about.
pub fn series_authors(d: &Digest) -> Vec<String> {
    let mut out: Vec<String> = d.threads.iter().filter_map(first_series_author).collect();
    out.sort();
    out.dedup();
    out
}

/// The author of the thread's first patch mail, when that mail is in the
/// window.
fn first_series_author(t: &ThreadView) -> Option<String> {
    let m = t.messages.iter().find(|m| m.subject_info.is_patch_mail())?;
    (m.in_window && !m.from_addr.is_empty() && m.bot.is_none())
        .then(|| m.from_addr.to_ascii_lowercase())
}

/// A subject or line in quotes, cut at 120 characters.
fn quote(s: &str) -> String {
    let cut: String = s.chars().take(120).collect();
    if cut.len() < s.len() {
        format!("“{cut}…”")
    } else {
        format!("“{cut}”")
    }
}

fn add(out: &mut Vec<Highlight>, used: &mut HashSet<String>, t: &ThreadView, text: String) {
    used.insert(t.id.clone());
    out.push(Highlight {
        text,
        threads: vec![t.id.clone()],
    });
}

/// The highlights of a digest. `newcomers`: of [`series_authors`], the
/// addresses with no mail in the archive before the window.
pub fn build(d: &Digest, newcomers: &HashSet<String>, lang: Lang) -> Vec<Highlight> {
    let zh = lang == Lang::Zh;
    let mut out: Vec<Highlight> = Vec::new();
    let mut used: HashSet<String> = HashSet::new();

    // Applied or queued.
    let mut n = 0;
    for t in &d.threads {
        let Some(a) = t.review.applied.iter().find(|a| a.in_window) else {
            continue;
        };
        if n == 3 {
            break;
        }
        n += 1;
        let text = if zh {
            format!("已合入：{}（{}）", quote(&t.subject), a.by)
        } else {
            format!("Applied: {} (by {})", quote(&t.subject), a.by)
        };
        add(&mut out, &mut used, t, text);
    }
    // Objections and NAKs.
    let mut n = 0;
    for t in &d.threads {
        let Some(k) = t.review.naks.iter().find(|k| k.in_window) else {
            continue;
        };
        if n == 2 {
            break;
        }
        n += 1;
        let line: String = k.line.chars().take(100).collect();
        let text = if zh {
            format!(
                "反对意见：{} — {}：{}",
                quote(&t.subject),
                k.by,
                quote(&line)
            )
        } else {
            format!(
                "Objection: {} — {}: {}",
                quote(&t.subject),
                k.by,
                quote(&line)
            )
        };
        add(&mut out, &mut used, t, text);
    }
    // New versions of long-running series.
    let mut n = 0;
    for t in &d.threads {
        let f = &t.series.facts;
        let posted = t.messages.iter().any(|m| {
            m.in_window
                && m.subject_info.is_patch_mail()
                && m.subject_info.version.unwrap_or(1) == f.version
        });
        let long = f.version >= 3 || t.series.previous_version.is_some();
        if !posted || !long || f.version == 0 || used.contains(&t.id) || n == 2 {
            continue;
        }
        n += 1;
        let prev = t
            .series
            .previous_version
            .as_ref()
            .map(|p| p.version)
            .filter(|&p| p > 0);
        let text = match (zh, prev) {
            (true, Some(p)) => format!(
                "新版本 v{}（上一版 v{p}）：{}",
                f.version,
                quote(&t.subject)
            ),
            (true, None) => format!("新版本 v{}：{}", f.version, quote(&t.subject)),
            (false, Some(p)) => format!(
                "New version v{} (after v{p}): {}",
                f.version,
                quote(&t.subject)
            ),
            (false, None) => format!("New version v{}: {}", f.version, quote(&t.subject)),
        };
        add(&mut out, &mut used, t, text);
    }
    // A new contributor's first series.
    let mut n = 0;
    for t in &d.threads {
        let Some(author) = first_series_author(t) else {
            continue;
        };
        if !newcomers.contains(&author) || used.contains(&t.id) || n == 2 {
            continue;
        }
        n += 1;
        let name = t
            .messages
            .iter()
            .find(|m| m.subject_info.is_patch_mail())
            .map(|m| m.sender.name.clone())
            .unwrap_or(author);
        let text = if zh {
            format!("新贡献者 {name} 的第一个补丁系列：{}", quote(&t.subject))
        } else {
            format!(
                "First series from a new contributor, {name}: {}",
                quote(&t.subject)
            )
        };
        add(&mut out, &mut used, t, text);
    }
    out.truncate(MAX);
    // The busiest discussions (replies in the window, not patch mails:
    // a long series posted by one person is no discussion), to fill up.
    let replies = |t: &ThreadView| {
        t.messages
            .iter()
            .filter(|m| m.in_window && m.depth > 0 && !m.subject_info.is_patch_mail())
            .count()
    };
    let mut busy: Vec<(usize, &ThreadView)> = d
        .threads
        .iter()
        .filter(|t| t.participants.len() >= 2 && !used.contains(&t.id))
        .map(|t| (replies(t), t))
        .filter(|(r, _)| *r >= 2)
        .collect();
    busy.sort_by_key(|(r, _)| std::cmp::Reverse(*r));
    // The busiest one always (room permitting), more to reach MIN.
    for (k, (r, t)) in busy.into_iter().enumerate() {
        if out.len() >= MAX || (k >= 1 && out.len() >= MIN) {
            break;
        }
        let people = t.participants.len();
        let text = if zh {
            format!(
                "讨论最多：{}（{r} 封回复，{people} 人参与）",
                quote(&t.subject)
            )
        } else {
            format!(
                "Busiest discussion: {} ({r} replies this window, {people} people)",
                quote(&t.subject)
            )
        };
        add(&mut out, &mut used, t, text);
    }
    out
}
