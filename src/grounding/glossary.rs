//! Acronyms and their accepted expansions (`data/glossary.toml`).
//!
//! An expansion the summary gives ("FWB (Force Write-Back)") is accepted
//! when it matches an entry here or the thread's own wording, comparing
//! [`normalize`]d text: case, articles, plurals, hyphens and punctuation
//! do not matter.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

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
