//! Checked identifiers (SPEC §1). Parse, don't validate: a value of one of these types has
//! passed its format and check-digit rules.
//!
//! Identifier parsers ignore surrounding whitespace. ID numbers never appear in error
//! messages, and `Debug` of [`IdNumber`] and [`PersonId`] prints only the canonical mask.

use std::fmt;

use crate::date::Date;

/// A rejected identifier, with the reason in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message_zh} / {message_en}")]
pub struct IdError {
    pub message_zh: String,
    pub message_en: String,
}

impl IdError {
    pub fn new(message_zh: impl Into<String>, message_en: impl Into<String>) -> IdError {
        IdError {
            message_zh: message_zh.into(),
            message_en: message_en.into(),
        }
    }
}

fn all_ascii_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

fn char_count(s: &str) -> usize {
    s.chars().count()
}

// ---------------------------------------------------------------------------------------
// County code

/// 行政区划代码 (GB/T 2260): six digits; the first two name the province.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct CountyCode(String);

impl CountyCode {
    pub fn parse(s: &str) -> Result<CountyCode, IdError> {
        let s = s.trim();
        if s.len() != 6 || !all_ascii_digits(s) {
            return Err(IdError::new(
                format!("行政区划代码应为 6 位数字，实为 \"{s}\""),
                format!("county code must be 6 digits, found \"{s}\""),
            ));
        }
        Ok(CountyCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-digit province prefix (`50` 重庆, `51` 四川).
    pub fn province_code(&self) -> &str {
        &self.0[..2]
    }

    /// 重庆 for 50, 四川 for 51; other provinces are outside the alliance's region.
    pub fn province_name_zh(&self) -> Option<&'static str> {
        match self.province_code() {
            "50" => Some("重庆"),
            "51" => Some("四川"),
            _ => None,
        }
    }
}

impl fmt::Display for CountyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------
// Certificate number

/// Which numbering scheme a certificate number follows.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum CertNoKind {
    /// 2020+ 职业技能等级证书: `^[YS]\d{21}$`.
    Current,
    /// Pre-2020 职业资格证书: `^\d{16}$`.
    Legacy,
    /// 特级技师证书: two capital letters and 20 digits.
    TopTechnician,
    /// Anything else. Kept at import; rule R1 puts the certificate up for manual review.
    Unknown,
}

/// 证书编号. Any non-empty string is accepted; [`CertNo::kind`] says which scheme it follows
/// and the segment accessors answer only for the schemes that define the segment.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct CertNo {
    raw: String,
    kind: CertNoKind,
}

impl CertNo {
    /// Fails only on an empty (or all-whitespace) string.
    pub fn parse(s: &str) -> Result<CertNo, IdError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(IdError::new("证书编号为空", "certificate number is empty"));
        }
        let b = s.as_bytes();
        let kind = if b.len() == 22 && matches!(b[0], b'Y' | b'S') && all_ascii_digits(&s[1..]) {
            CertNoKind::Current
        } else if b.len() == 16 && all_ascii_digits(s) {
            CertNoKind::Legacy
        } else if b.len() == 22
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && all_ascii_digits(&s[2..])
        {
            CertNoKind::TopTechnician
        } else {
            CertNoKind::Unknown
        };
        Ok(CertNo {
            raw: s.to_owned(),
            kind,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn kind(&self) -> CertNoKind {
        self.kind
    }

    /// A segment of a current-scheme number (byte range; the number is ASCII).
    fn current(&self, r: std::ops::Range<usize>) -> Option<&str> {
        (self.kind == CertNoKind::Current).then(|| &self.raw[r])
    }

    /// A segment of a legacy 16-digit number.
    fn legacy(&self, r: std::ops::Range<usize>) -> Option<&str> {
        (self.kind == CertNoKind::Legacy).then(|| &self.raw[r])
    }

    fn digit_at(&self, i: usize) -> Option<u32> {
        self.raw.as_bytes().get(i).map(|b| u32::from(b - b'0'))
    }

    /// The level digit as written: position 16 of a current number, position 11 of a legacy
    /// one. It may be outside 1..=5; rule R1 judges it.
    pub fn level_digit(&self) -> Option<u32> {
        match self.kind {
            CertNoKind::Current => self.digit_at(15),
            CertNoKind::Legacy => self.digit_at(10),
            CertNoKind::TopTechnician | CertNoKind::Unknown => None,
        }
    }

    /// The level the number implies: from the level digit, or 特级技师 for that scheme.
    /// `None` for unknown patterns and for a level digit outside 1..=5.
    pub fn implied_level(&self) -> Option<Level> {
        match self.kind {
            CertNoKind::TopTechnician => Some(Level::Top),
            _ => self
                .level_digit()
                .filter(|d| (1..=5).contains(d))
                .and_then(Level::from_digit),
        }
    }

    /// Two-digit issue year: positions 14–15 of a current number, 1–2 of a legacy one.
    pub fn year2(&self) -> Option<u32> {
        let s = self.current(13..15).or_else(|| self.legacy(0..2))?;
        s.parse().ok()
    }

    /// `Y` 用人单位 or `S` 社会培训评价组织 (current numbers only).
    pub fn issuer_kind(&self) -> Option<char> {
        self.current(0..1).and_then(|s| s.chars().next())
    }

    /// The 4-digit institution code, `0000` when filed with a province (current numbers).
    pub fn institution_code(&self) -> Option<&str> {
        self.current(1..5)
    }

    /// The 2-digit province: positions 6–7 of a current number, 3–4 of a legacy one.
    pub fn province2(&self) -> Option<&str> {
        self.current(5..7).or_else(|| self.legacy(2..4))
    }

    /// The 6-digit 评价机构(站点)序列码 (current numbers).
    pub fn site_serial(&self) -> Option<&str> {
        self.current(7..13)
    }

    /// The certificate serial: the last 6 digits of a current number, the last 5 of a
    /// legacy one.
    pub fn serial(&self) -> Option<&str> {
        self.current(16..22).or_else(|| self.legacy(11..16))
    }
}

impl fmt::Display for CertNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

// ---------------------------------------------------------------------------------------
// ID number

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [u8; 11] = *b"10X98765432";

/// The GB 11643 MOD 11-2 check character of the first 17 digits.
/// `None` unless `first17` is exactly 17 ASCII digits.
pub fn id_check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !all_ascii_digits(first17) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(char::from(ID_CHECK[(sum % 11) as usize]))
}

/// 居民身份证号码: 18 characters, GB 11643 check digit, a real birth date. A lower-case `x`
/// is normalised to `X`. The address prefix is deliberately not checked against any county
/// (pre-1997 Chongqing numbers start with 51).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdNumber {
    number: String,
    birth: Date,
}

impl IdNumber {
    pub fn parse(s: &str) -> Result<IdNumber, IdError> {
        let s = s.trim();
        let n = char_count(s);
        if n != 18 {
            return Err(IdError::new(
                format!("身份证号应为 18 位，实为 {n} 位"),
                format!("ID number must have 18 characters, found {n}"),
            ));
        }
        if let Some((i, _)) = s.char_indices().take(17).find(|(_, c)| !c.is_ascii_digit()) {
            let pos = i + 1;
            return Err(IdError::new(
                format!("身份证号第 {pos} 位应为数字"),
                format!("ID number character {pos} must be a digit"),
            ));
        }
        // The first 17 characters are ASCII, so byte 17 starts the last character.
        let last = s[17..].chars().next().unwrap_or(' ').to_ascii_uppercase();
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(IdError::new(
                "身份证号第 18 位应为数字或 X",
                "ID number character 18 must be a digit or X",
            ));
        }
        let birth = Date::parse(&format!("{}-{}-{}", &s[6..10], &s[10..12], &s[12..14]))
            // The message does not repeat the digits: they are part of the number.
            .map_err(|_| {
                IdError::new(
                    "身份证号中的出生日期（第 7–14 位）不是有效日期",
                    "ID number birth date (characters 7-14) is not a valid date",
                )
            })?;
        let expected = id_check_char(&s[..17]).unwrap_or('?');
        if expected != last {
            return Err(IdError::new(
                format!("身份证号校验位错误：应为 {expected}，实为 {last}"),
                format!("ID number check digit wrong: expected {expected}, found {last}"),
            ));
        }
        let mut number = s[..17].to_owned();
        number.push(last);
        Ok(IdNumber { number, birth })
    }

    /// The normalised number (upper-case `X`).
    pub fn as_str(&self) -> &str {
        &self.number
    }

    pub fn birth_date(&self) -> Date {
        self.birth
    }

    /// The canonical mask: first 4 + 10 `*` + last 4, e.g. `5001**********3616`.
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.number[..4], &self.number[14..])
    }
}

/// The full number: for the home node's own files only. Never log it.
impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.number)
    }
}

/// Masked, so that a stray `{:?}` cannot leak the number.
impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

// ---------------------------------------------------------------------------------------
// Person identity document

/// The label of the resident identity card, as stored and hashed.
pub const RESIDENT_ID_LABEL: &str = "居民身份证";

/// An identity document: a checked resident ID number, or another document type (护照,
/// 港澳台居民居住证, …) whose number is only required to be non-empty.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PersonId {
    Resident(IdNumber),
    /// `number` is trimmed, with ASCII letters upper-cased.
    Other {
        id_type: String,
        number: String,
    },
}

impl PersonId {
    /// `id_type` empty, `居民身份证` or `RESIDENT_ID` means a resident ID card.
    pub fn parse(id_type: &str, number: &str) -> Result<PersonId, IdError> {
        let id_type = id_type.trim();
        if id_type.is_empty() || id_type == RESIDENT_ID_LABEL || id_type == "RESIDENT_ID" {
            return IdNumber::parse(number).map(PersonId::Resident);
        }
        let number = number.trim();
        if number.is_empty() {
            return Err(IdError::new(
                format!("{id_type}号码为空"),
                format!("{id_type} number is empty"),
            ));
        }
        Ok(PersonId::Other {
            id_type: id_type.to_owned(),
            number: number.to_ascii_uppercase(),
        })
    }

    pub fn id_type_label(&self) -> &str {
        match self {
            PersonId::Resident(_) => RESIDENT_ID_LABEL,
            PersonId::Other { id_type, .. } => id_type,
        }
    }

    /// The number as it enters the person key (SPEC §1).
    pub fn normalised_number(&self) -> &str {
        match self {
            PersonId::Resident(n) => n.as_str(),
            PersonId::Other { number, .. } => number,
        }
    }

    /// The canonical mask (SPEC §1). Resident IDs: first 4 + 10 `*` + last 4. Other types:
    /// first 2 + `*` for the rest + last 2; numbers of 3–4 characters keep only the first and
    /// last, numbers of 1–2 characters are all `*`, so that no mask shows a whole number.
    pub fn masked(&self) -> String {
        match self {
            PersonId::Resident(n) => n.masked(),
            PersonId::Other { number, .. } => mask_other(number),
        }
    }
}

fn mask_other(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let n = chars.len();
    let keep = match n {
        0..=2 => 0,
        3..=4 => 1,
        _ => 2,
    };
    let mut out: String = chars[..keep].iter().collect();
    out.extend(std::iter::repeat_n('*', (n - 2 * keep).max(1)));
    out.extend(&chars[n - keep..]);
    out
}

/// `id_type:masked`; the full number is never printed.
impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.id_type_label(), self.masked())
    }
}

impl fmt::Debug for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonId({self})")
    }
}

// ---------------------------------------------------------------------------------------
// Unified social credit code

const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn uscc_value(c: u8) -> Option<u32> {
    USCC_ALPHABET
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// The GB 32100 check character of the first 17 characters (upper-case), `None` unless they
/// are 17 characters of the code alphabet.
pub fn uscc_check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (b, w) in first17.bytes().zip(USCC_WEIGHTS) {
        sum += uscc_value(b)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(char::from(USCC_ALPHABET[check as usize]))
}

/// 统一社会信用代码 (GB 32100): 18 characters with a check character. Lower-case letters are
/// upper-cased.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Uscc(String);

impl Uscc {
    pub fn parse(s: &str) -> Result<Uscc, IdError> {
        let s = s.trim();
        let n = char_count(s);
        if n != 18 {
            return Err(IdError::new(
                format!("统一社会信用代码应为 18 位，实为 {n} 位"),
                format!("unified social credit code must have 18 characters, found {n}"),
            ));
        }
        let code = s.to_ascii_uppercase();
        for (i, c) in code.chars().enumerate() {
            if !c.is_ascii() || uscc_value(c as u8).is_none() {
                let pos = i + 1;
                return Err(IdError::new(
                    format!("统一社会信用代码第 {pos} 位字符 '{c}' 不在代码字符集内"),
                    format!(
                        "unified social credit code character {pos} '{c}' is not in the code alphabet"
                    ),
                ));
            }
        }
        // All 18 characters are ASCII now.
        let expected = uscc_check_char(&code[..17]).unwrap_or('?');
        let found = char::from(code.as_bytes()[17]);
        if expected != found {
            return Err(IdError::new(
                format!("统一社会信用代码校验位错误：应为 {expected}，实为 {found}"),
                format!(
                    "unified social credit code check character wrong: expected {expected}, found {found}"
                ),
            ));
        }
        Ok(Uscc(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------
// Occupation code

/// 职业编码 (职业分类大典): `^[1-8]-\d{2}-\d{2}-\d{2}(-\d{2})?$`, e.g. `6-18-02-04`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct OccupationCode(String);

impl OccupationCode {
    pub fn parse(s: &str) -> Result<OccupationCode, IdError> {
        let s = s.trim();
        let mut parts = s.split('-');
        let major_ok = parts
            .next()
            .is_some_and(|p| p.len() == 1 && matches!(p.as_bytes()[0], b'1'..=b'8'));
        let rest: Vec<&str> = parts.collect();
        let rest_ok =
            matches!(rest.len(), 3 | 4) && rest.iter().all(|p| p.len() == 2 && all_ascii_digits(p));
        if !(major_ok && rest_ok) {
            return Err(IdError::new(
                format!("职业编码格式应为 X-XX-XX-XX 或 X-XX-XX-XX-XX（大类 1–8），实为 \"{s}\""),
                format!(
                    "occupation code must be X-XX-XX-XX or X-XX-XX-XX-XX (major group 1-8), found \"{s}\""
                ),
            ));
        }
        Ok(OccupationCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 大类 1..=8 (skill evaluation covers 3–6).
    pub fn major_group(&self) -> u8 {
        self.0.as_bytes()[0] - b'0'
    }
}

impl fmt::Display for OccupationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------
// Level

/// 职业技能等级. Ordered by skill: `Five < Four < Three < Two < One < Top`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Level {
    /// 特级技师
    Top,
    /// 一级/高级技师
    One,
    /// 二级/技师
    Two,
    /// 三级/高级工
    Three,
    /// 四级/中级工
    Four,
    /// 五级/初级工
    Five,
}

impl Level {
    /// Every level, highest first.
    pub const ALL: [Level; 6] = [
        Level::Top,
        Level::One,
        Level::Two,
        Level::Three,
        Level::Four,
        Level::Five,
    ];

    /// Accepts the digit `1`..`5`, the full label (`三级/高级工`), either half (`三级`,
    /// `高级工`) and `特级技师` (or `特级`).
    pub fn parse(s: &str) -> Result<Level, IdError> {
        let s = s.trim();
        let found = Level::ALL.into_iter().find(|l| {
            let label = l.label_zh();
            let (grade, title) = label.split_once('/').unwrap_or((label, label));
            s == label
                || s == grade
                || s == title
                || s.replace('／', "/") == label
                || (*l != Level::Top && s.len() == 1 && s == l.digit().to_string())
                || (*l == Level::Top && s == "特级")
        });
        found.ok_or_else(|| {
            IdError::new(
                format!("等级 \"{s}\" 无效：应为 1–5、\"三级/高级工\" 之类的名称或 特级技师"),
                format!(
                    "level \"{s}\" is not valid: expected 1-5, a label such as \"三级/高级工\", or 特级技师"
                ),
            )
        })
    }

    /// 1..=5; `Top` (特级技师) is 0.
    pub fn digit(self) -> u32 {
        match self {
            Level::Top => 0,
            Level::One => 1,
            Level::Two => 2,
            Level::Three => 3,
            Level::Four => 4,
            Level::Five => 5,
        }
    }

    /// The inverse of [`Level::digit`]: 0 is `Top`.
    pub fn from_digit(d: u32) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.digit() == d)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::Top => "特级技师",
            Level::One => "一级/高级技师",
            Level::Two => "二级/技师",
            Level::Three => "三级/高级工",
            Level::Four => "四级/中级工",
            Level::Five => "五级/初级工",
        }
    }

    /// 高技能人才: 三级/高级工 and above, 特级技师 included (SPEC R5: the one derivation).
    pub fn is_high_skill(self) -> bool {
        self >= Level::Three
    }

    /// The next level up (五级 → 四级 … 一级 → 特级技师).
    pub fn next_higher(self) -> Option<Level> {
        match self {
            Level::Top => None,
            Level::One => Some(Level::Top),
            l => Level::from_digit(l.digit() - 1),
        }
    }

    /// 6 for `Top`, 5 for 一级 … 1 for 五级.
    fn rank(self) -> u32 {
        6 - self.digit()
    }
}

impl PartialOrd for Level {
    fn partial_cmp(&self, other: &Level) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Level {
    fn cmp(&self, other: &Level) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A valid ID number for a 6-digit address, a birth date `YYYYMMDD` and a 3-digit
    /// sequence, with the check digit computed here.
    fn make_id(address: &str, birth: &str, seq: &str) -> String {
        let first17 = format!("{address}{birth}{seq}");
        let check = id_check_char(&first17).unwrap();
        format!("{first17}{check}")
    }

    fn make_uscc(first17: &str) -> String {
        format!("{first17}{}", uscc_check_char(first17).unwrap())
    }

    /// Replaces the last character with a different one from `alphabet`.
    fn wrong_last(s: &str, alphabet: &str) -> String {
        let last = s.chars().last().unwrap();
        let other = alphabet.chars().find(|&c| c != last).unwrap();
        format!("{}{other}", &s[..s.len() - 1])
    }

    // --- county code ---

    #[test]
    fn county_code() {
        let c = CountyCode::parse("500153").unwrap();
        assert_eq!(c.as_str(), "500153");
        assert_eq!(c.province_code(), "50");
        assert_eq!(c.province_name_zh(), Some("重庆"));
        assert_eq!(c.to_string(), "500153");
        let c = CountyCode::parse(" 511083 ").unwrap();
        assert_eq!(c.province_name_zh(), Some("四川"));
        assert_eq!(
            CountyCode::parse("110105").unwrap().province_name_zh(),
            None
        );
        for bad in ["", "50015", "5001531", "50015a", "５００１５３"] {
            let e = CountyCode::parse(bad).unwrap_err();
            assert!(
                e.message_en.starts_with("county code must be 6 digits"),
                "{bad}"
            );
        }
    }

    // --- certificate numbers ---

    #[test]
    fn cert_no_current() {
        // research §11.2: S | 0000 | 50 | 001230 | 24 | 3 | 000015
        let c = CertNo::parse("S000050001230243000015").unwrap();
        assert_eq!(c.kind(), CertNoKind::Current);
        assert_eq!(c.issuer_kind(), Some('S'));
        assert_eq!(c.institution_code(), Some("0000"));
        assert_eq!(c.province2(), Some("50"));
        assert_eq!(c.site_serial(), Some("001230"));
        assert_eq!(c.year2(), Some(24));
        assert_eq!(c.level_digit(), Some(3));
        assert_eq!(c.implied_level(), Some(Level::Three));
        assert_eq!(c.serial(), Some("000015"));
        assert_eq!(c.as_str(), "S000050001230243000015");

        let c = CertNo::parse("Y000051004518232000208").unwrap();
        assert_eq!(c.kind(), CertNoKind::Current);
        assert_eq!(c.issuer_kind(), Some('Y'));
        assert_eq!(c.province2(), Some("51"));
        assert_eq!(c.year2(), Some(23));
        assert_eq!(c.level_digit(), Some(2));
    }

    #[test]
    fn cert_no_current_level_digit_out_of_range_is_kept_for_r1() {
        let c = CertNo::parse("S000050001230249000015").unwrap();
        assert_eq!(c.kind(), CertNoKind::Current);
        assert_eq!(c.level_digit(), Some(9));
        assert_eq!(c.implied_level(), None);
    }

    #[test]
    fn cert_no_legacy_level_at_position_11() {
        // research §11.2: 17 | 50 | 00 | 2 | 003 | 3 | 00123
        let c = CertNo::parse("1750002003300123").unwrap();
        assert_eq!(c.kind(), CertNoKind::Legacy);
        assert_eq!(c.level_digit(), Some(3));
        assert_eq!(c.implied_level(), Some(Level::Three));
        assert_eq!(c.year2(), Some(17));
        assert_eq!(c.province2(), Some("50"));
        assert_eq!(c.serial(), Some("00123"));
        assert_eq!(c.issuer_kind(), None);
        assert_eq!(c.institution_code(), None);
        assert_eq!(c.site_serial(), None);
        // Only position 11 decides: change it and nothing else.
        let c = CertNo::parse("1750002003500123").unwrap();
        assert_eq!(c.level_digit(), Some(5));
        assert_eq!(c.implied_level(), Some(Level::Five));
    }

    #[test]
    fn cert_no_top_technician() {
        let c = CertNo::parse("TJ00005000123025100001").unwrap();
        assert_eq!(c.kind(), CertNoKind::TopTechnician);
        assert_eq!(c.implied_level(), Some(Level::Top));
        assert_eq!(c.level_digit(), None);
        assert_eq!(c.issuer_kind(), None);
    }

    #[test]
    fn cert_no_unknown_patterns_are_kept() {
        for s in [
            "S00005000123024300001",  // 21 characters
            "s000050001230243000015", // lower-case letter
            "X000050001230243000015", // neither Y nor S, one letter
            "175000200330012",        // 15 digits
            "渝人社证字2019第001号",
            "ABC-123",
        ] {
            let c = CertNo::parse(s).unwrap();
            assert_eq!(c.kind(), CertNoKind::Unknown, "{s}");
            assert_eq!(c.as_str(), s);
            assert_eq!(c.level_digit(), None);
            assert_eq!(c.year2(), None);
            assert_eq!(c.province2(), None);
            assert_eq!(c.implied_level(), None);
        }
        assert_eq!(
            CertNo::parse("  1750002003300123 ").unwrap().as_str(),
            "1750002003300123"
        );
    }

    #[test]
    fn cert_no_empty_fails() {
        assert_eq!(
            CertNo::parse("   ").unwrap_err().message_en,
            "certificate number is empty"
        );
        assert!(CertNo::parse("").is_err());
    }

    // --- ID numbers ---

    #[test]
    fn id_number_known_valid() {
        // research §11.3, and the GB 11643 example with check character X.
        for s in [
            "500153198804123616",
            "510521199203054720",
            "511083197509181531",
            "11010519491231002X",
        ] {
            let n = IdNumber::parse(s).unwrap();
            assert_eq!(n.as_str(), s);
        }
        let n = IdNumber::parse("500153198804123616").unwrap();
        assert_eq!(n.birth_date(), Date::parse("1988-04-12").unwrap());
        assert_eq!(n.masked(), "5001**********3616");
    }

    #[test]
    fn id_number_generated() {
        for (addr, birth) in [
            ("500153", "19650101"),
            ("510302", "20040229"),
            ("511083", "20001231"),
            ("500101", "19960229"),
        ] {
            for seq in ["001", "123", "998"] {
                let s = make_id(addr, birth, seq);
                let n = IdNumber::parse(&s).unwrap();
                assert_eq!(n.as_str(), s);
                assert_eq!(n.birth_date().to_string().replace('-', ""), birth);
            }
        }
    }

    #[test]
    fn id_number_wrong_check_digit() {
        let e = IdNumber::parse("500153198804123615").unwrap_err();
        assert_eq!(e.message_zh, "身份证号校验位错误：应为 6，实为 5");
        assert_eq!(
            e.message_en,
            "ID number check digit wrong: expected 6, found 5"
        );
        assert_eq!(
            e.to_string(),
            "身份证号校验位错误：应为 6，实为 5 / ID number check digit wrong: expected 6, found 5"
        );
        let good = make_id("510521", "19920305", "472");
        let bad = wrong_last(&good, "0123456789X");
        assert!(
            IdNumber::parse(&bad)
                .unwrap_err()
                .message_en
                .starts_with("ID number check digit wrong")
        );
    }

    #[test]
    fn id_number_lower_case_x_is_normalised() {
        let n = IdNumber::parse("11010519491231002x").unwrap();
        assert_eq!(n.as_str(), "11010519491231002X");
        assert_eq!(n, IdNumber::parse("11010519491231002X").unwrap());
        assert_eq!(n.to_string(), "11010519491231002X");
    }

    #[test]
    fn id_number_invalid_birth_dates() {
        for birth in [
            "19890229", "19881301", "19880431", "19880400", "00000101", "21000229",
        ] {
            // The check digit is right: only the date is wrong.
            let s = make_id("500153", birth, "123");
            let e = IdNumber::parse(&s).unwrap_err();
            assert!(e.message_en.contains("birth date"), "{birth}: {e}");
            assert!(!e.to_string().contains(birth), "message leaks digits");
        }
        // Leap day in a leap year is fine.
        assert!(IdNumber::parse(&make_id("500153", "19880229", "123")).is_ok());
        assert!(IdNumber::parse(&make_id("500153", "20000229", "123")).is_ok());
    }

    #[test]
    fn id_number_form() {
        let e = IdNumber::parse("50015319880412361").unwrap_err();
        assert_eq!(e.message_en, "ID number must have 18 characters, found 17");
        let e = IdNumber::parse("5001531988041236166").unwrap_err();
        assert_eq!(e.message_en, "ID number must have 18 characters, found 19");
        let e = IdNumber::parse("50015319880412X616").unwrap_err();
        assert_eq!(e.message_en, "ID number character 15 must be a digit");
        let e = IdNumber::parse("50015319880412361Y").unwrap_err();
        assert_eq!(e.message_en, "ID number character 18 must be a digit or X");
        let e = IdNumber::parse("５00153198804123616").unwrap_err();
        assert_eq!(e.message_en, "ID number character 1 must be a digit");
        // Errors never carry the number itself.
        assert!(!e.to_string().contains("00153198804123616"));
    }

    #[test]
    fn id_number_debug_is_masked() {
        let n = IdNumber::parse("500153198804123616").unwrap();
        assert_eq!(format!("{n:?}"), "IdNumber(5001**********3616)");
        let p = PersonId::Resident(n);
        assert!(!format!("{p:?}").contains("198804"));
    }

    // --- person IDs ---

    #[test]
    fn person_id_resident_forms() {
        for t in ["", "居民身份证", "RESIDENT_ID", " 居民身份证 "] {
            let p = PersonId::parse(t, "11010519491231002x").unwrap();
            assert!(matches!(p, PersonId::Resident(_)), "{t}");
            assert_eq!(p.id_type_label(), "居民身份证");
            assert_eq!(p.normalised_number(), "11010519491231002X");
            assert_eq!(p.masked(), "1101**********002X");
        }
        assert!(PersonId::parse("居民身份证", "500153198804123615").is_err());
        assert!(PersonId::parse("", "").is_err());
    }

    #[test]
    fn person_id_other_types() {
        let p = PersonId::parse("护照", " e12345678 ").unwrap();
        assert_eq!(p.id_type_label(), "护照");
        assert_eq!(p.normalised_number(), "E12345678");
        assert_eq!(p.masked(), "E1*****78");
        assert_eq!(p.to_string(), "护照:E1*****78");

        let p = PersonId::parse("港澳台居民居住证", "830000199201010019").unwrap();
        assert_eq!(p.masked(), "83**************19");

        let e = PersonId::parse("护照", "  ").unwrap_err();
        assert_eq!(e.message_en, "护照 number is empty");
    }

    #[test]
    fn mask_of_short_and_non_ascii_numbers() {
        let m = |n: &str| mask_other(n);
        assert_eq!(m("A"), "*");
        assert_eq!(m("AB"), "**");
        assert_eq!(m("ABC"), "A*C");
        assert_eq!(m("ABCD"), "A**D");
        assert_eq!(m("ABCDE"), "AB*DE");
        assert_eq!(m("台胞证一二三四"), "台胞***三四");
        for n in ["A", "AB", "ABC", "ABCD", "ABCDE", "ABCDEF"] {
            assert_ne!(m(n), n);
            assert_eq!(m(n).chars().count(), n.chars().count());
        }
    }

    // --- USCC ---

    #[test]
    fn uscc_known_valid() {
        // research §11.4, and a check character that is a digit.
        for s in [
            "91500153MA5U0A1B2A",
            "52511083MA6A01231Q",
            "12510521MB1C23456K",
            "91350100M000100Y43",
        ] {
            assert_eq!(Uscc::parse(s).unwrap().as_str(), s);
        }
        assert_eq!(
            Uscc::parse(" 91500153ma5u0a1b2a ").unwrap().as_str(),
            "91500153MA5U0A1B2A"
        );
    }

    #[test]
    fn uscc_generated() {
        for first17 in [
            "91500153MA5U0A1B2",
            "52511083MA6A01231",
            "11500000000000000",
            "Y1510000000000000",
        ] {
            let s = make_uscc(first17);
            assert_eq!(Uscc::parse(&s).unwrap().as_str(), s);
        }
        // A sum divisible by 31 gives check 0 (31 → 0).
        assert_eq!(uscc_check_char("00000000000000000"), Some('0'));
    }

    #[test]
    fn uscc_wrong_check_character() {
        let e = Uscc::parse("91500153MA5U0A1B2B").unwrap_err();
        assert_eq!(e.message_zh, "统一社会信用代码校验位错误：应为 A，实为 B");
        assert_eq!(
            e.message_en,
            "unified social credit code check character wrong: expected A, found B"
        );
        let bad = wrong_last(
            &make_uscc("52511083MA6A01231"),
            "0123456789ABCDEFGHJKLMNPQRTUWXY",
        );
        assert!(
            Uscc::parse(&bad)
                .unwrap_err()
                .message_en
                .contains("check character wrong")
        );
    }

    #[test]
    fn uscc_form() {
        let e = Uscc::parse("91500153MA5U0A1B2").unwrap_err();
        assert_eq!(
            e.message_en,
            "unified social credit code must have 18 characters, found 17"
        );
        // I, O, S, V, Z are not in the alphabet.
        let e = Uscc::parse("91500153MI5U0A1B2A").unwrap_err();
        assert_eq!(
            e.message_en,
            "unified social credit code character 10 'I' is not in the code alphabet"
        );
        assert!(Uscc::parse("91500153MA5U0A1B2字").is_err());
        assert_eq!(uscc_check_char("9150015"), None);
    }

    // --- occupation codes ---

    #[test]
    fn occupation_codes() {
        let c = OccupationCode::parse("6-18-02-04").unwrap();
        assert_eq!(c.major_group(), 6);
        assert_eq!(c.as_str(), "6-18-02-04");
        let c = OccupationCode::parse("4-10-01-05-01").unwrap();
        assert_eq!(c.major_group(), 4);
        for bad in [
            "",
            "0-18-02-04",
            "9-18-02-04",
            "6-18-02",
            "6-18-2-04",
            "6-18-02-04-",
            "6-18-02-04-01-01",
            "61-8-02-04",
            "6_18_02_04",
            "6-1a-02-04",
        ] {
            assert!(OccupationCode::parse(bad).is_err(), "{bad}");
        }
    }

    // --- levels ---

    #[test]
    fn level_every_input_form() {
        let cases = [
            (Level::One, ["1", "一级/高级技师", "一级", "高级技师"]),
            (Level::Two, ["2", "二级/技师", "二级", "技师"]),
            (Level::Three, ["3", "三级/高级工", "三级", "高级工"]),
            (Level::Four, ["4", "四级/中级工", "四级", "中级工"]),
            (Level::Five, ["5", "五级/初级工", "五级", "初级工"]),
        ];
        for (level, inputs) in cases {
            for s in inputs {
                assert_eq!(Level::parse(s).unwrap(), level, "{s}");
            }
            assert_eq!(
                Level::parse(&format!(" {} ", level.digit())).unwrap(),
                level
            );
        }
        assert_eq!(Level::parse("特级技师").unwrap(), Level::Top);
        assert_eq!(Level::parse("特级").unwrap(), Level::Top);
        assert_eq!(Level::parse("三级／高级工").unwrap(), Level::Three);
        for bad in ["", "0", "6", "11", "三级/技师", "高级", "III", "3级"] {
            let e = Level::parse(bad).unwrap_err();
            assert!(e.message_en.starts_with("level \""), "{bad}");
        }
    }

    #[test]
    fn level_digits_labels_and_order() {
        for l in Level::ALL {
            assert_eq!(Level::from_digit(l.digit()), Some(l));
            assert_eq!(Level::parse(l.label_zh()).unwrap(), l);
            assert_eq!(l.to_string(), l.label_zh());
        }
        assert_eq!(Level::Top.digit(), 0);
        assert_eq!(Level::from_digit(6), None);
        assert_eq!(Level::Three.label_zh(), "三级/高级工");
        assert!(Level::Five < Level::Four);
        assert!(Level::Two < Level::One);
        assert!(Level::One < Level::Top);
        assert_eq!(Level::ALL.iter().max(), Some(&Level::Top));
        assert_eq!(Level::Five.next_higher(), Some(Level::Four));
        assert_eq!(Level::One.next_higher(), Some(Level::Top));
        assert_eq!(Level::Top.next_higher(), None);
    }

    #[test]
    fn high_skill_is_three_and_above() {
        let high: Vec<Level> = Level::ALL
            .into_iter()
            .filter(|l| l.is_high_skill())
            .collect();
        assert_eq!(high, [Level::Top, Level::One, Level::Two, Level::Three]);
    }
}
