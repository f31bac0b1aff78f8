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
