//! Facts read from the body of one mail: trailers (Reviewed-by, …), notices
//! that a patch was applied, NAKs, diffs and their file lists, and whether
//! the sender is a bot.
//!
//! Only the sender's own lines count: a line quoted with `>` (or below an
//! Outlook "-----Original Message-----" marker) is someone else's text.

use std::sync::LazyLock;

use mail_parser::{MessageParser, PartType};
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::tree;

/// Largest body text returned by [`body_text`], in bytes.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

fn truncate_at_char(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

/// The text of a raw RFC 5322 message: every text/plain body part (HTML
/// converted when there is no plain text) and inline or attached text
/// parts such as `text/x-patch`, decoded, joined by blank lines, with LF
/// line ends, at most [`MAX_BODY_BYTES`]. When the message cannot be parsed,
/// the raw bytes after the header block as lossy UTF-8. Never panics.
pub fn body_text(raw: &[u8]) -> String {
    let mut out = String::new();
    if let Some(msg) = MessageParser::default().parse(raw) {
        let mut seen: Vec<u32> = Vec::new();
        for (pos, &id) in msg.text_body.iter().enumerate() {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            if let Some(t) = msg.body_text(pos) {
                push_part(&mut out, &t);
            }
            if out.len() > MAX_BODY_BYTES {
                break;
            }
        }
        for &id in &msg.attachments {
            if out.len() > MAX_BODY_BYTES {
                break;
            }
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            if let Some(part) = msg.parts.get(id as usize)
                && let PartType::Text(t) = &part.body
            {
                push_part(&mut out, t);
            }
        }
    }
    if out.trim().is_empty() {
        out = String::from_utf8_lossy(raw_body(raw)).into_owned();
    }
    let mut out = if out.contains('\r') {
        out.replace("\r\n", "\n")
    } else {
        out
    };
    truncate_at_char(&mut out, MAX_BODY_BYTES);
    out
}

fn push_part(out: &mut String, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    if !out.is_empty() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(text);
}

/// The bytes after the header block (first empty line), or nothing.
fn raw_body(raw: &[u8]) -> &[u8] {
    let mut i = 0;
    while i < raw.len() {
        let end = raw[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |p| i + p);
        let line = &raw[i..end];
        if line.is_empty() || line == b"\r" {
            return raw.get(end + 1..).unwrap_or(&[]);
        }
        i = end + 1;
    }
    &[]
}

/// Kinds of trailers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrailerKind {
    ReviewedBy,
    AckedBy,
    TestedBy,
    ReportedBy,
    SignedOffBy,
    SuggestedBy,
    CoDevelopedBy,
    Nacked,
}

impl TrailerKind {
    /// The trailer as written, e.g. `Reviewed-by`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrailerKind::ReviewedBy => "Reviewed-by",
            TrailerKind::AckedBy => "Acked-by",
            TrailerKind::TestedBy => "Tested-by",
            TrailerKind::ReportedBy => "Reported-by",
            TrailerKind::SignedOffBy => "Signed-off-by",
            TrailerKind::SuggestedBy => "Suggested-by",
            TrailerKind::CoDevelopedBy => "Co-developed-by",
            TrailerKind::Nacked => "Nacked-by",
        }
    }
}

/// A `Reviewed-by: Name <address>` line written by the sender.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Trailer {
    pub kind: TrailerKind,
    /// Display name; empty when only an address was given.
    pub name: String,
    /// Address, lower-cased; empty when only a name was given.
    pub email: String,
}

/// A statement that the patch or series was applied, queued or merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The line that says so, trimmed.
    pub line: String,
    /// Where to, when the notice or its mail says (`kvmarm/next`,
    /// `5.10-stable`, `5.18`, `arm64/linux for-next/core`): see
    /// [`super::tree`].
    pub target: Option<String>,
}

/// Facts of one mail body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailFacts {
    /// Trailers in the sender's own lines, in order, without repeats.
    pub trailers: Vec<Trailer>,
    /// The first applied/queued/merged notice in the sender's own lines.
    pub applied: Option<Applied>,
    /// A NAK: `Nacked-by:` or a plain `NAK`/`NACK` in the sender's own text.
    pub nak: bool,
    /// The mail carries a diff (`diff --git`, or `---`/`+++`/`@@` hunks).
    pub has_diff: bool,
    /// Files touched, from a diffstat block or `diff --git` lines, in order,
    /// without repeats.
    pub diffstat: Vec<String>,
    /// Non-blank quoted lines.
    pub quoted_lines: usize,
    /// Non-blank lines of the sender's own.
    pub own_lines: usize,
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// Split `Name <addr>` / `addr` / `Name` / `"Last, First" <addr> # comment`.
fn split_person(s: &str) -> (String, String) {
    let s = s.trim();
    if let (Some(lt), Some(gt)) = (s.find('<'), s.find('>'))
        && lt < gt
    {
        let name = s[..lt].trim().trim_matches('"').trim().to_string();
        return (name, s[lt + 1..gt].trim().to_lowercase());
    }
    // No angle brackets: an address alone, maybe with a comment after it.
    let first = s.split_whitespace().next().unwrap_or("");
    if first.contains('@') && !first.starts_with('@') {
        let addr = first.trim_matches(|c| matches!(c, '(' | ')' | ',' | ';'));
        return (String::new(), addr.to_lowercase());
    }
    let name = s.split(" #").next().unwrap_or(s).trim().trim_matches('"');
    (name.to_string(), String::new())
}

fn trailer_kinds(word: &str) -> &'static [TrailerKind] {
    use TrailerKind::*;
    match word.to_ascii_lowercase().as_str() {
        "reviewed" => &[ReviewedBy],
        "acked" => &[AckedBy],
        "tested" | "regression-tested" => &[TestedBy],
        "reviewed-and-tested" => &[ReviewedBy, TestedBy],
        "reported" => &[ReportedBy],
        "signed-off" => &[SignedOffBy],
        "suggested" => &[SuggestedBy],
        "co-developed" => &[CoDevelopedBy],
        "nacked" | "nack" => &[Nacked],
        _ => &[],
    }
}

/// The applied notice in one own line, if it is one. `para_start`: the line
/// starts a paragraph or a sentence (previous own line blank or ending a
/// sentence), so that a wrapped line that happens to begin with "applied"
/// does not count.
fn applied_notice(line: &str, para_start: bool) -> Option<Applied> {
    // Statements by maintainers: "Applied to kvmarm/next, thanks!",
    // "Thanks, queued.", "Now queued up, thanks.", "Pulled, thanks.".
    static MAINTAINER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)^
            (?:(?:thanks|thank\ you|ok|okay|great|done)[\s,.!]+)?
            (?:(?:i've|i\ have|i|now|also|both|all|and|so|it's|it\ is|patch(?:es)?\ [0-9][-0-9,&\ and]*|this|these|the\ series|series)\s+)*
            (?:applied|queued(?:\s+up)?|pushed|merged|picked(?:\s+up)?|pulled|taken)\b
            (?P<rest>.*)$",
        )
        .unwrap()
    });
    // What may follow the verb: end, punctuation, where to, what (briefly)
    // and then where to.
    static FOLLOW: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)^(?:
                \s*$
              | \s*[,.!:;]
              | \s+(?:to|into|for)\b
              | \s+(?:the|this|that|these|both|all|it|them|patch(?:es)?|series|v\d+|\d[-\d,+]*|up|now)\b[^.!?]{0,30}?\b(?:to|into|for|thanks)\b
              | \s+with\ thanks
              | \s+thanks
            )",
        )
        .unwrap()
    });
    // Testers, conditions and questions are not notices.
    static NOT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?:^|[\s,;(])(?:tested|testing|boot\w*|builds?|building|compil\w*|fail\w*|conflict\w*|cleanly|not|\w+n't|can|could|should|would|will|please|once|if|when|after|before|yet|locally|on\s+top|verif\w*|looks?|seems?|works?|worked|fine)\b",
        )
        .unwrap()
    });
    // Bots and tree notices: "This series was applied to …",
    // "has been applied to the … tree", "has been merged into …",
    // the stable queue's "I've just added the patch titled".
    static NOTICE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)^(?:
                (?:this|the)\s+(?:patch|series|pull\ request|patchset|change)(?:\s+\S+)?\s+(?:was|were|has\ been|have\ been)\s+(?:applied|merged|queued|pulled)\s+(?:to|into)\b
              | (?:has|have)\s+been\s+(?:applied|merged|queued|pulled)\s+(?:to|into)\b
              | this\ is\ a\ note\ to\ let\ you\ know\ that\ i've\ just\ added\ the\ patch
            )",
        )
        .unwrap()
    });
    let t = line.trim();
    if t.is_empty() || t.ends_with('?') {
        return None;
    }
    if NOTICE.is_match(t) {
        return Some(Applied {
            line: t.to_string(),
            target: tree::of_notice(t, t),
        });
    }
    if !para_start {
        return None;
    }
    let c = MAINTAINER.captures(t)?;
    let rest = c.name("rest").map_or("", |m| m.as_str());
    if !FOLLOW.is_match(rest) {
        return None;
    }
    // Judge the first sentence only: "Applied, thanks. Will send a PR."
    static SENTENCE_END: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[.!?](?:\s|$)").unwrap());
    let first = SENTENCE_END.find(t).map_or(t, |m| &t[..m.end()]);
    if NOT.is_match(first) || first.trim_end().ends_with('?') {
        return None;
    }
    Some(Applied {
        line: t.to_string(),
        target: tree::of_notice(rest, first),
    })
}

fn nak_line(line: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^\s*(?:Nak|Nack)|(?:^|[^\w/-])(?:NAK|NACK)(?:ed)?)(?:$|[^\w/-])").unwrap()
    });
    let t = line.trim();
    // Long runs without spaces are encoded data, not words.
    if t.len() >= 60 && !t.contains(' ') {
        return false;
    }
    RE.is_match(line)
}

/// Facts of a body (as given by [`body_text`]).
pub fn mail_facts(body: &str) -> MailFacts {
    static TRAILER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\s*((?:reviewed-and-tested|regression-tested|reviewed|acked|tested|reported|signed-off|suggested|co-developed|nacked|nack)-by)\s*:\s*(.*)$").unwrap()
    });
    static DIFFSTAT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s?(\S.*?\S|\S)\s+\|\s+(?:\d+\s*\+*-*|Bin(?:\s+\d+\s*->\s*\d+\s+bytes)?)\s*$")
            .unwrap()
    });
    static DIFF_GIT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^diff --git (?:\S+) (?:[a-z]/)?(\S+)").unwrap());
    static ADVICE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:kindly|please)\s+add\s+(?:the\s+)?following\s+tags?\b|\badd\s+the\s+following\s+tags?\s+to\s+the\s+commit\b")
            .unwrap()
    });
    static SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*\d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?")
            .unwrap()
    });

    let mut f = MailFacts::default();
    let lines: Vec<&str> = body.lines().collect();
    let mut outlook_quote = false;
    let mut in_diff = false;
    let mut pending_stat: Vec<String> = Vec::new();
    let mut prev_own: Option<&str> = None;
    let mut stable_added = false;
    // A notice that names no tree: its mail's links may (b4's `commit:`).
    let mut seek_tree = false;
    let mut diff_files: Vec<String> = Vec::new();
    let mut stat_files: Vec<String> = Vec::new();
    // In the paragraph after a bot's advice ("kindly add following tag",
    // "please add the following tag"): the tags there are suggested, not
    // given.
    let mut advice = false;
    for (i, &line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            advice = false;
        } else if ADVICE.is_match(line) {
            advice = true;
        }
        if line.trim() == "-----Original Message-----" {
            outlook_quote = true;
        }
        if outlook_quote || is_quoted(line) {
            pending_stat.clear();
            if !line.trim().is_empty() {
                f.quoted_lines += 1;
            }
            prev_own = None;
            continue;
        }
        if !line.trim().is_empty() {
            f.own_lines += 1;
        }
        // Diff state: a diff runs from `diff --git` or a `---`/`+++` pair to
        // the first line that cannot be part of it.
        if line.starts_with("diff --git ") {
            in_diff = true;
            f.has_diff = true;
            if let Some(c) = DIFF_GIT.captures(line) {
                diff_files.push(c[1].to_string());
            }
            continue;
        }
        if line.starts_with("--- ")
            && lines.get(i + 1).is_some_and(|n| n.starts_with("+++ "))
            && lines.get(i + 2).is_some_and(|n| n.starts_with("@@ "))
        {
            in_diff = true;
            f.has_diff = true;
            continue;
        }
        if in_diff {
            if is_diff_line(line) {
                continue;
            }
            in_diff = false;
        }
        // A diffstat block counts only when its summary line follows it.
        if let Some(c) = DIFFSTAT.captures(line) {
            pending_stat.push(c[1].to_string());
        } else if SUMMARY.is_match(line) {
            stat_files.append(&mut pending_stat);
        } else {
            pending_stat.clear();
        }

        if let Some(c) = TRAILER.captures(line) {
            let (name, email) = split_person(&c[2]);
            // A tag a bot suggests, or one naming a bot, is not given by
            // anyone (a Signed-off-by chain stays as written).
            let not_given = |kind: TrailerKind| {
                !matches!(kind, TrailerKind::SignedOffBy | TrailerKind::CoDevelopedBy)
                    && (advice || names_a_bot(&name, &email))
            };
            let word = c[1].to_ascii_lowercase();
            let word = word.trim_end_matches("-by");
            for &kind in trailer_kinds(word) {
                if kind == TrailerKind::Nacked {
                    f.nak = true;
                }
                if (name.is_empty() && email.is_empty()) || not_given(kind) {
                    continue;
                }
                let t = Trailer {
                    kind,
                    name: name.clone(),
                    email: email.clone(),
                };
                if !f.trailers.contains(&t) {
                    f.trailers.push(t);
                }
            }
            prev_own = Some(line);
            continue;
        }
        if !f.nak && nak_line(line) {
            f.nak = true;
        }
        if f.applied.is_none() {
            let para_start = prev_own.is_none_or(|p| {
                let p = p.trim_end();
                p.is_empty() || p.ends_with(['.', '!', '?', ':'])
            });
            if let Some(mut a) = applied_notice(line, para_start) {
                if a.line.to_lowercase().contains("just added the patch") {
                    stable_added = true;
                    a.target = None;
                }
                seek_tree = !stable_added && a.target.is_none();
                f.applied = Some(a);
            }
        } else if stable_added {
            // The stable queue names the tree a few lines later:
            // "to the 6.1-stable tree which can be found at:".
            static TREE: LazyLock<Regex> =
                LazyLock::new(|| Regex::new(r"(?i)\bto the (\S+-stable) tree\b").unwrap());
            if let Some(c) = TREE.captures(line) {
                if let Some(a) = f.applied.as_mut() {
                    a.target = Some(c[1].to_string());
                }
                stable_added = false;
            }
        } else if seek_tree {
            // Up to the signature: "[1/2] subject" then "commit: LINK".
            if line.trim_end() == "--" {
                seek_tree = false;
            } else if let Some(t) = tree::of_url_line(line) {
                if let Some(a) = f.applied.as_mut() {
                    a.target = Some(t);
                }
                seek_tree = false;
            }
        }
        prev_own = Some(line);
    }
    // A diffstat is the better list (it covers binary files and renames);
    // fall back to the `diff --git` lines.
    let files = if stat_files.is_empty() {
        diff_files
    } else {
        stat_files
    };
    for file in files {
        if !f.diffstat.contains(&file) {
            f.diffstat.push(file);
        }
    }
    f
}

/// Automated senders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BotKind {
    /// patchwork-bot+…@kernel.org: "This series was applied to …".
    PatchworkBot,
    /// pr-tracker-bot@kernel.org: "The pull request you sent … has been merged".
    PrTracker,
    /// The 0-day kernel test robot (lkp@intel.com).
    KernelTestRobot,
    /// syzbot (…@syzkaller.appspotmail.com).
    Syzbot,
    /// KernelCI and similar CI reporting bots.
    CiBot,
    /// Stable-queue notices: "Patch … has been added to the X-stable tree",
    /// "FAILED: patch … failed to apply to X-stable tree".
    StableNotice,
    /// Patches picked for stable by the AUTOSEL tooling.
    Autosel,
    /// Another automated sender (noreply, …-bot@, mailer daemons).
    Other,
}

impl BotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BotKind::PatchworkBot => "patchwork-bot",
            BotKind::PrTracker => "pr-tracker",
            BotKind::KernelTestRobot => "kernel-test-robot",
            BotKind::Syzbot => "syzbot",
            BotKind::CiBot => "ci-bot",
            BotKind::StableNotice => "stable-notice",
            BotKind::Autosel => "autosel",
            BotKind::Other => "other",
        }
    }
}

/// Whether a trailer's person is a bot: a bot's address or name, or a name
/// that says so ("Hulk Robot", "Zeal Robot", "… CI bot").
fn names_a_bot(name: &str, email: &str) -> bool {
    static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\b(?:ro)?bot\b").unwrap());
    is_bot(name, email, "", "").is_some() || NAME.is_match(name)
}

/// Whether a mail comes from a bot, and which. Decided from the sender and,
/// for the stable queue (whose notices come from a person's address), the
/// subject and body.
pub fn is_bot(from_name: &str, from_addr: &str, subject: &str, body: &str) -> Option<BotKind> {
    static STABLE_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?i)^\s*(?:patch\s+".*"\s+has been added to the\s+\S*stable|failed:\s+patch\s+".*"\s+failed to apply to\s+\S*stable)"#,
        )
        .unwrap()
    });
    static STABLE_BODY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?im)^(?:This is a note to let you know that I've just added the patch titled|The patch below does not apply to the \S+-stable tree\.)",
        )
        .unwrap()
    });
    static OTHER_ADDR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:[^@]*[-_.+])?(?:bot|robot|no-?reply|do-?not-?reply|mailer-daemon|ci)(?:[-_.+][^@]*)?@")
            .unwrap()
    });
    let addr = from_addr.trim().to_lowercase();
    let name = from_name.trim().to_lowercase();
    let (local, domain) = addr.split_once('@').unwrap_or((addr.as_str(), ""));
    if local.starts_with("patchwork-bot") {
        return Some(BotKind::PatchworkBot);
    }
    if local == "pr-tracker-bot" {
        return Some(BotKind::PrTracker);
    }
    if addr == "lkp@intel.com" || name == "kernel test robot" || name == "kbuild test robot" {
        return Some(BotKind::KernelTestRobot);
    }
    if domain == "syzkaller.appspotmail.com" || local.starts_with("syzbot") {
        return Some(BotKind::Syzbot);
    }
    if domain == "kernelci.org" || name.contains("kernelci") {
        return Some(BotKind::CiBot);
    }
    // The stable queue writes from people's addresses: recognise its mails
    // (not replies to them) by subject and body.
    let subj = super::subject::parse_subject(subject);
    if !subj.is_reply {
        if STABLE_SUBJECT.is_match(subject) || STABLE_BODY.is_match(body) {
            return Some(BotKind::StableNotice);
        }
        if subj.autosel {
            return Some(BotKind::Autosel);
        }
    }
    if OTHER_ADDR.is_match(&addr) {
        return Some(BotKind::Other);
    }
    None
}

/// A line that continues a diff once one has started: context, added and
/// removed lines, hunk headers, the extended git headers (modes, renames,
/// copies, similarity) and binary patches.
pub fn is_diff_line(line: &str) -> bool {
    const HEADS: [&str; 15] = [
        "index ",
        "new file mode",
        "deleted file mode",
        "old mode",
        "new mode",
        "similarity index",
        "dissimilarity index",
        "rename ",
        "copy ",
        "Binary files",
        "GIT binary patch",
        "literal ",
        "delta ",
        "diff --git ",
        "diff --cc ",
    ];
    line.is_empty()
        || line.starts_with([' ', '+', '-', '@', '\\'])
        || HEADS.iter().any(|h| line.starts_with(h))
}

/// Remove control characters (keeping newlines), turn tabs into spaces.
pub fn strip_controls(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\t' => Some(' '),
            c if c.is_control() => None,
            // Bidi overrides and zero-width characters can hide text.
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => None,
            '\u{feff}' => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trailer(kind: TrailerKind, name: &str, email: &str) -> Trailer {
        Trailer {
            kind,
            name: name.into(),
            email: email.into(),
        }
    }

    #[test]
    fn tags_a_bot_suggests_or_that_name_a_bot_are_not_given() {
        let body = "\
Hi Alice,

I love your patch! Perhaps something to improve:

If you fix the issue, kindly add following tag as appropriate
Reported-by: kernel test robot <lkp@intel.com>
Reviewed-by: Someone Suggested <s@example.org>

IMPORTANT: if you fix the issue, please add the following tag to the commit:
Reported-by: syzbot+0123abcd@syzkaller.appspotmail.com

Reported-by: kernel test robot <lkp@intel.com>
Tested-by: KernelCI bot <bot@kernelci.org>
Reported-by: Hulk Robot <hulkci@huawei.com>
Reported-by: Zeal Robot <zealci@zte.com.cn>
Reviewed-by: Bob Reviewer <bob@example.org>
Signed-off-by: Alice Author <alice@example.org>
";
        let f = mail_facts(body);
        assert_eq!(
            f.trailers,
            vec![
                trailer(TrailerKind::ReviewedBy, "Bob Reviewer", "bob@example.org"),
                trailer(
                    TrailerKind::SignedOffBy,
                    "Alice Author",
                    "alice@example.org"
                ),
            ]
        );
    }

    #[test]
    fn trailers_only_from_own_lines() {
        let body = "\
On Mon, Jan 1, Alice wrote:
> Some patch text
> Signed-off-by: Alice Author <alice@example.org>
> Reviewed-by: Carol Quoted <carol@example.org>
>> Acked-by: Dave Deep <dave@example.org>
   > Tested-by: Indented Quote <iq@example.org>

Looks good to me.

Reviewed-by: Bob Reviewer <Bob@Example.ORG>
Acked-by: \"Last, First\" <first.last@example.net> # for arm64
Tested-by: tester@example.com
Reported-by: Just A Name
Suggested-by: Sam Suggest <sam@example.org>
Co-developed-by: Cody Dev <cody@example.org>
Signed-off-by: Cody Dev <cody@example.org>
Reviewed-by: Bob Reviewer <bob@example.org>
";
        let f = mail_facts(body);
        assert_eq!(
            f.trailers,
            vec![
                trailer(TrailerKind::ReviewedBy, "Bob Reviewer", "bob@example.org"),
                trailer(
                    TrailerKind::AckedBy,
                    "Last, First",
                    "first.last@example.net"
                ),
                trailer(TrailerKind::TestedBy, "", "tester@example.com"),
                trailer(TrailerKind::ReportedBy, "Just A Name", ""),
                trailer(TrailerKind::SuggestedBy, "Sam Suggest", "sam@example.org"),
                trailer(TrailerKind::CoDevelopedBy, "Cody Dev", "cody@example.org"),
                trailer(TrailerKind::SignedOffBy, "Cody Dev", "cody@example.org"),
            ]
        );
        assert!(!f.nak);
        assert_eq!(f.quoted_lines, 5);
        assert_eq!(f.own_lines, 10);
    }

    #[test]
    fn combined_and_case_variants() {
        let f = mail_facts(
            "reviewed-by: low case <lc@example.org>\nReviewed-and-tested-by: Both <b@example.org>\n",
        );
        assert_eq!(
            f.trailers,
            vec![
                trailer(TrailerKind::ReviewedBy, "low case", "lc@example.org"),
                trailer(TrailerKind::ReviewedBy, "Both", "b@example.org"),
                trailer(TrailerKind::TestedBy, "Both", "b@example.org"),
            ]
        );
    }

    #[test]
    fn outlook_quotes_are_quoted() {
        let body = "Acked-by: Top Poster <tp@example.org>\n\n-----Original Message-----\nFrom: X\nReviewed-by: Old <old@example.org>\n";
        let f = mail_facts(body);
        assert_eq!(f.trailers.len(), 1);
        assert_eq!(f.trailers[0].email, "tp@example.org");
    }

    #[test]
    fn naks() {
        assert!(mail_facts("NAK.\n\nThis breaks the ABI.\n").nak);
        assert!(mail_facts("Nacked-by: Strict Person <s@example.org>\n").nak);
        assert!(
            mail_facts("Nacked-by: Strict Person <s@example.org>\n")
                .trailers
                .iter()
                .any(|t| t.kind == TrailerKind::Nacked)
        );
        assert!(mail_facts("So this is a NACK from me until it is fixed.\n").nak);
        assert!(mail_facts("Nak, see below.\n").nak);
        // Quoted NAKs are someone else's.
        assert!(!mail_facts("> NAK.\n> Nacked-by: Q <q@example.org>\n\nI disagree.\n").nak);
        // Words that merely contain the letters.
        assert!(!mail_facts("The snake ate the knack of it.\nNaked pointer here.\n").nak);
        // A removed line in a diff is not a NAK.
        assert!(!mail_facts("diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n- * NAKed, read it\n+ * read it\n").nak);
    }

    fn applied(body: &str) -> Option<Applied> {
        mail_facts(body).applied
    }

    #[test]
    fn applied_notices() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Applied to kvmarm/next, thanks!", Some("kvmarm/next")),
            (
                "Applied to arm64 (for-next/fixes), thanks!",
                Some("arm64 (for-next/fixes)"),
            ),
            ("Queued for 5.18", Some("5.18")),
            ("Queued for 5.18.", Some("5.18")),
            ("applied, thanks", None),
            ("Thanks, applied.", None),
            (
                "Thanks! Queued up for the next merge window.",
                Some("next merge window"),
            ),
            (
                "Pushed to the kvm-unit-tests master branch.",
                Some("kvm-unit-tests master branch"),
            ),
            ("Merged into the misc branch.", Some("misc branch")),
            ("Pulled, thanks.", None),
            ("Now queued up, thanks.", None),
            (
                "I've applied patches 1-3 to my fixes branch.",
                Some("my fixes branch"),
            ),
            ("Picked up, thanks!", None),
            ("Taken.", None),
            (
                "This series was applied to kvmarm/kvmarm.git (next)",
                Some("kvmarm/kvmarm.git (next)"),
            ),
            ("has been applied to the sound tree at", Some("sound")),
            (
                "has been merged into torvalds/linux.git:",
                Some("torvalds/linux.git"),
            ),
            (
                "Applied to misc/next with a small fixup, thanks!",
                Some("misc/next"),
            ),
            (
                "Pushed to arm/queue -- pull request to follow.",
                Some("arm/queue"),
            ),
            (
                "Applied to kvm/next (since the fixes branch is closed).",
                Some("kvm/next"),
            ),
            ("Queued, thanks Ann for the review!", None),
            ("Queued patches 2-4 for now.", None),
            ("I've now picked up v3 for 6.4, thanks.", Some("6.4")),
        ];
        for (line, target) in cases {
            let body = format!("Hi,\n\n{line}\n\nM.\n");
            let a = applied(&body).unwrap_or_else(|| panic!("not seen: {line}"));
            assert_eq!(a.line, *line);
            assert_eq!(a.target.as_deref(), *target, "{line}");
        }
    }

    #[test]
    fn a_notice_that_names_no_tree_in_its_clause_takes_one_from_its_mail() {
        let cases: &[(&str, Option<&str>)] = &[
            ("applied to next", Some("next")),
            ("Queued for 5.18", Some("5.18")),
            ("pushed to kvm/queue", Some("kvm/queue")),
            // A URL names a repository (and a branch), however it is spelled.
            (
                "Merged to https://gitlab.com/kvm-unit-tests/kvm-unit-tests.git master",
                Some("kvm-unit-tests/kvm-unit-tests master"),
            ),
            (
                "Queued, https://gitlab.com/rhdrjones/kvm-unit-tests/commits/arm/queue",
                Some("rhdrjones/kvm-unit-tests arm/queue"),
            ),
            (
                "Queued to https://github.com/rhdrjones/kvm-unit-tests/tree/arm/queue",
                Some("rhdrjones/kvm-unit-tests arm/queue"),
            ),
            (
                "Applied to git://git.kernel.org/pub/scm/linux/kernel/git/arm64/linux.git for-next/core, thanks!",
                Some("arm64/linux for-next/core"),
            ),
            // Later in the sentence, or "on" a branch.
            (
                "Pulled, thanks (to kvm/queue only for now).",
                Some("kvm/queue"),
            ),
            (
                "I queued patches 3-27 on the arm64 for-next/sme, the rest went elsewhere.",
                Some("arm64 for-next/sme"),
            ),
            (
                "Pushed the series with the squash to branch `for_paolo/6.1` at:",
                Some("for_paolo/6.1"),
            ),
            // Nothing names a tree.
            (
                "Queued, thanks.  I will leave this in kvm/queue for now.",
                None,
            ),
            ("Pulled, thanks.", None),
        ];
        for (line, target) in cases {
            let body = format!("Hi,\n\n{line}\n\nM.\n");
            let a = applied(&body).unwrap_or_else(|| panic!("not seen: {line}"));
            assert_eq!(a.target.as_deref(), *target, "{line}");
        }
        // b4's thank-you mail: the commit links name the repository.
        let b4 = |link: &str| {
            format!(
                "On Mon, Alice wrote:\n> patch\n\nApplied, thanks!\n\n[1/2] KVM: arm64: one\n      \
                 commit: 0123abcd\n[2/2] KVM: arm64: two\n      {link}\n\nBest regards,\n"
            )
        };
        for (link, target) in [
            (
                "commit: https://git.kernel.org/kvmarm/kvmarm/c/abc123",
                "kvmarm/kvmarm",
            ),
            ("https://git.kernel.org/arm64/c/b5d3f4daf4d3", "arm64"),
            (
                "https://git.kernel.org/pub/scm/linux/kernel/git/kvmarm/kvmarm.git/commit/?h=next&id=b356a8",
                "kvmarm/kvmarm next",
            ),
        ] {
            let a = applied(&b4(link)).unwrap();
            assert_eq!(a.line, "Applied, thanks!");
            assert_eq!(a.target.as_deref(), Some(target), "{link}");
        }
        // A tree the notice names is kept; a link elsewhere in the mail
        // does not replace it.
        let body = "Applied to arm64 (for-next/misc), thanks!\n\n[1/1] arm64: x\n      \
                    https://git.kernel.org/arm64/c/b5d3f4daf4d3\n";
        assert_eq!(
            applied(body).unwrap().target.as_deref(),
            Some("arm64 (for-next/misc)")
        );
        let body =
            "Pushed\n(to the new repo at https://gitlab.com/kvm-unit-tests/kvm-unit-tests.git)\n";
        assert_eq!(
            applied(body).unwrap().target.as_deref(),
            Some("kvm-unit-tests/kvm-unit-tests")
        );
        // Links that are no repository, and those after the signature or in
        // quoted text, name nothing.
        for body in [
            "Applied, thanks.\n\nSee https://github.com/foo/bar/issues/12 for the report.\n",
            "Applied, thanks.\n\n-- \nWill\n\nhttps://git.kernel.org/arm64/c/abc\n",
            "Applied, thanks.\n\n> https://git.kernel.org/arm64/c/abc\n",
            "Applied, thanks.\n\nhttps://next.arm64.dev\n",
        ] {
            assert_eq!(applied(body).unwrap().target, None, "{body}");
        }
    }

    #[test]
    fn not_applied_notices() {
        for line in [
            "Applied on top of 6.2-rc1 and tested on my board, works.",
            "I applied this series locally and the guest boots fine.",
            "Can this be queued for 5.18?",
            "applied cleanly to next",
            "Once this is applied to next, the follow-up can go in.",
            "FAILED: patch failed to apply to 5.10-stable tree",
            "Applied?",
            "Merged upstream already long ago somewhere",
            "The patch does not apply to kvmarm/next.",
            "I've pulled in the helper library from upstream:",
            "I have pulled the new branch and it works well for me.",
            "Applied this series and verified that the guest still comes up.",
        ] {
            let body = format!("Hi,\n\n{line}\n");
            assert_eq!(applied(&body), None, "{line}");
        }
        // Wrapped text that continues a sentence.
        let body = "The check is made before the exception is\ntaken to EL2, so this is fine.\n";
        assert_eq!(applied(body), None);
        let body = "This part should get\nmerged into the other series.\n";
        assert_eq!(applied(body), None);
        // Quoted notices are someone else's.
        assert_eq!(applied("> Applied to next, thanks!\n\nWhy?\n"), None);
    }

    #[test]
    fn stable_queue_notice() {
        let body = "\
This is a note to let you know that I've just added the patch titled

    KVM: arm64: Fix a thing

to the 6.1-stable tree which can be found at:
    http://www.example.org/stable-queue.git

";
        let a = applied(body).unwrap();
        assert!(a.line.starts_with("This is a note"));
        assert_eq!(a.target.as_deref(), Some("6.1-stable"));
    }

    #[test]
    fn diffstat_and_diff() {
        let body = "\
Commit message here.

Signed-off-by: Pat Author <pat@example.org>
---
 arch/arm64/kvm/arm.c            | 12 +++++++-----
 arch/arm64/include/asm/kvm_host.h |  2 ++
 Documentation/{old.rst => new.rst} | 0
 tools/testing/blob.bin          | Bin 0 -> 123 bytes
 4 files changed, 14 insertions(+), 5 deletions(-)

diff --git a/arch/arm64/kvm/arm.c b/arch/arm64/kvm/arm.c
index 1234567..89abcde 100644
--- a/arch/arm64/kvm/arm.c
+++ b/arch/arm64/kvm/arm.c
@@ -1,3 +1,4 @@
 int a;
+int b;
-Reviewed-by: In Diff <diff@example.org>
-- 
2.39.0
";
        let f = mail_facts(body);
        assert!(f.has_diff);
        assert_eq!(
            f.diffstat,
            vec![
                "arch/arm64/kvm/arm.c",
                "arch/arm64/include/asm/kvm_host.h",
                "Documentation/{old.rst => new.rst}",
                "tools/testing/blob.bin",
            ]
        );
        assert_eq!(
            f.trailers,
            vec![trailer(
                TrailerKind::SignedOffBy,
                "Pat Author",
                "pat@example.org"
            )]
        );
    }

    #[test]
    fn diff_git_lines_without_diffstat() {
        let body = "\
diff --git a/virtio/net.c b/virtio/net.c
--- a/virtio/net.c
+++ b/virtio/net.c
@@ -1 +1 @@
-a
+b
diff --git a/include/kvm/kvm.h b/include/kvm/kvm.h
--- a/include/kvm/kvm.h
+++ b/include/kvm/kvm.h
@@ -1 +1 @@
-c
+d
";
        let f = mail_facts(body);
        assert!(f.has_diff);
        assert_eq!(f.diffstat, vec!["virtio/net.c", "include/kvm/kvm.h"]);
    }

    #[test]
    fn quoted_diff_is_not_a_diff() {
        let body = "> diff --git a/x.c b/x.c\n> --- a/x.c\n> +++ b/x.c\n> @@ -1 +1 @@\n> -a\n> +b\n\nWhy this?\n";
        let f = mail_facts(body);
        assert!(!f.has_diff);
        assert!(f.diffstat.is_empty());
        // A plain unified diff without `diff --git`.
        let f = mail_facts("--- old.c\n+++ new.c\n@@ -1 +1 @@\n-a\n+b\n");
        assert!(f.has_diff);
        // Prose with a table is not a diffstat.
        let f = mail_facts("Results:\n vcpus | 4 ms\n");
        assert!(f.diffstat.is_empty());
    }

    #[test]
    fn bots() {
        assert_eq!(
            is_bot(
                "patchwork-bot+netdevbpf@kernel.org",
                "patchwork-bot+netdevbpf@kernel.org",
                "Re: [PATCH] x",
                ""
            ),
            Some(BotKind::PatchworkBot)
        );
        assert_eq!(
            is_bot("", "pr-tracker-bot@kernel.org", "Re: [GIT PULL] x", ""),
            Some(BotKind::PrTracker)
        );
        assert_eq!(
            is_bot("kernel test robot", "lkp@intel.com", "Re: [PATCH] x", ""),
            Some(BotKind::KernelTestRobot)
        );
        assert_eq!(
            is_bot(
                "kernel test robot",
                "someone.else@intel.com",
                "[x:y 1/2] warning",
                ""
            ),
            Some(BotKind::KernelTestRobot)
        );
        assert_eq!(
            is_bot(
                "syzbot",
                "syzbot+0123abcd@syzkaller.appspotmail.com",
                "[syzbot] WARNING in x",
                ""
            ),
            Some(BotKind::Syzbot)
        );
        assert_eq!(
            is_bot("KernelCI bot", "bot@kernelci.org", "x", ""),
            Some(BotKind::CiBot)
        );
        assert_eq!(
            is_bot(
                "Stable Maintainer",
                "stable.maint@example.org",
                r#"Patch "KVM: arm64: Fix it" has been added to the 6.1-stable tree"#,
                ""
            ),
            Some(BotKind::StableNotice)
        );
        assert_eq!(
            is_bot(
                "Stable Maintainer",
                "stable.maint@example.org",
                r#"FAILED: patch "[PATCH] KVM: arm64: Fix it" failed to apply to 5.4-stable tree"#,
                ""
            ),
            Some(BotKind::StableNotice)
        );
        assert_eq!(
            is_bot(
                "Stable Maintainer",
                "stable.maint@example.org",
                "Some subject",
                "This is a note to let you know that I've just added the patch titled\n\n  x\n"
            ),
            Some(BotKind::StableNotice)
        );
        assert_eq!(
            is_bot(
                "Backport Person",
                "bp@example.org",
                "[PATCH AUTOSEL 5.15 12/30] KVM: x",
                ""
            ),
            Some(BotKind::Autosel)
        );
        // A person answering a stable notice or an AUTOSEL patch is a person.
        assert_eq!(
            is_bot(
                "Maint",
                "maint@example.org",
                "Re: [PATCH AUTOSEL 5.15 12/30] KVM: x",
                "Please drop"
            ),
            None
        );
        assert_eq!(
            is_bot(
                "Maint",
                "maint@example.org",
                r#"Re: Patch "KVM: arm64: Fix it" has been added to the 6.1-stable tree"#,
                "> This is a note to let you know that I've just added the patch titled\n\nPlease drop it.\n"
            ),
            None
        );
        assert_eq!(
            is_bot("", "noreply@example.com", "x", ""),
            Some(BotKind::Other)
        );
        assert_eq!(
            is_bot("", "ci-bot@example.com", "x", ""),
            Some(BotKind::Other)
        );
        // People, including ones whose names contain "bot".
        assert_eq!(
            is_bot(
                "Abbot Person",
                "abbot@example.org",
                "Re: [PATCH] x",
                "Applied"
            ),
            None
        );
        assert_eq!(
            is_bot(
                "Marc",
                "maz@example.org",
                "Re: [PATCH 5.10 1/3] x",
                "Looks good"
            ),
            None
        );
        assert_eq!(is_bot("Cibele", "cibele@example.org", "x", ""), None);
    }

    #[test]
    fn body_text_decodes_mime() {
        let raw = b"From: A <a@example.org>\r\nSubject: [PATCH] x\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n--BB\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Caf=C3=A9 first part\r\n\r\nReviewed-by: R <r@example.org>\r\n--BB\r\n\
Content-Type: text/x-patch; name=\"fix.patch\"\r\nContent-Disposition: attachment; filename=\"fix.patch\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nZGlmZiAtLWdpdCBhL3guYyBiL3guYwo=\r\n\
--BB\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--BB--\r\n";
        let t = body_text(raw);
        assert!(t.contains("Café first part"), "{t:?}");
        assert!(t.contains("diff --git a/x.c b/x.c"), "{t:?}");
        assert!(!t.contains('\r'));
        let f = mail_facts(&t);
        assert_eq!(f.trailers.len(), 1);
        assert!(f.has_diff);
    }

    #[test]
    fn body_text_never_fails() {
        assert_eq!(body_text(b""), "");
        assert_eq!(body_text(b"Subject: x\n\nplain body\n"), "plain body\n");
        // Invalid UTF-8 in an 8-bit body.
        let t =
            body_text(b"Subject: x\nContent-Type: text/plain; charset=utf-8\n\nbad \xff byte\n");
        assert!(t.contains("bad") && t.contains("byte"));
        // Garbage.
        let _ = body_text(&[0xffu8; 100]);
        let _ = body_text(b"\n\n\n");
        // Size cap.
        let mut big = b"Subject: big\n\n".to_vec();
        big.extend(std::iter::repeat_n(b'a', 3 * 1024 * 1024));
        assert!(body_text(&big).len() <= MAX_BODY_BYTES);
        // A multi-byte character on the cap boundary does not split.
        let mut big = b"Subject: big\nContent-Type: text/plain; charset=utf-8\n\n".to_vec();
        for _ in 0..(MAX_BODY_BYTES / 3 + 10) {
            big.extend("é".as_bytes());
            big.push(b'x');
        }
        let t = body_text(&big);
        assert!(t.len() <= MAX_BODY_BYTES);
    }

    #[test]
    fn html_only_mail_gives_text() {
        let raw = b"Subject: x\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>Applied to next, thanks!</p></body></html>\n";
        let t = body_text(raw);
        assert!(t.contains("Applied to next, thanks!"), "{t:?}");
        assert!(!t.contains("<p>"));
    }
}
