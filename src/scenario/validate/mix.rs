//! A phase's `mix:` the weighted operations and what they refer to.

use super::{names, safe_name};
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::*;
use crate::scenario::suggest::did_you_mean;

/// The mix at `p`; `tables`: every table name with its entity.
pub(super) fn entries(s: &Scenario, mix: &[MixEntry], p: &str, tables: &[(String, String)], d: &mut Diagnostics) {
    if mix.is_empty() {
        d.at(p, "expected at least one operation");
        return;
    }
    let mut total = 0.0;
    let mut named = std::collections::HashSet::new();
    for (i, m) in mix.iter().enumerate() {
        let mp = format!("{p}[{i}]");
        if let Some(n) = &m.name {
            if !named.insert(n) {
                d.at(format!("{mp}.name"), format!("duplicate name `{n}` in this mix"));
            }
        }
        let w = m.weight.unwrap_or(1.0);
        if !(w >= 0.0 && w.is_finite()) {
            d.at(format!("{mp}.weight"), format!("expected a weight >= 0, found {w}"));
        } else {
            total += w;
        }
        entry(s, m, &mp, tables, d);
    }
    if total <= 0.0 {
        d.at(p, "the weights add up to 0; at least one operation needs a positive weight");
    }
}

/// One entry at `mp`, less its weight.
fn entry(s: &Scenario, m: &MixEntry, mp: &str, tables: &[(String, String)], d: &mut Diagnostics) {
    let n = m.forms();
    if n != 1 {
        d.at(mp, format!("expected exactly one of read_features, write_features, statement, kv, vector_search, steps; found {n}"));
    }
    if let Some(name) = &m.name {
        if !safe_name(name) {
            d.at(format!("{mp}.name"), format!("expected a lowercase identifier, found {name:?}"));
        }
    }
    if m.concurrent.is_some() && m.steps.is_none() {
        d.at(format!("{mp}.concurrent"), "`concurrent` applies to a request with `steps` only");
    }
    if let Some(bs) = &m.backends {
        for (j, b) in bs.iter().enumerate() {
            if !s.backends.contains_key(b) {
                let hint = did_you_mean(b, s.backends.keys().map(String::as_str));
                d.at(format!("{mp}.backends[{j}]"), format!("unknown backend `{b}` (known: {}){hint}", names(s.backends.keys())));
            }
        }
    }
    match &m.steps {
        Some(steps) if n == 1 => {
            if steps.is_empty() {
                d.at(format!("{mp}.steps"), "expected at least one step");
            }
            if steps.len() > 64 {
                d.at(format!("{mp}.steps"), format!("expected at most 64 steps, found {}", steps.len()));
            }
            let mut seen = std::collections::HashSet::new();
            for (j, st) in steps.iter().enumerate() {
                let sp = format!("{mp}.steps[{j}]");
                let k = st.forms();
                if k != 1 {
                    d.at(&sp, format!("expected exactly one of read_features, write_features, statement, kv; found {k}"));
                }
                let name = st.name.clone().unwrap_or_else(|| default_step_name(j));
                if st.name.is_some() && !safe_name(&name) {
                    d.at(format!("{sp}.name"), format!("expected a lowercase identifier, found {name:?}"));
                }
                if !seen.insert(name.clone()) {
                    d.at(format!("{sp}.name"), format!("duplicate step name `{name}`"));
                }
                operation(
                    s,
                    m,
                    Ops { read: &st.read_features, write: &st.write_features, stmt: &st.statement, kv: &st.kv },
                    &sp,
                    tables,
                    d,
                );
            }
        }
        _ => operation(s, m, Ops { read: &m.read_features, write: &m.write_features, stmt: &m.statement, kv: &m.kv }, mp, tables, d),
    }
    if let Some(v) = &m.vector_search {
        super::vector::vector_search(s, v, &format!("{mp}.vector_search"), d);
    }
}

/// The operation fields of an entry or a step.
struct Ops<'a> {
    read: &'a Option<ReadOp>,
    write: &'a Option<WriteOp>,
    stmt: &'a Option<StatementOp>,
    kv: &'a Option<KvOp>,
}

/// The operation fields of an entry or a step at `mp`.
fn operation(s: &Scenario, m: &MixEntry, ops: Ops<'_>, mp: &str, tables: &[(String, String)], d: &mut Diagnostics) {
    let Ops { read, write: write_op, stmt, kv: kv_op } = ops;
    if let Some(r) = read {
        entities(s, tables, &format!("{mp}.read_features"), &r.entities, &r.tables, d);
        if r.keys_per_table == Some(0) {
            d.at(format!("{mp}.read_features.keys_per_table"), "expected at least 1, found 0");
        }
        if r.keys_per_table.unwrap_or(1) > 1000 {
            d.at(format!("{mp}.read_features.keys_per_table"), "expected at most 1000");
        }
    }
    if let Some(w) = write_op {
        entities(s, tables, &format!("{mp}.write_features"), &w.entities, &w.tables, d);
        write(s, w, mp, d);
    }
    if let Some(st) = stmt {
        statement(s, m, st, mp, d);
    }
    if let Some(k) = kv_op {
        kv(s, m, k, &format!("{mp}.kv"), d);
    }
}

/// A kv operation at `at`: its entity, sizes that fit the command, and
/// backends that speak it.
fn kv(s: &Scenario, m: &MixEntry, k: &KvOp, at: &str, d: &mut Diagnostics) {
    match &k.entity {
        Some(e) if !s.dataset.entities.contains_key(e) => {
            let hint = did_you_mean(e, s.dataset.entities.keys().map(String::as_str));
            d.at(format!("{at}.entity"), format!("unknown entity `{e}` (known: {}){hint}", names(s.dataset.entities.keys())));
        }
        None if s.dataset.entities.is_empty() => d.at(format!("{at}.entity"), "expected an entity for the keys (the dataset has none)"),
        _ => {}
    }
    let cmd = k.command.as_str();
    match k.value_size {
        Some(_) if !k.command.writes_value() => {
            d.at(format!("{at}.value_size"), format!("`value_size` applies to set and mset, not {cmd}"))
        }
        Some(n) if n == 0 || n > 16 << 20 => d.at(format!("{at}.value_size"), format!("expected 1 to 16777216 bytes, found {n}")),
        _ => {}
    }
    match k.keys {
        Some(_) if !k.command.multi_key() => d.at(format!("{at}.keys"), format!("`keys` applies to mset, mget and del, not {cmd}")),
        Some(n) if n == 0 || n > 1000 => d.at(format!("{at}.keys"), format!("expected 1 to 1000 keys per command, found {n}")),
        _ => {}
    }
    if k.ttl.is_some() && k.command != KvCommand::Set {
        d.at(format!("{at}.ttl"), format!("`ttl` applies to set (SET ... PX), not {cmd}"));
    }
    if k.ttl.is_some_and(|t| t.0.is_zero()) {
        d.at(format!("{at}.ttl"), "expected a positive duration");
    }
    if let Some(p) = k.pipeline.filter(|p| *p == 0 || *p > 10_000) {
        d.at(format!("{at}.pipeline"), format!("expected 1 to 10000 commands per request, found {p}"));
    }
    for (bname, b) in &s.backends {
        let runs_here = m.backends.as_ref().is_none_or(|bs| bs.contains(bname));
        if runs_here && !matches!(b.kind(), Kind::Redis | Kind::Noop) {
            d.at(
                at,
                format!(
                    "a kv operation runs on redis backends; backend `{bname}` is {}: limit this entry with `backends: [...]`",
                    b.kind()
                ),
            );
        }
    }
}

/// An operation's `entities` and `tables`; `at`: the operation's path.
fn entities(s: &Scenario, tables: &[(String, String)], at: &str, ents: &[String], sel: &Option<Vec<String>>, d: &mut Diagnostics) {
    if ents.is_empty() {
        d.at(format!("{at}.entities"), "expected at least one entity");
    }
    for (j, e) in ents.iter().enumerate() {
        if !s.dataset.entities.contains_key(e) {
            let hint = did_you_mean(e, s.dataset.entities.keys().map(String::as_str));
            d.at(format!("{at}.entities[{j}]"), format!("unknown entity `{e}` (known: {}){hint}", names(s.dataset.entities.keys())));
        }
    }
    if let Some(ts) = sel {
        for (j, t) in ts.iter().enumerate() {
            match tables.iter().find(|(n, _)| n == t) {
                None => d.at(
                    format!("{at}.tables[{j}]"),
                    format!("unknown table `{t}`{}", did_you_mean(t, tables.iter().map(|(n, _)| n.as_str()))),
                ),
                Some((_, e)) if !ents.contains(e) => {
                    d.at(format!("{at}.tables[{j}]"), format!("table `{t}` belongs to entity `{e}`, which is not in entities"))
                }
                _ => {}
            }
        }
    }
}

/// A write's batch: at least 1, at most 10000, and (but for inserts) at
/// most the keys there are.
fn write(s: &Scenario, w: &WriteOp, mp: &str, d: &mut Diagnostics) {
    if w.batch == Some(0) {
        d.at(format!("{mp}.write_features.batch"), "expected a batch of at least 1, found 0");
    }
    if w.batch.unwrap_or(1) > 10_000 {
        d.at(format!("{mp}.write_features.batch"), "expected a batch of at most 10000");
    }
    let fewest = w.entities.iter().filter_map(|e| s.dataset.entities.get(e)).map(|e| e.count()).min();
    if let Some(n) = fewest {
        if n > 0 && w.mode != WriteMode::Insert && u64::from(w.batch.unwrap_or(1)) > n {
            d.at(
                format!("{mp}.write_features.batch"),
                format!("a batch writes distinct existing keys: expected at most {n}, the entity's keys"),
            );
        }
    }
}

/// A statement's name, and a template for every backend the entry runs on.
fn statement(s: &Scenario, m: &MixEntry, st: &StatementOp, mp: &str, d: &mut Diagnostics) {
    if !safe_name(&st.name) {
        d.at(format!("{mp}.statement.name"), format!("expected a lowercase identifier, found {:?}", st.name));
    }
    for (field, text) in [("sql", &st.sql), ("sqlite", &st.sqlite), ("postgres", &st.postgres), ("mysql", &st.mysql)] {
        if let Some(SqlText::List(list)) = text {
            if list.is_empty() {
                d.at(format!("{mp}.statement.{field}"), "expected at least one SQL statement in the list");
            }
        }
    }
    if st.is_two_phase() {
        for (bname, b) in &s.backends {
            let runs_here = m.backends.as_ref().is_none_or(|bs| bs.contains(bname));
            if runs_here && b.kind() != Kind::Postgres && b.kind() != Kind::Noop {
                d.at(
                    format!("{mp}.statement.two_phase"),
                    format!(
                        "two-phase commit is PostgreSQL's (PREPARE TRANSACTION); backend `{bname}` is {}: limit this entry with `backends: [...]`",
                        b.kind()
                    ),
                );
            }
        }
    }
    for (bname, b) in &s.backends {
        let runs_here = m.backends.as_ref().is_none_or(|bs| bs.contains(bname));
        if runs_here && !st.has_template_for(b.kind()) {
            d.at(
                format!("{mp}.statement"),
                format!(
                    "no `{}` template for backend `{bname}` (kind {}); add one, or limit this entry with `backends: [...]`",
                    template_field(b.kind()),
                    b.kind()
                ),
            );
        }
    }
}

fn template_field(k: Kind) -> &'static str {
    match k {
        Kind::Sqlite | Kind::Postgres | Kind::Mysql => "sql",
        other => other.as_str(),
    }
}
