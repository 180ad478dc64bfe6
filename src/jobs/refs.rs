//! What configs refer to in the results store: the points (and trials) that `validate`
//! of every model config and the markers of every figure config would simulate. Used by
//! `lcurve store status` and `lcurve store gc`.

use crate::jobs::figures::{self, FigureSpec};
use crate::jobs::run::RunOptions;
use crate::jobs::store::{PointKey, Store};
use crate::jobs::validate;
use crate::spec::{Config, Result, Simulation, SimulationOverrides};
use crate::support::progress::Note;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// The trials one config needs: its source and, per point, how many trials.
#[derive(Clone, Debug)]
pub struct Needs {
    pub source: String,
    pub points: Vec<(PointKey, usize)>,
}

impl Needs {
    /// Trials needed in all.
    pub fn trials(&self) -> usize {
        self.points.iter().map(|p| p.1).sum()
    }

    /// Of those, how many the store holds.
    pub fn stored(&self, held: &Held) -> usize {
        self.points
            .iter()
            .map(|(k, n)| held.get(k).map_or(0, |ts| ts.iter().filter(|&&t| (t as usize) < *n).count()))
            .sum()
    }
}

/// What the configs under `paths` refer to: model configs through `validate`, figure
/// configs through their markers.
pub fn needs(paths: &[PathBuf], o: &SimulationOverrides) -> Result<Vec<Needs>> {
    let mut out = Vec::new();
    for path in crate::config::toml_files(paths, |_| Ok(true))? {
        let source = path.display().to_string();
        if figures::spec::is_figure(&path)? {
            let spec = FigureSpec::load(&path)?;
            let points = figures::compute::marker_keys(&spec, &RunOptions::with_overrides(*o))?;
            out.push(Needs { source, points });
            continue;
        }
        let runs: Vec<(Config, Simulation)> = {
            let cfg = Config::load(&path)?;
            let sim = cfg.simulation().with(o)?;
            // A model at n0 = ∞ is the theory's limit: nothing of it is simulated. One-pass
            // SGD and networks with every layer trained follow a step axis that a run names
            // (`dynamics --steps`), not the config.
            let along_steps =
                matches!(cfg.training(), crate::spec::Training::Sgd(_) | crate::spec::Training::Features(_));
            if cfg.model().is_infinite() || along_steps {
                vec![]
            } else {
                vec![(cfg, sim)]
            }
        };
        let mut points = Vec::new();
        for (cfg, opts) in &runs {
            points.extend(validate::point_keys(cfg, opts)?);
        }
        out.push(Needs { source, points });
    }
    Ok(out)
}

/// Trial indices by point.
pub type Held = HashMap<PointKey, HashSet<u32>>;

/// The trial indices the store holds, by point, and the store's warnings.
pub fn held(store: &Store, keys: Option<&HashSet<PointKey>>) -> Result<(Held, Vec<Note>)> {
    let loaded = store.load(keys)?;
    let mut held = Held::new();
    for (k, t) in loaded.trials.keys() {
        held.entry(*k).or_default().insert(*t);
    }
    Ok((held, loaded.warnings))
}

/// Every point the needs refer to.
pub fn keys(needs: &[Needs]) -> HashSet<PointKey> {
    needs.iter().flat_map(|n| n.points.iter().map(|p| p.0)).collect()
}
