//! How a failed call is treated: its class by status and substatus, whether
//! a retry may help (and when), whether the phase stops, and what it cost.

use super::calls::op_usage;
use crate::backend::service::{error_chain, Failure};
use crate::stats::{ErrorKind, OpError};
use azure_data_cosmos::CosmosError;
use std::time::Duration;

/// How a failed call is treated.
pub(super) fn classify(e: &CosmosError) -> Failure {
    let st = e.status();
    let code = u16::from(st.status_code());
    let sub = st.sub_status().map(|s| s.value()).unwrap_or(0);
    let headers = e.response().map(|r| r.headers());
    let (charge, inner_retries) = match e.diagnostics() {
        Some(d) => op_usage(&d),
        None => (headers.and_then(|h| h.request_charge).map(f64::from).unwrap_or(0.0), 0),
    };
    let retry_after = headers.and_then(|h| h.retry_after_ms).map(Duration::from_millis);
    let message = error_chain(e);
    let mut f = if st.is_throttled() {
        Failure { retry_after, ..Failure::throttled(format!("429 request rate too large: {message}")) }
    } else if code == 401 || (code == 403 && sub != 3) {
        Failure::fatal(ErrorKind::Other, format!("key rejected ({code}): check `key:` (the account's primary or secondary key): {message}"))
    } else if code == 404 && sub == 1002 {
        // Read-session not available: transient.
        Failure::new(ErrorKind::NotFound, true, format!("404/1002 session not yet available: {message}"))
    } else if code == 404 && sub == 0 {
        // A missing item.
        Failure::new(ErrorKind::NotFound, false, format!("404 not found: {message}"))
    } else if code == 404 {
        // Its owner is missing (1003: the container or the database): nothing can succeed.
        Failure::fatal(
            ErrorKind::NotFound,
            format!("404/{sub} not found: {message} (does the container exist? run the `create` and `load` setup steps first)"),
        )
    } else if st.is_conflict() || st.is_precondition_failed() || st.is_bad_request() || code == 413 {
        Failure::new(ErrorKind::Query, false, format!("{code}: {message}"))
    } else if st.is_timeout() || code == 408 {
        Failure::new(ErrorKind::Timeout, true, format!("timed out: {message}"))
    } else if e.response().is_none() || st.is_service_unavailable() || st.is_transient() || st.is_gone() || code >= 500 {
        Failure::new(ErrorKind::Connection, true, format!("cannot reach the account: {message}"))
    } else {
        Failure::new(ErrorKind::Other, false, format!("{code}: {message}"))
    };
    f.charge = charge;
    f.inner_retries = inner_retries;
    f
}

/// Whether a failed point read found no item (a 404 without substatus),
/// rather than no container or database.
pub(super) fn item_not_found(e: &OpError) -> bool {
    e.kind == ErrorKind::NotFound && !e.fatal && e.message.starts_with("404 not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: u16, sub: Option<u16>) -> CosmosError {
        let mut st = azure_data_cosmos::CosmosStatus::new(azure_core::http::StatusCode::from(code));
        if let Some(s) = sub {
            st = st.with_sub_status(s);
        }
        CosmosError::builder().with_status(st).with_message("from the test").build()
    }

    #[test]
    fn failures_are_classified_by_status_and_substatus() {
        let c = |code, sub| {
            let f = classify(&error(code, sub));
            (f.kind, f.retry, f.fatal, f.throttled)
        };
        assert_eq!(c(429, Some(3200)), (ErrorKind::Throttled, true, false, true));
        assert_eq!(c(404, None), (ErrorKind::NotFound, false, false, false), "a missing item");
        assert_eq!(c(404, Some(1003)), (ErrorKind::NotFound, false, true, false), "a missing container or database");
        assert_eq!(c(404, Some(1002)), (ErrorKind::NotFound, true, false, false), "session not yet available");
        assert_eq!(c(401, None), (ErrorKind::Other, false, true, false));
        assert_eq!(c(403, None), (ErrorKind::Other, false, true, false));
        assert_eq!(c(409, None), (ErrorKind::Query, false, false, false));
        assert!(c(503, None).1, "503 is retried");
        let missing_item = OpError::new(ErrorKind::NotFound, classify(&error(404, None)).message);
        assert!(item_not_found(&missing_item));
        let f = classify(&error(404, Some(1003)));
        let mut owner = OpError::new(f.kind, f.message);
        owner.fatal = f.fatal;
        assert!(!item_not_found(&owner));
    }
}
