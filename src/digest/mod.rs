//! The document model of a window: its threads with their history, series
//! and review facts, totals by kind and a data-quality appendix. `threads
//! --json` prints it; the reports render it (Markdown, HTML and JSON from
//! the one model, so they always agree).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::clock::iso;

use crate::analysis::people::{self, Identity, Sender};
use crate::analysis::{
    self, BotKind, Kind, KindRules, MailFacts, SeriesFacts, SubjectInfo, TrailerKind,
};
use crate::error::Result;
use crate::mail::problem;
use crate::storage::archive::Archive;
use crate::storage::index::{Message, TimeField};
use crate::thread;
use crate::window::{RangeOut, Window};

mod across;
pub use across::{Across, Changelog, MAX_PREVIOUS_REVIEW, PreviousReply, VersionLinks};

/// Threads with more window mails than this are "big".
pub const BIG_THREAD: usize = 20;
/// A Date header further than this from the received time is reported.
pub const DATE_SKEW_SECS: i64 = 2 * 86400;

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
    /// [`analysis::people`]: one person per address, list-rewritten From
    /// undone).
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
/// addresses their From headers used (see [`analysis::people`]).
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
    /// People the mail was addressed to (To and Cc headers): names, else
    /// addresses. For the grounding check of summaries (not serialized).
    #[serde(skip)]
    pub addressed: Vec<String>,
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

/// Escape a Message-ID for a URL path as public-inbox does.
pub fn mid_escape(mid: &str) -> String {
    let mut out = String::with_capacity(mid.len());
    for b in mid.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn link(base: &str, mid: &str) -> String {
    format!("{}{}/", base, mid_escape(mid))
}

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

/// A mail's decoded text, facts, undecodable flag and To/Cc people.
pub type Body = (String, MailFacts, bool, Vec<String>);

/// Names (else addresses) in the To and Cc headers of a raw mail.
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

/// Build the digest of `window`: [`gather`] what the archive holds for it,
/// then [`assemble`] the document from that alone.
pub fn build(archive: &Archive, window: &Window, opts: &Options) -> Result<Digest> {
    let g = gather(archive, window, opts.keep_bodies)?;
    Ok(assemble(g, window, opts))
}

/// Everything [`assemble`] needs, read from the archive by [`gather`].
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
    /// by [`gather`] and used as they are by [`assemble`]. `None` (as
    /// `Gathered::default()` leaves it, for one built by hand) makes
    /// `assemble` thread `universe` itself; `Some` must be the threading of
    /// this very `universe`.
    pub threads: Option<thread::Threads>,
}

/// Is a mail in the window (time and commit range)?
fn in_window_of(window: &Window) -> impl Fn(&Message) -> bool + '_ {
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

/// The threads of `universe` that have a mail in the window, in order.
fn touched_threads(
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
    let field = window.field;
    let ranges = window.seq_ranges.as_deref();
    // What the archive held at the end of the window (and of the commit
    // range): later mail must not change a past digest.
    let held = |m: &Message| {
        time_of(m, field) < window.end
            && ranges.is_none_or(|r| r.iter().any(|r| r.epoch == m.epoch && m.seq <= r.upto))
    };
    let in_window = in_window_of(window);
    let window_tids = archive.thread_ids_in_window(field, window.start, window.end, ranges)?;
    let tids: Vec<i64> = window_tids.iter().copied().collect();
    let mut universe: Vec<Message> = archive
        .messages_of_threads(&tids)?
        .into_iter()
        .filter(|m| held(m))
        .collect();

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
            prefixes.insert(crate::storage::index::subject_key_prefix(
                &root.from_addr,
                &info.series_key,
            ));
        }
    }
    let held_hit = |h: &crate::storage::index::ThreadHit| {
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
    let mut read = crate::storage::walk::map_blobs(&epochs, &items, |b| match b {
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
    Ok(Gathered {
        list: archive.list().to_string(),
        epochs: match &window.ranges {
            Some(r) => r.clone(),
            None => archive.current_ranges()?,
        },
        reused: archive.duplicates_in_window(field, window.start, window.end)?,
        walk_errors: archive.walk_errors()?,
        universe,
        bodies,
        originals,
        versions,
        threads: Some(threads),
    })
}

/// The digest of `window` from what [`gather`] read. Pure: threads (the
/// ones `gather` built, else `universe` threaded here), their history and
/// order, series and review facts, participants, totals and the
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
    } = g;
    let in_window = in_window_of(window);
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
            let (body, facts, bad, addressed) = bodies.remove(&i).unwrap_or_default();
            let bot = analysis::is_bot(&m.from_name, &m.from_addr, &m.subject, &body);
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
                addressed,
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

fn epoch_paths(archive: &Archive) -> Result<Vec<(u32, std::path::PathBuf)>> {
    Ok(archive.epoch_paths()?)
}

/// The original senders (`X-Original-From`, else `Reply-To`) of the mails
/// whose From a list rewrote ("Name via List"), by blob id. Only those
/// blobs are read; an unreadable one just gives no original sender.
fn rewritten_senders(
    epochs: &[(u32, std::path::PathBuf)],
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
    let found = crate::storage::walk::map_blobs(epochs, &items, |b| {
        b.ok().and_then(|raw| people::original_sender(&raw))
    });
    via.iter()
        .zip(found)
        .filter_map(|(m, o)| Some((m.blob.clone(), o?)))
        .collect()
}

fn sender_of(m: &Message, originals: &HashMap<String, (String, String)>) -> Sender {
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
    let found = crate::storage::walk::map_blobs(&epochs, &items, |b| {
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

pub fn format_from(name: &str, addr: &str) -> String {
    match (name.is_empty(), addr.is_empty()) {
        (false, false) => format!("{name} <{addr}>"),
        (true, false) => addr.to_string(),
        _ => name.to_string(),
    }
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
    use crate::window::{WindowSpec, resolve};

    const MON: i64 = 1_646_611_200; // 2022-03-07 00:00 UTC, Monday of 2022-W10
    const DAY: i64 = 86_400;

    fn week() -> Window {
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
        }
    }

    const ALICE: (&str, &str) = ("Alice Author", "alice@example.org");
    const BOB: (&str, &str) = ("Bob Reviewer", "bob@example.org");
    const CAROL: (&str, &str) = ("Carol Maintainer", "carol@example.org");

    /// A two-patch series: cover and patches last week, review and an
    /// applied notice in the window; plus a new question in the window.
    fn gathered() -> Gathered {
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
        }
    }

    fn digest() -> Digest {
        assemble(gathered(), &week(), &Options::for_list("t"))
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
    fn the_quality_appendix_has_reused_ids_and_unreadable_commits() {
        let d = digest();
        assert_eq!(d.quality.reused_message_id.len(), 1);
        assert_eq!(d.quality.unreadable_commits.len(), 1);
        assert!(d.quality.unreadable_commits[0].detail.contains("abcd"));
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
}
