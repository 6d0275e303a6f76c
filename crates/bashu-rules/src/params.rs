//! Rule parameters. They live in the genesis (`rule_parameters_json`) and change only by
//! alliance decision; [`RuleParams::alliance_default`] is what `alliance init` writes into a
//! new genesis (the values SPEC marks "alliance default").
//!
//! Every field is required in the JSON form and unknown fields are refused: a parameter
//! document either says everything the rules need or it is not accepted. Maps and sets are
//! `BTreeMap`/`BTreeSet`, so the serialised form is deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use bashu_core::record::{CertType, CompetitionClass, ParticipantType, TitleLevel};
use bashu_core::{Level, OccupationCode};

/// Why a parameter document was refused.
#[derive(Debug, thiserror::Error)]
#[error("rule parameters are invalid: {0}")]
pub struct ParamsError(pub String);

/// All parameters of the rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleParams {
    /// Whether a high-skill certificate must name an assessment batch (R14).
    pub require_batch_for_high_skill: bool,
    /// R6: application prerequisites.
    pub prerequisites: PrerequisiteParams,
    /// R7: panel sizes and ratios.
    pub panel: PanelParams,
    /// R8: assessor qualification thresholds.
    pub assessor: AssessorParams,
    /// R10: rotation of panel members.
    pub rotation: RotationParams,
    /// R11: cross-county supervision.
    pub supervision: SupervisionParams,
    /// R12: promotion tables by id; a competition without a table id uses `default`.
    pub promotion_tables: BTreeMap<String, PromotionTable>,
    /// R13: 技术能手 title thresholds.
    pub skill_title: SkillTitleParams,
    /// R14: the recognition scope 互认范围.
    pub recognition_scope: RecognitionScope,
    /// R15: skill-upgrade subsidy.
    pub subsidy: SubsidyParams,
}

/// R6: a candidate for `level` must hold `requires` in the same occupation for `min_years`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrerequisiteStep {
    /// The level applied for.
    pub level: Level,
    /// The level that must already be held.
    pub requires: Level,
    /// Whole years between the held certificate's issue date and the exam date.
    pub min_years: u32,
}

/// R6: another way to qualify for `level` (e.g. a related occupation, or a longer wait).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlternativePath {
    /// The level applied for.
    pub level: Level,
    /// The level that must already be held.
    pub requires: Level,
    /// Whole years between the held certificate's issue date and the exam date.
    pub min_years: u32,
    /// Occupations whose certificate counts; empty = the batch's own occupation.
    pub occupations: BTreeSet<OccupationCode>,
    /// What the path is, for officials (Chinese).
    pub description_zh: String,
    /// What the path is, for officials (English).
    pub description_en: String,
}

/// R6 parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrerequisiteParams {
    /// One step per level; a level without a step (五级) has no prerequisite.
    pub steps: Vec<PrerequisiteStep>,
    /// Other ways to qualify (alliance default: none).
    pub alternative_paths: Vec<AlternativePath>,
}

impl PrerequisiteParams {
    /// The step for a level applied for, if that level has a prerequisite.
    pub fn step_for(&self, level: Level) -> Option<&PrerequisiteStep> {
        self.steps.iter().find(|s| s.level == level)
    }
}

/// R7 parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelParams {
    /// Theory room: at least this many proctors…
    pub theory_min_proctors: u32,
    /// …and at least one per this many candidates.
    pub theory_candidates_per_proctor: u32,
    /// Practical room: at least this many assessors (考评员 and 考评组长)…
    pub practical_min_assessors: u32,
    /// …an odd number of them…
    pub practical_assessors_odd: bool,
    /// …and at least one per this many candidates (default ratio).
    pub practical_candidates_per_assessor: u32,
    /// Ratio per occupation, overriding the default.
    pub practical_candidates_per_assessor_by_occupation: BTreeMap<OccupationCode, u32>,
    /// Batches at this level or above need a 综合评审 room.
    pub review_room_from_level: Level,
    /// A review room has at least this many members…
    pub review_min_members: u32,
    /// …an odd number of them.
    pub review_members_odd: bool,
}

impl PanelParams {
    /// Candidates per assessor for an occupation (override or default).
    pub fn candidates_per_assessor(&self, occupation: &OccupationCode) -> u32 {
        self.practical_candidates_per_assessor_by_occupation
            .get(occupation)
            .copied()
            .unwrap_or(self.practical_candidates_per_assessor)
    }
}

/// R8 parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessorParams {
    /// Batches at this level or above need 高级考评员 (default 二级).
    pub senior_from_level: Level,
    /// Below it: own level at least this…
    pub min_own_level: Level,
    /// …or a title at least this.
    pub min_title: TitleLevel,
    /// 高级考评员: own level at least this…
    pub senior_min_own_level: Level,
    /// …or a title at least this…
    pub senior_min_title: TitleLevel,
    /// …and at least this many years since `assessing_since`.
    pub senior_min_years_assessing: u32,
}

/// A fraction `num/den`, written as the string `"1/2"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraction {
    /// Numerator (≤ `den`).
    pub num: u32,
    /// Denominator (> 0).
    pub den: u32,
}

impl Fraction {
    /// Whether `part / whole ≥ self` (exact integer arithmetic).
    pub fn reached_by(self, part: u64, whole: u64) -> bool {
        part * u64::from(self.den) >= whole * u64::from(self.num)
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

impl Serialize for Fraction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let parsed = s
            .split_once('/')
            .and_then(|(n, d)| Some((n.trim().parse().ok()?, d.trim().parse().ok()?)));
        match parsed {
            Some((num, den)) if den > 0 && num <= den => Ok(Fraction { num, den }),
            _ => Err(serde::de::Error::custom(format!(
                "fraction \"{s}\" is not of the form \"n/d\" with 0 ≤ n ≤ d, d > 0"
            ))),
        }
    }
}

/// R10 parameters (REVIEW only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationParams {
    /// An expert sits on panels of one institution in at most this many consecutive batches.
    pub max_consecutive_batches: u32,
    /// A new panel changes at least this share of its members from the previous panel.
    pub min_change: Fraction,
}

/// R11 parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisionParams {
    /// Batches at this level or above need an external supervisor from another county.
    pub external_from_level: Level,
    /// How many such external supervisors at least.
    pub min_external_supervisors: u32,
}

/// How a promotion row selects results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankCutoff {
    /// Rank 1..=n.
    TopRank(u32),
    /// The best n percent: `rank × 100 ≤ n × participants`.
    TopPercent(u32),
}

impl RankCutoff {
    pub fn admits(self, rank: u32, participants: u32) -> bool {
        if rank == 0 {
            return false;
        }
        match self {
            RankCutoff::TopRank(n) => rank <= n,
            RankCutoff::TopPercent(p) => {
                u64::from(rank) * 100 <= u64::from(p) * u64::from(participants)
            }
        }
    }
}

impl fmt::Display for RankCutoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RankCutoff::TopRank(n) => write!(f, "top {n}"),
            RankCutoff::TopPercent(p) => write!(f, "top {p}%"),
        }
    }
}

/// One row of a promotion table: (class, participant type, cutoff) → target level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromotionRow {
    /// Competition classes the row applies to.
    pub classes: BTreeSet<CompetitionClass>,
    /// 职工 / 学生 / 教师.
    pub participant_type: ParticipantType,
    /// Which ranks it admits.
    pub cutoff: RankCutoff,
    /// The level granted (at most 一级); when several rows admit a result, the highest.
    pub target: Level,
}

/// R12: a promotion table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromotionTable {
    /// The rows, in any order.
    pub rows: Vec<PromotionRow>,
    /// Already at the target: promote one level higher (never above 一级).
    pub bump_if_already: bool,
}

/// R13 parameters: 技术能手.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillTitleParams {
    /// Who may hold the title (default: employees only).
    pub participant_types: BTreeSet<ParticipantType>,
    /// Highest eligible rank per competition class.
    pub max_rank_by_class: BTreeMap<CompetitionClass, u32>,
    /// Highest eligible rank for classes not in the map.
    pub default_max_rank: u32,
}

impl SkillTitleParams {
    pub fn max_rank(&self, class: CompetitionClass) -> u32 {
        self.max_rank_by_class
            .get(&class)
            .copied()
            .unwrap_or(self.default_max_rank)
    }
}

/// R14: what the alliance recognises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecognitionScope {
    /// Certificate types recognised.
    pub cert_types: BTreeSet<CertType>,
    /// Whether 准入类 qualifications are recognised.
    pub include_access_controlled: bool,
    /// Only these occupations, when set.
    pub occupations_allowed: Option<BTreeSet<OccupationCode>>,
    /// Never these occupations.
    pub occupations_excluded: BTreeSet<OccupationCode>,
    /// Only these levels, when set.
    pub levels: Option<BTreeSet<Level>>,
}

/// R15 parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubsidyParams {
    /// Levels a claim may be for.
    pub levels: BTreeSet<Level>,
    /// A claim is made within this many months of the issue date.
    pub claim_within_months: u32,
    /// Claims per person per calendar year (of the claim date).
    pub max_claims_per_person_per_year: u32,
}

impl RuleParams {
    /// The SPEC's alliance defaults.
    pub fn alliance_default() -> RuleParams {
        use CompetitionClass as C;
        use ParticipantType as P;
        let step = |level, requires, min_years| PrerequisiteStep {
            level,
            requires,
            min_years,
        };
        let row = |classes: &[C], participant_type, cutoff, target| PromotionRow {
            classes: classes.iter().copied().collect(),
            participant_type,
            cutoff,
            target,
        };
        let (top10, top6, top30) = (
            RankCutoff::TopRank(10),
            RankCutoff::TopRank(6),
            RankCutoff::TopPercent(30),
        );
        let first_class = [C::ProvincialI, C::City];
        let second_class = [C::ProvincialII, C::County, C::Alliance];
        let tianjin = PromotionTable {
            rows: vec![
                row(&first_class, P::Employee, top10, Level::Two),
                row(&first_class, P::Student, top10, Level::Three),
                row(&second_class, P::Employee, top6, Level::Three),
                row(&second_class, P::Student, top6, Level::Four),
                row(&[C::Enterprise], P::Employee, top30, Level::Four),
                row(&[C::Enterprise], P::Student, top30, Level::Four),
            ],
            bump_if_already: true,
        };
        RuleParams {
            require_batch_for_high_skill: false,
            prerequisites: PrerequisiteParams {
                steps: vec![
                    step(Level::Four, Level::Five, 4),
                    step(Level::Three, Level::Four, 5),
                    step(Level::Two, Level::Three, 4),
                    step(Level::One, Level::Two, 4),
                ],
                alternative_paths: Vec::new(),
            },
            panel: PanelParams {
                theory_min_proctors: 2,
                theory_candidates_per_proctor: 15,
                practical_min_assessors: 3,
                practical_assessors_odd: true,
                practical_candidates_per_assessor: 5,
                practical_candidates_per_assessor_by_occupation: BTreeMap::new(),
                review_room_from_level: Level::Two,
                review_min_members: 3,
                review_members_odd: true,
            },
            assessor: AssessorParams {
                senior_from_level: Level::Two,
                min_own_level: Level::Three,
                min_title: TitleLevel::Intermediate,
                senior_min_own_level: Level::One,
                senior_min_title: TitleLevel::SubSenior,
                senior_min_years_assessing: 1,
            },
            rotation: RotationParams {
                max_consecutive_batches: 3,
                min_change: Fraction { num: 1, den: 2 },
            },
            supervision: SupervisionParams {
                external_from_level: Level::Three,
                min_external_supervisors: 1,
            },
            promotion_tables: BTreeMap::from([("default".to_owned(), tianjin)]),
            skill_title: SkillTitleParams {
                participant_types: BTreeSet::from([P::Employee]),
                max_rank_by_class: BTreeMap::from([(C::NationalI, 5), (C::NationalII, 3)]),
                default_max_rank: 1,
            },
            recognition_scope: RecognitionScope {
                cert_types: CertType::ALL.into_iter().collect(),
                include_access_controlled: false,
                occupations_allowed: None,
                occupations_excluded: BTreeSet::new(),
                levels: None,
            },
            subsidy: SubsidyParams {
                levels: BTreeSet::from([Level::Three, Level::Four, Level::Five]),
                claim_within_months: 12,
                max_claims_per_person_per_year: 3,
            },
        }
    }

    /// Parses and checks a parameter document.
    pub fn from_json(s: &str) -> Result<RuleParams, ParamsError> {
        let p: RuleParams = serde_json::from_str(s).map_err(|e| ParamsError(e.to_string()))?;
        p.validate()?;
        Ok(p)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The checks serde cannot express: ratios above zero, one step per level, promotion
    /// targets no higher than 一级.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let err = |m: String| Err(ParamsError(m));
        let panel = &self.panel;
        if panel.theory_candidates_per_proctor == 0 || panel.practical_candidates_per_assessor == 0
        {
            return err("candidates per proctor/assessor must be at least 1".into());
        }
        if let Some((occ, _)) = panel
            .practical_candidates_per_assessor_by_occupation
            .iter()
            .find(|(_, n)| **n == 0)
        {
            return err(format!(
                "candidates per assessor for {occ} must be at least 1"
            ));
        }
        let mut seen = BTreeSet::new();
        for s in &self.prerequisites.steps {
            if !seen.insert(s.level) {
                return err(format!(
                    "two prerequisite steps for level {}",
                    s.level.digit()
                ));
            }
        }
        for (id, table) in &self.promotion_tables {
            if let Some(r) = table.rows.iter().find(|r| r.target > Level::One) {
                return err(format!(
                    "promotion table {id}: target {} is above 一级",
                    r.target.digit()
                ));
            }
        }
        if self.rotation.max_consecutive_batches == 0 {
            return err("rotation: max_consecutive_batches must be at least 1".into());
        }
        Ok(())
    }
}

/// The parameters in force on `as_of`: the genesis document with the active parameter
/// decisions effective on or before `as_of` applied in (effective date, proposer, position)
/// order. A scope decision replaces `recognition_scope`; a promotion-table decision sets one
/// table; a parameters decision is a JSON merge patch (RFC 7386) over the whole document.
/// A decision whose result does not validate is skipped (and reported by name).
pub fn params_in_force(
    state: &bashu_core::governance::AllianceState,
    as_of: bashu_core::Date,
) -> Result<(RuleParams, Vec<String>), ParamsError> {
    use bashu_core::governance::Decision;
    let mut doc: serde_json::Value = serde_json::from_str(&state.rule_parameters_json)
        .map_err(|e| ParamsError(format!("genesis rule parameters: {e}")))?;
    RuleParams::from_json(&state.rule_parameters_json)?;
    let mut skipped = Vec::new();
    for d in state.parameter_decisions(as_of) {
        let mut next = doc.clone();
        match &d.proposal.decision {
            Decision::SetRecognitionScope { scope } => {
                next["recognition_scope"] = scope.clone();
            }
            Decision::SetPromotionTable { table_id, table } => {
                next["promotion_tables"][table_id.as_str()] = table.clone();
            }
            Decision::SetRuleParameters { parameters } => merge_patch(&mut next, parameters),
            _ => continue,
        }
        match serde_json::from_value::<RuleParams>(next.clone())
            .map_err(|e| ParamsError(e.to_string()))
            .and_then(|p| p.validate().map(|()| p))
        {
            Ok(_) => doc = next,
            Err(e) => skipped.push(format!("{}/{}: {e}", d.proposer, d.proposal.proposal_id)),
        }
    }
    let params = serde_json::from_value(doc).map_err(|e| ParamsError(e.to_string()))?;
    Ok((params, skipped))
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match patch {
        serde_json::Value::Object(p) => {
            if !target.is_object() {
                *target = serde_json::Value::Object(serde_json::Map::new());
            }
            if let serde_json::Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(serde_json::Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn default_round_trips_through_json() {
        let p = RuleParams::alliance_default();
        let json = p.to_json();
        assert_eq!(RuleParams::from_json(&json).unwrap(), p);
        assert!(json.contains("\"min_change\": \"1/2\""), "{json}");
        assert!(json.contains("\"NATIONAL_I\": 5"), "{json}");
        assert!(json.contains("\"top_percent\": 30"), "{json}");
    }

    #[test]
    fn defaults_are_the_spec_values() {
        let p = RuleParams::alliance_default();
        let years: Vec<(u32, u32, u32)> = p
            .prerequisites
            .steps
            .iter()
            .map(|s| (s.level.digit(), s.requires.digit(), s.min_years))
            .collect();
        assert_eq!(years, [(4, 5, 4), (3, 4, 5), (2, 3, 4), (1, 2, 4)]);
        assert!(p.prerequisites.step_for(Level::Five).is_none());
        assert!(!p.require_batch_for_high_skill);
        assert!(!p.recognition_scope.include_access_controlled);
        assert_eq!(p.skill_title.max_rank(CompetitionClass::NationalI), 5);
        assert_eq!(p.skill_title.max_rank(CompetitionClass::NationalII), 3);
        assert_eq!(p.skill_title.max_rank(CompetitionClass::City), 1);
        assert!(p.promotion_tables["default"].bump_if_already);
    }

    #[test]
    fn refuses_incomplete_or_unknown_or_invalid_documents() {
        assert!(RuleParams::from_json(r#"{"require_batch_for_high_skill": false}"#).is_err());
        let mut v: serde_json::Value =
            serde_json::from_str(&RuleParams::alliance_default().to_json()).unwrap();
        v["surprise"] = serde_json::json!(1);
        assert!(RuleParams::from_json(&v.to_string()).is_err());
        let mut v: serde_json::Value =
            serde_json::from_str(&RuleParams::alliance_default().to_json()).unwrap();
        v["rotation"]["min_change"] = serde_json::json!("3/2");
        assert!(RuleParams::from_json(&v.to_string()).is_err());
        let mut p = RuleParams::alliance_default();
        p.panel.practical_candidates_per_assessor = 0;
        assert!(RuleParams::from_json(&p.to_json()).is_err());
        let mut p = RuleParams::alliance_default();
        p.promotion_tables
            .get_mut("default")
            .unwrap()
            .rows
            .push(PromotionRow {
                classes: BTreeSet::from([CompetitionClass::World]),
                participant_type: ParticipantType::Employee,
                cutoff: RankCutoff::TopRank(1),
                target: Level::Top,
            });
        assert!(p.validate().is_err());
    }

    #[test]
    fn rank_cutoffs_and_fractions() {
        assert!(RankCutoff::TopPercent(30).admits(3, 10));
        assert!(!RankCutoff::TopPercent(30).admits(4, 10));
        assert!(RankCutoff::TopRank(6).admits(6, 100));
        assert!(!RankCutoff::TopRank(6).admits(0, 100));
        let half = Fraction { num: 1, den: 2 };
        assert!(half.reached_by(2, 4));
        assert!(!half.reached_by(1, 3));
    }
}
