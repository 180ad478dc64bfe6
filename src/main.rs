//! Command-line interface: parses arguments, calls the library, prints. Exit codes:
//! 0 success, 1 a failed computation or `--check`, 2 bad input (config, flags, paths),
//! 130 interrupted by SIGINT (Ctrl-C), 143 by SIGTERM.

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lcurve::config::Override;
use lcurve::output::{self, Format};
use lcurve::progress::{Note, Progress};
use lcurve::spec::text::plural;
use lcurve::store::Store;
use lcurve::validate::Shard;
use lcurve::Config;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// mimalloc keeps freed pages for reuse. glibc's allocator hands a Monte Carlo trial's
/// ≈ 50 MB of matrices back to the kernel after every trial and faults them in again on
/// the next: a third of a trial's time (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "lcurve",
    version,
    about = "Learning curves of ridge regression on deep structured Gaussian random features",
    after_help = "Example: lcurve curve configs/quickstart.toml --out curve.csv"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output format of a table.
#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Csv,
    Json,
}

/// Arguments shared by `curve` and `validate`: the config and how to change it.
#[derive(clap::Args)]
struct ModelArgs {
    /// Model configuration (TOML).
    config: PathBuf,
    /// Override a config value (repeatable): a dotted key and a TOML value, e.g.
    /// `--set readout.ridge=0.1 --set layers[0].width=800`.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_override)]
    set: Vec<Override>,
    /// Sample sizes p = α·n0 for POINTS log-spaced α from FROM to TO (replaces [samples]).
    #[arg(long, value_name = "FROM:TO:POINTS", value_parser = parse_alpha, allow_hyphen_values = true)]
    alpha: Option<(f64, f64, usize)>,
    /// Output file, or - for stdout (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output format (default: json if --out ends in .json, else csv).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
}

/// Where Monte Carlo trials are kept.
#[derive(clap::Args)]
struct StoreArgs {
    /// Results store folder: every finished trial is kept there and reused (default:
    /// $LCURVE_STORE, else .lcurve-store).
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Use no store: simulate every trial and keep none.
    #[arg(long, conflicts_with_all = ["store", "shard"])]
    no_store: bool,
    /// Compute only shard i of N (0 ≤ i < N) of the trials into the store and write no
    /// output; a later run without --shard assembles the result (for job arrays).
    #[arg(long, value_name = "i/N", value_parser = parse_shard)]
    shard: Option<Shard>,
}

impl StoreArgs {
    fn open(&self) -> Result<Option<Arc<Store>>, Failure> {
        if self.no_store {
            return Ok(None);
        }
        let dir = self.store.clone().unwrap_or_else(lcurve::store::default_dir);
        Ok(Some(Arc::new(Store::open(&dir)?)))
    }
}

/// Folder and simulation options of `lcurve store`.
#[derive(clap::Args)]
struct StoreQuery {
    /// Model or figure configs, or folders of them (default: configs/).
    paths: Vec<PathBuf>,
    /// Results store folder (default: $LCURVE_STORE, else .lcurve-store).
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// The trials, seed and scale the runs use (as given to validate or figures).
    #[command(flatten)]
    sim: SimArgs,
}

/// Monte Carlo settings that replace a config's `[simulation]` values.
#[derive(clap::Args)]
struct SimArgs {
    /// Trials per sample size (default: [simulation] trials, else 20).
    #[arg(long, value_name = "N", value_parser = parse_trials, allow_hyphen_values = true)]
    trials: Option<usize>,
    /// Seed of the random streams (default: [simulation] seed, else 1).
    #[arg(long, value_name = "S", value_parser = parse_seed, allow_hyphen_values = true)]
    seed: Option<u64>,
    /// Multiply n0, every width and every sample size by F (default: [simulation] scale, else 1).
    #[arg(long, value_name = "F", value_parser = parse_positive, allow_hyphen_values = true)]
    scale: Option<f64>,
}

#[derive(Subcommand)]
enum StoreAction {
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
    },
}

#[derive(Subcommand)]
enum Command {
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
    },
    /// Training-time curves (gradient flow, DYNAMICS.md): E_g(t), E_tr(t) at every sample
    /// size, and early stopping (t*) beside the converged readout and the optimal ridge.
    #[command(
        after_help = "Example: lcurve dynamics configs/quickstart.toml --set readout.ridge=0 --times 0.1:1000:40"
    )]
    Dynamics {
        #[command(flatten)]
        model: ModelArgs,
        /// Times: POINTS log-spaced from FROM to TO (FROM:TO:POINTS), or a list a,b,c.
        #[arg(long, value_name = "FROM:TO:POINTS|a,b,c", value_parser = parse_times, allow_hyphen_values = true)]
        times: Times,
        /// Simulate exact gradient flow at every (p, t): each trial follows one trained network
        /// along the whole axis (adds mc_mean, mc_stderr, z, train_mc_mean).
        #[arg(long)]
        validate: bool,
        /// Trials per sample size with --validate (default: [simulation] trials, else 20).
        #[arg(long, value_name = "N", value_parser = parse_trials, allow_hyphen_values = true)]
        trials: Option<usize>,
        /// Seed of the random streams with --validate (default: [simulation] seed, else 1).
        #[arg(long, value_name = "S", value_parser = parse_seed, allow_hyphen_values = true)]
        seed: Option<u64>,
        /// Results store of the --validate trials (shared with `validate` at a training time).
        #[arg(long, value_name = "DIR", conflicts_with = "no_store")]
        store: Option<PathBuf>,
        /// Use no store: simulate every trial and keep none.
        #[arg(long, conflicts_with = "shard")]
        no_store: bool,
        /// With --validate: compute only shard i of N of the trajectories into the store and
        /// write no output; a later run without --shard assembles the result.
        #[arg(long, value_name = "i/N", value_parser = parse_shard)]
        shard: Option<lcurve::validate::Shard>,
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

fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse().map_err(|e: lcurve::Invalid| e.to_string())
}

fn parse_override(s: &str) -> Result<Override, String> {
    s.parse().map_err(|e: lcurve::Invalid| e.to_string())
}

fn parse_trials(s: &str) -> Result<usize, String> {
    let max = lcurve::simulation::MAX_TRIALS;
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|&n| n >= 1 && n as usize <= max)
        .map(|n| n as usize)
        .ok_or_else(|| format!("expected an integer from 1 to {max}, got {}", short(s)))
}

fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim().parse::<u64>().map_err(|_| format!("expected an integer ≥ 0, got {}", short(s)))
}

fn parse_positive(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0)
        .ok_or_else(|| format!("expected a finite number > 0, got {}", short(s)))
}

/// The times of `--times`.
#[derive(Clone, Debug)]
struct Times(Vec<f64>);

/// `FROM:TO:POINTS` (log-spaced) or `a,b,c`.
fn parse_times(s: &str) -> Result<Times, String> {
    if s.contains(':') {
        let (from, to, points) = parse_alpha(s).map_err(|_| {
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

fn parse_inputs(s: &str) -> Result<lcurve::Inputs, String> {
    lcurve::Inputs::named(s.trim()).map_err(|e| e.0)
}

fn parse_alpha(s: &str) -> Result<(f64, f64, usize), String> {
    let parts: Vec<&str> = s.split(':').collect();
    let bad = || format!("expected FROM:TO:POINTS such as 0.1:10:50, got {}", short(s));
    if parts.len() != 3 {
        return Err(bad());
    }
    let from = parts[0].trim().parse::<f64>().map_err(|_| bad())?;
    let to = parts[1].trim().parse::<f64>().map_err(|_| bad())?;
    let points = parts[2].trim().parse::<usize>().map_err(|_| bad())?;
    Ok((from, to, points))
}

/// A user's value shortened for a one-line message.
fn short(s: &str) -> String {
    let n = s.chars().count();
    if n <= 40 {
        s.to_string()
    } else {
        format!("{}… ({n} characters)", s.chars().take(40).collect::<String>())
    }
}

/// A progress observer drawing on stderr with indicatif, silent when stderr is not a
/// terminal. Bars follow the library's cost-weighted units; a stage of unknown size (one
/// large factorisation) is a spinner with its elapsed time.
struct Terminal {
    bar: Mutex<Option<ProgressBar>>,
    enabled: bool,
    /// The signal that asked the run to stop (SIGINT or SIGTERM), 0 for none.
    signal: Arc<AtomicUsize>,
}

impl Terminal {
    /// A terminal observer; SIGINT and SIGTERM make the run stop after the work in flight
    /// (a second one ends the process at once).
    fn new() -> Self {
        let signal = Arc::new(AtomicUsize::new(0));
        let again = Arc::new(AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            let code = 128 + sig;
            // Registration fails only for forbidden signals; these two are allowed.
            let _ = signal_hook::flag::register_conditional_shutdown(sig, code, Arc::clone(&again));
            let _ = signal_hook::flag::register(sig, Arc::clone(&again));
            let _ = signal_hook::flag::register_usize(sig, Arc::clone(&signal), sig as usize);
        }
        Terminal { bar: Mutex::new(None), enabled: std::io::stderr().is_terminal(), signal }
    }

    fn signal(&self) -> usize {
        self.signal.load(Ordering::Relaxed)
    }
}

impl Progress for Terminal {
    fn start(&self, what: &str, total: u64) {
        if !self.enabled {
            return;
        }
        let pb = if total == 0 {
            let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            pb.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("static template"),
            );
            pb.enable_steady_tick(std::time::Duration::from_millis(200));
            pb
        } else {
            let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            pb.set_style(
                ProgressStyle::with_template("{msg:>10} [{bar:40}] {percent:>3}% ({elapsed}, eta {eta})")
                    .expect("static template")
                    .progress_chars("=> "),
            );
            pb
        };
        pb.set_message(what.to_string());
        if let Some(old) = self.bar.lock().expect("progress lock").replace(pb) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, units: u64) {
        if let Some(pb) = self.bar.lock().expect("progress lock").as_ref() {
            pb.inc(units);
        }
    }

    fn finish(&self) {
        if let Some(pb) = self.bar.lock().expect("progress lock").take() {
            pb.finish_and_clear();
        }
    }

    fn note(&self, note: &Note) {
        match self.bar.lock().expect("progress lock").as_ref() {
            Some(pb) => pb.suspend(|| eprintln!("{note}")),
            None => eprintln!("{note}"),
        }
    }

    fn cancelled(&self) -> bool {
        self.signal() != 0
    }
}

/// Why the command line stopped: a library error, a bad flag found here, or a signal
/// (with what was kept for resuming).
enum Failure {
    Lib(lcurve::Error),
    Usage(String),
    Stopped { signal: usize, kept: String },
}

impl From<lcurve::Error> for Failure {
    fn from(e: lcurve::Error) -> Self {
        Failure::Lib(e)
    }
}

/// The flag behind a library option name.
fn flag(option: &str) -> String {
    format!("--{option}")
}

impl Failure {
    fn message(&self) -> String {
        match self {
            Failure::Lib(lcurve::Error::Option { option, message }) => format!("{}: {message}", flag(option)),
            Failure::Lib(e) => e.to_string(),
            Failure::Usage(m) => m.clone(),
            Failure::Stopped { signal, kept } => {
                let name =
                    if *signal == signal_hook::consts::SIGTERM as usize { "SIGTERM" } else { "SIGINT" };
                format!("interrupted by {name}; {kept}")
            }
        }
    }

    fn exit_code(&self) -> u8 {
        match self {
            Failure::Lib(lcurve::Error::Interrupted { .. }) => 130,
            Failure::Lib(e) if e.is_input() => 2,
            Failure::Lib(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Stopped { signal, .. } => (128 + signal).min(255) as u8,
        }
    }
}

/// Exit status of a run that completed: success, or a failed `--check`.
enum Outcome {
    Done,
    CheckFailed,
}

impl ModelArgs {
    /// The config with `--set` and `--alpha` applied, and the output format; the output
    /// path is checked before anything is computed.
    fn load(&self) -> Result<(Config, Format), Failure> {
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

    fn emit(&self, text: &str) -> Result<(), Failure> {
        Ok(output::emit(self.out.as_deref(), text)?)
    }
}

/// A job's result; a run stopped by a signal wrote nothing.
fn no_output<T>(r: lcurve::Result<T>, progress: &Terminal) -> Result<T, Failure> {
    match r {
        Err(lcurve::Error::Interrupted { .. }) if progress.signal() != 0 => {
            Err(Failure::Stopped { signal: progress.signal(), kept: "no output written".into() })
        }
        r => Ok(r?),
    }
}

fn run(cli: Cli) -> Result<Outcome, Failure> {
    let progress = Terminal::new();
    match cli.command {
        Command::Curve { model, exponents } => {
            let (cfg, format) = model.load()?;
            let curve = no_output(lcurve::curve::run_with(&cfg, exponents, &progress), &progress)?;
            model.emit(&curve.render(cfg.source(), format))?;
            Ok(Outcome::Done)
        }
        Command::Dynamics { model, times, validate, trials, seed, store, no_store, shard } => {
            if shard.is_some() && !validate {
                return Err(Failure::Usage("--shard: only a --validate run has trials to share out".into()));
            }
            let (cfg, format) = model.load()?;
            let times = lcurve::dynamics::times(times.0)?;
            let simulate = validate.then(|| lcurve::dynamics::Simulate {
                trials: trials.unwrap_or(cfg.simulation().trials),
                seed: seed.unwrap_or(cfg.simulation().seed),
                shard,
            });
            let st = if validate && !no_store {
                let dir = store.unwrap_or_else(lcurve::store::default_dir);
                Some(Store::open(&dir)?)
            } else {
                None
            };
            let d = no_output(
                lcurve::dynamics::run_with(&cfg, &times, simulate, st.as_ref(), &progress),
                &progress,
            )?;
            if let Some(sh) = shard {
                eprintln!(
                    "dynamics: shard {}/{} computed its trajectories into the store",
                    sh.index, sh.count
                );
                return Ok(Outcome::Done);
            }
            model.emit(&d.render(cfg.source(), format))?;
            if let (Some(s), Some(z)) = (simulate, d.max_abs_z()) {
                eprintln!("dynamics: {} points × {} trials; max |z| = {z:.2}", d.points.len(), s.trials);
            }
            Ok(Outcome::Done)
        }
        Command::Scaling { model, budget } => {
            let (cfg, format) = model.load()?;
            let budgets = budget.map(|(f, t, n)| lcurve::scaling::budgets(f, t, n)).transpose()?;
            let report = no_output(lcurve::scaling::run(&cfg, budgets.as_deref(), &progress), &progress)?;
            model.emit(&report.render(cfg.source(), format))?;
            Ok(Outcome::Done)
        }
        Command::Figures { paths, out, no_sim, trials, scale, dpi, store } => {
            let paths = if paths.is_empty() { vec![PathBuf::from("configs")] } else { paths };
            let out = match (out, no_sim) {
                (Some(out), _) => out,
                (None, false) => PathBuf::from("figures"),
                (None, true) => {
                    return Err(Failure::Usage(
                        "--no-sim draws theory-only figures: give --out DIR (the default folder figures/ holds the figures with simulation markers)".into(),
                    ))
                }
            };
            let st = store.open()?;
            let opts = lcurve::figures::SimOptions {
                disabled: no_sim,
                trials,
                scale,
                store: st.clone(),
                shard: store.shard,
            };
            opts.check()?;
            lcurve::figures::render::check_dpi(dpi)?;
            let found = lcurve::figures::discover(&paths)?;
            if found.is_empty() {
                let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                return Err(Failure::Usage(format!(
                    "no figure config (TOML with a [figure] table) in {}",
                    list.join(", ")
                )));
            }
            let started = std::time::Instant::now();
            let written = stopped(
                lcurve::figures::render_all(&found, &out, &opts, dpi, &progress),
                &progress,
                st.as_deref(),
            )?;
            if let (Some(shard), Some(st)) = (store.shard, &st) {
                eprintln!(
                    "figures: shard {}/{}: {} computed and stored in {} ({:.1} s); run without --shard to draw",
                    shard.index,
                    shard.count,
                    plural(st.appended() as usize, "trial"),
                    st.root().display(),
                    started.elapsed().as_secs_f64()
                );
                return Ok(Outcome::Done);
            }
            for r in &written {
                let mut agreement = match r.max_abs_z {
                    Some(z) => format!(" (simulation: {}, max |z| = {z:.2})", plural(r.markers, "marker")),
                    None => String::new(),
                };
                if let (n, Some(z)) = r.failure {
                    agreement.push_str(&format!(
                        "; {} in panels that show where the theory fails, on purpose: max |z| = {z:.2} there",
                        plural(n, "marker")
                    ));
                }
                eprintln!("wrote {} and {}{agreement}", r.png.display(), r.svg.display());
            }
            eprintln!("{} in {:.1} s", plural(written.len(), "figure"), started.elapsed().as_secs_f64());
            Ok(Outcome::Done)
        }
        Command::Validate { model, sim: SimArgs { trials, seed, scale }, inputs, check, store } => {
            if store.shard.is_some() && model.out.is_some() {
                return Err(Failure::Usage(
                    "--out: a --shard run writes no output (run without --shard to assemble it)".into(),
                ));
            }
            let (cfg, format) = model.load()?;
            let defaults = lcurve::validate::Options::from_config(&cfg);
            let opts = lcurve::validate::Options {
                trials: trials.unwrap_or(defaults.trials),
                seed: seed.unwrap_or(defaults.seed),
                scale: scale.unwrap_or(defaults.scale),
                inputs: inputs.unwrap_or(defaults.inputs),
            };
            // Checks the options and the memory before the store is opened; the time estimate
            // comes once the store's trials are known (a progress note).
            lcurve::validate::plan(&cfg, &opts)?;
            let st = store.open()?;
            if let (Some(shard), Some(st)) = (store.shard, &st) {
                let r = stopped(
                    lcurve::validate::run_shard(&cfg, &opts, st, shard, &progress),
                    &progress,
                    Some(st),
                )?;
                eprintln!(
                    "validate: shard {}/{}: {} of {} assigned; {} already stored, {} computed and stored in {}; run without --shard to assemble",
                    shard.index,
                    shard.count,
                    r.assigned,
                    plural(r.total as usize, "trial"),
                    r.stored,
                    r.computed,
                    st.root().display()
                );
                return Ok(Outcome::Done);
            }
            let v = stopped(
                lcurve::validate::run_stored(&cfg, &opts, st.as_deref(), &progress),
                &progress,
                st.as_deref(),
            )?;
            model.emit(&v.render(cfg.source(), format))?;
            eprintln!("{}", v.summary_line());
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
        Command::Store { action } => store_command(action),
    }
}

/// A run stopped by a signal becomes [`Failure::Stopped`], saying what the store kept.
fn stopped<T>(r: lcurve::Result<T>, progress: &Terminal, store: Option<&Store>) -> Result<T, Failure> {
    match r {
        Err(lcurve::Error::Interrupted { .. }) if progress.signal() != 0 => {
            let kept = match store {
                Some(st) => format!(
                    "{} finished in this run {} kept in {}; run the same command again to resume",
                    plural(st.appended() as usize, "trial"),
                    if st.appended() == 1 { "is" } else { "are" },
                    st.root().display()
                ),
                None => "no trials kept (--no-store); no output written".into(),
            };
            Err(Failure::Stopped { signal: progress.signal(), kept })
        }
        r => Ok(r?),
    }
}

fn store_command(action: StoreAction) -> Result<Outcome, Failure> {
    let (StoreAction::Status { query } | StoreAction::Gc { query }) = &action;
    let dir = query.store.clone().unwrap_or_else(lcurve::store::default_dir);
    let store = Store::open(&dir)?;
    let paths = if query.paths.is_empty() { vec![PathBuf::from("configs")] } else { query.paths.clone() };
    let overrides =
        lcurve::refs::Overrides { trials: query.sim.trials, seed: query.sim.seed, scale: query.sim.scale };
    let mb = |b: u64| match b {
        0..1_000_000 => format!("{:.1} kB", b as f64 / 1e3),
        _ => format!("{:.1} MB", b as f64 / 1e6),
    };
    match action {
        StoreAction::Status { .. } => {
            let st = store.status()?;
            println!(
                "{}: {} of {} in {} ({}){}",
                dir.display(),
                plural(st.records, "trial"),
                plural(st.points, "point"),
                plural(st.files, "file"),
                mb(st.bytes),
                if st.old_files > 0 {
                    format!(
                        "; {} of older simulation versions ({}), removed by gc",
                        plural(st.old_files, "file"),
                        mb(st.old_bytes)
                    )
                } else {
                    String::new()
                }
            );
            if !query.paths.is_empty() || paths[0].is_dir() {
                let needs = lcurve::refs::needs(&paths, &overrides)?;
                let keys = lcurve::refs::keys(&needs);
                let (held, warnings) = lcurve::refs::held(&store, Some(&keys))?;
                warnings.iter().for_each(|w| eprintln!("{w}"));
                for n in &needs {
                    let (total, stored) = (n.trials(), n.stored(&held));
                    println!(
                        "{}: {stored} of {} stored, {} missing",
                        n.source,
                        plural(total, "trial"),
                        total - stored
                    );
                }
            }
        }
        StoreAction::Gc { .. } => {
            let needs = lcurve::refs::needs(&paths, &overrides)?;
            let keys = lcurve::refs::keys(&needs);
            let r = store.gc(Some(&keys))?;
            let live = match r.live_files {
                0 => String::new(),
                n => format!("; left {} that running lcurve processes write", plural(n, "file")),
            };
            println!(
                "{}: kept {} of {} in finished files, referred to by {} (store now {}, was {}); removed {} of older versions{live}",
                dir.display(),
                plural(r.compacted, "trial"),
                plural(r.read, "trial"),
                plural(needs.len(), "config"),
                mb(r.after.bytes),
                mb(r.before.bytes + r.before.old_bytes),
                plural(r.before.old_files, "file")
            );
        }
    }
    Ok(Outcome::Done)
}

/// Parses the command line; a bad flag is one line (clap's first line, without its usage
/// block) and exit code 2.
fn parse() -> Result<Cli, ExitCode> {
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
        eprintln!("error: {}{values} (see lcurve --help)", short_line(first));
        ExitCode::from(2)
    })
}

/// A clap message with any echoed value shortened.
fn short_line(s: &str) -> String {
    if s.chars().count() <= 300 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(300).collect::<String>())
    }
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match run(cli) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::CheckFailed) => ExitCode::from(1),
        Err(f) => {
            eprintln!("error: {}", f.message());
            ExitCode::from(f.exit_code())
        }
    }
}
