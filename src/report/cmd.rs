//! `lore-digest report`: window → digest → summaries → files. Also
//! `--backfill`, which writes every missing weekly report since a date.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use chrono::TimeZone;

use super::summaries::Asked;
use super::{Format, Header, Report, SummarizerInfo};
use crate::archive::Archive;
use crate::cli::{ReportArgs, now};
use crate::config::Config;
use crate::digest::{self, Digest, iso};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::summarize::Backend;
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

    // One clock reading: the window, the generation time and the
    // regenerate command's SOURCE_DATE_EPOCH agree.
    let t = now();
    let windows: Vec<Window> = if a.backfill {
        backfill_windows(&archive, a, config, &out, list, &formats, t, progress)?
    } else {
        vec![
            a.window
                .resolve_at(&archive, WindowSpec::Last { seconds: 7 * 86400 }, config, t)?,
        ]
    };
    let mut failed_total = 0;
    for w in windows {
        let (report, failed) = build(&archive, w, a, config, &lang, &formats, t, progress)?;
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
/// whose report files (the week's own names) are missing; none that starts
/// after the newest mail.
#[allow(clippy::too_many_arguments)]
fn backfill_windows(
    archive: &Archive,
    a: &ReportArgs,
    config: &Config,
    out: &Path,
    list: &str,
    formats: &[Format],
    t: i64,
    progress: &Progress,
) -> Result<Vec<Window>> {
    let since = window::parse_day("--since", a.window.since.as_deref().unwrap_or_default())?;
    let today = chrono::DateTime::from_timestamp(t, 0)
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
    let mut newest: Option<Option<i64>> = None;
    let mut after_newest = 0;
    let mut present = 0;
    for (year, week) in window::weeks_between(since, until) {
        let sunday = NaiveDate::from_isoywd_opt(year, week, Weekday::Sun).expect("valid week");
        if sunday > until {
            continue;
        }
        let mut args = a.window.clone();
        args.week = Some(format!("{year}-W{week:02}"));
        args.since = None;
        args.until = None;
        args.last = None;
        let w = args.resolve_at(archive, WindowSpec::All, config, t)?;
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
        let (stem, year_dir) = super::window_stem(list, &w);
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
        progress.note("backfill: every weekly report is already there");
    }
    Ok(windows)
}

/// A window may end this long after the newest mail before the report says
/// that it may be incomplete: a quiet day on a list is no reason to sync.
pub const STALE_GRACE_SECS: i64 = 86400;

/// The header notice when the window reaches past the newest mail (by the
/// window's time field, within its `--range`), also said on stderr.
fn stale_notice(
    archive: &Archive,
    window: &Window,
    lang: &str,
    progress: &Progress,
) -> Result<Option<String>> {
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
        .map(|d| format!("{} {}", d.format("%Y-%m-%d %H:%M"), window.tz))
        .unwrap_or_else(|| iso(newest));
    progress.note(&format!(
        "{}: newest mail {when}: this window may be incomplete; run sync",
        archive.mirror.list
    ));
    Ok(Some(
        super::i18n::labels(lang).stale.replace("{newest}", &when),
    ))
}

/// Link base with a trailing slash: --link-base, else the list's config.
fn link_base(a: &ReportArgs, config: &Config, list: &str) -> String {
    match &a.link_base {
        Some(u) => {
            let mut u = u.trim().to_string();
            if !u.ends_with('/') {
                u.push('/');
            }
            u
        }
        None => config.link_base(list),
    }
}

#[allow(clippy::too_many_arguments)]
fn build(
    archive: &Archive,
    window: Window,
    a: &ReportArgs,
    config: &Config,
    lang: &str,
    formats: &[Format],
    t: i64,
    progress: &Progress,
) -> Result<(Report, usize)> {
    let list = archive.mirror.list.clone();
    let opts = digest::Options {
        link_base: link_base(a, config, &list),
        kinds: config.kinds.clone(),
        keep_bodies: true,
    };
    let digest = digest::build(archive, &window, &opts)?;
    let mut notices: Vec<String> = stale_notice(archive, &window, lang, progress)?
        .into_iter()
        .collect();
    let (summaries, summarizer, more, asked) =
        super::summaries::make(archive, &digest, a, config, lang, progress)?;
    notices.extend(more);
    let failed = summarizer.failed;
    let regenerate = regenerate_command(&Regen {
        d: &digest,
        lang,
        formats,
        s: &summarizer,
        asked: &asked,
        config,
        link_base: &opts.link_base,
        generated: t,
    });
    let header = Header {
        tool: "lore-digest".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        list,
        lang: lang.into(),
        tz: digest.window.tz.clone(),
        generated_at: iso(t),
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

/// What the regenerate command is made of.
struct Regen<'a> {
    d: &'a Digest,
    lang: &'a str,
    formats: &'a [Format],
    s: &'a SummarizerInfo,
    asked: &'a Asked,
    config: &'a Config,
    link_base: &'a str,
    /// The generation time, UTC seconds.
    generated: i64,
}

/// The command that regenerates a report byte for byte, run as written
/// (the user adds `--data-dir` and `--out`): the generation time as
/// SOURCE_DATE_EPOCH, the configuration file read (kind rules, link base),
/// the same window, commit range, zone, language, formats and link base,
/// and the summarizer as the user asked for it — an explicit backend with
/// its model, endpoint (without credentials) and context length, `--no-llm`
/// when no model was wanted, and nothing when the default found no model (a
/// re-run says so again).
fn regenerate_command(r: &Regen<'_>) -> String {
    let d = r.d;
    let st = &r.asked.settings;
    let mut c = vec![format!("SOURCE_DATE_EPOCH={}", r.generated)];
    let model_backend = st.backend != Backend::Extractive;
    if model_backend && !st.backend_explicit && r.s.model.is_none() && r.asked.ollama_from_env {
        c.push(format!("OLLAMA_HOST={}", super::public_url(&st.ollama_url)));
    }
    c.push("lore-digest".into());
    if let Some(p) = &r.config.path {
        let abs = std::fs::canonicalize(p)
            .or_else(|_| std::path::absolute(p))
            .unwrap_or_else(|_| p.clone());
        c.extend(["--config".into(), abs.display().to_string()]);
    }
    c.extend(["report".into(), d.list.clone()]);
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
        r.lang.into(),
    ]);
    let f: Vec<&str> = r.formats.iter().map(|f| f.ext()).collect();
    c.extend(["--format".into(), f.join(",")]);
    if r.link_base != Config::default().link_base(&d.list) {
        c.extend(["--link-base".into(), r.link_base.to_string()]);
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
            match st.backend {
                Backend::OpenAi => {
                    let u = st.llm_url.as_deref().unwrap_or_default();
                    c.extend(["--llm-url".into(), super::public_url(u)]);
                }
                _ => c.extend(["--ollama-url".into(), super::public_url(&st.ollama_url)]),
            }
        }
        if st.backend_explicit || r.s.model.is_some() {
            c.extend(["--num-ctx".into(), st.num_ctx.to_string()]);
        }
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
