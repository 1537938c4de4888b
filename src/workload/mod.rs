//! The request sequence of a phase: a pure function of (seed, cell, phase,
//! request index), whichever worker sends the request.

pub mod dist;

use crate::dataset::{mix64, DataModel};
use crate::scenario::model::{KeySpec, MixEntry, WriteMode};
use dist::{KeyChooser, Rng};

/// What one mix entry does, with table and entity names resolved to indices.
#[derive(Debug, Clone)]
pub enum OpKind {
    Read {
        fetch: crate::scenario::model::Fetch,
        tables: Vec<usize>,
    },
    Write {
        mode: WriteMode,
        tables: Vec<usize>,
    },
    /// A custom statement (index into the phase's statements).
    Statement {
        name: String,
    },
}

#[derive(Debug, Clone)]
pub struct OpSpec {
    /// A label for reports: `read_features/packed`, `write_features/upsert`, `statement/name`.
    pub label: String,
    pub kind: OpKind,
    /// Entity indices whose keys the op uses.
    pub entities: Vec<usize>,
    /// Keys drawn per entity: keys_per_table for reads, batch for writes.
    pub keys_per_entity: usize,
    /// Index of the mix entry in the scenario.
    pub mix_index: usize,
}

/// The compiled mix of one phase for one backend.
#[derive(Debug, Clone)]
pub struct Workload {
    pub ops: Vec<OpSpec>,
    cumulative: Vec<f64>,
    total: f64,
    choosers: Vec<KeyChooser>,
    salt: u64,
    /// Keys beyond the loaded key space for inserts start here (per entity: keys + base).
    insert_base: u64,
    /// Slots per entity in a request's key buffer.
    pub stride: usize,
    pub n_entities: usize,
}

/// A request, filled in place by [`Workload::fill`]; one per worker, reused.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub index: u64,
    pub op: usize,
    /// keys[entity * stride + j]: key index of the j-th key of that entity.
    pub keys: Vec<u64>,
    pub stride: usize,
    /// How many of the op's entities drew only hot keys.
    pub hot: u8,
    /// How many entities the op uses.
    pub entities: u8,
    /// Version of written values (distinct per request).
    pub version: u64,
}

impl Request {
    #[inline]
    pub fn key(&self, entity: usize, j: usize) -> u64 {
        self.keys[entity * self.stride + j]
    }

    /// 0 = fully cold, 1 = mixed, 2 = fully hot.
    #[inline]
    pub fn class(&self) -> usize {
        if self.entities > 0 && self.hot == self.entities {
            2
        } else if self.hot > 0 {
            1
        } else {
            0
        }
    }
}

impl Workload {
    /// `salt` distinguishes phases and cells; `include` says which mix
    /// entries run on this backend.
    pub fn new(
        model: &DataModel,
        mix: &[MixEntry],
        keys: &KeySpec,
        salt: u64,
        insert_base: u64,
        include: impl Fn(&MixEntry) -> bool,
    ) -> Result<Self, String> {
        let mut ops = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for (i, m) in mix.iter().enumerate() {
            if !include(m) {
                continue;
            }
            let w = m.weight.unwrap_or(1.0);
            if w <= 0.0 {
                continue;
            }
            let ents = |names: &[String]| -> Result<Vec<usize>, String> {
                names.iter().map(|n| model.entity_index(n).ok_or_else(|| format!("unknown entity `{n}`"))).collect()
            };
            let tables_of = |ents: &[usize], sel: &Option<Vec<String>>| -> Result<Vec<usize>, String> {
                match sel {
                    Some(names) => names.iter().map(|n| model.table_index(n).ok_or_else(|| format!("unknown table `{n}`"))).collect(),
                    None => Ok((0..model.tables.len()).filter(|t| ents.contains(&model.tables[*t].entity)).collect()),
                }
            };
            let op = if let Some(r) = &m.read_features {
                let e = ents(&r.entities)?;
                let tables = tables_of(&e, &r.tables)?;
                OpSpec {
                    label: format!("read_features/{}", r.fetch.as_str()),
                    kind: OpKind::Read { fetch: r.fetch, tables },
                    entities: e,
                    keys_per_entity: r.keys_per_table.unwrap_or(1) as usize,
                    mix_index: i,
                }
            } else if let Some(wr) = &m.write_features {
                let e = ents(&wr.entities)?;
                let tables = tables_of(&e, &wr.tables)?;
                OpSpec {
                    label: format!("write_features/{}", wr.mode.as_str()),
                    kind: OpKind::Write { mode: wr.mode, tables },
                    entities: e,
                    keys_per_entity: wr.batch.unwrap_or(1) as usize,
                    mix_index: i,
                }
            } else if let Some(st) = &m.statement {
                OpSpec {
                    label: format!("statement/{}", st.name),
                    kind: OpKind::Statement { name: st.name.clone() },
                    entities: (0..model.entities.len()).collect(),
                    keys_per_entity: 1,
                    mix_index: i,
                }
            } else {
                return Err(format!("mix entry {i} has no operation"));
            };
            total += w;
            cumulative.push(total);
            ops.push(op);
        }
        if ops.is_empty() {
            return Err("no operation of the mix runs on this backend".into());
        }
        let stride = ops.iter().map(|o| o.keys_per_entity).max().unwrap_or(1);
        let choosers =
            model.entities.iter().map(|e| KeyChooser::new(keys, e.keys, mix64(model.seed ^ crate::dataset::hash_str(&e.name)))).collect();
        Ok(Workload { ops, cumulative, total, choosers, salt, insert_base, stride, n_entities: model.entities.len() })
    }

    /// A request buffer sized for this workload.
    pub fn request(&self) -> Request {
        Request { keys: vec![0; self.n_entities * self.stride], stride: self.stride, ..Default::default() }
    }

    /// Fills `req` with request number `i`. No allocation.
    #[inline]
    pub fn fill(&self, req: &mut Request, i: u64, model: &DataModel) {
        let mut rng = Rng::new(mix64(self.salt ^ mix64(i)));
        let op = if self.ops.len() == 1 {
            0
        } else {
            let x = rng.next_f64() * self.total;
            self.cumulative.iter().position(|&c| x < c).unwrap_or(self.ops.len() - 1)
        };
        let spec = &self.ops[op];
        req.index = i;
        req.op = op;
        req.version = i + 1;
        req.hot = 0;
        req.entities = spec.entities.len().min(255) as u8;
        let k = spec.keys_per_entity;
        let insert = matches!(spec.kind, OpKind::Write { mode: WriteMode::Insert, .. });
        let write = matches!(spec.kind, OpKind::Write { .. });
        for &e in &spec.entities {
            let mut all_hot = true;
            for j in 0..k {
                let slot = e * self.stride + j;
                if insert {
                    req.keys[slot] = model.entities[e].keys + self.insert_base + i * k as u64 + j as u64;
                    all_hot = false;
                } else {
                    let mut d = self.choosers[e].draw(&mut rng, i * k as u64 + j as u64);
                    // A batch writes distinct rows: one statement cannot upsert a row twice.
                    let mut tries = 0;
                    while write && req.keys[e * self.stride..slot].contains(&d.idx) {
                        tries += 1;
                        d = if tries < 16 {
                            self.choosers[e].draw(&mut rng, i * k as u64 + j as u64 + tries)
                        } else {
                            dist::Draw { idx: (d.idx + 1) % model.entities[e].keys.max(1), ..d }
                        };
                    }
                    req.keys[slot] = d.idx;
                    all_hot &= d.hot;
                }
            }
            if write && k > 1 {
                // The same lock order in every transaction: concurrent batches do not deadlock.
                req.keys[e * self.stride..e * self.stride + k].sort_unstable();
            }
            if all_hot {
                req.hot += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::*;
    use indexmap::IndexMap;

    fn model() -> DataModel {
        let mut entities = IndexMap::new();
        entities.insert("card".to_string(), Entity { keys: Some(1000), key: KeyType::Int, sample: None });
        entities.insert("email".to_string(), Entity { keys: Some(500), key: KeyType::String, sample: None });
        let t = |n: &str, e: &str| TableSpec {
            name: n.into(),
            entity: e.into(),
            count: Some(2),
            features: Features::Count(3),
            types: None,
            rows: None,
            key_column: None,
        };
        DataModel::new(5, &Dataset { entities, tables: vec![t("card_f{i}", "card"), t("email_f{i}", "email")] })
    }

    fn mix() -> Vec<MixEntry> {
        let read = MixEntry {
            weight: Some(9.0),
            read_features: Some(ReadOp {
                entities: vec!["card".into(), "email".into()],
                fetch: Fetch::Serial,
                tables: None,
                keys_per_table: None,
            }),
            write_features: None,
            statement: None,
            backends: None,
        };
        let write = MixEntry {
            weight: Some(1.0),
            read_features: None,
            write_features: Some(WriteOp { entities: vec!["card".into()], mode: WriteMode::Insert, batch: Some(2), tables: None }),
            statement: None,
            backends: None,
        };
        vec![read, write]
    }

    #[test]
    fn same_seed_same_sequence_and_weights_respected() {
        let m = model();
        let keys = KeySpec::default();
        let a = Workload::new(&m, &mix(), &keys, 11, 0, |_| true).unwrap();
        let b = Workload::new(&m, &mix(), &keys, 11, 0, |_| true).unwrap();
        assert_eq!(a.ops[0].label, "read_features/serial");
        match &a.ops[0].kind {
            OpKind::Read { tables, .. } => assert_eq!(tables, &vec![0, 1, 2, 3]),
            other => panic!("unexpected {other:?}"),
        }
        let (mut ra, mut rb) = (a.request(), b.request());
        let mut writes = 0;
        for i in 0..10_000 {
            a.fill(&mut ra, i, &m);
            b.fill(&mut rb, i, &m);
            assert_eq!((ra.op, &ra.keys), (rb.op, &rb.keys));
            if ra.op == 1 {
                writes += 1;
                // Inserts use new keys beyond the loaded ones.
                assert_eq!(ra.key(0, 0), 1000 + i * 2);
            } else {
                assert!(ra.key(0, 0) < 1000 && ra.key(1, 0) < 500);
            }
        }
        assert!((800..1200).contains(&writes), "10% writes expected, got {writes}");
        let c = Workload::new(&m, &mix(), &keys, 12, 0, |_| true).unwrap();
        let mut rc = c.request();
        let differs = (0..100).any(|i| {
            a.fill(&mut ra, i, &m);
            c.fill(&mut rc, i, &m);
            ra.keys != rc.keys
        });
        assert!(differs);
    }
}
