//! The co-assessment and mutual-recognition rules of the alliance (SPEC §3, R1–R16).
//!
//! Architecture invariant: pure functions of a read-only [`Snapshot`], the rule
//! [`RuleParams`] and dates given as arguments. No IO, no clock, no code constants for
//! anything the alliance can decide (ratios, years, tables, scope): those come from the
//! genesis and alliance decisions through the snapshot. The same snapshot gives the same
//! verdict bytes on every node.

pub mod params;
pub mod snapshot;
pub mod verdict;

pub use params::RuleParams;
pub use snapshot::{AuthorStanding, CertificateRef, Snapshot};
pub use verdict::{Finding, Outcome, RuleId, Severity, Verdict};

/// Version of the rule set; part of every verdict.
pub const RULE_SET_VERSION: &str = "bashu-rules/1";
