//! One call each: a point read, a write (create, upsert, replace), a
//! partition-scoped query; each with benchplan's counted retries and its
//! request charge added to the request's usage.

use super::client::CosmosBackend;
use super::errors::item_not_found;
use super::query_scan::PK_PARAM;
use super::statements::entity_query;
use crate::scenario::model::WriteMode;
use crate::stats::{ErrorKind, OpError, Usage};
use azure_data_cosmos::diagnostics::DiagnosticsContext;
use azure_data_cosmos::{FeedScope, PartitionKey, Query};
use futures_util::StreamExt;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};

/// What one SDK operation cost: the charge of every attempt it made (the
/// driver retries some failures itself: 410, 449, 503, broken connections)
/// and how many attempts it made beyond its first.
pub(super) fn op_usage(d: &DiagnosticsContext) -> (f64, u64) {
    (f64::from(d.total_request_charge()), d.request_count().saturating_sub(1) as u64)
}

/// Adds one SDK operation's charge and inner retries to `usage`.
fn add_op(usage: &mut Usage, d: &DiagnosticsContext) {
    let (ru, retries) = op_usage(d);
    usage.request_units += ru;
    usage.retries += retries;
}

impl CosmosBackend {
    /// A point read; 1 row when the item exists (a 404 is no row, not an error).
    pub(super) async fn read_item(&self, usage: &mut Usage, t: usize, pk: PartitionKey, id: &str) -> Result<u32, OpError> {
        let c = self.container(t).await?;
        let r = self.call(usage, self.retry.max_attempts, || c.read_item(pk.clone(), id, None)).await;
        match r {
            Ok(resp) => {
                add_op(usage, &resp.diagnostics());
                Ok(1)
            }
            Err(e) if item_not_found(&e) => {
                // with_retries added the 404's charge already.
                *usage = e.usage;
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }

    /// create (insert), upsert or replace (update) of one item.
    pub(super) async fn write_item(
        &self,
        usage: &mut Usage,
        t: usize,
        (pk, id): (PartitionKey, &str),
        item: &Value,
        mode: WriteMode,
        attempts: u32,
    ) -> Result<u32, OpError> {
        let c = self.container(t).await?;
        let resp = self
            .call(usage, attempts, || {
                let pk = pk.clone();
                async move {
                    match mode {
                        WriteMode::Insert => c.create_item(pk, id, item, None).await,
                        // An upsert replaces the whole item, as REPLACE INTO replaces the row.
                        WriteMode::Upsert | WriteMode::Replace => c.upsert_item(pk, id, item, None).await,
                        WriteMode::Update => c.replace_item(pk, id, item, None).await,
                    }
                }
            })
            .await?;
        add_op(usage, &resp.diagnostics());
        Ok(1)
    }

    /// A partition-scoped query: every page's charge recorded; returns the items.
    pub(super) async fn query(&self, usage: &mut Usage, t: usize, pk: PartitionKey, q: Query) -> Result<Vec<Value>, OpError> {
        let c = self.container(t).await?;
        let attempts = self.retry.max_attempts;
        // The charges of the pages that arrived, in every attempt (f64 bits;
        // one request's attempts run one after another). A page that fails
        // (429) restarts the query: pages are small here.
        let pages_ru = AtomicU64::new(0f64.to_bits());
        let inner = AtomicU64::new(0);
        let add = |(ru, retries): (f64, u64)| {
            pages_ru.store((f64::from_bits(pages_ru.load(Ordering::Relaxed)) + ru).to_bits(), Ordering::Relaxed);
            inner.fetch_add(retries, Ordering::Relaxed);
        };
        let r = self
            .call(usage, attempts, || {
                let (q, pk, add) = (q.clone(), pk.clone(), &add);
                async move {
                    let mut pages = c.query_items::<Value>(q, FeedScope::partition(pk), None).await?.into_pages();
                    let mut items = Vec::new();
                    while let Some(page) = pages.next().await {
                        let page = page?;
                        add(op_usage(&page.diagnostics()));
                        items.extend(page.into_items());
                    }
                    Ok(items)
                }
            })
            .await;
        usage.request_units += f64::from_bits(pages_ru.load(Ordering::Relaxed));
        usage.retries += inner.load(Ordering::Relaxed);
        r.map_err(|mut e| {
            e.usage = *usage;
            e
        })
    }

    /// single_table: the requested tables of one entity key, in one query.
    pub(super) async fn query_entity(&self, usage: &mut Usage, e: usize, idx: u64, tables: &[usize]) -> Result<u32, OpError> {
        let codec = self.codec();
        let mut q = Query::from(entity_query(tables.len()))
            .with_parameter(PK_PARAM, codec.pk_json(e, idx))
            .map_err(|e| OpError::new(ErrorKind::Query, e.to_string()))?;
        for (i, &t) in tables.iter().enumerate() {
            q = q
                .with_parameter(format!("@bp_t{i}"), &self.model.tables[t].name)
                .map_err(|e| OpError::new(ErrorKind::Query, e.to_string()))?;
        }
        Ok(self.query(usage, tables[0], codec.partition_key(e, idx), q).await?.len() as u32)
    }
}
