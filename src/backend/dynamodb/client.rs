//! The SDK client as the scenario configures it, the backend that holds it,
//! and every call made through benchplan's counted retries.

use super::codec::Codec;
use super::errors::classify;
use super::names::Names;
use crate::backend::service::{with_retries, Retry};
use crate::backend::{BackendError, Ctx, CONNECT_TIMEOUT};
use crate::dataset::DataModel;
use crate::scenario::model::{Billing, DynamodbConfig};
use crate::stats::{OpError, Usage};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::Client;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// One attempt of one call gives up after this (phases also have their own `timeout`).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

pub struct DynamoBackend {
    pub(super) client: Client,
    pub(super) names: Names,
    pub(super) model: Arc<DataModel>,
    pub(super) consistent: bool,
    pub(super) retry: Retry,
    pub(super) billing: Option<Billing>,
    pub(super) endpoint: Option<String>,
    pub(super) region: String,
}

/// An SDK client as the scenario configures it: region, endpoint, rustls
/// with ring, connect timeout, SDK retries off. Returns it with its region.
pub async fn sdk_client(c: &DynamodbConfig) -> Result<(Client, String), String> {
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    use aws_config::{BehaviorVersion, Region};
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let endpoint = c.endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let http = aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        // benchplan retries itself, so that every retry is counted.
        .retry_config(RetryConfig::disabled())
        // A stalled call fails (and is retried) instead of hanging a setup step.
        .timeout_config(
            TimeoutConfig::builder().connect_timeout(CONNECT_TIMEOUT).operation_attempt_timeout(ATTEMPT_TIMEOUT).build(),
        );
    if let Some(r) = &c.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(e) = endpoint {
        loader = loader.endpoint_url(e);
        let local = crate::net::loopback_endpoint(e);
        if local && c.region.is_none() && std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none() {
            loader = loader.region(Region::new("us-east-1"));
        }
        // A local server takes any credentials; do not go looking for real ones.
        if local && std::env::var_os("AWS_ACCESS_KEY_ID").is_none() && std::env::var_os("AWS_PROFILE").is_none() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "benchplan-local",
                "benchplan-local",
                None,
                None,
                "benchplan (loopback endpoint)",
            ));
        }
    }
    let sdk = loader.load().await;
    let region = sdk.region().map(|r| r.to_string()).ok_or("no AWS region: set `region:` in the scenario, or AWS_REGION")?;
    Ok((Client::new(&sdk), region))
}

impl DynamoBackend {
    pub async fn connect(c: &DynamodbConfig, ctx: &Ctx<'_>) -> Result<Self, BackendError> {
        let endpoint = c.endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_string);
        let (client, region) = sdk_client(c).await.map_err(|e| BackendError(format!("{}: {e}", ctx.name)))?;
        let b = DynamoBackend {
            client,
            names: Names::new(c, ctx.model),
            model: Arc::new(ctx.model.clone()),
            consistent: c.consistent_read.unwrap_or(false),
            retry: Retry::configured(c.max_attempts, c.backoff, c.max_backoff),
            billing: c.billing.clone(),
            endpoint,
            region,
        };
        // A first call: an unreachable endpoint or rejected credentials fail here, at once.
        let where_ = b.endpoint.clone().unwrap_or_else(|| format!("the {} region endpoint", b.region));
        match b.client.list_tables().limit(1).send().await {
            Ok(_) => Ok(b),
            Err(e) if e.code() == Some("AccessDeniedException") => Ok(b),
            Err(e) => {
                let f = classify(&e);
                Err(BackendError(format!("{}: cannot use DynamoDB at {where_}: {}", ctx.name, f.message)))
            }
        }
    }

    pub(super) fn codec(&self) -> Codec<'_> {
        Codec { model: &self.model, names: &self.names }
    }

    /// Runs `call` with up to `max_attempts` attempts; records retries in `usage`.
    pub(super) async fn call<T, E, F, Fut>(&self, usage: &mut Usage, call: F) -> Result<T, OpError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.call_n(usage, self.retry.max_attempts, call).await
    }

    /// Runs `call` with up to `attempts` attempts.
    pub(super) async fn call_n<T, E, F, Fut>(&self, usage: &mut Usage, attempts: u32, call: F) -> Result<T, OpError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        with_retries(&self.retry, usage, attempts, call, classify).await
    }
}
