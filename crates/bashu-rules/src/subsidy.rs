//! R15: skill-upgrade subsidy claims (home node only).

use serde::{Deserialize, Serialize};

use bashu_core::{Date, Level, OccupationCode};

use crate::messages::{key_short, level_en, level_zh};
use crate::snapshot::Snapshot;
use crate::status::{add_months, certificate_status_on};
use crate::verdict::{CheckKind, Finding, RuleId, Severity, Verdict};

const R: RuleId = RuleId::R15;

/// A skill-upgrade subsidy claim 技能提升补贴申领.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubsidyClaim {
    /// Hex of the claimant's person key.
    pub person_key: String,
    pub occupation_code: OccupationCode,
    pub level: Level,
    /// Issue date of the certificate the claim is for.
    pub cert_issue_date: Date,
    pub claim_date: Date,
}

impl SubsidyClaim {
    /// `a1b2c3d4/6-18-02-04/3/2024-03-01`: what a verdict is about.
    pub fn subject(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            key_short(&self.person_key),
            self.occupation_code,
            self.level.digit(),
            self.claim_date
        )
    }

    fn person(&self) -> String {
        self.person_key.trim().to_ascii_lowercase()
    }
}

/// R15 for a list of claims: one verdict per claim, in the order given. Claims are judged
/// in date order (claim date, then person, occupation, level, issue date, position), and
/// only claims not refused count towards the yearly limit and the one claim per (person,
/// occupation, level).
pub fn check_subsidy(snap: &dyn Snapshot, claims: &[SubsidyClaim], as_of: Date) -> Vec<Verdict> {
    let mut order: Vec<usize> = (0..claims.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |c: &SubsidyClaim| {
            (
                c.claim_date,
                c.person(),
                c.occupation_code.clone(),
                c.level.digit(),
                c.cert_issue_date,
            )
        };
        (key(&claims[a]), a).cmp(&(key(&claims[b]), b))
    });
    let mut counted: Vec<&SubsidyClaim> = Vec::new();
    let mut verdicts: Vec<Option<Verdict>> = vec![None; claims.len()];
    for i in order {
        let claim = &claims[i];
        let findings = check_claim(snap, claim, &counted);
        if !findings.iter().any(|f| f.severity == Severity::Fail) {
            counted.push(claim);
        }
        verdicts[i] = Some(Verdict::from_findings(
            CheckKind::Subsidy,
            claim.subject(),
            None,
            as_of,
            snap.log_sizes(),
            findings,
        ));
    }
    verdicts.into_iter().flatten().collect()
}

fn check_claim(
    snap: &dyn Snapshot,
    claim: &SubsidyClaim,
    counted: &[&SubsidyClaim],
) -> Vec<Finding> {
    let params = &snap.params().subsidy;
    let (level, issued, claimed) = (claim.level, claim.cert_issue_date, claim.claim_date);
    let occ = &claim.occupation_code;
    let mut out = Vec::new();
    if !params.levels.contains(&level) {
        let allowed_zh: Vec<&str> = params.levels.iter().rev().map(|l| level_zh(*l)).collect();
        let allowed_en: Vec<String> = params
            .levels
            .iter()
            .rev()
            .map(|l| l.digit().to_string())
            .collect();
        out.push(
            Finding::fail(
                R,
                format!(
                    "技能提升补贴只适用于 {}，本证书为 {}",
                    allowed_zh.join("、"),
                    level_zh(level)
                ),
                format!(
                    "the skill-upgrade subsidy covers levels {} only; this certificate is {}",
                    allowed_en.join(", "),
                    level_en(level)
                ),
            )
            .fact("level", level.digit()),
        );
    }
    let months = params.claim_within_months;
    let deadline = add_months(issued, months);
    if claimed < issued {
        out.push(
            Finding::fail(
                R,
                format!("申领日期 {claimed} 早于发证日期 {issued}"),
                format!("claim date {claimed} is before the issue date {issued}"),
            )
            .fact("claim_date", claimed)
            .fact("issue_date", issued),
        );
    } else if claimed > deadline {
        out.push(
            Finding::fail(
                R,
                format!("申领日期 {claimed} 超过发证日期 {issued} 后 {months} 个月（{deadline}）"),
                format!(
                    "claim date {claimed} is more than {months} months after the issue date {issued} (deadline {deadline})"
                ),
            )
            .fact("claim_date", claimed)
            .fact("deadline", deadline),
        );
    }
    let person = claim.person();
    let year = claimed.year();
    let max = params.max_claims_per_person_per_year;
    let this_year = counted
        .iter()
        .filter(|c| c.person() == person && c.claim_date.year() == year)
        .count();
    if this_year >= usize::try_from(max).unwrap_or(usize::MAX) {
        out.push(
            Finding::fail(
                R,
                format!("该人员 {year} 年已申领 {this_year} 次，每年最多 {max} 次"),
                format!(
                    "this person already claimed {this_year} times in {year}; at most {max} per year"
                ),
            )
            .fact("claims_this_year", this_year)
            .fact("year", year),
        );
    }
    if let Some(dup) = counted
        .iter()
        .find(|c| c.person() == person && &c.occupation_code == occ && c.level == level)
    {
        out.push(
            Finding::fail(
                R,
                format!(
                    "该人员已就 {occ} {} 申领过补贴（{}）",
                    level_zh(level),
                    dup.claim_date
                ),
                format!(
                    "this person already claimed for {occ} {} (on {})",
                    level_en(level),
                    dup.claim_date
                ),
            )
            .fact("earlier_claim_date", dup.claim_date),
        );
    }
    if !certificate_held(snap, claim) {
        out.push(
            Finding::review(
                R,
                format!(
                    "数据中没有与申领相符的有效证书（{occ} {}，发证日期 {issued}）",
                    level_zh(level)
                ),
                format!(
                    "no certificate in force matching the claim ({occ}, {}, issued {issued}) is in the replicated data",
                    level_en(level)
                ),
            )
            .fact("occupation_code", occ)
            .fact("issue_date", issued),
        );
    }
    out
}

/// Whether the claimant holds a matching certificate, in force on the claim date.
fn certificate_held(snap: &dyn Snapshot, claim: &SubsidyClaim) -> bool {
    let Ok(key) = hex::decode(claim.person()) else {
        return false;
    };
    snap.certificates_of_person(&key).iter().any(|r| {
        let c = &r.certificate;
        c.occupation_code == claim.occupation_code.as_str()
            && c.level == Some(claim.level)
            && c.issue_date() == Some(claim.cert_issue_date)
            && certificate_status_on(
                c,
                &snap.certificate_status_changes(&r.author, &c.cert_no),
                claim.claim_date,
            )
            .is_some_and(|s| s.in_force())
    })
}
