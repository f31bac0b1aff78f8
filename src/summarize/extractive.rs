//! Summaries without a model: the status facts, the abstract of the cover
//! letter (the first own paragraphs of the root mail) and who said what in
//! the window (each participant's first substantive own sentence), in
//! Chinese or English. Everything quoted comes from the mails verbatim.

use std::sync::LazyLock;

use regex::Regex;

use super::condense::{condense, paragraphs};
use super::prompt::{norm_lang, root_index};
use crate::analysis::MailFacts;
use crate::digest::{Digest, GivenTrailer, MessageView, ThreadView};

/// Longest abstract, in characters.
const ABSTRACT_CHARS: usize = 400;
/// Longest quoted sentence, in characters.
const SENTENCE_CHARS: usize = 200;
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

fn cut_at_word(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max).collect();
    if let Some(p) = cut.rfind(' ')
        && p > max / 2
    {
        cut.truncate(p);
    }
    let cut = cut.trim_end_matches([',', ';', ':', ' ']).to_string();
    format!("{cut}…")
}

/// Openings ("Hi Marc,"), closings ("Thanks,", "Cheers") and pings: not
/// what a mail says. "Thanks, applied." is not a closing.
fn is_greeting(p: &str) -> bool {
    let t = p.trim();
    if t.chars().count() >= 50 {
        return false;
    }
    let lower = t.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let first = words
        .first()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .unwrap_or("");
    let two = words.get(..2).map(|w| w.join(" ")).unwrap_or_default();
    let two = two.trim_end_matches(|c: char| !c.is_alphanumeric());
    let opener = [
        "hi",
        "hello",
        "hey",
        "dear",
        "hallo",
        "greetings",
        "morning",
    ];
    let closer = ["thanks", "thx", "cheers", "regards", "br", "best", "ta"];
    let closer2 = [
        "kind regards",
        "best regards",
        "many thanks",
        "thank you",
        "thanks again",
    ];
    if opener.contains(&first) && words.len() <= 5 {
        return true;
    }
    if (closer.contains(&first) || closer2.contains(&two))
        && (t.ends_with(',') || words.len() <= 2 && !t.ends_with('.'))
    {
        return true;
    }
    if (first == "ping" || two == "gentle ping" || two == "friendly ping") && words.len() <= 4 {
        return true;
    }
    t.starts_with('+') && words.len() <= 3
}

/// A line that only greets: "Christoph,", "Hi Marc, Oliver,", "Sean and
/// Paolo,", "Hi all!": after an opener ("Hi", "Hello", "Dear"), a few
/// words; without one, a few capitalized names ending with a comma (a
/// wrapped line "This breaks the build," is not one).
fn is_salutation(line: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^((?:hi|hello|hey|dear|hallo|greetings|morning|good\s+(?:morning|afternoon|evening))\b[\s,]*)?(\p{L}[\p{L}'’.\-]*(?:(?:\s*[,&/]\s*|\s+(?:and\s+)?)\p{L}[\p{L}'’.\-]*){0,3})?\s*([,!:])$",
        )
        .unwrap()
    });
    let t = line.trim();
    if t.chars().count() > 60 {
        return false;
    }
    let Some(c) = RE.captures(t) else {
        return false;
    };
    if c.get(1).is_some() {
        return true;
    }
    let Some(names) = c.get(2) else {
        return false;
    };
    &c[3] == ","
        && names
            .as_str()
            .split(|ch: char| ch.is_whitespace() || ch == ',' || ch == '&' || ch == '/')
            .filter(|w| !w.is_empty() && *w != "and")
            .all(|w| {
                w.chars().next().is_some_and(char::is_uppercase)
                    || ["all", "everyone", "folks", "guys", "team"].contains(&w)
            })
}

/// A line that is not the sender's own words: the attribution of a quote
/// ("On … wrote:", its wrapped first line "On Mon, Mar 7, 2022 at 10:00,
/// X", "Excerpts from X's message of …:", "Quoting X (…):", mutt's "* X
/// <x@y> [220307 10:00]:"), a header copied into the body ("From: …",
/// "Date: …"), or the commit list of an applied notice ("[1/3] …",
/// "commit: 1234abcd").
fn is_not_own_words(line: &str) -> bool {
    static ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)
              (?:\bwrote|\bwrites|\bsaid|\bschrieb|\ba\ écrit|\bescribió|\bha\ scritto|\bnapisał|写道|寫道)\s*[:：]\s*$
            | ^on\s.{0,200}\b(?:wrote|writes)\b
            | ^(?:am|le|el|il|op)\s.{0,200}\b(?:schrieb|a\ écrit|escribió|ha\ scritto|schreef)\b.*:\s*$
            | ^excerpts\ from\s.*\bmessage\ of\b
            | ^quoting\s.{0,150}(?:\(|:\s*$)
            | ^\*\s.{0,150}\[\d{6}\s+\d{1,2}:\d{2}\]:?\s*$
            | ^-{2,}\s*(?:original\ message|forwarded\ message)\s*-{2,}$
            | ^\[\d+/\d+\]\s
            | ^commit:\s*[0-9a-f]{7,}\b
            ",
        )
        .unwrap()
    });
    // "On Mon, Mar 07, 2022 at 10:00:00AM +0000, Marc Zyngier": a date
    // or time, no sentence end.
    static ATTRIBUTION_START: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^on\s.{0,150}(?:\d{1,2}:\d{2}|\b(?:19|20)\d{2}\b).*[^.?!]$").unwrap()
    });
    static HEADER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(?:From|Sent|Date|Subject|To|Cc|CC|Reply-To|Message-I[dD]|In-Reply-To|References)\s*:\s*\S",
        )
        .unwrap()
    });
    let t = line.trim();
    ATTRIBUTION.is_match(t)
        || (t.chars().count() < 200 && ATTRIBUTION_START.is_match(t))
        || HEADER.is_match(t)
}

/// Sentences of notices and bots' standard text: "Thank you for the
/// patch!", "This is a note to let you know …", "This series was applied
/// to …", and an applied notice that does not say where to ("Applied to",
/// "Thanks, applied."). "Applied to kvmarm/next, thanks!" is news.
fn is_boilerplate(sentence: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)^(?:
                thank\ you\ for\ (?:the|your)\ (?:patch|patches|series|pull\ request|report)\b
              | (?:perhaps|yet)\ something\ to\ improve\b
              | this\ is\ a\ note\ to\ let\ you\ know\b
              | the\ patch\ below\ does\ not\ apply\ to\b
              | the\ pull\ request\ you\ sent\b
              | (?:this|the)\ (?:patch|series|patchset|pull\ request)(?:\ \S+)?\ (?:was|were|has\ been|have\ been)\ (?:applied|merged|queued|pulled|added)\b
              | (?:applied|queued|merged|pushed)\s*(?:to|into|on|for)?\s*[.!:,]?\s*$
              | (?:greetings?|hello|hi)\s*[,!:.]?\s*$
              | syzbot\ (?:has\ )?(?:found|tested)\b
              | kernel\ test\ robot\ noticed\b
            )",
        )
        .unwrap()
    });
    let t = sentence.trim();
    RE.is_match(t)
        || crate::analysis::mail_facts(t)
            .applied
            .is_some_and(|a| a.target.is_none())
}

/// Sentences of a paragraph (split after `.`, `?`, `!` followed by a space,
/// and after `。！？`).
fn sentences(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = p.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        let end = match c {
            '。' | '！' | '？' => true,
            '.' | '?' | '!' => chars.get(i + 1).is_none_or(|n| n.is_whitespace()),
            _ => false,
        };
        if end {
            let s = cur.trim().to_string();
            // "e.g." and "i.e." and version numbers are not sentence ends.
            let lower = s.to_ascii_lowercase();
            if !(lower.ends_with("e.g.") || lower.ends_with("i.e.") || lower.ends_with("etc.")) {
                if !s.is_empty() {
                    out.push(s);
                }
                cur.clear();
            }
        }
    }
    let s = cur.trim().to_string();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

/// The own paragraphs of a mail worth quoting (no greetings, no
/// salutations, attributions or copied headers, no sign-offs, no
/// bracketed notes).
fn own_paragraphs(m: &MessageView) -> Vec<String> {
    own_paragraphs_of(&m.body, &m.facts)
}

fn own_paragraphs_of(body: &str, facts: &MailFacts) -> Vec<String> {
    let c = condense(body, facts);
    let lines: Vec<&str> = c.text.lines().collect();
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let para_start = i == 0 || lines[i - 1].trim().is_empty();
        let not_own = is_not_own_words(line)
            || (para_start && is_salutation(line))
            // The first line of an attribution wrapped over two lines.
            || lines
                .get(i + 1)
                .is_some_and(|n| n.trim_start().starts_with('<') && is_not_own_words(n));
        // A dropped line still ends the paragraph before it.
        kept.push(if not_own { "" } else { line });
    }
    paragraphs(&kept.join("\n"))
        .into_iter()
        .filter(|p| !is_greeting(p))
        .filter(|p| p.chars().filter(|c| c.is_alphabetic()).count() >= 3)
        .collect()
}

/// "Marc, this breaks …", "Hi, just to confirm …" → "this breaks …",
/// "just to confirm …": a leading greeting or vocative naming a participant
/// (or everyone), not "Peter, and/or Paolo, can you …".
fn strip_vocative(s: &str, names: &[String]) -> String {
    let t = s.trim();
    let Some((head, rest)) = t.split_once(',') else {
        return t.to_string();
    };
    let rest = rest.trim();
    let first_rest = rest.split_whitespace().next().unwrap_or("").to_lowercase();
    if rest.is_empty() || ["and", "or", "and/or", "&", "but"].contains(&first_rest.as_str()) {
        return t.to_string();
    }
    let words: Vec<String> = head.split_whitespace().map(|w| w.to_lowercase()).collect();
    let opener = |w: &String| ["hi", "hello", "hey", "dear"].contains(&w.as_str());
    let known = |w: &String| {
        opener(w)
            || ["and", "&", "all", "everyone", "folks", "guys", "team"].contains(&w.as_str())
            || names.contains(w)
    };
    if words.is_empty() || words.len() > 4 || !words.iter().all(known) {
        return t.to_string();
    }
    // "Hi, Just to confirm" → "Just to confirm".
    rest.to_string()
}

/// First substantive sentence of a mail: at least 20 characters (short
/// sentences are joined with the next one), at most [`SENTENCE_CHARS`];
/// no salutation, attribution or bot boilerplate. `names`: words of the
/// participants' names, lower-cased.
fn first_sentence(m: &MessageView, names: &[String]) -> Option<String> {
    first_sentences(&m.body, &m.facts, names, 1).pop()
}

/// The first substantive sentence (see [`first_sentence`]) of each of the
/// first `max` own paragraphs of a mail that have one.
fn first_sentences(body: &str, facts: &MailFacts, names: &[String], max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in own_paragraphs_of(body, facts) {
        if out.len() >= max {
            break;
        }
        let mut s = String::new();
        let mut notice = false;
        for sent in sentences(&para) {
            let sent = strip_vocative(&sent, names);
            if sent.is_empty() || is_greeting(&sent) {
                continue;
            }
            if is_boilerplate(&sent) {
                notice = true;
                continue;
            }
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&sent);
            if s.chars().count() >= 20 {
                break;
            }
        }
        if s.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
            out.push(cut_at_word(&s, SENTENCE_CHARS));
            continue;
        }
        // A paragraph of notice text only: what follows in an applied
        // notice is its detail (the patch title, the tree), not news.
        if notice && facts.applied.is_some() {
            break;
        }
    }
    out
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

/// A paragraph where the description of a series ends: its changelog,
/// base, links or test notes.
fn ends_abstract(p: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^(?:changes|changelog|change log|change since|since v\d|v\d+\s*(?:->|:|changes|-)|previous (?:version|posting)s?|links?\s*:|base(?:d on|-commit)|this (?:series|patch(?:set)?) (?:is|applies) (?:based|on top)|the following changes since|tested (?:on|with)|testing:|notes?:)",
        )
        .unwrap()
    });
    RE.is_match(p.trim())
}

/// The first own paragraphs of the root mail, up to [`ABSTRACT_CHARS`],
/// stopping at the changelog.
fn abstract_of(m: &MessageView) -> Option<String> {
    let mut out = String::new();
    for p in own_paragraphs(m) {
        if out.chars().count() >= ABSTRACT_CHARS / 2 || ends_abstract(&p) {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&p);
    }
    if out.is_empty() {
        return None;
    }
    if out.chars().count() <= ABSTRACT_CHARS {
        return Some(out);
    }
    // Cut at the last sentence end that fits, else at a word.
    let mut acc = String::new();
    for s in sentences(&out) {
        if acc.chars().count() + s.chars().count() + 1 > ABSTRACT_CHARS {
            break;
        }
        if !acc.is_empty() {
            acc.push(' ');
        }
        acc.push_str(&s);
    }
    Some(if acc.is_empty() {
        cut_at_word(&out, ABSTRACT_CHARS)
    } else {
        acc
    })
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

fn status(thread: &ThreadView, w: &Words, lang: &str) -> String {
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

/// The extractive summary of a thread in `lang` ("zh…" gives Chinese,
/// anything else English). Never empty: the status line is always there.
pub fn extractive(thread: &ThreadView, lang: &str) -> String {
    let lang = norm_lang(lang);
    let w = Words { zh: lang == "zh" };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split() {
        assert_eq!(
            sentences("This is wrong. Use e.g. the other helper! Why? 好的。然后"),
            vec![
                "This is wrong.",
                "Use e.g. the other helper!",
                "Why?",
                "好的。",
                "然后"
            ]
        );
        assert_eq!(
            sentences("Version 5.10 is fine"),
            vec!["Version 5.10 is fine"]
        );
    }

    #[test]
    fn abstract_ends() {
        assert!(ends_abstract("Changes since v1: - dropped x"));
        assert!(ends_abstract("v2 -> v3: rebased"));
        assert!(ends_abstract("Based on kvmarm/next."));
        assert!(!ends_abstract("This series changes the way widgets work."));
    }

    #[test]
    fn salutations_are_not_said() {
        for s in [
            "Christoph,",
            "Hi Marc, Oliver,",
            "Sean and Paolo,",
            "Hi all!",
            "Hello everyone,",
            "Dear Will & Catalin,",
        ] {
            assert!(is_salutation(s), "{s}");
        }
        for s in [
            "This breaks the build,",
            "Christoph, this breaks the build.",
            "Looks good to me.",
            "See below:",
            "Looking at the code,",
        ] {
            assert!(!is_salutation(s), "{s}");
        }
        assert!(!is_salutation("Christoph, this breaks the build."));
        let names = vec!["christoph".to_string(), "hellwig".to_string()];
        assert_eq!(
            strip_vocative("Christoph, this breaks the build.", &names),
            "this breaks the build."
        );
        assert_eq!(
            strip_vocative("However, this breaks the build.", &names),
            "However, this breaks the build."
        );
        assert_eq!(
            strip_vocative("Hi, just to confirm, it works.", &names),
            "just to confirm, it works."
        );
        assert_eq!(
            strip_vocative("Christoph, and/or Paolo, can you confirm?", &names),
            "Christoph, and/or Paolo, can you confirm?"
        );
    }

    #[test]
    fn attributions_and_copied_headers_are_not_own_words() {
        for l in [
            "On Mon, 7 Mar 2022 10:00:00 +0000, Marc Zyngier <maz@kernel.org> wrote:",
            "On Mon, Mar 07, 2022 at 10:00:00AM +0000, Marc Zyngier",
            "Excerpts from Nicholas Piggin's message of March 7, 2022 10:00 am:",
            "Quoting Marc Zyngier (2022-03-07 10:00:00)",
            "* Marc Zyngier <maz@kernel.org> [220307 10:00]:",
            "Marc Zyngier <maz@kernel.org> 于2022年3月7日周一 写道：",
            "Le lun. 7 mars 2022, Marc a écrit :",
            "Am 03.11.22 um 00:18 schrieb Sean Christopherson:",
            "From: Ann Author <ann@example.org>",
            "Date: Mon, 7 Mar 2022 10:00:00 +0000",
            "-----Original Message-----",
            "[1/3] KVM: arm64: Widgets",
            "commit: 0123456789ab",
        ] {
            assert!(is_not_own_words(l), "{l}");
        }
        for l in [
            "On arm64 this breaks the build.",
            "On 5.17 the widget leaks.",
            "The code I wrote is wrong.",
            "from: the header is fine",
        ] {
            assert!(!is_not_own_words(l), "{l}");
        }
    }

    #[test]
    fn bot_and_notice_text_is_boilerplate() {
        for s in [
            "Thank you for the patch!",
            "Perhaps something to improve:",
            "This is a note to let you know that I've just added the patch titled",
            "Applied to",
            "Applied to:",
            "Thanks, queued.",
            "This series was applied to netdev/net-next.git (master)",
            "Hello:",
        ] {
            assert!(is_boilerplate(s), "{s}");
        }
        for s in [
            "Thank you for the review, I will respin.",
            "Applied to kvmarm/next, thanks!",
            "Applying this breaks the build on arm64.",
            "This leaks the widget on the error path.",
        ] {
            assert!(!is_boilerplate(s), "{s}");
        }
    }

    #[test]
    fn greetings() {
        assert!(is_greeting("Hi Marc,"));
        assert!(is_greeting("Thanks,"));
        assert!(is_greeting("Hello all"));
        assert!(is_greeting("Thanks!"));
        assert!(is_greeting("Kind regards,"));
        assert!(!is_greeting("Thanks, applied."));
        assert!(!is_greeting("Thanks for the review, I will fix it."));
        assert!(!is_greeting("This breaks the build on arm64."));
        assert!(!is_greeting(
            "Hi, this breaks the build on arm64 when CONFIG_KVM is off and nothing else is set."
        ));
    }
}
