//! Facts about the patch series of one thread, and links between versions of
//! one series posted as separate threads (v1 → v2 → v3).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::subject::SubjectInfo;

/// Largest series whose missing patches are listed.
const MAX_LISTED_PARTS: u32 = 1000;

/// What the patch mails of one thread say about its series.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SeriesFacts {
    /// Number of patch mails (not replies) in the thread.
    pub patch_mails: usize,
    /// The newest version posted in the thread (1 when none is given); 0
    /// when the thread has no patch mail.
    pub version: u32,
    /// Every version posted in the thread, ascending (a v2 sent as a reply
    /// to v1 lands in v1's thread).
    pub versions: Vec<u32>,
    /// M of `N/M` for `version`; 1 for a single patch without a number.
    pub total: Option<u32>,
    /// Patch numbers of `version` that arrived (cover letter 0 excluded;
    /// an add-on `12/11` included).
    pub arrived: Vec<u32>,
    /// Numbers 1..=M of `version` with no patch mail in the thread.
    pub missing: Vec<u32>,
    /// Of `missing`, those that replies mention (`Re: [PATCH v2 3/5]`): sent
    /// but not archived here, or threaded elsewhere.
    pub missing_but_replied: Vec<u32>,
    /// A cover letter (`0/M`) of `version` is in the thread.
    pub cover_letter: bool,
    /// Some patch mail of `version` is tagged RFC.
    pub rfc: bool,
    /// Some patch mail of `version` is tagged RESEND.
    pub resend: bool,
    /// Senders of the patch mails (lower-cased addresses), first seen first.
    pub authors: Vec<String>,
}

/// Series facts of a thread from its mails: parsed subject, sender address,
/// and whether the mail is the thread's root. Replies count only for
/// `missing_but_replied`.
pub fn series_facts(msgs: &[(SubjectInfo, &str, bool)]) -> SeriesFacts {
    let mut f = SeriesFacts::default();
    let patches: Vec<&(SubjectInfo, &str, bool)> =
        msgs.iter().filter(|(s, _, _)| s.is_patch_mail()).collect();
    f.patch_mails = patches.len();
    if patches.is_empty() {
        return f;
    }
    let versions: BTreeSet<u32> = patches
        .iter()
        .map(|(s, _, _)| s.effective_version())
        .collect();
    f.version = *versions.iter().next_back().unwrap_or(&1);
    f.versions = versions.into_iter().collect();
    for (_, from, _) in &patches {
        let a = from.trim().to_lowercase();
        if !a.is_empty() && !f.authors.contains(&a) {
            f.authors.push(a);
        }
    }

    let current: Vec<&SubjectInfo> = patches
        .iter()
        .map(|(s, _, _)| s)
        .filter(|s| s.effective_version() == f.version)
        .collect();
    f.rfc = current.iter().any(|s| s.rfc);
    f.resend = current.iter().any(|s| s.resend);
    // M: the most frequent total among numbered mails (ties: the larger).
    let mut totals: BTreeMap<u32, usize> = BTreeMap::new();
    let mut arrived: BTreeSet<u32> = BTreeSet::new();
    for s in &current {
        match s.part {
            Some((0, m)) => {
                f.cover_letter = true;
                *totals.entry(m).or_default() += 1;
            }
            Some((n, m)) => {
                arrived.insert(n);
                *totals.entry(m).or_default() += 1;
            }
            None => {
                arrived.insert(1);
            }
        }
    }
    f.total = totals
        .iter()
        .max_by_key(|(m, count)| (**count, **m))
        .map(|(m, _)| *m)
        .or(if arrived.is_empty() { None } else { Some(1) });
    if let Some(m) = f.total {
        f.arrived = arrived.iter().copied().collect();
        if m <= MAX_LISTED_PARTS {
            f.missing = (1..=m).filter(|n| !arrived.contains(n)).collect();
        }
    }
    let replied: BTreeSet<u32> = msgs
        .iter()
        .filter(|(s, _, _)| s.is_reply && s.effective_version() == f.version)
        .filter_map(|(s, _, _)| s.part)
        .filter(|(_, m)| Some(*m) == f.total)
        .map(|(n, _)| n)
        .collect();
    f.missing_but_replied = f
        .missing
        .iter()
        .copied()
        .filter(|n| replied.contains(n))
        .collect();
    f
}

/// One thread for [`link_versions`]: thread id, series key (see
/// [`SubjectInfo::series_key`]), author address, version (1 when none was
/// given), time of its first mail.
pub type VersionedThread = (String, String, String, u32, i64);

/// Pairs `(older, newer)` of threads that are consecutive versions of one
/// series: same series key, same author (address, case-insensitive), a
/// higher version posted no earlier. Each thread gets at most one previous
/// version: the highest lower version posted before it (the latest such
/// thread when a version was posted more than once). A skipped version
/// (v1 → v3, v2 not in the input) still links. Resends of the same version
/// are not linked. Sorted by newer thread's time, then ids.
pub fn link_versions(threads: &[VersionedThread]) -> Vec<(String, String)> {
    let mut groups: HashMap<(String, String), Vec<&VersionedThread>> = HashMap::new();
    for t in threads {
        let key = t.1.trim().to_lowercase();
        let author = t.2.trim().to_lowercase();
        if key.is_empty() || author.is_empty() {
            continue;
        }
        groups.entry((key, author)).or_default().push(t);
    }
    let mut out: Vec<(i64, String, String)> = Vec::new();
    for members in groups.values() {
        for newer in members {
            let prev = members
                .iter()
                .filter(|o| o.3 < newer.3 && o.4 <= newer.4)
                .max_by(|a, b| (a.3, a.4, &a.0).cmp(&(b.3, b.4, &b.0)));
            if let Some(older) = prev {
                out.push((newer.4, older.0.clone(), newer.0.clone()));
            }
        }
    }
    out.sort();
    out.dedup();
    out.into_iter().map(|(_, o, n)| (o, n)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::subject::parse_subject;
    use super::*;

    fn m(subject: &str, from: &'static str, root: bool) -> (SubjectInfo, &'static str, bool) {
        (parse_subject(subject), from, root)
    }

    #[test]
    fn complete_series_with_cover_letter() {
        let msgs = vec![
            m("[PATCH v3 0/3] KVM: arm64: Thing", "Ann@Example.org", true),
            m("[PATCH v3 1/3] KVM: arm64: a", "ann@example.org", false),
            m("[PATCH v3 2/3] KVM: arm64: b", "ann@example.org", false),
            m("[PATCH v3 3/3] KVM: arm64: c", "ann@example.org", false),
            m("Re: [PATCH v3 2/3] KVM: arm64: b", "rev@example.org", false),
        ];
        let f = series_facts(&msgs);
        assert_eq!(f.patch_mails, 4);
        assert_eq!(f.version, 3);
        assert_eq!(f.versions, vec![3]);
        assert_eq!(f.total, Some(3));
        assert_eq!(f.arrived, vec![1, 2, 3]);
        assert!(f.missing.is_empty());
        assert!(f.cover_letter && !f.rfc && !f.resend);
        assert_eq!(f.authors, vec!["ann@example.org"]);
    }

    #[test]
    fn missing_patches() {
        let msgs = vec![
            m("[RFC PATCH 0/5] x", "a@example.org", true),
            m("[RFC PATCH 1/5] x", "a@example.org", false),
            m("[RFC PATCH 2/5] x", "a@example.org", false),
            m("[RFC PATCH 5/5] x", "a@example.org", false),
            m("Re: [RFC PATCH 4/5] x", "b@example.org", false),
        ];
        let f = series_facts(&msgs);
        assert_eq!(f.version, 1);
        assert_eq!(f.total, Some(5));
        assert_eq!(f.arrived, vec![1, 2, 5]);
        assert_eq!(f.missing, vec![3, 4]);
        assert_eq!(f.missing_but_replied, vec![4]);
        assert!(f.rfc && f.cover_letter);
    }

    #[test]
    fn no_cover_letter_and_single_patches() {
        let f = series_facts(&[m("[PATCH 1/2] x", "a@example.org", true)]);
        assert!(!f.cover_letter);
        assert_eq!(f.missing, vec![2]);
        let f = series_facts(&[m("[PATCH v2 RESEND] x", "a@example.org", true)]);
        assert_eq!(f.version, 2);
        assert_eq!(f.total, Some(1));
        assert_eq!(f.arrived, vec![1]);
        assert!(f.missing.is_empty() && f.resend);
        // A discussion thread has no series.
        let f = series_facts(&[
            m("Question about the vgic", "a@example.org", true),
            m("Re: Question about the vgic", "b@example.org", false),
        ]);
        assert_eq!(f, SeriesFacts::default());
    }

    #[test]
    fn newer_version_inside_the_thread() {
        let msgs = vec![
            m("[PATCH 1/2] x", "a@example.org", true),
            m("[PATCH 2/2] y", "a@example.org", false),
            m("[PATCH v2 1/3] x", "a@example.org", false),
            m("[PATCH v2 3/3] z", "co@example.org", false),
        ];
        let f = series_facts(&msgs);
        assert_eq!(f.versions, vec![1, 2]);
        assert_eq!(f.version, 2);
        assert_eq!(f.total, Some(3));
        assert_eq!(f.missing, vec![2]);
        assert_eq!(f.authors, vec!["a@example.org", "co@example.org"]);
    }

    #[test]
    fn add_on_patch_after_the_series() {
        let msgs = vec![
            m("[PATCH 1/2] x", "a@example.org", true),
            m("[PATCH 2/2] y", "a@example.org", false),
            m("[PATCH 3/2] z", "a@example.org", false),
        ];
        let f = series_facts(&msgs);
        assert_eq!(f.total, Some(2));
        assert_eq!(f.arrived, vec![1, 2, 3]);
        assert!(f.missing.is_empty());
    }

    #[test]
    fn huge_totals_are_not_listed() {
        let f = series_facts(&[m("[PATCH 1/99999] x", "a@example.org", true)]);
        assert_eq!(f.total, Some(99999));
        assert!(f.missing.is_empty());
    }

    fn t(id: &str, key: &str, author: &str, v: u32, time: i64) -> VersionedThread {
        (id.into(), key.into(), author.into(), v, time)
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.into(), b.into())
    }

    #[test]
    fn chains_versions_of_one_author() {
        let threads = vec![
            t("v3", "kvm: arm64: thing", "ann@example.org", 3, 300),
            t("v1", "kvm: arm64: thing", "ann@example.org", 1, 100),
            t("v2", "KVM: arm64: Thing", "Ann@Example.org", 2, 200),
            t("other", "kvm: arm64: other", "ann@example.org", 2, 250),
        ];
        assert_eq!(
            link_versions(&threads),
            vec![pair("v1", "v2"), pair("v2", "v3")]
        );
    }

    #[test]
    fn same_title_different_authors_not_chained() {
        let threads = vec![
            t(
                "ann-v1",
                "kvm: arm64: fix the race",
                "ann@example.org",
                1,
                100,
            ),
            t(
                "bob-v2",
                "kvm: arm64: fix the race",
                "bob@example.org",
                2,
                200,
            ),
            t(
                "ann-v2",
                "kvm: arm64: fix the race",
                "ann@example.org",
                2,
                300,
            ),
        ];
        assert_eq!(link_versions(&threads), vec![pair("ann-v1", "ann-v2")]);
    }

    #[test]
    fn time_order_gaps_and_resends() {
        // A "v2" older than v1 is not its successor.
        let threads = vec![
            t("late-v1", "x", "a@example.org", 1, 500),
            t("early-v2", "x", "a@example.org", 2, 100),
        ];
        assert!(link_versions(&threads).is_empty());
        // A missing v2: v1 → v3. A resend of v3 also follows v1, not v3.
        let threads = vec![
            t("v1", "x", "a@example.org", 1, 100),
            t("v3", "x", "a@example.org", 3, 300),
            t("v3-resend", "x", "a@example.org", 3, 400),
            t("v4", "x", "a@example.org", 4, 500),
        ];
        assert_eq!(
            link_versions(&threads),
            vec![
                pair("v1", "v3"),
                pair("v1", "v3-resend"),
                pair("v3-resend", "v4")
            ]
        );
        // No explicit version counts as v1 (the caller passes 1).
        let a = parse_subject("[PATCH] KVM: x");
        let b = parse_subject("[PATCH v2] KVM: x");
        let threads = vec![
            t(
                "a",
                &a.series_key,
                "a@example.org",
                a.effective_version(),
                1,
            ),
            t(
                "b",
                &b.series_key,
                "a@example.org",
                b.effective_version(),
                2,
            ),
        ];
        assert_eq!(link_versions(&threads), vec![pair("a", "b")]);
        // Empty keys are never linked.
        let threads = vec![
            t("a", "", "a@example.org", 1, 1),
            t("b", "", "a@example.org", 2, 2),
        ];
        assert!(link_versions(&threads).is_empty());
    }
}
