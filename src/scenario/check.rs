//! Check expressions: `METRIC OP NUMBER`.

use serde::{Deserialize, Serialize};

/// Metrics a check can name; each is a column of results.csv.
pub const METRICS: &[&str] = &[
    "p50_ms",
    "p90_ms",
    "p95_ms",
    "p99_ms",
    "p999_ms",
    "max_ms",
    "mean_ms",
    "stddev_ms",
    "cv",
    "throughput_rps",
    "error_rate",
    "cost_per_million_usd",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Ge => left >= right,
            Op::Eq => left == right,
            Op::Ne => left != right,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckExpr {
    pub metric: String,
    pub op: Op,
    pub value: f64,
}

impl std::fmt::Display for CheckExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.metric, self.op.as_str(), self.value)
    }
}

/// Parses `p99_ms < 120`; the error says what was expected.
pub fn parse(expr: &str) -> Result<CheckExpr, String> {
    let e = expr.trim();
    let metric_end = e.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(e.len());
    let metric = &e[..metric_end];
    let rest = e[metric_end..].trim_start();
    let op_end = rest.find(|c: char| !matches!(c, '<' | '>' | '=' | '!')).unwrap_or(rest.len());
    let (op_text, number) = (&rest[..op_end], rest[op_end..].trim());
    if metric.is_empty() || op_text.is_empty() {
        return Err(format!("expected `METRIC OP NUMBER` with OP one of < <= > >= == !=, found {expr:?}"));
    }
    let op = match op_text {
        "<" => Op::Lt,
        "<=" => Op::Le,
        ">" => Op::Gt,
        ">=" => Op::Ge,
        "==" => Op::Eq,
        "!=" => Op::Ne,
        other => return Err(format!("expected `METRIC OP NUMBER` with OP one of < <= > >= == !=, found operator `{other}` in {expr:?}")),
    };
    if !METRICS.contains(&metric) {
        return Err(format!(
            "unknown metric `{metric}`, expected one of {}{}",
            METRICS.join(", "),
            super::suggest::did_you_mean(metric, METRICS.iter().copied())
        ));
    }
    let value: f64 = number.parse().map_err(|_| format!("expected a number after `{op_text}`, found {number:?}"))?;
    if !value.is_finite() {
        return Err(format!("expected a finite number, found {number:?}"));
    }
    Ok(CheckExpr { metric: metric.to_string(), op, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let c = parse("p99_ms < 120").unwrap();
        assert_eq!((c.metric.as_str(), c.op, c.value), ("p99_ms", Op::Lt, 120.0));
        assert_eq!(parse("error_rate==0").unwrap().op, Op::Eq);
        assert_eq!(parse("cv <= 0.3").unwrap().op, Op::Le);
        assert!(parse("p98_ms < 1").unwrap_err().contains("unknown metric"));
        assert!(parse("p99_ms < fast").unwrap_err().contains("expected a number"));
        assert!(parse("p99_ms").unwrap_err().contains("METRIC OP NUMBER"));
        assert!(parse("p99_ms => 100").unwrap_err().contains("operator `=>`"));
        assert!(parse("p99_ms = 100").unwrap_err().contains("operator `=`"));
    }
}
