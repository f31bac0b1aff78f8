//! Golden-style tests of what the model is asked and of the extractive
//! summaries, on the synthetic archive of `summarize_support`.
//!
//! Golden files live in `tests/summarize_golden/`; after a deliberate change
//! of the prompt or the condensing rules, regenerate them with
//! `UPDATE_GOLDEN=1 cargo test --test it summarize_prompt` and review the diff.

use crate::common;
use crate::summarize_support;

use std::path::PathBuf;

use lore_digest::grounding::{self, KnownPeople, Mode, ThreadMaterial, Verdict};
use lore_digest::summarize::prompt::{self, Budget, Step};
use lore_digest::summarize::{self, estimate_tokens};
use summarize_support::*;

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/summarize_golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if want != actual {
        panic!(
            "{name} differs from {} (UPDATE_GOLDEN=1 regenerates it)\n--- actual ---\n{actual}",
            path.display()
        );
    }
}

fn budget() -> Budget {
    Budget {
        num_ctx: 8192,
        num_predict: 800,
    }
}

#[test]
fn prompts_of_synthetic_threads() {
    let (_r, _d, _archive, digest) = synthetic_digest(standard_mails());
    for (needle, name) in [
        ("lazy widgets", "widget"),
        ("hang on WFI", "question"),
        ("subject only", "subject-only"),
    ] {
        let t = &digest.threads[thread_index(&digest, needle)];
        for lang in [lore_digest::lang::Lang::En, lore_digest::lang::Lang::Zh] {
            let input = prompt::thread_input(t);
            let plan = prompt::plan(&input, lang, budget());
            assert_eq!(plan.requests.len(), 1);
            let r = &plan.requests[0];
            assert_eq!(r.step, Step::Single);
            assert!(r.tokens <= budget().prompt_limit());
            let text = format!(
                "=== system ===\n{}\n=== user ===\n{}\n=== estimated tokens: {} ===\n",
                r.system, r.user, r.tokens
            );
            golden(&format!("{name}.{lang}.prompt.txt"), &text);
        }
    }

    // Structural checks, independent of the golden text.
    let t = &digest.threads[thread_index(&digest, "lazy widgets")];
    let input = prompt::thread_input(t);
    let user = &prompt::plan(&input, lore_digest::lang::Lang::En, budget()).requests[0].user;
    // History labelled and first, window after it.
    let h = user.find("#4 HISTORY").unwrap();
    let w = user.find("#5 WINDOW").unwrap();
    assert!(h < w);
    assert_eq!(user.matches(" HISTORY 2022-").count(), 4);
    assert_eq!(user.matches(" WINDOW 2022-").count(), 3);
    // Facts.
    for fact in [
        "Series: version 2; 2 patches + cover letter; arrived: 1-2",
        "Reviewed-by: Bob Reviewer (on series; WINDOW; #6)",
        "Applied notice by Marc Maintainer on 2022-03-09 (WINDOW, #7): \"Applied to kvmarm/next, thanks!\" (target: kvmarm/next)",
        "Participants: Alice Author (3 HISTORY, 1 WINDOW)",
    ] {
        assert!(user.contains(fact), "{fact}");
    }
    // Quotes, diffs, trailers and signatures gone.
    for gone in [
        "SECRET-QUOTED-TEXT",
        "wrote:",
        "widget_defer",
        "@@",
        "Signed-off-by",
        "SIGNATURE-TEXT",
        "2.35.1",
        "Alice Author (2):",
    ] {
        assert!(!user.contains(gone), "{gone}");
    }
    assert!(user.contains("[diff removed: 1 file: arch/arm64/kvm/mmu.c]"));
}

#[test]
fn prompt_mails_carry_the_numbers_of_the_report_mail_list() {
    let (_r, _d, _archive, digest) = synthetic_digest(standard_mails());
    let t = &digest.threads[thread_index(&digest, "lazy widgets")];
    let user = &prompt::plan(
        &prompt::thread_input(t),
        lore_digest::lang::Lang::En,
        budget(),
    )
    .requests[0]
        .user;
    // Mail k of the prompt is mail k of the report's list: the thread's
    // mails in time order, history first, 1-based.
    for (i, m) in t.messages.iter().enumerate() {
        let head = format!(
            "\n#{} {} ",
            i + 1,
            if m.in_window { "WINDOW" } else { "HISTORY" }
        );
        let at = user.find(&head).unwrap_or_else(|| panic!("{head:?}"));
        let line = user[at + 1..].lines().next().unwrap();
        assert!(
            line.ends_with(&format!("From: {}", m.from_name))
                || line.contains(&format!("From: {} (", m.from_name)),
            "{line}"
        );
        assert_eq!(prompt::mail_numbers(t)[m.message_id.as_str()], i + 1);
    }
    // Facts name the mails they come from, as the model is to cite them.
    let review = t
        .messages
        .iter()
        .position(|m| m.body.contains("Reviewed-by: Bob"))
        .unwrap()
        + 1;
    assert!(
        user.contains(&format!(
            "Reviewed-by: Bob Reviewer (on series; WINDOW; #{review})"
        )),
        "{user}"
    );
    for lang in [lore_digest::lang::Lang::En, lore_digest::lang::Lang::Zh] {
        let p = prompt::plan(&prompt::thread_input(t), lang, budget());
        assert!(p.requests[0].system.contains("[#3, #7]"), "{lang}");
        assert!(p.requests[0].user.contains("[#2, #5]"), "{lang}");
    }
}

#[test]
fn long_thread_prompts_respect_the_budget() {
    let mut mails = standard_mails();
    let root = "long0@x";
    let para = "This paragraph explains the locking order between the vgic and the its, and why the mutex must be taken before the spinlock on every path. ";
    for i in 0..30 {
        let (irt, refs): (Option<&str>, Vec<&str>) = if i == 0 {
            (None, vec![])
        } else {
            (Some(root), vec![root])
        };
        // 10 last week (history: before Monday 00:00), 20 this week.
        let when = T0 + (i - 15) * 7200;
        mails.push(common::mail(
            &format!("long{i}@x"),
            if i % 2 == 0 {
                "Alice Author <alice@example.org>"
            } else {
                "Oliver Reviewer <oliver@example.org>"
            },
            if i == 0 {
                "[PATCH] KVM: arm64: vgic LONGTHREAD locking"
            } else {
                "Re: [PATCH] KVM: arm64: vgic LONGTHREAD locking"
            },
            &common::rfc2822_date(when),
            irt,
            &refs,
            &format!("> quoted {i}\n\n{}", para.repeat(5)),
        ));
    }
    let (_r, _d, _a, digest) = synthetic_digest(mails);
    let t = &digest.threads[thread_index(&digest, "LONGTHREAD")];
    assert_eq!((t.history_messages, t.window_messages), (10, 20));
    let input = prompt::thread_input(t);
    let b = Budget {
        num_ctx: 4096,
        num_predict: 512,
    };
    let plan = prompt::plan(&input, lore_digest::lang::Lang::En, b);
    assert!(plan.is_split());
    let mut last_mail = 0;
    let mut saw_window = false;
    for (k, r) in plan.requests.iter().enumerate() {
        assert!(r.tokens <= b.prompt_limit(), "part {k}");
        assert!(
            estimate_tokens(&r.system) + estimate_tokens(&r.user) <= 4096 - 512,
            "part {k}"
        );
        assert!(
            r.user
                .contains("Subject: [PATCH] KVM: arm64: vgic LONGTHREAD locking")
        );
        // Mails in order across parts, history before window.
        for line in r.user.lines().filter(|l| l.starts_with('#')) {
            let n: usize = line[1..].split(' ').next().unwrap().parse().unwrap();
            assert!(n > last_mail, "{line}");
            last_mail = n;
            let history = line.contains(" HISTORY ");
            assert!(!(history && saw_window), "history after window: {line}");
            saw_window |= !history;
        }
        // Quotes removed, one line of context kept where answered.
        assert!(!r.user.contains("> quoted"), "quotes removed");
    }
    assert_eq!(last_mail, 30);
    let labels = plan.part_labels.join(" | ");
    assert!(plan.part_labels[0].contains("HISTORY"), "{labels}");
    assert!(
        plan.part_labels.last().unwrap().ends_with("WINDOW"),
        "{labels}"
    );
    golden(
        "longthread.en.part1.txt",
        &format!(
            "{}\n=== estimated tokens: {} ===\n",
            plan.requests[0].user, plan.requests[0].tokens
        ),
    );
}

#[test]
fn extractive_summaries() {
    let (_r, _d, _archive, digest) = synthetic_digest(standard_mails());
    let mut all = String::new();
    for (needle, name) in [
        ("lazy widgets", "widget"),
        ("hang on WFI", "question"),
        ("subject only", "subject-only"),
    ] {
        let t = &digest.threads[thread_index(&digest, needle)];
        for lang in [lore_digest::lang::Lang::En, lore_digest::lang::Lang::Zh] {
            let text = summarize::extractive(t, lang);
            assert!(!text.trim().is_empty());
            if lang == lore_digest::lang::Lang::Zh {
                assert!(text.starts_with("状态："), "{text}");
            } else {
                assert!(text.starts_with("Status: "), "{text}");
            }
            assert!(!text.contains('<') || text.contains("<asm"), "{text}");
            all.push_str(&format!("=== {name} {lang} ===\n{text}\n"));
        }
    }
    golden("extractive.txt", &all);

    // Extractive summaries cite the mails they quote and pass the
    // grounding check.
    let people = KnownPeople::from_names(
        digest
            .threads
            .iter()
            .flat_map(|t| t.participants.iter().map(|p| p.name.clone())),
    );
    for t in &digest.threads {
        let m = ThreadMaterial::of_thread(t);
        for lang in [lore_digest::lang::Lang::En, lore_digest::lang::Lang::Zh] {
            let text = summarize::extractive(t, lang);
            let c = grounding::check(&text, &m, &people, Mode::Strict);
            assert!(
                c.grounding.problems.is_empty(),
                "{text}\n{:?}",
                c.grounding.problems
            );
            assert_eq!(c.grounding.verdict, Verdict::Grounded);
            assert!(c.grounding.cited >= 1, "{text}");
        }
    }

    let widget = &digest.threads[thread_index(&digest, "lazy widgets")];
    let en = summarize::extractive(widget, lore_digest::lang::Lang::En);
    assert!(en.contains("Reviewed-by: Bob Reviewer"), "{en}");
    assert!(
        en.contains("applied to kvmarm/next by Marc Maintainer"),
        "{en}"
    );
    assert!(
        en.contains("Abstract: \"This series makes widgets lazy"),
        "{en}"
    );
    assert!(
        en.contains(
            "Earlier discussion: 4 mails before this window (Alice Author, Bob Reviewer) [#1, #4]."
        ),
        "{en}"
    );
    assert!(
        en.contains(
            "- Alice Author: \"The first access traps and sets it up; I will add a comment.\" [#5]"
        ),
        "{en}"
    );
    assert!(
        en.contains("- Marc Maintainer: \"Applied to kvmarm/next, thanks!\" [#7]"),
        "{en}"
    );
    assert!(
        !en.contains("SECRET-QUOTED-TEXT") && !en.contains("Changes since"),
        "{en}"
    );
    let zh = summarize::extractive(widget, lore_digest::lang::Lang::Zh);
    assert!(zh.contains("此前讨论：窗口之前有 4 封邮件"), "{zh}");
    assert!(
        zh.contains("本周期：\n- Alice Author：“The first access traps"),
        "{zh}"
    );

    // A thread with only a subject still says something.
    let only = &digest.threads[thread_index(&digest, "subject only")];
    let en = summarize::extractive(only, lore_digest::lang::Lang::En);
    assert!(en.contains("1 mail in this window"), "{en}");
    assert!(en.contains("Sam Subject"), "{en}");
}
