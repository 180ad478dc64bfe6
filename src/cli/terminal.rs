//! The terminal: a progress observer drawing on stderr, the signals that stop a run, and
//! the mapping of a failure to its one-line message and exit code (0 success, 1 a failed
//! computation or `--check`, 2 bad input, 130 SIGINT, 143 SIGTERM).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lcurve::progress::{Note, Progress};
use lcurve::spec::text::plural;
use lcurve::store::Store;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A progress observer drawing on stderr with indicatif, silent when stderr is not a
/// terminal. Bars follow the library's cost-weighted units; a stage of unknown size (one
/// large factorisation) is a spinner with its elapsed time.
pub(crate) struct Terminal {
    bar: Mutex<Option<ProgressBar>>,
    enabled: bool,
    /// The signal that asked the run to stop (SIGINT or SIGTERM), 0 for none.
    signal: Arc<AtomicUsize>,
    /// Whether the next signal ends the process at once (after a first one, and while a
    /// config is read).
    again: Arc<AtomicBool>,
}

impl Terminal {
    /// A terminal observer; SIGINT and SIGTERM make the run stop after the work in flight
    /// (a second one ends the process at once).
    pub(crate) fn new() -> Self {
        let signal = Arc::new(AtomicUsize::new(0));
        let again = Arc::new(AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            let code = 128 + sig;
            // Registration fails only for forbidden signals; these two are allowed.
            let _ = signal_hook::flag::register_conditional_shutdown(sig, code, Arc::clone(&again));
            let _ = signal_hook::flag::register(sig, Arc::clone(&again));
            let _ = signal_hook::flag::register_usize(sig, Arc::clone(&signal), sig as usize);
        }
        Terminal { bar: Mutex::new(None), enabled: std::io::stderr().is_terminal(), signal, again }
    }

    /// Runs `read` (loading a config: files, a dataset's analysis) so that the first SIGINT
    /// or SIGTERM ends the process at once with its exit code: nothing has been written
    /// yet, and a dataset's eigendecomposition has no point at which to stop.
    pub(crate) fn while_reading<T>(&self, read: impl FnOnce() -> T) -> T {
        self.again.store(true, Ordering::SeqCst);
        let out = read();
        self.again.store(false, Ordering::SeqCst);
        out
    }

    pub(crate) fn signal(&self) -> usize {
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
pub(crate) enum Failure {
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
pub(crate) fn flag(option: &str) -> String {
    format!("--{option}")
}

impl Failure {
    pub(crate) fn message(&self) -> String {
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

    pub(crate) fn exit_code(&self) -> u8 {
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
pub(crate) enum Outcome {
    Done,
    CheckFailed,
}

/// A job's result; a run stopped by a signal wrote nothing.
pub(crate) fn no_output<T>(r: lcurve::Result<T>, progress: &Terminal) -> Result<T, Failure> {
    match r {
        Err(lcurve::Error::Interrupted { .. }) if progress.signal() != 0 => {
            Err(Failure::Stopped { signal: progress.signal(), kept: "no output written".into() })
        }
        r => Ok(r?),
    }
}

/// A run stopped by a signal becomes [`Failure::Stopped`], saying what the store kept.
pub(crate) fn stopped<T>(
    r: lcurve::Result<T>,
    progress: &Terminal,
    store: Option<&Store>,
) -> Result<T, Failure> {
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
