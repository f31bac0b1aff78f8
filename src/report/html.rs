//! HTML rendering: the report's Markdown through pulldown-cmark into one
//! standalone page (embedded CSS, light and dark, phone and desktop; no
//! JavaScript; a Content-Security-Policy that forbids scripts and every
//! external request). Raw HTML never passes: HTML events become text (but
//! for our own mail anchors and the People section's `<details>` and
//! `<summary>`, matched exactly), and links other than http(s) lose their
//! target.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

use super::{Listed, Report};
use crate::lang::Lang;

const CSS: &str = r#"
:root { color-scheme: light dark; --fg: #1d1f23; --bg: #ffffff; --muted: #5c6370; --line: #d8dde3;
  --accent: #0b63c5; --code: #f2f4f7; --hist: #8a8f98; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e3e6ea; --bg: #15171a; --muted: #9aa3ad; --line: #30353b; --accent: #6cb0ff;
    --code: #23272d; --hist: #7d848d; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem 1.2rem 4rem; font: 16px/1.6 system-ui, -apple-system,
  "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", "Liberation Sans", "Noto Sans CJK SC", "Source Han Sans SC",
  "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", "Droid Sans Fallback", sans-serif;
  color: var(--fg); background: var(--bg); overflow-wrap: anywhere; }
code, pre, kbd { font-family: ui-monospace, "SFMono-Regular", "Cascadia Mono", Menlo, Consolas, "DejaVu Sans Mono",
  "Noto Sans Mono", "Liberation Mono", "Noto Sans Mono CJK SC", "Source Han Mono SC", "WenQuanYi Zen Hei Mono",
  monospace; }
details > summary { cursor: pointer; color: var(--accent); }
a[id]:target + a { background: var(--code); outline: 1px solid var(--accent); }
h1 { font-size: 1.6rem; line-height: 1.3; }
h2 { margin-top: 2.2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { margin-top: 2rem; font-size: 1.15rem; line-height: 1.35; }
h4 { margin: 1.2rem 0 .4rem; font-size: 1rem; color: var(--muted); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code { background: var(--code); padding: 0 .25rem; border-radius: 3px; font-size: .9em; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .25rem .6rem; }
.r { text-align: right; } .c { text-align: center; } .l { text-align: left; }
hr { border: 0; border-top: 1px solid var(--line); margin: 2rem 0; }
li { margin: .15rem 0; }
em { color: var(--hist); }
h3:target { background: var(--code); }
nav.top { font-size: .9rem; color: var(--muted); }
@media (max-width: 40rem) { body { padding: .6rem .7rem 3rem; font-size: 15px; } h1 { font-size: 1.3rem; } }
"#;

use super::markup::escape_html as escape;

fn safe_url(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    u.starts_with("https://") || u.starts_with("http://") || u.starts_with('#')
}

/// `<a id="t-N-m-K">` exactly: the anchor of a mail in a thread's list.
fn is_mail_anchor(t: &str) -> bool {
    let Some(id) = t
        .strip_prefix("<a id=\"t-")
        .and_then(|r| r.strip_suffix("\">"))
    else {
        return false;
    };
    let mut it = id.split("-m-");
    matches!(
        (it.next(), it.next(), it.next()),
        (Some(a), Some(b), None)
            if !a.is_empty() && !b.is_empty()
                && a.len() < 8 && b.len() < 8
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
    )
}

/// One line of the `<details>` that folds a long mail list, exactly as
/// [`super::maillist`] writes it: `<details>`, `</details>`, or
/// `<summary>TEXT</summary>` with plain text.
fn is_details_line(t: &str) -> bool {
    !t.trim().is_empty()
        && t.lines().all(|t| {
            t == "<details>"
                || t == "</details>"
                || t.strip_prefix("<summary>")
                    .and_then(|r| r.strip_suffix("</summary>"))
                    .is_some_and(|r| !r.contains(['<', '>', '&', '"', '\'']))
        })
}

/// Markdown to HTML with raw HTML shown as text (but our mail anchors and
/// the `<details>` of a long mail list or of the People section), unsafe
/// links disarmed and `id="t-N"` on the thread heading "N. subject".
pub fn markdown_to_html(md: &str) -> String {
    markdown_to_html_with(md, "")
}

/// [`markdown_to_html`], with `charts` (our own SVG) in place of the line
/// [`super::charts::MARKER`].
pub fn markdown_to_html_with(md: &str, charts: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    let parsed: Vec<Event> = Parser::new_ext(md, opts).collect();
    // A thread's heading is "N. subject": its anchor is `t-N`; other
    // level-3 headings (the overview's tables) get none.
    let mut thread_ids: std::collections::VecDeque<Option<String>> = parsed
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            matches!(
                e,
                Event::Start(Tag::Heading {
                    level: HeadingLevel::H3,
                    ..
                })
            )
        })
        .map(|(i, _)| match parsed.get(i + 1) {
            Some(Event::Text(t)) => {
                let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
                (!digits.is_empty() && t[digits.len()..].starts_with(". "))
                    .then(|| format!("t-{digits}"))
            }
            _ => None,
        })
        .collect();
    let mut link_stack: Vec<bool> = Vec::new();
    // Our own mail anchors (`<a id="t-3-m-2"></a>`) pass; any other HTML
    // is shown as text.
    let mut anchor_open = false;
    let events = parsed.into_iter().filter_map(move |ev| match ev {
        Event::Html(t) if t.trim_end() == super::charts::MARKER => {
            Some(Event::Html(CowStr::from(charts.to_string())))
        }
        Event::InlineHtml(t) if is_mail_anchor(&t) => {
            anchor_open = true;
            Some(Event::InlineHtml(t))
        }
        Event::InlineHtml(t) if anchor_open && &*t == "</a>" => {
            anchor_open = false;
            Some(Event::InlineHtml(t))
        }
        Event::Html(t) if is_details_line(&t) => Some(Event::Html(t)),
        Event::Html(t) | Event::InlineHtml(t) => {
            anchor_open = false;
            Some(Event::Text(t))
        }
        Event::Start(Tag::Heading {
            level: HeadingLevel::H3,
            classes,
            attrs,
            ..
        }) => Some(Event::Start(Tag::Heading {
            level: HeadingLevel::H3,
            id: thread_ids.pop_front().flatten().map(CowStr::from),
            classes,
            attrs,
        })),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let ok = safe_url(&dest_url);
            link_stack.push(ok);
            ok.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => {
            if link_stack.pop().unwrap_or(false) {
                Some(Event::End(TagEnd::Link))
            } else {
                None
            }
        }
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        e => Some(e),
    });
    let mut out = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut out, events);
    aligned_by_class(&out)
}

/// The alignment pulldown-cmark writes on every cell of an aligned table
/// column (`<td style="text-align: right">`) as a short class (`<td
/// class="r">`, styled once in the page's CSS). Text never holds a raw
/// `<`, so only the cells' own tags match.
fn aligned_by_class(html: &str) -> String {
    let mut out = html.to_string();
    for cell in ["td", "th"] {
        for (align, class) in [("right", "r"), ("center", "c"), ("left", "l")] {
            out = out.replace(
                &format!("<{cell} style=\"text-align: {align}\">"),
                &format!("<{cell} class=\"{class}\">"),
            );
        }
    }
    out
}

/// `md` as a standalone page titled `title` (the series history page).
pub fn render_page(title: &str, lang: Lang, md: &str) -> String {
    page(title, lang, &markdown_to_html(md))
}

fn page(title: &str, lang: Lang, body: &str) -> String {
    page_with_head(title, lang, "", body)
}

/// [`page`] with `head` (trusted markup) added to its `<head>`.
fn page_with_head(title: &str, lang: Lang, head: &str, body: &str) -> String {
    let html_lang = lang.labels().html_lang;
    format!(
        "<!DOCTYPE html>\n<html lang=\"{html_lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n\
<title>{}</title>\n{head}<style>{}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title),
        // One line: the indentation of the source is not sent.
        format!("{CSS}{}", super::charts::CSS)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// The report page.
pub fn render_report(report: &Report, md: &str) -> String {
    let l = report.report.lang.labels();
    let title = format!(
        "{} {} · {}",
        report.digest.list.to_uppercase(),
        l.title,
        report.digest.window.label
    );
    let nav = format!(
        "<nav class=\"top\"><a href=\"../index.html\">{}</a></nav>\n",
        escape(l.reports_index)
    );
    let charts =
        super::charts::render(&report.activity, &report.digest.threads, report.report.lang);
    page(
        &title,
        report.report.lang,
        &(nav + &markdown_to_html_with(md, &charts)),
    )
}

/// The index page of a list's reports, newest first: each window's label
/// linking to its HTML, then its formats; and the Atom feed beside it
/// (`feed.atom`), linked for readers and for feed readers.
pub fn render_index(list: &str, lang: Lang, reports: &[Listed]) -> String {
    let l = lang.labels();
    let feed = l.atom_feed;
    let mut body = format!(
        "<h1>{} {} — {}</h1>\n<p><a href=\"feed.atom\" type=\"application/atom+xml\">{}</a></p>\n<ul>\n",
        escape(&list.to_uppercase()),
        escape(l.title),
        escape(l.reports_index),
        escape(feed)
    );
    for r in reports {
        let mut links = Vec::new();
        for f in &r.formats {
            let href = format!("{}/{}.{}", r.rel_dir, r.stem, f.ext());
            links.push(format!(
                "<a href=\"{}\">{}</a>",
                escape(&href),
                escape(f.ext())
            ));
        }
        let mut label = r.label.clone();
        if r.by_date {
            label = format!("{label} ({})", l.by_date);
        }
        if r.watched {
            label = format!("{label} ({})", l.watched_mark);
        }
        let main = if r.formats.contains(&super::Format::Html) {
            format!(
                "<a href=\"{}/{}.html\">{}</a>",
                escape(&r.rel_dir),
                escape(&r.stem),
                escape(&label)
            )
        } else {
            escape(&label)
        };
        body.push_str(&format!(
            "<li>{main} <small>({})</small></li>\n",
            links.join(" · ")
        ));
    }
    body.push_str("</ul>\n");
    let head = format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"feed.atom\" title=\"{}\">\n",
        escape(&format!("{list} {feed}"))
    );
    page_with_head(
        &format!("{} {}", list.to_uppercase(), l.reports_index),
        lang,
        &head,
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_alignment_is_a_class_and_text_that_looks_like_it_stays_text() {
        let html = markdown_to_html(
            "| a | b | c |\n| :--- | ---: | :---: |\n| x | 1 | y |\n\n`<td style=\"text-align: right\">`",
        );
        assert!(!html.contains("<td style="), "{html}");
        assert!(!html.contains("<th style="), "{html}");
        assert!(html.contains("<th class=\"l\">a</th>"), "{html}");
        assert!(html.contains("<td class=\"r\">1</td>"), "{html}");
        assert!(html.contains("<td class=\"c\">y</td>"), "{html}");
        assert!(html.contains("&lt;td style="), "{html}");
        // The classes are styled, in a style sheet sent as one line.
        let page = page("t", crate::lang::Lang::En, &html);
        let style = &page[page.find("<style>").unwrap()..page.find("</style>").unwrap()];
        assert!(style.contains(".r { text-align: right; }"), "{style}");
        assert!(!style.contains('\n'), "{style}");
    }

    #[test]
    fn raw_html_becomes_text_and_bad_links_lose_targets() {
        let html = markdown_to_html(
            "a <script>alert(1)</script> [x](javascript:alert(1)) ![i](http://x/i.png)\n\n<div onclick=x>y</div>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn the_people_section_stays_collapsed_and_nothing_else_passes() {
        let rows = vec![crate::analysis::activity::PersonActivity {
            name: "Ann <details>".into(),
            email: "ann@example.org".into(),
            patches: 2,
            ..Default::default()
        }];
        let md = super::super::people::render(&rows, crate::lang::Lang::En);
        let html = markdown_to_html(&format!(
            "{md}<details open>\n\nx\n\n<summary>a</summary><b>\n"
        ));
        assert!(
            html.contains("<details>\n<summary>People (1)</summary>\n"),
            "{html}"
        );
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<td>Ann &lt;details&gt;</td>"), "{html}");
        assert_eq!(html.matches("<details").count(), 1, "{html}");
        assert_eq!(html.matches("</details>").count(), 1, "{html}");
        assert!(html.contains("&lt;details open&gt;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
    }

    #[test]
    fn thread_headings_get_anchors() {
        let html = markdown_to_html("## kind\n\n### 1. a\n\n### 2. b\n");
        assert!(html.contains("<h3 id=\"t-1\">"), "{html}");
        assert!(html.contains("<h3 id=\"t-2\">"), "{html}");
    }

    #[test]
    fn only_numbered_thread_headings_are_thread_anchors() {
        // The overview's "By kind" is a level-3 heading too: thread 1 must
        // still be `#t-1`, where the contents, highlights and charts link.
        let html =
            markdown_to_html("## Overview\n\n### By kind\n\n## PATCH\n\n### 1. a\n\n### 2. b\n");
        assert!(html.contains("<h3>By kind</h3>"), "{html}");
        assert!(html.contains("<h3 id=\"t-1\">1. a</h3>"), "{html}");
        assert!(html.contains("<h3 id=\"t-2\">2. b</h3>"), "{html}");
    }

    #[test]
    fn only_our_details_lines_pass_as_html() {
        let html =
            markdown_to_html("<details>\n<summary>All 12 mails</summary>\n\n1. a\n\n</details>\n");
        assert!(
            html.contains("<details>\n<summary>All 12 mails</summary>"),
            "{html}"
        );
        assert!(html.contains("</details>"), "{html}");
        for bad in [
            "<details open>\n<summary>x</summary>\n",
            "<details>\n<summary onclick=\"x\">y</summary>\n",
            "<details>\n<summary><b>y</b></summary>\n",
            "<details>\n<script>alert(1)</script>\n",
        ] {
            let html = markdown_to_html(bad);
            assert!(html.contains("&lt;"), "{bad}: {html}");
            assert!(!html.contains("<script"), "{bad}: {html}");
            assert!(!html.contains("<details open"), "{bad}: {html}");
            assert!(!html.contains("<b>"), "{bad}: {html}");
            assert!(!html.contains("<summary onclick"), "{bad}: {html}");
        }
    }

    #[test]
    fn page_forbids_scripts_and_requests() {
        let p = page("<t>", crate::lang::Lang::En, "x");
        assert!(p.contains("default-src 'none'"));
        assert!(p.contains("&lt;t&gt;"));
        assert!(!p.contains("<script"));
    }
}
