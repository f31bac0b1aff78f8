//! Parse one raw message (the bytes of an `m` blob) into the header facts the
//! index keeps. Pure: no I/O. Message-IDs, references and times follow what
//! public-inbox itself computes, so that our counts agree with its own.

use std::sync::LazyLock;

use mail_parser::{Address, HeaderName, MessageParser};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::msgtime;

/// Data-quality problems found while parsing one message.
pub mod problem {
    pub const NO_MESSAGE_ID: u32 = 1;
    pub const SEVERAL_MESSAGE_IDS: u32 = 1 << 1;
    pub const NO_DATE: u32 = 1 << 2;
    pub const BAD_DATE: u32 = 1 << 3;
    pub const NO_FROM: u32 = 1 << 4;
    pub const NO_SUBJECT: u32 = 1 << 5;
    pub const INVALID_UTF8_HEADER: u32 = 1 << 6;
    pub const NO_RECEIVED: u32 = 1 << 7;
    pub const UNPARSABLE: u32 = 1 << 8;
    /// An earlier, different message carries the same Message-ID.
    pub const REUSED_MESSAGE_ID: u32 = 1 << 9;

    /// Names of the problem bits, for reports and JSON.
    pub const NAMES: &[(u32, &str)] = &[
        (NO_MESSAGE_ID, "no-message-id"),
        (SEVERAL_MESSAGE_IDS, "several-message-ids"),
        (NO_DATE, "no-date"),
        (BAD_DATE, "bad-date"),
        (NO_FROM, "no-from"),
        (NO_SUBJECT, "no-subject"),
        (INVALID_UTF8_HEADER, "invalid-utf8-header"),
        (NO_RECEIVED, "no-received"),
        (UNPARSABLE, "unparsable"),
        (REUSED_MESSAGE_ID, "reused-message-id"),
    ];

    pub fn names(bits: u32) -> Vec<&'static str> {
        NAMES
            .iter()
            .filter(|(b, _)| bits & b != 0)
            .map(|(_, n)| *n)
            .collect()
    }
}

/// Header facts of one message, independent of where it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedMail {
    /// First Message-ID, without `<>`; synthetic when the message has none.
    pub message_id: String,
    /// Further Message-IDs given by the message (rare).
    pub extra_message_ids: Vec<String>,
    pub mid_synthetic: bool,
    /// Date header as UTC seconds, when it could be parsed.
    pub date: Option<i64>,
    /// Zone offset of the Date header in seconds east of UTC.
    pub date_offset: Option<i32>,
    /// Time of the newest (topmost) parsable Received header, UTC seconds.
    pub received_header: Option<i64>,
    pub from_name: String,
    pub from_addr: String,
    /// Decoded and unfolded subject.
    pub subject: String,
    /// Message-IDs of In-Reply-To, in order, without `<>`.
    pub in_reply_to: Vec<String>,
    /// Message-IDs of References, in order, without `<>`.
    pub references: Vec<String>,
    pub list_id: Option<String>,
    /// The addresses of the To and Cc headers (every one of them), lower-cased,
    /// in header order, without repeats, at most [`MAX_TO_CC`].
    pub to_cc: Vec<String>,
    /// Bit set of [`problem`] flags.
    pub problems: u32,
}

impl ParsedMail {
    /// public-inbox's `ts`: newest Received header, else Date, else `fallback`
    /// (the commit time).
    pub fn received_or(&self, fallback: i64) -> i64 {
        self.received_header.or(self.date).unwrap_or(fallback)
    }

    /// public-inbox's `ds`: Date header, else Received, else `fallback`.
    pub fn date_or(&self, fallback: i64) -> i64 {
        self.date.or(self.received_header).unwrap_or(fallback)
    }

    /// Parent candidates: References then In-Reply-To ids not already in
    /// References, without the message's own ids, prompt answers or the
    /// sender's address ([`Links::parent_chain`]).
    pub fn parent_ids(&self) -> Vec<&str> {
        let mut chain = Vec::new();
        self.links().parent_chain(&mut chain);
        chain
    }
}

/// Longest Message-ID kept; longer ones are truncated, as public-inbox does.
const MAX_MID_LEN: usize = 244;

/// Extract every `<...>` token of a raw header value (public-inbox's
/// `<([^>]+)>`).
pub fn extract_ids(raw: &str) -> Vec<String> {
    static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<([^>]+)>").unwrap());
    RE.captures_iter(raw).map(|c| c[1].to_string()).collect()
}

/// public-inbox's `uniq_mids`: drop CR/LF/TAB inside ids, truncate very long
/// ones, drop duplicates and the ids in `exclude`.
fn uniq_valid(ids: Vec<String>, exclude: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        let mut id: String = id
            .chars()
            .filter(|c| !matches!(c, '\n' | '\r' | '\t'))
            .collect();
        if id.len() > MAX_MID_LEN {
            let mut cut = MAX_MID_LEN;
            while !id.is_char_boundary(cut) {
                cut -= 1;
            }
            id.truncate(cut);
        }
        if id.is_empty() || exclude.contains(&id) || out.contains(&id) {
            continue;
        }
        out.push(id);
    }
    out
}

/// Collapse folding and runs of white space into single spaces.
pub fn unfold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

/// A stable id for a message that has none, derived from its blob id.
pub fn synthetic_mid(blob_hex: &str) -> String {
    format!("{blob_hex}@synthetic.lore-digest.invalid")
}

/// The header block of a raw message (up to the first empty line).
fn header_block(raw: &[u8]) -> &[u8] {
    let mut i = 0;
    while i < raw.len() {
        match raw[i..].iter().position(|&b| b == b'\n') {
            Some(nl) => {
                let line_end = i + nl;
                let line = &raw[i..line_end];
                if line.is_empty() || line == b"\r" {
                    return &raw[..line_end + 1];
                }
                i = line_end + 1;
            }
            None => return raw,
        }
    }
    raw
}

/// Parse the headers of a raw message. `blob_hex` names the blob, used for a
/// synthetic Message-ID when the message has none. Never fails: whatever
/// cannot be read is left empty and flagged in `problems`.
pub fn parse(raw: &[u8], blob_hex: &str) -> ParsedMail {
    let head = header_block(raw);
    let mut problems = 0u32;

    let mut mids_raw: Vec<String> = Vec::new();
    let mut irt_raw: Vec<String> = Vec::new();
    let mut refs_raw: Vec<String> = Vec::new();
    let mut date_raw: Vec<String> = Vec::new();
    let mut received_raw: Vec<String> = Vec::new();
    let mut list_id = None;
    let mut addr_fields: Vec<&[u8]> = Vec::new();
    let mut to_cc_fields: Vec<&[u8]> = Vec::new();
    let mut subject_field: Option<&[u8]> = None;
    let mut from_field: Option<&[u8]> = None;
    let mut fields = 0usize;

    // Split the header block into fields ourselves and keep only the ones
    // we use; mail-parser decodes From and Subject (RFC 2047, addresses).
    for (name, field, value) in header_fields(head) {
        fields += 1;
        let wanted = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        let text = || match std::str::from_utf8(value) {
            Ok(v) => (v.to_string(), false),
            Err(_) => (String::from_utf8_lossy(value).into_owned(), true),
        };
        let mut take = |target: &mut Vec<String>| {
            let (v, bad) = text();
            if bad {
                problems |= problem::INVALID_UTF8_HEADER;
            }
            target.push(v);
        };
        if wanted("received") {
            take(&mut received_raw);
        } else if wanted("message-id") {
            take(&mut mids_raw);
        } else if wanted("in-reply-to") {
            take(&mut irt_raw);
        } else if wanted("references") {
            take(&mut refs_raw);
        } else if wanted("date") {
            take(&mut date_raw);
        } else if wanted("subject") {
            subject_field.get_or_insert(field);
        } else if wanted("from") {
            from_field.get_or_insert(field);
            addr_fields.push(value);
        } else if wanted("to") || wanted("cc") {
            addr_fields.push(value);
            to_cc_fields.push(value);
        } else if wanted("list-id") && list_id.is_none() {
            let (v, _) = text();
            // Unfolded: a `<...>` token may span a folded line.
            let id = extract_ids(&v).into_iter().next().unwrap_or(v);
            list_id = Some(unfold(&id));
        }
    }
    if fields == 0 {
        problems |= problem::UNPARSABLE;
    }
    let has_subject = subject_field.is_some();
    let (subject, from_name, from_addr, bad_utf8) = decode_subject_from(subject_field, from_field);
    if bad_utf8 {
        problems |= problem::INVALID_UTF8_HEADER;
    }

    // Message-ID(s): every <...> token, else the bare value (public-inbox `mids`).
    let mut mids = Vec::new();
    for v in &mids_raw {
        let cur = extract_ids(v);
        if cur.is_empty() {
            let bare = v.trim();
            if !bare.is_empty() {
                mids.push(bare.to_string());
            }
        } else {
            mids.extend(cur);
        }
    }
    let mut mids = uniq_valid(mids, &[]);
    let mid_synthetic = mids.is_empty();
    if mid_synthetic {
        problems |= problem::NO_MESSAGE_ID;
        mids.push(synthetic_mid(blob_hex));
    } else if mids.len() > 1 {
        problems |= problem::SEVERAL_MESSAGE_IDS;
    }
    let message_id = mids.remove(0);

    let mut exclude = vec![message_id.clone()];
    exclude.extend(mids.iter().cloned());
    if !refs_raw.is_empty() || !irt_raw.is_empty() {
        // public-inbox ignores "references" that are the addresses of the
        // mail (and old git-send-email's y/n answers to its prompt).
        exclude.extend(["y".to_string(), "n".to_string()]);
        exclude.extend(addresses(&addr_fields));
    }
    let references = uniq_valid(
        refs_raw.iter().flat_map(|v| extract_ids(v)).collect(),
        &exclude,
    );
    let in_reply_to = uniq_valid(
        irt_raw.iter().flat_map(|v| extract_ids(v)).collect(),
        &exclude,
    );

    let mut date = None;
    let mut date_offset = None;
    for d in &date_raw {
        if let Some((ts, off)) = msgtime::str2date_zone(d) {
            date = Some(ts);
            date_offset = Some(off);
            break;
        }
    }
    if date.is_none() {
        problems |= if date_raw.is_empty() {
            problem::NO_DATE
        } else {
            problem::BAD_DATE
        };
    }
    let received_header = received_raw.iter().find_map(|r| msgtime::received_time(r));
    if received_header.is_none() {
        problems |= problem::NO_RECEIVED;
    }
    if from_addr.is_empty() && from_name.is_empty() {
        problems |= problem::NO_FROM;
    }
    if !has_subject {
        problems |= problem::NO_SUBJECT;
    }

    ParsedMail {
        message_id,
        extra_message_ids: mids,
        mid_synthetic,
        date,
        date_offset,
        received_header,
        from_name,
        from_addr,
        subject,
        in_reply_to,
        references,
        list_id,
        to_cc: to_cc(&to_cc_fields),
        problems,
    }
}

/// A digest of what makes two copies of one Message-ID the same mail, as
/// public-inbox's content hash: references, From, Subject, Date, To, Cc and
/// the body; trace headers (Received, spam scores, list headers) are left
/// out. Only compared within one run, never stored.
pub fn content_digest(raw: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let head = header_block(raw);
    let p = parse(raw, "");
    let mut h = std::collections::hash_map::DefaultHasher::new();
    p.references.hash(&mut h);
    p.in_reply_to.hash(&mut h);
    p.from_addr.to_lowercase().hash(&mut h);
    p.subject.hash(&mut h);
    p.date.hash(&mut h);
    if let Some(msg) = MessageParser::default().parse_headers(head) {
        for hdr in msg.headers() {
            if matches!(hdr.name, HeaderName::To | HeaderName::Cc) {
                let v = head
                    .get(hdr.offset_start as usize..hdr.offset_end as usize)
                    .unwrap_or_default();
                unfold(&String::from_utf8_lossy(v)).hash(&mut h);
            }
        }
    }
    for line in raw[head.len()..].split(|&b| b == b'\n') {
        line.trim_ascii_end().hash(&mut h);
    }
    h.finish()
}

/// Fields of a header block as (name, whole field, value), folded lines
/// joined. Lines without a colon are skipped, as MUAs do.
fn header_fields(head: &[u8]) -> impl Iterator<Item = (&[u8], &[u8], &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        loop {
            if pos >= head.len() {
                return None;
            }
            let start = pos;
            // Find the end of this field: a newline not followed by WSP.
            let mut end = start;
            loop {
                match head[end..].iter().position(|&b| b == b'\n') {
                    Some(nl) => {
                        end += nl + 1;
                        if end < head.len() && (head[end] == b' ' || head[end] == b'\t') {
                            continue;
                        }
                        break;
                    }
                    None => {
                        end = head.len();
                        break;
                    }
                }
            }
            pos = end;
            let field = &head[start..end];
            let trimmed = field.trim_ascii_end();
            if trimmed.is_empty() {
                return None;
            }
            let Some(colon) = trimmed.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = trimmed[..colon].trim_ascii();
            if name.is_empty() || name.contains(&b' ') {
                continue;
            }
            return Some((name, trimmed, trimmed[colon + 1..].trim_ascii()));
        }
    })
}

/// What looks like an e-mail address in a raw header value: each run of
/// characters other than white space and `<>,;:()"'` with an `@` that is
/// neither its first nor its last character (the regular expression
/// `[^\s<>,;:()"']+@[^\s<>,;:()"']+`, without its cost).
fn address_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | ':' | '(' | ')' | '"' | '\'')
    })
    .filter(|t| t.len() >= 3 && t.as_bytes()[1..t.len() - 1].contains(&b'@'))
}

/// E-mail addresses found in raw To/Cc/From values (as public-inbox finds
/// them, names and comments included: only for leaving them out of
/// references).
fn addresses(values: &[&[u8]]) -> Vec<String> {
    let mut out = Vec::new();
    for v in values {
        let text = String::from_utf8_lossy(v);
        out.extend(address_tokens(&text).map(str::to_string));
    }
    out
}

/// Most To and Cc addresses kept of one mail: a tree-wide patch can name a
/// hundred people; more is a mass mailing, and the rest are not kept.
pub const MAX_TO_CC: usize = 200;

/// [`ParsedMail::to_cc`] of raw To and Cc values: the addresses outside
/// quoted strings and comments (a display name such as `"Doe (doe@old.org)"`
/// is no addressee), lower-cased, without repeats, at most [`MAX_TO_CC`].
/// Group syntax (`name: a@b, c@d;`) gives its members.
fn to_cc(values: &[&[u8]]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let text = String::from_utf8_lossy(v);
        let plain = without_quotes_and_comments(&text);
        for t in address_tokens(&plain) {
            let a = t.to_lowercase();
            if !out.contains(&a) {
                out.push(a);
                if out.len() == MAX_TO_CC {
                    return out;
                }
            }
        }
    }
    out
}

/// `text` with each quoted string and (nested) comment replaced by a space.
/// A quote or parenthesis that is never closed is taken as plain text, so
/// that it hides nothing after it.
fn without_quotes_and_comments(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['"', '(']) {
        return text.into();
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        let end = match b[i] {
            b'"' => closing_quote(b, i),
            b'(' => closing_paren(b, i),
            _ => None,
        };
        match end {
            Some(end) => {
                out.push_str(&text[copied..i]);
                out.push(' ');
                i = end + 1;
                copied = i;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out.into()
}

/// The index of the quote that ends the quoted string opened at `open`.
fn closing_quote(b: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The index of the parenthesis that ends the comment opened at `open`.
fn closing_paren(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Decode Subject and From fields with mail-parser. Returns subject, sender
/// name, sender address and whether raw 8-bit bytes were not UTF-8.
fn decode_subject_from(
    subject: Option<&[u8]>,
    from: Option<&[u8]>,
) -> (String, String, String, bool) {
    let mut bad = false;
    let mut subj = String::new();
    if let Some(f) = subject {
        let value = f
            .splitn(2, |&b| b == b':')
            .nth(1)
            .unwrap_or_default()
            .trim_ascii();
        match std::str::from_utf8(value) {
            // Fast path: plain text needs only unfolding.
            Ok(v) if !v.contains("=?") => subj = unfold(v),
            other => {
                bad |= other.is_err();
                let mut buf = f.to_vec();
                buf.extend_from_slice(b"\n\n");
                subj = MessageParser::default()
                    .parse_headers(&buf)
                    .and_then(|m| m.subject().map(unfold))
                    .unwrap_or_else(|| unfold(&String::from_utf8_lossy(value)));
            }
        }
    }
    let (mut name, mut addr) = (String::new(), String::new());
    if let Some(f) = from {
        let value = f
            .splitn(2, |&b| b == b':')
            .nth(1)
            .unwrap_or_default()
            .trim_ascii();
        bad |= std::str::from_utf8(value).is_err();
        let mut buf = f.to_vec();
        buf.extend_from_slice(b"\n\n");
        let parsed = MessageParser::default().parse_headers(&buf);
        match parsed.as_ref().and_then(|m| first_address(m.from())) {
            Some((n, a)) => {
                name = n;
                addr = a;
            }
            None => name = unfold(&String::from_utf8_lossy(value)),
        }
    }
    (subj, name, addr, bad)
}

fn first_address(addr: Option<&Address<'_>>) -> Option<(String, String)> {
    let a = match addr? {
        Address::List(list) => list.first()?,
        Address::Group(groups) => groups.iter().flat_map(|g| g.addresses.iter()).next()?,
    };
    let name = a.name.as_deref().map(unfold).unwrap_or_default();
    let addr = a
        .address
        .as_deref()
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let name = name
        .trim_matches(|c| c == '"' || c == '\'')
        .trim()
        .to_string();
    if name.is_empty() && addr.is_empty() {
        return None;
    }
    Some((name, addr))
}

/// The headers that place a message in a thread: its own ids, its sender
/// (an id equal to the sender's address is no reference) and its References
/// and In-Reply-To ids. The one definition of a message's parents, used by
/// threading ([`crate::thread::build`], [`crate::thread::components`]) and by
/// the index's thread ids.
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    pub message_id: &'a str,
    pub extra_ids: &'a [String],
    pub from_addr: &'a str,
    pub references: &'a [String],
    pub in_reply_to: &'a [String],
}

impl<'a> Links<'a> {
    /// The message's own ids (empty ones left out).
    pub fn own_ids(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        std::iter::once(self.message_id)
            .chain(self.extra_ids.iter().map(String::as_str))
            .filter(|id| !id.is_empty())
    }

    /// Whether `id` can be a reference: not one of the message's own ids,
    /// not a git-send-email prompt answer (`y`, `n`), not the sender's
    /// address.
    fn usable(&self, id: &str) -> bool {
        !id.is_empty()
            && id != "y"
            && id != "n"
            && id != self.message_id
            && !self.extra_ids.iter().any(|x| x == id)
            && !id.eq_ignore_ascii_case(self.from_addr)
    }

    /// Fill `chain` with the References ids followed by the In-Reply-To ids
    /// not already in References (usable ones only, without duplicates) and
    /// return the direct parent id: the last In-Reply-To id, else the last
    /// References id.
    pub fn parent_chain(&self, chain: &mut Vec<&'a str>) -> Option<&'a str> {
        chain.clear();
        for id in self.references {
            if self.usable(id) && !chain.contains(&id.as_str()) {
                chain.push(id);
            }
        }
        let mut direct = None;
        for id in self.in_reply_to {
            if self.usable(id) {
                direct = Some(id.as_str());
                if !chain.contains(&id.as_str()) {
                    chain.push(id);
                }
            }
        }
        direct.or_else(|| chain.last().copied())
    }
}

impl ParsedMail {
    /// The headers that place this mail in a thread.
    pub fn links(&self) -> Links<'_> {
        Links {
            message_id: &self.message_id,
            extra_ids: &self.extra_message_ids,
            from_addr: &self.from_addr,
            references: &self.references,
            in_reply_to: &self.in_reply_to,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(headers: &str) -> Vec<u8> {
        format!("{headers}\n\nbody\n").into_bytes()
    }

    #[test]
    fn extracts_ids_with_trailing_comments() {
        let ids = extract_ids("<a@b> (message from X on Mon, 1 Jan 2020)");
        assert_eq!(extract_ids("<<x>"), vec!["<x"]);
        assert_eq!(ids, vec!["a@b"]);
        assert_eq!(extract_ids("junk <x@y>\n <z@w>"), vec!["x@y", "z@w"]);
        assert!(extract_ids("no brackets").is_empty());
    }

    #[test]
    fn parses_basic_headers_and_decodes_words() {
        let raw = msg(concat!(
            "Received: from a by b; Mon, 7 Mar 2022 10:00:05 +0000\n",
            "From: =?UTF-8?B?TWFyYyBaeW5naWVy?= <maz@kernel.org>\n",
            "Subject: [PATCH v2 1/4] KVM: arm64: a\n long subject\n",
            "Date: Mon, 7 Mar 2022 11:00:00 +0100\n",
            "Message-ID: <1@x>\n",
            "In-Reply-To: <0@x> (message from Y)\n",
            "References: <00@x>\n <0@x>\n",
            "List-Id: <kvmarm.lists.cs.columbia.edu>"
        ));
        let p = parse(&raw, "abc");
        assert_eq!(p.message_id, "1@x");
        assert!(!p.mid_synthetic);
        assert_eq!(p.from_name, "Marc Zyngier");
        assert_eq!(p.from_addr, "maz@kernel.org");
        assert_eq!(p.subject, "[PATCH v2 1/4] KVM: arm64: a long subject");
        assert_eq!(p.date, Some(1646647200));
        assert_eq!(p.date_offset, Some(3600));
        assert_eq!(p.received_header, Some(1646647205));
        assert_eq!(p.in_reply_to, vec!["0@x"]);
        assert_eq!(p.references, vec!["00@x", "0@x"]);
        assert_eq!(p.parent_ids(), vec!["00@x", "0@x"]);
        assert_eq!(p.list_id.as_deref(), Some("kvmarm.lists.cs.columbia.edu"));
        assert_eq!(p.problems, 0);
    }

    #[test]
    fn missing_message_id_gets_stable_synthetic_id() {
        let raw = msg("From: a@b\nSubject: s\nDate: Mon, 7 Mar 2022 10:00:00 +0000");
        let p = parse(&raw, "deadbeef");
        assert!(p.mid_synthetic);
        assert_eq!(p.message_id, "deadbeef@synthetic.lore-digest.invalid");
        assert!(p.problems & problem::NO_MESSAGE_ID != 0);
        assert_eq!(parse(&raw, "deadbeef"), p);
    }

    #[test]
    fn self_reference_is_dropped() {
        let raw = msg("Message-ID: <a@b>\nReferences: <a@b> <c@d>\nIn-Reply-To: <a@b>");
        let p = parse(&raw, "x");
        assert_eq!(p.references, vec!["c@d"]);
        assert!(p.in_reply_to.is_empty());
    }

    #[test]
    fn references_that_are_addresses_or_prompt_answers_are_ignored() {
        let raw = msg(concat!(
            "Message-ID: <a@b>\nFrom: X <x@example.org>\nTo: list@example.org\n",
            "Cc: Y <y@example.org>\nIn-Reply-To: <y@example.org>\nReferences: <y> <p@q> <list@example.org>"
        ));
        let p = parse(&raw, "x");
        assert_eq!(p.references, vec!["p@q"]);
        assert!(p.in_reply_to.is_empty());
    }

    #[test]
    fn to_and_cc_addresses_are_kept_lower_cased_in_order_without_repeats() {
        let raw = msg(concat!(
            "From: Sender <Sender@Example.org>\n",
            "To: Marc Zyngier <MAZ@Kernel.org>, kvmarm@lists.cs.columbia.edu\n",
            "Cc: \"Doe, John (john@old.example)\" <John.Doe@Example.COM>,\n",
            " Linux ARM <linux-arm-kernel@lists.infradead.org> (list: x@y.z)\n",
            "CC: reviewers: A@x.org, b@X.org;, maz@kernel.org\n",
            "To: =?UTF-8?B?SsO2cmc=?= <joerg@example.de>, undisclosed-recipients:;\n",
            "Message-ID: <1@x>"
        ));
        let p = parse(&raw, "x");
        assert_eq!(
            p.to_cc,
            [
                "maz@kernel.org",
                "kvmarm@lists.cs.columbia.edu",
                "john.doe@example.com",
                "linux-arm-kernel@lists.infradead.org",
                "a@x.org",
                "b@x.org",
                "joerg@example.de",
            ]
        );
        // An unterminated quote or comment hides nothing after it.
        let p = parse(
            &msg("To: \"Foo <foo@example.org>\nCc: (x <y@example.org>"),
            "x",
        );
        assert_eq!(p.to_cc, ["foo@example.org", "y@example.org"]);
        assert!(parse(&msg("From: a@b\nSubject: s"), "x").to_cc.is_empty());
    }

    #[test]
    fn address_tokens_are_what_the_regular_expression_finds() {
        let re = Regex::new(r"[^\s<>,;:()\x22']+@[^\s<>,;:()\x22']+").unwrap();
        for text in [
            "A <a@b.c>, \"x@y\" <x@y>; g: p@q, r@s;",
            "a@ @b a@@ @@a @ a@b@c x@y.z. (c@d)\u{a0}e@f\u{2003}g@h",
            "ab@, 'q@r', <<m@n>>, \u{fffd}@\u{fffd}, ü@ö, z",
            "",
        ] {
            let want: Vec<&str> = re.find_iter(text).map(|m| m.as_str()).collect();
            assert_eq!(address_tokens(text).collect::<Vec<_>>(), want, "{text:?}");
        }
    }

    #[test]
    fn to_and_cc_addresses_are_capped() {
        let many: Vec<String> = (0..MAX_TO_CC + 50)
            .map(|i| format!("p{i}@example.org"))
            .collect();
        let raw = msg(&format!("To: a@example.org\nCc: {}", many.join(",\n ")));
        let p = parse(&raw, "x");
        assert_eq!(p.to_cc.len(), MAX_TO_CC);
        assert_eq!(p.to_cc[0], "a@example.org");
        assert_eq!(
            p.to_cc[MAX_TO_CC - 1],
            format!("p{}@example.org", MAX_TO_CC - 2)
        );
    }

    #[test]
    fn several_message_ids_are_kept() {
        let raw = msg("Message-ID: <a@b> <c@d>\nSubject: x");
        let p = parse(&raw, "x");
        assert_eq!(p.message_id, "a@b");
        assert_eq!(p.extra_message_ids, vec!["c@d"]);
        assert!(p.problems & problem::SEVERAL_MESSAGE_IDS != 0);
    }

    #[test]
    fn copies_differing_in_trace_headers_have_one_digest() {
        let a = b"Received: from a; Mon, 7 Mar 2022 10:00:00 +0000\nMessage-ID: <a@b>\nSubject: s\nTo: x@y\n\nbody\r\n";
        let b = b"Received: from b; Mon, 7 Mar 2022 10:00:09 +0000\nX-Spam: yes\nMessage-ID: <a@b>\nSubject: s\nTo: x@y\n\nbody\n";
        let c = b"Received: from a; Mon, 7 Mar 2022 10:00:00 +0000\nMessage-ID: <a@b>\nSubject: s\nTo: x@y\n\nother body\n";
        assert_eq!(content_digest(a), content_digest(b));
        assert_ne!(content_digest(a), content_digest(c));
    }

    #[test]
    fn garbage_never_panics() {
        for raw in [
            &b""[..],
            b"\n\n",
            b"\xff\xfe\x00garbage",
            b"Subject: \xff\xfe bad\n\nx",
            b"Message-ID: <<<>>>\nReferences: <\n",
            b"Date: 99 Foo 99999 99:99:99 +9999\n\n",
        ] {
            let p = parse(raw, "b");
            assert!(!p.message_id.is_empty());
        }
    }

    #[test]
    fn folded_list_id_is_unfolded() {
        // Found by fuzzing: the `<...>` token of a folded List-Id kept its
        // line break.
        let p = parse(b"List-Id: List <kvmarm.lists.\n cs.columbia.edu>\n\nx", "b");
        assert_eq!(p.list_id.as_deref(), Some("kvmarm.lists. cs.columbia.edu"));
        assert_eq!(
            parse(b"List-Id:<\n >\n\n", "b").list_id.as_deref(),
            Some("")
        );
    }

    #[test]
    fn invalid_utf8_subject_is_flagged_and_lossy() {
        let p = parse(b"Message-ID: <a@b>\nSubject: caf\xe9\n\nx", "b");
        assert!(p.subject.starts_with("caf"));
        assert!(p.problems & problem::INVALID_UTF8_HEADER != 0);
    }
}
