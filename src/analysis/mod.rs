//! Analysis of threads: what a subject says ([`parse_subject`]), the kind of
//! a thread ([`KindRules`], default table `data/kinds.toml`), facts of a
//! mail body ([`body_text`], [`mail_facts`], [`is_bot`]) and of a patch
//! series ([`series_facts`], [`link_versions`], [`changelog::extract`],
//! earlier versions a cover letter links: [`version_refs::earlier_versions`]),
//! who sent a mail ([`people::identify`]: one identity per person), and
//! what each person did in a window ([`activity::count`]).
//!
//! Pure functions: no I/O besides parsing the bytes they are given.

pub mod activity;
mod body;
pub mod changelog;
mod kinds;
pub mod people;
mod series;
mod subject;
mod tree;
pub mod version_refs;

pub use body::{
    Applied, BotKind, MAX_BODY_BYTES, MailFacts, Trailer, TrailerKind, body_text, is_bot,
    is_diff_line, mail_facts, strip_controls,
};
pub use kinds::{DEFAULT_KINDS_TOML, Kind, KindRule, KindRuleSpec, KindRules, KindsError};
pub use series::{SeriesFacts, VersionedThread, link_versions, series_facts};
pub use subject::{SubjectInfo, parse_subject};
