//! The README stays a five-minute read whose first commands work as
//! written; the reference lives in docs/, and docs/commands.md names every
//! subcommand and option clap knows, so docs, `--help` and the man page
//! cannot drift.

use crate::common;

use std::path::{Path, PathBuf};

use common::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The first command of the README: sync the corpus beside the checkout
/// and write a report (kept exactly; CI runs it as written).
const FIRST_COMMAND: &str = "cargo run --release -- --data-dir lore-data sync kvmarm --url file://$PWD/../shared/corpora/kvmarm-columbia.git && cargo run --release -- --data-dir lore-data report kvmarm --week 2022-W10";

#[test]
fn readme_is_under_250_lines_and_starts_with_the_two_commands() {
    let readme = read("README.md");
    assert!(
        readme.lines().count() < 250,
        "README has {} lines",
        readme.lines().count()
    );
    assert!(
        readme.contains(&format!("```sh\n{FIRST_COMMAND}\n```")),
        "the first command, exactly"
    );
    assert!(
        readme.contains("```sh\ncargo test\n```"),
        "the second command"
    );
    assert!(
        readme.find(FIRST_COMMAND) < readme.find("## "),
        "commands first"
    );
    assert!(readme.contains("## Architecture"));
    assert!(
        readme.contains("target/lore-digest.1"),
        "says where the man page goes"
    );
}

#[test]
fn docs_pages_exist_and_the_index_links_each() {
    let index = read("docs/README.md");
    for page in [
        "commands.md",
        "reports.md",
        "json.md",
        "configuration.md",
        "files.md",
        "exit-status.md",
        "development.md",
    ] {
        assert!(root().join("docs").join(page).is_file(), "docs/{page}");
        assert!(
            index.contains(&format!("({page})")),
            "docs/README.md links {page}"
        );
    }
}

/// Every subcommand (as `lore-digest a b`) and every long option of each.
fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
    for arg in cmd.get_arguments() {
        if let Some(long) = arg.get_long() {
            out.push(format!("--{long}"));
        }
    }
    // clap's own `help` subcommands are not ours to document.
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let p = format!("{path} {}", sub.get_name());
        out.push(p.clone());
        walk(sub, &p, out);
    }
}

#[test]
fn docs_commands_names_every_subcommand_and_option_clap_knows() {
    use clap::CommandFactory;
    let doc = read("docs/commands.md");
    let mut cmd = lore_digest::cli::Cli::command();
    cmd.build();
    let mut names = Vec::new();
    walk(&cmd, "lore-digest", &mut names);
    let missing: Vec<&String> = names.iter().filter(|n| !doc.contains(n.as_str())).collect();
    assert!(names.len() > 40, "{names:?}");
    assert!(missing.is_empty(), "docs/commands.md lacks {missing:?}");
}

#[test]
fn report_help_groups_window_and_global_options() {
    let help = Lore::bare().args(["report", "--help"]).ok().stdout;
    let section = |name: &str| -> String {
        let start = help
            .find(&format!("\n{name}:\n"))
            .unwrap_or_else(|| panic!("{help}"));
        let rest = &help[start + name.len() + 3..];
        let end = rest.find("\n\n\u{0}").or_else(|| {
            rest.match_indices("\n")
                .find(|(i, _)| {
                    rest[i + 1..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_uppercase())
                })
                .map(|(i, _)| i)
        });
        rest[..end.unwrap_or(rest.len())].to_string()
    };
    let window = section("Window");
    for flag in [
        "--week", "--since", "--until", "--last", "--range", "--tz", "--by",
    ] {
        assert!(window.contains(flag), "{flag} under Window: {window}");
    }
    assert!(!window.contains("--format"), "{window}");
    let global = section("Global options");
    for flag in ["--data-dir", "--quiet", "--config"] {
        assert!(
            global.contains(flag),
            "{flag} under Global options: {global}"
        );
    }
}

#[test]
fn generated_man_page_renders_and_completions_are_printed() {
    let dir = tempfile::tempdir().unwrap();
    let printed = Lore::bare()
        .args(["generate", "man", "--out"])
        .arg(dir.path())
        .ok()
        .stdout;
    let page = dir.path().join("lore-digest.1");
    assert_eq!(printed.trim(), page.display().to_string());
    let text = std::fs::read_to_string(&page).unwrap();
    assert!(
        text.starts_with(".ie") || text.contains(".TH lore-digest 1"),
        "{text}"
    );
    assert!(
        text.contains("OPTIONS OF LORE-DIGEST REPORT"),
        "subcommand options"
    );
    if Path::new("/usr/bin/man").exists() {
        let out = std::process::Command::new("man")
            .arg("-l")
            .arg(&page)
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .output()
            .unwrap();
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && shown.contains("SYNOPSIS"),
            "{shown}"
        );
    }
    let bash = Lore::bare()
        .args(["generate", "completions", "bash"])
        .ok()
        .stdout;
    assert!(
        bash.contains("lore-digest") && bash.contains("--backfill"),
        "{bash}"
    );
}
