//! `lore-digest series`: the series of a window with their derived state
//! ([`digest::ledger`]), or the whole history of one series.

use std::path::PathBuf;

use super::WindowRequest;
use crate::analysis::KindRules;
use crate::digest::{self, ledger};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::storage::archive::Archive;

pub use ledger::{DEFAULT_STALE_DAYS, State};

/// What `series` does.
#[derive(Debug, Clone)]
pub struct SeriesPlan {
    pub data_dir: PathBuf,
    pub list: String,
    pub window: WindowRequest,
    /// One series: a Message-ID of any of its mails, or a lore URL of one.
    pub target: Option<String>,
    pub states: Vec<ledger::State>,
    pub who: Option<String>,
    pub json: bool,
    /// One series' history page in these formats, under `out/LIST/series/`.
    pub formats: Vec<crate::report::Format>,
    /// One series' mails as an mboxrd file here.
    pub mbox: Option<PathBuf>,
    pub out: PathBuf,
    pub link_base: String,
    pub kinds: KindRules,
    pub stale_days: i64,
}

/// The Message-ID in `target`: a bare id, `<id>`, or a lore URL
/// (`https://lore.kernel.org/LIST/ID/`, escaped as public-inbox does).
pub fn message_id_of(target: &str) -> String {
    let t = target.trim();
    let t = if t.contains("://") {
        let path = t.split("://").nth(1).unwrap_or(t);
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        parts
            .iter()
            .rev()
            .find(|p| p.contains('@') || p.contains("%40"))
            .copied()
            .unwrap_or_default()
            .to_string()
    } else {
        t.to_string()
    };
    percent_decode(t.trim_start_matches('<').trim_end_matches('>'))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(hex) = std::str::from_utf8(&b[i + 1..i + 3])
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Bring the stored series ledger ([`ledger::store`]) up to the index when
/// nobody else holds the list lock; say so when another run does (the
/// ledger stored is then used as it is). Returns what the update did, None
/// when it could not run.
pub fn keep_ledger(
    archive: &mut Archive,
    opts: &digest::Options,
    progress: &Progress,
) -> Result<Option<ledger::store::Updated>> {
    if ledger::store::is_current(archive, opts)? {
        return Ok(Some(ledger::store::Updated::Current));
    }
    let Some(_lock) = archive.try_lock()? else {
        progress.note(&format!(
            "{}: another run holds the list lock; the series ledger is shown as the last update left it",
            archive.list()
        ));
        return Ok(None);
    };
    Ok(Some(ledger::store::update(archive, opts, progress)?))
}

pub fn run(plan: &SeriesPlan, progress: &Progress) -> Result<i32> {
    let mut archive = Archive::open_for_reading(&plan.data_dir, &plan.list, progress)?;
    let Some((_, newest)) = archive.mail_span(plan.window.field, None)? else {
        return Err(Error::Usage(format!(
            "{}: the archive has no mail",
            plan.list
        )));
    };
    let opts = digest::Options {
        link_base: plan.link_base.clone(),
        kinds: plan.kinds.clone(),
        keep_bodies: false,
    };
    keep_ledger(&mut archive, &opts, progress)?;
    if let Some(target) = &plan.target {
        let mid = message_id_of(target);
        if archive.thread_ids_by_message_id(&mid)?.is_empty() {
            return Err(Error::Usage(format!("no mail <{mid}> in {}", plan.list)));
        }
        let Some(s) = ledger::store::of_message(&archive, &mid, newest, plan.stale_days)? else {
            return Err(Error::Usage(format!(
                "<{mid}> is not a mail of a patch series"
            )));
        };
        if let Some(path) = &plan.mbox {
            write_series_mbox(&archive, &opts, &s, path)?;
            if plan.formats.is_empty() && !plan.json {
                return Ok(0);
            }
        }
        if !plan.formats.is_empty() {
            write_page(plan, &s)?;
        } else if plan.json {
            crate::outln!("{}", serde_json::to_string_pretty(&s).expect("serializes"));
        } else {
            print_history(&s);
        }
        return Ok(0);
    }
    if !plan.formats.is_empty() || plan.mbox.is_some() {
        return Err(Error::Usage(
            "--format and --mbox write one series: give a Message-ID or lore URL of one of its mails".into(),
        ));
    }
    let asked = plan.window.resolve(&archive, crate::clock::now())?;
    let who = plan.who.as_deref().map(str::to_lowercase);
    let series: Vec<ledger::SeriesEntry> = ledger::store::in_window(
        &archive,
        asked.field,
        asked.start,
        asked.end,
        newest,
        plan.stale_days,
    )?
    .into_iter()
    .filter(|s| plan.states.is_empty() || plan.states.contains(&s.state))
    .filter(|s| {
        who.as_deref().is_none_or(|w| {
            s.author.to_lowercase().contains(w)
                || s.reviewers.iter().any(|r| r.to_lowercase().contains(w))
        })
    })
    .collect();
    if plan.json {
        let doc = serde_json::json!({ "series": series });
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("serializes")
        );
        return Ok(0);
    }
    crate::outln!(
        "{:<11} {:<10} {:>4} {:<10}  title",
        "state",
        "since",
        "ver",
        "last"
    );
    for s in &series {
        let title: String = s.title.chars().take(90).collect();
        crate::outln!(
            "{:<11} {:<10} {:>4} {:<10}  {}",
            s.state.as_str(),
            s.state_since.get(..10).unwrap_or(&s.state_since),
            format!("v{}", s.version),
            s.last_activity.get(..10).unwrap_or(&s.last_activity),
            title
        );
        crate::outln!("{:>40}  {}", "", s.url);
    }
    Ok(0)
}

/// Write every mail of every version of `s` (oldest version first, each
/// thread in thread order) as an mboxrd file at `path`.
fn write_series_mbox(
    archive: &Archive,
    opts: &digest::Options,
    s: &ledger::SeriesEntry,
    path: &std::path::Path,
) -> Result<()> {
    let tids = archive.ledger_thread_ids(std::slice::from_ref(&s.id))?;
    let d = ledger::store::digest_of_threads(archive, opts, &tids)?;
    let threads: Vec<digest::ThreadView> = s
        .threads
        .iter()
        .filter_map(|id| d.threads.iter().find(|t| &t.id == id).cloned())
        .collect();
    super::threads::write_mbox(archive, &threads, path)
}

/// Write the history page of `s` in `plan.formats` under
/// `OUT/LIST/series/`, all files at once and atomically; print their paths.
fn write_page(plan: &SeriesPlan, s: &ledger::SeriesEntry) -> Result<()> {
    use crate::report::{Format, series_page};
    let dir = plan.out.join(&plan.list).join("series");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let stem = series_page::file_stem(s);
    let files: Vec<(PathBuf, Vec<u8>)> = plan
        .formats
        .iter()
        .map(|f| {
            let body = match f {
                Format::Md => series_page::markdown(s),
                Format::Html => series_page::html(s, crate::lang::Lang::En),
                Format::Json => serde_json::to_string_pretty(s).expect("serializes") + "\n",
            };
            (dir.join(format!("{stem}.{}", f.ext())), body.into_bytes())
        })
        .collect();
    let refs: Vec<(&std::path::Path, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_path(), b.as_slice()))
        .collect();
    crate::fsutil::write_atomic_all(&refs)?;
    for (p, _) in &files {
        crate::outln!("{}", p.display());
    }
    Ok(())
}

fn print_history(s: &ledger::SeriesEntry) {
    crate::outln!("{} (v{}, {})", s.title, s.version, s.author);
    crate::outln!(
        "state: {} since {}; last activity {}",
        s.state.as_str(),
        s.state_since,
        s.last_activity
    );
    crate::outln!("{}", s.url);
    for v in &s.versions {
        crate::outln!(
            "  v{} {} ({} patches, {} replies) <{}>",
            v.version,
            v.date,
            v.patches,
            v.replies,
            v.message_id
        );
        for t in &v.trailers {
            crate::outln!(
                "    {:?} {}{} on {}",
                t.kind,
                t.who,
                if t.carried { " (carried)" } else { "" },
                t.patch
            );
        }
        if let Some(a) = &v.applied {
            crate::outln!("    applied by {} to {} on {}", a.who, a.target, a.date);
        }
    }
}
