//! What each person did in a window, as the LKML activity trackers count
//! it: patches and series sent, Reviewed-by/Acked-by/Tested-by given in
//! replies, such trailers carried for them in other people's patches, and
//! the other mails they wrote.
//!
//! Counted from the window's mails alone ([`count`]); one person is one row,
//! by the rules of [`super::people`] over the senders and the people the
//! trailers name together (a trailer at another address of a full name that
//! sent mail joins that person). Mails from bots are left out.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::people::{self, Identity, Sender};
use super::{SubjectInfo, Trailer, TrailerKind};

/// One window mail, as far as activity goes.
#[derive(Debug, Clone, Copy)]
pub struct ActivityMail<'a> {
    /// The thread it belongs to.
    pub thread: &'a str,
    /// Who sent it (as the digest identified the sender).
    pub sender: &'a Identity,
    pub subject: &'a SubjectInfo,
    /// Trailers in the sender's own lines.
    pub trailers: &'a [Trailer],
    /// Sent by a bot: not counted.
    pub bot: bool,
}

/// One person's activity in the window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PersonActivity {
    pub name: String,
    /// Empty when no mail or trailer gave the person's address.
    pub email: String,
    /// Patch mails sent (numbered or single patches; not cover letters).
    pub patches: usize,
    /// Series sent: one per thread and version with a patch mail or cover
    /// letter of theirs.
    pub series: usize,
    /// `Reviewed-by` given in replies.
    pub reviews: usize,
    /// `Acked-by` given in replies.
    pub acks: usize,
    /// `Tested-by` given in replies.
    pub tested: usize,
    /// Reviewed-by, Acked-by and Tested-by naming them in patch mails that
    /// someone else sent in the window, one per patch mail and trailer.
    pub carried: usize,
    /// Mails that are not patch mails (replies, questions, pull requests).
    pub replies: usize,
    /// Threads they sent a mail to.
    pub threads: usize,
    /// Cover letters sent: no column of their own (they count in `series`),
    /// but mails sent, so they weigh in the order of the rows.
    #[serde(skip)]
    pub covers: usize,
}

impl PersonActivity {
    /// What the rows are ordered by: mails sent (patches, cover letters,
    /// replies), trailers given and trailers carried.
    pub fn total(&self) -> usize {
        self.patches
            + self.covers
            + self.replies
            + self.reviews
            + self.acks
            + self.tested
            + self.carried
    }
}

/// A counted trailer: one that says the person reviewed, acked or tested.
fn counted(kind: TrailerKind) -> bool {
    matches!(
        kind,
        TrailerKind::ReviewedBy | TrailerKind::AckedBy | TrailerKind::TestedBy
    )
}

/// The activity of every person who sent one of `mails` (the window's) or
/// is named by a counted trailer in them, most active first, then by name.
/// Deterministic: the same mails in any order give the same rows.
pub fn count(mails: &[ActivityMail<'_>]) -> Vec<PersonActivity> {
    let mails: Vec<&ActivityMail<'_>> = mails.iter().filter(|m| !m.bot).collect();
    // Senders first, then the people trailers name; identified together.
    let mut senders: Vec<Sender> = mails
        .iter()
        .map(|m| Sender::new(&m.sender.name, &m.sender.email))
        .collect();
    let mut trailer_at: Vec<(usize, TrailerKind)> = Vec::new();
    for (i, m) in mails.iter().enumerate() {
        for t in m.trailers.iter().filter(|t| counted(t.kind)) {
            senders.push(Sender::new(&t.name, &t.email));
            trailer_at.push((i, t.kind));
        }
    }
    let ids = people::identify(&senders);
    let (mail_ids, trailer_ids) = ids.split_at(mails.len());

    #[derive(Default)]
    struct Acc<'a> {
        row: PersonActivity,
        series: BTreeSet<(&'a str, u32)>,
        threads: BTreeSet<&'a str>,
    }
    let mut acc: HashMap<&str, Acc<'_>> = HashMap::new();
    for (m, id) in mails.iter().zip(mail_ids) {
        let a = acc.entry(id.key.as_str()).or_default();
        a.threads.insert(m.thread);
        if m.subject.is_patch_mail() {
            if matches!(m.subject.part, Some((0, _))) {
                a.row.covers += 1;
            } else {
                a.row.patches += 1;
            }
            a.series.insert((m.thread, m.subject.effective_version()));
        } else {
            a.row.replies += 1;
        }
    }
    for (&(i, kind), id) in trailer_at.iter().zip(trailer_ids) {
        let m = mails[i];
        let a = acc.entry(id.key.as_str()).or_default();
        if m.subject.is_patch_mail() {
            // A trailer in one's own patch is not credit given to anyone.
            if id.key != mail_ids[i].key {
                a.row.carried += 1;
            }
        } else {
            match kind {
                TrailerKind::ReviewedBy => a.row.reviews += 1,
                TrailerKind::AckedBy => a.row.acks += 1,
                _ => a.row.tested += 1,
            }
        }
    }
    let names: HashMap<&str, &Identity> = ids.iter().map(|i| (i.key.as_str(), i)).collect();
    let mut rows: Vec<(String, PersonActivity)> = acc
        .into_iter()
        .map(|(key, a)| {
            let mut row = a.row;
            row.series = a.series.len();
            row.threads = a.threads.len();
            if let Some(id) = names.get(key) {
                row.name = id.name.clone();
                row.email = id.email.clone();
            }
            (key.to_string(), row)
        })
        .filter(|(_, r)| r.total() > 0)
        .collect();
    rows.sort_by(|(ka, a), (kb, b)| {
        b.total()
            .cmp(&a.total())
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| ka.cmp(kb))
    });
    rows.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse_subject;

    /// A window mail: thread, `Name <addr>` of the sender, subject,
    /// trailers, bot.
    struct M {
        thread: &'static str,
        sender: Identity,
        subject: SubjectInfo,
        trailers: Vec<Trailer>,
        bot: bool,
    }

    fn who(name: &str, email: &str) -> Identity {
        Identity {
            key: format!("addr:{email}"),
            name: name.into(),
            email: email.into(),
        }
    }

    fn tr(kind: TrailerKind, name: &str, email: &str) -> Trailer {
        Trailer {
            kind,
            name: name.into(),
            email: email.into(),
        }
    }

    fn m(thread: &'static str, sender: Identity, subject: &str, trailers: Vec<Trailer>) -> M {
        M {
            thread,
            sender,
            subject: parse_subject(subject),
            trailers,
            bot: false,
        }
    }

    fn run(mails: &[M]) -> Vec<PersonActivity> {
        let input: Vec<ActivityMail<'_>> = mails
            .iter()
            .map(|m| ActivityMail {
                thread: m.thread,
                sender: &m.sender,
                subject: &m.subject,
                trailers: &m.trailers,
                bot: m.bot,
            })
            .collect();
        count(&input)
    }

    fn row<'a>(rows: &'a [PersonActivity], name: &str) -> &'a PersonActivity {
        rows.iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no row {name}: {rows:?}"))
    }

    fn alice() -> Identity {
        who("Alice Author", "alice@example.org")
    }
    fn bob() -> Identity {
        who("Bob Reviewer", "bob@example.org")
    }

    #[test]
    fn a_reply_with_reviewed_by_is_a_review_and_a_reply() {
        use TrailerKind::*;
        let rows = run(&[
            m("t1", alice(), "[PATCH 0/2] KVM: widgets", vec![]),
            m("t1", alice(), "[PATCH 1/2] KVM: widget a", vec![]),
            m("t1", alice(), "[PATCH 2/2] KVM: widget b", vec![]),
            m(
                "t1",
                bob(),
                "Re: [PATCH 1/2] KVM: widget a",
                vec![tr(ReviewedBy, "Bob Reviewer", "bob@example.org")],
            ),
            m(
                "t1",
                bob(),
                "Re: [PATCH 2/2] KVM: widget b",
                vec![
                    tr(AckedBy, "Bob Reviewer", "bob@example.org"),
                    tr(TestedBy, "Bob Reviewer", "bob@example.org"),
                    // Not counted: not a review.
                    tr(ReportedBy, "Bob Reviewer", "bob@example.org"),
                ],
            ),
            m("t2", bob(), "KVM: a question", vec![]),
        ]);
        assert_eq!(rows.len(), 2, "{rows:?}");
        let a = row(&rows, "Alice Author");
        assert_eq!(
            (a.patches, a.series, a.replies, a.reviews, a.threads),
            (2, 1, 0, 0, 1)
        );
        assert_eq!(a.email, "alice@example.org");
        let b = row(&rows, "Bob Reviewer");
        assert_eq!(
            (b.reviews, b.acks, b.tested, b.carried, b.replies, b.threads),
            (1, 1, 1, 0, 3, 2)
        );
        assert_eq!((b.patches, b.series), (0, 0));
        // Bob: 3 mails and 3 trailers; Alice: 3 mails.
        assert_eq!(rows[0].name, "Bob Reviewer");
    }

    #[test]
    fn a_patch_carrying_someone_elses_ack_counts_as_carried_for_them() {
        use TrailerKind::*;
        let carol = || tr(AckedBy, "Carol Acker", "carol@example.org");
        let rows = run(&[
            m(
                "t1",
                alice(),
                "[PATCH v2 1/2] KVM: widget a",
                vec![
                    carol(),
                    tr(ReviewedBy, "Bob Reviewer", "bob@example.org"),
                    tr(SignedOffBy, "Alice Author", "alice@example.org"),
                    // Her own trailer in her own patch credits no one.
                    tr(TestedBy, "Alice Author", "alice@example.org"),
                ],
            ),
            m("t1", alice(), "[PATCH v2 2/2] KVM: widget b", vec![carol()]),
            m("t1", bob(), "Re: [PATCH v2 2/2] KVM: widget b", vec![]),
        ]);
        let c = row(&rows, "Carol Acker");
        assert_eq!((c.carried, c.acks, c.replies, c.threads), (2, 0, 0, 0));
        assert_eq!(c.email, "carol@example.org");
        let b = row(&rows, "Bob Reviewer");
        assert_eq!((b.carried, b.reviews, b.replies), (1, 0, 1));
        let a = row(&rows, "Alice Author");
        assert_eq!((a.carried, a.tested, a.patches, a.series), (0, 0, 2, 1));
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn a_person_at_two_addresses_is_one_row() {
        use TrailerKind::*;
        let kernel = who("Marc Zyngier", "maz@kernel.org");
        let arm = who("Marc Zyngier", "marc.zyngier@arm.com");
        let rows = run(&[
            m("t1", alice(), "[PATCH] KVM: widget", vec![]),
            m(
                "t1",
                kernel.clone(),
                "Re: [PATCH] KVM: widget",
                vec![tr(AckedBy, "Marc Zyngier", "marc.zyngier@arm.com")],
            ),
            m("t2", arm, "Re: KVM: a question", vec![]),
            m(
                "t3",
                kernel,
                "Re: [PATCH] KVM: other",
                // An address alone names the same person.
                vec![tr(ReviewedBy, "", "maz@kernel.org")],
            ),
        ]);
        let marc: Vec<&PersonActivity> = rows.iter().filter(|r| r.name.contains("Marc")).collect();
        assert_eq!(marc.len(), 1, "{rows:?}");
        let r = marc[0];
        assert_eq!((r.replies, r.acks, r.reviews, r.threads), (3, 1, 1, 3));
        assert_eq!(r.email, "maz@kernel.org");
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn bots_are_left_out() {
        use TrailerKind::*;
        let mut bot = m(
            "t1",
            who("patchwork-bot+kvmarm", "patchwork-bot+kvmarm@kernel.org"),
            "Re: [PATCH] KVM: widget",
            vec![tr(TestedBy, "Bob Reviewer", "bob@example.org")],
        );
        bot.bot = true;
        let rows = run(&[m("t1", alice(), "[PATCH] KVM: widget", vec![]), bot]);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].name, "Alice Author");
    }

    #[test]
    fn rows_go_by_activity_then_name_whatever_the_input_order() {
        let mails = vec![
            m("t1", who("zed", "zed@example.org"), "Re: x", vec![]),
            m("t1", bob(), "Re: x", vec![]),
            m("t1", alice(), "Re: x", vec![]),
            m("t2", alice(), "Re: y", vec![]),
        ];
        let rows = run(&mails);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Alice Author", "Bob Reviewer", "zed"]);
        let mut rev = mails;
        rev.reverse();
        assert_eq!(run(&rev), rows);
        assert!(run(&[]).is_empty());
    }
}
