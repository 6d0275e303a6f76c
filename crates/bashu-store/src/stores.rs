//! The two public stores: one implementation ([`KvStore`]) over two engines.

use std::path::Path;

use bashu_core::CountyCode;
use bashu_core::entry::{EntryKind, SignedEntry, VerifiedCheckpoint, VerifiedEntry};
use bashu_core::merkle::Hash;

use crate::engine::KvStore;
use crate::kv::{MemKv, SledKv};
use crate::{AppendBatch, LogState, RecordPointer, Result, Store, StoredEquivocation};
use bashu_core::governance::Cosignature;

/// The default store: sled on local disk. Every append is one atomic batch over a single
/// tree, flushed before it is acknowledged.
pub struct SledStore {
    pub(crate) inner: KvStore<SledKv>,
}

impl SledStore {
    /// Opens (or creates) the store in directory `path`, with a page cache of at most
    /// `cache_capacity_bytes`.
    pub fn open(path: &Path, cache_capacity_bytes: u64) -> Result<SledStore> {
        Ok(SledStore {
            inner: KvStore::open(SledKv::open(path, cache_capacity_bytes)?)?,
        })
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64> {
        self.inner.kv.size_on_disk()
    }
}

/// An in-memory store for tests: same invariants, nothing survives a drop.
pub struct MemStore {
    pub(crate) inner: KvStore<MemKv>,
}

impl MemStore {
    pub fn new() -> MemStore {
        MemStore {
            inner: KvStore::open(MemKv::default())
                .unwrap_or_else(|_| unreachable!("an empty map has no layout to refuse")),
        }
    }
}

impl Default for MemStore {
    fn default() -> Self {
        MemStore::new()
    }
}

macro_rules! delegate_store {
    ($ty:ty) => {
        impl Store for $ty {
            fn log_state(&self, author: &CountyCode) -> Result<LogState> {
                self.inner.log_state(author)
            }
            fn authors(&self) -> Result<Vec<CountyCode>> {
                self.inner.authors()
            }
            fn checkpoint(&self, author: &CountyCode) -> Result<Option<VerifiedCheckpoint>> {
                self.inner.checkpoint(author)
            }
            fn entries(
                &self,
                author: &CountyCode,
                from_seq: u64,
                max: usize,
            ) -> Result<Vec<SignedEntry>> {
                self.inner.entries(author, from_seq, max)
            }
            fn entry(&self, author: &CountyCode, seq: u64) -> Result<Option<VerifiedEntry>> {
                self.inner.entry(author, seq)
            }
            fn append(&self, batch: AppendBatch) -> Result<LogState> {
                self.inner.append(batch)
            }
            fn record(
                &self,
                kind: EntryKind,
                author: &CountyCode,
                record_id: &str,
            ) -> Result<Option<RecordPointer>> {
                self.inner.record(kind, author, record_id)
            }
            fn body(&self, pointer: &RecordPointer) -> Result<Option<Vec<u8>>> {
                self.inner.body(pointer)
            }
            fn certificates_by_number(&self, cert_no: &str) -> Result<Vec<RecordPointer>> {
                self.inner.certificates_by_number(cert_no)
            }
            fn certificates_by_person(&self, person_key: &[u8]) -> Result<Vec<RecordPointer>> {
                self.inner.certificates_by_person(person_key)
            }
            fn home_id_number(&self, cert_no: &str) -> Result<Option<(String, String)>> {
                self.inner.home_id_number(cert_no)
            }
            fn records_of_kind(&self, kind: EntryKind) -> Result<Vec<RecordPointer>> {
                self.inner.records_of_kind(kind)
            }
            fn cosignatures(&self, author: &CountyCode) -> Result<Vec<Cosignature>> {
                self.inner.cosignatures(author)
            }
            fn add_cosignatures(
                &self,
                author: &CountyCode,
                size: u64,
                root: &Hash,
                cosignatures: Vec<Cosignature>,
            ) -> Result<usize> {
                self.inner
                    .add_cosignatures(author, size, root, cosignatures)
            }
            fn add_equivocation(
                &self,
                author: &CountyCode,
                consistent_up_to: u64,
                proof: &[u8],
            ) -> Result<bool> {
                self.inner.add_equivocation(author, consistent_up_to, proof)
            }
            fn equivocations(&self) -> Result<Vec<StoredEquivocation>> {
                self.inner.equivocations()
            }
        }
    };
}

delegate_store!(SledStore);
delegate_store!(MemStore);
