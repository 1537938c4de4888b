//! Key names: everything the run touches starts with the key prefix.
//!
//! - `table_per_table`: a hash `<prefix><table>:<key>` per table and key,
//!   the table's features its fields;
//! - `single_table`: a hash `<prefix><entity>:<key>` per entity key, fields
//!   `<table>.<feature>`;
//! - kv operations: strings `<prefix>kv:<key>`; INCR's counters
//!   `<prefix>counter:<key>` (as redis-benchmark keeps its counters apart,
//!   so that INCR never meets a value SET wrote).
//!
//! Keys are written into a buffer the caller keeps (no allocation per key).

use crate::dataset::{DataModel, KeyValue};
use crate::scenario::model::{KeyType, Layout};
use std::fmt::Write;

pub struct Names {
    pub prefix: String,
    pub layout: Layout,
    /// Cluster mode: the entity key of a row key is a hash tag (`{K}`), so
    /// that every table's row of one entity key lives in one slot.
    pub cluster: bool,
    /// Per table: what follows the prefix (`card_f0:` or `card:`).
    table_part: Vec<String>,
    /// Per table: its field names (`f0`, or `card_f0.f0` in single_table).
    pub fields: Vec<Vec<String>>,
}

impl Names {
    pub fn new(prefix: &str, layout: Layout, cluster: bool, model: &DataModel) -> Self {
        let single = layout == Layout::SingleTable;
        let table_part = model
            .tables
            .iter()
            .map(|t| if single { format!("{}:", model.entities[t.entity].name) } else { format!("{}:", t.name) })
            .collect();
        let fields = model
            .tables
            .iter()
            .map(|t| t.columns.iter().map(|c| if single { format!("{}.{}", t.name, c.name) } else { c.name.clone() }).collect())
            .collect();
        Names { prefix: prefix.to_string(), layout, cluster, table_part, fields }
    }

    /// The hash holding table `t`'s row of key `idx`, into `out` (cleared first).
    pub fn row_key(&self, model: &DataModel, t: usize, idx: u64, out: &mut String) {
        out.clear();
        out.push_str(&self.prefix);
        out.push_str(&self.table_part[t]);
        if self.cluster {
            out.push('{');
        }
        write_key(model, model.tables[t].entity, idx, out);
        if self.cluster {
            out.push('}');
        }
    }

    /// The string key of a kv operation on entity `e`'s key `idx`, into `out`
    /// (cleared first); a counter's (INCR) when `counter`.
    pub fn kv_key(&self, model: &DataModel, e: usize, idx: u64, counter: bool, out: &mut String) {
        out.clear();
        out.push_str(&self.prefix);
        out.push_str(if counter { "counter:" } else { "kv:" });
        write_key(model, e, idx, out);
    }

    /// The SCAN pattern matching every key of the run (the prefix's glob
    /// characters escaped).
    pub fn pattern(&self) -> String {
        let mut p = String::with_capacity(self.prefix.len() + 2);
        for c in self.prefix.chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                p.push('\\');
            }
            p.push(c);
        }
        p.push('*');
        p
    }
}

/// Entity `e`'s key `idx` as text, appended to `out`.
pub fn write_key(model: &DataModel, e: usize, idx: u64, out: &mut String) {
    let ent = &model.entities[e];
    if ent.sampled() {
        match ent.key(idx) {
            KeyValue::Int(i) => {
                let _ = write!(out, "{i}");
            }
            KeyValue::Str(s) => out.push_str(&s),
        }
        return;
    }
    match ent.key_type {
        KeyType::Int => {
            let _ = write!(out, "{idx}");
        }
        KeyType::String => ent.write_string_key(idx, out),
        KeyType::Uuid => ent.write_uuid_key(idx, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::*;
    use indexmap::IndexMap;

    #[test]
    fn keys_start_with_the_prefix_and_globs_in_it_are_escaped() {
        let mut entities = IndexMap::new();
        entities.insert("card".to_string(), Entity { keys: Some(10), key: KeyType::Int, sample: None });
        let t = TableSpec {
            name: "card_f{i}".into(),
            entity: "card".into(),
            count: Some(2),
            features: Features::Count(2),
            types: None,
            rows: None,
            key_column: None,
        };
        let m = DataModel::new(1, &Dataset { entities, tables: vec![t] });
        let n = Names::new("b[1]*:", Layout::TablePerTable, false, &m);
        let mut k = String::new();
        n.row_key(&m, 1, 7, &mut k);
        assert_eq!(k, "b[1]*:card_f1:7");
        n.kv_key(&m, 0, 3, false, &mut k);
        assert_eq!(k, "b[1]*:kv:3");
        n.kv_key(&m, 0, 3, true, &mut k);
        assert_eq!(k, "b[1]*:counter:3");
        assert_eq!(n.pattern(), "b\\[1\\]\\*:*");
        let s = Names::new("p:", Layout::SingleTable, false, &m);
        s.row_key(&m, 1, 7, &mut k);
        assert_eq!(k, "p:card:7");
        // In a cluster the entity key is a hash tag: one slot for all its tables.
        let c = Names::new("p:", Layout::TablePerTable, true, &m);
        c.row_key(&m, 1, 7, &mut k);
        assert_eq!(k, "p:card_f1:{7}");
        assert_eq!(s.fields[1], vec!["card_f1.f0", "card_f1.f1"]);
    }
}
