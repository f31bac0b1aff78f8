//! The language of a report and of its summaries, decided once (from the
//! command line or the configuration) and carried as [`Lang`] down to every
//! stage, with the one table of translated labels ([`Labels`], [`Lang::labels`]).

mod en;
mod zh;

use serde::Serialize;

use crate::error::{Error, Result};

/// The language of a report (and of its summaries).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Chinese, as the report that started the project.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The short tag written in keys, file names and JSON: `zh` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The configuration's `lang` (`zh`, `en`, or a tag such as `zh-CN`).
    pub fn parse(s: &str) -> Result<Lang> {
        match s.trim().to_ascii_lowercase().get(..2) {
            Some("zh") => Ok(Lang::Zh),
            Some("en") => Ok(Lang::En),
            _ => Err(Error::Usage(format!("lang {s:?}: zh or en"))),
        }
    }

    /// Every fixed text of a report in this language.
    pub fn labels(self) -> &'static Labels {
        match self {
            Lang::Zh => &zh::ZH,
            Lang::En => &en::EN,
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A counted word: singular and plural ("1 mail", "2 mails"). Chinese has
/// one form for both.
pub struct Counted {
    pub one: &'static str,
    pub many: &'static str,
}

impl Counted {
    /// `n` and the word in the right number ("1 mail", "0 mails", "3 封邮件").
    pub fn of(&self, n: usize) -> String {
        format!("{n} {}", self.word(n))
    }
}

/// Every fixed text of a report.
pub struct Labels {
    pub title: &'static str,
    pub list: &'static str,
    pub window: &'static str,
    pub by_received: &'static str,
    pub by_date: &'static str,
    pub generated: &'static str,
    pub summaries: &'static str,
    pub overview: &'static str,
    pub mails_in_window: &'static str,
    /// "{n} earlier mails shown as history", by number.
    pub history_context: Counted,
    pub threads: &'static str,
    pub new_threads: &'static str,
    pub big_threads: &'static str,
    pub participants: &'static str,
    pub by_kind: &'static str,
    pub kind: &'static str,
    pub mails: &'static str,
    /// Mails counted ("3 mails").
    pub n_mails: Counted,
    pub contents: &'static str,
    /// Threads counted ("1 thread").
    pub n_threads: Counted,
    pub window_mails: &'static str,
    pub history_mails: &'static str,
    pub period: &'static str,
    pub status: &'static str,
    pub version: &'static str,
    /// "3/5 patches arrived", by the number arrived.
    pub patches_arrived: Counted,
    pub missing: &'static str,
    pub cover_letter: &'static str,
    pub rfc: &'static str,
    pub resend: &'static str,
    pub previous_version: &'static str,
    pub superseded_by: &'static str,
    pub applied: &'static str,
    pub nak: &'static str,
    pub bots: &'static str,
    pub root_missing: &'static str,
    pub summary: &'static str,
    pub summary_source_model: &'static str,
    pub summary_source_extractive: &'static str,
    pub summary_unavailable: &'static str,
    pub messages: &'static str,
    pub history_tag: &'static str,
    pub from: &'static str,
    pub quality: &'static str,
    pub quality_none: &'static str,
    pub q_no_mid: &'static str,
    pub q_undecodable: &'static str,
    pub q_date_skew: &'static str,
    pub q_reused: &'static str,
    pub q_unreadable: &'static str,
    pub reproduce: &'static str,
    pub commits: &'static str,
    pub no_threads: &'static str,
    pub reports_index: &'static str,
    pub back_to_top: &'static str,
    pub extractive_backend: &'static str,
    /// Before the model the server reported, where it differs from the one
    /// asked for.
    pub answered: &'static str,
    /// The window reaches past the newest mail; `{newest}` is its time.
    pub stale: &'static str,
    /// Header line of the grounding check and its verdicts.
    pub grounding: &'static str,
    pub grounded: &'static str,
    pub flagged: &'static str,
    pub rejected: &'static str,
    /// Heading of a rejected model summary replaced by the extractive one.
    pub summary_rejected: &'static str,
    /// Notice under it; `{problems}` lists what was wrong.
    pub rejected_notice: &'static str,
    /// Mark after a flagged statement; `{problems}` says why.
    pub unverified: &'static str,
    /// Problem kinds: citation, name, version, identifier, expansion, uncited.
    pub problem_kinds: [&'static str; 10],
    /// A trailer written in the posted patch (given to an earlier
    /// version); `{version}` is the previous version.
    pub carried_from: &'static str,
    /// Patch numbers of one series, `{list}` ("1, 7, 12–15") of `{total}`.
    pub patches_of: &'static str,
    /// The same when the previous version is not in the archive.
    pub carried: &'static str,
    /// Heading of a changelog; `{version}` is the version.
    pub changes_in: &'static str,
    /// Where a changelog was written: the cover letter, a patch's notes
    /// (`{part}` is `2/5`), the notes of a patch without a number.
    pub changelog_cover: &'static str,
    pub patch_notes: &'static str,
    pub changelog_notes: &'static str,
    /// Heading of the replies to the previous version `{version}`.
    pub previous_review: &'static str,
    /// Items not shown: `{n}`.
    pub n_more: &'static str,
    /// The `lang` attribute of an HTML page.
    pub html_lang: &'static str,
    /// Heading of the highlights section.
    pub highlights: &'static str,
    /// Heading of the watched threads, and the line when none matches.
    pub watched: &'static str,
    pub watched_none: &'static str,
    /// After a report of the watched threads in the index page.
    pub watched_mark: &'static str,
    /// The index page's link to the Atom feed.
    pub atom_feed: &'static str,
    /// A thread's line with its series' state in the ledger.
    pub series_state: &'static str,
    /// A thread's line with the version of its series that was applied,
    /// who applied it, where and when.
    pub series_applied: &'static str,
    /// "since" before the date a series state was reached.
    pub since: &'static str,
    /// The heading of the series waiting for review.
    pub awaiting_review: &'static str,
    /// The line under that heading when no series waits.
    pub awaiting_none: &'static str,
    /// How long a series has waited ("3 days", "3 天").
    pub n_days: Counted,
}

impl Counted {
    /// The word alone, in the right number for `n`.
    pub fn word(&self, n: usize) -> &'static str {
        if n == 1 { self.one } else { self.many }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_counts_are_singular_for_one() {
        let en = Lang::En.labels();
        assert_eq!(en.n_mails.of(1), "1 mail");
        assert_eq!(en.n_mails.of(0), "0 mails");
        assert_eq!(en.n_threads.of(1), "1 thread");
        assert_eq!(en.n_threads.of(2), "2 threads");
        assert_eq!(en.patches_arrived.word(1), "patch arrived");
        assert_eq!(Lang::Zh.labels().n_mails.of(1), "1 封邮件");
    }

    #[test]
    fn lang_parses_tags_and_serializes_short() {
        assert_eq!(Lang::parse("zh-CN").unwrap(), Lang::Zh);
        assert_eq!(Lang::parse(" EN_us").unwrap(), Lang::En);
        assert!(Lang::parse("fr").is_err());
        assert_eq!(serde_json::to_string(&Lang::Zh).unwrap(), "\"zh\"");
        assert_eq!(serde_json::to_string(&Lang::En).unwrap(), "\"en\"");
    }
}
