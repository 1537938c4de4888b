//! The cost section of summary.md on a real run (SQLite priced inline as
//! a server): data size measured after the load, storage, monthly
//! projections at `cost.target_rps`, and the same bytes from `report`.

use crate::common::*;

const SCENARIO: &str = r#"version: 1
name: costs
seed: 5
backends:
  local:
    kind: sqlite
    pricing: { instance_hour: 2.0, storage_gb_month: 0.5 }
dataset:
  entities:
    card: { keys: 3000, key: string }
  tables:
    - { name: "card_f{i}", entity: card, count: 3, features: 5 }
setup:
  - create: {}
  - load: {}
phases:
  - run:
      name: serve
      requests: 3000
      workers: 2
      mix:
        - read_features: { entities: [card], fetch: packed }
cost:
  target_rps: 50000
"#;

/// The cells of the first Markdown table row starting with `start` after the line `section`.
fn cells<'a>(md: &'a str, section: &str, start: &str) -> Vec<&'a str> {
    let line = md
        .lines()
        .skip_while(|l| !l.starts_with(section))
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no row {start:?} after {section:?} in\n{md}"));
    line.trim_matches('|').split('|').map(str::trim).collect()
}

#[test]
fn cost_table_storage_and_projections_follow_the_measurements() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "costs", SCENARIO);
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let dir = run_dir(&out, "costs");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let serve = rows.iter().find(|r| r[col(&h, "phase")] == "serve").unwrap();
    let load = rows.iter().find(|r| r[col(&h, "phase")] == "setup:load").unwrap();

    // backend | data loading | queries | data size MiB | storage / month | total
    let c = cells(&md, "## Cost", "| local | ");
    let f = |i: usize| c[i].parse::<f64>().unwrap_or_else(|_| panic!("{c:?}"));
    assert_eq!(f(1), num(load, &h, "cost_usd"));
    assert_eq!(f(2), num(serve, &h, "cost_usd"));
    // 9,000 rows of 5 floats: SQLite's pages hold them in well under 10 MiB, but not nothing.
    let mib = f(3);
    assert!(mib > 0.2 && mib < 10.0, "{mib}");
    assert!((f(4) - mib / 1024.0 * 0.5).abs() < 1e-5, "storage = GiB x price: {c:?}");
    assert!((f(5) - (f(1) + f(2) + f(4))).abs() < 2e-6, "{c:?}");

    // At 50,000 req/s: as many servers as the measured throughput needs, each $2/h for 730 h.
    let c = cells(&md, "### At 50000 req/s", "| local | serve | - |");
    let rps = num(serve, &h, "throughput_rps");
    let servers = (50_000.0 / rps).ceil().max(1.0);
    assert_eq!(c[5].parse::<f64>().unwrap(), servers, "{c:?}");
    let monthly: f64 = c[6].parse().unwrap();
    let want = servers * 2.0 * 730.0 + mib / 1024.0 * 0.5;
    assert!((monthly - want).abs() < 0.01, "{monthly} vs {want}");
    assert!((c[7].parse::<f64>().unwrap() - monthly * 12.0).abs() < 0.1);
    assert!((c[8].parse::<f64>().unwrap() - monthly * 36.0).abs() < 0.3);
    // Requests per USD at the target: a month's requests over the monthly cost.
    let per_usd: f64 = c[4].parse().unwrap();
    let want = 50_000.0 * 3600.0 * 730.0 / monthly;
    assert!((per_usd / want - 1.0).abs() < 1e-4, "{per_usd} vs {want}: {c:?}");
    assert_eq!(c[3].parse::<f64>().unwrap(), num(serve, &h, "cost_per_million_usd"));

    // SQLite reports no capacity units: "-", not zeros that read as measured.
    let cap = cells(&md, "## Capacity and cost", "| local | serve | - |");
    assert_eq!(&cap[4..10], ["-"; 6], "{cap:?}");
    assert_eq!(cap[10].parse::<f64>().unwrap(), num(serve, &h, "cost_usd"));
    // Create and drop write no rows: no rate in the Setup table.
    assert!(
        md.contains("| local | create | 0 | ") && md.lines().any(|l| l.starts_with("| local | create | 0 |") && l.ends_with("| - |")),
        "{md}"
    );

    // costs.csv has the same figures, machine-readable, and summary.md names it.
    let (ch, crows) = read_csv(&dir.join("costs.csv"));
    assert_eq!(crows.len(), 1, "{crows:?}");
    let cr = &crows[0];
    assert_eq!((&cr[col(&ch, "backend")][..], &cr[col(&ch, "phase")][..]), ("local", "serve"));
    assert_eq!(num(cr, &ch, "cost_target_rps"), 50_000.0);
    assert_eq!(num(cr, &ch, "servers"), servers);
    assert_eq!(num(cr, &ch, "monthly_usd"), monthly);
    assert_eq!(num(cr, &ch, "one_year_usd"), c[7].parse::<f64>().unwrap());
    assert_eq!(num(cr, &ch, "three_year_usd"), c[8].parse::<f64>().unwrap());
    assert_eq!(num(cr, &ch, "requests_per_usd"), per_usd);
    assert!((num(cr, &ch, "storage_month_usd") - mib / 1024.0 * 0.5).abs() < 1e-5);
    assert_eq!(&cr[col(&ch, "storage_known")], "true");
    assert!(md.contains("`costs.csv`"), "{md}");

    // run.json keeps what the section needs: `report` rebuilds the same bytes.
    for file in ["summary.md", "costs.csv"] {
        let before = std::fs::read(dir.join(file)).unwrap();
        std::fs::remove_file(dir.join(file)).unwrap();
        bin().arg("report").arg(&dir).assert().success();
        assert_eq!(std::fs::read(dir.join(file)).unwrap(), before, "{file}");
    }
}

#[test]
fn a_preset_prices_its_server_and_inline_fields_override_it() {
    // Two SQLite backends priced as Aurora PostgreSQL: the preset's
    // db.r6g.large ($0.26/h, $0.10 per GB-month), and the same preset with
    // the instance price of a db.r6g.xlarge ($0.519/h) and its storage price kept.
    let yaml = SCENARIO
        .replace(
            "  local:\n    kind: sqlite\n    pricing: { instance_hour: 2.0, storage_gb_month: 0.5 }\n",
            "  aurora:\n    kind: sqlite\n    pricing: aurora_postgres\n  big:\n    kind: sqlite\n    pricing: { preset: aurora_postgres, instance_hour: 0.519 }\n",
        )
        .replace("target_rps: 50000", "target_rps: 20000");
    assert!(yaml.contains("preset: aurora_postgres"));
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "costs", &yaml);
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let dir = run_dir(&out, "costs");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    let (h, rows) = read_csv(&dir.join("results.csv"));

    assert!(
        md.contains("- Cost of `aurora`: instance hours: $0.26/h (one Aurora PostgreSQL db.r6g.large, us-east-1, preset `aurora_postgres`) x duration."),
        "{md}"
    );
    assert!(md.contains("- Cost of `big`: instance hours: $0.519/h x duration."), "{md}");
    assert!(!md.contains("no prices"), "{md}");

    for (name, hourly) in [("aurora", 0.26), ("big", 0.519)] {
        let serve = rows.iter().find(|r| r[col(&h, "phase")] == "serve" && r[col(&h, "backend")] == name).unwrap();
        let c = cells(&md, "## Cost", &format!("| {name} | "));
        let mib: f64 = c[3].parse().unwrap();
        let storage: f64 = c[4].parse().unwrap();
        assert!((storage - mib / 1024.0 * 0.10).abs() < 1e-5, "the preset's $0.10 per GB-month: {c:?}");
        // At 20,000 req/s: servers x the hourly price x 730 h + storage.
        let c = cells(&md, "### At 20000 req/s", &format!("| {name} | serve | - |"));
        let servers = (20_000.0 / num(serve, &h, "throughput_rps")).ceil().max(1.0);
        assert_eq!(c[5].parse::<f64>().unwrap(), servers, "{c:?}");
        let monthly: f64 = c[6].parse().unwrap();
        let want = servers * hourly * 730.0 + mib / 1024.0 * 0.10;
        assert!((monthly - want).abs() < 0.01, "{name}: {monthly} vs {want}");
    }
}
