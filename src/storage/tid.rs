//! Thread ids kept in the index, updated as commits are indexed, the way
//! public-inbox keeps `tid`.
//!
//! Every Message-ID the archive has seen, as a message's own id or as a
//! reference (a "ghost" while no message carries it), is a row of
//! `thread_ids(mid, tid)`; each counted message has the `tid` of its ids in
//! `messages.tid`. A new message links its own ids with its usable References
//! and In-Reply-To ids ([`Links::parent_chain`], the same parents threading
//! uses): ids not seen yet get the message's tid, and when its ids already
//! carry several tids (a late mail that joins two threads, a reply that
//! arrived before its parent) those threads are merged, the smaller
//! (fewer ids) renumbered into the larger with an indexed `UPDATE`.
//!
//! The tids are thus the connected components of the id graph
//! ([`crate::thread::components`] computes them from scratch). They do not
//! depend on the order in which mail arrives or syncs are made. A thread of
//! [`crate::thread::build`] always lies inside one tid, and on the kvmarm
//! archive the two partitions are equal; they differ only where threading
//! refuses a link that an id still makes (a References chain that would
//! re-parent a message whose own headers say it starts a thread): the tid
//! is then the union of those threads.
//!
//! Deletions keep tids, as in public-inbox: the removed message's ids stay
//! rows of `thread_ids` (ghosts), so a thread that only the removed message
//! held together keeps one tid. A tid is therefore a *coarsening* of what a
//! from-scratch threading of the remaining messages gives, never a split:
//! the digest loads whole tids and threads them from scratch, which gives
//! exactly the threads of a from-scratch threading of the archive.
//! Duplicates (a reused Message-ID, not counted) get no tid.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction, params};

use crate::mail::Links;

/// Assigns thread ids within one transaction. Caches the ids it has seen so
/// that the References shared by the mails of a batch are looked up once.
#[derive(Default)]
pub struct Tids {
    /// Message-ID -> tid as last read or written (resolve through `merged`).
    cache: HashMap<String, i64>,
    /// tid -> the tid it was merged into, during this transaction.
    merged: HashMap<i64, i64>,
    next: Option<i64>,
    chain: Vec<String>,
}

impl Tids {
    pub fn new() -> Tids {
        Tids::default()
    }

    fn resolve(&self, mut t: i64) -> i64 {
        while let Some(&u) = self.merged.get(&t) {
            t = u;
        }
        t
    }

    fn lookup(&mut self, tx: &Transaction<'_>, id: &str) -> rusqlite::Result<Option<i64>> {
        if let Some(&t) = self.cache.get(id) {
            return Ok(Some(self.resolve(t)));
        }
        let t: Option<i64> = tx
            .prepare_cached("SELECT tid FROM thread_ids WHERE mid=?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        if let Some(t) = t {
            self.cache.insert(id.to_string(), t);
        }
        Ok(t.map(|t| self.resolve(t)))
    }

    fn size(tx: &Transaction<'_>, tid: i64) -> rusqlite::Result<i64> {
        tx.prepare_cached("SELECT count(*) FROM thread_ids WHERE tid=?1")?
            .query_row([tid], |r| r.get(0))
    }

    fn fresh(&mut self, tx: &Transaction<'_>) -> rusqlite::Result<i64> {
        let next = match self.next {
            Some(n) => n,
            None => tx.query_row(
                "SELECT coalesce(max(tid), 0) + 1 FROM thread_ids",
                [],
                |r| r.get(0),
            )?,
        };
        self.next = Some(next + 1);
        Ok(next)
    }

    /// The tid of a new (counted) message, merging the threads its ids join.
    pub fn assign(&mut self, tx: &Transaction<'_>, links: Links<'_>) -> rusqlite::Result<i64> {
        let mut chain: Vec<&str> = Vec::new();
        links.parent_chain(&mut chain);
        let mut ids: Vec<String> = std::mem::take(&mut self.chain);
        ids.clear();
        for id in links.own_ids().chain(chain) {
            if !ids.iter().any(|x| x == id) {
                ids.push(id.to_string());
            }
        }
        let mut found: Vec<i64> = Vec::new();
        let mut missing: Vec<usize> = Vec::new();
        for (k, id) in ids.iter().enumerate() {
            match self.lookup(tx, id)? {
                Some(t) => {
                    if !found.contains(&t) {
                        found.push(t);
                    }
                }
                None => missing.push(k),
            }
        }
        let tid = match found.len() {
            0 => self.fresh(tx)?,
            1 => found[0],
            _ => {
                // The largest thread keeps its number; ties: the older one.
                let mut sized = Vec::with_capacity(found.len());
                for &t in &found {
                    sized.push((Self::size(tx, t)?, -t));
                }
                let keep = -sized.iter().max().expect("two or more").1;
                for &t in found.iter().filter(|&&t| t != keep) {
                    tx.prepare_cached("UPDATE thread_ids SET tid=?1 WHERE tid=?2")?
                        .execute(params![keep, t])?;
                    tx.prepare_cached("UPDATE messages SET tid=?1 WHERE tid=?2")?
                        .execute(params![keep, t])?;
                    self.merged.insert(t, keep);
                }
                keep
            }
        };
        for &k in &missing {
            tx.prepare_cached("INSERT INTO thread_ids(mid, tid) VALUES(?1, ?2)")?
                .execute(params![ids[k], tid])?;
            self.cache.insert(ids[k].clone(), tid);
        }
        self.chain = ids;
        Ok(tid)
    }
}
