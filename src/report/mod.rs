//! Reports: a digest rendered as Markdown, HTML (from the same Markdown,
//! through pulldown-cmark, with all raw HTML escaped) and JSON, written
//! atomically to `OUT/LIST/YYYY/LIST-YYYY-MM-DD.{md,html,json}`, plus an
//! `OUT/LIST/index.html` of every report.

pub mod cmd;
pub mod html;
pub mod i18n;
pub mod markdown;
pub mod summaries;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::digest::{Digest, ThreadView};
use crate::error::{Error, Result};
use crate::fsutil::{write_atomic, write_atomic_all};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Md,
    Html,
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

    /// Parse `md,html,json`.
    pub fn parse_list(s: &str) -> Result<Vec<Format>> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f = match part.to_ascii_lowercase().as_str() {
                "md" | "markdown" => Format::Md,
                "html" => Format::Html,
                "json" => Format::Json,
                other => {
                    return Err(Error::Usage(format!(
                        "--format: unknown format {other:?} (md, html, json)"
                    )));
                }
            };
            if !out.contains(&f) {
                out.push(f);
            }
        }
        if out.is_empty() {
            return Err(Error::Usage("--format: empty".into()));
        }
        out.sort();
        Ok(out)
    }
}

/// The summary shown for a thread.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadSummary {
    pub text: String,
    /// `model`, `cache`, `extractive` or `unavailable`.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How the summaries were made: recorded so a report can be regenerated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SummarizerInfo {
    pub backend: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_version: Option<String>,
    /// Options that change answers (seed, context length, …), as text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Threads whose summary failed (shown as unavailable + extractive).
    pub failed: usize,
}

/// Everything a report records about how it was made.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    pub tool: String,
    pub version: String,
    pub list: String,
    pub lang: String,
    pub tz: String,
    /// RFC 3339 UTC; from SOURCE_DATE_EPOCH when set.
    pub generated_at: String,
    pub summarizer: SummarizerInfo,
    /// Notices shown at the top of the report (e.g. no LLM answered).
    pub notices: Vec<String>,
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
}

/// JSON form: the digest with each thread's summary inside the thread.
#[derive(Serialize)]
struct ReportJson<'a> {
    report: &'a Header,
    list: &'a str,
    window: &'a crate::window::Window,
    epochs: &'a [crate::window::RangeOut],
    totals: &'a crate::digest::Totals,
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
            list: &self.digest.list,
            window: &self.digest.window,
            epochs: &self.digest.epochs,
            totals: &self.digest.totals,
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

    /// File stem `LIST-YYYY-MM-DD` (window end date in the report's zone)
    /// and its year folder.
    pub fn file_stem(&self) -> (String, String) {
        let day = &self.digest.window.last_day;
        let year = day.get(..4).unwrap_or("0000").to_string();
        (format!("{}-{}", self.digest.list, day), year)
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
    let index = write_index(out, &report.digest.list, &report.report.lang)?;
    Ok(Written { files, index })
}

/// One report found on disk.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listed {
    pub day: String,
    pub stem: String,
    pub rel_dir: String,
    pub formats: Vec<String>,
}

/// Every report of a list under `out`, newest first.
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
            if !["md", "html", "json"].contains(&ext) {
                continue;
            }
            let Some(day) = stem.strip_prefix(&format!("{list}-")) else {
                continue;
            };
            if chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() {
                continue;
            }
            let e = found
                .entry((day.to_string(), year.clone()))
                .or_insert_with(|| Listed {
                    day: day.to_string(),
                    stem: stem.to_string(),
                    rel_dir: year.clone(),
                    formats: Vec::new(),
                });
            e.formats.push(ext.to_string());
        }
    }
    let mut v: Vec<Listed> = found.into_values().collect();
    for l in &mut v {
        l.formats.sort();
    }
    v.sort_by(|a, b| b.day.cmp(&a.day));
    Ok(v)
}

/// Write `OUT/LIST/index.html` linking every report, newest first.
pub fn write_index(out: &Path, list: &str, lang: &str) -> Result<PathBuf> {
    let reports = list_reports(out, list)?;
    let page = html::render_index(list, lang, &reports);
    let path = out.join(list).join("index.html");
    write_atomic(&path, page.as_bytes())?;
    Ok(path)
}
