//! R6: each candidate holds the next lower level in the same occupation long enough, or
//! meets an alternative path of the parameters.

use bashu_core::record::{AssessmentBatch, Candidate};
use bashu_core::{Date, Level, OccupationCode};

use crate::messages::{candidate_en, candidate_zh, level_en, level_zh};
use crate::snapshot::{CertificateRef, Snapshot};
use crate::status::{add_years, certificate_status_on};
use crate::verdict::{Finding, RuleId};

const R: RuleId = RuleId::R6;

/// One way to qualify: hold `requires` in one of `occupations` for `min_years`.
struct Path<'a> {
    requires: Level,
    min_years: u32,
    occupations: Vec<&'a OccupationCode>,
}

/// A held certificate that a path could use.
struct Held {
    cert_no: String,
    issued: Date,
    eligible_from: Date,
}

/// R6 findings for every candidate of a batch, in candidate order.
pub fn check_prerequisites(snap: &dyn Snapshot, batch: &AssessmentBatch) -> Vec<Finding> {
    let params = &snap.params().prerequisites;
    let Some(step) = params.step_for(batch.level) else {
        return Vec::new(); // 五级 (or any level without a step) has no prerequisite.
    };
    let mut paths = vec![Path {
        requires: step.requires,
        min_years: step.min_years,
        occupations: vec![&batch.occupation_code],
    }];
    for alt in params
        .alternative_paths
        .iter()
        .filter(|a| a.level == batch.level)
    {
        paths.push(Path {
            requires: alt.requires,
            min_years: alt.min_years,
            occupations: if alt.occupations.is_empty() {
                vec![&batch.occupation_code]
            } else {
                alt.occupations.iter().collect()
            },
        });
    }
    batch
        .candidates
        .iter()
        .enumerate()
        .filter_map(|(i, c)| check_candidate(snap, batch, &paths, i + 1, c))
        .collect()
}

fn check_candidate(
    snap: &dyn Snapshot,
    batch: &AssessmentBatch,
    paths: &[Path<'_>],
    number: usize,
    candidate: &Candidate,
) -> Option<Finding> {
    let key = &candidate.person_key;
    let (who_zh, who_en) = (candidate_zh(number, key), candidate_en(number, key));
    let Ok(key_bytes) = hex::decode(key) else {
        return Some(
            Finding::review(
                R,
                format!("考生 #{number} 的人员标识无法识别"),
                format!("the person key of candidate #{number} is not valid hex"),
            )
            .fact("candidate", number),
        );
    };
    let exam = batch.exam_date;
    let mut certs = snap.certificates_of_person(&key_bytes);
    certs.sort_by(|a, b| {
        (&a.author, &a.certificate.cert_no).cmp(&(&b.author, &b.certificate.cert_no))
    });
    // The main path's certificates, for the message when no path is met.
    let mut main_held: Vec<Held> = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let held = held_for(snap, &certs, path, exam);
        if held.iter().any(|h| h.eligible_from <= exam) {
            return None;
        }
        if i == 0 {
            main_held = held;
        }
    }
    let main = &paths[0];
    let target = batch.level;
    let occ = &batch.occupation_code;
    let base = |f: Finding| {
        f.fact("candidate", number)
            .fact("exam_date", exam)
            .fact("occupation_code", occ)
            .fact("required_level", main.requires.digit())
    };
    // The earliest-issued certificate is the closest to qualifying.
    match main_held.iter().min_by(|a, b| (a.issued, &a.cert_no).cmp(&(b.issued, &b.cert_no))) {
        Some(h) => Some(base(
            Finding::fail(
                R,
                format!(
                    "{who_zh}的 {} 证书 {} 发证于 {}，须满 {} 年（{} 起）方可报考 {}，考试日期为 {exam}",
                    level_zh(main.requires),
                    h.cert_no,
                    h.issued,
                    main.min_years,
                    h.eligible_from,
                    level_zh(target)
                ),
                format!(
                    "{who_en} got {} certificate {} on {}; {} needs {} years (from {}) but the exam is on {exam}",
                    level_en(main.requires),
                    h.cert_no,
                    h.issued,
                    level_en(target),
                    main.min_years,
                    h.eligible_from
                ),
            )
            .fact("held_cert_no", &h.cert_no)
            .fact("held_issue_date", h.issued)
            .fact("eligible_from", h.eligible_from),
        )),
        None => Some(base(Finding::review(
            R,
            format!(
                "数据中没有{who_zh}在 {occ} 的 {} 证书，无法核对报考条件",
                level_zh(main.requires)
            ),
            format!(
                "no {} certificate of {who_en} in {occ} is in the replicated data, so the prerequisite cannot be checked",
                level_en(main.requires)
            ),
        ))),
    }
}

/// Certificates of the person that fit a path, in force on the exam date.
fn held_for(
    snap: &dyn Snapshot,
    certs: &[CertificateRef],
    path: &Path<'_>,
    exam: Date,
) -> Vec<Held> {
    certs
        .iter()
        .filter_map(|r| {
            let c = &r.certificate;
            if c.level != Some(path.requires)
                || !path
                    .occupations
                    .iter()
                    .any(|o| o.as_str() == c.occupation_code)
            {
                return None;
            }
            let issued = c.issue_date()?;
            let changes = snap.certificate_status_changes(&r.author, &c.cert_no);
            let in_force = certificate_status_on(c, &changes, exam).is_some_and(|s| s.in_force());
            in_force.then(|| Held {
                cert_no: c.cert_no.clone(),
                issued,
                eligible_from: add_years(issued, path.min_years),
            })
        })
        .collect()
}
