//! `bashu`: the one command of Bashu Exchange.
//!
//! Exit codes: 0 success; 1 error (message on stderr); 2 usage error; 3 import finished
//! but some rows were refused.

mod demo;
mod governance;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use bashu_core::CountyCode;
use bashu_core::import::ImportKind;
use bashu_node::bootstrap::{Founder, InitOptions, generate_key, init_alliance};
use bashu_node::client::NodeClient;
use bashu_node::import::{ImportOptions, ImportSummary, import_file_with};
use bashu_node::{Node, NodeConfig};
use bashu_proto::v1 as pb;

#[derive(Parser)]
#[command(
    name = "bashu",
    version,
    about = "Bashu Exchange: mutual recognition of skill certificates across the counties of the 巴蜀工匠 alliance",
    after_help = "Examples:\n  bashu demo\n  bashu alliance init --dir fed --county 500153=荣昌区 --county 510521=泸县\n  bashu node --config fed/500153/node.toml\n  bashu import --config fed/500153/node.toml certificates.csv\n  bashu query cert --config fed/510521/node.toml --cert-no Y0000500000012341000001 --name 张三"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

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
    Sync(SyncArgs),
    /// Look things up in the replicated data.
    #[command(subcommand)]
    Query(QueryCmd),
}

#[derive(Args)]
struct ConfigArg {
    /// The node's node.toml.
    #[arg(long)]
    config: PathBuf,
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Generate a county signing key (ed25519), written with mode 0600.
    Gen {
        /// Where to write the key; refuses to overwrite.
        #[arg(long, default_value = "signing.key")]
        out: PathBuf,
    },
    /// Print the public key and key id of a signing key file.
    Show {
        #[arg(long)]
        key: PathBuf,
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
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Files to import: CSV (English or Chinese headers) or JSON Lines (.jsonl).
    #[arg(required = true)]
    files: Vec<PathBuf>,
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
    /// Show the full ID number (only for the home node's own records).
    #[arg(long)]
    reveal_id: bool,
    #[arg(long)]
    json: bool,
}

fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BASHU_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        Command::Keys(KeysCmd::Gen { out }) => {
            let key = generate_key(&out)?;
            println!("wrote {} (mode 0600)", out.display());
            println!("public key  {}", hex::encode(key.public_key().to_bytes()));
            println!("key id      {}", key.key_id());
        }
        Command::Keys(KeysCmd::Show { key }) => {
            let text = std::fs::read_to_string(&key)
                .with_context(|| format!("cannot read {}", key.display()))?;
            let key = bashu_core::keys::SigningKey::from_file_string(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
            println!("public key  {}", hex::encode(key.public_key().to_bytes()));
            println!("key id      {}", key.key_id());
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
        Command::Query(QueryCmd::Cert(args)) => {
            init_tracing("warn");
            query_cert(args).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
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
    let report = init_alliance(
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
        },
    )?;
    println!("genesis     {}", report.genesis.display());
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

/// The client endpoint of the node a config describes.
fn endpoint_of(cfg: &NodeConfig) -> String {
    let mut addr = cfg.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{addr}")
}

pub(crate) async fn connect(config: &Path) -> Result<(NodeConfig, NodeClient)> {
    let cfg = NodeConfig::load(config)?;
    let endpoint = endpoint_of(&cfg);
    let client = NodeClient::connect(endpoint.clone())
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
        let summary = import_file_with(&mut client, file, &options, |_| {}).await?;
        any_refused |= !summary.refused.is_empty();
        if !args.json {
            if let Some(kind) = ImportKind::parse(&summary.kind) {
                println!("{}: {} ({})", summary.file, kind, kind.label_zh());
            }
            print_summary(&summary);
        }
        summaries.push(summary);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summaries)?);
    }
    Ok(if any_refused {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

async fn sync(args: SyncArgs) -> Result<()> {
    let (_, mut client) = connect(&args.config).await?;
    let resp = client
        .admin
        .sync_now(pb::SyncNowRequest {})
        .await
        .map_err(|s| anyhow::anyhow!("sync failed: {}", s.message()))?
        .into_inner();
    if args.json {
        let v: Vec<_> = resp
            .peers
            .iter()
            .map(|p| {
                serde_json::json!({
                    "peer": p.peer, "ok": p.ok, "error": p.error, "seconds": p.seconds,
                    "received": p.received.iter().map(|a| serde_json::json!({
                        "author": a.author, "entries": a.entries, "bytes": a.bytes})).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
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
    if resp.peers.iter().any(|p| !p.ok) {
        bail!("sync with some peers failed");
    }
    Ok(())
}

async fn query_cert(args: QueryCertArgs) -> Result<()> {
    let (_, mut client) = connect(&args.config).await?;
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
