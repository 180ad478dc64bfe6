//! argmin's Brent methods for scalar problems, set up in one place: a root on a bracket
//! (`BrentRoot`) and a minimum on an interval (`BrentOpt`). Problems are argmin
//! `CostFunction`s of one `f64`; [`Fun`] makes one of a plain function.

use argmin::core::{CostFunction, Error as ArgminError, Executor, State, TerminationReason};
use argmin::solver::brent::{BrentOpt, BrentRoot};

/// A plain function `f64 → f64` as an argmin problem.
pub(crate) struct Fun<F>(pub(crate) F);

impl<F: Fn(f64) -> f64> CostFunction for Fun<F> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, x: &f64) -> Result<f64, ArgminError> {
        Ok((self.0)(*x))
    }
}

/// Why Brent's root finder returned no root.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RootError {
    /// argmin stopped with an error: no sign change on the bracket, or the problem failed.
    #[error("{0}")]
    Failed(ArgminError),
    /// The iteration limit came before the tolerance.
    #[error("no convergence in {0} iterations")]
    NoConvergence(u64),
    /// The solver ended without a best point.
    #[error("no solution")]
    NoSolution,
}

/// The root of `problem` on [a, b] (its values at a and b of opposite signs) to `tol` in
/// the argument, in at most `max_iters` steps; reaching the limit is an error.
pub(crate) fn root<P>(problem: P, a: f64, b: f64, tol: f64, max_iters: u64) -> Result<f64, RootError>
where
    P: CostFunction<Param = f64, Output = f64>,
{
    let res = Executor::new(problem, BrentRoot::new(a, b, tol))
        .configure(|s| s.max_iters(max_iters))
        .timer(false)
        .run()
        .map_err(RootError::Failed)?;
    let state = res.state();
    if state.get_termination_reason() != Some(&TerminationReason::SolverConverged) {
        return Err(RootError::NoConvergence(max_iters));
    }
    state.get_best_param().copied().ok_or(RootError::NoSolution)
}

/// Brent's minimisation of `problem` on [a, b] from `start`, with argmin's relative and
/// absolute tolerances `(eps, tol)`, in at most `max_iters` steps: the best argument seen
/// (if any) and its value. Callers compare it with their own scan, so reaching the
/// iteration limit is not an error.
pub(crate) fn minimum<P>(
    problem: P,
    (a, b): (f64, f64),
    start: f64,
    (eps, tol): (f64, f64),
    max_iters: u64,
) -> Result<(Option<f64>, f64), ArgminError>
where
    P: CostFunction<Param = f64, Output = f64>,
{
    let res = Executor::new(problem, BrentOpt::new(a, b).set_tolerance(eps, tol))
        .configure(|s| s.param(start).max_iters(max_iters))
        .timer(false)
        .run()?;
    let state = res.state();
    Ok((state.get_best_param().copied(), state.get_best_cost()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_minimum_of_known_functions() {
        let r = root(Fun(|x: f64| x * x - 2.0), 0.0, 2.0, 1e-14, 100).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 1e-13, "{r}");
        assert!(matches!(root(Fun(|x: f64| x * x + 1.0), 0.0, 2.0, 1e-14, 100), Err(RootError::Failed(_))));
        assert!(matches!(
            root(Fun(|x: f64| x.exp() - 2.0), 0.0, 3.0, 1e-300, 2),
            Err(RootError::NoConvergence(2))
        ));
        let (arg, min) =
            minimum(Fun(|x: f64| (x - 0.3).powi(2) + 1.0), (0.0, 1.0), 0.5, (1e-10, 1e-12), 200).unwrap();
        assert!((arg.unwrap() - 0.3).abs() < 1e-6 && (min - 1.0).abs() < 1e-12, "{arg:?} {min}");
    }
}
