//! `OUT/LIST/feed.atom`: an Atom feed (RFC 4287) of a list's reports, one
//! entry per report on disk, written with the index page.
//!
//! Entry ids are tag URIs (RFC 4151) from the list and the report's file
//! stem, so a report keeps its id when it is written again. Title, update
//! time and summary come from the report's JSON when it was written (its
//! `highlights`, else its totals, then its series: states, applied,
//! awaiting review); a report without JSON gets its window's
//! label and end.

use std::path::Path;

use super::markup::escape_xml as esc;
use super::{Format, Listed};

/// Tagging entity and date of the feed's tag URIs.
const TAG_AUTHORITY: &str = "lore-digest,2024";

/// What the feed says about one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub title: String,
    /// RFC 3339.
    pub updated: String,
    /// Relative link to the report (HTML, else Markdown, else JSON).
    pub href: String,
    pub summary: String,
}

/// The feed's entry for a report found under `out/list`.
pub fn entry(out: &Path, list: &str, l: &Listed) -> Entry {
    let ext = [Format::Html, Format::Md, Format::Json]
        .into_iter()
        .find(|e| l.formats.contains(e))
        .unwrap_or(Format::Html)
        .ext();
    let href = format!("{}/{}.{ext}", l.rel_dir, l.stem);
    let mut e = Entry {
        id: format!("tag:{TAG_AUTHORITY}:{list}/{}/{}", l.rel_dir, l.stem),
        title: if l.watched {
            format!("{list} {} (watched)", l.label)
        } else {
            format!("{list} {}", l.label)
        },
        updated: crate::clock::iso(l.end),
        href,
        summary: String::new(),
    };
    if l.formats.contains(&Format::Json) {
        let path = out
            .join(list)
            .join(&l.rel_dir)
            .join(format!("{}.json", l.stem));
        // An unreadable or foreign JSON leaves the entry as the file name
        // gives it.
        if let Some(j) = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        {
            if let Some(t) = j["report"]["generated_at"].as_str() {
                e.updated = t.to_string();
            }
            e.summary = summary_of(&j);
        }
    }
    if e.summary.is_empty() {
        e.summary = e.title.clone();
    }
    e
}

/// A highlight without its thread citations (`[T3]`, `[T3, T5]`): they
/// number the threads of the report's page, and mean nothing in a feed
/// reader. The space left before punctuation goes too.
fn without_thread_citations(text: &str) -> String {
    use crate::summarize::synthesis::{Segment, segments};
    let mut out = String::new();
    for seg in segments(text) {
        if let Segment::Text(t) = seg {
            out.push_str(t);
        }
    }
    let mut clean = String::with_capacity(out.len());
    for w in out.split_whitespace() {
        let glued = w.starts_with([
            '.', ',', ';', ':', '!', '?', '。', '，', '；', '：', '！', '？', '、',
        ]);
        if !clean.is_empty() && !glued {
            clean.push(' ');
        }
        clean.push_str(w);
    }
    clean
}

/// The report's highlights, one a line, else its totals in a sentence;
/// then its series (see [`series_lines`]).
fn summary_of(j: &serde_json::Value) -> String {
    let head = headline_of(j);
    let series = series_lines(j);
    match (head.is_empty(), series.is_empty()) {
        (_, true) => head,
        (true, false) => series.join("\n"),
        (false, false) => format!("{head}\n{}", series.join("\n")),
    }
}

/// What the report says of series, as the report JSON carries it: how many
/// threads are in each series state, each series applied in the window
/// (version, who, where) and each series awaiting review (age, link).
fn series_lines(j: &serde_json::Value) -> Vec<String> {
    let mut lines = Vec::new();
    let threads = j["threads"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let mut states: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut applied: Vec<String> = Vec::new();
    for t in threads {
        let s = &t["series"];
        if let Some(state) = s["state"].as_str() {
            *states.entry(state).or_default() += 1;
        }
        let a = &s["applied"];
        if let (Some(v), Some(who), Some(target)) = (
            a["version"].as_u64(),
            a["who"].as_str(),
            a["where"].as_str(),
        ) {
            let title = crate::analysis::parse_subject(t["subject"].as_str().unwrap_or("")).title;
            let line = if target.is_empty() {
                format!("Applied: {title} v{v} by {who}")
            } else {
                format!("Applied: {title} v{v} by {who} to {target}")
            };
            if !applied.contains(&line) {
                applied.push(line);
            }
        }
    }
    if !states.is_empty() {
        let parts: Vec<String> = states.iter().map(|(k, n)| format!("{k} {n}")).collect();
        lines.push(format!("Series state of the threads: {}", parts.join(", ")));
    }
    lines.extend(applied);
    if let Some(aw) = j["awaiting_review"].as_array() {
        for a in aw {
            lines.push(format!(
                "Awaiting review: {} v{} ({} days) {}",
                a["title"].as_str().unwrap_or(""),
                a["version"].as_u64().unwrap_or(1),
                a["days"].as_i64().unwrap_or(0),
                a["url"].as_str().unwrap_or("")
            ));
        }
    }
    lines
}

/// The report's highlights, one a line; else its totals in a sentence.
fn headline_of(j: &serde_json::Value) -> String {
    let lines: Vec<String> = j["highlights"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|h| match h {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Object(o) => ["text", "line", "summary", "title"]
                        .iter()
                        .find_map(|k| o.get(*k).and_then(|v| v.as_str()))
                        .map(without_thread_citations),
                    _ => None,
                })
                .filter(|s| !s.trim().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if !lines.is_empty() {
        return lines.join("\n");
    }
    let t = &j["totals"];
    match (t["messages"].as_u64(), t["threads"].as_u64()) {
        (Some(m), Some(th)) => {
            let mut s = format!("{m} messages in {th} threads");
            if let Some(p) = t["participants"].as_u64() {
                s.push_str(&format!(" from {p} people"));
            }
            if let Some(n) = t["new_threads"].as_u64() {
                s.push_str(&format!(", {n} new threads"));
            }
            s
        }
        _ => String::new(),
    }
}

/// The feed document for `entries` (newest first). Its `updated` is the
/// newest entry's, so the same reports give the same bytes.
pub fn render(list: &str, entries: &[Entry]) -> String {
    let updated = entries
        .iter()
        .map(|e| e.updated.as_str())
        .max()
        .unwrap_or("1970-01-01T00:00:00Z");
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    s.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    s.push_str(&format!("  <id>tag:{TAG_AUTHORITY}:{}</id>\n", esc(list)));
    s.push_str(&format!("  <title>{} digests</title>\n", esc(list)));
    s.push_str(&format!("  <updated>{}</updated>\n", esc(updated)));
    s.push_str("  <author><name>lore-digest</name></author>\n");
    s.push_str("  <generator>lore-digest</generator>\n");
    s.push_str("  <link rel=\"alternate\" type=\"text/html\" href=\"index.html\"/>\n");
    for e in entries {
        s.push_str("  <entry>\n");
        s.push_str(&format!("    <id>{}</id>\n", esc(&e.id)));
        s.push_str(&format!("    <title>{}</title>\n", esc(&e.title)));
        s.push_str(&format!("    <updated>{}</updated>\n", esc(&e.updated)));
        s.push_str(&format!(
            "    <link rel=\"alternate\" href=\"{}\"/>\n",
            esc(&e.href)
        ));
        s.push_str(&format!(
            "    <summary type=\"text\">{}</summary>\n",
            esc(&e.summary)
        ));
        s.push_str("  </entry>\n");
    }
    s.push_str("</feed>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(formats: &[&str]) -> Listed {
        Listed {
            start: 1646611200,
            end: 1647216000,
            label: "2022-W10".into(),
            by_date: false,
            watched: false,
            stem: "kvmarm-2022-W10".into(),
            rel_dir: "2022".into(),
            formats: formats.iter().filter_map(|s| Format::of_ext(s)).collect(),
        }
    }

    #[test]
    fn entry_without_json_links_the_html_and_dates_the_window_end() {
        let dir = tempfile::tempdir().unwrap();
        let e = entry(dir.path(), "kvmarm", &listed(&["html", "md"]));
        assert_eq!(e.href, "2022/kvmarm-2022-W10.html");
        assert_eq!(e.id, "tag:lore-digest,2024:kvmarm/2022/kvmarm-2022-W10");
        assert_eq!(e.updated, "2022-03-14T00:00:00Z");
        assert_eq!(e.title, "kvmarm 2022-W10");
    }

    #[test]
    fn model_highlights_lose_their_thread_citations_in_the_feed() {
        let j: serde_json::Value = serde_json::from_str(
            r#"{"highlights":[{"text":"NV v6 got ten replies [T6]. SME v12 [T7, T9], and more [T1]","threads":["a"]},{"text":"pKVM 合入 [T2]。","threads":[]}]}"#,
        )
        .unwrap();
        assert_eq!(
            summary_of(&j),
            "NV v6 got ten replies. SME v12, and more\npKVM 合入。"
        );
    }

    #[test]
    fn entry_summary_is_the_highlights_else_the_totals() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kvmarm/2022");
        std::fs::create_dir_all(&p).unwrap();
        let json = p.join("kvmarm-2022-W10.json");
        std::fs::write(
            &json,
            r#"{"report":{"generated_at":"2022-03-14T08:00:00Z"},"totals":{"messages":157,"threads":19}}"#,
        )
        .unwrap();
        let e = entry(dir.path(), "kvmarm", &listed(&["json", "md"]));
        assert_eq!(e.updated, "2022-03-14T08:00:00Z");
        assert_eq!(e.summary, "157 messages in 19 threads");
        assert_eq!(e.href, "2022/kvmarm-2022-W10.md");
        std::fs::write(
            &json,
            r#"{"highlights":["vgic rework <v3> & more",{"text":"pKVM applied"}],"totals":{"messages":1,"threads":1}}"#,
        )
        .unwrap();
        let e = entry(dir.path(), "kvmarm", &listed(&["json"]));
        assert_eq!(e.summary, "vgic rework <v3> & more\npKVM applied");
        let doc = render("kvmarm", &[e]);
        assert!(doc.contains("vgic rework &lt;v3&gt; &amp; more"), "{doc}");
    }

    #[test]
    fn entry_summary_carries_series_states_applied_series_and_awaiting_review() {
        let j: serde_json::Value = serde_json::from_str(
            r#"{"totals":{"messages":9,"threads":3},
                "threads":[
                  {"subject":"[PATCH] KVM: arm64: gizmo","series":{"state":"applied",
                   "applied":{"version":1,"who":"Marc Zyngier","where":"kvmarm/next","date":"2022-03-08T12:00:00Z"}}},
                  {"subject":"[PATCH] KVM: arm64: gadget","series":{"state":"applied",
                   "applied":{"version":2,"who":"Paolo Bonzini","where":"","date":"2022-03-09T12:00:00Z"}}},
                  {"subject":"[PATCH v2 0/3] KVM: arm64: widgets","series":{"state":"new"}},
                  {"subject":"[PATCH 0/2] KVM: arm64: widgets","series":{"state":"new"}},
                  {"subject":"Question","series":{}}],
                "awaiting_review":[{"id":"d0@x","title":"KVM: arm64: lonely","version":1,
                  "since":"2022-02-28T10:00:00Z","days":14,"url":"https://lore.kernel.org/t/d0@x/"}]}"#,
        )
        .unwrap();
        assert_eq!(
            summary_of(&j),
            "9 messages in 3 threads\n\
             Series state of the threads: applied 2, new 2\n\
             Applied: KVM: arm64: gizmo v1 by Marc Zyngier to kvmarm/next\n\
             Applied: KVM: arm64: gadget v2 by Paolo Bonzini\n\
             Awaiting review: KVM: arm64: lonely v1 (14 days) https://lore.kernel.org/t/d0@x/"
        );
    }

    #[test]
    fn feed_of_no_reports_is_still_a_feed() {
        let doc = render("kvmarm", &[]);
        assert!(doc.contains("<updated>1970-01-01T00:00:00Z</updated>"));
        assert!(doc.ends_with("</feed>\n"));
    }
}
