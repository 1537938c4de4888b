//! Plain key-value requests: `pipeline` commands of `keys` keys each, built
//! into the worker session's command buffers and sent as one write.

use super::conn::op_error;
use super::names::Names;
use crate::dataset::DataModel;
use crate::scenario::model::KvCommand;
use crate::stats::OpError;
use crate::workload::Request;
use redis::Value;

/// A prepared kv operation.
pub struct KvPlan {
    pub command: KvCommand,
    pub entity: usize,
    pub keys: usize,
    pub pipeline: usize,
    pub ttl_ms: Option<u64>,
    /// The value set and mset write (the same bytes every time, as redis-benchmark's).
    pub value: Vec<u8>,
}

impl KvPlan {
    /// A value of `size` bytes: printable, not all one byte (a store that
    /// compresses gets no easier data than redis-benchmark's `xxx...`).
    pub fn value_of(size: usize) -> Vec<u8> {
        (0..size).map(|i| b"0123456789abcdefghijklmnopqrstuvwxyz"[(i * 7 + i / 36) % 36]).collect()
    }

    /// Appends command `c` of the request to `cmd`, its keys built in `key`.
    fn build(&self, names: &Names, model: &DataModel, req: &Request, c: usize, cmd: &mut redis::Cmd, key: &mut String) {
        cmd.arg(self.command.verb());
        for j in 0..self.keys {
            names.kv_key(model, self.entity, req.key(self.entity, c * self.keys + j), self.command == KvCommand::Incr, key);
            cmd.arg(key.as_bytes());
            if self.command.writes_value() {
                cmd.arg(&self.value[..]);
            }
        }
        if let Some(ms) = self.ttl_ms {
            cmd.arg("PX").arg(ms);
        }
    }

    /// Rows a reply stands for: values found (get, mget), keys removed
    /// (del), keys written (set, mset, incr).
    fn rows(&self, reply: &Value) -> u32 {
        match (self.command, reply) {
            (KvCommand::Get, Value::Nil) => 0,
            (KvCommand::Mget, Value::Array(items)) => items.iter().filter(|v| !matches!(v, Value::Nil)).count() as u32,
            (KvCommand::Del, Value::Int(n)) => *n as u32,
            _ => self.keys as u32,
        }
    }

    /// Sends the request's commands on the worker's connection, built in its buffers.
    pub async fn execute(&self, names: &Names, model: &DataModel, s: Buffers<'_>, req: &Request) -> Result<u32, OpError> {
        if self.pipeline == 1 {
            // One command: the session's command buffer, reused (no allocation for its arguments).
            s.cmd.clear();
            self.build(names, model, req, 0, s.cmd, s.key);
            let reply: Value = s.cmd.query_async(s.conn).await.map_err(op_error)?;
            return Ok(self.rows(&reply));
        }
        if s.conn.is_cluster() {
            // Each command to its key's node, all at once.
            let calls = (0..self.pipeline).map(|c| {
                let mut cmd = redis::Cmd::with_capacity(2 + 2 * self.keys, self.keys * (48 + self.value.len()));
                self.build(names, model, req, c, &mut cmd, s.key);
                let mut conn = s.conn.clone();
                async move { cmd.query_async::<Value>(&mut conn).await }
            });
            let calls: Vec<_> = calls.collect();
            let mut rows = 0;
            for r in futures_util::future::join_all(calls).await {
                rows += self.rows(&r.map_err(op_error)?);
            }
            return Ok(rows);
        }
        s.pipe.clear();
        for c in 0..self.pipeline {
            let mut cmd = redis::Cmd::with_capacity(2 + 2 * self.keys, self.keys * (48 + self.value.len()));
            self.build(names, model, req, c, &mut cmd, s.key);
            s.pipe.add_command(cmd);
        }
        let replies: Vec<Value> = s.pipe.query_async(s.conn).await.map_err(op_error)?;
        Ok(replies.iter().map(|r| self.rows(r)).sum())
    }
}

/// A worker's connection and the buffers a request is built in.
pub struct Buffers<'a> {
    pub conn: &'a mut super::conn::Conn,
    pub cmd: &'a mut redis::Cmd,
    pub pipe: &'a mut redis::Pipeline,
    pub key: &'a mut String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_have_the_size_asked_for() {
        assert_eq!(KvPlan::value_of(100).len(), 100);
        assert_eq!(KvPlan::value_of(0).len(), 0);
        let v = KvPlan::value_of(1000);
        assert!(v.iter().all(u8::is_ascii_alphanumeric));
        assert!(v.iter().collect::<std::collections::HashSet<_>>().len() > 10);
    }
}
