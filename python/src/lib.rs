//! `lcurve._native`: the Python front end of the lcurve library. It converts arguments
//! and results, maps error classes to exceptions, and runs every computation off the
//! GIL in a worker thread while the calling thread polls for Ctrl-C; everything else is
//! the library's. The public Python API (`lcurve/__init__.py`) wraps these functions.

/// The allocator of the command-line tool (see src/main.rs): Monte Carlo trials reuse
/// freed pages instead of faulting them in again.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use lcurve::config::Override;
use lcurve::figures;
use lcurve::output::{Cell, Table};
use lcurve::progress::Progress;
use lcurve::run::{Ran, RunOptions};
use lcurve::store::Store;
use lcurve::validate;
use lcurve::Error;
use lcurve::{Config, Ridge};
use lcurve::{Ensemble, SimulationOverrides};
use numpy::PyArray1;
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::Duration;

/// An exception of `lcurve._errors` (`ConfigError`, `SolverError`, `RenderError`, all
/// `LcurveError`s) with `message`, and its `file` and `key` attributes where known.
fn lcurve_err(class: &'static str, message: String, file: Option<String>, key: Option<String>) -> PyErr {
    Python::attach(|py| {
        let made =
            py.import("lcurve._errors").and_then(|m| m.getattr(class)).and_then(|c| c.call1((message,)));
        match made {
            Ok(obj) => match obj.setattr("file", file).and_then(|_| obj.setattr("key", key)) {
                Ok(()) => PyErr::from_value(obj),
                Err(e) => e,
            },
            Err(e) => e,
        }
    })
}

/// A `ConfigError` about the argument or option `key`.
fn config_err(key: &str, message: String) -> PyErr {
    lcurve_err("ConfigError", message, None, Some(key.to_string()))
}

/// How a config from a dict is named in messages.
const DICT_SOURCE: &str = "<dict>";

/// The library's error as a Python exception of its class.
fn py_err(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Input { file, key, .. } => lcurve_err("ConfigError", msg, Some(file), Some(key)),
        Error::Option { option, .. } => lcurve_err("ConfigError", msg, None, Some(option.to_string())),
        Error::Solver { samples, ridge, equation, .. } => {
            let err = lcurve_err("SolverError", msg, None, None);
            Python::attach(|py| {
                let v = err.value(py);
                match v
                    .setattr("samples", samples)
                    .and_then(|_| v.setattr("ridge", ridge))
                    .and_then(|_| v.setattr("equation", equation))
                {
                    Ok(()) => err,
                    Err(e) => e,
                }
            })
        }
        Error::Numerical(_) => lcurve_err("SolverError", msg, None, None),
        Error::Io { .. } => PyOSError::new_err(msg),
        Error::Render { path, .. } => lcurve_err("RenderError", msg, Some(path), None),
        Error::Interrupted { .. } => PyKeyboardInterrupt::new_err(msg),
    }
}

// ---------- running off the GIL, interruptibly ----------

/// Progress shared between the worker and the polling thread.
#[derive(Default)]
struct Shared {
    cancelled: AtomicBool,
    done: AtomicU64,
    total: AtomicU64,
    stage: Mutex<String>,
    /// Remarks for the user (a damaged store file skipped), issued as Python warnings.
    notes: Mutex<Vec<String>>,
}

impl Progress for Shared {
    fn start(&self, what: &str, total: u64) {
        *self.stage.lock().unwrap_or_else(|p| p.into_inner()) = what.to_string();
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }
    fn advance(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }
    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
    fn note(&self, note: &lcurve::progress::Note) {
        self.notes.lock().unwrap_or_else(|p| p.into_inner()).push(note.to_string());
    }
}

/// Issues the job's notes as `RuntimeWarning`s.
fn warn_notes(py: Python<'_>, shared: &Shared) -> PyResult<()> {
    let notes = std::mem::take(&mut *shared.notes.lock().unwrap_or_else(|p| p.into_inner()));
    if notes.is_empty() {
        return Ok(());
    }
    let warnings = py.import("warnings")?;
    let category = py.get_type::<pyo3::exceptions::PyRuntimeWarning>();
    for n in notes {
        warnings.call_method1("warn", (n, &category))?;
    }
    Ok(())
}

/// How often the calling thread checks for signals and reports progress.
const POLL: Duration = Duration::from_millis(50);

/// Runs `job` in a worker thread without the GIL. Every [`POLL`] the calling thread takes
/// the GIL back to run Python's signal handlers (Ctrl-C raises `KeyboardInterrupt` there)
/// and to call `progress(stage, done, total)`; on an exception the job is cancelled, its
/// work in flight finishes (within a second: trials and points are short), and the
/// exception propagates.
fn run<T: Send>(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
    job: impl FnOnce(&dyn Progress) -> lcurve::Result<T> + Send,
) -> PyResult<T> {
    let shared = Shared::default();
    let (tx, rx) = mpsc::channel();
    let rx = Mutex::new(rx); // waited on without the GIL, so it must be Sync
    std::thread::scope(|s| {
        let shared = &shared;
        s.spawn(move || {
            // A panic must not cross into Python: report it as a failure.
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(shared)));
            let _ = tx.send(out);
        });
        let mut interrupt: Option<PyErr> = None;
        loop {
            match py.detach(|| rx.lock().unwrap_or_else(|p| p.into_inner()).recv_timeout(POLL)) {
                Ok(out) => {
                    if let Some(e) = interrupt {
                        return Err(e);
                    }
                    warn_notes(py, shared)?;
                    return match out {
                        Ok(r) => r.map_err(py_err),
                        Err(_) => {
                            Err(PyRuntimeError::new_err("lcurve: internal error (a panic); please report it"))
                        }
                    };
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(PyRuntimeError::new_err("lcurve: the worker thread ended without a result"))
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if interrupt.is_some() {
                continue; // cancelled: wait for the work in flight
            }
            let poll = || -> PyResult<()> {
                py.check_signals()?;
                if let Some(cb) = progress {
                    let stage = shared.stage.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    cb.call1((
                        stage,
                        shared.done.load(Ordering::Relaxed),
                        shared.total.load(Ordering::Relaxed),
                    ))?;
                }
                Ok(())
            };
            if let Err(e) = poll() {
                shared.cancelled.store(true, Ordering::Relaxed);
                interrupt = Some(e);
            }
        }
    })
}

// ---------- values in and out ----------

/// Why a Python string cannot be a config's text.
fn text_error() -> String {
    "the text is not valid Unicode (it contains a lone surrogate)".into()
}

/// The deepest nesting of dicts and lists a config can need (its own is at most 4 deep);
/// deeper values, and dicts that contain themselves, are refused before they can exhaust
/// the stack.
const MAX_NESTING: usize = 32;

/// A Python value as TOML: dict → table, list/tuple → array, bool, int, float, str; numpy
/// arrays and scalars through `tolist()`.
fn to_toml(v: &Bound<'_, PyAny>, key: &str) -> PyResult<toml::Value> {
    to_toml_at(v, key, 0)
}

fn to_toml_at(v: &Bound<'_, PyAny>, key: &str, depth: usize) -> PyResult<toml::Value> {
    let bad = |what: String| {
        lcurve_err(
            "ConfigError",
            format!("{DICT_SOURCE}: {key}: {what}"),
            Some(DICT_SOURCE.into()),
            Some(key.to_string()),
        )
    };
    if depth > MAX_NESTING {
        return Err(bad(format!("nested more than {MAX_NESTING} levels deep (does a dict contain itself?)")));
    }
    if v.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return v.extract::<i64>().map(toml::Value::Integer).map_err(|_| bad("integer out of range".into()));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(v.extract()?));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return s.to_cow().map(|s| toml::Value::String(s.into_owned())).map_err(|_| bad(text_error()));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        return Ok(toml::Value::Table(dict_to_table_at(d, key, depth + 1)?));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items: PyResult<Vec<toml::Value>> = v
            .try_iter()?
            .enumerate()
            .map(|(i, x)| to_toml_at(&x?, &format!("{key}[{i}]"), depth + 1))
            .collect();
        return Ok(toml::Value::Array(items?));
    }
    // numpy arrays (and numpy scalars): their Python values.
    if v.hasattr("tolist").unwrap_or(false) && v.hasattr("dtype").unwrap_or(false) {
        if let Ok(l) = v.call_method0("tolist") {
            return to_toml_at(&l, key, depth + 1);
        }
    }
    // numpy scalars and other numbers: through __index__ or __float__.
    if let Ok(i) = v.call_method0("__index__").and_then(|i| i.extract::<i64>()) {
        return Ok(toml::Value::Integer(i));
    }
    if let Ok(x) = v.call_method0("__float__").and_then(|x| x.extract::<f64>()) {
        return Ok(toml::Value::Float(x));
    }
    let ty = v.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
    Err(bad(format!("expected a number, string, bool, list or dict, got a {ty}")))
}

fn dict_to_table(d: &Bound<'_, PyDict>, prefix: &str) -> PyResult<toml::Table> {
    dict_to_table_at(d, prefix, 0)
}

fn dict_to_table_at(d: &Bound<'_, PyDict>, prefix: &str, depth: usize) -> PyResult<toml::Table> {
    let mut t = toml::Table::new();
    for (k, v) in d.iter() {
        let k: String = k.extract().map_err(|_| {
            lcurve_err(
                "ConfigError",
                format!("{DICT_SOURCE}: {prefix}: keys must be strings"),
                Some(DICT_SOURCE.into()),
                Some(prefix.to_string()),
            )
        })?;
        let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        t.insert(k, to_toml_at(&v, &path, depth)?);
    }
    Ok(t)
}

/// A table as `(columns, arrays, masks)`: int64 for integer columns, float64 otherwise
/// (+∞ stays +∞); `masks[i]` is a bool array marking missing cells, or `None`.
fn table_to_py<'py>(py: Python<'py>, t: &Table) -> PyResult<Bound<'py, PyTuple>> {
    let arrays = PyList::empty(py);
    let masks = PyList::empty(py);
    for j in 0..t.columns.len() {
        let cells: Vec<&Cell> = t.rows.iter().map(|r| &r[j]).collect();
        if cells.iter().any(|c| matches!(c, Cell::Text(_))) {
            // A text column: a list of str ("" where missing).
            let v: Vec<String> =
                cells.iter().map(|c| if let Cell::Text(s) = c { s.clone() } else { String::new() }).collect();
            arrays.append(v)?;
        } else if !cells.is_empty() && cells.iter().all(|c| matches!(c, Cell::Int(_))) {
            let v: Vec<i64> =
                cells.iter().map(|c| if let Cell::Int(i) = c { *i as i64 } else { 0 }).collect();
            arrays.append(PyArray1::from_vec(py, v))?;
        } else {
            // Missing cells hold 0.0 under the mask: the arrays never carry a NaN.
            let v: Vec<f64> =
                cells.iter().map(|c| if let Cell::Missing = c { 0.0 } else { c.as_f64() }).collect();
            arrays.append(PyArray1::from_vec(py, v))?;
        }
        let missing: Vec<bool> = cells.iter().map(|c| matches!(c, Cell::Missing)).collect();
        if missing.iter().any(|&m| m) {
            masks.append(PyArray1::from_vec(py, missing))?;
        } else {
            masks.append(py.None())?;
        }
    }
    PyTuple::new(py, [t.columns.clone().into_pyobject(py)?.into_any(), arrays.into_any(), masks.into_any()])
}

fn ridge_to_py(py: Python<'_>, r: Ridge) -> PyResult<Py<PyAny>> {
    Ok(match r {
        Ridge::Fixed(l) => l.into_pyobject(py)?.into_any().unbind(),
        Ridge::Optimal => "optimal".into_pyobject(py)?.into_any().unbind(),
    })
}

fn ensemble_to_py(py: Python<'_>, k: Option<Ensemble>) -> PyResult<Py<PyAny>> {
    Ok(match k {
        None => py.None(),
        Some(Ensemble::Members(k)) => k.into_pyobject(py)?.into_any().unbind(),
        Some(Ensemble::Infinite) => "infinite".into_pyobject(py)?.into_any().unbind(),
    })
}

// ---------- Config ----------

/// A validated model configuration (the `[data]`, `[[layers]]`, `[readout]`, `[samples]`
/// and `[simulation]` tables), from a file, TOML text or a dict.
#[pyclass(module = "lcurve", frozen)]
#[derive(Clone)]
struct NativeConfig {
    inner: Config,
    /// The reduced theory, built on the first `point` call and reused by the next ones
    /// (a notebook sweeping p in a loop must not rebuild the covariances every time).
    theory: OnceLock<lcurve::Theory>,
}

impl NativeConfig {
    fn new(inner: Config) -> Self {
        NativeConfig { inner, theory: OnceLock::new() }
    }
}

#[pymethods]
impl NativeConfig {
    /// Where the config came from: its file name, `<string>` or `<dict>`.
    #[getter]
    fn source(&self) -> String {
        self.inner.source().to_string()
    }

    /// The sample sizes p of the learning curve.
    #[getter]
    fn samples(&self) -> Vec<usize> {
        self.inner.samples().to_vec()
    }

    /// λ ≥ 0, or `"optimal"`.
    #[getter]
    fn ridge(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ridge_to_py(py, self.inner.ridge())
    }

    /// `[readout] ensemble`: K, `"infinite"`, or `None` when unset.
    #[getter]
    fn ensemble(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        ensemble_to_py(py, self.inner.ensemble())
    }

    /// The same config with `points` sample sizes p = round(α·n0) for log-spaced α from
    /// `start` to `stop` (the command line's `--alpha START:STOP:POINTS`).
    fn with_alpha(&self, start: f64, stop: f64, points: i64) -> PyResult<NativeConfig> {
        let points =
            lcurve::spec::rules::points(points).map_err(|e| config_err("alpha", format!("alpha: {e}")))?;
        self.inner.clone().with_alpha_range(start, stop, points, true).map(NativeConfig::new).map_err(py_err)
    }

    /// The resolved model as JSON: n0, η², widths, ranks, threshold r, normalisations
    /// (builds the covariances and reduces the spectra).
    fn summary_json(&self, py: Python<'_>) -> PyResult<String> {
        let cfg = self.inner.clone();
        run(py, None, move |progress| {
            let summary = lcurve::prologue::summary(&cfg, progress)?;
            Ok(serde_json::to_string(&summary).unwrap_or_default())
        })
    }
}

/// `set={"readout.ridge": 0.1, "layers[0].width": 800}` as overrides (values as in a dict
/// config; validated with the config, errors named `set."key"`).
fn overrides(set: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<Override>> {
    let Some(set) = set else { return Ok(vec![]) };
    set.iter()
        .map(|(k, v)| {
            let path: String = k
                .extract()
                .map_err(|_| config_err("set", "set: keys must be strings such as \"data.noise\"".into()))?;
            let value = to_toml(&v, &format!("set.\"{path}\""))?;
            Ok(Override { path, value })
        })
        .collect()
}

#[pyfunction]
#[pyo3(signature = (path, set=None))]
fn load(py: Python<'_>, path: PathBuf, set: Option<&Bound<'_, PyDict>>) -> PyResult<NativeConfig> {
    let ovs = overrides(set)?;
    read_config(py, move || Config::load_with(&path, &ovs))
}

/// Reads a config (files, a dataset's analysis) in a thread of its own while the calling
/// thread polls for Ctrl-C without the GIL: `KeyboardInterrupt` comes at once, and the
/// abandoned read finishes in the background (a dataset's eigendecomposition has no point
/// at which to stop) and is dropped.
fn read_config(
    py: Python<'_>,
    read: impl FnOnce() -> lcurve::Result<Config> + Send + 'static,
) -> PyResult<NativeConfig> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
        let _ = tx.send(out);
    });
    let rx = Mutex::new(rx);
    loop {
        match py.detach(|| rx.lock().unwrap_or_else(|p| p.into_inner()).recv_timeout(POLL)) {
            Ok(Ok(r)) => return r.map(NativeConfig::new).map_err(py_err),
            Ok(Err(_)) => {
                return Err(PyRuntimeError::new_err("lcurve: internal error (a panic); please report it"))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err("lcurve: the reading thread ended without a result"))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => py.check_signals()?,
        }
    }
}

#[pyfunction]
#[pyo3(signature = (text, set=None))]
fn loads(text: &Bound<'_, PyString>, set: Option<&Bound<'_, PyDict>>) -> PyResult<NativeConfig> {
    let text = text.to_cow().map_err(|_| {
        lcurve_err(
            "ConfigError",
            format!("<string>: (text): {}", text_error()),
            Some("<string>".into()),
            None,
        )
    })?;
    Config::from_toml_str_with(&text, &overrides(set)?).map(NativeConfig::new).map_err(py_err)
}

#[pyfunction]
#[pyo3(signature = (d, set=None))]
fn from_dict(
    py: Python<'_>,
    d: &Bound<'_, PyDict>,
    set: Option<&Bound<'_, PyDict>>,
) -> PyResult<NativeConfig> {
    let table = dict_to_table(d, "")?;
    let base = std::env::current_dir().unwrap_or_default();
    let ovs = overrides(set)?;
    read_config(py, move || Config::from_table_with(table, DICT_SOURCE, &base, &ovs))
}

/// A config whose data are numpy arrays: `features` (N × n0, float64, C order), `labels`
/// (N), `center`, and the rest of the config as a dict (`layers`, `readout`, `samples`, …).
#[pyfunction]
#[pyo3(signature = (features, labels, center, d))]
fn from_data(
    py: Python<'_>,
    features: numpy::PyReadonlyArray2<'_, f64>,
    labels: numpy::PyReadonlyArray1<'_, f64>,
    center: bool,
    d: &Bound<'_, PyDict>,
) -> PyResult<NativeConfig> {
    let table = dict_to_table(d, "")?;
    let view = features.as_array();
    let (rows, cols) = view.dim();
    let values: Vec<f64> = view.iter().copied().collect();
    let labels: Vec<f64> = labels.as_array().iter().copied().collect();
    read_config(py, move || Config::from_data(table, DATA_SOURCE, (rows, cols, values), labels, center))
}

/// How a config made from arrays is named in messages.
const DATA_SOURCE: &str = "<arrays>";

// ---------- jobs ----------

/// The learning curve: `(columns, arrays, masks, json)`, the CLI's table and its JSON fields.
#[pyfunction]
#[pyo3(signature = (config, progress=None, exponents=false))]
fn curve<'py>(
    py: Python<'py>,
    config: &NativeConfig,
    progress: Option<&Bound<'py, PyAny>>,
    exponents: bool,
) -> PyResult<(Bound<'py, PyTuple>, String)> {
    let cfg = config.inner.clone();
    let (table, json) = run(py, progress, move |p| {
        let c = lcurve::curve::run_with(&cfg, exponents, p)?;
        Ok((c.table(), c.render(cfg.source(), lcurve::output::Format::Json)))
    })?;
    Ok((table_to_py(py, &table)?, json))
}

/// The scaling report of a config: (laws table, frontier table, fit table, JSON document);
/// `budget` = (from, to, points) adds the frontier.
#[pyfunction]
#[pyo3(signature = (config, budget=None, progress=None))]
#[allow(clippy::type_complexity)]
fn scaling<'py>(
    py: Python<'py>,
    config: &NativeConfig,
    budget: Option<(f64, f64, i64)>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyTuple>, Bound<'py, PyTuple>, Bound<'py, PyTuple>, String)> {
    let cfg = config.inner.clone();
    let report = run(py, progress, move |p| {
        let budgets = budget
            .map(|(f, t, n)| lcurve::scaling::budgets(f, t, usize::try_from(n).unwrap_or(0)))
            .transpose()?;
        lcurve::scaling::run(&cfg, budgets.as_deref(), p)
    })?;
    let json = report.render(config.inner.source(), lcurve::output::Format::Json, None).map_err(py_err)?;
    Ok((
        table_to_py(py, &report.laws_table())?,
        table_to_py(py, &report.frontier_table())?,
        table_to_py(py, &report.fit_table())?,
        json,
    ))
}

/// One point of the theory at a real sample size p > 0 and a ridge (`None`: the config's).
#[pyfunction]
#[pyo3(signature = (config, samples, ridge=None, time=None))]
fn point<'py>(
    py: Python<'py>,
    config: &NativeConfig,
    samples: f64,
    ridge: Option<&Bound<'py, PyAny>>,
    time: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let bad_time = |e: lcurve::Invalid| config_err("time", format!("time: {e}"));
    let time = match time {
        None => config.inner.time(),
        Some(t) if t.is_instance_of::<PyString>() => {
            lcurve::spec::Time::named(&t.extract::<String>()?).map_err(bad_time)?
        }
        Some(t) => {
            let x: f64 = t.extract().map_err(|_| {
                config_err("time", "time: expected a number > 0, \"infinite\" or \"optimal\"".into())
            })?;
            lcurve::spec::Time::finite(x).map_err(bad_time)?
        }
    };
    let bad_ridge = |e: lcurve::Invalid| config_err("ridge", format!("ridge: {e}"));
    let ridge = match ridge {
        None => config.inner.ridge(),
        Some(r) if r.is_instance_of::<PyString>() => {
            Ridge::named(&r.extract::<String>()?).map_err(bad_ridge)?
        }
        Some(r) => {
            let x: f64 = r
                .extract()
                .map_err(|_| config_err("ridge", "ridge: expected a number ≥ 0 or \"optimal\"".into()))?;
            Ridge::fixed(x).map_err(bad_ridge)?
        }
    };
    lcurve::spec::rules::real_sample_size(samples)
        .map_err(|e| config_err("samples", format!("samples: {e}")))?;
    let training = lcurve::Training::of_time(time);
    let ensemble = config.inner.readout_ensemble();
    let pt = run(py, None, move |progress| {
        let theory = match config.theory.get() {
            Some(t) => t,
            None => {
                let built = lcurve::prologue::theory(&config.inner, progress)?;
                config.theory.get_or_init(|| built)
            }
        };
        theory.point_with(samples, ridge, training, ensemble)
    })?;
    let d = PyDict::new(py);
    for (k, v) in pt.fields(config.inner.ensemble()) {
        d.set_item(k, v)?;
    }
    Ok(d)
}

/// Training-time curves: `(points, summary, json)` as `lcurve dynamics`, at `times` or
/// `span` = (from, to, points) (gradient flow), or at `steps` or `step_span` (gradient
/// descent, SGD); with `validate`, trained networks beside them.
#[pyfunction]
#[pyo3(signature = (config, times, span, validate, trials=None, seed=None, store=None, progress=None, steps=None, step_span=None, widths=None, save_datasets=None))]
#[allow(clippy::too_many_arguments)] // the Python keyword arguments, one each
fn dynamics<'py>(
    py: Python<'py>,
    config: &NativeConfig,
    times: Option<Vec<f64>>,
    span: Option<(f64, f64, i64)>,
    validate: bool,
    trials: Option<i64>,
    seed: Option<i64>,
    store: Option<PathBuf>,
    progress: Option<&Bound<'py, PyAny>>,
    steps: Option<Vec<f64>>,
    step_span: Option<(f64, f64, i64)>,
    widths: Option<Vec<f64>>,
    save_datasets: Option<PathBuf>,
) -> PyResult<DynamicsParts<'py>> {
    let times = match (times, span) {
        (_, Some((from, to, n))) => Some(lcurve::dynamics::time_range(from, to, n).map_err(py_err)?),
        (ts, None) => ts,
    };
    let steps = match (steps, step_span) {
        (_, Some((from, to, n))) => Some(lcurve::stepped::step_range(from, to, n).map_err(py_err)?),
        (Some(ks), None) => Some(lcurve::stepped::steps(&ks).map_err(py_err)?),
        (None, None) => None,
    };
    let axis = lcurve::dynamics::axis(times, steps).map_err(py_err)?;
    let run_options = if validate {
        let overrides = sim_overrides(trials, seed)?;
        let store = store.map(|d| Store::open(&d).map(Arc::new)).transpose().map_err(py_err)?;
        Some(RunOptions { store, ..RunOptions::with_overrides(overrides) })
    } else {
        None
    };
    let cfg = config.inner.clone();
    let widths = widths.map(|w| lcurve::features::widths(&w)).transpose().map_err(py_err)?;
    let options = lcurve::features::FeatureOptions { widths, save_datasets };
    let d = run(py, progress, move |p| {
        lcurve::dynamics::run_axis(&cfg, &axis, run_options.as_ref(), &options, p)
    })?;
    let json = d.render(config.inner.source(), lcurve::output::Format::Json, None).map_err(py_err)?;
    let extra = PyList::empty(py);
    for (name, t) in d.extra_tables() {
        extra.append((name, table_to_py(py, &t)?))?;
    }
    Ok((table_to_py(py, &d.points_table())?, table_to_py(py, &d.summary_table())?, extra, json))
}

/// `dynamics`'s result: points, summary, the extra tables by name, and the JSON document.
type DynamicsParts<'py> = (Bound<'py, PyTuple>, Bound<'py, PyTuple>, Bound<'py, PyList>, String);

/// The Monte Carlo validation: `(columns, arrays, masks, json)` as `lcurve validate`.
#[pyfunction]
#[pyo3(signature = (config, trials=None, seed=None, scale=None, store=None, progress=None, inputs=None))]
#[allow(clippy::too_many_arguments)] // the Python keyword arguments, one each
fn validate_config<'py>(
    py: Python<'py>,
    config: &NativeConfig,
    trials: Option<i64>,
    seed: Option<i64>,
    scale: Option<f64>,
    store: Option<PathBuf>,
    progress: Option<&Bound<'py, PyAny>>,
    inputs: Option<String>,
) -> PyResult<(Bound<'py, PyTuple>, String)> {
    let inputs = inputs
        .map(|i| lcurve::Inputs::named(&i).map_err(|e| config_err("inputs", format!("inputs: {}", e.0))))
        .transpose()?;
    let trials = trials
        .map(|t| lcurve::spec::rules::trials(t).map_err(|e| config_err("trials", format!("trials: {e}"))))
        .transpose()?;
    let seed = seed
        .map(|s| lcurve::spec::rules::seed(s).map_err(|e| config_err("seed", format!("seed: {e}"))))
        .transpose()?;
    let overrides = SimulationOverrides { trials, seed, scale, inputs };
    let sim = config.inner.simulation().with(&overrides).map_err(py_err)?;
    validate::plan(&config.inner, &sim).map_err(py_err)?;
    let store = store.map(|d| Store::open(&d).map(Arc::new)).transpose().map_err(py_err)?;
    let run_options = RunOptions { store, ..RunOptions::with_overrides(overrides) };
    let cfg = config.inner.clone();
    let (table, json) = run(py, progress, move |p| match validate::execute(&cfg, &run_options, p)? {
        Ran::Done(v) => Ok((v.table(), v.render(cfg.source(), lcurve::output::Format::Json))),
        Ran::Shard(_) => Err(Error::Numerical("a shard assembles no validation".into())),
    })?;
    Ok((table_to_py(py, &table)?, json))
}

/// The keywords `trials` and `seed` as overrides, each checked by its rule.
fn sim_overrides(trials: Option<i64>, seed: Option<i64>) -> PyResult<SimulationOverrides> {
    Ok(SimulationOverrides {
        trials: trials
            .map(|t| lcurve::spec::rules::trials(t).map_err(|e| config_err("trials", format!("trials: {e}"))))
            .transpose()?,
        seed: seed
            .map(|s| lcurve::spec::rules::seed(s).map_err(|e| config_err("seed", format!("seed: {e}"))))
            .transpose()?,
        ..Default::default()
    })
}

/// The run options of a figure call: the keywords as overrides, the store opened.
fn sim_options(
    simulate: bool,
    trials: Option<i64>,
    scale: Option<f64>,
    store: Option<PathBuf>,
) -> PyResult<RunOptions> {
    let store = store.map(|d| Store::open(&d).map(Arc::new)).transpose().map_err(py_err)?;
    let overrides = SimulationOverrides { scale, ..sim_overrides(trials, None)? };
    Ok(RunOptions { simulate, store, ..RunOptions::with_overrides(overrides) })
}

/// Renders figure configs (files or folders) to `out`; returns the written paths.
#[pyfunction]
#[pyo3(signature = (paths, out, simulate=true, trials=None, scale=None, dpi=96.0, store=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn render_figures<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    out: PathBuf,
    simulate: bool,
    trials: Option<i64>,
    scale: Option<f64>,
    dpi: f64,
    store: Option<PathBuf>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Vec<(PathBuf, PathBuf)>> {
    let sim = sim_options(simulate, trials, scale, store)?;
    let written = run(py, progress, move |p| {
        let found = figures::discover(&paths)?;
        figures::render_all(&found, &out, &sim, dpi, p)
    })?;
    Ok(written.into_iter().map(|r| (r.png, r.svg)).collect())
}

/// One figure as SVG text or PNG bytes, in memory.
#[pyfunction]
#[pyo3(signature = (path, simulate=true, trials=None, scale=None, format="svg", dpi=96.0, store=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn render_figure<'py>(
    py: Python<'py>,
    path: PathBuf,
    simulate: bool,
    trials: Option<i64>,
    scale: Option<f64>,
    format: &str,
    dpi: f64,
    store: Option<PathBuf>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let png = match format {
        "svg" => false,
        "png" => true,
        other => {
            return Err(config_err("format", format!("format: expected \"svg\" or \"png\", got \"{other}\"")))
        }
    };
    let sim = sim_options(simulate, trials, scale, store)?;
    let bytes = run(py, progress, move |p| {
        let svg = figures::render_svg(&path, &sim, p)?;
        if png {
            figures::render::png(&svg, dpi)
        } else {
            Ok(svg.into_bytes())
        }
    })?;
    Ok(PyBytes::new(py, &bytes))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<NativeConfig>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(loads, m)?)?;
    m.add_function(wrap_pyfunction!(from_dict, m)?)?;
    m.add_function(wrap_pyfunction!(from_data, m)?)?;
    m.add_function(wrap_pyfunction!(curve, m)?)?;
    m.add_function(wrap_pyfunction!(scaling, m)?)?;
    m.add_function(wrap_pyfunction!(dynamics, m)?)?;
    m.add_function(wrap_pyfunction!(point, m)?)?;
    m.add_function(wrap_pyfunction!(validate_config, m)?)?;
    m.add_function(wrap_pyfunction!(render_figures, m)?)?;
    m.add_function(wrap_pyfunction!(render_figure, m)?)?;
    Ok(())
}
