//! Prompt size on the real corpus: the estimated tokens our prompts send
//! for week 2022-W10 of kvmarm, against the naive prompt (every mail of
//! every shown thread in full). Skipped when `../shared/corpora` is absent.
//!
//! `cargo test --test it summarize_measure -- --nocapture` prints the table.
//! `LORE_DIGEST_MEASURE_DATA=DIR` uses an existing data dir (synced list
//! `kvmarm`) instead of syncing the corpus into a temporary one;
//! `LORE_DIGEST_MEASURE_WEEK=2022-W11` measures another week;
//! `LORE_DIGEST_MEASURE_DUMP=DIR` writes every request to `DIR/N.LANG.K.txt`.

use crate::common;
use crate::summarize_support;

use lore_digest::summarize::prompt::{self, Budget};
use lore_digest::summarize::{Settings, estimate_tokens};
use summarize_support::digest_of;

#[test]
fn prompt_tokens_against_naive_prompts() {
    let Some(tmp) = common::synced_corpus() else {
        return;
    };
    let data = match std::env::var_os("LORE_DIGEST_MEASURE_DATA") {
        Some(d) => std::path::PathBuf::from(d),
        None => tmp.path().to_path_buf(),
    };
    let week = std::env::var("LORE_DIGEST_MEASURE_WEEK").unwrap_or_else(|_| "2022-W10".into());
    let (y, w) = week.split_once("-W").unwrap();
    let (_archive, digest) = digest_of(&data, "kvmarm", y.parse().unwrap(), w.parse().unwrap());
    assert!(!digest.threads.is_empty());

    let s = Settings::defaults(lore_digest::lang::Lang::Zh);
    let budget = Budget {
        num_ctx: s.num_ctx as usize,
        num_predict: s.num_predict as usize,
    };
    println!(
        "kvmarm {week}: {} threads, {} window mails, {} history mails; num_ctx {}, num_predict {}",
        digest.threads.len(),
        digest.totals.messages,
        digest.totals.history_messages,
        budget.num_ctx,
        budget.num_predict
    );
    println!(
        "{:>4} {:>4} {:>8} {:>8} {:>8} {:>5}  subject",
        "hist", "win", "naive", "zh", "en", "reqs"
    );
    let dump = std::env::var_os("LORE_DIGEST_MEASURE_DUMP").map(std::path::PathBuf::from);
    let (mut naive_total, mut zh_total, mut en_total, mut requests, mut split) = (0, 0, 0, 0, 0);
    for (n, t) in digest.threads.iter().enumerate() {
        let naive = prompt::naive_tokens(t);
        if let Some(dir) = &dump {
            std::fs::create_dir_all(dir).unwrap();
            let text: String = t
                .messages
                .iter()
                .map(|m| {
                    format!(
                        "From: {}\nDate: {}\nSubject: {}\n\n{}\n",
                        m.from, m.date, m.subject, m.body
                    )
                })
                .collect();
            std::fs::write(dir.join(format!("{n:02}.naive.txt")), text).unwrap();
        }
        let input = prompt::thread_input(t);
        let mut per_lang = Vec::new();
        let mut reqs = 0;
        for lang in [lore_digest::lang::Lang::Zh, lore_digest::lang::Lang::En] {
            let plan = prompt::plan(&input, lang, budget);
            let mut tokens: usize = plan.requests.iter().map(|r| r.tokens).sum();
            for (k, r) in plan.requests.iter().enumerate() {
                assert!(r.tokens <= budget.prompt_limit(), "{}", t.subject);
                if let Some(dir) = &dump {
                    std::fs::create_dir_all(dir).unwrap();
                    let text = format!("{}\n\n{}\n", r.system, r.user);
                    std::fs::write(dir.join(format!("{n:02}.{lang}.{k}.txt")), text).unwrap();
                }
            }
            reqs = plan.requests.len();
            if plan.is_split() {
                // The merge, with notes as long as the part template asks
                // for (about 150 words / 250 characters each).
                let notes: Vec<(String, String)> = plan
                    .part_labels
                    .iter()
                    .map(|l| (l.clone(), "note ".repeat(150)))
                    .collect();
                for (r, _) in prompt::merge_round(&plan.facts, &notes, lang, budget) {
                    tokens += r.tokens;
                    reqs += 1;
                }
            }
            per_lang.push(tokens);
        }
        if reqs > 1 {
            split += 1;
        }
        requests += reqs;
        naive_total += naive;
        zh_total += per_lang[0];
        en_total += per_lang[1];
        let subject: String = t.subject.chars().take(70).collect();
        println!(
            "{:>4} {:>4} {:>8} {:>8} {:>8} {:>5}  {subject}",
            t.history_messages, t.window_messages, naive, per_lang[0], per_lang[1], reqs
        );
    }
    println!(
        "total: naive {naive_total} tokens; ours zh {zh_total} ({:.1}%), en {en_total} ({:.1}%); {requests} requests, {split} threads split",
        100.0 * zh_total as f64 / naive_total as f64,
        100.0 * en_total as f64 / naive_total as f64,
    );
    // The system prompts alone, for reference.
    println!(
        "system prompt: zh {} tokens, en {} tokens",
        estimate_tokens(&prompt::templates(lore_digest::lang::Lang::Zh).system),
        estimate_tokens(&prompt::templates(lore_digest::lang::Lang::En).system)
    );
    assert!(en_total < naive_total, "condensing must shrink the input");
}
