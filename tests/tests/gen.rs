//! `bashu gen` end to end: three counties' generated exports imported into their own nodes
//! (every file, in shell-glob order, nothing refused, a second import changes nothing),
//! synced, and the nodes' own checks (Query service) answer what MANIFEST.json says.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use bashu_core::import::ImportKind;
use bashu_core::synth::{
    CountyData, Expected, ExpectedOutcome, FILES, GenOptions, county_name, generate_county,
    write_file,
};
use bashu_proto::v1 as pb;
use bashu_tests::{Cluster, Topology};

const AS_OF: &str = "2026-11-30";

/// The outcome and the rules with FAIL or REVIEW findings of a verdict.
fn summary(r: &pb::VerdictResponse) -> (String, BTreeSet<String>) {
    let v: serde_json::Value = serde_json::from_str(&r.verdict_json).unwrap();
    let rules = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "INFO")
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect();
    (r.outcome.clone(), rules)
}

fn want(e: Option<&&Expected>, clean: ExpectedOutcome) -> (String, BTreeSet<String>) {
    match e {
        Some(e) => (
            e.outcome.as_str().to_owned(),
            e.rules.iter().map(|r| (*r).to_owned()).collect(),
        ),
        None => (clean.as_str().to_owned(), BTreeSet::new()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_exports_import_cleanly_and_the_nodes_agree_with_the_manifest() {
    let c = Cluster::start(3, Topology::FullMesh).await;
    let options = GenOptions {
        counties: (0..3)
            .map(|i| {
                let code = c.county(i);
                let name = county_name(code.as_str()).unwrap().to_owned();
                (code, name)
            })
            .collect(),
        certificates: 300,
        seed: 20261130,
        violations: 0.02,
    };
    let mut counties: Vec<CountyData> = Vec::new();
    for i in 0..3 {
        let data = generate_county(&options, i).unwrap();
        let dir = c.dir.path().join("gen").join(data.county.as_str());
        std::fs::create_dir_all(&dir).unwrap();
        for f in &FILES {
            let file = std::fs::File::create(dir.join(f.name)).unwrap();
            write_file(&data, f, std::io::BufWriter::new(file)).unwrap();
        }
        // `bashu import --config … DIR/CODE/*`: the shell sorts the names.
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        assert_eq!(paths.len(), FILES.len());
        for p in &paths {
            let s = c.import_as(i, p, None).await;
            let kind = ImportKind::parse(&s.kind).unwrap();
            assert!(
                s.refused.is_empty(),
                "{}: {:?}",
                p.display(),
                &s.refused[..s.refused.len().min(3)]
            );
            assert_eq!(s.read as usize, data.rows(kind), "{}", p.display());
            assert_eq!(s.new, s.read, "{}: one record per row", p.display());
        }
        // Re-importing creates no new entries.
        for p in &paths[..3] {
            let s = c.import_as(i, p, None).await;
            assert_eq!((s.new, s.unchanged), (0, s.read), "{}", p.display());
        }
        counties.push(data);
    }
    c.sync_round().await;
    c.sync_round().await;

    let mut checked: HashMap<String, usize> = HashMap::new();
    let mut problems = Vec::new();
    for (i, data) in counties.iter().enumerate() {
        // Ask another county's node, about recognition in this county and the next.
        let mut client = c.client((i + 1) % 3).await;
        let expected: HashMap<&str, &Expected> = data
            .expectations
            .certificates
            .iter()
            .map(|e| (e.subject.as_str(), e))
            .collect();
        for (n, cert) in data.certificates.iter().enumerate() {
            let no = cert.cert_no.as_str();
            let e = expected.get(no);
            if e.is_none() && n % 10 != 0 {
                continue;
            }
            for county in [c.county(i), c.county((i + 1) % 3)] {
                let r = client
                    .query
                    .check_recognition(pb::CheckRecognitionRequest {
                        cert_no: no.to_owned(),
                        county: county.to_string(),
                        as_of: AS_OF.into(),
                        author: String::new(),
                    })
                    .await
                    .unwrap()
                    .into_inner();
                let (got, want) = (summary(&r), want(e, ExpectedOutcome::Recognised));
                *checked.entry(got.0.clone()).or_default() += 1;
                if got != want {
                    problems.push(format!("{no} in {county}: got {got:?}, manifest {want:?}"));
                }
            }
        }
        let expected: HashMap<&str, &Expected> = data
            .expectations
            .batches
            .iter()
            .map(|e| (e.subject.as_str(), e))
            .collect();
        for b in &data.batches {
            let id = b.batch.batch_id.as_str();
            let r = client
                .query
                .check_batch(pb::CheckBatchRequest {
                    batch_id: id.to_owned(),
                    as_of: AS_OF.into(),
                })
                .await
                .unwrap()
                .into_inner();
            let (got, want) = (summary(&r), want(expected.get(id), ExpectedOutcome::Valid));
            *checked.entry(got.0.clone()).or_default() += 1;
            if got != want {
                problems.push(format!("batch {id}: got {got:?}, manifest {want:?}"));
            }
        }
        for e in &data.expectations.results {
            let r = client
                .query
                .check_promotion(pb::CheckPromotionRequest {
                    result_id: e.subject.clone(),
                    county: c.county(i).to_string(),
                    as_of: AS_OF.into(),
                })
                .await
                .unwrap()
                .into_inner();
            let (got, want) = (summary(&r), want(Some(&e), ExpectedOutcome::Valid));
            *checked.entry(got.0.clone()).or_default() += 1;
            if got != want {
                problems.push(format!(
                    "result {}: got {got:?}, manifest {want:?}",
                    e.subject
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} verdicts differ from the manifest:\n{}",
        problems.len(),
        problems[..problems.len().min(15)].join("\n")
    );
    // Every outcome occurred, so real verdicts were compared.
    for o in ["RECOGNISED", "PENDING", "REJECTED", "VALID", "INVALID"] {
        assert!(checked.get(o).copied().unwrap_or(0) > 0, "{checked:?}");
    }
}
