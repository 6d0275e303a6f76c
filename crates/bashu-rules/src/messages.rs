//! Building findings and the words a county official reads in them.
//!
//! Every message starts with the rule and the severity (`R3 失败：…` / `R3 failed: …`).
//! Messages never contain an ID number; people other than experts are named by their
//! candidate number and a short prefix of their person key.

use std::collections::BTreeMap;

use bashu_core::Level;
use bashu_core::record::{
    CertStatus, CertType, CompetitionClass, ExpertStatus, FilingStatus, FilingType,
    InstitutionKind, ParticipantType, RelationType, TitleLevel,
};

use crate::verdict::{Finding, RuleId, Severity};

impl Severity {
    pub fn label_zh(self) -> &'static str {
        match self {
            Severity::Fail => "失败",
            Severity::Review => "待复核",
            Severity::Info => "信息",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Severity::Fail => "failed",
            Severity::Review => "needs review",
            Severity::Info => "info",
        }
    }
}

impl Finding {
    /// A finding whose messages get the `R3 失败：` / `R3 failed: ` prefix.
    pub fn new(
        rule: RuleId,
        severity: Severity,
        body_zh: impl AsRef<str>,
        body_en: impl AsRef<str>,
    ) -> Finding {
        Finding {
            rule,
            severity,
            message_zh: format!("{rule} {}：{}", severity.label_zh(), body_zh.as_ref()),
            message_en: format!("{rule} {}: {}", severity.label_en(), body_en.as_ref()),
            facts: BTreeMap::new(),
        }
    }

    pub fn fail(rule: RuleId, zh: impl AsRef<str>, en: impl AsRef<str>) -> Finding {
        Finding::new(rule, Severity::Fail, zh, en)
    }

    pub fn review(rule: RuleId, zh: impl AsRef<str>, en: impl AsRef<str>) -> Finding {
        Finding::new(rule, Severity::Review, zh, en)
    }

    pub fn info(rule: RuleId, zh: impl AsRef<str>, en: impl AsRef<str>) -> Finding {
        Finding::new(rule, Severity::Info, zh, en)
    }

    /// Adds a fact the rule used.
    pub fn fact(mut self, name: &str, value: impl ToString) -> Finding {
        self.facts.insert(name.to_owned(), value.to_string());
        self
    }
}

/// `三级/高级工`.
pub(crate) fn level_zh(l: Level) -> &'static str {
    l.label_zh()
}

/// `level 3`, or `top technician` for 特级技师.
pub(crate) fn level_en(l: Level) -> String {
    match l {
        Level::Top => "top technician (特级技师)".to_owned(),
        l => format!("level {}", l.digit()),
    }
}

pub(crate) fn filing_status_zh(s: FilingStatus) -> &'static str {
    match s {
        FilingStatus::Active => "有效",
        FilingStatus::Suspended => "暂停",
        FilingStatus::Revoked => "撤销",
        FilingStatus::Cancelled => "注销",
        FilingStatus::Expired => "到期",
    }
}

pub(crate) fn filing_status_en(s: FilingStatus) -> &'static str {
    match s {
        FilingStatus::Active => "active",
        FilingStatus::Suspended => "suspended",
        FilingStatus::Revoked => "revoked",
        FilingStatus::Cancelled => "cancelled",
        FilingStatus::Expired => "expired",
    }
}

pub(crate) fn filing_type_zh(t: FilingType) -> &'static str {
    match t {
        FilingType::SkillLevel => "等级认定备案",
        FilingType::SpecialAbility => "专项能力考核备案",
        FilingType::TrainingPermit => "培训办学许可",
    }
}

pub(crate) fn filing_type_en(t: FilingType) -> &'static str {
    match t {
        FilingType::SkillLevel => "a skill-level filing",
        FilingType::SpecialAbility => "a special-ability filing",
        FilingType::TrainingPermit => "a training permit",
    }
}

pub(crate) fn cert_type_en(t: CertType) -> &'static str {
    match t {
        CertType::SkillLevel => "skill-level certificates",
        CertType::Qualification => "qualification certificates",
        CertType::SpecialAbility => "special-ability certificates",
        CertType::TopTechnician => "top-technician certificates",
    }
}

pub(crate) fn cert_status_en(s: CertStatus) -> &'static str {
    match s {
        CertStatus::Valid => "valid",
        CertStatus::Revoked => "revoked",
        CertStatus::Cancelled => "cancelled",
        CertStatus::Reissued => "reissued",
    }
}

pub(crate) fn institution_kind_zh(k: InstitutionKind) -> &'static str {
    match k {
        InstitutionKind::Y => "用人单位",
        InstitutionKind::S => "社会培训评价组织",
        InstitutionKind::Special => "专项职业能力考核机构",
        InstitutionKind::Training => "职业培训机构",
    }
}

pub(crate) fn institution_kind_en(k: InstitutionKind) -> &'static str {
    match k {
        InstitutionKind::Y => "an employer",
        InstitutionKind::S => "a training and evaluation organisation",
        InstitutionKind::Special => "a special-ability assessment body",
        InstitutionKind::Training => "a training institution",
    }
}

pub(crate) fn title_zh(t: TitleLevel) -> &'static str {
    match t {
        TitleLevel::None => "无职称",
        TitleLevel::Junior => "初级",
        TitleLevel::Intermediate => "中级",
        TitleLevel::SubSenior => "副高",
        TitleLevel::Senior => "正高",
    }
}

pub(crate) fn title_en(t: TitleLevel) -> &'static str {
    match t {
        TitleLevel::None => "no title",
        TitleLevel::Junior => "junior",
        TitleLevel::Intermediate => "intermediate",
        TitleLevel::SubSenior => "sub-senior",
        TitleLevel::Senior => "senior",
    }
}

pub(crate) fn relation_zh(r: RelationType) -> &'static str {
    match r {
        RelationType::Kin => "近亲属",
        RelationType::Teacher => "师生",
        RelationType::MasterApprentice => "师徒",
        RelationType::Colleague => "同事",
        RelationType::Trainer => "培训关系",
        RelationType::Other => "其他关系",
    }
}

pub(crate) fn relation_en(r: RelationType) -> &'static str {
    match r {
        RelationType::Kin => "close relative",
        RelationType::Teacher => "teacher-student",
        RelationType::MasterApprentice => "master-apprentice",
        RelationType::Colleague => "colleague",
        RelationType::Trainer => "trainer",
        RelationType::Other => "other",
    }
}

pub(crate) fn expert_status_zh(s: ExpertStatus) -> &'static str {
    match s {
        ExpertStatus::Active => "在库",
        ExpertStatus::Suspended => "暂停",
        ExpertStatus::Removed => "除名",
    }
}

pub(crate) fn expert_status_en(s: ExpertStatus) -> &'static str {
    match s {
        ExpertStatus::Active => "active",
        ExpertStatus::Suspended => "suspended",
        ExpertStatus::Removed => "removed",
    }
}

pub(crate) fn class_zh(c: CompetitionClass) -> &'static str {
    match c {
        CompetitionClass::World => "世界技能大赛",
        CompetitionClass::NationalI => "国家一类竞赛",
        CompetitionClass::NationalII => "国家二类竞赛",
        CompetitionClass::ProvincialI => "省级一类竞赛",
        CompetitionClass::ProvincialII => "省级二类竞赛",
        CompetitionClass::City => "市级竞赛",
        CompetitionClass::County => "区县级竞赛",
        CompetitionClass::Enterprise => "企业/院校竞赛",
        CompetitionClass::Alliance => "联盟竞赛",
    }
}

pub(crate) fn class_en(c: CompetitionClass) -> &'static str {
    match c {
        CompetitionClass::World => "WorldSkills",
        CompetitionClass::NationalI => "national class I",
        CompetitionClass::NationalII => "national class II",
        CompetitionClass::ProvincialI => "provincial class I",
        CompetitionClass::ProvincialII => "provincial class II",
        CompetitionClass::City => "city",
        CompetitionClass::County => "county",
        CompetitionClass::Enterprise => "enterprise/college",
        CompetitionClass::Alliance => "alliance",
    }
}

pub(crate) fn participant_zh(p: ParticipantType) -> &'static str {
    match p {
        ParticipantType::Employee => "职工",
        ParticipantType::Student => "学生",
        ParticipantType::Teacher => "教师",
    }
}

pub(crate) fn participant_en(p: ParticipantType) -> &'static str {
    match p {
        ParticipantType::Employee => "employee",
        ParticipantType::Student => "student",
        ParticipantType::Teacher => "teacher",
    }
}

/// `#1、#3` / `#1, #3` for candidate numbers (1-based).
pub(crate) fn numbers_zh(ns: &[usize]) -> String {
    ns.iter()
        .map(|n| format!("#{n}"))
        .collect::<Vec<_>>()
        .join("、")
}

pub(crate) fn numbers_en(ns: &[usize]) -> String {
    ns.iter()
        .map(|n| format!("#{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first 8 hex digits of a person key: enough for an official to tell candidates
/// apart, useless for re-identification.
pub(crate) fn key_short(person_key_hex: &str) -> String {
    person_key_hex
        .chars()
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// `#2（a1b2c3d4）` / `#2 (a1b2c3d4)`.
pub(crate) fn candidate_zh(n: usize, person_key_hex: &str) -> String {
    format!("考生 #{n}（{}）", key_short(person_key_hex))
}

pub(crate) fn candidate_en(n: usize, person_key_hex: &str) -> String {
    format!("candidate #{n} ({})", key_short(person_key_hex))
}

/// `E001（王伟）` / `E001 (王伟)`; just the id when the name is unknown.
pub(crate) fn expert_zh(id: &str, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("专家 {id}（{n}）"),
        None => format!("专家 {id}"),
    }
}

pub(crate) fn expert_en(id: &str, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("expert {id} ({n})"),
        None => format!("expert {id}"),
    }
}
