//! Personal data after a real run: every byte of the non-home stores, every log line of
//! the run and the audit trail, scanned for the run's names and full ID numbers.
//!
//! This binary installs a global tracing subscriber that captures every event of every
//! node (DEBUG and up, TRACE for the bashu crates), so it holds this one test only.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use bashu_node::audit::{audit_dir, keyed_hash};
use bashu_proto::v1 as pb;
use bashu_tests::{Cluster, Topology};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,bashu_node=trace,bashu_sync=trace,bashu_store=trace,bashu_core=trace,h2=info,hyper=info,hyper_util=info,tower=info",
            ))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        logs
    })
    .clone()
}

/// Every file under `dir`, concatenated (sled's files, the audit trail, everything).
fn all_bytes(dir: &Path, out: &mut Vec<u8>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            all_bytes(&e.path(), out);
        } else {
            out.extend(std::fs::read(e.path()).unwrap());
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    !n.is_empty() && haystack.windows(n.len()).any(|w| w == n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_full_id_number_leaves_home_and_logs_and_audit_hold_no_personal_data() {
    let logs = capture_logs();
    let c = Cluster::start(3, Topology::FullMesh).await;
    let mut people = Vec::new();
    for i in 0..3 {
        let certs = c.certificates(i, 60, 40 + i as u64);
        let s = c
            .import(i, &c.write_csv(&format!("c{i}.csv"), &certs))
            .await;
        assert_eq!(s.new, 60);
        people.push(certs);
    }
    c.sync_round().await;
    c.sync_round().await;
    for i in 0..3 {
        for j in 0..3 {
            assert_eq!(c.node(i).store().log_state(&c.county(j)).unwrap().size, 60);
        }
    }

    // Queries: the secretariat at 510521 asks for a certificate of each county (with a
    // purpose), by number and name and by name and ID number; the operator of 500153 asks
    // for one of its own with the full ID number revealed.
    let sec = c
        .client_with_token(1, &c.token_file(1, "secretariat"))
        .await;
    sec.set_purpose(Some("核查 case 2026-017"));
    let mut asked = Vec::new();
    for (j, certs) in people.iter().enumerate() {
        let p = &certs[7 + j];
        let by_number = sec
            .query
            .clone()
            .find_certificate(pb::FindCertificateRequest {
                cert_no: p.cert_no.as_str().into(),
                name: p.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(by_number.matches.len(), 1);
        assert!(by_number.matches[0].id_no.is_empty());
        let by_id = sec
            .query
            .clone()
            .find_certificate(pb::FindCertificateRequest {
                name: p.name.clone(),
                id_no: p.person_id.normalised_number().into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(!by_id.matches.is_empty());
        asked.push(p.clone());
    }
    let op = c.client(0).await;
    let own = &people[0][3];
    let revealed = op
        .query
        .clone()
        .find_certificate(pb::FindCertificateRequest {
            cert_no: own.cert_no.as_str().into(),
            name: own.name.clone(),
            reveal_id: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        revealed.matches[0].id_no,
        own.person_id.normalised_number(),
        "the home node shows its own operator the full number"
    );

    // 1. The stores: a county's full ID numbers are on its own node only.
    let mut dirs = Vec::new();
    for i in 0..3 {
        let mut bytes = Vec::new();
        all_bytes(&c.configs[i].data_dir, &mut bytes);
        dirs.push(bytes);
    }
    for (home, certs) in people.iter().enumerate() {
        for p in certs {
            let id = p.person_id.normalised_number();
            for (i, bytes) in dirs.iter().enumerate() {
                if i != home {
                    assert!(
                        !contains(bytes, id),
                        "node {i} holds a full ID number of county {home}"
                    );
                }
            }
        }
        // The scan can see: the home node does hold its own people's numbers.
        assert!(
            certs
                .iter()
                .any(|p| contains(&dirs[home], p.person_id.normalised_number())),
            "home node {home}'s data holds its full ID numbers (scan sanity)"
        );
    }

    // 2. The logs of the whole run: no name, no full ID number.
    let text = logs.0.lock().unwrap().clone();
    assert!(
        contains(&text, "rpc") || contains(&text, "received entries"),
        "logs were captured"
    );
    for p in people.iter().flatten() {
        assert!(
            !contains(&text, p.person_id.normalised_number()),
            "a log line carries an ID number"
        );
        if p.name.chars().count() >= 2 {
            assert!(!contains(&text, &p.name), "a log line carries a name");
        }
    }

    // 3. The audit trail of 510521 lists each query: who, what (keyed hashes), why.
    let trail = c
        .client(1)
        .await
        .admin
        .clone()
        .audit(pb::AuditRequest {
            since_ms: 0,
            limit: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    let finds: Vec<_> = trail
        .iter()
        .filter(|r| r.method == "/bashu.v1.Query/FindCertificate")
        .collect();
    assert_eq!(finds.len(), 6, "two queries per county");
    let key_text =
        std::fs::read_to_string(audit_dir(&c.configs[1].data_dir).join("audit.key")).unwrap();
    let key: [u8; 32] = hex::decode(key_text.trim().trim_start_matches("audit-hmac:"))
        .unwrap()
        .try_into()
        .unwrap();
    for (r, p) in finds.chunks(2).zip(&asked) {
        for rec in r {
            assert_eq!(rec.caller, "secretariat");
            assert_eq!(rec.role, "secretariat");
            assert_eq!(rec.purpose, "核查 case 2026-017");
            assert_eq!(rec.outcome, "OK");
            assert_eq!(rec.request_hash.len(), 64);
            assert_eq!(rec.fields["name"], keyed_hash(&key, p.name.as_bytes()));
        }
        assert_eq!(
            r[0].fields["cert_no"],
            keyed_hash(&key, p.cert_no.as_str().as_bytes())
        );
        assert_eq!(
            r[1].fields["id_no"],
            keyed_hash(&key, p.person_id.normalised_number().as_bytes())
        );
    }
    // 500153's trail has the operator's reveal, flagged in clear.
    let trail0 = c
        .client(0)
        .await
        .admin
        .clone()
        .audit(pb::AuditRequest {
            since_ms: 0,
            limit: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    assert!(
        trail0.iter().any(|r| r.caller == "operator"
            && r.fields.get("reveal_id").map(String::as_str) == Some("1"))
    );
    // No value in clear anywhere in the trail files.
    for i in 0..3 {
        let mut bytes = Vec::new();
        all_bytes(&audit_dir(&c.configs[i].data_dir), &mut bytes);
        for p in people.iter().flatten() {
            assert!(!contains(&bytes, p.person_id.normalised_number()));
            assert!(!contains(&bytes, &p.name));
            assert!(!contains(&bytes, p.cert_no.as_str()));
        }
    }
}
