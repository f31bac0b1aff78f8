//! Exit statuses as docs/exit-status.md documents them: every row of its
//! table is checked by running the binary; and the messages of the
//! failures a new user meets (a missing `file://` source, a `--range`
//! epoch that is not there, a typo in a list name).

use crate::common;

use std::path::Path;

use common::*;

fn synced(list: &str) -> (tempfile::TempDir, EpochBuilder, tempfile::TempDir) {
    let (t, b) = epoch_of(list, 3);
    let data = tempfile::tempdir().unwrap();
    Lore::new(data.path())
        .args(["sync", list, "--url", b.path().to_str().unwrap()])
        .ok();
    (t, b, data)
}

/// Run the case that should exit with `code`; give the run.
fn case(code: i32) -> Run {
    let (_t, b, data) = synced("t");
    let d = data.path();
    match code {
        0 => Lore::new(d).args(["stats", "t"]).run(),
        1 => {
            // The output folder is a file: writing the report fails.
            let out = d.join("not-a-dir");
            std::fs::write(&out, "x").unwrap();
            Lore::new(d)
                .args(["report", "t", "--week", "2022-W10", "--no-llm", "--out"])
                .arg(&out)
                .run()
        }
        2 => Lore::new(d).args(["stats", "t", "--no-such-flag"]).run(),
        3 => {
            let dead = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap().port()
            };
            Lore::new(d)
                .args(["report", "t", "--week", "2022-W10", "--backend", "openai"])
                .args(["--model", "tiny", "--llm-url"])
                .arg(format!("http://127.0.0.1:{dead}/v1"))
                .arg("--out")
                .arg(d.join("R"))
                .run()
        }
        65 => {
            let (_o, other) = epoch_of("other", 2);
            Lore::new(d)
                .args(["sync", "t", "--url"])
                .arg(format!("file://{}", other.path().display()))
                .run()
        }
        69 => Lore::new(d)
            .args(["sync", "t", "--url"])
            .arg(format!("file://{}", d.join("no-such-inbox").display()))
            .run(),
        75 => {
            let mirror = lore_digest::storage::mirror::Mirror::new(d, "t").unwrap();
            let _held = mirror.lock().unwrap();
            Lore::new(d)
                .args(["sync", "t", "--url", b.path().to_str().unwrap()])
                .run()
        }
        other => panic!("docs/exit-status.md documents {other}: add a case that gives it"),
    }
}

#[test]
fn every_exit_status_in_the_docs_table_is_what_the_binary_gives() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/exit-status.md"))
            .unwrap();
    let codes: Vec<i32> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next()?.trim().parse().ok())
        .collect();
    assert!(codes.len() >= 8, "the table has every status: {codes:?}");
    for code in codes {
        if code == 70 {
            // A bug: only the panic hook gives it; check it is that one.
            let main =
                std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/main.rs"))
                    .unwrap();
            assert!(
                main.contains("EXIT_INTERNAL_ERROR: i32 = 70"),
                "70 is the bug status"
            );
            continue;
        }
        let run = case(code);
        assert_eq!(
            run.status.code(),
            Some(code),
            "{}: {}",
            run.what,
            run.stderr
        );
    }
}

#[test]
fn a_file_url_that_does_not_exist_cannot_be_fetched() {
    let data = tempfile::tempdir().unwrap();
    let run = Lore::new(data.path())
        .args(["sync", "t", "--url", "file:///no/such/inbox"])
        .run();
    assert_eq!(run.status.code(), Some(69), "{}", run.stderr);
    assert!(run.stderr.contains("/no/such/inbox"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("neither an http(s) URL"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_range_in_an_epoch_that_is_not_there_names_the_epoch() {
    let (_t, _b, data) = synced("t");
    let run = Lore::new(data.path())
        .args(["stats", "t", "--range", "5:abc123..def456"])
        .run();
    assert_eq!(run.status.code(), Some(2), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("epoch 5 is not indexed for t (its epochs: 0)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_typo_in_a_list_name_is_answered_with_the_synced_list_it_is_close_to() {
    let (_t, _b, data) = synced("kvmarm");
    let run = Lore::new(data.path()).args(["stats", "kvmamr"]).run();
    assert!(!run.status.success());
    assert!(
        run.stderr.contains("did you mean kvmarm?"),
        "{}",
        run.stderr
    );
    let far = Lore::new(data.path()).args(["stats", "netdev"]).run();
    assert!(!far.stderr.contains("did you mean"), "{}", far.stderr);
}
