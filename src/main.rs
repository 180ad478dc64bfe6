//! Command-line interface: parses arguments, calls the library, prints.

use clap::{Parser, Subcommand};
use lcurve::config::Config;
use lcurve::output::{self, Format};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lcurve",
    version,
    about = "Learning curves of ridge regression on deep structured Gaussian random features"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Theory learning curve of a model config (CSV or JSON).
    Curve {
        /// Model configuration (TOML).
        config: PathBuf,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Output format (default: json if --out ends in .json, else csv).
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

fn format_for(format: Option<Format>, out: Option<&Path>) -> Format {
    format.unwrap_or(match out.and_then(|p| p.extension()) {
        Some(e) if e == "json" => Format::Json,
        _ => Format::Csv,
    })
}

fn run(cli: Cli) -> lcurve::Result<()> {
    match cli.command {
        Command::Curve { config, out, format } => {
            let cfg = Config::load(&config)?;
            let curve = lcurve::curve::run(&cfg, true)?;
            let text = lcurve::curve::render(&cfg, &curve, format_for(format, out.as_deref()));
            output::emit(out.as_deref(), &text)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
