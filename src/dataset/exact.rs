//! Exact nearest neighbours of the query vectors, by brute force over the
//! stored vectors (each a pure function of the seed, or a row of the user's
//! file): what recall is measured against. Multi-threaded (std threads, the
//! rows split between them), in bounded memory: one vector per thread and k
//! candidates per query, never the table.

use crate::scenario::model::Distance;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

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

/// One query's exact answer: its k nearest rows as (row number, distance),
/// nearest first; rows at the same distance in row-number order.
pub type TopK = Vec<(u64, f64)>;

/// A candidate ordered by (distance, row): the heap's largest is the worst kept.
#[derive(PartialEq)]
struct Candidate(f64, u64);

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

/// The exact top k of each query among rows `0..rows`, whose vectors
/// `vector_of(row, out)` writes; the rows split over `threads` threads, each
/// keeping its k best per query, merged at the end.
pub fn exact_top_k<F>(rows: u64, queries: &[Vec<f32>], k: usize, d: Distance, threads: usize, vector_of: F) -> Vec<TopK>
where
    F: Fn(u64, &mut Vec<f32>) + Sync,
{
    let threads = (threads.max(1) as u64).min(rows.max(1));
    let chunk = rows.div_ceil(threads).max(1);
    let vector_of = &vector_of;
    let parts: Vec<Vec<BinaryHeap<Candidate>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut heaps: Vec<BinaryHeap<Candidate>> = queries.iter().map(|_| BinaryHeap::with_capacity(k + 1)).collect();
                    let mut v = Vec::new();
                    for row in (t * chunk)..((t + 1) * chunk).min(rows) {
                        vector_of(row, &mut v);
                        for (q, heap) in queries.iter().zip(&mut heaps) {
                            let c = Candidate(distance(d, q, &v), row);
                            if heap.len() < k {
                                heap.push(c);
                            } else if heap.peek().is_some_and(|worst| c < *worst) {
                                heap.pop();
                                heap.push(c);
                            }
                        }
                    }
                    heaps
                })
            })
            .collect();
        // A thread panics only on a bug; its rows are then missing, not the run.
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    (0..queries.len())
        .map(|q| {
            let mut all: Vec<Candidate> = parts.iter().flat_map(|p| p[q].iter().map(|c| Candidate(c.0, c.1))).collect();
            all.sort();
            all.truncate(k);
            all.into_iter().map(|c| (c.1, c.0)).collect()
        })
        .collect()
}

/// One query's recall against its exact answer: the share of the k slots
/// whose returned row is within the k-th exact distance (plus a relative
/// 1e-6: the server computes in 4-byte floats), so a row tied with the k-th
/// counts as right whichever of the tied rows the server chose. `returned`:
/// the rows returned (None: no row, or a key not in the table); a row
/// returned twice counts once; `distance_of(row)`: its distance to the query.
pub fn recall_of(exact: &TopK, k: usize, returned: &[Option<u64>], mut distance_of: impl FnMut(u64) -> f64) -> f64 {
    if k == 0 || exact.is_empty() {
        return 1.0;
    }
    let kth = exact[exact.len() - 1].1;
    let bound = kth + kth.abs() * 1e-6 + 1e-9;
    let mut seen: Vec<u64> = Vec::with_capacity(k);
    let mut hits = 0usize;
    for row in returned.iter().take(k).flatten() {
        if seen.contains(row) {
            continue;
        }
        seen.push(*row);
        if distance_of(*row) <= bound {
            hits += 1;
        }
    }
    hits as f64 / k.min(exact.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::DataModel;
    use crate::scenario::model::*;
    use indexmap::IndexMap;

    fn model() -> DataModel {
        let mut entities = IndexMap::new();
        entities.insert("doc".to_string(), Entity { keys: Some(500), key: KeyType::String, sample: None });
        let features = Features::List(vec![FeatureDef { name: "emb".into(), ty: FeatureType::Vector, dim: Some(8), source: None }]);
        let spec =
            TableSpec { name: "docs".into(), entity: "doc".into(), count: None, features, types: None, rows: None, key_column: None };
        DataModel::new(5, &Dataset { entities, tables: vec![spec] })
    }

    /// The threaded top k equals a plain sort of every distance, on any
    /// number of threads; the true nearest rows score 1, far rows 0.
    #[test]
    fn top_k_equals_a_full_sort_and_scores_recall() {
        let m = model();
        let t = &m.tables[0];
        let k = 5;
        for d in [Distance::L2, Distance::Cosine, Distance::Ip] {
            let mut q = Vec::new();
            t.write_query_vector(0, 3, &mut q);
            let vec_of = |i: u64, out: &mut Vec<f32>| t.write_vector(i, 0, 0, out);
            let mut order: Vec<(u64, f64)> = (0..500)
                .map(|i| {
                    let mut v = Vec::new();
                    vec_of(i, &mut v);
                    (i, distance(d, &q, &v))
                })
                .collect();
            order.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            for threads in [1, 3, 8] {
                let got = exact_top_k(500, std::slice::from_ref(&q), k, d, threads, vec_of);
                assert_eq!(got, vec![order[..k].to_vec()], "{d:?} on {threads} threads");
            }
            let exact = order[..k].to_vec();
            let dist = |row: u64| order.iter().find(|(r, _)| *r == row).map(|(_, x)| *x).unwrap();
            let near: Vec<Option<u64>> = exact.iter().map(|(r, _)| Some(*r)).collect();
            assert_eq!(recall_of(&exact, k, &near, dist), 1.0, "{d:?}");
            let mut far: Vec<Option<u64>> = (0..k).map(|j| Some(order[499 - j].0)).collect();
            far[0] = Some(order[0].0);
            assert_eq!(recall_of(&exact, k, &far, dist), 0.2, "{d:?}: one of five right");
            // Missing rows and a row twice are misses.
            let short = vec![Some(order[0].0), Some(order[0].0), None];
            assert_eq!(recall_of(&exact, k, &short, dist), 0.2, "{d:?}");
        }
    }

    /// A row at the k-th distance that is not in the exact list (a tie) counts as right.
    #[test]
    fn a_tie_with_the_kth_counts() {
        let exact = vec![(0, 0.5), (1, 1.0)];
        let dist = |row: u64| [0.5, 1.0, 1.0, 1.5][row as usize];
        assert_eq!(recall_of(&exact, 2, &[Some(0), Some(2)], dist), 1.0);
        assert_eq!(recall_of(&exact, 2, &[Some(0), Some(3)], dist), 0.5);
    }
}
