//! People: every sender of the archive, well-known maintainers, and the
//! names a summary mentions.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::*;

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

    pub(super) fn add(&mut self, name: &str) {
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
        if toks
            .iter()
            .any(|t| word_lists().bot_words.contains(t.as_str()))
        {
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
                    || word_lists().particles.contains(w)
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

    /// Adds the names of [`well_known`] kernel developers.
    pub fn with_well_known(mut self) -> KnownPeople {
        for n in well_known() {
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

pub(super) fn is_common(lower: &str) -> bool {
    word_lists().common.contains(lower)
}

/// The word lists of `data/words.toml`.
#[derive(serde::Deserialize)]
pub(super) struct Words {
    pub(super) well_known: Vec<String>,
    pub(super) bot_words: HashSet<String>,
    pub(super) particles: HashSet<String>,
    pub(super) common: HashSet<String>,
    pub(super) abbreviations: HashSet<String>,
}

/// The shipped word lists.
pub const DEFAULT_WORDS_TOML: &str = include_str!("../../data/words.toml");

pub(super) fn word_lists() -> &'static Words {
    static W: LazyLock<Words> = LazyLock::new(|| {
        toml::from_str(DEFAULT_WORDS_TOML).expect("data/words.toml is valid (tested)")
    });
    &W
}

/// Abbreviations whose period ends no sentence (`abbreviations` in
/// `data/words.toml`, lower case, without the final period).
pub(super) fn abbreviations() -> &'static HashSet<String> {
    &word_lists().abbreviations
}

/// Kernel developers every kvmarm reader knows (`well_known` in
/// `data/words.toml`).
pub fn well_known() -> &'static [String] {
    &word_lists().well_known
}

/// Name-shaped tokens of the text and the spans of consecutive ones.
pub(super) fn name_spans(text: &str) -> Vec<Vec<(usize, usize)>> {
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
        } else if word_lists().particles.contains(w)
            && !cur.is_empty()
            && pending_particle.is_none()
        {
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

pub(super) fn token_lower(text: &str, s: usize, e: usize) -> String {
    let w = &text[s..e];
    let w = w
        .strip_suffix("'s")
        .or_else(|| w.strip_suffix("’s"))
        .unwrap_or(w);
    w.to_lowercase()
}

/// People named who are not participants of the thread.
pub(super) fn check_names(text: &str, m: &ThreadMaterial, people: &KnownPeople) -> Vec<Found> {
    let mut out = Vec::new();
    for span in name_spans(text) {
        let toks: Vec<(usize, usize)> = span
            .into_iter()
            .filter(|&(s, e)| !word_lists().particles.contains(&text[s..e]))
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
