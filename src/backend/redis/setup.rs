//! Setup and teardown: loading the dataset in pipelines, deleting the run's
//! keys (SCAN + UNLINK of the prefix, never FLUSHDB), and what the server
//! says about itself (INFO).

use super::conn::said;
use super::names::Names;
use crate::backend::BackendError;
use super::conn::Conn;
use std::collections::BTreeMap;

/// Keys per SCAN step and per UNLINK.
const SCAN_COUNT: usize = 1000;

/// Deletes every key that starts with the prefix on every node; returns how many.
pub async fn delete_prefixed(names: &Names, nodes: &mut [Conn]) -> Result<u64, BackendError> {
    let mut deleted = 0;
    for node in nodes.iter_mut() {
        deleted += delete_on_node(names, node).await?;
    }
    Ok(deleted)
}

/// SCAN + UNLINK on one node (a cluster node's keys one UNLINK each: keys of
/// several slots in one command are refused even on the node that holds them).
async fn delete_on_node(names: &Names, conn: &mut Conn) -> Result<u64, BackendError> {
    let pattern = names.pattern();
    let mut cursor: u64 = 0;
    let mut deleted = 0u64;
    loop {
        let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(SCAN_COUNT)
            .query_async(conn)
            .await
            .map_err(|e| BackendError(format!("scanning for keys {pattern}: {}", said(&e))))?;
        if !keys.is_empty() {
            let mut pipe = redis::pipe();
            if names.cluster {
                keys.iter().for_each(|k| {
                    pipe.cmd("UNLINK").arg(k);
                });
            } else {
                pipe.cmd("UNLINK").arg(&keys);
            }
            let n: Vec<u64> = pipe.query_async(conn).await.map_err(|e| BackendError(format!("deleting keys {pattern}: {}", said(&e))))?;
            deleted += n.iter().sum::<u64>();
        }
        if next == 0 {
            return Ok(deleted);
        }
        cursor = next;
    }
}

/// `INFO` as `field -> value` (every section's `name:value` lines).
pub async fn info(conn: &mut Conn, section: &str) -> BTreeMap<String, String> {
    let text: String = match redis::cmd("INFO").arg(section).query_async(conn).await {
        Ok(t) => t,
        Err(_) => return BTreeMap::new(),
    };
    parse_info(&text)
}

pub fn parse_info(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// The server's version and the settings that shape its speed and cost.
pub async fn server_info(conn: &mut Conn) -> BTreeMap<String, String> {
    let server = info(conn, "server").await;
    let mut out = BTreeMap::new();
    let flavor = if server.contains_key("valkey_version") { "Valkey" } else if server.contains_key("dragonfly_version") { "Dragonfly" } else { "Redis" };
    let version = server.get("valkey_version").or_else(|| server.get("redis_version"));
    if let Some(v) = version {
        let mode = server.get("redis_mode").map(|m| format!(" ({m})")).unwrap_or_default();
        out.insert("server".to_string(), format!("{flavor} {v}{mode}"));
    }
    for setting in ["maxmemory", "maxmemory-policy", "appendonly", "io-threads", "save"] {
        let reply: Result<Vec<String>, _> = redis::cmd("CONFIG").arg("GET").arg(setting).query_async(conn).await;
        if let Ok(pair) = reply {
            if let Some(v) = pair.get(1) {
                out.insert(setting.to_string(), v.clone());
            }
        }
    }
    out
}

/// `used_memory` from `INFO memory`, in bytes, summed over the nodes.
pub async fn used_memory(nodes: &mut [Conn]) -> Option<u64> {
    let mut total = 0;
    for node in nodes.iter_mut() {
        total += info(node, "memory").await.get("used_memory").and_then(|v| v.parse::<u64>().ok())?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_lines_become_fields() {
        let m = parse_info("# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n\r\n# Memory\r\nused_memory:1048576\r\n");
        assert_eq!(m.get("redis_version").map(String::as_str), Some("7.0.15"));
        assert_eq!(m.get("used_memory").map(String::as_str), Some("1048576"));
        assert_eq!(m.len(), 3);
    }
}
