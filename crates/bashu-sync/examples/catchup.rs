//! Where a full catch-up spends its time, without network or TLS: builds a sled store of
//! N certificate entries, then a second sled store pulls them in-process, and times
//! verification and storage separately.
//!
//! `cargo run --release -p bashu-sync --example catchup -- 200000`
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use bashu_core::codec::Certificate;
use bashu_core::entry::{EntryKind, Genesis, Member, SignedGenesis};
use bashu_core::keys::SigningKey;
use bashu_core::person::PseudonymKey;
use bashu_core::{CountyCode, synth};
use bashu_store::{SledStore, Store};
use bashu_sync::{
    LocalAuthor, LocalPeer, OwnRecord, SyncContext, Trust, pull_from_peer, verify_chunk,
};

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
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
    let genesis = SignedGenesis::sign(&genesis, &[(&ca, &ka), (&cb, &kb)])
        .verify()
        .unwrap()
        .genesis()
        .clone();
    let mem = std::env::var("BASHU_BENCH_STORE").is_ok_and(|v| v == "mem");
    let open = |name: &str| -> Arc<dyn Store> {
        if mem {
            Arc::new(bashu_store::MemStore::new())
        } else {
            Arc::new(SledStore::open(&dir.path().join(name), 64 << 20).unwrap())
        }
    };
    let (a, b) = (open("a"), open("b"));
    println!("store: {}", if mem { "in-memory" } else { "sled" });
    let trust_a = Arc::new(Trust::load(genesis.clone(), a.as_ref()).unwrap());
    let trust_b = Arc::new(Trust::load(genesis, b.as_ref()).unwrap());
    let writer = LocalAuthor::new(a.clone(), trust_a, ka, "t".into(), ca.clone());
    let pseudonym = PseudonymKey::from_bytes([9; 32]);

    let t = Instant::now();
    let records: Vec<OwnRecord> = synth::certificates(&ca, "荣昌区", n, 1)
        .iter()
        .map(|c| {
            let cert = Certificate::from_input(c, &pseudonym);
            OwnRecord {
                kind: EntryKind::Certificate,
                record_id: cert.cert_no.clone(),
                body: cert.encode(),
                home: Vec::new(),
            }
        })
        .collect();
    println!("generate {n} bodies: {:.2}s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    for batch in records.chunks(2000) {
        writer.submit(batch.to_vec(), 0).unwrap();
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "author: diff + sign + store: {:.0} entries/s ({s:.2}s)",
        n as f64 / s
    );

    let entries = a.entries(&ca, 1, n).unwrap();
    let one = entries[0].clone();
    let state = trust_b.current();
    let t = Instant::now();
    for _ in 0..5000 {
        bashu_core::entry::verify_entry(one.clone(), &ca, 1, state.as_ref()).unwrap();
    }
    println!(
        "verify_entry, one thread: {:.0}/s",
        5000.0 / t.elapsed().as_secs_f64()
    );
    let pk = SigningKey::from_bytes([1; 32]);
    let sig = pk.sign(bashu_core::keys::Domain::Entry, &one.entry);
    let pubk = pk.public_key();
    let t = Instant::now();
    for _ in 0..5000 {
        pubk.verify(bashu_core::keys::Domain::Entry, &one.entry, &sig)
            .unwrap();
    }
    println!(
        "verify_strict alone, one thread: {:.0}/s",
        5000.0 / t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    for (i, chunk) in entries[..20_000.min(n)].chunks(32).enumerate() {
        verify_chunk(
            &ca,
            1 + (i * 32) as u64,
            chunk.to_vec(),
            trust_b.current().as_ref(),
        )
        .unwrap();
    }
    println!(
        "verify + R16 check, one thread: {:.0} entries/s",
        20_000.min(n) as f64 / t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    for _ in 0..20_000 {
        bashu_sync::privacy::check_body(EntryKind::Certificate, &one.body).unwrap();
    }
    println!(
        "R16 check alone, one thread: {:.0}/s",
        20_000.0 / t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    for (i, chunk) in entries.chunks(1024).enumerate() {
        verify_chunk(
            &ca,
            1 + (i * 1024) as u64,
            chunk.to_vec(),
            trust_b.current().as_ref(),
        )
        .unwrap();
    }
    let s = t.elapsed().as_secs_f64();
    println!("verify only (all cores): {:.0} entries/s", n as f64 / s);

    drop(entries);
    // The pull's own peak: VmHWM restarts from the current RSS (Linux ≥ 4.0).
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let (rss_before, _) = rss_mib();
    let t = Instant::now();
    let ctx = SyncContext {
        store: b.clone(),
        trust: trust_b,
        witness: Some((cb, kb)),
        max_chunk: 1024,
    };
    let report = pull_from_peer(&LocalPeer::new(a.clone()), &ctx)
        .await
        .unwrap();
    let s = t.elapsed().as_secs_f64();
    assert!(report.failures.is_empty());
    println!(
        "pull: read + verify + store: {:.0} entries/s ({s:.2}s)",
        n as f64 / s
    );
    let (_, peak) = rss_mib();
    if reset {
        println!(
            "RSS before the pull / peak during it: {rss_before:.0} / {peak:.0} MiB (both stores, 64 MiB sled cache each)"
        );
    }
}

/// Resident set size now and at its peak, MiB.
fn rss_mib() -> (f64, f64) {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
