//! The promotion check: R12, R13 (and R9 for referees).

use bashu_core::Level;
use bashu_core::record::{
    CertSource, CompetitionClass, CounterpartKind, ParticipantType, Relation, RelationType,
};

use super::*;
use crate::fixture::{FILING_NO, LONGCHANG, Person, RONGCHANG, WELDER, cert_no, certificate};
use crate::params::{PromotionRow, PromotionTable, RankCutoff};
use crate::{Outcome, check_promotion, promoted_level};

const EMPLOYEE: ParticipantType = ParticipantType::Employee;
const STUDENT: ParticipantType = ParticipantType::Student;

fn promote(w: &World, result: &bashu_core::record::CompetitionResult) -> Verdict {
    check_promotion(&w.snap, result, &county(LUXIAN), as_of())
}

fn promoted(v: &Verdict) -> Option<String> {
    v.findings
        .iter()
        .find(|f| f.rule == RuleId::R12 && f.severity == Severity::Info)
        .map(|f| f.facts["promoted_level"].clone())
}

#[test]
fn r12_already_at_target_is_bumped_one_level() {
    // 王伟 holds 焊工 三级; an alliance competition's top 6 employees get 三级, bumped to 二级.
    let mut w = World::new();
    w.add_alliance_competition("C2024", 2024);
    let r = w.add_result("R-2024-01", "C2024", &w.person.clone(), EMPLOYEE, 3);
    let v = promote(&w, &r);
    let f = one(&v, RuleId::R12, Severity::Info);
    says(
        &f,
        "R12 信息：联盟竞赛（职工）第 3 名，晋升至 二级/技师",
        "R12 info: rank 3 (employee, alliance competition) promotes to level 2",
    );
    assert_eq!(f.facts["promoted_level"], "2");
    assert_eq!(f.facts["held_level"], "3");
    assert_eq!(f.facts["target_level"], "3");
    assert_eq!(v.outcome, Outcome::Valid);
    assert_eq!(v.check, "promotion");
    assert_eq!(promoted_level(&w.snap, &r, as_of()), Some(Level::Two));
}

#[test]
fn r12_below_target_gets_the_target_and_students_get_less() {
    let mut w = World::new();
    w.add_alliance_competition("C2024", 2024);
    let r = w.add_result("R-1", "C2024", &Person::new(12, "李娜"), EMPLOYEE, 1);
    assert_eq!(promoted(&promote(&w, &r)).as_deref(), Some("3"));
    let r = w.add_result("R-2", "C2024", &Person::new(13, "赵磊"), STUDENT, 2);
    assert_eq!(promoted(&promote(&w, &r)).as_deref(), Some("4"));
}

#[test]
fn r12_rank_outside_the_table() {
    let mut w = World::new();
    w.add_alliance_competition("C2024", 2024);
    let r = w.add_result("R-1", "C2024", &w.person.clone(), EMPLOYEE, 7);
    let v = promote(&w, &r);
    says(
        &one(&v, RuleId::R12, Severity::Fail),
        "R12 失败：联盟竞赛（职工）第 7 名（共 40 人）不在晋升对照表「default」的晋升范围内",
        "R12 failed: rank 7 of 40 (employee, alliance competition) earns no promotion in table \"default\"",
    );
    assert_eq!(v.outcome, Outcome::Invalid);
    assert_eq!(promoted_level(&w.snap, &r, as_of()), None);
}

#[test]
fn r12_rank_share_rows() {
    let mut w = World::new();
    let mut c = w.add_alliance_competition("C-ENT", 2024);
    c.class = CompetitionClass::Enterprise;
    w.snap.add_competition(c);
    let newcomer = Person::new(12, "李娜");
    // 12 of 40 is exactly the top 30%.
    let r = w.add_result("R-1", "C-ENT", &newcomer, EMPLOYEE, 12);
    assert_eq!(promoted(&promote(&w, &r)).as_deref(), Some("4"));
    let r = w.add_result("R-2", "C-ENT", &Person::new(13, "赵磊"), EMPLOYEE, 13);
    assert!(promote(&w, &r).has(RuleId::R12, Severity::Fail));
}

#[test]
fn r12_never_above_level_one() {
    // A table that promotes to 一级, with bump, and a winner who already holds 一级.
    let mut w = World::new();
    w.snap.params.promotion_tables.insert(
        "masters".into(),
        PromotionTable {
            rows: vec![PromotionRow {
                classes: [CompetitionClass::Alliance].into(),
                participant_type: EMPLOYEE,
                cutoff: RankCutoff::TopRank(1),
                target: Level::One,
            }],
            bump_if_already: true,
        },
    );
    let mut c = w.add_alliance_competition("C2024", 2024);
    c.promotion_table = "masters".into();
    w.snap.add_competition(c);
    let number = cert_no(&w.school, 2023, Level::One, 99);
    let top = certificate(
        &w.person,
        &w.school,
        &number,
        FILING_NO,
        WELDER,
        Level::One,
        "2023-09-01",
    );
    w.snap.add_certificate(RONGCHANG, 7, top);
    let r = w.add_result("R-1", "C2024", &w.person.clone(), EMPLOYEE, 1);
    let v = promote(&w, &r);
    says(
        &one(&v, RuleId::R12, Severity::Fail),
        "R12 失败：已持有 一级/高级技师，竞赛晋升不超过一级",
        "R12 failed: already holds level 1; a competition never promotes above level 1",
    );
    assert_eq!(promoted_level(&w.snap, &r, as_of()), None);
}

#[test]
fn r12_winner_already_above_the_target() {
    let mut w = World::new();
    w.add_alliance_competition("C2024", 2024);
    let number = cert_no(&w.school, 2023, Level::One, 99);
    let top = certificate(
        &w.person,
        &w.school,
        &number,
        FILING_NO,
        WELDER,
        Level::One,
        "2023-09-01",
    );
    w.snap.add_certificate(RONGCHANG, 7, top);
    let r = w.add_result("R-1", "C2024", &w.person.clone(), EMPLOYEE, 1);
    says(
        &one(&promote(&w, &r), RuleId::R12, Severity::Fail),
        "R12 失败：已持有 一级/高级技师，高于晋升目标 三级/高级工，不予晋升",
        "R12 failed: already holds level 1, above the target level 3; no promotion",
    );
}

#[test]
fn r12_without_bump_no_promotion_at_the_target() {
    let mut w = World::new();
    w.snap
        .params
        .promotion_tables
        .get_mut("default")
        .unwrap()
        .bump_if_already = false;
    w.add_alliance_competition("C2024", 2024);
    let r = w.add_result("R-1", "C2024", &w.person.clone(), EMPLOYEE, 1);
    says(
        &one(&promote(&w, &r), RuleId::R12, Severity::Fail),
        "R12 失败：已持有晋升目标等级 三级/高级工，对照表不再晋升一级",
        "R12 failed: already holds the target level 3 and the table does not promote further",
    );
}

#[test]
fn r12_one_competition_promotion_per_person_per_year() {
    let mut w = World::new();
    w.add_alliance_competition("C2024-A", 2024);
    w.add_alliance_competition("C2024-B", 2024);
    w.add_alliance_competition("C2025", 2025);
    let p = Person::new(12, "李娜");
    // Added in reverse order: the result id decides, not the insertion order.
    let second = w.add_result("R-2024-02", "C2024-B", &p, EMPLOYEE, 2);
    let first = w.add_result("R-2024-01", "C2024-A", &p, EMPLOYEE, 1);
    let next_year = w.add_result("R-2025-01", "C2025", &p, EMPLOYEE, 1);
    assert_eq!(promote(&w, &first).outcome, Outcome::Valid);
    let v = promote(&w, &second);
    says(
        &one(&v, RuleId::R12, Severity::Fail),
        "R12 失败：2024 年已因竞赛成绩 R-2024-01 晋升，同一年只能因竞赛晋升一次",
        "R12 failed: already promoted in 2024 by competition result R-2024-01; at most one competition promotion per year",
    );
    assert_eq!(promoted_level(&w.snap, &second, as_of()), None);
    assert_eq!(promote(&w, &next_year).outcome, Outcome::Valid);
}

#[test]
fn r12_a_result_without_promotion_does_not_use_up_the_year() {
    let mut w = World::new();
    w.add_alliance_competition("C2024-A", 2024);
    w.add_alliance_competition("C2024-B", 2024);
    let p = Person::new(12, "李娜");
    w.add_result("R-2024-01", "C2024-A", &p, EMPLOYEE, 30);
    let second = w.add_result("R-2024-02", "C2024-B", &p, EMPLOYEE, 2);
    assert_eq!(promote(&w, &second).outcome, Outcome::Valid);
}

#[test]
fn r12_honoured_only_in_recognising_counties() {
    let mut w = World::new();
    let mut c = w.add_alliance_competition("C2024", 2024);
    c.recognised_by.retain(|x| x.as_str() != LONGCHANG);
    w.snap.add_competition(c);
    let r = w.add_result("R-1", "C2024", &w.person.clone(), EMPLOYEE, 1);
    let v = check_promotion(&w.snap, &r, &county(LONGCHANG), as_of());
    says(
        &one(&v, RuleId::R12, Severity::Fail),
        "R12 失败：511083 不在竞赛 C2024 的认可区县名单中",
        "R12 failed: 511083 is not among the counties recognising competition C2024",
    );
    assert_eq!(
        promote(&w, &r).outcome,
        Outcome::Valid,
        "泸县 recognises it"
    );
    assert_eq!(promoted_level(&w.snap, &r, as_of()), Some(Level::Two));
}

#[test]
fn r12_unknown_competition_needs_review() {
    let mut w = World::new();
    let r = w.add_result("R-1", "C-404", &w.person.clone(), EMPLOYEE, 1);
    let v = promote(&w, &r);
    says(
        &one(&v, RuleId::R12, Severity::Review),
        "R12 待复核：竞赛 C-404 不在数据中",
        "R12 needs review: competition C-404 is not in the replicated data",
    );
    assert_eq!(v.outcome, Outcome::Pending);
}

#[test]
fn r12_in_recognition_of_a_competition_certificate() {
    let mut w = World::new();
    w.add_alliance_competition("C2024", 2024);
    w.add_result("R-2024-01", "C2024", &w.person.clone(), EMPLOYEE, 1);
    let number = cert_no(&w.school, 2024, Level::Two, 501);
    let mut c = certificate(
        &w.person,
        &w.school,
        &number,
        FILING_NO,
        WELDER,
        Level::Two,
        "2024-03-01",
    );
    c.source = Some(CertSource::Competition);
    c.competition_result_id = "R-2024-01".into();
    let cert = w.snap.add_certificate(RONGCHANG, 8, c.clone());
    let v = check_recognition(&w.snap, &cert, &county(LUXIAN), as_of());
    assert_eq!(v.outcome, crate::Outcome::Recognised, "{:#?}", v.findings);
    assert_eq!(promoted(&v).as_deref(), Some("2"));

    // A promotion certificate at another level than the result gives.
    let number = cert_no(&w.school, 2024, Level::One, 502);
    let mut wrong = c;
    wrong.cert_no = number;
    wrong.level = Some(Level::One);
    let cert = w.snap.add_certificate(RONGCHANG, 9, wrong);
    let v = check_recognition(&w.snap, &cert, &county(LUXIAN), as_of());
    says(
        &one(&v, RuleId::R12, Severity::Fail),
        "R12 失败：证书等级 一级/高级技师 与竞赛晋升等级 二级/技师 不符",
        "R12 failed: the certificate's level 1 differs from the promoted level 2",
    );
}

// ----------------------------------------------------------------------------- R13

#[test]
fn r13_title_for_employees_only() {
    let mut w = World::new();
    w.add_alliance_competition("C2024", 2024);
    let mut r = w.add_result("R-1", "C2024", &Person::new(13, "赵磊"), STUDENT, 1);
    r.award = "巴蜀技术能手".into();
    let v = promote(&w, &r);
    says(
        &one(&v, RuleId::R13, Severity::Fail),
        "R13 失败：技术能手称号仅授予职工，本成绩参赛身份为学生",
        "R13 failed: the 技术能手 title is for employees only; this contestant is a student",
    );
    assert_eq!(v.outcome, Outcome::Invalid);
}

#[test]
fn r13_national_thresholds() {
    let mut w = World::new();
    let mut c = w.add_alliance_competition("C-N1", 2024);
    c.class = CompetitionClass::NationalI;
    w.snap.add_competition(c);
    let mut c = w.add_alliance_competition("C-N2", 2024);
    c.class = CompetitionClass::NationalII;
    w.snap.add_competition(c);
    let mut r = w.add_result("R-1", "C-N1", &Person::new(12, "李娜"), EMPLOYEE, 5);
    r.award = "全国技术能手".into();
    says(
        &one(&promote(&w, &r), RuleId::R13, Severity::Info),
        "R13 信息：符合技术能手称号条件",
        "R13 info: eligible for the 技术能手 title",
    );
    let mut r = w.add_result("R-2", "C-N2", &Person::new(13, "赵磊"), EMPLOYEE, 4);
    r.award = "全国技术能手".into();
    says(
        &one(&promote(&w, &r), RuleId::R13, Severity::Fail),
        "R13 失败：国家二类竞赛第 4 名，技术能手须前 3 名",
        "R13 failed: rank 4 (national class II competition); the 技术能手 title needs rank 3 or better",
    );
}

#[test]
fn r13_other_classes_default_to_first_place() {
    let mut w = World::new();
    w.add_alliance_competition("C2024", 2024);
    let r = w.add_result("R-1", "C2024", &w.person.clone(), EMPLOYEE, 2);
    says(
        &one(&promote(&w, &r), RuleId::R13, Severity::Info),
        "R13 信息：不符合技术能手称号条件：联盟竞赛第 2 名，技术能手须前 1 名",
        "R13 info: not eligible for the 技术能手 title: rank 2 (alliance competition); the 技术能手 title needs rank 1 or better",
    );
}

// ----------------------------------------------------------------------------- R9

#[test]
fn r9_referees_recuse() {
    let mut w = World::new();
    w.add_alliance_competition("C2024", 2024);
    let mut r = w.add_result("R-1", "C2024", &w.person.clone(), EMPLOYEE, 1);
    r.referees = vec!["E02".into()];
    assert!(problems(&promote(&w, &r), RuleId::R9).is_empty());
    w.snap.add_relation(Relation {
        expert_id: "E02".into(),
        counterpart_kind: CounterpartKind::Person,
        counterpart: w.person.key_hex(),
        relation: RelationType::Kin,
    });
    says(
        &one(&promote(&w, &r), RuleId::R9, Severity::Fail),
        "R9 失败：专家 E02（张敏）（裁判）与选手 #1 有申报的回避关系（近亲属）",
        "R9 failed: expert E02 (张敏), referee, has a declared relation (close relative) with contestant(s) #1",
    );
}
