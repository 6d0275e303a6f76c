//! The alliance state a node verifies against: the genesis plus every governance entry and
//! equivocation freeze it holds, re-derived whenever those change.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use bashu_core::CountyCode;
use bashu_core::entry::{EntryKind, Genesis};
use bashu_core::governance::{AllianceState, GovernanceEntry};
use bashu_store::{Store, StoreError};

/// The node's current view of who may sign what.
pub struct Trust {
    genesis: Genesis,
    state: RwLock<Arc<AllianceState>>,
}

impl Trust {
    /// Derives the state from the genesis and what `store` holds.
    pub fn load(genesis: Genesis, store: &dyn Store) -> Result<Trust, StoreError> {
        let state = derive(&genesis, store)?;
        Ok(Trust {
            genesis,
            state: RwLock::new(Arc::new(state)),
        })
    }

    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The state as last derived.
    pub fn current(&self) -> Arc<AllianceState> {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Re-derives the state after governance entries or evidence were stored.
    pub fn refresh(&self, store: &dyn Store) -> Result<Arc<AllianceState>, StoreError> {
        let state = Arc::new(derive(&self.genesis, store)?);
        *self
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = state.clone();
        Ok(state)
    }
}

fn derive(genesis: &Genesis, store: &dyn Store) -> Result<AllianceState, StoreError> {
    let mut entries = Vec::new();
    for kind in [EntryKind::DecisionProposal, EntryKind::DecisionApproval] {
        for p in store.records_of_kind(kind)? {
            if let Some(body) = store.body(&p)? {
                entries.push(GovernanceEntry {
                    author: p.author,
                    seq: p.seq,
                    entry_hash: p.entry_hash,
                    kind,
                    body,
                });
            }
        }
    }
    let mut frozen: BTreeMap<CountyCode, u64> = BTreeMap::new();
    for e in store.equivocations()? {
        let at = frozen.entry(e.author).or_insert(e.consistent_up_to);
        *at = (*at).min(e.consistent_up_to);
    }
    Ok(AllianceState::derive(genesis, &entries, &frozen))
}
