//! R8: assessor qualification on the exam date.

use std::collections::BTreeSet;

use bashu_core::record::{AssessmentBatch, Expert, ExpertRole, PanelRole};
use bashu_core::{Date, Level, OccupationCode};

use crate::messages::{expert_en, expert_zh, level_en, level_zh, title_en, title_zh};
use crate::params::AssessorParams;
use crate::snapshot::Snapshot;
use crate::status::add_years;
use crate::verdict::{Finding, RuleId};

const R: RuleId = RuleId::R8;

/// Roles whose holders assess (proctors only watch).
pub(crate) fn assesses(role: PanelRole) -> bool {
    matches!(
        role,
        PanelRole::Assessor | PanelRole::LeadAssessor | PanelRole::Reviewer
    )
}

/// Whether an occupation is in an expert's scope: the same code, or a work-type code
/// (`4-12-01-01-01`) under a scope occupation (`4-12-01-01`).
pub(crate) fn in_scope(expert: &Expert, occupation: &OccupationCode) -> bool {
    let occ = occupation.as_str();
    expert.occupation_scope.iter().any(|s| {
        let s = s.as_str();
        occ == s
            || occ
                .strip_prefix(s)
                .is_some_and(|rest| rest.starts_with('-'))
    })
}

/// R8 findings for every assessing member of the batch (each expert once, in order of
/// first appearance).
pub fn check_assessors(snap: &dyn Snapshot, batch: &AssessmentBatch) -> Vec<Finding> {
    let params = &snap.params().assessor;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let members = batch
        .rooms
        .iter()
        .flat_map(|r| r.members.iter())
        .filter(|m| assesses(m.role));
    for m in members {
        if !seen.insert(m.expert_id.as_str()) {
            continue;
        }
        match snap.expert(&m.expert_id) {
            Some(e) => out.extend(qualification(
                params,
                &e,
                &batch.occupation_code,
                batch.level,
                batch.exam_date,
            )),
            None => out.push(
                Finding::review(
                    R,
                    format!("{} 不在专家库数据中", expert_zh(&m.expert_id, None)),
                    format!(
                        "{} is not in the shared pool data",
                        expert_en(&m.expert_id, None)
                    ),
                )
                .fact("expert_id", &m.expert_id),
            ),
        }
    }
    out
}

/// Why `expert` may not assess (occupation, level) on `on`; empty when qualified.
pub(crate) fn qualification(
    params: &AssessorParams,
    expert: &Expert,
    occupation: &OccupationCode,
    level: Level,
    on: Date,
) -> Vec<Finding> {
    let who_zh = expert_zh(&expert.expert_id, Some(&expert.name));
    let who_en = expert_en(&expert.expert_id, Some(&expert.name));
    let fact = |f: Finding| f.fact("expert_id", &expert.expert_id).fact("exam_date", on);
    let mut out = Vec::new();
    let senior = level >= params.senior_from_level;
    let has = |r: ExpertRole| expert.roles.contains(&r);

    if senior && !has(ExpertRole::SeniorAssessor) {
        out.push(fact(Finding::fail(
            R,
            format!(
                "{} 认定须由高级考评员担任，{who_zh}不是高级考评员",
                level_zh(level)
            ),
            format!(
                "a {} batch needs senior assessors; {who_en} is not one",
                level_en(level)
            ),
        )));
    } else if !senior && !has(ExpertRole::Assessor) && !has(ExpertRole::SeniorAssessor) {
        out.push(fact(Finding::fail(
            R,
            format!("{who_zh}不是考评员"),
            format!("{who_en} is not an assessor"),
        )));
    }
    match expert.card_valid_to {
        _ if expert.card_no.trim().is_empty() => out.push(fact(Finding::fail(
            R,
            format!("{who_zh}没有考评员证卡"),
            format!("{who_en} has no assessor card"),
        ))),
        Some(to) if to >= on => {}
        Some(to) => out.push(fact(
            Finding::fail(
                R,
                format!("{who_zh}的考评员证卡于 {to} 到期，早于考试日期 {on}"),
                format!("the assessor card of {who_en} expired on {to}, before the exam date {on}"),
            )
            .fact("card_valid_to", to),
        )),
        None => out.push(fact(Finding::fail(
            R,
            format!("{who_zh}的考评员证卡未登记有效期"),
            format!("the assessor card of {who_en} has no validity date"),
        ))),
    }
    if !in_scope(expert, occupation) {
        out.push(fact(
            Finding::fail(
                R,
                format!("{who_zh}的考评职业范围不含 {occupation}"),
                format!("the occupation scope of {who_en} does not include {occupation}"),
            )
            .fact("occupation_code", occupation),
        ));
    }
    let (min_level, min_title) = if senior {
        (params.senior_min_own_level, params.senior_min_title)
    } else {
        (params.min_own_level, params.min_title)
    };
    let level_ok = expert.own_level.is_some_and(|l| l >= min_level);
    if !level_ok && expert.title_level < min_title {
        out.push(fact(
            Finding::fail(
                R,
                format!(
                    "{who_zh}本人等级或职称不足：须 {} 及以上或{}及以上职称",
                    level_zh(min_level),
                    title_zh(min_title)
                ),
                format!(
                    "{who_en} has neither {} or above nor a title of {} or above",
                    level_en(min_level),
                    title_en(min_title)
                ),
            )
            .fact(
                "own_level",
                expert
                    .own_level
                    .map_or("-".to_owned(), |l| l.digit().to_string()),
            )
            .fact("title_level", title_en(expert.title_level)),
        ));
    }
    if senior {
        let years = params.senior_min_years_assessing;
        match expert.assessing_since {
            Some(since) if add_years(since, years) <= on => {}
            Some(since) => out.push(fact(
                Finding::fail(
                    R,
                    format!("{who_zh}自 {since} 起从事考评，至考试日期 {on} 不满 {years} 年"),
                    format!(
                        "{who_en} has assessed since {since}: less than {years} year(s) by the exam date {on}"
                    ),
                )
                .fact("assessing_since", since),
            )),
            None => out.push(fact(Finding::fail(
                R,
                format!("{who_zh}未登记考评起始日期"),
                format!("{who_en} has no assessing-since date"),
            ))),
        }
    }
    out
}
