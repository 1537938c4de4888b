//! JUnit XML for checks and comparisons, so that CI systems show them
//! natively: one test case per check per row (`run --junit`), and one per
//! compared metric per row (`compare --junit`); a failure carries the
//! measured value.

use super::compare::{Comparison, Verdict};
use super::fmt::plain;
use super::model::RunReport;
use std::fmt::Write as _;

/// Text for an XML attribute or element.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

struct Case {
    class: String,
    name: String,
    failure: Option<(String, String)>,
    /// Not tested, with why (a JUnit `<skipped>`).
    skipped: Option<String>,
}

/// A named suite: its `<properties>` (name, value) and its cases.
struct Suite {
    name: String,
    properties: Vec<(&'static str, String)>,
    cases: Vec<Case>,
}

/// A JUnit document of named suites.
fn document(suites: &[Suite]) -> String {
    let tests: usize = suites.iter().map(|x| x.cases.len()).sum();
    let failures: usize = suites.iter().map(|x| x.cases.iter().filter(|c| c.failure.is_some()).count()).sum();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(s, "<testsuites name=\"benchplan\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">");
    for Suite { name, properties, cases } in suites {
        let failures = cases.iter().filter(|c| c.failure.is_some()).count();
        let skipped = cases.iter().filter(|c| c.failure.is_none() && c.skipped.is_some()).count();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
            esc(name),
            cases.len()
        );
        if !properties.is_empty() {
            s.push_str("    <properties>\n");
            for (k, v) in properties {
                let _ = writeln!(s, "      <property name=\"{}\" value=\"{}\"/>", esc(k), esc(v));
            }
            s.push_str("    </properties>\n");
        }
        for c in cases {
            match (&c.failure, &c.skipped) {
                (None, Some(why)) => {
                    let _ = writeln!(s, "    <testcase classname=\"{}\" name=\"{}\">", esc(&c.class), esc(&c.name));
                    let _ = writeln!(s, "      <skipped message=\"{}\"/>", esc(why));
                    let _ = writeln!(s, "    </testcase>");
                }
                (None, None) => {
                    let _ = writeln!(s, "    <testcase classname=\"{}\" name=\"{}\"/>", esc(&c.class), esc(&c.name));
                }
                (Some((message, text)), _) => {
                    let _ = writeln!(s, "    <testcase classname=\"{}\" name=\"{}\">", esc(&c.class), esc(&c.name));
                    let _ = writeln!(s, "      <failure message=\"{}\" type=\"failure\">{}</failure>", esc(message), esc(text));
                    let _ = writeln!(s, "    </testcase>");
                }
            }
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

/// One test case per check per row in scope.
pub fn checks(r: &RunReport) -> String {
    document(&[check_suite(r)])
}

/// One test case per compared metric per matched row; regressions fail.
pub fn comparison(c: &Comparison, scenario: &str) -> String {
    document(&[comparison_suite(c, scenario)])
}

/// `run --baseline --junit`: the checks, then the comparison.
pub fn checks_and_comparison(r: &RunReport, c: &Comparison) -> String {
    document(&[check_suite(r), comparison_suite(c, &r.scenario)])
}

fn check_suite(r: &RunReport) -> Suite {
    let cases: Vec<Case> = r
        .checks
        .iter()
        .map(|c| {
            let measured = crate::report::markdown::measured_text(c);
            Case {
                class: format!("benchplan.{}.{}", r.scenario, c.backend),
                name: match (&c.op, &c.step) {
                    (Some(op), Some(step)) => format!("{} on {op}.{step} [{} {}]", c.check, c.phase, c.cell),
                    (Some(op), None) => format!("{} on {op} [{} {}]", c.check, c.phase, c.cell),
                    _ => format!("{} [{} {}]", c.check, c.phase, c.cell),
                },
                // Not evaluated: neither passed nor failed.
                skipped: c.not_evaluated.as_ref().map(|why| format!("not evaluated: {why}")),
                failure: (!c.passed && c.not_evaluated.is_none()).then(|| {
                    (
                        format!("{} failed: measured {measured}", c.check),
                        format!("backend {}, phase {}, cell {}: {} measured {measured}", c.backend, c.phase, c.cell, c.check),
                    )
                }),
            }
        })
        .collect();
    Suite { name: format!("{} checks", r.scenario), properties: Vec::new(), cases }
}

fn comparison_suite(c: &Comparison, scenario: &str) -> Suite {
    let th = &c.thresholds;
    // What a regression had to pass, as compare's Markdown header says it.
    let gates = format!(
        "a regression is beyond throughput and rows/s -{:.0} %, p50/p99/mean/p95 {}, error rate +{} pp, and significant at p < {}",
        th.throughput_drop * 100.0,
        super::compare::latency_gate(th),
        plain(th.error_rate_rise * 100.0),
        plain(th.alpha)
    );
    let properties = vec![
        ("throughput_drop_pct", plain(th.throughput_drop * 100.0)),
        ("latency_rise_pct", plain(th.latency_rise * 100.0)),
        ("min_latency_delta_ms", plain(th.min_latency_delta_ms)),
        ("memory_rise_pct", plain(th.memory_rise * 100.0)),
        ("error_rate_rise_pp", plain(th.error_rate_rise * 100.0)),
        ("alpha", plain(th.alpha)),
        ("min_samples", th.min_samples.to_string()),
    ];
    let mut cases = Vec::new();
    for r in &c.rows {
        for m in r.metrics.iter().filter(|m| m.verdict != Verdict::Info) {
            let value = |v: Option<f64>| v.map(|x| format!("{x:.3}")).unwrap_or_else(|| "n/a".into());
            cases.push(Case {
                class: format!("benchplan.{scenario}.{}", r.backend),
                name: format!("{} [{} {}]", m.metric, r.phase, r.cell),
                skipped: (m.verdict == Verdict::Untested).then(|| {
                    format!("{} changed beyond its threshold, but with fewer than {} per-second samples on a side: not tested", m.metric, th.min_samples.max(2))
                }),
                failure: (m.verdict == Verdict::Regression).then(|| {
                    let p = super::compare::p_clause(m.p_value);
                    (
                        format!("{} regressed: {} -> {} ({p})", m.metric, value(m.base), value(m.new)),
                        format!(
                            "backend {}, phase {}, cell {}: {} was {} in the base run and is {} now; one-sided {p} over {} / {} samples; {gates}",
                            r.backend,
                            r.phase,
                            r.cell,
                            m.metric,
                            value(m.base),
                            value(m.new),
                            m.samples.0,
                            m.samples.1
                        ),
                    )
                }),
            });
        }
    }
    for missing in &c.only_base {
        let why = format!("{missing} is in the base run but not in the new one");
        cases.push(Case {
            class: format!("benchplan.{scenario}"),
            name: format!("{missing} present"),
            // With --allow-missing a missing row is allowed: skipped, not failed.
            skipped: c.allow_missing.then(|| format!("{why} (--allow-missing)")),
            failure: (!c.allow_missing).then(|| (why.clone(), format!("{missing}: no row to compare"))),
        });
    }
    Suite { name: format!("{scenario} comparison"), properties, cases }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untested_changes_are_skipped_and_regressions_fail() {
        use crate::report::compare::{MetricDelta, RowDelta, Thresholds};
        let m = |metric, verdict| MetricDelta {
            metric,
            base: Some(1.0),
            new: Some(2.0),
            p_value: None,
            samples: (1, 1),
            intervals: None,
            verdict,
        };
        let c = Comparison {
            thresholds: Thresholds::default(),
            rows: vec![RowDelta {
                backend: "b".into(),
                phase: "serve".into(),
                cell: "-".into(),
                metrics: vec![m("p50_ms", Verdict::Untested), m("p99_ms", Verdict::Regression), m("error_rate", Verdict::Ok)],
            }],
            only_base: vec!["b warm [-]".into()],
            only_new: vec![],
            allow_missing: false,
        };
        let xml = comparison(&c, "s");
        assert!(xml.contains("<testsuites name=\"benchplan\" tests=\"4\" failures=\"2\""), "{xml}");
        assert!(xml.contains("tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"1\">"), "{xml}");
        assert!(xml.contains("<skipped message=\"p50_ms changed beyond its threshold"), "{xml}");
        assert!(xml.contains("b warm [-] is in the base run but not in the new one"), "{xml}");
        // --allow-missing: the missing row is skipped, not failed.
        let xml = comparison(&Comparison { allow_missing: true, ..c }, "s");
        assert!(xml.contains("tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"2\">"), "{xml}");
        assert!(xml.contains("not in the new one (--allow-missing)"), "{xml}");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("p99_ms < 120 & \"x\" 'y' >\u{1}"), "p99_ms &lt; 120 &amp; &quot;x&quot; &apos;y&apos; &gt;");
    }
}
