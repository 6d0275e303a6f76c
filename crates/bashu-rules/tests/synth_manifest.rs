//! `bashu gen`'s manifest against the rules themselves: the generated files are read back
//! through the importer, turned into replicated records as a node does, and every
//! certificate, batch and result is checked. Each verdict must be the one the manifest
//! names — the same outcome and the same rules with FAIL or REVIEW findings — and every
//! record the manifest does not name must be clean.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeSet, HashMap};

use bashu_core::import::{parse_records, to_records};
use bashu_core::record::Record;
use bashu_core::synth::{
    CountyData, Expected, ExpectedOutcome, FILES, GenOptions, as_of, county_name, generate,
    write_file,
};
use bashu_core::{CountyCode, Date};
use bashu_rules::fixture::{MemSnapshot, pseudonym_key};
use bashu_rules::{Severity, Snapshot, Verdict, check_batch, check_promotion, check_recognition};

fn options(codes: &[&str], certificates: usize, seed: u64) -> GenOptions {
    GenOptions {
        counties: codes
            .iter()
            .map(|c| {
                (
                    CountyCode::parse(c).unwrap(),
                    county_name(c).unwrap().to_owned(),
                )
            })
            .collect(),
        certificates,
        seed,
        violations: 0.02,
    }
}

/// Every county's files, read back by the importer and turned into records by the node's
/// own conversion, in one snapshot (as after a full sync).
fn snapshot(counties: &[CountyData]) -> MemSnapshot {
    let codes: Vec<&str> = counties.iter().map(|c| c.county.as_str()).collect();
    let mut snap = MemSnapshot::new(&codes);
    let key = pseudonym_key();
    for data in counties {
        let author = data.county.as_str();
        let mut seq = 0u64;
        for f in &FILES {
            let mut bytes = Vec::new();
            write_file(data, f, &mut bytes).unwrap();
            let parsed = parse_records(bytes.as_slice(), f.name, f.format, None, false).unwrap();
            assert!(parsed.file.refused.is_empty(), "{author} {}", f.name);
            for row in parsed.file.rows {
                let ingested = to_records(f.kind, &row.value.json, &key, &data.county).unwrap();
                for record in ingested.records {
                    seq += 1;
                    match record {
                        Record::Certificate(c) => {
                            snap.add_certificate(author, seq, c);
                        }
                        Record::CertificateStatus(s) => {
                            snap.add_certificate_status(author, s);
                        }
                        Record::Institution(i) => {
                            snap.add_institution(i);
                        }
                        Record::Filing(x) => {
                            snap.add_filing(x);
                        }
                        Record::FilingStatus(x) => {
                            snap.add_filing_status(x);
                        }
                        Record::Expert(x) => {
                            snap.add_expert(x);
                        }
                        Record::Relation(x) => {
                            snap.add_relation(x);
                        }
                        Record::AssessmentBatch(x) => {
                            snap.add_batch(x);
                        }
                        Record::Competition(x) => {
                            snap.add_competition(x);
                        }
                        Record::CompetitionResult(x) => {
                            snap.add_result(x);
                        }
                        Record::Occupation(x) => {
                            snap.add_occupation(x);
                        }
                        Record::UrgentList(_) => {}
                    }
                }
            }
        }
    }
    snap
}

/// The rules with FAIL or REVIEW findings.
fn flagged(v: &Verdict) -> BTreeSet<String> {
    v.findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| format!("{:?}", f.rule))
        .collect()
}

fn outcome(v: &Verdict) -> String {
    serde_json::to_value(v.outcome)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

fn agrees(v: &Verdict, outcome_expected: ExpectedOutcome, rules: &[&str]) -> Result<(), String> {
    let want: BTreeSet<String> = rules.iter().map(|r| (*r).to_owned()).collect();
    if outcome(v) == outcome_expected.as_str() && flagged(v) == want {
        return Ok(());
    }
    let found: Vec<String> = v
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| format!("{:?} {:?}: {}", f.rule, f.severity, f.message_en))
        .collect();
    Err(format!(
        "{}: expected {} {:?}, got {} {:?}",
        v.subject,
        outcome_expected.as_str(),
        want,
        outcome(v),
        found
    ))
}

/// Checks every record of every county in its home county and the next one — of the clean
/// certificates and batches, every `sample`-th.
fn verify(counties: &[CountyData], sample: usize) {
    let snap = snapshot(counties);
    let on: Date = as_of();
    let mut problems: Vec<String> = Vec::new();
    for (i, data) in counties.iter().enumerate() {
        let home = &data.county;
        let other = &counties[(i + 1) % counties.len()].county;
        let expected: HashMap<&str, &Expected> = data
            .expectations
            .certificates
            .iter()
            .map(|e| (e.subject.as_str(), e))
            .collect();
        for (n, c) in data.certificates.iter().enumerate() {
            let no = c.cert_no.as_str();
            let want = expected.get(no);
            if want.is_none() && n % sample != 0 {
                continue;
            }
            let (o, rules) = want.map_or((ExpectedOutcome::Recognised, Vec::new()), |e| {
                (e.outcome, e.rules.clone())
            });
            let refs = snap.certificates_by_number(no);
            assert_eq!(refs.len(), 1, "{no}");
            let counties = if want.is_some() || n % (sample * 4) == 0 {
                vec![home, other]
            } else {
                vec![home]
            };
            for county in counties {
                let v = check_recognition(&snap, &refs[0], county, on);
                if let Err(e) = agrees(&v, o, &rules) {
                    problems.push(format!("recognition in {county}: {e}"));
                }
            }
        }
        let expected: HashMap<&str, &Expected> = data
            .expectations
            .batches
            .iter()
            .map(|e| (e.subject.as_str(), e))
            .collect();
        for (n, b) in data.batches.iter().enumerate() {
            let id = b.batch.batch_id.as_str();
            if !expected.contains_key(id) && n % sample != 0 {
                continue;
            }
            let (o, rules) = expected
                .get(id)
                .map_or((ExpectedOutcome::Valid, Vec::new()), |e| {
                    (e.outcome, e.rules.clone())
                });
            let batch = snap.batch(id).unwrap();
            if let Err(e) = agrees(&check_batch(&snap, &batch, on), o, &rules) {
                problems.push(format!("batch: {e}"));
            }
        }
        assert_eq!(data.expectations.results.len(), data.results.len());
        for e in &data.expectations.results {
            let result = snap.competition_result(&e.subject).unwrap();
            for county in [home, other] {
                let v = check_promotion(&snap, &result, county, on);
                if let Err(x) = agrees(&v, e.outcome, &e.rules) {
                    problems.push(format!("promotion in {county}: {x}"));
                }
                let promoted = v
                    .findings
                    .iter()
                    .find_map(|f| f.facts.get("promoted_level"))
                    .and_then(|l| l.parse::<u32>().ok());
                if e.outcome == ExpectedOutcome::Valid && promoted != e.promoted_level {
                    problems.push(format!(
                        "promotion of {}: level {promoted:?}, manifest says {:?}",
                        e.subject, e.promoted_level
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} verdicts differ from the manifest, e.g.:\n{}",
        problems.len(),
        problems[..problems.len().min(15)].join("\n")
    );
}

#[test]
fn small_federation_every_verdict_is_the_manifests() {
    let counties = generate(&options(&["500153", "510521", "511083"], 600, 42)).unwrap();
    // Every deliberate variant is present in a set this small.
    for data in &counties {
        let variants: BTreeSet<_> = data
            .expectations
            .violations
            .iter()
            .map(|v| v.variant)
            .collect();
        assert_eq!(variants.len(), 20, "{}: {variants:?}", data.county);
    }
    verify(&counties, 1);
}

#[test]
fn large_batches_every_violation_and_a_sample_of_the_rest() {
    let counties = generate(&options(&["500118", "500111"], 6000, 9)).unwrap();
    verify(&counties, 40);
}
