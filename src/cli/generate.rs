//! `lore-digest generate`: the man page and shell completions, made from
//! the clap definitions so they cannot drift from `--help`.

use std::path::PathBuf;

use super::{Cli, GenerateCommand};
use crate::error::{Error, Result};

/// `generate`: the man page and completions from the clap definitions, so
/// they cannot drift from `--help`. Needs no configuration or data.
pub(super) fn generate(what: GenerateCommand) -> Result<i32> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    match what {
        GenerateCommand::Man { out } => {
            let mut page = Vec::new();
            let man = clap_mangen::Man::new(cmd.clone());
            man.render(&mut page)
                .map_err(|e| Error::io(std::path::Path::new("lore-digest.1"), e))?;
            // Each subcommand's own options, as sections of the one page.
            for sub in cmd.get_subcommands() {
                let name = format!("lore-digest {}", sub.get_name());
                let mut text = Vec::new();
                clap_mangen::Man::new(sub.clone())
                    .render_options_section(&mut text)
                    .map_err(|e| Error::io(std::path::Path::new("lore-digest.1"), e))?;
                let text = String::from_utf8_lossy(&text).replacen(
                    ".SH OPTIONS",
                    &format!(".SH \"OPTIONS OF {}\"", name.to_uppercase()),
                    1,
                );
                page.extend_from_slice(text.as_bytes());
            }
            let dir = out.unwrap_or_else(|| PathBuf::from("."));
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            let path = dir.join("lore-digest.1");
            crate::fsutil::write_atomic(&path, &page)?;
            crate::outln!("{}", path.display());
        }
        GenerateCommand::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut cmd, "lore-digest", &mut text);
            crate::outln!("{}", String::from_utf8_lossy(&text).trim_end());
        }
    }
    Ok(0)
}
