//! What configs refer to in the results store: the points (and trials) that `validate`
//! of every model config and the markers of every figure config would simulate. Used by
//! `lcurve store status` and `lcurve store gc`.

use crate::jobs::figures::{self, FigureSpec, SimOptions};
use crate::jobs::store::{PointKey, Store};
use crate::jobs::validate::{self, Options};
use crate::spec::{Config, Result};
use crate::support::progress::Note;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// Run options that replace every config's `[simulation]` values (the flags of
/// `validate` and `figures`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Overrides {
    pub trials: Option<usize>,
    pub seed: Option<u64>,
    pub scale: Option<f64>,
}

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

fn options(config: &Config, o: &Overrides) -> Options {
    let d = Options::from_config(config);
    Options {
        trials: o.trials.unwrap_or(d.trials),
        seed: o.seed.unwrap_or(d.seed),
        scale: o.scale.unwrap_or(d.scale),
        inputs: d.inputs,
    }
}

/// What the configs under `paths` refer to: model configs through `validate`, figure
/// configs through their markers.
pub fn needs(paths: &[PathBuf], o: &Overrides) -> Result<Vec<Needs>> {
    let mut out = Vec::new();
    for path in crate::config::toml_files(paths, |_| Ok(true))? {
        let source = path.display().to_string();
        let runs: Vec<(Config, Options)> = if figures::spec::is_figure(&path)? {
            let sim = SimOptions { trials: o.trials, scale: o.scale, ..Default::default() };
            let spec = FigureSpec::load(&path)?;
            let mut runs = figures::compute::marker_runs(&spec, &sim)?;
            if let Some(seed) = o.seed {
                runs.iter_mut().for_each(|(_, opts)| opts.seed = seed);
            }
            runs
        } else {
            let cfg = Config::load(&path)?;
            let opts = options(&cfg, o);
            vec![(cfg, opts)]
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
