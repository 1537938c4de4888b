//! File -> untyped JSON tree plus a map from field path to source location.
//!
//! `serde_yaml` parses the document (it reports syntax errors with line and
//! column and refuses alias bombs); `yaml-rust2`'s event parser is used only
//! to learn where every field starts, so that later errors point at the line.

use super::diag::{Diagnostics, Locations};
use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 4 << 20;
/// Nodes after alias expansion; a larger tree is refused (alias bombs).
const MAX_NODES: usize = 200_000;
/// Nesting depth; deeper documents are refused.
const MAX_DEPTH: usize = 64;

/// Reads a scenario file or pipe, at most MAX_FILE_BYTES + 1 bytes (so that
/// `/dev/zero` or a huge file is refused without reading it all).
pub fn read_capped(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Parses `bytes` into a JSON tree; on failure fills `diags` and returns `None`.
pub fn parse(bytes: &[u8], diags: &mut Diagnostics) -> Option<Value> {
    if bytes.len() > MAX_FILE_BYTES {
        diags.at_pos(1, 1, "", format!("file is larger than {MAX_FILE_BYTES} bytes, the most a scenario may have"));
        return None;
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        diags.at_pos(1, 1, "", "expected UTF-8 text, found UTF-16 (a byte-order mark): save the file as UTF-8");
        return None;
    }
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        let (line, col) = line_col(bytes, at);
        diags.at_pos(line, col, "", "expected UTF-8 text, found a NUL byte (binary data, or UTF-16 text: save the file as UTF-8)");
        return None;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, col) = line_col(bytes, e.valid_up_to());
            diags.at_pos(line, col, "", "expected UTF-8 text, found an invalid byte sequence");
            return None;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let protected = protect(text);
    let text = protected.as_str();
    let doc: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let (mut line, mut col) = e.location().map(|l| (l.line(), l.column())).unwrap_or((1, 1));
            let msg = e.to_string();
            // serde_yaml appends " at line X column Y"; the prefix says it already.
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            let located = locate_protected(text);
            diags.locations = located.locs.clone();
            // serde_yaml puts a field path in front of some messages: `a.b: invalid type ...`.
            let (path, msg) = match msg.split_once(": ") {
                Some((p, m)) if !p.contains(' ') && !p.is_empty() => (p.to_string(), m.to_string()),
                _ => (String::new(), msg),
            };
            if msg.contains("recursion limit exceeded") && located.first_alias.is_none() {
                diags.at_pos(
                    line,
                    col,
                    path,
                    format!("the document nests too deeply (a scenario has at most {MAX_DEPTH} levels of mappings and lists)"),
                );
                return None;
            }
            if msg.contains("repetition limit exceeded") || msg.contains("recursion limit exceeded") {
                let (l, c) = located.first_alias.unwrap_or((line, col));
                diags.at_pos(
                    l,
                    c,
                    path,
                    "the document expands aliases too far (an alias bomb?); write the values out instead of nesting `*alias` references",
                );
                return None;
            }
            if msg.contains("duplicate entry with key") {
                if let Some((_, l, c)) = located.duplicates.first() {
                    (line, col) = (*l, *c);
                }
                diags.at_pos(line, col, path, format!("invalid YAML: {msg}"));
                return None;
            }
            if msg.contains("as u128") || msg.contains("as i128") {
                diags.at_pos(line, col, path, "expected a number of at most 18446744073709551615, found a larger integer");
                return None;
            }
            diags.at_pos(line, col, path, format!("invalid YAML: {msg}"));
            return None;
        }
    };
    diags.locations = locate_protected(text).locs;
    if doc.is_null() {
        diags.at_pos(1, 1, "", "the file is empty; expected a scenario mapping with version, name, backends, dataset and phases");
        return None;
    }
    let mut nodes = 0usize;
    let value = to_json(&doc, "", 0, &mut nodes, diags)?;
    if !value.is_object() {
        diags.at_pos(1, 1, "", format!("expected a mapping at the top level, found {}", kind_of(&value)));
        return None;
    }
    Some(value)
}

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// `${rows}` is not valid YAML in a flow mapping (`{ keys: ${rows} }`): the
/// braces end the mapping. The format's examples write it that way, so the
/// braces of every `${...}` are swapped for private-use characters before
/// parsing (one character for one, so lines and columns stay true) and
/// swapped back in every parsed string.
pub fn protect(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        match after.find(['}', '\n']) {
            Some(end) if after.as_bytes()[end] == b'}' => {
                out.push_str(&rest[..i]);
                out.push('$');
                out.push(OPEN);
                out.push_str(&after[..end]);
                out.push(CLOSE);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str(&rest[..i + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

pub fn unprotect(s: &str) -> String {
    if s.contains(OPEN) || s.contains(CLOSE) {
        s.replace(OPEN, "{").replace(CLOSE, "}")
    } else {
        s.to_string()
    }
}

fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn to_json(v: &serde_yaml::Value, path: &str, depth: usize, nodes: &mut usize, d: &mut Diagnostics) -> Option<Value> {
    *nodes += 1;
    if *nodes > MAX_NODES {
        d.at(path, format!("the document expands to more than {MAX_NODES} nodes (an alias bomb?)"));
        return None;
    }
    if depth > MAX_DEPTH {
        d.at(path, format!("nested deeper than {MAX_DEPTH} levels"));
        return None;
    }
    Some(match v {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(*b),
        serde_yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                match Number::from_f64(f) {
                    Some(num) if f.abs() < 1e300 => Value::Number(num),
                    _ => {
                        d.at(path, format!("expected a finite number, found {n}"));
                        return None;
                    }
                }
            }
        }
        serde_yaml::Value::String(s) => Value::String(unprotect(s)),
        serde_yaml::Value::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(to_json(item, &format!("{path}[{i}]"), depth + 1, nodes, d)?);
            }
            Value::Array(out)
        }
        serde_yaml::Value::Mapping(m) => {
            let mut out = Map::new();
            for (k, val) in m {
                let key = match k {
                    serde_yaml::Value::String(s) => unprotect(s),
                    serde_yaml::Value::Number(n) => n.to_string(),
                    serde_yaml::Value::Bool(b) => b.to_string(),
                    other => {
                        d.at(path, format!("expected string keys, found a {} key", yaml_kind(other)));
                        return None;
                    }
                };
                let child = join(path, &key);
                let jv = to_json(val, &child, depth + 1, nodes, d)?;
                out.insert(key, jv);
            }
            Value::Object(out)
        }
        serde_yaml::Value::Tagged(t) => {
            d.at(path, format!("YAML tags such as {} are not supported", t.tag));
            return None;
        }
    })
}

fn yaml_kind(v: &serde_yaml::Value) -> &'static str {
    match v {
        serde_yaml::Value::Sequence(_) => "list",
        serde_yaml::Value::Mapping(_) => "mapping",
        serde_yaml::Value::Null => "null",
        _ => "tagged",
    }
}

/// `a` + `b` -> `a.b` (or `b` at the root).
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

enum Frame {
    /// `pending`: a list item whose location is its first key (a block
    /// mapping's start event is marked after that key).
    Map {
        path: String,
        key: Option<String>,
        expecting_key: bool,
        pending: Option<String>,
        seen: Vec<String>,
    },
    Seq {
        path: String,
        index: usize,
    },
}

struct Locator {
    stack: Vec<Frame>,
    locs: Locations,
    done: bool,
    /// Keys that appear twice in one mapping: (key, line, col) of the second.
    duplicates: Vec<(String, usize, usize)>,
    first_alias: Option<(usize, usize)>,
    /// The text, to tell a flow mapping (`{` at its mark) from a block one.
    chars: Vec<char>,
}

impl Locator {
    /// Called when a node (scalar, alias, or the start of a container) begins.
    /// Returns the node's path, or None when the node is a mapping key.
    fn node(&mut self, scalar: Option<&str>, mark: Marker, map_start: bool) -> Option<String> {
        let (line, col) = (mark.line().max(1), mark.col() + 1);
        match self.stack.last_mut() {
            None => {
                self.locs.insert(String::new(), line, col);
                Some(String::new())
            }
            Some(Frame::Map { path, key, expecting_key, pending, seen }) => {
                if *expecting_key {
                    let k = scalar.unwrap_or("").to_string();
                    if let Some(item) = pending.take() {
                        self.locs.insert(item, line, col);
                    }
                    if seen.contains(&k) {
                        self.duplicates.push((k.clone(), line, col));
                    } else {
                        seen.push(k.clone());
                    }
                    self.locs.insert(join(path, &k), line, col);
                    *key = Some(k);
                    *expecting_key = false;
                    None
                } else {
                    Some(join(path, key.as_deref().unwrap_or("")))
                }
            }
            Some(Frame::Seq { path, index }) => {
                let p = format!("{path}[{index}]");
                if !map_start {
                    self.locs.insert(p.clone(), line, col);
                }
                Some(p)
            }
        }
    }

    /// Called when a value node has ended.
    fn advance(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { expecting_key, .. }) => *expecting_key = true,
            Some(Frame::Seq { index, .. }) => *index += 1,
            None => self.done = true,
        }
    }
}

impl MarkedEventReceiver for Locator {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.done {
            return;
        }
        match ev {
            Event::Scalar(v, ..) => {
                let key = unprotect(&v);
                if self.node(Some(&key), mark, false).is_some() {
                    self.advance();
                }
            }
            Event::Alias(_) => {
                self.first_alias.get_or_insert((mark.line().max(1), mark.col() + 1));
                let value = self.node(None, mark, false);
                if value.is_some() {
                    self.advance();
                }
            }
            Event::MappingStart(..) => {
                let in_seq = matches!(self.stack.last(), Some(Frame::Seq { .. }));
                let flow = self.chars.get(mark.index()) == Some(&'{');
                if let Some(path) = self.node(None, mark, !flow) {
                    let in_seq = in_seq && !flow;
                    let pending = in_seq.then(|| path.clone());
                    self.stack.push(Frame::Map { path, key: None, expecting_key: true, pending, seen: Vec::new() });
                }
            }
            Event::SequenceStart(..) => {
                if let Some(path) = self.node(None, mark, false) {
                    self.stack.push(Frame::Seq { path, index: 0 });
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.advance();
            }
            _ => {}
        }
    }
}

/// Builds the path -> location map. Mapping entries point at their key;
/// list items at the item. Complex keys are not tracked.
pub fn locate(text: &str) -> Locations {
    locate_protected(&protect(text)).locs
}

fn locate_protected(protected: &str) -> Locator {
    let mut loc = Locator {
        stack: Vec::new(),
        locs: Locations::default(),
        done: false,
        duplicates: Vec::new(),
        first_alias: None,
        chars: protected.chars().collect(),
    };
    let mut parser = Parser::new_from_str(protected);
    // A parse error here only means fewer locations; serde_yaml already accepted the text.
    let _ = parser.load(&mut loc, false);
    loc
}
