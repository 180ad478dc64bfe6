//! Standard normal matrices from a trial's stream, filled in parallel reproducibly.
//!
//! A matrix takes one Xoshiro256++ state from the trial's ChaCha8 stream (four words) and
//! fills its column-major entries in fixed blocks of [`BLOCK`]: block b draws from that
//! state jumped b times (each jump is 2^128 steps, so blocks never overlap). Blocks are
//! fixed by the matrix's size alone, so the entries are the same whether the blocks run on
//! one thread or many. Xoshiro256++ with the ziggurat draws a normal in ≈ 1.5 ns here,
//! three times faster than ChaCha8 (measured at n0 = 1000, p = 800, widths 1200/900:
//! 3.08·10⁶ normals in 4.7 ms against 13.5 ms, one core).

use faer::Par;
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Entries per block: small enough to split a 1000 × 1000 matrix over many threads, large
/// enough that the jump between blocks (≈ 1 µs) is negligible.
pub(crate) const BLOCK: usize = 1 << 14;

/// An `r × c` matrix of independent N(0, 1) entries keyed by the next draw of `rng`;
/// its blocks fill in parallel unless `par` is sequential, with identical results.
pub(crate) fn matrix(rng: &mut impl Rng, r: usize, c: usize, par: Par) -> DMatrix<f64> {
    let mut out = DMatrix::<f64>::zeros(r, c);
    let mut state = Xoshiro256PlusPlus::from_rng(rng);
    let blocks: Vec<_> = out
        .as_mut_slice()
        .chunks_mut(BLOCK)
        .map(|chunk| {
            let start = state.clone();
            state.jump();
            (start, chunk)
        })
        .collect();
    let fill = |(mut g, chunk): (Xoshiro256PlusPlus, &mut [f64])| {
        for x in chunk {
            *x = g.sample(StandardNormal);
        }
    };
    match par {
        Par::Seq => blocks.into_iter().for_each(fill),
        _ => blocks.into_par_iter().for_each(fill),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;

    /// The same key gives the same entries sequentially and in parallel (several blocks),
    /// the next key different ones; the entries are standard normal (mean and variance
    /// within 5 standard errors of 0 and 1 over 5·10⁴ entries).
    #[test]
    fn blocks_are_reproducible_and_normal() {
        let (r, c) = (250, 200); // 3 blocks
        let seq = matrix(&mut ChaCha8Rng::seed_from_u64(4), r, c, Par::Seq);
        let par = matrix(&mut ChaCha8Rng::seed_from_u64(4), r, c, Par::rayon(3));
        assert_eq!(seq, par);
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let first = matrix(&mut rng, r, c, Par::Seq);
        let second = matrix(&mut rng, r, c, Par::Seq);
        assert_eq!(first, seq);
        assert!(first.iter().zip(second.iter()).all(|(a, b)| a != b));
        // Different blocks are not shifted copies of one another.
        assert_ne!(&seq.as_slice()[..100], &seq.as_slice()[BLOCK..BLOCK + 100]);
        let n = (r * c) as f64;
        let mean = seq.sum() / n;
        let var = seq.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        assert!(mean.abs() < 5.0 / n.sqrt(), "mean {mean}");
        assert!((var - 1.0).abs() < 5.0 * (2.0 / n).sqrt(), "variance {var}");
    }
}
