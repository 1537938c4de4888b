//! The hot/cold cache study: requests split by how many of their entities
//! drew a hot key (the cache score: hot entities / entities), and what
//! EXPLAIN samples measured (blocks hit and read per request).

use super::{new_second_hist, MAX_NS};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// One request sampled with EXPLAIN (ANALYZE, BUFFERS).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExplainSample {
    pub latency_ns: u64,
    pub hit: u64,
    pub read: u64,
}

impl ExplainSample {
    /// The share of blocks found in shared buffers (1 when none were touched).
    pub fn hit_ratio(&self) -> f64 {
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
    /// Pearson correlation of latency and the sample's hit ratio; None below 3 samples or without variance.
    pub latency_corr: Option<f64>,
    /// Blocks read (not found in shared buffers) per request: mean, median
    /// and 99th percentile over the samples (None in reports written before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_per_request: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_p50: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_p99: Option<u64>,
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
        let ys: Vec<f64> = samples.iter().map(ExplainSample::hit_ratio).collect();
        let mut reads: Vec<u64> = samples.iter().map(|s| s.read).collect();
        reads.sort_unstable();
        // The nearest rank: the smallest value with at least q of the samples at or below it.
        let rank = |q: f64| reads[((q * reads.len() as f64).ceil() as usize).clamp(1, reads.len()) - 1];
        Some(CacheSummary {
            samples: samples.len() as u64,
            hit_ratio: if total > 0.0 { hit as f64 / total } else { 1.0 },
            blocks_per_request: total / n,
            latency_corr: pearson(&xs, &ys),
            read_per_request: Some(read as f64 / n),
            read_p50: Some(rank(0.5)),
            read_p99: Some(rank(0.99)),
        })
    }
}

/// Response time by how many of a request's entities drew a hot key: one
/// histogram per (entities, hot entities), made at the first such request,
/// of 2 significant digits (a tenth of the memory of 3: the split is a
/// view beside the whole phase's histograms, not the headline).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HotSplit {
    /// Slot `e * (e + 1) / 2 + h`: requests of `e` entities, `h` of them hot.
    #[serde(with = "super::stored::vec")]
    hists: Vec<Option<Histogram<u64>>>,
}

/// Requests of `entities` entities, `hot` of them hot, and their response time.
pub struct HotCell<'a> {
    pub entities: u8,
    pub hot: u8,
    pub latency: &'a Histogram<u64>,
}

impl HotCell<'_> {
    /// The share of its entities that drew a hot key.
    pub fn cache_score(&self) -> f64 {
        f64::from(self.hot) / f64::from(self.entities.max(1))
    }
}

impl HotSplit {
    #[inline]
    pub fn record(&mut self, entities: u8, hot: u8, ns: u64) {
        if entities == 0 {
            return;
        }
        let e = usize::from(entities);
        let slot = e * (e + 1) / 2 + usize::from(hot.min(entities));
        if self.hists.len() <= slot {
            self.hists.resize(slot + 1, None);
        }
        self.hists[slot].get_or_insert_with(new_second_hist).saturating_record(ns.clamp(1, MAX_NS));
    }

    pub fn merge(&mut self, o: &HotSplit) {
        if self.hists.len() < o.hists.len() {
            self.hists.resize(o.hists.len(), None);
        }
        for (d, s) in self.hists.iter_mut().zip(&o.hists) {
            if let Some(s) = s {
                // Same bounds: adding cannot fail.
                let _ = d.get_or_insert_with(new_second_hist).add(s);
            }
        }
    }

    /// Every (entities, hot) with requests, by entities then hot.
    pub fn cells(&self) -> Vec<HotCell<'_>> {
        let mut out = Vec::new();
        let (mut e, mut first) = (1usize, 1usize);
        while first < self.hists.len() {
            for h in 0..=e {
                if let Some(Some(latency)) = self.hists.get(first + h) {
                    out.push(HotCell { entities: e as u8, hot: h as u8, latency });
                }
            }
            first += e + 1;
            e += 1;
        }
        out
    }

    /// Pearson's correlation of response time and cache score over every
    /// request, from each cell's count, mean and variance (a cell's requests
    /// share one score); None without two scores or without requests.
    pub fn score_corr(&self) -> Option<f64> {
        let cells = self.cells();
        let n: f64 = cells.iter().map(|c| c.latency.len() as f64).sum();
        if n < 3.0 {
            return None;
        }
        let mx = cells.iter().map(|c| c.latency.len() as f64 * c.cache_score()).sum::<f64>() / n;
        let my = cells.iter().map(|c| c.latency.len() as f64 * c.latency.mean()).sum::<f64>() / n;
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for c in &cells {
            let (k, dx, dy) = (c.latency.len() as f64, c.cache_score() - mx, c.latency.mean() - my);
            sxy += k * dx * dy;
            sxx += k * dx * dx;
            syy += k * (c.latency.stdev().powi(2) + dy * dy);
        }
        (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
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
        assert_eq!((c.read_per_request, c.read_p50, c.read_p99), (Some(3.0), Some(2), Some(6)));
    }

    #[test]
    fn the_hot_split_keeps_each_entity_count_apart_and_correlates_over_requests() {
        let mut a = HotSplit::default();
        let mut b = HotSplit::default();
        // Two entities: none hot is slow, both hot is fast; one entity: hot.
        for _ in 0..100 {
            a.record(2, 0, 9_000_000);
            b.record(2, 2, 1_000_000);
            b.record(1, 1, 2_000_000);
            a.record(0, 0, 1);
        }
        a.merge(&b);
        let cells: Vec<(u8, u8, u64)> = a.cells().iter().map(|c| (c.entities, c.hot, c.latency.len())).collect();
        assert_eq!(cells, vec![(1, 1, 100), (2, 0, 100), (2, 2, 100)]);
        assert_eq!(a.cells()[1].cache_score(), 0.0);
        let r = a.score_corr().unwrap();
        assert!(r < -0.9, "slower when colder: {r}");
        assert_eq!(HotSplit::default().score_corr(), None);
    }
}
