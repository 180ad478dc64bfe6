//! Resolution of a figure config into the typed values of [`super::spec`], once: the base
//! model with the panel's and the series' `set` overrides applied, every sweep's values
//! applied to its configs and checked, every text the figure draws checked.

use super::schema::{
    RawFigure, RawGuide, RawOptimum, RawPanel, RawSeries, RawSweep, FIGURE_KEYS, MODEL_KEYS,
};
use super::spec::*;
use crate::config::{self, Validator};
use crate::spec::text::truncate;
use crate::spec::{Config, Error, ExponentOf, Invalid, Result};
use std::path::Path;

/// Resolution state of one figure file.
struct Resolver<'a> {
    v: Validator<'a>,
    base: toml::Table,
    kind: FigureKind,
    figure: RawFigure,
    sweep: Option<RawSweep>,
    sweep_y: Option<RawSweep>,
    series: Option<Vec<RawSeries>>,
    has_panels: bool,
}

impl FigureSpec {
    /// Loads a figure config and resolves it into typed values, checking every point.
    pub fn load(path: &Path) -> Result<FigureSpec> {
        let (file, table) = config::read_table(path)?;
        FigureSpec::from_table(table, &file, path)
    }

    /// Resolves a figure config table; `source` names it in errors, `path` gives the output
    /// name and the folder of relative covariance files.
    pub fn from_table(table: toml::Table, source: &str, path: &Path) -> Result<FigureSpec> {
        let base_dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let v = Validator { file: source, base: base_dir, dataset: None };
        if let Some(k) =
            table.keys().find(|k| !MODEL_KEYS.contains(&k.as_str()) && !FIGURE_KEYS.contains(&k.as_str()))
        {
            let all: Vec<String> = MODEL_KEYS.iter().chain(&FIGURE_KEYS).map(|k| format!("`{k}`")).collect();
            return Err(v.err(truncate(k, 40), format!("unknown key, expected one of {}", all.join(", "))));
        }
        let get = |k: &str| table.get(k).cloned();
        let figure: RawFigure = match get("figure") {
            Some(t) => config::from_value(source, "figure", t)?,
            None => return Err(v.err("figure", "missing [figure] table: this is not a figure config")),
        };
        let kind = match figure.kind.as_deref().unwrap_or("curves") {
            "curves" => FigureKind::Curves,
            "heatmap" => FigureKind::Heatmap,
            other => {
                return Err(v.err(
                    "figure.kind",
                    format!("expected \"curves\" or \"heatmap\", got \"{}\"", truncate(other, 40)),
                ))
            }
        };
        fn parse<T: for<'de> serde::Deserialize<'de>>(
            table: &toml::Table,
            source: &str,
            k: &str,
        ) -> Result<Option<T>> {
            table.get(k).cloned().map(|t| config::from_value(source, k, t)).transpose()
        }
        let sweep: Option<RawSweep> = parse(&table, source, "sweep")?;
        let sweep_y: Option<RawSweep> = parse(&table, source, "sweep_y")?;
        let series: Option<Vec<RawSeries>> = parse(&table, source, "series")?;
        let panels: Option<Vec<RawPanel>> = parse(&table, source, "panels")?;
        let mut base = table.clone();
        for k in FIGURE_KEYS {
            base.remove(k);
        }
        let simulation = v.simulation(
            base.get("simulation")
                .cloned()
                .map(|t| config::from_value(source, "simulation", t))
                .transpose()?
                .as_ref(),
        )?;
        let has_panels = panels.is_some();
        let raw_panels = panels.unwrap_or_else(|| vec![RawPanel::default()]);
        if raw_panels.is_empty() {
            return Err(v.err("panels", "expected at least one panel"));
        }
        let r = Resolver { v, base, kind, figure, sweep, sweep_y, series, has_panels };
        r.check_unused(&raw_panels)?;
        let panels = raw_panels.iter().enumerate().map(|(i, p)| r.panel(i, p)).collect::<Result<Vec<_>>>()?;
        let size = |k: &str, x: Option<i64>, d: u32| -> Result<u32> {
            match x {
                None => Ok(d),
                Some(n) if (200..=4000).contains(&n) => Ok(n as u32),
                Some(n) => {
                    Err(r.v.err(format!("figure.{k}"), format!("expected 200 to 4000 pixels, got {n}")))
                }
            }
        };
        let spec = FigureSpec {
            path: path.to_path_buf(),
            name: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "figure".into()),
            title: r.figure.title.clone(),
            kind,
            caption: r.figure.caption.clone(),
            panel_size: (
                size("panel_width", r.figure.panel_width, 900)?,
                size("panel_height", r.figure.panel_height, 620)?,
            ),
            panels,
            simulation,
        };
        r.check_texts(&spec)?;
        Ok(spec)
    }
}

/// Longest caption, and longest title or label, a figure draws (characters).
const MAX_CAPTION: usize = 5_000;
const MAX_LABEL: usize = 300;

/// Text a figure draws: at most `max` characters, and no control characters but line breaks.
fn check_text(text: &str, max: usize) -> std::result::Result<(), Invalid> {
    let n = text.chars().count();
    if n > max {
        return Err(Invalid(format!("expected at most {max} characters, got {n}")));
    }
    if let Some(c) = text.chars().find(|c| c.is_control() && *c != '\n') {
        return Err(Invalid(format!(
            "contains the control character U+{:04X}, which a figure cannot draw",
            c as u32
        )));
    }
    Ok(())
}

impl Resolver<'_> {
    /// Every text the figure draws passes [`check_text`].
    fn check_texts(&self, spec: &FigureSpec) -> Result<()> {
        let check =
            |key: &str, text: &str, max: usize| check_text(text, max).map_err(|e| e.at(self.v.file, key));
        check("figure.title", &spec.title, MAX_LABEL)?;
        if let Some(c) = &spec.caption {
            check("figure.caption", c, MAX_CAPTION)?;
        }
        for (i, p) in spec.panels.iter().enumerate() {
            if let Some(t) = &p.title {
                check(&format!("panels[{i}].title"), t, MAX_LABEL)?;
            }
            for g in &p.guides {
                let (Guide::Vertical { label, .. }
                | Guide::Horizontal { label, .. }
                | Guide::Diagonal { label }
                | Guide::Power { label, .. }) = g;
                if let Some(l) = label {
                    check(&format!("panels[{i}].guides"), l, MAX_LABEL)?;
                }
                if let Guide::Power { series, .. } = g {
                    if *series >= p.series.len() {
                        return Err(self.v.err(
                            format!("panels[{i}].guides"),
                            format!(
                                "a power guide goes through series {}, but the panel has {}",
                                series + 1,
                                p.series.len()
                            ),
                        ));
                    }
                }
            }
            for s in &p.series {
                check(&format!("{}: label", s.context), &s.label, MAX_LABEL)?;
            }
        }
        Ok(())
    }

    /// Nothing in a figure config is silently ignored: top-level tables that every panel
    /// replaces are errors.
    fn check_unused(&self, panels: &[RawPanel]) -> Result<()> {
        let unused = |what: &str, key: &str, own: &dyn Fn(&RawPanel) -> bool| -> Result<()> {
            if self.has_panels && panels.iter().all(own) {
                return Err(self.v.err(
                    key,
                    format!("every panel defines its own {what}, so this top-level one would be ignored; remove it or move it into a panel"),
                ));
            }
            Ok(())
        };
        if self.series.is_some() {
            unused("[[panels.series]]", "series", &|p| p.series.is_some())?;
        }
        if self.sweep.is_some() {
            unused("sweep", "sweep", &|p| p.sweep.is_some())?;
        }
        if self.sweep_y.is_some() {
            unused("sweep_y", "sweep_y", &|p| p.sweep_y.is_some())?;
        }
        if self.figure.y.is_some() {
            let own_y = |p: &RawPanel| {
                p.y.is_some()
                    || p.series.as_ref().is_some_and(|s| !s.is_empty() && s.iter().all(|s| s.y.is_some()))
            };
            unused("y", "figure.y", &own_y)?;
        }
        Ok(())
    }

    fn panel(&self, pi: usize, rp: &RawPanel) -> Result<PanelSpec> {
        let v = &self.v;
        let pkey = |k: &str| if self.has_panels { format!("panels[{pi}].{k}") } else { k.to_string() };
        let (rs, sweep_key) = match (&rp.sweep, &self.sweep) {
            (Some(s), _) => (s, pkey("sweep")),
            (None, Some(s)) => (s, "sweep".to_string()),
            (None, None) => return Err(v.err(pkey("sweep"), "missing [sweep] (the x axis)")),
        };
        let sweep = self.sweep(&sweep_key, rs, true)?;
        let sweep_y = match (self.kind, rp.sweep_y.as_ref().or(self.sweep_y.as_ref())) {
            (FigureKind::Heatmap, Some(r)) => {
                let key = if rp.sweep_y.is_some() { pkey("sweep_y") } else { "sweep_y".into() };
                let s = self.sweep(&key, r, false)?;
                if !s.simulate.is_empty() {
                    return Err(v.err(format!("{key}.simulate"), "heat maps are theory only"));
                }
                Some(s)
            }
            (FigureKind::Heatmap, None) => {
                return Err(v.err("sweep_y", "a heat map needs [sweep_y] (the y axis)"))
            }
            (FigureKind::Curves, Some(_)) => {
                return Err(v.err("sweep_y", "only heat maps (figure.kind = \"heatmap\") have a y sweep"))
            }
            (FigureKind::Curves, None) => None,
        };
        if self.kind == FigureKind::Heatmap {
            if sweep.axis != Axis::Alpha {
                return Err(v.err(sweep_key, "a heat map's x axis must be \"alpha\""));
            }
            if !sweep.simulate.is_empty() {
                return Err(v.err(format!("{sweep_key}.simulate"), "heat maps are theory only"));
            }
        }
        let default_measure = match rp.y.as_ref().or(self.figure.y.as_ref()) {
            Some(y) => self.measure(&if rp.y.is_some() { pkey("y") } else { "figure.y".into() }, y)?,
            None => Measure::Plain(Quantity::Error),
        };
        let mut panel_table = self.base.clone();
        if let Some(set) = &rp.set {
            config::apply_overrides(
                v.file,
                &pkey("set"),
                &mut panel_table,
                set.iter().map(|(k, x)| (k.as_str(), x)),
            )?;
        }
        let (list, series_key): (Vec<RawSeries>, String) = match (&rp.series, &self.series) {
            (Some(s), _) => (s.clone(), pkey("series")),
            (None, Some(s)) => (s.clone(), "series".into()),
            (None, None) => (
                vec![RawSeries {
                    label: String::new(),
                    y: None,
                    dashed: None,
                    markers: None,
                    color: None,
                    set: None,
                }],
                "series".into(),
            ),
        };
        if list.is_empty() {
            return Err(v.err(series_key, "expected at least one series"));
        }
        if self.kind == FigureKind::Heatmap && list.len() > 1 {
            return Err(v.err(series_key, "a heat map shows one series per panel"));
        }
        let series = list
            .iter()
            .enumerate()
            .map(|(si, s)| {
                self.series(
                    &format!("{series_key}[{si}]"),
                    s,
                    &panel_table,
                    &default_measure,
                    &sweep,
                    sweep_y.as_ref(),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let guides = rp
            .guides
            .as_ref()
            .or(self.figure.guides.as_ref())
            .map(|gs| {
                self.guides(&if rp.guides.is_some() { pkey("guides") } else { "figure.guides".into() }, gs)
            })
            .transpose()?
            .unwrap_or_default();
        let y_range = self.pair(&pkey("y_range"), rp.y_range.or(self.figure.y_range))?;
        let log_y = rp.log_y.or(self.figure.log_y).unwrap_or(false);
        if log_y && y_range.is_some_and(|r| r.0 <= 0.0) {
            return Err(v.err(pkey("y_range"), "a log axis needs a positive range"));
        }
        let log_x = rp.log_x.or(self.figure.log_x).unwrap_or(false);
        for (key, s, log) in [(&sweep_key, Some(&sweep), log_x), (&pkey("sweep_y"), sweep_y.as_ref(), log_y)]
        {
            if let Some(s) = s {
                if log && s.values.iter().chain(&s.simulate).any(|&x| x <= 0.0) {
                    return Err(v.err(key.as_str(), "a log axis needs positive sweep values"));
                }
            }
        }
        let ticks_key = if rp.x_ticks.is_some() { pkey("x_ticks") } else { "figure.x_ticks".into() };
        let x_ticks = rp.x_ticks.clone().or(self.figure.x_ticks.clone());
        if let Some(t) = &x_ticks {
            if !log_x {
                return Err(v.err(
                    ticks_key,
                    "explicit ticks are for log axes (log_x = true); linear axes choose their own",
                ));
            }
            if t.is_empty() || t.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
                return Err(v.err(ticks_key, "expected positive finite tick positions"));
            }
        }
        let measure_log = series[0].measure.log_colors();
        let range_key =
            if rp.color_range.is_some() { pkey("color_range") } else { "figure.color_range".into() };
        let scale_key =
            if rp.color_scale.is_some() { pkey("color_scale") } else { "figure.color_scale".into() };
        let colors = Colors {
            range: self.pair(&range_key, rp.color_range.or(self.figure.color_range))?,
            log: match rp.color_scale.as_deref().or(self.figure.color_scale.as_deref()) {
                None => measure_log,
                Some(s) => v.scale(Some(s), &scale_key)?,
            },
        };
        let has_colors = rp.color_range.or(self.figure.color_range).is_some()
            || rp.color_scale.as_ref().or(self.figure.color_scale.as_ref()).is_some();
        if self.kind == FigureKind::Curves && has_colors {
            return Err(v.err(range_key, "only heat maps have colours"));
        }
        if colors.log && colors.range.is_some_and(|r| r.0 <= 0.0) {
            return Err(v.err(range_key, "a log colour scale needs a positive range"));
        }
        Ok(PanelSpec {
            title: rp.title.clone(),
            sweep,
            sweep_y,
            series,
            log_x,
            log_y,
            x_ticks,
            y_range,
            guides,
            colors,
            shows_failure: rp.shows_failure.unwrap_or(false),
        })
    }

    fn pair(&self, key: &str, p: Option<[f64; 2]>) -> Result<Option<(f64, f64)>> {
        match p {
            Some([lo, hi]) if lo.is_finite() && hi.is_finite() && lo < hi => Ok(Some((lo, hi))),
            Some([lo, hi]) => {
                Err(self.v.err(key, format!("expected [low, high] with low < high, got [{lo}, {hi}]")))
            }
            None => Ok(None),
        }
    }

    fn guides(&self, key: &str, gs: &[RawGuide]) -> Result<Vec<Guide>> {
        let v = &self.v;
        gs.iter()
            .enumerate()
            .map(|(i, g)| {
                let gk = format!("{key}[{i}]");
                if let Some(power) = g.power {
                    if g.x.is_some() || g.y.is_some() || g.diagonal.is_some() {
                        return Err(v.err(gk, "a power guide has power = … and series = …, nothing else"));
                    }
                    let series = match g.series {
                        Some(i) if i >= 1 => i as usize - 1,
                        other => {
                            return Err(v.err(
                                format!("{gk}.series"),
                                format!("a power guide needs series = the (1-based) series it goes through, got {other:?}"),
                            ))
                        }
                    };
                    let at = g.at.map(|a| v.finite(&format!("{gk}.at"), a)).transpose()?;
                    return Ok(Guide::Power {
                        power: v.finite(&format!("{gk}.power"), power)?,
                        series,
                        at,
                        label: g.label.clone(),
                    });
                }
                if g.series.is_some() || g.at.is_some() {
                    return Err(v.err(gk, "series = … and at = … belong to a power guide (power = …)"));
                }
                Ok(match (g.x, g.y, g.diagonal.unwrap_or(false)) {
                    (Some(x), None, false) => {
                        Guide::Vertical { x: v.finite(&format!("{gk}.x"), x)?, label: g.label.clone() }
                    }
                    (None, Some(y), false) => {
                        Guide::Horizontal { y: v.finite(&format!("{gk}.y"), y)?, label: g.label.clone() }
                    }
                    (None, None, true) => Guide::Diagonal { label: g.label.clone() },
                    _ => {
                        return Err(v.err(gk, "a guide is exactly one of x = …, y = …, diagonal = true or power = …"))
                    }
                })
            })
            .collect()
    }

    /// An axis from its name and parameters.
    fn axis(&self, key: &str, r: &RawSweep) -> Result<Axis> {
        let v = &self.v;
        let layer = |needed: bool| -> Result<usize> {
            match (r.layer, needed) {
                (Some(l), true) if l >= 1 => Ok(l as usize),
                (Some(l), true) => {
                    Err(v.err(format!("{key}.layer"), format!("expected a layer number ≥ 1, got {l}")))
                }
                (None, true) => {
                    Err(v.err(format!("{key}.layer"), "this axis needs `layer` (1 = first hidden layer)"))
                }
                (Some(_), false) => Err(v.err(format!("{key}.layer"), "not a parameter of this axis")),
                (None, false) => Ok(0),
            }
        };
        if r.covariance.is_some() && r.axis != "exponent" {
            return Err(v.err(format!("{key}.covariance"), "not a parameter of this axis"));
        }
        if r.width_budget.is_some() && r.axis != "ensemble" {
            return Err(v.err(format!("{key}.width_budget"), "not a parameter of this axis"));
        }
        Ok(match r.axis.as_str() {
            "alpha" => layer(false).map(|_| Axis::Alpha)?,
            "samples" => layer(false).map(|_| Axis::Samples)?,
            "budget" => layer(false).map(|_| Axis::Budget)?,
            "compute" => layer(false).map(|_| Axis::Compute)?,
            "index" => layer(false).map(|_| Axis::Index)?,
            "time" => layer(false).map(|_| Axis::Time)?,
            "steps" => layer(false).map(|_| Axis::Steps)?,
            "step_edge" => layer(false).map(|_| Axis::StepEdge)?,
            "network_width" => layer(false).map(|_| Axis::NetworkWidth)?,
            "richness" => layer(false).map(|_| Axis::Richness)?,
            "ridge" => layer(false).map(|_| Axis::Ridge)?,
            "noise" => layer(false).map(|_| Axis::Noise)?,
            "width" => Axis::Width { layer: layer(true)? },
            "ensemble" => Axis::Ensemble {
                budget: match r.width_budget {
                    None => layer(false).map(|_| None)?,
                    Some(u) if u.is_finite() && u > 0.0 => {
                        Some(WidthBudget { layer: layer(true)?, units: u })
                    }
                    Some(u) => {
                        return Err(v.err(
                            format!("{key}.width_budget"),
                            format!("expected a number of hidden units per input dimension > 0, got {u}"),
                        ))
                    }
                },
            },
            "exponent" => {
                let which = r.covariance.as_deref().ok_or_else(|| {
                    v.err(
                        format!("{key}.covariance"),
                        "axis \"exponent\" needs covariance = \"data\", \"input\", \"layer\" or \"target\"",
                    )
                })?;
                Axis::Exponent(match which {
                    "data" => layer(false).map(|_| ExponentOf::Data)?,
                    "target" => layer(false).map(|_| ExponentOf::Target)?,
                    "input" => layer(false).map(|_| ExponentOf::Input)?,
                    "layer" => ExponentOf::Layer(layer(true)?),
                    other => {
                        return Err(v.err(
                            format!("{key}.covariance"),
                            format!(
                                "expected \"data\", \"input\", \"layer\" or \"target\", got \"{}\"",
                                truncate(other, 40)
                            ),
                        ))
                    }
                })
            }
            other => {
                return Err(v.err(
                    format!("{key}.axis"),
                    format!(
                        "unknown axis \"{}\"; expected alpha, samples, ridge, width, noise, exponent, ensemble, budget, compute, index, time, steps, step_edge, network_width or richness",
                        truncate(other, 40)
                    ),
                ))
            }
        })
    }

    fn sweep(&self, key: &str, r: &RawSweep, markers: bool) -> Result<Sweep> {
        let v = &self.v;
        let axis = self.axis(key, r)?;
        let values = v.grid(key, r.values.as_deref(), r.range.as_ref(), true)?;
        let simulate = match (&r.simulate, markers) {
            (Some(s), true) => {
                v.grid(&format!("{key}.simulate"), s.values.as_deref(), s.range.as_ref(), true)?
            }
            (Some(_), false) => {
                return Err(v.err(format!("{key}.simulate"), "only the x axis has simulation markers"))
            }
            (None, _) => vec![],
        };
        for (i, &x) in values.iter().chain(&simulate).enumerate() {
            let bad = match axis.sign() {
                Some(true) => x <= 0.0,
                Some(false) => x < 0.0,
                None => false,
            };
            if bad {
                return Err(
                    v.err(key, format!("value {x} (#{}) is out of range for axis \"{}\"", i + 1, r.axis))
                );
            }
        }
        Ok(Sweep { axis, values, simulate })
    }

    fn measure(&self, key: &str, y: &toml::Value) -> Result<Measure> {
        let v = &self.v;
        match y {
            toml::Value::String(s) => Quantity::parse(s).map(Measure::Plain).map_err(|m| m.at(v.file, key)),
            toml::Value::Table(_) => {
                let raw: RawOptimum = config::from_value(v.file, key, y.clone())?;
                let quantity =
                    Quantity::parse(&raw.minimise).map_err(|m| m.at(v.file, format!("{key}.minimise")))?;
                let over_key = format!("{key}.over");
                if raw.over.simulate.is_some() {
                    return Err(v.err(format!("{over_key}.simulate"), "a minimisation is theory only"));
                }
                let over = self.axis(&over_key, &raw.over)?;
                if over == Axis::Alpha {
                    return Err(
                        v.err(format!("{over_key}.axis"), "minimising over α is not a figure quantity")
                    );
                }
                if matches!(over, Axis::Ensemble { .. }) {
                    return Err(v.err(
                        format!("{over_key}.axis"),
                        "minimising over the ensemble size is not a figure quantity (K is an integer)",
                    ));
                }
                let mut grid =
                    v.grid(&over_key, raw.over.values.as_deref(), raw.over.range.as_ref(), true)?;
                grid.sort_by(f64::total_cmp);
                grid.dedup();
                if grid.len() < 2 {
                    return Err(v.err(over_key, "expected at least two values to minimise over"));
                }
                let show = match raw.show.as_deref().unwrap_or("argmin") {
                    "argmin" => Show::Argmin,
                    "min" => Show::Min,
                    "gain" => Show::Gain,
                    other => {
                        return Err(v.err(
                            format!("{key}.show"),
                            format!(
                                "expected \"argmin\", \"min\" or \"gain\", got \"{}\"",
                                truncate(other, 40)
                            ),
                        ))
                    }
                };
                let reference = match (show, raw.reference) {
                    (Show::Gain, Some(r)) => v.finite(&format!("{key}.reference"), r)?,
                    (Show::Gain, None) => {
                        return Err(v.err(
                            format!("{key}.reference"),
                            "show = \"gain\" needs the reference parameter value",
                        ))
                    }
                    (_, Some(_)) => {
                        return Err(v.err(format!("{key}.reference"), "only show = \"gain\" has a reference"))
                    }
                    (_, None) => 0.0,
                };
                Ok(Measure::Optimum(Optimum { quantity, over, grid, show, reference }))
            }
            other => Err(v.err(
                key,
                format!(
                    "expected a quantity name or a {{ minimise = … }} table, got {}",
                    truncate(&other.to_string(), 40)
                ),
            )),
        }
    }

    fn series(
        &self,
        key: &str,
        s: &RawSeries,
        panel_table: &toml::Table,
        default_measure: &Measure,
        sweep: &Sweep,
        sweep_y: Option<&Sweep>,
    ) -> Result<SeriesSpec> {
        let v = &self.v;
        let context = if s.label.is_empty() {
            key.to_string()
        } else {
            format!("{key} \"{}\"", truncate(&s.label, 60))
        };
        let measure = match &s.y {
            Some(y) => self.measure(&format!("{key}.y"), y)?,
            None => default_measure.clone(),
        };
        if matches!(measure, Measure::Optimum(_)) && !sweep.simulate.is_empty() {
            return Err(
                v.err(format!("{key}.y"), "a minimisation is theory only: remove the sweep's `simulate`")
            );
        }
        let mut t = panel_table.clone();
        if let Some(set) = &s.set {
            config::apply_overrides(
                v.file,
                &format!("{key}.set"),
                &mut t,
                set.iter().map(|(k, x)| (k.as_str(), x)),
            )?;
        }
        let alpha = matches!(sweep.axis, Axis::Alpha | Axis::Samples);
        if alpha && !t.contains_key("samples") {
            // Placeholder: the α axis sets the sample sizes.
            let mut st = toml::Table::new();
            st.insert("values".into(), toml::Value::Array(vec![toml::Value::Integer(1)]));
            t.insert("samples".into(), toml::Value::Table(st));
        }
        let prefix = |e: Error| match e {
            Error::Input { file, key, message } => {
                Error::Input { file, key: format!("{context}: {key}"), message }
            }
            e => e,
        };
        let spectral = matches!(measure, Measure::Plain(Quantity::Eigenvalue | Quantity::TaskPower));
        if spectral != (sweep.axis == Axis::Index) {
            return Err(v.err(
                format!("{context}.y"),
                "the measures eigenvalue and task_power go with an \"index\" axis, and an index axis with them",
            ));
        }
        let config = Config::from_table(t, v.file, &v.base).map_err(prefix)?;
        let sgd = matches!(config.training(), crate::spec::Training::Sgd(_));
        let needs = |q: Quantity, axis: Axis, optimizer: crate::spec::Optimizer| {
            measure == Measure::Plain(q) && (sweep.axis != axis || config.training().optimizer() != optimizer)
        };
        if needs(Quantity::FlowError, Axis::Steps, crate::spec::Optimizer::Gd) {
            return Err(v.err(
                format!("{context}.y"),
                "flow_error is gradient descent's flow at t = ηk: it needs a \"steps\" axis and [training] optimizer = \"gd\"",
            ));
        }
        if needs(Quantity::Width, Axis::Compute, crate::spec::Optimizer::Sgd) {
            return Err(v.err(
                format!("{context}.y"),
                "width is one-pass SGD's compute-optimal width: it needs a \"compute\" axis and [training] optimizer = \"sgd\"",
            ));
        }
        let features = matches!(config.training(), crate::spec::Training::Features(_));
        if measure == Measure::Plain(Quantity::Sharpness) && !(features && sweep.axis == Axis::Steps) {
            return Err(v.err(
                format!("{context}.y"),
                "sharpness is a network's with every layer trained: it needs a \"steps\" axis and [training] layers = \"all\"",
            ));
        }
        let uncentred = matches!(config.training(), crate::spec::Training::Features(t) if !t.centered);
        if measure == Measure::Plain(Quantity::UncentredError)
            && !(uncentred && matches!(sweep.axis, Axis::Steps | Axis::Richness))
        {
            return Err(v.err(
                format!("{context}.y"),
                "uncentred_error is an uncentred network's with every layer trained (centered = false), on a \"steps\" or \"richness\" axis",
            ));
        }
        if sweep.axis == Axis::Richness && !features {
            return Err(v.err(
                format!("{context}: training.layers"),
                "a \"richness\" axis is a network's with every layer trained ([training] layers = \"all\")",
            ));
        }
        if features
            && !matches!(sweep.axis, Axis::Steps | Axis::Samples | Axis::NetworkWidth | Axis::Richness)
        {
            return Err(v.err(
                format!("{context}: training.layers"),
                "a network with every layer trained is drawn along a \"steps\", \"samples\" or \"network_width\" axis",
            ));
        }
        let deviation = measure == Measure::Plain(Quantity::Deviation);
        if (sweep.axis == Axis::NetworkWidth && !features) || (deviation && sweep.axis != Axis::NetworkWidth)
        {
            return Err(v.err(
                format!("{context}.y"),
                "a \"network_width\" axis and the deviation go together, for a network with every layer trained ([training] layers = \"all\")",
            ));
        }
        if features && matches!(sweep.axis, Axis::Samples | Axis::NetworkWidth | Axis::Richness) {
            match config.training() {
                crate::spec::Training::Features(t) if matches!(t.steps, crate::spec::Steps::Count(_)) => {}
                _ => {
                    return Err(v.err(
                        format!("{context}: training.steps"),
                        "a \"samples\" or \"network_width\" axis of a network with every layer trained evaluates at [training] steps = k: give a count",
                    ))
                }
            }
        }
        if sweep.axis == Axis::Compute && !sgd {
            return Err(v.err(
                format!("{context}: training.optimizer"),
                "a \"compute\" axis is one-pass SGD's frontier: it needs [training] optimizer = \"sgd\" (the converged readout's frontier is the \"budget\" axis)",
            ));
        }
        if sweep.axis == Axis::Budget && sgd {
            return Err(v.err(
                format!("{context}: training.optimizer"),
                "a \"budget\" axis is the converged readout's frontier (C = p·n₁); one-pass SGD's is the \"compute\" axis",
            ));
        }
        let optimizer = config.training().optimizer();
        let stepped = matches!(optimizer, crate::spec::Optimizer::Gd | crate::spec::Optimizer::Sgd);
        if (sweep.axis == Axis::Steps && !stepped)
            || (sweep.axis == Axis::StepEdge && optimizer != crate::spec::Optimizer::Gd)
        {
            return Err(v.err(
                format!("{context}: training.optimizer"),
                "a \"steps\" axis needs [training] optimizer = \"gd\" or \"sgd\", a \"step_edge\" axis \"gd\"; gradient flow takes a \"time\" axis",
            ));
        }
        // One-pass SGD has no sample sizes (samples seen = k·B).
        if !alpha && !sgd && config.samples().len() != 1 {
            return Err(v.err(
                format!("{context}: samples"),
                format!(
                    "a sweep over {} needs exactly one sample size, got {}",
                    sweep.axis.label(),
                    config.samples().len()
                ),
            ));
        }
        let spec = SeriesSpec {
            label: s.label.clone(),
            measure,
            dashed: s.dashed.unwrap_or(false),
            markers: s.markers.unwrap_or(true),
            color: match s.color {
                None => None,
                Some(c @ 1..=8) => Some(c as usize - 1),
                Some(c) => {
                    return Err(v.err(
                        format!("{context}.color"),
                        format!("expected a palette colour from 1 to 8, got {c}"),
                    ))
                }
            },
            config,
            context,
        };
        self.check_points(&spec, sweep, sweep_y)?;
        Ok(spec)
    }

    /// Applies every point of the series (y values × minimisation grid × x values) to its
    /// model, so that a bad value anywhere fails now.
    fn check_points(&self, s: &SeriesSpec, sweep: &Sweep, sweep_y: Option<&Sweep>) -> Result<()> {
        let ys: Vec<Option<(&Axis, f64)>> = match sweep_y {
            Some(sy) => sy.values.iter().map(|&y| Some((&sy.axis, y))).collect(),
            None => vec![None],
        };
        let overs: Vec<Option<(&Axis, f64)>> = match &s.measure {
            Measure::Optimum(o) => {
                o.grid.iter().chain(std::iter::once(&o.reference)).map(|&g| Some((&o.over, g))).collect()
            }
            Measure::Plain(_) => vec![None],
        };
        for &y in &ys {
            for &over in &overs {
                for &x in sweep.values.iter().chain(&sweep.simulate) {
                    point_config(s, &sweep.axis, Some(x), y, over)
                        .map_err(|m| self.v.err(format!("{}: sweep", s.context), m.0))?;
                }
            }
        }
        Ok(())
    }
}
