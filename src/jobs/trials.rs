//! The store-backed trial runner shared by `validate` and `dynamics --validate`, and the
//! [`Shard`] of a job array: which trials a process computes, each taken from the results
//! store when it holds it, else simulated in parallel and appended as it finishes.

use crate::jobs::store::{self, PointKey, Record, Store};
use crate::spec::{Error, Invalid, Result};
use crate::support::progress::Progress;
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

/// One process's share of a run's trials, for a job array (see [`Shard`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardReport {
    /// Trials of the whole run.
    pub total: u64,
    /// Trials assigned to this shard.
    pub assigned: u64,
    /// Of those, already in the store.
    pub stored: u64,
    /// Of those, computed (and stored) by this run.
    pub computed: u64,
}

/// `i/N`: the i-th of N processes sharing a run's trials (0 ≤ i < N). Trials are assigned
/// by estimated cost (largest first, each to the least loaded shard), from the full list of
/// the run's trials, so the assignment is the same in every process whatever the store holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = Invalid;
    fn from_str(s: &str) -> std::result::Result<Self, Invalid> {
        let bad = || {
            Invalid(format!(
                "expected i/N with 0 ≤ i < N, such as 0/8, got {}",
                crate::spec::text::truncate(s, 40)
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) =
            (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count || count > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// Largest number of shards.
pub(crate) const MAX_SHARDS: usize = 1 << 20;

impl Shard {
    /// Which of the jobs (by cost) belong to this shard.
    pub(crate) fn assign(&self, cost: &[u64]) -> Vec<bool> {
        let mut order: Vec<usize> = (0..cost.len()).collect();
        order.sort_by(|&a, &b| cost[b].cmp(&cost[a]).then(a.cmp(&b)));
        let mut load: std::collections::BinaryHeap<std::cmp::Reverse<(u64, usize)>> =
            (0..self.count.min(cost.len().max(1))).map(|s| std::cmp::Reverse((0, s))).collect();
        let mut mine = vec![false; cost.len()];
        for j in order {
            let std::cmp::Reverse((l, s)) = load.pop().expect("at least one shard");
            mine[j] = s == self.index;
            load.push(std::cmp::Reverse((l + cost[j].max(1), s)));
        }
        mine
    }
}

/// The records the store holds for `keys` (none without a store); damaged files are noted.
pub(crate) fn stored(
    store: Option<&Store>,
    keys: HashSet<PointKey>,
    progress: &dyn Progress,
) -> Result<store::Trials> {
    let Some(st) = store else { return Ok(Default::default()) };
    let loaded = st.load(Some(&keys))?;
    for w in &loaded.warnings {
        progress.note(w);
    }
    Ok(loaded.trials)
}

/// The jobs of a run, each taken from the store or computed.
pub(crate) struct Jobs<'a, T> {
    /// Progress units of each job (its estimated cost).
    pub cost: &'a (dyn Fn(usize) -> u64 + Sync),
    /// A job's result if the store holds it whole.
    pub from_store: &'a (dyn Fn(usize) -> Option<T> + Sync),
    /// Computes a job (sequential kernels: parallelism is over jobs).
    pub compute: &'a (dyn Fn(usize) -> Result<T> + Sync),
    /// The store records of a computed job.
    pub records: &'a (dyn Fn(usize, &T) -> Vec<Record> + Sync),
}

impl<T: Send> Jobs<'_, T> {
    /// Every job's result: from the store, else computed (and appended to `store`) when
    /// `todo` holds it; `None` for jobs left to other shards. A cancellation stops between
    /// jobs with [`Error::Interrupted`]; what finished is in the store.
    pub(crate) fn run(
        &self,
        count: usize,
        todo: &[usize],
        store: Option<&Store>,
        progress: &dyn Progress,
    ) -> Result<Vec<Option<T>>> {
        let total: u64 = todo.iter().map(|&j| (self.cost)(j)).sum();
        progress.start("simulate", total);
        let done = AtomicU64::new(0);
        let computed: Result<Vec<(usize, T)>> = todo
            .par_iter()
            .map(|&j| {
                let interrupted = || Error::Interrupted {
                    done: done.load(Ordering::Relaxed),
                    total: todo.len() as u64,
                    unit: "trial",
                };
                if progress.cancelled() {
                    return Err(interrupted());
                }
                let r = (self.compute)(j).map_err(|e| {
                    if matches!(e, Error::Interrupted { .. }) {
                        interrupted()
                    } else {
                        e
                    }
                })?;
                if let Some(st) = store {
                    for rec in (self.records)(j, &r) {
                        st.append(&rec)?;
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
                progress.advance((self.cost)(j));
                Ok((j, r))
            })
            .collect();
        progress.finish();
        let mut out: Vec<Option<T>> = (0..count).map(|j| (self.from_store)(j)).collect();
        for (j, r) in computed? {
            out[j] = Some(r);
        }
        Ok(out)
    }
}
