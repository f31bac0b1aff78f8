//! Clone and incremental fetch over real smart HTTP from public-inbox-httpd
//! on 127.0.0.1 (skipped with a message when public-inbox is not installed).

use crate::common;

use common::*;

const T0: i64 = 1_646_647_200;

fn msg(i: i64) -> Vec<u8> {
    mail(
        &format!("m{i}@x"),
        "A <a@example.org>",
        &format!("message {i}"),
        &rfc2822_date(T0 + i * 60),
        None,
        &[],
        "body",
    )
}

#[test]
fn clone_and_fetch_over_smart_http_with_manifest_discovery() {
    if !require_public_inbox("clone_and_fetch_over_smart_http_with_manifest_discovery") {
        return;
    }
    let (_t0, e0) = EpochBuilder::temp();
    let (_t1, e1) = EpochBuilder::temp();
    e0.add_messages(&(0..30).map(|i| (msg(i), T0 + i * 60)).collect::<Vec<_>>());
    e1.add_messages(&(30..40).map(|i| (msg(i), T0 + i * 60)).collect::<Vec<_>>());
    let httpd = PiHttpd::serve_epochs("kvmarm", &[e0.path(), e1.path()]);
    let data = tempfile::tempdir().unwrap();

    // Base URL: epochs come from manifest.js.gz.
    let out = Lore::new(data.path())
        .args(["sync", "kvmarm", "--url", &httpd.base_url(), "--json"])
        .ok()
        .json();
    assert_eq!(out["epochs"].as_array().unwrap().len(), 2, "{out}");
    assert_eq!(out["epochs"][0]["action"], "cloned");
    assert_eq!(out["messages"], 40, "{out}");
    for n in 0..2 {
        let repo = data.path().join(format!("kvmarm/git/{n}.git"));
        assert_eq!(
            git(&repo, &["rev-parse", "refs/heads/master"]),
            git(
                &httpd.inbox_epoch_path(n),
                &["rev-parse", "refs/heads/master"]
            )
        );
    }

    // New mail on the server: the next sync fetches only that.
    httpd
        .epoch_builder(1)
        .add_messages(&(40..45).map(|i| (msg(i), T0 + i * 60)).collect::<Vec<_>>());
    let out = Lore::new(data.path())
        .args(["sync", "kvmarm", "--json"])
        .ok()
        .json();
    assert_eq!(out["epochs"][0]["action"], "up-to-date", "{out}");
    assert_eq!(out["epochs"][1]["action"], "fetched", "{out}");
    assert_eq!(out["index"]["added"], 5, "{out}");
    assert_eq!(out["messages"], 45, "{out}");
}

#[test]
fn single_epoch_url_over_http() {
    if !require_public_inbox("single_epoch_url_over_http") {
        return;
    }
    let (_t0, e0) = EpochBuilder::temp();
    e0.add_messages(&(0..5).map(|i| (msg(i), T0 + i * 60)).collect::<Vec<_>>());
    let httpd = PiHttpd::serve(e0.path());
    let data = tempfile::tempdir().unwrap();
    let out = Lore::new(data.path())
        .args(["sync", "t", "--url", &httpd.epoch_url(0), "--json"])
        .ok()
        .json();
    assert_eq!(out["messages"], 5, "{out}");
    assert!(data.path().join("t/git/0.git/HEAD").exists());
}

#[test]
fn full_corpus_over_http_matches_file_clone() {
    if !require_public_inbox("full_corpus_over_http_matches_file_clone") {
        return;
    }
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let httpd = PiHttpd::serve_epochs("kvmarm", &[&corpus]);
    let data = tempfile::tempdir().unwrap();
    let out = Lore::new(data.path())
        .args(["sync", "kvmarm", "--url", &httpd.base_url(), "--json"])
        .ok()
        .json();
    assert_eq!(out["index"]["added"], 21367, "{out}");
    assert_eq!(out["messages"], 21366, "{out}");
}
