//! `lore-digest threads`: the window's threads with their facts, as a table
//! or JSON.

use std::path::PathBuf;

use super::WindowRequest;
use crate::analysis::KindRules;
use crate::digest;
use crate::error::Result;
use crate::progress::Progress;
use crate::storage::archive::Archive;

/// What `threads` does.
#[derive(Debug, Clone)]
pub struct ThreadsPlan {
    pub data_dir: PathBuf,
    pub list: String,
    pub window: WindowRequest,
    pub json: bool,
    /// Write the window's threads as an mboxrd file here.
    pub mbox: Option<PathBuf>,
    pub link_base: String,
    pub kinds: KindRules,
}

pub fn run(plan: &ThreadsPlan, progress: &Progress) -> Result<i32> {
    let list = plan.list.as_str();
    let archive = Archive::open_for_reading(&plan.data_dir, list, progress)?;
    let window = plan.window.resolve(&archive, crate::clock::now())?;
    let opts = digest::Options {
        link_base: plan.link_base.clone(),
        kinds: plan.kinds.clone(),
        keep_bodies: false,
    };
    let d = digest::build(&archive, &window, &opts)?;
    if let Some(path) = &plan.mbox {
        write_mbox(&archive, &d.threads, path)?;
        if !plan.json {
            return Ok(0);
        }
    }
    if plan.json {
        crate::outln!("{}", serde_json::to_string_pretty(&d).expect("serializes"));
        return Ok(0);
    }
    crate::outln!(
        "{list} {} ({} .. {}, {}): {} messages in {} threads ({} new, {} big), {} participants, {} history messages",
        d.window.label,
        d.window.first_day,
        d.window.last_day,
        d.window.tz(),
        d.totals.messages,
        d.totals.threads,
        d.totals.new_threads,
        d.totals.big_threads,
        d.totals.participants,
        d.totals.history_messages
    );
    crate::outln!(
        "{:<15} {:>4} {:>4} {:>4}  subject",
        "kind",
        "win",
        "hist",
        "ppl"
    );
    for t in &d.threads {
        let subject: String = t.subject.chars().take(100).collect();
        crate::outln!(
            "{:<15} {:>4} {:>4} {:>4}  {}",
            t.kind.as_str(),
            t.window_messages,
            t.history_messages,
            t.participants.len(),
            subject
        );
    }
    Ok(0)
}

/// The Message-IDs of `threads`' mails, each once: thread by thread, each
/// thread depth first from its root (replies in time order).
/// Write every mail of `threads` once, in thread order, as an mboxrd file
/// at `path` (atomically); say how many on stderr.
pub(super) fn write_mbox(
    archive: &Archive,
    threads: &[digest::ThreadView],
    path: &std::path::Path,
) -> Result<()> {
    let mids = thread_order(threads);
    let raw = archive.raw_mails(&mids)?;
    let missing = raw.iter().filter(|r| r.is_none()).count();
    let bytes = crate::mbox::mboxrd(raw.iter().flatten().map(Vec::as_slice));
    crate::fsutil::write_atomic(path, &bytes)?;
    let note = if missing > 0 {
        format!(" ({missing} could not be read)")
    } else {
        String::new()
    };
    eprintln!(
        "{}: {} mails of {} threads{note}",
        path.display(),
        mids.len() - missing,
        threads.len()
    );
    Ok(())
}

pub(super) fn thread_order(threads: &[digest::ThreadView]) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for t in threads {
        let ids: std::collections::HashSet<&str> =
            t.messages.iter().map(|m| m.message_id.as_str()).collect();
        let mut children: std::collections::HashMap<Option<&str>, Vec<&str>> =
            std::collections::HashMap::new();
        for m in &t.messages {
            let parent = m.parent.as_deref().filter(|p| ids.contains(p));
            children
                .entry(parent)
                .or_default()
                .push(m.message_id.as_str());
        }
        let mut stack: Vec<&str> = children.get(&None).cloned().unwrap_or_default();
        stack.reverse();
        while let Some(mid) = stack.pop() {
            if !seen.insert(mid) {
                continue;
            }
            out.push(mid);
            if let Some(kids) = children.get(&Some(mid)) {
                stack.extend(kids.iter().rev());
            }
        }
        // Mails in a cycle of parents, never reached from a root.
        for m in &t.messages {
            if seen.insert(m.message_id.as_str()) {
                out.push(m.message_id.as_str());
            }
        }
    }
    out
}
