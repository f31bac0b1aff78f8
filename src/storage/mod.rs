//! Storage: a list's mirror on disk and the index built from it.
//!
//! - [`mirror`]: clone/fetch the epochs (`DIR/LIST/git/N.git`), checking
//!   that fetched history is the list's own before it replaces anything;
//! - [`walk`]: the commits of an epoch → parsed messages, in parallel;
//! - [`index`]: the SQLite index of every message, updated incrementally,
//!   with [`tid`] (public-inbox's thread ids kept as mail arrives);
//! - [`archive`]: mirror, index and summary store of one list behind one
//!   type, with the lock policy.

pub mod archive;
pub mod index;
pub mod mirror;
pub mod tid;
pub mod walk;
