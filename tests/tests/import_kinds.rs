//! Every record kind of SPEC §2 imported at one node through the County service,
//! re-imported without new entries, replicated to another node, and no full ID number in
//! anything replicated.
#![allow(clippy::unwrap_used)]

use bashu_core::entry::EntryKind;
use bashu_core::id::{PersonId, id_check_char, uscc_check_char};
use bashu_core::record::{Record, Relation};
use bashu_tests::{Cluster, Topology};

fn make_id(first17: &str) -> String {
    format!("{first17}{}", id_check_char(first17).unwrap())
}

fn make_uscc(first17: &str) -> String {
    format!("{first17}{}", uscc_check_char(first17).unwrap())
}

/// One import file and what importing it must give.
struct Case {
    path: std::path::PathBuf,
    kind: &'static str,
    /// Data rows.
    read: u64,
    /// Records (entries) the rows become.
    records: u64,
    refused: usize,
    /// Records node 1 must hold afterwards.
    expect: Vec<(EntryKind, String)>,
}

fn case(
    path: std::path::PathBuf,
    kind: &'static str,
    read: u64,
    records: u64,
    refused: usize,
    expect: Vec<(EntryKind, String)>,
) -> Case {
    Case {
        path,
        kind,
        read,
        records,
        refused,
        expect,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_imports_replicates_and_keeps_id_numbers_home() {
    let c = Cluster::start(2, Topology::FullMesh).await;
    let author = c.county(0); // 500153 荣昌区
    let key = c.pseudonym();
    let person_key = |id: &str| -> String {
        key.person_key(&PersonId::parse("", id).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };

    let expert_id_no = make_id("50015319700101001");
    let kin_id_no = make_id("51052119920305472");
    let candidate_a = make_id("50015320000101002");
    let candidate_b = make_id("51108320010202003");
    let athlete = make_id("50011819990303004");
    let other_expert = make_id("51052119680404005");
    let school = make_uscc("52500153MJP000001");
    let employer = make_uscc("91500153MA5U0A1B2");

    let certs = c.certificates(0, 5, 11);
    let cert_no = certs[0].cert_no.as_str().to_owned();
    let mut full_ids: Vec<String> = certs
        .iter()
        .map(|c| c.person_id.normalised_number().to_owned())
        .collect();
    full_ids.extend([
        expert_id_no.clone(),
        kin_id_no.clone(),
        candidate_a.clone(),
        candidate_b.clone(),
        athlete.clone(),
        other_expert.clone(),
    ]);

    let files: Vec<Case> = vec![
        case(
            c.write_csv("certificates.csv", &certs),
            "certificates",
            5,
            5,
            0,
            vec![(EntryKind::Certificate, cert_no.clone())],
        ),
        case(
            c.write_file(
                "certificate-status.csv",
                &format!("证书编号,状态,生效日期,原因\n{cert_no},撤销,2025-01-10,弄虚作假\n"),
            ),
            "certificate-status",
            1,
            1,
            0,
            vec![(
                EntryKind::CertificateStatus,
                format!("{cert_no}@2025-01-10/Revoked"),
            )],
        ),
        case(
            c.write_file(
                "institutions.csv",
                &format!(
                    "\u{feff}统一社会信用代码,机构名称,机构类别,部备案代码,省份代码,站点序列码,所在区县,地址\n\
{school},重庆市荣昌区安陶职业技能培训学校,社会培训评价组织,0000,50,001230,500153,昌州街道\n\
{employer},重庆荣昌陶瓷有限公司,用人单位,0000,50,001231,500153,\n"
                ),
            ),
            "institutions",
            2,
            2,
            0,
            vec![
                (EntryKind::Institution, school.clone()),
                (EntryKind::Institution, employer.clone()),
            ],
        ),
        case(
            c.write_file(
                "filings.csv",
                &format!(
                    "filing_no,institution_uscc,filing_type,authority_code,authority_level,scope,effective_from,effective_to,status,status_effective_at,status_reason\n\
YC-2024-007,{school},SKILL_LEVEL,500153,COUNTY,6-18-02-04/--:3-5;4-10-01-05/*:3-5,2024-01-01,2026-12-31,ACTIVE,,\n\
YC-2024-008,{employer},SKILL_LEVEL,500153,COUNTY,6-18-01-01/--:4-5,2024-01-01,,SUSPENDED,2025-03-01,整改\n"
                ),
            ),
            "filings",
            2,
            3,
            0,
            vec![
                (EntryKind::Filing, "YC-2024-007".into()),
                (EntryKind::Filing, "YC-2024-008".into()),
                (
                    EntryKind::FilingStatus,
                    "YC-2024-008@2025-03-01/Suspended".into(),
                ),
            ],
        ),
        case(
            c.write_file(
                "filing-status.jsonl",
                r#"{"filing_no":"YC-2024-008","status":"ACTIVE","effective_at":"2025-06-01","reason":"整改完成"}"#,
            ),
            "filing-status",
            1,
            1,
            0,
            vec![(
                EntryKind::FilingStatus,
                "YC-2024-008@2025-06-01/Active".into(),
            )],
        ),
        case(
            c.write_file(
                "experts.csv",
                &format!(
                    "expert_id,name,id_type,id_no,home_county,employer_uscc,roles,card_no,card_valid_to,occupation_scope,own_level,title_level,assessing_since,shared_scope,status\n\
RC-E-001,李考评,居民身份证,{expert_id_no},500153,{employer},ASSESSOR;SENIOR_ASSESSOR,KP-0001,2027-12-31,6-18-02-04,1,SUB_SENIOR,2015-03-01,ALLIANCE,ACTIVE\n\
LX-E-009,外县专家,居民身份证,{other_expert},510521,,ASSESSOR,,,,,,,,\n"
                ),
            ),
            "experts",
            2,
            1,
            1,
            vec![(EntryKind::Expert, "RC-E-001".into())],
        ),
        case(
            c.write_file(
                "relations.csv",
                &format!(
                    "专家编号,对象类型,对象,关系\nRC-E-001,个人,{kin_id_no},近亲属\nRC-E-001,用人单位,{employer},同事\n"
                ),
            ),
            "relations",
            2,
            2,
            0,
            vec![(
                EntryKind::Relation,
                format!("RC-E-001/Employer/{}/Colleague", &employer[..16]),
            )],
        ),
        case(
            c.write_file(
                "batches.jsonl",
                &format!(
                    r#"{{"batch_id":"PC-2024-0601","institution_uscc":"{school}","filing_no":"YC-2024-007","occupation_code":"6-18-02-04","work_type":"--","level":3,"exam_date":"2024-05-20","candidates":[{{"id_no":"{candidate_a}","employer_uscc":"{employer}"}},{{"id_type":"居民身份证","id_no":"{candidate_b}","training_institution_uscc":"{school}"}}],"rooms":[{{"kind":"THEORY","candidate_count":2,"members":[{{"expert_id":"RC-E-001","role":"PROCTOR"}},{{"expert_id":"RC-E-002","role":"PROCTOR"}}]}}],"supervisors":[{{"expert_id":"LX-E-009","kind":"EXTERNAL","appointed_by":"510521"}}]}}"#
                ),
            ),
            "batches",
            1,
            1,
            0,
            vec![(EntryKind::AssessmentBatch, "PC-2024-0601".into())],
        ),
        case(
            c.write_file(
                "competitions.jsonl",
                r#"{"competition_id":"BS-2025-01","name":"巴蜀工匠焊工大赛","class":"ALLIANCE","year":2025,"events":[{"event_id":"E1","occupation_code":"6-18-02-04","standard_level":3}],"co_defined_by":["500153","510521"],"recognised_by":["500153","510521"]}"#,
            ),
            "competitions",
            1,
            1,
            0,
            vec![(EntryKind::Competition, "BS-2025-01".into())],
        ),
        case(
            c.write_file(
                "results.jsonl",
                &format!(
                    r#"{{"result_id":"BS-2025-01/E1/1","competition_id":"BS-2025-01","event_id":"E1","id_no":"{athlete}","participant_type":"EMPLOYEE","rank":1,"participants":30,"award":"一等奖","referees":["RC-E-001"]}}"#
                ),
            ),
            "results",
            1,
            1,
            0,
            vec![(EntryKind::CompetitionResult, "BS-2025-01/E1/1".into())],
        ),
        case(
            c.write_file(
                "occupations.csv",
                "职业编码,职业名称,等级,准入类\n6-18-02-04,焊工,1-5,否\n4-10-01-05,养老护理员,1-5,否\n",
            ),
            "occupations",
            2,
            2,
            0,
            vec![(EntryKind::Occupation, "6-18-02-04".into())],
        ),
        case(
            c.write_file(
                "urgent.jsonl",
                r#"{"year":2025,"occupations":["6-18-02-04","4-10-01-05"]}"#,
            ),
            "urgent",
            1,
            1,
            0,
            vec![(EntryKind::UrgentList, "2025/ALLIANCE".into())],
        ),
    ];

    let mut total = 0;
    for f in &files {
        let s = c.import(0, &f.path).await;
        assert_eq!(s.kind, f.kind, "{}", f.path.display());
        assert_eq!(
            (s.read, s.new, s.unchanged, s.refused.len()),
            (f.read, f.records, 0, f.refused),
            "{}: {:?}",
            s.file,
            s.refused
        );
        total += f.records;
        assert_eq!(s.log_size, total);
    }
    // The expert of another county is refused by the node, with the row's origin.
    let s = c.import(0, &files[5].path).await;
    assert_eq!(s.refused[0].origin, "experts.csv:3");
    assert_eq!(s.refused[0].column, "home_county");

    // Re-importing every file creates nothing.
    for f in &files {
        let s = c.import(0, &f.path).await;
        assert_eq!((s.new, s.unchanged), (0, f.records), "{}", s.file);
    }
    // The kind may be named instead of told.
    let s = c
        .import_as(
            0,
            &files[2].path,
            Some(bashu_core::import::ImportKind::Institutions),
        )
        .await;
    assert_eq!((s.new, s.unchanged), (0, 2));

    c.sync(1).await;
    let theirs = c.node(1).store();
    assert_eq!(theirs.log_state(&author).unwrap().size, total);
    for f in &files {
        for (kind, id) in &f.expect {
            assert!(
                theirs.record(*kind, &author, id).unwrap().is_some(),
                "node 1 lacks {kind:?} {id}"
            );
        }
    }

    // Person keys, not ID numbers, in the replicated records.
    let body = |kind: EntryKind, id: &str| {
        let p = theirs.record(kind, &author, id).unwrap().unwrap();
        Record::decode(kind, &theirs.body(&p).unwrap().unwrap()).unwrap()
    };
    let Record::Expert(e) = body(EntryKind::Expert, "RC-E-001") else {
        panic!("not an expert")
    };
    assert_eq!(e.person_key, person_key(&expert_id_no));
    let Record::AssessmentBatch(b) = body(EntryKind::AssessmentBatch, "PC-2024-0601") else {
        panic!("not a batch")
    };
    let keys: Vec<String> = b.candidates.iter().map(|c| c.person_key.clone()).collect();
    assert_eq!(keys, [person_key(&candidate_a), person_key(&candidate_b)]);
    let Record::CompetitionResult(r) = body(EntryKind::CompetitionResult, "BS-2025-01/E1/1") else {
        panic!("not a result")
    };
    assert_eq!(r.person_key, person_key(&athlete));
    let kin = Relation {
        expert_id: "RC-E-001".into(),
        counterpart_kind: bashu_core::record::CounterpartKind::Person,
        counterpart: person_key(&kin_id_no),
        relation: bashu_core::record::RelationType::Kin,
    };
    assert_eq!(
        body(EntryKind::Relation, &kin.record_id()),
        Record::Relation(kin)
    );

    // No full ID number anywhere in what either node holds of the log.
    for store in [c.node(0).store(), theirs.clone()] {
        let entries = store.entries(&author, 1, 10_000).unwrap();
        assert_eq!(entries.len() as u64, total);
        for e in &entries {
            for bytes in [&e.entry, &e.signature, &e.body] {
                for id in &full_ids {
                    assert!(
                        !bytes.windows(id.len()).any(|w| w == id.as_bytes()),
                        "a full ID number is in a replicated entry"
                    );
                }
            }
        }
    }
    // The certificate's ID number stays on the home node only.
    assert!(
        c.node(0)
            .store()
            .home_id_number(&cert_no)
            .unwrap()
            .is_some()
    );
    assert!(theirs.home_id_number(&cert_no).unwrap().is_none());
}

/// A file larger than one submission is sent in batches while it is read: every row is
/// counted once and stored. A file that cannot be imported as a whole (here a byte that is
/// not UTF-8 on its last line, after several batches' worth of good rows) is refused before
/// any row is sent: the log does not grow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_files_go_in_batches_and_a_bad_file_changes_nothing() {
    let c = Cluster::start(1, Topology::FullMesh).await;
    let author = c.county(0);
    let n = 2 * bashu_node::import::SUBMIT_BATCH + 7;
    let certs = c.certificates(0, n, 11);
    let good = c.write_csv("many.csv", &certs);
    let s = c.import(0, &good).await;
    assert_eq!((s.read, s.new, s.refused.len()), (n as u64, n as u64, 0));
    assert_eq!(s.log_size, n as u64);

    let more = c.certificates(0, n + 5, 12);
    let path = c.write_csv("late-gbk.csv", &more);
    let mut bytes = std::fs::read(&path).unwrap();
    let lines = bytes.iter().filter(|&&b| b == b'\n').count();
    bytes.truncate(bytes.len() - 1);
    bytes.extend_from_slice(b"\xb0\xb2\n");
    std::fs::write(&path, bytes).unwrap();
    let e = c.try_import(0, &path).await.unwrap_err().to_string();
    assert!(e.contains(&format!("late-gbk.csv:{lines}")), "{e}");
    assert!(e.contains("UTF-8"), "{e}");
    assert_eq!(c.node(0).store().log_state(&author).unwrap().size, n as u64);
}
