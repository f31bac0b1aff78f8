//! What `--url` names: a public-inbox inbox, one of its epochs, or a local
//! inbox folder; and the epoch repositories `N.git` found in a folder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::EpochPath;
use super::{Error, Result};

/// Where the archive of a list comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// A public-inbox base URL (`https://lore.kernel.org/LIST`): epochs are
    /// found in `manifest.js.gz`, or by probing `URL/0`, `URL/1`, ….
    Inbox { url: String },
    /// One epoch repository (`https://…/LIST/0`, `file://…`, a path).
    Epoch { url: String, epoch: u32 },
    /// A local inbox folder with `git/N.git`, used in place.
    Local { path: PathBuf },
}

impl Source {
    /// Classify a `--url` value.
    pub fn parse(url: &str) -> Result<Source> {
        let url = url.trim();
        if url.is_empty() {
            return Err(Error::EmptyUrl);
        }
        if url.starts_with("http://") || url.starts_with("https://") {
            let trimmed = url.trim_end_matches('/');
            let last = trimmed.rsplit('/').next().unwrap_or("");
            if let Some(n) = epoch_number(last) {
                return Ok(Source::Epoch {
                    url: trimmed.to_string(),
                    epoch: n,
                });
            }
            return Ok(Source::Inbox {
                url: trimmed.to_string(),
            });
        }
        let path = PathBuf::from(url.strip_prefix("file://").unwrap_or(url));
        if path.join("git").is_dir() && !is_bare_repo(&path) {
            let path = path.canonicalize().map_err(|e| Error::io(&path, e))?;
            return Ok(Source::Local { path });
        }
        if is_bare_repo(&path) || path.join(".git").is_dir() {
            let path = path.canonicalize().map_err(|e| Error::io(&path, e))?;
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let epoch = epoch_number(name).unwrap_or(0);
            return Ok(Source::Epoch {
                url: format!("file://{}", path.display()),
                epoch,
            });
        }
        // A file:// URL or a path (absolute, ./, ../) that names nothing:
        // the source cannot be fetched, as a dead host cannot.
        let looks_like_path = url.starts_with("file://")
            || url.starts_with('/')
            || url.starts_with("./")
            || url.starts_with("../");
        if looks_like_path && !path.exists() {
            return Err(Error::MissingPath {
                url: url.to_string(),
            });
        }
        Err(Error::UnknownUrl {
            url: url.to_string(),
        })
    }

    /// The default source of a list: lore.kernel.org.
    pub fn lore(list: &str) -> Source {
        Source::Inbox {
            url: format!("https://lore.kernel.org/{list}"),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Source::Inbox { url } => url.clone(),
            Source::Epoch { url, epoch } => format!("{url} (epoch {epoch})"),
            Source::Local { path } => format!("{} (used in place)", path.display()),
        }
    }

    /// The source as `--url` takes it.
    pub fn url_arg(&self) -> String {
        match self {
            Source::Inbox { url } | Source::Epoch { url, .. } => url.clone(),
            Source::Local { path } => path.display().to_string(),
        }
    }
}

/// The epoch repositories `N.git` in a folder, by number.
pub(super) fn epochs_in(dir: &Path) -> Result<Vec<EpochPath>> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.ends_with(".git") {
            continue;
        }
        if let Some(n) = epoch_number(name)
            && is_bare_repo(&entry.path())
        {
            out.push(EpochPath {
                number: n,
                path: entry.path(),
            });
        }
    }
    out.sort_by_key(|e| e.number);
    Ok(out)
}

/// `0`, `12`, `3.git` -> epoch number.
pub(super) fn epoch_number(name: &str) -> Option<u32> {
    let n = name.strip_suffix(".git").unwrap_or(name);
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

pub(super) fn is_bare_repo(p: &Path) -> bool {
    p.join("HEAD").is_file() && p.join("objects").is_dir() && p.join("refs").is_dir()
}

/// What to do when a source is not a public-inbox archive.
pub(super) const URL_ADVICE: &str = "check --url: it takes a public-inbox inbox (https://lore.kernel.org/LIST), \
one of its epochs (…/LIST/0, file:///…/0.git) or a local inbox folder with git/N.git";

/// The folder of a `file://` URL or plain path that is a bare repository.
pub(super) fn local_path(url: &str) -> Option<PathBuf> {
    if url.starts_with("http://")
        || url.starts_with("https://")
        || url.contains("://") && !url.starts_with("file://")
    {
        return None;
    }
    let p = PathBuf::from(url.strip_prefix("file://").unwrap_or(url));
    is_bare_repo(&p).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_urls() {
        assert_eq!(
            Source::parse("https://lore.kernel.org/kvmarm").unwrap(),
            Source::Inbox {
                url: "https://lore.kernel.org/kvmarm".into()
            }
        );
        assert_eq!(
            Source::parse("https://lore.kernel.org/kvmarm/3.git/").unwrap(),
            Source::Epoch {
                url: "https://lore.kernel.org/kvmarm/3.git".into(),
                epoch: 3
            }
        );
        assert!(Source::parse("/nonexistent/path").is_err());
    }
}
