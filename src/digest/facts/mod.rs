//! The FACTS block of a thread: what the digest knows about it (kind,
//! series, review trailers, notices, people), written as English lines for a
//! model to read and for the grounding check to compare a summary with. It
//! lives with the digest, below both of them, so neither has to import the
//! other.

use crate::analysis::{TrailerKind, strip_controls};

use super::{GivenTrailer, ThreadView};

mod across;

/// Most participants listed in the facts.
const MAX_PEOPLE: usize = 25;

/// Make third-party text safe to put between the data markers.
pub fn neutralize(s: &str) -> String {
    let s = strip_controls(s);
    s.replace("<<<", "<< <").replace(">>>", "> >>")
}

pub fn where_label(in_window: bool) -> &'static str {
    if in_window { "WINDOW" } else { "HISTORY" }
}

/// Mail numbers as cited: `#3, #7`.
fn cite_list(numbers: &[usize]) -> String {
    numbers
        .iter()
        .map(|n| format!("#{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn trailer_lines(
    kind: TrailerKind,
    list: &[GivenTrailer],
    number_of: &dyn Fn(&str) -> Option<usize>,
    out: &mut Vec<String>,
) {
    // Group by person: "Reviewed-by: Bob (on 2/3, 3/3; WINDOW; #5, #6)";
    // trailers carried in the patches apart.
    #[allow(clippy::type_complexity)]
    let mut people: Vec<(String, Vec<String>, bool, bool, Vec<usize>, bool)> = Vec::new();
    for t in list {
        let who = if t.name.is_empty() {
            t.email.clone()
        } else {
            t.name.clone()
        };
        let info = crate::analysis::parse_subject(&t.patch);
        let what = match info.part {
            Some((n, m)) if n > 0 => format!("{n}/{m}"),
            Some((0, _)) => "series".to_string(),
            _ => {
                let title: String = info.title.chars().take(60).collect();
                format!("\"{title}\"")
            }
        };
        let n = number_of(&t.message_id);
        match people.iter_mut().find(|p| p.0 == who && p.5 == t.carried) {
            Some(p) => {
                if !p.1.contains(&what) {
                    p.1.push(what);
                }
                p.2 |= t.in_window;
                p.3 |= !t.in_window;
                if let Some(n) = n
                    && !p.4.contains(&n)
                {
                    p.4.push(n);
                }
            }
            None => people.push((
                who,
                vec![what],
                t.in_window,
                !t.in_window,
                n.into_iter().collect(),
                t.carried,
            )),
        }
    }
    for (who, what, win, hist, mut mails, carried) in people {
        let when = match (hist, win) {
            (true, true) => "HISTORY+WINDOW",
            (true, false) => "HISTORY",
            _ => "WINDOW",
        };
        mails.sort_unstable();
        let mails = if mails.is_empty() {
            String::new()
        } else {
            format!("; {}", cite_list(&mails))
        };
        let carried = if carried {
            "carried in the posted patch, given to an earlier version; "
        } else {
            ""
        };
        out.push(format!(
            "{}: {} ({carried}on {}; {}{mails})",
            kind.as_str(),
            neutralize(&who),
            neutralize(&what.join(", ")),
            when
        ));
    }
}

fn list_u32(v: &[u32]) -> String {
    if v.is_empty() {
        return "none".into();
    }
    // Ranges: 1-3, 5.
    let mut parts = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}-{}", v[i], v[j])
        } else {
            v[i].to_string()
        });
        i = j + 1;
    }
    parts.join(", ")
}

/// The facts list of a thread (English labels: it is data for the model).
pub fn facts(thread: &ThreadView) -> String {
    let mut out = vec!["FACTS".to_string()];
    out.push(format!("Subject: {}", neutralize(&thread.subject)));
    out.push(format!("Kind: {}", thread.kind.as_str()));
    let s = &thread.series.facts;
    if s.patch_mails > 0 {
        let mut line = format!("Series: version {}", s.version);
        if s.versions.len() > 1 {
            line.push_str(&format!(
                " (versions posted in this thread: {})",
                s.versions
                    .iter()
                    .map(|v| format!("v{v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some(total) = s.total {
            line.push_str(&format!(
                "; {total} patch{}",
                if total == 1 { "" } else { "es" }
            ));
        }
        if s.cover_letter {
            line.push_str(" + cover letter");
        }
        line.push_str(&format!("; arrived: {}", list_u32(&s.arrived)));
        if !s.missing.is_empty() {
            line.push_str(&format!("; missing: {}", list_u32(&s.missing)));
        }
        if s.rfc {
            line.push_str("; RFC");
        }
        if s.resend {
            line.push_str("; RESEND");
        }
        out.push(line);
    }
    if let Some(p) = &thread.series.previous_version {
        out.push(format!(
            "Previous version: v{} \"{}\" ({})",
            p.version,
            neutralize(&p.subject),
            p.date.get(..10).unwrap_or(&p.date)
        ));
    }
    if let Some(n) = &thread.series.superseded_by {
        out.push(format!(
            "Superseded by: v{} \"{}\" ({})",
            n.version,
            neutralize(&n.subject),
            n.date.get(..10).unwrap_or(&n.date)
        ));
    }
    let r = &thread.review;
    let index = mail_numbers(thread);
    let number_of = |mid: &str| index.get(mid).copied();
    let at = |mid: &str| {
        number_of(mid)
            .map(|n| format!(", #{n}"))
            .unwrap_or_default()
    };
    let mut lines = Vec::new();
    trailer_lines(
        TrailerKind::ReviewedBy,
        &r.reviewed_by,
        &number_of,
        &mut lines,
    );
    trailer_lines(TrailerKind::AckedBy, &r.acked_by, &number_of, &mut lines);
    trailer_lines(TrailerKind::TestedBy, &r.tested_by, &number_of, &mut lines);
    trailer_lines(
        TrailerKind::ReportedBy,
        &r.reported_by,
        &number_of,
        &mut lines,
    );
    out.extend(lines);
    out.extend(across::facts(thread, &number_of));
    for a in &r.applied {
        let target = a
            .target
            .as_deref()
            .map(|t| format!(" (target: {})", neutralize(t)))
            .unwrap_or_default();
        out.push(format!(
            "Applied notice by {} on {} ({}{}): \"{}\"{}",
            neutralize(&a.by),
            a.date.get(..10).unwrap_or(&a.date),
            where_label(a.in_window),
            at(&a.message_id),
            neutralize(&a.line.chars().take(160).collect::<String>()),
            target
        ));
    }
    for n in &r.naks {
        out.push(format!(
            "NAK by {} ({}{}): \"{}\"",
            neutralize(&n.by),
            where_label(n.in_window),
            at(&n.message_id),
            neutralize(&n.line.chars().take(160).collect::<String>())
        ));
    }
    if !r.bots.is_empty() {
        let b: Vec<String> = r.bots.iter().map(|(k, n)| format!("{k} x{n}")).collect();
        out.push(format!("Bot mails: {}", b.join(", ")));
    }
    if thread.root_missing {
        out.push("The first mail of the thread is not in the archive.".into());
    }
    out.push(format!(
        "Mails: {} HISTORY (before the window), {} WINDOW",
        thread.history_messages, thread.window_messages
    ));
    let mut people: Vec<String> = thread
        .participants
        .iter()
        .take(MAX_PEOPLE)
        .map(|p| {
            let name = if p.name.trim().is_empty() {
                p.email.clone()
            } else {
                p.name.clone()
            };
            let mut counts = Vec::new();
            if p.history > 0 {
                counts.push(format!("{} HISTORY", p.history));
            }
            if p.messages > 0 {
                counts.push(format!("{} WINDOW", p.messages));
            }
            let bot = if p.bot.is_some() { ", bot" } else { "" };
            format!("{} ({}{bot})", neutralize(&name), counts.join(", "))
        })
        .collect();
    if thread.participants.len() > MAX_PEOPLE {
        people.push(format!("+{} more", thread.participants.len() - MAX_PEOPLE));
    }
    out.push(format!("Participants: {}", people.join("; ")));
    out.join("\n")
}

/// The number of each mail of a thread, by Message-ID: 1-based, in the
/// thread's order (history first, then by date), the numbers of the
/// report's mail list and of citations (`[#3]`).
pub fn mail_numbers(thread: &ThreadView) -> std::collections::HashMap<&str, usize> {
    thread
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.message_id.as_str(), i + 1))
        .collect()
}
