//! Deterministic data: every key and value is a pure function of
//! (seed, table, key), so every backend holds the same data and a rerun
//! reproduces it. Nothing here holds a table in memory: rows are generated
//! on demand, one batch at a time.

pub mod exact;

use crate::scenario::model::expand_table_names;
use crate::scenario::model::{Dataset, FeatureType, FeatureTypes, Features, KeyType};

/// SplitMix64 finaliser: a fast, well-mixed 64-bit hash step.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hashes a string (FNV-1a then mixed): stable across runs and platforms.
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix64(h)
}

/// A key as one number, to compare keys without allocating: an integer key
/// itself, a string key's hash.
pub fn key_fingerprint(k: &KeyValue) -> u64 {
    match k {
        KeyValue::Int(i) => *i as u64,
        KeyValue::Str(s) => hash_str(s),
    }
}

/// One entity: a key space.
#[derive(Debug, Clone)]
pub struct EntityModel {
    pub name: String,
    pub keys: u64,
    pub key_type: KeyType,
    salt: u64,
    /// Keys sampled from an existing table: key `idx` is `list[idx]`.
    list: Option<std::sync::Arc<Vec<String>>>,
}

/// A key value as bound to a statement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyValue {
    Int(i64),
    Str(String),
}

impl std::fmt::Display for KeyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyValue::Int(i) => write!(f, "{i}"),
            KeyValue::Str(s) => f.write_str(s),
        }
    }
}

impl EntityModel {
    /// The key with index `idx` (0-based; indices >= `keys` are new keys for inserts).
    pub fn key(&self, idx: u64) -> KeyValue {
        if let Some(list) = &self.list {
            let s = list.get(idx as usize).or(list.last()).cloned().unwrap_or_default();
            return match (self.key_type, s.parse::<i64>()) {
                (KeyType::Int, Ok(i)) => KeyValue::Int(i),
                _ => KeyValue::Str(s),
            };
        }
        match self.key_type {
            KeyType::Int => KeyValue::Int(idx as i64),
            KeyType::String => {
                let mut s = String::with_capacity(20);
                self.write_string_key(idx, &mut s);
                KeyValue::Str(s)
            }
            KeyType::Uuid => {
                let mut s = String::with_capacity(36);
                self.write_uuid_key(idx, &mut s);
                KeyValue::Str(s)
            }
        }
    }

    /// Whether the keys come from an existing table.
    pub fn sampled(&self) -> bool {
        self.list.is_some()
    }

    /// `<entity>-<16 hex digits>`: unique per index (the hash is a bijection).
    pub fn write_string_key(&self, idx: u64, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(out, "{}-{:016x}", self.name, mix64(idx ^ self.salt));
    }

    /// A version-4-shaped UUID, unique per index.
    pub fn write_uuid_key(&self, idx: u64, out: &mut String) {
        use std::fmt::Write;
        let hi = mix64(idx ^ self.salt);
        let lo = mix64(hi ^ idx.rotate_left(17));
        let a = (hi >> 32) as u32;
        let b = (hi >> 16) as u16;
        let c = (hi as u16 & 0x0fff) | 0x4000;
        let d = ((lo >> 48) as u16 & 0x3fff) | 0x8000;
        let e = lo & 0xffff_ffff_ffff;
        let _ = write!(out, "{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:012x}");
    }
}

/// One feature column.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub ty: FeatureType,
    /// Dimensions of a `vector` or `halfvec` feature; 0 for the others.
    pub dim: u32,
    /// A vector feature read from the user's file (`source`): row i is key
    /// i's vector, the rows after the table's are the query vectors.
    pub file: Option<std::sync::Arc<crate::scenario::vector_file::VectorFile>>,
}

/// One expanded table (`card_f3`).
#[derive(Debug, Clone)]
pub struct TableModel {
    pub name: String,
    /// The key column (`pk` unless the scenario names another).
    pub key_column: String,
    /// Index into [`DataModel::entities`].
    pub entity: usize,
    pub columns: Vec<Column>,
    /// Rows loaded: keys 0..rows of the entity.
    pub rows: u64,
    salt: u64,
}

/// A feature value.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureValue {
    Float(f64),
    Int(i64),
    Str(String),
    Bool(bool),
    /// A `vector` or `halfvec` feature.
    Vector(Vec<f32>),
}

/// Centroids of each vector feature's Gaussian mixture.
pub const VECTOR_CLUSTERS: u64 = 32;
/// The standard deviation of each component's noise around its centroid
/// (centroid components are uniform in [-1, 1]).
pub const VECTOR_NOISE: f64 = 0.25;
/// Vector components are multiples of 2^-10 in (-2, 2): exact as 4-byte and
/// as 2-byte floats, so `vector` and `halfvec` store the generated values.
const VECTOR_STEP: f64 = 1024.0;

/// A standard normal value from 64 random bits (Box-Muller).
fn gaussian(h: u64) -> f64 {
    let u1 = ((h >> 32) as f64 + 0.5) / 4_294_967_296.0;
    let u2 = (h & 0xffff_ffff) as f64 / 4_294_967_296.0;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// One vector of the mixture `salt` (a feature's): the centroid `h` picks,
/// plus independent noise per component, from the bits `h`.
fn mixture_vector(salt: u64, h: u64, dim: u32, out: &mut Vec<f32>) {
    out.clear();
    let cluster = h % VECTOR_CLUSTERS;
    let centre = mix64(salt ^ cluster.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    for j in 0..u64::from(dim) {
        let c = (mix64(centre ^ j.wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
        let x = c + VECTOR_NOISE * gaussian(mix64(h ^ j.wrapping_mul(0xA24B_AED4_963E_E407)));
        let q = (x * VECTOR_STEP).round().clamp(-2047.0, 2047.0) / VECTOR_STEP;
        out.push(q as f32);
    }
}

/// pgvector's text form of a vector: `[x,y,...]` (each the shortest decimal
/// that reads back as the same 4-byte float).
pub fn write_vector_text(v: &[f32], out: &mut Vec<u8>) {
    use std::io::Write;
    out.push(b'[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing into a Vec cannot fail.
        let _ = write!(out, "{x}");
    }
    out.push(b']');
}

impl TableModel {
    /// The value of feature `col` for key `idx`; `version` 0 is the loaded
    /// data, writes use higher versions.
    pub fn value(&self, idx: u64, col: usize, version: u64) -> FeatureValue {
        let h = mix64(self.salt ^ mix64(idx) ^ (col as u64).wrapping_mul(0x2545_F491_4F6C_DD1D) ^ version.wrapping_mul(0x9E37_79B9));
        match self.columns[col].ty {
            // Six decimals, so every backend stores and returns the same number.
            FeatureType::Float => FeatureValue::Float((h % 1_000_000) as f64 / 1_000_000.0),
            FeatureType::Int => FeatureValue::Int((h % 1_000_000) as i64),
            FeatureType::String => FeatureValue::Str(format!("{:012x}", h >> 16)),
            FeatureType::Bool => FeatureValue::Bool(h & 1 == 1),
            FeatureType::Vector | FeatureType::Halfvec => {
                let mut v = Vec::with_capacity(self.columns[col].dim as usize);
                self.write_vector(idx, col, version, &mut v);
                FeatureValue::Vector(v)
            }
        }
    }

    fn vector_salt(&self, col: usize) -> u64 {
        mix64(self.salt ^ hash_str(&self.columns[col].name).rotate_left(13))
    }

    /// Vector feature `col` of key `idx` (`version` as in [`Self::value`]) into `out`:
    /// a Gaussian mixture of [`VECTOR_CLUSTERS`] centroids per feature.
    pub fn write_vector(&self, idx: u64, col: usize, version: u64, out: &mut Vec<f32>) {
        if let Some(file) = &self.columns[col].file {
            return file.read_row(idx, out);
        }
        let salt = self.vector_salt(col);
        let h = mix64(salt ^ mix64(idx) ^ version.wrapping_mul(0x9E37_79B9));
        mixture_vector(salt, h, self.columns[col].dim, out);
    }

    /// Query vector `q` for feature `col`: drawn from the same mixture as the
    /// stored vectors, but from other bits (so not one of them).
    pub fn write_query_vector(&self, col: usize, q: u64, out: &mut Vec<f32>) {
        if let Some(file) = &self.columns[col].file {
            let held_out = file.rows.saturating_sub(self.rows).max(1);
            return file.read_row(self.rows + q % held_out, out);
        }
        let salt = self.vector_salt(col);
        let h = mix64(salt.rotate_left(29) ^ mix64(q ^ 0x5157_5545_5259));
        mixture_vector(salt, h, self.columns[col].dim, out);
    }
}

/// Entities and expanded tables of one scenario.
#[derive(Debug, Clone)]
pub struct DataModel {
    pub seed: u64,
    pub entities: Vec<EntityModel>,
    pub tables: Vec<TableModel>,
}

impl DataModel {
    pub fn new(seed: u64, ds: &Dataset) -> Self {
        Self::with_keys(seed, ds, &std::collections::BTreeMap::new())
    }

    /// With the keys of sampled entities (entity name -> keys).
    pub fn with_keys(seed: u64, ds: &Dataset, lists: &std::collections::BTreeMap<String, Vec<String>>) -> Self {
        let entities: Vec<EntityModel> = ds
            .entities
            .iter()
            .map(|(name, e)| {
                let list = lists.get(name).filter(|l| !l.is_empty()).map(|l| std::sync::Arc::new(l.clone()));
                EntityModel {
                    name: name.clone(),
                    keys: list.as_ref().map(|l| l.len() as u64).unwrap_or_else(|| e.count()),
                    key_type: e.key,
                    salt: mix64(seed ^ hash_str(name)),
                    list,
                }
            })
            .collect();
        let mut tables = Vec::new();
        for spec in &ds.tables {
            let entity = ds.entities.get_index_of(&spec.entity).unwrap_or(0);
            let keys = entities.get(entity).map(|e| e.keys).unwrap_or(0);
            let columns: Vec<Column> = match &spec.features {
                Features::Count(n) => (0..*n as usize)
                    .map(|i| Column {
                        dim: 0,
                        file: None,
                        name: format!("f{i}"),
                        ty: match spec.types.unwrap_or(FeatureTypes::Float) {
                            FeatureTypes::Float => FeatureType::Float,
                            FeatureTypes::Int => FeatureType::Int,
                            FeatureTypes::String => FeatureType::String,
                            FeatureTypes::Bool => FeatureType::Bool,
                            FeatureTypes::Mixed => [FeatureType::Float, FeatureType::Int, FeatureType::String, FeatureType::Bool][i % 4],
                        },
                    })
                    .collect(),
                Features::List(list) => list
                    .iter()
                    .map(|f| Column {
                        name: f.name.clone(),
                        ty: f.ty,
                        dim: f.dim.unwrap_or(0),
                        // Checked when the scenario was loaded; a file that
                        // cannot be opened now gives empty vectors, which the server refuses.
                        file: f
                            .source
                            .as_ref()
                            .and_then(|s| crate::scenario::vector_file::VectorFile::open(std::path::Path::new(&s.file)).ok())
                            .map(std::sync::Arc::new),
                    })
                    .collect(),
                // Read from the catalog when the run starts; none before.
                Features::Catalog(_) => Vec::new(),
            };
            for name in expand_table_names(spec) {
                tables.push(TableModel {
                    salt: mix64(seed ^ hash_str(&name).rotate_left(7)),
                    key_column: spec.key_column.clone().unwrap_or_else(|| "pk".to_string()),
                    name,
                    entity,
                    columns: columns.clone(),
                    rows: spec.rows.unwrap_or(keys).min(keys),
                });
            }
        }
        DataModel { seed, entities, tables }
    }

    pub fn entity_index(&self, name: &str) -> Option<usize> {
        self.entities.iter().position(|e| e.name == name)
    }

    pub fn table_index(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name == name)
    }

    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// Rows of one table in batches: `(key index, key)`; values come from
/// [`TableModel::value`]. Holds one batch at a time.
pub struct RowBatches<'a> {
    pub table: &'a TableModel,
    pub entity: &'a EntityModel,
    next: u64,
    batch: u64,
}

impl<'a> RowBatches<'a> {
    pub fn new(model: &'a DataModel, table: usize, batch: u64) -> Self {
        let t = &model.tables[table];
        RowBatches { table: t, entity: &model.entities[t.entity], next: 0, batch: batch.max(1) }
    }
}

impl Iterator for RowBatches<'_> {
    /// Key indices of the next batch.
    type Item = std::ops::Range<u64>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.table.rows {
            return None;
        }
        let end = (self.next + self.batch).min(self.table.rows);
        let r = self.next..end;
        self.next = end;
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::{Entity, FeatureDef, TableSpec};
    use indexmap::IndexMap;

    fn ds() -> Dataset {
        let mut entities = IndexMap::new();
        entities.insert("card".to_string(), Entity { keys: Some(1000), key: KeyType::String, sample: None });
        entities.insert("user".to_string(), Entity { keys: Some(1000), key: KeyType::Uuid, sample: None });
        Dataset {
            entities,
            tables: vec![TableSpec {
                name: "card_f{i}".into(),
                entity: "card".into(),
                count: Some(3),
                features: Features::Count(4),
                types: Some(FeatureTypes::Mixed),
                rows: Some(500),
                key_column: None,
            }],
        }
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let a = DataModel::new(7, &ds());
        let b = DataModel::new(7, &ds());
        let c = DataModel::new(8, &ds());
        assert_eq!(a.tables.len(), 3);
        assert_eq!(a.tables[2].name, "card_f2");
        assert_eq!(a.tables[0].rows, 500);
        for k in [0u64, 1, 499] {
            for col in 0..4 {
                assert_eq!(a.tables[1].value(k, col, 0), b.tables[1].value(k, col, 0));
            }
            assert_eq!(a.entities[0].key(k), b.entities[0].key(k));
        }
        let differs = (0..50).any(|k| a.tables[0].value(k, 0, 0) != c.tables[0].value(k, 0, 0));
        assert!(differs, "another seed must give other values");
        assert!(matches!(a.tables[0].value(3, 0, 0), FeatureValue::Float(_)));
        assert!(matches!(a.tables[0].value(3, 1, 0), FeatureValue::Int(_)));
        assert!(matches!(a.tables[0].value(3, 2, 0), FeatureValue::Str(_)));
        assert!(matches!(a.tables[0].value(3, 3, 0), FeatureValue::Bool(_)));
    }

    #[test]
    fn keys_are_unique_and_shaped() {
        let m = DataModel::new(1, &ds());
        let keys: std::collections::HashSet<KeyValue> = (0..1000).map(|i| m.entities[0].key(i)).collect();
        assert_eq!(keys.len(), 1000);
        let KeyValue::Str(u) = m.entities[1].key(5) else { panic!("uuid keys are strings") };
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }

    fn vector_model(seed: u64) -> DataModel {
        let mut entities = IndexMap::new();
        entities.insert("doc".to_string(), Entity { keys: Some(2000), key: KeyType::Int, sample: None });
        let features = Features::List(vec![FeatureDef { name: "emb".into(), ty: FeatureType::Vector, dim: Some(16), source: None }]);
        let spec =
            TableSpec { name: "docs".into(), entity: "doc".into(), count: None, features, types: None, rows: None, key_column: None };
        DataModel::new(seed, &Dataset { entities, tables: vec![spec] })
    }

    fn distance(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum::<f64>().sqrt()
    }

    #[test]
    fn vectors_are_deterministic_exact_as_halfs_and_clustered() {
        let (a, b, c) = (vector_model(3), vector_model(3), vector_model(4));
        let t = &a.tables[0];
        let FeatureValue::Vector(v) = t.value(5, 0, 0) else { panic!("a vector feature gives a vector") };
        assert_eq!(v.len(), 16);
        assert_eq!(b.tables[0].value(5, 0, 0), FeatureValue::Vector(v.clone()));
        assert_ne!(c.tables[0].value(5, 0, 0), FeatureValue::Vector(v.clone()), "another seed, other vectors");
        for x in &v {
            assert!(x.abs() < 2.0 && (x * 1024.0).fract() == 0.0, "{x} is not a multiple of 2^-10 in (-2, 2)");
        }
        // Clustered: a vector's nearest stored neighbour is much closer than a
        // random pair (a uniform cloud would make them about equal).
        let all: Vec<Vec<f32>> = (0..2000)
            .map(|k| {
                let mut o = Vec::new();
                t.write_vector(k, 0, 0, &mut o);
                o
            })
            .collect();
        let nearest = (1..2000).map(|k| distance(&all[0], &all[k])).fold(f64::MAX, f64::min);
        let mean = (1..2000).map(|k| distance(&all[0], &all[k])).sum::<f64>() / 1999.0;
        assert!(nearest < mean * 0.6, "nearest {nearest} vs mean {mean}");
        let mut q = Vec::new();
        t.write_query_vector(0, 0, &mut q);
        assert_eq!(q.len(), 16);
        assert!(!all.contains(&q), "a query vector is not a stored one");
        let mut text = Vec::new();
        write_vector_text(&[0.5, -1.0, 0.0009765625], &mut text);
        assert_eq!(text, b"[0.5,-1,0.0009765625]");
    }

    #[test]
    fn batches_cover_rows_once() {
        let m = DataModel::new(1, &ds());
        let batches: Vec<_> = RowBatches::new(&m, 0, 128).collect();
        assert_eq!(batches.len(), 4);
        assert_eq!(batches.iter().map(|r| r.end - r.start).sum::<u64>(), 500);
        assert_eq!(batches[3], 384..500);
    }
}
