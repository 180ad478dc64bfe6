//! The command line's arguments (clap derive), their value parsers, and their translation
//! into the library's values: a config with its overrides, [`RunOptions`], times. No
//! default and no rule lives here; the library settles them (`spec::rules`, `RunOptions`).

use clap::{Parser, Subcommand, ValueEnum};
use lcurve::config::Override;
use lcurve::output::{self, Format};
use lcurve::run::RunOptions;
use lcurve::store::Store;
use lcurve::trials::Shard;
use lcurve::{Config, SimulationOverrides};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use super::terminal::Failure;

#[derive(Parser)]
#[command(
    name = "lcurve",
    version,
    about = "Learning curves of ridge regression on deep structured Gaussian random features",
    after_help = "Example: lcurve curve configs/quickstart.toml --out curve.csv"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Output format of a table.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Csv,
    Json,
}

/// Arguments shared by `curve` and `validate`: the config and how to change it.
#[derive(clap::Args)]
pub(crate) struct ModelArgs {
    /// Model configuration (TOML).
    pub(crate) config: PathBuf,
    /// Override a config value (repeatable): a dotted key and a TOML value, e.g.
    /// `--set readout.ridge=0.1 --set layers[0].width=800`.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_override)]
    pub(crate) set: Vec<Override>,
    /// Sample sizes p = α·n0 for POINTS log-spaced α from FROM to TO (replaces [samples]).
    #[arg(long, value_name = "FROM:TO:POINTS", value_parser = parse_alpha, allow_hyphen_values = true)]
    pub(crate) alpha: Option<(f64, f64, usize)>,
    /// Output file, or - for stdout (default: stdout).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Output format (default: json if --out ends in .json, else csv).
    #[arg(long, value_enum)]
    pub(crate) format: Option<FormatArg>,
}

/// Where Monte Carlo trials are kept.
#[derive(clap::Args)]
pub(crate) struct StoreArgs {
    /// Results store folder: every finished trial is kept there and reused (default:
    /// $LCURVE_STORE, else .lcurve-store).
    #[arg(long, value_name = "DIR")]
    pub(crate) store: Option<PathBuf>,
    /// Use no store: simulate every trial and keep none.
    #[arg(long, conflicts_with_all = ["store", "shard"])]
    pub(crate) no_store: bool,
    /// Compute only shard i of N (0 ≤ i < N) of the trials into the store and write no
    /// output; a later run without --shard assembles the result (for job arrays).
    #[arg(long, value_name = "i/N", value_parser = parse_shard)]
    pub(crate) shard: Option<Shard>,
}

impl SimArgs {
    /// What these flags change of a config's `[simulation]` values.
    pub(crate) fn overrides(&self, inputs: Option<lcurve::Inputs>) -> SimulationOverrides {
        SimulationOverrides { trials: self.trials, seed: self.seed, scale: self.scale, inputs }
    }
}

impl StoreArgs {
    /// The run options of these flags and `overrides`, with the store opened (none with
    /// `--no-store`).
    pub(crate) fn run_options(&self, overrides: SimulationOverrides) -> Result<RunOptions, Failure> {
        Ok(RunOptions { simulate: true, overrides, store: self.open()?, shard: self.shard })
    }

    pub(crate) fn open(&self) -> Result<Option<Arc<Store>>, Failure> {
        if self.no_store {
            return Ok(None);
        }
        let dir = self.store.clone().unwrap_or_else(lcurve::store::default_dir);
        Ok(Some(Arc::new(Store::open(&dir)?)))
    }
}

/// Folder and simulation options of `lcurve store`.
#[derive(clap::Args)]
pub(crate) struct StoreQuery {
    /// Model or figure configs, or folders of them (default: configs/).
    pub(crate) paths: Vec<PathBuf>,
    /// Results store folder (default: $LCURVE_STORE, else .lcurve-store).
    #[arg(long, value_name = "DIR")]
    pub(crate) store: Option<PathBuf>,
    /// The trials, seed and scale the runs use (as given to validate or figures).
    #[command(flatten)]
    pub(crate) sim: SimArgs,
}

/// Monte Carlo settings that replace a config's `[simulation]` values.
#[derive(clap::Args)]
pub(crate) struct SimArgs {
    /// Trials per sample size (default: [simulation] trials, else 20).
    #[arg(long, value_name = "N", value_parser = parse_trials, allow_hyphen_values = true)]
    pub(crate) trials: Option<usize>,
    /// Seed of the random streams (default: [simulation] seed, else 1).
    #[arg(long, value_name = "S", value_parser = parse_seed, allow_hyphen_values = true)]
    pub(crate) seed: Option<u64>,
    /// Multiply n0, every width and every sample size by F (default: [simulation] scale, else 1).
    #[arg(long, value_name = "F", value_parser = parse_positive, allow_hyphen_values = true)]
    pub(crate) scale: Option<f64>,
}

#[derive(Subcommand)]
pub(crate) enum StoreAction {
    /// Files, records and sizes; per config, how many of its trials are stored and missing.
    Status {
        #[command(flatten)]
        query: StoreQuery,
    },
    /// Keep only the records the configs refer to (and this simulation version), compacted.
    /// Files that running lcurve processes write are left alone.
    Gc {
        #[command(flatten)]
        query: StoreQuery,
        /// Also delete the trials no given config refers to (those of other configs, of
        /// other seeds or trial counts, and `dynamics --validate` trajectories, whose
        /// times no config names). Without it gc only compacts and removes files of older
        /// simulation versions.
        #[arg(long)]
        prune: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Theory learning curve of a model config (CSV or JSON).
    #[command(
        after_help = "Example: lcurve curve configs/quickstart.toml --set readout.ridge=0.1 --alpha 0.1:10:50"
    )]
    Curve {
        #[command(flatten)]
        model: ModelArgs,
        /// Add the local exponents −∂ln E_g/∂ln p (exponent_samples) and −∂ln E_g/∂ln n_ℓ
        /// (exponent_width_1 …), empty where undefined (the ridgeless peak).
        #[arg(long)]
        exponents: bool,
    },
    /// Scaling laws (SCALING §4) beside the local exponents at the config's sizes, and the
    /// budget frontier C = p·n₁ with --budget.
    #[command(after_help = "Example: lcurve scaling configs/f10_scaling.toml --budget 1e6:1e12:13")]
    Scaling {
        #[command(flatten)]
        model: ModelArgs,
        /// Budgets C = p·n₁: POINTS log-spaced from FROM to TO; for each, the best split
        /// (and λ* with ridge = "optimal") and the fitted exponents of E*, p*, n* in C.
        #[arg(long, value_name = "FROM:TO:POINTS", value_parser = parse_alpha, allow_hyphen_values = true)]
        budget: Option<(f64, f64, usize)>,
        /// The table a CSV holds: frontier (the default with --budget), laws (the default
        /// without), fit. JSON holds every table.
        #[arg(long, value_name = "NAME")]
        table: Option<String>,
    },
    /// Training-time curves: gradient flow along times (DYNAMICS.md; E_g(t), E_tr(t) and early
    /// stopping at every sample size), gradient descent and one-pass SGD along step counts
    /// (TRAINING.md; a config's [training] section).
    #[command(
        after_help = "Examples:\n  lcurve dynamics configs/quickstart.toml --set readout.ridge=0 --times 0.1:1000:40\n  lcurve dynamics configs/sgd.toml --steps 1:100000:30",
        group = clap::ArgGroup::new("axis").required(true).args(["times", "steps"])
    )]
    Dynamics {
        #[command(flatten)]
        model: ModelArgs,
        /// Times (gradient flow): POINTS log-spaced from FROM to TO (FROM:TO:POINTS), or a list a,b,c.
        #[arg(long, value_name = "FROM:TO:POINTS|a,b,c", value_parser = parse_times, allow_hyphen_values = true)]
        times: Option<Times>,
        /// Step counts (gradient descent, SGD): POINTS log-spaced integers from FROM to TO
        /// (repeats removed), or a list a,b,c (0 = untrained).
        #[arg(long, value_name = "FROM:TO:POINTS|a,b,c", value_parser = parse_steps, allow_hyphen_values = true)]
        steps: Option<StepCounts>,
        /// Simulate exact gradient flow at every (p, t): each trial follows one trained network
        /// along the whole axis (adds mc_mean, mc_stderr, z, train_mc_mean).
        #[arg(long)]
        validate: bool,
        /// The table a CSV holds: points (the time axis, the default) or summary (early
        /// stopping per sample size); with every layer trained also datasets and widths.
        /// JSON holds them all.
        #[arg(long, value_name = "NAME")]
        table: Option<String>,
        /// Every layer trained: simulate networks of these widths N (with --validate; default:
        /// the config's width) and report N·⟨|β_N − β_∞|²⟩ per width — flat in N is 1/N.
        #[arg(long, value_name = "a,b,c", value_parser = parse_widths)]
        widths: Option<Widths>,
        /// Every layer trained: write every training set to DIR/p{P}-d{i}/ as features.npy
        /// (P × D), labels.npy and target.npy (β*).
        #[arg(long, value_name = "DIR")]
        save_datasets: Option<PathBuf>,
        #[command(flatten)]
        sim: SimArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Monte Carlo simulation of every sample size beside the theory.
    #[command(after_help = "Example: lcurve validate configs/quickstart.toml --trials 40 --check 4")]
    Validate {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        sim: SimArgs,
        /// Inputs of the trials: "gaussian" (x ~ N(0, Σ0), the default) or "data" (the rows
        /// of the config's [data] source, drawn with replacement; E_g over all of them).
        /// (default: [simulation] inputs, else gaussian).
        #[arg(long, value_name = "gaussian|data", value_parser = parse_inputs)]
        inputs: Option<lcurve::Inputs>,
        /// Exit with code 1 when any |z| exceeds Z.
        #[arg(long, value_name = "Z", value_parser = parse_positive, allow_hyphen_values = true)]
        check: Option<f64>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// A quick look at a model config: its learning curve E_g(p) on log axes, with
    /// Monte Carlo markers with --validate, to PNG or SVG (no figure config needed).
    #[command(after_help = "Example: lcurve plot configs/quickstart.toml --validate --out quickstart.png")]
    Plot {
        /// Model configuration (TOML).
        config: PathBuf,
        /// Override a config value (repeatable), as for `curve`.
        #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_override)]
        set: Vec<Override>,
        /// Output file: .png or .svg (default: the config's name with .png, here).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Add `validate`'s Monte Carlo markers (mean and 95% interval) at every sample size.
        #[arg(long)]
        validate: bool,
        #[command(flatten)]
        sim: SimArgs,
        /// Resolution of a PNG in dots per inch (96 gives the SVG's pixel size; 24 to 1200).
        #[arg(long, default_value_t = 96.0, value_parser = parse_positive, allow_hyphen_values = true)]
        dpi: f64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Render every figure config (TOML with a [figure] table) to PNG and SVG.
    #[command(
        after_help = "Example: lcurve figures configs/f1_double_descent.toml --out /tmp/figs --no-sim"
    )]
    Figures {
        /// Figure configs or folders to search (default: configs/).
        paths: Vec<PathBuf>,
        /// Output folder (default: figures; with --no-sim it must be given, so that theory-only
        /// figures never replace the simulated ones in figures/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Theory only: skip the Monte Carlo markers.
        #[arg(long)]
        no_sim: bool,
        /// Trials per simulated point (default: each config's [simulation] trials).
        #[arg(long, value_name = "N", value_parser = parse_trials, allow_hyphen_values = true)]
        trials: Option<usize>,
        /// Simulate at F times the theory's sizes (default: each config's [simulation] scale).
        #[arg(long, value_name = "F", value_parser = parse_positive, allow_hyphen_values = true)]
        scale: Option<f64>,
        /// Resolution of the PNGs in dots per inch (96 gives the SVG's pixel size; 24 to 1200).
        #[arg(long, default_value_t = 96.0, value_parser = parse_positive, allow_hyphen_values = true)]
        dpi: f64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Inspect or clean the results store.
    #[command(after_help = "Example: lcurve store status configs/quickstart.toml --trials 40")]
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
}

pub(crate) fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse().map_err(|e: lcurve::Invalid| e.to_string())
}

pub(crate) fn parse_override(s: &str) -> Result<Override, String> {
    s.parse().map_err(|e: lcurve::Invalid| e.to_string())
}

pub(crate) fn parse_trials(s: &str) -> Result<usize, String> {
    let n = s.trim().parse::<i64>().map_err(|_| format!("expected an integer, got {}", short(s)))?;
    lcurve::spec::rules::trials(n).map_err(|e| e.0)
}

pub(crate) fn parse_seed(s: &str) -> Result<u64, String> {
    match s.trim().parse::<i64>() {
        Ok(n) => lcurve::spec::rules::seed(n).map_err(|e| e.0),
        Err(_) => s.trim().parse::<u64>().map_err(|_| format!("expected an integer ≥ 0, got {}", short(s))),
    }
}

pub(crate) fn parse_positive(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0)
        .ok_or_else(|| format!("expected a finite number > 0, got {}", short(s)))
}

/// The times of `--times`.
#[derive(Clone, Debug)]
pub(crate) struct Times(pub(crate) Vec<f64>);

/// `FROM:TO:POINTS` (log-spaced) or `a,b,c`.
pub(crate) fn parse_times(s: &str) -> Result<Times, String> {
    if s.contains(':') {
        let (from, to, points) = parse_range(s).map_err(|_| {
            format!("expected FROM:TO:POINTS such as 0.1:1000:40, or a,b,c; got {}", short(s))
        })?;
        return lcurve::dynamics::time_range(from, to, points).map(Times).map_err(|e| e.to_string());
    }
    s.split(',')
        .map(|x| {
            x.trim()
                .parse::<f64>()
                .map_err(|_| format!("expected numbers a,b,c or FROM:TO:POINTS, got {}", short(s)))
        })
        .collect::<Result<Vec<f64>, String>>()
        .map(Times)
}

/// The step counts of `--steps`.
#[derive(Clone, Debug)]
pub(crate) struct StepCounts(pub(crate) Vec<u64>);

/// `FROM:TO:POINTS` (log-spaced integers) or `a,b,c`.
pub(crate) fn parse_steps(s: &str) -> Result<StepCounts, String> {
    if s.contains(':') {
        let (from, to, points) = parse_range(s).map_err(|_| {
            format!("expected FROM:TO:POINTS such as 1:100000:30, or a,b,c; got {}", short(s))
        })?;
        return lcurve::stepped::step_range(from, to, points).map(StepCounts).map_err(|e| e.to_string());
    }
    let values = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<f64>()
                .map_err(|_| format!("expected step counts a,b,c or FROM:TO:POINTS, got {}", short(s)))
        })
        .collect::<Result<Vec<f64>, String>>()?;
    lcurve::stepped::steps(&values).map(StepCounts).map_err(|e| e.to_string())
}

/// `--widths a,b,c`.
#[derive(Clone, Debug)]
pub(crate) struct Widths(pub Vec<usize>);

pub(crate) fn parse_widths(s: &str) -> Result<Widths, String> {
    let values = s
        .split(',')
        .map(|x| x.trim().parse::<f64>().map_err(|_| format!("expected widths a,b,c, got {}", short(s))))
        .collect::<Result<Vec<f64>, String>>()?;
    lcurve::features::widths(&values).map(Widths).map_err(|e| e.to_string())
}

pub(crate) fn parse_inputs(s: &str) -> Result<lcurve::Inputs, String> {
    lcurve::Inputs::named(s.trim()).map_err(|e| e.0)
}

pub(crate) fn parse_alpha(s: &str) -> Result<(f64, f64, usize), String> {
    let (from, to, points) = parse_range(s)?;
    let points = usize::try_from(points)
        .map_err(|_| format!("expected FROM:TO:POINTS with POINTS ≥ 1, got {}", short(s)))?;
    Ok((from, to, points))
}

/// `FROM:TO:POINTS` with any integer POINTS (the library checks its range).
pub(crate) fn parse_range(s: &str) -> Result<(f64, f64, i64), String> {
    let parts: Vec<&str> = s.split(':').collect();
    let bad = || format!("expected FROM:TO:POINTS such as 0.1:10:50, got {}", short(s));
    if parts.len() != 3 {
        return Err(bad());
    }
    let from = parts[0].trim().parse::<f64>().map_err(|_| bad())?;
    let to = parts[1].trim().parse::<f64>().map_err(|_| bad())?;
    let points = parts[2].trim().parse::<i64>().map_err(|_| bad())?;
    Ok((from, to, points))
}

/// A user's value shortened for a one-line message.
pub(crate) fn short(s: &str) -> String {
    let n = s.chars().count();
    if n <= 40 {
        s.to_string()
    } else {
        format!("{}… ({n} characters)", s.chars().take(40).collect::<String>())
    }
}

impl ModelArgs {
    /// The config with `--set` and `--alpha` applied, and the output format; the output
    /// path is checked before anything is computed.
    pub(crate) fn load(&self) -> Result<(Config, Format), Failure> {
        if let Some(out) = &self.out {
            output::check_target(out)?;
        }
        let mut cfg = Config::load_with(&self.config, &self.set)?;
        if let Some((from, to, points)) = self.alpha {
            cfg = cfg.with_alpha_range(from, to, points, true)?;
        }
        let format = match self.format {
            Some(FormatArg::Csv) => Format::Csv,
            Some(FormatArg::Json) => Format::Json,
            None => Format::for_path(self.out.as_deref().filter(|p| !output::is_stdout(Some(p)))),
        };
        Ok((cfg, format))
    }

    pub(crate) fn emit(&self, text: &str) -> Result<(), Failure> {
        Ok(output::emit(self.out.as_deref(), text)?)
    }
}

/// Parses the command line; a bad flag is one line (clap's first line, without its usage
/// block) and exit code 2.
pub(crate) fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|e| {
        use clap::error::ErrorKind;
        if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
            || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        {
            let _ = e.print();
            return ExitCode::from(if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                2
            } else {
                0
            });
        }
        let text = e.render().to_string();
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
        let first = first.trim().trim_start_matches("error: ");
        // clap lists the accepted values on a later line: keep them on the one line.
        let values = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("[possible values: "))
            .map(|v| format!("; expected one of {}", v.trim_end_matches(']')))
            .unwrap_or_default();
        // And clap's "did you mean" (a similar subcommand or flag exists).
        let tip = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("tip: "))
            .map(|t| format!("; {}", short_line(t)))
            .unwrap_or_default();
        eprintln!("error: {}{values}{tip} (see lcurve --help)", short_line(first));
        ExitCode::from(2)
    })
}

/// A clap message with any echoed value shortened.
pub(crate) fn short_line(s: &str) -> String {
    if s.chars().count() <= 300 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(300).collect::<String>())
    }
}
