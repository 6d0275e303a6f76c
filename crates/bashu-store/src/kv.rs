//! The small key-value interface the store is written against, and its two engines.
//!
//! Only this module names sled.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use crate::{Result, StoreError};

/// One write of a batch: a value to put, or `None` to delete the key.
pub(crate) type Op = (Vec<u8>, Option<Vec<u8>>);

/// An ordered byte-key map.
pub(crate) trait Kv: Send + Sync {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Up to `limit` pairs with `start <= key < end_exclusive`, in key order.
    fn scan(
        &self,
        start: &[u8],
        end_exclusive: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;
    /// The pair with the greatest key in `lower..=key`, if any.
    fn last_at_or_before(&self, lower: &[u8], key: &[u8]) -> Result<Option<(Vec<u8>, Vec<u8>)>>;
    /// Applies every op or none, and returns only once they are durable. Later ops on the
    /// same key win.
    fn write_batch(&self, ops: Vec<Op>) -> Result<()>;
}

fn engine(e: impl std::fmt::Display) -> StoreError {
    StoreError::Engine(e.to_string())
}

/// sled: a single tree (the default one), so that one `apply_batch` is atomic across
/// every key of the layout, followed by a flush before the write is acknowledged.
///
/// After a write fails (disk full, IO error) sled's in-memory state may hold what never
/// reached the disk, and its own error reporting afterwards is not reliable: every later
/// write is refused with the first error, until the store is opened again (which
/// recovers from what is on disk).
pub(crate) struct SledKv {
    db: sled::Db,
    failed: Mutex<Option<String>>,
}

impl SledKv {
    pub(crate) fn open(path: &Path, cache_capacity_bytes: u64) -> Result<SledKv> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(cache_capacity_bytes)
            // Appends are flushed explicitly before they are acknowledged; the background
            // flusher would only add writes.
            .flush_every_ms(None)
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(engine)?;
        Ok(SledKv {
            db,
            failed: Mutex::new(None),
        })
    }

    pub(crate) fn size_on_disk(&self) -> Result<u64> {
        self.db.size_on_disk().map_err(engine)
    }
}

impl Kv for SledKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get(key).map_err(engine)?.map(|v| v.to_vec()))
    }

    fn scan(
        &self,
        start: &[u8],
        end_exclusive: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        if start >= end_exclusive {
            return Ok(Vec::new());
        }
        self.db
            .range(start..end_exclusive)
            .take(limit)
            .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(engine))
            .collect()
    }

    fn last_at_or_before(&self, lower: &[u8], key: &[u8]) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        if lower > key {
            return Ok(None);
        }
        self.db
            .range(lower..=key)
            .next_back()
            .transpose()
            .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())))
            .map_err(engine)
    }

    fn write_batch(&self, ops: Vec<Op>) -> Result<()> {
        let mut failed = self
            .failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(first) = failed.as_ref() {
            return Err(engine(format!(
                "{first} (an earlier write failed; the store takes writes again once the node is restarted)"
            )));
        }
        let reclaim = ops.len() / RECLAIM_EVERY + 1;
        let mut batch = sled::Batch::default();
        for (k, v) in ops {
            match v {
                Some(v) => batch.insert(k, v),
                None => batch.remove(k),
            }
        }
        let written = self
            .db
            .apply_batch(batch)
            .and_then(|()| self.db.flush().map(drop));
        // sled frees the tree nodes a write replaced only when some later operation enters
        // and leaves its epoch (crossbeam-epoch), a few at a time. A batch is one such
        // operation however many keys it writes: without these, the garbage of large
        // batches outgrows the page cache many times over when nothing is being read.
        for _ in 0..reclaim {
            sled::pin().flush();
        }
        written.map_err(|e| {
            let e = e.to_string();
            *failed = Some(e.clone());
            engine(e)
        })
    }
}

/// Written keys per round of reclaiming sled's replaced tree nodes after a batch.
const RECLAIM_EVERY: usize = 64;

/// An in-memory map; a batch is applied under one lock, so readers never see half of it.
#[derive(Default)]
pub(crate) struct MemKv {
    map: Mutex<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl MemKv {
    fn map(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<Vec<u8>, Vec<u8>>>> {
        // A panic while the lock was held may have left a batch half-applied.
        self.map
            .lock()
            .map_err(|_| engine("in-memory store poisoned by a panic during a write"))
    }
}

impl Kv for MemKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.map()?.get(key).cloned())
    }

    fn scan(
        &self,
        start: &[u8],
        end_exclusive: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        if start >= end_exclusive {
            return Ok(Vec::new());
        }
        Ok(self
            .map()?
            .range(start.to_vec()..end_exclusive.to_vec())
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn last_at_or_before(&self, lower: &[u8], key: &[u8]) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        if lower > key {
            return Ok(None);
        }
        Ok(self
            .map()?
            .range(lower.to_vec()..=key.to_vec())
            .next_back()
            .map(|(k, v)| (k.clone(), v.clone())))
    }

    fn write_batch(&self, ops: Vec<Op>) -> Result<()> {
        let mut map = self.map()?;
        for (k, v) in ops {
            match v {
                Some(v) => map.insert(k, v),
                None => map.remove(&k),
            };
        }
        Ok(())
    }
}
