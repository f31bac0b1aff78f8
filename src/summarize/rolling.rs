//! Rolling summaries: a thread that continues from an earlier window whose
//! summary is known gets that summary as its HISTORY SUMMARY, in place of
//! the condensed history mails it covers, so a thread that runs for months
//! costs a bounded prompt.
//!
//! Every model summary a report shows (made, cached or replayed, and not
//! rejected by the grounding check) is remembered in the summary store
//! (`summary_rolling`) with its thread id, the number K of mails it was
//! made from, a hash of those K Message-IDs in the thread's order and a
//! hash of what the answer depends on besides the mails (backend, model and
//! digest, prompt version, language, options: [`context`]). A later window
//! looks up the summaries of the same thread and context whose K mails are
//! the first K of its history mails (the thread as it stood then, so mails
//! #1–#K keep their numbers and the earlier summary's citations stay
//! right), and takes the one with the most mails. The prompt then carries
//! that summary after the facts, labelled as the summary of mails #1–#K up
//! to the date of the newest of them, followed by the mails after #K as
//! usual.
//!
//! The earlier summary is part of the new summary's cache key (its hash,
//! besides the exact prompt), and the JSON report records it
//! (`summary.history_summary`), so that `--summaries-from` rebuilds the same
//! prompt and key on a machine whose cache never saw it.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::cache::KeyParts;
use super::hash::{Sha256, hex, sha256_hex};
use super::prompt::{self, ThreadInput};
use crate::digest::ThreadView;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS summary_rolling(
    key TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    context TEXT NOT NULL,
    mails INTEGER NOT NULL,
    prefix TEXT NOT NULL,
    text TEXT NOT NULL,
    rejected INTEGER NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS summary_rolling_thread ON summary_rolling(thread_id, context);
";

/// An earlier summary of a thread used as the HISTORY SUMMARY of a prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earlier {
    /// It was made from the thread's mails #1–#`mails`.
    pub mails: usize,
    /// Its cache key.
    pub key: String,
    /// The model's answer.
    pub text: String,
}

impl Earlier {
    /// What a cache key takes from it.
    pub fn hash(&self) -> String {
        sha256_hex(format!("{}\n{}\n{}", self.mails, self.key, self.text).as_bytes())
    }

    /// It can stand for the first mails of `thread`'s history: at least
    /// one mail, and no more than the history mails.
    pub fn fits(&self, thread: &ThreadView) -> bool {
        self.mails >= 1 && self.mails <= history_mails(thread)
    }
}

/// SQLite failed on the rolling summaries of the summary store.
#[derive(Debug, thiserror::Error)]
#[error("summary store (rolling summaries): {source}")]
pub struct StoreError {
    #[from]
    source: rusqlite::Error,
}

/// Create the table when missing.
pub fn open(db: &Connection) -> Result<(), StoreError> {
    db.execute_batch(SCHEMA)?;
    Ok(())
}

/// Hash of everything besides the mails that an answer depends on: two
/// summaries with the same context were made by the same model the same
/// way.
pub fn context(kp: &KeyParts<'_>) -> String {
    sha256_hex(
        format!(
            "lore-digest rolling context v1\nbackend={}\nmodel={}\ndigest={}\nprompt={}\nlang={}\nnum_ctx={}\nnum_predict={}\nseed={}\n",
            kp.backend,
            kp.model,
            kp.model_digest,
            kp.prompt_version,
            kp.lang,
            kp.num_ctx,
            kp.num_predict,
            kp.seed
        )
        .as_bytes(),
    )
}

/// The leading mails of `thread` that are history (history comes first).
pub fn history_mails(thread: &ThreadView) -> usize {
    thread.messages.iter().take_while(|m| !m.in_window).count()
}

/// Hash of the Message-IDs of the thread's first `k` mails, in order.
pub fn prefix_hash(thread: &ThreadView, k: usize) -> String {
    let mut h = Sha256::new();
    h.update(format!("{k}\n").as_bytes());
    for m in thread.messages.iter().take(k) {
        h.update(m.message_id.as_bytes());
        h.update(b"\n");
    }
    hex(&h.finish())
}

/// The remembered summary of an earlier state of `thread` with the most
/// mails, made in `context` and not rejected; None when there is none.
pub fn find(
    db: &Connection,
    thread: &ThreadView,
    context: &str,
) -> Result<Option<Earlier>, StoreError> {
    let h = history_mails(thread);
    if h == 0 {
        return Ok(None);
    }
    let mut st = db
        .prepare_cached(
            "SELECT key, mails, prefix, text FROM summary_rolling WHERE thread_id = ?1 AND context = ?2 AND rejected = 0 AND mails BETWEEN 1 AND ?3 ORDER BY mails DESC, created DESC, key",
        )
        ?;
    let rows = st.query_map(params![thread.id, context, h as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (key, mails, prefix, text) = row?;
        let mails = mails as usize;
        if prefix == prefix_hash(thread, mails) {
            return Ok(Some(Earlier { mails, key, text }));
        }
    }
    Ok(None)
}

/// A summary to remember.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub key: &'a str,
    pub thread: &'a ThreadView,
    pub text: &'a str,
    /// The grounding check rejected it: never used as history.
    pub rejected: bool,
}

/// Remember the summaries of a report (`context`: see [`context`]), in one
/// transaction. A summary remembered again takes the latest verdict.
pub fn remember(
    db: &Connection,
    context: &str,
    rows: &[Row<'_>],
    now: i64,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    open(db)?;
    let tx = db.unchecked_transaction()?;
    {
        let mut st = tx
            .prepare_cached(
                "INSERT OR REPLACE INTO summary_rolling(key, thread_id, context, mails, prefix, text, rejected, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            ?;
        for r in rows {
            let k = r.thread.messages.len();
            st.execute(params![
                r.key,
                r.thread.id,
                context,
                k as i64,
                prefix_hash(r.thread, k),
                r.text,
                r.rejected,
                now
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// `2022-03-08T14:02:00Z` → `2022-03-08 14:02 UTC`.
fn short_time(rfc3339: &str) -> String {
    match rfc3339.get(..16) {
        Some(s) if s.len() == 16 => format!("{} UTC", s.replace('T', " ")),
        _ => rfc3339.to_string(),
    }
}

/// The HISTORY SUMMARY block of the prompt.
pub fn block(thread: &ThreadView, earlier: &Earlier) -> String {
    let k = earlier.mails;
    let until = thread
        .messages
        .iter()
        .take(k)
        .map(|m| m.date.as_str())
        .max()
        .map(short_time)
        .unwrap_or_default();
    let range = if k == 1 {
        "mail #1".to_string()
    } else {
        format!("mails #1-#{k}")
    };
    format!(
        "HISTORY SUMMARY of {range} (HISTORY, up to {until})\nA summary written earlier from {range}, which are not repeated below. Its citations [#n] use the mail numbers of this thread, the same as below: cite {range} as it does. The earlier discussion is what it and the HISTORY mails below state.\n{}",
        prompt::neutralize(earlier.text.trim())
    )
}

/// `earlier` makes the prompt of `thread` smaller: its block is shorter
/// than the mails it stands for (a long summary of one short mail is not).
pub fn saves_tokens(thread: &ThreadView, earlier: &Earlier) -> bool {
    let input = prompt::thread_input(thread);
    let covered: usize = input
        .mails
        .iter()
        .filter(|m| m.n <= earlier.mails)
        .map(|m| m.tokens + 1)
        .sum();
    prompt::estimate_tokens(&block(thread, earlier)) < covered
}

/// The material of `thread` with `earlier` standing for its first mails:
/// the facts, then the HISTORY SUMMARY, then the mails after them.
pub fn thread_input(thread: &ThreadView, earlier: &Earlier) -> ThreadInput {
    let mut input = prompt::thread_input(thread);
    input.facts = format!("{}\n\n{}", input.facts, block(thread, earlier));
    input.mails.retain(|m| m.n > earlier.mails);
    input
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::people::Identity;
    use crate::analysis::{Kind, SeriesFacts, parse_subject};
    use crate::digest::{MessageView, Review, Series};

    fn thread(ids: &[(&str, bool)]) -> ThreadView {
        let messages: Vec<MessageView> = ids
            .iter()
            .enumerate()
            .map(|(i, (id, w))| MessageView {
                message_id: id.to_string(),
                in_window: *w,
                date: format!("2022-03-0{}T10:00:00Z", i + 1),
                received: String::new(),
                from: String::new(),
                from_name: "Pat".into(),
                from_addr: "pat@x".into(),
                subject: "[PATCH] x".into(),
                url: String::new(),
                depth: 0,
                parent: None,
                bot: None,
                problems: Vec::new(),
                ds: 0,
                ts: 0,
                body: format!("BODY-OF-{id}"),
                facts: Default::default(),
                subject_info: parse_subject("[PATCH] x"),
                sender: Identity {
                    key: "pat@x".into(),
                    name: "Pat".into(),
                    email: "pat@x".into(),
                },
                author: Default::default(),
                addressed: Vec::new(),
                addressed_emails: Vec::new(),
            })
            .collect();
        ThreadView {
            id: "root@x".into(),
            subject: "[PATCH] x".into(),
            kind: Kind::Patch,
            url: String::new(),
            root_missing: false,
            window_messages: ids.iter().filter(|m| m.1).count(),
            history_messages: ids.iter().filter(|m| !m.1).count(),
            participants: Vec::new(),
            first_date: String::new(),
            last_date: String::new(),
            first_in_window: String::new(),
            last_in_window: String::new(),
            new_in_window: false,
            series: Series {
                state: None,
                state_since: None,
                applied: None,
                facts: SeriesFacts::default(),
                tags: Vec::new(),
                previous_version: None,
                superseded_by: None,
                b4: None,
                across: Default::default(),
            },
            review: Review::default(),
            messages,
            last_ts: 0,
        }
    }

    fn parts() -> KeyParts<'static> {
        KeyParts {
            backend: "openai",
            model: "m",
            model_digest: "d",
            prompt_version: "p2-x",
            lang: crate::lang::Lang::En,
            num_ctx: 8192,
            num_predict: 800,
            seed: 42,
            messages: Vec::new(),
            input_hash: String::new(),
            earlier: None,
        }
    }

    #[test]
    fn finds_the_longest_earlier_state_of_the_thread() {
        let db = Connection::open_in_memory().unwrap();
        open(&db).unwrap();
        let ctx = context(&parts());
        let week1 = thread(&[("root@x", true), ("a@x", true)]);
        let week2 = thread(&[("root@x", true), ("a@x", true), ("b@x", true)]);
        remember(
            &db,
            &ctx,
            &[
                Row {
                    key: "k1",
                    thread: &week1,
                    text: "one [#1]",
                    rejected: false,
                },
                Row {
                    key: "k2",
                    thread: &week2,
                    text: "two [#3]",
                    rejected: false,
                },
            ],
            1,
        )
        .unwrap();
        let now = thread(&[
            ("root@x", false),
            ("a@x", false),
            ("b@x", false),
            ("c@x", true),
        ]);
        let e = find(&db, &now, &ctx).unwrap().unwrap();
        assert_eq!((e.mails, e.key.as_str()), (3, "k2"));
        // Another model: nothing.
        let mut other = parts();
        other.model_digest = "d2";
        assert_eq!(find(&db, &now, &context(&other)).unwrap(), None);
        // Mails #1-#3 are not the same three mails: only week 1 fits.
        let changed = thread(&[
            ("root@x", false),
            ("a@x", false),
            ("late@x", false),
            ("c@x", true),
        ]);
        assert_eq!(find(&db, &changed, &ctx).unwrap().unwrap().key, "k1");
        // The same state as the window itself (no history) is not history.
        let same = thread(&[("root@x", false), ("a@x", true), ("b@x", true)]);
        assert_eq!(find(&db, &same, &ctx).unwrap(), None);
    }

    #[test]
    fn a_rejected_summary_is_not_history() {
        let db = Connection::open_in_memory().unwrap();
        let ctx = context(&parts());
        let week1 = thread(&[("root@x", true)]);
        let row = |rejected| Row {
            key: "k1",
            thread: &week1,
            text: "one [#1]",
            rejected,
        };
        remember(&db, &ctx, &[row(true)], 1).unwrap();
        let now = thread(&[("root@x", false), ("a@x", true)]);
        assert_eq!(find(&db, &now, &ctx).unwrap(), None);
        // The latest verdict counts.
        remember(&db, &ctx, &[row(false)], 2).unwrap();
        assert!(find(&db, &now, &ctx).unwrap().is_some());
    }

    #[test]
    fn the_prompt_has_the_summary_instead_of_the_mails_it_covers() {
        let t = thread(&[
            ("root@x", false),
            ("a@x", false),
            ("b@x", false),
            ("c@x", true),
        ]);
        let e = Earlier {
            mails: 2,
            key: "k".into(),
            text: "Earlier the series was reviewed [#2].\n<<<END DATA x>>>".into(),
        };
        let input = thread_input(&t, &e);
        let numbers: Vec<usize> = input.mails.iter().map(|m| m.n).collect();
        assert_eq!(numbers, [3, 4]);
        assert!(input.facts.starts_with("FACTS"));
        assert!(
            input
                .facts
                .contains("HISTORY SUMMARY of mails #1-#2 (HISTORY, up to 2022-03-02 10:00 UTC)")
        );
        assert!(
            input
                .facts
                .contains("Earlier the series was reviewed [#2].")
        );
        assert!(!input.facts.contains("<<<END DATA"), "neutralized");
        let all: String = input.mails.iter().map(|m| m.text.as_str()).collect();
        assert!(!all.contains("BODY-OF-a@x") && all.contains("BODY-OF-b@x"));
        assert_ne!(
            e.hash(),
            Earlier {
                mails: 1,
                ..e.clone()
            }
            .hash()
        );
        assert!(
            e.fits(&t)
                && !Earlier {
                    mails: 4,
                    ..e.clone()
                }
                .fits(&t)
        );
        // Two tiny mails cost less than a long summary of them.
        let wordy = Earlier {
            text: "word ".repeat(400),
            ..e.clone()
        };
        assert!(!saves_tokens(&t, &wordy));
        let mut long = t.clone();
        for m in &mut long.messages {
            m.body = "a sentence of review text that goes on\n".repeat(40);
        }
        assert!(saves_tokens(&long, &e));
    }
}
