//! Items and keys of the data model as DynamoDB attribute values, and
//! statement templates' values rendered as attribute values.

use super::names::Names;
use crate::backend::service::{self, render_entries, KeyEncoding, Leaf};
use crate::dataset::{DataModel, FeatureValue, KeyValue, TableModel};
use crate::scenario::model::{FeatureType, KeyType};
use crate::workload::Request;
use aws_sdk_dynamodb::types::{AttributeValue, ScalarAttributeType};
use serde_json::Value;
use std::collections::HashMap;

pub(super) type Item = HashMap<String, AttributeValue>;

/// Items and keys of the data model as DynamoDB attribute values.
pub struct Codec<'a> {
    pub model: &'a DataModel,
    pub names: &'a Names,
}

impl Codec<'_> {
    /// The partition key attribute of a dataset table.
    pub fn pk_name<'m>(&self, t: &'m TableModel) -> &'m str {
        if self.names.single() {
            "pk"
        } else {
            &t.key_column
        }
    }

    /// Key `idx` of an entity, typed as the table stores it.
    pub fn key_value(&self, entity: usize, idx: u64) -> AttributeValue {
        match self.model.entities[entity].key(idx) {
            KeyValue::Int(i) if !self.names.single() => AttributeValue::N(i.to_string()),
            other => AttributeValue::S(other.to_string()),
        }
    }

    /// The primary key of row `idx` of dataset table `t`.
    pub fn key(&self, t: usize, idx: u64) -> Item {
        let tm = &self.model.tables[t];
        let mut m = HashMap::with_capacity(2);
        m.insert(self.pk_name(tm).to_string(), self.key_value(tm.entity, idx));
        if self.names.single() {
            m.insert("sk".to_string(), AttributeValue::S(tm.name.clone()));
        }
        m
    }

    /// Row `idx` of table `t` at `version` (0 = as loaded).
    pub fn item(&self, t: usize, idx: u64, version: u64) -> Item {
        let tm = &self.model.tables[t];
        let mut m = self.key(t, idx);
        m.reserve(tm.columns.len());
        for (c, col) in tm.columns.iter().enumerate() {
            m.insert(col.name.clone(), encode_value(tm.value(idx, c, version)));
        }
        m
    }

    /// The feature values of an item, in column order.
    pub fn decode(&self, t: usize, item: &Item) -> Result<Vec<FeatureValue>, String> {
        let tm = &self.model.tables[t];
        tm.columns
            .iter()
            .map(|col| {
                let v = item.get(&col.name).ok_or_else(|| format!("{}: item without attribute {}", tm.name, col.name))?;
                decode_value(col.ty, v).ok_or_else(|| format!("{}.{}: cannot read {v:?} as {}", tm.name, col.name, col.ty.as_str()))
            })
            .collect()
    }
}

pub fn encode_value(v: FeatureValue) -> AttributeValue {
    match v {
        FeatureValue::Float(f) => AttributeValue::N(f.to_string()),
        FeatureValue::Int(i) => AttributeValue::N(i.to_string()),
        FeatureValue::Str(s) => AttributeValue::S(s),
        FeatureValue::Bool(b) => AttributeValue::Bool(b),
        // Validation keeps vector features off this kind; a list of numbers if one came.
        FeatureValue::Vector(v) => AttributeValue::L(v.iter().map(|x| AttributeValue::N(x.to_string())).collect()),
    }
}

pub fn decode_value(ty: FeatureType, v: &AttributeValue) -> Option<FeatureValue> {
    use FeatureType as T;
    match (ty, v) {
        (T::Float, AttributeValue::N(n)) => n.parse().ok().map(FeatureValue::Float),
        (T::Int, AttributeValue::N(n)) => n.parse().ok().map(FeatureValue::Int),
        (T::String, AttributeValue::S(s)) => Some(FeatureValue::Str(s.clone())),
        (T::Bool, AttributeValue::Bool(b)) => Some(FeatureValue::Bool(*b)),
        _ => None,
    }
}

/// The attribute type of a dataset table's partition key (S in single_table layout).
pub(super) fn scalar_type(model: &DataModel, t: &TableModel, names: &Names) -> ScalarAttributeType {
    match model.entities[t.entity].key_type {
        KeyType::Int if !names.single() => ScalarAttributeType::N,
        _ => ScalarAttributeType::S,
    }
}

/// A value of a statement template, rendered as an AttributeValue.
pub(super) type Tv = service::Tv<AttributeValue>;
pub(super) type TMap = service::TMap<AttributeValue>;

impl Leaf for AttributeValue {
    fn text(s: String) -> Self {
        AttributeValue::S(s)
    }

    fn list(items: impl Iterator<Item = Self>) -> Self {
        AttributeValue::L(items.collect())
    }

    fn map(entries: impl Iterator<Item = (String, Self)>) -> Self {
        AttributeValue::M(entries.collect())
    }

    fn literal(v: &Value) -> Self {
        match v {
            Value::Number(n) => AttributeValue::N(n.to_string()),
            Value::Bool(b) => AttributeValue::Bool(*b),
            // Null (strings, lists and mappings are never literals).
            _ => AttributeValue::Null(true),
        }
    }
}

impl KeyEncoding for Codec<'_> {
    type Leaf = AttributeValue;

    fn model(&self) -> &DataModel {
        self.model
    }

    fn key(&self, entity: usize, idx: u64) -> AttributeValue {
        self.key_value(entity, idx)
    }
}

/// A template mapping for one request, as an item or key.
pub(super) fn render_map(m: &TMap, codec: &Codec<'_>, req: &Request) -> Item {
    render_entries(m, codec, req).collect()
}
