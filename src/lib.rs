//! lore-digest: mirror a public-inbox archive, index it, rebuild threads and
//! write digests. One module per stage; the binary only wires them.
//!
//! Data flow: [`mirror`] (clone/fetch epochs) → [`walk`] (commits → parsed
//! messages, in parallel, via [`mail`]) → [`index`] (SQLite) → later stages.

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
pub mod archive;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod digest;
pub mod error;
pub mod fsutil;
pub mod index;
pub mod mail;
pub mod mirror;
pub mod msgtime;
pub mod net;
pub mod progress;
pub mod report;
pub mod summarize;
pub mod thread;
pub mod walk;
pub mod window;

pub use error::{Error, Result};
