//! Alliance trust with real nodes on loopback: admission by k-of-n decision, key rotation,
//! witnessing, equivocation, restore from an old copy, and a forged genesis.
#![allow(clippy::unwrap_used)]

use bashu_core::entry::{
    EntryDraft, EntryKind, SignedGenesis, sign_checkpoint, sign_entry, verify_entry,
};
use bashu_core::governance::{Decision, Proposal};
use bashu_core::keys::SigningKey;
use bashu_core::merkle::Frontier;
use bashu_core::{CountyCode, Date};
use bashu_node::{Node, NodeConfig, PeerConfig};
use bashu_proto::v1 as pb;
use bashu_sync::Trust;
use bashu_tests::rogue::{RogueData, RoguePeer};
use bashu_tests::{Cluster, Topology};

async fn propose(c: &Cluster, i: usize, id: &str, decision: Decision) {
    let proposal = Proposal {
        proposal_id: id.into(),
        decision,
        effective_date: Date::parse("2026-12-01").unwrap(),
        reason: "test".into(),
    };
    c.client(i)
        .await
        .admin
        .propose(pb::ProposeRequest {
            proposal_json: serde_json::to_string(&proposal).unwrap(),
        })
        .await
        .unwrap();
}

async fn approve(c: &Cluster, i: usize, proposer: usize, id: &str) {
    c.client(i)
        .await
        .admin
        .approve(pb::ApproveRequest {
            proposer: c.county(proposer).to_string(),
            proposal_id: id.into(),
        })
        .await
        .unwrap();
}

fn size(c: &Cluster, at: usize, author: &CountyCode) -> u64 {
    c.node(at).store().log_state(author).unwrap().size
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fourth_county_is_admitted_by_two_of_three_and_then_replicates() {
    let mut c = Cluster::start(3, Topology::FullMesh).await;
    let j = c.add_joiner("500118", "永川区").await;
    let joiner = c.county(j);
    let csv = c.write_csv("j.csv", &c.certificates(j, 30, 9));
    assert_eq!(c.import(j, &csv).await.new, 30);
    for i in 0..3 {
        let p = c.peer_config(j);
        c.add_peer(i, p).await;
    }

    // Not a member: refused everywhere.
    let out = c.node(0).sync_now().await;
    assert!(
        out.iter().any(|o| !o.ok),
        "the joiner's log must be refused"
    );
    assert_eq!(size(&c, 0, &joiner), 0);

    let key = hex::encode(c.signing_key(j).public_key().to_bytes());
    let admit = Decision::AdmitMember {
        county: joiner.clone(),
        name: "永川区".into(),
        signing_key: key,
        endpoint: c.peer_config(j).endpoint,
        tls_cert_sha256: c.tls_pin(j),
    };
    propose(&c, 0, "admit-500118", admit).await;
    // One approval (the proposer's) of the two needed: still refused.
    let _ = c.node(1).sync_now().await;
    assert_eq!(size(&c, 1, &joiner), 0, "refused before the threshold");

    approve(&c, 1, 0, "admit-500118").await;
    for i in 0..3 {
        let _ = c.node(i).sync_now().await;
    }
    for i in 0..3 {
        assert_eq!(
            size(&c, i, &joiner),
            30,
            "node {i} holds the admitted county's log"
        );
    }
    let status = c
        .client(2)
        .await
        .admin
        .alliance_status(pb::AllianceStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(status.members.iter().any(|m| m.county == "500118"));
    let d = status
        .decisions
        .iter()
        .find(|d| d.proposal_id == "admit-500118")
        .unwrap();
    assert!(d.active);
    assert_eq!(d.approvals, vec!["500153".to_owned(), "510521".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_signs_from_its_position_and_the_old_one_no_longer_does() {
    let mut c = Cluster::start(3, Topology::FullMesh).await;
    let a = c.county(0);
    let certs = c.certificates(0, 40, 10);
    let csv = c.write_csv("a1.csv", &certs[..20]);
    c.import(0, &csv).await;
    let old_key = c.signing_key(0);
    let new_key = SigningKey::from_bytes([77; 32]);
    let new_path = c.report.counties[0].dir.join("signing-2.key");
    bashu_node::bootstrap::write_secret(&new_path, &new_key.to_file_string()).unwrap();

    let from_seq = 22; // the proposal is entry 21
    propose(
        &c,
        0,
        "rotate-1",
        Decision::RotateKey {
            county: a.clone(),
            new_key: hex::encode(new_key.public_key().to_bytes()),
            from_seq,
        },
    )
    .await;
    // While the rotation awaits approval, the county appends nothing.
    let csv2 = c.write_csv("a2.csv", &certs);
    let err = c.try_import(0, &csv2).await.unwrap_err();
    assert!(err.to_string().contains("awaits approval"), "{err}");

    c.sync(1).await;
    approve(&c, 1, 0, "rotate-1").await;
    c.sync(0).await;
    // Restarted with the new key, it signs from position 22 on.
    c.stop(0).await;
    c.configs[0].signing_key = new_path;
    c.restart(0).await;
    let s = c.import(0, &csv2).await;
    assert_eq!(s.new, 20);
    c.sync(1).await;
    c.sync(2).await;
    assert_eq!(size(&c, 2, &a), 41);

    // An entry at position 42 signed with the old key is refused.
    let store = c.node(0).store();
    let mut frontier = store.log_state(&a).unwrap().frontier;
    let mut entries = store.entries(&a, 1, 100).unwrap();
    let forged = sign_entry(
        &old_key,
        EntryDraft {
            alliance_id: "bashu-test".into(),
            author: a.clone(),
            seq: 42,
            authored_at_ms: 0,
            kind: EntryKind::Certificate,
            record_id: "forged".into(),
            body: vec![1],
        },
    );
    frontier.push(forged.hash());
    entries.push(forged.into_signed());
    let cp = sign_checkpoint(&old_key, "bashu-test", &a, 42, frontier.root(), 0);
    let mut data = RogueData::default();
    data.add_checkpoint(&cp);
    data.entries.insert(a.to_string(), entries);
    let rogue = RoguePeer::start_for(data, &c.configs[0]).await;
    c.stop(2).await;
    c.configs[2].peers = vec![PeerConfig {
        county: a.to_string(),
        endpoint: rogue.endpoint(),
    }];
    c.restart(2).await;
    let out = c.node(2).sync_now().await;
    assert!(
        !out[0].ok,
        "an old-key checkpoint after the rotation is refused"
    );
    assert_eq!(size(&c, 2, &a), 41);

    // History before the rotation still verifies, entry by entry, under the derived state.
    let store = c.node(2).store();
    let genesis = bashu_node::load_alliance(&c.configs[2].genesis)
        .unwrap()
        .genesis()
        .clone();
    let trust = Trust::load(genesis, store.as_ref()).unwrap();
    let state = trust.current();
    for (i, e) in store.entries(&a, 1, 100).unwrap().into_iter().enumerate() {
        verify_entry(e, &a, i as u64 + 1, state.as_ref()).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witnesses_cosign_and_queries_say_how_many() {
    let c = Cluster::start(3, Topology::FullMesh).await;
    let certs = c.certificates(0, 10, 11);
    let csv = c.write_csv("a.csv", &certs);
    c.import(0, &csv).await;
    c.sync(1).await;
    c.sync(2).await; // learns 1's cosignature and adds its own
    let resp = c
        .client(2)
        .await
        .query
        .find_certificate(pb::FindCertificateRequest {
            cert_no: certs[3].cert_no.as_str().into(),
            name: certs[3].name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let m = &resp.matches[0];
    assert_eq!(m.checkpoint_size, 10);
    assert_eq!(
        m.cosignatures, 2,
        "510521 and 511083 cosigned 500153's checkpoint"
    );
}

/// `n` entries of `author` signed by `key`, whose bodies carry `tag`.
fn fork(key: &SigningKey, author: &CountyCode, n: u64, tag: u8) -> RogueData {
    let mut frontier = Frontier::new();
    let mut entries = Vec::new();
    for seq in 1..=n {
        let e = sign_entry(
            key,
            EntryDraft {
                alliance_id: "bashu-test".into(),
                author: author.clone(),
                seq,
                authored_at_ms: 0,
                kind: EntryKind::Relation,
                record_id: format!("r{seq}"),
                // Positions 1–3 agree; from 4 on the two forks differ.
                body: vec![if seq < 4 { 0 } else { tag }, seq as u8],
            },
        );
        frontier.push(e.hash());
        entries.push(e.into_signed());
    }
    let mut data = RogueData::default();
    data.add_checkpoint(&sign_checkpoint(
        key,
        "bashu-test",
        author,
        n,
        frontier.root(),
        0,
    ));
    data.entries.insert(author.to_string(), entries);
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocating_county_is_frozen_everywhere_within_two_rounds() {
    let mut c = Cluster::start(4, Topology::Edges(vec![])).await;
    let x = c.county(3);
    let key = c.signing_key(3);
    c.stop(3).await;
    let fork_a = RoguePeer::start_for(fork(&key, &x, 6, 0xA), &c.configs[3]).await;
    let fork_b = RoguePeer::start_for(fork(&key, &x, 6, 0xB), &c.configs[3]).await;
    // 0 and 1 see fork A, 2 sees fork B; the honest nodes peer with each other.
    for (i, rogue) in [(0, &fork_a), (1, &fork_a), (2, &fork_b)] {
        c.stop(i).await;
        let mut peers = vec![PeerConfig {
            county: x.to_string(),
            endpoint: rogue.endpoint(),
        }];
        peers.extend((0..3).filter(|j| *j != i).map(|j| c.peer_config(j)));
        c.configs[i].peers = peers;
        c.restart(i).await;
    }
    for _round in 0..2 {
        for i in 0..3 {
            let _ = c.node(i).sync_now().await;
        }
    }
    for i in 0..3 {
        let status = c
            .client(i)
            .await
            .admin
            .alliance_status(pb::AllianceStatusRequest {})
            .await
            .unwrap()
            .into_inner();
        let m = status
            .members
            .iter()
            .find(|m| m.county == x.as_str())
            .unwrap();
        assert!(m.frozen, "node {i} froze {x}");
        assert_eq!(m.frozen_at, 3, "node {i}: consistent up to position 3");
        assert!(status.equivocation_evidence >= 1);
        // No honest node cosigned both forks: cosignatures only over the checkpoint held.
        let held = c.node(i).store().checkpoint(&x).unwrap();
        let cosigs = c.node(i).store().cosignatures(&x).unwrap();
        assert!(held.is_some() || cosigs.is_empty());
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restored_from_an_old_copy_does_not_fork_its_own_log() {
    let mut c = Cluster::start(2, Topology::FullMesh).await;
    let a = c.county(0);
    let certs = c.certificates(0, 25, 12);
    c.import(0, &c.write_csv("a1.csv", &certs[..10])).await;
    c.sync(1).await;
    c.stop(0).await;
    let data = c.configs[0].data_dir.clone();
    let backup = c.dir.path().join("backup");
    copy_dir(&data, &backup);
    c.restart(0).await;
    c.import(0, &c.write_csv("a2.csv", &certs[..20])).await;
    c.sync(1).await;
    assert_eq!(size(&c, 1, &a), 20);

    // Restore the old copy (10 entries) and start again.
    c.stop(0).await;
    std::fs::remove_dir_all(&data).unwrap();
    copy_dir(&backup, &data);
    c.restart(0).await;
    let s = c.import(0, &c.write_csv("a3.csv", &certs)).await;
    assert_eq!(
        s.new, 5,
        "entries 11–20 were learnt back from the peer first"
    );
    assert_eq!(s.log_size, 25);
    c.sync(1).await;
    assert_eq!(size(&c, 1, &a), 25);
    assert!(c.node(1).store().equivocations().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_genesis_with_one_bad_signature_stops_the_node_with_the_county_named() {
    let dir = tempfile::tempdir().unwrap();
    let founders: Vec<_> = [("500153", "荣昌区"), ("510521", "泸县")]
        .iter()
        .map(|(c, n)| bashu_node::bootstrap::Founder {
            county: CountyCode::parse(c).unwrap(),
            name: (*n).into(),
            port: Some(0),
        })
        .collect();
    let report = bashu_node::bootstrap::init_alliance(
        dir.path(),
        &founders,
        &bashu_node::bootstrap::InitOptions {
            alliance_id: "bashu-test".into(),
            alliance_name: "t".into(),
            host: "127.0.0.1".into(),
            base_port: 0,
            threshold: 0,
            founded_on: "2026-11-30".into(),
            sync_interval_secs: 0,
            http_base_port: None,
        },
    )
    .unwrap();
    let mut g = SignedGenesis::decode(&std::fs::read(&report.genesis).unwrap()).unwrap();
    g.signatures[1].1[10] ^= 1;
    std::fs::write(&report.genesis, g.encode()).unwrap();
    let cfg = NodeConfig::load(&report.counties[0].config).unwrap();
    let err = Node::start(cfg, None).await.err().unwrap().to_string();
    assert!(err.contains("genesis"), "{err}");
    assert!(
        err.contains("510521"),
        "names the county whose signature failed: {err}"
    );
}
