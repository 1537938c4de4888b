//! Setup and teardown: loading the dataset in pipelines, deleting the run's
//! keys (SCAN + UNLINK of the prefix, never FLUSHDB), and what the server
//! says about itself (INFO).

use super::conn::said;
use super::names::Names;
use crate::backend::BackendError;
use redis::aio::MultiplexedConnection;
use std::collections::BTreeMap;

/// Keys per SCAN step and per UNLINK.
const SCAN_COUNT: usize = 1000;

/// Deletes every key that starts with the prefix; returns how many.
pub async fn delete_prefixed(names: &Names, conn: &mut MultiplexedConnection) -> Result<u64, BackendError> {
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
            let n: u64 = redis::cmd("UNLINK")
                .arg(&keys)
                .query_async(conn)
                .await
                .map_err(|e| BackendError(format!("deleting keys {pattern}: {}", said(&e))))?;
            deleted += n;
        }
        if next == 0 {
            return Ok(deleted);
        }
        cursor = next;
    }
}

/// `INFO` as `field -> value` (every section's `name:value` lines).
pub async fn info(conn: &mut MultiplexedConnection, section: &str) -> BTreeMap<String, String> {
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
pub async fn server_info(conn: &mut MultiplexedConnection) -> BTreeMap<String, String> {
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

/// `used_memory` from `INFO memory`, in bytes.
pub async fn used_memory(conn: &mut MultiplexedConnection) -> Option<u64> {
    info(conn, "memory").await.get("used_memory").and_then(|v| v.parse().ok())
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
