//! One call each: GetItem, BatchGetItem, Query, PutItem, UpdateItem,
//! BatchWriteItem, each with benchplan's counted retries and its consumed
//! capacity added to the request's usage.

use super::client::DynamoBackend;
use super::codec::{encode_value, Item};
use crate::stats::{ErrorKind, OpError, Usage};
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity, KeysAndAttributes, PutRequest, ReturnConsumedCapacity, WriteRequest};
use futures_util::future::join_all;
use std::collections::{BTreeMap, HashMap};

/// BatchGetItem takes at most 100 keys a call, BatchWriteItem 25 items.
pub const BATCH_GET_MAX: usize = 100;
pub const BATCH_WRITE_MAX: usize = 25;

/// Units in a ConsumedCapacity: the read/write split where the service gives
/// it, else the total counted as read or write by the call's kind.
pub(super) fn add_capacity(u: &mut Usage, cc: &ConsumedCapacity, write: bool) {
    match (cc.read_capacity_units(), cc.write_capacity_units()) {
        (None, None) => {
            let total = cc.capacity_units().unwrap_or(0.0);
            if write {
                u.write_units += total;
            } else {
                u.read_units += total;
            }
        }
        (r, w) => {
            u.read_units += r.unwrap_or(0.0);
            u.write_units += w.unwrap_or(0.0);
        }
    }
}

fn add_all(u: &mut Usage, ccs: &[ConsumedCapacity], write: bool) {
    for cc in ccs {
        add_capacity(u, cc, write);
    }
}

/// The optional parts of a single-item call.
#[derive(Debug, Clone, Default)]
pub(super) struct Extras {
    pub(super) condition: Option<String>,
    pub(super) names: Option<HashMap<String, String>>,
    pub(super) values: Option<Item>,
    pub(super) projection: Option<String>,
}

pub(super) const NONE: Extras = Extras { condition: None, names: None, values: None, projection: None };

impl DynamoBackend {
    /// GetItem; 1 row when the item exists.
    pub(super) async fn get_item(&self, usage: &mut Usage, table: &str, key: Item, consistent: bool, x: &Extras) -> Result<u32, OpError> {
        let out = self
            .call(usage, || {
                self.client
                    .get_item()
                    .table_name(table)
                    .set_key(Some(key.clone()))
                    .consistent_read(consistent)
                    .set_projection_expression(x.projection.clone())
                    .set_expression_attribute_names(x.names.clone())
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await?;
        if let Some(cc) = out.consumed_capacity() {
            add_capacity(usage, cc, false);
        }
        Ok(u32::from(out.item().is_some()))
    }

    /// BatchGetItem of `keys` (table name, key), at most 100 a call, calls at once.
    pub(super) async fn batch_get(&self, usage: &mut Usage, keys: Vec<(String, Item)>, consistent: bool) -> Result<u32, OpError> {
        let chunks: Vec<Vec<(String, Item)>> =
            if keys.len() <= BATCH_GET_MAX { vec![keys] } else { keys.chunks(BATCH_GET_MAX).map(<[_]>::to_vec).collect() };
        let results = join_all(chunks.into_iter().map(|chunk| async move {
            let mut u = Usage::default();
            let r = self.batch_get_call(&mut u, chunk, consistent).await;
            (r, u)
        }))
        .await;
        let mut rows = 0;
        let mut first_err = None;
        for (r, u) in results {
            match r {
                Ok(n) => {
                    usage.add(&u);
                    rows += n;
                }
                Err(e) => {
                    usage.add(&e.usage);
                    first_err.get_or_insert(e);
                }
            }
        }
        match first_err {
            Some(mut e) => {
                e.usage = *usage;
                Err(e)
            }
            None => Ok(rows),
        }
    }

    async fn batch_get_call(&self, usage: &mut Usage, keys: Vec<(String, Item)>, consistent: bool) -> Result<u32, OpError> {
        let mut request: HashMap<String, KeysAndAttributes> = HashMap::new();
        let mut by_table: BTreeMap<String, Vec<Item>> = BTreeMap::new();
        for (t, k) in keys {
            by_table.entry(t).or_default().push(k);
        }
        for (t, ks) in by_table {
            let ka = KeysAndAttributes::builder()
                .set_keys(Some(ks))
                .consistent_read(consistent)
                .build()
                .map_err(|e| OpError::new(ErrorKind::Other, e.to_string()))?;
            request.insert(t, ka);
        }
        let mut rows = 0u32;
        let mut round = 0u32;
        loop {
            let req = std::mem::take(&mut request);
            let out = self
                .call(usage, || {
                    self.client
                        .batch_get_item()
                        .set_request_items(Some(req.clone()))
                        .return_consumed_capacity(ReturnConsumedCapacity::Total)
                        .send()
                })
                .await?;
            add_all(usage, out.consumed_capacity(), false);
            rows += out.responses().map(|r| r.values().map(Vec::len).sum::<usize>()).unwrap_or(0) as u32;
            match out.unprocessed_keys() {
                Some(u) if u.values().any(|ka| !ka.keys().is_empty()) => {
                    let left: usize = u.values().map(|ka| ka.keys().len()).sum();
                    request = u.clone();
                    self.unprocessed_round(usage, &mut round, self.retry.max_attempts, left, "BatchGetItem: keys").await?;
                }
                _ => return Ok(rows),
            }
        }
    }

    /// After a batch call left `left` keys or items unprocessed: counts the
    /// round as a (throttled) retry and waits, or fails after `limit` rounds.
    async fn unprocessed_round(&self, usage: &mut Usage, round: &mut u32, limit: u32, left: usize, what: &str) -> Result<(), OpError> {
        *round += 1;
        usage.throttled += 1;
        if *round >= limit {
            let msg = format!("{what}: {left} still unprocessed after {round} attempts");
            return Err(OpError::new(ErrorKind::Throttled, msg).with_usage(*usage));
        }
        usage.retries += 1;
        tokio::time::sleep(self.retry.delay(*round)).await;
        Ok(())
    }

    /// BatchWriteItem of `items`, 25 a call; throttled calls and unprocessed
    /// items retried for up to `rounds` attempts (more during a load).
    pub(super) async fn batch_write(&self, usage: &mut Usage, items: Vec<(String, Item)>, rounds: u32) -> Result<u32, OpError> {
        let n = items.len() as u32;
        let mut request: HashMap<String, Vec<WriteRequest>> = HashMap::new();
        for (t, item) in items {
            let put = PutRequest::builder().set_item(Some(item)).build().map_err(|e| OpError::new(ErrorKind::Other, e.to_string()))?;
            request.entry(t).or_default().push(WriteRequest::builder().put_request(put).build());
        }
        let mut round = 0u32;
        loop {
            let req = std::mem::take(&mut request);
            let out = self
                .call_n(usage, rounds, || {
                    self.client
                        .batch_write_item()
                        .set_request_items(Some(req.clone()))
                        .return_consumed_capacity(ReturnConsumedCapacity::Total)
                        .send()
                })
                .await?;
            add_all(usage, out.consumed_capacity(), true);
            match out.unprocessed_items() {
                Some(u) if u.values().any(|v| !v.is_empty()) => {
                    let left: usize = u.values().map(Vec::len).sum();
                    request = u.clone();
                    self.unprocessed_round(usage, &mut round, rounds, left, "BatchWriteItem: items").await?;
                }
                _ => return Ok(n),
            }
        }
    }

    /// All items of one entity key (single_table); counts those of `tables`.
    pub(super) async fn query_entity(&self, usage: &mut Usage, key: AttributeValue, tables: &[usize]) -> Result<u32, OpError> {
        let table = &self.names.tables[tables[0]];
        let mut rows = 0u32;
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .call(usage, || {
                    self.client
                        .query()
                        .table_name(table)
                        .key_condition_expression("pk = :k")
                        .expression_attribute_values(":k", key.clone())
                        .consistent_read(self.consistent)
                        .set_exclusive_start_key(start.clone())
                        .return_consumed_capacity(ReturnConsumedCapacity::Total)
                        .send()
                })
                .await?;
            if let Some(cc) = out.consumed_capacity() {
                add_capacity(usage, cc, false);
            }
            for item in out.items() {
                if let Some(AttributeValue::S(sk)) = item.get("sk") {
                    if tables.iter().any(|t| self.model.tables[*t].name == *sk) {
                        rows += 1;
                    }
                }
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(rows),
            }
        }
    }

    /// PutItem, with an optional condition.
    pub(super) async fn put_item(&self, usage: &mut Usage, table: &str, item: Item, x: &Extras) -> Result<u32, OpError> {
        let out = self
            .call(usage, || {
                self.client
                    .put_item()
                    .table_name(table)
                    .set_item(Some(item.clone()))
                    .set_condition_expression(x.condition.clone())
                    .set_expression_attribute_names(x.names.clone())
                    .set_expression_attribute_values(x.values.clone())
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await?;
        if let Some(cc) = out.consumed_capacity() {
            add_capacity(usage, cc, true);
        }
        Ok(1)
    }

    /// UpdateItem, with an optional condition.
    pub(super) async fn update_item(&self, usage: &mut Usage, table: &str, key: Item, update: &str, x: &Extras) -> Result<u32, OpError> {
        let out = self
            .call(usage, || {
                self.client
                    .update_item()
                    .table_name(table)
                    .set_key(Some(key.clone()))
                    .update_expression(update)
                    .set_condition_expression(x.condition.clone())
                    .set_expression_attribute_names(x.names.clone())
                    .set_expression_attribute_values(x.values.clone())
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await?;
        if let Some(cc) = out.consumed_capacity() {
            add_capacity(usage, cc, true);
        }
        Ok(1)
    }

    /// Sets every feature of row `idx` of table `t` to `version`, if the item exists.
    pub(super) async fn update_features(&self, usage: &mut Usage, t: usize, idx: u64, version: u64) -> Result<u32, OpError> {
        let codec = self.codec();
        let tm = &self.model.tables[t];
        let key = codec.key(t, idx);
        let mut set = String::from("SET ");
        let mut names = HashMap::with_capacity(tm.columns.len() + 1);
        let mut values = HashMap::with_capacity(tm.columns.len());
        for (c, col) in tm.columns.iter().enumerate() {
            if c > 0 {
                set.push_str(", ");
            }
            set.push_str(&format!("#f{c} = :v{c}"));
            names.insert(format!("#f{c}"), col.name.clone());
            values.insert(format!(":v{c}"), encode_value(tm.value(idx, c, version)));
        }
        names.insert("#pk".to_string(), codec.pk_name(tm).to_string());
        let x = Extras { condition: Some("attribute_exists(#pk)".into()), names: Some(names), values: Some(values), projection: None };
        self.update_item(usage, &self.names.tables[t], key, &set, &x).await
    }

    /// A statement's Query: `key_condition`, `filter` and `limit` as written.
    pub(super) async fn query_items(
        &self,
        usage: &mut Usage,
        table: &str,
        (key_condition, filter, limit): (&str, &Option<String>, Option<i32>),
        consistent: bool,
        x: &Extras,
    ) -> Result<u32, OpError> {
        let out = self
            .call(usage, || {
                self.client
                    .query()
                    .table_name(table)
                    .key_condition_expression(key_condition)
                    .set_filter_expression(filter.clone())
                    .set_limit(limit)
                    .consistent_read(consistent)
                    .set_projection_expression(x.projection.clone())
                    .set_expression_attribute_names(x.names.clone())
                    .set_expression_attribute_values(x.values.clone())
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await?;
        if let Some(cc) = out.consumed_capacity() {
            add_capacity(usage, cc, false);
        }
        Ok(out.items().len() as u32)
    }
}
