//! `lore-digest sync`: clone or fetch the list's epochs, then index them.

use std::path::PathBuf;

use serde::Serialize;

use crate::error::Result;
use crate::progress::Progress;
use crate::storage::archive::{Archive, SyncOptions};
use crate::storage::mirror::Source;

/// What `sync` does, settled by the CLI.
#[derive(Debug, Clone)]
pub struct SyncPlan {
    pub data_dir: PathBuf,
    pub list: String,
    /// `--url` or the list's `url` in the config; None: the remembered source.
    pub source: Option<Source>,
    pub options: SyncOptions,
    /// What was done, as JSON on stdout.
    pub json: bool,
    /// The options the series ledger is derived with (link base, kinds).
    pub ledger: crate::digest::Options,
}

pub fn run(plan: &SyncPlan, progress: &Progress) -> Result<i32> {
    let list = plan.list.as_str();
    let t0 = std::time::Instant::now();
    let synced = Archive::sync(
        &plan.data_dir,
        list,
        plan.source.clone(),
        plan.options,
        progress,
    )?;
    let mut synced = synced;
    let ledger = if plan.options.no_index {
        None
    } else {
        super::series::keep_ledger(&mut synced.archive, &plan.ledger, progress)?
    };
    let archive = &synced.archive;
    let total = archive.count()?;
    if plan.json {
        #[derive(Serialize)]
        struct Out<'a> {
            list: &'a str,
            epochs: &'a [crate::storage::mirror::EpochSync],
            index: Option<&'a crate::storage::index::IndexStats>,
            messages: u64,
            replaced: bool,
            /// Series derived again by the ledger update (None: not updated).
            #[serde(skip_serializing_if = "Option::is_none")]
            ledger_series: Option<usize>,
        }
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&Out {
                list,
                epochs: &synced.epochs,
                index: synced.index.as_ref(),
                messages: total,
                replaced: synced.replaced,
                ledger_series: ledger.map(|u| u.series()),
            })
            .expect("serializes")
        );
    } else {
        for e in &synced.epochs {
            progress.note(&format!(
                "{list}: epoch {} {} (tip {})",
                e.epoch,
                e.action,
                e.tip
                    .as_deref()
                    .map(|t| &t[..12.min(t.len())])
                    .unwrap_or("none")
            ));
        }
        if let Some(s) = &synced.index {
            progress.note(&format!(
                "{list}: indexed {} new message(s), {} removal(s), {} unreadable commit(s) in {:.2?}; {} messages in the index",
                s.added,
                s.deleted,
                s.errors,
                t0.elapsed(),
                total
            ));
        }
        if let Some(u) = ledger {
            progress.note(&format!("{list}: series ledger {u}"));
        }
    }
    super::index::report_walk_errors(archive, progress)?;
    Ok(0)
}
