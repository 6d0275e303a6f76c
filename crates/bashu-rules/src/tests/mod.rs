//! Golden tests: every rule passing and failing, with the exact messages an official reads,
//! and the SPEC's edge cases. Each test starts from [`World`] (where everything passes)
//! and breaks one thing.

#![allow(clippy::unwrap_used)]

mod batch;
mod determinism;
mod experts;
mod promotion;
mod recognition;
mod subsidy;

use bashu_core::Date;

use crate::fixture::{LUXIAN, World, county, date};
use crate::{Finding, RuleId, Severity, Verdict, check_recognition};

/// The date every check is asked on unless a test says otherwise.
fn as_of() -> Date {
    date("2024-06-01")
}

/// The world's certificate, asked about in 泸县.
fn recognise(w: &World) -> Verdict {
    check_recognition(&w.snap, &w.cert, &county(LUXIAN), as_of())
}

/// The findings of `rule` other than INFO.
fn problems(v: &Verdict, rule: RuleId) -> Vec<&Finding> {
    v.findings
        .iter()
        .filter(|f| f.rule == rule && f.severity != Severity::Info)
        .collect()
}

/// The one finding of `rule` with `severity`; fails the test if there is not exactly one.
fn one(v: &Verdict, rule: RuleId, severity: Severity) -> Finding {
    let found: Vec<&Finding> = v
        .findings
        .iter()
        .filter(|f| f.rule == rule && f.severity == severity)
        .collect();
    assert_eq!(found.len(), 1, "{rule} {severity:?} in {:#?}", v.findings);
    found[0].clone()
}

/// Asserts a finding's two messages.
fn says(f: &Finding, zh: &str, en: &str) {
    assert_eq!(f.message_zh, zh);
    assert_eq!(f.message_en, en);
}

/// Only INFO findings (the verdict is clean).
fn clean(v: &Verdict) -> bool {
    v.findings.iter().all(|f| f.severity == Severity::Info)
}
