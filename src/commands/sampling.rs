//! Existing tables. Keys of entities that sample them: one table, or the
//! union of every table of the entity, sampled once through a backend and
//! kept in a keys file beside the scenario so later runs send the same keys.
//! Columns of tables with `features: "*"`: read from the catalog.

use crate::backend;
use crate::dataset::{hash_str, mix64, DataModel};
use crate::exec::progress::Progress;
use crate::scenario::model::{expand_table_names, FeatureDef, FeatureType, Features, KeySample, Scenario};
use crate::scenario::Resolved;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The keys file of a sampled entity.
pub(super) fn keys_file(r: &Resolved, entity: &str) -> Option<PathBuf> {
    let e = r.first().dataset.entities.get(entity)?;
    let s = e.sample.as_ref()?;
    let stem = Path::new(&r.file).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "scenario".into());
    Some(r.dir.join(s.file.clone().unwrap_or_else(|| format!("{stem}.{entity}.keys"))))
}

/// Keys of entities that sample an existing table: read from their keys
/// file, or sampled through the first selected backend that can, and written
/// to the file so the next run uses the same keys.
pub(super) async fn sampled_keys(
    r: &Resolved,
    names: &[String],
    templates: &crate::template::Templates,
    progress: &Progress,
) -> Result<BTreeMap<String, Vec<String>>, String> {
    struct Sample<'a> {
        table: &'a str,
        column: &'a str,
        n: u64,
    }
    impl backend::WithBackend for Sample<'_> {
        type Output = Result<Vec<String>, backend::BackendError>;
        async fn run<B: backend::Backend>(self, b: B) -> Self::Output {
            b.sample_keys(self.table, self.column, self.n).await
        }
    }
    let sc = r.first();
    let mut out = BTreeMap::new();
    for (name, e) in &sc.dataset.entities {
        let (Some(s), Some(path)) = (&e.sample, keys_file(r, name)) else { continue };
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|err| format!("{}: {err}", path.display()))?;
            let keys: Vec<String> =
                text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect();
            if keys.is_empty() {
                return Err(format!("{}: no keys in the keys file; delete it to sample again", path.display()));
            }
            out.insert(name.clone(), keys);
            continue;
        }
        let sources = sources(sc, name, s);
        let model = DataModel::new(sc.seed, &sc.dataset);
        let mut union: Vec<String> = Vec::new();
        for (table, column) in &sources {
            let found = first_answer(
                sc,
                names,
                &model,
                templates,
                || Sample { table, column, n: s.count },
                |b| format!("{b}: {table} has no rows"),
            )
            .await;
            let keys = found.map_err(|errors| format!("cannot sample keys of entity {name} from table {table}: {}", errors.join("; ")))?;
            union.extend(keys);
        }
        let keys = spread(union, s.count, sc.seed ^ hash_str(name));
        let from: Vec<String> = sources.iter().map(|(t, c)| format!("{t}.{c}")).collect();
        let body = format!(
            "# keys of entity {name}, sampled from {} ({} keys); benchplan reuses this file: delete it to sample again\n{}\n",
            from.join(", "),
            keys.len(),
            keys.join("\n")
        );
        std::fs::write(&path, body).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
        progress.note(&format!("benchplan: sampled {} keys of {name} from {} into {}", keys.len(), from.join(", "), path.display()));
        out.insert(name.clone(), keys);
    }
    Ok(out)
}

/// Replaces every `features: "*"` with the table's columns from the first
/// selected backend's catalog (all but the key column), in every cell and in
/// the scenario as the report records it; a note names them.
pub(super) async fn catalog_columns(
    r: &mut Resolved,
    names: &[String],
    templates: &crate::template::Templates,
    progress: &Progress,
) -> Result<(), String> {
    struct Columns<'a>(&'a str);
    impl backend::WithBackend for Columns<'_> {
        type Output = Result<Vec<(String, String)>, backend::BackendError>;
        async fn run<B: backend::Backend>(self, b: B) -> Self::Output {
            b.table_columns(self.0).await
        }
    }
    let sc = r.first().clone();
    let model = DataModel::new(sc.seed, &sc.dataset);
    for (j, t) in sc.dataset.tables.iter().enumerate() {
        if !matches!(t.features, Features::Catalog(_)) {
            continue;
        }
        let table = expand_table_names(t).into_iter().next().unwrap_or_else(|| t.name.clone());
        let key = t.key_column.clone().unwrap_or_else(|| "pk".into());
        let found =
            first_answer(&sc, names, &model, templates, || Columns(&table), |b| format!("{b}: no table {table} (or it has no columns)"))
                .await;
        let columns =
            found.map_err(|errors| format!("cannot read the columns of table {table} (features: \"*\"): {}", errors.join("; ")))?;
        let defs = features_of(&table, &key, &columns)?;
        if defs.is_empty() {
            return Err(format!("table {table} has no column besides its key {key} (features: \"*\")"));
        }
        let listed: Vec<String> = defs.iter().map(|f| format!("{} ({})", f.name, f.ty.as_str())).collect();
        progress.note(&format!("benchplan: {table}: features from the catalog: {}", listed.join(", ")));
        if let Some(v) = r.display.pointer_mut(&format!("/dataset/tables/{j}/features")) {
            *v = serde_json::to_value(&defs).map_err(|e| e.to_string())?;
        }
        for c in &mut r.cells {
            if let Some(spec) = c.scenario.dataset.tables.get_mut(j) {
                spec.features = Features::List(defs.clone());
            }
        }
    }
    Ok(())
}

/// The first non-empty answer of `ask()` among the selected backends, in
/// order; else what each said (`empty(name)` for an empty answer).
async fn first_answer<T, W>(
    sc: &Scenario,
    names: &[String],
    model: &DataModel,
    templates: &crate::template::Templates,
    ask: impl Fn() -> W,
    empty: impl Fn(&str) -> String,
) -> Result<Vec<T>, Vec<String>>
where
    W: backend::WithBackend<Output = Result<Vec<T>, backend::BackendError>>,
{
    let mut errors = Vec::new();
    for b in names {
        let ctx = backend::Ctx { name: b, config: &sc.backends[b], model, templates, max_workers: 1 };
        match backend::with_backend(&ctx, ask()).await {
            Ok(Ok(v)) if !v.is_empty() => return Ok(v),
            Ok(Ok(_)) => errors.push(empty(b)),
            Ok(Err(e)) | Err(e) => errors.push(format!("{b}: {e}")),
        }
    }
    Err(errors)
}

/// The features of a table's catalog columns, its key left out: integer
/// types as `int`, floating and decimal as `float`, booleans as `bool`,
/// anything else as `string` (reads fetch whatever the column holds).
fn features_of(table: &str, key: &str, columns: &[(String, String)]) -> Result<Vec<FeatureDef>, String> {
    let mut out = Vec::new();
    for (name, ty) in columns.iter().filter(|(n, _)| !n.eq_ignore_ascii_case(key)) {
        if name.is_empty() || name.chars().any(|c| c == '"' || c == '`' || c.is_control()) {
            return Err(format!("table {table}: column {name:?} cannot be quoted safely; list the features instead of \"*\""));
        }
        let t = ty.to_ascii_lowercase();
        let ty = if t.contains("int") || t.contains("serial") {
            FeatureType::Int
        } else if ["double", "real", "float", "numeric", "decimal"].iter().any(|x| t.contains(x)) {
            FeatureType::Float
        } else if t.contains("bool") {
            FeatureType::Bool
        } else {
            FeatureType::String
        };
        out.push(FeatureDef { name: name.clone(), ty, dim: None, source: None });
    }
    Ok(out)
}

/// The (table, key column) pairs an entity's keys are sampled from: its
/// `sample.table`, or every table of the entity (each with its own key
/// column: `sample.column`, else the table's `key_column`, else `pk`).
fn sources(sc: &Scenario, entity: &str, s: &KeySample) -> Vec<(String, String)> {
    let column_of = |t: Option<&crate::scenario::model::TableSpec>| {
        s.column.clone().or_else(|| t.and_then(|t| t.key_column.clone())).unwrap_or_else(|| "pk".into())
    };
    match &s.table {
        Some(table) => {
            let first = sc.dataset.tables.iter().find(|t| t.entity == entity);
            vec![(table.clone(), column_of(first))]
        }
        None => sc
            .dataset
            .tables
            .iter()
            .filter(|t| t.entity == entity)
            .flat_map(|t| expand_table_names(t).into_iter().map(move |n| (n, column_of(Some(t)))))
            .collect(),
    }
}

/// The distinct keys of `union`, at most `count` of them: when there are
/// more, a subset chosen by a hash of each key and `seed` (the same for the
/// same keys), in sorted order.
fn spread(mut union: Vec<String>, count: u64, seed: u64) -> Vec<String> {
    union.sort();
    union.dedup();
    if union.len() as u64 > count {
        union.sort_by_key(|k| mix64(hash_str(k) ^ seed));
        union.truncate(count as usize);
        union.sort();
    }
    union
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalog_types_map_to_feature_types_and_the_key_is_left_out() {
        let cols: Vec<(String, String)> =
            [("card_id", "text"), ("amount", "double precision"), ("risk", "bigint"), ("ok", "boolean"), ("seen", "timestamp")]
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
        let f = super::features_of("t", "card_id", &cols).unwrap();
        let got: Vec<(&str, &str)> = f.iter().map(|d| (d.name.as_str(), d.ty.as_str())).collect();
        assert_eq!(got, [("amount", "float"), ("risk", "int"), ("ok", "bool"), ("seen", "string")]);
        assert!(super::features_of("t", "k", &[("a\"b".to_string(), "int".to_string())]).is_err());
    }

    #[test]
    fn the_union_is_distinct_and_cut_to_the_count_the_same_way_each_time() {
        let union: Vec<String> = ["b", "a", "c", "a", "d", "e"].iter().map(|s| s.to_string()).collect();
        assert_eq!(super::spread(union.clone(), 10, 1), ["a", "b", "c", "d", "e"]);
        let three = super::spread(union.clone(), 3, 1);
        assert_eq!(three.len(), 3);
        assert_eq!(three, super::spread(union, 3, 1));
    }
}
