//! What the metered cloud services (DynamoDB, Cosmos DB) share, once:
//!
//! - `retry.rs`: retries with counted attempts ([`with_retries`], [`Retry`])
//!   and how a failed call is treated ([`Failure`], [`error_chain`]);
//! - `values.rs`: statement templates' values, one tree for both services
//!   ([`Tv`], over a service's value type, [`Leaf`], and its keys,
//!   [`KeyEncoding`]), and keys bound as named placeholders ([`bind_keys`]);
//! - `gather.rs`: one request's calls: a read's tables grouped by entity
//!   ([`group_by_entity`]), concurrent calls summed ([`gather`],
//!   [`gather_legs`]) and the request's outcome ([`finish`]);
//! - `load.rs`: a dataset loaded in numbered calls, several in flight
//!   ([`load_in_calls`]).

mod gather;
mod load;
mod retry;
mod values;

pub use gather::{finish, gather, gather_legs, group_by_entity, TimedLeg};
pub use load::load_in_calls;
pub use retry::{error_chain, with_retries, Failure, Retry};
pub use values::{bind_keys, render_entries, KeyEncoding, Leaf, TMap, Tv};
