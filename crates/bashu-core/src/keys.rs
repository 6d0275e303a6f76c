//! Keys and signatures. The only module that names `ed25519_dalek`.
//!
//! Every signed message is domain-separated: the signature covers a fixed prefix naming
//! what is signed, then the exact bytes. Acceptance uses `verify_strict`, so every node
//! decides identically on crafted signatures.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey as DalekSigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// What a signature is about. Each kind has its own prefix, so a signature over one can
/// never be replayed as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    Entry,
    Checkpoint,
    Cosignature,
    Genesis,
}

impl Domain {
    fn prefix(self) -> &'static [u8] {
        match self {
            Domain::Entry => b"bashu/entry/v1\n",
            Domain::Checkpoint => b"bashu/checkpoint/v1\n",
            Domain::Cosignature => b"bashu/cosignature/v1\n",
            Domain::Genesis => b"bashu/genesis/v1\n",
        }
    }

    fn message(self, bytes: &[u8]) -> Vec<u8> {
        let prefix = self.prefix();
        let mut m = Vec::with_capacity(prefix.len() + bytes.len());
        m.extend_from_slice(prefix);
        m.extend_from_slice(bytes);
        m
    }
}

/// Errors of key handling and verification.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("public key must be 32 bytes, got {0}")]
    PublicKeyLength(usize),
    #[error("public key is not a valid ed25519 point")]
    PublicKeyInvalid,
    #[error("signature must be 64 bytes, got {0}")]
    SignatureLength(usize),
    #[error("signature does not verify")]
    BadSignature,
    #[error("secret key file is not in the form `ed25519:<64 hex digits>`")]
    SecretKeyFormat,
}

/// Identifies a public key: the first 16 bytes of SHA-256 of its 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 16]);

impl KeyId {
    pub fn from_slice(b: &[u8]) -> Option<KeyId> {
        <[u8; 16]>::try_from(b).ok().map(KeyId)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", hex::encode(self.0))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// An ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    pub fn from_slice(b: &[u8]) -> Result<Signature, KeyError> {
        <[u8; 64]>::try_from(b)
            .map(Signature)
            .map_err(|_| KeyError::SignatureLength(b.len()))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({}…)", hex::encode(&self.0[..8]))
    }
}

/// A county's public signing key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    pub fn from_slice(b: &[u8]) -> Result<PublicKey, KeyError> {
        let arr = <[u8; 32]>::try_from(b).map_err(|_| KeyError::PublicKeyLength(b.len()))?;
        VerifyingKey::from_bytes(&arr)
            .map(PublicKey)
            .map_err(|_| KeyError::PublicKeyInvalid)
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn key_id(&self) -> KeyId {
        let digest = Sha256::digest(self.0.as_bytes());
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        KeyId(id)
    }

    /// Strict verification of `sig` over `domain ‖ bytes`.
    pub fn verify(&self, domain: Domain, bytes: &[u8], sig: &Signature) -> Result<(), KeyError> {
        let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
        self.0
            .verify_strict(&domain.message(bytes), &sig)
            .map_err(|_| KeyError::BadSignature)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.0.as_bytes()))
    }
}

/// A county's secret signing key. Debug never prints the secret.
#[derive(Clone)]
pub struct SigningKey(DalekSigningKey);

impl SigningKey {
    /// From 32 secret bytes (the caller supplies the randomness: this crate does no IO).
    pub fn from_bytes(secret: [u8; 32]) -> SigningKey {
        SigningKey(DalekSigningKey::from_bytes(&secret))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    pub fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }

    pub fn sign(&self, domain: Domain, bytes: &[u8]) -> Signature {
        Signature(self.0.sign(&domain.message(bytes)).to_bytes())
    }

    /// The key file form: `ed25519:<64 hex digits>\n`.
    pub fn to_file_string(&self) -> String {
        format!("ed25519:{}\n", hex::encode(self.0.to_bytes()))
    }

    pub fn from_file_string(s: &str) -> Result<SigningKey, KeyError> {
        let hex_part = s
            .trim()
            .strip_prefix("ed25519:")
            .ok_or(KeyError::SecretKeyFormat)?;
        let bytes = hex::decode(hex_part).map_err(|_| KeyError::SecretKeyFormat)?;
        let arr = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| KeyError::SecretKeyFormat)?;
        Ok(SigningKey::from_bytes(arr))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey(key_id={})", self.key_id())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_with_domain_separation() {
        let k = SigningKey::from_bytes([7; 32]);
        let sig = k.sign(Domain::Entry, b"hello");
        let pk = k.public_key();
        assert_eq!(pk.verify(Domain::Entry, b"hello", &sig), Ok(()));
        assert_eq!(
            pk.verify(Domain::Checkpoint, b"hello", &sig),
            Err(KeyError::BadSignature)
        );
        assert_eq!(
            pk.verify(Domain::Entry, b"hellp", &sig),
            Err(KeyError::BadSignature)
        );
    }

    #[test]
    fn key_file_round_trip() {
        let k = SigningKey::from_bytes([9; 32]);
        let s = k.to_file_string();
        let back = SigningKey::from_file_string(&s).unwrap();
        assert_eq!(back.public_key(), k.public_key());
        assert!(SigningKey::from_file_string("ed25519:zz").is_err());
        assert!(!format!("{k:?}").contains(&hex::encode([9u8; 32])));
    }
}
