//! Security with real nodes on loopback: pinned mutual TLS between nodes, per-method
//! authorisation, limits on every inbound path, R16 at receive, replay.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use tonic::Code;

use bashu_core::codec::Certificate;
use bashu_core::entry::{EntryDraft, EntryKind, sign_checkpoint, sign_entry};
use bashu_core::merkle::Frontier;
use bashu_node::PeerConfig;
use bashu_node::auth::{ClientEntry, ClientRole};
use bashu_node::bootstrap::SecurityOptions;
use bashu_node::client::NodeClient;
use bashu_node::import::{ImportOptions, parse_file};
use bashu_node::tls::{PinSet, TlsIdentity, Validity, client_config, connect_channel};
use bashu_proto::v1 as pb;
use bashu_proto::v1::exchange_client::ExchangeClient;
use bashu_proto::v1::query_client::QueryClient;
use bashu_tests::rogue::{RogueData, RoguePeer};
use bashu_tests::{Cluster, Topology};

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `n` generated certificates of county i as a SubmitRecords request.
fn submission(c: &Cluster, i: usize, n: usize, seed: u64) -> pb::SubmitRecordsRequest {
    let path = c.write_csv(
        &format!("sub-{i}-{n}-{seed}.csv"),
        &c.certificates(i, n, seed),
    );
    let parsed = parse_file(&path, &ImportOptions::default()).unwrap();
    bashu_node::import::submission(&parsed.file.rows)
}

fn size(c: &Cluster, at: usize, author: usize) -> u64 {
    c.node(at)
        .store()
        .log_state(&c.county(author))
        .unwrap()
        .size
}

/// A channel to node i presenting `identity` (or none), accepting node i's certificate.
async fn channel_as(
    c: &Cluster,
    i: usize,
    identity: Option<&TlsIdentity>,
) -> Result<tonic::transport::Channel, String> {
    let pin = hex::decode(c.tls_pin(i)).unwrap().try_into().unwrap();
    let cfg = client_config(identity, Arc::new(PinSet(vec![pin]))).unwrap();
    connect_channel(&c.peer_config(i).endpoint, Some(cfg), None).await
}

fn identity_of(c: &Cluster, i: usize) -> TlsIdentity {
    let tls = c.configs[i].tls.as_ref().unwrap();
    TlsIdentity::load(&tls.cert, &tls.key).unwrap()
}

fn heads_request() -> pb::HeadsRequest {
    pb::HeadsRequest {
        alliance_id: "bashu-test".into(),
        from_county: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_with_a_certificate_not_in_the_alliance_is_refused() {
    let mut c = Cluster::start(2, Topology::FullMesh).await;
    c.import(0, &c.write_csv("a.csv", &c.certificates(0, 20, 1)))
        .await;

    // A stranger with a well-formed certificate the alliance does not pin: the handshake
    // fails, the Exchange service is never reached.
    let stranger =
        bashu_node::tls::generate_identity("510521", Validity::days_from(now_secs(), 30)).unwrap();
    let stranger = TlsIdentity::from_pem(&stranger.cert_pem, &stranger.key_pem).unwrap();
    let refused = match channel_as(&c, 0, Some(&stranger)).await {
        Err(e) => e,
        Ok(ch) => ExchangeClient::new(ch)
            .heads(heads_request())
            .await
            .map(|_| ())
            .unwrap_err()
            .to_string(),
    };
    assert!(!refused.is_empty());

    // The genuine peer certificate is accepted, and Exchange answers it.
    let ch = channel_as(&c, 0, Some(&identity_of(&c, 1))).await.unwrap();
    let heads = ExchangeClient::new(ch)
        .heads(heads_request())
        .await
        .unwrap();
    assert_eq!(heads.into_inner().heads.len(), 1);

    // TLS without a certificate or token: nobody, so no Exchange.
    let ch = channel_as(&c, 0, None).await.unwrap();
    let err = ExchangeClient::new(ch)
        .heads(heads_request())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err}");

    // A node whose certificate is not the pinned one (510521 restarted with a stranger's
    // identity) can neither pull from 500153 nor be pulled from; nothing is stored.
    c.stop(1).await;
    let dir = c.dir.path().join("stranger");
    std::fs::create_dir_all(&dir).unwrap();
    bashu_node::bootstrap::generate_tls_identity(
        &dir,
        "510521",
        Validity::days_from(now_secs(), 30),
    )
    .unwrap();
    c.configs[1].tls = Some(bashu_node::tls::TlsConfig {
        cert: dir.join("tls.crt"),
        key: dir.join("tls.key"),
    });
    c.configs[1].sync.confirm_own_log_on_start = false;
    c.restart(1).await;
    let out = c.node(1).sync_now().await;
    assert!(!out[0].ok, "500153 refuses the unpinned client certificate");
    assert_eq!(size(&c, 1, 0), 0, "nothing of 500153 reached 510521");
    let out = c.node(0).sync_now().await;
    assert!(!out[0].ok, "500153 refuses the unpinned server certificate");
    assert!(
        out[0].errors.join(" ").contains("cannot reach"),
        "{:?}",
        out[0].errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_is_refused_both_ways() {
    let t = now_secs();
    let security = SecurityOptions {
        tls_validity_overrides: vec![(
            bashu_tests::county("510521"),
            Validity {
                not_before: t - 20 * 86_400,
                not_after: t - 10 * 86_400,
            },
        )],
        ..SecurityOptions::default()
    };
    let c = Cluster::start_with(3, Topology::FullMesh, &security, |cfg| {
        cfg.sync.confirm_own_log_on_start = false;
    })
    .await;
    c.import(0, &c.write_csv("a.csv", &c.certificates(0, 10, 3)))
        .await;
    // Even 510521's own operator tools refuse its node's expired certificate.
    let err = c.node(1).operator_client().await.err().unwrap();
    assert!(err.to_string().contains("Expired"), "{err}");

    // 500153 pulls: from 510521 (expired server certificate) refused, from 511083 fine.
    let out = c.node(0).sync_now().await;
    let by = |p: &str| out.iter().find(|o| o.peer == p).unwrap();
    assert!(!by("510521").ok);
    assert!(
        by("510521").errors.join(" ").contains("Expired"),
        "{:?}",
        by("510521").errors
    );
    assert!(by("511083").ok, "{:?}", by("511083").errors);
    assert_eq!(size(&c, 0, 1), 0);

    // 510521 pulls with its expired client certificate: refused by everyone.
    let out = c.node(1).sync_now().await;
    assert!(out.iter().all(|o| !o.ok), "{out:?}");
    assert_eq!(size(&c, 1, 0), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_of_another_county_is_denied_and_nothing_is_stored() {
    let mut c = Cluster::start(2, Topology::FullMesh).await;
    let req = submission(&c, 0, 5, 4);

    // 500153's HR writer at its own node: allowed.
    let own = c.client_with_token(0, &c.token_file(0, "writer")).await;
    let resp = own
        .county
        .clone()
        .submit_records(req.clone())
        .await
        .unwrap();
    assert_eq!(resp.into_inner().created, 5);

    // The same token at 510521's node: unknown there.
    let foreign = c.client_with_token(1, &c.token_file(0, "writer")).await;
    let err = foreign
        .county
        .clone()
        .submit_records(req.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err}");

    // 510521's node configured with a writer bound to 500153: still refused.
    c.stop(1).await;
    let writer_of_0 = c.token_file(0, "writer");
    c.configs[1].clients.push(ClientEntry {
        name: "hr-500153".into(),
        role: ClientRole::CountyWriter,
        county: Some("500153".into()),
        token_file: Some(writer_of_0),
        cert_sha256: None,
    });
    c.restart(1).await;
    let foreign = c.client_with_token(1, &c.token_file(0, "writer")).await;
    let err = foreign
        .county
        .clone()
        .submit_records(submission(&c, 1, 5, 5))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err}");
    assert!(err.message().contains("may not write"), "{}", err.message());
    assert_eq!(size(&c, 1, 1), 0, "nothing stored in 510521's log");
    // A writer may not read either.
    let err = foreign
        .query
        .clone()
        .find_certificate(pb::FindCertificateRequest {
            cert_no: "Y1".into(),
            name: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secretariat_reads_and_nothing_else_and_peers_only_exchange() {
    let c = Cluster::start(2, Topology::FullMesh).await;
    let certs = c.certificates(0, 10, 6);
    c.import(0, &c.write_csv("a.csv", &certs)).await;
    let sec = c
        .client_with_token(0, &c.token_file(0, "secretariat"))
        .await;
    let found = sec
        .query
        .clone()
        .find_certificate(pb::FindCertificateRequest {
            cert_no: certs[1].cert_no.as_str().into(),
            name: certs[1].name.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.into_inner().matches.len(), 1);

    let err = sec
        .county
        .clone()
        .submit_records(submission(&c, 0, 3, 7))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err}");
    let err = sec
        .admin
        .clone()
        .sync_now(pb::SyncNowRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // Full ID numbers only for the operator.
    let err = sec
        .query
        .clone()
        .find_certificate(pb::FindCertificateRequest {
            cert_no: certs[1].cert_no.as_str().into(),
            name: certs[1].name.clone(),
            reveal_id: true,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(size(&c, 0, 0), 10);

    // A peer (510521's pinned certificate) may pull, but not query or write.
    let ch = channel_as(&c, 0, Some(&identity_of(&c, 1))).await.unwrap();
    let err = QueryClient::new(ch.clone())
        .find_certificate(pb::FindCertificateRequest {
            cert_no: certs[1].cert_no.as_str().into(),
            name: certs[1].name.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = bashu_proto::v1::county_client::CountyClient::new(ch)
        .submit_records(submission(&c, 0, 3, 8))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(size(&c, 0, 0), 10, "no path for a peer to write");

    // An unknown token is refused, not ignored.
    let bogus = c.dir.path().join("bogus.token");
    std::fs::write(
        &bogus,
        "bashu-token:0000000000000000000000000000000000000000\n",
    )
    .unwrap();
    let nobody = c.client_with_token(0, &bogus).await;
    let err = nobody
        .admin
        .clone()
        .status(pb::StatusRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_answer_with_their_status_and_the_node_keeps_serving_others() {
    let c = Cluster::start_with(2, Topology::FullMesh, &SecurityOptions::default(), |cfg| {
        cfg.limits.max_message_bytes = 256 * 1024;
        cfg.limits.max_query_message_bytes = 1024;
        cfg.limits.max_items_per_request = 50;
        cfg.limits.rate_per_sec = 2.0;
        cfg.limits.rate_burst = 10.0;
    })
    .await;
    let op = c.client(0).await;

    // Oversized query message.
    let err = op
        .query
        .clone()
        .find_certificate(pb::FindCertificateRequest {
            cert_no: "Y".repeat(2000),
            name: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err}");

    // Oversized submission.
    let mut big = submission(&c, 0, 3, 9);
    big.records[0].origin = "x".repeat(300 * 1024);
    let err = op.county.clone().submit_records(big).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err}");

    // Too many rows in one request.
    let err = op
        .county
        .clone()
        .submit_records(submission(&c, 0, 51, 10))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err}");
    assert!(err.message().contains("50"), "{}", err.message());
    assert_eq!(size(&c, 0, 0), 0, "nothing of a refused request is stored");

    // A flood from the secretariat: beyond the burst, RESOURCE_EXHAUSTED…
    let sec = c
        .client_with_token(0, &c.token_file(0, "secretariat"))
        .await;
    let mut exhausted = 0;
    for _ in 0..30 {
        let r = sec
            .query
            .clone()
            .find_certificate(pb::FindCertificateRequest {
                cert_no: "Y0000500000012341000001".into(),
                name: "x".into(),
                ..Default::default()
            })
            .await;
        if let Err(e) = r {
            assert_eq!(e.code(), Code::ResourceExhausted, "{e}");
            exhausted += 1;
        }
    }
    assert!(exhausted >= 15, "only {exhausted} of 30 refused");
    // …while the operator and the peer are served as before.
    let ok = op
        .county
        .clone()
        .submit_records(submission(&c, 0, 20, 11))
        .await;
    assert_eq!(ok.unwrap().into_inner().created, 20);
    c.sync(1).await;
    assert_eq!(size(&c, 1, 0), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_its_deadline_answers_deadline_exceeded_and_stores_nothing() {
    // One node whose only peer never answers: writes wait for the own-log confirmation,
    // longer than the node's deadline.
    let c = Cluster::start_with(1, Topology::FullMesh, &SecurityOptions::default(), |cfg| {
        cfg.peers = vec![PeerConfig {
            county: "510521".into(),
            endpoint: "https://127.0.0.1:9".into(),
        }];
        cfg.limits.request_timeout_secs = 1;
        cfg.limits.max_concurrent_per_caller = 1;
    })
    .await;
    let op = c.client(0).await;
    let spawn_slow = |seed: u64| {
        let op = op.clone();
        let req = submission(&c, 0, 5, seed);
        tokio::spawn(async move { op.county.clone().submit_records(req).await })
    };
    // While the slow call holds the operator's only slot, a second one is turned away. The
    // slow call itself may arrive while a probe holds the slot; then it is refused and sent again.
    let mut started = std::time::Instant::now();
    let mut slow = spawn_slow(12);
    let mut second = None;
    let give_up = started + Duration::from_secs(20);
    while second.is_none() && std::time::Instant::now() < give_up {
        if slow.is_finished() {
            let lost = slow.await.unwrap().unwrap_err();
            assert_eq!(lost.code(), Code::ResourceExhausted, "{lost}");
            started = std::time::Instant::now();
            slow = spawn_slow(12);
        }
        match op.admin.clone().status(pb::StatusRequest {}).await {
            Err(e) if e.code() == Code::ResourceExhausted => second = Some(e),
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    assert!(second.is_some(), "concurrency limit per caller");
    let err = slow.await.unwrap().unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded, "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(size(&c, 0, 0), 0);
    // A client's own shorter deadline is honoured the same way.
    let mut req = tonic::Request::new(submission(&c, 0, 5, 13));
    req.set_timeout(Duration::from_millis(300));
    let err = op.county.clone().submit_records(req).await.unwrap_err();
    assert!(
        matches!(err.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{err}"
    );
    // The node keeps serving.
    let status = op.admin.clone().status(pb::StatusRequest {}).await.unwrap();
    assert_eq!(status.into_inner().county, "500153");
}

/// A certificate of county 0, signed with county 0's key, whose body `spoil` changes.
fn rogue_certificates(c: &Cluster, n: u64, spoil: impl Fn(u64, &mut Certificate)) -> RogueData {
    let key = c.signing_key(0);
    let a = c.county(0);
    let pseudonym = c.pseudonym();
    let inputs = c.certificates(0, n as usize, 14);
    let mut frontier = Frontier::new();
    let mut entries = Vec::new();
    for (seq, input) in (1..=n).zip(&inputs) {
        let mut cert = Certificate::from_input(input, &pseudonym);
        spoil(seq, &mut cert);
        let e = sign_entry(
            &key,
            EntryDraft {
                alliance_id: "bashu-test".into(),
                author: a.clone(),
                seq,
                authored_at_ms: 0,
                kind: EntryKind::Certificate,
                record_id: cert.cert_no.clone(),
                body: cert.encode(),
            },
        );
        frontier.push(e.hash());
        entries.push(e.into_signed());
    }
    let mut data = RogueData::default();
    data.add_checkpoint(&sign_checkpoint(
        &key,
        "bashu-test",
        &a,
        n,
        frontier.root(),
        0,
    ));
    data.entries.insert(a.to_string(), entries);
    data
}

/// Node 1 pulls only from a rogue holding county 0's TLS identity; returns the errors.
async fn pull_from_rogue(c: &mut Cluster, rogue: &RoguePeer) -> Vec<String> {
    c.stop(1).await;
    c.configs[1].peers = vec![PeerConfig {
        county: c.county(0).to_string(),
        endpoint: rogue.endpoint(),
    }];
    c.restart(1).await;
    let out = c.node(1).sync_now().await;
    out[0].errors.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peers_entry_carrying_a_full_id_number_is_refused() {
    let mut c = Cluster::start(2, Topology::Edges(vec![])).await;
    let inputs = c.certificates(0, 8, 14);
    // Entry 6 carries the holder's full ID number where the mask belongs.
    let full_id = inputs[5].person_id.normalised_number().to_owned();
    let data = rogue_certificates(&c, 8, |seq, cert| {
        if seq == 6 {
            cert.id_masked = full_id.clone();
        }
    });
    let rogue = RoguePeer::start_for(data, &c.configs[0]).await;
    let errors = pull_from_rogue(&mut c, &rogue).await;
    let text = errors.join(" ");
    assert!(text.contains("personal data"), "{errors:?}");
    assert!(text.contains("id_masked"), "names the field: {errors:?}");
    assert!(!text.contains(&full_id), "never the number itself");
    assert_eq!(size(&c, 1, 0), 0, "the chunk is refused whole");

    // And in free text.
    let data = rogue_certificates(&c, 3, |seq, cert| {
        if seq == 2 {
            cert.status_reason = format!("持证人身份证 {full_id}");
        }
    });
    let rogue = RoguePeer::start_for(data, &c.configs[0]).await;
    let errors = pull_from_rogue(&mut c, &rogue).await;
    assert!(errors.join(" ").contains("status_reason"), "{errors:?}");
    assert_eq!(size(&c, 1, 0), 0);

    // The same certificates without the leak replicate.
    let rogue = RoguePeer::start_for(rogue_certificates(&c, 8, |_, _| {}), &c.configs[0]).await;
    let errors = pull_from_rogue(&mut c, &rogue).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(size(&c, 1, 0), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_long_chunk_and_replayed_entries_change_nothing() {
    let mut c = Cluster::start_with(
        2,
        Topology::Edges(vec![]),
        &SecurityOptions::default(),
        |cfg| {
            cfg.sync.max_chunk = 5;
        },
    )
    .await;
    // A peer that sends 20 entries in one chunk when 5 were asked: refused.
    let mut data = rogue_certificates(&c, 20, |_, _| {});
    data.ignore_max_chunk = true;
    let rogue = RoguePeer::start_for(data, &c.configs[0]).await;
    let errors = pull_from_rogue(&mut c, &rogue).await;
    assert!(
        errors.join(" ").contains("more than the 5 asked"),
        "{errors:?}"
    );
    assert_eq!(size(&c, 1, 0), 0);

    // The genuine log arrives.
    let genuine = rogue_certificates(&c, 20, |_, _| {});
    let rogue = RoguePeer::start_for(genuine.clone(), &c.configs[0]).await;
    assert!(pull_from_rogue(&mut c, &rogue).await.is_empty());
    let held = c.node(1).store().log_state(&c.county(0)).unwrap();
    let cp = c.node(1).store().checkpoint(&c.county(0)).unwrap();
    assert_eq!(held.size, 20);

    // Replaying it (the same entries and checkpoint again) is harmless.
    let errors = pull_from_rogue(&mut c, &rogue).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(c.node(1).store().log_state(&c.county(0)).unwrap(), held);

    // An old checkpoint (size 10 of the same log) moves nothing back.
    let old = rogue_certificates(&c, 10, |_, _| {});
    let rogue = RoguePeer::start_for(old, &c.configs[0]).await;
    pull_from_rogue(&mut c, &rogue).await;
    assert_eq!(c.node(1).store().log_state(&c.county(0)).unwrap(), held);
    assert_eq!(c.node(1).store().checkpoint(&c.county(0)).unwrap(), cp);

    // An old entry replayed at a new position (its signed sequence number is 5): refused.
    let key = c.signing_key(0);
    let a = c.county(0);
    let mut entries = genuine.entries[a.as_str()].clone();
    let mut frontier = c.node(1).store().log_state(&a).unwrap().frontier;
    let replayed = entries[4].clone();
    let leaf = bashu_core::merkle::leaf_hash(&replayed.entry);
    frontier.push(leaf);
    entries.push(replayed);
    let mut data = RogueData::default();
    data.add_checkpoint(&sign_checkpoint(
        &key,
        "bashu-test",
        &a,
        21,
        frontier.root(),
        0,
    ));
    data.entries.insert(a.to_string(), entries);
    let rogue = RoguePeer::start_for(data, &c.configs[0]).await;
    let errors = pull_from_rogue(&mut c, &rogue).await;
    assert!(!errors.is_empty());
    assert_eq!(c.node(1).store().log_state(&a).unwrap(), held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_dev_runs_plaintext_and_still_needs_tokens() {
    let security = SecurityOptions {
        insecure_dev: true,
        ..SecurityOptions::default()
    };
    let c = Cluster::start_with(2, Topology::FullMesh, &security, |_| {}).await;
    assert!(c.configs[0].insecure_dev && c.configs[0].tls.is_none());
    c.import(0, &c.write_csv("a.csv", &c.certificates(0, 5, 15)))
        .await;
    c.sync(1).await;
    assert_eq!(size(&c, 1, 0), 5);
    // Plaintext without a token: Exchange (taken for a peer) but not Admin.
    let anon = NodeClient::connect(c.peer_config(0).endpoint)
        .await
        .unwrap();
    let err = anon
        .admin
        .clone()
        .status(pb::StatusRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_listed_in_clients_authenticates_without_a_token() {
    let cert =
        bashu_node::tls::generate_identity("secretariat-pki", Validity::days_from(now_secs(), 30))
            .unwrap();
    let pin = hex::encode(cert.pin);
    let c = Cluster::start_with(
        1,
        Topology::FullMesh,
        &SecurityOptions::default(),
        move |cfg| {
            cfg.clients.push(ClientEntry {
                name: "secretariat-cert".into(),
                role: ClientRole::Secretariat,
                county: None,
                token_file: None,
                cert_sha256: Some(pin.clone()),
            });
        },
    )
    .await;
    let certs = c.certificates(0, 3, 16);
    c.import(0, &c.write_csv("a.csv", &certs)).await;
    let server_pin = hex::decode(c.tls_pin(0)).unwrap().try_into().unwrap();
    let options = |identity| bashu_node::client::ClientOptions {
        tls: Some(bashu_node::client::ClientTls {
            server_pin,
            identity,
        }),
        token: None,
    };
    let identity = TlsIdentity::from_pem(&cert.cert_pem, &cert.key_pem).unwrap();
    let client = NodeClient::connect_with(&c.peer_config(0).endpoint, options(Some(identity)))
        .await
        .unwrap();
    let found = client
        .query
        .clone()
        .find_certificate(pb::FindCertificateRequest {
            cert_no: certs[0].cert_no.as_str().into(),
            name: certs[0].name.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.into_inner().matches.len(), 1);
    let err = client
        .county
        .clone()
        .submit_records(submission(&c, 0, 2, 17))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // The same kind of certificate, not listed: the handshake is refused.
    let other =
        bashu_node::tls::generate_identity("x", Validity::days_from(now_secs(), 30)).unwrap();
    let other = TlsIdentity::from_pem(&other.cert_pem, &other.key_pem).unwrap();
    let refused =
        match NodeClient::connect_with(&c.peer_config(0).endpoint, options(Some(other))).await {
            Err(_) => true,
            Ok(cl) => cl
                .query
                .clone()
                .find_certificate(pb::FindCertificateRequest {
                    cert_no: certs[0].cert_no.as_str().into(),
                    name: certs[0].name.clone(),
                    ..Default::default()
                })
                .await
                .is_err(),
        };
    assert!(refused);
}
