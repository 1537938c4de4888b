//! The SVG charts of a run folder (`charts/*.svg`): valid SVG, every series
//! named, the SLA line drawn, and the same bytes from the same report.

use benchplan::report::model::RunReport;
use benchplan::report::{charts, files, markdown};
use benchplan::stats::new_hist;
use serde_json::{json, Value};

const BACKENDS: [&str; 2] = ["alpha", "beta & <co>"];
const HOT: [f64; 3] = [1.0, 0.5, 0.0];

fn encoded_hist(scale: u64) -> String {
    let mut h = new_hist();
    for v in 1..=2000u64 {
        h.record(v * scale).unwrap();
    }
    let mut data = Vec::new();
    hdrhistogram::serialization::Serializer::serialize(&mut hdrhistogram::serialization::V2Serializer::new(), &h, &mut data).unwrap();
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, data)
}

fn row(backend: &str, hot: f64, p99: f64) -> Value {
    json!({
        "backend": backend, "kind": "sqlite", "phase": "serve", "cell": {"hot": hot},
        "workers": 4, "requests": 3000, "errors": 0, "error_rate": 0.0, "duration_s": 3.0, "throughput_rps": 1000.0,
        "mean_ms": 2.0, "stddev_ms": 1.0, "cv": 0.5, "min_ms": 0.1, "p50_ms": p99 / 4.0, "p90_ms": p99 / 2.0,
        "p95_ms": p99 / 1.5, "p99_ms": p99, "p999_ms": p99 * 2.0, "max_ms": p99 * 3.0,
        "cost_usd": 0.0001, "cost_per_million_usd": p99 / 100.0,
        "target_rps": null, "service_p50_ms": null, "service_p99_ms": null, "late_requests": null,
        "rows_per_request": 3.0,
        "cache": {"samples": 10, "hit_ratio": 0.9 + hot / 20.0, "blocks_per_request": 6.0, "latency_corr": -0.4}
    })
}

/// Two backends, a matrix (`hot`), a `p99_ms < 10` check, histograms, three
/// seconds of time series per cell, EXPLAIN summaries and cost.
fn report() -> RunReport {
    let mut rows = Vec::new();
    let mut ts = Vec::new();
    let mut hists = Vec::new();
    let mut checks = Vec::new();
    for (b, backend) in BACKENDS.iter().enumerate() {
        for (i, hot) in HOT.iter().enumerate() {
            let p99 = 2.0 + (b * 3 + i) as f64;
            rows.push(row(backend, *hot, p99));
            let cell = format!("hot={hot:?}");
            for s in 0..3u64 {
                ts.push(json!({"backend": backend, "cell": cell, "phase": "serve", "second": s, "requests": 1000 + 10 * s,
                    "errors": 0, "p50_ms": p99 / 4.0, "p99_ms": p99 + s as f64}));
            }
            hists.push(json!({"file": format!("{b}_{i}.hgrm"), "backend": backend, "phase": "serve", "cell": cell,
                "measure": "response", "data": encoded_hist(1000 * (b as u64 + 1))}));
            checks.push(json!({"check": "p99_ms < 10", "backend": backend, "phase": "serve", "cell": cell,
                "value": p99, "passed": p99 < 10.0}));
        }
    }
    let backends: Vec<Value> =
        BACKENDS.iter().map(|b| json!({"name": b, "kind": "sqlite", "status": "ok", "server": {}, "cost_basis": "test"})).collect();
    serde_json::from_value(json!({
        "format": 1, "run_id": "20261125T000000Z", "tool": "benchplan 0.1.0", "scenario": "charts",
        "scenario_file": "charts.yaml", "scenario_sha256": "00", "command": "benchplan run charts.yaml",
        "started_utc": "2026-11-25T00:00:00Z", "finished_utc": "2026-11-25T00:01:00Z",
        "environment": {"os": "linux", "arch": "x86_64", "cpus": 2, "tool_version": "0.1.0"},
        "matrix_params": ["hot"], "backends": backends, "setup": [], "rows": rows, "breakdown": [],
        "timeseries": ts, "errors": [], "checks": checks, "histograms": hists, "warnings": [],
        "interrupted": false, "resolved_scenario": {"name": "charts"}
    }))
    .unwrap()
}

/// The chart files of a report, as (name, text).
fn chart_files(r: &RunReport) -> Vec<(String, String)> {
    files(r)
        .unwrap()
        .into_iter()
        .filter(|(p, _)| p.starts_with("charts"))
        .map(|(p, b)| (p.file_name().unwrap().to_string_lossy().into_owned(), String::from_utf8(b).unwrap()))
        .collect()
}

/// The text of every `<text>` element.
fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{svg}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert_eq!(doc.root_element().tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    doc.descendants().filter(|n| n.has_tag_name("text")).map(|n| n.text().unwrap_or("").trim().to_string()).collect()
}

#[test]
fn every_chart_is_svg_and_names_its_series() {
    let r = report();
    let f = chart_files(&r);
    let names: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "latency-serve.svg",
            "p99-by-hot-serve.svg",
            "over-time-alpha-serve.svg",
            "over-time-beta----co--serve.svg",
            "latency-by-cache-hit-ratio.svg",
            "cost-by-p99.svg"
        ]
    );
    for (name, svg) in &f {
        let t = texts(svg);
        let title = charts::list(&r).into_iter().find(|c| &c.file == name).unwrap().title;
        assert!(t.contains(&title), "{name}: no title {title:?} in {t:?}");
        // Every backend is named in the legend: alone, or with its cell or measure.
        let backends: &[&str] = match name.as_str() {
            "over-time-alpha-serve.svg" => &BACKENDS[..1],
            "over-time-beta----co--serve.svg" => &BACKENDS[1..],
            _ => &BACKENDS,
        };
        for b in backends {
            assert!(t.iter().any(|x| x == b || x.starts_with(&format!("{b} "))), "{name}: no series for {b:?} in {t:?}");
        }
        // Axes are labelled with units.
        assert!(t.iter().any(|x| x.ends_with("(ms)")), "{name}: no axis in ms in {t:?}");
    }
    let latency = texts(&f[0].1);
    for label in ["alpha hot=1.0", "alpha hot=0.0", "beta & <co> hot=0.5"] {
        assert!(latency.iter().any(|x| x == label), "no series {label:?} in {latency:?}");
    }
    for tick in ["0%", "90%", "99%", "99.9%"] {
        assert!(latency.iter().any(|x| x == tick), "no percentile tick {tick:?} in {latency:?}");
    }
}

#[test]
fn the_sla_line_comes_from_the_checks() {
    let r = report();
    let f = chart_files(&r);
    for name in ["p99-by-hot-serve.svg", "over-time-alpha-serve.svg"] {
        let (_, svg) = f.iter().find(|(n, _)| n == name).unwrap();
        assert!(texts(svg).iter().any(|x| x == "SLA p99_ms < 10"), "{name}: no SLA label");
        // The dashed line is drawn in the SLA colour, in segments.
        assert!(svg.matches("stroke=\"#D62728\"").count() > 10, "{name}: no SLA line\n{svg}");
    }
    // A chart without a p99 check has no SLA line.
    let mut no_checks = r.clone();
    no_checks.checks.clear();
    let (_, svg) = chart_files(&no_checks).into_iter().find(|(n, _)| n == "p99-by-hot-serve.svg").unwrap();
    assert!(!svg.contains("SLA") && !svg.contains("#D62728"));
}

#[test]
fn the_same_report_draws_the_same_bytes() {
    let a = chart_files(&report());
    let b = chart_files(&report());
    assert_eq!(a, b);
    // And through run.json, as `benchplan report` reads it.
    let back: RunReport = serde_json::from_slice(&benchplan::report::run_json(&report()).unwrap()).unwrap();
    assert_eq!(a, chart_files(&back));
}

#[test]
fn charts_without_their_data_are_left_out() {
    let mut r = report();
    // One matrix value: no P99-by-param chart; no cost, cache, time series or histograms: none of theirs.
    r.rows.retain(|x| x.cell.get("hot") == Some(&json!(1.0)));
    for x in &mut r.rows {
        x.cost_per_million_usd = None;
        x.cache = None;
    }
    r.timeseries.retain(|t| t.second == 0);
    r.histograms.clear();
    assert!(charts::list(&r).is_empty());
    assert!(chart_files(&r).is_empty());
    let md = String::from_utf8(markdown::summary_md(&r)).unwrap();
    assert!(!md.contains("## Charts") && !md.contains("charts/"), "{md}");
}

#[test]
fn summary_links_every_chart_in_order() {
    let r = report();
    let md = String::from_utf8(markdown::summary_md(&r)).unwrap();
    let links: Vec<&str> = md.lines().filter(|l| l.starts_with("![")).collect();
    let want: Vec<String> = charts::list(&r).iter().map(|c| format!("![{}](charts/{})", c.title, c.file)).collect();
    assert_eq!(links, want);
    assert!(md.contains("## Charts\n\n![Latency by percentile, phase serve](charts/latency-serve.svg)\n"), "{md}");
}

/// The legend of a chart: each entry's label with the colour of the marker
/// drawn just before it.
fn legend_colors(svg: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let mut stroke = String::new();
    let mut out = Vec::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        let paint = [n.attribute("stroke"), n.attribute("fill")].into_iter().flatten().find(|c| *c != "none");
        if let Some(s) = paint.filter(|_| !n.has_tag_name("text")) {
            stroke = s.to_string();
        }
        if n.has_tag_name("text") {
            out.push((n.text().unwrap_or("").trim().to_string(), stroke.clone()));
        }
    }
    out
}

/// Hue (degrees) and lightness (0..1) of a `#RRGGBB` colour.
fn hue_lightness(hex: &str) -> (f64, f64) {
    let c: Vec<f64> = (0..3).map(|i| u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap() as f64 / 255.0).collect();
    let (max, min) = (c.iter().cloned().fold(0.0, f64::max), c.iter().cloned().fold(1.0, f64::min));
    let d = max - min;
    let h = if d == 0.0 {
        0.0
    } else if max == c[0] {
        60.0 * ((c[1] - c[2]) / d).rem_euclid(6.0)
    } else if max == c[1] {
        60.0 * ((c[2] - c[0]) / d + 2.0)
    } else {
        60.0 * ((c[0] - c[1]) / d + 4.0)
    };
    (h, (max + min) / 2.0)
}

/// Regression: with more series than colours per backend, series of
/// different backends shared a colour in the percentile chart, so the
/// legend did not tell `local hot=1.0` from `ddb hot=1.0`.
#[test]
fn a_backend_keeps_its_hue_and_its_cells_go_dark_to_light() {
    let r = report();
    let f = chart_files(&r);
    let of = |chart: &str, label: &str| {
        let (_, svg) = f.iter().find(|(n, _)| n == chart).unwrap();
        legend_colors(svg).into_iter().find(|(t, _)| t == label).map(|(_, c)| c).unwrap_or_else(|| panic!("{chart}: no {label:?}"))
    };
    for chart in ["latency-serve.svg", "cost-by-p99.svg"] {
        let mut all = Vec::new();
        for b in BACKENDS {
            // The backend's own colour: its one series in a chart of one row per backend.
            let mut one = r.clone();
            one.rows.retain(|x| x.cell.get("hot") == Some(&json!(1.0)));
            let (_, own_svg) = chart_files(&one).into_iter().find(|(n, _)| n == "cost-by-p99.svg").unwrap();
            let own = legend_colors(&own_svg).into_iter().find(|(t, _)| t == b).map(|(_, c)| c).unwrap();
            let colors: Vec<String> = HOT.iter().map(|h| of(chart, &format!("{b} hot={h:?}"))).collect();
            let (hue, _) = hue_lightness(&own);
            let mut last = -1.0;
            for c in &colors {
                let (h, l) = hue_lightness(c);
                assert!((h - hue).abs() < 4.0, "{chart}: {b}'s series {c} is not a shade of {own}: {colors:?}");
                assert!(l > last, "{chart}: {b}'s cells do not go from dark to light in matrix order: {colors:?}");
                last = l;
            }
            all.extend(colors);
        }
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "{chart}: two series share a colour: {all:?}");
    }
    // An over-time chart is one backend's: its cells are shades of it too.
    let (h0, _) = hue_lightness(&of("over-time-alpha-serve.svg", "alpha hot=1.0"));
    let (h1, _) = hue_lightness(&of("over-time-alpha-serve.svg", "alpha hot=0.0"));
    assert!((h0 - h1).abs() < 4.0);
}

#[test]
fn an_sla_far_above_the_data_is_named_but_does_not_squash_it() {
    let mut r = report();
    for c in &mut r.checks {
        c.check = "p99_ms < 120".into();
    }
    let f = chart_files(&r);
    let (_, svg) = f.iter().find(|(n, _)| n == "p99-by-hot-serve.svg").unwrap();
    let t = texts(svg);
    assert!(t.iter().any(|x| x == "SLA p99_ms < 120 (above the plot)"), "{t:?}");
    // The y axis ends near the data (p99 up to 7 ms), not at 120 ms.
    assert!(t.iter().any(|x| x == "8") && !t.iter().any(|x| x == "120" || x == "100"), "{t:?}");
}

#[test]
fn a_chart_by_param_is_drawn_only_for_phases_the_param_changes() {
    let p99_by = |r: &RunReport| charts::list(r).into_iter().filter(|c| c.file.starts_with("p99-by-")).map(|c| c.file).collect::<Vec<_>>();
    let mut r = report();
    // A run.json from before matrix_scope: every phase, as before.
    assert_eq!(p99_by(&r), ["p99-by-hot-serve.svg"]);
    r.matrix_scope = Some([("hot".to_string(), vec!["serve".to_string()])].into_iter().collect());
    assert_eq!(p99_by(&r), ["p99-by-hot-serve.svg"]);
    // `hot` changes another phase only (or only the checks): no flat chart for this one.
    r.matrix_scope = Some([("hot".to_string(), vec!["load".to_string()])].into_iter().collect());
    assert!(p99_by(&r).is_empty());
    let md = String::from_utf8(markdown::summary_md(&r)).unwrap();
    assert!(!md.contains("p99-by-hot"), "{md}");
}

/// Runs a noop scenario whose matrix reaches one phase (and the checks):
/// run.json records which, and only that phase gets a chart by the param.
#[test]
fn a_run_records_which_phases_each_matrix_param_changes() {
    use crate::common::{bin, run_dir, scenario};
    let tmp = tempfile::tempdir().unwrap();
    let text = r#"version: 1
name: scope
matrix:
  hot: [1.0, 0.5]
  limit: [100, 200]
backends:
  dry: { kind: noop }
dataset:
  entities:
    card: { keys: 1000, key: string }
  tables:
    - { name: "card_f{i}", entity: card, count: 2, features: 3 }
phases:
  - warmup: { requests: 50, keys: { distribution: hotspot, hot_keys: 0.1, hot_traffic: "${hot}" } }
  - run:
      name: swept
      requests: 200
      keys: { distribution: hotspot, hot_keys: 0.1, hot_traffic: "${hot}" }
      mix: [ { read_features: { entities: [card], fetch: packed } } ]
  - run:
      name: fixed
      requests: 200
      mix: [ { read_features: { entities: [card], fetch: serial } } ]
checks:
  - "p99_ms < ${limit}"
"#;
    let sc = scenario(tmp.path(), "scope", text);
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let dir = run_dir(&out, "scope");
    let r: RunReport = serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    let scope = r.matrix_scope.clone().unwrap();
    assert_eq!(scope.get("hot"), Some(&vec!["swept".to_string()]));
    assert_eq!(scope.get("limit"), Some(&vec![]), "a param of the checks only changes no phase");
    let mut svgs: Vec<String> =
        std::fs::read_dir(dir.join("charts")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    svgs.sort();
    assert!(svgs.contains(&"p99-by-hot-swept.svg".to_string()), "{svgs:?}");
    assert!(!svgs.iter().any(|f| f.starts_with("p99-by-limit") || f == "p99-by-hot-fixed.svg"), "{svgs:?}");
}

#[test]
fn the_hot_cold_charts_are_drawn_where_their_data_is() {
    let mut r = report();
    let hot_cold = |r: &RunReport| {
        charts::list(r)
            .into_iter()
            .map(|c| c.file)
            .filter(|f| f.contains("cache-score") || f.contains("cold") || f.contains("io-by"))
            .collect::<Vec<_>>()
    };
    assert!(hot_cold(&r).is_empty(), "no split, no blocks read: none of them");
    let split = |backend: &str, hot: u8, requests: u64| {
        json!({"backend": backend, "cell": "hot=1.0", "phase": "serve", "entities": 2, "hot_entities": hot,
            "cache_score": f64::from(hot) / 2.0, "requests": requests, "share": 0.3, "mean_ms": 1.0, "stddev_ms": 0.5,
            "cv": 0.5, "min_ms": 0.1, "p50_ms": 3.0 - f64::from(hot), "p90_ms": 4.0, "p95_ms": 5.0, "p99_ms": 9.0 - f64::from(hot),
            "p999_ms": 12.0, "max_ms": 20.0})
    };
    // beta's rows have too few requests for a P99: left off the charts.
    r.hot_split =
        serde_json::from_value(json!([split("alpha", 0, 500), split("alpha", 1, 900), split("alpha", 2, 400), split("beta & <co>", 0, 7)]))
            .unwrap();
    for (i, x) in r.rows.iter_mut().enumerate() {
        x.hot_key_share = Some(0.1 * i as f64);
        let c = x.cache.as_mut().unwrap();
        (c.read_per_request, c.read_p50, c.read_p99) = (Some(2.0 - 0.1 * i as f64), Some(1), Some(6 - i as u64));
    }
    assert_eq!(hot_cold(&r), ["latency-by-cache-score.svg", "latency-by-cold-entities.svg", "io-by-hot-key-share.svg"]);
    let f = chart_files(&r);
    let text_of = |name: &str| texts(&f.iter().find(|(n, _)| n == name).unwrap().1);
    for name in ["latency-by-cache-score.svg", "latency-by-cold-entities.svg"] {
        let t = text_of(name);
        assert!(t.contains(&"alpha p99".to_string()) && t.contains(&"alpha p50".to_string()), "{name}: {t:?}");
        assert!(!t.iter().any(|x| x.starts_with("beta")), "{name}: {t:?}");
        assert!(t.iter().any(|x| x == "response time (ms)"), "{name}: {t:?}");
    }
    let io = text_of("io-by-hot-key-share.svg");
    for label in ["alpha blocks read p99", "beta & <co> blocks read mean", "hot key share (keys drawn that were hot)"] {
        assert!(io.iter().any(|x| x == label), "no {label:?} in {io:?}");
    }
}

#[test]
fn the_entity_heatmap_colours_each_entity_and_cell_by_its_p99_band() {
    let mut r = report();
    // alpha: card slows from 1 ms to 5 ms over the cells; email stays at 1 ms.
    for (i, hot) in HOT.iter().enumerate() {
        for (entity, p99) in [("card", 1.0 + 4.0 * i as f64 / (HOT.len() - 1) as f64), ("email", 1.0)] {
            r.entities.push(
                serde_json::from_value(json!({"backend": "alpha", "cell": format!("hot={hot:?}"), "phase": "serve",
                "entity": entity, "requests": 100, "p50_ms": p99 / 2.0, "p99_ms": p99, "max_ms": p99 * 2.0}))
                .unwrap(),
            );
        }
    }
    let f = chart_files(&r);
    let (_, svg) = f.iter().find(|(n, _)| n == "entity-p99-alpha-serve.svg").expect("a heatmap for alpha serve");
    let t = texts(svg);
    for label in ["card", "email", "hot=1.0", "hot=0.0", "p99 1.00–1.80 ms", "p99 4.20–5.00 ms"] {
        assert!(t.iter().any(|x| x == label), "no {label:?} in {t:?}");
    }
    // One square per entity and cell.
    let doc = roxmltree::Document::parse(svg).unwrap();
    let squares = doc.descendants().filter(|n| n.has_tag_name("rect") && n.attribute("fill").is_some_and(|f| f != "#FFFFFF")).count();
    assert!(squares >= 2 * HOT.len(), "{squares} squares");
    assert!(!f.iter().any(|(n, _)| n.starts_with("entity-p99-beta")), "no entity figures of beta, no heatmap");
}
