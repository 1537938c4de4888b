//! Property tests: the scanner-like code that takes user input never
//! panics and always answers with a location or a value, and the key
//! distributions follow their law for random parameters.

use proptest::prelude::*;

fn cfg(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Scenario-ish text: YAML punctuation, keys of the format, numbers, odd bytes.
fn yamlish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "version: 1\n",
        "name: x\n",
        "backends:\n",
        "  a: { kind: noop }\n",
        "dataset:\n",
        "phases:\n",
        "  - run:\n",
        "      requests: 10\n",
        "- ",
        ": ",
        "{",
        "}",
        "[",
        "]",
        ",",
        "&a ",
        "*a ",
        "<<: *a\n",
        "!!binary ",
        "'",
        "\"",
        "\t",
        "\n",
        "  ",
        "#",
        "${env:X}",
        "${p}",
        "1e999",
        "-0",
        "0x1F",
        "\u{feff}",
        "\u{e000}",
        "é",
        "\r\n",
        "?",
        "|\n",
        ">\n",
        "%YAML 1.2\n",
        "---\n",
        "...\n",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
}

fn check_located(bytes: &[u8]) -> Result<(), TestCaseError> {
    let env = |_: &str| None;
    match crate::scenario::load_bytes("f.yaml", bytes, &crate::scenario::LoadOptions::default(), &env) {
        Ok(_) => Ok(()),
        Err(e) => {
            prop_assert!(!e.0.is_empty(), "an error says what is wrong");
            for d in &e.0 {
                prop_assert!(d.line >= 1 && d.col >= 1, "located: {d}");
                prop_assert!(!d.message.is_empty());
            }
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(cfg(256))]

    #[test]
    fn the_loader_never_panics_and_locates_every_problem_in_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_located(&bytes)?;
    }

    #[test]
    fn the_loader_never_panics_and_locates_every_problem_in_yamlish_text(text in yamlish()) {
        check_located(text.as_bytes())?;
    }

    #[test]
    fn check_expressions_parse_or_say_why_and_round_trip(
        metric in prop::sample::select(crate::scenario::check::METRICS.to_vec()),
        op in prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!=", "=>", "=", "<>", ""]),
        value in prop::sample::select(vec!["120", "0.5", "-1", "1e3", "abc", "", "NaN", "99999999999999999999"]),
        junk in "[ a-z<>=!.0-9_]{0,12}",
    ) {
        for expr in [format!("{metric} {op} {value}"), junk.clone(), format!("{metric}{op}{value}{junk}")] {
            match crate::scenario::check::parse(&expr) {
                Ok(c) => {
                    let again = crate::scenario::check::parse(&c.to_string());
                    prop_assert!(again.is_ok_and(|a| a.to_string() == c.to_string()), "{expr:?} -> {c}");
                }
                Err(why) => prop_assert!(!why.is_empty()),
            }
        }
    }
}

#[cfg(feature = "cosmos")]
proptest! {
    #![proptest_config(cfg(512))]

    #[test]
    fn the_partition_filter_never_panics_and_keeps_the_query(
        head in prop::sample::select(vec!["SELECT * ", "SELECT c.a, c.b ", "select value c ", "SELECT TOP 1 * ", ""]),
        from in prop::sample::select(vec!["FROM c", "FROM root r", "from c as d", "FROM c.children ch", "FROM x IN c.tags", "FROM", "FROMc", "FROM (SELECT * FROM c)"]),
        cond in prop::sample::select(vec!["", " WHERE c.x = 1", " where c.s = 'FROM WHERE'", " WHERE (c.a > 1 OR c.b < 2)", " WHERE", " WHERE é = \"ü\""]),
        tail in prop::sample::select(vec!["", " ORDER BY c._ts DESC", " OFFSET 0 LIMIT 10", " GROUP BY c.k", " order"]),
        noise in "[ a-zA-Z'\"()\\[\\]é]{0,10}",
    ) {
        let sql = format!("{head}{from}{cond}{tail}{noise}");
        if let Ok(out) = crate::backend::cosmos::with_pk_filter(&sql) {
            prop_assert!(out.contains(".pk = @bp_pk"), "{sql} -> {out}");
            // The user's condition is kept whole.
            let kept = cond.trim().trim_start_matches(|c: char| c.is_ascii_alphabetic()).trim();
            prop_assert!(kept.is_empty() || out.contains(kept), "{sql} -> {out}");
        }
    }
}

proptest! {
    #![proptest_config(cfg(48))]

    /// The permutation that spreads hot keys is a bijection.
    #[test]
    fn key_permutations_are_bijections(n in 1u64..3000, seed in any::<u64>()) {
        let p = crate::workload::dist::Permutation::new(n, seed);
        let mut seen = vec![false; n as usize];
        for x in 0..n {
            let y = p.apply(x);
            prop_assert!(y < n && !seen[y as usize]);
            seen[y as usize] = true;
        }
    }

    /// Zipf: rank r is drawn with probability (r+1)^-theta / zeta(n, theta);
    /// the two most frequent ranks' shares are within 5 standard errors.
    #[test]
    fn zipf_follows_its_law(n in 2u64..200, theta in 0.05f64..0.99, seed in any::<u64>()) {
        use crate::workload::dist::{zeta, Rng, Zipf};
        let z = Zipf::new(n, theta);
        let mut rng = Rng::new(seed);
        let draws = 20_000u64;
        let mut counts = vec![0u64; n as usize];
        for _ in 0..draws {
            let r = z.sample(&mut rng);
            prop_assert!(r < n);
            counts[r as usize] += 1;
        }
        let norm = zeta(n, theta);
        for r in 0..2u64 {
            let p = 1.0 / ((r + 1) as f64).powf(theta) / norm;
            let se = (p * (1.0 - p) / draws as f64).sqrt();
            let got = counts[r as usize] as f64 / draws as f64;
            prop_assert!((got - p).abs() < 5.0 * se + 1e-9, "rank {r}: {got} vs {p} (n {n}, theta {theta})");
        }
    }

    /// Hotspot: the hot share of the draws is hot_traffic, every key in range.
    #[test]
    fn hotspot_follows_its_law(n in 10u64..1_000_000_000, hot_keys in 0.001f64..0.9, traffic in 0.0f64..1.0, seed in any::<u64>()) {
        use crate::scenario::model::{Distribution, KeySpec};
        use crate::workload::dist::{KeyChooser, Rng};
        let spec = KeySpec { distribution: Distribution::Hotspot, hot_keys: Some(hot_keys), hot_traffic: Some(traffic), theta: None, ..Default::default() };
        let c = KeyChooser::new(&spec, n, seed);
        let mut rng = Rng::new(seed ^ 1);
        let draws = 20_000u64;
        let mut hot = 0u64;
        for i in 0..draws {
            let d = c.draw(&mut rng, i);
            prop_assert!(d.idx < n);
            hot += u64::from(d.hot);
        }
        // When every key is hot, every draw is.
        let p = if c.hot_keys() >= n { 1.0 } else { traffic };
        let se = (p * (1.0 - p) / draws as f64).sqrt();
        let got = hot as f64 / draws as f64;
        prop_assert!((got - p).abs() < 5.0 * se + 1e-9, "{got} vs {p}");
    }
}
