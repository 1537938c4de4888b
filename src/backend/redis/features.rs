//! Feature rows as hashes: encoding the data model's values as field text
//! and back, reads (serial, parallel, packed) and writes (a pipeline, or
//! MULTI/EXEC).

use super::conn::op_error;
use super::names::Names;
use crate::dataset::{DataModel, FeatureValue};
use crate::scenario::model::{FeatureType, Fetch, Layout, WriteMode};
use crate::stats::{Legs, OpError};
use crate::workload::Request;
use super::conn::Conn;
use redis::Value;
use std::fmt::Write;
use std::time::Instant;

/// A value as a hash field holds it: numbers in decimal (floats in Rust's
/// shortest round-trip form), booleans `1`/`0`, text as is.
pub fn encode(v: &FeatureValue, out: &mut String) {
    out.clear();
    let _ = match v {
        FeatureValue::Float(f) => write!(out, "{f}"),
        FeatureValue::Int(i) => write!(out, "{i}"),
        FeatureValue::Str(s) => out.write_str(s),
        FeatureValue::Bool(b) => out.write_str(if *b { "1" } else { "0" }),
        // Validation keeps vector features off this kind; the text form if one came.
        FeatureValue::Vector(v) => {
            let mut text = Vec::new();
            crate::dataset::write_vector_text(v, &mut text);
            out.write_str(&String::from_utf8_lossy(&text))
        }
    };
}

/// A hash field's text as a value of the feature's type; None when it is not one.
pub fn decode(ty: FeatureType, text: &str) -> Option<FeatureValue> {
    Some(match ty {
        FeatureType::Float => FeatureValue::Float(text.parse().ok()?),
        FeatureType::Int => FeatureValue::Int(text.parse().ok()?),
        FeatureType::String => FeatureValue::Str(text.to_string()),
        FeatureType::Bool => FeatureValue::Bool(match text {
            "1" => true,
            "0" => false,
            _ => return None,
        }),
        FeatureType::Vector | FeatureType::Halfvec => FeatureValue::Vector(
            text.trim_start_matches('[').trim_end_matches(']').split(',').map(|x| x.trim().parse().ok()).collect::<Option<Vec<f32>>>()?,
        ),
    })
}

/// Appends the command reading table `t`'s row of key `idx`: HGETALL of
/// the table's hash, or HMGET of the table's fields of the entity's hash.
fn read_cmd(names: &Names, model: &DataModel, t: usize, idx: u64, cmd: &mut redis::Cmd, key: &mut String) {
    names.row_key(model, t, idx, key);
    match names.layout {
        Layout::TablePerTable => {
            cmd.arg("HGETALL").arg(key.as_bytes());
        }
        Layout::SingleTable => {
            cmd.arg("HMGET").arg(key.as_bytes());
            for f in &names.fields[t] {
                cmd.arg(f.as_str());
            }
        }
    }
}

/// 1 when the reply holds the row (a non-empty hash, or a field that is set).
fn found(reply: &Value) -> u32 {
    let some = match reply {
        Value::Map(m) => !m.is_empty(),
        Value::Array(items) => items.iter().any(|v| !matches!(v, Value::Nil)),
        _ => false,
    };
    u32::from(some)
}

/// Appends the commands writing table `t`'s row of key `idx` at `version`.
#[allow(clippy::too_many_arguments)]
fn write_cmds(
    names: &Names,
    model: &DataModel,
    mode: WriteMode,
    t: usize,
    idx: u64,
    version: u64,
    pipe: &mut redis::Pipeline,
    buf: &mut (String, String),
) {
    let table = &model.tables[t];
    names.row_key(model, t, idx, &mut buf.0);
    if mode == WriteMode::Replace && names.layout == Layout::TablePerTable {
        pipe.cmd("DEL").arg(buf.0.as_bytes()).ignore();
    }
    pipe.cmd("HSET").arg(buf.0.as_bytes());
    for (c, field) in names.fields[t].iter().enumerate() {
        encode(&table.value(idx, c, version), &mut buf.1);
        pipe.arg(field.as_str()).arg(buf.1.as_bytes());
    }
    pipe.ignore();
}

/// What a feature request runs on one connection.
pub struct FeatureRun<'a> {
    pub names: &'a Names,
    pub model: &'a DataModel,
    pub tables: &'a [usize],
    pub k: usize,
}

impl FeatureRun<'_> {
    /// (table, key index) of every row the request touches, tables in turn.
    fn calls<'r>(&'r self, req: &'r Request) -> impl Iterator<Item = (usize, u64)> + 'r {
        let (model, k) = (self.model, self.k);
        self.tables.iter().flat_map(move |&t| (0..k).map(move |j| (t, req.key(model.tables[t].entity, j))))
    }

    /// Cluster mode: one pipeline per entity key (its tables' rows share a
    /// slot through the hash tag), each filled by `add(pipeline, table, key)`.
    fn grouped(&self, req: &Request, atomic: bool, mut add: impl FnMut(&mut redis::Pipeline, usize, u64)) -> Vec<redis::Pipeline> {
        let mut groups: Vec<((usize, u64), redis::Pipeline)> = Vec::new();
        for (t, idx) in self.calls(req) {
            let g = (self.model.tables[t].entity, idx);
            let at = match groups.iter().position(|(k, _)| *k == g) {
                Some(at) => at,
                None => {
                    let mut p = redis::pipe();
                    if atomic {
                        p.atomic();
                    }
                    groups.push((g, p));
                    groups.len() - 1
                }
            };
            add(&mut groups[at].1, t, idx);
        }
        groups.into_iter().map(|(_, p)| p).collect()
    }

    /// Reads every table's rows of the request's keys.
    pub async fn read(
        &self,
        fetch: Fetch,
        conn: &mut Conn,
        pipe: &mut redis::Pipeline,
        key: &mut String,
        legs: &mut Legs,
        req: &Request,
    ) -> Result<u32, OpError> {
        match fetch {
            Fetch::Packed if conn.is_cluster() => {
                let pipes = self.grouped(req, false, |p, t, idx| {
                    let mut cmd = redis::Cmd::new();
                    read_cmd(self.names, self.model, t, idx, &mut cmd, key);
                    p.add_command(cmd);
                });
                Ok(send_all(conn, pipes).await?.iter().flatten().map(found).sum())
            }
            Fetch::Packed => {
                pipe.clear();
                for (t, idx) in self.calls(req) {
                    let mut cmd = redis::Cmd::new();
                    read_cmd(self.names, self.model, t, idx, &mut cmd, key);
                    pipe.add_command(cmd);
                }
                let replies: Vec<Value> = pipe.query_async(conn).await.map_err(op_error)?;
                Ok(replies.iter().map(found).sum())
            }
            Fetch::Serial => {
                let mut rows = 0;
                let mut cmd = redis::Cmd::new();
                for (t, idx) in self.calls(req) {
                    let t0 = Instant::now();
                    cmd.clear();
                    read_cmd(self.names, self.model, t, idx, &mut cmd, key);
                    let reply: Value = cmd.query_async(conn).await.map_err(op_error)?;
                    rows += found(&reply);
                    legs.leg(t, self.model.tables[t].entity, t0.elapsed().as_nanos() as u64, false);
                }
                Ok(rows)
            }
            Fetch::Parallel => {
                let start = Instant::now();
                let calls = self.calls(req).map(|(t, idx)| {
                    let mut cmd = redis::Cmd::new();
                    read_cmd(self.names, self.model, t, idx, &mut cmd, &mut String::new());
                    let mut c = conn.clone();
                    async move {
                        let reply: Result<Value, _> = cmd.query_async(&mut c).await;
                        (reply.map(|r| (found(&r), t, start.elapsed().as_nanos() as u64)).map_err(op_error), crate::stats::Usage::default())
                    }
                });
                let results = futures_util::future::join_all(calls).await;
                crate::backend::service::gather_legs(&mut crate::stats::Usage::default(), legs, self.model, results)
            }
        }
    }

    /// Writes every table's rows of the request's keys in one pipeline
    /// (MULTI/EXEC when `pipe` is atomic): the rows written, and the
    /// pipelines sent (one per entity key in cluster mode).
    pub async fn write(
        &self,
        mode: WriteMode,
        conn: &mut Conn,
        pipe: &mut redis::Pipeline,
        buf: &mut (String, String),
        req: &Request,
    ) -> Result<(u32, u64), OpError> {
        let rows = (self.tables.len() * self.k) as u32;
        if conn.is_cluster() {
            let pipes = self.grouped(req, pipe.is_transaction(), |p, t, idx| write_cmds(self.names, self.model, mode, t, idx, req.version, p, buf));
            let sent = pipes.len() as u64;
            send_all(conn, pipes).await?;
            return Ok((rows, sent));
        }
        pipe.clear();
        for (t, idx) in self.calls(req) {
            write_cmds(self.names, self.model, mode, t, idx, req.version, pipe, buf);
        }
        let r: Result<(), _> = pipe.query_async(conn).await;
        r.map_err(op_error)?;
        Ok((rows, 1))
    }
}

/// Sends pipelines at once (cluster mode: each to its slot's node); their replies in order.
async fn send_all(conn: &Conn, pipes: Vec<redis::Pipeline>) -> Result<Vec<Vec<Value>>, OpError> {
    let calls = pipes.into_iter().map(|p| {
        let mut c = conn.clone();
        async move { p.query_async::<Vec<Value>>(&mut c).await }
    });
    futures_util::future::join_all(calls).await.into_iter().map(|r| r.map_err(op_error)).collect()
}

/// Writes rows `first..last` of table `t` (version 0: the loaded data) in one pipeline.
pub async fn load_rows(names: &Names, model: &DataModel, t: usize, first: u64, last: u64, conn: &mut Conn) -> Result<u32, String> {
    let mut buf = (String::new(), String::new());
    // A cluster takes a pipeline per row (each row its own slot); one server all of them in one.
    let per_pipe = if conn.is_cluster() { 1 } else { (last - first).max(1) };
    let mut pipes = Vec::new();
    let mut idx = first;
    while idx < last {
        let mut pipe = redis::pipe();
        for i in idx..(idx + per_pipe).min(last) {
            write_cmds(names, model, WriteMode::Upsert, t, i, 0, &mut pipe, &mut buf);
        }
        pipes.push(pipe);
        idx += per_pipe;
    }
    send_all(conn, pipes).await.map_err(|e| format!("loading {}: {}", model.tables[t].name, e.message))?;
    Ok((last - first) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_decodes_to_what_was_encoded() {
        let mut s = String::new();
        for (ty, v) in [
            (FeatureType::Float, FeatureValue::Float(0.123456)),
            (FeatureType::Float, FeatureValue::Float(0.0)),
            (FeatureType::Int, FeatureValue::Int(999_999)),
            (FeatureType::String, FeatureValue::Str("00ab12cd34ef".into())),
            (FeatureType::Bool, FeatureValue::Bool(true)),
            (FeatureType::Bool, FeatureValue::Bool(false)),
        ] {
            encode(&v, &mut s);
            assert_eq!(decode(ty, &s), Some(v));
        }
        assert_eq!(decode(FeatureType::Int, "x"), None);
        assert_eq!(decode(FeatureType::Bool, "true"), None);
    }
}
