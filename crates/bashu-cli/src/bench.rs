//! `bashu bench`: the performance scenarios of docs/BENCHMARKS.md, on real nodes over
//! loopback (with whatever transport security `alliance init` sets up), in this process.

use std::time::Instant;

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
}

#[derive(Args, Clone)]
pub(crate) struct RecognitionArgs {
    #[command(flatten)]
    size: Size,
    /// Checks to time.
    #[arg(long, default_value_t = 10_000)]
    checks: usize,
}

/// Starts a new peak for [`rss_mib`] (Linux ≥ 4.0: `/proc/self/clear_refs` "5" resets
/// VmHWM to the current RSS); false where that is not possible.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Resident set size now and at its peak, MiB (Linux `/proc/self/status`).
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

struct Fed {
    _dir: tempfile::TempDir,
    nodes: Vec<Node>,
    dir: std::path::PathBuf,
}

/// Two counties: 500153 (the author) and 510521 (the puller, started later).
async fn federation(cache_mib: u64, start_second: bool) -> Result<(Fed, NodeConfig)> {
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
        cfgs.push(cfg);
    }
    let mut listeners = listeners.into_iter();
    let mut nodes = Vec::new();
    if let Some(l) = listeners.next() {
        nodes.push(Node::start(cfgs[0].clone(), Some(l)).await?);
    }
    let second = cfgs[1].clone();
    if start_second {
        if let Some(l) = listeners.next() {
            nodes.push(Node::start(second.clone(), Some(l)).await?);
        }
    }
    Ok((
        Fed {
            _dir: tmp,
            nodes,
            dir,
        },
        second,
    ))
}

async fn client(node: &Node) -> Result<NodeClient> {
    Ok(node.operator_client().await?)
}

/// Writes N certificates of 500153 and imports them; returns (seconds, cert numbers).
async fn import_n(fed: &Fed, n: usize, seed: u64, name: &str) -> Result<(f64, Vec<String>)> {
    let county = fed.nodes[0].county().clone();
    let certs = synth::certificates(&county, "荣昌区", n, seed);
    let path = fed.dir.join(name);
    write_certificates_csv(
        std::io::BufWriter::new(std::fs::File::create(&path)?),
        &certs,
    )?;
    let mut c = client(&fed.nodes[0]).await?;
    let started = Instant::now();
    let s = import_file(&mut c, &path, false, |_| {}).await?;
    let secs = started.elapsed().as_secs_f64();
    if !s.refused.is_empty() {
        bail!("{} rows refused", s.refused.len());
    }
    Ok((
        secs,
        certs
            .into_iter()
            .map(|c| c.cert_no.as_str().to_owned())
            .collect(),
    ))
}

fn line(name: &str, value: String) {
    println!("{name:<34} {value}");
}

async fn bench_import(size: &Size) -> Result<(Fed, Vec<String>)> {
    let (fed, _) = federation(size.cache_mib, false).await?;
    println!("== import: {} certificates from CSV into one node", size.n);
    let (secs, nos) = import_n(&fed, size.n, 1, "certs.csv").await?;
    let (rss, peak) = rss_mib();
    line("rows/s", format!("{:.0}", size.n as f64 / secs));
    line("seconds", format!("{secs:.2}"));
    line(
        "RSS now / peak (MiB, whole process)",
        format!("{rss:.0} / {peak:.0}"),
    );
    Ok((fed, nos))
}

async fn bench_catchup(a: &CatchupArgs, fed: Fed, second: NodeConfig) -> Result<Fed> {
    let mut fed = fed;
    let mut second = second;
    // The puller pulls when the bench says so, not on its own at start, and answers the
    // recognition bench's back-to-back calls without a per-caller rate limit.
    second.sync.confirm_own_log_on_start = false;
    second.limits.rate_per_sec = 0.0;
    println!(
        "== full catch-up: a fresh node pulls {} entries over loopback",
        a.size.n
    );
    let l = TcpListener::bind(second.listen).await?;
    let reset = reset_peak_rss();
    let (rss_before, _) = rss_mib();
    fed.nodes.push(Node::start(second, Some(l)).await?);
    let started = Instant::now();
    let out = fed.nodes[1].sync_now().await;
    let secs = started.elapsed().as_secs_f64();
    let entries: u64 = out
        .iter()
        .flat_map(|o| &o.received)
        .map(|p| p.entries)
        .sum();
    let bytes: u64 = out.iter().flat_map(|o| &o.received).map(|p| p.bytes).sum();
    if out.iter().any(|o| !o.ok) {
        bail!(
            "catch-up failed: {:?}",
            out.iter().flat_map(|o| &o.errors).collect::<Vec<_>>()
        );
    }
    let (_, peak) = rss_mib();
    line(
        "entries/s (verified, stored)",
        format!("{:.0}", entries as f64 / secs),
    );
    line("entries / seconds", format!("{entries} / {secs:.2}"));
    line("entry bytes received", format!("{bytes}"));
    if reset {
        line(
            "RSS at start / peak during / growth (MiB, whole process)",
            format!(
                "{rss_before:.0} / {peak:.0} / {:.0}",
                (peak - rss_before).max(0.0)
            ),
        );
    } else {
        line(
            "RSS at start / process peak so far (MiB)",
            format!("{rss_before:.0} / {peak:.0}"),
        );
    }

    println!("== incremental night: k = {} new entries", a.k);
    let (_, _) = import_n(&fed, a.size.n + a.k, 1, "night.csv").await?;
    let started = Instant::now();
    let out = fed.nodes[1].sync_now().await;
    let secs = started.elapsed().as_secs_f64();
    let entries: u64 = out
        .iter()
        .flat_map(|o| &o.received)
        .map(|p| p.entries)
        .sum();
    let bytes: u64 = out.iter().flat_map(|o| &o.received).map(|p| p.bytes).sum();
    let heads = heads_bytes(&fed.nodes[0]).await?;
    line("entries / seconds", format!("{entries} / {secs:.3}"));
    line(
        "bytes (heads + entries)",
        format!("{}", heads + bytes as usize),
    );

    println!("== quiet night: nothing new");
    let started = Instant::now();
    let out = fed.nodes[1].sync_now().await;
    let secs = started.elapsed().as_secs_f64();
    let entries: u64 = out
        .iter()
        .flat_map(|o| &o.received)
        .map(|p| p.entries)
        .sum();
    line("entries / seconds", format!("{entries} / {secs:.3}"));
    line(
        "bytes per peer exchange (Heads)",
        format!("{}", heads_bytes(&fed.nodes[0]).await?),
    );
    Ok(fed)
}

/// The encoded size of one `Heads` answer of `node` (what a quiet night costs per peer, before
/// HTTP/2 and TLS framing).
async fn heads_bytes(node: &Node) -> Result<usize> {
    let store = node.store();
    let heads =
        tokio::task::spawn_blocking(move || bashu_sync::serve_heads(store.as_ref())).await??;
    let msg = bashu_node::heads_response(heads);
    Ok(msg.encoded_len())
}

async fn bench_recognition(fed: &Fed, nos: &[String], checks: usize) -> Result<()> {
    println!(
        "== recognition: CheckRecognition over {checks} random certificates ({} held)",
        nos.len()
    );
    let node = fed.nodes.last().unwrap_or(&fed.nodes[0]);
    let mut c = client(node).await?;
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
            let (fed, second) = federation(a.size.cache_mib, false).await?;
            import_n(&fed, a.size.n, 1, "certs.csv").await?;
            bench_catchup(&a, fed, second).await?;
        }
        BenchCmd::Recognition(r) => {
            let (fed, _) = federation(r.size.cache_mib, false).await?;
            let (_, nos) = import_n(&fed, r.size.n, 1, "certs.csv").await?;
            bench_recognition(&fed, &nos, r.checks).await?;
        }
        BenchCmd::All(a) => {
            let (fed, nos) = bench_import(&a.size).await?;
            let second =
                NodeConfig::load(&fed.dir.join("510521").join("node.toml")).map(|mut c| {
                    c.store.cache_mib = a.size.cache_mib;
                    c
                })?;
            let fed = bench_catchup(&a, fed, second).await?;
            bench_recognition(&fed, &nos, 10_000).await?;
        }
    }
    Ok(())
}
