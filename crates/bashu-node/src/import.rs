//! The client side of `bashu import`: read an export file, validate every row (the node
//! validates again), submit the good rows to the county's own node in batches.

use std::path::Path;

use bashu_core::import::{ImportFile, parse_certificates_csv, parse_certificates_jsonl};
use bashu_core::record::CertificateInput;
use bashu_proto::v1 as pb;

use crate::client::NodeClient;

/// Rows per `SubmitCertificates` call: one atomic, durable append on the node each.
pub const SUBMIT_BATCH: usize = 2000;

/// A row that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    /// `file:line`.
    pub origin: String,
    pub column: String,
    pub message_zh: String,
    pub message_en: String,
}

/// The outcome of importing one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub file: String,
    /// Data rows read.
    pub read: u64,
    /// Rows that became new entries.
    pub new: u64,
    /// Rows identical to what the node already holds.
    pub unchanged: u64,
    pub refused: Vec<Refusal>,
    /// The county's log size afterwards.
    pub log_size: u64,
}

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    File(String),
    #[error("the node refused the submission: {0}")]
    Node(String),
}

fn submission(origin: &str, c: &CertificateInput) -> pb::CertificateSubmission {
    pb::CertificateSubmission {
        cert_no: c.cert_no.as_str().to_owned(),
        cert_type: c.cert_type.as_code().to_owned(),
        name: c.name.clone(),
        id_type: c.person_id.id_type_label().to_owned(),
        id_no: c.person_id.normalised_number().to_owned(),
        occupation_code: c.occupation_code.as_str().to_owned(),
        occupation_name: c.occupation_name.clone(),
        work_type: c.work_type.clone(),
        level: c.level.label_zh().to_owned(),
        issue_date: c.issue_date.to_string(),
        institution_uscc: c.institution_uscc.as_str().to_owned(),
        institution_name: c.institution_name.clone(),
        filing_no: c.filing_no.clone(),
        batch_id: c.batch_id.clone().unwrap_or_default(),
        status: c.status.as_code().to_owned(),
        origin: origin.to_owned(),
    }
}

/// Parses a certificates file (`.jsonl`/`.ndjson` as JSON Lines, anything else as CSV).
pub fn parse_file(path: &Path, lenient: bool) -> Result<ImportFile<CertificateInput>, ImportError> {
    let name = path
        .file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let f = std::fs::File::open(path).map_err(|source| ImportError::Open {
        path: path.display().to_string(),
        source,
    })?;
    let is_jsonl = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("jsonl" | "ndjson")
    );
    if is_jsonl {
        parse_certificates_jsonl(std::io::BufReader::new(f), &name, lenient)
    } else {
        parse_certificates_csv(f, &name, lenient)
    }
    .map_err(|e| ImportError::File(e.to_string()))
}

/// Imports one file into the node behind `client`. `progress` is called after each batch
/// with the number of rows submitted so far.
pub async fn import_file(
    client: &mut NodeClient,
    path: &Path,
    lenient: bool,
    mut progress: impl FnMut(u64),
) -> Result<ImportSummary, ImportError> {
    let parsed = parse_file(path, lenient)?;
    let mut summary = ImportSummary {
        file: path.display().to_string(),
        read: (parsed.rows.len() + parsed.refused.len()) as u64,
        ..ImportSummary::default()
    };
    summary.refused = parsed
        .refused
        .into_iter()
        .map(|e| Refusal {
            origin: e.origin,
            column: e.column,
            message_zh: e.message_zh,
            message_en: e.message_en,
        })
        .collect();
    let mut done = 0u64;
    for batch in parsed.rows.chunks(SUBMIT_BATCH) {
        let req = pb::SubmitCertificatesRequest {
            certificates: batch
                .iter()
                .map(|r| submission(&r.origin, &r.value))
                .collect(),
        };
        let resp = client
            .county
            .submit_certificates(req)
            .await
            .map_err(|s| ImportError::Node(s.message().to_owned()))?
            .into_inner();
        summary.new += resp.created;
        summary.unchanged += resp.unchanged;
        summary.log_size = resp.log_size;
        summary.refused.extend(resp.refused.into_iter().map(|r| Refusal {
            origin: r.origin,
            column: r.field,
            message_zh: r.message_zh,
            message_en: r.message_en,
        }));
        done += batch.len() as u64;
        progress(done);
    }
    summary.refused.sort_by(|a, b| natural_origin(&a.origin).cmp(&natural_origin(&b.origin)));
    Ok(summary)
}

/// Sort key for `file:line` so that line 10 follows line 9.
fn natural_origin(origin: &str) -> (String, u64) {
    match origin.rsplit_once(':') {
        Some((f, l)) => (f.to_owned(), l.parse().unwrap_or(0)),
        None => (origin.to_owned(), 0),
    }
}
