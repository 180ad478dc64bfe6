//! Progress reporting and cancellation, as an observer the caller supplies. The library
//! never draws anything itself: the command line plugs in a terminal bar, Python a
//! callable, tests and library users [`Silent`].

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
    /// A one-line remark for the user that does not stop the run (e.g. a corrupt results
    /// store file that was skipped).
    fn note(&self, _line: &str) {}
    /// Polled between units of work; `true` makes the run stop with
    /// [`crate::Error::Interrupted`] as soon as the work in flight is done.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Reports nothing and never cancels.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {}
