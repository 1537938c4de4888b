//! What the SQL kinds share: operations rendered from `templates/<kind>/`.

use super::{BackendError, Ctx};
use crate::dataset::{DataModel, FeatureValue, KeyValue};
use crate::scenario::model::{FeatureType, Fetch, Kind, StatementOp, WriteMode};
use crate::template::{BindRef, Rendered, TemplateError, Templates};
use crate::workload::{OpKind, OpSpec, Request};
use std::sync::Arc;

/// A rendered statement whose text is shared, never copied per request.
#[derive(Debug, Clone)]
pub struct Stmt {
    pub sql: Arc<str>,
    pub binds: Arc<[BindRef]>,
    /// The table a write or single-table read targets.
    pub table: Option<usize>,
    /// For writes: the request's row its first row is (a chunk of a batch starts further on).
    pub base: usize,
}

impl From<(Rendered, Option<usize>)> for Stmt {
    fn from((r, table): (Rendered, Option<usize>)) -> Self {
        Stmt { sql: Arc::from(r.sql.as_str()), binds: r.binds.into(), table, base: 0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Statements one after another on one connection.
    Serial,
    /// Statements concurrently, each on its own connection.
    Parallel,
    /// Statements in one transaction (writes, statement lists).
    Transaction,
}

#[derive(Debug, Clone)]
pub struct SqlOp {
    pub shape: Shape,
    pub stmts: Vec<Stmt>,
    /// For writes: the rows one request writes (tables x batch), counted as
    /// written whatever the server says it affected (MySQL counts an upsert
    /// that updates as 2 rows, one that changes nothing as 0). None: the
    /// rows the statements return are counted.
    pub writes: Option<u32>,
    /// Commit in two phases (PostgreSQL `PREPARE TRANSACTION`, `COMMIT PREPARED`).
    pub two_phase: bool,
}

impl SqlOp {
    fn new(shape: Shape, stmts: Vec<Stmt>) -> Self {
        SqlOp { shape, stmts, writes: None, two_phase: false }
    }
}

/// The statements that write `rows` rows of the request into table `ti`:
/// one statement (or one set of them, for a template of several) when it
/// binds no more than the kind allows, else chunks of as many rows as fit,
/// each chunk's statements in turn. `cap` bounds the rows of one chunk.
pub fn write_plan(
    kind: Kind,
    templates: &Templates,
    model: &DataModel,
    ti: usize,
    mode: WriteMode,
    rows: usize,
    cap: Option<usize>,
) -> Result<Vec<Stmt>, TemplateError> {
    let t = &model.tables[ti];
    let most = |parts: &[Rendered]| parts.iter().map(|p| p.binds.len()).max().unwrap_or(0);
    let mut chunk = cap.unwrap_or(rows).clamp(1, rows.max(1));
    let mut full = templates.write(kind, model, t, mode, chunk)?;
    // A template that writes only the first of its rows (an override written
    // when `update` ran a one-row statement per row) runs once per row.
    let beyond_first = |b: &BindRef| match b {
        BindRef::Pk { row } | BindRef::Value { row, .. } => *row > 0,
        BindRef::PkArray { .. } | BindRef::ValueArray { .. } => true,
        _ => false,
    };
    if chunk > 1 && !full.iter().any(|p| p.binds.iter().any(beyond_first)) {
        chunk = 1;
        full = templates.write(kind, model, t, mode, 1)?;
    }
    if most(&full) > max_binds(kind) && chunk > 1 {
        // Parameters per row, from one and two rows (a template of arrays does not grow).
        let one = most(&templates.write(kind, model, t, mode, 1)?);
        let two = most(&templates.write(kind, model, t, mode, 2)?);
        let per_row = two.saturating_sub(one).max(1);
        let fixed = one.saturating_sub(per_row);
        chunk = (max_binds(kind).saturating_sub(fixed) / per_row).clamp(1, chunk);
        full = templates.write(kind, model, t, mode, chunk)?;
    }
    let stmts = |parts: &[Rendered], base: usize| -> Vec<Stmt> {
        parts.iter().map(|p| Stmt { base, ..Stmt::from((p.clone(), Some(ti))) }).collect()
    };
    let full_stmts = stmts(&full, 0);
    let mut out = Vec::new();
    let mut base = 0;
    while rows - base >= chunk {
        out.extend(full_stmts.iter().map(|s| Stmt { base, ..s.clone() }));
        base += chunk;
    }
    if base < rows {
        out.extend(stmts(&templates.write(kind, model, t, mode, rows - base)?, base));
    }
    Ok(out)
}

/// Renders one operation for a SQL kind.
pub fn prepare(kind: Kind, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<SqlOp, BackendError> {
    let t = ctx.templates;
    let m = ctx.model;
    let err = |e: crate::template::TemplateError| BackendError(e.0);
    match &op.kind {
        OpKind::Read { fetch, tables } => {
            let k = op.keys_per_entity;
            match fetch {
                Fetch::Packed => {
                    let r = t.read_packed(kind, m, tables, k).map_err(err)?;
                    Ok(SqlOp::new(Shape::Serial, vec![(r, None).into()]))
                }
                Fetch::Serial | Fetch::Parallel => {
                    let stmts = tables
                        .iter()
                        .map(|&ti| t.read_one(kind, m, &m.tables[ti], k).map(|r| Stmt::from((r, Some(ti)))))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(err)?;
                    let shape = if *fetch == Fetch::Serial { Shape::Serial } else { Shape::Parallel };
                    Ok(SqlOp::new(shape, stmts))
                }
            }
        }
        OpKind::Write { mode, tables } => {
            let batch = op.keys_per_entity;
            let mut stmts = Vec::new();
            for &ti in tables {
                stmts.extend(write_plan(kind, t, m, ti, *mode, batch, None).map_err(err)?);
            }
            let writes = (tables.len() * batch) as u32;
            Ok(SqlOp { writes: Some(writes), ..SqlOp::new(Shape::Transaction, stmts) })
        }
        OpKind::Statement { name } => {
            let st = statement.ok_or_else(|| BackendError(format!("statement {name} not found")))?;
            let src = st.sql_for(kind).ok_or_else(|| BackendError(format!("statement {name} has no {kind} template")))?;
            let stmts = src
                .statements()
                .iter()
                .map(|text| t.render_statement(kind, name, text, m).map(|r| Stmt::from((r, None))))
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?;
            // A list runs in one transaction, as does a two-phase statement.
            let shape = if src.is_list() || st.is_two_phase() { Shape::Transaction } else { Shape::Serial };
            Ok(SqlOp { two_phase: st.is_two_phase(), ..SqlOp::new(shape, stmts) })
        }
        OpKind::Kv { .. } => Err(BackendError(crate::workload::KV_ELSEWHERE.into())),
        // PostgreSQL prepares its own; validation keeps it off the other kinds.
        OpKind::VectorSearch { .. } => Err(BackendError(format!("vector_search needs PostgreSQL with pgvector, not {kind}"))),
    }
}

/// A value to bind.
pub enum Bound<'a> {
    Int(i64),
    Float(f64),
    Str(std::borrow::Cow<'a, str>),
    Bool(bool),
    IntArray(Vec<i64>),
    StrArray(Vec<String>),
    FloatArray(Vec<f64>),
    BoolArray(Vec<bool>),
    Null,
}

/// A vector in pgvector's text form, `[x,y,...]`.
pub fn vector_text(v: &[f32]) -> String {
    let mut out = Vec::with_capacity(v.len() * 8 + 2);
    crate::dataset::write_vector_text(v, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

impl From<KeyValue> for Bound<'static> {
    fn from(k: KeyValue) -> Self {
        match k {
            KeyValue::Int(i) => Bound::Int(i),
            KeyValue::Str(s) => Bound::Str(s.into()),
        }
    }
}

impl From<FeatureValue> for Bound<'static> {
    fn from(v: FeatureValue) -> Self {
        match v {
            FeatureValue::Float(f) => Bound::Float(f),
            FeatureValue::Int(i) => Bound::Int(i),
            FeatureValue::Str(s) => Bound::Str(s.into()),
            FeatureValue::Bool(b) => Bound::Bool(b),
            FeatureValue::Vector(v) => Bound::Str(vector_text(&v).into()),
        }
    }
}

/// Resolves what placeholder `b` binds for request `req`; `base` is the
/// request's row a write statement's first row is.
pub fn resolve<'a>(b: &'a BindRef, req: &Request, model: &DataModel, table: Option<usize>, base: usize) -> Bound<'a> {
    match b {
        BindRef::Key { entity, j } => model.entities[*entity].key(req.key(*entity, *j)).into(),
        BindRef::KeyArray { entity, n } => {
            let e = &model.entities[*entity];
            if e.key_type == crate::scenario::model::KeyType::Int {
                Bound::IntArray((0..*n).map(|j| req.key(*entity, j) as i64).collect())
            } else {
                Bound::StrArray((0..*n).map(|j| e.key(req.key(*entity, j)).to_string()).collect())
            }
        }
        BindRef::Literal(v) => match v {
            serde_json::Value::Bool(x) => Bound::Bool(*x),
            serde_json::Value::Number(n) => n.as_i64().map(Bound::Int).unwrap_or_else(|| Bound::Float(n.as_f64().unwrap_or(0.0))),
            serde_json::Value::String(s) => Bound::Str(s.as_str().into()),
            _ => Bound::Null,
        },
        _ => match table {
            Some(t) => {
                let e = model.tables[t].entity;
                write_bind(b, model, t, |row| req.key(e, base + row), req.version)
            }
            None => Bound::Null,
        },
    }
}

/// A write's key or value (or a column of them, as an array) for table `t`:
/// the statement's row `r` is key index `key(r)`, its values of `version`.
pub fn write_bind(b: &BindRef, model: &DataModel, t: usize, key: impl Fn(usize) -> u64, version: u64) -> Bound<'static> {
    let tm = &model.tables[t];
    let entity = &model.entities[tm.entity];
    match b {
        BindRef::Pk { row } => entity.key(key(*row)).into(),
        BindRef::Value { row, col } => tm.value(key(*row), *col, version).into(),
        BindRef::PkArray { n } => {
            if entity.key_type == crate::scenario::model::KeyType::Int {
                Bound::IntArray(
                    (0..*n)
                        .map(|r| match entity.key(key(r)) {
                            KeyValue::Int(i) => i,
                            KeyValue::Str(s) => s.parse().unwrap_or_default(),
                        })
                        .collect(),
                )
            } else {
                Bound::StrArray((0..*n).map(|r| entity.key(key(r)).to_string()).collect())
            }
        }
        BindRef::ValueArray { col, n } => {
            let values = (0..*n).map(|r| tm.value(key(r), *col, version));
            match tm.columns[*col].ty {
                FeatureType::Float => Bound::FloatArray(values.map(|v| if let FeatureValue::Float(f) = v { f } else { 0.0 }).collect()),
                FeatureType::Int => Bound::IntArray(values.map(|v| if let FeatureValue::Int(i) = v { i } else { 0 }).collect()),
                FeatureType::String => {
                    Bound::StrArray(values.map(|v| if let FeatureValue::Str(s) = v { s } else { String::new() }).collect())
                }
                FeatureType::Bool => Bound::BoolArray(values.map(|v| matches!(v, FeatureValue::Bool(true))).collect()),
                FeatureType::Vector | FeatureType::Halfvec => {
                    Bound::StrArray(values.map(|v| if let FeatureValue::Vector(x) = v { vector_text(&x) } else { String::new() }).collect())
                }
            }
        }
        _ => Bound::Null,
    }
}

/// Every statement a SQL backend would run, rendered, for `plan`.
fn render_ddl(
    kind: Kind,
    templates: &Templates,
    model: &DataModel,
    extra: &std::collections::BTreeMap<&str, minijinja::Value>,
) -> Result<Vec<(String, String)>, BackendError> {
    let mut out = Vec::new();
    for t in &model.tables {
        let c = templates.create_table(kind, model, t, extra).map_err(|e| BackendError(e.0))?;
        out.push((format!("create {}", t.name), c));
    }
    for t in &model.tables {
        let d = templates.drop_table(kind, model, t).map_err(|e| BackendError(e.0))?;
        out.push((format!("drop {}", t.name), d));
    }
    Ok(out)
}

/// The DDL a SQL kind's setup runs, with its write template checked too (a
/// load renders it): for `plan` and the registry's `describe_ddl`.
pub fn describe_ddl(
    kind: Kind,
    ctx: &Ctx<'_>,
    extra: &std::collections::BTreeMap<&str, minijinja::Value>,
) -> Result<Vec<super::registry::Statement>, super::registry::Problems> {
    let mut problems = Vec::new();
    let ddl = render_ddl(kind, ctx.templates, ctx.model, extra).map_err(|e| problems.push(("dataset".to_string(), e.0))).ok();
    if let Some(t) = ctx.model.tables.first() {
        if let Err(e) = ctx.templates.write(kind, ctx.model, t, WriteMode::Insert, 2) {
            problems.push(("setup".to_string(), e.0));
        }
    }
    match ddl {
        Some(d) if problems.is_empty() => Ok(d),
        _ => Err(problems),
    }
}

/// Bound parameters one statement may have: SQLite's SQLITE_MAX_VARIABLE_NUMBER,
/// the PostgreSQL and MySQL protocols' 16-bit parameter count.
pub fn max_binds(kind: Kind) -> usize {
    match kind {
        Kind::Sqlite => 32_766,
        _ => 65_535,
    }
}

/// SQLite's SQLITE_MAX_COMPOUND_SELECT: terms of one UNION ALL.
pub const SQLITE_MAX_COMPOUND: usize = 500;

/// Refuses a statement the server would refuse on every request, naming the limit.
pub fn check_limits(kind: Kind, op: &SqlOp) -> Result<(), String> {
    for s in &op.stmts {
        if s.binds.len() > max_binds(kind) {
            return Err(format!(
                "one statement would bind {} parameters; {kind} allows at most {} (use fewer keys, tables or a smaller batch)",
                s.binds.len(),
                max_binds(kind)
            ));
        }
        let terms = s.sql.matches("UNION ALL").count() + 1;
        if kind == Kind::Sqlite && terms > SQLITE_MAX_COMPOUND {
            return Err(format!(
                "one statement would have {terms} SELECTs in a UNION ALL; SQLite allows at most {SQLITE_MAX_COMPOUND} (use fetch: serial or parallel for this many tables)"
            ));
        }
    }
    Ok(())
}

/// One mix entry's statements as a SQL kind sends them: (table or "", SQL).
pub fn describe_op(kind: Kind, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<Vec<(String, String)>, String> {
    let p = prepare(kind, ctx, op, statement).map_err(|e| e.0)?;
    check_limits(kind, &p)?;
    // A batch in chunks runs the same text several times: shown once, with how often.
    let chunked = |t: Option<usize>| t.is_some() && p.stmts.iter().any(|s| s.table == t && s.base > 0);
    let mut out: Vec<(Option<usize>, Arc<str>, usize)> = Vec::new();
    for s in &p.stmts {
        match out.iter_mut().find(|(t, sql, _)| chunked(*t) && *t == s.table && *sql == s.sql) {
            Some(seen) => seen.2 += 1,
            None => out.push((s.table, s.sql.clone(), 1)),
        }
    }
    Ok(out
        .into_iter()
        .map(|(t, sql, n)| {
            let table = t.map(|t| ctx.model.tables[t].name.clone()).unwrap_or_default();
            let label =
                if chunked(t) { format!("{table} ({n} chunk{} under the bind limit)", if n == 1 { "" } else { "s" }) } else { table };
            (label, sql.to_string())
        })
        .collect())
}

/// `pool: 0` is refused.
pub fn check_pool(pool: Option<u32>, p: &str, d: &mut crate::scenario::diag::Diagnostics) {
    if pool == Some(0) {
        d.at(format!("{p}.pool"), "expected a pool of at least 1 connection, found 0");
    }
}
