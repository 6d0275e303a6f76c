//! Which experts of the shared pool could join a batch's panel without breaking R8–R11.

use bashu_core::record::{AssessmentBatch, Expert, ExpertStatus, PanelRole};
use bashu_core::{CountyCode, Date, Level, OccupationCode};

use crate::assessor::qualification;
use crate::messages::{expert_en, expert_status_en, expert_status_zh, expert_zh};
use crate::recusal::{Judged, Seat, candidates, conflicts, y_exception};
use crate::rotation::{consecutive_finding, earlier_batches};
use crate::snapshot::Snapshot;
use crate::supervision::can_supervise_from_outside;
use crate::verdict::{Finding, RuleId, Severity};

/// One expert of the pool and whether they could sit on the panel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpertEligibility {
    pub expert_id: String,
    pub name: String,
    /// No FAIL and no REVIEW finding.
    pub eligible: bool,
    /// The reasons (FAIL / REVIEW), and INFO such as "can be the external supervisor".
    pub findings: Vec<Finding>,
}

/// Every expert of the pool, by expert id, with whether they could join `batch`'s panel as
/// an assessor for (`occupation`, `level`): ACTIVE, shared with the institution's county,
/// qualified on the exam date and still holding a valid card on `as_of` (R8), no conflict
/// with a candidate (R9), within the rotation limit (R10). R11 is reported as INFO: whether
/// the expert could be the batch's external supervisor.
pub fn eligible_experts(
    snap: &dyn Snapshot,
    batch: &AssessmentBatch,
    occupation: &OccupationCode,
    level: Level,
    as_of: Date,
) -> Vec<ExpertEligibility> {
    let home = snap
        .institution(batch.institution_uscc.as_str())
        .map(|i| i.division_code);
    let parties = candidates(batch);
    let allowed = y_exception(snap, batch);
    let earlier = earlier_batches(snap, batch);
    let mut experts = snap.experts();
    experts.sort_by(|a, b| a.expert_id.cmp(&b.expert_id));
    experts.dedup_by(|a, b| a.expert_id == b.expert_id);
    experts
        .into_iter()
        .map(|e| {
            let mut findings = pool_findings(&e, home.as_ref(), &batch.institution_uscc);
            let qualified = qualification(
                &snap.params().assessor,
                &e,
                occupation,
                level,
                batch.exam_date,
            );
            if qualified.is_empty() {
                findings.extend(card_expired_since_exam(&e, batch.exam_date, as_of));
            }
            findings.extend(qualified);
            let seat = Seat::Panel(PanelRole::Assessor);
            findings.extend(conflicts(
                snap,
                &e,
                seat,
                &parties,
                Judged::Candidates,
                &allowed,
            ));
            findings.extend(consecutive_finding(snap, batch, &earlier, &e.expert_id));
            let supervises = e.status == ExpertStatus::Active
                && home
                    .as_ref()
                    .is_some_and(|h| can_supervise_from_outside(&e, &e.home_county, h));
            if supervises {
                findings.push(
                    Finding::info(
                        RuleId::R11,
                        format!("可担任本批次的外督（由 {} 委派）", e.home_county),
                        format!(
                            "can be this batch's external supervisor (appointed by {})",
                            e.home_county
                        ),
                    )
                    .fact("expert_id", &e.expert_id),
                );
            }
            findings.sort_by_key(|f| f.rule);
            let eligible = findings.iter().all(|f| f.severity == Severity::Info);
            ExpertEligibility {
                expert_id: e.expert_id,
                name: e.name,
                eligible,
                findings,
            }
        })
        .collect()
}

/// R8, asked after the exam: a card valid on the exam date that has expired by `as_of`.
fn card_expired_since_exam(e: &Expert, exam: Date, as_of: Date) -> Option<Finding> {
    let to = e.card_valid_to.filter(|to| *to < as_of && as_of > exam)?;
    Some(
        Finding::fail(
            RuleId::R8,
            format!(
                "{}的考评员证卡于 {to} 到期，早于查询日期 {as_of}",
                expert_zh(&e.expert_id, Some(&e.name))
            ),
            format!(
                "the assessor card of {} expired on {to}, before the date asked {as_of}",
                expert_en(&e.expert_id, Some(&e.name))
            ),
        )
        .fact("expert_id", &e.expert_id)
        .fact("card_valid_to", to),
    )
}

/// R8: the expert is ACTIVE and shared with the institution's county.
fn pool_findings(e: &Expert, home: Option<&CountyCode>, uscc: &bashu_core::Uscc) -> Vec<Finding> {
    const R: RuleId = RuleId::R8;
    let who_zh = expert_zh(&e.expert_id, Some(&e.name));
    let who_en = expert_en(&e.expert_id, Some(&e.name));
    let mut out = Vec::new();
    if e.status != ExpertStatus::Active {
        out.push(
            Finding::fail(
                R,
                format!("{who_zh}状态为{}", expert_status_zh(e.status)),
                format!("{who_en} is {}", expert_status_en(e.status)),
            )
            .fact("expert_id", &e.expert_id),
        );
    }
    match home {
        Some(h) if e.home_county == *h || e.shared_scope.includes(h) => {}
        Some(h) => out.push(
            Finding::fail(
                R,
                format!("{who_zh}未向 {h} 共享"),
                format!("{who_en} is not shared with {h}"),
            )
            .fact("expert_id", &e.expert_id)
            .fact("county", h),
        ),
        None => out.push(
            Finding::review(
                R,
                format!("机构 {uscc} 不在数据中，无法确定{who_zh}是否向其所在区县共享"),
                format!(
                    "institution {uscc} is not in the replicated data, so whether {who_en} is shared with its county is unknown"
                ),
            )
            .fact("expert_id", &e.expert_id),
        ),
    }
    out
}
