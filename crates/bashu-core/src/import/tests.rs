//! Tests of the record kinds other than certificates (those are in `certificates.rs`),
//! kind detection and the node-side conversion.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::date::Date;
use crate::id::{
    CountyCode, Level, OccupationCode, PersonId, Uscc, id_check_char, uscc_check_char,
};
use crate::person::PseudonymKey;
use crate::record::{
    AuthorityLevel, CertStatus, CounterpartKind, ExpertRole, FilingStatus, FilingType,
    InstitutionKind, Record, RelationType, ScopeItem, SharedScope, TitleLevel,
};

const ID_A: &str = "500153198804123616";
const USCC_A: &str = "52511083MA6A01231Q";

fn make_id(first17: &str) -> String {
    format!("{first17}{}", id_check_char(first17).unwrap())
}

fn id_b() -> String {
    make_id("51052119920305472")
}

fn uscc_b() -> String {
    format!(
        "91500153MA5U0A1B2{}",
        uscc_check_char("91500153MA5U0A1B2").unwrap()
    )
}

fn key() -> PseudonymKey {
    PseudonymKey::from_bytes([7; 32])
}

fn rongchang() -> CountyCode {
    CountyCode::parse("500153").unwrap()
}

fn person_key_hex(id: &str) -> String {
    hex::encode(key().person_key(&PersonId::parse("", id).unwrap()))
}

fn csv(text: &str, source: &str) -> RecordFile {
    parse_records(text.as_bytes(), source, Format::Csv, None, false).unwrap()
}

fn jsonl(text: &str, source: &str) -> RecordFile {
    parse_records(text.as_bytes(), source, Format::JsonLines, None, false).unwrap()
}

fn refused(f: &RecordFile) -> Vec<(u64, &str)> {
    f.file
        .refused
        .iter()
        .map(|e| (e.line, e.column.as_str()))
        .collect()
}

/// Everything a row becomes on the node.
fn records(p: &Parsed) -> Vec<Record> {
    to_records(p.input.kind(), &p.json, &key(), &rongchang())
        .unwrap()
        .records
}

// --- institutions ---

#[test]
fn institutions_english_and_chinese_headers() {
    let en = format!(
        "\u{feff}uscc,name,kind,mohrss_code,province_code2,site_serial,division_code,address\n\
{USCC_A},重庆市荣昌区安陶职业技能培训学校,S,0000,50,001230,500153,荣昌区昌州街道\n\
{USCC_A},某机构,UNIVERSITY,0000,50,001230,500153,\n"
    );
    let f = csv(&en, "institutions.csv");
    assert_eq!(f.kind, Some(ImportKind::Institutions));
    assert_eq!(refused(&f), [(3, "kind")]);
    assert!(
        f.file.refused[0]
            .message_en
            .contains("expected one of Y, S, SPECIAL, TRAINING")
    );
    let Input::Institution(i) = &f.file.rows[0].value.input else {
        panic!("not an institution")
    };
    assert_eq!(i.kind, InstitutionKind::S);
    assert_eq!(i.site_serial, "001230");
    assert_eq!(i.address, "荣昌区昌州街道");

    // Chinese headers, labels, defaults for the optional codes.
    let zh = format!(
        "统一社会信用代码,机构名称,机构类别,所在区县\n\
{},泸县职业技能培训中心,职业培训机构,510521\n\
{USCC_A},坏代码,用人单位,5105\n",
        uscc_b()
    );
    let f = csv(&zh, "机构.csv");
    assert_eq!(f.kind, Some(ImportKind::Institutions));
    assert_eq!(refused(&f), [(3, "所在区县")]);
    assert_eq!(f.file.refused[0].origin, "机构.csv:3");
    let Input::Institution(i) = &f.file.rows[0].value.input else {
        panic!("not an institution")
    };
    assert_eq!(
        (i.kind, i.mohrss_code.as_str(), i.province_code2.as_str()),
        (InstitutionKind::Training, "0000", "51")
    );
}

// --- filings ---

const FILINGS_HEADER_EN: &str = "filing_no,institution_uscc,filing_type,authority_code,authority_level,\
scope,effective_from,effective_to,status,status_effective_at,status_reason";

#[test]
fn filing_status_history_rule() {
    let text = format!(
        "{FILINGS_HEADER_EN}\n\
YC-2024-007,{USCC_A},SKILL_LEVEL,500153,COUNTY,6-18-02-04/--:3-5;4-10-01-05/*:3-5,2024-01-01,2026-12-31,ACTIVE,,\n\
YC-2024-008,{USCC_A},等级认定备案,500153,县,6-18-02-04/--:5,2024-01-01,,SUSPENDED,2025-03-01,整改\n\
YC-2024-009,{USCC_A},SKILL_LEVEL,500153,COUNTY,6-18-02-04/--:5,2024-01-01,,REVOKED,,\n\
YC-2024-010,{USCC_A},SKILL_LEVEL,500153,COUNTY,6-18-02-04/--:5,2024-01-01,,ACTIVE,2025-06-01,整改完成\n\
YC-2024-011,{USCC_A},SKILL_LEVEL,500153,COUNTY,6-18-02-04/--:5,2024-01-01,,CANCELLED,2023-12-01,\n"
    );
    let f = csv(&text, "filings.csv");
    assert_eq!(f.kind, Some(ImportKind::Filings));
    assert_eq!(
        refused(&f),
        [(4, "status_effective_at"), (6, "status_effective_at")]
    );
    assert_eq!(
        f.file.refused[0].message_en,
        "status REVOKED needs status_effective_at (the day the status took effect)"
    );
    let filings: Vec<&FilingInput> = f
        .file
        .rows
        .iter()
        .map(|r| match &r.value.input {
            Input::Filing(fi) => fi,
            other => panic!("not a filing: {other:?}"),
        })
        .collect();

    // ACTIVE: the filing only, scope parsed, levels in digit order.
    let a = filings[0];
    assert!(a.status_change.is_none());
    assert_eq!(a.filing.filing_type, FilingType::SkillLevel);
    assert_eq!(a.filing.authority_level, AuthorityLevel::County);
    assert_eq!(
        a.filing.scope,
        [
            ScopeItem {
                occupation_code: OccupationCode::parse("6-18-02-04").unwrap(),
                work_type: "--".into(),
                levels: vec![Level::Three, Level::Four, Level::Five],
            },
            ScopeItem {
                occupation_code: OccupationCode::parse("4-10-01-05").unwrap(),
                work_type: "*".into(),
                levels: vec![Level::Three, Level::Four, Level::Five],
            },
        ]
    );
    assert_eq!(records(&f.file.rows[0].value).len(), 1);

    // SUSPENDED: ACTIVE from effective_from, then suspended on status_effective_at.
    let b = filings[1];
    assert_eq!(b.filing.effective_from, Date::parse("2024-01-01").unwrap());
    assert_eq!(b.filing.effective_to, None);
    let change = b.status_change.as_ref().unwrap();
    assert_eq!(change.status, FilingStatus::Suspended);
    assert_eq!(change.effective_at, Date::parse("2025-03-01").unwrap());
    assert_eq!(change.reason, "整改");
    let recs = records(&f.file.rows[1].value);
    assert!(matches!(
        &recs[..],
        [Record::Filing(_), Record::FilingStatus(_)]
    ));
    assert_eq!(recs[1].record_id(), "YC-2024-008@2025-03-01/Suspended");

    // ACTIVE with a later status date: a reinstatement, appended to the history.
    let c = filings[2].status_change.as_ref().unwrap();
    assert_eq!(
        (c.status, c.effective_at),
        (FilingStatus::Active, Date::parse("2025-06-01").unwrap())
    );
}

#[test]
fn filing_scope_syntax_errors() {
    let row =
        |scope: &str| format!("YC-1,{USCC_A},SKILL_LEVEL,500153,COUNTY,{scope},2024-01-01,,,,");
    let text = [
        FILINGS_HEADER_EN.to_owned(),
        row("6-18-02-04/--:3-5"),     // 2 good
        row("6-18-02-04:3-5"),        // 3 no work type
        row("6-18-02-04/--"),         // 4 no levels
        row("6-18-02-04/--:3-7"),     // 5 level out of range
        row("6-18-2-04/--:3"),        // 6 bad occupation
        row("6-18-02-04/:3"),         // 7 empty work type
        row(";"),                     // 8 empty scope
        row("6-18-02-04/--:3;x/y:z"), // 9 second item bad
        row("6-18-02-04/--:一级"),    // 10 a level label
    ]
    .join("\n");
    let f = csv(&text, "filings.csv");
    assert_eq!(
        refused(&f),
        [
            (3, "scope"),
            (4, "scope"),
            (5, "scope"),
            (6, "scope"),
            (7, "scope"),
            (8, "scope"),
            (9, "scope")
        ]
    );
    let en: Vec<&str> = f
        .file
        .refused
        .iter()
        .map(|e| e.message_en.as_str())
        .collect();
    assert_eq!(
        en[0],
        "scope item 1 \"6-18-02-04:3-5\" must be occupation/work type:levels, e.g. 6-18-02-04/--:3-5"
    );
    assert_eq!(
        en[2],
        "scope item 1: level range \"3-7\" is not valid: use digits 1-5, e.g. 3-5"
    );
    assert!(en[3].starts_with("scope item 1: occupation code must be"));
    assert_eq!(
        en[4],
        "scope item 1: work type is empty (-- for none, * for any)"
    );
    assert_eq!(en[5], "scope is empty");
    assert!(en[6].starts_with("scope item 2: occupation code"));
    assert!(f.file.refused[0].message_zh.contains("备案范围第 1 项"));
    assert_eq!(
        f.file.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 10]
    );
    let Input::Filing(fi) = &f.file.rows[1].value.input else {
        panic!()
    };
    assert_eq!(fi.filing.scope[0].levels, [Level::One]);
}

#[test]
fn filings_chinese_header_with_bad_dates() {
    let text = format!(
        "备案编号,统一社会信用代码,备案类型,备案部门代码,备案层级,备案范围,生效日期,截止日期,状态,状态生效日期,状态原因\n\
YC-1,{USCC_A},培训办学许可,500153,市级,4-10-01-05/*:1-5,2024-01-01,2023-12-31,有效,,\n\
YC-2,{USCC_A},培训办学许可,500153,市级,4-10-01-05/*:1-5,2024-01-01,2026-12-31,暂停,2024-06-01,年检未通过\n"
    );
    let f = csv(&text, "filings.csv");
    assert_eq!(f.kind, Some(ImportKind::Filings));
    assert_eq!(refused(&f), [(2, "截止日期")]);
    assert_eq!(
        f.file.refused[0].message_en,
        "effective_to 2023-12-31 is before effective_from 2024-01-01"
    );
    let Input::Filing(fi) = &f.file.rows[0].value.input else {
        panic!()
    };
    assert_eq!(fi.filing.filing_type, FilingType::TrainingPermit);
    assert_eq!(
        fi.status_change.as_ref().map(|c| c.status),
        Some(FilingStatus::Suspended)
    );
}

// --- experts ---

#[test]
fn experts_chinese_headers_and_bad_rows() {
    let bad_id = "500153198804123615";
    let text = format!(
        "专家编号,姓名,证件号码,所属区县,工作单位统一社会信用代码,角色,证卡编号,证卡有效期,职业范围,本人等级,职称,考评起始日期,共享范围,状态\n\
RC-E-001,李考评,{ID_A},500153,{USCC_A},高级考评员;考评员;考评员,KP-0001,2027-12-31,6-18-02-04;4-10-01-05,一级,副高,2015-03-01,510521;500153,有效\n\
RC-E-002,王考评,{bad_id},500153,,考评员,,,,,,,,\n\
RC-E-003,张考评,{},500153,,外督,KP-{},,,,,,ALLIANCE,\n\
RC-E-004,赵考评,{},500153,,厨师,,,,,,,,\n",
        id_b(),
        id_b(),
        make_id("50011819750101123"),
    );
    let f = csv(&text, "experts.csv");
    assert_eq!(f.kind, Some(ImportKind::Experts));
    assert_eq!(refused(&f), [(3, "证件号码"), (4, "证卡编号"), (5, "角色")]);
    assert_eq!(
        f.file.refused[0].message_en,
        "ID number check digit wrong: expected 6, found 5"
    );
    assert_eq!(
        f.file.refused[1].message_en,
        "field 证卡编号 contains an ID number fragment; refused"
    );
    assert!(
        f.file.refused[2]
            .message_en
            .starts_with("item 1: expert role \"厨师\"")
    );
    for e in &f.file.refused {
        assert!(!e.to_string().contains(&id_b()[..12]));
        assert!(!e.to_string().contains(&bad_id[..12]));
    }
    let Input::Expert(e) = &f.file.rows[0].value.input else {
        panic!()
    };
    assert_eq!(e.person_id.normalised_number(), ID_A);
    assert_eq!(
        e.expert.roles,
        [ExpertRole::Assessor, ExpertRole::SeniorAssessor]
    );
    assert_eq!(e.expert.own_level, Some(Level::One));
    assert_eq!(e.expert.title_level, TitleLevel::SubSenior);
    assert_eq!(
        e.expert.shared_scope,
        SharedScope::Counties(vec![
            CountyCode::parse("500153").unwrap(),
            CountyCode::parse("510521").unwrap()
        ])
    );
    assert_eq!(e.expert.occupation_scope[0].as_str(), "4-10-01-05");
}

#[test]
fn experts_english_header_defaults() {
    let text =
        "expert_id,name,id_type,id_no,home_county,roles\nRC-E-9,Li,护照,e1234567,500153,ASSESSOR\n";
    let f = csv(text, "experts.csv");
    let Input::Expert(e) = &f.file.rows[0].value.input else {
        panic!("{:?}", f.file.refused)
    };
    assert_eq!(e.expert.shared_scope, SharedScope::Alliance);
    assert_eq!(e.expert.title_level, TitleLevel::None);
    assert_eq!(e.person_id.masked(), "E1****67");
}

// --- relations ---

#[test]
fn relations_person_and_organisation_counterparts() {
    let text = format!(
        "expert_id,counterpart_kind,counterpart,relation\n\
RC-E-001,PERSON,{},KIN\n\
RC-E-001,EMPLOYER,{USCC_A},COLLEAGUE\n\
RC-E-001,PERSON,{USCC_A},KIN\n\
RC-E-001,TRAINING_ORG,{},TRAINER\n\
RC-E-001,FRIEND,{USCC_A},OTHER\n",
        id_b(),
        id_b(),
    );
    let f = csv(&text, "relations.csv");
    assert_eq!(f.kind, Some(ImportKind::Relations));
    assert_eq!(
        refused(&f),
        [
            (4, "counterpart"),
            (5, "counterpart"),
            (6, "counterpart_kind")
        ]
    );
    for e in &f.file.refused {
        assert!(!e.to_string().contains(&id_b()[..12]), "{e}");
    }
    let recs = records(&f.file.rows[0].value);
    let Record::Relation(r) = &recs[0] else {
        panic!()
    };
    assert_eq!(r.counterpart_kind, CounterpartKind::Person);
    assert_eq!(r.counterpart, person_key_hex(&id_b()));
    assert_eq!(r.relation, RelationType::Kin);
    let recs = records(&f.file.rows[1].value);
    let Record::Relation(r) = &recs[0] else {
        panic!()
    };
    assert_eq!(r.counterpart, USCC_A);

    // Chinese headers and labels.
    let text = format!("专家编号,对象类型,对象,关系\nRC-E-001,个人,{ID_A},师徒\n");
    let f = csv(&text, "回避.csv");
    assert!(f.file.refused.is_empty(), "{:?}", f.file.refused);
    let Input::Relation(r) = &f.file.rows[0].value.input else {
        panic!()
    };
    assert_eq!(r.relation, RelationType::MasterApprentice);
}

// --- certificate status changes ---

#[test]
fn certificate_status_changes() {
    let text = "证书编号,状态,生效日期,原因\n\
S000050001230243000015,撤销,2025-01-10,弄虚作假\n\
S000050001230243000015,SUSPENDED,2025-01-10,\n\
S000050001230243000015,VALID,2025-02-30,\n\
S000050001230243000015,VALID,2025-03-01,复核恢复\n";
    let f = csv(text, "cert-status.csv");
    assert_eq!(f.kind, Some(ImportKind::CertificateStatus));
    assert_eq!(refused(&f), [(3, "状态"), (4, "生效日期")]);
    let Input::CertificateStatus(s) = &f.file.rows[0].value.input else {
        panic!()
    };
    assert_eq!(s.status, CertStatus::Revoked);
    assert_eq!(s.reason, "弄虚作假");
    assert_eq!(
        records(&f.file.rows[0].value)[0].record_id(),
        "S000050001230243000015@2025-01-10/Revoked"
    );
}

// --- JSON Lines for every kind ---

fn good_lines() -> Vec<(ImportKind, String, &'static str, &'static str)> {
    // (kind, a good line, an enum-like field, a bad value for it)
    let id_c = make_id("50011819750101123");
    vec![
        (
            ImportKind::Certificates,
            format!(
                r#"{{"cert_no":"S000050001230243000015","cert_type":"SKILL_LEVEL","name":"王小明","id_no":"{ID_A}","occupation_code":"6-18-02-04","occupation_name":"焊工","work_type":"--","level":"三级","issue_date":"2024-06-01","institution_uscc":"{USCC_A}","institution_name":"重庆市荣昌区安陶职业技能培训学校","filing_no":"YC-2024-007"}}"#
            ),
            "cert_type",
            "DIPLOMA",
        ),
        (
            ImportKind::CertificateStatus,
            r#"{"cert_no":"S000050001230243000015","status":"REVOKED","effective_date":"2025-01-10","reason":"弄虚作假"}"#.to_owned(),
            "status",
            "SUSPENDED",
        ),
        (
            ImportKind::Institutions,
            format!(
                r#"{{"uscc":"{USCC_A}","name":"安陶学校","kind":"S","mohrss_code":"0000","province_code2":"50","site_serial":"001230","division_code":"500153"}}"#
            ),
            "kind",
            "UNIVERSITY",
        ),
        (
            ImportKind::Filings,
            format!(
                r#"{{"filing_no":"YC-2024-007","institution_uscc":"{USCC_A}","filing_type":"SKILL_LEVEL","authority_code":"500153","authority_level":"COUNTY","scope":[{{"occupation_code":"6-18-02-04","work_type":"--","levels":[5,3,4]}}],"effective_from":"2024-01-01","status":"SUSPENDED","status_effective_at":"2025-03-01","status_reason":"整改","cross_registrations":[{{"county":"510521","date":"2024-05-01","scope":[]}}]}}"#
            ),
            "filing_type",
            "LICENCE",
        ),
        (
            ImportKind::FilingStatus,
            r#"{"filing_no":"YC-2024-007","status":"REVOKED","effective_at":"2025-04-01","reason":"违规","affected_certificates":["S000050001230243000015"]}"#.to_owned(),
            "status",
            "PAUSED",
        ),
        (
            ImportKind::Experts,
            format!(
                r#"{{"expert_id":"RC-E-001","name":"李考评","id_type":"居民身份证","id_no":"{ID_A}","home_county":"500153","roles":["SENIOR_ASSESSOR","ASSESSOR"],"card_valid_to":"2027-12-31","occupation_scope":["6-18-02-04"],"own_level":1,"title_level":"SUB_SENIOR","assessing_since":"2015-03-01","shared_scope":["510521"],"status":"ACTIVE"}}"#
            ),
            "title_level",
            "PROFESSOR",
        ),
        (
            ImportKind::Relations,
            format!(
                r#"{{"expert_id":"RC-E-001","counterpart_kind":"PERSON","counterpart":"{}","relation":"KIN"}}"#,
                id_b()
            ),
            "relation",
            "FRIEND",
        ),
        (
            ImportKind::Batches,
            format!(
                r#"{{"batch_id":"PC-2024-0601","institution_uscc":"{USCC_A}","filing_no":"YC-2024-007","occupation_code":"6-18-02-04","work_type":"--","level":3,"exam_date":"2024-05-20","candidates":[{{"id_no":"{ID_A}","employer_uscc":"{USCC_A}"}},{{"id_type":"居民身份证","id_no":"{id_c}"}}],"rooms":[{{"kind":"THEORY","candidate_count":2,"members":[{{"expert_id":"RC-E-001","role":"PROCTOR"}},{{"expert_id":"RC-E-002","role":"PROCTOR"}}]}}],"supervisors":[{{"expert_id":"LX-E-009","kind":"EXTERNAL","appointed_by":"510521"}}],"offered_for_alliance":true}}"#
            ),
            "rooms",
            "LAB",
        ),
        (
            ImportKind::Competitions,
            r#"{"competition_id":"BS-2025-01","name":"巴蜀工匠焊工大赛","class":"NATIONAL_II","year":2025,"events":[{"event_id":"E1","occupation_code":"6-18-02-04","standard_level":3}],"co_defined_by":["510521","500153"],"recognised_by":["500153","510521"]}"#.to_owned(),
            "class",
            "GALACTIC",
        ),
        (
            ImportKind::Results,
            format!(
                r#"{{"result_id":"BS-2025-01/E1/1","competition_id":"BS-2025-01","event_id":"E1","id_no":"{id_c}","participant_type":"EMPLOYEE","rank":1,"participants":30,"award":"一等奖","referees":["RC-E-001"]}}"#
            ),
            "participant_type",
            "WORKER",
        ),
        (
            ImportKind::Occupations,
            r#"{"code":"6-18-02-04","name":"焊工","levels":[5,4,3,2,1],"access_controlled":false}"#.to_owned(),
            "levels",
            "9",
        ),
        (
            ImportKind::Urgent,
            r#"{"year":2025,"county":"500153","occupations":["6-18-02-04","4-10-01-05"]}"#.to_owned(),
            "county",
            "EVERYWHERE",
        ),
    ]
}

/// Replaces the value of `field` (a string, number or the `kind` of the first room).
fn with_bad(line: &str, field: &str, bad: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
    let obj = v.as_object_mut().unwrap();
    if field == "rooms" {
        obj["rooms"][0]["kind"] = bad.into();
    } else if field == "levels" {
        obj["levels"] = serde_json::json!([5, bad.parse::<u32>().unwrap()]);
    } else {
        obj[field] = bad.into();
    }
    v.to_string()
}

#[test]
fn jsonl_every_kind_is_detected_and_converted() {
    for (kind, line, field, bad) in good_lines() {
        let text = format!("{line}\n\n{}\n", with_bad(&line, field, bad));
        let f = jsonl(&text, "x.jsonl");
        assert_eq!(f.kind, Some(kind), "{line}");
        assert_eq!(f.file.rows.len(), 1, "{kind}: {:?}", f.file.refused);
        assert_eq!(f.file.rows[0].line, 1);
        assert_eq!(refused(&f), [(3, field)], "{kind}");
        // Named explicitly, the same.
        let named = parse_records(
            text.as_bytes(),
            "x.jsonl",
            Format::JsonLines,
            Some(kind),
            false,
        )
        .unwrap();
        assert_eq!(named, f);

        let ingested = to_records(kind, &f.file.rows[0].value.json, &key(), &rongchang()).unwrap();
        assert!(!ingested.records.is_empty());
        for r in &ingested.records {
            let body = r.encode();
            // The body decodes as its kind.
            assert_eq!(&Record::decode(r.kind(), &body).unwrap(), r);
            let text = String::from_utf8_lossy(&body);
            for id in [ID_A.to_owned(), id_b(), make_id("50011819750101123")] {
                assert!(!text.contains(&id), "{kind}: full ID number in the body");
                assert!(
                    !body.windows(id.len()).any(|w| w == id.as_bytes()),
                    "{kind}: full ID number in the body bytes"
                );
            }
        }
    }
}

#[test]
fn jsonl_invalid_enum_messages_are_bilingual() {
    let lines = good_lines();
    let (_, line, field, bad) = &lines[9]; // results
    let f = jsonl(&with_bad(line, field, bad), "results.jsonl");
    let e = &f.file.refused[0];
    assert_eq!(e.origin, "results.jsonl:1");
    assert_eq!(
        e.message_en,
        "participant type \"WORKER\" is not valid; expected one of EMPLOYEE, STUDENT, TEACHER (or the Chinese label)"
    );
    assert_eq!(
        e.message_zh,
        "参赛身份 \"WORKER\" 无效，应为 EMPLOYEE/职工、STUDENT/学生、TEACHER/教师 之一"
    );
}

#[test]
fn jsonl_values_are_canonical() {
    let lines = good_lines();
    let one = |i: usize| {
        let f = jsonl(&lines[i].1, "x.jsonl");
        records(&f.file.rows[0].value)
    };
    let Record::Competition(c) = &one(8)[0] else {
        panic!()
    };
    assert_eq!(c.class, crate::record::CompetitionClass::NationalII);
    assert_eq!(c.co_defined_by, c.recognised_by);
    let Record::Filing(fi) = &one(3)[0] else {
        panic!()
    };
    assert_eq!(fi.scope[0].levels, [Level::Three, Level::Four, Level::Five]);
    assert_eq!(fi.cross_registrations.len(), 1);
    let Record::Occupation(o) = &one(10)[0] else {
        panic!()
    };
    assert_eq!(o.levels.first(), Some(&Level::One));
}

#[test]
fn jsonl_nested_problems_are_reported_under_their_field() {
    let lines = good_lines();
    let batch = &lines[7].1;
    let bad_candidate = batch.replace(&make_id("50011819750101123"), "500118197501011230");
    let unknown_key = batch.replace(r#""employer_uscc""#, r#""employer""#);
    let id_in_room = batch.replace("RC-E-002", &format!("RC-{ID_A}"));
    let number_id = batch.replace(&format!(r#""{ID_A}""#), ID_A);
    let text = [bad_candidate, unknown_key, id_in_room, number_id].join("\n");
    let f = jsonl(&text, "batches.jsonl");
    assert_eq!(
        refused(&f),
        [
            (1, "candidates"),
            (2, "candidates"),
            (3, "rooms"),
            (4, "candidates")
        ]
    );
    assert!(
        f.file.refused[0]
            .message_en
            .starts_with("item 2: ID number")
    );
    assert!(
        f.file.refused[1]
            .message_en
            .contains("unknown field `employer`")
    );
    for e in &f.file.refused {
        assert!(!e.to_string().contains(&ID_A[..12]), "{e}");
    }
}

#[test]
fn jsonl_results_rank_checks() {
    let lines = good_lines();
    let line = &lines[9].1;
    let text = [
        line.replace(r#""rank":1"#, r#""rank":31"#),
        line.replace(r#""rank":1"#, r#""rank":-1"#),
        line.replace(r#""rank":1"#, r#""rank":"2""#),
    ]
    .join("\n");
    let f = jsonl(&text, "results.jsonl");
    assert_eq!(refused(&f), [(1, "rank"), (2, "rank")]);
    assert_eq!(f.file.rows.len(), 1);
}

// --- kind detection ---

#[test]
fn csv_kind_is_told_from_the_header() {
    let cases = [
        (
            "cert_no,status,effective_date,reason",
            ImportKind::CertificateStatus,
        ),
        ("证书编号,状态,生效日期", ImportKind::CertificateStatus),
        ("uscc,name,kind,division_code", ImportKind::Institutions),
        (FILINGS_HEADER_EN, ImportKind::Filings),
        (
            "备案编号,状态,状态生效日期,状态原因",
            ImportKind::FilingStatus,
        ),
        (
            "expert_id,name,id_no,home_county,roles",
            ImportKind::Experts,
        ),
        ("专家编号,对象类型,对象,关系", ImportKind::Relations),
        ("code,name,levels", ImportKind::Occupations),
        ("年度,急需紧缺职业", ImportKind::Urgent),
        (
            "result_id,competition_id,event_id,id_no,participant_type,rank,participants",
            ImportKind::Results,
        ),
    ];
    for (header, kind) in cases {
        let f = csv(&format!("{header}\n"), "x.csv");
        assert_eq!(f.kind, Some(kind), "{header}");
    }

    // Close to filings, but no scope: the error names the closest kind.
    let header = FILINGS_HEADER_EN.replace("scope,", "");
    let e = parse_records(
        format!("{header}\n").as_bytes(),
        "x.csv",
        Format::Csv,
        None,
        false,
    )
    .unwrap_err();
    assert_eq!(e.kind, FileErrorKind::UnknownKind);
    assert_eq!(e.origin, "x.csv:1");
    assert_eq!(
        e.message_en,
        "cannot tell the kind of file: closest is filings, but required columns are missing: scope (备案范围) (name it with --kind)"
    );
    // Nothing known at all.
    let e = parse_records("a,b\n1,2\n".as_bytes(), "x.csv", Format::Csv, None, false).unwrap_err();
    assert_eq!(e.kind, FileErrorKind::MissingHeader);
    // Named, the usual header checks apply.
    let e = parse_records(
        "expert_id,name\n".as_bytes(),
        "x.csv",
        Format::Csv,
        Some(ImportKind::Experts),
        false,
    )
    .unwrap_err();
    assert_eq!(e.kind, FileErrorKind::MissingColumn);
}

#[test]
fn unknown_columns_need_lenient() {
    let text = format!("uscc,name,kind,division_code,备注\n{USCC_A},安陶,S,500153,x\n");
    let e = parse_records(text.as_bytes(), "i.csv", Format::Csv, None, false).unwrap_err();
    assert_eq!(e.kind, FileErrorKind::UnknownColumn);
    let f = parse_records(text.as_bytes(), "i.csv", Format::Csv, None, true).unwrap();
    assert_eq!(f.file.rows.len(), 1);
    // The submitted JSON holds known columns only.
    assert!(!f.file.rows[0].value.json.contains("备注"));

    let line = format!(
        r#"{{"uscc":"{USCC_A}","name":"安陶","kind":"S","division_code":"500153","remark":"x"}}"#
    );
    let f = jsonl(&line, "i.jsonl");
    assert_eq!(refused(&f), [(1, "remark")]);
    let f = parse_records(line.as_bytes(), "i.jsonl", Format::JsonLines, None, true).unwrap();
    assert_eq!(f.file.rows.len(), 1);
    assert!(!f.file.rows[0].value.json.contains("remark"));
}

#[test]
fn jsonl_detection_edge_cases() {
    let f = jsonl("\n \n", "empty.jsonl");
    assert_eq!(f.kind, None);
    assert!(f.file.rows.is_empty());
    let e = parse_records(
        "not json\n[1]\n".as_bytes(),
        "x.jsonl",
        Format::JsonLines,
        None,
        false,
    )
    .unwrap_err();
    assert_eq!(e.kind, FileErrorKind::UnknownKind);
    // A bad first line does not stop detection from the next one.
    let lines = good_lines();
    let f = jsonl(&format!("{{oops\n{}\n", lines[2].1), "x.jsonl");
    assert_eq!(f.kind, Some(ImportKind::Institutions));
    assert_eq!(refused(&f), [(1, "")]);
}

#[test]
fn format_detection() {
    assert_eq!(Format::detect("a.jsonl", b"x"), Format::JsonLines);
    assert_eq!(Format::detect("a.CSV", b"{"), Format::Csv);
    assert_eq!(
        Format::detect("export", "\u{feff} {\"a\":1}".as_bytes()),
        Format::JsonLines
    );
    assert_eq!(Format::detect("export", b"cert_no,name"), Format::Csv);
}

#[test]
fn import_kind_names() {
    for k in ImportKind::ALL {
        assert_eq!(ImportKind::parse(k.as_str()), Some(k));
        assert_eq!(k.as_str().parse::<ImportKind>(), Ok(k));
        assert!(!k.columns().is_empty());
    }
    let e = "certs".parse::<ImportKind>().unwrap_err();
    assert!(e.to_string().contains("certificate-status, institutions"));
}

// --- the node's side ---

#[test]
fn to_records_derives_person_keys_and_keeps_id_numbers_home() {
    let lines = good_lines();
    let k = key();
    let county = rongchang();

    let cert = to_records(ImportKind::Certificates, &lines[0].1, &k, &county).unwrap();
    let Record::Certificate(c) = &cert.records[0] else {
        panic!()
    };
    assert_eq!(hex::encode(&c.person_key), person_key_hex(ID_A));
    assert_eq!(c.id_masked, "5001**********3616");
    assert_eq!(cert.home_ids.len(), 1);
    assert_eq!(cert.home_ids[0].person_id.normalised_number(), ID_A);

    let expert = to_records(ImportKind::Experts, &lines[5].1, &k, &county).unwrap();
    let Record::Expert(e) = &expert.records[0] else {
        panic!()
    };
    assert_eq!(e.person_key, person_key_hex(ID_A));
    assert!(expert.home_ids.is_empty());

    let batch = to_records(ImportKind::Batches, &lines[7].1, &k, &county).unwrap();
    let Record::AssessmentBatch(b) = &batch.records[0] else {
        panic!()
    };
    let keys: Vec<&str> = b.candidates.iter().map(|c| c.person_key.as_str()).collect();
    assert_eq!(
        keys,
        [
            person_key_hex(ID_A),
            person_key_hex(&make_id("50011819750101123"))
        ]
    );
    assert_eq!(
        b.candidates[0].employer_uscc,
        Some(Uscc::parse(USCC_A).unwrap())
    );

    let result = to_records(ImportKind::Results, &lines[9].1, &k, &county).unwrap();
    let Record::CompetitionResult(r) = &result.records[0] else {
        panic!()
    };
    assert_eq!(r.person_key, person_key_hex(&make_id("50011819750101123")));

    for ing in [&cert, &expert, &batch, &result] {
        for r in &ing.records {
            let body = r.encode();
            for id in [ID_A.to_owned(), make_id("50011819750101123")] {
                assert!(!body.windows(id.len()).any(|w| w == id.as_bytes()));
            }
        }
    }
}

#[test]
fn to_records_validates_again() {
    let lines = good_lines();
    let county = rongchang();
    // An expert of another county.
    let other = lines[5]
        .1
        .replace(r#""home_county":"500153""#, r#""home_county":"510521""#);
    let e = to_records(ImportKind::Experts, &other, &key(), &county).unwrap_err();
    assert_eq!(e.column, "home_county");
    assert!(e.message_en.contains("not this node's county 500153"));
    // Unknown fields are never ignored on the node.
    let extra = lines[2].1.replace(r#""kind":"S""#, r#""kind":"S","x":1"#);
    assert_eq!(
        to_records(ImportKind::Institutions, &extra, &key(), &county)
            .unwrap_err()
            .column,
        "x"
    );
    // A row of one kind submitted as another.
    let e = to_records(ImportKind::Experts, &lines[2].1, &key(), &county).unwrap_err();
    assert_eq!(e.message_en, "unknown field division_code");
    // Not JSON.
    assert_eq!(
        to_records(ImportKind::Urgent, "[]", &key(), &county)
            .unwrap_err()
            .message_en,
        "line is not a JSON object"
    );
    // An ID fragment in free text.
    let leak = lines[6]
        .1
        .replace("RC-E-001", &format!("RC-{}", &id_b()[..16]));
    assert_eq!(
        to_records(ImportKind::Relations, &leak, &key(), &county)
            .unwrap_err()
            .column,
        "expert_id"
    );
}

#[test]
fn csv_rows_travel_as_json_and_convert_the_same() {
    // A CSV row's submission (all text) gives the same records as the JSON Lines row.
    let csv_text = format!(
        "expert_id,name,id_type,id_no,home_county,roles,card_valid_to,occupation_scope,own_level,title_level,assessing_since,shared_scope,status\n\
RC-E-001,李考评,居民身份证,{ID_A},500153,ASSESSOR;SENIOR_ASSESSOR,2027-12-31,6-18-02-04,1,SUB_SENIOR,2015-03-01,510521,ACTIVE\n"
    );
    let from_csv = csv(&csv_text, "experts.csv");
    let lines = good_lines();
    let from_jsonl = jsonl(&lines[5].1, "experts.jsonl");
    assert_eq!(
        records(&from_csv.file.rows[0].value),
        records(&from_jsonl.file.rows[0].value)
    );
    assert_eq!(
        from_csv.file.rows[0].value.input,
        from_jsonl.file.rows[0].value.input
    );
    // Debug never shows the JSON (which holds the full number).
    let dbg = format!("{:?}", from_csv.file.rows[0].value);
    assert!(!dbg.contains(ID_A), "{dbg}");
}

/// Every batch size gives the rows and refusals of a whole read, with the same lines:
/// across blank lines, a quoted cell spanning lines and batch boundaries.
#[test]
fn batches_read_the_same_rows_as_the_whole_file() {
    let csv_text = format!(
        "uscc,name,kind,division_code\r\n\
         {USCC_A},安陶,S,500153\r\n\
         \r\n\
         ,,,\n\
         {USCC_A},\"荣昌\n陶器\",S,500153\n\
         bad,x,S,500153\n\
         \n\n\
         {USCC_A},末行,S,500153"
    );
    let jsonl_text = format!(
        "{}\n\n{{oops\n  \n{}\n",
        good_lines()[2].1,
        good_lines()[2].1
    );
    for (text, format) in [(csv_text, Format::Csv), (jsonl_text, Format::JsonLines)] {
        let whole = parse_records(text.as_bytes(), "f", format, None, false).unwrap();
        let lines = |f: &ImportFile<Parsed>| -> (Vec<u64>, Vec<u64>) {
            (
                f.rows.iter().map(|r| r.line).collect(),
                f.refused.iter().map(|r| r.line).collect(),
            )
        };
        let (rows, refused) = lines(&whole.file);
        if matches!(format, Format::Csv) {
            assert_eq!((&rows[..], &refused[..]), (&[2, 5, 10][..], &[7][..]));
        } else {
            assert_eq!((&rows[..], &refused[..]), (&[1, 5][..], &[3][..]));
        }
        for size in 1..=4 {
            let mut r =
                RecordReader::open(text.clone().into_bytes(), "f", format, None, false).unwrap();
            assert_eq!(r.kind(), whole.kind);
            let (mut got_rows, mut got_refused) = (Vec::new(), Vec::new());
            while let Some(batch) = r.next_batch(size).unwrap() {
                assert!(batch.rows.len() + batch.refused.len() <= size);
                let (a, b) = lines(&batch);
                got_rows.extend(a);
                got_refused.extend(b);
            }
            assert_eq!(
                (&got_rows, &got_refused),
                (&rows, &refused),
                "{format:?} {size}"
            );
        }
    }
    assert_eq!(
        refused(&csv(
            &format!("uscc,name,kind,division_code\n{USCC_A},\"a\nb\",S,500153\nbad,x,S,500153\n"),
            "q.csv"
        )),
        [(4, "uscc")]
    );
}

/// A byte that is not UTF-8 anywhere in the file refuses the file when it is opened,
/// before any row is handed out, naming its line.
#[test]
fn a_bad_byte_late_in_the_file_refuses_it_at_open() {
    let mut bytes = format!("uscc,name,kind,division_code\n{USCC_A},安陶,S,500153\n").into_bytes();
    bytes.extend_from_slice(b"x,\xb0\xb2,S,500153\n");
    let e = RecordReader::open(bytes, "gbk.csv", Format::Csv, None, false)
        .err()
        .unwrap();
    assert_eq!(e.kind, FileErrorKind::NotUtf8);
    assert_eq!(e.origin, "gbk.csv:3");
}
