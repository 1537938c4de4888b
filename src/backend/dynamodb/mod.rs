//! AWS DynamoDB (and compatible endpoints such as dynalite), through
//! `aws-sdk-dynamodb` over rustls with ring.
//!
//! Items: partition key `pk` (the table's key column) holding the entity key
//! (a Number for int keys, a String otherwise) and one attribute per feature.
//! `single_table` layout: one table, `pk` = the entity key as a String,
//! `sk` = the feature table's name.
//!
//! Every call asks for `ReturnConsumedCapacity: TOTAL` and the units are
//! recorded per request. The SDK's own retries are off: benchplan retries
//! (throttling, 5xx, broken connections) with exponential backoff and full
//! jitter, so that every retry is counted in the report.
//!
//! Where things are:
//!
//! - `names.rs`: physical table names ([`Names`]), from the scenario alone;
//! - `codec.rs`: items and keys as attribute values ([`Codec`]), and
//!   statement templates' values rendered as attribute values;
//! - `statements.rs`: operations prepared once per phase ([`prepare_op`],
//!   [`DynOp`]), custom statements read from their `dynamodb:` template;
//! - `describe.rs`: what `plan` prints ([`describe_op`], [`describe_ddl`]);
//! - `errors.rs`: how a failed call is treated (`classify`);
//! - `client.rs`: the SDK client ([`sdk_client`]), the backend that holds it
//!   ([`DynamoBackend`], `connect`) and calls with counted retries;
//! - `calls.rs`: one call each (GetItem, BatchGetItem, Query, PutItem,
//!   UpdateItem, BatchWriteItem) and the capacity it consumed;
//! - `execute.rs`: one request of each operation, its calls in turn or at once;
//! - `tables.rs`: create, wait, delete, load, size, sampled keys;
//! - `backend.rs`: the `Backend` impl, handing each step to the above;
//! - `support.rs`: checks, plan and cost without a connection ([`DynamodbKind`]);
//! - `tests.rs`: unit tests.
//!
//! What DynamoDB and Cosmos DB share (retries, the template-value tree,
//! key binding, summing concurrent calls, loading) is in `super::service`.

mod backend;
mod calls;
mod client;
mod codec;
mod describe;
mod errors;
mod execute;
mod names;
mod statements;
mod support;
mod tables;
#[cfg(test)]
mod tests;

pub use calls::{BATCH_GET_MAX, BATCH_WRITE_MAX};
pub use client::{sdk_client, DynamoBackend};
pub use codec::{decode_value, encode_value, Codec};
pub use describe::{describe_ddl, describe_op};
pub use names::Names;
pub use statements::{prepare_op, DynOp, Statement};
pub use support::DynamodbKind;
