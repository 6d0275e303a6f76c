//! R1: the certificate number is well-formed and consistent with the record.

use bashu_core::codec::Certificate;
use bashu_core::id::CertNoKind;
use bashu_core::record::{Institution, InstitutionKind};
use bashu_core::{CertNo, Date, Level};

use crate::messages::{institution_kind_en, institution_kind_zh, level_en, level_zh};
use crate::verdict::{Finding, RuleId};

const R: RuleId = RuleId::R1;

/// R1 findings for a certificate, given its issuing institution when known.
pub fn check_number(cert: &Certificate, institution: Option<&Institution>) -> Vec<Finding> {
    let Ok(no) = CertNo::parse(&cert.cert_no) else {
        return vec![Finding::fail(
            R,
            "证书编号为空",
            "the certificate number is empty",
        )];
    };
    let n = no.as_str();
    let mut out = Vec::new();
    match no.kind() {
        CertNoKind::Unknown => out.push(
            Finding::review(
                R,
                format!("证书编号 {n} 不符合任何已知编码规则，需人工核验"),
                format!(
                    "certificate number {n} follows no known numbering scheme; check it by hand"
                ),
            )
            .fact("cert_no", n),
        ),
        CertNoKind::TopTechnician => {
            if let Some(level) = cert.level.filter(|l| *l != Level::Top) {
                out.push(
                    Finding::fail(
                        R,
                        format!("证书编号 {n} 是特级技师证书编号，但证书等级为 {}", level_zh(level)),
                        format!(
                            "certificate number {n} is a top-technician number but the certificate is {}",
                            level_en(level)
                        ),
                    )
                    .fact("cert_no", n)
                    .fact("level", level.digit()),
                );
            }
        }
        CertNoKind::Legacy => {
            out.extend(level_digit(&no, cert));
            out.extend(year_digits(&no, cert));
        }
        CertNoKind::Current => {
            out.extend(level_digit(&no, cert));
            out.extend(year_digits(&no, cert));
            match institution {
                Some(inst) => out.extend(institution_segments(&no, inst)),
                None => out.push(
                    Finding::review(
                        R,
                        format!(
                            "机构 {} 不在数据中，无法核对证书编号 {n} 的机构类别、机构代码和省份",
                            cert.institution_uscc
                        ),
                        format!(
                            "institution {} is not in the replicated data, so the institution kind, code and province of certificate number {n} cannot be checked",
                            cert.institution_uscc
                        ),
                    )
                    .fact("cert_no", n)
                    .fact("institution_uscc", &cert.institution_uscc),
                ),
            }
        }
    }
    out
}

fn level_digit(no: &CertNo, cert: &Certificate) -> Option<Finding> {
    let n = no.as_str();
    let digit = no.level_digit()?;
    let position = if no.kind() == CertNoKind::Legacy {
        11
    } else {
        16
    };
    let Some(implied) = no.implied_level() else {
        return Some(
            Finding::fail(
                R,
                format!("证书编号 {n} 第 {position} 位的等级代码 {digit} 不是 1–5"),
                format!(
                    "certificate number {n} has level digit {digit} at position {position}, not 1-5"
                ),
            )
            .fact("cert_no", n)
            .fact("level_digit", digit),
        );
    };
    let level = cert.level?;
    (implied != level).then(|| {
        Finding::fail(
            R,
            format!(
                "证书编号 {n} 第 {position} 位的等级代码为 {digit}，但证书等级为 {}",
                level_zh(level)
            ),
            format!(
                "certificate number {n} has level digit {digit} at position {position} but the certificate is {}",
                level_en(level)
            ),
        )
        .fact("cert_no", n)
        .fact("level", level.digit())
        .fact("level_digit", digit)
    })
}

fn year_digits(no: &CertNo, cert: &Certificate) -> Option<Finding> {
    let n = no.as_str();
    let yy = no.year2()?;
    let issued = Date::parse(&cert.issue_date).ok()?;
    let expected = u32::try_from(issued.year().rem_euclid(100)).ok()?;
    (yy != expected).then(|| {
        Finding::fail(
            R,
            format!("证书编号 {n} 的年份代码为 {yy:02}，但发证日期为 {issued}"),
            format!("certificate number {n} has year digits {yy:02} but was issued on {issued}"),
        )
        .fact("cert_no", n)
        .fact("issue_date", issued)
        .fact("year_digits", format!("{yy:02}"))
    })
}

fn institution_segments(no: &CertNo, inst: &Institution) -> Vec<Finding> {
    let n = no.as_str();
    let mut out = Vec::new();
    let letter = no.issuer_kind().unwrap_or('?');
    let expected = match letter {
        'Y' => InstitutionKind::Y,
        _ => InstitutionKind::S,
    };
    if inst.kind != expected {
        let letter_zh = institution_kind_zh(expected);
        out.push(
            Finding::fail(
                R,
                format!(
                    "证书编号 {n} 以 {letter}（{letter_zh}）开头，但机构 {} 的类别为{}",
                    inst.name,
                    institution_kind_zh(inst.kind)
                ),
                format!(
                    "certificate number {n} starts with {letter} ({}) but institution {} is {}",
                    institution_kind_en(expected),
                    inst.name,
                    institution_kind_en(inst.kind)
                ),
            )
            .fact("cert_no", n)
            .fact(
                "institution_kind",
                format!("{:?}", inst.kind).to_uppercase(),
            )
            .fact("number_kind", letter),
        );
    }
    let code = no.institution_code().unwrap_or_default();
    if code != inst.mohrss_code {
        out.push(
            Finding::fail(
                R,
                format!(
                    "证书编号 {n} 的机构代码为 {code}，但机构 {} 的部备案代码为 {}",
                    inst.name, inst.mohrss_code
                ),
                format!(
                    "certificate number {n} has institution code {code} but institution {} has MOHRSS code {}",
                    inst.name, inst.mohrss_code
                ),
            )
            .fact("cert_no", n)
            .fact("institution_code", code)
            .fact("mohrss_code", &inst.mohrss_code),
        );
    }
    let province = no.province2().unwrap_or_default();
    if province != inst.province_code2 {
        out.push(
            Finding::fail(
                R,
                format!(
                    "证书编号 {n} 的省份代码为 {province}，但机构 {} 的省份代码为 {}",
                    inst.name, inst.province_code2
                ),
                format!(
                    "certificate number {n} has province code {province} but institution {} is in province {}",
                    inst.name, inst.province_code2
                ),
            )
            .fact("cert_no", n)
            .fact("institution_province", &inst.province_code2)
            .fact("number_province", province),
        );
    }
    out
}
