//! Where an applied notice says a patch went: the tree or branch its words
//! name ("to kvmarm/next", "for 5.18", "on the arm64 for-next/sme"), else a
//! repository link of the mail (b4's `commit:` links, a forge's branch
//! page, a `git://` URL and its branch), written `owner/repo` or
//! `owner/repo branch`.

use std::sync::LazyLock;

use regex::Regex;

/// The tree a notice names after its verb (`rest`: "to kvm/next, thanks"),
/// else further on in its first sentence (`sentence`: "Pulled, thanks (to
/// kvm/queue only for now).", "to branch `for_paolo/6.1`"), else a
/// repository link in it.
pub(super) fn of_notice(rest: &str, sentence: &str) -> Option<String> {
    from_clause(rest)
        .or_else(|| branch_in(sentence))
        .or_else(|| of_url_line(sentence))
}

/// Where a notice says the patch went: the words after to/into/for in its
/// first clause ("to kvmarm/next, thanks" → `kvmarm/next`), else after
/// on/onto when they name a branch ("on the arm64 for-next/sme"). A link
/// there is written as the repository it names.
fn from_clause(s: &str) -> Option<String> {
    // The first clause: up to a comma, "thanks", a sentence end, " -- ".
    static CLAUSE_END: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)[,;]|\s+thanks\b|[.!:](?:\s|$)|\s+--|\s+(?:with|and|because|which|at|so|but)\b",
        )
        .unwrap()
    });
    static TO: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\b(?:to|into|for)\s+(?:the\s+)?(.+)$").unwrap());
    static ON: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\b(?:on|onto)\s+(?:the\s+)?(.+)$").unwrap());
    let clause = CLAUSE_END.find(s).map_or(s, |m| &s[..m.start()]);
    if let Some(t) = TO.captures(clause).and_then(|c| tidy(&c[1])) {
        return Some(t);
    }
    ON.captures(clause)
        .and_then(|c| tidy(&c[1]))
        .filter(|t| t.contains('/'))
}

/// A target as the clause gives it, tidied: a parenthesis of prose and a
/// trailing "tree" dropped, a link written as its repository; None for a
/// pronoun.
fn tidy(target: &str) -> Option<String> {
    let mut target = target.trim().to_string();
    // "kvm/next (because …)": drop a parenthesis of prose, keep "(for-next/x)".
    if let Some(open) = target.find(" (")
        && target[open + 2..].contains(' ')
    {
        target.truncate(open);
    }
    // "the sound tree" → "sound".
    if target.len() > 5 && target.to_lowercase().ends_with(" tree") {
        target.truncate(target.len() - 5);
    }
    let target = target.trim_end_matches(['.', '!', ',', ':', ')']).trim();
    let target = if target.matches('(').count() > target.matches(')').count() {
        format!("{target})")
    } else {
        target.to_string()
    };
    let stop = ["now", "me", "you", "us", "it", "them", "this", "that"];
    if target.is_empty() || stop.contains(&target.to_lowercase().as_str()) {
        return None;
    }
    if URL_START.is_match(&target) {
        return Some(of_url_line(&target).unwrap_or(target));
    }
    Some(target)
}

/// A branch (a name with a `/`, maybe in backquotes) that a sentence sends
/// the patch to: "(to kvm/queue only for now)", "to branch `for_paolo/6.1`".
fn branch_in(sentence: &str) -> Option<String> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\b(?:to|into|onto|on)\s+(?:the\s+)?(?:branch\s+)?`?([\w.+-]+/[\w./+-]*[\w+-])`?",
        )
        .unwrap()
    });
    RE.captures(sentence).map(|c| c[1].to_string())
}

static URL_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^[<(\[]?(?:https?|git|ssh)://").unwrap());

/// The repository the first repository link of a line names (see
/// [`of_url`]), with the word after a bare repository link as its branch.
pub(super) fn of_url_line(line: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.iter().enumerate().find_map(|(i, w)| {
        let at = w.find("://")?;
        let start = w[..at]
            .rfind(|c: char| !c.is_ascii_alphabetic())
            .map_or(0, |p| p + 1);
        of_url(&w[start..], words.get(i + 1).copied())
    })
}

/// The repository a link names, `owner/repo` or `owner/repo branch`:
///
/// - git.kernel.org: `/pub/scm/linux/kernel/git/OWNER/REPO.git` (the branch
///   from `?h=`), or the short forms `/OWNER/REPO/c/SHA`, `/arm64/c/SHA`;
///   gitweb's `?p=…/REPO.git`;
/// - a forge (GitLab, GitHub, …): `/OWNER/REPO.git`, or
///   `/OWNER/REPO[/-]/commits|tree|log/BRANCH`;
///
/// a bare repository link (`….git`) takes `next` as its branch when that
/// word looks like one (`for-next/core`, `master`). Other links (issues,
/// merge requests, files, web sites) name no repository.
fn of_url(url: &str, next: Option<&str>) -> Option<String> {
    let url = url
        .trim_start_matches(['<', '(', '[', '`', '\'', '"'])
        .trim_end_matches(['>', ')', ']', '`', '\'', '"', '.', ',', ';', ':']);
    let (_, rest) = url.split_once("://")?;
    let (host_path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, path) = host_path.split_once('/').unwrap_or((host_path, ""));
    // Without a user (`ssh://git@host/…`).
    let host = host.rsplit('@').next().unwrap_or(host).to_lowercase();
    let param = |key: &str| {
        query
            .split([';', '&'])
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .filter(|v| !v.is_empty())
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // gitweb: ?p=linux/kernel/git/stable/stable-queue.git
    if let Some(p) = param("p")
        && p.ends_with(".git")
    {
        return Some(repo_name(p));
    }
    let (repo, branch) = if let Some(git) = segments.iter().position(|s| s.ends_with(".git")) {
        // …/REPO.git, maybe followed by a page of it (commit/?h=BRANCH).
        let repo = segments[..=git].join("/");
        let branch = match param("h") {
            Some(h) => Some(h.to_string()),
            None if git + 1 == segments.len() => next.and_then(branch_word),
            None => None,
        };
        (repo_name(&repo), branch)
    } else if let Some(mark) = segments
        .iter()
        .position(|s| matches!(*s, "c" | "commit" | "commits" | "tree" | "log" | "-"))
        .filter(|&m| m > 0)
    {
        let after = &segments[mark + usize::from(segments[mark] == "-")..];
        let page = after.first().copied().unwrap_or("");
        let branch = match page {
            "commits" | "tree" | "log" if after.len() > 1 => Some(after[1..].join("/")),
            _ => None,
        };
        let kernel_short = host == "git.kernel.org" && matches!(page, "c" | "commit");
        if branch.is_none() && !kernel_short {
            return None;
        }
        (segments[..mark].join("/"), branch)
    } else {
        return None;
    };
    if repo.is_empty() {
        return None;
    }
    Some(match branch {
        Some(b) => format!("{repo} {b}"),
        None => repo,
    })
}

/// `linux/kernel/git/arm64/linux.git` → `arm64/linux`.
fn repo_name(path: &str) -> String {
    let path = path.trim_matches('/');
    let path = path.strip_prefix("pub/scm/").unwrap_or(path);
    let path = path.strip_prefix("linux/kernel/git/").unwrap_or(path);
    path.strip_suffix(".git").unwrap_or(path).to_string()
}

/// The word after a repository link when it is a branch name, not prose.
fn branch_word(w: &str) -> Option<String> {
    static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z0-9][\w.+/-]*$").unwrap());
    let w = w.trim_end_matches(['.', ',', ';', ':', ')']);
    let prose = [
        "and", "or", "with", "as", "at", "for", "to", "the", "in", "on", "thanks", "now", "too",
        "also", "please", "if", "but", "which",
    ];
    (RE.is_match(w) && !prose.contains(&w.to_lowercase().as_str())).then(|| w.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_name_their_repository_and_branch() {
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            (
                "https://git.kernel.org/kvmarm/kvmarm/c/abc123",
                None,
                Some("kvmarm/kvmarm"),
            ),
            (
                "https://git.kernel.org/arm64/c/b5d3f4daf4d3",
                None,
                Some("arm64"),
            ),
            (
                "https://git.kernel.org/will/kvmtool/c/97531eb2ca70",
                None,
                Some("will/kvmtool"),
            ),
            (
                "git://git.kernel.org/pub/scm/linux/kernel/git/arm64/linux.git",
                Some("for-next/core"),
                Some("arm64/linux for-next/core"),
            ),
            (
                "https://git.kernel.org/pub/scm/virt/kvm/kvm.git",
                Some("queue."),
                Some("virt/kvm/kvm queue"),
            ),
            (
                "https://git.kernel.org/pub/scm/linux/kernel/git/kvmarm/kvmarm.git/commit/?h=next&id=b356",
                None,
                Some("kvmarm/kvmarm next"),
            ),
            (
                "http://www.kernel.org/git/?p=linux/kernel/git/stable/stable-queue.git;a=summary",
                None,
                Some("stable/stable-queue"),
            ),
            (
                "https://gitlab.com/rhdrjones/kvm-unit-tests/-/commits/arm/queue",
                None,
                Some("rhdrjones/kvm-unit-tests arm/queue"),
            ),
            (
                "https://github.com/rhdrjones/kvm-unit-tests/tree/arm/queue",
                Some("thanks"),
                Some("rhdrjones/kvm-unit-tests arm/queue"),
            ),
            (
                "(https://gitlab.com/kvm-unit-tests/kvm-unit-tests.git)",
                None,
                Some("kvm-unit-tests/kvm-unit-tests"),
            ),
            (
                "https://github.com/sean-jc/linux.git",
                Some("and"),
                Some("sean-jc/linux"),
            ),
            (
                "ssh://git@gitlab.com/group/sub/repo.git",
                Some("main"),
                Some("group/sub/repo main"),
            ),
            // No repository.
            (
                "https://gitlab.com/kvm-unit-tests/kvm-unit-tests/-/merge_requests/26",
                None,
                None,
            ),
            ("https://github.com/foo/bar/issues/12", None, None),
            ("https://github.com/foo/bar/blob/main/README", None, None),
            ("https://next.arm64.dev", None, None),
            (
                "https://lists.cs.columbia.edu/mailman/listinfo/kvmarm",
                None,
                None,
            ),
            ("https://git.kernel.org/", None, None),
        ];
        for (url, next, want) in cases {
            assert_eq!(of_url(url, *next).as_deref(), *want, "{url} {next:?}");
        }
    }

    #[test]
    fn a_line_gives_its_first_repository_link() {
        assert_eq!(
            of_url_line("      commit: https://git.kernel.org/kvmarm/kvmarm/c/abc").as_deref(),
            Some("kvmarm/kvmarm")
        );
        assert_eq!(
            of_url_line("see https://example.org/ and git://h/a/b.git for-next").as_deref(),
            Some("a/b for-next")
        );
        assert_eq!(of_url_line("Applied, thanks!"), None);
        assert_eq!(of_url_line("[1] https://github.com/a/b/issues/1"), None);
    }

    #[test]
    fn branches_a_sentence_sends_the_patch_to() {
        for (s, want) in [
            (
                "Pulled, thanks (to kvm/queue only for now).",
                Some("kvm/queue"),
            ),
            (
                "Pushed with the squash to branch `for_paolo/6.1` at:",
                Some("for_paolo/6.1"),
            ),
            ("Applied onto x86/urgent.", Some("x86/urgent")),
            ("Queued, thanks.", None),
            ("Sent to Paolo for 5.18.", None),
        ] {
            assert_eq!(branch_in(s).as_deref(), want, "{s}");
        }
    }
}
