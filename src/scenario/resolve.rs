//! The steps of [`super::load_bytes`] after parsing, in order: the top-level
//! fields, `params`, `matrix`, `--set`, one typed and validated scenario per
//! matrix cell, and the display form.

use super::diag::{Diagnostic, Diagnostics};
use super::load::{join, kind_of};
use super::model::Scenario;
use super::origins::Origins;
use super::substitute::{EnvMode, Substituter, Used};
use super::suggest::{did_you_mean, name_list};
use super::typed::{typed, Failed};
use super::{is_ident, keys, validate, Cell, LoadError, LoadOptions};
use indexmap::IndexMap;
use serde_json::{Map, Value};

const TOP_FIELDS: &[&str] = &[
    "version",
    "name",
    "description",
    "seed",
    "params",
    "matrix",
    "backends",
    "dataset",
    "setup",
    "phases",
    "teardown",
    "checks",
    "cost",
    "templates",
];

/// One load in progress: what every step reads, and what they find.
pub(super) struct Loader<'a> {
    pub file: &'a str,
    pub opts: &'a LoadOptions,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Every problem so far.
    pub d: Diagnostics,
    /// Strings that came from the environment, in the order first read.
    pub secrets: Vec<String>,
    /// Where each param's value was written.
    pub origins: Origins,
}

impl Loader<'_> {
    /// Every problem so far, sorted by position: the load's error.
    pub fn fail(&mut self) -> LoadError {
        LoadError(std::mem::replace(&mut self.d, Diagnostics::new(self.file)).sorted())
    }

    /// Unknown top-level fields.
    pub fn top_fields(&mut self, top: &Map<String, Value>) {
        for key in top.keys() {
            if !TOP_FIELDS.contains(&key.as_str()) {
                let hint = did_you_mean(key, TOP_FIELDS.iter().copied());
                self.d.at(key.clone(), format!("unknown field `{key}`, expected one of {}{hint}", TOP_FIELDS.join(", ")));
            }
        }
    }

    /// `params`: env substitution only.
    pub fn params(&mut self, top: &Map<String, Value>) -> IndexMap<String, Value> {
        let no_params = IndexMap::new();
        let mut params: IndexMap<String, Value> = IndexMap::new();
        match top.get("params") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                let mut s = Substituter::new(&no_params, self.env, EnvMode::Resolve);
                for (k, v) in m {
                    let p = join("params", k);
                    if !is_ident(k) {
                        self.d.at(&p, format!("expected a param name of letters, digits and _, found {k:?}"));
                    }
                    if v.is_object() || v.is_null() {
                        self.d.at(&p, format!("expected a scalar or a list, found {}", kind_of(v)));
                    }
                    params.insert(k.clone(), s.value(v, &p));
                    self.origins.param(k);
                }
                self.report_subst(&mut s);
            }
            Some(other) => self.d.at("params", format!("expected a mapping of param names to values, found {}", kind_of(other))),
        }
        params
    }

    /// `matrix`: lists of values.
    pub fn matrix(&mut self, top: &Map<String, Value>) -> IndexMap<String, Vec<Value>> {
        let no_params = IndexMap::new();
        let mut matrix: IndexMap<String, Vec<Value>> = IndexMap::new();
        match top.get("matrix") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                let mut s = Substituter::new(&no_params, self.env, EnvMode::Resolve);
                for (k, v) in m {
                    let p = join("matrix", k);
                    match v {
                        Value::Array(items) if items.is_empty() => {
                            self.d.at(&p, "expected a non-empty list of values, found an empty list")
                        }
                        Value::Array(items) => {
                            let vals: Vec<Value> = items.iter().enumerate().map(|(i, x)| s.value(x, &format!("{p}[{i}]"))).collect();
                            self.origins.matrix(k, vals.len());
                            matrix.insert(k.clone(), vals);
                        }
                        other => self.d.at(&p, format!("expected a list of values to sweep, found {}", kind_of(other))),
                    }
                }
                self.report_subst(&mut s);
            }
            Some(other) => self.d.at("matrix", format!("expected a mapping of param names to lists, found {}", kind_of(other))),
        }
        matrix
    }

    /// `--set K=V`: a param's value, or a matrix param's only value.
    pub fn apply_sets(&mut self, params: &mut IndexMap<String, Value>, matrix: &mut IndexMap<String, Vec<Value>>) {
        for set in &self.opts.sets {
            let Some((k, v)) = set.split_once('=') else {
                self.d.at_pos(1, 1, "", format!("--set {set:?}: expected K=V"));
                continue;
            };
            let k = k.trim();
            let value = set_value(v);
            if let Some(m) = matrix.get_mut(k) {
                *m = vec![value];
                self.origins.set(k, set, true);
            } else if params.contains_key(k) {
                params.insert(k.to_string(), value);
                self.origins.set(k, set, false);
            } else {
                // A matrix param may be under `params` too: each name once.
                let known = || params.keys().chain(matrix.keys()).map(String::as_str);
                let hint = did_you_mean(k, known());
                self.d.at_pos(1, 1, "", format!("--set {k}=...: unknown param `{k}` (known: {}){hint}", name_list(known())));
            }
        }
    }

    /// One typed scenario per matrix cell, each validated, and the cells
    /// checked against each other; any problem is the load's error.
    pub fn cells(
        &mut self,
        top: &Map<String, Value>,
        params: &IndexMap<String, Value>,
        matrix: &IndexMap<String, Vec<Value>>,
    ) -> Result<Vec<Cell>, LoadError> {
        let all = cell_values(matrix);
        let mut cells = Vec::with_capacity(all.len());
        let mut uses = Vec::with_capacity(all.len());
        for values in all {
            if let Some((scenario, used)) = self.typed_cell(top, params, matrix, &values)? {
                cells.push(Cell { values, scenario });
                uses.push(used);
            }
        }
        for (cell, used) in cells.iter().zip(&uses) {
            let mut cd = Diagnostics::new(self.file);
            cd.locations = std::mem::take(&mut self.d.locations);
            validate::validate(&cell.scenario, self.opts.kind_checks, &mut cd);
            self.d.locations = cd.locations;
            self.add(cd.items, used, &cell.values, matrix);
        }
        if let Some(first) = cells.first() {
            for cell in &cells[1..] {
                validate::same_outside_phases(&first.scenario, &cell.scenario, &cell.values, &mut self.d);
            }
        }
        if !self.d.is_empty() || cells.is_empty() {
            return Err(self.fail());
        }
        Ok(cells)
    }

    /// Problems of one cell, each where the value it is about was written
    /// (`used`: the cell's whole-value substitutions).
    fn add(
        &mut self,
        items: Vec<Diagnostic>,
        used: &[(String, String)],
        cell: &IndexMap<String, Value>,
        matrix: &IndexMap<String, Vec<Value>>,
    ) {
        for item in items {
            self.origins.add(&mut self.d, item, used, cell, matrix);
        }
    }

    /// The scenario of one cell: its params substituted, then typed section
    /// by section, with the fields its params were used in. After any
    /// problem so far, the error.
    fn typed_cell(
        &mut self,
        top: &Map<String, Value>,
        params: &IndexMap<String, Value>,
        matrix: &IndexMap<String, Vec<Value>>,
        values: &IndexMap<String, Value>,
    ) -> Result<Option<(Scenario, Used)>, LoadError> {
        let mut cell_params = params.clone();
        for (k, v) in values {
            cell_params.insert(k.clone(), v.clone());
        }
        let mut s = Substituter::new(&cell_params, self.env, EnvMode::Resolve);
        let mut subst = Map::new();
        for (k, v) in top {
            if k != "params" && k != "matrix" {
                subst.insert(k.clone(), s.value(v, k));
            }
        }
        let subst_failed: Vec<String> = s.errors.iter().map(|(p, _)| p.clone()).collect();
        let used = std::mem::take(&mut s.used);
        self.report_subst(&mut s);
        let before = self.d.items.len();
        let mut td = Diagnostics::new(self.file);
        td.locations = std::mem::take(&mut self.d.locations);
        keys::spread(&mut subst, &used, &mut td);
        let (mut scenario, mut failed) = typed(&subst, params, matrix, &mut td);
        // Files of embeddings are relative to the scenario file.
        if let Some(sc) = scenario.as_mut() {
            let dir = std::path::Path::new(self.file).parent().unwrap_or(std::path::Path::new(""));
            for t in &mut sc.dataset.tables {
                if let crate::scenario::model::Features::List(list) = &mut t.features {
                    for src in list.iter_mut().filter_map(|f| f.source.as_mut()) {
                        src.file = dir.join(&src.file).display().to_string();
                    }
                }
            }
        }
        self.d.locations = std::mem::take(&mut td.locations);
        // A value whose substitution failed is wrong already; do not also say why it does not parse.
        let under = |path: &str, p: &str| path == p || path.starts_with(&format!("{p}.")) || path.starts_with(&format!("{p}["));
        let items: Vec<Diagnostic> = td.items.into_iter().filter(|item| !subst_failed.iter().any(|p| under(&item.path, p))).collect();
        self.add(items, &used, values, matrix);
        failed.prefixes.extend(subst_failed);
        if self.d.items.len() > before || !self.d.is_empty() {
            // Check the meaning of what did parse, without echoing the
            // consequences of what did not; then stop: the same mistakes
            // would repeat in every cell.
            if let Some(sc) = scenario {
                self.validate_parsed(&sc, &failed, &used, values, matrix);
            }
            return Err(self.fail());
        }
        Ok(scenario.map(|sc| (sc, used)))
    }

    /// Meaning checks of a scenario that did not wholly parse, less those
    /// that would only repeat a parse error.
    fn validate_parsed(
        &mut self,
        sc: &Scenario,
        failed: &Failed,
        used: &[(String, String)],
        cell: &IndexMap<String, Value>,
        matrix: &IndexMap<String, Vec<Value>>,
    ) {
        let mut sem = Diagnostics::new(self.file);
        sem.locations = std::mem::take(&mut self.d.locations);
        validate::validate(sc, self.opts.kind_checks, &mut sem);
        self.d.locations = std::mem::take(&mut sem.locations);
        let items: Vec<Diagnostic> = sem.items.into_iter().filter(|item| !failed.hides(&item.path, &item.message)).collect();
        self.add(items, used, cell, matrix);
    }

    /// The display form: first cell's params, env kept as written.
    pub fn display(&self, top: &Map<String, Value>, params: &IndexMap<String, Value>, cells: &[Cell]) -> Value {
        let mut display_params = params.clone();
        if let Some(c) = cells.first() {
            for (k, v) in &c.values {
                display_params.insert(k.clone(), v.clone());
            }
        }
        let mut s = Substituter::new(&display_params, self.env, EnvMode::Keep);
        let mut display = Map::new();
        for (k, v) in top {
            let v = if k == "params" || k == "matrix" { v.clone() } else { s.value(v, k) };
            display.insert(k.clone(), v);
        }
        if !display.contains_key("params") && !params.is_empty() {
            display.insert("params".into(), serde_json::to_value(params).unwrap_or(Value::Null));
        }
        Value::Object(display)
    }

    /// A substitution's problems, and the secrets it read (each once).
    fn report_subst(&mut self, s: &mut Substituter) {
        for (p, m) in s.errors.drain(..) {
            self.d.at(p, m);
        }
        for sec in s.secrets.drain(..) {
            if !self.secrets.contains(&sec) {
                self.secrets.push(sec);
            }
        }
    }
}

/// The matrix cells: the cartesian product, last param fastest.
fn cell_values(matrix: &IndexMap<String, Vec<Value>>) -> Vec<IndexMap<String, Value>> {
    let mut cells_values: Vec<IndexMap<String, Value>> = vec![IndexMap::new()];
    for (k, vals) in matrix {
        let mut next = Vec::with_capacity(cells_values.len() * vals.len());
        for c in &cells_values {
            for v in vals {
                let mut c2 = c.clone();
                c2.insert(k.clone(), v.clone());
                next.push(c2);
            }
        }
        cells_values = next;
    }
    cells_values
}

/// A `--set` value typed as YAML would type it: `0.5` is a number, `abc` a string.
fn set_value(text: &str) -> Value {
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(serde_yaml::Value::Bool(b)) => Value::Bool(b),
        Ok(serde_yaml::Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64().and_then(serde_json::Number::from_f64).map(Value::Number).unwrap_or_else(|| Value::String(text.to_string()))
            }
        }
        _ => Value::String(text.to_string()),
    }
}
