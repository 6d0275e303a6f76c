//! The promotion check: R12 (competition promotion) and R13 (技术能手 title), plus R9
//! recusal of the result's referees.

use bashu_core::record::{Competition, CompetitionEvent, CompetitionResult};
use bashu_core::{CountyCode, Date, Level};

use crate::messages::{class_en, class_zh, level_en, level_zh, participant_en, participant_zh};
use crate::recusal::{Judged, Party, Seat, conflicts};
use crate::snapshot::Snapshot;
use crate::status::certificate_status_on;
use crate::verdict::{CheckKind, Finding, RuleId, Verdict};

const R: RuleId = RuleId::R12;

/// The award text that claims the 技术能手 title.
pub const SKILL_TITLE_AWARD: &str = "技术能手";

/// A result with its competition and event.
struct Context {
    competition: Competition,
    event: CompetitionEvent,
}

/// What the table and the person's certificates give for a result.
struct Grant {
    table: String,
    target: Level,
    held: Option<Level>,
    promoted: Level,
}

fn context(snap: &dyn Snapshot, result: &CompetitionResult) -> Result<Context, Finding> {
    let cid = &result.competition_id;
    let Some(competition) = snap.competition(cid) else {
        return Err(Finding::review(
            R,
            format!("竞赛 {cid} 不在数据中"),
            format!("competition {cid} is not in the replicated data"),
        )
        .fact("competition_id", cid));
    };
    let eid = &result.event_id;
    let Some(event) = competition
        .events
        .iter()
        .find(|e| &e.event_id == eid)
        .cloned()
    else {
        return Err(Finding::review(
            R,
            format!("竞赛 {cid} 没有赛项 {eid}"),
            format!("competition {cid} has no event {eid}"),
        )
        .fact("competition_id", cid)
        .fact("event_id", eid));
    };
    Ok(Context { competition, event })
}

fn table_id(c: &Competition) -> String {
    if c.promotion_table.trim().is_empty() {
        "default".to_owned()
    } else {
        c.promotion_table.trim().to_owned()
    }
}

/// The highest level the person held in the event's occupation before this result: on or
/// before the end of the competition year (and `as_of`), in force then, not issued for this
/// very result.
fn held_level(
    snap: &dyn Snapshot,
    result: &CompetitionResult,
    ctx: &Context,
    as_of: Date,
) -> Option<Level> {
    let key = hex::decode(result.person_key.trim()).ok()?;
    let year_end = Date::from_ymd(ctx.competition.year, 12, 31).unwrap_or(Date::MAX);
    let cutoff = year_end.min(as_of);
    snap.certificates_of_person(&key)
        .into_iter()
        .filter(|r| {
            let c = &r.certificate;
            c.occupation_code == ctx.event.occupation_code.as_str()
                && c.competition_result_id != result.result_id
                && c.issue_date().is_some_and(|d| d <= cutoff)
                && certificate_status_on(
                    c,
                    &snap.certificate_status_changes(&r.author, &c.cert_no),
                    cutoff,
                )
                .is_some_and(|s| s.in_force())
        })
        .filter_map(|r| r.certificate.level)
        .max()
}

/// The table row and the held level: the promoted level, or why there is none. Ignores
/// the one-per-year rule and the county.
fn grant(
    snap: &dyn Snapshot,
    result: &CompetitionResult,
    ctx: &Context,
    as_of: Date,
) -> Result<Grant, Finding> {
    let table = table_id(&ctx.competition);
    let Some(t) = snap.params().promotion_tables.get(&table) else {
        return Err(Finding::review(
            R,
            format!("晋升对照表「{table}」未由联盟决定"),
            format!("promotion table \"{table}\" is not in the rule parameters"),
        )
        .fact("table", &table));
    };
    let class = ctx.competition.class;
    let who = result.participant_type;
    let (rank, of) = (result.rank, result.participants);
    let target = t
        .rows
        .iter()
        .filter(|r| {
            r.classes.contains(&class) && r.participant_type == who && r.cutoff.admits(rank, of)
        })
        .map(|r| r.target.min(Level::One))
        .max();
    let Some(target) = target else {
        return Err(Finding::fail(
            R,
            format!(
                "{}（{}）第 {rank} 名（共 {of} 人）不在晋升对照表「{table}」的晋升范围内",
                class_zh(class),
                participant_zh(who)
            ),
            format!(
                "rank {rank} of {of} ({}, {} competition) earns no promotion in table \"{table}\"",
                participant_en(who),
                class_en(class)
            ),
        )
        .fact("rank", rank)
        .fact("table", &table));
    };
    let held = held_level(snap, result, ctx, as_of);
    let fact = |f: Finding| {
        f.fact("target_level", target.digit()).fact(
            "held_level",
            held.map_or("-".to_owned(), |l| l.digit().to_string()),
        )
    };
    let promoted = match held {
        None => target,
        Some(h) if h < target => target,
        Some(h) if h == target && t.bump_if_already => match h.next_higher() {
            Some(up) if up <= Level::One => up,
            _ => {
                return Err(fact(Finding::fail(
                    R,
                    format!("已持有 {}，竞赛晋升不超过一级", level_zh(h)),
                    format!(
                        "already holds {}; a competition never promotes above level 1",
                        level_en(h)
                    ),
                )));
            }
        },
        Some(h) if h == target => {
            return Err(fact(Finding::fail(
                R,
                format!("已持有晋升目标等级 {}，对照表不再晋升一级", level_zh(h)),
                format!(
                    "already holds the target {} and the table does not promote further",
                    level_en(h)
                ),
            )));
        }
        Some(h) => {
            return Err(fact(Finding::fail(
                R,
                format!(
                    "已持有 {}，高于晋升目标 {}，不予晋升",
                    level_zh(h),
                    level_zh(target)
                ),
                format!(
                    "already holds {}, above the target {}; no promotion",
                    level_en(h),
                    level_en(target)
                ),
            )));
        }
    };
    Ok(Grant {
        table,
        target,
        held,
        promoted,
    })
}

/// The first earlier result (same person, same competition year, smaller result id) that
/// itself grants a promotion: it wins the year.
fn earlier_promotion_in_year(
    snap: &dyn Snapshot,
    result: &CompetitionResult,
    year: i32,
    as_of: Date,
) -> Option<CompetitionResult> {
    let mut others = snap.results_of_person(&result.person_key.to_ascii_lowercase());
    others.sort_by(|a, b| a.result_id.cmp(&b.result_id));
    others.dedup_by(|a, b| a.result_id == b.result_id);
    others.into_iter().find(|o| {
        o.result_id < result.result_id
            && context(snap, o).is_ok_and(|ctx| {
                ctx.competition.year == year && grant(snap, o, &ctx, as_of).is_ok()
            })
    })
}

/// R12 for a result in county C: the findings, and the promoted level when it stands.
pub(crate) fn promotion_findings(
    snap: &dyn Snapshot,
    result: &CompetitionResult,
    county: Option<&CountyCode>,
    as_of: Date,
) -> (Vec<Finding>, Option<Level>) {
    let ctx = match context(snap, result) {
        Ok(c) => c,
        Err(f) => return (vec![f], None),
    };
    let g = match grant(snap, result, &ctx, as_of) {
        Ok(g) => g,
        Err(f) => return (vec![f.fact("result_id", &result.result_id)], None),
    };
    let year = ctx.competition.year;
    let mut out = Vec::new();
    if let Some(other) = earlier_promotion_in_year(snap, result, year, as_of) {
        out.push(
            Finding::fail(
                R,
                format!(
                    "{year} 年已因竞赛成绩 {} 晋升，同一年只能因竞赛晋升一次",
                    other.result_id
                ),
                format!(
                    "already promoted in {year} by competition result {}; at most one competition promotion per year",
                    other.result_id
                ),
            )
            .fact("earlier_result_id", &other.result_id)
            .fact("year", year),
        );
    }
    if let Some(c) = county {
        if !ctx.competition.recognised_by.contains(c) {
            out.push(
                Finding::fail(
                    R,
                    format!(
                        "{c} 不在竞赛 {} 的认可区县名单中",
                        ctx.competition.competition_id
                    ),
                    format!(
                        "{c} is not among the counties recognising competition {}",
                        ctx.competition.competition_id
                    ),
                )
                .fact("county", c),
            );
        }
    }
    if !out.is_empty() {
        return (out, None);
    }
    let class = ctx.competition.class;
    let who = result.participant_type;
    let info = Finding::info(
        R,
        format!(
            "{}（{}）第 {} 名，晋升至 {}",
            class_zh(class),
            participant_zh(who),
            result.rank,
            level_zh(g.promoted)
        ),
        format!(
            "rank {} ({}, {} competition) promotes to {}",
            result.rank,
            participant_en(who),
            class_en(class),
            level_en(g.promoted)
        ),
    )
    .fact("promoted_level", g.promoted.digit())
    .fact("promoted_level_label", level_zh(g.promoted))
    .fact("target_level", g.target.digit())
    .fact(
        "held_level",
        g.held.map_or("-".to_owned(), |l| l.digit().to_string()),
    )
    .fact("table", &g.table)
    .fact("occupation_code", &ctx.event.occupation_code)
    .fact("result_id", &result.result_id);
    (vec![info], Some(g.promoted))
}

/// The level a result promotes its holder to under R12 (table, held level, never above
/// 一级, one promotion per person per year), whatever the county; `None` when it does not.
pub fn promoted_level(
    snap: &dyn Snapshot,
    result: &CompetitionResult,
    as_of: Date,
) -> Option<Level> {
    promotion_findings(snap, result, None, as_of).1
}

/// R13: the 技术能手 title. A FAIL only when the result's award claims the title.
pub fn check_skill_title(snap: &dyn Snapshot, result: &CompetitionResult) -> Vec<Finding> {
    const R13: RuleId = RuleId::R13;
    let Some(competition) = snap.competition(&result.competition_id) else {
        return Vec::new(); // R12 reports the missing competition.
    };
    let params = &snap.params().skill_title;
    let class = competition.class;
    let max = params.max_rank(class);
    let claimed = result.award.contains(SKILL_TITLE_AWARD);
    let who = result.participant_type;
    let mut problems: Vec<(String, String)> = Vec::new();
    if !params.participant_types.contains(&who) {
        problems.push((
            format!(
                "技术能手称号仅授予职工，本成绩参赛身份为{}",
                participant_zh(who)
            ),
            format!(
                "the 技术能手 title is for employees only; this contestant is a {}",
                participant_en(who)
            ),
        ));
    }
    if result.rank == 0 || result.rank > max {
        problems.push((
            format!(
                "{}第 {} 名，技术能手须前 {max} 名",
                class_zh(class),
                result.rank
            ),
            format!(
                "rank {} ({} competition); the 技术能手 title needs rank {max} or better",
                result.rank,
                class_en(class)
            ),
        ));
    }
    let fact = |f: Finding| {
        f.fact("rank", result.rank)
            .fact("max_rank", max)
            .fact("participant_type", participant_en(who))
    };
    match (claimed, problems.is_empty()) {
        (true, false) => problems
            .into_iter()
            .map(|(zh, en)| fact(Finding::fail(R13, zh, en)))
            .collect(),
        (_, true) => vec![fact(Finding::info(
            R13,
            "符合技术能手称号条件",
            "eligible for the 技术能手 title",
        ))],
        (false, false) => {
            let (zh, en): (Vec<String>, Vec<String>) = problems.into_iter().unzip();
            vec![fact(Finding::info(
                R13,
                format!("不符合技术能手称号条件：{}", zh.join("；")),
                format!("not eligible for the 技术能手 title: {}", en.join("; ")),
            ))]
        }
    }
}

/// R9 for the referees of a result: no declared relation with the contestant.
fn referee_recusal(snap: &dyn Snapshot, result: &CompetitionResult) -> Vec<Finding> {
    let contestant = [Party {
        number: 1,
        person_key: result.person_key.to_ascii_lowercase(),
        employer: None,
        training: None,
    }];
    let never = |_: &str| false;
    let mut referees: Vec<&String> = result.referees.iter().collect();
    referees.dedup();
    referees
        .into_iter()
        .filter_map(|id| snap.expert(id))
        .flat_map(|e| {
            conflicts(
                snap,
                &e,
                Seat::Referee,
                &contestant,
                Judged::Contestants,
                &never,
            )
        })
        .collect()
}

/// Promotion check (SPEC §3): R12 and R13 for a result in county C, and R9 for its
/// referees. The promoted level is in the R12 INFO finding's `promoted_level` fact.
pub fn check_promotion(
    snap: &dyn Snapshot,
    result: &CompetitionResult,
    county: &CountyCode,
    as_of: Date,
) -> Verdict {
    let (mut findings, _) = promotion_findings(snap, result, Some(county), as_of);
    findings.extend(check_skill_title(snap, result));
    findings.extend(referee_recusal(snap, result));
    Verdict::from_findings(
        CheckKind::Promotion,
        &result.result_id,
        Some(county.clone()),
        as_of,
        snap.log_sizes(),
        findings,
    )
}
