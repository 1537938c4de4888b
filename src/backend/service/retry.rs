//! Retries with counted attempts, and how a failed call is treated
//! ([`Failure`]: its class, whether a retry may help, what it cost).

use crate::dataset::mix64;
use crate::scenario::model::DurationSpec;
use crate::stats::{ErrorKind, OpError, Usage};
use std::future::Future;
use std::time::{Duration, SystemTime};

/// The longest retry-after a service may ask for before benchplan waits less.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// The scenario's defaults for `max_attempts`, `backoff` and `max_backoff`.
const DEFAULT_MAX_ATTEMPTS: u32 = 3;
const DEFAULT_BACKOFF: Duration = Duration::from_millis(25);
const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(1);

/// How retries are made.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub max_attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Retry {
    /// A service's `max_attempts` (at least 1), `backoff` and `max_backoff`, or their defaults.
    pub fn configured(max_attempts: Option<u32>, backoff: Option<DurationSpec>, max_backoff: Option<DurationSpec>) -> Self {
        Retry {
            max_attempts: max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1),
            base: backoff.map(|d| d.0).unwrap_or(DEFAULT_BACKOFF),
            max: max_backoff.map(|d| d.0).unwrap_or(DEFAULT_MAX_BACKOFF),
        }
    }

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
