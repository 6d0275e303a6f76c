//! Record kinds and their domain types (SPEC §2).

use crate::date::Date;
use crate::id::{CertNo, Level, OccupationCode, Uscc};

/// 证书类型.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertType {
    /// 职业技能等级证书
    SkillLevel,
    /// 职业资格证书
    Qualification,
    /// 专项职业能力证书
    SpecialAbility,
    /// 特级技师证书
    TopTechnician,
}

/// 证书状态.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertStatus {
    /// 有效
    Valid,
    /// 撤销
    Revoked,
    /// 注销
    Cancelled,
    /// 补发
    Reissued,
}

/// How a certificate came to be.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertSource {
    /// 认定
    Assessment,
    /// 竞赛晋升
    Competition,
    /// 旧版职业资格
    Legacy,
    /// 外部导入
    Imported,
}

/// A certificate as the home county's HR system exports it (SPEC §4 certificates.csv),
/// validated. It still holds the full ID number: it never leaves the home node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInput {
    pub cert_no: CertNo,
    pub cert_type: CertType,
    pub name: String,
    pub person_id: crate::id::PersonId,
    pub occupation_code: OccupationCode,
    pub occupation_name: String,
    /// 工种/职业方向; the literal `--` when none, never empty.
    pub work_type: String,
    pub level: Level,
    pub issue_date: Date,
    pub institution_uscc: Uscc,
    pub institution_name: String,
    pub filing_no: String,
    pub batch_id: Option<String>,
    pub status: CertStatus,
}

impl CertType {
    pub const ALL: [CertType; 4] = [
        CertType::SkillLevel,
        CertType::Qualification,
        CertType::SpecialAbility,
        CertType::TopTechnician,
    ];

    /// Accepts the code (`SKILL_LEVEL`) or the Chinese label (`职业技能等级证书`).
    pub fn parse(s: &str) -> Option<CertType> {
        let s = s.trim();
        CertType::ALL
            .into_iter()
            .find(|t| s == t.as_code() || s == t.label_zh())
    }

    pub fn as_code(self) -> &'static str {
        match self {
            CertType::SkillLevel => "SKILL_LEVEL",
            CertType::Qualification => "QUALIFICATION",
            CertType::SpecialAbility => "SPECIAL_ABILITY",
            CertType::TopTechnician => "TOP_TECHNICIAN",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            CertType::SkillLevel => "职业技能等级证书",
            CertType::Qualification => "职业资格证书",
            CertType::SpecialAbility => "专项职业能力证书",
            CertType::TopTechnician => "特级技师证书",
        }
    }
}

impl CertStatus {
    pub const ALL: [CertStatus; 4] = [
        CertStatus::Valid,
        CertStatus::Revoked,
        CertStatus::Cancelled,
        CertStatus::Reissued,
    ];

    /// Accepts the code (`VALID`) or the Chinese label (`有效`).
    pub fn parse(s: &str) -> Option<CertStatus> {
        let s = s.trim();
        CertStatus::ALL
            .into_iter()
            .find(|t| s == t.as_code() || s == t.label_zh())
    }

    pub fn as_code(self) -> &'static str {
        match self {
            CertStatus::Valid => "VALID",
            CertStatus::Revoked => "REVOKED",
            CertStatus::Cancelled => "CANCELLED",
            CertStatus::Reissued => "REISSUED",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            CertStatus::Valid => "有效",
            CertStatus::Revoked => "撤销",
            CertStatus::Cancelled => "注销",
            CertStatus::Reissued => "补发",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cert_type_codes_and_labels() {
        for t in CertType::ALL {
            assert_eq!(CertType::parse(t.as_code()), Some(t));
            assert_eq!(CertType::parse(t.label_zh()), Some(t));
        }
        assert_eq!(
            CertType::parse("特级技师证书"),
            Some(CertType::TopTechnician)
        );
        assert_eq!(
            CertType::parse(" QUALIFICATION "),
            Some(CertType::Qualification)
        );
        assert_eq!(CertType::parse("skill_level"), None);
        assert_eq!(CertType::parse(""), None);
    }

    #[test]
    fn cert_status_codes_and_labels() {
        for t in CertStatus::ALL {
            assert_eq!(CertStatus::parse(t.as_code()), Some(t));
            assert_eq!(CertStatus::parse(t.label_zh()), Some(t));
        }
        assert_eq!(CertStatus::parse("注销"), Some(CertStatus::Cancelled));
        assert_eq!(CertStatus::parse("EXPIRED"), None);
    }
}

// ---------------------------------------------------------------------------------------
// Replicated records other than certificates (SPEC §2). Their bodies are canonical JSON of
// these types (see ARCHITECTURE.md); identifiers inside are checked types, so a body that
// decodes holds only well-formed identifiers. Person references are person keys (hex of
// the HMAC), never ID numbers.

use serde::{Deserialize, Serialize};

use crate::id::CountyCode;

/// Hex of a 32-byte person key.
pub type PersonKeyHex = String;

/// 机构类别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstitutionKind {
    /// 用人单位 (certificate numbers start with Y)
    Y,
    /// 社会培训评价组织 (certificate numbers start with S)
    S,
    /// 专项职业能力考核机构
    Special,
    /// 职业培训机构
    Training,
}

/// 机构: a training or evaluation institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Institution {
    pub uscc: Uscc,
    /// The exact name printed on its certificates.
    pub name: String,
    pub kind: InstitutionKind,
    /// 4-digit code of a MOHRSS filing, or `0000` when filed with a province.
    pub mohrss_code: String,
    pub province_code2: String,
    /// 6-digit site serial (站点序列码).
    pub site_serial: String,
    pub division_code: CountyCode,
    #[serde(default)]
    pub address: String,
}

/// 备案类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FilingType {
    /// 等级认定备案
    SkillLevel,
    /// 专项能力考核备案
    SpecialAbility,
    /// 培训办学许可
    TrainingPermit,
}

/// 备案层级: the level of the authority a filing was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorityLevel {
    /// 部
    Ministry,
    /// 省
    Province,
    /// 市
    City,
    /// 县
    County,
}

/// One item of a filing's scope: an occupation, a work type (`*` = any) and levels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeItem {
    pub occupation_code: OccupationCode,
    /// 工种/职业方向, `--` for none, `*` for any.
    pub work_type: String,
    pub levels: Vec<Level>,
}

impl ScopeItem {
    /// Whether this item covers (occupation, work type, level).
    pub fn covers(&self, occupation: &str, work_type: &str, level: Level) -> bool {
        self.occupation_code.as_str() == occupation
            && (self.work_type == "*" || self.work_type == work_type)
            && self.levels.contains(&level)
    }
}

/// 备案状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FilingStatus {
    /// 有效
    Active,
    /// 暂停
    Suspended,
    /// 撤销
    Revoked,
    /// 注销
    Cancelled,
    /// 到期
    Expired,
}

/// 异地报备: the filing registered for activity in another county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossRegistration {
    pub county: CountyCode,
    pub date: Date,
    pub scope: Vec<ScopeItem>,
}

/// 备案/许可: an institution's filing. Its status history is made of
/// [`FilingStatusChange`] entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    pub filing_no: String,
    pub institution_uscc: Uscc,
    pub filing_type: FilingType,
    pub authority_code: CountyCode,
    pub authority_level: AuthorityLevel,
    pub scope: Vec<ScopeItem>,
    pub effective_from: Date,
    #[serde(default)]
    pub effective_to: Option<Date>,
    #[serde(default)]
    pub cross_registrations: Vec<CrossRegistration>,
}

/// A status change of a filing, effective on a date. A revocation reaches back to
/// certificates issued before it only when it names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingStatusChange {
    pub filing_no: String,
    pub status: FilingStatus,
    pub effective_at: Date,
    #[serde(default)]
    pub reason: String,
    /// Certificates this change explicitly affects (retroactively).
    #[serde(default)]
    pub affected_certificates: Vec<String>,
}

impl FilingStatusChange {
    /// Stable record id: one entry per (filing, date, status).
    pub fn record_id(&self) -> String {
        format!("{}@{}/{:?}", self.filing_no, self.effective_at, self.status)
    }
}

/// A status change of a certificate (revoke, cancel, reinstate, reissue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateStatusChange {
    pub cert_no: String,
    pub status: CertStatus,
    pub effective_date: Date,
    #[serde(default)]
    pub reason: String,
}

impl CertificateStatusChange {
    pub fn record_id(&self) -> String {
        format!("{}@{}/{:?}", self.cert_no, self.effective_date, self.status)
    }
}

/// 专家角色.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExpertRole {
    /// 考评员
    Assessor,
    /// 高级考评员
    SeniorAssessor,
    /// 内督
    InternalSupervisor,
    /// 外督
    ExternalSupervisor,
    /// 裁判
    Referee,
    /// 命题专家
    ItemWriter,
    /// 技能大师
    Master,
}

/// 职称.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TitleLevel {
    None,
    /// 初级
    Junior,
    /// 中级
    Intermediate,
    /// 副高
    SubSenior,
    /// 正高
    Senior,
}

/// Whom an expert is shared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SharedScope {
    /// Every member county.
    Alliance,
    /// These counties only.
    Counties(Vec<CountyCode>),
}

impl SharedScope {
    pub fn includes(&self, county: &CountyCode) -> bool {
        match self {
            SharedScope::Alliance => true,
            SharedScope::Counties(c) => c.contains(county),
        }
    }
}

/// 专家状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExpertStatus {
    Active,
    Suspended,
    Removed,
}

/// 专家: a member of the shared expert pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expert {
    pub expert_id: String,
    pub person_key: PersonKeyHex,
    pub name: String,
    pub home_county: CountyCode,
    #[serde(default)]
    pub employer_uscc: Option<Uscc>,
    pub roles: Vec<ExpertRole>,
    #[serde(default)]
    pub card_no: String,
    #[serde(default)]
    pub card_valid_to: Option<Date>,
    pub occupation_scope: Vec<OccupationCode>,
    #[serde(default)]
    pub own_level: Option<Level>,
    pub title_level: TitleLevel,
    #[serde(default)]
    pub assessing_since: Option<Date>,
    pub shared_scope: SharedScope,
    pub status: ExpertStatus,
}

/// What a conflict-of-interest relation points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CounterpartKind {
    /// A person (counterpart = person key hex).
    Person,
    /// An employer (counterpart = USCC).
    Employer,
    /// A training institution (counterpart = USCC).
    TrainingOrg,
}

/// 回避关系类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RelationType {
    /// 近亲属
    Kin,
    /// 师生
    Teacher,
    /// 师徒
    MasterApprentice,
    /// 同事
    Colleague,
    /// 培训关系
    Trainer,
    Other,
}

/// 回避关系: an expert's declared relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    pub expert_id: String,
    pub counterpart_kind: CounterpartKind,
    /// Person key hex for a person, USCC otherwise.
    pub counterpart: String,
    pub relation: RelationType,
}

impl Relation {
    pub fn record_id(&self) -> String {
        let c: String = self.counterpart.chars().take(16).collect();
        format!(
            "{}/{:?}/{}/{:?}",
            self.expert_id, self.counterpart_kind, c, self.relation
        )
    }
}

/// A candidate of an assessment batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub person_key: PersonKeyHex,
    #[serde(default)]
    pub employer_uscc: Option<Uscc>,
    #[serde(default)]
    pub training_institution_uscc: Option<Uscc>,
}

/// 考场类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoomKind {
    /// 理论
    Theory,
    /// 技能
    Practical,
    /// 综合评审
    Review,
}

/// 考场角色.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PanelRole {
    /// 监考
    Proctor,
    /// 考评员
    Assessor,
    /// 考评组长
    LeadAssessor,
    /// 评审委员
    Reviewer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelMember {
    pub expert_id: String,
    pub role: PanelRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    pub kind: RoomKind,
    pub candidate_count: u32,
    pub members: Vec<PanelMember>,
}

/// 督导类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SupervisorKind {
    Internal,
    External,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supervisor {
    pub expert_id: String,
    pub kind: SupervisorKind,
    pub appointed_by: CountyCode,
}

/// 认定批次: one assessment sitting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentBatch {
    pub batch_id: String,
    pub institution_uscc: Uscc,
    pub filing_no: String,
    pub occupation_code: OccupationCode,
    pub work_type: String,
    pub level: Level,
    pub exam_date: Date,
    pub candidates: Vec<Candidate>,
    pub rooms: Vec<Room>,
    #[serde(default)]
    pub supervisors: Vec<Supervisor>,
    /// Whether its certificates are offered for alliance recognition (R11).
    #[serde(default = "yes")]
    pub offered_for_alliance: bool,
}

fn yes() -> bool {
    true
}

/// 竞赛级别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompetitionClass {
    World,
    NationalI,
    #[serde(rename = "NATIONAL_II")]
    NationalII,
    ProvincialI,
    #[serde(rename = "PROVINCIAL_II")]
    ProvincialII,
    City,
    County,
    Enterprise,
    Alliance,
}

/// 赛项.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompetitionEvent {
    pub event_id: String,
    pub occupation_code: OccupationCode,
    #[serde(default = "no_work_type")]
    pub work_type: String,
    pub standard_level: Level,
}

fn no_work_type() -> String {
    "--".into()
}

/// 竞赛.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Competition {
    pub competition_id: String,
    pub name: String,
    pub class: CompetitionClass,
    pub year: i32,
    pub events: Vec<CompetitionEvent>,
    pub co_defined_by: Vec<CountyCode>,
    pub recognised_by: Vec<CountyCode>,
    /// Promotion table id in the rule parameters (`default` when empty).
    #[serde(default)]
    pub promotion_table: String,
}

/// 参赛身份.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ParticipantType {
    /// 职工
    Employee,
    /// 学生
    Student,
    /// 教师
    Teacher,
}

/// 竞赛成绩.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompetitionResult {
    pub result_id: String,
    pub competition_id: String,
    pub event_id: String,
    pub person_key: PersonKeyHex,
    pub participant_type: ParticipantType,
    pub rank: u32,
    /// Number of ranked participants in the event.
    pub participants: u32,
    #[serde(default)]
    pub award: String,
    #[serde(default)]
    pub referees: Vec<String>,
}

/// 职业（工种）: an entry of the occupation catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occupation {
    pub code: OccupationCode,
    pub name: String,
    pub levels: Vec<Level>,
    /// 准入类: a licensing qualification, excluded from recognition by default.
    #[serde(default)]
    pub access_controlled: bool,
}

/// 急需紧缺工种目录: the yearly urgent-occupation list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrgentList {
    pub year: i32,
    /// `None` = the whole alliance.
    #[serde(default)]
    pub county: Option<CountyCode>,
    pub occupations: Vec<OccupationCode>,
}

impl UrgentList {
    pub fn record_id(&self) -> String {
        match &self.county {
            Some(c) => format!("{}/{c}", self.year),
            None => format!("{}/ALLIANCE", self.year),
        }
    }
}

/// Any replicated record, decoded from an entry's body by its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Certificate(crate::codec::Certificate),
    CertificateStatus(CertificateStatusChange),
    Institution(Institution),
    Filing(Filing),
    FilingStatus(FilingStatusChange),
    Expert(Expert),
    Relation(Relation),
    AssessmentBatch(AssessmentBatch),
    Competition(Competition),
    CompetitionResult(CompetitionResult),
    Occupation(Occupation),
    UrgentList(UrgentList),
}
