//! What `plan` prints: each operation's calls, and the database and
//! containers `create` makes.

use super::names::Names;
use super::query_scan::PK_PARAM;
use super::statements::{entity_query, Call, CosmosOp};
use crate::dataset::DataModel;
use crate::scenario::model::{CosmosConfig, WriteMode};

/// What `plan` prints for an operation.
pub fn describe_op(names: &Names, model: &DataModel, op: &CosmosOp) -> String {
    let tn = |ts: &[usize]| ts.iter().map(|t| names.containers[*t].as_str()).collect::<Vec<_>>().join(", ");
    let ids = |ts: &[usize]| {
        if names.single() {
            format!(" (id = {})", ts.iter().map(|t| model.tables[*t].name.as_str()).collect::<Vec<_>>().join(", "))
        } else {
            String::new()
        }
    };
    let on = |ts: &[usize]| if names.single() { names.physical.first().cloned().unwrap_or_default() } else { tn(ts) };
    match op {
        CosmosOp::Read { tables, k, parallel } => format!(
            "read_item x {} {} on {}{}, partition key = the entity key; request charge recorded",
            tables.len() * k,
            if *parallel { "at once" } else { "one after another" },
            on(tables),
            ids(tables)
        ),
        CosmosOp::Query { groups, k } => {
            let qs: Vec<String> = groups.iter().map(|(_, ts)| entity_query(ts.len())).collect();
            format!(
                "query x {} at once on {} (one per entity key: {}), scoped to the partition: {}; request charge recorded",
                groups.len() * k,
                names.physical.first().map(String::as_str).unwrap_or(""),
                groups.iter().map(|(e, _)| model.entities[*e].name.as_str()).collect::<Vec<_>>().join(", "),
                qs.join(" | ")
            )
        }
        CosmosOp::Write { tables, k, mode } => {
            format!("{} x {} at once on {}{}; request charge recorded", write_call(*mode), tables.len() * k, on(tables), ids(tables))
        }
        CosmosOp::Statement(s) => {
            let c = &names.containers[s.table];
            match &s.call {
                Call::ReadItem { .. } => format!("read_item on {c}, id and partition key from the request's keys"),
                Call::Query { text, params } => {
                    let p: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).chain([PK_PARAM]).collect();
                    format!("query on {c}, scoped to the partition: {text} (parameters {})", p.join(", "))
                }
                Call::Write { mode, .. } => format!("{} on {c}, id and partition key from the request's keys", write_call(*mode)),
            }
        }
    }
}

/// What `plan` prints for `create`.
pub fn describe_ddl(c: &CosmosConfig, model: &DataModel) -> Vec<(String, String)> {
    let names = Names::new(c, model);
    let db = match (c.serverless, c.throughput) {
        (Some(true), _) => "serverless account, no provisioned throughput".to_string(),
        (_, Some(t)) => format!("{t} RU/s shared by its containers"),
        _ => "no database throughput (the account's default per container)".to_string(),
    };
    let mut out = vec![(format!("create database {}", names.database), format!("create database {} if missing: {db}", names.database))];
    for name in &names.physical {
        out.push((
            format!("create {name}"),
            format!("create container {name}: partition key /pk, id = {}", if names.single() { "the table name" } else { "the key" }),
        ));
    }
    for name in &names.physical {
        out.push((format!("drop {name}"), format!("delete container {name}")));
    }
    out
}

/// The SDK call a write mode makes.
fn write_call(mode: WriteMode) -> &'static str {
    match mode {
        WriteMode::Insert => "create_item",
        WriteMode::Upsert | WriteMode::Replace => "upsert_item",
        WriteMode::Update => "replace_item",
    }
}
