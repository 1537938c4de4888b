//! Series colours: one hue per backend, in every chart of the run.

use crate::report::model::RunReport;
use plotters::style::RGBColor;

/// Series colours (Tableau 10 without its red, kept for SLA lines).
pub(super) const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0x1f, 0x3a, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
];
pub(super) const SLA_COLOR: RGBColor = RGBColor(0xd6, 0x27, 0x28);

pub(super) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The colour of a backend: the same in every chart of the run.
pub(super) fn backend_color(r: &RunReport, backend: &str) -> RGBColor {
    let i = r.backends.iter().position(|b| b.name == backend).unwrap_or(r.backends.len());
    color(i)
}

/// The colours of a chart's series, given the backend of each: a backend
/// with one series has its own colour; one with several (its cells, in
/// matrix order) has shades of it from dark to light, so that backends are
/// told apart by hue and a backend's cells by lightness, in order.
pub(super) fn shades(r: &RunReport, backends: &[&str]) -> Vec<RGBColor> {
    backends
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let j = backends[..i].iter().filter(|x| *x == b).count();
            let n = backends.iter().filter(|x| *x == b).count();
            let t = if n > 1 { -0.45 + 0.9 * j as f64 / (n - 1) as f64 } else { 0.0 };
            let RGBColor(red, green, blue) = backend_color(r, b);
            // Towards black (t < 0) or white (t > 0): the hue stays.
            let mix = |c: u8| {
                let c = f64::from(c);
                let v = if t < 0.0 { c * (1.0 + t) } else { c + (255.0 - c) * t };
                v.round().clamp(0.0, 255.0) as u8
            };
            RGBColor(mix(red), mix(green), mix(blue))
        })
        .collect()
}
