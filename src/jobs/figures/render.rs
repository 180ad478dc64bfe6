//! Drawing: plotters draws one SVG; the PNG is that same SVG rasterised by resvg
//! (anti-aliased, at any `dpi`). Text uses DejaVu Sans embedded in the binary for both, so
//! no system font is needed. A heat map's grid is one embedded image (nearest-neighbour
//! scaled), not one rectangle per cell, which keeps the SVG small.
//!
//! Layout: title, a row of panels (each with its legend below the plot, so a legend never
//! covers data), and a caption. Curves are clipped to the frame by interpolation.

use super::compute::{FigureData, Heat, Marker, PanelData};
use super::spec::{FigureKind, FigureSpec, Guide};
use crate::spec::{Error, Result};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor;
use std::path::{Path, PathBuf};
use std::sync::Once;

const FONT: &str = "sans-serif";
const TITLE_H: u32 = 64;
const LEGEND_ROW_H: u32 = 30;
const CAPTION_LINE_H: u32 = 26;
const COLORBAR_W: u32 = 130;

/// Colours that stay distinguishable (Tableau 10).
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded fonts are valid by construction; ignoring an error can only lose text.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A drawing step that failed (plotters' or resvg's error, in words).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct DrawError(String);

impl From<&str> for DrawError {
    fn from(s: &str) -> Self {
        DrawError(s.to_string())
    }
}

impl From<String> for DrawError {
    fn from(s: String) -> Self {
        DrawError(s)
    }
}

type DrawResult<T = ()> = std::result::Result<T, DrawError>;

fn de<E: std::fmt::Debug>(e: E) -> DrawError {
    DrawError(format!("{e:?}"))
}

/// Tick label: compact decimal, or exponent notation for very small or large values.
fn tick(v: &f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e4).contains(&a) {
        format!("{v:.0e}")
    } else {
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}

/// Wraps text into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let cur = lines.last_mut().unwrap();
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
    }
    lines.retain(|l| !l.is_empty());
    lines
}

fn legend_rows(data: &FigureData) -> u32 {
    data.panels
        .iter()
        .map(|p| {
            let labelled = p.series.iter().filter(|s| !s.label.is_empty()).count() as u32;
            labelled.div_ceil(legend_cols(data))
        })
        .max()
        .unwrap_or(0)
}

fn legend_cols(data: &FigureData) -> u32 {
    (data.spec.panel_size.0 / 290).max(1)
}

fn caption_text(data: &FigureData) -> String {
    let mut parts = vec![];
    if let Some(c) = &data.spec.caption {
        parts.push(c.clone());
    }
    if let Some(n) = &data.simulation_note {
        parts.push(n.clone());
    }
    parts.join(" ")
}

/// Pixel size of the whole figure.
fn figure_size(data: &FigureData) -> (u32, u32) {
    let (pw, ph) = data.spec.panel_size;
    let n = data.panels.len() as u32;
    let extra = if data.spec.kind == FigureKind::Heatmap { COLORBAR_W } else { 0 };
    let w = n * (pw + extra);
    let caption_lines = wrap(&caption_text(data), (w / 11) as usize).len() as u32;
    let legend = if legend_rows(data) > 0 { legend_rows(data) * LEGEND_ROW_H + 16 } else { 0 };
    (w, TITLE_H + ph + legend + caption_lines * CAPTION_LINE_H + 16)
}

/// Pixels per inch of the SVG's coordinates (CSS pixels); a PNG at this dpi has the
/// SVG's pixel size.
pub const BASE_DPI: f64 = 96.0;

/// The figure as an SVG document.
pub fn svg(data: &FigureData) -> Result<String> {
    register_fonts();
    let size = figure_size(data);
    let mut text = String::new();
    SUBPIXEL.with(|l| l.borrow_mut().clear());
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        draw(&root, data)
            .and_then(|_| root.present().map_err(de))
            .map_err(|e| Error::Render { path: format!("{}.svg", data.spec.name), message: e.0 })?;
    }
    let lines = SUBPIXEL.with(|l| std::mem::take(&mut *l.borrow_mut()));
    text = subpixel_lines(&text, &lines)
        .map_err(|e| Error::Render { path: format!("{}.svg", data.spec.name), message: e.0 })?;
    let heats: Vec<(&PanelData, &Heat)> =
        data.panels.iter().filter_map(|p| p.heat.as_ref().map(|h| (p, h))).collect();
    for (i, (panel, heat)) in heats.into_iter().enumerate() {
        text = embed_heat(&text, i, panel, heat)
            .map_err(|e| Error::Render { path: format!("{}.svg", data.spec.name), message: e.0 })?;
    }
    Ok(text)
}

/// Rasterises an SVG drawn by [`svg`] to PNG at `dpi` (96 gives the SVG's pixel size), with
/// the embedded font and the resolution recorded in the PNG.
pub fn png(svg: &str, dpi: f64) -> Result<Vec<u8>> {
    use resvg::{tiny_skia, usvg};
    let fail = |message: String| Error::Render { path: "PNG".into(), message };
    let mut opt = usvg::Options::default();
    {
        let db = opt.fontdb_mut();
        db.load_font_data(dejavu::sans::regular().to_vec());
        db.load_font_data(dejavu::sans::bold().to_vec());
        db.set_sans_serif_family("DejaVu Sans");
    }
    opt.font_family = "DejaVu Sans".into();
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| fail(format!("cannot read the SVG: {e}")))?;
    let scale = (dpi / BASE_DPI) as f32;
    let size = tree.size();
    check_pixels("the figure", (f64::from(size.width()), f64::from(size.height())), dpi)?;
    let (w, h) = ((size.width() * scale).round() as u32, (size.height() * scale).round() as u32);
    let mut pixmap = tiny_skia::Pixmap::new(w.max(1), h.max(1))
        .ok_or_else(|| fail(format!("cannot allocate {w} × {h} pixels")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    let bytes = pixmap.encode_png().map_err(|e| fail(e.to_string()))?;
    Ok(with_resolution(bytes, dpi))
}

/// Most pixels of a PNG (≈ 0.8 GB of raster while it is drawn and encoded).
pub const MAX_PIXELS: f64 = 2e8;

/// Refuses a PNG of `w × h` CSS pixels at `dpi` above [`MAX_PIXELS`]; errors name the
/// option `dpi`.
fn check_pixels(what: &str, (w, h): (f64, f64), dpi: f64) -> Result<()> {
    let s = dpi / BASE_DPI;
    let pixels = (w * s).round() * (h * s).round();
    if pixels > MAX_PIXELS {
        return Err(Error::option(
            "dpi",
            format!(
                "{what} at {dpi} dpi would be {:.0} × {:.0} pixels ({:.1} GB of raster), more than {MAX_PIXELS:e} pixels: lower the dpi or the panel size",
                (w * s).round(),
                (h * s).round(),
                4.0 * pixels / 1e9
            ),
        ));
    }
    Ok(())
}

/// Checks, before anything is computed, that a figure's PNG at `dpi` fits (from its
/// smallest possible size: the panels and the title, without legend and caption).
pub fn check_raster(spec: &FigureSpec, dpi: f64) -> Result<()> {
    let (pw, ph) = spec.panel_size;
    let extra = if spec.kind == FigureKind::Heatmap { COLORBAR_W } else { 0 };
    let w = spec.panels.len() as f64 * f64::from(pw + extra);
    check_pixels(&spec.path.display().to_string(), (w, f64::from(TITLE_H + ph)), dpi)
}

/// Checks a `dpi` value (24 to 1200); errors name the option `dpi`.
pub fn check_dpi(dpi: f64) -> Result<()> {
    if dpi.is_finite() && (24.0..=1200.0).contains(&dpi) {
        Ok(())
    } else {
        Err(Error::option("dpi", format!("expected 24 to 1200, got {dpi}")))
    }
}

/// Renders `data` to `out_dir/NAME.png` (at `dpi`) and `out_dir/NAME.svg`, each written
/// whole or not at all.
pub fn write(data: &FigureData, out_dir: &Path, dpi: f64) -> Result<(PathBuf, PathBuf)> {
    let name = &data.spec.name;
    let (png_path, svg_path) = (out_dir.join(format!("{name}.png")), out_dir.join(format!("{name}.svg")));
    let text = svg(data)?;
    let bytes = png(&text, dpi)?;
    crate::support::output::write_atomic(&png_path, &bytes)?;
    crate::support::output::write_atomic(&svg_path, text.as_bytes())?;
    Ok((png_path, svg_path))
}

/// Inserts a `pHYs` chunk (pixels per metre) after the PNG header, so viewers and
/// typesetting know the intended print size.
fn with_resolution(png: Vec<u8>, dpi: f64) -> Vec<u8> {
    const IHDR_END: usize = 8 + 4 + 4 + 13 + 4;
    if png.len() < IHDR_END {
        return png;
    }
    let ppm = (dpi / 0.0254).round() as u32;
    let mut chunk = Vec::with_capacity(21);
    chunk.extend_from_slice(&9u32.to_be_bytes());
    chunk.extend_from_slice(b"pHYs");
    chunk.extend_from_slice(&ppm.to_be_bytes());
    chunk.extend_from_slice(&ppm.to_be_bytes());
    chunk.push(1); // unit: metre
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    let mut out = Vec::with_capacity(png.len() + chunk.len());
    out.extend_from_slice(&png[..IHDR_END]);
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[IHDR_END..]);
    out
}

/// CRC-32 (IEEE) as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

/// Standard base64 (for the embedded heat-map image).
fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            out.push(if i <= c.len() { T[(n >> shift) as usize & 63] as char } else { '=' });
        }
    }
    out
}

/// A solid theory line: its colour and its points in f64 pixels.
type ExactLine = (RGBColor, Vec<(f64, f64)>);

thread_local! {
    /// The solid theory lines of the figure being drawn on this thread, in drawing order
    /// (see [`subpixel_lines`]).
    static SUBPIXEL: std::cell::RefCell<Vec<ExactLine>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Colour marking theory line `k` (drawn in it at whole pixels, then replaced).
fn line_placeholder(k: usize) -> RGBColor {
    RGBColor(2, (k / 256) as u8, (k % 256) as u8)
}

/// Gives every solid theory line its sub-pixel points and its colour: plotters draws at
/// whole pixels, which makes a smooth curve a staircase (also in PNGs at high dpi).
fn subpixel_lines(svg: &str, lines: &[ExactLine]) -> DrawResult<String> {
    let mut out = svg.to_string();
    for (k, (color, points)) in lines.iter().enumerate() {
        let c = line_placeholder(k);
        let marker = format!("stroke=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2);
        let at = out.find(&marker).ok_or("theory-line placeholder not found")?;
        let start = out[..at].rfind("<polyline").ok_or("theory-line placeholder is not a polyline")?;
        let end = at + out[at..].find("/>").ok_or("unterminated polyline")? + 2;
        let tag = &out[start..end];
        let p = tag.find(" points=\"").ok_or("a polyline without points")? + " points=\"".len();
        let q = p + tag[p..].find('"').ok_or("bad points")?;
        let pts: Vec<String> = points.iter().map(|(x, y)| format!("{x:.2},{y:.2}")).collect();
        let new_tag = format!("{}{}{}", &tag[..p], pts.join(" "), &tag[q..])
            .replace(&marker, &format!("stroke=\"#{:02X}{:02X}{:02X}\"", color.0, color.1, color.2));
        out.replace_range(start..end, &new_tag);
    }
    Ok(out)
}

/// Colour marking where heat map `i`'s image goes (drawn as a placeholder rectangle).
fn placeholder(i: usize) -> RGBColor {
    RGBColor(1, 2, 3 + i as u8)
}

/// Replaces heat map `i`'s placeholder rectangle by its grid as one PNG image, one pixel
/// per cell when the cells are even on the displayed axes (else one per display pixel),
/// scaled without smoothing.
fn embed_heat(svg: &str, i: usize, panel: &PanelData, heat: &Heat) -> DrawResult<String> {
    let c = placeholder(i);
    let marker = format!("fill=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2);
    let at = svg.find(&marker).ok_or("heat-map placeholder not found")?;
    let start = svg[..at].rfind("<rect").ok_or("heat-map placeholder is not a rectangle")?;
    let end = at + svg[at..].find("/>").ok_or("unterminated placeholder")? + 2;
    let attr = |name: &str| -> DrawResult<f64> {
        let tag = &svg[start..end];
        let k =
            tag.find(&format!(" {name}=\"")).ok_or(format!("placeholder without {name}"))? + name.len() + 3;
        let v = &tag[k..k + tag[k..].find('"').ok_or("bad attribute")?];
        v.parse().map_err(|_| DrawError(format!("bad {name} {v}")))
    };
    let (x, y, w, h) = (attr("x")?, attr("y")?, attr("width")?, attr("height")?);
    let spec = &panel.spec;
    let (ex, ey) = (edges(&heat.xs, spec.log_x), edges(&heat.ys, spec.log_y));
    let even = |e: &[f64], log: bool| {
        let t: Vec<f64> = e.iter().map(|&v| if log { v.ln() } else { v }).collect();
        let step = (t[t.len() - 1] - t[0]) / (t.len() - 1) as f64;
        t.windows(2).all(|p| ((p[1] - p[0]) - step).abs() <= 1e-9 * step.abs())
    };
    let uniform = even(&ex, spec.log_x) && even(&ey, spec.log_y);
    let (iw, ih) = if uniform {
        (heat.xs.len(), heat.ys.len())
    } else {
        (w.round().max(1.0) as usize, h.round().max(1.0) as usize)
    };
    let colors = color_range(panel, heat);
    // Cell of a fractional position along the displayed axis.
    let cell = |e: &[f64], log: bool, f: f64| -> usize {
        let t = |v: f64| if log { v.ln() } else { v };
        let pos = t(e[0]) + f * (t(e[e.len() - 1]) - t(e[0]));
        e.windows(2).position(|p| pos <= t(p[1])).unwrap_or(e.len() - 2)
    };
    let mut pixmap = resvg::tiny_skia::Pixmap::new(iw as u32, ih as u32).ok_or("empty heat map")?;
    let data = pixmap.data_mut();
    for row in 0..ih {
        // Image rows run top to bottom, the y axis bottom to top.
        let iy =
            if uniform { ih - 1 - row } else { cell(&ey, spec.log_y, 1.0 - (row as f64 + 0.5) / ih as f64) };
        for col in 0..iw {
            let ix = if uniform { col } else { cell(&ex, spec.log_x, (col as f64 + 0.5) / iw as f64) };
            let RGBColor(r, g, b) = viridis(color_position(heat.z[iy][ix], colors, spec.colors.log));
            let k = 4 * (row * iw + col);
            data[k..k + 4].copy_from_slice(&[r, g, b, 255]);
        }
    }
    let png = pixmap.encode_png().map_err(|e| DrawError(e.to_string()))?;
    let image = format!(
        "<image x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" preserveAspectRatio=\"none\" image-rendering=\"optimizeSpeed\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64,{}\"/>",
        base64(&png)
    );
    Ok(format!("{}{image}{}", &svg[..start], &svg[end..]))
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &FigureData) -> DrawResult {
    root.fill(&WHITE).map_err(de)?;
    let (w, h) = root.dim_in_pixel();
    let (title, rest) = root.split_vertically(TITLE_H);
    title
        .draw_text(
            &data.spec.title,
            &TextStyle::from((FONT, 30).into_font().style(FontStyle::Bold))
                .pos(text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Center)),
            (w as i32 / 2, TITLE_H as i32 / 2),
        )
        .map_err(de)?;
    let caption = wrap(&caption_text(data), (w / 11) as usize);
    let caption_h = caption.len() as u32 * CAPTION_LINE_H + 16;
    let (main, bottom) = rest.split_vertically(h - TITLE_H - caption_h);
    for (i, line) in caption.iter().enumerate() {
        bottom
            .draw_text(
                line,
                &(FONT, 19).into_font().color(&RGBColor(60, 60, 60)),
                (24, 6 + i as i32 * CAPTION_LINE_H as i32),
            )
            .map_err(de)?;
    }
    let areas = main.split_evenly((1, data.panels.len()));
    let mut heats = 0;
    for (area, panel) in areas.iter().zip(&data.panels) {
        match &panel.heat {
            Some(heat) => {
                heat_panel(area, heats, panel, heat)?;
                heats += 1;
            }
            None => curves_panel(area, data, panel)?,
        }
    }
    Ok(())
}

/// Axis range covering `values`, padded (multiplicatively on a log axis).
fn padded(values: impl Iterator<Item = f64>, log: bool, pad: f64) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return None;
    }
    if log {
        let f = (hi / lo).powf(pad).max(1.05);
        Some((lo / f, hi * f))
    } else {
        let d = if hi > lo { (hi - lo) * pad } else { lo.abs().max(1.0) * 0.1 };
        Some((lo - d, hi + d))
    }
}

/// Splits a polyline into runs inside `[lo, hi]`, interpolating the crossing points
/// (in log y on a log axis); non-finite points break the line.
/// The points of y = y₀·(x/x₀)^power over [xlo, xhi], through the finite point (x₀, y₀)
/// of the panel's series `series` nearest to x = `at` in ln x (its last one when `None`);
/// `None` if it has none.
fn power_guide(
    panel: &PanelData,
    power: f64,
    series: usize,
    at: Option<f64>,
    (xlo, xhi): (f64, f64),
    log_x: bool,
) -> Option<Vec<(f64, f64)>> {
    let s = panel.series.get(series)?;
    let mut finite = s.theory.iter().filter(|(x, y)| *x > 0.0 && x.is_finite() && y.is_finite() && *y > 0.0);
    let &(x0, y0) = match at {
        None => finite.next_back()?,
        Some(a) => finite.min_by(|p, q| (p.0 / a).ln().abs().total_cmp(&(q.0 / a).ln().abs()))?,
    };
    let n = 64;
    Some(
        (0..=n)
            .map(|i| {
                let f = i as f64 / n as f64;
                let x = if log_x { xlo * (xhi / xlo).powf(f) } else { xlo + f * (xhi - xlo) };
                (x, y0 * (x / x0).powf(power))
            })
            .collect(),
    )
}

fn clip(points: &[(f64, f64)], lo: f64, hi: f64, log: bool) -> Vec<Vec<(f64, f64)>> {
    let t = |y: f64| if log { y.ln() } else { y };
    let inside = |y: f64| y.is_finite() && y >= lo && y <= hi;
    let mut runs: Vec<Vec<(f64, f64)>> = vec![];
    let mut cur: Vec<(f64, f64)> = vec![];
    for w in 0..points.len() {
        let (x, y) = points[w];
        if inside(y) {
            if cur.is_empty() && w > 0 {
                let (px, py) = points[w - 1];
                if py.is_finite() && !(log && py <= 0.0) {
                    let edge = if py > hi { hi } else { lo };
                    let f = (t(edge) - t(py)) / (t(y) - t(py));
                    cur.push((px + f * (x - px), edge));
                }
            }
            cur.push((x, y));
        } else {
            if !cur.is_empty() && y.is_finite() && !(log && y <= 0.0) {
                let (px, py) = *cur.last().unwrap();
                let edge = if y > hi { hi } else { lo };
                let f = (t(edge) - t(py)) / (t(y) - t(py));
                cur.push((px + f * (x - px), edge));
            }
            if !cur.is_empty() {
                runs.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

fn curves_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &FigureData,
    panel: &PanelData,
) -> DrawResult {
    let spec = &panel.spec;
    let rows = legend_rows(data);
    let legend_h = if rows > 0 { rows * LEGEND_ROW_H + 16 } else { 0 };
    let (_, h) = area.dim_in_pixel();
    let (plot, legend) = area.split_vertically(h - legend_h);
    let xs = spec.sweep.values.iter().chain(&spec.sweep.simulate).copied();
    let (x0, x1) = padded(xs, spec.log_x, 0.02).ok_or("no x values")?;
    let (y0, y1) = match spec.y_range {
        Some(r) => r,
        None => {
            let ys = panel.series.iter().flat_map(|s| {
                s.theory.iter().map(|p| p.1).chain(s.markers.iter().flat_map(|m| [m.low, m.mean, m.high]))
            });
            // A panel of markers only (the networks' deviation) drawn without simulation has
            // nothing to scale by: an empty frame over one decade.
            padded(ys, spec.log_y, 0.04).unwrap_or(if spec.log_y { (0.1, 10.0) } else { (0.0, 1.0) })
        }
    };
    dispatch(&plot, (x0, x1), (y0, y1), panel, Body::Curves { y: (y0, y1) })?;
    draw_legend(&legend, data, panel)
}

fn y_label(panel: &PanelData) -> String {
    let mut labels: Vec<String> = panel.series.iter().map(|s| s.measure.label()).collect();
    labels.dedup();
    let spectral = panel.spec.sweep.axis == crate::jobs::figures::spec::Axis::Index;
    if labels.len() == 1 {
        labels.remove(0)
    } else if spectral {
        "eigenvalue, task power (see legend)".into()
    } else {
        "error (see legend)".into()
    }
}

/// The chart type over two f64 axes (linear or log).
type Chart<'a, DB, X, Y> = ChartContext<
    'a,
    DB,
    Cartesian2d<<X as AsRangedCoord>::CoordDescType, <Y as AsRangedCoord>::CoordDescType>,
>;

/// A Cartesian chart with the house margins and an optional panel title.
fn chart_on<'a, DB, X, Y>(
    area: &'a DrawingArea<DB, Shift>,
    x: X,
    y: Y,
    title: Option<&str>,
    margin_right: u32,
) -> DrawResult<Chart<'a, DB, X, Y>>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
{
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(12)
        .margin_right(margin_right)
        .margin_left(12)
        .x_label_area_size(64)
        .y_label_area_size(96);
    if let Some(t) = title {
        builder.caption(t, (FONT, 24));
    }
    builder.build_cartesian_2d(x, y).map_err(de)
}

/// What a panel draws inside its frame.
enum Body<'a> {
    /// Theory lines and markers, clipped to the y range.
    Curves { y: (f64, f64) },
    /// A heat map between the `ex`/`ey` edges: a placeholder for image `index` (see
    /// `embed_heat`).
    Heat { index: usize, ex: &'a [f64], ey: &'a [f64] },
}

/// Picks linear or log coordinates for each axis and draws the panel.
fn dispatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    panel: &PanelData,
    body: Body<'_>,
) -> DrawResult {
    macro_rules! with_y {
        ($x:expr) => {
            if panel.spec.log_y {
                panel_chart(area, $x, (y0..y1).log_scale(), panel, body)
            } else {
                panel_chart(area, $x, y0..y1, panel, body)
            }
        };
    }
    // Explicit ticks are for log axes only (spec checks it): plotters' linear ticks are fine.
    match (panel.spec.log_x, panel.spec.x_ticks.clone()) {
        (true, Some(t)) => with_y!((x0..x1).log_scale().with_key_points(t)),
        (true, None) => with_y!((x0..x1).log_scale()),
        (false, _) => with_y!(x0..x1),
    }
}

fn panel_chart<DB, X, Y>(
    area: &DrawingArea<DB, Shift>,
    x: X,
    y: Y,
    panel: &PanelData,
    body: Body<'_>,
) -> DrawResult
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let spec = &panel.spec;
    match body {
        Body::Curves { y: (ylo, yhi) } => {
            let mut chart = chart_on(area, x, y, spec.title.as_deref(), 28)?;
            chart
                .configure_mesh()
                .x_desc(spec.sweep.axis.label())
                .y_desc(y_label(panel))
                .label_style((FONT, 18))
                .axis_desc_style((FONT, 21))
                .x_label_formatter(&tick)
                .y_label_formatter(&tick)
                .light_line_style(RGBColor(235, 235, 235))
                .bold_line_style(RGBColor(215, 215, 215))
                .draw()
                .map_err(de)?;
            let (xlo, xhi) = (chart.x_range().start, chart.x_range().end);
            // The chart's map from values to pixels without plotters' rounding to whole
            // pixels: the same ends (plotters' own pixels of the axis ends), in f64.
            let (yr0, yr1) = (chart.y_range().start, chart.y_range().end);
            let coord = chart.as_coord_spec();
            let (x0p, y0p) = coord.translate(&(xlo, yr0));
            let (x1p, y1p) = coord.translate(&(xhi, yr1));
            let frac = |v: f64, lo: f64, hi: f64, log: bool| {
                if log {
                    (v.ln() - lo.ln()) / (hi.ln() - lo.ln())
                } else {
                    (v - lo) / (hi - lo)
                }
            };
            let to_pixel = |(x, y): (f64, f64)| {
                (
                    f64::from(x0p) + f64::from(x1p - x0p) * frac(x, xlo, xhi, spec.log_x),
                    f64::from(y0p) + f64::from(y1p - y0p) * frac(y, yr0, yr1, spec.log_y),
                )
            };
            for g in &spec.guides {
                let style = RGBColor(110, 110, 110).stroke_width(2);
                let (pts, label, at) = match g {
                    Guide::Vertical { x, label } => (vec![(*x, ylo), (*x, yhi)], label, (*x, yhi)),
                    Guide::Horizontal { y, label } => (vec![(xlo, *y), (xhi, *y)], label, (xlo, *y)),
                    Guide::Diagonal { label } => (vec![(xlo, xlo), (xhi, xhi)], label, (xhi, xhi)),
                    Guide::Power { power, series, at, label } => {
                        let Some(pts) = power_guide(panel, *power, *series, *at, (xlo, xhi), spec.log_x)
                        else {
                            continue;
                        };
                        let runs = clip(&pts, ylo, yhi, spec.log_y);
                        // The label sits a little inside the frame, on the line.
                        let at =
                            runs.first().and_then(|r| r.get(r.len() / 12).copied()).unwrap_or((xlo, ylo));
                        for run in runs {
                            chart.draw_series(DashedLineSeries::new(run, 8, 6, style)).map_err(de)?;
                        }
                        (vec![], label, at)
                    }
                };
                chart.draw_series(DashedLineSeries::new(pts, 8, 6, style)).map_err(de)?;
                if let Some(l) = label {
                    chart
                        .draw_series(std::iter::once(Text::new(
                            format!(" {l}"),
                            at,
                            (FONT, 17).into_font().color(&RGBColor(90, 90, 90)),
                        )))
                        .map_err(de)?;
                }
            }
            for s in &panel.series {
                let color = PALETTE[s.color % PALETTE.len()];
                for run in clip(&s.theory, ylo, yhi, spec.log_y) {
                    if s.dashed {
                        chart
                            .draw_series(DashedLineSeries::new(run, 12, 8, color.stroke_width(3)))
                            .map_err(de)?;
                    } else {
                        // Drawn in a placeholder colour at plotters' whole pixels, then given
                        // its sub-pixel points and colour in the SVG text (`subpixel_lines`).
                        let exact: Vec<(f64, f64)> = run.iter().map(|&(x, y)| to_pixel((x, y))).collect();
                        let k = SUBPIXEL.with(|l| {
                            let mut l = l.borrow_mut();
                            l.push((color, exact));
                            l.len() - 1
                        });
                        chart
                            .draw_series(LineSeries::new(run, line_placeholder(k).stroke_width(3)))
                            .map_err(de)?;
                    }
                }
                let visible: Vec<&Marker> = s
                    .markers
                    .iter()
                    .filter(|m| {
                        m.mean.is_finite() && m.mean >= ylo && m.mean <= yhi && m.x >= xlo && m.x <= xhi
                    })
                    .collect();
                let lo_clamp = |v: f64| v.max(ylo);
                chart
                    .draw_series(visible.iter().map(|m| {
                        ErrorBar::new_vertical(
                            m.x,
                            lo_clamp(m.low),
                            m.mean,
                            m.high.min(yhi),
                            color.stroke_width(2),
                            12,
                        )
                    }))
                    .map_err(de)?;
                chart
                    .draw_series(visible.iter().map(|m| Circle::new((m.x, m.mean), 6, color.filled())))
                    .map_err(de)?;
                chart
                    .draw_series(visible.iter().map(|m| Circle::new((m.x, m.mean), 6, BLACK.stroke_width(1))))
                    .map_err(de)?;
                // One-pass SGD: the median run, a hollow triangle (the mean is the circle).
                let medians: Vec<(f64, f64)> = s
                    .markers
                    .iter()
                    .filter_map(|m| m.median.map(|(v, _, _)| (m.x, v)))
                    .filter(|&(x, v)| v.is_finite() && v >= ylo && v <= yhi && x >= xlo && x <= xhi)
                    .collect();
                chart
                    .draw_series(medians.iter().map(|&p| TriangleMarker::new(p, 8, WHITE.filled())))
                    .map_err(de)?;
                chart
                    .draw_series(medians.iter().map(|&p| TriangleMarker::new(p, 8, color.stroke_width(2))))
                    .map_err(de)?;
            }
        }
        Body::Heat { index, ex, ey } => {
            let mut chart = chart_on(area, x, y, spec.title.as_deref(), 16)?;
            let frame = [(ex[0], ey[0]), (ex[ex.len() - 1], ey[ey.len() - 1])];
            chart
                .draw_series(std::iter::once(Rectangle::new(frame, placeholder(index).filled())))
                .map_err(de)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc(spec.sweep.axis.label())
                .y_desc(spec.sweep_y.as_ref().map(|s| s.axis.label()).unwrap_or_default())
                .label_style((FONT, 18))
                .axis_desc_style((FONT, 21))
                .x_label_formatter(&tick)
                .y_label_formatter(&tick)
                .draw()
                .map_err(de)?;
            let (xlo, xhi) = (ex[0], *ex.last().unwrap());
            let (ylo, yhi) = (ey[0], *ey.last().unwrap());
            for g in &spec.guides {
                let style = WHITE.stroke_width(3);
                // Labels sit just right of (vertical) or below-right of (diagonal) their line, near the top.
                let (pts, label, at) = match g {
                    Guide::Vertical { x, label } => (vec![(*x, ylo), (*x, yhi)], label, (*x, yhi)),
                    Guide::Horizontal { y, label } => (vec![(xlo, *y), (xhi, *y)], label, (xlo, *y)),
                    // Power laws belong on curves, not on heat maps.
                    Guide::Power { .. } => continue,
                    Guide::Diagonal { label } => {
                        let (a, b) = (xlo.max(ylo), xhi.min(yhi));
                        let m = if spec.log_x { a * (b / a).powf(0.8) } else { a + 0.8 * (b - a) };
                        (vec![(a, a), (b, b)], label, (m, m))
                    }
                };
                chart.draw_series(DashedLineSeries::new(pts, 10, 6, style)).map_err(de)?;
                if let Some(l) = label {
                    let style = (FONT, 20)
                        .into_font()
                        .color(&WHITE)
                        .pos(text_anchor::Pos::new(text_anchor::HPos::Left, text_anchor::VPos::Top));
                    chart.draw_series(std::iter::once(Text::new(format!("  {l}"), at, style))).map_err(de)?;
                }
            }
        }
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &FigureData,
    panel: &PanelData,
) -> DrawResult {
    let cols = legend_cols(data) as i32;
    let (w, _) = area.dim_in_pixel();
    let cell = (w as i32 - 120) / cols;
    let mut k = 0;
    for s in &panel.series {
        if s.label.is_empty() {
            continue;
        }
        let color = PALETTE[s.color % PALETTE.len()];
        let (x, y) = (100 + (k % cols) * cell, 8 + (k / cols) * LEGEND_ROW_H as i32);
        if s.dashed {
            area.draw(&PathElement::new(vec![(x, y + 11), (x + 14, y + 11)], color.stroke_width(3)))
                .map_err(de)?;
            area.draw(&PathElement::new(vec![(x + 26, y + 11), (x + 40, y + 11)], color.stroke_width(3)))
                .map_err(de)?;
        } else {
            area.draw(&PathElement::new(vec![(x, y + 11), (x + 40, y + 11)], color.stroke_width(3)))
                .map_err(de)?;
        }
        if !s.markers.is_empty() {
            area.draw(&Circle::new((x + 20, y + 11), 6, color.filled())).map_err(de)?;
        }
        area.draw_text(&s.label, &(FONT, 19).into_font().color(&BLACK), (x + 50, y)).map_err(de)?;
        k += 1;
    }
    Ok(())
}

/// Viridis, sampled at 9 points and linearly interpolated.
fn viridis(t: f64) -> RGBColor {
    const V: [(f64, f64, f64); 9] = [
        (68.0, 1.0, 84.0),
        (71.0, 44.0, 123.0),
        (59.0, 82.0, 139.0),
        (44.0, 114.0, 142.0),
        (33.0, 145.0, 140.0),
        (39.0, 173.0, 129.0),
        (92.0, 200.0, 99.0),
        (170.0, 220.0, 50.0),
        (253.0, 231.0, 37.0),
    ];
    let t = t.clamp(0.0, 1.0) * 8.0;
    let i = (t.floor() as usize).min(7);
    let f = t - i as f64;
    let mix = |a: f64, b: f64| (a + f * (b - a)).round() as u8;
    RGBColor(mix(V[i].0, V[i + 1].0), mix(V[i].1, V[i + 1].1), mix(V[i].2, V[i + 1].2))
}

/// Cell edges around grid values (midpoints, in log space on a log axis).
fn edges(v: &[f64], log: bool) -> Vec<f64> {
    let t = |x: f64| if log { x.ln() } else { x };
    let inv = |x: f64| if log { x.exp() } else { x };
    let n = v.len();
    let mut e = Vec::with_capacity(n + 1);
    if n == 1 {
        return vec![inv(t(v[0]) - 0.5), inv(t(v[0]) + 0.5)];
    }
    e.push(inv(t(v[0]) - 0.5 * (t(v[1]) - t(v[0]))));
    for i in 1..n {
        e.push(inv(0.5 * (t(v[i - 1]) + t(v[i]))));
    }
    e.push(inv(t(v[n - 1]) + 0.5 * (t(v[n - 1]) - t(v[n - 2]))));
    e
}

/// Colour range of a heat map in the measure's units: the configured one, or the range
/// of the finite data (positive data on a log scale).
fn color_range(panel: &PanelData, heat: &Heat) -> (f64, f64) {
    let colors = panel.spec.colors;
    if let Some(r) = colors.range {
        return r;
    }
    let ok = |z: &&f64| z.is_finite() && (!colors.log || **z > 0.0);
    let (lo, hi) = heat
        .z
        .iter()
        .flatten()
        .filter(ok)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    match (lo.is_finite(), hi > lo) {
        (true, true) => (lo, hi),
        (true, false) if colors.log => (lo / 10.0, lo * 10.0),
        (true, false) => (lo - 1.0, lo + 1.0),
        _ if colors.log => (0.1, 10.0),
        _ => (0.0, 1.0),
    }
}

/// Position 0..1 of a value on the colour scale; non-finite values (the divergence of
/// the error at the interpolation threshold) take the top colour.
fn color_position(z: f64, (lo, hi): (f64, f64), log: bool) -> f64 {
    if !z.is_finite() || (log && z <= 0.0) {
        return 1.0;
    }
    if log {
        (z.log10() - lo.log10()) / (hi.log10() - lo.log10())
    } else {
        (z - lo) / (hi - lo)
    }
}

fn heat_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    index: usize,
    panel: &PanelData,
    heat: &Heat,
) -> DrawResult {
    let (w, _) = area.dim_in_pixel();
    let (plot, bar) = area.split_horizontally(w - COLORBAR_W);
    let spec = &panel.spec;
    let ex = edges(&heat.xs, spec.log_x);
    let ey = edges(&heat.ys, spec.log_y);
    let (x0, x1) = (ex[0], *ex.last().unwrap());
    let (y0, y1) = (ey[0], *ey.last().unwrap());
    dispatch(&plot, (x0, x1), (y0, y1), panel, Body::Heat { index, ex: &ex, ey: &ey })?;
    colorbar(&bar, color_range(panel, heat), panel)
}

/// Tick values of a colour bar: powers of ten on a log scale, round steps on a linear one.
fn color_ticks((lo, hi): (f64, f64), log: bool) -> Vec<f64> {
    if log {
        let (k0, k1) = (lo.log10().ceil() as i32, hi.log10().floor() as i32);
        let step = ((k1 - k0) / 6).max(1);
        return (k0..=k1).step_by(step as usize).map(|k| 10f64.powi(k)).collect();
    }
    let raw = (hi - lo) / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|&s| s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

fn colorbar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    range: (f64, f64),
    panel: &PanelData,
) -> DrawResult {
    let (_, h) = area.dim_in_pixel();
    let (top, bottom) = (20 + if panel.spec.title.is_some() { 30 } else { 0 }, h as i32 - 64);
    let (x0, x1) = (10, 40);
    let steps = 120;
    for i in 0..steps {
        let t0 = i as f64 / steps as f64;
        let ya = bottom - ((bottom - top) as f64 * t0) as i32;
        let yb = bottom - ((bottom - top) as f64 * (t0 + 1.0 / steps as f64)) as i32;
        area.draw(&Rectangle::new([(x0, yb), (x1, ya)], viridis(t0 + 0.5 / steps as f64).filled()))
            .map_err(de)?;
    }
    area.draw(&Rectangle::new([(x0, top), (x1, bottom)], BLACK.stroke_width(1))).map_err(de)?;
    let log = panel.spec.colors.log;
    for v in color_ticks(range, log) {
        let y = bottom - ((bottom - top) as f64 * color_position(v, range, log)) as i32;
        area.draw(&PathElement::new(vec![(x1, y), (x1 + 6, y)], BLACK.stroke_width(1))).map_err(de)?;
        area.draw_text(&tick(&v), &(FONT, 17).into_font().color(&BLACK), (x1 + 10, y - 9)).map_err(de)?;
    }
    let measure = panel.spec.series.first().map(|s| s.measure.label()).unwrap_or_default();
    let label = if log { format!("{measure} (log scale)") } else { measure };
    let style = (FONT, 17).into_font().color(&BLACK);
    for (i, line) in wrap(&label, 14).iter().take(3).enumerate() {
        area.draw_text(line, &style, (0, bottom + 12 + 20 * i as i32)).map_err(de)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_interpolates_to_the_frame() {
        let pts = [(0.0, 0.5), (1.0, 1.5), (2.0, 3.0), (3.0, f64::INFINITY), (4.0, 1.0), (5.0, 0.5)];
        let runs = clip(&pts, 0.0, 2.0, false);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0], vec![(0.0, 0.5), (1.0, 1.5), (1.0 + 1.0 / 3.0, 2.0)]);
        assert_eq!(runs[1], vec![(4.0, 1.0), (5.0, 0.5)]);
    }

    #[test]
    fn ticks_are_compact() {
        assert_eq!(tick(&0.5), "0.5");
        assert_eq!(tick(&2.0), "2");
        assert_eq!(tick(&1e-5), "1e-5");
        assert_eq!(tick(&0.001), "0.001");
    }

    #[test]
    fn heat_edges_bracket_values() {
        let e = edges(&[1.0, 10.0, 100.0], true);
        assert!((e[1] - 10f64.sqrt()).abs() < 1e-12 && (e[0] - 10f64.powf(-0.5)).abs() < 1e-12);
    }
}
