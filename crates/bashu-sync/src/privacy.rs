//! SPEC R16 at receive: a replicated body never carries a full ID number.
//!
//! The home node keeps full ID numbers in its home-only data and puts only the person key
//! and the canonical mask into a replicated body (bashu-core's import refuses rows that
//! would leak one). A peer's entry is checked again here, because a node must not store
//! what a buggy or hostile author signed: a body that carries a full resident ID number
//! (18 characters, GB 11643 check character and a real birth date, standing on its own
//! rather than inside a longer run of digits), or a certificate whose `id_masked` is not
//! the canonical mask, is refused like any other protocol violation.
//!
//! The check reads the body's structure, never a raw byte scan: certificates field by
//! field from the protobuf wire format (unknown fields included), the JSON kinds value by
//! value (object keys included). The reason names the field, never its content.

use bashu_core::entry::EntryKind;
use bashu_core::{IdNumber, Uscc};

/// Why a body was refused: the field that carries personal data (never its value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} in field {field}")]
pub struct PersonalData {
    pub field: String,
    pub what: &'static str,
}

const FULL_ID: &str = "a full ID number";
const NOT_MASKED: &str = "an ID number that is not the canonical mask";

/// `bashu.v1.Certificate` field numbers the check treats specially.
mod cert_field {
    pub const PERSON_KEY: u32 = 3;
    pub const ID_TYPE: u32 = 4;
    pub const ID_MASKED: u32 = 5;
    pub const INSTITUTION_USCC: u32 = 13;
}

/// Checks one replicated body of `kind`.
pub fn check_body(kind: EntryKind, body: &[u8]) -> Result<(), PersonalData> {
    match kind {
        EntryKind::Certificate => check_certificate(body),
        _ => check_json(body),
    }
}

/// The text with full-width digits and `Ｘ`/`x` folded to ASCII, so `５００…` is caught too.
fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' => {
                char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
            }
            'Ｘ' | 'ｘ' | 'x' => 'X',
            c => c,
        })
        .collect()
}

/// Whether `text` holds a full resident ID number as a token of its own: a maximal run of
/// 17 digits and a digit or `X`, bounded by non-digits, that passes the GB 11643 check.
pub fn carries_full_id(text: &str) -> bool {
    // Most fields hold fewer digits than an ID number has: nothing to fold or parse.
    let digits = text
        .chars()
        .filter(|c| c.is_ascii_digit() || ('０'..='９').contains(c))
        .count();
    if digits < 17 {
        return false;
    }
    let text = fold(text);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let mut end = i;
        if end - start == 17 && chars.get(end) == Some(&'X') {
            end += 1;
            i += 1;
        }
        if end - start == 18 {
            let token: String = chars[start..end].iter().collect();
            if IdNumber::parse(&token).is_ok() {
                return true;
            }
        }
    }
    false
}

// ---------------------------------------------------------------------------------------
// Certificates: the protobuf wire format, field by field

enum Wire<'a> {
    Varint,
    Bytes(&'a [u8]),
}

fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The top-level fields of a protobuf message; `None` when the bytes are not one.
fn wire_fields(b: &[u8]) -> Option<Vec<(u32, Wire<'_>)>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let key = varint(b, &mut at)?;
        let field = u32::try_from(key >> 3).ok()?;
        match key & 7 {
            0 => {
                varint(b, &mut at)?;
                out.push((field, Wire::Varint));
            }
            1 => at = at.checked_add(8).filter(|e| *e <= b.len())?,
            2 => {
                let len = usize::try_from(varint(b, &mut at)?).ok()?;
                let end = at.checked_add(len).filter(|e| *e <= b.len())?;
                out.push((field, Wire::Bytes(&b[at..end])));
                at = end;
            }
            5 => at = at.checked_add(4).filter(|e| *e <= b.len())?,
            _ => return None,
        }
    }
    Some(out)
}

fn check_certificate(body: &[u8]) -> Result<(), PersonalData> {
    let Some(fields) = wire_fields(body) else {
        // Not a certificate message at all: the rules report it; but it still must not
        // carry an ID number in whatever text it holds.
        return check_text("body", &String::from_utf8_lossy(body));
    };
    let text = |f: u32| {
        fields.iter().rev().find_map(|(n, w)| match w {
            Wire::Bytes(b) if *n == f => Some(String::from_utf8_lossy(b)),
            _ => None,
        })
    };
    let id_type = text(cert_field::ID_TYPE).unwrap_or_default();
    for (n, w) in &fields {
        let Wire::Bytes(b) = w else { continue };
        let value = String::from_utf8_lossy(b);
        let refused = |what| PersonalData {
            field: certificate_field_name(*n),
            what,
        };
        match *n {
            // 32 bytes of HMAC output: binary, not text.
            cert_field::PERSON_KEY => {}
            cert_field::ID_MASKED
                if !value.trim().is_empty()
                    && !bashu_rules::is_canonical_mask(&id_type, &value) =>
            {
                return Err(refused(NOT_MASKED));
            }
            cert_field::ID_MASKED => {}
            // An 18-character credit code may look like an ID number; a valid one is not.
            cert_field::INSTITUTION_USCC if Uscc::parse(&value).is_ok() => {}
            _ if carries_full_id(&value) => return Err(refused(FULL_ID)),
            _ => {}
        }
    }
    Ok(())
}

fn certificate_field_name(n: u32) -> String {
    const NAMES: [&str; 20] = [
        "cert_no",
        "cert_type",
        "person_key",
        "id_type",
        "id_masked",
        "name",
        "occupation_code",
        "occupation_name",
        "work_type",
        "level",
        "issue_date",
        "institution_name_printed",
        "institution_uscc",
        "filing_no",
        "batch_id",
        "competition_result_id",
        "source",
        "status",
        "status_reason",
        "status_effective_date",
    ];
    usize::try_from(n)
        .ok()
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| NAMES.get(i))
        .map_or_else(|| format!("#{n}"), |s| (*s).to_owned())
}

fn check_text(field: &str, value: &str) -> Result<(), PersonalData> {
    if carries_full_id(value) {
        return Err(PersonalData {
            field: field.to_owned(),
            what: FULL_ID,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The JSON kinds: every key and value

/// Fields that carry person keys: `person_key` everywhere, and a relation's `counterpart`
/// (a person key for a person, a USCC otherwise).
fn is_person_key_field(key: &str) -> bool {
    key == "person_key" || key == "counterpart"
}

fn is_hex_person_key(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_json(body: &[u8]) -> Result<(), PersonalData> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => walk("", &v),
        Err(_) => check_text("body", &String::from_utf8_lossy(body)),
    }
}

fn walk(path: &str, v: &serde_json::Value) -> Result<(), PersonalData> {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let key = path.rsplit('.').next().unwrap_or_default();
            if key.contains("uscc") && Uscc::parse(s).is_ok() {
                return Ok(());
            }
            // A person key (HMAC-SHA256 in hex) is a pseudonym, and its 64 hex digits may
            // hold 18 decimal digits in a row that happen to form a valid ID number.
            if is_person_key_field(key) && is_hex_person_key(s) {
                return Ok(());
            }
            check_text(path, s)
        }
        Value::Number(n) => check_text(path, &n.to_string()),
        Value::Array(items) => items.iter().try_for_each(|i| walk(path, i)),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            check_text(&p, k)?;
            walk(&p, v)
        }),
        Value::Null | Value::Bool(_) => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_person_key_whose_hex_holds_an_id_like_run_is_a_pseudonym_not_an_id() {
        // 64 hex digits with a valid ID number inside (seen in generated data).
        let key = format!("ef4a{ID}{}", "c".repeat(64 - 4 - ID.len()));
        assert_eq!(key.len(), 64);
        let ok = format!(r#"{{"candidates":[{{"person_key":"{key}"}}],"counterpart":"{key}"}}"#);
        assert_eq!(check_json(ok.as_bytes()), Ok(()));
        // The same text anywhere else is refused.
        let bad = format!(r#"{{"name":"{key}"}}"#);
        assert!(check_json(bad.as_bytes()).is_err());
    }
    use bashu_core::codec::Certificate;

    // Valid GB 11643 numbers (check characters computed), never real people.
    const ID: &str = "500153198804123616";
    const ID_X: &str = "51052119920305400X";

    fn cert() -> Certificate {
        Certificate {
            cert_no: "Y0000500000012341000001".into(),
            cert_type: None,
            person_key: vec![7; 32],
            id_type: "居民身份证".into(),
            id_masked: "5001**********3616".into(),
            name: "张三".into(),
            occupation_code: "6-18-01-01".into(),
            occupation_name: "焊工".into(),
            work_type: String::new(),
            level: None,
            issue_date: "2024-05-01".into(),
            institution_name_printed: "荣昌区职业技能鉴定所".into(),
            institution_uscc: "12500153MB1234567X".into(),
            filing_no: String::new(),
            batch_id: String::new(),
            competition_result_id: String::new(),
            source: None,
            status: None,
            status_reason: String::new(),
            status_effective_date: String::new(),
        }
    }

    #[test]
    fn id_numbers_are_found_as_tokens_only() {
        assert!(IdNumber::parse(ID).is_ok() && IdNumber::parse(ID_X).is_ok());
        assert!(carries_full_id(ID));
        assert!(carries_full_id(&format!("王{ID}伟")));
        assert!(carries_full_id(&ID_X.to_lowercase()));
        assert!(carries_full_id("５００１５３１９８８０４１２３６１６"));
        // A wrong check digit, a run inside a longer number, a 17-digit run: not IDs.
        assert!(!carries_full_id("500153198804123617"));
        assert!(!carries_full_id(&format!("9{ID}")));
        assert!(!carries_full_id(&ID[..17]));
        assert!(!carries_full_id("Y0000500000012341000001"));
        // Half in ASCII, half in full-width digits (the digit count before folding sees both).
        assert!(carries_full_id("500153198８０４１２３６１６"));
        // Digits spread over a text, none of them a run of 18: counted, then not an ID.
        assert!(!carries_full_id("5001 5319 8804 1236 16"));
    }

    #[test]
    fn a_well_formed_certificate_passes() {
        let c = cert();
        check_body(EntryKind::Certificate, &c.encode()).unwrap();
    }

    #[test]
    fn a_full_id_anywhere_in_a_certificate_is_refused() {
        let mut c = cert();
        c.id_masked = ID.into();
        let e = check_body(EntryKind::Certificate, &c.encode()).unwrap_err();
        assert_eq!((e.field.as_str(), e.what), ("id_masked", NOT_MASKED));
        assert!(
            !e.to_string().contains(ID),
            "the reason never shows the number"
        );

        let mut c = cert();
        c.id_masked = "500153********3616".into();
        assert_eq!(
            check_body(EntryKind::Certificate, &c.encode())
                .unwrap_err()
                .what,
            NOT_MASKED
        );

        let mut c = cert();
        c.status_reason = format!("持证人 {ID_X} 申请");
        let e = check_body(EntryKind::Certificate, &c.encode()).unwrap_err();
        assert_eq!((e.field.as_str(), e.what), ("status_reason", FULL_ID));
    }

    #[test]
    fn an_unknown_field_cannot_smuggle_an_id() {
        let mut body = cert().encode();
        // Field 99, length-delimited.
        body.extend_from_slice(&[0x9a, 0x06, 18]);
        body.extend_from_slice(ID.as_bytes());
        let e = check_body(EntryKind::Certificate, &body).unwrap_err();
        assert_eq!(e.field, "#99");
    }

    #[test]
    fn json_records_are_checked_value_by_value() {
        let ok = br#"{"uscc":"12500153MB1234567X","name":"Expert","person_key":"ab"}"#;
        check_body(EntryKind::Expert, ok).unwrap();
        let bad = format!(r#"{{"expert_id":"E1","relations":[{{"counterpart":"{ID}"}}]}}"#);
        let e = check_body(EntryKind::Expert, bad.as_bytes()).unwrap_err();
        assert_eq!(e.field, "relations.counterpart");
        let as_number = format!(r#"{{"n":{ID}}}"#);
        assert!(check_body(EntryKind::Relation, as_number.as_bytes()).is_err());
        let in_key = format!(r#"{{"{ID}":1}}"#);
        assert!(check_body(EntryKind::Relation, in_key.as_bytes()).is_err());
        // Not JSON at all: still scanned as text.
        assert!(check_body(EntryKind::Relation, ID.as_bytes()).is_err());
        check_body(EntryKind::Relation, &[1, 2, 3]).unwrap();
    }
}
