//! Pseudonymous person keys (SPEC §1, BLUEPRINT §3.5).
//!
//! `person_key = HMAC-SHA256(alliance pseudonym key, id_type ‖ 0x1f ‖ normalised id_no)`.
//! The same person gets the same key in every county, and without the alliance key the
//! small space of ID numbers cannot be searched.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::id::PersonId;

/// The alliance's shared secret for person keys. Debug never prints it.
#[derive(Clone)]
pub struct PseudonymKey([u8; 32]);

/// The file form is not `pseudonym:<64 hex digits>`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("pseudonym key file is not in the form `pseudonym:<64 hex digits>`")]
pub struct PseudonymKeyFormat;

impl PseudonymKey {
    pub fn from_bytes(b: [u8; 32]) -> PseudonymKey {
        PseudonymKey(b)
    }

    pub fn to_file_string(&self) -> String {
        format!("pseudonym:{}\n", hex::encode(self.0))
    }

    pub fn from_file_string(s: &str) -> Result<PseudonymKey, PseudonymKeyFormat> {
        let h = s
            .trim()
            .strip_prefix("pseudonym:")
            .ok_or(PseudonymKeyFormat)?;
        let b = hex::decode(h).map_err(|_| PseudonymKeyFormat)?;
        <[u8; 32]>::try_from(b.as_slice())
            .map(PseudonymKey)
            .map_err(|_| PseudonymKeyFormat)
    }

    /// The person key of an identity document.
    pub fn person_key(&self, id: &PersonId) -> [u8; 32] {
        // An HMAC accepts keys of any length, so this cannot fail for 32 bytes.
        let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(id.id_type_label().as_bytes());
        mac.update(&[0x1f]);
        mac.update(id.normalised_number().as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(…)")
    }
}
