//! Operations prepared once per phase: the built-in reads and writes, and
//! custom statements read from their `dynamodb:` template.

use super::calls::BATCH_GET_MAX;
use super::codec::{TMap, Tv};
use super::names::Names;
use crate::backend::service::{bind_keys, group_by_entity};
use crate::dataset::DataModel;
use crate::scenario::model::{Fetch, Kind, StatementOp, WriteMode};
use crate::scenario::suggest::did_you_mean;
use crate::template::Templates;
use crate::workload::{OpKind, OpSpec};
use serde_json::{Map, Value};

/// A custom statement's call.
#[derive(Debug, Clone)]
pub(super) enum Call {
    GetItem { key: TMap },
    Query { key_condition: String, filter: Option<String>, limit: Option<i32> },
    PutItem { item: TMap },
    UpdateItem { key: TMap, update: String },
    BatchGetItem { keys: Vec<TMap> },
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub(super) table: String,
    /// The dataset table (for `sk` in single_table layout).
    pub(super) dataset_table: usize,
    pub(super) call: Call,
    pub(super) values: TMap,
    pub(super) names: Vec<(String, String)>,
    /// Expressions hold no values: a key written in one is bound as `:bp_<entity>_<j>`.
    pub(super) condition: Option<String>,
    pub(super) projection: Option<String>,
    pub(super) consistent: Option<bool>,
}

/// A prepared operation.
#[derive(Debug, Clone)]
pub enum DynOp {
    /// GetItem per table and key: one after another, or all at once.
    Get {
        tables: Vec<usize>,
        k: usize,
        parallel: bool,
    },
    /// BatchGetItem, 100 keys a call, calls in parallel.
    BatchGet {
        tables: Vec<usize>,
        k: usize,
    },
    /// single_table: one Query per entity key, returning all its tables.
    Query {
        groups: Vec<(usize, Vec<usize>)>,
        k: usize,
    },
    Write {
        tables: Vec<usize>,
        k: usize,
        mode: WriteMode,
    },
    Statement(Box<Statement>),
}

/// What a statement's `dynamodb:` mapping may hold.
const STATEMENT_FIELDS: &[&str] = &[
    "op",
    "table",
    "key",
    "keys",
    "item",
    "key_condition_expression",
    "filter_expression",
    "update_expression",
    "condition_expression",
    "projection_expression",
    "expression_attribute_values",
    "expression_attribute_names",
    "consistent_read",
    "limit",
];

/// Prepares one mix entry (no connection: `validate` and `plan` use it too).
pub fn prepare_op(
    names: &Names,
    model: &DataModel,
    templates: &Templates,
    op: &OpSpec,
    statement: Option<&StatementOp>,
) -> Result<DynOp, String> {
    let k = op.keys_per_entity.max(1);
    Ok(match &op.kind {
        OpKind::Read { fetch, tables } => match fetch {
            Fetch::Serial => DynOp::Get { tables: tables.clone(), k, parallel: false },
            Fetch::Parallel => DynOp::Get { tables: tables.clone(), k, parallel: true },
            Fetch::Packed if names.single() => DynOp::Query { groups: group_by_entity(model, tables), k },
            Fetch::Packed => DynOp::BatchGet { tables: tables.clone(), k },
        },
        OpKind::Write { mode, tables } => DynOp::Write { tables: tables.clone(), k, mode: *mode },
        OpKind::Statement { name } => {
            let st = statement.ok_or_else(|| format!("statement {name}: not found"))?;
            let tpl = st.dynamodb.as_ref().ok_or_else(|| format!("statement {name} has no `dynamodb:` template"))?;
            DynOp::Statement(Box::new(prepare_statement(names, model, templates, name, tpl)?))
        }
        OpKind::Kv { .. } => return Err(crate::workload::KV_ELSEWHERE.into()),
        OpKind::VectorSearch { .. } => return Err("vector_search needs PostgreSQL with pgvector".into()),
    })
}

pub(super) fn prepare_statement(
    names: &Names,
    model: &DataModel,
    templates: &Templates,
    name: &str,
    tpl: &Value,
) -> Result<Statement, String> {
    let map = tpl.as_object().ok_or_else(|| format!("statement {name}: `dynamodb:` must be a mapping with `op` and `table`"))?;
    if let Some(bad) = map.keys().find(|k| !STATEMENT_FIELDS.contains(&k.as_str())) {
        let hint = did_you_mean(bad, STATEMENT_FIELDS.iter().copied());
        return Err(format!("statement {name}: unknown field `{bad}` in `dynamodb:` (known: {}){hint}", STATEMENT_FIELDS.join(", ")));
    }
    let mut f = Fields { map, templates, model, name, bound: Vec::new() };
    let op = map.get("op").and_then(Value::as_str).ok_or_else(|| format!("statement {name}: `op` is required"))?;
    let table_name = map.get("table").and_then(Value::as_str).ok_or_else(|| format!("statement {name}: `table` is required"))?;
    let dataset_table = model.table_index(table_name).ok_or_else(|| {
        let hint = did_you_mean(table_name, model.tables.iter().map(|t| t.name.as_str()));
        format!("statement {name}: table `{table_name}` is not a table of the dataset{hint}")
    })?;
    let call = f.call(op)?;
    let names_map = f.attribute_names()?;
    let condition = f.text("condition_expression")?;
    let mut values = f.tv_map("expression_attribute_values")?.unwrap_or_default();
    values.append(&mut f.bound);
    Ok(Statement {
        table: names.tables[dataset_table].clone(),
        dataset_table,
        call,
        values,
        names: names_map,
        condition,
        projection: map.get("projection_expression").and_then(Value::as_str).map(str::to_string),
        consistent: map.get("consistent_read").and_then(Value::as_bool),
    })
}

/// A statement's `dynamodb:` mapping while it is read.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    templates: &'a Templates,
    model: &'a DataModel,
    name: &'a str,
    /// Keys written in an expression, bound as values (never pasted into it).
    bound: TMap,
}

impl Fields<'_> {
    /// The op's call, from the fields it needs.
    fn call(&mut self, op: &str) -> Result<Call, String> {
        let name = self.name;
        Ok(match op {
            "get_item" => Call::GetItem { key: self.tv_map("key")?.ok_or_else(|| format!("statement {name}: get_item needs `key`"))? },
            "query" => Call::Query {
                key_condition: self.need_text("key_condition_expression")?,
                filter: self.text("filter_expression")?,
                limit: self.limit()?,
            },
            "put_item" => Call::PutItem { item: self.tv_map("item")?.ok_or_else(|| format!("statement {name}: put_item needs `item`"))? },
            "update_item" => Call::UpdateItem {
                key: self.tv_map("key")?.ok_or_else(|| format!("statement {name}: update_item needs `key`"))?,
                update: self.need_text("update_expression")?,
            },
            "batch_get_item" => Call::BatchGetItem { keys: self.batch_keys()? },
            other => {
                const OPS: [&str; 5] = ["get_item", "query", "put_item", "update_item", "batch_get_item"];
                return Err(format!("statement {name}: unknown op `{other}` (known: {}){}", OPS.join(", "), did_you_mean(other, OPS)));
            }
        })
    }

    /// An expression: its keys bound as `:bp_<entity>_<j>` values.
    fn text(&mut self, field: &str) -> Result<Option<String>, String> {
        match self.map.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let parts = self.templates.render_parts(Kind::Dynamodb, self.name, s, self.model).map_err(|e| e.0)?;
                Ok(Some(bind_keys(parts, ':', &mut self.bound)))
            }
            Some(other) => Err(format!("statement {}: `{field}` must be a string, found {other}", self.name)),
        }
    }

    fn need_text(&mut self, field: &str) -> Result<String, String> {
        self.text(field)?.ok_or_else(|| format!("statement {}: `{field}` is required for this op", self.name))
    }

    /// A mapping of attribute names to template values.
    fn tv_map(&self, field: &str) -> Result<Option<TMap>, String> {
        match self.map.get(field) {
            None => Ok(None),
            Some(Value::Object(m)) => self.mapping(m).map(Some),
            Some(other) => Err(format!("statement {}: `{field}` must be a mapping, found {other}", self.name)),
        }
    }

    fn mapping(&self, m: &Map<String, Value>) -> Result<TMap, String> {
        m.iter().map(|(k, v)| Ok((k.clone(), Tv::from_json(self.templates, Kind::Dynamodb, self.model, self.name, v)?))).collect()
    }

    /// A query's `limit`: a positive i32.
    fn limit(&self) -> Result<Option<i32>, String> {
        match self.map.get("limit") {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .filter(|n| *n > 0)
                .map(Some)
                .ok_or_else(|| format!("statement {}: `limit` must be a positive integer, found {v}", self.name)),
        }
    }

    /// batch_get_item's `keys`: 1 to 100 key mappings.
    fn batch_keys(&self) -> Result<Vec<TMap>, String> {
        let name = self.name;
        match self.map.get("keys") {
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= BATCH_GET_MAX => items
                .iter()
                .map(|k| match k {
                    Value::Object(m) => self.mapping(m),
                    other => Err(format!("statement {name}: each of `keys` must be a mapping, found {other}")),
                })
                .collect(),
            _ => Err(format!("statement {name}: batch_get_item needs `keys`, a list of 1 to {BATCH_GET_MAX} key mappings")),
        }
    }

    /// `expression_attribute_names`: placeholders and the names they stand for.
    fn attribute_names(&self) -> Result<Vec<(String, String)>, String> {
        let name = self.name;
        match self.map.get("expression_attribute_names") {
            None => Ok(Vec::new()),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())).ok_or_else(|| format!("statement {name}: names must be strings")))
                .collect(),
            Some(other) => Err(format!("statement {name}: `expression_attribute_names` must be a mapping, found {other}")),
        }
    }
}
