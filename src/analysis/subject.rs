//! Subject-line parsing: reply prefixes, the leading `[...]` tag groups of
//! kernel mailing lists (`[PATCH v3 02/14]`, `[RFC PATCH]`, `[GIT PULL]`,
//! `[PATCH 5.10 012/100]`, `[PATCH kvmtool]`, …) and the title left over.
//!
//! Only the groups at the *start* of the subject (possibly mixed with reply
//! prefixes, as in `Re: [PATCH] …` or `[External] Re: …`) are tags; brackets
//! later in the subject are part of the title (`PSTATE[SHIFT|SIZE]`).

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// What the subject line of one mail says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SubjectInfo {
    /// A reply or forward: the subject started with `Re:`, `Aw:`, `Fwd:`, … .
    pub is_reply: bool,
    /// Among the prefixes was a forward (`Fwd:`, `Fw:`).
    pub forwarded: bool,
    /// Every word of every leading bracket group, upper-cased, split where
    /// words were glued (`PATCHv3` → `PATCH`, `V3`; `RFC/RFT` → `RFC`,
    /// `RFT`), patch numbers without leading zeros (`02/14` → `2/14`),
    /// sorted and without duplicates: `[RFC PATCH v3 2/14]` and
    /// `[PATCH RFC v3 02/14]` give the same list.
    pub tags: Vec<String>,
    /// A `PATCH` tag, or a version together with a patch number (`[v2 1/3]`).
    pub patch: bool,
    /// An `RFC` tag (`[RFC]`, `[RFC PATCH]`, `[PATCH RFC]`, `[PATCH RFCv2]`).
    pub rfc: bool,
    /// A `RESEND` or `REPOST` tag.
    pub resend: bool,
    /// A `PULL` tag (`[GIT PULL]`, `[PULL 00/12]`).
    pub pull: bool,
    /// `vN` (case-insensitive, `v2.5` gives 2); `None` when not given.
    pub version: Option<u32>,
    /// `N/M`; cover letters are `(0, M)`.
    pub part: Option<(u32, u32)>,
    /// A stable-tree marker: `stable`, `for-stable-5.10`, `AUTOSEL`,
    /// `MANUALSEL`, or a bare kernel version inside a patch group
    /// (`[PATCH 5.10 012/100]`).
    pub stable: bool,
    /// The stable kernel version named (`"5.10"`, `"6.6"`), when one is.
    pub stable_version: Option<String>,
    /// `[PATCH AUTOSEL …]`: a patch picked for stable by the selection bot.
    pub autosel: bool,
    /// Words of patch groups that are not markers: a sub-project, tree or
    /// branch (`kvm-unit-tests`, `kvmtool`, `-next`), lower-cased, in order.
    pub subsystem_tags: Vec<String>,
    /// Words of bracket groups that carry no marker at all (`[Question]`,
    /// `[External]`, `[kvmtool]`), lower-cased, in order. Still in `tags`,
    /// so kind rules can use them.
    pub other_tags: Vec<String>,
    /// The subject without reply prefixes and leading tag groups, white
    /// space collapsed.
    pub title: String,
    /// `title` lower-cased: the key that matches versions of one series
    /// across threads.
    pub series_key: String,
}

impl SubjectInfo {
    /// The series version, counting a subject without `vN` as version 1.
    pub fn effective_version(&self) -> u32 {
        self.version.unwrap_or(1)
    }

    /// True when the subject carries tag `tag` (case-insensitive).
    pub fn has_tag(&self, tag: &str) -> bool {
        let up = tag.to_uppercase();
        self.tags.contains(&up)
    }

    /// A patch mail of a series rather than a discussion: not a reply and
    /// either a `PATCH` tag or a patch number.
    pub fn is_patch_mail(&self) -> bool {
        !self.is_reply && (self.patch || self.part.is_some())
    }
}

/// Collapse folding and runs of white space into single spaces.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Length of a reply/forward prefix at the start of `s` and whether it is a
/// forward.
fn reply_prefix(s: &str) -> Option<(usize, bool)> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^(re|aw|sv|antw|odp|fwd|fw|回复|回覆|答复|转发)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]",
        )
        .unwrap()
    });
    let c = RE.captures(s)?;
    let word = c[1].to_lowercase();
    Some((c[0].len(), matches!(word.as_str(), "fwd" | "fw" | "转发")))
}

/// Words that make a bracket group a patch/pull/stable group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Patch,
    Rfc,
    Rft,
    Resend,
    Git,
    Pull,
    Autosel,
    Manualsel,
    Stable,
}

fn marker(word_upper: &str) -> Option<Marker> {
    Some(match word_upper {
        "PATCH" | "PATCHES" | "PATCHSET" => Marker::Patch,
        "RFC" => Marker::Rfc,
        "RFT" => Marker::Rft,
        "RESEND" | "REPOST" => Marker::Resend,
        "GIT" => Marker::Git,
        "PULL" => Marker::Pull,
        "AUTOSEL" => Marker::Autosel,
        "MANUALSEL" => Marker::Manualsel,
        "STABLE" | "STABLE-RC" => Marker::Stable,
        _ => return None,
    })
}

/// Split one bracket group into words: on white space and commas, drop
/// parentheses, split glued markers (`PATCHv3`, `RFC/RFT`, `stable:PATCH`).
fn group_words(group: &str) -> Vec<String> {
    static GLUED_VERSION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^(PATCH|RFC|RESEND|PULL)(v\d+(?:\.\d+)?)$").unwrap());
    let mut out = Vec::new();
    // Split on white space and commas outside braces, so that
    // `stable-4.{4, 9, 14}` stays one word.
    let mut raws: Vec<String> = vec![String::new()];
    let mut depth = 0usize;
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && (c.is_whitespace() || c == ',') {
            raws.push(String::new());
        } else if !(depth > 0 && c.is_whitespace()) {
            raws.last_mut().expect("never empty").push(c);
        }
    }
    for raw in &raws {
        let w = raw.trim_matches(|c| matches!(c, '(' | ')' | '"' | '\''));
        if w.is_empty() {
            continue;
        }
        if let Some(c) = GLUED_VERSION.captures(w) {
            out.push(c[1].to_string());
            out.push(c[2].to_string());
            continue;
        }
        // `RFC/RFT`, `stable:PATCH`: split only when a piece is a marker, so
        // `kvmarm/next` or `2/14` stay whole.
        if w.contains(['/', ':']) {
            let pieces: Vec<&str> = w.split(['/', ':']).filter(|p| !p.is_empty()).collect();
            if pieces.len() > 1 && pieces.iter().any(|p| marker(&p.to_uppercase()).is_some()) {
                out.extend(pieces.iter().map(|p| p.to_string()));
                continue;
            }
        }
        out.push(w.to_string());
    }
    out
}

/// Parse a subject line (decoded; folding allowed).
pub fn parse_subject(s: &str) -> SubjectInfo {
    static PART: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{1,5})/(\d{1,5})$").unwrap());
    static VERSION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^V(\d{1,4})(?:\.(\d{1,3}))?(\.Y)?$").unwrap());
    static KERNEL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:LINUX-)?(\d{1,2}\.\d{1,3})(?:\.Y|\.\d{1,3})?$").unwrap());
    static STABLE_WORD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:FOR-)?STABLE(?:-RC)?(?:[-:](?:V|LINUX-)?(\d{1,2}\.\d{1,3})?.*)?$").unwrap()
    });

    let s = collapse(s);
    let mut info = SubjectInfo::default();
    let mut rest: &str = &s;
    let mut groups: Vec<&str> = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some((len, fwd)) = reply_prefix(rest) {
            info.is_reply = true;
            info.forwarded |= fwd;
            rest = &rest[len..];
            continue;
        }
        if let Some(inner) = rest.strip_prefix('[')
            && let Some(end) = inner.find(']')
        {
            groups.push(&inner[..end]);
            rest = &inner[end + 1..];
            continue;
        }
        // Mail filters mark subjects as `***SPAM*** …`: a tag group too.
        if let Some(inner) = rest.strip_prefix("***")
            && let Some(end) = inner.find("***")
            && end > 0
            && end <= 20
        {
            groups.push(&inner[..end]);
            rest = &inner[end + 3..];
            continue;
        }
        break;
    }
    info.title = collapse(rest);
    info.series_key = info.title.to_lowercase();

    let mut tags: Vec<String> = Vec::new();
    for group in groups {
        let words = group_words(group);
        let uppers: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
        let markers: Vec<Marker> = uppers.iter().filter_map(|u| marker(u)).collect();
        let stable_group = markers
            .iter()
            .any(|m| matches!(m, Marker::Stable | Marker::Autosel | Marker::Manualsel))
            || uppers.iter().any(|u| STABLE_WORD.is_match(u));
        let patch_group = stable_group || markers.contains(&Marker::Patch);
        let mut group_version = None;
        let mut group_part = None;
        let mut recognised = !markers.is_empty();
        let mut leftovers: Vec<String> = Vec::new();
        for (word, up) in words.iter().zip(&uppers) {
            if let Some(m) = marker(up) {
                match m {
                    Marker::Patch => info.patch = true,
                    Marker::Rfc => info.rfc = true,
                    Marker::Resend => info.resend = true,
                    Marker::Pull => info.pull = true,
                    Marker::Autosel => {
                        info.autosel = true;
                        info.stable = true
                    }
                    Marker::Manualsel | Marker::Stable => info.stable = true,
                    Marker::Rft | Marker::Git => {}
                }
                tags.push(up.clone());
            } else if let Some(c) = PART.captures(up) {
                let (n, m): (u32, u32) = (c[1].parse().unwrap_or(0), c[2].parse().unwrap_or(0));
                // N > M happens: an add-on patch sent after the series.
                if m > 0 {
                    group_part = Some((n, m));
                    recognised = true;
                    tags.push(format!("{n}/{m}"));
                } else {
                    leftovers.push(word.to_lowercase());
                    tags.push(up.clone());
                }
            } else if let Some(c) = VERSION.captures(up) {
                recognised = true;
                if stable_group && (c.get(2).is_some()) {
                    // `[PATCH stable v4.9 v2]`: a kernel version, not a revision.
                    info.stable = true;
                    info.stable_version = Some(format!("{}.{}", &c[1], &c[2]));
                } else {
                    group_version = c[1].parse().ok();
                }
                tags.push(up.clone());
            } else if let Some(c) = STABLE_WORD.captures(up) {
                recognised = true;
                info.stable = true;
                if let Some(v) = c.get(1) {
                    info.stable_version = Some(v.as_str().to_string());
                }
                tags.push(up.clone());
            } else if let Some(c) = KERNEL.captures(up).filter(|_| patch_group) {
                recognised = true;
                info.stable = true;
                info.stable_version = Some(c[1].to_string());
                tags.push(up.clone());
            } else {
                leftovers.push(word.to_lowercase());
                tags.push(up.clone());
            }
        }
        if group_version.is_some() {
            info.version = group_version;
        }
        if group_part.is_some() {
            info.part = group_part;
        }
        if recognised {
            info.subsystem_tags.extend(leftovers);
        } else {
            info.other_tags.extend(leftovers);
        }
    }
    if !info.patch && !info.pull && info.version.is_some() && info.part.is_some() {
        // `[v2 1/3]`, `[kvmtool v2 1/3]`: a patch without the word.
        info.patch = true;
    }
    tags.sort();
    tags.dedup();
    info.tags = tags;
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> SubjectInfo {
        parse_subject(s)
    }

    #[test]
    fn plain_patch_with_version_and_part() {
        let i = p("[PATCH v3 02/14] KVM: arm64: Do the thing");
        assert!(i.patch && !i.rfc && !i.resend && !i.is_reply && !i.stable);
        assert_eq!(i.version, Some(3));
        assert_eq!(i.part, Some((2, 14)));
        assert_eq!(i.title, "KVM: arm64: Do the thing");
        assert_eq!(i.series_key, "kvm: arm64: do the thing");
        assert_eq!(i.tags, vec!["2/14", "PATCH", "V3"]);
        assert!(i.subsystem_tags.is_empty() && i.other_tags.is_empty());
    }

    #[test]
    fn rfc_patch_and_patch_rfc_are_the_same() {
        let a = p("[PATCH RFC v3 02/14] KVM: arm64: Frob the widget");
        let b = p("[RFC PATCH v3 2/14] KVM: arm64: Frob the widget");
        assert_eq!(a, b);
        assert!(a.rfc && a.patch);
        assert_eq!(a.version, Some(3));
        assert_eq!(a.part, Some((2, 14)));
        assert_eq!(a.tags, vec!["2/14", "PATCH", "RFC", "V3"]);
        // Glued forms mean the same too.
        let c = p("[PATCH RFCv3 2/14] KVM: arm64: Frob the widget");
        assert_eq!(a, c);
        let d = p("[RFC/RFT PATCH 1/2] x");
        assert!(d.rfc && d.patch && d.has_tag("RFT"));
    }

    #[test]
    fn kvm_unit_tests_both_orders() {
        let a = p("[PATCH kvm-unit-tests v2 1/3] arm: pmu: Add a test");
        assert!(a.patch);
        assert_eq!(a.version, Some(2));
        assert_eq!(a.part, Some((1, 3)));
        assert_eq!(a.subsystem_tags, vec!["kvm-unit-tests"]);
        assert!(a.has_tag("kvm-unit-tests"));
        let b = p("[kvm-unit-tests PATCH] arm64: timer: Fix a race");
        assert!(b.patch && b.version.is_none() && b.part.is_none());
        assert_eq!(b.subsystem_tags, vec!["kvm-unit-tests"]);
        assert_eq!(b.title, "arm64: timer: Fix a race");
    }

    #[test]
    fn kvmtool_and_next() {
        let a = p("[PATCH kvmtool 1/2] virtio: Fix the ring");
        assert_eq!(a.subsystem_tags, vec!["kvmtool"]);
        assert_eq!(a.part, Some((1, 2)));
        let b = p("[PATCH -next] KVM: arm64: Remove unused variable");
        assert_eq!(b.subsystem_tags, vec!["-next"]);
        assert!(b.patch && b.version.is_none());
        let c = p("[PATCH v3 1/3, KVMTOOL] arm: Add the option");
        assert_eq!(c.subsystem_tags, vec!["kvmtool"]);
        assert_eq!(c.version, Some(3));
    }

    #[test]
    fn git_pull() {
        let a = p("[GIT PULL] KVM/arm64 fixes for 6.1, take #2");
        assert!(a.pull && !a.patch && !a.rfc);
        assert_eq!(a.tags, vec!["GIT", "PULL"]);
        assert_eq!(a.title, "KVM/arm64 fixes for 6.1, take #2");
        let b = p("[PULL 00/12] target-arm queue");
        assert!(b.pull && !b.patch);
        assert_eq!(b.part, Some((0, 12)));
    }

    #[test]
    fn stable_backports() {
        let a = p("[PATCH 5.10 012/100] KVM: arm64: Fix a leak");
        assert!(a.stable && a.patch && !a.autosel);
        assert_eq!(a.stable_version.as_deref(), Some("5.10"));
        assert_eq!(a.part, Some((12, 100)));
        assert_eq!(a.version, None);
        let b = p("[PATCH AUTOSEL 5.15 12/30] KVM: arm64: Fix a leak");
        assert!(b.stable && b.autosel);
        assert_eq!(b.stable_version.as_deref(), Some("5.15"));
        assert_eq!(b.part, Some((12, 30)));
        let c = p("[PATCH 6.6 1/8] KVM: arm64: Calculate traps");
        assert_eq!(c.stable_version.as_deref(), Some("6.6"));
        assert!(c.stable);
        let d = p("[PATCH stable v4.9 v2] arm64: Fix the errata");
        assert!(d.stable);
        assert_eq!(d.stable_version.as_deref(), Some("4.9"));
        assert_eq!(d.version, Some(2));
        let e = p("[PATCH for-stable-5.10 1/2] arm64: Fix the errata");
        assert!(e.stable);
        assert_eq!(e.stable_version.as_deref(), Some("5.10"));
        let f = p("[PATCH stable 4.19.y] arm64: x");
        assert_eq!(f.stable_version.as_deref(), Some("4.19"));
        let braces = p("[PATCH stable-4.{4, 9, 14}] arm64: x");
        assert!(braces.stable && braces.patch);
        assert!(braces.subsystem_tags.is_empty(), "{braces:?}");
        assert_eq!(braces.tags, vec!["PATCH", "STABLE-4.{4,9,14}"]);
        let g = p("[PATCH MANUALSEL 5.15 1/2] x");
        assert!(g.stable && !g.autosel);
        // A bare number outside a patch group is not a stable version.
        let h = p("[5.10] something");
        assert!(!h.stable && h.stable_version.is_none());
        assert_eq!(h.other_tags, vec!["5.10"]);
    }

    #[test]
    fn resend_forms() {
        for s in [
            "[PATCH RESEND] x: y",
            "[PATCH v2 RESEND] x: y",
            "[RESEND PATCH v2] x: y",
            "[PATCH v2 (RESEND) 1/2] x: y",
        ] {
            let i = p(s);
            assert!(i.resend && i.patch, "{s}");
            assert_eq!(i.title, "x: y", "{s}");
        }
        assert_eq!(p("[PATCH v2 RESEND] x").version, Some(2));
        assert_eq!(p("[PATCH v2 RESEND] x").tags, p("[RESEND PATCH v2] x").tags);
    }

    #[test]
    fn version_forms() {
        assert_eq!(p("[PATCH V3] x").version, Some(3));
        assert_eq!(p("[PATCH v10 3/9] x").version, Some(10));
        assert_eq!(p("[PATCHv4 1/2] x").version, Some(4));
        assert_eq!(p("[PATCHv4 1/2] x").tags, vec!["1/2", "PATCH", "V4"]);
        assert_eq!(p("[PATCH v2.5 1/2] x").version, Some(2));
        assert_eq!(p("[PATCH] x").version, None);
        assert_eq!(p("[PATCH] x").effective_version(), 1);
        let bare = p("[v2 1/3] KVM: x");
        assert!(bare.patch && !bare.rfc);
        assert!(p("[RFC v2 1/3] KVM: x").rfc);
    }

    #[test]
    fn cover_letter_part_zero() {
        let i = p("[PATCH v4 00/14] KVM: arm64: A series");
        assert_eq!(i.part, Some((0, 14)));
        assert!(i.is_patch_mail());
        // An add-on patch after the series; impossible numbers are not parts.
        assert_eq!(p("[PATCH 5/4] x").part, Some((5, 4)));
        assert_eq!(p("[PATCH 1/0] x").part, None);
        assert_eq!(p("[PATCH 1/0] x").subsystem_tags, vec!["1/0"]);
    }

    #[test]
    fn reply_prefixes() {
        let i =
            p("Re: [PATCH v3 1/1] KVM: arm64: Allow cacheable stage 2 mapping using\n VMA flags");
        assert!(i.is_reply && !i.forwarded && i.patch);
        assert_eq!(
            i.title,
            "KVM: arm64: Allow cacheable stage 2 mapping using VMA flags"
        );
        assert!(!i.is_patch_mail());
        for s in [
            "RE: [PATCH] x",
            "Re: Re: [PATCH] x",
            "AW: [PATCH] x",
            "Aw: Re: [PATCH] x",
            "Re[2]: [PATCH] x",
            "回复: Re: [PATCH] x",
            "Re : [PATCH] x",
        ] {
            let i = p(s);
            assert!(i.is_reply, "{s}");
            assert!(i.patch, "{s}");
            assert_eq!(i.title, "x", "{s}");
        }
        let f = p("Fwd: [PATCH] x");
        assert!(f.is_reply && f.forwarded);
        // Tags and prefixes interleaved.
        let g = p("[External] Re: [PATCH v2] x");
        assert!(g.is_reply && g.patch);
        assert_eq!(g.other_tags, vec!["external"]);
        assert_eq!(g.version, Some(2));
        // A word with a colon that is not a prefix stays.
        let h = p("KVM: arm64: Fix it");
        assert!(!h.is_reply);
        assert_eq!(h.title, "KVM: arm64: Fix it");
        let r = p("Regression: guests hang");
        assert!(!r.is_reply);
    }

    #[test]
    fn brackets_inside_title_are_not_tags() {
        let i = p("[PATCH] arm64: Use PSTATE[SHIFT|SIZE] in the handler [v2]");
        assert_eq!(i.title, "arm64: Use PSTATE[SHIFT|SIZE] in the handler [v2]");
        assert_eq!(i.version, None);
        assert_eq!(i.tags, vec!["PATCH"]);
    }

    #[test]
    fn unknown_groups_and_odd_input() {
        let i = p("[Question] Why does the timer fire?");
        assert!(!i.patch);
        assert_eq!(i.other_tags, vec!["question"]);
        assert!(i.has_tag("question"));
        let e = p("");
        assert_eq!(e, SubjectInfo::default());
        let u = p("[PATCH unterminated title");
        assert_eq!(u.title, "[PATCH unterminated title");
        assert!(!u.patch);
        let spam = p("***SPAM*** Re: [PATCH v2] x");
        assert!(spam.is_reply && spam.patch);
        assert_eq!(spam.other_tags, vec!["spam"]);
        assert_eq!(spam.title, "x");
        assert_eq!(p("*** not a tag").title, "*** not a tag");
        let empty = p("[] x");
        assert_eq!(empty.title, "x");
        assert!(empty.tags.is_empty());
    }
}
