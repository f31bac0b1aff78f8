//! `lore-digest index`: update (or recreate) the index from the mirror.

use std::path::PathBuf;

use crate::error::Result;
use crate::progress::Progress;
use crate::storage::archive::Archive;

/// What `index` does.
#[derive(Debug, Clone)]
pub struct IndexPlan {
    pub data_dir: PathBuf,
    pub list: String,
    /// Delete the index and build it again.
    pub rebuild: bool,
    /// The options the series ledger is derived with (link base, kinds).
    pub ledger: crate::digest::Options,
}

pub fn run(plan: &IndexPlan, progress: &Progress) -> Result<i32> {
    let (mut archive, s) = Archive::reindex(&plan.data_dir, &plan.list, plan.rebuild, progress)?;
    let ledger = super::series::keep_ledger(&mut archive, &plan.ledger, progress)?;
    progress.note(&format!(
        "{}: indexed {} new message(s), {} removal(s), {} unreadable commit(s); {} messages in the index",
        plan.list,
        s.added,
        s.deleted,
        s.errors,
        archive.count()?
    ));
    if let Some(u) = ledger {
        progress.note(&format!("{}: series ledger {u}", plan.list));
    }
    report_walk_errors(&archive, progress)?;
    Ok(0)
}

/// Name the first unreadable commits (the run went on without them).
pub fn report_walk_errors(archive: &Archive, progress: &Progress) -> Result<()> {
    let errors = archive.walk_errors()?;
    for (epoch, commit, err) in errors.iter().take(5) {
        progress.note(&format!(
            "list {}: epoch {epoch} commit {commit}: {err} (skipped)",
            archive.list()
        ));
    }
    if errors.len() > 5 {
        progress.note(&format!(
            "… and {} more unreadable commits",
            errors.len() - 5
        ));
    }
    Ok(())
}
