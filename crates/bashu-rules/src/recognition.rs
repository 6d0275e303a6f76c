//! The recognition check: may county C recognise this certificate? R1–R5, the batch's
//! panel rules R7–R11, R12 for competition promotions, R14, R16.

use bashu_core::codec::Certificate;
use bashu_core::record::{CertSource, CertStatus};
use bashu_core::{CountyCode, Date, OccupationCode};

use crate::batch::panel_findings;
use crate::certificate::{
    check_filing, check_high_skill, check_printed_name, check_required_fields,
};
use crate::messages::{cert_status_en, level_en, level_zh};
use crate::number::check_number;
use crate::pii::check_personal_data;
use crate::promotion::promotion_findings;
use crate::snapshot::{AuthorStanding, CertificateRef, Snapshot};
use crate::status::certificate_status_on;
use crate::verdict::{CheckKind, Finding, RuleId, Severity, Verdict};

const R14: RuleId = RuleId::R14;

/// Certificate recognition in county C (SPEC §3): R1, R2, R3, R4, R5, R14, R16; R7–R11 of
/// the batch the certificate names; R12 of the result a competition promotion names.
pub fn check_recognition(
    snap: &dyn Snapshot,
    cert: &CertificateRef,
    county: &CountyCode,
    as_of: Date,
) -> Verdict {
    let c = &cert.certificate;
    let institution = snap.institution(&c.institution_uscc);
    let mut findings = check_number(c, institution.as_ref());
    findings.extend(check_printed_name(c, institution.as_ref()));
    findings.extend(check_filing(snap, c));
    findings.extend(check_required_fields(c));
    findings.extend(check_high_skill(c));
    findings.extend(batch_findings(snap, cert, county));
    findings.extend(competition_findings(snap, c, county, as_of));
    let r14 = check_acceptance(snap, cert, county, as_of, &findings);
    findings.extend(r14);
    findings.extend(check_personal_data(c));
    Verdict::from_findings(
        CheckKind::Recognition,
        &c.cert_no,
        Some(county.clone()),
        as_of,
        snap.log_sizes(),
        findings,
    )
}

/// The batch the certificate names: R7–R11 of it, or R14 REVIEW when it is missing (or
/// required and not named), or does not match the certificate.
fn batch_findings(snap: &dyn Snapshot, cert: &CertificateRef, county: &CountyCode) -> Vec<Finding> {
    let c = &cert.certificate;
    let id = c.batch_id.trim();
    if id.is_empty() {
        let assessed = matches!(c.source, Some(CertSource::Assessment) | None);
        let high = c.level.is_some_and(|l| l.is_high_skill());
        if snap.params().require_batch_for_high_skill && high && assessed {
            return vec![Finding::review(
                R14,
                "高技能证书须载明认定批次，本证书未载明",
                "a high-skill certificate must name an assessment batch and this one names none",
            )];
        }
        return Vec::new();
    }
    let Some(batch) = snap.batch(id) else {
        return vec![
            Finding::review(
                R14,
                format!("认定批次 {id} 不在数据中"),
                format!("assessment batch {id} is not in the replicated data"),
            )
            .fact("batch_id", id),
        ];
    };
    let mut out = Vec::new();
    let key = hex::encode(&c.person_key);
    let mut mismatched: Vec<(&str, &str)> = Vec::new();
    if batch.occupation_code.as_str() != c.occupation_code {
        mismatched.push(("职业", "occupation"));
    }
    if Some(batch.level) != c.level {
        mismatched.push(("等级", "level"));
    }
    if batch.institution_uscc.as_str() != c.institution_uscc {
        mismatched.push(("评价机构", "institution"));
    }
    if !batch
        .candidates
        .iter()
        .any(|k| k.person_key.eq_ignore_ascii_case(&key))
    {
        mismatched.push(("考生名单", "candidate list"));
    }
    if !mismatched.is_empty() {
        let (zh, en): (Vec<&str>, Vec<&str>) = mismatched.into_iter().unzip();
        out.push(
            Finding::review(
                R14,
                format!("证书与认定批次 {id} 不符：{}", zh.join("、")),
                format!(
                    "the certificate does not match assessment batch {id}: {}",
                    en.join(", ")
                ),
            )
            .fact("batch_id", id),
        );
    }
    // Recognition elsewhere is exactly "offered for alliance recognition".
    let offered = batch.offered_for_alliance || county != &cert.author;
    out.extend(panel_findings(snap, &batch, offered));
    out
}

/// R12 of the result a competition-promotion certificate names.
fn competition_findings(
    snap: &dyn Snapshot,
    c: &Certificate,
    county: &CountyCode,
    as_of: Date,
) -> Vec<Finding> {
    const R12: RuleId = RuleId::R12;
    if c.source != Some(CertSource::Competition) {
        return Vec::new();
    }
    let id = c.competition_result_id.trim();
    if id.is_empty() {
        return vec![Finding::review(
            R12,
            "竞赛晋升证书未载明竞赛成绩",
            "a competition-promotion certificate names no competition result",
        )];
    }
    let Some(result) = snap.competition_result(id) else {
        return vec![
            Finding::review(
                R12,
                format!("竞赛成绩 {id} 不在数据中"),
                format!("competition result {id} is not in the replicated data"),
            )
            .fact("result_id", id),
        ];
    };
    if !result
        .person_key
        .eq_ignore_ascii_case(&hex::encode(&c.person_key))
    {
        return vec![
            Finding::fail(
                R12,
                format!("竞赛成绩 {id} 属于另一人"),
                format!("competition result {id} belongs to another person"),
            )
            .fact("result_id", id),
        ];
    }
    let (mut out, promoted) = promotion_findings(snap, &result, Some(county), as_of);
    if let (Some(p), Some(l)) = (promoted, c.level) {
        if p != l {
            out.push(
                Finding::fail(
                    R12,
                    format!(
                        "证书等级 {} 与竞赛晋升等级 {} 不符",
                        level_zh(l),
                        level_zh(p)
                    ),
                    format!(
                        "the certificate's {} differs from the promoted {}",
                        level_en(l),
                        level_en(p)
                    ),
                )
                .fact("level", l.digit())
                .fact("promoted_level", p.digit()),
            );
        }
    }
    out
}

/// R14: may county C accept the certificate?
fn check_acceptance(
    snap: &dyn Snapshot,
    cert: &CertificateRef,
    county: &CountyCode,
    as_of: Date,
    earlier: &[Finding],
) -> Vec<Finding> {
    let c = &cert.certificate;
    let scope = &snap.params().recognition_scope;
    let mut out = Vec::new();
    let (author, seq) = (&cert.author, cert.seq);
    match snap.author_standing(author, seq) {
        AuthorStanding::Member => {}
        AuthorStanding::NotMember => out.push(
            Finding::fail(
                R14,
                format!("{author} 在日志位置 {seq} 时不是联盟成员"),
                format!("{author} was not an alliance member at log position {seq}"),
            )
            .fact("author", author)
            .fact("seq", seq),
        ),
        AuthorStanding::Frozen => out.push(
            Finding::fail(
                R14,
                format!("{author} 的日志在位置 {seq} 之前已因分叉被冻结"),
                format!("the log of {author} is frozen (equivocation) before position {seq}"),
            )
            .fact("author", author)
            .fact("seq", seq),
        ),
    }
    let mut failed: Vec<RuleId> = earlier
        .iter()
        .filter(|f| f.severity == Severity::Fail && f.rule <= RuleId::R4)
        .map(|f| f.rule)
        .collect();
    failed.dedup();
    if !failed.is_empty() {
        let names: Vec<&str> = failed.iter().map(|r| r.as_str()).collect();
        out.push(
            Finding::fail(
                R14,
                format!("{} 未通过", names.join("、")),
                format!("{} did not pass", names.join(", ")),
            )
            .fact("failed_rules", names.join(",")),
        );
    }
    out.extend(status_finding(snap, cert, as_of));
    let occupation = snap.occupation(&c.occupation_code);
    if occupation.as_ref().is_some_and(|o| o.access_controlled) && !scope.include_access_controlled
    {
        out.push(
            Finding::fail(
                R14,
                format!(
                    "{} {} 属准入类职业资格，不在互认范围内",
                    c.occupation_code, c.occupation_name
                ),
                format!(
                    "{} ({}) is a 准入类 licensing qualification, outside the recognition scope",
                    c.occupation_code, c.occupation_name
                ),
            )
            .fact("occupation_code", &c.occupation_code),
        );
    }
    match c.cert_type {
        Some(t) if scope.cert_types.contains(&t) => {}
        Some(t) => out.push(
            Finding::fail(
                R14,
                format!("证书类型「{}」不在互认范围内", t.label_zh()),
                format!(
                    "certificate type {} is outside the recognition scope",
                    t.as_code()
                ),
            )
            .fact("cert_type", t.as_code()),
        ),
        None => out.push(Finding::review(
            R14,
            "证书类型无法识别",
            "the certificate type is not recognisable",
        )),
    }
    let occ = OccupationCode::parse(&c.occupation_code).ok();
    let allowed = match (&scope.occupations_allowed, &occ) {
        (None, _) => true,
        (Some(list), Some(o)) => list.contains(o),
        (Some(_), None) => false,
    };
    let excluded = occ
        .as_ref()
        .is_some_and(|o| scope.occupations_excluded.contains(o));
    if !allowed || excluded {
        out.push(
            Finding::fail(
                R14,
                format!("职业 {} 不在互认范围内", c.occupation_code),
                format!(
                    "occupation {} is outside the recognition scope",
                    c.occupation_code
                ),
            )
            .fact("occupation_code", &c.occupation_code),
        );
    }
    if let (Some(levels), Some(l)) = (&scope.levels, c.level) {
        if !levels.contains(&l) {
            out.push(
                Finding::fail(
                    R14,
                    format!("等级 {} 不在互认范围内", level_zh(l)),
                    format!("{} is outside the recognition scope", level_en(l)),
                )
                .fact("level", l.digit()),
            );
        }
    }
    if !snap.members().contains(county) {
        out.push(
            Finding::fail(
                R14,
                format!("{county} 不是联盟成员"),
                format!("{county} is not an alliance member"),
            )
            .fact("county", county),
        );
    }
    out
}

/// R14: the certificate is in force on `as_of`.
fn status_finding(snap: &dyn Snapshot, cert: &CertificateRef, as_of: Date) -> Option<Finding> {
    let c = &cert.certificate;
    let changes = snap.certificate_status_changes(&cert.author, &c.cert_no);
    let Some(status) = certificate_status_on(c, &changes, as_of) else {
        return Some(Finding::review(
            R14,
            "证书状态无法识别",
            "the certificate's status is not recognisable",
        ));
    };
    if status.in_force() {
        return None;
    }
    let (zh, en) = match status.status {
        CertStatus::Cancelled => ("注销", cert_status_en(CertStatus::Cancelled)),
        _ => ("撤销", cert_status_en(CertStatus::Revoked)),
    };
    let f = match status.since {
        Some(d) => Finding::fail(
            R14,
            format!("证书已于 {d} {zh}"),
            format!("the certificate was {en} on {d}"),
        )
        .fact("status_effective_date", d),
        None => Finding::fail(
            R14,
            format!("证书已{zh}"),
            format!("the certificate has been {en}"),
        ),
    };
    Some(
        f.fact("status", status.status.as_code())
            .fact("as_of", as_of)
            .fact("reason", status.reason),
    )
}
