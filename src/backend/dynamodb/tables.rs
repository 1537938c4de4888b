//! The tables themselves: create (and wait until ACTIVE), delete, load,
//! their size, and keys sampled from an existing table.

use super::calls::BATCH_WRITE_MAX;
use super::client::DynamoBackend;
use super::codec::{scalar_type, Item};
use super::errors::classify;
use crate::backend::service::load_in_calls;
use crate::backend::{BackendError, Loaded};
use crate::dataset::DataModel;
use crate::scenario::model::{Billing, CreateStep, LoadStep};
use crate::stats::Usage;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ProvisionedThroughput, ScalarAttributeType, TableStatus,
};
use indicatif::ProgressBar;
use std::time::{Duration, Instant};

const DEFAULT_LOAD_WORKERS: u32 = 8;
/// A load retries unprocessed items for this many times `max_attempts` rounds.
const LOAD_ROUNDS_FACTOR: u32 = 10;
/// Creating or deleting a table: how long to wait for it.
const TABLE_WAIT: Duration = Duration::from_secs(600);

impl DynamoBackend {
    /// Creates every table, anew unless `replace: false` keeps an existing one,
    /// and waits until each is ACTIVE.
    pub(super) async fn create_tables(&self, model: &DataModel, step: &CreateStep, bar: &ProgressBar) -> Result<(), BackendError> {
        let replace = step.replace.unwrap_or(true);
        let physical = self.names.physical();
        bar.set_length(physical.len() as u64);
        for name in physical {
            let exists = self.describe_status(&name).await?.is_some();
            if exists && !replace {
                self.wait_for(&name, false).await?;
                bar.inc(1);
                continue;
            }
            if exists {
                self.delete_table(&name).await?;
            }
            let (key_type, key_attr) = match self.names.tables.iter().position(|n| *n == name) {
                Some(i) if !self.names.single() => {
                    let t = &model.tables[i];
                    (scalar_type(model, t, &self.names), t.key_column.clone())
                }
                _ => (ScalarAttributeType::S, "pk".to_string()),
            };
            self.create_table(&name, key_type, &key_attr).await?;
            bar.inc(1);
        }
        Ok(())
    }

    /// Loads every table in BatchWriteItem calls, `workers` in flight.
    pub(super) async fn load_tables(&self, model: &DataModel, step: &LoadStep, bar: &ProgressBar) -> Result<Loaded, BackendError> {
        let per_call = (step.batch.unwrap_or(BATCH_WRITE_MAX as u32) as usize).clamp(1, BATCH_WRITE_MAX) as u64;
        let workers = step.workers.unwrap_or(DEFAULT_LOAD_WORKERS);
        let rounds = self.retry.max_attempts.saturating_mul(LOAD_ROUNDS_FACTOR);
        let codec = self.codec();
        load_in_calls(model, per_call, workers, bar, |t, first, last| {
            let items: Vec<(String, Item)> = (first..last).map(|i| (self.names.tables[t].clone(), codec.item(t, i, 0))).collect();
            async move {
                let mut usage = Usage::default();
                let n = self
                    .batch_write(&mut usage, items, rounds)
                    .await
                    .map_err(|e| format!("BatchWriteItem into {} (rows {first}..{last}): {}", self.names.tables[t], e.message))?;
                Ok((n, usage))
            }
        })
        .await
    }

    /// Deletes every table and waits until each is gone.
    pub(super) async fn delete_tables(&self, bar: &ProgressBar) -> Result<(), BackendError> {
        let physical = self.names.physical();
        bar.set_length(physical.len() as u64);
        for name in physical {
            self.delete_table(&name).await?;
            bar.inc(1);
        }
        Ok(())
    }

    /// The tables' size as DescribeTable reports it, if it does.
    pub(super) async fn tables_bytes(&self) -> Option<u64> {
        // DescribeTable's TableSizeBytes (DynamoDB refreshes it about every six hours).
        let mut total = 0u64;
        for t in self.names.physical() {
            let out = self.client.describe_table().table_name(&t).send().await.ok()?;
            total += u64::try_from(out.table().and_then(|d| d.table_size_bytes()).unwrap_or(0)).unwrap_or(0);
        }
        // Not refreshed yet (or dynalite, which never fills it in): unknown, not empty.
        (total > 0).then_some(total)
    }

    /// Up to `n` keys of an existing table, by Scan.
    pub(super) async fn scan_keys(&self, table: &str, column: &str, n: u64) -> Result<Vec<String>, BackendError> {
        let t = self.model.table_index(table);
        let physical = t.map(|i| self.names.tables[i].clone()).unwrap_or_else(|| table.to_string());
        let mut keys = Vec::new();
        let mut start: Option<Item> = None;
        while (keys.len() as u64) < n {
            let mut scan = self
                .client
                .scan()
                .table_name(&physical)
                .projection_expression("#k")
                .expression_attribute_names("#k", column)
                .set_exclusive_start_key(start.take())
                .limit((n - keys.len() as u64).min(1000) as i32);
            if self.names.single() && t.is_some() {
                scan = scan.filter_expression("sk = :t").expression_attribute_values(":t", AttributeValue::S(table.to_string()));
            }
            let out = scan.send().await.map_err(|e| BackendError(format!("sampling {physical}: {}", classify(&e).message)))?;
            for item in out.items() {
                match item.get(column) {
                    Some(AttributeValue::S(s)) => keys.push(s.clone()),
                    Some(AttributeValue::N(s)) => keys.push(s.clone()),
                    _ => {}
                }
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        keys.truncate(n as usize);
        Ok(keys)
    }

    async fn describe_status(&self, table: &str) -> Result<Option<TableStatus>, BackendError> {
        match self.client.describe_table().table_name(table).send().await {
            Ok(out) => Ok(out.table().and_then(|t| t.table_status()).cloned()),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(BackendError(format!("DescribeTable {table}: {}", classify(&e).message))),
        }
    }

    /// Waits until `table` is ACTIVE (`gone` false) or no longer exists (`gone` true).
    async fn wait_for(&self, table: &str, gone: bool) -> Result<(), BackendError> {
        let t0 = Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            let st = self.describe_status(table).await?;
            let done = if gone { st.is_none() } else { st == Some(TableStatus::Active) };
            if done {
                return Ok(());
            }
            if t0.elapsed() > TABLE_WAIT {
                let what = if gone { "deleted" } else { "ACTIVE" };
                return Err(BackendError(format!("table {table} is not {what} after {}", humantime::format_duration(TABLE_WAIT))));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    async fn delete_table(&self, table: &str) -> Result<(), BackendError> {
        match self.client.delete_table().table_name(table).send().await {
            Ok(_) => self.wait_for(table, true).await,
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(()),
            Err(e) => Err(BackendError(format!("DeleteTable {table}: {}", classify(&e).message))),
        }
    }

    async fn create_table(&self, table: &str, key_type: ScalarAttributeType, key_attr: &str) -> Result<(), BackendError> {
        let err = |e: aws_sdk_dynamodb::error::BuildError| BackendError(format!("CreateTable {table}: {e}"));
        let mut defs = vec![AttributeDefinition::builder().attribute_name(key_attr).attribute_type(key_type).build().map_err(err)?];
        let mut schema = vec![KeySchemaElement::builder().attribute_name(key_attr).key_type(KeyType::Hash).build().map_err(err)?];
        if self.names.single() {
            defs.push(AttributeDefinition::builder().attribute_name("sk").attribute_type(ScalarAttributeType::S).build().map_err(err)?);
            schema.push(KeySchemaElement::builder().attribute_name("sk").key_type(KeyType::Range).build().map_err(err)?);
        }
        let mut call = self.client.create_table().table_name(table).set_attribute_definitions(Some(defs)).set_key_schema(Some(schema));
        call = match &self.billing {
            Some(Billing::Provisioned { provisioned }) => call.billing_mode(BillingMode::Provisioned).provisioned_throughput(
                ProvisionedThroughput::builder()
                    .read_capacity_units(provisioned.rcu as i64)
                    .write_capacity_units(provisioned.wcu as i64)
                    .build()
                    .map_err(err)?,
            ),
            _ => call.billing_mode(BillingMode::PayPerRequest),
        };
        call.send().await.map_err(|e| BackendError(format!("CreateTable {table}: {}", classify(&e).message)))?;
        self.wait_for(table, false).await
    }
}
