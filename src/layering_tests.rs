//! Keeps the data flowing one way: every `crate::` path in a module must
//! name a module its layer may use (the table in `lib.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module and the modules it may import. Kept in step with
/// the table in lib.rs's documentation and docs/development.md.
const ALLOWED: &[(&str, &[&str])] = &[
    // Leaves: they use no other module of the crate.
    ("clock", &[]),
    ("net", &[]),
    ("prices", &[]),
    ("secrets", &[]),
    // The flow: scenario -> dataset / workload / template -> backend -> exec -> stats -> report.
    ("scenario", &["prices", "net", "secrets"]),
    ("dataset", &["scenario"]),
    ("workload", &["scenario", "dataset"]),
    ("template", &["scenario", "dataset"]),
    ("stats", &["prices", "clock"]),
    ("backend", &["scenario", "dataset", "workload", "template", "stats", "prices", "net", "clock", "secrets"]),
    ("exec", &["scenario", "dataset", "workload", "template", "backend", "stats", "prices", "clock"]),
    ("report", &["scenario", "stats", "prices", "secrets"]),
    // The commands sit on top and may use everything.
    ("plan", &["scenario", "dataset", "workload", "template", "backend", "exec"]),
    ("error", &["scenario"]),
    ("cli", &[]),
    ("commands", &["*"]),
];

/// The crate's top-level modules a source text names through `crate::`.
fn imports(text: &str) -> BTreeSet<String> {
    let code: String = text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::b, c}`: the first segment of each item at depth 0.
            let (mut depth, mut item) = (0, String::new());
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(ch);
            }
            out.insert(first_segment(&item));
        } else {
            out.insert(first_segment(rest));
        }
    }
    out.remove("");
    out
}

fn first_segment(s: &str) -> String {
    s.trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn imports_follow_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap_or(f);
        let top = rel.iter().next().and_then(|s| s.to_str()).unwrap_or("").trim_end_matches(".rs").to_string();
        if matches!(top.as_str(), "lib" | "main" | "layering_tests" | "proptests") {
            continue;
        }
        seen.insert(top.clone());
        let Some(may) = allowed.get(top.as_str()) else {
            wrong.push(format!("{}: module `{top}` is not in the layer table", rel.display()));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for m in imports(&text) {
            if m != top && !may.contains(&m.as_str()) && !may.contains(&"*") {
                wrong.push(format!("{}: `{top}` may not use `crate::{m}`", rel.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
    assert!(seen.len() >= 14, "the scan found the modules: {seen:?}");
}

/// The table itself has no cycle: a module never (transitively) uses itself.
#[test]
fn the_layer_table_has_no_cycle() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    fn reaches(from: &str, to: &str, allowed: &BTreeMap<&str, &[&str]>, depth: usize) -> bool {
        depth < 32 && allowed.get(from).is_some_and(|m| m.iter().any(|n| *n == to || (*n != "*" && reaches(n, to, allowed, depth + 1))))
    }
    for (m, _) in ALLOWED {
        if *m != "commands" {
            assert!(!reaches(m, m, &allowed, 0), "{m} reaches itself");
        }
    }
}

#[test]
fn the_scanner_sees_grouped_and_inline_paths() {
    let t = "use crate::{backend::{self, Ctx}, stats::Usage};\nfn f() { crate::report::x(); } // crate::exec::y\n";
    assert_eq!(imports(t).into_iter().collect::<Vec<_>>(), ["backend", "report", "stats"]);
}
