//! R10: rotation. An expert sits on panels of one institution in at most N consecutive
//! batches, and a new panel changes at least a share of its members. REVIEW only.

use std::collections::BTreeSet;

use bashu_core::record::AssessmentBatch;

use crate::messages::{expert_en, expert_zh};
use crate::snapshot::Snapshot;
use crate::verdict::{Finding, RuleId};

const R: RuleId = RuleId::R10;

/// The experts on a batch's panel (every room member), in order of first appearance.
pub(crate) fn panel_of(batch: &AssessmentBatch) -> Vec<&str> {
    let mut seen = BTreeSet::new();
    batch
        .rooms
        .iter()
        .flat_map(|r| r.members.iter())
        .map(|m| m.expert_id.as_str())
        .filter(|id| seen.insert(*id))
        .collect()
}

/// The institution's batches before `batch` (by exam date, then batch id), most recent
/// first.
pub(crate) fn earlier_batches(
    snap: &dyn Snapshot,
    batch: &AssessmentBatch,
) -> Vec<AssessmentBatch> {
    let key = (batch.exam_date, batch.batch_id.as_str());
    let mut earlier: Vec<AssessmentBatch> = snap
        .batches_of_institution(batch.institution_uscc.as_str())
        .into_iter()
        .filter(|b| b.batch_id != batch.batch_id && (b.exam_date, b.batch_id.as_str()) < key)
        .collect();
    earlier.sort_by(|a, b| (b.exam_date, &b.batch_id).cmp(&(a.exam_date, &a.batch_id)));
    earlier
}

/// How many consecutive batches `expert_id` would have sat on, counting this one.
pub(crate) fn consecutive_with(earlier: &[AssessmentBatch], expert_id: &str) -> u32 {
    let before = earlier
        .iter()
        .take_while(|b| panel_of(b).contains(&expert_id))
        .count();
    u32::try_from(before).unwrap_or(u32::MAX).saturating_add(1)
}

/// The REVIEW finding for an expert over the consecutive-batch limit, if they are.
pub(crate) fn consecutive_finding(
    snap: &dyn Snapshot,
    batch: &AssessmentBatch,
    earlier: &[AssessmentBatch],
    expert_id: &str,
) -> Option<Finding> {
    let max = snap.params().rotation.max_consecutive_batches;
    let n = consecutive_with(earlier, expert_id);
    if n <= max {
        return None;
    }
    let name = snap.expert(expert_id).map(|e| e.name);
    let uscc = batch.institution_uscc.as_str();
    Some(
        Finding::review(
            R,
            format!(
                "{}将连续第 {n} 次在机构 {uscc} 的批次任考评，超过 {max} 次",
                expert_zh(expert_id, name.as_deref())
            ),
            format!(
                "{} would sit on panels of institution {uscc} in {n} consecutive batches, more than {max}",
                expert_en(expert_id, name.as_deref())
            ),
        )
        .fact("expert_id", expert_id)
        .fact("consecutive_batches", n)
        .fact("institution_uscc", uscc),
    )
}

/// R10 findings for a batch.
pub fn check_rotation(snap: &dyn Snapshot, batch: &AssessmentBatch) -> Vec<Finding> {
    let earlier = earlier_batches(snap, batch);
    let panel = panel_of(batch);
    let mut out: Vec<Finding> = panel
        .iter()
        .filter_map(|id| consecutive_finding(snap, batch, &earlier, id))
        .collect();
    if let Some(prev) = earlier.first() {
        let before = panel_of(prev);
        let total = panel.len();
        let changed = panel.iter().filter(|id| !before.contains(id)).count();
        let min = snap.params().rotation.min_change;
        if total > 0 && !min.reached_by(changed as u64, total as u64) {
            out.push(
                Finding::review(
                    R,
                    format!(
                        "本批次考评组 {total} 人中只有 {changed} 人与上一批次 {} 不同，应至少更换 {min}",
                        prev.batch_id
                    ),
                    format!(
                        "only {changed} of {total} panel members differ from the previous batch {}; at least {min} must change",
                        prev.batch_id
                    ),
                )
                .fact("previous_batch", &prev.batch_id)
                .fact("changed", changed)
                .fact("panel_size", total),
            );
        }
    }
    out
}
