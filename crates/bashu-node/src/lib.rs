//! The running county node: configuration, the gRPC services (`Exchange`, `County`,
//! `Query`, `Admin`), the sync scheduler and graceful shutdown.
//!
//! Architecture invariant: no rule or protocol logic lives here. Entries are signed and
//! verified by `bashu-core`, replication is driven by `bashu-sync`, state is kept by
//! `bashu-store`; this crate wires them to sockets, files and the clock.

pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod client;
pub mod config;
mod console;
mod federation;
mod gate;
pub mod http;
pub mod import;
pub mod limits;
mod metrics;
mod node;
mod plan;
mod rules;
pub mod schedule;
mod services;
pub mod tls;
mod transport;

pub use crate::http::HttpConfig;
pub use config::{ConfigError, NodeConfig, PeerConfig};
pub use node::{Node, NodeError, PeerOutcome, load_alliance};
pub use services::heads_response;
