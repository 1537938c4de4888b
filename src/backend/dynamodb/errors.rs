//! How a failed call is treated: its class, whether a retry may help, and
//! whether the phase stops.

use crate::backend::service::{error_chain, Failure};
use crate::stats::ErrorKind;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// How a failed call is treated.
pub(super) fn classify<E>(e: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let f = |kind, retry, message: String| Failure::new(kind, retry, message);
    match e {
        SdkError::TimeoutError(_) => f(ErrorKind::Timeout, true, "the SDK timed out".into()),
        SdkError::DispatchFailure(d) => {
            let chain = error_chain(e);
            if chain.contains("loading credentials") || chain.contains("no credentials") {
                return Failure::fatal(
                    ErrorKind::Other,
                    format!(
                        "no usable AWS credentials (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an instance role): {chain}"
                    ),
                );
            }
            let msg = format!("cannot reach the endpoint: {chain}");
            if d.is_timeout() {
                f(ErrorKind::Timeout, true, msg)
            } else {
                f(ErrorKind::Connection, d.is_io() || d.is_other(), msg)
            }
        }
        SdkError::ResponseError(_) => f(ErrorKind::Connection, true, format!("unreadable response: {}", error_chain(e))),
        SdkError::ConstructionFailure(_) => {
            // Missing credentials or region surface here: nothing a retry fixes.
            Failure::fatal(ErrorKind::Other, error_chain(e))
        }
        _ => {
            let code = e.code().unwrap_or("");
            let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
            let message = match (code, e.message()) {
                ("", _) => format!("HTTP {status}: {}", error_chain(e)),
                (c, Some(m)) => format!("{c}: {m}"),
                (c, None) => c.to_string(),
            };
            match code {
                "ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException" => {
                    Failure::throttled(message)
                }
                "ResourceNotFoundException" => Failure::fatal(
                    ErrorKind::NotFound,
                    format!("{message} (does the table exist? run the `create` and `load` setup steps first)"),
                ),
                "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "IncompleteSignatureException"
                | "MissingAuthenticationTokenException"
                | "ExpiredTokenException"
                | "AccessDeniedException"
                | "InvalidClientTokenId" => Failure::fatal(ErrorKind::Other, format!("credentials rejected: {message}")),
                "ConditionalCheckFailedException" | "ValidationException" | "TransactionConflictException" => {
                    f(ErrorKind::Query, false, message)
                }
                _ => f(
                    ErrorKind::Other,
                    status >= 500 || code.contains("InternalServerError") || code.contains("ServiceUnavailable"),
                    message,
                ),
            }
        }
    }
}
