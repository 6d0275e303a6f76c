//! `certificates.csv` (SPEC §4) and its JSON Lines twin, on the column-spec engine.

use std::io::{self, BufRead, Read, Write};

use super::engine::{self, ColumnSpec, EnumSpec, Fields, Table, col};
use super::{FieldError, FileError, ImportFile};
use crate::date::Date;
use crate::id::{CertNo, Level, OccupationCode, PersonId, Uscc};
use crate::record::{CertStatus, CertType, CertificateInput};

/// SPEC §4 `certificates.csv`, in SPEC order (also the order `write_certificates_csv` uses).
pub(crate) const CERT_COLUMNS: [ColumnSpec; 15] = [
    col("cert_no", "证书编号", true, false),
    col("cert_type", "证书类型", false, false),
    col("name", "姓名", true, true),
    col("id_type", "证件类型", false, false),
    col("id_no", "证件号码", true, false),
    col("occupation_code", "职业编码", true, false),
    col("occupation_name", "职业名称", true, true),
    col("work_type", "工种/职业方向", true, true),
    col("level", "等级", true, false),
    col("issue_date", "发证日期", true, false),
    col("institution_uscc", "评价机构统一社会信用代码", true, false),
    col("institution_name", "评价机构名称", true, true),
    col("filing_no", "备案编号", true, true),
    col("batch_id", "认定批次", false, true),
    col("status", "状态", false, false),
];

pub(crate) const CERT_TYPES: EnumSpec = EnumSpec {
    what_zh: "证书类型",
    what_en: "certificate type",
    codes: &[
        ("SKILL_LEVEL", "职业技能等级证书"),
        ("QUALIFICATION", "职业资格证书"),
        ("SPECIAL_ABILITY", "专项职业能力证书"),
        ("TOP_TECHNICIAN", "特级技师证书"),
    ],
    serde_names: &[],
};

pub(crate) const CERT_STATUSES: EnumSpec = EnumSpec {
    what_zh: "证书状态",
    what_en: "certificate status",
    codes: &[
        ("VALID", "有效"),
        ("REVOKED", "撤销"),
        ("CANCELLED", "注销"),
        ("REISSUED", "补发"),
    ],
    serde_names: &[],
};

pub(crate) const CERTIFICATES: Table<CertificateInput> = Table {
    columns: &CERT_COLUMNS,
    id_columns: &["id_no"],
    build: build_certificate,
};

/// Reads one certificate. An absent or empty optional field takes its default (SPEC §4).
pub(crate) fn build_certificate(f: &mut Fields<'_>) -> Option<CertificateInput> {
    let cert_no = f.parse("cert_no", CertNo::parse);
    let cert_type = f.parse("cert_type", |v| CERT_TYPES.parse(v));
    let name = f.text("name");
    // Checked together with the number, under the number's column, whatever the order.
    let id_type = f.text("id_type").unwrap_or_default();
    let person_id = f.parse("id_no", |v| PersonId::parse(&id_type, v));
    let occupation_code = f.parse("occupation_code", OccupationCode::parse);
    let occupation_name = f.text("occupation_name");
    let work_type = f.text("work_type");
    let level = f.parse("level", Level::parse);
    let issue_date = f.parse("issue_date", Date::parse);
    let institution_uscc = f.parse("institution_uscc", Uscc::parse);
    let institution_name = f.text("institution_name");
    let filing_no = f.text("filing_no");
    let batch_id = f.text("batch_id");
    let status = f.parse("status", |v| CERT_STATUSES.parse(v));
    Some(CertificateInput {
        cert_no: cert_no?,
        cert_type: cert_type.unwrap_or(CertType::SkillLevel),
        name: name?,
        person_id: person_id?,
        occupation_code: occupation_code?,
        occupation_name: occupation_name?,
        work_type: work_type?,
        level: level?,
        issue_date: issue_date?,
        institution_uscc: institution_uscc?,
        institution_name: institution_name?,
        filing_no: filing_no?,
        batch_id,
        status: status.unwrap_or(CertStatus::Valid),
    })
}

/// Validates one certificate given as `(English field name, value)` pairs, as a submission
/// over the network carries them. Values are trimmed; an absent or empty optional field takes
/// its default (SPEC §4). Fields are checked in SPEC column order and the first bad one is
/// reported. An unknown or repeated field name refuses the certificate.
pub fn certificate_from_fields(fields: &[(&str, &str)]) -> Result<CertificateInput, FieldError> {
    let mut f = Fields::from_pairs(&CERT_COLUMNS, fields)?;
    engine::validate(&CERTIFICATES, &mut f)
}

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
    let csv = engine::read_csv(&bytes, source)?;
    engine::csv_rows(&CERTIFICATES, &csv, source, lenient, |v, _| v)
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

/// Reads certificates as JSON Lines: one object per line, English field names, string
/// values (`level` and other parsed fields may also be numbers; `null` counts as absent).
/// Blank lines are skipped. An unknown field refuses its row unless `lenient`.
pub fn parse_certificates_jsonl<R: BufRead>(
    mut reader: R,
    source: &str,
    lenient: bool,
) -> Result<ImportFile<CertificateInput>, FileError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::unreadable(source, &e))?;
    let lines = engine::jsonl_lines(&bytes, source)?;
    Ok(engine::jsonl_rows(
        &CERTIFICATES,
        &lines,
        source,
        lenient,
        |v, _| v,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::id::{id_check_char, uscc_check_char};
    use crate::import::{FileError, FileErrorKind, ImportFile};

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
