//! Sweeping key distributions with a matrix, where a mistake in a param's
//! value is reported, and the "did you mean" hints of unknown names.

use benchplan::scenario::model::{Distribution, KeySpec, Phase};
use benchplan::scenario::{load_bytes, LoadOptions, Resolved};

/// A small valid scenario; `matrix` and `keys` are YAML lines put in place.
fn scenario(matrix: &str, keys: &str) -> String {
    format!(
        "version: 1\nname: sweep\nparams:\n  dist: uniform\n{matrix}\nbackends:\n  local: {{ kind: noop }}\n  other: {{ kind: noop }}\n\
         dataset:\n  entities:\n    card: {{ keys: 100 }}\n    email: {{ keys: 100 }}\n  tables:\n\
         \x20   - {{ name: card_f, entity: card, features: 2 }}\n    - {{ name: email_f, entity: email, features: 2 }}\n\
         phases:\n  - run:\n      name: serve\n      requests: 10\n      keys: {keys}\n      mix:\n\
         \x20       - read_features: {{ entities: [card, email] }}\n"
    )
}

fn load(text: &str, sets: &[&str]) -> Result<Resolved, Vec<String>> {
    let opts = LoadOptions { sets: sets.iter().map(|s| s.to_string()).collect(), kind_checks: None, env_placeholders: false };
    load_bytes("s.yaml", text.as_bytes(), &opts, &|_| None).map_err(|e| e.0.iter().map(ToString::to_string).collect())
}

fn keys_of(r: &Resolved) -> Vec<KeySpec> {
    r.cells
        .iter()
        .map(|c| match &c.scenario.phases[0] {
            Phase::Run(s) | Phase::Warmup(s) => s.keys.clone().unwrap_or_default(),
        })
        .collect()
}

#[test]
fn a_matrix_over_distributions_gives_each_cell_its_own_parameters() {
    let text = scenario(
        "matrix:\n  dist: [uniform, \"zipfian:0.9\", zipfian, \"hotspot:0.01:0.8\", latest]",
        "{ distribution: \"${dist}\", theta: 0.5, hot_keys: 0.2 }",
    );
    let r = load(&text, &[]).unwrap_or_else(|e| panic!("{e:#?}"));
    type Drawn = (Distribution, Option<f64>, Option<f64>, Option<f64>);
    let got: Vec<Drawn> = keys_of(&r).into_iter().map(|k| (k.distribution, k.theta, k.hot_keys, k.hot_traffic)).collect();
    assert_eq!(
        got,
        [
            // The parameters of the other distributions are dropped.
            (Distribution::Uniform, None, None, None),
            // The value's own theta wins over the mapping's ...
            (Distribution::Zipfian, Some(0.9), None, None),
            // ... which is the default for the values that give none.
            (Distribution::Zipfian, Some(0.5), None, None),
            (Distribution::Hotspot, None, Some(0.01), Some(0.8)),
            (Distribution::Latest, Some(0.5), None, None),
        ]
    );
    // `plan` shows each cell's distribution with what it draws with.
    let dir = tempfile::tempdir().unwrap();
    let path = crate::common::scenario(dir.path(), "s", &text);
    let mut out = Vec::new();
    benchplan::commands::plan(&path, &[], None, &[], &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let keys: Vec<&str> = out.lines().filter(|l| l.trim_start().starts_with("keys:")).map(str::trim).collect();
    assert_eq!(
        keys,
        // Two backends, five cells.
        [
            "keys: uniform",
            "keys: zipfian (theta 0.9)",
            "keys: zipfian (theta 0.5)",
            "keys: hotspot (hot_keys 0.01, hot_traffic 0.8)",
            "keys: latest (theta 0.5)"
        ]
        .repeat(2),
        "{out}"
    );
    // --set a distribution with its parameters.
    let r = load(&text, &["dist=latest:0.3"]).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(keys_of(&r).iter().map(|k| (k.distribution, k.theta)).collect::<Vec<_>>(), [(Distribution::Latest, Some(0.3))]);
}

#[test]
fn a_parameter_that_does_not_apply_is_still_refused_where_the_distribution_is_written_out() {
    let errs = load(&scenario("", "{ distribution: uniform, theta: 0.5 }"), &[]).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].starts_with("s.yaml:20:38: phases[0].run.keys.theta: theta applies to zipfian and latest only"), "{errs:#?}");
}

#[test]
fn a_mistake_in_a_params_value_is_reported_where_the_value_is_written() {
    let keys = "{ distribution: \"${dist}\" }";
    // In a matrix list: at the value, once however many cells use it.
    let errs = load(&scenario("matrix:\n  dist: [uniform, zipfain]\n  n: [1, 2]", keys), &[]).unwrap_err();
    assert_eq!(
        errs,
        ["s.yaml:6:19: matrix.dist[1]: unknown variant `zipfain`, expected one of `uniform`, `zipfian`, `hotspot`, `sequential`, `latest`; did you mean `zipfian`? (as ${dist} in phases[0].run.keys.distribution)"]
    );
    // Under params.
    let errs = load(&scenario("", keys).replace("dist: uniform", "dist: unifrom"), &[]).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0].starts_with("s.yaml:4:3: params.dist: unknown variant `unifrom`") && errs[0].contains("did you mean `uniform`?"),
        "{errs:#?}"
    );
    // From --set: the argument is named.
    let errs = load(&scenario("matrix:\n  dist: [uniform, zipfian]", keys), &["dist=hotspot:2"]).unwrap_err();
    assert_eq!(
        errs,
        ["s.yaml:1:1: --set dist=hotspot:2: expected `hotspot:HOT_KEYS` or `hotspot:HOT_KEYS:HOT_TRAFFIC` with HOT_KEYS in (0, 1] and HOT_TRAFFIC in [0, 1], found \"hotspot:2\" (as ${dist} in phases[0].run.keys.distribution)"]
    );
    // A meaning check too: a value in range for its type but not for its field.
    let errs = load(&scenario("matrix:\n  w: [1, 0]", "{ distribution: uniform }\n      workers: \"${w}\""), &[]).unwrap_err();
    assert_eq!(errs, ["s.yaml:6:10: matrix.w[1]: expected at least 1 worker, found 0 (as ${w} in phases[0].run.workers)"]);
}

#[test]
fn known_names_are_listed_once() {
    // `dist` is a param and a matrix param.
    let errs = load(&scenario("matrix:\n  dist: [uniform, zipfian]", "{ distribution: \"${dist}\" }"), &["dsit=uniform"]).unwrap_err();
    assert_eq!(errs, ["s.yaml:1:1: --set dsit=...: unknown param `dsit` (known: dist); did you mean `dist`?"]);
}

#[test]
fn unknown_names_get_the_nearest_known_one() {
    let base = scenario("", "{ distribution: uniform }");
    let cases = [
        // A field, a variant, an entity, a backend, a param, a check scope.
        ("requests: 10", "requets: 10", "unknown field `requets`", "did you mean `requests`?"),
        ("{ distribution: uniform }", "{ distribution: hotspt }", "unknown variant `hotspt`", "did you mean `hotspot`?"),
        ("entities: [card, email]", "entities: [card, emial]", "unknown entity `emial`", "did you mean `email`?"),
        ("read_features:", "backends: [locl]\n          read_features:", "unknown backend `locl`", "did you mean `local`?"),
        ("requests: 10", "requests: \"${dits}\"", "unknown param `dits`", "did you mean `dist`?"),
        ("kind: noop }\n  other", "kind: nop }\n  other", "found \"nop\"", "did you mean `noop`?"),
        ("tables:", "tabels:", "unknown field `tabels`", "did you mean `tables`?"),
    ];
    for (from, to, what, hint) in cases {
        assert!(base.contains(from), "{from}");
        let errs = load(&base.replacen(from, to, 1), &[]).unwrap_err();
        assert!(errs.iter().any(|e| e.contains(what) && e.ends_with(hint)), "{to}: {errs:#?}");
    }
    // Names as near as each other: all of them.
    let errs = load(&format!("{base}checks:\n  - p98_ms < 1\n"), &[]).unwrap_err();
    assert!(errs.iter().any(|e| e.ends_with("did you mean `p90_ms`, `p95_ms` or `p99_ms`?")), "{errs:#?}");
    // A name far from every known one: no guess.
    let errs = load(&base.replacen("[card, email]", "[card, merchant]", 1), &[]).unwrap_err();
    assert!(errs.iter().all(|e| !e.contains("did you mean")), "{errs:#?}");
}

#[test]
fn unknown_tables_in_statements_get_the_nearest_known_one() {
    let dir = tempfile::tempdir().unwrap();
    let text = scenario("", "{ distribution: uniform }").replace("local: { kind: noop }", "local: { kind: sqlite }").replace(
        "        - read_features: { entities: [card, email] }\n",
        "        - statement: { name: s, sql: \"SELECT * FROM {{ table('crad_f') }} WHERE pk = {{ bind(key.card) }}\" }\n",
    );
    let path = crate::common::scenario(dir.path(), "s", &text);
    let err = benchplan::commands::validate(&[path], &[], &mut Vec::new()).expect_err("an unknown table is refused");
    let text = err.to_string();
    assert!(text.contains("table('crad_f'): no such table in the dataset; did you mean `card_f`?"), "{text}");
}
