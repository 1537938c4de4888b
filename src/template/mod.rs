//! One minijinja environment for DDL and operation templates.
//!
//! Templates live in `templates/<kind>/` (embedded in the binary); a
//! scenario's `templates:` folder overrides them file by file. Values are
//! never pasted into SQL: `bind(x)` leaves a token that is replaced by the
//! kind's placeholder (`$N` on PostgreSQL, `?` on SQLite and MySQL) after
//! rendering, and the value it stands for is recorded. (SQLite gets
//! anonymous `?`, not `?NNN`: sqlx looks each numbered parameter's name up in
//! a list that SQLite scans from its start, so binding a statement of n
//! numbered parameters costs n² steps: 9 s for a batch of 10,000 rows.) A key or value that reaches the text without
//! `bind()` is an error.

use crate::dataset::{Column, DataModel, TableModel};
use crate::scenario::model::Kind;
use minijinja::value::Value as JValue;
use minijinja::{context, Environment, Error as JError, ErrorKind, State};
use std::collections::BTreeMap;
use std::path::PathBuf;

mod write;

/// Built-in templates, embedded so the binary works from any folder.
const BUILTIN: &[(&str, &str)] = &[
    ("sqlite/create_table.sql", include_str!("../../templates/sqlite/create_table.sql")),
    ("sqlite/drop_table.sql", include_str!("../../templates/sqlite/drop_table.sql")),
    ("sqlite/read_one.sql", include_str!("../../templates/sqlite/read_one.sql")),
    ("sqlite/read_packed.sql", include_str!("../../templates/sqlite/read_packed.sql")),
    ("sqlite/write.sql", include_str!("../../templates/sqlite/write.sql")),
    ("postgres/create_table.sql", include_str!("../../templates/postgres/create_table.sql")),
    ("postgres/drop_table.sql", include_str!("../../templates/postgres/drop_table.sql")),
    ("postgres/read_one.sql", include_str!("../../templates/postgres/read_one.sql")),
    ("postgres/read_packed.sql", include_str!("../../templates/postgres/read_packed.sql")),
    ("postgres/write.sql", include_str!("../../templates/postgres/write.sql")),
    ("mysql/create_table.sql", include_str!("../../templates/mysql/create_table.sql")),
    ("mysql/drop_table.sql", include_str!("../../templates/mysql/drop_table.sql")),
    ("mysql/read_one.sql", include_str!("../../templates/mysql/read_one.sql")),
    ("mysql/read_packed.sql", include_str!("../../templates/mysql/read_packed.sql")),
    ("mysql/write.sql", include_str!("../../templates/mysql/write.sql")),
];

const MARK: char = '\u{1}';
const BIND: char = '\u{2}';

/// What a placeholder stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum BindRef {
    /// The j-th key of an entity in the request.
    Key { entity: usize, j: usize },
    /// The key of row `row` of a write (the row-th key of the table's entity).
    Pk { row: usize },
    /// Feature `col` of row `row` of a write.
    Value { row: usize, col: usize },
    /// The first `n` keys of an entity as one array (PostgreSQL `= ANY($1)`).
    KeyArray { entity: usize, n: usize },
    /// The keys of a write's `n` rows as one array (PostgreSQL).
    PkArray { n: usize },
    /// Feature `col` of a write's `n` rows as one array (PostgreSQL).
    ValueArray { col: usize, n: usize },
    /// A constant written in the template.
    Literal(serde_json::Value),
}

/// A piece of a rendered non-SQL template.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    /// The j-th key of an entity in the request.
    Key {
        entity: usize,
        j: usize,
    },
}

/// A rendered statement: SQL with placeholders, and what each placeholder binds.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub sql: String,
    pub binds: Vec<BindRef>,
}

pub struct Templates {
    env: Environment<'static>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

fn key_marker(entity: &str, j: usize) -> String {
    format!("{MARK}k:{entity}:{j}{MARK}")
}

fn bind_fn(v: JValue) -> String {
    // A list of keys binds as one array.
    if let Ok(items) = v.try_iter() {
        if v.as_str().is_none() {
            let markers: Vec<String> = items.filter_map(|x| x.as_str().map(str::to_string)).collect();
            if let Some(first) = markers.first() {
                let entity = first.trim_matches(MARK).split(':').nth(1).unwrap_or("");
                return format!("{BIND}{MARK}a:{entity}:{}{MARK}{BIND}", markers.len());
            }
        }
    }
    match v.as_str() {
        Some(s) if s.starts_with(MARK) => format!("{BIND}{s}{BIND}"),
        _ => {
            let json = serde_json::to_value(&v).unwrap_or(serde_json::Value::Null);
            format!("{BIND}{MARK}l:{json}{MARK}{BIND}")
        }
    }
}

fn table_fn(state: &State, name: &str) -> Result<String, JError> {
    let known = state.lookup("_tables");
    let quote = state.lookup("_quote").and_then(|q| q.as_str().map(str::to_string)).unwrap_or_else(|| "\"".into());
    let ok = known.as_ref().and_then(|k| k.get_item(&JValue::from(name)).ok()).is_some_and(|v| !v.is_undefined() && !v.is_none());
    if !ok {
        let names: Vec<String> =
            known.and_then(|k| k.try_iter().ok()).map(|it| it.filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default();
        let hint = crate::scenario::suggest::did_you_mean(name, names.iter().map(String::as_str));
        return Err(JError::new(ErrorKind::InvalidOperation, format!("table('{name}'): no such table in the dataset{hint}")));
    }
    Ok(format!("{quote}{name}{quote}"))
}

/// Steps a template may take to render (minijinja's fuel): far above what
/// the built-in templates need for thousands of tables, far below a loop
/// that would run for minutes.
pub const RENDER_FUEL: u64 = 20_000_000;

/// The largest template override read, in bytes.
const MAX_TEMPLATE_BYTES: u64 = 1 << 20;

/// Reads a template override, at most MAX_TEMPLATE_BYTES.
fn read_override(p: &std::path::Path) -> Result<String, JError> {
    use std::io::Read;
    let fail = |e: String| JError::new(ErrorKind::InvalidOperation, format!("cannot read template {}: {e}", p.display()));
    let mut bytes = Vec::new();
    std::fs::File::open(p).and_then(|f| f.take(MAX_TEMPLATE_BYTES + 1).read_to_end(&mut bytes)).map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_TEMPLATE_BYTES {
        return Err(fail(format!("larger than {MAX_TEMPLATE_BYTES} bytes")));
    }
    String::from_utf8(bytes).map_err(|_| fail("not UTF-8 text".into()))
}

impl Templates {
    /// `overrides`: a folder with `<kind>/<file>` templates that replace the built-in ones.
    pub fn new(overrides: Option<PathBuf>) -> Self {
        let mut env = Environment::new();
        env.set_keep_trailing_newline(false);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // A template (an override, or a statement in the scenario) cannot run
        // away: rendering stops after RENDER_FUEL steps, and nesting is bounded.
        env.set_fuel(Some(RENDER_FUEL));
        env.set_recursion_limit(64);
        env.set_loader(move |name| {
            if let Some(dir) = &overrides {
                let p = dir.join(name);
                if p.is_file() {
                    let text = read_override(&p)?;
                    if text.trim().is_empty() {
                        return Err(JError::new(
                            ErrorKind::InvalidOperation,
                            format!("template override {} is empty (delete it to use the built-in {name})", p.display()),
                        ));
                    }
                    return Ok(Some(text));
                }
            }
            Ok(BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, s)| s.to_string()))
        });
        env.add_function("bind", bind_fn);
        env.add_function("table", table_fn);
        Templates { env }
    }

    fn render(&self, kind: Kind, file: &str, ctx: JValue) -> Result<String, TemplateError> {
        let name = format!("{kind}/{file}");
        let t = self.env.get_template(&name).map_err(|e| TemplateError(describe(&e, &name)))?;
        t.render(ctx).map_err(|e| TemplateError(describe(&e, &name)))
    }

    /// Renders an inline statement template (from the scenario).
    pub fn render_statement(&self, kind: Kind, name: &str, src: &str, model: &DataModel) -> Result<Rendered, TemplateError> {
        let tables: BTreeMap<String, bool> = model.tables.iter().map(|t| (t.name.clone(), true)).collect();
        let key: BTreeMap<String, String> = model.entities.iter().map(|e| (e.name.clone(), key_marker(&e.name, 0))).collect();
        let ctx = context! { key => key, _tables => tables, _quote => quote(kind), kind => kind.as_str() };
        let text = self.env.render_str(src, ctx).map_err(|e| TemplateError(describe(&e, &format!("statement {name}"))))?;
        finish(kind, &text, model).map_err(|e| TemplateError(format!("statement {name}: {e}")))
    }

    /// Renders a text template of a non-SQL kind (a DynamoDB or Cosmos DB
    /// call's field): keys stay references, to be sent as typed values.
    /// `bind(x)` is accepted and means the same as `x`.
    pub fn render_parts(&self, kind: Kind, name: &str, src: &str, model: &DataModel) -> Result<Vec<Part>, TemplateError> {
        let tables: BTreeMap<String, bool> = model.tables.iter().map(|t| (t.name.clone(), true)).collect();
        let key: BTreeMap<String, String> = model.entities.iter().map(|e| (e.name.clone(), key_marker(&e.name, 0))).collect();
        let ctx = context! { key => key, _tables => tables, _quote => "", kind => kind.as_str() };
        let text = self.env.render_str(src, ctx).map_err(|e| TemplateError(describe(&e, &format!("statement {name}"))))?;
        let text = text.replace(BIND, "");
        let mut parts = Vec::new();
        for (i, piece) in text.split(MARK).enumerate() {
            if i % 2 == 0 {
                if !piece.is_empty() {
                    parts.push(Part::Text(piece.to_string()));
                }
                continue;
            }
            match parse_marker(piece, model).map_err(|e| TemplateError(format!("statement {name}: {e}")))? {
                BindRef::Key { entity, j } => parts.push(Part::Key { entity, j }),
                BindRef::Literal(v) => parts.push(Part::Text(match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })),
                other => return Err(TemplateError(format!("statement {name}: {other:?} cannot be used here"))),
            }
        }
        Ok(parts)
    }

    pub fn create_table(
        &self,
        kind: Kind,
        model: &DataModel,
        t: &TableModel,
        extra: &BTreeMap<&str, JValue>,
    ) -> Result<String, TemplateError> {
        let ctx = context! { t => table_ctx(kind, model, t), key_type => key_type(model, t), ..JValue::from_serialize(extra) };
        let text = self.render(kind, "create_table.sql", ctx)?;
        Ok(text.trim().to_string())
    }

    pub fn drop_table(&self, kind: Kind, model: &DataModel, t: &TableModel) -> Result<String, TemplateError> {
        let text = self.render(kind, "drop_table.sql", context! { t => table_ctx(kind, model, t) })?;
        Ok(text.trim().to_string())
    }

    /// One table's read for `k` keys of its entity.
    pub fn read_one(&self, kind: Kind, model: &DataModel, t: &TableModel, k: usize) -> Result<Rendered, TemplateError> {
        let ctx = context! { t => table_ctx(kind, model, t), keys => keys_ctx(model, &[t.entity], k) };
        let text = self.render(kind, "read_one.sql", ctx)?;
        finish(kind, &text, model).map_err(TemplateError)
    }

    /// All `tables` in one statement.
    pub fn read_packed(&self, kind: Kind, model: &DataModel, tables: &[usize], k: usize) -> Result<Rendered, TemplateError> {
        let ents: Vec<usize> = tables.iter().map(|&t| model.tables[t].entity).collect();
        let tctx: Vec<JValue> = tables.iter().map(|&t| table_ctx(kind, model, &model.tables[t])).collect();
        let ctx = context! { tables => tctx, keys => keys_ctx(model, &ents, k) };
        let text = self.render(kind, "read_packed.sql", ctx)?;
        finish(kind, &text, model).map_err(TemplateError)
    }
}

fn describe(e: &JError, name: &str) -> String {
    if e.kind() == ErrorKind::OutOfFuel {
        return format!("template {name}: stopped after {RENDER_FUEL} rendering steps (a loop that would run too long?)");
    }
    let mut msg = format!("template {name}: {}", e.kind());
    if let Some(d) = e.detail() {
        msg.push_str(&format!(": {d}"));
    }
    // The template's own line, not the scenario file's (the scenario's
    // place is the diagnostic's `file:line:column`).
    if let Some(line) = e.line() {
        msg.push_str(&format!(" (line {line} of the template)"));
    }
    msg
}

pub fn quote(kind: Kind) -> &'static str {
    if kind == Kind::Mysql {
        "`"
    } else {
        "\""
    }
}

fn key_type(model: &DataModel, t: &TableModel) -> &'static str {
    match model.entities[t.entity].key_type {
        crate::scenario::model::KeyType::Int => "int",
        crate::scenario::model::KeyType::String => "string",
        crate::scenario::model::KeyType::Uuid => "uuid",
    }
}

fn table_ctx(kind: Kind, model: &DataModel, t: &TableModel) -> JValue {
    let q = quote(kind);
    let cols: Vec<JValue> = t
        .columns
        .iter()
        .map(|c: &Column| context! { name => c.name, ident => format!("{q}{}{q}", c.name), type => c.ty.as_str(), dim => c.dim })
        .collect();
    context! {
        name => t.name,
        ident => format!("{q}{}{q}", t.name),
        pk => format!("{q}{}{q}", t.key_column),
        entity => model.entities[t.entity].name,
        columns => cols,
        rows => t.rows,
    }
}

fn keys_ctx(model: &DataModel, ents: &[usize], k: usize) -> BTreeMap<String, Vec<String>> {
    ents.iter()
        .map(|&e| {
            let name = &model.entities[e].name;
            (name.clone(), (0..k).map(|j| key_marker(name, j)).collect())
        })
        .collect()
}

/// Replaces bind tokens by placeholders and records what they bind; rejects
/// markers outside `bind()`.
fn finish(kind: Kind, text: &str, model: &DataModel) -> Result<Rendered, String> {
    let mut sql = String::with_capacity(text.len());
    let mut binds = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(BIND) {
        sql.push_str(&rest[..i]);
        let after = &rest[i + BIND.len_utf8()..];
        let end = after.find(BIND).ok_or("unbalanced bind token")?;
        let marker = after[..end].trim_matches(MARK);
        let b = parse_marker(marker, model)?;
        if matches!(b, BindRef::KeyArray { .. }) && kind != Kind::Postgres {
            return Err("bind() of a list of keys is PostgreSQL only; bind each key: IN ({% for k in keys[...] %}{{ bind(k) }}...)".into());
        }
        if matches!(b, BindRef::PkArray { .. } | BindRef::ValueArray { .. }) && kind != Kind::Postgres {
            return Err("`arrays` (a column bound as one array) is PostgreSQL only; bind each row's values from `rows`".into());
        }
        binds.push(b);
        match kind {
            Kind::Postgres => sql.push_str(&format!("${}", binds.len())),
            _ => sql.push('?'),
        }
        rest = &after[end + BIND.len_utf8()..];
    }
    sql.push_str(rest);
    if let Some(i) = sql.find(MARK) {
        let what = sql[i + 1..].split(MARK).next().unwrap_or("");
        let what =
            what.strip_prefix("k:").map(|k| format!("key.{}", k.split(':').next().unwrap_or(""))).unwrap_or_else(|| "a value".into());
        return Err(format!("{what} is pasted into the SQL text; write {{{{ bind({what}) }}}} so that it is bound, never pasted"));
    }
    Ok(Rendered { sql: sql.trim().to_string(), binds })
}

fn parse_marker(m: &str, model: &DataModel) -> Result<BindRef, String> {
    let bad = || format!("bad bind marker {m:?}");
    if let Some(json) = m.strip_prefix("l:") {
        return Ok(BindRef::Literal(serde_json::from_str(json).unwrap_or(serde_json::Value::Null)));
    }
    let parts: Vec<&str> = m.split(':').collect();
    match parts.as_slice() {
        ["k", e, j] => Ok(BindRef::Key { entity: model.entity_index(e).ok_or_else(bad)?, j: j.parse().map_err(|_| bad())? }),
        ["a", e, n] => Ok(BindRef::KeyArray { entity: model.entity_index(e).ok_or_else(bad)?, n: n.parse().map_err(|_| bad())? }),
        ["p", r] => Ok(BindRef::Pk { row: r.parse().map_err(|_| bad())? }),
        ["pa", n] => Ok(BindRef::PkArray { n: n.parse().map_err(|_| bad())? }),
        ["va", c, n] => Ok(BindRef::ValueArray { col: c.parse().map_err(|_| bad())?, n: n.parse().map_err(|_| bad())? }),
        ["v", r, c] => Ok(BindRef::Value { row: r.parse().map_err(|_| bad())?, col: c.parse().map_err(|_| bad())? }),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::*;
    use indexmap::IndexMap;

    fn model() -> DataModel {
        let mut entities = IndexMap::new();
        entities.insert("card".to_string(), Entity { keys: Some(10), key: KeyType::String, sample: None });
        DataModel::new(
            1,
            &Dataset {
                entities,
                tables: vec![TableSpec {
                    name: "card_f{i}".into(),
                    entity: "card".into(),
                    count: Some(2),
                    features: Features::Count(2),
                    types: None,
                    rows: None,
                    key_column: None,
                }],
            },
        )
    }

    #[test]
    fn packed_read_binds_every_key() {
        let m = model();
        let t = Templates::new(None);
        let r = t.read_packed(Kind::Postgres, &m, &[0, 1], 1).unwrap();
        assert!(r.sql.contains("UNION ALL"), "{}", r.sql);
        assert!(r.sql.contains("$2"));
        assert_eq!(r.binds, vec![BindRef::Key { entity: 0, j: 0 }, BindRef::Key { entity: 0, j: 0 }]);
        let r = t.read_one(Kind::Sqlite, &m, &m.tables[0], 3).unwrap();
        assert!(r.sql.contains("IN (?, ?, ?)"), "{}", r.sql);
        let r = t.read_one(Kind::Postgres, &m, &m.tables[0], 3).unwrap();
        assert!(r.sql.contains("= ANY($1)"), "{}", r.sql);
        assert_eq!(r.binds, vec![BindRef::KeyArray { entity: 0, n: 3 }]);
    }

    #[test]
    fn statement_values_are_bound_never_pasted() {
        let m = model();
        let t = Templates::new(None);
        let r = t.render_statement(Kind::Mysql, "s", "SELECT * FROM {{ table('card_f0') }} WHERE pk = {{ bind(key.card) }}", &m).unwrap();
        assert_eq!(r.sql, "SELECT * FROM `card_f0` WHERE pk = ?");
        assert_eq!(r.binds, vec![BindRef::Key { entity: 0, j: 0 }]);
        let e = t.render_statement(Kind::Sqlite, "s", "SELECT * FROM card_f0 WHERE pk = '{{ key.card }}'", &m).unwrap_err();
        assert!(e.0.contains("pasted"), "{e}");
        let e = t.render_statement(Kind::Sqlite, "s", "SELECT * FROM {{ table('nope') }}", &m).unwrap_err();
        assert!(e.0.contains("no such table"), "{e}");
        let e = t.render_statement(Kind::Sqlite, "s", "SELECT 1\nFROM {{ table( }}", &m).unwrap_err();
        assert!(e.0.starts_with("template statement s: syntax error") && e.0.ends_with(" (line 2 of the template)"), "{e}");
    }

    #[test]
    fn upsert_and_update_render() {
        let m = model();
        let t = Templates::new(None);
        let r = &t.write(Kind::Sqlite, &m, &m.tables[0], WriteMode::Upsert, 2).unwrap()[0];
        assert!(r.sql.contains("ON CONFLICT (\"pk\") DO UPDATE"), "{}", r.sql);
        assert_eq!(r.binds.len(), 6);
        let r = &t.write(Kind::Mysql, &m, &m.tables[0], WriteMode::Update, 1).unwrap()[0];
        assert!(r.sql.starts_with("UPDATE `card_f0` SET"), "{}", r.sql);
        assert_eq!(r.binds.last(), Some(&BindRef::Pk { row: 0 }));
    }

    /// PostgreSQL binds a column of the batch as one array: the parameters
    /// do not grow with the rows (a batch of 10,000 rows of 2 features binds
    /// 3), where the other kinds bind every value.
    #[test]
    fn postgres_writes_bind_arrays_whatever_the_batch() {
        let m = model();
        let t = Templates::new(None);
        for mode in [WriteMode::Insert, WriteMode::Upsert, WriteMode::Update] {
            let parts = t.write(Kind::Postgres, &m, &m.tables[0], mode, 10_000).unwrap();
            assert_eq!(parts.len(), 1, "{mode:?}");
            let r = &parts[0];
            assert!(r.sql.contains("UNNEST($1::text[], $2::float8[], $3::float8[])"), "{mode:?}: {}", r.sql);
            assert_eq!(
                r.binds,
                vec![BindRef::PkArray { n: 10_000 }, BindRef::ValueArray { col: 0, n: 10_000 }, BindRef::ValueArray { col: 1, n: 10_000 }]
            );
        }
        let upd = &t.write(Kind::Postgres, &m, &m.tables[0], WriteMode::Update, 3).unwrap()[0];
        assert!(upd.sql.starts_with("UPDATE \"card_f0\" AS t SET \"f0\" = u.\"f0\""), "{}", upd.sql);
        assert!(upd.sql.ends_with("WHERE t.\"pk\" = u.\"pk\""), "{}", upd.sql);
        // replace: the keys' rows deleted, then inserted; each statement numbers its own placeholders.
        let parts = t.write(Kind::Postgres, &m, &m.tables[0], WriteMode::Replace, 50).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].sql, "DELETE FROM \"card_f0\" WHERE \"pk\" = ANY($1::text[])");
        assert_eq!(parts[0].binds, vec![BindRef::PkArray { n: 50 }]);
        assert!(parts[1].sql.starts_with("INSERT INTO \"card_f0\""), "{}", parts[1].sql);
        assert!(!parts[1].sql.contains("ON CONFLICT"), "{}", parts[1].sql);
        // One row: the plain statements, as before.
        let one = &t.write(Kind::Postgres, &m, &m.tables[0], WriteMode::Insert, 1).unwrap()[0];
        assert!(one.sql.contains("VALUES ($1, $2, $3)"), "{}", one.sql);
        let big = &t.write(Kind::Sqlite, &m, &m.tables[0], WriteMode::Insert, 100).unwrap()[0];
        assert_eq!(big.binds.len(), 300);
    }

    #[test]
    fn replace_and_multi_row_updates_render_on_mysql_and_sqlite() {
        let m = model();
        let t = Templates::new(None);
        for kind in [Kind::Mysql, Kind::Sqlite] {
            let r = &t.write(kind, &m, &m.tables[0], WriteMode::Replace, 2).unwrap()[0];
            assert!(r.sql.starts_with("REPLACE INTO"), "{kind}: {}", r.sql);
            assert_eq!(r.binds.len(), 6);
            let u = t.write(kind, &m, &m.tables[0], WriteMode::Update, 3).unwrap();
            assert_eq!(u.len(), 1);
            assert_eq!(u[0].binds.len(), 9, "{kind}: every row's key and values: {}", u[0].sql);
            assert_eq!(u[0].binds[3], BindRef::Pk { row: 1 });
        }
        let my = &t.write(Kind::Mysql, &m, &m.tables[0], WriteMode::Update, 2).unwrap()[0].sql;
        assert!(my.contains("SELECT ? AS `pk`, ? AS `f0`, ? AS `f1`\nUNION ALL SELECT ?, ?, ?"), "{my}");
        let lite = &t.write(Kind::Sqlite, &m, &m.tables[0], WriteMode::Update, 2).unwrap()[0].sql;
        assert!(lite.contains("FROM (VALUES (?, ?, ?), (?, ?, ?)) AS u"), "{lite}");
    }
}
