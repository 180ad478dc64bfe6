//! Per-layer pair measures of the nonlinear theory (NONLINEAR.md §2): the classes of
//! units of each hidden layer, with their linear gain `t = s μ1²`, their Gaussian-
//! equivalent noise `k = μ*²` and their multiplicity `w`, and the propagation of the mean
//! activation variance `V_ℓ` and mean squared activation mean `B_ℓ` through depth.
//!
//! A unit j of layer ℓ sees the centred preactivation variance `v = s_j V_{ℓ−1}` and a
//! frozen offset `b ~ N(0, s_j B_{ℓ−1})` across units (non-zero once a previous layer has
//! μ0 ≠ 0, e.g. ReLU); offsets are integrated with the 61-node Gauss–Hermite rule.

use super::activation::{hermite_rule, Activation};

/// Gauss–Hermite nodes used for the offsets.
pub(super) const OFFSET_NODES: usize = 61;

/// B_{ℓ−1}/V_{ℓ−1} below which the offsets are taken as zero (rounding of an odd σ's μ0).
const OFFSET_FLOOR: f64 = 1e-20;

/// The unit classes of one layer: `t[a]`, `k[a]`, `w[a]` (Σ w = number of units with s > 0).
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct LayerMeasure {
    pub t: Vec<f64>,
    pub k: Vec<f64>,
    pub w: Vec<f64>,
    /// V_ℓ: the mean (over units) variance of the layer's activations over x.
    pub v: f64,
    /// B_ℓ: the mean squared mean of the layer's activations.
    pub b: f64,
    /// Unit means of the Gaussian coefficients μ0, μ1 and μ*² (over units and offsets).
    pub mean_mu0: f64,
    pub mean_mu1: f64,
    pub mean_mustar2: f64,
}

/// The scales s of one layer's units (the diagonal of S_ℓ): explicit values (weight 1
/// each) or the weighted nodes of a compressed spectrum (SCALING §2), over `units` units.
#[derive(Clone, Copy, Debug)]
pub(super) struct Scales<'a> {
    pub values: &'a [f64],
    pub weights: Option<&'a [f64]>,
    pub units: f64,
}

impl<'a> Scales<'a> {
    /// One scale per unit.
    #[cfg(test)]
    pub(super) fn explicit(values: &'a [f64]) -> Self {
        Scales { values, weights: None, units: values.len() as f64 }
    }

    fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// `Σ w f(s)`.
    pub(super) fn sum(&self, f: impl Fn(f64) -> f64) -> f64 {
        self.values.iter().enumerate().map(|(i, &x)| self.weight(i) * f(x)).sum()
    }

    /// Distinct positive values with their total weights (ascending).
    fn distinct(&self) -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = self
            .values
            .iter()
            .enumerate()
            .filter(|(_, &x)| x > 0.0)
            .map(|(i, &x)| (x, self.weight(i)))
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut out: Vec<(f64, f64)> = Vec::new();
        for (x, w) in v {
            match out.last_mut() {
                Some((y, c)) if *y == x => *c += w,
                _ => out.push((x, w)),
            }
        }
        out
    }
}

/// Gauss–Hermite rules tried for the offsets, in order: when a rule agrees with the previous
/// one to [`OFFSET_TOL`] on the layer's summary functionals, it is used (its own error is
/// then far smaller: the rules converge geometrically).
const OFFSET_LADDER: [usize; 8] = [5, 9, 13, 17, 25, 33, 45, OFFSET_NODES];

/// Relative agreement of successive offset rules (E_g then holds 1e-8, tested).
const OFFSET_TOL: f64 = 3e-9;

/// The measures of every hidden layer, input side first. `v0` = mean(m) = tr(ΓΣ0)/n0 is
/// the mean variance of the inputs (which are centred: B_0 = 0); each layer is its
/// activation and the diagonal of its S_ℓ (one entry per unit). Offsets use the fewest
/// Gauss–Hermite nodes that hold the theory to 1e-8 (their classes multiply the chain's
/// work).
pub(super) fn propagate(v0: f64, layers: &[(Activation, Scales<'_>)]) -> Vec<LayerMeasure> {
    propagate_with(v0, layers, None)
}

/// As [`propagate`], with a fixed number of offset nodes when `nodes` is given.
pub(super) fn propagate_with(
    v0: f64,
    layers: &[(Activation, Scales<'_>)],
    nodes: Option<usize>,
) -> Vec<LayerMeasure> {
    let (mut v_prev, mut b_prev) = (v0, 0.0_f64);
    let mut out = Vec::with_capacity(layers.len());
    for (act, s) in layers {
        let classes = s.distinct();
        let n = s.units;
        let m = if b_prev <= OFFSET_FLOOR * v_prev {
            // Odd activations give μ0 = 0 up to quadrature rounding: no offsets then.
            layer(*act, &classes, n, v_prev, b_prev, 1)
        } else if let Some(k) = nodes {
            layer(*act, &classes, n, v_prev, b_prev, k)
        } else {
            let mut last = layer(*act, &classes, n, v_prev, b_prev, OFFSET_LADDER[0]);
            let mut chosen = None;
            for &k in &OFFSET_LADDER[1..] {
                let next = layer(*act, &classes, n, v_prev, b_prev, k);
                if agree(&functionals(&last), &functionals(&next)) {
                    chosen = Some(next);
                    break;
                }
                last = next;
            }
            chosen.unwrap_or(last)
        };
        (v_prev, b_prev) = (m.v, m.b);
        out.push(m);
    }
    out
}

/// One layer's classes for distinct scales `classes` (value, count) of a layer of `n`
/// units, after a layer with mean variance `v_prev` and mean squared mean `b_prev`, with
/// `nodes` Gauss–Hermite offsets (1: no offsets).
fn layer(
    act: Activation,
    classes: &[(f64, f64)],
    n: f64,
    v_prev: f64,
    b_prev: f64,
    nodes: usize,
) -> LayerMeasure {
    let rule = if nodes == 1 { (vec![0.0], vec![1.0]) } else { hermite_rule(nodes) };
    let mut m = LayerMeasure::default();
    let (mut v_sum, mut b_sum) = (0.0, 0.0);
    for &(sj, count) in classes {
        let v = sj * v_prev;
        let scale = (sj * b_prev).sqrt();
        for (z, weight) in rule.0.iter().zip(&rule.1) {
            let mo = act.moments(scale * z, v);
            let w = count * weight;
            m.t.push(sj * mo.mu1 * mo.mu1);
            m.k.push(mo.mustar2(v));
            m.w.push(w);
            v_sum += w * mo.variance();
            b_sum += w * mo.mu0 * mo.mu0;
            m.mean_mu0 += w * mo.mu0 / n;
            m.mean_mu1 += w * mo.mu1 / n;
            m.mean_mustar2 += w * mo.mustar2(v) / n;
        }
    }
    m.v = v_sum / n;
    m.b = b_sum / n;
    m
}

/// What the chain sees of a layer, for comparing offset rules: V, B, moments of (t, k) up
/// to order two, and two resolvent sums Σ w t/(k + εt + εq) at the layer's scale q.
fn functionals(m: &LayerMeasure) -> [f64; 9] {
    let mut f = [m.v, m.b, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let (mut sw, mut sq) = (0.0, 0.0);
    for ((t, k), w) in m.t.iter().zip(&m.k).zip(&m.w) {
        f[2] += w * t;
        f[3] += w * k;
        f[4] += w * t * t;
        f[5] += w * k * k;
        f[6] += w * t * k;
        sw += w;
        sq += w * (t + k);
    }
    let q = sq / sw;
    for (i, eps) in [(7, 1.0), (8, 1e-2)] {
        f[i] = m.t.iter().zip(&m.k).zip(&m.w).map(|((t, k), w)| w * t / (k + eps * (t + q))).sum();
    }
    f
}

fn agree(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= OFFSET_TOL * x.abs().max(y.abs()).max(1e-300))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64, what: &str) {
        assert!((a - b).abs() <= tol * b.abs().max(1e-300), "{what}: {a} vs {b}");
    }

    /// Linear layers: t = s, k = 0, no offsets, V_ℓ = mean(s_ℓ) V_{ℓ−1}.
    #[test]
    fn linear_layers_are_the_linear_model() {
        let s1: Vec<f64> = (1..=50).map(|i| (i as f64).powf(-0.5)).collect();
        let s2 = vec![1.0; 30];
        let ms = propagate(
            1.3,
            &[(Activation::Linear, Scales::explicit(&s1)), (Activation::Linear, Scales::explicit(&s2))],
        );
        let mean1 = s1.iter().sum::<f64>() / 50.0;
        assert_eq!(ms[0].t.len(), 50);
        assert!(ms[0].k.iter().all(|&k| k == 0.0) && ms[0].b == 0.0);
        close(ms[0].v, mean1 * 1.3, 1e-14, "V_1");
        assert_eq!((ms[1].t.clone(), ms[1].w.clone()), (vec![1.0], vec![30.0]));
        close(ms[1].v, ms[0].v, 1e-14, "V_2");
    }

    /// With offsets b ~ N(0, sB) and centred variance sV, the preactivation is N(0, s(V+B))
    /// marginally: averaging the moments over the Gauss–Hermite offsets must give the
    /// closed form at zero offset and the full second moment.
    #[test]
    fn offsets_average_to_the_marginal_moments() {
        let s2 = vec![0.7; 10];
        let ms = propagate(
            1.0,
            &[(Activation::Relu, Scales::explicit(&[1.0; 20])), (Activation::Relu, Scales::explicit(&s2))],
        );
        let (v1, b1) = (ms[0].v, ms[0].b);
        // Layer 1 (no offsets): ReLU of N(0, 1): E a = 1/√(2π), Var a = 1/2 − 1/(2π).
        close(b1, 1.0 / (2.0 * std::f64::consts::PI), 1e-14, "B_1");
        close(v1, 0.5 - 1.0 / (2.0 * std::f64::consts::PI), 1e-14, "V_1");
        let marginal = Activation::Relu.moments(0.0, 0.7 * (v1 + b1));
        close(ms[1].v + ms[1].b, marginal.e2, 1e-12, "E a² of layer 2");
        assert!(ms[1].t.len() > 1 && ms[1].t.len() <= OFFSET_NODES, "{} offset classes", ms[1].t.len());
        close(ms[1].w.iter().sum::<f64>(), 10.0, 1e-13, "weights");
        // Units differ: each offset has its own gain and noise.
        assert!(ms[1].t.windows(2).any(|p| (p[0] - p[1]).abs() > 1e-3));
        // Odd activations keep B = 0 (no offsets downstream).
        let odd = propagate(
            1.0,
            &[
                (Activation::Tanh, Scales::explicit(&[1.0; 5])),
                (Activation::Erf, Scales::explicit(&[1.0; 5])),
            ],
        );
        assert!(odd[0].b < 1e-28 && odd[1].t.len() == 1);
    }
}
