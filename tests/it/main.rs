//! benchplan's integration tests, as one test binary (`tests/it`): every
//! module below was a binary of its own, each linking the whole crate; one
//! binary links it once. Shared helpers are in `common`; insta snapshots are
//! in `tests/it/snapshots/`, named `it__<module>__<test>.snap`.
//!
//! Tests that need a server are ignored: ignored means needs servers.
//! PostgreSQL and MySQL/MariaDB (`sql_servers`, the PostgreSQL test of
//! `existing_tables`), DynamoDB (`dynamodb`, against dynalite), Cosmos DB
//! (`cosmos`, against @vercel/cosmosdb-server through
//! tests/servers/cosmos-launch.js), Redis (`redis`: the server at
//! 127.0.0.1:6379 or a throwaway redis-server; its fault tests start their
//! own redis-server), the throwaway PostgreSQL that
//! `pg_faults` starts and restarts (initdb/pg_ctl) and the Prometheus that
//! `live_metrics` starts (BENCHPLAN_TEST_PROMETHEUS: its binary) and the
//! kubernetes-validate that `k8s` runs (BENCHPLAN_TEST_KUBERNETES_VALIDATE) each carry
//! `#[ignore = "needs servers: scripts/test runs it"]`. So plain
//! `cargo test` / `cargo nextest run` reports them as ignored (skipped),
//! never as passed. `bash scripts/test` starts the servers, exports
//! BENCHPLAN_TEST_PG_URL, BENCHPLAN_TEST_PGVECTOR_URL (`vectors`: PostgreSQL
//! with pgvector), BENCHPLAN_TEST_MYSQL_URL,
//! BENCHPLAN_TEST_DYNAMODB_ENDPOINT, BENCHPLAN_TEST_COSMOS_ENDPOINT and
//! BENCHPLAN_TEST_REDIS_URL
//! (scripts/lib/servers.sh) and runs every test, ignored ones included
//! (`cargo nextest run --run-ignored all`, or `cargo test -- --include-ignored`).
//! An ignored test that is run without its server fails
//! (`common::server_env` panics, naming the variable): it never passes
//! without having run. A new test that needs a server must be ignored the
//! same way and get its address from `common::server_env`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod breakdowns;
mod charts;
mod cli;
mod common;
mod compare;
#[cfg(feature = "cosmos")]
mod cosmos;
mod costs;
#[cfg(all(feature = "postgres", feature = "mysql"))]
mod cross_check;
#[cfg(feature = "dynamodb")]
mod dynamodb;
#[cfg(feature = "postgres")]
mod existing_tables;
mod exporters;
mod findmax;
mod k8s;
mod live_metrics;
#[cfg(all(feature = "postgres", feature = "mysql", feature = "redis"))]
mod mysql_wire;
#[cfg(feature = "postgres")]
mod pg_faults;
#[cfg(all(feature = "postgres", feature = "mysql", feature = "redis"))]
mod pg_wire;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod redis_cluster;
#[cfg(feature = "redis")]
mod redis_tls;
mod relative_checks;
mod requests;
mod robustness;
mod run;
mod schema;
mod seed_scenarios;
#[cfg(all(feature = "postgres", feature = "dynamodb", feature = "cosmos"))]
mod server_faults;
mod shards;
#[cfg(feature = "sqlite")]
mod sinks;
#[cfg(all(feature = "postgres", feature = "mysql"))]
mod sql_servers;
mod sqlite_ops;
mod sweeps_and_hints;
mod validate_invalid;
#[cfg(feature = "postgres")]
mod vector_exact;
#[cfg(feature = "postgres")]
mod vectors;
