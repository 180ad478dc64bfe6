"""Learning curves of ridge regression on deep structured Gaussian random features.

The theory (saddle-point equations of the replica / random-matrix theory), its Monte Carlo
validation and the paper's figures, from the same Rust library as the ``lcurve`` command:

>>> import lcurve
>>> cfg = lcurve.load("configs/quickstart.toml")          # or lcurve.loads(text), Config.from_dict(d)
>>> c = lcurve.curve(cfg)                                  # the columns of `lcurve curve`
>>> c["alpha"], c["error"]                                 # numpy float64 arrays
>>> lcurve.point(cfg, samples=250.5, ridge="optimal")      # one point, p may be real
>>> lcurve.curve(cfg, exponents=True)["exponent_samples"]  # −∂ln E_g/∂ln p (SCALING §3)
>>> s = lcurve.scaling(cfg, budget=(1e6, 1e12, 13))         # laws, frontier and fitted exponents
>>> v = lcurve.validate(cfg, trials=50, seed=1)            # theory beside Monte Carlo
>>> svg = lcurve.render_figure("configs/f7_ensembles.toml")

Errors in configs and options raise :class:`ConfigError` (a ``ValueError``) with the
command line's one-line message; failed computations raise :class:`SolverError`. Both are
:class:`LcurveError`\ s, whose ``file`` and ``key`` say where a bad value came from.
Computations run without the GIL; Ctrl-C interrupts them within a second.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._errors import ConfigError, LcurveError, RenderError, SolverError

__version__: str = _native.__version__

__all__ = [
    "Config",
    "Table",
    "LcurveError",
    "ConfigError",
    "SolverError",
    "RenderError",
    "load",
    "loads",
    "curve",
    "scaling",
    "Scaling",
    "dynamics",
    "Dynamics",
    "point",
    "validate",
    "figures",
    "render_figure",
]

PathLike = Union[str, "os.PathLike[str]"]
Progress = Callable[[str, int, int], Any]
"""A progress callback ``progress(stage, done, total)``, called every 50 ms
while a job runs: ``stage`` names the work (``"theory"``, ``"simulate"``, ``"figures"``, …),
and ``done``/``total`` count it in cost units (a Monte Carlo trial counts its estimated
floating-point work, so ``done/total`` is the fraction of the time; ``total`` is 0 while a
stage's size is unknown). Raising an exception in it stops the job."""
"""``progress(stage, done, total)``, called about every 50 ms during a computation
(``total`` = 0 when the amount of work is unknown). Raising stops the computation."""


class Config:
    """A validated model configuration (``[data]``, ``[[layers]]``, ``[readout]``,
    ``[samples]``, ``[simulation]``), from :func:`load`, :func:`loads` or
    :meth:`Config.from_dict`. Immutable; to change a value, load again with ``set=``."""

    __slots__ = ("_native", "_summary")

    def __init__(self, native: Any) -> None:
        self._native = native
        self._summary: Optional[Dict[str, Any]] = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], set: Optional[Mapping[str, Any]] = None) -> "Config":
        """A config from a nested dict with the TOML file's structure, e.g.
        ``{"data": {"dim": 400, "noise": 0.1}, "layers": [{"width": 600}],
        "readout": {"ridge": 0.01}, "samples": {"values": [100, 200]}}``.
        Named ``<dict>`` in error messages."""
        return cls(_native.from_dict(dict(d), _set(set)))

    @classmethod
    def from_data(
        cls,
        features: Any,
        labels: Any,
        layers: Optional[Sequence[Mapping[str, Any]]] = None,
        ridge: Union[float, str] = "optimal",
        samples: Any = None,
        center: bool = True,
        **rest: Any,
    ) -> "Config":
        """A config whose data are arrays: ``features`` (N × n0) and ``labels`` (N) give
        Σ0 (their empirical covariance), the target β* (least squares) and η² (its residual),
        as ``[data] source`` does from files — the same numbers. ``layers`` are
        ``[[layers]]`` tables (e.g. ``[{"width": 128, "activation": "relu"}]``), ``ridge``
        the readout's λ or ``"optimal"``, ``samples`` a list of p or a ``{"range": …}``
        table; other keyword arguments are further tables (``readout``, ``simulation``).
        Named ``<arrays>`` in error messages."""
        x = _real_array("data.source.features", features)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2:
            raise _bad("data.source.features", f"expected an N × n0 array, got shape {x.shape}", "<arrays>")
        y = _real_array("data.source.labels", labels)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise _bad("data.source.labels", f"expected N labels (one column), got shape {y.shape}", "<arrays>")
        if not isinstance(center, (bool, np.bool_)):
            raise _bad("data.source.center", f"expected True or False, got {center!r:.40}", "<arrays>")
        table: Dict[str, Any] = {k: v for k, v in rest.items()}
        readout = dict(table.pop("readout", {}))
        readout.setdefault("ridge", ridge)
        table["readout"] = readout
        if layers is not None:
            table["layers"] = [dict(l) for l in layers]
        if samples is not None:
            table["samples"] = dict(samples) if isinstance(samples, Mapping) else {"values": list(np.ravel(samples))}
        return cls(_native.from_data(np.ascontiguousarray(x), np.ascontiguousarray(y), bool(center), table))

    @property
    def source(self) -> str:
        """The file name, ``<string>`` or ``<dict>``."""
        return self._native.source

    @property
    def samples(self) -> List[int]:
        """Sample sizes p of the learning curve."""
        return self._native.samples

    @property
    def ridge(self) -> Union[float, str]:
        """λ ≥ 0, or ``"optimal"``."""
        return self._native.ridge

    @property
    def ensemble(self) -> Union[int, str, None]:
        """``[readout] ensemble``: K, ``"infinite"``, or ``None`` when unset."""
        return self._native.ensemble

    def with_alpha(self, start: float, stop: float, points: int) -> "Config":
        """The same config with ``points`` sample sizes p = round(α·n0) for log-spaced α from
        ``start`` to ``stop`` (repeats removed), like ``lcurve --alpha START:STOP:POINTS``."""
        start_, stop_, points_ = _span("alpha", (start, stop, points))
        return Config(self._native.with_alpha(start_, stop_, points_))

    def summary(self) -> Dict[str, Any]:
        """The resolved model: ``dim`` (n0), ``noise`` (η²), ``widths``, ``ranks`` (of the
        data spectrum m and of every S_ℓ), ``threshold`` (r), ``normalizations`` and, for a
        config made from data, ``dataset`` (sizes, scale factors, fitted power laws).
        Builds the covariances once (a dense one costs an eigendecomposition)."""
        if self._summary is None:
            self._summary = json.loads(self._native.summary_json())
        return dict(self._summary)

    def __repr__(self) -> str:
        s = self.summary()
        n = len(self.samples)
        ens = "" if self.ensemble is None else f", ensemble={self.ensemble!r}"
        return (
            f"Config(source={self.source!r}, n0={s['dim']}, widths={s['widths']}, "
            f"ranks={s['ranks']}, threshold={s['threshold']}, noise={s['noise']}, "
            f"ridge={self.ridge!r}{ens}, samples={n} from {self.samples[0]} to {self.samples[-1]})"
        )


class Table:
    """Named columns of equal length, as the command line writes them.

    ``t["error"]`` is a numpy array (float64; int64 for ``samples`` and ``trials``); a
    column with missing cells (``z`` with one trial, or at the interpolation threshold) is
    a ``numpy.ma.MaskedArray``. +∞ stays ``inf``; no value is ever NaN.
    ``t.meta`` holds the JSON document's other fields (``model``, ``ridge``, and for a
    validation ``summary``, ``agreement``, ``trials``, ``seed``, ``scale``)."""

    def __init__(self, columns: Sequence[str], arrays: Sequence[np.ndarray], masks: Sequence[Optional[np.ndarray]], meta: Dict[str, Any]) -> None:
        self._columns = list(columns)
        self._data: Dict[str, np.ndarray] = {}
        for name, a, m in zip(columns, arrays, masks):
            self._data[name] = np.ma.masked_array(a, mask=m) if m is not None else a
        self.meta = meta

    @property
    def columns(self) -> List[str]:
        """Column names, in order."""
        return list(self._columns)

    def __getitem__(self, column: str) -> np.ndarray:
        try:
            return self._data[column]
        except KeyError:
            raise KeyError(f"no column {column!r}; columns are {', '.join(self._columns)}") from None

    def __contains__(self, column: object) -> bool:
        return column in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._data[self._columns[0]]) if self._columns else 0

    def to_dict(self) -> Dict[str, np.ndarray]:
        """``{column: array}`` in column order."""
        return {c: self._data[c] for c in self._columns}

    def to_pandas(self) -> "Any":
        """A ``pandas.DataFrame`` (needs pandas). Columns with missing cells use pandas'
        nullable ``Float64`` dtype, so missing is ``<NA>``, not NaN."""
        try:
            import pandas as pd
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("Table.to_pandas needs pandas: pip install pandas") from e
        cols = {}
        for c in self._columns:
            a = self._data[c]
            if isinstance(a, np.ma.MaskedArray):
                cols[c] = pd.array([None if m else float(x) for x, m in zip(a.data, a.mask)], dtype="Float64")
            else:
                cols[c] = a
        return pd.DataFrame(cols)

    def plot(self, x: Optional[str] = None, y: Optional[str] = None, ax: Any = None, **style: Any) -> Any:
        """A quick matplotlib plot (needs matplotlib) of ``y`` against ``x`` on log axes where
        every value is positive: by default ``error`` (or ``theory``) against ``samples`` (or
        ``time``). A validation table adds its Monte Carlo means with 95% intervals
        (``mc_mean``, ``ci_low``, ``ci_high``). Missing cells are left out. Returns the axes;
        ``style`` goes to the line (``label``, ``color``, …)."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("Table.plot needs matplotlib: pip install matplotlib") from e
        x = x or ("time" if "time" in self and "samples" not in self else "samples")
        y = y or ("theory" if "theory" in self else "error")
        for c in (x, y):
            if c not in self:
                raise _bad("plot", f"no column {c!r}; the table has {', '.join(self._columns)}")
        if ax is None:
            _, ax = plt.subplots()

        def values(c: str) -> np.ndarray:
            a = self._data[c]
            return np.ma.filled(a.astype(float), np.nan) if isinstance(a, np.ma.MaskedArray) else np.asarray(a, dtype=float)

        xs, ys = values(x), values(y)
        keep = np.isfinite(xs) & np.isfinite(ys)
        (line,) = ax.plot(xs[keep], ys[keep], **{"label": y, **style})
        if "mc_mean" in self and "ci_low" in self and "ci_high" in self:
            m, lo, hi = values("mc_mean"), values("ci_low"), values("ci_high")
            k = np.isfinite(xs) & np.isfinite(m)
            err = np.vstack([np.where(np.isfinite(lo[k]), m[k] - lo[k], 0.0), np.where(np.isfinite(hi[k]), hi[k] - m[k], 0.0)])
            ax.errorbar(xs[k], m[k], yerr=err, fmt="o", color=line.get_color(), label="Monte Carlo")
        if np.all(xs[keep] > 0):
            ax.set_xscale("log")
        if np.all(ys[keep] > 0):
            ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        return ax

    def __repr__(self) -> str:
        return f"Table({len(self)} rows × {len(self._columns)} columns: {', '.join(self._columns)})"


def _set(set: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    return None if set is None else dict(set)


def load(path: PathLike, set: Optional[Mapping[str, Any]] = None) -> Config:
    """Loads and validates a model config file. ``set`` overrides values by dotted key
    path before validation, like ``lcurve --set``:
    ``lcurve.load(p, set={"readout.ridge": 0.1, "layers[0].width": 800})``."""
    return Config(_native.load(os.fspath(path), _set(set)))


def loads(text: str, set: Optional[Mapping[str, Any]] = None) -> Config:
    """Validates a model config given as TOML text (named ``<string>`` in messages)."""
    return Config(_native.loads(text, _set(set)))


def _config(c: Union[Config, PathLike]) -> Any:
    if isinstance(c, Config):
        return c._native
    if isinstance(c, (str, os.PathLike)):
        return _native.load(os.fspath(c), None)
    raise TypeError(f"expected an lcurve.Config or a path, got {type(c).__name__}")


def _table(result: Tuple[Tuple[List[str], List[np.ndarray], List[Optional[np.ndarray]]], str]) -> Table:
    (columns, arrays, masks), doc = result
    meta = json.loads(doc)
    meta.pop("points", None)
    return _parts(columns, arrays, masks, meta)


def _parts(columns: List[str], arrays: List[Any], masks: List[Optional[np.ndarray]], meta: Dict[str, Any]) -> Table:
    # Text columns arrive as lists of str: numpy string arrays like the others.
    return Table(columns, [a if isinstance(a, np.ndarray) else np.asarray(a, dtype=str) for a in arrays], masks, meta)


def _bad(key: str, message: str, file: Optional[str] = None) -> ConfigError:
    """A :class:`ConfigError` about ``key`` (of ``file``, when a config's), worded as the
    command line's one-line messages."""
    e = ConfigError(f"{file}: {key}: {message}" if file else f"{key}: {message}")
    e.key = key
    e.file = file
    return e


def _number(key: str, x: Any) -> float:
    """A Python or numpy number as a float; anything else is a :class:`ConfigError`."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise _bad(key, f"expected a number, got {type(x).__name__} {x!r:.40}")
    return float(x)


def _integer(key: str, x: Any) -> int:
    """A Python or numpy integer (or a float with an integral value); a fraction, a bool, a
    string or an integer beyond 64 bits is a :class:`ConfigError` (never truncated)."""
    if isinstance(x, (bool, np.bool_)):
        raise _bad(key, f"expected an integer, got {x!r}")
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        x = int(x)
    if not isinstance(x, (int, np.integer)):
        raise _bad(key, f"expected an integer, got {type(x).__name__} {x!r:.40}")
    if not -(2**63) <= int(x) < 2**63:
        raise _bad(key, f"expected an integer of at most 64 bits, got {x}")
    return int(x)


def _real_array(key: str, a: Any) -> np.ndarray:
    """An array of real numbers as float64: complex values, masked arrays and anything that
    is not numeric are a :class:`ConfigError` (never silently dropped or filled)."""
    if isinstance(a, np.ma.MaskedArray):
        raise _bad(key, "a masked array: remove or fill the masked values first", "<arrays>")
    arr = np.asarray(a)
    if np.iscomplexobj(arr):
        raise _bad(key, "complex values: the model is real", "<arrays>")
    if arr.dtype.kind not in "biuf":
        raise _bad(key, f"expected numbers, got an array of dtype {arr.dtype}", "<arrays>")
    return arr.astype(np.float64)


def _span(key: str, value: Any) -> Tuple[float, float, int]:
    """``(start, stop, points)`` — a 3-tuple or list, or the command line's
    ``"START:STOP:POINTS"`` — with ``points`` an integer."""
    if isinstance(value, str):
        parts = value.split(":")
        if len(parts) != 3:
            raise _bad(key, f"expected START:STOP:POINTS, got {value!r:.40}")
        try:
            return (float(parts[0]), float(parts[1]), _integer(key, int(parts[2])))
        except ValueError:
            raise _bad(key, f"expected START:STOP:POINTS with numbers, got {value!r:.40}") from None
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise _bad(key, f"expected (start, stop, points), got {value!r:.40}")
    return (_number(key, value[0]), _number(key, value[1]), _integer(key, value[2]))


def _with_alpha(config: Union[Config, PathLike], alpha: Any) -> Any:
    native = _config(config)
    if alpha is None:
        return native
    start, stop, points = _span("alpha", alpha)
    return native.with_alpha(start, stop, points)


def curve(
    config: Union[Config, PathLike],
    progress: Optional[Progress] = None,
    alpha: Optional[Tuple[float, float, int]] = None,
    exponents: bool = False,
) -> Table:
    """The learning curve of a config: the columns of ``lcurve curve`` (``samples``,
    ``alpha``, ``ridge``, ``error``, ``bias``, ``variance``, ``train_error``, ``test_mse``,
    ``df``, ``df2``, ``kappa``, ``kappa_data``, ``kappa_1`` …, ``error_inf``, ``bias_inf``,
    ``variance_inf``, ``init_variance`` and, with an ensemble, ``error_ensemble``).
    Errors are in units of the target's signal (E_g → 1 as p → 0). With a nonlinear layer
    (``activation`` in ``[[layers]]``) the §7 columns are masked, and a low effective rank
    of the input is a ``RuntimeWarning`` (Gaussian equivalence is unreliable there).
    ``alpha=(start, stop, points)`` replaces the sample sizes as :meth:`Config.with_alpha`.
    ``exponents=True`` adds the local exponents ``exponent_samples`` = −∂ln E_g/∂ln p and
    ``exponent_width_1`` … = −∂ln E_g/∂ln n_ℓ (masked where undefined: the ridgeless peak),
    as ``lcurve curve --exponents``."""
    return _table(_native.curve(_with_alpha(config, alpha), progress, bool(exponents)))


class Scaling(NamedTuple):
    """The scaling report of :func:`scaling` (``lcurve scaling``)."""

    laws: Table
    """One row per resource: ``resource`` ("samples" or "width"), ``layer``, ``predicted``
    (the law's exponent, masked where no law applies), ``regime`` (what binds and which term
    of the min gives the exponent), ``measured`` (the local exponent at the config's sizes),
    ``at`` (the p or n_ℓ measured at) and ``limits`` (what limits it there)."""
    frontier: Optional[Table]
    """With a budget: ``budget`` C = p·n₁, ``samples`` p*, ``width_1`` … n_ℓ*, ``ridge``,
    ``error`` E* per budget."""
    fit: Optional[Dict[str, Any]]
    """With a budget: the exponents of E*, p*, n₁* fitted in C (``error``, ``samples``,
    ``width``) beside SCALING §5's ``predicted`` (``None`` where it does not apply), over
    ``from``…``to``."""
    no_law: Optional[str]
    """Why no law applies to the config (``None`` when one does)."""


def scaling(
    config: Union[Config, PathLike],
    budget: Optional[Tuple[float, float, int]] = None,
    progress: Optional[Progress] = None,
) -> Scaling:
    """The asymptotic laws of SCALING §4 for a power-law config beside the local exponents
    at its sizes, and with ``budget=(start, stop, points)`` the budget frontier (C = p·n₁
    log-spaced; the best split, and λ* with ``ridge = "optimal"``) with its fitted exponents
    beside SCALING §5 — the tables of ``lcurve scaling`` as numpy arrays."""
    b = None if budget is None else _span("budget", budget)
    laws, frontier, fit, doc = _native.scaling(_config(config), b, progress)
    meta = json.loads(doc)
    frontier_table = _parts(*frontier, {}) if b is not None else None
    return Scaling(_parts(*laws, {"config": meta["config"]}), frontier_table, meta.get("fit"), meta.get("no_law"))


def point(
    config: Union[Config, PathLike],
    samples: float,
    ridge: Union[float, str, None] = None,
    time: Union[float, str, None] = None,
) -> Dict[str, Optional[float]]:
    """The theory at one sample size p > 0 (a real number: the equations are continuous in
    p) and ridge λ ≥ 0 or ``"optimal"`` (``None``: the config's). Returns the observables
    of one row of :func:`curve` as a dict (``samples`` is then a float). The ensemble
    entries (``error_inf``, ``bias_inf``, ``variance_inf``, ``init_variance``, and
    ``error_ensemble`` when the config sets an ensemble) are ``None`` for a network with a
    nonlinear layer (THEORY §7 is specified for linear networks only).
    ``time`` (a number > 0, ``"optimal"`` for early stopping, ``"infinite"``; ``None``: the
    config's ``[readout] time``) gives the readout trained by gradient flow for that time
    (DYNAMICS.md, fixed ridge): ``error``, ``bias``, ``variance``, ``train_error`` and
    ``test_mse`` at ``time``, without the converged readout's order parameters."""
    return _native.point(_config(config), _number("samples", samples), ridge, time)


class Dynamics(NamedTuple):
    """Training-time curves of :func:`dynamics` (``lcurve dynamics``)."""

    points: Table
    """``samples``, ``time``, ``error``, ``bias``, ``variance``, ``train_error``, ``test_mse``
    at every sample size and time."""
    summary: Table
    """Per sample size: ``t_star`` (early stopping; ``inf`` when no finite time beats
    convergence), ``error_t_star``, ``error_converged``, ``ridge_star``, ``error_ridge_star``."""
    datasets: Optional[Table] = None
    """Every layer trained (``layers = "all"``): one row per sample size, training set and
    step — ``error``, ``train_error``, ``sharpness`` of that set's infinite-width network."""
    widths: Optional[Table] = None
    """Every layer trained with ``validate=True``: per sample size, width and step the
    networks' ``mc_mean``, paired ``z`` and ``deviation`` = N·⟨|β_N − β_∞|²⟩."""


def _axis(name: str, value: Any) -> Tuple[Optional[Tuple[float, float, int]], Optional[List[float]]]:
    """A 3-tuple or "START:STOP:POINTS" is a range, anything else a list of numbers."""
    if value is None:
        return None, None
    if isinstance(value, (tuple, str)):
        return _span(name, value), None
    try:
        return None, [float(x) for x in np.ravel(np.asarray(value, dtype=float))]
    except (TypeError, ValueError):
        raise _bad(name, f"expected a list of numbers or (start, stop, points), got {value!r:.40}") from None


def dynamics(
    config: Union[Config, PathLike],
    times: Union[Sequence[float], Tuple[float, float, int], str, None] = None,
    progress: Optional[Progress] = None,
    validate: bool = False,
    trials: Optional[int] = None,
    seed: Optional[int] = None,
    store: Optional[PathLike] = None,
    steps: Union[Sequence[int], Tuple[float, float, int], str, None] = None,
    widths: Optional[Sequence[int]] = None,
    save_datasets: Optional[PathLike] = None,
) -> Dynamics:
    """E_g(t), its bias/variance split and E_tr(t) of the readout trained by gradient flow
    on half the training loss (full-loss time is 2t) at every sample size of a config with a
    fixed ridge, and early stopping beside the optimal ridge — the tables of
    ``lcurve dynamics`` as numpy arrays. ``times`` is a list of times, or a 3-tuple
    ``(start, stop, points)`` (or ``"START:STOP:POINTS"``) for ``points`` log-spaced ones:
    a 3-tuple is always a range (give a list for three times). ``validate=True`` adds
    exact gradient-flow trials at every point (``mc_mean``, ``mc_stderr``, ``z``,
    ``train_mc_mean``; ``trials``, ``seed`` as :func:`validate`, and ``store`` shares them
    with ``lcurve dynamics --validate`` and ``validate``).

    A config with ``[training] optimizer = "gd"`` or ``"sgd"`` (TRAINING.md) runs along step
    counts instead: ``steps`` is a list of integers k ≥ 0 or ``(start, stop, points)`` for
    log-spaced ones (repeats removed); the tables are ``lcurve dynamics --steps``'s (gd: per
    sample size ``step``, ``steps``, ``time`` = ηk, errors; sgd: ``samples_seen`` = k·B and
    the summary's kernel norm and tail index, ``meta["warnings"]``), and ``validate=True``
    runs real gradient descent / one-pass SGD (SGD adds the median of the runs).

    With ``[training] layers = "all"`` (FEATURES.md: every layer trained, richness γ0) the
    points are dataset means of the infinite-width network with their standard errors and
    the largest sharpness so far, ``datasets`` has every training set's row, and
    ``validate=True`` trains real networks on the same sets (``widths``: the widths simulated,
    default the config's; the ``widths`` table gives N·⟨|β_N − β_∞|²⟩). ``save_datasets``
    writes every training set as ``DIR/p{P}-d{i}/features.npy``, ``labels.npy``,
    ``target.npy``."""
    span, ts = _axis("times", times)
    step_span, ks = _axis("steps", steps)
    t = None if trials is None else _integer("trials", trials)
    sd = None if seed is None else _integer("seed", seed)
    st = None if store is None else os.fspath(store)
    ws = None if widths is None else [float(_integer("widths", w)) for w in widths]
    save = None if save_datasets is None else os.fspath(save_datasets)
    pts, summary, extra, doc = _native.dynamics(
        _config(config),
        ts,
        span,
        bool(validate),
        t,
        sd,
        st,
        progress,
        steps=ks,
        step_span=step_span,
        widths=ws,
        save_datasets=save,
    )
    meta = json.loads(doc)
    for key in ("points", "summary", "datasets", "widths"):
        meta.pop(key, None)
    tables = {name: _parts(*parts, meta) for name, parts in extra}
    return Dynamics(_parts(*pts, meta), _parts(*summary, meta), tables.get("datasets"), tables.get("widths"))


def validate(
    config: Union[Config, PathLike],
    trials: Optional[int] = None,
    seed: Optional[int] = None,
    scale: Optional[float] = None,
    store: Optional[PathLike] = None,
    progress: Optional[Progress] = None,
    alpha: Optional[Tuple[float, float, int]] = None,
    inputs: Optional[str] = None,
) -> Table:
    """Monte Carlo validation, as ``lcurve validate``: ``trials`` independent trials per
    sample size (default: the config's ``[simulation]``), ``seed``, and ``scale`` (applied
    to n0, every width and every p). Bit-identical to the command line for the same seed.
    With ``store`` (a results-store folder, as ``lcurve --store``) finished trials are kept
    there and reused, so an interrupted validation resumes; without, nothing is kept.
    ``table.meta["summary"]`` is the agreement line, ``table.meta["agreement"]`` its parts.
    ``alpha=(start, stop, points)`` replaces the sample sizes as :meth:`Config.with_alpha`.
    ``inputs="data"`` simulates on a dataset's real inputs (``lcurve validate --inputs data``:
    rows drawn with replacement, E_g over all of them); the default is the config's
    ``[simulation] inputs``, else Gaussian inputs."""
    st = None if store is None else os.fspath(store)
    native = _with_alpha(config, alpha)
    t = None if trials is None else _integer("trials", trials)
    sd = None if seed is None else _integer("seed", seed)
    sc = None if scale is None else _number("scale", scale)
    return _table(_native.validate_config(native, t, sd, sc, st, progress, inputs))


def figures(
    paths: Union[PathLike, Sequence[PathLike], None] = None,
    out: Optional[PathLike] = None,
    simulate: bool = True,
    trials: Optional[int] = None,
    scale: Optional[float] = None,
    dpi: float = 96.0,
    store: Optional[PathLike] = None,
    progress: Optional[Progress] = None,
) -> List[Tuple[str, str]]:
    """Renders figure configs (files, or folders searched for them; default ``configs``)
    to ``out`` as PNG and SVG, like ``lcurve figures`` (``store``: a results-store folder
    whose trials are reused). ``out`` defaults to ``figures``, except with
    ``simulate=False``, where it must be given (theory-only drafts never replace the
    simulated figures). Returns the ``(png, svg)`` paths."""
    if out is None:
        if not simulate:
            err = ConfigError(
                "out: simulate=False draws theory-only figures: give out= (the default folder "
                "figures/ holds the figures with simulation markers)"
            )
            err.key = "out"
            raise err
        out = "figures"
    if paths is None:
        paths = ["configs"]
    elif isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    st = None if store is None else os.fspath(store)
    t = None if trials is None else _integer("trials", trials)
    sc = None if scale is None else _number("scale", scale)
    written = _native.render_figures([os.fspath(p) for p in paths], os.fspath(out), simulate, t, sc, _number("dpi", dpi), st, progress)
    return [(os.fspath(png), os.fspath(svg)) for png, svg in written]


def render_figure(
    path: PathLike,
    simulate: bool = True,
    trials: Optional[int] = None,
    scale: Optional[float] = None,
    format: str = "svg",
    dpi: float = 96.0,
    store: Optional[PathLike] = None,
    progress: Optional[Progress] = None,
) -> bytes:
    """One figure in memory: SVG (default) or PNG bytes. In a notebook:
    ``IPython.display.SVG(lcurve.render_figure(path))``. ``store`` and ``progress`` as in
    :func:`figures`."""
    st = None if store is None else os.fspath(store)
    t = None if trials is None else _integer("trials", trials)
    sc = None if scale is None else _number("scale", scale)
    return _native.render_figure(os.fspath(path), simulate, t, sc, format, _number("dpi", dpi), st, progress)


def __dir__() -> List[str]:
    """The public API only (not the modules this one imports)."""
    return sorted(__all__)
