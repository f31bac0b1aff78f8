//! The "People" section of a report: per person, what they did in the
//! window ([`crate::analysis::activity`]), as a table collapsed under
//! `<details>` in Markdown and HTML, and as `people` in the JSON.

use std::collections::HashMap;
use std::fmt::Write;

use super::markup::escape_inline;
use crate::analysis::activity::{self, ActivityMail, PersonActivity};
use crate::digest::Digest;
use crate::lang::Lang;

/// The activity of everyone who sent a window mail of the digest's threads
/// or is named by a Reviewed-by, Acked-by or Tested-by in one.
pub fn of_digest(d: &Digest) -> Vec<PersonActivity> {
    let mails: Vec<ActivityMail<'_>> = d
        .threads
        .iter()
        .flat_map(|t| {
            t.messages
                .iter()
                .filter(|m| m.in_window)
                .map(|m| ActivityMail {
                    thread: t.id.as_str(),
                    sender: &m.sender,
                    subject: &m.subject_info,
                    trailers: &m.facts.trailers,
                    bot: m.bot.is_some(),
                })
        })
        .collect();
    activity::count(&mails)
}

/// Wording of the section.
struct Labels {
    people: &'static str,
    person: &'static str,
    columns: [&'static str; 8],
}

fn labels(lang: Lang) -> Labels {
    if lang == Lang::Zh {
        Labels {
            people: "人员活动",
            person: "人员",
            columns: [
                "补丁",
                "系列",
                "Reviewed-by",
                "Acked-by",
                "Tested-by",
                "被携带",
                "回复",
                "线程",
            ],
        }
    } else {
        Labels {
            people: "People",
            person: "Person",
            columns: [
                "Patches",
                "Series",
                "Reviewed-by",
                "Acked-by",
                "Tested-by",
                "Carried",
                "Replies",
                "Threads",
            ],
        }
    }
}

/// The collapsed Markdown section (empty without people): `<details>`, a
/// `<summary>` with the number of people, the table. The HTML converter
/// lets exactly these tags through.
pub fn render(rows: &[PersonActivity], lang: Lang) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let l = labels(lang);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{DETAILS_OPEN}\n{}\n",
        summary_line(&format!("{} ({})", l.people, rows.len()))
    );
    let _ = writeln!(o, "| {} | {} |", l.person, l.columns.join(" | "));
    let _ = writeln!(o, "| --- |{}", " ---: |".repeat(l.columns.len()));
    // A name two rows share (two people, one word) is told apart by address.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for r in rows {
        *seen.entry(r.name.as_str()).or_default() += 1;
    }
    for r in rows {
        let who = if seen[r.name.as_str()] > 1 && !r.email.is_empty() && r.email != r.name {
            format!("{} ({})", r.name, r.email)
        } else {
            r.name.clone()
        };
        let n = [
            r.patches, r.series, r.reviews, r.acks, r.tested, r.carried, r.replies, r.threads,
        ];
        let cells: Vec<String> = n.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(o, "| {} | {} |", escape_inline(&who), cells.join(" | "));
    }
    let _ = writeln!(o, "\n{DETAILS_CLOSE}\n");
    o
}

pub const DETAILS_OPEN: &str = "<details>";
pub const DETAILS_CLOSE: &str = "</details>";

/// `<summary>TEXT</summary>` with `TEXT` free of markup.
fn summary_line(text: &str) -> String {
    let text: String = text
        .chars()
        .filter(|c| !matches!(c, '<' | '>' | '&' | '"' | '\'' | '\n' | '\r'))
        .collect();
    format!("<summary>{text}</summary>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, email: &str, patches: usize) -> PersonActivity {
        PersonActivity {
            name: name.into(),
            email: email.into(),
            patches,
            ..Default::default()
        }
    }

    #[test]
    fn the_section_is_a_collapsed_table_with_escaped_names() {
        let rows = vec![
            row("Alice | <b>Author</b>", "alice@example.org", 3),
            row("Marc", "marc@a.org", 1),
            row("Marc", "marc@b.org", 1),
        ];
        let md = render(&rows, crate::lang::Lang::En);
        assert!(md.starts_with("<details>\n<summary>People (3)</summary>\n\n| Person | Patches |"));
        assert!(md.trim_end().ends_with("</details>"), "{md}");
        assert!(
            md.contains("| Alice \\| \\<b\\>Author\\</b\\> | 3 | 0 |"),
            "{md}"
        );
        assert!(md.contains("| Marc (marc@a.org) | 1 |"), "{md}");
        assert!(md.contains("| Marc (marc@b.org) | 1 |"), "{md}");
        let zh = render(&rows, crate::lang::Lang::Zh);
        assert!(zh.contains("<summary>人员活动 (3)</summary>"), "{zh}");
        assert!(zh.contains("| 人员 | 补丁 | 系列 | Reviewed-by |"), "{zh}");
        assert_eq!(render(&[], crate::lang::Lang::En), "");
    }
}
