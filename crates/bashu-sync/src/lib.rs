//! Replication between nodes, without sockets.
//!
//! A pull session asks a peer for its heads (each author's latest signed checkpoint with
//! cosignatures, and any equivocation evidence), and for every author where the peer is
//! ahead streams the missing entries in bounded chunks. Each chunk is verified (every
//! signature with `verify_strict`, spread over the cores) and committed atomically before
//! the next one is applied, so an interrupted session resumes where it stopped. When the
//! log reaches the checkpoint's size its root must equal the signed root; the checkpoint is
//! stored with the last chunk and this node cosigns it. Conflicting signed histories become
//! self-verifying evidence, stored, passed on, and the author's log is frozen.
//!
//! The transport is a trait: `bashu-node` implements it over gRPC, the tests here over
//! another in-process store.

mod author;
mod local;
pub mod par;
pub mod privacy;
mod pull;
mod trust;
mod verify;

pub use author::{LocalAuthor, OwnRecord, SubmitOutcome, WriteError};
pub use local::{LocalChunks, LocalPeer};
pub use pull::{
    AuthorProgress, ChunkStream, Heads, PeerReport, RawCosignature, RawHead, RawHeads, SyncContext,
    SyncError, Transport, TransportError, pull_from_peer, root_at, serve_heads, serve_pull_chunk,
};
pub use trust::Trust;
pub use verify::verify_chunk;
