//! lore-digest: mirror a public-inbox archive, index it, rebuild threads and
//! write digests. One module per stage; the binary only wires them.
//!
//! Data flow: [`mirror`] (clone/fetch epochs) → [`walk`] (commits → parsed
//! messages, in parallel, via [`mail`]) → [`index`] (SQLite) → later stages.

pub mod analysis;
pub mod archive;
pub mod cli;
pub mod config;
pub mod digest;
pub mod error;
pub mod fsutil;
pub mod index;
pub mod mail;
pub mod mirror;
pub mod msgtime;
pub mod progress;
pub mod report;
pub mod summarize;
pub mod thread;
pub mod tid;
pub mod walk;
pub mod window;

pub use error::{Error, Result};
