//! The one implementation of the log invariants, materialised state and indexes, over
//! any [`Kv`]. Both public stores are this type with a different engine.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};

use bashu_core::CountyCode;
use bashu_core::codec::Certificate;
use bashu_core::entry::{EntryKind, SignedEntry, VerifiedCheckpoint, VerifiedEntry, body_hash};
use bashu_core::merkle::{Frontier, Hash};

use crate::kv::{Kv, Op};
use crate::layout::{self, Latest, corrupt, payload, versioned};
use crate::{
    AppendBatch, HomeRecord, LogState, RecordPointer, Result, Store, StoreError, StoredEquivocation,
};
use bashu_core::governance::Cosignature;

pub(crate) struct KvStore<K> {
    pub(crate) kv: K,
    /// Serialises appends, so reading the head, computing and writing is one step.
    writer: Mutex<()>,
}

impl<K: Kv + 'static> KvStore<K> {
    pub(crate) fn new(kv: K) -> KvStore<K> {
        KvStore {
            kv,
            writer: Mutex::new(()),
        }
    }

    /// The payload of the value under `key`, its version checked.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.kv.get(key)? {
            None => Ok(None),
            Some(v) => Ok(Some(payload(key, &v)?.to_vec())),
        }
    }

    /// Reads a stored entry (without body) back into a verified entry with no body.
    fn bare_entry(key: &[u8], value: &[u8]) -> Result<VerifiedEntry> {
        let signed =
            SignedEntry::decode(payload(key, value)?).map_err(|e| corrupt(key, e.to_string()))?;
        VerifiedEntry::from_trusted_storage(signed).map_err(|e| corrupt(key, e.to_string()))
    }

    /// The entry with its body joined back in (empty when the body was redacted).
    fn joined(&self, key: &[u8], value: &[u8]) -> Result<SignedEntry> {
        let bare = Self::bare_entry(key, value)?;
        let body = self.body(&bare.header().body_hash)?;
        let mut signed = bare.into_signed();
        signed.body = body.unwrap_or_default();
        Ok(signed)
    }

    /// The latest version of a certificate record, if its body is held and satisfies `keep`.
    fn latest_certificate(
        &self,
        author: &CountyCode,
        record_id: &str,
        keep: impl Fn(&Certificate) -> bool,
    ) -> Result<Option<RecordPointer>> {
        let Some(pointer) = self.record(EntryKind::Certificate, author, record_id)? else {
            return Ok(None);
        };
        let Some(body) = self.body(&pointer.body_hash)? else {
            return Ok(None);
        };
        Ok(match Certificate::decode(&body) {
            Ok(c) if keep(&c) => Some(pointer),
            _ => None,
        })
    }

    /// Pointers behind the index rows under `prefix` whose latest version passes `keep`.
    fn by_index(
        &self,
        prefix: &[u8],
        keep: impl Fn(&Certificate) -> bool,
    ) -> Result<Vec<RecordPointer>> {
        let rows = self
            .kv
            .scan(prefix, &layout::prefix_end(prefix), usize::MAX)?;
        let mut out = Vec::new();
        for (key, value) in rows {
            payload(&key, &value)?;
            let (author, record_id) = layout::parse_index_row(&key, prefix.len())?;
            if let Some(p) = self.latest_certificate(&author, &record_id, &keep)? {
                out.push(p);
            }
        }
        Ok(out)
    }

    fn check_checkpoint(
        &self,
        author: &CountyCode,
        state: &LogState,
        cp: &VerifiedCheckpoint,
    ) -> Result<()> {
        let c = cp.checkpoint();
        let refuse = |reason: String| {
            Err(StoreError::CheckpointMismatch {
                author: c.author.to_string(),
                size: c.size,
                reason,
            })
        };
        if &c.author != author {
            return refuse(format!("it is not of the batch author {author}"));
        }
        if c.size != state.size {
            return refuse(format!("the log has {} entries", state.size));
        }
        if c.root != state.frontier.root() {
            return refuse("its root is not the root of the log".into());
        }
        if let Some(held) = self.checkpoint(author)? {
            if held.checkpoint().size > c.size {
                return refuse(format!(
                    "it is smaller than the held checkpoint of size {}",
                    held.checkpoint().size
                ));
            }
        }
        Ok(())
    }
}

/// The writes of one append, readable before they are applied.
struct Pending<'a, K> {
    kv: &'a K,
    ops: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a, K: Kv> Pending<'a, K> {
    fn new(kv: &'a K) -> Self {
        Pending {
            kv,
            ops: BTreeMap::new(),
        }
    }

    /// The raw value as it will be after this batch.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.ops.get(key) {
            Some(op) => Ok(op.clone()),
            None => self.kv.get(key),
        }
    }

    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.insert(key, Some(value));
    }

    fn delete(&mut self, key: Vec<u8>) {
        self.ops.insert(key, None);
    }

    fn into_ops(self) -> Vec<Op> {
        self.ops.into_iter().collect()
    }

    /// The body of `hash` as it will be after this batch (absent when never held or redacted).
    fn body(&self, hash: &Hash) -> Result<Option<Vec<u8>>> {
        let key = layout::body_key(hash);
        match self.get(&key)? {
            None => Ok(None),
            Some(v) => Ok(Some(payload(&key, &v)?.to_vec())),
        }
    }

    /// Index rows of a certificate version: added for the new one, removed for the old.
    fn index(&mut self, author: &CountyCode, record_id: &str, c: &Certificate, add: bool) {
        let mut rows = Vec::with_capacity(2);
        // A certificate is found by number through its record pointer when its record id
        // is its number (as this software writes them); only other ids need an index row.
        if !c.cert_no.is_empty() && c.cert_no != record_id {
            rows.push(layout::cert_no_row(&c.cert_no, author, record_id));
        }
        if c.person_key.len() == layout::PERSON_KEY_LEN {
            rows.push(layout::person_row(&c.person_key, author, record_id));
        }
        for row in rows {
            if add {
                self.put(row, versioned(&[]));
            } else {
                self.delete(row);
            }
        }
    }

    /// Stores one entry, its body and the materialised state it changes.
    fn entry(&mut self, author: &CountyCode, e: &VerifiedEntry) -> Result<()> {
        let h = e.header();
        let stored = SignedEntry {
            entry: e.signed().entry.clone(),
            signature: e.signed().signature.clone(),
            body: Vec::new(),
        };
        self.put(
            layout::entry_key(author, h.seq),
            versioned(&stored.encode()),
        );

        // A verified entry carries its body unless it was redacted before it reached us.
        let body_held = body_hash(e.body()) == h.body_hash;
        // Bodies are keyed by their hash, so writing one again writes the same bytes: no
        // read is needed to deduplicate.
        if body_held {
            self.put(layout::body_key(&h.body_hash), versioned(e.body()));
        }

        let record_key = layout::record_key(h.kind, author, &h.record_id);
        let previous = match self.get(&record_key)? {
            Some(v) => Some(Latest::decode(&record_key, &v)?),
            None => None,
        };
        let latest = Latest {
            seq: h.seq,
            body_hash: h.body_hash,
            entry_hash: e.hash(),
        };
        self.put(record_key, latest.encode());

        if h.kind == EntryKind::Certificate {
            if let Some(previous) = previous {
                if let Some(old) = self.body(&previous.body_hash)? {
                    if let Ok(old) = Certificate::decode(&old) {
                        self.index(author, &h.record_id, &old, false);
                    }
                }
            }
            if body_held {
                if let Ok(new) = Certificate::decode(e.body()) {
                    self.index(author, &h.record_id, &new, true);
                }
            }
        }
        Ok(())
    }
}

impl<K: Kv + 'static> Store for KvStore<K> {
    fn log_state(&self, author: &CountyCode) -> Result<LogState> {
        let key = layout::head_key(author);
        let Some(p) = self.get(&key)? else {
            return Ok(LogState::default());
        };
        let frontier = Frontier::decode(&p).map_err(|e| corrupt(&key, e.to_string()))?;
        Ok(LogState {
            size: frontier.size(),
            frontier,
        })
    }

    fn authors(&self) -> Result<Vec<CountyCode>> {
        let mut authors = BTreeSet::new();
        for prefix in [layout::HEAD, layout::CHECKPOINT] {
            for (key, _) in self
                .kv
                .scan(prefix, &layout::prefix_end(prefix), usize::MAX)?
            {
                authors.insert(layout::author_of_state_key(&key)?);
            }
        }
        Ok(authors.into_iter().collect())
    }

    fn checkpoint(&self, author: &CountyCode) -> Result<Option<VerifiedCheckpoint>> {
        let key = layout::checkpoint_key(author);
        match self.get(&key)? {
            None => Ok(None),
            Some(p) => VerifiedCheckpoint::from_trusted_storage(&p)
                .map(Some)
                .map_err(|e| corrupt(&key, e.to_string())),
        }
    }

    fn entries(&self, author: &CountyCode, from_seq: u64, max: usize) -> Result<Vec<SignedEntry>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let start = layout::entry_key(author, from_seq);
        let end = layout::prefix_end(&layout::entry_prefix(author));
        self.kv
            .scan(&start, &end, max)?
            .iter()
            .map(|(k, v)| self.joined(k, v))
            .collect()
    }

    fn entry(&self, author: &CountyCode, seq: u64) -> Result<Option<VerifiedEntry>> {
        let key = layout::entry_key(author, seq);
        let Some(value) = self.kv.get(&key)? else {
            return Ok(None);
        };
        let signed = self.joined(&key, &value)?;
        VerifiedEntry::from_trusted_storage(signed)
            .map(Some)
            .map_err(|e| corrupt(&key, e.to_string()))
    }

    fn append(&self, batch: AppendBatch) -> Result<LogState> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let author = &batch.author;
        let mut state = self.log_state(author)?;
        let mut w = Pending::new(&self.kv);

        for e in &batch.entries {
            let h = e.header();
            if &h.author != author {
                return Err(StoreError::MixedAuthors {
                    expected: author.to_string(),
                    found: h.author.to_string(),
                });
            }
            let expected = state.size + 1;
            if h.seq != expected {
                return Err(StoreError::NotContiguous {
                    author: author.to_string(),
                    expected,
                    found: h.seq,
                });
            }
            w.entry(author, e)?;
            state.frontier.push(e.hash());
            state.size = state.frontier.size();
        }
        if !batch.entries.is_empty() {
            w.put(
                layout::head_key(author),
                versioned(&state.frontier.encode()),
            );
        }

        if let Some(cp) = &batch.checkpoint {
            self.check_checkpoint(author, &state, cp)?;
            let held = self.checkpoint(author)?;
            if held.as_ref() != Some(cp) {
                w.put(layout::checkpoint_key(author), versioned(&cp.encode()));
                // Cosignatures belong to the checkpoint they were made over.
                w.delete(layout::cosignatures_key(author));
            }
        }

        for home in &batch.home {
            match home {
                HomeRecord::IdNumber {
                    cert_no,
                    id_type,
                    id_no,
                } => {
                    let key = layout::home_id_key(cert_no);
                    let value = layout::encode_home_id(id_type, id_no).ok_or_else(|| {
                        corrupt(&key, "id type contains the 0x1f separator; not stored")
                    })?;
                    w.put(key, value);
                }
            }
        }

        let ops = w.into_ops();
        if !ops.is_empty() {
            self.kv.write_batch(ops)?;
        }
        tracing::debug!(
            author = %author,
            entries = batch.entries.len(),
            size = state.size,
            checkpoint = batch.checkpoint.is_some(),
            "appended"
        );
        Ok(state)
    }

    fn record(
        &self,
        kind: EntryKind,
        author: &CountyCode,
        record_id: &str,
    ) -> Result<Option<RecordPointer>> {
        let key = layout::record_key(kind, author, record_id);
        let Some(value) = self.kv.get(&key)? else {
            return Ok(None);
        };
        let latest = Latest::decode(&key, &value)?;
        Ok(Some(RecordPointer {
            kind,
            author: author.clone(),
            record_id: record_id.to_owned(),
            seq: latest.seq,
            body_hash: latest.body_hash,
            entry_hash: latest.entry_hash,
        }))
    }

    fn body(&self, hash: &Hash) -> Result<Option<Vec<u8>>> {
        self.get(&layout::body_key(hash))
    }

    fn certificates_by_number(&self, cert_no: &str) -> Result<Vec<RecordPointer>> {
        if cert_no.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for author in self.authors()? {
            if let Some(p) = self.latest_certificate(&author, cert_no, |c| c.cert_no == cert_no)? {
                out.push(p);
            }
        }
        for p in self.by_index(&layout::cert_no_prefix(cert_no), |c| c.cert_no == cert_no)? {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out.sort_by(|a, b| (&a.author, &a.record_id).cmp(&(&b.author, &b.record_id)));
        Ok(out)
    }

    fn certificates_by_person(&self, person_key: &[u8]) -> Result<Vec<RecordPointer>> {
        if person_key.len() != layout::PERSON_KEY_LEN {
            return Ok(Vec::new());
        }
        self.by_index(&layout::person_prefix(person_key), |c| {
            c.person_key == person_key
        })
    }

    fn home_id_number(&self, cert_no: &str) -> Result<Option<(String, String)>> {
        let key = layout::home_id_key(cert_no);
        match self.kv.get(&key)? {
            None => Ok(None),
            Some(v) => layout::decode_home_id(&key, &v).map(Some),
        }
    }

    fn records_of_kind(&self, kind: EntryKind) -> Result<Vec<RecordPointer>> {
        let prefix = layout::record_kind_prefix(kind);
        let mut out = Vec::new();
        for (key, value) in self
            .kv
            .scan(&prefix, &layout::prefix_end(&prefix), usize::MAX)?
        {
            let (author, record_id) = layout::parse_record_key(&key)?;
            let latest = Latest::decode(&key, &value)?;
            out.push(RecordPointer {
                kind,
                author,
                record_id,
                seq: latest.seq,
                body_hash: latest.body_hash,
                entry_hash: latest.entry_hash,
            });
        }
        Ok(out)
    }

    fn cosignatures(&self, author: &CountyCode) -> Result<Vec<Cosignature>> {
        let key = layout::cosignatures_key(author);
        match self.kv.get(&key)? {
            None => Ok(Vec::new()),
            Some(v) => Ok(layout::decode_cosignatures(&key, &v)?.2),
        }
    }

    fn add_cosignatures(
        &self,
        author: &CountyCode,
        size: u64,
        root: &Hash,
        cosignatures: Vec<Cosignature>,
    ) -> Result<usize> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(cp) = self.checkpoint(author)? else {
            return Ok(0);
        };
        if cp.checkpoint().size != size || &cp.checkpoint().root != root {
            return Ok(self.cosignatures(author)?.len());
        }
        let mut held = self.cosignatures(author)?;
        let before = held.len();
        for c in cosignatures {
            if !held.iter().any(|h| h.witness == c.witness) {
                held.push(c);
            }
        }
        held.sort_by(|a, b| a.witness.cmp(&b.witness));
        if held.len() != before {
            self.kv.write_batch(vec![(
                layout::cosignatures_key(author),
                Some(layout::encode_cosignatures(size, root, &held)),
            )])?;
        }
        Ok(held.len())
    }

    fn add_equivocation(
        &self,
        author: &CountyCode,
        consistent_up_to: u64,
        proof: &[u8],
    ) -> Result<bool> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let key = layout::equivocation_key(author, &body_hash(proof));
        if self.kv.get(&key)?.is_some() {
            return Ok(false);
        }
        let mut p = consistent_up_to.to_be_bytes().to_vec();
        p.extend_from_slice(proof);
        self.kv.write_batch(vec![(key, Some(versioned(&p)))])?;
        Ok(true)
    }

    fn equivocations(&self) -> Result<Vec<StoredEquivocation>> {
        let prefix = layout::EQUIVOCATION;
        let mut out = Vec::new();
        for (key, value) in self
            .kv
            .scan(prefix, &layout::prefix_end(prefix), usize::MAX)?
        {
            let author = layout::author_of_equivocation_key(&key)?;
            let p = payload(&key, &value)?;
            let (at, proof) = p
                .split_first_chunk::<8>()
                .ok_or_else(|| corrupt(&key, "equivocation value too short"))?;
            out.push(StoredEquivocation {
                author,
                consistent_up_to: u64::from_be_bytes(*at),
                proof: proof.to_vec(),
            });
        }
        Ok(out)
    }
}
