//! The grounding check: a deterministic, model-free test of a summary
//! against the thread it summarizes.
//!
//! A summary is split into statements (sentences ending with `.?!` or
//! `。！？`; every list item; a line's leading label such as "Topic:" is
//! not a statement by itself, and a line ending with a colon introduces a
//! list). Each statement should end with the numbers of the mails it rests
//! on, `[#3]` or `[#3, #7]` (`［#3］` tolerated), numbered as the report's
//! mail list of the thread: 1-based, time order, history mails included.
//!
//! Problems found, each by a small function:
//! - `citation`: a cited number the thread does not have;
//! - `name`: a person named who is not a participant of the thread (sender
//!   of a shown mail, or named in its trailers, Cc or attribution lines)
//!   and is not named anywhere in its material. A word counts as a person
//!   only when the archive knows it: a sender's full name, or a first or
//!   last name of a sender that is not a common word ([`KnownPeople`]);
//!   "Marc", "Zyngier", "Marc Zyngier" and "Zyngier Marc" all match the
//!   participant Marc Zyngier, inside English or Chinese text;
//! - `version`: a `vN`, `N/M`, kernel version (`5.17`, `v5.17-rc3`,
//!   `6.1.y`) or `rcN` that appears nowhere in the thread's material;
//! - `identifier`: a code-like token (a name with `_` or `()`, a path with
//!   `/`, a file name, a `CONFIG_` option, a register such as `HCR_EL2`, a
//!   URL) absent from the raw material (subjects, bodies with their diffs,
//!   the facts);
//! - `expansion`: an acronym with a spelled-out expansion ("FWB (Firmware
//!   Workaround)", "Forced Write-Back (FWB)") that the material does not
//!   contain;
//! - `uncited`: a statement with content that cites no mail ("none" and
//!   very short statements need no citation).
//!
//! Verdict ([`verdict`]): no problem is `grounded`. In `mark` mode a
//! summary is `rejected` when it has any `citation` or `name` problem, or
//! when more than a third of its statements have a problem (so a summary
//! that is mostly uncited is never grounded); otherwise `flagged`. In
//! `strict` mode any problem rejects.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::digest::ThreadView;

mod claims;
pub mod glossary;

/// Kinds of problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    Citation,
    Name,
    Version,
    Identifier,
    Expansion,
    Uncited,
    Trailer,
    Attribution,
    Status,
    Count,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 10] = [
        ProblemKind::Citation,
        ProblemKind::Name,
        ProblemKind::Version,
        ProblemKind::Identifier,
        ProblemKind::Expansion,
        ProblemKind::Uncited,
        ProblemKind::Trailer,
        ProblemKind::Attribution,
        ProblemKind::Status,
        ProblemKind::Count,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Citation => "citation",
            ProblemKind::Name => "name",
            ProblemKind::Version => "version",
            ProblemKind::Identifier => "identifier",
            ProblemKind::Expansion => "expansion",
            ProblemKind::Uncited => "uncited",
            ProblemKind::Trailer => "trailer",
            ProblemKind::Attribution => "attribution",
            ProblemKind::Status => "status",
            ProblemKind::Count => "count",
        }
    }

    /// Serious problems reject a summary in `mark` mode.
    pub fn serious(self) -> bool {
        matches!(self, ProblemKind::Citation | ProblemKind::Name)
    }
}

/// The outcome of the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Grounded,
    Flagged,
    Rejected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Grounded => "grounded",
            Verdict::Flagged => "flagged",
            Verdict::Rejected => "rejected",
        }
    }
}

/// `--grounding`: mark problems (default), reject on any problem, or do
/// not check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// Mark problems; reject only badly ungrounded model summaries.
    #[default]
    Mark,
    /// Reject a model summary on any problem.
    Strict,
    /// Do not check.
    Off,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Mark => "mark",
            Mode::Strict => "strict",
            Mode::Off => "off",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mark" => Ok(Mode::Mark),
            "strict" => Ok(Mode::Strict),
            "off" | "none" => Ok(Mode::Off),
            _ => Err(format!("unknown grounding mode {s:?} (mark, strict, off)")),
        }
    }
}

/// One problem: its kind and the offending span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub text: String,
    /// Index of the statement it is in.
    #[serde(skip)]
    pub statement: Option<usize>,
}

/// The check of one summary, as recorded in the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grounding {
    pub verdict: Verdict,
    pub statements: usize,
    pub cited: usize,
    pub problems: Vec<Problem>,
    /// Remarks that change no verdict (an acronym expanded consistently
    /// that neither the glossary nor the thread knows).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Grounding {
    /// Problems of `kind`.
    pub fn count(&self, kind: ProblemKind) -> usize {
        self.problems.iter().filter(|p| p.kind == kind).count()
    }
}

/// A citation in the text: byte range and the mail numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    pub start: usize,
    pub end: usize,
    pub numbers: Vec<usize>,
}

/// A statement: byte range in the summary, its text and the mails it cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub text: String,
    pub cites: Vec<usize>,
    #[serde(skip)]
    pub start: usize,
    #[serde(skip)]
    pub end: usize,
    /// It says something that must rest on a mail.
    #[serde(skip)]
    pub needs_citation: bool,
}

/// Statements, citations and the check of a summary.
#[derive(Debug, Clone)]
pub struct Checked {
    pub grounding: Grounding,
    pub statements: Vec<Statement>,
    pub citations: Vec<Citation>,
}

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
fn lines_with_offsets(text: &str) -> Vec<(usize, usize)> {
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
fn list_marker_len(line: &str) -> usize {
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

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x3040..=0x30FF | 0xAC00..=0xD7AF)
}

/// A name's initials before a period: "W", "W.M", "(J" — single capital
/// letters, separated by periods.
fn is_initials(word: &str) -> bool {
    let w = word.trim_start_matches(|c: char| "([\"'“（".contains(c));
    !w.is_empty()
        && w.split('.').all(|p| {
            let mut cs = p.chars();
            cs.next().is_some_and(|c| c.is_uppercase()) && cs.next().is_none()
        })
}

/// Sentence ends of one line's text (byte offsets after the end mark).
fn sentence_ends(s: &str) -> Vec<usize> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut ends = Vec::new();
    let mut ascii_quote = false;
    let mut depth = 0usize;
    for (k, &(i, c)) in chars.iter().enumerate() {
        match c {
            '"' => ascii_quote = !ascii_quote,
            '“' | '「' | '『' => depth += 1,
            '”' | '」' | '』' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if ascii_quote || depth > 0 {
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
                        let lw = word
                            .trim_start_matches(|c: char| "([\"'“（".contains(c))
                            .to_ascii_lowercase();
                        let abbrev = c == '.'
                            && ([
                                "e.g", "i.e", "etc", "vs", "cf", "approx", "incl", "resp", "fig",
                                "no",
                            ]
                            .contains(&lw.as_str())
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

fn strip_citations(s: &str) -> String {
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
fn needs_citation(content: &str) -> bool {
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

// ---------------------------------------------------------------------------
// What the thread contains
// ---------------------------------------------------------------------------

/// Lower-case name tokens of a person's name as written ("Zyngier, Marc",
/// "Marc Zyngier (Arm)", "marc.zyngier@…").
fn name_tokens(name: &str) -> Vec<String> {
    let name = name.split('<').next().unwrap_or(name);
    let name = name.split('@').next().unwrap_or(name);
    name.split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '’' || c == '-'))
        .map(|w| w.trim_matches(|c| c == '-' || c == '\'' || c == '’'))
        .filter(|w| w.chars().count() >= 2 && !w.chars().any(is_cjk))
        .map(str::to_lowercase)
        .collect()
}

/// The material of one thread that a summary may rest on.
#[derive(Debug, Clone, Default)]
pub struct ThreadMaterial {
    /// Mails of the thread (valid citations are 1..=mails).
    pub mails: usize,
    /// Facts, subjects and bodies (diffs included), joined.
    text: String,
    /// The text lower-cased, `-`/`_` as spaces, blanks collapsed.
    folded: String,
    /// Words of the text as written, and lower-case words that are written
    /// in lower case somewhere (common words, not names).
    words: HashSet<String>,
    lower_words: HashSet<String>,
    /// Versions found (normalized, see [`norm_version`]), and `N/M` parts.
    versions: HashSet<String>,
    parts: HashSet<(u32, u32)>,
    /// Name tokens of each participant.
    participants: Vec<Vec<String>>,
    /// The text [`glossary::normalize`]d, between spaces (made when first
    /// needed).
    normalized: std::sync::OnceLock<String>,
    /// The thread's facts, for claims (absent for material made of texts).
    facts: Option<claims::Facts>,
}

impl ThreadMaterial {
    /// Material from its pieces: `texts` (facts, subjects, bodies) and the
    /// names of participants (senders, trailers, Cc, attribution lines).
    pub fn new<S: AsRef<str>, N: AsRef<str>>(
        mails: usize,
        texts: &[S],
        names: &[N],
    ) -> ThreadMaterial {
        let mut text = String::new();
        for t in texts {
            text.push_str(t.as_ref());
            text.push('\n');
        }
        let mut participants: Vec<Vec<String>> = Vec::new();
        for n in names {
            let t = name_tokens(n.as_ref());
            if !t.is_empty() && !participants.contains(&t) {
                participants.push(t);
            }
        }
        // People named in trailers, Cc lines and attribution lines of the
        // bodies are participants too.
        for n in body_people(&text) {
            let t = name_tokens(&n);
            if !t.is_empty() && !participants.contains(&t) {
                participants.push(t);
            }
        }
        let mut words = HashSet::new();
        let mut lower_words = HashSet::new();
        for (s, e) in word_spans(&text) {
            let w = &text[s..e];
            if w.chars().next().is_some_and(char::is_lowercase) {
                lower_words.insert(w.to_string());
            }
            words.insert(w.to_string());
        }
        let mut versions = HashSet::new();
        let mut parts = HashSet::new();
        collect_versions(&text, &mut versions, &mut parts);
        ThreadMaterial {
            mails,
            folded: fold(&text),
            text,
            words,
            lower_words,
            versions,
            parts,
            participants,
            normalized: std::sync::OnceLock::new(),
            facts: None,
        }
    }

    /// Material of a thread of a digest: the facts given to the model,
    /// every subject and body, and its people.
    pub fn of_thread(t: &ThreadView) -> ThreadMaterial {
        let (texts, names) = Self::pieces(t);
        let mut m = ThreadMaterial::new(t.messages.len(), &texts, &names);
        m.facts = Some(claims::Facts::of_thread(t));
        m
    }

    /// Material of several threads together (what a highlight citing them
    /// may rest on); `mails`: the valid `[#n]` citations (0: none).
    pub fn of_threads(ts: &[&ThreadView], mails: usize) -> ThreadMaterial {
        let (mut texts, mut names) = (Vec::new(), Vec::new());
        for t in ts {
            let (x, n) = Self::pieces(t);
            texts.extend(x);
            names.extend(n);
        }
        ThreadMaterial::new(mails, &texts, &names)
    }

    /// A thread's texts (facts, subjects, bodies) and people's names.
    fn pieces(t: &ThreadView) -> (Vec<String>, Vec<String>) {
        let mut texts: Vec<String> = vec![crate::summarize::prompt::facts(t)];
        let s = &t.series.facts;
        let mut extra = Vec::new();
        for v in s.versions.iter().chain([&s.version]) {
            extra.push(format!("v{v}"));
        }
        if let Some(total) = s.total {
            for k in &s.arrived {
                extra.push(format!("{k}/{total}"));
            }
        }
        for r in t
            .series
            .previous_version
            .iter()
            .chain(&t.series.superseded_by)
        {
            extra.push(format!("v{} {}", r.version, r.subject));
        }
        texts.push(extra.join(" "));
        let mut names: Vec<String> = Vec::new();
        for m in &t.messages {
            texts.push(m.subject.clone());
            texts.push(m.body.clone());
            names.push(m.from_name.clone());
            names.push(m.from_addr.clone());
            names.extend(m.addressed.iter().cloned());
            for tr in &m.facts.trailers {
                names.push(tr.name.clone());
                names.push(tr.email.clone());
            }
        }
        for p in &t.participants {
            names.push(p.name.clone());
        }
        let r = &t.review;
        for g in r
            .reviewed_by
            .iter()
            .chain(&r.acked_by)
            .chain(&r.tested_by)
            .chain(&r.reported_by)
        {
            names.push(g.name.clone());
        }
        for n in r.applied.iter().chain(&r.naks) {
            names.push(n.by.clone());
        }
        // The reviewers of the previous version, named in the facts.
        for p in &t.series.across.previous_review {
            names.push(p.from.clone());
            names.push(p.email.clone());
        }
        (texts, names)
    }

    fn is_participant(&self, tokens: &[String]) -> bool {
        !tokens.is_empty()
            && self
                .participants
                .iter()
                .any(|p| tokens.iter().all(|t| p.contains(t)))
    }

    fn has_word(&self, w: &str) -> bool {
        self.words.contains(w)
    }

    /// `phrase` appears in the text as written, at word boundaries.
    fn has_phrase(&self, phrase: &str) -> bool {
        contains_word(&self.text, phrase)
    }
}

/// `needle` in `hay` with no letter or digit right before or after it.
fn contains_word(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(p) = hay[from..].find(needle) {
        let s = from + p;
        let e = s + needle.len();
        let before = hay[..s].chars().next_back();
        let after = hay[e..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if edge(before) && edge(after) {
            return true;
        }
        from = s + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// Lower-case, `-`, `_` and blanks as one space.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.chars() {
        if c.is_whitespace() || c == '-' || c == '_' || c == '‐' || c == '–' {
            if !space {
                out.push(' ');
                space = true;
            }
        } else {
            out.extend(c.to_lowercase());
            space = false;
        }
    }
    out.trim_end().to_string()
}

/// Names in trailer lines (`Reviewed-by: X <…>`), `Cc:` lines and
/// attribution lines ("On …, Marc Zyngier <maz@…> wrote:").
fn body_people(text: &str) -> Vec<String> {
    static TRAILER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?im)^[\s>]*(?:[a-z]+(?:-[a-z]+)*-by|cc|to|from)\s*:\s*(.{1,200})$").unwrap()
    });
    static ATTRIB: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?im)^[\s>]*(.{0,200}?)\s*(?:wrote|writes|said|schrieb|a écrit|写道)\s*[:：]\s*$",
        )
        .unwrap()
    });
    static QUOTING: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?im)^[\s>]*(?:quoting|citing)\s+(.{1,200})$").unwrap());
    let mut out = Vec::new();
    for c in TRAILER.captures_iter(text) {
        for one in c[1].split([',', ';']) {
            out.push(one.to_string());
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    for c in ATTRIB.captures_iter(text) {
        let whole = c.get(0).unwrap();
        let mut s = c[1].to_string();
        // Wrapped attribution: "On Mon, … Marc Zyngier" / "<maz@…> wrote:".
        if s.trim().is_empty() || s.trim_start().starts_with('<') {
            let line_no = text[..whole.start()].matches('\n').count();
            if line_no > 0 {
                s = format!("{} {s}", lines.get(line_no - 1).unwrap_or(&""));
            }
        }
        out.push(attribution_name(&s));
    }
    for c in QUOTING.captures_iter(text) {
        out.push(attribution_name(&c[1]));
    }
    out
}

/// The person in an attribution line: the text after the last comma (or
/// the date and time) and before the address.
fn attribution_name(s: &str) -> String {
    static TIME: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]m)?(?:\s*[+-]\d{4})?").unwrap()
    });
    let s = s.split('<').next().unwrap_or(s);
    let s = match TIME.find_iter(s).last() {
        Some(m) => &s[m.end()..],
        None => s,
    };
    let s = s.rsplit(',').next().unwrap_or(s);
    s.trim()
        .trim_start_matches(|c: char| !c.is_alphabetic())
        .to_string()
}

/// Byte spans of Latin words that stand alone: not part of an identifier,
/// an address, a path or a number.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    static WORD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[A-Za-zÀ-ÖØ-öø-ɏ]+(?:['’\-][A-Za-zÀ-ÖØ-öø-ɏ]+)*").unwrap());
    let mut out = Vec::new();
    for m in WORD.find_iter(text) {
        let before = text[..m.start()].chars().next_back();
        let mut after_it = text[m.end()..].chars();
        let after = after_it.next();
        let after2 = after_it.next();
        let bad_before = before.is_some_and(|c| c.is_ascii_digit() || "_/\\.@#$%=".contains(c));
        let bad_after = after.is_some_and(|c| {
            c.is_ascii_digit()
                || "_/@(=".contains(c)
                || (c == '.' && after2.is_some_and(|d| d.is_alphanumeric()))
        });
        if !bad_before && !bad_after {
            out.push((m.start(), m.end()));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// People the archive knows
// ---------------------------------------------------------------------------

/// People known from the whole archive: full names of senders (as sorted
/// token lists) and their first and last names that are not common words.
#[derive(Debug, Clone, Default)]
pub struct KnownPeople {
    full: HashSet<Vec<String>>,
    tokens: HashSet<String>,
}

impl KnownPeople {
    /// From sender names (`from_name` of every archived mail). Names with
    /// digits, addresses, a single word, or bot words are skipped.
    pub fn from_names<I, S>(names: I) -> KnownPeople
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut k = KnownPeople::default();
        for n in names {
            k.add(n.as_ref());
        }
        k
    }

    fn add(&mut self, name: &str) {
        let n = name.trim().trim_matches('"');
        if n.contains('@') || n.chars().any(|c| c.is_ascii_digit()) {
            return;
        }
        // "Zyngier, Marc" and "Marc Zyngier (Arm)" alike.
        let n = n.split('(').next().unwrap_or(n);
        let toks = name_tokens(n);
        if toks.len() < 2 || toks.len() > 5 {
            return;
        }
        if toks.iter().any(|t| BOT_WORDS.contains(&t.as_str())) {
            return;
        }
        // Names written like names: each word capitalised as a name is.
        let caps = n
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .all(|w| {
                w.chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || !c.is_alphabetic())
                    || PARTICLES.contains(&w)
            });
        if !caps {
            return;
        }
        let mut sorted = toks.clone();
        sorted.sort();
        self.full.insert(sorted);
        for t in toks {
            if t.chars().count() >= 3 && !is_common(&t) {
                self.tokens.insert(t);
            }
        }
    }

    /// Adds the names of [`WELL_KNOWN`] kernel developers.
    pub fn with_well_known(mut self) -> KnownPeople {
        for n in WELL_KNOWN {
            self.add(n);
        }
        self
    }

    pub fn len(&self) -> usize {
        self.full.len()
    }

    pub fn is_empty(&self) -> bool {
        self.full.is_empty()
    }
}

/// Kernel developers every kvmarm reader knows (from the kernel's
/// MAINTAINERS file), so that their names are recognised even in an
/// archive where they never wrote.
pub const WELL_KNOWN: &[&str] = &[
    "Marc Zyngier",
    "Oliver Upton",
    "Will Deacon",
    "Catalin Marinas",
    "James Morse",
    "Suzuki K Poulose",
    "Zenghui Yu",
    "Joey Gouly",
    "Mark Rutland",
    "Ard Biesheuvel",
    "Paolo Bonzini",
    "Sean Christopherson",
    "Linus Torvalds",
    "Greg Kroah-Hartman",
    "Thomas Gleixner",
    "Christoffer Dall",
    "Alexandru Elisei",
    "Andrew Jones",
    "Eric Auger",
    "Quentin Perret",
    "Fuad Tabba",
    "Peter Maydell",
    "Alex Bennée",
    "Julien Thierry",
    "Julien Grall",
    "Steven Price",
    "Gavin Shan",
    "Ricardo Koller",
    "Reiji Watanabe",
    "Raghavendra Rao Ananta",
    "Jing Zhang",
    "Shameer Kolothum",
    "Vincent Donnefort",
    "Kalesh Singh",
    "David Brazdil",
    "Andre Przywara",
    "Lorenzo Pieralisi",
    "Sudeep Holla",
    "Jonathan Cameron",
    "Stephen Rothwell",
];

const BOT_WORDS: &[&str] = &[
    "robot",
    "bot",
    "list",
    "patchwork",
    "daemon",
    "noreply",
    "mailer",
    "kernel",
    "ci",
    "bounce",
    "bugzilla",
    "syzbot",
    "via",
    "team",
    "admin",
    "notification",
];

const PARTICLES: &[&str] = &[
    "van", "von", "de", "der", "den", "da", "di", "du", "le", "la", "dos", "del", "bin", "al",
    "ter",
];

/// Words that are not names even when capitalised: English function
/// words, sentence starters, the report's labels, months and days,
/// kernel and company words. A name token found here is never taken for
/// a person on its own.
const COMMON: &[&str] = &[
    "a",
    "about",
    "above",
    "accepted",
    "acked",
    "acks",
    "actually",
    "add",
    "added",
    "adds",
    "after",
    "again",
    "against",
    "agreed",
    "alice",
    "all",
    "also",
    "although",
    "always",
    "am",
    "an",
    "and",
    "another",
    "any",
    "applied",
    "april",
    "are",
    "arm",
    "around",
    "as",
    "ask",
    "asked",
    "asks",
    "at",
    "august",
    "author",
    "based",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "best",
    "between",
    "both",
    "bug",
    "bugs",
    "but",
    "by",
    "can",
    "cannot",
    "change",
    "changes",
    "chen",
    "christmas",
    "cleanup",
    "cloud",
    "could",
    "cover",
    "current",
    "currently",
    "december",
    "did",
    "discussion",
    "do",
    "does",
    "done",
    "down",
    "during",
    "each",
    "earlier",
    "either",
    "else",
    "english",
    "even",
    "every",
    "february",
    "few",
    "final",
    "finally",
    "first",
    "fix",
    "fixed",
    "fixes",
    "for",
    "friday",
    "from",
    "further",
    "given",
    "good",
    "google",
    "guest",
    "had",
    "has",
    "have",
    "he",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "history",
    "host",
    "how",
    "however",
    "huawei",
    "if",
    "in",
    "initially",
    "instead",
    "intel",
    "into",
    "is",
    "it",
    "its",
    "january",
    "july",
    "june",
    "just",
    "kernel",
    "king",
    "last",
    "later",
    "least",
    "less",
    "let",
    "letter",
    "like",
    "linaro",
    "linux",
    "list",
    "long",
    "made",
    "maintainer",
    "maintainers",
    "many",
    "march",
    "mark",
    "may",
    "maybe",
    "merged",
    "monday",
    "more",
    "most",
    "much",
    "must",
    "my",
    "new",
    "next",
    "no",
    "none",
    "nor",
    "not",
    "note",
    "notes",
    "nothing",
    "november",
    "now",
    "october",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "open",
    "or",
    "other",
    "otherwise",
    "our",
    "out",
    "outcome",
    "over",
    "overall",
    "part",
    "patch",
    "patches",
    "per",
    "perhaps",
    "please",
    "posted",
    "previous",
    "previously",
    "pull",
    "question",
    "questions",
    "queued",
    "rather",
    "re",
    "red",
    "hat",
    "regarding",
    "reply",
    "replied",
    "reported",
    "request",
    "review",
    "reviewed",
    "reviewer",
    "reviewers",
    "rework",
    "right",
    "same",
    "saturday",
    "see",
    "sent",
    "september",
    "series",
    "she",
    "should",
    "since",
    "so",
    "some",
    "status",
    "still",
    "subject",
    "such",
    "summary",
    "sunday",
    "support",
    "team",
    "tested",
    "than",
    "thanks",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "though",
    "thread",
    "three",
    "through",
    "thursday",
    "thus",
    "to",
    "today",
    "together",
    "too",
    "topic",
    "towards",
    "tuesday",
    "two",
    "under",
    "unless",
    "until",
    "up",
    "upon",
    "us",
    "use",
    "used",
    "using",
    "version",
    "very",
    "via",
    "wang",
    "was",
    "we",
    "wednesday",
    "week",
    "well",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "window",
    "with",
    "within",
    "without",
    "would",
    "yes",
    "yet",
    "you",
    "your",
    "abstract",
    "earlier",
    "upstream",
    "stable",
    "mainline",
    "arm64",
    "kvm",
    "kvmarm",
    "qemu",
    "android",
    "apple",
    "ampere",
    "nvidia",
    "amazon",
    "microsoft",
    "oracle",
    "ibm",
    "suse",
    "canonical",
    "debian",
    "fedora",
    "ubuntu",
    "github",
    "gitlab",
    "lore",
    "stage",
    "forced",
    "write",
    "back",
    "generic",
    "interrupt",
    "controller",
    "virtual",
    "machine",
    "memory",
    "timer",
    "page",
    "table",
    "tables",
    "power",
    "state",
    "interface",
    "scalable",
    "vector",
    "extension",
    "pointer",
    "authentication",
    "protected",
    "mode",
    "nested",
    "virtualization",
    "hypervisor",
    "hyp",
    "el",
    "cpu",
    "vcpu",
    "vm",
    "its",
    "gic",
    "pmu",
    "sve",
    "sme",
    "mte",
    "lpi",
    "pkvm",
    "nvhe",
    "vhe",
    "ptrauth",
    "rfc",
    "resend",
    "git",
    "tree",
    "branch",
    "commit",
    "merge",
    "tag",
    "release",
    "rc",
    "master",
    "main",
];

fn is_common(lower: &str) -> bool {
    static SET: LazyLock<HashSet<&'static str>> =
        LazyLock::new(|| COMMON.iter().copied().collect());
    SET.contains(lower)
}

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------

/// A problem found at a byte range of the summary.
#[derive(Debug, Clone)]
struct Found {
    kind: ProblemKind,
    start: usize,
    text: String,
}

impl Found {
    fn at(kind: ProblemKind, text: &str, start: usize, end: usize) -> Found {
        Found {
            kind,
            start,
            text: text[start..end].to_string(),
        }
    }
}

/// Replace byte ranges by spaces (keeps offsets and UTF-8 validity).
fn mask(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut b = text.as_bytes().to_vec();
    for &(s, e) in ranges {
        for x in &mut b[s..e] {
            *x = b' ';
        }
    }
    String::from_utf8(b).unwrap_or_else(|_| text.to_string())
}

/// Cited numbers the thread does not have.
fn check_citations(text: &str, cites: &[Citation], m: &ThreadMaterial) -> Vec<Found> {
    let _ = text;
    cites
        .iter()
        .filter(|c| c.numbers.iter().any(|&n| n == 0 || n > m.mails))
        .map(|c| Found::at(ProblemKind::Citation, text, c.start, c.end))
        .collect()
}

/// Name-shaped tokens of the text and the spans of consecutive ones.
fn name_spans(text: &str) -> Vec<Vec<(usize, usize)>> {
    let words = word_spans(text);
    let shaped = |s: usize, e: usize| -> bool {
        let w = &text[s..e];
        let mut cs = w.chars();
        let first = cs.next().unwrap_or(' ');
        if !first.is_uppercase() {
            return false;
        }
        let n = w.chars().count();
        if n == 1 {
            return text[e..].starts_with('.');
        }
        // Not all capitals (an acronym); each hyphen part capitalised.
        w.chars().skip(1).any(char::is_lowercase)
            && w.split('-')
                .all(|p| p.chars().next().is_some_and(char::is_uppercase))
    };
    let mut spans: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut cur: Vec<(usize, usize)> = Vec::new();
    let mut pending_particle: Option<(usize, usize)> = None;
    for &(s, e) in &words {
        let w = &text[s..e];
        let gap_ok = |prev_end: usize| {
            let gap = &text[prev_end..s];
            gap == " " || gap == ". "
        };
        if shaped(s, e) {
            let joined = match (cur.last(), pending_particle) {
                (Some(&(_, pe)), Some((ps, pe2))) => {
                    let g1 = &text[pe..ps];
                    (g1 == " " || g1 == ". ") && gap_ok(pe2)
                }
                (Some(&(_, pe)), None) => gap_ok(pe),
                _ => false,
            };
            if !joined && !cur.is_empty() {
                spans.push(std::mem::take(&mut cur));
            }
            if joined && let Some(p) = pending_particle {
                cur.push(p);
            }
            pending_particle = None;
            cur.push((s, e));
        } else if PARTICLES.contains(&w) && !cur.is_empty() && pending_particle.is_none() {
            pending_particle = Some((s, e));
        } else {
            pending_particle = None;
            if !cur.is_empty() {
                spans.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        spans.push(cur);
    }
    spans
}

fn token_lower(text: &str, s: usize, e: usize) -> String {
    let w = &text[s..e];
    let w = w
        .strip_suffix("'s")
        .or_else(|| w.strip_suffix("’s"))
        .unwrap_or(w);
    w.to_lowercase()
}

/// People named who are not participants of the thread.
fn check_names(text: &str, m: &ThreadMaterial, people: &KnownPeople) -> Vec<Found> {
    let mut out = Vec::new();
    for span in name_spans(text) {
        let toks: Vec<(usize, usize)> = span
            .into_iter()
            .filter(|&(s, e)| !PARTICLES.contains(&&text[s..e]))
            .collect();
        if toks.is_empty() {
            continue;
        }
        let lower: Vec<String> = toks.iter().map(|&(s, e)| token_lower(text, s, e)).collect();
        let (s0, e0) = (toks[0].0, toks[toks.len() - 1].1);
        if m.is_participant(&lower) || m.has_phrase(&text[s0..e0]) {
            continue;
        }
        let mut sorted = lower.clone();
        sorted.sort();
        let full_known = lower.len() >= 2 && people.full.contains(&sorted);
        // Common words at the edges ("Thanks Marc", "Marc Will") are not
        // part of the name.
        let common = |t: &str| is_common(t) || m.lower_words.contains(t);
        let mut a = 0;
        let mut b = lower.len();
        if !full_known {
            while a < b && common(&lower[a]) {
                a += 1;
            }
            while b > a && common(&lower[b - 1]) {
                b -= 1;
            }
            if a == b {
                continue;
            }
        }
        let rest = &lower[a..b];
        let (rs, re) = (toks[a].0, toks[b - 1].1);
        if !full_known {
            if m.is_participant(rest) || m.has_phrase(&text[rs..re]) {
                continue;
            }
            // Every word of it appears in the thread as written.
            if toks[a..b].iter().all(|&(s, e)| {
                let w = &text[s..e];
                m.has_word(w) || m.has_word(w.trim_end_matches("'s").trim_end_matches("’s"))
            }) {
                continue;
            }
        }
        let person = full_known
            || rest
                .iter()
                .any(|t| t.chars().count() >= 3 && people.tokens.contains(t.as_str()));
        if person {
            out.push(Found::at(ProblemKind::Name, text, s0, e0));
        }
    }
    out
}

/// Normalized version text: lower case, no leading `v` before a dotted
/// number.
fn norm_version(v: &str) -> String {
    let l = v.to_ascii_lowercase();
    match l.strip_prefix('v') {
        Some(r) if r.contains('.') => r.to_string(),
        _ => l,
    }
}

static VERSION_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)v?\d+(?:\.(?:\d+|y))*(?:-rc\d+)?|rc\d+").unwrap());
static PART_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d{1,4})/(\d{1,4})").unwrap());

/// Versions and `N/M` parts of the material (liberal: "PATCHv2" counts).
fn collect_versions(text: &str, versions: &mut HashSet<String>, parts: &mut HashSet<(u32, u32)>) {
    static LOOSE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:v|version\s*|linux[- ]?)?(\d+(?:\.(?:\d+|y|x))*)(-rc\d+)?").unwrap()
    });
    static RC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)rc(\d+)").unwrap());
    for c in LOOSE.captures_iter(text) {
        let whole = c.get(0).unwrap().as_str().to_ascii_lowercase();
        let num = c[1].to_string();
        let rc = c.get(2).map(|r| r.as_str().to_ascii_lowercase());
        if whole.starts_with('v') {
            versions.insert(format!("v{num}"));
        }
        if whole.starts_with("version") {
            versions.insert(format!("v{num}"));
        }
        if num.contains('.') {
            versions.insert(num.clone());
            // "5.17.3" also grounds "5.17".
            let mut parts_of: Vec<&str> = num.split('.').collect();
            while parts_of.len() > 2 {
                parts_of.pop();
                versions.insert(parts_of.join("."));
            }
            if let Some(rc) = &rc {
                versions.insert(format!("{num}{rc}"));
            }
        }
        if let Some(rc) = rc {
            versions.insert(rc.trim_start_matches('-').to_string());
        }
    }
    for c in RC.captures_iter(text) {
        versions.insert(format!("rc{}", &c[1]));
    }
    for c in PART_RE.captures_iter(text) {
        if let (Ok(a), Ok(b)) = (c[1].parse(), c[2].parse()) {
            parts.insert((a, b));
        }
    }
}

/// Versions, `N/M` parts and releases that the material does not have.
fn check_versions(text: &str, m: &ThreadMaterial) -> Vec<Found> {
    let mut out = Vec::new();
    for v in VERSION_RE.find_iter(text) {
        let before = text[..v.start()].chars().next_back();
        let after = text[v.end()..].chars().next();
        let after2 = text[v.end()..].chars().nth(1);
        if before.is_some_and(|c| c.is_alphanumeric() || "_./-#＃%".contains(c)) {
            continue;
        }
        if after.is_some_and(|c| {
            c.is_alphanumeric()
                || "_/%".contains(c)
                || (c == '.' && after2.is_some_and(|d| d.is_alphanumeric()))
                || c == '-' && after2.is_some_and(|d| d.is_alphanumeric())
        }) {
            continue;
        }
        let s = v.as_str();
        let l = s.to_ascii_lowercase();
        let candidate = if l.starts_with("rc") || l.starts_with('v') {
            true
        } else if l.contains('.') {
            // A bare dotted number is a kernel version only in kernel
            // ranges: 2.6, 3.x … 7.x.
            let mut it = l.split('.');
            let major: u32 = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
            let minor = it.next().unwrap_or("");
            (2..=7).contains(&major) && (minor == "y" || minor.len() <= 2)
        } else {
            false
        };
        if !candidate {
            continue;
        }
        let n = norm_version(s);
        let ok = m.versions.contains(&n)
            || n.strip_suffix(".y")
                .is_some_and(|b| m.versions.contains(b) || m.versions.contains(&format!("{b}.y")));
        if !ok {
            out.push(Found::at(ProblemKind::Version, text, v.start(), v.end()));
        }
    }
    for c in PART_RE.captures_iter(text) {
        let g = c.get(0).unwrap();
        let before = text[..g.start()].chars().next_back();
        let after = text[g.end()..].chars().next();
        if before.is_some_and(|c| c.is_alphanumeric() || "/._-".contains(c))
            || after.is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '_')
        {
            continue;
        }
        let (Ok(a), Ok(b)) = (c[1].parse::<u32>(), c[2].parse::<u32>()) else {
            continue;
        };
        if b == 0 || a > b || b > 999 {
            continue; // not a part number
        }
        if !m.parts.contains(&(a, b)) {
            out.push(Found::at(ProblemKind::Version, text, g.start(), g.end()));
        }
    }
    out
}

/// Top-level folders of the kernel tree and tree names: a `word/word`
/// starting with one of them, as written, is a path ("Stable/backport" is
/// not).
const TREE_DIRS: &[&str] = &[
    "arch",
    "drivers",
    "include",
    "kernel",
    "virt",
    "tools",
    "mm",
    "fs",
    "net",
    "lib",
    "Documentation",
    "scripts",
    "block",
    "crypto",
    "init",
    "ipc",
    "security",
    "sound",
    "samples",
    "firmware",
    "rust",
    "kvmarm",
    "tip",
    "torvalds",
    "stable",
    "usr",
];

/// Code-like tokens absent from the raw material.
fn check_identifiers(text: &str, m: &ThreadMaterial) -> Vec<Found> {
    static URL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"https?://[^\s<>\])）"“”‘’'，。；！？、」』》]+"#).unwrap());
    static PATH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)+/?").unwrap());
    static CODE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\(\))?|[A-Za-z0-9_\-]+\.(?:c|h|S|rs|dts|dtsi|yaml|rst|txt|py|sh|lds)\b")
            .unwrap()
    });
    static FILE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\.(?:c|h|S|rs|dts|dtsi|yaml|rst|txt|py|sh|lds)$").unwrap());
    let trim = |s: &str| -> (usize, usize) {
        let t = s.trim_end_matches(['.', ',', ';', ':', ')', '\'', '"', '!', '?']);
        (0, t.len())
    };
    let mut out = Vec::new();
    let mut masked: Vec<(usize, usize)> = Vec::new();
    for u in URL.find_iter(text) {
        let (_, l) = trim(u.as_str());
        let url = &u.as_str()[..l];
        masked.push((u.start(), u.end()));
        if !m.text.contains(url) && !m.text.contains(url.trim_end_matches('/')) {
            out.push(Found::at(
                ProblemKind::Identifier,
                text,
                u.start(),
                u.start() + l,
            ));
        }
    }
    let t1 = mask(text, &masked);
    for p in PATH.find_iter(&t1) {
        let (_, l) = trim(p.as_str());
        let path = p.as_str()[..l].trim_end_matches('/');
        let path = path.trim_start_matches(['.', '-']);
        if path.is_empty() {
            continue;
        }
        masked.push((p.start(), p.end()));
        let segs: Vec<&str> = path.split('/').collect();
        if segs.iter().all(|s| s.chars().all(|c| c.is_ascii_digit())) {
            continue; // N/M, a date: see the version check
        }
        let path_like = segs.len() >= 3
            || segs
                .iter()
                .any(|s| s.contains(['.', '_']) || s.chars().any(|c| c.is_ascii_digit()))
            || TREE_DIRS.contains(&segs[0])
            || p.as_str()[..l].ends_with('/');
        if !path_like {
            continue; // "and/or", "guest/host"
        }
        if !m.text.contains(path) {
            let s = p.start() + p.as_str().find(path).unwrap_or(0);
            out.push(Found::at(ProblemKind::Identifier, text, s, s + path.len()));
        }
    }
    let t2 = mask(text, &masked);
    for c in CODE.find_iter(&t2) {
        let tok = c.as_str();
        let before = t2[..c.start()].chars().next_back();
        if before.is_some_and(|b| b.is_alphanumeric()) {
            continue;
        }
        let core = tok.trim_end_matches("()");
        let file = FILE.is_match(tok);
        let code = file
            || tok.ends_with("()")
            || (core.contains('_') && core.chars().any(|c| c.is_ascii_alphabetic()));
        if !code || core.trim_matches('_').is_empty() {
            continue;
        }
        if !m.text.contains(core) {
            out.push(Found::at(ProblemKind::Identifier, text, c.start(), c.end()));
        }
    }
    out
}

/// Uppercase letters of an acronym ("PAuth" → "PA"), or None when the word
/// is not an acronym.
fn acronym_letters(w: &str) -> Option<Vec<char>> {
    let n = w.chars().count();
    if !(2..=10).contains(&n) || !w.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let up: Vec<char> = w.chars().filter(char::is_ascii_uppercase).collect();
    let letters = w.chars().filter(char::is_ascii_alphabetic).count();
    (up.len() >= 2 && up.len() * 2 >= letters).then_some(up)
}

const SMALL: &[&str] = &[
    "of", "the", "and", "for", "to", "in", "on", "a", "an", "with", "by", "at",
];

/// Judge one expansion `exp` of `acronym` (at `span` of `text`): fine when
/// the thread words it so or the glossary lists it; a problem when it
/// contradicts the glossary, or when the glossary does not know the acronym
/// and the expansion's initials do not spell it; otherwise a note.
#[allow(clippy::too_many_arguments)]
fn judge_expansion(
    acronym: &str,
    exp: &str,
    spelled: bool,
    m: &ThreadMaterial,
    text: &str,
    span: (usize, usize),
    out: &mut Vec<Found>,
    notes: &mut Vec<String>,
) {
    let f = fold(exp);
    if !f.is_empty() && m.folded.contains(&f) {
        return;
    }
    let n = glossary::normalize(exp);
    let normalized = m
        .normalized
        .get_or_init(|| format!(" {} ", glossary::normalize(&m.text)));
    if !n.is_empty() && normalized.contains(&format!(" {n} ")) {
        return;
    }
    match glossary::Glossary::builtin().judge(acronym, exp) {
        glossary::Judgement::Accepted => {}
        glossary::Judgement::Unknown if spelled => {
            let note =
                format!("{acronym} expanded as \"{exp}\" (not in the glossary or the thread)");
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        _ => out.push(Found::at(ProblemKind::Expansion, text, span.0, span.1)),
    }
}

/// Acronym expansions neither the thread nor the glossary supports.
fn check_expansions(text: &str, m: &ThreadMaterial, notes: &mut Vec<String>) -> Vec<Found> {
    static AFTER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b([A-Za-z][A-Za-z0-9]{1,9})\s?[(（]([^()（）\n]{3,80})[)）]").unwrap()
    });
    static BEFORE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[(（]([A-Za-z][A-Za-z0-9]{1,9})[)）]").unwrap());
    static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z][A-Za-z0-9']*").unwrap());
    let mut out = Vec::new();
    // "FWB (Firmware Workaround)"
    for c in AFTER.captures_iter(text) {
        let Some(letters) = acronym_letters(&c[1]) else {
            continue;
        };
        let inner = c[2].trim();
        if inner.contains(['#', '＃']) || inner.chars().any(is_cjk) {
            continue;
        }
        let words: Vec<&str> = WORD.find_iter(inner).map(|w| w.as_str()).collect();
        let significant: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| !SMALL.contains(&w.to_ascii_lowercase().as_str()))
            .collect();
        if words.len() < 2 || words.len() > 8 || significant.is_empty() {
            continue;
        }
        if inner.chars().filter(|c| c.is_ascii_digit()).count() * 3 > inner.len() {
            continue;
        }
        let first = significant[0].chars().next().unwrap().to_ascii_uppercase();
        let initials: Vec<char> = inner
            .split(|c: char| c.is_whitespace() || c == '-' || c == '‐')
            .filter(|w| !w.is_empty() && !SMALL.contains(&w.to_ascii_lowercase().as_str()))
            .filter_map(|w| w.chars().next())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let spelled = initials == letters;
        let titled = significant
            .iter()
            .all(|w| w.chars().next().is_some_and(|c| c.is_ascii_uppercase()));
        if first != letters[0] || !(spelled || titled) {
            continue; // "KVM (the hypervisor)" explains, it does not expand
        }
        let g = c.get(0).unwrap();
        judge_expansion(
            &c[1],
            inner,
            spelled,
            m,
            text,
            (g.start(), g.end()),
            &mut out,
            notes,
        );
    }
    // "Forced Write-Back (FWB)": the words before whose initials spell it.
    for c in BEFORE.captures_iter(text) {
        let Some(letters) = acronym_letters(&c[1]) else {
            continue;
        };
        let g = c.get(0).unwrap();
        let head = &text[..g.start()];
        // Word parts backwards (hyphenated words count per part).
        let words: Vec<(usize, usize)> =
            WORD.find_iter(head).map(|w| (w.start(), w.end())).collect();
        let mut need = letters.len();
        let mut k = words.len();
        let mut start = None;
        while k > 0 && need > 0 {
            k -= 1;
            let (ws, we) = words[k];
            // Only the words right before the parenthesis, on the same line.
            let gap_to_next = if k + 1 < words.len() {
                &head[we..words[k + 1].0]
            } else {
                &head[we..]
            };
            if gap_to_next.contains('\n') || gap_to_next.trim().chars().any(|c| !"-‐".contains(c))
            {
                break;
            }
            let w = &head[ws..we];
            let init = w.chars().next().unwrap().to_ascii_uppercase();
            if init == letters[need - 1] {
                need -= 1;
                start = Some(ws);
            } else if !SMALL.contains(&w.to_ascii_lowercase().as_str()) {
                break;
            }
        }
        let spelled = start.is_some() && need == 0;
        let s = match start {
            Some(s) if need == 0 => s,
            // The initials do not spell it: an expansion still when
            // capitalised words run up to the parenthesis from a word
            // with the acronym's first letter ("Firmware Workaround
            // (FWB)").
            _ => match title_run(head, &words, letters[0]) {
                Some(s) => s,
                None => continue,
            },
        };
        let exp = text[s..g.start()].trim();
        judge_expansion(&c[1], exp, spelled, m, text, (s, g.end()), &mut out, notes);
    }
    out
}

/// Start of the longest run of capitalised words (small words allowed
/// inside) that ends right before the end of `head` and starts with a word
/// whose initial is `first`; at least two words.
fn title_run(head: &str, words: &[(usize, usize)], first: char) -> Option<usize> {
    let mut best = None;
    let mut count = 0;
    let mut k = words.len();
    while k > 0 && count < 6 {
        k -= 1;
        let (ws, we) = words[k];
        let gap = if k + 1 < words.len() {
            &head[we..words[k + 1].0]
        } else {
            &head[we..]
        };
        if gap.contains('\n') || gap.trim().chars().any(|c| !"-‐".contains(c)) {
            break;
        }
        let w = &head[ws..we];
        let c0 = w.chars().next().unwrap_or(' ');
        if SMALL.contains(&w.to_ascii_lowercase().as_str()) && count > 0 {
            continue;
        }
        if !c0.is_ascii_uppercase() {
            break;
        }
        // A hyphenated word counts once.
        if !gap.contains('-') && !gap.contains('‐') {
            count += 1;
        }
        if c0 == first && count >= 2 {
            best = Some(ws);
        }
    }
    best
}

/// Statements with content and no citation.
fn check_uncited(text: &str, statements: &[Statement]) -> Vec<Found> {
    statements
        .iter()
        .filter(|s| s.needs_citation && s.cites.is_empty())
        .map(|s| Found::at(ProblemKind::Uncited, text, s.start, s.end))
        .collect()
}

/// The verdict for `problems` over `statements` statements, of which
/// `flagged` have a problem.
pub fn verdict(problems: &[Problem], statements: usize, flagged: usize, mode: Mode) -> Verdict {
    if problems.is_empty() {
        return Verdict::Grounded;
    }
    if mode == Mode::Strict || problems.iter().any(|p| p.kind.serious()) || flagged * 3 > statements
    {
        Verdict::Rejected
    } else {
        Verdict::Flagged
    }
}

/// Check `text` against the thread's material and the archive's people.
pub fn check(text: &str, m: &ThreadMaterial, people: &KnownPeople, mode: Mode) -> Checked {
    let citations = parse_citations(text);
    let stmts = statements(text);
    // Spans of citations are not read as versions, names or identifiers.
    let cite_ranges: Vec<(usize, usize)> = citations.iter().map(|c| (c.start, c.end)).collect();
    let plain = mask(text, &cite_ranges);
    let mut found = check_citations(text, &citations, m);
    found.extend(check_names(&plain, m, people));
    found.extend(check_versions(&plain, m));
    found.extend(check_identifiers(&plain, m));
    let mut notes = Vec::new();
    found.extend(check_expansions(&plain, m, &mut notes));
    found.extend(check_uncited(text, &stmts));
    if let Some(f) = &m.facts {
        let more = claims::check(&plain, &stmts, f, &found);
        found.extend(more);
    }
    found.sort_by_key(|f| (f.start, f.kind));
    let mut problems: Vec<Problem> = Vec::new();
    let mut flagged: HashSet<usize> = HashSet::new();
    for f in found {
        let st = stmts
            .iter()
            .position(|s| f.start >= s.start && f.start < s.end.max(s.start + 1));
        if let Some(i) = st {
            flagged.insert(i);
        }
        let p = Problem {
            kind: f.kind,
            text: f.text.chars().take(200).collect(),
            statement: st,
        };
        if !problems
            .iter()
            .any(|q| q.kind == p.kind && q.text == p.text && q.statement == p.statement)
        {
            problems.push(p);
        }
    }
    let cited = stmts.iter().filter(|s| !s.cites.is_empty()).count();
    let v = verdict(&problems, stmts.len(), flagged.len(), mode);
    Checked {
        grounding: Grounding {
            verdict: v,
            statements: stmts.len(),
            cited,
            problems,
            notes,
        },
        statements: stmts,
        citations,
    }
}

#[cfg(test)]
mod tests;
