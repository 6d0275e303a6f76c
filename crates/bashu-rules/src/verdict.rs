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

impl RuleId {
    /// Every rule, in rule order.
    pub const ALL: [RuleId; 16] = [
        RuleId::R1,
        RuleId::R2,
        RuleId::R3,
        RuleId::R4,
        RuleId::R5,
        RuleId::R6,
        RuleId::R7,
        RuleId::R8,
        RuleId::R9,
        RuleId::R10,
        RuleId::R11,
        RuleId::R12,
        RuleId::R13,
        RuleId::R14,
        RuleId::R15,
        RuleId::R16,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::R1 => "R1",
            RuleId::R2 => "R2",
            RuleId::R3 => "R3",
            RuleId::R4 => "R4",
            RuleId::R5 => "R5",
            RuleId::R6 => "R6",
            RuleId::R7 => "R7",
            RuleId::R8 => "R8",
            RuleId::R9 => "R9",
            RuleId::R10 => "R10",
            RuleId::R11 => "R11",
            RuleId::R12 => "R12",
            RuleId::R13 => "R13",
            RuleId::R14 => "R14",
            RuleId::R15 => "R15",
            RuleId::R16 => "R16",
        }
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which check a verdict answers; decides the outcome words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKind {
    /// Certificate recognition in a county: RECOGNISED / PENDING / REJECTED.
    Recognition,
    /// Assessment batch (panel) check: VALID / PENDING / INVALID.
    Batch,
    /// Competition promotion check: VALID / PENDING / INVALID.
    Promotion,
    /// Skill-upgrade subsidy claim: VALID / PENDING / INVALID.
    Subsidy,
}

impl CheckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Recognition => "recognition",
            CheckKind::Batch => "batch",
            CheckKind::Promotion => "promotion",
            CheckKind::Subsidy => "subsidy",
        }
    }

    /// Any FAIL → rejected/invalid; else any REVIEW → pending; else recognised/valid.
    pub fn outcome(self, findings: &[Finding]) -> Outcome {
        let any = |s: Severity| findings.iter().any(|f| f.severity == s);
        let recognition = self == CheckKind::Recognition;
        if any(Severity::Fail) {
            if recognition {
                Outcome::Rejected
            } else {
                Outcome::Invalid
            }
        } else if any(Severity::Review) {
            Outcome::Pending
        } else if recognition {
            Outcome::Recognised
        } else {
            Outcome::Valid
        }
    }
}

impl Verdict {
    /// A verdict from its findings: sorted into rule order (stable, so findings of one rule
    /// keep the deterministic order they were produced in), outcome derived from them; the
    /// snapshot's log sizes in author code order.
    pub fn from_findings(
        kind: CheckKind,
        subject: impl Into<String>,
        county: Option<CountyCode>,
        as_of: Date,
        mut snapshot: Vec<(CountyCode, u64)>,
        mut findings: Vec<Finding>,
    ) -> Verdict {
        findings.sort_by_key(|f| f.rule);
        snapshot.sort();
        Verdict {
            check: kind.as_str().to_owned(),
            subject: subject.into(),
            county,
            as_of,
            outcome: kind.outcome(&findings),
            rule_set: crate::RULE_SET_VERSION.to_owned(),
            snapshot,
            findings,
        }
    }

    /// The findings of one rule.
    pub fn findings_of(&self, rule: RuleId) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.rule == rule).collect()
    }

    /// Whether any finding of `rule` has `severity`.
    pub fn has(&self, rule: RuleId, severity: Severity) -> bool {
        self.findings
            .iter()
            .any(|f| f.rule == rule && f.severity == severity)
    }
}
