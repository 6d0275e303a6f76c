//! The pull protocol between two stores, without sockets.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bashu_core::codec::Certificate;
use bashu_core::entry::{EntryKind, Genesis, Member, SignedGenesis};
use bashu_core::keys::SigningKey;
use bashu_core::person::PseudonymKey;
use bashu_core::record::CertificateInput;
use bashu_core::{CountyCode, synth};
use bashu_store::{MemStore, Store};
use bashu_sync::{LocalAuthor, LocalPeer, OwnRecord, SyncContext, Trust, pull_from_peer};

struct Pair {
    author: CountyCode,
    a: Arc<dyn Store>,
    b: Arc<dyn Store>,
    trust_b: Arc<Trust>,
    key_b: SigningKey,
    writer: LocalAuthor,
}

/// A generated certificate as this county's record (person key under a fixed pseudonym key).
fn own(c: &CertificateInput) -> OwnRecord {
    let cert = Certificate::from_input(c, &PseudonymKey::from_bytes([9; 32]));
    OwnRecord {
        kind: EntryKind::Certificate,
        record_id: cert.cert_no.clone(),
        body: cert.encode(),
        home: Vec::new(),
    }
}

fn pair(n: usize) -> Pair {
    let (ca, cb) = (
        CountyCode::parse("500153").unwrap(),
        CountyCode::parse("510521").unwrap(),
    );
    let (ka, kb) = (
        SigningKey::from_bytes([1; 32]),
        SigningKey::from_bytes([2; 32]),
    );
    let member = |c: &CountyCode, k: &SigningKey| Member {
        county: c.clone(),
        name: c.to_string(),
        province: c.province_code().to_owned(),
        signing_key: k.public_key(),
        endpoint: String::new(),
        tls_cert_sha256: Vec::new(),
    };
    let genesis = Genesis {
        alliance_id: "t".into(),
        name: "t".into(),
        members: vec![member(&ca, &ka), member(&cb, &kb)],
        threshold: 1,
        founded_on: "2026-11-30".into(),
        rule_parameters_json: String::new(),
    };
    let signed = SignedGenesis::sign(&genesis, &[(&ca, &ka), (&cb, &kb)]);
    let genesis = signed.verify().unwrap().genesis().clone();
    let a: Arc<dyn Store> = Arc::new(MemStore::new());
    let b: Arc<dyn Store> = Arc::new(MemStore::new());
    let trust_a = Arc::new(Trust::load(genesis.clone(), a.as_ref()).unwrap());
    let trust_b = Arc::new(Trust::load(genesis, b.as_ref()).unwrap());
    let writer = LocalAuthor::new(a.clone(), trust_a, ka, "t".into(), ca.clone());
    let records: Vec<OwnRecord> = synth::certificates(&ca, "荣昌区", n, 1)
        .iter()
        .map(own)
        .collect();
    for batch in records.chunks(20) {
        writer.submit(batch.to_vec(), 0).unwrap();
    }
    Pair {
        author: ca,
        a,
        b,
        trust_b,
        key_b: kb,
        writer,
    }
}

fn ctx(p: &Pair, max_chunk: u32) -> SyncContext {
    SyncContext {
        store: p.b.clone(),
        trust: p.trust_b.clone(),
        witness: Some((CountyCode::parse("510521").unwrap(), p.key_b.clone())),
        max_chunk,
    }
}

#[tokio::test]
async fn a_pull_copies_the_log_verifies_the_root_and_cosigns() {
    let p = pair(55);
    let report = pull_from_peer(&LocalPeer::new(p.a.clone()), &ctx(&p, 10))
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.received[0].entries, 55);
    assert_eq!(
        p.b.entries(&p.author, 1, 100).unwrap(),
        p.a.entries(&p.author, 1, 100).unwrap()
    );
    assert_eq!(
        p.b.checkpoint(&p.author).unwrap(),
        p.a.checkpoint(&p.author).unwrap()
    );
    let cosigs = p.b.cosignatures(&p.author).unwrap();
    assert_eq!(cosigs.len(), 1);
    assert_eq!(cosigs[0].witness.as_str(), "510521");
    // A quiet second session brings nothing.
    let again = pull_from_peer(&LocalPeer::new(p.a.clone()), &ctx(&p, 10))
        .await
        .unwrap();
    assert!(again.received.is_empty());
}

#[tokio::test]
async fn an_interrupted_pull_resumes_where_it_stopped() {
    let p = pair(55);
    let cut = LocalPeer::cutting_after(p.a.clone(), 2);
    let report = pull_from_peer(&cut, &ctx(&p, 10)).await.unwrap();
    assert_eq!(report.failures.len(), 1, "the cut is reported");
    assert_eq!(
        p.b.log_state(&p.author).unwrap().size,
        20,
        "two whole chunks committed"
    );
    assert!(p.b.checkpoint(&p.author).unwrap().is_none());

    let peer = LocalPeer::new(p.a.clone());
    let report = pull_from_peer(&peer, &ctx(&p, 10)).await.unwrap();
    assert!(report.failures.is_empty());
    assert_eq!(report.received[0].entries, 35, "only the missing entries");
    assert_eq!(peer.chunks_served(), 4);
    assert_eq!(
        p.b.log_state(&p.author).unwrap(),
        p.a.log_state(&p.author).unwrap()
    );
}

#[tokio::test]
async fn later_appends_arrive_incrementally() {
    let p = pair(30);
    pull_from_peer(&LocalPeer::new(p.a.clone()), &ctx(&p, 1000))
        .await
        .unwrap();
    let more: Vec<OwnRecord> = synth::certificates(&p.author, "荣昌区", 40, 1)[30..]
        .iter()
        .map(own)
        .collect();
    p.writer.submit(more, 0).unwrap();
    let report = pull_from_peer(&LocalPeer::new(p.a.clone()), &ctx(&p, 1000))
        .await
        .unwrap();
    assert_eq!(report.received[0].entries, 10);
    assert_eq!(p.b.log_state(&p.author).unwrap().size, 40);
}

/// A large submission is compared record by record with what is held (looked up on all
/// cores) and with the records before it in the same submission: a record changed later in
/// the submission gets a new entry, an unchanged repeat gets none, and the one append is
/// closed by one checkpoint over the whole log, which pulls and verifies like any other.
#[tokio::test]
async fn a_large_submission_compares_with_what_is_held_and_what_came_before() {
    let p = pair(0);
    let part = 1000;
    let certs = synth::certificates(&p.author, "荣昌区", 2 * part + 10, 3);
    let mut records: Vec<OwnRecord> = certs.iter().map(own).collect();
    // The first record again, unchanged, in the second part; then changed, in the third.
    records.insert(part + 5, own(&certs[0]));
    let mut changed = certs[0].clone();
    changed.name = "改名".into();
    records.push(own(&changed));
    let n = records.len() as u64;
    let out = p.writer.submit(records, 0).unwrap();
    assert_eq!((out.created, out.unchanged), (n - 1, 1));
    assert_eq!(out.log_size, n - 1);
    assert_eq!(p.a.log_state(&p.author).unwrap().size, n - 1);
    let latest =
        p.a.record(EntryKind::Certificate, &p.author, certs[0].cert_no.as_str())
            .unwrap()
            .unwrap();
    assert_eq!(latest.seq, n - 1);
    // The checkpoint covers the whole log.
    let cp = p.a.checkpoint(&p.author).unwrap().unwrap();
    assert_eq!(cp.checkpoint().size, n - 1);
    let report = pull_from_peer(&LocalPeer::new(p.a.clone()), &ctx(&p, 1000))
        .await
        .unwrap();
    assert_eq!(report.received[0].entries, n - 1);
    // Submitting the same records again changes nothing.
    let again: Vec<OwnRecord> = certs[1..].iter().map(own).chain([own(&changed)]).collect();
    let out = p.writer.submit(again, 0).unwrap();
    assert_eq!((out.created, out.log_size), (0, n - 1));
}
