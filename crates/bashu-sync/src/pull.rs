//! One pull session from one peer, and the serving side of it.

use std::future::Future;
use std::sync::Arc;

use bashu_core::CountyCode;
use bashu_core::entry::{Keyring, ProtocolError, SignedEntry, VerifiedCheckpoint, verify_checkpoint};
use bashu_store::{AppendBatch, Store, StoreError};

use crate::verify::verify_chunk;

/// A checkpoint as it arrives: signed bytes and signature, not yet trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCheckpoint {
    pub bytes: Vec<u8>,
    pub signature: Vec<u8>,
}

/// The peer could not be reached or broke the stream.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct TransportError(pub String);

/// How a node reaches one peer's Exchange service.
pub trait Transport: Send + Sync {
    type Chunks: ChunkStream + Send;
    /// The peer's latest checkpoint for every author it holds.
    fn heads(&self) -> impl Future<Output = Result<Vec<RawCheckpoint>, TransportError>> + Send;
    /// Entries `from_seq..=to_seq` of `author`, in chunks of at most `max_chunk`.
    fn pull(
        &self,
        author: &CountyCode,
        from_seq: u64,
        to_seq: u64,
        max_chunk: u32,
    ) -> impl Future<Output = Result<Self::Chunks, TransportError>> + Send;
}

/// The chunks of one pull, in order. `None` at the end.
pub trait ChunkStream {
    fn next_chunk(
        &mut self,
    ) -> impl Future<Output = Result<Option<Vec<SignedEntry>>, TransportError>> + Send;
}

/// Why a session, or one author's part of it, failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("peer unreachable or stream broken: {0}")]
    Transport(#[from] TransportError),
    #[error("refused checkpoint: {0}")]
    Checkpoint(ProtocolError),
    #[error("refused entry {author}#{seq}: {error}")]
    Entry {
        author: String,
        seq: u64,
        error: ProtocolError,
    },
    #[error("peer sent entries of {author} out of range: expected seq {expected}, chunk of {len}")]
    OutOfRange {
        author: String,
        expected: u64,
        len: usize,
    },
    #[error("entries of {author} up to {size} do not match the author's signed root")]
    RootMismatch { author: String, size: u64 },
    #[error("peer stopped {author}'s log at {reached}, before the checkpoint's {size}")]
    Incomplete {
        author: String,
        reached: u64,
        size: u64,
    },
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("background task failed: {0}")]
    Task(String),
}

/// What a session brought for one author.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorProgress {
    pub author: String,
    /// Entries received, verified and committed.
    pub entries: u64,
    /// Bytes of those entries (envelope, signature and body).
    pub bytes: u64,
    /// The author's log size here after the session.
    pub size: u64,
}

/// The outcome of one session with one peer.
#[derive(Debug, Default)]
pub struct PeerReport {
    /// Authors for which anything was received.
    pub received: Vec<AuthorProgress>,
    /// Authors whose data was refused or could not be completed, with the reason.
    pub failures: Vec<(String, SyncError)>,
}

/// Pulls from one peer everything it holds beyond what `store` holds, author by author.
/// A failure for one author (bad data, broken stream) is reported and does not stop the
/// others; what was committed before it stays committed.
pub async fn pull_from_peer<T: Transport>(
    peer: &T,
    store: Arc<dyn Store>,
    keys: Arc<dyn Keyring + Send + Sync>,
    max_chunk: u32,
) -> Result<PeerReport, SyncError> {
    let heads = peer.heads().await?;
    let mut report = PeerReport::default();
    for raw in heads {
        let checkpoint = match verify_checkpoint(raw.bytes, raw.signature, keys.as_ref()) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "refused checkpoint from peer");
                report
                    .failures
                    .push((String::new(), SyncError::Checkpoint(e)));
                continue;
            }
        };
        let author = checkpoint.checkpoint().author.clone();
        match pull_author(peer, &store, &keys, checkpoint, max_chunk).await {
            Ok(Some(p)) => report.received.push(p),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(author = %author, error = %e, "sync of author failed");
                report.failures.push((author.to_string(), e));
            }
        }
    }
    Ok(report)
}

async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, SyncError> + Send + 'static,
) -> Result<R, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Task(e.to_string()))?
}

async fn pull_author<T: Transport>(
    peer: &T,
    store: &Arc<dyn Store>,
    keys: &Arc<dyn Keyring + Send + Sync>,
    checkpoint: VerifiedCheckpoint,
    max_chunk: u32,
) -> Result<Option<AuthorProgress>, SyncError> {
    let cp = checkpoint.checkpoint().clone();
    let author = cp.author.clone();
    let local = {
        let (store, author) = (store.clone(), author.clone());
        blocking(move || Ok(store.log_state(&author)?)).await?
    };
    if cp.size <= local.size {
        if cp.size == local.size && cp.size > 0 {
            if cp.root != local.frontier.root() {
                return Err(SyncError::RootMismatch {
                    author: author.to_string(),
                    size: cp.size,
                });
            }
            // Same log; keep the newer signed statement of it if we lack one.
            let store = store.clone();
            blocking(move || {
                let held = store.checkpoint(&author)?;
                if held.is_none_or(|h| h.checkpoint().size < cp.size) {
                    store.append(AppendBatch {
                        author,
                        entries: Vec::new(),
                        checkpoint: Some(checkpoint),
                        home: Vec::new(),
                    })?;
                }
                Ok(())
            })
            .await?;
        }
        return Ok(None);
    }

    let mut chunks = peer
        .pull(&author, local.size + 1, cp.size, max_chunk)
        .await?;
    let mut progress = AuthorProgress {
        author: author.to_string(),
        size: local.size,
        ..AuthorProgress::default()
    };
    let mut frontier = local.frontier;
    let mut checkpoint = Some(checkpoint);
    while progress.size < cp.size {
        let Some(chunk) = chunks.next_chunk().await? else {
            return Err(SyncError::Incomplete {
                author: author.to_string(),
                reached: progress.size,
                size: cp.size,
            });
        };
        let first = progress.size + 1;
        if chunk.is_empty() || progress.size + chunk.len() as u64 > cp.size {
            return Err(SyncError::OutOfRange {
                author: author.to_string(),
                expected: first,
                len: chunk.len(),
            });
        }
        let bytes: u64 = chunk
            .iter()
            .map(|e| (e.entry.len() + e.signature.len() + e.body.len()) as u64)
            .sum();
        let n = chunk.len() as u64;
        let completes = progress.size + n == cp.size;
        let (store, keys, author2) = (store.clone(), keys.clone(), author.clone());
        let cp_root = cp.root;
        let cp_for_batch = if completes { checkpoint.take() } else { None };
        let mut f = frontier.clone();
        frontier = blocking(move || {
            let verified = verify_chunk(&author2, first, chunk, keys.as_ref()).map_err(
                |(seq, error)| SyncError::Entry {
                    author: author2.to_string(),
                    seq,
                    error,
                },
            )?;
            for e in &verified {
                f.push(e.hash());
            }
            if completes && f.root() != cp_root {
                return Err(SyncError::RootMismatch {
                    author: author2.to_string(),
                    size: f.size(),
                });
            }
            store.append(AppendBatch {
                author: author2,
                entries: verified,
                checkpoint: cp_for_batch,
                home: Vec::new(),
            })?;
            Ok(f)
        })
        .await?;
        progress.size += n;
        progress.entries += n;
        progress.bytes += bytes;
    }
    Ok(Some(progress))
}

/// The serving side of `Heads`: the latest checkpoint held for every author.
pub fn serve_heads(store: &dyn Store) -> Result<Vec<VerifiedCheckpoint>, StoreError> {
    let mut out = Vec::new();
    for author in store.authors()? {
        if let Some(cp) = store.checkpoint(&author)? {
            out.push(cp);
        }
    }
    Ok(out)
}

/// The serving side of `Pull`: the next chunk of `author` from `from_seq`, never past
/// `to_seq`. Empty when nothing is held there.
pub fn serve_pull_chunk(
    store: &dyn Store,
    author: &CountyCode,
    from_seq: u64,
    to_seq: u64,
    max_chunk: usize,
) -> Result<Vec<SignedEntry>, StoreError> {
    if from_seq > to_seq || from_seq == 0 {
        return Ok(Vec::new());
    }
    let span = usize::try_from(to_seq - from_seq + 1).unwrap_or(usize::MAX);
    store.entries(author, from_seq, max_chunk.min(span))
}
