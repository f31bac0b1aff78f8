//! `lore-digest report`: files, content, escaping, reproducibility, backfill,
//! index page, and the real corpus.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

const T0: i64 = 1_646_647_200; // Monday 2022-03-07 10:00 UTC
const SDE: &str = "1647302400"; // 2022-03-15 00:00 UTC

fn cmd(data: &Path) -> Command {
    let mut c = lore_digest_cmd();
    c.arg("--data-dir").arg(data).env("SOURCE_DATE_EPOCH", SDE);
    c
}

fn ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
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
    ok(cmd(data.path()).args(["sync", "t", "--url", b.path().to_str().unwrap()]));
    (t, b, data)
}

fn report_path(out: &Path, ext: &str) -> PathBuf {
    out.join(format!("t/2022/t-2022-03-13.{ext}"))
}

#[test]
fn report_writes_md_html_json_with_totals_of_threads() {
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    let printed = ok(cmd(data.path())
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
        .arg(&out));
    for ext in ["md", "html", "json"] {
        assert!(report_path(&out, ext).exists(), "{ext}");
        assert!(printed.contains(&format!("t-2022-03-13.{ext}")));
    }
    assert!(out.join("t/index.html").exists());
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(report_path(&out, "json")).unwrap()).unwrap();
    let th: Value = serde_json::from_str(&ok(
        cmd(data.path()).args(["threads", "t", "--week", "2022-W10", "--json"])
    ))
    .unwrap();
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
    ok(cmd(data.path())
        .args(["report", "t", "--week", "2022-W10", "--no-llm", "--out"])
        .arg(&out));
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
    ok(cmd(data.path())
        .args([
            "report", "t", "--week", "2022-W10", "--no-llm", "--lang", "en", "--format", "md",
            "--out",
        ])
        .arg(&out));
    let md = std::fs::read_to_string(report_path(&out, "md")).unwrap();
    assert!(md.contains("## 📊 Overview"), "{md}");
    assert!(md.contains("## Data quality"));
    assert!(!md.contains("总体统计"));
}

#[test]
fn report_is_regenerated_byte_for_byte_from_its_commit_range() {
    let (_t, b, data) = setup();
    let out1 = data.path().join("R1");
    ok(cmd(data.path())
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
        .arg(&out1));
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
    ok(cmd(data.path()).args(["sync", "t"]));

    // The recorded command (minus the program name) regenerates the same bytes.
    let args: Vec<String> = regen
        .split_whitespace()
        .skip(1)
        .map(|s| s.trim_matches('\'').to_string())
        .collect();
    let out2 = data.path().join("R2");
    ok(cmd(data.path()).args(&args).arg("--out").arg(&out2));
    for ext in ["md", "html", "json"] {
        let a = std::fs::read(report_path(&out1, ext)).unwrap();
        let b = std::fs::read(report_path(&out2, ext)).unwrap();
        assert!(a == b, "{ext} differs after new mail");
    }
    // Without the range the late mail is seen.
    let out3 = data.path().join("R3");
    ok(cmd(data.path())
        .args([
            "report", "t", "--week", "2022-W10", "--no-llm", "--format", "json", "--out",
        ])
        .arg(&out3));
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
    let first = ok(cmd(data.path())
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
        .arg(&out));
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
    let second = ok(cmd(data.path())
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
        .arg(&out));
    assert_eq!(second.trim(), "", "nothing missing");
    std::fs::remove_file(out.join("t/2022/t-2022-03-06.html")).unwrap();
    let third = ok(cmd(data.path())
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
        .arg(&out));
    assert_eq!(third.lines().count(), 2, "{third}");
    let index = std::fs::read_to_string(out.join("t/index.html")).unwrap();
    let p13 = index.find("2022-03-13").unwrap();
    let p27 = index.find("2022-02-27").unwrap();
    assert!(p13 < p27, "newest first");
    assert!(index.contains("href=\"2022/t-2022-03-13.html\""));
}

fn chromium() -> Option<PathBuf> {
    which("chromium")
        .or_else(|| which("chromium-browser"))
        .or_else(|| which("google-chrome"))
}

#[test]
fn html_report_renders_in_headless_chromium_with_text_as_text() {
    let Some(browser) = chromium() else {
        missing("chromium not installed (apt-get install chromium)");
        return;
    };
    let (_t, _b, data) = setup();
    let out = data.path().join("R");
    ok(cmd(data.path())
        .args(["report", "t", "--week", "2022-W10", "--no-llm", "--out"])
        .arg(&out));
    let profile = tempfile::tempdir().unwrap();
    let page = report_path(&out, "html");
    let run = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let dom = String::from_utf8_lossy(&run.stdout);
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
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    ok(cmd(data.path())
        .args(["sync", "kvmarm", "--url"])
        .arg(format!("file://{}", corpus.display())));
    let out = data.path().join("R");
    ok(cmd(data.path())
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
        .arg(&out));
    let dir = out.join("kvmarm/2022");
    for ext in ["md", "html", "json"] {
        assert!(dir.join(format!("kvmarm-2022-03-13.{ext}")).exists());
    }
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("kvmarm-2022-03-13.json")).unwrap())
            .unwrap();
    let th: Value = serde_json::from_str(&ok(
        cmd(data.path()).args(["threads", "kvmarm", "--week", "2022-W10", "--json"])
    ))
    .unwrap();
    assert_eq!(j["totals"], th["totals"]);
    assert_eq!(j["window"]["first_day"], "2022-03-07");
    assert_eq!(j["window"]["last_day"], "2022-03-13");
    assert_eq!(j["totals"]["messages"], 157);
    assert_eq!(j["totals"]["threads"], 19);
}
