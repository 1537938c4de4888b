//! The server's own counters for the cross-checks, read before and after
//! each phase (never per request) and summed over the nodes (a cluster's
//! primaries, or the one server): `INFO commandstats` calls of the commands
//! benchplan sends, `INFO errorstats` MOVED and ASK replies (a cluster's
//! redirections, which the client follows without telling), and `INFO
//! memory` used_memory.

use super::conn::Conn;
use super::setup::info;
use crate::stats::xcheck::{Compare, Counter, ServerCounters, ASK, MOVED};
use std::collections::BTreeMap;

/// The commands benchplan's requests send (INFO commandstats' `cmdstat_<name>`).
pub const SENT_COMMANDS: &[&str] = &["get", "set", "incr", "mget", "mset", "del", "hgetall", "hmget", "hset", "multi", "exec"];

/// The counter compared with the commands benchplan counted sending.
pub const COMMANDS: &str = "commands (commandstats calls)";

/// The calls of one `cmdstat_<name>` value (`calls=12,usec=...`).
fn calls(stat: &str) -> Option<u64> {
    stat.split(',').find_map(|kv| kv.strip_prefix("calls="))?.parse().ok()
}

/// The count of one `errorstat_<code>` value (`count=3`).
fn count(stat: &str) -> Option<u64> {
    stat.split(',').find_map(|kv| kv.strip_prefix("count="))?.parse().ok()
}

/// One node's figures: (commands sent, MOVED, ASK, used_memory); the
/// redirections None where the server keeps no errorstats (before Redis 6.2).
#[derive(Debug, Default, PartialEq)]
struct NodeFigures {
    commands: u64,
    redirections: Option<(u64, u64)>,
    memory: Option<u64>,
}

fn figures(commandstats: &BTreeMap<String, String>, errorstats: Option<&BTreeMap<String, String>>, memory: &BTreeMap<String, String>) -> NodeFigures {
    let commands = SENT_COMMANDS.iter().filter_map(|c| commandstats.get(&format!("cmdstat_{c}")).and_then(|v| calls(v))).sum();
    let redirections = errorstats.map(|e| {
        let of = |code: &str| e.get(&format!("errorstat_{code}")).and_then(|v| count(v)).unwrap_or(0);
        (of("MOVED"), of("ASK"))
    });
    NodeFigures { commands, redirections, memory: memory.get("used_memory").and_then(|v| v.parse().ok()) }
}

/// The counters of every node, summed; None when a node does not answer.
pub async fn read(nodes: &mut [Conn]) -> Option<ServerCounters> {
    let mut total = NodeFigures { redirections: Some((0, 0)), memory: Some(0), ..Default::default() };
    for node in nodes.iter_mut() {
        let commandstats = info(node, "commandstats").await;
        if commandstats.is_empty() {
            // INFO refused or the node gone: no reading rather than a partial one.
            return None;
        }
        let memory = info(node, "memory").await;
        // Redis 6.2 and later (and Valkey) list error replies by code; the
        // section is empty until a first error, so its absence is told by the version.
        let errorstats = info(node, "errorstats").await;
        let server = info(node, "server").await;
        let has_errorstats = !errorstats.is_empty() || keeps_errorstats(&server);
        let f = figures(&commandstats, has_errorstats.then_some(&errorstats), &memory);
        total.commands += f.commands;
        total.redirections = total.redirections.zip(f.redirections).map(|(a, b)| (a.0 + b.0, a.1 + b.1));
        total.memory = total.memory.zip(f.memory).map(|(a, b)| a + b);
    }
    let mut out = ServerCounters { memory_bytes: total.memory, ..Default::default() };
    out.counters.push(Counter { name: COMMANDS.into(), value: total.commands, compare: Compare::Statements, own: 0 });
    match total.redirections {
        Some((moved, ask)) => {
            out.counters.push(Counter { name: MOVED.into(), value: moved, compare: Compare::Nothing, own: 0 });
            out.counters.push(Counter { name: ASK.into(), value: ask, compare: Compare::Nothing, own: 0 });
        }
        None => out.notes.push("the server keeps no INFO errorstats (Redis 6.2 and later do): MOVED and ASK replies are not counted".into()),
    }
    out.notes.push(format!(
        "INFO commandstats counts every client of the server, not only this run's ({}); a cluster's multi-key commands split per slot count once per slot",
        SENT_COMMANDS.iter().map(|c| c.to_uppercase()).collect::<Vec<_>>().join(", ")
    ));
    Some(out)
}

/// Whether the server's version keeps `INFO errorstats` (Redis 6.2+, any Valkey).
fn keeps_errorstats(server: &BTreeMap<String, String>) -> bool {
    if server.contains_key("valkey_version") {
        return true;
    }
    let Some(v) = server.get("redis_version") else { return false };
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (6, 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::redis::setup::parse_info;

    #[test]
    fn commandstats_and_errorstats_give_the_sent_commands_and_the_redirections() {
        let cs = parse_info(
            "# Commandstats\r\ncmdstat_get:calls=120,usec=300,usec_per_call=2.50,rejected_calls=7,failed_calls=0\r\n\
             cmdstat_hset:calls=30,usec=90,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r\n\
             cmdstat_info:calls=9,usec=900,usec_per_call=100.00,rejected_calls=0,failed_calls=0\r\n\
             cmdstat_multi:calls=2,usec=1,usec_per_call=0.50,rejected_calls=0,failed_calls=0\r\n",
        );
        let es = parse_info("# Errorstats\r\nerrorstat_MOVED:count=7\r\nerrorstat_WRONGTYPE:count=1\r\n");
        let mem = parse_info("# Memory\r\nused_memory:1048576\r\n");
        // INFO itself and the rejected calls (the MOVED ones) are not commands benchplan counted.
        assert_eq!(figures(&cs, Some(&es), &mem), NodeFigures { commands: 152, redirections: Some((7, 0)), memory: Some(1_048_576) });
        assert_eq!(figures(&cs, None, &BTreeMap::new()).redirections, None);
        let version = |v: &str| parse_info(&format!("redis_version:{v}\r\n"));
        assert!(keeps_errorstats(&version("7.0.15")) && keeps_errorstats(&version("6.2.0")));
        assert!(!keeps_errorstats(&version("6.0.16")) && !keeps_errorstats(&BTreeMap::new()));
    }
}
