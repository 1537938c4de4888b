//! One request of each prepared operation: which calls it makes, one after
//! another or at once, and how their rows and usage are summed.

use super::calls::{Extras, BATCH_WRITE_MAX, NONE};
use super::client::DynamoBackend;
use super::codec::{render_map, Item};
use super::statements::{Call, Statement};
use crate::backend::service::{gather, gather_legs};
use crate::dataset::DataModel;
use crate::scenario::model::WriteMode;
use crate::stats::{Legs, OpError, Usage};
use crate::workload::Request;
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::join_all;
use std::collections::HashMap;
use std::time::Instant;

/// The rows a request touches: `k` keys of each table's entity, table by table.
fn request_rows<'a>(model: &'a DataModel, tables: &'a [usize], k: usize, req: &'a Request) -> impl Iterator<Item = (usize, u64)> + 'a {
    tables.iter().flat_map(move |&t| {
        let e = model.tables[t].entity;
        (0..k).map(move |j| (t, req.key(e, j)))
    })
}

impl DynamoBackend {
    /// GetItem per table and key, one after another; each call is a leg.
    pub(super) async fn get_serial(
        &self,
        usage: &mut Usage,
        legs: &mut Legs,
        tables: &[usize],
        k: usize,
        req: &Request,
    ) -> Result<u32, OpError> {
        let codec = self.codec();
        let mut rows = 0;
        for &t in tables {
            let e = self.model.tables[t].entity;
            for j in 0..k {
                let t0 = Instant::now();
                rows += self.get_item(usage, &self.names.tables[t], codec.key(t, req.key(e, j)), self.consistent, &NONE).await?;
                legs.leg(t, e, t0.elapsed().as_nanos() as u64, false);
            }
        }
        Ok(rows)
    }

    /// GetItem per table and key, all at once; each call is a leg.
    pub(super) async fn get_parallel(
        &self,
        usage: &mut Usage,
        legs: &mut Legs,
        tables: &[usize],
        k: usize,
        req: &Request,
    ) -> Result<u32, OpError> {
        let codec = self.codec();
        let start = Instant::now();
        let calls = tables.iter().flat_map(|&t| (0..k).map(move |j| (t, j))).map(|(t, j)| {
            let key = codec.key(t, req.key(self.model.tables[t].entity, j));
            async move {
                let mut u = Usage::default();
                let r = self.get_item(&mut u, &self.names.tables[t], key, self.consistent, &NONE).await;
                (r.map(|n| (n, t, start.elapsed().as_nanos() as u64)), u)
            }
        });
        gather_legs(usage, legs, &self.model, join_all(calls).await)
    }

    /// BatchGetItem of every table's distinct keys.
    pub(super) async fn batch_get_tables(&self, usage: &mut Usage, tables: &[usize], k: usize, req: &Request) -> Result<u32, OpError> {
        let codec = self.codec();
        let mut keys = Vec::with_capacity(tables.len() * k);
        let mut idx: Vec<u64> = Vec::with_capacity(k);
        for &t in tables {
            let e = self.model.tables[t].entity;
            // BatchGetItem rejects a key asked twice: each distinct key once.
            idx.clear();
            idx.extend((0..k).map(|j| req.key(e, j)));
            if k > 1 {
                idx.sort_unstable();
                idx.dedup();
            }
            for &i in &idx {
                keys.push((self.names.tables[t].clone(), codec.key(t, i)));
            }
        }
        self.batch_get(usage, keys, self.consistent).await
    }

    /// single_table: one Query per entity key, all at once.
    pub(super) async fn query_groups(
        &self,
        usage: &mut Usage,
        groups: &[(usize, Vec<usize>)],
        k: usize,
        req: &Request,
    ) -> Result<u32, OpError> {
        let codec = self.codec();
        let calls = groups.iter().flat_map(|(e, ts)| (0..k).map(move |j| (*e, ts, j))).map(|(e, ts, j)| {
            let key = codec.key_value(e, req.key(e, j));
            async move {
                let mut u = Usage::default();
                let r = self.query_entity(&mut u, key, ts).await;
                (r, u)
            }
        });
        gather(usage, join_all(calls).await)
    }

    /// A write: UpdateItem per row at once, PutItem for one row, else BatchWriteItem.
    pub(super) async fn write_rows(
        &self,
        usage: &mut Usage,
        tables: &[usize],
        k: usize,
        mode: WriteMode,
        req: &Request,
    ) -> Result<u32, OpError> {
        match (mode, tables.len() * k) {
            (WriteMode::Update, _) => self.update_rows(usage, tables, k, req).await,
            (m, 1) => self.put_row(usage, tables[0], m == WriteMode::Insert, req).await,
            _ => self.batch_write_rows(usage, tables, k, req).await,
        }
    }

    /// UpdateItem per row, all at once.
    async fn update_rows(&self, usage: &mut Usage, tables: &[usize], k: usize, req: &Request) -> Result<u32, OpError> {
        let calls = request_rows(&self.model, tables, k, req).map(|(t, idx)| async move {
            let mut u = Usage::default();
            let r = self.update_features(&mut u, t, idx, req.version).await;
            (r, u)
        });
        gather(usage, join_all(calls).await)
    }

    /// PutItem of the request's one row of table `t` (`insert`: if no item has its key).
    async fn put_row(&self, usage: &mut Usage, t: usize, insert: bool, req: &Request) -> Result<u32, OpError> {
        let codec = self.codec();
        let idx = req.key(self.model.tables[t].entity, 0);
        let pk = codec.pk_name(&self.model.tables[t]);
        let x = Extras {
            condition: insert.then(|| "attribute_not_exists(#pk)".to_string()),
            names: insert.then(|| HashMap::from([("#pk".to_string(), pk.to_string())])),
            ..Extras::default()
        };
        self.put_item(usage, &self.names.tables[t], codec.item(t, idx, req.version), &x).await
    }

    /// BatchWriteItem of every row, 25 a call, calls at once.
    async fn batch_write_rows(&self, usage: &mut Usage, tables: &[usize], k: usize, req: &Request) -> Result<u32, OpError> {
        let codec = self.codec();
        let items: Vec<(String, Item)> =
            request_rows(&self.model, tables, k, req).map(|(t, idx)| (self.names.tables[t].clone(), codec.item(t, idx, req.version))).collect();
        let chunks: Vec<Vec<(String, Item)>> = items.chunks(BATCH_WRITE_MAX).map(<[_]>::to_vec).collect();
        let calls = chunks.into_iter().map(|c| async move {
            let mut u = Usage::default();
            let r = self.batch_write(&mut u, c, self.retry.max_attempts).await;
            (r, u)
        });
        gather(usage, join_all(calls).await)
    }

    /// A custom statement's call, its values rendered from the request's keys.
    pub(super) async fn run_statement(&self, usage: &mut Usage, s: &Statement, req: &Request) -> Result<u32, OpError> {
        let codec = self.codec();
        let values = (!s.values.is_empty()).then(|| render_map(&s.values, &codec, req));
        let names: Option<HashMap<String, String>> = (!s.names.is_empty()).then(|| s.names.iter().cloned().collect());
        let condition = s.condition.clone();
        let consistent = s.consistent.unwrap_or(self.consistent);
        let with_sk = |mut m: Item| {
            if self.names.single() {
                m.entry("sk".to_string()).or_insert_with(|| AttributeValue::S(self.model.tables[s.dataset_table].name.clone()));
            }
            m
        };
        let x = Extras { condition, names, values, projection: s.projection.clone() };
        match &s.call {
            Call::GetItem { key } => self.get_item(usage, &s.table, with_sk(render_map(key, &codec, req)), consistent, &x).await,
            Call::Query { key_condition, filter, limit } => {
                self.query_items(usage, &s.table, (key_condition, filter, *limit), consistent, &x).await
            }
            Call::PutItem { item } => self.put_item(usage, &s.table, with_sk(render_map(item, &codec, req)), &x).await,
            Call::UpdateItem { key, update } => self.update_item(usage, &s.table, with_sk(render_map(key, &codec, req)), update, &x).await,
            Call::BatchGetItem { keys } => {
                let mut unique: Vec<(String, Item)> = Vec::with_capacity(keys.len());
                for k in keys {
                    let key = with_sk(render_map(k, &codec, req));
                    // BatchGetItem rejects a key asked twice.
                    if !unique.iter().any(|(_, u)| *u == key) {
                        unique.push((s.table.clone(), key));
                    }
                }
                self.batch_get(usage, unique, consistent).await
            }
        }
    }
}
