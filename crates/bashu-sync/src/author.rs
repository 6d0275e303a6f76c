//! Appending to this node's own log: only changes become entries, each append batch is
//! signed and closed by a checkpoint that extends the last one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bashu_core::CountyCode;
use bashu_core::entry::Keyring;
use bashu_core::entry::{EntryDraft, EntryKind, body_hash, sign_checkpoint, sign_entry};
use bashu_core::governance::Decision;
use bashu_core::keys::SigningKey;
use bashu_core::merkle::Hash;
use bashu_store::{AppendBatch, HomeRecord, Store, StoreError};

use crate::par;
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

    /// Appends the records whose body differs from the latest version held, as one
    /// atomic, durable batch closed by a signed checkpoint. Blocking.
    pub fn submit(
        &self,
        records: Vec<OwnRecord>,
        now_ms: i64,
    ) -> Result<SubmitOutcome, WriteError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let state = self.store.log_state(&self.county)?;
        let mut frontier = state.frontier;
        let mut seen: HashMap<(EntryKind, String), Hash> = HashMap::new();
        let mut drafts = Vec::new();
        let mut home = Vec::new();
        let mut outcome = SubmitOutcome::default();
        // The versions held, looked up on all cores (the store's reads are independent).
        let held: Vec<Option<Hash>> = par::map(records.iter().collect(), |rec| {
            self.store
                .record(rec.kind, &self.county, &rec.record_id)
                .map(|p| p.map(|p| p.body_hash))
        })
        .into_iter()
        .collect::<Result<_, StoreError>>()?;
        for (rec, held) in records.into_iter().zip(held) {
            let hash = body_hash(&rec.body);
            let key = (rec.kind, rec.record_id.clone());
            // An earlier record of this submission is newer than what is held.
            let latest = seen.get(&key).copied().or(held);
            if latest == Some(hash) {
                outcome.unchanged += 1;
                continue;
            }
            seen.insert(key, hash);
            drafts.push(EntryDraft {
                alliance_id: self.alliance_id.clone(),
                author: self.county.clone(),
                seq: state.size + 1 + drafts.len() as u64,
                authored_at_ms: now_ms,
                kind: rec.kind,
                record_id: rec.record_id,
                body: rec.body,
            });
            home.extend(rec.home);
            outcome.created += 1;
        }
        // Signing is spread over the cores; positions were fixed above.
        let entries = par::map(drafts, |d| sign_entry(&self.key, d));
        for e in &entries {
            frontier.push(e.hash());
        }
        outcome.log_size = frontier.size();
        if entries.is_empty() {
            return Ok(outcome);
        }
        self.check_key(state.size + 1)?;
        self.check_key(frontier.size())?;
        let checkpoint = sign_checkpoint(
            &self.key,
            &self.alliance_id,
            &self.county,
            frontier.size(),
            frontier.root(),
            now_ms,
        );
        self.store.append(AppendBatch {
            author: self.county.clone(),
            entries,
            checkpoint: Some(checkpoint),
            home,
        })?;
        Ok(outcome)
    }
}
