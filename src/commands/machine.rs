//! The machine a run ran on, for run.json's environment.

use std::collections::BTreeMap;

/// What identifies this machine, from /proc and /etc where they exist
/// (Linux): host name, CPU model, kernel release, memory.
pub(super) fn facts() -> BTreeMap<String, String> {
    let read = |p: &str| std::fs::read_to_string(p).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let mut m = BTreeMap::new();
    if let Some(h) = read("/proc/sys/kernel/hostname").or_else(|| read("/etc/hostname")) {
        m.insert("host".into(), h);
    }
    let cpu = read("/proc/cpuinfo")
        .and_then(|c| c.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim().to_string()));
    if let Some(c) = cpu {
        m.insert("cpu_model".into(), c);
    }
    if let Some(k) = read("/proc/sys/kernel/osrelease") {
        m.insert("kernel".into(), k);
    }
    let kib = read("/proc/meminfo").and_then(|c| {
        c.lines().find(|l| l.starts_with("MemTotal:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok())
    });
    if let Some(kib) = kib {
        m.insert("memory_gib".into(), format!("{:.1}", kib as f64 / 1_048_576.0));
    }
    m
}
