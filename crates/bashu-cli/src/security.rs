//! `bashu keys tls` and `bashu audit`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;

use bashu_node::audit::{AuditLog, audit_dir, format_utc, keyed_hash, parse_utc};
use bashu_node::bootstrap::generate_tls_identity;
use bashu_node::tls::Validity;
use bashu_proto::v1 as pb;

use crate::connect;

#[derive(Args)]
pub(crate) struct TlsArgs {
    /// Directory to write `tls.crt` and `tls.key` (mode 0600) into; refuses to overwrite.
    #[arg(long)]
    out_dir: PathBuf,
    /// The county (6-digit code) or client name the certificate is for.
    #[arg(long)]
    county: String,
    /// Validity in days from now.
    #[arg(long, default_value_t = 3650)]
    valid_days: u64,
}

/// `bashu keys tls`: a county's (or a client's) TLS identity, and its pin.
pub(crate) fn keys_tls(args: TlsArgs) -> Result<()> {
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create {}", args.out_dir.display()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let id = generate_tls_identity(
        &args.out_dir,
        &args.county,
        Validity::days_from(now, args.valid_days),
    )?;
    println!(
        "wrote {} and {} (mode 0600)",
        args.out_dir.join("tls.crt").display(),
        args.out_dir.join("tls.key").display()
    );
    println!("tls cert sha256  {}", hex::encode(id.pin));
    println!(
        "pin it: in the genesis (alliance init does), with `alliance propose --kind admit-member --tls-cert-sha256 …`,\nor for a client in the node's [[clients]] cert_sha256"
    );
    Ok(())
}

#[derive(Args)]
pub(crate) struct AuditArgs {
    #[arg(long)]
    config: PathBuf,
    /// Only calls at or after this time: 2026-11-30T00:00:00Z, with an offset
    /// (2026-11-30T08:00:00+08:00), or a date (midnight UTC).
    #[arg(long)]
    since: Option<String>,
    /// The newest this many calls.
    #[arg(long, default_value_t = 1000)]
    limit: u32,
    /// Only calls that asked for this value (a certificate number, a name, an ID number):
    /// its keyed hash is computed here with the node's audit key, so this works only on
    /// the node's machine.
    #[arg(long = "match", value_name = "VALUE")]
    matching: Option<String>,
    #[arg(long)]
    json: bool,
}

/// `bashu audit`: the Query calls this node answered or refused.
pub(crate) async fn audit(args: AuditArgs) -> Result<()> {
    let since_ms = match &args.since {
        Some(s) => parse_utc(s).map_err(|e| anyhow!("--since: {e}"))?,
        None => 0,
    };
    let (cfg, client) = connect(&args.config).await?;
    let wanted = match &args.matching {
        Some(v) => Some(hash_with_node_key(&cfg.data_dir, v)?),
        None => None,
    };
    let resp = client
        .admin
        .clone()
        .audit(pb::AuditRequest {
            since_ms,
            limit: args.limit,
        })
        .await
        .map_err(|s| anyhow!("audit failed: {}", s.message()))?
        .into_inner();
    let records: Vec<&pb::AuditRecord> = resp
        .records
        .iter()
        .filter(|r| {
            wanted
                .as_ref()
                .is_none_or(|h| r.fields.values().any(|v| v.split(',').any(|x| x == h)))
        })
        .collect();
    if args.json {
        let v: Vec<_> = records
            .iter()
            .map(|r| {
                let fields: std::collections::BTreeMap<_, _> = r.fields.iter().collect();
                serde_json::json!({
                    "at": format_utc(r.at_ms), "at_ms": r.at_ms, "caller": r.caller,
                    "role": r.role, "remote": r.remote, "method": r.method,
                    "purpose": r.purpose, "outcome": r.outcome,
                    "request_hash": r.request_hash, "fields": fields,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if records.is_empty() {
        println!("no audited calls / 无审计记录");
    }
    for r in records {
        let method = r.method.rsplit('/').next().unwrap_or(&r.method);
        let mut fields: Vec<String> = r
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={}", v.get(..12).unwrap_or(v)))
            .collect();
        fields.sort();
        println!(
            "{}  {:<18} {:<13} {:<20} {:<18} purpose={:?}  {}",
            format_utc(r.at_ms),
            r.caller,
            r.role,
            method,
            r.outcome,
            r.purpose,
            fields.join(" ")
        );
    }
    Ok(())
}

fn hash_with_node_key(data_dir: &Path, value: &str) -> Result<String> {
    let dir = audit_dir(data_dir);
    if !dir.join("audit.key").exists() {
        bail!(
            "--match needs the node's audit key ({}); run it on the node's machine",
            dir.join("audit.key").display()
        );
    }
    // Only read here: no background flusher.
    let log = AuditLog::open(&dir, bashu_node::audit::AuditSync::EveryCall)?;
    Ok(keyed_hash(log.key(), value.trim().as_bytes()))
}
