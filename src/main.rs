use clap::Parser;

/// Exit status of a bug (a panic): distinct from every error status (see
/// docs/exit-status.md). Reports are written atomically, so a crash never
/// leaves a half-written file; the message asks for a bug report.
const EXIT_INTERNAL_ERROR: i32 = 70;

fn main() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "lore-digest: internal error (a bug; please report it with the command that was run): {info}"
        );
        std::process::exit(EXIT_INTERNAL_ERROR);
    }));
    let cli = lore_digest::cli::Cli::parse();
    match lore_digest::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("lore-digest: error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
