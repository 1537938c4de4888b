//! What `plan` prints: each operation's calls, and the tables `create` makes.

use super::calls::{BATCH_GET_MAX, BATCH_WRITE_MAX};
use super::codec::scalar_type;
use super::names::Names;
use super::statements::{Call, DynOp};
use crate::dataset::DataModel;
use crate::scenario::model::{Billing, DynamodbConfig, WriteMode};

/// What `plan` prints for an operation.
pub fn describe_op(names: &Names, model: &DataModel, op: &DynOp, consistent: bool) -> String {
    let tn = |ts: &[usize]| ts.iter().map(|t| names.tables[*t].as_str()).collect::<Vec<_>>().join(", ");
    let cons = if consistent { "strongly consistent" } else { "eventually consistent" };
    let sk = |ts: &[usize]| {
        if names.single() {
            format!(" (sk = {})", ts.iter().map(|t| model.tables[*t].name.as_str()).collect::<Vec<_>>().join(", "))
        } else {
            String::new()
        }
    };
    match op {
        DynOp::Get { tables, k, parallel } => format!(
            "GetItem x {} {} on {}{}, {cons}, ReturnConsumedCapacity=TOTAL",
            tables.len() * k,
            if *parallel { "at once" } else { "one after another" },
            if names.single() { names.tables.first().map(String::as_str).unwrap_or("") } else { "" },
            if names.single() { sk(tables) } else { tn(tables) }
        ),
        DynOp::BatchGet { tables, k } => {
            let keys = tables.len() * k;
            format!(
                "BatchGetItem: {keys} keys in {} call(s) at once on {}, {cons}, UnprocessedKeys retried, ReturnConsumedCapacity=TOTAL",
                keys.div_ceil(BATCH_GET_MAX),
                tn(tables)
            )
        }
        DynOp::Query { groups, k } => format!(
            "Query x {} at once on {} (pk = the entity key; one per entity: {}), {cons}, ReturnConsumedCapacity=TOTAL",
            groups.len() * k,
            names.tables.first().map(String::as_str).unwrap_or(""),
            groups.iter().map(|(e, _)| model.entities[*e].name.as_str()).collect::<Vec<_>>().join(", ")
        ),
        DynOp::Write { tables, k, mode } => {
            let items = tables.len() * k;
            let how = match (mode, items) {
                (WriteMode::Update, _) => format!("UpdateItem x {items} at once (SET every feature, if the item exists)"),
                (WriteMode::Insert, 1) => "PutItem (if no item has the key)".into(),
                (WriteMode::Upsert | WriteMode::Replace, 1) => "PutItem".into(),
                _ => format!(
                    "BatchWriteItem: {items} items in {} call(s) at once, UnprocessedItems retried",
                    items.div_ceil(BATCH_WRITE_MAX)
                ),
            };
            format!("{how} on {}{}, ReturnConsumedCapacity=TOTAL", tn(tables), sk(tables))
        }
        DynOp::Statement(s) => {
            let call = match &s.call {
                Call::GetItem { .. } => "GetItem",
                Call::Query { .. } => "Query",
                Call::PutItem { .. } => "PutItem",
                Call::UpdateItem { .. } => "UpdateItem",
                Call::BatchGetItem { .. } => "BatchGetItem",
            };
            format!("{call} on {}, values from the request's keys, ReturnConsumedCapacity=TOTAL", s.table)
        }
    }
}

/// What `plan` prints for `create`.
pub fn describe_ddl(c: &DynamodbConfig, model: &DataModel) -> Vec<(String, String)> {
    let names = Names::new(c, model);
    let billing = match &c.billing {
        Some(Billing::Provisioned { provisioned }) => format!("PROVISIONED {} RCU / {} WCU", provisioned.rcu, provisioned.wcu),
        _ => "PAY_PER_REQUEST".to_string(),
    };
    names
        .physical()
        .into_iter()
        .map(|name| {
            let schema = if names.single() {
                "pk (S) HASH, sk (S) RANGE".to_string()
            } else {
                let t = names.tables.iter().position(|n| *n == name).map(|i| &model.tables[i]);
                match t {
                    Some(t) => format!("{} ({}) HASH", t.key_column, scalar_type(model, t, &names).as_str()),
                    None => "pk HASH".into(),
                }
            };
            (format!("create {name}"), format!("CreateTable {name}: {schema}, {billing}; wait until ACTIVE"))
        })
        .chain(names.physical().into_iter().map(|name| (format!("drop {name}"), format!("DeleteTable {name}"))))
        .collect()
}
