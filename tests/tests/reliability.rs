//! Reliability of real nodes under faults: partitions, silent and interrupted links between
//! nodes (through the harness's fault-injecting proxy), and a data directory whose disk
//! fills up or turns read-only.
//!
//! CI-sized by default; `BASHU_LONG=1` runs the long version. Each test prints one
//! `reliability:` line with its figures (docs/RELIABILITY.md quotes them).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bashu_core::entry::EntryKind;
use bashu_core::import::{Format, ImportKind, parse_records, write_certificates_csv};
use bashu_core::merkle::Hash;
use bashu_core::record::CertificateInput;
use bashu_core::synth::Rng;
use bashu_node::PeerOutcome;
use bashu_proto::v1 as pb;
use bashu_tests::faults::Fault;
use bashu_tests::{Cluster, Topology};

fn long() -> bool {
    std::env::var("BASHU_LONG").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Errors a sync session may report while the network misbehaves: the peer could not be
/// reached, or its stream broke. Anything else (a refusal, a root mismatch, an
/// equivocation, a store error) means the faults damaged data, and fails the test.
fn assert_only_network_errors(outcomes: &[PeerOutcome], context: &str) {
    const DAMAGE: [&str; 6] = [
        "refused checkpoint",
        "refused entry",
        "refused equivocation",
        "equivocated",
        "do not match",
        "store:",
    ];
    for o in outcomes {
        for e in &o.errors {
            assert!(
                !DAMAGE.iter().any(|d| e.contains(d)),
                "{context}: peer {} reported damage, not a network fault: {e}",
                o.peer
            );
        }
    }
}

/// Longest one concurrent sync round may take under faults: every node meets at most
/// four silent peers, one timeout each.
const ROUND_DEADLINE: Duration = Duration::from_secs(60);

/// Every running node pulls from its peers once, all at the same time. A round that does
/// not end fails the test, naming the nodes still syncing.
async fn concurrent_round(c: &Arc<Cluster>) -> Vec<(usize, Vec<PeerOutcome>)> {
    let mut set = tokio::task::JoinSet::new();
    let mut running: Vec<usize> = Vec::new();
    for i in 0..c.nodes.len() {
        if c.nodes[i].is_some() {
            let c = c.clone();
            running.push(i);
            set.spawn(async move { (i, c.node(i).sync_now().await) });
        }
    }
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + ROUND_DEADLINE;
    while !set.is_empty() {
        match tokio::time::timeout_at(deadline, set.join_next()).await {
            Ok(Some(r)) => {
                let r = r.unwrap();
                running.retain(|i| *i != r.0);
                out.push(r);
            }
            Ok(None) => break,
            Err(_) => {
                panic!("sync round still running after {ROUND_DEADLINE:?} on nodes {running:?}")
            }
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out
}

/// (size, root) of every author's latest checkpoint, as node `i` holds it.
fn heads(c: &Cluster, i: usize) -> Vec<Option<(u64, Hash)>> {
    let store = c.node(i).store();
    (0..c.nodes.len())
        .map(|a| {
            let author = c.county(a);
            let cp = store.checkpoint(&author).unwrap()?;
            let st = store.log_state(&author).unwrap();
            let cp = cp.checkpoint();
            // A checkpoint held always matches the log held up to its size.
            assert!(st.size >= cp.size, "node {i}: checkpoint beyond the log");
            Some((cp.size, cp.root))
        })
        .collect()
}

/// Whether every node holds, for every author, the author's own latest checkpoint and
/// exactly the log it describes.
fn converged(c: &Cluster) -> bool {
    let own: Vec<Option<(u64, Hash)>> = (0..c.nodes.len()).map(|a| heads(c, a)[a]).collect();
    (0..c.nodes.len()).all(|i| {
        let h = heads(c, i);
        h == own
            && (0..c.nodes.len()).all(|a| {
                let st = c.node(i).store().log_state(&c.county(a)).unwrap();
                Some((st.size, st.frontier.root())) == own[a]
            })
    })
}

fn csv_of(c: &Cluster, name: &str, certs: &[CertificateInput]) -> PathBuf {
    c.write_csv(name, certs)
}

// ---------------------------------------------------------------------------------------
// Partitions

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_nodes_under_random_partitions_converge_within_two_rounds_after_heal() {
    let started = Instant::now();
    let seed = std::env::var("BASHU_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x05ee_dba5_u64);
    let steps = if long() { 40 } else { 6 };
    let (c, net) = Cluster::start_proxied(5, Topology::FullMesh, |cfg| {
        cfg.sync.peer_timeout_secs = 1;
        cfg.sync.max_chunk = 64;
    })
    .await;
    let c = Arc::new(c);
    let mut rng = Rng::new(seed);
    let per_node: Vec<Vec<CertificateInput>> = (0..5)
        .map(|i| c.certificates(i, steps * 60, 700 + i as u64))
        .collect();
    let mut written = [0usize; 5];
    let mut failed_sessions = 0usize;
    let mut silenced = 0usize;
    let mut sessions = 0usize;

    for step in 0..steps {
        // 2 or 3 sides, none empty of meaning: at least two nodes apart.
        let sides = 2 + rng.below(2) as usize;
        let mut group_of: Vec<usize> = (0..5).map(|_| rng.below(sides as u64) as usize).collect();
        if group_of.iter().all(|g| *g == group_of[0]) {
            group_of[rng.below(5) as usize] = (group_of[0] + 1) % sides;
        }
        let cut = if rng.below(3) == 0 {
            Fault::Blackhole
        } else {
            Fault::Drop
        };
        net.partition(&group_of, cut);
        // Links that still pass are slow or break mid-stream now and then.
        for ((i, j), p) in net.links() {
            if group_of[i] == group_of[j] {
                match rng.below(6) {
                    0 => p.set(Fault::Delay(Duration::from_millis(1 + rng.below(15)))),
                    1 => p.set(Fault::CutAfter(4096 + rng.below(60_000))),
                    _ => {}
                }
            }
        }

        // Every county writes while the syncs run.
        let batches: Vec<(usize, usize)> =
            (0..5).map(|i| (i, 10 + rng.below(50) as usize)).collect();
        let writer = {
            let c = c.clone();
            let files: Vec<(usize, PathBuf, usize)> = batches
                .iter()
                .map(|&(i, n)| {
                    let from = written[i];
                    let path = csv_of(
                        &c,
                        &format!("p{step}-{i}.csv"),
                        &per_node[i][from..from + n],
                    );
                    (i, path, n)
                })
                .collect();
            tokio::spawn(async move {
                for (i, path, n) in files {
                    let s = c.import(i, &path).await;
                    assert_eq!(s.new as usize, n, "node {i} step {step}");
                }
            })
        };
        // Now and then a link that was passing goes silent while the sessions run (a
        // partition that starts mid-transfer).
        let silence = (rng.below(2) == 0).then(|| {
            let passing: Vec<(usize, usize)> = net
                .links()
                .filter(|(_, p)| p.fault() != cut)
                .map(|(k, _)| k)
                .collect();
            let pick = passing[rng.below(passing.len() as u64) as usize];
            (pick, Duration::from_millis(rng.below(150)))
        });
        let (outcomes, ()) = tokio::join!(concurrent_round(&c), async {
            if let Some(((i, j), after)) = silence {
                tokio::time::sleep(after).await;
                net.set(i, j, Fault::Blackhole);
                silenced += 1;
            }
        });
        tokio::time::timeout(ROUND_DEADLINE, writer)
            .await
            .unwrap_or_else(|_| panic!("step {step}: imports still running"))
            .unwrap();
        for (i, n) in batches {
            written[i] += n;
        }
        for (i, o) in &outcomes {
            assert_only_network_errors(o, &format!("step {step}, node {i}"));
            sessions += o.len();
            failed_sessions += o.iter().filter(|o| !o.ok).count();
        }
    }

    // Heal, and count the rounds until every node holds every author's latest log.
    net.heal();
    let heal = Instant::now();
    let mut rounds = 0;
    while !converged(&c) {
        assert!(
            rounds < 2,
            "not converged after {rounds} rounds: {:?}",
            (0..5).map(|i| heads(&c, i)).collect::<Vec<_>>()
        );
        for (i, o) in concurrent_round(&c).await {
            for p in &o {
                assert!(p.ok, "after heal, node {i} <- {}: {:?}", p.peer, p.errors);
            }
        }
        rounds += 1;
    }
    let heal_secs = heal.elapsed().as_secs_f64();
    // Every write is in every node's copy.
    for (a, n) in written.iter().enumerate() {
        for i in 0..5 {
            let size = c.node(i).store().log_state(&c.county(a)).unwrap().size;
            assert_eq!(size as usize, *n, "node {i} holds {a}'s log");
        }
    }
    let s = net.stats();
    println!(
        "reliability: partition seed={seed:#x} nodes=5 steps={steps} writes={} \
         sessions={sessions} failed_sessions={failed_sessions} refused_connections={} \
         cut_connections={} blackholed_bytes={} delayed_reads={} silenced_mid_round={silenced} \
         converged_after_rounds={rounds} heal_secs={heal_secs:.2} total_secs={:.1}",
        written.iter().sum::<usize>(),
        s.refused,
        s.cut,
        s.discarded,
        s.delayed,
        started.elapsed().as_secs_f64()
    );
    assert!(failed_sessions > 0, "the partitions were felt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_cut_mid_stream_resumes_from_the_last_committed_chunk() {
    let n = if long() { 4000 } else { 1000 };
    let (c, net) = Cluster::start_proxied(2, Topology::FullMesh, |cfg| {
        cfg.sync.max_chunk = 20;
        cfg.sync.peer_timeout_secs = 5;
    })
    .await;
    let a = c.county(0);
    let csv = c.write_csv("a.csv", &c.certificates(0, n, 5));
    assert_eq!(c.import(0, &csv).await.new as usize, n);
    // Every connection from node 1 to node 0 breaks after 48 KiB, and is slow.
    net.set(1, 0, Fault::CutAfter(48 * 1024));
    let mut sessions = 0;
    let mut last = 0;
    let started = Instant::now();
    loop {
        let out = c.node(1).sync_now().await;
        sessions += 1;
        assert_only_network_errors(&out, "cut link");
        let st = c.node(1).store().log_state(&a).unwrap();
        if out.iter().all(|o| o.ok) {
            assert_eq!(st.size as usize, n);
            break;
        }
        // Committed chunks stay committed: each session moves on, never back.
        assert!(
            st.size > last,
            "no progress in session {sessions}: {}",
            st.size
        );
        last = st.size;
        // Partial logs have no checkpoint yet, or an earlier one that still matches.
        if let Some(cp) = c.node(1).store().checkpoint(&a).unwrap() {
            assert!(cp.checkpoint().size <= st.size);
        }
        assert!(sessions < 500, "no end to the sessions");
    }
    assert_eq!(
        c.node(1).store().checkpoint(&a).unwrap(),
        c.node(0).store().checkpoint(&a).unwrap()
    );
    assert!(sessions > 1, "the cut never happened");
    // Slow links still complete.
    net.set(1, 0, Fault::Delay(Duration::from_millis(5)));
    let csv = c.write_csv("b.csv", &c.certificates(0, n + 100, 5)[n..]);
    assert_eq!(c.import(0, &csv).await.new, 100);
    for o in c.node(1).sync_now().await {
        assert!(o.ok, "{:?}", o.errors);
    }
    assert_eq!(
        c.node(1).store().log_state(&a).unwrap().size as usize,
        n + 100
    );
    println!(
        "reliability: cut-link entries={n} cut_after_bytes=49152 max_chunk=20 \
         sessions_to_complete={sessions} cut_connections={} secs={:.2}",
        net.link(1, 0).stats().cut,
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_costs_one_timeout_and_the_other_peers_still_sync() {
    let (c, net) = Cluster::start_proxied(3, Topology::FullMesh, |cfg| {
        cfg.sync.peer_timeout_secs = 1;
    })
    .await;
    let csv = c.write_csv("c.csv", &c.certificates(2, 50, 9));
    assert_eq!(c.import(2, &csv).await.new, 50);
    net.set(0, 1, Fault::Blackhole);
    let t = Instant::now();
    let out = c.node(0).sync_now().await;
    let secs = t.elapsed().as_secs_f64();
    let by_peer: BTreeMap<String, &PeerOutcome> = out.iter().map(|o| (o.peer.clone(), o)).collect();
    let silent = by_peer[c.county(1).as_str()];
    assert!(!silent.ok, "a black-holed peer cannot succeed");
    let other = by_peer[c.county(2).as_str()];
    assert!(other.ok, "{:?}", other.errors);
    assert_eq!(
        c.node(0).store().log_state(&c.county(2)).unwrap().size,
        50,
        "the reachable peer's data arrived"
    );
    // One timeout (1 s) for the silent peer, with room for a slow machine.
    assert!(secs < 8.0, "a silent peer held the round for {secs:.1}s");
    assert_only_network_errors(&out, "black hole");
    println!(
        "reliability: blackhole peer_timeout_secs=1 round_secs={secs:.2} silent_error={:?}",
        silent
            .errors
            .first()
            .map(|e| e.chars().take(120).collect::<String>())
    );
}

// ---------------------------------------------------------------------------------------
// Disk: a data directory on a small tmpfs the test mounts (needs root and `mount`; the
// test says so and passes without running when it cannot mount).

/// A tmpfs mounted on a temporary directory; unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, options: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "remount {options}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

fn mount_or_skip(size: &str, test: &str) -> Option<Tmpfs> {
    match Tmpfs::mount(size) {
        Ok(t) => Some(t),
        Err(e) => {
            println!("reliability: {test} SKIPPED: cannot mount a tmpfs here (needs root): {e}");
            None
        }
    }
}

/// Certificates as the County service receives them from `bashu import`.
fn submissions(certs: &[CertificateInput]) -> Vec<pb::RecordSubmission> {
    let mut csv = Vec::new();
    write_certificates_csv(&mut csv, certs).unwrap();
    let parsed = parse_records(
        csv.as_slice(),
        "disk.csv",
        Format::Csv,
        Some(ImportKind::Certificates),
        false,
    )
    .unwrap();
    assert!(parsed.file.refused.is_empty(), "{:?}", parsed.file.refused);
    parsed
        .file
        .rows
        .into_iter()
        .map(|r| pb::RecordSubmission {
            kind: ImportKind::Certificates.as_str().to_owned(),
            json: r.value.json,
            origin: r.origin,
        })
        .collect()
}

async fn submit(
    c: &Cluster,
    i: usize,
    certs: &[CertificateInput],
) -> Result<pb::SubmitResponse, tonic::Status> {
    let mut client = c.client(i).await;
    client
        .county
        .submit_records(pb::SubmitRecordsRequest {
            records: submissions(certs),
        })
        .await
        .map(tonic::Response::into_inner)
}

fn assert_storage_unavailable(status: &tonic::Status) {
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    let m = status.message();
    assert!(
        m.contains("storage unavailable") && m.contains("存储不可用"),
        "the message says what happened, in both languages: {m}"
    );
}

/// Every acknowledged certificate is held by node `i`, its own log matches its
/// checkpoint (no torn batch), and the log size is what was acknowledged last.
fn assert_acknowledged_held(c: &Cluster, i: usize, acked: &[CertificateInput], log_size: u64) {
    let store = c.node(i).store();
    let me = c.county(i);
    let lost: Vec<&str> = acked
        .iter()
        .map(|x| x.cert_no.as_str())
        .filter(|no| {
            store
                .record(EntryKind::Certificate, &me, no)
                .unwrap()
                .is_none()
        })
        .collect();
    assert!(lost.is_empty(), "{} acknowledged records lost", lost.len());
    let st = store.log_state(&me).unwrap();
    let cp = store.checkpoint(&me).unwrap().unwrap();
    assert_eq!(st.size, log_size, "log size is the last acknowledged one");
    assert_eq!(cp.checkpoint().size, st.size, "checkpoint matches the log");
    assert_eq!(cp.checkpoint().root, st.frontier.root());
}

/// What happened when the disk came back.
#[derive(Debug, PartialEq, Eq)]
enum Recovery {
    /// The running node took writes again.
    InPlace,
    /// The node took writes again after a restart.
    AfterRestart,
}

/// Retries `certs` after space returned: in place first, else after a restart.
async fn recover(c: &mut Cluster, certs: &[CertificateInput]) -> (Recovery, pb::SubmitResponse) {
    match submit(c, 0, certs).await {
        Ok(r) => (Recovery::InPlace, r),
        Err(e) => {
            assert_storage_unavailable(&e);
            c.stop(0).await;
            c.restart(0).await;
            // Restarted nodes confirm their own log with a peer before writing.
            let r = submit(c, 0, certs).await.unwrap();
            (Recovery::AfterRestart, r)
        }
    }
}

async fn disk_cluster(mount: &Tmpfs) -> Cluster {
    let data = mount.path().join("data");
    Cluster::start_with(
        2,
        Topology::FullMesh,
        &bashu_node::bootstrap::SecurityOptions::default(),
        move |cfg| {
            if cfg.county == bashu_tests::COUNTIES[0].0 {
                cfg.data_dir = data.clone();
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_clearly_loses_nothing_and_recovers_when_space_returns() {
    let Some(mount) = mount_or_skip("6m", "disk-full") else {
        return;
    };
    let mut c = disk_cluster(&mount).await;
    let certs = c.certificates(0, 40_000, 21);
    let batch = 100;
    let mut acked = 0usize;
    let mut log_size = 0;
    let refusal = loop {
        assert!(
            acked + batch <= certs.len(),
            "the 6 MiB disk never filled up"
        );
        match submit(&c, 0, &certs[acked..acked + batch]).await {
            Ok(r) => {
                assert_eq!(r.created as usize, batch);
                acked += batch;
                log_size = r.log_size;
            }
            Err(e) => break e,
        }
    };
    assert_storage_unavailable(&refusal);
    // Refused again, and nothing of the refused batches was written.
    let again = submit(&c, 0, &certs[acked..acked + batch])
        .await
        .unwrap_err();
    assert_storage_unavailable(&again);
    // sled keeps its first IO error and answers every later call, reads included, with it
    // until the store is opened again: note what reads do meanwhile.
    let reads_while_full = {
        let (store, me) = (c.node(0).store(), c.county(0));
        let reads: Result<Vec<bool>, _> =
            std::iter::once(store.log_state(&me).map(|st| st.size == log_size))
                .chain(certs[..acked].iter().map(|x| {
                    store
                        .record(EntryKind::Certificate, &me, x.cert_no.as_str())
                        .map(|p| p.is_some())
                }))
                .collect();
        match reads {
            Ok(found) => {
                assert!(
                    found.iter().all(|f| *f),
                    "every acknowledged record is served"
                );
                "served"
            }
            Err(_) => "unavailable",
        }
    };

    mount.remount("size=256m");
    let (how, r) = recover(&mut c, &certs[acked..acked + batch]).await;
    assert_eq!(r.created as usize + r.unchanged as usize, batch);
    acked += batch;
    log_size = r.log_size;
    assert_acknowledged_held(&c, 0, &certs[..acked], log_size);
    // And the other county gets every acknowledged record.
    c.sync(1).await;
    let theirs = c.node(1).store().checkpoint(&c.county(0)).unwrap();
    assert_eq!(theirs, c.node(0).store().checkpoint(&c.county(0)).unwrap());
    println!(
        "reliability: disk-full tmpfs=6MiB acknowledged={acked} lost=0 \
         refusal={:?} reads_while_full={reads_while_full} recovery={how:?}",
        refusal.code()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_disk_stops_the_node_clearly_loses_nothing_and_recovers_when_writable() {
    // A filesystem the kernel turned read-only (after an IO error, say) is found at the
    // next start: a file system with files open for writing cannot be remounted read-only
    // from user space, so the node is stopped first, as the operator's restart would.
    let Some(mount) = mount_or_skip("256m", "disk-read-only") else {
        return;
    };
    let mut c = disk_cluster(&mount).await;
    let certs = c.certificates(0, 1000, 22);
    let mut acked = 0;
    let mut log_size = 0;
    for _ in 0..3 {
        let r = submit(&c, 0, &certs[acked..acked + 100]).await.unwrap();
        acked += 100;
        log_size = r.log_size;
    }
    c.stop(0).await;
    mount.remount("ro");
    let err = match bashu_node::Node::start(c.configs[0].clone(), None).await {
        Ok(node) => {
            // Started anyway: then writes must be refused clearly.
            let status = {
                let mut client = node.operator_client().await.unwrap();
                client
                    .county
                    .submit_records(pb::SubmitRecordsRequest {
                        records: submissions(&certs[acked..acked + 100]),
                    })
                    .await
                    .unwrap_err()
            };
            assert_storage_unavailable(&status);
            node.shutdown().await;
            format!("started read-only; writes refused with {:?}", status.code())
        }
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains("cannot open store") && text.to_lowercase().contains("read-only"),
                "the refusal names the store and the cause: {text}"
            );
            text
        }
    };
    mount.remount("rw");
    c.restart(0).await;
    assert_acknowledged_held(&c, 0, &certs[..acked], log_size);
    let r = submit(&c, 0, &certs[acked..acked + 100]).await.unwrap();
    assert_eq!(r.created, 100);
    acked += 100;
    assert_acknowledged_held(&c, 0, &certs[..acked], r.log_size);
    println!("reliability: disk-read-only acknowledged={acked} lost=0 start_on_read_only={err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_goes_silent_mid_stream_does_not_hold_the_node_forever() {
    let (c, net) = Cluster::start_proxied(2, Topology::FullMesh, |cfg| {
        cfg.sync.peer_timeout_secs = 1;
        cfg.sync.max_chunk = 10;
    })
    .await;
    let csv = c.write_csv("a.csv", &c.certificates(0, 3000, 31));
    assert_eq!(c.import(0, &csv).await.new, 3000);
    // Slow enough that the pull is still streaming when the link goes silent.
    net.set(1, 0, Fault::Delay(Duration::from_millis(20)));
    let c = Arc::new(c);
    let puller = {
        let c = c.clone();
        tokio::spawn(async move { c.node(1).sync_now().await })
    };
    let link = net.link(1, 0);
    let t = Instant::now();
    while link.stats().bytes_down < 64 * 1024 {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the pull never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    link.set(Fault::Blackhole);
    let silent_at = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(30), puller)
        .await
        .expect("a silent peer held the sync for 30 s")
        .unwrap();
    let held_secs = silent_at.elapsed().as_secs_f64();
    assert!(!out[0].ok);
    let got = c.node(1).store().log_state(&c.county(0)).unwrap().size;
    net.heal();
    for o in c.node(1).sync_now().await {
        assert!(o.ok, "{:?}", o.errors);
    }
    assert_eq!(
        c.node(1).store().log_state(&c.county(0)).unwrap().size,
        3000
    );
    println!(
        "reliability: silent-mid-stream committed_before={got} held_secs={held_secs:.2} error={:?}",
        out[0].errors.first()
    );
}
