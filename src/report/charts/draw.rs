//! Panels -> SVG: the plots, one above the other, and the legend below.

use super::colors::SLA_COLOR;
use super::distinct;
use super::panel::{Axis, Mark, Panel};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;

const WIDTH: u32 = 900;
const HEIGHT: u32 = 540;
const FONT: &str = "sans-serif";

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("cannot draw chart: {e}")
}

/// A legend entry: one per distinct series of the chart's panels.
#[derive(PartialEq)]
struct Entry<'a> {
    label: &'a str,
    color: RGBColor,
    mark: Mark,
}

fn entries(panels: &[Panel]) -> Vec<Entry<'_>> {
    distinct(panels.iter().flat_map(|p| {
        let series = p.series.iter().map(|s| Entry { label: &s.label, color: s.color, mark: s.mark });
        series.chain(p.slas.iter().map(|(label, _)| Entry { label, color: SLA_COLOR, mark: Mark::Sla }))
    }))
}

const LEGEND_ROW: i32 = 22;

/// Legend columns and rows for `n` entries whose longest label has `chars` characters.
fn legend_grid(n: usize, chars: usize) -> (usize, usize, i32) {
    // About 7 px per character at the legend's font size, 40 px for the marker and a gap.
    let col = (chars as i32 * 7 + 44).min(WIDTH as i32 - 40);
    let cols = (((WIDTH as i32 - 40) / col.max(1)) as usize).clamp(1, n.max(1));
    (cols, n.div_ceil(cols), col)
}

pub(super) fn draw(title: &str, panels: &[Panel]) -> Result<Vec<u8>, String> {
    let legend = entries(panels);
    let (cols, rows, col) = legend_grid(legend.len(), legend.iter().map(|e| e.label.chars().count()).max().unwrap_or(0));
    let legend_h = if legend.is_empty() { 0 } else { rows as u32 * LEGEND_ROW as u32 + 16 };
    let plots_h = if panels.len() > 1 { (HEIGHT - 80) * panels.len() as u32 / 2 + 40 } else { HEIGHT };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, plots_h + legend_h)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let area = root.titled(title, (FONT, 22)).map_err(err)?;
        let (plots, key) = area.split_vertically(area.dim_in_pixel().1.saturating_sub(legend_h));
        for (a, p) in plots.split_evenly((panels.len().max(1), 1)).iter().zip(panels) {
            draw_panel(a, p)?;
        }
        draw_legend(&key, &legend, cols, col)?;
        root.present().map_err(err)?;
    }
    Ok(svg.into_bytes())
}

/// The legend, below the plots: a marker and the series' name per entry.
fn draw_legend(area: &DrawingArea<SVGBackend<'_>, Shift>, legend: &[Entry<'_>], cols: usize, col: i32) -> Result<(), String> {
    use plotters::element::DashedPathElement;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let font = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let left = (WIDTH as i32 - cols as i32 * col) / 2;
    for (i, e) in legend.iter().enumerate() {
        let (x, y) = (left + (i % cols) as i32 * col, 8 + LEGEND_ROW / 2 + (i / cols) as i32 * LEGEND_ROW);
        let line = e.color.stroke_width(2);
        match e.mark {
            Mark::Line => area.draw(&PathElement::new(vec![(x, y), (x + 28, y)], line)).map_err(err)?,
            Mark::LinePoints => {
                area.draw(&PathElement::new(vec![(x, y), (x + 28, y)], line)).map_err(err)?;
                area.draw(&Circle::new((x + 14, y), 3, line)).map_err(err)?;
            }
            Mark::Points(filled) => area.draw(&Circle::new((x + 14, y), 5, if filled { e.color.filled() } else { line })).map_err(err)?,
            Mark::Sla => area.draw(&DashedPathElement::new(vec![(x, y), (x + 28, y)], 7, 4, line)).map_err(err)?,
            Mark::Cell => area.draw(&Rectangle::new([(x + 6, y - 8), (x + 22, y + 8)], e.color.filled())).map_err(err)?,
        }
        area.draw(&Text::new(e.label.to_string(), (x + 36, y), font.clone())).map_err(err)?;
    }
    Ok(())
}

/// The label of the tick at `v`, or `v` itself between ticks.
fn tick_label(ticks: &[(f64, String)], v: f64) -> String {
    ticks.iter().find(|t| (t.0 - v).abs() <= 1e-9 * (1.0 + v.abs())).map_or_else(|| format!("{v}"), |t| t.1.clone())
}

/// A linear f64 coordinate whose ticks are the axis' own (plotters' f64
/// range picks its own and has no default label format).
struct Ticked {
    min: f64,
    max: f64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn of(a: &Axis) -> Self {
        Ticked { min: a.min, max: a.max, ticks: a.ticks.iter().map(|t| t.0).collect() }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let len = limit.1 - limit.0;
        if self.max <= self.min || len == 0 {
            return limit.0 + len / 2;
        }
        let at = ((*v - self.min) / (self.max - self.min)).clamp(-10.0, 10.0);
        limit.0 + (len as f64 * at).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.min..self.max
    }
}

fn draw_panel(area: &DrawingArea<SVGBackend<'_>, Shift>, p: &Panel) -> Result<(), String> {
    let mut b = ChartBuilder::on(area);
    b.margin(14).margin_right(28).x_label_area_size(48).y_label_area_size(72);
    if let Some(c) = &p.caption {
        b.caption(c, (FONT, 16));
    }
    let mut chart = b.build_cartesian_2d(Ticked::of(&p.x), Ticked::of(&p.y)).map_err(err)?;
    let xf = |v: &f64| tick_label(&p.x.ticks, *v);
    let yf = |v: &f64| tick_label(&p.y.ticks, *v);
    chart
        .configure_mesh()
        .x_desc(p.x.desc.as_str())
        .y_desc(p.y.desc.as_str())
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
        .axis_style(RGBColor(0x60, 0x60, 0x60))
        .draw()
        .map_err(err)?;
    for s in &p.series {
        let line = s.color.stroke_width(2);
        match s.mark {
            Mark::Line | Mark::Sla => chart.draw_series(LineSeries::new(s.points.iter().copied(), line)).map_err(err)?,
            Mark::LinePoints => chart.draw_series(LineSeries::new(s.points.iter().copied(), line).point_size(3)).map_err(err)?,
            Mark::Points(filled) => {
                let style = if filled { s.color.filled() } else { line };
                chart.draw_series(s.points.iter().map(|&xy| Circle::new(xy, 5, style))).map_err(err)?
            }
            Mark::Cell => chart
                .draw_series(s.points.iter().map(|&(x, y)| Rectangle::new([(x - 0.48, y - 0.48), (x + 0.48, y + 0.48)], s.color.filled())))
                .map_err(err)?,
        };
    }
    for (_, y) in p.slas.iter().filter(|(_, y)| y.is_finite()) {
        chart.draw_series(DashedLineSeries::new(vec![(p.x.min, *y), (p.x.max, *y)], 8, 6, SLA_COLOR.stroke_width(2))).map_err(err)?;
    }
    Ok(())
}
