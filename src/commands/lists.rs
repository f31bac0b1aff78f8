//! `lore-digest lists`: the lists synced in the data dir, with their
//! source, epochs, messages, newest mail and last successful sync.

use std::path::PathBuf;

use serde::Serialize;

use crate::error::Result;
use crate::progress::Progress;
use crate::storage::archive::Archive;
use crate::storage::index::TimeField;
use crate::storage::mirror::Mirror;

/// What `lists` does.
#[derive(Debug, Clone)]
pub struct ListsPlan {
    pub data_dir: PathBuf,
    pub json: bool,
}

/// One synced list.
#[derive(Debug, Clone, Serialize)]
pub struct ListInfo {
    pub name: String,
    /// Where it is synced from (`sync --url`), as the next sync will use it.
    pub url: Option<String>,
    pub epochs: usize,
    pub messages: u64,
    /// Received time of the newest mail, RFC 3339 UTC.
    pub newest: Option<String>,
    /// End of the last sync that worked, RFC 3339 UTC (the time the mirror
    /// state was written, for mirrors of older releases).
    pub last_sync: Option<String>,
}

fn info(plan: &ListsPlan, name: &str, progress: &Progress) -> Result<ListInfo> {
    let mirror = Mirror::new(&plan.data_dir, name)?;
    let state = mirror.state()?;
    let last_sync = state.as_ref().and_then(|s| s.last_sync).or_else(|| {
        let m = std::fs::metadata(mirror.root.join("mirror.json")).ok()?;
        let t = m
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        i64::try_from(t.as_secs()).ok()
    });
    let archive = Archive::open_for_reading(&plan.data_dir, name, progress)?;
    Ok(ListInfo {
        name: name.to_string(),
        url: state.map(|s| s.source.url_arg()),
        epochs: archive.epoch_paths()?.len(),
        messages: archive.count()?,
        newest: archive
            .mail_span(TimeField::Received, None)?
            .map(|(_, end)| crate::clock::iso(end)),
        last_sync: last_sync.map(crate::clock::iso),
    })
}

/// The names of the lists in the data dir: folders with an index.
fn names(plan: &ListsPlan) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(&plan.data_dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = dir
        .flatten()
        .filter(|e| e.path().join("index.sqlite3").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    out.sort();
    out
}

pub fn run(plan: &ListsPlan, progress: &Progress) -> Result<i32> {
    let mut lists = Vec::new();
    for name in names(plan) {
        match info(plan, &name, progress) {
            Ok(i) => lists.push(i),
            Err(e) => eprintln!("lore-digest: {name}: {e}"),
        }
    }
    if plan.json {
        let doc = serde_json::json!({ "lists": lists });
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("serializes")
        );
        return Ok(0);
    }
    if lists.is_empty() {
        crate::outln!(
            "no list synced in {} (lore-digest sync LIST)",
            plan.data_dir.display()
        );
        return Ok(0);
    }
    for l in &lists {
        crate::outln!(
            "{:<16} {:>8} messages  {} epoch(s)  newest {}  synced {}  {}",
            l.name,
            l.messages,
            l.epochs,
            l.newest.as_deref().unwrap_or("-"),
            l.last_sync.as_deref().unwrap_or("-"),
            l.url.as_deref().unwrap_or("-")
        );
    }
    Ok(0)
}
