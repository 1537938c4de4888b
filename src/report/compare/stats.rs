//! The one-sided tests of `compare`: Welch's t-test and a two-proportion z-test.

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    (m, v)
}

/// Welch's t-test, one-sided: the p-value of "mean(a) > mean(b)". None with
/// fewer than 2 samples on a side.
pub fn welch_greater(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (ma, va) = mean_var(a);
    let (mb, vb) = mean_var(b);
    let (sa, sb) = (va / a.len() as f64, vb / b.len() as f64);
    let se2 = sa + sb;
    if se2 <= 0.0 {
        // No spread on either side: the difference is exact.
        return Some(if ma > mb { 0.0 } else { 1.0 });
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / (sa * sa / (a.len() as f64 - 1.0) + sb * sb / (b.len() as f64 - 1.0));
    Some(student_t_upper(t, df))
}

/// P(T > t) for Student's t with `df` degrees of freedom (statrs).
pub fn student_t_upper(t: f64, df: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    match StudentsT::new(0.0, 1.0, df) {
        Ok(d) => d.sf(t),
        // Degrees of freedom that are not positive and finite: no evidence either way.
        Err(_) => 0.5,
    }
}

/// Two-proportion z-test, one-sided: the p-value of "rate a > rate b".
pub(super) fn two_proportions_greater(ea: u64, na: u64, eb: u64, nb: u64) -> Option<f64> {
    if na == 0 || nb == 0 {
        return None;
    }
    let (pa, pb) = (ea as f64 / na as f64, eb as f64 / nb as f64);
    let pooled = (ea + eb) as f64 / (na + nb) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / na as f64 + 1.0 / nb as f64)).sqrt();
    if se == 0.0 {
        return Some(if pa > pb { 0.0 } else { 1.0 });
    }
    Some(0.5 * statrs::function::erf::erfc((pa - pb) / se / std::f64::consts::SQRT_2))
}

/// A percentile's 95 % confidence interval from a run's whole histogram,
/// in milliseconds: the values at ranks n·q ∓ 1.96·√(n·q·(1−q)). It needs no
/// assumption about the distribution (the number of samples below the true
/// quantile is binomial); None for an empty histogram.
pub fn quantile_interval(h: &hdrhistogram::Histogram<u64>, q: f64) -> Option<(f64, f64)> {
    let n = h.len() as f64;
    if n == 0.0 {
        return None;
    }
    let half = 1.96 * (n * q * (1.0 - q)).sqrt();
    let at = |rank: f64| h.value_at_quantile((rank.clamp(1.0, n)) / n) as f64 / 1_000_000.0;
    Some((at((n * q - half).floor()), at((n * q + half).ceil())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_t_tail_matches_tables() {
        // Two-sided 0.05 critical values: t(10) = 2.228, t(30) = 2.042; one tail 0.025.
        assert!((student_t_upper(2.228, 10.0) - 0.025).abs() < 2e-4);
        assert!((student_t_upper(2.042, 30.0) - 0.025).abs() < 2e-4);
        assert!((student_t_upper(0.0, 5.0) - 0.5).abs() < 1e-12);
        assert!((student_t_upper(-1.812, 10.0) - 0.95).abs() < 2e-4);
        // erfc against known values.
        assert!((statrs::function::erf::erfc(1.0) - 0.157_299_207).abs() < 2e-7);
        assert!((0.5 * statrs::function::erf::erfc(1.644_853_6 / std::f64::consts::SQRT_2) - 0.05).abs() < 1e-6);
    }

    #[test]
    fn welch_tells_a_shift_from_noise() {
        let base = [10.0, 11.0, 9.5, 10.5, 10.2, 9.8, 10.1];
        let slower = [13.0, 12.5, 13.4, 12.9, 13.1, 12.7, 13.3];
        let same = [10.3, 9.9, 10.4, 9.7, 10.0, 10.6, 9.9];
        assert!(welch_greater(&slower, &base).is_some_and(|p| p < 1e-6));
        assert!(welch_greater(&same, &base).is_some_and(|p| p > 0.2));
        assert_eq!(welch_greater(&[1.0], &base), None);
        assert_eq!(welch_greater(&[2.0, 2.0], &[1.0, 1.0]), Some(0.0));
    }

    #[test]
    fn two_proportions_tell_a_rise_from_equal_rates() {
        assert!(two_proportions_greater(50, 1000, 10, 1000).is_some_and(|p| p < 1e-6));
        assert!(two_proportions_greater(10, 1000, 10, 1000).is_some_and(|p| (p - 0.5).abs() < 1e-6));
    }
}
