//! R15: skill-upgrade subsidy claims.

use bashu_core::Level;

use super::*;
use crate::fixture::{Person, occupation_code};
use crate::{Outcome, SubsidyClaim, check_subsidy};

fn claim(p: &Person, occupation: &str, level: Level, issued: &str, claimed: &str) -> SubsidyClaim {
    SubsidyClaim {
        person_key: p.key_hex(),
        occupation_code: occupation_code(occupation),
        level,
        cert_issue_date: date(issued),
        claim_date: date(claimed),
    }
}

/// The claim for the world's certificate.
fn good(w: &World, claimed: &str) -> SubsidyClaim {
    claim(&w.person, "6-18-02-04", Level::Three, "2023-05-04", claimed)
}

#[test]
fn r15_a_timely_claim_for_a_held_certificate() {
    let w = World::new();
    let v = check_subsidy(&w.snap, &[good(&w, "2024-05-04")], as_of());
    assert_eq!(v.len(), 1);
    assert!(v[0].findings.is_empty(), "{:#?}", v[0].findings);
    assert_eq!(v[0].outcome, Outcome::Valid);
    assert_eq!(v[0].check, "subsidy");
    assert_eq!(
        v[0].subject,
        format!("{}/6-18-02-04/3/2024-05-04", &w.person.key_hex()[..8])
    );
}

#[test]
fn r15_levels_three_to_five_only() {
    let w = World::new();
    let c = claim(
        &w.person,
        "6-18-02-04",
        Level::Two,
        "2023-05-04",
        "2023-06-01",
    );
    let v = check_subsidy(&w.snap, &[c], as_of());
    says(
        &one(&v[0], RuleId::R15, Severity::Fail),
        "R15 失败：技能提升补贴只适用于 三级/高级工、四级/中级工、五级/初级工，本证书为 二级/技师",
        "R15 failed: the skill-upgrade subsidy covers levels 3, 4, 5 only; this certificate is level 2",
    );
    assert_eq!(v[0].outcome, Outcome::Invalid);
}

#[test]
fn r15_within_twelve_months_of_issue() {
    let w = World::new();
    let v = check_subsidy(&w.snap, &[good(&w, "2024-05-05")], as_of());
    says(
        &one(&v[0], RuleId::R15, Severity::Fail),
        "R15 失败：申领日期 2024-05-05 超过发证日期 2023-05-04 后 12 个月（2024-05-04）",
        "R15 failed: claim date 2024-05-05 is more than 12 months after the issue date 2023-05-04 (deadline 2024-05-04)",
    );
    let v = check_subsidy(&w.snap, &[good(&w, "2023-05-03")], as_of());
    says(
        &one(&v[0], RuleId::R15, Severity::Fail),
        "R15 失败：申领日期 2023-05-03 早于发证日期 2023-05-04",
        "R15 failed: claim date 2023-05-03 is before the issue date 2023-05-04",
    );
}

#[test]
fn r15_one_claim_per_person_occupation_and_level() {
    let w = World::new();
    // Given out of order: the earlier claim is judged first and wins.
    let claims = [good(&w, "2023-09-01"), good(&w, "2023-06-01")];
    let v = check_subsidy(&w.snap, &claims, as_of());
    assert_eq!(v[1].outcome, Outcome::Valid);
    says(
        &one(&v[0], RuleId::R15, Severity::Fail),
        "R15 失败：该人员已就 6-18-02-04 三级/高级工 申领过补贴（2023-06-01）",
        "R15 failed: this person already claimed for 6-18-02-04 level 3 (on 2023-06-01)",
    );
}

#[test]
fn r15_at_most_three_claims_per_person_per_year() {
    let w = World::new();
    let p = &w.person;
    let claims = [
        claim(p, "4-10-01-05", Level::Five, "2023-12-01", "2024-01-10"),
        claim(p, "4-10-01-05", Level::Four, "2023-12-01", "2024-02-10"),
        claim(p, "6-18-01-01", Level::Five, "2023-12-01", "2024-03-10"),
        claim(p, "6-18-01-02", Level::Five, "2023-12-01", "2024-04-10"),
    ];
    let v = check_subsidy(&w.snap, &claims, as_of());
    assert!(v[..3].iter().all(|v| !v.has(RuleId::R15, Severity::Fail)));
    says(
        &one(&v[3], RuleId::R15, Severity::Fail),
        "R15 失败：该人员 2024 年已申领 3 次，每年最多 3 次",
        "R15 failed: this person already claimed 3 times in 2024; at most 3 per year",
    );
}

#[test]
fn r15_certificate_not_in_the_store_needs_review() {
    let w = World::new();
    let c = claim(
        &w.person,
        "6-18-02-04",
        Level::Three,
        "2023-05-05",
        "2023-06-01",
    );
    let v = check_subsidy(&w.snap, &[c], as_of());
    says(
        &one(&v[0], RuleId::R15, Severity::Review),
        "R15 待复核：数据中没有与申领相符的有效证书（6-18-02-04 三级/高级工，发证日期 2023-05-05）",
        "R15 needs review: no certificate in force matching the claim (6-18-02-04, level 3, issued 2023-05-05) is in the replicated data",
    );
    assert_eq!(v[0].outcome, Outcome::Pending);
}
