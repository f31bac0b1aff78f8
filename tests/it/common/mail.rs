//! Mail for the tests: [`mail`] and [`MailBuilder`] write raw messages
//! (well-formed or hostile), the header helpers read them back, and the
//! RFC 2047 and RFC 2822 helpers encode words and dates (dates with chrono,
//! base64 with the base64 crate).

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use chrono::{DateTime, FixedOffset, NaiveDate};

// ---------------------------------------------------------------------------------------
// Header parsing (minimal, for the builder and for test assertions)
// ---------------------------------------------------------------------------------------

/// Header fields of a raw message in order, names as written, values unfolded (line
/// breaks of continuation lines removed, their leading whitespace kept) and with leading
/// whitespace trimmed. Stops at the first empty line; ignores lines without a colon.
pub fn parse_headers(raw: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut current_valid = false;
    for line in raw.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if let (true, Some(last)) = (current_valid, out.last_mut()) {
                last.1.extend_from_slice(line);
            }
            continue;
        }
        match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let name = String::from_utf8_lossy(trim_bytes(&line[..colon])).into_owned();
                let value = &line[colon + 1..];
                let start = value
                    .iter()
                    .position(|&b| b != b' ' && b != b'\t')
                    .unwrap_or(value.len());
                out.push((name, value[start..].to_vec()));
                current_valid = true;
            }
            None => current_valid = false,
        }
    }
    out
}

/// First value of header `name` (case-insensitive), unfolded, raw bytes.
pub fn header_value(raw: &[u8], name: &str) -> Option<Vec<u8>> {
    parse_headers(raw)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// All values of header `name` (case-insensitive).
pub fn header_values(raw: &[u8], name: &str) -> Vec<Vec<u8>> {
    parse_headers(raw)
        .into_iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Dates (chrono)
// ---------------------------------------------------------------------------------------

/// Unix timestamp of a UTC date and time.
pub fn utc_ts(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
    NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|day| day.and_hms_opt(h, mi, s))
        .unwrap_or_else(|| panic!("no such time: {y}-{mo}-{d} {h}:{mi}:{s}"))
        .and_utc()
        .timestamp()
}

/// RFC 2822 date in UTC, e.g. `Fri, 06 Jan 2023 12:16:15 +0000`.
pub fn rfc2822_date(ts: i64) -> String {
    rfc2822_date_tz(ts, 0)
}

/// RFC 2822 date of `ts` shown in a zone `offset_minutes` east of UTC.
pub fn rfc2822_date_tz(ts: i64, offset_minutes: i32) -> String {
    let zone = FixedOffset::east_opt(offset_minutes * 60).expect("an offset under a day");
    DateTime::from_timestamp(ts, 0)
        .expect("a time chrono can show")
        .with_timezone(&zone)
        .format("%a, %d %b %Y %H:%M:%S %z")
        .to_string()
}

/// An RFC 2822 date (obsolete zone names and two-digit years too, a
/// trailing comment allowed) as `(unix timestamp, "+hhmm")`; an unknown zone
/// name counts as `+0000`.
pub fn parse_rfc2822_date(s: &str) -> Option<(i64, String)> {
    let d = DateTime::parse_from_rfc2822(s.trim()).ok()?;
    Some((d.timestamp(), d.format("%z").to_string()))
}

// ---------------------------------------------------------------------------------------
// RFC 2047 (base64 from the base64 crate)
// ---------------------------------------------------------------------------------------

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Base64 of an encoded word: padding optional; `None` when not base64.
fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT.decode(s).ok()
}

/// `=?UTF-8?B?...?=` encoded word for `text`.
pub fn encode_word_b(text: &str) -> String {
    encode_word_b_charset("UTF-8", text.as_bytes())
}

/// `=?CHARSET?B?...?=` encoded word for already-encoded bytes.
pub fn encode_word_b_charset(charset: &str, bytes: &[u8]) -> String {
    format!("=?{charset}?B?{}?=", base64_encode(bytes))
}

/// `=?UTF-8?Q?...?=` encoded word for `text`.
pub fn encode_word_q(text: &str) -> String {
    let mut out = String::from("=?UTF-8?Q?");
    for &b in text.as_bytes() {
        match b {
            b' ' => out.push('_'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'!' | b'*' | b'+' | b'-' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("={b:02X}")),
        }
    }
    out.push_str("?=");
    out
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Decodes one encoded word at the start of `s`: `(decoded bytes, bytes consumed)`.
fn decode_word(s: &[u8]) -> Option<(Vec<u8>, usize)> {
    let rest = s.strip_prefix(b"=?")?;
    let q1 = rest.iter().take(80).position(|&b| b == b'?')?;
    let charset = String::from_utf8_lossy(&rest[..q1]).to_ascii_lowercase();
    let charset = charset.split('*').next().unwrap_or("").to_string();
    let enc = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    let text_len = rest[text_start..].windows(2).position(|w| w == b"?=")?;
    let text = &rest[text_start..text_start + text_len];
    if text.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let bytes = match enc.to_ascii_uppercase() {
        b'B' => base64_decode(text)?,
        b'Q' => {
            let mut out = Vec::with_capacity(text.len());
            let mut i = 0;
            while i < text.len() {
                match text[i] {
                    b'_' => out.push(b' '),
                    b'=' if i + 2 < text.len() => {
                        match (hex_val(text[i + 1]), hex_val(text[i + 2])) {
                            (Some(h), Some(l)) => {
                                out.push(h * 16 + l);
                                i += 2;
                            }
                            _ => out.push(b'='),
                        }
                    }
                    c => out.push(c),
                }
                i += 1;
            }
            out
        }
        _ => return None,
    };
    let decoded = match charset.as_str() {
        "iso-8859-1" | "latin1" | "iso-8859-15" | "windows-1252" | "cp1252" => bytes
            .iter()
            .map(|&b| b as char)
            .collect::<String>()
            .into_bytes(),
        _ => bytes, // utf-8, us-ascii, or left as-is
    };
    Some((decoded, 2 + text_start + text_len + 2))
}

/// Decodes RFC 2047 encoded words (UTF-8, US-ASCII and Latin-1 charsets are converted to
/// UTF-8; other charsets' bytes are passed through). Whitespace between adjacent encoded
/// words is dropped; everything else, including raw 8-bit bytes, is kept.
pub fn decode_rfc2047(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    let mut last_word = false;
    while i < v.len() {
        if let Some((dec, n)) = decode_word(&v[i..]) {
            out.extend_from_slice(&dec);
            i += n;
            last_word = true;
            continue;
        }
        if last_word && (v[i] == b' ' || v[i] == b'\t') {
            let start = i;
            while i < v.len() && (v[i] == b' ' || v[i] == b'\t') {
                i += 1;
            }
            if i < v.len() && decode_word(&v[i..]).is_some() {
                continue;
            }
            out.extend_from_slice(&v[start..i]);
            last_word = false;
            continue;
        }
        out.push(v[i]);
        i += 1;
        last_word = false;
    }
    out
}

// ---------------------------------------------------------------------------------------
// What public-inbox writes in a commit for a message
// ---------------------------------------------------------------------------------------

/// Author ident (`Name <email>`, bytes) as public-inbox derives it from `From:` (or
/// `Sender:`): `None` when no address is found.
pub fn mail_author_ident(raw: &[u8]) -> Option<Vec<u8>> {
    for h in ["From", "Sender"] {
        let addr = header_value(raw, h).and_then(|v| parse_address(&decode_rfc2047(&v)));
        if let Some((name, email)) = addr {
            let mut id = Vec::new();
            id.extend_from_slice(&name);
            id.extend_from_slice(b" <");
            id.extend_from_slice(&email);
            id.push(b'>');
            return Some(id);
        }
    }
    None
}

/// Commit message public-inbox would use for an `m` commit: decoded, unfolded subject with
/// whitespace runs collapsed, `(no subject)` when absent.
pub fn mail_commit_subject(raw: &[u8]) -> Vec<u8> {
    match header_value(raw, "Subject") {
        None => b"(no subject)".to_vec(),
        Some(v) => collapse_ws(&decode_rfc2047(&v)),
    }
}

fn collapse_ws(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut ws = false;
    for &b in v {
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            ws = true;
        } else {
            if ws && !out.is_empty() {
                out.push(b' ');
            }
            ws = false;
            out.push(b);
        }
    }
    out
}

fn strip_ident_chars(v: &[u8]) -> Vec<u8> {
    let cleaned: Vec<u8> = v
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'<' | b'>' | b'\n' | b'\r' | b'\0'))
        .collect();
    trim_bytes(&cleaned).to_vec()
}

fn trim_bytes(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &v[start..end]
}

/// Parses a (decoded) address header into `(name, email)`; the name falls back to the
/// comment or the local part. `None` without an `@`-address.
fn parse_address(v: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (mut name, email) = if let Some(lt) = v.iter().position(|&b| b == b'<') {
        let rest = &v[lt + 1..];
        let gt = rest.iter().position(|&b| b == b'>')?;
        (v[..lt].to_vec(), rest[..gt].to_vec())
    } else {
        let s = v;
        let tok = s
            .split(|b| b.is_ascii_whitespace() || *b == b',')
            .find(|t| t.contains(&b'@'))?;
        let comment = match (
            s.iter().position(|&b| b == b'('),
            s.iter().rposition(|&b| b == b')'),
        ) {
            (Some(a), Some(b)) if a < b => s[a + 1..b].to_vec(),
            _ => Vec::new(),
        };
        (comment, tok.to_vec())
    };
    let email = strip_ident_chars(&email);
    if email.is_empty() {
        return None;
    }
    name = trim_bytes(&name).to_vec();
    if name.len() >= 2 && name[0] == b'"' && name[name.len() - 1] == b'"' {
        name = name[1..name.len() - 1].to_vec();
    }
    name.retain(|&b| b != b'\\');
    let mut name = strip_ident_chars(&name);
    if name.is_empty() {
        name = email.split(|&b| b == b'@').next().unwrap_or(&[]).to_vec();
    }
    Some((name, email))
}

// ---------------------------------------------------------------------------------------
// Mail construction
// ---------------------------------------------------------------------------------------

/// `<mid>` unless already bracketed.
pub fn angle(mid: &str) -> String {
    let t = mid.trim();
    if t.starts_with('<') {
        t.to_string()
    } else {
        format!("<{t}>")
    }
}

/// A simple, well-formed raw message (LF line endings):
///
/// ```text
/// Received: from x by y; DATE
/// From: FROM
/// To: list@example.org
/// Subject: SUBJECT
/// Date: DATE
/// Message-ID: <MID>
/// In-Reply-To: <IRT>            (if given)
/// References: <R1>              (if any; one per folded line)
///  <R2>
/// MIME-Version: 1.0
/// Content-Type: text/plain; charset=utf-8
///
/// BODY (newline appended if missing)
/// ```
/// Message ids may be given with or without angle brackets.
pub fn mail(
    mid: &str,
    from: &str,
    subject: &str,
    date_rfc2822: &str,
    in_reply_to: Option<&str>,
    references: &[&str],
    body: &str,
) -> Vec<u8> {
    let mut b = MailBuilder::new()
        .received(date_rfc2822)
        .from(from)
        .header("To", "list@example.org")
        .subject(subject)
        .date(date_rfc2822)
        .message_id(mid);
    if let Some(irt) = in_reply_to {
        b = b.in_reply_to(irt);
    }
    if !references.is_empty() {
        b = b.references(references);
    }
    let mut body = body.to_string();
    if !body.is_empty() && !body.ends_with('\n') {
        body.push('\n');
    }
    b.header("MIME-Version", "1.0")
        .header("Content-Type", "text/plain; charset=utf-8")
        .body(&body)
        .build()
}

#[derive(Clone, Debug)]
enum HeaderLine {
    /// Built line without terminator; `\n` inside becomes the chosen line ending.
    Gen(Vec<u8>),
    /// Verbatim bytes, terminator included.
    Raw(Vec<u8>),
}

/// Builder for arbitrary (also malformed) raw messages.
///
/// Header lines keep the order in which they were added; a `\n` inside a value folds the
/// header (write `"a\n\tb"`). With [`MailBuilder::crlf`] every generated line ending and
/// every bare `\n` of `.header()` values and `.body()` becomes `\r\n`; `*_raw` / `*_bytes`
/// content is never converted.
#[derive(Clone, Debug, Default)]
pub struct MailBuilder {
    lines: Vec<HeaderLine>,
    body: Vec<u8>,
    body_convert: bool,
    crlf: bool,
    headers_only: bool,
}

impl MailBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// `Name: value` (value may contain `\n` + whitespace for folding).
    pub fn header(self, name: &str, value: &str) -> Self {
        self.header_bytes(name.as_bytes(), value.as_bytes())
    }

    /// Like [`header`](Self::header) with arbitrary bytes (raw 8-bit, invalid UTF-8...).
    pub fn header_bytes(mut self, name: &[u8], value: &[u8]) -> Self {
        let mut l = name.to_vec();
        l.extend_from_slice(b": ");
        l.extend_from_slice(value);
        self.lines.push(HeaderLine::Gen(l));
        self
    }

    /// A verbatim header-section line; include its terminator (`\n`, `\r\n` or none).
    pub fn raw_line(mut self, line: &[u8]) -> Self {
        self.lines.push(HeaderLine::Raw(line.to_vec()));
        self
    }

    /// `Name: part0` followed by continuation lines `\tpart1`, `\tpart2`, ...
    pub fn folded(self, name: &str, parts: &[&str]) -> Self {
        self.header(name, &parts.join("\n\t"))
    }

    /// `Received: from x by y; DATE`
    pub fn received(self, date: &str) -> Self {
        self.header("Received", &format!("from x by y; {date}"))
    }

    pub fn message_id(self, mid: &str) -> Self {
        self.header("Message-ID", &angle(mid))
    }

    pub fn from(self, from: &str) -> Self {
        self.header("From", from)
    }

    pub fn subject(self, subject: &str) -> Self {
        self.header("Subject", subject)
    }

    pub fn date(self, date: &str) -> Self {
        self.header("Date", date)
    }

    pub fn in_reply_to(self, mid: &str) -> Self {
        self.header("In-Reply-To", &angle(mid))
    }

    /// `References:` with one id per (folded) line.
    pub fn references(self, mids: &[&str]) -> Self {
        let v: Vec<String> = mids.iter().map(|m| angle(m)).collect();
        self.header("References", &v.join("\n "))
    }

    /// Body text (converted to CRLF in CRLF mode).
    pub fn body(mut self, body: &str) -> Self {
        self.body = body.as_bytes().to_vec();
        self.body_convert = true;
        self
    }

    /// Body bytes, verbatim.
    pub fn body_bytes(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self.body_convert = false;
        self
    }

    /// Use `\r\n` line endings.
    pub fn crlf(mut self, yes: bool) -> Self {
        self.crlf = yes;
        self
    }

    /// Omit the blank separator line and the body.
    pub fn headers_only(mut self, yes: bool) -> Self {
        self.headers_only = yes;
        self
    }

    /// The raw message bytes.
    pub fn build(&self) -> Vec<u8> {
        let eol: &[u8] = if self.crlf { b"\r\n" } else { b"\n" };
        let conv = |v: &[u8], out: &mut Vec<u8>| {
            if !self.crlf {
                out.extend_from_slice(v);
                return;
            }
            for (i, &b) in v.iter().enumerate() {
                if b == b'\n' && (i == 0 || v[i - 1] != b'\r') {
                    out.push(b'\r');
                }
                out.push(b);
            }
        };
        let mut out = Vec::new();
        for l in &self.lines {
            match l {
                HeaderLine::Gen(v) => {
                    conv(v, &mut out);
                    out.extend_from_slice(eol);
                }
                HeaderLine::Raw(v) => out.extend_from_slice(v),
            }
        }
        if !self.headers_only {
            out.extend_from_slice(eol);
            if self.body_convert {
                conv(&self.body, &mut out);
            } else {
                out.extend_from_slice(&self.body);
            }
        }
        out
    }
}
