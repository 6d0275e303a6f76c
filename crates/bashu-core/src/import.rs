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
    spec(CertColumn::OccupationCode, "occupation_code", "职业编码", true, false),
    spec(CertColumn::OccupationName, "occupation_name", "职业名称", true, true),
    spec(CertColumn::WorkType, "work_type", "工种/职业方向", true, true),
    spec(CertColumn::Level, "level", "等级", true, false),
    spec(CertColumn::IssueDate, "issue_date", "发证日期", true, false),
    spec(CertColumn::InstitutionUscc, "institution_uscc", "评价机构统一社会信用代码", true, false),
    spec(CertColumn::InstitutionName, "institution_name", "评价机构名称", true, true),
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

/// Why a row was refused, before it gets its origin.
#[derive(Debug)]
struct FieldError {
    column: String,
    message_zh: String,
    message_en: String,
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

/// Checks the fields in the order given (the file's column order) and stops at the first
/// bad one.
fn certificate_from_fields(fields: &[Field<'_>]) -> Result<CertificateInput, FieldError> {
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
                '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0'))
                    .unwrap_or(c),
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
/// empty are skipped.
pub fn parse_certificates_csv<R: Read>(
    reader: R,
    source: &str,
    lenient: bool,
) -> Result<ImportFile<CertificateInput>, FileError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let read = |rdr: &mut csv::Reader<R>, record: &mut csv::ByteRecord| {
        rdr.read_byte_record(record)
            .map_err(|e| FileError::unreadable(source, &e))
    };

    if !read(&mut rdr, &mut record)? {
        return Err(FileError::new(
            FileErrorKind::MissingHeader,
            source.to_owned(),
            "文件为空，缺少表头行",
            "file is empty; a header row is required",
        ));
    }
    let header_line = line_of(&record);
    let header = utf8_cells(&record, source, header_line)?;
    let columns = header_columns(&header, source, header_line, lenient)?;

    let mut out = ImportFile {
        rows: Vec::new(),
        refused: Vec::new(),
    };
    while read(&mut rdr, &mut record)? {
        let line = line_of(&record);
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
            .filter_map(|((spec, label), value)| {
                spec.map(|spec| Field {
                    spec,
                    label,
                    value,
                })
            })
            .collect();
        match certificate_from_fields(&fields) {
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

fn line_of(record: &csv::ByteRecord) -> u64 {
    record.position().map_or(0, csv::Position::line)
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
        .filter(|s| s.required && !columns.iter().any(|c| c.is_some_and(|c| c.column == s.column)))
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
    let mut values: Vec<(&'static ColumnSpec, String)> = Vec::with_capacity(CERT_COLUMNS.len());
    for spec in &CERT_COLUMNS {
        let value = match object.get(spec.en) {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.trim().to_owned(),
            Some(serde_json::Value::Number(n)) if spec.column == CertColumn::Level => n.to_string(),
            Some(_) => {
                let (key, also) = if spec.column == CertColumn::Level {
                    (spec.en, "或数字")
                } else {
                    (spec.en, "")
                };
                let also_en = if also.is_empty() { "" } else { " or a number" };
                return Err(FieldError::new(
                    key,
                    format!("字段 {key} 应为字符串{also}"),
                    format!("field {key} must be a string{also_en}"),
                ));
            }
        };
        values.push((spec, value));
    }
    let fields: Vec<Field<'_>> = values
        .iter()
        .map(|(spec, value)| Field {
            spec,
            label: spec.en,
            value,
        })
        .collect();
    certificate_from_fields(&fields)
}
