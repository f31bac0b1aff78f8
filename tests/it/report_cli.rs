//! `lore-digest report`: files, content, escaping, reproducibility, backfill,
//! index page, and the real corpus.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

const T0: i64 = 1_646_647_200; // Monday 2022-03-07 10:00 UTC

/// Run a recorded regenerate command exactly as written, through `sh -c`,
/// adding only `--data-dir` and `--out`: the binary on PATH, none of our
/// SOURCE_DATE_EPOCH, OLLAMA_HOST or working directory.
fn run_recorded(regen: &str, data: &Path, out: &Path) -> Run {
    let bin_dir = lore_digest_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let line = format!(
        "{regen} --data-dir '{}' --out '{}'",
        data.display(),
        out.display()
    );
    Run::of(
        Command::new("sh")
            .arg("-c")
            .arg(&line)
            .env("PATH", path)
            .env_remove("SOURCE_DATE_EPOCH")
            .env_remove("OLLAMA_HOST")
            .env_remove("LORE_DIGEST_DATA_DIR")
            .current_dir(elsewhere.path()),
    )
}

/// `report t ARGS --out OUT` (with SOURCE_DATE_EPOCH); returns the JSON of
/// the written report and the path of its Markdown.
fn report_json(data: &Path, out: &Path, args: &[&str]) -> (Value, PathBuf) {
    let run = Lore::new(data)
        .args(["report", "t"])
        .args(args)
        .arg("--out")
        .arg(out)
        .ok();
    (run.written_json(), run.written("md"))
}

fn stats_json(data: &Path, args: &[&str]) -> Value {
    Lore::new(data)
        .args(["stats", "t"])
        .args(args)
        .arg("--json")
        .ok()
        .json()
}

fn at(days: f64) -> String {
    rfc2822_date(T0 + (days * 86400.0) as i64)
}

fn hostile_subject_epoch(b: &EpochBuilder) {
    let msgs = vec![
        mail(
            "a@x",
            "Alice <alice@example.org>",
            "[PATCH v2 0/1] KVM: arm64: fix <asm/kvm.h> include",
            &at(0.0),
            None,
            &[],
            "Cover letter: this fixes the include.\n",
        ),
        mail(
            "b@x",
            "Alice <alice@example.org>",
            "[PATCH v2 1/1] KVM: arm64: fix <asm/kvm.h> include",
            &at(0.01),
            Some("a@x"),
            &["a@x"],
            "diff --git a/x.h b/x.h\n",
        ),
        mail(
            "c@x",
            "<script>alert(1)</script> <evil@example.org>",
            "<script>alert(1)</script>",
            &at(1.0),
            None,
            &[],
            "<img src=x onerror=alert(2)>\n",
        ),
        mail(
            "d@x",
            "Mallory <m@example.org>",
            "[x](javascript:alert(3)) click",
            &at(2.0),
            None,
            &[],
            "[y](javascript:alert(4))\n",
        ),
        mail(
            "e@x",
            "Bob <bob@example.org>",
            "Re: [PATCH v2 1/1] KVM: arm64: fix <asm/kvm.h> include",
            &at(3.0),
            Some("b@x"),
            &["a@x", "b@x"],
            "Reviewed-by: Bob <bob@example.org>\n",
        ),
    ];
    let ops: Vec<(Vec<u8>, i64)> = msgs
        .into_iter()
        .enumerate()
        .map(|(i, m)| (m, T0 + i as i64 * 3600))
        .collect();
    b.add_messages(&ops);
}

fn setup() -> (tempfile::TempDir, EpochBuilder, tempfile::TempDir) {
    let (t, b) = EpochBuilder::temp();
    hostile_subject_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap()])
        .ok();
    (t, b, data)
}

fn report_path(out: &Path, ext: &str) -> PathBuf {
    out.join(format!("t/2022/t-2022-03-13.{ext}"))
}

#[test]
fn report_writes_md_html_json_with_totals_of_threads() {
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    let printed = Lore::new(data.path())
        .args([
            "report",
            "t",
            "--week",
            "2022-W10",
            "--no-llm",
            "--format",
            "md,html,json",
            "--out",
        ])
        .arg(&out)
        .ok()
        .stdout;
    for ext in ["md", "html", "json"] {
        assert!(report_path(&out, ext).exists(), "{ext}");
        assert!(printed.contains(&format!("t-2022-03-13.{ext}")));
    }
    assert!(out.join("t/index.html").exists());
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(report_path(&out, "json")).unwrap()).unwrap();
    let th: Value = Lore::new(data.path())
        .args(["threads", "t", "--week", "2022-W10", "--json"])
        .ok()
        .json();
    assert_eq!(j["totals"], th["totals"]);
    assert_eq!(
        j["threads"].as_array().unwrap().len(),
        th["threads"].as_array().unwrap().len()
    );
    assert_eq!(j["report"]["generated_at"], "2022-03-15T00:00:00Z");
    assert_eq!(j["report"]["lang"], "zh");
    assert_eq!(j["report"]["summarizer"]["backend"], "extractive");
    assert_eq!(j["epochs"][0]["epoch"], 0);
    for t in j["threads"].as_array().unwrap() {
        assert!(
            !t["summary"]["text"].as_str().unwrap().trim().is_empty(),
            "never an empty summary"
        );
        assert_eq!(t["summary"]["source"], "extractive");
        assert!(t["messages"].is_array());
    }
    let md = std::fs::read_to_string(report_path(&out, "md")).unwrap();
    assert!(
        md.contains("2022-03-07 00:00 — 2022-03-14 00:00 (UTC"),
        "absolute window: {md}"
    );
    assert!(md.contains("https://lore.kernel.org/t/a@x/"));
    assert!(md.contains("Reviewed-by"));
    assert!(md.contains("## 数据质量"));
}

#[test]
fn hostile_text_is_escaped_in_markdown_and_html() {
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    Lore::new(data.path())
        .args(["report", "t", "--week", "2022-W10", "--no-llm", "--out"])
        .arg(&out)
        .ok();
    let html = std::fs::read_to_string(report_path(&out, "html")).unwrap();
    assert!(!html.contains("<script>alert"), "no raw script");
    assert!(!html.contains("<img"), "no raw img");
    assert!(!html.contains("href=\"javascript"), "no javascript links");
    assert!(!html.contains("onerror=alert(2)>"), "no raw attributes");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;asm/kvm.h&gt;"));
    assert!(html.contains("Content-Security-Policy"));
    let md = std::fs::read_to_string(report_path(&out, "md")).unwrap();
    for (i, _) in md.match_indices("](javascript:") {
        assert_eq!(&md[i - 1..i], "\\", "no Markdown link to javascript");
    }
}

#[test]
fn english_report_has_the_same_structure() {
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    Lore::new(data.path())
        .args([
            "report", "t", "--week", "2022-W10", "--no-llm", "--lang", "en", "--format", "md",
            "--out",
        ])
        .arg(&out)
        .ok();
    let md = std::fs::read_to_string(report_path(&out, "md")).unwrap();
    assert!(md.contains("## Overview"), "{md}");
    assert!(md.contains("## Data quality"));
    assert!(!md.contains("总体统计"));
}

#[test]
fn report_is_regenerated_byte_for_byte_from_its_commit_range() {
    let (_t, b, data) = setup();
    let out1 = data.path().join("R1");
    Lore::new(data.path())
        .args([
            "report",
            "t",
            "--week",
            "2022-W10",
            "--no-llm",
            "--format",
            "md,html,json",
            "--out",
        ])
        .arg(&out1)
        .ok();
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(report_path(&out1, "json")).unwrap())
            .unwrap();
    let regen = j["report"]["regenerate"].as_str().unwrap().to_string();
    assert!(regen.contains("--range 0:.."), "{regen}");

    // New mail arrives: a late reply received inside the window, and more.
    b.add_message(
        &mail(
            "late@x",
            "Late <late@example.org>",
            "Re: [PATCH v2 0/1] KVM: arm64: fix <asm/kvm.h> include",
            &at(4.0),
            Some("a@x"),
            &["a@x"],
            "late\n",
        ),
        T0 + 9 * 86400,
    );
    Lore::new(data.path()).args(["sync", "t"]).ok();

    // The recorded command, run as written, regenerates the same bytes.
    let out2 = data.path().join("R2");
    run_recorded(&regen, data.path(), &out2).success();
    for ext in ["md", "html", "json"] {
        let a = std::fs::read(report_path(&out1, ext)).unwrap();
        let b = std::fs::read(report_path(&out2, ext)).unwrap();
        assert!(a == b, "{ext} differs after new mail");
    }
    // Without the range the late mail is seen.
    let out3 = data.path().join("R3");
    Lore::new(data.path())
        .args([
            "report", "t", "--week", "2022-W10", "--no-llm", "--format", "json", "--out",
        ])
        .arg(&out3)
        .ok();
    let j3: Value =
        serde_json::from_str(&std::fs::read_to_string(report_path(&out3, "json")).unwrap())
            .unwrap();
    assert_eq!(
        j3["totals"]["messages"].as_u64().unwrap(),
        j["totals"]["messages"].as_u64().unwrap() + 1
    );
}

#[test]
fn backfill_writes_only_missing_weeks_and_index_lists_them() {
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    let first = Lore::new(data.path())
        .args([
            "report",
            "t",
            "--backfill",
            "--since",
            "2022-02-21",
            "--until",
            "2022-03-20",
            "--no-llm",
            "--format",
            "md,html",
            "--out",
        ])
        .arg(&out)
        .ok()
        .stdout;
    // Weeks W08..W10 (Mondays 02-21, 02-28, 03-07), two files each; W11 is
    // not over at SOURCE_DATE_EPOCH (2022-03-15) and is not written.
    assert_eq!(first.lines().count(), 6, "{first}");
    for day in ["2022-02-27", "2022-03-06", "2022-03-13"] {
        assert!(out.join(format!("t/2022/t-{day}.md")).exists(), "{day}");
    }
    assert!(
        !out.join("t/2022/t-2022-03-20.md").exists(),
        "incomplete week"
    );
    let second = Lore::new(data.path())
        .args([
            "report",
            "t",
            "--backfill",
            "--since",
            "2022-02-21",
            "--until",
            "2022-03-20",
            "--no-llm",
            "--format",
            "md,html",
            "--out",
        ])
        .arg(&out)
        .ok()
        .stdout;
    assert_eq!(second.trim(), "", "nothing missing");
    std::fs::remove_file(out.join("t/2022/t-2022-03-06.html")).unwrap();
    let third = Lore::new(data.path())
        .args([
            "report",
            "t",
            "--backfill",
            "--since",
            "2022-02-21",
            "--until",
            "2022-03-20",
            "--no-llm",
            "--format",
            "md,html",
            "--out",
        ])
        .arg(&out)
        .ok()
        .stdout;
    assert_eq!(third.lines().count(), 2, "{third}");
    let index = std::fs::read_to_string(out.join("t/index.html")).unwrap();
    let p13 = index.find("2022-03-13").unwrap();
    let p27 = index.find("2022-02-27").unwrap();
    assert!(p13 < p27, "newest first");
    assert!(index.contains("href=\"2022/t-2022-03-13.html\""));
}

#[test]
fn html_report_renders_in_headless_chromium_with_text_as_text() {
    let Some(browser) = chromium() else {
        return;
    };
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    Lore::new(data.path())
        .args(["report", "t", "--week", "2022-W10", "--no-llm", "--out"])
        .arg(&out)
        .ok();
    let dom = dump_dom(&browser, &report_path(&out, "html"), "", 2000);
    // The thread title is there as text, and the hostile subject is text too.
    assert!(
        dom.contains("[PATCH v2 0/1] KVM: arm64: fix &lt;asm/kvm.h&gt; include"),
        "{dom}"
    );
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!dom.contains("<script"), "no script element in the DOM");
    assert!(!dom.contains("<img"), "no image element in the DOM");
    assert!(dom.contains("id=\"t-1\""));
}

#[test]
fn corpus_week_report_matches_threads() {
    let Some(data) = synced_corpus() else {
        return;
    };
    let out = data.path().join("R");
    Lore::new(data.path())
        .args([
            "report",
            "kvmarm",
            "--week",
            "2022-W10",
            "--no-llm",
            "--format",
            "md,html,json",
            "--out",
        ])
        .arg(&out)
        .ok();
    let dir = out.join("kvmarm/2022");
    for ext in ["md", "html", "json"] {
        assert!(dir.join(format!("kvmarm-2022-03-13.{ext}")).exists());
    }
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("kvmarm-2022-03-13.json")).unwrap())
            .unwrap();
    let th: Value = Lore::new(data.path())
        .args(["threads", "kvmarm", "--week", "2022-W10", "--json"])
        .ok()
        .json();
    assert_eq!(j["totals"], th["totals"]);
    assert_eq!(j["window"]["first_day"], "2022-03-07");
    assert_eq!(j["window"]["last_day"], "2022-03-13");
    assert_eq!(j["totals"]["messages"], 157);
    assert_eq!(j["totals"]["threads"], 19);
}

#[test]
fn day_days_last_and_week_reports_of_one_sunday_are_all_kept() {
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    // A day report of Sunday 2022-03-13 first: the week is still missing.
    let (day, day_md) = report_json(
        data.path(),
        &out,
        &[
            "--since",
            "2022-03-13",
            "--until",
            "2022-03-13",
            "--no-llm",
            "--format",
            "md,json",
        ],
    );
    assert_eq!(day_md, out.join("t/2022/t-2022-03-13-day.md"));
    assert_eq!(day["window"]["label"], "2022-03-13");
    assert_eq!(day["totals"]["messages"], 0);
    let backfill = Lore::new(data.path())
        .args([
            "report",
            "t",
            "--backfill",
            "--since",
            "2022-03-07",
            "--until",
            "2022-03-13",
            "--no-llm",
            "--format",
            "md,json",
            "--out",
        ])
        .arg(&out)
        .ok()
        .stdout;
    assert_eq!(
        backfill.lines().count(),
        2,
        "the week is written: {backfill}"
    );
    assert!(report_path(&out, "md").exists());
    // Then more windows ending that Sunday: each keeps a file of its own.
    let (days, days_md) = report_json(
        data.path(),
        &out,
        &[
            "--since",
            "2022-03-07",
            "--until",
            "2022-03-13",
            "--no-llm",
            "--format",
            "md,json",
        ],
    );
    assert_eq!(days_md, out.join("t/2022/t-2022-03-07--2022-03-13.md"));
    assert_eq!(days["window"]["label"], "2022-03-07..2022-03-13");
    let (_, last_md) = report_json(
        data.path(),
        &out,
        &["--last", "7d", "--no-llm", "--format", "md,json"],
    );
    assert_eq!(
        last_md,
        out.join("t/2022/t-20220308T0000Z--20220315T0000Z.md")
    );
    let (_, by_date_md) = report_json(
        data.path(),
        &out,
        &[
            "--week", "2022-W10", "--by", "date", "--no-llm", "--format", "md,json",
        ],
    );
    assert_eq!(by_date_md, out.join("t/2022/t-2022-03-13-by-date.md"));
    Lore::new(data.path())
        .args([
            "report",
            "t",
            "--since",
            "2022-03-13",
            "--until",
            "2022-03-13",
            "--no-llm",
            "--format",
            "md,json",
            "--out",
        ])
        .arg(&out)
        .ok();
    let week: Value =
        serde_json::from_str(&std::fs::read_to_string(report_path(&out, "json")).unwrap()).unwrap();
    assert_eq!(week["window"]["label"], "2022-W10");
    assert_eq!(
        week["totals"]["messages"], 5,
        "the week's report is the week's"
    );
    // The index lists every kind, labelled, newest first.
    let index = std::fs::read_to_string(out.join("t/index.html")).unwrap();
    for (href, label) in [
        (
            "2022/t-20220308T0000Z--20220315T0000Z.md",
            "<li>2022-03-08T00:00:00Z..2022-03-15T00:00:00Z ",
        ),
        ("2022/t-2022-03-13-day.md", "<li>2022-03-13 "),
        ("2022/t-2022-03-13.md", "<li>2022-W10 "),
        ("2022/t-2022-03-13-by-date.md", "<li>2022-W10 (按 Date 头) "),
        (
            "2022/t-2022-03-07--2022-03-13.md",
            "<li>2022-03-07..2022-03-13 ",
        ),
    ] {
        assert!(
            index.contains(&format!("href=\"{href}\"")),
            "{href}: {index}"
        );
        assert!(index.contains(label), "{label}: {index}");
    }
    let pos = |needle: &str| index.find(needle).unwrap();
    assert!(
        pos("t-20220308T0000Z") < pos("t-2022-03-13-day"),
        "newest first"
    );
    assert!(
        pos("t-2022-03-13-day") < pos("t-2022-03-13.md"),
        "shorter window first"
    );
}

#[test]
fn range_alone_is_dated_by_its_first_and_last_mail() {
    let (_t, b, data) = setup();
    let out = data.path().join("R");
    let commits = b.commits();
    let tip = b.head().unwrap();
    let range = format!("0:..{tip}");
    let (j, md) = report_json(
        data.path(),
        &out,
        &["--range", &range, "--no-llm", "--format", "md,json"],
    );
    assert_eq!(
        md,
        out.join(format!(
            "t/2022/t-range-2022-03-07--2022-03-10-{}.md",
            &tip[..12]
        ))
    );
    assert_eq!(j["window"]["start"], T0, "first mail received");
    assert_eq!(
        j["window"]["end"],
        T0 + 3 * 86400 + 1,
        "after the last mail"
    );
    assert_eq!(j["window"]["label"], "range 2022-03-07..2022-03-10");
    assert_eq!(j["window"]["first_day"], "2022-03-07");
    assert_eq!(j["window"]["last_day"], "2022-03-10");
    assert_eq!(j["totals"]["messages"], 5);
    // An earlier range gets a file of its own; the first stays.
    let (j2, md2) = report_json(
        data.path(),
        &out,
        &[
            "--range",
            &format!("0:..{}", commits[2]),
            "--no-llm",
            "--format",
            "md,json",
        ],
    );
    assert_eq!(j2["totals"]["messages"], 3);
    assert_ne!(md, md2);
    assert!(md.exists() && md2.exists());
    let index = std::fs::read_to_string(out.join("t/index.html")).unwrap();
    assert!(
        index.contains(&format!("t-range-2022-03-07--2022-03-10-{}", &tip[..12])),
        "{index}"
    );
    assert!(index.contains("range 2022-03-07..2022-03-10"), "{index}");
    assert!(!out.join("t/0000").exists());
    // stats: real bounds and label.
    let s = stats_json(data.path(), &["--range", &range]);
    assert_eq!(s["window"]["start"], T0);
    assert_eq!(s["window"]["label"], "range 2022-03-07..2022-03-10");
    let text = Lore::new(data.path())
        .args(["stats", "t", "--range", &range])
        .ok()
        .stdout;
    assert!(text.contains("(2022-03-07 .. 2022-03-10, UTC"), "{text}");
    // An empty range: a sane window at the generation time, a real name.
    let empty = format!("0:{tip}..{tip}");
    let s = stats_json(data.path(), &["--range", &empty]);
    assert_eq!(s["messages"], 0);
    assert_eq!(s["window"]["start"], SDE.parse::<i64>().unwrap());
    assert_eq!(s["window"]["label"], "range (no mail)");
    let (_, md3) = report_json(
        data.path(),
        &out,
        &["--range", &empty, "--no-llm", "--format", "md,json"],
    );
    let name = md3.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("t-range-2022-03-15--2022-03-15-"),
        "{name}"
    );
}

#[test]
fn open_windows_and_short_last_windows_say_what_they_cover() {
    let (_t, _b, data) = setup();
    // --until alone starts at the first mail.
    let s = stats_json(data.path(), &["--until", "2022-03-20"]);
    assert_eq!(s["window"]["label"], "2022-03-07..2022-03-20");
    assert_eq!(s["window"]["start"], 1_646_611_200);
    assert_eq!(s["messages"], 5);
    let s = stats_json(data.path(), &["--until", "2022-03-09T00:00:00Z"]);
    assert_eq!(s["window"]["start"], T0);
    assert_eq!(s["messages"], 3);
    // --since alone ends today (SOURCE_DATE_EPOCH 2022-03-15).
    let s = stats_json(data.path(), &["--since", "2022-03-08"]);
    assert_eq!(s["window"]["label"], "2022-03-08..2022-03-15");
    // --last in minutes.
    for (last, label) in [
        ("90m", "last 90m"),
        ("30m", "last 30m"),
        ("36h", "last 36h"),
    ] {
        let s = stats_json(data.path(), &["--last", last]);
        assert_eq!(s["window"]["label"], label);
    }
    // A plain date with an exact time: the date's midnight in --tz.
    let s = stats_json(
        data.path(),
        &[
            "--since",
            "2022-03-07",
            "--until",
            "2022-03-08T12:00:00Z",
            "--tz",
            "Asia/Shanghai",
        ],
    );
    assert_eq!(s["window"]["start"], 1_646_611_200 - 8 * 3600);
    assert_eq!(s["window"]["end"], 1_646_611_200 + 86400 + 12 * 3600);
    let bad = Lore::new(data.path())
        .args([
            "stats",
            "t",
            "--since",
            "2022-03-09",
            "--until",
            "2022-03-08T00:00:00Z",
        ])
        .run();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn window_past_the_newest_mail_is_flagged_and_not_backfilled() {
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    // The newest mail is received 2022-03-10 10:00; week 11 starts later.
    let run = Lore::new(data.path())
        .args([
            "report", "t", "--week", "2022-W11", "--no-llm", "--lang", "en", "--format", "md,json",
            "--out",
        ])
        .arg(&out)
        .run();
    assert!(run.status.success());
    let stderr = &run.stderr;
    let said = "newest mail 2022-03-10 10:00 UTC: this window may be incomplete; run sync";
    assert!(stderr.contains(said), "{stderr}");
    let j: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("t/2022/t-2022-03-20.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(j["report"]["notices"][0], said, "{}", j["report"]);
    let md = std::fs::read_to_string(out.join("t/2022/t-2022-03-20.md")).unwrap();
    assert!(md.contains(said), "{md}");
    // In the zone of the report, and in Chinese.
    let (j, _) = report_json(
        data.path(),
        &out,
        &[
            "--week",
            "2022-W11",
            "--no-llm",
            "--tz",
            "Asia/Shanghai",
            "--format",
            "md,json",
        ],
    );
    let notice = j["report"]["notices"][0].as_str().unwrap();
    assert!(
        notice.contains("2022-03-10 18:00 Asia/Shanghai"),
        "{notice}"
    );
    assert!(notice.contains("sync"), "{notice}");
    // A window that ends on the newest mail's day is not flagged.
    let (j, _) = report_json(
        data.path(),
        &out,
        &[
            "--since",
            "2022-03-07",
            "--until",
            "2022-03-10",
            "--no-llm",
            "--format",
            "md,json",
        ],
    );
    assert_eq!(
        j["report"]["notices"].as_array().unwrap().len(),
        0,
        "{}",
        j["report"]
    );
    // Within a --range the newest mail is the range's.
    let (j, _) = report_json(
        data.path(),
        &out,
        &[
            "--since",
            "2022-03-07",
            "--until",
            "2022-03-10",
            "--range",
            &format!("0:..{}", _b.commits()[2]),
            "--no-llm",
            "--format",
            "md,json",
        ],
    );
    let notices = j["report"]["notices"].as_array().unwrap();
    assert!(
        notices[0].as_str().unwrap().contains("2022-03-08 10:00"),
        "{notices:?}"
    );

    // Backfill months later writes no week after the newest mail.
    let out2 = data.path().join("R2");
    let run = Lore::new(data.path())
        .env("SOURCE_DATE_EPOCH", "1654041600") // 2022-06-01
        .args([
            "report",
            "t",
            "--backfill",
            "--since",
            "2022-02-21",
            "--no-llm",
            "--format",
            "md",
            "--out",
        ])
        .arg(&out2)
        .run();
    assert!(run.status.success());
    let printed = &run.stdout;
    let weeks: Vec<&str> = printed.lines().collect();
    assert_eq!(weeks.len(), 3, "W08, W09, W10 only: {printed}");
    assert!(weeks.iter().any(|l| l.ends_with("t-2022-03-13.md")));
    assert!(!out2.join("t/2022/t-2022-03-20.md").exists());
    let stderr = &run.stderr;
    assert!(stderr.contains("later week(s) not written"), "{stderr}");
}

#[test]
fn recorded_command_regenerates_identical_markdown_later() {
    let (_t, b, data) = setup();
    let tip = b.head().unwrap();
    // A configuration with a link base and kind rules, found in the
    // working directory.
    let cfg_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        cfg_dir.path().join("lore-digest.toml"),
        "[lists.t]\nlink_base = \"https://example.org/t\"\n\n[[kinds.rule]]\nkind = \"question\"\nany_tags = [\"PATCH\"]\n",
    )
    .unwrap();
    let out1 = data.path().join("R1");
    let range = format!("0:..{tip}");
    let cases: Vec<(&str, Vec<&str>, Option<&Path>)> = vec![
        ("week", vec!["--week", "2022-W10"], None),
        (
            "day",
            vec!["--since", "2022-03-08", "--until", "2022-03-08"],
            None,
        ),
        ("last", vec!["--last", "90m"], None),
        ("range", vec!["--range", &range], None),
        (
            "config",
            vec!["--since", "2022-03-07", "--until", "2022-03-12"],
            Some(cfg_dir.path()),
        ),
    ];
    let mut recorded = Vec::new();
    for (name, args, cwd) in &cases {
        let mut c = Lore::new(data.path())
            .env_remove("OLLAMA_HOST")
            .args([
                "report", "t", "--no-llm", "--lang", "en", "--format", "md,json", "--out",
            ])
            .arg(&out1)
            .args(args);
        if let Some(d) = cwd {
            c = c.current_dir(d);
        }
        let printed = c.ok().stdout;
        let md = PathBuf::from(printed.lines().find(|l| l.ends_with(".md")).unwrap());
        let json = md.with_extension("json");
        let j: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let regen = j["report"]["regenerate"].as_str().unwrap().to_string();
        assert!(
            regen.starts_with(&format!("SOURCE_DATE_EPOCH={SDE} lore-digest ")),
            "{regen}"
        );
        assert!(
            !regen.contains("--data-dir") && !regen.contains("--out"),
            "{regen}"
        );
        recorded.push((*name, md, regen));
    }
    let (_, config_md, config_regen) = &recorded[4];
    let cfg_path = std::fs::canonicalize(cfg_dir.path().join("lore-digest.toml")).unwrap();
    assert!(
        config_regen.contains(&format!("--config {}", cfg_path.display())),
        "{config_regen}"
    );
    assert!(
        config_regen.contains("--link-base https://example.org/t/"),
        "{config_regen}"
    );
    let config_text = std::fs::read_to_string(config_md).unwrap();
    assert!(config_text.contains("https://example.org/t/a@x/"));

    // New mail arrives (inside every window but the range's), time passes.
    b.add_message(
        &mail(
            "late@x",
            "Late <late@example.org>",
            "Re: [PATCH v2 0/1] late",
            &at(1.5),
            Some("a@x"),
            &["a@x"],
            "late\n",
        ),
        T0 + 9 * 86400,
    );
    Lore::new(data.path()).args(["sync", "t"]).ok();
    let out2 = data.path().join("R2");
    for (name, md, regen) in &recorded {
        let run = run_recorded(regen, data.path(), &out2);
        let printed = run.success().stdout;
        let rel = md.strip_prefix(&out1).unwrap();
        assert!(
            printed.contains(&out2.join(rel).display().to_string()),
            "{name}: {printed}"
        );
        let a = std::fs::read(md).unwrap();
        let b = std::fs::read(out2.join(rel)).unwrap();
        assert!(
            a == b,
            "{name}: Markdown differs\n--- first ---\n{}\n--- again ---\n{}",
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b)
        );
    }
}

#[test]
fn recorded_command_keeps_the_backend_as_asked_without_secrets() {
    let (_t, _b, data) = setup();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out1 = data.path().join("R1");
    // The default backend finds no model: extractive with a notice; the
    // re-run must find none again, not be told --no-llm.
    let printed = Lore::new(data.path())
        .env("OLLAMA_HOST", format!("127.0.0.1:{dead}"))
        .args([
            "report", "t", "--week", "2022-W10", "--lang", "en", "--format", "md,json", "--out",
        ])
        .arg(&out1)
        .ok()
        .stdout;
    assert!(printed.contains("t-2022-03-13.md"));
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(report_path(&out1, "json")).unwrap())
            .unwrap();
    let regen = j["report"]["regenerate"].as_str().unwrap().to_string();
    assert!(
        !regen.contains("--no-llm") && !regen.contains("--backend"),
        "{regen}"
    );
    assert!(
        regen.contains(&format!("OLLAMA_HOST=127.0.0.1:{dead} lore-digest report")),
        "{regen}"
    );
    let notices = j["report"]["notices"].to_string();
    assert!(notices.contains("made without a model"), "{notices}");
    let out2 = data.path().join("R2");
    run_recorded(&regen, data.path(), &out2).success();
    assert_eq!(
        std::fs::read_to_string(report_path(&out1, "md")).unwrap(),
        std::fs::read_to_string(report_path(&out2, "md")).unwrap()
    );

    // An explicit backend: recorded with its model, endpoint (no password)
    // and context length.
    let out3 = data.path().join("R3");
    let run = Lore::new(data.path())
        .env_remove("OLLAMA_HOST")
        .args([
            "report",
            "t",
            "--week",
            "2022-W10",
            "--lang",
            "en",
            "--format",
            "md,json",
            "--backend",
            "openai",
            "--model",
            "tiny",
            "--llm-url",
        ])
        .arg(format!("http://user:hunter2@127.0.0.1:{dead}/v1"))
        .arg("--out")
        .arg(&out3)
        .run();
    assert_eq!(run.status.code(), Some(3), "{}", &run.stderr);
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(report_path(&out3, "json")).unwrap())
            .unwrap();
    let regen = j["report"]["regenerate"].as_str().unwrap().to_string();
    assert!(
        regen.contains(&format!(
            "--backend openai --model tiny --llm-url http://127.0.0.1:{dead}/v1 --num-ctx 8192"
        )),
        "{regen}"
    );
    assert!(!regen.contains("--no-llm"), "{regen}");
    let md = std::fs::read_to_string(report_path(&out3, "md")).unwrap();
    assert!(!md.contains("hunter2"), "no password in the report");
    let json_text = std::fs::read_to_string(report_path(&out3, "json")).unwrap();
    assert!(!json_text.contains("hunter2"), "no password in the JSON");
    let out4 = data.path().join("R4");
    let again = run_recorded(&regen, data.path(), &out4);
    assert_eq!(again.status.code(), Some(3));
    assert_eq!(
        md,
        std::fs::read_to_string(report_path(&out4, "md")).unwrap()
    );
}

#[test]
fn backfill_from_mid_week_writes_that_week_as_a_partial_report() {
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    // 2022-03-02 is the Wednesday of W09: W09 overlaps the window, so it
    // is written, clipped to 03-02..03-06 and marked partial.
    let printed = Lore::new(data.path())
        .args([
            "report",
            "t",
            "--backfill",
            "--since",
            "2022-03-02",
            "--until",
            "2022-03-13",
            "--no-llm",
            "--format",
            "md,json",
            "--out",
        ])
        .arg(&out)
        .ok()
        .stdout;
    assert_eq!(printed.lines().count(), 4, "{printed}");
    let w09: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("t/2022/t-2022-03-06.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(w09["window"]["partial"], Value::Bool(true), "{w09}");
    assert_eq!(w09["window"]["first_day"], "2022-03-02");
    let md = std::fs::read_to_string(out.join("t/2022/t-2022-03-06.md")).unwrap();
    assert!(md.contains("partial"), "{md}");
    let w10: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("t/2022/t-2022-03-13.json")).unwrap(),
    )
    .unwrap();
    assert!(w10["window"].get("partial").is_none(), "{w10}");
}

#[test]
fn corpus_backfill_from_july_first_2020_writes_w27_to_w31_with_w27_partial() {
    let Some(data) = synced_corpus() else {
        return;
    };
    let out = data.path().join("R");
    Lore::new(data.path())
        .args([
            "report",
            "kvmarm",
            "--backfill",
            "--since",
            "2020-07-01",
            "--until",
            "2020-08-02",
            "--no-llm",
            "--format",
            "json",
            "--out",
        ])
        .arg(&out)
        .ok();
    let json = |day: &str| -> Value {
        let p = out.join(format!("kvmarm/2020/kvmarm-{day}.json"));
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p:?}: {e}")))
            .unwrap()
    };
    // W27 (Monday 06-29) is cut by July 1: written, partial, its days only.
    let w27 = json("2020-07-05");
    assert_eq!(w27["window"]["partial"], Value::Bool(true));
    assert_eq!(w27["window"]["first_day"], "2020-07-01");
    let days = Lore::new(data.path())
        .args([
            "stats",
            "kvmarm",
            "--since",
            "2020-07-01",
            "--until",
            "2020-07-05",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(
        w27["totals"]["messages"], days["messages"],
        "{}",
        w27["totals"]
    );
    for day in ["2020-07-12", "2020-07-19", "2020-07-26", "2020-08-02"] {
        assert!(json(day)["window"].get("partial").is_none(), "{day}");
    }
}
