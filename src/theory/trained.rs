//! The readout trained as a [`Training`] says, at one sample size: the one entry point the
//! jobs and Python's `point` share, so the choice between the static theory (THEORY.md),
//! gradient flow for a time (DYNAMICS.md) and early stopping is made here only.

use super::{Point, Theory, TimePoint};
use crate::spec::{Ensemble, Error, Result, Ridge, Training};

/// One sample size of a trained readout: the converged readout's [`Point`] (λ fixed or λ*)
/// and, for a finite training, the errors of the readout trained that long.
#[derive(Clone, Debug)]
pub struct TrainedPoint {
    /// The converged readout at the λ trained with.
    pub converged: Point,
    /// Gradient flow for a finite time (t* for early stopping; t* = ∞ when no finite time
    /// beats convergence): E_g(t), its split and E_tr(t). `None` for [`Training::Converged`].
    pub trained: Option<TimePoint>,
    /// The label-noise variance η² (test MSE = E_g + η²).
    pub noise: f64,
}

impl TrainedPoint {
    /// The trained readout's values by name, in the order the CLI's columns give them:
    /// `samples`, `alpha`, `ridge`, the errors, then (converged readout only) the order
    /// parameters `df` … `kappa_L` and the §7 fields (`error_inf` …, and `error_ensemble`
    /// with an ensemble; `None` for a nonlinear network), and `time` for a finite training.
    /// At a finite time the order parameters and §7 fields, which are the converged
    /// readout's, are left out.
    pub fn fields(&self, ensemble: Option<Ensemble>) -> Vec<(String, Option<f64>)> {
        let pt = &self.converged;
        let mut out: Vec<(String, Option<f64>)> = vec![
            ("samples".into(), Some(pt.samples)),
            ("alpha".into(), Some(pt.alpha)),
            ("ridge".into(), Some(pt.ridge)),
        ];
        let named = |out: &mut Vec<(String, Option<f64>)>, fields: &[(&str, f64)]| {
            out.extend(fields.iter().map(|&(k, v)| (k.to_string(), Some(v))));
        };
        if let Some(t) = &self.trained {
            named(
                &mut out,
                &[
                    ("error", t.error),
                    ("bias", t.bias),
                    ("variance", t.variance),
                    ("train_error", t.train_error),
                    ("test_mse", t.error + self.noise),
                    ("time", t.time),
                ],
            );
            return out;
        }
        named(
            &mut out,
            &[
                ("error", pt.error),
                ("bias", pt.bias),
                ("variance", pt.variance),
                ("train_error", pt.train_error),
                ("test_mse", pt.test_mse),
                ("df", pt.df),
                ("df2", pt.df2),
                ("kappa", pt.kappa),
                ("kappa_data", pt.kappa_data),
            ],
        );
        out.extend(pt.kappa_layers.iter().enumerate().map(|(l, &k)| (format!("kappa_{}", l + 1), Some(k))));
        out.extend(
            [
                ("error_inf", pt.error_inf),
                ("bias_inf", pt.bias_inf),
                ("variance_inf", pt.variance_inf),
                ("init_variance", pt.init_variance),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        if let Some(k) = ensemble {
            out.push(("error_ensemble".into(), k.error(pt)));
        }
        out
    }
}

impl Theory {
    /// The readout trained as `training` says at `samples` and the fixed λ it trains with:
    /// `None` for the converged readout, else E_g(t) and E_tr(t) of gradient flow (t* for
    /// early stopping). Linear networks only (the config's rules).
    pub fn trained(&self, samples: f64, ridge: f64, training: Training) -> Result<Option<TimePoint>> {
        match training {
            Training::Converged => Ok(None),
            Training::Flow(t) => self.point_at_time(samples, ridge, t).map(Some),
            Training::EarlyStopped => self.optimal_time(samples, ridge).map(Some),
            Training::Descent(d) => self.descent_point(samples, ridge, d).map(Some),
            Training::Sgd(_) => Err(Error::option(
                "optimizer",
                "one-pass SGD has no sample size: its errors are along the steps (lcurve dynamics)",
            )),
            Training::Features(_) => Err(Error::option("layers", crate::spec::FEATURES_DYNAMICS)),
        }
    }

    /// One sample size of a readout with ridge `ridge` trained as `training` says (λ* minimises
    /// the error of `ensemble`); λ* with a finite training is an error of the option `time`.
    pub fn point_with(
        &self,
        samples: f64,
        ridge: Ridge,
        training: Training,
        ensemble: Ensemble,
    ) -> Result<TrainedPoint> {
        let fixed = training.ridge(ridge).map_err(|e| Error::option("time", e.0))?;
        if fixed.is_some() && ensemble != Ensemble::SINGLE {
            return Err(Error::option("time", crate::spec::FINITE_TIME_ENSEMBLE));
        }
        let converged = match ridge {
            Ridge::Fixed(l) => self.point_at(samples, l)?,
            Ridge::Optimal => self.optimal_point_at(samples, ensemble)?,
        };
        let trained = match fixed {
            Some(l) => self.trained(samples, l, training)?,
            None => None,
        };
        Ok(TrainedPoint { converged, trained, noise: self.noise() })
    }
}
