//! Headless Chromium, to load a report as a reader's browser would.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::channel;
use std::time::Duration;

use super::{Run, missing, which};

/// The Chromium on `PATH`, or `None` (see [`missing`]: a failure under CI).
pub fn chromium() -> Option<PathBuf> {
    let found = which("chromium")
        .or_else(|| which("chromium-browser"))
        .or_else(|| which("google-chrome"));
    if found.is_none() {
        missing("the browser check: chromium not installed (apt-get install chromium)");
    }
    found
}

/// Run headless Chromium with a fresh profile, no network of its own and
/// `args` (`--dump-dom URL`, `--screenshot=FILE URL`); it must succeed
/// within two minutes. Its end is seen on its standard output.
pub fn headless(browser: &Path, args: &[String]) -> Run {
    let profile = tempfile::tempdir().unwrap();
    let what = format!("{} {}", browser.display(), args.join(" "));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (done, finished) = channel();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        let _ = done.send(());
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    if finished.recv_timeout(Duration::from_secs(120)).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("chromium did not finish within 120 s: {what}");
    }
    let status = child.wait().unwrap();
    let out = Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    };
    Run::new(what, out).success()
}

/// The DOM of the file `page` (at `fragment`, `""` or `#id`) after
/// headless Chromium loaded it, with `budget_ms` of virtual time for
/// anything that would run or load.
pub fn dump_dom(browser: &Path, page: &Path, fragment: &str, budget_ms: u32) -> String {
    let run = headless(
        browser,
        &[
            format!("--virtual-time-budget={budget_ms}"),
            "--dump-dom".to_string(),
            format!("file://{}{fragment}", page.display()),
        ],
    );
    assert!(
        run.stdout.contains("</html>"),
        "no DOM from chromium: {:.2000}",
        run.stdout
    );
    run.stdout
}
