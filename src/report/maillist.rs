//! A thread's mail list in the Markdown report, compact: the numbered
//! patch mails of one version of a series are one line of patch numbers
//! ("v3, 12 patches + cover letter: 0/12 1/12 … 12/12"), each number linking to the
//! mail on lore and carrying the anchor of its mail number (`t-N-m-K`,
//! what summary citations `[#K]` link to); every other mail of the window
//! keeps its own numbered line.
//!
//! The history (mails before the window, listed by the digests of their own
//! weeks) is condensed: a version's patch mails are one line linking the
//! cover letter, and a run of other earlier mails is one line of who wrote
//! how many. An earlier mail that the summary cites keeps its own line (or
//! its number in the patch line), so that every citation lands on its
//! entry. A list of more than [`DETAILS_OVER`] entries is folded into
//! `<details>` (no script needed). The JSON keeps every mail.

use std::collections::BTreeSet;
use std::fmt::Write;

use chrono_tz::Tz;

use super::markup::{escape_inline, fmt_short, link, mail_anchor};
use crate::digest::{MessageView, ThreadView};
use crate::lang::{Labels, Lang};

/// Lists of more entries than this (a patch block counts as one) are
/// folded into `<details>`.
pub const DETAILS_OVER: usize = 10;

/// One entry of the list: a mail, or the patch mails of one version of a
/// series (2 or more, numbered, in N/M order), by their 0-based places in
/// the thread's mail list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Mail(usize),
    Patches(Vec<usize>),
    /// A run of earlier (history) mails that no citation names, not patch
    /// blocks: one line of who wrote how many.
    Earlier(Vec<usize>),
}

/// The key that makes a run of patch mails one block: window or history,
/// and version. None for a mail that is not a numbered patch mail.
fn block_key(m: &MessageView) -> Option<(bool, u32)> {
    let s = &m.subject_info;
    (s.is_patch_mail() && s.part.is_some()).then(|| (m.in_window, s.effective_version()))
}

/// The entries of a thread's mail list, in its order. The digest already
/// puts the patches of each version together in N/M order; a run of two or
/// more numbered patch mails of one version becomes one block; a run of
/// other history mails whose numbers (1-based) are not in `cited` becomes
/// one [`Entry::Earlier`].
pub fn entries(messages: &[MessageView], cited: &BTreeSet<usize>) -> Vec<Entry> {
    let mut out = Vec::new();
    for e in blocks(messages) {
        match e {
            Entry::Mail(i) if !messages[i].in_window && !cited.contains(&(i + 1)) => {
                if let Some(Entry::Earlier(run)) = out.last_mut() {
                    run.push(i);
                } else {
                    out.push(Entry::Earlier(vec![i]));
                }
            }
            e => out.push(e),
        }
    }
    out
}

/// The mails and patch blocks of a thread's list.
fn blocks(messages: &[MessageView]) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < messages.len() {
        let Some(key) = block_key(&messages[i]) else {
            out.push(Entry::Mail(i));
            i += 1;
            continue;
        };
        let mut j = i + 1;
        while j < messages.len() && block_key(&messages[j]) == Some(key) {
            j += 1;
        }
        if j - i >= 2 {
            out.push(Entry::Patches((i..j).collect()));
        } else {
            out.push(Entry::Mail(i));
        }
        i = j;
    }
    out
}

/// Wording of the compact list.
struct Words {
    /// "v3, 12 patches"; `{v}` and `{n}`.
    block: &'static str,
    /// Added when the block has a cover letter (`0/M`).
    cover: &'static str,
    /// Summary of a folded list; `{n}` mails.
    show_all: &'static str,
    /// A run of earlier mails; `{n}` mails.
    earlier: &'static str,
    earlier_one: &'static str,
}

fn words(lang: Lang) -> Words {
    if lang == Lang::Zh {
        Words {
            block: "v{v}，{n} 个补丁",
            cover: " + 封面信",
            show_all: "全部 {n} 封邮件",
            earlier: "{n} 封邮件",
            earlier_one: "1 封邮件",
        }
    } else {
        Words {
            block: "v{v}, {n} patches",
            cover: " + cover letter",
            show_all: "All {n} mails",
            earlier: "{n} mails",
            earlier_one: "1 mail",
        }
    }
}

/// The subject shown for a reply: `Re: [PATCH v2 05/26]` for a reply whose
/// subject only repeats (after `Re:` or the like) the subject of a patch or
/// cover letter of the thread, `[tags] title`: the title is already in the
/// list (or the heading). Any other subject is shown whole.
fn shown_subject<'a>(m: &'a MessageView, originals: &[&str]) -> std::borrow::Cow<'a, str> {
    let s = m.subject.as_str();
    if m.subject_info.is_reply {
        for o in originals {
            let Some(prefix) = s.strip_suffix(o) else {
                continue;
            };
            // Only a reply prefix before it ("Re: ", "Re: Re: ", "AW: ").
            let short = prefix.trim().len() <= 12
                && prefix.contains([':', '：'])
                && !prefix.contains(['[', ']']);
            let tags = o
                .strip_prefix('[')
                .and_then(|r| r.find(']'))
                .map(|e| &o[..e + 2]);
            if let (true, Some(tags)) = (short, tags)
                && tags.len() + 8 < o.len()
            {
                return format!("{prefix}{tags}").into();
            }
        }
    }
    s.into()
}

/// `1. <a id="t-1-m-1"></a>`03-07 10:00` [subject](url) — sender`.
fn mail_line(
    l: &Labels,
    tz: Tz,
    n: usize,
    k: usize,
    m: &MessageView,
    originals: &[&str],
) -> String {
    let hist = if m.in_window {
        String::new()
    } else {
        format!(" *({})*", l.history_tag)
    };
    format!(
        "{k}. <a id=\"{}\"></a>`{}`{hist} {} — {}",
        mail_anchor(n, k),
        fmt_short(&m.date, tz),
        link(&shown_subject(m, originals), &m.url),
        escape_inline(&m.from)
    )
}

/// `- **#2–14** `03-07 10:00` v3, 12 patches + cover letter — sender:
/// [0/12](url) …`, the series title added when it is not the thread's. A
/// block of the history links its first mail (the cover letter) and the
/// mails `cited`, not every patch.
#[allow(clippy::too_many_arguments)]
fn block_line(
    l: &Labels,
    w: &Words,
    tz: Tz,
    n: usize,
    th_title: &str,
    th: &ThreadView,
    idx: &[usize],
    cited: &BTreeSet<usize>,
) -> String {
    let msgs: Vec<&MessageView> = idx.iter().map(|&i| &th.messages[i]).collect();
    let first = msgs[0];
    let (a, b) = (idx[0] + 1, idx[idx.len() - 1] + 1);
    let hist = if first.in_window {
        String::new()
    } else {
        format!(" *({})*", l.history_tag)
    };
    let mut senders: Vec<&str> = Vec::new();
    for m in &msgs {
        if !senders.contains(&m.from.as_str()) {
            senders.push(&m.from);
        }
    }
    let senders: Vec<String> = senders.iter().map(|s| escape_inline(s)).collect();
    let title = &first.subject_info.title;
    let title = if title.eq_ignore_ascii_case(th_title) || title.is_empty() {
        String::new()
    } else {
        format!(" {}", escape_inline(title))
    };
    let cover = |m: &&MessageView| m.subject_info.part.is_some_and(|(x, _)| x == 0);
    let mut head = w
        .block
        .replace("{v}", &first.subject_info.effective_version().to_string())
        .replace(
            "{n}",
            &msgs.iter().filter(|m| !cover(m)).count().to_string(),
        );
    if msgs.iter().any(cover) {
        head.push_str(w.cover);
    }
    let numbers: Vec<String> = idx
        .iter()
        .zip(&msgs)
        .filter(|(i, _)| first.in_window || **i == idx[0] || cited.contains(&(**i + 1)))
        .map(|(&i, m)| {
            let nm = m
                .subject_info
                .part
                .map(|(x, y)| format!("{x}/{y}"))
                .unwrap_or_default();
            // The anchor a citation lands on.
            let anchor = if cited.contains(&(i + 1)) {
                format!("<a id=\"{}\"></a>", mail_anchor(n, i + 1))
            } else {
                String::new()
            };
            format!("{anchor}{}", link(&nm, &m.url))
        })
        .collect();
    format!(
        "- **\\#{a}–{b}** `{}`{hist} {head}{title} — {}: {}",
        fmt_short(&first.date, tz),
        senders.join(", "),
        numbers.join(" ")
    )
}

/// `- **#66–115** `02-01 14:22` — `02-25 13:45` *(history)* 50 mails:
/// Alexandru Elisei (36), Russell King (9)`: senders by mails, most first.
fn earlier_line(l: &Labels, w: &Words, tz: Tz, th: &ThreadView, idx: &[usize]) -> String {
    let msgs: Vec<&MessageView> = idx.iter().map(|&i| &th.messages[i]).collect();
    let (a, b) = (idx[0] + 1, idx[idx.len() - 1] + 1);
    let range = if a == b {
        format!("\\#{a}")
    } else {
        format!("\\#{a}–{b}")
    };
    let (t0, t1) = (
        fmt_short(&msgs[0].date, tz),
        fmt_short(&msgs[msgs.len() - 1].date, tz),
    );
    let when = if t0 == t1 {
        format!("`{t0}`")
    } else {
        format!("`{t0}` — `{t1}`")
    };
    // One person, one name (as the participants line names them).
    let mut senders: Vec<(&str, &str, usize)> = Vec::new();
    for m in &msgs {
        let p = &m.sender;
        let name = [
            p.name.trim(),
            p.email.trim(),
            m.from_name.trim(),
            m.from_addr.trim(),
        ]
        .into_iter()
        .find(|n| !n.is_empty())
        .unwrap_or_default();
        let key = if p.key.is_empty() { name } else { &p.key };
        match senders.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, c)) => *c += 1,
            None => senders.push((key, name, 1)),
        }
    }
    // Most mails first; the first to write first among equals.
    senders.sort_by_key(|&(_, _, c)| std::cmp::Reverse(c));
    let senders: Vec<String> = senders
        .iter()
        .map(|(_, s, c)| format!("{} ({c})", escape_inline(s)))
        .collect();
    let count = if msgs.len() == 1 {
        w.earlier_one.to_string()
    } else {
        w.earlier.replace("{n}", &msgs.len().to_string())
    };
    format!(
        "- **{range}** {when} *({})* {count}: {}",
        l.history_tag,
        senders.join(", ")
    )
}

/// Write thread `n`'s mail list (after its heading) to `o`; `cited`: the
/// mail numbers (1-based) the thread's summary cites.
pub fn render(
    o: &mut String,
    l: &Labels,
    lang: Lang,
    tz: Tz,
    n: usize,
    th: &ThreadView,
    cited: &BTreeSet<usize>,
) {
    let w = words(lang);
    let th_title = crate::analysis::parse_subject(&th.subject).title;
    let entries = entries(&th.messages, cited);
    // Subjects that replies may repeat: the thread's and its patch mails'.
    let mut originals: Vec<&str> = vec![th.subject.as_str()];
    for m in &th.messages {
        if m.subject_info.is_patch_mail() && !originals.contains(&m.subject.as_str()) {
            originals.push(&m.subject);
        }
    }
    let fold = entries.len() > DETAILS_OVER;
    if fold {
        let _ = writeln!(
            o,
            "<details>\n<summary>{}</summary>\n",
            w.show_all.replace("{n}", &th.messages.len().to_string())
        );
    }
    // Mails and blocks are separate lists (a blank line between), so each
    // ordered list starts at its first mail's number.
    let mut prev_block: Option<bool> = None;
    for e in &entries {
        let is_block = !matches!(e, Entry::Mail(_));
        if prev_block.is_some_and(|p| p != is_block) {
            o.push('\n');
        }
        prev_block = Some(is_block);
        let line = match e {
            Entry::Mail(i) => mail_line(l, tz, n, i + 1, &th.messages[*i], &originals),
            Entry::Patches(idx) => block_line(l, &w, tz, n, &th_title, th, idx, cited),
            Entry::Earlier(idx) => earlier_line(l, &w, tz, th, idx),
        };
        let _ = writeln!(o, "{line}");
    }
    if fold {
        o.push_str("\n</details>\n");
    }
    o.push('\n');
}
