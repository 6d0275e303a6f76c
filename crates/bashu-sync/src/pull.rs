//! One pull session from one peer, and the serving side of it.

use std::future::Future;
use std::sync::Arc;

use bashu_core::CountyCode;
use bashu_core::entry::{
    Checkpoint, EntryKind, ProtocolError, SignedEntry, VerifiedCheckpoint, VerifiedEntry,
    verify_checkpoint,
};
use bashu_core::governance::{Cosignature, EquivocationProof, cosign};
use bashu_core::keys::{KeyId, Signature, SigningKey};
use bashu_core::merkle::{Frontier, leaf_hash};
use bashu_store::{AppendBatch, Store, StoreError};

use crate::trust::Trust;
use crate::verify::{PartialChunk, verify_prefix};

/// A cosignature as it arrives, not yet trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCosignature {
    pub witness: String,
    pub key_id: Vec<u8>,
    pub signature: Vec<u8>,
}

/// A checkpoint as it arrives (signed bytes and signature) with the cosignatures the peer
/// holds for it. Not yet trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHead {
    pub bytes: Vec<u8>,
    pub signature: Vec<u8>,
    pub cosignatures: Vec<RawCosignature>,
}

/// What a peer answers to `Heads`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawHeads {
    pub heads: Vec<RawHead>,
    /// Equivocation evidence the peer holds (`EquivocationProof::encode()` bytes).
    pub evidence: Vec<Vec<u8>>,
}

/// The peer could not be reached or broke the stream.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct TransportError(pub String);

/// How a node reaches one peer's Exchange service.
pub trait Transport: Send + Sync {
    type Chunks: ChunkStream + Send;
    /// The peer's latest checkpoint for every author it holds, and its evidence.
    fn heads(&self) -> impl Future<Output = Result<RawHeads, TransportError>> + Send;
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
    #[error("{author} equivocated: its log is consistent only up to {consistent_up_to}; frozen")]
    Equivocation {
        author: String,
        consistent_up_to: u64,
    },
    #[error("refused equivocation evidence: {0}")]
    Evidence(ProtocolError),
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

impl SyncError {
    /// Whether retrying after the alliance state changed could succeed (an author not yet
    /// admitted, or a key not yet rotated, when this node lacked the approvals).
    fn may_pass_later(&self) -> bool {
        matches!(
            self,
            SyncError::Checkpoint(ProtocolError::NotMember(_) | ProtocolError::UnknownKey { .. })
                | SyncError::Entry {
                    error: ProtocolError::NotMember(_) | ProtocolError::UnknownKey { .. },
                    ..
                }
        )
    }
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
    /// Equivocations newly learnt in this session (author, consistent up to).
    pub equivocations: Vec<(String, u64)>,
}

/// What a pull session works with.
pub struct SyncContext {
    pub store: Arc<dyn Store>,
    pub trust: Arc<Trust>,
    /// This node, as a witness: its county and signing key (cosigns what it verified).
    pub witness: Option<(CountyCode, SigningKey)>,
    pub max_chunk: u32,
}

async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, SyncError> + Send + 'static,
) -> Result<R, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Task(e.to_string()))?
}

/// Pulls from one peer everything it holds beyond what this node holds, author by author;
/// takes in its equivocation evidence; cosigns what it verified. A failure for one author
/// is reported and does not stop the others; what was committed stays committed.
pub async fn pull_from_peer<T: Transport>(
    peer: &T,
    ctx: &SyncContext,
) -> Result<PeerReport, SyncError> {
    let heads = peer.heads().await?;
    let mut report = PeerReport::default();

    for proof in &heads.evidence {
        match take_evidence(ctx, proof).await {
            Ok(Some(e)) => report.equivocations.push(e),
            Ok(None) => {}
            Err(e) => report.failures.push((String::new(), e)),
        }
    }

    // Authors refused because this node lacked approvals may pass once the governance
    // entries of this same session are in: one retry after the state was refreshed.
    let mut retry = Vec::new();
    for head in heads.heads {
        match sync_head(peer, ctx, &head, &mut report).await {
            Ok(()) => {}
            Err((author, e)) if e.may_pass_later() => retry.push((author, e, head)),
            Err((author, e)) => report.failures.push((author, e)),
        }
    }
    if !retry.is_empty() {
        let store = ctx.store.clone();
        let trust = ctx.trust.clone();
        blocking(move || Ok(trust.refresh(store.as_ref())?)).await?;
        for (author, first_error, head) in retry {
            if let Err((_, e)) = sync_head(peer, ctx, &head, &mut report).await {
                let e = if e.may_pass_later() { first_error } else { e };
                report.failures.push((author, e));
            }
        }
    }
    Ok(report)
}

/// Verifies and stores one piece of evidence; returns the equivocation if it was new.
async fn take_evidence(
    ctx: &SyncContext,
    proof: &[u8],
) -> Result<Option<(String, u64)>, SyncError> {
    let parsed = EquivocationProof::decode(proof).map_err(SyncError::Evidence)?;
    let eq = parsed
        .verify(&ctx.trust.current())
        .map_err(SyncError::Evidence)?;
    let (store, trust, proof) = (ctx.store.clone(), ctx.trust.clone(), proof.to_vec());
    blocking(move || {
        let new = store.add_equivocation(&eq.author, eq.consistent_up_to, &proof)?;
        if new {
            trust.refresh(store.as_ref())?;
            tracing::error!(author = %eq.author, consistent_up_to = eq.consistent_up_to,
                "equivocation evidence received: log frozen");
            Ok(Some((eq.author.to_string(), eq.consistent_up_to)))
        } else {
            Ok(None)
        }
    })
    .await
}

async fn sync_head<T: Transport>(
    peer: &T,
    ctx: &SyncContext,
    head: &RawHead,
    report: &mut PeerReport,
) -> Result<(), (String, SyncError)> {
    let state = ctx.trust.current();
    let target = match verify_checkpoint(head.bytes.clone(), head.signature.clone(), state.as_ref())
    {
        Ok(cp) => Target::Verified(cp),
        // Signed by a key this node does not know yet: the author's own log may carry
        // the decision that makes it known (a rotation, an admission). Pull towards it,
        // verifying every entry, and judge the checkpoint at the end.
        Err(e @ (ProtocolError::UnknownKey { .. } | ProtocolError::NotMember(_))) => {
            match Checkpoint::decode_unverified(&head.bytes) {
                Ok(cp) => Target::Provisional(cp, e),
                Err(d) => return Err((String::new(), SyncError::Checkpoint(d))),
            }
        }
        Err(e) => return Err((String::new(), SyncError::Checkpoint(e))),
    };
    let author = target.checkpoint().author.clone();
    let tag = |e: SyncError| (author.to_string(), e);
    if let Some(at) = state.frozen.get(&author) {
        if target.checkpoint().size > *at {
            // Frozen at the last consistent point: nothing beyond it is taken.
            return Ok(());
        }
    }
    let outcome = pull_author(peer, ctx, head, target).await.map_err(tag)?;
    let checkpoint = match outcome {
        AuthorOutcome::Received(p, cp) => {
            report.received.push(p.progress);
            cp
        }
        AuthorOutcome::Equal(cp) => cp,
        AuthorOutcome::Behind => return Ok(()),
        AuthorOutcome::Equivocation(consistent_up_to) => {
            report
                .equivocations
                .push((author.to_string(), consistent_up_to));
            return Err(tag(SyncError::Equivocation {
                author: author.to_string(),
                consistent_up_to,
            }));
        }
    };
    witness(ctx, &checkpoint, &head.cosignatures)
        .await
        .map_err(tag)?;
    Ok(())
}

/// The checkpoint a pull aims at.
enum Target {
    Verified(VerifiedCheckpoint),
    /// Not yet verifiable here, with the reason.
    Provisional(Checkpoint, ProtocolError),
}

impl Target {
    fn checkpoint(&self) -> &Checkpoint {
        match self {
            Target::Verified(v) => v.checkpoint(),
            Target::Provisional(c, _) => c,
        }
    }
}

struct Received {
    progress: AuthorProgress,
}

enum AuthorOutcome {
    Received(Received, VerifiedCheckpoint),
    /// The peer's checkpoint is the one held (same size and root).
    Equal(VerifiedCheckpoint),
    /// The peer is behind this node.
    Behind,
    /// The author equivocated; evidence stored, log frozen at this size.
    Equivocation(u64),
}

async fn pull_author<T: Transport>(
    peer: &T,
    ctx: &SyncContext,
    head: &RawHead,
    target: Target,
) -> Result<AuthorOutcome, SyncError> {
    let cp = target.checkpoint().clone();
    let author = cp.author.clone();
    let store = ctx.store.clone();
    let local = {
        let (store, author) = (store.clone(), author.clone());
        blocking(move || Ok(store.log_state(&author)?)).await?
    };
    let verified = match target {
        Target::Verified(v) => Some(v),
        Target::Provisional(_, e) if cp.size <= local.size => {
            return Err(SyncError::Checkpoint(e));
        }
        Target::Provisional(..) => None,
    };
    if cp.size < local.size {
        return Ok(AuthorOutcome::Behind);
    }
    if let Some(checkpoint) = verified.clone().filter(|_| cp.size == local.size) {
        if cp.size == 0 {
            return Ok(AuthorOutcome::Behind);
        }
        if cp.root != local.frontier.root() {
            return equivocation(peer, ctx, &checkpoint, local.size).await;
        }
        store_checkpoint(ctx, checkpoint.clone()).await?;
        return Ok(AuthorOutcome::Equal(checkpoint));
    }

    let mut chunks = peer
        .pull(&author, local.size + 1, cp.size, ctx.max_chunk)
        .await?;
    let mut progress = AuthorProgress {
        author: author.to_string(),
        size: local.size,
        ..AuthorProgress::default()
    };
    // Verification runs ahead of the store: while chunk n is written, chunk n + 1 is
    // received and verified. `frontier` and `verified_size` describe what was verified;
    // `progress` what was committed.
    let mut frontier = local.frontier;
    let mut verified_size = local.size;
    let mut commit: Option<Commit> = None;
    while verified_size < cp.size {
        // What is in flight lands before any error is returned.
        let next = match chunks.next_chunk().await {
            Ok(next) => next,
            Err(e) => {
                finish(&mut commit, &mut progress, ctx).await?;
                return Err(e.into());
            }
        };
        let Some(chunk) = next else {
            finish(&mut commit, &mut progress, ctx).await?;
            return Err(SyncError::Incomplete {
                author: author.to_string(),
                reached: progress.size,
                size: cp.size,
            });
        };
        if chunk.is_empty() || verified_size + chunk.len() as u64 > cp.size {
            finish(&mut commit, &mut progress, ctx).await?;
            return Err(SyncError::OutOfRange {
                author: author.to_string(),
                expected: verified_size + 1,
                len: chunk.len(),
            });
        }
        let mut pending = chunk;
        let mut retried = false;
        while !pending.is_empty() {
            // Governance entries change which keys verify what follows: they take effect
            // before anything after them is verified.
            if commit.as_ref().is_some_and(|c| c.governance) {
                finish(&mut commit, &mut progress, ctx).await?;
            }
            let first = verified_size + 1;
            let (state, author2) = (ctx.trust.current(), author.clone());
            let f = frontier.clone();
            let checked = blocking(move || {
                let PartialChunk { verified, refused } =
                    verify_prefix(&author2, first, pending, state.as_ref());
                let mut f = f;
                for e in &verified {
                    f.push(e.hash());
                }
                Ok((verified, refused, f))
            })
            .await?;
            let (entries, refused, f) = checked;
            let governance = entries.iter().any(|e| {
                matches!(
                    e.header().kind,
                    EntryKind::DecisionProposal | EntryKind::DecisionApproval
                )
            });
            // A chunk is taken whole, or — when governance entries in its verified prefix
            // may make the rest valid — that prefix alone.
            let take = !entries.is_empty() && (refused.is_none() || governance);
            finish(&mut commit, &mut progress, ctx).await?;
            if take {
                verified_size += entries.len() as u64;
                frontier = f;
                commit = Some(Commit::start(ctx, &author, entries, governance));
            }
            match refused {
                None => pending = Vec::new(),
                // What is being committed may make the rest valid: one more try.
                Some((_, _, rest)) if governance && !retried => {
                    retried = true;
                    pending = rest;
                }
                Some((seq, error, _)) => {
                    finish(&mut commit, &mut progress, ctx).await?;
                    return Err(SyncError::Entry {
                        author: author.to_string(),
                        seq,
                        error,
                    });
                }
            }
        }
    }
    finish(&mut commit, &mut progress, ctx).await?;

    // The log now reaches the checkpoint: it must be the author's, and its root ours.
    let checkpoint = match verified {
        Some(v) => v,
        None => verify_checkpoint(
            head.bytes.clone(),
            head.signature.clone(),
            ctx.trust.current().as_ref(),
        )
        .map_err(SyncError::Checkpoint)?,
    };
    if frontier.root() != cp.root {
        return equivocation(peer, ctx, &checkpoint, progress.size).await;
    }
    store_checkpoint(ctx, checkpoint.clone()).await?;
    Ok(AuthorOutcome::Received(Received { progress }, checkpoint))
}

/// A verified chunk being written to the store in the background.
struct Commit {
    task: tokio::task::JoinHandle<Result<(), SyncError>>,
    entries: u64,
    bytes: u64,
    governance: bool,
}

impl Commit {
    fn start(
        ctx: &SyncContext,
        author: &CountyCode,
        entries: Vec<VerifiedEntry>,
        governance: bool,
    ) -> Commit {
        let bytes = entries
            .iter()
            .map(|e| {
                let s = e.signed();
                (s.entry.len() + s.signature.len() + s.body.len()) as u64
            })
            .sum();
        let n = entries.len() as u64;
        let (store, author) = (ctx.store.clone(), author.clone());
        let task = tokio::task::spawn_blocking(move || {
            store.append(AppendBatch {
                author,
                entries,
                checkpoint: None,
                home: Vec::new(),
            })?;
            Ok(())
        });
        Commit {
            task,
            entries: n,
            bytes,
            governance,
        }
    }
}

/// Waits for the chunk being written, counts it, and applies its governance entries.
async fn finish(
    commit: &mut Option<Commit>,
    progress: &mut AuthorProgress,
    ctx: &SyncContext,
) -> Result<(), SyncError> {
    let Some(c) = commit.take() else {
        return Ok(());
    };
    c.task.await.map_err(|e| SyncError::Task(e.to_string()))??;
    progress.size += c.entries;
    progress.entries += c.entries;
    progress.bytes += c.bytes;
    if c.governance {
        let (s, t) = (ctx.store.clone(), ctx.trust.clone());
        blocking(move || Ok(t.refresh(s.as_ref())?)).await?;
    }
    Ok(())
}

/// Keeps `checkpoint` (which matches the held log) if it is newer than the one held.
async fn store_checkpoint(
    ctx: &SyncContext,
    checkpoint: VerifiedCheckpoint,
) -> Result<(), SyncError> {
    let store = ctx.store.clone();
    blocking(move || {
        let author = checkpoint.checkpoint().author.clone();
        let held = store.checkpoint(&author)?;
        if held.is_none_or(|h| h.checkpoint().size < checkpoint.checkpoint().size) {
            store.append(AppendBatch {
                author,
                entries: Vec::new(),
                checkpoint: Some(checkpoint),
                home: Vec::new(),
            })?;
        }
        Ok(())
    })
    .await
}

/// The peer's signed view of `checkpoint.author` disagrees with this node's. Finds the
/// first position where the two logs differ by comparing entries (both author-signed),
/// stores the self-verifying evidence and freezes the log before it. When the peer cannot
/// show a differing entry, two signed checkpoints of the same size serve as evidence.
async fn equivocation<T: Transport>(
    peer: &T,
    ctx: &SyncContext,
    theirs: &VerifiedCheckpoint,
    local_size: u64,
) -> Result<AuthorOutcome, SyncError> {
    let author = theirs.checkpoint().author.clone();
    let upto = local_size.min(theirs.checkpoint().size);
    let mut proof = None;
    if upto > 0 {
        let mut chunks = peer.pull(&author, 1, upto, ctx.max_chunk).await?;
        let mut seq = 1u64;
        'scan: while let Some(chunk) = chunks.next_chunk().await? {
            let (store, a, n) = (ctx.store.clone(), author.clone(), chunk.len());
            let ours = blocking(move || Ok(store.entries(&a, seq, n)?)).await?;
            for (t, o) in chunk.into_iter().zip(ours) {
                if t.entry != o.entry {
                    let strip = |e: SignedEntry| SignedEntry {
                        body: Vec::new(),
                        ..e
                    };
                    proof = Some(EquivocationProof::Entries {
                        a: strip(o),
                        b: strip(t),
                    });
                    break 'scan;
                }
                seq += 1;
            }
            if seq > upto {
                break;
            }
        }
    }
    if proof.is_none() {
        let store = ctx.store.clone();
        let a = author.clone();
        let held = blocking(move || Ok(store.checkpoint(&a)?)).await?;
        if let Some(ours) = held.filter(|h| {
            h.checkpoint().size == theirs.checkpoint().size
                && h.checkpoint().root != theirs.checkpoint().root
        }) {
            proof = Some(EquivocationProof::Checkpoints {
                a: ours.to_wire(),
                b: theirs.to_wire(),
            });
        }
    }
    let Some(proof) = proof else {
        return Err(SyncError::RootMismatch {
            author: author.to_string(),
            size: theirs.checkpoint().size,
        });
    };
    let eq = proof
        .verify(&ctx.trust.current())
        .map_err(SyncError::Evidence)?;
    let bytes = proof.encode();
    let (store, trust) = (ctx.store.clone(), ctx.trust.clone());
    let at = eq.consistent_up_to;
    blocking(move || {
        store.add_equivocation(&eq.author, eq.consistent_up_to, &bytes)?;
        trust.refresh(store.as_ref())?;
        Ok(())
    })
    .await?;
    tracing::error!(author = %author, consistent_up_to = at, "equivocation detected: log frozen");
    Ok(AuthorOutcome::Equivocation(at))
}

/// Cosigns `checkpoint` if it is the one this node holds (so it verified the log up to
/// it), and keeps the peer's valid cosignatures of it.
async fn witness(
    ctx: &SyncContext,
    checkpoint: &VerifiedCheckpoint,
    raw: &[RawCosignature],
) -> Result<(), SyncError> {
    let state = ctx.trust.current();
    let (bytes, _) = checkpoint.to_wire();
    let cp = checkpoint.checkpoint().clone();
    let mut cosigs: Vec<Cosignature> = raw
        .iter()
        .filter_map(|r| {
            let c = Cosignature {
                witness: CountyCode::parse(&r.witness).ok()?,
                key_id: KeyId::from_slice(&r.key_id)?,
                signature: Signature::from_slice(&r.signature).ok()?,
            };
            (c.witness != cp.author && state.verify_cosignature(&c, &bytes).is_ok()).then_some(c)
        })
        .collect();
    if let Some((me, key)) = &ctx.witness {
        if me != &cp.author {
            cosigs.push(cosign(key, me, &bytes));
        }
    }
    let store = ctx.store.clone();
    blocking(move || {
        // Only a checkpoint this node holds, i.e. one whose root it verified against the
        // log it holds, is cosigned: the store ignores any other.
        let held = store.checkpoint(&cp.author)?;
        if held.is_some_and(|h| h.checkpoint() == &cp) {
            store.add_cosignatures(&cp.author, cp.size, &cp.root, cosigs)?;
        }
        Ok(())
    })
    .await
}

/// What this node answers to `Heads`.
#[derive(Debug, Clone, Default)]
pub struct Heads {
    pub heads: Vec<(VerifiedCheckpoint, Vec<Cosignature>)>,
    pub evidence: Vec<Vec<u8>>,
}

impl Heads {
    /// The answer as a peer receives it (an in-process transport hands it over as is).
    pub fn into_raw(self) -> RawHeads {
        RawHeads {
            heads: self
                .heads
                .into_iter()
                .map(|(cp, cosigs)| {
                    let (bytes, signature) = cp.to_wire();
                    RawHead {
                        bytes,
                        signature,
                        cosignatures: cosigs
                            .into_iter()
                            .map(|c| RawCosignature {
                                witness: c.witness.as_str().to_owned(),
                                key_id: c.key_id.0.to_vec(),
                                signature: c.signature.0.to_vec(),
                            })
                            .collect(),
                    }
                })
                .collect(),
            evidence: self.evidence,
        }
    }
}

/// The serving side of `Heads`: the latest checkpoint held for every author with its
/// cosignatures, and all equivocation evidence held.
pub fn serve_heads(store: &dyn Store) -> Result<Heads, StoreError> {
    let mut out = Heads::default();
    for author in store.authors()? {
        if let Some(cp) = store.checkpoint(&author)? {
            let cosigs = store.cosignatures(&author)?;
            out.heads.push((cp, cosigs));
        }
    }
    out.evidence = store
        .equivocations()?
        .into_iter()
        .map(|e| e.proof)
        .collect();
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

/// The Merkle root of the first `size` entries of `author`'s log as held (O(size)).
pub fn root_at(
    store: &dyn Store,
    author: &CountyCode,
    size: u64,
) -> Result<Option<[u8; 32]>, StoreError> {
    let mut f = Frontier::new();
    let mut next = 1u64;
    while next <= size {
        let want = usize::try_from(size - next + 1)
            .unwrap_or(usize::MAX)
            .min(4096);
        let chunk = store.entries(author, next, want)?;
        if chunk.is_empty() {
            return Ok(None);
        }
        for e in &chunk {
            f.push(leaf_hash(&e.entry));
        }
        next += chunk.len() as u64;
    }
    Ok(Some(f.root()))
}
