//! `bashu`: the one command of Bashu Exchange.
//!
//! Exit codes: 0 success; 1 error (message on stderr); 2 usage error; 3 import finished
//! but some rows were refused; 4 a check's verdict is not RECOGNISED/VALID.

/// sled allocates and frees a node copy on most writes; with glibc's allocator a third of an
/// import's CPU went to malloc and free (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench;
mod check;
mod demo;
mod r#gen;
mod governance;
mod progress;
mod security;
mod status;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use bashu_core::CountyCode;
use bashu_core::import::ImportKind;
use bashu_node::bootstrap::{
    Founder, InitOptions, SecurityOptions, generate_key, init_alliance_with,
};
use bashu_node::client::NodeClient;
use bashu_node::import::{ImportOptions, ImportSummary, import_file_with};
use bashu_node::{Node, NodeConfig};
use bashu_proto::v1 as pb;

#[derive(Parser)]
#[command(
    name = "bashu",
    version,
    about = "Bashu Exchange: mutual recognition of skill certificates across the counties of the 巴蜀工匠 alliance",
    after_help = "Examples:\n  bashu demo\n  bashu alliance init --dir fed --county 500153=荣昌区 --county 510521=泸县\n  bashu node --config fed/500153/node.toml\n  bashu import --config fed/500153/node.toml --sync certificates.csv\n  bashu status --config fed/510521/node.toml\n  bashu query cert --config fed/510521/node.toml --cert-no Y0000500000012341000001 --name 张三\n\nExit codes:\n  0  success\n  1  error (the message is on stderr)\n  2  usage error\n  3  import finished, but some rows were refused (listed on stderr)\n  4  a check's verdict is not RECOGNISED/VALID\n\nEnvironment:\n  BASHU_LOG=debug          log level (an EnvFilter: info, bashu_node=debug, ...)\n  BASHU_LOG_FORMAT=json    logs as JSON lines (same as --log-format json)\n  BASHU_NO_PROGRESS=1      no progress bars even on a terminal"
)]
struct Cli {
    /// Log format on stderr: text (default) or json (one object per line, for collectors).
    /// Also BASHU_LOG_FORMAT=json.
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

static LOG_FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

#[derive(Subcommand)]
enum Command {
    /// Start a local three-county federation, import, sync and show every node agrees.
    Demo(demo::DemoArgs),
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Found an alliance: keys, genesis and node configs.
    #[command(subcommand)]
    Alliance(AllianceCmd),
    /// Run a county node until SIGINT or SIGTERM.
    Node(ConfigArg),
    /// Import an HR export (any record kind of SPEC §4, CSV or JSON Lines) into the county's own node.
    #[command(
        after_help = "Example:\n  bashu import --config fed/500153/node.toml certificates.csv"
    )]
    Import(ImportArgs),
    /// Pull now from the configured peers.
    #[command(after_help = "Example:\n  bashu sync --config fed/510521/node.toml")]
    Sync(SyncArgs),
    /// The federation as this node sees it: each county's log size, last checkpoint and its
    /// age, cosignatures, lag behind the peers, frozen logs; the last sync with each peer.
    #[command(
        after_help = "Examples:\n  bashu status --config fed/510521/node.toml\n  bashu status --config fed/510521/node.toml --json"
    )]
    Status(StatusArgs),
    /// Look things up in the replicated data.
    #[command(subcommand)]
    Query(QueryCmd),
    /// The audit trail of queries this node answered: who asked, what (as keyed hashes),
    /// why, when, and the outcome.
    #[command(
        after_help = "Examples:\n  bashu audit --config fed/500153/node.toml --since 2026-11-30T00:00:00Z\n  bashu audit --config fed/500153/node.toml --since 2026-11-30 --json\n  bashu audit --config fed/500153/node.toml --match Y0000500000012341000001"
    )]
    Audit(security::AuditArgs),
    /// Co-assessment checks: certificate recognition, batch validity, promotion (exit 4 when
    /// the verdict is not RECOGNISED/VALID).
    #[command(subcommand)]
    Check(check::CheckCmd),
    /// The shared expert pool.
    #[command(subcommand)]
    Experts(check::ExpertsCmd),
    /// Performance scenarios (docs/BENCHMARKS.md); use a release build.
    #[command(
        subcommand,
        after_help = "Examples:\n  bashu bench all\n  bashu bench catchup --n 1000000\n  bashu bench recognition --n 1000000"
    )]
    Bench(bench::BenchCmd),
    /// Synthetic county HR exports with a seeded share of deliberate rule violations, and
    /// MANIFEST.json saying what every check must answer.
    #[command(
        after_help = "Example:\n  bashu gen --dir gen --counties 500153,510521,511083 --certificates 100000 --seed 1 --violations 0.02\n  bashu import --config fed/500153/node.toml gen/500153/*"
    )]
    Gen(r#gen::GenArgs),
}

#[derive(Args)]
struct ConfigArg {
    /// The node's node.toml.
    #[arg(long)]
    config: PathBuf,
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Generate a county's TLS identity (self-signed, pinned by SHA-256 in the alliance):
    /// `tls.crt` and `tls.key` (mode 0600); prints the pin.
    #[command(after_help = "Example:\n  bashu keys tls --out-dir fed/500118 --county 500118")]
    Tls(security::TlsArgs),
    /// Generate a county signing key (ed25519), written with mode 0600.
    Gen {
        /// Where to write the key; refuses to overwrite.
        #[arg(long, default_value = "signing.key")]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Print the public key and key id of a signing key file.
    Show {
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AllianceCmd {
    /// Members, keys, decisions with their approvals, frozen logs, parameters.
    Status {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Propose an alliance decision (an entry in this county's log).
    #[command(
        after_help = "Examples:\n  bashu alliance propose --config fed/500153/node.toml --id admit-500118 --kind admit-member --county 500118 --name 永川区 --signing-key HEX --endpoint http://10.0.0.8:7150\n  bashu alliance propose --config fed/500153/node.toml --id rotate-1 --kind rotate-key --county 500153 --new-key HEX --from-seq 120"
    )]
    Propose(ProposeArgs),
    /// Approve another member's proposal (an entry in this county's log).
    Approve {
        #[arg(long)]
        config: PathBuf,
        /// County that proposed.
        #[arg(long)]
        proposer: String,
        #[arg(long = "proposal-id")]
        proposal_id: String,
    },
    /// Write keys, node configs and the genesis signed by every founder.
    #[command(
        after_help = "Example:\n  bashu alliance init --dir fed --county 500153=荣昌区 --county 510521=泸县 --county 511083=隆昌市"
    )]
    Init(InitArgs),
}

#[derive(Args)]
struct InitArgs {
    /// Directory to create the alliance in.
    #[arg(long)]
    dir: PathBuf,
    /// A founding county as CODE=NAME, e.g. 500153=荣昌区 (repeat for each).
    #[arg(long = "county", required = true)]
    counties: Vec<String>,
    #[arg(long, default_value = "bashu-gongjiang")]
    alliance_id: String,
    #[arg(
        long,
        default_value = "渝西川南“巴蜀工匠”协同培养融合区技能人才发展联盟"
    )]
    alliance_name: String,
    /// Host the nodes listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port of the first county; the others follow.
    #[arg(long, default_value_t = 7150)]
    base_port: u16,
    /// Approvals needed for alliance decisions (default: a majority).
    #[arg(long, default_value_t = 0)]
    threshold: u32,
    /// Founding date, YYYY-MM-DD.
    #[arg(long, default_value = "2026-11-30")]
    founded_on: String,
    /// Scheduled sync interval written into each node.toml, seconds (0 = on demand).
    #[arg(long, default_value_t = 3600)]
    sync_interval: u64,
    /// Port of the first county's HTTP side (health, metrics, console); the others follow.
    #[arg(long, default_value_t = 7250)]
    http_base_port: u16,
    /// Write no [http] section (no health, metrics or console listener).
    #[arg(long)]
    no_http: bool,
    /// Plaintext gRPC with unauthenticated peers (no TLS identities): development on
    /// loopback only. Every node logs a warning.
    #[arg(long)]
    insecure_dev: bool,
    /// Validity of the generated TLS certificates, in days.
    #[arg(long, default_value_t = 3650)]
    tls_valid_days: u64,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DecisionKindArg {
    AdmitMember,
    RemoveMember,
    RotateKey,
    DeclareCompromised,
    SetScope,
    SetPromotionTable,
    SetParameters,
    ResolveEquivocation,
}

#[derive(Args)]
struct ProposeArgs {
    #[arg(long)]
    config: PathBuf,
    /// Proposal id, unique in this county's log.
    #[arg(long)]
    id: String,
    #[arg(long, value_enum)]
    kind: DecisionKindArg,
    /// The county the decision is about.
    #[arg(long)]
    county: Option<String>,
    /// Name of a county to admit.
    #[arg(long)]
    name: Option<String>,
    /// Public signing key (hex) of a county to admit.
    #[arg(long)]
    signing_key: Option<String>,
    /// Endpoint of a county to admit.
    #[arg(long)]
    endpoint: Option<String>,
    /// New public key (hex) for rotate-key.
    #[arg(long)]
    new_key: Option<String>,
    /// Key id (hex) for declare-compromised.
    #[arg(long)]
    key_id: Option<String>,
    /// Log position the decision acts from (remove-member, rotate-key, declare-compromised).
    #[arg(long)]
    from_seq: Option<u64>,
    /// Entries up to this position stand (resolve-equivocation).
    #[arg(long)]
    keep_up_to: Option<u64>,
    /// Promotion table id (set-promotion-table).
    #[arg(long)]
    table_id: Option<String>,
    /// JSON file with the scope, table or parameters.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Effective date, YYYY-MM-DD (parameter decisions apply from it; default today).
    #[arg(long)]
    effective_date: Option<String>,
    #[arg(long, default_value = "")]
    reason: String,
    /// SHA-256 (hex) of the TLS certificate of a county to admit (`bashu keys tls` prints
    /// it); its node is reachable only once this pin is active.
    #[arg(long)]
    tls_cert_sha256: Option<String>,
}

#[derive(Args)]
struct ImportArgs {
    #[arg(long)]
    config: PathBuf,
    /// Ignore unknown columns instead of refusing the file (CSV) or the row (JSON Lines).
    #[arg(long)]
    lenient: bool,
    /// The kind of records in every file: certificates, certificate-status, institutions,
    /// filings, filing-status, experts, relations, batches, competitions, results,
    /// occupations, urgent. Default: told from each file's header row (CSV) or first
    /// object (JSON Lines).
    #[arg(long, value_name = "KIND")]
    kind: Option<ImportKind>,
    /// Print the summary as JSON (with --sync: {"imports": [...], "sync": [...]}).
    #[arg(long)]
    json: bool,
    /// Sync with the peers after the import (as `bashu sync`).
    #[arg(long)]
    sync: bool,
    /// Files to import: CSV (English or Chinese headers) or JSON Lines (.jsonl).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Args)]
struct StatusArgs {
    #[arg(long)]
    config: PathBuf,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SyncArgs {
    #[arg(long)]
    config: PathBuf,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum QueryCmd {
    /// Find a certificate by any two of certificate number, name and ID number.
    #[command(
        after_help = "Example:\n  bashu query cert --config fed/510521/node.toml --cert-no Y0000500000012341000001 --name 张三"
    )]
    Cert(QueryCertArgs),
}

#[derive(Args)]
struct QueryCertArgs {
    #[arg(long)]
    config: PathBuf,
    #[arg(long)]
    cert_no: Option<String>,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    id_no: Option<String>,
    /// ID document type (default 居民身份证).
    #[arg(long, default_value = "")]
    id_type: String,
    /// Show the full ID number (only for the home node's own records, only for its
    /// operator).
    #[arg(long)]
    reveal_id: bool,
    /// Why you ask (a case or file reference); recorded in the node's audit trail.
    #[arg(long)]
    purpose: Option<String>,
    #[arg(long)]
    json: bool,
}

fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BASHU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match LOG_FORMAT.get() {
        // One JSON object per line, with the span fields (peer.county, rpc.method …).
        Some(LogFormat::Json) => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        _ => builder.try_init(),
    };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let from_env = std::env::var("BASHU_LOG_FORMAT")
        .ok()
        .filter(|v| v.eq_ignore_ascii_case("json"))
        .map(|_| LogFormat::Json);
    let _ = LOG_FORMAT.set(cli.log_format.or(from_env).unwrap_or(LogFormat::Text));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Demo(args) => {
            init_tracing("warn");
            demo::run(args).await?;
        }
        Command::Keys(KeysCmd::Tls(args)) => security::keys_tls(args)?,
        Command::Audit(args) => {
            init_tracing("warn");
            security::audit(args).await?;
        }
        Command::Keys(KeysCmd::Gen { out, json }) => {
            let key = generate_key(&out)?;
            print_key(&key, Some(&out), json)?;
        }
        Command::Keys(KeysCmd::Show { key, json }) => {
            let text = std::fs::read_to_string(&key)
                .with_context(|| format!("cannot read {}", key.display()))?;
            let key = bashu_core::keys::SigningKey::from_file_string(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
            print_key(&key, None, json)?;
        }
        Command::Alliance(AllianceCmd::Init(args)) => alliance_init(args)?,
        Command::Alliance(AllianceCmd::Status { config, json }) => {
            init_tracing("warn");
            governance::status(&config, json).await?;
        }
        Command::Alliance(AllianceCmd::Propose(args)) => {
            init_tracing("warn");
            governance::propose(args).await?;
        }
        Command::Alliance(AllianceCmd::Approve {
            config,
            proposer,
            proposal_id,
        }) => {
            init_tracing("warn");
            governance::approve(&config, proposer, proposal_id).await?;
        }
        Command::Node(ConfigArg { config }) => {
            init_tracing("info");
            run_node(&config).await?;
        }
        Command::Import(args) => {
            init_tracing("warn");
            return import(args).await;
        }
        Command::Sync(args) => {
            init_tracing("warn");
            sync(args).await?;
        }
        Command::Status(args) => {
            init_tracing("warn");
            status::status(&args.config, args.json).await?;
        }
        Command::Check(cmd) => {
            init_tracing("warn");
            return check::check(cmd).await;
        }
        Command::Bench(cmd) => {
            init_tracing("warn");
            bench::run(cmd).await?;
        }
        Command::Gen(args) => r#gen::run(args)?,
        Command::Experts(cmd) => {
            init_tracing("warn");
            check::experts(cmd).await?;
        }
        Command::Query(QueryCmd::Cert(args)) => {
            init_tracing("warn");
            query_cert(args).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A signing key's public half, for people or (`--json`) scripts.
fn print_key(key: &bashu_core::keys::SigningKey, written: Option<&Path>, json: bool) -> Result<()> {
    let public = hex::encode(key.public_key().to_bytes());
    if json {
        let mut v = serde_json::json!({ "public_key": public, "key_id": key.key_id().to_string() });
        if let Some(p) = written {
            v["file"] = serde_json::Value::String(p.display().to_string());
        }
        println!("{v}");
        return Ok(());
    }
    if let Some(p) = written {
        println!("wrote {} (mode 0600)", p.display());
    }
    println!("public key  {public}");
    println!("key id      {}", key.key_id());
    Ok(())
}

fn alliance_init(args: InitArgs) -> Result<()> {
    let mut founders = Vec::new();
    for c in &args.counties {
        let (code, name) = c
            .split_once('=')
            .with_context(|| format!("--county {c}: expected CODE=NAME, e.g. 500153=荣昌区"))?;
        let county =
            CountyCode::parse(code.trim()).map_err(|e| anyhow::anyhow!("--county {c}: {e}"))?;
        founders.push(Founder {
            county,
            name: name.trim().to_owned(),
            port: None,
        });
    }
    let security = SecurityOptions {
        insecure_dev: args.insecure_dev,
        tls_valid_days: args.tls_valid_days,
        tls_validity_overrides: Vec::new(),
    };
    let report = init_alliance_with(
        &args.dir,
        &founders,
        &InitOptions {
            alliance_id: args.alliance_id,
            alliance_name: args.alliance_name,
            host: args.host,
            base_port: args.base_port,
            threshold: args.threshold,
            founded_on: args.founded_on,
            sync_interval_secs: args.sync_interval,
            http_base_port: (!args.no_http).then_some(args.http_base_port),
        },
        &security,
    )?;
    println!("genesis     {}", report.genesis.display());
    if args.insecure_dev {
        println!("WARNING: --insecure-dev: plaintext gRPC, peers unauthenticated (loopback only)");
    }
    for c in &report.counties {
        println!(
            "{} {:<6} key {} ({})  config {}  endpoint {}",
            c.county,
            c.name,
            c.signing_key.display(),
            c.key_id,
            c.config.display(),
            c.endpoint
        );
        if let Ok(pin) = bashu_node::tls::cert_file_pin(&c.dir.join("tls.crt")) {
            println!("       tls cert sha256 {}", hex::encode(pin));
        }
    }
    Ok(())
}

async fn run_node(config: &Path) -> Result<()> {
    let cfg = NodeConfig::load(config)?;
    let node = Node::start(cfg, None).await?;
    println!("{} serving on {}", node.county(), node.local_addr());
    shutdown_signal().await;
    tracing::info!("shutting down");
    node.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Connects to the node a config describes, as its operator (TLS pinned to the node's
/// certificate, the operator token of the config), or with the token in the file
/// `BASHU_TOKEN_FILE` names (e.g. the secretariat's).
pub(crate) async fn connect(config: &Path) -> Result<(NodeConfig, NodeClient)> {
    let cfg = NodeConfig::load(config)?;
    let endpoint = bashu_node::client::endpoint_of(&cfg);
    let token_file = std::env::var_os("BASHU_TOKEN_FILE").map(PathBuf::from);
    let client = NodeClient::for_config(&cfg, token_file.as_deref())
        .await
        .with_context(|| {
            format!(
                "cannot reach the node at {endpoint}; is `bashu node --config {}` running?",
                config.display()
            )
        })?;
    Ok((cfg, client))
}

pub(crate) fn print_summary(s: &ImportSummary) {
    for r in &s.refused {
        eprintln!(
            "{}: column {}: {} / {}",
            r.origin, r.column, r.message_zh, r.message_en
        );
    }
    println!(
        "{}: read {}, new {}, unchanged {}, refused {} (读取 {}，新增 {}，未变 {}，拒绝 {})",
        s.file,
        s.read,
        s.new,
        s.unchanged,
        s.refused.len(),
        s.read,
        s.new,
        s.unchanged,
        s.refused.len()
    );
}

async fn import(args: ImportArgs) -> Result<ExitCode> {
    let (_, mut client) = connect(&args.config).await?;
    let options = ImportOptions {
        kind: args.kind,
        lenient: args.lenient,
    };
    let mut any_refused = false;
    let mut summaries = Vec::new();
    for file in &args.files {
        let bar = progress::Progress::import(file);
        let summary = import_file_with(&mut client, file, &options, |done| bar.set(done)).await;
        bar.finish();
        let summary = summary?;
        any_refused |= !summary.refused.is_empty();
        if !args.json {
            if let Some(kind) = ImportKind::parse(&summary.kind) {
                println!("{}: {} ({})", summary.file, kind, kind.label_zh());
            }
            print_summary(&summary);
        }
        summaries.push(summary);
    }
    let synced = if args.sync {
        let resp = sync_now(&mut client).await?;
        if !args.json {
            print_sync(&resp);
        }
        Some(resp)
    } else {
        None
    };
    if args.json {
        let imports = serde_json::to_value(&summaries)?;
        let v = match &synced {
            Some(resp) => serde_json::json!({"imports": imports, "sync": sync_json(resp)}),
            None => imports,
        };
        println!("{}", serde_json::to_string_pretty(&v)?);
    }
    if synced.is_some_and(|r| r.peers.iter().any(|p| !p.ok)) {
        bail!("the import is stored, but the sync with some peers failed");
    }
    Ok(if any_refused {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// Asks the node to pull from its peers now, with a spinner on a terminal.
async fn sync_now(client: &mut NodeClient) -> Result<pb::SyncNowResponse> {
    let spinner = progress::Progress::spinner("syncing with the peers / 正在同步");
    let resp = client.admin.sync_now(pb::SyncNowRequest {}).await;
    spinner.finish();
    Ok(resp
        .map_err(|s| anyhow::anyhow!("sync failed: {}", s.message()))?
        .into_inner())
}

fn sync_json(resp: &pb::SyncNowResponse) -> serde_json::Value {
    resp.peers
        .iter()
        .map(|p| {
            serde_json::json!({
                "peer": p.peer, "ok": p.ok, "error": p.error, "seconds": p.seconds,
                "received": p.received.iter().map(|a| serde_json::json!({
                    "author": a.author, "entries": a.entries, "bytes": a.bytes})).collect::<Vec<_>>(),
            })
        })
        .collect()
}

fn print_sync(resp: &pb::SyncNowResponse) {
    for p in &resp.peers {
        let got: u64 = p.received.iter().map(|a| a.entries).sum();
        if p.ok {
            println!("peer {}: ok, {} entries in {:.2}s", p.peer, got, p.seconds);
        } else {
            println!("peer {}: FAILED ({}), {} entries", p.peer, p.error, got);
        }
        for a in &p.received {
            println!(
                "  author {}: {} entries, {} bytes",
                a.author, a.entries, a.bytes
            );
        }
    }
}

async fn sync(args: SyncArgs) -> Result<()> {
    let (_, mut client) = connect(&args.config).await?;
    let resp = sync_now(&mut client).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&sync_json(&resp))?);
    } else {
        print_sync(&resp);
    }
    if resp.peers.iter().any(|p| !p.ok) {
        bail!("sync with some peers failed");
    }
    Ok(())
}

async fn query_cert(args: QueryCertArgs) -> Result<()> {
    let (_, mut client) = connect(&args.config).await?;
    client.set_purpose(args.purpose.as_deref());
    let resp = client
        .query
        .find_certificate(pb::FindCertificateRequest {
            cert_no: args.cert_no.unwrap_or_default(),
            name: args.name.unwrap_or_default(),
            id_no: args.id_no.unwrap_or_default(),
            id_type: args.id_type,
            reveal_id: args.reveal_id,
        })
        .await
        .map_err(|s| anyhow::anyhow!("{}", s.message()))?
        .into_inner();
    if args.json {
        let v: Vec<_> = resp.matches.iter().map(demo::match_json).collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if resp.matches.is_empty() {
        println!("no certificate found / 未查到证书");
    }
    for m in &resp.matches {
        demo::print_match(m);
    }
    Ok(())
}
