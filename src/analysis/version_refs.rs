//! Earlier versions named in a cover letter by their Message-ID. Kernel
//! developers link the previous versions of a series in its cover letter
//! ("v3: https://lore.kernel.org/r/<id>", b4's "- Link to v2: …",
//! patchwork's ".../cover/<id>/"); when the title changed between versions
//! (no title-based link is possible), this is how the versions are found.

use regex::Regex;
use std::sync::LazyLock;

/// A reference to an earlier version: its number and the Message-ID linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRef {
    pub version: u32,
    pub message_id: String,
}

/// The Message-ID in a link to a mail archive: lore (`/r/`, `/all/`,
/// `/LIST/`), lkml.kernel.org and patch.msgid.link (`/r/ID`, `/ID`),
/// patchwork (`/project/P/cover/ID/`, `/patch/ID/`). None for other links
/// (a thread view `/T/`, a search, a web page).
pub fn message_id_of_url(url: &str) -> Option<String> {
    static LORE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^https?://(?:lore\.kernel\.org|lkml\.kernel\.org|patch\.msgid\.link)/(?:(?:r|all|[a-z0-9][a-z0-9._-]*)/)?([^/?#\s]+@[^/?#\s]+)",
        )
        .unwrap()
    });
    static PATCHWORK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^https?://patchwork\.[a-z0-9.-]+/project/[^/]+/(?:cover|patch)/([^/?#\s]+@[^/?#\s]+)",
        )
        .unwrap()
    });
    let id = LORE
        .captures(url)
        .or_else(|| PATCHWORK.captures(url))?
        .get(1)?
        .as_str();
    let id = percent_decode(id.trim_end_matches(['.', ',', ')', '>', ']', ';']));
    let id = id.trim_start_matches('<').trim_end_matches('>');
    (id.contains('@') && !id.contains(char::is_whitespace) && id.len() <= 250)
        .then(|| id.to_string())
}

/// `%2F` and the like decoded; an invalid escape is kept as written.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    let hex = |c: u8| (c as char).to_digit(16);
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The earlier versions (below `version`) that `body` (a cover letter's
/// text) links, by the version named on the same line before the link:
/// "v3: URL", "Link to v3: URL", "[v3] URL", "v3 - URL", "v3 (URL)". Quoted
/// lines are skipped; one reference per version (the first), highest first.
pub fn earlier_versions(body: &str, version: u32) -> Vec<VersionRef> {
    static URL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)https?://[^\s<>()\[\]]+").unwrap());
    static VERSION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)(?:^|[^a-z0-9])v(\d{1,3})(?:[^a-z0-9.]|$)").unwrap());
    let mut out: Vec<VersionRef> = Vec::new();
    for line in body.lines() {
        let t = line.trim_start();
        if t.starts_with('>') {
            continue;
        }
        for u in URL.find_iter(line) {
            let Some(mid) = message_id_of_url(u.as_str()) else {
                continue;
            };
            // The version named last before the link, on its line.
            let before = &line[..u.start()];
            let Some(v) = VERSION
                .captures_iter(before)
                .filter_map(|c| c.get(1)?.as_str().parse::<u32>().ok())
                .last()
            else {
                continue;
            };
            if v >= 1 && v < version && !out.iter().any(|r| r.version == v) {
                out.push(VersionRef {
                    version: v,
                    message_id: mid,
                });
            }
        }
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.version));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_links_give_their_message_ids() {
        for (url, id) in [
            (
                "https://lore.kernel.org/r/20220311174001.605719-1-oupton@google.com",
                "20220311174001.605719-1-oupton@google.com",
            ),
            (
                "http://lore.kernel.org/kvmarm/20220223041844.3984439-1-oupton@google.com/",
                "20220223041844.3984439-1-oupton@google.com",
            ),
            (
                "https://lore.kernel.org/all/YfljFZk9JyywTvz2%2F0@shell.armlinux.org.uk/T/#u",
                "YfljFZk9JyywTvz2/0@shell.armlinux.org.uk",
            ),
            (
                "https://patchwork.kernel.org/project/kvm/cover/20220223041844.3984439-1-oupton@google.com/",
                "20220223041844.3984439-1-oupton@google.com",
            ),
            (
                "https://lkml.kernel.org/r/20200101.1-a@b.c",
                "20200101.1-a@b.c",
            ),
            (
                "https://patch.msgid.link/20240101-x-v2-1-abc@kernel.org",
                "20240101-x-v2-1-abc@kernel.org",
            ),
        ] {
            assert_eq!(message_id_of_url(url).as_deref(), Some(id), "{url}");
        }
        for url in [
            "https://lore.kernel.org/kvmarm/",
            "https://lore.kernel.org/all/?q=s:PSCI",
            "https://git.kernel.org/pub/scm/linux/kernel/git/maz/arm-platforms.git/log/?h=kvm-arm64/nv",
            "https://example.org/r/a@b",
        ] {
            assert_eq!(message_id_of_url(url), None, "{url}");
        }
    }

    #[test]
    fn cover_letters_name_their_earlier_versions() {
        let body = "\
This series adds PSCI SYSTEM_SUSPEND.

v4: http://lore.kernel.org/r/20220311174001.605719-1-oupton@google.com
v3: https://patchwork.kernel.org/project/kvm/cover/20220223041844.3984439-1-oupton@google.com/
[1]: https://lore.kernel.org/all/20220311175717.616958-1-oupton@google.com/
- Link to v2: https://lore.kernel.org/r/20210923191610.3814698-1-oupton@google.com
> v1: https://lore.kernel.org/r/quoted@x
Tested on v8.2 hardware, see https://lore.kernel.org/r/other@x
v6: https://lore.kernel.org/r/future@x
";
        let refs = earlier_versions(body, 5);
        let got: Vec<(u32, &str)> = refs
            .iter()
            .map(|r| (r.version, r.message_id.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (4, "20220311174001.605719-1-oupton@google.com"),
                (3, "20220223041844.3984439-1-oupton@google.com"),
                (2, "20210923191610.3814698-1-oupton@google.com"),
            ]
        );
    }

    #[test]
    fn a_link_without_a_version_before_it_names_none() {
        assert!(earlier_versions("See https://lore.kernel.org/r/a@b for v2.\n", 3).is_empty());
        assert!(earlier_versions("", 3).is_empty());
        // Hostile: a huge line, odd escapes.
        let long = format!(
            "v1: https://lore.kernel.org/r/{}%zz@x\n",
            "a".repeat(100_000)
        );
        assert!(earlier_versions(&long, 2).is_empty());
        let odd = "v1: https://lore.kernel.org/r/%E2%28a@x%\n";
        assert_eq!(earlier_versions(odd, 2).len(), 1);
    }
}
