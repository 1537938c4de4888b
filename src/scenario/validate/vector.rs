//! Vector search: the `index` step (and `vector_search` in the mix: `mix.rs`).

use crate::scenario::diag::Diagnostics;
use crate::scenario::model::*;
use crate::scenario::suggest::did_you_mean;

/// The vector features of the dataset: (expanded table name, feature).
pub(super) fn vector_columns(s: &Scenario) -> Vec<(String, FeatureDef)> {
    let mut out = Vec::new();
    for t in &s.dataset.tables {
        if let Features::List(list) = &t.features {
            for name in expand_table_names(t) {
                out.extend(list.iter().filter(|f| f.ty.is_vector()).map(|f| (name.clone(), f.clone())));
            }
        }
    }
    out
}

/// `table` and `column` name a vector feature of the dataset (at `p`).
pub(super) fn vector_column(s: &Scenario, table: &str, column: Option<&str>, p: &str, d: &mut Diagnostics) {
    let all = vector_columns(s);
    if all.is_empty() {
        d.at(p, "the dataset has no vector feature (a feature of type vector or halfvec, with dim)");
        return;
    }
    let of_table: Vec<&str> = all.iter().filter(|(t, _)| t == table).map(|(_, f)| f.name.as_str()).collect();
    if of_table.is_empty() {
        let tables: Vec<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
        d.at(
            format!("{p}.table"),
            format!(
                "expected a table with a vector feature ({}), found `{table}`{}",
                tables.join(", "),
                did_you_mean(table, tables.iter().copied())
            ),
        );
        return;
    }
    match column {
        Some(c) if !of_table.contains(&c) => d.at(
            format!("{p}.column"),
            format!(
                "expected a vector feature of {table} ({}), found `{c}`{}",
                of_table.join(", "),
                did_you_mean(c, of_table.iter().copied())
            ),
        ),
        None if of_table.len() > 1 => {
            d.at(p, format!("{table} has several vector features ({}): name one with `column`", of_table.join(", ")))
        }
        _ => {}
    }
}

/// Only PostgreSQL (with pgvector) and noop run vector steps and operations.
pub(super) fn vector_backends(s: &Scenario, what: &str, p: &str, d: &mut Diagnostics) {
    for (name, b) in &s.backends {
        if !matches!(b.kind(), Kind::Postgres | Kind::Noop) {
            d.at(p, format!("{what} needs PostgreSQL with pgvector; backend `{name}` is of kind {}", b.kind()));
        }
    }
}

pub(super) fn index_step(s: &Scenario, ix: &IndexStep, p: &str, d: &mut Diagnostics) {
    vector_column(s, &ix.table, Some(&ix.column), p, d);
    vector_backends(s, "an index step", p, d);
    let hnsw = ix.method == IndexMethod::Hnsw;
    let misplaced =
        [("m", ix.m.is_some() && !hnsw), ("ef_construction", ix.ef_construction.is_some() && !hnsw), ("lists", ix.lists.is_some() && hnsw)];
    for (field, bad) in misplaced {
        if bad {
            d.at(format!("{p}.{field}"), format!("`{field}` does not apply to method {}", ix.method.as_str()));
        }
    }
    if let Some(m) = ix.m.filter(|m| !(2..=100).contains(m)) {
        d.at(format!("{p}.m"), format!("expected m from 2 to 100 (pgvector's range), found {m}"));
    }
    if let Some(e) = ix.ef_construction.filter(|e| !(4..=1000).contains(e)) {
        d.at(format!("{p}.ef_construction"), format!("expected ef_construction from 4 to 1000 (pgvector's range), found {e}"));
    }
    if let Some(l) = ix.lists.filter(|l| !(1..=32768).contains(l)) {
        d.at(format!("{p}.lists"), format!("expected lists from 1 to 32768 (pgvector's range), found {l}"));
    }
    if let Some(mem) = &ix.maintenance_work_mem {
        let digits = mem.trim_end_matches(|c: char| c.is_ascii_alphabetic()).trim();
        let unit = mem[digits.len()..].trim();
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || !["", "kB", "MB", "GB", "TB"].contains(&unit) {
            d.at(
                format!("{p}.maintenance_work_mem"),
                format!("expected a size such as 512MB or 2GB (units kB, MB, GB, TB), found {mem:?}"),
            );
        }
    }
    if let Some(n) = ix.max_parallel_maintenance_workers.filter(|n| *n > 1024) {
        d.at(format!("{p}.max_parallel_maintenance_workers"), format!("expected at most 1024 workers, found {n}"));
    }
}

pub(super) fn vector_search(s: &Scenario, v: &VectorSearchOp, p: &str, d: &mut Diagnostics) {
    vector_column(s, &v.table, v.column.as_deref(), p, d);
    vector_backends(s, "vector_search", p, d);
    if !(1..=1000).contains(&v.k()) {
        d.at(format!("{p}.k"), format!("expected k from 1 to 1000, found {}", v.k()));
    }
    if !(1..=1_000_000).contains(&v.queries()) {
        d.at(format!("{p}.queries"), format!("expected 1 to 1000000 query vectors, found {}", v.queries()));
    }
    if let Some(f) = &v.filter {
        if f.contains(';') || f.trim().is_empty() {
            d.at(format!("{p}.filter"), format!("expected one SQL condition (no `;`), found {f:?}"));
        }
    }
}

/// `settings:` names PostgreSQL can set (`work_mem`, `hnsw.ef_search`) and scalar values.
fn settings_map(map: &indexmap::IndexMap<String, serde_json::Value>, p: &str, d: &mut Diagnostics) {
    for (name, v) in map {
        let part_ok = |x: &str| {
            x.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                && x.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        let parts: Vec<&str> = name.split('.').collect();
        if parts.len() > 2 || !parts.iter().all(|x| part_ok(x)) {
            d.at(format!("{p}.{name}"), format!("expected a setting name such as work_mem or hnsw.ef_search, found {name:?}"));
        }
        if !(v.is_string() || v.is_number() || v.is_boolean()) {
            d.at(format!("{p}.{name}"), "expected a number, a string or a boolean");
        }
    }
}

/// The backends' and the phases' `settings`; the phases' only where every backend can take them.
pub(super) fn settings(s: &Scenario, d: &mut Diagnostics) {
    for (name, b) in &s.backends {
        if let BackendConfig::Postgres(c) = b {
            settings_map(&c.settings, &format!("backends.{name}.settings"), d);
        }
    }
    for (i, ph) in s.phases.iter().enumerate() {
        let spec = ph.spec();
        if spec.settings.is_empty() {
            continue;
        }
        let p = format!("phases[{i}].{}.settings", if ph.is_warmup() { "warmup" } else { "run" });
        settings_map(&spec.settings, &p, d);
        for (name, b) in &s.backends {
            if !matches!(b.kind(), Kind::Postgres | Kind::Noop) {
                d.at(&p, format!("settings apply to PostgreSQL connections; backend `{name}` is of kind {}", b.kind()));
            }
        }
    }
}
