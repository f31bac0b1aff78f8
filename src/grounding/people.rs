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

pub(super) const BOT_WORDS: &[&str] = &[
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

pub(super) const PARTICLES: &[&str] = &[
    "van", "von", "de", "der", "den", "da", "di", "du", "le", "la", "dos", "del", "bin", "al",
    "ter",
];

/// Words that are not names even when capitalised: English function
/// words, sentence starters, the report's labels, months and days,
/// kernel and company words. A name token found here is never taken for
/// a person on its own.
pub(super) const COMMON: &[&str] = &[
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

pub(super) fn is_common(lower: &str) -> bool {
    static SET: LazyLock<HashSet<&'static str>> =
        LazyLock::new(|| COMMON.iter().copied().collect());
    SET.contains(lower)
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
