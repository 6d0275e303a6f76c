//! The column-spec engine behind every import kind.
//!
//! A kind is a [`Table`]: its columns (English and Chinese names, required or not,
//! replicated free text or not) and a builder that reads typed values out of a row's
//! [`Fields`]. The engine does the rest, the same way for CSV, JSON Lines and network
//! submissions: header mapping, BOM, physical line numbers, field counts, required values,
//! the R16 check on free text, and the choice of the one error a refused row reports, its
//! first bad column (file order for CSV, table order otherwise).

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};

use super::{FieldError, FileError, FileErrorKind, ImportFile, Row, RowError};
use crate::id::IdError;

/// One column of an import kind.
#[derive(Debug)]
pub(crate) struct ColumnSpec {
    /// The English name: CSV header (any ASCII case) and JSON key.
    pub en: &'static str,
    /// The Chinese CSV header.
    pub zh: &'static str,
    pub required: bool,
    /// Free text that is replicated: refused when it carries an ID number fragment (R16).
    /// For a JSON value, every string inside it is checked.
    pub free_text: bool,
}

pub(crate) const fn col(
    en: &'static str,
    zh: &'static str,
    required: bool,
    free_text: bool,
) -> ColumnSpec {
    ColumnSpec {
        en,
        zh,
        required,
        free_text,
    }
}

/// An import kind: its columns and how a row of them becomes a `T`.
pub(crate) struct Table<T> {
    pub columns: &'static [ColumnSpec],
    /// Columns that hold an ID number of the row: free text must not repeat it. Any
    /// `id_no` key nested inside a JSON value counts too.
    pub id_columns: &'static [&'static str],
    /// Reads the row through the accessors of [`Fields`], which record every problem;
    /// returns `None` when something it needs is absent or bad.
    pub build: fn(&mut Fields<'_>) -> Option<T>,
}

/// A finder of a column by a CSV header cell: the English name (any ASCII case) or the
/// Chinese name.
pub(crate) fn column_by_header(columns: &[ColumnSpec], name: &str) -> Option<usize> {
    columns
        .iter()
        .position(|c| c.en.eq_ignore_ascii_case(name) || c.zh == name)
}

/// A finder of a column by a JSON key: the English name.
pub(crate) fn column_by_key(columns: &[ColumnSpec], key: &str) -> Option<usize> {
    columns.iter().position(|c| c.en == key)
}

// ---------------------------------------------------------------------------------------
// Cells and fields

/// One value as the input gave it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cell<'a> {
    /// A CSV cell or a network field: text.
    Text(&'a str),
    /// A JSON value.
    Json(&'a Json),
}

impl<'a> Cell<'a> {
    /// Text, or a JSON string.
    pub(crate) fn as_str(self) -> Option<&'a str> {
        match self {
            Cell::Text(s) => Some(s),
            Cell::Json(Json::String(s)) => Some(s),
            Cell::Json(_) => None,
        }
    }

    fn is_empty(self) -> bool {
        match self {
            Cell::Json(Json::Null) => true,
            c => c.as_str().is_some_and(|s| s.trim().is_empty()),
        }
    }

    /// The trimmed text of a string; with `numbers`, also the text of a JSON number.
    fn text(self, numbers: bool) -> Option<Cow<'a, str>> {
        match (self.as_str(), self) {
            (Some(s), _) => Some(Cow::Borrowed(s.trim())),
            (None, Cell::Json(Json::Number(n))) if numbers => Some(Cow::Owned(n.to_string())),
            (None, _) => None,
        }
    }

    /// Every string inside the value.
    fn strings(self, out: &mut Vec<&'a str>) {
        fn walk<'a>(v: &'a Json, out: &mut Vec<&'a str>) {
            match v {
                Json::String(s) => out.push(s),
                Json::Array(a) => a.iter().for_each(|v| walk(v, out)),
                Json::Object(m) => m.values().for_each(|v| walk(v, out)),
                Json::Null | Json::Bool(_) | Json::Number(_) => {}
            }
        }
        match self {
            Cell::Text(s) => out.push(s),
            Cell::Json(v) => walk(v, out),
        }
    }

    /// The values of `id_no` keys nested anywhere inside a JSON value.
    fn nested_id_numbers(self, out: &mut Vec<String>) {
        fn walk(v: &Json, out: &mut Vec<String>) {
            match v {
                Json::Array(a) => a.iter().for_each(|v| walk(v, out)),
                Json::Object(m) => {
                    for (k, v) in m {
                        match v {
                            Json::String(s) if k == "id_no" => out.push(s.clone()),
                            Json::Number(n) if k == "id_no" => out.push(n.to_string()),
                            _ => walk(v, out),
                        }
                    }
                }
                Json::Null | Json::Bool(_) | Json::Number(_) | Json::String(_) => {}
            }
        }
        if let Cell::Json(v) = self {
            walk(v, out);
        }
    }

    fn to_json(self) -> Json {
        match self {
            Cell::Text(s) => Json::String(s.trim().to_owned()),
            Cell::Json(v) => v.clone(),
        }
    }
}

/// Deserialises a cell: a JSON value, or JSON text in a CSV cell.
pub(crate) fn from_cell<T: DeserializeOwned>(cell: Cell<'_>) -> Result<T, IdError> {
    let r = match cell {
        Cell::Text(s) => serde_json::from_str(s),
        Cell::Json(Json::String(s)) if s.trim_start().starts_with(['[', '{']) => {
            serde_json::from_str(s)
        }
        Cell::Json(v) => T::deserialize(v),
    };
    r.map_err(|e| IdError::new(format!("内容无效：{e}"), format!("not valid: {e}")))
}

struct Slot<'a> {
    /// The column as the input names it (CSV header cell or JSON key).
    label: &'a str,
    /// Position used to pick the first bad column: file column for CSV, table order
    /// otherwise.
    pos: usize,
    cell: Cell<'a>,
}

/// The cells of one row, by column, and the problems found so far.
pub(crate) struct Fields<'a> {
    columns: &'static [ColumnSpec],
    slots: Vec<Option<Slot<'a>>>,
    errors: Vec<(usize, FieldError)>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(columns: &'static [ColumnSpec]) -> Fields<'a> {
        Fields {
            columns,
            slots: columns.iter().map(|_| None).collect(),
            errors: Vec::new(),
        }
    }

    fn put(&mut self, index: usize, label: &'a str, pos: usize, cell: Cell<'a>) {
        self.slots[index] = Some(Slot { label, pos, cell });
    }

    /// A row given as `(English name, value)` pairs. Unknown or repeated names are an
    /// error.
    pub(crate) fn from_pairs(
        columns: &'static [ColumnSpec],
        pairs: &[(&'a str, &'a str)],
    ) -> Result<Fields<'a>, FieldError> {
        let mut f = Fields::new(columns);
        for &(name, value) in pairs {
            let Some(i) = column_by_key(columns, name) else {
                return Err(FieldError::new(
                    name,
                    format!("未知字段 {name}"),
                    format!("unknown field {name}"),
                ));
            };
            if f.slots[i].is_some() {
                return Err(FieldError::new(
                    name,
                    format!("字段 {name} 重复"),
                    format!("field {name} appears twice"),
                ));
            }
            f.put(i, columns[i].en, i, Cell::Text(value));
        }
        Ok(f)
    }

    /// A row given as a JSON object. An unknown key is an error unless `lenient`.
    pub(crate) fn from_json(
        columns: &'static [ColumnSpec],
        object: &'a Map<String, Json>,
        lenient: bool,
    ) -> Result<Fields<'a>, FieldError> {
        let mut f = Fields::new(columns);
        for (key, value) in object {
            match column_by_key(columns, key) {
                Some(i) => f.put(i, columns[i].en, i, Cell::Json(value)),
                None if lenient => {}
                None => {
                    return Err(FieldError::new(
                        key,
                        format!("未知字段 {key}"),
                        format!("unknown field {key}"),
                    ));
                }
            }
        }
        Ok(f)
    }

    /// The row's known, non-empty values as a JSON object with English keys: what a
    /// submission to the node carries.
    pub(crate) fn to_object(&self) -> Map<String, Json> {
        self.columns
            .iter()
            .zip(&self.slots)
            .filter_map(|(c, s)| {
                let s = s.as_ref()?;
                (!s.cell.is_empty()).then(|| (c.en.to_owned(), s.cell.to_json()))
            })
            .collect()
    }

    fn index(&mut self, en: &str) -> Option<usize> {
        let i = self.columns.iter().position(|c| c.en == en);
        if i.is_none() {
            // A table's builder names a column it does not have: a bug, reported not hidden.
            self.errors.push((
                usize::MAX,
                FieldError::new(
                    en,
                    format!("内部错误：未知列 {en}"),
                    format!("internal error: unknown column {en}"),
                ),
            ));
        }
        i
    }

    /// Records a problem with column `i`. Messages are scrubbed of anything that could be
    /// an ID number.
    fn error(&mut self, i: usize, zh: impl AsRef<str>, en: impl AsRef<str>) {
        let (label, pos) = match &self.slots[i] {
            Some(s) => (s.label, s.pos),
            None => (self.columns[i].en, i),
        };
        self.errors.push((
            pos,
            FieldError::new(label, scrub(zh.as_ref()), scrub(en.as_ref())),
        ));
    }

    fn label(&self, i: usize) -> &str {
        self.slots[i]
            .as_ref()
            .map_or(self.columns[i].en, |s| s.label)
    }

    fn id_error(&mut self, i: usize, e: IdError) {
        self.error(i, e.message_zh, e.message_en);
    }

    fn type_error(&mut self, i: usize, zh: &str, en: &str) {
        let label = self.label(i).to_owned();
        self.error(
            i,
            format!("字段 {label} 应为{zh}"),
            format!("field {label} must be {en}"),
        );
    }

    /// The non-empty cell of a column.
    fn value(&mut self, en: &str) -> Option<(usize, Cell<'a>)> {
        let i = self.index(en)?;
        let cell = self.slots[i].as_ref()?.cell;
        (!cell.is_empty()).then_some((i, cell))
    }

    /// Whether the column has a non-empty value.
    pub(crate) fn has(&self, en: &str) -> bool {
        self.columns
            .iter()
            .position(|c| c.en == en)
            .and_then(|i| self.slots[i].as_ref())
            .is_some_and(|s| !s.cell.is_empty())
    }

    /// A text value (a JSON string, not a number), trimmed. `None` when absent or bad.
    pub(crate) fn text(&mut self, en: &str) -> Option<String> {
        let (i, cell) = self.value(en)?;
        match cell.text(false) {
            Some(s) => Some(s.into_owned()),
            None => {
                self.type_error(i, "字符串", "a string");
                None
            }
        }
    }

    /// A value read by `p` from its text (a JSON string or number).
    pub(crate) fn parse<T>(
        &mut self,
        en: &str,
        p: impl FnOnce(&str) -> Result<T, IdError>,
    ) -> Option<T> {
        let (i, cell) = self.value(en)?;
        let Some(s) = cell.text(true) else {
            self.type_error(i, "字符串或数字", "a string or a number");
            return None;
        };
        p(&s).map_err(|e| self.id_error(i, e)).ok()
    }

    /// A list: `;`-separated text, or a JSON array of strings or numbers. Each item is
    /// read by `p`; the first bad item is reported with its position.
    pub(crate) fn list<T>(
        &mut self,
        en: &str,
        mut p: impl FnMut(&str) -> Result<T, IdError>,
    ) -> Option<Vec<T>> {
        let (i, cell) = self.value(en)?;
        let items: Vec<Cow<'_, str>> = if let Some(s) = cell.as_str() {
            split_list(s).map(Cow::Borrowed).collect()
        } else if let Cell::Json(Json::Array(a)) = cell {
            let mut items = Vec::with_capacity(a.len());
            for v in a {
                match Cell::Json(v).text(true) {
                    Some(s) if !s.is_empty() => items.push(s),
                    _ => {
                        self.type_error(i, "字符串数组", "an array of strings");
                        return None;
                    }
                }
            }
            items
        } else {
            self.type_error(
                i,
                "数组或以分号分隔的文本",
                "an array or `;`-separated text",
            );
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for (n, item) in items.iter().enumerate() {
            match p(item) {
                Ok(v) => out.push(v),
                Err(e) => {
                    let n = n + 1;
                    self.error(
                        i,
                        format!("第 {n} 项：{}", e.message_zh),
                        format!("item {n}: {}", e.message_en),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    /// A value read by `p` from the cell as given.
    pub(crate) fn custom<T>(
        &mut self,
        en: &str,
        p: impl FnOnce(Cell<'a>) -> Result<T, IdError>,
    ) -> Option<T> {
        let (i, cell) = self.value(en)?;
        p(cell).map_err(|e| self.id_error(i, e)).ok()
    }

    /// A structured value: JSON (or JSON text in a CSV cell) deserialised as `T`.
    pub(crate) fn json<T: DeserializeOwned>(&mut self, en: &str) -> Option<T> {
        self.custom(en, from_cell)
    }

    /// A yes/no value: JSON `true`/`false`, or `true`/`false`, `1`/`0`, `Y`/`N`, `是`/`否`.
    pub(crate) fn flag(&mut self, en: &str) -> Option<bool> {
        let (i, cell) = self.value(en)?;
        let v = match cell {
            Cell::Json(Json::Bool(b)) => Some(*b),
            c => c
                .text(true)
                .and_then(|s| match s.to_ascii_lowercase().as_str() {
                    "true" | "1" | "y" | "yes" | "是" => Some(true),
                    "false" | "0" | "n" | "no" | "否" => Some(false),
                    _ => None,
                }),
        };
        if v.is_none() {
            self.type_error(i, "是/否（true/false）", "true or false (是/否)");
        }
        v
    }

    /// Records a problem that involves more than one field, under column `en`.
    pub(crate) fn fail(&mut self, en: &str, zh: impl AsRef<str>, en_msg: impl AsRef<str>) {
        if let Some(i) = self.index(en) {
            self.error(i, zh, en_msg);
        }
    }
}

/// The items of `;`-separated text (full-width `；` too), trimmed, empty ones dropped.
pub(crate) fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split([';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Validates one row: required values present, no ID fragment in free text (R16), then
/// the table's builder. Returns the value, or the problem at the smallest position.
pub(crate) fn validate<T>(table: &Table<T>, f: &mut Fields<'_>) -> Result<T, FieldError> {
    let mut own: Vec<String> = Vec::new();
    for (c, slot) in table.columns.iter().zip(&f.slots) {
        let Some(slot) = slot else { continue };
        if table.id_columns.contains(&c.en) {
            if let Some(t) = slot.cell.text(true) {
                own.push(t.into_owned());
            }
        }
        slot.cell.nested_id_numbers(&mut own);
    }
    for i in 0..table.columns.len() {
        let c = &table.columns[i];
        let cell = f.slots[i]
            .as_ref()
            .map(|s| s.cell)
            .filter(|c| !c.is_empty());
        let Some(cell) = cell else {
            if c.required {
                let label = f.label(i).to_owned();
                f.error(
                    i,
                    format!("必填字段 {label} 缺失或为空"),
                    format!("required field {label} is missing or empty"),
                );
            }
            continue;
        };
        if c.free_text {
            let mut strings = Vec::new();
            cell.strings(&mut strings);
            let leaks = strings.iter().any(|s| {
                contains_id_fragment(s, "") || own.iter().any(|id| contains_id_fragment(s, id))
            });
            if leaks {
                let label = f.label(i).to_owned();
                f.error(
                    i,
                    format!("字段 {label} 含有证件号码片段，不得上报"),
                    format!("field {label} contains an ID number fragment; refused"),
                );
            }
        }
    }
    let value = (table.build)(f);
    // The first minimum: problems at one position are reported in the order found.
    if let Some((_, e)) = std::mem::take(&mut f.errors)
        .into_iter()
        .min_by_key(|(pos, _)| *pos)
    {
        return Err(e);
    }
    value.ok_or_else(|| {
        FieldError::new(
            "",
            "内部错误：该行未能转换",
            "internal error: the row could not be converted",
        )
    })
}

/// SPEC R16 at import: a replicated free-text value must not carry the row's own ID number,
/// nor anything shaped like an ID number: 15 or more consecutive digits (a 15-digit
/// first-generation number, or most of an 18-digit one), or 14 or more digits followed by
/// `X`. Full-width digits count as digits.
pub(crate) fn contains_id_fragment(text: &str, id_no: &str) -> bool {
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

/// Masks, in a message, every run of letters and digits that holds 10 or more digits: a
/// parser's message may quote its input, and that input may be an ID number in the wrong
/// column.
fn scrub(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().filter(char::is_ascii_digit).count() >= 10 {
            out.push_str("***");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in message.chars() {
        if c.is_ascii_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

// ---------------------------------------------------------------------------------------
// Enumerations

/// The codes of an enumeration as input accepts them: the serde code (any ASCII case) or a
/// Chinese label. A code may appear more than once, with different labels.
pub(crate) struct EnumSpec {
    pub what_zh: &'static str,
    pub what_en: &'static str,
    /// `(code, Chinese label)`.
    pub codes: &'static [(&'static str, &'static str)],
    /// `(code, serde name)` where the two differ.
    pub serde_names: &'static [(&'static str, &'static str)],
}

impl EnumSpec {
    pub(crate) fn parse<T: DeserializeOwned>(&self, s: &str) -> Result<T, IdError> {
        let s = s.trim();
        self.codes
            .iter()
            .find(|(code, zh)| code.eq_ignore_ascii_case(s) || *zh == s)
            .and_then(|(code, _)| {
                let name = self
                    .serde_names
                    .iter()
                    .find(|(c, _)| c == code)
                    .map_or(*code, |(_, n)| *n);
                serde_json::from_value(Json::String(name.to_owned())).ok()
            })
            .ok_or_else(|| self.error(s))
    }

    fn error(&self, v: &str) -> IdError {
        let mut zh: Vec<String> = Vec::new();
        let mut en: Vec<&str> = Vec::new();
        for (code, label) in self.codes {
            if !en.contains(code) {
                en.push(code);
                zh.push(format!("{code}/{label}"));
            }
        }
        IdError::new(
            format!("{} \"{v}\" 无效，应为 {} 之一", self.what_zh, zh.join("、")),
            format!(
                "{} \"{v}\" is not valid; expected one of {} (or the Chinese label)",
                self.what_en,
                en.join(", ")
            ),
        )
    }
}

// ---------------------------------------------------------------------------------------
// CSV

/// A CSV file read into memory: its header and its non-blank rows with their physical
/// line numbers. Cells are trimmed; a BOM is dropped.
pub(crate) struct CsvText {
    pub header_line: u64,
    pub header: Vec<String>,
    pub rows: Vec<(u64, Vec<String>)>,
}

/// Reads a whole CSV file (UTF-8, with or without BOM). Lines whose cells are all empty
/// are skipped.
pub(crate) fn read_csv(bytes: &[u8], source: &str) -> Result<CsvText, FileError> {
    let mut cursor = CsvCursor::default();
    let (header_line, header) = cursor.header(bytes, source)?;
    let rows = cursor.rows(bytes, source, usize::MAX)?;
    Ok(CsvText {
        header_line,
        header,
        rows,
    })
}

/// How far a CSV file held in memory has been read: the byte offset of the next record,
/// and the physical line reached (so rows can be read a batch at a time with exact line
/// numbers).
#[derive(Debug, Clone)]
pub(crate) struct CsvCursor {
    next: usize,
    lines: LineCount,
}

impl Default for CsvCursor {
    fn default() -> Self {
        CsvCursor {
            next: 0,
            lines: LineCount { offset: 0, line: 1 },
        }
    }
}

impl CsvCursor {
    /// The first record: the header row, with its line.
    pub(crate) fn header(
        &mut self,
        bytes: &[u8],
        source: &str,
    ) -> Result<(u64, Vec<String>), FileError> {
        self.read(bytes, source, 1, false)?.pop().ok_or_else(|| {
            FileError::new(
                FileErrorKind::MissingHeader,
                source.to_owned(),
                "文件为空，缺少表头行",
                "file is empty; a header row is required",
            )
        })
    }

    /// Up to `max` more rows whose cells are not all empty, with their lines; none at the
    /// end of the file.
    pub(crate) fn rows(
        &mut self,
        bytes: &[u8],
        source: &str,
        max: usize,
    ) -> Result<Vec<(u64, Vec<String>)>, FileError> {
        self.read(bytes, source, max, true)
    }

    fn read(
        &mut self,
        bytes: &[u8],
        source: &str,
        max: usize,
        skip_blank: bool,
    ) -> Result<Vec<(u64, Vec<String>)>, FileError> {
        let base = self.next.min(bytes.len());
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&bytes[base..]);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while out.len() < max {
            let more = rdr
                .read_byte_record(&mut record)
                .map_err(|e| FileError::unreadable(source, &e))?;
            if !more {
                break;
            }
            let line = self.lines.line_of(bytes, base, &record);
            let cells = utf8_cells(&record, source, line)?;
            if skip_blank && cells.iter().all(|c| c.is_empty()) {
                continue;
            }
            out.push((line, cells));
        }
        // The reader's position is where the next record starts.
        self.next = base + usize::try_from(rdr.position().byte()).unwrap_or(bytes.len());
        Ok(out)
    }
}

/// Validates every row of a CSV file against `table`; `keep` turns an accepted row into
/// what the caller wants.
pub(crate) fn csv_rows<T, U>(
    table: &Table<T>,
    csv: &CsvText,
    source: &str,
    lenient: bool,
    mut keep: impl FnMut(T, &Fields<'_>) -> U,
) -> Result<ImportFile<U>, FileError> {
    let mapping = header_columns(table.columns, &csv.header, source, csv.header_line, lenient)?;
    let mut out = ImportFile {
        rows: Vec::new(),
        refused: Vec::new(),
    };
    for (line, cells) in &csv.rows {
        out.add(csv_row(
            table,
            &csv.header,
            &mapping,
            source,
            *line,
            cells,
            &mut keep,
        ));
    }
    Ok(out)
}

/// Validates one CSV row against `table`, its cells placed by `mapping` (from
/// [`header_columns`]).
pub(crate) fn csv_row<T, U>(
    table: &Table<T>,
    header: &[String],
    mapping: &[Option<usize>],
    source: &str,
    line: u64,
    cells: &[String],
    keep: &mut impl FnMut(T, &Fields<'_>) -> U,
) -> Result<Row<U>, RowError> {
    if cells.len() != header.len() {
        return Err(FieldError::new(
            "",
            format!("该行有 {} 个字段，表头有 {} 列", cells.len(), header.len()),
            format!(
                "row has {} fields, the header has {}",
                cells.len(),
                header.len()
            ),
        )
        .into_row_error(source, line));
    }
    let mut f = Fields::new(table.columns);
    for (pos, (column, value)) in mapping.iter().zip(cells).enumerate() {
        if let Some(i) = column {
            f.put(*i, &header[pos], pos, Cell::Text(value));
        }
    }
    match validate(table, &mut f) {
        Ok(v) => Ok(Row {
            line,
            origin: format!("{source}:{line}"),
            value: keep(v, &f),
        }),
        Err(e) => Err(e.into_row_error(source, line)),
    }
}

/// Physical line numbers of records. The csv reader's own `Position::line` counts from
/// where it started looking, which is before any blank lines it skipped; this counts from
/// the record's first byte.
#[derive(Debug, Clone)]
struct LineCount {
    /// Byte offset up to which newlines have been counted, and the line there.
    offset: usize,
    line: u64,
}

impl LineCount {
    /// The line of `record`, read by a reader that started at byte `base` of `bytes`.
    /// Records come in file order, so the count only moves forward.
    fn line_of(&mut self, bytes: &[u8], base: usize, record: &csv::ByteRecord) -> u64 {
        let start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .map_or(self.offset, |b| base + b)
            .clamp(self.offset, bytes.len());
        let first = bytes[start..]
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .map_or(bytes.len(), |i| start + i);
        let newlines = bytes[self.offset..first]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += newlines as u64;
        self.offset = first;
        self.line
    }
}

/// The line (from 1) of the first byte of `bytes` that is not UTF-8, if any.
pub(crate) fn first_non_utf8_line(bytes: &[u8]) -> Option<u64> {
    let valid = std::str::from_utf8(bytes).err()?.valid_up_to();
    Some(1 + bytes[..valid].iter().filter(|&&b| b == b'\n').count() as u64)
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

/// Maps header cells to column indexes; `None` for an ignored unknown column.
pub(crate) fn header_columns(
    columns: &[ColumnSpec],
    header: &[String],
    source: &str,
    line: u64,
    lenient: bool,
) -> Result<Vec<Option<usize>>, FileError> {
    let origin = format!("{source}:{line}");
    let mapped: Vec<Option<usize>> = header
        .iter()
        .map(|h| column_by_header(columns, h))
        .collect();
    if mapped.iter().all(Option::is_none) {
        let (en, zh) = columns.first().map_or(("?", "?"), |c| (c.en, c.zh));
        return Err(FileError::new(
            FileErrorKind::MissingHeader,
            origin,
            format!("首行不是表头：没有可识别的列名（需要 {en} 或 {zh} 等）"),
            format!("the first line is not a header row: no known column names ({en}, {zh}, …)"),
        ));
    }
    if !lenient {
        if let Some((i, h)) = header
            .iter()
            .enumerate()
            .find(|(i, _)| mapped[*i].is_none())
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
    for (i, c) in mapped.iter().enumerate() {
        let Some(c) = c else { continue };
        if let Some(j) = mapped[..i].iter().position(|o| *o == Some(*c)) {
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
    let missing = missing_required(columns, &mapped);
    if !missing.is_empty() {
        let list = missing.join(", ");
        return Err(FileError::new(
            FileErrorKind::MissingColumn,
            origin,
            format!("缺少必填列：{list}"),
            format!("required columns missing: {list}"),
        ));
    }
    Ok(mapped)
}

/// The required columns absent from `mapped`, as `en (zh)`.
pub(crate) fn missing_required(columns: &[ColumnSpec], mapped: &[Option<usize>]) -> Vec<String> {
    columns
        .iter()
        .enumerate()
        .filter(|(i, c)| c.required && !mapped.contains(&Some(*i)))
        .map(|(_, c)| format!("{} ({})", c.en, c.zh))
        .collect()
}

// ---------------------------------------------------------------------------------------
// JSON Lines

/// The non-blank lines of a JSON Lines file with their line numbers, trimmed, BOM
/// dropped.
pub(crate) fn jsonl_lines<'a>(
    bytes: &'a [u8],
    source: &str,
) -> Result<Vec<(u64, &'a str)>, FileError> {
    let mut cursor = JsonlCursor::default();
    let mut out = Vec::new();
    while let Some(line) = cursor.next_line(bytes, source)? {
        out.push(line);
    }
    Ok(out)
}

/// How far a JSON Lines file held in memory has been read.
#[derive(Debug, Clone)]
pub(crate) struct JsonlCursor {
    next: usize,
    line: u64,
}

impl Default for JsonlCursor {
    fn default() -> Self {
        JsonlCursor { next: 0, line: 1 }
    }
}

impl JsonlCursor {
    /// The next non-blank line with its number, trimmed, BOM dropped; `None` at the end.
    pub(crate) fn next_line<'a>(
        &mut self,
        bytes: &'a [u8],
        source: &str,
    ) -> Result<Option<(u64, &'a str)>, FileError> {
        while self.next < bytes.len() {
            let rest = &bytes[self.next..];
            let len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let line = self.line;
            self.next += len + 1;
            self.line += 1;
            let text =
                std::str::from_utf8(&rest[..len]).map_err(|_| FileError::not_utf8(source, line))?;
            let text = text.trim_start_matches('\u{feff}').trim();
            if !text.is_empty() {
                return Ok(Some((line, text)));
            }
        }
        Ok(None)
    }
}

/// One line of JSON Lines as an object.
pub(crate) fn object_of(text: &str) -> Result<Map<String, Json>, FieldError> {
    match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(m)) => Ok(m),
        Ok(_) => Err(FieldError::new(
            "",
            "该行不是 JSON 对象",
            "line is not a JSON object",
        )),
        // serde_json's message names a position, never the input.
        Err(e) => Err(FieldError::new(
            "",
            format!("该行不是有效的 JSON：{e}"),
            format!("line is not valid JSON: {e}"),
        )),
    }
}

/// Validates every line of a JSON Lines file against `table`.
pub(crate) fn jsonl_rows<T, U>(
    table: &Table<T>,
    lines: &[(u64, &str)],
    source: &str,
    lenient: bool,
    mut keep: impl FnMut(T, &Fields<'_>) -> U,
) -> ImportFile<U> {
    let mut out = ImportFile {
        rows: Vec::new(),
        refused: Vec::new(),
    };
    for &(line, text) in lines {
        out.add(jsonl_row(table, source, lenient, line, text, &mut keep));
    }
    out
}

/// Validates one line of a JSON Lines file against `table`.
pub(crate) fn jsonl_row<T, U>(
    table: &Table<T>,
    source: &str,
    lenient: bool,
    line: u64,
    text: &str,
    keep: &mut impl FnMut(T, &Fields<'_>) -> U,
) -> Result<Row<U>, RowError> {
    let value = object_of(text)
        .and_then(|object| {
            let mut f = Fields::from_json(table.columns, &object, lenient)?;
            let v = validate(table, &mut f)?;
            Ok(keep(v, &f))
        })
        .map_err(|e| e.into_row_error(source, line))?;
    Ok(Row {
        line,
        origin: format!("{source}:{line}"),
        value,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
    fn scrub_masks_long_digit_runs_only() {
        assert_eq!(
            scrub("occupation code \"500153198804123616\" bad"),
            "occupation code \"***\" bad"
        );
        assert_eq!(
            scrub("invalid type: integer `5001531988`"),
            "invalid type: integer `***`"
        );
        assert_eq!(
            scrub("date 2024-13-01, county 500153, expected 6"),
            "date 2024-13-01, county 500153, expected 6"
        );
    }

    #[test]
    fn enum_spec_accepts_codes_in_any_case_and_labels() {
        const SPEC: EnumSpec = EnumSpec {
            what_zh: "证书状态",
            what_en: "certificate status",
            codes: &[("VALID", "有效"), ("REVOKED", "撤销"), ("REVOKED", "吊销")],
            serde_names: &[],
        };
        use crate::record::CertStatus;
        assert_eq!(
            SPEC.parse::<CertStatus>("valid").unwrap(),
            CertStatus::Valid
        );
        assert_eq!(
            SPEC.parse::<CertStatus>("吊销").unwrap(),
            CertStatus::Revoked
        );
        let e = SPEC.parse::<CertStatus>("GONE").unwrap_err();
        assert_eq!(
            e.message_en,
            "certificate status \"GONE\" is not valid; expected one of VALID, REVOKED (or the Chinese label)"
        );
        assert_eq!(
            e.message_zh,
            "证书状态 \"GONE\" 无效，应为 VALID/有效、REVOKED/撤销 之一"
        );
    }
}
