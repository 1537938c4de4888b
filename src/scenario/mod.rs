//! Scenario files: load (YAML -> tree with locations), substitute, type,
//! validate. `load_file` is the one entry point; it returns every problem in
//! the file at once, or a [`Resolved`] scenario with one typed copy per
//! matrix cell.
//!
//! The steps, by file: `load` (bytes -> tree and source locations),
//! `resolve` (params, matrix, `--set`, cells, the display form; it runs the
//! others), `substitute` (`${...}`), `keys` (distributions with their
//! parameters), `typed` and `de` (tree -> [`model`] types, with located
//! errors), `validate` (meaning); `origins` moves a problem with a param's
//! value to where the value was written; `suggest` says "did you mean".

pub mod check;
mod de;
pub mod diag;
mod keys;
pub mod load;
pub mod model;
mod origins;
mod resolve;
pub mod schema;
pub mod starter;
pub mod substitute;
pub mod suggest;
mod typed;
pub mod validate;
pub mod vector_file;

use diag::{Diagnostic, Diagnostics};
use indexmap::IndexMap;
use model::Scenario;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A loaded, substituted, typed and validated scenario.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The file as given on the command line.
    pub file: String,
    /// The folder the file is in (templates overrides are relative to it).
    pub dir: PathBuf,
    pub sha256: String,
    /// Names of the matrix params, in file order.
    pub matrix_params: Vec<String>,
    /// One entry per matrix cell, in file order (the last param varies fastest).
    pub cells: Vec<Cell>,
    /// The scenario with params substituted (first cell) and `${env:...}` kept as written.
    pub display: Value,
    /// Strings that came from the environment: never printed.
    pub secrets: Vec<String>,
    /// Where each field path is in the file, for problems found later
    /// (templates that do not render).
    pub locations: diag::Locations,
}

#[derive(Debug, Clone)]
pub struct Cell {
    /// The matrix values of this cell, in matrix order.
    pub values: IndexMap<String, Value>,
    pub scenario: Scenario,
}

impl Resolved {
    /// Per matrix param, in matrix order, the run phases it *affects*: those
    /// whose definition (after `${...}` substitution, typed) differs between
    /// two cells that differ only in that param. Phases in file order, by
    /// their reported names. A param that reaches only other phases, a
    /// warmup, the checks or `cost` affects none of them; `templates`
    /// (rendered by every phase) affects all. The backends cannot differ
    /// between cells (refused at load); a dataset that does is set up per group of cells.
    pub fn matrix_scope(&self) -> IndexMap<String, Vec<String>> {
        let mut out = IndexMap::new();
        for m in &self.matrix_params {
            let phases = self.cells.first().map_or(0, |c| c.scenario.phases.len());
            let mut changed = vec![false; phases];
            // Each cell against the first cell with the same other values.
            let mut firsts: Vec<&Cell> = Vec::new();
            for c in &self.cells {
                let same_others = |f: &&Cell| f.values.iter().all(|(k, v)| k == m || c.values.get(k) == Some(v));
                let Some(f) = firsts.iter().find(|f| same_others(f)) else {
                    firsts.push(c);
                    continue;
                };
                let everywhere = f.scenario.templates != c.scenario.templates;
                for (i, (a, b)) in f.scenario.phases.iter().zip(&c.scenario.phases).enumerate() {
                    if !a.is_warmup() && (everywhere || serde_json::to_value(a).ok() != serde_json::to_value(b).ok()) {
                        changed[i] = true;
                    }
                }
            }
            let mut names: Vec<String> = Vec::new();
            for (i, _) in changed.iter().enumerate().filter(|(_, c)| **c) {
                for c in &self.cells {
                    let name = model::phase_name(&c.scenario.phases, i);
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
            }
            out.insert(m.clone(), names);
        }
        out
    }
}

impl Cell {
    /// `hot=0.8 workers=8`, or `-` for a scenario without a matrix.
    pub fn label(&self) -> String {
        cell_label(&self.values)
    }
}

pub fn cell_label(values: &IndexMap<String, Value>) -> String {
    if values.is_empty() {
        return "-".to_string();
    }
    values.iter().map(|(k, v)| format!("{k}={}", scalar_text(v))).collect::<Vec<_>>().join(" ")
}

/// A param value as plain text (strings without quotes).
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Resolved {
    pub fn first(&self) -> &Scenario {
        &self.cells[0].scenario
    }

    /// `file:line:column` of a field path (or of its nearest ancestor in the file).
    pub fn location(&self, path: &str) -> String {
        let (line, col) = self.locations.find(path);
        format!("{}:{line}:{col}", self.file)
    }
}

/// Errors from loading: every diagnostic in the file, sorted by position.
#[derive(Debug)]
pub struct LoadError(pub Vec<Diagnostic>);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// Options that come from the command line.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--set K=V`
    pub sets: Vec<String>,
    /// The backend kinds' own checks of their configs (the registry's
    /// `backend::registry::validate_config`); None checks only what the
    /// scenario knows.
    pub kind_checks: Option<validate::KindChecks>,
    /// An `${env:NAME}` that is not set reads as the text `env-NAME` instead
    /// of being an error (`benchplan k8s`: the values are the cluster's).
    pub env_placeholders: bool,
}
/// Reads, substitutes, types and validates a scenario file.
pub fn load_file(path: &Path, opts: &LoadOptions) -> Result<Resolved, LoadError> {
    let file = path.display().to_string();
    let bytes = load::read_capped(path).map_err(|e| {
        LoadError(vec![Diagnostic {
            file: file.clone(),
            line: 1,
            col: 1,
            path: String::new(),
            message: format!("cannot read the file: {e}"),
        }])
    })?;
    let env = |name: &str| std::env::var(name).ok().or_else(|| opts.env_placeholders.then(|| format!("env-{name}")));
    load_bytes(&file, &bytes, opts, &env)
}

/// Like [`load_file`], from bytes and with an explicit environment.
pub fn load_bytes(file: &str, bytes: &[u8], opts: &LoadOptions, env: &dyn Fn(&str) -> Option<String>) -> Result<Resolved, LoadError> {
    let mut d = Diagnostics::new(file);
    let Some(raw) = load::parse(bytes, &mut d) else {
        return Err(LoadError(d.sorted()));
    };
    let Value::Object(top) = &raw else {
        return Err(LoadError(d.sorted()));
    };
    let mut l = resolve::Loader { file, opts, env, d, secrets: Vec::new(), origins: Default::default() };
    l.top_fields(top);
    let mut params = l.params(top);
    let mut matrix = l.matrix(top);
    l.apply_sets(&mut params, &mut matrix);
    let cells = l.cells(top, &params, &matrix)?;
    let display = l.display(top, &params, &cells);
    let path = Path::new(file);
    Ok(Resolved {
        file: file.to_string(),
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        sha256: hex(&Sha256::digest(bytes)),
        matrix_params: matrix.keys().cloned().collect(),
        cells,
        display,
        secrets: l.secrets,
        locations: l.d.locations,
    })
}

pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
