//! R9: recusal 回避. No panel member, supervisor or referee with a declared relation to a
//! candidate, the candidate's employer, or teaching at the candidate's training
//! institution. A Y (employer) batch may use same-employer panel members (and its internal
//! supervisors) when at least one panel member comes from another employer.

use std::collections::{BTreeMap, BTreeSet};

use bashu_core::record::{
    AssessmentBatch, CounterpartKind, Expert, InstitutionKind, PanelRole, RelationType,
    SupervisorKind,
};

use crate::messages::{expert_en, expert_zh, numbers_en, numbers_zh, relation_en, relation_zh};
use crate::snapshot::Snapshot;
use crate::verdict::{Finding, RuleId};

const R: RuleId = RuleId::R9;

/// Where an expert sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Seat {
    Panel(PanelRole),
    Supervisor(SupervisorKind),
    Referee,
}

impl Seat {
    fn label_zh(self) -> &'static str {
        match self {
            Seat::Panel(PanelRole::Proctor) => "监考",
            Seat::Panel(PanelRole::Assessor) => "考评员",
            Seat::Panel(PanelRole::LeadAssessor) => "考评组长",
            Seat::Panel(PanelRole::Reviewer) => "评审委员",
            Seat::Supervisor(SupervisorKind::Internal) => "内督",
            Seat::Supervisor(SupervisorKind::External) => "外督",
            Seat::Referee => "裁判",
        }
    }

    fn label_en(self) -> &'static str {
        match self {
            Seat::Panel(PanelRole::Proctor) => "proctor",
            Seat::Panel(PanelRole::Assessor) => "assessor",
            Seat::Panel(PanelRole::LeadAssessor) => "lead assessor",
            Seat::Panel(PanelRole::Reviewer) => "reviewer",
            Seat::Supervisor(SupervisorKind::Internal) => "internal supervisor",
            Seat::Supervisor(SupervisorKind::External) => "external supervisor",
            Seat::Referee => "referee",
        }
    }

    /// Seats the Y-batch same-employer exception covers.
    fn inside_the_employer(self) -> bool {
        matches!(
            self,
            Seat::Panel(_) | Seat::Supervisor(SupervisorKind::Internal)
        )
    }
}

/// A candidate or contestant, numbered from 1.
#[derive(Debug, Clone)]
pub(crate) struct Party {
    pub number: usize,
    pub person_key: String,
    pub employer: Option<String>,
    pub training: Option<String>,
}

/// What the people judged are called in messages.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Judged {
    Candidates,
    Contestants,
}

impl Judged {
    fn zh(self) -> &'static str {
        match self {
            Judged::Candidates => "考生",
            Judged::Contestants => "选手",
        }
    }

    fn en(self) -> &'static str {
        match self {
            Judged::Candidates => "candidate(s)",
            Judged::Contestants => "contestant(s)",
        }
    }
}

/// Why an expert conflicts, grouped so one finding lists every party concerned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Conflict {
    RelatedPerson(RelationType),
    RelatedEmployer(RelationType, String),
    RelatedTrainer(RelationType, String),
    SameEmployer(String),
    TeachesAt(String),
}

/// The parties of a batch.
pub(crate) fn candidates(batch: &AssessmentBatch) -> Vec<Party> {
    batch
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| Party {
            number: i + 1,
            person_key: c.person_key.to_ascii_lowercase(),
            employer: c.employer_uscc.as_ref().map(|u| u.as_str().to_owned()),
            training: c
                .training_institution_uscc
                .as_ref()
                .map(|u| u.as_str().to_owned()),
        })
        .collect()
}

/// Employers of the known panel members of a batch.
pub(crate) fn panel_employers(snap: &dyn Snapshot, batch: &AssessmentBatch) -> BTreeSet<String> {
    batch
        .rooms
        .iter()
        .flat_map(|r| r.members.iter())
        .filter_map(|m| snap.expert(&m.expert_id)?.employer_uscc)
        .map(|u| u.as_str().to_owned())
        .collect()
}

/// Whether same-employer seats are allowed for candidates employed by `employer`: a Y
/// batch with a panel member from another employer.
pub(crate) fn y_exception(
    snap: &dyn Snapshot,
    batch: &AssessmentBatch,
) -> impl Fn(&str) -> bool + use<> {
    let is_y = snap
        .institution(batch.institution_uscc.as_str())
        .is_some_and(|i| i.kind == InstitutionKind::Y);
    let employers = panel_employers(snap, batch);
    move |employer: &str| is_y && employers.iter().any(|e| e != employer)
}

/// R9 findings for a batch: panel members (room order), then supervisors.
pub fn check_recusal(snap: &dyn Snapshot, batch: &AssessmentBatch) -> Vec<Finding> {
    let parties = candidates(batch);
    let allowed = y_exception(snap, batch);
    let mut seats: Vec<(&str, Seat)> = Vec::new();
    for m in batch.rooms.iter().flat_map(|r| r.members.iter()) {
        seats.push((&m.expert_id, Seat::Panel(m.role)));
    }
    for s in &batch.supervisors {
        seats.push((&s.expert_id, Seat::Supervisor(s.kind)));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (id, seat) in seats {
        if !seen.insert((id, seat)) {
            continue;
        }
        if let Some(expert) = snap.expert(id) {
            out.extend(conflicts(
                snap,
                &expert,
                seat,
                &parties,
                Judged::Candidates,
                &allowed,
            ));
        }
    }
    out
}

/// The conflicts of one expert in one seat with the parties judged.
pub(crate) fn conflicts(
    snap: &dyn Snapshot,
    expert: &Expert,
    seat: Seat,
    parties: &[Party],
    judged: Judged,
    same_employer_allowed: &dyn Fn(&str) -> bool,
) -> Vec<Finding> {
    let mut relations = snap.relations_of(&expert.expert_id);
    relations.sort_by_key(|r| r.record_id());
    let own_employer = expert.employer_uscc.as_ref().map(|u| u.as_str());
    let mut found: BTreeMap<Conflict, Vec<usize>> = BTreeMap::new();
    for p in parties {
        let mut add = |c: Conflict| {
            let list = found.entry(c).or_default();
            if !list.contains(&p.number) {
                list.push(p.number);
            }
        };
        for r in &relations {
            let target = r.counterpart.trim();
            match r.counterpart_kind {
                CounterpartKind::Person if target.eq_ignore_ascii_case(&p.person_key) => {
                    add(Conflict::RelatedPerson(r.relation));
                }
                CounterpartKind::Employer if p.employer.as_deref() == Some(target) => {
                    add(Conflict::RelatedEmployer(r.relation, target.to_owned()));
                }
                CounterpartKind::TrainingOrg if p.training.as_deref() == Some(target) => {
                    add(Conflict::RelatedTrainer(r.relation, target.to_owned()));
                }
                _ => {}
            }
        }
        if let (Some(own), Some(theirs)) = (own_employer, p.employer.as_deref()) {
            let excepted = seat.inside_the_employer() && same_employer_allowed(theirs);
            if own == theirs && !excepted {
                add(Conflict::SameEmployer(own.to_owned()));
            }
        }
        if let (Some(own), Some(school)) = (own_employer, p.training.as_deref()) {
            if own == school {
                add(Conflict::TeachesAt(own.to_owned()));
            }
        }
    }
    let who_zh = format!(
        "{}（{}）",
        expert_zh(&expert.expert_id, Some(&expert.name)),
        seat.label_zh()
    );
    let who_en = format!(
        "{}, {},",
        expert_en(&expert.expert_id, Some(&expert.name)),
        seat.label_en()
    );
    let (nz, ne) = (judged.zh(), judged.en());
    found
        .into_iter()
        .map(|(conflict, numbers)| {
            let (ns_zh, ns_en) = (numbers_zh(&numbers), numbers_en(&numbers));
            let (zh, en, counterpart) = match &conflict {
                Conflict::RelatedPerson(t) => (
                    format!("{who_zh}与{nz} {ns_zh} 有申报的回避关系（{}）", relation_zh(*t)),
                    format!("{who_en} has a declared relation ({}) with {ne} {ns_en}", relation_en(*t)),
                    None,
                ),
                Conflict::RelatedEmployer(t, u) => (
                    format!("{who_zh}与{nz} {ns_zh} 的工作单位 {u} 有申报的回避关系（{}）", relation_zh(*t)),
                    format!("{who_en} has a declared relation ({}) with {u}, the employer of {ne} {ns_en}", relation_en(*t)),
                    Some(u),
                ),
                Conflict::RelatedTrainer(t, u) => (
                    format!("{who_zh}与{nz} {ns_zh} 的培训机构 {u} 有申报的回避关系（{}）", relation_zh(*t)),
                    format!("{who_en} has a declared relation ({}) with {u}, the training institution of {ne} {ns_en}", relation_en(*t)),
                    Some(u),
                ),
                Conflict::SameEmployer(u) => (
                    format!("{who_zh}与{nz} {ns_zh} 同属工作单位 {u}"),
                    format!("{who_en} works for {u}, the employer of {ne} {ns_en}"),
                    Some(u),
                ),
                Conflict::TeachesAt(u) => (
                    format!("{who_zh}任职于{nz} {ns_zh} 的培训机构 {u}"),
                    format!("{who_en} works at {u}, the training institution of {ne} {ns_en}"),
                    Some(u),
                ),
            };
            let f = Finding::fail(R, zh, en)
                .fact("expert_id", &expert.expert_id)
                .fact("seat", seat.label_en())
                .fact("parties", ns_en);
            match counterpart {
                Some(u) => f.fact("counterpart", u),
                None => f,
            }
        })
        .collect()
}
