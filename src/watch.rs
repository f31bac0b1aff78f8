//! Watch lists (`[watch]` of the configuration): which threads of a digest
//! concern the people, files and words a reader follows, and why (pure).
//!
//! - `people`: a participant (window or history mails) whose name or address
//!   is the entry, by the identity rules of [`crate::analysis::people`] (the
//!   person's shown name and address, and the From names of their mails),
//!   compared case-insensitively with whitespace collapsed;
//! - `paths`: a file touched by a diff of the thread (diffstat or
//!   `diff --git` lines) that is the entry or lies under it;
//! - `keywords`: case-insensitively in a subject of the thread or in its
//!   cover letter (`[PATCH 0/N]`).

use serde::{Deserialize, Serialize};

use crate::digest::ThreadView;

/// What a reader follows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchList {
    #[serde(default)]
    pub people: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
}

impl WatchList {
    pub fn is_empty(&self) -> bool {
        self.people.is_empty() && self.paths.is_empty() && self.keywords.is_empty()
    }
}

/// A thread that matched, and every reason (`person: …`, `path: …`,
/// `keyword: …`), without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Watched {
    /// The thread id (as in the report's `threads`).
    pub id: String,
    pub why: Vec<String>,
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches('"')
        .to_lowercase()
}

/// Why `t` matches `w` (empty: it does not).
pub fn reasons(w: &WatchList, t: &ThreadView) -> Vec<String> {
    let mut why: Vec<String> = Vec::new();
    let mut add = |s: String| {
        if !why.contains(&s) {
            why.push(s);
        }
    };
    for p in &w.people {
        let want = norm(p);
        if want.is_empty() {
            continue;
        }
        let hit = t
            .participants
            .iter()
            .any(|q| norm(&q.name) == want || (!q.email.is_empty() && norm(&q.email) == want))
            || t.messages.iter().any(|m| {
                norm(&m.from_name) == want
                    || norm(&m.sender.name) == want
                    || (!m.from_addr.is_empty() && norm(&m.from_addr) == want)
            });
        if hit {
            add(format!("person: {p}"));
        }
    }
    for p in &w.paths {
        let dir = p.trim().trim_start_matches("./");
        if dir.is_empty() {
            continue;
        }
        for m in &t.messages {
            for f in &m.facts.diffstat {
                let under = if dir.ends_with('/') {
                    f.starts_with(dir)
                } else {
                    f == dir || f.starts_with(&format!("{dir}/"))
                };
                if under {
                    add(format!("path: {f}"));
                }
            }
        }
    }
    for k in &w.keywords {
        let want = k.trim().to_lowercase();
        if want.is_empty() {
            continue;
        }
        let in_subject = std::iter::once(t.subject.as_str())
            .chain(t.messages.iter().map(|m| m.subject.as_str()))
            .any(|s| s.to_lowercase().contains(&want));
        let in_cover = t.messages.iter().any(|m| {
            m.subject_info.part.is_some_and(|(n, _)| n == 0)
                && !m.subject_info.is_reply
                && m.body.to_lowercase().contains(&want)
        });
        if in_subject || in_cover {
            add(format!("keyword: {k}"));
        }
    }
    why
}

/// The threads of `threads` that match `w`, in their order.
pub fn matches(w: &WatchList, threads: &[ThreadView]) -> Vec<Watched> {
    if w.is_empty() {
        return Vec::new();
    }
    threads
        .iter()
        .filter_map(|t| {
            let why = reasons(w, t);
            (!why.is_empty()).then(|| Watched {
                id: t.id.clone(),
                why,
            })
        })
        .collect()
}
