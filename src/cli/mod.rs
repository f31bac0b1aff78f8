//! Command line: the clap types, and the one place where flags, the
//! configuration file, the environment and the defaults are resolved into
//! the typed plans of [`crate::commands`] (as ripgrep turns its low-level
//! arguments into high-level ones). No command logic lives here, and nothing
//! below this layer knows the command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::{
    self, WindowRequest,
    index::IndexPlan,
    lists::ListsPlan,
    report::{Backfill, ReportPlan},
    series::SeriesPlan,
    stats::StatsPlan,
    sync::SyncPlan,
    threads::ThreadsPlan,
};
use crate::config::{Config, UrlList};
use crate::digest;
use crate::error::{Error, Result};
use crate::grounding::Mode;
use crate::lang::Lang;
use crate::progress::Progress;
use crate::report::Format;
use crate::storage::archive::SyncOptions;
use crate::storage::index::TimeField;
use crate::storage::mirror::{Source, Wait};
use crate::summarize::{Backend, Settings};
use crate::window::{self, WindowSpec};

mod generate;
mod summarizer;

use generate::generate;
use summarizer::summarizer_settings;

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
    #[arg(
        long,
        global = true,
        env = "LORE_DIGEST_DATA_DIR",
        value_name = "DIR",
        help_heading = "Global options"
    )]
    pub data_dir: Option<PathBuf>,

    /// No progress bars.
    #[arg(long, short, global = true, help_heading = "Global options")]
    pub quiet: bool,

    /// Configuration file (default: ./lore-digest.toml, else ~/.config/lore-digest/lore-digest.toml).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Global options"
    )]
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
    /// The synced lists: source URL, epochs, messages, newest mail, last sync.
    Lists(ListsArgs),
    /// Count messages and senders in a window.
    Stats(StatsArgs),
    /// The threads of a window with their series and review facts, as a table or JSON.
    Threads(ThreadsArgs),
    /// The patch series of a window with their state (new, in-review, reviewed, applied,
    /// superseded, stale), or the whole history of one series (LIST MSGID-OR-URL).
    Series(SeriesArgs),
    /// Write the digest of a window as Markdown, HTML and JSON under OUT/LIST/YYYY/.
    Report(Box<ReportArgs>),
    /// Generate the man page or shell completions from these definitions.
    #[command(subcommand)]
    Generate(GenerateCommand),
}

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// Write the man page lore-digest.1 (into DIR, default the current folder).
    Man {
        /// Folder to write lore-digest.1 into.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Print the completion script of a shell on stdout.
    Completions {
        /// bash, elvish, fish, powershell or zsh.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// List name (default kvmarm, or [defaults] list of the config).
    pub list: Option<String>,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Output formats, comma separated: md, html, json (default md,html).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub format: Vec<Format>,
    /// Report language: zh (default) or en.
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
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
    #[arg(long, value_enum)]
    pub backend: Option<Backend>,
    /// Model name (default qwen2.5:7b-instruct).
    #[arg(long)]
    pub model: Option<String>,
    /// Ollama server (default $OLLAMA_HOST, else http://127.0.0.1:11434); may be given
    /// several times: requests go to whichever server has a free slot.
    #[arg(long, value_name = "URL")]
    pub ollama_url: Vec<String>,
    /// Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1; may be
    /// given several times: requests go to whichever server has a free slot.
    #[arg(long, value_name = "URL")]
    pub llm_url: Vec<String>,
    /// Summary requests in flight per model server (default 2).
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
    /// Give the model every history mail of a thread, not the summary of an
    /// earlier window in place of the mails it covers (rolling summaries, on
    /// by default; also `rolling = false` in [defaults]).
    #[arg(long)]
    pub no_rolling: bool,
    /// Take each thread's summary from these earlier JSON reports when its
    /// cache key matches (same mails, model digest, prompt version and
    /// options), before the cache and the model: replays a report without
    /// the model. Repeatable.
    #[arg(long, value_name = "REPORT.json")]
    pub summaries_from: Vec<PathBuf>,
    /// Only the threads that match [watch] of the configuration.
    #[arg(long)]
    pub only_watched: bool,
    /// Check every summary against its thread (cited mails, people, versions,
    /// identifiers, acronym expansions): mark problems (default), strict
    /// (reject a model summary on any problem) or off.
    #[arg(long, value_name = "MODE", value_enum)]
    pub grounding: Option<Mode>,
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
    /// Write every mail of the window's threads (history included), each once and in
    /// thread order, as an mboxrd file (raw bytes; mutt and `b4 am -m FILE` read it).
    #[arg(long, value_name = "FILE")]
    pub mbox: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListsArgs {
    /// JSON on stdout: {"lists": [{"name", "url", "epochs", "messages", "newest", "last_sync"}]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SeriesArgs {
    /// List name (default kvmarm), then optionally a Message-ID or lore URL of a mail of
    /// one series (its whole history).
    #[arg(num_args = 0..=2, value_name = "LIST [MSGID-OR-URL]")]
    pub args: Vec<String>,
    #[command(flatten)]
    pub window: WindowArgs,
    /// Only series in this state: new, in-review, reviewed, applied, superseded, stale
    /// (repeatable).
    #[arg(long, value_name = "STATE")]
    pub state: Vec<String>,
    /// Only series whose author or a reviewer matches NAME (name or address, any case).
    #[arg(long, value_name = "NAME")]
    pub who: Option<String>,
    /// JSON on stdout: {"series": [...]}, or the one series' object.
    #[arg(long)]
    pub json: bool,
    /// One series: write its history page in these formats (md, html, json).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub format: Vec<Format>,
    /// Folder of the page: OUT/LIST/series/ (default as `report --out`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// One series: write every mail of every version, in thread order, as an mboxrd file
    /// (mutt and `b4 am -m FILE` read it).
    #[arg(long, value_name = "FILE")]
    pub mbox: Option<PathBuf>,
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
    #[arg(long, conflicts_with_all = ["since", "until", "last"], help_heading = "Window")]
    pub week: Option<String>,
    /// First day (YYYY-MM-DD), inclusive; or an exact RFC 3339 time (2022-03-07T10:00:00Z).
    /// Without --until the window ends today (a day) or now (an exact time).
    #[arg(long, conflicts_with = "last", help_heading = "Window")]
    pub since: Option<String>,
    /// Last day (YYYY-MM-DD), inclusive; or an exact RFC 3339 time, exclusive. Without --since
    /// the window starts at the first mail of the archive (or of the --range).
    #[arg(long, conflicts_with = "last", help_heading = "Window")]
    pub until: Option<String>,
    /// The last period before now: 7d, 36h, 2w, 90m.
    #[arg(long, help_heading = "Window")]
    pub last: Option<String>,
    /// Only messages of these commits: [EPOCH:]FROM..TO, comma separated; FROM exclusive, TO
    /// inclusive, either may be empty (root, tip).
    #[arg(long, help_heading = "Window")]
    pub range: Option<String>,
    /// Time zone of the window and of displayed times (IANA name; default UTC).
    #[arg(long, help_heading = "Window")]
    pub tz: Option<String>,
    /// Window by received time (as public-inbox's `ts`, the default) or by the Date header.
    #[arg(long, value_enum, default_value_t = By::Received, help_heading = "Window")]
    pub by: By,
}

/// Which time puts a mail in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum By {
    /// The received time, as public-inbox's `ts`.
    #[default]
    Received,
    /// The Date header.
    Date,
}

impl From<By> for TimeField {
    fn from(b: By) -> TimeField {
        match b {
            By::Received => TimeField::Received,
            By::Date => TimeField::Date,
        }
    }
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
    /// One row per ISO week or per day of the window (messages, threads, senders, new series,
    /// applied notices) instead of one total.
    #[arg(long, value_enum)]
    pub per: Option<PerArg>,
}

/// The periods of `stats --per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PerArg {
    Week,
    Day,
}

impl From<PerArg> for commands::stats::Per {
    fn from(p: PerArg) -> Self {
        match p {
            PerArg::Week => commands::stats::Per::Week,
            PerArg::Day => commands::stats::Per::Day,
        }
    }
}

/// The list and the series asked for by `series`' positional arguments: a lone argument
/// that looks like a Message-ID or URL is the series, else the list.
fn series_target(args: &[String]) -> (Option<String>, Option<String>) {
    let looks_like_mail = |s: &str| s.contains('@') || s.contains("://");
    match args {
        [] => (None, None),
        [one] if looks_like_mail(one) => (None, Some(one.clone())),
        [one] => (Some(one.clone()), None),
        [list, target, ..] => (Some(list.clone()), Some(target.clone())),
    }
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

/// The window of a command when none is asked for.
const DEFAULT_WINDOW: WindowSpec = WindowSpec::Last { seconds: 7 * 86400 };

impl WindowArgs {
    /// The window request: `default` when no window option was given; the
    /// zone from `--tz`, else the config, else UTC.
    pub fn request(&self, default: WindowSpec, config: &Config) -> Result<WindowRequest> {
        let tz = self
            .tz
            .clone()
            .or_else(|| config.defaults.tz.clone())
            .unwrap_or_else(|| "UTC".to_string());
        Ok(WindowRequest {
            spec: self.spec(default)?,
            zone: window::parse_tz(&tz)?,
            field: self.by.into(),
            ranges: self
                .range
                .as_deref()
                .map(window::parse_ranges)
                .transpose()?,
        })
    }

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
    if let Command::Generate(what) = cli.command {
        return generate(what);
    }
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
        Command::Sync(a) => {
            let list = list_of(&a.list);
            let url = a.url.clone().or_else(|| config.list(&list).url);
            let plan = SyncPlan {
                data_dir,
                source: url.as_deref().map(Source::parse).transpose()?,
                options: SyncOptions {
                    no_index: a.no_index,
                    wait: Wait::from_flag(a.wait),
                    replace: a.replace,
                },
                json: a.json,
                ledger: digest::Options {
                    link_base: config.link_base(&list),
                    kinds: config.kinds.clone(),
                    keep_bodies: false,
                },
                list,
            };
            commands::sync::run(&plan, &progress)
        }
        Command::Index(a) => {
            let list = list_of(&a.list);
            let plan = IndexPlan {
                data_dir,
                rebuild: a.rebuild,
                ledger: digest::Options {
                    link_base: config.link_base(&list),
                    kinds: config.kinds.clone(),
                    keep_bodies: false,
                },
                list,
            };
            commands::index::run(&plan, &progress)
        }
        Command::Stats(a) => {
            let plan = StatsPlan {
                data_dir,
                list: list_of(&a.list),
                window: a.window.request(DEFAULT_WINDOW, &config)?,
                json: a.json,
                per: a.per.map(Into::into),
            };
            commands::stats::run(&plan, &progress)
        }
        Command::Threads(a) => {
            let list = list_of(&a.list);
            let plan = ThreadsPlan {
                data_dir,
                window: a.window.request(DEFAULT_WINDOW, &config)?,
                json: a.json,
                mbox: a.mbox.clone(),
                link_base: config.link_base(&list),
                kinds: config.kinds.clone(),
                list,
            };
            commands::threads::run(&plan, &progress)
        }
        Command::Lists(a) => commands::lists::run(
            &ListsPlan {
                data_dir,
                json: a.json,
            },
            &progress,
        ),
        Command::Series(a) => {
            let (list, target) = series_target(&a.args);
            let list = list_of(&list);
            let states = a
                .state
                .iter()
                .flat_map(|s| s.split(','))
                .map(|s| {
                    commands::series::State::parse(s).ok_or_else(|| {
                        Error::Usage(format!(
                            "--state {s}: one of new, in-review, reviewed, applied, superseded, stale"
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let plan = SeriesPlan {
                data_dir,
                window: a.window.request(WindowSpec::All, &config)?,
                target,
                states,
                who: a.who.clone(),
                json: a.json,
                formats: a.format.clone(),
                mbox: a.mbox.clone(),
                out: (a.out.clone().or_else(|| config.defaults.out.clone()))
                    .unwrap_or_else(|| PathBuf::from("reports")),
                link_base: config.link_base(&list),
                kinds: config.kinds.clone(),
                stale_days: config
                    .defaults
                    .stale_days
                    .unwrap_or(commands::series::DEFAULT_STALE_DAYS),
                list,
            };
            commands::series::run(&plan, &progress)
        }
        Command::Report(a) => {
            let plan = report_plan(data_dir, list_of(&a.list), &a, &config)?;
            commands::report::run(&plan, &progress)
        }
        Command::Generate(what) => generate(what),
    }
}

/// Flags over the configuration over the defaults, for `report`.
fn report_plan(
    data_dir: PathBuf,
    list: String,
    a: &ReportArgs,
    config: &Config,
) -> Result<ReportPlan> {
    let d = &config.defaults;
    let formats = if a.format.is_empty() {
        Format::parse_list(
            &d.formats
                .as_ref()
                .map(|f| f.join(","))
                .unwrap_or_else(|| "md,html".into()),
        )?
    } else {
        Format::normalize(a.format.clone())?
    };
    let lang = match (a.lang, &d.lang) {
        (Some(l), _) => l,
        (None, Some(l)) => Lang::parse(l)?,
        (None, None) => Lang::Zh,
    };
    let backfill = if a.backfill {
        let day = |flag: &str, v: &Option<String>| {
            v.as_deref().map(|s| window::parse_day(flag, s)).transpose()
        };
        Some(Backfill {
            since: day("--since", &a.window.since)?
                .ok_or_else(|| Error::Usage("--backfill needs --since".into()))?,
            until: day("--until", &a.window.until)?,
        })
    } else {
        None
    };
    let link_base = match &a.link_base {
        Some(u) => {
            let mut u = u.trim().to_string();
            if !u.ends_with('/') {
                u.push('/');
            }
            u
        }
        None => config.link_base(&list),
    };
    let (summarizer, ollama_from_env) = summarizer_settings(a, config, lang)?;
    if a.only_watched && config.watch.is_none() {
        return Err(Error::Usage(
            "--only-watched needs a [watch] section in the configuration (--config FILE)".into(),
        ));
    }
    let grounding = match (a.grounding, &d.grounding) {
        (Some(m), _) => m,
        (None, Some(m)) => m
            .parse::<Mode>()
            .map_err(|e| Error::Usage(format!("[defaults] grounding: {e}")))?,
        (None, None) => Mode::Mark,
    };
    Ok(ReportPlan {
        window: a.window.request(DEFAULT_WINDOW, config)?,
        backfill,
        formats,
        lang,
        out: a
            .out
            .clone()
            .or_else(|| d.out.clone())
            .unwrap_or_else(|| PathBuf::from("reports")),
        summarizer,
        ollama_from_env,
        grounding,
        summaries_from: a.summaries_from.clone(),
        link_base,
        kinds: config.kinds.clone(),
        glossary: config.glossary.clone(),
        watch: config.watch.clone(),
        only_watched: a.only_watched,
        config_path: config.path.clone(),
        wait: Wait::from_flag(a.wait),
        stale_days: config
            .defaults
            .stale_days
            .unwrap_or(commands::series::DEFAULT_STALE_DAYS),
        awaiting_days: config
            .defaults
            .awaiting_days
            .unwrap_or(crate::digest::ledger::DEFAULT_AWAITING_DAYS),
        data_dir,
        list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_args(flags: &[&str]) -> ReportArgs {
        let argv = ["lore-digest", "report", "kvmarm", "--week", "2022-W10"];
        let cli = Cli::try_parse_from(argv.iter().chain(flags)).expect("flags parse");
        match cli.command {
            Command::Report(a) => *a,
            _ => unreachable!(),
        }
    }

    fn settings(flags: &[&str], config: &str) -> Result<Settings> {
        let config = Config::parse(config).expect("config parses");
        summarizer_settings(&report_args(flags), &config, Lang::En).map(|(s, _)| s)
    }

    fn refused(flags: &[&str], config: &str) -> String {
        match settings(flags, config) {
            Err(Error::Usage(m)) => m,
            other => panic!("{flags:?} with {config:?}: expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn a_server_flag_alone_chooses_its_backend_and_is_used() {
        let s = settings(&["--llm-url", "http://127.0.0.1:9/v1"], "").unwrap();
        assert_eq!(s.backend, Backend::OpenAi);
        assert_eq!(s.llm_urls, ["http://127.0.0.1:9/v1"]);
        assert!(s.backend_explicit);
        let s = settings(
            &["--ollama-url", "http://h:1"],
            "[defaults]\nbackend = \"openai\"",
        )
        .unwrap();
        assert_eq!(s.backend, Backend::Ollama);
        assert_eq!(s.ollama_urls, ["http://h:1"]);
    }

    #[test]
    fn a_server_key_of_the_configuration_chooses_its_backend() {
        let s = settings(&[], "[defaults]\nllm_url = \"http://a:8080/v1\"").unwrap();
        assert_eq!(s.backend, Backend::OpenAi);
        let s = settings(
            &[],
            "[defaults]\nbackend = \"ollama\"\nllm_url = \"http://a:8080/v1\"",
        )
        .unwrap();
        assert_eq!(s.backend, Backend::Ollama);
        let m = refused(
            &[],
            "[defaults]\nllm_url = \"http://a:8080/v1\"\nollama_url = \"http://b\"",
        );
        assert!(m.contains("llm_url") && m.contains("ollama_url"), "{m}");
    }

    #[test]
    fn a_flag_the_chosen_backend_would_not_use_is_refused_naming_both() {
        for (flags, a, b) in [
            (
                &["--backend", "ollama", "--llm-url", "http://u/v1"][..],
                "--backend ollama",
                "--llm-url",
            ),
            (
                &[
                    "--backend",
                    "openai",
                    "--llm-url",
                    "http://u/v1",
                    "--ollama-url",
                    "http://o",
                ],
                "--backend openai",
                "--ollama-url",
            ),
            (
                &["--llm-url", "http://u/v1", "--ollama-url", "http://o"],
                "--llm-url",
                "--ollama-url",
            ),
            (&["--no-llm", "--model", "m"], "--no-llm", "--model"),
            (
                &["--no-llm", "--llm-url", "http://u/v1"],
                "--no-llm",
                "--llm-url",
            ),
            (&["--no-llm", "--num-ctx", "8192"], "--no-llm", "--num-ctx"),
            (&["--no-llm", "--timeout", "9"], "--no-llm", "--timeout"),
            (
                &["--no-llm", "--summaries-from", "r.json"],
                "--no-llm",
                "--summaries-from",
            ),
            (
                &["--no-llm", "--backend", "openai"],
                "--no-llm",
                "--backend",
            ),
            (
                &["--backend", "extractive", "--model", "m"],
                "--backend extractive",
                "--model",
            ),
        ] {
            let m = refused(flags, "");
            assert!(m.contains(a) && m.contains(b), "{flags:?}: {m}");
        }
        let m = refused(&["--model", "m"], "[defaults]\nbackend = \"extractive\"");
        assert!(m.contains("extractive") && m.contains("--model"), "{m}");
    }

    #[test]
    fn jobs_out_of_range_and_a_zero_timeout_are_refused() {
        assert!(refused(&["--jobs", "0"], "").contains("1 to 64"));
        assert!(refused(&["--jobs", "65"], "").contains("1 to 64"));
        assert!(refused(&[], "[defaults]\njobs = 100").contains("1 to 64"));
        assert!(refused(&["--timeout", "0"], "").contains("timeout"));
        assert!(refused(&[], "[defaults]\ntimeout_secs = 0").contains("timeout"));
        assert_eq!(settings(&["--jobs", "64"], "").unwrap().jobs, 64);
    }

    #[test]
    fn no_llm_alone_and_the_default_stay_as_they_were() {
        let s = settings(&["--no-llm"], "[defaults]\nmodel = \"m\"").unwrap();
        assert_eq!(s.backend, Backend::Extractive);
        let s = settings(&[], "").unwrap();
        assert_eq!(s.backend, Backend::Ollama);
        assert!(!s.backend_explicit);
    }
}
