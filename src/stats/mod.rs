//! Latency statistics. Each worker owns a [`Recorder`] (HDR histograms and
//! counters, no locks, no allocation per request); recorders are merged when
//! the phase ends, and per second through the [`timeseries`] aggregator.

mod cache;
mod legs;
pub mod live;
pub mod measured;
pub mod process;
pub mod stored;
pub mod timeseries;
pub mod xcheck;

pub use cache::{pearson, CacheSummary, ExplainSample, HotCell, HotSplit};

pub use legs::{Legs, SerialPositions, LEG_ENTITIES};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use timeseries::SecondSender;

/// Highest recordable latency: one hour, in nanoseconds.
pub const MAX_NS: u64 = 3_600_000_000_000;

pub fn new_hist() -> Histogram<u64> {
    // Bounds are constants that hdrhistogram accepts; cannot fail.
    #[allow(clippy::unwrap_used)]
    Histogram::new_with_bounds(1, MAX_NS, 3).unwrap()
}

/// A coarser histogram for per-second percentiles.
pub fn new_second_hist() -> Histogram<u64> {
    // Bounds are constants that hdrhistogram accepts; cannot fail.
    #[allow(clippy::unwrap_used)]
    Histogram::new_with_bounds(1, MAX_NS, 2).unwrap()
}

/// Segments of requests by how many of their entities drew a hot key.
pub const SEGMENTS: [&str; 3] = ["cold", "mixed", "hot"];

/// Kinds of failed requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Timeout,
    Connection,
    Throttled,
    NotFound,
    Query,
    Other,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 6] =
        [ErrorKind::Timeout, ErrorKind::Connection, ErrorKind::Throttled, ErrorKind::NotFound, ErrorKind::Query, ErrorKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::Throttled => "throttled",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Query => "query",
            ErrorKind::Other => "other",
        }
    }
}

/// A failed request.
#[derive(Debug, Clone)]
pub struct OpError {
    pub kind: ErrorKind,
    pub message: String,
    /// What the service charged for the attempts before it failed.
    pub usage: Usage,
    /// The run cannot go on (a missing table, rejected credentials): the
    /// phase stops at once with this message, without waiting for the error policy.
    pub fatal: bool,
}

impl OpError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        OpError { kind, message: message.into(), usage: Usage::default(), fatal: false }
    }

    pub fn fatal(mut self) -> Self {
        self.fatal = true;
        self
    }

    pub fn with_usage(mut self, usage: Usage) -> Self {
        self.usage = usage;
        self
    }
}

/// Capacity the service reported as consumed, and the retries it took.
/// Zero for kinds that report none (the SQL servers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Read capacity / request units (DynamoDB `ConsumedCapacity`).
    pub read_units: f64,
    /// Write capacity / request units.
    pub write_units: f64,
    /// Request units (Cosmos DB `x-ms-request-charge`), reads and writes together.
    pub request_units: f64,
    /// Attempts beyond the first, whatever their cause.
    pub retries: u64,
    /// Attempts the service throttled (retried, or the last one failed).
    pub throttled: u64,
}

/// The units a metered service charges in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Meter {
    /// DynamoDB: read and write capacity units (`ConsumedCapacity`).
    CapacityUnits,
    /// Cosmos DB: request units (`x-ms-request-charge`), reads and writes alike.
    RequestUnits,
}

impl Usage {
    /// What this consumption over `secs` seconds costs at `m`'s prices.
    pub fn cost(&self, m: &crate::prices::CostModel, secs: f64) -> f64 {
        self.read_units * m.per_read_unit
            + self.write_units * m.per_write_unit
            + self.request_units * m.per_request_unit
            + m.per_hour * secs / 3600.0
    }

    #[inline]
    pub fn add(&mut self, o: &Usage) {
        self.read_units += o.read_units;
        self.write_units += o.write_units;
        self.request_units += o.request_units;
        self.retries += o.retries;
        self.throttled += o.throttled;
    }
}

/// One mix entry's requests in a mixed phase (YCSB's `[READ]` / `[UPDATE]`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OpAcc {
    /// Response time of its successful requests.
    #[serde(with = "stored::opt")]
    pub latency: Option<Histogram<u64>>,
    pub errors: u64,
}

/// Error examples kept per worker and kind.
const EXAMPLES_PER_KIND: usize = 3;

/// One worker's measurements for one phase.
pub struct Recorder {
    /// Response time by segment (from the intended start in open loop).
    pub response: [Option<Histogram<u64>>; 3],
    /// Service time by segment (open loop only; in closed loop it equals response time).
    pub service: [Option<Histogram<u64>>; 3],
    pub open_loop: bool,
    pub ok: u64,
    pub errors: [u64; 6],
    pub examples: Vec<(ErrorKind, String)>,
    pub late: u64,
    pub rows: u64,
    /// Consumed capacity and retries, of successful and failed requests.
    pub usage: Usage,
    /// Requests sampled with EXPLAIN (one in `explain_every`; rare, so a Vec).
    pub explain: Vec<ExplainSample>,
    /// Per dataset table: how often it was the slowest leg (serial and parallel reads).
    pub slowest: Vec<u64>,
    /// Serial reads: how often the leg at each position was the slowest.
    pub positions: SerialPositions,
    /// Per entity: its legs' latency (serial and parallel reads).
    pub entity: Vec<Option<Histogram<u64>>>,
    /// Per op of the phase's mix, when it has more than one (else empty).
    pub ops: Vec<OpAcc>,
    /// Per step (operation) of the requests with `steps`: its own time (else empty).
    pub steps: Vec<OpAcc>,
    /// Keys drawn by successful requests, and how many of them were hot.
    pub keys_drawn: u64,
    pub keys_hot: u64,
    /// Response time by how many of the request's entities drew a hot key.
    pub hot_split: HotSplit,
    /// What the successful requests sent (the cross-checks with the server's counters).
    pub sent: xcheck::Sent,
    second: timeseries::SecondAcc,
    tx: Option<SecondSender>,
}

impl Recorder {
    pub fn new(open_loop: bool, tx: Option<SecondSender>) -> Self {
        Recorder {
            response: [None, None, None],
            service: [None, None, None],
            open_loop,
            ok: 0,
            errors: [0; 6],
            examples: Vec::new(),
            late: 0,
            rows: 0,
            usage: Usage::default(),
            explain: Vec::new(),
            slowest: Vec::new(),
            positions: SerialPositions::default(),
            entity: Vec::new(),
            ops: Vec::new(),
            steps: Vec::new(),
            keys_drawn: 0,
            keys_hot: 0,
            hot_split: HotSplit::default(),
            sent: xcheck::Sent::default(),
            second: timeseries::SecondAcc::new(),
            tx,
        }
    }

    /// Keeps latency per op for a mix of `ops` ops (the runner asks when the
    /// mix has several, named ones, or ones with steps).
    pub fn with_ops(mut self, ops: usize) -> Self {
        self.ops = vec![OpAcc::default(); ops];
        self
    }

    /// Keeps each step's time for a phase of `steps` operations (call only
    /// when some request has steps).
    pub fn with_steps(mut self, steps: usize) -> Self {
        self.steps = vec![OpAcc::default(); steps];
        self
    }

    /// A step (operation index) that completed in `ns`.
    #[inline]
    pub fn step_ok(&mut self, step: usize, ns: u64) {
        if let Some(a) = self.steps.get_mut(step) {
            a.latency.get_or_insert_with(new_hist).saturating_record(ns.clamp(1, MAX_NS));
        }
    }

    /// A step (operation index) that failed.
    #[inline]
    pub fn step_error(&mut self, step: usize) {
        if let Some(a) = self.steps.get_mut(step) {
            a.errors += 1;
        }
    }

    /// The keys a successful request drew (the per-key hot/cold view).
    #[inline]
    pub fn keys(&mut self, drawn: u32, hot: u32) {
        self.keys_drawn += u64::from(drawn);
        self.keys_hot += u64::from(hot);
    }

    /// A successful request of mix op `op` (no-op for a single-op mix).
    #[inline]
    pub fn op_ok(&mut self, op: usize, response_ns: u64) {
        if let Some(a) = self.ops.get_mut(op) {
            a.latency.get_or_insert_with(new_hist).saturating_record(response_ns.clamp(1, MAX_NS));
        }
    }

    /// A failed request of mix op `op`.
    #[inline]
    pub fn op_error(&mut self, op: usize) {
        if let Some(a) = self.ops.get_mut(op) {
            a.errors += 1;
        }
    }

    /// Records a successful request. `second` is whole seconds since the phase start.
    #[inline]
    pub fn ok(&mut self, segment: usize, response_ns: u64, service_ns: u64, rows: u32, second: u64) {
        let v = response_ns.clamp(1, MAX_NS);
        self.response[segment].get_or_insert_with(new_hist).saturating_record(v);
        if self.open_loop {
            self.service[segment].get_or_insert_with(new_hist).saturating_record(service_ns.clamp(1, MAX_NS));
        }
        self.ok += 1;
        self.rows += u64::from(rows);
        self.roll(second);
        self.second.record(v);
    }

    /// Records a successful request's legs. The per-table and per-entity
    /// slots grow at the first request that needs them, not per request.
    #[inline]
    pub fn legs(&mut self, legs: &Legs) {
        if !legs.timed {
            return;
        }
        let t = legs.slowest as usize;
        if self.slowest.len() <= t {
            self.slowest.resize(t + 1, 0);
        }
        self.slowest[t] += 1;
        self.positions.record(legs);
        for e in 0..LEG_ENTITIES {
            if legs.entities & (1 << e) != 0 {
                if self.entity.len() <= e {
                    self.entity.resize(e + 1, None);
                }
                self.entity[e].get_or_insert_with(new_hist).saturating_record(legs.entity_ns[e].clamp(1, MAX_NS));
            }
        }
    }

    /// Records a failed request.
    pub fn error(&mut self, e: &OpError, second: u64) {
        self.errors[e.kind as usize] += 1;
        self.usage.add(&e.usage);
        if self.examples.iter().filter(|(k, _)| *k == e.kind).count() < EXAMPLES_PER_KIND {
            self.examples.push((e.kind, e.message.clone()));
        }
        self.roll(second);
        self.second.errors += 1;
    }

    #[inline]
    fn roll(&mut self, second: u64) {
        if second != self.second.index {
            self.second.flush(self.tx.as_ref());
            self.second.index = second;
        }
    }

    /// Sends the last partial second; call once when the worker stops.
    pub fn finish(&mut self) {
        self.second.flush(self.tx.as_ref());
        if let Some(tx) = self.tx.take() {
            tx.done();
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.iter().sum()
    }
}

/// Merged measurements of one phase (all workers).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhaseStats {
    #[serde(with = "stored::three")]
    pub response: [Option<Histogram<u64>>; 3],
    #[serde(with = "stored::three")]
    pub service: [Option<Histogram<u64>>; 3],
    pub open_loop: bool,
    pub ok: u64,
    pub errors: [u64; 6],
    pub examples: Vec<(ErrorKind, String)>,
    pub late: u64,
    pub rows: u64,
    pub usage: Usage,
    pub explain: Vec<ExplainSample>,
    /// Per dataset table: how often it was the slowest leg.
    pub slowest: Vec<u64>,
    /// Serial reads: how often the leg at each position was the slowest.
    pub positions: SerialPositions,
    /// Per entity: its legs' latency.
    #[serde(with = "stored::vec")]
    pub entity: Vec<Option<Histogram<u64>>>,
    /// Per mix op, when the mix has more than one.
    pub ops: Vec<OpAcc>,
    /// Per step (operation index), when some request has steps.
    pub steps: Vec<OpAcc>,
    pub keys_drawn: u64,
    pub keys_hot: u64,
    pub hot_split: HotSplit,
    pub sent: xcheck::Sent,
}

fn merge_into(dst: &mut Option<Histogram<u64>>, src: &Option<Histogram<u64>>) {
    if let Some(s) = src {
        // Both have the same bounds, so adding cannot fail.
        let _ = dst.get_or_insert_with(new_hist).add(s);
    }
}

fn merge_accs(dst: &mut Vec<OpAcc>, src: &[OpAcc]) {
    if dst.len() < src.len() {
        dst.resize(src.len(), OpAcc::default());
    }
    for (o, a) in src.iter().enumerate() {
        merge_into(&mut dst[o].latency, &a.latency);
        dst[o].errors += a.errors;
    }
}

impl PhaseStats {
    pub fn merge(recorders: &[Recorder]) -> Self {
        let mut out = PhaseStats {
            response: [None, None, None],
            service: [None, None, None],
            open_loop: recorders.first().is_some_and(|r| r.open_loop),
            ok: 0,
            errors: [0; 6],
            examples: Vec::new(),
            late: 0,
            rows: 0,
            usage: Usage::default(),
            explain: Vec::new(),
            slowest: Vec::new(),
            positions: SerialPositions::default(),
            entity: Vec::new(),
            ops: Vec::new(),
            steps: Vec::new(),
            keys_drawn: 0,
            keys_hot: 0,
            hot_split: HotSplit::default(),
            sent: xcheck::Sent::default(),
        };
        for r in recorders {
            merge_accs(&mut out.ops, &r.ops);
            merge_accs(&mut out.steps, &r.steps);
            out.keys_drawn += r.keys_drawn;
            out.keys_hot += r.keys_hot;
            out.sent.add(&r.sent);
            out.hot_split.merge(&r.hot_split);
            out.explain.extend_from_slice(&r.explain);
            if out.slowest.len() < r.slowest.len() {
                out.slowest.resize(r.slowest.len(), 0);
            }
            for (t, n) in r.slowest.iter().enumerate() {
                out.slowest[t] += n;
            }
            out.positions.merge(&r.positions);
            if out.entity.len() < r.entity.len() {
                out.entity.resize(r.entity.len(), None);
            }
            for (e, h) in r.entity.iter().enumerate() {
                merge_into(&mut out.entity[e], h);
            }
            for s in 0..3 {
                merge_into(&mut out.response[s], &r.response[s]);
                merge_into(&mut out.service[s], &r.service[s]);
            }
            out.ok += r.ok;
            for k in 0..6 {
                out.errors[k] += r.errors[k];
            }
            for ex in &r.examples {
                if out.examples.iter().filter(|(k, _)| *k == ex.0).count() < EXAMPLES_PER_KIND && !out.examples.contains(ex) {
                    out.examples.push(ex.clone());
                }
            }
            out.late += r.late;
            out.rows += r.rows;
            out.usage.add(&r.usage);
        }
        out
    }

    /// Adds another process's merged measurements of the same phase (a
    /// shard, `benchplan merge`): histograms added, counters summed.
    pub fn add(&mut self, o: &PhaseStats) {
        self.open_loop |= o.open_loop;
        merge_accs(&mut self.ops, &o.ops);
        merge_accs(&mut self.steps, &o.steps);
        self.keys_drawn += o.keys_drawn;
        self.keys_hot += o.keys_hot;
        self.sent.add(&o.sent);
        self.hot_split.merge(&o.hot_split);
        self.explain.extend_from_slice(&o.explain);
        if self.slowest.len() < o.slowest.len() {
            self.slowest.resize(o.slowest.len(), 0);
        }
        for (t, n) in o.slowest.iter().enumerate() {
            self.slowest[t] += n;
        }
        self.positions.merge(&o.positions);
        if self.entity.len() < o.entity.len() {
            self.entity.resize(o.entity.len(), None);
        }
        for (e, h) in o.entity.iter().enumerate() {
            merge_into(&mut self.entity[e], h);
        }
        for s in 0..3 {
            merge_into(&mut self.response[s], &o.response[s]);
            merge_into(&mut self.service[s], &o.service[s]);
        }
        self.ok += o.ok;
        for k in 0..6 {
            self.errors[k] += o.errors[k];
        }
        for ex in &o.examples {
            if self.examples.iter().filter(|(k, _)| *k == ex.0).count() < EXAMPLES_PER_KIND && !self.examples.contains(ex) {
                self.examples.push(ex.clone());
            }
        }
        self.late += o.late;
        self.rows += o.rows;
        self.usage.add(&o.usage);
    }

    pub fn error_count(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// All segments together.
    pub fn overall(&self, service: bool) -> Histogram<u64> {
        let mut h = new_hist();
        let src = if service { &self.service } else { &self.response };
        for s in src.iter().flatten() {
            let _ = h.add(s);
        }
        h
    }
}

/// The latency columns of a result row, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub mean_ms: f64,
    pub stddev_ms: f64,
    pub cv: f64,
    pub min_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

const NS_PER_MS: f64 = 1_000_000.0;

impl Latency {
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Latency::default();
        }
        let ms = |ns: u64| ns as f64 / NS_PER_MS;
        let mean = h.mean() / NS_PER_MS;
        let stddev = h.stdev() / NS_PER_MS;
        Latency {
            mean_ms: mean,
            stddev_ms: stddev,
            cv: if mean > 0.0 { stddev / mean } else { 0.0 },
            min_ms: ms(h.min()),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p95_ms: ms(h.value_at_quantile(0.95)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_workers_and_segments() {
        let mut a = Recorder::new(false, None);
        let mut b = Recorder::new(false, None);
        for i in 1..=1000u64 {
            a.ok(0, i * 1_000_000, i * 1_000_000, 1, 0);
        }
        for _ in 0..1000 {
            b.ok(2, 5_000_000, 5_000_000, 2, 0);
        }
        b.error(&OpError::new(ErrorKind::Timeout, "t"), 0);
        let m = PhaseStats::merge(&[a, b]);
        assert_eq!(m.ok, 2000);
        assert_eq!(m.rows, 3000);
        assert_eq!(m.error_count(), 1);
        assert_eq!(m.errors[ErrorKind::Timeout as usize], 1);
        let l = Latency::of(&m.overall(false));
        assert!((l.p50_ms - 5.0).abs() < 0.01, "{l:?}");
        assert!((l.max_ms - 1000.0).abs() / 1000.0 < 0.001, "{l:?}");
        assert!(l.min_ms <= l.p50_ms && l.p50_ms <= l.p99_ms && l.p99_ms <= l.max_ms);
        let cold = Latency::of(m.response[0].as_ref().unwrap());
        assert!((cold.p99_ms - 990.0).abs() / 990.0 < 0.002, "{cold:?}");
        assert!((cold.mean_ms - 500.5).abs() < 1.0);
    }
}
