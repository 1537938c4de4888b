//! The benchplan process's own resource use, read at phase boundaries
//! (never per request): CPU time, user + system, of all its threads
//! (`getrusage(RUSAGE_SELF)`), and its peak resident memory (`VmHWM` of
//! /proc/self/status, reset at the phase's start through
//! /proc/self/clear_refs so that it is the phase's own peak). Linux; on
//! other systems CPU comes from getrusage where it exists and the peak is
//! not known.

use serde::{Deserialize, Serialize};

/// What the client used during one phase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClientUsage {
    /// CPU seconds, user + system, all threads.
    pub cpu_s: f64,
    /// Peak resident memory in bytes, where the system tells it.
    pub peak_rss_bytes: Option<u64>,
    /// Whether the peak is the phase's own (reset at its start); false: the
    /// process's peak so far (the reset was refused).
    pub peak_is_phase: bool,
    /// The cores the process could use.
    pub cores: usize,
}

/// A reading at a phase's start.
#[derive(Debug, Clone, Copy)]
pub struct ClientMark {
    cpu_s: Option<f64>,
    peak_reset: bool,
}

impl ClientMark {
    /// Reads the CPU time so far and resets the peak-memory mark.
    pub fn now() -> Self {
        // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
        let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        ClientMark { cpu_s: cpu_seconds(), peak_reset }
    }

    /// What was used since this mark; None where CPU time cannot be read.
    pub fn since(&self) -> Option<ClientUsage> {
        let used = cpu_seconds()? - self.cpu_s?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Some(ClientUsage { cpu_s: used.max(0.0), peak_rss_bytes: peak_rss_bytes(), peak_is_phase: self.peak_reset, cores })
    }
}

/// CPU seconds (user + system) the process has used, all threads.
#[cfg(unix)]
fn cpu_seconds() -> Option<f64> {
    let mut u = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given,
    // which points at one; RUSAGE_SELF is valid on every unix.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, u.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: getrusage returned 0, so it initialised the struct.
    let u = unsafe { u.assume_init() };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some(secs(u.ru_utime) + secs(u.ru_stime))
}

#[cfg(not(unix))]
fn cpu_seconds() -> Option<f64> {
    None
}

/// The process's peak resident memory (VmHWM), in bytes.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_spent_in_a_busy_loop_is_counted_and_the_peak_is_read() {
        let mark = ClientMark::now();
        // A fixed amount of work (tens of milliseconds of CPU, however busy the machine is).
        let mut x = 0u64;
        for _ in 0..30_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let u = mark.since().unwrap_or_else(|| panic!("no CPU time on this system"));
        assert!(u.cpu_s > 0.01 && u.cpu_s < 30.0, "{u:?}");
        assert!(u.cores >= 1);
        if cfg!(target_os = "linux") {
            assert!(u.peak_rss_bytes.is_some_and(|b| b > 1_000_000), "{u:?}");
        }
    }
}
