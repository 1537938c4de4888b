//! One request of each prepared operation: which calls it makes, one after
//! another or at once, and how their rows and usage are summed.

use super::client::CosmosBackend;
use super::codec::pk_of;
use super::query_scan::PK_PARAM;
use super::statements::{render_id, Call, Statement};
use crate::backend::service::{gather, gather_legs, render_entries};
use crate::scenario::model::WriteMode;
use crate::stats::{ErrorKind, Legs, OpError, Usage};
use crate::workload::Request;
use azure_data_cosmos::Query;
use futures_util::future::join_all;
use serde_json::{Map, Value};
use std::time::Instant;

impl CosmosBackend {
    /// A point read per table and key, one after another; each read is a leg.
    pub(super) async fn read_serial(
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
                let idx = req.key(e, j);
                let t0 = Instant::now();
                rows += self.read_item(usage, t, codec.partition_key(e, idx), &codec.id(t, idx)).await?;
                legs.leg(t, e, t0.elapsed().as_nanos() as u64, false);
            }
        }
        Ok(rows)
    }

    /// A point read per table and key, all at once; each read is a leg.
    pub(super) async fn read_parallel(
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
            let e = self.model.tables[t].entity;
            let idx = req.key(e, j);
            let (pk, id) = (codec.partition_key(e, idx), codec.id(t, idx));
            async move {
                let mut u = Usage::default();
                let r = self.read_item(&mut u, t, pk, &id).await;
                (r.map(|n| (n, t, start.elapsed().as_nanos() as u64)), u)
            }
        });
        gather_legs(usage, legs, &self.model, join_all(calls).await)
    }

    /// single_table: one partition query per entity key, all at once.
    pub(super) async fn query_groups(
        &self,
        usage: &mut Usage,
        groups: &[(usize, Vec<usize>)],
        k: usize,
        req: &Request,
    ) -> Result<u32, OpError> {
        let calls = groups.iter().flat_map(|(e, ts)| (0..k).map(move |j| (*e, ts, j))).map(|(e, ts, j)| async move {
            let mut u = Usage::default();
            let r = self.query_entity(&mut u, e, req.key(e, j), ts).await;
            (r, u)
        });
        gather(usage, join_all(calls).await)
    }

    /// create (insert), upsert or replace (update) per table and key, all at once.
    pub(super) async fn write_rows(
        &self,
        usage: &mut Usage,
        tables: &[usize],
        k: usize,
        mode: WriteMode,
        req: &Request,
    ) -> Result<u32, OpError> {
        let codec = self.codec();
        let calls = tables.iter().flat_map(|&t| (0..k).map(move |j| (t, j))).map(|(t, j)| {
            let e = self.model.tables[t].entity;
            let idx = req.key(e, j);
            let (pk, id, item) = (codec.partition_key(e, idx), codec.id(t, idx), codec.item(t, idx, req.version));
            async move {
                let mut u = Usage::default();
                let r = self.write_item(&mut u, t, (pk, &id), &item, mode, self.retry.max_attempts).await;
                (r, u)
            }
        });
        gather(usage, join_all(calls).await)
    }

    /// A custom statement's call: partition key, id, item and parameters
    /// rendered from the request's keys.
    pub(super) async fn run_statement(&self, usage: &mut Usage, s: &Statement, req: &Request) -> Result<u32, OpError> {
        let codec = self.codec();
        let pk_json = s.partition_key.render(&codec, req);
        let pk = pk_of(&pk_json).map_err(|e| OpError::new(ErrorKind::Query, e))?;
        match &s.call {
            Call::ReadItem { id } => self.read_item(usage, s.table, pk, &render_id(id, &codec, req)).await,
            Call::Write { id, item, mode } => {
                let id = render_id(id, &codec, req);
                let mut m = Map::with_capacity(item.len() + 2);
                m.insert("id".into(), Value::String(id.clone()));
                m.insert("pk".into(), pk_json);
                m.extend(render_entries(item, &codec, req));
                self.write_item(usage, s.table, (pk, &id), &Value::Object(m), *mode, self.retry.max_attempts).await
            }
            Call::Query { text, params } => {
                let mut q = Query::from(text.as_str())
                    .with_parameter(PK_PARAM, &pk_json)
                    .map_err(|e| OpError::new(ErrorKind::Query, e.to_string()))?;
                for (k, v) in params {
                    q = q.with_parameter(k.as_str(), v.render(&codec, req)).map_err(|e| OpError::new(ErrorKind::Query, e.to_string()))?;
                }
                Ok(self.query(usage, s.table, pk, q).await?.len() as u32)
            }
        }
    }

}
