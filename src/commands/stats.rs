//! `lore-digest stats`: messages and distinct senders of a window.

use std::path::PathBuf;

use serde::Serialize;

use super::WindowRequest;
use crate::archive::Archive;
use crate::error::Result;
use crate::progress::Progress;
use crate::window::{RangeOut, Window};

/// What `stats` does.
#[derive(Debug, Clone)]
pub struct StatsPlan {
    pub data_dir: PathBuf,
    pub list: String,
    pub window: WindowRequest,
    pub json: bool,
}

#[derive(Debug, Serialize)]
pub struct StatsOut {
    pub list: String,
    pub window: Window,
    pub messages: usize,
    pub senders: usize,
    pub epochs: Vec<RangeOut>,
}

pub fn run(plan: &StatsPlan, progress: &Progress) -> Result<i32> {
    let archive = Archive::open_for_reading(&plan.data_dir, &plan.list, progress)?;
    let window = plan.window.resolve(&archive, crate::clock::now())?;
    let msgs = archive.messages(&window)?;
    let senders = crate::digest::count_senders(&archive, &msgs)?;
    let out = StatsOut {
        list: plan.list.clone(),
        messages: msgs.len(),
        senders,
        epochs: match &window.ranges {
            Some(r) => r.clone(),
            None => archive.current_ranges()?,
        },
        window,
    };
    if plan.json {
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&out).expect("serializes")
        );
    } else {
        crate::outln!(
            "{} {} ({} .. {}, {}, by {} time): {} messages from {} senders",
            plan.list,
            out.window.label,
            out.window.first_day,
            out.window.last_day,
            out.window.tz,
            out.window.by,
            out.messages,
            out.senders
        );
    }
    Ok(0)
}
