//! What a window's digest needs from the archive, and only that: the
//! indexed queries for its threads and the other versions of their series,
//! the blobs of the mails shown (bodies, original senders of list-rewritten
//! mails) and the data-quality facts. The counts of `stats` read their
//! senders and applied notices here too.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use super::across::{self, VersionLinks};
use super::view::Body;
use crate::analysis::people::{self, Sender};
use crate::analysis::{self, MailFacts};
use crate::error::Result;
use crate::storage::archive::Archive;
use crate::storage::index::{Message, ThreadHit, TimeField, subject_key_prefix};
use crate::storage::walk;
use crate::thread;
use crate::window::{RangeOut, Window};

/// A mail's [`Body`] from its raw bytes (the text kept only with `keep`).
fn body_of(raw: &[u8], keep: bool) -> Body {
    let text = analysis::body_text(raw);
    let facts = analysis::mail_facts(&text);
    let bad = text.contains('\u{FFFD}');
    let to = if keep { addressed(raw) } else { Vec::new() };
    (if keep { text } else { String::new() }, facts, bad, to)
}

/// The [`Body`] of a mail that could not be read.
fn unreadable(why: &str) -> Body {
    (
        format!("[unreadable: {why}]"),
        MailFacts::default(),
        true,
        Vec::new(),
    )
}

fn time_of(m: &Message, field: TimeField) -> i64 {
    match field {
        TimeField::Received => m.received,
        TimeField::Date => m.ds,
    }
}

/// Names (else addresses) in the To and Cc headers of a raw mail, for the
/// grounding check of summaries. (The addresses themselves are in the
/// index: [`Message::to_cc`].)
fn addressed(raw: &[u8]) -> Vec<String> {
    let Some(msg) = mail_parser::MessageParser::default().parse_headers(raw) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in [msg.to(), msg.cc()].into_iter().flatten() {
        for p in a.iter().take(200) {
            match (p.name(), p.address()) {
                (Some(n), _) if !n.trim().is_empty() => out.push(n.trim().to_string()),
                (_, Some(e)) => out.push(e.trim().to_string()),
                _ => {}
            }
        }
    }
    out
}

/// Everything [`assemble`](fn@super::assemble) needs, read from the
/// archive by [`gather`].
#[derive(Debug, Clone, Default)]
pub struct Gathered {
    pub list: String,
    /// The mails the archive held at the window end (and within the commit
    /// range) of the threads the window touches and of the other versions
    /// of their series, in (epoch, position) order.
    pub universe: Vec<Message>,
    /// Bodies of the mails shown (the touched threads' members), by index
    /// into `universe`: decoded text (empty unless kept), facts, whether it
    /// had undecodable text, the people it was addressed to.
    pub bodies: HashMap<usize, Body>,
    /// The original sender (name, address) of list-rewritten ("X via List")
    /// mails, by blob id.
    pub originals: HashMap<String, (String, String)>,
    /// The commit range of each epoch the digest was made from.
    pub epochs: Vec<RangeOut>,
    /// Repeated copies of mails of the window: (copy, commit of the original).
    pub reused: Vec<(Message, String)>,
    /// Commits the walk could not read: (epoch, commit, error).
    pub walk_errors: Vec<(u32, String, String)>,
    /// The version chains among the threads of `universe`
    /// ([`VersionLinks::of`]), linked once for the whole run.
    pub versions: VersionLinks,
    /// The threads of `universe` (`thread::build(&universe)`), threaded once
    /// by [`gather`] and used as they are by
    /// [`assemble`](fn@super::assemble). `None` (as
    /// `Gathered::default()` leaves it, for one built by hand) makes
    /// `assemble` thread `universe` itself; `Some` must be the threading of
    /// this very `universe`.
    pub threads: Option<thread::Threads>,
    /// Gathered by thread ids ([`gather_threads`]): the row ids of the
    /// mails that count as the window's (those of the threads asked for).
    pub seed: Option<HashSet<i64>>,
}

/// Is a mail in the window (time and commit range)?
pub(super) fn in_window_of(window: &Window) -> impl Fn(&Message) -> bool + '_ {
    let ranges = window.seq_ranges.as_deref();
    move |m: &Message| {
        let t = time_of(m, window.field);
        t >= window.start
            && t < window.end
            && ranges.is_none_or(|r| {
                r.iter()
                    .any(|r| r.epoch == m.epoch && m.seq > r.after && m.seq <= r.upto)
            })
    }
}

/// Is a mail the window's: in `seed` (message row ids) when gathered by
/// thread ids, else in the window ([`in_window_of`]).
pub(super) fn in_window_or_seed<'a>(
    window: &'a Window,
    seed: Option<&'a HashSet<i64>>,
) -> impl Fn(&Message) -> bool + 'a {
    let in_window = in_window_of(window);
    move |m: &Message| match seed {
        Some(s) => s.contains(&m.id),
        None => in_window(m),
    }
}

/// The threads of `universe` that have a mail in the window, in order.
pub(super) fn touched_threads(
    universe: &[Message],
    threads: &thread::Threads,
    in_window: &impl Fn(&Message) -> bool,
) -> Vec<usize> {
    universe
        .iter()
        .enumerate()
        .filter(|(_, m)| in_window(m))
        .map(|(i, _)| threads.thread_of[i])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Read what a window's digest needs, and only that, through indexed
/// queries: the thread ids (`tid`) of the window's mails, every mail of
/// those thread ids up to the window end, the threads that carry other
/// versions of the window's patch series, the bodies of the mails shown and
/// the data-quality facts. A thread id is a union of whole threads (see
/// [`crate::storage::tid`]), so threading what was read gives the very threads that
/// threading the whole archive as it stood at the window end gives.
pub fn gather(archive: &Archive, window: &Window, keep_bodies: bool) -> Result<Gathered> {
    gather_seeded(archive, window, None, keep_bodies)
}

/// What [`gather`] reads for the threads `tids` (index thread ids) instead
/// of a window's: all their mails count as the window's (see
/// [`Gathered::seed`]), and the other versions of their series are read as
/// for a window. `window` should span the whole archive: the mails held are
/// those before its end.
pub fn gather_threads(
    archive: &Archive,
    window: &Window,
    tids: &[i64],
    keep_bodies: bool,
) -> Result<Gathered> {
    gather_seeded(archive, window, Some(tids), keep_bodies)
}

fn gather_seeded(
    archive: &Archive,
    window: &Window,
    seed: Option<&[i64]>,
    keep_bodies: bool,
) -> Result<Gathered> {
    let field = window.field;
    let ranges = window.seq_ranges.as_deref();
    // What the archive held at the end of the window (and of the commit
    // range): later mail must not change a past digest.
    let held = |m: &Message| {
        time_of(m, field) < window.end
            && ranges.is_none_or(|r| r.iter().any(|r| r.epoch == m.epoch && m.seq <= r.upto))
    };
    let window_tids = match seed {
        Some(t) => t.iter().copied().collect(),
        None => archive.thread_ids_in_window(field, window.start, window.end, ranges)?,
    };
    let tids: Vec<i64> = window_tids.iter().copied().collect();
    let mut universe: Vec<Message> = archive
        .messages_of_threads(&tids)?
        .into_iter()
        .filter(|m| held(m))
        .collect();
    let seed: Option<HashSet<i64>> = seed.map(|_| universe.iter().map(|m| m.id).collect());
    let in_window = in_window_or_seed(window, seed.as_ref());

    // Other versions of the window's series: threads whose root has the
    // same title and author (see `analysis::link_versions`), found through
    // the subject key of the index.
    let threads = thread::build(&universe);
    let mut prefixes = BTreeSet::new();
    // The window's series roots: universe index and version.
    let mut series_roots: Vec<(usize, u32)> = Vec::new();
    for t in &threads.threads {
        if !t.members.iter().any(|&i| in_window(&universe[i])) {
            continue;
        }
        let root = &universe[t.root];
        let info = analysis::parse_subject(&root.subject);
        if !(info.is_patch_mail() || info.patch) {
            continue;
        }
        series_roots.push((t.root, info.effective_version()));
        if !info.series_key.trim().is_empty() {
            prefixes.insert(subject_key_prefix(&root.from_addr, &info.series_key));
        }
    }
    let held_hit = |h: &ThreadHit| {
        let t = match field {
            TimeField::Received => h.received,
            TimeField::Date => h.ds,
        };
        t < window.end
            && ranges.is_none_or(|r| r.iter().any(|r| r.epoch == h.epoch && h.seq <= r.upto))
    };
    let mut more = BTreeSet::new();
    for p in &prefixes {
        for h in archive.thread_ids_by_subject_key(p)? {
            if held_hit(&h) && !window_tids.contains(&h.tid) {
                more.insert(h.tid);
            }
        }
    }
    // And the earlier versions their cover letters link by Message-ID
    // (found whatever their title became).
    let epochs = epoch_paths(archive)?;
    let linked = across::linked_earlier_versions(&universe, &series_roots, &epochs);
    for r in linked.refs.values().flatten() {
        for h in archive.thread_ids_by_message_id(&r.message_id)? {
            if held_hit(&h) && !window_tids.contains(&h.tid) {
                more.insert(h.tid);
            }
        }
    }
    let threads = if more.is_empty() {
        threads
    } else {
        let more: Vec<i64> = more.into_iter().collect();
        universe.extend(
            archive
                .messages_of_threads(&more)?
                .into_iter()
                .filter(|m| held(m)),
        );
        universe.sort_by_key(|m| (m.epoch, m.seq));
        thread::build(&universe)
    };

    // Bodies of every mail shown, and of the listed replies to the
    // previous versions of the shown series, read in parallel.
    let touched = touched_threads(&universe, &threads, &in_window);
    let mut shown: Vec<usize> = touched
        .iter()
        .flat_map(|&t| threads.threads[t].members.iter().copied())
        .collect();
    let versions =
        VersionLinks::of(&universe, &threads).with_references(&universe, &threads, &linked.refs);
    if keep_bodies {
        let listed: BTreeSet<usize> = touched
            .iter()
            .filter_map(|&t| versions.previous_thread(&threads, t))
            .flat_map(|p| across::previous_replies(&universe, &threads.threads[p]).0)
            .collect();
        let have: HashSet<usize> = shown.iter().copied().collect();
        shown.extend(listed.into_iter().filter(|i| !have.contains(i)));
    }
    // (The series roots were read already, for their links.)
    let items: Vec<(u32, &str)> = shown
        .iter()
        .filter(|&&i| !linked.raw.contains_key(&universe[i].blob))
        .map(|&i| (universe[i].epoch, universe[i].blob.as_str()))
        .collect();
    let keep = keep_bodies;
    let mut read = walk::map_blobs(&epochs, &items, |b| match b {
        Ok(raw) => body_of(&raw, keep),
        Err(e) => unreadable(&e.to_string()),
    })
    .into_iter();
    let bodies: Vec<Body> = shown
        .iter()
        .map(|&i| match linked.raw.get(&universe[i].blob) {
            Some(raw) => body_of(raw, keep),
            None => read.next().unwrap_or_else(|| unreadable("not read")),
        })
        .collect();
    let shown_msgs: Vec<&Message> = shown.iter().map(|&i| &universe[i]).collect();
    let originals = rewritten_senders(&epochs, &shown_msgs);
    let bodies: HashMap<usize, Body> = shown.iter().copied().zip(bodies).collect();
    drop(in_window);
    Ok(Gathered {
        list: archive.list().to_string(),
        epochs: match &window.ranges {
            Some(r) => r.clone(),
            None => archive.current_ranges()?,
        },
        reused: if seed.is_some() {
            Vec::new()
        } else {
            archive.duplicates_in_window(field, window.start, window.end)?
        },
        walk_errors: archive.walk_errors()?,
        seed,
        universe,
        bodies,
        originals,
        versions,
        threads: Some(threads),
    })
}

fn epoch_paths(archive: &Archive) -> Result<Vec<(u32, PathBuf)>> {
    Ok(archive.epoch_paths()?)
}

/// The original senders (`X-Original-From`, else `Reply-To`) of the mails
/// whose From a list rewrote ("Name via List"), by blob id. Only those
/// blobs are read; an unreadable one just gives no original sender.
fn rewritten_senders(
    epochs: &[(u32, PathBuf)],
    msgs: &[&Message],
) -> HashMap<String, (String, String)> {
    let via: Vec<&Message> = msgs
        .iter()
        .copied()
        .filter(|m| people::via_list(&m.from_name).is_some())
        .collect();
    if via.is_empty() {
        return HashMap::new();
    }
    let items: Vec<(u32, &str)> = via.iter().map(|m| (m.epoch, m.blob.as_str())).collect();
    let found = walk::map_blobs(epochs, &items, |b| {
        b.ok().and_then(|raw| people::original_sender(&raw))
    });
    via.iter()
        .zip(found)
        .filter_map(|(m, o)| Some((m.blob.clone(), o?)))
        .collect()
}

/// The sender of `m`, with the original sender of a list-rewritten From.
pub(super) fn sender_of(m: &Message, originals: &HashMap<String, (String, String)>) -> Sender {
    Sender {
        name: m.from_name.clone(),
        addr: m.from_addr.clone(),
        original: originals.get(&m.blob).cloned(),
    }
}

/// Number of different people who sent `msgs` (see [`analysis::people`]):
/// `stats` senders, and the same count as a digest's participants.
pub fn count_senders(archive: &Archive, msgs: &[Message]) -> Result<usize> {
    let epochs = epoch_paths(archive)?;
    let refs: Vec<&Message> = msgs.iter().collect();
    let originals = rewritten_senders(&epochs, &refs);
    let senders: Vec<Sender> = msgs.iter().map(|m| sender_of(m, &originals)).collect();
    Ok(people::count_people(&senders))
}

/// The sender of each of `msgs` (list-rewritten From undone), for counting
/// people of parts of a window with [`people::count_people`].
pub fn senders_of(archive: &Archive, msgs: &[Message]) -> Result<Vec<Sender>> {
    let epochs = epoch_paths(archive)?;
    let refs: Vec<&Message> = msgs.iter().collect();
    let originals = rewritten_senders(&epochs, &refs);
    Ok(msgs.iter().map(|m| sender_of(m, &originals)).collect())
}

/// Whether each of `msgs` is an applied/queued/merged notice, as a
/// digest's reviews count them (a reply, not a patch, whose own lines say
/// so). Only replies' bodies are read.
pub fn applied_notices(archive: &Archive, msgs: &[Message]) -> Result<Vec<bool>> {
    let epochs = epoch_paths(archive)?;
    let replies: Vec<usize> = (0..msgs.len())
        .filter(|&i| !analysis::parse_subject(&msgs[i].subject).is_patch_mail())
        .collect();
    let items: Vec<(u32, &str)> = replies
        .iter()
        .map(|&i| (msgs[i].epoch, msgs[i].blob.as_str()))
        .collect();
    let found = walk::map_blobs(&epochs, &items, |b| {
        b.ok().is_some_and(|raw| {
            analysis::mail_facts(&analysis::body_text(&raw))
                .applied
                .is_some()
        })
    });
    let mut out = vec![false; msgs.len()];
    for (i, a) in replies.into_iter().zip(found) {
        out[i] = a;
    }
    Ok(out)
}
