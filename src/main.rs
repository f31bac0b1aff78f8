use clap::Parser;

fn main() {
    let cli = lore_digest::cli::Cli::parse();
    match lore_digest::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("lore-digest: error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
