use super::*;

/// A small synthetic thread: a two-patch series on FWB by Alice, reviewed
/// by Bob, applied by Marc; Carol is only in Cc.
fn material() -> ThreadMaterial {
    let texts = [
        "FACTS\nSubject: [PATCH v2 0/2] KVM: arm64: Use FWB for stage-2 mappings\nSeries: version 2; 2 patches + cover letter",
        "[PATCH v2 0/2] KVM: arm64: Use FWB for stage-2 mappings",
        "Hi all,\n\nThis series uses Stage-2 Forced Write-Back (FWB) when the CPU has it, so that\nkvm_pgtable_stage2_map() can skip the cache maintenance. It applies on v5.17-rc3.\n\nChanges since v1:\n- dropped the HCR_EL2.FWB check in __kvm_vcpu_run\n\nAlice Author (2):\n  KVM: arm64: widget one\n\n arch/arm64/kvm/hyp/pgtable.c | 4 ++--\n",
        "[PATCH v2 1/2] KVM: arm64: Skip CMOs with FWB",
        "Skip the CMOs when FWB is there.\n\nCc: Carol Cc-Person <carol@example.org>\nSigned-off-by: Alice Author <alice@example.org>\n---\ndiff --git a/arch/arm64/kvm/hyp/pgtable.c b/arch/arm64/kvm/hyp/pgtable.c\n+\tif (!stage2_has_fwb(pgt))\n+\t\tclean_dcache_guest_page(pfn, size);\n",
        "Re: [PATCH v2 1/2] KVM: arm64: Skip CMOs with FWB",
        "On Tue, 8 Mar 2022 10:00:01 +0000,\nAlice Author <alice@example.org> wrote:\n> Skip the CMOs when FWB is there.\n\nLooks good. CONFIG_KVM must be set, of course.\n\nReviewed-by: Bob Reviewer <bob@example.org>\n",
        "Re: [PATCH v2 0/2] KVM: arm64: Use FWB for stage-2 mappings",
        "Applied to kvmarm/next, thanks!\n\nM.\n",
    ];
    let names = [
        "Alice Author",
        "alice@example.org",
        "Bob Reviewer",
        "Marc Zyngier",
        "maz@kernel.org",
    ];
    ThreadMaterial::new(4, &texts, &names)
}

fn people() -> KnownPeople {
    KnownPeople::from_names([
        "Alice Author",
        "Bob Reviewer",
        "Marc Zyngier",
        "Carol Cc-Person",
        "Will Deacon",
        "Oliver Upton",
        "Quentin Question",
        "kernel test robot",
        "Mark Brown",
    ])
}

fn run(text: &str) -> Checked {
    check(text, &material(), &people(), Mode::Mark)
}

fn kinds(c: &Checked) -> Vec<ProblemKind> {
    let mut k: Vec<ProblemKind> = c.grounding.problems.iter().map(|p| p.kind).collect();
    k.dedup();
    k
}

fn assert_clean(text: &str) {
    let c = run(text);
    assert!(
        c.grounding.problems.is_empty(),
        "{text}\n=> {:?}",
        c.grounding.problems
    );
    assert_eq!(c.grounding.verdict, Verdict::Grounded);
}

fn assert_only(text: &str, kind: ProblemKind, span: &str) -> Checked {
    let c = run(text);
    assert!(
        c.grounding
            .problems
            .iter()
            .any(|p| p.kind == kind && p.text == span),
        "{text}\nwanted {kind:?} {span:?}, got {:?}",
        c.grounding.problems
    );
    assert!(
        c.grounding.problems.iter().all(|p| p.kind == kind),
        "{text}\n=> {:?}",
        c.grounding.problems
    );
    assert_ne!(c.grounding.verdict, Verdict::Grounded);
    c
}

#[test]
fn citations_parse_in_every_written_form() {
    let t = "a [#3] b [#3, #7] c [#3,#7] d ［#2］ e [#2-#4] f [#1，#2] g [PATCH] h [#x]";
    let c: Vec<Vec<usize>> = parse_citations(t).into_iter().map(|c| c.numbers).collect();
    assert_eq!(
        c,
        vec![
            vec![3],
            vec![3, 7],
            vec![3, 7],
            vec![2],
            vec![2, 3, 4],
            vec![1, 2]
        ]
    );
}

#[test]
fn statements_split_en_zh_lists_and_labels() {
    let text = "Topic: The series uses FWB [#1]. It skips CMOs, e.g. on map [#2].\n\
Earlier discussion:\n\
- Bob reviewed patch 1 [#3]\n\
- Marc applied it. [#4]\n\
本周期进展：Bob 审阅了补丁 [#3]。Marc 合入了它［#4］！\n\
In this window:\n\
Open questions and outcome: none.";
    let s = statements(text);
    let got: Vec<(&str, Vec<usize>)> = s
        .iter()
        .map(|s| (s.text.as_str(), s.cites.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("Topic: The series uses FWB [#1].", vec![1]),
            ("It skips CMOs, e.g. on map [#2].", vec![2]),
            ("Bob reviewed patch 1 [#3]", vec![3]),
            ("Marc applied it. [#4]", vec![4]),
            ("本周期进展：Bob 审阅了补丁 [#3]。", vec![3]),
            ("Marc 合入了它［#4］！", vec![4]),
            ("Open questions and outcome: none.", vec![]),
        ]
    );
    assert!(!s[6].needs_citation, "\"none\" needs no citation");
    assert!(s[0].needs_citation);
    // Quotes are not split.
    let q = statements("- Bob: \"This is wrong. Use the other helper.\" [#3]");
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].cites, vec![3]);
    // Version numbers and subjects do not end sentences.
    let v = statements("Topic: KVM: arm64: it is based on v5.17-rc3 and 5.10 [#1].");
    assert_eq!(v.len(), 1);
}

#[test]
fn a_correct_summary_is_grounded() {
    assert_clean(
        "Topic: Alice Author's series uses Stage-2 Forced Write-Back (FWB) so that kvm_pgtable_stage2_map() can skip cache maintenance [#1].\n\
Earlier discussion: none, the thread started in this window.\n\
This window: Bob Reviewer reviewed patch 1/2 and noted that CONFIG_KVM must be set [#3]. \
Marc applied the series to kvmarm/next [#4]. Carol was in Cc [#2].\n\
Open questions and outcome: applied; v2 is based on v5.17-rc3 and touches arch/arm64/kvm/hyp/pgtable.c [#1, #4].",
    );
    // Names in other forms and in Chinese text.
    assert_clean(
        "主题：Alice 的补丁系列在 CPU 支持时使用 FWB [#1]。\n\
本周期进展：Zyngier Marc 将其合入 kvmarm/next［#4］。Bob Reviewer 审阅了第 1/2 个补丁 [#3]。\n\
待解决问题与结果：无。",
    );
    // Words that look like names are not people.
    assert_clean(
        "Topic: Will this work on Linux 5.17 [#1]? The KVM arm64 code in Arm CPUs must handle it [#1].\n\
This window: Reviewed-by Bob [#3]. Thanks Marc, Applied [#4].",
    );
}

#[test]
fn invented_citations_are_caught() {
    let c = assert_only(
        "Topic: the series uses FWB [#1].\nThis window: Bob reviewed it [#9].",
        ProblemKind::Citation,
        "[#9]",
    );
    assert_eq!(c.grounding.verdict, Verdict::Rejected);
    assert_only(
        "Topic: the series uses FWB [#0].",
        ProblemKind::Citation,
        "[#0]",
    );
}

#[test]
fn people_absent_from_the_thread_are_caught() {
    for (text, span) in [
        (
            "This window: Will Deacon reviewed the series [#3].",
            "Will Deacon",
        ),
        ("This window: Oliver reviewed the series [#3].", "Oliver"),
        (
            "This window: Upton Oliver reviewed the series [#3].",
            "Upton Oliver",
        ),
        (
            "本周期进展：Oliver Upton 审阅了该系列 [#3]。",
            "Oliver Upton",
        ),
        (
            "This window: Quentin asked about the widget code [#3].",
            "Quentin",
        ),
        // A first name of the archive with an unknown last name.
        (
            "This window: Marc Smithers applied the series [#4].",
            "Marc Smithers",
        ),
    ] {
        let c = assert_only(text, ProblemKind::Name, span);
        assert_eq!(c.grounding.verdict, Verdict::Rejected, "{text}");
    }
    // Known from the built-in list even when the archive lacks them.
    let bare = KnownPeople::default().with_well_known();
    let c = check(
        "This window: Catalin Marinas acked it [#3].",
        &material(),
        &bare,
        Mode::Mark,
    );
    assert_eq!(kinds(&c), vec![ProblemKind::Name]);
}

#[test]
fn invented_versions_are_caught() {
    for (text, span) in [
        ("Topic: this is v3 of the series [#1].", "v3"),
        ("Topic: patch 3/5 adds FWB [#1].", "3/5"),
        ("Topic: the series targets v5.18-rc1 [#1].", "v5.18-rc1"),
        ("Topic: the series is for 6.1.y [#1].", "6.1.y"),
        ("Topic: the bug was introduced in 5.10 [#1].", "5.10"),
        ("主题：该系列基于 v6.2 [#1]。", "v6.2"),
    ] {
        assert_only(text, ProblemKind::Version, span);
    }
    // Present ones are fine, in any spelling.
    assert_clean("Topic: V2 of the series, patch 1/2, applies on 5.17-rc3 and v5.17 [#1, #2].");
}

#[test]
fn invented_identifiers_are_caught() {
    for (text, span) in [
        (
            "Topic: it changes kvm_pgtable_stage2_unmap() [#1].",
            "kvm_pgtable_stage2_unmap()",
        ),
        ("Topic: it adds a check of HCR_EL2.TVM [#1].", "HCR_EL2.TVM"),
        ("Topic: it needs CONFIG_ARM64_FWB [#1].", "CONFIG_ARM64_FWB"),
        (
            "Topic: it touches arch/arm64/kvm/mmu.c [#1].",
            "arch/arm64/kvm/mmu.c",
        ),
        (
            "Topic: it was applied to kvmarm/fixes [#4].",
            "kvmarm/fixes",
        ),
        ("Topic: it calls flush_guest() [#1].", "flush_guest()"),
        (
            "主题：修改了 vgic_its_save() 与 SCTLR_EL1 [#1]。",
            "vgic_its_save()",
        ),
    ] {
        assert_only(text, ProblemKind::Identifier, span);
    }
    // Slash words are not paths; present identifiers are fine.
    assert_clean(
        "Topic: stage2_has_fwb() and HCR_EL2.FWB decide whether guest/host caches and/or CMOs are needed [#2, #1].",
    );
    assert_clean("Status: Stable/backport; Bug report/question [#1].");
}

#[test]
fn a_subsystem_written_with_a_slash_matches_the_subject_prefix() {
    // The subject says "KVM: arm64:"; people write KVM/arm64.
    assert_clean("Topic: a KVM/arm64 series skips the CMOs when FWB is there [#1].");
    assert_only(
        "Topic: a KVM/arm32 series skips the CMOs [#1].",
        ProblemKind::Identifier,
        "KVM/arm32",
    );
    // A URL ends before a closing quote, in any language.
    let m = ThreadMaterial::new(1, &["See https://lore.kernel.org/r/x@y/ for v1."], &["A B"]);
    let c = check(
        "摘要：“见 https://lore.kernel.org/r/x@y/”［#1］",
        &m,
        &people(),
        Mode::Strict,
    );
    assert!(
        c.grounding.problems.is_empty(),
        "{:?}",
        c.grounding.problems
    );
}

#[test]
fn invented_expansions_are_caught() {
    for (text, span) in [
        (
            "Topic: FWB (Firmware Workaround) is used [#1].",
            "FWB (Firmware Workaround)",
        ),
        (
            "Topic: Firmware Workaround (FWB) is used [#1].",
            "Firmware Workaround (FWB)",
        ),
        (
            "主题：使用 FWB（Firmware Workaround）[#1]。",
            "FWB（Firmware Workaround）",
        ),
        (
            "Topic: CMO (Cache Management Operation) is skipped [#2].",
            "CMO (Cache Management Operation)",
        ),
    ] {
        assert_only(text, ProblemKind::Expansion, span);
    }
    assert_clean(
        "Topic: Stage-2 Forced Write-Back (FWB) is used; FWB (forced write-back) skips CMOs [#1].",
    );
    // A parenthesis that explains is not an expansion.
    assert_clean("Topic: FWB (from the cover letter) is used [#1].");
}

#[test]
fn uncited_statements_are_caught_and_mostly_uncited_is_rejected() {
    let c = assert_only(
        "Topic: the series uses FWB [#1].\nThis window: Bob reviewed patch 1 [#3]. Marc applied the series to kvmarm/next [#4].\nOpen questions and outcome: it needs more testing on real hardware.",
        ProblemKind::Uncited,
        "Open questions and outcome: it needs more testing on real hardware.",
    );
    assert_eq!(c.grounding.verdict, Verdict::Flagged);
    assert_eq!((c.grounding.statements, c.grounding.cited), (4, 3));
    // The answer of the small model in scripts/e2e-llm.sh.
    let c = run(
        "The patch I created is a patch I created to fix the bug in the previous patch. It's a patch I created to fix the bug in the previous patch.",
    );
    assert_eq!(kinds(&c), vec![ProblemKind::Uncited]);
    assert_eq!(c.grounding.verdict, Verdict::Rejected);
    assert_eq!((c.grounding.statements, c.grounding.cited), (2, 0));
}

#[test]
fn strict_rejects_any_problem_and_verdicts_follow_the_rule() {
    let text = "Topic: the series uses FWB [#1]. It is v3 [#1]. Bob reviewed it [#3]. Marc applied it [#4].";
    assert_eq!(run(text).grounding.verdict, Verdict::Flagged);
    assert_eq!(
        check(text, &material(), &people(), Mode::Strict)
            .grounding
            .verdict,
        Verdict::Rejected
    );
    assert_eq!("strict".parse::<Mode>().unwrap(), Mode::Strict);
    assert!("loose".parse::<Mode>().is_err());
    let json = serde_json::to_value(&run("Topic: it is v3 [#7].").grounding).unwrap();
    assert_eq!(json["verdict"], "rejected");
    assert_eq!(json["problems"][0]["kind"], "version");
    assert_eq!(json["problems"][0]["text"], "v3");
    assert_eq!(json["problems"][1]["kind"], "citation");
}

#[test]
fn attribution_and_trailer_people_are_participants() {
    let m = ThreadMaterial::new(
        2,
        &[
            "On Mon, 7 Mar 2022 at 10:00, Dana Dev <dana@example.org> wrote:\n> x\nOK.\n",
            "Quentin Question <q@example.org> writes:\n> y\nTested-by: Erin Tester <erin@example.org>\nCc: Frank Cc <frank@example.org>\n",
        ],
        &["Someone Else"],
    );
    let p = KnownPeople::from_names([
        "Dana Dev",
        "Quentin Question",
        "Erin Tester",
        "Frank Cc",
        "Gina Gone",
    ]);
    let c = check(
        "This window: Dana, Erin Tester, Frank and Quentin took part; Dev Dana too [#1, #2]. Gina was not [#2].",
        &m,
        &p,
        Mode::Mark,
    );
    let names: Vec<&str> = c
        .grounding
        .problems
        .iter()
        .map(|p| p.text.as_str())
        .collect();
    assert_eq!(names, vec!["Gina"]);
}

#[test]
fn statements_never_split_at_initials_abbreviations_or_versions() {
    for text in [
        "Richard W.M. Jones reported the hang on 5.16.11 [#1].",
        "The fix covers some cases (e.g. FWB) but not all [#1].",
        "It affects nested guests, i.e. the L2 ones [#1].",
        "Patch 1/2 skips CMOs, stage-2 maps etc. with FWB [#1].",
        "A test by J. Smith found it [#1].",
        "Earlier discussion: 17 mails (Peter Maydell, Dr. David Alan Gilbert) [#1].",
        "Prof. Smith and Mr. Jones et al. agreed [#1].",
        "此前讨论：窗口之前有 17 封邮件（Peter Maydell、Dr. David Alan Gilbert）[#1]。",
        "Abstract: \"GCC 10.1.0 added flags which, per man 1 gcc: \"Enable or disable calls. These helpers decide at runtime. [#1]",
        "Abstract: \"The hang is gone. It was a race.\" [#1]",
    ] {
        let st = statements(text);
        assert_eq!(st.len(), 1, "{text}: {st:?}");
    }
    let st = statements("第一句话 [#1]。第二句话 [#2]；第三句 [#3]。");
    assert!(st.len() >= 2, "{st:?}");
}

#[test]
fn glossary_expansions_are_accepted_and_contradictions_caught() {
    for text in [
        "Topic: PSCI (Power State Coordination Interface) calls are forwarded [#1].",
        "Topic: on VHE (Virtualization Host Extensions) hosts it is faster [#1].",
        "Topic: the vCPU waits in WFI (Wait For an Interrupt) [#1].",
        "Topic: TDP (Two-Dimensional Paging) faults are handled [#1].",
        "Topic: RAS (Reliability, Availability and Serviceability) errors are reported [#1].",
        "Topic: Force Write-Back (FWB) is used for stage-2 [#1].",
    ] {
        assert_clean(text);
    }
    assert_only(
        "Topic: FWB (Firmware Workaround) is used [#1].",
        ProblemKind::Expansion,
        "FWB (Firmware Workaround)",
    );
    assert_only(
        "Topic: PSCI (Platform Secure Call Interface) is used [#1].",
        ProblemKind::Expansion,
        "PSCI (Platform Secure Call Interface)",
    );
}

#[test]
fn unknown_acronym_expansion_is_a_note_when_consistent_and_a_problem_otherwise() {
    let c = run("Topic: the QZE (Quick Zone Exchange) path is used [#1].");
    assert!(
        c.grounding.problems.is_empty(),
        "{:?}",
        c.grounding.problems
    );
    assert_eq!(c.grounding.verdict, Verdict::Grounded);
    assert_eq!(c.grounding.notes.len(), 1, "{:?}", c.grounding.notes);
    let c = run("Topic: the QZE (Quiet Bank Holder) path is used [#1].");
    assert_eq!(kinds(&c), vec![ProblemKind::Expansion]);
}

/// The synthetic thread with its facts: v2 (previous v1) of 2 patches,
/// Bob's Reviewed-by in #3, Marc's applied notice in #4 (when `applied`).
fn material_with_facts(applied: bool) -> ThreadMaterial {
    let mut m = material();
    m.facts = Some(claims::Facts {
        version: 2,
        versions: vec![2],
        previous: Some(1),
        next: None,
        total: Some(2),
        patch_mails: 1,
        applied,
        nak: false,
        replies: 2,
        trailers: vec![
            ("signed-off-by".into(), "Alice Author".into()),
            ("reviewed-by".into(), "Bob Reviewer".into()),
        ],
        patch_trailers: vec![("reviewed-by".into(), "Bob Reviewer".into(), 1)],
        senders: vec![
            "Alice Author".into(),
            "Alice Author".into(),
            "Bob Reviewer".into(),
            "Marc Zyngier".into(),
        ],
        bodies: vec![
            "cover".into(),
            "skip the cmos".into(),
            "alice author wrote: looks good".into(),
            "applied".into(),
        ],
    });
    m
}

fn run_facts(text: &str, applied: bool) -> Checked {
    check(text, &material_with_facts(applied), &people(), Mode::Mark)
}

#[test]
fn correct_claims_about_trailers_status_versions_and_counts_are_grounded() {
    for text in [
        "Topic: Bob Reviewer's Reviewed-by covers patch 1/2 [#3].",
        "Topic: reviewed by Bob Reviewer [#3].",
        "Bob Reviewer said it looks good [#3].",
        "Marc Zyngier applied the series to kvmarm/next [#4].",
        "Topic: this v2 series follows v1 → v2 [#1].",
        "Topic: a 2-patch series using FWB [#1].",
        "Bob Reviewer 给出了 Reviewed-by [#3]。",
        "Marc Zyngier 已合入 kvmarm/next [#4]。",
    ] {
        let c = run_facts(text, true);
        assert!(
            c.grounding.problems.is_empty(),
            "{text}\n=> {:?}",
            c.grounding.problems
        );
    }
}

#[test]
fn wrong_claims_are_problems_of_their_kind_that_say_what_the_facts_say() {
    for (text, applied, kind, says) in [
        (
            "Topic: Alice Author's Reviewed-by covers patch 1/2 [#3].",
            true,
            ProblemKind::Trailer,
            "Reviewed-by was given by Bob Reviewer",
        ),
        (
            "Alice Author 给出了 Reviewed-by [#3]。",
            true,
            ProblemKind::Trailer,
            "Reviewed-by was given by Bob Reviewer",
        ),
        (
            "Marc Zyngier said it looks good [#3].",
            true,
            ProblemKind::Attribution,
            "#3 was written by Bob Reviewer",
        ),
        (
            "Marc Zyngier applied the series, so it is merged [#4].",
            false,
            ProblemKind::Status,
            "no applied notice",
        ),
        (
            "Topic: no replies yet [#1].",
            true,
            ProblemKind::Status,
            "the thread has 2 replies",
        ),
        (
            "Topic: this is the v1 series, reworked since v2 [#1].",
            true,
            ProblemKind::Version,
            "the series is v2",
        ),
        (
            "Topic: a 3-patch series using FWB [#1].",
            true,
            ProblemKind::Count,
            "the series has 2 patches",
        ),
    ] {
        let c = run_facts(text, applied);
        assert!(
            c.grounding
                .problems
                .iter()
                .any(|p| p.kind == kind && p.text.contains(says)),
            "{text}\nwanted {kind:?} saying {says:?}, got {:?}",
            c.grounding.problems
        );
        assert_ne!(c.grounding.verdict, Verdict::Grounded, "{text}");
    }
}

#[test]
fn quoted_mail_text_is_not_a_claim_of_the_summary() {
    for text in [
        "Marc Zyngier: “I'll post v3 of this series, applied locally” [#4].",
        "Marc Zyngier wrote \"queued for 5.18\" [#4].",
    ] {
        let c = run_facts(text, false);
        assert!(
            c.grounding
                .problems
                .iter()
                .all(|p| p.kind != ProblemKind::Status && !p.text.contains(" — ")),
            "{text}\n=> {:?}",
            c.grounding.problems
        );
    }
}

#[test]
fn shipped_word_lists_parse() {
    let w = people::word_lists();
    assert!(w.well_known.iter().any(|n| n == "Marc Zyngier"));
    assert!(w.common.len() > 300 && !w.particles.is_empty() && !w.bot_words.is_empty());
}

#[test]
fn trailer_claims_on_named_patches_are_checked_against_the_patch_they_were_given_on() {
    // Bob Reviewer's Reviewed-by is on patch 1/2 only.
    for text in [
        "Topic: Bob Reviewer gave his Reviewed-by on patch 1 [#3].",
        "Bob Reviewer 对 1/2 给出了 Reviewed-by [#3]。",
        "Topic: Bob Reviewer's Reviewed-by is on 1/2; patch 2 has none yet [#3].",
    ] {
        let c = run_facts(text, true);
        assert!(
            c.grounding.problems.is_empty(),
            "{text}\n=> {:?}",
            c.grounding.problems
        );
    }
    for text in [
        "Topic: Bob Reviewer gave his Reviewed-by on patch 2 [#3].",
        "Topic: Reviewed-by from Bob Reviewer on 2/2 [#3].",
        "Bob Reviewer 对 2/2 给出了 Reviewed-by [#3]。",
        "Topic: Bob Reviewer's Reviewed-by covers patches 1 and 2 [#3].",
    ] {
        let c = run_facts(text, true);
        let p: Vec<_> = c
            .grounding
            .problems
            .iter()
            .filter(|p| p.kind == ProblemKind::Trailer)
            .collect();
        assert_eq!(p.len(), 1, "{text}\n=> {:?}", c.grounding.problems);
        assert_ne!(c.grounding.verdict, Verdict::Grounded, "{text}");
    }
    let c = run_facts(
        "Topic: Bob Reviewer gave his Reviewed-by on patch 2 [#3].",
        true,
    );
    assert!(
        c.grounding.problems[0]
            .text
            .contains("no Reviewed-by on patch 2"),
        "{:?}",
        c.grounding.problems
    );
}
