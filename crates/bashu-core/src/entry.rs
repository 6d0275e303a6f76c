//! Log entries, checkpoints and the alliance genesis: signing and acceptance.
//!
//! An entry is carried and stored as the exact protobuf bytes that were signed. Acceptance
//! decodes those bytes, checks them against the expected author and position, checks the
//! body hash and verifies the signature strictly under the key the author held. Only then
//! does a [`VerifiedEntry`] exist; the store accepts nothing else.

use prost::Message;
use sha2::{Digest, Sha256};

use bashu_proto::v1 as pb;

use crate::id::CountyCode;
use crate::keys::{Domain, KeyError, KeyId, PublicKey, Signature, SigningKey};
use crate::merkle::{Hash, leaf_hash};

/// What an entry's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    Certificate,
    CertificateStatus,
    Institution,
    Filing,
    FilingStatus,
    Expert,
    Relation,
    AssessmentBatch,
    Competition,
    CompetitionResult,
    Occupation,
    UrgentList,
    DecisionProposal,
    DecisionApproval,
}

impl EntryKind {
    pub const ALL: [EntryKind; 14] = [
        EntryKind::Certificate,
        EntryKind::CertificateStatus,
        EntryKind::Institution,
        EntryKind::Filing,
        EntryKind::FilingStatus,
        EntryKind::Expert,
        EntryKind::Relation,
        EntryKind::AssessmentBatch,
        EntryKind::Competition,
        EntryKind::CompetitionResult,
        EntryKind::Occupation,
        EntryKind::UrgentList,
        EntryKind::DecisionProposal,
        EntryKind::DecisionApproval,
    ];

    /// The wire number (proto `EntryKind`), also used as a one-byte tag in store keys.
    pub fn code(self) -> u8 {
        match self {
            EntryKind::Certificate => 1,
            EntryKind::CertificateStatus => 2,
            EntryKind::Institution => 3,
            EntryKind::Filing => 4,
            EntryKind::FilingStatus => 5,
            EntryKind::Expert => 6,
            EntryKind::Relation => 7,
            EntryKind::AssessmentBatch => 8,
            EntryKind::Competition => 9,
            EntryKind::CompetitionResult => 10,
            EntryKind::Occupation => 11,
            EntryKind::UrgentList => 12,
            EntryKind::DecisionProposal => 13,
            EntryKind::DecisionApproval => 14,
        }
    }

    pub fn from_code(code: i64) -> Option<EntryKind> {
        EntryKind::ALL
            .into_iter()
            .find(|k| i64::from(k.code()) == code)
    }
}

/// Why an entry, checkpoint or genesis was refused. Protocol-level: the data is not what
/// its author signed, or not from whom it claims.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("entry bytes do not decode: {0}")]
    Decode(String),
    #[error("entry belongs to alliance {found:?}, expected {expected:?}")]
    WrongAlliance { expected: String, found: String },
    #[error("entry author {found} is not the expected {expected}")]
    WrongAuthor { expected: String, found: String },
    #[error("entry of {author} at seq {found}, expected seq {expected}")]
    WrongSeq {
        author: String,
        expected: u64,
        found: u64,
    },
    #[error("{0} is not a member of the alliance")]
    NotMember(String),
    #[error("key {key_id} is not the signing key of {author} at position {seq}")]
    UnknownKey {
        author: String,
        key_id: String,
        seq: u64,
    },
    #[error("the log of {author} is frozen at {at} after equivocation")]
    Frozen { author: String, at: u64 },
    #[error("unknown entry kind {0}")]
    UnknownKind(i32),
    #[error("body hash does not match the body")]
    BodyHash,
    #[error("bad signature: {0}")]
    Signature(#[from] KeyError),
    #[error("genesis signature of {county} does not verify")]
    GenesisSignature { county: String },
    #[error("genesis is not signed by founder {0}")]
    GenesisMissingSignature(String),
    #[error("genesis carries a signature of {0}, who is not a founder")]
    GenesisStraySignature(String),
    #[error("genesis is invalid: {0}")]
    GenesisInvalid(String),
    /// SPEC R16 at receive: a replicated body carries what must stay on the home node (a
    /// full ID number, or an ID number field that is not the canonical mask). The reason
    /// names the field, never its content.
    #[error("entry body carries personal data that stays on the home node: {0}")]
    PersonalData(String),
}

fn decode_err(e: prost::DecodeError) -> ProtocolError {
    ProtocolError::Decode(e.to_string())
}

/// Who may sign what: the keys each member held at each position of its log.
pub trait Keyring {
    fn alliance_id(&self) -> &str;
    /// The public key `author` signs with at log position `seq`, if `key_id` names it.
    fn key_at(
        &self,
        author: &CountyCode,
        key_id: &KeyId,
        seq: u64,
    ) -> Result<PublicKey, ProtocolError>;
}

/// An entry as it travels and is stored: envelope bytes, signature and body. Not trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedEntry {
    pub entry: Vec<u8>,
    pub signature: Vec<u8>,
    pub body: Vec<u8>,
}

impl SignedEntry {
    /// Encoded as the protobuf `SignedEntry` (how the store keeps it).
    pub fn encode(&self) -> Vec<u8> {
        pb::SignedEntry {
            entry: self.entry.clone(),
            signature: self.signature.clone(),
            body: self.body.clone(),
        }
        .encode_to_vec()
    }

    pub fn decode(b: &[u8]) -> Result<SignedEntry, ProtocolError> {
        let m = pb::SignedEntry::decode(b).map_err(decode_err)?;
        Ok(SignedEntry {
            entry: m.entry,
            signature: m.signature,
            body: m.body,
        })
    }
}

/// The decoded envelope of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryHeader {
    pub alliance_id: String,
    pub author: CountyCode,
    pub seq: u64,
    pub authored_at_ms: i64,
    pub key_id: KeyId,
    pub kind: EntryKind,
    pub record_id: String,
    pub body_hash: Hash,
}

impl EntryHeader {
    pub(crate) fn decode(bytes: &[u8]) -> Result<EntryHeader, ProtocolError> {
        let m = pb::Entry::decode(bytes).map_err(decode_err)?;
        let author = CountyCode::parse(&m.author)
            .map_err(|e| ProtocolError::Decode(format!("author: {}", e.message_en)))?;
        let key_id = KeyId::from_slice(&m.key_id)
            .ok_or_else(|| ProtocolError::Decode("key id is not 16 bytes".into()))?;
        let kind =
            EntryKind::from_code(i64::from(m.kind)).ok_or(ProtocolError::UnknownKind(m.kind))?;
        let body_hash = <[u8; 32]>::try_from(m.body_hash.as_slice())
            .map_err(|_| ProtocolError::Decode("body hash is not 32 bytes".into()))?;
        Ok(EntryHeader {
            alliance_id: m.alliance_id,
            author,
            seq: m.seq,
            authored_at_ms: m.authored_at_ms,
            key_id,
            kind,
            record_id: m.record_id,
            body_hash,
        })
    }
}

/// An entry whose bytes, position, body and signature have been checked. Only
/// [`verify_entry`] and [`sign_entry`] make one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEntry {
    header: EntryHeader,
    signed: SignedEntry,
    hash: Hash,
}

impl VerifiedEntry {
    pub fn header(&self) -> &EntryHeader {
        &self.header
    }
    pub fn signed(&self) -> &SignedEntry {
        &self.signed
    }
    /// The entry hash: the RFC 6962 leaf hash of the envelope bytes.
    pub fn hash(&self) -> Hash {
        self.hash
    }
    pub fn body(&self) -> &[u8] {
        &self.signed.body
    }
    pub fn into_signed(self) -> SignedEntry {
        self.signed
    }

    /// Rebuilds a verified entry from the store's own bytes. The store only ever holds
    /// entries that were verified before they were written, so this re-checks decoding and
    /// the body hash (cheap) but not the signature (expensive).
    pub fn from_trusted_storage(signed: SignedEntry) -> Result<VerifiedEntry, ProtocolError> {
        let header = EntryHeader::decode(&signed.entry)?;
        if !signed.body.is_empty() && body_hash(&signed.body) != header.body_hash {
            return Err(ProtocolError::BodyHash);
        }
        let hash = leaf_hash(&signed.entry);
        Ok(VerifiedEntry {
            header,
            signed,
            hash,
        })
    }
}

/// SHA-256 of a body.
pub fn body_hash(body: &[u8]) -> Hash {
    Sha256::digest(body).into()
}

/// What an author is about to append.
#[derive(Debug, Clone)]
pub struct EntryDraft {
    pub alliance_id: String,
    pub author: CountyCode,
    pub seq: u64,
    pub authored_at_ms: i64,
    pub kind: EntryKind,
    pub record_id: String,
    pub body: Vec<u8>,
}

/// Signs a draft with the author's key.
pub fn sign_entry(key: &SigningKey, draft: EntryDraft) -> VerifiedEntry {
    let key_id = key.key_id();
    let body_hash = body_hash(&draft.body);
    let envelope = pb::Entry {
        alliance_id: draft.alliance_id.clone(),
        author: draft.author.as_str().to_owned(),
        seq: draft.seq,
        authored_at_ms: draft.authored_at_ms,
        key_id: key_id.0.to_vec(),
        kind: i32::from(draft.kind.code()),
        record_id: draft.record_id.clone(),
        body_hash: body_hash.to_vec(),
    }
    .encode_to_vec();
    let signature = key.sign(Domain::Entry, &envelope);
    let hash = leaf_hash(&envelope);
    VerifiedEntry {
        header: EntryHeader {
            alliance_id: draft.alliance_id,
            author: draft.author,
            seq: draft.seq,
            authored_at_ms: draft.authored_at_ms,
            key_id,
            kind: draft.kind,
            record_id: draft.record_id,
            body_hash,
        },
        signed: SignedEntry {
            entry: envelope,
            signature: signature.0.to_vec(),
            body: draft.body,
        },
        hash,
    }
}

/// Accepts an entry of `author` at position `seq`, or says why not.
pub fn verify_entry(
    signed: SignedEntry,
    author: &CountyCode,
    seq: u64,
    keys: &dyn Keyring,
) -> Result<VerifiedEntry, ProtocolError> {
    let header = EntryHeader::decode(&signed.entry)?;
    if header.alliance_id != keys.alliance_id() {
        return Err(ProtocolError::WrongAlliance {
            expected: keys.alliance_id().to_owned(),
            found: header.alliance_id,
        });
    }
    if &header.author != author {
        return Err(ProtocolError::WrongAuthor {
            expected: author.to_string(),
            found: header.author.to_string(),
        });
    }
    if header.seq != seq {
        return Err(ProtocolError::WrongSeq {
            author: author.to_string(),
            expected: seq,
            found: header.seq,
        });
    }
    if body_hash(&signed.body) != header.body_hash {
        return Err(ProtocolError::BodyHash);
    }
    let key = keys.key_at(author, &header.key_id, seq)?;
    let sig = Signature::from_slice(&signed.signature)?;
    key.verify(Domain::Entry, &signed.entry, &sig)?;
    let hash = leaf_hash(&signed.entry);
    Ok(VerifiedEntry {
        header,
        signed,
        hash,
    })
}

// ---------------------------------------------------------------- checkpoints

/// A signed statement: `author`'s log has `size` entries with Merkle root `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub alliance_id: String,
    pub author: CountyCode,
    pub size: u64,
    pub root: Hash,
    pub signed_at_ms: i64,
    pub key_id: KeyId,
}

/// A checkpoint whose author signature has been verified (or that this node signed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    checkpoint: Checkpoint,
    bytes: Vec<u8>,
    signature: Vec<u8>,
}

impl VerifiedCheckpoint {
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }
    /// The exact signed bytes and signature, as they travel (`SignedCheckpoint`).
    pub fn to_wire(&self) -> (Vec<u8>, Vec<u8>) {
        (self.bytes.clone(), self.signature.clone())
    }
    /// Persisted form: the protobuf `SignedCheckpoint`.
    pub fn encode(&self) -> Vec<u8> {
        pb::SignedCheckpoint {
            checkpoint: self.bytes.clone(),
            signature: self.signature.clone(),
        }
        .encode_to_vec()
    }
    /// Rebuilds from the store's own bytes (verified before they were written).
    pub fn from_trusted_storage(b: &[u8]) -> Result<VerifiedCheckpoint, ProtocolError> {
        let m = pb::SignedCheckpoint::decode(b).map_err(decode_err)?;
        let checkpoint = decode_checkpoint(&m.checkpoint)?;
        Ok(VerifiedCheckpoint {
            checkpoint,
            bytes: m.checkpoint,
            signature: m.signature,
        })
    }
}

impl Checkpoint {
    /// Decodes checkpoint bytes without checking the signature: for planning only (how far
    /// to pull) while the key that signed it is not yet known here.
    pub fn decode_unverified(bytes: &[u8]) -> Result<Checkpoint, ProtocolError> {
        decode_checkpoint(bytes)
    }
}

pub(crate) fn decode_checkpoint(bytes: &[u8]) -> Result<Checkpoint, ProtocolError> {
    let m = pb::Checkpoint::decode(bytes).map_err(decode_err)?;
    Ok(Checkpoint {
        alliance_id: m.alliance_id,
        author: CountyCode::parse(&m.author)
            .map_err(|e| ProtocolError::Decode(format!("checkpoint author: {}", e.message_en)))?,
        size: m.size,
        root: <[u8; 32]>::try_from(m.root.as_slice())
            .map_err(|_| ProtocolError::Decode("checkpoint root is not 32 bytes".into()))?,
        signed_at_ms: m.signed_at_ms,
        key_id: KeyId::from_slice(&m.key_id)
            .ok_or_else(|| ProtocolError::Decode("checkpoint key id is not 16 bytes".into()))?,
    })
}

pub fn sign_checkpoint(
    key: &SigningKey,
    alliance_id: &str,
    author: &CountyCode,
    size: u64,
    root: Hash,
    signed_at_ms: i64,
) -> VerifiedCheckpoint {
    let key_id = key.key_id();
    let bytes = pb::Checkpoint {
        alliance_id: alliance_id.to_owned(),
        author: author.as_str().to_owned(),
        size,
        root: root.to_vec(),
        signed_at_ms,
        key_id: key_id.0.to_vec(),
    }
    .encode_to_vec();
    let signature = key.sign(Domain::Checkpoint, &bytes).0.to_vec();
    VerifiedCheckpoint {
        checkpoint: Checkpoint {
            alliance_id: alliance_id.to_owned(),
            author: author.clone(),
            size,
            root,
            signed_at_ms,
            key_id,
        },
        bytes,
        signature,
    }
}

/// Verifies a checkpoint received from a peer.
pub fn verify_checkpoint(
    bytes: Vec<u8>,
    signature: Vec<u8>,
    keys: &dyn Keyring,
) -> Result<VerifiedCheckpoint, ProtocolError> {
    let checkpoint = decode_checkpoint(&bytes)?;
    if checkpoint.alliance_id != keys.alliance_id() {
        return Err(ProtocolError::WrongAlliance {
            expected: keys.alliance_id().to_owned(),
            found: checkpoint.alliance_id,
        });
    }
    let key = keys.key_at(&checkpoint.author, &checkpoint.key_id, checkpoint.size)?;
    key.verify(
        Domain::Checkpoint,
        &bytes,
        &Signature::from_slice(&signature)?,
    )?;
    Ok(VerifiedCheckpoint {
        checkpoint,
        bytes,
        signature,
    })
}

// ---------------------------------------------------------------- genesis

/// A founding member of the alliance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub county: CountyCode,
    pub name: String,
    pub province: String,
    pub signing_key: PublicKey,
    pub endpoint: String,
    pub tls_cert_sha256: Vec<u8>,
}

/// The alliance's founding document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Genesis {
    pub alliance_id: String,
    pub name: String,
    pub members: Vec<Member>,
    pub threshold: u32,
    pub founded_on: String,
    pub rule_parameters_json: String,
}

impl Genesis {
    /// The bytes every founder signs.
    pub fn encode(&self) -> Vec<u8> {
        pb::Genesis {
            alliance_id: self.alliance_id.clone(),
            name: self.name.clone(),
            members: self
                .members
                .iter()
                .map(|m| pb::GenesisMember {
                    county: m.county.as_str().to_owned(),
                    name: m.name.clone(),
                    province: m.province.clone(),
                    signing_key: m.signing_key.to_bytes().to_vec(),
                    endpoint: m.endpoint.clone(),
                    tls_cert_sha256: m.tls_cert_sha256.clone(),
                })
                .collect(),
            threshold: self.threshold,
            founded_on: self.founded_on.clone(),
            rule_parameters_json: self.rule_parameters_json.clone(),
        }
        .encode_to_vec()
    }

    fn decode(bytes: &[u8]) -> Result<Genesis, ProtocolError> {
        let m = pb::Genesis::decode(bytes).map_err(decode_err)?;
        let mut members = Vec::with_capacity(m.members.len());
        for gm in m.members {
            let county = CountyCode::parse(&gm.county).map_err(|e| {
                ProtocolError::GenesisInvalid(format!("member county: {}", e.message_en))
            })?;
            let signing_key = PublicKey::from_slice(&gm.signing_key).map_err(|e| {
                ProtocolError::GenesisInvalid(format!("signing key of {county}: {e}"))
            })?;
            members.push(Member {
                county,
                name: gm.name,
                province: gm.province,
                signing_key,
                endpoint: gm.endpoint,
                tls_cert_sha256: gm.tls_cert_sha256,
            });
        }
        Ok(Genesis {
            alliance_id: m.alliance_id,
            name: m.name,
            members,
            threshold: m.threshold,
            founded_on: m.founded_on,
            rule_parameters_json: m.rule_parameters_json,
        })
    }

    fn check(&self) -> Result<(), ProtocolError> {
        if self.alliance_id.trim().is_empty() {
            return Err(ProtocolError::GenesisInvalid("alliance id is empty".into()));
        }
        if self.members.is_empty() {
            return Err(ProtocolError::GenesisInvalid("no members".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for m in &self.members {
            if !seen.insert(m.county.clone()) {
                return Err(ProtocolError::GenesisInvalid(format!(
                    "county {} listed twice",
                    m.county
                )));
            }
        }
        if self.threshold == 0 || self.threshold as usize > self.members.len() {
            return Err(ProtocolError::GenesisInvalid(format!(
                "threshold {} is not between 1 and the {} members",
                self.threshold,
                self.members.len()
            )));
        }
        Ok(())
    }
}

/// The genesis file: exact document bytes and one signature per founder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedGenesis {
    pub bytes: Vec<u8>,
    pub signatures: Vec<(String, Vec<u8>)>,
}

impl SignedGenesis {
    /// Signs a genesis by every founder whose key is given (normally all of them).
    pub fn sign(genesis: &Genesis, founders: &[(&CountyCode, &SigningKey)]) -> SignedGenesis {
        let bytes = genesis.encode();
        let signatures = founders
            .iter()
            .map(|(c, k)| {
                (
                    c.as_str().to_owned(),
                    k.sign(Domain::Genesis, &bytes).0.to_vec(),
                )
            })
            .collect();
        SignedGenesis { bytes, signatures }
    }

    pub fn encode(&self) -> Vec<u8> {
        pb::SignedGenesis {
            genesis: self.bytes.clone(),
            signatures: self
                .signatures
                .iter()
                .map(|(c, s)| pb::GenesisSignature {
                    county: c.clone(),
                    signature: s.clone(),
                })
                .collect(),
        }
        .encode_to_vec()
    }

    pub fn decode(b: &[u8]) -> Result<SignedGenesis, ProtocolError> {
        let m = pb::SignedGenesis::decode(b).map_err(decode_err)?;
        Ok(SignedGenesis {
            bytes: m.genesis,
            signatures: m
                .signatures
                .into_iter()
                .map(|s| (s.county, s.signature))
                .collect(),
        })
    }

    /// Checks the document and that every founder, and nobody else, signed it.
    pub fn verify(&self) -> Result<Alliance, ProtocolError> {
        let genesis = Genesis::decode(&self.bytes)?;
        genesis.check()?;
        for (county, _) in &self.signatures {
            if !genesis.members.iter().any(|m| m.county.as_str() == county) {
                return Err(ProtocolError::GenesisStraySignature(county.clone()));
            }
        }
        for m in &genesis.members {
            let sig = self
                .signatures
                .iter()
                .find(|(c, _)| c == m.county.as_str())
                .ok_or_else(|| ProtocolError::GenesisMissingSignature(m.county.to_string()))?;
            let bad = || ProtocolError::GenesisSignature {
                county: m.county.to_string(),
            };
            let sig = Signature::from_slice(&sig.1).map_err(|_| bad())?;
            m.signing_key
                .verify(Domain::Genesis, &self.bytes, &sig)
                .map_err(|_| bad())?;
        }
        Ok(Alliance { genesis })
    }
}

/// The alliance as a verified genesis defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alliance {
    genesis: Genesis,
}

impl Alliance {
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }
    pub fn member(&self, county: &CountyCode) -> Option<&Member> {
        self.genesis.members.iter().find(|m| &m.county == county)
    }
    pub fn members(&self) -> &[Member] {
        &self.genesis.members
    }
}

impl Keyring for Alliance {
    fn alliance_id(&self) -> &str {
        &self.genesis.alliance_id
    }

    fn key_at(
        &self,
        author: &CountyCode,
        key_id: &KeyId,
        seq: u64,
    ) -> Result<PublicKey, ProtocolError> {
        let member = self
            .member(author)
            .ok_or_else(|| ProtocolError::NotMember(author.to_string()))?;
        if &member.signing_key.key_id() != key_id {
            return Err(ProtocolError::UnknownKey {
                author: author.to_string(),
                key_id: key_id.to_string(),
                seq,
            });
        }
        Ok(member.signing_key)
    }
}
