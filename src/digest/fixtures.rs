//! What [`gather`](fn@super::gather) would read, made by hand for the
//! tests of the pure parts: mails of 2022-W10 and the week itself.

use std::collections::HashMap;

use super::{Digest, Gathered, Options, VersionLinks, assemble};
use crate::analysis;
use crate::mail::problem;
use crate::storage::index::{Message, TimeField};
use crate::thread;
use crate::window::{Window, WindowSpec, resolve};

pub(super) const MON: i64 = 1_646_611_200; // 2022-03-07 00:00 UTC, Monday of 2022-W10
pub(super) const DAY: i64 = 86_400;

pub(super) fn week() -> Window {
    resolve(
        &WindowSpec::Week {
            year: 2022,
            week: 10,
        },
        chrono_tz::UTC,
        TimeField::Received,
        MON + 30 * DAY,
    )
}

/// A message at time `t` (Date and received), replying to `parent`.
pub(super) fn msg(
    seq: u64,
    mid: &str,
    from: (&str, &str),
    subject: &str,
    parent: Option<&str>,
    t: i64,
) -> Message {
    Message {
        id: seq as i64,
        epoch: 0,
        seq,
        commit: format!("{seq:040x}"),
        blob: format!("b{seq:039x}"),
        message_id: mid.into(),
        extra_message_ids: Vec::new(),
        mid_synthetic: false,
        date: Some(t),
        date_offset: Some(0),
        ds: t,
        received: t,
        commit_time: t,
        from_name: from.0.into(),
        from_addr: from.1.into(),
        subject: subject.into(),
        in_reply_to: parent.map(|p| vec![p.to_string()]).unwrap_or_default(),
        references: parent.map(|p| vec![p.to_string()]).unwrap_or_default(),
        list_id: None,
        size: 100,
        problems: 0,
        deleted_by: None,
        to_cc: Vec::new(),
    }
}

pub(super) const ALICE: (&str, &str) = ("Alice Author", "alice@example.org");
pub(super) const BOB: (&str, &str) = ("Bob Reviewer", "bob@example.org");
pub(super) const CAROL: (&str, &str) = ("Carol Maintainer", "carol@example.org");

/// A two-patch series: cover and patches last week, review and an
/// applied notice in the window; plus a new question in the window.
pub(super) fn gathered() -> Gathered {
    let universe = vec![
        msg(
            1,
            "c@x",
            ALICE,
            "[PATCH v2 0/2] KVM: arm64: widget",
            None,
            MON - 3 * DAY,
        ),
        msg(
            2,
            "p1@x",
            ALICE,
            "[PATCH v2 1/2] KVM: arm64: widget one",
            Some("c@x"),
            MON - 3 * DAY + 60,
        ),
        msg(
            3,
            "p2@x",
            ALICE,
            "[PATCH v2 2/2] KVM: arm64: widget two",
            Some("c@x"),
            MON - 3 * DAY + 120,
        ),
        msg(
            4,
            "r1@x",
            BOB,
            "Re: [PATCH v2 1/2] KVM: arm64: widget one",
            Some("p1@x"),
            MON + DAY,
        ),
        msg(
            5,
            "a@x",
            CAROL,
            "Re: [PATCH v2 0/2] KVM: arm64: widget",
            Some("c@x"),
            MON + 2 * DAY,
        ),
        msg(6, "q@x", BOB, "Question about vgic", None, MON + 3 * DAY),
        msg(
            7,
            "q2@x",
            ("bob@example.org", "bob@example.org"),
            "Re: Question about vgic",
            Some("q@x"),
            MON + 3 * DAY + 10,
        ),
    ];
    let bodies_text = [
        "This series adds a widget.\n",
        "diff --git a/x b/x\n",
        "diff --git a/y b/y\n",
        "Looks good.\n\nReviewed-by: Bob Reviewer <bob@example.org>\n",
        "Applied to kvmarm/next, thanks!\n",
        "How does the vgic handle this?\n",
        "Answering myself: it does not.\n",
    ];
    let bodies = bodies_text
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                i,
                (t.to_string(), analysis::mail_facts(t), false, Vec::new()),
            )
        })
        .collect();
    let mut reused = msg(
        8,
        "r1@x",
        BOB,
        "Re: [PATCH v2 1/2] KVM: arm64: widget one",
        Some("p1@x"),
        MON + DAY + 5,
    );
    reused.problems = problem::REUSED_MESSAGE_ID;
    let threads = thread::build(&universe);
    let versions = VersionLinks::of(&universe, &threads);
    Gathered {
        list: "t".into(),
        universe,
        bodies,
        originals: HashMap::new(),
        epochs: Vec::new(),
        reused: vec![(reused, "0000".into())],
        walk_errors: vec![(0, "abcd".into(), "tree holds neither m nor d".into())],
        versions,
        threads: Some(threads),
        seed: None,
    }
}

pub(super) fn digest() -> Digest {
    assemble(gathered(), &week(), &Options::for_list("t"))
}
