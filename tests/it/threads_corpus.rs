//! Threads of the real kvmarm corpus against the thread ids public-inbox
//! itself assigned (`../shared/corpora/kvmarm-columbia.threads.tsv`).
//!
//! Pairwise agreement: two messages are a "pair" when they share a thread.
//! Precision = pairs we group that public-inbox also groups / pairs we group;
//! recall = pairs public-inbox groups that we also group / its pairs. Counted
//! from the contingency table (sum of n*(n-1)/2 per cluster), not pair by
//! pair. Skipped when the corpus is absent.
//!
//! Run with `cargo test --release --test it threads_corpus -- --nocapture` to see
//! the numbers and every disagreement.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use lore_digest::storage::index::{Index, Message};
use lore_digest::thread;

use crate::common;

fn pairs(n: usize) -> u64 {
    (n as u64) * (n as u64).saturating_sub(1) / 2
}

#[test]
fn threads_agree_with_public_inbox() {
    let (Some(tmp), Some(tsv)) = (common::synced_corpus(), common::shared_threads_tsv()) else {
        return;
    };

    // Build the index with the real binary.
    let index = Index::open(&tmp.path().join("kvmarm").join("index.sqlite3")).unwrap();
    let messages = index.all_messages().unwrap();
    assert!(messages.len() > 20_000, "only {} messages", messages.len());

    // Thread (best of a few runs for the timing).
    let mut best = f64::MAX;
    let mut threads = thread::build(&messages);
    for _ in 0..5 {
        let t0 = Instant::now();
        threads = thread::build(&messages);
        best = best.min(t0.elapsed().as_secs_f64());
    }
    println!(
        "threaded {} messages into {} threads in {:.1} ms",
        messages.len(),
        threads.threads.len(),
        best * 1e3
    );
    #[cfg(not(debug_assertions))]
    assert!(best < 1.0, "threading took {best:.3} s");
    let ghost_rooted = threads
        .threads
        .iter()
        .filter(|t| t.root_ghost.is_some())
        .count();
    let ghosts: usize = threads.threads.iter().map(|t| t.ghosts.len()).sum();
    let max_depth = threads
        .threads
        .iter()
        .flat_map(|t| t.depth.iter().copied())
        .max()
        .unwrap_or(0);
    println!(
        "{ghost_rooted} threads with a ghost root, {ghosts} ghosts in trees, max depth {max_depth}"
    );
    let mut ids: Vec<&str> = threads.threads.iter().map(|t| t.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), threads.threads.len(), "thread ids not unique");

    // public-inbox's thread id per Message-ID.
    let text = std::fs::read_to_string(&tsv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (c_mid, c_tid) = (col("message_id"), col("thread_id"));
    let mut pi_tid: HashMap<&str, &str> = HashMap::new();
    let mut pi_rows = 0usize;
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        pi_rows += 1;
        pi_tid.insert(f[c_mid], f[c_tid]);
    }

    // Our thread and public-inbox's for each message; messages unknown to
    // public-inbox count as singletons on its side.
    let mut unknown = Vec::new();
    let theirs: Vec<String> = messages
        .iter()
        .map(|m| match pi_tid.get(m.message_id.as_str()) {
            Some(t) => t.to_string(),
            None => {
                unknown.push(m.message_id.clone());
                format!("unknown:{}", m.message_id)
            }
        })
        .collect();
    let ours = &threads.thread_of;

    let mut n_ours: HashMap<usize, usize> = HashMap::new();
    let mut n_theirs: HashMap<&str, usize> = HashMap::new();
    let mut n_both: HashMap<(usize, &str), usize> = HashMap::new();
    for i in 0..messages.len() {
        *n_ours.entry(ours[i]).or_default() += 1;
        *n_theirs.entry(theirs[i].as_str()).or_default() += 1;
        *n_both.entry((ours[i], theirs[i].as_str())).or_default() += 1;
    }
    let p_ours: u64 = n_ours.values().map(|&n| pairs(n)).sum();
    let p_theirs: u64 = n_theirs.values().map(|&n| pairs(n)).sum();
    let p_both: u64 = n_both.values().map(|&n| pairs(n)).sum();
    let precision = p_both as f64 / p_ours as f64;
    let recall = p_both as f64 / p_theirs as f64;
    let f1 = 2.0 * precision * recall / (precision + recall);
    println!(
        "messages: ours {}, public-inbox rows {} ({} of ours not in its list)",
        messages.len(),
        pi_rows,
        unknown.len()
    );
    println!(
        "threads: ours {}, public-inbox {}",
        n_ours.len(),
        n_theirs.len()
    );
    println!(
        "pairs: ours {p_ours}, public-inbox {p_theirs}, shared {p_both}; precision {precision:.5} recall {recall:.5} F1 {f1:.5}"
    );

    report_disagreements(&messages, &threads, &theirs);
    assert!(f1 >= 0.995, "F1 {f1:.5} below 0.995");

    // The thread ids the index kept while indexing: the same partition as
    // threading the whole archive from scratch.
    let tid_of: HashMap<i64, i64> = {
        let mut st = index
            .connection()
            .prepare("SELECT id, tid FROM messages WHERE tid IS NOT NULL")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let tids: Vec<i64> = messages.iter().map(|m| tid_of[&m.id]).collect();
    let components = thread::components(&messages);
    let mut by_pair: HashMap<(i64, usize), usize> = HashMap::new();
    let mut by_tid: HashMap<i64, usize> = HashMap::new();
    let mut by_thread: HashMap<usize, usize> = HashMap::new();
    let mut by_component: HashMap<usize, usize> = HashMap::new();
    for i in 0..messages.len() {
        *by_pair.entry((tids[i], threads.thread_of[i])).or_default() += 1;
        *by_tid.entry(tids[i]).or_default() += 1;
        *by_thread.entry(threads.thread_of[i]).or_default() += 1;
        *by_component.entry(components[i]).or_default() += 1;
    }
    println!(
        "index thread ids: {}, threads: {}, components: {}",
        by_tid.len(),
        by_thread.len(),
        by_component.len()
    );
    assert_eq!(
        by_tid.len(),
        by_component.len(),
        "tids are not the components"
    );
    assert_eq!(by_pair.len(), by_thread.len(), "a thread spans two tids");
    assert_eq!(by_pair.len(), by_tid.len(), "a tid holds two threads");
}

/// Print every cluster where the two partitions differ: a public-inbox
/// thread we split, or one of our threads that public-inbox splits.
fn report_disagreements(messages: &[Message], threads: &thread::Threads, theirs: &[String]) {
    let ours = &threads.thread_of;
    let mut by_theirs: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut by_ours: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..messages.len() {
        by_theirs.entry(theirs[i].as_str()).or_default().push(i);
        by_ours.entry(ours[i]).or_default().push(i);
    }
    let show = |i: usize| {
        let m = &messages[i];
        let th = threads.of(i);
        format!(
            "    [{}] <{}> ours={} pi={} irt={:?} refs={} {:?}",
            m.seq,
            m.message_id,
            th.id,
            theirs[i],
            m.in_reply_to,
            m.references.len(),
            m.subject
        )
    };
    let mut split = 0;
    for (tid, members) in &by_theirs {
        let mut parts: Vec<usize> = members.iter().map(|&i| ours[i]).collect();
        parts.sort_unstable();
        parts.dedup();
        if parts.len() > 1 {
            split += 1;
            println!(
                "public-inbox thread {tid} ({} messages) is {} threads of ours:",
                members.len(),
                parts.len()
            );
            for &t in &parts {
                let in_part: Vec<usize> =
                    members.iter().copied().filter(|&i| ours[i] == t).collect();
                println!(
                    "  our thread {} ({} here):",
                    threads.threads[t].id,
                    in_part.len()
                );
                for &i in in_part.iter().take(3) {
                    println!("{}", show(i));
                }
            }
        }
    }
    let mut merged = 0;
    for (t, members) in &by_ours {
        let mut parts: Vec<&str> = members.iter().map(|&i| theirs[i].as_str()).collect();
        parts.sort_unstable();
        parts.dedup();
        if parts.len() > 1 {
            merged += 1;
            println!(
                "our thread {} ({} messages) is {} public-inbox threads:",
                threads.threads[*t].id,
                members.len(),
                parts.len()
            );
            for p in &parts {
                let in_part: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&i| theirs[i] == *p)
                    .collect();
                println!("  public-inbox thread {p} ({} here):", in_part.len());
                for &i in in_part.iter().take(3) {
                    println!("{}", show(i));
                }
            }
        }
    }
    println!(
        "disagreements: {split} public-inbox threads split by us, {merged} of our threads split by public-inbox"
    );
}
