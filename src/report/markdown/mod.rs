//! The Markdown report. All text that comes from mail or from a model is
//! escaped so it can never become a link, an image, HTML or a heading: the
//! structure of the report is ours alone.
//!
//! [`render`] lays out the page: the page-wide parts (header, watched
//! threads, highlights, overview, contents, data quality, how to
//! reproduce) are in `overview`, one thread's part (heading, status,
//! summary, mails) in `thread` (its series across versions in `across`),
//! and the escaping and small pieces they share in `text`.

use std::fmt::Write;

use super::Report;
use super::{charts, people};

mod across;
mod overview;
mod text;
mod thread;

pub use text::{MAX_SUMMARY_CHARS, WARN, escape_block, fmt_time};
use thread::Page;

/// Render the whole report as Markdown.
pub fn render(report: &Report) -> String {
    let h = &report.report;
    let d = &report.digest;
    let page = Page {
        labels: h.lang.labels(),
        tz: d.window.zone,
        on_page: text::on_page(&d.threads),
    };
    let l = page.labels;
    let mut o = String::new();
    overview::header(&mut o, l, h, &d.list, &d.window);
    if let Some(watched) = &report.watched {
        overview::watched(&mut o, h.lang, watched, &d.threads);
    }
    o.push_str(&overview::highlights(
        l,
        h.lang,
        &report.highlights,
        report.synthesis.as_ref(),
        &d.threads,
    ));
    overview::totals(&mut o, l, h.lang, &d.totals);
    // The HTML puts its charts here; the numbers are in the JSON.
    if !report.activity.is_empty() {
        let _ = writeln!(o, "{}\n", charts::MARKER);
    }
    o.push_str(&people::render(&people::of_digest(d), h.lang));
    overview::contents(&mut o, l, h.lang, &d.threads);
    thread::by_kind(&mut o, &page, h.lang, &d.threads, &report.summaries);
    overview::quality(&mut o, l, &d.quality);
    overview::reproduce(&mut o, l, h, &d.epochs);
    o
}
