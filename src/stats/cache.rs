//! The hot/cold cache study: what EXPLAIN samples measured (blocks hit and
//! read per request) and how latency follows the cache score.

use serde::{Deserialize, Serialize};

/// One request sampled with EXPLAIN (ANALYZE, BUFFERS).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExplainSample {
    pub latency_ns: u64,
    pub hit: u64,
    pub read: u64,
}

impl ExplainSample {
    /// The share of blocks found in shared buffers (1 when none were touched).
    pub fn cache_score(&self) -> f64 {
        let total = self.hit + self.read;
        if total == 0 {
            1.0
        } else {
            self.hit as f64 / total as f64
        }
    }
}

/// What EXPLAIN sampling measured in a phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheSummary {
    pub samples: u64,
    /// Shared blocks hit / (hit + read), over all samples.
    pub hit_ratio: f64,
    pub blocks_per_request: f64,
    /// Pearson correlation of latency and cache score; None below 3 samples or without variance.
    pub latency_corr: Option<f64>,
}

impl CacheSummary {
    pub fn of(samples: &[ExplainSample]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let n = samples.len() as f64;
        let (hit, read) = samples.iter().fold((0u64, 0u64), |(h, r), s| (h + s.hit, r + s.read));
        let total = (hit + read) as f64;
        let xs: Vec<f64> = samples.iter().map(|s| s.latency_ns as f64 / 1e6).collect();
        let ys: Vec<f64> = samples.iter().map(ExplainSample::cache_score).collect();
        Some(CacheSummary {
            samples: samples.len() as u64,
            hit_ratio: if total > 0.0 { hit as f64 / total } else { 1.0 },
            blocks_per_request: total / n,
            latency_corr: pearson(&xs, &ys),
        })
    }
}

/// Pearson's correlation coefficient.
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() < 3 || xs.len() != ys.len() {
        return None;
    }
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some(sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_summary_and_correlation() {
        let s = |ms: u64, hit: u64, read: u64| ExplainSample { latency_ns: ms * 1_000_000, hit, read };
        // Slower requests read more from disk: latency falls as the cache score rises.
        let samples = [s(1, 10, 0), s(2, 8, 2), s(3, 6, 4), s(4, 4, 6)];
        let c = CacheSummary::of(&samples).unwrap();
        assert_eq!(c.samples, 4);
        assert!((c.hit_ratio - 28.0 / 40.0).abs() < 1e-12);
        assert!((c.blocks_per_request - 10.0).abs() < 1e-12);
        assert!((c.latency_corr.unwrap() + 1.0).abs() < 1e-9, "{c:?}");
        assert_eq!(CacheSummary::of(&samples[..2]).unwrap().latency_corr, None);
        assert!(CacheSummary::of(&[]).is_none());
    }
}
