//! R1–R5, R14, R16 and the recognition edge cases.

use bashu_core::Level;
use bashu_core::record::{CertSource, CertStatus, CertType, FilingStatus, InstitutionKind};

use super::*;
use crate::fixture::{
    FIRE_SAFETY, LONGCHANG, RONGCHANG, SCHOOL_NAME, YONGCHUAN, cert_change, filing_change,
    occupation_code, scope,
};
use crate::{AuthorStanding, Outcome, Snapshot};

const NO: &str = "S000050001230233000015";

#[test]
fn the_world_certificate_is_recognised() {
    let w = World::new();
    let v = recognise(&w);
    assert!(clean(&v), "{:#?}", v.findings);
    assert_eq!(v.outcome, Outcome::Recognised);
    assert_eq!(v.subject, NO);
    assert_eq!(v.check, "recognition");
    assert_eq!(v.county, Some(county(LUXIAN)));
    assert_eq!(v.rule_set, "bashu-rules/1");
    assert_eq!(
        v.snapshot,
        vec![
            (county(RONGCHANG), 6),
            (county(LUXIAN), 0),
            (county(LONGCHANG), 0)
        ]
    );
}

// ----------------------------------------------------------------------------- R1

#[test]
fn r1_level_digit_must_be_the_level() {
    let mut w = World::new();
    w.edit_cert(|c| c.level = Some(Level::Four));
    let v = recognise(&w);
    says(
        &one(&v, RuleId::R1, Severity::Fail),
        "R1 失败：证书编号 S000050001230233000015 第 16 位的等级代码为 3，但证书等级为 四级/中级工",
        "R1 failed: certificate number S000050001230233000015 has level digit 3 at position 16 but the certificate is level 4",
    );
    assert_eq!(v.outcome, Outcome::Rejected);
}

#[test]
fn r1_level_digit_outside_one_to_five() {
    let mut w = World::new();
    w.edit_cert(|c| c.cert_no = "S000050001230236000015".into());
    says(
        &one(&recognise(&w), RuleId::R1, Severity::Fail),
        "R1 失败：证书编号 S000050001230236000015 第 16 位的等级代码 6 不是 1–5",
        "R1 failed: certificate number S000050001230236000015 has level digit 6 at position 16, not 1-5",
    );
}

#[test]
fn r1_year_digits_must_be_the_issue_year() {
    let mut w = World::new();
    w.edit_cert(|c| c.issue_date = "2024-01-10".into());
    says(
        &one(&recognise(&w), RuleId::R1, Severity::Fail),
        "R1 失败：证书编号 S000050001230233000015 的年份代码为 23，但发证日期为 2024-01-10",
        "R1 failed: certificate number S000050001230233000015 has year digits 23 but was issued on 2024-01-10",
    );
}

#[test]
fn r1_letter_must_be_the_institution_kind() {
    let mut w = World::new();
    let uscc = w.school.uscc.as_str().to_owned();
    w.snap.institution_mut(&uscc).unwrap().kind = InstitutionKind::Y;
    says(
        &one(&recognise(&w), RuleId::R1, Severity::Fail),
        "R1 失败：证书编号 S000050001230233000015 以 S（社会培训评价组织）开头，但机构 重庆市荣昌区安陶职业技能培训学校 的类别为用人单位",
        "R1 failed: certificate number S000050001230233000015 starts with S (a training and evaluation organisation) but institution 重庆市荣昌区安陶职业技能培训学校 is an employer",
    );
}

#[test]
fn r1_institution_code_and_province_must_match() {
    let mut w = World::new();
    let uscc = w.school.uscc.as_str().to_owned();
    let inst = w.snap.institution_mut(&uscc).unwrap();
    inst.mohrss_code = "0123".into();
    inst.province_code2 = "51".into();
    let v = recognise(&w);
    let r1 = problems(&v, RuleId::R1);
    assert_eq!(r1.len(), 2);
    says(
        r1[0],
        "R1 失败：证书编号 S000050001230233000015 的机构代码为 0000，但机构 重庆市荣昌区安陶职业技能培训学校 的部备案代码为 0123",
        "R1 failed: certificate number S000050001230233000015 has institution code 0000 but institution 重庆市荣昌区安陶职业技能培训学校 has MOHRSS code 0123",
    );
    says(
        r1[1],
        "R1 失败：证书编号 S000050001230233000015 的省份代码为 50，但机构 重庆市荣昌区安陶职业技能培训学校 的省份代码为 51",
        "R1 failed: certificate number S000050001230233000015 has province code 50 but institution 重庆市荣昌区安陶职业技能培训学校 is in province 51",
    );
}

#[test]
fn r1_unknown_pattern_is_pending_not_rejected() {
    let mut w = World::new();
    w.edit_cert(|c| c.cert_no = "RGN500153001243000015".into());
    let v = recognise(&w);
    says(
        &one(&v, RuleId::R1, Severity::Review),
        "R1 待复核：证书编号 RGN500153001243000015 不符合任何已知编码规则，需人工核验",
        "R1 needs review: certificate number RGN500153001243000015 follows no known numbering scheme; check it by hand",
    );
    assert!(
        problems(&v, RuleId::R14).is_empty(),
        "a REVIEW is not a FAIL for R14"
    );
    assert_eq!(v.outcome, Outcome::Pending);
}

#[test]
fn r1_legacy_sixteen_digit_numbers_use_position_eleven() {
    let w = World::new();
    let legacy = w.snap.certificates_by_number("1750002003400123").remove(0);
    let v = check_recognition(&w.snap, &legacy, &county(LUXIAN), as_of());
    assert!(problems(&v, RuleId::R1).is_empty(), "{:#?}", v.findings);
    let issuer = legacy.certificate.institution_uscc.clone();
    says(
        &one(&v, RuleId::R2, Severity::Info),
        &format!("R2 信息：旧版职业资格证书的发证机构 {issuer} 不在数据中，未核对机构名称"),
        &format!(
            "R2 info: the issuer {issuer} of this legacy qualification certificate is not in the replicated data; its name was not checked"
        ),
    );
    assert_eq!(v.outcome, Outcome::Recognised, "{:#?}", v.findings);

    let mut wrong = legacy.clone();
    wrong.certificate.level = Some(Level::Three);
    let v = check_recognition(&w.snap, &wrong, &county(LUXIAN), as_of());
    says(
        &one(&v, RuleId::R1, Severity::Fail),
        "R1 失败：证书编号 1750002003400123 第 11 位的等级代码为 4，但证书等级为 三级/高级工",
        "R1 failed: certificate number 1750002003400123 has level digit 4 at position 11 but the certificate is level 3",
    );
    let mut late = legacy;
    late.certificate.issue_date = "2018-03-01".into();
    let v = check_recognition(&w.snap, &late, &county(LUXIAN), as_of());
    says(
        &one(&v, RuleId::R1, Severity::Fail),
        "R1 失败：证书编号 1750002003400123 的年份代码为 17，但发证日期为 2018-03-01",
        "R1 failed: certificate number 1750002003400123 has year digits 17 but was issued on 2018-03-01",
    );
}

#[test]
fn r1_top_technician_numbers_mean_top_technician() {
    let mut w = World::new();
    w.edit_cert(|c| c.cert_no = "TJ00005000123023000015".into());
    says(
        &one(&recognise(&w), RuleId::R1, Severity::Fail),
        "R1 失败：证书编号 TJ00005000123023000015 是特级技师证书编号，但证书等级为 三级/高级工",
        "R1 failed: certificate number TJ00005000123023000015 is a top-technician number but the certificate is level 3",
    );
}

#[test]
fn r1_and_r2_unknown_institution_needs_review() {
    let mut w = World::new();
    w.edit_cert(|c| c.institution_uscc = crate::fixture::uscc(99, RONGCHANG).to_string());
    let v = recognise(&w);
    let uscc = w.cert.certificate.institution_uscc.clone();
    says(
        &one(&v, RuleId::R1, Severity::Review),
        &format!(
            "R1 待复核：机构 {uscc} 不在数据中，无法核对证书编号 {NO} 的机构类别、机构代码和省份"
        ),
        &format!(
            "R1 needs review: institution {uscc} is not in the replicated data, so the institution kind, code and province of certificate number {NO} cannot be checked"
        ),
    );
    says(
        &one(&v, RuleId::R2, Severity::Review),
        &format!("R2 待复核：机构 {uscc} 不在数据中，无法核对印制的机构名称「{SCHOOL_NAME}」"),
        &format!(
            "R2 needs review: institution {uscc} is not in the replicated data, so the printed name \"{SCHOOL_NAME}\" cannot be checked"
        ),
    );
}

// ----------------------------------------------------------------------------- R2

#[test]
fn r2_printed_name_must_be_the_filed_name() {
    let mut w = World::new();
    w.edit_cert(|c| c.institution_name_printed = "荣昌安陶职业技能培训学校".into());
    let v = recognise(&w);
    says(
        &one(&v, RuleId::R2, Severity::Fail),
        "R2 失败：证书印制的机构名称「荣昌安陶职业技能培训学校」与备案名称「重庆市荣昌区安陶职业技能培训学校」不一致",
        "R2 failed: the institution name printed on the certificate, \"荣昌安陶职业技能培训学校\", differs from the filed name \"重庆市荣昌区安陶职业技能培训学校\"",
    );
    says(
        &one(&v, RuleId::R14, Severity::Fail),
        "R14 失败：R2 未通过",
        "R14 failed: R2 did not pass",
    );
    assert_eq!(v.outcome, Outcome::Rejected);
}

// ----------------------------------------------------------------------------- R3

#[test]
fn r3_filing_suspended_on_the_issue_date() {
    let mut w = World::new();
    w.snap.add_filing_status(filing_change(
        FILING,
        FilingStatus::Suspended,
        "2023-03-01",
        &[],
    ));
    let v = recognise(&w);
    let f = one(&v, RuleId::R3, Severity::Fail);
    says(
        &f,
        "R3 失败：发证日期 2023-05-04 时备案 BA500153-01 已暂停",
        "R3 failed: filing BA500153-01 was suspended on the issue date 2023-05-04",
    );
    assert_eq!(f.facts["status_effective_at"], "2023-03-01");
    assert_eq!(v.outcome, Outcome::Rejected);
}

const FILING: &str = "BA500153-01";

#[test]
fn r3_later_revocation_is_not_retroactive() {
    let mut w = World::new();
    w.snap.add_filing_status(filing_change(
        FILING,
        FilingStatus::Revoked,
        "2024-01-10",
        &[],
    ));
    let v = recognise(&w);
    assert!(clean(&v), "{:#?}", v.findings);
    assert_eq!(v.outcome, Outcome::Recognised);
}

#[test]
fn r3_later_revocation_reaches_the_certificates_it_names() {
    let mut w = World::new();
    w.snap.add_filing_status(filing_change(
        FILING,
        FilingStatus::Revoked,
        "2024-01-10",
        &[NO],
    ));
    let v = recognise(&w);
    says(
        &one(&v, RuleId::R3, Severity::Fail),
        "R3 失败：备案 BA500153-01 于 2024-01-10 撤销，该决定点名本证书",
        "R3 failed: filing BA500153-01 was revoked on 2024-01-10 and that decision names this certificate",
    );
    assert_eq!(v.outcome, Outcome::Rejected);
}

#[test]
fn r3_suspension_lifted_before_the_issue_date() {
    let mut w = World::new();
    w.snap
        .add_filing_status(filing_change(
            FILING,
            FilingStatus::Suspended,
            "2023-01-01",
            &[],
        ))
        .add_filing_status(filing_change(
            FILING,
            FilingStatus::Active,
            "2023-03-01",
            &[],
        ));
    assert!(clean(&recognise(&w)));
}

#[test]
fn r3_issue_date_outside_the_filing_period() {
    let mut w = World::new();
    w.snap.filing_mut(FILING).unwrap().effective_from = date("2023-06-01");
    says(
        &one(&recognise(&w), RuleId::R3, Severity::Fail),
        "R3 失败：发证日期 2023-05-04 早于备案 BA500153-01 的生效日期 2023-06-01",
        "R3 failed: issue date 2023-05-04 is before filing BA500153-01 took effect on 2023-06-01",
    );
    let mut w = World::new();
    w.snap.filing_mut(FILING).unwrap().effective_to = Some(date("2022-12-31"));
    says(
        &one(&recognise(&w), RuleId::R3, Severity::Fail),
        "R3 失败：发证日期 2023-05-04 晚于备案 BA500153-01 的截止日期 2022-12-31",
        "R3 failed: issue date 2023-05-04 is after filing BA500153-01 ended on 2022-12-31",
    );
}

#[test]
fn r3_scope_must_cover_occupation_work_type_and_level() {
    let mut w = World::new();
    w.edit_cert(|c| c.work_type = "氩弧焊".into());
    says(
        &one(&recognise(&w), RuleId::R3, Severity::Fail),
        "R3 失败：备案 BA500153-01 的范围不包括 6-18-02-04 焊工 工种「氩弧焊」三级/高级工",
        "R3 failed: the scope of filing BA500153-01 does not cover 6-18-02-04 (焊工), work type \"氩弧焊\", level 3",
    );
}

#[test]
fn r3_filing_of_another_institution() {
    let mut w = World::new();
    let other = w.company.uscc.clone();
    w.snap.filing_mut(FILING).unwrap().institution_uscc = other.clone();
    let issuer = w.school.uscc.clone();
    says(
        &one(&recognise(&w), RuleId::R3, Severity::Fail),
        &format!("R3 失败：备案 BA500153-01 属于机构 {other}，不属于发证机构 {issuer}"),
        &format!(
            "R3 failed: filing BA500153-01 belongs to institution {other}, not to the issuer {issuer}"
        ),
    );
}

#[test]
fn r3_unknown_filing_needs_review_not_rejection() {
    let mut w = World::new();
    w.edit_cert(|c| c.filing_no = "BA500153-99".into());
    let v = recognise(&w);
    says(
        &one(&v, RuleId::R3, Severity::Review),
        "R3 待复核：备案 BA500153-99 不在数据中",
        "R3 needs review: filing BA500153-99 is not in the replicated data",
    );
    assert_eq!(v.outcome, Outcome::Pending);
}

#[test]
fn r3_legacy_certificates_need_no_filing() {
    let w = World::new();
    let legacy = w.snap.certificates_by_number("1750002003400123").remove(0);
    let v = check_recognition(&w.snap, &legacy, &county(LUXIAN), as_of());
    says(
        &one(&v, RuleId::R3, Severity::Info),
        "R3 信息：旧版职业资格证书不要求评价机构备案",
        "R3 info: a legacy qualification certificate needs no evaluation-institution filing",
    );
}

// ----------------------------------------------------------------------------- R4

#[test]
fn r4_required_fields() {
    let mut w = World::new();
    w.edit_cert(|c| {
        c.name = " ".into();
        c.work_type = String::new();
        c.occupation_name = String::new();
    });
    let v = recognise(&w);
    let r4 = problems(&v, RuleId::R4);
    assert_eq!(r4.len(), 3, "{r4:#?}");
    says(
        r4[0],
        "R4 失败：缺少必填项「姓名」",
        "R4 failed: required field \"name\" is missing",
    );
    says(
        r4[1],
        "R4 失败：缺少必填项「职业名称」",
        "R4 failed: required field \"occupation name\" is missing",
    );
    says(
        r4[2],
        "R4 失败：工种/职业方向为空（无工种时应填 --）",
        "R4 failed: work type is empty (write -- when there is none)",
    );
    says(
        &one(&v, RuleId::R14, Severity::Fail),
        "R14 失败：R3、R4 未通过",
        "R14 failed: R3, R4 did not pass",
    );
}

#[test]
fn r4_issue_date_must_be_a_date() {
    let mut w = World::new();
    w.edit_cert(|c| c.issue_date = "2023-02-30".into());
    says(
        &one(&recognise(&w), RuleId::R4, Severity::Fail),
        "R4 失败：发证日期「2023-02-30」不是有效日期",
        "R4 failed: issue date \"2023-02-30\" is not a valid date",
    );
}

// ----------------------------------------------------------------------------- R5

#[test]
fn r5_high_skill_is_three_and_above() {
    let w = World::new();
    let f = one(&recognise(&w), RuleId::R5, Severity::Info);
    says(
        &f,
        "R5 信息：三级/高级工 属于高技能人才",
        "R5 info: level 3 counts as high-skill",
    );
    assert_eq!(f.facts["high_skill"], "true");

    let legacy = w.snap.certificates_by_number("1750002003400123").remove(0);
    let v = check_recognition(&w.snap, &legacy, &county(LUXIAN), as_of());
    let f = one(&v, RuleId::R5, Severity::Info);
    says(
        &f,
        "R5 信息：四级/中级工 不属于高技能人才",
        "R5 info: level 4 does not count as high-skill",
    );
    assert_eq!(f.facts["high_skill"], "false");
}

// ----------------------------------------------------------------------------- R14

#[test]
fn r14_author_must_be_a_member_at_that_position() {
    let mut w = World::new();
    w.snap.set_standing(RONGCHANG, 5, AuthorStanding::NotMember);
    let v = recognise(&w);
    says(
        &one(&v, RuleId::R14, Severity::Fail),
        "R14 失败：500153 在日志位置 5 时不是联盟成员",
        "R14 failed: 500153 was not an alliance member at log position 5",
    );
    assert_eq!(v.outcome, Outcome::Rejected);

    let mut w = World::new();
    w.snap.set_standing(RONGCHANG, 3, AuthorStanding::Frozen);
    says(
        &one(&recognise(&w), RuleId::R14, Severity::Fail),
        "R14 失败：500153 的日志在位置 5 之前已因分叉被冻结",
        "R14 failed: the log of 500153 is frozen (equivocation) before position 5",
    );
}

#[test]
fn r14_certificates_older_than_the_alliance_are_recognised_like_any_other() {
    // The 2017 legacy certificate, once its issuer is known, is recognised: membership is
    // about who signs, not when the certificate was issued.
    let mut w = World::new();
    let legacy = w.snap.certificates_by_number("1750002003400123").remove(0);
    let issuer = crate::fixture::institution(
        crate::fixture::uscc(3, RONGCHANG),
        "重庆市职业技能鉴定指导中心",
        InstitutionKind::S,
        RONGCHANG,
        "0000",
        "000001",
    );
    w.snap.add_institution(issuer);
    let v = check_recognition(&w.snap, &legacy, &county(LUXIAN), as_of());
    assert!(clean(&v), "{:#?}", v.findings);
    assert_eq!(v.outcome, Outcome::Recognised);
    assert_eq!(legacy.certificate.source, Some(CertSource::Legacy));
}

#[test]
fn r14_revoked_or_cancelled_certificates_fail_from_their_effective_date() {
    let mut w = World::new();
    w.snap.add_certificate_status(
        RONGCHANG,
        cert_change(NO, CertStatus::Revoked, "2024-02-01"),
    );
    let v = recognise(&w);
    let f = one(&v, RuleId::R14, Severity::Fail);
    says(
        &f,
        "R14 失败：证书已于 2024-02-01 撤销",
        "R14 failed: the certificate was revoked on 2024-02-01",
    );
    assert_eq!(f.facts["status"], "REVOKED");
    // Asked about a date before the revocation: still valid then.
    let before = check_recognition(&w.snap, &w.cert, &county(LUXIAN), date("2024-01-31"));
    assert_eq!(before.outcome, Outcome::Recognised);
    // Reinstated later.
    w.snap
        .add_certificate_status(RONGCHANG, cert_change(NO, CertStatus::Valid, "2024-03-01"));
    assert_eq!(recognise(&w).outcome, Outcome::Recognised);
}

#[test]
fn r14_the_certificates_own_status_counts() {
    let mut w = World::new();
    w.edit_cert(|c| c.status = Some(CertStatus::Cancelled));
    says(
        &one(&recognise(&w), RuleId::R14, Severity::Fail),
        "R14 失败：证书已注销",
        "R14 failed: the certificate has been cancelled",
    );
    let mut w = World::new();
    w.edit_cert(|c| {
        c.status = Some(CertStatus::Revoked);
        c.status_effective_date = "2025-01-01".into();
    });
    assert_eq!(
        recognise(&w).outcome,
        Outcome::Recognised,
        "not yet effective"
    );
    w.edit_cert(|c| c.status = Some(CertStatus::Reissued));
    assert_eq!(
        recognise(&w).outcome,
        Outcome::Recognised,
        "a 补发 stays in force"
    );
}

#[test]
fn r14_access_controlled_qualifications_are_excluded_by_default() {
    let mut w = World::new();
    w.snap
        .filing_mut(FILING)
        .unwrap()
        .scope
        .push(scope(FIRE_SAFETY.0, "--", &[Level::Three]));
    w.edit_cert(|c| {
        c.occupation_code = FIRE_SAFETY.0.into();
        c.occupation_name = FIRE_SAFETY.1.into();
        c.batch_id = String::new();
    });
    let v = recognise(&w);
    says(
        &one(&v, RuleId::R14, Severity::Fail),
        "R14 失败：4-07-05-04 消防设施操作员 属准入类职业资格，不在互认范围内",
        "R14 failed: 4-07-05-04 (消防设施操作员) is a 准入类 licensing qualification, outside the recognition scope",
    );
    assert_eq!(v.outcome, Outcome::Rejected);
    // An alliance decision that includes them.
    w.snap.params.recognition_scope.include_access_controlled = true;
    assert_eq!(recognise(&w).outcome, Outcome::Recognised);
}

#[test]
fn r14_occupation_absent_from_the_catalogue_is_not_access_controlled() {
    let mut w = World::new();
    w.snap
        .filing_mut(FILING)
        .unwrap()
        .scope
        .push(scope("6-31-01-03", "--", &[Level::Three]));
    w.edit_cert(|c| {
        c.occupation_code = "6-31-01-03".into();
        c.occupation_name = "电工".into();
        c.batch_id = String::new();
    });
    assert_eq!(recognise(&w).outcome, Outcome::Recognised);
}

#[test]
fn r14_recognition_scope_decisions() {
    let mut w = World::new();
    w.snap
        .params
        .recognition_scope
        .occupations_excluded
        .insert(occupation_code("6-18-02-04"));
    says(
        &one(&recognise(&w), RuleId::R14, Severity::Fail),
        "R14 失败：职业 6-18-02-04 不在互认范围内",
        "R14 failed: occupation 6-18-02-04 is outside the recognition scope",
    );
    let mut w = World::new();
    w.snap.params.recognition_scope.levels = Some([Level::Five, Level::Four].into());
    says(
        &one(&recognise(&w), RuleId::R14, Severity::Fail),
        "R14 失败：等级 三级/高级工 不在互认范围内",
        "R14 failed: level 3 is outside the recognition scope",
    );
    let mut w = World::new();
    w.snap
        .params
        .recognition_scope
        .cert_types
        .remove(&CertType::SkillLevel);
    says(
        &one(&recognise(&w), RuleId::R14, Severity::Fail),
        "R14 失败：证书类型「职业技能等级证书」不在互认范围内",
        "R14 failed: certificate type SKILL_LEVEL is outside the recognition scope",
    );
}

#[test]
fn r14_county_must_be_a_member() {
    let w = World::new();
    let v = check_recognition(&w.snap, &w.cert, &county(YONGCHUAN), as_of());
    says(
        &one(&v, RuleId::R14, Severity::Fail),
        "R14 失败：500118 不是联盟成员",
        "R14 failed: 500118 is not an alliance member",
    );
}

#[test]
fn r14_named_batch_absent_needs_review() {
    let mut w = World::new();
    w.edit_cert(|c| c.batch_id = "B-404".into());
    let v = recognise(&w);
    says(
        &one(&v, RuleId::R14, Severity::Review),
        "R14 待复核：认定批次 B-404 不在数据中",
        "R14 needs review: assessment batch B-404 is not in the replicated data",
    );
    assert_eq!(v.outcome, Outcome::Pending);
}

#[test]
fn r14_batch_required_for_high_skill_by_parameter() {
    let mut w = World::new();
    w.edit_cert(|c| c.batch_id = String::new());
    assert_eq!(
        recognise(&w).outcome,
        Outcome::Recognised,
        "default: not required"
    );
    w.snap.params.require_batch_for_high_skill = true;
    let v = recognise(&w);
    says(
        &one(&v, RuleId::R14, Severity::Review),
        "R14 待复核：高技能证书须载明认定批次，本证书未载明",
        "R14 needs review: a high-skill certificate must name an assessment batch and this one names none",
    );
    assert_eq!(v.outcome, Outcome::Pending);
}

#[test]
fn r14_certificate_must_match_its_batch() {
    let mut w = World::new();
    w.edit_batch(|b| b.candidates.clear());
    says(
        &one(&recognise(&w), RuleId::R14, Severity::Review),
        "R14 待复核：证书与认定批次 B2023-001 不符：考生名单",
        "R14 needs review: the certificate does not match assessment batch B2023-001: candidate list",
    );
}

#[test]
fn recognition_includes_the_panel_rules_of_the_batch() {
    let mut w = World::new();
    w.edit_batch(|b| {
        b.rooms[1].members.pop();
    });
    let v = recognise(&w);
    assert!(v.has(RuleId::R7, Severity::Fail), "{:#?}", v.findings);
    assert_eq!(v.outcome, Outcome::Rejected);
    // Asked in another county, R11 applies even if the batch did not offer itself.
    let mut w = World::new();
    w.edit_batch(|b| {
        b.supervisors.clear();
        b.offered_for_alliance = false;
    });
    assert!(recognise(&w).has(RuleId::R11, Severity::Fail));
    let home = check_recognition(&w.snap, &w.cert, &county(RONGCHANG), as_of());
    assert!(
        !home.has(RuleId::R11, Severity::Fail),
        "{:#?}",
        home.findings
    );
}

// ----------------------------------------------------------------------------- R16

#[test]
fn r16_full_id_number_in_the_mask_field() {
    let mut w = World::new();
    let full = w.person.id.normalised_number().to_owned();
    w.edit_cert(|c| c.id_masked = full.clone());
    let v = recognise(&w);
    let f = one(&v, RuleId::R16, Severity::Fail);
    says(
        &f,
        "R16 失败：证件号码字段含完整证件号码",
        "R16 failed: the masked ID field holds a full ID number",
    );
    assert!(
        !v.message_text().contains(&full),
        "the number never appears in a verdict"
    );
    assert_eq!(v.outcome, Outcome::Rejected);
}

#[test]
fn r16_only_the_canonical_mask() {
    let mut w = World::new();
    let full = w.person.id.normalised_number().to_owned();
    w.edit_cert(|c| c.id_masked = format!("{}********{}", &full[..6], &full[14..]));
    says(
        &one(&recognise(&w), RuleId::R16, Severity::Fail),
        "R16 失败：证件号码脱敏形式不规范（应为前 4 位 + 10 个 * + 后 4 位）",
        "R16 failed: the masked ID number is not in the canonical form (first 4 + 10 * + last 4)",
    );
}

#[test]
fn r16_no_id_fragments_in_other_fields() {
    let mut w = World::new();
    let full = w.person.id.normalised_number().to_owned();
    w.edit_cert(|c| {
        c.name = format!("王伟{}", &full[14..]);
        c.status_reason = format!("身份证 {full} 核验");
    });
    let v = recognise(&w);
    let r16 = problems(&v, RuleId::R16);
    assert_eq!(r16.len(), 2, "{r16:#?}");
    says(
        r16[0],
        "R16 失败：字段「姓名」含数字或 *，疑似证件号码片段",
        "R16 failed: field \"name\" contains digits or *, which looks like an ID number fragment",
    );
    says(
        r16[1],
        "R16 失败：字段「状态原因」含连续 18 位数字，疑似证件号码",
        "R16 failed: field \"status_reason\" contains 18 consecutive digits, which looks like an ID number",
    );
    assert!(!v.message_text().contains(&full[14..]));
}

#[test]
fn r16_person_key_is_a_keyed_hash() {
    let mut w = World::new();
    let full = w.person.id.normalised_number().to_owned();
    w.edit_cert(|c| c.person_key = full.into_bytes());
    let v = recognise(&w);
    says(
        &one(&v, RuleId::R16, Severity::Fail),
        "R16 失败：人员标识不是 32 字节的联盟密钥 HMAC",
        "R16 failed: the person key is not a 32-byte keyed hash (HMAC) under the alliance key",
    );
}

impl Verdict {
    /// Every message and fact of the verdict, for leak checks.
    fn message_text(&self) -> String {
        String::from_utf8(self.to_canonical_json()).unwrap()
    }
}
