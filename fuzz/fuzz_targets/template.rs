//! Any text as an inline statement template (what a scenario's `statement`
//! may hold): rendering must end (fuel), never panic, and answer Ok or a
//! message.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let yaml = "entities:\n  card: { keys: 10, key: int }\ntables:\n  - { name: t, entity: card, features: 2 }\n";
    let Ok(ds) = serde_yaml_ng::from_str(yaml) else { return };
    let model = benchplan::dataset::DataModel::new(1, &ds);
    let templates = benchplan::template::Templates::new(None);
    for kind in [benchplan::scenario::model::Kind::Sqlite, benchplan::scenario::model::Kind::Noop] {
        if let Err(e) = templates.render_statement(kind, "fuzz", src, &model) {
            assert!(!e.0.is_empty());
        }
    }
});
