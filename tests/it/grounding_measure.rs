//! Measurement of the grounding check through `lore-digest report` on real
//! kvmarm weeks other than the contract's 2022-W10 (2021-W40, 2020-W20):
//! correct summaries written as a good model writes them (English and
//! Chinese: acronym expansions, trailers, versions, counts, status and
//! attributions with citations) are `grounded`; one wrong claim of each kind
//! makes a summary `flagged` or `rejected` with a problem of that kind. A
//! model stand-in serves the texts. The summaries are ours; no mail text is
//! copied. Skipped without ../shared; fails under CI=true.

use crate::common;
use crate::summarize_support;

use std::sync::Arc;

use serde_json::Value;
use summarize_support::*;

/// (week, language, thread subject needle, a correct summary).
const CORRECT: &[(&str, &str, &str, &str)] = &[
    (
        "2021-W40",
        "en",
        "Release mmap_lock when using VM_SHARED",
        "Topic: Quentin Perret's one-patch fix releases current->mm's mmap_lock when a VM_SHARED mapping is refused in a memslot with MTE (Memory Tagging Extension) [#1].\n\
Earlier discussion: none; the patch was posted in this window [#1].\n\
This window: the check that forbids VM_SHARED mappings with MTE, so that two VMs cannot race to sanitise the same page, returned without releasing the lock [#1]. Marc Zyngier applied the patch to fixes [#2].\n\
Open questions and outcome: applied to fixes [#2].",
    ),
    (
        "2021-W40",
        "zh",
        "Release mmap_lock when using VM_SHARED",
        "主题：Quentin Perret 的单个补丁修复了一个锁泄漏：在启用 MTE（Memory Tagging Extension）的 memslot 中拒绝 VM_SHARED 映射时没有释放 mmap_lock [#1]。\n\
此前讨论：无，补丁在本周期发出 [#1]。\n\
本周期进展：Marc Zyngier 回复称已合入 fixes 分支 [#2]。\n\
待解决问题与结果：已合入 fixes [#2]。",
    ),
    (
        "2021-W40",
        "en",
        "Allow KVM to be disabled from the command line",
        "Topic: Marc Zyngier's v2 patch adds a mode that prevents KVM (Kernel-based Virtual Machine) from initialising, so that KVM can be disabled at runtime from the kernel command line [#1].\n\
Earlier discussion: the v2 patch carries Acked-by tags from Will Deacon and Suzuki K Poulose and a Reviewed-by from David Brazdil [#1].\n\
This window: Andrew Scull sent his Reviewed-by [#2].\n\
Open questions and outcome: reviewed, not applied yet [#1, #2].",
    ),
    (
        "2021-W40",
        "zh",
        "Allow KVM to be disabled from the command line",
        "主题：Marc Zyngier 的 v2 补丁新增一种模式，可以在内核命令行上禁用 KVM，使其不再初始化 [#1]。\n\
此前讨论：该补丁带有 Will Deacon 和 Suzuki K Poulose 的 Acked-by 以及 David Brazdil 的 Reviewed-by [#1]。\n\
本周期进展：Andrew Scull 给出了 Reviewed-by [#2]。\n\
待解决问题与结果：已获审阅，尚未合入 [#1, #2]。",
    ),
    (
        "2021-W40",
        "en",
        "Minor improvements to RAZ register handling",
        "Topic: Alexandru Elisei's 2-patch series simplifies how KVM/arm64 handles RAZ (Read-As-Zero) registers; patch 1/2 returns early from read_id_reg() when a register is RAZ [#1, #2].\n\
Earlier discussion: the series grew out of the discussion on the PMU (Performance Monitors Unit) reset values and the PMSWINC_EL0 shadow register [#1]. Andrew Jones gave his Reviewed-by on patch 1/2 [#4].\n\
This window: Alexandru thanked Andrew for the review [#6]; Andrew Jones said he would prefer not to maintain two implementations of the same functionality [#7], and Alexandru replied [#8].\n\
Open questions and outcome: patch 2/2 is still under discussion; not applied yet [#7, #8].",
    ),
    (
        "2021-W40",
        "zh",
        "PATCH] arm64: Add mmio_addr arg to arm/micro-bench",
        "主题：Ricardo Koller 的 kvm-unit-tests 补丁为 arm/micro-bench 增加 mmio_addr 参数，使 MMIO（Memory-Mapped I/O）测试可以使用 QEMU 默认地址以外的地址 [#1]。\n\
本周期进展：Andrew Jones 作了回复 [#2]，Ricardo Koller 又回复了他 [#3]。\n\
待解决问题与结果：已被 v2 取代 [#1]。",
    ),
    (
        "2021-W40",
        "en",
        "PATCH] arm64: Add mmio_addr arg to arm/micro-bench",
        "Topic: Ricardo Koller's kvm-unit-tests patch adds an mmio_addr argument to arm/micro-bench, so that the MMIO (Memory-Mapped I/O) test can use an address other than the QEMU default; the value cannot be given in hex [#1].\n\
This window: Andrew Jones replied [#2] and Ricardo Koller answered [#3].\n\
Open questions and outcome: superseded by v2 [#1, #3].",
    ),
    (
        "2021-W40",
        "zh",
        "Use report_fail(...) instead of report(0/false, ...)",
        "主题：Janis Schoetterl-Glausch 的 kvm-unit-tests v2 系列中的第 4/5 个补丁，把 report(0/false, ...) 换成 report_fail(...) [#1]。\n\
本周期进展：Andrew Jones 和 Thomas Huth 分别给出了 Reviewed-by [#2, #3]。\n\
待解决问题与结果：本列表只收到 5 个补丁中的第 4 个，尚未合入 [#1]。",
    ),
    (
        "2020-W20",
        "en",
        "Use cpus_have_final_cap for has_vhe()",
        "Topic: Marc Zyngier's patch makes has_vhe() use cpus_have_final_cap() instead of cpus_have_const_cap(): by the time the helper runs, whether the kernel runs with VHE (Virtualization Host Extensions) is long known, and the change slightly reduces the text size [#1].\n\
Earlier discussion: none; the patch was posted in this window [#1].\n\
This window: David Brazdil acked it and said it helps his 'Split off nVHE code' series [#2].\n\
Open questions and outcome: acked by David Brazdil, not applied yet [#2].",
    ),
    (
        "2020-W20",
        "zh",
        "Use cpus_have_final_cap for has_vhe()",
        "主题：Marc Zyngier 的补丁让 has_vhe() 改用 cpus_have_final_cap()，而不是 cpus_have_const_cap()，因为此时早已确定是否运行在 VHE 模式下，代码段也会略小 [#1]。\n\
本周期进展：David Brazdil 给出了 Acked-by，并表示这对 “Split off nVHE code” 系列很有帮助 [#2]。\n\
待解决问题与结果：已获 Acked-by，尚未合入 [#2]。",
    ),
    (
        "2020-W20",
        "en",
        "Move virt/kvm/arm to arch/arm64",
        "Topic: Marc Zyngier moves the whole of the KVM/arm64 code from virt/kvm/arm into arch/arm64, now that the 32bit KVM/arm host is gone [#1].\n\
This window: Will Deacon acked the move [#2].\n\
Open questions and outcome: a single patch with Will Deacon's Acked-by; not applied yet [#1, #2].",
    ),
    (
        "2020-W20",
        "zh",
        "Move virt/kvm/arm to arch/arm64",
        "主题：Marc Zyngier 把 KVM/arm64 的全部代码从 virt/kvm/arm 移到 arch/arm64 [#1]。\n\
本周期进展：Will Deacon 给出了 Acked-by [#2]。\n\
待解决问题与结果：单个补丁，已获 Will Deacon 的 Acked-by，尚未合入 [#1, #2]。",
    ),
    (
        "2020-W20",
        "en",
        "Hardware management of stage2 page dirty state",
        "Topic: zhukeqian asks whether hardware DBM (dirty bit management) could be used for Stage 2 page tables, after reading Catalin Marinas's patch that enabled hardware updates of the Access Flag for Stage 2 [#1].\n\
This window: Catalin Marinas explained that dirty logging works with a bitmap that the host kernel fills when the guest writes a page [#2]; zhukeqian replied [#3].\n\
Open questions and outcome: a question, no patch; the discussion goes on [#3].",
    ),
    (
        "2020-W20",
        "zh",
        "Add ID_AA64MMFR0_PARANGE_MASK",
        "主题：Anshuman Khandual 的补丁用 ID_AA64MMFR0_PARANGE_MASK 替换多处直接写出的 0x7，并新增 id_aa64mmfr0_parange() 辅助函数 [#1]。\n\
本周期进展：Marc Zyngier 仍然不同意这个 7 [#2]；Mark Rutland 指出 ID_AA64MMFR0_PARANGE_SHIFT 已在 <asm/sysreg.h> 中，新的掩码也应放在那里 [#3]。\n\
待解决问题与结果：尚无 Reviewed-by 或 Acked-by，补丁未合入 [#2, #3]。",
    ),
    (
        "2020-W20",
        "zh",
        "Performance of VM is better than Host",
        "主题：Roja Eswaran 在 Raspi-4 上用 sysbench 测试内存性能，发现虚拟机比宿主机快约 11%，询问原因 [#1]。\n\
本周期进展：Marc Zyngier 回复，请对方不要发送 HTML 邮件，改用纯文本 [#2]。\n\
待解决问题与结果：问题尚无答案 [#2]。",
    ),
];

/// (week, language, thread needle, a summary with one wrong claim, problem
/// kind), on threads that have no correct summary in the same run.
const WRONG: &[(&str, &str, &str, &str, &str)] = &[
    (
        "2020-W20",
        "en",
        "V2] arm64/cpufeature: Validate hypervisor capabilities",
        "Topic: Anshuman Khandual's v2 patch validates hypervisor capabilities such as the VMID width and the IPA range of a hot-plugged CPU [#1].\n\
This window: Anshuman Khandual gave his Reviewed-by on the patch [#3].",
        "trailer",
    ),
    (
        "2020-W20",
        "en",
        "Performance of VM is better than Host",
        "Topic: a user measured sysbench memory performance on a Raspi-4 [#1].\n\
This window: Marc Zyngier said that the VM ran 11% faster than the host [#1].",
        "attribution",
    ),
    (
        "2020-W20",
        "en",
        "Add ID_AA64MMFR0_PARANGE_MASK",
        "Topic: Anshuman Khandual replaces open-coded 0x7 values with ID_AA64MMFR0_PARANGE_MASK [#1].\n\
This window: Marc Zyngier applied the patch to next [#2].",
        "status",
    ),
    (
        "2020-W20",
        "en",
        "kvmtool] rtc: Generate fdt node",
        "Topic: Andre Przywara's kvmtool patch adds a device tree node for the RTC emulation [#1].\n\
This window: this is v3 of the patch, after v2 [#1]; Mark Rutland replied [#2].",
        "version",
    ),
    (
        "2021-W40",
        "en",
        "Use report_fail(...) instead of report(0/false, ...)",
        "Topic: Janis Schoetterl-Glausch's cleanup uses report_fail(...) in kvm-unit-tests [#1].\n\
This window: it is a 7-patch series [#1]; Thomas Huth sent a Reviewed-by [#3].",
        "count",
    ),
    (
        "2021-W40",
        "en",
        "Specify empty NUMA node",
        "Topic: Gavin Shan's v2 series lets the device tree describe an empty NUMA (Non-Unified Memory Allocation) node [#1].\n\
This window: Rob Herring replied to both patches [#8, #9].",
        "expansion",
    ),
    (
        "2021-W40",
        "en",
        "KVM userspace GICv2 IRQ controller on platform with GICv3",
        "Topic: a question about a userspace GICv2 interrupt controller on a GICv3 host [#1].\n\
Open questions and outcome: no replies yet [#1].",
        "status",
    ),
    (
        "2021-W40",
        "zh",
        "Minor improvements to RAZ register handling",
        "主题：Alexandru Elisei 的 2 个补丁的系列简化了 KVM/arm64 对 RAZ（Read-As-Zero）寄存器的处理 [#1]。\n\
此前讨论：Andrew Jones 对 2/2 给出了 Reviewed-by [#5]。",
        "trailer",
    ),
];

fn subject_line(prompt: &str) -> &str {
    prompt
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or("")
}

/// `report kvmarm --week WEEK --lang LANG` with a model stand-in answering
/// `texts` (by subject needle) and the default fake answer otherwise.
fn run(
    data: &std::path::Path,
    week: &str,
    lang: &str,
    texts: Vec<(&'static str, &'static str)>,
) -> Value {
    let answer: Arc<AnswerFn> = Arc::new(move |user: &str| {
        let subject = subject_line(user);
        let whole = !user.contains("THREAD SUMMARIES")
            && !user.contains("NOTES ON ")
            && !user.contains("This is part ")
            && !user.contains("这是第 ");
        texts
            .iter()
            .find(|(needle, _)| whole && subject.contains(needle))
            .map(|(_, t)| t.to_string())
            .unwrap_or_else(|| answer_for(user))
    });
    let llm = FakeLlm::start_answering(Api::OpenAi, answer);
    let out = tempfile::tempdir().unwrap();
    common::Lore::new(data)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["report", "kvmarm", "--week", week, "--lang", lang])
        .args(["--backend", "openai", "--llm-url", &llm.url()])
        .args(["--model", OPENAI_MODEL, "--num-ctx", "32768"])
        .args(["--refresh-summaries", "--format", "md,json", "--out"])
        .arg(out.path())
        .ok()
        .written_json()
}

fn thread<'a>(j: &'a Value, needle: &str) -> &'a Value {
    let hits: Vec<&Value> = j["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["subject"].as_str().unwrap().contains(needle))
        .collect();
    assert_eq!(hits.len(), 1, "one thread {needle}");
    hits[0]
}

#[test]
fn good_model_summaries_of_other_weeks_are_grounded_and_each_wrong_claim_kind_is_caught() {
    let Some(data) = common::synced_corpus() else {
        return;
    };
    let (mut correct, mut false_alarms, mut caught) = (0, 0, 0);
    let mut failures = Vec::new();
    for week in ["2021-W40", "2020-W20"] {
        for lang in ["en", "zh"] {
            let mut texts: Vec<(&str, &str)> = CORRECT
                .iter()
                .filter(|(w, l, _, _)| *w == week && *l == lang)
                .map(|(_, _, n, t)| (*n, *t))
                .collect();
            let wrong: Vec<_> = WRONG
                .iter()
                .filter(|(w, l, _, _, _)| *l == lang && *w == week)
                .collect();
            texts.extend(wrong.iter().map(|(_, _, n, t, _)| (*n, *t)));
            let j = run(data.path(), week, lang, texts);
            for (_, _, needle, _) in CORRECT
                .iter()
                .filter(|(w, l, _, _)| *w == week && *l == lang)
            {
                let s = &thread(&j, needle)["summary"];
                assert_eq!(s["source"], "model", "{needle}: {s}");
                correct += 1;
                if s["grounding"]["verdict"] != "grounded" {
                    false_alarms += 1;
                    failures.push(format!("{week} {lang} {needle}: {}", s["grounding"]));
                }
            }
            for (_, _, needle, text, kind) in wrong {
                let s = &thread(&j, needle)["summary"];
                let v = s["grounding"]["verdict"].as_str().unwrap();
                let named = s["grounding"]["problems"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["kind"] == *kind);
                eprintln!("{kind}: {v} {}", s["grounding"]["problems"]);
                if ["flagged", "rejected"].contains(&v) && named {
                    caught += 1;
                } else {
                    failures.push(format!("{kind} not caught: {text}: {}", s["grounding"]));
                }
            }
        }
    }
    eprintln!(
        "correct: {correct}, false alarms: {false_alarms}; wrong: {caught}/{} caught",
        WRONG.len()
    );
    assert!(correct >= 12 && CORRECT.iter().any(|c| c.1 == "zh"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
