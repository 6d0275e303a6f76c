//! `bashu demo`: a local three-county federation that shows the product working.
//!
//! Everything goes through the same paths operators use: `alliance init` files, nodes on
//! loopback with their own sled directories, imports over the County service, sync over
//! the Exchange service, lookups over the Query service.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use tokio::net::TcpListener;

use bashu_core::CountyCode;
use bashu_core::synth;
use bashu_node::bootstrap::{Founder, InitOptions, SecurityOptions, init_alliance_with};
use bashu_node::import::import_file;
use bashu_node::{Node, NodeConfig};
use bashu_proto::v1 as pb;

#[derive(Args)]
pub(crate) struct DemoArgs {
    /// Certificates generated per county (at least 200), with every other record kind.
    #[arg(long, default_value_t = 2000)]
    certificates: usize,
    /// Keep the federation in this directory (default: a temporary one, removed after).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Run the nodes in plaintext (no TLS), e.g. to compare sync speed.
    #[arg(long)]
    insecure_dev: bool,
}

const COUNTIES: [(&str, &str); 3] = [
    ("500153", "荣昌区"),
    ("510521", "泸县"),
    ("511083", "隆昌市"),
];

pub(crate) fn match_json(m: &pb::CertificateMatch) -> serde_json::Value {
    let c = m.certificate.clone().unwrap_or_default();
    let mut v = serde_json::json!({
        "cert_no": c.cert_no,
        "name": c.name,
        "id_type": c.id_type,
        "id_masked": c.id_masked,
        "occupation_code": c.occupation_code,
        "occupation_name": c.occupation_name,
        "work_type": c.work_type,
        "level": c.level,
        "issue_date": c.issue_date,
        "institution_name": c.institution_name_printed,
        "institution_uscc": c.institution_uscc,
        "filing_no": c.filing_no,
        "author": m.author,
        "seq": m.seq,
        "entry_hash": hex::encode(&m.entry_hash),
    });
    if !m.id_no.is_empty() {
        v["id_no"] = serde_json::Value::String(m.id_no.clone());
    }
    v
}

pub(crate) fn print_match(m: &pb::CertificateMatch) {
    let c = m.certificate.clone().unwrap_or_default();
    let level = bashu_core::Level::from_digit(c.level).map_or("?", |l| l.label_zh());
    println!("证书编号 cert no     {}", c.cert_no);
    println!("姓名 name            {}", c.name);
    println!(
        "证件 id              {} {}",
        c.id_type,
        if m.id_no.is_empty() {
            &c.id_masked
        } else {
            &m.id_no
        }
    );
    println!(
        "职业 occupation      {} {} ({})",
        c.occupation_code, c.occupation_name, c.work_type
    );
    println!("等级 level           {level}");
    println!("发证日期 issued      {}", c.issue_date);
    println!(
        "评价机构 institution {} ({})",
        c.institution_name_printed, c.institution_uscc
    );
    println!("作者 author          {} seq {}", m.author, m.seq);
    println!("条目哈希 entry hash  {}", hex::encode(&m.entry_hash));
    println!();
}

pub(crate) async fn run(args: DemoArgs) -> Result<()> {
    let tmp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir().context("cannot create a temporary directory")?;
            tmp.path().to_owned()
        }
    };
    println!(
        "Bashu Exchange demo: three county nodes on loopback, in {}",
        dir.display()
    );

    let mut listeners = Vec::new();
    let mut founders = Vec::new();
    for (code, name) in COUNTIES {
        let l = TcpListener::bind("127.0.0.1:0").await?;
        founders.push(Founder {
            county: CountyCode::parse(code).map_err(|e| anyhow::anyhow!("{e}"))?,
            name: name.to_owned(),
            port: Some(l.local_addr()?.port()),
        });
        listeners.push(l);
    }
    let report = init_alliance_with(
        &dir,
        &founders,
        &InitOptions {
            alliance_id: "bashu-gongjiang-demo".into(),
            alliance_name: "巴蜀工匠联盟（演示）".into(),
            host: "127.0.0.1".into(),
            base_port: 0,
            threshold: 0,
            founded_on: "2026-11-30".into(),
            sync_interval_secs: 0,
            http_base_port: None,
        },
        &SecurityOptions {
            insecure_dev: args.insecure_dev,
            ..SecurityOptions::default()
        },
    )?;
    println!(
        "1. alliance founded: genesis signed by all three counties, each county's TLS certificate pinned in it ({})",
        report.genesis.display()
    );

    let mut nodes = Vec::new();
    for (files, listener) in report.counties.iter().zip(listeners) {
        let cfg = NodeConfig::load(&files.config)?;
        nodes.push(Node::start(cfg, Some(listener)).await?);
    }
    println!(
        "2. nodes started ({}): {}",
        if args.insecure_dev {
            "PLAINTEXT, --insecure-dev"
        } else {
            "mutual TLS 1.3 between nodes, bearer tokens for the operator"
        },
        nodes
            .iter()
            .map(|n| format!("{} @ {}", n.county(), n.local_addr()))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // Each county's nightly export: every record kind, with a seeded share of deliberate
    // rule violations (see `bashu gen`).
    let options = synth::GenOptions {
        counties: report
            .counties
            .iter()
            .map(|c| (c.county.clone(), c.name.clone()))
            .collect(),
        certificates: args.certificates.max(synth::MIN_CERTIFICATES),
        seed: args.seed,
        violations: 0.02,
    };
    let mut clients = Vec::new();
    let mut samples = Vec::new();
    let started = Instant::now();
    for (i, (files, node)) in report.counties.iter().zip(&nodes).enumerate() {
        let data = synth::generate_county(&options, i)?;
        let mut client = node.operator_client().await?;
        for f in &synth::FILES {
            let path = files.dir.join(f.name);
            let mut w = std::io::BufWriter::new(std::fs::File::create(&path)?);
            synth::write_file(&data, f, &mut w)?;
            std::io::Write::flush(&mut w)?;
            let summary = import_file(&mut client, &path, false, |_| {}).await?;
            if !summary.refused.is_empty() {
                crate::print_summary(&summary);
                bail!("generated data was refused");
            }
        }
        let certs: usize = data.certificates.len();
        println!(
            "   {} {}: imported {} files ({} certificates, {} institutions, {} experts, {} batches)",
            files.county,
            files.name,
            synth::FILES.len(),
            certs,
            data.institutions.len(),
            data.experts.len(),
            data.batches.len()
        );
        // A certificate expected to be recognised, and one that breaks a rule on purpose.
        let flagged: std::collections::BTreeSet<&str> = data
            .expectations
            .certificates
            .iter()
            .map(|e| e.subject.as_str())
            .collect();
        if let Some(c) = data
            .certificates
            .iter()
            .rev()
            .find(|c| !flagged.contains(c.cert_no.as_str()))
        {
            samples.push((
                files.county.clone(),
                c.cert_no.as_str().to_owned(),
                c.name.clone(),
            ));
        }
        if let Some(v) = data.expectations.violations.iter().find(|v| v.rule == "R3") {
            if let Some(c) = data
                .certificates
                .iter()
                .find(|c| c.cert_no.as_str() == v.subject)
            {
                samples.push((
                    files.county.clone(),
                    c.cert_no.as_str().to_owned(),
                    c.name.clone(),
                ));
            }
        }
        clients.push(client);
    }
    println!(
        "3. imported each county's export into its own node in {:.2}s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let mut received = 0u64;
    for node in &nodes {
        for outcome in node.sync_now().await {
            if !outcome.ok {
                bail!(
                    "sync {} ← {} failed: {}",
                    node.county(),
                    outcome.peer,
                    outcome.errors.join("; ")
                );
            }
            received += outcome.received.iter().map(|p| p.entries).sum::<u64>();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "4. synced: {received} entries pulled, verified and stored in {secs:.2}s ({:.0} entries/s)",
        received as f64 / secs.max(1e-9)
    );

    println!("5. one certificate of each county, as every node holds it:\n");
    let mut all_agree = true;
    for (county, cert_no, name) in &samples {
        let mut hashes = Vec::new();
        for (node, client) in nodes.iter().zip(clients.iter_mut()) {
            let resp = client
                .query
                .find_certificate(pb::FindCertificateRequest {
                    cert_no: cert_no.clone(),
                    name: name.clone(),
                    ..Default::default()
                })
                .await?
                .into_inner();
            let Some(m) = resp.matches.first() else {
                bail!(
                    "node {} does not hold certificate {cert_no} of {county}",
                    node.county()
                );
            };
            if hashes.is_empty() {
                print_match(m);
            }
            hashes.push((node.county().clone(), hex::encode(&m.entry_hash)));
        }
        let same = hashes.windows(2).all(|w| w[0].1 == w[1].1);
        all_agree &= same;
        for (c, h) in &hashes {
            println!("   node {c}: entry hash {}…", &h[..16]);
        }
        println!(
            "   {} every node holds {cert_no} (author {county}) with the same entry hash\n",
            if same { "✔" } else { "✘" }
        );
    }
    println!(
        "6. is each certificate recognised in each county? Every node answers, with the same bytes:\n"
    );
    for (author, cert_no, _) in &samples {
        for county in report.counties.iter().map(|c| c.county.clone()) {
            let mut verdicts = Vec::new();
            for client in clients.iter_mut() {
                let r = client
                    .query
                    .check_recognition(pb::CheckRecognitionRequest {
                        cert_no: cert_no.clone(),
                        county: county.to_string(),
                        as_of: String::new(),
                        author: author.to_string(),
                    })
                    .await?
                    .into_inner();
                verdicts.push(r);
            }
            let same = verdicts.windows(2).all(|w| w[0] == w[1]);
            all_agree &= same;
            let v: serde_json::Value = serde_json::from_str(&verdicts[0].verdict_json)?;
            let reason = v["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|f| f["severity"] != "INFO")
                .map(|f| {
                    format!(
                        "\n      {}\n      {}",
                        f["message_zh"].as_str().unwrap_or_default(),
                        f["message_en"].as_str().unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            println!(
                "   {} {cert_no} (of {author}) in {county}: {}{reason}",
                if same {
                    "✔ 3/3 nodes agree"
                } else {
                    "✘ nodes differ"
                },
                verdicts[0].outcome
            );
        }
        println!();
    }
    for node in nodes {
        node.shutdown().await;
    }
    if !all_agree {
        bail!("nodes disagree");
    }
    println!(
        "demo finished: all three nodes hold identical, verified copies of every county's log and give identical verdicts"
    );
    Ok(())
}
