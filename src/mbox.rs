//! mboxrd: mails as one file that mail clients (mutt) and `b4 am -m` read.
//! Each mail starts with a `From ` line; any line of a mail that starts
//! with `From ` behind zero or more `>` gets one more `>` (so reading it
//! back gives the raw bytes again).

/// The separator line that starts each mail (as b4 and public-inbox write).
const FROM_LINE: &[u8] = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n";

/// `mails` (raw bytes) as one mboxrd file.
pub fn mboxrd<'a>(mails: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for mail in mails {
        out.extend_from_slice(FROM_LINE);
        for line in mail.split_inclusive(|&b| b == b'\n') {
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
    fn each_mail_starts_with_a_from_line_and_ends_with_a_blank_line() {
        let out = mboxrd([b"A: 1\n\nbody".as_slice(), b"B: 2\n\nother\n".as_slice()]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "From mboxrd@z Thu Jan  1 00:00:00 1970\nA: 1\n\nbody\n\nFrom mboxrd@z Thu Jan  1 00:00:00 1970\nB: 2\n\nother\n\n"
        );
    }
}
