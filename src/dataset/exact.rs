//! Exact nearest neighbours of the query vectors, by brute force over the
//! deterministic vectors (every stored row's vector is a pure function of
//! the seed): what recall is measured against. Multi-threaded (std threads).

use super::{key_fingerprint, DataModel};
use crate::scenario::model::Distance;
use std::collections::HashMap;

/// The distance pgvector's operator gives (`<->` Euclidean, `<=>` 1 - cosine
/// similarity, `<#>` negative inner product), in f64.
pub fn distance(d: Distance, a: &[f32], b: &[f32]) -> f64 {
    let dot = || a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum::<f64>();
    match d {
        Distance::L2 => a.iter().zip(b).map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2)).sum::<f64>().sqrt(),
        Distance::Ip => -dot(),
        Distance::Cosine => {
            let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
            let n = norm(a) * norm(b);
            if n == 0.0 {
                1.0
            } else {
                1.0 - dot() / n
            }
        }
    }
}

/// Recall of one `vector_search` phase: for each query sent, the share of
/// the k keys returned that are among its k exact nearest neighbours. A
/// returned row counts when its distance is within the k-th exact one (plus
/// a relative 1e-6: the server computes in 4-byte floats), so ties do not
/// count against the server. `returned[q * k..][..k]` are key fingerprints
/// (u64::MAX: no row); `queries`: which query numbers were sent.
pub struct RecallInput<'a> {
    pub table: usize,
    pub column: usize,
    pub distance: Distance,
    pub k: usize,
    pub returned: &'a [u64],
    pub sent: &'a [bool],
}

/// Per sent query, its recall in [0, 1]; computed over every stored row on
/// up to `threads` threads.
pub fn recall_per_query(model: &DataModel, input: &RecallInput<'_>, threads: usize) -> Vec<f64> {
    let t = &model.tables[input.table];
    let entity = &model.entities[t.entity];
    let rows = t.rows;
    let mut stored = Vec::with_capacity(rows as usize);
    let mut by_key = HashMap::with_capacity(rows as usize);
    for idx in 0..rows {
        let mut v = Vec::new();
        t.write_vector(idx, input.column, 0, &mut v);
        stored.push(v);
        by_key.insert(key_fingerprint(&entity.key(idx)), idx as usize);
    }
    let queries: Vec<usize> = input.sent.iter().enumerate().filter(|(_, s)| **s).map(|(q, _)| q).collect();
    let threads = threads.clamp(1, queries.len().max(1));
    let chunk = queries.len().div_ceil(threads).max(1);
    let (stored, by_key) = (&stored, &by_key);
    std::thread::scope(|scope| {
        let handles: Vec<_> = queries
            .chunks(chunk)
            .map(|qs| {
                scope.spawn(move || {
                    let mut query = Vec::new();
                    qs.iter()
                        .map(|&q| {
                            t.write_query_vector(input.column, q as u64, &mut query);
                            let mut all: Vec<f64> = stored.iter().map(|v| distance(input.distance, &query, v)).collect();
                            let k = input.k.min(all.len());
                            if k == 0 {
                                return 1.0;
                            }
                            let (_, kth, _) = all.select_nth_unstable_by(k - 1, f64::total_cmp);
                            let bound = *kth + kth.abs() * 1e-6 + 1e-9;
                            let got = &input.returned[q * input.k..(q + 1) * input.k];
                            let mut seen = Vec::with_capacity(k);
                            let hits = got
                                .iter()
                                .filter_map(|fp| by_key.get(fp))
                                .filter(|idx| {
                                    let fresh = !seen.contains(*idx);
                                    seen.push(**idx);
                                    fresh && distance(input.distance, &query, &stored[**idx]) <= bound
                                })
                                .count();
                            hits as f64 / k as f64
                        })
                        .collect::<Vec<f64>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::*;
    use indexmap::IndexMap;

    fn model() -> DataModel {
        let mut entities = IndexMap::new();
        entities.insert("doc".to_string(), Entity { keys: Some(500), key: KeyType::String, sample: None });
        let features = Features::List(vec![FeatureDef { name: "emb".into(), ty: FeatureType::Vector, dim: Some(8) }]);
        let spec =
            TableSpec { name: "docs".into(), entity: "doc".into(), count: None, features, types: None, rows: None, key_column: None };
        DataModel::new(5, &Dataset { entities, tables: vec![spec] })
    }

    /// The true nearest rows score 1; rows from the far end score 0.
    #[test]
    fn exact_answers_score_one_and_far_rows_zero() {
        let m = model();
        let t = &m.tables[0];
        let k = 5;
        for d in [Distance::L2, Distance::Cosine, Distance::Ip] {
            let mut q = Vec::new();
            t.write_query_vector(0, 3, &mut q);
            let mut order: Vec<(f64, u64)> = (0..500)
                .map(|i| {
                    let mut v = Vec::new();
                    t.write_vector(i, 0, 0, &mut v);
                    (distance(d, &q, &v), i)
                })
                .collect();
            order.sort_by(|a, b| a.0.total_cmp(&b.0));
            let fp = |i: u64| key_fingerprint(&m.entities[0].key(i));
            let mut returned = vec![u64::MAX; 4 * k];
            let mut sent = vec![false; 4];
            sent[3] = true;
            for j in 0..k {
                returned[3 * k + j] = fp(order[j].1);
            }
            let near = recall_per_query(&m, &RecallInput { table: 0, column: 0, distance: d, k, returned: &returned, sent: &sent }, 2);
            assert_eq!(near, vec![1.0], "{d:?}");
            for j in 0..k {
                returned[3 * k + j] = fp(order[499 - j].1);
            }
            returned[3 * k] = fp(order[0].1);
            let far = recall_per_query(&m, &RecallInput { table: 0, column: 0, distance: d, k, returned: &returned, sent: &sent }, 2);
            assert_eq!(far, vec![0.2], "{d:?}: one of five right");
        }
    }
}
