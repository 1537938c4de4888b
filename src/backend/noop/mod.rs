//! The noop backend: no I/O. It answers at once, or after a simulated
//! service time (fixed or log-normal), and can stall: stop answering for a
//! while, measured from the start of each phase, and serve a limited
//! number of requests at once (`servers`: a queue with a known capacity). It measures the harness's
//! own ceiling and lets runner, CLI and report tests run without a database.

mod support;
pub use support::NoopKind;

use super::{Backend, BackendError, Ctx, Done, Loaded};
use crate::clock::sleep_until_precise;
use crate::dataset::mix64;
use crate::scenario::model::{CreateStep, IndexStep, Latency, LoadStep, NoopConfig, StatementOp};
use crate::stats::{ErrorKind, Legs, OpError};
use crate::workload::dist::Rng;
use crate::workload::{OpKind, OpSpec, Request};
use indicatif::ProgressBar;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

enum Service {
    None,
    Fixed(Duration),
    /// ln(service time in ns) ~ Normal(mu, sigma).
    LogNormal {
        mu: f64,
        sigma: f64,
    },
}

pub struct NoopBackend {
    service: Service,
    stall: Option<(Duration, Duration)>,
    /// The base instant the phase start offsets are measured from.
    epoch: Instant,
    phase_start_ns: AtomicU64,
    fail: f64,
    /// `servers`: requests beyond this many at once wait for a permit.
    servers: Option<tokio::sync::Semaphore>,
}

/// z such that P(Z < z) = 0.99 for a standard normal Z.
const Z99: f64 = 2.326_347_874;

impl NoopBackend {
    /// Nothing to connect to.
    pub async fn connect(c: &NoopConfig, _ctx: &Ctx<'_>) -> Result<Self, BackendError> {
        Ok(Self::new(c))
    }

    pub fn new(c: &NoopConfig) -> Self {
        let service = match &c.latency {
            None => Service::None,
            Some(Latency::Fixed(d)) if d.0.is_zero() => Service::None,
            Some(Latency::Fixed(d)) => Service::Fixed(d.0),
            Some(Latency::LogNormal(l)) => {
                let mu = (l.median.0.as_nanos().max(1) as f64).ln();
                let sigma = ((l.p99.0.as_nanos().max(1) as f64).ln() - mu).max(0.0) / Z99;
                Service::LogNormal { mu, sigma }
            }
        };
        NoopBackend {
            service,
            stall: c.stall.as_ref().map(|s| (s.at.0, s.for_.0)),
            epoch: Instant::now(),
            phase_start_ns: AtomicU64::new(0),
            fail: c.fail.unwrap_or(0.0),
            servers: c.servers.map(|n| tokio::sync::Semaphore::new(n as usize)),
        }
    }

    fn service_time(&self, req: &Request) -> Option<Duration> {
        match self.service {
            Service::None => None,
            Service::Fixed(d) => Some(d),
            Service::LogNormal { mu, sigma } => {
                // Box-Muller from two uniforms of the request's own stream.
                let mut rng = Rng::new(mix64(req.index ^ 0x6e6f_6f70));
                let u1 = rng.next_f64().max(f64::MIN_POSITIVE);
                let u2 = rng.next_f64();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                Some(Duration::from_nanos((mu + sigma * z).exp().min(3.6e12) as u64))
            }
        }
    }
}

pub struct NoopOp {
    rows: u32,
}

impl Backend for NoopBackend {
    type Op = NoopOp;
    type Session = ();

    fn session(&self) {}

    fn prepare(&self, _ctx: &Ctx<'_>, op: &OpSpec, _statement: Option<&StatementOp>) -> Result<NoopOp, BackendError> {
        // Report the rows a real backend would touch, so reports look alike.
        let rows = match &op.kind {
            OpKind::Read { tables, .. } | OpKind::Write { tables, .. } => tables.len() * op.keys_per_entity,
            OpKind::Statement { .. } => 1,
            OpKind::Kv { .. } => op.keys_per_entity,
            OpKind::VectorSearch { search, .. } => search.k() as usize,
        };
        Ok(NoopOp { rows: rows.min(u32::MAX as usize) as u32 })
    }

    async fn create(&self, _ctx: &Ctx<'_>, _step: &CreateStep, _bar: &ProgressBar) -> Result<(), BackendError> {
        Ok(())
    }

    async fn load(&self, ctx: &Ctx<'_>, _step: &LoadStep, bar: &ProgressBar) -> Result<Loaded, BackendError> {
        // Nothing is stored; the rows are counted as if loaded.
        let rows = ctx.model.total_rows();
        bar.inc(rows);
        Ok(Loaded::rows(rows))
    }

    async fn drop_tables(&self, _ctx: &Ctx<'_>, _bar: &ProgressBar) -> Result<(), BackendError> {
        Ok(())
    }

    /// Stores nothing, so builds nothing: the step's rows, no size.
    async fn build_index(&self, ctx: &Ctx<'_>, step: &IndexStep) -> Result<Loaded, BackendError> {
        Ok(Loaded::rows(ctx.model.table_index(&step.table).map_or(0, |t| ctx.model.tables[t].rows)))
    }

    fn phase_started(&self, at: Instant) {
        self.phase_start_ns.store(at.saturating_duration_since(self.epoch).as_nanos() as u64, Ordering::Relaxed);
    }

    async fn execute<'a>(&'a self, _session: &'a mut (), op: &'a NoopOp, req: &'a Request, _legs: &'a mut Legs) -> Result<Done, OpError> {
        if let Some((at, len)) = self.stall {
            let start = self.epoch + Duration::from_nanos(self.phase_start_ns.load(Ordering::Relaxed));
            let (from, until) = (start + at, start + at + len);
            let now = Instant::now();
            if now >= from && now < until {
                sleep_until_precise(until).await;
            }
        }
        // A request waits for one of `servers`; its service time starts then.
        let _serving = match &self.servers {
            Some(s) => Some(s.acquire().await.map_err(|_| OpError::new(ErrorKind::Other, "noop servers closed"))?),
            None => None,
        };
        if let Some(d) = self.service_time(req) {
            sleep_until_precise(Instant::now() + d).await;
        }
        if self.fail > 0.0 && Rng::new(mix64(req.index ^ 0x6661_696c)).next_f64() < self.fail {
            return Err(OpError::new(ErrorKind::Other, "injected failure (noop fail)"));
        }
        Ok(Done::rows(op.rows))
    }

    async fn server_info(&self) -> BTreeMap<String, String> {
        BTreeMap::from([("server".to_string(), "noop (no I/O)".to_string())])
    }
}
