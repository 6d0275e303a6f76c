//! Properties of replication over in-process peers (no sockets, no clock):
//!
//! - whatever the order in which a node meets its peers and their heads, whether chunks
//!   arrive duplicated, swapped, split, overlapping, missing or cut off, and whether the
//!   peers it meets are stale, it ends — after one clean session — in exactly the state of
//!   a node that received everything in order; at no point does it hold anything but a
//!   verified prefix of each author's log;
//! - re-applying what it holds (another session, the same entries, the same checkpoint)
//!   changes nothing;
//! - the rules give byte-identical verdicts whatever the arrival order.
//!
//! `BASHU_LONG=1` runs many more cases.
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use bashu_core::codec::Certificate;
use bashu_core::entry::SignedGenesis;
use bashu_core::entry::{EntryKind, Genesis, Member, SignedEntry, VerifiedEntry};
use bashu_core::import::{Format, parse_records};
use bashu_core::keys::SigningKey;
use bashu_core::person::PseudonymKey;
use bashu_core::{CountyCode, Date, synth};
use bashu_store::{
    AppendBatch, LogState, MemStore, RecordPointer, Store, StoreError, StoreSnapshot,
    StoredEquivocation,
};
use bashu_sync::{
    ChunkStream, LocalPeer, OwnRecord, RawHeads, SyncContext, Transport, TransportError,
    pull_from_peer, root_at, serve_heads, serve_pull_chunk,
};
use bashu_sync::{LocalAuthor, Trust};

const COUNTIES: [(&str, &str); 3] = [
    ("500153", "荣昌区"),
    ("510521", "泸县"),
    ("511083", "隆昌市"),
];
const AS_OF: &str = "2026-11-30";

fn long() -> bool {
    std::env::var("BASHU_LONG").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn county(code: &str) -> CountyCode {
    CountyCode::parse(code).unwrap()
}

// ---------------------------------------------------------------------------------------
// The world: three counties' logs, written in several batches (so with several
// checkpoints), with institutions, filings (one suspended), certificates and newer
// versions of some of them; peers that hold them whole, and stale peers.

struct World {
    genesis: Genesis,
    counties: Vec<CountyCode>,
    /// Where a receiver can pull from: each county's own node, a relay holding every log,
    /// and stale copies taken while the logs were being written.
    sources: Vec<Arc<dyn Store>>,
    /// The relay (index into `sources`): every log, complete.
    relay: usize,
    /// State and verdicts of a node that received everything in order.
    reference: Dump,
    verdicts: Vec<u8>,
    cert_nos: Vec<String>,
}

fn reference_records(code: &CountyCode, name: &str, n: u64) -> Vec<OwnRecord> {
    use std::fmt::Write as _;
    let pseudonym = PseudonymKey::from_bytes([9; 32]);
    let insts = synth::institutions(code, name, 100 + n);
    let mut inst_csv = String::from(
        "uscc,name,kind,mohrss_code,province_code2,site_serial,division_code,address\n",
    );
    let mut filing_csv = String::from(
        "filing_no,institution_uscc,filing_type,authority_code,authority_level,scope,effective_from,effective_to,status,status_effective_at,status_reason\n",
    );
    let scope: Vec<String> = synth::OCCUPATIONS
        .iter()
        .map(|(c, _, _)| format!("{c}/*:1-5"))
        .collect();
    for (i, inst) in insts.iter().enumerate() {
        writeln!(
            inst_csv,
            "{},{},{},{},{},{},{},地址",
            inst.uscc,
            inst.name,
            inst.kind,
            inst.code,
            code.province_code(),
            inst.site_serial,
            code
        )
        .unwrap();
        let (status, at) = if i + 1 == insts.len() {
            ("SUSPENDED", "2022-06-01")
        } else {
            ("ACTIVE", "")
        };
        writeln!(
            filing_csv,
            "{},{},SKILL_LEVEL,{},COUNTY,{},2019-01-01,,{status},{at},",
            inst.filing_no,
            inst.uscc,
            code,
            scope.join(";")
        )
        .unwrap();
    }
    let mut out = Vec::new();
    for (file, text) in [("inst.csv", inst_csv), ("filing.csv", filing_csv)] {
        let parsed = parse_records(text.as_bytes(), file, Format::Csv, None, false).unwrap();
        assert!(parsed.file.refused.is_empty(), "{:?}", parsed.file.refused);
        for row in parsed.file.rows {
            for r in row.value.input.into_records(&pseudonym).records {
                out.push(OwnRecord {
                    kind: r.kind(),
                    record_id: r.record_id(),
                    body: r.encode(),
                    home: Vec::new(),
                });
            }
        }
    }
    let certs = synth::certificates(code, name, 30, 100 + n);
    for c in &certs {
        let cert = Certificate::from_input(c, &pseudonym);
        out.push(OwnRecord {
            kind: EntryKind::Certificate,
            record_id: cert.cert_no.clone(),
            body: cert.encode(),
            home: Vec::new(),
        });
    }
    // Newer versions of a few certificates (a corrected name): the latest one counts.
    for c in certs.iter().step_by(7) {
        let mut c = c.clone();
        c.name.push('某');
        let cert = Certificate::from_input(&c, &pseudonym);
        out.push(OwnRecord {
            kind: EntryKind::Certificate,
            record_id: cert.cert_no.clone(),
            body: cert.encode(),
            home: Vec::new(),
        });
    }
    out
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn ctx(store: &Arc<dyn Store>, trust: &Arc<Trust>, max_chunk: u32) -> SyncContext {
    SyncContext {
        store: store.clone(),
        trust: trust.clone(),
        witness: None,
        max_chunk,
    }
}

/// A fresh node's store and trust.
fn receiver(genesis: &Genesis) -> (Arc<dyn Store>, Arc<Trust>) {
    let store: Arc<dyn Store> = Arc::new(MemStore::new());
    let trust = Arc::new(Trust::load(genesis.clone(), store.as_ref()).unwrap());
    (store, trust)
}

static WORLD: LazyLock<World> = LazyLock::new(build_world);
static COMPARED: AtomicUsize = AtomicUsize::new(0);
/// Faulty sessions run, and those the puller reported a failure in.
static SESSIONS: AtomicUsize = AtomicUsize::new(0);
static FAULTED: AtomicUsize = AtomicUsize::new(0);

fn build_world() -> World {
    let keys: Vec<(CountyCode, SigningKey)> = COUNTIES
        .iter()
        .enumerate()
        .map(|(i, (c, _))| (county(c), SigningKey::from_bytes([i as u8 + 1; 32])))
        .collect();
    let genesis = Genesis {
        alliance_id: "props".into(),
        name: "props".into(),
        members: keys
            .iter()
            .map(|(c, k)| Member {
                county: c.clone(),
                name: c.to_string(),
                province: c.province_code().to_owned(),
                signing_key: k.public_key(),
                endpoint: String::new(),
                tls_cert_sha256: Vec::new(),
            })
            .collect(),
        threshold: 2,
        founded_on: "2026-01-01".into(),
        rule_parameters_json: bashu_rules::RuleParams::alliance_default().to_json(),
    };
    let founders: Vec<(&CountyCode, &SigningKey)> = keys.iter().map(|(c, k)| (c, k)).collect();
    let genesis = SignedGenesis::sign(&genesis, &founders)
        .verify()
        .unwrap()
        .genesis()
        .clone();

    let rt = runtime();
    let mut sources: Vec<Arc<dyn Store>> = Vec::new();
    let mut homes = Vec::new();
    for (n, ((code, key), (_, name))) in keys.iter().zip(COUNTIES).enumerate() {
        let (home, trust) = receiver(&genesis);
        let author = LocalAuthor::new(
            home.clone(),
            trust,
            key.clone(),
            "props".into(),
            code.clone(),
        );
        let records = reference_records(code, name, n as u64);
        let mut at = 0;
        for (b, size) in [3usize, 9, 1, 14, 20, 6].iter().cycle().enumerate() {
            if at >= records.len() {
                break;
            }
            let end = (at + size).min(records.len());
            author
                .submit(records[at..end].to_vec(), 1_000 * b as i64)
                .unwrap();
            at = end;
            // Stale copies of this county's log part way.
            if b == 1 || b == 4 {
                let (stale, t) = receiver(&genesis);
                let report = rt
                    .block_on(pull_from_peer(
                        &LocalPeer::new(home.clone()),
                        &ctx(&stale, &t, 1000),
                    ))
                    .unwrap();
                assert!(report.failures.is_empty());
                sources.push(stale);
            }
        }
        homes.push(home.clone());
        sources.push(home);
    }
    // The relay: pulls every home in order.
    let (relay, relay_trust) = receiver(&genesis);
    for home in &homes {
        let report = rt
            .block_on(pull_from_peer(
                &LocalPeer::new(home.clone()),
                &ctx(&relay, &relay_trust, 1000),
            ))
            .unwrap();
        assert!(report.failures.is_empty(), "{:?}", report.failures);
    }
    let mut cert_nos: Vec<String> = relay
        .records_of_kind(EntryKind::Certificate)
        .unwrap()
        .into_iter()
        .map(|p| p.record_id)
        .collect();
    cert_nos.sort();
    cert_nos.dedup();
    let counties: Vec<CountyCode> = keys.iter().map(|(c, _)| c.clone()).collect();
    let reference = Dump::of(relay.as_ref(), &cert_nos);
    let verdicts = verdicts(&relay, &relay_trust, &cert_nos, &counties);
    let text = String::from_utf8_lossy(&verdicts);
    assert!(
        text.contains("RECOGNISED") && text.contains("REJECTED"),
        "the reference data has both outcomes, so comparing verdicts compares something"
    );
    sources.push(relay);
    World {
        genesis,
        counties,
        relay: sources.len() - 1,
        sources,
        reference,
        verdicts,
        cert_nos,
    }
}

// ---------------------------------------------------------------------------------------
// A store's state, read through the `Store` trait only.

#[derive(Debug, PartialEq)]
struct Dump {
    authors: Vec<CountyCode>,
    logs: Vec<(CountyCode, LogState, Vec<SignedEntry>)>,
    /// The latest checkpoint held per author (encoded).
    checkpoints: Vec<Option<Vec<u8>>>,
    records: Vec<(EntryKind, Vec<RecordPointer>)>,
    bodies: Vec<Option<Vec<u8>>>,
    by_number: Vec<Vec<RecordPointer>>,
    equivocations: Vec<StoredEquivocation>,
}

impl Dump {
    fn of(store: &dyn Store, cert_nos: &[String]) -> Dump {
        let authors = store.authors().unwrap();
        let logs = authors
            .iter()
            .map(|a| {
                let st = store.log_state(a).unwrap();
                let entries = store
                    .entries(a, 1, usize::try_from(st.size).unwrap() + 1)
                    .unwrap();
                (a.clone(), st, entries)
            })
            .collect();
        let checkpoints = authors
            .iter()
            .map(|a| store.checkpoint(a).unwrap().map(|c| c.encode()))
            .collect();
        let records: Vec<(EntryKind, Vec<RecordPointer>)> = EntryKind::ALL
            .iter()
            .map(|k| (*k, store.records_of_kind(*k).unwrap()))
            .collect();
        let bodies = records
            .iter()
            .flat_map(|(_, ps)| ps.iter())
            .map(|p| store.body(p).unwrap())
            .collect();
        let by_number = cert_nos
            .iter()
            .map(|n| store.certificates_by_number(n).unwrap())
            .collect();
        Dump {
            authors,
            logs,
            checkpoints,
            records,
            bodies,
            by_number,
            equivocations: store.equivocations().unwrap(),
        }
    }

    /// The same state without the checkpoints: two nodes holding the same entries may
    /// hold different (older or newer, all matching) checkpoints of them.
    fn content(mut self) -> Dump {
        self.checkpoints.clear();
        self
    }
}

/// Every certificate's recognition verdict in every county, as canonical JSON lines.
fn verdicts(
    store: &Arc<dyn Store>,
    trust: &Trust,
    cert_nos: &[String],
    counties: &[CountyCode],
) -> Vec<u8> {
    let state = trust.current();
    let as_of = Date::parse(AS_OF).unwrap();
    let (params, skipped) = bashu_rules::params_in_force(&state, as_of).unwrap();
    assert!(skipped.is_empty());
    let snap = StoreSnapshot::load(store.clone(), state, params).unwrap();
    let mut out = Vec::new();
    for no in cert_nos {
        for cert in bashu_rules::Snapshot::certificates_by_number(&snap, no) {
            for c in counties {
                out.extend(
                    bashu_rules::check_recognition(&snap, &cert, c, as_of).to_canonical_json(),
                );
                out.push(b'\n');
            }
        }
    }
    out
}

/// What must hold at every moment: each author's log held is a prefix of the author's
/// real log, and a checkpoint held describes the log at its size.
fn assert_verified_prefixes(store: &dyn Store, w: &World) {
    for (a, _, full) in &w.reference.logs {
        let st = store.log_state(a).unwrap();
        let held = store
            .entries(a, 1, usize::try_from(st.size).unwrap() + 1)
            .unwrap();
        assert_eq!(held.len() as u64, st.size, "{a}: size and entries agree");
        assert_eq!(
            held[..],
            full[..held.len()],
            "{a}: a prefix of the real log"
        );
        if let Some(cp) = store.checkpoint(a).unwrap() {
            let cp = cp.checkpoint();
            assert!(cp.size <= st.size, "{a}: checkpoint beyond the log");
            assert_eq!(
                root_at(store, a, cp.size).unwrap(),
                Some(cp.root),
                "{a}: checkpoint root matches the log"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// A peer that misdelivers.

/// What happens to one chunk on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkFault {
    Deliver,
    /// Sent twice.
    Duplicate,
    /// The next chunk is sent first.
    SwapWithNext,
    /// Never sent (a gap).
    Drop,
    /// The stream breaks before it.
    Cut,
    /// Sent as two chunks.
    Split,
    /// Sent with the previous chunk's last entry again in front.
    Overlap,
    /// The stream ends early, without an error.
    EndEarly,
}

fn chunk_fault() -> impl Strategy<Value = ChunkFault> {
    prop_oneof![
        6 => Just(ChunkFault::Deliver),
        1 => Just(ChunkFault::Duplicate),
        1 => Just(ChunkFault::SwapWithNext),
        1 => Just(ChunkFault::Drop),
        1 => Just(ChunkFault::Cut),
        1 => Just(ChunkFault::Split),
        1 => Just(ChunkFault::Overlap),
        1 => Just(ChunkFault::EndEarly),
    ]
}

/// One session of the receiver with one source.
#[derive(Debug, Clone)]
struct Session {
    source: usize,
    max_chunk: u32,
    /// Rotation of the heads list (the order in which authors are pulled).
    rotate: usize,
    faults: Vec<ChunkFault>,
}

fn session(sources: usize) -> impl Strategy<Value = Session> {
    (
        0..sources,
        1u32..40,
        0usize..4,
        proptest::collection::vec(chunk_fault(), 0..12),
    )
        .prop_map(|(source, max_chunk, rotate, faults)| Session {
            source,
            max_chunk,
            rotate,
            faults,
        })
}

struct FaultyPeer {
    store: Arc<dyn Store>,
    rotate: usize,
    /// Faults for the chunks of this session, in order across authors; then clean.
    faults: Mutex<VecDeque<ChunkFault>>,
}

struct Script(VecDeque<Result<Option<Vec<SignedEntry>>, TransportError>>);

impl ChunkStream for Script {
    async fn next_chunk(&mut self) -> Result<Option<Vec<SignedEntry>>, TransportError> {
        self.0.pop_front().unwrap_or(Ok(None))
    }
}

impl Transport for FaultyPeer {
    type Chunks = Script;

    async fn heads(&self) -> Result<RawHeads, TransportError> {
        let heads = serve_heads(self.store.as_ref()).map_err(|e| TransportError(e.to_string()))?;
        let mut raw = heads.into_raw();
        if !raw.heads.is_empty() {
            let n = self.rotate % raw.heads.len();
            raw.heads.rotate_left(n);
        }
        Ok(raw)
    }

    async fn pull(
        &self,
        author: &CountyCode,
        from_seq: u64,
        to_seq: u64,
        max_chunk: u32,
    ) -> Result<Script, TransportError> {
        // The honest chunks first, then what the faults make of them.
        let mut honest = VecDeque::new();
        let mut next = from_seq;
        loop {
            let c = serve_pull_chunk(
                self.store.as_ref(),
                author,
                next,
                to_seq,
                max_chunk as usize,
            )
            .map_err(|e| TransportError(e.to_string()))?;
            if c.is_empty() {
                break;
            }
            next += c.len() as u64;
            honest.push_back(c);
        }
        let mut faults = self.faults.lock().unwrap();
        let mut out = VecDeque::new();
        let mut last: Option<SignedEntry> = None;
        while let Some(chunk) = honest.pop_front() {
            let fault = faults.pop_front().unwrap_or(ChunkFault::Deliver);
            match fault {
                ChunkFault::Deliver => out.push_back(Ok(Some(chunk.clone()))),
                ChunkFault::Duplicate => {
                    out.push_back(Ok(Some(chunk.clone())));
                    out.push_back(Ok(Some(chunk.clone())));
                }
                ChunkFault::SwapWithNext => {
                    if let Some(next) = honest.pop_front() {
                        out.push_back(Ok(Some(next)));
                    }
                    out.push_back(Ok(Some(chunk.clone())));
                }
                ChunkFault::Drop => {}
                ChunkFault::Cut => {
                    out.push_back(Err(TransportError("connection cut".into())));
                    break;
                }
                ChunkFault::Split => {
                    let mid = chunk.len().div_ceil(2);
                    out.push_back(Ok(Some(chunk[..mid].to_vec())));
                    if mid < chunk.len() {
                        out.push_back(Ok(Some(chunk[mid..].to_vec())));
                    }
                }
                ChunkFault::Overlap => {
                    let mut c = Vec::new();
                    c.extend(last.clone());
                    c.extend(chunk.iter().cloned());
                    out.push_back(Ok(Some(c)));
                }
                ChunkFault::EndEarly => break,
            }
            last = chunk.last().cloned();
        }
        Ok(Script(out))
    }
}

// ---------------------------------------------------------------------------------------
// The properties

/// Runs `sessions` against a fresh node, checking the prefix invariant after each; then
/// one clean session with the relay. Returns the node.
fn deliver(
    w: &World,
    sessions: &[Session],
    rt: &tokio::runtime::Runtime,
) -> (Arc<dyn Store>, Arc<Trust>) {
    let (store, trust) = receiver(&w.genesis);
    for s in sessions {
        let peer = FaultyPeer {
            store: w.sources[s.source].clone(),
            rotate: s.rotate,
            faults: Mutex::new(s.faults.iter().copied().collect()),
        };
        // Faults are reported, never fatal to the session, and never store anything bad.
        let report = rt
            .block_on(pull_from_peer(&peer, &ctx(&store, &trust, s.max_chunk)))
            .unwrap();
        SESSIONS.fetch_add(1, Ordering::Relaxed);
        if !report.failures.is_empty() {
            FAULTED.fetch_add(1, Ordering::Relaxed);
        }
        assert!(
            report.equivocations.is_empty(),
            "misdelivery is not equivocation"
        );
        assert_verified_prefixes(store.as_ref(), w);
    }
    let clean = LocalPeer::new(w.sources[w.relay].clone());
    let report = rt
        .block_on(pull_from_peer(&clean, &ctx(&store, &trust, 16)))
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    (store, trust)
}

fn config() -> Config {
    Config {
        cases: if long() { 1024 } else { 48 },
        failure_persistence: None,
        ..Config::default()
    }
}

#[test]
fn any_delivery_order_duplication_or_interruption_yields_the_same_state_and_verdicts() {
    let w = &*WORLD;
    let rt = runtime();
    let mut runner = TestRunner::new(config());
    let strategy = proptest::collection::vec(session(w.sources.len()), 0..7);
    runner
        .run(&strategy, |sessions| {
            let (store, trust) = deliver(w, &sessions, &rt);
            prop_assert_eq!(&Dump::of(store.as_ref(), &w.cert_nos), &w.reference);
            let v = verdicts(&store, &trust, &w.cert_nos, &w.counties);
            prop_assert!(v == w.verdicts, "verdicts depend on arrival order");
            Ok(())
        })
        .unwrap();
    let (sessions, faulted) = (
        SESSIONS.load(Ordering::Relaxed),
        FAULTED.load(Ordering::Relaxed),
    );
    println!(
        "properties: cases={} faulty sessions={sessions} reported failures={faulted} \
         entries={} verdicts={}",
        config().cases,
        w.reference.logs.iter().map(|l| l.2.len()).sum::<usize>(),
        w.verdicts.iter().filter(|b| **b == b'\n').count()
    );
    assert!(faulted > 0, "the faults were felt");
}

/// The relay, serving each author's log only up to a given size (then the stream ends):
/// a node fed by it holds exactly those prefixes, received in its own order and chunks.
struct PrefixPeer {
    store: Arc<dyn Store>,
    rotate: usize,
    upto: Vec<(CountyCode, u64)>,
}

impl Transport for PrefixPeer {
    type Chunks = Script;

    async fn heads(&self) -> Result<RawHeads, TransportError> {
        FaultyPeer {
            store: self.store.clone(),
            rotate: self.rotate,
            faults: Mutex::default(),
        }
        .heads()
        .await
    }

    async fn pull(
        &self,
        author: &CountyCode,
        from_seq: u64,
        to_seq: u64,
        max_chunk: u32,
    ) -> Result<Script, TransportError> {
        let limit = self
            .upto
            .iter()
            .find(|(a, _)| a == author)
            .map_or(0, |(_, n)| *n);
        let mut out = VecDeque::new();
        let mut next = from_seq;
        let last = to_seq.min(limit);
        while next <= last {
            let c = serve_pull_chunk(self.store.as_ref(), author, next, last, max_chunk as usize)
                .map_err(|e| TransportError(e.to_string()))?;
            if c.is_empty() {
                break;
            }
            next += c.len() as u64;
            out.push_back(Ok(Some(c)));
        }
        Ok(Script(out))
    }
}

#[test]
fn two_nodes_holding_the_same_entries_received_differently_give_byte_identical_verdicts() {
    // Before they are complete too: node a is fed by a random faulty plan; node b gets
    // exactly the log prefixes a ended with, from the relay, in other orders and chunks.
    let w = &*WORLD;
    let rt = runtime();
    let mut runner = TestRunner::new(Config {
        cases: if long() { 256 } else { 24 },
        ..config()
    });
    let strategy = (
        proptest::collection::vec(session(w.sources.len()), 1..5),
        (1u32..30, 1u32..30, 0usize..4, 0usize..4, 0u64..=100),
    );
    runner
        .run(&strategy, |(plan, (c1, c2, r1, r2, pct))| {
            let (sa, ta) = receiver(&w.genesis);
            for s in &plan {
                let peer = FaultyPeer {
                    store: w.sources[s.source].clone(),
                    rotate: s.rotate,
                    faults: Mutex::new(s.faults.iter().copied().collect()),
                };
                rt.block_on(pull_from_peer(&peer, &ctx(&sa, &ta, s.max_chunk)))
                    .unwrap();
            }
            let sizes: Vec<(CountyCode, u64)> = w
                .counties
                .iter()
                .map(|c| (c.clone(), sa.log_state(c).unwrap().size))
                .collect();
            let (sb, tb) = receiver(&w.genesis);
            let half: Vec<(CountyCode, u64)> = sizes
                .iter()
                .map(|(c, n)| (c.clone(), n * pct / 100))
                .collect();
            for (upto, rotate, chunk) in [(half, r1, c1), (sizes.clone(), r2, c2)] {
                let peer = PrefixPeer {
                    store: w.sources[w.relay].clone(),
                    rotate,
                    upto,
                };
                rt.block_on(pull_from_peer(&peer, &ctx(&sb, &tb, chunk)))
                    .unwrap();
            }
            prop_assert_eq!(
                Dump::of(sa.as_ref(), &w.cert_nos).content(),
                Dump::of(sb.as_ref(), &w.cert_nos).content()
            );
            prop_assert!(
                verdicts(&sa, &ta, &w.cert_nos, &w.counties)
                    == verdicts(&sb, &tb, &w.cert_nos, &w.counties),
                "verdicts differ at sizes {:?}",
                sizes
            );
            if sizes.iter().any(|(_, n)| *n > 0) {
                COMPARED.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    let compared = COMPARED.load(Ordering::Relaxed);
    println!("properties: partially fed node pairs compared (non-empty): {compared}");
    assert!(compared > 0, "every plan left the node empty");
}

#[test]
fn re_applying_what_is_held_changes_nothing() {
    let w = &*WORLD;
    let rt = runtime();
    let mut runner = TestRunner::new(Config {
        cases: if long() { 128 } else { 8 },
        ..config()
    });
    let strategy = proptest::collection::vec(session(w.sources.len()), 0..4);
    runner
        .run(&strategy, |sessions| {
            let (store, trust) = deliver(w, &sessions, &rt);
            let before = Dump::of(store.as_ref(), &w.cert_nos);
            let cosigs: Vec<_> = w
                .counties
                .iter()
                .map(|c| store.cosignatures(c).unwrap())
                .collect();
            // Another session with every source brings nothing.
            for (i, src) in w.sources.iter().enumerate() {
                let report = rt
                    .block_on(pull_from_peer(&LocalPeer::new(src.clone()), &ctx(&store, &trust, 7)))
                    .unwrap();
                prop_assert!(report.received.is_empty(), "source {} re-sent entries", i);
                prop_assert!(report.failures.is_empty(), "{:?}", report.failures);
            }
            // The same entries again: refused as not continuing the log, nothing written.
            for (a, st, entries) in &before.logs {
                let again: Vec<VerifiedEntry> = entries
                    .iter()
                    .take(5)
                    .map(|e| VerifiedEntry::from_trusted_storage(e.clone()).unwrap())
                    .collect();
                let r = store.append(AppendBatch {
                    author: a.clone(),
                    entries: again,
                    checkpoint: None,
                    home: Vec::new(),
                });
                let refused_as_not_contiguous =
                    matches!(r, Err(StoreError::NotContiguous { expected, .. }) if expected == st.size + 1);
                prop_assert!(refused_as_not_contiguous, "{:?}", r.map(|s| s.size));
                // The checkpoint held, again: accepted, and nothing changes (cosignatures kept).
                let cp = store.checkpoint(a).unwrap().unwrap();
                let after = store
                    .append(AppendBatch {
                        author: a.clone(),
                        entries: Vec::new(),
                        checkpoint: Some(cp),
                        home: Vec::new(),
                    })
                    .unwrap();
                prop_assert_eq!(&after, st);
            }
            prop_assert_eq!(&Dump::of(store.as_ref(), &w.cert_nos), &before);
            let cosigs_after: Vec<_> = w
                .counties
                .iter()
                .map(|c| store.cosignatures(c).unwrap())
                .collect();
            prop_assert_eq!(cosigs_after, cosigs);
            Ok(())
        })
        .unwrap();
}
