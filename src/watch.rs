//! Watch lists (`[watch]` of the configuration): which threads of a digest
//! concern the people, files and words a reader follows, and why (pure).
//!
//! - `people`: a participant (window or history mails) whose name or address
//!   is the entry, by the identity rules of [`crate::analysis::people`] (the
//!   person's shown name and address, and the From names of their mails),
//!   compared case-insensitively with whitespace collapsed;
//! - `paths`: a file touched by a diff of the thread (diffstat or
//!   `diff --git` lines) that is the entry or lies under it;
//! - `keywords`: case-insensitively in a subject of the thread or in its
//!   cover letter (`[PATCH 0/N]`);
//! - `addresses`: a mail of the thread was sent or Cc'd to the address (To
//!   and Cc headers, case-insensitively).

use serde::{Deserialize, Serialize};

use crate::digest::ThreadView;

/// What a reader follows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchList {
    #[serde(default)]
    pub people: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Threads where a mail was sent or Cc'd to one of these addresses.
    #[serde(default)]
    pub addresses: Vec<String>,
}

impl WatchList {
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
            && self.paths.is_empty()
            && self.keywords.is_empty()
            && self.addresses.is_empty()
    }
}

/// A thread that matched, and every reason (`person: …`, `path: …`,
/// `keyword: …`), without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Watched {
    /// The thread id (as in the report's `threads`).
    pub id: String,
    pub why: Vec<String>,
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches('"')
        .to_lowercase()
}

/// Why `t` matches `w` (empty: it does not).
pub fn reasons(w: &WatchList, t: &ThreadView) -> Vec<String> {
    let mut why: Vec<String> = Vec::new();
    let mut add = |s: String| {
        if !why.contains(&s) {
            why.push(s);
        }
    };
    for p in &w.people {
        let want = norm(p);
        if want.is_empty() {
            continue;
        }
        let hit = t
            .participants
            .iter()
            .any(|q| norm(&q.name) == want || (!q.email.is_empty() && norm(&q.email) == want))
            || t.messages.iter().any(|m| {
                norm(&m.from_name) == want
                    || norm(&m.sender.name) == want
                    || (!m.from_addr.is_empty() && norm(&m.from_addr) == want)
            });
        if hit {
            add(format!("person: {p}"));
        }
    }
    for p in &w.paths {
        let dir = p.trim().trim_start_matches("./");
        if dir.is_empty() {
            continue;
        }
        for m in &t.messages {
            for f in &m.facts.diffstat {
                let under = if dir.ends_with('/') {
                    f.starts_with(dir)
                } else {
                    f == dir || f.starts_with(&format!("{dir}/"))
                };
                if under {
                    add(format!("path: {f}"));
                }
            }
        }
    }
    for a in &w.addresses {
        let want = a
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_lowercase();
        if !want.is_empty()
            && t.messages
                .iter()
                .any(|m| m.addressed_emails.contains(&want))
        {
            add(format!("to: {a}"));
        }
    }
    for k in &w.keywords {
        let want = k.trim().to_lowercase();
        if want.is_empty() {
            continue;
        }
        let in_subject = std::iter::once(t.subject.as_str())
            .chain(t.messages.iter().map(|m| m.subject.as_str()))
            .any(|s| s.to_lowercase().contains(&want));
        let in_cover = t.messages.iter().any(|m| {
            m.subject_info.part.is_some_and(|(n, _)| n == 0)
                && !m.subject_info.is_reply
                && m.body.to_lowercase().contains(&want)
        });
        if in_subject || in_cover {
            add(format!("keyword: {k}"));
        }
    }
    why
}

/// The threads of `threads` that match `w`, in their order.
pub fn matches(w: &WatchList, threads: &[ThreadView]) -> Vec<Watched> {
    if w.is_empty() {
        return Vec::new();
    }
    threads
        .iter()
        .filter_map(|t| {
            let why = reasons(w, t);
            (!why.is_empty()).then(|| Watched {
                id: t.id.clone(),
                why,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::people::Identity;
    use crate::analysis::{Kind, SeriesFacts, parse_subject};
    use crate::digest::{MessageView, Person, Review, Series};

    fn mail(from: (&str, &str), subject: &str, body: &str, files: &[&str]) -> MessageView {
        let facts = crate::analysis::MailFacts {
            diffstat: files.iter().map(|f| f.to_string()).collect(),
            ..Default::default()
        };
        MessageView {
            message_id: "m@x".into(),
            in_window: true,
            date: String::new(),
            received: String::new(),
            from: String::new(),
            from_name: from.0.into(),
            from_addr: from.1.into(),
            subject: subject.into(),
            url: String::new(),
            depth: 0,
            parent: None,
            bot: None,
            problems: Vec::new(),
            ds: 0,
            ts: 0,
            body: body.into(),
            facts,
            subject_info: parse_subject(subject),
            sender: Identity {
                key: from.1.into(),
                name: from.0.into(),
                email: from.1.into(),
            },
            author: Default::default(),
            addressed: Vec::new(),
            addressed_emails: Vec::new(),
        }
    }

    fn thread(msgs: Vec<MessageView>) -> ThreadView {
        ThreadView {
            id: "t1".into(),
            subject: msgs[0].subject.clone(),
            kind: Kind::Patch,
            url: String::new(),
            root_missing: false,
            window_messages: msgs.len(),
            history_messages: 0,
            participants: msgs
                .iter()
                .map(|m| Person {
                    name: m.sender.name.clone(),
                    email: m.sender.email.clone(),
                    messages: 1,
                    history: 0,
                    bot: None,
                })
                .collect(),
            first_date: String::new(),
            last_date: String::new(),
            first_in_window: String::new(),
            last_in_window: String::new(),
            new_in_window: true,
            series: Series {
                state: None,
                state_since: None,
                applied: None,
                facts: SeriesFacts::default(),
                tags: Vec::new(),
                previous_version: None,
                superseded_by: None,
                b4: None,
                across: Default::default(),
            },
            review: Review::default(),
            messages: msgs,
            last_ts: 0,
        }
    }

    fn watch(people: &[&str], paths: &[&str], keywords: &[&str]) -> WatchList {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        WatchList {
            people: v(people),
            paths: v(paths),
            keywords: v(keywords),
            addresses: Vec::new(),
        }
    }

    #[test]
    fn addresses_match_mails_sent_or_cced_to_them_ignoring_case() {
        let mut m = mail(ALICE, "[PATCH] x", "", &[]);
        m.addressed_emails = vec!["kvmarm@lists.linux.dev".into(), "me@example.org".into()];
        let t = thread(vec![m]);
        let w = WatchList {
            addresses: vec!["<Me@Example.org>".into(), "other@example.org".into()],
            ..WatchList::default()
        };
        assert_eq!(reasons(&w, &t), ["to: <Me@Example.org>"]);
        let none = WatchList {
            addresses: vec!["other@example.org".into()],
            ..WatchList::default()
        };
        assert!(reasons(&none, &t).is_empty());
    }

    const MARC: (&str, &str) = ("Marc Zyngier", "maz@kernel.org");
    const ALICE: (&str, &str) = ("Alice", "alice@example.org");

    #[test]
    fn people_match_by_name_or_address_ignoring_case_and_spaces() {
        let t = thread(vec![
            mail(ALICE, "[PATCH] x", "", &[]),
            mail(MARC, "Re: [PATCH] x", "ok", &[]),
        ]);
        for who in ["Marc Zyngier", "marc  zyngier", "MAZ@kernel.org"] {
            assert_eq!(
                reasons(&watch(&[who], &[], &[]), &t),
                vec![format!("person: {who}")]
            );
        }
        assert!(reasons(&watch(&["Marc"], &[], &[]), &t).is_empty());
    }

    #[test]
    fn paths_match_a_folder_or_a_file_not_a_name_prefix() {
        let t = thread(vec![mail(
            ALICE,
            "[PATCH] x",
            "",
            &[
                "arch/arm64/kvm/vgic/vgic-v3.c",
                "arch/arm64/kvm/vgic-sys-reg-v3.c",
            ],
        )]);
        assert_eq!(
            reasons(&watch(&[], &["arch/arm64/kvm/vgic/"], &[]), &t),
            vec!["path: arch/arm64/kvm/vgic/vgic-v3.c"]
        );
        assert_eq!(
            reasons(&watch(&[], &["arch/arm64/kvm/vgic"], &[]), &t),
            vec!["path: arch/arm64/kvm/vgic/vgic-v3.c"]
        );
        assert_eq!(
            reasons(&watch(&[], &["arch/arm64/kvm/vgic-sys-reg-v3.c"], &[]), &t).len(),
            1
        );
        assert!(reasons(&watch(&[], &["arch/arm64/kvm/vg"], &[]), &t).is_empty());
    }

    #[test]
    fn keywords_match_subjects_and_cover_letters_not_other_bodies() {
        let cover = thread(vec![
            mail(ALICE, "[PATCH 0/2] x", "prepares PKVM", &[]),
            mail(ALICE, "[PATCH 1/2] x", "", &[]),
        ]);
        assert_eq!(
            reasons(&watch(&[], &[], &["pKVM"]), &cover),
            vec!["keyword: pKVM"]
        );
        let reply_only = thread(vec![
            mail(ALICE, "[PATCH] x", "", &[]),
            mail(MARC, "Re: [PATCH] x", "what about pKVM?", &[]),
        ]);
        assert!(reasons(&watch(&[], &[], &["pKVM"]), &reply_only).is_empty());
        let subject = thread(vec![mail(ALICE, "[PATCH] KVM: arm64: pkvm: fix", "", &[])]);
        assert_eq!(reasons(&watch(&[], &[], &["pKVM"]), &subject).len(), 1);
    }

    #[test]
    fn an_empty_watch_list_matches_nothing() {
        let t = thread(vec![mail(MARC, "[PATCH] x", "", &["a.c"])]);
        assert!(matches(&WatchList::default(), std::slice::from_ref(&t)).is_empty());
        let m = matches(&watch(&["Marc Zyngier"], &["a.c"], &[]), &[t]);
        assert_eq!(m[0].why, vec!["person: Marc Zyngier", "path: a.c"]);
    }
}
