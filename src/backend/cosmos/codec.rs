//! Items and keys of the data model as Cosmos DB JSON and partition keys,
//! and statement templates' values rendered as JSON.

use super::names::Names;
use crate::backend::service::{self, KeyEncoding, Leaf};
use crate::dataset::{DataModel, FeatureValue, KeyValue};
use crate::scenario::model::FeatureType;
use azure_data_cosmos::PartitionKey;
use serde_json::{Map, Value};

/// Items and keys of the data model as Cosmos DB JSON.
pub struct Codec<'a> {
    pub model: &'a DataModel,
    pub names: &'a Names,
}

impl Codec<'_> {
    /// Key `idx` of an entity as the `pk` property holds it.
    pub fn pk_json(&self, entity: usize, idx: u64) -> Value {
        key_json(self.model.entities[entity].key(idx))
    }

    /// Key `idx` of an entity as a partition key.
    pub fn partition_key(&self, entity: usize, idx: u64) -> PartitionKey {
        match self.model.entities[entity].key(idx) {
            KeyValue::Int(i) => PartitionKey::from(i),
            KeyValue::Str(s) => PartitionKey::from(s),
        }
    }

    /// The `id` of row `idx` of dataset table `t`.
    pub fn id(&self, t: usize, idx: u64) -> String {
        let tm = &self.model.tables[t];
        if self.names.single() {
            tm.name.clone()
        } else {
            self.model.entities[tm.entity].key(idx).to_string()
        }
    }

    /// Row `idx` of table `t` at `version` (0 = as loaded).
    pub fn item(&self, t: usize, idx: u64, version: u64) -> Value {
        let tm = &self.model.tables[t];
        let mut m = Map::with_capacity(tm.columns.len() + 2);
        m.insert("id".into(), Value::String(self.id(t, idx)));
        m.insert("pk".into(), self.pk_json(tm.entity, idx));
        for (c, col) in tm.columns.iter().enumerate() {
            m.insert(col.name.clone(), encode_value(tm.value(idx, c, version)));
        }
        Value::Object(m)
    }

    /// The feature values of an item, in column order.
    pub fn decode(&self, t: usize, item: &Value) -> Result<Vec<FeatureValue>, String> {
        let tm = &self.model.tables[t];
        tm.columns
            .iter()
            .map(|col| {
                let v = item.get(&col.name).ok_or_else(|| format!("{}: item without property {}", tm.name, col.name))?;
                decode_value(col.ty, v).ok_or_else(|| format!("{}.{}: cannot read {v} as {}", tm.name, col.name, col.ty.as_str()))
            })
            .collect()
    }
}

fn key_json(k: KeyValue) -> Value {
    match k {
        KeyValue::Int(i) => Value::from(i),
        KeyValue::Str(s) => Value::String(s),
    }
}

pub fn encode_value(v: FeatureValue) -> Value {
    match v {
        FeatureValue::Float(f) => Value::from(f),
        FeatureValue::Int(i) => Value::from(i),
        FeatureValue::Str(s) => Value::String(s),
        FeatureValue::Bool(b) => Value::Bool(b),
        // Validation keeps vector features off this kind; an array of numbers if one came.
        FeatureValue::Vector(v) => Value::Array(v.into_iter().map(|x| Value::from(f64::from(x))).collect()),
    }
}

pub fn decode_value(ty: FeatureType, v: &Value) -> Option<FeatureValue> {
    match (ty, v) {
        (FeatureType::Float, Value::Number(n)) => n.as_f64().map(FeatureValue::Float),
        (FeatureType::Int, Value::Number(n)) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)).map(FeatureValue::Int)
        }
        (FeatureType::String, Value::String(s)) => Some(FeatureValue::Str(s.clone())),
        (FeatureType::Bool, Value::Bool(b)) => Some(FeatureValue::Bool(*b)),
        _ => None,
    }
}

/// A partition key from a rendered JSON value.
pub(super) fn pk_of(v: &Value) -> Result<PartitionKey, String> {
    match v {
        Value::String(s) => Ok(PartitionKey::from(s.clone())),
        Value::Bool(b) => Ok(PartitionKey::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Ok(PartitionKey::from(i)),
            None => {
                n.as_f64().and_then(|f| PartitionKey::try_from(f).ok()).ok_or_else(|| format!("partition key {n} is not a finite number"))
            }
        },
        other => Err(format!("a partition key must be a string, number or boolean, found {other}")),
    }
}

/// A value of a statement template, rendered as JSON.
pub(super) type Tv = service::Tv<Value>;

impl Leaf for Value {
    fn text(s: String) -> Self {
        Value::String(s)
    }

    fn list(items: impl Iterator<Item = Self>) -> Self {
        Value::Array(items.collect())
    }

    fn map(entries: impl Iterator<Item = (String, Self)>) -> Self {
        Value::Object(entries.collect())
    }

    fn literal(v: &Value) -> Self {
        v.clone()
    }
}

impl KeyEncoding for Codec<'_> {
    type Leaf = Value;

    fn model(&self) -> &DataModel {
        self.model
    }

    fn key(&self, entity: usize, idx: u64) -> Value {
        self.pk_json(entity, idx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_json() {
        for (ty, v) in [
            (FeatureType::Float, FeatureValue::Float(0.123456)),
            (FeatureType::Int, FeatureValue::Int(999_999)),
            (FeatureType::String, FeatureValue::Str("00ab".into())),
            (FeatureType::Bool, FeatureValue::Bool(true)),
        ] {
            assert_eq!(decode_value(ty, &encode_value(v.clone())), Some(v));
        }
        // A JavaScript server may write a whole float as 0.
        assert_eq!(decode_value(FeatureType::Float, &serde_json::json!(0)), Some(FeatureValue::Float(0.0)));
        assert_eq!(decode_value(FeatureType::Int, &serde_json::json!(3.0)), Some(FeatureValue::Int(3)));
        assert_eq!(decode_value(FeatureType::Int, &serde_json::json!("3")), None);
    }
}
