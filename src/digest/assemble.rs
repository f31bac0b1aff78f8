//! The digest of a window from what [`gather`](fn@super::gather) read,
//! and from that alone (pure): the threads with their history in order,
//! each thread's people, series and review facts, the totals by kind and
//! the data-quality appendix.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::across::{self, VersionLinks};
use super::gather::{Gathered, in_window_or_seed, sender_of, touched_threads};
use super::quality::{DATE_SKEW_SECS, Quality, QualityItem};
use super::view::{
    Across, B4, BIG_THREAD, Digest, GivenTrailer, KindCount, MessageView, Notice, Person,
    PreviousReply, Review, Series, ThreadRef, ThreadView, Totals, format_from, link,
};
use crate::analysis::people::{self, Identity, Sender};
use crate::analysis::{self, Kind, KindRules, SubjectInfo, TrailerKind};
use crate::clock::iso;
use crate::mail::problem;
use crate::storage::index::Message;
use crate::thread;
use crate::window::Window;

/// How to build a digest.
#[derive(Debug, Clone)]
pub struct Options {
    /// Base of message links; the escaped Message-ID and `/` are appended.
    pub link_base: String,
    pub kinds: KindRules,
    /// Keep each mail's decoded text in the model (for summaries).
    pub keep_bodies: bool,
}

impl Options {
    pub fn for_list(list: &str) -> Options {
        Options {
            link_base: format!("https://lore.kernel.org/{list}/"),
            kinds: KindRules::builtin().clone(),
            keep_bodies: true,
        }
    }
}

/// The digest of `window` from what [`gather`](fn@super::gather) read.
/// Pure: threads (the ones `gather` built, else `universe` threaded here),
/// their history and order, series and review facts, participants, totals and the
/// data-quality appendix.
pub fn assemble(g: Gathered, window: &Window, opts: &Options) -> Digest {
    let Gathered {
        list,
        universe,
        mut bodies,
        originals,
        epochs,
        reused,
        walk_errors,
        versions,
        threads,
        seed,
    } = g;
    let in_window = in_window_or_seed(window, seed.as_ref());
    let threads = threads.unwrap_or_else(|| thread::build(&universe));
    debug_assert_eq!(
        threads.thread_of.len(),
        universe.len(),
        "Gathered.threads must be the threading of Gathered.universe"
    );
    let touched = touched_threads(&universe, &threads, &in_window);
    let shown: Vec<usize> = touched
        .iter()
        .flat_map(|&t| threads.threads[t].members.iter().copied())
        .collect();

    // The people behind the senders: over every mail shown (a name used
    // with an address in one thread names that address in another), and
    // the window's mails alone for the totals, as `stats` counts them.
    let shown_msgs: Vec<&Message> = shown.iter().map(|&i| &universe[i]).collect();
    let shown_senders: Vec<Sender> = shown_msgs
        .iter()
        .map(|m| sender_of(m, &originals))
        .collect();
    let mut identity_of: HashMap<usize, Identity> = shown
        .iter()
        .copied()
        .zip(people::identify(&shown_senders))
        .collect();
    let window_senders: Vec<Sender> = shown_msgs
        .iter()
        .filter(|m| in_window(m))
        .map(|m| sender_of(m, &originals))
        .collect();
    let participants = people::count_people(&window_senders);

    // Version chains over every thread of the universe, as gather linked them.
    let thread_ref = |id: &str| -> Option<ThreadRef> {
        let (info, root) = versions.root(id)?;
        let m = &universe[root];
        Some(ThreadRef {
            id: id.to_string(),
            subject: m.subject.clone(),
            version: info.effective_version(),
            url: link(&opts.link_base, &m.message_id),
            date: iso(m.ds),
        })
    };

    // The review of each shown thread's previous version (before the
    // bodies are taken: a previous version may be shown too).
    let mut previous_review: HashMap<usize, (Vec<PreviousReply>, usize)> = HashMap::new();
    for &t in &touched {
        if let Some(p) = versions.previous_thread(&threads, t) {
            let (listed, more) = across::previous_replies(&universe, &threads.threads[p]);
            let replies = across::previous_review(&universe, &listed, &bodies, &opts.link_base);
            previous_review.insert(t, (replies, more));
        }
    }

    let mut views = Vec::new();
    for &t in &touched {
        let th = &threads.threads[t];
        let root = &universe[th.root];
        let root_subject_info = versions
            .root(&th.id)
            .map(|(info, _)| info.clone())
            .unwrap_or_default();
        let mut msgs = Vec::new();
        for (k, &i) in th.members.iter().enumerate() {
            let m = &universe[i];
            let (body, mut facts, bad, addressed) = bodies.remove(&i).unwrap_or_default();
            let bot = analysis::is_bot(&m.from_name, &m.from_addr, &m.subject, &body);
            if bot.is_some() {
                // A bot gives no review: the tags in its mail are quoted
                // from the patch or suggested.
                facts.trailers.clear();
            }
            let mut problems = problem::names(m.problems);
            if bad {
                problems.push("undecodable-text");
            }
            msgs.push(MessageView {
                message_id: m.message_id.clone(),
                in_window: in_window(m),
                date: iso(m.ds),
                received: iso(m.received),
                from: format_from(&m.from_name, &m.from_addr),
                from_name: m.from_name.clone(),
                from_addr: m.from_addr.clone(),
                subject: m.subject.clone(),
                url: link(&opts.link_base, &m.message_id),
                depth: th.depth[k],
                parent: th.parent[k].map(|p| universe[p].message_id.clone()),
                bot,
                problems,
                ds: m.ds,
                ts: m.received,
                body,
                facts,
                subject_info: analysis::parse_subject(&m.subject),
                sender: identity_of.remove(&i).unwrap_or_default(),
                author: people::normalize(&sender_of(m, &originals)),
                addressed,
                addressed_emails: m.to_cc.clone(),
            });
        }
        // Time order by Date (else received), history first; the patches
        // of a series by number.
        msgs.sort_by(|a, b| {
            (a.in_window, a.ds, a.ts, &a.message_id).cmp(&(b.in_window, b.ds, b.ts, &b.message_id))
        });
        let msgs = order_patches(msgs);
        let root_body = msgs
            .iter()
            .find(|m| m.message_id == root.message_id)
            .map(|m| m.body.as_str());
        let kind = opts
            .kinds
            .classify(&root_subject_info, &root.subject, root_body);
        let mut view = thread_view(
            th,
            root,
            kind,
            msgs,
            &root_subject_info,
            opts,
            &versions,
            &thread_ref,
        );
        if view.series.previous_version.is_some()
            && let Some((replies, more)) = previous_review.remove(&t)
        {
            view.series.across.previous_review = replies;
            view.series.across.previous_review_more = more;
        }
        views.push(view);
    }

    order_views(&mut views);

    let mut totals = totals(&views);
    totals.participants = participants;
    let quality = quality(&views, &reused, &walk_errors);
    Digest {
        list,
        window: window.clone(),
        epochs,
        totals,
        threads: views,
        quality,
    }
}

/// The b4 commands for a thread's series (None without a patch mail).
fn b4_of(msgs: &[MessageView], version: u32) -> Option<B4> {
    let mid = msgs
        .iter()
        .filter(|m| {
            m.subject_info.is_patch_mail()
                && m.subject_info.effective_version() == version
                && !m.message_id.is_empty()
        })
        .min_by_key(|m| patch_number(&m.subject_info))?
        .message_id
        .clone();
    let arg = if !mid.is_empty()
        && mid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/=@+%".contains(c))
    {
        mid.clone()
    } else {
        format!("'{}'", mid.replace('\'', "'\\''"))
    };
    Some(B4 {
        shazam: format!("b4 shazam {arg}"),
        am: format!("b4 am {arg}"),
        message_id: mid,
    })
}

/// Number `N` of a patch mail's `[PATCH N/M]` (0 for the cover letter);
/// unnumbered patches after the numbered ones.
fn patch_number(info: &SubjectInfo) -> u32 {
    info.part.map(|(n, _)| n).unwrap_or(u32::MAX)
}

/// The threads' order: by kind, then by window activity, then latest
/// activity; but the versions of one series that are all on the page
/// (linked as previous/next version, same kind) stay together, newest
/// first, where their busiest version would be.
fn order_views(views: &mut Vec<ThreadView>) {
    use std::cmp::Reverse;
    // Each thread's group: the newest version on the page it leads to.
    let index: HashMap<String, usize> = views
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id.clone(), i))
        .collect();
    let newer = |i: usize| -> Option<usize> {
        let n = views[i].series.superseded_by.as_ref()?;
        let j = *index.get(&n.id)?;
        (views[j].kind == views[i].kind).then_some(j)
    };
    let group: Vec<usize> = (0..views.len())
        .map(|i| {
            let mut g = i;
            let mut steps = 0;
            while let Some(j) = newer(g) {
                g = j;
                steps += 1;
                if steps > views.len() {
                    break;
                }
            }
            g
        })
        .collect();
    // A group ranks as its busiest member; within it, newest version first.
    let mut rank: HashMap<usize, (usize, i64)> = HashMap::new();
    for (i, v) in views.iter().enumerate() {
        let r = rank.entry(group[i]).or_insert((0, i64::MIN));
        *r = (r.0.max(v.window_messages), r.1.max(v.last_ts));
    }
    let keys: Vec<_> = views
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (busiest, latest) = rank[&group[i]];
            (
                (v.kind, Reverse(busiest), Reverse(latest)),
                views[group[i]].id.clone(),
                (Reverse(v.series.facts.version), Reverse(v.window_messages)),
                (Reverse(v.last_ts), v.id.clone()),
            )
        })
        .collect();
    let mut order: Vec<usize> = (0..views.len()).collect();
    order.sort_by(|&i, &j| keys[i].cmp(&keys[j]));
    let mut taken: Vec<Option<ThreadView>> = std::mem::take(views).into_iter().map(Some).collect();
    views.extend(order.into_iter().filter_map(|i| taken[i].take()));
}

/// Put the patch mails of each version of a series in N/M order, cover
/// letter first, as one block where the first of them was; replies keep
/// their time order (so none moves before the patch it answers). History
/// and window mails stay apart.
fn order_patches(msgs: Vec<MessageView>) -> Vec<MessageView> {
    // Slots in time order: one mail, or the block of one version's patches.
    let mut slots: Vec<Vec<usize>> = Vec::with_capacity(msgs.len());
    let mut block_of: HashMap<(bool, u32), usize> = HashMap::new();
    for (i, m) in msgs.iter().enumerate() {
        if !m.subject_info.is_patch_mail() {
            slots.push(vec![i]);
            continue;
        }
        let key = (m.in_window, m.subject_info.effective_version());
        match block_of.get(&key) {
            Some(&s) => slots[s].push(i),
            None => {
                block_of.insert(key, slots.len());
                slots.push(vec![i]);
            }
        }
    }
    // Stable: equal numbers (resends) keep their time order.
    for slot in &mut slots {
        slot.sort_by_key(|&i| patch_number(&msgs[i].subject_info));
    }
    let mut taken: Vec<Option<MessageView>> = msgs.into_iter().map(Some).collect();
    slots
        .into_iter()
        .flatten()
        .filter_map(|i| taken[i].take())
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn thread_view(
    th: &thread::Thread,
    root: &Message,
    kind: Kind,
    msgs: Vec<MessageView>,
    root_info: &SubjectInfo,
    opts: &Options,
    versions: &VersionLinks,
    thread_ref: &dyn Fn(&str) -> Option<ThreadRef>,
) -> ThreadView {
    let window_messages = msgs.iter().filter(|m| m.in_window).count();
    let history_messages = msgs.len() - window_messages;

    // Participants: one per person, first appearance first.
    let mut people: Vec<Person> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for m in &msgs {
        let i = *index.entry(m.sender.key.as_str()).or_insert_with(|| {
            people.push(Person {
                name: m.sender.name.clone(),
                email: m.sender.email.clone(),
                messages: 0,
                history: 0,
                bot: m.bot,
            });
            people.len() - 1
        });
        if m.in_window {
            people[i].messages += 1;
        } else {
            people[i].history += 1;
        }
    }

    // Series facts from the patch mails.
    let series_input: Vec<(SubjectInfo, &str, bool)> = msgs
        .iter()
        .map(|m| {
            (
                m.subject_info.clone(),
                if m.sender.email.is_empty() {
                    m.from_addr.as_str()
                } else {
                    m.sender.email.as_str()
                },
                m.message_id == root.message_id,
            )
        })
        .collect();
    let facts = analysis::series_facts(&series_input);
    let superseded_by = versions.next(&th.id).and_then(thread_ref);
    let previous_version = versions.previous(&th.id).and_then(thread_ref);

    // Review facts: trailers given in replies, notices, NAKs, bots.
    let subject_of: HashMap<&str, &str> = msgs
        .iter()
        .map(|m| (m.message_id.as_str(), m.subject.as_str()))
        .collect();
    let mut review = Review::default();
    let mut seen: HashSet<(TrailerKind, String, String)> = HashSet::new();
    for m in &msgs {
        if let Some(b) = m.bot {
            *review.bots.entry(b.as_str().to_string()).or_default() += 1;
        }
        let is_patch = m.subject_info.is_patch_mail();
        if !is_patch {
            for t in &m.facts.trailers {
                let Some(list) = review.given_mut(t.kind) else {
                    continue;
                };
                let patch = m
                    .parent
                    .as_deref()
                    .and_then(|p| subject_of.get(p).copied())
                    .unwrap_or(root.subject.as_str())
                    .to_string();
                let key = (t.kind, t.email.to_lowercase() + &t.name, patch.clone());
                if !seen.insert(key) {
                    continue;
                }
                list.push(GivenTrailer {
                    kind: t.kind,
                    name: t.name.clone(),
                    email: t.email.clone(),
                    patch,
                    message_id: m.message_id.clone(),
                    in_window: m.in_window,
                    carried: false,
                });
            }
        }
        let notice = |line: String, target: Option<String>| Notice {
            by: m.sender.name.clone(),
            by_email: m.sender.email.clone(),
            line,
            target,
            message_id: m.message_id.clone(),
            date: m.date.clone(),
            in_window: m.in_window,
        };
        if let Some(a) = &m.facts.applied
            && !is_patch
        {
            review
                .applied
                .push(notice(a.line.clone(), a.target.clone()));
        }
        if m.facts.nak && !is_patch {
            let line = m
                .body
                .lines()
                .find(|l| {
                    !l.trim_start().starts_with('>') && l.to_ascii_uppercase().contains("NAK")
                })
                .unwrap_or("NAK")
                .trim()
                .to_string();
            review.naks.push(notice(line, None));
        }
    }

    // Trailers carried in the patches themselves (given to an earlier
    // version), after those given in replies.
    across::add_carried(&msgs, &mut review);

    // Trailers in the order of the patches they were given to (cover
    // letter first); for one patch, in time order.
    for list in [
        &mut review.reviewed_by,
        &mut review.acked_by,
        &mut review.tested_by,
        &mut review.reported_by,
    ] {
        list.sort_by_cached_key(|t| {
            let info = analysis::parse_subject(&t.patch);
            (info.effective_version(), patch_number(&info))
        });
    }

    let first_in_window = msgs
        .iter()
        .filter(|m| m.in_window)
        .map(|m| m.ds)
        .min()
        .unwrap_or(0);
    let last_in_window = msgs
        .iter()
        .filter(|m| m.in_window)
        .map(|m| m.ds)
        .max()
        .unwrap_or(0);
    let first = msgs.iter().map(|m| m.ds).min().unwrap_or(0);
    let last = msgs.iter().map(|m| m.ds).max().unwrap_or(0);
    let last_ts = msgs.iter().map(|m| m.ts).max().unwrap_or(0);
    let mut tags = root_info.tags.clone();
    tags.retain(|t| !t.contains('/'));
    ThreadView {
        id: th.id.clone(),
        subject: root.subject.clone(),
        kind,
        url: link(&opts.link_base, &root.message_id),
        root_missing: th.root_ghost.is_some(),
        window_messages,
        history_messages,
        participants: people,
        first_date: iso(first),
        last_date: iso(last),
        first_in_window: iso(first_in_window),
        last_in_window: iso(last_in_window),
        new_in_window: history_messages == 0,
        series: Series {
            state: None,
            state_since: None,
            applied: None,
            b4: if facts.patch_mails > 0 {
                b4_of(&msgs, facts.version)
            } else {
                None
            },
            facts,
            tags,
            previous_version,
            superseded_by,
            across: Across {
                changelog: across::changelog(&msgs),
                ..Across::default()
            },
        },
        review,
        messages: msgs,
        last_ts,
    }
}

fn totals(views: &[ThreadView]) -> Totals {
    let mut by_kind: BTreeMap<Kind, (usize, usize)> = BTreeMap::new();
    let mut t = Totals::default();
    for v in views {
        t.messages += v.window_messages;
        t.history_messages += v.history_messages;
        t.threads += 1;
        if v.new_in_window {
            t.new_threads += 1;
        }
        if v.window_messages > BIG_THREAD {
            t.big_threads += 1;
        }
        let e = by_kind.entry(v.kind).or_default();
        e.0 += 1;
        e.1 += v.window_messages;
    }
    t.by_kind = by_kind
        .into_iter()
        .map(|(kind, (threads, messages))| KindCount {
            kind,
            threads,
            messages,
        })
        .collect();
    t
}

/// The data-quality appendix: the flagged mails of the window among
/// `views`, the repeated copies of its mails (`reused`: copy, commit
/// of the original) and the commits the walk could not read (`walk_errors`:
/// epoch, commit, error).
fn quality(
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

#[cfg(test)]
mod tests {
    //! `assemble` is pure: these tests give it what `gather` would read
    //! (messages, bodies, quality facts) and check the document.

    use super::*;
    use crate::digest::Body;
    use crate::digest::fixtures::*;

    #[test]
    fn assemble_threads_a_gathering_handed_without_threads() {
        let json = |g: Gathered| {
            serde_json::to_string(&assemble(g, &week(), &Options::for_list("t"))).unwrap()
        };
        let unthreaded = Gathered {
            threads: None,
            ..gathered()
        };
        let d = assemble(unthreaded.clone(), &week(), &Options::for_list("t"));
        assert_eq!(d.totals.threads, 2);
        assert_eq!(json(unthreaded), json(gathered()));
    }

    #[test]
    fn assemble_takes_the_threads_as_gather_handed_them() {
        // Threads in which the answer to the question stands alone: assemble
        // shows them as handed and does not thread the universe again.
        let g = gathered();
        let mut cut = g.universe.clone();
        let answer = cut.iter_mut().find(|m| m.message_id == "q2@x").unwrap();
        answer.in_reply_to.clear();
        answer.references.clear();
        let handed = Gathered {
            threads: Some(thread::build(&cut)),
            ..g
        };
        let d = assemble(handed, &week(), &Options::for_list("t"));
        assert_eq!(d.totals.threads, 3);
        assert!(d.threads.iter().any(|t| t.id == "q2@x"));
    }

    #[test]
    fn assemble_links_versions_as_gather_handed_them() {
        // v1 and its review last month, v2 in the window.
        let universe = vec![
            msg(
                1,
                "v1@x",
                ALICE,
                "[PATCH] KVM: arm64: gadget",
                None,
                MON - 30 * DAY,
            ),
            msg(
                2,
                "r@x",
                BOB,
                "Re: [PATCH] KVM: arm64: gadget",
                Some("v1@x"),
                MON - 29 * DAY,
            ),
            msg(
                3,
                "v2@x",
                ALICE,
                "[PATCH v2] KVM: arm64: gadget",
                None,
                MON + DAY,
            ),
        ];
        let review = "Please rename it.\n\nReviewed-by: Bob Reviewer <bob@example.org>\n";
        let bodies: HashMap<usize, Body> = [
            (1, review.to_string()),
            (2, "diff --git a/x b/x\n".to_string()),
        ]
        .into_iter()
        .map(|(i, t)| {
            let facts = analysis::mail_facts(&t);
            (i, (t, facts, false, Vec::new()))
        })
        .collect();
        let gathered = |versions| Gathered {
            list: "t".into(),
            universe: universe.clone(),
            bodies: bodies.clone(),
            versions,
            ..Gathered::default()
        };
        let v2 = |d: &Digest| {
            let t = d.threads.iter().find(|t| t.id == "v2@x").unwrap();
            (t.series.previous_version.clone(), t.series.across.clone())
        };

        let linked = VersionLinks::of(&universe, &thread::build(&universe));
        let d = assemble(gathered(linked), &week(), &Options::for_list("t"));
        let (previous, across) = v2(&d);
        assert_eq!(previous.map(|p| p.id).as_deref(), Some("v1@x"));
        assert_eq!(across.previous_review.len(), 1);
        assert_eq!(across.previous_review[0].message_id, "r@x");
        assert_eq!(
            across.previous_review[0].trailers,
            [TrailerKind::ReviewedBy]
        );

        // assemble does not link versions again: none handed, none shown.
        let d = assemble(
            gathered(VersionLinks::default()),
            &week(),
            &Options::for_list("t"),
        );
        let (previous, across) = v2(&d);
        assert!(previous.is_none());
        assert!(across.previous_review.is_empty());
    }

    #[test]
    fn history_mails_are_shown_but_only_window_mails_count() {
        let d = digest();
        assert_eq!(d.totals.threads, 2);
        assert_eq!(d.totals.messages, 4);
        assert_eq!(d.totals.history_messages, 3);
        assert_eq!(
            d.totals.new_threads, 1,
            "the question started in the window"
        );
        let series = d.threads.iter().find(|t| t.id == "c@x").unwrap();
        assert_eq!((series.window_messages, series.history_messages), (2, 3));
        assert!(!series.new_in_window);
        assert_eq!(series.messages.len(), 5);
    }

    #[test]
    fn patches_come_in_series_order_and_replies_in_time_order() {
        let d = digest();
        let series = d.threads.iter().find(|t| t.id == "c@x").unwrap();
        let order: Vec<&str> = series
            .messages
            .iter()
            .map(|m| m.message_id.as_str())
            .collect();
        assert_eq!(order, ["c@x", "p1@x", "p2@x", "r1@x", "a@x"]);
    }

    #[test]
    fn review_facts_name_who_gave_what_and_the_applied_notice() {
        let d = digest();
        let series = d.threads.iter().find(|t| t.id == "c@x").unwrap();
        let rb = &series.review.reviewed_by;
        assert_eq!(rb.len(), 1);
        assert_eq!(rb[0].name, "Bob Reviewer");
        assert!(rb[0].in_window);
        assert_eq!(series.review.applied.len(), 1);
        assert_eq!(series.series.facts.total, Some(2));
    }

    #[test]
    fn a_person_with_an_address_for_a_name_is_one_participant() {
        let d = digest();
        // Alice wrote only before the window.
        assert_eq!(
            d.totals.participants, 2,
            "Bob (twice, once by address) and Carol"
        );
        let q = d.threads.iter().find(|t| t.id == "q@x").unwrap();
        assert_eq!(q.participants.len(), 1);
        assert_eq!(q.participants[0].name, "Bob Reviewer");
    }

    #[test]
    fn threads_are_ordered_by_kind_then_activity() {
        let d = digest();
        let kinds: Vec<Kind> = d.threads.iter().map(|t| t.kind).collect();
        let mut sorted = kinds.clone();
        sorted.sort();
        assert_eq!(kinds, sorted);
        assert_eq!(d.threads[0].id, "c@x", "the patch thread comes first");
    }

    #[test]
    fn the_quality_appendix_has_reused_ids_and_unreadable_commits() {
        let d = digest();
        assert_eq!(d.quality.reused_message_id.len(), 1);
        assert_eq!(d.quality.unreadable_commits.len(), 1);
        assert!(d.quality.unreadable_commits[0].detail.contains("abcd"));
    }
}
