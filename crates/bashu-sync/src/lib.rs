//! Replication between nodes, without sockets.
//!
//! A pull session asks a peer for its heads (each author's latest signed checkpoint),
//! and for every author where the peer is ahead streams the missing entries in bounded
//! chunks. Each chunk is verified (every signature with `verify_strict`, spread over the
//! cores) and committed atomically before the next one is applied, so an interrupted
//! session resumes where it stopped. When the log reaches the checkpoint's size its root
//! must equal the signed root; the checkpoint is stored with the last chunk.
//!
//! The transport is a trait: `bashu-node` implements it over gRPC, the tests here over
//! another in-process store.

mod author;
mod pull;
mod verify;

pub use author::{LocalAuthor, OwnRecord, SubmitOutcome};
pub use pull::{
    AuthorProgress, ChunkStream, PeerReport, RawCheckpoint, SyncError, Transport,
    TransportError, pull_from_peer, serve_heads, serve_pull_chunk,
};
pub use verify::verify_chunk;
