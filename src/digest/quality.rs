//! The data-quality appendix of a digest: window mails without a
//! Message-ID, with undecodable text or a skewed Date, repeated copies of
//! a mail, and commits the archive walk could not read (`assemble` fills
//! it in).

use serde::Serialize;

/// A Date header further than this from the received time is reported.
pub const DATE_SKEW_SECS: i64 = 2 * 86400;

#[derive(Debug, Clone, Default, Serialize)]
pub struct QualityItem {
    pub message_id: String,
    pub subject: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Quality {
    /// Window mails without a Message-ID (a stable id was made up).
    pub no_message_id: Vec<QualityItem>,
    /// Window mails with undecodable bytes in headers or body.
    pub undecodable: Vec<QualityItem>,
    /// Window mails whose Date is missing, unparsable or more than two
    /// days from when the list received them.
    pub date_skew: Vec<QualityItem>,
    /// Window mails that reuse the Message-ID of a different earlier mail
    /// (kept in the index, not counted).
    pub reused_message_id: Vec<QualityItem>,
    /// Commits of the archive that could not be read.
    pub unreadable_commits: Vec<QualityItem>,
}

impl Quality {
    pub fn is_empty(&self) -> bool {
        self.no_message_id.is_empty()
            && self.undecodable.is_empty()
            && self.date_skew.is_empty()
            && self.reused_message_id.is_empty()
            && self.unreadable_commits.is_empty()
    }
}
