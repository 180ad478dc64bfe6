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
    /// Monte Carlo simulation of every sample size beside the theory.
    Validate {
        /// Model configuration (TOML).
        config: PathBuf,
        /// Trials per sample size (default: [simulation] trials, else 20).
        #[arg(long)]
        trials: Option<usize>,
        /// Seed of the random streams (default: [simulation] seed, else 1).
        #[arg(long)]
        seed: Option<u64>,
        /// Multiply n0, every width and every sample size by F (default: [simulation] scale, else 1).
        #[arg(long, value_name = "F")]
        scale: Option<f64>,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Output format (default: json if --out ends in .json, else csv).
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Exit with code 1 when any |z| exceeds Z.
        #[arg(long, value_name = "Z")]
        check: Option<f64>,
    },
    /// Render every figure config (TOML with a [figure] table) to PNG and SVG.
    Figures {
        /// Figure configs or folders to search (default: configs/).
        paths: Vec<PathBuf>,
        /// Output folder (default: figures/).
        #[arg(long, default_value = "figures")]
        out: PathBuf,
        /// Theory only: skip the Monte Carlo markers.
        #[arg(long)]
        no_sim: bool,
        /// Trials per simulated point (default: each config's [simulation] trials).
        #[arg(long)]
        trials: Option<usize>,
        /// Simulate at F times the theory's sizes (default: each config's [simulation] scale).
        #[arg(long, value_name = "F")]
        scale: Option<f64>,
    },
}

fn format_for(format: Option<Format>, out: Option<&Path>) -> Format {
    format.unwrap_or(match out.and_then(|p| p.extension()) {
        Some(e) if e == "json" => Format::Json,
        _ => Format::Csv,
    })
}

/// Exit status of a run that completed: success, or a failed `--check`.
enum Outcome {
    Done,
    CheckFailed,
}

fn run(cli: Cli) -> lcurve::Result<Outcome> {
    match cli.command {
        Command::Curve { config, out, format } => {
            let cfg = Config::load(&config)?;
            let curve = lcurve::curve::run(&cfg, true)?;
            let text = lcurve::curve::render(&cfg, &curve, format_for(format, out.as_deref()));
            output::emit(out.as_deref(), &text)?;
            Ok(Outcome::Done)
        }
        Command::Figures { paths, out, no_sim, trials, scale } => {
            let paths = if paths.is_empty() { vec![PathBuf::from("configs")] } else { paths };
            let opts = lcurve::figures::SimOptions { disabled: no_sim, trials, scale };
            opts.check()?;
            let found = lcurve::figures::discover(&paths)?;
            if found.is_empty() {
                return Err(lcurve::Error::Usage(format!(
                    "no figure config (TOML with a [figure] table) in {paths:?}"
                )));
            }
            let started = std::time::Instant::now();
            let written = lcurve::figures::render_all(&found, &out, &opts, true)?;
            for r in &written {
                let agreement = match r.max_abs_z {
                    Some(z) => format!(" (simulation: {} markers, max |z| = {z:.2})", r.markers),
                    None => String::new(),
                };
                eprintln!("wrote {} and {}{agreement}", r.png.display(), r.svg.display());
            }
            eprintln!("{} figures in {:.1} s", written.len(), started.elapsed().as_secs_f64());
            Ok(Outcome::Done)
        }
        Command::Validate { config, trials, seed, scale, out, format, check } => {
            if let Some(z) = check {
                if !(z.is_finite() && z > 0.0) {
                    return Err(lcurve::Error::Usage(format!("--check: expected a number > 0, got {z}")));
                }
            }
            let cfg = Config::load(&config)?;
            let opts = lcurve::validate::Options {
                trials: trials.unwrap_or(cfg.simulation.trials),
                seed: seed.unwrap_or(cfg.simulation.seed),
                scale: scale.unwrap_or(cfg.simulation.scale),
                progress: true,
            };
            opts.check()?;
            let v = lcurve::validate::run(&cfg, &opts)?;
            let summary = v.summary_line();
            let text = match format_for(format, out.as_deref()) {
                Format::Csv => output::validation_csv(&v),
                Format::Json => output::to_json(&output::ValidationReport {
                    program: "lcurve",
                    version: env!("CARGO_PKG_VERSION"),
                    config: config.display().to_string(),
                    summary: summary.clone(),
                    validation: &v,
                }),
            };
            output::emit(out.as_deref(), &text)?;
            eprintln!("{summary}");
            if v.rows.iter().any(|r| r.mc.trials < 2) {
                eprintln!("note: points with fewer than 2 trials have no standard error, interval or z");
            }
            if let Some(limit) = check {
                let bad = v.failures(limit);
                if !bad.is_empty() {
                    let list: Vec<String> =
                        bad.iter().map(|(p, z)| format!("p = {p} (z = {z:.2})")).collect();
                    eprintln!("check failed: |z| > {limit} at {}", list.join(", "));
                    return Ok(Outcome::CheckFailed);
                }
            }
            Ok(Outcome::Done)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::CheckFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
