//! mboxrd: mails as one file that mail clients (mutt) and `b4 am -m` read.
//! Each mail starts with a `From ` line; any line of a mail that starts
//! with `From ` behind zero or more `>` gets one more `>` (so reading it
//! back gives the raw bytes again).
//!
//! One change to the raw bytes: a folded `Subject:`, `From:` or `Date:`
//! header is unfolded (its line breaks inside the value dropped, the
//! whitespace kept, as RFC 5322 §2.2.3 unfolds it, so the value means the
//! same). `b4 am -m FILE` (b4 0.12, Debian) reads a file through Python's
//! `mailbox` module, whose compat32 messages hand back a folded value with its
//! line break, and copies these three headers into a new message that refuses
//! a line break ("Header values may not contain linefeed or carriage return
//! characters"). Every other header and the body stay byte for byte.

/// The separator line that starts each mail (as b4 and public-inbox write).
const FROM_LINE: &[u8] = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n";

/// `mails` (raw bytes) as one mboxrd file.
pub fn mboxrd<'a>(mails: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for mail in mails {
        out.extend_from_slice(FROM_LINE);
        let mut in_header = true;
        let mut unfold = false;
        for line in mail.split_inclusive(|&b| b == b'\n') {
            if in_header {
                if line == b"\n" || line == b"\r\n" {
                    in_header = false;
                } else if line.starts_with(b" ") || line.starts_with(b"\t") {
                    if unfold {
                        drop_line_end(&mut out);
                    }
                } else {
                    unfold = UNFOLDED.iter().any(|name| is_header(line, name));
                }
            }
            let quoted = line.iter().position(|&b| b != b'>').unwrap_or(line.len());
            if line[quoted..].starts_with(b"From ") {
                out.push(b'>');
            }
            out.extend_from_slice(line);
        }
        if !mail.ends_with(b"\n") {
            out.push(b'\n');
        }
        out.push(b'\n');
    }
    out
}

/// The headers that b4 copies into a new message (see the module docs).
const UNFOLDED: [&[u8]; 3] = [b"subject", b"from", b"date"];

/// Whether `line` starts the header `name` (lower case).
fn is_header(line: &[u8], name: &[u8]) -> bool {
    line.len() > name.len()
        && line[..name.len()].eq_ignore_ascii_case(name)
        && line[name.len()..]
            .iter()
            .find(|&&b| b != b' ' && b != b'\t')
            .is_some_and(|&b| b == b':')
}

/// Drop the line break (LF or CRLF) that ends `out`.
fn drop_line_end(out: &mut Vec<u8>) {
    if out.ends_with(b"\r\n") {
        out.truncate(out.len() - 2);
    } else if out.ends_with(b"\n") {
        out.truncate(out.len() - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_lines_in_a_body_get_one_more_quote_each() {
        let mail = b"Subject: x\n\nFrom here\n>From there\n>>From afar\nFromage\n".as_slice();
        let out = mboxrd([mail]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: x\n\n>From here\n>>From there\n>>>From afar\nFromage\n\n"
        );
    }

    #[test]
    fn folded_subject_from_and_date_are_unfolded_and_the_rest_kept_byte_for_byte() {
        let mail = b"From: Alice\r\n <a@x>\r\nSubject: [PATCH 1/2] KVM: long\n\tsubject\nTo: a,\n b\nDate: Mon,\n 7 Mar 2022\nX-Subject: y\n z\n\nbody\n line\n".as_slice();
        let out = String::from_utf8(mboxrd([mail])).unwrap();
        assert_eq!(
            out,
            "From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: Alice <a@x>\r\nSubject: [PATCH 1/2] KVM: long\tsubject\nTo: a,\n b\nDate: Mon, 7 Mar 2022\nX-Subject: y\n z\n\nbody\n line\n\n"
        );
    }

    #[test]
    fn each_mail_starts_with_a_from_line_and_ends_with_a_blank_line() {
        let out = mboxrd([b"A: 1\n\nbody".as_slice(), b"B: 2\n\nother\n".as_slice()]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "From mboxrd@z Thu Jan  1 00:00:00 1970\nA: 1\n\nbody\n\nFrom mboxrd@z Thu Jan  1 00:00:00 1970\nB: 2\n\nother\n\n"
        );
    }
}
