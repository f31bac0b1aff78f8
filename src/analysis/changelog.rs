//! The changelog of a patch series: what each version changed, as its
//! author wrote it in the cover letter or in a patch's notes below `---`.
//!
//! The usual kernel forms are recognised: "Changes since v2:", "Changes in
//! v3:", "Changes from v1 -> v2", "v3: - foo", "v2 -> v3:", "Since v1:",
//! "* v3", bracketed "[v3] foo" lines, and "Changelog:" blocks with
//! per-version sub-headings. The scan stops at the diffstat, the diff, the
//! shortlog of a cover letter, `base-commit:` and the signature.
//!
//! "Changes since vN" names the version the changes were made against: its
//! items belong to vN+1, except in the first block of a mail that is a
//! later version (a v3 that lists "Changes since v1" alone describes v3).
//!
//! Pure: no I/O.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// Longest item kept, in characters (longer ones are cut with "…").
pub const ITEM_CHARS: usize = 200;
/// Most items kept per version of one mail.
pub const MAX_ITEMS: usize = 30;

/// What one version changed, according to one mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionChanges {
    pub version: u32,
    pub items: Vec<String>,
}

/// How a heading names its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    /// "Changes in v3", "v3:", "v2 -> v3": the version itself.
    Is(u32),
    /// "Changes since v2", "Since v1": the version changed against.
    Since(u32),
    /// "Changes since last version", "Changelog:" with items: the mail's.
    Current,
    /// "Changelog:" alone: sub-headings follow.
    Umbrella,
}

const VER: &str = r"(?:rfc\s*|resend\s*)?v(\d{1,2})";
const ARROW: &str = r"\s*(?:->|-->|=>|→|\.\.\.?|\bto\b|\band\b|-|~)\s*";

/// A heading line: what it names and the items written on the same line.
fn heading(line: &str) -> Option<(Named, String)> {
    // "Changes in v3:", "Changes since v2", "Changes from v1 -> v2",
    // "Changes v2 -> v3:", "Changelog v3:", "Changes since last version:".
    static CHANGES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"(?ix)^(?:[*\#]+\s*)?(?:(?:a\s+(?:few|number\s+of)|some|main|major|notable)\s+)?
              (?:changes|changelog|change\s*log|changes\s+made)
              (?:\s+(in|for|since|from|between|compared\s+to|against|wrt\.?|vs\.?|over))?
              \s*(?:the\s+)?
              (?:{VER}(?:{ARROW}{VER})?|((?:last|previous|prior)\s+(?:version|revision|posting|series|spin|iteration)|\[\d{{1,2}}\]))?
              \s*(?:\([^)]*\))?\s*(?:[:：]\s*(.*)|\s*$)"
        ))
        .unwrap()
    });
    // "v3:", "v2 -> v3:", "* v3", "v3 changes:", "RFC v2 -> v3", "v3: - foo".
    static VERSION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"(?ix)^(?:[*\#]+\s*)?{VER}(?:{ARROW}{VER})?\s*(?:changes|changelog|change\s*log)?
              \s*(?:\([^)]*\))?\s*(?:[:：]\s*(.*)|-\s+(.*)|$)"
        ))
        .unwrap()
    });
    // "Since v1:", "since v2 - foo".
    static SINCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"(?ix)^(?:[*\#]+\s*)?since\s+{VER}\s*(?:[:：]\s*(.*)|-\s+(.*)|$)"
        ))
        .unwrap()
    });
    // "Changelog:", "Change log", "Revision history:", "Changes:".
    static UMBRELLA: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:changelog|change\s*log|changes|revision\s+history|version\s+history)\s*[:：]?\s*$")
            .unwrap()
    });
    let t = line.trim();
    if t.is_empty() || t.chars().count() > 120 {
        return None;
    }
    let num = |s: &str| s.parse::<u32>().ok().filter(|&v| v > 0);
    if UMBRELLA.is_match(t) {
        return Some((Named::Umbrella, String::new()));
    }
    if let Some(c) = CHANGES.captures(t) {
        let rest = c.get(6).map(|m| m.as_str().to_string()).unwrap_or_default();
        let conn = c.get(1).map(|m| m.as_str().to_ascii_lowercase());
        let a = c.get(2).and_then(|m| num(m.as_str()));
        let b = c.get(3).and_then(|m| num(m.as_str()));
        let named = match (a, b, conn.as_deref()) {
            (_, Some(b), _) => Named::Is(b),
            (Some(a), None, Some("in" | "for") | None) => Named::Is(a),
            (Some(a), None, Some(_)) => Named::Since(a),
            (None, _, _) if c.get(4).is_some() => Named::Current,
            // "Changes:" with items on the line.
            (None, _, None) if !rest.trim().is_empty() => Named::Current,
            _ => return None,
        };
        return Some((named, rest));
    }
    if let Some(c) = SINCE.captures(t) {
        let a = num(&c[1])?;
        let rest = c.get(2).or(c.get(3)).map(|m| m.as_str().to_string());
        return Some((Named::Since(a), rest.unwrap_or_default()));
    }
    if let Some(c) = VERSION.captures(t) {
        let a = num(&c[1])?;
        let v = c.get(2).and_then(|m| num(m.as_str())).unwrap_or(a);
        let rest = c.get(3).or(c.get(4)).map(|m| m.as_str().to_string());
        return Some((Named::Is(v), rest.unwrap_or_default()));
    }
    None
}

/// "[v3] foo", "[v2]: bar": one item of a version.
fn bracketed(line: &str) -> Option<(u32, String)> {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!(r"(?i)^\s*\[{VER}\]\s*[:\-]?\s*(\S.*)$")).unwrap());
    let c = RE.captures(line)?;
    let v = c[1].parse::<u32>().ok().filter(|&v| v > 0)?;
    Some((v, c[2].trim().to_string()))
}

/// The text of a list item ("- foo", "* foo", "o foo", "1. foo", "(2) foo").
fn item(line: &str) -> Option<&str> {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\s*(?:[-*+•o]|\d{1,2}[.)]|\(\d{1,2}\))\s+(\S.*)$").unwrap());
    RE.captures(line).map(|c| c.get(1).unwrap().as_str())
}

/// Where the changelog part of a mail ends: diffstat, diff, shortlog,
/// base-commit, signature.
fn is_stop(line: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?x)^(?:
                diff\ --git\ | Index:\ | ---\ a/ | \+\+\+\ b/ | --\ ?$
              | \s*\d+\ files?\ changed
              | \s?\S+\s+\|\s+(?:\d+\s+[+\-]+|Bin\b.*)\s*$
              | base-commit: | prerequisite-patch-id: | change-id:
              | The\ following\ changes\ since\ commit
              | \S[^:()]{1,60}\ \(\d+\):\s*$
            )",
        )
        .unwrap()
    });
    RE.is_match(line)
}

fn short(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= ITEM_CHARS {
        return s;
    }
    let cut: String = s.chars().take(ITEM_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

struct Acc {
    out: Vec<VersionChanges>,
}

impl Acc {
    fn push(&mut self, version: u32, text: &str) {
        let text = short(text);
        // A link alone ("v2: https://lore…") says where a version is, not
        // what changed.
        let bare = text.trim_matches(|c| matches!(c, '<' | '>' | '(' | ')' | '[' | ']'));
        if text.is_empty()
            || (!bare.contains(char::is_whitespace)
                && (bare.starts_with("https://") || bare.starts_with("http://")))
        {
            return;
        }
        let i = match self.out.iter().position(|v| v.version == version) {
            Some(i) => i,
            None => {
                self.out.push(VersionChanges {
                    version,
                    items: Vec::new(),
                });
                self.out.len() - 1
            }
        };
        let items = &mut self.out[i].items;
        if items.len() < MAX_ITEMS && !items.contains(&text) {
            items.push(text);
        }
    }
    /// Append a continuation line to the last item of `version`.
    fn extend(&mut self, version: u32, text: &str) {
        if let Some(v) = self.out.iter_mut().find(|v| v.version == version)
            && let Some(last) = v.items.last_mut()
            && last.chars().count() < ITEM_CHARS
        {
            *last = short(&format!("{last} {}", text.trim()));
        }
    }
}

/// The changelog of one mail of a series: the cover letter's whole body
/// (`cover` true), else a patch's notes below its first `---` line.
/// `version` is the version the mail posts (from its subject). Versions
/// in the order the mail gives them; empty when it has none.
pub fn extract(body: &str, cover: bool, version: u32) -> Vec<VersionChanges> {
    let mut lines = body.lines().peekable();
    if !cover {
        // A patch's notes start below the `---` that ends its message.
        if !lines.by_ref().any(|l| l.trim_end() == "---") {
            return Vec::new();
        }
    }
    let mut acc = Acc { out: Vec::new() };
    // The version of the block being read, whether its items use markers,
    // and whether a blank line was seen since its last line.
    let mut block: Option<u32> = None;
    let mut marked: Option<bool> = None;
    let mut blank = false;
    let mut in_umbrella = false;
    let mut first_heading = true;
    let mut last_item = false;
    for line in lines {
        if is_stop(line) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        if line.trim().is_empty() {
            blank = true;
            continue;
        }
        if let Some((v, text)) = bracketed(line) {
            acc.push(v, &text);
            block = None;
            blank = false;
            last_item = false;
            continue;
        }
        if let Some((named, rest)) = heading(line) {
            let v = match named {
                Named::Is(v) => Some(v),
                Named::Since(a) if first_heading && version > a + 1 => Some(version),
                Named::Since(a) => Some(a + 1),
                Named::Current => Some(version),
                Named::Umbrella => None,
            };
            if named != Named::Umbrella {
                first_heading = false;
            }
            in_umbrella |= named == Named::Umbrella;
            block = v.or(if in_umbrella { Some(version) } else { None });
            // An umbrella's items without a sub-heading are the mail's.
            marked = None;
            blank = false;
            last_item = false;
            if let (Some(v), false) = (v, rest.trim().is_empty()) {
                acc.push(v, item(&rest).unwrap_or(&rest));
                last_item = true;
            }
            continue;
        }
        let Some(v) = block else {
            continue;
        };
        let indented = line.starts_with([' ', '\t']);
        if let Some(text) = item(line) {
            if marked == Some(false) && blank {
                block = None;
                in_umbrella = false;
                continue;
            }
            marked = Some(true);
            acc.push(v, text);
            last_item = true;
        } else if blank {
            // A paragraph after the list ends it.
            block = None;
            in_umbrella = false;
            last_item = false;
        } else if last_item && (indented || marked == Some(true)) {
            acc.extend(v, line);
        } else {
            marked = Some(false);
            acc.push(v, line.trim());
            last_item = true;
        }
        blank = false;
    }
    acc.out.retain(|v| !v.items.is_empty());
    acc.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vc(version: u32, items: &[&str]) -> VersionChanges {
        VersionChanges {
            version,
            items: items.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn changes_since_names_the_version_changed_against() {
        let body = "This series fixes the widget.\n\n\
                    Changes since v2:\n - Dropped patch 3\n - Renamed foo to bar\n\n\
                    Changes since v1:\n - Use a spinlock\n\n\
                    Alice Author (2):\n  KVM: one\n";
        assert_eq!(
            extract(body, true, 3),
            [
                vc(3, &["Dropped patch 3", "Renamed foo to bar"]),
                vc(2, &["Use a spinlock"])
            ]
        );
    }

    #[test]
    fn a_lone_changes_since_an_older_version_describes_the_mail_itself() {
        let body = "Intro.\n\nChanges since v1:\n- all review comments addressed\n";
        assert_eq!(
            extract(body, true, 3),
            [vc(3, &["all review comments addressed"])]
        );
    }

    #[test]
    fn changes_in_and_arrows_name_the_new_version() {
        let body = "Changes in v3:\n* one\n* two\n\nChanges from v1 -> v2\n* three\n\n\
                    v4 -> v5:\n  o five\n\nChanges v5..v6:\n - six\n";
        assert_eq!(
            extract(body, true, 6),
            [
                vc(3, &["one", "two"]),
                vc(2, &["three"]),
                vc(5, &["five"]),
                vc(6, &["six"])
            ]
        );
    }

    #[test]
    fn inline_version_lines_are_items() {
        let body = "Intro text.\n\nv3: - rebased on 5.17-rc3\nv2: use the new helper (Marc)\n\
                    v2 -> v3: fix the build on 32bit\n";
        assert_eq!(
            extract(body, true, 3),
            [
                vc(3, &["rebased on 5.17-rc3", "fix the build on 32bit"]),
                vc(2, &["use the new helper (Marc)"])
            ]
        );
    }

    #[test]
    fn patch_notes_below_the_separator_stop_at_the_diffstat() {
        let body = "KVM: arm64: do a thing\n\nv2: this line is in the commit message\n\n\
                    Signed-off-by: A <a@x>\n---\n\
                    Since v1:\n  - check the return value\n  - add a comment\n\n \
                    arch/arm64/kvm/x.c | 3 ++-\n 1 file changed, 2 insertions(+), 1 deletion(-)\n\n\
                    diff --git a/x b/x\n+v9: not a changelog\n";
        assert_eq!(
            extract(body, false, 2),
            [vc(2, &["check the return value", "add a comment"])]
        );
    }

    #[test]
    fn a_patch_without_notes_has_no_changelog() {
        let body = "Changes in v2: this is the commit message\n\nSigned-off-by: A <a@x>\n\
                    ---\n x.c | 1 +\n 1 file changed\n";
        assert!(extract(body, false, 2).is_empty());
    }

    #[test]
    fn star_headings_and_bracketed_lines() {
        let body = "Cover.\n\n* v3\n  - tidy up\n  - more tests\n* v2\n  - first respin\n\n\
                    [v4] collect tags\n[v4]: fix typo\n";
        assert_eq!(
            extract(body, true, 4),
            [
                vc(3, &["tidy up", "more tests"]),
                vc(2, &["first respin"]),
                vc(4, &["collect tags", "fix typo"])
            ]
        );
    }

    #[test]
    fn a_changelog_block_with_version_sub_headings() {
        let body = "Cover text.\n\nChangelog:\n\nv3:\n- address Oliver's comments\n\
                    - split patch 2\n\nv2:\n- rebase\n\nThanks,\nAlice\n";
        assert_eq!(
            extract(body, true, 3),
            [
                vc(3, &["address Oliver's comments", "split patch 2"]),
                vc(2, &["rebase"])
            ]
        );
    }

    #[test]
    fn a_changelog_block_without_sub_headings_is_the_mails_version() {
        let body = "Cover.\n\nChangelog:\n - dropped the RFC tag\n - new test\n\nThanks\n";
        assert_eq!(
            extract(body, true, 2),
            [vc(2, &["dropped the RFC tag", "new test"])]
        );
    }

    #[test]
    fn wrapped_items_are_joined_and_a_following_paragraph_ends_the_list() {
        let body = "Changes in v2:\n - use a per-vcpu flag instead of the\n   global one\n\
                    - keep the old name\n\nThis series is based on kvmarm/next.\n";
        assert_eq!(
            extract(body, true, 2),
            [vc(
                2,
                &[
                    "use a per-vcpu flag instead of the global one",
                    "keep the old name"
                ]
            )]
        );
    }

    #[test]
    fn b4_cover_letters_stop_at_the_shortlog() {
        let body = "Some intro.\n\n---\nChanges in v2:\n- fix the race\n\
                    - Link to v1: https://lore.kernel.org/r/x@y\n\n---\n\
                    Alice Author (2):\n      KVM: one\n      KVM: two\n\n\
                    arch/arm64/kvm/a.c | 2 +-\n";
        assert_eq!(
            extract(body, true, 2),
            [vc(
                2,
                &["fix the race", "Link to v1: https://lore.kernel.org/r/x@y"]
            )]
        );
    }

    #[test]
    fn unmarked_lines_under_a_heading_are_items() {
        let body = "V2 -> V3:\nRebased on v5.17-rc1\nFixed the typo in patch 2\n\nRegards\n";
        assert_eq!(
            extract(body, true, 3),
            [vc(
                3,
                &["Rebased on v5.17-rc1", "Fixed the typo in patch 2"]
            )]
        );
    }

    #[test]
    fn changes_since_last_version_and_rfc_versions() {
        let body = "Changes since last version:\n- one\n\nChanges since RFC v1:\n- two\n";
        assert_eq!(extract(body, true, 3), [vc(3, &["one"]), vc(2, &["two"])]);
    }

    #[test]
    fn prose_mentioning_versions_is_not_a_changelog() {
        let body = "This is v2 of the series. The v1 posting had a bug.\n\
                    Changes are needed in the vgic code: we fix them here.\n\
                    - this list is not a changelog\n\n-- \nv3: in a signature\n";
        assert!(
            extract(body, true, 2).is_empty(),
            "{:?}",
            extract(body, true, 2)
        );
    }

    #[test]
    fn a_table_in_the_cover_letter_does_not_end_the_scan() {
        let body = "Results:\n\n config | 10 | 20 |\n ept=N  | 12\n\n\
                    Changes in v2:\n - faster\n\n arch/arm64/kvm/mmu.c | 12 +++++-------\n\
                    - not an item\n";
        assert_eq!(extract(body, true, 2), [vc(2, &["faster"])]);
    }

    #[test]
    fn a_number_of_changes_since_a_reference_are_the_mails_own() {
        let body = "First drop.\n\nA number of changes since [1]:\n\n- one thing\n  wrapped\n\n\
                    - another\n\n[1] https://lore.kernel.org/r/x@y\n";
        assert_eq!(
            extract(body, true, 6),
            [vc(6, &["one thing wrapped", "another"])]
        );
    }

    #[test]
    fn links_alone_are_not_items() {
        let body = "Changes in v3:\n - fix the race\n\n\
                    v2: https://lore.kernel.org/r/v2@x/\n\
                    v1: <https://lore.kernel.org/r/v1@x/>\n";
        assert_eq!(extract(body, true, 3), [vc(3, &["fix the race"])]);
    }

    #[test]
    fn long_items_are_cut_and_quoted_lines_skipped() {
        let long = "x".repeat(500);
        let body = format!("Changes in v2:\n> - quoted\n- {long}\n");
        let got = extract(&body, true, 2);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].items.len(), 1);
        assert_eq!(got[0].items[0].chars().count(), ITEM_CHARS);
        assert!(got[0].items[0].ends_with('…'));
    }
}
