//! Per-second statistics. Each worker accumulates the current second in its
//! own histogram and hands it to an aggregator thread when the second rolls
//! over (once a second, not once a request). The aggregator merges workers'
//! seconds and keeps only seconds that some worker may still report.

use super::{new_second_hist, NS_PER_MS};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

/// One second of one phase, all workers merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TsPoint {
    pub second: u64,
    pub requests: u64,
    pub errors: u64,
    /// None in a second without a successful request.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub mean_ms: Option<f64>,
    /// The wall-clock second (unix time) the row's second began in; set by the runner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unix_s: Option<u64>,
    /// The second's histogram (base64, V2), kept only in a shard run so that
    /// `merge` adds the shards' seconds exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hist: Option<String>,
}

impl TsPoint {
    /// A second in which nothing completed.
    pub fn empty(second: u64) -> Self {
        TsPoint { second, requests: 0, errors: 0, p50_ms: None, p99_ms: None, p95_ms: None, mean_ms: None, unix_s: None, hist: None }
    }

    /// The figures of a second from its merged histogram and counts.
    pub fn of(second: u64, h: Option<&Histogram<u64>>, ok: u64, errors: u64) -> Self {
        let q = |p: f64| h.map(|h| h.value_at_quantile(p) as f64 / NS_PER_MS);
        let mean = h.filter(|h| !h.is_empty()).map(|h| h.mean() / NS_PER_MS);
        TsPoint {
            second,
            requests: ok + errors,
            errors,
            p50_ms: q(0.5),
            p99_ms: q(0.99),
            p95_ms: q(0.95),
            mean_ms: mean,
            unix_s: None,
            hist: None,
        }
    }
}

enum Msg {
    Second { worker: usize, second: u64, hist: Option<Histogram<u64>>, ok: u64, errors: u64 },
    Done { worker: usize },
}

/// A worker's handle to the aggregator.
pub struct SecondSender {
    worker: usize,
    tx: mpsc::Sender<Msg>,
}

impl SecondSender {
    pub fn done(&self) {
        let _ = self.tx.send(Msg::Done { worker: self.worker });
    }
}

/// The second a worker is filling.
pub struct SecondAcc {
    pub index: u64,
    hist: Option<Histogram<u64>>,
    ok: u64,
    pub errors: u64,
}

impl SecondAcc {
    pub fn new() -> Self {
        SecondAcc { index: 0, hist: None, ok: 0, errors: 0 }
    }

    #[inline]
    pub fn record(&mut self, v: u64) {
        self.hist.get_or_insert_with(new_second_hist).saturating_record(v);
        self.ok += 1;
    }

    pub fn flush(&mut self, tx: Option<&SecondSender>) {
        if self.ok + self.errors == 0 {
            return;
        }
        if let Some(tx) = tx {
            let _ =
                tx.tx.send(Msg::Second { worker: tx.worker, second: self.index, hist: self.hist.take(), ok: self.ok, errors: self.errors });
        }
        self.hist = None;
        self.ok = 0;
        self.errors = 0;
    }
}

impl Default for SecondAcc {
    fn default() -> Self {
        Self::new()
    }
}

/// What the progress display reads while a phase runs.
#[derive(Debug, Default)]
pub struct Live {
    /// P99 of the last complete second, in nanoseconds.
    pub p99_ns: AtomicU64,
}

/// The aggregator: a thread that merges workers' seconds.
pub struct Aggregator {
    tx: mpsc::Sender<Msg>,
    handle: std::thread::JoinHandle<Vec<TsPoint>>,
    pub live: Arc<Live>,
}

impl Aggregator {
    /// `series`: where live metrics (`--metrics-addr`) get each finished second.
    pub fn start(workers: usize, series: Option<super::live::SeriesHandle>) -> std::io::Result<Self> {
        Self::start_keeping(workers, series, false)
    }

    /// `keep`: each second's histogram is kept in its point (a shard run).
    pub fn start_keeping(workers: usize, series: Option<super::live::SeriesHandle>, keep: bool) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let live = Arc::new(Live::default());
        let l2 = live.clone();
        let handle = std::thread::Builder::new().name("timeseries".into()).spawn(move || {
            let out = aggregate(rx, workers, &l2, series.as_ref(), keep);
            if let Some(s) = &series {
                s.finish();
            }
            out
        })?;
        Ok(Aggregator { tx, handle, live })
    }

    pub fn sender(&self, worker: usize) -> SecondSender {
        SecondSender { worker, tx: self.tx.clone() }
    }

    /// Waits for every worker's last second and returns the series.
    pub fn finish(self) -> Vec<TsPoint> {
        drop(self.tx);
        self.handle.join().unwrap_or_default()
    }
}

fn point(second: u64, h: &Option<Histogram<u64>>, ok: u64, errors: u64, keep: bool) -> TsPoint {
    let mut p = TsPoint::of(second, h.as_ref(), ok, errors);
    if keep {
        p.hist = h.as_ref().and_then(|h| super::stored::encode(h).ok());
    }
    p
}

fn aggregate(rx: mpsc::Receiver<Msg>, workers: usize, live: &Live, series: Option<&super::live::SeriesHandle>, keep: bool) -> Vec<TsPoint> {
    let mut pending: BTreeMap<u64, (Option<Histogram<u64>>, u64, u64)> = BTreeMap::new();
    // Latest second each worker reported; u64::MAX once done.
    let mut last: Vec<Option<u64>> = vec![None; workers];
    let mut out = Vec::new();
    let finalize = |pending: &mut BTreeMap<u64, (Option<Histogram<u64>>, u64, u64)>, below: u64, out: &mut Vec<TsPoint>| {
        while let Some((&s, _)) = pending.first_key_value() {
            if s >= below {
                break;
            }
            if let Some((s, (h, ok, errors))) = pending.pop_first() {
                let p = point(s, &h, ok, errors, keep);
                if let Some(series) = series {
                    series.add_second(h.as_ref(), ok, errors);
                }
                live.p99_ns.store((p.p99_ms.unwrap_or(0.0) * NS_PER_MS) as u64, Ordering::Relaxed);
                out.push(p);
            }
        }
    };
    while let Ok(msg) = rx.recv() {
        match msg {
            Msg::Second { worker, second, hist, ok, errors } => {
                let e = pending.entry(second).or_insert((None, 0, 0));
                if let Some(h) = hist {
                    match &mut e.0 {
                        Some(acc) => {
                            let _ = acc.add(&h);
                        }
                        None => e.0 = Some(h),
                    }
                }
                e.1 += ok;
                e.2 += errors;
                if let Some(l) = last.get_mut(worker) {
                    *l = Some(l.map_or(second, |x| x.max(second)));
                }
            }
            Msg::Done { worker } => {
                if let Some(l) = last.get_mut(worker) {
                    *l = Some(u64::MAX);
                }
            }
        }
        // A second is complete once every worker has reported a later one.
        let below = last.iter().map(|l| l.unwrap_or(0)).min().unwrap_or(0);
        finalize(&mut pending, below, &mut out);
    }
    finalize(&mut pending, u64::MAX, &mut out);
    out.sort_by_key(|p| p.second);
    // A second in which nothing completed (a stalled server) is a row too.
    let mut filled = Vec::with_capacity(out.len());
    for p in out {
        while let Some(next) = filled.last().map(|l: &TsPoint| l.second + 1).filter(|n| *n < p.second) {
            filled.push(TsPoint::empty(next));
        }
        filled.push(p);
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Recorder;

    #[test]
    fn a_second_without_replies_is_a_row() {
        let agg = Aggregator::start(1, None).unwrap();
        let mut a = Recorder::new(false, Some(agg.sender(0)));
        a.ok(0, 1_000_000, 1_000_000, 1, 0);
        a.ok(0, 1_000_000, 1_000_000, 1, 3);
        a.finish();
        let ts = agg.finish();
        assert_eq!(ts.iter().map(|p| (p.second, p.requests)).collect::<Vec<_>>(), vec![(0, 1), (1, 0), (2, 0), (3, 1)]);
        assert_eq!(ts[1].p99_ms, None);
    }

    #[test]
    fn seconds_from_all_workers_are_merged() {
        let agg = Aggregator::start(2, None).unwrap();
        let mut a = Recorder::new(false, Some(agg.sender(0)));
        let mut b = Recorder::new(false, Some(agg.sender(1)));
        for s in 0..3u64 {
            for _ in 0..10 {
                a.ok(0, 1_000_000, 1_000_000, 1, s);
                b.ok(0, 3_000_000, 3_000_000, 1, s);
            }
        }
        b.error(&crate::stats::OpError::new(crate::stats::ErrorKind::Query, "x"), 2);
        a.finish();
        b.finish();
        let ts = agg.finish();
        assert_eq!(ts.len(), 3);
        assert_eq!(ts.iter().map(|p| p.second).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(ts[0].requests, 20);
        assert_eq!(ts[2].requests, 21);
        assert_eq!(ts[2].errors, 1);
        assert!((ts[1].p99_ms.unwrap() - 3.0).abs() < 0.05, "{:?}", ts[1]);
        assert!((ts[1].p50_ms.unwrap() - 1.0).abs() < 0.05, "{:?}", ts[1]);
    }
}
