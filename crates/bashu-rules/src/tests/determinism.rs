//! Same snapshot → same bytes; the order records arrived in never shows.

use bashu_core::Level;
use bashu_core::record::{
    CertStatus, CounterpartKind, FilingStatus, ParticipantType, Relation, RelationType,
};

use super::*;
use crate::fixture::{
    BATCH_ID, FILING_NO, LONGCHANG, MemSnapshot, Person, RONGCHANG, WELDER, cert_change,
    filing_change, occupation_code,
};
use crate::{
    Snapshot, SubsidyClaim, check_batch, check_promotion, check_subsidy, eligible_experts,
};

type Op = Box<dyn Fn(&mut MemSnapshot)>;

/// The world's records plus history (status changes, relations, an earlier batch, a
/// competition with two results of one person in one year), as separate insertions.
fn operations() -> Vec<Op> {
    let mut w = World::new();
    w.add_alliance_competition("C2024", 2024);
    let p = Person::new(12, "李娜");
    w.add_result("R-2024-02", "C2024", &p, ParticipantType::Employee, 2);
    w.add_result("R-2024-01", "C2024", &p, ParticipantType::Employee, 1);
    let s = &w.snap;
    let mut ops: Vec<Op> = Vec::new();
    for u in [&w.school.uscc, &w.company.uscc] {
        let inst = s.institution(u.as_str()).unwrap();
        ops.push(Box::new(move |m| {
            m.add_institution(inst.clone());
        }));
    }
    let filing = s.filing(FILING_NO).unwrap();
    ops.push(Box::new(move |m| {
        m.add_filing(filing.clone());
    }));
    for code in [WELDER.0, "4-10-01-05", "4-07-05-04"] {
        let o = s.occupation(code).unwrap();
        ops.push(Box::new(move |m| {
            m.add_occupation(o.clone());
        }));
    }
    for e in s.experts() {
        ops.push(Box::new(move |m| {
            m.add_expert(e.clone());
        }));
    }
    let batch = s.batch(BATCH_ID).unwrap();
    let mut older = batch.clone();
    older.batch_id = "B2022-001".into();
    older.exam_date = date("2022-10-01");
    for b in [batch, older] {
        ops.push(Box::new(move |m| {
            m.add_batch(b.clone());
        }));
    }
    for r in s.certificates_of_person(&w.person.key()) {
        ops.push(Box::new(move |m| {
            m.add_certificate(r.author.as_str(), r.seq, r.certificate.clone());
        }));
    }
    let comp = s.competition("C2024").unwrap();
    ops.push(Box::new(move |m| {
        m.add_competition(comp.clone());
    }));
    for r in s.results_of_person(&p.key_hex()) {
        ops.push(Box::new(move |m| {
            m.add_result(r.clone());
        }));
    }
    let no = w.cert.certificate.cert_no.clone();
    ops.push(Box::new(move |m| {
        m.add_certificate_status(
            RONGCHANG,
            cert_change(&no, CertStatus::Revoked, "2024-02-01"),
        );
    }));
    let no = w.cert.certificate.cert_no.clone();
    ops.push(Box::new(move |m| {
        m.add_certificate_status(RONGCHANG, cert_change(&no, CertStatus::Valid, "2024-03-01"));
    }));
    ops.push(Box::new(|m| {
        m.add_filing_status(filing_change(
            FILING_NO,
            FilingStatus::Suspended,
            "2023-01-01",
            &[],
        ));
    }));
    ops.push(Box::new(|m| {
        m.add_filing_status(filing_change(
            FILING_NO,
            FilingStatus::Active,
            "2023-02-01",
            &[],
        ));
    }));
    let employer = w.company.uscc.as_str().to_owned();
    ops.push(Box::new(move |m| {
        m.add_relation(Relation {
            expert_id: "E03".into(),
            counterpart_kind: CounterpartKind::Employer,
            counterpart: employer.clone(),
            relation: RelationType::Colleague,
        });
    }));
    let key = w.person.key_hex();
    ops.push(Box::new(move |m| {
        m.add_relation(Relation {
            expert_id: "E03".into(),
            counterpart_kind: CounterpartKind::Person,
            counterpart: key.clone(),
            relation: RelationType::Teacher,
        });
    }));
    ops
}

/// Every check's bytes on a snapshot built by applying `ops` in `order`.
fn all_bytes(ops: &[Op], order: &[usize]) -> Vec<Vec<u8>> {
    let mut m = MemSnapshot::new(&[LONGCHANG, RONGCHANG, LUXIAN]);
    for &i in order {
        ops[i](&mut m);
    }
    let w = World::new();
    let cert = m
        .certificates_by_number(&w.cert.certificate.cert_no)
        .remove(0);
    let batch = m.batch(BATCH_ID).unwrap();
    let result = m.competition_result("R-2024-02").unwrap();
    let claims = [SubsidyClaim {
        person_key: w.person.key_hex(),
        occupation_code: occupation_code(WELDER.0),
        level: Level::Three,
        cert_issue_date: date("2023-05-04"),
        claim_date: date("2023-06-01"),
    }];
    let pool = eligible_experts(
        &m,
        &batch,
        &occupation_code(WELDER.0),
        Level::Three,
        as_of(),
    );
    let mut out = vec![
        check_recognition(&m, &cert, &county(LUXIAN), as_of()).to_canonical_json(),
        check_batch(&m, &batch, as_of()).to_canonical_json(),
        check_promotion(&m, &result, &county(LUXIAN), as_of()).to_canonical_json(),
        serde_json::to_vec(&pool).unwrap(),
    ];
    out.extend(
        check_subsidy(&m, &claims, as_of())
            .iter()
            .map(Verdict::to_canonical_json),
    );
    out
}

#[test]
fn same_snapshot_same_bytes() {
    let ops = operations();
    let order: Vec<usize> = (0..ops.len()).collect();
    let a = all_bytes(&ops, &order);
    let b = all_bytes(&ops, &order);
    assert_eq!(a, b);
    // The verdicts say something: the relation makes the batch invalid, and the second
    // result of the year is refused.
    let batch: Verdict = serde_json::from_slice(&a[1]).unwrap();
    assert_eq!(batch.outcome, crate::Outcome::Invalid);
    let promotion: Verdict = serde_json::from_slice(&a[2]).unwrap();
    assert!(promotion.has(RuleId::R12, Severity::Fail));
}

#[test]
fn insertion_order_does_not_change_the_bytes() {
    let ops = operations();
    let forward: Vec<usize> = (0..ops.len()).collect();
    let backward: Vec<usize> = forward.iter().rev().copied().collect();
    let mut shuffled = forward.clone();
    // A fixed permutation (odd positions first, then even).
    shuffled.sort_by_key(|i| (i % 2 == 0, *i));
    let expected = all_bytes(&ops, &forward);
    assert_eq!(all_bytes(&ops, &backward), expected);
    assert_eq!(all_bytes(&ops, &shuffled), expected);
}

#[test]
fn findings_are_in_rule_order() {
    let mut w = World::new();
    let full = w.person.id.normalised_number().to_owned();
    w.edit_cert(|c| {
        c.id_masked = full.clone();
        c.institution_name_printed = "别的名称".into();
        c.level = Some(Level::Four);
    });
    w.edit_batch(|b| b.supervisors.clear());
    let v = recognise(&w);
    let rules: Vec<RuleId> = v.findings.iter().map(|f| f.rule).collect();
    let mut sorted = rules.clone();
    sorted.sort();
    assert_eq!(rules, sorted);
    assert!(rules.contains(&RuleId::R1) && rules.contains(&RuleId::R16));
    assert!(rules.contains(&RuleId::R11) && rules.contains(&RuleId::R14));
}

#[test]
fn verdict_json_shape() {
    let w = World::new();
    let json = String::from_utf8(recognise(&w).to_canonical_json()).unwrap();
    assert_eq!(
        json,
        concat!(
            r#"{"check":"recognition","subject":"S000050001230233000015","county":"510521","#,
            r#""as_of":"2024-06-01","outcome":"RECOGNISED","rule_set":"bashu-rules/1","#,
            r#""snapshot":[["500153",6],["510521",0],["511083",0]],"findings":[{"rule":"R5","#,
            r#""severity":"INFO","message_zh":"R5 信息：三级/高级工 属于高技能人才","#,
            r#""message_en":"R5 info: level 3 counts as high-skill","#,
            r#""facts":{"high_skill":"true","level":"3"}}]}"#
        )
    );
}

/// A snapshot that returns every list in reverse: the rules must not depend on the order
/// a store happens to return.
struct Reversed<'a>(&'a MemSnapshot);

fn rev<T>(mut v: Vec<T>) -> Vec<T> {
    v.reverse();
    v
}

impl Snapshot for Reversed<'_> {
    fn log_sizes(&self) -> Vec<(bashu_core::CountyCode, u64)> {
        rev(self.0.log_sizes())
    }
    fn members(&self) -> Vec<bashu_core::CountyCode> {
        rev(self.0.members())
    }
    fn params(&self) -> &crate::RuleParams {
        self.0.params()
    }
    fn author_standing(&self, a: &bashu_core::CountyCode, seq: u64) -> crate::AuthorStanding {
        self.0.author_standing(a, seq)
    }
    fn certificates_by_number(&self, no: &str) -> Vec<crate::CertificateRef> {
        rev(self.0.certificates_by_number(no))
    }
    fn certificates_of_person(&self, key: &[u8]) -> Vec<crate::CertificateRef> {
        rev(self.0.certificates_of_person(key))
    }
    fn certificate_status_changes(
        &self,
        a: &bashu_core::CountyCode,
        no: &str,
    ) -> Vec<bashu_core::record::CertificateStatusChange> {
        rev(self.0.certificate_status_changes(a, no))
    }
    fn institution(&self, u: &str) -> Option<bashu_core::record::Institution> {
        self.0.institution(u)
    }
    fn filing(&self, no: &str) -> Option<bashu_core::record::Filing> {
        self.0.filing(no)
    }
    fn filing_status_changes(&self, no: &str) -> Vec<bashu_core::record::FilingStatusChange> {
        rev(self.0.filing_status_changes(no))
    }
    fn expert(&self, id: &str) -> Option<bashu_core::record::Expert> {
        self.0.expert(id)
    }
    fn experts(&self) -> Vec<bashu_core::record::Expert> {
        rev(self.0.experts())
    }
    fn relations_of(&self, id: &str) -> Vec<Relation> {
        rev(self.0.relations_of(id))
    }
    fn batch(&self, id: &str) -> Option<bashu_core::record::AssessmentBatch> {
        self.0.batch(id)
    }
    fn batches_of_institution(&self, u: &str) -> Vec<bashu_core::record::AssessmentBatch> {
        rev(self.0.batches_of_institution(u))
    }
    fn competition(&self, id: &str) -> Option<bashu_core::record::Competition> {
        self.0.competition(id)
    }
    fn competition_result(&self, id: &str) -> Option<bashu_core::record::CompetitionResult> {
        self.0.competition_result(id)
    }
    fn results_of_person(&self, key: &str) -> Vec<bashu_core::record::CompetitionResult> {
        rev(self.0.results_of_person(key))
    }
    fn occupation(&self, code: &str) -> Option<bashu_core::record::Occupation> {
        self.0.occupation(code)
    }
}

#[test]
fn the_order_a_store_returns_lists_in_does_not_change_the_bytes() {
    let ops = operations();
    let mut m = MemSnapshot::new(&[LONGCHANG, RONGCHANG, LUXIAN]);
    for op in &ops {
        op(&mut m);
    }
    // Two earlier batches with the same panel, so rotation has something to order.
    for (id, exam) in [("B2021-001", "2021-10-01"), ("B2021-002", "2021-12-01")] {
        let mut b = m.batch(BATCH_ID).unwrap();
        b.batch_id = id.into();
        b.exam_date = date(exam);
        m.add_batch(b);
    }
    let r = Reversed(&m);
    let w = World::new();
    let cert = m
        .certificates_by_number(&w.cert.certificate.cert_no)
        .remove(0);
    let batch = m.batch(BATCH_ID).unwrap();
    let result = m.competition_result("R-2024-02").unwrap();
    let occ = occupation_code(WELDER.0);
    let a: &dyn Snapshot = &m;
    let b: &dyn Snapshot = &r;
    for s in [a, b] {
        assert!(check_batch(s, &batch, as_of()).has(RuleId::R10, Severity::Review));
    }
    assert_eq!(
        check_recognition(a, &cert, &county(LUXIAN), as_of()).to_canonical_json(),
        check_recognition(b, &cert, &county(LUXIAN), as_of()).to_canonical_json()
    );
    assert_eq!(
        check_batch(a, &batch, as_of()).to_canonical_json(),
        check_batch(b, &batch, as_of()).to_canonical_json()
    );
    assert_eq!(
        check_promotion(a, &result, &county(LUXIAN), as_of()).to_canonical_json(),
        check_promotion(b, &result, &county(LUXIAN), as_of()).to_canonical_json()
    );
    assert_eq!(
        eligible_experts(a, &batch, &occ, Level::Three, as_of()),
        eligible_experts(b, &batch, &occ, Level::Three, as_of())
    );
}
