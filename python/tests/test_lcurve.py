"""The Python package against the command line (same numbers, same messages), and the
boundary: errors, no NaN, the GIL released, Ctrl-C, progress, figures in memory.

The command line binary is ``$LCURVE_BIN``, else ``target/release/lcurve`` of the
repository (built by ``cargo test --release`` or ``cargo build --release``)."""

import csv
import io
import math
import os
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import lcurve

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
BIN = Path(os.environ.get("LCURVE_BIN", REPO / "target" / "release" / "lcurve"))

SMALL = """
[data]
dim = 60
noise = 0.2
covariance = { kind = "power_law", exponent = 1.0 }
target = { kind = "power_law", exponent = 0.5 }

[[layers]]
width = 40
covariance = { kind = "power_law", exponent = 0.5 }
input_covariance = { kind = "data_power", exponent = 0.5 }

[readout]
ridge = 0.01

[samples]
values = [10, 30, 40, 80, 200]
"""


def cli(*args, check=True):
    if not BIN.exists():
        pytest.skip(f"no lcurve binary at {BIN} (build with cargo build --release)")
    env = dict(os.environ, LCURVE_STORE=tempfile.mkdtemp(prefix="lcurve-store-"))  # no reuse between calls
    out = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, env=env)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def parse_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def model_configs():
    return sorted(p for p in CONFIGS.glob("*.toml") if "[figure]" not in p.read_text())


def assert_same_as_cli_csv(table, text):
    header, rows = parse_csv(text)
    assert table.columns == header
    for j, name in enumerate(header):
        col = table[name]
        for i, row in enumerate(rows):
            cell = row[j]
            if cell == "":
                assert np.ma.is_masked(col[i]), (name, i)
            elif np.asarray(col).dtype.kind in "USO":  # a text column
                assert str(col[i]) == cell, (name, i, col[i], cell)
            else:
                assert col[i] == float(cell), (name, i, col[i], cell)


@pytest.mark.parametrize("path", model_configs(), ids=lambda p: p.name)
def test_curve_matches_the_command_line_for_every_config(path):
    if 'layers = "all"' in path.read_text():
        # Every layer trained runs along steps only: its dynamics, and curve refuses it alike.
        d = lcurve.dynamics(path, steps=[0, 10])
        assert_same_as_cli_csv(d.points, cli("dynamics", path, "--steps", "0,10").stdout)
        with pytest.raises(lcurve.ConfigError):
            lcurve.curve(path)
        assert cli("curve", path, check=False).returncode == 2
        return
    table = lcurve.curve(path)
    assert_same_as_cli_csv(table, cli("curve", path).stdout)
    assert table["error"].dtype == np.float64
    if "samples" in table.columns:  # one-pass SGD has none: its row is at [training] steps
        assert table["samples"].dtype == np.int64
    for name in table.columns:
        assert not np.isnan(np.asarray(table[name], dtype=float)).any(), name


def test_three_ways_to_a_config_agree(tmp_path):
    f = tmp_path / "small.toml"
    f.write_text(SMALL)
    a = lcurve.load(f)
    b = lcurve.loads(SMALL)
    c = lcurve.Config.from_dict(
        {
            "data": {
                "dim": np.int64(60),
                "noise": 0.2,
                "covariance": {"kind": "power_law", "exponent": 1.0},
                "target": {"kind": "power_law", "exponent": 0.5},
            },
            "layers": [
                {
                    "width": 40,
                    "covariance": {"kind": "power_law", "exponent": 0.5},
                    "input_covariance": {"kind": "data_power", "exponent": 0.5},
                }
            ],
            "readout": {"ridge": 0.01},
            "samples": {"values": (10, 30, 40, 80, 200)},
        }
    )
    assert (a.source, b.source, c.source) == (str(f), "<string>", "<dict>")
    ea, eb, ec = (lcurve.curve(x)["error"] for x in (a, b, c))
    assert np.array_equal(ea, eb) and np.array_equal(ea, ec)
    r = repr(a)
    for part in ["n0=60", "widths=[40]", "ranks=[60, 40]", "threshold=40", "ridge=0.01"]:
        assert part in r, r
    assert a.summary()["threshold"] == 40 and a.samples == [10, 30, 40, 80, 200]
    # set= overrides, as --set.
    d = lcurve.load(f, set={"readout.ridge": "optimal", "readout.ensemble": 4})
    assert (d.ridge, d.ensemble) == ("optimal", 4)
    t = lcurve.curve(d)
    assert "error_ensemble" in t.columns and t.meta["ensemble"] == 4
    assert_same_as_cli_csv(t, cli("curve", f, "--set", "readout.ridge=optimal", "--set", "readout.ensemble=4").stdout)


def test_table_shapes_dict_and_pandas():
    t = lcurve.curve(lcurve.loads(SMALL))
    assert len(t) == 5 and list(t) == t.columns and "error" in t
    d = t.to_dict()
    assert list(d) == t.columns and d["alpha"][1] == 0.5
    assert t.meta["model"]["dim"] == 60 and t.meta["ridge"] == 0.01
    with pytest.raises(KeyError, match="no column 'loss'"):
        t["loss"]
    pd = pytest.importorskip("pandas")
    df = t.to_pandas()
    assert list(df.columns) == t.columns and df["error"].tolist() == t["error"].tolist()
    v = lcurve.validate(lcurve.loads(SMALL), trials=1, seed=3)
    z = v["z"]
    assert isinstance(z, np.ma.MaskedArray) and z.mask.all()
    assert v.to_pandas()["z"].isna().all() and str(v.to_pandas()["z"].dtype) == "Float64"


def test_point_is_continuous_in_p_and_matches_the_curve():
    cfg = lcurve.loads(SMALL)
    t = lcurve.curve(cfg)
    p30 = lcurve.point(cfg, 30)
    # A point solved cold and the curve's warm-started one agree to the solver's precision
    # (Newton from different starts may end on a neighbouring last bit).
    assert abs(p30["error"] - t["error"][1]) <= 1e-13 * t["error"][1] and p30["samples"] == 30.0
    a, b, mid = lcurve.point(cfg, 30, 0.01), lcurve.point(cfg, 31, 0.01), lcurve.point(cfg, 30.5, 0.01)
    assert min(a["error"], b["error"]) < mid["error"] < max(a["error"], b["error"])
    # Ridgeless: finite just off the threshold r = 40, +inf on it, never NaN.
    assert math.isfinite(lcurve.point(cfg, 39.5, 0.0)["error"])
    assert lcurve.point(cfg, 40, 0.0)["error"] == math.inf
    opt = lcurve.point(cfg, 55.5, "optimal")
    assert opt["ridge"] >= 0 and opt["error"] <= lcurve.point(cfg, 55.5, 0.01)["error"]
    with pytest.raises(lcurve.ConfigError, match="samples"):
        lcurve.point(cfg, 0.0)
    with pytest.raises(lcurve.ConfigError, match="ridge"):
        lcurve.point(cfg, 10, -1.0)


def test_validate_is_bit_identical_to_the_command_line(tmp_path):
    f = tmp_path / "small.toml"
    f.write_text(SMALL.replace("ridge = 0.01", "ridge = 0.01\nensemble = 3"))
    v = lcurve.validate(f, trials=6, seed=9)
    assert_same_as_cli_csv(v, cli("validate", f, "--trials", 6, "--seed", 9).stdout)
    assert "z_single" in v.columns and v.meta["seed"] == 9
    assert v.meta["summary"].startswith("validate: 5 points × 6 trials")


def test_errors_are_typed_with_the_command_lines_message(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.replace("dim = 60", "dim = 0"))
    with pytest.raises(lcurve.ConfigError) as e:
        lcurve.load(bad)
    assert isinstance(e.value, ValueError)
    line = cli("curve", bad, check=False).stderr.strip()
    assert line == f"error: {e.value}", (line, str(e.value))
    with pytest.raises(lcurve.ConfigError, match=r"<string>: readout\.ensemble: expected an integer"):
        lcurve.loads(SMALL.replace("ridge = 0.01", "ridge = 0.01\nensemble = 0"))
    with pytest.raises(lcurve.ConfigError, match=r"<dict>: data\.dim: expected a number, string"):
        lcurve.Config.from_dict({"data": {"dim": object()}})
    with pytest.raises(lcurve.ConfigError, match=r"<string>: readout\.ridge: expected a finite number"):
        lcurve.loads(SMALL, set={"readout.ridge": -1})
    with pytest.raises(lcurve.ConfigError, match=r'set\."readout\.\[x"'):
        lcurve.loads(SMALL, set={"readout.[x": 1})
    with pytest.raises(lcurve.ConfigError, match="trials"):
        lcurve.validate(lcurve.loads(SMALL), trials=0)
    with pytest.raises(lcurve.ConfigError, match="figure config"):
        lcurve.load(CONFIGS / "f1_double_descent.toml")
    with pytest.raises(lcurve.ConfigError, match="missing.toml: \\(file\\): cannot read"):
        lcurve.load(tmp_path / "missing.toml")  # a missing config is bad input (exit 2 in the CLI)
    assert issubclass(lcurve.SolverError, RuntimeError)
    with pytest.raises(TypeError):
        lcurve.curve(42)


def test_progress_callback_and_its_exceptions():
    cfg = lcurve.loads(SMALL.replace("dim = 60", "dim = 300").replace("width = 40", "width = 200"))
    calls = []
    lcurve.validate(cfg, trials=200, seed=1, progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert calls and all(isinstance(s, str) and d <= t for s, d, t in calls if t)

    class Stop(Exception):
        pass

    def stop(stage, done, total):
        raise Stop()

    # 100 000 trials take hours: returning at all shows the callback's exception stopped the job.
    with pytest.raises(Stop):
        lcurve.validate(cfg, trials=100_000, seed=1, progress=stop)


def test_ctrl_c_interrupts_the_job():
    cfg = lcurve.loads(SMALL.replace("dim = 60", "dim = 300").replace("width = 40", "width = 200"))
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        lcurve.validate(cfg, trials=100_000, seed=1)  # hours without the interrupt


def test_the_gil_is_released():
    cfg = lcurve.loads(SMALL.replace("dim = 60", "dim = 300").replace("width = 40", "width = 200"))
    done = threading.Event()
    started = threading.Event()  # set by the first progress call: the job is running

    def work():
        lcurve.validate(cfg, trials=300, seed=2, progress=lambda *a: started.set())
        done.set()

    th = threading.Thread(target=work)
    ticks = 0
    th.start()
    assert started.wait(60), "the validation reported progress"
    while not done.is_set():
        ticks += 1  # Python bytecode runs while the validation computes
        time.sleep(0.001)
    th.join()
    # Between two progress calls the job holds no GIL: this thread ran while it computed
    # (with the GIL held it could not run at all before `done`).
    assert ticks >= 1, ticks


FIGURE = """
[figure]
title = "tiny"
log_x = true
log_y = true
[data]
dim = 40
noise = 0.1
[[layers]]
width = 60
[readout]
ridge = 0.01
[simulation]
trials = 3
[sweep]
axis = "alpha"
range = { from = 0.1, to = 4, points = 12 }
simulate = { values = [0.5, 2] }
[[series]]
label = "one"
"""


def test_figures_in_memory_and_on_disk(tmp_path):
    f = tmp_path / "tiny.toml"
    f.write_text(FIGURE)
    svg = lcurve.render_figure(f)
    assert svg.startswith(b"<svg") and b"tiny" in svg
    out = tmp_path / "cli"
    cli("figures", f, "--out", out)
    assert svg == (out / "tiny.svg").read_bytes()
    png = lcurve.render_figure(f, format="png", dpi=150)
    assert png.startswith(b"\x89PNG") and png == (lcurve.render_figure(f, format="png", dpi=150))
    with pytest.raises(lcurve.ConfigError) as e:
        lcurve.figures(f, simulate=False)
    assert e.value.key == "out"
    written = lcurve.figures(f, out=tmp_path / "py", simulate=False)
    assert [Path(p).name for p in written[0]] == ["tiny.png", "tiny.svg"]
    with pytest.raises(lcurve.ConfigError, match="format"):
        lcurve.render_figure(f, format="gif")


def test_docstrings_for_help():
    for fn in [lcurve.load, lcurve.loads, lcurve.curve, lcurve.point, lcurve.scaling, lcurve.validate, lcurve.figures, lcurve.render_figure]:
        assert fn.__doc__ and len(fn.__doc__) > 40, fn
    assert "ConfigError" in lcurve.__doc__


def figure_configs():
    return sorted(p for p in CONFIGS.glob("*.toml") if "[figure]" in p.read_text())


@pytest.mark.parametrize("path", figure_configs(), ids=lambda p: p.name)
def test_every_figure_config_draws_what_the_command_line_draws(path, tmp_path):
    """Theory lines of every figure (simulation off: that is `validate`, compared above)."""
    svg = lcurve.render_figure(path, simulate=False)
    cli("figures", path, "--no-sim", "--out", tmp_path)
    assert svg == (tmp_path / (path.stem + ".svg")).read_bytes()


def test_a_results_store_is_reused_and_damage_is_a_warning(tmp_path):
    cfg = lcurve.loads(SMALL)
    store = tmp_path / "store"
    fresh = lcurve.validate(cfg, trials=5, seed=2)
    first = lcurve.validate(cfg, trials=5, seed=2, store=store)
    files = sorted(store.rglob("*.trials"))
    assert len(files) == 1 and len(files[0].read_text().splitlines()) == 25
    again = lcurve.validate(cfg, trials=5, seed=2, store=store)
    assert sorted(store.rglob("*.trials")) == files, "nothing simulated the second time"
    for t in (first, again):
        assert np.array_equal(t["mc_mean"], fresh["mc_mean"])
    (files[0].parent / "junk.trials").write_text("not a record\n")
    with pytest.warns(RuntimeWarning, match="junk.trials: 1 corrupt line"):
        lcurve.validate(cfg, trials=5, seed=2, store=store)


def test_nonlinear_networks_and_the_effective_rank_warning(tmp_path):
    """Activations from text and dicts; the low-effective-rank warning is a RuntimeWarning."""
    relu = SMALL.replace("[readout]", 'activation = "relu"\n\n[readout]')
    f = tmp_path / "relu.toml"
    f.write_text(relu)
    with pytest.warns(RuntimeWarning, match="effective rank"):
        table = lcurve.curve(lcurve.loads(relu))
    assert_same_as_cli_csv(table, cli("curve", f).stdout)
    assert all(np.ma.is_masked(x) for x in table["error_inf"]), "no §7 columns for nonlinear networks"
    coefficients = lcurve.loads(SMALL, set={"layers[0].activation": {"mu0": 0.1, "mu1": 0.8, "mustar": 0.3}})
    with pytest.warns(RuntimeWarning, match="effective rank"):
        pt = lcurve.point(coefficients, 30.0, ridge=0.01)
    assert 0 < pt["error"] < 2
    with pytest.raises(lcurve.ConfigError, match=r"layers\[0\]\.activation: unknown activation \"gelu\""):
        lcurve.loads(SMALL, set={"layers[0].activation": "gelu"})


def test_errors_share_a_base_class_and_say_where():
    with pytest.raises(lcurve.LcurveError) as e:
        lcurve.loads(SMALL.replace("dim = 60", "dim = 2"))
    assert isinstance(e.value, lcurve.ConfigError) and isinstance(e.value, ValueError)
    assert (e.value.file, e.value.key) == ("<string>", "data.dim"), (e.value.file, e.value.key)
    with pytest.raises(lcurve.ConfigError) as e:
        lcurve.validate(lcurve.loads(SMALL), trials=0)
    assert e.value.key == "trials" and e.value.file is None
    assert issubclass(lcurve.SolverError, lcurve.LcurveError) and issubclass(lcurve.SolverError, RuntimeError)
    assert issubclass(lcurve.RenderError, lcurve.LcurveError)


def test_point_of_a_nonlinear_network_has_no_ensemble_fields():
    cfg = lcurve.loads(SMALL.replace("width = 40", 'width = 40\nactivation = "relu"'))
    pt = lcurve.point(cfg, 50.0)
    assert pt["error"] > 0 and pt["error_inf"] is None and pt["init_variance"] is None


def test_hostile_python_input_is_a_config_error():
    d = {}
    d["data"] = d
    with pytest.raises(lcurve.ConfigError, match="nested more than"):
        lcurve.Config.from_dict(d)
    deep = {}
    cur = deep
    for _ in range(100_000):
        cur["a"] = {}
        cur = cur["a"]
    with pytest.raises(lcurve.ConfigError, match="nested more than"):
        lcurve.Config.from_dict(deep)
    with pytest.raises(lcurve.ConfigError, match="nested more than"):
        lcurve.loads(SMALL, set={"data.target": deep})
    with pytest.raises(lcurve.ConfigError, match="lone surrogate"):
        lcurve.loads(SMALL + "# \ud800\n")


def test_numpy_values_are_accepted_like_lists_and_numbers():
    cfg = lcurve.loads(SMALL, set={"samples.values": np.array([20, 40]), "data.noise": np.float32(0.5)})
    assert cfg.samples == [20, 40]
    d = {
        "data": {"dim": np.int64(60), "noise": 0.2},
        "layers": [{"width": 40}],
        "readout": {"ridge": 0.01},
        "samples": {"values": np.arange(10, 40, 10)},
    }
    assert lcurve.Config.from_dict(d).samples == [10, 20, 30]


def test_alpha_replaces_the_sample_sizes():
    cfg = lcurve.loads(SMALL)
    c = lcurve.curve(cfg, alpha=(0.5, 2.0, 3))
    assert list(c["samples"]) == [30, 60, 120]
    assert cfg.with_alpha(0.5, 2.0, 3).samples == [30, 60, 120]
    with pytest.raises(lcurve.ConfigError) as e:
        cfg.with_alpha(0, 2, 3)
    assert e.value.key == "alpha"


def test_the_module_lists_its_api_only():
    names = dir(lcurve)
    assert "curve" in names and "Config" in names
    assert not {"np", "os", "json", "Any"} & set(names), names


def test_render_figure_takes_a_progress_callback(tmp_path):
    f = tmp_path / "tiny.toml"
    f.write_text(FIGURE)

    class Stop(Exception):
        pass

    def stop(stage, done, total):
        raise Stop()

    # A simulated figure runs long enough for the callback to be called and stop it.
    slow = FIGURE.replace("trials = 3", "trials = 100000")
    f2 = tmp_path / "slow.toml"
    f2.write_text(slow)
    with pytest.raises(Stop):
        lcurve.render_figure(f2, progress=stop)
    calls = []
    svg = lcurve.render_figure(f, simulate=False, progress=lambda *a: calls.append(a))
    assert svg.startswith(b"<svg")
    assert all(stage == "figure" for stage, _, _ in calls)


SCALING = """
[data]
dim = "infinite"
noise = 0.5
covariance = { kind = "power_law", exponent = 2.0, normalize = false }
target = { kind = "power_law", exponent = 0.5 }

[[layers]]
width = 1000

[readout]
ridge = "optimal"

[samples]
values = [100, 10000, 1000000]
"""


def test_curve_exponents_match_the_command_line(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(SCALING)
    table = lcurve.curve(f, exponents=True)
    assert table.columns[-2:] == ["exponent_samples", "exponent_width_1"]
    assert np.ma.is_masked(table["alpha"][0])  # α = p/n0 is undefined at n0 = ∞: an empty cell
    assert_same_as_cli_csv(table, cli("curve", f, "--exponents").stdout)


def test_scaling_matches_the_command_line(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(SCALING)
    s = lcurve.scaling(f, budget=(1e6, 1e9, 4))
    # One table per CSV: the frontier by default with a budget, the others by --table.
    laws_csv, frontier_csv, fit_csv = (
        cli("scaling", f, "--budget", "1e6:1e9:4", *t).stdout for t in (["--table", "laws"], [], ["--table", "fit"])
    )
    assert all("\n\n" not in t for t in (laws_csv, frontier_csv, fit_csv))
    header, rows = parse_csv(laws_csv)
    assert s.laws.columns == header
    assert list(s.laws["resource"]) == [r[0] for r in rows] == ["samples", "width"]
    assert list(s.laws["regime"]) == [r[3] for r in rows]
    assert s.laws["measured"][1] == float(rows[1][4])
    assert_same_as_cli_csv(s.frontier, frontier_csv)
    _, fit_rows = parse_csv(fit_csv)
    assert s.fit["error"] == float(fit_rows[0][1]) and s.fit["predicted"]["error"] == float(fit_rows[0][2])
    assert s.no_law is None
    # Without a budget: no frontier; a config without a law says why.
    plain = lcurve.scaling(lcurve.loads(SMALL))
    assert plain.frontier is None and plain.fit is None and plain.no_law is None
    ar1 = SMALL.replace('kind = "power_law", exponent = 1.0', 'kind = "ar1", rho = 0.5').replace(
        'input_covariance = { kind = "data_power", exponent = 0.5 }', ""
    )
    none = lcurve.scaling(lcurve.loads(ar1))
    assert '"ar1"' in none.no_law and np.ma.is_masked(none.laws["predicted"][0])
    with pytest.raises(lcurve.ConfigError) as e:
        lcurve.scaling(f, budget=(1.0, 1e6, 3))
    assert e.value.key == "budget"


def test_config_from_arrays_equals_the_file_route():
    digits = REPO / "data" / "digits"
    x = np.load(digits / "features.npy")
    y = np.load(digits / "parity.npy")
    cfg = lcurve.Config.from_data(
        x, y, layers=[{"width": 128}], ridge="optimal", samples={"range": {"from": 10, "to": 1000, "points": 12}},
        simulation={"trials": 20, "seed": 1},
    )
    from_file = lcurve.curve(CONFIGS / "digits.toml")
    from_arrays = lcurve.curve(cfg)
    for name in from_file.columns:
        assert np.array_equal(np.asarray(from_file[name]), np.asarray(from_arrays[name])), name
    summary = cfg.summary()["dataset"]
    assert summary["rows"] == 1797 and summary["features"] == 64
    # Validation on the real inputs: the command line's numbers.
    v = lcurve.validate(cfg, trials=3, inputs="data")
    text = cli("validate", CONFIGS / "digits.toml", "--trials", "3", "--inputs", "data").stdout
    assert_same_as_cli_csv(v, text)
    with pytest.raises(lcurve.ConfigError) as e:
        lcurve.Config.from_data(x, y[:-1], ridge=0.1, samples=[10])
    assert e.value.key == "data.source.labels"
    with pytest.raises(lcurve.ConfigError) as e:
        lcurve.validate(lcurve.loads(SMALL), trials=2, inputs="data")
    assert e.value.key == "inputs"


def test_dynamics_and_time_match_the_command_line(tmp_path):
    f = tmp_path / "d.toml"
    f.write_text(SMALL.replace("ridge = 0.01", "ridge = 0.001"))
    d = lcurve.dynamics(f, times=[0.5, 5.0, 50.0])
    axis = cli("dynamics", f, "--times", "0.5,5,50").stdout
    summary = cli("dynamics", f, "--times", "0.5,5,50", "--table", "summary").stdout
    assert "\n\n" not in axis and "\n\n" not in summary  # one table per CSV
    assert_same_as_cli_csv(d.points, axis)
    assert_same_as_cli_csv(d.summary, summary)
    pt = lcurve.point(f, samples=30, time=5.0)
    row = [i for i in range(len(d.points)) if d.points["samples"][i] == 30 and d.points["time"][i] == 5.0][0]
    # One time uses the per-time rule, an axis the windowed one (DYNAMICS §3): equal to 1e-10.
    assert abs(pt["error"] - d.points["error"][row]) <= 1e-10 * pt["error"] and pt["time"] == 5.0 and "kappa" not in pt
    best = lcurve.point(f, samples=30, time="optimal")
    assert best["error"] <= pt["error"]
    with pytest.raises(lcurve.ConfigError) as e:
        lcurve.point(f, samples=30, time=-1)
    assert e.value.key == "time"


def test_dynamics_validates_like_the_command_line(tmp_path):
    f = tmp_path / "d.toml"
    f.write_text(SMALL.replace("ridge = 0.01", "ridge = 0.001"))
    d = lcurve.dynamics(f, [0.5, 5.0], validate=True, trials=4, seed=3)
    text = cli("dynamics", f, "--times", "0.5,5", "--validate", "--trials", "4", "--seed", "3", "--no-store").stdout
    assert "mc_mean" in d.points and "z" in d.points
    assert_same_as_cli_csv(d.points, text)
    # The same trajectories through a store, then from it.
    store = tmp_path / "store"
    first = lcurve.dynamics(f, [0.5, 5.0], validate=True, trials=4, seed=3, store=store)
    again = lcurve.dynamics(f, [0.5, 5.0], validate=True, trials=4, seed=3, store=store)
    assert list(first.points["mc_mean"]) == list(again.points["mc_mean"]) == list(d.points["mc_mean"])


GD = SMALL.replace("ridge = 0.01", "ridge = 0.001") + """
[training]
optimizer = "gd"
step = { edge = 0.5 }
steps = 50
"""

SGD = """
[data]
dim = 80
noise = 0.1
covariance = { kind = "power_law", exponent = 1.2 }
[[layers]]
width = 60
[readout]
ridge = 0
[training]
optimizer = "sgd"
step = { kernel_norm = 0.2 }
batch = 2
"""


def test_gradient_descent_and_sgd_match_the_command_line(tmp_path):
    f = tmp_path / "gd.toml"
    f.write_text(GD)
    d = lcurve.dynamics(f, steps=[0, 1, 10, 1000])
    assert_same_as_cli_csv(d.points, cli("dynamics", f, "--steps", "0,1,10,1000").stdout)
    assert_same_as_cli_csv(d.summary, cli("dynamics", f, "--steps", "0,1,10,1000", "--table", "summary").stdout)
    assert list(d.points["steps"][:4]) == [0, 1, 10, 1000]
    # `curve` evaluates at [training] steps = 50, with the step and the count.
    c = lcurve.curve(f)
    assert list(c["steps"]) == [50.0] * len(c) and "step" in c.columns
    g = tmp_path / "sgd.toml"
    g.write_text(SGD)
    s = lcurve.dynamics(g, steps=(1, 100000, 6))
    assert_same_as_cli_csv(s.points, cli("dynamics", g, "--steps", "1:100000:6").stdout)
    assert list(s.points["samples_seen"]) == [2 * k for k in s.points["steps"]]
    assert s.summary["kernel_norm"][0] < 1 and "warnings" in s.points.meta
    v = lcurve.dynamics(g, steps=[1, 100], validate=True, trials=30, seed=2)
    assert "mc_median" in v.points and np.all(np.abs(v.points["z"]) < 5)
    with pytest.raises(lcurve.ConfigError) as e:
        lcurve.dynamics(g, times=[1.0])
    assert e.value.key == "times"
    with pytest.raises(lcurve.ConfigError) as e:
        lcurve.dynamics(g, steps=[1.5])
    assert e.value.key == "steps"


def test_sgd_compute_frontier_matches_the_command_line(tmp_path):
    f = tmp_path / "plrf.toml"
    f.write_text(
        SGD.replace("dim = 80", "dim = 200").replace("width = 60", "width = 40").replace(
            'covariance = { kind = "power_law", exponent = 1.2 }',
            'covariance = { kind = "power_law", exponent = 1.6 }\ntarget = { kind = "power_law", exponent = 0.6 }',
        )
    )
    s = lcurve.scaling(f, budget=(1e3, 1e5, 5))
    assert_same_as_cli_csv(s.frontier, cli("scaling", f, "--budget", "1e3:1e5:5").stdout)
    assert len(s.laws) == 0 and np.allclose(s.frontier["budget"], [1e3, 10**3.5, 1e4, 10**4.5, 1e5], rtol=1e-12)
    errors = [e for e, i in zip(s.frontier["error"], s.frontier["interior"]) if i == "true"]
    assert all(b < a for a, b in zip(errors, errors[1:]))


def test_ranges_and_counts_are_config_errors():
    cfg = lcurve.loads(SMALL.replace("ridge = 0.01", "ridge = 0.001"))
    for bad in [(1, 10, 10**8), (1, 10, 0), (0.1, 1000, 40.5), (1, 10, 2**70), "1:2:x", (1, 10, True)]:
        with pytest.raises(lcurve.ConfigError) as e:
            lcurve.dynamics(cfg, bad)
        assert e.value.key == "times", bad
    # A 3-tuple is a range; an integral float count is an integer, a list is times.
    assert len(set(lcurve.dynamics(cfg, (0.1, 10.0, 3.0)).points["time"])) == 3
    assert sorted(set(lcurve.dynamics(cfg, [0.1, 1000, 40.0]).points["time"])) == [0.1, 40.0, 1000.0]
    for kwargs, key in [
        ({"alpha": "1:2:x"}, "alpha"),
        ({"alpha": (0.1, 1, 3.5)}, "alpha"),
        ({"alpha": (0.1, 1)}, "alpha"),
        ({"alpha": (0.1, 1, -2)}, "alpha"),
    ]:
        with pytest.raises(lcurve.ConfigError) as e:
            lcurve.curve(cfg, **kwargs)
        assert e.value.key == key, kwargs
    for kwargs, key in [({"trials": 10**30}, "trials"), ({"trials": 2.5}, "trials"), ({"seed": -1}, "seed"), ({"scale": "x"}, "scale")]:
        with pytest.raises(lcurve.ConfigError) as e:
            lcurve.validate(cfg, **kwargs)
        assert e.value.key == key, kwargs
    with pytest.raises(lcurve.ConfigError) as e:
        lcurve.point(cfg, samples="ten")
    assert e.value.key == "samples"
    with pytest.raises(lcurve.ConfigError) as e:
        lcurve.scaling(cfg, budget=(1e6, 1e8, 2**80))
    assert e.value.key == "budget"


def test_from_data_refuses_what_it_cannot_represent():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 8))
    y = x @ rng.standard_normal(8)
    for features, labels, center, key in [
        (x + 1j, y, True, "data.source.features"),
        (x, np.stack([y, y], axis=1), True, "data.source.labels"),
        (np.ma.masked_array(x, mask=x > 2), y, True, "data.source.features"),
        (x, y, "no", "data.source.center"),
        (x.astype(str), y, True, "data.source.features"),
    ]:
        with pytest.raises(lcurve.ConfigError) as e:
            lcurve.Config.from_data(features, labels, center=center, ridge=0.1, samples=[10])
        assert e.value.key == key and e.value.file == "<arrays>", (key, str(e.value))
    # One label column is N labels.
    a = lcurve.Config.from_data(x, y[:, None], ridge=0.1, samples=[10])
    b = lcurve.Config.from_data(x, y, ridge=0.1, samples=[10])
    assert lcurve.curve(a)["error"][0] == lcurve.curve(b)["error"][0]


def test_table_plot_draws_the_curve_and_the_markers(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    cfg = lcurve.loads(SMALL)
    ax = lcurve.curve(cfg).plot(label="theory")
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == list(lcurve.curve(cfg)["samples"]) and ax.get_xscale() == "log"
    v = lcurve.validate(cfg, trials=3, seed=1)
    ax = v.plot()
    assert ax.get_ylabel() == "theory" and len(ax.containers) == 1  # the error bars
    with pytest.raises(lcurve.ConfigError):
        v.plot(y="nope")
    ax.figure.savefig(tmp_path / "v.png")
    assert (tmp_path / "v.png").stat().st_size > 1000


FEAT = """
[data]
dim = 12
noise = 0.05
covariance = { kind = "power_law", exponent = 1.0 }
[[layers]]
width = 200
[[layers]]
width = 200
[readout]
ridge = 0
[samples]
values = [8]
[training]
optimizer = "gd"
layers = "all"
step = 0.05
richness = 0.5
datasets = 3
[simulation]
trials = 3
seed = 4
"""


def test_every_layer_trained_matches_the_command_line(tmp_path):
    f = tmp_path / "feat.toml"
    f.write_text(FEAT)
    d = lcurve.dynamics(f, steps=[0, 5, 20])
    assert_same_as_cli_csv(d.points, cli("dynamics", f, "--steps", "0,5,20").stdout)
    assert_same_as_cli_csv(d.datasets, cli("dynamics", f, "--steps", "0,5,20", "--table", "datasets").stdout)
    assert d.widths is None and len(d.datasets) == 9
    assert d.points.meta["richness"] == 0.5
    saved = tmp_path / "sets"
    v = lcurve.dynamics(f, steps=[5, 20], validate=True, widths=[50, 100], save_datasets=saved)
    assert sorted(set(v.widths["width"])) == [50, 100]
    assert np.all(v.widths["deviation"] > 0)
    assert (saved / "p8-d2" / "features.npy").exists()
    x = np.load(saved / "p8-d0" / "features.npy")
    assert x.shape == (8, 12)
    with pytest.raises(lcurve.ConfigError) as e:
        lcurve.dynamics(f, steps=[5], validate=True, widths=[1])
    assert e.value.key == "widths"
