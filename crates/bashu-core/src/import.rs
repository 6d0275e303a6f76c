//! The nightly HR export (SPEC §4): `certificates.csv` and its JSON Lines twin.
//!
//! Every row is validated on its own. A bad row becomes one [`RowError`] (its first bad
//! column, with file, line and a bilingual reason) and the rest of the file is still read;
//! nothing of a refused row is returned. Problems that make the whole file unreadable (no
//! header, unknown or missing columns, not UTF-8) are a [`FileError`].
//!
//! The readers take any `Read`/`BufRead`; opening files is the caller's business.

use std::io::{self, BufRead, Read, Write};

use crate::date::Date;
use crate::id::{CertNo, IdError, Level, OccupationCode, PersonId, Uscc};
use crate::record::{CertStatus, CertType, CertificateInput};

/// The rows of one import file that passed validation, and the rows that were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFile<T> {
    pub rows: Vec<Row<T>>,
    pub refused: Vec<RowError>,
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
    fn new(
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

    fn not_utf8(source: &str, line: u64) -> FileError {
        FileError::new(
            FileErrorKind::NotUtf8,
            format!("{source}:{line}"),
            "文件不是 UTF-8 编码（可能是 GBK），请另存为 UTF-8",
            "file is not UTF-8 (GBK, perhaps); save it as UTF-8",
        )
    }

    fn unreadable(source: &str, e: &dyn std::fmt::Display) -> FileError {
        FileError::new(
            FileErrorKind::Unreadable,
            source.to_owned(),
            format!("无法读取文件：{e}"),
            format!("cannot read the file: {e}"),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Columns of certificates.csv

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CertColumn {
    CertNo,
    CertType,
    Name,
    IdType,
    IdNo,
    OccupationCode,
    OccupationName,
    WorkType,
    Level,
    IssueDate,
    InstitutionUscc,
    InstitutionName,
    FilingNo,
    BatchId,
    Status,
}

#[derive(Debug)]
struct ColumnSpec {
    column: CertColumn,
    en: &'static str,
    zh: &'static str,
    required: bool,
    /// Free text that is replicated: checked for ID number fragments (SPEC R16).
    replicated_text: bool,
}

const fn spec(
    column: CertColumn,
    en: &'static str,
    zh: &'static str,
    required: bool,
    replicated_text: bool,
) -> ColumnSpec {
    ColumnSpec {
        column,
        en,
        zh,
        required,
        replicated_text,
    }
}

/// SPEC §4 `certificates.csv`, in SPEC order (also the order `write_certificates_csv` uses).
const CERT_COLUMNS: [ColumnSpec; 15] = [
    spec(CertColumn::CertNo, "cert_no", "证书编号", true, false),
    spec(CertColumn::CertType, "cert_type", "证书类型", false, false),
    spec(CertColumn::Name, "name", "姓名", true, true),
    spec(CertColumn::IdType, "id_type", "证件类型", false, false),
    spec(CertColumn::IdNo, "id_no", "证件号码", true, false),
    spec(
        CertColumn::OccupationCode,
        "occupation_code",
        "职业编码",
        true,
        false,
    ),
    spec(
        CertColumn::OccupationName,
        "occupation_name",
        "职业名称",
        true,
        true,
    ),
    spec(
        CertColumn::WorkType,
        "work_type",
        "工种/职业方向",
        true,
        true,
    ),
    spec(CertColumn::Level, "level", "等级", true, false),
    spec(CertColumn::IssueDate, "issue_date", "发证日期", true, false),
    spec(
        CertColumn::InstitutionUscc,
        "institution_uscc",
        "评价机构统一社会信用代码",
        true,
        false,
    ),
    spec(
        CertColumn::InstitutionName,
        "institution_name",
        "评价机构名称",
        true,
        true,
    ),
    spec(CertColumn::FilingNo, "filing_no", "备案编号", true, true),
    spec(CertColumn::BatchId, "batch_id", "认定批次", false, true),
    spec(CertColumn::Status, "status", "状态", false, false),
];

/// A CSV header cell: the English name (any ASCII case) or the Chinese name.
fn column_by_header(name: &str) -> Option<&'static ColumnSpec> {
    CERT_COLUMNS
        .iter()
        .find(|c| c.en.eq_ignore_ascii_case(name) || c.zh == name)
}

/// A JSON Lines key: the English name.
fn column_by_key(key: &str) -> Option<&'static ColumnSpec> {
    CERT_COLUMNS.iter().find(|c| c.en == key)
}

// ---------------------------------------------------------------------------------------
// Row validation, shared by both formats

/// One cell of a row: its column, the name the file gave it, and its trimmed value
/// (empty when absent).
struct Field<'a> {
    spec: &'static ColumnSpec,
    label: &'a str,
    value: &'a str,
}

/// Why one certificate was refused: its first bad field and a bilingual reason. Becomes a
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
    fn new(column: &str, zh: impl Into<String>, en: impl Into<String>) -> FieldError {
        FieldError {
            column: column.to_owned(),
            message_zh: zh.into(),
            message_en: en.into(),
        }
    }

    fn from_id(column: &str, e: IdError) -> FieldError {
        FieldError {
            column: column.to_owned(),
            message_zh: e.message_zh,
            message_en: e.message_en,
        }
    }

    fn into_row_error(self, source: &str, line: u64) -> RowError {
        RowError {
            origin: format!("{source}:{line}"),
            line,
            column: self.column,
            message_zh: self.message_zh,
            message_en: self.message_en,
        }
    }
}

/// The values of a row as they are checked, column by column.
#[derive(Default)]
struct Draft {
    cert_no: Option<CertNo>,
    cert_type: Option<CertType>,
    name: Option<String>,
    person_id: Option<PersonId>,
    occupation_code: Option<OccupationCode>,
    occupation_name: Option<String>,
    work_type: Option<String>,
    level: Option<Level>,
    issue_date: Option<Date>,
    institution_uscc: Option<Uscc>,
    institution_name: Option<String>,
    filing_no: Option<String>,
    batch_id: Option<String>,
    status: Option<CertStatus>,
}

/// Validates one certificate given as `(English field name, value)` pairs, as a submission
/// over the network carries them. Values are trimmed; an absent or empty optional field takes
/// its default (SPEC §4). Fields are checked in SPEC column order and the first bad one is
/// reported. An unknown or repeated field name refuses the certificate.
pub fn certificate_from_fields(fields: &[(&str, &str)]) -> Result<CertificateInput, FieldError> {
    let mut values: [Option<&str>; CERT_COLUMNS.len()] = [None; CERT_COLUMNS.len()];
    for &(name, value) in fields {
        let Some(i) = CERT_COLUMNS.iter().position(|c| c.en == name) else {
            return Err(FieldError::new(
                name,
                format!("未知字段 {name}"),
                format!("unknown field {name}"),
            ));
        };
        if values[i].is_some() {
            return Err(FieldError::new(
                name,
                format!("字段 {name} 重复"),
                format!("field {name} appears twice"),
            ));
        }
        values[i] = Some(value.trim());
    }
    let fields: Vec<Field<'_>> = CERT_COLUMNS
        .iter()
        .zip(values)
        .map(|(spec, value)| Field {
            spec,
            label: spec.en,
            value: value.unwrap_or(""),
        })
        .collect();
    validate_fields(&fields)
}

/// Checks the fields in the order given (the file's column order) and stops at the first
/// bad one.
fn validate_fields(fields: &[Field<'_>]) -> Result<CertificateInput, FieldError> {
    let value_of = |c: CertColumn| {
        fields
            .iter()
            .find(|f| f.spec.column == c)
            .map_or("", |f| f.value)
    };
    let id_type = value_of(CertColumn::IdType);
    let id_no = value_of(CertColumn::IdNo);

    let mut d = Draft::default();
    for f in fields {
        let (label, v) = (f.label, f.value);
        if v.is_empty() {
            if f.spec.required {
                return Err(FieldError::new(
                    label,
                    format!("必填字段 {label} 缺失或为空"),
                    format!("required field {label} is missing or empty"),
                ));
            }
            continue; // the default applies
        }
        if f.spec.replicated_text && contains_id_fragment(v, id_no) {
            return Err(FieldError::new(
                label,
                format!("字段 {label} 含有证件号码片段，不得上报"),
                format!("field {label} contains an ID number fragment; refused"),
            ));
        }
        let id_err = |e| FieldError::from_id(label, e);
        match f.spec.column {
            CertColumn::CertNo => d.cert_no = Some(CertNo::parse(v).map_err(id_err)?),
            CertColumn::CertType => {
                d.cert_type = Some(CertType::parse(v).ok_or_else(|| bad_cert_type(label, v))?);
            }
            CertColumn::Name => d.name = Some(v.to_owned()),
            // Checked together with the number, under the number's column.
            CertColumn::IdType => {}
            CertColumn::IdNo => d.person_id = Some(PersonId::parse(id_type, v).map_err(id_err)?),
            CertColumn::OccupationCode => {
                d.occupation_code = Some(OccupationCode::parse(v).map_err(id_err)?);
            }
            CertColumn::OccupationName => d.occupation_name = Some(v.to_owned()),
            CertColumn::WorkType => d.work_type = Some(v.to_owned()),
            CertColumn::Level => d.level = Some(Level::parse(v).map_err(id_err)?),
            CertColumn::IssueDate => d.issue_date = Some(Date::parse(v).map_err(id_err)?),
            CertColumn::InstitutionUscc => {
                d.institution_uscc = Some(Uscc::parse(v).map_err(id_err)?);
            }
            CertColumn::InstitutionName => d.institution_name = Some(v.to_owned()),
            CertColumn::FilingNo => d.filing_no = Some(v.to_owned()),
            CertColumn::BatchId => d.batch_id = Some(v.to_owned()),
            CertColumn::Status => {
                d.status = Some(CertStatus::parse(v).ok_or_else(|| bad_status(label, v))?);
            }
        }
    }

    // Every required column was present and non-empty, or the loop returned; a `None` here
    // means the caller left a required column out of `fields`.
    fn need<T>(v: Option<T>, c: CertColumn) -> Result<T, FieldError> {
        v.ok_or_else(|| {
            let en = CERT_COLUMNS
                .iter()
                .find(|s| s.column == c)
                .map_or("?", |s| s.en);
            FieldError::new(
                en,
                format!("缺少必填字段 {en}"),
                format!("required field {en} is missing"),
            )
        })
    }
    Ok(CertificateInput {
        cert_no: need(d.cert_no, CertColumn::CertNo)?,
        cert_type: d.cert_type.unwrap_or(CertType::SkillLevel),
        name: need(d.name, CertColumn::Name)?,
        person_id: need(d.person_id, CertColumn::IdNo)?,
        occupation_code: need(d.occupation_code, CertColumn::OccupationCode)?,
        occupation_name: need(d.occupation_name, CertColumn::OccupationName)?,
        work_type: need(d.work_type, CertColumn::WorkType)?,
        level: need(d.level, CertColumn::Level)?,
        issue_date: need(d.issue_date, CertColumn::IssueDate)?,
        institution_uscc: need(d.institution_uscc, CertColumn::InstitutionUscc)?,
        institution_name: need(d.institution_name, CertColumn::InstitutionName)?,
        filing_no: need(d.filing_no, CertColumn::FilingNo)?,
        batch_id: d.batch_id,
        status: d.status.unwrap_or(CertStatus::Valid),
    })
}

fn bad_cert_type(label: &str, v: &str) -> FieldError {
    let zh: Vec<String> = CertType::ALL
        .iter()
        .map(|t| format!("{}/{}", t.as_code(), t.label_zh()))
        .collect();
    let en: Vec<&str> = CertType::ALL.iter().map(|t| t.as_code()).collect();
    FieldError::new(
        label,
        format!("证书类型 \"{v}\" 无效，应为 {} 之一", zh.join("、")),
        format!(
            "certificate type \"{v}\" is not valid; expected one of {} (or the Chinese label)",
            en.join(", ")
        ),
    )
}

fn bad_status(label: &str, v: &str) -> FieldError {
    let zh: Vec<String> = CertStatus::ALL
        .iter()
        .map(|t| format!("{}/{}", t.as_code(), t.label_zh()))
        .collect();
    let en: Vec<&str> = CertStatus::ALL.iter().map(|t| t.as_code()).collect();
    FieldError::new(
        label,
        format!("证书状态 \"{v}\" 无效，应为 {} 之一", zh.join("、")),
        format!(
            "certificate status \"{v}\" is not valid; expected one of {} (or the Chinese label)",
            en.join(", ")
        ),
    )
}

/// SPEC R16 at import: a replicated free-text value must not carry the row's own ID number,
/// nor anything shaped like an ID number: 15 or more consecutive digits (a 15-digit
/// first-generation number, or most of an 18-digit one), or 14 or more digits followed by
/// `X`. Full-width digits count as digits.
fn contains_id_fragment(text: &str, id_no: &str) -> bool {
    // Very short "numbers" of other document types would match ordinary text.
    const MIN_OWN_NUMBER_CHARS: usize = 6;
    const MIN_RUN: usize = 15;

    let normalise = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '０'..='９' => {
                    char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
                }
                'Ｘ' | 'ｘ' | 'x' => 'X',
                c => c.to_ascii_uppercase(),
            })
            .collect()
    };
    let text = normalise(text);
    let own = normalise(id_no.trim());
    if own.chars().count() >= MIN_OWN_NUMBER_CHARS && text.contains(&own) {
        return true;
    }
    let mut digits = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= MIN_RUN {
                return true;
            }
        } else {
            if c == 'X' && digits + 1 >= MIN_RUN {
                return true;
            }
            digits = 0;
        }
    }
    false
}

// ---------------------------------------------------------------------------------------
// CSV

/// Reads `certificates.csv` (UTF-8 with or without BOM, header row with English or Chinese
/// names). `source` names the file in origins and messages. Unknown columns are a
/// [`FileError`] unless `lenient`, in which case they are ignored. Lines whose cells are all
/// empty are skipped. The file is read into memory first (to number physical lines exactly).
pub fn parse_certificates_csv<R: Read>(
    mut reader: R,
    source: &str,
    lenient: bool,
) -> Result<ImportFile<CertificateInput>, FileError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::unreadable(source, &e))?;
    let mut lines = LineCounter::new(&bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut record = csv::ByteRecord::new();
    let mut read = |record: &mut csv::ByteRecord| {
        rdr.read_byte_record(record)
            .map_err(|e| FileError::unreadable(source, &e))
    };

    if !read(&mut record)? {
        return Err(FileError::new(
            FileErrorKind::MissingHeader,
            source.to_owned(),
            "文件为空，缺少表头行",
            "file is empty; a header row is required",
        ));
    }
    let header_line = lines.line_of(&record);
    let header = utf8_cells(&record, source, header_line)?;
    let columns = header_columns(&header, source, header_line, lenient)?;

    let mut out = ImportFile {
        rows: Vec::new(),
        refused: Vec::new(),
    };
    while read(&mut record)? {
        let line = lines.line_of(&record);
        let cells = utf8_cells(&record, source, line)?;
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        if cells.len() != header.len() {
            out.refused.push(
                FieldError::new(
                    "",
                    format!("该行有 {} 个字段，表头有 {} 列", cells.len(), header.len()),
                    format!(
                        "row has {} fields, the header has {}",
                        cells.len(),
                        header.len()
                    ),
                )
                .into_row_error(source, line),
            );
            continue;
        }
        let fields: Vec<Field<'_>> = columns
            .iter()
            .zip(&header)
            .zip(&cells)
            .filter_map(|((spec, label), value)| spec.map(|spec| Field { spec, label, value }))
            .collect();
        match validate_fields(&fields) {
            Ok(value) => out.rows.push(Row {
                line,
                origin: format!("{source}:{line}"),
                value,
            }),
            Err(e) => out.refused.push(e.into_row_error(source, line)),
        }
    }
    Ok(out)
}

/// Physical line numbers of records. The csv reader's own `Position::line` counts from
/// where it started looking, which is before any blank lines it skipped; this counts from
/// the record's first byte.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Byte offset up to which newlines have been counted, and the line there.
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// Records come in file order, so the count only moves forward.
    fn line_of(&mut self, record: &csv::ByteRecord) -> u64 {
        let start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(self.offset)
            .clamp(self.offset, self.bytes.len());
        let first = self.bytes[start..]
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .map_or(self.bytes.len(), |i| start + i);
        let newlines = self.bytes[self.offset..first]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += newlines as u64;
        self.offset = first;
        self.line
    }
}

/// The cells of a record as trimmed text; a BOM before the first cell is dropped.
fn utf8_cells(record: &csv::ByteRecord, source: &str, line: u64) -> Result<Vec<String>, FileError> {
    record
        .iter()
        .map(|b| {
            std::str::from_utf8(b)
                .map(|s| s.trim_start_matches('\u{feff}').trim().to_owned())
                .map_err(|_| FileError::not_utf8(source, line))
        })
        .collect()
}

/// Maps header cells to columns; `None` for an ignored unknown column.
fn header_columns(
    header: &[String],
    source: &str,
    line: u64,
    lenient: bool,
) -> Result<Vec<Option<&'static ColumnSpec>>, FileError> {
    let origin = format!("{source}:{line}");
    let columns: Vec<Option<&'static ColumnSpec>> =
        header.iter().map(|h| column_by_header(h)).collect();
    if columns.iter().all(Option::is_none) {
        return Err(FileError::new(
            FileErrorKind::MissingHeader,
            origin,
            "首行不是表头：没有可识别的列名（需要 cert_no 或 证书编号 等）",
            "the first line is not a header row: no known column names (cert_no, 证书编号, …)",
        ));
    }
    if !lenient {
        if let Some((i, h)) = header
            .iter()
            .enumerate()
            .find(|(i, _)| columns[*i].is_none())
        {
            let n = i + 1;
            return Err(FileError::new(
                FileErrorKind::UnknownColumn,
                origin,
                format!("第 {n} 列 \"{h}\" 不是已知列名（可使用宽松模式 --lenient 忽略）"),
                format!("column {n} \"{h}\" is not a known column (--lenient ignores it)"),
            ));
        }
    }
    for (i, c) in columns.iter().enumerate() {
        let Some(c) = c else { continue };
        if let Some(j) = columns[..i]
            .iter()
            .position(|o| o.is_some_and(|o| o.column == c.column))
        {
            return Err(FileError::new(
                FileErrorKind::DuplicateColumn,
                origin,
                format!(
                    "第 {} 列 \"{}\" 与第 {} 列 \"{}\" 是同一列",
                    i + 1,
                    header[i],
                    j + 1,
                    header[j]
                ),
                format!(
                    "column {} \"{}\" repeats column {} \"{}\"",
                    i + 1,
                    header[i],
                    j + 1,
                    header[j]
                ),
            ));
        }
    }
    let missing: Vec<String> = CERT_COLUMNS
        .iter()
        .filter(|s| {
            s.required
                && !columns
                    .iter()
                    .any(|c| c.is_some_and(|c| c.column == s.column))
        })
        .map(|s| format!("{} ({})", s.en, s.zh))
        .collect();
    if !missing.is_empty() {
        let list = missing.join(", ");
        return Err(FileError::new(
            FileErrorKind::MissingColumn,
            origin,
            format!("缺少必填列：{list}"),
            format!("required columns missing: {list}"),
        ));
    }
    Ok(columns)
}

/// Writes `certificates.csv` with the English header in SPEC column order, so that
/// [`parse_certificates_csv`] reads back the same values. Contains full ID numbers: for the
/// home node's own files only.
pub fn write_certificates_csv<W: Write>(w: W, rows: &[CertificateInput]) -> io::Result<()> {
    let mut wtr = csv::Writer::from_writer(w);
    wtr.write_record(CERT_COLUMNS.iter().map(|c| c.en))?;
    for r in rows {
        let issue_date = r.issue_date.to_string();
        wtr.write_record([
            r.cert_no.as_str(),
            r.cert_type.as_code(),
            &r.name,
            r.person_id.id_type_label(),
            r.person_id.normalised_number(),
            r.occupation_code.as_str(),
            &r.occupation_name,
            &r.work_type,
            r.level.label_zh(),
            &issue_date,
            r.institution_uscc.as_str(),
            &r.institution_name,
            &r.filing_no,
            r.batch_id.as_deref().unwrap_or(""),
            r.status.as_code(),
        ])?;
    }
    wtr.flush()
}

// ---------------------------------------------------------------------------------------
// JSON Lines

/// Reads certificates as JSON Lines: one object per line, English field names, string
/// values (`level` may also be a number; `null` counts as absent). Blank lines are skipped.
/// An unknown field refuses its row unless `lenient`.
pub fn parse_certificates_jsonl<R: BufRead>(
    mut reader: R,
    source: &str,
    lenient: bool,
) -> Result<ImportFile<CertificateInput>, FileError> {
    let mut out = ImportFile {
        rows: Vec::new(),
        refused: Vec::new(),
    };
    let mut buf = Vec::new();
    let mut line: u64 = 0;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| FileError::unreadable(source, &e))?;
        if n == 0 {
            break;
        }
        line += 1;
        let text = std::str::from_utf8(&buf).map_err(|_| FileError::not_utf8(source, line))?;
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        match certificate_from_json(text, lenient) {
            Ok(value) => out.rows.push(Row {
                line,
                origin: format!("{source}:{line}"),
                value,
            }),
            Err(e) => out.refused.push(e.into_row_error(source, line)),
        }
    }
    Ok(out)
}

fn certificate_from_json(text: &str, lenient: bool) -> Result<CertificateInput, FieldError> {
    let object = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(m)) => m,
        Ok(_) => {
            return Err(FieldError::new(
                "",
                "该行不是 JSON 对象",
                "line is not a JSON object",
            ));
        }
        Err(e) => {
            // serde_json's message names a position, never the input.
            return Err(FieldError::new(
                "",
                format!("该行不是有效的 JSON：{e}"),
                format!("line is not valid JSON: {e}"),
            ));
        }
    };
    if !lenient {
        if let Some(key) = object.keys().find(|k| column_by_key(k).is_none()) {
            return Err(FieldError::new(
                key,
                format!("未知字段 {key}"),
                format!("unknown field {key}"),
            ));
        }
    }
    // Known fields only (unknown ones were refused above, or are ignored when lenient).
    let mut values: Vec<(&'static str, String)> = Vec::with_capacity(CERT_COLUMNS.len());
    for spec in &CERT_COLUMNS {
        let key = spec.en;
        let value = match object.get(key) {
            None | Some(serde_json::Value::Null) => continue,
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) if spec.column == CertColumn::Level => n.to_string(),
            Some(_) if spec.column == CertColumn::Level => {
                return Err(FieldError::new(
                    key,
                    format!("字段 {key} 应为字符串或数字"),
                    format!("field {key} must be a string or a number"),
                ));
            }
            Some(_) => {
                return Err(FieldError::new(
                    key,
                    format!("字段 {key} 应为字符串"),
                    format!("field {key} must be a string"),
                ));
            }
        };
        values.push((key, value));
    }
    let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    certificate_from_fields(&pairs)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::id::{id_check_char, uscc_check_char};

    const HEADER_EN: &str = "cert_no,cert_type,name,id_type,id_no,occupation_code,occupation_name,\
work_type,level,issue_date,institution_uscc,institution_name,filing_no,batch_id,status";

    /// A good row in `HEADER_EN` order, with some cells replaced.
    fn row(overrides: &[(&str, &str)]) -> String {
        let defaults = [
            ("cert_no", "S000050001230243000015"),
            ("cert_type", "SKILL_LEVEL"),
            ("name", "王小明"),
            ("id_type", "居民身份证"),
            ("id_no", "500153198804123616"),
            ("occupation_code", "6-18-02-04"),
            ("occupation_name", "焊工"),
            ("work_type", "--"),
            ("level", "3"),
            ("issue_date", "2024-06-01"),
            ("institution_uscc", "52511083MA6A01231Q"),
            ("institution_name", "重庆市荣昌区安陶职业技能培训学校"),
            ("filing_no", "YC-2024-007"),
            ("batch_id", "PC-2024-0601"),
            ("status", "VALID"),
        ];
        defaults
            .iter()
            .map(|(k, v)| {
                overrides
                    .iter()
                    .find(|(ok, _)| ok == k)
                    .map_or(*v, |(_, ov)| *ov)
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    fn csv(text: &str) -> Result<ImportFile<CertificateInput>, FileError> {
        parse_certificates_csv(text.as_bytes(), "certificates.csv", false)
    }

    fn make_id(first17: &str) -> String {
        format!("{first17}{}", id_check_char(first17).unwrap())
    }

    fn expected_default() -> CertificateInput {
        CertificateInput {
            cert_no: CertNo::parse("S000050001230243000015").unwrap(),
            cert_type: CertType::SkillLevel,
            name: "王小明".into(),
            person_id: PersonId::parse("", "500153198804123616").unwrap(),
            occupation_code: OccupationCode::parse("6-18-02-04").unwrap(),
            occupation_name: "焊工".into(),
            work_type: "--".into(),
            level: Level::Three,
            issue_date: Date::parse("2024-06-01").unwrap(),
            institution_uscc: Uscc::parse("52511083MA6A01231Q").unwrap(),
            institution_name: "重庆市荣昌区安陶职业技能培训学校".into(),
            filing_no: "YC-2024-007".into(),
            batch_id: Some("PC-2024-0601".into()),
            status: CertStatus::Valid,
        }
    }

    #[test]
    fn english_header() {
        let f = csv(&format!("{HEADER_EN}\n{}\n", row(&[]))).unwrap();
        assert!(f.refused.is_empty(), "{:?}", f.refused);
        assert_eq!(f.rows.len(), 1);
        assert_eq!(f.rows[0].line, 2);
        assert_eq!(f.rows[0].origin, "certificates.csv:2");
        assert_eq!(f.rows[0].value, expected_default());
    }

    #[test]
    fn chinese_header_labels_and_defaults() {
        // Only the required columns, in another order, with Chinese names; padded cells.
        let text = "姓名,证书编号,证件号码,职业编码,职业名称,工种/职业方向,等级,发证日期,\
评价机构统一社会信用代码,评价机构名称,备案编号\n\
 王小明 ,S000050001230243000015,500153198804123616,6-18-02-04,焊工,--,三级/高级工,2024-06-01,\
52511083MA6A01231Q,重庆市荣昌区安陶职业技能培训学校,YC-2024-007\n";
        let f = csv(text).unwrap();
        assert!(f.refused.is_empty(), "{:?}", f.refused);
        let want = CertificateInput {
            batch_id: None,
            ..expected_default()
        };
        assert_eq!(f.rows[0].value, want);
    }

    #[test]
    fn chinese_enum_labels() {
        let text = format!(
            "{HEADER_EN}\n{}\n{}\n",
            row(&[
                ("cert_type", "职业资格证书"),
                ("status", "注销"),
                ("level", "技师")
            ]),
            row(&[
                ("cert_type", "特级技师证书"),
                ("status", "补发"),
                ("level", "特级技师")
            ]),
        );
        let f = csv(&text).unwrap();
        assert!(f.refused.is_empty(), "{:?}", f.refused);
        let a = &f.rows[0].value;
        assert_eq!(
            (a.cert_type, a.status, a.level),
            (CertType::Qualification, CertStatus::Cancelled, Level::Two)
        );
        let b = &f.rows[1].value;
        assert_eq!(
            (b.cert_type, b.status, b.level),
            (CertType::TopTechnician, CertStatus::Reissued, Level::Top)
        );
    }

    #[test]
    fn empty_optional_cells_take_defaults() {
        let text = format!(
            "{HEADER_EN}\n{}\n",
            row(&[
                ("cert_type", ""),
                ("id_type", ""),
                ("batch_id", " "),
                ("status", "")
            ])
        );
        let f = csv(&text).unwrap();
        assert_eq!(
            f.rows[0].value,
            CertificateInput {
                batch_id: None,
                ..expected_default()
            }
        );
    }

    #[test]
    fn bom_is_accepted() {
        let text = format!("\u{feff}{HEADER_EN}\r\n{}\r\n", row(&[]));
        let f = csv(&text).unwrap();
        assert!(f.refused.is_empty(), "{:?}", f.refused);
        assert_eq!(f.rows[0].value, expected_default());
        // And with Chinese headers, BOM before 证书编号.
        let text = "\u{feff}证书编号,姓名,证件号码,职业编码,职业名称,工种/职业方向,等级,发证日期,\
评价机构统一社会信用代码,评价机构名称,备案编号\n\
S000050001230243000015,王小明,500153198804123616,6-18-02-04,焊工,--,3,2024-06-01,\
52511083MA6A01231Q,重庆市荣昌区安陶职业技能培训学校,YC-2024-007\n";
        assert_eq!(csv(text).unwrap().rows.len(), 1);
    }

    #[test]
    fn three_bad_rows_are_reported_and_good_rows_kept() {
        let second = make_id("51052119920305472");
        let text = [
            HEADER_EN.to_owned(),                    // 1
            row(&[]),                                // 2
            row(&[("id_no", "500153198804123615")]), // 3 check digit
            row(&[
                ("id_no", &second),
                ("cert_no", "Y000051004518232000208"),
                ("level", "2"),
            ]), // 4
            row(&[("issue_date", "2023-02-29")]),    // 5 bad date
            row(&[("name", "")]),                    // 6 missing name
            row(&[
                ("cert_no", "1750002003300123"),
                ("issue_date", "2017-05-20"),
            ]), // 7
        ]
        .join("\n");
        let f = csv(&text).unwrap();
        let lines: Vec<u64> = f.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4, 7]);
        let refused: Vec<(u64, &str, &str)> = f
            .refused
            .iter()
            .map(|e| (e.line, e.column.as_str(), e.origin.as_str()))
            .collect();
        assert_eq!(
            refused,
            [
                (3, "id_no", "certificates.csv:3"),
                (5, "issue_date", "certificates.csv:5"),
                (6, "name", "certificates.csv:6"),
            ]
        );
        assert_eq!(
            f.refused[0].message_en,
            "ID number check digit wrong: expected 6, found 5"
        );
        assert_eq!(
            f.refused[0].message_zh,
            "身份证号校验位错误：应为 6，实为 5"
        );
        assert!(f.refused[1].message_en.contains("not a calendar date"));
        assert_eq!(
            f.refused[2].message_en,
            "required field name is missing or empty"
        );
        assert_eq!(f.refused[2].message_zh, "必填字段 name 缺失或为空");
        assert_eq!(
            f.refused[2].to_string(),
            "certificates.csv:6 [name]: 必填字段 name 缺失或为空 / required field name is missing or empty"
        );
        // No refusal message repeats the ID number.
        for e in &f.refused {
            assert!(!e.to_string().contains("50015319880412361"));
        }
    }

    #[test]
    fn column_reported_is_the_files_own_header_name_and_the_first_bad_one() {
        let text = "证书编号,姓名,证件号码,职业编码,职业名称,工种/职业方向,等级,发证日期,\
评价机构统一社会信用代码,评价机构名称,备案编号\n\
S000050001230243000015,王小明,500153198804123616,6-18-02-04,焊工,--,七级,2024-13-01,\
52511083MA6A01231B,重庆市荣昌区安陶职业技能培训学校,YC-2024-007\n";
        let f = csv(text).unwrap();
        assert!(f.rows.is_empty());
        assert_eq!(f.refused.len(), 1);
        assert_eq!(f.refused[0].column, "等级");
        assert_eq!(f.refused[0].line, 2);
    }

    #[test]
    fn uscc_and_enum_errors() {
        let text = format!(
            "{HEADER_EN}\n{}\n{}\n{}\n{}\n",
            row(&[("institution_uscc", "52511083MA6A01231R")]),
            row(&[("cert_type", "DIPLOMA")]),
            row(&[("status", "EXPIRED")]),
            row(&[("occupation_code", "6-18-2-04")]),
        );
        let f = csv(&text).unwrap();
        assert!(f.rows.is_empty());
        let cols: Vec<&str> = f.refused.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(
            cols,
            ["institution_uscc", "cert_type", "status", "occupation_code"]
        );
        assert_eq!(
            f.refused[0].message_en,
            "unified social credit code check character wrong: expected Q, found R"
        );
        assert!(
            f.refused[1]
                .message_en
                .contains("SKILL_LEVEL, QUALIFICATION")
        );
        assert!(f.refused[2].message_zh.contains("VALID/有效"));
    }

    #[test]
    fn unknown_cert_no_pattern_and_level_mismatch_are_not_refused_here() {
        let text = format!(
            "{HEADER_EN}\n{}\n{}\n",
            row(&[("cert_no", "渝鉴字2019-0001")]),
            // level digit 4 in the number on a 三级 certificate: R1's business, not import's.
            row(&[("cert_no", "S000050001230244000015")]),
        );
        let f = csv(&text).unwrap();
        assert!(f.refused.is_empty(), "{:?}", f.refused);
        assert_eq!(f.rows.len(), 2);
        assert_eq!(
            f.rows[0].value.cert_no.kind(),
            crate::id::CertNoKind::Unknown
        );
    }

    #[test]
    fn other_id_types() {
        let text = format!(
            "{HEADER_EN}\n{}\n{}\n",
            row(&[("id_type", "护照"), ("id_no", "e12345678")]),
            row(&[("id_type", "护照"), ("id_no", "")]),
        );
        let f = csv(&text).unwrap();
        assert_eq!(f.rows.len(), 1);
        assert_eq!(f.rows[0].value.person_id.masked(), "E1*****78");
        assert_eq!(f.refused[0].column, "id_no");
        assert_eq!(f.refused[0].line, 3);
    }

    #[test]
    fn id_type_after_id_no_still_applies() {
        let text = "id_no,id_type,cert_no,name,occupation_code,occupation_name,work_type,level,\
issue_date,institution_uscc,institution_name,filing_no\n\
H1234567,港澳居民来往内地通行证,S000050001230243000015,王小明,6-18-02-04,焊工,--,3,2024-06-01,\
52511083MA6A01231Q,重庆市荣昌区安陶职业技能培训学校,YC-2024-007\n";
        let f = csv(text).unwrap();
        assert!(f.refused.is_empty(), "{:?}", f.refused);
        assert_eq!(
            f.rows[0].value.person_id.id_type_label(),
            "港澳居民来往内地通行证"
        );
    }

    #[test]
    fn id_fragments_in_free_text_are_refused() {
        let text = format!(
            "{HEADER_EN}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            row(&[("name", "王小明500153198804123616")]),
            row(&[("batch_id", "5001531988041236")]),
            row(&[("institution_name", "某公司（法人 11010519491231002x）")]),
            row(&[("work_type", "焊工 ５００１５３１９８８０４１２３")]),
            row(&[("occupation_name", "焊工15319880412361X")]),
            row(&[
                ("id_type", "护照"),
                ("id_no", "E12345678"),
                ("filing_no", "YC-E12345678")
            ]),
            // Short digit runs and the canonical mask are fine.
            row(&[
                ("filing_no", "渝人社备〔2024〕0012345678901"),
                ("name", "王小明 5001**********3616")
            ]),
        );
        let f = csv(&text).unwrap();
        let got: Vec<(u64, &str)> = f
            .refused
            .iter()
            .map(|e| (e.line, e.column.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (2, "name"),
                (3, "batch_id"),
                (4, "institution_name"),
                (5, "work_type"),
                (6, "occupation_name"),
                (7, "filing_no"),
            ]
        );
        assert_eq!(
            f.refused[0].message_zh,
            "字段 name 含有证件号码片段，不得上报"
        );
        assert_eq!(
            f.refused[0].message_en,
            "field name contains an ID number fragment; refused"
        );
        assert_eq!(f.rows.len(), 1);
        assert_eq!(f.rows[0].line, 8);
    }

    #[test]
    fn fragment_detector() {
        assert!(contains_id_fragment("123456789012345", ""));
        assert!(!contains_id_fragment("12345678901234", ""));
        assert!(contains_id_fragment("a12345678901234X", ""));
        assert!(!contains_id_fragment("1234567890123X", ""));
        assert!(!contains_id_fragment("1234567 89012345", ""));
        assert!(contains_id_fragment("abcE12345678", "e12345678"));
        assert!(!contains_id_fragment("A12", "A12"));
    }

    #[test]
    fn line_numbers_are_physical_lines() {
        let text = format!(
            "{HEADER_EN}\n{}\n\n{}\n{}\n",
            row(&[("institution_name", "\"重庆市荣昌区\n安陶职业技能培训学校\"")]), // lines 2-3
            // line 4 is blank
            row(&[("level", "9")]), // line 5
            row(&[]),               // line 6
        );
        let f = csv(&text).unwrap();
        assert_eq!(f.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 6]);
        assert_eq!(
            f.rows[0].value.institution_name,
            "重庆市荣昌区\n安陶职业技能培训学校"
        );
        assert_eq!(f.refused[0].line, 5);
        assert_eq!(f.refused[0].column, "level");

        // CRLF, blank lines before the header and between rows, a blank line of spaces.
        let text = format!(
            "\r\n{HEADER_EN}\r\n\r\n\r\n{}\r\n   \r\n{}\r\n{}",
            row(&[("level", "9")]), // line 5
            row(&[]),               // line 7
            row(&[("level", "0")]), // line 8, no final newline
        );
        let f = csv(&text).unwrap();
        assert_eq!(f.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [7]);
        assert_eq!(f.refused.iter().map(|r| r.line).collect::<Vec<_>>(), [5, 8]);
        let e = csv(&format!("\n\n{HEADER_EN},x\n")).unwrap_err();
        assert_eq!(e.origin, "certificates.csv:3");
    }

    #[test]
    fn wrong_field_count_refuses_the_row() {
        let text = format!("{HEADER_EN}\n{},extra\n{}\n", row(&[]), row(&[]));
        let f = csv(&text).unwrap();
        assert_eq!(f.rows.len(), 1);
        assert_eq!(f.refused[0].line, 2);
        assert_eq!(f.refused[0].column, "");
        assert_eq!(
            f.refused[0].message_en,
            "row has 16 fields, the header has 15"
        );
    }

    #[test]
    fn unknown_column_is_an_error_unless_lenient() {
        let text = format!("{HEADER_EN},备注\n{},临时\n", row(&[]));
        let e = csv(&text).unwrap_err();
        assert_eq!(e.kind, FileErrorKind::UnknownColumn);
        assert_eq!(e.origin, "certificates.csv:1");
        assert_eq!(
            e.message_en,
            "column 16 \"备注\" is not a known column (--lenient ignores it)"
        );

        let f = parse_certificates_csv(text.as_bytes(), "certificates.csv", true).unwrap();
        assert!(f.refused.is_empty());
        assert_eq!(f.rows[0].value, expected_default());
    }

    #[test]
    fn header_problems() {
        let e = csv("").unwrap_err();
        assert_eq!(e.kind, FileErrorKind::MissingHeader);

        // Data where the header should be.
        let e = csv(&format!("{}\n", row(&[]))).unwrap_err();
        assert_eq!(e.kind, FileErrorKind::MissingHeader);

        let header = HEADER_EN.replace("filing_no,", "");
        let e = csv(&format!("{header}\n")).unwrap_err();
        assert_eq!(e.kind, FileErrorKind::MissingColumn);
        assert_eq!(
            e.message_en,
            "required columns missing: filing_no (备案编号)"
        );

        let e = csv(&format!("{HEADER_EN},证书编号\n")).unwrap_err();
        assert_eq!(e.kind, FileErrorKind::DuplicateColumn);
        assert_eq!(
            e.message_en,
            "column 16 \"证书编号\" repeats column 1 \"cert_no\""
        );

        // Optional columns may be missing; English names in any case.
        let header = HEADER_EN
            .replace("cert_type,", "")
            .replace(",batch_id,status", "")
            .to_uppercase();
        assert!(csv(&format!("{header}\n")).unwrap().rows.is_empty());
    }

    #[test]
    fn gbk_file_is_not_utf8() {
        // "姓名" in GBK.
        let mut bytes = b"cert_no,".to_vec();
        bytes.extend_from_slice(&[0xD0, 0xD5, 0xC3, 0xFB]);
        bytes.push(b'\n');
        let e = parse_certificates_csv(bytes.as_slice(), "gbk.csv", false).unwrap_err();
        assert_eq!(e.kind, FileErrorKind::NotUtf8);
        assert_eq!(e.origin, "gbk.csv:1");
    }

    fn sample_inputs() -> Vec<CertificateInput> {
        let a = expected_default();
        let b = CertificateInput {
            cert_no: CertNo::parse("1750002003300123").unwrap(),
            cert_type: CertType::Qualification,
            name: "李, \"小\" 红".into(),
            person_id: PersonId::parse("", &make_id("51108319750918153")).unwrap(),
            occupation_code: OccupationCode::parse("4-10-01-05-01").unwrap(),
            level: Level::Top,
            issue_date: Date::parse("2000-02-29").unwrap(),
            institution_uscc: Uscc::parse(&format!(
                "91500153MA5U0A1B2{}",
                uscc_check_char("91500153MA5U0A1B2").unwrap()
            ))
            .unwrap(),
            batch_id: None,
            status: CertStatus::Reissued,
            ..a.clone()
        };
        let c = CertificateInput {
            cert_no: CertNo::parse("TJ00005000123025100001").unwrap(),
            cert_type: CertType::TopTechnician,
            person_id: PersonId::parse("港澳台居民居住证", "830000199201010019").unwrap(),
            work_type: "电焊".into(),
            level: Level::One,
            status: CertStatus::Revoked,
            ..a.clone()
        };
        let d = CertificateInput {
            person_id: PersonId::parse("居民身份证", "11010519491231002x").unwrap(),
            cert_type: CertType::SpecialAbility,
            level: Level::Five,
            status: CertStatus::Cancelled,
            ..a.clone()
        };
        vec![a, b, c, d]
    }

    #[test]
    fn write_then_parse_round_trips() {
        let inputs = sample_inputs();
        let mut out = Vec::new();
        write_certificates_csv(&mut out, &inputs).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.starts_with(&format!("{HEADER_EN}\n")));
        let f = parse_certificates_csv(out.as_slice(), "roundtrip.csv", false).unwrap();
        assert!(f.refused.is_empty(), "{:?}", f.refused);
        let back: Vec<CertificateInput> = f.rows.into_iter().map(|r| r.value).collect();
        assert_eq!(back, inputs);
    }

    // --- field pairs (network submissions) ---

    #[test]
    fn certificate_from_field_pairs() {
        let pairs = [
            ("status", ""),
            ("cert_no", " S000050001230243000015 "),
            ("name", "王小明"),
            ("id_no", "500153198804123616"),
            ("occupation_code", "6-18-02-04"),
            ("occupation_name", "焊工"),
            ("work_type", "--"),
            ("level", "三级/高级工"),
            ("issue_date", "2024-06-01"),
            ("institution_uscc", "52511083MA6A01231Q"),
            ("institution_name", "重庆市荣昌区安陶职业技能培训学校"),
            ("filing_no", "YC-2024-007"),
            ("batch_id", "PC-2024-0601"),
        ];
        assert_eq!(certificate_from_fields(&pairs).unwrap(), expected_default());

        // Checked in SPEC order: level (9th) before issue_date (10th), whatever the input order.
        let mut bad = pairs;
        bad[7].1 = "9";
        bad[8].1 = "2024-02-30";
        bad.swap(7, 8);
        let e = certificate_from_fields(&bad).unwrap_err();
        assert_eq!(e.column, "level");

        let e = certificate_from_fields(&pairs[1..6]).unwrap_err();
        assert_eq!(e.column, "work_type");
        assert_eq!(e.message_en, "required field work_type is missing or empty");

        let mut extra = pairs.to_vec();
        extra.push(("姓名", "王小明"));
        assert_eq!(
            certificate_from_fields(&extra).unwrap_err().message_en,
            "unknown field 姓名"
        );
        let mut twice = pairs.to_vec();
        twice.push(("name", "王小明"));
        assert_eq!(
            certificate_from_fields(&twice).unwrap_err().message_en,
            "field name appears twice"
        );
    }

    // --- JSON Lines ---

    fn jsonl(text: &str, lenient: bool) -> ImportFile<CertificateInput> {
        parse_certificates_jsonl(text.as_bytes(), "certificates.jsonl", lenient).unwrap()
    }

    const JSON_GOOD: &str = r#"{"cert_no":"S000050001230243000015","cert_type":"SKILL_LEVEL","name":"王小明","id_type":"居民身份证","id_no":"500153198804123616","occupation_code":"6-18-02-04","occupation_name":"焊工","work_type":"--","level":"三级","issue_date":"2024-06-01","institution_uscc":"52511083MA6A01231Q","institution_name":"重庆市荣昌区安陶职业技能培训学校","filing_no":"YC-2024-007","batch_id":"PC-2024-0601","status":"VALID"}"#;

    #[test]
    fn jsonl_happy_path() {
        let minimal = r#"{"cert_no":"S000050001230243000015","name":"王小明","id_no":"500153198804123616","occupation_code":"6-18-02-04","occupation_name":"焊工","work_type":"--","level":3,"issue_date":"2024-06-01","institution_uscc":"52511083MA6A01231Q","institution_name":"重庆市荣昌区安陶职业技能培训学校","filing_no":"YC-2024-007","batch_id":null}"#;
        let text = format!("\u{feff}{JSON_GOOD}\n\n{minimal}\r\n");
        let f = jsonl(&text, false);
        assert!(f.refused.is_empty(), "{:?}", f.refused);
        assert_eq!(f.rows.len(), 2);
        assert_eq!(f.rows[0].line, 1);
        assert_eq!(f.rows[0].value, expected_default());
        assert_eq!(f.rows[1].line, 3);
        assert_eq!(f.rows[1].origin, "certificates.jsonl:3");
        assert_eq!(
            f.rows[1].value,
            CertificateInput {
                batch_id: None,
                ..expected_default()
            }
        );
    }

    #[test]
    fn jsonl_bad_lines() {
        let bad_date = JSON_GOOD.replace("2024-06-01", "2024-06-31");
        let bad_type = JSON_GOOD.replace(r#""name":"王小明""#, r#""name":7"#);
        let level_0 = JSON_GOOD.replace(r#""level":"三级""#, r#""level":0"#);
        let missing = JSON_GOOD.replace(r#""filing_no":"YC-2024-007","#, "");
        let extra = JSON_GOOD.replace(r#""status":"VALID""#, r#""status":"VALID","remark":"x""#);
        let text = [
            JSON_GOOD,   // 1
            "{not json", // 2
            "[1,2]",     // 3
            &bad_date,   // 4
            &bad_type,   // 5
            &level_0,    // 6
            &missing,    // 7
            &extra,      // 8
            JSON_GOOD,   // 9
        ]
        .join("\n");
        let f = jsonl(&text, false);
        assert_eq!(f.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 9]);
        let got: Vec<(u64, &str)> = f
            .refused
            .iter()
            .map(|e| (e.line, e.column.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (2, ""),
                (3, ""),
                (4, "issue_date"),
                (5, "name"),
                (6, "level"),
                (7, "filing_no"),
                (8, "remark"),
            ]
        );
        assert!(
            f.refused[0]
                .message_en
                .starts_with("line is not valid JSON")
        );
        assert_eq!(f.refused[1].message_en, "line is not a JSON object");
        assert_eq!(f.refused[3].message_en, "field name must be a string");
        assert_eq!(f.refused[6].message_en, "unknown field remark");

        // Lenient: the unknown field is ignored.
        let f = jsonl(&extra, true);
        assert!(f.refused.is_empty());
        assert_eq!(f.rows[0].value, expected_default());
    }

    #[test]
    fn jsonl_not_utf8() {
        let mut bytes = JSON_GOOD.as_bytes().to_vec();
        bytes.extend_from_slice(b"\n{\"name\":\"");
        bytes.extend_from_slice(&[0xD0, 0xD5]);
        bytes.extend_from_slice(b"\"}\n");
        let e = parse_certificates_jsonl(bytes.as_slice(), "x.jsonl", false).unwrap_err();
        assert_eq!(e.kind, FileErrorKind::NotUtf8);
        assert_eq!(e.origin, "x.jsonl:2");
    }
}
