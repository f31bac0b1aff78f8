//! Fuzz regressions, replayed on stable under `cargo test` (no fuzzing
//! crates): every file under `tests/fuzz/regressions/parse_message/` goes
//! through the calls and invariants of fuzz target `parse_message`, and every
//! `*.txt` case under `tests/fuzz/regressions/thread_messages/` (text format
//! described in `tests/fuzz/common/checks.rs`) through those of target
//! `thread_messages`. The invariants are the very code the fuzz targets use.
//!
//! Crashes found by `scripts/fuzz.sh` are minimized with `cargo fuzz tmin`
//! and added there; a `thread_messages` artifact is turned into a case with
//! `cargo fuzz fmt --fuzz-dir tests/fuzz thread_messages ARTIFACT`.

#[path = "../fuzz/common/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Run `check` on every file, naming the files that fail.
fn run_all(target: &str, check: impl Fn(&Path) + std::panic::RefUnwindSafe) {
    let files = regressions(target);
    assert!(!files.is_empty(), "no regression inputs for {target}");
    let failed: Vec<String> = files
        .iter()
        .filter(|f| std::panic::catch_unwind(|| check(f)).is_err())
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "failing {target} regressions: {failed:#?}"
    );
}

#[test]
fn parse_message_regressions_keep_their_invariants() {
    run_all("parse_message", |f| {
        checks::check_message(&std::fs::read(f).unwrap());
    });
}

#[test]
fn thread_messages_regressions_keep_their_invariants() {
    let files: Vec<PathBuf> = regressions("thread_messages");
    assert!(
        files
            .iter()
            .all(|f| f.extension().is_some_and(|e| e == "txt"))
    );
    run_all("thread_messages", |f| {
        let text = std::fs::read_to_string(f).unwrap();
        let specs = checks::case_from_text(&text).unwrap();
        let msgs = checks::messages(&specs);
        checks::check_thread_case(&msgs, &[0, 1, 2, 3, 0xdead_beef]);
    });
}

#[test]
fn nasty_messages_made_here_keep_their_invariants() {
    // Inputs too large or too regular to keep as files.
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    // 1 MB header line.
    let mut v = b"Subject: ".to_vec();
    v.extend(std::iter::repeat_n(b'x', 1 << 20));
    v.extend_from_slice(b"\nMessage-ID: <a@b>\n\nbody\n");
    inputs.push(v);
    // 1 MB Message-ID, References of 10,000 ids, endless folding.
    let mut v = b"Message-ID: <".to_vec();
    v.extend(std::iter::repeat_n(b'm', 1 << 20));
    v.extend_from_slice(b">\nReferences:");
    for k in 0..10_000 {
        v.extend_from_slice(format!("\n <r{k}@x>").as_bytes());
    }
    v.extend_from_slice(b"\nSubject: a");
    v.extend(std::iter::repeat_n(&b"\n \t"[..], 100_000).flatten());
    v.extend_from_slice(b"b\n\n");
    inputs.push(v);
    // 200 Message-ID headers naming the same id.
    inputs.push(b"Message-ID: <d@x>\n".repeat(200));
    for data in &inputs {
        checks::check_message(data);
    }
}

#[test]
fn self_checks_of_the_case_format_round_trip() {
    let text = "mid=a@x extra=%,b%2Cc refs=<<>> irt=y from=%C3%A9@x ds=-3 epoch=1 seq=9\n";
    let specs = checks::case_from_text(text).unwrap();
    assert_eq!(specs[0].extra, vec!["", "b,c"]);
    assert_eq!(specs[0].refs, vec!["<<>>"]);
    assert_eq!(specs[0].from, "é@x");
    assert_eq!(checks::case_to_text(&specs), text);
    assert_eq!(checks::case_from_text("mid=a repeat=3").unwrap().len(), 3);
    assert!(checks::case_from_text("refs=a").is_err());
}
