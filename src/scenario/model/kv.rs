//! `kv:` a plain key-value operation (the redis kind; noop counts it): the
//! commands key-value benchmarks report, on keys drawn from an entity's
//! distribution.

use super::DurationSpec;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A key-value command.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum KvCommand {
    /// `SET key value [PX ttl]`, one key per command.
    Set,
    /// `GET key`, one key per command.
    Get,
    /// `INCR key`, one key per command.
    Incr,
    /// `MSET k1 v1 ... kn vn`: `keys` keys per command.
    Mset,
    /// `MGET k1 ... kn`: `keys` keys per command.
    Mget,
    /// `DEL k1 ... kn`: `keys` keys per command.
    Del,
}

impl KvCommand {
    pub fn as_str(self) -> &'static str {
        match self {
            KvCommand::Set => "set",
            KvCommand::Get => "get",
            KvCommand::Incr => "incr",
            KvCommand::Mset => "mset",
            KvCommand::Mget => "mget",
            KvCommand::Del => "del",
        }
    }

    /// The RESP command name.
    pub fn verb(self) -> &'static str {
        match self {
            KvCommand::Set => "SET",
            KvCommand::Get => "GET",
            KvCommand::Incr => "INCR",
            KvCommand::Mset => "MSET",
            KvCommand::Mget => "MGET",
            KvCommand::Del => "DEL",
        }
    }

    /// Whether one command names several keys (`keys:`).
    pub fn multi_key(self) -> bool {
        matches!(self, KvCommand::Mset | KvCommand::Mget | KvCommand::Del)
    }

    /// Whether it writes a value of `value_size` bytes.
    pub fn writes_value(self) -> bool {
        matches!(self, KvCommand::Set | KvCommand::Mset)
    }
}

/// A key-value request: `pipeline` commands sent together on the worker's
/// connection, one reply awaited for all; the request's latency runs until
/// the last reply. Keys are `<key_prefix>kv:<entity key>` (incr's:
/// `<key_prefix>counter:<entity key>`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KvOp {
    pub command: KvCommand,
    /// The entity whose key distribution and key space the keys follow; default the dataset's first entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// set, mset: bytes per value (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_size: Option<u32>,
    /// mset, mget, del: keys per command (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<u32>,
    /// set: expire the key after this long (`PX`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<DurationSpec>,
    /// Commands per request, sent as one pipeline (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<u32>,
}

impl KvOp {
    pub fn keys_per_command(&self) -> u32 {
        if self.command.multi_key() {
            self.keys.unwrap_or(1)
        } else {
            1
        }
    }

    pub fn pipeline(&self) -> u32 {
        self.pipeline.unwrap_or(1)
    }

    /// `kv/set`, `kv/mget`: the label reports use.
    pub fn label(&self) -> String {
        format!("kv/{}", self.command.as_str())
    }
}
