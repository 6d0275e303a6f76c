//! The nightly HR export (SPEC §4): every record kind of SPEC §2, as CSV (English or
//! Chinese headers) or JSON Lines (English field names).
//!
//! Every row is validated on its own. A bad row becomes one [`RowError`] (its first bad
//! column, with file, line and a bilingual reason) and the rest of the file is still read;
//! nothing of a refused row is returned. Problems that make the whole file unreadable (no
//! header, unknown or missing columns, not UTF-8, a kind that cannot be told) are a
//! [`FileError`].
//!
//! One engine ([`engine`]) serves every kind: a kind is a table of columns and a builder.
//! [`parse_records`] reads a file of any kind (told from its header row or first object,
//! or named); [`ingest::to_records`] is the node's side, turning a submitted row into
//! replicated records with person keys instead of ID numbers.
//!
//! The readers take any `Read`/`BufRead`; opening files is the caller's business.

mod certificates;
mod engine;
pub mod ingest;
mod kinds;
#[cfg(test)]
mod tests;

use std::io::Read;

pub use certificates::{
    certificate_from_fields, parse_certificates_csv, parse_certificates_jsonl,
    write_certificates_csv,
};
pub use ingest::{HomeId, Ingested, Input, Parsed, to_records};
pub use kinds::{
    BatchInput, CandidateInput, Counterpart, ExpertInput, FilingInput, RelationInput, ResultInput,
    parse_levels, parse_scope,
};

/// The rows of one import file that passed validation, and the rows that were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFile<T> {
    pub rows: Vec<Row<T>>,
    pub refused: Vec<RowError>,
}

impl<T> ImportFile<T> {
    /// A row as validation left it: accepted, or refused with its reason.
    pub(crate) fn add(&mut self, row: Result<Row<T>, RowError>) {
        match row {
            Ok(row) => self.rows.push(row),
            Err(e) => self.refused.push(e),
        }
    }
}

/// One accepted row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<T> {
    /// Physical line in the file where the row starts (the CSV header is line 1).
    pub line: u64,
    /// `file:line`.
    pub origin: String,
    pub value: T,
}

/// A refused row. The message never contains an ID number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin} [{column}]: {message_zh} / {message_en}")]
pub struct RowError {
    /// `file:line`.
    pub origin: String,
    pub line: u64,
    /// The column as the file names it (CSV header or JSON key); empty when the row as a
    /// whole is wrong (field count, not a JSON object).
    pub column: String,
    pub message_zh: String,
    pub message_en: String,
}

/// What makes a whole file unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileErrorKind {
    /// The file is empty or its first line is not a header row.
    MissingHeader,
    /// A header names no known column (and the import is not lenient).
    UnknownColumn,
    /// Two header cells name the same column.
    DuplicateColumn,
    /// A required column is absent from the header.
    MissingColumn,
    /// The bytes are not UTF-8 (a GBK export, typically).
    NotUtf8,
    /// Reading failed.
    Unreadable,
    /// The kind of the file cannot be told from its header or first object (name it).
    UnknownKind,
}

/// A file that cannot be imported at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message_zh} / {message_en}")]
pub struct FileError {
    pub kind: FileErrorKind,
    /// `file` or `file:line`.
    pub origin: String,
    pub message_zh: String,
    pub message_en: String,
}

impl FileError {
    pub(crate) fn new(
        kind: FileErrorKind,
        origin: String,
        message_zh: impl Into<String>,
        message_en: impl Into<String>,
    ) -> FileError {
        FileError {
            kind,
            origin,
            message_zh: message_zh.into(),
            message_en: message_en.into(),
        }
    }

    pub(crate) fn not_utf8(source: &str, line: u64) -> FileError {
        FileError::new(
            FileErrorKind::NotUtf8,
            format!("{source}:{line}"),
            "文件不是 UTF-8 编码（可能是 GBK），请另存为 UTF-8",
            "file is not UTF-8 (GBK, perhaps); save it as UTF-8",
        )
    }

    pub(crate) fn unreadable(source: &str, e: &dyn std::fmt::Display) -> FileError {
        FileError::new(
            FileErrorKind::Unreadable,
            source.to_owned(),
            format!("无法读取文件：{e}"),
            format!("cannot read the file: {e}"),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Row problems

/// Why one row was refused: its first bad field and a bilingual reason. Becomes a
/// [`RowError`] once it has a file and line. The message never contains an ID number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[{column}]: {message_zh} / {message_en}")]
pub struct FieldError {
    /// The field as the input names it; empty when the input as a whole is wrong.
    pub column: String,
    pub message_zh: String,
    pub message_en: String,
}

impl FieldError {
    pub(crate) fn new(column: &str, zh: impl Into<String>, en: impl Into<String>) -> FieldError {
        FieldError {
            column: column.to_owned(),
            message_zh: zh.into(),
            message_en: en.into(),
        }
    }

    pub(crate) fn into_row_error(self, source: &str, line: u64) -> RowError {
        RowError {
            origin: format!("{source}:{line}"),
            line,
            column: self.column,
            message_zh: self.message_zh,
            message_en: self.message_en,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Kinds and formats

/// What an import file holds: one record kind of SPEC §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImportKind {
    Certificates,
    /// Revocations, cancellations, reissues and reinstatements (status VALID) of
    /// certificates: `cert_no, status, effective_date, reason`.
    CertificateStatus,
    Institutions,
    Filings,
    FilingStatus,
    Experts,
    Relations,
    Batches,
    Competitions,
    Results,
    Occupations,
    Urgent,
}

impl ImportKind {
    pub const ALL: [ImportKind; 12] = [
        ImportKind::Certificates,
        ImportKind::CertificateStatus,
        ImportKind::Institutions,
        ImportKind::Filings,
        ImportKind::FilingStatus,
        ImportKind::Experts,
        ImportKind::Relations,
        ImportKind::Batches,
        ImportKind::Competitions,
        ImportKind::Results,
        ImportKind::Occupations,
        ImportKind::Urgent,
    ];

    /// The name used by `bashu import --kind` and in submissions.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Certificates => "certificates",
            ImportKind::CertificateStatus => "certificate-status",
            ImportKind::Institutions => "institutions",
            ImportKind::Filings => "filings",
            ImportKind::FilingStatus => "filing-status",
            ImportKind::Experts => "experts",
            ImportKind::Relations => "relations",
            ImportKind::Batches => "batches",
            ImportKind::Competitions => "competitions",
            ImportKind::Results => "results",
            ImportKind::Occupations => "occupations",
            ImportKind::Urgent => "urgent",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ImportKind::Certificates => "证书",
            ImportKind::CertificateStatus => "证书状态变更",
            ImportKind::Institutions => "机构",
            ImportKind::Filings => "备案",
            ImportKind::FilingStatus => "备案状态变更",
            ImportKind::Experts => "专家",
            ImportKind::Relations => "回避关系",
            ImportKind::Batches => "认定批次",
            ImportKind::Competitions => "竞赛",
            ImportKind::Results => "竞赛成绩",
            ImportKind::Occupations => "职业目录",
            ImportKind::Urgent => "急需紧缺工种目录",
        }
    }

    pub fn parse(s: &str) -> Option<ImportKind> {
        let s = s.trim();
        ImportKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }

    /// The column names of this kind, English and Chinese (for help texts).
    pub fn columns(self) -> Vec<(&'static str, &'static str)> {
        ingest::table(self)
            .columns
            .iter()
            .map(|c| (c.en, c.zh))
            .collect()
    }
}

impl std::fmt::Display for ImportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no [`ImportKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown kind {:?}; expected one of: {}", .0, kind_names())]
pub struct UnknownImportKind(pub String);

fn kind_names() -> String {
    ImportKind::ALL.map(ImportKind::as_str).join(", ")
}

impl std::str::FromStr for ImportKind {
    type Err = UnknownImportKind;

    fn from_str(s: &str) -> Result<ImportKind, UnknownImportKind> {
        ImportKind::parse(s).ok_or_else(|| UnknownImportKind(s.to_owned()))
    }
}

/// How an import file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    /// By file name (`.jsonl`, `.ndjson`, `.json` → JSON Lines; `.csv`, `.txt` → CSV),
    /// else by content: JSON Lines when the first non-blank character is `{`.
    pub fn detect(file_name: &str, bytes: &[u8]) -> Format {
        let ext = file_name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("jsonl" | "ndjson" | "json") => Format::JsonLines,
            Some("csv" | "txt") => Format::Csv,
            _ => {
                let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
                match text.iter().find(|b| !b.is_ascii_whitespace()) {
                    Some(b'{') => Format::JsonLines,
                    _ => Format::Csv,
                }
            }
        }
    }
}

/// A parsed import file of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFile {
    /// `None` only for a JSON Lines file without a single record (and no kind named).
    pub kind: Option<ImportKind>,
    pub file: ImportFile<Parsed>,
}

/// Reads an import file of any kind. `kind` names it; `None` tells it from the CSV header
/// row or from the fields of the first JSON object. Unknown columns are a [`FileError`]
/// (CSV) or refuse their row (JSON Lines) unless `lenient`.
pub fn parse_records<R: Read>(
    mut reader: R,
    source: &str,
    format: Format,
    kind: Option<ImportKind>,
    lenient: bool,
) -> Result<RecordFile, FileError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::unreadable(source, &e))?;
    let mut records = RecordReader::open(bytes, source, format, kind, lenient)?;
    let mut file = ImportFile {
        rows: Vec::new(),
        refused: Vec::new(),
    };
    while let Some(batch) = records.next_batch(usize::MAX)? {
        file.rows.extend(batch.rows);
        file.refused.extend(batch.refused);
    }
    Ok(RecordFile {
        kind: records.kind(),
        file,
    })
}

/// An import file of any kind, its rows validated a batch at a time (so that a large file
/// is sent while it is still being read, and only its bytes are held whole).
///
/// Everything that refuses a file as a whole (not UTF-8 anywhere, no header, unknown,
/// repeated or missing columns, a kind that cannot be told) is found by [`RecordReader::open`],
/// before the first row is handed out: a file is refused before any of it is stored.
pub struct RecordReader {
    source: String,
    lenient: bool,
    kind: Option<ImportKind>,
    bytes: Vec<u8>,
    rows: Rows,
}

enum Rows {
    Csv {
        header: Vec<String>,
        mapping: Vec<Option<usize>>,
        cursor: engine::CsvCursor,
    },
    Jsonl(engine::JsonlCursor),
}

impl RecordReader {
    /// Checks the file as a whole (see [`RecordReader`]). `kind` names it; `None` tells it
    /// from the CSV header row or from the fields of the first JSON object.
    pub fn open(
        bytes: Vec<u8>,
        source: &str,
        format: Format,
        kind: Option<ImportKind>,
        lenient: bool,
    ) -> Result<RecordReader, FileError> {
        if let Some(line) = engine::first_non_utf8_line(&bytes) {
            return Err(FileError::not_utf8(source, line));
        }
        let (kind, rows) = match format {
            Format::Csv => {
                let mut cursor = engine::CsvCursor::default();
                let (header_line, header) = cursor.header(&bytes, source)?;
                let kind = match kind {
                    Some(k) => k,
                    None => detect_kind(&header, true).map_err(|(kind, zh, en)| {
                        FileError::new(kind, format!("{source}:{header_line}"), zh, en)
                    })?,
                };
                let mapping = engine::header_columns(
                    ingest::table(kind).columns,
                    &header,
                    source,
                    header_line,
                    lenient,
                )?;
                let rows = Rows::Csv {
                    header,
                    mapping,
                    cursor,
                };
                (Some(kind), rows)
            }
            Format::JsonLines => {
                let kind = match kind {
                    Some(k) => Some(k),
                    None => detect_jsonl_kind(&bytes, source)?,
                };
                (kind, Rows::Jsonl(engine::JsonlCursor::default()))
            }
        };
        Ok(RecordReader {
            source: source.to_owned(),
            lenient,
            kind,
            bytes,
            rows,
        })
    }

    /// The kind of records the file holds; `None` only for a JSON Lines file without a
    /// single record (and no kind named).
    pub fn kind(&self) -> Option<ImportKind> {
        self.kind
    }

    /// The next `max_rows` rows (accepted and refused together, at least one), validated;
    /// `None` once the file is read. A JSON Lines file without a record has none.
    pub fn next_batch(&mut self, max_rows: usize) -> Result<Option<ImportFile<Parsed>>, FileError> {
        let max_rows = max_rows.max(1);
        let mut out = ImportFile {
            rows: Vec::new(),
            refused: Vec::new(),
        };
        let Some(kind) = self.kind else {
            return Ok(None);
        };
        let source = self.source.as_str();
        let table = ingest::table(kind);
        let mut keep = ingest::parsed;
        match &mut self.rows {
            Rows::Csv {
                header,
                mapping,
                cursor,
            } => {
                for (line, cells) in cursor.rows(&self.bytes, source, max_rows)? {
                    out.add(engine::csv_row(
                        table, header, mapping, source, line, &cells, &mut keep,
                    ));
                }
            }
            Rows::Jsonl(cursor) => {
                while out.rows.len() + out.refused.len() < max_rows {
                    let Some((line, text)) = cursor.next_line(&self.bytes, source)? else {
                        break;
                    };
                    out.add(engine::jsonl_row(
                        table,
                        source,
                        self.lenient,
                        line,
                        text,
                        &mut keep,
                    ));
                }
            }
        }
        Ok((!out.rows.is_empty() || !out.refused.is_empty()).then_some(out))
    }
}

/// The kind of the first JSON object of a file; `None` when there is no line at all.
fn detect_jsonl_kind(bytes: &[u8], source: &str) -> Result<Option<ImportKind>, FileError> {
    let mut cursor = engine::JsonlCursor::default();
    let mut any = false;
    while let Some((line, text)) = cursor.next_line(bytes, source)? {
        any = true;
        let Ok(object) = engine::object_of(text) else {
            continue;
        };
        let keys: Vec<String> = object.keys().cloned().collect();
        return detect_kind(&keys, false)
            .map(Some)
            .map_err(|(kind, zh, en)| FileError::new(kind, format!("{source}:{line}"), zh, en));
    }
    if !any {
        return Ok(None);
    }
    Err(FileError::new(
        FileErrorKind::UnknownKind,
        source.to_owned(),
        "没有一行是 JSON 对象，无法判断文件类型（可用 --kind 指定）",
        "no line is a JSON object, so the kind of file cannot be told (name it with --kind)",
    ))
}

/// The kind whose required columns are all present and which knows the most of `names`
/// (CSV header cells when `by_header`, else JSON keys).
fn detect_kind(
    names: &[String],
    by_header: bool,
) -> Result<ImportKind, (FileErrorKind, String, String)> {
    let scored: Vec<(ImportKind, usize, Vec<String>)> = ImportKind::ALL
        .into_iter()
        .map(|kind| {
            let columns = ingest::table(kind).columns;
            let mapped: Vec<Option<usize>> = names
                .iter()
                .map(|n| {
                    if by_header {
                        engine::column_by_header(columns, n)
                    } else {
                        engine::column_by_key(columns, n)
                    }
                })
                .collect();
            let known = mapped.iter().flatten().count();
            (kind, known, engine::missing_required(columns, &mapped))
        })
        .collect();
    let mut complete: Vec<&(ImportKind, usize, Vec<String>)> =
        scored.iter().filter(|(_, _, m)| m.is_empty()).collect();
    complete.sort_by_key(|c| std::cmp::Reverse(c.1));
    match complete.as_slice() {
        [first, second, ..] if first.1 == second.1 => Err((
            FileErrorKind::UnknownKind,
            format!(
                "无法判断文件类型：既像 {} 也像 {}（可用 --kind 指定）",
                first.0, second.0
            ),
            format!(
                "cannot tell the kind of file: it fits both {} and {} (name it with --kind)",
                first.0, second.0
            ),
        )),
        [first, ..] => Ok(first.0),
        [] => {
            let best = scored
                .iter()
                .filter(|(_, known, _)| *known > 0)
                .max_by_key(|(_, known, _)| *known);
            match best {
                None if by_header => Err((
                    FileErrorKind::MissingHeader,
                    "首行不是表头：没有可识别的列名".to_owned(),
                    "the first line is not a header row: no known column names".to_owned(),
                )),
                None => Err((
                    FileErrorKind::UnknownKind,
                    "无法判断文件类型：没有可识别的字段（可用 --kind 指定）".to_owned(),
                    "cannot tell the kind of file: no known field names (name it with --kind)"
                        .to_owned(),
                )),
                Some((kind, _, missing)) => {
                    let list = missing.join(", ");
                    Err((
                        FileErrorKind::UnknownKind,
                        format!(
                            "无法判断文件类型：最接近 {kind}（{}），但缺少必填列：{list}（可用 --kind 指定）",
                            kind.label_zh()
                        ),
                        format!(
                            "cannot tell the kind of file: closest is {kind}, but required columns are missing: {list} (name it with --kind)"
                        ),
                    ))
                }
            }
        }
    }
}
