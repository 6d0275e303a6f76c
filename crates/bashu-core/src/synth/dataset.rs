//! What `bashu gen` produces: one county's HR export as typed rows, the deliberate
//! violations in it, and the manifest that says what every check must answer.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::date::Date;
use crate::id::{CountyCode, IdError};
use crate::import::{BatchInput, ExpertInput, ImportKind, RelationInput, ResultInput};
use crate::record::{
    CertificateInput, CertificateStatusChange, Competition, Filing, FilingStatusChange,
    Institution, Occupation, UrgentList,
};

/// Why a data set could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenError {
    /// The options ask for something the generator cannot do.
    #[error("{0}")]
    Options(String),
    /// A generated identifier failed its own checked constructor (a generator bug).
    #[error("generated identifier does not parse: {0}")]
    Identifier(#[from] IdError),
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenOptions {
    /// The counties, each with its name; at least two (external supervisors, R11, come from
    /// another county).
    pub counties: Vec<(CountyCode, String)>,
    /// Certificates per county, prerequisite and standalone ones included.
    pub certificates: usize,
    pub seed: u64,
    /// Share of records that break a rule on purpose, spread evenly over the violation
    /// variants of each record family (certificates, batches, competition results).
    pub violations: f64,
}

/// The fewest certificates per county: room for every violation variant.
pub const MIN_CERTIFICATES: usize = 200;

/// The most counties: person ID sequence codes are partitioned by county position.
pub const MAX_COUNTIES: usize = 10;

impl GenOptions {
    pub fn validate(&self) -> Result<(), GenError> {
        let err = |m: String| Err(GenError::Options(m));
        if self.counties.len() < 2 {
            return err(
                "at least two counties: the external supervisors of R11 come from another county"
                    .into(),
            );
        }
        if self.counties.len() > MAX_COUNTIES {
            return err(format!("at most {MAX_COUNTIES} counties"));
        }
        for (i, (c, _)) in self.counties.iter().enumerate() {
            if self.counties[..i].iter().any(|(o, _)| o == c) {
                return err(format!("county {c} is named twice"));
            }
        }
        if self.certificates < MIN_CERTIFICATES {
            return err(format!(
                "at least {MIN_CERTIFICATES} certificates per county (room for every kind of violation)"
            ));
        }
        if !(0.0..=0.5).contains(&self.violations) {
            return err(format!(
                "the violation fraction must be between 0 and 0.5, not {}",
                self.violations
            ));
        }
        Ok(())
    }
}

/// Which header names a county's CSV files use (HR systems differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HeaderLanguage {
    /// English column names and enumeration codes.
    En,
    /// Chinese column names and enumeration labels.
    Zh,
}

/// One county's export, as the rows its HR system pushes (full ID numbers included: these
/// are the home county's own files).
#[derive(Debug, Clone)]
pub struct CountyData {
    pub county: CountyCode,
    pub name: String,
    pub header_language: HeaderLanguage,
    pub occupations: Vec<Occupation>,
    pub institutions: Vec<Institution>,
    pub filings: Vec<Filing>,
    pub filing_status: Vec<FilingStatusChange>,
    pub experts: Vec<ExpertInput>,
    pub relations: Vec<RelationInput>,
    pub batches: Vec<BatchInput>,
    pub certificates: Vec<CertificateInput>,
    pub competitions: Vec<Competition>,
    pub results: Vec<ResultInput>,
    pub certificate_status: Vec<CertificateStatusChange>,
    pub urgent: Vec<UrgentList>,
    /// The deliberate violations and every verdict that is not the clean one.
    pub expectations: Expectations,
}

impl CountyData {
    /// Rows of one import kind.
    pub fn rows(&self, kind: ImportKind) -> usize {
        match kind {
            ImportKind::Certificates => self.certificates.len(),
            ImportKind::CertificateStatus => self.certificate_status.len(),
            ImportKind::Institutions => self.institutions.len(),
            ImportKind::Filings => self.filings.len(),
            ImportKind::FilingStatus => self.filing_status.len(),
            ImportKind::Experts => self.experts.len(),
            ImportKind::Relations => self.relations.len(),
            ImportKind::Batches => self.batches.len(),
            ImportKind::Competitions => self.competitions.len(),
            ImportKind::Results => self.results.len(),
            ImportKind::Occupations => self.occupations.len(),
            ImportKind::Urgent => self.urgent.len(),
        }
    }

    /// This county's part of `MANIFEST.json`.
    pub fn manifest(&self) -> CountyManifest {
        let e = &self.expectations;
        let files = super::export::FILES
            .iter()
            .map(|f| FileEntry {
                file: f.name,
                kind: f.kind.as_str(),
                rows: self.rows(f.kind),
            })
            .collect();
        let count = |list: &[Expected], clean: ExpectedOutcome, total: usize| {
            let mut m: BTreeMap<ExpectedOutcome, usize> = BTreeMap::new();
            for x in list {
                *m.entry(x.outcome).or_default() += 1;
            }
            let others: usize = m.values().sum();
            *m.entry(clean).or_default() += total.saturating_sub(others);
            m.retain(|_, n| *n > 0);
            m
        };
        let mut by_rule: BTreeMap<&'static str, usize> = BTreeMap::new();
        for v in &e.violations {
            *by_rule.entry(v.rule).or_default() += 1;
        }
        CountyManifest {
            county: self.county.clone(),
            name: self.name.clone(),
            header_language: self.header_language,
            files,
            totals: Totals {
                recognition: count(
                    &e.certificates,
                    ExpectedOutcome::Recognised,
                    self.certificates.len(),
                ),
                batch: count(&e.batches, ExpectedOutcome::Valid, self.batches.len()),
                promotion: count(&e.results, ExpectedOutcome::Valid, self.results.len()),
                violations_by_rule: by_rule,
            },
            violations: e.violations.clone(),
            certificates: e.certificates.clone(),
            batches: e.batches.clone(),
            results: e.results.clone(),
        }
    }
}

/// The check a verdict comes from (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    /// Certificate recognition in a member county.
    Recognition,
    /// Batch check.
    Batch,
    /// Promotion check of a competition result.
    Promotion,
}

/// Outcomes, spelt as `bashu-rules` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExpectedOutcome {
    Recognised,
    Pending,
    Rejected,
    Valid,
    Invalid,
}

impl ExpectedOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ExpectedOutcome::Recognised => "RECOGNISED",
            ExpectedOutcome::Pending => "PENDING",
            ExpectedOutcome::Rejected => "REJECTED",
            ExpectedOutcome::Valid => "VALID",
            ExpectedOutcome::Invalid => "INVALID",
        }
    }
}

/// A kind of deliberate violation (and `NoPromotion`, the ordinary outcome of a result
/// outside the promotion table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    LevelDigit,
    YearDigits,
    UnknownNumber,
    PrintedName,
    FilingSuspended,
    OutsideScope,
    RevocationNamesCertificate,
    Revoked,
    Cancelled,
    AccessControlled,
    PrerequisiteTooRecent,
    PrerequisiteMissing,
    PanelTooSmall,
    CardExpired,
    SameEmployer,
    DeclaredRelation,
    PanelNotRotated,
    NoExternalSupervisor,
    SecondPromotionSameYear,
    TitleNotEligible,
    NoPromotion,
}

impl Variant {
    /// The violations made on certificates (recognition check).
    pub const CERTIFICATE: [Variant; 10] = [
        Variant::LevelDigit,
        Variant::YearDigits,
        Variant::UnknownNumber,
        Variant::PrintedName,
        Variant::FilingSuspended,
        Variant::OutsideScope,
        Variant::RevocationNamesCertificate,
        Variant::Revoked,
        Variant::Cancelled,
        Variant::AccessControlled,
    ];

    /// The violations made on assessment batches (batch check).
    pub const BATCH: [Variant; 8] = [
        Variant::PrerequisiteTooRecent,
        Variant::PrerequisiteMissing,
        Variant::PanelTooSmall,
        Variant::CardExpired,
        Variant::SameEmployer,
        Variant::DeclaredRelation,
        Variant::PanelNotRotated,
        Variant::NoExternalSupervisor,
    ];

    /// The violations made on competition results (promotion check).
    pub const RESULT: [Variant; 2] = [Variant::SecondPromotionSameYear, Variant::TitleNotEligible];

    /// Every deliberate variant, in recipe order.
    pub fn deliberate() -> impl Iterator<Item = Variant> {
        Variant::CERTIFICATE
            .into_iter()
            .chain(Variant::BATCH)
            .chain(Variant::RESULT)
    }

    pub fn rule(self) -> &'static str {
        use Variant as V;
        match self {
            V::LevelDigit | V::YearDigits | V::UnknownNumber => "R1",
            V::PrintedName => "R2",
            V::FilingSuspended | V::OutsideScope | V::RevocationNamesCertificate => "R3",
            V::Revoked | V::Cancelled | V::AccessControlled => "R14",
            V::PrerequisiteTooRecent | V::PrerequisiteMissing => "R6",
            V::PanelTooSmall => "R7",
            V::CardExpired => "R8",
            V::SameEmployer | V::DeclaredRelation => "R9",
            V::PanelNotRotated => "R10",
            V::NoExternalSupervisor => "R11",
            V::SecondPromotionSameYear | V::NoPromotion => "R12",
            V::TitleNotEligible => "R13",
        }
    }

    pub fn check(self) -> Check {
        use Variant as V;
        match self {
            V::PrerequisiteTooRecent
            | V::PrerequisiteMissing
            | V::PanelTooSmall
            | V::CardExpired
            | V::SameEmployer
            | V::DeclaredRelation
            | V::PanelNotRotated
            | V::NoExternalSupervisor => Check::Batch,
            V::SecondPromotionSameYear | V::TitleNotEligible | V::NoPromotion => Check::Promotion,
            _ => Check::Recognition,
        }
    }

    /// `FAIL` or `REVIEW`: the severity of the rule's finding.
    pub fn severity(self) -> &'static str {
        match self {
            Variant::UnknownNumber | Variant::PrerequisiteMissing | Variant::PanelNotRotated => {
                "REVIEW"
            }
            _ => "FAIL",
        }
    }

    /// The outcome of the check on the record the violation is made on.
    pub fn outcome(self) -> ExpectedOutcome {
        match (self.check(), self.severity()) {
            (_, "REVIEW") => ExpectedOutcome::Pending,
            (Check::Recognition, _) => ExpectedOutcome::Rejected,
            _ => ExpectedOutcome::Invalid,
        }
    }

    /// Every rule with a FAIL or REVIEW finding in that verdict (R14 fails with R1–R4).
    pub fn rules(self) -> Vec<&'static str> {
        match self.rule() {
            r @ ("R1" | "R2" | "R3") if self.severity() == "FAIL" => vec![r, "R14"],
            r => vec![r],
        }
    }

    /// What a batch violation does to the recognition of the batch's certificates (R7–R11
    /// are part of recognition, R6 is not).
    pub fn certificate_effect(self) -> Option<ExpectedOutcome> {
        match self {
            Variant::PanelNotRotated => Some(ExpectedOutcome::Pending),
            Variant::PanelTooSmall
            | Variant::CardExpired
            | Variant::SameEmployer
            | Variant::DeclaredRelation
            | Variant::NoExternalSupervisor => Some(ExpectedOutcome::Rejected),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        use Variant as V;
        match self {
            V::LevelDigit => "level_digit",
            V::YearDigits => "year_digits",
            V::UnknownNumber => "unknown_number",
            V::PrintedName => "printed_name",
            V::FilingSuspended => "filing_suspended",
            V::OutsideScope => "outside_scope",
            V::RevocationNamesCertificate => "revocation_names_certificate",
            V::Revoked => "revoked",
            V::Cancelled => "cancelled",
            V::AccessControlled => "access_controlled",
            V::PrerequisiteTooRecent => "prerequisite_too_recent",
            V::PrerequisiteMissing => "prerequisite_missing",
            V::PanelTooSmall => "panel_too_small",
            V::CardExpired => "card_expired",
            V::SameEmployer => "same_employer",
            V::DeclaredRelation => "declared_relation",
            V::PanelNotRotated => "panel_not_rotated",
            V::NoExternalSupervisor => "no_external_supervisor",
            V::SecondPromotionSameYear => "second_promotion_same_year",
            V::TitleNotEligible => "title_not_eligible",
            V::NoPromotion => "no_promotion",
        }
    }

    /// How the violation is made, in English.
    pub fn describe_en(self) -> &'static str {
        use Variant as V;
        match self {
            V::LevelDigit => "level digit of the number differs from the level",
            V::YearDigits => "year digits of the number are the year before the issue year",
            V::UnknownNumber => "number truncated to 21 characters: no known pattern",
            V::PrintedName => "printed institution name is the former name",
            V::FilingSuspended => "issued while the institution's filing was suspended",
            V::OutsideScope => "level or occupation outside the filing's scope",
            V::RevocationNamesCertificate => {
                "a later filing revocation names the certificate (retroactive)"
            }
            V::Revoked => "certificate revoked",
            V::Cancelled => "certificate cancelled",
            V::AccessControlled => "电工 6-31-01-03, a 准入类 licensing occupation",
            V::PrerequisiteTooRecent => {
                "a candidate's lower-level certificate is less than the required years old"
            }
            V::PrerequisiteMissing => "a candidate has no lower-level certificate",
            V::PanelTooSmall => "practical room one assessor short (even number)",
            V::CardExpired => "an assessor's card expired before the exam",
            V::SameEmployer => "a candidate works for an assessor's employer (S batch)",
            V::DeclaredRelation => "the lead assessor declared a kin relation with a candidate",
            V::PanelNotRotated => "same panel as the institution's previous batch",
            V::NoExternalSupervisor => "high-level batch without an external supervisor",
            V::SecondPromotionSameYear => "second promoting result of one person in one year",
            V::TitleNotEligible => "技术能手 claimed by a result that is not eligible",
            V::NoPromotion => "rank outside the promotion table",
        }
    }

    /// How the violation is made, in Chinese.
    pub fn describe_zh(self) -> &'static str {
        use Variant as V;
        match self {
            V::LevelDigit => "证书编号等级位与等级不符",
            V::YearDigits => "证书编号年份位为发证前一年",
            V::UnknownNumber => "证书编号截短为 21 位，不符合任何编码规则",
            V::PrintedName => "证书印制的是机构曾用名",
            V::FilingSuspended => "备案暂停期间发证",
            V::OutsideScope => "等级或职业超出备案范围",
            V::RevocationNamesCertificate => "事后撤销备案的决定点名本证书",
            V::Revoked => "证书已撤销",
            V::Cancelled => "证书已注销",
            V::AccessControlled => "电工属准入类职业资格",
            V::PrerequisiteTooRecent => "考生低一级证书取得年限不足",
            V::PrerequisiteMissing => "考生没有低一级证书",
            V::PanelTooSmall => "技能考场考评员少一名（偶数）",
            V::CardExpired => "考评员证卡在考试前已过期",
            V::SameEmployer => "考生与考评员同一工作单位（社会评价组织批次）",
            V::DeclaredRelation => "考评组长申报与考生有近亲属关系",
            V::PanelNotRotated => "考评组与该机构上一批次相同",
            V::NoExternalSupervisor => "高级别批次没有外督",
            V::SecondPromotionSameYear => "同一人同一年第二次竞赛晋升",
            V::TitleNotEligible => "不符合条件却申报技术能手",
            V::NoPromotion => "名次不在晋升对照表内",
        }
    }
}

/// One deliberate violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub rule: &'static str,
    pub variant: Variant,
    pub check: Check,
    /// Certificate number, batch id or result id.
    pub subject: String,
    pub severity: &'static str,
    pub outcome: ExpectedOutcome,
    /// Certificates whose recognition this (batch) violation changes.
    pub certificates_affected: usize,
}

/// A verdict that is not the clean one (or, for results, every verdict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expected {
    pub subject: String,
    pub outcome: ExpectedOutcome,
    /// Every rule with a FAIL or REVIEW finding in the verdict; empty when clean.
    pub rules: Vec<&'static str>,
    /// What causes it; `None` for a clean result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<Variant>,
    /// The batch whose violation reaches this certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
    /// For results: the level the result promotes to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promoted_level: Option<u32>,
}

/// What the checks must answer for one county's records, on or after [`super::AS_OF`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    pub violations: Vec<Violation>,
    /// Certificates not RECOGNISED (in every member county).
    pub certificates: Vec<Expected>,
    /// Batches not VALID.
    pub batches: Vec<Expected>,
    /// Every competition result.
    pub results: Vec<Expected>,
}

/// One written file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    pub file: &'static str,
    pub kind: &'static str,
    pub rows: usize,
}

/// Expected outcome counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub recognition: BTreeMap<ExpectedOutcome, usize>,
    pub batch: BTreeMap<ExpectedOutcome, usize>,
    pub promotion: BTreeMap<ExpectedOutcome, usize>,
    pub violations_by_rule: BTreeMap<&'static str, usize>,
}

/// One county in `MANIFEST.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountyManifest {
    pub county: CountyCode,
    pub name: String,
    pub header_language: HeaderLanguage,
    pub files: Vec<FileEntry>,
    pub totals: Totals,
    pub violations: Vec<Violation>,
    pub certificates: Vec<Expected>,
    pub batches: Vec<Expected>,
    pub results: Vec<Expected>,
}

/// A line of the recipe: how one variant is made and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecipeItem {
    pub rule: &'static str,
    pub variant: Variant,
    pub check: Check,
    pub severity: &'static str,
    pub outcome: ExpectedOutcome,
    /// The outcome of the batch's certificates in recognition, for batch variants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificates: Option<ExpectedOutcome>,
    pub zh: &'static str,
    pub en: &'static str,
}

/// A rule the generator does not break, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotGenerated {
    pub rule: &'static str,
    pub why: &'static str,
}

/// `MANIFEST.json`: the options, the recipe and, per county, the files and every verdict
/// that is not the clean one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    pub generator: &'static str,
    pub seed: u64,
    pub certificates_per_county: usize,
    pub violation_fraction: f64,
    /// The expectations hold for checks evaluated on this date or later.
    pub as_of: Date,
    pub recipe: Vec<RecipeItem>,
    pub not_generated: Vec<NotGenerated>,
    pub counties: Vec<CountyManifest>,
}

/// The manifest of a generation, from the counties' parts.
pub fn manifest(options: &GenOptions, counties: Vec<CountyManifest>) -> Manifest {
    Manifest {
        generator: "bashu gen",
        seed: options.seed,
        certificates_per_county: options.certificates,
        violation_fraction: options.violations,
        as_of: super::generate::as_of(),
        recipe: Variant::deliberate()
            .map(|v| RecipeItem {
                rule: v.rule(),
                variant: v,
                check: v.check(),
                severity: v.severity(),
                outcome: v.outcome(),
                certificates: v.certificate_effect(),
                zh: v.describe_zh(),
                en: v.describe_en(),
            })
            .collect(),
        not_generated: NOT_GENERATED.to_vec(),
        counties,
    }
}

/// The rules no generated row breaks.
pub const NOT_GENERATED: [NotGenerated; 4] = [
    NotGenerated {
        rule: "R4",
        why: "the importer refuses a row with an empty required field, so a missing field cannot reach the replicated data",
    },
    NotGenerated {
        rule: "R5",
        why: "an INFO finding (the high-skill flag), never a violation",
    },
    NotGenerated {
        rule: "R15",
        why: "subsidy claims are home-only and have no import kind",
    },
    NotGenerated {
        rule: "R16",
        why: "the importer refuses a row with an ID number fragment in replicated text",
    },
];
