//! Progress reporting and cancellation, as an observer the caller supplies. The library
//! never draws anything itself: the command line plugs in a terminal bar, Python a
//! callable, tests and library users [`Silent`].

use crate::spec::limits::MIN_EFFECTIVE_RANK;
use crate::spec::text::plural;
use crate::support::resources::{duration, gb};
use std::fmt;
use std::path::PathBuf;

/// Receives the progress of a long run and may ask it to stop.
///
/// Work is counted in abstract *units* whose total is announced by [`Progress::start`];
/// units are weighted by cost (a Monte Carlo trial counts its estimated floating-point
/// work), so the fraction done is a fair estimate of the time done. Calls may come from
/// several threads at once.
pub trait Progress: Sync {
    /// A stage named `what` begins with `total` units of work (0: unknown amount, e.g. one
    /// large factorisation whose duration is only estimated).
    fn start(&self, _what: &str, _total: u64) {}
    /// `units` more units are done.
    fn advance(&self, _units: u64) {}
    /// The current stage has ended.
    fn finish(&self) {}
    /// A remark for the user that does not stop the run (e.g. a corrupt results store
    /// file that was skipped); its `Display` is one line.
    fn note(&self, _note: &Note) {}
    /// Polled between units of work; `true` makes the run stop with
    /// [`crate::Error::Interrupted`] as soon as the work in flight is done.
    fn cancelled(&self) -> bool {
        false
    }
}

/// A remark for the user that does not stop the run. Front ends print its one-line
/// `Display` (the command line on stderr, Python as a `RuntimeWarning`).
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// A network with a non-affine layer whose input has an effective rank
    /// (tr M)²/tr M² = `rank` below [`MIN_EFFECTIVE_RANK`]: Gaussian equivalence, which the
    /// nonlinear theory rests on, is unreliable there. `source` names the config (for a
    /// figure: its file and the series concerned).
    LowEffectiveRank { source: String, rank: f64 },
    /// A results-store file that could not be read and was skipped.
    UnreadableStoreFile { path: PathBuf, reason: String },
    /// Corrupt lines of a results-store file, skipped (their trials are recomputed).
    DamagedStoreFile { path: PathBuf, lines: usize },
    /// A long run is about to start: `trials` to simulate (`stored` more come from the
    /// results store), estimated at `seconds` on `threads`, with peak memory `bytes`.
    LongRun { what: &'static str, trials: usize, stored: usize, seconds: f64, threads: usize, bytes: f64 },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::LowEffectiveRank { source, rank } => write!(
                f,
                "warning: {source}: the input's effective rank (tr M)²/tr M² is {rank:.1} < {MIN_EFFECTIVE_RANK}: \
                 Gaussian equivalence, which the nonlinear theory rests on, is unreliable at this effective rank \
                 (NONLINEAR.md §6); `lcurve validate` measures the actual deviation"
            ),
            Note::UnreadableStoreFile { path, reason } => {
                write!(f, "store: {}: unreadable ({reason}), skipped", path.display())
            }
            Note::LongRun { what, trials, stored, seconds, threads, bytes } => {
                write!(
                    f,
                    "{what}: {} estimated at about {} on {} (memory ≈ {})",
                    plural(*trials, "trial"),
                    duration(*seconds),
                    plural(*threads, "thread"),
                    gb(*bytes)
                )?;
                if *stored > 0 {
                    write!(f, "; {} more from the results store", plural(*stored, "trial"))?;
                }
                Ok(())
            }
            Note::DamagedStoreFile { path, lines } => write!(
                f,
                "store: {}: {lines} corrupt line{} skipped (those trials are recomputed)",
                path.display(),
                if *lines == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Reports nothing and never cancels.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Runs `work` (one long kernel that cannot poll, such as a dense eigendecomposition) on a
/// worker thread and waits for it, polling `progress.cancelled()` every 50 ms. A cancelled
/// run gets `None` at once; the worker then finishes on its own and its result is dropped.
/// A panic of the worker is resumed here.
pub(crate) fn interruptible<T: Send + 'static>(
    progress: &dyn Progress,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    use std::sync::mpsc::{channel, RecvTimeoutError};
    if progress.cancelled() {
        return None;
    }
    let (tx, rx) = channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    loop {
        match rx.recv_timeout(std::time::Duration::from_millis(50)) {
            Ok(v) => return Some(v),
            Err(RecvTimeoutError::Timeout) if progress.cancelled() => return None,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => match worker.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => unreachable!("the worker sends its result before it ends"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Flag(AtomicBool);
    impl Progress for Flag {
        fn cancelled(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }
    }

    #[test]
    fn interruptible_work_returns_or_is_abandoned() {
        assert_eq!(interruptible(&Silent, || 6 * 7), Some(42));
        // Cancelled while the work runs: the call returns without waiting for it.
        static FINISHED: AtomicBool = AtomicBool::new(false);
        let stop = std::sync::Arc::new(Flag(AtomicBool::new(false)));
        let setter = std::sync::Arc::clone(&stop);
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            setter.0.store(true, Ordering::SeqCst);
        });
        let r = interruptible(&*stop, || {
            std::thread::sleep(std::time::Duration::from_secs(30));
            FINISHED.store(true, Ordering::SeqCst);
        });
        assert_eq!(r, None);
        assert!(!FINISHED.load(Ordering::SeqCst), "abandoned, not awaited");
    }
}
