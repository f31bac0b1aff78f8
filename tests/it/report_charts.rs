//! The charts of the HTML report: inline SVG (no script), their numbers in
//! the JSON agreeing with the totals and with `stats --per week`, and in
//! headless Chromium a rendered page in light and dark themes.

use crate::common;

use std::path::Path;

use common::*;
use serde_json::Value;

const T0: i64 = 1_646_647_200; // Monday 2022-03-07 10:00 UTC
const SUBJECT: &str = "[PATCH 0/2] KVM: arm64: <vgic> & \"its\" tables";

fn at(days: f64) -> String {
    rfc2822_date(T0 + (days * 86400.0) as i64)
}

/// Week 2022-W10: a series (cover, two patches) with a review, a reply and
/// a bot's notice, and a question; weeks W08 and W09: two threads and a
/// mail of the series' earlier version, so the trend has earlier weeks.
fn charts_epoch(b: &EpochBuilder) {
    b.add_dated(vec![
        mail(
            "old0@x",
            "Alice <alice@example.org>",
            "[PATCH 0/1] KVM: arm64: earlier work",
            &at(-14.0),
            None,
            &[],
            "cover\n",
        ),
        mail(
            "old1@x",
            "Bob <bob@example.org>",
            "Re: [PATCH 0/1] KVM: arm64: earlier work",
            &at(-13.0),
            Some("old0@x"),
            &["old0@x"],
            "> cover\nLooks fine.\n",
        ),
        mail(
            "q0@x",
            "Carol <carol@example.org>",
            "how is the vgic reset?",
            &at(-6.0),
            None,
            &[],
            "A question.\n",
        ),
        mail(
            "s0@x",
            "Alice <alice@example.org>",
            SUBJECT,
            &at(0.0),
            None,
            &[],
            "Cover letter.\n",
        ),
        mail(
            "s1@x",
            "Alice <alice@example.org>",
            "[PATCH 1/2] KVM: arm64: <vgic> & \"its\" tables",
            &at(0.01),
            Some("s0@x"),
            &["s0@x"],
            "diff --git a/a.c b/a.c\n",
        ),
        mail(
            "s2@x",
            "Alice <alice@example.org>",
            "[PATCH 2/2] KVM: arm64: <vgic> & \"its\" tables",
            &at(0.02),
            Some("s0@x"),
            &["s0@x"],
            "diff --git a/b.c b/b.c\n",
        ),
        mail(
            "r1@x",
            "Bob <bob@example.org>",
            "Re: [PATCH 1/2] KVM: arm64: <vgic> & \"its\" tables",
            &at(1.0),
            Some("s1@x"),
            &["s0@x", "s1@x"],
            "> diff\nReviewed-by: Bob <bob@example.org>\n",
        ),
        mail(
            "r2@x",
            "Carol <carol@example.org>",
            "Re: [PATCH 2/2] KVM: arm64: <vgic> & \"its\" tables",
            &at(1.5),
            Some("s2@x"),
            &["s0@x", "s2@x"],
            "> diff\nWhy this lock?\n",
        ),
        mail(
            "bot@x",
            "kernel test robot <lkp@intel.com>",
            "Re: [PATCH 2/2] KVM: arm64: <vgic> & \"its\" tables",
            &at(2.0),
            Some("s2@x"),
            &["s0@x", "s2@x"],
            "Hi Alice,\n\nkernel test robot noticed the following build warnings:\n",
        ),
        mail(
            "q1@x",
            "Dave <dave@example.org>",
            "question about stage-2 faults",
            &at(4.0),
            None,
            &[],
            "How?\n",
        ),
    ]);
}

fn setup() -> (tempfile::TempDir, EpochBuilder, tempfile::TempDir) {
    let (t, b) = EpochBuilder::temp();
    charts_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap()])
        .ok();
    (t, b, data)
}

/// `report t --week 2022-W10 ARGS` as Markdown, HTML and JSON.
fn week_report(data: &Path, out: &Path, args: &[&str]) -> (String, String, Value) {
    Lore::new(data)
        .args(["report", "t", "--week", "2022-W10", "--no-llm"])
        .args(["--format", "md,html,json"])
        .args(args)
        .arg("--out")
        .arg(out)
        .ok();
    let read = |ext: &str| std::fs::read_to_string(out.join(format!("t/2022/t-2022-03-13.{ext}")));
    let j = serde_json::from_str(&read("json").unwrap()).unwrap();
    (read("md").unwrap(), read("html").unwrap(), j)
}

#[test]
fn html_report_has_inline_svg_charts_and_no_script() {
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    let (md, html, _) = week_report(data.path(), &out, &[]);
    let lower = html.to_ascii_lowercase();
    assert_eq!(lower.matches("<svg").count(), 3, "three charts");
    assert!(!lower.contains("<script"), "no script");
    assert!(lower.contains("content-security-policy"));
    for id in ["chart-periods", "chart-busiest", "chart-trend"] {
        assert!(
            html.contains(&format!("aria-labelledby=\"{id}-t {id}-d\"")),
            "{id}"
        );
    }
    assert_eq!(html.matches("role=\"img\"").count(), 3);
    assert_eq!(
        html.matches("<details>").count(),
        4,
        "a table of each chart, and the People table"
    );
    // The subject with markup is text in the SVG, never markup.
    assert!(
        html.contains(
            "<title>[PATCH 0/2] KVM: arm64: &lt;vgic&gt; &amp; &quot;its&quot; tables</title>"
        ),
        "{html}"
    );
    assert!(!html.contains("<vgic>"));
    // The bars link to the thread's section.
    assert!(html.contains("<a href=\"#t-1\"><title>"), "{html}");
    // The Markdown has no chart, only the place of the HTML's.
    assert!(!md.contains("<svg"));
    assert_eq!(md.matches("<!-- lore-digest:charts -->").count(), 1);
    // Byte-identical on a rerun.
    let again = data.path().join("R2");
    let (_, html2, _) = week_report(data.path(), &again, &[]);
    assert_eq!(html, html2);
}

#[test]
fn chart_numbers_agree_with_totals_and_weekly_stats() {
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    let (_, _, j) = week_report(data.path(), &out, &[]);
    let a = &j["activity"];
    assert_eq!(a["per"], "day");
    let days = a["periods"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(days[0]["period"], "2022-03-07");
    let sum: u64 = days.iter().map(|d| d["messages"].as_u64().unwrap()).sum();
    assert_eq!(sum, j["totals"]["messages"].as_u64().unwrap());
    // Monday: cover letter and two patches; Tuesday: a review and a reply;
    // Wednesday: the bot; Friday: a question.
    let day = |i: usize, k: &str| days[i][k].as_u64().unwrap();
    assert_eq!((day(0, "patch"), day(0, "messages")), (3, 3));
    assert_eq!(
        (day(1, "review"), day(1, "reply"), day(1, "messages")),
        (1, 1, 2)
    );
    assert_eq!((day(2, "bot"), day(2, "messages")), (1, 1));
    assert_eq!((day(4, "other"), day(4, "messages")), (1, 1));
    for d in days {
        let parts: u64 = ["patch", "review", "reply", "other", "bot"]
            .iter()
            .map(|k| d[k].as_u64().unwrap())
            .sum();
        assert_eq!(parts, d["messages"].as_u64().unwrap(), "{d}");
    }
    // Twelve weeks ending with the window's, equal to `stats --per week`.
    let trend = a["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 12);
    assert_eq!(trend[0]["week"], "2021-W51");
    assert_eq!(trend[11]["week"], "2022-W10");
    assert_eq!(trend[11]["messages"], j["totals"]["messages"]);
    assert_eq!(trend[11]["threads"], j["totals"]["threads"]);
    let stats = Lore::new(data.path())
        .args([
            "stats",
            "t",
            "--since",
            "2021-12-20",
            "--until",
            "2022-03-13",
        ])
        .args(["--per", "week", "--json"])
        .ok()
        .json();
    let weeks = stats["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 12);
    for (t, s) in trend.iter().zip(weeks) {
        assert_eq!(t["week"], s["week"]);
        assert_eq!(t["messages"], s["messages"], "{t} {s}");
        assert_eq!(t["threads"], s["threads"], "{t} {s}");
    }
    assert_eq!(trend[9]["week"], "2022-W08");
    assert_eq!(trend[9]["messages"], 2, "W08: the earlier series");
    assert_eq!(trend[10]["messages"], 1, "W09: the question");
}

#[test]
fn trend_of_a_past_week_ignores_later_mail() {
    let (_t, b, data) = setup();
    let out = data.path().join("R");
    let (_, _, j) = week_report(data.path(), &out, &[]);
    // Mail of the next week, and a late mail received in W09 but
    // committed after everything: neither is in W10's report of the
    // same commit range.
    b.add_dated(vec![mail(
        "next@x",
        "Erin <erin@example.org>",
        "[PATCH] KVM: arm64: later",
        &at(8.0),
        None,
        &[],
        "diff --git a/c.c b/c.c\n",
    )]);
    b.add_messages(&[(
        mail(
            "late@x",
            "Frank <frank@example.org>",
            "late mail",
            &at(-5.0),
            None,
            &[],
            "late\n",
        ),
        T0 + 20 * 86400,
    )]);
    Lore::new(data.path()).args(["sync", "t"]).ok();
    let range = j["epochs"][0]["to"].as_str().unwrap().to_string();
    let again = data.path().join("R2");
    let (_, html2, j2) = week_report(data.path(), &again, &["--range", &format!("0:..{range}")]);
    assert_eq!(j2["activity"], j["activity"]);
    assert_eq!(html2.matches("<svg").count(), 3);
    // Without the range the late mail counts in W09.
    let now = data.path().join("R3");
    let (_, _, j3) = week_report(data.path(), &now, &[]);
    assert_eq!(j["activity"]["trend"][10]["week"], "2022-W09");
    assert_eq!(j["activity"]["trend"][10]["messages"], 1);
    assert_eq!(j3["activity"]["trend"][10]["messages"], 2);
    assert_eq!(j3["activity"]["trend"][11], j["activity"]["trend"][11]);
}

// ---------------------------------------------------------------------------
// Headless Chromium: screenshots in both themes
// ---------------------------------------------------------------------------

/// A PNG's width, height and RGBA pixels.
fn decode_png(bytes: &[u8]) -> (usize, usize, Vec<[u8; 4]>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a PNG of a sane size")];
    let frame = reader.next_frame(&mut buf).expect("a PNG's pixels");
    let px = buf[..frame.buffer_size()]
        .chunks(frame.color_type.samples())
        .map(|p| match frame.color_type {
            png::ColorType::Rgb => [p[0], p[1], p[2], 255],
            png::ColorType::Rgba => [p[0], p[1], p[2], p[3]],
            t => panic!("PNG colour type {t:?}"),
        })
        .collect();
    (frame.width as usize, frame.height as usize, px)
}

/// Screenshot of `page` in headless Chromium, light or dark.
fn screenshot(browser: &Path, page: &Path, dark: bool, png: &Path) -> Vec<u8> {
    let scheme = if dark { 0 } else { 1 };
    headless(
        browser,
        &[
            "--hide-scrollbars".to_string(),
            "--virtual-time-budget=2000".to_string(),
            "--window-size=900,2400".to_string(),
            format!("--blink-settings=preferredColorScheme={scheme}"),
            format!("--screenshot={}", png.display()),
            format!("file://{}", page.display()),
        ],
    );
    std::fs::read(png).unwrap()
}

/// Pixels of exactly this colour (no anti-aliasing: the inside of a bar).
fn count_colour(px: &[[u8; 4]], rgb: [u8; 3]) -> usize {
    px.iter().filter(|p| p[..3] == rgb).count()
}

#[test]
fn charts_render_in_headless_chromium_in_light_and_dark_themes() {
    let Some(browser) = chromium() else {
        return;
    };
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    let (_, html, _) = week_report(data.path(), &out, &["--lang", "en"]);
    assert!(html.contains("<svg"));
    let page = out.join("t/2022/t-2022-03-13.html");
    let shots = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    for (dark, bg, patch) in [
        (false, [0xff, 0xff, 0xff], [0x25, 0x63, 0xc9]),
        (true, [0x15, 0x17, 0x1a], [0x6e, 0xa8, 0xff]),
    ] {
        let png = shots.path().join(format!("charts-{dark}.png"));
        let bytes = screenshot(&browser, &page, dark, &png);
        let (w, h, px) = decode_png(&bytes);
        assert_eq!((w, h), (900, 2400), "the window size");
        // The theme's background, and the patch bars in the theme's colour
        // (the per-day chart's Monday bar is three patches tall).
        assert_eq!(px[0][..3], bg, "background (dark: {dark})");
        let bars = count_colour(&px, patch);
        assert!(bars > 2000, "{bars} pixels of patch bars (dark: {dark})");
        let colours: std::collections::HashSet<[u8; 4]> = px.iter().copied().collect();
        assert!(colours.len() > 50, "a page, not a blank: {}", colours.len());
        seen.push(px);
    }
    assert_ne!(seen[0], seen[1], "the themes differ");
}

/// The W10 report of the real corpus: inline SVG charts and no script, the
/// window's days summing to its mails, and a trend equal to public-inbox's
/// weekly counts by received time (`kvmarm-columbia.weeks.tsv`).
#[test]
fn corpus_week_charts_match_public_inbox_weekly_counts() {
    let (Some(data), Some(weeks)) = (synced_corpus(), shared_weeks_tsv()) else {
        return;
    };
    let out = data.path().join("R");
    Lore::new(data.path())
        .args(["report", "kvmarm", "--week", "2022-W10", "--no-llm"])
        .args(["--format", "html,json", "--out"])
        .arg(&out)
        .ok();
    let dir = out.join("kvmarm/2022");
    let html = std::fs::read_to_string(dir.join("kvmarm-2022-03-13.html")).unwrap();
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 3);
    assert!(!html.to_ascii_lowercase().contains("<script"));
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("kvmarm-2022-03-13.json")).unwrap())
            .unwrap();
    let days = j["activity"]["periods"].as_array().unwrap();
    let sum: u64 = days.iter().map(|d| d["messages"].as_u64().unwrap()).sum();
    assert_eq!(sum, 157);
    let tsv = std::fs::read_to_string(weeks).unwrap();
    let reference: std::collections::HashMap<&str, (u64, u64)> = tsv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some((f[0], (f.get(3)?.parse().ok()?, f.get(4)?.parse().ok()?)))
        })
        .collect();
    let trend = j["activity"]["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 12);
    assert_eq!(trend[11]["week"], "2022-W10");
    for t in trend {
        let week = t["week"].as_str().unwrap();
        let (m, th) = reference.get(week).copied().unwrap_or((0, 0));
        assert_eq!(t["messages"].as_u64().unwrap(), m, "{week}");
        assert_eq!(t["threads"].as_u64().unwrap(), th, "{week}");
    }
}
