//! compare's unit tests.
use super::*;

fn report(rows: &[(&str, f64, f64)], seconds: &[(u64, f64, f64)]) -> RunReport {
    // rows: (cell, p50, throughput); seconds: (requests, p50, p99) per second, for every row.
    let mut v = serde_json::json!({
        "format": 1, "run_id": "r", "tool": "t", "scenario": "s", "scenario_file": "f", "scenario_sha256": "ab",
        "command": "c", "started_utc": "", "finished_utc": "",
        "environment": { "os": "", "arch": "", "cpus": 1, "tool_version": "" },
        "matrix_params": ["hot"], "backends": [], "setup": [], "rows": [], "breakdown": [], "timeseries": [],
        "errors": [], "checks": [], "histograms": [], "warnings": [], "interrupted": false, "resolved_scenario": {}
    });
    for (cell, p50, rps) in rows {
        let hot: f64 = cell.trim_start_matches("hot=").parse().unwrap_or(0.0);
        if let Some(a) = v["rows"].as_array_mut() {
            a.push(serde_json::json!({
                "backend": "b", "kind": "noop", "phase": "serve", "cell": { "hot": hot }, "workers": 1,
                "requests": 1000, "errors": 0, "error_rate": 0.0, "duration_s": 4.4, "throughput_rps": rps,
                "count": 1000, "mean_ms": p50, "stddev_ms": 0.0, "cv": 0.0, "min_ms": p50, "p50_ms": p50, "p90_ms": p50,
                "p95_ms": p50, "p99_ms": p50, "p999_ms": p50, "max_ms": p50,
                "cost_usd": null, "cost_per_million_usd": null, "target_rps": null, "service_p50_ms": null,
                "service_p99_ms": null, "late_requests": null, "rows_per_request": 1.0
            }));
        }
        for (i, (req, s50, s99)) in seconds.iter().enumerate() {
            if let Some(a) = v["timeseries"].as_array_mut() {
                a.push(serde_json::json!({
                    "backend": "b", "cell": cell, "phase": "serve", "second": i, "requests": req, "errors": 0,
                    "p50_ms": s50, "p99_ms": s99
                }));
            }
        }
    }
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn noisy_equal_runs_pass_and_a_shift_fails() {
    // Milliseconds apart: beyond the default minimum of 1 ms.
    let base = report(
        &[("hot=1.0", 10.0, 1000.0)],
        &[(1010, 10.0, 20.0), (990, 10.5, 22.0), (1000, 9.8, 19.0), (1005, 10.2, 21.0), (400, 10.0, 20.0)],
    );
    // The same distribution, other draws: a few per cent apart, nothing significant.
    let same = report(
        &[("hot=1.0", 10.4, 985.0)],
        &[(980, 10.3, 21.0), (1000, 9.9, 20.0), (995, 10.6, 23.0), (970, 10.4, 19.0), (350, 10.0, 20.0)],
    );
    let c = compare(&base, &same, &Thresholds::default());
    assert!(c.regressions().is_empty(), "{c:?}");
    // Slower by 40 %, every second: p50 and throughput regress (the last, partial second is left out of the rates).
    let slow = report(
        &[("hot=1.0", 14.0, 700.0)],
        &[(700, 14.0, 28.0), (690, 14.5, 30.0), (710, 13.8, 27.0), (705, 14.2, 29.0), (100, 14.0, 28.0)],
    );
    let c = compare(&base, &slow, &Thresholds::default());
    let regs: Vec<&str> = c.regressions().iter().map(|(_, m)| m.metric).collect();
    assert_eq!(regs, ["p50_ms", "p99_ms", "throughput_rps"]);
    let tp = c.rows[0].metrics.iter().find(|m| m.metric == "throughput_rps").map(|m| m.samples);
    assert_eq!(tp, Some((4, 4)));
    // A row in one run only is listed, not compared.
    // Regression: a sliver of a last second (0.1 s) was a throughput sample of
    // its own, so a 1.1 s phase was "tested" on two samples.
    let (rates, p50, _) = samples(&slow.timeseries, &("b".into(), "serve".into(), "hot=1.0".into()), 1.1);
    assert_eq!((rates, p50.len()), (vec![700.0], 1));
    let (rates, _, _) = samples(&slow.timeseries, &("b".into(), "serve".into(), "hot=1.0".into()), 4.5);
    assert_eq!(rates, [700.0, 690.0, 710.0, 705.0, 200.0]);
    let other = report(&[("hot=0.5", 1.0, 1000.0)], &[(1000, 1.0, 2.0), (1000, 1.0, 2.0), (1000, 1.0, 2.0)]);
    let c = compare(&base, &other, &Thresholds::default());
    assert_eq!((c.rows.len(), c.only_base.len(), c.only_new.len()), (0, 1, 1));
}

/// `count` latencies of 1, 2, ... `count` ms, each plus `shift_ms`, as run.json stores them.
fn histogram_record(count: u64, shift_ms: u64) -> crate::report::model::HistogramRecord {
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap_or_else(|e| panic!("{e}"));
    for ms in 1..=count {
        h.record((ms + shift_ms) * 1_000_000).unwrap_or_else(|e| panic!("{e}"));
    }
    let data = crate::report::assemble::encode_hist(&h).unwrap_or_else(|e| panic!("{e}"));
    let (backend, phase, cell, measure) = ("b".into(), "serve".into(), "hot=1.0".into(), "response".into());
    crate::report::model::HistogramRecord { file: "f".into(), backend, phase, cell, measure, data }
}

#[test]
fn a_percentile_regresses_only_with_its_intervals_apart() {
    // 1,000 requests of 1..1000 ms: the p99 is the 990th, its 95 % interval
    // the 983rd to the 997th (990 -+ 1.96 x sqrt(1000 x 0.99 x 0.01) = 6.2).
    let h = crate::report::hgrm::decode(&histogram_record(1000, 0).data).unwrap_or_else(|e| panic!("{e}"));
    let (lo, hi) = quantile_interval(&h, 0.99).unwrap_or((0.0, 0.0));
    assert!((982.0..=984.5).contains(&lo) && (996.0..=998.5).contains(&hi), "{lo} {hi}");
    let (lo, hi) = quantile_interval(&h, 0.50).unwrap_or((0.0, 0.0));
    assert!((468.0..=470.5).contains(&lo) && (530.0..=532.5).contains(&hi), "{lo} {hi}");
    // Every second slower (the per-second test is significant), +40 %, +4 ms.
    let mut base = report(&[("hot=1.0", 10.0, 1000.0)], &[(1000, 10.0, 10.0), (1000, 10.1, 10.1), (1000, 9.9, 9.9), (1000, 10.0, 10.0)]);
    let mut slow = report(&[("hot=1.0", 14.0, 1000.0)], &[(1000, 14.0, 14.0), (1000, 14.1, 14.1), (1000, 13.9, 13.9), (1000, 14.0, 14.0)]);
    let verdicts = |b: &RunReport, n: &RunReport| -> Vec<Verdict> {
        compare(b, n, &Thresholds::default()).rows[0]
            .metrics
            .iter()
            .filter(|m| ["p50_ms", "p99_ms"].contains(&m.metric))
            .map(|m| m.verdict)
            .collect()
    };
    // Without histograms (older runs): the per-second test alone.
    assert_eq!(verdicts(&base, &slow), [Verdict::Regression; 2]);
    // Whole-run histograms 5 ms apart: each percentile's intervals overlap.
    base.histograms.push(histogram_record(1000, 0));
    slow.histograms.push(histogram_record(1000, 5));
    assert_eq!(verdicts(&base, &slow), [Verdict::WithinInterval; 2]);
    let c = compare(&base, &slow, &Thresholds::default());
    let text = markdown(&c, &base, &slow, "a", "b");
    assert!(text.contains("2 percentile change(s) passed the threshold"), "{text}");
    assert!(text.contains("| 983.") && text.contains(" / 988."), "{text}");
    // 100 ms apart: both regress; 40 ms apart, only the p99 (its interval
    // is +-7 ranks, the p50's +-31).
    slow.histograms[0] = histogram_record(1000, 100);
    assert_eq!(verdicts(&base, &slow), [Verdict::Regression; 2]);
    slow.histograms[0] = histogram_record(1000, 40);
    assert_eq!(verdicts(&base, &slow), [Verdict::WithinInterval, Verdict::Regression]);
    // The same for an improvement: one within the intervals is only "ok".
    let c = compare(&slow, &base, &Thresholds::default());
    let v: Vec<Verdict> = c.rows[0].metrics.iter().filter(|m| ["p50_ms", "p99_ms"].contains(&m.metric)).map(|m| m.verdict).collect();
    assert_eq!(v, [Verdict::Ok, Verdict::Improvement]);
}

#[test]
fn what_differs_besides_the_numbers_is_named() {
    let base = report(&[("hot=1.0", 10.0, 1000.0)], &[(1000, 10.0, 20.0)]);
    assert!(differences(&base, &base).is_empty());
    let mut new = base.clone();
    new.tool = "benchplan 0.2.0".into();
    new.environment.machine.insert("host".into(), "ci-7".into());
    new.backends = serde_json::from_value(serde_json::json!([
        { "name": "pg", "kind": "postgres", "status": "ok", "server": { "version": "16.4", "shared_buffers": "1GB" } }
    ]))
    .unwrap_or_else(|e| panic!("{e}"));
    let mut old = base.clone();
    old.backends = serde_json::from_value(serde_json::json!([
        { "name": "pg", "kind": "postgres", "status": "ok", "server": { "version": "16.4", "shared_buffers": "128MB" } },
        { "name": "ddb", "kind": "dynamodb", "status": "ok", "server": {} }
    ]))
    .unwrap_or_else(|e| panic!("{e}"));
    let texts: Vec<String> = differences(&old, &new).iter().map(|d| d.text()).collect();
    assert_eq!(
        texts,
        ["tool: t → benchplan 0.2.0", "machine host: - → ci-7", "backend `pg` shared_buffers: 128MB → 1GB", "backend `ddb`: dynamodb → -"]
    );
    let md = markdown(&compare(&old, &new, &Thresholds::default()), &old, &new, "a", "b");
    assert!(md.contains("- Also different: tool: t → benchplan 0.2.0; machine host: - → ci-7;"), "{md}");
}

#[test]
fn a_regression_needs_threshold_minimum_and_significance() {
    let gate = (0.15, 1.0);
    let (worse, better) = ((Some(0.01), Some(0.99)), (Some(0.99), Some(0.001)));
    // +30 %, +3 ms: beyond threshold and minimum; then the test decides.
    assert_eq!(verdict(Some((0.30, 3.0)), gate, worse, 0.05), Verdict::Regression);
    assert_eq!(verdict(Some((0.30, 3.0)), gate, (Some(0.20), Some(0.80)), 0.05), Verdict::NotSignificant);
    assert_eq!(verdict(Some((0.30, 3.0)), gate, (None, None), 0.05), Verdict::Untested);
    // Within the threshold: ok, whatever the p-value.
    assert_eq!(verdict(Some((0.10, 3.0)), gate, (Some(0.0001), Some(0.99)), 0.05), Verdict::Ok);
    // The reported case: +150 % but +0.26 ms, p < 0.0001: under the minimum, not a regression.
    assert_eq!(verdict(Some((1.5, 0.26)), gate, (Some(1e-6), Some(1.0)), 0.05), Verdict::UnderMinimum);
    // ... also when it could not be tested: nothing to test.
    assert_eq!(verdict(Some((1.5, 0.26)), gate, (None, None), 0.05), Verdict::UnderMinimum);
    // Exactly the minimum counts; the minimum as printed (3 decimals) is not lost to rounding.
    assert_eq!(verdict(Some((0.30, 1.0)), gate, worse, 0.05), Verdict::Regression);
    assert_eq!(verdict(Some((0.30, 1.6 - 0.6)), gate, worse, 0.05), Verdict::Regression);
    // No minimum (0): the relative threshold and the test alone, as before.
    assert_eq!(verdict(Some((1.5, 0.26)), (0.15, 0.0), worse, 0.05), Verdict::Regression);
    // Better: beyond threshold and minimum, and significant.
    assert_eq!(verdict(Some((-0.30, -3.0)), gate, better, 0.05), Verdict::Improvement);
    assert_eq!(verdict(Some((-0.60, -0.3)), gate, better, 0.05), Verdict::Ok);
    assert_eq!(verdict(None, gate, worse, 0.05), Verdict::Info);
}

#[test]
fn the_latency_minimum_gates_p50_and_p99_not_throughput() {
    // p50 0.17 -> 0.43 ms every second (+150 %, p < 0.0001), p99 0.7 -> 1.2 ms;
    // throughput unchanged: no regression at the defaults.
    let mut base = report(&[("hot=1.0", 0.17, 1000.0)], &[(1000, 0.17, 0.7), (1000, 0.16, 0.71), (1000, 0.18, 0.69), (1000, 0.17, 0.7)]);
    let mut new = report(&[("hot=1.0", 0.43, 1000.0)], &[(1000, 0.43, 1.2), (1000, 0.42, 1.21), (1000, 0.44, 1.19), (1000, 0.43, 1.2)]);
    (base.rows[0].latency.p99_ms, new.rows[0].latency.p99_ms) = (0.7, 1.2);
    let c = compare(&base, &new, &Thresholds::default());
    assert!(c.regressions().is_empty(), "{c:?}");
    let verdicts: Vec<Verdict> = c.rows[0].metrics.iter().map(|m| m.verdict).collect();
    assert_eq!(verdicts[..3], [Verdict::UnderMinimum, Verdict::UnderMinimum, Verdict::Ok]);
    // Without the minimum, both regress; with 0.5 ms, only p99 (+0.5 ms).
    let th = Thresholds { min_latency_delta_ms: 0.0, ..Thresholds::default() };
    let regs: Vec<&str> = compare(&base, &new, &th).regressions().iter().map(|(_, m)| m.metric).collect();
    assert_eq!(regs, ["p50_ms", "p99_ms"]);
    let th = Thresholds { min_latency_delta_ms: 0.5, ..Thresholds::default() };
    let regs: Vec<&str> = compare(&base, &new, &th).regressions().iter().map(|(_, m)| m.metric).collect();
    assert_eq!(regs, ["p99_ms"]);
}

#[test]
fn mean_p95_and_rows_are_gated_and_min_samples_is_honoured() {
    let base = report(&[("hot=1.0", 10.0, 1000.0)], &[(1000, 10.0, 20.0), (1000, 10.1, 20.0), (1000, 9.9, 20.0), (1000, 10.0, 20.0)]);
    let slow = report(&[("hot=1.0", 14.0, 700.0)], &[(700, 14.0, 28.0), (700, 14.1, 28.0), (700, 13.9, 28.0), (700, 14.0, 28.0)]);
    let with_rows = |r: &RunReport, mean: f64| {
        let mut r = r.clone();
        r.rows[0].rows_per_s = Some(r.rows[0].throughput_rps * 2.0);
        r.rows[0].rows_per_request = 2.0;
        for (i, t) in r.timeseries.iter_mut().enumerate() {
            t.mean_ms = Some(mean + i as f64 * 0.01);
            t.p95_ms = Some(mean * 1.5 + i as f64 * 0.01);
        }
        r
    };
    let (base, slow) = (with_rows(&base, 10.0), with_rows(&slow, 14.0));
    let c = compare(&base, &slow, &Thresholds::default());
    let regs: Vec<&str> = c.regressions().iter().map(|(_, m)| m.metric).collect();
    assert_eq!(regs, ["p50_ms", "p99_ms", "throughput_rps", "mean_ms", "p95_ms", "rows_per_s"]);
    // Fewer samples than asked for: untested, not regressions.
    let c = compare(&base, &slow, &Thresholds { min_samples: 5, ..Thresholds::default() });
    assert!(c.regressions().is_empty(), "{c:?}");
    assert!(c.rows[0]
        .metrics
        .iter()
        .filter(|m| m.metric != "error_rate" && m.metric != "cost_per_million_usd")
        .all(|m| m.verdict == Verdict::Untested));
}

#[test]
fn recall_falling_beyond_its_threshold_is_a_regression() {
    let seconds = [(1000, 10.0, 20.0), (1000, 10.1, 20.0), (1000, 9.9, 20.0)];
    let with_recall = |r: f64| {
        let mut rep = report(&[("hot=1.0", 10.0, 1000.0)], &seconds);
        rep.rows[0].recall = Some(crate::stats::measured::Recall { k: 10, queries: 200, recall_at_k: r, recall_at_k_p5: r });
        rep
    };
    let recall_verdict = |c: &Comparison| c.rows[0].metrics.iter().find(|m| m.metric == "recall_at_k").map(|m| m.verdict);
    let c = compare(&with_recall(0.98), &with_recall(0.95), &Thresholds::default());
    assert_eq!(recall_verdict(&c), Some(Verdict::Regression));
    let c = compare(&with_recall(0.98), &with_recall(0.975), &Thresholds::default());
    assert_eq!(recall_verdict(&c), Some(Verdict::Ok), "a fall within the 0.01 threshold");
    let c = compare(&with_recall(0.95), &with_recall(0.98), &Thresholds::default());
    assert_eq!(recall_verdict(&c), Some(Verdict::Improvement));
    let c = compare(&with_recall(0.98), &with_recall(0.95), &Thresholds { recall_drop: 0.05, ..Thresholds::default() });
    assert_eq!(recall_verdict(&c), Some(Verdict::Ok));
}

/// A report whose only phase is a findmax search that passed `max` and failed `failed`.
fn searched(max: f64, failed: f64) -> RunReport {
    let mut r = report(&[], &[]);
    r.findmax.push(crate::stats::measured::FindmaxOutcome {
        backend: "b".into(),
        phase: "capacity".into(),
        cell: Default::default(),
        max_rps: Some(max),
        max_phase: Some(format!("capacity@{max}")),
        failed_rps: Some(failed),
        precision: 0.05,
        step_length: "2 s".into(),
        ended: "converged".into(),
        steps: [(max, true), (failed, false)]
            .iter()
            .map(|&(rate, passed)| crate::stats::measured::FindmaxStep {
                phase: format!("capacity@{rate}"),
                rate,
                throughput_rps: rate,
                p99_ms: 1.0,
                passed,
                failed: Vec::new(),
            })
            .collect(),
        unjudged: Vec::new(),
    });
    // Each step is a row of its own, at a rate the other search did not try.
    let mut base = report(&[("hot=1.0", 1.0, max), ("hot=0.5", 1.0, failed)], &[]);
    for (row, step) in base.rows.iter_mut().zip(&r.findmax[0].steps) {
        row.phase = step.phase.clone();
        row.cell = Default::default();
    }
    r.rows = base.rows;
    r
}

#[test]
fn a_findmax_answer_regresses_only_when_the_searches_brackets_are_apart() {
    let th = Thresholds::default();
    // Same knee, other steps: the step rows are not missing, the answer is ok.
    let c = compare(&searched(290.0, 300.0), &searched(285.0, 295.0), &th);
    assert!(!c.incomplete(), "{c:?}");
    assert!(c.only_base.is_empty() && c.only_new.is_empty(), "{c:?}");
    assert_eq!(c.rows.len(), 1);
    assert_eq!((c.rows[0].metrics[0].metric, c.rows[0].metrics[0].verdict), ("findmax_rps", Verdict::Ok));
    // The new search failed at 200, below the base's 290 that passed.
    let c = compare(&searched(290.0, 300.0), &searched(190.0, 200.0), &th);
    assert_eq!(c.regressions().len(), 1, "{c:?}");
    // Fell by more than the threshold, but the new search never failed at or below 290: not proven.
    let c = compare(&searched(290.0, 300.0), &searched(200.0, 400.0), &th);
    assert_eq!(c.rows[0].metrics[0].verdict, Verdict::WithinInterval);
}

#[test]
fn an_index_that_grew_beyond_the_memory_threshold_regresses() {
    let with_index = |mb: u64| {
        let mut r = report(&[("hot=1.0", 1.0, 100.0)], &[]);
        r.setup.push(
            serde_json::from_value(serde_json::json!({"backend": "b", "kind": "postgres", "step": "index emb.v hnsw l2",
            "rows": 10000, "duration_s": 4.0, "rows_per_s": 2500.0, "bytes": mb * 1_000_000}))
            .unwrap(),
        );
        r
    };
    let th = Thresholds::default();
    let c = compare(&with_index(10), &with_index(11), &th);
    let row = c.rows.iter().find(|r| r.phase == "setup: index emb.v hnsw l2").expect("a row for the index");
    assert_eq!((row.metrics[0].metric, row.metrics[0].verdict), ("index_mb", Verdict::Ok));
    let c = compare(&with_index(10), &with_index(14), &th);
    let regs: Vec<&str> = c.regressions().iter().map(|(_, m)| m.metric).collect();
    assert_eq!(regs, ["index_mb"], "+40 % against the 25 % memory threshold");
}
