//! Located diagnostics: `file:line:column: field.path: message`.

use std::collections::HashMap;
use std::fmt;

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub col: usize,
    /// Field path such as `phases[1].run.keys.theta`; empty for the file as a whole.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.col)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Where each field path starts in the source (1-based line and column).
#[derive(Debug, Clone, Default)]
pub struct Locations {
    map: HashMap<String, (usize, usize)>,
}

impl Locations {
    pub fn insert(&mut self, path: String, line: usize, col: usize) {
        self.map.entry(path).or_insert((line, col));
    }

    /// The location of `path`, or of its nearest ancestor that has one.
    pub fn find(&self, path: &str) -> (usize, usize) {
        let mut p = path;
        loop {
            if let Some(&loc) = self.map.get(p) {
                return loc;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return self.map.get("").copied().unwrap_or((1, 1)),
            }
        }
    }
}

/// Collects diagnostics for one file; reports them in source order.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    pub file: String,
    pub locations: Locations,
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new(file: impl Into<String>) -> Self {
        Diagnostics { file: file.into(), locations: Locations::default(), items: Vec::new() }
    }

    /// Adds a problem at `path` (located through the source map).
    pub fn at(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let path = path.into();
        let (line, col) = self.locations.find(&path);
        self.at_pos(line, col, path, message);
    }

    /// Adds a problem at an explicit position.
    pub fn at_pos(&mut self, line: usize, col: usize, path: impl Into<String>, message: impl Into<String>) {
        let d = Diagnostic { file: self.file.clone(), line, col, path: path.into(), message: message.into() };
        if !self.items.contains(&d) {
            self.items.push(d);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sorted by position, stable for equal positions.
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by_key(|d| (d.line, d.col));
        self.items
    }
}
