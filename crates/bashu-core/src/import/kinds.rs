//! The record kinds other than certificates (SPEC §2, §4): their columns, their input
//! types (what an HR export holds, ID numbers included) and how a row becomes one.
//!
//! Sets (roles, occupation scopes, counties, levels) are sorted and deduplicated, so the
//! same export gives the same record bytes whatever order its lists come in.

use serde::{Deserialize, Serialize};

use super::engine::{Cell, ColumnSpec, EnumSpec, Fields, col, from_cell, split_list};
use crate::date::Date;
use crate::id::{CertNo, CountyCode, IdError, Level, OccupationCode, PersonId, Uscc};
use crate::record::{
    AssessmentBatch, CertificateStatusChange, Competition, CompetitionEvent, CompetitionResult,
    CounterpartKind, CrossRegistration, Expert, ExpertRole, ExpertStatus, Filing, FilingStatus,
    FilingStatusChange, Institution, Occupation, RelationType, Room, ScopeItem, SharedScope,
    Supervisor, TitleLevel, UrgentList,
};

// ---------------------------------------------------------------------------------------
// Input types: what a row holds before the node derives person keys

/// A `filings.csv` row: the filing, and the status change the row's status implies.
///
/// A row whose status is not ACTIVE means: ACTIVE from `effective_from` until the day
/// before `status_effective_at`, then in that status (SPEC §4). The filing itself is kept
/// as filed; the change is its own record, so a later status appends to the history. An
/// ACTIVE row names a change only when its `status_effective_at` is after
/// `effective_from` (a reinstatement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingInput {
    pub filing: Filing,
    pub status_change: Option<FilingStatusChange>,
}

/// An `experts.csv` row. `expert.person_key` is empty: the node derives it from
/// `person_id`, which never leaves the home node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpertInput {
    pub person_id: PersonId,
    pub expert: Expert,
}

/// Whom a relation points at, as the export names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counterpart {
    /// A person by identity document; replicated as the person key.
    Person(PersonId),
    /// An employer or training institution.
    Organisation(Uscc),
}

/// A `relations.csv` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationInput {
    pub expert_id: String,
    pub counterpart_kind: CounterpartKind,
    pub counterpart: Counterpart,
    pub relation: RelationType,
}

/// A candidate of an assessment batch, by identity document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateInput {
    pub person_id: PersonId,
    pub employer_uscc: Option<Uscc>,
    pub training_institution_uscc: Option<Uscc>,
}

/// An assessment batch. `batch.candidates` is empty: the node builds it from `candidates`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchInput {
    pub batch: AssessmentBatch,
    pub candidates: Vec<CandidateInput>,
}

/// A competition result. `result.person_key` is empty: the node derives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultInput {
    pub person_id: PersonId,
    pub result: CompetitionResult,
}

// ---------------------------------------------------------------------------------------
// Shared readers

fn digits(v: &str, n: usize, zh: &str, en: &str) -> Result<String, IdError> {
    if v.len() == n && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v.to_owned())
    } else {
        Err(IdError::new(
            format!("{zh}应为 {n} 位数字，实为 \"{v}\""),
            format!("{en} must be {n} digits, found \"{v}\""),
        ))
    }
}

fn whole<T: std::str::FromStr>(v: &str, zh: &str, en: &str) -> Result<T, IdError> {
    v.parse().map_err(|_| {
        IdError::new(
            format!("{zh}应为非负整数，实为 \"{v}\""),
            format!("{en} must be a whole number, found \"{v}\""),
        )
    })
}

fn year(v: &str) -> Result<i32, IdError> {
    let y: i32 = whole(v, "年度", "year")?;
    if (1000..=9999).contains(&y) {
        Ok(y)
    } else {
        Err(IdError::new(
            format!("年度应为四位数，实为 {y}"),
            format!("year must have four digits, found {y}"),
        ))
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

fn is_alliance(v: &str) -> bool {
    let v = v.trim();
    v.eq_ignore_ascii_case("ALLIANCE") || v == "联盟" || v == "全联盟"
}

fn item_error(n: usize, e: IdError) -> IdError {
    IdError::new(
        format!("第 {n} 项：{}", e.message_zh),
        format!("item {n}: {}", e.message_en),
    )
}

/// A level set: `3-5` (a range of digits, either order), single levels (digit or label),
/// separated by `,` `，` `、` `;` or `|`. Sorted by digit, no repeats.
pub fn parse_levels(s: &str) -> Result<Vec<Level>, IdError> {
    let mut out = Vec::new();
    for part in s
        .split([',', '，', '、', ';', '；', '|'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let range = part.split_once('-').and_then(|(a, b)| {
            let a: u32 = a.trim().parse().ok()?;
            let b: u32 = b.trim().parse().ok()?;
            Some((a.min(b), a.max(b)))
        });
        match range {
            Some((lo, hi)) if (1..=5).contains(&lo) && (1..=5).contains(&hi) => {
                out.extend((lo..=hi).filter_map(Level::from_digit));
            }
            Some(_) => {
                return Err(IdError::new(
                    format!("等级范围 \"{part}\" 无效：应在 1–5 之间，如 3-5"),
                    format!("level range \"{part}\" is not valid: use digits 1-5, e.g. 3-5"),
                ));
            }
            None => out.push(Level::parse(part)?),
        }
    }
    if out.is_empty() {
        return Err(IdError::new("等级为空", "no level given"));
    }
    out.sort_by_key(|l| l.digit());
    out.dedup();
    Ok(out)
}

fn levels_from_cell(cell: Cell<'_>) -> Result<Vec<Level>, IdError> {
    if let Some(s) = cell.as_str() {
        return parse_levels(s);
    }
    let levels: Vec<Level> = from_cell(cell)?;
    if levels.is_empty() {
        return Err(IdError::new("等级为空", "no level given"));
    }
    Ok(sorted_levels(levels))
}

fn sorted_levels(mut v: Vec<Level>) -> Vec<Level> {
    v.sort_by_key(|l| l.digit());
    v.dedup();
    v
}

/// A filing scope in the `filings.csv` syntax: `;`-separated items
/// `occupation/work type:levels`, e.g. `6-18-02-04/--:3-5;4-10-01-05/*:3-5` (work type
/// `--` for none, `*` for any; levels as in [`parse_levels`]).
pub fn parse_scope(s: &str) -> Result<Vec<ScopeItem>, IdError> {
    let mut out = Vec::new();
    for (n, item) in split_list(s).enumerate() {
        let n = n + 1;
        let shape = || {
            IdError::new(
                format!(
                    "备案范围第 {n} 项 \"{item}\" 格式应为 职业编码/工种:等级，如 6-18-02-04/--:3-5"
                ),
                format!(
                    "scope item {n} \"{item}\" must be occupation/work type:levels, e.g. 6-18-02-04/--:3-5"
                ),
            )
        };
        let (left, levels) = item.rsplit_once([':', '：']).ok_or_else(shape)?;
        let (occupation, work_type) = left.split_once('/').ok_or_else(shape)?;
        let in_item = |e: IdError| {
            IdError::new(
                format!("备案范围第 {n} 项：{}", e.message_zh),
                format!("scope item {n}: {}", e.message_en),
            )
        };
        let occupation_code = OccupationCode::parse(occupation).map_err(in_item)?;
        let work_type = work_type.trim();
        if work_type.is_empty() {
            return Err(in_item(IdError::new(
                "工种为空（无工种填 --，任意工种填 *）",
                "work type is empty (-- for none, * for any)",
            )));
        }
        out.push(ScopeItem {
            occupation_code,
            work_type: work_type.to_owned(),
            levels: parse_levels(levels).map_err(in_item)?,
        });
    }
    if out.is_empty() {
        return Err(IdError::new("备案范围为空", "scope is empty"));
    }
    Ok(out)
}

fn scope_from_cell(cell: Cell<'_>) -> Result<Vec<ScopeItem>, IdError> {
    match cell.as_str() {
        Some(s) if !s.trim_start().starts_with('[') => parse_scope(s),
        _ => {
            let items: Vec<ScopeItem> = from_cell(cell)?;
            if items.is_empty() {
                return Err(IdError::new("备案范围为空", "scope is empty"));
            }
            items
                .into_iter()
                .enumerate()
                .map(|(n, mut item)| {
                    if item.work_type.trim().is_empty() || item.levels.is_empty() {
                        return Err(item_error(
                            n + 1,
                            IdError::new("工种或等级为空", "work type or levels empty"),
                        ));
                    }
                    item.levels = sorted_levels(item.levels);
                    Ok(item)
                })
                .collect()
        }
    }
}

fn serde_code<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------
// Certificate status changes

pub(crate) const CERT_STATUS_COLUMNS: [ColumnSpec; 4] = [
    col("cert_no", "证书编号", true, false),
    col("status", "状态", true, false),
    col("effective_date", "生效日期", true, false),
    col("reason", "原因", false, true),
];

pub(crate) fn build_certificate_status(f: &mut Fields<'_>) -> Option<CertificateStatusChange> {
    let cert_no = f.parse("cert_no", CertNo::parse);
    let status = f.parse("status", |v| super::certificates::CERT_STATUSES.parse(v));
    let effective_date = f.parse("effective_date", Date::parse);
    let reason = f.text("reason").unwrap_or_default();
    Some(CertificateStatusChange {
        cert_no: cert_no?.as_str().to_owned(),
        status: status?,
        effective_date: effective_date?,
        reason,
    })
}

// ---------------------------------------------------------------------------------------
// Institutions

pub(crate) const INSTITUTION_COLUMNS: [ColumnSpec; 8] = [
    col("uscc", "统一社会信用代码", true, false),
    col("name", "机构名称", true, true),
    col("kind", "机构类别", true, false),
    col("mohrss_code", "部备案代码", false, false),
    col("province_code2", "省份代码", false, false),
    col("site_serial", "站点序列码", false, false),
    col("division_code", "所在区县", true, false),
    col("address", "地址", false, true),
];

const INSTITUTION_KINDS: EnumSpec = EnumSpec {
    what_zh: "机构类别",
    what_en: "institution kind",
    codes: &[
        ("Y", "用人单位"),
        ("S", "社会培训评价组织"),
        ("SPECIAL", "专项职业能力考核机构"),
        ("TRAINING", "职业培训机构"),
    ],
    serde_names: &[],
};

/// `mohrss_code` defaults to `0000` (filed with a province), `province_code2` to the
/// province of `division_code`.
pub(crate) fn build_institution(f: &mut Fields<'_>) -> Option<Institution> {
    let uscc = f.parse("uscc", Uscc::parse);
    let name = f.text("name");
    let kind = f.parse("kind", |v| INSTITUTION_KINDS.parse(v));
    let mohrss_code = f.parse("mohrss_code", |v| digits(v, 4, "部备案代码", "MOHRSS code"));
    let province_code2 = f.parse("province_code2", |v| {
        digits(v, 2, "省份代码", "province code")
    });
    let site_serial = f.parse("site_serial", |v| digits(v, 6, "站点序列码", "site serial"));
    let division_code = f.parse("division_code", CountyCode::parse);
    let address = f.text("address").unwrap_or_default();
    let division_code = division_code?;
    Some(Institution {
        uscc: uscc?,
        name: name?,
        kind: kind?,
        mohrss_code: mohrss_code.unwrap_or_else(|| "0000".to_owned()),
        province_code2: province_code2.unwrap_or_else(|| division_code.province_code().to_owned()),
        site_serial: site_serial.unwrap_or_default(),
        division_code,
        address,
    })
}

// ---------------------------------------------------------------------------------------
// Filings

pub(crate) const FILING_COLUMNS: [ColumnSpec; 12] = [
    col("filing_no", "备案编号", true, true),
    col("institution_uscc", "统一社会信用代码", true, false),
    col("filing_type", "备案类型", true, false),
    col("authority_code", "备案部门代码", true, false),
    col("authority_level", "备案层级", true, false),
    col("scope", "备案范围", true, true),
    col("effective_from", "生效日期", true, false),
    col("effective_to", "截止日期", false, false),
    col("status", "状态", false, false),
    col("status_effective_at", "状态生效日期", false, false),
    col("status_reason", "状态原因", false, true),
    col("cross_registrations", "异地报备", false, true),
];

const FILING_TYPES: EnumSpec = EnumSpec {
    what_zh: "备案类型",
    what_en: "filing type",
    codes: &[
        ("SKILL_LEVEL", "等级认定备案"),
        ("SPECIAL_ABILITY", "专项能力考核备案"),
        ("TRAINING_PERMIT", "培训办学许可"),
    ],
    serde_names: &[],
};

const AUTHORITY_LEVELS: EnumSpec = EnumSpec {
    what_zh: "备案层级",
    what_en: "authority level",
    codes: &[
        ("MINISTRY", "部"),
        ("MINISTRY", "部级"),
        ("PROVINCE", "省"),
        ("PROVINCE", "省级"),
        ("CITY", "市"),
        ("CITY", "市级"),
        ("COUNTY", "县"),
        ("COUNTY", "县级"),
        ("COUNTY", "区县"),
    ],
    serde_names: &[],
};

const FILING_STATUSES: EnumSpec = EnumSpec {
    what_zh: "备案状态",
    what_en: "filing status",
    codes: &[
        ("ACTIVE", "有效"),
        ("SUSPENDED", "暂停"),
        ("REVOKED", "撤销"),
        ("CANCELLED", "注销"),
        ("EXPIRED", "到期"),
    ],
    serde_names: &[],
};

pub(crate) fn build_filing(f: &mut Fields<'_>) -> Option<FilingInput> {
    let filing_no = f.text("filing_no");
    let institution_uscc = f.parse("institution_uscc", Uscc::parse);
    let filing_type = f.parse("filing_type", |v| FILING_TYPES.parse(v));
    let authority_code = f.parse("authority_code", CountyCode::parse);
    let authority_level = f.parse("authority_level", |v| AUTHORITY_LEVELS.parse(v));
    let scope = f.custom("scope", scope_from_cell);
    let effective_from = f.parse("effective_from", Date::parse);
    let effective_to = f.parse("effective_to", Date::parse);
    let status: Option<FilingStatus> = f.parse("status", |v| FILING_STATUSES.parse(v));
    let status_at = f.parse("status_effective_at", Date::parse);
    let reason = f.text("status_reason").unwrap_or_default();
    let cross_registrations: Vec<CrossRegistration> =
        f.json("cross_registrations").unwrap_or_default();

    if let (Some(from), Some(to)) = (effective_from, effective_to) {
        if to < from {
            f.fail(
                "effective_to",
                format!("截止日期 {to} 早于生效日期 {from}"),
                format!("effective_to {to} is before effective_from {from}"),
            );
        }
    }
    let status_bad = f.has("status") && status.is_none();
    let status = status.unwrap_or(FilingStatus::Active);
    let code = serde_code(&status);
    if let (Some(from), Some(at)) = (effective_from, status_at) {
        if at < from {
            f.fail(
                "status_effective_at",
                format!("状态生效日期 {at} 早于生效日期 {from}"),
                format!("status_effective_at {at} is before effective_from {from}"),
            );
        }
    }
    if status != FilingStatus::Active && status_at.is_none() && !status_bad {
        f.fail(
            "status_effective_at",
            format!("状态为 {code} 时必须填写状态生效日期"),
            format!("status {code} needs status_effective_at (the day the status took effect)"),
        );
    }
    let filing_no = filing_no?;
    let effective_from = effective_from?;
    let status_change = status_at
        .filter(|at| status != FilingStatus::Active || *at > effective_from)
        .map(|at| FilingStatusChange {
            filing_no: filing_no.clone(),
            status,
            effective_at: at,
            reason,
            affected_certificates: Vec::new(),
        });
    Some(FilingInput {
        filing: Filing {
            filing_no,
            institution_uscc: institution_uscc?,
            filing_type: filing_type?,
            authority_code: authority_code?,
            authority_level: authority_level?,
            scope: scope?,
            effective_from,
            effective_to,
            cross_registrations,
        },
        status_change,
    })
}

// ---------------------------------------------------------------------------------------
// Filing status changes

pub(crate) const FILING_STATUS_COLUMNS: [ColumnSpec; 5] = [
    col("filing_no", "备案编号", true, true),
    col("status", "状态", true, false),
    col("effective_at", "状态生效日期", true, false),
    col("reason", "状态原因", false, true),
    col("affected_certificates", "涉及证书", false, false),
];

pub(crate) fn build_filing_status(f: &mut Fields<'_>) -> Option<FilingStatusChange> {
    let filing_no = f.text("filing_no");
    let status = f.parse("status", |v| FILING_STATUSES.parse(v));
    let effective_at = f.parse("effective_at", Date::parse);
    let reason = f.text("reason").unwrap_or_default();
    let affected = f
        .list("affected_certificates", |v| {
            CertNo::parse(v).map(|c| c.as_str().to_owned())
        })
        .unwrap_or_default();
    Some(FilingStatusChange {
        filing_no: filing_no?,
        status: status?,
        effective_at: effective_at?,
        reason,
        affected_certificates: sorted(affected),
    })
}

// ---------------------------------------------------------------------------------------
// Experts

pub(crate) const EXPERT_COLUMNS: [ColumnSpec; 15] = [
    col("expert_id", "专家编号", true, true),
    col("name", "姓名", true, true),
    col("id_type", "证件类型", false, false),
    col("id_no", "证件号码", true, false),
    col("home_county", "所属区县", true, false),
    col("employer_uscc", "工作单位统一社会信用代码", false, false),
    col("roles", "角色", true, false),
    col("card_no", "证卡编号", false, true),
    col("card_valid_to", "证卡有效期", false, false),
    col("occupation_scope", "职业范围", false, false),
    col("own_level", "本人等级", false, false),
    col("title_level", "职称", false, false),
    col("assessing_since", "考评起始日期", false, false),
    col("shared_scope", "共享范围", false, false),
    col("status", "状态", false, false),
];

const EXPERT_ROLES: EnumSpec = EnumSpec {
    what_zh: "专家角色",
    what_en: "expert role",
    codes: &[
        ("ASSESSOR", "考评员"),
        ("SENIOR_ASSESSOR", "高级考评员"),
        ("INTERNAL_SUPERVISOR", "内督"),
        ("INTERNAL_SUPERVISOR", "内部质量督导员"),
        ("EXTERNAL_SUPERVISOR", "外督"),
        ("EXTERNAL_SUPERVISOR", "外部质量督导员"),
        ("REFEREE", "裁判"),
        ("REFEREE", "裁判员"),
        ("ITEM_WRITER", "命题专家"),
        ("MASTER", "技能大师"),
    ],
    serde_names: &[],
};

const TITLE_LEVELS: EnumSpec = EnumSpec {
    what_zh: "职称",
    what_en: "title level",
    codes: &[
        ("NONE", "无"),
        ("JUNIOR", "初级"),
        ("INTERMEDIATE", "中级"),
        ("SUB_SENIOR", "副高"),
        ("SUB_SENIOR", "副高级"),
        ("SENIOR", "正高"),
        ("SENIOR", "正高级"),
    ],
    serde_names: &[],
};

const EXPERT_STATUSES: EnumSpec = EnumSpec {
    what_zh: "专家状态",
    what_en: "expert status",
    codes: &[
        ("ACTIVE", "有效"),
        ("ACTIVE", "在册"),
        ("SUSPENDED", "暂停"),
        ("REMOVED", "移除"),
        ("REMOVED", "除名"),
    ],
    serde_names: &[],
};

/// `ALLIANCE` (联盟), or counties (`;`-separated text or an array).
fn shared_scope_from_cell(cell: Cell<'_>) -> Result<SharedScope, IdError> {
    let counties: Vec<String> = match cell.as_str() {
        Some(s) if is_alliance(s) => return Ok(SharedScope::Alliance),
        Some(s) => split_list(s).map(str::to_owned).collect(),
        None => from_cell(cell)?,
    };
    let counties = counties
        .iter()
        .enumerate()
        .map(|(n, c)| CountyCode::parse(c).map_err(|e| item_error(n + 1, e)))
        .collect::<Result<Vec<_>, _>>()?;
    if counties.is_empty() {
        return Err(IdError::new(
            "共享范围为空：填 ALLIANCE（联盟）或区县代码",
            "shared scope is empty: ALLIANCE or county codes",
        ));
    }
    Ok(SharedScope::Counties(sorted(counties)))
}

/// `shared_scope` defaults to the whole alliance, `title_level` to NONE, `status` to
/// ACTIVE.
pub(crate) fn build_expert(f: &mut Fields<'_>) -> Option<ExpertInput> {
    let expert_id = f.text("expert_id");
    let name = f.text("name");
    let id_type = f.text("id_type").unwrap_or_default();
    let person_id = f.parse("id_no", |v| PersonId::parse(&id_type, v));
    let home_county = f.parse("home_county", CountyCode::parse);
    let employer_uscc = f.parse("employer_uscc", Uscc::parse);
    let roles: Option<Vec<ExpertRole>> = f.list("roles", |v| EXPERT_ROLES.parse(v));
    if roles.as_ref().is_some_and(Vec::is_empty) {
        f.fail("roles", "角色为空", "no role given");
    }
    let card_no = f.text("card_no").unwrap_or_default();
    let card_valid_to = f.parse("card_valid_to", Date::parse);
    let occupation_scope = f
        .list("occupation_scope", OccupationCode::parse)
        .unwrap_or_default();
    let own_level = f.parse("own_level", Level::parse);
    let title_level = f.parse("title_level", |v| TITLE_LEVELS.parse(v));
    let assessing_since = f.parse("assessing_since", Date::parse);
    let shared_scope = f.custom("shared_scope", shared_scope_from_cell);
    let status = f.parse("status", |v| EXPERT_STATUSES.parse(v));
    Some(ExpertInput {
        person_id: person_id?,
        expert: Expert {
            expert_id: expert_id?,
            person_key: String::new(),
            name: name?,
            home_county: home_county?,
            employer_uscc,
            roles: sorted(roles?),
            card_no,
            card_valid_to,
            occupation_scope: sorted(occupation_scope),
            own_level,
            title_level: title_level.unwrap_or(TitleLevel::None),
            assessing_since,
            shared_scope: shared_scope.unwrap_or(SharedScope::Alliance),
            status: status.unwrap_or(ExpertStatus::Active),
        },
    })
}

// ---------------------------------------------------------------------------------------
// Relations

pub(crate) const RELATION_COLUMNS: [ColumnSpec; 5] = [
    col("expert_id", "专家编号", true, true),
    col("counterpart_kind", "对象类型", true, false),
    col("counterpart", "对象", true, false),
    col("relation", "关系", true, false),
    col("counterpart_id_type", "对象证件类型", false, false),
];

const COUNTERPART_KINDS: EnumSpec = EnumSpec {
    what_zh: "对象类型",
    what_en: "counterpart kind",
    codes: &[
        ("PERSON", "个人"),
        ("EMPLOYER", "工作单位"),
        ("EMPLOYER", "用人单位"),
        ("TRAINING_ORG", "培训机构"),
    ],
    serde_names: &[],
};

const RELATION_TYPES: EnumSpec = EnumSpec {
    what_zh: "回避关系",
    what_en: "relation",
    codes: &[
        ("KIN", "近亲属"),
        ("TEACHER", "师生"),
        ("MASTER_APPRENTICE", "师徒"),
        ("COLLEAGUE", "同事"),
        ("TRAINER", "培训关系"),
        ("OTHER", "其他"),
    ],
    serde_names: &[],
};

/// The counterpart is an ID number (of `counterpart_id_type`, default 居民身份证) for a
/// PERSON, a USCC otherwise.
pub(crate) fn build_relation(f: &mut Fields<'_>) -> Option<RelationInput> {
    let expert_id = f.text("expert_id");
    let kind: Option<CounterpartKind> = f.parse("counterpart_kind", |v| COUNTERPART_KINDS.parse(v));
    let id_type = f.text("counterpart_id_type").unwrap_or_default();
    let counterpart = match kind {
        Some(CounterpartKind::Person) => f.parse("counterpart", |v| {
            PersonId::parse(&id_type, v).map(Counterpart::Person)
        }),
        Some(CounterpartKind::Employer | CounterpartKind::TrainingOrg) => f
            .parse("counterpart", |v| {
                Uscc::parse(v).map(Counterpart::Organisation)
            }),
        None => None,
    };
    let relation = f.parse("relation", |v| RELATION_TYPES.parse(v));
    Some(RelationInput {
        expert_id: expert_id?,
        counterpart_kind: kind?,
        counterpart: counterpart?,
        relation: relation?,
    })
}

// ---------------------------------------------------------------------------------------
// Assessment batches

pub(crate) const BATCH_COLUMNS: [ColumnSpec; 11] = [
    col("batch_id", "批次编号", true, true),
    col("institution_uscc", "评价机构统一社会信用代码", true, false),
    col("filing_no", "备案编号", true, true),
    col("occupation_code", "职业编码", true, false),
    col("work_type", "工种/职业方向", true, true),
    col("level", "等级", true, false),
    col("exam_date", "考试日期", true, false),
    col("candidates", "考生", true, false),
    col("rooms", "考场", true, true),
    col("supervisors", "督导", false, true),
    col("offered_for_alliance", "提交联盟互认", false, false),
];

/// A candidate as the export gives it: an identity document instead of a person key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CandidateJson {
    #[serde(default)]
    id_type: String,
    id_no: String,
    #[serde(default)]
    employer_uscc: Option<Uscc>,
    #[serde(default)]
    training_institution_uscc: Option<Uscc>,
}

fn candidates_from_cell(cell: Cell<'_>) -> Result<Vec<CandidateInput>, IdError> {
    let raw: Vec<CandidateJson> = from_cell(cell)?;
    raw.into_iter()
        .enumerate()
        .map(|(n, c)| {
            Ok(CandidateInput {
                person_id: PersonId::parse(&c.id_type, &c.id_no)
                    .map_err(|e| item_error(n + 1, e))?,
                employer_uscc: c.employer_uscc,
                training_institution_uscc: c.training_institution_uscc,
            })
        })
        .collect()
}

/// Candidates carry `id_type` + `id_no` (and optional employer and training institution
/// USCCs); rooms and supervisors are as in the record. `offered_for_alliance` defaults to
/// true.
pub(crate) fn build_batch(f: &mut Fields<'_>) -> Option<BatchInput> {
    let batch_id = f.text("batch_id");
    let institution_uscc = f.parse("institution_uscc", Uscc::parse);
    let filing_no = f.text("filing_no");
    let occupation_code = f.parse("occupation_code", OccupationCode::parse);
    let work_type = f.text("work_type");
    let level = f.parse("level", Level::parse);
    let exam_date = f.parse("exam_date", Date::parse);
    let candidates = f.custom("candidates", candidates_from_cell);
    let rooms: Option<Vec<Room>> = f.json("rooms");
    let supervisors: Vec<Supervisor> = f.json("supervisors").unwrap_or_default();
    let offered = f.flag("offered_for_alliance").unwrap_or(true);
    Some(BatchInput {
        batch: AssessmentBatch {
            batch_id: batch_id?,
            institution_uscc: institution_uscc?,
            filing_no: filing_no?,
            occupation_code: occupation_code?,
            work_type: work_type?,
            level: level?,
            exam_date: exam_date?,
            candidates: Vec::new(),
            rooms: rooms?,
            supervisors,
            offered_for_alliance: offered,
        },
        candidates: candidates?,
    })
}

// ---------------------------------------------------------------------------------------
// Competitions and results

pub(crate) const COMPETITION_COLUMNS: [ColumnSpec; 8] = [
    col("competition_id", "竞赛编号", true, true),
    col("name", "竞赛名称", true, true),
    col("class", "竞赛级别", true, false),
    col("year", "年度", true, false),
    col("events", "赛项", true, true),
    col("co_defined_by", "共定区县", false, false),
    col("recognised_by", "互认区县", false, false),
    col("promotion_table", "晋升表", false, true),
];

const COMPETITION_CLASSES: EnumSpec = EnumSpec {
    what_zh: "竞赛级别",
    what_en: "competition class",
    codes: &[
        ("WORLD", "世界技能大赛"),
        ("NATIONAL_I", "国家级一类"),
        ("NATIONAL_II", "国家级二类"),
        ("PROVINCIAL_I", "省级一类"),
        ("PROVINCIAL_II", "省级二类"),
        ("CITY", "市级"),
        ("COUNTY", "县级"),
        ("ENTERPRISE", "企业"),
        ("ALLIANCE", "联盟"),
    ],
    serde_names: &[],
};

pub(crate) fn build_competition(f: &mut Fields<'_>) -> Option<Competition> {
    let competition_id = f.text("competition_id");
    let name = f.text("name");
    let class = f.parse("class", |v| COMPETITION_CLASSES.parse(v));
    let year = f.parse("year", year);
    let events: Option<Vec<CompetitionEvent>> = f.json("events");
    let co_defined_by = f
        .list("co_defined_by", CountyCode::parse)
        .unwrap_or_default();
    let recognised_by = f
        .list("recognised_by", CountyCode::parse)
        .unwrap_or_default();
    let promotion_table = f.text("promotion_table").unwrap_or_default();
    Some(Competition {
        competition_id: competition_id?,
        name: name?,
        class: class?,
        year: year?,
        events: events?,
        co_defined_by: sorted(co_defined_by),
        recognised_by: sorted(recognised_by),
        promotion_table,
    })
}

pub(crate) const RESULT_COLUMNS: [ColumnSpec; 10] = [
    col("result_id", "成绩编号", true, true),
    col("competition_id", "竞赛编号", true, true),
    col("event_id", "赛项编号", true, true),
    col("id_type", "证件类型", false, false),
    col("id_no", "证件号码", true, false),
    col("participant_type", "参赛身份", true, false),
    col("rank", "名次", true, false),
    col("participants", "参赛人数", true, false),
    col("award", "奖项", false, true),
    col("referees", "裁判", false, true),
];

const PARTICIPANT_TYPES: EnumSpec = EnumSpec {
    what_zh: "参赛身份",
    what_en: "participant type",
    codes: &[
        ("EMPLOYEE", "职工"),
        ("STUDENT", "学生"),
        ("TEACHER", "教师"),
    ],
    serde_names: &[],
};

pub(crate) fn build_result(f: &mut Fields<'_>) -> Option<ResultInput> {
    let result_id = f.text("result_id");
    let competition_id = f.text("competition_id");
    let event_id = f.text("event_id");
    let id_type = f.text("id_type").unwrap_or_default();
    let person_id = f.parse("id_no", |v| PersonId::parse(&id_type, v));
    let participant_type = f.parse("participant_type", |v| PARTICIPANT_TYPES.parse(v));
    let rank: Option<u32> = f.parse("rank", |v| whole(v, "名次", "rank"));
    let participants: Option<u32> =
        f.parse("participants", |v| whole(v, "参赛人数", "participants"));
    let award = f.text("award").unwrap_or_default();
    let referees = f.list("referees", |v| Ok(v.to_owned())).unwrap_or_default();
    if let (Some(r), Some(p)) = (rank, participants) {
        if r == 0 || r > p {
            f.fail(
                "rank",
                format!("名次 {r} 应在 1 与参赛人数 {p} 之间"),
                format!("rank {r} must be between 1 and the {p} participants"),
            );
        }
    }
    Some(ResultInput {
        person_id: person_id?,
        result: CompetitionResult {
            result_id: result_id?,
            competition_id: competition_id?,
            event_id: event_id?,
            person_key: String::new(),
            participant_type: participant_type?,
            rank: rank?,
            participants: participants?,
            award,
            referees,
        },
    })
}

// ---------------------------------------------------------------------------------------
// Reference data

pub(crate) const OCCUPATION_COLUMNS: [ColumnSpec; 4] = [
    col("code", "职业编码", true, false),
    col("name", "职业名称", true, true),
    col("levels", "等级", true, false),
    col("access_controlled", "准入类", false, false),
];

pub(crate) fn build_occupation(f: &mut Fields<'_>) -> Option<Occupation> {
    let code = f.parse("code", OccupationCode::parse);
    let name = f.text("name");
    let levels = f.custom("levels", levels_from_cell);
    let access_controlled = f.flag("access_controlled").unwrap_or(false);
    Some(Occupation {
        code: code?,
        name: name?,
        levels: levels?,
        access_controlled,
    })
}

pub(crate) const URGENT_COLUMNS: [ColumnSpec; 3] = [
    col("year", "年度", true, false),
    col("county", "区县", false, false),
    col("occupations", "急需紧缺职业", true, false),
];

/// `county` empty or `ALLIANCE` (联盟) = the whole alliance.
pub(crate) fn build_urgent(f: &mut Fields<'_>) -> Option<UrgentList> {
    let year = f.parse("year", year);
    let county = f
        .parse("county", |v| {
            if is_alliance(v) {
                Ok(None)
            } else {
                CountyCode::parse(v).map(Some)
            }
        })
        .flatten();
    let occupations = f.list("occupations", OccupationCode::parse);
    Some(UrgentList {
        year: year?,
        county,
        occupations: sorted(occupations?),
    })
}
