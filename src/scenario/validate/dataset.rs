//! `dataset:` entities (key spaces) and feature tables.

use super::{names, safe_name, MAX_IDENT};
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::*;
use crate::scenario::suggest::did_you_mean;
use std::collections::HashSet;

/// Checks the entities and tables; returns every expanded table name with
/// its entity, for the mix's `tables:` to refer to.
pub(super) fn dataset(ds: &Dataset, d: &mut Diagnostics) -> Vec<(String, String)> {
    if ds.entities.is_empty() {
        d.at("dataset.entities", "expected at least one entity");
    }
    for (name, e) in &ds.entities {
        entity(name, e, d);
    }
    if ds.tables.is_empty() {
        d.at("dataset.tables", "expected at least one table");
    }
    let mut seen: HashSet<String> = HashSet::new();
    for (i, t) in ds.tables.iter().enumerate() {
        table(ds, &format!("dataset.tables[{i}]"), t, &mut seen, d);
    }
    ds.tables.iter().flat_map(|t| expand_table_names(t).into_iter().map(move |n| (n, t.entity.clone()))).collect()
}

fn entity(name: &str, e: &Entity, d: &mut Diagnostics) {
    let p = format!("dataset.entities.{name}");
    if !safe_name(name) {
        d.at(&p, format!("expected a lowercase identifier ([a-z_][a-z0-9_]*), found {name:?}"));
    }
    match (&e.keys, &e.sample) {
        (Some(_), Some(_)) => d.at(format!("{p}.sample"), "give `keys` (generated keys) or `sample` (keys of an existing table), not both"),
        (None, None) => d.at(&p, "expected `keys` (how many keys) or `sample` (keys of an existing table)"),
        (Some(0), _) => d.at(format!("{p}.keys"), "expected at least 1 key, found 0"),
        (Some(k), _) if *k > 1u64 << 48 => d.at(format!("{p}.keys"), format!("expected at most 2^48 keys, found {k}")),
        _ => {}
    }
    if let Some(sm) = &e.sample {
        if let Some(t) = sm.table.as_ref().filter(|t| !safe_name(t)) {
            d.at(format!("{p}.sample.table"), format!("expected a safe identifier, found {t:?}"));
        }
        if let Some(c) = &sm.column {
            if !safe_name(c) {
                d.at(format!("{p}.sample.column"), format!("expected a safe identifier, found {c:?}"));
            }
        }
        if sm.count == 0 || sm.count > 10_000_000 {
            d.at(format!("{p}.sample.count"), format!("expected 1 to 10000000 keys, found {}", sm.count));
        }
    }
}

/// One table spec at `p`; `seen` holds the table names of the specs before it.
fn table(ds: &Dataset, p: &str, t: &TableSpec, seen: &mut HashSet<String>, d: &mut Diagnostics) {
    let count = t.count.unwrap_or(1);
    if t.count == Some(0) {
        d.at(format!("{p}.count"), "expected a count of at least 1, found 0");
    }
    if count > 1 && !t.name.contains("{i}") {
        // Expanding the name would only add duplicates.
        d.at(format!("{p}.name"), format!("count is {count}: the name must contain {{i}} to number the tables, found {:?}", t.name));
    } else if count > 10_000 {
        d.at(format!("{p}.count"), format!("expected at most 10000 tables, found {count}"));
    } else {
        for n in expand_table_names(t) {
            if !safe_name(&n) {
                d.at(
                    format!("{p}.name"),
                    format!("expected a safe SQL identifier ([a-z_][a-z0-9_]*, at most {MAX_IDENT} characters), found {n:?}"),
                );
                break;
            }
            if !seen.insert(n.clone()) {
                d.at(format!("{p}.name"), format!("duplicate table `{n}`"));
            }
        }
    }
    match ds.entities.get(&t.entity) {
        None => d.at(
            format!("{p}.entity"),
            format!(
                "unknown entity `{}` (known: {}){}",
                t.entity,
                names(ds.entities.keys()),
                did_you_mean(&t.entity, ds.entities.keys().map(String::as_str))
            ),
        ),
        Some(e) => {
            if let Some(rows) = t.rows {
                if rows > e.count() {
                    d.at(format!("{p}.rows"), format!("expected at most the entity's {} keys, found {rows} rows", e.count()));
                }
            }
        }
    }
    if let Some(kc) = &t.key_column {
        if !safe_name(kc) {
            d.at(format!("{p}.key_column"), format!("expected a safe identifier, found {kc:?}"));
        }
    }
    // The table's rows (none for sampled keys: known only when sampled).
    let table_rows = ds.entities.get(&t.entity).filter(|e| e.sample.is_none()).map(|e| t.rows.unwrap_or(e.count()).min(e.count()));
    features(p, t, table_rows, d);
}

/// `source.file`: a readable .npy or .fvecs file of `dim`-dimensional rows,
/// more than the table's: the rows after them are the query vectors.
fn vector_source(p: &str, f: &FeatureDef, table_rows: Option<u64>, d: &mut Diagnostics) {
    let Some(src) = &f.source else { return };
    if !f.ty.is_vector() {
        return d.at(p, format!("`source` applies to vector and halfvec features, not to type {}", f.ty.as_str()));
    }
    match crate::scenario::vector_file::VectorFile::open(std::path::Path::new(&src.file)) {
        Err(e) => d.at(p, e),
        Ok(file) => {
            if let Some(dim) = f.dim.filter(|dim| *dim != file.dim) {
                d.at(p, format!("the file's vectors have {} dimensions: expected `dim` ({dim})", file.dim));
            }
            if let Some(rows) = table_rows.filter(|rows| file.rows <= *rows) {
                d.at(
                    p,
                    format!(
                        "the file has {} vectors: expected more than the table's {rows} rows (the rows after them are the query vectors)",
                        file.rows
                    ),
                );
            }
        }
    }
}

fn features(p: &str, t: &TableSpec, table_rows: Option<u64>, d: &mut Diagnostics) {
    match &t.features {
        Features::Count(0) => d.at(format!("{p}.features"), "expected at least 1 feature, found 0"),
        Features::Count(n) if *n > 1000 => d.at(format!("{p}.features"), format!("expected at most 1000 features, found {n}")),
        Features::Count(_) => {}
        Features::Catalog(s) if s != "*" => d.at(
            format!("{p}.features"),
            format!("expected a number of features, a list of {{ name, type }}, or \"*\" (an existing table's columns), found {s:?}"),
        ),
        Features::Catalog(_) => {}
        Features::List(list) => {
            if list.is_empty() {
                d.at(format!("{p}.features"), "expected at least 1 feature, found an empty list");
            }
            if t.types.is_some() {
                d.at(format!("{p}.types"), "`types` applies to numbered features; give each listed feature its own `type`");
            }
            let mut fseen = HashSet::new();
            for (j, f) in list.iter().enumerate() {
                if !safe_name(&f.name) || f.name == "pk" || f.name == "sk" {
                    d.at(format!("{p}.features[{j}].name"), format!("expected a safe identifier other than pk and sk, found {:?}", f.name));
                }
                if !fseen.insert(&f.name) {
                    d.at(format!("{p}.features[{j}].name"), format!("duplicate feature `{}`", f.name));
                }
                vector_dim(&format!("{p}.features[{j}]"), f, d);
                vector_source(&format!("{p}.features[{j}].source.file"), f, table_rows, d);
            }
        }
    }
}

/// `dim`: required for `vector` and `halfvec` (pgvector indexes up to 2000
/// and 4000 dimensions, stores up to 16000), refused for the other types.
fn vector_dim(p: &str, f: &FeatureDef, d: &mut Diagnostics) {
    match (f.ty.is_vector(), f.dim) {
        (true, None) => {
            d.at(format!("{p}.dim"), format!("a feature of type {} needs `dim`: its number of dimensions, e.g. dim: 384", f.ty.as_str()))
        }
        (true, Some(n)) if n == 0 || n > 16_000 => d.at(format!("{p}.dim"), format!("expected 1 to 16000 dimensions, found {n}")),
        (false, Some(_)) => {
            d.at(format!("{p}.dim"), format!("`dim` applies to vector and halfvec features, not to type {}", f.ty.as_str()))
        }
        _ => {}
    }
}

/// Kinds that store vector features: PostgreSQL (pgvector) and noop (stores nothing).
pub(super) fn vector_kinds(s: &Scenario, d: &mut Diagnostics) {
    let has_vectors = s.dataset.tables.iter().any(|t| matches!(&t.features, Features::List(l) if l.iter().any(|f| f.ty.is_vector())));
    if !has_vectors {
        return;
    }
    for (name, b) in &s.backends {
        let kind = b.kind();
        if !matches!(kind, Kind::Postgres | Kind::Noop) {
            d.at(
                format!("backends.{name}.kind"),
                format!("the dataset has vector features, which only kind postgres (with the pgvector extension) stores; a backend of kind {kind} cannot"),
            );
        }
    }
}

/// `features: "*"` reads an existing table's columns: a table the scenario
/// creates or loads needs them listed, and only the SQL kinds have a catalog.
pub(super) fn catalog_tables(s: &Scenario, d: &mut Diagnostics) {
    let creates = s.setup.iter().any(|st| matches!(st, Step::Create(_) | Step::Load(_)));
    for (i, t) in s.dataset.tables.iter().enumerate() {
        if !matches!(t.features, Features::Catalog(_)) {
            continue;
        }
        if creates {
            d.at(
                format!("dataset.tables[{i}].features"),
                "\"*\" reads the columns of an existing table from the database; a table that setup creates or loads needs its features listed (or remove create and load)",
            );
        }
        for (name, b) in &s.backends {
            if !matches!(b.kind(), Kind::Postgres | Kind::Mysql | Kind::Sqlite) {
                d.at(
                    format!("dataset.tables[{i}].features"),
                    format!("\"*\" reads columns from a SQL catalog; backend `{name}` (kind {}) has none: list the features", b.kind()),
                );
            }
        }
    }
}
