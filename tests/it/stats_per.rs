//! `lore-digest stats --per week|day`: one row per week or day of a window,
//! on synthetic epochs and against public-inbox's weekly counts of the real
//! corpus.

use crate::common;

use std::path::Path;

use common::*;
use serde_json::Value;

const T0: i64 = 1_646_647_200; // Monday 2022-03-07 10:00 UTC

fn at(days: f64) -> String {
    rfc2822_date(T0 + (days * 86400.0) as i64)
}

fn stats(data: &Path, list: &str, args: &[&str]) -> Value {
    Lore::new(data)
        .args(["stats", list])
        .args(args)
        .arg("--json")
        .ok()
        .json()
}

/// Monday: a two-patch series (cover + 1/1) by Alice. Tuesday: Bob's
/// review and Carol's unrelated question. Thursday: Marc's applied notice,
/// sent through a list that rewrote his From. Wednesday: nothing.
fn days_epoch(b: &EpochBuilder) {
    let msgs = vec![
        mail(
            "s0@x",
            "Alice <alice@example.org>",
            "[PATCH 0/1] KVM: arm64: widget",
            &at(0.0),
            None,
            &[],
            "cover\n",
        ),
        mail(
            "s1@x",
            "Alice <alice@example.org>",
            "[PATCH 1/1] KVM: arm64: widget",
            &at(0.01),
            Some("s0@x"),
            &["s0@x"],
            "diff --git a/a.c b/a.c\n",
        ),
        mail(
            "r1@x",
            "Bob <bob@example.org>",
            "Re: [PATCH 1/1] KVM: arm64: widget",
            &at(1.0),
            Some("s1@x"),
            &["s0@x", "s1@x"],
            "> diff\nReviewed-by: Bob <bob@example.org>\n",
        ),
        mail(
            "q@x",
            "Carol <carol@example.org>",
            "question about vgic",
            &at(1.1),
            None,
            &[],
            "How does it work?\n",
        ),
        mail(
            "ap@x",
            "Alice <alice@example.org>",
            "Re: [PATCH 0/1] KVM: arm64: widget",
            &at(3.0),
            Some("s0@x"),
            &["s0@x"],
            "> cover\nApplied to kvmarm/next, thanks!\n",
        ),
    ];
    let ops: Vec<(Vec<u8>, i64)> = msgs
        .into_iter()
        .enumerate()
        .map(|(i, m)| (m, T0 + i as i64 * 3600))
        .collect();
    b.add_messages(&ops);
}

#[test]
fn stats_per_day_has_a_row_for_every_day_with_threads_senders_series_and_applied() {
    let (_t, b) = EpochBuilder::temp();
    days_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap()])
        .ok();
    let j = stats(
        data.path(),
        "t",
        &[
            "--since",
            "2022-03-07",
            "--until",
            "2022-03-10",
            "--per",
            "day",
        ],
    );
    let days = j["days"].as_array().expect("days");
    let row = |d: &Value| {
        (
            d["day"].as_str().unwrap().to_string(),
            d["messages"].as_u64().unwrap(),
            d["threads"].as_u64().unwrap(),
            d["senders"].as_u64().unwrap(),
            d["new_series"].as_u64().unwrap(),
            d["applied"].as_u64().unwrap(),
        )
    };
    let rows: Vec<_> = days.iter().map(row).collect();
    assert_eq!(
        rows,
        vec![
            ("2022-03-07".to_string(), 2, 1, 1, 1, 0),
            ("2022-03-08".to_string(), 2, 2, 2, 0, 0),
            ("2022-03-09".to_string(), 0, 0, 0, 0, 0),
            ("2022-03-10".to_string(), 1, 1, 1, 0, 1),
        ]
    );
    // The rows add up to the window's total.
    let total = stats(
        data.path(),
        "t",
        &["--since", "2022-03-07", "--until", "2022-03-10"],
    );
    assert_eq!(total["messages"], 5);
    // One week: the same counts, senders as people (Alice twice is one).
    let w = stats(
        data.path(),
        "t",
        &[
            "--since",
            "2022-03-07",
            "--until",
            "2022-03-13",
            "--per",
            "week",
        ],
    );
    let weeks = w["weeks"].as_array().expect("weeks");
    assert_eq!(weeks.len(), 1);
    assert_eq!(weeks[0]["week"], "2022-W10");
    assert_eq!(weeks[0]["messages"], 5);
    assert_eq!(weeks[0]["threads"], 2);
    assert_eq!(weeks[0]["senders"], 3);
    assert_eq!(weeks[0]["new_series"], 1);
    assert_eq!(weeks[0]["applied"], 1);
    // The text form: a header and one line per day.
    let text = Lore::new(data.path())
        .args([
            "stats",
            "t",
            "--since",
            "2022-03-07",
            "--until",
            "2022-03-10",
            "--per",
            "day",
        ])
        .ok()
        .stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "day\tmessages\tthreads\tsenders\tnew_series\tapplied"
    );
    assert_eq!(lines[4], "2022-03-10\t1\t1\t1\t0\t1");
}

#[test]
fn corpus_stats_per_week_equals_public_inbox_weekly_counts() {
    let (Some(data), Some(weeks_tsv)) = (synced_corpus(), shared_weeks_tsv()) else {
        return;
    };
    let started = std::time::Instant::now();
    let j = stats(
        data.path(),
        "kvmarm",
        &[
            "--since",
            "2019-04-29",
            "--until",
            "2023-01-31",
            "--per",
            "week",
        ],
    );
    eprintln!("stats --per week over the corpus: {:?}", started.elapsed());
    let ours: std::collections::BTreeMap<String, (u64, u64)> = j["weeks"]
        .as_array()
        .expect("weeks")
        .iter()
        .map(|w| {
            (
                w["week"].as_str().unwrap().to_string(),
                (
                    w["messages"].as_u64().unwrap(),
                    w["threads"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    let tsv = std::fs::read_to_string(weeks_tsv).unwrap();
    let mut bad = Vec::new();
    let mut theirs_total = 0;
    let mut checked = 0;
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let want: (u64, u64) = (f[3].parse().unwrap(), f[4].parse().unwrap());
        theirs_total += want.0;
        let got = ours.get(f[0]).copied().unwrap_or((0, 0));
        if got != want {
            bad.push((f[0].to_string(), got, want));
        }
        checked += 1;
    }
    assert!(checked > 150);
    assert!(bad.is_empty(), "(week, ours, public-inbox's): {bad:?}");
    // Weeks the table does not list have no mail.
    let ours_total: u64 = ours.values().map(|v| v.0).sum();
    assert_eq!(ours_total, theirs_total);
    // Applied notices and new series are counted on the real list too.
    let sum = |k: &str| -> u64 {
        j["weeks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w[k].as_u64().unwrap())
            .sum()
    };
    assert!(sum("applied") > 100, "applied {}", sum("applied"));
    assert!(sum("new_series") > 500, "new series {}", sum("new_series"));
}

fn days_data() -> (tempfile::TempDir, EpochBuilder, tempfile::TempDir) {
    let (t, b) = EpochBuilder::temp();
    days_epoch(&b);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", b.path().to_str().unwrap()])
        .ok();
    (t, b, data)
}

#[test]
fn stats_per_week_marks_the_weeks_the_window_cuts_as_partial() {
    let (_t, _b, data) = days_data();
    // Tuesday 2022-03-08 .. Sunday 2022-03-20: W10 is cut, W11 is whole.
    let args = [
        "--since",
        "2022-03-08",
        "--until",
        "2022-03-20",
        "--per",
        "week",
    ];
    let j = stats(data.path(), "t", &args);
    let weeks = j["weeks"].as_array().expect("weeks");
    assert_eq!(weeks.len(), 2, "{j}");
    assert_eq!(weeks[0]["week"], "2022-W10");
    assert_eq!(weeks[0]["partial"], Value::Bool(true), "{j}");
    assert!(weeks[1].get("partial").is_none(), "{j}");
    let text = Lore::new(data.path())
        .args(["stats", "t"])
        .args(args)
        .ok()
        .stdout;
    assert!(text.contains("2022-W10 (partial)\t"), "{text}");
    assert!(!text.contains("2022-W11 (partial)"), "{text}");
}

#[test]
fn stats_per_day_marks_a_day_cut_by_an_exact_time_as_partial() {
    let (_t, _b, data) = days_data();
    let j = stats(
        data.path(),
        "t",
        &[
            "--since",
            "2022-03-08T12:00:00Z",
            "--until",
            "2022-03-10T00:00:00Z",
            "--per",
            "day",
        ],
    );
    let days = j["days"].as_array().expect("days");
    assert_eq!(days[0]["day"], "2022-03-08");
    assert_eq!(days[0]["partial"], Value::Bool(true), "{j}");
    assert!(days[1].get("partial").is_none(), "{j}");
}

#[test]
fn bare_stats_on_a_stale_archive_says_the_newest_mail_like_report() {
    let (_t, _b, data) = days_data();
    // The clock is 2022-03-15, the newest mail 2022-03-10.
    let run = Lore::new(data.path()).args(["stats", "t"]).ok();
    assert!(
        run.stderr.contains("t: newest mail 2022-03-10")
            && run
                .stderr
                .contains("this window may be incomplete; run sync"),
        "{}",
        run.stderr
    );
    let current = Lore::new(data.path())
        .args([
            "stats",
            "t",
            "--since",
            "2022-03-07",
            "--until",
            "2022-03-10",
        ])
        .ok();
    assert!(
        !current.stderr.contains("newest mail"),
        "{}",
        current.stderr
    );
}
