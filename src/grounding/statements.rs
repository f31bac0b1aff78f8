//! Statements of a summary: lines, list items and sentences, never split at
//! initials ("W.M."), abbreviations ("e.g.", "i.e.", "etc.") or version
//! numbers ("5.16.11"); Chinese sentences end at 。！？.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::*;
// ---------------------------------------------------------------------------
// Citations and statements
// ---------------------------------------------------------------------------

/// Every citation: `[#3]`, `[#3, #7]`, `[#3,#7]`, `[#3-#5]`, with
/// full-width brackets and commas tolerated.
pub fn parse_citations(text: &str) -> Vec<Citation> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"[\[［【]\s*[#＃]\s*\d{1,5}(?:\s*(?:[,，、;；]|[-–~])\s*[#＃]?\s*\d{1,5})*\s*[\]］】]",
        )
        .unwrap()
    });
    static NUM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"([-–~])?\s*[#＃]?\s*(\d{1,5})").unwrap());
    RE.find_iter(text)
        .map(|m| {
            let mut numbers: Vec<usize> = Vec::new();
            for c in NUM.captures_iter(m.as_str()) {
                let n: usize = c[2].parse().unwrap_or(0);
                match (c.get(1), numbers.last().copied()) {
                    (Some(_), Some(a)) if n > a && n - a <= 200 => numbers.extend(a + 1..=n),
                    _ => numbers.push(n),
                }
            }
            let mut seen = HashSet::new();
            numbers.retain(|n| seen.insert(*n));
            Citation {
                start: m.start(),
                end: m.end(),
                numbers,
            }
        })
        .collect()
}

/// Line offsets: (start, end) of each line, without the newline.
pub(super) fn lines_with_offsets(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '\n' {
            out.push((start, i));
            start = i + 1;
        }
    }
    out.push((start, text.len()));
    out
}

/// Length of a list marker at the start of `line` ("- ", "* ", "• ",
/// "1. ", "1) ").
pub(super) fn list_marker_len(line: &str) -> usize {
    for m in ["- ", "* ", "• ", "· "] {
        if line.starts_with(m) {
            return m.len();
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=3).contains(&digits)
        && (line[digits..].starts_with(". ") || line[digits..].starts_with(") "))
    {
        return digits + 2;
    }
    0
}

/// Length of a leading label ("Topic: ", "本周期进展：", "Bob Reviewer: "),
/// 0 when there is none.
pub fn label_len(line: &str) -> usize {
    let Some((pos, colon)) = line.char_indices().find(|&(_, c)| c == ':' || c == '：') else {
        return 0;
    };
    let head = &line[..pos];
    if head.trim().is_empty() || head.chars().count() > 40 {
        return 0;
    }
    // A label is a few words without digits, brackets or sentence ends.
    if head
        .chars()
        .any(|c| c.is_ascii_digit() || "[]［］#.。!?！？\"“”/_()<>".contains(c))
    {
        return 0;
    }
    if head.split_whitespace().count() > 5 {
        return 0;
    }
    let after = pos + colon.len_utf8();
    let ws = line[after..]
        .chars()
        .take_while(|c| c.is_whitespace())
        .map(char::len_utf8)
        .sum::<usize>();
    // "KVM: arm64: …" is a subject, not a label.
    if colon == ':' && ws == 0 && after < line.len() {
        return 0;
    }
    after + ws
}

pub(super) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x3040..=0x30FF | 0xAC00..=0xD7AF)
}

/// A name's initials before a period: "W", "W.M", "(J" — single capital
/// letters, separated by periods.
pub(super) fn is_initials(word: &str) -> bool {
    let w = word.trim_start_matches(|c: char| "([\"'“（".contains(c));
    !w.is_empty()
        && w.split('.').all(|p| {
            let mut cs = p.chars();
            cs.next().is_some_and(|c| c.is_uppercase()) && cs.next().is_none()
        })
}

/// Sentence ends of one line's text (byte offsets after the end mark).
pub(super) fn sentence_ends(s: &str) -> Vec<usize> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut ends = Vec::new();
    // Quotes nest: a straight quote after a space, an opening bracket or
    // the line start opens one, any other closes one. A quote left open
    // runs to the end of the line: quoted text is one statement.
    let mut depth = 0usize;
    for (k, &(i, c)) in chars.iter().enumerate() {
        match c {
            '"' => {
                let before = k.checked_sub(1).map(|j| chars[j].1);
                if before.is_none_or(|b| b.is_whitespace() || "([{（：:".contains(b)) {
                    depth += 1;
                } else {
                    depth = depth.saturating_sub(1);
                }
            }
            '“' | '「' | '『' => depth += 1,
            '”' | '」' | '』' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > 0 {
            continue;
        }
        let end = i + c.len_utf8();
        match c {
            '。' | '！' | '？' => ends.push(end),
            '.' | '?' | '!' => {
                let next = chars.get(k + 1).map(|x| x.1);
                match next {
                    None => ends.push(end),
                    Some(n) if n.is_whitespace() => {
                        let after = chars[k + 1..]
                            .iter()
                            .map(|x| x.1)
                            .find(|c| !c.is_whitespace());
                        let word: String = chars[..k]
                            .iter()
                            .rev()
                            .map(|x| x.1)
                            .take_while(|c| !c.is_whitespace())
                            .collect::<Vec<_>>()
                            .into_iter()
                            .rev()
                            .collect();
                        // The abbreviation is the Latin word before the
                        // period, whatever precedes it ("(e.g", "、Dr").
                        let lw = word
                            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
                            .next()
                            .unwrap_or_default()
                            .to_ascii_lowercase();
                        let abbrev = c == '.'
                            && (super::people::abbreviations().contains(lw.as_str())
                                || is_initials(&word));
                        let starts_new = after.is_none_or(|a| {
                            a.is_uppercase()
                                || a.is_ascii_digit()
                                || is_cjk(a)
                                || "[［【\"“'(（-*•".contains(a)
                        });
                        if !abbrev && starts_new {
                            ends.push(end);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    ends
}

/// Statements of a summary (see the module documentation).
pub fn statements(text: &str) -> Vec<Statement> {
    let cites = parse_citations(text);
    let mut out: Vec<Statement> = Vec::new();
    for (ls, le) in lines_with_offsets(text) {
        let line = &text[ls..le];
        let lead = line.len() - line.trim_start().len();
        let body = line.trim();
        if body.is_empty() {
            continue;
        }
        let mut start = ls + lead + list_marker_len(body);
        let label = label_len(&text[start..le]);
        let content_start = start + label;
        if text[content_start..le].trim().is_empty() {
            continue; // a label alone
        }
        let trimmed_end = ls + lead + body.len();
        if body.ends_with(':') || body.ends_with('：') {
            // Introduces a list.
            if !cites.iter().any(|c| c.start >= ls && c.end <= le) {
                continue;
            }
        }
        // Sentences, measured from the content (the label is part of the
        // first statement's text but not a sentence of its own).
        let mut bounds: Vec<(usize, usize)> = Vec::new();
        let mut s = start;
        for e in sentence_ends(&text[content_start..trimmed_end]) {
            let e = content_start + e;
            bounds.push((s, e));
            s = e;
        }
        if s < trimmed_end {
            bounds.push((s, trimmed_end));
        }
        // Leading citations belong to the sentence before them.
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (mut bs, be) in bounds {
            let ws = text[bs..be].len() - text[bs..be].trim_start().len();
            bs += ws;
            if let Some(prev) = merged.last_mut() {
                loop {
                    match cites.iter().find(|c| c.start == bs) {
                        Some(c) if c.end <= be => {
                            prev.1 = c.end;
                            bs = c.end;
                            // Punctuation after the citation stays with it.
                            let rest = &text[bs..be];
                            let p = rest
                                .chars()
                                .take_while(|c| ".。,，;；!！?？ ".contains(*c))
                                .map(char::len_utf8)
                                .sum::<usize>();
                            let punct = rest[..p].trim_end().len();
                            prev.1 = bs + punct;
                            bs += p;
                        }
                        _ => break,
                    }
                }
            }
            let seg = &text[bs..be];
            if seg.trim().chars().any(char::is_alphanumeric) {
                merged.push((bs, be));
            }
        }
        for (bs, be) in merged {
            let seg = &text[bs..be];
            let trail = seg.len() - seg.trim_end().len();
            let be = be - trail;
            let numbers: Vec<usize> = {
                let mut v: Vec<usize> = cites
                    .iter()
                    .filter(|c| c.start >= bs && c.end <= be)
                    .flat_map(|c| c.numbers.iter().copied())
                    .collect();
                let mut seen = HashSet::new();
                v.retain(|n| seen.insert(*n));
                v
            };
            let content_from = bs.max(content_start);
            let content = strip_citations(&text[content_from.min(be)..be]);
            out.push(Statement {
                text: text[bs..be].to_string(),
                cites: numbers,
                start: bs,
                end: be,
                needs_citation: needs_citation(&content),
            });
        }
        start = le;
        let _ = start;
    }
    out
}

pub(super) fn strip_citations(s: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for c in parse_citations(s) {
        out.push_str(&s[last..c.start]);
        last = c.end;
    }
    out.push_str(&s[last..]);
    out
}

/// Whether a statement's content says enough to need a citation: three
/// words or more, and not "none" / "not stated" / "无".
pub(super) fn needs_citation(content: &str) -> bool {
    let t = content.trim().trim_start_matches(['"', '“', '(', '（']);
    let lower = t.to_lowercase();
    const NOTHING: [&str; 16] = [
        "none",
        "no ",
        "nothing",
        "not stated",
        "not mentioned",
        "unclear",
        "n/a",
        "the material does not",
        "无",
        "没有",
        "暂无",
        "尚无",
        "不明",
        "不清楚",
        "未提及",
        "材料中没有",
    ];
    if NOTHING.iter().any(|p| lower.starts_with(p)) {
        return false;
    }
    let latin_words = t
        .split(|c: char| !c.is_alphanumeric() || is_cjk(c))
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count();
    let cjk = t.chars().filter(|&c| is_cjk(c)).count();
    latin_words + cjk / 2 >= 3
}
