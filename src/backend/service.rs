//! What the metered cloud services (DynamoDB, Cosmos DB) share: retries
//! with counted attempts, failure classes, endpoint checks, and summing
//! concurrent calls of one request.

use crate::dataset::mix64;
use crate::stats::{ErrorKind, OpError, Usage};
use std::future::Future;
use std::time::{Duration, SystemTime};

/// The longest retry-after a service may ask for before benchplan waits less.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How retries are made.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub max_attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Retry {
    /// Full jitter: a random delay up to base x 2^attempt, capped.
    pub fn delay(&self, attempt: u32) -> Duration {
        let cap = self.base.saturating_mul(1u32 << attempt.min(16)).min(self.max);
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let r = mix64(u64::from(nanos) ^ u64::from(attempt)) as f64 / u64::MAX as f64;
        cap.mul_f64(r)
    }
}

/// How a failed call is treated.
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: ErrorKind,
    pub retry: bool,
    pub throttled: bool,
    pub fatal: bool,
    pub message: String,
    /// The wait the service asked for before a retry (Cosmos DB's retry-after).
    pub retry_after: Option<Duration>,
    /// Request units the service charged for the failed attempt.
    pub charge: f64,
    /// Attempts the client library made on its own inside this one (beyond its first).
    pub inner_retries: u64,
}

impl Failure {
    pub fn new(kind: ErrorKind, retry: bool, message: impl Into<String>) -> Self {
        Failure { kind, retry, throttled: false, fatal: false, message: message.into(), retry_after: None, charge: 0.0, inner_retries: 0 }
    }

    pub fn throttled(message: impl Into<String>) -> Self {
        Failure { throttled: true, ..Failure::new(ErrorKind::Throttled, true, message) }
    }

    pub fn fatal(kind: ErrorKind, message: impl Into<String>) -> Self {
        Failure { fatal: true, ..Failure::new(kind, false, message) }
    }
}

/// Runs `call` up to `attempts` times while `classify` says a retry may
/// help; every retry and every throttled attempt is counted in `usage`.
/// Waits the service's retry-after when it gives one, else `retry`'s backoff.
pub async fn with_retries<T, E, F, Fut, C>(retry: &Retry, usage: &mut Usage, attempts: u32, mut call: F, classify: C) -> Result<T, OpError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    C: Fn(&E) -> Failure,
{
    let mut attempt = 0u32;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                let f = classify(&e);
                usage.request_units += f.charge;
                usage.retries += f.inner_retries;
                if f.throttled {
                    usage.throttled += 1;
                }
                attempt += 1;
                if !f.retry || attempt >= attempts {
                    let mut err = OpError::new(f.kind, f.message).with_usage(*usage);
                    err.fatal = f.fatal;
                    return Err(err);
                }
                usage.retries += 1;
                let wait = match f.retry_after {
                    Some(d) => d.min(MAX_RETRY_AFTER),
                    None => retry.delay(attempt),
                };
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// An error and its sources, by their Display only ("a: b: c").
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}

/// The tables of a read grouped by their entity, in first-seen order (one
/// call per entity key where a service returns an entity's tables together).
pub fn group_by_entity(model: &crate::dataset::DataModel, tables: &[usize]) -> Vec<(usize, Vec<usize>)> {
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for &t in tables {
        let e = model.tables[t].entity;
        match groups.iter_mut().find(|(ge, _)| *ge == e) {
            Some((_, ts)) => ts.push(t),
            None => groups.push((e, vec![t])),
        }
    }
    groups
}

/// Text with the request's keys as named placeholders (`<sigil>bp_<entity>_<j>`),
/// never pasted in: the text, and each placeholder once with its key.
pub fn bind_keys(parts: Vec<crate::template::Part>, sigil: char) -> (String, Vec<(String, crate::template::Part)>) {
    use crate::template::Part;
    let mut text = String::new();
    let mut bound: Vec<(String, Part)> = Vec::new();
    for p in parts {
        match p {
            Part::Text(t) => text.push_str(&t),
            Part::Key { entity, j } => {
                let ph = format!("{sigil}bp_{entity}_{j}");
                text.push_str(&ph);
                if !bound.iter().any(|(k, _)| *k == ph) {
                    bound.push((ph, Part::Key { entity, j }));
                }
            }
        }
    }
    (text, bound)
}

/// Loads every table of `model` in calls of up to `per_call` rows, numbered
/// across all tables, with `workers` calls in flight: `call(table, first,
/// last)` writes rows `first..last` and returns the rows written and what
/// they consumed. The first failed call stops the other workers at their
/// next call, and the load with its message.
pub async fn load_in_calls<F, Fut>(
    model: &crate::dataset::DataModel,
    per_call: u64,
    workers: u32,
    bar: &indicatif::ProgressBar,
    call: F,
) -> Result<super::Loaded, super::BackendError>
where
    F: Fn(usize, u64, u64) -> Fut,
    Fut: Future<Output = Result<(u32, Usage), String>>,
{
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    bar.set_length(model.total_rows());
    let per_call = per_call.max(1);
    let mut starts = Vec::with_capacity(model.tables.len());
    let mut total_calls = 0u64;
    for t in &model.tables {
        starts.push(total_calls);
        total_calls += t.rows.div_ceil(per_call);
    }
    let next = AtomicU64::new(0);
    let failed = AtomicBool::new(false);
    let results = futures_util::future::join_all((0..workers.max(1)).map(|_| async {
        let mut usage = Usage::default();
        let mut rows = 0u64;
        loop {
            let c = next.fetch_add(1, Ordering::Relaxed);
            if c >= total_calls || failed.load(Ordering::Relaxed) {
                return Ok((rows, usage));
            }
            let t = starts.partition_point(|&s| s <= c) - 1;
            let first = (c - starts[t]) * per_call;
            let last = (first + per_call).min(model.tables[t].rows);
            match call(t, first, last).await {
                Ok((n, u)) => {
                    usage.add(&u);
                    rows += u64::from(n);
                    bar.inc(u64::from(n));
                }
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    return Err(super::BackendError(e));
                }
            }
        }
    }))
    .await;
    let mut out = super::Loaded::default();
    for r in results {
        let (rows, usage) = r?;
        out.rows += rows;
        out.usage.add(&usage);
    }
    Ok(out)
}

/// Sums concurrent calls: rows and usage of all, the first error (the first
/// fatal one, if any, so that it stops the phase).
pub fn gather(usage: &mut Usage, results: impl IntoIterator<Item = (Result<u32, OpError>, Usage)>) -> Result<u32, OpError> {
    let mut rows = 0;
    let mut first: Option<OpError> = None;
    for (r, u) in results {
        usage.add(&u);
        match r {
            Ok(n) => rows += n,
            Err(e) => {
                if first.as_ref().is_none_or(|f| e.fatal && !f.fatal) {
                    first = Some(e);
                }
            }
        }
    }
    first.map_or(Ok(rows), Err)
}

/// Rows, dataset table, and nanoseconds from the request's start to the call's end.
pub type TimedLeg = (u32, usize, u64);

/// [`gather`] for reads whose calls each report (rows, table, end since the
/// request's start): their legs go into `legs`.
pub fn gather_legs(
    usage: &mut Usage,
    legs: &mut crate::stats::Legs,
    model: &crate::dataset::DataModel,
    results: Vec<(Result<TimedLeg, OpError>, Usage)>,
) -> Result<u32, OpError> {
    let timed = results.into_iter().map(|(r, u)| {
        let r = r.map(|(n, t, ns)| {
            legs.leg(t, model.tables[t].entity, ns, true);
            n
        });
        (r, u)
    });
    gather(usage, timed)
}

/// A request's outcome: its rows with what every call consumed, or its
/// first error carrying the same (failed calls are charged too).
pub fn finish(rows: Result<u32, OpError>, usage: Usage, legs: crate::stats::Legs) -> Result<super::Done, OpError> {
    match rows {
        Ok(rows) => Ok(super::Done { rows, usage, legs }),
        Err(mut e) => {
            e.usage = usage;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_full_jitter() {
        let r = Retry { max_attempts: 5, base: Duration::from_millis(10), max: Duration::from_millis(50) };
        for a in 1..30 {
            assert!(r.delay(a) <= Duration::from_millis(50));
        }
        assert!(r.delay(1) <= Duration::from_millis(20));
    }

    #[test]
    fn a_fatal_error_wins_over_an_earlier_one() {
        let plain = OpError::new(ErrorKind::Query, "conflict");
        let mut fatal = OpError::new(ErrorKind::NotFound, "no container");
        fatal.fatal = true;
        let mut u = Usage::default();
        let r = gather(&mut u, vec![(Err(plain), Usage::default()), (Ok(2), Usage::default()), (Err(fatal), Usage::default())]);
        assert_eq!(r.err().map(|e| (e.kind, e.fatal)), Some((ErrorKind::NotFound, true)));
    }

    #[tokio::test]
    async fn retries_are_counted_and_charged() {
        let r = Retry { max_attempts: 3, base: Duration::from_millis(1), max: Duration::from_millis(2) };
        let mut usage = Usage::default();
        let mut calls = 0;
        let out: Result<u32, OpError> = with_retries(
            &r,
            &mut usage,
            3,
            || {
                calls += 1;
                let n = calls;
                async move {
                    if n < 3 {
                        Err(n)
                    } else {
                        Ok(7)
                    }
                }
            },
            |_| Failure { charge: 0.5, retry_after: Some(Duration::from_millis(1)), ..Failure::throttled("429") },
        )
        .await;
        assert_eq!(out.ok(), Some(7));
        assert_eq!((usage.retries, usage.throttled, usage.request_units), (2, 2, 1.0));
        let mut usage = Usage::default();
        let out: Result<u32, OpError> =
            with_retries(&r, &mut usage, 3, || async { Err::<u32, _>(()) }, |_| Failure::fatal(ErrorKind::NotFound, "gone")).await;
        let e = out.err().map(|e| (e.kind, e.fatal));
        assert_eq!(e, Some((ErrorKind::NotFound, true)));
        assert_eq!(usage.retries, 0);
    }
}
