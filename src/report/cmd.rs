//! `lore-digest report`: window → digest → summaries → files. Also
//! `--backfill`, which writes every missing weekly report since a date.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::{Format, Header, Report, SummarizerInfo};
use crate::archive::Archive;
use crate::cli::{ReportArgs, now};
use crate::config::Config;
use crate::digest::{self, Digest, iso};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::window::{self, Window, WindowSpec};

/// Exit status when some summaries could not be made by the model.
pub const EXIT_SUMMARIES_FAILED: i32 = 3;

pub fn run(
    data_dir: &Path,
    list: &str,
    a: &ReportArgs,
    config: &Config,
    progress: &Progress,
) -> Result<i32> {
    // A report writes (summary cache, files): one run at a time per list.
    let (archive, _lock) = Archive::open_for_writing(
        data_dir,
        list,
        crate::mirror::Wait::from_flag(a.wait),
        progress,
    )?;
    let formats = Format::parse_list(
        &a.format
            .clone()
            .or_else(|| config.defaults.formats.as_ref().map(|f| f.join(",")))
            .unwrap_or_else(|| "md,html".into()),
    )?;
    let lang = a
        .lang
        .clone()
        .or_else(|| config.defaults.lang.clone())
        .unwrap_or_else(|| "zh".into());
    if lang != "zh" && lang != "en" {
        return Err(Error::Usage(format!("lang {lang:?}: zh or en")));
    }
    let out = a
        .out
        .clone()
        .or_else(|| config.defaults.out.clone())
        .unwrap_or_else(|| PathBuf::from("reports"));

    let windows: Vec<Window> = if a.backfill {
        backfill_windows(&archive, a, config, &out, list, &formats)?
    } else {
        vec![
            a.window
                .resolve(&archive, WindowSpec::Last { seconds: 7 * 86400 }, config)?,
        ]
    };
    if a.backfill && windows.is_empty() {
        progress.note("backfill: every weekly report is already there");
    }
    let mut failed_total = 0;
    for w in windows {
        let (report, failed) = build(&archive, w, a, config, &lang, &formats, progress)?;
        failed_total += failed;
        let written = super::write(&report, &formats, &out)?;
        for f in &written.files {
            println!("{}", f.display());
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
/// whose report files are missing.
fn backfill_windows(
    archive: &Archive,
    a: &ReportArgs,
    config: &Config,
    out: &Path,
    list: &str,
    formats: &[Format],
) -> Result<Vec<Window>> {
    let since = window::parse_day("--since", a.window.since.as_deref().unwrap_or_default())?;
    let today = chrono::DateTime::from_timestamp(now(), 0)
        .unwrap_or_default()
        .date_naive();
    // The last complete ISO week ends on the Sunday before today.
    let mut last_sunday = today - Duration::days(1);
    while last_sunday.weekday() != Weekday::Sun {
        last_sunday -= Duration::days(1);
    }
    let until = match &a.window.until {
        Some(u) => window::parse_day("--until", u)?.min(last_sunday),
        None => last_sunday,
    };
    let mut windows = Vec::new();
    for (year, week) in window::weeks_between(since, until) {
        let sunday = NaiveDate::from_isoywd_opt(year, week, Weekday::Sun).expect("valid week");
        if sunday > until {
            continue;
        }
        let stem = format!("{list}-{sunday}");
        let dir = out.join(list).join(format!("{:04}", sunday.year()));
        if formats
            .iter()
            .all(|f| dir.join(format!("{stem}.{}", f.ext())).exists())
        {
            continue;
        }
        let mut args = a.window.clone();
        args.week = Some(format!("{year}-W{week:02}"));
        args.since = None;
        args.until = None;
        args.last = None;
        windows.push(args.resolve(archive, WindowSpec::All, config)?);
    }
    Ok(windows)
}

fn build(
    archive: &Archive,
    window: Window,
    a: &ReportArgs,
    config: &Config,
    lang: &str,
    formats: &[Format],
    progress: &Progress,
) -> Result<(Report, usize)> {
    let list = archive.mirror.list.clone();
    let opts = digest::Options {
        link_base: config.link_base(&list),
        kinds: config.kinds.clone(),
        keep_bodies: true,
    };
    let digest = digest::build(archive, &window, &opts)?;
    let (summaries, summarizer, notices) =
        super::summaries::make(archive, &digest, a, config, lang, progress)?;
    let failed = summarizer.failed;
    let regenerate = regenerate_command(&digest, a, lang, formats, &summarizer);
    let header = Header {
        tool: "lore-digest".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        list,
        lang: lang.into(),
        tz: digest.window.tz.clone(),
        generated_at: iso(now()),
        summarizer,
        notices,
        regenerate,
    };
    Ok((
        Report {
            report: header,
            digest,
            summaries,
        },
        failed,
    ))
}

/// The command that regenerates a report: same window, zone, language,
/// commit range and summarizer.
fn regenerate_command(
    d: &Digest,
    a: &ReportArgs,
    lang: &str,
    formats: &[Format],
    s: &SummarizerInfo,
) -> String {
    let mut c = vec!["lore-digest".to_string(), "report".into(), d.list.clone()];
    c.extend(d.window.args.iter().cloned());
    if d.window.by == "date" {
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
        d.window.tz.clone(),
        "--lang".into(),
        lang.into(),
    ]);
    let f: Vec<&str> = formats.iter().map(|f| f.ext()).collect();
    c.extend(["--format".into(), f.join(",")]);
    if s.backend == "extractive" {
        c.push("--no-llm".into());
    } else {
        c.extend(["--backend".into(), s.backend.clone()]);
        if let Some(m) = &s.model {
            c.extend(["--model".into(), m.clone()]);
        }
        if let Some(n) = a.num_ctx {
            c.extend(["--num-ctx".into(), n.to_string()]);
        }
    }
    c.into_iter()
        .map(|x| {
            if x.chars()
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
