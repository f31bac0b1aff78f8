//! The real kvmarm corpus (../shared/corpora), checked against the numbers
//! public-inbox itself computed. Skipped with a message when absent.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use lore_digest::storage::index::{Index, TimeField};
use lore_digest::window;

#[test]
fn corpus_index_matches_public_inbox_messages_and_weekly_counts() {
    let (Some(data), Some(sync), Some(threads_tsv), Some(weeks_tsv)) = (
        synced_corpus(),
        corpus_sync_json(),
        shared_threads_tsv(),
        shared_weeks_tsv(),
    ) else {
        return;
    };
    // Every commit of the epoch is indexed once by the first sync.
    assert_eq!(sync["index"]["added"], 21367);
    assert_eq!(sync["index"]["errors"], 0);

    let ix = Index::open(&data.path().join("kvmarm/index.sqlite3")).unwrap();
    let all = ix.all_messages().unwrap();

    // public-inbox lists 21,366 messages: one commit reuses the Message-ID
    // of an earlier one (the author sent the same patch twice, two minutes
    // apart, with a different Date). public-inbox indexes one message per
    // Message-ID, and so do we: the later copy is kept in the index but not
    // counted, and flagged for the data-quality appendix.
    let tsv = std::fs::read_to_string(&threads_tsv).unwrap();
    let theirs: BTreeSet<&str> = tsv
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    let ours: BTreeSet<&str> = all.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(all.len(), 21366);
    assert_eq!(
        ours.len(),
        all.len(),
        "counted messages have distinct Message-IDs"
    );
    assert_eq!(ours, theirs, "same Message-IDs as public-inbox");
    let dups = ix.duplicates().unwrap();
    assert_eq!(dups.len(), 1, "{dups:?}");

    // Weekly counts by received time (public-inbox `ts`) and by Date (`ds`).
    let weeks = std::fs::read_to_string(&weeks_tsv).unwrap();
    let mut checked = 0;
    let mut differ = BTreeMap::new();
    for line in weeks.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let spec = window::parse_week(f[0]).unwrap();
        for (field, col) in [(TimeField::Received, 3), (TimeField::Date, 1)] {
            let w = window::resolve(&spec, chrono_tz::Tz::UTC, field, 0);
            let n = ix
                .messages_in_window(field, w.start, w.end, None)
                .unwrap()
                .len();
            let want: usize = f[col].parse().unwrap();
            if n != want {
                differ.insert((f[0].to_string(), col), (n, want));
            }
        }
        checked += 1;
    }
    assert!(checked > 150);
    assert!(
        differ.is_empty(),
        "weeks that differ (ours, public-inbox): {differ:?}"
    );

    // The contract command.
    let s = Lore::new(data.path())
        .args(["stats", "kvmarm", "--week", "2022-W10", "--json"])
        .ok()
        .json();
    let w10 = weeks.lines().find(|l| l.starts_with("2022-W10\t")).unwrap();
    let want: u64 = w10.split('\t').nth(3).unwrap().parse().unwrap();
    assert_eq!(s["messages"], want);
}
