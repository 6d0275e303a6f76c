//! The alliance plan's targets against the replicated data, for the secretariat console:
//! high-skill talents (三级/高级工 and above, SPEC R5's one derivation) per county and
//! alliance-wide, experts in the shared pool, and filed institutions per county.
//!
//! Counts are of what is in force on a date: a certificate whose status on that date is
//! not VALID/REISSUED does not count, nor a filing that is suspended, revoked, cancelled,
//! expired or not yet effective, nor an expert who is not ACTIVE. People are counted by
//! person key, so one person with two certificates (or certificates from two counties)
//! counts once alliance-wide.

use std::collections::{BTreeMap, BTreeSet};

use bashu_core::codec::Certificate;
use bashu_core::entry::EntryKind;
use bashu_core::governance::AllianceState;
use bashu_core::record::{
    CertificateStatusChange, ExpertStatus, FilingStatusChange, Record, SharedScope,
};
use bashu_core::{CountyCode, Date};
use bashu_rules::status::{certificate_status_on, filing_change_on, is_inactive};
use bashu_store::{Store, StoreError};

/// One county's row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CountyProgress {
    pub county: String,
    pub name: String,
    /// Distinct people holding a high-skill certificate of this county in force.
    pub high_skill_people: u64,
    /// High-skill certificates of this county in force.
    pub high_skill_certificates: u64,
    /// Active experts whose home county this is.
    pub experts: u64,
    /// Of those, shared with every member (the rest with some counties only).
    pub experts_alliance_wide: u64,
    /// Distinct institutions with a filing of this county in force.
    pub filed_institutions: u64,
}

/// The plan's targets against the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlanProgress {
    pub as_of: Date,
    pub counties: Vec<CountyProgress>,
    /// Distinct people alliance-wide.
    pub high_skill_people: u64,
    pub high_skill_target: u64,
    pub experts: u64,
    pub filed_institutions: u64,
}

fn decode_all(store: &dyn Store, kind: EntryKind) -> Result<Vec<(CountyCode, Record)>, StoreError> {
    let mut out = Vec::new();
    for p in store.records_of_kind(kind)? {
        // A redacted body, or one this version cannot read, counts as absent.
        let Some(body) = store.body(&p)? else {
            continue;
        };
        if let Ok(r) = Record::decode(kind, &body) {
            out.push((p.author, r));
        }
    }
    Ok(out)
}

/// Computes the progress on `as_of` (blocking: reads every certificate, expert and
/// filing; the console caches it per snapshot).
pub(crate) fn compute(
    store: &dyn Store,
    alliance: &AllianceState,
    as_of: Date,
    high_skill_target: u64,
) -> Result<PlanProgress, StoreError> {
    let mut rows: BTreeMap<CountyCode, CountyProgress> = alliance
        .members
        .values()
        .filter(|m| m.removed_from.is_none())
        .map(|m| {
            (
                m.county.clone(),
                CountyProgress {
                    county: m.county.as_str().to_owned(),
                    name: m.name.clone(),
                    ..CountyProgress::default()
                },
            )
        })
        .collect();

    // Certificates and their status changes (a change belongs to its author's certificate).
    let mut changes: BTreeMap<(CountyCode, String), Vec<CertificateStatusChange>> = BTreeMap::new();
    for (author, r) in decode_all(store, EntryKind::CertificateStatus)? {
        if let Record::CertificateStatus(c) = r {
            changes
                .entry((author, c.cert_no.clone()))
                .or_default()
                .push(c);
        }
    }
    let mut people: BTreeMap<CountyCode, BTreeSet<Vec<u8>>> = BTreeMap::new();
    let mut all_people: BTreeSet<Vec<u8>> = BTreeSet::new();
    for (author, r) in decode_all(store, EntryKind::Certificate)? {
        let Record::Certificate(cert) = r else {
            continue;
        };
        if !counts_as_high_skill(&cert, &changes, &author, as_of) {
            continue;
        }
        row(&mut rows, &author).high_skill_certificates += 1;
        people
            .entry(author.clone())
            .or_default()
            .insert(cert.person_key.clone());
        all_people.insert(cert.person_key);
    }
    for (county, set) in &people {
        row(&mut rows, county).high_skill_people = set.len() as u64;
    }

    // Experts of the shared pool, by home county.
    let mut experts = 0;
    for (_, r) in decode_all(store, EntryKind::Expert)? {
        let Record::Expert(e) = r else { continue };
        if e.status != ExpertStatus::Active {
            continue;
        }
        experts += 1;
        let r = row(&mut rows, &e.home_county);
        r.experts += 1;
        if matches!(e.shared_scope, SharedScope::Alliance) {
            r.experts_alliance_wide += 1;
        }
    }

    // Filings in force, by the county whose log holds them.
    let mut filing_changes: BTreeMap<(CountyCode, String), Vec<FilingStatusChange>> =
        BTreeMap::new();
    for (author, r) in decode_all(store, EntryKind::FilingStatus)? {
        if let Record::FilingStatus(c) = r {
            filing_changes
                .entry((author, c.filing_no.clone()))
                .or_default()
                .push(c);
        }
    }
    let mut institutions: BTreeMap<CountyCode, BTreeSet<String>> = BTreeMap::new();
    for (author, r) in decode_all(store, EntryKind::Filing)? {
        let Record::Filing(f) = r else { continue };
        let effective = f.effective_from <= as_of && f.effective_to.is_none_or(|to| as_of <= to);
        let key = (author.clone(), f.filing_no.clone());
        let inactive = filing_changes
            .get(&key)
            .and_then(|c| filing_change_on(c, as_of))
            .is_some_and(|c| is_inactive(c.status));
        if effective && !inactive {
            institutions
                .entry(author)
                .or_default()
                .insert(f.institution_uscc.as_str().to_owned());
        }
    }
    let mut filed = 0;
    for (county, set) in &institutions {
        row(&mut rows, county).filed_institutions = set.len() as u64;
        filed += set.len() as u64;
    }

    Ok(PlanProgress {
        as_of,
        counties: rows.into_values().collect(),
        high_skill_people: all_people.len() as u64,
        high_skill_target,
        experts,
        filed_institutions: filed,
    })
}

/// The row of `c`, added for an author that is not a current member.
fn row<'a>(
    rows: &'a mut BTreeMap<CountyCode, CountyProgress>,
    c: &CountyCode,
) -> &'a mut CountyProgress {
    rows.entry(c.clone()).or_insert_with(|| CountyProgress {
        county: c.as_str().to_owned(),
        ..CountyProgress::default()
    })
}

fn counts_as_high_skill(
    cert: &Certificate,
    changes: &BTreeMap<(CountyCode, String), Vec<CertificateStatusChange>>,
    author: &CountyCode,
    as_of: Date,
) -> bool {
    if !cert.level.is_some_and(|l| l.is_high_skill()) {
        return false;
    }
    let issued = Date::parse(&cert.issue_date).is_ok_and(|d| d <= as_of);
    let ch = changes
        .get(&(author.clone(), cert.cert_no.clone()))
        .map_or(&[][..], Vec::as_slice);
    issued && certificate_status_on(cert, ch, as_of).is_some_and(|s| s.in_force())
}
