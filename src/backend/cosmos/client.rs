//! The SDK client as the scenario configures it, the backend that holds it,
//! its container clients, and every call made through benchplan's counted
//! retries.

use super::codec::Codec;
use super::errors::classify;
use super::names::Names;
use crate::backend::service::{with_retries, Retry};
use crate::backend::{BackendError, Ctx};
use crate::dataset::DataModel;
use crate::scenario::model::{Consistency, CosmosConfig};
use crate::stats::{ErrorKind, OpError, Usage};
use azure_data_cosmos::clients::{ContainerClient, DatabaseClient};
use azure_data_cosmos::options::{
    BinaryEncodingOptions, ConnectionPoolOptions, OperationOptionsBuilder, ReadConsistencyStrategy, Region, ServerCertificateValidation,
    ThrottlingRetryOptionsBuilder,
};
use azure_data_cosmos::{AccountEndpoint, AccountReference, CosmosClient, CosmosError, CosmosRuntime, RoutingStrategy};
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The client a scenario configures: rustls with ring, HTTP/1 and text
/// JSON for emulators, the SDK's 429 retries off.
pub async fn client(c: &CosmosConfig) -> Result<CosmosClient, String> {
    // COSMOS_DISABLE_IMDS is set at start-up (lib.rs), before any thread runs.
    // reqwest is built without a provider: use ring, as sqlx and the AWS client do.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let endpoint_text = c.endpoint.trim();
    let endpoint = AccountEndpoint::from_str(endpoint_text).map_err(|e| format!("`endpoint` is not a URL: {e}"))?;
    let local = crate::net::emulator_host(endpoint_text);
    if endpoint_text.starts_with("http://") && !local {
        return Err(format!("plain http:// is only for a local emulator ({}); use https://", crate::net::EMULATOR_HOSTS.join(", ")));
    }
    // Plain HTTP can only be a local emulator: treat it as one.
    let emulator = emulator_mode(c);
    // Set explicitly, whatever AZURE_COSMOS_* variables say: certificates are
    // verified except for an emulator on loopback, HTTP/2 only off for emulators.
    let relax = emulator && local;
    let mut pool = ConnectionPoolOptions::builder().with_is_http2_allowed(!emulator).with_server_certificate_validation(if relax {
        // The SDK relaxes the check only for emulator hosts (loopback).
        ServerCertificateValidation::RequiredUnlessEmulator
    } else {
        ServerCertificateValidation::Required
    });
    if emulator {
        pool = pool.with_gateway_v2_disabled(true);
    }
    let pool = pool.build().map_err(|e| format!("connection options: {e}"))?;
    let runtime = CosmosRuntime::builder().with_connection_pool(pool).build().await.map_err(|e| format!("client runtime: {e}"))?;
    let mut ops = OperationOptionsBuilder::new()
        // benchplan retries 429s itself, so that every one is counted.
        .with_throttling_retry_options(ThrottlingRetryOptionsBuilder::new().with_max_retry_count(0).build());
    if let Some(level) = &c.consistency {
        ops = ops.with_read_consistency_strategy(consistency(*level));
    }
    let mut builder = CosmosClient::builder().with_runtime(runtime).with_default_operation_options(ops.build());
    if emulator {
        builder = builder.with_binary_encoding_options(BinaryEncodingOptions::new().with_enabled(false));
    }
    let routing = RoutingStrategy::PreferredRegions(c.preferred_regions.iter().map(|r| Region::new(r.clone())).collect());
    let account = AccountReference::with_authentication_key(endpoint, c.key.clone());
    builder.build(account, routing).await.map_err(|e| classify(&e).message)
}

/// `emulator: true`, or a plain-HTTP endpoint (only a local emulator speaks it).
pub fn emulator_mode(c: &CosmosConfig) -> bool {
    c.emulator || c.endpoint.trim().starts_with("http://")
}

fn consistency(level: Consistency) -> ReadConsistencyStrategy {
    match level {
        Consistency::Eventual => ReadConsistencyStrategy::Eventual,
        Consistency::Session => ReadConsistencyStrategy::Session,
        Consistency::LatestCommitted => ReadConsistencyStrategy::LatestCommitted,
        Consistency::GlobalStrong => ReadConsistencyStrategy::GlobalStrong,
    }
}

pub struct CosmosBackend {
    pub(super) client: CosmosClient,
    pub(super) db: DatabaseClient,
    pub(super) names: Names,
    pub(super) model: Arc<DataModel>,
    pub(super) retry: Retry,
    pub(super) config: CosmosConfig,
    /// Container clients, resolved on first use. Setup runs `create` before
    /// any data call, so a container is not recreated after its client was
    /// resolved within one run.
    pub(super) containers: Vec<OnceCell<ContainerClient>>,
}

impl CosmosBackend {
    pub async fn connect(c: &CosmosConfig, ctx: &Ctx<'_>) -> Result<Self, BackendError> {
        let client =
            client(c).await.map_err(|e| BackendError(format!("{}: cannot use Cosmos DB at {}: {e}", ctx.name, c.endpoint.trim())))?;
        let names = Names::new(c, ctx.model);
        let db = client.database_client(names.database.as_str());
        let containers = names.physical.iter().map(|_| OnceCell::new()).collect();
        Ok(CosmosBackend {
            client,
            db,
            names,
            model: Arc::new(ctx.model.clone()),
            retry: Retry::configured(c.max_attempts, c.backoff, c.max_backoff),
            config: c.clone(),
            containers,
        })
    }

    pub(super) fn codec(&self) -> Codec<'_> {
        Codec { model: &self.model, names: &self.names }
    }

    /// The container of dataset table `t`.
    pub(super) async fn container(&self, t: usize) -> Result<&ContainerClient, OpError> {
        let slot = self.names.slot[t];
        let name = &self.names.physical[slot];
        self.containers[slot]
            .get_or_try_init(|| async {
                self.db.container_client(name.as_str(), None).await.map_err(|e| {
                    let f = classify(&e);
                    let mut err = OpError::new(f.kind, format!("container {name} in database {}: {}", self.names.database, f.message));
                    // A missing container or database, or a rejected key: no request can succeed.
                    let missing = f.kind == ErrorKind::NotFound && !f.retry;
                    err.fatal = f.fatal || missing;
                    if missing {
                        err.message.push_str(" (does the container exist? run the `create` and `load` setup steps first)");
                    }
                    err
                })
            })
            .await
    }

    pub(super) async fn call<T, F, Fut>(&self, usage: &mut Usage, attempts: u32, call: F) -> Result<T, OpError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CosmosError>>,
    {
        with_retries(&self.retry, usage, attempts, call, classify).await
    }
}
