//! An in-process peer: the serving side of another node's store, called directly. For
//! tests of the protocol without sockets, and for measuring verify-and-store alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bashu_core::CountyCode;
use bashu_core::entry::SignedEntry;
use bashu_store::Store;

use crate::pull::{
    ChunkStream, RawHeads, Transport, TransportError, serve_heads, serve_pull_chunk,
};

/// Another node's store, reached without a network.
pub struct LocalPeer {
    store: Arc<dyn Store>,
    /// Stop every pull after this many chunks (an interrupted connection).
    cut_after_chunks: Option<usize>,
    chunks_served: Arc<AtomicUsize>,
}

impl LocalPeer {
    pub fn new(store: Arc<dyn Store>) -> LocalPeer {
        LocalPeer {
            store,
            cut_after_chunks: None,
            chunks_served: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A peer whose pulls break after `n` chunks.
    pub fn cutting_after(store: Arc<dyn Store>, n: usize) -> LocalPeer {
        LocalPeer {
            cut_after_chunks: Some(n),
            ..LocalPeer::new(store)
        }
    }

    /// Chunks served so far.
    pub fn chunks_served(&self) -> usize {
        self.chunks_served.load(Ordering::Relaxed)
    }
}

/// The chunks of one in-process pull.
pub struct LocalChunks {
    store: Arc<dyn Store>,
    author: CountyCode,
    next: u64,
    to: u64,
    max: usize,
    left: Option<usize>,
    served: Arc<AtomicUsize>,
}

impl ChunkStream for LocalChunks {
    async fn next_chunk(&mut self) -> Result<Option<Vec<SignedEntry>>, TransportError> {
        if self.left == Some(0) {
            return Err(TransportError("connection cut".into()));
        }
        let chunk = serve_pull_chunk(
            self.store.as_ref(),
            &self.author,
            self.next,
            self.to,
            self.max,
        )
        .map_err(|e| TransportError(e.to_string()))?;
        if chunk.is_empty() {
            return Ok(None);
        }
        self.next += chunk.len() as u64;
        if let Some(left) = &mut self.left {
            *left -= 1;
        }
        self.served.fetch_add(1, Ordering::Relaxed);
        Ok(Some(chunk))
    }
}

impl Transport for LocalPeer {
    type Chunks = LocalChunks;

    async fn heads(&self) -> Result<RawHeads, TransportError> {
        let heads = serve_heads(self.store.as_ref()).map_err(|e| TransportError(e.to_string()))?;
        Ok(heads.into_raw())
    }

    async fn pull(
        &self,
        author: &CountyCode,
        from_seq: u64,
        to_seq: u64,
        max_chunk: u32,
    ) -> Result<LocalChunks, TransportError> {
        Ok(LocalChunks {
            store: self.store.clone(),
            author: author.clone(),
            next: from_seq,
            to: to_seq,
            max: max_chunk.max(1) as usize,
            left: self.cut_after_chunks,
            served: self.chunks_served.clone(),
        })
    }
}
