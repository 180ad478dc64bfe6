//! What each command does: load, call the library, print. Every decision is the
//! library's; this file translates results into lines on stdout and stderr.

use super::args::{Cli, Command, ModelArgs, StoreAction, StoreArgs};
use super::terminal::{no_output, stopped, Failure, Outcome, Terminal};
use lcurve::run::Ran;
use lcurve::spec::text::plural;
use lcurve::store::Store;
use lcurve::SimulationOverrides;
use std::path::PathBuf;

/// Runs one command with a terminal progress observer.
pub(crate) fn run(cli: Cli) -> Result<Outcome, Failure> {
    let progress = Terminal::new();
    match cli.command {
        Command::Curve { model, exponents } => {
            let (cfg, format) = progress.while_reading(|| model.load())?;
            let curve = no_output(lcurve::curve::run_with(&cfg, exponents, &progress), &progress)?;
            model.emit(&curve.render(cfg.source(), format))?;
            Ok(Outcome::Done)
        }
        Command::Dynamics { model, times, steps, validate, table, widths, save_datasets, sim, store } => {
            if store.shard.is_some() && !validate {
                return Err(Failure::Usage("--shard: only a --validate run has trials to share out".into()));
            }
            let (cfg, format) = progress.while_reading(|| model.load())?;
            let axis = lcurve::dynamics::axis(times.map(|t| t.0), steps.map(|k| k.0))?;
            let run = if validate { Some(store.run_options(sim.overrides(None))?) } else { None };
            let kept = run.as_ref().and_then(|r| r.store());
            if widths.is_some() && !validate {
                return Err(Failure::Usage("--widths: the widths are simulated: add --validate".into()));
            }
            let options = lcurve::features::FeatureOptions { widths: widths.map(|w| w.0), save_datasets };
            let report = stopped(
                lcurve::dynamics::run_axis(&cfg, &axis, run.as_ref(), &options, &progress),
                &progress,
                kept,
            )?;
            if let Some(sh) = store.shard {
                eprintln!(
                    "dynamics: shard {}/{} computed its trajectories into the store",
                    sh.index, sh.count
                );
                return Ok(Outcome::Done);
            }
            model.emit(&report.render(cfg.source(), format, table.as_deref())?)?;
            for w in report.warnings() {
                eprintln!("dynamics: warning: {w}");
            }
            if let Some((points, trials, z)) = report.simulation_check() {
                let caveat =
                    lcurve::stats::few_trials_caveat(trials).map(|c| format!("; {c}")).unwrap_or_default();
                eprintln!("dynamics: {points} points × {trials} trials; max |z| = {z:.2}{caveat}");
            }
            Ok(Outcome::Done)
        }
        Command::Scaling { model, budget, table } => {
            let (cfg, format) = progress.while_reading(|| model.load())?;
            let budgets = budget.map(|(f, t, n)| lcurve::scaling::budgets(f, t, n)).transpose()?;
            let report = no_output(lcurve::scaling::run(&cfg, budgets.as_deref(), &progress), &progress)?;
            model.emit(&report.render(cfg.source(), format, table.as_deref())?)?;
            for n in report.notes() {
                eprintln!("scaling: note: {n}");
            }
            Ok(Outcome::Done)
        }
        Command::Figures { paths, out, no_sim, trials, scale, dpi, store } => figures(
            paths,
            out,
            no_sim,
            SimulationOverrides { trials, scale, ..Default::default() },
            dpi,
            store,
            &progress,
        ),
        Command::Validate { model, sim, inputs, check, store } => {
            validate(model, sim.overrides(inputs), check, store, &progress)
        }
        Command::Plot { config, set, out, validate, sim, dpi, store } => {
            plot(&config, &set, out, validate, sim.overrides(None), dpi, store, &progress)
        }
        Command::Store { action } => store_command(action),
    }
}

#[allow(clippy::too_many_arguments)] // the command's flags, one each
fn plot(
    config: &std::path::Path,
    set: &[lcurve::config::Override],
    out: Option<PathBuf>,
    validate: bool,
    overrides: SimulationOverrides,
    dpi: f64,
    store: StoreArgs,
    progress: &Terminal,
) -> Result<Outcome, Failure> {
    let name = config.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "plot".into());
    let out = out.unwrap_or_else(|| PathBuf::from(format!("{name}.png")));
    let svg_out = match out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("svg") => true,
        Some("png") => false,
        _ => {
            return Err(Failure::Usage(format!("--out: expected a .png or .svg file, got {}", out.display())))
        }
    };
    lcurve::output::check_target(&out)?;
    lcurve::figures::render::check_dpi(dpi)?;
    let mut run = store.run_options(overrides)?;
    run.simulate = validate;
    run.check()?;
    let data = stopped(lcurve::figures::look(config, set, &run, progress), progress, run.store())?;
    let svg = lcurve::figures::render::svg(&data)?;
    let bytes = if svg_out { svg.into_bytes() } else { lcurve::figures::render::png(&svg, dpi)? };
    lcurve::output::write_atomic(&out, &bytes)?;
    let (markers, z) = data.agreement();
    let agreement = z
        .map(|z| format!(" (simulation: {}, max |z| = {z:.2})", plural(markers, "marker")))
        .unwrap_or_default();
    eprintln!("wrote {}{agreement}", out.display());
    Ok(Outcome::Done)
}

fn figures(
    paths: Vec<PathBuf>,
    out: Option<PathBuf>,
    no_sim: bool,
    overrides: SimulationOverrides,
    dpi: f64,
    store: StoreArgs,
    progress: &Terminal,
) -> Result<Outcome, Failure> {
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
    let mut run = store.run_options(overrides)?;
    run.simulate = !no_sim;
    run.check()?;
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
    let written =
        stopped(lcurve::figures::render_all(&found, &out, &run, dpi, progress), progress, run.store())?;
    if let (Some(shard), Some(st)) = (run.shard, run.store()) {
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

fn validate(
    model: ModelArgs,
    overrides: SimulationOverrides,
    check: Option<f64>,
    store: StoreArgs,
    progress: &Terminal,
) -> Result<Outcome, Failure> {
    if store.shard.is_some() && model.out.is_some() {
        return Err(Failure::Usage(
            "--out: a --shard run writes no output (run without --shard to assemble it)".into(),
        ));
    }
    let (cfg, format) = progress.while_reading(|| model.load())?;
    // Checks the options and the memory before the store is opened; the time estimate
    // comes once the store's trials are known (a progress note).
    lcurve::validate::plan(&cfg, &cfg.simulation().with(&overrides)?)?;
    let run = store.run_options(overrides)?;
    let v = match stopped(lcurve::validate::execute(&cfg, &run, progress), progress, run.store())? {
        Ran::Done(v) => v,
        Ran::Shard(r) => {
            let (shard, root) = match (run.shard, run.store()) {
                (Some(sh), Some(st)) => (sh, st.root().display().to_string()),
                _ => return Err(Failure::Usage("--shard: needs a store".into())),
            };
            eprintln!(
                "validate: shard {}/{}: {} of {} assigned; {} already stored, {} computed and stored in {root}; run without --shard to assemble",
                shard.index,
                shard.count,
                r.assigned,
                plural(r.total as usize, "trial"),
                r.stored,
                r.computed,
            );
            return Ok(Outcome::Done);
        }
    };
    model.emit(&v.render(cfg.source(), format))?;
    eprintln!("{}", v.summary_line());
    if v.rows.iter().any(|r| r.mc.trials < 2) {
        eprintln!("note: points with fewer than 2 trials have no standard error, interval or z");
    }
    if let Some(limit) = check {
        let bad = v.failures(limit);
        if !bad.is_empty() {
            let list: Vec<String> = bad.iter().map(|(p, z)| format!("p = {p} (z = {z:.2})")).collect();
            eprintln!("check failed: |z| > {limit} at {}", list.join(", "));
            return Ok(Outcome::CheckFailed);
        }
    }
    Ok(Outcome::Done)
}

pub(crate) fn store_command(action: StoreAction) -> Result<Outcome, Failure> {
    let (StoreAction::Status { query } | StoreAction::Gc { query, .. }) = &action;
    let dir = query.store.clone().unwrap_or_else(lcurve::store::default_dir);
    let store = Store::open(&dir)?;
    let paths = if query.paths.is_empty() { vec![PathBuf::from("configs")] } else { query.paths.clone() };
    let overrides = query.sim.overrides(None);
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
        StoreAction::Gc { prune, .. } => {
            let needs = if prune { Some(lcurve::refs::needs(&paths, &overrides)?) } else { None };
            let keys = needs.as_ref().map(|n| lcurve::refs::keys(n));
            let r = store.gc(keys.as_ref())?;
            let live = match r.live_files {
                0 => String::new(),
                n => format!("; left {} that running lcurve processes write", plural(n, "file")),
            };
            let kept = match &needs {
                Some(n) => format!("referred to by {}", plural(n.len(), "config")),
                None => "all of the current version (--prune deletes those no config refers to)".into(),
            };
            println!(
                "{}: kept {} of {} in finished files, {kept} (store now {}, was {}); removed {} of older versions{live}",
                dir.display(),
                plural(r.compacted, "trial"),
                plural(r.read, "trial"),
                mb(r.after.bytes),
                mb(r.before.bytes + r.before.old_bytes),
                plural(r.before.old_files, "file")
            );
        }
    }
    Ok(Outcome::Done)
}
