//! Commands: one module per subcommand (sync, index, stats, threads,
//! report). Each takes a typed plan, made once by the CLI from flags,
//! configuration and defaults, and runs the stages below it. Nothing here
//! knows the command line.

pub mod index;
pub mod report;
pub mod stats;
pub mod summaries;
pub mod sync;
pub mod synthesis;
pub mod threads;

use chrono_tz::Tz;

use crate::error::{Error, Result};
use crate::storage::archive::Archive;
use crate::storage::index::TimeField;
use crate::window::{self, Bound, RangeArg, Window, WindowSpec};

/// A window may end this long after the newest mail before a command says
/// that it may be incomplete: a quiet day on a list is no reason to sync.
pub const STALE_GRACE_SECS: i64 = 86400;

/// When the window reaches past the newest mail (by the window's time
/// field, within its `--range`), say so on stderr ("LIST: newest mail …:
/// this window may be incomplete; run sync") and give the newest mail's
/// time in the window's zone; None when the archive is current.
pub fn stale_note(
    archive: &Archive,
    window: &Window,
    progress: &crate::progress::Progress,
) -> Result<Option<String>> {
    use chrono::TimeZone;
    let Some((_, newest)) = archive.mail_span(window.field, window.seq_ranges.as_deref())? else {
        return Ok(None);
    };
    if window.end <= newest.saturating_add(STALE_GRACE_SECS) {
        return Ok(None);
    }
    let when = window
        .zone
        .timestamp_opt(newest, 0)
        .single()
        .map(|d| format!("{} {}", d.format("%Y-%m-%d %H:%M"), window.tz()))
        .unwrap_or_else(|| crate::clock::iso(newest));
    progress.note(&format!(
        "{}: newest mail {when}: this window may be incomplete; run sync",
        archive.list()
    ));
    Ok(Some(when))
}

/// The window as asked for, before it meets an archive: the time window, its
/// zone and time field, and the commit ranges that restrict it.
#[derive(Debug, Clone)]
pub struct WindowRequest {
    pub spec: WindowSpec,
    pub zone: Tz,
    pub field: TimeField,
    pub ranges: Option<Vec<RangeArg>>,
}

impl WindowRequest {
    /// The window at the time `now` (UTC seconds; a report reads the clock
    /// once, so its window and generation time agree): commit ranges found
    /// in the index, an open start taken from the first mail.
    pub fn resolve(&self, archive: &Archive, now: i64) -> Result<Window> {
        let ranges = match &self.ranges {
            Some(r) => Some(archive.resolve_ranges(r)?),
            None => None,
        };
        let span = if self.spec.needs_mail_span() {
            archive.mail_span(self.field, ranges.as_ref().map(|(s, _)| s.as_slice()))?
        } else {
            None
        };
        let mut w = window::resolve_in(&self.spec, self.zone, self.field, now, span);
        if let WindowSpec::Between {
            since: Some(since),
            until,
        } = &self.spec
            && w.end <= w.start
        {
            return Err(Error::Usage(match until {
                Some(_) => "--until is not after --since".to_string(),
                None => format!(
                    "--since {}: the window would end before it starts (now is {})",
                    match since {
                        Bound::Day(d) => d.to_string(),
                        Bound::Instant(t) => crate::clock::iso(*t),
                    },
                    crate::clock::iso(now)
                ),
            }));
        }
        if let Some((seqs, outs)) = ranges {
            w.seq_ranges = Some(seqs);
            w.ranges = Some(outs);
        }
        Ok(w)
    }

    /// The same zone, field and ranges for another time window.
    pub fn with_spec(&self, spec: WindowSpec) -> WindowRequest {
        WindowRequest {
            spec,
            ..self.clone()
        }
    }
}
