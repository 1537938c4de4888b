//! benchplan's integration tests, as one test binary (`tests/it`): every
//! module below was a binary of its own, each linking the whole crate; one
//! binary links it once. Shared helpers are in `common`; insta snapshots are
//! in `tests/it/snapshots/`, named `it__<module>__<test>.snap`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod breakdowns;
mod charts;
mod cli;
mod common;
mod compare;
mod cosmos;
mod costs;
mod dynamodb;
mod existing_tables;
mod exporters;
mod pg_faults;
mod run;
mod schema;
mod sql_servers;
mod sqlite_ops;
mod validate_invalid;
