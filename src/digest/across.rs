//! Review followed across the versions of a series: trailers carried in
//! the posted patches (a v3 patch that already says "Acked-by: X" from the
//! v2 review), the changelog of the cover letter and of the patches' notes
//! ([`analysis::changelog`]), and the review replies to the previous
//! version (read through the previous version's thread only).

use std::collections::{HashMap, HashSet};

use super::view::{
    Body, Changelog, GivenTrailer, MAX_PREVIOUS_REVIEW, MessageView, PreviousReply, Review, link,
};
use crate::analysis::version_refs::{self, VersionRef};
use crate::analysis::{self, SubjectInfo, TrailerKind};
use crate::storage::index::Message;
use crate::thread;

/// The version chains of the series among the threads of a universe: each
/// thread root's subject parsed once and one [`analysis::link_versions`]
/// over the roots that are patch mails (same root title and author).
/// [`gather`](super::gather) computes it and hands it to
/// [`assemble`](super::assemble) in [`Gathered`](super::Gathered), so a
/// report links versions once.
///
/// Keyed by thread id ([`thread::Thread::id`], unique among the threads),
/// not by position in a [`thread::Threads`]: threading the same universe
/// again gives the same ids, so the links hold for any threading of it
/// (`gather` hands its threads on too, but a `Gathered` built without them
/// is threaded again by `assemble`).
#[derive(Debug, Clone, Default)]
pub struct VersionLinks {
    /// Each thread's root: its parsed subject and its index in the universe.
    roots: HashMap<String, (SubjectInfo, usize)>,
    /// The previous version of each thread that has one.
    prev_of: HashMap<String, String>,
    /// The next version of each thread that has one (the earliest, should
    /// two newer threads name the same previous version).
    next_of: HashMap<String, String>,
}

impl VersionLinks {
    /// The links of `threads`, the threading of `universe`.
    pub fn of(universe: &[Message], threads: &thread::Threads) -> VersionLinks {
        let mut versioned = Vec::new();
        let mut roots = HashMap::new();
        for t in &threads.threads {
            let root = &universe[t.root];
            let info = analysis::parse_subject(&root.subject);
            if info.is_patch_mail() || info.patch {
                versioned.push((
                    t.id.clone(),
                    info.series_key.clone(),
                    root.from_addr.to_lowercase(),
                    info.effective_version(),
                    root.ds,
                ));
            }
            roots.insert(t.id.clone(), (info, t.root));
        }
        let mut prev_of = HashMap::new();
        let mut next_of = HashMap::new();
        for (older, newer) in analysis::link_versions(&versioned) {
            next_of.entry(older.clone()).or_insert(newer.clone());
            prev_of.insert(newer, older);
        }
        VersionLinks {
            roots,
            prev_of,
            next_of,
        }
    }

    /// These links, with the earlier versions that cover letters link by
    /// Message-ID (`refs`: by the root's Message-ID, highest version first;
    /// see [`linked_earlier_versions`]): a thread whose root links an
    /// earlier thread of the universe gets it as its previous version,
    /// unless the title-based one is that version or a later one. So a
    /// series whose title changed is still followed.
    pub fn with_references(
        mut self,
        universe: &[Message],
        threads: &thread::Threads,
        refs: &HashMap<String, Vec<VersionRef>>,
    ) -> VersionLinks {
        if refs.is_empty() {
            return self;
        }
        let mut thread_of_mid: HashMap<&str, &str> = HashMap::new();
        for t in &threads.threads {
            for &i in &t.members {
                thread_of_mid.insert(universe[i].message_id.as_str(), t.id.as_str());
            }
        }
        for t in &threads.threads {
            let root = &universe[t.root];
            let Some(list) = refs.get(&root.message_id) else {
                continue;
            };
            let titled = self
                .prev_of
                .get(&t.id)
                .and_then(|p| self.roots.get(p))
                .map(|(info, _)| info.effective_version());
            for r in list {
                if titled.is_some_and(|v| v >= r.version) {
                    break;
                }
                let Some(&u) = thread_of_mid.get(r.message_id.as_str()) else {
                    continue;
                };
                let earlier = self
                    .roots
                    .get(u)
                    .is_some_and(|(_, i)| universe[*i].ds <= root.ds);
                if u == t.id || !earlier {
                    continue;
                }
                self.prev_of.insert(t.id.clone(), u.to_string());
                self.next_of
                    .entry(u.to_string())
                    .or_insert_with(|| t.id.clone());
                break;
            }
        }
        self
    }

    /// The id of the thread of the previous version of thread `id`.
    pub fn previous(&self, id: &str) -> Option<&str> {
        self.prev_of.get(id).map(String::as_str)
    }

    /// The id of the thread of the next version of thread `id`.
    pub fn next(&self, id: &str) -> Option<&str> {
        self.next_of.get(id).map(String::as_str)
    }

    /// Thread `id`'s root: its parsed subject and its index in the universe.
    pub fn root(&self, id: &str) -> Option<(&SubjectInfo, usize)> {
        self.roots.get(id).map(|(info, root)| (info, *root))
    }

    /// The previous version's thread of thread `t`, both as indices into
    /// `threads` (a threading of the universe the links were made from).
    pub(super) fn previous_thread(&self, threads: &thread::Threads, t: usize) -> Option<usize> {
        let (_, root) = self.root(self.previous(&threads.threads[t].id)?)?;
        threads.thread_of.get(root).copied()
    }
}

/// What the cover letters of the window's series say of their earlier
/// versions, and the raw mails read to learn it.
#[derive(Debug, Default)]
pub(super) struct LinkedVersions {
    /// The earlier versions each root links by Message-ID, by the root's
    /// Message-ID, highest version first.
    pub refs: HashMap<String, Vec<VersionRef>>,
    /// The roots read, by blob: the bodies pass takes them from here
    /// instead of reading them again.
    pub raw: HashMap<String, Vec<u8>>,
}

/// The earlier versions that `roots` (the window's series roots: index in
/// the universe and version) of version 2 or more link by Message-ID; the
/// roots are read from `epochs` (a few blobs: one per series).
pub(super) fn linked_earlier_versions(
    universe: &[Message],
    roots: &[(usize, u32)],
    epochs: &[(u32, std::path::PathBuf)],
) -> LinkedVersions {
    let roots: Vec<(usize, u32)> = roots.iter().copied().filter(|&(_, v)| v >= 2).collect();
    let items: Vec<(u32, &str)> = roots
        .iter()
        .map(|&(i, _)| (universe[i].epoch, universe[i].blob.as_str()))
        .collect();
    let read = crate::storage::walk::map_blobs(epochs, &items, |b| b.ok());
    let mut out = LinkedVersions::default();
    for (&(i, v), raw) in roots.iter().zip(read) {
        let Some(raw) = raw else {
            continue;
        };
        let r = version_refs::earlier_versions(&analysis::body_text(&raw), v);
        if !r.is_empty() {
            out.refs.insert(universe[i].message_id.clone(), r);
        }
        out.raw.insert(universe[i].blob.clone(), raw);
    }
    out
}

/// The replies to a previous version's thread by people other than its
/// author (not patch mails, not bots by name or subject): at most
/// [`MAX_PREVIOUS_REVIEW`], each person's first reply before anyone's
/// second, in time order; and how many more there are.
pub(super) fn previous_replies(universe: &[Message], th: &thread::Thread) -> (Vec<usize>, usize) {
    let root = &universe[th.root];
    let author_addr = root.from_addr.trim().to_lowercase();
    let author_name = root.from_name.trim().to_lowercase();
    let mut replies: Vec<usize> = th
        .members
        .iter()
        .copied()
        .filter(|&i| {
            let m = &universe[i];
            let addr = m.from_addr.trim().to_lowercase();
            let name = m.from_name.trim().to_lowercase();
            i != th.root
                && !analysis::parse_subject(&m.subject).is_patch_mail()
                && (addr.is_empty() || addr != author_addr)
                && (name.is_empty() || name != author_name)
                && analysis::is_bot(&m.from_name, &m.from_addr, &m.subject, "").is_none()
        })
        .collect();
    let time = |i: usize| (universe[i].ds, universe[i].epoch, universe[i].seq);
    replies.sort_by_key(|&i| time(i));
    // Rank: the how-many-th reply of its sender.
    let mut count: HashMap<String, usize> = HashMap::new();
    let mut ranked: Vec<(usize, usize)> = replies
        .iter()
        .map(|&i| {
            let who = universe[i].from_addr.trim().to_lowercase();
            let n = count.entry(who).or_default();
            *n += 1;
            (*n, i)
        })
        .collect();
    ranked.sort_by_key(|&(n, i)| (n, time(i)));
    let more = ranked.len().saturating_sub(MAX_PREVIOUS_REVIEW);
    let mut listed: Vec<usize> = ranked
        .into_iter()
        .take(MAX_PREVIOUS_REVIEW)
        .map(|(_, i)| i)
        .collect();
    listed.sort_by_key(|&i| time(i));
    (listed, more)
}

/// The listed replies to the previous version, from the mails and the
/// bodies read (by index into `universe`).
pub(super) fn previous_review(
    universe: &[Message],
    replies: &[usize],
    bodies: &HashMap<usize, Body>,
    link_base: &str,
) -> Vec<PreviousReply> {
    replies
        .iter()
        .map(|&i| {
            let m = &universe[i];
            let (body, facts) = bodies
                .get(&i)
                .map(|b| (b.0.clone(), b.1.clone()))
                .unwrap_or_default();
            let mut trailers: Vec<TrailerKind> = facts
                .trailers
                .iter()
                .map(|t| t.kind)
                .filter(|k| is_review_kind(*k))
                .collect();
            trailers.dedup();
            PreviousReply {
                from: if m.from_name.trim().is_empty() {
                    m.from_addr.clone()
                } else {
                    m.from_name.clone()
                },
                email: m.from_addr.clone(),
                subject: m.subject.clone(),
                message_id: m.message_id.clone(),
                url: link(link_base, &m.message_id),
                date: crate::clock::iso(m.ds),
                lines: Vec::new(),
                trailers,
                body,
                facts,
            }
        })
        .collect()
}

fn is_review_kind(k: TrailerKind) -> bool {
    matches!(
        k,
        TrailerKind::ReviewedBy
            | TrailerKind::AckedBy
            | TrailerKind::TestedBy
            | TrailerKind::ReportedBy
    )
}

/// Who a trailer names, for telling people apart: the address, else the
/// name, lower-cased.
fn person_key(name: &str, email: &str) -> String {
    if email.trim().is_empty() {
        name.trim().to_lowercase()
    } else {
        email.trim().to_lowercase()
    }
}

/// Add to `review` the trailers carried in the thread's own patch mails
/// and cover letter (Reviewed-by, Acked-by, Tested-by, Reported-by naming
/// someone other than the mail's sender), marked `carried`. A person's
/// trailer of one kind for one patch counts once: one given in a reply
/// wins.
pub(super) fn add_carried(msgs: &[MessageView], review: &mut Review) {
    let mut seen: HashSet<(TrailerKind, String, String)> = HashSet::new();
    for list in [
        &review.reviewed_by,
        &review.acked_by,
        &review.tested_by,
        &review.reported_by,
    ] {
        for t in list {
            seen.insert((t.kind, person_key(&t.name, &t.email), t.patch.clone()));
        }
    }
    for m in msgs {
        if !m.subject_info.is_patch_mail() || m.bot.is_some() {
            continue;
        }
        let own_addrs = [
            m.from_addr.trim().to_lowercase(),
            m.sender.email.trim().to_lowercase(),
        ];
        let own_names = [
            m.from_name.trim().to_lowercase(),
            m.sender.name.trim().to_lowercase(),
        ];
        for t in &m.facts.trailers {
            let Some(list) = review.given_mut(t.kind) else {
                continue;
            };
            let email = t.email.trim().to_lowercase();
            let name = t.name.trim().to_lowercase();
            if (!email.is_empty() && own_addrs.contains(&email))
                || (!name.is_empty() && own_names.contains(&name))
            {
                continue;
            }
            let key = (t.kind, person_key(&t.name, &t.email), m.subject.clone());
            if !seen.insert(key) {
                continue;
            }
            list.push(GivenTrailer {
                kind: t.kind,
                name: t.name.clone(),
                email: t.email.clone(),
                patch: m.subject.clone(),
                message_id: m.message_id.clone(),
                in_window: m.in_window,
                carried: true,
            });
        }
    }
}

/// The changelog of a thread: of each patch mail, the versions its text
/// describes; newest version first, and for one version the cover letter
/// first, then the patches in order (as `msgs` has them). The same list
/// from several patches is kept once.
pub(super) fn changelog(msgs: &[MessageView]) -> Vec<Changelog> {
    let mut out: Vec<Changelog> = Vec::new();
    let mut patches: Vec<&MessageView> = msgs
        .iter()
        .filter(|m| m.subject_info.is_patch_mail() && m.bot.is_none() && !m.body.is_empty())
        .collect();
    // Cover letters first (stable: patches keep their order).
    patches.sort_by_key(|m| !is_cover(m));
    for m in patches {
        let cover = is_cover(m);
        let version = m.subject_info.effective_version();
        for v in analysis::changelog::extract(&m.body, cover, version) {
            if out
                .iter()
                .any(|c| c.version == v.version && c.items == v.items)
            {
                continue;
            }
            out.push(Changelog {
                version: v.version,
                items: v.items,
                message_id: m.message_id.clone(),
                url: m.url.clone(),
                cover_letter: cover,
                part: match m.subject_info.part {
                    Some((n, t)) if n > 0 => Some(format!("{n}/{t}")),
                    _ => None,
                },
            });
        }
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.version));
    out
}

/// A cover letter: `[PATCH 0/N]`.
fn is_cover(m: &MessageView) -> bool {
    matches!(m.subject_info.part, Some((0, _)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: u64, mid: &str, from: &str, subject: &str, parent: Option<&str>) -> Message {
        let name = from.split('@').next().unwrap();
        let t = 1_646_611_200 + seq as i64 * 60;
        super::super::fixtures::msg(seq, mid, (name, from), subject, parent, t)
    }

    /// v1, v2 and v3 of Alice's series (v2 with a reply), Bob's v2 of the
    /// same title, and a question.
    fn versions_universe() -> Vec<Message> {
        vec![
            msg(0, "a1@x", "alice@x", "[PATCH 0/2] widget", None),
            msg(1, "b2@x", "bob@x", "[PATCH v2] widget", None),
            msg(2, "a2@x", "Alice@X", "[PATCH v2 0/2] widget", None),
            msg(
                3,
                "r@x",
                "carol@x",
                "Re: [PATCH v2 0/2] widget",
                Some("a2@x"),
            ),
            msg(4, "q@x", "dave@x", "widget question", None),
            msg(5, "a3@x", "alice@x", "[PATCH v3 0/2] widget", None),
        ]
    }

    #[test]
    fn version_links_chain_a_series_by_root_title_and_author() {
        let u = versions_universe();
        let v = VersionLinks::of(&u, &thread::build(&u));
        assert_eq!(v.previous("a2@x"), Some("a1@x"));
        assert_eq!(v.previous("a3@x"), Some("a2@x"));
        assert_eq!(v.next("a1@x"), Some("a2@x"));
        assert_eq!(v.next("a2@x"), Some("a3@x"));
        assert_eq!(v.previous("a1@x"), None);
        assert_eq!(v.next("a3@x"), None);
        assert_eq!(v.previous("b2@x"), None, "another author's series");
        assert_eq!(v.next("q@x"), None);
        let (info, root) = v.root("a2@x").unwrap();
        assert_eq!((info.effective_version(), root), (2, 2));
        assert!(v.root("q@x").is_some(), "every thread's root, patch or not");
        assert!(v.root("r@x").is_none(), "a reply is no thread's root");
    }

    #[test]
    fn the_previous_thread_is_found_in_any_threading_of_the_same_universe() {
        let u = versions_universe();
        let threads = thread::build(&u);
        let v = VersionLinks::of(&u, &threads);
        let index =
            |ts: &thread::Threads, id: &str| ts.threads.iter().position(|t| t.id == id).unwrap();
        assert_eq!(
            v.previous_thread(&threads, index(&threads, "a3@x")),
            Some(index(&threads, "a2@x"))
        );
        // The same threads in reverse order: the links are by id.
        let n = threads.threads.len();
        let reversed = thread::Threads {
            threads: threads.threads.iter().rev().cloned().collect(),
            thread_of: threads.thread_of.iter().map(|&k| n - 1 - k).collect(),
        };
        for (newer, older) in [("a3@x", "a2@x"), ("a2@x", "a1@x")] {
            assert_eq!(
                v.previous_thread(&reversed, index(&reversed, newer)),
                Some(index(&reversed, older)),
                "{newer}"
            );
        }
        assert_eq!(v.previous_thread(&reversed, index(&reversed, "a1@x")), None);
    }

    #[test]
    fn previous_review_lists_each_reviewer_before_anyones_second_reply() {
        let mut u = vec![msg(0, "c@x", "alice@x", "[PATCH v2 0/3] widget", None)];
        // Bob answers eleven times first, then Carol once; Alice (the
        // author) answers too, and her patches are not replies.
        for k in 1..=11 {
            u.push(msg(
                k,
                &format!("b{k}@x"),
                "bob@x",
                "Re: [PATCH v2 0/3] widget",
                Some("c@x"),
            ));
        }
        u.push(msg(
            12,
            "a@x",
            "alice@x",
            "Re: [PATCH v2 0/3] widget",
            Some("b1@x"),
        ));
        u.push(msg(
            13,
            "p1@x",
            "alice@x",
            "[PATCH v2 1/3] widget",
            Some("c@x"),
        ));
        u.push(msg(
            14,
            "carol@x",
            "carol@x",
            "Re: [PATCH v2 1/3] widget",
            Some("p1@x"),
        ));
        let threads = thread::build(&u);
        assert_eq!(threads.threads.len(), 1);
        let (listed, more) = previous_replies(&u, &threads.threads[0]);
        let mids: Vec<&str> = listed.iter().map(|&i| u[i].message_id.as_str()).collect();
        assert_eq!(listed.len(), MAX_PREVIOUS_REVIEW);
        assert_eq!(more, 2, "12 replies by others, 10 listed");
        assert!(mids.contains(&"carol@x"), "{mids:?}");
        assert!(
            !mids.contains(&"a@x") && !mids.contains(&"p1@x"),
            "{mids:?}"
        );
        assert_eq!(mids[0], "b1@x", "time order");
        assert_eq!(*mids.last().unwrap(), "carol@x", "time order");
    }
}
