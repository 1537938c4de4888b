//! Operations prepared once per phase: the built-in reads and writes, and
//! custom statements read from their `cosmos:` template.

use super::codec::{Codec, Tv};
use super::names::Names;
use super::query_scan::{with_pk_filter, PK_PARAM};
use crate::backend::service::{bind_keys, group_by_entity};
use crate::dataset::DataModel;
use crate::scenario::model::{Fetch, Kind, StatementOp, WriteMode};
use crate::scenario::suggest::did_you_mean;
use crate::template::Templates;
use crate::workload::{OpKind, OpSpec, Request};
use serde_json::{Map, Value};

/// An `id`: always text.
pub(super) fn render_id(id: &Tv, codec: &Codec<'_>, req: &Request) -> String {
    match id.render(codec, req) {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// A custom statement's call.
#[derive(Debug, Clone)]
pub(super) enum Call {
    ReadItem {
        id: Tv,
    },
    /// The text carries `c.pk = @bp_pk` whatever the user wrote.
    Query {
        text: String,
        params: Vec<(String, Tv)>,
    },
    Write {
        id: Tv,
        item: Vec<(String, Tv)>,
        mode: WriteMode,
    },
}

#[derive(Debug, Clone)]
pub struct Statement {
    /// The dataset table whose container the call goes to.
    pub(super) table: usize,
    pub(super) partition_key: Tv,
    pub(super) call: Call,
}

/// A prepared operation.
#[derive(Debug, Clone)]
pub enum CosmosOp {
    /// A point read per table and key: one after another, or all at once.
    Read {
        tables: Vec<usize>,
        k: usize,
        parallel: bool,
    },
    /// single_table: one partition query per entity key, returning its tables.
    Query {
        groups: Vec<(usize, Vec<usize>)>,
        k: usize,
    },
    /// create (insert), upsert or replace (update) per table and key, all at once.
    Write {
        tables: Vec<usize>,
        k: usize,
        mode: WriteMode,
    },
    Statement(Box<Statement>),
}

/// What a statement's `cosmos:` mapping may hold.
const STATEMENT_FIELDS: &[&str] = &["op", "container", "id", "partition_key", "query", "parameters", "item"];
const STATEMENT_OPS: &str = "read_item, query, upsert_item, create_item, replace_item";

/// Prepares one mix entry (no connection: `validate` and `plan` use it too).
pub fn prepare_op(
    names: &Names,
    model: &DataModel,
    templates: &Templates,
    op: &OpSpec,
    statement: Option<&StatementOp>,
) -> Result<CosmosOp, String> {
    let k = op.keys_per_entity.max(1);
    Ok(match &op.kind {
        OpKind::Read { fetch, tables } => match fetch {
            Fetch::Serial => CosmosOp::Read { tables: tables.clone(), k, parallel: false },
            Fetch::Packed if names.single() => CosmosOp::Query { groups: group_by_entity(model, tables), k },
            Fetch::Parallel | Fetch::Packed => CosmosOp::Read { tables: tables.clone(), k, parallel: true },
        },
        OpKind::Write { mode, tables } => CosmosOp::Write { tables: tables.clone(), k, mode: *mode },
        OpKind::Statement { name } => {
            let st = statement.ok_or_else(|| format!("statement {name}: not found"))?;
            let tpl = st.cosmos.as_ref().ok_or_else(|| format!("statement {name} has no `cosmos:` template"))?;
            CosmosOp::Statement(Box::new(prepare_statement(model, templates, name, tpl)?))
        }
        OpKind::Kv { .. } => return Err(crate::workload::KV_ELSEWHERE.into()),
        OpKind::VectorSearch { .. } => return Err("vector_search needs PostgreSQL with pgvector".into()),
    })
}

pub(super) fn prepare_statement(model: &DataModel, templates: &Templates, name: &str, tpl: &Value) -> Result<Statement, String> {
    let map = tpl.as_object().ok_or_else(|| format!("statement {name}: `cosmos:` must be a mapping with `op` and `container`"))?;
    if let Some(bad) = map.keys().find(|k| !STATEMENT_FIELDS.contains(&k.as_str())) {
        let hint = did_you_mean(bad, STATEMENT_FIELDS.iter().copied());
        return Err(format!("statement {name}: unknown field `{bad}` in `cosmos:` (known: {}){hint}", STATEMENT_FIELDS.join(", ")));
    }
    let op = map.get("op").and_then(Value::as_str).ok_or_else(|| format!("statement {name}: `op` is required ({STATEMENT_OPS})"))?;
    if !STATEMENT_OPS.split(", ").any(|known| known == op) {
        return Err(format!("statement {name}: unknown op `{op}` (known: {STATEMENT_OPS}){}", did_you_mean(op, STATEMENT_OPS.split(", "))));
    }
    let container = map.get("container").and_then(Value::as_str).ok_or_else(|| format!("statement {name}: `container` is required"))?;
    let table = model.table_index(container).ok_or_else(|| {
        let hint = did_you_mean(container, model.tables.iter().map(|t| t.name.as_str()));
        format!("statement {name}: container `{container}` is not a table of the dataset (containers are named after its tables){hint}")
    })?;
    let f = Fields { map, templates, model, name, op };
    let partition_key = f.field("partition_key")?;
    let call = match op {
        "read_item" => Call::ReadItem { id: f.field("id")? },
        "upsert_item" => f.write(WriteMode::Upsert)?,
        "create_item" => f.write(WriteMode::Insert)?,
        "replace_item" => f.write(WriteMode::Update)?,
        "query" => f.query()?,
        other => return Err(format!("statement {name}: unknown op `{other}` (known: {STATEMENT_OPS})")),
    };
    Ok(Statement { table, partition_key, call })
}

/// A statement's `cosmos:` mapping while it is read.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    templates: &'a Templates,
    model: &'a DataModel,
    name: &'a str,
    op: &'a str,
}

impl Fields<'_> {
    fn tv(&self, v: &Value) -> Result<Tv, String> {
        Tv::from_json(self.templates, Kind::Cosmos, self.model, self.name, v)
    }

    /// A field the op needs, as a template value.
    fn field(&self, f: &str) -> Result<Tv, String> {
        let v = self.map.get(f).ok_or_else(|| format!("statement {}: {} needs `{f}`", self.name, self.op))?;
        self.tv(v)
    }

    /// create, upsert or replace: `id` and the item's properties (`id` and `pk` are benchplan's).
    fn write(&self, mode: WriteMode) -> Result<Call, String> {
        let item = match self.map.get("item") {
            None => Vec::new(),
            Some(Value::Object(m)) => m
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "id" | "pk"))
                .map(|(k, v)| Ok((k.clone(), self.tv(v)?)))
                .collect::<Result<_, String>>()?,
            Some(other) => return Err(format!("statement {}: `item` must be a mapping of properties, found {other}", self.name)),
        };
        Ok(Call::Write { id: self.field("id")?, item, mode })
    }

    /// A query: its text with keys bound as parameters and the partition
    /// filter added, and the user's parameters.
    fn query(&self) -> Result<Call, String> {
        let name = self.name;
        let src =
            self.map.get("query").and_then(Value::as_str).ok_or_else(|| format!("statement {name}: query needs `query`, the SQL text"))?;
        // Keys written in the text are bound as parameters, never pasted into it.
        let mut params: Vec<(String, Tv)> = Vec::new();
        let text = bind_keys(self.templates.render_parts(Kind::Cosmos, name, src, self.model).map_err(|e| e.0)?, '@', &mut params);
        match self.map.get("parameters") {
            None => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    let key = if k.starts_with('@') { k.clone() } else { format!("@{k}") };
                    if key == PK_PARAM {
                        return Err(format!("statement {name}: parameter {PK_PARAM} is benchplan's own (the partition key)"));
                    }
                    params.push((key, self.tv(v)?));
                }
            }
            Some(other) => return Err(format!("statement {name}: `parameters` must be a mapping of @name: value, found {other}")),
        }
        let text = with_pk_filter(&text).map_err(|e| format!("statement {name}: {e}"))?;
        Ok(Call::Query { text, params })
    }
}

/// The query `fetch: packed` sends per entity key in single_table layout.
pub(super) fn entity_query(n_tables: usize) -> String {
    if n_tables == 1 {
        format!("SELECT * FROM c WHERE c.pk = {PK_PARAM} AND c.id = @bp_t0")
    } else {
        let ids: Vec<String> = (0..n_tables).map(|i| format!("@bp_t{i}")).collect();
        format!("SELECT * FROM c WHERE c.pk = {PK_PARAM} AND c.id IN ({})", ids.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_queries_name_their_tables_by_parameter() {
        assert_eq!(entity_query(1), "SELECT * FROM c WHERE c.pk = @bp_pk AND c.id = @bp_t0");
        assert_eq!(entity_query(2), "SELECT * FROM c WHERE c.pk = @bp_pk AND c.id IN (@bp_t0, @bp_t1)");
    }
}
