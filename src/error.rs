//! The top-level error and the documented exit codes.

use crate::scenario::LoadError;
use std::process::ExitCode;

/// Exit statuses, as documented in `benchplan --help` and docs/scenario-format.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// A check failed.
    CheckFailed = 1,
    /// Bad scenario or arguments.
    BadInput = 2,
    /// A backend failed (after writing what was measured).
    BackendFailed = 3,
    /// The report could not be written (after printing the result lines).
    ReportFailed = 4,
    /// SIGHUP (after writing what was measured).
    HangUp = 129,
    /// Ctrl-C (after writing what was measured).
    Interrupted = 130,
    /// SIGTERM (after writing what was measured).
    Terminated = 143,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Every problem in a scenario file, located.
    #[error("{0}")]
    Scenario(LoadError),
    /// Bad arguments or files.
    #[error("{0}")]
    Usage(String),
    /// A failure that is not the user's input.
    #[error("{0}")]
    Internal(String),
    /// A report file could not be written.
    #[error("{0}")]
    Report(String),
}

impl Error {
    pub fn exit(&self) -> Exit {
        match self {
            Error::Scenario(_) | Error::Usage(_) => Exit::BadInput,
            Error::Internal(_) => Exit::BackendFailed,
            Error::Report(_) => Exit::ReportFailed,
        }
    }
}
