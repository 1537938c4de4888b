//! One phase: N workers in one loop, paced closed (each waits for its reply)
//! or open (request i is due at start + i/rate, latency measured from then).

use super::request;
use crate::backend::Backend;
use crate::clock::sleep_until_precise;
use crate::dataset::DataModel;
use crate::stats::timeseries::{Aggregator, TsPoint};
use crate::stats::{ErrorKind, ExplainSample, Legs, OpError, PhaseStats, Recorder};
use crate::workload::Workload;
use indicatif::ProgressBar;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A request that starts more than this after its intended time is "late".
pub const LATE_AFTER: Duration = Duration::from_millis(1);
/// The error policy is applied once this many requests were sent.
const POLICY_MIN_REQUESTS: u64 = 100;
/// A request faster than this lets its worker take [`Plan::claim`]
/// indices at once (only a backend without I/O is this fast).
const FAST_NS: u64 = 10_000;
/// A deadline for a timeout too long to add to an instant.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

#[derive(Debug, Clone)]
pub struct PhaseConfig {
    pub workers: u32,
    pub requests: Option<u64>,
    pub duration: Option<Duration>,
    pub rate: Option<f64>,
    pub timeout: Duration,
    pub max_error_rate: f64,
    /// Sample one request in N with EXPLAIN (where the backend can).
    pub explain_every: Option<u32>,
    /// Print a status line on stderr this often (stderr not a terminal).
    pub status_every: Option<Duration>,
    /// Live metrics (`--metrics-addr`): where each finished second goes.
    pub live: Option<crate::stats::live::SeriesHandle>,
    /// A shard (`run --shard`): it sends only its request indices, on the
    /// phase's one global schedule.
    pub shard: Option<super::Shard>,
}

/// How a phase ended.
#[derive(Debug, Clone)]
pub struct PhaseRun {
    pub stats: PhaseStats,
    pub timeseries: Vec<TsPoint>,
    /// The phase's own window: its `duration` when it ran to it (requests
    /// still in flight then are counted, their wait is `drain`), else from
    /// start to the last reply.
    pub duration: Duration,
    /// How long the phase waited after its window for requests in flight.
    pub drain: Duration,
    /// Open loop: requests due within the window that were never sent
    /// (the backend, or the workers, could not keep up with the rate).
    pub missed: Option<u64>,
    /// What the benchplan process itself used during the phase.
    pub client: Option<crate::stats::process::ClientUsage>,
    /// Set when the error policy stopped the phase.
    pub aborted: Option<String>,
    /// When the phase started, as unix time in seconds.
    pub started_unix_s: f64,
}

struct Shared {
    next: AtomicU64,
    errors: AtomicU64,
    stop: AtomicBool,
    tripped: AtomicBool,
    /// The first fatal error (a missing table, rejected credentials).
    fatal: std::sync::OnceLock<String>,
}

struct Plan {
    start: Instant,
    /// Where second 0 of the per-second series begins: the start, or in a
    /// shard the whole wall-clock second the start falls in (so that shards'
    /// seconds line up).
    second_origin: Instant,
    /// (index, count): the request indices this process sends.
    shard: (u64, u64),
    total: Option<u64>,
    deadline: Option<Instant>,
    interval_ns: Option<f64>,
    timeout: Duration,
    max_error_rate: f64,
    explain_every: Option<u32>,
    /// How many request indices a worker takes from the shared counter at
    /// once after a request faster than [`FAST_NS`]: 1 in open loop (each
    /// index is a due time); in closed loop up to 64, so that the workers
    /// of a backend without I/O (noop, an in-memory SQLite) do not contend
    /// for the counter's cache line on every request, and few enough that
    /// every worker has requests of a short phase. Slower requests take one
    /// index at a time, so the counter is what was sent.
    claim: u64,
}

#[allow(clippy::too_many_arguments)]
async fn worker<B: Backend>(
    backend: Arc<B>,
    ops: Arc<Vec<B::Op>>,
    workload: Arc<Workload>,
    model: Arc<DataModel>,
    shared: Arc<Shared>,
    interrupt: Arc<AtomicBool>,
    plan: Arc<Plan>,
    mut rec: Recorder,
) -> Recorder {
    let mut req = workload.request();
    let mut sessions: Vec<B::Session> = (0..workload.sessions_per_worker()).map(|_| backend.session()).collect();
    let most_steps = workload.requests.iter().map(|r| r.steps.len()).max().unwrap_or(1);
    let mut steps = request::Steps::new(most_steps);
    // The request's legs, outside its result (kept small: see `Done`).
    let mut legs = Legs::default();
    let (mut claimed, mut fast) = (0..0u64, false);
    loop {
        if shared.stop.load(Ordering::Relaxed) || interrupt.load(Ordering::Relaxed) {
            break;
        }
        if claimed.is_empty() {
            let n = if fast { plan.claim } else { 1 };
            let from = shared.next.fetch_add(n, Ordering::Relaxed);
            claimed = from..from + n;
        }
        let k = claimed.start;
        claimed.start += 1;
        // The global request index: a shard sends every count-th one.
        let i = plan.shard.0 + k * plan.shard.1;
        if plan.total.is_some_and(|n| i >= n) {
            break;
        }
        let intended = match plan.interval_ns {
            Some(iv) => {
                let due = plan.start + Duration::from_nanos((i as f64 * iv) as u64);
                // Past the window, nothing more is sent: requests still due
                // are counted as missed, never sent late forever.
                if plan.deadline.is_some_and(|d| due >= d || Instant::now() >= d) {
                    break;
                }
                sleep_until_precise(due).await;
                Some(due)
            }
            None => None,
        };
        workload.fill(&mut req, i, &model);
        let spec = &workload.requests[req.op];
        let t0 = Instant::now();
        if intended.is_none() && plan.deadline.is_some_and(|d| t0 >= d) {
            break;
        }
        let timeout = || OpError::new(ErrorKind::Timeout, format!("no reply within {}", humantime::format_duration(plan.timeout)));
        let (err, step) = if plan.explain_every.is_some_and(|n| i % u64::from(n.max(1)) == 0) {
            // A sampled request runs under EXPLAIN ANALYZE: its buffers are
            // recorded, its latency stays out of the histograms.
            let res = tokio::time::timeout(plan.timeout, request::explain(&*backend, &mut sessions[0], &ops, spec, &req)).await;
            let t1 = Instant::now();
            match res {
                Ok(Ok(b)) => {
                    rec.explain.push(ExplainSample { latency_ns: (t1 - t0).as_nanos() as u64, hit: b.hit, read: b.read });
                    continue;
                }
                Ok(Err(e)) => ((e, t1), None),
                Err(_) => ((timeout(), t1), None),
            }
        } else {
            // The deadline from t0, read already (tokio's `timeout` would read the clock again).
            let deadline = tokio::time::Instant::from_std(t0.checked_add(plan.timeout).unwrap_or(t0 + FAR_FUTURE));
            if legs.timed {
                legs = Legs::default();
            }
            let res = match spec.steps[..] {
                // One step: the backend's own future, not the larger one of a request of several.
                [only] => tokio::time::timeout_at(deadline, backend.execute(&mut sessions[0], &ops[only], &req, &mut legs))
                    .await
                    .map(|r| r.map_err(|error| request::StepFailure { error, step: 0 })),
                _ => {
                    tokio::time::timeout_at(deadline, request::execute(&*backend, &mut sessions, &ops, spec, &req, &mut legs, &mut steps))
                        .await
                }
            };
            let t1 = Instant::now();
            let second = t1.saturating_duration_since(plan.second_origin).as_secs();
            let many = spec.steps.len() > 1;
            if many {
                for (j, &ns) in steps.ns[..spec.steps.len()].iter().enumerate().filter(|(_, ns)| **ns > 0) {
                    rec.step_ok(spec.steps[j], ns);
                }
            }
            match res {
                Ok(Ok(done)) => {
                    rec.usage.add(&done.usage);
                    rec.sent.add(&done.sent);
                    let service = (t1 - t0).as_nanos() as u64;
                    fast = service < FAST_NS;
                    let response = match intended {
                        Some(due) => {
                            if t0.saturating_duration_since(due) > LATE_AFTER {
                                rec.late += 1;
                            }
                            t1.saturating_duration_since(due).as_nanos() as u64
                        }
                        None => service,
                    };
                    rec.ok(req.class(), response, service, done.rows, second);
                    rec.op_ok(req.op, response);
                    rec.keys(req.keys_drawn, req.keys_hot);
                    rec.hot_split.record(req.entities, req.hot, response);
                    rec.legs(&legs);
                    if !many && !spec.step_names.is_empty() {
                        rec.step_ok(spec.steps[0], service);
                    }
                    continue;
                }
                Ok(Err(f)) => ((f.error, t1), Some(spec.steps[f.step])),
                // The steps still running when the timeout struck are its cause.
                Err(_) if many => ((timeout(), t1), spec.steps.iter().zip(&steps.ns).find(|(_, ns)| **ns == 0).map(|(o, _)| *o)),
                Err(_) => ((timeout(), t1), Some(spec.steps[0])),
            }
        };
        let (err, t1) = err;
        fast = false;
        // The connections may be broken or mid-statement: start over with new ones.
        sessions.iter_mut().for_each(|s| *s = backend.session());
        rec.error(&err, t1.saturating_duration_since(plan.second_origin).as_secs());
        rec.op_error(req.op);
        if let Some(o) = step {
            rec.step_error(o);
        }
        if err.fatal {
            let _ = shared.fatal.set(err.message.clone());
            shared.stop.store(true, Ordering::Relaxed);
        }
        let errors = shared.errors.fetch_add(1, Ordering::Relaxed) + 1;
        let sent = shared.next.load(Ordering::Relaxed).max(1);
        if sent >= POLICY_MIN_REQUESTS && errors as f64 / sent as f64 > plan.max_error_rate {
            shared.tripped.store(true, Ordering::Relaxed);
            shared.stop.store(true, Ordering::Relaxed);
        }
    }
    rec.finish();
    rec
}

/// Runs one phase to its end (requests, duration, error policy or Ctrl-C).
pub async fn run_phase<B: Backend>(
    backend: &Arc<B>,
    ops: Arc<Vec<B::Op>>,
    workload: Arc<Workload>,
    model: Arc<DataModel>,
    cfg: &PhaseConfig,
    interrupt: &Arc<AtomicBool>,
    bar: &ProgressBar,
) -> Result<PhaseRun, String> {
    let workers = cfg.workers.max(1) as usize;
    let client = crate::stats::process::ClientMark::now();
    let agg = Aggregator::start_keeping(workers, cfg.live.clone(), cfg.shard.is_some())
        .map_err(|e| format!("cannot start the statistics thread: {e}"))?;
    let open = cfg.rate.is_some();
    // Open loop: a little head start so that spawning workers is not counted as lateness.
    let (wall, now) = (std::time::SystemTime::now(), Instant::now());
    let start = now + if open { Duration::from_millis(5) } else { Duration::ZERO };
    let started_unix_s = wall.duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64()) + (start - now).as_secs_f64();
    let second_origin = match cfg.shard {
        Some(_) => start.checked_sub(Duration::from_secs_f64(started_unix_s.fract())).unwrap_or(start),
        None => start,
    };
    let shard = cfg.shard.map_or((0, 1), |s| (u64::from(s.index), u64::from(s.count)));
    // An open-loop phase of N requests at rate R lasts N / R.
    let window = cfg.duration.or_else(|| Some(Duration::from_secs_f64(cfg.requests? as f64 / cfg.rate?)));
    let plan = Arc::new(Plan {
        start,
        second_origin,
        shard,
        total: cfg.requests,
        deadline: window.map(|d| start + d),
        interval_ns: cfg.rate.map(|r| 1e9 / r),
        timeout: cfg.timeout,
        max_error_rate: cfg.max_error_rate,
        explain_every: cfg.explain_every.filter(|_| backend.can_explain()),
        claim: match (cfg.rate, cfg.requests) {
            (Some(_), _) => 1,
            (None, Some(n)) => (n / shard.1 / (workers as u64 * 64)).clamp(1, 64),
            (None, None) => 64,
        },
    });
    let shared = Arc::new(Shared {
        next: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        tripped: AtomicBool::new(false),
        fatal: std::sync::OnceLock::new(),
    });
    backend.phase_started(start);
    // Per-op figures for a mix of several requests, or of named ones (checks may name them).
    let per_op = workload.requests.len() > 1 || workload.requests.iter().any(|r| r.name.is_some()) || workload.has_steps();
    let mut handles = Vec::with_capacity(workers);
    for w in 0..workers {
        let mut rec = Recorder::new(open, Some(agg.sender(w)));
        if per_op {
            rec = rec.with_ops(workload.requests.len());
        }
        if workload.has_steps() {
            rec = rec.with_steps(workload.ops.len());
        }
        handles.push(super::lanes::spawn(
            w,
            worker(backend.clone(), ops.clone(), workload.clone(), model.clone(), shared.clone(), interrupt.clone(), plan.clone(), rec),
        ));
    }
    // The bar counts this shard's requests.
    let shown = PhaseConfig { requests: cfg.requests.map(|n| cfg.shard.map_or(n, |s| s.share(n))), live: None, ..cfg.clone() };
    let ticker = spawn_ticker(bar.clone(), shared.clone(), agg.live.clone(), start, &shown);
    let mut recorders = Vec::with_capacity(workers);
    let mut panicked = None;
    for h in handles {
        match h.await {
            Ok(r) => recorders.push(r),
            Err(e) => panicked = Some(e.to_string()),
        }
    }
    let end = Instant::now();
    let client = client.since();
    ticker.abort();
    let mut timeseries = agg.finish();
    // The whole unix second each row's second began in (in a shard, its seconds are those seconds).
    let first_unix = started_unix_s.floor() as u64;
    for p in &mut timeseries {
        p.unix_s = Some(first_unix + p.second);
    }
    if let Some(p) = panicked {
        return Err(format!("a worker failed: {p}"));
    }
    let stats = PhaseStats::merge(&recorders);
    let aborted = aborted(&stats, &shared, cfg.max_error_rate);
    let ran = end.saturating_duration_since(start.min(end));
    // A phase that reached its window's end is measured over the window.
    let duration = match window {
        Some(w) if ran > w && aborted.is_none() && !interrupt.load(Ordering::Relaxed) => w,
        _ => ran,
    };
    let missed = cfg.rate.map(|r| {
        let due = (duration.as_secs_f64() * r).ceil() as u64;
        let due = cfg.requests.map_or(due, |n| due.min(n));
        let due = cfg.shard.map_or(due, |s| s.share(due));
        due.saturating_sub(stats.ok + stats.error_count() + stats.explain.len() as u64)
    });
    Ok(PhaseRun { stats, timeseries, duration, drain: ran.saturating_sub(duration), missed, aborted, client, started_unix_s })
}

/// Progress: reads the shared counters a few times a second, for the bar
/// and (without a terminal) a status line every `status_every`.
fn spawn_ticker(
    bar: ProgressBar,
    shared: Arc<Shared>,
    live: Arc<crate::stats::timeseries::Live>,
    start: Instant,
    cfg: &PhaseConfig,
) -> tokio::task::JoinHandle<()> {
    let (total, duration, every) = (cfg.requests, cfg.duration, cfg.status_every);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        let mut next_line = every;
        loop {
            tick.tick().await;
            let sent = shared.next.load(Ordering::Relaxed);
            let elapsed = start.elapsed().as_secs_f64().max(1e-9);
            match (total, duration) {
                (Some(n), _) => bar.set_position(sent.min(n)),
                (None, Some(d)) => bar.set_position((elapsed.min(d.as_secs_f64())) as u64),
                _ => {}
            }
            // Nothing to say before a quarter second has passed, nor of a
            // P99 before the first whole second was measured.
            let p99 = live.p99_ns.load(Ordering::Relaxed) as f64 / 1e6;
            let rate = if elapsed >= 0.25 { format!("{:.0} req/s", sent as f64 / elapsed) } else { "starting".into() };
            let p99 = if p99 > 0.0 { format!("p99 {p99:.2} ms") } else { "p99 -".into() };
            if let Some(at) = next_line.filter(|at| start.elapsed() >= *at) {
                // Claimed slots run ahead by the requests in flight (and one per stopping worker).
                let sent = total.map_or(sent, |n| sent.min(n));
                let of = total.map(|n| format!("/{n}")).unwrap_or_default();
                // A phase of N requests says when it should end, at the rate so far.
                let eta = match total {
                    Some(n) if sent > 0 && elapsed >= 1.0 => {
                        let left = n.saturating_sub(sent) as f64 / (sent as f64 / elapsed);
                        format!(", about {} left", rough_duration(left))
                    }
                    _ => String::new(),
                };
                let errors = shared.errors.load(Ordering::Relaxed);
                eprintln!("benchplan: {}: {:.1} s, {sent}{of} requests, {rate}, {p99}, {errors} errors{eta}", bar.prefix(), elapsed);
                next_line = every.map(|e| at + e);
            }
            bar.set_message(format!("{rate}, {p99}"));
        }
    })
}

/// `45 s`, `12 min`, `3.5 h`, `40 days`: an estimate, said roughly.
fn rough_duration(secs: f64) -> String {
    match secs {
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 7200.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.1} h", s / 3600.0),
        s => format!("{:.0} days", s / 86_400.0),
    }
}

/// Why the phase stopped early, if it did: a fatal error, or more failures
/// than `max_error_rate` allows.
fn aborted(stats: &PhaseStats, shared: &Shared, max_error_rate: f64) -> Option<String> {
    let sent = stats.ok + stats.error_count();
    let rate = stats.error_count() as f64 / sent.max(1) as f64;
    if let Some(why) = shared.fatal.get() {
        Some(why.clone())
    } else if shared.tripped.load(Ordering::Relaxed) || (sent > 0 && rate > max_error_rate) {
        Some(format!(
            "{} of {sent} requests failed ({:.1} %), above max_error_rate {:.1} %",
            stats.error_count(),
            rate * 100.0,
            max_error_rate * 100.0
        ))
    } else {
        None
    }
}
