//! The batch check: R6 per candidate, then the panel rules R7–R11.

use bashu_core::Date;
use bashu_core::record::AssessmentBatch;

use crate::assessor::check_assessors;
use crate::panel::check_panel;
use crate::prerequisite::check_prerequisites;
use crate::recusal::check_recusal;
use crate::rotation::check_rotation;
use crate::snapshot::Snapshot;
use crate::supervision::check_supervision;
use crate::verdict::{CheckKind, Finding, Verdict};

/// The panel rules R7–R11 of a batch. `offered` is whether its certificates are offered
/// for alliance recognition (R11).
pub fn panel_findings(snap: &dyn Snapshot, batch: &AssessmentBatch, offered: bool) -> Vec<Finding> {
    let mut out = check_panel(&snap.params().panel, batch);
    out.extend(check_assessors(snap, batch));
    out.extend(check_recusal(snap, batch));
    out.extend(check_rotation(snap, batch));
    out.extend(check_supervision(snap, batch, offered));
    out
}

/// Batch check (SPEC §3): R6 for each candidate, R7, R8, R9, R10, R11.
/// VALID, PENDING (missing data or R10) or INVALID.
pub fn check_batch(snap: &dyn Snapshot, batch: &AssessmentBatch, as_of: Date) -> Verdict {
    let mut findings = check_prerequisites(snap, batch);
    findings.extend(panel_findings(snap, batch, batch.offered_for_alliance));
    Verdict::from_findings(
        CheckKind::Batch,
        &batch.batch_id,
        None,
        as_of,
        snap.log_sizes(),
        findings,
    )
}
