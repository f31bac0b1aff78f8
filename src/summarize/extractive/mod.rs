//! Summaries without a model: the status facts, the abstract of the cover
//! letter (the first own paragraphs of the root mail) and who said what in
//! the window (each participant's first substantive own sentence), in
//! Chinese or English. Everything quoted comes from the mails verbatim
//! ([`own_words`]: what a mail says in its own words).

mod own_words;

use super::prompt::root_index;
use crate::digest::{Digest, GivenTrailer, MessageView, ThreadView};
use crate::lang::Lang;
use own_words::{abstract_of, first_sentence, first_sentences};

/// Most participants listed for the window.
const MAX_SPEAKERS: usize = 8;

struct Words {
    zh: bool,
}

impl Words {
    fn q(&self, s: &str) -> String {
        // Quoted mail text never reads as a citation.
        let s = s.replace("[#", "(#").replace("［#", "（#");
        if self.zh {
            format!("“{s}”")
        } else {
            format!("\"{s}\"")
        }
    }
    fn sep(&self) -> &'static str {
        if self.zh { "；" } else { "; " }
    }
    fn list_sep(&self) -> &'static str {
        if self.zh { "、" } else { ", " }
    }
    fn colon(&self) -> &'static str {
        if self.zh { "：" } else { ": " }
    }
}

/// Fill in the `lines` of the listed replies to each thread's previous
/// version: the first substantive sentences of their first two own
/// paragraphs, as "who said what" quotes them.
pub fn fill_previous_review(digest: &mut Digest) {
    for t in &mut digest.threads {
        let mut names = name_words(t);
        for r in &t.series.across.previous_review {
            for w in r.from.split_whitespace() {
                let w = w
                    .trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase();
                if w.chars().count() >= 2 && !names.contains(&w) {
                    names.push(w);
                }
            }
        }
        for r in &mut t.series.across.previous_review {
            r.lines = first_sentences(&r.body, &r.facts, &names, 2);
        }
    }
}

/// The people of a trailer list, once each; "(carried)" after those whose
/// trailers were all carried in the patches from an earlier version.
fn names(list: &[GivenTrailer], w: &Words) -> String {
    let mut seen: Vec<(String, bool)> = Vec::new();
    for t in list {
        let n = if t.name.trim().is_empty() {
            t.email.clone()
        } else {
            t.name.clone()
        };
        match seen.iter_mut().find(|(s, _)| *s == n) {
            Some(p) => p.1 &= t.carried,
            None => seen.push((n, t.carried)),
        }
    }
    let carried = if w.zh { "（沿用）" } else { " (carried)" };
    seen.into_iter()
        .map(|(n, c)| if c { format!("{n}{carried}") } else { n })
        .collect::<Vec<_>>()
        .join(w.list_sep())
}

/// Most mails one extractive statement cites.
const MAX_CITES: usize = 8;

/// " [#1, #6]": the citation of mails (1-based numbers), sorted, at most
/// [`MAX_CITES`]; empty for none.
fn cite(numbers: &[usize]) -> String {
    let mut v: Vec<usize> = numbers.iter().copied().filter(|&n| n > 0).collect();
    v.sort_unstable();
    v.dedup();
    v.truncate(MAX_CITES);
    if v.is_empty() {
        return String::new();
    }
    let list: Vec<String> = v.iter().map(|n| format!("#{n}")).collect();
    format!(" [{}]", list.join(", "))
}

/// The number of a mail (1-based, as the report lists them), by
/// Message-ID.
fn number(thread: &ThreadView, mid: &str) -> Option<usize> {
    thread
        .messages
        .iter()
        .position(|m| m.message_id == mid)
        .map(|i| i + 1)
}

fn status(thread: &ThreadView, w: &Words, lang: Lang) -> String {
    let mut parts: Vec<String> = Vec::new();
    // The status rests on the first mail and on the mails that gave
    // trailers, applied the series or NAKed it.
    let mut cited: Vec<usize> = Vec::new();
    if !thread.messages.is_empty() {
        cited.push(root_index(thread) + 1);
    }
    let s = &thread.series.facts;
    let kind = thread.kind.label(lang);
    if s.patch_mails > 0 {
        let total = s.total.unwrap_or(s.arrived.len() as u32);
        let all_arrived = s.missing.is_empty();
        parts.push(if w.zh {
            let mut p = format!("{kind} v{}，共 {total} 个补丁", s.version);
            if s.cover_letter {
                p.push_str(" + 封面信");
            }
            p.push_str(if all_arrived {
                "（已全部收到）"
            } else {
                "（部分缺失）"
            });
            p
        } else {
            let mut p = format!(
                "{kind} v{}, {total} patch{}",
                s.version,
                if total == 1 { "" } else { "es" }
            );
            if s.cover_letter {
                p.push_str(" + cover letter");
            }
            p.push_str(if all_arrived {
                " (all arrived)"
            } else {
                " (some missing)"
            });
            p
        });
        if !all_arrived {
            let missing: Vec<String> = s.missing.iter().map(u32::to_string).collect();
            parts.push(if w.zh {
                format!("缺少第 {} 个", missing.join("、"))
            } else {
                format!("missing {}", missing.join(", "))
            });
        }
    } else {
        parts.push(kind.to_string());
    }
    let r = &thread.review;
    for (label, list) in [
        ("Reviewed-by", &r.reviewed_by),
        ("Acked-by", &r.acked_by),
        ("Tested-by", &r.tested_by),
    ] {
        if !list.is_empty() {
            parts.push(format!("{label}{}{}", w.colon(), names(list, w)));
            // Each person's first mail giving it: one citation per name.
            let mut by: Vec<&str> = Vec::new();
            for t in list {
                let n = if t.name.trim().is_empty() {
                    &t.email
                } else {
                    &t.name
                };
                if !by.contains(&n.as_str()) {
                    by.push(n);
                    cited.extend(number(thread, &t.message_id));
                }
            }
        }
    }
    cited.extend(
        r.applied
            .iter()
            .chain(&r.naks)
            .filter_map(|a| number(thread, &a.message_id)),
    );
    // Notices first: they matter more than the third reviewer.
    let root = cited.first().copied();
    let mut notices: Vec<usize> = r
        .applied
        .iter()
        .chain(&r.naks)
        .filter_map(|a| number(thread, &a.message_id))
        .collect();
    notices.extend(root);
    notices.extend(cited.iter().copied());
    let mut seen = std::collections::HashSet::new();
    notices.retain(|n| seen.insert(*n));
    notices.truncate(MAX_CITES);
    let cited = notices;
    for a in &r.applied {
        let target = a.target.as_deref().unwrap_or("");
        parts.push(match (w.zh, target.is_empty()) {
            (true, true) => format!("{} 表示已合入", a.by),
            (true, false) => format!("{} 表示已合入 {target}", a.by),
            (false, true) => format!("applied by {}", a.by),
            (false, false) => format!("applied to {target} by {}", a.by),
        });
    }
    for n in &r.naks {
        parts.push(if w.zh {
            format!("{} 表示反对（NAK）", n.by)
        } else {
            format!("NAK from {}", n.by)
        });
    }
    if let Some(n) = &thread.series.superseded_by {
        parts.push(if w.zh {
            format!("已被 v{} 取代", n.version)
        } else {
            format!("superseded by v{}", n.version)
        });
    }
    parts.push(if w.zh {
        format!(
            "本周期 {} 封邮件，此前 {} 封",
            thread.window_messages, thread.history_messages
        )
    } else {
        format!(
            "{} mail{} in this window, {} earlier",
            thread.window_messages,
            if thread.window_messages == 1 { "" } else { "s" },
            thread.history_messages
        )
    });
    // Identical notices (one "applied" per patch of a series) once.
    let mut seen: Vec<String> = Vec::new();
    parts.retain(|p| {
        let new = !seen.contains(p);
        seen.push(p.clone());
        new
    });
    let label = if w.zh { "状态" } else { "Status" };
    let end = if w.zh { "。" } else { "." };
    format!(
        "{label}{}{}{}{end}",
        w.colon(),
        parts.join(w.sep()),
        cite(&cited)
    )
}

/// The person who sent a mail, by the name shown for them (one person,
/// one name: see [`crate::analysis::people`]).
fn who(m: &MessageView) -> String {
    let n = m.sender.name.trim();
    // A name that is all markup would vanish when the summary is cleaned
    // ("<script>…</script> <x@y>"): name the address instead.
    if super::sanitize::clean_text(n).trim().is_empty() {
        if m.sender.email.trim().is_empty() {
            m.from_addr.trim().to_string()
        } else {
            m.sender.email.trim().to_string()
        }
    } else {
        n.to_string()
    }
}

/// Lower-cased words of the participants' names (for salutations).
fn name_words(thread: &ThreadView) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in &thread.participants {
        for w in p.name.split_whitespace() {
            let w = w
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            if w.chars().count() >= 2 && !out.contains(&w) {
                out.push(w);
            }
        }
    }
    out
}

/// What one window mail contributes, for the "who said what" list.
fn said(m: &MessageView, w: &Words, names: &[String]) -> String {
    if m.bot.is_some() {
        return if w.zh {
            format!("（自动邮件）{}", w.q(&m.subject))
        } else {
            format!("(automated) {}", w.q(&m.subject))
        };
    }
    if m.subject_info.is_patch_mail() {
        return if w.zh {
            format!("发送了 {}", w.q(&m.subject))
        } else {
            format!("posted {}", w.q(&m.subject))
        };
    }
    if let Some(s) = first_sentence(m, names) {
        return w.q(&s);
    }
    if let Some(a) = &m.facts.applied {
        return match (w.zh, a.target.as_deref()) {
            (true, Some(t)) => format!("（合入 {t}）"),
            (true, None) => "（合入）".to_string(),
            (false, Some(t)) => format!("(applied to {t})"),
            (false, None) => "(applied)".to_string(),
        };
    }
    let trailers: Vec<&str> = m.facts.trailers.iter().map(|t| t.kind.as_str()).collect();
    if !trailers.is_empty() {
        let mut t = trailers.clone();
        t.dedup();
        return t.join(", ");
    }
    match (w.zh, m.facts.quoted_lines > 0) {
        (true, true) => "（仅引用，无自己的文字）".to_string(),
        (true, false) => "（无正文）".to_string(),
        (false, true) => "(quoted text only)".to_string(),
        (false, false) => "(no text)".to_string(),
    }
}

/// The extractive summary of a thread in `lang`. Never empty: the status line is always there.
pub fn extractive(thread: &ThreadView, lang: Lang) -> String {
    let w = Words {
        zh: lang == Lang::Zh,
    };
    let mut out = vec![status(thread, &w, lang)];

    if !thread.messages.is_empty() {
        let root = &thread.messages[root_index(thread)];
        if let Some(a) = abstract_of(root) {
            let label = if w.zh {
                "摘要（原文）"
            } else {
                "Abstract"
            };
            out.push(format!(
                "{label}{}{}{}",
                w.colon(),
                w.q(&a),
                cite(&[root_index(thread) + 1])
            ));
        }
    }

    if thread.history_messages > 0 {
        let mut keys: Vec<&str> = Vec::new();
        let mut people: Vec<String> = Vec::new();
        // The first history mail of each person named.
        let mut firsts: Vec<usize> = Vec::new();
        for (i, m) in thread.messages.iter().enumerate() {
            if m.in_window {
                continue;
            }
            if !keys.contains(&m.sender.key.as_str()) {
                keys.push(m.sender.key.as_str());
                people.push(who(m));
                if firsts.len() < MAX_SPEAKERS {
                    firsts.push(i + 1);
                }
            }
        }
        let c = cite(&firsts);
        let shown: Vec<String> = people.iter().take(MAX_SPEAKERS).cloned().collect();
        let more = people.len().saturating_sub(MAX_SPEAKERS);
        let mut list = shown.join(w.list_sep());
        if more > 0 {
            list.push_str(&if w.zh {
                format!(" 等 {} 人", people.len())
            } else {
                format!(" and {more} more")
            });
        }
        out.push(if w.zh {
            format!(
                "此前讨论：窗口之前有 {} 封邮件（{list}）{c}。",
                thread.history_messages
            )
        } else {
            format!(
                "Earlier discussion: {} mail{} before this window ({list}){c}.",
                thread.history_messages,
                if thread.history_messages == 1 {
                    ""
                } else {
                    "s"
                }
            )
        });
    }

    // One line per person (their first window mail), in time order.
    let names = name_words(thread);
    let mut speakers: Vec<(&str, String, String)> = Vec::new();
    let mut extra = 0;
    let mut extra_keys: Vec<&str> = Vec::new();
    let mut extra_mails: Vec<usize> = Vec::new();
    // Numbers are the report's (the thread's mail list); the order of
    // speaking is time order.
    let mut order: Vec<(usize, &MessageView)> = thread
        .messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m.in_window)
        .collect();
    order.sort_by_key(|(_, m)| (m.ds, m.ts));
    for (i, m) in order {
        if speakers.iter().any(|(k, _, _)| *k == m.sender.key) {
            continue;
        }
        if speakers.len() >= MAX_SPEAKERS {
            if !extra_keys.contains(&m.sender.key.as_str()) {
                extra_keys.push(m.sender.key.as_str());
                extra += 1;
                extra_mails.push(i + 1);
            }
            continue;
        }
        speakers.push((
            m.sender.key.as_str(),
            who(m),
            format!("{}{}", said(m, &w, &names), cite(&[i + 1])),
        ));
    }
    if !speakers.is_empty() {
        out.push(if w.zh {
            "本周期：".to_string()
        } else {
            "In this window:".to_string()
        });
        let mut lines: Vec<String> = speakers
            .into_iter()
            .map(|(_, n, s)| format!("- {n}{}{s}", w.colon()))
            .collect();
        if extra > 0 {
            lines.push(if w.zh {
                format!("- 另有 {extra} 位参与者{}", cite(&extra_mails))
            } else {
                format!(
                    "- and {extra} more participant{}{}",
                    if extra == 1 { "" } else { "s" },
                    cite(&extra_mails)
                )
            });
        }
        let block = lines.join("\n");
        if let Some(last) = out.last_mut() {
            last.push('\n');
            last.push_str(&block);
        }
    }
    super::sanitize::clean_text(&out.join("\n\n"))
}
