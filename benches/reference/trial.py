"""numpy reference of the simulation benchmark (benches/simulation.rs): one trial at
n0 = 1000, p = 800, widths [1200, 900], power-law data (exponent 1, normalised to mean
eigenvalue 1), isotropic target, η² = 0.1, identity Γ and S; ridge 1e-2 (dual Cholesky)
and ridgeless (minimum norm, dual Cholesky as p < rank). Prints the median time of one
trial over repeats, for comparison with `cargo bench -p lcurve-benches --bench simulation`.

    python benches/reference/trial.py
"""

import time

import numpy as np

N0, P, WIDTHS, NOISE = 1000, 800, (1200, 900), 0.1


def trial(rng, ridge):
    sigma = 1.0 / np.arange(1, N0 + 1)
    sigma *= N0 / sigma.sum()
    beta = rng.standard_normal(N0) / np.sqrt(N0)
    x = rng.standard_normal((P, N0)) * np.sqrt(sigma)
    y_clean = x @ beta
    y = y_clean + np.sqrt(NOISE) * rng.standard_normal(P)
    rhs = np.column_stack([y, y_clean])
    gs, fan_in, phi = [], N0, x
    for n in WIDTHS:
        g = rng.standard_normal((fan_in, n)) / np.sqrt(fan_in)
        gs.append(g)
        phi = phi @ g
        fan_in = n
    k = phi @ phi.T
    if ridge > 0:
        k = k / P + ridge * np.eye(P)
        a = np.linalg.solve(k, rhs) / P
    else:
        a = np.linalg.solve(k, rhs)
    v = phi.T @ a
    beta_hat = v
    for g in reversed(gs):
        beta_hat = g @ beta_hat
    diff = beta_hat - np.column_stack([beta, beta])
    errors = (diff * diff * sigma[:, None]).sum(axis=0)
    train = np.mean((y - phi @ v[:, 0]) ** 2)
    return errors[0], errors[1], train


def main():
    rng = np.random.default_rng(1)
    for name, ridge in [("ridge_1e-2", 1e-2), ("ridgeless", 0.0)]:
        trial(rng, ridge)
        times = []
        for _ in range(15):
            t = time.perf_counter()
            trial(rng, ridge)
            times.append(time.perf_counter() - t)
        print(f"numpy {name}: {1e3 * np.median(times):.1f} ms per trial (median of 15)")


if __name__ == "__main__":
    main()
