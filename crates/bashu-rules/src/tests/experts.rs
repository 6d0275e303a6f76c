//! Which experts could join a panel.

use bashu_core::Level;
use bashu_core::record::{ExpertStatus, SharedScope};

use super::*;
use crate::fixture::{WELDER, occupation_code};
use crate::{ExpertEligibility, eligible_experts};

fn pool(w: &World) -> Vec<ExpertEligibility> {
    eligible_experts(
        &w.snap,
        &w.batch,
        &occupation_code(WELDER.0),
        Level::Three,
        date("2023-03-01"),
    )
}

fn of<'a>(list: &'a [ExpertEligibility], id: &str) -> &'a ExpertEligibility {
    list.iter().find(|e| e.expert_id == id).unwrap()
}

#[test]
fn every_expert_by_id_with_the_reasons_for_the_others() {
    let w = World::new();
    let list = pool(&w);
    let ids: Vec<(&str, bool)> = list
        .iter()
        .map(|e| (e.expert_id.as_str(), e.eligible))
        .collect();
    assert_eq!(
        ids,
        [
            ("E01", true),
            ("E02", true),
            ("E03", true),
            ("E04", true),
            ("E05", false),
            ("E06", true)
        ]
    );
    // E05 is a supervisor, not an assessor; the pool says so, and that it could supervise.
    let e5 = of(&list, "E05");
    assert_eq!(e5.name, "黄勇");
    assert_eq!(e5.findings.len(), 2, "{:#?}", e5.findings);
    says(
        &e5.findings[0],
        "R8 失败：专家 E05（黄勇）不是考评员",
        "R8 failed: expert E05 (黄勇) is not an assessor",
    );
    says(
        &e5.findings[1],
        "R11 信息：可担任本批次的外督（由 510521 委派）",
        "R11 info: can be this batch's external supervisor (appointed by 510521)",
    );
}

#[test]
fn suspended_or_unshared_experts_are_not_eligible() {
    let mut w = World::new();
    w.snap.expert_mut("E04").unwrap().status = ExpertStatus::Suspended;
    w.snap.expert_mut("E02").unwrap().shared_scope = SharedScope::Counties(vec![county(LUXIAN)]);
    let list = pool(&w);
    let e4 = of(&list, "E04");
    assert!(!e4.eligible);
    says(
        &e4.findings[0],
        "R8 失败：专家 E04（陈静）状态为暂停",
        "R8 failed: expert E04 (陈静) is suspended",
    );
    let e2 = of(&list, "E02");
    assert!(!e2.eligible);
    says(
        &e2.findings[0],
        "R8 失败：专家 E02（张敏）未向 500153 共享",
        "R8 failed: expert E02 (张敏) is not shared with 500153",
    );
}

#[test]
fn conflicts_and_qualifications_exclude() {
    let mut w = World::new();
    let employer = w.company.uscc.clone();
    w.snap.expert_mut("E03").unwrap().employer_uscc = Some(employer);
    w.snap.expert_mut("E01").unwrap().card_valid_to = Some(date("2023-01-31"));
    let list = pool(&w);
    assert!(
        of(&list, "E03")
            .findings
            .iter()
            .any(|f| f.rule == RuleId::R9)
    );
    assert!(!of(&list, "E03").eligible);
    assert!(
        of(&list, "E01")
            .findings
            .iter()
            .any(|f| f.rule == RuleId::R8)
    );
    assert!(!of(&list, "E01").eligible);
    // For a 二级 panel only senior assessors with 一级 or a 副高 title qualify.
    w.snap.expert_mut("E06").unwrap().own_level = Some(Level::Three);
    w.snap.expert_mut("E06").unwrap().title_level = bashu_core::record::TitleLevel::Intermediate;
    let senior = eligible_experts(
        &w.snap,
        &w.batch,
        &occupation_code(WELDER.0),
        Level::Two,
        date("2023-03-01"),
    );
    assert!(!of(&senior, "E06").eligible);
    assert!(of(&pool(&w), "E06").eligible, "fine for 三级");
}

#[test]
fn card_expired_after_the_exam_when_asked_later() {
    let mut w = World::new();
    w.snap.expert_mut("E01").unwrap().card_valid_to = Some(date("2024-01-01"));
    let list = eligible_experts(
        &w.snap,
        &w.batch,
        &occupation_code(WELDER.0),
        Level::Three,
        as_of(),
    );
    let e1 = of(&list, "E01");
    assert!(!e1.eligible);
    says(
        &e1.findings[0],
        "R8 失败：专家 E01（李强）的考评员证卡于 2024-01-01 到期，早于查询日期 2024-06-01",
        "R8 failed: the assessor card of expert E01 (李强) expired on 2024-01-01, before the date asked 2024-06-01",
    );
}
