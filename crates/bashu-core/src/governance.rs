//! Alliance governance: decisions proposed and approved as signed entries, and the alliance
//! state every node derives from them (members, their keys per log position, thresholds,
//! parameters), plus equivocation evidence.
//!
//! Membership and key decisions act on log positions, not dates: they take effect as soon as
//! the approvals reaching the threshold are held, so accepting an entry never depends on a
//! clock. Parameter decisions carry an effective date that the rules compare with `as_of`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::Date;
use crate::entry::{
    Checkpoint, EntryHeader, EntryKind, Genesis, Keyring, ProtocolError, SignedEntry,
    decode_checkpoint,
};
use crate::id::CountyCode;
use crate::keys::{Domain, Signature};
use crate::keys::{KeyId, PublicKey};
use crate::merkle::Hash;

/// What a decision does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    /// Admit a county: its entries are accepted once the decision is active.
    AdmitMember {
        county: CountyCode,
        name: String,
        /// ed25519 public key, hex.
        signing_key: String,
        endpoint: String,
        #[serde(default)]
        tls_cert_sha256: String,
    },
    /// Remove a county: its entries from `from_seq` on are refused.
    RemoveMember { county: CountyCode, from_seq: u64 },
    /// A county signs with `new_key` from log position `from_seq` on; the old key is
    /// accepted only before it.
    RotateKey {
        county: CountyCode,
        new_key: String,
        from_seq: u64,
    },
    /// The key `key_id` of `county` is compromised: not accepted from `from_seq` on.
    DeclareCompromised {
        county: CountyCode,
        key_id: String,
        from_seq: u64,
    },
    /// Replace the recognition scope (rule parameters' `scope`, JSON).
    SetRecognitionScope { scope: serde_json::Value },
    /// Set a promotion table (rule parameters' `promotion_tables[table_id]`, JSON).
    SetPromotionTable {
        table_id: String,
        table: serde_json::Value,
    },
    /// Merge these rule parameters (JSON object) over the current ones.
    SetRuleParameters { parameters: serde_json::Value },
    /// End the freeze of an equivocating county's log: entries up to `keep_up_to` stand.
    ResolveEquivocation { county: CountyCode, keep_up_to: u64 },
}

/// The body of a `DecisionProposal` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Unique within the proposer's log.
    pub proposal_id: String,
    pub decision: Decision,
    pub effective_date: Date,
    #[serde(default)]
    pub reason: String,
}

/// The body of a `DecisionApproval` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub proposer: CountyCode,
    pub proposal_id: String,
    /// Entry hash (hex) of the proposal approved: an approval is of exact bytes.
    pub proposal_entry_hash: String,
}

impl Approval {
    pub fn record_id(&self) -> String {
        format!("{}/{}", self.proposer, self.proposal_id)
    }
}

/// A governance entry as held in the store.
#[derive(Debug, Clone)]
pub struct GovernanceEntry {
    pub author: CountyCode,
    pub seq: u64,
    pub entry_hash: Hash,
    pub kind: EntryKind,
    pub body: Vec<u8>,
}

/// A key a member signs with over a range of its log positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpan {
    pub key: PublicKey,
    pub from_seq: u64,
    /// Exclusive end (`None`: still current).
    pub until_seq: Option<u64>,
}

/// A member as the alliance state has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberState {
    pub county: CountyCode,
    pub name: String,
    pub endpoint: String,
    pub tls_cert_sha256: Vec<u8>,
    pub keys: Vec<KeySpan>,
    /// Key ids not accepted from a position on.
    pub compromised: Vec<(KeyId, u64)>,
    /// Entries from this position on are refused (removed member).
    pub removed_from: Option<u64>,
    /// How the county became a member: `None` = founder.
    pub admitted_by: Option<(CountyCode, String)>,
}

impl MemberState {
    /// The key valid at `seq`, if `key_id` names it and it is not compromised there.
    fn key_for(&self, key_id: &KeyId, seq: u64) -> Option<PublicKey> {
        if self
            .compromised
            .iter()
            .any(|(k, from)| k == key_id && seq >= *from)
        {
            return None;
        }
        self.keys
            .iter()
            .find(|s| {
                &s.key.key_id() == key_id
                    && seq >= s.from_seq
                    && s.until_seq.is_none_or(|until| seq < until)
            })
            .map(|s| s.key)
    }

    /// The key the member signs new entries with.
    pub fn current_key(&self) -> Option<PublicKey> {
        self.keys
            .iter()
            .rev()
            .find(|s| s.until_seq.is_none())
            .map(|s| s.key)
    }
}

/// A proposal and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionState {
    pub proposer: CountyCode,
    pub seq: u64,
    pub entry_hash: Hash,
    pub proposal: Proposal,
    /// Members whose approval is held (the proposer counts).
    pub approvals: BTreeSet<CountyCode>,
    pub active: bool,
}

/// Everything the replicated governance entries say about the alliance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllianceState {
    pub alliance_id: String,
    pub threshold: u32,
    pub members: BTreeMap<CountyCode, MemberState>,
    pub decisions: Vec<DecisionState>,
    /// Logs frozen after equivocation: entries after this size are not accepted.
    pub frozen: BTreeMap<CountyCode, u64>,
    pub rule_parameters_json: String,
}

fn parse_key(hex_key: &str) -> Option<PublicKey> {
    hex::decode(hex_key)
        .ok()
        .and_then(|b| PublicKey::from_slice(&b).ok())
}

impl AllianceState {
    /// The alliance as its genesis alone defines it.
    pub fn from_genesis(genesis: &Genesis) -> AllianceState {
        let members = genesis
            .members
            .iter()
            .map(|m| {
                (
                    m.county.clone(),
                    MemberState {
                        county: m.county.clone(),
                        name: m.name.clone(),
                        endpoint: m.endpoint.clone(),
                        tls_cert_sha256: m.tls_cert_sha256.clone(),
                        keys: vec![KeySpan {
                            key: m.signing_key,
                            from_seq: 1,
                            until_seq: None,
                        }],
                        compromised: Vec::new(),
                        removed_from: None,
                        admitted_by: None,
                    },
                )
            })
            .collect();
        AllianceState {
            alliance_id: genesis.alliance_id.clone(),
            threshold: genesis.threshold,
            members,
            decisions: Vec::new(),
            frozen: BTreeMap::new(),
            rule_parameters_json: genesis.rule_parameters_json.clone(),
        }
    }

    /// Derives the state from the genesis, every governance entry held (any order) and the
    /// freezes recorded from verified equivocation evidence. Deterministic: proposals are
    /// considered in (proposer, seq) order and applied until nothing changes.
    pub fn derive(
        genesis: &Genesis,
        entries: &[GovernanceEntry],
        frozen: &BTreeMap<CountyCode, u64>,
    ) -> AllianceState {
        let mut state = AllianceState::from_genesis(genesis);
        let mut proposals: Vec<DecisionState> = Vec::new();
        let mut approvals: Vec<(CountyCode, Approval)> = Vec::new();
        for e in entries {
            match e.kind {
                EntryKind::DecisionProposal => {
                    if let Ok(p) = serde_json::from_slice::<Proposal>(&e.body) {
                        proposals.push(DecisionState {
                            proposer: e.author.clone(),
                            seq: e.seq,
                            entry_hash: e.entry_hash,
                            proposal: p,
                            approvals: BTreeSet::new(),
                            active: false,
                        });
                    }
                }
                EntryKind::DecisionApproval => {
                    if let Ok(a) = serde_json::from_slice::<Approval>(&e.body) {
                        approvals.push((e.author.clone(), a));
                    }
                }
                _ => {}
            }
        }
        proposals.sort_by(|a, b| (&a.proposer, a.seq).cmp(&(&b.proposer, b.seq)));
        // A proposal id is unique per proposer: a later proposal with the same id is ignored.
        let mut seen = BTreeSet::new();
        proposals.retain(|p| seen.insert((p.proposer.clone(), p.proposal.proposal_id.clone())));

        loop {
            let mut changed = false;
            for p in proposals.iter_mut().filter(|p| !p.active) {
                let hash_hex = hex::encode(p.entry_hash);
                let mut who: BTreeSet<CountyCode> = approvals
                    .iter()
                    .filter(|(_, a)| {
                        a.proposer == p.proposer
                            && a.proposal_id == p.proposal.proposal_id
                            && a.proposal_entry_hash == hash_hex
                    })
                    .map(|(author, _)| author.clone())
                    .collect();
                who.insert(p.proposer.clone());
                who.retain(|c| {
                    state
                        .members
                        .get(c)
                        .is_some_and(|m| m.removed_from.is_none())
                });
                p.approvals = who;
                if p.approvals.len() >= state.threshold as usize {
                    p.active = true;
                    state.apply(&p.proposal.decision, &p.proposer, &p.proposal.proposal_id);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (county, at) in frozen {
            let resolved = proposals.iter().any(|p| {
                p.active
                    && matches!(&p.proposal.decision,
                        Decision::ResolveEquivocation { county: c, .. } if c == county)
            });
            if !resolved {
                state.frozen.insert(county.clone(), *at);
            }
        }
        state.decisions = proposals;
        state
    }

    fn apply(&mut self, decision: &Decision, proposer: &CountyCode, proposal_id: &str) {
        match decision {
            Decision::AdmitMember {
                county,
                name,
                signing_key,
                endpoint,
                tls_cert_sha256,
            } => {
                let Some(key) = parse_key(signing_key) else {
                    return;
                };
                self.members
                    .entry(county.clone())
                    .or_insert_with(|| MemberState {
                        county: county.clone(),
                        name: name.clone(),
                        endpoint: endpoint.clone(),
                        tls_cert_sha256: hex::decode(tls_cert_sha256).unwrap_or_default(),
                        keys: vec![KeySpan {
                            key,
                            from_seq: 1,
                            until_seq: None,
                        }],
                        compromised: Vec::new(),
                        removed_from: None,
                        admitted_by: Some((proposer.clone(), proposal_id.to_owned())),
                    });
            }
            Decision::RemoveMember { county, from_seq } => {
                if let Some(m) = self.members.get_mut(county) {
                    m.removed_from = Some((*from_seq).max(1));
                }
            }
            Decision::RotateKey {
                county,
                new_key,
                from_seq,
            } => {
                let (Some(m), Some(key)) = (self.members.get_mut(county), parse_key(new_key))
                else {
                    return;
                };
                let from = (*from_seq).max(1);
                for span in m.keys.iter_mut().filter(|s| s.until_seq.is_none()) {
                    span.until_seq = Some(from);
                }
                m.keys.push(KeySpan {
                    key,
                    from_seq: from,
                    until_seq: None,
                });
            }
            Decision::DeclareCompromised {
                county,
                key_id,
                from_seq,
            } => {
                let Some(m) = self.members.get_mut(county) else {
                    return;
                };
                if let Some(id) = hex::decode(key_id).ok().and_then(|b| KeyId::from_slice(&b)) {
                    m.compromised.push((id, (*from_seq).max(1)));
                }
            }
            // Parameter decisions are read by the rules with their effective dates;
            // resolutions are applied to the freezes after the fixpoint.
            Decision::SetRecognitionScope { .. }
            | Decision::SetPromotionTable { .. }
            | Decision::SetRuleParameters { .. }
            | Decision::ResolveEquivocation { .. } => {}
        }
    }

    pub fn member(&self, county: &CountyCode) -> Option<&MemberState> {
        self.members.get(county)
    }

    /// Whether `county` is a member (admitted and not removed).
    pub fn is_member(&self, county: &CountyCode) -> bool {
        self.members
            .get(county)
            .is_some_and(|m| m.removed_from.is_none())
    }

    /// The key `author` held at `seq`, ignoring freezes (for judging evidence).
    pub fn signing_key_at(
        &self,
        author: &CountyCode,
        key_id: &KeyId,
        seq: u64,
    ) -> Result<PublicKey, ProtocolError> {
        let member = self
            .members
            .get(author)
            .ok_or_else(|| ProtocolError::NotMember(author.to_string()))?;
        if member.removed_from.is_some_and(|from| seq >= from) {
            return Err(ProtocolError::NotMember(author.to_string()));
        }
        member
            .key_for(key_id, seq)
            .ok_or_else(|| ProtocolError::UnknownKey {
                author: author.to_string(),
                key_id: key_id.to_string(),
                seq,
            })
    }

    /// Active parameter decisions effective on or before `as_of`, in (effective date,
    /// proposer, seq) order.
    pub fn parameter_decisions(&self, as_of: Date) -> Vec<&DecisionState> {
        let mut v: Vec<&DecisionState> = self
            .decisions
            .iter()
            .filter(|d| {
                d.active
                    && d.proposal.effective_date <= as_of
                    && matches!(
                        d.proposal.decision,
                        Decision::SetRecognitionScope { .. }
                            | Decision::SetPromotionTable { .. }
                            | Decision::SetRuleParameters { .. }
                    )
            })
            .collect();
        v.sort_by(|a, b| {
            (a.proposal.effective_date, &a.proposer, a.seq).cmp(&(
                b.proposal.effective_date,
                &b.proposer,
                b.seq,
            ))
        });
        v
    }
}

impl Keyring for AllianceState {
    fn alliance_id(&self) -> &str {
        &self.alliance_id
    }

    fn key_at(
        &self,
        author: &CountyCode,
        key_id: &KeyId,
        seq: u64,
    ) -> Result<PublicKey, ProtocolError> {
        if let Some(at) = self.frozen.get(author) {
            if seq > *at {
                return Err(ProtocolError::Frozen {
                    author: author.to_string(),
                    at: *at,
                });
            }
        }
        self.signing_key_at(author, key_id, seq)
    }
}

// ------------------------------------------------------------------ equivocation

fn verify_checkpoint_bytes(
    bytes: &[u8],
    signature: &[u8],
    state: &AllianceState,
) -> Result<Checkpoint, ProtocolError> {
    let cp = decode_checkpoint(bytes)?;
    let key = state.signing_key_at(&cp.author, &cp.key_id, cp.size)?;
    key.verify(
        Domain::Checkpoint,
        bytes,
        &Signature::from_slice(signature)?,
    )?;
    Ok(cp)
}

fn verify_entry_signature(
    e: &SignedEntry,
    state: &AllianceState,
) -> Result<EntryHeader, ProtocolError> {
    let h = EntryHeader::decode(&e.entry)?;
    let key = state.signing_key_at(&h.author, &h.key_id, h.seq)?;
    key.verify(
        Domain::Entry,
        &e.entry,
        &Signature::from_slice(&e.signature)?,
    )?;
    Ok(h)
}

/// Self-verifying proof that an author signed two incompatible histories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EquivocationProof {
    /// Two signed checkpoints of the same size with different roots.
    Checkpoints {
        a: (Vec<u8>, Vec<u8>),
        b: (Vec<u8>, Vec<u8>),
    },
    /// Two signed entries at the same position with different bytes (bodies not needed).
    Entries { a: SignedEntry, b: SignedEntry },
}

/// What verified evidence establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equivocation {
    pub author: CountyCode,
    /// The log is consistent up to (and including) this size.
    pub consistent_up_to: u64,
}

impl EquivocationProof {
    /// Checks the proof under the author's keys (freezes ignored).
    pub fn verify(&self, state: &AllianceState) -> Result<Equivocation, ProtocolError> {
        let not_proof =
            |why: &str| ProtocolError::Decode(format!("not an equivocation proof: {why}"));
        match self {
            EquivocationProof::Checkpoints { a, b } => {
                let ca = verify_checkpoint_bytes(&a.0, &a.1, state)?;
                let cb = verify_checkpoint_bytes(&b.0, &b.1, state)?;
                if ca.author != cb.author || ca.size != cb.size {
                    return Err(not_proof("different authors or sizes"));
                }
                if ca.root == cb.root {
                    return Err(not_proof("same root"));
                }
                Ok(Equivocation {
                    author: ca.author,
                    consistent_up_to: ca.size.saturating_sub(1),
                })
            }
            EquivocationProof::Entries { a, b } => {
                let ha = verify_entry_signature(a, state)?;
                let hb = verify_entry_signature(b, state)?;
                if ha.author != hb.author || ha.seq != hb.seq {
                    return Err(not_proof("different authors or positions"));
                }
                if a.entry == b.entry {
                    return Err(not_proof("same entry"));
                }
                Ok(Equivocation {
                    author: ha.author,
                    consistent_up_to: ha.seq.saturating_sub(1),
                })
            }
        }
    }

    /// Persisted and wire form (JSON with hex fields; small and rare).
    pub fn encode(&self) -> Vec<u8> {
        let v = match self {
            EquivocationProof::Checkpoints { a, b } => serde_json::json!({
                "type": "CHECKPOINTS",
                "a": [hex::encode(&a.0), hex::encode(&a.1)],
                "b": [hex::encode(&b.0), hex::encode(&b.1)],
            }),
            EquivocationProof::Entries { a, b } => serde_json::json!({
                "type": "ENTRIES",
                "a": [hex::encode(&a.entry), hex::encode(&a.signature)],
                "b": [hex::encode(&b.entry), hex::encode(&b.signature)],
            }),
        };
        serde_json::to_vec(&v).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Result<EquivocationProof, ProtocolError> {
        let bad = || ProtocolError::Decode("equivocation proof does not decode".into());
        let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| bad())?;
        let pair = |k: &str| -> Result<(Vec<u8>, Vec<u8>), ProtocolError> {
            let arr = v.get(k).and_then(|x| x.as_array()).ok_or_else(bad)?;
            let h = |i: usize| {
                arr.get(i)
                    .and_then(|x| x.as_str())
                    .and_then(|s| hex::decode(s).ok())
                    .ok_or_else(bad)
            };
            Ok((h(0)?, h(1)?))
        };
        let (a, b) = (pair("a")?, pair("b")?);
        match v.get("type").and_then(|t| t.as_str()) {
            Some("CHECKPOINTS") => Ok(EquivocationProof::Checkpoints { a, b }),
            Some("ENTRIES") => Ok(EquivocationProof::Entries {
                a: SignedEntry {
                    entry: a.0,
                    signature: a.1,
                    body: Vec::new(),
                },
                b: SignedEntry {
                    entry: b.0,
                    signature: b.1,
                    body: Vec::new(),
                },
            }),
            _ => Err(bad()),
        }
    }
}

// ------------------------------------------------------------------ witnessing

/// A member's signature over another member's checkpoint: "I hold this log and it extends
/// everything I saw of it before". Signed as `"bashu/cosignature/v1\n" ‖ checkpoint bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    pub witness: CountyCode,
    pub key_id: KeyId,
    pub signature: Signature,
}

/// Cosigns checkpoint `bytes` as `witness`.
pub fn cosign(key: &crate::keys::SigningKey, witness: &CountyCode, bytes: &[u8]) -> Cosignature {
    Cosignature {
        witness: witness.clone(),
        key_id: key.key_id(),
        signature: key.sign(Domain::Cosignature, bytes),
    }
}

impl AllianceState {
    /// Checks a cosignature over checkpoint `bytes`: the witness is a member, the key is its
    /// current one, and the signature verifies.
    pub fn verify_cosignature(&self, c: &Cosignature, bytes: &[u8]) -> Result<(), ProtocolError> {
        let m = self
            .members
            .get(&c.witness)
            .filter(|m| m.removed_from.is_none())
            .ok_or_else(|| ProtocolError::NotMember(c.witness.to_string()))?;
        let key = m
            .current_key()
            .filter(|k| k.key_id() == c.key_id)
            .ok_or_else(|| ProtocolError::UnknownKey {
                author: c.witness.to_string(),
                key_id: c.key_id.to_string(),
                seq: 0,
            })?;
        Ok(key.verify(Domain::Cosignature, bytes, &c.signature)?)
    }
}
