//! The document a digest is: the serde types that `threads --json` prints
//! and the reports render (the window's totals, each thread with its
//! people, series, review and mails), and how they spell a mail's link and
//! sender.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::collections::BTreeMap;

use serde::Serialize;

use super::quality::Quality;
use crate::analysis::people::Identity;
use crate::analysis::{BotKind, Kind, MailFacts, SeriesFacts, SubjectInfo, TrailerKind};
use crate::window::{RangeOut, Window};

/// Threads with more window mails than this are "big".
pub const BIG_THREAD: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub list: String,
    pub window: Window,
    /// For each epoch, the commits this digest was made from: messages of
    /// later commits are not in it. `--range` with these values regenerates
    /// the digest.
    pub epochs: Vec<RangeOut>,
    pub totals: Totals,
    pub threads: Vec<ThreadView>,
    pub quality: Quality,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Mails in the window.
    pub messages: usize,
    /// Threads with at least one mail in the window.
    pub threads: usize,
    /// Threads whose first mail is in the window.
    pub new_threads: usize,
    /// Threads with more than [`BIG_THREAD`] mails in the window.
    pub big_threads: usize,
    /// Distinct people who sent mail in the window (see
    /// [`crate::analysis::people`]: one person per address, list-rewritten
    /// From undone).
    pub participants: usize,
    /// Earlier mails of these threads, shown as history.
    pub history_messages: usize,
    pub by_kind: Vec<KindCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KindCount {
    pub kind: Kind,
    pub threads: usize,
    pub messages: usize,
}

/// A participant of a thread: one person, however many names or
/// addresses their From headers used (see [`crate::analysis::people`]).
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub name: String,
    /// Empty when no mail gave the person's address (a list-rewritten
    /// From without the original sender).
    pub email: String,
    /// Mails in the window.
    pub messages: usize,
    /// Mails before the window.
    pub history: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot: Option<BotKind>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub message_id: String,
    pub in_window: bool,
    /// Date header (else received) in UTC, RFC 3339.
    pub date: String,
    /// Received time (public-inbox `ts`) in UTC, RFC 3339.
    pub received: String,
    /// `Name <address>`.
    pub from: String,
    pub from_name: String,
    pub from_addr: String,
    pub subject: String,
    pub url: String,
    /// Depth in the thread tree (0 for top-level mails).
    pub depth: u32,
    /// Message-ID of the nearest archived ancestor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot: Option<BotKind>,
    /// Data-quality flags of this mail.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<&'static str>,
    #[serde(skip)]
    pub ds: i64,
    #[serde(skip)]
    pub ts: i64,
    /// Decoded text of the mail, for the summarizer (not serialized).
    #[serde(skip)]
    pub body: String,
    #[serde(skip)]
    pub facts: MailFacts,
    #[serde(skip)]
    pub subject_info: SubjectInfo,
    /// The person who sent it (the participant's name and address).
    #[serde(skip)]
    pub sender: Identity,
    /// Name and address of the writer as this mail alone says it (From,
    /// or the original sender of a list-rewritten From): unlike `sender`,
    /// the same whatever other mails are read with it.
    #[serde(skip)]
    pub author: (String, String),
    /// People the mail was addressed to (To and Cc headers): names, else
    /// addresses. For the grounding check of summaries (not serialized).
    #[serde(skip)]
    pub addressed: Vec<String>,
    /// The addresses in its To and Cc headers, lower-cased, from the index
    /// ([`crate::storage::index::Message::to_cc`]): kept whether or not
    /// the text is.
    #[serde(skip)]
    pub addressed_emails: Vec<String>,
}

/// A trailer given in a reply: who, what, for which mail.
#[derive(Debug, Clone, Serialize)]
pub struct GivenTrailer {
    pub kind: TrailerKind,
    pub name: String,
    pub email: String,
    /// Subject of the mail it answers (the patch).
    pub patch: String,
    pub message_id: String,
    pub in_window: bool,
    /// Written in the patch mail itself (`message_id`) by its sender, as
    /// given to an earlier version, rather than given in a reply.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub carried: bool,
}

/// An applied/queued/merged notice, or a NAK.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub by: String,
    pub by_email: String,
    pub line: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub message_id: String,
    pub date: String,
    pub in_window: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Review {
    pub reviewed_by: Vec<GivenTrailer>,
    pub acked_by: Vec<GivenTrailer>,
    pub tested_by: Vec<GivenTrailer>,
    pub reported_by: Vec<GivenTrailer>,
    pub applied: Vec<Notice>,
    pub naks: Vec<Notice>,
    /// Mails from bots, by kind.
    pub bots: BTreeMap<String, usize>,
}

impl Review {
    /// Every trailer the review lists: Reviewed-by, Acked-by, Tested-by,
    /// then Reported-by.
    pub fn all_given(&self) -> impl Iterator<Item = &GivenTrailer> {
        self.reviewed_by
            .iter()
            .chain(&self.acked_by)
            .chain(&self.tested_by)
            .chain(&self.reported_by)
    }

    /// The list that trailers of `kind` given for the thread go to
    /// (Reviewed-by, Acked-by, Tested-by, Reported-by); `None` for the kinds
    /// a review does not list (Signed-off-by, Suggested-by, …).
    pub fn given_mut(&mut self, kind: TrailerKind) -> Option<&mut Vec<GivenTrailer>> {
        match kind {
            TrailerKind::ReviewedBy => Some(&mut self.reviewed_by),
            TrailerKind::AckedBy => Some(&mut self.acked_by),
            TrailerKind::TestedBy => Some(&mut self.tested_by),
            TrailerKind::ReportedBy => Some(&mut self.reported_by),
            _ => None,
        }
    }
}

/// The version of a series that was applied, and the notice that says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesApplied {
    pub version: u32,
    pub who: String,
    /// The tree or branch named, else the notice's line.
    #[serde(rename = "where")]
    pub target: String,
    /// RFC 3339 UTC.
    pub date: String,
}

/// Another thread of the same series (an older or newer version).
#[derive(Debug, Clone, Serialize)]
pub struct ThreadRef {
    pub id: String,
    pub subject: String,
    pub version: u32,
    pub url: String,
    pub date: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Series {
    #[serde(flatten)]
    pub facts: SeriesFacts,
    /// The series' state at the end of the window (see
    /// [`ledger`](super::ledger)); set by the report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    /// When the state was reached, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_since: Option<String>,
    /// The version of the series applied in the window, by whom, where and
    /// when; set by the report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<SeriesApplied>,
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_version: Option<ThreadRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<ThreadRef>,
    /// The b4 commands that fetch the thread's newest version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b4: Option<B4>,
    /// Changelog and review of the previous version.
    #[serde(flatten)]
    pub across: Across,
}

/// Where a series stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// No reply from anyone but the author.
    New,
    /// Replies, no Reviewed-by/Acked-by on the newest version.
    InReview,
    /// Reviewed-by or Acked-by on the newest version.
    Reviewed,
    /// An applied notice.
    Applied,
    /// A newer version exists.
    Superseded,
    /// The newest version had no mail for the stale period.
    Stale,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::InReview => "in-review",
            State::Reviewed => "reviewed",
            State::Applied => "applied",
            State::Superseded => "superseded",
            State::Stale => "stale",
        }
    }

    /// The state named `s` (`in-review` or `in_review`).
    pub fn parse(s: &str) -> Option<State> {
        Some(
            match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
                "new" => State::New,
                "in-review" => State::InReview,
                "reviewed" => State::Reviewed,
                "applied" => State::Applied,
                "superseded" => State::Superseded,
                "stale" => State::Stale,
                _ => return None,
            },
        )
    }
}

/// Most replies to the previous version listed (the rest are counted).
pub const MAX_PREVIOUS_REVIEW: usize = 10;

/// What the series says about its versions; flattened into `series`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Across {
    /// What each version changed, per mail that says so: newest version
    /// first; for one version, the cover letter first, then the patches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changelog: Vec<Changelog>,
    /// Replies to the previous version by people other than its author,
    /// in time order, at most [`MAX_PREVIOUS_REVIEW`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub previous_review: Vec<PreviousReply>,
    /// Further replies to the previous version, not listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub previous_review_more: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The changes of one version, as one mail of the thread lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changelog {
    pub version: u32,
    pub items: Vec<String>,
    pub message_id: String,
    pub url: String,
    /// From the cover letter (else from a patch's notes below `---`).
    pub cover_letter: bool,
    /// The patch (`2/5`) whose notes it is; none for the cover letter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

/// A reply to the previous version of the series.
#[derive(Debug, Clone, Serialize)]
pub struct PreviousReply {
    pub from: String,
    pub email: String,
    pub subject: String,
    pub message_id: String,
    pub url: String,
    pub date: String,
    /// The first substantive own lines of the reply (no salutation, quote
    /// or attribution): filled in from the body by the report (see
    /// `summarize::extractive::fill_previous_review`); empty without it.
    pub lines: Vec<String>,
    /// Trailers the reply gave.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trailers: Vec<TrailerKind>,
    #[serde(skip)]
    pub body: String,
    #[serde(skip)]
    pub facts: MailFacts,
}

/// How to fetch a series with b4: by the Message-ID of its newest version's
/// cover letter, else of its first patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct B4 {
    pub message_id: String,
    /// `b4 shazam MSGID`: apply the series to the current branch.
    pub shazam: String,
    /// `b4 am MSGID`: write it as an mbox ready for `git am`.
    pub am: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThreadView {
    pub id: String,
    /// Subject of the thread's first mail, decoded and unfolded.
    pub subject: String,
    pub kind: Kind,
    pub url: String,
    /// The thread's root was not archived (a reply to an unseen mail).
    pub root_missing: bool,
    pub window_messages: usize,
    pub history_messages: usize,
    pub participants: Vec<Person>,
    /// First and last mail of the thread shown (history included), and of
    /// the window, RFC 3339 UTC.
    pub first_date: String,
    pub last_date: String,
    pub first_in_window: String,
    pub last_in_window: String,
    pub new_in_window: bool,
    pub series: Series,
    pub review: Review,
    /// Mails in time order (history first).
    pub messages: Vec<MessageView>,
    #[serde(skip)]
    pub last_ts: i64,
}

/// What public-inbox escapes in a Message-ID of a URL path: every byte
/// but ASCII letters, digits and `-._~!$&'()*+,;=:@` (RFC 3986 pchar).
const MID_ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Escape a Message-ID for a URL path as public-inbox does.
pub fn mid_escape(mid: &str) -> String {
    utf8_percent_encode(mid, MID_ESCAPED).to_string()
}

/// The URL of mail `mid` under `base`.
pub(super) fn link(base: &str, mid: &str) -> String {
    format!("{}{}/", base, mid_escape(mid))
}

pub fn format_from(name: &str, addr: &str) -> String {
    match (name.is_empty(), addr.is_empty()) {
        (false, false) => format!("{name} <{addr}>"),
        (true, false) => addr.to_string(),
        _ => name.to_string(),
    }
}

/// A mail's decoded text, facts, undecodable flag and To/Cc people:
/// (text, facts, undecodable, To/Cc names else addresses).
pub type Body = (String, MailFacts, bool, Vec<String>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_in_urls_keep_pchars_and_escape_the_rest_in_upper_hex() {
        assert_eq!(
            mid_escape("20220307.1234-1-maz+kvm@kernel.org"),
            "20220307.1234-1-maz+kvm@kernel.org"
        );
        assert_eq!(mid_escape("a/b?c#d e%f"), "a%2Fb%3Fc%23d%20e%25f");
        assert_eq!(mid_escape("x<é>"), "x%3C%C3%A9%3E");
        assert_eq!(mid_escape("!$&'()*,;=:~_"), "!$&'()*,;=:~_");
    }

    #[test]
    fn review_keeps_each_given_trailer_kind_in_its_own_list() {
        use TrailerKind::*;
        let mut review = Review::default();
        for kind in [
            ReviewedBy,
            AckedBy,
            TestedBy,
            ReportedBy,
            SignedOffBy,
            SuggestedBy,
            CoDevelopedBy,
            Nacked,
        ] {
            if let Some(list) = review.given_mut(kind) {
                list.push(GivenTrailer {
                    kind,
                    name: "Bob Reviewer".into(),
                    email: "bob@example.org".into(),
                    patch: "[PATCH] x".into(),
                    message_id: "r@x".into(),
                    in_window: true,
                    carried: false,
                });
            }
        }
        let kinds = |l: &[GivenTrailer]| l.iter().map(|t| t.kind).collect::<Vec<_>>();
        assert_eq!(kinds(&review.reviewed_by), [ReviewedBy]);
        assert_eq!(kinds(&review.acked_by), [AckedBy]);
        assert_eq!(kinds(&review.tested_by), [TestedBy]);
        assert_eq!(kinds(&review.reported_by), [ReportedBy]);
    }
}
