//! The document model of a window: its threads with their history, series
//! and review facts, totals by kind and a data-quality appendix. `threads
//! --json` prints it; the reports render it (Markdown, HTML and JSON from
//! the one model, so they always agree).
//!
//! One room each: `view` holds the document's types and `quality` those of
//! its data-quality appendix; [`gather`](fn@gather) reads what a window
//! needs from the archive (indexed queries and blobs) and
//! [`assemble`](fn@assemble) makes the document from that alone (pure);
//! `across` follows review across the versions of a series; `facts`
//! writes a thread's FACTS block (for the model and the grounding check). [`build`] is
//! gather then assemble. The files import downwards only: assemble uses
//! gather, across, view and quality; gather uses across and view; across
//! uses view; view uses quality.

use crate::error::Result;
use crate::storage::archive::Archive;
use crate::window::Window;

mod across;
mod assemble;
pub mod facts;
#[cfg(test)]
mod fixtures;
mod gather;
pub mod ledger;
mod quality;
mod view;

pub use across::VersionLinks;
pub use assemble::{Options, assemble};
pub use gather::{Gathered, applied_notices, count_senders, gather, gather_threads, senders_of};
pub use quality::{DATE_SKEW_SECS, Quality, QualityItem};
pub use view::{
    Across, B4, BIG_THREAD, Body, Changelog, Digest, GivenTrailer, KindCount, MAX_PREVIOUS_REVIEW,
    MessageView, Notice, Person, PreviousReply, Review, Series, ThreadRef, ThreadView, Totals,
    format_from, mid_escape,
};

/// Build the digest of `window`: [`gather`](fn@gather) what the archive
/// holds for it, then [`assemble`](fn@assemble) the document from that
/// alone.
pub fn build(archive: &Archive, window: &Window, opts: &Options) -> Result<Digest> {
    let g = gather(archive, window, opts.keep_bodies)?;
    Ok(assemble(g, window, opts))
}
