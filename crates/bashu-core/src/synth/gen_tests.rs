//! Tests of the county generator: determinism, identifiers, the export read back by the
//! importer's own parsers, the violation shares.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashSet};

use super::*;
use crate::id::{CertNoKind, CountyCode, IdNumber, Uscc};
use crate::import::{FilingInput, Format, ImportKind, Input, parse_records};

fn options(certificates: usize, seed: u64, violations: f64) -> GenOptions {
    GenOptions {
        counties: ["500153", "510521", "511083"]
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
        violations,
    }
}

fn bytes(data: &CountyData, file: &ExportFile) -> Vec<u8> {
    let mut out = Vec::new();
    write_file(data, file, &mut out).unwrap();
    out
}

/// What the importer must read back from a file of `kind`.
fn inputs(data: &CountyData, kind: ImportKind) -> Vec<Input> {
    match kind {
        ImportKind::Certificates => data
            .certificates
            .iter()
            .cloned()
            .map(Input::Certificate)
            .collect(),
        ImportKind::CertificateStatus => data
            .certificate_status
            .iter()
            .cloned()
            .map(Input::CertificateStatus)
            .collect(),
        ImportKind::Institutions => data
            .institutions
            .iter()
            .cloned()
            .map(Input::Institution)
            .collect(),
        ImportKind::Filings => data
            .filings
            .iter()
            .cloned()
            .map(|filing| {
                Input::Filing(FilingInput {
                    filing,
                    status_change: None,
                })
            })
            .collect(),
        ImportKind::FilingStatus => data
            .filing_status
            .iter()
            .cloned()
            .map(Input::FilingStatus)
            .collect(),
        ImportKind::Experts => data.experts.iter().cloned().map(Input::Expert).collect(),
        ImportKind::Relations => data
            .relations
            .iter()
            .cloned()
            .map(Input::Relation)
            .collect(),
        ImportKind::Batches => data.batches.iter().cloned().map(Input::Batch).collect(),
        ImportKind::Competitions => data
            .competitions
            .iter()
            .cloned()
            .map(Input::Competition)
            .collect(),
        ImportKind::Results => data.results.iter().cloned().map(Input::Result).collect(),
        ImportKind::Occupations => data
            .occupations
            .iter()
            .cloned()
            .map(Input::Occupation)
            .collect(),
        ImportKind::Urgent => data.urgent.iter().cloned().map(Input::Urgent).collect(),
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_data() {
    let a = generate(&options(400, 7, 0.02)).unwrap();
    let b = generate(&options(400, 7, 0.02)).unwrap();
    let c = generate(&options(400, 8, 0.02)).unwrap();
    for ((x, y), z) in a.iter().zip(&b).zip(&c) {
        for f in &FILES {
            assert_eq!(bytes(x, f), bytes(y, f), "{} differs", f.name);
        }
        assert_eq!(x.manifest(), y.manifest());
        assert_ne!(
            bytes(x, &FILES[7]),
            bytes(z, &FILES[7]),
            "another seed gives other certificates"
        );
    }
}

#[test]
fn every_file_reads_back_through_the_importer_with_nothing_refused() {
    let counties = generate(&options(600, 3, 0.05)).unwrap();
    // Both header languages are exercised.
    assert_eq!(counties[0].header_language, HeaderLanguage::En);
    assert_eq!(counties[1].header_language, HeaderLanguage::Zh);
    for data in &counties {
        for f in &FILES {
            let text = bytes(data, f);
            assert_eq!(Format::detect(f.name, &text), f.format);
            let parsed = parse_records(text.as_slice(), f.name, f.format, None, false)
                .unwrap_or_else(|e| panic!("{} {}: {e}", data.county, f.name));
            assert_eq!(
                parsed.kind,
                Some(f.kind),
                "{}: kind told from the file",
                f.name
            );
            assert!(
                parsed.file.refused.is_empty(),
                "{} {}: {:?}",
                data.county,
                f.name,
                &parsed.file.refused[..parsed.file.refused.len().min(3)]
            );
            let got: Vec<Input> = parsed
                .file
                .rows
                .into_iter()
                .map(|r| r.value.input)
                .collect();
            let want = inputs(data, f.kind);
            assert_eq!(got.len(), data.rows(f.kind), "{}", f.name);
            assert!(!want.is_empty(), "{} {} has rows", data.county, f.name);
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g, w, "{} {}: read back differs", data.county, f.name);
            }
        }
    }
}

#[test]
fn identifiers_are_valid_unique_and_consistent() {
    let counties = generate(&options(3000, 11, 0.02)).unwrap();
    let mut numbers = HashSet::new();
    let mut ids_by_county: Vec<HashSet<String>> = Vec::new();
    for data in &counties {
        assert_eq!(data.certificates.len(), 3000);
        let unknown: HashSet<&str> = data
            .expectations
            .violations
            .iter()
            .filter(|v| v.variant == Variant::UnknownNumber)
            .map(|v| v.subject.as_str())
            .collect();
        let mut ids = HashSet::new();
        for c in &data.certificates {
            let no = c.cert_no.as_str();
            assert!(numbers.insert(no.to_owned()), "number {no} twice");
            match c.cert_no.kind() {
                CertNoKind::Current | CertNoKind::Legacy => {}
                _ => assert!(unknown.contains(no), "{no} has no known pattern"),
            }
            assert!(IdNumber::parse(c.person_id.normalised_number()).is_ok());
            assert!(Uscc::parse(c.institution_uscc.as_str()).is_ok());
            assert!(c.issue_date <= as_of());
            ids.insert(c.person_id.normalised_number().to_owned());
        }
        for e in &data.experts {
            assert!(IdNumber::parse(e.person_id.normalised_number()).is_ok());
            assert!(!e.expert.expert_id.is_empty());
            ids.insert(e.person_id.normalised_number().to_owned());
        }
        for i in &data.institutions {
            assert!(Uscc::parse(i.uscc.as_str()).is_ok());
            // A USCC never reads as an ID number (R16 checks that).
            assert!(IdNumber::parse(i.uscc.as_str()).is_err());
        }
        ids_by_county.push(ids);
    }
    // Counties generated apart never share a person.
    for i in 0..ids_by_county.len() {
        for j in (i + 1)..ids_by_county.len() {
            assert!(ids_by_county[i].is_disjoint(&ids_by_county[j]));
        }
    }
    assert_eq!(AS_OF, as_of().to_string());
}

#[test]
fn violations_come_in_the_configured_shares() {
    let opts = options(20_000, 5, 0.02);
    let data = generate_county(&opts, 0).unwrap();
    let mut by_variant: BTreeMap<Variant, usize> = BTreeMap::new();
    for v in &data.expectations.violations {
        *by_variant.entry(v.variant).or_default() += 1;
    }
    // 2 % of 20,000 certificates over 10 variants.
    for v in Variant::CERTIFICATE {
        assert_eq!(by_variant.get(&v), Some(&40), "{v:?}");
    }
    let batches = data.batches.len();
    let each = (0.02 * batches as f64 / 8.0).round().max(1.0) as usize;
    for v in Variant::BATCH {
        assert_eq!(
            by_variant.get(&v),
            Some(&each),
            "{v:?} of {batches} batches"
        );
    }
    let results = data.results.len();
    let each = (0.02 * results as f64 / 2.0).round().max(1.0) as usize;
    for v in Variant::RESULT {
        assert_eq!(
            by_variant.get(&v),
            Some(&each),
            "{v:?} of {results} results"
        );
    }
    // Batch violations reach the certificates of their batch (R7–R11), R6 does not.
    let m = data.manifest();
    for v in m.violations.iter().filter(|v| v.check == Check::Batch) {
        let reaches = v.variant.certificate_effect().is_some();
        assert_eq!(v.certificates_affected > 0, reaches, "{v:?}");
    }
    let rejected = m.totals.recognition[&ExpectedOutcome::Rejected];
    assert!(rejected >= 40 * 9, "{rejected}");
    assert_eq!(
        m.totals.recognition.values().sum::<usize>(),
        data.certificates.len()
    );
}

#[test]
fn no_violations_when_the_share_is_zero() {
    let data = generate_county(&options(500, 1, 0.0), 1).unwrap();
    assert!(data.expectations.violations.is_empty());
    assert!(data.expectations.certificates.is_empty());
    assert!(data.expectations.batches.is_empty());
    // Results outside the promotion table are ordinary data, not violations.
    assert!(
        data.expectations
            .results
            .iter()
            .all(|r| r.variant.is_none() || r.variant == Some(Variant::NoPromotion))
    );
}

#[test]
fn options_are_checked() {
    let mut o = options(400, 1, 0.02);
    o.counties.truncate(1);
    assert!(generate(&o).is_err());
    assert!(generate(&options(10, 1, 0.02)).is_err());
    assert!(generate(&options(400, 1, 0.9)).is_err());
}

#[test]
fn manifest_serialises() {
    let opts = options(300, 2, 0.02);
    let counties = generate(&opts).unwrap();
    let m = manifest(&opts, counties.iter().map(CountyData::manifest).collect());
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["as_of"], "2026-11-30");
    assert_eq!(json["counties"].as_array().unwrap().len(), 3);
    assert_eq!(json["recipe"].as_array().unwrap().len(), 20);
    assert_eq!(
        json["counties"][0]["files"][7]["file"],
        "08-certificates.csv"
    );
    assert_eq!(json["counties"][0]["files"][7]["rows"], 300);
    let v = &json["counties"][0]["violations"][0];
    assert_eq!(v["rule"], "R1");
    assert!(json["counties"][0]["totals"]["recognition"]["RECOGNISED"].as_u64() > Some(100));
}
