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
    report::{Backfill, ReportPlan},
    stats::StatsPlan,
    sync::SyncPlan,
    threads::ThreadsPlan,
};
use crate::config::{Config, UrlList};
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
    /// Count messages and senders in a window.
    Stats(StatsArgs),
    /// The threads of a window with their series and review facts, as a table or JSON.
    Threads(ThreadsArgs),
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

/// `generate`: the man page and completions from the clap definitions, so
/// they cannot drift from `--help`. Needs no configuration or data.
fn generate(what: GenerateCommand) -> Result<i32> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    match what {
        GenerateCommand::Man { out } => {
            let mut page = Vec::new();
            let man = clap_mangen::Man::new(cmd.clone());
            man.render(&mut page)
                .map_err(|e| Error::io(std::path::Path::new("lore-digest.1"), e))?;
            // Each subcommand's own options, as sections of the one page.
            for sub in cmd.get_subcommands() {
                let name = format!("lore-digest {}", sub.get_name());
                let mut text = Vec::new();
                clap_mangen::Man::new(sub.clone())
                    .render_options_section(&mut text)
                    .map_err(|e| Error::io(std::path::Path::new("lore-digest.1"), e))?;
                let text = String::from_utf8_lossy(&text).replacen(
                    ".SH OPTIONS",
                    &format!(".SH \"OPTIONS OF {}\"", name.to_uppercase()),
                    1,
                );
                page.extend_from_slice(text.as_bytes());
            }
            let dir = out.unwrap_or_else(|| PathBuf::from("."));
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            let path = dir.join("lore-digest.1");
            crate::fsutil::write_atomic(&path, &page)?;
            crate::outln!("{}", path.display());
        }
        GenerateCommand::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut cmd, "lore-digest", &mut text);
            crate::outln!("{}", String::from_utf8_lossy(&text).trim_end());
        }
    }
    Ok(0)
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
                list,
            };
            commands::sync::run(&plan, &progress)
        }
        Command::Index(a) => {
            let plan = IndexPlan {
                data_dir,
                list: list_of(&a.list),
                rebuild: a.rebuild,
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
                link_base: config.link_base(&list),
                kinds: config.kinds.clone(),
                list,
            };
            commands::threads::run(&plan, &progress)
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
        watch: config.watch.clone(),
        only_watched: a.only_watched,
        config_path: config.path.clone(),
        wait: Wait::from_flag(a.wait),
        data_dir,
        list,
    })
}

/// The summarizer as asked for; also whether the Ollama address came from
/// `OLLAMA_HOST`.
fn summarizer_settings(a: &ReportArgs, config: &Config, lang: Lang) -> Result<(Settings, bool)> {
    let d = &config.defaults;
    let mut s = Settings::defaults(lang);
    let backend = if a.no_llm {
        Some(Backend::Extractive)
    } else {
        match (a.backend, &d.backend) {
            (Some(b), _) => Some(b),
            (None, Some(b)) => Some(
                b.parse::<Backend>()
                    .map_err(|e| Error::Usage(format!("[defaults] backend: {e}")))?,
            ),
            (None, None) => None,
        }
    };
    // A backend, model or server asked for on the command line or in the
    // configuration is a request that must be met: when it cannot be used
    // the summaries are unavailable and the exit status is 3. Only the
    // default falls back to extractive summaries with a notice; OLLAMA_HOST,
    // the environment's address of Ollama (as Ollama's own tools read it),
    // moves that default, it does not ask for a model.
    let ollama_host = std::env::var("OLLAMA_HOST")
        .ok()
        .filter(|v| !v.trim().is_empty());
    s.backend_explicit = backend.is_some()
        || a.model.is_some()
        || !a.llm_url.is_empty()
        || !a.ollama_url.is_empty()
        || d.model.is_some()
        || d.llm_url.is_some()
        || d.ollama_url.is_some();
    if let Some(b) = backend {
        s.backend = b;
    }
    if let Some(m) = a.model.clone().or_else(|| d.model.clone()) {
        s.model = m;
    }
    let ollama_from_env =
        a.ollama_url.is_empty() && d.ollama_url.is_none() && ollama_host.is_some();
    let urls = |flag: &[String], config: &Option<UrlList>| -> Vec<String> {
        if flag.is_empty() {
            config.as_ref().map(UrlList::to_vec).unwrap_or_default()
        } else {
            flag.to_vec()
        }
    };
    let ollama = urls(&a.ollama_url, &d.ollama_url);
    if !ollama.is_empty() {
        s.ollama_urls = ollama;
    } else if let Some(h) = ollama_host {
        s.ollama_urls = vec![h];
    }
    let llm = urls(&a.llm_url, &d.llm_url);
    if !llm.is_empty() {
        s.llm_urls = llm;
    }
    if matches!(s.backend, Backend::OpenAi) && s.llm_urls.is_empty() {
        return Err(Error::Usage(
            "--backend openai needs --llm-url (e.g. http://127.0.0.1:8080/v1)".into(),
        ));
    }
    if let Some(j) = a.jobs.or(d.jobs) {
        s.jobs = j.clamp(1, 64);
    }
    if let Some(n) = a.num_ctx.or(d.num_ctx) {
        s.num_ctx = n;
    }
    if let Some(t) = a.timeout.or(d.timeout_secs) {
        s.timeout = std::time::Duration::from_secs(t.max(1));
    }
    s.refresh = a.refresh_summaries;
    s.rolling = !a.no_rolling && d.rolling.unwrap_or(true);
    Ok((s, ollama_from_env))
}
