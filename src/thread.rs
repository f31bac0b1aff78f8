//! Threads: JWZ-style threading over Message-IDs (References, then
//! In-Reply-To), with placeholder ("ghost") parents for mails the archive
//! lacks and never by subject, so two series that both say "[PATCH v2 1/4]"
//! stay apart. Pure: no I/O.
//!
//! Rules, in the order they are applied (each is general; none looks at the
//! subject, the sender or the list):
//!
//! 1. **Containers.** Every message has a container; each of its ids
//!    (`message_id` and `extra_message_ids`) names that container. An id that
//!    is already held by an earlier message (same Message-ID, other content)
//!    does not move: the later message is a *duplicate* of the first holder.
//!    Ids referenced but not in the archive get placeholder ("ghost")
//!    containers.
//! 2. **Own parent.** A message's parent comes from its own headers: its last
//!    In-Reply-To id if it has one, else its last References id. In-Reply-To
//!    wins over References because it names the message replied to, while
//!    some clients and gateways reorder References or append ids to it (see
//!    the `in_reply_to_wins_*` tests). A duplicate without parent headers
//!    goes under the first holder of its Message-ID (public-inbox puts them
//!    in one thread too). These links are made first, for all messages, so a
//!    message's own headers always beat what other messages claim about it.
//! 3. **References chains.** For each message, each References id (followed
//!    by In-Reply-To ids not already in References) is made the parent of
//!    the next one where that next one is a ghost without a parent yet (JWZ:
//!    an existing link is never changed). This places the missing messages
//!    and so joins the replies of a missing message to the rest.
//!    Unlike JWZ, a chain never gives a parent to a *real* message that has
//!    no parent headers: its own headers say it starts a thread, and what
//!    other messages claim about it is less reliable than that (mail
//!    gateways insert their own tracking ids into References, sometimes
//!    before the thread root, see `gateway_id_before_the_root_*`).
//! 4. **No cycles.** A link that would make a container its own ancestor
//!    (self reference, References loop, reference to a descendant) is
//!    skipped.
//! 5. **No subject merging** (no JWZ step 5): unrelated series with the same
//!    subject stay apart; a series sent as replies to its cover letter joins
//!    it through References.
//!
//! Messages are processed in archive order (epoch, seq, id) whatever the
//! order of the input slice, so the result does not depend on how the caller
//! ordered the messages. Ids `y` and `n` (answers typed into old
//! git-send-email prompts) and an id equal to the sender's own address are
//! not references, as in public-inbox.
//!
//! A thread is one tree. Its root is the topmost container; when that is a
//! ghost the thread keeps it (`root_ghost`) and displays its earliest real
//! message as root. Ghosts with no real message below them are dropped.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde::Serialize;

use crate::storage::index::Message;

/// One thread (a tree of messages and ghosts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thread {
    /// Stable id: the Message-ID of the root message, or of the ghost root.
    /// Unique among threads: in the rare case of a root that shares its
    /// Message-ID with an earlier message and could not be linked to it
    /// without a cycle, `MID#BLOB`.
    pub id: String,
    /// Index into the messages of the root to display: the root message, or
    /// the earliest real message (by `ds`) when the root is a ghost.
    pub root: usize,
    /// The Message-ID of the root when the root is a ghost.
    pub root_ghost: Option<String>,
    /// Message indices, in time order: `ds`, then archive order
    /// (epoch, seq, id), then index.
    pub members: Vec<usize>,
    /// Parallel to `members`: the nearest real ancestor (an index into the
    /// messages), `None` for the root and for the top-level messages under a
    /// ghost root.
    pub parent: Vec<Option<usize>>,
    /// Parallel to `members`: the number of real ancestors, so `depth` is 0
    /// exactly when `parent` is `None` and is `depth(parent) + 1` otherwise
    /// (missing messages in between do not add levels).
    pub depth: Vec<u32>,
    /// Message-IDs of the missing messages of the tree (ghosts with a real
    /// message below them, the ghost root included), sorted.
    pub ghosts: Vec<String>,
}

/// The partition of a set of messages into threads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Threads {
    /// Threads, ordered by the time of their display root (`ds`, archive
    /// order, index).
    pub threads: Vec<Thread>,
    /// Message index -> index into `threads`.
    pub thread_of: Vec<usize>,
}

impl Threads {
    /// The thread of message `msg` (an index into the messages given to
    /// [`build`]).
    pub fn of(&self, msg: usize) -> &Thread {
        &self.threads[self.thread_of[msg]]
    }
}

const NONE: u32 = u32::MAX;

/// Containers `0..n` are the messages (container `i` holds message `i`);
/// ghosts follow.
struct Arena<'a> {
    n: usize,
    map: HashMap<&'a str, u32>,
    parent: Vec<u32>,
    has_child: Vec<bool>,
    ghost_ids: Vec<&'a str>,
}

impl<'a> Arena<'a> {
    /// The container named `id`, created as a ghost when unknown.
    fn container(&mut self, id: &'a str) -> u32 {
        match self.map.entry(id) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let c = (self.n + self.ghost_ids.len()) as u32;
                e.insert(c);
                self.ghost_ids.push(id);
                self.parent.push(NONE);
                self.has_child.push(false);
                c
            }
        }
    }

    /// Whether making `parent` the parent of `child` would close a cycle.
    fn would_cycle(&self, child: u32, parent: u32) -> bool {
        if child == parent {
            return true;
        }
        if !self.has_child[child as usize] {
            return false;
        }
        let mut x = self.parent[parent as usize];
        while x != NONE {
            if x == child {
                return true;
            }
            x = self.parent[x as usize];
        }
        false
    }

    fn link(&mut self, child: u32, parent: u32) {
        debug_assert_eq!(self.parent[child as usize], NONE);
        self.parent[child as usize] = parent;
        self.has_child[parent as usize] = true;
    }
}

fn parent_chain<'a>(m: &'a Message, chain: &mut Vec<&'a str>) -> Option<&'a str> {
    m.links().parent_chain(chain)
}

/// Archive order: (epoch, seq, id), then Message-ID for inputs that repeat
/// those keys.
fn archive_cmp(a: &Message, b: &Message) -> Ordering {
    (a.epoch, a.seq, a.id)
        .cmp(&(b.epoch, b.seq, b.id))
        .then_with(|| a.message_id.cmp(&b.message_id))
}

/// Time order: `ds`, then archive order, then index.
fn time_cmp(messages: &[Message], a: usize, b: usize) -> Ordering {
    let (ma, mb) = (&messages[a], &messages[b]);
    ma.ds
        .cmp(&mb.ds)
        .then_with(|| archive_cmp(ma, mb))
        .then_with(|| a.cmp(&b))
}

/// Thread `messages` (see the module documentation for the rules).
pub fn build(messages: &[Message]) -> Threads {
    let n = messages.len();
    assert!(n < NONE as usize / 2, "too many messages to thread");
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| archive_cmp(&messages[a], &messages[b]).then_with(|| a.cmp(&b)));

    let mut arena = Arena {
        n,
        map: HashMap::with_capacity(n * 2),
        parent: vec![NONE; n],
        has_child: vec![false; n],
        ghost_ids: Vec::new(),
    };

    // 1. Own ids. A later message with an id already held is a duplicate.
    let mut dup_of = vec![NONE; n];
    for &i in &order {
        for id in messages[i].all_ids() {
            if id.is_empty() {
                continue;
            }
            match arena.map.entry(id) {
                Entry::Vacant(e) => {
                    e.insert(i as u32);
                }
                Entry::Occupied(e) => {
                    let holder = *e.get();
                    if holder != i as u32 && dup_of[i] == NONE {
                        dup_of[i] = holder;
                    }
                }
            }
        }
    }

    // 2. Own parents, from each message's own headers.
    let mut chain: Vec<&str> = Vec::new();
    for &i in &order {
        let target = match parent_chain(&messages[i], &mut chain) {
            Some(id) => arena.container(id),
            None => dup_of[i],
        };
        if target != NONE && !arena.would_cycle(i as u32, target) {
            arena.link(i as u32, target);
        }
    }

    // 3. References chains: place the ghosts.
    for &i in &order {
        parent_chain(&messages[i], &mut chain);
        for w in chain.windows(2) {
            let c = arena.container(w[1]);
            let p = arena.container(w[0]);
            if (c as usize) < n || arena.parent[c as usize] != NONE || arena.would_cycle(c, p) {
                continue;
            }
            arena.link(c, p);
        }
    }

    assemble(messages, &arena)
}

/// The connected components of `messages` over Message-IDs: two messages
/// are in one component when a chain of ids links them (each message links
/// its own ids with its usable References and In-Reply-To ids, see
/// [`Links::parent_chain`]). Returns a label per message, the smallest index
/// of its component.
///
/// This is public-inbox's thread id, and the from-scratch reference for the
/// thread ids the index keeps (`crate::storage::tid`). Every thread of [`build`] lies
/// inside one component, whatever subset of the archive it is built from,
/// and building the union of some components gives the very threads that
/// building the whole set gives for them: a thread is assembled only from
/// the ids of its component.
pub fn components(messages: &[Message]) -> Vec<usize> {
    fn find(up: &mut [usize], mut x: usize) -> usize {
        while up[x] != x {
            up[x] = up[up[x]];
            x = up[x];
        }
        x
    }
    let n = messages.len();
    let mut node: HashMap<&str, usize> = HashMap::with_capacity(n * 2);
    let mut up: Vec<usize> = (0..n).collect();
    let mut chain: Vec<&str> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let links = m.links();
        links.parent_chain(&mut chain);
        for id in links.own_ids().chain(chain.iter().copied()) {
            let other = *node.entry(id).or_insert(i);
            let (a, b) = (find(&mut up, i), find(&mut up, other));
            if a != b {
                up[a.max(b)] = a.min(b);
            }
        }
    }
    (0..n).map(|i| find(&mut up, i)).collect()
}

/// Turn the linked containers into [`Threads`].
fn assemble(messages: &[Message], arena: &Arena<'_>) -> Threads {
    let n = messages.len();
    let total = arena.parent.len();
    let parent = &arena.parent;

    // Live containers: real messages and their ancestors.
    let mut live = vec![false; total];
    for i in 0..n {
        let mut x = i as u32;
        while x != NONE && !live[x as usize] {
            live[x as usize] = true;
            x = parent[x as usize];
        }
    }

    // Children of live containers, as one flat array (CSR).
    let mut start = vec![0u32; total + 1];
    for c in 0..total {
        if live[c] && parent[c] != NONE {
            start[parent[c] as usize + 1] += 1;
        }
    }
    for c in 0..total {
        start[c + 1] += start[c];
    }
    let mut fill = start.clone();
    let mut kids = vec![0u32; start[total] as usize];
    for c in 0..total {
        if live[c] && parent[c] != NONE {
            let p = parent[c] as usize;
            kids[fill[p] as usize] = c as u32;
            fill[p] += 1;
        }
    }

    let mut msg_parent: Vec<Option<usize>> = vec![None; n];
    let mut msg_depth: Vec<u32> = vec![0; n];
    let mut threads: Vec<Thread> = Vec::new();
    // (container, nearest real ancestor, depth of a real container here)
    let mut stack: Vec<(u32, u32, u32)> = Vec::new();
    for r in 0..total {
        if !live[r] || parent[r] != NONE {
            continue;
        }
        let mut members = Vec::new();
        let mut ghosts = Vec::new();
        stack.push((r as u32, NONE, 0));
        while let Some((c, near, depth)) = stack.pop() {
            let cu = c as usize;
            let (near_below, depth_below) = if cu < n {
                members.push(cu);
                msg_parent[cu] = (near != NONE).then_some(near as usize);
                msg_depth[cu] = depth;
                (c, depth + 1)
            } else {
                ghosts.push(arena.ghost_ids[cu - n].to_string());
                (near, depth)
            };
            for &k in &kids[start[cu] as usize..start[cu + 1] as usize] {
                stack.push((k, near_below, depth_below));
            }
        }
        members.sort_by(|&a, &b| time_cmp(messages, a, b));
        ghosts.sort_unstable();
        let (id, root, root_ghost) = if r < n {
            let m = &messages[r];
            // A root that does not hold its Message-ID (a duplicate that
            // could not be linked without a cycle) gets `MID#BLOB`, so that
            // thread ids stay unique.
            let id = if arena.map.get(m.message_id.as_str()) == Some(&(r as u32)) {
                m.message_id.clone()
            } else {
                format!("{}#{}", m.message_id, m.blob)
            };
            (id, r, None)
        } else {
            let g = arena.ghost_ids[r - n].to_string();
            (g.clone(), members[0], Some(g))
        };
        threads.push(Thread {
            id,
            root,
            root_ghost,
            parent: members.iter().map(|&i| msg_parent[i]).collect(),
            depth: members.iter().map(|&i| msg_depth[i]).collect(),
            members,
            ghosts,
        });
    }

    threads.sort_by(|a, b| time_cmp(messages, a.root, b.root));
    let mut thread_of = vec![0usize; n];
    for (t, th) in threads.iter().enumerate() {
        for &i in &th.members {
            thread_of[i] = t;
        }
    }
    Threads { threads, thread_of }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic message: archive position `k` (seq and id), `ds` 1000 + k.
    fn msg(k: u64, mid: &str, refs: &[&str], irt: &[&str]) -> Message {
        Message {
            id: k as i64,
            epoch: 0,
            seq: k,
            commit: format!("c{k}"),
            blob: format!("b{k}"),
            message_id: mid.to_string(),
            extra_message_ids: Vec::new(),
            mid_synthetic: false,
            date: Some(1000 + k as i64),
            date_offset: Some(0),
            ds: 1000 + k as i64,
            received: 1000 + k as i64,
            commit_time: 1000 + k as i64,
            from_name: "Some One".to_string(),
            from_addr: "someone@example.org".to_string(),
            subject: format!("subject {mid}"),
            in_reply_to: irt.iter().map(|s| s.to_string()).collect(),
            references: refs.iter().map(|s| s.to_string()).collect(),
            list_id: None,
            size: 100,
            problems: 0,
            deleted_by: None,
            to_cc: Vec::new(),
        }
    }

    fn idx(ms: &[Message], mid: &str) -> usize {
        ms.iter()
            .position(|m| m.message_id == mid)
            .unwrap_or_else(|| panic!("no message {mid}"))
    }

    fn same_thread(ms: &[Message], t: &Threads, a: &str, b: &str) -> bool {
        t.thread_of[idx(ms, a)] == t.thread_of[idx(ms, b)]
    }

    /// Message-ID of the nearest real ancestor of `mid`.
    fn parent_of(ms: &[Message], t: &Threads, mid: &str) -> Option<String> {
        let i = idx(ms, mid);
        let th = t.of(i);
        let pos = th.members.iter().position(|&x| x == i).unwrap();
        th.parent[pos].map(|p| ms[p].message_id.clone())
    }

    fn depth_of(ms: &[Message], t: &Threads, mid: &str) -> u32 {
        let i = idx(ms, mid);
        let th = t.of(i);
        let pos = th.members.iter().position(|&x| x == i).unwrap();
        th.depth[pos]
    }

    /// Structural checks that every result must pass: a partition, parents
    /// inside the thread, depth consistent with parents, one root.
    fn check(ms: &[Message], t: &Threads) {
        assert_eq!(t.thread_of.len(), ms.len());
        let mut seen = vec![0; ms.len()];
        for (ti, th) in t.threads.iter().enumerate() {
            assert!(!th.members.is_empty());
            assert_eq!(th.parent.len(), th.members.len());
            assert_eq!(th.depth.len(), th.members.len());
            assert!(th.members.contains(&th.root));
            for (k, &i) in th.members.iter().enumerate() {
                seen[i] += 1;
                assert_eq!(t.thread_of[i], ti);
                match th.parent[k] {
                    None => assert_eq!(th.depth[k], 0),
                    Some(p) => {
                        assert_eq!(t.thread_of[p], ti);
                        let pk = th.members.iter().position(|&x| x == p).unwrap();
                        assert_eq!(th.depth[k], th.depth[pk] + 1);
                    }
                }
            }
            let rk = th.members.iter().position(|&x| x == th.root).unwrap();
            assert_eq!(th.parent[rk], None);
            match &th.root_ghost {
                Some(g) => {
                    assert_eq!(&th.id, g);
                    assert!(th.ghosts.contains(g));
                    assert_eq!(
                        th.root, th.members[0],
                        "ghost root shows its earliest message"
                    );
                }
                None => {
                    assert!(th.parent.iter().filter(|p| p.is_none()).count() == 1);
                    assert!(th.id.starts_with(&ms[th.root].message_id));
                }
            }
            for w in th.members.windows(2) {
                assert!(time_cmp(ms, w[0], w[1]) == Ordering::Less);
            }
        }
        assert!(seen.iter().all(|&s| s == 1), "not a partition");
        let mut ids: Vec<&str> = t.threads.iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), t.threads.len(), "thread ids not unique");
    }

    fn run(ms: &[Message]) -> Threads {
        let t = build(ms);
        check(ms, &t);
        t
    }

    #[test]
    fn empty_input() {
        let t = run(&[]);
        assert!(t.threads.is_empty());
    }

    #[test]
    fn reply_by_in_reply_to_only() {
        let ms = vec![msg(1, "a@x", &[], &[]), msg(2, "b@x", &[], &["a@x"])];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        assert_eq!(t.threads[0].id, "a@x");
        assert_eq!(parent_of(&ms, &t, "b@x").as_deref(), Some("a@x"));
        assert_eq!(depth_of(&ms, &t, "b@x"), 1);
    }

    #[test]
    fn reply_by_references_only() {
        // c's References name a (root) and x (missing): c sits under ghost x,
        // which the chain puts under a.
        let ms = vec![
            msg(1, "a@x", &[], &[]),
            msg(2, "b@x", &["a@x"], &[]),
            msg(3, "c@x", &["a@x", "gone@x"], &[]),
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        let th = &t.threads[0];
        assert_eq!(th.id, "a@x");
        assert_eq!(th.root_ghost, None);
        assert_eq!(th.ghosts, vec!["gone@x"]);
        assert_eq!(parent_of(&ms, &t, "b@x").as_deref(), Some("a@x"));
        assert_eq!(parent_of(&ms, &t, "c@x").as_deref(), Some("a@x"));
        assert_eq!(depth_of(&ms, &t, "c@x"), 1);
    }

    #[test]
    fn in_reply_to_wins_over_appended_reference() {
        // A gateway appended its own id to References: the last reference is
        // not the parent, In-Reply-To is.
        let ms = vec![
            msg(1, "root@x", &[], &[]),
            msg(2, "p3@x", &["root@x"], &["root@x"]),
            msg(3, "r@y", &["root@x", "p3@x", "GATEWAY123@y"], &["p3@x"]),
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        assert_eq!(parent_of(&ms, &t, "r@y").as_deref(), Some("p3@x"));
        assert_eq!(depth_of(&ms, &t, "r@y"), 2);
        // The appended id is no ancestor of anything: not listed.
        assert!(t.threads[0].ghosts.is_empty());
    }

    #[test]
    fn in_reply_to_wins_over_reordered_references() {
        // References rotated by the client (the parent first), In-Reply-To
        // right: the message replies to p, not to the last reference q.
        let ms = vec![
            msg(1, "root@x", &[], &[]),
            msg(2, "p@x", &["root@x"], &["root@x"]),
            msg(3, "q@x", &["root@x", "p@x"], &["p@x"]),
            msg(4, "r@x", &["p@x", "root@x", "q@x"], &["p@x"]),
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        assert_eq!(parent_of(&ms, &t, "r@x").as_deref(), Some("p@x"));
        // The rotated chain must not re-parent root under p (cycle) nor q.
        assert_eq!(t.threads[0].id, "root@x");
        assert_eq!(parent_of(&ms, &t, "q@x").as_deref(), Some("p@x"));
    }

    #[test]
    fn in_reply_to_not_in_references() {
        // In-Reply-To names a message missing from References: it is the
        // parent, and it is chained after the References.
        let ms = vec![msg(1, "a@x", &[], &[]), msg(2, "c@x", &["a@x"], &["b@x"])];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        assert_eq!(t.threads[0].ghosts, vec!["b@x"]);
        assert_eq!(parent_of(&ms, &t, "c@x").as_deref(), Some("a@x"));
    }

    #[test]
    fn ghost_parent_shared_by_two_replies() {
        let ms = vec![
            msg(1, "b@x", &["gone@x"], &["gone@x"]),
            msg(2, "unrelated@x", &[], &[]),
            msg(3, "c@x", &[], &["gone@x"]),
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 2);
        assert!(same_thread(&ms, &t, "b@x", "c@x"));
        let th = t.of(idx(&ms, "b@x"));
        assert_eq!(th.id, "gone@x");
        assert_eq!(th.root_ghost.as_deref(), Some("gone@x"));
        assert_eq!(
            th.root,
            idx(&ms, "b@x"),
            "earliest real message shown as root"
        );
        assert_eq!(th.ghosts, vec!["gone@x"]);
        assert_eq!(th.parent, vec![None, None]);
        assert_eq!(th.depth, vec![0, 0]);
    }

    #[test]
    fn reference_loop_terminates_without_cycle() {
        let ms = vec![msg(1, "a@x", &["b@x"], &[]), msg(2, "b@x", &["a@x"], &[])];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        // The earlier message's header is applied first; the closing link
        // is skipped.
        assert_eq!(t.threads[0].id, "b@x");
        assert_eq!(parent_of(&ms, &t, "a@x").as_deref(), Some("b@x"));
        assert_eq!(parent_of(&ms, &t, "b@x"), None);
    }

    #[test]
    fn longer_loops_through_chains_terminate() {
        // Chains that contradict each other in a circle, through ghosts.
        let ms = vec![
            msg(1, "a@x", &["g1@x", "g2@x", "g3@x"], &[]),
            msg(2, "b@x", &["g2@x", "g3@x", "g1@x"], &[]),
            msg(3, "c@x", &["g3@x", "g1@x", "g2@x", "a@x"], &[]),
            msg(4, "d@x", &["c@x", "b@x"], &["a@x"]),
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        assert_eq!(t.threads[0].root_ghost.as_deref(), Some("g1@x"));
    }

    #[test]
    fn self_reference_is_ignored() {
        let ms = vec![
            msg(1, "a@x", &["a@x"], &["a@x"]),
            msg(2, "b@x", &["b@x", "a@x"], &[]),
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        assert_eq!(t.threads[0].id, "a@x");
        assert!(t.threads[0].ghosts.is_empty());
        assert_eq!(parent_of(&ms, &t, "b@x").as_deref(), Some("a@x"));
    }

    #[test]
    fn reference_to_a_descendant_is_skipped() {
        // m's chain claims a is a child of d, but d is a's descendant.
        let ms = vec![
            msg(1, "a@x", &[], &[]),
            msg(2, "b@x", &["a@x"], &["a@x"]),
            msg(3, "d@x", &["a@x", "b@x"], &["b@x"]),
            msg(4, "m@x", &["d@x", "a@x", "z@x"], &["z@x"]),
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        assert_eq!(t.threads[0].id, "a@x");
        assert_eq!(parent_of(&ms, &t, "a@x"), None);
        assert_eq!(parent_of(&ms, &t, "m@x").as_deref(), Some("a@x"));
    }

    fn series(k0: u64, tag: &str, from: &str) -> Vec<Message> {
        let cover = format!("cover.{tag}@x");
        let mut out = vec![msg(k0, &cover, &[], &[])];
        out[0].subject = "[PATCH v2 0/4] x".into();
        for p in 1..=4u64 {
            let mut m = msg(k0 + p, &format!("{tag}-{p}@x"), &[&cover], &[&cover]);
            m.subject = format!("[PATCH v2 {p}/4] x");
            out.push(m);
        }
        for m in &mut out {
            m.from_addr = from.into();
        }
        out
    }

    #[test]
    fn same_subject_series_stay_separate() {
        let mut ms = series(1, "one", "alice@example.org");
        ms.extend(series(10, "two", "bob@example.org"));
        // Also a lone patch with the very same subject as a patch above.
        let mut lone = msg(20, "lone@x", &[], &[]);
        lone.subject = "[PATCH v2 1/4] x".into();
        ms.push(lone);
        let t = run(&ms);
        assert_eq!(t.threads.len(), 3);
        assert!(!same_thread(&ms, &t, "one-1@x", "two-1@x"));
        assert!(!same_thread(&ms, &t, "one-1@x", "lone@x"));
        assert_eq!(t.of(idx(&ms, "one-3@x")).members.len(), 5);
    }

    #[test]
    fn patches_replying_to_cover_letter_join_it() {
        let mut ms = series(1, "s", "alice@example.org");
        // A review of patch 2 and an answer to the review.
        ms.push(msg(9, "review@y", &["cover.s@x", "s-2@x"], &["s-2@x"]));
        ms.push(msg(
            10,
            "answer@x",
            &["cover.s@x", "s-2@x", "review@y"],
            &["review@y"],
        ));
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        let th = &t.threads[0];
        assert_eq!(th.id, "cover.s@x");
        assert_eq!(th.root, idx(&ms, "cover.s@x"));
        for p in 1..=4 {
            assert_eq!(depth_of(&ms, &t, &format!("s-{p}@x")), 1);
        }
        assert_eq!(parent_of(&ms, &t, "review@y").as_deref(), Some("s-2@x"));
        assert_eq!(depth_of(&ms, &t, "answer@x"), 3);
        // Members in time order.
        let order: Vec<u64> = th.members.iter().map(|&i| ms[i].seq).collect();
        assert_eq!(order, vec![1, 2, 3, 4, 5, 9, 10]);
    }

    #[test]
    fn series_sent_in_reply_to_an_earlier_version_joins_it() {
        // git send-email --in-reply-to=<v1 cover> --thread: v2 patches carry
        // References: <v1 cover> <v2 cover>.
        let mut ms = series(1, "v1", "alice@example.org");
        let v2c = "cover.v2@x";
        ms.push(msg(10, v2c, &["cover.v1@x"], &["cover.v1@x"]));
        ms.push(msg(11, "v2-1@x", &["cover.v1@x", v2c], &[v2c]));
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        assert_eq!(depth_of(&ms, &t, "v2-1@x"), 2);
    }

    #[test]
    fn message_with_several_message_ids() {
        let mut a = msg(1, "a1@x", &[], &[]);
        a.extra_message_ids = vec!["a2@x".into()];
        let ms = vec![
            a,
            msg(2, "b@x", &[], &["a2@x"]),
            msg(3, "c@x", &["a1@x"], &[]),
            msg(4, "d@x", &["a2@x", "b@x"], &["b@x"]),
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        assert_eq!(t.threads[0].id, "a1@x");
        assert!(t.threads[0].ghosts.is_empty());
        assert_eq!(parent_of(&ms, &t, "b@x").as_deref(), Some("a1@x"));
        assert_eq!(parent_of(&ms, &t, "c@x").as_deref(), Some("a1@x"));
        assert_eq!(depth_of(&ms, &t, "d@x"), 2);
    }

    #[test]
    fn extra_id_referenced_before_its_message_arrives() {
        // Replies to both ids arrive first (as ghosts would be created).
        let mut a = msg(3, "a1@x", &[], &[]);
        a.extra_message_ids = vec!["a2@x".into()];
        let ms = vec![
            msg(1, "b@x", &[], &["a2@x"]),
            msg(2, "c@x", &[], &["a1@x"]),
            a,
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        assert_eq!(t.threads[0].id, "a1@x");
        assert_eq!(t.threads[0].root_ghost, None);
    }

    #[test]
    fn duplicate_message_id_joins_the_first() {
        // Same Message-ID, different content (a resend with a fixed body).
        let ms = vec![
            msg(1, "a@x", &[], &[]),
            msg(2, "b@x", &["a@x"], &["a@x"]),
            msg(3, "a@x", &[], &[]),
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        assert_eq!(t.threads[0].id, "a@x");
        assert_eq!(t.threads[0].root, 0);
        assert_eq!(t.threads[0].parent, vec![None, Some(0), Some(0)]);
    }

    #[test]
    fn duplicate_with_its_own_parent_follows_its_headers() {
        // A resend that names a parent goes under that parent, like any
        // message; a duplicate never holds an id, so it never has children.
        let ms = vec![
            msg(1, "a@x", &[], &[]),
            msg(2, "p@x", &[], &[]),
            msg(3, "a@x", &["p@x"], &["p@x"]),
            msg(4, "b@x", &["a@x"], &["a@x"]),
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 2);
        assert_eq!(parent_of(&ms, &t, "b@x").as_deref(), Some("a@x"));
        assert_eq!(t.of(0).members, vec![0, 3]);
        assert_eq!(t.of(2).members, vec![1, 2]);
        assert_eq!(t.of(2).id, "p@x");
    }

    #[test]
    fn duplicate_root_in_a_cycle_keeps_a_unique_thread_id() {
        // The resend of p also carries id e; c replies to e and the resend
        // replies to c: the resend cannot go under c (cycle), so it roots a
        // second tree although the first p is a root as well.
        let mut resend = msg(3, "p@x", &["c@x"], &["c@x"]);
        resend.extra_message_ids = vec!["e@x".into()];
        let ms = vec![
            msg(1, "p@x", &[], &[]),
            msg(2, "c@x", &["e@x"], &["e@x"]),
            resend,
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 2);
        assert_eq!(t.of(0).id, "p@x");
        assert_eq!(t.of(2).id, "p@x#b3");
        assert_eq!(t.of(1).id, "p@x#b3");
    }

    #[test]
    fn prompt_answers_and_own_address_are_not_references() {
        // Old git-send-email asked for In-Reply-To and users typed "y"; a
        // client put the sender's address in angle brackets. Unrelated
        // messages must not join through such fake ids.
        let mut a = msg(1, "a@x", &[], &["y"]);
        a.from_addr = "alice@example.org".into();
        let mut b = msg(2, "b@x", &[], &["y"]);
        b.from_addr = "bob@example.org".into();
        let mut c = msg(3, "c@x", &["Alice@Example.org"], &[]);
        c.from_addr = "alice@example.org".into();
        let mut d = msg(4, "d@x", &["alice@example.org"], &[]);
        d.from_addr = "alice@example.org".into();
        let ms = vec![a, b, c, d];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 4);
        assert!(t.threads.iter().all(|t| t.ghosts.is_empty()));
    }

    #[test]
    fn own_headers_beat_a_chain_set_earlier() {
        // m (archived first) claims q is a child of p; q's own header says
        // it replies to r. q stays under r; p does not join r's thread.
        let ms = vec![
            msg(1, "m@x", &["p@x", "q@x"], &["q@x"]),
            msg(2, "r@x", &[], &[]),
            msg(3, "q@x", &["r@x"], &["r@x"]),
            msg(4, "p@x", &[], &[]),
        ];
        let t = run(&ms);
        assert_eq!(parent_of(&ms, &t, "q@x").as_deref(), Some("r@x"));
        assert_eq!(parent_of(&ms, &t, "m@x").as_deref(), Some("q@x"));
        assert!(same_thread(&ms, &t, "m@x", "r@x"));
        assert!(!same_thread(&ms, &t, "p@x", "r@x"));
        assert_eq!(t.threads.len(), 2);
    }

    #[test]
    fn gateway_id_before_the_root_does_not_reparent_it() {
        // Seen on the kvmarm list: a mail gateway (Samsung's "CGME…" ids)
        // inserts the id under which it received a message into the
        // References of the replies written behind it, here *before* the
        // cover letter. JWZ would hang the cover letter, whose own headers
        // say it starts a thread, under that ghost, making the ghost the
        // thread root. A real message is placed by its own headers only.
        // (public-inbox's thread ids are not affected either way: the ghost
        // joins nothing else.)
        let ms = vec![
            msg(1, "cover@x", &[], &[]),
            msg(2, "p1@x", &["cover@x"], &["cover@x"]),
            msg(
                3,
                "r@samsung",
                &["CGME123@samsung", "cover@x"],
                &["cover@x"],
            ),
            msg(
                4,
                "rr@x",
                &["CGME123@samsung", "cover@x", "r@samsung"],
                &["r@samsung"],
            ),
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 1);
        let th = &t.threads[0];
        assert_eq!(th.id, "cover@x");
        assert_eq!(th.root_ghost, None);
        assert!(th.ghosts.is_empty());
        assert_eq!(depth_of(&ms, &t, "rr@x"), 2);
    }

    #[test]
    fn chain_does_not_merge_a_headerless_thread_into_another() {
        // A reply whose References wrongly start with an unrelated message
        // (a client that kept the References of the message it was composed
        // from): public-inbox merges both threads (its thread id is a
        // connected component over all ids); the unrelated thread's root has
        // no parent headers and keeps its own thread here.
        let ms = vec![
            msg(1, "other@x", &[], &[]),
            msg(2, "root@x", &[], &[]),
            msg(3, "reply@x", &["other@x", "root@x"], &["root@x"]),
        ];
        let t = run(&ms);
        assert_eq!(t.threads.len(), 2);
        assert!(same_thread(&ms, &t, "root@x", "reply@x"));
        assert!(!same_thread(&ms, &t, "other@x", "root@x"));
    }

    /// A small corpus exercising every rule, with equal `ds` values.
    fn mixed_corpus() -> Vec<Message> {
        let mut ms = series(1, "s", "alice@example.org");
        ms.extend(series(10, "t", "bob@example.org"));
        ms.push(msg(20, "r1@y", &["cover.s@x", "s-2@x"], &["s-2@x"]));
        ms.push(msg(21, "g1@y", &["gone@x"], &["gone@x"]));
        ms.push(msg(22, "g2@y", &[], &["gone@x"]));
        ms.push(msg(23, "l1@y", &["l2@y"], &[]));
        ms.push(msg(24, "l2@y", &["l1@y"], &[]));
        ms.push(msg(25, "self@y", &["self@y"], &[]));
        let mut multi = msg(26, "m1@y", &[], &[]);
        multi.extra_message_ids = vec!["m2@y".into()];
        ms.push(multi);
        ms.push(msg(27, "m3@y", &[], &["m2@y"]));
        ms.push(msg(28, "dup@y", &[], &[]));
        ms.push(msg(29, "dup@y", &["l1@y"], &[]));
        ms.push(msg(30, "c1@y", &["g1@y", "h@y", "l2@y"], &["l2@y"]));
        ms.push(msg(31, "c2@y", &["l2@y", "h@y", "g1@y"], &[]));
        // Ties on ds decide by archive order.
        for (k, m) in ms.iter_mut().enumerate() {
            m.ds = 5000 + (k as i64 % 4);
        }
        ms
    }

    /// The result expressed with Message-IDs and archive positions only.
    fn canonical(ms: &[Message], t: &Threads) -> Vec<String> {
        let key = |i: usize| format!("{}#{}", ms[i].message_id, ms[i].seq);
        t.threads
            .iter()
            .map(|th| {
                let members: Vec<String> = th
                    .members
                    .iter()
                    .zip(&th.parent)
                    .zip(&th.depth)
                    .map(|((&i, p), d)| {
                        format!("{}<{}:{d}", key(i), p.map(key).unwrap_or_default())
                    })
                    .collect();
                format!(
                    "{} root={} ghost={:?} ghosts={:?} [{}]",
                    th.id,
                    key(th.root),
                    th.root_ghost,
                    th.ghosts,
                    members.join(" ")
                )
            })
            .collect()
    }

    #[test]
    fn deterministic_under_shuffled_input() {
        let ms = mixed_corpus();
        let t = run(&ms);
        let want = canonical(&ms, &t);
        assert!(t.threads.len() >= 6);
        // Deterministic permutations (a small LCG), plus the reversal.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..25 {
            let mut sh = ms.clone();
            if round == 0 {
                sh.reverse();
            } else {
                for i in (1..sh.len()).rev() {
                    seed = seed
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    sh.swap(i, (seed >> 33) as usize % (i + 1));
                }
            }
            let ts = run(&sh);
            assert_eq!(canonical(&sh, &ts), want, "round {round}");
            // thread_of agrees with membership, by Message-ID.
            for (i, m) in sh.iter().enumerate() {
                let j = ms.iter().position(|x| x.seq == m.seq).unwrap();
                assert_eq!(ts.of(i).id, t.of(j).id);
            }
        }
    }

    #[test]
    fn deep_thread_is_fast_enough() {
        // A 20,000-message chain, each reply carrying the full References
        // would be quadratic in input size; carry the last 10 like real
        // clients that trim. Input order reversed.
        let n = 20_000u64;
        let ids: Vec<String> = (0..n).map(|k| format!("m{k}@x")).collect();
        let mut ms: Vec<Message> = (0..n)
            .map(|k| {
                let lo = k.saturating_sub(10) as usize;
                let refs: Vec<&str> = ids[lo..k as usize].iter().map(|s| s.as_str()).collect();
                msg(k + 1, &ids[k as usize], &refs, &[])
            })
            .collect();
        ms.reverse();
        let t = build(&ms);
        assert_eq!(t.threads.len(), 1);
        assert_eq!(*t.threads[0].depth.iter().max().unwrap(), (n - 1) as u32);
    }
}
