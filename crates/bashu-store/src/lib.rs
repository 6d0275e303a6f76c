//! Storage of a node: every author's verified log, the latest signed checkpoint of each,
//! the materialised state (latest record per id) with its indexes, and the home-only data
//! (full ID numbers) that never leaves this node.
//!
//! Architecture invariant: only this crate names the storage engine. The [`Store`] trait
//! keeps the engine replaceable; [`SledStore`] is the default and [`MemStore`] serves tests.
//! Both share one implementation of the log invariants over a small key-value interface,
//! and one conformance suite runs against both.

use bashu_core::CountyCode;
use bashu_core::entry::{EntryKind, ProtocolError, SignedEntry, VerifiedCheckpoint, VerifiedEntry};
use bashu_core::governance::Cosignature;
use bashu_core::merkle::{Frontier, Hash};

mod engine;
mod kv;
mod layout;
mod snapshot;
mod stores;

#[cfg(test)]
mod conformance;

pub use snapshot::StoreSnapshot;
pub use stores::{MemStore, SledStore};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The engine failed (disk full, read-only, IO error). Nothing was acknowledged.
    #[error("storage engine error: {0}")]
    Engine(String),
    /// Persisted bytes did not decode: an unknown version byte or a torn value.
    #[error("corrupt value under key {key}: {reason}")]
    Corrupt { key: String, reason: String },
    /// An append that does not continue the author's log.
    #[error("append to {author} must start at seq {expected}, got {found}")]
    NotContiguous {
        author: String,
        expected: u64,
        found: u64,
    },
    /// An entry in a batch of another author.
    #[error("batch for {expected} contains an entry of {found}")]
    MixedAuthors { expected: String, found: String },
    /// A checkpoint that does not describe the log as it stands after the append.
    #[error("checkpoint of {author} (size {size}) does not match the log: {reason}")]
    CheckpointMismatch {
        author: String,
        size: u64,
        reason: String,
    },
    /// The directory holds a store of another layout than this build reads.
    #[error(
        "the store was written with layout {found}; this build reads layout {expected}: \
         run the build that wrote it, or restore a backup made by this build / \
         存储格式版本 {found} 与本程序读取的版本 {expected} 不符"
    )]
    Format { found: u32, expected: u32 },
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The state of one author's log as this node holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogState {
    /// Number of entries held (the next entry has seq `size + 1`).
    pub size: u64,
    /// Merkle frontier over those entries; `frontier.root()` is the log's root.
    pub frontier: Frontier,
}

/// Home-only data written together with the home county's own entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HomeRecord {
    /// The full ID number behind a certificate of this county.
    IdNumber {
        cert_no: String,
        id_type: String,
        id_no: String,
    },
}

/// One atomic, durable append to one author's log.
#[derive(Debug, Clone)]
pub struct AppendBatch {
    pub author: CountyCode,
    /// Verified entries with seq `size+1, size+2, …` of the log as it stands.
    pub entries: Vec<VerifiedEntry>,
    /// A checkpoint describing the log after these entries (optional).
    pub checkpoint: Option<VerifiedCheckpoint>,
    /// Home-only data (only ever for this node's own county).
    pub home: Vec<HomeRecord>,
}

/// Where the latest version of a record is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPointer {
    pub kind: EntryKind,
    pub author: CountyCode,
    pub record_id: String,
    pub seq: u64,
    pub body_hash: Hash,
    pub entry_hash: Hash,
}

/// The storage of a node. All methods block; async callers use `spawn_blocking`.
pub trait Store: Send + Sync + 'static {
    /// The log of `author` as held here (size 0 when nothing is held).
    fn log_state(&self, author: &CountyCode) -> Result<LogState>;
    /// Every author of which this node holds entries or a checkpoint, in code order.
    fn authors(&self) -> Result<Vec<CountyCode>>;
    /// The latest checkpoint held for `author` that matches the held log.
    fn checkpoint(&self, author: &CountyCode) -> Result<Option<VerifiedCheckpoint>>;
    /// Up to `max` entries of `author` with seq ≥ `from_seq`, ascending, bodies included.
    fn entries(&self, author: &CountyCode, from_seq: u64, max: usize) -> Result<Vec<SignedEntry>>;
    /// One entry, with its body.
    fn entry(&self, author: &CountyCode, seq: u64) -> Result<Option<VerifiedEntry>>;
    /// Appends atomically and durably: returns only once the batch survives a crash.
    /// Refuses (writing nothing) a batch that does not continue the log or whose
    /// checkpoint does not match the resulting size and root, or a checkpoint smaller than
    /// the one held.
    fn append(&self, batch: AppendBatch) -> Result<LogState>;
    /// The latest version of a record.
    fn record(
        &self,
        kind: EntryKind,
        author: &CountyCode,
        record_id: &str,
    ) -> Result<Option<RecordPointer>>;
    /// The body of the record version `pointer` names (`None` when it is not held, e.g.
    /// redacted before it reached this node).
    fn body(&self, pointer: &RecordPointer) -> Result<Option<Vec<u8>>>;
    /// Latest certificate records (any author) with this certificate number.
    fn certificates_by_number(&self, cert_no: &str) -> Result<Vec<RecordPointer>>;
    /// Latest certificate records (any author) whose latest version has this person key.
    fn certificates_by_person(&self, person_key: &[u8]) -> Result<Vec<RecordPointer>>;
    /// Home-only: the full ID number behind one of this county's certificates.
    fn home_id_number(&self, cert_no: &str) -> Result<Option<(String, String)>>;

    /// Latest versions of every record of `kind`, all authors, in (author, record id) order.
    fn records_of_kind(&self, kind: EntryKind) -> Result<Vec<RecordPointer>>;

    /// Cosignatures held for `author`'s latest checkpoint.
    fn cosignatures(&self, author: &CountyCode) -> Result<Vec<Cosignature>>;
    /// Adds cosignatures of `author`'s checkpoint at `size` with `root` (already verified),
    /// if that is still the checkpoint held; returns how many are held afterwards. A new
    /// checkpoint starts with none.
    fn add_cosignatures(
        &self,
        author: &CountyCode,
        size: u64,
        root: &Hash,
        cosignatures: Vec<Cosignature>,
    ) -> Result<usize>;

    /// Records verified equivocation evidence against `author`, consistent up to
    /// `consistent_up_to`; returns false when this exact evidence was already held.
    fn add_equivocation(
        &self,
        author: &CountyCode,
        consistent_up_to: u64,
        proof: &[u8],
    ) -> Result<bool>;
    /// Every piece of equivocation evidence held.
    fn equivocations(&self) -> Result<Vec<StoredEquivocation>>;
}

/// Equivocation evidence as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEquivocation {
    pub author: CountyCode,
    pub consistent_up_to: u64,
    /// `EquivocationProof::encode()` bytes.
    pub proof: Vec<u8>,
}
