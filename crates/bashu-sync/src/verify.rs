//! Verification of a chunk of entries, spread over the available cores.

use bashu_core::CountyCode;
use bashu_core::entry::{Keyring, ProtocolError, SignedEntry, VerifiedEntry, verify_entry};

use crate::par::in_parts;

/// Verifies `entries` as positions `first_seq, first_seq + 1, …` of `author`'s log.
/// Every signature is checked with `verify_strict`; the first failure is returned with its
/// sequence number and nothing of the chunk is accepted.
pub fn verify_chunk(
    author: &CountyCode,
    first_seq: u64,
    entries: Vec<SignedEntry>,
    keys: &(dyn Keyring + Sync),
) -> Result<Vec<VerifiedEntry>, (u64, ProtocolError)> {
    let parts = in_parts(entries, |offset, part| {
        verify_range(author, first_seq + offset as u64, part, keys)
    });
    let mut out = Vec::new();
    for r in parts {
        out.extend(r?);
    }
    Ok(out)
}

fn verify_range(
    author: &CountyCode,
    first_seq: u64,
    entries: Vec<SignedEntry>,
    keys: &(dyn Keyring + Sync),
) -> Result<Vec<VerifiedEntry>, (u64, ProtocolError)> {
    entries
        .into_iter()
        .zip(first_seq..)
        .map(|(e, seq)| {
            verify_entry(e, author, seq, keys)
                .and_then(|v| {
                    // R16 at receive: nothing that must stay on the home node is stored.
                    crate::privacy::check_body(v.header().kind, v.body())
                        .map_err(|p| ProtocolError::PersonalData(p.to_string()))?;
                    Ok(v)
                })
                .map_err(|err| (seq, err))
        })
        .collect()
}

/// A chunk verified as far as possible: the verified prefix, and where it stopped.
pub struct PartialChunk {
    pub verified: Vec<VerifiedEntry>,
    /// The first refused position, why, and the entries from there on (unverified).
    pub refused: Option<(u64, ProtocolError, Vec<SignedEntry>)>,
}

/// Like [`verify_chunk`], but keeps the verified prefix when an entry is refused, so a
/// caller can commit it (it may carry the governance entries that make the rest valid).
pub fn verify_prefix(
    author: &CountyCode,
    first_seq: u64,
    entries: Vec<SignedEntry>,
    keys: &(dyn Keyring + Sync),
) -> PartialChunk {
    let raw = entries.clone();
    match verify_chunk(author, first_seq, entries, keys) {
        Ok(verified) => PartialChunk {
            verified,
            refused: None,
        },
        Err((seq, error)) => {
            let cut = usize::try_from(seq.saturating_sub(first_seq)).unwrap_or(usize::MAX);
            let mut raw = raw;
            let rest = raw.split_off(cut.min(raw.len()));
            // The prefix before the refused entry verifies on its own (checked again here,
            // as the parallel run stops at the first failure of any part).
            match verify_range(author, first_seq, raw, keys) {
                Ok(verified) => PartialChunk {
                    verified,
                    refused: Some((seq, error, rest)),
                },
                Err((seq, error)) => PartialChunk {
                    verified: Vec::new(),
                    refused: Some((seq, error, Vec::new())),
                },
            }
        }
    }
}
