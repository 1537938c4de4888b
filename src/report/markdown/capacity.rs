//! `## Capacity and cost`: the service's own units (DynamoDB read and write
//! units, Cosmos DB request units), retries, and cost, per load and per row.

use super::esc;
use crate::report::fmt::{f2, f4, f6};
use crate::report::model::{Capacity, RunReport};
use std::fmt::Write;

pub(super) fn capacity(r: &RunReport, s: &mut String) {
    let metered = r.rows.iter().any(|x| x.capacity.is_some() || x.cost_usd.is_some())
        || r.setup.iter().any(|x| x.capacity.is_some() || x.cost_usd.is_some());
    if !metered {
        return;
    }
    let _ = writeln!(s, "## Capacity and cost\n");
    let _ = writeln!(s, "Units are the service's own figures (DynamoDB `ConsumedCapacity` read and write units, Cosmos DB request units from `x-ms-request-charge`), summed over every request of the phase, failed ones included; a load's are per row written. Retries count every attempt after the first; throttled counts attempts the service throttled.\n");
    let units = Units::of(r);
    let _ = writeln!(s, "{}", units.header());
    for st in r.setup.iter().filter(|x| x.capacity.is_some() || x.cost_usd.is_some()) {
        let _ = writeln!(
            s,
            "| {} | setup:{} | - | {} | {} | {} | |",
            esc(&st.backend),
            st.step,
            st.rows,
            units.cells(&st.capacity, st.rows),
            money(st.cost_usd)
        );
    }
    for row in r.rows.iter().filter(|x| x.capacity.is_some() || x.cost_usd.is_some()) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            esc(&row.backend),
            esc(&row.phase),
            esc(&crate::scenario::cell_label(&row.cell)),
            row.requests,
            units.cells(&row.capacity, row.requests),
            money(row.cost_usd),
            money(row.cost_per_million_usd)
        );
    }
    s.push('\n');
}

/// Which unit columns the table has: read and write units (also when no
/// row has units of either kind), request units, or both.
struct Units {
    read_write: bool,
    request: bool,
}

impl Units {
    fn of(r: &RunReport) -> Self {
        let capacities = || r.rows.iter().filter_map(|x| x.capacity).chain(r.setup.iter().filter_map(|x| x.capacity));
        let has_ru = capacities().any(|c| c.request_units.is_some());
        let has_cu = capacities().any(|c| c.request_units.is_none());
        Units { read_write: has_cu || !has_ru, request: has_ru }
    }

    /// The header line and the rule under it.
    fn header(&self) -> String {
        let mut head = String::from("| backend | phase | cell | requests |");
        let mut rule = String::from("|---|---|---|---:|");
        if self.read_write {
            head.push_str(" read units | write units | read units / req | write units / req |");
            rule.push_str("---:|---:|---:|---:|");
        }
        if self.request {
            head.push_str(" request units | request units / req |");
            rule.push_str("---:|---:|");
        }
        head.push_str(" retries | throttled | cost USD | USD / million req |");
        rule.push_str("---:|---:|---:|---:|");
        format!("{head}\n{rule}")
    }

    /// The unit cells of one row of `n` requests (or rows): "-" where the
    /// row's kind has no such unit, and all of them for a kind that reports
    /// none (SQL servers).
    fn cells(&self, c: &Option<Capacity>, n: u64) -> String {
        let width = if self.read_write { 4 } else { 0 } + if self.request { 2 } else { 0 } + 2;
        let Some(c) = *c else { return vec!["-"; width].join(" | ") };
        let mut cells: Vec<String> = Vec::new();
        if self.read_write {
            match c.request_units {
                Some(_) => cells.extend(["-".to_string(), "-".into(), "-".into(), "-".into()]),
                None => cells.extend([f2(c.read_units), f2(c.write_units), per(c.read_units, n), per(c.write_units, n)]),
            }
        }
        if self.request {
            match c.request_units {
                Some(ru) => cells.extend([f2(ru), per(ru, n)]),
                None => cells.extend(["-".to_string(), "-".into()]),
            }
        }
        cells.extend([c.retries.to_string(), c.throttled.to_string()]);
        cells.join(" | ")
    }
}

/// Units per request, or nothing for no requests.
fn per(u: f64, n: u64) -> String {
    if n > 0 {
        f4(u / n as f64)
    } else {
        String::new()
    }
}

fn money(x: Option<f64>) -> String {
    x.map(f6).unwrap_or_else(|| "n/a".into())
}
