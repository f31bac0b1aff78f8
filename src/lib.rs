//! lore-digest: mirror a public-inbox archive, index it, rebuild its
//! threads, summarize them and write dated digests.
//!
//! Layers point only down. [`cli`] (the binary's clap types) resolves flags,
//! the configuration and the environment into plans; [`commands`] runs a
//! plan through the stages:
//!
//! - [`storage::mirror`]: clone/fetch the epochs (`DIR/LIST/git/N.git`), checking
//!   that fetched history is the list's own before it replaces anything;
//! - [`storage::walk`]: the commits of an epoch → parsed messages, in parallel,
//!   through [`mail`] and [`msgtime`];
//! - [`storage::index`]: the SQLite index of every message, updated incrementally;
//!   [`storage::archive`] keeps mirror and index in step behind one type and owns the
//!   lock policy;
//! - [`window`]: which messages a command looks at (weeks, days, last N,
//!   commit ranges);
//! - [`thread`] (JWZ with ghosts) and [`analysis`] (kinds, series, review
//!   trailers, people): pure functions;
//! - [`digest`]: a window's threads with their history and facts;
//! - [`summarize`]: one summary per thread from Ollama, an OpenAI-compatible
//!   server or the extractive fallback, cached in `summaries.sqlite3`;
//! - [`report`]: Markdown, HTML and JSON, written atomically, and the index
//!   page.

/// `println!` for command output: when the reader goes away
/// (`lore-digest threads --json | head`) the program ends quietly, as a Unix
/// filter does, instead of panicking on the closed pipe. (SIGPIPE itself
/// stays ignored: git transports write to pipes of child processes.)
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            eprintln!("lore-digest: error: writing to standard output: {e}");
            std::process::exit(1);
        }
    }};
}

pub mod analysis;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod digest;
pub mod error;
pub mod fsutil;
pub mod grounding;
pub mod lang;
pub mod mail;
pub mod msgtime;
pub mod net;
pub mod progress;
pub mod report;
pub mod storage;
pub mod summarize;
pub mod thread;
pub mod volume;
pub mod watch;
pub mod window;

pub use error::{Error, Result};
