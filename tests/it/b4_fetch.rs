//! The b4 command a report shows for a series fetches it: the real b4
//! (Debian package `b4`) against `public-inbox-httpd` serving the inbox on
//! 127.0.0.1, b4's `midmask` pointed there.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

const T0: i64 = 1_646_647_200; // Monday 2022-03-07 10:00 UTC

/// A format-patch body adding `name` with one line.
fn patch_body(name: &str) -> String {
    format!(
        "Add {name}.\n\nSigned-off-by: Alice <alice@example.org>\n---\n {name} | 1 +\n 1 file changed, 1 insertion(+)\n create mode 100644 {name}\n\ndiff --git a/{name} b/{name}\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/{name}\n@@ -0,0 +1 @@\n+{name}\n-- \n2.39.2\n"
    )
}

/// A three-patch series with a cover letter and a review.
fn series_epoch(b: &EpochBuilder) {
    let alice = "Alice <alice@example.org>";
    let date = |h: i64| rfc2822_date(T0 + h * 60);
    let mut msgs = vec![mail(
        "cover@x",
        alice,
        "[PATCH v2 0/3] add three files",
        &date(0),
        None,
        &[],
        "This adds three files.\n\nAlice (3):\n  add a\n  add b\n  add c\n",
    )];
    for (n, f) in ["a.txt", "b.txt", "c.txt"].iter().enumerate() {
        msgs.push(mail(
            &format!("p{}@x", n + 1),
            alice,
            &format!("[PATCH v2 {}/3] add {f}", n + 1),
            &date(n as i64 + 1),
            Some("cover@x"),
            &["cover@x"],
            &patch_body(f),
        ));
    }
    msgs.push(mail(
        "rev@x",
        "Bob <bob@example.org>",
        "Re: [PATCH v2 2/3] add b.txt",
        &date(10),
        Some("p2@x"),
        &["cover@x", "p2@x"],
        "> add b\nReviewed-by: Bob <bob@example.org>\n",
    ));
    let ops: Vec<(Vec<u8>, i64)> = msgs
        .into_iter()
        .enumerate()
        .map(|(i, m)| (m, T0 + i as i64 * 60))
        .collect();
    b.add_messages(&ops);
}

/// Run `line` (a command from the report) through `sh -c` in `dir` with
/// b4's midmask (and search) at `midmask` (`…/test/%s`) and its cache
/// under `dir`.
fn run_b4(line: &str, dir: &Path, midmask: &str) -> Run {
    Run::of(
        Command::new("sh")
            .arg("-c")
            .arg(line)
            .current_dir(dir)
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("GIT_CONFIG_COUNT", "3")
            .env("GIT_CONFIG_KEY_0", "b4.midmask")
            .env("GIT_CONFIG_VALUE_0", midmask)
            .env("GIT_CONFIG_KEY_1", "b4.attestation-policy")
            .env("GIT_CONFIG_VALUE_1", "off")
            // shazam looks for newer versions of the series: here, not at lore.
            .env("GIT_CONFIG_KEY_2", "b4.searchmask")
            .env(
                "GIT_CONFIG_VALUE_2",
                midmask.replace("/%s", "/?x=m&t=1&q=%s"),
            )
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.org")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.org"),
    )
}

#[test]
fn b4_commands_of_a_report_fetch_the_series_with_all_its_patches() {
    if !require_public_inbox("b4_commands_of_a_report_fetch_the_series") {
        return;
    }
    if which("b4").is_none() {
        missing("b4 (Debian package b4)");
        return;
    }
    let (_t, b) = EpochBuilder::temp();
    series_epoch(&b);
    let httpd = PiHttpd::serve(b.path());
    // public-inbox answers /MSGID/t.mbox.gz from its own index.
    Run::of(
        Command::new("public-inbox-index")
            .env("PI_CONFIG", httpd.pi_config())
            .arg(httpd.inbox_dir()),
    )
    .success();

    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", "t", "--url", &httpd.epoch_url(0)])
        .ok();
    let r = data.path().join("R");
    Lore::new(data.path())
        .args([
            "report", "t", "--week", "2022-W10", "--no-llm", "--format", "json", "--out",
        ])
        .arg(&r)
        .ok();
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(r.join("t/2022/t-2022-03-13.json")).unwrap())
            .unwrap();
    let b4 = &j["threads"][0]["series"]["b4"];
    let (am, shazam) = (b4["am"].as_str().unwrap(), b4["shazam"].as_str().unwrap());
    assert_eq!(am, "b4 am cover@x");
    let midmask = format!("{}/%s", httpd.base_url());

    // b4 am: an mbox of the three patches, in order, with Bob's trailer.
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("out")).unwrap();
    let out = run_b4(&format!("{am} -o out"), work.path(), &midmask).success();
    let mbx: Vec<_> = std::fs::read_dir(work.path().join("out"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "mbx"))
        .collect();
    assert_eq!(mbx.len(), 1, "{mbx:?}\n{}", out.stderr);
    let text = std::fs::read_to_string(&mbx[0]).unwrap();
    let subjects: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("Subject: "))
        .collect();
    assert_eq!(
        subjects,
        vec![
            "Subject: [PATCH v2 1/3] add a.txt",
            "Subject: [PATCH v2 2/3] add b.txt",
            "Subject: [PATCH v2 3/3] add c.txt",
        ],
        "{text}"
    );
    assert!(text.contains("Reviewed-by: Bob <bob@example.org>"));

    // b4 shazam: the three patches applied to the current branch.
    let repo = work.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README"), "base\n").unwrap();
    git(&repo, &["add", "README"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.org",
            "commit",
            "-q",
            "-m",
            "base",
        ],
    );
    let out = run_b4(shazam, &repo, &midmask).success();
    let log = git(&repo, &["log", "--format=%s"]);
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        vec!["add c.txt", "add b.txt", "add a.txt", "base"],
        "{}",
        out.stderr
    );
    for f in ["a.txt", "b.txt", "c.txt"] {
        assert!(repo.join(f).exists());
    }
}
