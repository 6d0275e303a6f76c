//! From a validated import row to the replicated records: the node's side of a submission.
//!
//! A submission carries one row as a JSON object with English field names (ID numbers
//! included). [`to_records`] validates it again with the same tables as the file readers
//! (the node never trusts the client), derives person keys with the alliance pseudonym key,
//! and returns the records to append. Full ID numbers never enter a record; the ID numbers
//! behind the county's own certificates come back separately, as home-only data.

use serde_json::Value as Json;

use super::certificates::{CERT_COLUMNS, build_certificate};
use super::engine::{self, Fields, Table};
use super::kinds::{
    self, BatchInput, Counterpart, ExpertInput, FilingInput, RelationInput, ResultInput,
};
use super::{FieldError, ImportKind};
use crate::codec::Certificate;
use crate::id::{CountyCode, PersonId};
use crate::person::PseudonymKey;
use crate::record::{
    Candidate, CertificateInput, CertificateStatusChange, Competition, FilingStatusChange,
    Institution, Occupation, Record, Relation, UrgentList,
};

/// One validated import row, of any kind, as the export gave it (ID numbers included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Certificate(CertificateInput),
    CertificateStatus(CertificateStatusChange),
    Institution(Institution),
    Filing(FilingInput),
    FilingStatus(FilingStatusChange),
    Expert(ExpertInput),
    Relation(RelationInput),
    Batch(BatchInput),
    Competition(Competition),
    Result(ResultInput),
    Occupation(Occupation),
    Urgent(UrgentList),
}

/// An accepted row of an import file: the validated input, and the row as the JSON object
/// a submission carries. Both hold full ID numbers; `Debug` shows neither the JSON nor
/// (through [`PersonId`]'s own `Debug`) any number.
#[derive(Clone, PartialEq, Eq)]
pub struct Parsed {
    pub input: Input,
    /// The row's known, non-empty fields as a JSON object with English names.
    pub json: String,
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parsed")
            .field("input", &self.input)
            .field("json", &format_args!("<{} bytes>", self.json.len()))
            .finish()
    }
}

/// The full identity document behind one of the county's own certificates: home-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeId {
    pub cert_no: String,
    pub person_id: PersonId,
}

/// What one row becomes: replicated records (one, or two for a filing row with a status),
/// and home-only identity data.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    pub records: Vec<Record>,
    pub home_ids: Vec<HomeId>,
}

impl Input {
    pub fn kind(&self) -> ImportKind {
        match self {
            Input::Certificate(_) => ImportKind::Certificates,
            Input::CertificateStatus(_) => ImportKind::CertificateStatus,
            Input::Institution(_) => ImportKind::Institutions,
            Input::Filing(_) => ImportKind::Filings,
            Input::FilingStatus(_) => ImportKind::FilingStatus,
            Input::Expert(_) => ImportKind::Experts,
            Input::Relation(_) => ImportKind::Relations,
            Input::Batch(_) => ImportKind::Batches,
            Input::Competition(_) => ImportKind::Competitions,
            Input::Result(_) => ImportKind::Results,
            Input::Occupation(_) => ImportKind::Occupations,
            Input::Urgent(_) => ImportKind::Urgent,
        }
    }

    /// The replicated records of this row: person keys derived under `pseudonym`, no ID
    /// number in any of them.
    pub fn into_records(self, pseudonym: &PseudonymKey) -> Ingested {
        let person_key = |id: &PersonId| hex::encode(pseudonym.person_key(id));
        let mut home_ids = Vec::new();
        let records = match self {
            Input::Certificate(c) => {
                home_ids.push(HomeId {
                    cert_no: c.cert_no.as_str().to_owned(),
                    person_id: c.person_id.clone(),
                });
                vec![Record::Certificate(Certificate::from_input(&c, pseudonym))]
            }
            Input::CertificateStatus(s) => vec![Record::CertificateStatus(s)],
            Input::Institution(i) => vec![Record::Institution(i)],
            Input::Filing(FilingInput {
                filing,
                status_change,
            }) => {
                let mut v = vec![Record::Filing(filing)];
                v.extend(status_change.map(Record::FilingStatus));
                v
            }
            Input::FilingStatus(s) => vec![Record::FilingStatus(s)],
            Input::Expert(ExpertInput {
                person_id,
                mut expert,
            }) => {
                expert.person_key = person_key(&person_id);
                vec![Record::Expert(expert)]
            }
            Input::Relation(r) => vec![Record::Relation(Relation {
                expert_id: r.expert_id,
                counterpart_kind: r.counterpart_kind,
                counterpart: match &r.counterpart {
                    Counterpart::Person(id) => person_key(id),
                    Counterpart::Organisation(u) => u.as_str().to_owned(),
                },
                relation: r.relation,
            })],
            Input::Batch(BatchInput {
                mut batch,
                candidates,
            }) => {
                batch.candidates = candidates
                    .iter()
                    .map(|c| Candidate {
                        person_key: person_key(&c.person_id),
                        employer_uscc: c.employer_uscc.clone(),
                        training_institution_uscc: c.training_institution_uscc.clone(),
                    })
                    .collect();
                vec![Record::AssessmentBatch(batch)]
            }
            Input::Competition(c) => vec![Record::Competition(c)],
            Input::Result(ResultInput {
                person_id,
                mut result,
            }) => {
                result.person_key = person_key(&person_id);
                vec![Record::CompetitionResult(result)]
            }
            Input::Occupation(o) => vec![Record::Occupation(o)],
            Input::Urgent(u) => vec![Record::UrgentList(u)],
        };
        Ingested { records, home_ids }
    }
}

macro_rules! input_table {
    ($name:ident, $columns:expr, $ids:expr, $build:path, $variant:path) => {
        static $name: Table<Input> = Table {
            columns: &$columns,
            id_columns: $ids,
            build: |f| $build(f).map($variant),
        };
    };
}

input_table!(
    CERTIFICATES,
    CERT_COLUMNS,
    &["id_no"],
    build_certificate,
    Input::Certificate
);
input_table!(
    CERTIFICATE_STATUS,
    kinds::CERT_STATUS_COLUMNS,
    &[],
    kinds::build_certificate_status,
    Input::CertificateStatus
);
input_table!(
    INSTITUTIONS,
    kinds::INSTITUTION_COLUMNS,
    &[],
    kinds::build_institution,
    Input::Institution
);
input_table!(
    FILINGS,
    kinds::FILING_COLUMNS,
    &[],
    kinds::build_filing,
    Input::Filing
);
input_table!(
    FILING_STATUS,
    kinds::FILING_STATUS_COLUMNS,
    &[],
    kinds::build_filing_status,
    Input::FilingStatus
);
input_table!(
    EXPERTS,
    kinds::EXPERT_COLUMNS,
    &["id_no"],
    kinds::build_expert,
    Input::Expert
);
input_table!(
    RELATIONS,
    kinds::RELATION_COLUMNS,
    &["counterpart"],
    kinds::build_relation,
    Input::Relation
);
input_table!(
    BATCHES,
    kinds::BATCH_COLUMNS,
    &[],
    kinds::build_batch,
    Input::Batch
);
input_table!(
    COMPETITIONS,
    kinds::COMPETITION_COLUMNS,
    &[],
    kinds::build_competition,
    Input::Competition
);
input_table!(
    RESULTS,
    kinds::RESULT_COLUMNS,
    &["id_no"],
    kinds::build_result,
    Input::Result
);
input_table!(
    OCCUPATIONS,
    kinds::OCCUPATION_COLUMNS,
    &[],
    kinds::build_occupation,
    Input::Occupation
);
input_table!(
    URGENT,
    kinds::URGENT_COLUMNS,
    &[],
    kinds::build_urgent,
    Input::Urgent
);

/// The table of an import kind.
pub(crate) fn table(kind: ImportKind) -> &'static Table<Input> {
    match kind {
        ImportKind::Certificates => &CERTIFICATES,
        ImportKind::CertificateStatus => &CERTIFICATE_STATUS,
        ImportKind::Institutions => &INSTITUTIONS,
        ImportKind::Filings => &FILINGS,
        ImportKind::FilingStatus => &FILING_STATUS,
        ImportKind::Experts => &EXPERTS,
        ImportKind::Relations => &RELATIONS,
        ImportKind::Batches => &BATCHES,
        ImportKind::Competitions => &COMPETITIONS,
        ImportKind::Results => &RESULTS,
        ImportKind::Occupations => &OCCUPATIONS,
        ImportKind::Urgent => &URGENT,
    }
}

/// The row's JSON as a submission carries it.
pub(crate) fn parsed(input: Input, f: &Fields<'_>) -> Parsed {
    Parsed {
        input,
        json: Json::Object(f.to_object()).to_string(),
    }
}

/// The node's conversion of one submitted row (`json`: an object with English field names,
/// as [`Parsed::json`]) into replicated records, for the node of `county`.
///
/// Validates everything again; unknown fields are refused. Author-side rule: an expert's
/// `home_county` must be `county` (a county writes only its own experts). Institutions,
/// filings and the other kinds may name any division.
pub fn to_records(
    kind: ImportKind,
    json: &str,
    pseudonym: &PseudonymKey,
    county: &CountyCode,
) -> Result<Ingested, FieldError> {
    let object = engine::object_of(json)?;
    let table = table(kind);
    let mut f = Fields::from_json(table.columns, &object, false)?;
    let input = engine::validate(table, &mut f)?;
    if let Input::Expert(e) = &input {
        let home = &e.expert.home_county;
        if home != county {
            return Err(FieldError::new(
                "home_county",
                format!("专家所属区县 {home} 不是本节点的区县 {county}：只能上报本区县的专家"),
                format!(
                    "expert home county {home} is not this node's county {county}: a county submits only its own experts"
                ),
            ));
        }
    }
    Ok(input.into_records(pseudonym))
}
