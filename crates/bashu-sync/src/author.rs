//! Appending to this node's own log: only changes become entries, each append batch is
//! signed and closed by a checkpoint that extends the last one. A large submission is
//! written in parts, the next part checked and signed while one is written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bashu_core::CountyCode;
use bashu_core::entry::Keyring;
use bashu_core::entry::{EntryDraft, EntryKind, body_hash, sign_checkpoint, sign_entry};
use bashu_core::governance::Decision;
use bashu_core::keys::SigningKey;
use bashu_core::merkle::{Frontier, Hash};
use bashu_store::{AppendBatch, HomeRecord, Store, StoreError};

use crate::par::in_parts;
use crate::trust::Trust;

/// Why this node may not append now.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The configured key is not the one the alliance accepts for the next position.
    #[error("the configured signing key may not sign position {seq} of {county}'s log: {reason}")]
    KeyNotValid {
        county: String,
        seq: u64,
        reason: String,
    },
    /// A rotation of this county's key is proposed but not yet approved.
    #[error(
        "a rotation of {county}'s signing key from position {from_seq} awaits approval; no entries until it is active"
    )]
    RotationPending { county: String, from_seq: u64 },
}

/// A record this county wants in its log.
#[derive(Debug, Clone)]
pub struct OwnRecord {
    pub kind: EntryKind,
    pub record_id: String,
    pub body: Vec<u8>,
    /// Home-only data stored with it (never replicated).
    pub home: Vec<HomeRecord>,
}

/// What a submission changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubmitOutcome {
    pub created: u64,
    pub unchanged: u64,
    pub log_size: u64,
}

/// The writer of this node's own log. One per node; appends are serialised.
pub struct LocalAuthor {
    store: Arc<dyn Store>,
    trust: Arc<Trust>,
    key: SigningKey,
    alliance_id: String,
    county: CountyCode,
    lock: Mutex<()>,
}

impl LocalAuthor {
    pub fn new(
        store: Arc<dyn Store>,
        trust: Arc<Trust>,
        key: SigningKey,
        alliance_id: String,
        county: CountyCode,
    ) -> LocalAuthor {
        LocalAuthor {
            store,
            trust,
            key,
            alliance_id,
            county,
            lock: Mutex::new(()),
        }
    }

    pub fn county(&self) -> &CountyCode {
        &self.county
    }

    /// The signing key (this node also cosigns with it).
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Whether the configured key may sign position `seq` now.
    fn check_key(&self, seq: u64) -> Result<(), WriteError> {
        let state = self.trust.current();
        if state.member(&self.county).is_none() {
            // Not admitted yet: the entries wait in this log and are accepted by the others
            // once an admission with this key is approved.
            return Ok(());
        }
        if let Err(e) = state.key_at(&self.county, &self.key.key_id(), seq) {
            return Err(WriteError::KeyNotValid {
                county: self.county.to_string(),
                seq,
                reason: e.to_string(),
            });
        }
        let pending = state
            .decisions
            .iter()
            .find_map(|d| match &d.proposal.decision {
                Decision::RotateKey {
                    county, from_seq, ..
                } if !d.active && county == &self.county && *from_seq <= seq => Some(*from_seq),
                _ => None,
            });
        match pending {
            Some(from_seq) => Err(WriteError::RotationPending {
                county: self.county.to_string(),
                from_seq,
            }),
            None => Ok(()),
        }
    }

    /// Appends the records whose body differs from the latest version held. Blocking.
    ///
    /// The records are taken in parts of [`PART`]: each part is one atomic, durable append
    /// closed by a signed checkpoint, and while one part is written the next is compared
    /// with what is held and signed. A part is written only once the one before it is; an
    /// error stops the submission there (the parts before it stay stored, and submitting
    /// the same records again stores only what is missing).
    pub fn submit(
        &self,
        records: Vec<OwnRecord>,
        now_ms: i64,
    ) -> Result<SubmitOutcome, WriteError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let state = self.store.log_state(&self.county)?;
        let mut next = Next {
            frontier: state.frontier,
            seen: HashMap::new(),
            outcome: SubmitOutcome::default(),
        };
        let store = &self.store;
        std::thread::scope(|s| {
            let mut writing: Option<std::thread::ScopedJoinHandle<'_, Result<(), StoreError>>> =
                None;
            let mut rest = records;
            while !rest.is_empty() {
                let tail = rest.split_off(PART.min(rest.len()));
                let part = std::mem::replace(&mut rest, tail);
                let batch = self.prepare(part, now_ms, &mut next)?;
                if let Some(w) = writing.take() {
                    joined(w)?;
                }
                writing = batch.map(|b| s.spawn(move || store.append(b).map(drop)));
            }
            match writing {
                Some(w) => joined(w),
                None => Ok(()),
            }
        })?;
        next.outcome.log_size = next.frontier.size();
        Ok(next.outcome)
    }

    /// One part of a submission: what changed, as signed entries at the positions after
    /// `next.frontier`, with their checkpoint; `None` when nothing changed.
    fn prepare(
        &self,
        records: Vec<OwnRecord>,
        now_ms: i64,
        next: &mut Next,
    ) -> Result<Option<AppendBatch>, WriteError> {
        let first = next.frontier.size() + 1;
        let mut drafts = Vec::new();
        let mut home = Vec::new();
        for rec in records {
            let hash = body_hash(&rec.body);
            let key = (rec.kind, rec.record_id.clone());
            // Parts before this one may still be being written: what they hold is in `seen`.
            let latest = match next.seen.get(&key) {
                Some(h) => Some(*h),
                None => self
                    .store
                    .record(rec.kind, &self.county, &rec.record_id)?
                    .map(|p| p.body_hash),
            };
            if latest == Some(hash) {
                next.outcome.unchanged += 1;
                continue;
            }
            next.seen.insert(key, hash);
            drafts.push(EntryDraft {
                alliance_id: self.alliance_id.clone(),
                author: self.county.clone(),
                seq: first + drafts.len() as u64,
                authored_at_ms: now_ms,
                kind: rec.kind,
                record_id: rec.record_id,
                body: rec.body,
            });
            home.extend(rec.home);
            next.outcome.created += 1;
        }
        if drafts.is_empty() {
            return Ok(None);
        }
        let last = first + drafts.len() as u64 - 1;
        self.check_key(first)?;
        self.check_key(last)?;
        // Signing is spread over the cores; positions were fixed above.
        let entries: Vec<_> = in_parts(drafts, |_, part| {
            part.into_iter()
                .map(|d| sign_entry(&self.key, d))
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
        for e in &entries {
            next.frontier.push(e.hash());
        }
        let checkpoint = sign_checkpoint(
            &self.key,
            &self.alliance_id,
            &self.county,
            next.frontier.size(),
            next.frontier.root(),
            now_ms,
        );
        Ok(Some(AppendBatch {
            author: self.county.clone(),
            entries,
            checkpoint: Some(checkpoint),
            home,
        }))
    }
}

/// Records per atomic append of a submission.
pub const PART: usize = 1000;

/// Where a submission has got to: the log as it will be once the parts so far are written,
/// the body hash of every record they hold, and the counts.
struct Next {
    frontier: Frontier,
    seen: HashMap<(EntryKind, String), Hash>,
    outcome: SubmitOutcome,
}

/// The outcome of a part's append (a panic in it is resumed here).
fn joined(w: std::thread::ScopedJoinHandle<'_, Result<(), StoreError>>) -> Result<(), WriteError> {
    w.join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .map_err(WriteError::from)
}
