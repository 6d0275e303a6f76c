//! What this node knows about the federation right now: each member's log as held here,
//! its checkpoint and cosignatures, how far behind the peers' announcements it is, frozen
//! logs, and the sync history per peer. One gathering feeds `/metrics`, the console and
//! `Admin.Status` (`bashu status`), so the three always agree.

use std::collections::BTreeSet;

use bashu_core::CountyCode;
use bashu_store::StoreError;

use crate::metrics::PeerHistory;
use crate::node::NodeState;

/// One author's log as this node holds it.
#[derive(Debug, Clone)]
pub(crate) struct LogFacts {
    pub county: CountyCode,
    /// The member's name in the alliance state; empty for an author that is not (or no
    /// longer) known as a member.
    pub name: String,
    pub member: bool,
    pub removed: bool,
    pub size: u64,
    pub root: [u8; 32],
    pub checkpoint_size: u64,
    pub checkpoint_signed_at_ms: i64,
    pub cosignatures: usize,
    /// Entries a peer announced beyond what is held here (0 when caught up).
    pub lag_entries: u64,
    /// How much older the checkpoint held here is than the newest announced one.
    pub lag_seconds: f64,
    /// The log is frozen after this size (equivocation).
    pub frozen_at: Option<u64>,
}

/// The sync history with one configured peer.
#[derive(Debug, Clone)]
pub(crate) struct PeerFacts {
    pub county: String,
    pub endpoint: String,
    pub history: PeerHistory,
}

/// Everything gathered, for one moment.
#[derive(Debug, Clone, Default)]
pub(crate) struct FederationFacts {
    pub county: String,
    pub alliance_id: String,
    pub logs: Vec<LogFacts>,
    pub peers: Vec<PeerFacts>,
    pub evidence: usize,
    pub store_bytes: Option<u64>,
    pub own_log_confirmed: bool,
}

/// Reads the facts (blocking: call from `spawn_blocking`). Members without any entry yet
/// are listed with size 0; authors held but not members (removed, or not yet admitted
/// here) are listed too.
pub(crate) fn gather(state: &NodeState, now_ms: i64) -> Result<FederationFacts, StoreError> {
    let alliance = state.trust.current();
    let store = state.store.as_ref();
    let seen = state.metrics.seen_heads();
    let mut counties: BTreeSet<CountyCode> = alliance.members.keys().cloned().collect();
    counties.extend(store.authors()?);
    let mut logs = Vec::with_capacity(counties.len());
    for county in counties {
        let log = store.log_state(&county)?;
        let checkpoint = store.checkpoint(&county)?;
        let cosignatures = store.cosignatures(&county)?.len();
        let (checkpoint_size, checkpoint_signed_at_ms) = checkpoint.as_ref().map_or((0, 0), |c| {
            (c.checkpoint().size, c.checkpoint().signed_at_ms)
        });
        let member = alliance.members.get(&county);
        let (lag_entries, lag_seconds) = match seen.get(county.as_str()) {
            Some(s) if s.size > log.size => {
                let behind_ms = if checkpoint.is_some() {
                    s.signed_at_ms - checkpoint_signed_at_ms
                } else {
                    now_ms - s.signed_at_ms
                };
                (s.size - log.size, (behind_ms.max(0) as f64) / 1000.0)
            }
            _ => (0, 0.0),
        };
        logs.push(LogFacts {
            name: member.map(|m| m.name.clone()).unwrap_or_default(),
            member: member.is_some(),
            removed: member.is_some_and(|m| m.removed_from.is_some()),
            size: log.size,
            root: log.frontier.root(),
            checkpoint_size,
            checkpoint_signed_at_ms,
            cosignatures,
            lag_entries,
            lag_seconds,
            frozen_at: alliance.frozen.get(&county).copied(),
            county,
        });
    }
    let history = state.metrics.peer_history();
    let peers = state
        .peers
        .iter()
        .map(|p| PeerFacts {
            county: p.county.clone(),
            endpoint: p.endpoint.clone(),
            history: history.get(&p.county).cloned().unwrap_or_default(),
        })
        .collect();
    Ok(FederationFacts {
        county: state.county.as_str().to_owned(),
        alliance_id: alliance.alliance_id.clone(),
        logs,
        peers,
        evidence: store.equivocations()?.len(),
        store_bytes: state.metrics.store_bytes(),
        own_log_confirmed: *state.own_log_confirmed.borrow(),
    })
}

/// The facts as an `Admin.Status` answer.
pub(crate) fn status_response(
    facts: FederationFacts,
    now_ms: i64,
) -> bashu_proto::v1::StatusResponse {
    use bashu_proto::v1 as pb;
    pb::StatusResponse {
        county: facts.county,
        alliance_id: facts.alliance_id,
        logs: facts
            .logs
            .into_iter()
            .map(|l| pb::LogStatus {
                author: l.county.as_str().to_owned(),
                size: l.size,
                root: l.root.to_vec(),
                checkpoint_size: l.checkpoint_size,
                checkpoint_signed_at_ms: l.checkpoint_signed_at_ms,
                name: l.name,
                cosignatures: u32::try_from(l.cosignatures).unwrap_or(u32::MAX),
                lag_entries: l.lag_entries,
                lag_seconds: l.lag_seconds,
                frozen: l.frozen_at.is_some(),
                frozen_at: l.frozen_at.unwrap_or(0),
                member: l.member,
                removed: l.removed,
            })
            .collect(),
        peers: facts
            .peers
            .into_iter()
            .map(|p| pb::PeerStatus {
                county: p.county,
                endpoint: p.endpoint,
                last_success_unix: p.history.last_success.unwrap_or(0),
                last_attempt_unix: p.history.last_attempt.unwrap_or(0),
                last_error: p.history.last_error.unwrap_or_default(),
            })
            .collect(),
        equivocation_evidence: u32::try_from(facts.evidence).unwrap_or(u32::MAX),
        store_bytes: facts.store_bytes.unwrap_or(0),
        own_log_confirmed: facts.own_log_confirmed,
        now_ms,
    }
}
