//! Command line: parses arguments and wires the stages together. No logic of
//! its own beyond choosing what to call.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::archive::{Archive, SyncOptions};
use crate::config::Config;
use crate::digest;
use crate::error::{Error, Result};
use crate::index::TimeField;
use crate::mirror::{Source, Wait};
use crate::progress::Progress;
use crate::window::{self, Window, WindowSpec};

pub const DEFAULT_LIST: &str = "kvmarm";

#[derive(Debug, Parser)]
#[command(
    name = "lore-digest",
    version,
    about = "Mirror a public-inbox mailing-list archive, rebuild its threads and write dated digests",
    long_about = "lore-digest mirrors a public-inbox v2 archive (such as lore.kernel.org/kvmarm) as git, \
indexes every message, rebuilds the threads and writes dated Markdown/HTML digests.\n\n\
Start with `lore-digest sync LIST` (or `sync LIST --url file:///path/to/N.git` for a local copy), \
then `lore-digest report LIST --week 2022-W10` (Markdown + HTML under ./reports; `--no-llm` for \
summaries without a model). `lore-digest threads` and `stats` print the same data for scripts."
)]
pub struct Cli {
    /// Folder holding mirrors and indexes (DIR/LIST/git/N.git, DIR/LIST/index.sqlite3).
    #[arg(long, global = true, env = "LORE_DIGEST_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// No progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Configuration file (default: ./lore-digest.toml, else ~/.config/lore-digest/lore-digest.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Clone or fetch every epoch of a list's archive, then update the index.
    Sync(SyncArgs),
    /// Update (or with --rebuild, recreate) the index from the mirror on disk.
    Index(IndexArgs),
    /// Count messages and senders in a window.
    Stats(StatsArgs),
    /// The threads of a window with their series and review facts, as a table or JSON.
    Threads(ThreadsArgs),
    /// Write the digest of a window as Markdown, HTML and JSON under OUT/LIST/YYYY/.
    Report(Box<ReportArgs>),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// List name (default kvmarm, or [defaults] list of the config).
    pub list: Option<String>,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Output formats, comma separated: md, html, json (default md,html).
    #[arg(long)]
    pub format: Option<String>,
    /// Report language: zh (default) or en.
    #[arg(long, value_parser = ["zh", "en"])]
    pub lang: Option<String>,
    /// Folder of the reports (default ./reports).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write the weekly reports missing since --since (to --until or the last full week).
    #[arg(long, requires = "since")]
    pub backfill: bool,
    /// No language model: extractive summaries (facts, cover letter, who said what).
    #[arg(long)]
    pub no_llm: bool,
    /// Summary backend: ollama (default), openai (any /v1/chat/completions server) or extractive.
    #[arg(long, value_parser = ["ollama", "openai", "extractive"])]
    pub backend: Option<String>,
    /// Model name (default qwen2.5:7b-instruct).
    #[arg(long)]
    pub model: Option<String>,
    /// Ollama server (default $OLLAMA_HOST, else http://127.0.0.1:11434).
    #[arg(long)]
    pub ollama_url: Option<String>,
    /// Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1.
    #[arg(long)]
    pub llm_url: Option<String>,
    /// Summary requests in flight (default 2).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Context length asked of the model (tokens).
    #[arg(long)]
    pub num_ctx: Option<u32>,
    /// Seconds to wait for one model answer.
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Ask the model again even for threads whose summary is cached.
    #[arg(long)]
    pub refresh_summaries: bool,
    /// Wait for another lore-digest working on this list (a sync, say), up to SECONDS
    /// (forever without a value), instead of exiting with status 75.
    #[arg(long, value_name = "SECONDS", num_args = 0..=1, require_equals = true)]
    pub wait: Option<Option<u64>>,
    /// Base of message links (default: link_base of the list in the config, else
    /// https://lore.kernel.org/LIST/).
    #[arg(long, value_name = "URL")]
    pub link_base: Option<String>,
}

#[derive(Debug, Args)]
pub struct ThreadsArgs {
    /// List name (default kvmarm).
    pub list: Option<String>,
    #[command(flatten)]
    pub window: WindowArgs,
    /// JSON on stdout: {"window", "epochs", "totals", "threads": [...], "quality"}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// List name (folder DIR/LIST); default kvmarm.
    pub list: Option<String>,
    /// Where to fetch from: a public-inbox base URL (https://lore.kernel.org/LIST, the default),
    /// one epoch (https://…/LIST/0, file://…/N.git, a path) or a local inbox folder with git/N.git
    /// (used in place). Remembered for later syncs.
    #[arg(long)]
    pub url: Option<String>,
    /// Only mirror; do not update the index.
    #[arg(long)]
    pub no_index: bool,
    /// Mirror --url even though its history is not this list's (another archive): the list's
    /// mirror, index and summaries are thrown away once the new archive is complete.
    #[arg(long)]
    pub replace: bool,
    /// Wait for another lore-digest (or git run by grokmirror or public-inbox) working on this
    /// list, up to SECONDS (forever without a value), instead of exiting with status 75.
    #[arg(long, value_name = "SECONDS", num_args = 0..=1, require_equals = true)]
    pub wait: Option<Option<u64>>,
    /// Print what was done as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// List name (default kvmarm).
    pub list: Option<String>,
    /// Delete the index and build it again from the mirror.
    #[arg(long)]
    pub rebuild: bool,
}

/// Which messages a command looks at.
#[derive(Debug, Args, Clone, Default)]
pub struct WindowArgs {
    /// ISO week, e.g. 2022-W10 (Monday 00:00 to Monday 00:00 in --tz).
    #[arg(long, conflicts_with_all = ["since", "until", "last"])]
    pub week: Option<String>,
    /// First day (YYYY-MM-DD), inclusive; or an exact RFC 3339 time (2022-03-07T10:00:00Z).
    /// Without --until the window ends today (a day) or now (an exact time).
    #[arg(long, conflicts_with = "last")]
    pub since: Option<String>,
    /// Last day (YYYY-MM-DD), inclusive; or an exact RFC 3339 time, exclusive. Without --since
    /// the window starts at the first mail of the archive (or of the --range).
    #[arg(long, conflicts_with = "last")]
    pub until: Option<String>,
    /// The last period before now: 7d, 36h, 2w, 90m.
    #[arg(long)]
    pub last: Option<String>,
    /// Only messages of these commits: [EPOCH:]FROM..TO, comma separated; FROM exclusive, TO
    /// inclusive, either may be empty (root, tip).
    #[arg(long)]
    pub range: Option<String>,
    /// Time zone of the window and of displayed times (IANA name; default UTC).
    #[arg(long)]
    pub tz: Option<String>,
    /// Window by received time (as public-inbox's `ts`, the default) or by the Date header.
    #[arg(long, value_parser = ["received", "date"], default_value = "received")]
    pub by: String,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// List name (default kvmarm).
    pub list: Option<String>,
    #[command(flatten)]
    pub window: WindowArgs,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Default data dir: $XDG_DATA_HOME/lore-digest or ~/.local/share/lore-digest.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("lore-digest");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".local/share/lore-digest"),
        None => PathBuf::from("lore-digest-data"),
    }
}

/// Current time, or SOURCE_DATE_EPOCH when set (reproducible builds).
pub fn now() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| chrono::Utc::now().timestamp())
}

impl WindowArgs {
    /// Resolve to a window; `default` applies when no option was given.
    pub fn resolve(
        &self,
        archive: &Archive,
        default: WindowSpec,
        config: &Config,
    ) -> Result<Window> {
        self.resolve_at(archive, default, config, now())
    }

    /// [`WindowArgs::resolve`] at the time `now` (UTC seconds): a report
    /// reads the clock once, so its window and generation time agree.
    pub fn resolve_at(
        &self,
        archive: &Archive,
        default: WindowSpec,
        config: &Config,
        now: i64,
    ) -> Result<Window> {
        let tz = self
            .tz
            .clone()
            .or_else(|| config.defaults.tz.clone())
            .unwrap_or_else(|| "UTC".to_string());
        let zone = window::parse_tz(&tz)?;
        let field = if self.by == "date" {
            TimeField::Date
        } else {
            TimeField::Received
        };
        let spec = self.spec(default)?;
        let ranges = match &self.range {
            Some(r) => Some(archive.resolve_ranges(&window::parse_ranges(r)?)?),
            None => None,
        };
        let span = if spec.needs_mail_span() {
            archive.mail_span(field, ranges.as_ref().map(|(s, _)| s.as_slice()))?
        } else {
            None
        };
        let mut w = window::resolve_in(&spec, zone, field, now, span);
        if let WindowSpec::Between {
            since: Some(_),
            until,
        } = &spec
            && w.end <= w.start
        {
            return Err(Error::Usage(match until {
                Some(_) => "--until is not after --since".to_string(),
                None => format!(
                    "--since {}: the window would end before it starts (now is {})",
                    self.since.as_deref().unwrap_or_default(),
                    digest::iso(now)
                ),
            }));
        }
        if let Some((seqs, outs)) = ranges {
            w.seq_ranges = Some(seqs);
            w.ranges = Some(outs);
        }
        Ok(w)
    }
}

impl WindowArgs {
    /// The window asked for (`default` when no option was given).
    pub fn spec(&self, default: WindowSpec) -> Result<WindowSpec> {
        if let Some(w) = &self.week {
            return window::parse_week(w);
        }
        if let Some(l) = &self.last {
            return window::parse_last(l);
        }
        if self.since.is_some() || self.until.is_some() {
            let bound = |flag: &str, s: &str| -> Result<window::Bound> {
                Ok(if s.contains('T') {
                    window::Bound::Instant(window::parse_instant(flag, s)?)
                } else {
                    window::Bound::Day(window::parse_day(flag, s)?)
                })
            };
            let since = self
                .since
                .as_deref()
                .map(|s| bound("--since", s))
                .transpose()?;
            let until = self
                .until
                .as_deref()
                .map(|s| bound("--until", s))
                .transpose()?;
            if let (Some(window::Bound::Day(since)), Some(window::Bound::Day(until))) =
                (since, until)
            {
                if until < since {
                    return Err(Error::Usage(format!(
                        "--until {until} is before --since {since}"
                    )));
                }
                return Ok(WindowSpec::Days { since, until });
            }
            return Ok(WindowSpec::Between { since, until });
        }
        if self.range.is_some() {
            return Ok(WindowSpec::All);
        }
        Ok(default)
    }
}

/// Run a parsed command line; returns the process exit status.
pub fn run(cli: Cli) -> Result<i32> {
    let config = Config::load(cli.config.as_deref())?;
    let data_dir = cli
        .data_dir
        .clone()
        .or_else(|| config.defaults.data_dir.clone())
        .unwrap_or_else(default_data_dir);
    let progress = Progress::new(cli.quiet);
    let list_of = |l: &Option<String>| {
        l.clone()
            .or_else(|| config.defaults.list.clone())
            .unwrap_or_else(|| DEFAULT_LIST.to_string())
    };
    match cli.command {
        Command::Sync(a) => cmd_sync(&data_dir, &list_of(&a.list), &a, &config, &progress),
        Command::Index(a) => cmd_index(&data_dir, &list_of(&a.list), a.rebuild, &progress),
        Command::Stats(a) => cmd_stats(&data_dir, &list_of(&a.list), &a, &config, &progress),
        Command::Threads(a) => cmd_threads(&data_dir, &list_of(&a.list), &a, &config, &progress),
        Command::Report(a) => {
            crate::report::cmd::run(&data_dir, &list_of(&a.list), &a, &config, &progress)
        }
    }
}

fn cmd_threads(
    data_dir: &std::path::Path,
    list: &str,
    a: &ThreadsArgs,
    config: &Config,
    progress: &Progress,
) -> Result<i32> {
    let archive = open_for_reading(data_dir, list, progress)?;
    let window = a
        .window
        .resolve(&archive, WindowSpec::Last { seconds: 7 * 86400 }, config)?;
    let opts = digest::Options {
        link_base: config.link_base(list),
        kinds: config.kinds.clone(),
        keep_bodies: false,
    };
    let d = digest::build(&archive, &window, &opts)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&d).expect("serializes"));
        return Ok(0);
    }
    println!(
        "{list} {} ({} .. {}, {}): {} messages in {} threads ({} new, {} big), {} participants, {} history messages",
        d.window.label,
        d.window.first_day,
        d.window.last_day,
        d.window.tz,
        d.totals.messages,
        d.totals.threads,
        d.totals.new_threads,
        d.totals.big_threads,
        d.totals.participants,
        d.totals.history_messages
    );
    println!(
        "{:<15} {:>4} {:>4} {:>4}  subject",
        "kind", "win", "hist", "ppl"
    );
    for t in &d.threads {
        let subject: String = t.subject.chars().take(100).collect();
        println!(
            "{:<15} {:>4} {:>4} {:>4}  {}",
            t.kind.as_str(),
            t.window_messages,
            t.history_messages,
            t.participants.len(),
            subject
        );
    }
    Ok(0)
}

fn cmd_sync(
    data_dir: &std::path::Path,
    list: &str,
    a: &SyncArgs,
    config: &Config,
    progress: &Progress,
) -> Result<i32> {
    let url = a.url.clone().or_else(|| config.list(list).url);
    let source = url.as_deref().map(Source::parse).transpose()?;
    let t0 = std::time::Instant::now();
    let opts = SyncOptions {
        no_index: a.no_index,
        wait: Wait::from_flag(a.wait),
        replace: a.replace,
    };
    let synced = Archive::sync(data_dir, list, source, opts, progress)?;
    let archive = &synced.archive;
    let total = archive.index.count()?;
    if a.json {
        #[derive(Serialize)]
        struct Out<'a> {
            list: &'a str,
            epochs: &'a [crate::mirror::EpochSync],
            index: Option<&'a crate::index::IndexStats>,
            messages: u64,
            replaced: bool,
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&Out {
                list,
                epochs: &synced.epochs,
                index: synced.index.as_ref(),
                messages: total,
                replaced: synced.replaced,
            })
            .expect("serializes")
        );
    } else {
        for e in &synced.epochs {
            eprintln!(
                "{list}: epoch {} {} (tip {})",
                e.epoch,
                e.action,
                e.tip
                    .as_deref()
                    .map(|t| &t[..12.min(t.len())])
                    .unwrap_or("none")
            );
        }
        if let Some(s) = &synced.index {
            eprintln!(
                "{list}: indexed {} new message(s), {} removal(s), {} unreadable commit(s) in {:.2?}; {} messages in the index",
                s.added,
                s.deleted,
                s.errors,
                t0.elapsed(),
                total
            );
        }
    }
    report_walk_errors(archive, progress)?;
    Ok(0)
}

fn report_walk_errors(archive: &Archive, progress: &Progress) -> Result<()> {
    let errors = archive.index.walk_errors()?;
    for (epoch, commit, err) in errors.iter().take(5) {
        progress.note(&format!(
            "list {}: epoch {epoch} commit {commit}: {err} (skipped)",
            archive.mirror.list
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

fn cmd_index(
    data_dir: &std::path::Path,
    list: &str,
    rebuild: bool,
    progress: &Progress,
) -> Result<i32> {
    let (archive, s) = Archive::reindex(data_dir, list, rebuild, progress)?;
    eprintln!(
        "{list}: indexed {} new message(s), {} removal(s), {} unreadable commit(s); {} messages in the index",
        s.added,
        s.deleted,
        s.errors,
        archive.index.count()?
    );
    report_walk_errors(&archive, progress)?;
    Ok(0)
}

/// Open a list for reading: the index, refreshed from the mirror when
/// behind. Fails with advice when there is nothing to read.
pub fn open_for_reading(
    data_dir: &std::path::Path,
    list: &str,
    progress: &Progress,
) -> Result<Archive> {
    Archive::open_for_reading(data_dir, list, progress)
}

#[derive(Debug, Serialize)]
pub struct StatsOut {
    pub list: String,
    pub window: Window,
    pub messages: usize,
    pub senders: usize,
    pub epochs: Vec<crate::window::RangeOut>,
}

fn cmd_stats(
    data_dir: &std::path::Path,
    list: &str,
    a: &StatsArgs,
    config: &Config,
    progress: &Progress,
) -> Result<i32> {
    let archive = open_for_reading(data_dir, list, progress)?;
    let window = a
        .window
        .resolve(&archive, WindowSpec::Last { seconds: 7 * 86400 }, config)?;
    let msgs = archive.messages(&window)?;
    let senders: BTreeSet<String> = msgs
        .iter()
        .map(|m| {
            if m.from_addr.is_empty() {
                m.from_name.to_lowercase()
            } else {
                m.from_addr.to_lowercase()
            }
        })
        .collect();
    let out = StatsOut {
        list: list.to_string(),
        messages: msgs.len(),
        senders: senders.len(),
        epochs: match &window.ranges {
            Some(r) => r.clone(),
            None => archive.current_ranges()?,
        },
        window,
    };
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out).expect("serializes")
        );
    } else {
        println!(
            "{list} {} ({} .. {}, {}, by {} time): {} messages from {} senders",
            out.window.label,
            out.window.first_day,
            out.window.last_day,
            out.window.tz,
            out.window.by,
            out.messages,
            out.senders
        );
    }
    Ok(0)
}
