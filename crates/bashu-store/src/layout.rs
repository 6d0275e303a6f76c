//! The one keyspace: how keys are laid out and how values are encoded.
//!
//! | key | value (after the version byte) |
//! |---|---|
//! | `m/format` | the layout version of the whole keyspace ([`FORMAT`]) |
//! | `e/` author first_seq(u64 BE) | a chunk: consecutive entries from `first_seq` on, each `len(u32 BE) ‖ SignedEntry` with its body |
//! | `h/` author | `Frontier::encode()` (the log state) |
//! | `c/` author | `VerifiedCheckpoint::encode()` |
//! | `r/` kind author record_id | seq(8) ‖ body_hash ‖ entry_hash (latest version) |
//! | `i/cn/` cert_no 0x00 author 0x00 record_id | nothing (certificate number index) |
//! | `i/pk/` person_key(32) author 0x00 record_id | nothing (person index) |
//! | `p/id/` cert_no | id_type 0x1f id_no (home only) |
//! | `w/` author | size(8) ‖ root ‖ n × (witness(6) ‖ key_id(16) ‖ signature(64)) |
//! | `x/` author proof_hash | consistent_up_to(8) ‖ proof bytes (equivocation evidence) |
//!
//! Authors are six ASCII digits, so a fixed width. Every value starts with
//! [`VERSION`]; a value with another first byte is reported as corrupt, never guessed at.
//! Index rows are added, never looked up on write: a row of a superseded version stays
//! (finding it would cost a read per appended entry), and readers check every row against
//! the record's latest version under `r/`.
//!
//! A log is stored in chunks of up to [`CHUNK_ENTRIES`] entries, so an append of many
//! entries costs a few engine writes rather than one per entry; the entry at `seq` is in
//! the chunk with the greatest `first_seq ≤ seq`. A record's body is read from the entry
//! its `r/` pointer names.

use bashu_core::CountyCode;
use bashu_core::entry::EntryKind;
use bashu_core::merkle::Hash;

use crate::{Result, StoreError};

/// The version of every persisted value encoding.
pub(crate) const VERSION: u8 = 1;

/// The layout of the keyspace as a whole, kept under [`FORMAT_KEY`]. A store written with
/// another layout is refused at open rather than misread.
pub(crate) const FORMAT: u32 = 2;
pub(crate) const FORMAT_KEY: &[u8] = b"m/format";

/// At most this many entries share one chunk value. Small, because a read of one body
/// loads the whole sled leaf (16 values) its chunk is in: in back-to-back runs at 1M
/// certificates the CheckRecognition p99 was 1.33 ms with chunks of 16 and 1.07 ms with 4,
/// for 3/16 of a sled write more per appended entry (≈ 2–3 µs). Readers take chunks of any
/// length.
pub(crate) const CHUNK_ENTRIES: usize = 4;
/// A chunk is closed once its entries reach this many bytes.
pub(crate) const CHUNK_BYTES: usize = 2 * 1024;

const ENTRY: &[u8] = b"e/";
pub(crate) const HEAD: &[u8] = b"h/";
pub(crate) const CHECKPOINT: &[u8] = b"c/";
const RECORD: &[u8] = b"r/";
const BY_CERT_NO: &[u8] = b"i/cn/";
const BY_PERSON: &[u8] = b"i/pk/";
const HOME_ID: &[u8] = b"p/id/";
const COSIGNATURES: &[u8] = b"w/";
pub(crate) const EQUIVOCATION: &[u8] = b"x/";

/// Separates variable-length parts of index keys.
const SEP: u8 = 0x00;
/// Separates id type and id number in a home ID value.
const UNIT_SEP: u8 = 0x1f;
/// Width of an author in keys.
const AUTHOR_LEN: usize = 6;
/// Length of a person key.
pub(crate) const PERSON_KEY_LEN: usize = 32;

fn key(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn author(a: &CountyCode) -> &[u8] {
    a.as_str().as_bytes()
}

pub(crate) fn entry_prefix(a: &CountyCode) -> Vec<u8> {
    key(&[ENTRY, author(a)])
}

/// The key of the chunk whose first entry has `first_seq`.
pub(crate) fn chunk_key(a: &CountyCode, first_seq: u64) -> Vec<u8> {
    key(&[ENTRY, author(a), &first_seq.to_be_bytes()])
}

/// The first seq of the chunk under `key`.
pub(crate) fn chunk_first_seq(key: &[u8]) -> Result<u64> {
    key.get(ENTRY.len() + AUTHOR_LEN..)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| corrupt(key, "chunk key is not e/ author first_seq"))
}

/// A chunk value: `VERSION ‖ n × (len(u32 BE) ‖ entry bytes)`.
pub(crate) fn encode_chunk<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut v = vec![VERSION];
    for e in entries {
        let len = u32::try_from(e.len()).unwrap_or(u32::MAX);
        v.extend_from_slice(&len.to_be_bytes());
        v.extend_from_slice(e);
    }
    v
}

/// The entries of a chunk value, in order (each still to be decoded).
pub(crate) fn chunk_entries<'a>(key: &[u8], value: &'a [u8]) -> Result<Vec<&'a [u8]>> {
    let mut rest = payload(key, value)?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let torn = || corrupt(key, "chunk is not a sequence of len ‖ entry");
        let (len, tail) = rest.split_first_chunk::<4>().ok_or_else(torn)?;
        let len = u32::from_be_bytes(*len) as usize;
        let (entry, tail) = tail.split_at_checked(len).ok_or_else(torn)?;
        out.push(entry);
        rest = tail;
    }
    if out.is_empty() {
        return Err(corrupt(key, "empty chunk"));
    }
    Ok(out)
}

pub(crate) fn head_key(a: &CountyCode) -> Vec<u8> {
    key(&[HEAD, author(a)])
}

pub(crate) fn checkpoint_key(a: &CountyCode) -> Vec<u8> {
    key(&[CHECKPOINT, author(a)])
}

pub(crate) fn record_key(kind: EntryKind, a: &CountyCode, record_id: &str) -> Vec<u8> {
    key(&[RECORD, &[kind.code()], author(a), record_id.as_bytes()])
}

/// All index rows of one certificate number.
pub(crate) fn cert_no_prefix(cert_no: &str) -> Vec<u8> {
    key(&[BY_CERT_NO, cert_no.as_bytes(), &[SEP]])
}

pub(crate) fn cert_no_row(cert_no: &str, a: &CountyCode, record_id: &str) -> Vec<u8> {
    key(&[
        &cert_no_prefix(cert_no),
        author(a),
        &[SEP],
        record_id.as_bytes(),
    ])
}

/// All index rows of one person key (always [`PERSON_KEY_LEN`] bytes).
pub(crate) fn person_prefix(person_key: &[u8]) -> Vec<u8> {
    key(&[BY_PERSON, person_key])
}

pub(crate) fn person_row(person_key: &[u8], a: &CountyCode, record_id: &str) -> Vec<u8> {
    key(&[
        BY_PERSON,
        person_key,
        author(a),
        &[SEP],
        record_id.as_bytes(),
    ])
}

pub(crate) fn cosignatures_key(a: &CountyCode) -> Vec<u8> {
    key(&[COSIGNATURES, author(a)])
}

pub(crate) fn equivocation_key(a: &CountyCode, proof_hash: &Hash) -> Vec<u8> {
    key(&[EQUIVOCATION, author(a), proof_hash])
}

/// All records of one kind.
pub(crate) fn record_kind_prefix(kind: EntryKind) -> Vec<u8> {
    key(&[RECORD, &[kind.code()]])
}

pub(crate) fn home_id_key(cert_no: &str) -> Vec<u8> {
    key(&[HOME_ID, cert_no.as_bytes()])
}

/// The smallest key greater than every key that starts with `prefix`.
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return end;
        }
    }
    // Every byte was 0xff: no finite bound exists below the maximum; this keyspace never
    // uses such prefixes, so a single 0xff past them is as good as unbounded.
    let mut end = prefix.to_vec();
    end.push(u8::MAX);
    end
}

/// A key as text for error messages: ASCII kept, other bytes escaped.
pub(crate) fn show(key: &[u8]) -> String {
    key.escape_ascii().to_string()
}

pub(crate) fn corrupt(key: &[u8], reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        key: show(key),
        reason: reason.into(),
    }
}

/// `VERSION ‖ payload`.
pub(crate) fn versioned(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(1 + payload.len());
    v.push(VERSION);
    v.extend_from_slice(payload);
    v
}

/// The payload of a persisted value, or `Corrupt` for a missing or unknown version.
pub(crate) fn payload<'a>(key: &[u8], value: &'a [u8]) -> Result<&'a [u8]> {
    match value.split_first() {
        Some((&VERSION, rest)) => Ok(rest),
        Some((v, _)) => Err(corrupt(key, format!("unknown value version {v}"))),
        None => Err(corrupt(key, "empty value")),
    }
}

/// The author encoded in a `h/` or `c/` key.
pub(crate) fn author_of_state_key(key: &[u8]) -> Result<CountyCode> {
    let rest = key
        .get(HEAD.len()..)
        .ok_or_else(|| corrupt(key, "key too short"))?;
    parse_author(key, rest)
}

fn parse_author(key: &[u8], bytes: &[u8]) -> Result<CountyCode> {
    let s = std::str::from_utf8(bytes).map_err(|_| corrupt(key, "author is not text"))?;
    CountyCode::parse(s).map_err(|_| corrupt(key, "author is not a county code"))
}

/// `author 0x00 record_id` after an index prefix of `prefix_len` bytes.
pub(crate) fn parse_index_row(key: &[u8], prefix_len: usize) -> Result<(CountyCode, String)> {
    let rest = key
        .get(prefix_len..)
        .ok_or_else(|| corrupt(key, "index key too short"))?;
    if rest.len() <= AUTHOR_LEN || rest[AUTHOR_LEN] != SEP {
        return Err(corrupt(key, "index key is not author 0x00 record id"));
    }
    let author = parse_author(key, &rest[..AUTHOR_LEN])?;
    let record_id = String::from_utf8(rest[AUTHOR_LEN + 1..].to_vec())
        .map_err(|_| corrupt(key, "record id is not text"))?;
    Ok((author, record_id))
}

/// The `r/` value: where the latest version of a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Latest {
    pub seq: u64,
    pub body_hash: Hash,
    pub entry_hash: Hash,
}

impl Latest {
    const LEN: usize = 8 + 32 + 32;

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(Self::LEN);
        p.extend_from_slice(&self.seq.to_be_bytes());
        p.extend_from_slice(&self.body_hash);
        p.extend_from_slice(&self.entry_hash);
        versioned(&p)
    }

    pub(crate) fn decode(key: &[u8], value: &[u8]) -> Result<Latest> {
        let p = payload(key, value)?;
        let bad = || corrupt(key, "record pointer is not seq ‖ body hash ‖ entry hash");
        if p.len() != Self::LEN {
            return Err(bad());
        }
        let (seq, rest) = p.split_first_chunk::<8>().ok_or_else(bad)?;
        let (body_hash, entry_hash) = rest.split_first_chunk::<32>().ok_or_else(bad)?;
        let entry_hash = <[u8; 32]>::try_from(entry_hash).map_err(|_| bad())?;
        Ok(Latest {
            seq: u64::from_be_bytes(*seq),
            body_hash: *body_hash,
            entry_hash,
        })
    }
}

/// The `p/id/` value. `None` when the id type contains the separator (never the case for
/// the fixed id type labels; refused rather than stored ambiguously).
pub(crate) fn encode_home_id(id_type: &str, id_no: &str) -> Option<Vec<u8>> {
    if id_type.as_bytes().contains(&UNIT_SEP) {
        return None;
    }
    Some(versioned(
        &[id_type.as_bytes(), &[UNIT_SEP], id_no.as_bytes()].concat(),
    ))
}

pub(crate) fn decode_home_id(key: &[u8], value: &[u8]) -> Result<(String, String)> {
    let p = payload(key, value)?;
    let at = p
        .iter()
        .position(|&b| b == UNIT_SEP)
        .ok_or_else(|| corrupt(key, "home id value has no separator"))?;
    let text = |b: &[u8]| {
        String::from_utf8(b.to_vec()).map_err(|_| corrupt(key, "home id value is not text"))
    };
    Ok((text(&p[..at])?, text(&p[at + 1..])?))
}

/// Author and record id of an `r/` key (`r/ kind author record_id`).
pub(crate) fn parse_record_key(key: &[u8]) -> Result<(CountyCode, String)> {
    let rest = key
        .get(RECORD.len() + 1..)
        .ok_or_else(|| corrupt(key, "key too short"))?;
    let (a, id) = rest
        .split_at_checked(AUTHOR_LEN)
        .ok_or_else(|| corrupt(key, "key too short"))?;
    let author = parse_author(key, a)?;
    let id = std::str::from_utf8(id).map_err(|_| corrupt(key, "record id is not text"))?;
    Ok((author, id.to_owned()))
}

/// Author of an `x/` key.
pub(crate) fn author_of_equivocation_key(key: &[u8]) -> Result<CountyCode> {
    let a = key
        .get(EQUIVOCATION.len()..EQUIVOCATION.len() + AUTHOR_LEN)
        .ok_or_else(|| corrupt(key, "key too short"))?;
    parse_author(key, a)
}

const COSIG_LEN: usize = AUTHOR_LEN + 16 + 64;

/// `size ‖ root ‖ cosignatures`.
pub(crate) fn encode_cosignatures(
    size: u64,
    root: &Hash,
    cs: &[bashu_core::governance::Cosignature],
) -> Vec<u8> {
    let mut p = Vec::with_capacity(40 + cs.len() * COSIG_LEN);
    p.extend_from_slice(&size.to_be_bytes());
    p.extend_from_slice(root);
    for c in cs {
        p.extend_from_slice(author(&c.witness));
        p.extend_from_slice(&c.key_id.0);
        p.extend_from_slice(&c.signature.0);
    }
    versioned(&p)
}

pub(crate) fn decode_cosignatures(
    key: &[u8],
    value: &[u8],
) -> Result<(u64, Hash, Vec<bashu_core::governance::Cosignature>)> {
    let p = payload(key, value)?;
    let bad = || corrupt(key, "cosignatures are not size ‖ root ‖ n × cosignature");
    let (size, rest) = p.split_first_chunk::<8>().ok_or_else(bad)?;
    let (root, rest) = rest.split_first_chunk::<32>().ok_or_else(bad)?;
    if rest.len() % COSIG_LEN != 0 {
        return Err(bad());
    }
    let mut out = Vec::new();
    for c in rest.chunks_exact(COSIG_LEN) {
        let (w, rest) = c.split_at(AUTHOR_LEN);
        let (k, sig) = rest.split_at(16);
        out.push(bashu_core::governance::Cosignature {
            witness: parse_author(key, w)?,
            key_id: bashu_core::keys::KeyId::from_slice(k).ok_or_else(bad)?,
            signature: bashu_core::keys::Signature::from_slice(sig).map_err(|_| bad())?,
        });
    }
    Ok((u64::from_be_bytes(*size), *root, out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_bounds_every_extension() {
        assert_eq!(prefix_end(b"e/"), b"e0".to_vec());
        assert_eq!(prefix_end(&[b'a', 0xff]), vec![b'b']);
        assert_eq!(prefix_end(&[b'i', 0x00]), vec![b'i', 0x01]);
    }

    #[test]
    fn chunks_round_trip_and_torn_chunks_are_corrupt() {
        let a = CountyCode::parse("500153").unwrap();
        let key = chunk_key(&a, 65);
        assert_eq!(chunk_first_seq(&key).unwrap(), 65);
        assert!(chunk_first_seq(b"e/500153").is_err());
        let v = encode_chunk([&b"one"[..], b"", b"three"]);
        assert_eq!(
            chunk_entries(&key, &v).unwrap(),
            vec![&b"one"[..], b"", b"three"]
        );
        let mut torn = v.clone();
        torn.pop();
        assert!(chunk_entries(&key, &torn).is_err());
        assert!(chunk_entries(&key, &[VERSION]).is_err());
    }

    #[test]
    fn versions_are_checked() {
        assert_eq!(payload(b"k", &[1, 7]).unwrap(), &[7]);
        assert!(matches!(
            payload(b"k", &[2, 7]),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(
            payload(b"k", &[]),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn record_pointer_round_trip_and_torn_value() {
        let l = Latest {
            seq: 9,
            body_hash: [1; 32],
            entry_hash: [2; 32],
        };
        assert_eq!(Latest::decode(b"r", &l.encode()).unwrap(), l);
        let mut torn = l.encode();
        torn.pop();
        assert!(matches!(
            Latest::decode(b"r", &torn),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn index_rows_parse_back() {
        let a = CountyCode::parse("500153").unwrap();
        let row = cert_no_row("C-1", &a, "rec/1");
        let (author, rid) = parse_index_row(&row, cert_no_prefix("C-1").len()).unwrap();
        assert_eq!((author, rid.as_str()), (a.clone(), "rec/1"));
        let row = person_row(&[7; 32], &a, "r");
        let (author, rid) = parse_index_row(&row, person_prefix(&[7; 32]).len()).unwrap();
        assert_eq!((author, rid.as_str()), (a, "r"));
    }

    #[test]
    fn home_id_round_trip() {
        let v = encode_home_id("居民身份证", "11010519491231002X").unwrap();
        assert_eq!(
            decode_home_id(b"p", &v).unwrap(),
            ("居民身份证".to_owned(), "11010519491231002X".to_owned())
        );
        assert_eq!(encode_home_id("a\u{1f}b", "1"), None);
    }
}
