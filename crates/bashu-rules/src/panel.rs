//! R7: panel sizes. Theory rooms need proctors, practical rooms an odd number of
//! assessors, high levels a review room.

use bashu_core::record::{AssessmentBatch, PanelRole, Room, RoomKind};

use crate::messages::{level_en, level_zh};
use crate::params::PanelParams;
use crate::verdict::{Finding, RuleId};

const R: RuleId = RuleId::R7;

fn count(room: &Room, roles: &[PanelRole]) -> u32 {
    let n = room
        .members
        .iter()
        .filter(|m| roles.contains(&m.role))
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `ceil(candidates / per)`; `per` is at least 1 (checked with the parameters).
fn at_least_one_per(candidates: u32, per: u32) -> u32 {
    candidates.div_ceil(per.max(1))
}

/// R7 findings, rooms in batch order.
pub fn check_panel(params: &PanelParams, batch: &AssessmentBatch) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, room) in batch.rooms.iter().enumerate() {
        let number = i + 1;
        let c = room.candidate_count;
        let fact = |f: Finding| f.fact("room", number).fact("candidates", c);
        match room.kind {
            RoomKind::Theory => {
                let n = count(room, &[PanelRole::Proctor]);
                let need = params
                    .theory_min_proctors
                    .max(at_least_one_per(c, params.theory_candidates_per_proctor));
                if n < need {
                    out.push(fact(
                        Finding::fail(
                            R,
                            format!("理论考场 #{number} 有 {n} 名监考，{c} 名考生至少需要 {need} 名"),
                            format!(
                                "theory room #{number} has {n} proctor(s); {c} candidate(s) need at least {need}"
                            ),
                        )
                        .fact("proctors", n)
                        .fact("required", need),
                    ));
                }
            }
            RoomKind::Practical => {
                let n = count(room, &[PanelRole::Assessor, PanelRole::LeadAssessor]);
                let per = params.candidates_per_assessor(&batch.occupation_code);
                let need = params.practical_min_assessors.max(at_least_one_per(c, per));
                if n < need {
                    out.push(fact(
                        Finding::fail(
                            R,
                            format!("技能考场 #{number} 有 {n} 名考评员，{c} 名考生至少需要 {need} 名（每名考评员最多 {per} 名考生）"),
                            format!(
                                "practical room #{number} has {n} assessor(s); {c} candidate(s) need at least {need} (at most {per} candidates per assessor)"
                            ),
                        )
                        .fact("assessors", n)
                        .fact("required", need),
                    ));
                }
                if params.practical_assessors_odd && n % 2 == 0 {
                    out.push(fact(
                        Finding::fail(
                            R,
                            format!("技能考场 #{number} 有 {n} 名考评员，人数应为奇数"),
                            format!("practical room #{number} has {n} assessor(s); the number must be odd"),
                        )
                        .fact("assessors", n),
                    ));
                }
            }
            RoomKind::Review => {
                let n = u32::try_from(room.members.len()).unwrap_or(u32::MAX);
                if n < params.review_min_members {
                    out.push(fact(
                        Finding::fail(
                            R,
                            format!(
                                "综合评审室 #{number} 有 {n} 名评审委员，至少需要 {} 名",
                                params.review_min_members
                            ),
                            format!(
                                "review room #{number} has {n} member(s); at least {} are needed",
                                params.review_min_members
                            ),
                        )
                        .fact("members", n),
                    ));
                }
                if params.review_members_odd && n % 2 == 0 {
                    out.push(fact(
                        Finding::fail(
                            R,
                            format!("综合评审室 #{number} 有 {n} 名评审委员，人数应为奇数"),
                            format!(
                                "review room #{number} has {n} member(s); the number must be odd"
                            ),
                        )
                        .fact("members", n),
                    ));
                }
            }
        }
    }
    let has_review = batch.rooms.iter().any(|r| r.kind == RoomKind::Review);
    if batch.level >= params.review_room_from_level && !has_review {
        out.push(
            Finding::fail(
                R,
                format!("{} 认定须设综合评审室，本批次没有", level_zh(batch.level)),
                format!(
                    "a {} batch needs a review room and this batch has none",
                    level_en(batch.level)
                ),
            )
            .fact("level", batch.level.digit()),
        );
    }
    out
}
