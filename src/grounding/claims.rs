//! Claims a statement makes about the thread, checked against its facts:
//! trailers (who gave which kind), attribution (who wrote a cited mail),
//! status (applied, merged, NAKed, no replies), version (`vN`, `vN → vM`)
//! and count (`an N-patch series`), in English and Chinese.
//!
//! A claim is only judged when its subject is clear (a participant's name,
//! the series itself); anything else is left to the token checks.

use std::sync::LazyLock;

use regex::Regex;

use super::{Found, ProblemKind, Statement, name_tokens};
use crate::digest::ThreadView;

/// The facts of one thread that claims are checked against.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The series' newest version in the thread (0: no patch mail).
    pub version: u32,
    /// Versions posted in the thread, the previous and the next one.
    pub versions: Vec<u32>,
    pub previous: Option<u32>,
    pub next: Option<u32>,
    /// Patches of the series (`M` of `N/M`) and patch mails.
    pub total: Option<u32>,
    pub patch_mails: usize,
    /// An applied notice, a NAK, and the number of replies.
    pub applied: bool,
    pub nak: bool,
    pub replies: usize,
    /// Trailers given or carried: kind ("Reviewed-by") and name.
    pub trailers: Vec<(String, String)>,
    /// Trailers whose patch is known: kind, name and patch number (`N` of
    /// `N/M`; 0, the cover letter, covers every patch).
    pub patch_trailers: Vec<(String, String, u32)>,
    /// Per mail (`#n` is index n-1): the sender, and the folded body.
    pub senders: Vec<String>,
    pub bodies: Vec<String>,
}

impl Facts {
    /// Facts of a thread of a digest.
    pub fn of_thread(t: &ThreadView) -> Facts {
        let s = &t.series.facts;
        let mut f = Facts {
            version: s.version,
            versions: s.versions.clone(),
            previous: t.series.previous_version.as_ref().map(|r| r.version),
            next: t.series.superseded_by.as_ref().map(|r| r.version),
            total: s.total,
            patch_mails: s.patch_mails,
            ..Facts::default()
        };
        if s.version > 0 && !f.versions.contains(&s.version) {
            f.versions.push(s.version);
        }
        f.applied = !t.review.applied.is_empty();
        f.nak = !t.review.naks.is_empty();
        f.replies = t.messages.len().saturating_sub(s.patch_mails);
        for m in &t.messages {
            f.senders.push(m.from_name.clone());
            f.bodies.push(super::fold(&m.body));
            f.applied |= m.facts.applied.is_some();
            f.nak |= m.facts.nak;
            for tr in &m.facts.trailers {
                let name = if tr.name.is_empty() {
                    tr.email.clone()
                } else {
                    tr.name.clone()
                };
                let kind = tr.kind.as_str().to_ascii_lowercase();
                if let Some((n, _)) = m.subject_info.part {
                    f.patch_trailers.push((kind.clone(), name.clone(), n));
                }
                f.trailers.push((kind, name));
            }
        }
        let r = &t.review;
        for (kind, list) in [
            ("reviewed-by", &r.reviewed_by),
            ("acked-by", &r.acked_by),
            ("tested-by", &r.tested_by),
        ] {
            for g in list {
                f.trailers.push((kind.to_string(), g.name.clone()));
                if let Some((n, _)) = crate::analysis::parse_subject(&g.patch).part {
                    f.patch_trailers.push((kind.to_string(), g.name.clone(), n));
                }
            }
        }
        f
    }

    /// Everyone the facts name: senders and trailer givers.
    fn people(&self) -> impl Iterator<Item = &String> {
        self.senders
            .iter()
            .chain(self.trailers.iter().map(|t| &t.1))
    }
}

/// `claimed` ("Marc", "Marc Zyngier") names `person`.
fn names(claimed: &str, person: &str) -> bool {
    let c = name_tokens(claimed);
    let p = name_tokens(person);
    !c.is_empty() && c.iter().all(|t| p.contains(t))
}

const NOT_NAMES: &[&str] = &[
    "the",
    "this",
    "that",
    "these",
    "it",
    "patch",
    "patches",
    "series",
    "he",
    "she",
    "they",
    "v1",
    "v2",
    "v3",
    "v4",
    "v5",
    "kvm",
    "both",
    "all",
    "each",
    "one",
    "which",
    "who",
    "and",
    "also",
    "later",
    "then",
    "finally",
    "a",
    "an",
    "some",
    "maintainer",
    "reviewer",
];

fn is_name(n: &str) -> bool {
    let first = n.split_whitespace().next().unwrap_or("");
    !first.is_empty()
        && first.chars().next().is_some_and(char::is_uppercase)
        && !NOT_NAMES.contains(&first.to_lowercase().as_str())
}

/// Negated, hedged or future wording: not a claim of a fact.
fn hedged(s: &str) -> bool {
    static EN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(not|no|yet|n't|pending|before|if|once|until|whether|would|could|should|may|might|will|asks?|asked|asking|wants?|plans?|expects?|hopes?|ready|requests?|requested|suggest\w*|ping\w*|awaiting|waiting|tried|try|cleanly|on top|against|rebased?|based)\b").unwrap()
    });
    EN.is_match(s)
        || [
            "未", "没有", "没", "尚", "待", "如果", "是否", "将", "请求", "希望", "基于",
        ]
        .iter()
        .any(|w| s.contains(w))
}

const NAME: &str = r"([A-Z][\p{L}'’.-]+(?:\s+[A-Z][\p{L}'’.-]+){0,3})";

fn trailer_kind(w: &str) -> Option<&'static str> {
    let w = w.to_ascii_lowercase();
    if w.starts_with("review") {
        Some("reviewed-by")
    } else if w.starts_with("ack") {
        Some("acked-by")
    } else if w.starts_with("test") {
        Some("tested-by")
    } else {
        None
    }
}

fn kind_label(k: &str) -> &'static str {
    match k {
        "reviewed-by" => "Reviewed-by",
        "acked-by" => "Acked-by",
        _ => "Tested-by",
    }
}

/// Trailer claims: "X's Reviewed-by", "Reviewed-by from X", "acked by X",
/// "X 给出了 Reviewed-by".
fn trailers(st: &str, f: &Facts, out: &mut Vec<(ProblemKind, usize, usize, String)>) {
    static RES: LazyLock<Vec<(Regex, usize, usize)>> = LazyLock::new(|| {
        let t = r"(Reviewed|Acked|Tested)-by";
        vec![
            (Regex::new(&format!(r"{NAME}[’']s\s+{t}")).unwrap(), 1, 2),
            (Regex::new(&format!(r"\b{t}(?:\s+tags?)?\s+(?:from|of|by)\s+{NAME}")).unwrap(), 2, 1),
            (Regex::new(&format!(r"\b(reviewed|acked|tested)\s+by\s+{NAME}")).unwrap(), 2, 1),
            (
                Regex::new(&format!(
                    r"{NAME}\s*(?:gave|has given|added|provided|offered|sent|给出了?|提供了?|添加了?|的)\s*(?:(?:a|an|his|her|their)\s+)?{t}"
                ))
                .unwrap(),
                1,
                2,
            ),
            (
                Regex::new(&format!(
                    r"{NAME}\s*(?:对|为|在)[^，。；,;]{{0,30}}?(?:给出了?|提供了?|添加了?)\s*{t}"
                ))
                .unwrap(),
                1,
                2,
            ),
            (
                Regex::new(&format!(r"{NAME}\s+(acked|tested)\s+(?:patch|the|it|this|all|both|\d)")).unwrap(),
                1,
                2,
            ),
        ]
    });
    for (re, ni, ki) in RES.iter() {
        for c in re.captures_iter(st) {
            let name = c[*ni].trim_end_matches(['.', '’', '\'']).trim();
            let Some(kind) = trailer_kind(&c[*ki]) else {
                continue;
            };
            if !is_name(name) || !f.people().any(|p| names(name, p)) {
                continue; // unknown people are the name check's business
            }
            let givers: Vec<&String> = f
                .trailers
                .iter()
                .filter(|(k, _)| k == kind)
                .map(|(_, n)| n)
                .collect();
            let g = c.get(0).unwrap();
            if givers.iter().any(|g| names(name, g)) {
                if let Some(what) = on_named_patches(st, g.start(), g.end(), name, kind, f) {
                    out.push((ProblemKind::Trailer, g.start(), g.end(), what));
                }
                continue;
            }
            let what = if givers.is_empty() {
                format!("no {} in the thread", kind_label(kind))
            } else {
                let mut v: Vec<&str> = givers.iter().map(|s| s.as_str()).collect();
                v.dedup();
                format!("{} was given by {}", kind_label(kind), v.join(", "))
            };
            out.push((ProblemKind::Trailer, g.start(), g.end(), what));
        }
    }
}

/// The patch numbers a trailer claim at `start..end` of `st` names ("on
/// patch 3", "1/3", "patches 1 and 2", "第 2 个补丁"), looked for in its
/// clause (up to `;`, `。`, or a comma not in a list of numbers).
fn named_patches(st: &str, start: usize, end: usize) -> Vec<u32> {
    static BOUND: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[;；。，]|,\s*(?:[^\d\s]|$)").unwrap());
    static PATCH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(\d{1,3})/\d{1,3}\b|\bpatch(?:es)?\s+((?:\d{1,3}(?:\s*(?:,|and|&)\s*)?)+)|第\s*(\d{1,3})\s*个补丁").unwrap()
    });
    let from = BOUND.find_iter(&st[..start]).last().map_or(0, |m| m.end());
    let to = BOUND.find_at(st, end).map_or(st.len(), |m| m.start());
    let mut out = Vec::new();
    for c in PATCH.captures_iter(&st[from..to]) {
        let nums = c
            .get(1)
            .or(c.get(2))
            .or(c.get(3))
            .map_or("", |m| m.as_str());
        for n in nums.split(|ch: char| !ch.is_ascii_digit()) {
            if let Ok(n) = n.parse::<u32>()
                && !out.contains(&n)
            {
                out.push(n);
            }
        }
    }
    out
}

/// A trailer `name` gave (`kind`) claimed on patches its own mails do not
/// carry it on: what the facts say, when they know the patches.
fn on_named_patches(
    st: &str,
    start: usize,
    end: usize,
    name: &str,
    kind: &str,
    f: &Facts,
) -> Option<String> {
    let named = named_patches(st, start, end);
    if named.is_empty() {
        return None;
    }
    // Every trailer of this kind by this person must have a known patch.
    let known = f
        .patch_trailers
        .iter()
        .filter(|(k, n, _)| k == kind && names(name, n))
        .count();
    let all = f
        .trailers
        .iter()
        .filter(|(k, n)| k == kind && names(name, n))
        .count();
    if known == 0 || known < all {
        return None;
    }
    let theirs: Vec<u32> = f
        .patch_trailers
        .iter()
        .filter(|(k, n, _)| k == kind && names(name, n))
        .map(|t| t.2)
        .collect();
    if theirs.contains(&0) {
        return None; // on the cover letter: the whole series
    }
    let wrong: Vec<u32> = named.into_iter().filter(|n| !theirs.contains(n)).collect();
    let n = *wrong.first()?;
    let mut by: Vec<&str> = f
        .patch_trailers
        .iter()
        .filter(|(k, _, p)| k == kind && (*p == n || *p == 0))
        .map(|t| t.1.as_str())
        .collect();
    by.dedup();
    Some(if by.is_empty() {
        format!("no {} on patch {n}", kind_label(kind))
    } else {
        format!(
            "{} on patch {n} was given by {}",
            kind_label(kind),
            by.join(", ")
        )
    })
}

/// Attribution claims: "X said/asked/suggested … [#n]", "X 指出 …".
fn attribution(
    st: &str,
    cites: &[usize],
    f: &Facts,
    out: &mut Vec<(ProblemKind, usize, usize, String)>,
) {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"{NAME}\s*(?:said|says|asked|asks|suggested|suggests|pointed (?:out|to)|points (?:out|to)|replied|replies|noted|notes|argued|proposed|objected|questioned|wondered|commented|explained|agreed|disagreed|confirmed|responded|answered|表示|指出|建议|询问|问道|回复|回应|认为|提出|提到|质疑|同意|确认|解释|答复)"
        ))
        .unwrap()
    });
    if cites.is_empty() || f.senders.is_empty() {
        return;
    }
    for c in RE.captures_iter(st) {
        let name = c[1].trim();
        if !is_name(name) || !f.people().any(|p| names(name, p)) {
            continue;
        }
        let ok = cites.iter().any(|&n| {
            n >= 1
                && n <= f.senders.len()
                && (f.senders[n - 1].trim().is_empty()
                    || names(name, &f.senders[n - 1])
                    || name_tokens(name)
                        .iter()
                        .all(|t| f.bodies[n - 1].contains(t.as_str())))
        });
        if ok {
            continue;
        }
        let writers: Vec<String> = cites
            .iter()
            .filter(|&&n| n >= 1 && n <= f.senders.len())
            .map(|&n| format!("#{n} was written by {}", f.senders[n - 1]))
            .collect();
        if writers.is_empty() {
            continue;
        }
        let g = c.get(0).unwrap();
        out.push((
            ProblemKind::Attribution,
            g.start(),
            g.end(),
            writers.join("; "),
        ));
    }
}

/// Status claims: applied / merged / queued / picked up / pulled, NAKed,
/// no replies yet.
fn status(st: &str, f: &Facts, out: &mut Vec<(ProblemKind, usize, usize, String)>) {
    static APPLIED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:applied|merged|queued|picked up|pulled)\b|已合入|已合并|合入了|合并了|已应用|已被应用|已排队|已入队|已被接受|已被合入|被合入").unwrap()
    });
    static NAKED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\bn(?:ack|ak)(?:ed)?\b|拒绝了").unwrap());
    static NO_REPLY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\bno (?:replies|reply|responses?|reviews?|comments?)(?: yet| so far)?\b|\bunanswered\b|尚无回复|没有回复|暂无回复|无人回复|未收到回复").unwrap()
    });
    if let Some(m) = NO_REPLY.find(st)
        && f.replies > 0
    {
        out.push((
            ProblemKind::Status,
            m.start(),
            m.end(),
            format!(
                "the thread has {} repl{}",
                f.replies,
                if f.replies == 1 { "y" } else { "ies" }
            ),
        ));
        return;
    }
    if hedged(st) {
        return;
    }
    if let Some(m) = APPLIED.find(st)
        && !f.applied
    {
        out.push((
            ProblemKind::Status,
            m.start(),
            m.end(),
            "no applied notice in the thread".into(),
        ));
    }
    if let Some(m) = NAKED.find(st)
        && !f.nak
    {
        out.push((
            ProblemKind::Status,
            m.start(),
            m.end(),
            "no NAK in the thread".into(),
        ));
    }
}

fn chain(f: &Facts) -> String {
    let mut s = format!("the series is v{}", f.version);
    if let Some(p) = f.previous {
        s.push_str(&format!(" (previous version v{p})"));
    }
    s
}

/// Version claims: "this vN", "vN of the series", "vN → vM", "since vN".
fn version(st: &str, f: &Facts, out: &mut Vec<(ProblemKind, usize, usize, String)>) {
    static ARROW: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\bv(\d{1,3})\s*(?:→|->|=>|⇒|to)\s*v(\d{1,3})\b").unwrap()
    });
    static THIS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:this|the current|the new|the latest|posted|sent|sends|posts|reposted)\s+v(\d{1,3})\b(?:[^.\d]|$)|\bv(\d{1,3})\s+(?:of (?:the|this|his|her|their) (?:series|patch set|patchset)|series|patch set|patchset)\b|第\s*(\d{1,3})\s*版|\bv(\d{1,3})\s*(?:版本?|系列)").unwrap()
    });
    static SINCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\bsince v(\d{1,3})\b|自\s*v(\d{1,3})\s*以来|相比\s*v(\d{1,3})").unwrap()
    });
    if f.version == 0 {
        return;
    }
    let known = |n: u32| f.versions.contains(&n) || f.next == Some(n);
    for c in ARROW.captures_iter(st) {
        let (a, b): (u32, u32) = (c[1].parse().unwrap_or(0), c[2].parse().unwrap_or(0));
        if a >= b || !known(b) {
            let g = c.get(0).unwrap();
            out.push((ProblemKind::Version, g.start(), g.end(), chain(f)));
        }
    }
    for c in THIS.captures_iter(st) {
        let n: u32 = (1..=4)
            .find_map(|i| c.get(i))
            .and_then(|m| m.as_str().parse().ok())
            .unwrap_or(0);
        if !known(n) && f.previous != Some(n) {
            let g = c.get(0).unwrap();
            out.push((ProblemKind::Version, g.start(), g.end(), chain(f)));
        }
    }
    for c in SINCE.captures_iter(st) {
        let n: u32 = (1..=3)
            .find_map(|i| c.get(i))
            .and_then(|m| m.as_str().parse().ok())
            .unwrap_or(0);
        if n >= f.version {
            let g = c.get(0).unwrap();
            out.push((ProblemKind::Version, g.start(), g.end(), chain(f)));
        }
    }
}

fn number(w: &str) -> Option<u32> {
    const WORDS: &[&str] = &[
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    w.parse().ok().or_else(|| {
        WORDS
            .iter()
            .position(|x| x.eq_ignore_ascii_case(w))
            .map(|i| i as u32)
    })
}

/// Count claims: "an N-patch series", "a series of N patches", "共 N 个补丁".
fn count(st: &str, f: &Facts, out: &mut Vec<(ProblemKind, usize, usize, String)>) {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)[- ](?:patch|part) (?:series|set|patchset)\b|\b(?:series|set) (?:of|with|has|contains|containing) (\d{1,3}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) patches\b|\ball (\d{1,3}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) patches\b|(?:共|包含|包括|含)\s*(\d{1,3})\s*个补丁").unwrap()
    });
    let Some(total) = f.total else {
        return;
    };
    for c in RE.captures_iter(st) {
        let Some(n) = (1..=4)
            .find_map(|i| c.get(i))
            .and_then(|m| number(m.as_str()))
        else {
            continue;
        };
        if n != total && n as usize != f.patch_mails {
            let g = c.get(0).unwrap();
            out.push((
                ProblemKind::Count,
                g.start(),
                g.end(),
                format!(
                    "the series has {total} patch{}",
                    if total == 1 { "" } else { "es" }
                ),
            ));
        }
    }
}

/// Claims of every statement of `plain` (the summary, citations masked)
/// that contradict `f`.
/// `s` with quoted text (“…”, "…", 「…」) blanked, byte offsets kept: a
/// quote is what someone wrote, not a claim of the summary.
fn unquoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    let mut ascii = false;
    for c in s.chars() {
        let open = matches!(c, '“' | '「' | '『') || (c == '"' && !ascii);
        let close = matches!(c, '”' | '」' | '』') || (c == '"' && ascii);
        if c == '"' {
            ascii = !ascii;
        }
        if open && c != '"' {
            depth += 1;
        }
        let inside = depth > 0 || ascii || close;
        if close && c != '"' {
            depth = depth.saturating_sub(1);
        }
        if inside && !open || (c == '"' && open) {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

/// A claim whose span already holds a problem of the same kind found by
/// the token checks (in `earlier`) is not repeated.
pub(super) fn check(
    plain: &str,
    statements: &[Statement],
    f: &Facts,
    earlier: &[Found],
) -> Vec<Found> {
    let plain = &unquoted(plain);
    let mut out = Vec::new();
    for s in statements {
        let (a, b) = (s.start.min(plain.len()), s.end.min(plain.len()));
        let Some(st) = plain.get(a..b) else {
            continue;
        };
        let mut found = Vec::new();
        trailers(st, f, &mut found);
        attribution(st, &s.cites, f, &mut found);
        status(st, f, &mut found);
        version(st, f, &mut found);
        count(st, f, &mut found);
        for (kind, x, y, what) in found {
            if earlier
                .iter()
                .any(|e| e.kind == kind && (a + x..a + y).contains(&e.start))
            {
                continue;
            }
            out.push(Found {
                kind,
                start: a + x,
                text: format!("{} — {what}", st[x..y].trim()),
            });
        }
    }
    out
}
