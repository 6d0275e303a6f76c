//! Writes a county's export as the files its HR system pushes: CSV (SPEC §4, English or
//! Chinese headers) and JSON Lines, named with a numeric prefix so that a shell glob
//! imports them in dependency order.

use std::io::{self, Write};

use serde_json::{Value as Json, json};

use super::dataset::{CountyData, HeaderLanguage};
use crate::id::{Level, PersonId};
use crate::import::{Counterpart, Format, ImportKind};
use crate::record::{
    AuthorityLevel, CertStatus, CounterpartKind, ExpertRole, ExpertStatus, FilingStatus,
    FilingType, InstitutionKind, ParticipantType, RelationType, ScopeItem, SharedScope, TitleLevel,
};

/// One file of a county's export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportFile {
    pub name: &'static str,
    pub kind: ImportKind,
    pub format: Format,
}

const fn file(name: &'static str, kind: ImportKind, format: Format) -> ExportFile {
    ExportFile { name, kind, format }
}

/// The files, in import order: reference data and institutions, filings and their status
/// changes, experts and relations, batches, certificates, competitions and results,
/// certificate status changes, the urgent-occupation list.
pub const FILES: [ExportFile; 12] = [
    file(
        "01-occupations.jsonl",
        ImportKind::Occupations,
        Format::JsonLines,
    ),
    file("02-institutions.csv", ImportKind::Institutions, Format::Csv),
    file("03-filings.csv", ImportKind::Filings, Format::Csv),
    file(
        "04-filing-status.csv",
        ImportKind::FilingStatus,
        Format::Csv,
    ),
    file("05-experts.csv", ImportKind::Experts, Format::Csv),
    file("06-relations.csv", ImportKind::Relations, Format::Csv),
    file("07-batches.jsonl", ImportKind::Batches, Format::JsonLines),
    file("08-certificates.csv", ImportKind::Certificates, Format::Csv),
    file(
        "09-competitions.jsonl",
        ImportKind::Competitions,
        Format::JsonLines,
    ),
    file("10-results.jsonl", ImportKind::Results, Format::JsonLines),
    file(
        "11-certificate-status.csv",
        ImportKind::CertificateStatus,
        Format::Csv,
    ),
    file("12-urgent.jsonl", ImportKind::Urgent, Format::JsonLines),
];

/// Writes one file of `data` (its rows of `file.kind`) to `w`. Contains full ID numbers:
/// for the home county's own node only.
pub fn write_file<W: Write>(data: &CountyData, file: &ExportFile, w: W) -> io::Result<()> {
    let zh = data.header_language == HeaderLanguage::Zh;
    match file.format {
        Format::Csv => {
            let mut out = csv::Writer::from_writer(w);
            let names = file.kind.columns();
            let header: Vec<&str> = csv_columns(file.kind)
                .iter()
                .map(|en| match names.iter().find(|(e, _)| e == en) {
                    Some((_, cn)) if zh => *cn,
                    _ => *en,
                })
                .collect();
            out.write_record(&header)?;
            for row in csv_rows(data, file.kind, zh) {
                out.write_record(&row)?;
            }
            out.flush()
        }
        Format::JsonLines => {
            let mut w = w;
            for row in json_rows(data, file.kind) {
                serde_json::to_writer(&mut w, &row)?;
                w.write_all(b"\n")?;
            }
            w.flush()
        }
    }
}

/// The columns written, in the importer's column order.
fn csv_columns(kind: ImportKind) -> &'static [&'static str] {
    match kind {
        ImportKind::Certificates => &[
            "cert_no",
            "cert_type",
            "name",
            "id_type",
            "id_no",
            "occupation_code",
            "occupation_name",
            "work_type",
            "level",
            "issue_date",
            "institution_uscc",
            "institution_name",
            "filing_no",
            "batch_id",
            "status",
        ],
        ImportKind::Institutions => &[
            "uscc",
            "name",
            "kind",
            "mohrss_code",
            "province_code2",
            "site_serial",
            "division_code",
            "address",
        ],
        ImportKind::Filings => &[
            "filing_no",
            "institution_uscc",
            "filing_type",
            "authority_code",
            "authority_level",
            "scope",
            "effective_from",
            "effective_to",
            "status",
            "status_effective_at",
            "status_reason",
            "cross_registrations",
        ],
        ImportKind::FilingStatus => &[
            "filing_no",
            "status",
            "effective_at",
            "reason",
            "affected_certificates",
        ],
        ImportKind::Experts => &[
            "expert_id",
            "name",
            "id_type",
            "id_no",
            "home_county",
            "employer_uscc",
            "roles",
            "card_no",
            "card_valid_to",
            "occupation_scope",
            "own_level",
            "title_level",
            "assessing_since",
            "shared_scope",
            "status",
        ],
        ImportKind::Relations => &["expert_id", "counterpart_kind", "counterpart", "relation"],
        ImportKind::CertificateStatus => &["cert_no", "status", "effective_date", "reason"],
        _ => &[],
    }
}

/// Enumeration codes, or the Chinese labels the importer accepts.
fn code<T: serde::Serialize>(v: &T, zh: bool, label: &'static str) -> String {
    if zh {
        return label.to_owned();
    }
    match serde_json::to_value(v) {
        Ok(Json::String(s)) => s,
        _ => String::new(),
    }
}

fn institution_kind(k: InstitutionKind, zh: bool) -> String {
    let label = match k {
        InstitutionKind::Y => "用人单位",
        InstitutionKind::S => "社会培训评价组织",
        InstitutionKind::Special => "专项职业能力考核机构",
        InstitutionKind::Training => "职业培训机构",
    };
    code(&k, zh, label)
}

fn filing_type(t: FilingType, zh: bool) -> String {
    let label = match t {
        FilingType::SkillLevel => "等级认定备案",
        FilingType::SpecialAbility => "专项能力考核备案",
        FilingType::TrainingPermit => "培训办学许可",
    };
    code(&t, zh, label)
}

fn authority_level(l: AuthorityLevel, zh: bool) -> String {
    let label = match l {
        AuthorityLevel::Ministry => "部",
        AuthorityLevel::Province => "省",
        AuthorityLevel::City => "市",
        AuthorityLevel::County => "县",
    };
    code(&l, zh, label)
}

fn filing_status(s: FilingStatus, zh: bool) -> String {
    let label = match s {
        FilingStatus::Active => "有效",
        FilingStatus::Suspended => "暂停",
        FilingStatus::Revoked => "撤销",
        FilingStatus::Cancelled => "注销",
        FilingStatus::Expired => "到期",
    };
    code(&s, zh, label)
}

fn role(r: ExpertRole, zh: bool) -> String {
    let label = match r {
        ExpertRole::Assessor => "考评员",
        ExpertRole::SeniorAssessor => "高级考评员",
        ExpertRole::InternalSupervisor => "内督",
        ExpertRole::ExternalSupervisor => "外督",
        ExpertRole::Referee => "裁判",
        ExpertRole::ItemWriter => "命题专家",
        ExpertRole::Master => "技能大师",
    };
    code(&r, zh, label)
}

fn title(t: TitleLevel, zh: bool) -> String {
    let label = match t {
        TitleLevel::None => "无",
        TitleLevel::Junior => "初级",
        TitleLevel::Intermediate => "中级",
        TitleLevel::SubSenior => "副高",
        TitleLevel::Senior => "正高",
    };
    code(&t, zh, label)
}

fn expert_status(s: ExpertStatus, zh: bool) -> String {
    let label = match s {
        ExpertStatus::Active => "有效",
        ExpertStatus::Suspended => "暂停",
        ExpertStatus::Removed => "移除",
    };
    code(&s, zh, label)
}

fn counterpart_kind(k: CounterpartKind, zh: bool) -> String {
    let label = match k {
        CounterpartKind::Person => "个人",
        CounterpartKind::Employer => "工作单位",
        CounterpartKind::TrainingOrg => "培训机构",
    };
    code(&k, zh, label)
}

fn relation_type(t: RelationType, zh: bool) -> String {
    let label = match t {
        RelationType::Kin => "近亲属",
        RelationType::Teacher => "师生",
        RelationType::MasterApprentice => "师徒",
        RelationType::Colleague => "同事",
        RelationType::Trainer => "培训关系",
        RelationType::Other => "其他",
    };
    code(&t, zh, label)
}

fn cert_status(s: CertStatus, zh: bool) -> String {
    if zh {
        s.label_zh().to_owned()
    } else {
        s.as_code().to_owned()
    }
}

fn level(l: Level, zh: bool) -> String {
    if zh {
        l.label_zh().to_owned()
    } else {
        l.digit().to_string()
    }
}

/// `6-18-02-04/--:3-5;…`: each item's levels are a contiguous range.
fn scope_text(scope: &[ScopeItem]) -> String {
    scope
        .iter()
        .map(|s| {
            let digits: Vec<u32> = s.levels.iter().map(|l| l.digit()).collect();
            let lo = digits.iter().min().copied().unwrap_or(5);
            let hi = digits.iter().max().copied().unwrap_or(5);
            let contiguous = (hi - lo + 1) as usize == digits.len();
            let levels = if contiguous {
                if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo}-{hi}")
                }
            } else {
                digits
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!("{}/{}:{levels}", s.occupation_code, s.work_type)
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn id_type(p: &PersonId) -> String {
    p.id_type_label().to_owned()
}

fn csv_rows(data: &CountyData, kind: ImportKind, zh: bool) -> Vec<Vec<String>> {
    match kind {
        ImportKind::Certificates => data
            .certificates
            .iter()
            .map(|c| {
                vec![
                    c.cert_no.as_str().to_owned(),
                    if zh {
                        c.cert_type.label_zh().to_owned()
                    } else {
                        c.cert_type.as_code().to_owned()
                    },
                    c.name.clone(),
                    id_type(&c.person_id),
                    c.person_id.normalised_number().to_owned(),
                    c.occupation_code.to_string(),
                    c.occupation_name.clone(),
                    c.work_type.clone(),
                    level(c.level, zh),
                    c.issue_date.to_string(),
                    c.institution_uscc.to_string(),
                    c.institution_name.clone(),
                    c.filing_no.clone(),
                    c.batch_id.clone().unwrap_or_default(),
                    cert_status(c.status, zh),
                ]
            })
            .collect(),
        ImportKind::Institutions => data
            .institutions
            .iter()
            .map(|i| {
                vec![
                    i.uscc.to_string(),
                    i.name.clone(),
                    institution_kind(i.kind, zh),
                    i.mohrss_code.clone(),
                    i.province_code2.clone(),
                    i.site_serial.clone(),
                    i.division_code.to_string(),
                    i.address.clone(),
                ]
            })
            .collect(),
        ImportKind::Filings => data
            .filings
            .iter()
            .map(|f| {
                let cross = if f.cross_registrations.is_empty() {
                    String::new()
                } else {
                    serde_json::to_string(&f.cross_registrations).unwrap_or_default()
                };
                vec![
                    f.filing_no.clone(),
                    f.institution_uscc.to_string(),
                    filing_type(f.filing_type, zh),
                    f.authority_code.to_string(),
                    authority_level(f.authority_level, zh),
                    scope_text(&f.scope),
                    f.effective_from.to_string(),
                    opt(&f.effective_to),
                    filing_status(FilingStatus::Active, zh),
                    String::new(),
                    String::new(),
                    cross,
                ]
            })
            .collect(),
        ImportKind::FilingStatus => data
            .filing_status
            .iter()
            .map(|s| {
                vec![
                    s.filing_no.clone(),
                    filing_status(s.status, zh),
                    s.effective_at.to_string(),
                    s.reason.clone(),
                    s.affected_certificates.join(";"),
                ]
            })
            .collect(),
        ImportKind::Experts => data
            .experts
            .iter()
            .map(|x| {
                let e = &x.expert;
                let shared = match &e.shared_scope {
                    SharedScope::Alliance if zh => "联盟".to_owned(),
                    SharedScope::Alliance => "ALLIANCE".to_owned(),
                    SharedScope::Counties(c) => {
                        c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(";")
                    }
                };
                vec![
                    e.expert_id.clone(),
                    e.name.clone(),
                    id_type(&x.person_id),
                    x.person_id.normalised_number().to_owned(),
                    e.home_county.to_string(),
                    opt(&e.employer_uscc),
                    e.roles
                        .iter()
                        .map(|r| role(*r, zh))
                        .collect::<Vec<_>>()
                        .join(";"),
                    e.card_no.clone(),
                    opt(&e.card_valid_to),
                    e.occupation_scope
                        .iter()
                        .map(|o| o.as_str())
                        .collect::<Vec<_>>()
                        .join(";"),
                    e.own_level.map(|l| level(l, zh)).unwrap_or_default(),
                    title(e.title_level, zh),
                    opt(&e.assessing_since),
                    shared,
                    expert_status(e.status, zh),
                ]
            })
            .collect(),
        ImportKind::Relations => data
            .relations
            .iter()
            .map(|r| {
                let counterpart = match &r.counterpart {
                    Counterpart::Person(p) => p.normalised_number().to_owned(),
                    Counterpart::Organisation(u) => u.to_string(),
                };
                vec![
                    r.expert_id.clone(),
                    counterpart_kind(r.counterpart_kind, zh),
                    counterpart,
                    relation_type(r.relation, zh),
                ]
            })
            .collect(),
        ImportKind::CertificateStatus => data
            .certificate_status
            .iter()
            .map(|s| {
                vec![
                    s.cert_no.clone(),
                    cert_status(s.status, zh),
                    s.effective_date.to_string(),
                    s.reason.clone(),
                ]
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn json_rows(data: &CountyData, kind: ImportKind) -> Vec<Json> {
    match kind {
        ImportKind::Occupations => data
            .occupations
            .iter()
            .map(|o| serde_json::to_value(o).unwrap_or(Json::Null))
            .collect(),
        ImportKind::Batches => data
            .batches
            .iter()
            .map(|b| {
                let candidates: Vec<Json> = b
                    .candidates
                    .iter()
                    .map(|c| {
                        let mut m = serde_json::Map::new();
                        m.insert("id_no".into(), c.person_id.normalised_number().into());
                        if let Some(u) = &c.employer_uscc {
                            m.insert("employer_uscc".into(), u.as_str().into());
                        }
                        if let Some(u) = &c.training_institution_uscc {
                            m.insert("training_institution_uscc".into(), u.as_str().into());
                        }
                        Json::Object(m)
                    })
                    .collect();
                let x = &b.batch;
                json!({
                    "batch_id": x.batch_id,
                    "institution_uscc": x.institution_uscc,
                    "filing_no": x.filing_no,
                    "occupation_code": x.occupation_code,
                    "work_type": x.work_type,
                    "level": x.level.digit(),
                    "exam_date": x.exam_date,
                    "candidates": candidates,
                    "rooms": x.rooms,
                    "supervisors": x.supervisors,
                    "offered_for_alliance": x.offered_for_alliance,
                })
            })
            .collect(),
        ImportKind::Competitions => data
            .competitions
            .iter()
            .map(|c| serde_json::to_value(c).unwrap_or(Json::Null))
            .collect(),
        ImportKind::Results => data
            .results
            .iter()
            .map(|r| {
                let x = &r.result;
                let mut m = serde_json::Map::new();
                m.insert("result_id".into(), x.result_id.clone().into());
                m.insert("competition_id".into(), x.competition_id.clone().into());
                m.insert("event_id".into(), x.event_id.clone().into());
                m.insert("id_no".into(), r.person_id.normalised_number().into());
                let who = match x.participant_type {
                    ParticipantType::Employee => "EMPLOYEE",
                    ParticipantType::Student => "STUDENT",
                    ParticipantType::Teacher => "TEACHER",
                };
                m.insert("participant_type".into(), who.into());
                m.insert("rank".into(), x.rank.into());
                m.insert("participants".into(), x.participants.into());
                if !x.award.is_empty() {
                    m.insert("award".into(), x.award.clone().into());
                }
                m.insert("referees".into(), x.referees.clone().into());
                Json::Object(m)
            })
            .collect(),
        ImportKind::Urgent => data
            .urgent
            .iter()
            .map(|u| {
                json!({
                    "year": u.year,
                    "county": u.county.as_ref().map_or("ALLIANCE", |c| c.as_str()),
                    "occupations": u.occupations,
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}
