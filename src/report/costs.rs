//! The cost section of summary.md: what the run cost per backend (data
//! loading, queries, storage), and projections at `cost.target_rps`:
//! monthly cost, one- and three-year totals, requests per dollar, and where
//! two backends cost the same. Everything comes from run.json, so
//! `benchplan report` rebuilds it byte for byte.

use super::fmt::{f2, f6};
use super::markdown::esc;
use super::model::{BackendStatus, PriceFacts, ResultRow, RunReport};
use crate::scenario::cell_label;
use std::fmt::Write as _;

/// Hours in a month, as AWS and Azure price them (8,760 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A row's cost model at a steady rate: USD per request beyond the fixed
/// hourly price, the fixed monthly price of one server (or of the
/// provisioned capacity), and the storage per month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    pub per_request: f64,
    pub fixed_month: f64,
    pub storage_month: f64,
    /// The kind scales by servers: `fixed_month` is per server of `capacity_rps`.
    pub per_server: bool,
    pub capacity_rps: f64,
    /// Whether the data size was measured (else storage is left out).
    pub storage_known: bool,
}

impl Projection {
    /// `capacity_rps`: what one server did at most (see [`capacity`]).
    pub fn of(row: &ResultRow, prices: &PriceFacts, data_bytes: Option<u64>, capacity_rps: f64) -> Option<Projection> {
        let cost = row.cost_usd?;
        if row.requests == 0 {
            return None;
        }
        let fixed_run = prices.per_hour * row.duration_s / 3600.0;
        Some(Projection {
            per_request: ((cost - fixed_run) / row.requests as f64).max(0.0),
            fixed_month: prices.per_hour * HOURS_PER_MONTH,
            storage_month: data_bytes.map_or(0.0, |b| b as f64 / GIB * prices.storage_gb_month),
            per_server: prices.per_server,
            capacity_rps,
            storage_known: data_bytes.is_some() || prices.storage_gb_month == 0.0,
        })
    }

    /// Servers needed for `rps` (1 where the kind does not scale by servers).
    pub fn servers(&self, rps: f64) -> f64 {
        if self.per_server && self.capacity_rps > 0.0 {
            (rps / self.capacity_rps).ceil().max(1.0)
        } else {
            1.0
        }
    }

    /// USD per month at a steady `rps`.
    pub fn monthly(&self, rps: f64) -> f64 {
        self.per_request * rps * HOURS_PER_MONTH * 3600.0 + self.fixed_month * self.servers(rps) + self.storage_month
    }

    /// The figures at a steady `rps`, as the report shows them.
    pub fn at(&self, rps: f64) -> AtRate {
        let monthly = self.monthly(rps);
        let requests = rps * HOURS_PER_MONTH * 3600.0;
        AtRate {
            servers: self.per_server.then(|| self.servers(rps)),
            monthly,
            requests_per_usd: (monthly > 0.0).then(|| requests / monthly),
            // Provisioned capacity (a fixed hourly price that is not a
            // server's) that served less than the target: understated.
            short: !self.per_server && self.fixed_month > 0.0 && rps > self.capacity_rps,
        }
    }
}

/// A row's projection at the target rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AtRate {
    /// Servers needed, for the kinds priced per server.
    pub servers: Option<f64>,
    pub monthly: f64,
    /// Requests a month at the rate / the monthly cost.
    pub requests_per_usd: Option<f64>,
    /// Provisioned capacity that served less than the rate in this run.
    pub short: bool,
}

/// The steady rate at which two backends cost the same per month, if there
/// is one within one server's capacity on either side (beyond it the
/// server count steps, and the comparison is the table's): where one's
/// lower fixed price stops making up for its higher price per request.
/// When a side's storage is unknown, storage is left out on both sides and
/// the second value says so.
pub fn break_even(a: &Projection, b: &Projection) -> Option<(f64, bool)> {
    let storage = a.storage_known && b.storage_known;
    let fixed = |p: &Projection| p.fixed_month + if storage { p.storage_month } else { 0.0 };
    let dv = (a.per_request - b.per_request) * HOURS_PER_MONTH * 3600.0;
    let rps = (fixed(b) - fixed(a)) / dv;
    let within = |p: &Projection| !p.per_server || rps <= p.capacity_rps;
    (dv != 0.0 && rps.is_finite() && rps > 0.0 && within(a) && within(b)).then_some((rps, !storage))
}

/// What one server of `backend` did in `cell`: its best closed-loop
/// throughput (an open-loop row only did the rate it was given); the row's
/// own throughput when there is no closed-loop row.
pub fn capacity(r: &RunReport, row: &ResultRow) -> f64 {
    r.rows
        .iter()
        .filter(|x| x.backend == row.backend && x.cell == row.cell && x.target_rps.is_none())
        .map(|x| x.throughput_rps)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
        .unwrap_or(row.throughput_rps)
}

/// A rate as the heading shows it: whole numbers without decimals.
fn rate(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        f2(v)
    }
}

/// costs.csv: each priced row's projection at `cost.target_rps` (the
/// numbers of summary.md's "At N req/s" table); None without a target or
/// priced rows.
pub fn costs_csv(r: &RunReport) -> Option<Vec<u8>> {
    let (target, projected) = projections(r)?;
    if projected.is_empty() {
        return None;
    }
    let mut header: Vec<String> = super::csv::LEAD.iter().map(|s| s.to_string()).collect();
    header.extend(r.matrix_params.iter().cloned());
    header.extend(
        [
            "cost_target_rps",
            "cost_per_million_usd",
            "requests_per_usd",
            "servers",
            "monthly_usd",
            "one_year_usd",
            "three_year_usd",
            "storage_month_usd",
            "storage_known",
            "capacity_short",
        ]
        .map(String::from),
    );
    let rows = projected.iter().map(|(row, p)| {
        let at = p.at(target);
        let mut v = vec![r.run_id.clone(), r.scenario.clone(), row.backend.clone(), row.kind.clone(), row.phase.clone()];
        v.extend(r.matrix_params.iter().map(|m| row.cell.get(m).map(crate::scenario::scalar_text).unwrap_or_default()));
        v.extend([
            f2(target),
            super::fmt::opt(row.cost_per_million_usd, f6),
            super::fmt::opt(at.requests_per_usd, |n| format!("{n:.0}")),
            super::fmt::opt(at.servers, |n| format!("{n:.0}")),
            f2(at.monthly),
            f2(at.monthly * 12.0),
            f2(at.monthly * 36.0),
            if p.storage_known { f6(p.storage_month) } else { String::new() },
            p.storage_known.to_string(),
            at.short.to_string(),
        ]);
        v
    });
    Some(super::csv::write(header, rows))
}

fn target_rps(r: &RunReport) -> Option<f64> {
    r.resolved_scenario.get("cost")?.get("target_rps")?.as_f64().filter(|v| *v > 0.0)
}

/// `cost.target_rps` and every priced row's projection, in report order;
/// None without a target.
pub fn projections(r: &RunReport) -> Option<(f64, Vec<(&ResultRow, Projection)>)> {
    let target = target_rps(r)?;
    let mut projected = Vec::new();
    for row in &r.rows {
        let Some(b) = r.backends.iter().find(|b| b.name == row.backend) else { continue };
        if let Some(p) = b.prices.as_ref().and_then(|p| Projection::of(row, p, b.data_bytes, capacity(r, row))) {
            projected.push((row, p));
        }
    }
    Some((target, projected))
}

/// The "## Cost" section, or nothing when no backend has prices.
pub fn section(r: &RunReport) -> String {
    let priced: Vec<_> = r.backends.iter().filter(|b| b.prices.is_some()).collect();
    if priced.is_empty() {
        return String::new();
    }
    let mut s = String::from("## Cost\n\n");
    totals(r, &priced, &mut s);
    let Some((target, projected)) = projections(r) else {
        let _ = writeln!(
            s,
            "Set `cost: {{ target_rps: N }}` in the scenario for monthly cost, one- and three-year totals and break-even rates.\n"
        );
        return s;
    };
    if projected.is_empty() {
        return s;
    }
    at_target(target, &projected, &mut s);
    let lines = break_evens(&projected);
    if !lines.is_empty() {
        let _ = writeln!(s, "Break-even:\n\n{}\n", lines.join("\n"));
    }
    s
}

/// What the run cost per priced backend: data loading, queries, storage.
fn totals(r: &RunReport, priced: &[&BackendStatus], s: &mut String) {
    let _ = writeln!(
        s,
        "USD. Data loading is the load step's cost; queries add up every measured phase (warmups excluded); storage is one month of the data size measured after the load (tables and indexes) at the backend's `storage_gb_month` (GiB); total = data loading + queries + one month of storage.\n"
    );
    let _ = writeln!(s, "| backend | data loading | queries | data size MiB | storage / month | total |\n|---|---:|---:|---:|---:|---:|");
    for b in priced {
        let p = b.prices.unwrap_or_default();
        let load: f64 = r.setup.iter().filter(|x| x.backend == b.name).filter_map(|x| x.cost_usd).sum();
        let queries: f64 = r.rows.iter().filter(|x| x.backend == b.name).filter_map(|x| x.cost_usd).sum();
        let storage = b.data_bytes.map(|d| d as f64 / GIB * p.storage_gb_month);
        // A total without its storage is marked, as in the projections.
        let star = if storage.is_none() && p.storage_gb_month > 0.0 { "*" } else { "" };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {}{star} |",
            esc(&b.name),
            f6(load),
            f6(queries),
            b.data_bytes.map(|d| f2(d as f64 / 1024.0 / 1024.0)).unwrap_or_else(|| "n/a".into()),
            storage.map(f6).unwrap_or_else(|| "n/a".into()),
            f6(load + queries + storage.unwrap_or(0.0))
        );
    }
    s.push('\n');
    if priced.iter().any(|b| b.data_bytes.is_none() && b.prices.is_some_and(|p| p.storage_gb_month > 0.0)) {
        let _ = writeln!(s, "`*`: the data size is unknown (the service did not report it), so the total leaves storage out.\n");
    }
}

/// The "At N req/s" table: each priced row's cost held at the target rate.
fn at_target(target: f64, projected: &[(&ResultRow, Projection)], s: &mut String) {
    let _ = writeln!(
        s,
        "### At {} req/s\n\nEach row's measured cost per request, held at `cost.target_rps` around the clock ({HOURS_PER_MONTH} h a month): requests x the row's USD per request beyond the hourly price, plus the hourly price x {HOURS_PER_MONTH} h (for servers, as many as the target needs at the backend's best closed-loop throughput in that cell), plus storage (`*`: data size unknown, storage left out; `†`: provisioned capacity that served less than the target in this run, so the target needs more of it than is priced here). Requests per USD are a month's requests at the target over the monthly cost. USD / million req is the measured run's. 1 year = 12 months, 3 years = 36. The same figures are in costs.csv.\n",
        rate(target)
    );
    let _ = writeln!(
        s,
        "| backend | phase | cell | USD / million req | requests per USD | servers | monthly | 1 year | 3 years |\n|---|---|---|---:|---:|---:|---:|---:|---:|"
    );
    for (row, p) in projected {
        let at = p.at(target);
        let monthly = at.monthly;
        let star = format!("{}{}", if p.storage_known { "" } else { "*" }, if at.short { "†" } else { "" });
        let per_usd = at.requests_per_usd.map(|n| format!("{n:.0}")).unwrap_or_else(|| "n/a".into());
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {}{star} | {}{star} | {}{star} |",
            esc(&row.backend),
            esc(&row.phase),
            esc(&cell_label(&row.cell)),
            row.cost_per_million_usd.map(f6).unwrap_or_else(|| "n/a".into()),
            per_usd,
            at.servers.map(|n| format!("{n:.0}")).unwrap_or_else(|| "-".into()),
            f2(monthly),
            f2(monthly * 12.0),
            f2(monthly * 36.0)
        );
    }
    s.push('\n');
}

/// Break-even: pairs of backends measured in the same phase and cell.
fn break_evens(projected: &[(&ResultRow, Projection)]) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, (a, pa)) in projected.iter().enumerate() {
        for (b, pb) in projected.iter().skip(i + 1) {
            if a.backend == b.backend || a.phase != b.phase || a.cell != b.cell {
                continue;
            }
            let Some((rps, no_storage)) = break_even(pa, pb) else { continue };
            let a_first = pa.per_request > pb.per_request;
            let (cheap_low, cheap_high) = if a_first { (&a.backend, &b.backend) } else { (&b.backend, &a.backend) };
            lines.push(format!(
                "- {} [{}]: `{}` and `{}` cost the same at {} req/s (within one server's capacity{}); below it `{cheap_low}` is cheaper, above it `{cheap_high}`.",
                a.phase,
                cell_label(&a.cell),
                a.backend,
                b.backend,
                f2(rps),
                if no_storage { ", storage left out: a data size is unknown" } else { "" }
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(phase: &str, rps: f64, target: Option<f64>) -> serde_json::Value {
        serde_json::json!({
            "backend": "pg", "kind": "postgres", "phase": phase, "cell": { "hot": 0.5 }, "workers": 4,
            "requests": 1000, "errors": 0, "error_rate": 0.0, "duration_s": 1.0, "throughput_rps": rps,
            "count": 1000, "mean_ms": 1.0, "stddev_ms": 0.0, "cv": 0.0, "min_ms": 1.0, "p50_ms": 1.0, "p90_ms": 1.0,
            "p95_ms": 1.0, "p99_ms": 1.0, "p999_ms": 1.0, "max_ms": 1.0, "cost_usd": 0.001, "cost_per_million_usd": 1.0,
            "target_rps": target, "service_p50_ms": null, "service_p99_ms": null, "late_requests": null, "rows_per_request": 1.0
        })
    }

    #[test]
    fn one_server_does_what_the_best_closed_loop_row_did() {
        let r: RunReport = serde_json::from_value(serde_json::json!({
            "format": 1, "run_id": "r", "tool": "t", "scenario": "s", "scenario_file": "f", "scenario_sha256": "ab",
            "command": "c", "started_utc": "", "finished_utc": "",
            "environment": { "os": "", "arch": "", "cpus": 1, "tool_version": "" },
            "matrix_params": ["hot"], "backends": [], "setup": [], "breakdown": [], "timeseries": [],
            "errors": [], "checks": [], "histograms": [], "warnings": [], "interrupted": false, "resolved_scenario": {},
            "rows": [row("paced", 100.0, Some(100.0)), row("closed", 5000.0, None), row("closed2", 3000.0, None)]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        // An open-loop row did the rate it was given, not what a server can do.
        assert_eq!(capacity(&r, &r.rows[0]), 5000.0);
        assert_eq!(capacity(&r, &r.rows[2]), 5000.0);
    }

    #[test]
    fn projections_scale_units_by_rate_and_servers_by_capacity() {
        // A server at $1/h that did 1,000 req/s, and per-request units at $0.25 per million.
        let server = Projection {
            per_request: 0.0,
            fixed_month: 730.0,
            storage_month: 2.0,
            per_server: true,
            capacity_rps: 1000.0,
            storage_known: true,
        };
        assert_eq!(server.servers(2500.0), 3.0);
        assert!((server.monthly(2500.0) - (3.0 * 730.0 + 2.0)).abs() < 1e-9);
        let units = Projection {
            per_request: 0.25e-6,
            fixed_month: 0.0,
            storage_month: 2.0,
            per_server: false,
            capacity_rps: 1.0,
            storage_known: true,
        };
        // 100 req/s for a month: 262.8 M requests x $0.25 per million.
        assert!((units.monthly(100.0) - (262.8 * 0.25 + 2.0)).abs() < 1e-9);
        // The same monthly cost at the break-even rate (one server).
        let one = Projection { capacity_rps: f64::INFINITY, ..server };
        let (rps, no_storage) = break_even(&one, &units).unwrap_or((f64::NAN, true));
        assert!(!no_storage);
        assert!((one.monthly(rps) - units.monthly(rps)).abs() < 1e-6, "{rps}");
        assert!((rps - 730.0 / (0.25e-6 * 730.0 * 3600.0)).abs() < 1e-6, "{rps}");
        // Cheaper both per request and fixed: never the same.
        let cheaper = Projection { per_request: 0.1e-6, fixed_month: 0.0, ..units };
        assert_eq!(break_even(&cheaper, &units), None);
        // Beyond one server's capacity the count steps: no single break-even line.
        let small = Projection { capacity_rps: rps / 2.0, ..server };
        assert_eq!(break_even(&small, &units), None);
        // Unknown storage on a side: compared without storage on either side, and said so.
        // (The server side's storage differs, so leaving it out moves the rate.)
        let unknown = Projection { storage_known: false, ..units };
        let stored = Projection { storage_month: 100.0, ..one };
        let (rps, no_storage) = break_even(&stored, &unknown).unwrap_or((f64::NAN, false));
        assert!(no_storage);
        assert!((rps - 730.0 / (0.25e-6 * 730.0 * 3600.0)).abs() < 1e-6, "{rps}");
    }
}
