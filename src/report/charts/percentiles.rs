//! Latency by percentile: the HDR-style distribution of every histogram of a phase.

use super::colors::shades;
use super::distinct;
use super::panel::{linear, top, Axis, Mark, Panel, Series};
use crate::report::hgrm;
use crate::report::model::RunReport;

/// Percentile `1 - 10^-k` as text: 0%, 90%, 99%, 99.9%, ...
fn percentile_label(k: f64) -> String {
    let k = k.round().max(0.0) as usize;
    match k {
        0 => "0%".into(),
        1 => "90%".into(),
        _ => format!("99{}%", if k > 2 { format!(".{}", "9".repeat(k - 2)) } else { String::new() }),
    }
}

pub(super) fn percentiles(r: &RunReport, phase: &str) -> Result<Panel, String> {
    let recs: Vec<_> = r.histograms.iter().filter(|h| h.phase == phase).collect();
    let many_cells = distinct(recs.iter().map(|h| h.cell.as_str())).len() > 1;
    let mut series = Vec::new();
    let colors = shades(r, &recs.iter().map(|h| h.backend.as_str()).collect::<Vec<_>>());
    for (h, color) in recs.iter().zip(colors) {
        let hist = hgrm::decode(&h.data)?;
        let mut points = Vec::new();
        if !hist.is_empty() {
            for v in hist.iter_quantiles(5) {
                let q = v.quantile_iterated_to();
                if q < 1.0 {
                    points.push(((1.0 / (1.0 - q)).log10(), v.value_iterated_to() as f64 / 1e6));
                }
            }
        }
        let mut label = h.backend.clone();
        if many_cells {
            label = format!("{label} {}", h.cell);
        }
        if h.measure != "response" {
            label = format!("{label} ({} time)", h.measure);
        }
        series.push(Series { label, color, mark: Mark::Line, points });
    }
    let xmax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)), 2.0).ceil().min(7.0);
    for s in &mut series {
        s.points.retain(|p| p.0 <= xmax);
    }
    let ymax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 0.0);
    let ticks = (0..=xmax as usize).map(|k| (k as f64, percentile_label(k as f64))).collect();
    Ok(Panel {
        caption: None,
        x: Axis { desc: "percentile (log scale of 1/(1-p))".into(), min: 0.0, max: xmax, ticks },
        y: linear("latency (ms)", 0.0, ymax * 1.05),
        series,
        slas: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_labels() {
        let l: Vec<String> = (0..5).map(|k| percentile_label(k as f64)).collect();
        assert_eq!(l, ["0%", "90%", "99%", "99.9%", "99.99%"]);
    }
}
