//! The data-quality appendix of a digest: window mails without a
//! Message-ID, with undecodable text or a skewed Date, repeated copies of
//! a mail, and commits the archive walk could not read.

use serde::Serialize;

use super::ThreadView;
use crate::mail::problem;
use crate::storage::index::Message;

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

    /// The appendix of a digest: the flagged mails of the window among
    /// `views`, the repeated copies of its mails (`reused`: copy, commit
    /// of the original) and the commits the walk could not read (`walk_errors`:
    /// epoch, commit, error).
    pub(super) fn of(
        views: &[ThreadView],
        reused: &[(Message, String)],
        walk_errors: &[(u32, String, String)],
    ) -> Quality {
        let mut q = Quality::default();
        for v in views {
            for m in v.messages.iter().filter(|m| m.in_window) {
                let item = |detail: String| QualityItem {
                    message_id: m.message_id.clone(),
                    subject: m.subject.clone(),
                    detail,
                };
                let has = |p: &str| m.problems.contains(&p);
                if has("no-message-id") {
                    q.no_message_id.push(item(String::new()));
                }
                if has("invalid-utf8-header") || has("undecodable-text") {
                    let what: Vec<&str> = m
                        .problems
                        .iter()
                        .copied()
                        .filter(|p| *p == "invalid-utf8-header" || *p == "undecodable-text")
                        .collect();
                    q.undecodable.push(item(what.join(", ")));
                }
                if has("no-date") || has("bad-date") {
                    q.date_skew.push(item("no usable Date header".into()));
                } else if (m.ds - m.ts).abs() > DATE_SKEW_SECS {
                    q.date_skew
                        .push(item(format!("Date {} but received {}", m.date, m.received)));
                }
            }
        }
        for (m, orig) in reused {
            if m.problems & problem::REUSED_MESSAGE_ID != 0 {
                q.reused_message_id.push(QualityItem {
                    message_id: m.message_id.clone(),
                    subject: m.subject.clone(),
                    detail: format!(
                        "epoch {} commit {}; first used by commit {orig}",
                        m.epoch, m.commit
                    ),
                });
            }
        }
        for (epoch, commit, err) in walk_errors {
            q.unreadable_commits.push(QualityItem {
                message_id: String::new(),
                subject: String::new(),
                detail: format!("epoch {epoch} commit {commit}: {err}"),
            });
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use crate::digest::fixtures::digest;

    #[test]
    fn the_quality_appendix_has_reused_ids_and_unreadable_commits() {
        let d = digest();
        assert_eq!(d.quality.reused_message_id.len(), 1);
        assert_eq!(d.quality.unreadable_commits.len(), 1);
        assert!(d.quality.unreadable_commits[0].detail.contains("abcd"));
    }
}
