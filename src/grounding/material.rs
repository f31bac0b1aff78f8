//! The material of a thread a summary is checked against: facts, subjects,
//! bodies and participants.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::*;

// ---------------------------------------------------------------------------
// What the thread contains
// ---------------------------------------------------------------------------

/// Lower-case name tokens of a person's name as written ("Zyngier, Marc",
/// "Marc Zyngier (Arm)", "marc.zyngier@…").
pub(super) fn name_tokens(name: &str) -> Vec<String> {
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
    pub(super) text: String,
    /// The text lower-cased, `-`/`_` as spaces, blanks collapsed.
    pub(super) folded: String,
    /// Words of the text as written, and lower-case words that are written
    /// in lower case somewhere (common words, not names).
    pub(super) words: HashSet<String>,
    pub(super) lower_words: HashSet<String>,
    /// Versions found (normalized, see [`norm_version`]), and `N/M` parts.
    pub(super) versions: HashSet<String>,
    pub(super) parts: HashSet<(u32, u32)>,
    /// Name tokens of each participant.
    pub(super) participants: Vec<Vec<String>>,
    /// The text [`glossary::normalize`]d, between spaces (made when first
    /// needed).
    pub(super) normalized: std::sync::OnceLock<String>,
    /// The thread's facts, for claims (absent for material made of texts).
    pub(super) facts: Option<claims::Facts>,
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
    pub(super) fn pieces(t: &ThreadView) -> (Vec<String>, Vec<String>) {
        let mut texts: Vec<String> = vec![crate::digest::facts::facts(t)];
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
        for g in r.all_given() {
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

    pub(super) fn is_participant(&self, tokens: &[String]) -> bool {
        !tokens.is_empty()
            && self
                .participants
                .iter()
                .any(|p| tokens.iter().all(|t| p.contains(t)))
    }

    pub(super) fn has_word(&self, w: &str) -> bool {
        self.words.contains(w)
    }

    /// `phrase` appears in the text as written, at word boundaries.
    pub(super) fn has_phrase(&self, phrase: &str) -> bool {
        contains_word(&self.text, phrase)
    }
}

/// `needle` in `hay` with no letter or digit right before or after it.
pub(super) fn contains_word(hay: &str, needle: &str) -> bool {
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
pub(super) fn fold(s: &str) -> String {
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
pub(super) fn body_people(text: &str) -> Vec<String> {
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
pub(super) fn attribution_name(s: &str) -> String {
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
pub(super) fn word_spans(text: &str) -> Vec<(usize, usize)> {
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
