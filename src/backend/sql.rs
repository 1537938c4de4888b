//! What the SQL kinds share: operations rendered from `templates/<kind>/`.

use super::{BackendError, Ctx};
use crate::dataset::{DataModel, FeatureValue, KeyValue};
use crate::scenario::model::{Fetch, Kind, StatementOp, WriteMode};
use crate::template::{BindRef, Rendered, Templates};
use crate::workload::{OpKind, OpSpec, Request};
use std::sync::Arc;

/// A rendered statement whose text is shared, never copied per request.
#[derive(Debug, Clone)]
pub struct Stmt {
    pub sql: Arc<str>,
    pub binds: Vec<BindRef>,
    /// The table a write or single-table read targets.
    pub table: Option<usize>,
}

impl From<(Rendered, Option<usize>)> for Stmt {
    fn from((r, table): (Rendered, Option<usize>)) -> Self {
        Stmt { sql: Arc::from(r.sql.as_str()), binds: r.binds, table }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Statements one after another on one connection.
    Serial,
    /// Statements concurrently, each on its own connection.
    Parallel,
    /// Statements in one transaction (writes).
    Transaction,
}

#[derive(Debug, Clone)]
pub struct SqlOp {
    pub shape: Shape,
    pub stmts: Vec<Stmt>,
    /// For writes: rows per table (batch); an `update` runs its one-row statement this often.
    pub repeat: usize,
    /// For writes: the rows one request writes (tables x batch), counted as
    /// written whatever the server says it affected (MySQL counts an upsert
    /// that updates as 2 rows, one that changes nothing as 0).
    pub writes: u32,
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
                    Ok(SqlOp { shape: Shape::Serial, stmts: vec![(r, None).into()], repeat: 1, writes: 0 })
                }
                Fetch::Serial | Fetch::Parallel => {
                    let stmts = tables
                        .iter()
                        .map(|&ti| t.read_one(kind, m, &m.tables[ti], k).map(|r| Stmt::from((r, Some(ti)))))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(err)?;
                    let shape = if *fetch == Fetch::Serial { Shape::Serial } else { Shape::Parallel };
                    Ok(SqlOp { shape, stmts, repeat: 1, writes: 0 })
                }
            }
        }
        OpKind::Write { mode, tables } => {
            let batch = op.keys_per_entity;
            let (rows, repeat) = if *mode == WriteMode::Update { (1, batch) } else { (batch, 1) };
            let stmts = tables
                .iter()
                .map(|&ti| t.write(kind, m, &m.tables[ti], *mode, rows).map(|r| Stmt::from((r, Some(ti)))))
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?;
            let writes = (tables.len() * batch) as u32;
            Ok(SqlOp { shape: Shape::Transaction, stmts, repeat, writes })
        }
        OpKind::Statement { name } => {
            let st = statement.ok_or_else(|| BackendError(format!("statement {name} not found")))?;
            let src = st.sql_for(kind).ok_or_else(|| BackendError(format!("statement {name} has no {kind} template")))?;
            let r = t.render_statement(kind, name, src, m).map_err(err)?;
            Ok(SqlOp { shape: Shape::Serial, stmts: vec![(r, None).into()], repeat: 1, writes: 0 })
        }
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
    Null,
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
        }
    }
}

/// Resolves what placeholder `b` binds for request `req` (`rep` is the
/// repetition of a one-row update).
pub fn resolve<'a>(b: &'a BindRef, req: &Request, model: &DataModel, table: Option<usize>, rep: usize) -> Bound<'a> {
    let key = |entity: usize, j: usize| -> Bound<'a> { model.entities[entity].key(req.key(entity, j)).into() };
    match b {
        BindRef::Key { entity, j } => key(*entity, *j),
        BindRef::Pk { row } => match table {
            Some(t) => key(model.tables[t].entity, row + rep),
            None => Bound::Null,
        },
        BindRef::Value { row, col } => match table {
            Some(t) => {
                let tm = &model.tables[t];
                tm.value(req.key(tm.entity, row + rep), *col, req.version).into()
            }
            None => Bound::Null,
        },
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
    }
}

/// The key (`col` None) or a feature of loaded row `idx` of table `t`.
pub fn load_value(model: &DataModel, t: usize, idx: u64, col: Option<usize>) -> Bound<'static> {
    let tm = &model.tables[t];
    match col {
        None => model.entities[tm.entity].key(idx).into(),
        Some(c) => tm.value(idx, c, 0).into(),
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
        if let Err(e) = ctx.templates.write(kind, ctx.model, t, crate::scenario::model::WriteMode::Insert, 2) {
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
    Ok(p.stmts.iter().map(|s| (s.table.map(|t| ctx.model.tables[t].name.clone()).unwrap_or_default(), s.sql.to_string())).collect())
}

/// `pool: 0` is refused.
pub fn check_pool(pool: Option<u32>, p: &str, d: &mut crate::scenario::diag::Diagnostics) {
    if pool == Some(0) {
        d.at(format!("{p}.pool"), "expected a pool of at least 1 connection, found 0");
    }
}
