//! benchplan: declarative, reproducible database benchmarks for real-time
//! feature serving. The data flows one way: file -> typed scenario ->
//! validated plan -> rendered operations -> runner -> per-worker histograms
//! -> report -> exporters -> files.
//!
//! Which module may use which (a test, `layering_tests`, enforces it):
//!
//! | module | may use |
//! |---|---|
//! | `clock`, `net`, `prices`, `secrets` | nothing: leaves anything may use |
//! | `scenario` (model, load, validate, checks, schema) | leaves |
//! | `dataset` | scenario |
//! | `workload`, `template` | scenario, dataset |
//! | `stats` (recorders, what was measured) | prices, clock |
//! | `backend` (the trait, the registry, one folder per kind) | scenario, dataset, workload, template, stats, leaves |
//! | `exec` (the runner) | backend and everything it uses |
//! | `report` (rows, exporters, compare) | scenario, stats, prices, secrets: never backend or exec |
//! | `plan`, `error`, `cli`, `commands` | the top: what they need |

pub mod backend;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod dataset;
pub mod error;
pub mod exec;
pub mod net;
pub mod plan;
pub mod prices;
pub mod report;
pub mod scenario;
pub mod secrets;
pub mod stats;
pub mod template;
pub mod workload;

#[cfg(test)]
mod layering_tests;
#[cfg(test)]
mod proptests;

use clap::Parser;
use cli::{Cli, Command};
use error::{Error, Exit};
use std::ffi::OsString;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;

/// Parses `args`, runs the command and returns its exit status. The only
/// place that prints errors.
pub fn main_with(args: Vec<OsString>) -> Exit {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { Exit::BadInput } else { Exit::Ok };
        }
    };
    // Before any thread starts: the Cosmos DB SDK otherwise asks the Azure VM
    // metadata address (169.254.169.254) for a machine id it only uses in
    // its diagnostics; benchplan never needs it. A value the user set stays.
    if std::env::var_os("COSMOS_DISABLE_IMDS").is_none() {
        std::env::set_var("COSMOS_DISABLE_IMDS", "1");
    }
    let workers = match &cli.command {
        Command::Run(args) | Command::Setup(args) | Command::Teardown(args) => args.runtime_threads(),
        _ => cli::default_threads(),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("benchplan: cannot start the async runtime: {e}");
            return Exit::BackendFailed;
        }
    };
    if matches!(cli.command, Command::Run(_) | Command::Setup(_) | Command::Teardown(_)) {
        // Workers run on lanes of their own (src/exec/lanes.rs); without them, on the runtime.
        exec::lanes::start(workers);
    }
    let mut stdout = std::io::stdout().lock();
    let res = rt.block_on(async {
        match &cli.command {
            Command::Run(args) | Command::Setup(args) | Command::Teardown(args) => {
                let parts = match &cli.command {
                    Command::Setup(_) => exec::Parts::Setup,
                    Command::Teardown(_) => exec::Parts::Teardown,
                    _ => exec::Parts::All,
                };
                let interrupt = Arc::new(AtomicBool::new(false));
                let signal = Arc::new(AtomicU8::new(0));
                tokio::spawn(watch_signals(interrupt.clone(), signal.clone()));
                let command = secrets::url_passwords(&commands::command_line());
                let res = commands::run(args, parts, &command, &mut stdout, interrupt).await;
                // SIGTERM and SIGHUP end a run as Ctrl-C does, with their own exit codes.
                match (res, signal.load(Ordering::Relaxed)) {
                    (Ok(Exit::Interrupted), 15) => Ok(Exit::Terminated),
                    (Ok(Exit::Interrupted), 1) => Ok(Exit::HangUp),
                    (res, _) => res,
                }
            }
            Command::Validate { files, sets } => commands::validate(files, &sets.set, &mut stdout),
            Command::Plan { file, backends, emit, sets } => commands::plan(file, backends, emit.as_deref(), &sets.set, &mut stdout),
            Command::Schema => commands::schema(&mut stdout),
            Command::Report { run_dir } => commands::report(run_dir, &mut stdout),
            Command::Compare(a) => commands::compare(a, &mut stdout),
            Command::Merge(a) => commands::merge(a, &secrets::url_passwords(&commands::command_line()), &mut stdout),
            Command::Backends { file, sets } => commands::backends(file.as_deref(), &sets.set, &mut stdout).await,
            Command::Init(a) => commands::init(a, &mut stdout),
            Command::K8s(a) => commands::k8s::k8s(a, &mut stdout),
        }
    });
    // Workers still waiting on a server must not hold the process.
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    match res {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            e.exit()
        }
    }
}

/// Ctrl-C (SIGINT), SIGTERM (`timeout`, `docker stop`, CI cancelling a job)
/// and SIGHUP stop the running phase: what was measured is written, then
/// the run exits 130, 143 or 129. A second signal exits at once.
async fn watch_signals(interrupt: Arc<AtomicBool>, which: Arc<AtomicU8>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term), Ok(mut hup)) =
            (signal(SignalKind::interrupt()), signal(SignalKind::terminate()), signal(SignalKind::hangup()))
        else {
            eprintln!("benchplan: cannot watch for signals; Ctrl-C will end the run without a report");
            return;
        };
        loop {
            let (number, name) = tokio::select! {
                _ = int.recv() => (2u8, "interrupted"),
                _ = term.recv() => (15, "terminated (SIGTERM)"),
                _ = hup.recv() => (1, "hung up (SIGHUP)"),
            };
            if interrupt.swap(true, Ordering::Relaxed) {
                eprintln!("\nbenchplan: {name} again: exiting now, without the report");
                std::process::exit(128 + i32::from(which.load(Ordering::Relaxed).max(1)));
            }
            which.store(number, Ordering::Relaxed);
            eprintln!("\nbenchplan: {name}; writing what was measured so far (a second signal exits at once)");
        }
    }
    #[cfg(not(unix))]
    {
        let _ = which;
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nbenchplan: interrupted; writing what was measured so far");
            interrupt.store(true, Ordering::Relaxed);
        }
    }
}

fn report_error(e: &Error) {
    match e {
        Error::Scenario(l) => {
            for d in &l.0 {
                eprintln!("{d}");
            }
            let n = l.0.len();
            eprintln!("benchplan: {n} problem{} found", if n == 1 { "" } else { "s" });
        }
        other => eprintln!("benchplan: {other}"),
    }
}
