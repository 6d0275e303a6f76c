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
    /// The store over `kv`: an empty keyspace is given the current layout; one written
    /// with another layout is refused.
    pub(crate) fn open(kv: K) -> Result<KvStore<K>> {
        match kv.get(layout::FORMAT_KEY)? {
            Some(v) => {
                let p = payload(layout::FORMAT_KEY, &v)?;
                let found = <[u8; 4]>::try_from(p)
                    .map(u32::from_be_bytes)
                    .map_err(|_| corrupt(layout::FORMAT_KEY, "format is not a u32"))?;
                if found != layout::FORMAT {
                    return Err(StoreError::Format {
                        found,
                        expected: layout::FORMAT,
                    });
                }
            }
            None if kv.scan(&[], &[u8::MAX], 1)?.is_empty() => {
                kv.write_batch(vec![(
                    layout::FORMAT_KEY.to_vec(),
                    Some(versioned(&layout::FORMAT.to_be_bytes())),
                )])?;
            }
            // Data without a format key: the first layout, which kept bodies apart.
            None => {
                return Err(StoreError::Format {
                    found: 1,
                    expected: layout::FORMAT,
                });
            }
        }
        Ok(KvStore {
            kv,
            writer: Mutex::new(()),
        })
    }

    /// The payload of the value under `key`, its version checked.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.kv.get(key)? {
            None => Ok(None),
            Some(v) => Ok(Some(payload(key, &v)?.to_vec())),
        }
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
        let Some(body) = self.body(&pointer)? else {
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

/// The entry at `seq` of `author`'s log as stored, body included (empty if redacted).
fn signed_at<K: Kv + ?Sized>(kv: &K, author: &CountyCode, seq: u64) -> Result<Option<SignedEntry>> {
    if seq == 0 {
        return Ok(None);
    }
    let lower = layout::chunk_key(author, 0);
    let Some((key, value)) = kv.last_at_or_before(&lower, &layout::chunk_key(author, seq))? else {
        return Ok(None);
    };
    let first = layout::chunk_first_seq(&key)?;
    let entries = layout::chunk_entries(&key, &value)?;
    let Some(bytes) = usize::try_from(seq - first)
        .ok()
        .and_then(|i| entries.get(i))
    else {
        return Ok(None);
    };
    SignedEntry::decode(bytes)
        .map(Some)
        .map_err(|e| corrupt(&key, e.to_string()))
}

/// The body of entry `seq` of `author`, if it is held and hashes to `hash` (a redacted
/// body is not held).
fn body_of<K: Kv + ?Sized>(
    kv: &K,
    author: &CountyCode,
    seq: u64,
    hash: &Hash,
) -> Result<Option<Vec<u8>>> {
    Ok(signed_at(kv, author, seq)?
        .filter(|e| &body_hash(&e.body) == hash)
        .map(|e| e.body))
}

/// The writes of one append. Nothing is read while they are gathered: an entry costs its
/// share of a chunk, its record pointer and its index rows, all written in one batch.
struct Pending {
    ops: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Pending {
    fn new() -> Self {
        Pending {
            ops: BTreeMap::new(),
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

    /// The index rows of a certificate version. The rows of the version it supersedes are
    /// not looked for (that would be a read per entry): they stay, and every reader checks
    /// a row against the record's latest version before reporting it.
    fn index(&mut self, author: &CountyCode, record_id: &str, c: &Certificate) {
        // A certificate is found by number through its record pointer when its record id
        // is its number (as this software writes them); only other ids need an index row.
        if !c.cert_no.is_empty() && c.cert_no != record_id {
            self.put(
                layout::cert_no_row(&c.cert_no, author, record_id),
                versioned(&[]),
            );
        }
        if c.person_key.len() == layout::PERSON_KEY_LEN {
            self.put(
                layout::person_row(&c.person_key, author, record_id),
                versioned(&[]),
            );
        }
    }

    /// The materialised state one entry changes (the entry itself goes into a chunk).
    fn entry(&mut self, author: &CountyCode, e: &VerifiedEntry) {
        let h = e.header();
        let latest = Latest {
            seq: h.seq,
            body_hash: h.body_hash,
            entry_hash: e.hash(),
        };
        self.put(
            layout::record_key(h.kind, author, &h.record_id),
            latest.encode(),
        );
        // A verified entry carries its body unless it was redacted before it reached us.
        if h.kind == EntryKind::Certificate && body_hash(e.body()) == h.body_hash {
            if let Ok(c) = Certificate::decode(e.body()) {
                self.index(author, &h.record_id, &c);
            }
        }
    }

    /// The entries of this append as chunk values of at most [`layout::CHUNK_ENTRIES`]
    /// entries and about [`layout::CHUNK_BYTES`] bytes each.
    fn chunks(&mut self, author: &CountyCode, entries: &[VerifiedEntry]) {
        let mut rest = entries;
        while let Some(first) = rest.first() {
            let mut bytes = 0;
            let mut n = 0;
            let encoded: Vec<Vec<u8>> = rest
                .iter()
                .take(layout::CHUNK_ENTRIES)
                .take_while(|e| {
                    let fits = n == 0 || bytes < layout::CHUNK_BYTES;
                    let s = e.signed();
                    bytes += s.entry.len() + s.signature.len() + s.body.len();
                    n += 1;
                    fits
                })
                .map(|e| e.signed().encode())
                .collect();
            self.put(
                layout::chunk_key(author, first.header().seq),
                layout::encode_chunk(encoded.iter().map(Vec::as_slice)),
            );
            rest = &rest[encoded.len()..];
        }
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
        let from = from_seq.max(1);
        let lower = layout::chunk_key(author, 0);
        let end = layout::prefix_end(&layout::entry_prefix(author));
        // Start at the chunk that holds `from`.
        let mut next = match self
            .kv
            .last_at_or_before(&lower, &layout::chunk_key(author, from))?
        {
            Some((key, _)) => key,
            None => lower,
        };
        let mut out = Vec::new();
        while out.len() < max {
            let chunks = self.kv.scan(&next, &end, 8)?;
            let Some((last, _)) = chunks.last() else {
                break;
            };
            // The smallest key after the last chunk read.
            next = [last.as_slice(), &[0]].concat();
            for (key, value) in &chunks {
                let first = layout::chunk_first_seq(key)?;
                for (seq, bytes) in (first..).zip(layout::chunk_entries(key, value)?) {
                    if seq < from {
                        continue;
                    }
                    if out.len() == max {
                        return Ok(out);
                    }
                    out.push(SignedEntry::decode(bytes).map_err(|e| corrupt(key, e.to_string()))?);
                }
            }
        }
        Ok(out)
    }

    fn entry(&self, author: &CountyCode, seq: u64) -> Result<Option<VerifiedEntry>> {
        let Some(signed) = signed_at(&self.kv, author, seq)? else {
            return Ok(None);
        };
        VerifiedEntry::from_trusted_storage(signed)
            .map(Some)
            .map_err(|e| corrupt(&layout::chunk_key(author, seq), e.to_string()))
    }

    fn append(&self, batch: AppendBatch) -> Result<LogState> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let author = &batch.author;
        let mut state = self.log_state(author)?;
        let mut w = Pending::new();

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
            w.entry(author, e);
            state.frontier.push(e.hash());
            state.size = state.frontier.size();
        }
        w.chunks(author, &batch.entries);
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

    fn body(&self, pointer: &RecordPointer) -> Result<Option<Vec<u8>>> {
        body_of(&self.kv, &pointer.author, pointer.seq, &pointer.body_hash)
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
