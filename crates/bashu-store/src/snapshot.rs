//! The rules' read-only view of a store: certificates looked up through the store's
//! indexes on demand, every other record kind (few, and read often) materialised in memory
//! once per snapshot, and the alliance state for membership, keys and freezes.

use std::collections::BTreeMap;
use std::sync::Arc;

use bashu_core::CountyCode;
use bashu_core::codec::Certificate;
use bashu_core::entry::{EntryKind, Keyring as _};
use bashu_core::governance::AllianceState;
use bashu_core::record::{
    AssessmentBatch, CertificateStatusChange, Competition, CompetitionResult, Expert, Filing,
    FilingStatusChange, Institution, Occupation, Record, Relation,
};
use bashu_rules::{AuthorStanding, CertificateRef, RuleParams, Snapshot};

use crate::{RecordPointer, Result, Store};

/// A snapshot of a store at the log sizes it was taken at.
pub struct StoreSnapshot {
    store: Arc<dyn Store>,
    state: Arc<AllianceState>,
    params: RuleParams,
    log_sizes: Vec<(CountyCode, u64)>,
    cert_status: BTreeMap<(CountyCode, String), Vec<CertificateStatusChange>>,
    institutions: BTreeMap<String, Institution>,
    filings: BTreeMap<String, Filing>,
    filing_status: BTreeMap<String, Vec<FilingStatusChange>>,
    experts: BTreeMap<String, Expert>,
    relations: BTreeMap<String, Vec<Relation>>,
    batches: BTreeMap<String, AssessmentBatch>,
    competitions: BTreeMap<String, Competition>,
    results: BTreeMap<String, CompetitionResult>,
    occupations: BTreeMap<String, Occupation>,
}

fn records(store: &dyn Store, kind: EntryKind) -> Result<Vec<(RecordPointer, Record)>> {
    let mut out = Vec::new();
    for p in store.records_of_kind(kind)? {
        let Some(body) = store.body(&p)? else {
            continue; // redacted
        };
        if let Ok(r) = Record::decode(kind, &body) {
            out.push((p, r));
        }
    }
    Ok(out)
}

impl StoreSnapshot {
    /// Materialises the reference data held in `store`. Records are keyed by their id; when
    /// two authors use the same id, the one of the lower county code is kept (deterministic).
    pub fn load(
        store: Arc<dyn Store>,
        state: Arc<AllianceState>,
        params: RuleParams,
    ) -> Result<StoreSnapshot> {
        let mut log_sizes = Vec::new();
        for a in store.authors()? {
            let size = store.log_state(&a)?.size;
            log_sizes.push((a, size));
        }
        let mut s = StoreSnapshot {
            store: store.clone(),
            state,
            params,
            log_sizes,
            cert_status: BTreeMap::new(),
            institutions: BTreeMap::new(),
            filings: BTreeMap::new(),
            filing_status: BTreeMap::new(),
            experts: BTreeMap::new(),
            relations: BTreeMap::new(),
            batches: BTreeMap::new(),
            competitions: BTreeMap::new(),
            results: BTreeMap::new(),
            occupations: BTreeMap::new(),
        };
        let st = store.as_ref();
        for (p, r) in records(st, EntryKind::CertificateStatus)? {
            if let Record::CertificateStatus(c) = r {
                s.cert_status
                    .entry((p.author, c.cert_no.clone()))
                    .or_default()
                    .push(c);
            }
        }
        for (_, r) in records(st, EntryKind::Institution)? {
            if let Record::Institution(i) = r {
                s.institutions
                    .entry(i.uscc.as_str().to_owned())
                    .or_insert(i);
            }
        }
        for (_, r) in records(st, EntryKind::Filing)? {
            if let Record::Filing(f) = r {
                s.filings.entry(f.filing_no.clone()).or_insert(f);
            }
        }
        for (_, r) in records(st, EntryKind::FilingStatus)? {
            if let Record::FilingStatus(f) = r {
                s.filing_status
                    .entry(f.filing_no.clone())
                    .or_default()
                    .push(f);
            }
        }
        for (_, r) in records(st, EntryKind::Expert)? {
            if let Record::Expert(e) = r {
                s.experts.entry(e.expert_id.clone()).or_insert(e);
            }
        }
        for (_, r) in records(st, EntryKind::Relation)? {
            if let Record::Relation(x) = r {
                s.relations.entry(x.expert_id.clone()).or_default().push(x);
            }
        }
        for (_, r) in records(st, EntryKind::AssessmentBatch)? {
            if let Record::AssessmentBatch(b) = r {
                s.batches.entry(b.batch_id.clone()).or_insert(b);
            }
        }
        for (_, r) in records(st, EntryKind::Competition)? {
            if let Record::Competition(c) = r {
                s.competitions.entry(c.competition_id.clone()).or_insert(c);
            }
        }
        for (_, r) in records(st, EntryKind::CompetitionResult)? {
            if let Record::CompetitionResult(x) = r {
                s.results.entry(x.result_id.clone()).or_insert(x);
            }
        }
        for (_, r) in records(st, EntryKind::Occupation)? {
            if let Record::Occupation(o) = r {
                s.occupations.entry(o.code.as_str().to_owned()).or_insert(o);
            }
        }
        for v in s.cert_status.values_mut() {
            v.sort_by_key(|c| (c.effective_date, c.record_id()));
        }
        for v in s.filing_status.values_mut() {
            v.sort_by_key(|c| (c.effective_at, c.record_id()));
        }
        for v in s.relations.values_mut() {
            v.sort_by_key(Relation::record_id);
        }
        Ok(s)
    }

    fn certificates(&self, pointers: Vec<RecordPointer>) -> Vec<CertificateRef> {
        let mut out: Vec<CertificateRef> = pointers
            .into_iter()
            .filter_map(|p| {
                let body = self.store.body(&p).ok()??;
                let certificate = Certificate::decode(&body).ok()?;
                Some(CertificateRef {
                    author: p.author,
                    seq: p.seq,
                    certificate,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.author, &a.certificate.cert_no).cmp(&(&b.author, &b.certificate.cert_no))
        });
        out
    }
}

impl Snapshot for StoreSnapshot {
    fn log_sizes(&self) -> Vec<(CountyCode, u64)> {
        self.log_sizes.clone()
    }

    fn members(&self) -> Vec<CountyCode> {
        self.state
            .members
            .keys()
            .filter(|c| self.state.is_member(c))
            .cloned()
            .collect()
    }

    fn params(&self) -> &RuleParams {
        &self.params
    }

    fn author_standing(&self, author: &CountyCode, seq: u64) -> AuthorStanding {
        if self.state.frozen.get(author).is_some_and(|at| seq > *at) {
            return AuthorStanding::Frozen;
        }
        match self.state.member(author) {
            Some(m) if m.removed_from.is_none_or(|from| seq < from) => {
                // The entry was verified under the key valid at its position when stored;
                // a later compromise declaration covering the position withdraws it.
                let compromised = m.compromised.iter().any(|(_, from)| seq >= *from)
                    && self
                        .store
                        .entry(author, seq)
                        .ok()
                        .flatten()
                        .is_some_and(|e| {
                            self.state.key_at(author, &e.header().key_id, seq).is_err()
                        });
                if compromised {
                    AuthorStanding::NotMember
                } else {
                    AuthorStanding::Member
                }
            }
            _ => AuthorStanding::NotMember,
        }
    }

    fn certificates_by_number(&self, cert_no: &str) -> Vec<CertificateRef> {
        self.certificates(
            self.store
                .certificates_by_number(cert_no)
                .unwrap_or_default(),
        )
    }

    fn certificates_of_person(&self, person_key: &[u8]) -> Vec<CertificateRef> {
        self.certificates(
            self.store
                .certificates_by_person(person_key)
                .unwrap_or_default(),
        )
    }

    fn certificate_status_changes(
        &self,
        author: &CountyCode,
        cert_no: &str,
    ) -> Vec<CertificateStatusChange> {
        self.cert_status
            .get(&(author.clone(), cert_no.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    fn institution(&self, uscc: &str) -> Option<Institution> {
        self.institutions.get(uscc).cloned()
    }

    fn filing(&self, filing_no: &str) -> Option<Filing> {
        self.filings.get(filing_no).cloned()
    }

    fn filing_status_changes(&self, filing_no: &str) -> Vec<FilingStatusChange> {
        self.filing_status
            .get(filing_no)
            .cloned()
            .unwrap_or_default()
    }

    fn expert(&self, expert_id: &str) -> Option<Expert> {
        self.experts.get(expert_id).cloned()
    }

    fn experts(&self) -> Vec<Expert> {
        self.experts.values().cloned().collect()
    }

    fn relations_of(&self, expert_id: &str) -> Vec<Relation> {
        self.relations.get(expert_id).cloned().unwrap_or_default()
    }

    fn batch(&self, batch_id: &str) -> Option<AssessmentBatch> {
        self.batches.get(batch_id).cloned()
    }

    fn batches_of_institution(&self, uscc: &str) -> Vec<AssessmentBatch> {
        let mut v: Vec<AssessmentBatch> = self
            .batches
            .values()
            .filter(|b| b.institution_uscc.as_str() == uscc)
            .cloned()
            .collect();
        v.sort_by(|a, b| (a.exam_date, &a.batch_id).cmp(&(b.exam_date, &b.batch_id)));
        v
    }

    fn competition(&self, competition_id: &str) -> Option<Competition> {
        self.competitions.get(competition_id).cloned()
    }

    fn competition_result(&self, result_id: &str) -> Option<CompetitionResult> {
        self.results.get(result_id).cloned()
    }

    fn results_of_person(&self, person_key_hex: &str) -> Vec<CompetitionResult> {
        self.results
            .values()
            .filter(|r| r.person_key.eq_ignore_ascii_case(person_key_hex))
            .cloned()
            .collect()
    }

    fn occupation(&self, code: &str) -> Option<Occupation> {
        self.occupations.get(code).cloned()
    }
}
