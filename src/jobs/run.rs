//! How a run simulates and stores: the one value every front end builds (the CLI from its
//! flags, Python from its keywords, `lcurve store` and the figures alike) and every job
//! takes. Defaults come from each config's `[simulation]` section and are resolved here,
//! once per config ([`RunOptions::simulation`]); the rules are `spec::rules`'.

use crate::jobs::store::Store;
use crate::jobs::trials::{Shard, ShardReport};
use crate::spec::{Config, Error, Result, Simulation, SimulationOverrides};
use std::sync::Arc;

/// How a run simulates and where it keeps its trials.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Simulate at all (`false`: theory only, as `figures --no-sim`).
    pub simulate: bool,
    /// What the run changes of each config's `[simulation]` values.
    pub overrides: SimulationOverrides,
    /// Where finished trials are kept and looked up (`None`: simulate everything, keep none).
    pub store: Option<Arc<Store>>,
    /// Compute only this shard's share of the trials into the store and assemble nothing.
    pub shard: Option<Shard>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { simulate: true, overrides: SimulationOverrides::default(), store: None, shard: None }
    }
}

/// Why a shard needs a store.
const SHARD_STORE: &str = "a shard computes into the results store: give a store (or leave out no-store)";

impl RunOptions {
    /// Monte Carlo settings `overrides` on top of nothing else (store, shard unset).
    pub fn with_overrides(overrides: SimulationOverrides) -> RunOptions {
        RunOptions { overrides, ..Default::default() }
    }

    /// Checks the options before any config is read: every overridden value, and that a
    /// shard has a store to compute into.
    pub fn check(&self) -> Result<()> {
        self.overrides.check()?;
        if self.shard.is_some() && self.store.is_none() {
            return Err(Error::option("shard", SHARD_STORE));
        }
        Ok(())
    }

    /// The simulation of `config`: its `[simulation]` values with the overrides applied.
    pub fn simulation(&self, config: &Config) -> Result<Simulation> {
        config.simulation().with(&self.overrides)
    }

    /// The store, borrowed.
    pub fn store(&self) -> Option<&Store> {
        self.store.as_deref()
    }
}

/// What a job run with [`RunOptions`] produced: its result, or with a shard the report of
/// the trials it computed into the store (nothing is assembled).
#[derive(Clone, Debug)]
pub enum Ran<T> {
    Done(T),
    Shard(ShardReport),
}
