//! AWS DynamoDB (and compatible endpoints such as dynalite), through
//! `aws-sdk-dynamodb` over rustls with ring.
//!
//! Items: partition key `pk` (the table's key column) holding the entity key
//! (a Number for int keys, a String otherwise) and one attribute per feature.
//! `single_table` layout: one table, `pk` = the entity key as a String,
//! `sk` = the feature table's name.
//!
//! Every call asks for `ReturnConsumedCapacity: TOTAL` and the units are
//! recorded per request. The SDK's own retries are off: benchplan retries
//! (throttling, 5xx, broken connections) with exponential backoff and full
//! jitter, so that every retry is counted in the report.

mod support;
pub use support::DynamodbKind;

use super::service::{
    self, bind_keys, error_chain, finish, gather, gather_legs, group_by_entity, load_in_calls, render_entries, with_retries, Failure,
    KeyEncoding, Leaf, Retry,
};
use super::{Backend, BackendError, Ctx, Done, Loaded};
use crate::dataset::{DataModel, FeatureValue, KeyValue, TableModel};
use crate::scenario::model::{Billing, CreateStep, DynamodbConfig, Fetch, Kind, Layout, LoadStep, StatementOp, WriteMode};
use crate::stats::{ErrorKind, Legs, OpError, Usage};
use crate::template::Templates;
use crate::workload::{OpKind, OpSpec, Request};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConsumedCapacity, KeySchemaElement, KeyType, KeysAndAttributes,
    ProvisionedThroughput, PutRequest, ReturnConsumedCapacity, ScalarAttributeType, TableStatus, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use futures_util::future::join_all;
use indicatif::ProgressBar;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

type Item = HashMap<String, AttributeValue>;

/// BatchGetItem takes at most 100 keys a call, BatchWriteItem 25 items.
pub const BATCH_GET_MAX: usize = 100;
pub const BATCH_WRITE_MAX: usize = 25;
const DEFAULT_SINGLE_TABLE: &str = "features";
const DEFAULT_MAX_ATTEMPTS: u32 = 3;
const DEFAULT_BACKOFF: Duration = Duration::from_millis(25);
const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(1);
const DEFAULT_LOAD_WORKERS: u32 = 8;
/// A load retries unprocessed items for this many times `max_attempts` rounds.
const LOAD_ROUNDS_FACTOR: u32 = 10;
/// One attempt of one call gives up after this (phases also have their own `timeout`).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// Creating or deleting a table: how long to wait for it.
const TABLE_WAIT: Duration = Duration::from_secs(600);

/// Physical table names, from the scenario alone (no connection).
#[derive(Debug, Clone)]
pub struct Names {
    pub layout: Layout,
    /// Per dataset table: its DynamoDB table (the single table in single_table layout).
    pub tables: Vec<String>,
}

impl Names {
    pub fn new(c: &DynamodbConfig, model: &DataModel) -> Self {
        let prefix = c.table_prefix.as_deref().unwrap_or("");
        let layout = c.layout.unwrap_or_default();
        let tables = match layout {
            Layout::TablePerTable => model.tables.iter().map(|t| format!("{prefix}{}", t.name)).collect(),
            Layout::SingleTable => {
                let one = format!("{prefix}{}", c.table.as_deref().unwrap_or(DEFAULT_SINGLE_TABLE));
                vec![one; model.tables.len()]
            }
        };
        Names { layout, tables }
    }

    /// The DynamoDB tables to create, each once.
    pub fn physical(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in &self.tables {
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
        out
    }

    fn single(&self) -> bool {
        self.layout == Layout::SingleTable
    }
}

/// Items and keys of the data model as DynamoDB attribute values.
pub struct Codec<'a> {
    pub model: &'a DataModel,
    pub names: &'a Names,
}

impl Codec<'_> {
    /// The partition key attribute of a dataset table.
    pub fn pk_name<'m>(&self, t: &'m TableModel) -> &'m str {
        if self.names.single() {
            "pk"
        } else {
            &t.key_column
        }
    }

    /// Key `idx` of an entity, typed as the table stores it.
    pub fn key_value(&self, entity: usize, idx: u64) -> AttributeValue {
        match self.model.entities[entity].key(idx) {
            KeyValue::Int(i) if !self.names.single() => AttributeValue::N(i.to_string()),
            other => AttributeValue::S(other.to_string()),
        }
    }

    /// The primary key of row `idx` of dataset table `t`.
    pub fn key(&self, t: usize, idx: u64) -> Item {
        let tm = &self.model.tables[t];
        let mut m = HashMap::with_capacity(2);
        m.insert(self.pk_name(tm).to_string(), self.key_value(tm.entity, idx));
        if self.names.single() {
            m.insert("sk".to_string(), AttributeValue::S(tm.name.clone()));
        }
        m
    }

    /// Row `idx` of table `t` at `version` (0 = as loaded).
    pub fn item(&self, t: usize, idx: u64, version: u64) -> Item {
        let tm = &self.model.tables[t];
        let mut m = self.key(t, idx);
        m.reserve(tm.columns.len());
        for (c, col) in tm.columns.iter().enumerate() {
            m.insert(col.name.clone(), encode_value(tm.value(idx, c, version)));
        }
        m
    }

    /// The feature values of an item, in column order.
    pub fn decode(&self, t: usize, item: &Item) -> Result<Vec<FeatureValue>, String> {
        let tm = &self.model.tables[t];
        tm.columns
            .iter()
            .map(|col| {
                let v = item.get(&col.name).ok_or_else(|| format!("{}: item without attribute {}", tm.name, col.name))?;
                decode_value(col.ty, v).ok_or_else(|| format!("{}.{}: cannot read {v:?} as {}", tm.name, col.name, col.ty.as_str()))
            })
            .collect()
    }
}

pub fn encode_value(v: FeatureValue) -> AttributeValue {
    match v {
        FeatureValue::Float(f) => AttributeValue::N(f.to_string()),
        FeatureValue::Int(i) => AttributeValue::N(i.to_string()),
        FeatureValue::Str(s) => AttributeValue::S(s),
        FeatureValue::Bool(b) => AttributeValue::Bool(b),
    }
}

pub fn decode_value(ty: crate::scenario::model::FeatureType, v: &AttributeValue) -> Option<FeatureValue> {
    use crate::scenario::model::FeatureType as T;
    match (ty, v) {
        (T::Float, AttributeValue::N(n)) => n.parse().ok().map(FeatureValue::Float),
        (T::Int, AttributeValue::N(n)) => n.parse().ok().map(FeatureValue::Int),
        (T::String, AttributeValue::S(s)) => Some(FeatureValue::Str(s.clone())),
        (T::Bool, AttributeValue::Bool(b)) => Some(FeatureValue::Bool(*b)),
        _ => None,
    }
}

/// A value of a statement template, rendered as an AttributeValue.
type Tv = service::Tv<AttributeValue>;
type TMap = service::TMap<AttributeValue>;

impl Leaf for AttributeValue {
    fn text(s: String) -> Self {
        AttributeValue::S(s)
    }

    fn list(items: impl Iterator<Item = Self>) -> Self {
        AttributeValue::L(items.collect())
    }

    fn map(entries: impl Iterator<Item = (String, Self)>) -> Self {
        AttributeValue::M(entries.collect())
    }

    fn literal(v: &Value) -> Self {
        match v {
            Value::Number(n) => AttributeValue::N(n.to_string()),
            Value::Bool(b) => AttributeValue::Bool(*b),
            // Null (strings, lists and mappings are never literals).
            _ => AttributeValue::Null(true),
        }
    }
}

impl KeyEncoding for Codec<'_> {
    type Leaf = AttributeValue;

    fn model(&self) -> &DataModel {
        self.model
    }

    fn key(&self, entity: usize, idx: u64) -> AttributeValue {
        self.key_value(entity, idx)
    }
}

fn render_map(m: &TMap, codec: &Codec<'_>, req: &Request) -> Item {
    render_entries(m, codec, req).collect()
}

/// A custom statement's call.
#[derive(Debug, Clone)]
enum Call {
    GetItem { key: TMap },
    Query { key_condition: String, filter: Option<String>, limit: Option<i32> },
    PutItem { item: TMap },
    UpdateItem { key: TMap, update: String },
    BatchGetItem { keys: Vec<TMap> },
}

#[derive(Debug, Clone)]
pub struct Statement {
    table: String,
    /// The dataset table (for `sk` in single_table layout).
    dataset_table: usize,
    call: Call,
    values: TMap,
    names: Vec<(String, String)>,
    /// Expressions hold no values: a key written in one is bound as `:bp_<entity>_<j>`.
    condition: Option<String>,
    projection: Option<String>,
    consistent: Option<bool>,
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
    })
}

fn prepare_statement(names: &Names, model: &DataModel, templates: &Templates, name: &str, tpl: &Value) -> Result<Statement, String> {
    let map = tpl.as_object().ok_or_else(|| format!("statement {name}: `dynamodb:` must be a mapping with `op` and `table`"))?;
    if let Some(bad) = map.keys().find(|k| !STATEMENT_FIELDS.contains(&k.as_str())) {
        return Err(format!("statement {name}: unknown field `{bad}` in `dynamodb:` (known: {})", STATEMENT_FIELDS.join(", ")));
    }
    // Keys written in an expression are bound as values, never pasted into it.
    let bound: std::cell::RefCell<TMap> = std::cell::RefCell::new(Vec::new());
    let text = |field: &str| -> Result<Option<String>, String> {
        match map.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let parts = templates.render_parts(Kind::Dynamodb, name, s, model).map_err(|e| e.0)?;
                Ok(Some(bind_keys(parts, ':', &mut bound.borrow_mut())))
            }
            Some(other) => Err(format!("statement {name}: `{field}` must be a string, found {other}")),
        }
    };
    let need_text = |field: &str| -> Result<String, String> {
        text(field)?.ok_or_else(|| format!("statement {name}: `{field}` is required for this op"))
    };
    let tv_map = |field: &str| -> Result<Option<TMap>, String> {
        match map.get(field) {
            None => Ok(None),
            Some(Value::Object(m)) => {
                m.iter().map(|(k, v)| Ok((k.clone(), tv(templates, model, name, v)?))).collect::<Result<TMap, String>>().map(Some)
            }
            Some(other) => Err(format!("statement {name}: `{field}` must be a mapping, found {other}")),
        }
    };
    let op = map.get("op").and_then(Value::as_str).ok_or_else(|| format!("statement {name}: `op` is required"))?;
    let table_name = map.get("table").and_then(Value::as_str).ok_or_else(|| format!("statement {name}: `table` is required"))?;
    let dataset_table =
        model.table_index(table_name).ok_or_else(|| format!("statement {name}: table `{table_name}` is not a table of the dataset"))?;
    let call = match op {
        "get_item" => Call::GetItem { key: tv_map("key")?.ok_or_else(|| format!("statement {name}: get_item needs `key`"))? },
        "query" => Call::Query {
            key_condition: need_text("key_condition_expression")?,
            filter: text("filter_expression")?,
            limit: match map.get("limit") {
                None => None,
                Some(v) => Some(
                    v.as_i64()
                        .and_then(|n| i32::try_from(n).ok())
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("statement {name}: `limit` must be a positive integer, found {v}"))?,
                ),
            },
        },
        "put_item" => Call::PutItem { item: tv_map("item")?.ok_or_else(|| format!("statement {name}: put_item needs `item`"))? },
        "update_item" => Call::UpdateItem {
            key: tv_map("key")?.ok_or_else(|| format!("statement {name}: update_item needs `key`"))?,
            update: need_text("update_expression")?,
        },
        "batch_get_item" => {
            let keys = match map.get("keys") {
                Some(Value::Array(items)) if !items.is_empty() && items.len() <= BATCH_GET_MAX => items
                    .iter()
                    .map(|k| match k {
                        Value::Object(m) => m.iter().map(|(a, v)| Ok((a.clone(), tv(templates, model, name, v)?))).collect(),
                        other => Err(format!("statement {name}: each of `keys` must be a mapping, found {other}")),
                    })
                    .collect::<Result<Vec<TMap>, String>>()?,
                _ => return Err(format!("statement {name}: batch_get_item needs `keys`, a list of 1 to {BATCH_GET_MAX} key mappings")),
            };
            Call::BatchGetItem { keys }
        }
        other => {
            return Err(format!("statement {name}: unknown op `{other}` (known: get_item, query, put_item, update_item, batch_get_item)"))
        }
    };
    let names_map = match map.get("expression_attribute_names") {
        None => Vec::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())).ok_or_else(|| format!("statement {name}: names must be strings")))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("statement {name}: `expression_attribute_names` must be a mapping, found {other}")),
    };
    let condition = text("condition_expression")?;
    let mut values = tv_map("expression_attribute_values")?.unwrap_or_default();
    values.extend(bound.into_inner());
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

fn tv(templates: &Templates, model: &DataModel, name: &str, v: &Value) -> Result<Tv, String> {
    Tv::from_json(templates, Kind::Dynamodb, model, name, v)
}

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
                (WriteMode::Upsert, 1) => "PutItem".into(),
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
        .collect()
}

fn scalar_type(model: &DataModel, t: &TableModel, names: &Names) -> ScalarAttributeType {
    match model.entities[t.entity].key_type {
        crate::scenario::model::KeyType::Int if !names.single() => ScalarAttributeType::N,
        _ => ScalarAttributeType::S,
    }
}

fn classify<E>(e: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let f = |kind, retry, message: String| Failure::new(kind, retry, message);
    match e {
        SdkError::TimeoutError(_) => f(ErrorKind::Timeout, true, "the SDK timed out".into()),
        SdkError::DispatchFailure(d) => {
            let chain = error_chain(e);
            if chain.contains("loading credentials") || chain.contains("no credentials") {
                return Failure::fatal(
                    ErrorKind::Other,
                    format!(
                        "no usable AWS credentials (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an instance role): {chain}"
                    ),
                );
            }
            let msg = format!("cannot reach the endpoint: {chain}");
            if d.is_timeout() {
                f(ErrorKind::Timeout, true, msg)
            } else {
                f(ErrorKind::Connection, d.is_io() || d.is_other(), msg)
            }
        }
        SdkError::ResponseError(_) => f(ErrorKind::Connection, true, format!("unreadable response: {}", error_chain(e))),
        SdkError::ConstructionFailure(_) => {
            // Missing credentials or region surface here: nothing a retry fixes.
            Failure::fatal(ErrorKind::Other, error_chain(e))
        }
        _ => {
            let code = e.code().unwrap_or("");
            let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
            let message = match (code, e.message()) {
                ("", _) => format!("HTTP {status}: {}", error_chain(e)),
                (c, Some(m)) => format!("{c}: {m}"),
                (c, None) => c.to_string(),
            };
            match code {
                "ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException" => {
                    Failure::throttled(message)
                }
                "ResourceNotFoundException" => Failure::fatal(
                    ErrorKind::NotFound,
                    format!("{message} (does the table exist? run the `create` and `load` setup steps first)"),
                ),
                "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "IncompleteSignatureException"
                | "MissingAuthenticationTokenException"
                | "ExpiredTokenException"
                | "AccessDeniedException"
                | "InvalidClientTokenId" => Failure::fatal(ErrorKind::Other, format!("credentials rejected: {message}")),
                "ConditionalCheckFailedException" | "ValidationException" | "TransactionConflictException" => {
                    f(ErrorKind::Query, false, message)
                }
                _ => f(
                    ErrorKind::Other,
                    status >= 500 || code.contains("InternalServerError") || code.contains("ServiceUnavailable"),
                    message,
                ),
            }
        }
    }
}

/// Units in a ConsumedCapacity: the read/write split where the service gives
/// it, else the total counted as read or write by the call's kind.
fn add_capacity(u: &mut Usage, cc: &ConsumedCapacity, write: bool) {
    match (cc.read_capacity_units(), cc.write_capacity_units()) {
        (None, None) => {
            let total = cc.capacity_units().unwrap_or(0.0);
            if write {
                u.write_units += total;
            } else {
                u.read_units += total;
            }
        }
        (r, w) => {
            u.read_units += r.unwrap_or(0.0);
            u.write_units += w.unwrap_or(0.0);
        }
    }
}

fn add_all(u: &mut Usage, ccs: &[ConsumedCapacity], write: bool) {
    for cc in ccs {
        add_capacity(u, cc, write);
    }
}

/// The optional parts of a single-item call.
#[derive(Debug, Clone, Default)]
struct Extras {
    condition: Option<String>,
    names: Option<HashMap<String, String>>,
    values: Option<Item>,
    projection: Option<String>,
}

const NONE: Extras = Extras { condition: None, names: None, values: None, projection: None };

pub struct DynamoBackend {
    client: Client,
    names: Names,
    model: Arc<DataModel>,
    consistent: bool,
    retry: Retry,
    billing: Option<Billing>,
    endpoint: Option<String>,
    region: String,
}

/// An SDK client as the scenario configures it: region, endpoint, rustls
/// with ring, connect timeout, SDK retries off. Returns it with its region.
pub async fn sdk_client(c: &DynamodbConfig) -> Result<(Client, String), String> {
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    use aws_config::{BehaviorVersion, Region};
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let endpoint = c.endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let http = aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        // benchplan retries itself, so that every retry is counted.
        .retry_config(RetryConfig::disabled())
        // A stalled call fails (and is retried) instead of hanging a setup step.
        .timeout_config(
            TimeoutConfig::builder().connect_timeout(super::CONNECT_TIMEOUT).operation_attempt_timeout(ATTEMPT_TIMEOUT).build(),
        );
    if let Some(r) = &c.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(e) = endpoint {
        loader = loader.endpoint_url(e);
        let local = crate::net::loopback_endpoint(e);
        if local && c.region.is_none() && std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none() {
            loader = loader.region(Region::new("us-east-1"));
        }
        // A local server takes any credentials; do not go looking for real ones.
        if local && std::env::var_os("AWS_ACCESS_KEY_ID").is_none() && std::env::var_os("AWS_PROFILE").is_none() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "benchplan-local",
                "benchplan-local",
                None,
                None,
                "benchplan (loopback endpoint)",
            ));
        }
    }
    let sdk = loader.load().await;
    let region = sdk.region().map(|r| r.to_string()).ok_or("no AWS region: set `region:` in the scenario, or AWS_REGION")?;
    Ok((Client::new(&sdk), region))
}

impl DynamoBackend {
    pub async fn connect(c: &DynamodbConfig, ctx: &Ctx<'_>) -> Result<Self, BackendError> {
        let endpoint = c.endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_string);
        let (client, region) = sdk_client(c).await.map_err(|e| BackendError(format!("{}: {e}", ctx.name)))?;
        let b = DynamoBackend {
            client,
            names: Names::new(c, ctx.model),
            model: Arc::new(ctx.model.clone()),
            consistent: c.consistent_read.unwrap_or(false),
            retry: Retry {
                max_attempts: c.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1),
                base: c.backoff.map(|d| d.0).unwrap_or(DEFAULT_BACKOFF),
                max: c.max_backoff.map(|d| d.0).unwrap_or(DEFAULT_MAX_BACKOFF),
            },
            billing: c.billing.clone(),
            endpoint,
            region,
        };
        // A first call: an unreachable endpoint or rejected credentials fail here, at once.
        let where_ = b.endpoint.clone().unwrap_or_else(|| format!("the {} region endpoint", b.region));
        match b.client.list_tables().limit(1).send().await {
            Ok(_) => Ok(b),
            Err(e) if e.code() == Some("AccessDeniedException") => Ok(b),
            Err(e) => {
                let f = classify(&e);
                Err(BackendError(format!("{}: cannot use DynamoDB at {where_}: {}", ctx.name, f.message)))
            }
        }
    }

    fn codec(&self) -> Codec<'_> {
        Codec { model: &self.model, names: &self.names }
    }

    /// Runs `call` with up to `max_attempts` attempts; records retries in `usage`.
    async fn call<T, E, F, Fut>(&self, usage: &mut Usage, call: F) -> Result<T, OpError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.call_n(usage, self.retry.max_attempts, call).await
    }

    /// Runs `call` with up to `attempts` attempts.
    async fn call_n<T, E, F, Fut>(&self, usage: &mut Usage, attempts: u32, call: F) -> Result<T, OpError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        with_retries(&self.retry, usage, attempts, call, classify).await
    }

    /// GetItem; 1 row when the item exists.
    async fn get_item(&self, usage: &mut Usage, table: &str, key: Item, consistent: bool, x: &Extras) -> Result<u32, OpError> {
        let out = self
            .call(usage, || {
                self.client
                    .get_item()
                    .table_name(table)
                    .set_key(Some(key.clone()))
                    .consistent_read(consistent)
                    .set_projection_expression(x.projection.clone())
                    .set_expression_attribute_names(x.names.clone())
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await?;
        if let Some(cc) = out.consumed_capacity() {
            add_capacity(usage, cc, false);
        }
        Ok(u32::from(out.item().is_some()))
    }

    /// BatchGetItem of `keys` (table name, key), at most 100 a call, calls at once.
    async fn batch_get(&self, usage: &mut Usage, keys: Vec<(String, Item)>, consistent: bool) -> Result<u32, OpError> {
        let chunks: Vec<Vec<(String, Item)>> =
            if keys.len() <= BATCH_GET_MAX { vec![keys] } else { keys.chunks(BATCH_GET_MAX).map(<[_]>::to_vec).collect() };
        let results = join_all(chunks.into_iter().map(|chunk| async move {
            let mut u = Usage::default();
            let r = self.batch_get_call(&mut u, chunk, consistent).await;
            (r, u)
        }))
        .await;
        let mut rows = 0;
        let mut first_err = None;
        for (r, u) in results {
            match r {
                Ok(n) => {
                    usage.add(&u);
                    rows += n;
                }
                Err(e) => {
                    usage.add(&e.usage);
                    first_err.get_or_insert(e);
                }
            }
        }
        match first_err {
            Some(mut e) => {
                e.usage = *usage;
                Err(e)
            }
            None => Ok(rows),
        }
    }

    async fn batch_get_call(&self, usage: &mut Usage, keys: Vec<(String, Item)>, consistent: bool) -> Result<u32, OpError> {
        let mut request: HashMap<String, KeysAndAttributes> = HashMap::new();
        let mut by_table: BTreeMap<String, Vec<Item>> = BTreeMap::new();
        for (t, k) in keys {
            by_table.entry(t).or_default().push(k);
        }
        for (t, ks) in by_table {
            let ka = KeysAndAttributes::builder()
                .set_keys(Some(ks))
                .consistent_read(consistent)
                .build()
                .map_err(|e| OpError::new(ErrorKind::Other, e.to_string()))?;
            request.insert(t, ka);
        }
        let mut rows = 0u32;
        let mut round = 0u32;
        loop {
            let req = std::mem::take(&mut request);
            let out = self
                .call(usage, || {
                    self.client
                        .batch_get_item()
                        .set_request_items(Some(req.clone()))
                        .return_consumed_capacity(ReturnConsumedCapacity::Total)
                        .send()
                })
                .await?;
            add_all(usage, out.consumed_capacity(), false);
            rows += out.responses().map(|r| r.values().map(Vec::len).sum::<usize>()).unwrap_or(0) as u32;
            match out.unprocessed_keys() {
                Some(u) if u.values().any(|ka| !ka.keys().is_empty()) => {
                    let left: usize = u.values().map(|ka| ka.keys().len()).sum();
                    request = u.clone();
                    self.unprocessed_round(usage, &mut round, self.retry.max_attempts, left, "BatchGetItem: keys").await?;
                }
                _ => return Ok(rows),
            }
        }
    }

    /// After a batch call left `left` keys or items unprocessed: counts the
    /// round as a (throttled) retry and waits, or fails after `limit` rounds.
    async fn unprocessed_round(&self, usage: &mut Usage, round: &mut u32, limit: u32, left: usize, what: &str) -> Result<(), OpError> {
        *round += 1;
        usage.throttled += 1;
        if *round >= limit {
            let msg = format!("{what}: {left} still unprocessed after {round} attempts");
            return Err(OpError::new(ErrorKind::Throttled, msg).with_usage(*usage));
        }
        usage.retries += 1;
        tokio::time::sleep(self.retry.delay(*round)).await;
        Ok(())
    }

    /// BatchWriteItem of `items`, 25 a call; throttled calls and unprocessed
    /// items retried for up to `rounds` attempts (more during a load).
    async fn batch_write(&self, usage: &mut Usage, items: Vec<(String, Item)>, rounds: u32) -> Result<u32, OpError> {
        let n = items.len() as u32;
        let mut request: HashMap<String, Vec<WriteRequest>> = HashMap::new();
        for (t, item) in items {
            let put = PutRequest::builder().set_item(Some(item)).build().map_err(|e| OpError::new(ErrorKind::Other, e.to_string()))?;
            request.entry(t).or_default().push(WriteRequest::builder().put_request(put).build());
        }
        let mut round = 0u32;
        loop {
            let req = std::mem::take(&mut request);
            let out = self
                .call_n(usage, rounds, || {
                    self.client
                        .batch_write_item()
                        .set_request_items(Some(req.clone()))
                        .return_consumed_capacity(ReturnConsumedCapacity::Total)
                        .send()
                })
                .await?;
            add_all(usage, out.consumed_capacity(), true);
            match out.unprocessed_items() {
                Some(u) if u.values().any(|v| !v.is_empty()) => {
                    let left: usize = u.values().map(Vec::len).sum();
                    request = u.clone();
                    self.unprocessed_round(usage, &mut round, rounds, left, "BatchWriteItem: items").await?;
                }
                _ => return Ok(n),
            }
        }
    }

    /// All items of one entity key (single_table); counts those of `tables`.
    async fn query_entity(&self, usage: &mut Usage, key: AttributeValue, tables: &[usize]) -> Result<u32, OpError> {
        let table = &self.names.tables[tables[0]];
        let mut rows = 0u32;
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .call(usage, || {
                    self.client
                        .query()
                        .table_name(table)
                        .key_condition_expression("pk = :k")
                        .expression_attribute_values(":k", key.clone())
                        .consistent_read(self.consistent)
                        .set_exclusive_start_key(start.clone())
                        .return_consumed_capacity(ReturnConsumedCapacity::Total)
                        .send()
                })
                .await?;
            if let Some(cc) = out.consumed_capacity() {
                add_capacity(usage, cc, false);
            }
            for item in out.items() {
                if let Some(AttributeValue::S(sk)) = item.get("sk") {
                    if tables.iter().any(|t| self.model.tables[*t].name == *sk) {
                        rows += 1;
                    }
                }
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(rows),
            }
        }
    }

    /// PutItem, with an optional condition.
    async fn put_item(&self, usage: &mut Usage, table: &str, item: Item, x: &Extras) -> Result<u32, OpError> {
        let out = self
            .call(usage, || {
                self.client
                    .put_item()
                    .table_name(table)
                    .set_item(Some(item.clone()))
                    .set_condition_expression(x.condition.clone())
                    .set_expression_attribute_names(x.names.clone())
                    .set_expression_attribute_values(x.values.clone())
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await?;
        if let Some(cc) = out.consumed_capacity() {
            add_capacity(usage, cc, true);
        }
        Ok(1)
    }

    /// UpdateItem, with an optional condition.
    async fn update_item(&self, usage: &mut Usage, table: &str, key: Item, update: &str, x: &Extras) -> Result<u32, OpError> {
        let out = self
            .call(usage, || {
                self.client
                    .update_item()
                    .table_name(table)
                    .set_key(Some(key.clone()))
                    .update_expression(update)
                    .set_condition_expression(x.condition.clone())
                    .set_expression_attribute_names(x.names.clone())
                    .set_expression_attribute_values(x.values.clone())
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await?;
        if let Some(cc) = out.consumed_capacity() {
            add_capacity(usage, cc, true);
        }
        Ok(1)
    }

    /// Sets every feature of row `idx` of table `t` to `version`, if the item exists.
    async fn update_features(&self, usage: &mut Usage, t: usize, idx: u64, version: u64) -> Result<u32, OpError> {
        let codec = self.codec();
        let tm = &self.model.tables[t];
        let key = codec.key(t, idx);
        let mut set = String::from("SET ");
        let mut names = HashMap::with_capacity(tm.columns.len() + 1);
        let mut values = HashMap::with_capacity(tm.columns.len());
        for (c, col) in tm.columns.iter().enumerate() {
            if c > 0 {
                set.push_str(", ");
            }
            set.push_str(&format!("#f{c} = :v{c}"));
            names.insert(format!("#f{c}"), col.name.clone());
            values.insert(format!(":v{c}"), encode_value(tm.value(idx, c, version)));
        }
        names.insert("#pk".to_string(), codec.pk_name(tm).to_string());
        let x = Extras { condition: Some("attribute_exists(#pk)".into()), names: Some(names), values: Some(values), projection: None };
        self.update_item(usage, &self.names.tables[t], key, &set, &x).await
    }

    async fn run_statement(&self, usage: &mut Usage, s: &Statement, req: &Request) -> Result<u32, OpError> {
        let codec = self.codec();
        let values = (!s.values.is_empty()).then(|| render_map(&s.values, &codec, req));
        let names: Option<HashMap<String, String>> = (!s.names.is_empty()).then(|| s.names.iter().cloned().collect());
        let condition = s.condition.clone();
        let consistent = s.consistent.unwrap_or(self.consistent);
        let with_sk = |mut m: Item| {
            if self.names.single() {
                m.entry("sk".to_string()).or_insert_with(|| AttributeValue::S(self.model.tables[s.dataset_table].name.clone()));
            }
            m
        };
        let x = Extras { condition, names, values, projection: s.projection.clone() };
        match &s.call {
            Call::GetItem { key } => self.get_item(usage, &s.table, with_sk(render_map(key, &codec, req)), consistent, &x).await,
            Call::Query { key_condition, filter, limit } => {
                let (kc, filter) = (key_condition, filter);
                let out = self
                    .call(usage, || {
                        self.client
                            .query()
                            .table_name(&s.table)
                            .key_condition_expression(kc)
                            .set_filter_expression(filter.clone())
                            .set_limit(*limit)
                            .consistent_read(consistent)
                            .set_projection_expression(x.projection.clone())
                            .set_expression_attribute_names(x.names.clone())
                            .set_expression_attribute_values(x.values.clone())
                            .return_consumed_capacity(ReturnConsumedCapacity::Total)
                            .send()
                    })
                    .await?;
                if let Some(cc) = out.consumed_capacity() {
                    add_capacity(usage, cc, false);
                }
                Ok(out.items().len() as u32)
            }
            Call::PutItem { item } => self.put_item(usage, &s.table, with_sk(render_map(item, &codec, req)), &x).await,
            Call::UpdateItem { key, update } => self.update_item(usage, &s.table, with_sk(render_map(key, &codec, req)), update, &x).await,
            Call::BatchGetItem { keys } => {
                let mut unique: Vec<(String, Item)> = Vec::with_capacity(keys.len());
                for k in keys {
                    let key = with_sk(render_map(k, &codec, req));
                    // BatchGetItem rejects a key asked twice.
                    if !unique.iter().any(|(_, u)| *u == key) {
                        unique.push((s.table.clone(), key));
                    }
                }
                self.batch_get(usage, unique, consistent).await
            }
        }
    }

    async fn describe_status(&self, table: &str) -> Result<Option<TableStatus>, BackendError> {
        match self.client.describe_table().table_name(table).send().await {
            Ok(out) => Ok(out.table().and_then(|t| t.table_status()).cloned()),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(BackendError(format!("DescribeTable {table}: {}", classify(&e).message))),
        }
    }

    /// Waits until `table` is ACTIVE (`gone` false) or no longer exists (`gone` true).
    async fn wait_for(&self, table: &str, gone: bool) -> Result<(), BackendError> {
        let t0 = Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            let st = self.describe_status(table).await?;
            let done = if gone { st.is_none() } else { st == Some(TableStatus::Active) };
            if done {
                return Ok(());
            }
            if t0.elapsed() > TABLE_WAIT {
                let what = if gone { "deleted" } else { "ACTIVE" };
                return Err(BackendError(format!("table {table} is not {what} after {}", humantime::format_duration(TABLE_WAIT))));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    async fn delete_table(&self, table: &str) -> Result<(), BackendError> {
        match self.client.delete_table().table_name(table).send().await {
            Ok(_) => self.wait_for(table, true).await,
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(()),
            Err(e) => Err(BackendError(format!("DeleteTable {table}: {}", classify(&e).message))),
        }
    }

    async fn create_table(&self, table: &str, key_type: ScalarAttributeType, key_attr: &str) -> Result<(), BackendError> {
        let err = |e: aws_sdk_dynamodb::error::BuildError| BackendError(format!("CreateTable {table}: {e}"));
        let mut defs = vec![AttributeDefinition::builder().attribute_name(key_attr).attribute_type(key_type).build().map_err(err)?];
        let mut schema = vec![KeySchemaElement::builder().attribute_name(key_attr).key_type(KeyType::Hash).build().map_err(err)?];
        if self.names.single() {
            defs.push(AttributeDefinition::builder().attribute_name("sk").attribute_type(ScalarAttributeType::S).build().map_err(err)?);
            schema.push(KeySchemaElement::builder().attribute_name("sk").key_type(KeyType::Range).build().map_err(err)?);
        }
        let mut call = self.client.create_table().table_name(table).set_attribute_definitions(Some(defs)).set_key_schema(Some(schema));
        call = match &self.billing {
            Some(Billing::Provisioned { provisioned }) => call.billing_mode(BillingMode::Provisioned).provisioned_throughput(
                ProvisionedThroughput::builder()
                    .read_capacity_units(provisioned.rcu as i64)
                    .write_capacity_units(provisioned.wcu as i64)
                    .build()
                    .map_err(err)?,
            ),
            _ => call.billing_mode(BillingMode::PayPerRequest),
        };
        call.send().await.map_err(|e| BackendError(format!("CreateTable {table}: {}", classify(&e).message)))?;
        self.wait_for(table, false).await
    }
}

impl Backend for DynamoBackend {
    type Op = DynOp;
    type Session = ();

    fn session(&self) {}

    fn prepare(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<DynOp, BackendError> {
        prepare_op(&self.names, ctx.model, ctx.templates, op, statement).map_err(BackendError)
    }

    fn metered(&self) -> Option<super::Meter> {
        Some(super::Meter::CapacityUnits)
    }

    async fn create(&self, ctx: &Ctx<'_>, step: &CreateStep, bar: &ProgressBar) -> Result<(), BackendError> {
        let replace = step.replace.unwrap_or(true);
        let physical = self.names.physical();
        bar.set_length(physical.len() as u64);
        for name in physical {
            let exists = self.describe_status(&name).await?.is_some();
            if exists && !replace {
                self.wait_for(&name, false).await?;
                bar.inc(1);
                continue;
            }
            if exists {
                self.delete_table(&name).await?;
            }
            let (key_type, key_attr) = match self.names.tables.iter().position(|n| *n == name) {
                Some(i) if !self.names.single() => {
                    let t = &ctx.model.tables[i];
                    (scalar_type(ctx.model, t, &self.names), t.key_column.clone())
                }
                _ => (ScalarAttributeType::S, "pk".to_string()),
            };
            self.create_table(&name, key_type, &key_attr).await?;
            bar.inc(1);
        }
        Ok(())
    }

    async fn load(&self, ctx: &Ctx<'_>, step: &LoadStep, bar: &ProgressBar) -> Result<Loaded, BackendError> {
        let per_call = (step.batch.unwrap_or(BATCH_WRITE_MAX as u32) as usize).clamp(1, BATCH_WRITE_MAX) as u64;
        let workers = step.workers.unwrap_or(DEFAULT_LOAD_WORKERS);
        let rounds = self.retry.max_attempts.saturating_mul(LOAD_ROUNDS_FACTOR);
        let codec = self.codec();
        load_in_calls(ctx.model, per_call, workers, bar, |t, first, last| {
            let items: Vec<(String, Item)> = (first..last).map(|i| (self.names.tables[t].clone(), codec.item(t, i, 0))).collect();
            async move {
                let mut usage = Usage::default();
                let n = self
                    .batch_write(&mut usage, items, rounds)
                    .await
                    .map_err(|e| format!("BatchWriteItem into {} (rows {first}..{last}): {}", self.names.tables[t], e.message))?;
                Ok((n, usage))
            }
        })
        .await
    }

    async fn drop_tables(&self, _ctx: &Ctx<'_>, bar: &ProgressBar) -> Result<(), BackendError> {
        let physical = self.names.physical();
        bar.set_length(physical.len() as u64);
        for name in physical {
            self.delete_table(&name).await?;
            bar.inc(1);
        }
        Ok(())
    }

    async fn execute<'a>(&'a self, _session: &'a mut (), op: &'a DynOp, req: &'a Request) -> Result<Done, OpError> {
        let mut usage = Usage::default();
        let mut legs = Legs::default();
        let codec = self.codec();
        let rows = match op {
            DynOp::Get { tables, k, parallel: false } => {
                let mut rows = 0;
                for &t in tables {
                    let e = self.model.tables[t].entity;
                    for j in 0..*k {
                        let t0 = Instant::now();
                        rows +=
                            self.get_item(&mut usage, &self.names.tables[t], codec.key(t, req.key(e, j)), self.consistent, &NONE).await?;
                        legs.leg(t, e, t0.elapsed().as_nanos() as u64, false);
                    }
                }
                Ok(rows)
            }
            DynOp::Get { tables, k, parallel: true } => {
                let start = Instant::now();
                let calls = tables.iter().flat_map(|&t| (0..*k).map(move |j| (t, j))).map(|(t, j)| {
                    let key = codec.key(t, req.key(self.model.tables[t].entity, j));
                    async move {
                        let mut u = Usage::default();
                        let r = self.get_item(&mut u, &self.names.tables[t], key, self.consistent, &NONE).await;
                        (r.map(|n| (n, t, start.elapsed().as_nanos() as u64)), u)
                    }
                });
                gather_legs(&mut usage, &mut legs, &self.model, join_all(calls).await)
            }
            DynOp::BatchGet { tables, k } => {
                let mut keys = Vec::with_capacity(tables.len() * k);
                let mut idx: Vec<u64> = Vec::with_capacity(*k);
                for &t in tables {
                    let e = self.model.tables[t].entity;
                    // BatchGetItem rejects a key asked twice: each distinct key once.
                    idx.clear();
                    idx.extend((0..*k).map(|j| req.key(e, j)));
                    if *k > 1 {
                        idx.sort_unstable();
                        idx.dedup();
                    }
                    for &i in &idx {
                        keys.push((self.names.tables[t].clone(), codec.key(t, i)));
                    }
                }
                self.batch_get(&mut usage, keys, self.consistent).await
            }
            DynOp::Query { groups, k } => {
                let calls = groups.iter().flat_map(|(e, ts)| (0..*k).map(move |j| (*e, ts, j))).map(|(e, ts, j)| {
                    let key = codec.key_value(e, req.key(e, j));
                    async move {
                        let mut u = Usage::default();
                        let r = self.query_entity(&mut u, key, ts).await;
                        (r, u)
                    }
                });
                gather(&mut usage, join_all(calls).await)
            }
            DynOp::Write { tables, k, mode } => {
                let rows = |t: usize| {
                    let e = self.model.tables[t].entity;
                    (0..*k).map(move |j| (t, req.key(e, j)))
                };
                match (mode, tables.len() * k) {
                    (WriteMode::Update, _) => {
                        let calls = tables.iter().flat_map(|&t| rows(t)).map(|(t, idx)| async move {
                            let mut u = Usage::default();
                            let r = self.update_features(&mut u, t, idx, req.version).await;
                            (r, u)
                        });
                        gather(&mut usage, join_all(calls).await)
                    }
                    (m, 1) => {
                        let t = tables[0];
                        let idx = req.key(self.model.tables[t].entity, 0);
                        let pk = codec.pk_name(&self.model.tables[t]);
                        let insert = *m == WriteMode::Insert;
                        let x = Extras {
                            condition: insert.then(|| "attribute_not_exists(#pk)".to_string()),
                            names: insert.then(|| HashMap::from([("#pk".to_string(), pk.to_string())])),
                            ..Extras::default()
                        };
                        self.put_item(&mut usage, &self.names.tables[t], codec.item(t, idx, req.version), &x).await
                    }
                    _ => {
                        let items: Vec<(String, Item)> = tables
                            .iter()
                            .flat_map(|&t| rows(t))
                            .map(|(t, idx)| (self.names.tables[t].clone(), codec.item(t, idx, req.version)))
                            .collect();
                        let chunks: Vec<Vec<(String, Item)>> = items.chunks(BATCH_WRITE_MAX).map(<[_]>::to_vec).collect();
                        let calls = chunks.into_iter().map(|c| async move {
                            let mut u = Usage::default();
                            let r = self.batch_write(&mut u, c, self.retry.max_attempts).await;
                            (r, u)
                        });
                        gather(&mut usage, join_all(calls).await)
                    }
                }
            }
            DynOp::Statement(s) => self.run_statement(&mut usage, s, req).await,
        };
        finish(rows, usage, legs)
    }

    async fn data_bytes(&self) -> Option<u64> {
        // DescribeTable's TableSizeBytes (DynamoDB refreshes it about every six hours).
        let mut total = 0u64;
        for t in self.names.physical() {
            let out = self.client.describe_table().table_name(&t).send().await.ok()?;
            total += u64::try_from(out.table().and_then(|d| d.table_size_bytes()).unwrap_or(0)).unwrap_or(0);
        }
        // Not refreshed yet (or dynalite, which never fills it in): unknown, not empty.
        (total > 0).then_some(total)
    }

    async fn sample_keys(&self, table: &str, column: &str, n: u64) -> Result<Vec<String>, BackendError> {
        let t = self.model.table_index(table);
        let physical = t.map(|i| self.names.tables[i].clone()).unwrap_or_else(|| table.to_string());
        let mut keys = Vec::new();
        let mut start: Option<Item> = None;
        while (keys.len() as u64) < n {
            let mut scan = self
                .client
                .scan()
                .table_name(&physical)
                .projection_expression("#k")
                .expression_attribute_names("#k", column)
                .set_exclusive_start_key(start.take())
                .limit((n - keys.len() as u64).min(1000) as i32);
            if self.names.single() && t.is_some() {
                scan = scan.filter_expression("sk = :t").expression_attribute_values(":t", AttributeValue::S(table.to_string()));
            }
            let out = scan.send().await.map_err(|e| BackendError(format!("sampling {physical}: {}", classify(&e).message)))?;
            for item in out.items() {
                match item.get(column) {
                    Some(AttributeValue::S(s)) => keys.push(s.clone()),
                    Some(AttributeValue::N(s)) => keys.push(s.clone()),
                    _ => {}
                }
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        keys.truncate(n as usize);
        Ok(keys)
    }

    async fn server_info(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let at = match &self.endpoint {
            Some(e) => format!("DynamoDB API at {e}"),
            None => format!("AWS DynamoDB, {}", self.region),
        };
        out.insert("server".into(), at);
        out.insert("region".into(), self.region.clone());
        let layout = match self.names.layout {
            Layout::TablePerTable => "table_per_table",
            Layout::SingleTable => "single_table",
        };
        out.insert("layout".into(), layout.into());
        let billing = match &self.billing {
            Some(Billing::Provisioned { provisioned }) => {
                format!("provisioned {} RCU / {} WCU per table", provisioned.rcu, provisioned.wcu)
            }
            _ => "on_demand".into(),
        };
        out.insert("billing".into(), billing);
        out.insert("read_consistency".into(), if self.consistent { "strong" } else { "eventual" }.into());
        out.insert(
            "retries".into(),
            format!(
                "{} attempts a call, backoff {} doubling to {}, full jitter (SDK retries off)",
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
    use crate::scenario::model::*;
    use indexmap::IndexMap;

    fn model() -> DataModel {
        let mut entities = IndexMap::new();
        entities.insert("card".to_string(), Entity { keys: Some(100), key: crate::scenario::model::KeyType::Int, sample: None });
        entities.insert("email".to_string(), Entity { keys: Some(100), key: crate::scenario::model::KeyType::String, sample: None });
        let t = |n: &str, e: &str, ty| TableSpec {
            name: n.into(),
            entity: e.into(),
            count: Some(2),
            features: Features::Count(4),
            types: Some(ty),
            rows: None,
            key_column: None,
        };
        DataModel::new(
            3,
            &Dataset { entities, tables: vec![t("card_f{i}", "card", FeatureTypes::Mixed), t("email_f{i}", "email", FeatureTypes::Float)] },
        )
    }

    fn config(layout: Layout) -> DynamodbConfig {
        DynamodbConfig {
            region: None,
            endpoint: None,
            billing: None,
            layout: Some(layout),
            table: None,
            table_prefix: Some("b_".into()),
            consistent_read: None,
            max_attempts: None,
            backoff: None,
            max_backoff: None,
            pricing: None,
        }
    }

    #[test]
    fn items_round_trip_to_the_data_model() {
        let m = model();
        for layout in [Layout::TablePerTable, Layout::SingleTable] {
            let names = Names::new(&config(layout), &m);
            let codec = Codec { model: &m, names: &names };
            for t in 0..m.tables.len() {
                let item = codec.item(t, 7, 0);
                let want: Vec<FeatureValue> = (0..4).map(|c| m.tables[t].value(7, c, 0)).collect();
                assert_eq!(codec.decode(t, &item).unwrap(), want);
            }
            let key = codec.key(0, 7);
            if layout == Layout::SingleTable {
                assert_eq!(names.physical(), vec!["b_features".to_string()]);
                assert_eq!(key.get("pk"), Some(&AttributeValue::S("7".into())));
                assert_eq!(key.get("sk"), Some(&AttributeValue::S("card_f0".into())));
            } else {
                assert_eq!(names.physical().len(), 4);
                assert_eq!(names.tables[2], "b_email_f0");
                assert_eq!(key.get("pk"), Some(&AttributeValue::N("7".into())));
                assert_eq!(key.len(), 1);
            }
        }
    }

    #[test]
    fn statements_render_keys_as_typed_values() {
        let m = model();
        let names = Names::new(&config(Layout::TablePerTable), &m);
        let t = Templates::new(None);
        let tpl = serde_json::json!({
            "op": "query", "table": "card_f1",
            "key_condition_expression": "pk = :k",
            "expression_attribute_values": { ":k": "{{ key.card }}", ":e": "x-{{ key.email }}", ":n": 5 }
        });
        let s = prepare_statement(&names, &m, &t, "q", &tpl).unwrap();
        assert_eq!(s.table, "b_card_f1");
        let mut req = Request { keys: vec![42, 9], stride: 1, ..Default::default() };
        req.entities = 2;
        let codec = Codec { model: &m, names: &names };
        let v = render_map(&s.values, &codec, &req);
        assert_eq!(v[":k"], AttributeValue::N("42".into()));
        assert_eq!(v[":e"], AttributeValue::S(format!("x-{}", m.entities[1].key(9))));
        assert_eq!(v[":n"], AttributeValue::N("5".into()));
        // A key written into an expression is bound as a value, never pasted.
        let pasted = serde_json::json!({ "op": "query", "table": "card_f1", "key_condition_expression": "pk = {{ key.card }}" });
        let s = prepare_statement(&names, &m, &t, "q", &pasted).unwrap();
        match &s.call {
            Call::Query { key_condition, .. } => assert_eq!(key_condition, "pk = :bp_0_0"),
            other => panic!("{other:?}"),
        }
        assert_eq!(render_map(&s.values, &codec, &req)[":bp_0_0"], AttributeValue::N("42".into()));
        let bad = serde_json::json!({ "op": "scan", "table": "card_f1" });
        assert!(prepare_statement(&names, &m, &t, "q", &bad).unwrap_err().contains("unknown op"));
        let bad = serde_json::json!({ "op": "get_item", "table": "nope", "key": {} });
        assert!(prepare_statement(&names, &m, &t, "q", &bad).unwrap_err().contains("not a table of the dataset"));
        let bad = serde_json::json!({ "op": "get_item", "table": "card_f0", "key": {}, "colour": 1 });
        assert!(prepare_statement(&names, &m, &t, "q", &bad).unwrap_err().contains("unknown field `colour`"));
    }

    #[test]
    fn capacity_split_or_total_by_call_kind() {
        let mut u = Usage::default();
        // dynalite and DynamoDB's TOTAL: one figure, counted by the call's kind.
        add_capacity(&mut u, &ConsumedCapacity::builder().capacity_units(1.5).build(), false);
        add_capacity(&mut u, &ConsumedCapacity::builder().capacity_units(2.0).build(), true);
        // A read/write split where the service gives one.
        add_capacity(
            &mut u,
            &ConsumedCapacity::builder().capacity_units(3.0).read_capacity_units(1.0).write_capacity_units(2.0).build(),
            false,
        );
        assert_eq!((u.read_units, u.write_units), (2.5, 4.0));
    }
}
