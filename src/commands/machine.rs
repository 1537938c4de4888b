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

/// The system clock's state as the kernel keeps it (`adjtimex`, read only):
/// whether NTP keeps it synchronised, its offset and error estimates. None
/// where the system does not tell.
pub(super) fn clock() -> Option<crate::report::shards::ClockState> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: timex is plain data; modes = 0 makes adjtimex a read.
        let mut t: libc::timex = unsafe { std::mem::zeroed() };
        // SAFETY: a valid, writable timex.
        let state = unsafe { libc::adjtimex(&mut t) };
        if state < 0 {
            return None;
        }
        // The offset is in microseconds, or nanoseconds with STA_NANO.
        let unit = if t.status & libc::STA_NANO != 0 { 1e-6 } else { 1e-3 };
        Some(crate::report::shards::ClockState {
            synchronized: state != libc::TIME_ERROR && t.status & libc::STA_UNSYNC == 0,
            offset_ms: t.offset as f64 * unit,
            est_error_ms: t.esterror as f64 / 1e3,
            max_error_ms: t.maxerror as f64 / 1e3,
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}
