//! Azure Cosmos DB for NoSQL through `azure_data_cosmos` (key auth, control
//! plane), over reqwest + rustls with ring: the TLS stack and crypto provider
//! sqlx and the AWS client use.
//!
//! Items: `id` = the entity key as text, partition key path `/pk` holding
//! the key (a number for int keys, a string otherwise), one property per
//! feature. `single_table` layout: one container, `pk` = the entity key and
//! `id` = the feature table's name, so an entity's tables share a logical
//! partition.
//!
//! Every response's request charge (`x-ms-request-charge`) is recorded per
//! request, failed attempts' too. The SDK's own 429 retries are off:
//! benchplan retries after the server's retry-after and counts every retry.
//! The SDK (1.0) has no read-many, so `fetch: packed` is point reads in
//! parallel (in `single_table` layout, one partition query per entity key).
//!
//! Where things are:
//!
//! - `names.rs`: the database and container names ([`Names`]), from the
//!   scenario alone;
//! - `codec.rs`: items, ids and partition keys as JSON ([`Codec`]), and
//!   statement templates' values rendered as JSON;
//! - `query_scan.rs`: the query scanner, which adds the partition filter to
//!   a statement's query ([`with_pk_filter`]);
//! - `statements.rs`: operations prepared once per phase ([`prepare_op`],
//!   [`CosmosOp`]), custom statements read from their `cosmos:` template;
//! - `describe.rs`: what `plan` prints ([`describe_op`], [`describe_ddl`]);
//! - `errors.rs`: how a failed call is treated (`classify`);
//! - `client.rs`: the SDK client ([`client`]), the backend that holds it
//!   ([`CosmosBackend`], `connect`), container clients and calls with
//!   counted retries;
//! - `calls.rs`: one call each (point read, create/upsert/replace, query)
//!   and its request charge;
//! - `execute.rs`: one request of each operation, its calls in turn or at once;
//! - `tables.rs`: the database and containers: create, delete, load, size;
//! - `backend.rs`: the `Backend` impl, handing each step to the above;
//! - `support.rs`: checks, plan, cost and secrets without a connection
//!   ([`CosmosKind`]).
//!
//! Unit tests sit at the end of the file they test. What DynamoDB and
//! Cosmos DB share (retries, the template-value tree, key binding, summing
//! concurrent calls, loading) is in `super::service`.

mod backend;
mod calls;
mod client;
mod codec;
mod describe;
mod errors;
mod execute;
mod names;
mod query_scan;
mod statements;
mod support;
mod tables;

pub use client::{client, emulator_mode, CosmosBackend};
pub use codec::{decode_value, encode_value, Codec};
pub use describe::{describe_ddl, describe_op};
pub use names::Names;
pub use query_scan::with_pk_filter;
pub use statements::{prepare_op, CosmosOp, Statement};
pub use support::CosmosKind;
