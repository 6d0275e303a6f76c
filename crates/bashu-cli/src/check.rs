//! `bashu check cert | batch | promotion` and `bashu experts eligible`: the co-assessment
//! rules as any node answers them.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};

use bashu_proto::v1 as pb;

use crate::connect;

#[derive(Subcommand)]
pub(crate) enum CheckCmd {
    /// Is this certificate recognised in a county, and why.
    #[command(
        after_help = "Example:\n  bashu check cert --config fed/510521/node.toml --cert-no S000050123456231000001 --in 510521"
    )]
    Cert {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        cert_no: String,
        /// The county the question is about.
        #[arg(long = "in")]
        county: String,
        /// The issuing county, when two counties used the same number.
        #[arg(long)]
        author: Option<String>,
    },
    /// Is this assessment batch valid: prerequisites and panels (R6–R11).
    Batch {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        batch_id: String,
    },
    /// Does this competition result promote its winner, to which level, honoured in a county.
    Promotion {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        result_id: String,
        #[arg(long = "in")]
        county: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum ExpertsCmd {
    /// Experts of the shared pool who could join a batch's panel, and why the others cannot.
    #[command(
        after_help = "Example:\n  bashu experts eligible --config fed/500153/node.toml --occupation 6-18-02-04 --level 2 --batch-id B2026-001"
    )]
    Eligible {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        batch_id: String,
        /// Occupation code (default: the batch's).
        #[arg(long)]
        occupation: Option<String>,
        /// Level digit or label (default: the batch's).
        #[arg(long)]
        level: Option<String>,
    },
}

#[derive(Args)]
pub(crate) struct Common {
    #[arg(long)]
    config: PathBuf,
    /// Evaluate on this date, YYYY-MM-DD (default: today, China Standard Time).
    #[arg(long)]
    as_of: Option<String>,
    /// Print the verdict as its canonical JSON.
    #[arg(long)]
    json: bool,
}

fn status(e: tonic::Status) -> anyhow::Error {
    anyhow!("{}", e.message())
}

/// Prints a verdict; returns whether it was positive (RECOGNISED or VALID).
fn print_verdict(resp: &pb::VerdictResponse, json: bool) -> Result<bool> {
    let positive = matches!(resp.outcome.as_str(), "RECOGNISED" | "VALID");
    if json {
        println!("{}", resp.verdict_json);
        return Ok(positive);
    }
    let v: serde_json::Value = serde_json::from_str(&resp.verdict_json)?;
    let zh = match resp.outcome.as_str() {
        "RECOGNISED" => "互认",
        "PENDING" => "待人工复核",
        "REJECTED" => "不予互认",
        "VALID" => "有效",
        "INVALID" => "无效",
        _ => "",
    };
    println!(
        "{} {zh} / {}",
        v["subject"].as_str().unwrap_or_default(),
        resp.outcome
    );
    if let Some(c) = v["county"].as_str() {
        println!(
            "county 区县 {c}   as of 评估日期 {}",
            v["as_of"].as_str().unwrap_or_default()
        );
    }
    for f in v["findings"].as_array().into_iter().flatten() {
        println!("  {}", f["message_zh"].as_str().unwrap_or_default());
        println!("  {}", f["message_en"].as_str().unwrap_or_default());
    }
    let snapshot: Vec<String> = v["snapshot"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| format!("{}:{}", p[0].as_str().unwrap_or_default(), p[1]))
        .collect();
    println!(
        "rule set {}  snapshot {}",
        v["rule_set"].as_str().unwrap_or_default(),
        snapshot.join(" ")
    );
    Ok(positive)
}

/// Runs a check; the exit code is 0 for RECOGNISED/VALID and 4 otherwise.
pub(crate) async fn check(cmd: CheckCmd) -> Result<std::process::ExitCode> {
    let (common, resp) = match cmd {
        CheckCmd::Cert {
            common,
            cert_no,
            county,
            author,
        } => {
            let (_, mut c) = connect(&common.config).await?;
            let r = c
                .query
                .check_recognition(pb::CheckRecognitionRequest {
                    cert_no,
                    county,
                    as_of: common.as_of.clone().unwrap_or_default(),
                    author: author.unwrap_or_default(),
                })
                .await
                .map_err(status)?
                .into_inner();
            (common, r)
        }
        CheckCmd::Batch { common, batch_id } => {
            let (_, mut c) = connect(&common.config).await?;
            let r = c
                .query
                .check_batch(pb::CheckBatchRequest {
                    batch_id,
                    as_of: common.as_of.clone().unwrap_or_default(),
                })
                .await
                .map_err(status)?
                .into_inner();
            (common, r)
        }
        CheckCmd::Promotion {
            common,
            result_id,
            county,
        } => {
            let (_, mut c) = connect(&common.config).await?;
            let r = c
                .query
                .check_promotion(pb::CheckPromotionRequest {
                    result_id,
                    county,
                    as_of: common.as_of.clone().unwrap_or_default(),
                })
                .await
                .map_err(status)?
                .into_inner();
            (common, r)
        }
    };
    Ok(if print_verdict(&resp, common.json)? {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(4)
    })
}

pub(crate) async fn experts(cmd: ExpertsCmd) -> Result<()> {
    let ExpertsCmd::Eligible {
        common,
        batch_id,
        occupation,
        level,
    } = cmd;
    let (_, mut c) = connect(&common.config).await?;
    let r = c
        .query
        .eligible_experts(pb::EligibleExpertsRequest {
            batch_id,
            occupation_code: occupation.unwrap_or_default(),
            level: level.unwrap_or_default(),
            as_of: common.as_of.unwrap_or_default(),
        })
        .await
        .map_err(status)?
        .into_inner();
    if common.json {
        println!("{}", r.experts_json);
        return Ok(());
    }
    println!("{} of {} experts eligible 可参加", r.eligible, r.total);
    let list: serde_json::Value = serde_json::from_str(&r.experts_json)?;
    for e in list.as_array().into_iter().flatten() {
        let ok = e["eligible"].as_bool().unwrap_or(false);
        println!(
            "{} {} {}",
            if ok { "✔" } else { "✘" },
            e["expert_id"].as_str().unwrap_or_default(),
            e["name"].as_str().unwrap_or_default()
        );
        if !ok {
            for f in e["findings"].as_array().into_iter().flatten() {
                if f["severity"] != "INFO" {
                    println!("    {}", f["message_zh"].as_str().unwrap_or_default());
                    println!("    {}", f["message_en"].as_str().unwrap_or_default());
                }
            }
        }
    }
    Ok(())
}
