//! The co-assessment rules over replicated data: every node gives the same verdict bytes.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;

use bashu_core::synth;
use bashu_proto::v1 as pb;
use bashu_tests::{Cluster, Topology};

/// institutions.csv and filings.csv for node i's county, covering every generated
/// certificate (so most verdicts are decided by the rules, not by missing data).
fn reference_files(c: &Cluster, i: usize) -> (std::path::PathBuf, std::path::PathBuf) {
    let files = &c.report.counties[i];
    let insts = synth::institutions(&files.county, &files.name, 100 + i as u64);
    let mut inst_csv = String::from(
        "uscc,name,kind,mohrss_code,province_code2,site_serial,division_code,address\n",
    );
    let mut filing_csv = String::from(
        "filing_no,institution_uscc,filing_type,authority_code,authority_level,scope,effective_from,effective_to,status,status_effective_at,status_reason\n",
    );
    let scope: Vec<String> = synth::OCCUPATIONS
        .iter()
        .map(|(code, _, _)| format!("{code}/*:1-5"))
        .collect();
    for (n, inst) in insts.iter().enumerate() {
        writeln!(
            inst_csv,
            "{},{},{},{},{},{},{},地址",
            inst.uscc,
            inst.name,
            inst.kind,
            inst.code,
            files.county.province_code(),
            inst.site_serial,
            files.county
        )
        .unwrap();
        // The last institution's filing was suspended in 2022: its later certificates fail R3.
        let (status, at) = if n + 1 == insts.len() {
            ("SUSPENDED", "2022-06-01")
        } else {
            ("ACTIVE", "")
        };
        writeln!(
            filing_csv,
            "{},{},SKILL_LEVEL,{},COUNTY,{},2019-01-01,,{status},{at},",
            inst.filing_no,
            inst.uscc,
            files.county,
            scope.join(";")
        )
        .unwrap();
    }
    (
        c.write_file(&format!("inst-{i}.csv"), &inst_csv),
        c.write_file(&format!("filing-{i}.csv"), &filing_csv),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_gives_byte_identical_verdicts_for_every_certificate_in_every_county() {
    let c = Cluster::start(3, Topology::FullMesh).await;
    let mut all = Vec::new();
    for i in 0..3 {
        let (inst, filing) = reference_files(&c, i);
        for f in [&inst, &filing] {
            let s = c.import(i, f).await;
            assert!(s.refused.is_empty(), "{:?}", s.refused);
        }
        let certs = c.certificates(i, 40, 100 + i as u64);
        let s = c
            .import(i, &c.write_csv(&format!("certs-{i}.csv"), &certs))
            .await;
        assert_eq!(s.new, 40);
        all.extend(certs.into_iter().map(|x| x.cert_no.as_str().to_owned()));
    }
    c.sync_round().await;
    c.sync_round().await;

    let mut clients = Vec::new();
    for i in 0..3 {
        clients.push(c.client(i).await);
    }
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for cert_no in &all {
        for county in 0..3 {
            let mut verdicts = Vec::new();
            for client in &mut clients {
                let r = client
                    .query
                    .check_recognition(pb::CheckRecognitionRequest {
                        cert_no: cert_no.clone(),
                        county: c.county(county).to_string(),
                        as_of: "2026-11-30".into(),
                        author: String::new(),
                    })
                    .await
                    .unwrap()
                    .into_inner();
                verdicts.push(r);
            }
            assert!(
                verdicts.windows(2).all(|w| w[0] == w[1]),
                "verdicts differ for {cert_no} in {}",
                c.county(county)
            );
            *outcomes.entry(verdicts[0].outcome.clone()).or_default() += 1;
        }
    }
    // The data has both outcomes, so the comparison above compared real verdicts.
    assert!(
        outcomes.get("RECOGNISED").copied().unwrap_or(0) > 0,
        "{outcomes:?}"
    );
    assert!(
        outcomes.get("REJECTED").copied().unwrap_or(0) > 0,
        "{outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_decision_changes_the_verdict_from_its_effective_date() {
    let c = Cluster::start(2, Topology::FullMesh).await;
    let (inst, filing) = reference_files(&c, 0);
    c.import(0, &inst).await;
    c.import(0, &filing).await;
    let certs = c.certificates(0, 30, 100);
    c.import(0, &c.write_csv("certs.csv", &certs)).await;
    let mut client = c.client(0).await;
    let check = |cert_no: String, as_of: &str| pb::CheckRecognitionRequest {
        cert_no,
        county: "510521".into(),
        as_of: as_of.into(),
        author: String::new(),
    };
    // Find a certificate recognised under the default scope.
    let mut target = None;
    for cert in &certs {
        let r = client
            .query
            .check_recognition(check(cert.cert_no.as_str().into(), "2026-11-30"))
            .await
            .unwrap()
            .into_inner();
        if r.outcome == "RECOGNISED" {
            target = Some(cert.clone());
            break;
        }
    }
    let target = target.expect("some certificate is recognised");
    // The alliance excludes that occupation from recognition from 2027-01-01 (threshold 2 of 2).
    let verdict: serde_json::Value = {
        let r = client
            .query
            .check_recognition(check(target.cert_no.as_str().into(), "2026-11-30"))
            .await
            .unwrap()
            .into_inner();
        serde_json::from_str(&r.verdict_json).unwrap()
    };
    assert_eq!(verdict["outcome"], "RECOGNISED");
    let params = bashu_rules::RuleParams::alliance_default();
    let mut scope = serde_json::to_value(&params.recognition_scope).unwrap();
    scope["occupations_excluded"] = serde_json::json!([target.occupation_code.as_str()]);
    let proposal = bashu_core::governance::Proposal {
        proposal_id: "scope-2027".into(),
        decision: bashu_core::governance::Decision::SetRecognitionScope { scope },
        effective_date: bashu_core::Date::parse("2027-01-01").unwrap(),
        reason: "test".into(),
    };
    client
        .admin
        .propose(pb::ProposeRequest {
            proposal_json: serde_json::to_string(&proposal).unwrap(),
        })
        .await
        .unwrap();
    c.sync(1).await;
    c.client(1)
        .await
        .admin
        .approve(pb::ApproveRequest {
            proposer: c.county(0).to_string(),
            proposal_id: "scope-2027".into(),
        })
        .await
        .unwrap();
    c.sync(0).await;
    let before = client
        .query
        .check_recognition(check(target.cert_no.as_str().into(), "2026-12-31"))
        .await
        .unwrap()
        .into_inner();
    let after = client
        .query
        .check_recognition(check(target.cert_no.as_str().into(), "2027-01-02"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before.outcome, "RECOGNISED");
    assert_eq!(after.outcome, "REJECTED", "{}", after.verdict_json);
}
