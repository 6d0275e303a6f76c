//! The read-only view of replicated data the rules are computed on.

use bashu_core::CountyCode;
use bashu_core::codec::Certificate;
use bashu_core::record::{
    AssessmentBatch, CertificateStatusChange, Competition, CompetitionResult, Expert, Filing,
    FilingStatusChange, Institution, Occupation, Relation,
};

use crate::params::RuleParams;

/// A certificate as held, with where it sits in its author's log.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateRef {
    pub author: CountyCode,
    pub seq: u64,
    pub certificate: Certificate,
}

/// Whether an author could sign at a log position (R14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorStanding {
    /// A member whose key at that position verified the entry.
    Member,
    /// Not a member at that position.
    NotMember,
    /// The author's log is frozen (equivocation) before that position.
    Frozen,
}

/// Everything a rule may read. Implementations: the store-backed snapshot in
/// `bashu-store`, and in-memory fixtures in tests. Lists are returned in a deterministic
/// order (by author code, then record id).
pub trait Snapshot {
    /// Per-author log sizes the snapshot reflects (in author code order).
    fn log_sizes(&self) -> Vec<(CountyCode, u64)>;
    /// The current member counties.
    fn members(&self) -> Vec<CountyCode>;
    /// Rule parameters in force (genesis plus active decisions).
    fn params(&self) -> &RuleParams;
    /// Standing of `author` at log position `seq`.
    fn author_standing(&self, author: &CountyCode, seq: u64) -> AuthorStanding;

    /// Latest versions of certificates with this number (any author).
    fn certificates_by_number(&self, cert_no: &str) -> Vec<CertificateRef>;
    /// Latest versions of certificates of this person (any author).
    fn certificates_of_person(&self, person_key: &[u8]) -> Vec<CertificateRef>;
    /// Status changes of a certificate of `author`, in effective-date order.
    fn certificate_status_changes(
        &self,
        author: &CountyCode,
        cert_no: &str,
    ) -> Vec<CertificateStatusChange>;

    fn institution(&self, uscc: &str) -> Option<Institution>;
    fn filing(&self, filing_no: &str) -> Option<Filing>;
    /// Status changes of a filing, in effective-date order.
    fn filing_status_changes(&self, filing_no: &str) -> Vec<FilingStatusChange>;

    fn expert(&self, expert_id: &str) -> Option<Expert>;
    /// Every expert of the shared pool.
    fn experts(&self) -> Vec<Expert>;
    /// Declared relations of an expert.
    fn relations_of(&self, expert_id: &str) -> Vec<Relation>;

    fn batch(&self, batch_id: &str) -> Option<AssessmentBatch>;
    /// Batches of an institution, in exam-date order (for rotation, R10).
    fn batches_of_institution(&self, uscc: &str) -> Vec<AssessmentBatch>;

    fn competition(&self, competition_id: &str) -> Option<Competition>;
    fn competition_result(&self, result_id: &str) -> Option<CompetitionResult>;
    /// Competition results of a person (hex person key).
    fn results_of_person(&self, person_key_hex: &str) -> Vec<CompetitionResult>;

    fn occupation(&self, code: &str) -> Option<Occupation>;
}
