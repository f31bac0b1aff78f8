//! Prompts built for real threads of the kvmarm corpus (week 2022-W10):
//! quotes and diffs stripped, history labelled and first, the budget
//! respected. The corpus text must not enter the repository, so the golden
//! file holds SHA-256 hashes of the prompts, not the prompts themselves:
//! any change of what the model is asked shows up as a changed hash
//! (`UPDATE_GOLDEN=1 cargo test --test it prompt_real` after reviewing it with
//! `PRINT_PROMPTS=1`). Skipped when ../shared is absent.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::*;
use lore_digest::digest::{self, ThreadView};
use lore_digest::storage::archive::Archive;
use lore_digest::storage::index::TimeField;
use lore_digest::summarize::prompt::{self, Budget, Step};
use lore_digest::window;
use sha2::Digest;

fn budget() -> Budget {
    Budget {
        num_ctx: 8192,
        num_predict: 800,
    }
}

fn data_lines(user: &str) -> Vec<&str> {
    let start = user.find("<<<BEGIN DATA").expect("data markers");
    let end = user.rfind("<<<END DATA").expect("data markers");
    user[start..end].lines().collect()
}

fn check_thread(
    t: &ThreadView,
    lang: lore_digest::lang::Lang,
    hashes: &mut BTreeMap<String, String>,
) {
    let input = prompt::thread_input(t);
    let plan = prompt::plan(&input, lang, budget());
    assert!(!plan.requests.is_empty());
    let mut history_seen = false;
    let mut window_seen = false;
    for (i, r) in plan.requests.iter().enumerate() {
        assert!(
            r.tokens <= budget().prompt_limit(),
            "{}: request {i} has {} tokens > {}",
            t.subject,
            r.tokens,
            budget().prompt_limit()
        );
        if r.step == Step::Merge {
            continue;
        }
        for line in data_lines(&r.user) {
            let l = line.trim_start();
            assert!(
                !l.starts_with('>'),
                "{}: quoted line sent: {line}",
                t.subject
            );
            assert!(
                !l.starts_with("diff --git"),
                "{}: diff sent: {line}",
                t.subject
            );
            assert!(!l.starts_with("@@ "), "{}: hunk sent: {line}", t.subject);
            assert!(!l.starts_with("+++ b/"), "{}: hunk sent: {line}", t.subject);
        }
        let h = r.user.find(" HISTORY 20");
        let w = r.user.find(" WINDOW 20");
        if let (Some(h), Some(w)) = (h, w) {
            assert!(h < w, "{}: history comes first", t.subject);
        }
        history_seen |= h.is_some();
        window_seen |= w.is_some();
        if std::env::var_os("PRINT_PROMPTS").is_some() {
            println!("===== {} [{lang} {i}]\n{}\n{}", t.subject, r.system, r.user);
        }
        let key = format!("{} [{lang}] #{i}", t.id);
        let hash = hex(&sha2::Sha256::digest(format!("{}\n\n{}", r.system, r.user)));
        hashes.insert(key, hash);
    }
    assert_eq!(
        history_seen,
        t.history_messages > 0,
        "{}: history labels",
        t.subject
    );
    assert!(window_seen, "{}: window mails present", t.subject);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn prompts_of_real_threads_are_condensed_labelled_and_within_budget() {
    let Some(data) = synced_corpus() else {
        return;
    };
    let archive = Archive::open(data.path(), "kvmarm").unwrap();
    let spec = window::parse_week("2022-W10").unwrap();
    let w = window::resolve(&spec, chrono_tz::Tz::UTC, TimeField::Received, 0);
    let mut opts = digest::Options::for_list("kvmarm");
    opts.keep_bodies = true;
    let mut d = digest::build(&archive, &w, &opts).unwrap();
    // As the report does: the previous version's review with its lines.
    lore_digest::summarize::fill_previous_review(&mut d);

    // A long series with much history (split), a review thread, a question.
    let pick = |needle: &str| {
        d.threads
            .iter()
            .find(|t| t.subject.contains(needle))
            .unwrap_or_else(|| panic!("{needle} in 2022-W10"))
    };
    let nv = pick("Nested Virtualization support");
    let erratum = pick("Cortex-A510 erratum 2077057");
    let timer = pick("Timer delays in VM");
    let mut hashes = BTreeMap::new();
    for t in [nv, erratum, timer] {
        for lang in [lore_digest::lang::Lang::En, lore_digest::lang::Lang::Zh] {
            check_thread(t, lang, &mut hashes);
        }
    }
    let nv_plan = prompt::plan(
        &prompt::thread_input(nv),
        lore_digest::lang::Lang::En,
        budget(),
    );
    assert!(
        nv_plan.requests.len() > 1,
        "115 history mails do not fit one request: split and merged"
    );
    assert!(nv_plan.requests.iter().all(|r| r.step != Step::Single));

    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/summarize_golden/real-2022-W10.sha256");
    let text: String = hashes.iter().map(|(k, v)| format!("{v}  {k}\n")).collect();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).unwrap();
        return;
    }
    let want =
        std::fs::read_to_string(&golden).expect("golden hashes (UPDATE_GOLDEN=1 creates them)");
    assert_eq!(
        want, text,
        "prompts for real threads changed; review with PRINT_PROMPTS=1, then UPDATE_GOLDEN=1"
    );
}
