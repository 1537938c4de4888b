//! Azure Cosmos DB for NoSQL through `azure_data_cosmos` (key auth, control
//! plane), over reqwest + rustls with ring: the TLS stack and crypto provider
//! sqlx and the AWS client use.
//!
//! Items: `id` = the entity key as text, partition key path `/pk` holding
//! the key (a number for int keys, a string otherwise), one property per
//! feature. `single_table` layout: one container, `pk` = the entity key and
//! `id` = the feature table's name, so an entity's tables share a logical
//! partition.
//!
//! Every response's request charge (`x-ms-request-charge`) is recorded per
//! request, failed attempts' too. The SDK's own 429 retries are off:
//! benchplan retries after the server's retry-after and counts every retry.
//! The SDK (1.0) has no read-many, so `fetch: packed` is point reads in
//! parallel (in `single_table` layout, one partition query per entity key).

mod support;
pub use support::CosmosKind;

use super::service::{
    self, bind_keys, error_chain, finish, gather, gather_legs, group_by_entity, load_in_calls, render_entries, with_retries, Failure,
    KeyEncoding, Leaf, Retry,
};
use super::{Backend, BackendError, Ctx, Done, Loaded};
use crate::dataset::{DataModel, FeatureValue, KeyValue};
use crate::scenario::model::{Consistency, CosmosConfig, CreateStep, FeatureType, Fetch, Kind, Layout, LoadStep, StatementOp, WriteMode};
use crate::stats::{ErrorKind, Legs, OpError, Usage};
use crate::template::Templates;
use crate::workload::{OpKind, OpSpec, Request};
use azure_data_cosmos::clients::{ContainerClient, DatabaseClient};
use azure_data_cosmos::diagnostics::DiagnosticsContext;
use azure_data_cosmos::models::{ContainerProperties, PartitionKeyDefinition};
use azure_data_cosmos::options::{
    BinaryEncodingOptions, ConnectionPoolOptions, CreateContainerOptions, CreateDatabaseOptions, OperationOptions, OperationOptionsBuilder,
    ReadConsistencyStrategy, ReadContainerOptions, Region, ServerCertificateValidation, ThrottlingRetryOptionsBuilder,
};
use azure_data_cosmos::{
    AccountEndpoint, AccountReference, CosmosClient, CosmosError, CosmosRuntime, FeedScope, PartitionKey, Query, RoutingStrategy,
};
use futures_util::future::join_all;
use futures_util::StreamExt;
use indicatif::ProgressBar;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

const DEFAULT_CONTAINER: &str = "features";
const DEFAULT_MAX_ATTEMPTS: u32 = 3;
const DEFAULT_BACKOFF: Duration = Duration::from_millis(25);
const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(1);
const DEFAULT_LOAD_WORKERS: u32 = 16;
/// A load retries a throttled upsert for this many times `max_attempts` attempts.
const LOAD_ATTEMPTS_FACTOR: u32 = 10;
/// The parameter that carries the partition key in every query.
const PK_PARAM: &str = "@bp_pk";

/// Container names, from the scenario alone (no connection).
#[derive(Debug, Clone)]
pub struct Names {
    pub layout: Layout,
    pub database: String,
    /// Per dataset table: its container (the one container in single_table layout).
    pub containers: Vec<String>,
    /// The containers to create, each once.
    pub physical: Vec<String>,
    /// Per dataset table: its index in `physical`.
    slot: Vec<usize>,
}

impl Names {
    pub fn new(c: &CosmosConfig, model: &DataModel) -> Self {
        let prefix = c.container_prefix.as_deref().unwrap_or("");
        let layout = c.layout.unwrap_or_default();
        let containers: Vec<String> = match layout {
            Layout::TablePerTable => model.tables.iter().map(|t| format!("{prefix}{}", t.name)).collect(),
            Layout::SingleTable => {
                let one = format!("{prefix}{}", c.container.as_deref().unwrap_or(DEFAULT_CONTAINER));
                vec![one; model.tables.len()]
            }
        };
        let mut physical: Vec<String> = Vec::new();
        let mut slot = Vec::with_capacity(containers.len());
        for name in &containers {
            match physical.iter().position(|p| p == name) {
                Some(i) => slot.push(i),
                None => {
                    slot.push(physical.len());
                    physical.push(name.clone());
                }
            }
        }
        Names { layout, database: c.database.clone(), containers, physical, slot }
    }

    pub fn single(&self) -> bool {
        self.layout == Layout::SingleTable
    }
}

/// Items and keys of the data model as Cosmos DB JSON.
pub struct Codec<'a> {
    pub model: &'a DataModel,
    pub names: &'a Names,
}

impl Codec<'_> {
    /// Key `idx` of an entity as the `pk` property holds it.
    pub fn pk_json(&self, entity: usize, idx: u64) -> Value {
        key_json(self.model.entities[entity].key(idx))
    }

    /// Key `idx` of an entity as a partition key.
    pub fn partition_key(&self, entity: usize, idx: u64) -> PartitionKey {
        match self.model.entities[entity].key(idx) {
            KeyValue::Int(i) => PartitionKey::from(i),
            KeyValue::Str(s) => PartitionKey::from(s),
        }
    }

    /// The `id` of row `idx` of dataset table `t`.
    pub fn id(&self, t: usize, idx: u64) -> String {
        let tm = &self.model.tables[t];
        if self.names.single() {
            tm.name.clone()
        } else {
            self.model.entities[tm.entity].key(idx).to_string()
        }
    }

    /// Row `idx` of table `t` at `version` (0 = as loaded).
    pub fn item(&self, t: usize, idx: u64, version: u64) -> Value {
        let tm = &self.model.tables[t];
        let mut m = Map::with_capacity(tm.columns.len() + 2);
        m.insert("id".into(), Value::String(self.id(t, idx)));
        m.insert("pk".into(), self.pk_json(tm.entity, idx));
        for (c, col) in tm.columns.iter().enumerate() {
            m.insert(col.name.clone(), encode_value(tm.value(idx, c, version)));
        }
        Value::Object(m)
    }

    /// The feature values of an item, in column order.
    pub fn decode(&self, t: usize, item: &Value) -> Result<Vec<FeatureValue>, String> {
        let tm = &self.model.tables[t];
        tm.columns
            .iter()
            .map(|col| {
                let v = item.get(&col.name).ok_or_else(|| format!("{}: item without property {}", tm.name, col.name))?;
                decode_value(col.ty, v).ok_or_else(|| format!("{}.{}: cannot read {v} as {}", tm.name, col.name, col.ty.as_str()))
            })
            .collect()
    }
}

fn key_json(k: KeyValue) -> Value {
    match k {
        KeyValue::Int(i) => Value::from(i),
        KeyValue::Str(s) => Value::String(s),
    }
}

pub fn encode_value(v: FeatureValue) -> Value {
    match v {
        FeatureValue::Float(f) => Value::from(f),
        FeatureValue::Int(i) => Value::from(i),
        FeatureValue::Str(s) => Value::String(s),
        FeatureValue::Bool(b) => Value::Bool(b),
    }
}

pub fn decode_value(ty: FeatureType, v: &Value) -> Option<FeatureValue> {
    match (ty, v) {
        (FeatureType::Float, Value::Number(n)) => n.as_f64().map(FeatureValue::Float),
        (FeatureType::Int, Value::Number(n)) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)).map(FeatureValue::Int)
        }
        (FeatureType::String, Value::String(s)) => Some(FeatureValue::Str(s.clone())),
        (FeatureType::Bool, Value::Bool(b)) => Some(FeatureValue::Bool(*b)),
        _ => None,
    }
}

/// A partition key from a rendered JSON value.
fn pk_of(v: &Value) -> Result<PartitionKey, String> {
    match v {
        Value::String(s) => Ok(PartitionKey::from(s.clone())),
        Value::Bool(b) => Ok(PartitionKey::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Ok(PartitionKey::from(i)),
            None => {
                n.as_f64().and_then(|f| PartitionKey::try_from(f).ok()).ok_or_else(|| format!("partition key {n} is not a finite number"))
            }
        },
        other => Err(format!("a partition key must be a string, number or boolean, found {other}")),
    }
}

/// A value of a statement template, rendered as JSON.
type Tv = service::Tv<Value>;

impl Leaf for Value {
    fn text(s: String) -> Self {
        Value::String(s)
    }

    fn list(items: impl Iterator<Item = Self>) -> Self {
        Value::Array(items.collect())
    }

    fn map(entries: impl Iterator<Item = (String, Self)>) -> Self {
        Value::Object(entries.collect())
    }

    fn literal(v: &Value) -> Self {
        v.clone()
    }
}

impl KeyEncoding for Codec<'_> {
    type Leaf = Value;

    fn model(&self) -> &DataModel {
        self.model
    }

    fn key(&self, entity: usize, idx: u64) -> Value {
        self.pk_json(entity, idx)
    }
}

/// An `id`: always text.
fn render_id(id: &Tv, codec: &Codec<'_>, req: &Request) -> String {
    match id.render(codec, req) {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// A custom statement's call.
#[derive(Debug, Clone)]
enum Call {
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
    table: usize,
    partition_key: Tv,
    call: Call,
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
    })
}

fn tv(templates: &Templates, model: &DataModel, name: &str, v: &Value) -> Result<Tv, String> {
    Tv::from_json(templates, Kind::Cosmos, model, name, v)
}

fn prepare_statement(model: &DataModel, templates: &Templates, name: &str, tpl: &Value) -> Result<Statement, String> {
    let map = tpl.as_object().ok_or_else(|| format!("statement {name}: `cosmos:` must be a mapping with `op` and `container`"))?;
    if let Some(bad) = map.keys().find(|k| !STATEMENT_FIELDS.contains(&k.as_str())) {
        return Err(format!("statement {name}: unknown field `{bad}` in `cosmos:` (known: {})", STATEMENT_FIELDS.join(", ")));
    }
    let op = map.get("op").and_then(Value::as_str).ok_or_else(|| format!("statement {name}: `op` is required ({STATEMENT_OPS})"))?;
    if !STATEMENT_OPS.split(", ").any(|known| known == op) {
        return Err(format!("statement {name}: unknown op `{op}` (known: {STATEMENT_OPS})"));
    }
    let container = map.get("container").and_then(Value::as_str).ok_or_else(|| format!("statement {name}: `container` is required"))?;
    let table = model.table_index(container).ok_or_else(|| {
        format!("statement {name}: container `{container}` is not a table of the dataset (containers are named after its tables)")
    })?;
    let field = |f: &str| -> Result<Tv, String> {
        let v = map.get(f).ok_or_else(|| format!("statement {name}: {op} needs `{f}`"))?;
        tv(templates, model, name, v)
    };
    let partition_key = field("partition_key")?;
    let write = |mode| -> Result<Call, String> {
        let item = match map.get("item") {
            None => Vec::new(),
            Some(Value::Object(m)) => m
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "id" | "pk"))
                .map(|(k, v)| Ok((k.clone(), tv(templates, model, name, v)?)))
                .collect::<Result<_, String>>()?,
            Some(other) => return Err(format!("statement {name}: `item` must be a mapping of properties, found {other}")),
        };
        Ok(Call::Write { id: field("id")?, item, mode })
    };
    let call = match op {
        "read_item" => Call::ReadItem { id: field("id")? },
        "upsert_item" => write(WriteMode::Upsert)?,
        "create_item" => write(WriteMode::Insert)?,
        "replace_item" => write(WriteMode::Update)?,
        "query" => {
            let src =
                map.get("query").and_then(Value::as_str).ok_or_else(|| format!("statement {name}: query needs `query`, the SQL text"))?;
            // Keys written in the text are bound as parameters, never pasted into it.
            let mut params: Vec<(String, Tv)> = Vec::new();
            let text = bind_keys(templates.render_parts(Kind::Cosmos, name, src, model).map_err(|e| e.0)?, '@', &mut params);
            match map.get("parameters") {
                None => {}
                Some(Value::Object(m)) => {
                    for (k, v) in m {
                        let key = if k.starts_with('@') { k.clone() } else { format!("@{k}") };
                        if key == PK_PARAM {
                            return Err(format!("statement {name}: parameter {PK_PARAM} is benchplan's own (the partition key)"));
                        }
                        params.push((key, tv(templates, model, name, v)?));
                    }
                }
                Some(other) => return Err(format!("statement {name}: `parameters` must be a mapping of @name: value, found {other}")),
            }
            let text = with_pk_filter(&text).map_err(|e| format!("statement {name}: {e}"))?;
            Call::Query { text, params }
        }
        other => return Err(format!("statement {name}: unknown op `{other}` (known: {STATEMENT_OPS})")),
    };
    Ok(Statement { table, partition_key, call })
}

/// Finds `word` (ASCII, case-insensitive) as a whole word from byte `from`,
/// outside string literals (with `\\` escapes) and outside parentheses
/// (subqueries, function calls), so only the outer query's clauses match.
fn find_word(sql: &str, word: &str, from: usize) -> Option<usize> {
    let b = sql.as_bytes();
    let w = word.as_bytes();
    let mut quote: Option<u8> = None;
    let mut depth = 0usize;
    let mut i = from;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(_) if c == b'\\' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None if c == b'(' || c == b'[' => depth += 1,
            None if c == b')' || c == b']' => depth = depth.saturating_sub(1),
            None if depth == 0 => {
                let word_char = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
                let end = i + w.len();
                if (i == 0 || !word_char(b[i - 1]))
                    && end <= b.len()
                    && b[i..end].eq_ignore_ascii_case(w)
                    && (end == b.len() || !word_char(b[end]))
                {
                    return Some(i);
                }
            }
            None => {}
        }
        i += 1;
    }
    None
}

/// The query with `<alias>.pk = @bp_pk` added to its WHERE clause (the
/// user's condition kept whole, in parentheses), so that it filters on the
/// partition key in its text as well as in its options. The query must
/// select from the container itself (`FROM c`, `FROM root r`, `FROM c AS d`):
/// with `FROM c.children ch` or `FROM x IN c.tags` the alias would not be the
/// item, so it is refused rather than given a filter that matches nothing.
pub fn with_pk_filter(sql: &str) -> Result<String, String> {
    let from = find_word(sql, "FROM", 0).ok_or("expected a query with FROM (e.g. SELECT * FROM c WHERE ...)")?;
    let rest = &sql[from + 4..];
    let mut words = rest.split_whitespace();
    let source = words.next().ok_or("expected a container alias after FROM")?;
    let simple = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let clause = |w: &str| ["WHERE", "ORDER", "GROUP", "OFFSET", "JOIN"].iter().any(|k| w.eq_ignore_ascii_case(k));
    let alias = match words.next() {
        Some(w) if w.eq_ignore_ascii_case("AS") => words.next().ok_or("expected an alias after AS")?,
        Some(w) if w.eq_ignore_ascii_case("IN") => {
            return Err(format!(
                "`FROM {source} IN ...` iterates inside items; select from the container itself (e.g. `FROM c`) and use JOIN"
            ))
        }
        Some(w) if !clause(w) => w,
        _ => source,
    };
    if !simple(source) || !simple(alias) || clause(alias) {
        return Err(format!(
            "expected `FROM <container alias>` (e.g. `FROM c`), found `FROM {source}`: the partition filter `<alias>.pk` needs the item itself"
        ));
    }
    let filter = format!("{alias}.pk = {PK_PARAM}");
    let tail_at = |start: usize| ["ORDER", "GROUP", "OFFSET"].iter().filter_map(|k| find_word(sql, k, start)).min().unwrap_or(sql.len());
    // (head, condition, tail): the condition goes between WHERE and ORDER/GROUP/OFFSET.
    let (head, cond, end) = match find_word(sql, "WHERE", from) {
        Some(w) => {
            let end = tail_at(w + 5);
            (&sql[..w], format!("{filter} AND ({})", sql[w + 5..end].trim()), end)
        }
        None => {
            let end = tail_at(from);
            (&sql[..end], filter, end)
        }
    };
    let mut out = format!("{} WHERE {cond}", head.trim_end());
    let tail = sql[end..].trim();
    if !tail.is_empty() {
        out.push(' ');
        out.push_str(tail);
    }
    Ok(out)
}

/// The query `fetch: packed` sends per entity key in single_table layout.
fn entity_query(n_tables: usize) -> String {
    if n_tables == 1 {
        format!("SELECT * FROM c WHERE c.pk = {PK_PARAM} AND c.id = @bp_t0")
    } else {
        let ids: Vec<String> = (0..n_tables).map(|i| format!("@bp_t{i}")).collect();
        format!("SELECT * FROM c WHERE c.pk = {PK_PARAM} AND c.id IN ({})", ids.join(", "))
    }
}

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
            let call = match mode {
                WriteMode::Insert => "create_item",
                WriteMode::Upsert => "upsert_item",
                WriteMode::Update => "replace_item",
            };
            format!("{call} x {} at once on {}{}; request charge recorded", tables.len() * k, on(tables), ids(tables))
        }
        CosmosOp::Statement(s) => {
            let c = &names.containers[s.table];
            match &s.call {
                Call::ReadItem { .. } => format!("read_item on {c}, id and partition key from the request's keys"),
                Call::Query { text, params } => {
                    let p: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).chain([PK_PARAM]).collect();
                    format!("query on {c}, scoped to the partition: {text} (parameters {})", p.join(", "))
                }
                Call::Write { mode, .. } => {
                    let call = match mode {
                        WriteMode::Insert => "create_item",
                        WriteMode::Upsert => "upsert_item",
                        WriteMode::Update => "replace_item",
                    };
                    format!("{call} on {c}, id and partition key from the request's keys")
                }
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
    out
}

/// What one SDK operation cost: the charge of every attempt it made (the
/// driver retries some failures itself: 410, 449, 503, broken connections)
/// and how many attempts it made beyond its first.
fn op_usage(d: &DiagnosticsContext) -> (f64, u64) {
    (f64::from(d.total_request_charge()), d.request_count().saturating_sub(1) as u64)
}

/// How a failed call is treated.
fn classify(e: &CosmosError) -> Failure {
    let st = e.status();
    let code = u16::from(st.status_code());
    let sub = st.sub_status().map(|s| s.value()).unwrap_or(0);
    let headers = e.response().map(|r| r.headers());
    let (charge, inner_retries) = match e.diagnostics() {
        Some(d) => op_usage(&d),
        None => (headers.and_then(|h| h.request_charge).map(f64::from).unwrap_or(0.0), 0),
    };
    let retry_after = headers.and_then(|h| h.retry_after_ms).map(Duration::from_millis);
    let message = error_chain(e);
    let mut f = if st.is_throttled() {
        Failure { retry_after, ..Failure::throttled(format!("429 request rate too large: {message}")) }
    } else if code == 401 || (code == 403 && sub != 3) {
        Failure::fatal(ErrorKind::Other, format!("key rejected ({code}): check `key:` (the account's primary or secondary key): {message}"))
    } else if code == 404 && sub == 1002 {
        // Read-session not available: transient.
        Failure::new(ErrorKind::NotFound, true, format!("404/1002 session not yet available: {message}"))
    } else if code == 404 && sub == 0 {
        // A missing item.
        Failure::new(ErrorKind::NotFound, false, format!("404 not found: {message}"))
    } else if code == 404 {
        // Its owner is missing (1003: the container or the database): nothing can succeed.
        Failure::fatal(
            ErrorKind::NotFound,
            format!("404/{sub} not found: {message} (does the container exist? run the `create` and `load` setup steps first)"),
        )
    } else if st.is_conflict() || st.is_precondition_failed() || st.is_bad_request() || code == 413 {
        Failure::new(ErrorKind::Query, false, format!("{code}: {message}"))
    } else if st.is_timeout() || code == 408 {
        Failure::new(ErrorKind::Timeout, true, format!("timed out: {message}"))
    } else if e.response().is_none() || st.is_service_unavailable() || st.is_transient() || st.is_gone() || code >= 500 {
        Failure::new(ErrorKind::Connection, true, format!("cannot reach the account: {message}"))
    } else {
        Failure::new(ErrorKind::Other, false, format!("{code}: {message}"))
    };
    f.charge = charge;
    f.inner_retries = inner_retries;
    f
}

/// Whether a failed point read found no item (a 404 without substatus),
/// rather than no container or database.
fn item_not_found(e: &OpError) -> bool {
    e.kind == ErrorKind::NotFound && !e.fatal && e.message.starts_with("404 not found")
}

/// The client a scenario configures: rustls with ring, HTTP/1 and text
/// JSON for emulators, the SDK's 429 retries off.
pub async fn client(c: &CosmosConfig) -> Result<CosmosClient, String> {
    // COSMOS_DISABLE_IMDS is set at start-up (lib.rs), before any thread runs.
    // reqwest is built without a provider: use ring, as sqlx and the AWS client do.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let endpoint_text = c.endpoint.trim();
    let endpoint = AccountEndpoint::from_str(endpoint_text).map_err(|e| format!("`endpoint` is not a URL: {e}"))?;
    let local = crate::net::emulator_host(endpoint_text);
    if endpoint_text.starts_with("http://") && !local {
        return Err(format!("plain http:// is only for a local emulator ({}); use https://", crate::net::EMULATOR_HOSTS.join(", ")));
    }
    // Plain HTTP can only be a local emulator: treat it as one.
    let emulator = emulator_mode(c);
    // Set explicitly, whatever AZURE_COSMOS_* variables say: certificates are
    // verified except for an emulator on loopback, HTTP/2 only off for emulators.
    let relax = emulator && local;
    let mut pool = ConnectionPoolOptions::builder().with_is_http2_allowed(!emulator).with_server_certificate_validation(if relax {
        // The SDK relaxes the check only for emulator hosts (loopback).
        ServerCertificateValidation::RequiredUnlessEmulator
    } else {
        ServerCertificateValidation::Required
    });
    if emulator {
        pool = pool.with_gateway_v2_disabled(true);
    }
    let pool = pool.build().map_err(|e| format!("connection options: {e}"))?;
    let runtime = CosmosRuntime::builder().with_connection_pool(pool).build().await.map_err(|e| format!("client runtime: {e}"))?;
    let mut ops = OperationOptionsBuilder::new()
        // benchplan retries 429s itself, so that every one is counted.
        .with_throttling_retry_options(ThrottlingRetryOptionsBuilder::new().with_max_retry_count(0).build());
    if let Some(level) = &c.consistency {
        ops = ops.with_read_consistency_strategy(consistency(*level));
    }
    let mut builder = CosmosClient::builder().with_runtime(runtime).with_default_operation_options(ops.build());
    if emulator {
        builder = builder.with_binary_encoding_options(BinaryEncodingOptions::new().with_enabled(false));
    }
    let routing = RoutingStrategy::PreferredRegions(c.preferred_regions.iter().map(|r| Region::new(r.clone())).collect());
    let account = AccountReference::with_authentication_key(endpoint, c.key.clone());
    builder.build(account, routing).await.map_err(|e| classify(&e).message)
}

/// `emulator: true`, or a plain-HTTP endpoint (only a local emulator speaks it).
pub fn emulator_mode(c: &CosmosConfig) -> bool {
    c.emulator || c.endpoint.trim().starts_with("http://")
}

fn consistency(level: Consistency) -> ReadConsistencyStrategy {
    match level {
        Consistency::Eventual => ReadConsistencyStrategy::Eventual,
        Consistency::Session => ReadConsistencyStrategy::Session,
        Consistency::LatestCommitted => ReadConsistencyStrategy::LatestCommitted,
        Consistency::GlobalStrong => ReadConsistencyStrategy::GlobalStrong,
    }
}

pub struct CosmosBackend {
    client: CosmosClient,
    db: DatabaseClient,
    names: Names,
    model: Arc<DataModel>,
    retry: Retry,
    config: CosmosConfig,
    /// Container clients, resolved on first use. Setup runs `create` before
    /// any data call, so a container is not recreated after its client was
    /// resolved within one run.
    containers: Vec<OnceCell<ContainerClient>>,
}

impl CosmosBackend {
    pub async fn connect(c: &CosmosConfig, ctx: &Ctx<'_>) -> Result<Self, BackendError> {
        let client =
            client(c).await.map_err(|e| BackendError(format!("{}: cannot use Cosmos DB at {}: {e}", ctx.name, c.endpoint.trim())))?;
        let names = Names::new(c, ctx.model);
        let db = client.database_client(names.database.as_str());
        let containers = names.physical.iter().map(|_| OnceCell::new()).collect();
        Ok(CosmosBackend {
            client,
            db,
            names,
            model: Arc::new(ctx.model.clone()),
            retry: Retry {
                max_attempts: c.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1),
                base: c.backoff.map(|d| d.0).unwrap_or(DEFAULT_BACKOFF),
                max: c.max_backoff.map(|d| d.0).unwrap_or(DEFAULT_MAX_BACKOFF),
            },
            config: c.clone(),
            containers,
        })
    }

    fn codec(&self) -> Codec<'_> {
        Codec { model: &self.model, names: &self.names }
    }

    /// The container of dataset table `t`.
    async fn container(&self, t: usize) -> Result<&ContainerClient, OpError> {
        let slot = self.names.slot[t];
        let name = &self.names.physical[slot];
        self.containers[slot]
            .get_or_try_init(|| async {
                self.db.container_client(name.as_str(), None).await.map_err(|e| {
                    let f = classify(&e);
                    let mut err = OpError::new(f.kind, format!("container {name} in database {}: {}", self.names.database, f.message));
                    // A missing container or database, or a rejected key: no request can succeed.
                    let missing = f.kind == ErrorKind::NotFound && !f.retry;
                    err.fatal = f.fatal || missing;
                    if missing {
                        err.message.push_str(" (does the container exist? run the `create` and `load` setup steps first)");
                    }
                    err
                })
            })
            .await
    }

    async fn call<T, F, Fut>(&self, usage: &mut Usage, attempts: u32, call: F) -> Result<T, OpError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CosmosError>>,
    {
        with_retries(&self.retry, usage, attempts, call, classify).await
    }

    /// A point read; 1 row when the item exists (a 404 is no row, not an error).
    async fn read_item(&self, usage: &mut Usage, t: usize, pk: PartitionKey, id: &str) -> Result<u32, OpError> {
        let c = self.container(t).await?;
        let r = self.call(usage, self.retry.max_attempts, || c.read_item(pk.clone(), id, None)).await;
        match r {
            Ok(resp) => {
                add_op(usage, &resp.diagnostics());
                Ok(1)
            }
            Err(e) if item_not_found(&e) => {
                // with_retries added the 404's charge already.
                *usage = e.usage;
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }

    /// create (insert), upsert or replace (update) of one item.
    async fn write_item(
        &self,
        usage: &mut Usage,
        t: usize,
        (pk, id): (PartitionKey, &str),
        item: &Value,
        mode: WriteMode,
        attempts: u32,
    ) -> Result<u32, OpError> {
        let c = self.container(t).await?;
        let resp = self
            .call(usage, attempts, || {
                let pk = pk.clone();
                async move {
                    match mode {
                        WriteMode::Insert => c.create_item(pk, id, item, None).await,
                        WriteMode::Upsert => c.upsert_item(pk, id, item, None).await,
                        WriteMode::Update => c.replace_item(pk, id, item, None).await,
                    }
                }
            })
            .await?;
        add_op(usage, &resp.diagnostics());
        Ok(1)
    }

    /// A partition-scoped query: every page's charge recorded; returns the items.
    async fn query(&self, usage: &mut Usage, t: usize, pk: PartitionKey, q: Query) -> Result<Vec<Value>, OpError> {
        let c = self.container(t).await?;
        let attempts = self.retry.max_attempts;
        // The charges of the pages that arrived, in every attempt (f64 bits;
        // one request's attempts run one after another). A page that fails
        // (429) restarts the query: pages are small here.
        let pages_ru = AtomicU64::new(0f64.to_bits());
        let inner = AtomicU64::new(0);
        let add = |(ru, retries): (f64, u64)| {
            pages_ru.store((f64::from_bits(pages_ru.load(Ordering::Relaxed)) + ru).to_bits(), Ordering::Relaxed);
            inner.fetch_add(retries, Ordering::Relaxed);
        };
        let r = self
            .call(usage, attempts, || {
                let (q, pk, add) = (q.clone(), pk.clone(), &add);
                async move {
                    let mut pages = c.query_items::<Value>(q, FeedScope::partition(pk), None).await?.into_pages();
                    let mut items = Vec::new();
                    while let Some(page) = pages.next().await {
                        let page = page?;
                        add(op_usage(&page.diagnostics()));
                        items.extend(page.into_items());
                    }
                    Ok(items)
                }
            })
            .await;
        usage.request_units += f64::from_bits(pages_ru.load(Ordering::Relaxed));
        usage.retries += inner.load(Ordering::Relaxed);
        r.map_err(|mut e| {
            e.usage = *usage;
            e
        })
    }

    async fn run_statement(&self, usage: &mut Usage, s: &Statement, req: &Request) -> Result<u32, OpError> {
        let codec = self.codec();
        let pk_json = s.partition_key.render(&codec, req);
        let pk = pk_of(&pk_json).map_err(|e| OpError::new(ErrorKind::Query, e))?;
        match &s.call {
            Call::ReadItem { id } => self.read_item(usage, s.table, pk, &render_id(id, &codec, req)).await,
            Call::Write { id, item, mode } => {
                let id = render_id(id, &codec, req);
                let mut m = Map::with_capacity(item.len() + 2);
                m.insert("id".into(), Value::String(id.clone()));
                m.insert("pk".into(), pk_json);
                m.extend(render_entries(item, &codec, req));
                self.write_item(usage, s.table, (pk, &id), &Value::Object(m), *mode, self.retry.max_attempts).await
            }
            Call::Query { text, params } => {
                let mut q = Query::from(text.as_str())
                    .with_parameter(PK_PARAM, &pk_json)
                    .map_err(|e| OpError::new(ErrorKind::Query, e.to_string()))?;
                for (k, v) in params {
                    q = q.with_parameter(k.as_str(), v.render(&codec, req)).map_err(|e| OpError::new(ErrorKind::Query, e.to_string()))?;
                }
                Ok(self.query(usage, s.table, pk, q).await?.len() as u32)
            }
        }
    }

    /// single_table: the requested tables of one entity key, in one query.
    async fn query_entity(&self, usage: &mut Usage, e: usize, idx: u64, tables: &[usize]) -> Result<u32, OpError> {
        let codec = self.codec();
        let mut q = Query::from(entity_query(tables.len()))
            .with_parameter(PK_PARAM, codec.pk_json(e, idx))
            .map_err(|e| OpError::new(ErrorKind::Query, e.to_string()))?;
        for (i, &t) in tables.iter().enumerate() {
            q = q
                .with_parameter(format!("@bp_t{i}"), &self.model.tables[t].name)
                .map_err(|e| OpError::new(ErrorKind::Query, e.to_string()))?;
        }
        Ok(self.query(usage, tables[0], codec.partition_key(e, idx), q).await?.len() as u32)
    }

    async fn create_database(&self) -> Result<(), BackendError> {
        let mut opts = CreateDatabaseOptions::default();
        if let (Some(t), false) = (self.config.throughput, self.config.serverless == Some(true)) {
            // The SDK has no typed option for database throughput: its REST header.
            let headers = std::collections::HashMap::from([("x-ms-offer-throughput".into(), t.to_string().into())]);
            let op: OperationOptions = OperationOptionsBuilder::new().with_custom_headers(headers).build();
            opts = opts.with_operation_options(op);
        }
        match self.client.create_database(&self.names.database, Some(opts)).await {
            Ok(_) => Ok(()),
            Err(e) if e.status().is_conflict() => Ok(()),
            Err(e) => Err(BackendError(format!("create database {}: {}", self.names.database, classify(&e).message))),
        }
    }

    async fn delete_container(&self, name: &str) -> Result<(), BackendError> {
        let c = match self.db.container_client(name, None).await {
            Ok(c) => c,
            Err(e) if e.status().is_not_found() => return Ok(()),
            Err(e) => return Err(BackendError(format!("container {name}: {}", classify(&e).message))),
        };
        match c.delete(None).await {
            Ok(_) => Ok(()),
            Err(e) if e.status().is_not_found() => Ok(()),
            Err(e) => Err(BackendError(format!("delete container {name}: {}", classify(&e).message))),
        }
    }
}

/// The container's size in KB from an `x-ms-resource-usage` header.
fn resource_usage_kb(header: &str) -> Option<u64> {
    let field = |name: &str| header.split(';').find_map(|kv| kv.trim().strip_prefix(name)?.strip_prefix('=')?.trim().parse::<u64>().ok());
    field("collectionSize").or_else(|| field("documentsSize"))
}

/// Adds one SDK operation's charge and inner retries to `usage`.
fn add_op(usage: &mut Usage, d: &DiagnosticsContext) {
    let (ru, retries) = op_usage(d);
    usage.request_units += ru;
    usage.retries += retries;
}

impl Backend for CosmosBackend {
    type Op = CosmosOp;
    type Session = ();

    fn session(&self) {}

    fn prepare(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<CosmosOp, BackendError> {
        prepare_op(&self.names, ctx.model, ctx.templates, op, statement).map_err(BackendError)
    }

    fn metered(&self) -> Option<super::Meter> {
        Some(super::Meter::RequestUnits)
    }

    async fn create(&self, _ctx: &Ctx<'_>, step: &CreateStep, bar: &ProgressBar) -> Result<(), BackendError> {
        let replace = step.replace.unwrap_or(true);
        bar.set_length(self.names.physical.len() as u64 + 1);
        self.create_database().await?;
        bar.inc(1);
        for name in &self.names.physical {
            if replace {
                self.delete_container(name).await?;
            }
            let props = ContainerProperties::new(name.clone(), PartitionKeyDefinition::new(vec!["/pk".into()]));
            match self.db.create_container(props, Some(CreateContainerOptions::default())).await {
                Ok(_) => {}
                Err(e) if !replace && e.status().is_conflict() => {}
                Err(e) => return Err(BackendError(format!("create container {name}: {}", classify(&e).message))),
            }
            bar.inc(1);
        }
        Ok(())
    }

    async fn load(&self, ctx: &Ctx<'_>, step: &LoadStep, bar: &ProgressBar) -> Result<Loaded, BackendError> {
        // One upsert a call: `workers` rows in flight across all tables.
        let workers = step.workers.unwrap_or(DEFAULT_LOAD_WORKERS);
        let attempts = self.retry.max_attempts.saturating_mul(LOAD_ATTEMPTS_FACTOR);
        let codec = self.codec();
        load_in_calls(ctx.model, 1, workers, bar, |t, idx, _| {
            let item = codec.item(t, idx, 0);
            let pk = codec.partition_key(self.model.tables[t].entity, idx);
            let id = codec.id(t, idx);
            async move {
                let mut usage = Usage::default();
                let n = self
                    .write_item(&mut usage, t, (pk, &id), &item, WriteMode::Upsert, attempts)
                    .await
                    .map_err(|e| format!("upsert into {} (row {idx}): {}", self.names.containers[t], e.message))?;
                Ok((n, usage))
            }
        })
        .await
    }

    async fn drop_tables(&self, _ctx: &Ctx<'_>, bar: &ProgressBar) -> Result<(), BackendError> {
        bar.set_length(self.names.physical.len() as u64);
        for name in &self.names.physical {
            self.delete_container(name).await?;
            bar.inc(1);
        }
        Ok(())
    }

    async fn execute<'a>(&'a self, _session: &'a mut (), op: &'a CosmosOp, req: &'a Request) -> Result<Done, OpError> {
        let mut usage = Usage::default();
        let mut legs = Legs::default();
        let codec = self.codec();
        let rows = match op {
            CosmosOp::Read { tables, k, parallel: false } => {
                let mut rows = 0;
                let mut r = Ok(());
                'all: for &t in tables {
                    let e = self.model.tables[t].entity;
                    for j in 0..*k {
                        let idx = req.key(e, j);
                        let t0 = std::time::Instant::now();
                        match self.read_item(&mut usage, t, codec.partition_key(e, idx), &codec.id(t, idx)).await {
                            Ok(n) => {
                                rows += n;
                                legs.leg(t, e, t0.elapsed().as_nanos() as u64, false);
                            }
                            Err(err) => {
                                r = Err(err);
                                break 'all;
                            }
                        }
                    }
                }
                r.map(|()| rows)
            }
            CosmosOp::Read { tables, k, parallel: true } => {
                let start = std::time::Instant::now();
                let calls = tables.iter().flat_map(|&t| (0..*k).map(move |j| (t, j))).map(|(t, j)| {
                    let e = self.model.tables[t].entity;
                    let idx = req.key(e, j);
                    let (pk, id) = (codec.partition_key(e, idx), codec.id(t, idx));
                    async move {
                        let mut u = Usage::default();
                        let r = self.read_item(&mut u, t, pk, &id).await;
                        (r.map(|n| (n, t, start.elapsed().as_nanos() as u64)), u)
                    }
                });
                gather_legs(&mut usage, &mut legs, &self.model, join_all(calls).await)
            }
            CosmosOp::Query { groups, k } => {
                let calls = groups.iter().flat_map(|(e, ts)| (0..*k).map(move |j| (*e, ts, j))).map(|(e, ts, j)| async move {
                    let mut u = Usage::default();
                    let r = self.query_entity(&mut u, e, req.key(e, j), ts).await;
                    (r, u)
                });
                gather(&mut usage, join_all(calls).await)
            }
            CosmosOp::Write { tables, k, mode } => {
                let calls = tables.iter().flat_map(|&t| (0..*k).map(move |j| (t, j))).map(|(t, j)| {
                    let e = self.model.tables[t].entity;
                    let idx = req.key(e, j);
                    let (pk, id, item) = (codec.partition_key(e, idx), codec.id(t, idx), codec.item(t, idx, req.version));
                    async move {
                        let mut u = Usage::default();
                        let r = self.write_item(&mut u, t, (pk, &id), &item, *mode, self.retry.max_attempts).await;
                        (r, u)
                    }
                });
                gather(&mut usage, join_all(calls).await)
            }
            CosmosOp::Statement(s) => self.run_statement(&mut usage, s, req).await,
        };
        finish(rows, usage, legs)
    }

    async fn data_bytes(&self) -> Option<u64> {
        // A container read with quota info carries `x-ms-resource-usage`:
        // `collectionSize` (data and index) or else `documentsSize`, in KB.
        let headers = std::collections::HashMap::from([("x-ms-documentdb-populatequotainfo".into(), "true".into())]);
        let op: OperationOptions = OperationOptionsBuilder::new().with_custom_headers(headers).build();
        let mut total = 0u64;
        for name in &self.names.physical {
            let c = self.db.container_client(name.as_str(), None).await.ok()?;
            let r = c.read(Some(ReadContainerOptions::default().with_operation_options(op.clone()))).await.ok()?;
            total += resource_usage_kb(r.headers().resource_usage()?)? * 1024;
        }
        Some(total)
    }

    async fn server_info(&self) -> BTreeMap<String, String> {
        let c = &self.config;
        let mut out = BTreeMap::new();
        out.insert("server".into(), format!("Cosmos DB for NoSQL at {}", c.endpoint.trim()));
        out.insert("database".into(), self.names.database.clone());
        let layout = match self.names.layout {
            Layout::TablePerTable => "table_per_table (a container per table, id = key)",
            Layout::SingleTable => "single_table (one container, id = table name)",
        };
        out.insert("layout".into(), layout.into());
        let throughput = match (c.serverless, c.throughput) {
            (Some(true), _) => "serverless".to_string(),
            (_, Some(t)) => format!("{t} RU/s shared by the database's containers"),
            _ => "not set by benchplan".to_string(),
        };
        out.insert("throughput".into(), throughput);
        out.insert("read_consistency".into(), c.consistency.map_or_else(|| "the account's default".to_string(), |l| l.as_str().to_string()));
        if !c.preferred_regions.is_empty() {
            out.insert("preferred_regions".into(), c.preferred_regions.join(", "));
        }
        let transport = if emulator_mode(c) { "HTTP/1.1, JSON text (emulator)" } else { "HTTP/2 where offered, binary encoding" };
        out.insert("transport".into(), transport.into());
        out.insert("packed_read".into(), "point reads in parallel (the SDK has no read-many)".into());
        out.insert(
            "retries".into(),
            format!(
                "{} attempts a call; 429 after the server's retry-after, else backoff {} doubling to {}, full jitter (SDK 429 retries off)",
                self.retry.max_attempts,
                humantime::format_duration(self.retry.base),
                humantime::format_duration(self.retry.max)
            ),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pk_filter_is_added_to_every_query() {
        let t = |s: &str| with_pk_filter(s).unwrap_or_else(|e| format!("ERR {e}"));
        assert_eq!(t("SELECT * FROM c"), "SELECT * FROM c WHERE c.pk = @bp_pk");
        assert_eq!(t("SELECT * FROM c WHERE c.f0 > 0.5 OR c.f1 < 2"), "SELECT * FROM c WHERE c.pk = @bp_pk AND (c.f0 > 0.5 OR c.f1 < 2)");
        assert_eq!(
            t("SELECT TOP 5 * FROM root r WHERE r.x = @x ORDER BY r._ts DESC"),
            "SELECT TOP 5 * FROM root r WHERE r.pk = @bp_pk AND (r.x = @x) ORDER BY r._ts DESC"
        );
        assert_eq!(
            t("select value count(1) from c as d order by d.x"),
            "select value count(1) from c as d WHERE d.pk = @bp_pk order by d.x"
        );
        // Words inside string literals (escapes included) and subqueries are not clauses.
        assert_eq!(t("SELECT * FROM c WHERE c.s = 'a where b'"), "SELECT * FROM c WHERE c.pk = @bp_pk AND (c.s = 'a where b')");
        assert_eq!(
            t(r"SELECT * FROM c WHERE c.n = 'O\'Brien order by' ORDER BY c.n"),
            r"SELECT * FROM c WHERE c.pk = @bp_pk AND (c.n = 'O\'Brien order by') ORDER BY c.n"
        );
        assert_eq!(
            t("SELECT c.id, ARRAY(SELECT VALUE t FROM t IN c.tags WHERE t > 1) AS x FROM c WHERE c.f0 > 0"),
            "SELECT c.id, ARRAY(SELECT VALUE t FROM t IN c.tags WHERE t > 1) AS x FROM c WHERE c.pk = @bp_pk AND (c.f0 > 0)"
        );
        assert_eq!(
            t("SELECT * FROM c JOIN t IN c.tags WHERE t = 'x'"),
            "SELECT * FROM c JOIN t IN c.tags WHERE c.pk = @bp_pk AND (t = 'x')"
        );
        // Aliases that are not the item are refused, not given a filter that matches nothing.
        assert!(t("SELECT * FROM c.children ch").starts_with("ERR"), "{}", t("SELECT * FROM c.children ch"));
        assert!(t("SELECT * FROM x IN c.tags").starts_with("ERR"));
        assert!(t("SELECT * FROM c[\"children\"]").starts_with("ERR"));
        assert!(t("SELECT 1").starts_with("ERR"));
    }

    #[test]
    fn values_round_trip_through_json() {
        for (ty, v) in [
            (FeatureType::Float, FeatureValue::Float(0.123456)),
            (FeatureType::Int, FeatureValue::Int(999_999)),
            (FeatureType::String, FeatureValue::Str("00ab".into())),
            (FeatureType::Bool, FeatureValue::Bool(true)),
        ] {
            assert_eq!(decode_value(ty, &encode_value(v.clone())), Some(v));
        }
        // A JavaScript server may write a whole float as 0.
        assert_eq!(decode_value(FeatureType::Float, &serde_json::json!(0)), Some(FeatureValue::Float(0.0)));
        assert_eq!(decode_value(FeatureType::Int, &serde_json::json!(3.0)), Some(FeatureValue::Int(3)));
        assert_eq!(decode_value(FeatureType::Int, &serde_json::json!("3")), None);
    }

    fn error(code: u16, sub: Option<u16>) -> CosmosError {
        let mut st = azure_data_cosmos::CosmosStatus::new(azure_core::http::StatusCode::from(code));
        if let Some(s) = sub {
            st = st.with_sub_status(s);
        }
        CosmosError::builder().with_status(st).with_message("from the test").build()
    }

    #[test]
    fn failures_are_classified_by_status_and_substatus() {
        let c = |code, sub| {
            let f = classify(&error(code, sub));
            (f.kind, f.retry, f.fatal, f.throttled)
        };
        assert_eq!(c(429, Some(3200)), (ErrorKind::Throttled, true, false, true));
        assert_eq!(c(404, None), (ErrorKind::NotFound, false, false, false), "a missing item");
        assert_eq!(c(404, Some(1003)), (ErrorKind::NotFound, false, true, false), "a missing container or database");
        assert_eq!(c(404, Some(1002)), (ErrorKind::NotFound, true, false, false), "session not yet available");
        assert_eq!(c(401, None), (ErrorKind::Other, false, true, false));
        assert_eq!(c(403, None), (ErrorKind::Other, false, true, false));
        assert_eq!(c(409, None), (ErrorKind::Query, false, false, false));
        assert!(c(503, None).1, "503 is retried");
        let missing_item = OpError::new(ErrorKind::NotFound, classify(&error(404, None)).message);
        assert!(item_not_found(&missing_item));
        let f = classify(&error(404, Some(1003)));
        let mut owner = OpError::new(f.kind, f.message);
        owner.fatal = f.fatal;
        assert!(!item_not_found(&owner));
    }

    #[test]
    fn resource_usage_gives_the_container_size() {
        assert_eq!(resource_usage_kb("documentSize=0;documentsSize=120;documentsCount=7;collectionSize=150"), Some(150));
        assert_eq!(resource_usage_kb("documentsSize=120;documentsCount=7"), Some(120));
        assert_eq!(resource_usage_kb("functions=0"), None);
    }

    #[test]
    fn entity_queries_name_their_tables_by_parameter() {
        assert_eq!(entity_query(1), "SELECT * FROM c WHERE c.pk = @bp_pk AND c.id = @bp_t0");
        assert_eq!(entity_query(2), "SELECT * FROM c WHERE c.pk = @bp_pk AND c.id IN (@bp_t0, @bp_t1)");
    }
}
