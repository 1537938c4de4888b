//! Progress bars on stderr: hidden when stderr is not a terminal or with `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    visible: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Progress { visible: !quiet && std::io::stderr().is_terminal() }
    }

    pub fn hidden() -> Self {
        Progress { visible: false }
    }

    /// A bar for one step or phase; `len` 0 means unknown.
    pub fn bar(&self, title: &str, len: u64, unit: &str) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
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
        if self.visible {
            eprintln!("{msg}");
        }
    }
}
