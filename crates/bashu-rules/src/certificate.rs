//! R2–R5: the certificate against its institution and filing, its fields, its level.

use bashu_core::codec::Certificate;
use bashu_core::id::CertNoKind;
use bashu_core::record::{CertType, FilingType, Institution};
use bashu_core::{CertNo, Date};

use crate::messages::{
    cert_type_en, filing_status_en, filing_status_zh, filing_type_en, filing_type_zh, level_en,
    level_zh,
};
use crate::snapshot::Snapshot;
use crate::status::{filing_change_on, is_inactive};
use crate::verdict::{Finding, RuleId};

fn is_legacy(cert: &Certificate) -> bool {
    CertNo::parse(&cert.cert_no).is_ok_and(|n| n.kind() == CertNoKind::Legacy)
}

/// R2: the printed institution name equals the filed institution's name.
pub fn check_printed_name(cert: &Certificate, institution: Option<&Institution>) -> Vec<Finding> {
    const R: RuleId = RuleId::R2;
    let printed = cert.institution_name_printed.as_str();
    if printed.trim().is_empty() {
        return Vec::new(); // R4 reports the missing name.
    }
    let uscc = cert.institution_uscc.as_str();
    let finding = match institution {
        None if is_legacy(cert) => Finding::info(
            R,
            format!("旧版职业资格证书的发证机构 {uscc} 不在数据中，未核对机构名称"),
            format!(
                "the issuer {uscc} of this legacy qualification certificate is not in the replicated data; its name was not checked"
            ),
        ),
        None => Finding::review(
            R,
            format!("机构 {uscc} 不在数据中，无法核对印制的机构名称「{printed}」"),
            format!(
                "institution {uscc} is not in the replicated data, so the printed name \"{printed}\" cannot be checked"
            ),
        ),
        Some(inst) if inst.name == printed => return Vec::new(),
        Some(inst) => Finding::fail(
            R,
            format!("证书印制的机构名称「{printed}」与备案名称「{}」不一致", inst.name),
            format!(
                "the institution name printed on the certificate, \"{printed}\", differs from the filed name \"{}\"",
                inst.name
            ),
        )
        .fact("filed_name", &inst.name),
    };
    vec![
        finding
            .fact("institution_uscc", uscc)
            .fact("printed_name", printed),
    ]
}

/// R3: a filing of the issuing institution was ACTIVE on the issue date and covers the
/// certificate. Later changes reach back only when they name the certificate.
pub fn check_filing(snap: &dyn Snapshot, cert: &Certificate) -> Vec<Finding> {
    const R: RuleId = RuleId::R3;
    let no = cert.filing_no.trim();
    if no.is_empty() {
        if is_legacy(cert) {
            return vec![Finding::info(
                R,
                "旧版职业资格证书不要求评价机构备案",
                "a legacy qualification certificate needs no evaluation-institution filing",
            )];
        }
        return vec![Finding::review(
            R,
            "证书未载明备案编号，无法核对备案",
            "the certificate names no filing, so the filing cannot be checked",
        )];
    }
    let Some(filing) = snap.filing(no) else {
        return vec![
            Finding::review(
                R,
                format!("备案 {no} 不在数据中"),
                format!("filing {no} is not in the replicated data"),
            )
            .fact("filing_no", no),
        ];
    };
    let Some(issued) = cert.issue_date() else {
        return Vec::new(); // R4 reports the date.
    };
    let mut out = Vec::new();
    let fact = |f: Finding| f.fact("filing_no", no).fact("issue_date", issued);

    if filing.institution_uscc.as_str() != cert.institution_uscc {
        out.push(fact(
            Finding::fail(
                R,
                format!(
                    "备案 {no} 属于机构 {}，不属于发证机构 {}",
                    filing.institution_uscc, cert.institution_uscc
                ),
                format!(
                    "filing {no} belongs to institution {}, not to the issuer {}",
                    filing.institution_uscc, cert.institution_uscc
                ),
            )
            .fact("filing_institution", &filing.institution_uscc),
        ));
    }
    let needed = match cert.cert_type {
        Some(CertType::SkillLevel | CertType::TopTechnician) => Some(FilingType::SkillLevel),
        Some(CertType::SpecialAbility) => Some(FilingType::SpecialAbility),
        Some(CertType::Qualification) | None => None,
    };
    let mismatch = needed
        .filter(|n| *n != filing.filing_type)
        .and(cert.cert_type);
    if let Some(t) = mismatch {
        out.push(fact(Finding::fail(
            R,
            format!(
                "备案 {no} 是{}，不能颁发{}",
                filing_type_zh(filing.filing_type),
                t.label_zh()
            ),
            format!(
                "filing {no} is {}, which does not allow issuing {}",
                filing_type_en(filing.filing_type),
                cert_type_en(t)
            ),
        )));
    }
    if issued < filing.effective_from {
        out.push(fact(
            Finding::fail(
                R,
                format!(
                    "发证日期 {issued} 早于备案 {no} 的生效日期 {}",
                    filing.effective_from
                ),
                format!(
                    "issue date {issued} is before filing {no} took effect on {}",
                    filing.effective_from
                ),
            )
            .fact("effective_from", filing.effective_from),
        ));
    }
    if let Some(to) = filing.effective_to.filter(|to| issued > *to) {
        out.push(fact(
            Finding::fail(
                R,
                format!("发证日期 {issued} 晚于备案 {no} 的截止日期 {to}"),
                format!("issue date {issued} is after filing {no} ended on {to}"),
            )
            .fact("effective_to", to),
        ));
    }
    let mut changes = snap.filing_status_changes(no);
    changes.sort_by_key(|c| (c.effective_at, c.record_id()));
    if let Some(c) = filing_change_on(&changes, issued).filter(|c| is_inactive(c.status)) {
        out.push(fact(
            Finding::fail(
                R,
                format!(
                    "发证日期 {issued} 时备案 {no} 已{}",
                    filing_status_zh(c.status)
                ),
                format!(
                    "filing {no} was {} on the issue date {issued}",
                    filing_status_en(c.status)
                ),
            )
            .fact("filing_status", format!("{:?}", c.status).to_uppercase())
            .fact("status_effective_at", c.effective_at),
        ));
    }
    // A later change reaches back only to the certificates it names.
    for c in changes.iter().filter(|c| {
        c.effective_at > issued
            && is_inactive(c.status)
            && c.affected_certificates.iter().any(|a| a == &cert.cert_no)
    }) {
        out.push(fact(
            Finding::fail(
                R,
                format!(
                    "备案 {no} 于 {} {}，该决定点名本证书",
                    c.effective_at,
                    filing_status_zh(c.status)
                ),
                format!(
                    "filing {no} was {} on {} and that decision names this certificate",
                    filing_status_en(c.status),
                    c.effective_at
                ),
            )
            .fact("filing_status", format!("{:?}", c.status).to_uppercase())
            .fact("status_effective_at", c.effective_at),
        ));
    }
    if let Some(level) = cert.level {
        let covered = filing
            .scope
            .iter()
            .any(|s| s.covers(&cert.occupation_code, &cert.work_type, level));
        if !covered {
            out.push(fact(
                Finding::fail(
                    R,
                    format!(
                        "备案 {no} 的范围不包括 {} {} 工种「{}」{}",
                        cert.occupation_code,
                        cert.occupation_name,
                        cert.work_type,
                        level_zh(level)
                    ),
                    format!(
                        "the scope of filing {no} does not cover {} ({}), work type \"{}\", {}",
                        cert.occupation_code,
                        cert.occupation_name,
                        cert.work_type,
                        level_en(level)
                    ),
                )
                .fact("occupation_code", &cert.occupation_code)
                .fact("work_type", &cert.work_type)
                .fact("level", level.digit()),
            ));
        }
    }
    out
}

/// R4: required fields are present.
pub fn check_required_fields(cert: &Certificate) -> Vec<Finding> {
    const R: RuleId = RuleId::R4;
    let missing = |zh: &str, en: &str, field: &str| {
        Finding::fail(
            R,
            format!("缺少必填项「{zh}」"),
            format!("required field \"{en}\" is missing"),
        )
        .fact("field", field)
    };
    let blank = |s: &str| s.trim().is_empty();
    let mut out = Vec::new();
    if blank(&cert.name) {
        out.push(missing("姓名", "name", "name"));
    }
    if blank(&cert.id_type) {
        out.push(missing("证件类型", "ID type", "id_type"));
    }
    if blank(&cert.id_masked) {
        out.push(missing("证件号码（脱敏）", "masked ID number", "id_masked"));
    }
    if blank(&cert.occupation_name) {
        out.push(missing("职业名称", "occupation name", "occupation_name"));
    }
    if blank(&cert.work_type) {
        out.push(
            Finding::fail(
                R,
                "工种/职业方向为空（无工种时应填 --）",
                "work type is empty (write -- when there is none)",
            )
            .fact("field", "work_type"),
        );
    }
    if cert.level.is_none() {
        out.push(missing("职业技能等级", "level", "level"));
    }
    if blank(&cert.cert_no) {
        out.push(missing("证书编号", "certificate number", "cert_no"));
    }
    if blank(&cert.issue_date) {
        out.push(missing("发证日期", "issue date", "issue_date"));
    } else if Date::parse(&cert.issue_date).is_err() {
        out.push(
            Finding::fail(
                R,
                format!("发证日期「{}」不是有效日期", cert.issue_date),
                format!("issue date \"{}\" is not a valid date", cert.issue_date),
            )
            .fact("field", "issue_date"),
        );
    }
    if blank(&cert.institution_name_printed) {
        out.push(missing(
            "评价机构名称",
            "institution name",
            "institution_name_printed",
        ));
    }
    out
}

/// R5: the high-skill flag (三级 and above, 特级技师 included), the one derivation.
pub fn check_high_skill(cert: &Certificate) -> Vec<Finding> {
    const R: RuleId = RuleId::R5;
    let Some(level) = cert.level else {
        return Vec::new();
    };
    let high = level.is_high_skill();
    let (zh, en) = if high {
        (
            format!("{} 属于高技能人才", level_zh(level)),
            format!("{} counts as high-skill", level_en(level)),
        )
    } else {
        (
            format!("{} 不属于高技能人才", level_zh(level)),
            format!("{} does not count as high-skill", level_en(level)),
        )
    };
    vec![
        Finding::info(R, zh, en)
            .fact("high_skill", high)
            .fact("level", level.digit()),
    ]
}
