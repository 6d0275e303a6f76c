//! The co-assessment and mutual-recognition rules of the alliance (SPEC §3, R1–R16).
//!
//! Architecture invariant: pure functions of a read-only [`Snapshot`], the rule
//! [`RuleParams`] and dates given as arguments. No IO, no clock, no code constants for
//! anything the alliance can decide (ratios, years, tables, scope): those come from the
//! genesis and alliance decisions through the snapshot. The same snapshot gives the same
//! verdict bytes on every node.
//!
//! Code map:
//! - the checks: [`check_recognition`] (`recognition`), [`check_batch`] (`batch`),
//!   [`check_promotion`] (`promotion`), [`check_subsidy`] (`subsidy`), and
//!   [`eligible_experts`] (`experts`) for planning a panel;
//! - one module per rule group: `number` R1, `certificate` R2–R5, `prerequisite` R6,
//!   `panel` R7, `assessor` R8, `recusal` R9, `rotation` R10, `supervision` R11,
//!   `promotion` R12–R13, `recognition` R14, `subsidy` R15, `pii` R16;
//! - `messages`: bilingual finding text; `status`: statuses on a date;
//! - [`fixture`]: an in-memory snapshot and builders of valid records, for tests here and
//!   in other crates.

pub mod params;
pub mod snapshot;
pub mod verdict;

mod assessor;
mod batch;
mod certificate;
mod experts;
mod messages;
mod number;
mod panel;
mod pii;
mod prerequisite;
mod promotion;
mod recognition;
mod recusal;
mod rotation;
pub mod status;
mod subsidy;
mod supervision;

pub mod fixture;

#[cfg(test)]
mod tests;

pub use batch::check_batch;
pub use experts::{ExpertEligibility, eligible_experts};
pub use params::{RuleParams, params_in_force};
pub use pii::{check_personal_data, is_canonical_mask};
pub use promotion::{SKILL_TITLE_AWARD, check_promotion, promoted_level};
pub use recognition::check_recognition;
pub use snapshot::{AuthorStanding, CertificateRef, Snapshot};
pub use subsidy::{SubsidyClaim, check_subsidy};
pub use verdict::{CheckKind, Finding, Outcome, RuleId, Severity, Verdict};

/// Version of the rule set; part of every verdict.
pub const RULE_SET_VERSION: &str = "bashu-rules/1";
