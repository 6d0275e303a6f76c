//! Record kinds and their domain types (SPEC §2).

use crate::date::Date;
use crate::id::{CertNo, Level, OccupationCode, Uscc};

/// 证书类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
