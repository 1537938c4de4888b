//! Fixed-precision number formatting, so the same report gives the same bytes.

pub fn f2(x: f64) -> String {
    format!("{:.2}", clean(x))
}
pub fn f3(x: f64) -> String {
    format!("{:.3}", clean(x))
}
pub fn f4(x: f64) -> String {
    format!("{:.4}", clean(x))
}
pub fn f6(x: f64) -> String {
    format!("{:.6}", clean(x))
}

/// An optional number, empty when absent.
pub fn opt(x: Option<f64>, f: fn(f64) -> String) -> String {
    x.map(f).unwrap_or_default()
}

/// No "-0.000" and no NaN in a report.
fn clean(x: f64) -> f64 {
    if x.is_finite() && x != 0.0 {
        x
    } else {
        0.0
    }
}
