//! Bashu Exchange core: the words of the domain and of the log protocol.
//!
//! Architecture invariant: this crate does no IO and reads no clock. Times and dates are
//! arguments. It knows the protobuf *messages* of `bashu-proto` (entries and bodies are
//! signed protobuf bytes and must be decoded where they are verified) but never tonic.

pub mod codec;
pub mod date;
pub mod entry;
pub mod governance;
pub mod id;
pub mod import;
pub mod keys;
pub mod merkle;
pub mod person;
pub mod record;
mod serde_ids;
pub mod synth;

pub use date::Date;
pub use id::{CertNo, CountyCode, IdNumber, Level, OccupationCode, PersonId, Uscc};
