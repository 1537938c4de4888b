//! Progress on stderr: bars on a terminal; elsewhere (CI logs, pipes) a
//! status line per phase every `--status-every` (10 s by default); nothing
//! with `--quiet`.

use crate::stats::live::{Exposition, SeriesHandle};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// The status-line interval when stderr is not a terminal.
pub const DEFAULT_STATUS_EVERY: Duration = Duration::from_secs(10);

pub struct Progress {
    /// Bars (stderr is a terminal).
    bars: bool,
    /// Status lines this often (stderr is not a terminal).
    lines: Option<Duration>,
    /// Live metrics served while the run lasts (`--metrics-addr`).
    metrics: Option<Arc<Exposition>>,
}

impl Progress {
    /// `status_every`: the interval of status lines when stderr is not a
    /// terminal (None: the default; zero: none).
    pub fn new(quiet: bool, status_every: Option<Duration>) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let every = status_every.unwrap_or(DEFAULT_STATUS_EVERY);
        Progress { bars: !quiet && terminal, lines: (!quiet && !terminal && !every.is_zero()).then_some(every), metrics: None }
    }

    pub fn hidden() -> Self {
        Progress { bars: false, lines: None, metrics: None }
    }

    /// Also feeds live metrics.
    pub fn with_metrics(mut self, metrics: Arc<Exposition>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The live series of (backend, phase, cell), when metrics are served.
    pub fn series(&self, backend: &str, phase: &str, cell: &str) -> Option<SeriesHandle> {
        self.metrics.as_ref().map(|m| m.series(backend, phase, cell))
    }

    /// How often a running phase prints a status line, if it does.
    pub fn status_every(&self) -> Option<Duration> {
        self.lines
    }

    /// A bar for one step or phase; `len` 0 means unknown. Hidden without a
    /// terminal, but it keeps its title for the status lines.
    pub fn bar(&self, title: &str, len: u64, unit: &str) -> ProgressBar {
        if !self.bars {
            let bar = ProgressBar::hidden();
            bar.set_prefix(title.to_string());
            return bar;
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr_with_hz(8));
        let template = format!("{{prefix:.bold}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} {{msg}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar.set_prefix(title.to_string());
        bar
    }

    /// A line on stderr (kept out of stdout, which carries results).
    pub fn note(&self, msg: &str) {
        if self.bars || self.lines.is_some() {
            eprintln!("{msg}");
        }
    }
}
