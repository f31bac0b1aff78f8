//! The mail list of a thread in the Markdown and HTML report: the patch
//! mails of each version of a series as one compact line of numbers (N/M
//! order, each linked and carrying its mail-number anchor), replies in full,
//! long lists folded into `<details>`; and the fixed text of every report
//! without emoji (text markers, a font stack that covers CJK).

use crate::common;

use std::path::Path;

use common::*;
use serde_json::Value;

const T0: i64 = 1_646_647_200; // Monday 2022-03-07 10:00 UTC

fn at(hours: f64) -> String {
    rfc2822_date(T0 + (hours * 3600.0) as i64)
}

const SERIES: &str = "KVM: arm64: gadget rework";

/// Week 9 (history): v1 of the series, 0/2..2/2, and a reply. Week 10: v2
/// sent in reply to v1's cover letter, 0/3..3/3 (patches arriving out of
/// order), then `replies` replies to v2 patches.
fn series_mails(replies: usize) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    let alice = "Alice Author <alice@example.org>";
    for n in 0..=2 {
        let mid = format!("v1-{n}@x");
        let (parent, refs): (Option<&str>, Vec<&str>) = if n == 0 {
            (None, vec![])
        } else {
            (Some("v1-0@x"), vec!["v1-0@x"])
        };
        v.push(mail(
            &mid,
            alice,
            &format!("[PATCH {n}/2] {SERIES} part {n}"),
            &at(-100.0 + n as f64 * 0.01),
            parent,
            &refs,
            "v1 text\n",
        ));
    }
    v.push(mail(
        "v1-r@x",
        "Bob Reviewer <bob@example.org>",
        &format!("Re: [PATCH 1/2] {SERIES} part 1"),
        &at(-90.0),
        Some("v1-1@x"),
        &["v1-0@x", "v1-1@x"],
        "Please rename it.\n",
    ));
    for n in [0, 2, 1, 3] {
        let mid = format!("v2-{n}@x");
        let (parent, refs): (&str, Vec<&str>) = if n == 0 {
            ("v1-0@x", vec!["v1-0@x"])
        } else {
            ("v2-0@x", vec!["v1-0@x", "v2-0@x"])
        };
        v.push(mail(
            &mid,
            alice,
            &format!("[PATCH v2 {n}/3] {SERIES} part {n}"),
            &at(1.0 + n as f64 * 0.01),
            Some(parent),
            &refs,
            "v2 text\n---\n arch/arm64/kvm/gadget.c | 2 +-\n",
        ));
    }
    for r in 0..replies {
        let p = format!("v2-{}@x", 1 + r % 3);
        v.push(mail(
            &format!("v2-r{r}@x"),
            "Bob Reviewer <bob@example.org>",
            &format!("Re: [PATCH v2 {}/3] {SERIES} part {}", 1 + r % 3, 1 + r % 3),
            &at(5.0 + r as f64),
            Some(&p),
            &["v1-0@x", "v2-0@x", &p],
            &format!("Reply number {r}: looks fine.\n"),
        ));
    }
    v
}

struct Out {
    _t: tempfile::TempDir,
    data: tempfile::TempDir,
    md: String,
    html: String,
    json: Value,
}

/// Sync `mails` as list `t` and write the report of 2022-W10 (`args` added).
fn report(mails: Vec<Vec<u8>>, args: &[&str]) -> Out {
    let (t, b) = EpochBuilder::temp();
    b.add_dated(mails);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap()])
        .ok();
    Lore::new(data.path())
        .args(["report", "t", "--week", "2022-W10", "--no-llm"])
        .args(["--format", "md,html,json", "--out"])
        .arg(data.path().join("R"))
        .args(args)
        .ok();
    let dir = data.path().join("R/t/2022");
    let read = |e: &str| std::fs::read_to_string(dir.join(format!("t-2022-03-13.{e}"))).unwrap();
    let json = serde_json::from_str(&read("json")).unwrap();
    Out {
        md: read("md"),
        html: read("html"),
        json,
        _t: t,
        data,
    }
}

/// The Markdown of thread 1's mail list (after its "Mails" heading).
fn mail_list(md: &str) -> &str {
    let heading = md.find(" Mails\n\n").expect("a mail list");
    let start = md[..heading].rfind('\n').map_or(0, |i| i + 1);
    let rest = &md[start..];
    let end = ["\n#", "\n---"]
        .iter()
        .filter_map(|s| rest[4..].find(s))
        .min()
        .map_or(rest.len(), |e| e + 4);
    &rest[..end]
}

#[test]
fn patch_mails_of_each_version_are_one_line_of_numbers_in_order() {
    let o = report(series_mails(2), &["--lang", "en"]);
    let th = &o.json["threads"][0];
    let msgs = th["messages"].as_array().unwrap();
    // The JSON keeps every mail: 3 + 1 history, 4 + 2 in the window.
    assert_eq!(msgs.len(), 10, "{th}");
    let list = mail_list(&o.md);
    let lines: Vec<&str> = list.lines().filter(|l| !l.trim().is_empty()).collect();
    // Heading, the v1 block, its reply, the v2 block, two replies.
    assert_eq!(lines.len(), 6, "{list}");
    assert!(lines[1].starts_with("- **\\#1–3**"), "{list}");
    assert!(lines[1].contains("*(history)*"), "{list}");
    assert!(lines[1].contains("v1, 2 patches + cover letter"), "{list}");
    // A version of the history links its cover letter, not each patch (none
    // of them is cited).
    assert!(lines[1].contains("[0/2]("), "{list}");
    assert!(!lines[1].contains("[1/2]("), "{list}");
    assert!(!lines[1].contains("[2/2]("), "{list}");
    // The history reply is cited by the summary ("Earlier discussion"), so
    // it keeps its own line.
    assert!(o.md.contains("](#t-1-m-4)"), "{}", o.md);
    assert!(lines[2].starts_with("4. <a id=\"t-1-m-4\"></a>"), "{list}");
    assert!(lines[3].starts_with("- **\\#5–8**"), "{list}");
    assert!(lines[3].contains("v2, 3 patches + cover letter"), "{list}");
    assert!(!lines[3].contains("history"), "{list}");
    assert!(lines[4].starts_with("9. <a id=\"t-1-m-9\"></a>"), "{list}");
    assert!(
        lines[5].starts_with("10. <a id=\"t-1-m-10\"></a>"),
        "{list}"
    );
    // Each number of the window's version links the mail, in N/M order
    // although 2/3 arrived before 1/3; it carries the anchor of its mail
    // number when a citation lands there, and only then.
    let mut at = 0;
    for (k, n) in (5..=8).zip(0..=3) {
        let url = msgs[k - 1]["url"].as_str().unwrap();
        assert!(url.ends_with(&format!("/v2-{n}@x/")), "{url}");
        let cited = o.md.contains(&format!("](#t-1-m-{k})"));
        let anchor = format!("<a id=\"t-1-m-{k}\"></a>");
        let want = format!("{}[{n}/3]({url})", if cited { anchor.as_str() } else { "" });
        let pos = lines[3][at..]
            .find(&want)
            .unwrap_or_else(|| panic!("{want} after {at} in {}", lines[3]));
        at += pos + want.len();
        assert_eq!(o.md.matches(&anchor).count(), usize::from(cited), "{list}");
    }
    // The patches' own subjects are not repeated, nor are they in the
    // replies, which keep the patch's tags.
    assert!(!list.contains("gadget"), "{list}");
    assert!(list.contains("[Re: \\[PATCH v2 1/3\\]]("), "{list}");
    assert!(list.contains("[Re: \\[PATCH 1/2\\]]("), "{list}");
    // One anchor per listed reply and per cited patch, in Markdown and HTML.
    let anchors = o.md.matches("<a id=\"t-1-m-").count();
    let cited_patches = [1, 5, 6, 7, 8]
        .iter()
        .filter(|k| o.md.contains(&format!("](#t-1-m-{k})")))
        .count();
    assert_eq!(anchors, 3 + cited_patches, "{list}");
    assert_eq!(o.html.matches("<a id=\"t-1-m-").count(), anchors);
    // The lists of mails keep their numbers in HTML.
    assert!(o.html.contains("<ol start=\"4\">"), "{}", o.html);
    assert!(o.html.contains("<ol start=\"9\">"), "{}", o.html);
    assert!(!o.html.contains("&lt;a id="), "anchors are not text");
    // Short: not folded.
    assert!(!list.contains("<details>"), "{list}");
}

#[test]
fn chinese_blocks_say_version_and_count_in_chinese() {
    let o = report(series_mails(0), &["--lang", "zh"]);
    assert!(o.md.contains("v2，3 个补丁 + 封面信"), "{}", o.md);
}

#[test]
fn every_citation_link_has_its_anchor() {
    let o = report(series_mails(3), &["--lang", "en"]);
    let cites: Vec<&str> =
        o.md.match_indices("](#t-1-m-")
            .map(|(i, _)| {
                let rest = &o.md[i + 3..];
                &rest[..rest.find(')').unwrap()]
            })
            .collect();
    assert!(
        !cites.is_empty(),
        "the extractive summary cites mails: {}",
        o.md
    );
    for c in cites {
        assert!(
            o.md.contains(&format!("<a id=\"{c}\"></a>")),
            "{c} has no anchor: {}",
            o.md
        );
        assert!(o.html.contains(&format!("<a id=\"{c}\"></a>")), "{c}");
    }
}

/// The series of [`series_mails`] with three more replies to v1 in week 9:
/// Bob twice (once under another display name), Alice once (neither is
/// anyone's first earlier mail, which the summary's "Earlier discussion"
/// cites).
fn series_with_more_history() -> Vec<Vec<u8>> {
    let mut mails = series_mails(1);
    for (k, (who, h)) in [
        ("Bob Reviewer <bob@example.org>", -89.0),
        ("Alice Author <alice@example.org>", -88.0),
        ("\"B. Reviewer\" <bob@example.org>", -87.0),
    ]
    .into_iter()
    .enumerate()
    {
        mails.push(mail(
            &format!("v1-more{k}@x"),
            who,
            &format!("Re: [PATCH 2/2] {SERIES} part 2"),
            &at(h),
            Some("v1-2@x"),
            &["v1-0@x", "v1-2@x"],
            "More on this.\n",
        ));
    }
    mails
}

#[test]
fn earlier_mails_nobody_cites_are_one_line_of_who_wrote_how_many() {
    let o = report(series_with_more_history(), &["--lang", "en"]);
    let th = &o.json["threads"][0];
    // The JSON keeps every mail.
    let msgs = th["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 12, "{th}");
    assert_eq!(th["history_messages"], 7, "{th}");
    let list = mail_list(&o.md);
    let lines: Vec<&str> = list.lines().filter(|l| !l.trim().is_empty()).collect();
    // Heading, v1 block, Bob's cited first reply, the three others in one
    // line, the v2 block, one reply.
    assert_eq!(lines.len(), 6, "{list}");
    assert!(lines[2].starts_with("4. <a id=\"t-1-m-4\"></a>"), "{list}");
    let run = lines[3];
    assert!(run.starts_with("- **\\#5–7** `"), "{list}");
    assert!(run.contains("*(history)* 3 mails: "), "{list}");
    assert!(
        run.ends_with("Bob Reviewer (2), Alice Author (1)"),
        "most mails first, one person one name: {list}"
    );
    // Not listed one by one: no link, no anchor.
    for m in &msgs[4..7] {
        let url = m["url"].as_str().unwrap();
        assert!(url.contains("v1-more"), "{url}");
        assert!(!o.md.contains(url), "{url} in {list}");
    }
    for k in 5..=7 {
        assert!(!o.md.contains(&format!("t-1-m-{k}\"")), "{list}");
        assert!(!o.md.contains(&format!("(#t-1-m-{k})")), "uncited");
    }
    // The HTML has the same line.
    assert!(
        o.html
            .contains("3 mails: Bob Reviewer (2), Alice Author (1)")
    );
    // Chinese.
    let zh = report(series_with_more_history(), &["--lang", "zh"]);
    assert!(
        zh.md
            .contains("*(历史)* 3 封邮件: Bob Reviewer (2), Alice Author (1)"),
        "{}",
        mail_list(&zh.md)
    );
}

#[test]
fn a_mail_cited_again_links_its_entry_and_lore_only_the_first_time() {
    let o = report(series_mails(1), &["--lang", "en"]);
    // Status, Abstract and Earlier discussion all rest on the cover letter.
    let cites = o.md.matches("[#1](#t-1-m-1)").count();
    assert!(cites >= 2, "{}", o.md);
    let url = o.json["threads"][0]["messages"][0]["url"].as_str().unwrap();
    assert_eq!(
        o.md.matches(&format!("[#1](#t-1-m-1) [↗]({url})")).count(),
        1,
        "{}",
        o.md
    );
    assert_eq!(
        o.html
            .matches(&format!(
                "<a href=\"#t-1-m-1\">#1</a> <a href=\"{url}\">↗</a>"
            ))
            .count(),
        1
    );
}

#[test]
fn the_status_cites_each_reviewer_once_not_every_patch_they_reviewed() {
    let alice = "Alice Author <alice@example.org>";
    let mut mails = Vec::new();
    for n in 0..=4 {
        let mid = format!("s-{n}@x");
        let (parent, refs): (Option<&str>, Vec<&str>) = if n == 0 {
            (None, vec![])
        } else {
            (Some("s-0@x"), vec!["s-0@x"])
        };
        // Every patch carries Ben's and Carol's tags from v1.
        let body = if n == 0 {
            "The gadget, reworked.\n".to_string()
        } else {
            "Part of it.\n\nReviewed-by: Ben Reviewer <ben@example.org>\n\
             Acked-by: Carol Checker <carol@example.org>\n\
             Signed-off-by: Alice Author <alice@example.org>\n---\n arch/arm64/kvm/g.c | 2 +-\n"
                .to_string()
        };
        mails.push(mail(
            &mid,
            alice,
            &format!("[PATCH v2 {n}/4] {SERIES} part {n}"),
            &at(1.0 + n as f64 * 0.01),
            parent,
            &refs,
            &body,
        ));
    }
    let o = report(mails, &["--lang", "en"]);
    let st = o.json["threads"][0]["summary"]["statements"]
        .as_array()
        .unwrap();
    let status = st
        .iter()
        .find(|s| s["text"].as_str().unwrap().starts_with("Status: "))
        .expect("a status statement");
    let text = status["text"].as_str().unwrap();
    assert!(
        text.contains("Reviewed-by: Ben Reviewer (carried)"),
        "{text}"
    );
    assert!(text.contains("Acked-by: Carol Checker (carried)"), "{text}");
    // The cover letter, and the first patch that carries each person's
    // tag: 1/4 for both.
    assert_eq!(status["cites"], serde_json::json!([1, 2]), "{text}");
}

#[test]
fn a_long_mail_list_is_folded_into_details_without_script() {
    // 2 blocks, 13 replies: 15 entries.
    let mut mails = series_mails(11);
    mails.push(mail(
        "hostile@x",
        "Mallory <m@example.org>",
        "Re: </details><details open><summary>x</summary>",
        &at(30.0),
        Some("v2-0@x"),
        &["v1-0@x", "v2-0@x"],
        "</details>\n",
    ));
    let o = report(mails, &["--lang", "en"]);
    let list = mail_list(&o.md);
    assert!(
        list.contains("<details>\n<summary>All 20 mails</summary>\n\n"),
        "{list}"
    );
    assert!(list.trim_end().ends_with("</details>"), "{list}");
    // The HTML has the element (no script needed); the hostile subject
    // stays text.
    // (The thread's section: the charts and the People table above have
    // details of their own.)
    let thread = &o.html[o.html.find("<h3 id=\"t-1\"").expect("thread 1")..];
    assert_eq!(thread.matches("<details>").count(), 1, "{}", o.html);
    assert_eq!(thread.matches("</details>").count(), 1, "{}", o.html);
    assert!(o.html.contains("<summary>All 20 mails</summary>"));
    assert!(o.html.contains("&lt;/details&gt;&lt;details open&gt;"));
    assert!(!o.html.contains("<script"));
    // Every reply line keeps its anchor (13: one in the history, cited).
    assert!(o.html.matches("<a id=\"t-1-m-").count() >= 13, "{}", o.html);
    assert_eq!(
        o.html.matches("<a id=\"t-1-m-").count(),
        o.md.matches("<a id=\"t-1-m-").count()
    );
    // Chinese too.
    let zh = report(series_mails(11), &["--lang", "zh"]);
    assert!(
        zh.md.contains("<summary>全部 19 封邮件</summary>"),
        "{}",
        zh.md
    );
    assert!(zh.html.contains("<summary>全部 19 封邮件</summary>"));
}

/// The DOM of `page` (a file, with `fragment`) after headless Chromium
/// loaded it, or None without Chromium (a failure under CI).
fn dom_at(page: &Path, fragment: &str) -> Option<String> {
    let browser = chromium()?;
    Some(dump_dom(&browser, page, fragment, 3000))
}

#[test]
fn a_citation_into_a_folded_list_opens_it_in_the_browser() {
    let o = report(series_mails(11), &["--lang", "en"]);
    let page = o.data.path().join("R/t/2022/t-2022-03-13.html");
    let Some(closed) = dom_at(&page, "") else {
        return;
    };
    assert!(closed.contains("<details>"), "folded: {closed:.3000}");
    let open = dom_at(&page, "#t-1-m-12").unwrap();
    assert!(open.contains("<details open"), "opened: {open:.3000}");
}

/// Characters of the emoji blocks: Misc Symbols and Pictographs through
/// Symbols and Pictographs Extended-A, Misc Symbols, Dingbats, and the
/// emoji presentation selector.
fn emoji(s: &str) -> Vec<(usize, char)> {
    s.char_indices()
        .filter(|(_, c)| matches!(*c as u32, 0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F))
        .collect()
}

#[test]
fn no_report_has_emoji_in_its_fixed_text() {
    // A window past the newest mail adds a notice to the header.
    for lang in ["en", "zh"] {
        let mails = series_mails(11);
        let (t, b) = EpochBuilder::temp();
        b.add_dated(mails);
        let data = tempfile::tempdir().unwrap();
        Lore::new(data.path())
            .args(["sync", "t", "--url", b.path().to_str().unwrap()])
            .ok();
        for week in ["2022-W10", "2022-W11"] {
            Lore::new(data.path())
                .args(["report", "t", "--week", week, "--no-llm", "--lang", lang])
                .args(["--format", "md,html", "--out"])
                .arg(data.path().join("R"))
                .ok();
        }
        let dir = data.path().join("R/t");
        let mut files = vec![dir.join("index.html")];
        for stem in ["t-2022-03-13", "t-2022-03-20"] {
            for ext in ["md", "html"] {
                files.push(dir.join("2022").join(format!("{stem}.{ext}")));
            }
        }
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let found = emoji(&text);
            assert!(found.is_empty(), "{}: {found:?}", f.display());
        }
        drop(t);
    }
    // Every fixed text of the renderers (markers of flagged statements and
    // notices included, which need a model to show).
    let src = manifest_dir().join("src/report");
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        if e.path().extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        let found = emoji(&text);
        assert!(found.is_empty(), "{}: {found:?}", e.path().display());
    }
}

#[test]
fn html_fonts_cover_latin_and_cjk_with_fallbacks() {
    let o = report(series_mails(0), &["--lang", "zh"]);
    let css = &o.html[o.html.find("<style>").unwrap()..o.html.find("</style>").unwrap()];
    for family in [
        "system-ui",
        "\"Noto Sans\"",
        "\"Noto Sans CJK SC\"",
        "\"Source Han Sans SC\"",
        "\"PingFang SC\"",
        "\"Microsoft YaHei\"",
        "\"WenQuanYi Micro Hei\"",
        "sans-serif",
        "ui-monospace",
        "\"Noto Sans Mono CJK SC\"",
        "monospace",
    ] {
        assert!(css.contains(family), "{family} in {css}");
    }
}
