//! Any bytes through the scenario loader: it must never panic, and every
//! problem it reports must have a location.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let env = |_: &str| None;
    let opts = benchplan::scenario::LoadOptions { sets: Vec::new(), kind_checks: Some(benchplan::backend::registry::validate_config) };
    if let Err(e) = benchplan::scenario::load_bytes("fuzz.yaml", data, &opts, &env) {
        assert!(!e.0.is_empty());
        for d in &e.0 {
            assert!(d.line >= 1 && d.col >= 1, "{d}");
        }
    }
});
