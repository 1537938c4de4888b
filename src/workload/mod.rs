//! The request sequence of a phase: a pure function of (seed, cell, phase,
//! request index), whichever worker sends the request.

pub mod dist;

use crate::dataset::{mix64, DataModel};
use crate::scenario::model::{default_step_name, KeySpec, KvCommand, MixEntry, Operation, StatementOp, WriteMode};
use dist::{KeyChooser, Rng};

/// Why a kind other than redis (and noop) cannot prepare a kv operation;
/// validation says it first, located.
pub const KV_ELSEWHERE: &str = "a kv operation runs on redis backends only (and noop); limit the mix entry with `backends: [...]`";

/// What one operation does, with table and entity names resolved to indices.
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
    /// A custom statement.
    Statement {
        name: String,
    },
    /// Plain key-value commands: `pipeline` commands of `keys` keys each;
    /// the request's keys (of `entities[0]`) are `pipeline * keys`.
    Kv {
        command: KvCommand,
        value_size: usize,
        keys: usize,
        pipeline: usize,
        /// set: milliseconds to live (`PX`).
        ttl_ms: Option<u64>,
    },
    /// The k nearest rows of `table` by its vector feature `column`.
    VectorSearch {
        table: usize,
        column: usize,
        search: crate::scenario::model::VectorSearchOp,
    },
}

/// One operation a backend prepares: a single-operation mix entry, or one
/// step of a request with `steps`.
#[derive(Debug, Clone)]
pub struct OpSpec {
    /// A label for reports: `read_features/packed`, `write_features/upsert`, `statement/name`.
    pub label: String,
    pub kind: OpKind,
    /// Entity indices whose keys the op uses.
    pub entities: Vec<usize>,
    /// Keys the op uses per entity: keys_per_table for reads, batch for writes.
    pub keys_per_entity: usize,
    /// Index of the mix entry in the scenario.
    pub mix_index: usize,
    /// Index of the step within the entry's `steps`, if it is one.
    pub step: Option<usize>,
    /// The statement's templates (statement ops).
    pub statement: Option<StatementOp>,
    /// Settings (name, value) a worker's connection gets before its first
    /// request (PostgreSQL): the backend's and the phase's; set by the runner.
    pub settings: std::sync::Arc<[(String, String)]>,
}

/// One request of the mix (a mix entry): the operations it runs.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// The entry's `name`, if it has one.
    pub name: Option<String>,
    /// Index of the mix entry in the scenario.
    pub mix_index: usize,
    /// Indices into [`Workload::ops`], in step order.
    pub steps: Vec<usize>,
    /// The step names (`name`, or `step1`, ...); empty for a single-operation entry.
    pub step_names: Vec<String>,
    /// Steps issued together rather than one after another.
    pub concurrent: bool,
    /// Per entity the request uses: (entity, keys drawn, written, inserted).
    draws: Vec<EntityDraw>,
}

#[derive(Debug, Clone, Copy)]
struct EntityDraw {
    entity: usize,
    /// The most keys any step uses of this entity.
    keys: usize,
    /// A step writes it: its keys are distinct and sorted.
    write: bool,
    /// A step inserts it: its keys are new, beyond the loaded key space.
    insert: bool,
}

/// The compiled mix of one phase for one backend.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Every operation a backend prepares, in mix and step order.
    pub ops: Vec<OpSpec>,
    /// The requests of the mix, each running one or more of `ops`.
    pub requests: Vec<RequestSpec>,
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
    /// Index into [`Workload::requests`].
    pub op: usize,
    /// keys[entity * stride + j]: key index of the j-th key of that entity.
    pub keys: Vec<u64>,
    pub stride: usize,
    /// How many of the request's entities drew only hot keys.
    pub hot: u8,
    /// How many entities the request uses.
    pub entities: u8,
    /// Keys drawn for the request, and how many of them were hot (the per-key view).
    pub keys_drawn: u32,
    pub keys_hot: u32,
    /// Version of written values (distinct per request).
    pub version: u64,
}

impl Request {
    #[inline]
    pub fn key(&self, entity: usize, j: usize) -> u64 {
        self.keys[entity * self.stride + j]
    }

    /// 0 = fully cold, 1 = mixed, 2 = fully hot. An entity counts as hot only
    /// when every key it drew for the request is hot.
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

/// The operation `op` compiles to, or why it cannot.
fn compile_op(model: &DataModel, op: Operation<'_>, mix_index: usize, step: Option<usize>) -> Result<OpSpec, String> {
    let ents = |names: &[String]| -> Result<Vec<usize>, String> {
        names.iter().map(|n| model.entity_index(n).ok_or_else(|| format!("unknown entity `{n}`"))).collect()
    };
    let tables_of = |ents: &[usize], sel: &Option<Vec<String>>| -> Result<Vec<usize>, String> {
        match sel {
            Some(names) => names.iter().map(|n| model.table_index(n).ok_or_else(|| format!("unknown table `{n}`"))).collect(),
            None => Ok((0..model.tables.len()).filter(|t| ents.contains(&model.tables[*t].entity)).collect()),
        }
    };
    let op_of = |label: String, kind: OpKind, entities: Vec<usize>, keys: Option<u32>| OpSpec {
        label,
        kind,
        entities,
        keys_per_entity: keys.unwrap_or(1) as usize,
        mix_index,
        step,
        statement: None,
        settings: std::sync::Arc::from([]),
    };
    Ok(match op {
        Operation::Read(r) => {
            let e = ents(&r.entities)?;
            let tables = tables_of(&e, &r.tables)?;
            op_of(format!("read_features/{}", r.fetch.as_str()), OpKind::Read { fetch: r.fetch, tables }, e, r.keys_per_table)
        }
        Operation::Write(wr) => {
            let e = ents(&wr.entities)?;
            let tables = tables_of(&e, &wr.tables)?;
            op_of(format!("write_features/{}", wr.mode.as_str()), OpKind::Write { mode: wr.mode, tables }, e, wr.batch)
        }
        Operation::VectorSearch(v) => {
            let table = model.table_index(&v.table).ok_or_else(|| format!("unknown table `{}`", v.table))?;
            let t = &model.tables[table];
            let column = t
                .columns
                .iter()
                .position(|c| c.ty.is_vector() && v.column.as_ref().is_none_or(|n| *n == c.name))
                .ok_or_else(|| format!("no vector feature in table `{}`", v.table))?;
            let label = format!("vector_search/{}", v.distance.as_str());
            op_of(label, OpKind::VectorSearch { table, column, search: v.clone() }, Vec::new(), None)
        }
        Operation::Statement(st) => OpSpec {
            label: format!("statement/{}", st.name),
            kind: OpKind::Statement { name: st.name.clone() },
            entities: (0..model.entities.len()).collect(),
            keys_per_entity: 1,
            mix_index,
            step,
            statement: Some(st.clone()),
            settings: std::sync::Arc::from([]),
        },
        Operation::Kv(kv) => {
            let entity = match &kv.entity {
                Some(n) => model.entity_index(n).ok_or_else(|| format!("unknown entity `{n}`"))?,
                None if model.entities.is_empty() => return Err("a kv operation needs an entity for its keys".into()),
                None => 0,
            };
            let (keys, pipeline) = (kv.keys_per_command() as usize, kv.pipeline() as usize);
            let kind = OpKind::Kv {
                command: kv.command,
                value_size: kv.value_size.unwrap_or(100) as usize,
                keys,
                pipeline,
                ttl_ms: kv.ttl.map(|d| d.0.as_millis().max(1) as u64),
            };
            op_of(kv.label(), kind, vec![entity], Some((keys * pipeline) as u32))
        }
    })
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
        let mut ops: Vec<OpSpec> = Vec::new();
        let mut requests = Vec::new();
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
            let first = ops.len();
            let mut step_names = Vec::new();
            for s in m.operations() {
                let what = match s.step {
                    Some(j) => format!("mix entry {i}, step {j}"),
                    None => format!("mix entry {i}"),
                };
                let op = s.op.ok_or_else(|| format!("{what} has no operation"))?;
                ops.push(compile_op(model, op, i, s.step).map_err(|e| format!("{what}: {e}"))?);
                if let Some(j) = s.step {
                    step_names.push(s.name.map_or_else(|| default_step_name(j), str::to_string));
                }
            }
            if ops.len() == first {
                return Err(format!("mix entry {i} has no steps"));
            }
            let mut draws: Vec<EntityDraw> = Vec::new();
            for op in &ops[first..] {
                let write = matches!(op.kind, OpKind::Write { .. });
                let insert = matches!(op.kind, OpKind::Write { mode: WriteMode::Insert, .. });
                for &e in &op.entities {
                    match draws.iter_mut().find(|d| d.entity == e) {
                        Some(d) => {
                            d.keys = d.keys.max(op.keys_per_entity);
                            d.write |= write;
                            d.insert |= insert;
                        }
                        None => draws.push(EntityDraw { entity: e, keys: op.keys_per_entity, write, insert }),
                    }
                }
            }
            requests.push(RequestSpec {
                name: m.name.clone(),
                mix_index: i,
                steps: (first..ops.len()).collect(),
                step_names,
                concurrent: m.is_concurrent(),
                draws,
            });
            total += w;
            cumulative.push(total);
        }
        if requests.is_empty() {
            return Err("no operation of the mix runs on this backend".into());
        }
        let stride = ops.iter().map(|o| o.keys_per_entity).max().unwrap_or(1).max(1);
        let choosers = model
            .entities
            .iter()
            .map(|e| KeyChooser::new(keys.for_entity(&e.name), e.keys, mix64(model.seed ^ crate::dataset::hash_str(&e.name))))
            .collect();
        Ok(Workload { ops, requests, cumulative, total, choosers, salt, insert_base, stride, n_entities: model.entities.len() })
    }

    /// A request buffer sized for this workload.
    pub fn request(&self) -> Request {
        Request { keys: vec![0; self.n_entities * self.stride], stride: self.stride, ..Default::default() }
    }

    /// The most steps any request issues together (1 when none is concurrent):
    /// the sessions a worker keeps.
    pub fn sessions_per_worker(&self) -> usize {
        self.requests.iter().filter(|r| r.concurrent).map(|r| r.steps.len()).max().unwrap_or(1).max(1)
    }

    /// Whether some request has more than one step (its steps are then timed one by one).
    pub fn has_steps(&self) -> bool {
        self.requests.iter().any(|r| r.steps.len() > 1 || !r.step_names.is_empty())
    }

    /// Fills `req` with request number `i`. No allocation.
    #[inline]
    pub fn fill(&self, req: &mut Request, i: u64, model: &DataModel) {
        let mut rng = Rng::new(mix64(self.salt ^ mix64(i)));
        let op = if self.requests.len() == 1 {
            0
        } else {
            let x = rng.next_f64() * self.total;
            self.cumulative.iter().position(|&c| x < c).unwrap_or(self.requests.len() - 1)
        };
        let spec = &self.requests[op];
        req.index = i;
        req.op = op;
        req.version = i + 1;
        req.hot = 0;
        req.keys_drawn = 0;
        req.keys_hot = 0;
        req.entities = spec.draws.len().min(255) as u8;
        for d in &spec.draws {
            let (e, k) = (d.entity, d.keys);
            let mut all_hot = true;
            for j in 0..k {
                let slot = e * self.stride + j;
                if d.insert {
                    req.keys[slot] = model.entities[e].keys + self.insert_base + i * k as u64 + j as u64;
                    all_hot = false;
                } else {
                    let mut draw = self.choosers[e].draw(&mut rng, i * k as u64 + j as u64);
                    // A batch writes distinct rows: one statement cannot upsert a row twice.
                    let mut tries = 0;
                    while d.write && req.keys[e * self.stride..slot].contains(&draw.idx) {
                        tries += 1;
                        draw = if tries < 16 {
                            self.choosers[e].draw(&mut rng, i * k as u64 + j as u64 + tries)
                        } else {
                            dist::Draw { idx: (draw.idx + 1) % model.entities[e].keys.max(1), ..draw }
                        };
                    }
                    req.keys[slot] = draw.idx;
                    all_hot &= draw.hot;
                    req.keys_hot += u32::from(draw.hot);
                }
            }
            req.keys_drawn += k as u32;
            if d.write && k > 1 {
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
            ..Default::default()
        };
        let write = MixEntry {
            weight: Some(1.0),
            write_features: Some(WriteOp { entities: vec!["card".into()], mode: WriteMode::Insert, batch: Some(2), tables: None }),
            ..Default::default()
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

    fn read(entities: &[&str], fetch: Fetch, keys: u32) -> ReadOp {
        ReadOp { entities: entities.iter().map(|e| e.to_string()).collect(), fetch, tables: None, keys_per_table: Some(keys) }
    }

    #[test]
    fn a_request_of_steps_draws_each_entity_once_for_all_its_steps() {
        let m = model();
        let entry = MixEntry {
            name: Some("recommend".into()),
            steps: Some(vec![
                RequestStep { name: Some("user".into()), read_features: Some(read(&["email"], Fetch::Serial, 1)), ..Default::default() },
                RequestStep { read_features: Some(read(&["card"], Fetch::Packed, 10)), ..Default::default() },
                RequestStep { read_features: Some(read(&["card", "email"], Fetch::Packed, 1)), ..Default::default() },
            ]),
            ..Default::default()
        };
        let w = Workload::new(&m, &[entry], &KeySpec::default(), 3, 0, |_| true).unwrap();
        assert_eq!(w.ops.len(), 3);
        assert_eq!(w.requests.len(), 1);
        assert_eq!(w.requests[0].steps, vec![0, 1, 2]);
        assert_eq!(w.requests[0].step_names, vec!["user", "step2", "step3"]);
        assert_eq!(w.ops[1].keys_per_entity, 10);
        assert_eq!(w.stride, 10);
        assert!(w.has_steps());
        let mut r = w.request();
        w.fill(&mut r, 7, &m);
        // email: 1 key, card: 10 keys; the third step reads the first card key the second read.
        assert_eq!(r.entities, 2);
        assert_eq!(r.keys_drawn, 11);
        assert!(r.key(1, 0) < 500);
        assert!((0..10).all(|j| r.key(0, j) < 1000));
    }

    #[test]
    fn entities_draw_from_their_own_distribution() {
        let m = model();
        let mut keys = KeySpec::default();
        keys.entities.insert(
            "card".into(),
            KeySpec { distribution: Distribution::Hotspot, hot_keys: Some(0.01), hot_traffic: Some(1.0), ..Default::default() },
        );
        let entry = MixEntry { read_features: Some(read(&["card", "email"], Fetch::Packed, 1)), ..Default::default() };
        let w = Workload::new(&m, &[entry], &keys, 3, 0, |_| true).unwrap();
        let mut r = w.request();
        let (mut cards, mut emails) = (std::collections::HashSet::new(), std::collections::HashSet::new());
        for i in 0..5000 {
            w.fill(&mut r, i, &m);
            cards.insert(r.key(0, 0));
            emails.insert(r.key(1, 0));
        }
        // Every card draw goes to the 10 hot keys; emails stay uniform over 500.
        assert_eq!(cards.len(), 10, "card keys should be the hot ones only");
        assert!(emails.len() > 450, "email keys should be uniform: {} distinct", emails.len());
    }

    #[test]
    fn a_read_of_several_keys_is_hot_only_when_every_key_is() {
        let m = model();
        let keys = KeySpec { distribution: Distribution::Hotspot, hot_keys: Some(0.2), hot_traffic: Some(0.8), ..Default::default() };
        let entry = MixEntry { read_features: Some(read(&["card"], Fetch::Packed, 10)), ..Default::default() };
        let w = Workload::new(&m, &[entry], &keys, 3, 0, |_| true).unwrap();
        let mut r = w.request();
        let (mut hot_requests, mut hot_keys, mut drawn) = (0u64, 0u64, 0u64);
        for i in 0..10_000 {
            w.fill(&mut r, i, &m);
            hot_requests += u64::from(r.class() == 2);
            hot_keys += u64::from(r.keys_hot);
            drawn += u64::from(r.keys_drawn);
        }
        let key_share = hot_keys as f64 / drawn as f64;
        let request_share = hot_requests as f64 / 10_000.0;
        assert!((key_share - 0.8).abs() < 0.02, "per key: {key_share}");
        // 0.8^10 = 0.107 of the requests have all ten keys hot.
        assert!((request_share - 0.107).abs() < 0.02, "per request: {request_share}");
    }
}
