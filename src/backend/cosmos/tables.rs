//! The database and containers themselves: create, delete, load, and
//! their size.

use super::client::CosmosBackend;
use super::errors::classify;
use crate::backend::service::load_in_calls;
use crate::backend::{BackendError, Loaded};
use crate::dataset::DataModel;
use crate::scenario::model::{CreateStep, LoadStep, WriteMode};
use crate::stats::Usage;
use azure_data_cosmos::models::{ContainerProperties, PartitionKeyDefinition};
use azure_data_cosmos::options::{CreateContainerOptions, CreateDatabaseOptions, OperationOptions, OperationOptionsBuilder, ReadContainerOptions};
use indicatif::ProgressBar;

const DEFAULT_LOAD_WORKERS: u32 = 16;
/// A load retries a throttled upsert for this many times `max_attempts` attempts.
const LOAD_ATTEMPTS_FACTOR: u32 = 10;

impl CosmosBackend {
    /// Creates the database if missing and every container, anew unless
    /// `replace: false` keeps an existing one.
    pub(super) async fn create_containers(&self, step: &CreateStep, bar: &ProgressBar) -> Result<(), BackendError> {
        let replace = step.replace.unwrap_or(true);
        bar.set_length(self.names.physical.len() as u64 + 1);
        self.create_database().await?;
        bar.inc(1);
        for name in &self.names.physical {
            if replace {
                self.delete_container(name).await?;
            }
            let props = ContainerProperties::new(name.clone(), PartitionKeyDefinition::new(vec!["/pk".into()]));
            match self.db.create_container(props, Some(CreateContainerOptions::default())).await {
                Ok(_) => {}
                Err(e) if !replace && e.status().is_conflict() => {}
                Err(e) => return Err(BackendError(format!("create container {name}: {}", classify(&e).message))),
            }
            bar.inc(1);
        }
        Ok(())
    }

    /// Loads every container's rows.
    pub(super) async fn load_containers(&self, model: &DataModel, step: &LoadStep, bar: &ProgressBar) -> Result<Loaded, BackendError> {
        // One upsert a call: `workers` rows in flight across all tables.
        let workers = step.workers.unwrap_or(DEFAULT_LOAD_WORKERS);
        let attempts = self.retry.max_attempts.saturating_mul(LOAD_ATTEMPTS_FACTOR);
        let codec = self.codec();
        load_in_calls(model, 1, workers, bar, |t, idx, _| {
            let item = codec.item(t, idx, 0);
            let pk = codec.partition_key(self.model.tables[t].entity, idx);
            let id = codec.id(t, idx);
            async move {
                let mut usage = Usage::default();
                let n = self
                    .write_item(&mut usage, t, (pk, &id), &item, WriteMode::Upsert, attempts)
                    .await
                    .map_err(|e| format!("upsert into {} (row {idx}): {}", self.names.containers[t], e.message))?;
                Ok((n, usage))
            }
        })
        .await
    }

    /// Deletes every container (the database stays).
    pub(super) async fn delete_containers(&self, bar: &ProgressBar) -> Result<(), BackendError> {
        bar.set_length(self.names.physical.len() as u64);
        for name in &self.names.physical {
            self.delete_container(name).await?;
            bar.inc(1);
        }
        Ok(())
    }

    /// The containers' size (data and index) as the service reports it, if it does.
    pub(super) async fn containers_bytes(&self) -> Option<u64> {
        // A container read with quota info carries `x-ms-resource-usage`:
        // `collectionSize` (data and index) or else `documentsSize`, in KB.
        let headers = std::collections::HashMap::from([("x-ms-documentdb-populatequotainfo".into(), "true".into())]);
        let op: OperationOptions = OperationOptionsBuilder::new().with_custom_headers(headers).build();
        let mut total = 0u64;
        for name in &self.names.physical {
            let c = self.db.container_client(name.as_str(), None).await.ok()?;
            let r = c.read(Some(ReadContainerOptions::default().with_operation_options(op.clone()))).await.ok()?;
            total += resource_usage_kb(r.headers().resource_usage()?)? * 1024;
        }
        Some(total)
    }

    async fn create_database(&self) -> Result<(), BackendError> {
        let mut opts = CreateDatabaseOptions::default();
        if let (Some(t), false) = (self.config.throughput, self.config.serverless == Some(true)) {
            // The SDK has no typed option for database throughput: its REST header.
            let headers = std::collections::HashMap::from([("x-ms-offer-throughput".into(), t.to_string().into())]);
            let op: OperationOptions = OperationOptionsBuilder::new().with_custom_headers(headers).build();
            opts = opts.with_operation_options(op);
        }
        match self.client.create_database(&self.names.database, Some(opts)).await {
            Ok(_) => Ok(()),
            Err(e) if e.status().is_conflict() => Ok(()),
            Err(e) => Err(BackendError(format!("create database {}: {}", self.names.database, classify(&e).message))),
        }
    }

    async fn delete_container(&self, name: &str) -> Result<(), BackendError> {
        let c = match self.db.container_client(name, None).await {
            Ok(c) => c,
            Err(e) if e.status().is_not_found() => return Ok(()),
            Err(e) => return Err(BackendError(format!("container {name}: {}", classify(&e).message))),
        };
        match c.delete(None).await {
            Ok(_) => Ok(()),
            Err(e) if e.status().is_not_found() => Ok(()),
            Err(e) => Err(BackendError(format!("delete container {name}: {}", classify(&e).message))),
        }
    }
}

/// The container's size in KB from an `x-ms-resource-usage` header.
fn resource_usage_kb(header: &str) -> Option<u64> {
    let field = |name: &str| header.split(';').find_map(|kv| kv.trim().strip_prefix(name)?.strip_prefix('=')?.trim().parse::<u64>().ok());
    field("collectionSize").or_else(|| field("documentsSize"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_usage_gives_the_container_size() {
        assert_eq!(resource_usage_kb("documentSize=0;documentsSize=120;documentsCount=7;collectionSize=150"), Some(150));
        assert_eq!(resource_usage_kb("documentsSize=120;documentsCount=7"), Some(120));
        assert_eq!(resource_usage_kb("functions=0"), None);
    }
}
