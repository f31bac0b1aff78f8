//! Condensing one mail for the model: the sender's own words only.
//!
//! Rules (their version, [`CONDENSE_VERSION`], is part of the prompt
//! version, so changing a rule invalidates cached summaries):
//! - quoted lines (`>`), the attribution line before them ("On …, X wrote:")
//!   and everything below an Outlook "-----Original Message-----" are
//!   removed; a quote block that is answered keeps its last line, at most
//!   [`CONTEXT_CHARS`] characters, as `(re: "…")` so that a review comment
//!   still says what it is about;
//! - the signature (from a `-- ` line on) is removed, and so is a
//!   sign-off at the end ("Thanks,\nBob", "Cheers,\nM.");
//! - diffs are removed and replaced by one line listing the files they
//!   touch (from the diffstat, else the `diff --git` lines); diffstat
//!   blocks, shortlogs of cover letters and pull requests, `base-commit:`
//!   and similar lines are removed;
//! - routine trailers (Signed-off-by, Cc, Link, Message-Id, Change-Id,
//!   Co-developed-by) are removed; review trailers (Reviewed-by, Acked-by,
//!   Tested-by, …), `Fixes:` and `Cc: stable` stay;
//! - a mailing list footer (a line of underscores, then "… mailing
//!   list") ends the mail;
//! - runs of 80+ characters without a space (encoded data) are removed;
//! - control characters are removed, blank lines collapsed;
//! - the result is cut at a per-mail token cap (see `prompt.rs`).

pub use crate::analysis::strip_controls;
use std::sync::LazyLock;

use regex::Regex;

use crate::analysis::MailFacts;

/// Version of the rules above.
pub const CONDENSE_VERSION: u32 = 1;

/// Longest quoted context line kept before an answer.
pub const CONTEXT_CHARS: usize = 100;

/// Most files named in the `[diff: …]` line.
const MAX_FILES: usize = 12;

/// A condensed mail body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condensed {
    /// The sender's own text (and the diff line), trimmed.
    pub text: String,
    /// Non-blank quoted lines removed.
    pub quoted_lines: usize,
    /// Diff lines removed.
    pub diff_lines: usize,
    /// A signature was removed.
    pub signature: bool,
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

fn is_attribution(line: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?:\bwrote|\bwrites|\bschrieb|\bescribió|\ba écrit|写道|寫道)\s*[:：]\s*$|^\s*(?:quoting|citing)\s+.*:\s*$",
        )
        .unwrap()
    });
    RE.is_match(line)
}

/// First line of a wrapped two-line attribution: "On Mon, 7 Mar 2022 at
/// 10:00, Marc Zyngier" followed by "<maz@kernel.org> wrote:".
fn is_attribution_start(line: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\s*(?:on|le|am|el)\s+.*(?:\d{1,2}:\d{2}|\d{4}|/)").unwrap()
    });
    RE.is_match(line) && line.len() < 200
}

fn is_diff_start(lines: &[&str], i: usize) -> bool {
    let line = lines[i];
    if line.starts_with("diff --git ") || line.starts_with("diff -u") || line.starts_with("Index: ")
    {
        return true;
    }
    line.starts_with("--- ")
        && lines.get(i + 1).is_some_and(|n| n.starts_with("+++ "))
        && lines.get(i + 2).is_some_and(|n| n.starts_with("@@"))
}

fn is_diffstat_line(line: &str) -> bool {
    static STAT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s?(\S.*?\S|\S)\s+\|\s+(?:\d+\s*\+*-*|Bin(?:\s+\d+\s*->\s*\d+\s+bytes)?)\s*$")
            .unwrap()
    });
    static SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*\d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?")
            .unwrap()
    });
    static MODE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s+(?:create|delete|rename|copy|mode change) .*(?:mode \d+|\(\d+%\)|=>)")
            .unwrap()
    });
    STAT.is_match(line) || SUMMARY.is_match(line) || MODE.is_match(line)
}

fn is_routine_trailer(line: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^\s*(?:signed-off-by|co-developed-by|link|message-id|change-id|base-commit|prerequisite-patch-id|prerequisite-change-id|cc)\s*:",
        )
        .unwrap()
    });
    if !RE.is_match(line) {
        return false;
    }
    // "Cc: stable@vger.kernel.org # 5.15+" says the patch is a stable candidate.
    let l = line.trim_start().to_ascii_lowercase();
    !(l.starts_with("cc") && l.contains("stable"))
}

/// `Marc Zyngier (3):` — the start of a shortlog block.
fn is_shortlog_head(line: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\S.{0,80} \(\d+\):$").unwrap());
    RE.is_match(line)
}

fn is_encoded(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 80 && !t.contains(char::is_whitespace)
}

fn cut_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// "Thanks," / "Cheers," / "Regards," alone on a line, with an optional
/// name after it: the start of a sign-off.
fn is_closing(line: &str) -> bool {
    let t = line.trim();
    let core = t.trim_end_matches([',', '!', '.']);
    let lower = core.to_lowercase();
    let words = [
        "thanks",
        "thank you",
        "many thanks",
        "cheers",
        "regards",
        "best regards",
        "kind regards",
        "best wishes",
        "best",
        "br",
        "thx",
        "ta",
    ];
    let Some(w) = words
        .iter()
        .filter(|w| lower.starts_with(**w))
        .max_by_key(|w| w.len())
    else {
        return false;
    };
    let rest = core[w.len()..].trim_start_matches(',').trim();
    if rest.is_empty() {
        return true;
    }
    // One capitalized name: "Thanks Marc," / "Cheers, Bob".
    !rest.contains(' ') && rest.chars().next().is_some_and(char::is_uppercase) && t.len() <= 30
}

/// Drop a sign-off at the end: a closing line followed only by short lines
/// (a name, initials), within the last four non-empty lines.
fn drop_closing(out: &mut Vec<String>) {
    let nonempty: Vec<usize> = (0..out.len())
        .filter(|&i| !out[i].trim().is_empty())
        .collect();
    for &i in nonempty.iter().rev().take(4) {
        if is_closing(&out[i]) {
            let tail_short = out[i + 1..].iter().all(|l| {
                let t = l.trim();
                t.len() <= 25 && t.split_whitespace().count() <= 3 && !t.contains(':')
            });
            if tail_short {
                out.truncate(i);
                // And a context line that led to it.
                while out
                    .last()
                    .is_some_and(|l| l.trim().is_empty() || l.starts_with("(re: \""))
                {
                    out.pop();
                }
            }
            return;
        }
    }
}

/// Condense a body (see the module rules). `facts` gives the diff's file
/// list.
pub fn condense(body: &str, facts: &MailFacts) -> Condensed {
    let body = strip_controls(body);
    let lines: Vec<&str> = body.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut c = Condensed::default();
    let mut i = 0;
    let mut in_diff = false;
    let mut saw_diff = false;
    // Last line of the quote block just passed, waiting for own text.
    let mut pending_context: Option<String> = None;
    while i < lines.len() {
        let line = lines[i].trim_end();
        if line == "--" || lines[i] == "-- " {
            c.signature = true;
            break;
        }
        // A mailing list footer ("____\nkvmarm mailing list\n…").
        if line.len() >= 10
            && line.chars().all(|c| c == '_')
            && lines[i + 1..]
                .iter()
                .take(2)
                .any(|l| l.to_ascii_lowercase().contains("mailing list"))
        {
            break;
        }
        if line.trim() == "-----Original Message-----" {
            c.quoted_lines += lines[i..].iter().filter(|l| !l.trim().is_empty()).count();
            break;
        }
        if in_diff {
            if crate::analysis::is_diff_line(lines[i]) {
                if !line.is_empty() {
                    c.diff_lines += 1;
                }
                i += 1;
                continue;
            }
            in_diff = false;
        }
        if is_quoted(line) {
            // Drop the attribution line(s) just before the block.
            while out.last().is_some_and(|l| l.trim().is_empty()) {
                out.pop();
            }
            if out.last().is_some_and(|l| is_attribution(l)) {
                out.pop();
                if out.last().is_some_and(|l| is_attribution_start(l)) {
                    out.pop();
                }
            }
            let mut last = String::new();
            while i < lines.len() && (is_quoted(lines[i]) || lines[i].trim().is_empty()) {
                let q = lines[i].trim_start().trim_start_matches(['>', ' ']).trim();
                if !lines[i].trim().is_empty() {
                    c.quoted_lines += 1;
                }
                if !q.is_empty() && !is_attribution(q) && !is_encoded(q) {
                    last = q.to_string();
                }
                i += 1;
            }
            pending_context = (!last.is_empty()).then(|| cut_chars(&last, CONTEXT_CHARS));
            continue;
        }
        if is_diff_start(&lines, i) {
            in_diff = true;
            saw_diff = true;
            c.diff_lines += 1;
            i += 1;
            continue;
        }
        if is_diffstat_line(line) || line == "---" || is_routine_trailer(line) || is_encoded(line) {
            i += 1;
            continue;
        }
        if is_shortlog_head(line) && lines.get(i + 1).is_some_and(|n| n.starts_with("  ")) {
            i += 1;
            while i < lines.len() && lines[i].starts_with("  ") {
                i += 1;
            }
            continue;
        }
        if line.trim().is_empty() {
            if !out.is_empty() && !out.last().is_some_and(|l| l.is_empty()) {
                out.push(String::new());
            }
            i += 1;
            continue;
        }
        if let Some(ctx) = pending_context.take()
            && !is_attribution(line)
        {
            if out.last().is_some_and(|l| !l.is_empty()) {
                out.push(String::new());
            }
            out.push(format!("(re: \"{ctx}\")"));
        }
        out.push(line.to_string());
        i += 1;
    }
    // An attribution line at the very end (quote removed after it).
    while out
        .last()
        .is_some_and(|l| l.trim().is_empty() || is_attribution(l))
    {
        out.pop();
    }
    drop_closing(&mut out);
    let mut text = out.join("\n").trim().to_string();
    let files = &facts.diffstat;
    if saw_diff || facts.has_diff || !files.is_empty() {
        let mut list: Vec<&str> = files.iter().take(MAX_FILES).map(String::as_str).collect();
        let more = files.len().saturating_sub(MAX_FILES);
        let mut line = if list.is_empty() {
            "[diff removed]".to_string()
        } else {
            let n = files.len();
            let what = if n == 1 { "file" } else { "files" };
            let joined = std::mem::take(&mut list).join(", ");
            format!("[diff removed: {n} {what}: {joined}")
        };
        if more > 0 {
            line.push_str(&format!(", +{more} more"));
        }
        if line.starts_with("[diff removed:") {
            line.push(']');
        }
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&line);
    }
    c.text = text;
    c
}

/// The own paragraphs of a condensed text, each joined into one line,
/// without the diff line, context lines and trailers.
pub fn paragraphs(text: &str) -> Vec<String> {
    static TRAILER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^\s*[a-z]+(?:-[a-z]+)*-by\s*:").unwrap());
    let mut paras = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let skip =
            t.starts_with("(re: \"") || t.starts_with("[diff removed") || TRAILER.is_match(t);
        if t.is_empty() || skip {
            if !cur.is_empty() {
                paras.push(cur.join(" "));
                cur.clear();
            }
            continue;
        }
        cur.push(t);
    }
    if !cur.is_empty() {
        paras.push(cur.join(" "));
    }
    paras
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::mail_facts;

    fn run(body: &str) -> Condensed {
        condense(body, &mail_facts(body))
    }

    #[test]
    fn quotes_and_attribution_go_context_stays() {
        let body = "\
Hi Alice,

On Mon, 7 Mar 2022 10:00:00 +0000,
Alice Author <alice@example.org> wrote:
> This patch adds the widget.
> +	kvm_widget_init(vcpu);

This leaks the widget on the error path.

> Second hunk.
>
Thanks,
Marc
";
        let c = run(body);
        assert!(!c.text.contains("This patch adds"), "{}", c.text);
        assert!(!c.text.contains("wrote:"), "{}", c.text);
        assert!(!c.text.contains("On Mon"), "{}", c.text);
        assert!(
            c.text
                .contains("(re: \"+ kvm_widget_init(vcpu);\")\nThis leaks the widget"),
            "{}",
            c.text
        );
        // The sign-off is gone, the answer to the second hunk too (there
        // was none).
        assert!(!c.text.contains("Second hunk"), "{}", c.text);
        assert!(c.text.ends_with("error path."), "{}", c.text);
        assert!(c.text.starts_with("Hi Alice,"));
        assert_eq!(c.quoted_lines, 4);
    }

    #[test]
    fn list_footer_removed() {
        let c = run(
            "Same here.\n\n_______________________________________________\nkvmarm mailing list\nkvmarm@lists.cs.columbia.edu\nhttps://lists.cs.columbia.edu/mailman/listinfo/kvmarm\n",
        );
        assert_eq!(c.text, "Same here.");
        // A line of underscores in prose stays.
        assert_eq!(
            run("Fill in the ____________ blank.\n").text,
            "Fill in the ____________ blank."
        );
    }

    #[test]
    fn sign_offs() {
        assert_eq!(run("Looks good.\n\nThanks,\nBob\n").text, "Looks good.");
        assert_eq!(run("Applied.\n\nCheers,\n\n\tM.\n").text, "Applied.");
        assert_eq!(run("Fine.\nThanks Marc,\nAlice Author\n").text, "Fine.");
        // Not sign-offs.
        assert_eq!(run("Thanks, applied.\n").text, "Thanks, applied.");
        assert_eq!(
            run("Thanks,\nbut this breaks the build on arm64 with CONFIG_KVM=n.\n").text,
            "Thanks,\nbut this breaks the build on arm64 with CONFIG_KVM=n."
        );
    }

    #[test]
    fn trailing_quote_leaves_no_context() {
        let c = run("Looks good.\n\nOn Tue, Bob wrote:\n> old text\n> more\n");
        assert_eq!(c.text, "Looks good.");
    }

    #[test]
    fn signature_and_outlook_quote_removed() {
        let c = run("Fine by me.\n\n-- \nJohn Doe\nSenior Engineer, Example Corp\n");
        assert_eq!(c.text, "Fine by me.");
        assert!(c.signature);
        let c =
            run("Top posted answer.\n\n-----Original Message-----\nFrom: X\nSubject: Y\n\nold\n");
        assert_eq!(c.text, "Top posted answer.");
        // "---" of a patch is not a signature: the changelog below it stays.
        let c = run("Commit text.\n\nSigned-off-by: A <a@example.org>\n---\nv2: fix the leak\n");
        assert_eq!(c.text, "Commit text.\n\nv2: fix the leak");
    }

    #[test]
    fn diffs_become_a_file_list() {
        let body = "\
Make the widget lazy.

Fixes: 0123456789ab (\"KVM: arm64: Add widget\")
Reviewed-by: Bob <bob@example.org>
Signed-off-by: Alice <alice@example.org>
Cc: stable@vger.kernel.org
Cc: Someone <someone@example.org>
Link: https://lore.kernel.org/r/x
---
 arch/arm64/kvm/arm.c | 4 ++--
 arch/arm64/kvm/mmu.c | 2 +-
 2 files changed, 3 insertions(+), 3 deletions(-)

diff --git a/arch/arm64/kvm/arm.c b/arch/arm64/kvm/arm.c
index 1111111..2222222 100644
--- a/arch/arm64/kvm/arm.c
+++ b/arch/arm64/kvm/arm.c
@@ -1,4 +1,4 @@
-old line
+new line
 context
diff --git a/arch/arm64/kvm/mmu.c b/arch/arm64/kvm/mmu.c
--- a/arch/arm64/kvm/mmu.c
+++ b/arch/arm64/kvm/mmu.c
@@ -9 +9 @@
-a
+b
-- 
2.35.1
";
        let c = run(body);
        assert_eq!(
            c.text,
            "Make the widget lazy.\n\nFixes: 0123456789ab (\"KVM: arm64: Add widget\")\n\
Reviewed-by: Bob <bob@example.org>\nCc: stable@vger.kernel.org\n\n\
[diff removed: 2 files: arch/arm64/kvm/arm.c, arch/arm64/kvm/mmu.c]"
        );
        assert!(c.diff_lines >= 10);
        assert!(c.signature);
    }

    #[test]
    fn cover_letter_shortlog_and_base_commit_removed() {
        let body = "\
This series makes widgets lazy.

Alice Author (2):
  KVM: arm64: one
  KVM: arm64: two

 arch/arm64/kvm/arm.c | 4 ++--
 1 file changed, 2 insertions(+), 2 deletions(-)

base-commit: 0123456789abcdef
--
2.35.1
";
        let c = run(body);
        assert_eq!(
            c.text,
            "This series makes widgets lazy.\n\n[diff removed: 1 file: arch/arm64/kvm/arm.c]"
        );
    }

    #[test]
    fn encoded_runs_and_controls_removed() {
        let blob = "A".repeat(120);
        let c = run(&format!(
            "See attached.\n{blob}\nbell\u{7} and \u{202e}bidi\n"
        ));
        assert_eq!(c.text, "See attached.\nbell and bidi");
    }

    #[test]
    fn paragraphs_join_wrapped_lines() {
        let p = paragraphs(
            "Hi,\n\nThis is one\nparagraph.\n(re: \"x\")\nSecond.\nReviewed-by: A <a@b>\n\n[diff removed]",
        );
        assert_eq!(p, vec!["Hi,", "This is one paragraph.", "Second."]);
    }
}
