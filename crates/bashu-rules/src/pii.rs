//! R16: no full ID number, photo or ID fragment other than the canonical mask in a
//! replicated record. (A replicated certificate has no photo field, so only the text can
//! carry one.) Messages name the field, never its content.

use bashu_core::IdNumber;
use bashu_core::codec::Certificate;
use bashu_core::id::RESIDENT_ID_LABEL;

use crate::verdict::{Finding, RuleId};

const R: RuleId = RuleId::R16;

/// A run of this many digits in free text looks like an ID number (15 = first-generation
/// numbers, 18 = current ones).
const ID_RUN: usize = 15;

/// Length of the person key: an HMAC-SHA256.
const PERSON_KEY_LEN: usize = 32;

/// R16 findings for a replicated certificate.
pub fn check_personal_data(cert: &Certificate) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(check_mask(&cert.id_type, &cert.id_masked));
    if cert.name.chars().any(|c| is_digit(c) || c == '*') {
        out.push(
            Finding::fail(
                R,
                "字段「姓名」含数字或 *，疑似证件号码片段",
                "field \"name\" contains digits or *, which looks like an ID number fragment",
            )
            .fact("field", "name"),
        );
    }
    let free_text: [(&str, &str, &str); 10] = [
        ("id_type", "证件类型", &cert.id_type),
        ("occupation_code", "职业编码", &cert.occupation_code),
        ("occupation_name", "职业名称", &cert.occupation_name),
        ("work_type", "工种/职业方向", &cert.work_type),
        (
            "institution_name_printed",
            "评价机构名称",
            &cert.institution_name_printed,
        ),
        ("filing_no", "备案编号", &cert.filing_no),
        ("batch_id", "认定批次", &cert.batch_id),
        (
            "competition_result_id",
            "竞赛成绩",
            &cert.competition_result_id,
        ),
        ("status_reason", "状态原因", &cert.status_reason),
        (
            "status_effective_date",
            "状态生效日期",
            &cert.status_effective_date,
        ),
    ];
    for (field, label, value) in free_text {
        let run = longest_digit_run(value);
        if run >= ID_RUN {
            out.push(
                Finding::fail(
                    R,
                    format!("字段「{label}」含连续 {run} 位数字，疑似证件号码"),
                    format!(
                        "field \"{field}\" contains {run} consecutive digits, which looks like an ID number"
                    ),
                )
                .fact("field", field)
                .fact("digit_run", run),
            );
        }
    }
    // Numbers that legitimately hold long digit runs: refused only when they *are* an ID.
    for (field, label, value) in [
        ("cert_no", "证书编号", &cert.cert_no),
        (
            "institution_uscc",
            "评价机构统一社会信用代码",
            &cert.institution_uscc,
        ),
    ] {
        if IdNumber::parse(value).is_ok() {
            out.push(
                Finding::fail(
                    R,
                    format!("字段「{label}」是一个身份证号码"),
                    format!("field \"{field}\" is a resident ID number"),
                )
                .fact("field", field),
            );
        }
    }
    let key_text = String::from_utf8_lossy(&cert.person_key);
    if cert.person_key.len() != PERSON_KEY_LEN || longest_digit_run(&key_text) >= ID_RUN {
        out.push(
            Finding::fail(
                R,
                "人员标识不是 32 字节的联盟密钥 HMAC",
                "the person key is not a 32-byte keyed hash (HMAC) under the alliance key",
            )
            .fact("field", "person_key")
            .fact("person_key_len", cert.person_key.len()),
        );
    }
    out
}

fn is_resident(id_type: &str) -> bool {
    matches!(id_type.trim(), "" | RESIDENT_ID_LABEL | "RESIDENT_ID")
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// The longest run of digits (ASCII or full-width), counting a trailing `X`/`x` after at
/// least 17 digits as part of it.
fn longest_digit_run(s: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    for c in s.chars() {
        if is_digit(c) || (run >= 17 && matches!(c, 'X' | 'x' | 'Ｘ')) {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// Whether `masked` is the canonical mask (SPEC §1) for its ID type.
pub fn is_canonical_mask(id_type: &str, masked: &str) -> bool {
    let chars: Vec<char> = masked.chars().collect();
    if is_resident(id_type) {
        return chars.len() == 18
            && chars[..4].iter().all(char::is_ascii_digit)
            && chars[4..14].iter().all(|c| *c == '*')
            && chars[14..17].iter().all(char::is_ascii_digit)
            && (chars[17].is_ascii_digit() || chars[17] == 'X');
    }
    let n = chars.len();
    let keep = match n {
        0 => return false,
        1..=2 => 0,
        3..=4 => 1,
        _ => 2,
    };
    let shown = |c: &char| *c != '*';
    chars[..keep].iter().all(shown)
        && chars[n - keep..].iter().all(shown)
        && chars[keep..n - keep].iter().all(|c| *c == '*')
}

fn check_mask(id_type: &str, masked: &str) -> Vec<Finding> {
    if masked.trim().is_empty() || is_canonical_mask(id_type, masked) {
        return Vec::new(); // An empty mask is R4's.
    }
    let full = !masked.contains('*') && longest_digit_run(masked) >= ID_RUN;
    let finding = if full {
        Finding::fail(
            R,
            "证件号码字段含完整证件号码",
            "the masked ID field holds a full ID number",
        )
    } else if is_resident(id_type) {
        Finding::fail(
            R,
            "证件号码脱敏形式不规范（应为前 4 位 + 10 个 * + 后 4 位）",
            "the masked ID number is not in the canonical form (first 4 + 10 * + last 4)",
        )
    } else {
        Finding::fail(
            R,
            "证件号码脱敏形式不规范（应为前 2 位 + * + 后 2 位）",
            "the masked ID number is not in the canonical form (first 2 + * + last 2)",
        )
    };
    vec![finding.fact("field", "id_masked")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_masks() {
        assert!(is_canonical_mask("居民身份证", "5001**********3616"));
        assert!(is_canonical_mask("", "5105**********472X"));
        assert!(!is_canonical_mask("居民身份证", "500153********3616"));
        assert!(!is_canonical_mask("居民身份证", "500153198804123616"));
        assert!(!is_canonical_mask("居民身份证", "5001**********361x"));
        assert!(is_canonical_mask("护照", "E1*****78"));
        assert!(is_canonical_mask("护照", "A**D"));
        assert!(is_canonical_mask("护照", "**"));
        assert!(!is_canonical_mask("护照", "E12****78"));
        assert!(!is_canonical_mask("护照", "E12345678"));
    }

    #[test]
    fn digit_runs() {
        assert_eq!(longest_digit_run("王伟"), 0);
        assert_eq!(longest_digit_run("ab500153198804123616cd"), 18);
        assert_eq!(longest_digit_run("51052119920305472X"), 18);
        assert_eq!(longest_digit_run("５００１５３"), 6);
        assert_eq!(longest_digit_run("BA500153-01"), 6);
    }
}
