//! Check expressions: `METRIC OP NUMBER`, and relative checks that compare
//! with another backend, phase or matrix cell of the run, or with the
//! baseline run: `p99_ms < 0.8 * backend(ddb).p99_ms`.

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
    "rows_per_s",
    "error_rate",
    "cost_per_million_usd",
    "client_cpu_per_request_us",
    "client_cpu_share",
    "client_peak_rss_mb",
    "recall_at_k",
    "recall_at_k_p5",
    "redirections_moved",
    "redirections_ask",
    "server_memory_after_mb",
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

/// The other figure a relative check compares with: the same row (same
/// backend, phase, matrix cell and request) but for what the selectors
/// change, in this run or in the baseline run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Reference {
    /// `backend(NAME)`
    pub backend: Option<String>,
    /// `phase(NAME)`
    pub phase: Option<String>,
    /// `cell(param=value, ...)`: matrix values that differ.
    pub cell: Vec<(String, String)>,
    /// `baseline`: the row of the baseline run (`--baseline DIR`).
    pub baseline: bool,
    pub metric: String,
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.baseline {
            write!(f, "baseline.")?;
        }
        if let Some(b) = &self.backend {
            write!(f, "backend({b}).")?;
        }
        if let Some(p) = &self.phase {
            write!(f, "phase({p}).")?;
        }
        if !self.cell.is_empty() {
            let kv: Vec<String> = self.cell.iter().map(|(k, v)| format!("{k}={v}")).collect();
            write!(f, "cell({}).", kv.join(", "))?;
        }
        write!(f, "{}", self.metric)
    }
}

/// `METRIC OP NUMBER`, or a relative check `METRIC [* SCALE] OP [FACTOR *] REFERENCE.METRIC`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckExpr {
    pub metric: String,
    /// The left side is `metric * scale` (1 when not written).
    pub scale: f64,
    pub op: Op,
    /// The number on the right; for a relative check, the factor of the reference.
    pub value: f64,
    /// A relative check's other figure.
    pub reference: Option<Reference>,
}

impl CheckExpr {
    /// A plain `METRIC OP NUMBER` check (a threshold an SLA line can show).
    pub fn threshold(&self) -> Option<f64> {
        (self.reference.is_none() && self.scale == 1.0).then_some(self.value)
    }
}

impl std::fmt::Display for CheckExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.metric)?;
        if self.scale != 1.0 {
            write!(f, " * {}", self.scale)?;
        }
        write!(f, " {} ", self.op.as_str())?;
        match &self.reference {
            None => write!(f, "{}", self.value),
            Some(r) if self.value == 1.0 => write!(f, "{r}"),
            Some(r) => write!(f, "{} * {r}", self.value),
        }
    }
}

const SHAPE: &str = "expected `METRIC OP NUMBER` (p99_ms < 120) or `METRIC OP [FACTOR *] REFERENCE.METRIC` \
(p99_ms < 0.8 * backend(ddb).p99_ms; references: backend(NAME), phase(NAME), cell(PARAM=VALUE), baseline) \
with OP one of < <= > >= == !=";

/// A little reader of check expressions.
struct Reader<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Reader<'a> {
    fn skip_ws(&mut self) {
        while self.s[self.i..].starts_with(' ') {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.s[self.i..].starts_with(c) {
            self.i += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn word(&mut self) -> &'a str {
        self.skip_ws();
        let rest = &self.s[self.i..];
        let n = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).unwrap_or(rest.len());
        self.i += n;
        &rest[..n]
    }
    /// A number, if one starts here.
    fn number(&mut self) -> Option<Result<f64, String>> {
        self.skip_ws();
        let rest = &self.s[self.i..];
        if !rest.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.') {
            return None;
        }
        let n = rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))).unwrap_or(rest.len());
        self.i += n;
        let text = &rest[..n];
        Some(match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(format!("expected a finite number, found {text:?}")),
            Err(_) => Err(format!("expected a number, found {text:?}")),
        })
    }
    fn op(&mut self, expr: &str) -> Result<Op, String> {
        self.skip_ws();
        let rest = &self.s[self.i..];
        let n = rest.find(|c: char| !matches!(c, '<' | '>' | '=' | '!')).unwrap_or(rest.len());
        self.i += n;
        Ok(match &rest[..n] {
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "" => return Err(format!("{SHAPE}; found {expr:?}")),
            other => return Err(format!("{SHAPE}; found operator `{other}` in {expr:?}")),
        })
    }
    /// `NAME)` after `backend(`.
    fn call_arg(&mut self, what: &str) -> Result<String, String> {
        let name = self.word();
        if name.is_empty() || !self.eat(')') {
            return Err(format!("expected `{what}(NAME)`"));
        }
        Ok(name.to_string())
    }
    /// `k=v, k=v)` after `cell(`.
    fn cell_args(&mut self) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        loop {
            let k = self.word();
            self.skip_ws();
            let rest = &self.s[self.i..];
            let n = rest.find([',', ')']).unwrap_or(rest.len());
            let v = rest[..n].trim().strip_prefix('=').map(str::trim);
            self.i += n;
            match v {
                Some(v) if !k.is_empty() && !v.is_empty() => out.push((k.to_string(), v.to_string())),
                _ => return Err("expected `cell(PARAM=VALUE, ...)`".into()),
            }
            if self.eat(')') {
                return Ok(out);
            }
            if !self.eat(',') {
                return Err("expected `cell(PARAM=VALUE, ...)`".into());
            }
        }
    }
    /// A metric, or a reference ending in one.
    fn term(&mut self) -> Result<(Option<Reference>, String), String> {
        let mut r = Reference::default();
        let mut selectors = false;
        loop {
            let w = self.word();
            match w {
                "backend" | "phase" | "cell" if self.eat('(') => {
                    match w {
                        "backend" if r.backend.is_none() => r.backend = Some(self.call_arg("backend")?),
                        "phase" if r.phase.is_none() => r.phase = Some(self.call_arg("phase")?),
                        "cell" if r.cell.is_empty() => r.cell = self.cell_args()?,
                        _ => return Err(format!("`{w}(...)` is given twice")),
                    }
                    selectors = true;
                    if !self.eat('.') {
                        return Err(format!("expected `.METRIC` after `{w}(...)`"));
                    }
                }
                "baseline" if self.eat('.') => {
                    r.baseline = true;
                    selectors = true;
                }
                "" => return Err("expected a metric".into()),
                metric => {
                    check_metric(metric)?;
                    if !selectors {
                        return Ok((None, metric.to_string()));
                    }
                    r.metric = metric.to_string();
                    return Ok((Some(r), metric.to_string()));
                }
            }
        }
    }
}

fn check_metric(metric: &str) -> Result<(), String> {
    if METRICS.contains(&metric) {
        return Ok(());
    }
    Err(format!(
        "unknown metric `{metric}`, expected one of {}{}",
        METRICS.join(", "),
        super::suggest::did_you_mean(metric, METRICS.iter().copied())
    ))
}

/// Parses `p99_ms < 120` or `p99_ms < 0.8 * backend(ddb).p99_ms`; the error says what was expected.
pub fn parse(expr: &str) -> Result<CheckExpr, String> {
    let mut r = Reader { s: expr.trim(), i: 0 };
    // Left: [NUMBER *] METRIC [* NUMBER]
    let mut scale = 1.0;
    if let Some(n) = r.number() {
        scale *= n?;
        if !r.eat('*') {
            return Err(format!("{SHAPE}; found {expr:?}"));
        }
    }
    let metric = r.word();
    if metric.is_empty() {
        return Err(format!("{SHAPE}; found {expr:?}"));
    }
    check_metric(metric)?;
    if r.eat('*') {
        match r.number() {
            Some(n) => scale *= n?,
            None => return Err(format!("expected a number after `{metric} *`")),
        }
    }
    let op = r.op(expr)?;
    // Right: NUMBER | [NUMBER *] TERM [* NUMBER]
    let mut value = 1.0;
    let mut reference = None;
    match r.number() {
        Some(n) => {
            value = n.map_err(|e| format!("{e} after `{}`", op.as_str()))?;
            if r.eat('*') {
                let (rf, m) = r.term()?;
                reference = Some(rf.ok_or_else(|| {
                    format!(
                        "`{m}` on the right needs a reference: backend(NAME).{m}, phase(NAME).{m}, cell(PARAM=VALUE).{m} or baseline.{m}"
                    )
                })?);
            }
        }
        None => {
            let at = r.i;
            let w = r.word();
            if !matches!(w, "backend" | "phase" | "cell" | "baseline") && !METRICS.contains(&w) {
                let found = r.s[at..].trim();
                return Err(format!(
                    "expected a number (or FACTOR * REFERENCE.METRIC) after `{}`, found {found:?}{}",
                    op.as_str(),
                    if found.is_empty() { String::new() } else { format!(" in {expr:?}") }
                ));
            }
            r.i = at;
            let (rf, m) = r.term()?;
            reference = Some(rf.ok_or_else(|| {
                format!("`{m}` on the right needs a reference: backend(NAME).{m}, phase(NAME).{m}, cell(PARAM=VALUE).{m} or baseline.{m}")
            })?);
        }
    }
    if reference.is_some() && r.eat('*') {
        match r.number() {
            Some(n) => value *= n?,
            None => return Err("expected a number after `*`".into()),
        }
    }
    r.skip_ws();
    if r.i < r.s.len() {
        return Err(format!("{SHAPE}; unexpected `{}` in {expr:?}", &r.s[r.i..]));
    }
    if !value.is_finite() || !scale.is_finite() {
        return Err(format!("expected finite numbers in {expr:?}"));
    }
    Ok(CheckExpr { metric: metric.to_string(), scale, op, value, reference })
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

    #[test]
    fn relative_checks_parse_and_print_back() {
        let c = parse("p99_ms < 0.8 * backend(ddb).p99_ms").unwrap();
        let r = c.reference.clone().unwrap();
        assert_eq!((c.value, r.backend.as_deref(), r.metric.as_str()), (0.8, Some("ddb"), "p99_ms"));
        assert_eq!(c.to_string(), "p99_ms < 0.8 * backend(ddb).p99_ms");
        let c = parse("cost_per_million_usd * 100 < backend(ddb).cost_per_million_usd").unwrap();
        assert_eq!((c.scale, c.value), (100.0, 1.0));
        assert_eq!(c.to_string(), "cost_per_million_usd * 100 < backend(ddb).cost_per_million_usd");
        let c = parse("throughput_rps >= 30 * baseline.throughput_rps").unwrap();
        assert!(c.reference.as_ref().unwrap().baseline);
        let c = parse("mean_ms <= 1.2*phase(single).cell(workers=1, hot=0.5).mean_ms").unwrap();
        let r = c.reference.clone().unwrap();
        assert_eq!(r.phase.as_deref(), Some("single"));
        assert_eq!(r.cell, vec![("workers".to_string(), "1".to_string()), ("hot".to_string(), "0.5".to_string())]);
        assert_eq!(parse(&c.to_string()).unwrap(), c);
        assert_eq!(parse("p99_ms < 120").unwrap().threshold(), Some(120.0));
        assert_eq!(parse("p99_ms < backend(a).p99_ms").unwrap().threshold(), None);
        assert!(parse("p99_ms < 0.8 * p99_ms").unwrap_err().contains("needs a reference"));
        assert!(parse("p99_ms < backend(ddb)").unwrap_err().contains("expected `.METRIC`"));
        assert!(parse("p99_ms < backend(ddb).p98_ms").unwrap_err().contains("unknown metric"));
        assert!(parse("p99_ms < backend().p99_ms").unwrap_err().contains("backend(NAME)"));
        assert!(parse("p99_ms < cell(workers).p99_ms").unwrap_err().contains("PARAM=VALUE"));
        assert!(parse("p99_ms < 1 2").unwrap_err().contains("unexpected"));
    }
}
