//! Progress display on stderr: bars and spinners only when stderr is a
//! terminal; notes always.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Clone)]
pub struct Progress {
    enabled: bool,
}

/// A running spinner or bar; hidden when progress is off.
pub struct Task {
    bar: ProgressBar,
}

impl Task {
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    pub fn set_length(&self, n: u64) {
        self.bar.set_length(n);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

impl Progress {
    /// Bars on stderr when it is a terminal and `quiet` is off.
    pub fn new(quiet: bool) -> Progress {
        Progress {
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// No bars at all (tests, library use).
    pub fn hidden() -> Progress {
        Progress { enabled: false }
    }

    pub fn spinner(&self, msg: &str) -> Task {
        if !self.enabled {
            return Task {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(msg.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Task { bar }
    }

    pub fn bar(&self, len: u64, msg: &str) -> Task {
        if !self.enabled {
            return Task {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(msg.to_string());
        Task { bar }
    }

    /// A line for the user, always shown.
    pub fn note(&self, msg: &dyn std::fmt::Display) {
        eprintln!("lore-digest: {msg}");
    }
}
