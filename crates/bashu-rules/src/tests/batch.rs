//! The batch check: R6–R11.

use bashu_core::Level;
use bashu_core::record::{
    CertStatus, CounterpartKind, ExpertRole, InstitutionKind, PanelRole, Relation, RelationType,
    RoomKind, SharedScope, SupervisorKind, TitleLevel,
};

use super::*;
use crate::fixture::{
    BATCH_ID, Person, RONGCHANG, cert_change, member, occupation_code, room, supervisor,
};
use crate::params::AlternativePath;
use crate::{Outcome, check_batch};

fn check(w: &World) -> Verdict {
    check_batch(&w.snap, &w.batch, as_of())
}

#[test]
fn the_world_batch_is_valid() {
    let w = World::new();
    let v = check(&w);
    assert!(v.findings.is_empty(), "{:#?}", v.findings);
    assert_eq!(v.outcome, Outcome::Valid);
    assert_eq!(v.check, "batch");
    assert_eq!(v.subject, BATCH_ID);
}

// ----------------------------------------------------------------------------- R6

#[test]
fn r6_prerequisite_held_too_briefly() {
    let mut w = World::new();
    w.edit_batch(|b| b.exam_date = date("2022-01-10"));
    let key = &w.person.key_hex()[..8];
    let v = check(&w);
    let f = one(&v, RuleId::R6, Severity::Fail);
    says(
        &f,
        &format!(
            "R6 失败：考生 #1（{key}）的 四级/中级工 证书 1750002003400123 发证于 2017-03-01，须满 5 年（2022-03-01 起）方可报考 三级/高级工，考试日期为 2022-01-10"
        ),
        &format!(
            "R6 failed: candidate #1 ({key}) got level 4 certificate 1750002003400123 on 2017-03-01; level 3 needs 5 years (from 2022-03-01) but the exam is on 2022-01-10"
        ),
    );
    assert_eq!(f.facts["eligible_from"], "2022-03-01");
    assert_eq!(v.outcome, Outcome::Invalid);
}

#[test]
fn r6_alternative_path_from_the_parameters() {
    let mut w = World::new();
    w.edit_batch(|b| b.exam_date = date("2022-01-10"));
    w.snap
        .params
        .prerequisites
        .alternative_paths
        .push(AlternativePath {
            level: Level::Three,
            requires: Level::Four,
            min_years: 4,
            occupations: Default::default(),
            description_zh: "取得四级后累计从事本职业 4 年并经技工院校培训".into(),
            description_en: "level 4 plus 4 years and technical-school training".into(),
        });
    assert!(problems(&check(&w), RuleId::R6).is_empty());
}

#[test]
fn r6_prerequisite_not_in_the_store_needs_review() {
    let mut w = World::new();
    let newcomer = Person::new(12, "李娜");
    let key = newcomer.key_hex()[..8].to_owned();
    w.edit_batch(|b| b.candidates.push(newcomer.candidate(None, None)));
    let v = check(&w);
    says(
        &one(&v, RuleId::R6, Severity::Review),
        &format!(
            "R6 待复核：数据中没有考生 #2（{key}）在 6-18-02-04 的 四级/中级工 证书，无法核对报考条件"
        ),
        &format!(
            "R6 needs review: no level 4 certificate of candidate #2 ({key}) in 6-18-02-04 is in the replicated data, so the prerequisite cannot be checked"
        ),
    );
    assert_eq!(v.outcome, Outcome::Pending);
}

#[test]
fn r6_revoked_prerequisite_does_not_count() {
    let mut w = World::new();
    w.snap.add_certificate_status(
        RONGCHANG,
        cert_change("1750002003400123", CertStatus::Revoked, "2020-01-01"),
    );
    assert!(check(&w).has(RuleId::R6, Severity::Review));
}

#[test]
fn r6_level_five_has_no_prerequisite() {
    let mut w = World::new();
    let newcomer = Person::new(12, "李娜");
    w.edit_batch(|b| {
        b.level = Level::Five;
        b.candidates = vec![newcomer.candidate(None, None)];
    });
    let v = check(&w);
    assert!(v.findings.is_empty(), "{:#?}", v.findings);
}

// ----------------------------------------------------------------------------- R7

#[test]
fn r7_theory_room_proctors() {
    let mut w = World::new();
    w.edit_batch(|b| {
        b.rooms[0].members.pop();
    });
    says(
        &one(&check(&w), RuleId::R7, Severity::Fail),
        "R7 失败：理论考场 #1 有 1 名监考，1 名考生至少需要 2 名",
        "R7 failed: theory room #1 has 1 proctor(s); 1 candidate(s) need at least 2",
    );
    let mut w = World::new();
    w.edit_batch(|b| b.rooms[0].candidate_count = 31);
    says(
        &one(&check(&w), RuleId::R7, Severity::Fail),
        "R7 失败：理论考场 #1 有 2 名监考，31 名考生至少需要 3 名",
        "R7 failed: theory room #1 has 2 proctor(s); 31 candidate(s) need at least 3",
    );
}

#[test]
fn r7_practical_room_assessors_at_least_three_and_odd() {
    let mut w = World::new();
    w.edit_batch(|b| b.rooms[1].members.push(member("E06", PanelRole::Assessor)));
    says(
        &one(&check(&w), RuleId::R7, Severity::Fail),
        "R7 失败：技能考场 #2 有 4 名考评员，人数应为奇数",
        "R7 failed: practical room #2 has 4 assessor(s); the number must be odd",
    );
    let mut w = World::new();
    w.edit_batch(|b| b.rooms[1].candidate_count = 20);
    says(
        &one(&check(&w), RuleId::R7, Severity::Fail),
        "R7 失败：技能考场 #2 有 3 名考评员，20 名考生至少需要 4 名（每名考评员最多 5 名考生）",
        "R7 failed: practical room #2 has 3 assessor(s); 20 candidate(s) need at least 4 (at most 5 candidates per assessor)",
    );
    // A ratio of 1:10 decided for 焊工.
    w.snap
        .params
        .panel
        .practical_candidates_per_assessor_by_occupation
        .insert(occupation_code("6-18-02-04"), 10);
    assert!(problems(&check(&w), RuleId::R7).is_empty());
}

#[test]
fn r7_levels_two_and_one_need_an_odd_review_room() {
    let mut w = World::new();
    w.edit_batch(|b| b.level = Level::Two);
    says(
        &one(&check(&w), RuleId::R7, Severity::Fail),
        "R7 失败：二级/技师 认定须设综合评审室，本批次没有",
        "R7 failed: a level 2 batch needs a review room and this batch has none",
    );
    w.edit_batch(|b| {
        b.rooms.push(room(
            RoomKind::Review,
            1,
            &[("E01", PanelRole::Reviewer), ("E02", PanelRole::Reviewer)],
        ))
    });
    let v = check(&w);
    let r7 = problems(&v, RuleId::R7);
    assert_eq!(r7.len(), 2);
    says(
        r7[0],
        "R7 失败：综合评审室 #3 有 2 名评审委员，至少需要 3 名",
        "R7 failed: review room #3 has 2 member(s); at least 3 are needed",
    );
    says(
        r7[1],
        "R7 失败：综合评审室 #3 有 2 名评审委员，人数应为奇数",
        "R7 failed: review room #3 has 2 member(s); the number must be odd",
    );
    w.edit_batch(|b| b.rooms[2].members.push(member("E03", PanelRole::Reviewer)));
    assert!(problems(&check(&w), RuleId::R7).is_empty());
}

// ----------------------------------------------------------------------------- R8

#[test]
fn r8_card_must_be_valid_on_the_exam_date() {
    let mut w = World::new();
    w.snap.expert_mut("E02").unwrap().card_valid_to = Some(date("2023-01-01"));
    says(
        &one(&check(&w), RuleId::R8, Severity::Fail),
        "R8 失败：专家 E02（张敏）的考评员证卡于 2023-01-01 到期，早于考试日期 2023-04-10",
        "R8 failed: the assessor card of expert E02 (张敏) expired on 2023-01-01, before the exam date 2023-04-10",
    );
}

#[test]
fn r8_occupation_must_be_in_scope() {
    let mut w = World::new();
    w.snap.expert_mut("E03").unwrap().occupation_scope = vec![occupation_code("4-10-01-05")];
    says(
        &one(&check(&w), RuleId::R8, Severity::Fail),
        "R8 失败：专家 E03（刘洋）的考评职业范围不含 6-18-02-04",
        "R8 failed: the occupation scope of expert E03 (刘洋) does not include 6-18-02-04",
    );
}

#[test]
fn r8_levels_five_to_three_need_level_three_or_an_intermediate_title() {
    let mut w = World::new();
    let e = w.snap.expert_mut("E01").unwrap();
    e.own_level = Some(Level::Four);
    e.title_level = TitleLevel::Junior;
    says(
        &one(&check(&w), RuleId::R8, Severity::Fail),
        "R8 失败：专家 E01（李强）本人等级或职称不足：须 三级/高级工 及以上或中级及以上职称",
        "R8 failed: expert E01 (李强) has neither level 3 or above nor a title of intermediate or above",
    );
    // An intermediate title is enough.
    w.snap.expert_mut("E01").unwrap().title_level = TitleLevel::Intermediate;
    assert!(problems(&check(&w), RuleId::R8).is_empty());
}

#[test]
fn r8_must_be_an_assessor() {
    let mut w = World::new();
    w.snap.expert_mut("E01").unwrap().roles = vec![ExpertRole::Referee];
    says(
        &one(&check(&w), RuleId::R8, Severity::Fail),
        "R8 失败：专家 E01（李强）不是考评员",
        "R8 failed: expert E01 (李强) is not an assessor",
    );
}

#[test]
fn r8_levels_two_and_one_need_senior_assessors() {
    let mut w = World::new();
    w.edit_batch(|b| {
        b.level = Level::Two;
        b.rooms.push(room(
            RoomKind::Review,
            1,
            &[
                ("E01", PanelRole::Reviewer),
                ("E02", PanelRole::Reviewer),
                ("E03", PanelRole::Reviewer),
            ],
        ));
    });
    w.snap.expert_mut("E01").unwrap().assessing_since = Some(date("2022-10-01"));
    w.snap.expert_mut("E02").unwrap().roles = vec![ExpertRole::Assessor];
    let e3 = w.snap.expert_mut("E03").unwrap();
    e3.own_level = Some(Level::Two);
    e3.title_level = TitleLevel::Intermediate;
    let v = check(&w);
    let r8 = problems(&v, RuleId::R8);
    assert_eq!(r8.len(), 3, "{r8:#?}");
    says(
        r8[0],
        "R8 失败：专家 E01（李强）自 2022-10-01 起从事考评，至考试日期 2023-04-10 不满 1 年",
        "R8 failed: expert E01 (李强) has assessed since 2022-10-01: less than 1 year(s) by the exam date 2023-04-10",
    );
    says(
        r8[1],
        "R8 失败：二级/技师 认定须由高级考评员担任，专家 E02（张敏）不是高级考评员",
        "R8 failed: a level 2 batch needs senior assessors; expert E02 (张敏) is not one",
    );
    says(
        r8[2],
        "R8 失败：专家 E03（刘洋）本人等级或职称不足：须 一级/高级技师 及以上或副高及以上职称",
        "R8 failed: expert E03 (刘洋) has neither level 1 or above nor a title of sub-senior or above",
    );
}

#[test]
fn r8_unknown_expert_needs_review() {
    let mut w = World::new();
    w.edit_batch(|b| b.rooms[1].members[2].expert_id = "E99".into());
    let v = check(&w);
    says(
        &one(&v, RuleId::R8, Severity::Review),
        "R8 待复核：专家 E99 不在专家库数据中",
        "R8 needs review: expert E99 is not in the shared pool data",
    );
    assert_eq!(v.outcome, Outcome::Pending);
}

// ----------------------------------------------------------------------------- R9

#[test]
fn r9_declared_relation_with_a_candidate() {
    let mut w = World::new();
    w.snap.add_relation(Relation {
        expert_id: "E02".into(),
        counterpart_kind: CounterpartKind::Person,
        counterpart: w.person.key_hex(),
        relation: RelationType::MasterApprentice,
    });
    let v = check(&w);
    says(
        &one(&v, RuleId::R9, Severity::Fail),
        "R9 失败：专家 E02（张敏）（考评员）与考生 #1 有申报的回避关系（师徒）",
        "R9 failed: expert E02 (张敏), assessor, has a declared relation (master-apprentice) with candidate(s) #1",
    );
    assert_eq!(v.outcome, Outcome::Invalid);
}

#[test]
fn r9_same_employer_as_a_candidate() {
    let mut w = World::new();
    let employer = w.company.uscc.clone();
    w.snap.expert_mut("E03").unwrap().employer_uscc = Some(employer.clone());
    says(
        &one(&check(&w), RuleId::R9, Severity::Fail),
        &format!("R9 失败：专家 E03（刘洋）（考评员）与考生 #1 同属工作单位 {employer}"),
        &format!(
            "R9 failed: expert E03 (刘洋), assessor, works for {employer}, the employer of candidate(s) #1"
        ),
    );
}

#[test]
fn r9_employer_batches_may_use_colleagues_next_to_an_outsider() {
    let mut w = World::new();
    let employer = w.company.uscc.clone();
    let school = w.school.uscc.as_str().to_owned();
    w.snap.institution_mut(&school).unwrap().kind = InstitutionKind::Y;
    w.snap.expert_mut("E03").unwrap().employer_uscc = Some(employer.clone());
    // No other panel member has a known other employer yet: still a conflict.
    assert!(check(&w).has(RuleId::R9, Severity::Fail));
    w.snap.expert_mut("E01").unwrap().employer_uscc = Some(w.school.uscc.clone());
    assert!(problems(&check(&w), RuleId::R9).is_empty());
}

#[test]
fn r9_teaching_at_the_candidates_training_institution() {
    let mut w = World::new();
    let school = w.school.uscc.clone();
    w.edit_batch(|b| b.candidates[0].training_institution_uscc = Some(school.clone()));
    w.snap.expert_mut("E04").unwrap().employer_uscc = Some(school.clone());
    says(
        &one(&check(&w), RuleId::R9, Severity::Fail),
        &format!("R9 失败：专家 E04（陈静）（监考）任职于考生 #1 的培训机构 {school}"),
        &format!(
            "R9 failed: expert E04 (陈静), proctor, works at {school}, the training institution of candidate(s) #1"
        ),
    );
}

#[test]
fn r9_supervisors_recuse_too() {
    let mut w = World::new();
    let employer = w.company.uscc.as_str().to_owned();
    w.snap.add_relation(Relation {
        expert_id: "E05".into(),
        counterpart_kind: CounterpartKind::Employer,
        counterpart: employer.clone(),
        relation: RelationType::Colleague,
    });
    says(
        &one(&check(&w), RuleId::R9, Severity::Fail),
        &format!(
            "R9 失败：专家 E05（黄勇）（外督）与考生 #1 的工作单位 {employer} 有申报的回避关系（同事）"
        ),
        &format!(
            "R9 failed: expert E05 (黄勇), external supervisor, has a declared relation (colleague) with {employer}, the employer of candidate(s) #1"
        ),
    );
}

// ----------------------------------------------------------------------------- R10

/// Earlier batches of the school with the given practical panels.
fn earlier(w: &mut World, panels: &[(&str, &str, [&str; 3])]) {
    for (id, exam, panel) in panels {
        let mut b = w.batch.clone();
        b.batch_id = (*id).to_owned();
        b.exam_date = date(exam);
        b.rooms[1] = room(
            RoomKind::Practical,
            1,
            &[
                (panel[0], PanelRole::LeadAssessor),
                (panel[1], PanelRole::Assessor),
                (panel[2], PanelRole::Assessor),
            ],
        );
        w.snap.add_batch(b);
    }
}

#[test]
fn r10_at_most_three_consecutive_batches_and_half_the_panel_changes() {
    let mut w = World::new();
    let same = ["E01", "E02", "E03"];
    earlier(
        &mut w,
        &[
            ("B2022-001", "2022-04-10", same),
            ("B2022-002", "2022-08-10", same),
            ("B2022-003", "2022-12-10", same),
        ],
    );
    let v = check(&w);
    let r10 = problems(&v, RuleId::R10);
    assert_eq!(r10.len(), 6, "{r10:#?}");
    let uscc = w.school.uscc.clone();
    says(
        r10[0],
        &format!("R10 待复核：专家 E04（陈静）将连续第 4 次在机构 {uscc} 的批次任考评，超过 3 次"),
        &format!(
            "R10 needs review: expert E04 (陈静) would sit on panels of institution {uscc} in 4 consecutive batches, more than 3"
        ),
    );
    says(
        r10[5],
        "R10 待复核：本批次考评组 5 人中只有 0 人与上一批次 B2022-003 不同，应至少更换 1/2",
        "R10 needs review: only 0 of 5 panel members differ from the previous batch B2022-003; at least 1/2 must change",
    );
    assert_eq!(v.outcome, Outcome::Pending, "R10 is REVIEW only");
}

#[test]
fn r10_rotated_panels_pass() {
    let mut w = World::new();
    for id in ["E07", "E08", "E09", "E10", "E11", "E12"] {
        w.snap
            .add_expert(crate::fixture::expert(id, "王芳", RONGCHANG));
    }
    earlier(
        &mut w,
        &[
            ("B2022-001", "2022-04-10", ["E01", "E02", "E03"]),
            ("B2022-002", "2022-08-10", ["E01", "E02", "E03"]),
            ("B2022-003", "2022-12-10", ["E07", "E08", "E09"]),
        ],
    );
    // The proctors E04/E06 sat on all three earlier theory rooms: take them out too.
    w.edit_batch(|b| {
        b.rooms[0] = room(
            RoomKind::Theory,
            1,
            &[("E10", PanelRole::Proctor), ("E11", PanelRole::Proctor)],
        )
    });
    let v = check(&w);
    assert!(problems(&v, RuleId::R10).is_empty(), "{:#?}", v.findings);
}

// ----------------------------------------------------------------------------- R11

#[test]
fn r11_needs_an_external_supervisor_from_another_county() {
    let mut w = World::new();
    w.edit_batch(|b| b.supervisors.clear());
    let v = check(&w);
    says(
        &one(&v, RuleId::R11, Severity::Fail),
        "R11 失败：三级/高级工 批次须至少有 1 名由 500153 以外区县委派、并向 500153 共享的外督，本批次有 0 名",
        "R11 failed: a level 3 batch offered for alliance recognition needs at least 1 external supervisor(s) appointed by a county other than 500153 and shared with it; this batch has 0",
    );
    assert_eq!(v.outcome, Outcome::Invalid);
}

#[test]
fn r11_home_county_appointment_or_unshared_expert_does_not_count() {
    let mut w = World::new();
    w.edit_batch(|b| b.supervisors = vec![supervisor("E05", SupervisorKind::External, RONGCHANG)]);
    assert!(check(&w).has(RuleId::R11, Severity::Fail));
    let mut w = World::new();
    w.snap.expert_mut("E05").unwrap().shared_scope = SharedScope::Counties(vec![county(LUXIAN)]);
    assert!(check(&w).has(RuleId::R11, Severity::Fail));
}

#[test]
fn r11_only_for_level_three_and_above_offered_for_recognition() {
    let mut w = World::new();
    w.edit_batch(|b| {
        b.supervisors.clear();
        b.offered_for_alliance = false;
    });
    assert!(problems(&check(&w), RuleId::R11).is_empty());
    let mut w = World::new();
    w.edit_batch(|b| {
        b.supervisors.clear();
        b.level = Level::Four;
        b.candidates.clear();
    });
    assert!(problems(&check(&w), RuleId::R11).is_empty());
}

#[test]
fn r11_unknown_supervisor_needs_review() {
    let mut w = World::new();
    w.edit_batch(|b| b.supervisors[0].expert_id = "E99".into());
    says(
        &one(&check(&w), RuleId::R11, Severity::Review),
        "R11 待复核：外督 E99 不在专家库数据中，无法核对跨区县督导",
        "R11 needs review: external supervisor(s) E99 are not in the shared pool data, so cross-county supervision cannot be checked",
    );
}
