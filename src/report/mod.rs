//! Reports: a digest rendered as Markdown, HTML (from the same Markdown,
//! through pulldown-cmark, with raw HTML escaped but for the report's own
//! anchors and collapsed People table) and JSON, written
//! atomically to `OUT/LIST/YYYY/STEM.{md,html,json}` (see [`window_stem`]),
//! plus an `OUT/LIST/index.html` of every report.

pub mod charts;
pub mod feed;
pub mod highlights;
pub mod html;
pub mod maillist;
pub mod markdown;
pub mod markup;
pub mod people;
pub mod series_page;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::digest::{Digest, ThreadView};
use crate::error::{Error, Result};
use crate::fsutil::{write_atomic, write_atomic_all};
use crate::lang::Lang;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Format {
    /// Markdown.
    #[value(alias = "markdown")]
    Md,
    /// One standalone HTML page.
    Html,
    /// Everything, for scripts (and `--summaries-from`).
    Json,
}

impl Format {
    pub fn ext(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Html => "html",
            Format::Json => "json",
        }
    }

    /// The format a report file's extension names.
    pub fn of_ext(ext: &str) -> Option<Format> {
        [Format::Md, Format::Html, Format::Json]
            .into_iter()
            .find(|f| f.ext() == ext)
    }

    /// Parse `md,html,json` (the configuration's `formats`).
    pub fn parse_list(s: &str) -> Result<Vec<Format>> {
        use clap::ValueEnum;
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f = Format::from_str(part, true).map_err(|_| {
                Error::Usage(format!(
                    "--format: unknown format {part:?} (md, html, json)"
                ))
            })?;
            out.push(f);
        }
        Self::normalize(out)
    }

    /// Sorted, without repeats; an empty list is an error.
    pub fn normalize(mut list: Vec<Format>) -> Result<Vec<Format>> {
        list.sort();
        list.dedup();
        if list.is_empty() {
            return Err(Error::Usage("--format: empty".into()));
        }
        Ok(list)
    }
}

/// The summary shown for a thread.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadSummary {
    pub text: String,
    /// `model`, `cache`, `extractive` or `unavailable`.
    pub source: crate::summarize::SummarySource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::summarize::Failure>,
    /// The model's own answer, when it is not what is shown (the grounding
    /// check rejected it and the extractive summary is shown instead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_text: Option<String>,
    /// The statements of the text shown, with the mails each one cites.
    pub statements: Vec<crate::grounding::Statement>,
    /// The grounding check of the summary (of the model's answer when it
    /// was rejected); absent with `--grounding off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grounding: Option<crate::grounding::Grounding>,
    /// Citations and problems of the text shown, for rendering.
    #[serde(skip)]
    pub shown: Option<crate::grounding::Checked>,
    /// The cache key of the model's answer (`model_text` when rejected,
    /// else `text`): what `--summaries-from` matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_key: Option<String>,
    /// Requests the model's answer took (with `cache_key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<u32>,
    /// The earlier summary the model was given in place of the first
    /// mails (a rolling summary): what `--summaries-from` needs to make
    /// the same prompt and key again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_summary: Option<crate::summarize::rolling::Earlier>,
}

/// How many summaries the grounding check passed, flagged and rejected.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GroundingCounts {
    /// `mark` or `strict`.
    pub mode: String,
    pub grounded: usize,
    pub flagged: usize,
    pub rejected: usize,
}

/// How the summaries were made: recorded so a report can be regenerated.
#[derive(Debug, Clone, Serialize)]
pub struct SummarizerInfo {
    pub backend: crate::summarize::Backend,
    /// The model asked for (`--model`, the configuration or the default),
    /// as the reproduce line records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The model the server reported, only where it differs from `model`
    /// (an OpenAI-compatible server serving one model under its own name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_answered: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_version: Option<String>,
    /// Options that change answers (seed, context length, …), as text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Threads whose summary failed (shown as unavailable + extractive).
    pub failed: usize,
    /// The server asked (without credentials), when a model was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The model's context length as its server reported it (it bounds the
    /// prompts, so the cache keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_length: Option<u64>,
}

/// Everything a report records about how it was made.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    pub tool: String,
    pub version: String,
    pub list: String,
    pub lang: Lang,
    pub tz: String,
    /// RFC 3339 UTC; from SOURCE_DATE_EPOCH when set.
    pub generated_at: String,
    pub summarizer: SummarizerInfo,
    /// Notices shown at the top of the report (e.g. no LLM answered).
    pub notices: Vec<String>,
    /// Verdicts of the grounding check; absent with `--grounding off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grounding: Option<GroundingCounts>,
    /// The command line that regenerates this report byte for byte (with
    /// the same SOURCE_DATE_EPOCH and summary cache).
    pub regenerate: String,
}

/// A report: header + digest + one summary per thread.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub report: Header,
    #[serde(flatten)]
    pub digest: Digest,
    #[serde(skip)]
    pub summaries: Vec<ThreadSummary>,
    /// The report's highlights ([`highlights`]).
    #[serde(skip)]
    pub highlights: Vec<highlights::Highlight>,
    /// The model's highlights, when a model made summaries.
    #[serde(skip)]
    pub synthesis: Option<highlights::Synthesis>,
    /// The threads that match the configured watch list, when there is one.
    #[serde(skip)]
    pub watched: Option<Vec<crate::watch::Watched>>,
    /// The numbers of the charts ([`crate::volume`]).
    #[serde(skip)]
    pub activity: crate::volume::Activity,
    /// A report of the watched threads only (`--only-watched`): its files
    /// have names of their own ([`report_stem`]).
    #[serde(skip)]
    pub only_watched: bool,
    /// Series waiting for review at the end of the window, oldest first.
    #[serde(skip)]
    pub awaiting_review: Vec<crate::digest::ledger::Awaiting>,
}

/// JSON form: the digest with each thread's summary inside the thread.
#[derive(Serialize)]
struct ReportJson<'a> {
    report: &'a Header,
    #[serde(skip_serializing_if = "Option::is_none")]
    watched: Option<&'a [crate::watch::Watched]>,
    list: &'a str,
    window: &'a crate::window::Window,
    epochs: &'a [crate::window::RangeOut],
    totals: &'a crate::digest::Totals,
    activity: &'a crate::volume::Activity,
    highlights: &'a [highlights::Highlight],
    awaiting_review: &'a [crate::digest::ledger::Awaiting],
    /// Per person, what they did in the window ([`people`]).
    people: Vec<crate::analysis::activity::PersonActivity>,
    /// `model` or `facts`: where the highlights shown come from.
    highlights_source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    highlights_synthesis: Option<&'a highlights::Synthesis>,
    threads: Vec<ThreadJson<'a>>,
    quality: &'a crate::digest::Quality,
}

#[derive(Serialize)]
struct ThreadJson<'a> {
    #[serde(flatten)]
    thread: &'a ThreadView,
    summary: &'a ThreadSummary,
}

impl Report {
    pub fn to_json(&self) -> String {
        let j = ReportJson {
            report: &self.report,
            watched: self.watched.as_deref(),
            list: &self.digest.list,
            window: &self.digest.window,
            epochs: &self.digest.epochs,
            totals: &self.digest.totals,
            activity: &self.activity,
            highlights: &self.highlights,
            awaiting_review: &self.awaiting_review,
            people: people::of_digest(&self.digest),
            highlights_source: highlights::source(self.synthesis.as_ref()),
            highlights_synthesis: self.synthesis.as_ref(),
            threads: self
                .digest
                .threads
                .iter()
                .zip(&self.summaries)
                .map(|(thread, summary)| ThreadJson { thread, summary })
                .collect(),
            quality: &self.digest.quality,
        };
        let mut s = serde_json::to_string_pretty(&j).expect("report serializes");
        s.push('\n');
        s
    }

    /// File stem and year folder: [`report_stem`].
    pub fn file_stem(&self) -> (String, String) {
        report_stem(&self.digest.list, &self.digest.window, self.only_watched)
    }
}

/// Suffix of the stem of a window computed by the Date header.
const BY_DATE: &str = "-by-date";
/// Suffix of the stem of a report of the watched threads only.
const WATCHED: &str = "-watched";

/// [`window_stem`], plus `-watched` for a report of the watched threads
/// only (`--only-watched`), which so never replaces the full report.
pub fn report_stem(list: &str, w: &crate::window::Window, only_watched: bool) -> (String, String) {
    let (stem, year) = window_stem(list, w);
    if only_watched {
        (format!("{stem}{WATCHED}"), year)
    } else {
        (stem, year)
    }
}

/// `20220307T1000Z` (or `20220307T100005Z` when the seconds are not zero).
fn compact_instant(t: i64) -> String {
    let d = chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0).unwrap_or_default();
    if t % 60 == 0 {
        d.format("%Y%m%dT%H%MZ").to_string()
    } else {
        d.format("%Y%m%dT%H%M%SZ").to_string()
    }
}

fn parse_compact_instant(s: &str) -> Option<i64> {
    ["%Y%m%dT%H%MZ", "%Y%m%dT%H%M%SZ"].iter().find_map(|f| {
        chrono::NaiveDateTime::parse_from_str(s, f)
            .ok()
            .map(|d| d.and_utc().timestamp())
    })
}

/// The file stem of a window's report and its year folder (the year of the
/// window's last day). Each kind of window has names of its own, so no
/// report replaces another kind's:
///
/// | window | stem |
/// | --- | --- |
/// | ISO week | `LIST-2022-03-13` (its Sunday) |
/// | one day | `LIST-2022-03-13-day` |
/// | days | `LIST-2022-03-07--2022-03-13` |
/// | last N, exact times | `LIST-20220307T1000Z--20220313T1000Z` (UTC bounds) |
/// | `--range` alone | `LIST-range-2019-04-29--2023-11-15-<12 hex>` (range end commit) |
///
/// plus `-by-date` for a window computed `--by date`. A `--range` given with
/// a time window only restricts it: the time window decides the name.
pub fn window_stem(list: &str, w: &crate::window::Window) -> (String, String) {
    use crate::window::WindowKind;
    let part = match w.kind {
        // The week's Sunday, also for a week a backfill clipped.
        WindowKind::Week => chrono::NaiveDate::parse_from_str(&w.first_day, "%Y-%m-%d")
            .ok()
            .and_then(|d| {
                let wk = chrono::Datelike::iso_week(&d);
                chrono::NaiveDate::from_isoywd_opt(wk.year(), wk.week(), chrono::Weekday::Sun)
            })
            .map_or_else(|| w.last_day.clone(), |d| d.to_string()),
        WindowKind::Day => format!("{}-day", w.last_day),
        WindowKind::Days => format!("{}--{}", w.first_day, w.last_day),
        WindowKind::Last | WindowKind::Instants => {
            format!("{}--{}", compact_instant(w.start), compact_instant(w.end))
        }
        WindowKind::Range => {
            let ranges = w.ranges.as_deref().unwrap_or_default();
            // One range from the root: its end commit; otherwise a digest
            // of every range, so different ranges never share a name.
            let id = match ranges {
                [one] if one.from.is_none() => one.to.clone(),
                _ => {
                    let text: Vec<String> = ranges
                        .iter()
                        .map(|r| {
                            format!("{}:{}..{}", r.epoch, r.from.as_deref().unwrap_or(""), r.to)
                        })
                        .collect();
                    crate::summarize::hash::sha256_hex(text.join(",").as_bytes())
                }
            };
            format!(
                "range-{}--{}-{}",
                w.first_day,
                w.last_day,
                &id[..12.min(id.len())]
            )
        }
    };
    let by = if w.field == crate::window::TimeField::Date {
        BY_DATE
    } else {
        ""
    };
    let year = match w.kind {
        WindowKind::Week => part.get(..4),
        _ => w.last_day.get(..4),
    }
    .unwrap_or("0000")
    .to_string();
    (format!("{list}-{part}{by}"), year)
}

/// What a report's file name says about its window: (start, end) as UTC
/// seconds (days at UTC midnight, for ordering), the window's label, and
/// whether it is by the Date header. None for files that are not reports.
/// The `-watched` suffix ([`report_stem`]) is taken off first.
fn parse_stem(list: &str, stem: &str) -> Option<(i64, i64, String, bool)> {
    use chrono::{Datelike, NaiveDate};
    let rest = stem.strip_prefix(list)?.strip_prefix('-')?;
    let rest = rest.strip_suffix(WATCHED).unwrap_or(rest);
    let (rest, by_date) = match rest.strip_suffix(BY_DATE) {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let day = |s: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|_| s.len() == 10)
    };
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
    let next = |d: NaiveDate| midnight(d + chrono::Duration::days(1));
    if let Some(r) = rest.strip_prefix("range-") {
        let (days, hex) = r.rsplit_once('-')?;
        if hex.len() != 12 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let (a, b) = days.split_once("--")?;
        let (a, b) = (day(a)?, day(b)?);
        return Some((midnight(a)?, next(b)?, format!("range {a}..{b}"), by_date));
    }
    if let Some((a, b)) = rest.split_once("--") {
        if let (Some(a), Some(b)) = (day(a), day(b)) {
            return Some((midnight(a)?, next(b)?, format!("{a}..{b}"), by_date));
        }
        let (a, b) = (parse_compact_instant(a)?, parse_compact_instant(b)?);
        let label = format!("{}..{}", crate::clock::iso(a), crate::clock::iso(b));
        return Some((a, b, label, by_date));
    }
    if let Some(d) = rest.strip_suffix("-day").and_then(day) {
        return Some((midnight(d)?, next(d)?, d.to_string(), by_date));
    }
    let d = day(rest)?;
    // A week's report is named by its Sunday.
    let w = d.iso_week();
    let monday = NaiveDate::from_isoywd_opt(w.year(), w.week(), chrono::Weekday::Mon)?;
    let label = if d.weekday() == chrono::Weekday::Sun {
        format!("{}-W{:02}", w.year(), w.week())
    } else {
        d.to_string()
    };
    Some((midnight(monday)?, next(d)?, label, by_date))
}

/// A URL without user:password, query or fragment: never a secret in a
/// report.
pub fn public_url(url: &str) -> String {
    let url = url.trim();
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, url),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (auth, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    match scheme {
        Some(s) => format!("{s}://{host}{path}"),
        None => format!("{host}{path}"),
    }
}

/// Paths of the files written.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub files: Vec<PathBuf>,
    pub index: PathBuf,
}

/// Write the report in `formats` under `out`, then the list's index page.
pub fn write(report: &Report, formats: &[Format], out: &Path) -> Result<Written> {
    let (stem, year) = report.file_stem();
    let dir = out.join(&report.digest.list).join(year);
    let md = markdown::render(report);
    let mut contents: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for f in formats {
        let path = dir.join(format!("{stem}.{}", f.ext()));
        let bytes = match f {
            Format::Md => md.clone().into_bytes(),
            Format::Html => html::render_report(report, &md).into_bytes(),
            Format::Json => report.to_json().into_bytes(),
        };
        contents.push((path, bytes));
    }
    // All formats or none: a full disk never leaves a new Markdown next to
    // an old HTML.
    let pairs: Vec<(&Path, &[u8])> = contents
        .iter()
        .map(|(p, b)| (p.as_path(), b.as_slice()))
        .collect();
    write_atomic_all(&pairs)?;
    let files: Vec<PathBuf> = contents.into_iter().map(|(p, _)| p).collect();
    let index = write_index(out, &report.digest.list, report.report.lang)?;
    Ok(Written { files, index })
}

/// One report found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The window as its file name gives it (UTC seconds; days at UTC
    /// midnight), for ordering.
    pub start: i64,
    pub end: i64,
    /// The window's label (`2022-W10`, `2022-03-13`, `range …`).
    pub label: String,
    /// Computed by the Date header.
    pub by_date: bool,
    /// The watched threads only (`--only-watched`).
    pub watched: bool,
    pub stem: String,
    pub rel_dir: String,
    /// The formats found, in the order of their extensions.
    pub formats: Vec<Format>,
}

/// Every report of a list under `out`, every kind of window, newest
/// (latest end, then latest start) first; a window's full report before its
/// report of the watched threads.
pub fn list_reports(out: &Path, list: &str) -> Result<Vec<Listed>> {
    let root = out.join(list);
    let mut found: std::collections::BTreeMap<(String, String), Listed> = Default::default();
    let Ok(years) = std::fs::read_dir(&root) else {
        return Ok(Vec::new());
    };
    for y in years.flatten() {
        if !y.path().is_dir() {
            continue;
        }
        let year = y.file_name().to_string_lossy().into_owned();
        let Ok(files) = std::fs::read_dir(y.path()) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            let Some((stem, ext)) = name.rsplit_once('.') else {
                continue;
            };
            let Some(format) = Format::of_ext(ext) else {
                continue;
            };
            let Some((start, end, label, by_date)) = parse_stem(list, stem) else {
                continue;
            };
            let e = found
                .entry((stem.to_string(), year.clone()))
                .or_insert_with(|| Listed {
                    start,
                    end,
                    label,
                    by_date,
                    watched: stem.ends_with(WATCHED),
                    stem: stem.to_string(),
                    rel_dir: year.clone(),
                    formats: Vec::new(),
                });
            e.formats.push(format);
        }
    }
    let mut v: Vec<Listed> = found.into_values().collect();
    for l in &mut v {
        l.formats.sort_by_key(|f| f.ext());
    }
    v.sort_by(|a, b| {
        (b.end, b.start, a.watched, &b.stem, &b.rel_dir)
            .cmp(&(a.end, a.start, b.watched, &a.stem, &a.rel_dir))
    });
    Ok(v)
}

/// Write `OUT/LIST/index.html` linking every report, newest first, and
/// the Atom feed `OUT/LIST/feed.atom` of the same reports.
pub fn write_index(out: &Path, list: &str, lang: Lang) -> Result<PathBuf> {
    let reports = list_reports(out, list)?;
    let page = html::render_index(list, lang, &reports);
    let path = out.join(list).join("index.html");
    write_atomic(&path, page.as_bytes())?;
    let entries: Vec<feed::Entry> = reports.iter().map(|l| feed::entry(out, list, l)).collect();
    write_atomic(
        &out.join(list).join("feed.atom"),
        feed::render(list, &entries).as_bytes(),
    )?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::index::TimeField;
    use crate::window::{RangeOut, WindowSpec, parse_week, resolve, resolve_in};
    use chrono_tz::Tz;

    fn stem(spec: &WindowSpec, field: TimeField) -> String {
        window_stem("kvmarm", &resolve(spec, Tz::UTC, field, 1647302400)).0
    }

    #[test]
    fn every_kind_of_window_has_its_own_name_and_label() {
        let week = parse_week("2022-W10").unwrap();
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let cases = [
            (
                stem(&week, TimeField::Received),
                "kvmarm-2022-03-13",
                "2022-W10",
            ),
            (
                stem(&week, TimeField::Date),
                "kvmarm-2022-03-13-by-date",
                "2022-W10",
            ),
            (
                stem(
                    &WindowSpec::Days {
                        since: day("2022-03-13"),
                        until: day("2022-03-13"),
                    },
                    TimeField::Received,
                ),
                "kvmarm-2022-03-13-day",
                "2022-03-13",
            ),
            (
                stem(
                    &WindowSpec::Days {
                        since: day("2022-03-07"),
                        until: day("2022-03-13"),
                    },
                    TimeField::Received,
                ),
                "kvmarm-2022-03-07--2022-03-13",
                "2022-03-07..2022-03-13",
            ),
            (
                stem(&WindowSpec::Last { seconds: 5400 }, TimeField::Received),
                "kvmarm-20220314T2230Z--20220315T0000Z",
                "2022-03-14T22:30:00Z..2022-03-15T00:00:00Z",
            ),
            (
                stem(
                    &WindowSpec::Instants {
                        start: 1646647205,
                        end: 1647302400,
                    },
                    TimeField::Received,
                ),
                "kvmarm-20220307T100005Z--20220315T0000Z",
                "2022-03-07T10:00:05Z..2022-03-15T00:00:00Z",
            ),
        ];
        for (stem, want, label) in cases {
            assert_eq!(stem, want);
            let parsed = parse_stem("kvmarm", &stem).unwrap();
            assert_eq!(parsed.2, label, "{stem}");
            assert_eq!(parsed.3, stem.ends_with("-by-date"));
        }
        let mut w = resolve_in(
            &WindowSpec::All,
            Tz::UTC,
            TimeField::Received,
            0,
            Some((1556532000, 1700035800)),
        );
        w.ranges = Some(vec![RangeOut {
            epoch: 0,
            from: None,
            to: "0123456789abcdef0123".into(),
        }]);
        let (stem, year) = window_stem("kvmarm", &w);
        assert_eq!(stem, "kvmarm-range-2019-04-29--2023-11-15-0123456789ab");
        assert_eq!(year, "2023");
        assert_eq!(
            parse_stem("kvmarm", &stem).unwrap().2,
            "range 2019-04-29..2023-11-15"
        );
        // A range with a start is named by a digest of the ranges.
        w.ranges.as_mut().unwrap()[0].from = Some("fedcba".into());
        assert_ne!(window_stem("kvmarm", &w).0, stem);
        // A report of the watched threads only: the window's label, a name
        // of its own.
        let week = resolve(&week, Tz::UTC, TimeField::Received, 1647302400);
        let (watched, _) = report_stem("kvmarm", &week, true);
        assert_eq!(watched, "kvmarm-2022-03-13-watched");
        assert_eq!(report_stem("kvmarm", &week, false).0, "kvmarm-2022-03-13");
        assert_eq!(parse_stem("kvmarm", &watched).unwrap().2, "2022-W10");
        for junk in [
            "kvmarm-",
            "kvmarm-notes",
            "other-2022-03-13",
            "kvmarm-range-x--y-z",
        ] {
            assert!(parse_stem("kvmarm", junk).is_none(), "{junk}");
        }
    }

    #[test]
    fn credentials_never_leave_a_url() {
        assert_eq!(
            public_url("http://user:pw@127.0.0.1:8080/v1?key=s#x"),
            "http://127.0.0.1:8080/v1"
        );
        assert_eq!(public_url("a:b@host:11434"), "host:11434");
        assert_eq!(
            public_url("http://127.0.0.1:11434"),
            "http://127.0.0.1:11434"
        );
    }
}
