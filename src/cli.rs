//! The command line. Doc comments are the help text.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Declarative, reproducible database benchmarks for real-time feature serving.
///
/// Exit status: 0 ok; 1 a check failed, or a regression (compare,
/// run --baseline); 2 bad scenario or arguments; 3 a backend failed (after writing what was measured);
/// 4 the report could not be written (after printing the result lines);
/// 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP (after writing what was measured; a second signal exits at once).
#[derive(Debug, Parser)]
#[command(name = "benchplan", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write its report to results/<name>/<UTC time>/.
    Run(RunArgs),
    /// Run the scenario's setup steps (create, load, index) on every backend, and record them in a run folder.
    ///
    /// The first step of a sharded run: the shards (`run --shard`) never set up.
    /// Takes the options of `run` (not --shard, --start-at, --baseline).
    Setup(RunArgs),
    /// Run the scenario's teardown steps (drop) on every backend, and record them in a run folder.
    ///
    /// The last step of a sharded run: the shards never tear down.
    /// Takes the options of `run` (not --shard, --start-at, --baseline).
    Teardown(RunArgs),
    /// Merge shard runs (`run --shard I/N`) into one run folder: histograms
    /// added exactly, counters summed, per-second series aligned on the wall clock.
    ///
    /// Refuses (exit 2) shards of different scenarios, tool versions or
    /// params, a shard given twice, and a missing shard unless --allow-missing.
    /// Exit status otherwise as `run`'s: 1 a check failed, 3 a backend failed in some shard.
    Merge(MergeArgs),
    /// Check scenario files against the schema and for meaning; opens no connection.
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        sets: SetArgs,
    },
    /// Print the tables, matrix cells, steps, each phase's keys and mix, and every rendered statement.
    Plan {
        file: PathBuf,
        /// Only these backends (by name; repeatable).
        #[arg(long = "backend", value_name = "NAME")]
        backends: Vec<String>,
        /// Also write the DDL and statements to files under DIR/<backend>/.
        #[arg(long, value_name = "DIR")]
        emit: Option<PathBuf>,
        #[command(flatten)]
        sets: SetArgs,
    },
    /// Print the scenario JSON schema (the bytes of schemas/scenario.schema.json).
    Schema,
    /// Rebuild a run's reports from its run.json.
    Report {
        /// A run folder, e.g. results/quickstart/20261122T101500Z.
        run_dir: PathBuf,
    },
    /// Compare two runs: a Markdown table of deltas per backend, phase and cell.
    ///
    /// A metric regresses when it is worse than its threshold and a
    /// one-sided significance test agrees (Welch's t-test over the
    /// per-second samples; the error rate: a two-proportion z-test).
    /// Exit status 1 when anything regressed.
    Compare(CompareArgs),
    /// List backend kinds and capabilities; with a scenario, whether each backend is reachable.
    ///
    /// With a scenario, the exit status is 3 when any backend is not reachable.
    Backends {
        /// A scenario whose backends to try.
        file: Option<PathBuf>,
        #[command(flatten)]
        sets: SetArgs,
    },
    /// Write a starter scenario.
    Init(InitArgs),
    /// Write Kubernetes manifests that run a scenario as N shards and merge them into one report.
    ///
    /// A ConfigMap (the scenario), a PersistentVolumeClaim (the results), a
    /// setup Job, an Indexed Job of N shards and a merge Job; secrets come
    /// from a Kubernetes Secret (--secret) through ${env:...}, never from the
    /// ConfigMap. Nothing is applied: see the README.md written beside them.
    K8s(K8sArgs),
}

#[derive(Debug, Args)]
pub struct K8sArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Client pods (shards), 1 to 1000.
    #[arg(long)]
    pub shards: u32,
    /// The benchplan image every pod runs (built from the repository's Dockerfile).
    #[arg(long)]
    pub image: String,
    /// The namespace of every object.
    #[arg(long, default_value = "default")]
    pub namespace: String,
    /// A Secret whose keys become the pods' environment variables (the scenario's ${env:...}).
    #[arg(long, value_name = "NAME")]
    pub secret: Option<String>,
    /// The results volume's size.
    #[arg(long, default_value = "1Gi")]
    pub storage: String,
    /// The results volume's storage class (one that offers ReadWriteMany); default: the cluster's.
    #[arg(long, value_name = "CLASS")]
    pub storage_class: Option<String>,
    /// How long after setup the shards start their phases together.
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub start_delay: String,
    /// Where to write the manifests (a new or empty folder); default k8s/<scenario name>.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub sets: SetArgs,
}

#[derive(Debug, Args, Default, Clone)]
pub struct SetArgs {
    /// Override a param: K=V (repeatable). Setting a matrix param runs only that value.
    #[arg(long = "set", value_name = "K=V")]
    pub set: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Only these backends (by name; repeatable).
    #[arg(long = "backend", value_name = "NAME")]
    pub backends: Vec<String>,
    #[command(flatten)]
    pub sets: SetArgs,
    /// Root folder for results (default: results).
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub out: PathBuf,
    /// A smoke run: a tenth of the requests and durations, at most 10,000 keys per entity.
    #[arg(long)]
    pub quick: bool,
    /// No progress bars or status lines.
    #[arg(long, short)]
    pub quiet: bool,
    /// When stderr is not a terminal (CI logs), a status line per running
    /// phase this often (elapsed, requests, rate, P99, errors); 0 for none.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub status_every: std::time::Duration,
    /// Compare with a stored run (its folder or run.json) after the run, as `compare` does; exit 1 on a regression.
    /// A folder of runs (e.g. a baseline kept with `--out results/baselines/main`) gives its newest run of this scenario.
    #[arg(long, value_name = "DIR")]
    pub baseline: Option<PathBuf>,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Also write the checks (and the comparison, with --baseline) as JUnit XML.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Threads of the async runtime that runs the workers, like pgbench's
    /// `-j` [default: the machine's CPUs]; recorded in run.json.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Serve live metrics while the run lasts at http://ADDR/metrics (Prometheus text format:
    /// requests, errors, a latency histogram and the last second's P99 per backend, phase and cell),
    /// e.g. `127.0.0.1:9464`. Off by default.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Run shard I of N (0 <= I < N): request indices I, I+N, I+2N, ... of each
    /// phase, on the phase's one schedule, with its share of the workers; no
    /// setup or teardown (`benchplan setup` / `teardown` do those once).
    /// Combine the shards with `benchplan merge`.
    #[arg(long, value_name = "I/N", value_parser = shard)]
    pub shard: Option<ShardArg>,
    /// Wait until TIME before the first phase, so that shards start together:
    /// RFC 3339 (`2026-12-06T01:30:00Z`) or unix seconds (`1796520600`).
    /// More than 10 s in the past is refused.
    #[arg(long, value_name = "TIME", value_parser = start_at)]
    pub start_at: Option<std::time::SystemTime>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' run folders (or their run.json), and at most one run folder of `benchplan setup`.
    #[arg(required = true, value_name = "RUN_DIR")]
    pub run_dirs: Vec<PathBuf>,
    /// The merged run folder to write (created; refused if it holds a run.json).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Merge although some shards are missing; summary.md names them.
    #[arg(long)]
    pub allow_missing: bool,
    /// Also write the checks as JUnit XML.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// `--shard I/N`: shard I (from 0) of N, checked (0 <= I < N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardArg {
    pub index: u32,
    pub count: u32,
}

/// `I/N`: shard I (from 0) of N.
fn shard(text: &str) -> Result<ShardArg, String> {
    let bad = || format!("expected I/N with 0 <= I < N (shard I of N, from 0), e.g. 0/4, found {text:?}");
    let (i, n) = text.trim().split_once('/').ok_or_else(bad)?;
    let (index, count): (u32, u32) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if count == 0 || index >= count {
        return Err(bad());
    }
    Ok(ShardArg { index, count })
}

/// RFC 3339 (`2026-12-06T01:30:00Z`, fractions allowed) or unix seconds.
fn start_at(text: &str) -> Result<std::time::SystemTime, String> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        if (0.0..1e11).contains(&secs) {
            return Ok(std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(secs));
        }
    }
    humantime::parse_rfc3339_weak(t)
        .ok()
        .filter(|_| t.ends_with('Z') || t.ends_with('z'))
        .ok_or_else(|| format!("expected a UTC time such as 2026-12-06T01:30:00Z, or unix seconds, found {text:?}"))
}

impl RunArgs {
    /// The runtime's worker threads: `--threads`, or one per CPU.
    pub fn runtime_threads(&self) -> usize {
        self.threads.map_or_else(default_threads, usize::from)
    }
}

/// One runtime thread per CPU the process may use.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// When a change is a regression (`compare`, and `run --baseline`).
#[derive(Debug, Args, Clone)]
pub struct ThresholdArgs {
    /// Throughput or rows/s falling, or a latency (p50, p99, mean, p95) rising, by more than this (e.g. `10%`, at most 100%); the two options below override it.
    #[arg(long, value_name = "PCT", value_parser = percent, allow_hyphen_values = true)]
    pub max_regression: Option<f64>,
    /// Throughput or rows/s falling by more than this many percent (`10` or `10%`, at most 100) [default: 10].
    #[arg(long, value_name = "PCT", value_parser = percent, allow_hyphen_values = true)]
    pub throughput_drop: Option<f64>,
    /// A latency (p50, p99, mean, p95) rising by more than this many percent (`15` or `15%`) [default: 15].
    #[arg(long, value_name = "PCT", value_parser = percent, allow_hyphen_values = true)]
    pub latency_rise: Option<f64>,
    /// A latency (p50, p99, mean, p95) rising by less than this is never a regression, whatever
    /// the percentage and the p-value (`1ms`, `0.5ms`, `500us`; a bare
    /// number is milliseconds; `0` for no minimum).
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = millis, allow_hyphen_values = true)]
    pub min_latency_delta: f64,
    /// The error rate rising by more than this many percentage points (`1` or `1%`).
    #[arg(long, value_name = "PP", default_value = "1", value_parser = percent, allow_hyphen_values = true)]
    pub error_rate_rise: f64,
    /// The client's peak memory (`client_peak_rss_mb`) rising by more than this many percent (`25` or `25%`): one figure a run, gated by the percentage alone.
    #[arg(long, value_name = "PCT", default_value = "25", value_parser = percent, allow_hyphen_values = true)]
    pub memory_rise: f64,
    /// A vector search's recall_at_k falling by more than this many points (`1` = 0.01).
    #[arg(long, value_name = "PP", default_value = "1", value_parser = percent, allow_hyphen_values = true)]
    pub recall_drop: f64,
    /// Significance level of the tests.
    #[arg(long, value_name = "P", default_value_t = 0.05)]
    pub alpha: f64,
    /// Per-second samples each run needs before a change is tested (at least 2); with fewer it is "untested", not a regression.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub min_samples: usize,
    /// Do not fail when the new run lacks rows of the base run (or none match).
    #[arg(long)]
    pub allow_missing: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The base run folder (or its run.json, or a folder of runs: its newest).
    pub base: PathBuf,
    /// The new run folder (or its run.json, or a folder of runs: its newest).
    pub new: PathBuf,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Also write the comparison as JUnit XML (one test case per metric per row).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Feature tables per entity.
    #[arg(long, default_value_t = 10)]
    pub tables: u32,
    /// Features per table.
    #[arg(long, default_value_t = 5)]
    pub features: u32,
    /// Keys per entity.
    #[arg(long, default_value_t = 100_000)]
    pub rows: u64,
    /// Entities (card, email, name, device, ...).
    #[arg(long, default_value_t = 3)]
    pub entities: u32,
    /// Scenario name.
    #[arg(long, default_value = "starter")]
    pub name: String,
    /// Where to write it; `-` for stdout.
    #[arg(long, short, default_value = "scenario.yaml")]
    pub output: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// A threshold in percent: `10`, `10%` or `12.5 %`; finite and >= 0.
fn percent(text: &str) -> Result<f64, String> {
    let v: f64 =
        text.trim().trim_end_matches('%').trim().parse().map_err(|_| format!("expected a percentage such as 10%, found {text:?}"))?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("expected a percentage >= 0, found {text:?}"))
    }
}

/// A latency difference in milliseconds: `1ms`, `0.5ms`, `500us`, or a bare
/// number of milliseconds (`1`, `0.5`), as the report's `_ms` columns.
fn millis(text: &str) -> Result<f64, String> {
    let bad = || format!("expected a duration such as 1ms, 0.5ms or 500us (a bare number is milliseconds), found {text:?}");
    let t = text.trim();
    if let Ok(v) = t.parse::<f64>() {
        return if v.is_finite() && v >= 0.0 { Ok(v) } else { Err(bad()) };
    }
    humantime::parse_duration(t).map(|d| d.as_nanos() as f64 / 1e6).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_and_start_times_are_read_or_refused() {
        assert_eq!(shard("0/4"), Ok(ShardArg { index: 0, count: 4 }));
        assert_eq!(shard("3/4"), Ok(ShardArg { index: 3, count: 4 }));
        assert_eq!(shard("0/1"), Ok(ShardArg { index: 0, count: 1 }));
        for t in ["4/4", "0/0", "-1/4", "1", "a/b", "1/4/2", ""] {
            assert!(shard(t).unwrap_err().starts_with("expected I/N"), "{t}");
        }
        let t = start_at("2026-12-06T01:30:00Z").unwrap();
        assert_eq!(t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(), 1_796_520_600);
        assert_eq!(start_at("1796520600").unwrap(), t);
        for t in ["tomorrow", "2026-12-06T01:30:00", "-5"] {
            assert!(start_at(t).is_err(), "{t}");
        }
    }

    #[test]
    fn latency_minimums_read_as_milliseconds() {
        for (text, ms) in [
            ("1ms", 1.0),
            ("0.5ms", 0.5),
            ("500us", 0.5),
            ("500µs", 0.5),
            ("2", 2.0),
            ("0.25", 0.25),
            ("0", 0.0),
            ("1s", 1000.0),
            (" 1 ms ", 1.0),
        ] {
            assert_eq!(millis(text), Ok(ms), "{text}");
        }
        for text in ["", "-1ms", "-1", "ms", "1 parsec", "NaN", "inf", "1e400"] {
            let e = millis(text).err().unwrap_or_else(|| panic!("{text:?} was accepted"));
            assert!(e.starts_with("expected a duration such as 1ms"), "{e}");
        }
    }
}
