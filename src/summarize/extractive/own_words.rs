//! What a mail says in its own words, for the extractive summary: its own
//! paragraphs (quoted text, greetings, salutations, attributions, copied
//! headers and bot boilerplate left out), split into sentences, the first
//! substantive ones (who said what) and the abstract of a cover letter.

use std::sync::LazyLock;

use regex::Regex;

use crate::analysis::MailFacts;
use crate::digest::MessageView;
use crate::summarize::condense::{condense, paragraphs};

/// Longest abstract, in characters.
const ABSTRACT_CHARS: usize = 400;
/// Longest quoted sentence, in characters.
const SENTENCE_CHARS: usize = 200;

fn cut_at_word(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max).collect();
    if let Some(p) = cut.rfind(' ')
        && p > max / 2
    {
        cut.truncate(p);
    }
    let cut = cut.trim_end_matches([',', ';', ':', ' ']).to_string();
    format!("{cut}…")
}

/// Openings ("Hi Marc,"), closings ("Thanks,", "Cheers") and pings: not
/// what a mail says. "Thanks, applied." is not a closing.
fn is_greeting(p: &str) -> bool {
    let t = p.trim();
    if t.chars().count() >= 50 {
        return false;
    }
    let lower = t.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let first = words
        .first()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .unwrap_or("");
    let two = words.get(..2).map(|w| w.join(" ")).unwrap_or_default();
    let two = two.trim_end_matches(|c: char| !c.is_alphanumeric());
    let opener = [
        "hi",
        "hello",
        "hey",
        "dear",
        "hallo",
        "greetings",
        "morning",
    ];
    let closer = ["thanks", "thx", "cheers", "regards", "br", "best", "ta"];
    let closer2 = [
        "kind regards",
        "best regards",
        "many thanks",
        "thank you",
        "thanks again",
    ];
    if opener.contains(&first) && words.len() <= 5 {
        return true;
    }
    if (closer.contains(&first) || closer2.contains(&two))
        && (t.ends_with(',') || words.len() <= 2 && !t.ends_with('.'))
    {
        return true;
    }
    if (first == "ping" || two == "gentle ping" || two == "friendly ping") && words.len() <= 4 {
        return true;
    }
    t.starts_with('+') && words.len() <= 3
}

/// A line that only greets: "Christoph,", "Hi Marc, Oliver,", "Sean and
/// Paolo,", "Hi all!": after an opener ("Hi", "Hello", "Dear"), a few
/// words; without one, a few capitalized names ending with a comma (a
/// wrapped line "This breaks the build," is not one).
fn is_salutation(line: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^((?:hi|hello|hey|dear|hallo|greetings|morning|good\s+(?:morning|afternoon|evening))\b[\s,]*)?(\p{L}[\p{L}'’.\-]*(?:(?:\s*[,&/]\s*|\s+(?:and\s+)?)\p{L}[\p{L}'’.\-]*){0,3})?\s*([,!:])$",
        )
        .unwrap()
    });
    let t = line.trim();
    if t.chars().count() > 60 {
        return false;
    }
    let Some(c) = RE.captures(t) else {
        return false;
    };
    if c.get(1).is_some() {
        return true;
    }
    let Some(names) = c.get(2) else {
        return false;
    };
    &c[3] == ","
        && names
            .as_str()
            .split(|ch: char| ch.is_whitespace() || ch == ',' || ch == '&' || ch == '/')
            .filter(|w| !w.is_empty() && *w != "and")
            .all(|w| {
                w.chars().next().is_some_and(char::is_uppercase)
                    || ["all", "everyone", "folks", "guys", "team"].contains(&w)
            })
}

/// A line that is not the sender's own words: the attribution of a quote
/// ("On … wrote:", its wrapped first line "On Mon, Mar 7, 2022 at 10:00,
/// X", "Excerpts from X's message of …:", "Quoting X (…):", mutt's "* X
/// <x@y> [220307 10:00]:"), a header copied into the body ("From: …",
/// "Date: …"), or the commit list of an applied notice ("[1/3] …",
/// "commit: 1234abcd").
fn is_not_own_words(line: &str) -> bool {
    static ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)
              (?:\bwrote|\bwrites|\bsaid|\bschrieb|\ba\ écrit|\bescribió|\bha\ scritto|\bnapisał|写道|寫道)\s*[:：]\s*$
            | ^on\s.{0,200}\b(?:wrote|writes)\b
            | ^(?:am|le|el|il|op)\s.{0,200}\b(?:schrieb|a\ écrit|escribió|ha\ scritto|schreef)\b.*:\s*$
            | ^excerpts\ from\s.*\bmessage\ of\b
            | ^quoting\s.{0,150}(?:\(|:\s*$)
            | ^\*\s.{0,150}\[\d{6}\s+\d{1,2}:\d{2}\]:?\s*$
            | ^-{2,}\s*(?:original\ message|forwarded\ message)\s*-{2,}$
            | ^\[\d+/\d+\]\s
            | ^commit:\s*[0-9a-f]{7,}\b
            ",
        )
        .unwrap()
    });
    // "On Mon, Mar 07, 2022 at 10:00:00AM +0000, Marc Zyngier": a date
    // or time, no sentence end.
    static ATTRIBUTION_START: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^on\s.{0,150}(?:\d{1,2}:\d{2}|\b(?:19|20)\d{2}\b).*[^.?!]$").unwrap()
    });
    static HEADER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(?:From|Sent|Date|Subject|To|Cc|CC|Reply-To|Message-I[dD]|In-Reply-To|References)\s*:\s*\S",
        )
        .unwrap()
    });
    let t = line.trim();
    ATTRIBUTION.is_match(t)
        || (t.chars().count() < 200 && ATTRIBUTION_START.is_match(t))
        || HEADER.is_match(t)
}

/// Sentences of notices and bots' standard text: "Thank you for the
/// patch!", "This is a note to let you know …", "This series was applied
/// to …", and an applied notice that does not say where to ("Applied to",
/// "Thanks, applied."). "Applied to kvmarm/next, thanks!" is news.
fn is_boilerplate(sentence: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)^(?:
                thank\ you\ for\ (?:the|your)\ (?:patch|patches|series|pull\ request|report)\b
              | (?:perhaps|yet)\ something\ to\ improve\b
              | this\ is\ a\ note\ to\ let\ you\ know\b
              | the\ patch\ below\ does\ not\ apply\ to\b
              | the\ pull\ request\ you\ sent\b
              | (?:this|the)\ (?:patch|series|patchset|pull\ request)(?:\ \S+)?\ (?:was|were|has\ been|have\ been)\ (?:applied|merged|queued|pulled|added)\b
              | (?:applied|queued|merged|pushed)\s*(?:to|into|on|for)?\s*[.!:,]?\s*$
              | (?:greetings?|hello|hi)\s*[,!:.]?\s*$
              | syzbot\ (?:has\ )?(?:found|tested)\b
              | kernel\ test\ robot\ noticed\b
            )",
        )
        .unwrap()
    });
    let t = sentence.trim();
    RE.is_match(t)
        || crate::analysis::mail_facts(t)
            .applied
            .is_some_and(|a| a.target.is_none())
}

/// Sentences of a paragraph (split after `.`, `?`, `!` followed by a space,
/// and after `。！？`).
fn sentences(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = p.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        let end = match c {
            '。' | '！' | '？' => true,
            '.' | '?' | '!' => chars.get(i + 1).is_none_or(|n| n.is_whitespace()),
            _ => false,
        };
        if end {
            let s = cur.trim().to_string();
            // "e.g." and "i.e." and version numbers are not sentence ends.
            let lower = s.to_ascii_lowercase();
            if !(lower.ends_with("e.g.") || lower.ends_with("i.e.") || lower.ends_with("etc.")) {
                if !s.is_empty() {
                    out.push(s);
                }
                cur.clear();
            }
        }
    }
    let s = cur.trim().to_string();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

/// The own paragraphs of a mail worth quoting (no greetings, no
/// salutations, attributions or copied headers, no sign-offs, no
/// bracketed notes).
fn own_paragraphs(m: &MessageView) -> Vec<String> {
    own_paragraphs_of(&m.body, &m.facts)
}

fn own_paragraphs_of(body: &str, facts: &MailFacts) -> Vec<String> {
    let c = condense(body, facts);
    let lines: Vec<&str> = c.text.lines().collect();
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let para_start = i == 0 || lines[i - 1].trim().is_empty();
        let not_own = is_not_own_words(line)
            || (para_start && is_salutation(line))
            // The first line of an attribution wrapped over two lines.
            || lines
                .get(i + 1)
                .is_some_and(|n| n.trim_start().starts_with('<') && is_not_own_words(n));
        // A dropped line still ends the paragraph before it.
        kept.push(if not_own { "" } else { line });
    }
    paragraphs(&kept.join("\n"))
        .into_iter()
        .filter(|p| !is_greeting(p))
        .filter(|p| p.chars().filter(|c| c.is_alphabetic()).count() >= 3)
        .collect()
}

/// "Marc, this breaks …", "Hi, just to confirm …" → "this breaks …",
/// "just to confirm …": a leading greeting or vocative naming a participant
/// (or everyone), not "Peter, and/or Paolo, can you …".
fn strip_vocative(s: &str, names: &[String]) -> String {
    let t = s.trim();
    let Some((head, rest)) = t.split_once(',') else {
        return t.to_string();
    };
    let rest = rest.trim();
    let first_rest = rest.split_whitespace().next().unwrap_or("").to_lowercase();
    if rest.is_empty() || ["and", "or", "and/or", "&", "but"].contains(&first_rest.as_str()) {
        return t.to_string();
    }
    let words: Vec<String> = head.split_whitespace().map(|w| w.to_lowercase()).collect();
    let opener = |w: &String| ["hi", "hello", "hey", "dear"].contains(&w.as_str());
    let known = |w: &String| {
        opener(w)
            || ["and", "&", "all", "everyone", "folks", "guys", "team"].contains(&w.as_str())
            || names.contains(w)
    };
    if words.is_empty() || words.len() > 4 || !words.iter().all(known) {
        return t.to_string();
    }
    // "Hi, Just to confirm" → "Just to confirm".
    rest.to_string()
}

/// First substantive sentence of a mail: at least 20 characters (short
/// sentences are joined with the next one), at most [`SENTENCE_CHARS`];
/// no salutation, attribution or bot boilerplate. `names`: words of the
/// participants' names, lower-cased.
pub(super) fn first_sentence(m: &MessageView, names: &[String]) -> Option<String> {
    first_sentences(&m.body, &m.facts, names, 1).pop()
}

/// The first substantive sentence (see [`first_sentence`]) of each of the
/// first `max` own paragraphs of a mail that have one.
pub(super) fn first_sentences(
    body: &str,
    facts: &MailFacts,
    names: &[String],
    max: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    for para in own_paragraphs_of(body, facts) {
        if out.len() >= max {
            break;
        }
        let mut s = String::new();
        let mut notice = false;
        for sent in sentences(&para) {
            let sent = strip_vocative(&sent, names);
            if sent.is_empty() || is_greeting(&sent) {
                continue;
            }
            if is_boilerplate(&sent) {
                notice = true;
                continue;
            }
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&sent);
            if s.chars().count() >= 20 {
                break;
            }
        }
        if s.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
            out.push(cut_at_word(&s, SENTENCE_CHARS));
            continue;
        }
        // A paragraph of notice text only: what follows in an applied
        // notice is its detail (the patch title, the tree), not news.
        if notice && facts.applied.is_some() {
            break;
        }
    }
    out
}

/// A paragraph where the description of a series ends: its changelog,
/// base, links or test notes.
fn ends_abstract(p: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^(?:changes|changelog|change log|change since|since v\d|v\d+\s*(?:->|:|changes|-)|previous (?:version|posting)s?|links?\s*:|base(?:d on|-commit)|this (?:series|patch(?:set)?) (?:is|applies) (?:based|on top)|the following changes since|tested (?:on|with)|testing:|notes?:)",
        )
        .unwrap()
    });
    RE.is_match(p.trim())
}

/// The first own paragraphs of the root mail, up to [`ABSTRACT_CHARS`],
/// stopping at the changelog.
pub(super) fn abstract_of(m: &MessageView) -> Option<String> {
    let mut out = String::new();
    for p in own_paragraphs(m) {
        if out.chars().count() >= ABSTRACT_CHARS / 2 || ends_abstract(&p) {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&p);
    }
    if out.is_empty() {
        return None;
    }
    if out.chars().count() <= ABSTRACT_CHARS {
        return Some(out);
    }
    // Cut at the last sentence end that fits, else at a word.
    let mut acc = String::new();
    for s in sentences(&out) {
        if acc.chars().count() + s.chars().count() + 1 > ABSTRACT_CHARS {
            break;
        }
        if !acc.is_empty() {
            acc.push(' ');
        }
        acc.push_str(&s);
    }
    Some(if acc.is_empty() {
        cut_at_word(&out, ABSTRACT_CHARS)
    } else {
        acc
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split() {
        assert_eq!(
            sentences("This is wrong. Use e.g. the other helper! Why? 好的。然后"),
            vec![
                "This is wrong.",
                "Use e.g. the other helper!",
                "Why?",
                "好的。",
                "然后"
            ]
        );
        assert_eq!(
            sentences("Version 5.10 is fine"),
            vec!["Version 5.10 is fine"]
        );
    }

    #[test]
    fn abstract_ends() {
        assert!(ends_abstract("Changes since v1: - dropped x"));
        assert!(ends_abstract("v2 -> v3: rebased"));
        assert!(ends_abstract("Based on kvmarm/next."));
        assert!(!ends_abstract("This series changes the way widgets work."));
    }

    #[test]
    fn salutations_are_not_said() {
        for s in [
            "Christoph,",
            "Hi Marc, Oliver,",
            "Sean and Paolo,",
            "Hi all!",
            "Hello everyone,",
            "Dear Will & Catalin,",
        ] {
            assert!(is_salutation(s), "{s}");
        }
        for s in [
            "This breaks the build,",
            "Christoph, this breaks the build.",
            "Looks good to me.",
            "See below:",
            "Looking at the code,",
        ] {
            assert!(!is_salutation(s), "{s}");
        }
        assert!(!is_salutation("Christoph, this breaks the build."));
        let names = vec!["christoph".to_string(), "hellwig".to_string()];
        assert_eq!(
            strip_vocative("Christoph, this breaks the build.", &names),
            "this breaks the build."
        );
        assert_eq!(
            strip_vocative("However, this breaks the build.", &names),
            "However, this breaks the build."
        );
        assert_eq!(
            strip_vocative("Hi, just to confirm, it works.", &names),
            "just to confirm, it works."
        );
        assert_eq!(
            strip_vocative("Christoph, and/or Paolo, can you confirm?", &names),
            "Christoph, and/or Paolo, can you confirm?"
        );
    }

    #[test]
    fn attributions_and_copied_headers_are_not_own_words() {
        for l in [
            "On Mon, 7 Mar 2022 10:00:00 +0000, Marc Zyngier <maz@kernel.org> wrote:",
            "On Mon, Mar 07, 2022 at 10:00:00AM +0000, Marc Zyngier",
            "Excerpts from Nicholas Piggin's message of March 7, 2022 10:00 am:",
            "Quoting Marc Zyngier (2022-03-07 10:00:00)",
            "* Marc Zyngier <maz@kernel.org> [220307 10:00]:",
            "Marc Zyngier <maz@kernel.org> 于2022年3月7日周一 写道：",
            "Le lun. 7 mars 2022, Marc a écrit :",
            "Am 03.11.22 um 00:18 schrieb Sean Christopherson:",
            "From: Ann Author <ann@example.org>",
            "Date: Mon, 7 Mar 2022 10:00:00 +0000",
            "-----Original Message-----",
            "[1/3] KVM: arm64: Widgets",
            "commit: 0123456789ab",
        ] {
            assert!(is_not_own_words(l), "{l}");
        }
        for l in [
            "On arm64 this breaks the build.",
            "On 5.17 the widget leaks.",
            "The code I wrote is wrong.",
            "from: the header is fine",
        ] {
            assert!(!is_not_own_words(l), "{l}");
        }
    }

    #[test]
    fn bot_and_notice_text_is_boilerplate() {
        for s in [
            "Thank you for the patch!",
            "Perhaps something to improve:",
            "This is a note to let you know that I've just added the patch titled",
            "Applied to",
            "Applied to:",
            "Thanks, queued.",
            "This series was applied to netdev/net-next.git (master)",
            "Hello:",
        ] {
            assert!(is_boilerplate(s), "{s}");
        }
        for s in [
            "Thank you for the review, I will respin.",
            "Applied to kvmarm/next, thanks!",
            "Applying this breaks the build on arm64.",
            "This leaks the widget on the error path.",
        ] {
            assert!(!is_boilerplate(s), "{s}");
        }
    }

    #[test]
    fn greetings() {
        assert!(is_greeting("Hi Marc,"));
        assert!(is_greeting("Thanks,"));
        assert!(is_greeting("Hello all"));
        assert!(is_greeting("Thanks!"));
        assert!(is_greeting("Kind regards,"));
        assert!(!is_greeting("Thanks, applied."));
        assert!(!is_greeting("Thanks for the review, I will fix it."));
        assert!(!is_greeting("This breaks the build on arm64."));
        assert!(!is_greeting(
            "Hi, this breaks the build on arm64 when CONFIG_KVM is off and nothing else is set."
        ));
    }
}
