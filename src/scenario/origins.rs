//! Where each param's value was written: under `params`, in a `matrix`
//! list, or in a `--set` argument. A problem with a field whose whole value
//! came from a param (`distribution: ${dist}`) is the value's problem, so it
//! is reported where the value was written (the matrix line, or the `--set`
//! argument), naming the field it was used in.

use super::diag::{Diagnostic, Diagnostics};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::HashMap;

/// Where one value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Origin {
    /// A path in the file: `params.hot`, `matrix.dist[1]`.
    At(String),
    /// A `--set K=V` argument, as given.
    Set(String),
}

#[derive(Debug, Default)]
pub(super) struct Origins {
    params: HashMap<String, Origin>,
    /// One origin per value of the list.
    matrix: HashMap<String, Vec<Origin>>,
}

impl Origins {
    pub(super) fn param(&mut self, name: &str) {
        self.params.insert(name.to_string(), Origin::At(format!("params.{name}")));
    }

    pub(super) fn matrix(&mut self, name: &str, values: usize) {
        self.matrix.insert(name.to_string(), (0..values).map(|i| Origin::At(format!("matrix.{name}[{i}]"))).collect());
    }

    /// `--set K=V` replaced the value of `name` (the matrix list, when `in_matrix`).
    pub(super) fn set(&mut self, name: &str, arg: &str, in_matrix: bool) {
        let o = Origin::Set(arg.to_string());
        if in_matrix {
            self.matrix.insert(name.to_string(), vec![o]);
        } else {
            self.params.insert(name.to_string(), o);
        }
    }

    /// Where the value `name` has in `cell` was written.
    fn of(&self, name: &str, cell: &IndexMap<String, Value>, matrix: &IndexMap<String, Vec<Value>>) -> Option<&Origin> {
        match (cell.get(name), matrix.get(name)) {
            (Some(v), Some(list)) => list.iter().position(|x| x == v).and_then(|i| self.matrix.get(name)?.get(i)),
            _ => self.params.get(name),
        }
    }

    /// `item`, moved to where the value it is about was written when it is
    /// about a field whose whole value is a param's (`used`: the cell's
    /// substitutions, (path, param)); else `item` as it is. Added to `d`.
    pub(super) fn add(
        &self,
        d: &mut Diagnostics,
        item: Diagnostic,
        used: &[(String, String)],
        cell: &IndexMap<String, Value>,
        matrix: &IndexMap<String, Vec<Value>>,
    ) {
        let under = |p: &str| item.path == p || item.path.strip_prefix(p).is_some_and(|r| r.starts_with(['.', '[']));
        let Some((p, name)) = used.iter().find(|(p, _)| under(p)) else {
            d.at_pos(item.line, item.col, item.path, item.message);
            return;
        };
        let message = format!("{} (as ${{{name}}} in {})", item.message, item.path);
        match self.of(name, cell, matrix) {
            Some(Origin::At(at)) => {
                // A value that is a mapping or a list: the part the problem is in.
                let at = format!("{at}{}", &item.path[p.len()..]);
                let (line, col) = d.locations.find(&at);
                d.at_pos(line, col, at, message);
            }
            Some(Origin::Set(arg)) => d.at_pos(1, 1, format!("--set {arg}"), message),
            None => d.at_pos(item.line, item.col, item.path, item.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_problem_with_a_params_value_moves_to_where_it_was_written() {
        let mut d = Diagnostics::new("f.yaml");
        d.locations.insert("matrix.dist[1]".into(), 3, 18);
        d.locations.insert("matrix.keys[0].theta".into(), 5, 30);
        d.locations.insert("phases[0].run.keys.distribution".into(), 20, 7);
        let mut o = Origins::default();
        o.matrix("dist", 2);
        o.matrix("keys", 1);
        o.param("workers");
        o.set("workers", "workers=0", false);
        let matrix: IndexMap<String, Vec<Value>> =
            [("dist".into(), vec![json!("uniform"), json!("zipfain")]), ("keys".into(), vec![json!({"theta": 2})])].into();
        let cell: IndexMap<String, Value> = [("dist".into(), json!("zipfain")), ("keys".into(), json!({"theta": 2}))].into();
        let used = vec![
            ("phases[0].run.keys.distribution".to_string(), "dist".to_string()),
            ("phases[1].run.keys".to_string(), "keys".to_string()),
            ("phases[0].run.workers".to_string(), "workers".to_string()),
        ];
        let item = |path: &str| Diagnostic { file: "f.yaml".into(), line: 20, col: 7, path: path.into(), message: "bad".into() };
        o.add(&mut d, item("phases[0].run.keys.distribution"), &used, &cell, &matrix);
        o.add(&mut d, item("phases[1].run.keys.theta"), &used, &cell, &matrix);
        o.add(&mut d, item("phases[0].run.workers"), &used, &cell, &matrix);
        // Not a substituted field (only a prefix of one in text): stays.
        o.add(&mut d, item("phases[0].run.keys.distribution_x"), &used, &cell, &matrix);
        let got: Vec<String> = d.items.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "f.yaml:3:18: matrix.dist[1]: bad (as ${dist} in phases[0].run.keys.distribution)",
                "f.yaml:5:30: matrix.keys[0].theta: bad (as ${keys} in phases[1].run.keys.theta)",
                "f.yaml:1:1: --set workers=0: bad (as ${workers} in phases[0].run.workers)",
                "f.yaml:20:7: phases[0].run.keys.distribution_x: bad",
            ]
        );
    }
}
