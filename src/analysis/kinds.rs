//! Kinds of threads (PATCH, RFC, GIT PULL, …) from an ordered rule table.
//! The default table is `data/kinds.toml`; a user's table in the same format
//! replaces it ([`KindRules::from_toml`]).

use crate::lang::Lang;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::subject::{SubjectInfo, parse_subject};

/// What a thread is about, as decided from its first mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Patch,
    Rfc,
    GitPull,
    Stable,
    KvmUnitTests,
    Kvmtool,
    Question,
    Other,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 8] = [
        Kind::Patch,
        Kind::Rfc,
        Kind::GitPull,
        Kind::Stable,
        Kind::KvmUnitTests,
        Kind::Kvmtool,
        Kind::Question,
        Kind::Other,
    ];

    /// Stable id, as used in JSON and in the rule table.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Patch => "patch",
            Kind::Rfc => "rfc",
            Kind::GitPull => "git-pull",
            Kind::Stable => "stable",
            Kind::KvmUnitTests => "kvm-unit-tests",
            Kind::Kvmtool => "kvmtool",
            Kind::Question => "question",
            Kind::Other => "other",
        }
    }

    /// Whether a thread of this kind asks the list for review (a patch, an
    /// RFC, a kvm-unit-tests or kvmtool patch), unlike a stable backport
    /// (AUTOSEL, a stable review cycle), a pull request, a question.
    pub fn asks_for_review(self) -> bool {
        matches!(
            self,
            Kind::Patch | Kind::Rfc | Kind::KvmUnitTests | Kind::Kvmtool
        )
    }

    /// Heading for reports. `lang` "zh…" gives Chinese, anything else English.
    pub fn label(self, lang: Lang) -> &'static str {
        let zh = lang == Lang::Zh;
        match (self, zh) {
            (Kind::Patch, true) => "补丁",
            (Kind::Patch, false) => "PATCH",
            (Kind::Rfc, _) => "RFC",
            (Kind::GitPull, true) => "合并请求 (GIT PULL)",
            (Kind::GitPull, false) => "GIT PULL",
            (Kind::Stable, true) => "稳定版/回合",
            (Kind::Stable, false) => "Stable/backport",
            (Kind::KvmUnitTests, _) => "kvm-unit-tests",
            (Kind::Kvmtool, _) => "kvmtool",
            (Kind::Question, true) => "问题/缺陷报告",
            (Kind::Question, false) => "Bug report/question",
            (Kind::Other, true) => "其他",
            (Kind::Other, false) => "Other",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind or a table of kind rules that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KindsError {
    #[error("unknown kind {0:?}")]
    UnknownKind(String),
    #[error("kind rules: {0}")]
    Toml(#[source] toml::de::Error),
    /// Rule `rule` (0-based; shown 1-based) has a bad regex in `field`.
    #[error("rule {}: bad {field}: {source}", .rule + 1)]
    Regex {
        rule: usize,
        field: &'static str,
        #[source]
        source: regex::Error,
    },
}

impl crate::error::ExitStatus for KindsError {
    fn exit(&self) -> crate::error::Exit {
        crate::error::Exit::Usage
    }
}

impl FromStr for Kind {
    type Err = KindsError;
    fn from_str(s: &str) -> Result<Kind, KindsError> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| KindsError::UnknownKind(s.to_string()))
    }
}

/// One rule as written in the table. Every condition given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindRuleSpec {
    pub kind: Kind,
    /// Free text, for people reading the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub all_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_title_regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfc: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resend: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<bool>,
}

#[derive(Debug, Clone, Default)]
struct Compiled {
    tag: Option<Regex>,
    subject: Option<Regex>,
    title: Option<Regex>,
    not_title: Option<Regex>,
    body: Option<Regex>,
}

/// A rule of the table, with its regexes compiled.
#[derive(Debug, Clone, Serialize)]
pub struct KindRule {
    #[serde(flatten)]
    pub spec: KindRuleSpec,
    #[serde(skip)]
    compiled: Compiled,
}

fn compile(
    field: &'static str,
    i: usize,
    re: &Option<String>,
) -> Result<Option<Regex>, KindsError> {
    re.as_deref()
        .map(|r| {
            Regex::new(r).map_err(|e| KindsError::Regex {
                rule: i,
                field,
                source: e,
            })
        })
        .transpose()
}

impl KindRule {
    /// Compile a rule; `index` (0-based) names it in error messages.
    pub fn new(spec: KindRuleSpec, index: usize) -> Result<KindRule, KindsError> {
        let compiled = Compiled {
            tag: compile("tag_regex", index, &spec.tag_regex)?,
            subject: compile("subject_regex", index, &spec.subject_regex)?,
            title: compile("title_regex", index, &spec.title_regex)?,
            not_title: compile("not_title_regex", index, &spec.not_title_regex)?,
            body: compile("body_regex", index, &spec.body_regex)?,
        };
        Ok(KindRule { spec, compiled })
    }

    /// Whether every condition of the rule holds.
    pub fn matches(&self, info: &SubjectInfo, subject: &str, body: Option<&str>) -> bool {
        let s = &self.spec;
        let flag = |want: Option<bool>, have: bool| want.is_none_or(|w| w == have);
        if !(flag(s.patch, info.patch)
            && flag(s.rfc, info.rfc)
            && flag(s.pull, info.pull)
            && flag(s.stable, info.stable)
            && flag(s.resend, info.resend)
            && flag(s.reply, info.is_reply))
        {
            return false;
        }
        if !s.any_tags.is_empty() && !s.any_tags.iter().any(|t| info.has_tag(t)) {
            return false;
        }
        if !s.all_tags.iter().all(|t| info.has_tag(t)) {
            return false;
        }
        if s.no_tags.iter().any(|t| info.has_tag(t)) {
            return false;
        }
        let c = &self.compiled;
        if let Some(re) = &c.tag
            && !info.tags.iter().any(|t| re.is_match(t))
        {
            return false;
        }
        if let Some(re) = &c.subject
            && !re.is_match(subject)
        {
            return false;
        }
        if let Some(re) = &c.title
            && !re.is_match(&info.title)
        {
            return false;
        }
        if let Some(re) = &c.not_title
            && re.is_match(&info.title)
        {
            return false;
        }
        if let Some(re) = &c.body {
            match body {
                Some(b) if re.is_match(b) => {}
                _ => return false,
            }
        }
        true
    }
}

/// An ordered rule table: the first rule that matches gives the kind.
#[derive(Debug, Clone, Serialize)]
pub struct KindRules {
    rules: Vec<KindRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<KindRuleSpec>,
}

/// The default table, shipped in the binary.
pub const DEFAULT_KINDS_TOML: &str = include_str!("../../data/kinds.toml");

static BUILTIN: LazyLock<KindRules> = LazyLock::new(|| {
    KindRules::from_toml(DEFAULT_KINDS_TOML).expect("data/kinds.toml is valid (tested)")
});

impl KindRules {
    /// Parse a table: `[[rule]]` entries, see `data/kinds.toml`.
    pub fn from_toml(text: &str) -> Result<KindRules, KindsError> {
        let file: RuleFile = toml::from_str(text).map_err(KindsError::Toml)?;
        let rules = file
            .rule
            .into_iter()
            .enumerate()
            .map(|(i, spec)| KindRule::new(spec, i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(KindRules { rules })
    }

    /// The default table (`data/kinds.toml`).
    pub fn builtin() -> &'static KindRules {
        &BUILTIN
    }

    pub fn rules(&self) -> &[KindRule] {
        &self.rules
    }

    /// Kind of a thread whose first mail has this parsed subject (`subject`
    /// is the subject as sent, for `subject_regex`) and, optionally, body.
    pub fn classify(&self, info: &SubjectInfo, subject: &str, body: Option<&str>) -> Kind {
        self.rules
            .iter()
            .find(|r| r.matches(info, subject, body))
            .map_or(Kind::Other, |r| r.spec.kind)
    }

    /// Parse `subject` and classify it, without a body.
    pub fn classify_subject(&self, subject: &str) -> Kind {
        self.classify(&parse_subject(subject), subject, None)
    }
}

impl Default for KindRules {
    fn default() -> KindRules {
        KindRules::builtin().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Kind {
        KindRules::builtin().classify_subject(s)
    }

    #[test]
    fn ids_and_labels() {
        let ids: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            ids,
            [
                "patch",
                "rfc",
                "git-pull",
                "stable",
                "kvm-unit-tests",
                "kvmtool",
                "question",
                "other"
            ]
        );
        for kind in Kind::ALL {
            assert_eq!(kind.as_str().parse::<Kind>().unwrap(), kind);
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
            assert!(
                !kind.label(crate::lang::Lang::Zh).is_empty()
                    && !kind.label(crate::lang::Lang::En).is_empty()
            );
        }
        assert!("nope".parse::<Kind>().is_err());
        assert_eq!(Kind::Patch.label(crate::lang::Lang::Zh), "补丁");
        assert_eq!(Kind::Patch.label(crate::lang::Lang::Zh), "补丁");
        assert_eq!(
            Kind::GitPull.label(crate::lang::Lang::Zh),
            "合并请求 (GIT PULL)"
        );
        assert_eq!(Kind::Stable.label(crate::lang::Lang::Zh), "稳定版/回合");
        assert_eq!(Kind::Question.label(crate::lang::Lang::Zh), "问题/缺陷报告");
        assert_eq!(Kind::Other.label(crate::lang::Lang::Zh), "其他");
        assert_eq!(Kind::Other.label(crate::lang::Lang::En), "Other");
        assert_eq!(Kind::Stable.label(crate::lang::Lang::En), "Stable/backport");
    }

    #[test]
    fn builtin_table_parses_in_documented_order() {
        let kinds: Vec<Kind> = KindRules::builtin()
            .rules()
            .iter()
            .map(|r| r.spec.kind)
            .collect();
        let mut firsts: Vec<Kind> = Vec::new();
        for kind in kinds {
            if !firsts.contains(&kind) {
                firsts.push(kind);
            }
        }
        assert_eq!(
            firsts,
            [
                Kind::GitPull,
                Kind::Stable,
                Kind::KvmUnitTests,
                Kind::Kvmtool,
                Kind::Rfc,
                Kind::Patch,
                Kind::Question
            ]
        );
    }

    #[test]
    fn default_classification() {
        assert_eq!(k("[GIT PULL] KVM/arm64 updates for 6.3"), Kind::GitPull);
        assert_eq!(k("[PULL 0/3] target-arm queue"), Kind::GitPull);
        assert_eq!(k("[PATCH 5.10 012/100] KVM: arm64: Fix"), Kind::Stable);
        assert_eq!(
            k("[PATCH AUTOSEL 5.15 12/30] KVM: arm64: Fix"),
            Kind::Stable
        );
        assert_eq!(k("[PATCH 6.6 1/8] KVM: arm64: Fix"), Kind::Stable);
        assert_eq!(k("[PATCH for-stable-5.4] arm64: Fix"), Kind::Stable);
        assert_eq!(
            k(r#"Patch "KVM: arm64: Fix a thing" has been added to the 6.1-stable tree"#),
            Kind::Stable
        );
        assert_eq!(
            k(r#"FAILED: patch "[PATCH] KVM: arm64: Fix" failed to apply to 5.4-stable tree"#),
            Kind::Stable
        );
        assert_eq!(
            k("[PATCH kvm-unit-tests v2 1/3] arm: x"),
            Kind::KvmUnitTests
        );
        assert_eq!(k("[kvm-unit-tests PATCH] arm: x"), Kind::KvmUnitTests);
        assert_eq!(
            k("[kvm-unit-tests RFC PATCH 1/2] arm: x"),
            Kind::KvmUnitTests
        );
        assert_eq!(
            k("kvm-unit-tests: timer test fails on X"),
            Kind::KvmUnitTests
        );
        assert_eq!(k("[PATCH kvmtool 1/2] virtio: x"), Kind::Kvmtool);
        assert_eq!(k("[kvmtool] pci: Fix x"), Kind::Kvmtool);
        assert_eq!(k("[RFC PATCH v2 3/7] KVM: arm64: x"), Kind::Rfc);
        assert_eq!(k("[PATCH RFC v2 3/7] KVM: arm64: x"), Kind::Rfc);
        assert_eq!(k("[RFC] Question about the vgic"), Kind::Rfc);
        assert_eq!(k("[PATCH v4 00/14] KVM: arm64: x"), Kind::Patch);
        assert_eq!(k("[PATCH -next] KVM: arm64: Fix a bug"), Kind::Patch);
        assert_eq!(k("Re: [PATCH] KVM: arm64: x"), Kind::Patch);
        assert_eq!(k("Question about stage-2 faults"), Kind::Question);
        assert_eq!(k("Why does my guest not boot?"), Kind::Question);
        assert_eq!(k("BUG: KASAN: use-after-free in vgic_foo"), Kind::Question);
        assert_eq!(k("WARNING in kvm_arch_vcpu_ioctl"), Kind::Question);
        assert_eq!(k("Re: Host panic on guest shutdown"), Kind::Question);
        assert_eq!(k("[Question] timers"), Kind::Question);
        assert_eq!(k("[syzbot] general protection fault in x"), Kind::Question);
        assert_eq!(
            k("[Question-GIC-v4.1] Plans for the driver"),
            Kind::Question
        );
        assert_eq!(
            k("[kvm-unit-tests BUG] psci test hangs"),
            Kind::KvmUnitTests
        );
        assert_eq!(k("[Bugfix] x: y"), Kind::Other);
        assert_eq!(k("REGRESSION: guests hang since 6.1"), Kind::Question);
        assert_eq!(k("Plumbers session on nested virtualization"), Kind::Other);
        // A patch without tags is known by its diff, when the body is given.
        let rules = KindRules::builtin();
        let s = "KVM: arm64: Resample the pending state";
        let info = parse_subject(s);
        let diff = "Commit message.\n---\ndiff --git a/x.c b/x.c\n";
        assert_eq!(rules.classify(&info, s, Some(diff)), Kind::Patch);
        // A bug report that carries a tentative fix stays a bug report.
        let s = "Guest hangs on boot since 6.2";
        assert_eq!(
            rules.classify(&parse_subject(s), s, Some(diff)),
            Kind::Question
        );
        assert_eq!(rules.classify(&info, s, None), Kind::Other);
        assert_eq!(
            rules.classify(&info, s, Some("> diff --git a/x b/x\n")),
            Kind::Other
        );
        let re = "Re: KVM: arm64: Resample the pending state";
        assert_eq!(
            rules.classify(&parse_subject(re), re, Some(diff)),
            Kind::Other
        );
        assert_eq!(k(""), Kind::Other);
    }

    #[test]
    fn custom_table_replaces_default() {
        let custom = r#"
[[rule]]
kind = "question"
title_regex = '(?i)\bdebug\b'

[[rule]]
kind = "patch"
any_tags = ["patch"]
no_tags = ["rfc"]

[[rule]]
kind = "stable"
body_regex = 'stable tree'
"#;
        let rules = KindRules::from_toml(custom).unwrap();
        assert_eq!(rules.rules().len(), 3);
        // Order of the custom table wins: the first rule catches a patch.
        assert_eq!(
            rules.classify_subject("[PATCH] Improve debug output"),
            Kind::Question
        );
        assert_eq!(k("[PATCH] Improve debug output"), Kind::Patch);
        // No RFC rule in the custom table: RFC patches fall through.
        assert_eq!(rules.classify_subject("[RFC PATCH] x"), Kind::Other);
        // A pull request is no longer recognised.
        assert_eq!(rules.classify_subject("[GIT PULL] x"), Kind::Other);
        // Body hints only when a body is given.
        let info = parse_subject("Some notice");
        assert_eq!(rules.classify(&info, "Some notice", None), Kind::Other);
        assert_eq!(
            rules.classify(&info, "Some notice", Some("added to the stable tree")),
            Kind::Stable
        );
        // An empty table classifies everything as other.
        let empty = KindRules::from_toml("").unwrap();
        assert_eq!(empty.classify_subject("[PATCH] x"), Kind::Other);
    }

    #[test]
    fn rule_conditions() {
        let t = |toml: &str, s: &str| KindRules::from_toml(toml).unwrap().classify_subject(s);
        let all = "[[rule]]\nkind = \"rfc\"\nall_tags = [\"PATCH\", \"RFC\"]\n";
        assert_eq!(t(all, "[RFC PATCH] x"), Kind::Rfc);
        assert_eq!(t(all, "[RFC] x"), Kind::Other);
        let tagre = "[[rule]]\nkind = \"stable\"\ntag_regex = '^LINUX-\\d'\n";
        assert_eq!(t(tagre, "[PATCH linux-6.1.y] x"), Kind::Stable);
        assert_eq!(t(tagre, "[PATCH] x"), Kind::Other);
        let subj =
            "[[rule]]\nkind = \"other\"\nsubject_regex = '^Re:'\n[[rule]]\nkind = \"patch\"\n";
        assert_eq!(t(subj, "Re: [PATCH] x"), Kind::Other);
        assert_eq!(t(subj, "[PATCH] x"), Kind::Patch);
        let not = "[[rule]]\nkind = \"patch\"\npatch = true\nnot_title_regex = 'WIP'\n";
        assert_eq!(t(not, "[PATCH] WIP stuff"), Kind::Other);
        assert_eq!(t(not, "[PATCH] stuff"), Kind::Patch);
        let reply = "[[rule]]\nkind = \"question\"\nreply = false\nresend = true\n";
        assert_eq!(t(reply, "[PATCH RESEND] x"), Kind::Question);
        assert_eq!(t(reply, "Re: [PATCH RESEND] x"), Kind::Other);
    }

    #[test]
    fn bad_tables_are_errors() {
        assert!(KindRules::from_toml("[[rule]]\nkind = \"nonsense\"\n").is_err());
        assert!(KindRules::from_toml("[[rule]]\nkind = \"patch\"\ncolour = 1\n").is_err());
        let e =
            KindRules::from_toml("[[rule]]\nkind = \"patch\"\ntitle_regex = '('\n").unwrap_err();
        assert!(
            matches!(
                e,
                KindsError::Regex {
                    rule: 0,
                    field: "title_regex",
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            e.to_string().starts_with("rule 1: bad title_regex: "),
            "{e}"
        );
        assert!(
            matches!("nonsense".parse::<Kind>(), Err(KindsError::UnknownKind(k)) if k == "nonsense")
        );
        assert!(KindRules::from_toml("[[rule]]\n").is_err());
        assert!(KindRules::from_toml("not toml at all [").is_err());
    }

    #[test]
    fn rules_serialize_as_written() {
        let json = serde_json::to_value(KindRules::builtin()).unwrap();
        assert_eq!(json["rules"][0]["kind"], "git-pull");
        assert_eq!(json["rules"][0]["pull"], true);
    }
}
