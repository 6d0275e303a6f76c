//! `kill -9` of real `bashu node` processes, again and again: while the HR system imports
//! into its county's node, while another county's node pulls from it, and while it serves
//! that pull. After every kill the dead node's store is opened and audited before the node
//! starts again:
//!
//! - the store opens;
//! - every record whose submission was acknowledged (the gRPC call returned success) is
//!   there, with its body (lost = 0);
//! - every entry decodes, its body matches its hash, its signature verifies (each entry
//!   once, as it first appears), each log's root is the root of its entries, and the
//!   latest checkpoint describes the log at its size; a county's own log always ends at
//!   its checkpoint (no torn batch) (corrupt = 0);
//! - a puller never loses what a completed sync gave it, and sync resumes and completes.
//!
//! 30 kills by default (CI); `BASHU_LONG=1` makes 500, `BASHU_CRASH_CYCLES=N` any number.
//! The figures are printed on one `reliability: crash` line.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bashu_core::CountyCode;
use bashu_core::codec::Certificate;
use bashu_core::entry::{Alliance, EntryKind, VerifiedEntry, verify_entry};
use bashu_core::import::{Format, ImportKind, parse_records, write_certificates_csv};
use bashu_core::merkle::Frontier;
use bashu_core::record::CertificateInput;
use bashu_core::synth::{self, Rng};
use bashu_node::NodeConfig;
use bashu_node::client::NodeClient;
use bashu_proto::v1 as pb;
use bashu_store::{SledStore, Store};

const DEADLINE: Duration = Duration::from_secs(60);
const HOME: (&str, &str) = ("500153", "荣昌区");
const PULLER: (&str, &str) = ("510521", "泸县");
/// Rows per submission: small, so that many acknowledgements happen near each kill.
const BATCH: usize = 25;

fn cycles() -> usize {
    if let Some(n) = std::env::var("BASHU_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    let long = std::env::var("BASHU_LONG").is_ok_and(|v| !v.is_empty() && v != "0");
    if long { 500 } else { 30 }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn county(code: &str) -> CountyCode {
    CountyCode::parse(code).expect("a valid county code")
}

// ---------------------------------------------------------------------------------------
// Node processes

struct NodeProc {
    county: &'static str,
    config_path: PathBuf,
    cfg: NodeConfig,
    logs: PathBuf,
    runs: u32,
    child: Option<Child>,
}

impl NodeProc {
    fn new(county: &'static str, config_path: PathBuf, logs: &Path) -> NodeProc {
        let cfg = NodeConfig::load(&config_path).expect("node.toml loads");
        NodeProc {
            county,
            config_path,
            cfg,
            logs: logs.to_owned(),
            runs: 0,
            child: None,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.cfg.listen
    }

    fn stdout(&self) -> PathBuf {
        self.logs
            .join(format!("{}.{}.stdout", self.county, self.runs))
    }

    fn stderr(&self) -> PathBuf {
        self.logs
            .join(format!("{}.{}.stderr", self.county, self.runs))
    }

    fn tail(&self) -> String {
        let err = std::fs::read_to_string(self.stderr()).unwrap_or_default();
        let lines: Vec<&str> = err.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Starts the node and waits until it accepts connections and says it is serving.
    /// The audit that ran before in this process may still hold the store's lock for a
    /// moment after the store was dropped (sled's background thread lets go last): a start
    /// refused for that lock is tried again.
    fn start(&mut self) {
        let started = Instant::now();
        while !self.try_start() {
            assert!(
                started.elapsed() < DEADLINE,
                "node {}: store lock never released\n{}",
                self.county,
                self.tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// false when the node exited because another process held its store's lock.
    fn try_start(&mut self) -> bool {
        assert!(self.child.is_none(), "{} already running", self.county);
        self.runs += 1;
        let child = Command::new(env!("CARGO_BIN_EXE_bashu"))
            .env_remove("BASHU_LOG")
            .args(["node", "--config", s(&self.config_path)])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(self.stdout()).expect("stdout file"))
            .stderr(std::fs::File::create(self.stderr()).expect("stderr file"))
            .spawn()
            .expect("spawn bashu node");
        self.child = Some(child);
        let start = Instant::now();
        let banner = format!("{} serving on {}", self.county, self.addr());
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                if self.tail().contains("could not acquire lock") {
                    return false;
                }
                panic!(
                    "node {} exited at start with {status}\n{}",
                    self.county,
                    self.tail()
                );
            }
            if TcpStream::connect_timeout(&self.addr(), Duration::from_millis(100)).is_ok()
                && std::fs::read_to_string(self.stdout())
                    .unwrap_or_default()
                    .contains(&banner)
            {
                return true;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "node {} not ready within {DEADLINE:?}\n{}",
                self.county,
                self.tail()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILL: no shutdown, no flush, no destructor runs.
    fn kill9(&mut self) {
        let mut child = self.child.take().expect("node is running");
        child.kill().expect("SIGKILL");
        child.wait().expect("reap the killed node");
    }

    fn terminate(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let start = Instant::now();
        while child.try_wait().ok().flatten().is_none() {
            if start.elapsed() > DEADLINE {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.wait();
    }

    async fn client(&self) -> NodeClient {
        NodeClient::for_config(&self.cfg, None)
            .await
            .expect("operator client")
    }

    fn store_path(&self) -> PathBuf {
        self.cfg.data_dir.join("store")
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Two consecutive free ports on 127.0.0.1, below the ephemeral range.
fn two_free_ports() -> u16 {
    let seed = u64::from(std::process::id())
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
    for i in 0..256u64 {
        let p = 20_000 + (seed.wrapping_add(i.wrapping_mul(7_919)) % 12_000) as u16;
        let held: Vec<_> = (p..=p + 1)
            .map(|q| TcpListener::bind(("127.0.0.1", q)))
            .collect();
        if held.iter().all(Result::is_ok) {
            return p;
        }
    }
    panic!("no two consecutive free ports on 127.0.0.1");
}

/// Sets `key = value` in the `[section]` of a node.toml, adding the section if needed.
fn set_toml(path: &Path, section: &str, key: &str, value: &str) {
    let text = std::fs::read_to_string(path).expect("read node.toml");
    let header = format!("[{section}]");
    let mut out = Vec::new();
    let mut in_section = false;
    let mut done = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            if in_section && !done {
                out.push(format!("{key} = {value}"));
                done = true;
            }
            in_section = t == header;
        }
        if in_section && t.split('=').next().map(str::trim) == Some(key) {
            out.push(format!("{key} = {value}"));
            done = true;
            continue;
        }
        out.push(line.to_owned());
    }
    if !done {
        if !in_section {
            out.push(header);
        }
        out.push(format!("{key} = {value}"));
    }
    std::fs::write(path, out.join("\n") + "\n").expect("write node.toml");
}

// ---------------------------------------------------------------------------------------
// Data

/// Fresh certificates of the home county, never a number twice.
struct Source {
    county: CountyCode,
    buf: VecDeque<CertificateInput>,
    seen: HashSet<String>,
    seed: u64,
}

impl Source {
    fn batch(&mut self) -> Vec<CertificateInput> {
        while self.buf.len() < BATCH {
            self.seed += 1;
            for c in synth::certificates(&self.county, HOME.1, 5000, self.seed) {
                if self.seen.insert(c.cert_no.as_str().to_owned()) {
                    self.buf.push_back(c);
                }
            }
        }
        self.buf.drain(..BATCH).collect()
    }
}

fn submissions(certs: &[CertificateInput]) -> Vec<pb::RecordSubmission> {
    let mut csv = Vec::new();
    write_certificates_csv(&mut csv, certs).expect("CSV");
    let parsed = parse_records(
        csv.as_slice(),
        "hr.csv",
        Format::Csv,
        Some(ImportKind::Certificates),
        false,
    )
    .expect("parse");
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

// ---------------------------------------------------------------------------------------
// The audit of a dead node's store

#[derive(Default)]
struct Audit {
    /// Per author, the size up to which signatures were verified in an earlier audit, and
    /// the Merkle frontier at that size.
    verified: BTreeMap<String, (u64, Frontier)>,
    /// Every how many audits the logs are re-read from the start (1: every time); in
    /// between, only entries after the last audit are read.
    full_every: usize,
    audits: usize,
    entries_checked: u64,
    signatures_checked: u64,
    corrupt: Vec<String>,
}

impl Audit {
    /// Opens the store at `path` and checks it; returns the store for further checks.
    fn check(&mut self, path: &Path, alliance: &Alliance, own: &CountyCode) -> Option<SledStore> {
        self.audits += 1;
        let store = match SledStore::open(path, 16 * 1024 * 1024) {
            Ok(s) => s,
            Err(e) => {
                self.corrupt
                    .push(format!("store {} does not open: {e}", path.display()));
                return None;
            }
        };
        let authors = match store.authors() {
            Ok(a) => a,
            Err(e) => {
                self.corrupt.push(format!("authors: {e}"));
                return Some(store);
            }
        };
        for author in authors {
            if let Err(e) = self.check_log(&store, alliance, &author, &author == own) {
                self.corrupt.push(format!("log of {author}: {e}"));
            }
        }
        Some(store)
    }

    fn check_log(
        &mut self,
        store: &SledStore,
        alliance: &Alliance,
        author: &CountyCode,
        own: bool,
    ) -> Result<(), String> {
        let st = store.log_state(author).map_err(|e| e.to_string())?;
        let cp = store.checkpoint(author).map_err(|e| e.to_string())?;
        let (verified, mut frontier) = self
            .verified
            .get(author.as_str())
            .cloned()
            .unwrap_or((0, Frontier::new()));
        if st.size < verified {
            return Err(format!("log shrank from {verified} to {}", st.size));
        }
        let full = self.audits % self.full_every.max(1) == 0;
        let (mut next, mut root_at_checkpoint) = if full {
            frontier = Frontier::new();
            (1u64, None)
        } else {
            let at = cp
                .as_ref()
                .is_some_and(|c| c.checkpoint().size == verified)
                .then(|| frontier.root());
            (verified + 1, at)
        };
        // Between full audits, a checkpoint below the last audit was checked when new.
        let skip_root_check = !full && cp.as_ref().is_some_and(|c| c.checkpoint().size < verified);
        while next <= st.size {
            let chunk = store
                .entries(author, next, 4096)
                .map_err(|e| e.to_string())?;
            if chunk.is_empty() {
                return Err(format!("entries end at {} of {}", next - 1, st.size));
            }
            for signed in chunk {
                let e = if next > verified {
                    self.signatures_checked += 1;
                    verify_entry(signed, author, next, alliance)
                } else {
                    VerifiedEntry::from_trusted_storage(signed)
                }
                .map_err(|e| format!("entry {next}: {e}"))?;
                if e.header().seq != next {
                    return Err(format!("entry {next} says seq {}", e.header().seq));
                }
                frontier.push(e.hash());
                self.entries_checked += 1;
                if cp.as_ref().is_some_and(|c| c.checkpoint().size == next) {
                    root_at_checkpoint = Some(frontier.root());
                }
                next += 1;
            }
        }
        if next - 1 != st.size {
            return Err(format!("{} entries held, size says {}", next - 1, st.size));
        }
        if frontier.root() != st.frontier.root() {
            return Err("the stored frontier is not the root of the entries".into());
        }
        match &cp {
            Some(c) => {
                let c = c.checkpoint();
                if c.size > st.size {
                    return Err(format!("checkpoint {} beyond the log {}", c.size, st.size));
                }
                if c.size > 0 && !skip_root_check && root_at_checkpoint != Some(c.root) {
                    return Err(format!("checkpoint root at {} does not match", c.size));
                }
                if own && c.size != st.size {
                    return Err(format!(
                        "own log of {} entries ends past its checkpoint {} (torn batch)",
                        st.size, c.size
                    ));
                }
            }
            None if own && st.size > 0 => return Err("own log without a checkpoint".into()),
            None => {}
        }
        self.verified
            .insert(author.as_str().to_owned(), (st.size, frontier));
        Ok(())
    }
}

/// How many of `acked` are missing, and how many are there but wrong.
fn lost_and_corrupt(
    store: &SledStore,
    home: &CountyCode,
    acked: &[String],
    corrupt: &mut Vec<String>,
) -> usize {
    let mut lost = 0;
    for no in acked {
        match store.record(EntryKind::Certificate, home, no) {
            Ok(Some(p)) => match store.body(&p) {
                Ok(Some(body)) => match Certificate::decode(&body) {
                    Ok(c) if c.cert_no == *no => {}
                    Ok(c) => corrupt.push(format!("{no}: body is {}", c.cert_no)),
                    Err(e) => corrupt.push(format!("{no}: body does not decode: {e}")),
                },
                Ok(None) => corrupt.push(format!("{no}: body missing")),
                Err(e) => corrupt.push(format!("{no}: body: {e}")),
            },
            Ok(None) => lost += 1,
            Err(e) => corrupt.push(format!("{no}: {e}")),
        }
    }
    lost
}

// ---------------------------------------------------------------------------------------

type Batches = Vec<Vec<CertificateInput>>;

/// Submits batches from `queue` until the node dies or the queue is empty; returns the
/// acknowledged batches and the one in flight when the node died.
async fn submit_until_dead(
    mut client: NodeClient,
    queue: Arc<Mutex<VecDeque<Vec<CertificateInput>>>>,
) -> (Batches, Batches) {
    let mut ok = Vec::new();
    loop {
        let Some(batch) = queue.lock().expect("queue").pop_front() else {
            return (ok, Vec::new());
        };
        let req = pb::SubmitRecordsRequest {
            records: submissions(&batch),
        };
        match client.county.submit_records(req).await {
            Ok(r) => {
                let r = r.into_inner();
                assert!(r.refused.is_empty(), "{:?}", r.refused);
                assert_eq!(r.created + r.unchanged, batch.len() as u64);
                ok.push(batch);
            }
            Err(_) => return (ok, vec![batch]),
        }
    }
}

#[derive(Default, Debug)]
struct Figures {
    kills_import: u64,
    kills_puller: u64,
    kills_server: u64,
    /// Kills that landed while a submission was in flight.
    interrupted_imports: u64,
    /// Kills that landed before the sync call returned.
    interrupted_syncs: u64,
    acknowledged: u64,
    /// Submissions in flight at a kill (outcome unknown, sent again afterwards): found whole in the store after the kill (committed, not yet
    /// acknowledged), or not at all.
    in_flight_committed: u64,
    in_flight_absent: u64,
    lost: u64,
    corrupt: u64,
    /// Entries a puller held after a completed sync and no longer held after a kill.
    sync_progress_lost: u64,
}

#[test]
fn kill_9_during_import_and_sync_loses_no_acknowledged_record() {
    let started = Instant::now();
    let cycles = cycles();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let logs = dir.join("logs");
    std::fs::create_dir(&logs).expect("logs dir");
    let fed = dir.join("fed");
    let base = two_free_ports().to_string();
    let init = Command::new(env!("CARGO_BIN_EXE_bashu"))
        .env_remove("BASHU_LOG")
        .args(["alliance", "init", "--dir", s(&fed)])
        .args(["--county", &format!("{}={}", HOME.0, HOME.1)])
        .args(["--county", &format!("{}={}", PULLER.0, PULLER.1)])
        .args(["--base-port", &base, "--sync-interval", "0", "--no-http"])
        .output()
        .expect("bashu alliance init");
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    for code in [HOME.0, PULLER.0] {
        let toml = fed.join(code).join("node.toml");
        set_toml(&toml, "store", "cache_mib", "16");
        // The test submits as fast as it can; the per-caller rate limit is not under test.
        set_toml(&toml, "limits", "rate_per_sec", "0.0");
        // Small chunks: a pull commits many times, so a kill lands between commits.
        set_toml(&toml, "sync", "max_chunk", "50");
    }
    let alliance = bashu_node::load_alliance(&fed.join("genesis.bin")).expect("genesis");
    let mut home = NodeProc::new("500153", fed.join(HOME.0).join("node.toml"), &logs);
    let mut puller = NodeProc::new("510521", fed.join(PULLER.0).join("node.toml"), &logs);
    let (home_county, puller_county) = (county(HOME.0), county(PULLER.0));
    home.start();
    puller.start();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut rng = Rng::new(0x00c4_a511);
    let mut source = Source {
        county: home_county.clone(),
        buf: VecDeque::new(),
        seen: HashSet::new(),
        seed: 0,
    };
    let mut fig = Figures::default();
    let mut acked: Vec<String> = Vec::new();
    // Submissions whose outcome a kill made unknown: the HR system sends them again.
    let mut unknown: Vec<Vec<CertificateInput>> = Vec::new();
    // Long runs re-read the logs from the start every 25th audit, short ones every time.
    let full_every = if cycles > 100 { 25 } else { 1 };
    let mut home_audit = Audit {
        full_every,
        ..Audit::default()
    };
    let mut puller_audit = Audit {
        full_every,
        ..Audit::default()
    };
    // Acknowledged records looked up after earlier kills: long runs look up the new ones
    // after every kill and all of them every 25th cycle (and at the end).
    let mut acked_checked = 0usize;
    // The puller's size of the home log after its last completed sync.
    let mut synced_size = 0u64;
    // How long a sync of one cycle's worth of entries took (to aim the kills).
    let mut sync_ms = 300u64;
    let mut corrupt_notes: Vec<String> = Vec::new();

    for cycle in 0..cycles {
        match cycle % 4 {
            // Kill the home node while the HR system imports.
            0 | 2 => {
                let mut queue: VecDeque<Vec<CertificateInput>> = unknown.drain(..).collect();
                for _ in 0..400 {
                    queue.push_back(source.batch());
                }
                let queue = Arc::new(Mutex::new(queue));
                let (c1, c2) = rt.block_on(async { (home.client().await, home.client().await) });
                // Two connections: one submission waits while the other is written.
                let t1 = rt.spawn(submit_until_dead(c1, queue.clone()));
                let t2 = rt.spawn(submit_until_dead(c2, queue.clone()));
                std::thread::sleep(Duration::from_millis(20 + rng.below(400)));
                home.kill9();
                fig.kills_import += 1;
                let mut in_flight = 0;
                for t in [t1, t2] {
                    let (ok, flying) = rt.block_on(t).expect("submitter");
                    for b in ok {
                        fig.acknowledged += b.len() as u64;
                        acked.extend(b.iter().map(|c| c.cert_no.as_str().to_owned()));
                    }
                    in_flight += flying.len();
                    unknown.extend(flying);
                }
                if in_flight > 0 {
                    fig.interrupted_imports += 1;
                }
                // Batches never sent go back to the source.
                for b in queue.lock().expect("queue").drain(..) {
                    source.buf.extend(b);
                }
            }
            // Kill the puller (1) or the node it pulls from (3) during a sync.
            kind => {
                // New entries for the puller to fetch, acknowledged normally.
                rt.block_on(async {
                    let mut client = home.client().await;
                    for _ in 0..20 {
                        let batch = source.batch();
                        let r = client
                            .county
                            .submit_records(pb::SubmitRecordsRequest {
                                records: submissions(&batch),
                            })
                            .await
                            .expect("submit before a sync kill");
                        assert!(r.get_ref().refused.is_empty());
                        fig.acknowledged += batch.len() as u64;
                        acked.extend(batch.iter().map(|c| c.cert_no.as_str().to_owned()));
                    }
                });
                let mut admin = rt.block_on(puller.client()).admin;
                let sync = rt.spawn(async move { admin.sync_now(pb::SyncNowRequest {}).await });
                std::thread::sleep(Duration::from_millis(rng.below(sync_ms.max(10) * 3 / 2)));
                let victim = if kind == 1 {
                    fig.kills_puller += 1;
                    &mut puller
                } else {
                    fig.kills_server += 1;
                    &mut home
                };
                let done_before = sync.is_finished();
                victim.kill9();
                let result = rt.block_on(sync).expect("sync task");
                let completed = done_before
                    && result
                        .as_ref()
                        .is_ok_and(|r| r.get_ref().peers.iter().all(|p| p.ok));
                if !completed {
                    fig.interrupted_syncs += 1;
                }
            }
        }

        // Audit whichever node is down, then start it again.
        if home.child.is_none() {
            let before = home_audit.corrupt.len();
            if let Some(store) = home_audit.check(&home.store_path(), &alliance, &home_county) {
                let mut notes = Vec::new();
                let from = if cycle % full_every == 0 {
                    0
                } else {
                    acked_checked
                };
                let lost = lost_and_corrupt(&store, &home_county, &acked[from..], &mut notes);
                acked_checked = acked.len();
                // A submission in flight at the kill is all there or not there at all.
                for b in &unknown {
                    let present = b
                        .iter()
                        .filter(|c| {
                            store
                                .record(EntryKind::Certificate, &home_county, c.cert_no.as_str())
                                .is_ok_and(|p| p.is_some())
                        })
                        .count();
                    match present {
                        0 => fig.in_flight_absent += 1,
                        n if n == b.len() => fig.in_flight_committed += 1,
                        n => notes.push(format!("torn submission: {n} of {} rows", b.len())),
                    }
                }
                fig.lost += lost as u64;
                fig.corrupt += notes.len() as u64;
                corrupt_notes.extend(notes);
                if lost > 0 {
                    corrupt_notes.push(format!("cycle {cycle}: {lost} acknowledged records lost"));
                }
            }
            let new = home_audit.corrupt.len() - before;
            fig.corrupt += new as u64;
            corrupt_notes.extend(home_audit.corrupt[before..].iter().cloned());
            home.start();
        }
        if puller.child.is_none() {
            let before = puller_audit.corrupt.len();
            if let Some(store) = puller_audit.check(&puller.store_path(), &alliance, &puller_county)
            {
                let size = store.log_state(&home_county).map_or(0, |s| s.size);
                if size < synced_size {
                    fig.sync_progress_lost += synced_size - size;
                }
            }
            let new = puller_audit.corrupt.len() - before;
            fig.corrupt += new as u64;
            corrupt_notes.extend(puller_audit.corrupt[before..].iter().cloned());
            puller.start();
        }
        assert!(
            corrupt_notes.is_empty() && fig.lost == 0 && fig.sync_progress_lost == 0,
            "cycle {cycle}: {fig:?}\n{}\nhome stderr:\n{}",
            corrupt_notes.join("\n"),
            home.tail()
        );

        // Sync resumes and completes: the puller ends with the home node's log.
        if cycle % 4 == 1 || cycle % 4 == 3 {
            let t = Instant::now();
            let (home_status, puller_status) = rt.block_on(async {
                let mut admin = puller.client().await.admin;
                let mut tries = 0;
                loop {
                    tries += 1;
                    let r = admin
                        .sync_now(pb::SyncNowRequest {})
                        .await
                        .expect("sync after restart")
                        .into_inner();
                    if r.peers.iter().all(|p| p.ok) {
                        break;
                    }
                    assert!(tries < 50, "sync does not resume: {:?}", r.peers);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let log_of = |st: pb::StatusResponse| {
                    st.logs
                        .into_iter()
                        .find(|l| l.author == HOME.0)
                        .map(|l| (l.size, l.root, l.checkpoint_size))
                };
                let h = home.client().await.admin.status(pb::StatusRequest {}).await;
                let p = admin.status(pb::StatusRequest {}).await;
                (
                    log_of(h.expect("home status").into_inner()),
                    log_of(p.expect("puller status").into_inner()),
                )
            });
            sync_ms = (t.elapsed().as_millis() as u64).clamp(20, 5_000);
            assert!(home_status.is_some());
            assert_eq!(
                puller_status, home_status,
                "cycle {cycle}: puller caught up"
            );
            synced_size = home_status.map_or(0, |s| s.0);
        }
    }

    // Finally: one more clean restart of both, and every acknowledged record is there.
    home.terminate();
    puller.terminate();
    home_audit.full_every = 1;
    let store = home_audit
        .check(&home.store_path(), &alliance, &home_county)
        .expect("the home store opens");
    let mut notes = Vec::new();
    fig.lost += lost_and_corrupt(&store, &home_county, &acked, &mut notes) as u64;
    fig.corrupt += notes.len() as u64 + home_audit.corrupt.len() as u64;
    let held = store.log_state(&home_county).expect("log").size;
    drop(store);
    println!(
        "reliability: crash kills={} (import {}, sync puller {}, sync server {}) \
         interrupted_imports={} interrupted_syncs={} acknowledged={} in_flight={} \
         (committed {}, absent {}, torn 0) \
         lost={} corrupt={} sync_progress_lost={} home_log_entries={held} \
         entries_audited={} signatures_verified={} secs={:.1}",
        fig.kills_import + fig.kills_puller + fig.kills_server,
        fig.kills_import,
        fig.kills_puller,
        fig.kills_server,
        fig.interrupted_imports,
        fig.interrupted_syncs,
        acked.iter().collect::<HashSet<_>>().len(),
        fig.in_flight_committed + fig.in_flight_absent,
        fig.in_flight_committed,
        fig.in_flight_absent,
        fig.lost,
        fig.corrupt,
        fig.sync_progress_lost,
        home_audit.entries_checked + puller_audit.entries_checked,
        home_audit.signatures_checked + puller_audit.signatures_checked,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(fig.lost, 0, "acknowledged records lost: {notes:?}");
    assert_eq!(fig.corrupt, 0, "{notes:?} {:?}", home_audit.corrupt);
    assert!(held >= acked.len() as u64);
    assert!(
        fig.interrupted_imports > 0 && fig.interrupted_syncs > 0,
        "the kills landed mid-work: {fig:?}"
    );
}
