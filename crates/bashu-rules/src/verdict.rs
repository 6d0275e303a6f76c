//! Verdicts and findings: what a check returns, deterministically.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use bashu_core::{CountyCode, Date};

/// A rule of SPEC §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RuleId {
    R1,
    R2,
    R3,
    R4,
    R5,
    R6,
    R7,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
    R16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Fail,
    Review,
    Info,
}

/// The outcome of a check: `Recognised/Pending/Rejected` for certificates,
/// `Valid/Invalid` (with `Pending` for missing data) for batches and promotions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Recognised,
    Pending,
    Rejected,
    Valid,
    Invalid,
}

/// One finding: which rule, how severe, why (in Chinese and English), on which facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub message_zh: String,
    pub message_en: String,
    /// The facts the rule used, by name (sorted, so output is deterministic).
    pub facts: BTreeMap<String, String>,
}

/// What a check returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// `recognition`, `batch`, `promotion`, `subsidy`.
    pub check: String,
    /// What was checked (certificate number, batch id, result id).
    pub subject: String,
    /// The county the question is about, where there is one.
    pub county: Option<CountyCode>,
    /// The date the check is evaluated on (an input, never the clock).
    pub as_of: Date,
    pub outcome: Outcome,
    pub rule_set: String,
    /// Per-author log sizes of the snapshot (author code order).
    pub snapshot: Vec<(CountyCode, u64)>,
    /// All findings, in rule order.
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// Canonical bytes of the verdict (compact JSON, fixed field order): identical on every
    /// node for the same snapshot and inputs.
    pub fn to_canonical_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}
