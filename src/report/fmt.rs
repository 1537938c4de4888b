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

/// A setting as a person typed it: at most 6 decimals, without trailing
/// zeros (`10`, `0.5`, `0.05`), so that 7 / 100 * 100 reads `7`.
pub fn plain(x: f64) -> String {
    let t = f6(x);
    let t = t.trim_end_matches('0').trim_end_matches('.');
    if t == "-0" {
        "0".into()
    } else {
        t.to_string()
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn settings_print_as_typed() {
        assert_eq!(super::plain(0.07 * 100.0), "7");
        assert_eq!(super::plain(0.5), "0.5");
        assert_eq!(super::plain(1000.0), "1000");
        assert_eq!(super::plain(0.0), "0");
        assert_eq!(super::plain(0.05), "0.05");
    }
}
