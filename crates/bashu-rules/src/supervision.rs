//! R11: cross-county supervision of high-level batches offered for alliance recognition.

use bashu_core::CountyCode;
use bashu_core::record::{AssessmentBatch, Expert, ExpertRole, SupervisorKind};

use crate::messages::{level_en, level_zh};
use crate::snapshot::Snapshot;
use crate::verdict::{Finding, RuleId};

const R: RuleId = RuleId::R11;

/// Whether `expert`, appointed by `appointed_by`, can be the external supervisor of a batch
/// of an institution in `home`.
pub(crate) fn can_supervise_from_outside(
    expert: &Expert,
    appointed_by: &CountyCode,
    home: &CountyCode,
) -> bool {
    appointed_by != home
        && expert.roles.contains(&ExpertRole::ExternalSupervisor)
        && expert.shared_scope.includes(home)
}

/// R11 findings. `offered` says whether the batch's certificates are offered for alliance
/// recognition (the batch's own flag, or a recognition question from another county).
pub fn check_supervision(
    snap: &dyn Snapshot,
    batch: &AssessmentBatch,
    offered: bool,
) -> Vec<Finding> {
    let params = &snap.params().supervision;
    if !offered || batch.level < params.external_from_level {
        return Vec::new();
    }
    let uscc = batch.institution_uscc.as_str();
    let Some(inst) = snap.institution(uscc) else {
        return vec![
            Finding::review(
                R,
                format!("机构 {uscc} 不在数据中，无法确定其所在区县"),
                format!(
                    "institution {uscc} is not in the replicated data, so its home county is unknown"
                ),
            )
            .fact("institution_uscc", uscc),
        ];
    };
    let home = &inst.division_code;
    let mut qualifying = 0u32;
    let mut unknown: Vec<&str> = Vec::new();
    for s in batch
        .supervisors
        .iter()
        .filter(|s| s.kind == SupervisorKind::External && &s.appointed_by != home)
    {
        match snap.expert(&s.expert_id) {
            Some(e) if can_supervise_from_outside(&e, &s.appointed_by, home) => qualifying += 1,
            Some(_) => {}
            None => unknown.push(&s.expert_id),
        }
    }
    let need = params.min_external_supervisors;
    if qualifying >= need {
        return Vec::new();
    }
    let finding = if unknown.is_empty() {
        Finding::fail(
            R,
            format!(
                "{} 批次须至少有 {need} 名由 {home} 以外区县委派、并向 {home} 共享的外督，本批次有 {qualifying} 名",
                level_zh(batch.level)
            ),
            format!(
                "a {} batch offered for alliance recognition needs at least {need} external supervisor(s) appointed by a county other than {home} and shared with it; this batch has {qualifying}",
                level_en(batch.level)
            ),
        )
    } else {
        let ids = unknown.join(", ");
        Finding::review(
            R,
            format!("外督 {ids} 不在专家库数据中，无法核对跨区县督导"),
            format!(
                "external supervisor(s) {ids} are not in the shared pool data, so cross-county supervision cannot be checked"
            ),
        )
        .fact("unknown_supervisors", ids)
    };
    vec![
        finding
            .fact("home_county", home)
            .fact("qualifying_supervisors", qualifying)
            .fact("level", batch.level.digit()),
    ]
}
