//! A safeguarded Newton root finder as an argmin solver, for the nonlinear chain, whose
//! equations come with exact derivatives (NONLINEAR.md §5's tangents): Newton steps inside
//! a bracket that every evaluation narrows, bisection (or, on a half-line, a doubling
//! step) whenever a Newton step would leave it. With a warm start it needs a few
//! evaluations where Brent's method needs a dozen.

use argmin::core::{
    CostFunction, Error as ArgminError, Executor, Gradient, IterState, Problem, Solver, State,
    TerminationReason, KV,
};

/// f and f′ of a scalar equation, evaluated together (one pass over the classes).
pub(crate) trait Equation {
    fn eval(&self, x: f64) -> (f64, f64);
}

/// The argmin problem of an [`Equation`]: cost = f, gradient = f′, sharing one evaluation.
struct Problem1<'a, E> {
    eq: &'a E,
    last: std::cell::Cell<(f64, f64, f64)>,
}

impl<E: Equation> Problem1<'_, E> {
    fn at(&self, x: f64) -> (f64, f64) {
        let (lx, f, g) = self.last.get();
        if lx.to_bits() == x.to_bits() {
            return (f, g);
        }
        let (f, g) = self.eq.eval(x);
        self.last.set((x, f, g));
        (f, g)
    }
}

impl<E: Equation> CostFunction for Problem1<'_, E> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, x: &f64) -> Result<f64, ArgminError> {
        Ok(self.at(*x).0)
    }
}

impl<E: Equation> Gradient for Problem1<'_, E> {
    type Param = f64;
    type Gradient = f64;
    fn gradient(&self, x: &f64) -> Result<f64, ArgminError> {
        Ok(self.at(*x).1)
    }
}

/// Bracketed Newton: the root lies in `[lo, hi]` (`hi` may be +∞), f has sign `lo_sign` at
/// `lo` and the opposite one at `hi`. Converged when a step is below
/// `abs_tol + rel_tol·|x|` or the bracket is that narrow.
pub(crate) struct SafeNewton {
    lo: f64,
    hi: f64,
    lo_sign: f64,
    abs_tol: f64,
    rel_tol: f64,
}

impl<O> Solver<O, IterState<f64, f64, (), (), (), f64>> for SafeNewton
where
    O: CostFunction<Param = f64, Output = f64> + Gradient<Param = f64, Gradient = f64>,
{
    fn name(&self) -> &str {
        "SafeNewton"
    }

    fn init(
        &mut self,
        _problem: &mut Problem<O>,
        state: IterState<f64, f64, (), (), (), f64>,
    ) -> Result<(IterState<f64, f64, (), (), (), f64>, Option<KV>), ArgminError> {
        Ok((state, None))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: IterState<f64, f64, (), (), (), f64>,
    ) -> Result<(IterState<f64, f64, (), (), (), f64>, Option<KV>), ArgminError> {
        let x = *state.get_param().ok_or_else(|| ArgminError::msg("no starting point"))?;
        let f = problem.cost(&x)?;
        if f == 0.0 {
            return Ok((state.cost(0.0).terminate_with(TerminationReason::SolverConverged), None));
        }
        // f = ±∞ (an infeasible point) or NaN counts as the side of `lo` when positive
        // like it, else as `hi`.
        if f.signum() == self.lo_sign || (f.is_nan() && self.lo_sign > 0.0) {
            self.lo = x;
        } else {
            self.hi = x;
        }
        let g = if f.is_finite() { problem.gradient(&x)? } else { f64::NAN };
        let newton = x - f / g;
        let next = if newton.is_finite() && newton > self.lo && newton < self.hi {
            newton
        } else if self.hi.is_finite() {
            0.5 * (self.lo + self.hi)
        } else {
            x + (2.0 * (x - self.lo)).max(1.0)
        };
        let tol = self.abs_tol + self.rel_tol * next.abs();
        let state = state.param(next).cost(f.abs());
        if (next - x).abs() <= tol || self.hi - self.lo <= tol {
            return Ok((state.terminate_with(TerminationReason::SolverConverged), None));
        }
        Ok((state, None))
    }
}

/// Why [`newton_root`] found no root: the equation (`what`) and the reason.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {reason}")]
pub(crate) struct NoRoot {
    what: String,
    reason: String,
}

/// The root of `eq` in `[lo, hi]` (`hi` may be +∞) from `start`, where f has sign
/// `lo_sign` at `lo`; `what` names the equation in errors (built only then).
pub(crate) fn newton_root(
    eq: &impl Equation,
    (lo, hi): (f64, f64),
    lo_sign: f64,
    start: f64,
    (abs_tol, rel_tol): (f64, f64),
    what: impl Fn() -> String,
) -> Result<f64, NoRoot> {
    let problem = Problem1 { eq, last: std::cell::Cell::new((f64::NAN, 0.0, 0.0)) };
    let solver = SafeNewton { lo, hi, lo_sign, abs_tol, rel_tol };
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(start.clamp(lo, hi)).max_iters(300))
        .timer(false)
        .run()
        .map_err(|e| NoRoot { what: what(), reason: e.to_string() })?;
    let state = res.state();
    if state.get_termination_reason() != Some(&TerminationReason::SolverConverged) {
        return Err(NoRoot { what: what(), reason: format!("no convergence in [{lo:e}, {hi:e}]") });
    }
    state.get_param().copied().ok_or_else(|| NoRoot { what: what(), reason: "no solution".into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct F<G: Fn(f64) -> (f64, f64)>(G);
    impl<G: Fn(f64) -> (f64, f64)> Equation for F<G> {
        fn eval(&self, x: f64) -> (f64, f64) {
            (self.0)(x)
        }
    }

    #[test]
    fn finds_roots_with_and_without_a_finite_bracket() {
        // x³ − 2 on [0, 5] from both ends and the middle.
        let cube = F(|x: f64| (x * x * x - 2.0, 3.0 * x * x));
        for start in [0.0, 2.5, 5.0] {
            let r = newton_root(&cube, (0.0, 5.0), -1.0, start, (0.0, 1e-15), || "cube".into()).unwrap();
            assert!((r - 2f64.cbrt()).abs() < 1e-14, "start {start}: {r}");
        }
        // A decreasing function on a half-line, +∞ below a threshold (like the outer
        // equation of the chain): e^{−u} − 0.01 with +∞ for u < −3.
        let g =
            F(|u: f64| if u < -3.0 { (f64::INFINITY, f64::NAN) } else { ((-u).exp() - 0.01, -(-u).exp()) });
        for start in [-10.0, -3.0, 0.0, 40.0] {
            let r =
                newton_root(&g, (-10.0, f64::INFINITY), 1.0, start, (1e-14, 0.0), || "exp".into()).unwrap();
            assert!((r - 100f64.ln()).abs() < 1e-12, "start {start}: {r}");
        }
    }
}
