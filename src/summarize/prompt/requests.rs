//! The requests of a thread within a [`Budget`] ([`plan`]): the whole
//! thread in one request when it fits, else parts of consecutive mails
//! (each with the facts) whose notes are merged afterwards, in rounds when
//! the notes do not fit one merge ([`merge_round`]).

use super::{
    MailBlock, ThreadInput, cut_tokens, delimit, estimate_tokens, fill, neutralize, request_tokens,
    templates,
};
use crate::lang::Lang;

/// What one request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The whole thread.
    Single,
    /// Part `index` (1-based) of `count`.
    Part { index: usize, count: usize },
    /// Merge of part notes.
    Merge,
}

/// One chat request.
#[derive(Debug, Clone)]
pub struct Request {
    pub system: String,
    pub user: String,
    pub tokens: usize,
    pub step: Step,
}

/// The requests planned for a thread before any answer: one `Single`, or
/// the `Part`s (a merge follows once their notes are known).
#[derive(Debug, Clone)]
pub struct Plan {
    pub requests: Vec<Request>,
    /// Facts, for the merge.
    pub facts: String,
    /// Per part: label of its mails for the merge ("mails #1-#7, HISTORY").
    pub part_labels: Vec<String>,
}

impl Plan {
    pub fn is_split(&self) -> bool {
        self.requests.len() > 1
    }
}

/// Limits of one request.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub num_ctx: usize,
    pub num_predict: usize,
}

impl Budget {
    /// Prompt tokens allowed per request: the context minus the answer and
    /// a margin of 1/16 of the context (at least 64).
    pub fn prompt_limit(&self) -> usize {
        let margin = (self.num_ctx / 16).max(64);
        self.num_ctx
            .saturating_sub(self.num_predict)
            .saturating_sub(margin)
    }
}

fn data(facts: &str, label: &str, body: &str) -> String {
    delimit(&format!("{facts}\n\n{label}\n{body}"))
}

fn range_label(mails: &[&MailBlock]) -> String {
    let first = mails.first().map_or(0, |m| m.n);
    let last = mails.last().map_or(0, |m| m.n);
    let h = mails.iter().any(|m| m.history);
    let w = mails.iter().any(|m| !m.history);
    let kinds = match (h, w) {
        (true, true) => "HISTORY and WINDOW",
        (true, false) => "HISTORY",
        _ => "WINDOW",
    };
    if first == last {
        format!("mail #{first}, {kinds}")
    } else {
        format!("mails #{first}-#{last}, {kinds}")
    }
}

/// Plan the requests of a thread within `budget`.
pub fn plan(input: &ThreadInput, lang: Lang, budget: Budget) -> Plan {
    let t = templates(lang);
    let limit = budget.prompt_limit();
    let render_single = |mails: &str| {
        let user = fill(&t.single, &[("data", &data(&input.facts, "MAILS", mails))]);
        let tokens = request_tokens(&t.system, &user);
        (user, tokens)
    };
    let all: String = input
        .mails
        .iter()
        .map(|m| m.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let (user, tokens) = render_single(&all);
    if tokens <= limit {
        return Plan {
            requests: vec![Request {
                system: t.system.clone(),
                user,
                tokens,
                step: Step::Single,
            }],
            facts: input.facts.clone(),
            part_labels: Vec::new(),
        };
    }

    // Split by mails, in order (history first). Each part repeats the facts
    // (cut to a third of the limit when huge).
    let facts = cut_tokens(&input.facts, limit / 3);
    let shell = fill(
        &t.part,
        &[
            ("part", "00"),
            ("parts", "00"),
            ("range", "mails #0000-#0000, HISTORY and WINDOW"),
            ("data", &data(&facts, "MAILS", "")),
        ],
    );
    let fixed = request_tokens(&t.system, &shell);
    let room = limit.saturating_sub(fixed).max(64);
    let mut groups: Vec<Vec<MailBlock>> = Vec::new();
    let mut cur: Vec<MailBlock> = Vec::new();
    let mut used = 0;
    for m in &input.mails {
        let mut m = m.clone();
        if m.tokens + 1 > room {
            m.text = cut_tokens(&m.text, room.saturating_sub(1));
            m.tokens = estimate_tokens(&m.text);
        }
        if !cur.is_empty() && used + m.tokens + 1 > room {
            groups.push(std::mem::take(&mut cur));
            used = 0;
        }
        used += m.tokens + 1;
        cur.push(m);
    }
    if !cur.is_empty() {
        groups.push(cur);
    }
    if groups.len() == 1 {
        // Cutting long mails made it fit: one request after all.
        let body = groups[0]
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let user = fill(&t.single, &[("data", &data(&facts, "MAILS", &body))]);
        let tokens = request_tokens(&t.system, &user);
        if tokens <= limit {
            return Plan {
                requests: vec![Request {
                    system: t.system.clone(),
                    user,
                    tokens,
                    step: Step::Single,
                }],
                facts,
                part_labels: Vec::new(),
            };
        }
    }
    let count = groups.len();
    let mut requests = Vec::new();
    let mut part_labels = Vec::new();
    for (k, g) in groups.iter().enumerate() {
        let refs: Vec<&MailBlock> = g.iter().collect();
        let label = range_label(&refs);
        let body = g
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let user = fill(
            &t.part,
            &[
                ("part", &(k + 1).to_string()),
                ("parts", &count.to_string()),
                ("range", &label),
                ("data", &data(&facts, "MAILS", &body)),
            ],
        );
        let tokens = request_tokens(&t.system, &user);
        requests.push(Request {
            system: t.system.clone(),
            user,
            tokens,
            step: Step::Part {
                index: k + 1,
                count,
            },
        });
        part_labels.push(label);
    }
    Plan {
        requests,
        facts,
        part_labels,
    }
}

/// Merge requests for part notes `(label, notes)`: groups of consecutive
/// notes that fit the budget. One group means the final merge; several
/// mean an intermediate round whose answers are merged again.
pub fn merge_round(
    facts: &str,
    notes: &[(String, String)],
    lang: Lang,
    budget: Budget,
) -> Vec<(Request, Vec<usize>)> {
    let t = templates(lang);
    let limit = budget.prompt_limit();
    // Every note is cut so that any two of them fit one request.
    let shell = fill(&t.merge, &[("data", &data(facts, "PART NOTES", ""))]);
    let fixed = request_tokens(&t.system, &shell) + 2 * 16;
    let cap = (limit.saturating_sub(fixed) / 2).max(32);
    let notes: Vec<(String, String)> = notes
        .iter()
        .map(|(label, text)| (label.clone(), cut_tokens(&neutralize(text), cap)))
        .collect();
    let render = |idx: &[usize]| {
        let body = idx
            .iter()
            .map(|&i| format!("NOTES ON {}:\n{}", notes[i].0, notes[i].1))
            .collect::<Vec<_>>()
            .join("\n\n");
        let user = fill(&t.merge, &[("data", &data(facts, "PART NOTES", &body))]);
        let tokens = request_tokens(&t.system, &user);
        Request {
            system: t.system.clone(),
            user,
            tokens,
            step: Step::Merge,
        }
    };
    let all: Vec<usize> = (0..notes.len()).collect();
    let whole = render(&all);
    if whole.tokens <= limit || notes.len() <= 2 {
        return vec![(whole, all)];
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    for i in 0..notes.len() {
        let mut trial = cur.clone();
        trial.push(i);
        if cur.len() >= 2 && render(&trial).tokens > limit {
            groups.push(std::mem::take(&mut cur));
        }
        cur.push(i);
    }
    if !cur.is_empty() {
        // A last group of one joins the previous one.
        if cur.len() == 1
            && let Some(last) = groups.last_mut()
        {
            last.extend(cur);
        } else {
            groups.push(cur);
        }
    }
    groups.into_iter().map(|g| (render(&g), g)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(n: usize, words: usize, history: usize) -> ThreadInput {
        let mails = (0..n)
            .map(|i| {
                let text = format!(
                    "#{} {} 2022-03-0{} 10:00 UTC From: P{}\n{}\n",
                    i + 1,
                    if i < history { "HISTORY" } else { "WINDOW" },
                    1 + i % 9,
                    i % 3,
                    "word ".repeat(words)
                );
                MailBlock {
                    n: i + 1,
                    history: i < history,
                    tokens: estimate_tokens(&text),
                    text,
                }
            })
            .collect();
        ThreadInput {
            facts: "FACTS\nSubject: [PATCH] x\nMails: 3 HISTORY, 27 WINDOW".into(),
            mails,
        }
    }

    #[test]
    fn small_threads_are_one_request() {
        let b = Budget {
            num_ctx: 8192,
            num_predict: 800,
        };
        let p = plan(&input(5, 50, 2), crate::lang::Lang::En, b);
        assert!(!p.is_split());
        assert_eq!(p.requests[0].step, Step::Single);
        let u = &p.requests[0].user;
        assert!(u.contains("#1 HISTORY") && u.contains("#5 WINDOW"));
        assert!(u.find("FACTS").unwrap() < u.find("#1 HISTORY").unwrap());
        assert!(p.requests[0].tokens <= b.prompt_limit());
    }

    #[test]
    fn splitting_respects_the_budget() {
        for (ctx, predict, n, words, hist) in [
            (4096, 512, 30, 300, 3),
            (2048, 512, 12, 2000, 4), // mails larger than a part
            (8192, 800, 200, 100, 150),
        ] {
            let b = Budget {
                num_ctx: ctx,
                num_predict: predict,
            };
            let inp = input(n, words, hist);
            assert!(inp.tokens() > b.prompt_limit());
            let p = plan(&inp, crate::lang::Lang::Zh, b);
            assert!(
                p.is_split(),
                "{ctx}: {} requests, {} tokens, limit {}",
                p.requests.len(),
                p.requests[0].tokens,
                b.prompt_limit()
            );
            let count = p.requests.len();
            let mut seen = Vec::new();
            for (k, r) in p.requests.iter().enumerate() {
                assert!(
                    r.tokens <= b.prompt_limit(),
                    "{ctx}: part {k}: {} > {}",
                    r.tokens,
                    b.prompt_limit()
                );
                assert_eq!(r.tokens, request_tokens(&r.system, &r.user));
                assert_eq!(
                    r.step,
                    Step::Part {
                        index: k + 1,
                        count
                    }
                );
                assert!(
                    r.user
                        .contains(&format!("第 {} 部分，共 {count} 部分", k + 1))
                );
                assert!(r.user.contains("FACTS"), "every part has the facts");
                for i in 1..=n {
                    if r.user.contains(&format!("\n#{i} ")) {
                        seen.push(i);
                    }
                }
            }
            // Every mail once, in order (history first).
            assert_eq!(
                seen,
                (1..=n).collect::<Vec<_>>(),
                "{ctx}: {:?}",
                p.part_labels
            );
            assert_eq!(p.part_labels.len(), count);
            assert!(p.part_labels[0].contains("HISTORY"));
            assert!(p.part_labels[count - 1].ends_with("WINDOW"));

            // Merging the notes fits too, in rounds if needed.
            let notes: Vec<(String, String)> = p
                .part_labels
                .iter()
                .map(|l| (l.clone(), "note ".repeat(predict)))
                .collect();
            let round = merge_round(&p.facts, &notes, crate::lang::Lang::Zh, b);
            let covered: usize = round.iter().map(|(_, g)| g.len()).sum();
            assert_eq!(covered, count);
            for (r, g) in &round {
                assert!(r.tokens <= b.prompt_limit(), "{ctx}: merge {}", r.tokens);
                assert!(round.len() == 1 || g.len() >= 2);
                assert!(r.user.contains("NOTES ON "));
            }
        }
    }
}
