//! `lore-digest report`: window → digest → summaries → files. Also
//! `--backfill`, which writes every missing weekly report since a date.

use std::path::PathBuf;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::WindowRequest;
use crate::analysis::KindRules;
use crate::clock::iso;
use crate::digest::{self, Digest};
use crate::error::Result;
use crate::grounding::Mode;
use crate::lang::Lang;
use crate::progress::Progress;
use crate::report::{Format, Header, Report, SummarizerInfo, public_url, report_stem};
use crate::storage::archive::Archive;
use crate::storage::mirror::Wait;
use crate::summarize::{Backend, Settings};
use crate::window::{Window, WindowSpec};

/// What `report` does, settled by the CLI from flags, configuration and
/// defaults.
#[derive(Debug, Clone)]
pub struct ReportPlan {
    pub data_dir: PathBuf,
    pub list: String,
    /// The window (the last 7 days when none was asked for).
    pub window: WindowRequest,
    /// Write every missing weekly report in these days instead.
    pub backfill: Option<Backfill>,
    pub formats: Vec<Format>,
    pub lang: Lang,
    pub out: PathBuf,
    /// The summarizer as asked for (flags, configuration, environment).
    pub summarizer: Settings,
    /// The Ollama address came from `OLLAMA_HOST`.
    pub ollama_from_env: bool,
    /// How summaries are checked against their threads.
    pub grounding: Mode,
    /// Earlier JSON reports whose summaries answer before the cache and the
    /// model (`--summaries-from`). A bare file name not found in the
    /// current directory is looked up beside the report being written.
    pub summaries_from: Vec<PathBuf>,
    pub link_base: String,
    pub kinds: KindRules,
    /// The acronym glossary of the grounding check (`[glossary]` added).
    pub glossary: crate::grounding::Glossary,
    /// `[watch]` of the configuration: the report gets a "Watched" section.
    pub watch: Option<crate::watch::WatchList>,
    /// Only the watched threads (`--only-watched`).
    pub only_watched: bool,
    /// The configuration file read, if any (the regenerate command names it).
    pub config_path: Option<PathBuf>,
    pub wait: Wait,
    /// Days without a mail after which a series is stale.
    pub stale_days: i64,
    /// Days without a reply after which a series awaits review.
    pub awaiting_days: i64,
}

/// The days of a backfill: every ISO week that overlaps `since..=until`
/// (until: the last complete week when None); a week the days cut is
/// written as a partial report of the days in it.
#[derive(Debug, Clone, Copy)]
pub struct Backfill {
    pub since: NaiveDate,
    pub until: Option<NaiveDate>,
}

/// Exit status when some summaries could not be made by the model.
pub const EXIT_SUMMARIES_FAILED: i32 = 3;

pub fn run(plan: &ReportPlan, progress: &Progress) -> Result<i32> {
    // A report writes (summary cache, files): one run at a time per list.
    let (archive, _lock) =
        Archive::open_for_writing(&plan.data_dir, &plan.list, plan.wait, progress)?;

    // One clock reading: the window, the generation time and the
    // regenerate command's SOURCE_DATE_EPOCH agree.
    let t = crate::clock::now();
    let windows: Vec<Window> = match plan.backfill {
        Some(b) => backfill_windows(&archive, plan, b, t, progress)?,
        None => vec![plan.window.resolve(&archive, t)?],
    };
    let mut failed_total = 0;
    for w in windows {
        let (report, failed) = build(&archive, w, plan, t, progress)?;
        failed_total += failed;
        let written = crate::report::write(&report, &plan.formats, &plan.out)?;
        for f in &written.files {
            crate::outln!("{}", f.display());
        }
    }
    if failed_total > 0 {
        progress.note(&format!(
            "{failed_total} thread summaries could not be made by the model; they show the extractive summary"
        ));
        return Ok(EXIT_SUMMARIES_FAILED);
    }
    Ok(0)
}

/// Weekly windows from --since to --until (or the last complete week)
/// whose report files (the week's own names) are missing; none that starts
/// after the newest mail.
fn backfill_windows(
    archive: &Archive,
    plan: &ReportPlan,
    b: Backfill,
    t: i64,
    progress: &Progress,
) -> Result<Vec<Window>> {
    let (list, out, formats) = (&plan.list, &plan.out, &plan.formats);
    let since = b.since;
    let today = chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .date_naive();
    // The last complete ISO week ends on the Sunday before today.
    let mut last_sunday = today - Duration::days(1);
    while last_sunday.weekday() != Weekday::Sun {
        last_sunday -= Duration::days(1);
    }
    let until = match b.until {
        Some(u) => u.min(last_sunday),
        None => last_sunday,
    };
    let mut windows = Vec::new();
    let mut newest: Option<Option<i64>> = None;
    let mut after_newest = 0;
    let mut present = 0;
    for (year, week) in crate::window::weeks_between(since, until) {
        let sunday = NaiveDate::from_isoywd_opt(year, week, Weekday::Sun).expect("valid week");
        // The week still running is not over: it is not written.
        if sunday > last_sunday {
            continue;
        }
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).expect("valid week");
        let mut w = plan
            .window
            .with_spec(WindowSpec::Week { year, week })
            .resolve(archive, t)?;
        if monday < since || sunday > until {
            let days = plan
                .window
                .with_spec(WindowSpec::Days {
                    since: monday.max(since),
                    until: sunday.min(until),
                })
                .resolve(archive, t)?;
            w = w.clipped_to(days);
        }
        let newest = match newest {
            Some(n) => n,
            None => {
                let n = archive
                    .mail_span(w.field, w.seq_ranges.as_deref())?
                    .map(|s| s.1);
                *newest.insert(n)
            }
        };
        if newest.is_none_or(|n| w.start > n) {
            after_newest += 1;
            continue;
        }
        let (stem, year_dir) = report_stem(list, &w, plan.only_watched);
        let dir = out.join(list).join(year_dir);
        if formats
            .iter()
            .all(|f| dir.join(format!("{stem}.{}", f.ext())).exists())
        {
            present += 1;
            continue;
        }
        windows.push(w);
    }
    if after_newest > 0 {
        let when = newest
            .flatten()
            .map(|n| format!("newest mail {}", iso(n)))
            .unwrap_or_else(|| "no mail in the index".into());
        progress.note(&format!(
            "backfill: {when}; {after_newest} later week(s) not written (run sync)"
        ));
    }
    if windows.is_empty() && present > 0 {
        progress.note(&"backfill: every weekly report is already there");
    }
    Ok(windows)
}

/// The header notice when the window reaches past the newest mail (by the
/// window's time field, within its `--range`), also said on stderr.
fn stale_notice(
    archive: &Archive,
    window: &Window,
    lang: Lang,
    progress: &Progress,
) -> Result<Option<String>> {
    Ok(super::stale_note(archive, window, progress)?
        .map(|when| lang.labels().stale.replace("{newest}", &when)))
}

fn build(
    archive: &Archive,
    window: Window,
    plan: &ReportPlan,
    t: i64,
    progress: &Progress,
) -> Result<(Report, usize)> {
    let list = plan.list.clone();
    let lang = plan.lang;
    let opts = digest::Options {
        link_base: plan.link_base.clone(),
        kinds: plan.kinds.clone(),
        keep_bodies: true,
    };
    let (stem, year_dir) = report_stem(&plan.list, &window, plan.only_watched);
    let report_dir = plan.out.join(&plan.list).join(year_dir);
    let replay = load_replays(&plan.summaries_from, &report_dir, progress)?;
    let mut digest = digest::build(archive, &window, &opts)?;
    let awaiting_review = mark_series_states(archive, &window, &opts, plan, &mut digest)?;
    let activity = crate::volume::build(archive, &window, &digest.threads)?;
    crate::summarize::fill_previous_review(&mut digest);
    let watched = plan
        .watch
        .as_ref()
        .map(|w| crate::watch::matches(w, &digest.threads));
    if plan.only_watched {
        let keep: std::collections::HashSet<&str> =
            watched.iter().flatten().map(|w| w.id.as_str()).collect();
        let threads = std::mem::take(&mut digest.threads);
        digest.threads = threads
            .into_iter()
            .filter(|t| keep.contains(t.id.as_str()))
            .collect();
    }
    let mut notices: Vec<String> = stale_notice(archive, &window, lang, progress)?
        .into_iter()
        .collect();
    let super::summaries::Made {
        summaries,
        info: summarizer,
        notices: more,
        grounding,
        synthesis,
    } = super::summaries::make(
        archive,
        &digest,
        &plan.summarizer,
        plan.grounding,
        &plan.glossary,
        &replay,
        progress,
    )?;
    notices.extend(more);
    let failed = summarizer.failed;
    let regenerate = regenerate_command(&digest, plan, &summarizer, &stem, t);
    let header = Header {
        tool: "lore-digest".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        list,
        lang,
        tz: digest.window.tz().to_string(),
        generated_at: iso(t),
        summarizer,
        notices,
        grounding,
        regenerate,
    };
    let authors = crate::report::highlights::series_authors(&digest);
    let seen = archive.addresses_seen_before(&authors, window.field, window.start)?;
    let newcomers = authors.into_iter().filter(|a| !seen.contains(a)).collect();
    // The model's highlights when they passed the check, else from facts.
    let highlights = match synthesis.as_ref().and_then(|s| s.items.clone()) {
        Some(items) => items,
        None => crate::report::highlights::build(&digest, &newcomers, lang),
    };
    Ok((
        Report {
            report: header,
            digest,
            summaries,
            highlights,
            synthesis,
            watched,
            activity,
            only_watched: plan.only_watched,
            awaiting_review,
        },
        failed,
    ))
}

/// How far before the end of the window the ledger of a report looks for
/// series (their state and whether they await review).
const LEDGER_LOOKBACK_DAYS: i64 = 60;

/// Set the state of the series of `digest`'s threads as of the end of
/// `window` and return the series awaiting review then: a ledger
/// ([`digest::ledger`]) of the threads active in the last
/// [`LEDGER_LOOKBACK_DAYS`] of the window.
fn mark_series_states(
    archive: &Archive,
    window: &Window,
    opts: &digest::Options,
    plan: &ReportPlan,
    digest: &mut Digest,
) -> Result<Vec<digest::ledger::Awaiting>> {
    let mut w = window.clone();
    w.start = window.start.min(window.end - LEDGER_LOOKBACK_DAYS * 86_400);
    let opts = digest::Options {
        keep_bodies: false,
        ..opts.clone()
    };
    let d = digest::build(archive, &w, &opts)?;
    let as_of = window.end;
    let series = digest::ledger::ledger(&d, as_of, plan.stale_days);
    digest::ledger::mark_states(&mut digest.threads, &series, window.start);
    Ok(digest::ledger::awaiting_review(
        &series,
        as_of,
        plan.awaiting_days,
    ))
}

/// The reports named by `--summaries-from`. A bare file name (what the
/// reproduce line of a report says) that is not in the current directory is
/// taken from `report_dir`, where the report itself is written; when it is
/// not there either, a note says so and the cache and the model answer.
fn load_replays(
    paths: &[PathBuf],
    report_dir: &std::path::Path,
    progress: &Progress,
) -> Result<Vec<crate::summarize::Replay>> {
    let mut out = Vec::new();
    for p in paths {
        let bare = p.components().count() == 1 && p.is_relative();
        let path = if !p.exists() && bare {
            report_dir.join(p)
        } else {
            p.clone()
        };
        if bare && !path.exists() {
            progress.note(&format!(
                "--summaries-from {}: not found here nor in {}; summaries come from the cache and the model",
                p.display(),
                report_dir.display()
            ));
            continue;
        }
        out.push(super::summaries::load_replay(&path)?);
    }
    Ok(out)
}

/// The command that regenerates a report byte for byte, run as written
/// (the user adds `--data-dir` and `--out`): the generation time as
/// SOURCE_DATE_EPOCH, the configuration file read (kind rules, link base),
/// the same window, commit range, zone, language, formats and link base,
/// and the summarizer as the user asked for it — an explicit backend with
/// its model, endpoint (without credentials) and context length, `--no-llm`
/// when no model was wanted, and nothing when the default found no model (a
/// re-run says so again). With model summaries and a JSON report, also
/// `--summaries-from STEM.json`: the report's own JSON, which answers
/// without the model (found beside the report when `--out` names the same
/// directory); the server named is the one the summaries were made with.
fn regenerate_command(
    d: &Digest,
    plan: &ReportPlan,
    s: &SummarizerInfo,
    stem: &str,
    generated: i64,
) -> String {
    let st = &plan.summarizer;
    let mut c = vec![format!("SOURCE_DATE_EPOCH={generated}")];
    let model_backend = st.backend != Backend::Extractive;
    if model_backend && !st.backend_explicit && s.model.is_none() && plan.ollama_from_env {
        let first = st.ollama_urls.first().map(String::as_str).unwrap_or("");
        c.push(format!("OLLAMA_HOST={}", public_url(first)));
    }
    c.push("lore-digest".into());
    if let Some(p) = &plan.config_path {
        let abs = std::fs::canonicalize(p)
            .or_else(|_| std::path::absolute(p))
            .unwrap_or_else(|_| p.clone());
        c.extend(["--config".into(), abs.display().to_string()]);
    }
    c.extend(["report".into(), d.list.clone()]);
    c.extend(d.window.args.iter().cloned());
    if d.window.field == crate::window::TimeField::Date {
        c.extend(["--by".into(), "date".into()]);
    }
    let range: Vec<String> = d
        .epochs
        .iter()
        .map(|e| format!("{}:{}..{}", e.epoch, e.from.as_deref().unwrap_or(""), e.to))
        .collect();
    if !range.is_empty() {
        c.extend(["--range".into(), range.join(",")]);
    }
    c.extend([
        "--tz".into(),
        d.window.tz().into(),
        "--lang".into(),
        plan.lang.as_str().into(),
    ]);
    let f: Vec<&str> = plan.formats.iter().map(|f| f.ext()).collect();
    c.extend(["--format".into(), f.join(",")]);
    if plan.link_base != crate::config::Config::default().link_base(&d.list) {
        c.extend(["--link-base".into(), plan.link_base.clone()]);
    }
    if !model_backend {
        c.push("--no-llm".into());
    } else {
        if st.backend_explicit {
            c.extend([
                "--backend".into(),
                st.backend.as_str().to_string(),
                "--model".into(),
                st.model.clone(),
            ]);
            // The server the summaries came from (a replayed report's),
            // else every server, in the order given.
            let (flag, urls) = match st.backend {
                Backend::OpenAi => ("--llm-url", &st.llm_urls),
                _ => ("--ollama-url", &st.ollama_urls),
            };
            match &s.endpoint {
                Some(e) if urls.len() <= 1 => c.extend([flag.to_string(), e.clone()]),
                _ => {
                    for u in urls {
                        c.extend([flag.to_string(), public_url(u)]);
                    }
                }
            }
        }
        if st.backend_explicit || s.model.is_some() {
            c.extend(["--num-ctx".into(), st.num_ctx.to_string()]);
        }
        if s.model.is_some() && plan.formats.contains(&Format::Json) {
            c.extend(["--summaries-from".into(), format!("{stem}.json")]);
        }
    }
    if plan.only_watched {
        c.push("--only-watched".into());
    }
    if model_backend && !st.rolling {
        c.push("--no-rolling".into());
    }
    if plan.grounding != Mode::Mark {
        c.extend(["--grounding".into(), plan.grounding.as_str().to_string()]);
    }
    c.into_iter()
        .map(|x| {
            if !x.is_empty()
                && x.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "-_.,:/=@+".contains(ch))
            {
                x
            } else {
                format!("'{}'", x.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
