//! The document model of a window: its threads with their history, series
//! and review facts, totals by kind and a data-quality appendix. `threads
//! --json` prints it; the reports render it (Markdown, HTML and JSON from
//! the one model, so they always agree).
//!
//! One room each: `view` holds the document's types;
//! [`gather`](fn@gather) reads what a window needs from the archive
//! (indexed queries and blobs) and [`assemble`](fn@assemble) makes the
//! document from that alone (pure); `quality` is the data-quality appendix
//! and `across` review followed across the versions of a series. [`build`]
//! is the two in a row.

use crate::analysis::KindRules;
use crate::error::Result;
use crate::storage::archive::Archive;
use crate::window::Window;

mod across;
mod assemble;
#[cfg(test)]
mod fixtures;
mod gather;
mod quality;
mod view;

pub use across::{Across, Changelog, MAX_PREVIOUS_REVIEW, PreviousReply, VersionLinks};
pub use assemble::assemble;
pub use gather::{Body, Gathered, applied_notices, count_senders, gather, senders_of};
pub use quality::{DATE_SKEW_SECS, Quality, QualityItem};
pub use view::{
    B4, BIG_THREAD, Digest, GivenTrailer, KindCount, MessageView, Notice, Person, Review, Series,
    ThreadRef, ThreadView, Totals, format_from, mid_escape,
};

/// How to build a digest.
#[derive(Debug, Clone)]
pub struct Options {
    /// Base of message links; the escaped Message-ID and `/` are appended.
    pub link_base: String,
    pub kinds: KindRules,
    /// Keep each mail's decoded text in the model (for summaries).
    pub keep_bodies: bool,
}

impl Options {
    pub fn for_list(list: &str) -> Options {
        Options {
            link_base: format!("https://lore.kernel.org/{list}/"),
            kinds: KindRules::builtin().clone(),
            keep_bodies: true,
        }
    }
}

/// Build the digest of `window`: [`gather`](fn@gather) what the archive
/// holds for it, then [`assemble`](fn@assemble) the document from that
/// alone.
pub fn build(archive: &Archive, window: &Window, opts: &Options) -> Result<Digest> {
    let g = gather(archive, window, opts.keep_bodies)?;
    Ok(assemble(g, window, opts))
}
