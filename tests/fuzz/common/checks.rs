//! Invariants shared by the fuzz targets (`tests/fuzz/fuzz_targets/`) and
//! the stable regression test (`tests/fuzz_regressions.rs`), so that a
//! regression input is checked exactly as the fuzzer checked it.
//!
//! Plain std + `lore_digest`: no fuzzing crate is needed to use it. Every
//! check panics (`assert!`) when an invariant breaks.
//!
//! Also defines the text format of `thread_messages` cases, one message per
//! line (blank lines and `#` comments ignored):
//!
//! ```text
//! mid=a@x extra=b@x refs=c@x,d@x irt=d@x from=alice@example.org ds=3 epoch=0 seq=7 repeat=2
//! ```
//!
//! Every key but `mid` is optional (lists default to empty, `from` to
//! `someone@example.org`, `ds` and `seq` to the row number, `epoch` to 0,
//! `repeat` to 1: the line stands for that many messages, each with the next
//! row number and, unless `seq` is given, the next seq). Lists are separated by
//! `,`; inside an id the bytes `%`, `,`, `=`, white space, controls and
//! non-ASCII are written `%XX`, and a lone `%` is the empty id. Row ids
//! (`Message::id`) are the line's position, 1-based, so they are unique.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use lore_digest::analysis;
use lore_digest::mail::{self, ParsedMail, problem};
use lore_digest::msgtime;
use lore_digest::storage::index::Message;
use lore_digest::thread::{self, Threads};

/// The blob id given to [`mail::parse`] (the `m`-blob → index path).
pub const BLOB: &str = "0123abcd";

/// Longest Message-ID kept by `mail::parse` (public-inbox's limit).
const MAX_MID_LEN: usize = 244;

const ALL_PROBLEMS: u32 = {
    let mut all = 0;
    let mut i = 0;
    while i < problem::NAMES.len() {
        all |= problem::NAMES[i].0;
        i += 1;
    }
    all
};

// ---------------------------------------------------------------------------
// parse_message

/// Everything target `parse_message` does with one raw message.
pub fn check_message(data: &[u8]) {
    let p = mail::parse(data, BLOB);
    check_parsed(&p);

    // Deterministic: the same bytes give the same facts.
    assert_eq!(mail::parse(data, BLOB), p, "parse is not deterministic");
    // The blob id only names a message that has no Message-ID.
    let other = mail::parse(data, "feedface");
    if p.mid_synthetic {
        assert_eq!(other.message_id, mail::synthetic_mid("feedface"));
        // Equal but for the synthetic id, which is no reference of the
        // message it names (only a fuzzer writes such a reference).
        let strip = |mut q: ParsedMail| {
            let own = [mail::synthetic_mid(BLOB), mail::synthetic_mid("feedface")];
            q.message_id.clear();
            q.references.retain(|id| !own.contains(id));
            q.in_reply_to.retain(|id| !own.contains(id));
            q
        };
        assert_eq!(strip(other), strip(p.clone()));
    } else {
        assert_eq!(other, p, "the blob id changed a message with a Message-ID");
    }

    let digest = mail::content_digest(data);
    assert_eq!(
        mail::content_digest(data),
        digest,
        "content_digest is not deterministic"
    );

    let body = analysis::body_text(data);
    assert!(body.len() <= analysis::MAX_BODY_BYTES, "body_text too long");
    assert_eq!(
        analysis::body_text(data),
        body,
        "body_text is not deterministic"
    );
    let facts = analysis::mail_facts(&body);
    assert_eq!(
        analysis::mail_facts(&body),
        facts,
        "mail_facts is not deterministic"
    );
    assert!(facts.own_lines + facts.quoted_lines <= body.lines().count());

    let subject = analysis::parse_subject(&p.subject);
    assert_eq!(
        analysis::parse_subject(&p.subject),
        subject,
        "parse_subject is not deterministic"
    );
    assert!(!subject.title.contains('\n'), "newline in subject title");

    // The date parsers on their own, with whatever the input holds: the
    // whole text and each line of it (never panic; sane results).
    let text = String::from_utf8_lossy(data);
    check_times(&text);
    for line in text.lines().take(64) {
        check_times(line);
        if let Some((_, value)) = line.split_once(':') {
            check_times(value);
        }
    }
}

fn check_times(s: &str) {
    if let Some((ts, off)) = msgtime::str2date_zone(s) {
        check_offset(off);
        assert_eq!(msgtime::str2date_zone(s), Some((ts, off)));
    }
    let r = msgtime::received_time(s);
    assert_eq!(msgtime::received_time(s), r);
}

fn check_offset(off: i32) {
    assert!(
        off.abs() < 24 * 3600,
        "zone offset {off} s is not a UTC offset"
    );
}

fn check_id(what: &str, id: &str) {
    assert!(!id.is_empty(), "empty id in {what}");
    assert!(
        !id.contains(['\n', '\r', '\t']),
        "CR/LF/TAB in {what} id {id:?}"
    );
    assert!(id.len() <= MAX_MID_LEN, "over-long {what} id");
}

/// Invariants of one [`ParsedMail`].
pub fn check_parsed(p: &ParsedMail) {
    assert!(!p.message_id.is_empty(), "empty message_id");
    assert_eq!(
        p.mid_synthetic,
        p.problems & problem::NO_MESSAGE_ID != 0,
        "mid_synthetic disagrees with the problem bit"
    );
    if p.mid_synthetic {
        assert_eq!(p.message_id, mail::synthetic_mid(BLOB));
        assert!(p.extra_message_ids.is_empty());
    } else {
        check_id("message", &p.message_id);
    }
    assert_eq!(
        !p.extra_message_ids.is_empty(),
        p.problems & problem::SEVERAL_MESSAGE_IDS != 0,
        "extra ids disagree with the problem bit"
    );
    let own: Vec<&str> = std::iter::once(p.message_id.as_str())
        .chain(p.extra_message_ids.iter().map(String::as_str))
        .collect();
    assert_eq!(
        own.iter().collect::<HashSet<_>>().len(),
        own.len(),
        "repeated own id"
    );
    for id in &p.extra_message_ids {
        check_id("extra", id);
    }
    for (what, list) in [
        ("references", &p.references),
        ("in-reply-to", &p.in_reply_to),
    ] {
        let mut seen = HashSet::new();
        for id in list {
            check_id(what, id);
            assert!(seen.insert(id), "repeated {what} id {id:?}");
            assert!(
                !own.contains(&id.as_str()),
                "{what} names the message itself"
            );
        }
    }
    for id in p.parent_ids() {
        assert!(!own.contains(&id));
    }

    assert!(!p.subject.contains('\n'), "newline in subject");
    assert!(!p.subject.contains('\r'), "CR in subject");
    assert_eq!(mail::unfold(&p.subject), p.subject, "subject not unfolded");
    assert!(!p.from_name.contains('\n'), "newline in sender name");
    if let Some(l) = &p.list_id {
        assert!(!l.contains('\n'), "newline in List-Id");
    }

    assert_eq!(p.date.is_some(), p.date_offset.is_some());
    if let Some(off) = p.date_offset {
        check_offset(off);
    }
    assert_eq!(
        p.date.is_none(),
        p.problems & (problem::NO_DATE | problem::BAD_DATE) != 0
    );
    assert_eq!(
        p.received_header.is_none(),
        p.problems & problem::NO_RECEIVED != 0
    );
    assert_eq!(p.problems & !ALL_PROBLEMS, 0, "unknown problem bits");
    assert_eq!(p.received_or(7), p.received_header.or(p.date).unwrap_or(7));
    assert_eq!(p.date_or(7), p.date.or(p.received_header).unwrap_or(7));

    // To and Cc, as the index keeps them (one per line).
    assert!(p.to_cc.len() <= mail::MAX_TO_CC, "too many To/Cc addresses");
    let mut seen = HashSet::new();
    for a in &p.to_cc {
        assert!(a.contains('@'), "To/Cc address without @: {a:?}");
        assert!(!a.contains(char::is_whitespace), "white space in {a:?}");
        assert_eq!(&a.to_lowercase(), a, "To/Cc address not lower-cased");
        assert!(seen.insert(a), "repeated To/Cc address {a:?}");
    }
}

// ---------------------------------------------------------------------------
// thread_messages

/// One message of a threading case, as the text format gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgSpec {
    pub mid: String,
    pub extra: Vec<String>,
    pub refs: Vec<String>,
    pub irt: Vec<String>,
    pub from: String,
    pub ds: i64,
    pub epoch: u32,
    pub seq: u64,
}

impl MsgSpec {
    /// The indexed message this spec stands for, with row id `row`.
    pub fn to_message(&self, row: i64) -> Message {
        Message {
            id: row,
            epoch: self.epoch,
            seq: self.seq,
            commit: format!("c{row}"),
            blob: format!("b{row}"),
            message_id: self.mid.clone(),
            extra_message_ids: self.extra.clone(),
            mid_synthetic: false,
            date: Some(self.ds),
            date_offset: Some(0),
            ds: self.ds,
            received: self.ds,
            commit_time: self.ds,
            from_name: "Some One".to_string(),
            from_addr: self.from.clone(),
            subject: format!("subject {row}"),
            in_reply_to: self.irt.clone(),
            references: self.refs.clone(),
            list_id: None,
            size: 100,
            problems: 0,
            deleted_by: None,
            to_cc: Vec::new(),
        }
    }
}

/// The messages of a case; row ids 1, 2, ….
pub fn messages(specs: &[MsgSpec]) -> Vec<Message> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| s.to_message(i as i64 + 1))
        .collect()
}

const DEFAULT_FROM: &str = "someone@example.org";

fn escape(id: &str) -> String {
    if id.is_empty() {
        return "%".to_string();
    }
    let mut out = String::new();
    for &b in id.as_bytes() {
        if b <= b' ' || b >= 0x7f || matches!(b, b'%' | b',' | b'=' | b'#') {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

fn unescape(s: &str) -> Result<String, String> {
    if s == "%" {
        return Ok(String::new());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .ok_or_else(|| format!("bad escape in {s:?}"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|e| format!("{s:?}: {e}"))?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|e| format!("{s:?}: {e}"))
}

fn escape_list(ids: &[String]) -> String {
    ids.iter().map(|s| escape(s)).collect::<Vec<_>>().join(",")
}

fn unescape_list(s: &str) -> Result<Vec<String>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',').map(unescape).collect()
}

/// A case in the text format (one line per message, no `repeat`).
pub fn case_to_text(specs: &[MsgSpec]) -> String {
    let mut out = String::new();
    for (i, s) in specs.iter().enumerate() {
        let row = i as i64 + 1;
        out.push_str(&format!("mid={}", escape(&s.mid)));
        for (key, list) in [("extra", &s.extra), ("refs", &s.refs), ("irt", &s.irt)] {
            if !list.is_empty() {
                out.push_str(&format!(" {key}={}", escape_list(list)));
            }
        }
        if s.from != DEFAULT_FROM {
            out.push_str(&format!(" from={}", escape(&s.from)));
        }
        if s.ds != row {
            out.push_str(&format!(" ds={}", s.ds));
        }
        if s.epoch != 0 {
            out.push_str(&format!(" epoch={}", s.epoch));
        }
        if s.seq != row as u64 {
            out.push_str(&format!(" seq={}", s.seq));
        }
        out.push('\n');
    }
    out
}

/// Parse a case written in the text format.
pub fn case_from_text(text: &str) -> Result<Vec<MsgSpec>, String> {
    let mut out: Vec<MsgSpec> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |e: String| format!("line {}: {e}", n + 1);
        let mut mid = None;
        let (mut extra, mut refs, mut irt) = (Vec::new(), Vec::new(), Vec::new());
        let mut from = DEFAULT_FROM.to_string();
        let (mut ds, mut epoch, mut seq, mut repeat) = (None, 0u32, None, 1usize);
        for field in line.split_whitespace() {
            let (key, value) = field
                .split_once('=')
                .ok_or_else(|| err(format!("no `=` in {field:?}")))?;
            let int = |v: &str| v.parse::<i64>().map_err(|e| err(format!("{key}: {e}")));
            match key {
                "mid" => mid = Some(unescape(value).map_err(err)?),
                "extra" => extra = unescape_list(value).map_err(err)?,
                "refs" => refs = unescape_list(value).map_err(err)?,
                "irt" => irt = unescape_list(value).map_err(err)?,
                "from" => from = unescape(value).map_err(err)?,
                "ds" => ds = Some(int(value)?),
                "epoch" => epoch = int(value)? as u32,
                "seq" => seq = Some(int(value)? as u64),
                "repeat" => repeat = int(value)? as usize,
                _ => return Err(err(format!("unknown key {key:?}"))),
            }
        }
        let mid = mid.ok_or_else(|| err("no mid=".to_string()))?;
        for _ in 0..repeat {
            let row = out.len() as i64 + 1;
            out.push(MsgSpec {
                mid: mid.clone(),
                extra: extra.clone(),
                refs: refs.clone(),
                irt: irt.clone(),
                from: from.clone(),
                ds: ds.unwrap_or(row),
                epoch,
                seq: seq.unwrap_or(row as u64),
            });
        }
    }
    Ok(out)
}

/// A permutation of `0..n` drawn from `seed` (a small LCG; no dependencies).
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    let mut s = seed ^ 0x9e37_79b9_7f4a_7c15;
    for i in (1..n).rev() {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        p.swap(i, (s >> 33) as usize % (i + 1));
    }
    p
}

/// Structural invariants of [`thread::build`] over `msgs`; returns the
/// result for further comparisons.
pub fn check_threads(msgs: &[Message]) -> Threads {
    let t = thread::build(msgs);
    let n = msgs.len();
    assert_eq!(t.thread_of.len(), n, "thread_of has the wrong length");

    // Every message is in exactly one thread, the one thread_of names.
    let mut seen = vec![false; n];
    let mut ids = HashSet::new();
    for (k, th) in t.threads.iter().enumerate() {
        assert!(!th.members.is_empty(), "empty thread {:?}", th.id);
        assert!(ids.insert(th.id.as_str()), "thread id {:?} twice", th.id);
        assert_eq!(th.parent.len(), th.members.len());
        assert_eq!(th.depth.len(), th.members.len());
        for &m in &th.members {
            assert!(m < n, "member out of range");
            assert!(!seen[m], "message {m} in two threads (or twice)");
            seen[m] = true;
            assert_eq!(t.thread_of[m], k, "thread_of disagrees with members");
        }
        assert!(th.members.contains(&th.root), "root is not a member");

        let pos: HashMap<usize, usize> = th
            .members
            .iter()
            .enumerate()
            .map(|(j, &m)| (m, j))
            .collect();
        for (j, &m) in th.members.iter().enumerate() {
            match th.parent[j] {
                None => assert_eq!(th.depth[j], 0, "a top message has depth > 0"),
                Some(p) => {
                    let pj = *pos
                        .get(&p)
                        .unwrap_or_else(|| panic!("parent of {m} not in its thread"));
                    assert_ne!(p, m, "message is its own parent");
                    assert_eq!(th.depth[j], th.depth[pj] + 1, "depth != parent depth + 1");
                }
            }
            // Following parents ends at a top message, without a cycle.
            let mut x = j;
            let mut steps = 0;
            while let Some(p) = th.parent[x] {
                x = pos[&p];
                steps += 1;
                assert!(steps <= th.members.len(), "parent cycle at {m}");
            }
            assert_eq!(steps as u32, th.depth[j], "depth != length of parent chain");
        }
        let tops = th.parent.iter().filter(|p| p.is_none()).count();
        match &th.root_ghost {
            None => {
                assert_eq!(tops, 1, "a thread with a real root has one top message");
                assert_eq!(th.parent[pos[&th.root]], None, "root has a parent");
                let mid = &msgs[th.root].message_id;
                assert!(
                    th.id == *mid || th.id == format!("{mid}#{}", msgs[th.root].blob),
                    "thread id {:?} is not its root's id",
                    th.id
                );
            }
            Some(g) => {
                assert_eq!(&th.id, g, "ghost-rooted thread not named by its ghost");
                assert!(th.ghosts.contains(g), "ghost root not among the ghosts");
                assert_eq!(th.root, th.members[0], "display root not the earliest");
                assert!(tops >= 1);
            }
        }
        assert!(th.ghosts.windows(2).all(|w| w[0] < w[1]), "ghosts unsorted");
        // Members in time order (ds, archive order).
        assert!(
            th.members.windows(2).all(|w| {
                let (a, b) = (&msgs[w[0]], &msgs[w[1]]);
                (a.ds, a.epoch, a.seq, a.id) <= (b.ds, b.epoch, b.seq, b.id)
            }),
            "members not in time order"
        );
    }
    assert!(seen.iter().all(|&s| s), "a message is in no thread");
    check_own_parents(msgs, &t);
    t
}

/// Rules 1 and 2 of `thread::build`: a message goes under the message
/// named by its own headers (last usable In-Reply-To id, else last usable
/// References id after deduplication; a duplicate without them under the first holder of its
/// Message-ID) unless that message is below it already (the link would
/// close a cycle); an id held by no message is a ghost of its thread.
fn check_own_parents(msgs: &[Message], t: &Threads) {
    let n = msgs.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&msgs[a], &msgs[b]);
        (x.epoch, x.seq, x.id, &x.message_id)
            .cmp(&(y.epoch, y.seq, y.id, &y.message_id))
            .then(a.cmp(&b))
    });
    let mut holder: HashMap<&str, usize> = HashMap::new();
    let mut dup_of: Vec<Option<usize>> = vec![None; n];
    for &i in &order {
        for id in msgs[i].all_ids().filter(|id| !id.is_empty()) {
            match holder.get(id) {
                None => {
                    holder.insert(id, i);
                }
                Some(&h) if h != i && dup_of[i].is_none() => dup_of[i] = Some(h),
                Some(_) => {}
            }
        }
    }
    let mut parent: Vec<Option<usize>> = vec![None; n];
    for th in &t.threads {
        for (j, &m) in th.members.iter().enumerate() {
            parent[m] = th.parent[j];
        }
    }
    let is_ancestor = |a: usize, mut b: usize| {
        let mut steps = 0;
        while let Some(p) = parent[b] {
            if p == a {
                return true;
            }
            b = p;
            steps += 1;
            assert!(steps <= n, "parent cycle");
        }
        false
    };
    for (i, m) in msgs.iter().enumerate() {
        let usable = |id: &&String| {
            !id.is_empty()
                && *id != "y"
                && *id != "n"
                && !m.all_ids().any(|x| x == id.as_str())
                && !id.eq_ignore_ascii_case(&m.from_addr)
        };
        // References are deduplicated keeping the first occurrence (as
        // `mail::parse` and public-inbox do): `<a> <b> <a>` ends with `b`.
        let mut refs: Vec<&String> = Vec::new();
        for id in m.references.iter().filter(usable) {
            if !refs.contains(&id) {
                refs.push(id);
            }
        }
        let direct = m
            .in_reply_to
            .iter()
            .rev()
            .find(usable)
            .or_else(|| refs.last().copied());
        let target = match direct {
            Some(id) => match holder.get(id.as_str()) {
                Some(&b) => Some(b),
                None => {
                    assert!(
                        t.of(i).ghosts.contains(id),
                        "message {i} replies to missing {id:?}, not a ghost of its thread"
                    );
                    None
                }
            },
            None => dup_of[i],
        };
        if let Some(b) = target {
            assert_eq!(
                t.thread_of[i], t.thread_of[b],
                "message {i} is not in the thread of {b}, its parent by its own headers"
            );
            assert!(
                parent[i] == Some(b) || is_ancestor(i, b),
                "message {i} is not under {b}, its parent by its own headers"
            );
        }
    }
}

/// What a threading says about each message, by row id: its thread (as the
/// set of row ids of the members), thread id, parent row id and depth.
type Shape = BTreeMap<i64, (BTreeSet<i64>, String, Option<i64>, u32)>;

fn shape(msgs: &[Message], t: &Threads) -> Shape {
    let mut out = Shape::new();
    for th in &t.threads {
        let rows: BTreeSet<i64> = th.members.iter().map(|&m| msgs[m].id).collect();
        for (j, &m) in th.members.iter().enumerate() {
            out.insert(
                msgs[m].id,
                (
                    rows.clone(),
                    th.id.clone(),
                    th.parent[j].map(|p| msgs[p].id),
                    th.depth[j],
                ),
            );
        }
    }
    out
}

/// The partition as sets of Message-IDs (the multiset of each thread).
fn partition_by_mid(msgs: &[Message], t: &Threads) -> BTreeSet<Vec<String>> {
    t.threads
        .iter()
        .map(|th| {
            let mut v: Vec<String> = th
                .members
                .iter()
                .map(|&m| msgs[m].message_id.clone())
                .collect();
            v.sort();
            v
        })
        .collect()
}

/// Everything target `thread_messages` does with one case: the invariants
/// of [`check_threads`] on the given order and on shuffled orders drawn
/// from `seeds`, and the same partition, thread ids, parents and depths for
/// every order. Rows (`Message::id`) must be unique.
pub fn check_thread_case(msgs: &[Message], seeds: &[u64]) {
    let rows: HashSet<i64> = msgs.iter().map(|m| m.id).collect();
    assert_eq!(rows.len(), msgs.len(), "row ids of a case must be unique");
    let t = check_threads(msgs);
    assert_eq!(thread::build(msgs), t, "build is not deterministic");
    let want = shape(msgs, &t);
    let want_mids = partition_by_mid(msgs, &t);
    let mut orders: Vec<Vec<usize>> = vec![(0..msgs.len()).rev().collect()];
    orders.extend(seeds.iter().map(|&s| permutation(msgs.len(), s)));
    for order in orders {
        let sh: Vec<Message> = order.iter().map(|&i| msgs[i].clone()).collect();
        let ts = check_threads(&sh);
        assert_eq!(
            partition_by_mid(&sh, &ts),
            want_mids,
            "shuffling changed the partition"
        );
        assert_eq!(shape(&sh, &ts), want, "shuffling changed the threads");
    }
}
