//! Unit tests of the kind: items, statements, consumed capacity.

use super::calls::add_capacity;
use super::codec::render_map;
use super::statements::{prepare_statement, Call};
use super::{Codec, Names};
use crate::dataset::{DataModel, FeatureValue};
use crate::scenario::model::*;
use crate::stats::Usage;
use crate::template::Templates;
use crate::workload::Request;
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity};
use indexmap::IndexMap;

fn model() -> DataModel {
    let mut entities = IndexMap::new();
    entities.insert("card".to_string(), Entity { keys: Some(100), key: crate::scenario::model::KeyType::Int, sample: None });
    entities.insert("email".to_string(), Entity { keys: Some(100), key: crate::scenario::model::KeyType::String, sample: None });
    let t = |n: &str, e: &str, ty| TableSpec {
        name: n.into(),
        entity: e.into(),
        count: Some(2),
        features: Features::Count(4),
        types: Some(ty),
        rows: None,
        key_column: None,
    };
    DataModel::new(
        3,
        &Dataset { entities, tables: vec![t("card_f{i}", "card", FeatureTypes::Mixed), t("email_f{i}", "email", FeatureTypes::Float)] },
    )
}

fn config(layout: Layout) -> DynamodbConfig {
    DynamodbConfig {
        region: None,
        endpoint: None,
        billing: None,
        layout: Some(layout),
        table: None,
        table_prefix: Some("b_".into()),
        consistent_read: None,
        max_attempts: None,
        backoff: None,
        max_backoff: None,
        pricing: None,
    }
}

#[test]
fn items_round_trip_to_the_data_model() {
    let m = model();
    for layout in [Layout::TablePerTable, Layout::SingleTable] {
        let names = Names::new(&config(layout), &m);
        let codec = Codec { model: &m, names: &names };
        for t in 0..m.tables.len() {
            let item = codec.item(t, 7, 0);
            let want: Vec<FeatureValue> = (0..4).map(|c| m.tables[t].value(7, c, 0)).collect();
            assert_eq!(codec.decode(t, &item).unwrap(), want);
        }
        let key = codec.key(0, 7);
        if layout == Layout::SingleTable {
            assert_eq!(names.physical(), vec!["b_features".to_string()]);
            assert_eq!(key.get("pk"), Some(&AttributeValue::S("7".into())));
            assert_eq!(key.get("sk"), Some(&AttributeValue::S("card_f0".into())));
        } else {
            assert_eq!(names.physical().len(), 4);
            assert_eq!(names.tables[2], "b_email_f0");
            assert_eq!(key.get("pk"), Some(&AttributeValue::N("7".into())));
            assert_eq!(key.len(), 1);
        }
    }
}

#[test]
fn statements_render_keys_as_typed_values() {
    let m = model();
    let names = Names::new(&config(Layout::TablePerTable), &m);
    let t = Templates::new(None);
    let tpl = serde_json::json!({
        "op": "query", "table": "card_f1",
        "key_condition_expression": "pk = :k",
        "expression_attribute_values": { ":k": "{{ key.card }}", ":e": "x-{{ key.email }}", ":n": 5 }
    });
    let s = prepare_statement(&names, &m, &t, "q", &tpl).unwrap();
    assert_eq!(s.table, "b_card_f1");
    let mut req = Request { keys: vec![42, 9], stride: 1, ..Default::default() };
    req.entities = 2;
    let codec = Codec { model: &m, names: &names };
    let v = render_map(&s.values, &codec, &req);
    assert_eq!(v[":k"], AttributeValue::N("42".into()));
    assert_eq!(v[":e"], AttributeValue::S(format!("x-{}", m.entities[1].key(9))));
    assert_eq!(v[":n"], AttributeValue::N("5".into()));
    // A key written into an expression is bound as a value, never pasted.
    let pasted = serde_json::json!({ "op": "query", "table": "card_f1", "key_condition_expression": "pk = {{ key.card }}" });
    let s = prepare_statement(&names, &m, &t, "q", &pasted).unwrap();
    match &s.call {
        Call::Query { key_condition, .. } => assert_eq!(key_condition, "pk = :bp_0_0"),
        other => panic!("{other:?}"),
    }
    assert_eq!(render_map(&s.values, &codec, &req)[":bp_0_0"], AttributeValue::N("42".into()));
    let bad = serde_json::json!({ "op": "scan", "table": "card_f1" });
    assert!(prepare_statement(&names, &m, &t, "q", &bad).unwrap_err().contains("unknown op"));
    let bad = serde_json::json!({ "op": "get_item", "table": "nope", "key": {} });
    assert!(prepare_statement(&names, &m, &t, "q", &bad).unwrap_err().contains("not a table of the dataset"));
    let bad = serde_json::json!({ "op": "get_item", "table": "card_f0", "key": {}, "colour": 1 });
    assert!(prepare_statement(&names, &m, &t, "q", &bad).unwrap_err().contains("unknown field `colour`"));
}

#[test]
fn capacity_split_or_total_by_call_kind() {
    let mut u = Usage::default();
    // dynalite and DynamoDB's TOTAL: one figure, counted by the call's kind.
    add_capacity(&mut u, &ConsumedCapacity::builder().capacity_units(1.5).build(), false);
    add_capacity(&mut u, &ConsumedCapacity::builder().capacity_units(2.0).build(), true);
    // A read/write split where the service gives one.
    add_capacity(
        &mut u,
        &ConsumedCapacity::builder().capacity_units(3.0).read_capacity_units(1.0).write_capacity_units(2.0).build(),
        false,
    );
    assert_eq!((u.read_units, u.write_units), (2.5, 4.0));
}
