//! The redis kind without a connection: config checks, plan, cost, secrets.

use super::names::Names;
use crate::backend::registry::{per_server_cost, KindInfo, KindSupport, Problems, Statement};
use crate::backend::Ctx;
use crate::dataset::DataModel;
use crate::prices::{CostModel, Prices};
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::{BackendConfig, Fetch, Kind, Layout, StatementOp, TlsMode};
use crate::scenario::validate::url;
use crate::workload::{OpKind, OpSpec};
use redis::IntoConnectionInfo;

pub struct RedisKind;

impl KindSupport for RedisKind {
    fn info(&self) -> KindInfo {
        KindInfo {
            kind: Kind::Redis,
            systems: "Redis, Valkey, any RESP store",
            packed: "one pipeline of HGETALL or HMGET",
            load: "pipelined HSET, a connection per worker",
        }
    }

    fn validate(&self, config: &BackendConfig, p: &str, d: &mut Diagnostics) {
        let BackendConfig::Redis(c) = config else { return };
        url(&c.url, &["redis", "rediss"], &format!("{p}.url"), d);
        if c.url.contains("://") {
            if let Err(e) = c.url.as_str().into_connection_info() {
                d.at(format!("{p}.url"), format!("cannot parse the URL: {}", crate::secrets::url_passwords(&e.to_string())));
            }
        }
        if c.url.contains('#') {
            d.at(format!("{p}.url"), "certificate checks are always on: remove the URL's `#...` fragment (`#insecure`)");
        }
        match c.tls {
            Some(TlsMode::Prefer) => d.at(format!("{p}.tls"), "Redis does not negotiate TLS: expected disable, require or verify-full"),
            Some(TlsMode::Disable) if c.url.starts_with("rediss://") => {
                d.at(format!("{p}.tls"), "`tls: disable` with a rediss:// URL: use redis:// for a plain connection")
            }
            _ => {}
        }
        if c.ca_file.is_some() && !super::conn::wants_tls(c) {
            d.at(format!("{p}.ca_file"), "`ca_file` needs TLS: a rediss:// URL, or `tls: require`");
        }
        if c.cluster && c.url.as_str().into_connection_info().is_ok_and(|i| i.redis_settings().db() != 0) {
            d.at(format!("{p}.url"), "a Redis Cluster has database 0 only: remove the URL's `/N`");
        }
        if c.key_prefix.as_deref() == Some("") {
            d.at(format!("{p}.key_prefix"), "expected a non-empty prefix (the run deletes every key that starts with it)");
        }
    }

    /// The ACL user and the password in the URL, wherever they would show.
    /// A user of fewer than 4 characters, or `default`, is not masked: it
    /// would mask those letters in every word of the output.
    fn secrets(&self, config: &BackendConfig) -> Vec<String> {
        let BackendConfig::Redis(c) = config else { return Vec::new() };
        let Ok(info) = c.url.as_str().into_connection_info() else { return Vec::new() };
        let r = info.redis_settings();
        let user = r.username().filter(|u| u.len() >= 4 && *u != "default");
        user.into_iter().chain(r.password()).map(str::to_string).collect()
    }

    fn cost_model(&self, config: &BackendConfig, _model: &DataModel, prices: &Prices) -> Result<CostModel, String> {
        Ok(per_server_cost(config, prices))
    }

    fn describe_ddl(&self, ctx: &Ctx<'_>) -> Result<Vec<Statement>, Problems> {
        let names = names(ctx);
        let mut key = String::new();
        Ok(ctx
            .model
            .tables
            .iter()
            .enumerate()
            .map(|(t, table)| {
                names.row_key(ctx.model, t, 0, &mut key);
                let fields = names.fields[t].iter().map(|f| format!("{f} ...")).collect::<Vec<_>>().join(" ");
                (table.name.clone(), format!("HSET {key} {fields}   (a hash per key; no schema to create)"))
            })
            .collect())
    }

    fn describe_op(&self, ctx: &Ctx<'_>, op: &OpSpec, _statement: Option<&StatementOp>) -> Result<Vec<Statement>, String> {
        let names = names(ctx);
        let mut key = String::new();
        Ok(match &op.kind {
            OpKind::Read { fetch, tables } => {
                let how = match fetch {
                    Fetch::Packed => "one pipeline",
                    Fetch::Serial => "one after another",
                    Fetch::Parallel => "all at once",
                };
                let cmds = tables.iter().map(|&t| {
                    names.row_key(ctx.model, t, 0, &mut key);
                    match names.layout {
                        Layout::TablePerTable => format!("HGETALL {key}"),
                        Layout::SingleTable => format!("HMGET {key} {}", names.fields[t].join(" ")),
                    }
                });
                vec![(String::new(), format!("{}   ({how}, {} key(s) per table)", cmds.collect::<Vec<_>>().join("; "), op.keys_per_entity))]
            }
            OpKind::Write { mode, tables } => {
                let cmds = tables.iter().map(|&t| {
                    names.row_key(ctx.model, t, 0, &mut key);
                    format!("HSET {key} {}", names.fields[t].iter().map(|f| format!("{f} ...")).collect::<Vec<_>>().join(" "))
                });
                let tx = matches!(ctx.config, BackendConfig::Redis(c) if c.transaction);
                let how = if tx { "in MULTI/EXEC" } else { "one pipeline" };
                vec![(String::new(), format!("{}   ({}, {how}, batch {})", cmds.collect::<Vec<_>>().join("; "), mode.as_str(), op.keys_per_entity))]
            }
            OpKind::Kv { command, value_size, keys, pipeline, ttl_ms } => {
                names.kv_key(ctx.model, op.entities[0], 0, *command == crate::scenario::model::KvCommand::Incr, &mut key);
                let mut text = command.verb().to_string();
                for _ in 0..*keys {
                    text.push_str(&format!(" {key}"));
                    if command.writes_value() {
                        text.push_str(&format!(" <{value_size} bytes>"));
                    }
                }
                if let Some(ms) = ttl_ms {
                    text.push_str(&format!(" PX {ms}"));
                }
                vec![(String::new(), format!("{text}   (x{pipeline} per request, pipelined)"))]
            }
            OpKind::Statement { name } => return Err(format!("statement {name}: the redis kind has no statements")),
            OpKind::VectorSearch { .. } => return Err("vector_search needs PostgreSQL with pgvector".into()),
        })
    }
}

fn names(ctx: &Ctx<'_>) -> Names {
    match ctx.config {
        BackendConfig::Redis(c) => Names::new(&super::key_prefix(c, ctx.name), c.layout.unwrap_or_default(), c.cluster, ctx.model),
        _ => Names::new("", Layout::default(), false, ctx.model),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> BackendConfig {
        serde_yaml::from_str(&format!("kind: redis\nurl: {url}\n")).unwrap()
    }

    #[test]
    fn the_acl_user_and_the_password_are_secrets() {
        assert_eq!(RedisKind.secrets(&config("redis://benchuser:s3cret@h:6379/0")), vec!["benchuser", "s3cret"]);
        assert_eq!(RedisKind.secrets(&config("redis://:s3cret@h:6379/0")), vec!["s3cret"]);
        // Too short or `default`: masking them would mask those letters everywhere.
        assert_eq!(RedisKind.secrets(&config("redis://bob:s3cret@h:6379/0")), vec!["s3cret"]);
        assert_eq!(RedisKind.secrets(&config("redis://default:s3cret@h:6379/0")), vec!["s3cret"]);
        assert!(RedisKind.secrets(&config("redis://h:6379/0")).is_empty());
    }
}
