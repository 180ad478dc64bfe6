# %% [markdown]
# # lcurve quickstart (a notebook as a script: each `# %%` is a cell)
#
# Learning curves of ridge regression on deep structured Gaussian random features: the
# theory, its Monte Carlo check and a figure. Run from the repository root after
# `pip install ./python` (and `pip install matplotlib pandas` for the plots and frames).

# %%
import lcurve

cfg = lcurve.load("configs/quickstart.toml")
cfg  # n0, widths, ranks, interpolation threshold r

# %% The learning curve: the columns of `lcurve curve`, as numpy arrays
c = lcurve.curve(cfg)
print(c.columns)
print(c["alpha"][:5], c["error"][:5])

# %% Sweep a parameter in your own loop: configs from dicts or with overrides
for width in [200, 400, 800]:
    pt = lcurve.point(lcurve.load("configs/quickstart.toml", set={"layers[0].width": width}), samples=300.0, ridge="optimal")
    print(f"n1 = {width}: E_g = {pt['error']:.4f} at λ* = {pt['ridge']:.3g}, initialisation variance {pt['init_variance']:.4f}")

# %% Ensembles (THEORY §7): E_g(K) = E_∞ + (E_g − E_∞)/K
k4 = lcurve.curve(lcurve.load("configs/quickstart.toml", set={"readout.ensemble": 4}))
print(k4["error"][10], k4["error_ensemble"][10], k4["error_inf"][10])

# %% Check the theory against simulation (Ctrl-C interrupts)
v = lcurve.validate(cfg, trials=20, seed=1)
print(v.meta["summary"])

# %% Plot (matplotlib, if installed)
try:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.loglog(c["alpha"], c["error"], label="theory")
    ax.errorbar(v["alpha"], v["mc_mean"], yerr=1.96 * v["mc_stderr"], fmt="o", label="simulation")
    ax.set_xlabel("α = p/n₀")
    ax.set_ylabel("E_g")
    ax.legend()
except ImportError:
    print("pip install matplotlib to plot")

# %% A pandas frame (if installed)
try:
    print(c.to_pandas().head())
except ImportError:
    print("pip install pandas for data frames")

# %% A paper figure, in memory (IPython.display.SVG shows it inline in a notebook)
svg = lcurve.render_figure("configs/f1_double_descent.toml", simulate=False)
print(len(svg), "bytes of SVG")
