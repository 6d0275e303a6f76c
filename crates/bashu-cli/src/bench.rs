//! `bashu bench`: the performance scenarios of docs/BENCHMARKS.md, on real nodes over
//! loopback with the transport security `alliance init` sets up. The author node runs in
//! this process beside the importing client; the node that catches up runs as a child
//! process (`bashu node`), so that its memory and its answers are measured on their own.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use prost::Message as _;
use tokio::net::TcpListener;

use bashu_core::CountyCode;
use bashu_core::import::write_certificates_csv;
use bashu_core::synth;
use bashu_node::bootstrap::{Founder, InitOptions, init_alliance};
use bashu_node::client::NodeClient;
use bashu_node::import::import_file;
use bashu_node::{Node, NodeConfig};
use bashu_proto::v1 as pb;

#[derive(Subcommand)]
pub(crate) enum BenchCmd {
    /// N certificates from CSV into a node: rows/s and RSS.
    Import(Size),
    /// A fresh node pulls N entries of another county: entries/s, bytes, peak RSS; then an
    /// incremental night of k entries and a quiet night.
    Catchup(CatchupArgs),
    /// CheckRecognition latency p50/p99 over random certificates with N in the store.
    Recognition(RecognitionArgs),
    /// All of the above, one after another, on one data set.
    All(CatchupArgs),
}

#[derive(Args, Clone)]
pub(crate) struct Size {
    /// Number of certificates.
    #[arg(long, default_value_t = 200_000)]
    n: usize,
    /// Store page cache per node, MiB.
    #[arg(long, default_value_t = 64)]
    cache_mib: u64,
}

#[derive(Args, Clone)]
pub(crate) struct CatchupArgs {
    #[command(flatten)]
    size: Size,
    /// New entries in the incremental night.
    #[arg(long, default_value_t = 1000)]
    k: usize,
    /// The puller's `[sync] max_chunk` (entries per streamed chunk); the config default
    /// when absent.
    #[arg(long)]
    max_chunk: Option<u32>,
}

#[derive(Args, Clone)]
pub(crate) struct RecognitionArgs {
    #[command(flatten)]
    size: Size,
    /// Checks to time.
    #[arg(long, default_value_t = 10_000)]
    checks: usize,
}

/// CPU time (user + system) process `pid` ("self" for this one) has used, seconds
/// (Linux `/proc/<pid>/stat`; zero elsewhere).
fn cpu_secs_of(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may contain spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime, fields 14 and 15 of the whole line, in clock ticks: USER_HZ, 100
    // per second on every Linux architecture this runs on.
    (ticks(11) + ticks(12)) / 100.0
}

/// Resident set size now and at its peak, MiB, of this process.
fn rss_mib() -> (f64, f64) {
    rss_mib_of("self")
}

/// Resident set size now and at its peak, MiB, of process `pid` (Linux
/// `/proc/<pid>/status`; zeros elsewhere).
fn rss_mib_of(pid: &str) -> (f64, f64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Fields drop in order: the nodes stop before their directory is removed.
struct Fed {
    /// The author, in this process.
    nodes: Vec<Node>,
    /// The node that caught up, once started.
    puller: Option<ChildNode>,
    dir: PathBuf,
    _dir: tempfile::TempDir,
}

/// A node run as a child process of the bench; killed when dropped.
struct ChildNode {
    child: std::process::Child,
    cfg: NodeConfig,
}

impl ChildNode {
    /// Starts `bashu node --config config` (its log beside the config) and waits until it
    /// answers its operator.
    async fn start(config: &Path) -> Result<ChildNode> {
        let cfg = NodeConfig::load(config)?;
        let log_path = config.with_file_name("node.log");
        let log = std::fs::File::create(&log_path)?;
        let child = std::process::Command::new(std::env::current_exe()?)
            .arg("node")
            .arg("--config")
            .arg(config)
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let mut node = ChildNode { child, cfg };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = node.child.try_wait()? {
                // The bench's directory goes with the error: the log's end goes in it.
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(10).collect();
                bail!(
                    "the node that catches up exited at start ({status}):\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            if let Ok(mut c) = node.client().await {
                if c.admin.status(pb::StatusRequest {}).await.is_ok() {
                    return Ok(node);
                }
            }
            if Instant::now() > deadline {
                bail!("the node that catches up did not answer within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn client(&self) -> Result<NodeClient> {
        Ok(NodeClient::for_config(&self.cfg, None).await?)
    }

    /// CPU seconds used so far.
    fn cpu_secs(&self) -> f64 {
        cpu_secs_of(&self.child.id().to_string())
    }

    /// Resident set size now and at its peak, MiB.
    fn rss_mib(&self) -> (f64, f64) {
        rss_mib_of(&self.child.id().to_string())
    }
}

impl Drop for ChildNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sets `table.key = value` in the TOML file at `path`, `table` created if absent.
fn set_toml(path: &Path, edits: &[(&str, &str, toml::Value)]) -> Result<()> {
    let mut doc: toml::Table = std::fs::read_to_string(path)?.parse()?;
    for (table, key, value) in edits {
        let t = doc
            .entry(table.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let Some(t) = t.as_table_mut() else {
            bail!("{} has no [{table}] table", path.display());
        };
        t.insert(key.to_string(), value.clone());
    }
    std::fs::write(path, toml::to_string(&doc)?)?;
    Ok(())
}

/// Two counties: 500153 (the author, started here) and 510521 (the puller, its config
/// written for [`bench_catchup`] to start).
async fn federation(cache_mib: u64) -> Result<Fed> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().to_owned();
    let mut listeners = Vec::new();
    let mut founders = Vec::new();
    for (code, name) in [("500153", "荣昌区"), ("510521", "泸县")] {
        let l = TcpListener::bind("127.0.0.1:0").await?;
        founders.push(Founder {
            county: CountyCode::parse(code).map_err(|e| anyhow::anyhow!("{e}"))?,
            name: name.into(),
            port: Some(l.local_addr()?.port()),
        });
        listeners.push(l);
    }
    let report = init_alliance(
        &dir,
        &founders,
        &InitOptions {
            alliance_id: "bashu-bench".into(),
            alliance_name: "bench".into(),
            host: "127.0.0.1".into(),
            base_port: 0,
            threshold: 0,
            founded_on: "2026-11-30".into(),
            sync_interval_secs: 0,
            http_base_port: None,
        },
    )?;
    let mut cfgs = Vec::new();
    for c in &report.counties {
        let mut cfg = NodeConfig::load(&c.config)?;
        cfg.store.cache_mib = cache_mib;
        // The author needs no peer confirmation in a bench (the puller is not up yet).
        cfg.sync.confirm_own_log_on_start = false;
        // The bench is one caller timing back-to-back calls: no per-caller rate limit.
        cfg.limits.rate_per_sec = 0.0;
        cfgs.push((c.config.clone(), cfg));
    }
    let mut listeners = listeners.into_iter();
    let mut nodes = Vec::new();
    if let (Some(l), Some((_, cfg))) = (listeners.next(), cfgs.first()) {
        nodes.push(Node::start(cfg.clone(), Some(l)).await?);
    }
    // The same settings for the puller, in its file: it pulls when the bench says so.
    if let Some((path, _)) = cfgs.get(1) {
        set_toml(
            path,
            &[
                ("store", "cache_mib", toml::Value::Integer(cache_mib as i64)),
                (
                    "sync",
                    "confirm_own_log_on_start",
                    toml::Value::Boolean(false),
                ),
                ("limits", "rate_per_sec", toml::Value::Float(0.0)),
            ],
        )?;
    }
    // Its port is free again for the child to bind.
    drop(listeners);
    Ok(Fed {
        _dir: tmp,
        nodes,
        puller: None,
        dir,
    })
}

async fn client(node: &Node) -> Result<NodeClient> {
    Ok(node.operator_client().await?)
}

/// One timed import.
struct Imported {
    secs: f64,
    /// CPU seconds of this process (the node and the client) during the import.
    cpu: f64,
    /// The certificate numbers imported.
    cert_nos: Vec<String>,
}

/// Writes N certificates of 500153 and imports them. The generated rows are dropped before
/// the import starts, so that this process holds only the node and the client.
async fn import_n(fed: &Fed, n: usize, seed: u64, name: &str) -> Result<Imported> {
    let county = fed.nodes[0].county().clone();
    let path = fed.dir.join(name);
    let cert_nos = {
        let certs = synth::certificates(&county, "荣昌区", n, seed);
        write_certificates_csv(
            std::io::BufWriter::new(std::fs::File::create(&path)?),
            &certs,
        )?;
        certs
            .into_iter()
            .map(|c| c.cert_no.as_str().to_owned())
            .collect()
    };
    let mut c = client(&fed.nodes[0]).await?;
    // The peak below is the import's (Linux ≥ 4.0: "5" resets VmHWM to the current RSS).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let cpu = cpu_secs_of("self");
    let started = Instant::now();
    let s = import_file(&mut c, &path, false, |_| {}).await?;
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_secs_of("self") - cpu;
    if !s.refused.is_empty() {
        bail!("{} rows refused", s.refused.len());
    }
    Ok(Imported {
        secs,
        cpu,
        cert_nos,
    })
}

fn line(name: &str, value: String) {
    println!("{name:<34} {value}");
}

async fn bench_import(size: &Size) -> Result<(Fed, Vec<String>)> {
    let fed = federation(size.cache_mib).await?;
    println!("== import: {} certificates from CSV into one node", size.n);
    let Imported {
        secs,
        cpu,
        cert_nos: nos,
    } = import_n(&fed, size.n, 1, "certs.csv").await?;
    let (rss, peak) = rss_mib();
    line("rows/s", format!("{:.0}", size.n as f64 / secs));
    line("seconds", format!("{secs:.2}"));
    line(
        "CPU per row (µs, node + client) / cores busy",
        format!("{:.1} / {:.2}", cpu * 1e6 / size.n as f64, cpu / secs),
    );
    line(
        "RSS after / peak during (MiB, node + client)",
        format!("{rss:.0} / {peak:.0}"),
    );
    Ok((fed, nos))
}

/// One timed `SyncNow` of the node behind `c`: seconds, entries and bytes received; an
/// error if a peer failed.
async fn sync_now(c: &mut NodeClient) -> Result<(f64, u64, u64)> {
    let started = Instant::now();
    let resp = c.admin.sync_now(pb::SyncNowRequest {}).await?.into_inner();
    let secs = started.elapsed().as_secs_f64();
    if let Some(p) = resp.peers.iter().find(|p| !p.ok) {
        bail!("sync with {} failed: {}", p.peer, p.error);
    }
    let received = resp.peers.iter().flat_map(|p| &p.received);
    let (entries, bytes) = received.fold((0, 0), |(e, b), a| (e + a.entries, b + a.bytes));
    Ok((secs, entries, bytes))
}

async fn bench_catchup(a: &CatchupArgs, mut fed: Fed) -> Result<Fed> {
    let config = fed.dir.join("510521").join("node.toml");
    if let Some(n) = a.max_chunk {
        set_toml(
            &config,
            &[("sync", "max_chunk", toml::Value::Integer(i64::from(n)))],
        )?;
    }
    println!(
        "== full catch-up: a fresh node (its own process) pulls {} entries over loopback",
        a.size.n
    );
    let puller = ChildNode::start(&config).await?;
    let (rss_start, _) = puller.rss_mib();
    let mut c = puller.client().await?;
    let cpu = puller.cpu_secs();
    let (secs, entries, bytes) = sync_now(&mut c).await?;
    let cpu = puller.cpu_secs() - cpu;
    let (rss, peak) = puller.rss_mib();
    line(
        "entries/s (verified, stored)",
        format!("{:.0}", entries as f64 / secs),
    );
    line("entries / seconds", format!("{entries} / {secs:.2}"));
    line(
        "puller CPU per entry (µs) / cores busy",
        format!(
            "{:.1} / {:.2}",
            cpu * 1e6 / entries.max(1) as f64,
            cpu / secs
        ),
    );
    line("entry bytes received", format!("{bytes}"));
    line(
        "puller RSS at start / after / peak (MiB)",
        format!("{rss_start:.0} / {rss:.0} / {peak:.0}"),
    );

    println!("== incremental night: k = {} new entries", a.k);
    import_n(&fed, a.size.n + a.k, 1, "night.csv").await?;
    let (secs, entries, bytes) = sync_now(&mut c).await?;
    let heads = heads_bytes(&fed.nodes[0]).await?;
    line("entries / seconds", format!("{entries} / {secs:.3}"));
    line("bytes (heads + entries)", format!("{}", heads + bytes));

    println!("== quiet night: nothing new");
    let (secs, entries, _) = sync_now(&mut c).await?;
    line("entries / seconds", format!("{entries} / {secs:.3}"));
    line(
        "bytes per peer exchange (Heads)",
        format!("{}", heads_bytes(&fed.nodes[0]).await?),
    );
    fed.puller = Some(puller);
    Ok(fed)
}

/// The encoded size of one `Heads` answer of `node` (what a quiet night costs per peer, before
/// HTTP/2 and TLS framing).
async fn heads_bytes(node: &Node) -> Result<u64> {
    let store = node.store();
    let heads =
        tokio::task::spawn_blocking(move || bashu_sync::serve_heads(store.as_ref())).await??;
    let msg = bashu_node::heads_response(heads);
    Ok(msg.encoded_len() as u64)
}

async fn bench_recognition(fed: &Fed, nos: &[String], checks: usize) -> Result<()> {
    println!(
        "== recognition: CheckRecognition over {checks} random certificates ({} held)",
        nos.len()
    );
    // The node that caught up when there is one (its own process), else the author.
    let (mut c, which) = match &fed.puller {
        Some(p) => (p.client().await?, "the node that caught up"),
        None => (client(&fed.nodes[0]).await?, "the author node"),
    };
    println!("   (asking {which})");
    let mut rng = synth::Rng::new(7);
    // Warm the snapshot once (built per log sizes and date, then reused).
    let req = |cert_no: &str| pb::CheckRecognitionRequest {
        cert_no: cert_no.to_owned(),
        county: "510521".into(),
        as_of: "2026-11-30".into(),
        author: String::new(),
    };
    if let Some(first) = nos.first() {
        c.query.check_recognition(req(first)).await?;
    }
    let mut lat = Vec::with_capacity(checks);
    for _ in 0..checks {
        let cert_no = &nos[rng.below(nos.len() as u64) as usize];
        let t = Instant::now();
        c.query.check_recognition(req(cert_no)).await?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    line(
        "p50 / p99 / max (ms, end to end gRPC)",
        format!("{:.3} / {:.3} / {:.3}", pct(0.5), pct(0.99), pct(1.0)),
    );
    Ok(())
}

pub(crate) async fn run(cmd: BenchCmd) -> Result<()> {
    println!(
        "bashu bench on {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    match cmd {
        BenchCmd::Import(size) => {
            bench_import(&size).await?;
        }
        BenchCmd::Catchup(a) => {
            let fed = federation(a.size.cache_mib).await?;
            import_n(&fed, a.size.n, 1, "certs.csv").await?;
            bench_catchup(&a, fed).await?;
        }
        BenchCmd::Recognition(r) => {
            let fed = federation(r.size.cache_mib).await?;
            let nos = import_n(&fed, r.size.n, 1, "certs.csv").await?.cert_nos;
            bench_recognition(&fed, &nos, r.checks).await?;
        }
        BenchCmd::All(a) => {
            let (fed, nos) = bench_import(&a.size).await?;
            let fed = bench_catchup(&a, fed).await?;
            bench_recognition(&fed, &nos, 10_000).await?;
        }
    }
    Ok(())
}
