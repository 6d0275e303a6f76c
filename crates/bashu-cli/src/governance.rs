//! `bashu alliance status | propose | approve`.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

use bashu_core::governance::{Decision, Proposal};
use bashu_core::{CountyCode, Date};
use bashu_proto::v1 as pb;

use crate::{DecisionKindArg, ProposeArgs, connect};

pub(crate) async fn status(config: &Path, json: bool) -> Result<()> {
    let (_, mut client) = connect(config).await?;
    let s = client
        .admin
        .alliance_status(pb::AllianceStatusRequest {})
        .await
        .map_err(|e| anyhow!("{}", e.message()))?
        .into_inner();
    if json {
        let v = serde_json::json!({
            "alliance_id": s.alliance_id,
            "threshold": s.threshold,
            "members": s.members.iter().map(|m| serde_json::json!({
                "county": m.county, "name": m.name, "endpoint": m.endpoint,
                "removed": m.removed, "frozen": m.frozen, "frozen_at": m.frozen_at,
                "keys": m.keys.iter().map(|k| serde_json::json!({
                    "key_id": hex::encode(&k.key_id), "from_seq": k.from_seq,
                    "until_seq": (k.until_seq != 0).then_some(k.until_seq)})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "decisions": s.decisions.iter().map(|d| serde_json::json!({
                "proposer": d.proposer, "proposal_id": d.proposal_id, "active": d.active,
                "approvals": d.approvals,
                "proposal": serde_json::from_str::<serde_json::Value>(&d.proposal_json).unwrap_or_default(),
            })).collect::<Vec<_>>(),
            "equivocation_evidence": s.equivocation_evidence,
            "rule_parameters": serde_json::from_str::<serde_json::Value>(&s.rule_parameters_json).unwrap_or_default(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "alliance {}  (approvals needed 批准门槛: {})",
        s.alliance_id, s.threshold
    );
    println!("\nmembers 成员:");
    for m in &s.members {
        let keys: Vec<String> = m
            .keys
            .iter()
            .map(|k| {
                let until = if k.until_seq == 0 {
                    "…".to_owned()
                } else {
                    k.until_seq.to_string()
                };
                format!(
                    "{} [{}, {until})",
                    &hex::encode(&k.key_id)[..12],
                    k.from_seq
                )
            })
            .collect();
        let mut flags = String::new();
        if m.removed {
            flags.push_str("  REMOVED 已除名");
        }
        if m.frozen {
            flags.push_str(&format!("  FROZEN after {} 因双重签名冻结", m.frozen_at));
        }
        println!(
            "  {} {:<6} {}  keys {}{flags}",
            m.county,
            m.name,
            m.endpoint,
            keys.join(", ")
        );
    }
    println!("\ndecisions 决议:");
    if s.decisions.is_empty() {
        println!("  (none)");
    }
    for d in &s.decisions {
        println!(
            "  {}/{}  {}  approvals {}/{} [{}]  {}",
            d.proposer,
            d.proposal_id,
            if d.active {
                "ACTIVE 已生效"
            } else {
                "PENDING 待批准"
            },
            d.approvals.len(),
            s.threshold,
            d.approvals.join(", "),
            d.proposal_json
        );
    }
    println!(
        "\nequivocation evidence held 双重签名证据: {}",
        s.equivocation_evidence
    );
    Ok(())
}

fn need<T>(v: Option<T>, flag: &str) -> Result<T> {
    v.ok_or_else(|| anyhow!("this kind of decision needs {flag}"))
}

fn county(v: Option<String>) -> Result<CountyCode> {
    let c = need(v, "--county")?;
    CountyCode::parse(&c).map_err(|e| anyhow!("--county: {e}"))
}

fn json_file(p: Option<std::path::PathBuf>) -> Result<serde_json::Value> {
    let p = need(p, "--json FILE")?;
    let text =
        std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", p.display()))
}

pub(crate) async fn propose(a: ProposeArgs) -> Result<()> {
    let decision = match a.kind {
        DecisionKindArg::AdmitMember => Decision::AdmitMember {
            county: county(a.county)?,
            name: need(a.name, "--name")?,
            signing_key: need(a.signing_key, "--signing-key")?,
            endpoint: need(a.endpoint, "--endpoint")?,
            tls_cert_sha256: a.tls_cert_sha256.unwrap_or_default(),
        },
        DecisionKindArg::RemoveMember => Decision::RemoveMember {
            county: county(a.county)?,
            from_seq: need(a.from_seq, "--from-seq")?,
        },
        DecisionKindArg::RotateKey => Decision::RotateKey {
            county: county(a.county)?,
            new_key: need(a.new_key, "--new-key")?,
            from_seq: need(a.from_seq, "--from-seq")?,
        },
        DecisionKindArg::DeclareCompromised => Decision::DeclareCompromised {
            county: county(a.county)?,
            key_id: need(a.key_id, "--key-id")?,
            from_seq: need(a.from_seq, "--from-seq")?,
        },
        DecisionKindArg::SetScope => Decision::SetRecognitionScope {
            scope: json_file(a.json)?,
        },
        DecisionKindArg::SetPromotionTable => Decision::SetPromotionTable {
            table_id: need(a.table_id, "--table-id")?,
            table: json_file(a.json)?,
        },
        DecisionKindArg::SetParameters => Decision::SetRuleParameters {
            parameters: json_file(a.json)?,
        },
        DecisionKindArg::ResolveEquivocation => Decision::ResolveEquivocation {
            county: county(a.county)?,
            keep_up_to: need(a.keep_up_to, "--keep-up-to")?,
        },
    };
    if let Decision::AdmitMember { signing_key, .. }
    | Decision::RotateKey {
        new_key: signing_key,
        ..
    } = &decision
    {
        let ok = hex::decode(signing_key)
            .ok()
            .is_some_and(|b| bashu_core::keys::PublicKey::from_slice(&b).is_ok());
        if !ok {
            bail!("the key must be a 32-byte ed25519 public key in hex (see `bashu keys show`)");
        }
    }
    if let Decision::AdmitMember {
        tls_cert_sha256, ..
    } = &decision
    {
        // Without a pin no member lets the new county's node in over TLS.
        if !hex::decode(tls_cert_sha256).is_ok_and(|b| b.len() == 32) {
            bail!(
                "--tls-cert-sha256 must be the SHA-256 (64 hex digits) of the county's TLS certificate (see `bashu keys tls`)"
            );
        }
    }
    let effective_date = match a.effective_date {
        Some(d) => Date::parse(&d).map_err(|e| anyhow!("--effective-date: {e}"))?,
        None => bashu_core::date::date_from_unix_ms(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0),
        ),
    };
    let proposal = Proposal {
        proposal_id: a.id,
        decision,
        effective_date,
        reason: a.reason,
    };
    let (_, mut client) = connect(&a.config).await?;
    let resp = client
        .admin
        .propose(pb::ProposeRequest {
            proposal_json: serde_json::to_string(&proposal)?,
        })
        .await
        .map_err(|e| anyhow!("{}", e.message()))?
        .into_inner();
    println!(
        "proposed {} at seq {} (entry {})",
        proposal.proposal_id,
        resp.seq,
        hex::encode(&resp.entry_hash)
    );
    Ok(())
}

pub(crate) async fn approve(config: &Path, proposer: String, proposal_id: String) -> Result<()> {
    let (_, mut client) = connect(config).await?;
    let resp = client
        .admin
        .approve(pb::ApproveRequest {
            proposer: proposer.clone(),
            proposal_id: proposal_id.clone(),
        })
        .await
        .map_err(|e| anyhow!("{}", e.message()))?
        .into_inner();
    println!(
        "approved {proposer}/{proposal_id} at seq {} (entry {})",
        resp.seq,
        hex::encode(&resp.entry_hash)
    );
    Ok(())
}
