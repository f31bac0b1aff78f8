//! Configuration: `lore-digest.toml`. Every setting also has a command-line
//! option, which wins. Looked up at `--config FILE`, else `./lore-digest.toml`,
//! else `$XDG_CONFIG_HOME/lore-digest/lore-digest.toml` (or
//! `~/.config/lore-digest/lore-digest.toml`); none is needed.
//!
//! ```toml
//! [defaults]
//! list = "kvmarm"          # LIST when a command is given none
//! data_dir = "/srv/lore"   # --data-dir
//! lang = "zh"              # report language: zh | en
//! tz = "Asia/Shanghai"     # time zone of windows and times
//! out = "reports"          # report folder
//! formats = ["md", "html"]
//!
//! [lists.kvmarm]
//! url = "https://lore.kernel.org/kvmarm"        # sync source
//! link_base = "https://lore.kernel.org/kvmarm/" # message links in reports
//!
//! # Optional: threads to show first, in a "Watched" section (see `watch`).
//! [watch]
//! people = ["Marc Zyngier"]
//! paths = ["arch/arm64/kvm/vgic/"]
//! keywords = ["pKVM"]
//!
//! # Optional: acronyms and accepted expansions added to data/glossary.toml
//! # (for the grounding check of summaries).
//! [glossary]
//! GICv3 = ["Generic Interrupt Controller version 3"]
//!
//! # Optional: replaces the table of thread kinds (format of data/kinds.toml).
//! [[kinds.rule]]
//! kind = "git-pull"
//! pull = true
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::analysis::{KindRules, KindsError};
use crate::error::{Exit, ExitStatus, IoError};
use crate::grounding::Glossary;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A configuration file that cannot be read or used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{path}: {source}")]
    Invalid {
        path: PathBuf,
        #[source]
        source: Invalid,
    },
}

impl ExitStatus for Error {
    fn exit(&self) -> Exit {
        match self {
            Error::Io(_) => Exit::Failure,
            Error::Invalid { .. } => Exit::Usage,
        }
    }
}

/// What is wrong in a configuration's text.
#[derive(Debug, thiserror::Error)]
pub enum Invalid {
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    #[error("[kinds]: {0}")]
    KindsToml(#[source] toml::ser::Error),
    #[error("[kinds]: {0}")]
    Kinds(#[source] KindsError),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub list: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub lang: Option<String>,
    pub tz: Option<String>,
    pub out: Option<PathBuf>,
    pub formats: Option<Vec<String>>,
    pub backend: Option<String>,
    pub model: Option<String>,
    /// One server or several (`"http://a:11434"` or `["http://a", "http://b"]`).
    pub ollama_url: Option<UrlList>,
    pub llm_url: Option<UrlList>,
    pub jobs: Option<usize>,
    pub num_ctx: Option<u32>,
    pub timeout_secs: Option<u64>,
    /// `mark`, `strict` or `off` (see `report --grounding`).
    pub grounding: Option<String>,
    /// Rolling summaries (default true; see `report --no-rolling`).
    pub rolling: Option<bool>,
    /// Days without a mail after which a series is stale (default 30).
    pub stale_days: Option<i64>,
    /// Days without a reply after which a series awaits review (default 7).
    pub awaiting_days: Option<i64>,
}

/// A server address or a list of them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum UrlList {
    One(String),
    Many(Vec<String>),
}

impl UrlList {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            UrlList::One(u) => vec![u.clone()],
            UrlList::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListConfig {
    pub url: Option<String>,
    pub link_base: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    lists: BTreeMap<String, ListConfig>,
    kinds: Option<toml::Value>,
    watch: Option<crate::watch::WatchList>,
    /// Acronym → accepted expansions, added to the shipped glossary.
    glossary: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub defaults: Defaults,
    pub lists: BTreeMap<String, ListConfig>,
    pub kinds: KindRules,
    /// The shipped acronym glossary with the file's `[glossary]` added.
    pub glossary: Glossary,
    /// `[watch]`, when the file has one.
    pub watch: Option<crate::watch::WatchList>,
    /// The file read, if any.
    pub path: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            defaults: Defaults::default(),
            lists: BTreeMap::new(),
            kinds: KindRules::builtin().clone(),
            glossary: Glossary::builtin().clone(),
            watch: None,
            path: None,
        }
    }
}

impl Config {
    /// Load the configuration: `explicit` must exist; otherwise the usual
    /// places are tried and a missing file means built-in defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        if let Some(p) = explicit {
            return Self::from_file(p);
        }
        let mut candidates = vec![PathBuf::from("lore-digest.toml")];
        if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
            candidates.push(PathBuf::from(x).join("lore-digest/lore-digest.toml"));
        } else if let Some(h) = std::env::var_os("HOME") {
            candidates.push(PathBuf::from(h).join(".config/lore-digest/lore-digest.toml"));
        }
        for c in candidates {
            if c.is_file() {
                return Self::from_file(&c);
            }
        }
        Ok(Config::default())
    }

    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| IoError::new(path, e))?;
        let mut c = Self::parse(&text).map_err(|source| Error::Invalid {
            path: path.to_path_buf(),
            source,
        })?;
        c.path = Some(path.to_path_buf());
        Ok(c)
    }

    pub fn parse(text: &str) -> std::result::Result<Config, Invalid> {
        let f: File = toml::from_str(text)?;
        let kinds = match f.kinds {
            None => KindRules::builtin().clone(),
            Some(v) => {
                let text = toml::to_string(&v).map_err(Invalid::KindsToml)?;
                KindRules::from_toml(&text).map_err(Invalid::Kinds)?
            }
        };
        let mut glossary = Glossary::builtin().clone();
        if let Some(g) = f.glossary {
            glossary.extend(g.into_iter().collect());
        }
        Ok(Config {
            defaults: f.defaults,
            lists: f.lists,
            kinds,
            glossary,
            watch: f.watch,
            path: None,
        })
    }

    pub fn list(&self, name: &str) -> ListConfig {
        self.lists.get(name).cloned().unwrap_or_default()
    }

    /// Base of message links for a list.
    pub fn link_base(&self, list: &str) -> String {
        let mut b = self
            .list(list)
            .link_base
            .unwrap_or_else(|| format!("https://lore.kernel.org/{list}/"));
        if !b.ends_with('/') {
            b.push('/');
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Kind;

    #[test]
    fn glossary_section_adds_to_the_shipped_glossary() {
        use crate::grounding::glossary::Judgement;
        let c =
            Config::parse("[glossary]\nFWB = ['Firmware Workaround']\nZZQ = ['Zig Zag Queue']\n")
                .unwrap();
        assert_eq!(
            c.glossary.judge("FWB", "Firmware Workaround"),
            Judgement::Accepted
        );
        assert_eq!(
            c.glossary.judge("fwb", "Forced Write-Back"),
            Judgement::Accepted
        );
        assert_eq!(
            c.glossary.judge("ZZQ", "zig-zag queues"),
            Judgement::Accepted
        );
        assert_eq!(c.glossary.judge("ZZQ", "Other"), Judgement::Contradicts);
        let d = Config::parse("").unwrap();
        assert_eq!(
            d.glossary.judge("FWB", "Firmware Workaround"),
            Judgement::Contradicts
        );
        assert!(Config::parse("[glossary]\nFWB = 'not a list'").is_err());
        // The example in docs/configuration.md is a valid configuration.
        let doc = include_str!("../docs/configuration.md");
        let example = doc
            .split("```toml\n")
            .nth(1)
            .unwrap()
            .split("```")
            .next()
            .unwrap();
        let c = Config::parse(example).unwrap();
        assert_eq!(
            c.glossary.judge("GICv3", "Generic Interrupt Controller v3"),
            Judgement::Contradicts
        );
        assert_eq!(
            c.glossary
                .judge("GICv3", "Generic Interrupt Controller version 3"),
            Judgement::Accepted
        );
    }

    #[test]
    fn empty_config_gives_builtin_defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.link_base("kvmarm"), "https://lore.kernel.org/kvmarm/");
        assert_eq!(
            c.kinds.classify_subject("[GIT PULL] KVM/arm64 fixes"),
            Kind::GitPull
        );
    }

    #[test]
    fn lists_and_kind_rules_are_read() {
        let c = Config::parse(
            r#"
            [defaults]
            lang = "en"
            [lists.kvmarm]
            link_base = "https://example.org/k"
            [[kinds.rule]]
            kind = "question"
            any_tags = ["PATCH"]
            "#,
        )
        .unwrap();
        assert_eq!(c.defaults.lang.as_deref(), Some("en"));
        assert_eq!(c.link_base("kvmarm"), "https://example.org/k/");
        assert_eq!(c.kinds.classify_subject("[PATCH] x"), Kind::Question);
    }

    #[test]
    fn server_urls_are_one_or_a_list() {
        let c = Config::parse(
            "[defaults]\nllm_url = \"http://a:8080/v1\"\nollama_url = [\"http://a\", \"http://b\"]",
        )
        .unwrap();
        assert_eq!(c.defaults.llm_url.unwrap().to_vec(), ["http://a:8080/v1"]);
        assert_eq!(
            c.defaults.ollama_url.unwrap().to_vec(),
            ["http://a", "http://b"]
        );
        assert!(Config::parse("[defaults]\nllm_url = 8080").is_err());
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(Config::parse("[defaults]\nlnag = 'en'").is_err());
        assert!(Config::parse("[[kinds.rule]]\nkind = 'nonsense'").is_err());
    }
}
