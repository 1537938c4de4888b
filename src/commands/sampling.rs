//! Keys of entities that sample existing tables: one table, or the union of
//! every table of the entity, sampled once through a backend and kept in a
//! keys file beside the scenario so later runs send the same keys.

use crate::backend;
use crate::dataset::{hash_str, mix64, DataModel};
use crate::exec::progress::Progress;
use crate::scenario::model::{expand_table_names, KeySample, Scenario};
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
            let mut errors = Vec::new();
            let mut keys = None;
            for b in names {
                let ctx = backend::Ctx { name: b, config: &sc.backends[b], model: &model, templates, max_workers: 1 };
                match backend::with_backend(&ctx, Sample { table, column, n: s.count }).await {
                    Ok(Ok(k)) if !k.is_empty() => {
                        keys = Some(k);
                        break;
                    }
                    Ok(Ok(_)) => errors.push(format!("{b}: {table} has no rows")),
                    Ok(Err(e)) | Err(e) => errors.push(format!("{b}: {e}")),
                }
            }
            let Some(keys) = keys else {
                return Err(format!("cannot sample keys of entity {name} from table {table}: {}", errors.join("; ")));
            };
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
    fn the_union_is_distinct_and_cut_to_the_count_the_same_way_each_time() {
        let union: Vec<String> = ["b", "a", "c", "a", "d", "e"].iter().map(|s| s.to_string()).collect();
        assert_eq!(super::spread(union.clone(), 10, 1), ["a", "b", "c", "d", "e"]);
        let three = super::spread(union.clone(), 3, 1);
        assert_eq!(three.len(), 3);
        assert_eq!(three, super::spread(union, 3, 1));
    }
}
