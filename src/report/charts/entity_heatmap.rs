//! Per-entity latency heatmap: one backend and phase, a column per matrix
//! cell and a row per entity, each square coloured by the P99 of that
//! entity's legs in that cell (the Per-entity latency section's figures),
//! in five bands from the chart's lowest P99 to its highest.

use super::distinct;
use super::panel::{Axis, Mark, Panel, Series};
use crate::report::fmt::f2;
use crate::report::model::{EntityRow, RunReport};
use plotters::style::RGBColor;

/// Light (fast) to dark (slow).
const BANDS: [RGBColor; 5] = [
    RGBColor(0xff, 0xed, 0xa0),
    RGBColor(0xfe, 0xb2, 0x4c),
    RGBColor(0xfd, 0x8d, 0x3c),
    RGBColor(0xf0, 0x3b, 0x20),
    RGBColor(0xbd, 0x00, 0x26),
];

fn rows<'a>(r: &'a RunReport, backend: &str, phase: &str) -> Vec<&'a EntityRow> {
    r.entities.iter().filter(|e| e.backend == backend && e.phase == phase && e.requests > 0).collect()
}

/// (backend, phase) pairs with entity figures in two cells or more.
pub(super) fn drawn(r: &RunReport) -> Vec<(String, String)> {
    distinct(r.entities.iter().map(|e| (e.backend.clone(), e.phase.clone())))
        .into_iter()
        .filter(|(b, p)| distinct(rows(r, b, p).iter().map(|e| e.cell.as_str())).len() >= 2)
        .collect()
}

fn categories(desc: &str, names: &[&str]) -> Axis {
    Axis {
        desc: desc.into(),
        min: -0.5,
        max: names.len() as f64 - 0.5,
        ticks: names.iter().enumerate().map(|(i, n)| (i as f64, n.to_string())).collect(),
    }
}

pub(super) fn entity_heatmap(r: &RunReport, backend: &str, phase: &str) -> Panel {
    let rows = rows(r, backend, phase);
    let cells = distinct(rows.iter().map(|e| e.cell.as_str()));
    let entities = distinct(rows.iter().map(|e| e.entity.as_str()));
    let (lo, hi) = rows.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), e| (lo.min(e.p99_ms), hi.max(e.p99_ms)));
    let width = ((hi - lo) / BANDS.len() as f64).max(f64::MIN_POSITIVE);
    let band = |v: f64| (((v - lo) / width) as usize).min(BANDS.len() - 1);
    let series = BANDS
        .iter()
        .enumerate()
        .map(|(i, color)| {
            let (from, to) = (lo + width * i as f64, lo + width * (i + 1) as f64);
            let points = rows
                .iter()
                .filter(|e| band(e.p99_ms) == i)
                .filter_map(|e| {
                    Some((cells.iter().position(|c| *c == e.cell)? as f64, entities.iter().position(|n| *n == e.entity)? as f64))
                })
                .collect();
            Series { label: format!("p99 {}–{} ms", f2(from), f2(to)), color: *color, mark: Mark::Cell, points }
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    Panel { caption: None, x: categories("matrix cell", &cells), y: categories("entity", &entities), series, slas: Vec::new() }
}
