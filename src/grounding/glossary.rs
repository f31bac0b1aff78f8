//! Acronyms and their accepted expansions (`data/glossary.toml`).
//!
//! An expansion the summary gives ("FWB (Force Write-Back)") is accepted
//! when it matches an entry here or the thread's own wording, comparing
//! [`normalize`]d text: case, articles, plurals, hyphens and punctuation
//! do not matter.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use super::{Found, ProblemKind, ThreadMaterial, fold, is_cjk};

/// The default glossary, as shipped.
pub const DEFAULT_GLOSSARY_TOML: &str = include_str!("../../data/glossary.toml");

/// A glossary could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GlossaryError {
    #[error("glossary: {0}")]
    Toml(#[from] toml::de::Error),
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    acronyms: HashMap<String, Vec<String>>,
}

/// Acronyms (compared ignoring case) and their normalized expansions.
#[derive(Debug, Clone, Default)]
pub struct Glossary {
    map: HashMap<String, Vec<String>>,
}

/// What the glossary says of an expansion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// One of the accepted expansions.
    Accepted,
    /// The acronym is listed and this is none of its expansions.
    Contradicts,
    /// The acronym is not listed.
    Unknown,
}

impl Glossary {
    /// Parse a table in the format of `data/glossary.toml`.
    pub fn from_toml(s: &str) -> Result<Glossary, GlossaryError> {
        let f: File = toml::from_str(s)?;
        let mut g = Glossary::default();
        g.extend(f.acronyms);
        Ok(g)
    }

    /// Add entries (a user's table adds to the shipped one).
    pub fn extend(&mut self, entries: HashMap<String, Vec<String>>) {
        for (k, v) in entries {
            let e = self.map.entry(k.to_lowercase()).or_default();
            for x in v {
                let n = normalize(&x);
                if !n.is_empty() && !e.contains(&n) {
                    e.push(n);
                }
            }
        }
    }

    /// The shipped glossary.
    pub fn builtin() -> &'static Glossary {
        static G: LazyLock<Glossary> = LazyLock::new(|| {
            Glossary::from_toml(DEFAULT_GLOSSARY_TOML)
                .expect("data/glossary.toml is valid (tested)")
        });
        &G
    }

    /// Number of acronyms.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// No acronyms.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Judge `expansion` given for `acronym`.
    pub fn judge(&self, acronym: &str, expansion: &str) -> Judgement {
        let Some(accepted) = self.map.get(&acronym.to_lowercase()) else {
            return Judgement::Unknown;
        };
        let n = normalize(expansion);
        if accepted.contains(&n) {
            Judgement::Accepted
        } else {
            Judgement::Contradicts
        }
    }
}

/// Lower-case words separated by one space, without articles and
/// punctuation, plurals as singulars ("the Extended Page-Tables" →
/// "extended page table").
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        let lw = w.to_lowercase();
        if matches!(lw.as_str(), "a" | "an" | "the" | "and") {
            continue;
        }
        let lw = singular(&lw);
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(lw);
    }
    out
}

fn singular(w: &str) -> &str {
    if w.chars().count() > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
        &w[..w.len() - 1]
    } else {
        w
    }
}

// ---------------------------------------------------------------------------
// Expansions in a summary
// ---------------------------------------------------------------------------

/// Uppercase letters of an acronym ("PAuth" → "PA"), or None when the word
/// is not an acronym.
pub(super) fn acronym_letters(w: &str) -> Option<Vec<char>> {
    let n = w.chars().count();
    if !(2..=10).contains(&n) || !w.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let up: Vec<char> = w.chars().filter(char::is_ascii_uppercase).collect();
    let letters = w.chars().filter(char::is_ascii_alphabetic).count();
    (up.len() >= 2 && up.len() * 2 >= letters).then_some(up)
}

pub(super) const SMALL: &[&str] = &[
    "of", "the", "and", "for", "to", "in", "on", "a", "an", "with", "by", "at",
];

/// Judge one expansion `exp` of `acronym` (at `span` of `text`): fine when
/// the thread words it so or the glossary lists it; a problem when it
/// contradicts the glossary, or when the glossary does not know the acronym
/// and the expansion's initials do not spell it; otherwise a note.
#[allow(clippy::too_many_arguments)]
pub(super) fn judge_expansion(
    glossary: &Glossary,
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
    let n = normalize(exp);
    let normalized = m
        .normalized
        .get_or_init(|| format!(" {} ", normalize(&m.text)));
    if !n.is_empty() && normalized.contains(&format!(" {n} ")) {
        return;
    }
    match glossary.judge(acronym, exp) {
        Judgement::Accepted => {}
        Judgement::Unknown if spelled => {
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
pub(super) fn check_expansions(
    glossary: &Glossary,
    text: &str,
    m: &ThreadMaterial,
    notes: &mut Vec<String>,
) -> Vec<Found> {
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
            glossary,
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
        judge_expansion(
            glossary,
            &c[1],
            exp,
            spelled,
            m,
            text,
            (s, g.end()),
            &mut out,
            notes,
        );
    }
    out
}

/// Start of the longest run of capitalised words (small words allowed
/// inside) that ends right before the end of `head` and starts with a word
/// whose initial is `first`; at least two words.
pub(super) fn title_run(head: &str, words: &[(usize, usize)], first: char) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_glossary_parses_with_several_hundred_acronyms() {
        assert!(
            Glossary::builtin().len() >= 300,
            "{}",
            Glossary::builtin().len()
        );
    }

    #[test]
    fn expansion_matches_ignoring_case_articles_plurals_hyphens() {
        let g = Glossary::builtin();
        assert_eq!(
            g.judge("VHE", "Virtualization Host Extensions"),
            Judgement::Accepted
        );
        assert_eq!(g.judge("wfi", "wait for an interrupt"), Judgement::Accepted);
        assert_eq!(
            g.judge("TDP", "Two Dimensional Paging"),
            Judgement::Accepted
        );
        assert_eq!(
            g.judge("RAS", "Reliability, Availability, and Serviceability"),
            Judgement::Accepted
        );
        assert_eq!(g.judge("FWB", "Forced Write Back"), Judgement::Accepted);
    }

    #[test]
    fn wrong_expansion_of_a_listed_acronym_contradicts() {
        let g = Glossary::builtin();
        assert_eq!(
            g.judge("FWB", "Firmware Workaround"),
            Judgement::Contradicts
        );
        assert_eq!(
            g.judge("PSCI", "Power State Control Interface"),
            Judgement::Contradicts
        );
        assert_eq!(g.judge("XYZQ", "X Y Z Q"), Judgement::Unknown);
    }

    #[test]
    fn user_entries_add_to_the_shipped_ones() {
        let mut g = Glossary::builtin().clone();
        g.extend(HashMap::from([(
            "FWB".to_string(),
            vec!["Firmware Workaround".to_string()],
        )]));
        assert_eq!(g.judge("FWB", "Firmware Workaround"), Judgement::Accepted);
        assert_eq!(g.judge("FWB", "Force Write-Back"), Judgement::Accepted);
    }
}
