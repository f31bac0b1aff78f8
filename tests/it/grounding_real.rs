//! The grounding check on real threads of the kvmarm corpus (2022-W10):
//! correct hand-written summaries raise no citation or name problem (no
//! problem at all), and errors planted in them are caught. Skipped when
//! ../shared is absent. The summaries are ours; no mail text is copied.

use crate::common;

use common::*;
use lore_digest::digest::{self, ThreadView};
use lore_digest::grounding::{self, KnownPeople, Mode, ProblemKind, ThreadMaterial, Verdict};
use lore_digest::storage::archive::Archive;
use lore_digest::storage::index::TimeField;
use lore_digest::window;

/// (thread subject needle, language, a correct summary).
const CORRECT: &[(&str, &str, &str)] = &[
    (
        "Really propagate PSCI SYSTEM_RESET2",
        "en",
        "Topic: Will Deacon fixes the PSCI SYSTEM_RESET2 call for guests: smccc_set_retval() overwrote its arguments with zeroes instead of passing them to userspace [#1].\n\
Earlier discussion: none, the thread started in this window.\n\
This window: the patch sets only X0 to PSCI_RET_INTERNAL_FAILURE when the call goes to userspace, in arch/arm64/kvm/psci.c; Andrew Walbran reported the bug [#1]. Marc Zyngier applied it to next [#2].\n\
Open questions and outcome: applied to next as commit 9d3e7b7c82fd [#2].",
    ),
    (
        "Really propagate PSCI SYSTEM_RESET2",
        "zh",
        "主题：Will Deacon 修复了客户机的 PSCI SYSTEM_RESET2 调用：smccc_set_retval() 用零覆盖了它的参数，没有交给用户空间 [#1]。\n\
此前讨论：无，线程始于本周期。\n\
本周期进展：补丁在调用交给用户空间时只把 X0 设为 PSCI_RET_INTERNAL_FAILURE [#1]。Zyngier Marc 将其合入 next［#2］。\n\
待解决问题与结果：已合入 [#2]。",
    ),
    (
        "Cortex-A510 erratum 2077057",
        "en",
        "Topic: Mark Brown's patch makes the workaround for Cortex-A510 erratum 2077057 (ARM64_ERRATUM_2077057) default to y in arch/arm64/Kconfig, as other errata fixes do [#1].\n\
Earlier discussion:\n\
- Catalin Marinas acked it and said it was not critical for 5.17 [#2].\n\
- Marc said he would punt it to 5.18 [#3], then applied it to next [#4].\n\
This window: Catalin sent a Reviewed-by [#5], then noticed that he had already acked the patch and that Marc had queued it [#6].\n\
Open questions and outcome: applied to next [#4].",
    ),
    (
        "Reset PMC_EL0 to avoid a panic()",
        "en",
        "Topic: James Morse sent a stable-only fix: the backport of commit 2a5f1b67ec57 left an empty reset handler for PMCR_EL0, which triggers a panic() on older kernels such as v4.9, so the handler now writes 0 to the sys_reg[] array [#1].\n\
This window: Greg KH queued it for the 4.9, 4.14 and 4.19 kernels [#2], and the stable bot confirmed each addition [#3, #4, #5].\n\
Open questions and outcome: added to the 4.9-stable, 4.14-stable and 4.19-stable trees [#3-#5].",
    ),
];

/// (thread needle, statement appended to the correct summary, kind).
const PLANTED: &[(&str, &str, ProblemKind)] = &[
    (
        "Cortex-A510 erratum 2077057",
        "Oliver Upton tested it on a Cortex-A510 board [#5].",
        ProblemKind::Name,
    ),
    (
        "Cortex-A510 erratum 2077057",
        "Catalin asked for a follow-up fix [#7].",
        ProblemKind::Citation,
    ),
    (
        "Cortex-A510 erratum 2077057",
        "The bug appeared in v5.15-rc1 [#2].",
        ProblemKind::Version,
    ),
    (
        "Cortex-A510 erratum 2077057",
        "It also changes kvm_arm_erratum_enable() [#1].",
        ProblemKind::Identifier,
    ),
    (
        "Really propagate PSCI SYSTEM_RESET2",
        "It relies on the PSCI (Power Saving Control Interface) spec [#1].",
        ProblemKind::Expansion,
    ),
    (
        "Reset PMC_EL0 to avoid a panic()",
        "Many users had run into the panic on Juno boards in production.",
        ProblemKind::Uncited,
    ),
];

fn week() -> Option<(tempfile::TempDir, Archive, Vec<ThreadView>)> {
    let data = synced_corpus()?;
    let archive = Archive::open(data.path(), "kvmarm").unwrap();
    let spec = window::parse_week("2022-W10").unwrap();
    let w = window::resolve(&spec, chrono_tz::Tz::UTC, TimeField::Received, 0);
    let d = digest::build(&archive, &w, &digest::Options::for_list("kvmarm")).unwrap();
    Some((data, archive, d.threads))
}

fn pick<'a>(threads: &'a [ThreadView], needle: &str) -> &'a ThreadView {
    threads
        .iter()
        .find(|t| t.subject.contains(needle))
        .unwrap_or_else(|| panic!("{needle} in 2022-W10"))
}

#[test]
fn hand_written_summaries_of_real_threads_pass_and_planted_errors_are_caught() {
    let Some((_data, archive, threads)) = week() else {
        return;
    };
    let people = KnownPeople::from_names(archive.sender_names().unwrap()).with_well_known();
    assert!(people.len() > 100, "the archive knows its senders");
    for (needle, lang, text) in CORRECT {
        let t = pick(&threads, needle);
        let m = ThreadMaterial::of_thread(t);
        let c = grounding::check(text, &m, &people, Mode::Strict);
        assert!(
            c.grounding.problems.is_empty(),
            "{needle} ({lang}): {:?}",
            c.grounding.problems
        );
        assert_eq!(c.grounding.verdict, Verdict::Grounded);
        assert!(c.grounding.cited >= 2, "{needle} ({lang})");
    }
    for (needle, extra, kind) in PLANTED {
        let t = pick(&threads, needle);
        let m = ThreadMaterial::of_thread(t);
        let base = CORRECT
            .iter()
            .find(|(n, l, _)| n == needle && *l == "en")
            .unwrap()
            .2;
        let text = format!("{base}\n{extra}");
        let c = grounding::check(&text, &m, &people, Mode::Mark);
        let kinds: Vec<ProblemKind> = c.grounding.problems.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, vec![*kind], "{extra}: {:?}", c.grounding.problems);
        assert_ne!(c.grounding.verdict, Verdict::Grounded, "{extra}");
        if kind.serious() {
            assert_eq!(c.grounding.verdict, Verdict::Rejected, "{extra}");
        }
    }
}

#[test]
fn extractive_summaries_of_a_real_week_are_grounded() {
    let Some((_data, archive, threads)) = week() else {
        return;
    };
    let people = KnownPeople::from_names(archive.sender_names().unwrap()).with_well_known();
    for t in &threads {
        let m = ThreadMaterial::of_thread(t);
        for lang in [lore_digest::lang::Lang::En, lore_digest::lang::Lang::Zh] {
            let text = lore_digest::summarize::extractive(t, lang);
            let c = grounding::check(&text, &m, &people, Mode::Mark);
            assert!(
                c.grounding
                    .problems
                    .iter()
                    .all(|p| !p.kind.serious() && p.kind != ProblemKind::Uncited),
                "{} ({lang}): {:?}\n{text}",
                t.subject,
                c.grounding.problems
            );
        }
    }
}

/// The false alarms of the check on the extractive summaries of every week
/// of 2022 (`cargo test --test it grounding_real::extractive_false_alarms
/// -- --ignored --nocapture`): problems by kind and language, printed. The
/// extractive text cites only mails the thread has, so a `citation`
/// problem is a bug.
#[test]
#[ignore = "measurement: every week of 2022 of the real corpus (minutes)"]
fn extractive_false_alarms_over_every_week_of_2022() {
    let Some((_data, archive, _)) = week() else {
        return;
    };
    let people = KnownPeople::from_names(archive.sender_names().unwrap()).with_well_known();
    let mut by_kind: std::collections::BTreeMap<(lore_digest::lang::Lang, &str), usize> =
        Default::default();
    let (mut summaries, mut flagged, mut problems) = (0, 0, 0);
    for w in 1..=52 {
        let spec = window::parse_week(&format!("2022-W{w:02}")).unwrap();
        let win = window::resolve(&spec, chrono_tz::Tz::UTC, TimeField::Received, 0);
        let d = digest::build(&archive, &win, &digest::Options::for_list("kvmarm")).unwrap();
        for t in &d.threads {
            let m = ThreadMaterial::of_thread(t);
            for lang in [lore_digest::lang::Lang::En, lore_digest::lang::Lang::Zh] {
                let text = lore_digest::summarize::extractive(t, lang);
                let c = grounding::check(&text, &m, &people, Mode::Mark);
                summaries += 1;
                if !c.grounding.problems.is_empty() {
                    flagged += 1;
                }
                for p in &c.grounding.problems {
                    problems += 1;
                    *by_kind.entry((lang, p.kind.as_str())).or_default() += 1;
                    if p.kind != ProblemKind::Uncited {
                        eprintln!("{lang} {} {:?}: {}", p.kind.as_str(), p.text, t.subject);
                    }
                    assert_ne!(p.kind, ProblemKind::Citation, "{}: {text}", t.subject);
                }
            }
        }
    }
    eprintln!(
        "2022: {summaries} extractive summaries (en+zh), {flagged} with a problem, {problems} problems: {by_kind:?}"
    );
}

/// (thread needle, a wrong claim appended to the correct summary, kind).
const WRONG_CLAIMS: &[(&str, &str, ProblemKind)] = &[
    (
        "Cortex-A510 erratum 2077057",
        "Marc Zyngier's Reviewed-by is on the patch [#5].",
        ProblemKind::Trailer,
    ),
    (
        "Really propagate PSCI SYSTEM_RESET2",
        "Andrew Walbran said it was applied to next [#2].",
        ProblemKind::Attribution,
    ),
    (
        "Cortex-A510 erratum 2077057",
        "The patch was NAKed by Catalin Marinas [#2].",
        ProblemKind::Status,
    ),
    (
        "Reset PMC_EL0 to avoid a panic()",
        "No replies yet [#1].",
        ProblemKind::Status,
    ),
    (
        "Cortex-A510 erratum 2077057",
        "It is a 3-patch series [#1].",
        ProblemKind::Count,
    ),
];

#[test]
fn wrong_claims_on_real_threads_are_caught_with_their_kind() {
    let Some((_data, archive, threads)) = week() else {
        return;
    };
    let people = KnownPeople::from_names(archive.sender_names().unwrap()).with_well_known();
    for (needle, extra, kind) in WRONG_CLAIMS {
        let t = pick(&threads, needle);
        let m = ThreadMaterial::of_thread(t);
        let base = CORRECT
            .iter()
            .find(|(n, l, _)| n == needle && *l == "en")
            .unwrap()
            .2;
        let text = format!("{base}\n{extra}");
        let c = grounding::check(&text, &m, &people, Mode::Mark);
        assert!(
            c.grounding.problems.iter().any(|p| p.kind == *kind),
            "{extra}: {:?}",
            c.grounding.problems
        );
        assert_ne!(c.grounding.verdict, Verdict::Grounded, "{extra}");
    }
}
