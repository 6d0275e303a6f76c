//! Record bodies: the replicated domain records and their protobuf body bytes.
//!
//! Conversions between `bashu-proto` messages and domain types are written here by hand.
//! Decoding is lenient about *content* (a validly signed record that breaks a rule is kept
//! and judged by the rules) and strict about *form* (bytes that are not the message).

use prost::Message;

use bashu_proto::v1 as pb;

use crate::date::Date;
use crate::id::{CertNo, Level};
use crate::person::PseudonymKey;
use crate::record::{CertSource, CertStatus, CertType, CertificateInput};

/// A body that does not decode as its kind.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("record body does not decode: {0}")]
pub struct BodyError(pub String);

/// A certificate as replicated: no full ID number, the person key and the mask instead.
/// Text fields are kept as signed; typed views parse them on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub cert_no: String,
    pub cert_type: Option<CertType>,
    pub person_key: Vec<u8>,
    pub id_type: String,
    pub id_masked: String,
    pub name: String,
    pub occupation_code: String,
    pub occupation_name: String,
    pub work_type: String,
    /// `None` when the signed value is not a level.
    pub level: Option<Level>,
    pub issue_date: String,
    pub institution_name_printed: String,
    pub institution_uscc: String,
    pub filing_no: String,
    pub batch_id: String,
    pub competition_result_id: String,
    pub source: Option<CertSource>,
    pub status: Option<CertStatus>,
    pub status_reason: String,
    pub status_effective_date: String,
}

impl Certificate {
    /// The replicated form of a home county's certificate.
    pub fn from_input(input: &CertificateInput, pseudonym: &PseudonymKey) -> Certificate {
        Certificate {
            cert_no: input.cert_no.as_str().to_owned(),
            cert_type: Some(input.cert_type),
            person_key: pseudonym.person_key(&input.person_id).to_vec(),
            id_type: input.person_id.id_type_label().to_owned(),
            id_masked: input.person_id.masked(),
            name: input.name.clone(),
            occupation_code: input.occupation_code.as_str().to_owned(),
            occupation_name: input.occupation_name.clone(),
            work_type: input.work_type.clone(),
            level: Some(input.level),
            issue_date: input.issue_date.to_string(),
            institution_name_printed: input.institution_name.clone(),
            institution_uscc: input.institution_uscc.as_str().to_owned(),
            filing_no: input.filing_no.clone(),
            batch_id: input.batch_id.clone().unwrap_or_default(),
            competition_result_id: String::new(),
            source: Some(match input.cert_no.kind() {
                crate::id::CertNoKind::Legacy => CertSource::Legacy,
                _ => CertSource::Assessment,
            }),
            status: Some(input.status),
            status_reason: String::new(),
            status_effective_date: String::new(),
        }
    }

    pub fn cert_no(&self) -> Option<CertNo> {
        CertNo::parse(&self.cert_no).ok()
    }

    pub fn issue_date(&self) -> Option<Date> {
        Date::parse(&self.issue_date).ok()
    }

    pub fn encode(&self) -> Vec<u8> {
        pb::Certificate {
            cert_no: self.cert_no.clone(),
            cert_type: self.cert_type.map_or(0, cert_type_code),
            person_key: self.person_key.clone(),
            id_type: self.id_type.clone(),
            id_masked: self.id_masked.clone(),
            name: self.name.clone(),
            occupation_code: self.occupation_code.clone(),
            occupation_name: self.occupation_name.clone(),
            work_type: self.work_type.clone(),
            level: self.level.map_or(u32::MAX, |l| l.digit()),
            issue_date: self.issue_date.clone(),
            institution_name_printed: self.institution_name_printed.clone(),
            institution_uscc: self.institution_uscc.clone(),
            filing_no: self.filing_no.clone(),
            batch_id: self.batch_id.clone(),
            competition_result_id: self.competition_result_id.clone(),
            source: self.source.map_or(0, cert_source_code),
            status: self.status.map_or(0, cert_status_code),
            status_reason: self.status_reason.clone(),
            status_effective_date: self.status_effective_date.clone(),
        }
        .encode_to_vec()
    }

    pub fn decode(body: &[u8]) -> Result<Certificate, BodyError> {
        let m = pb::Certificate::decode(body).map_err(|e| BodyError(e.to_string()))?;
        Ok(Certificate {
            cert_no: m.cert_no,
            cert_type: cert_type_from(m.cert_type),
            person_key: m.person_key,
            id_type: m.id_type,
            id_masked: m.id_masked,
            name: m.name,
            occupation_code: m.occupation_code,
            occupation_name: m.occupation_name,
            work_type: m.work_type,
            level: Level::from_digit(m.level),
            issue_date: m.issue_date,
            institution_name_printed: m.institution_name_printed,
            institution_uscc: m.institution_uscc,
            filing_no: m.filing_no,
            batch_id: m.batch_id,
            competition_result_id: m.competition_result_id,
            source: cert_source_from(m.source),
            status: cert_status_from(m.status),
            status_reason: m.status_reason,
            status_effective_date: m.status_effective_date,
        })
    }

    /// The certificate as a wire message (for query answers).
    pub fn to_proto(&self) -> pb::Certificate {
        // Encoding then decoding keeps one hand-written mapping; bodies are small.
        pb::Certificate::decode(self.encode().as_slice()).unwrap_or_default()
    }
}

fn cert_type_code(t: CertType) -> i32 {
    match t {
        CertType::SkillLevel => 1,
        CertType::Qualification => 2,
        CertType::SpecialAbility => 3,
        CertType::TopTechnician => 4,
    }
}

fn cert_type_from(c: i32) -> Option<CertType> {
    [
        CertType::SkillLevel,
        CertType::Qualification,
        CertType::SpecialAbility,
        CertType::TopTechnician,
    ]
    .into_iter()
    .find(|t| cert_type_code(*t) == c)
}

fn cert_source_code(s: CertSource) -> i32 {
    match s {
        CertSource::Assessment => 1,
        CertSource::Competition => 2,
        CertSource::Legacy => 3,
        CertSource::Imported => 4,
    }
}

fn cert_source_from(c: i32) -> Option<CertSource> {
    [
        CertSource::Assessment,
        CertSource::Competition,
        CertSource::Legacy,
        CertSource::Imported,
    ]
    .into_iter()
    .find(|s| cert_source_code(*s) == c)
}

pub fn cert_status_code(s: CertStatus) -> i32 {
    match s {
        CertStatus::Valid => 1,
        CertStatus::Revoked => 2,
        CertStatus::Cancelled => 3,
        CertStatus::Reissued => 4,
    }
}

pub fn cert_status_from(c: i32) -> Option<CertStatus> {
    [
        CertStatus::Valid,
        CertStatus::Revoked,
        CertStatus::Cancelled,
        CertStatus::Reissued,
    ]
    .into_iter()
    .find(|s| cert_status_code(*s) == c)
}

pub fn cert_type_to_code(t: CertType) -> i32 {
    cert_type_code(t)
}

pub fn cert_type_from_code(c: i32) -> Option<CertType> {
    cert_type_from(c)
}

use crate::entry::EntryKind;
use crate::record::Record;

impl Record {
    /// The entry kind this record is written under.
    pub fn kind(&self) -> EntryKind {
        match self {
            Record::Certificate(_) => EntryKind::Certificate,
            Record::CertificateStatus(_) => EntryKind::CertificateStatus,
            Record::Institution(_) => EntryKind::Institution,
            Record::Filing(_) => EntryKind::Filing,
            Record::FilingStatus(_) => EntryKind::FilingStatus,
            Record::Expert(_) => EntryKind::Expert,
            Record::Relation(_) => EntryKind::Relation,
            Record::AssessmentBatch(_) => EntryKind::AssessmentBatch,
            Record::Competition(_) => EntryKind::Competition,
            Record::CompetitionResult(_) => EntryKind::CompetitionResult,
            Record::Occupation(_) => EntryKind::Occupation,
            Record::UrgentList(_) => EntryKind::UrgentList,
        }
    }

    /// The stable id of the record within its author's namespace.
    pub fn record_id(&self) -> String {
        match self {
            Record::Certificate(c) => c.cert_no.clone(),
            Record::CertificateStatus(s) => s.record_id(),
            Record::Institution(i) => i.uscc.as_str().to_owned(),
            Record::Filing(f) => f.filing_no.clone(),
            Record::FilingStatus(s) => s.record_id(),
            Record::Expert(e) => e.expert_id.clone(),
            Record::Relation(r) => r.record_id(),
            Record::AssessmentBatch(b) => b.batch_id.clone(),
            Record::Competition(c) => c.competition_id.clone(),
            Record::CompetitionResult(r) => r.result_id.clone(),
            Record::Occupation(o) => o.code.as_str().to_owned(),
            Record::UrgentList(u) => u.record_id(),
        }
    }

    /// The body bytes: protobuf for certificates, canonical JSON (compact, fields in
    /// declaration order) for the other kinds.
    pub fn encode(&self) -> Vec<u8> {
        fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
            // Serialising these plain structs cannot fail.
            serde_json::to_vec(v).unwrap_or_default()
        }
        match self {
            Record::Certificate(c) => c.encode(),
            Record::CertificateStatus(r) => json(r),
            Record::Institution(r) => json(r),
            Record::Filing(r) => json(r),
            Record::FilingStatus(r) => json(r),
            Record::Expert(r) => json(r),
            Record::Relation(r) => json(r),
            Record::AssessmentBatch(r) => json(r),
            Record::Competition(r) => json(r),
            Record::CompetitionResult(r) => json(r),
            Record::Occupation(r) => json(r),
            Record::UrgentList(r) => json(r),
        }
    }

    /// Decodes the body of an entry of `kind`. Governance kinds are not records.
    pub fn decode(kind: EntryKind, body: &[u8]) -> Result<Record, BodyError> {
        fn json<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, BodyError> {
            serde_json::from_slice(b).map_err(|e| BodyError(e.to_string()))
        }
        Ok(match kind {
            EntryKind::Certificate => Record::Certificate(Certificate::decode(body)?),
            EntryKind::CertificateStatus => Record::CertificateStatus(json(body)?),
            EntryKind::Institution => Record::Institution(json(body)?),
            EntryKind::Filing => Record::Filing(json(body)?),
            EntryKind::FilingStatus => Record::FilingStatus(json(body)?),
            EntryKind::Expert => Record::Expert(json(body)?),
            EntryKind::Relation => Record::Relation(json(body)?),
            EntryKind::AssessmentBatch => Record::AssessmentBatch(json(body)?),
            EntryKind::Competition => Record::Competition(json(body)?),
            EntryKind::CompetitionResult => Record::CompetitionResult(json(body)?),
            EntryKind::Occupation => Record::Occupation(json(body)?),
            EntryKind::UrgentList => Record::UrgentList(json(body)?),
            EntryKind::DecisionProposal | EntryKind::DecisionApproval => {
                return Err(BodyError(format!("{kind:?} is governance, not a record")));
            }
        })
    }
}
