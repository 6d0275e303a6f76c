//! The client side of `bashu import`: read an export file of any record kind (SPEC §4),
//! validate every row (the node validates again), submit the good rows to the county's own
//! node in batches.

use std::path::Path;

use bashu_core::import::{
    Format, ImportKind, Parsed, RecordFile, RecordReader, Row, parse_records,
};
use bashu_proto::v1 as pb;

use crate::client::NodeClient;

/// Most rows per `SubmitRecords` call: one atomic, durable append on the node each.
pub const SUBMIT_BATCH: usize = 2000;

/// Most row JSON bytes per call, well inside the node's message limit (batches with many
/// candidates are large rows).
const SUBMIT_BYTES: usize = 8 * 1024 * 1024;

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
    /// The kind of records the file holds (`certificates`, `filings`, …); empty for a
    /// JSON Lines file without records.
    pub kind: String,
    /// Data rows read.
    pub read: u64,
    /// Records that became new entries (a filing row with a status is two records).
    pub new: u64,
    /// Records identical to what the node already holds.
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

/// How to read an import file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The kind of records; `None` tells it from the CSV header or the first JSON object.
    pub kind: Option<ImportKind>,
    /// Ignore unknown columns instead of refusing the file (CSV) or the row (JSON Lines).
    pub lenient: bool,
}

/// Parses an import file of any kind: JSON Lines for `.jsonl`/`.ndjson`/`.json` (or
/// content starting with `{`), CSV otherwise.
pub fn parse_file(path: &Path, options: &ImportOptions) -> Result<RecordFile, ImportError> {
    let (name, bytes) = read_file(path)?;
    let format = Format::detect(&name, &bytes);
    parse_records(
        bytes.as_slice(),
        &name,
        format,
        options.kind,
        options.lenient,
    )
    .map_err(|e| ImportError::File(e.to_string()))
}

/// The file's name (as rows' origins give it) and its bytes.
fn read_file(path: &Path) -> Result<(String, Vec<u8>), ImportError> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let bytes = std::fs::read(path).map_err(|source| ImportError::Open {
        path: path.display().to_string(),
        source,
    })?;
    Ok((name, bytes))
}

/// Opens an import file for reading in batches; every check of the file as a whole is
/// done here.
fn open_file(path: &Path, options: &ImportOptions) -> Result<RecordReader, ImportError> {
    let (name, bytes) = read_file(path)?;
    let format = Format::detect(&name, &bytes);
    RecordReader::open(bytes, &name, format, options.kind, options.lenient)
        .map_err(|e| ImportError::File(e.to_string()))
}

/// Imports one file, its kind told from its content, into the node behind `client`.
/// `progress` is called after each batch with the number of rows submitted so far.
pub async fn import_file(
    client: &mut NodeClient,
    path: &Path,
    lenient: bool,
    progress: impl FnMut(u64),
) -> Result<ImportSummary, ImportError> {
    let options = ImportOptions {
        kind: None,
        lenient,
    };
    import_file_with(client, path, &options, progress).await
}

/// Imports one file into the node behind `client`, as `options` say.
///
/// A file that cannot be imported as a whole is refused before anything is sent. The
/// rows are then read and checked on a thread of their own, a batch ahead of the node,
/// so that only the file's bytes and a few batches are held at a time.
pub async fn import_file_with(
    client: &mut NodeClient,
    path: &Path,
    options: &ImportOptions,
    mut progress: impl FnMut(u64),
) -> Result<ImportSummary, ImportError> {
    let (path_buf, options_copy) = (path.to_owned(), *options);
    let mut reader = tokio::task::spawn_blocking(move || open_file(&path_buf, &options_copy))
        .await
        .map_err(|e| ImportError::File(e.to_string()))??;
    let mut summary = ImportSummary {
        file: path.display().to_string(),
        kind: reader
            .kind()
            .map_or_else(String::new, |k| k.as_str().to_owned()),
        ..ImportSummary::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(READ_AHEAD);
    let read = tokio::task::spawn_blocking(move || {
        loop {
            let batch = reader.next_batch(SUBMIT_BATCH);
            let last = !matches!(batch, Ok(Some(_)));
            if tx.blocking_send(batch).is_err() || last {
                return;
            }
        }
    });
    let mut done = 0u64;
    while let Some(batch) = rx.recv().await {
        let Some(batch) = batch.map_err(|e| {
            ImportError::File(format!("{e} ({done} rows before it were submitted)"))
        })?
        else {
            break;
        };
        summary.read += (batch.rows.len() + batch.refused.len()) as u64;
        summary
            .refused
            .extend(batch.refused.into_iter().map(|e| Refusal {
                origin: e.origin,
                column: e.column,
                message_zh: e.message_zh,
                message_en: e.message_en,
            }));
        for part in batches(&batch.rows) {
            submit(client, part, &mut summary)
                .await
                .map_err(|e| match e {
                    ImportError::Node(m) => ImportError::Node(format!(
                        "{m} (the {done} rows sent before this batch were answered; importing \
                         the file again adds only what is missing / 此前已发送并获答复 {done} \
                         行，重新导入只会补充缺少的部分)"
                    )),
                    e => e,
                })?;
            done += part.len() as u64;
            progress(done);
        }
    }
    read.await
        .map_err(|e| ImportError::File(format!("reading the file failed: {e}")))?;
    summary
        .refused
        .sort_by_cached_key(|r| natural_origin(&r.origin));
    Ok(summary)
}

/// Batches read ahead of the one being submitted.
const READ_AHEAD: usize = 2;

/// The `SubmitRecords` request for parsed rows.
pub fn submission(rows: &[Row<Parsed>]) -> pb::SubmitRecordsRequest {
    pb::SubmitRecordsRequest {
        records: rows
            .iter()
            .map(|r| pb::RecordSubmission {
                kind: r.value.input.kind().as_str().to_owned(),
                json: r.value.json.clone(),
                origin: r.origin.clone(),
            })
            .collect(),
    }
}

/// One `SubmitRecords` call: its counts go into `summary`.
async fn submit(
    client: &mut NodeClient,
    rows: &[Row<Parsed>],
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let resp = client
        .county
        .submit_records(submission(rows))
        .await
        .map_err(|s| ImportError::Node(s.message().to_owned()))?
        .into_inner();
    summary.new += resp.created;
    summary.unchanged += resp.unchanged;
    summary.log_size = resp.log_size;
    summary
        .refused
        .extend(resp.refused.into_iter().map(|r| Refusal {
            origin: r.origin,
            column: r.field,
            message_zh: r.message_zh,
            message_en: r.message_en,
        }));
    Ok(())
}

/// Consecutive runs of rows of at most [`SUBMIT_BATCH`] rows and (unless one row alone is
/// larger) [`SUBMIT_BYTES`] bytes of JSON.
fn batches(rows: &[Row<Parsed>]) -> Vec<&[Row<Parsed>]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, r) in rows.iter().enumerate() {
        let len = r.value.json.len();
        if i > start && (i - start == SUBMIT_BATCH || bytes + len > SUBMIT_BYTES) {
            out.push(&rows[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += len;
    }
    if start < rows.len() {
        out.push(&rows[start..]);
    }
    out
}

/// Sort key for `file:line` so that line 10 follows line 9.
fn natural_origin(origin: &str) -> (String, u64) {
    match origin.rsplit_once(':') {
        Some((f, l)) => (f.to_owned(), l.parse().unwrap_or(0)),
        None => (origin.to_owned(), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bashu_core::import::Input;
    use bashu_core::record::UrgentList;

    fn row(json_len: usize) -> Row<Parsed> {
        Row {
            line: 1,
            origin: "x:1".into(),
            value: Parsed {
                input: Input::Urgent(UrgentList {
                    year: 2025,
                    county: None,
                    occupations: Vec::new(),
                }),
                json: "x".repeat(json_len),
            },
        }
    }

    #[test]
    fn batches_respect_row_and_byte_limits() {
        let rows: Vec<Row<Parsed>> = (0..2 * SUBMIT_BATCH + 500).map(|_| row(10)).collect();
        let sizes: Vec<usize> = batches(&rows).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [SUBMIT_BATCH, SUBMIT_BATCH, 500]);

        let big = SUBMIT_BYTES / 3 + 1;
        let rows: Vec<Row<Parsed>> = (0..5).map(|_| row(big)).collect();
        let sizes: Vec<usize> = batches(&rows).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [2, 2, 1]);

        // A row larger than the byte limit still goes, alone.
        let rows = vec![row(SUBMIT_BYTES + 1), row(1)];
        let sizes: Vec<usize> = batches(&rows).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [1, 1]);
        assert!(batches(&[]).is_empty());
    }
}
