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
mod material;
mod people;
mod statements;

pub use glossary::Glossary;
use glossary::check_expansions;
pub use material::*;
pub use people::*;
pub use statements::*;

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

/// A grounding mode that is none of `mark`, `strict`, `off`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown grounding mode {0:?} (mark, strict, off)")]
pub struct UnknownMode(pub String);

impl FromStr for Mode {
    type Err = UnknownMode;
    fn from_str(s: &str) -> Result<Mode, UnknownMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mark" => Ok(Mode::Mark),
            "strict" => Ok(Mode::Strict),
            "off" | "none" => Ok(Mode::Off),
            _ => Err(UnknownMode(s.to_string())),
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
        if !m.text.contains(path) && !subsystem_prefix(&segs, m) {
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

/// "KVM/arm64" for a thread whose subjects say "KVM: arm64:": two plain
/// words that the material has as a subsystem prefix.
fn subsystem_prefix(segs: &[&str], m: &ThreadMaterial) -> bool {
    match segs {
        [a, b] if !a.is_empty() && !b.is_empty() => {
            segs.iter().all(|s| !s.contains(['.', '_']))
                && !TREE_DIRS.contains(a)
                && m.text.contains(&format!("{a}: {b}:"))
        }
        _ => false,
    }
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

/// Check `text` against the thread's material and the archive's people,
/// with the shipped glossary.
pub fn check(text: &str, m: &ThreadMaterial, people: &KnownPeople, mode: Mode) -> Checked {
    check_with(text, m, people, Glossary::builtin(), mode)
}

/// [`check`] with `glossary` (the shipped one extended by the
/// configuration's `[glossary]`).
pub fn check_with(
    text: &str,
    m: &ThreadMaterial,
    people: &KnownPeople,
    glossary: &Glossary,
    mode: Mode,
) -> Checked {
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
    found.extend(check_expansions(glossary, &plain, m, &mut notes));
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
