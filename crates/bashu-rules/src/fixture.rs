//! Test support, compiled always so that other crates' tests can use it: an in-memory
//! [`MemSnapshot`], builders of valid records, and a [`World`] in which one certificate is
//! recognised, for tests to break one thing at a time.
//!
//! Every builder takes identifiers the caller knows to be valid (constants); it panics with
//! a message naming the bad value otherwise. Nothing here reads a clock or randomness: the
//! "random" identifiers come from `bashu_core::synth` with fixed seeds.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use bashu_core::codec::Certificate;
use bashu_core::person::PseudonymKey;
use bashu_core::record::{
    AssessmentBatch, AuthorityLevel, Candidate, CertStatus, CertType, CertificateInput,
    CertificateStatusChange, Competition, CompetitionClass, CompetitionEvent, CompetitionResult,
    Expert, ExpertRole, ExpertStatus, Filing, FilingStatusChange, FilingType, Institution,
    InstitutionKind, Occupation, PanelMember, PanelRole, ParticipantType, Relation, Room, RoomKind,
    ScopeItem, SharedScope, Supervisor, SupervisorKind, TitleLevel,
};
use bashu_core::synth::{Rng, id_number, uscc as synth_uscc};
use bashu_core::{CertNo, CountyCode, Date, Level, OccupationCode, PersonId, Uscc};

use crate::params::RuleParams;
use crate::snapshot::{AuthorStanding, CertificateRef, Snapshot};

// ------------------------------------------------------------------------------- values

/// 荣昌区 (重庆).
pub const RONGCHANG: &str = "500153";
/// 泸县 (四川).
pub const LUXIAN: &str = "510521";
/// 隆昌市 (四川).
pub const LONGCHANG: &str = "511083";
/// 永川区 (重庆): not a member in [`World`].
pub const YONGCHUAN: &str = "500118";

/// 焊工.
pub const WELDER: (&str, &str) = ("6-18-02-04", "焊工");
/// 养老护理员.
pub const CARER: (&str, &str) = ("4-10-01-05", "养老护理员");
/// 消防设施操作员: the fixture's 准入类 occupation (the flag is fixture data).
pub const FIRE_SAFETY: (&str, &str) = ("4-07-05-04", "消防设施操作员");

fn must<T, E: Debug>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("fixture: {what}: {e:?}"),
    }
}

pub fn county(code: &str) -> CountyCode {
    must(CountyCode::parse(code), code)
}

pub fn date(s: &str) -> Date {
    must(Date::parse(s), s)
}

pub fn occupation_code(s: &str) -> OccupationCode {
    must(OccupationCode::parse(s), s)
}

/// A valid USCC registered in `county`, the same for the same seed.
pub fn uscc(seed: u64, county: &str) -> Uscc {
    let s = synth_uscc(&mut Rng::new(seed), county);
    must(Uscc::parse(&s), &s)
}

/// The alliance pseudonym key of the fixture.
pub fn pseudonym_key() -> PseudonymKey {
    PseudonymKey::from_bytes([0x5a; 32])
}

/// A person with a valid resident ID (born 1988, registered in 荣昌).
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub id: PersonId,
}

impl Person {
    /// The same seed gives the same ID number.
    pub fn new(seed: u64, name: &str) -> Person {
        let number = id_number(&mut Rng::new(seed), RONGCHANG, 1988);
        Person {
            name: name.to_owned(),
            id: must(PersonId::parse("", &number), "synthetic ID number"),
        }
    }

    pub fn key(&self) -> [u8; 32] {
        pseudonym_key().person_key(&self.id)
    }

    pub fn key_hex(&self) -> String {
        hex::encode(self.key())
    }

    pub fn candidate(&self, employer: Option<&Uscc>, training: Option<&Uscc>) -> Candidate {
        Candidate {
            person_key: self.key_hex(),
            employer_uscc: employer.cloned(),
            training_institution_uscc: training.cloned(),
        }
    }
}

pub fn institution(
    uscc: Uscc,
    name: &str,
    kind: InstitutionKind,
    division: &str,
    mohrss_code: &str,
    site_serial: &str,
) -> Institution {
    let division_code = county(division);
    Institution {
        uscc,
        name: name.to_owned(),
        kind,
        mohrss_code: mohrss_code.to_owned(),
        province_code2: division_code.province_code().to_owned(),
        site_serial: site_serial.to_owned(),
        division_code,
        address: String::new(),
    }
}

pub fn scope(occupation: &str, work_type: &str, levels: &[Level]) -> ScopeItem {
    ScopeItem {
        occupation_code: occupation_code(occupation),
        work_type: work_type.to_owned(),
        levels: levels.to_vec(),
    }
}

/// A skill-level filing of `inst` with the province.
pub fn filing(
    filing_no: &str,
    inst: &Institution,
    scope: Vec<ScopeItem>,
    from: &str,
    to: Option<&str>,
) -> Filing {
    Filing {
        filing_no: filing_no.to_owned(),
        institution_uscc: inst.uscc.clone(),
        filing_type: FilingType::SkillLevel,
        authority_code: inst.division_code.clone(),
        authority_level: AuthorityLevel::Province,
        scope,
        effective_from: date(from),
        effective_to: to.map(date),
        cross_registrations: Vec::new(),
    }
}

pub fn filing_change(
    filing_no: &str,
    status: bashu_core::record::FilingStatus,
    at: &str,
    affected: &[&str],
) -> FilingStatusChange {
    FilingStatusChange {
        filing_no: filing_no.to_owned(),
        status,
        effective_at: date(at),
        reason: String::new(),
        affected_certificates: affected.iter().map(|s| (*s).to_owned()).collect(),
    }
}

pub fn cert_change(cert_no: &str, status: CertStatus, at: &str) -> CertificateStatusChange {
    CertificateStatusChange {
        cert_no: cert_no.to_owned(),
        status,
        effective_date: date(at),
        reason: String::new(),
    }
}

/// A current-scheme number (`S` + code + province + site + YY + level + serial) of `inst`.
pub fn cert_no(inst: &Institution, year: i32, level: Level, serial: u32) -> String {
    let letter = match inst.kind {
        InstitutionKind::Y => 'Y',
        _ => 'S',
    };
    format!(
        "{letter}{}{}{}{:02}{}{serial:06}",
        inst.mohrss_code,
        inst.province_code2,
        inst.site_serial,
        year.rem_euclid(100),
        level.digit()
    )
}

/// A replicated certificate as the home node would write it.
pub fn certificate(
    person: &Person,
    inst: &Institution,
    number: &str,
    filing_no: &str,
    occupation: (&str, &str),
    level: Level,
    issued: &str,
) -> Certificate {
    let input = CertificateInput {
        cert_no: must(CertNo::parse(number), number),
        cert_type: CertType::SkillLevel,
        name: person.name.clone(),
        person_id: person.id.clone(),
        occupation_code: occupation_code(occupation.0),
        occupation_name: occupation.1.to_owned(),
        work_type: "--".to_owned(),
        level,
        issue_date: date(issued),
        institution_uscc: inst.uscc.clone(),
        institution_name: inst.name.clone(),
        filing_no: filing_no.to_owned(),
        batch_id: None,
        status: CertStatus::Valid,
    };
    Certificate::from_input(&input, &pseudonym_key())
}

/// A fully qualified senior assessor (一级, 副高, card valid to 2030, assessing since 2015),
/// shared with the whole alliance, for 焊工 and 养老护理员. Tests take away what they test.
pub fn expert(expert_id: &str, name: &str, home: &str) -> Expert {
    let seed = expert_id
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    Expert {
        expert_id: expert_id.to_owned(),
        person_key: Person::new(seed, name).key_hex(),
        name: name.to_owned(),
        home_county: county(home),
        employer_uscc: None,
        roles: vec![ExpertRole::Assessor, ExpertRole::SeniorAssessor],
        card_no: format!("KP-{expert_id}"),
        card_valid_to: Some(date("2030-12-31")),
        occupation_scope: vec![occupation_code(WELDER.0), occupation_code(CARER.0)],
        own_level: Some(Level::One),
        title_level: TitleLevel::SubSenior,
        assessing_since: Some(date("2015-01-01")),
        shared_scope: SharedScope::Alliance,
        status: ExpertStatus::Active,
    }
}

pub fn member(expert_id: &str, role: PanelRole) -> PanelMember {
    PanelMember {
        expert_id: expert_id.to_owned(),
        role,
    }
}

pub fn room(kind: RoomKind, candidate_count: u32, members: &[(&str, PanelRole)]) -> Room {
    Room {
        kind,
        candidate_count,
        members: members.iter().map(|(id, role)| member(id, *role)).collect(),
    }
}

pub fn supervisor(expert_id: &str, kind: SupervisorKind, appointed_by: &str) -> Supervisor {
    Supervisor {
        expert_id: expert_id.to_owned(),
        kind,
        appointed_by: county(appointed_by),
    }
}

pub fn occupation(code: (&str, &str), access_controlled: bool) -> Occupation {
    Occupation {
        code: occupation_code(code.0),
        name: code.1.to_owned(),
        levels: vec![
            Level::Five,
            Level::Four,
            Level::Three,
            Level::Two,
            Level::One,
        ],
        access_controlled,
    }
}

// ------------------------------------------------------------------------ MemSnapshot

/// An in-memory [`Snapshot`]. Everything is kept in `BTreeMap`s and returned sorted, so
/// the order records were added in never shows.
#[derive(Debug, Clone)]
pub struct MemSnapshot {
    pub params: RuleParams,
    members: BTreeSet<CountyCode>,
    log_sizes: BTreeMap<CountyCode, u64>,
    /// Standing of an author from a log position on.
    standing: BTreeMap<CountyCode, BTreeMap<u64, AuthorStanding>>,
    certificates: BTreeMap<(CountyCode, String), CertificateRef>,
    cert_status: BTreeMap<(CountyCode, String), BTreeMap<String, CertificateStatusChange>>,
    institutions: BTreeMap<String, Institution>,
    filings: BTreeMap<String, Filing>,
    filing_status: BTreeMap<String, BTreeMap<String, FilingStatusChange>>,
    experts: BTreeMap<String, Expert>,
    relations: BTreeMap<String, BTreeMap<String, Relation>>,
    batches: BTreeMap<String, AssessmentBatch>,
    competitions: BTreeMap<String, Competition>,
    results: BTreeMap<String, CompetitionResult>,
    occupations: BTreeMap<String, Occupation>,
}

impl MemSnapshot {
    /// An empty snapshot of an alliance of `members`, with the alliance default parameters.
    pub fn new(members: &[&str]) -> MemSnapshot {
        let members: BTreeSet<CountyCode> = members.iter().map(|c| county(c)).collect();
        MemSnapshot {
            params: RuleParams::alliance_default(),
            log_sizes: members.iter().map(|c| (c.clone(), 0)).collect(),
            members,
            standing: BTreeMap::new(),
            certificates: BTreeMap::new(),
            cert_status: BTreeMap::new(),
            institutions: BTreeMap::new(),
            filings: BTreeMap::new(),
            filing_status: BTreeMap::new(),
            experts: BTreeMap::new(),
            relations: BTreeMap::new(),
            batches: BTreeMap::new(),
            competitions: BTreeMap::new(),
            results: BTreeMap::new(),
            occupations: BTreeMap::new(),
        }
    }

    pub fn set_params(&mut self, params: RuleParams) -> &mut Self {
        self.params = params;
        self
    }

    pub fn add_member(&mut self, code: &str) -> &mut Self {
        let c = county(code);
        self.log_sizes.entry(c.clone()).or_insert(0);
        self.members.insert(c);
        self
    }

    pub fn remove_member(&mut self, code: &str) -> &mut Self {
        self.members.remove(&county(code));
        self
    }

    /// `author`'s standing from log position `from_seq` on (until the next change).
    pub fn set_standing(
        &mut self,
        author: &str,
        from_seq: u64,
        standing: AuthorStanding,
    ) -> &mut Self {
        self.standing
            .entry(county(author))
            .or_default()
            .insert(from_seq, standing);
        self
    }

    pub fn set_log_size(&mut self, author: &str, size: u64) -> &mut Self {
        self.log_sizes.insert(county(author), size);
        self
    }

    /// Adds (or replaces) a certificate at `seq` of `author`'s log; the log grows to hold it.
    pub fn add_certificate(&mut self, author: &str, seq: u64, cert: Certificate) -> CertificateRef {
        let author = county(author);
        let size = self.log_sizes.entry(author.clone()).or_insert(0);
        *size = (*size).max(seq + 1);
        let r = CertificateRef {
            author: author.clone(),
            seq,
            certificate: cert,
        };
        self.certificates
            .insert((author, r.certificate.cert_no.clone()), r.clone());
        r
    }

    pub fn add_certificate_status(
        &mut self,
        author: &str,
        change: CertificateStatusChange,
    ) -> &mut Self {
        self.cert_status
            .entry((county(author), change.cert_no.clone()))
            .or_default()
            .insert(change.record_id(), change);
        self
    }

    pub fn add_institution(&mut self, inst: Institution) -> &mut Self {
        self.institutions
            .insert(inst.uscc.as_str().to_owned(), inst);
        self
    }

    pub fn add_filing(&mut self, filing: Filing) -> &mut Self {
        self.filings.insert(filing.filing_no.clone(), filing);
        self
    }

    pub fn add_filing_status(&mut self, change: FilingStatusChange) -> &mut Self {
        self.filing_status
            .entry(change.filing_no.clone())
            .or_default()
            .insert(change.record_id(), change);
        self
    }

    pub fn add_expert(&mut self, expert: Expert) -> &mut Self {
        self.experts.insert(expert.expert_id.clone(), expert);
        self
    }

    pub fn add_relation(&mut self, relation: Relation) -> &mut Self {
        self.relations
            .entry(relation.expert_id.clone())
            .or_default()
            .insert(relation.record_id(), relation);
        self
    }

    pub fn add_batch(&mut self, batch: AssessmentBatch) -> &mut Self {
        self.batches.insert(batch.batch_id.clone(), batch);
        self
    }

    pub fn add_competition(&mut self, competition: Competition) -> &mut Self {
        self.competitions
            .insert(competition.competition_id.clone(), competition);
        self
    }

    pub fn add_result(&mut self, result: CompetitionResult) -> &mut Self {
        self.results.insert(result.result_id.clone(), result);
        self
    }

    pub fn add_occupation(&mut self, occupation: Occupation) -> &mut Self {
        self.occupations
            .insert(occupation.code.as_str().to_owned(), occupation);
        self
    }

    /// Mutable access to a stored expert (to break one qualification in a test).
    pub fn expert_mut(&mut self, expert_id: &str) -> Option<&mut Expert> {
        self.experts.get_mut(expert_id)
    }

    pub fn batch_mut(&mut self, batch_id: &str) -> Option<&mut AssessmentBatch> {
        self.batches.get_mut(batch_id)
    }

    pub fn filing_mut(&mut self, filing_no: &str) -> Option<&mut Filing> {
        self.filings.get_mut(filing_no)
    }

    pub fn institution_mut(&mut self, uscc: &str) -> Option<&mut Institution> {
        self.institutions.get_mut(uscc)
    }
}

impl Snapshot for MemSnapshot {
    fn log_sizes(&self) -> Vec<(CountyCode, u64)> {
        self.log_sizes
            .iter()
            .map(|(c, n)| (c.clone(), *n))
            .collect()
    }

    fn members(&self) -> Vec<CountyCode> {
        self.members.iter().cloned().collect()
    }

    fn params(&self) -> &RuleParams {
        &self.params
    }

    fn author_standing(&self, author: &CountyCode, seq: u64) -> AuthorStanding {
        let set = self
            .standing
            .get(author)
            .and_then(|m| m.range(..=seq).next_back().map(|(_, s)| *s));
        match set {
            Some(s) => s,
            None if self.members.contains(author) => AuthorStanding::Member,
            None => AuthorStanding::NotMember,
        }
    }

    fn certificates_by_number(&self, cert_no: &str) -> Vec<CertificateRef> {
        self.certificates
            .iter()
            .filter(|((_, no), _)| no == cert_no)
            .map(|(_, r)| r.clone())
            .collect()
    }

    fn certificates_of_person(&self, person_key: &[u8]) -> Vec<CertificateRef> {
        self.certificates
            .values()
            .filter(|r| r.certificate.person_key == person_key)
            .cloned()
            .collect()
    }

    fn certificate_status_changes(
        &self,
        author: &CountyCode,
        cert_no: &str,
    ) -> Vec<CertificateStatusChange> {
        let mut v: Vec<CertificateStatusChange> = self
            .cert_status
            .get(&(author.clone(), cert_no.to_owned()))
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        v.sort_by_key(|c| (c.effective_date, c.record_id()));
        v
    }

    fn institution(&self, uscc: &str) -> Option<Institution> {
        self.institutions.get(uscc).cloned()
    }

    fn filing(&self, filing_no: &str) -> Option<Filing> {
        self.filings.get(filing_no).cloned()
    }

    fn filing_status_changes(&self, filing_no: &str) -> Vec<FilingStatusChange> {
        let mut v: Vec<FilingStatusChange> = self
            .filing_status
            .get(filing_no)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        v.sort_by_key(|c| (c.effective_at, c.record_id()));
        v
    }

    fn expert(&self, expert_id: &str) -> Option<Expert> {
        self.experts.get(expert_id).cloned()
    }

    fn experts(&self) -> Vec<Expert> {
        self.experts.values().cloned().collect()
    }

    fn relations_of(&self, expert_id: &str) -> Vec<Relation> {
        self.relations
            .get(expert_id)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    fn batch(&self, batch_id: &str) -> Option<AssessmentBatch> {
        self.batches.get(batch_id).cloned()
    }

    fn batches_of_institution(&self, uscc: &str) -> Vec<AssessmentBatch> {
        let mut v: Vec<AssessmentBatch> = self
            .batches
            .values()
            .filter(|b| b.institution_uscc.as_str() == uscc)
            .cloned()
            .collect();
        v.sort_by(|a, b| (a.exam_date, &a.batch_id).cmp(&(b.exam_date, &b.batch_id)));
        v
    }

    fn competition(&self, competition_id: &str) -> Option<Competition> {
        self.competitions.get(competition_id).cloned()
    }

    fn competition_result(&self, result_id: &str) -> Option<CompetitionResult> {
        self.results.get(result_id).cloned()
    }

    fn results_of_person(&self, person_key_hex: &str) -> Vec<CompetitionResult> {
        self.results
            .values()
            .filter(|r| r.person_key.eq_ignore_ascii_case(person_key_hex))
            .cloned()
            .collect()
    }

    fn occupation(&self, code: &str) -> Option<Occupation> {
        self.occupations.get(code).cloned()
    }
}

// ------------------------------------------------------------------------------ World

/// A small alliance (荣昌, 泸县, 隆昌) in which [`World::cert`] — 王伟's 焊工 三级
/// certificate from a 荣昌 training school, assessed in batch `B2023-001` — is recognised
/// everywhere. Tests break one thing and look at the one finding it causes.
#[derive(Debug, Clone)]
pub struct World {
    pub snap: MemSnapshot,
    /// 重庆市荣昌区安陶职业技能培训学校 (S, filed with the province, site 001230).
    pub school: Institution,
    /// 隆昌某汽车零部件有限公司 (Y, MOHRSS code 4518, site 004518).
    pub company: Institution,
    /// The school's filing `BA500153-01`: 焊工 五–一级, 养老护理员 五–三级, 2020–2026.
    pub filing_no: String,
    /// 王伟: holds a legacy 四级 焊工 certificate (2017) and the 三级 one.
    pub person: Person,
    /// The 三级 certificate, `S000050001230233000015`, issued 2023-05-04, at 荣昌 seq 5.
    pub cert: CertificateRef,
    /// The 三级 batch on 2023-04-10: theory (E04, E06 proctors), practical (E01–E03),
    /// external supervisor E05 of 泸县.
    pub batch: AssessmentBatch,
}

pub const SCHOOL_NAME: &str = "重庆市荣昌区安陶职业技能培训学校";
pub const COMPANY_NAME: &str = "隆昌某汽车零部件有限公司";
pub const FILING_NO: &str = "BA500153-01";
pub const BATCH_ID: &str = "B2023-001";

impl Default for World {
    fn default() -> World {
        World::new()
    }
}

impl World {
    pub fn new() -> World {
        let mut snap = MemSnapshot::new(&[RONGCHANG, LUXIAN, LONGCHANG]);
        let school = institution(
            uscc(1, RONGCHANG),
            SCHOOL_NAME,
            InstitutionKind::S,
            RONGCHANG,
            "0000",
            "001230",
        );
        let company = institution(
            uscc(2, LONGCHANG),
            COMPANY_NAME,
            InstitutionKind::Y,
            LONGCHANG,
            "4518",
            "004518",
        );
        let all = [
            Level::Five,
            Level::Four,
            Level::Three,
            Level::Two,
            Level::One,
        ];
        let f = filing(
            FILING_NO,
            &school,
            vec![scope(WELDER.0, "--", &all), scope(CARER.0, "--", &all[..3])],
            "2020-01-01",
            Some("2026-12-31"),
        );
        snap.add_institution(school.clone())
            .add_institution(company.clone())
            .add_filing(f)
            .add_occupation(occupation(WELDER, false))
            .add_occupation(occupation(CARER, false))
            .add_occupation(occupation(FIRE_SAFETY, true));

        let person = Person::new(11, "王伟");
        let mut legacy = certificate(
            &person,
            &school,
            "1750002003400123",
            "",
            WELDER,
            Level::Four,
            "2017-03-01",
        );
        legacy.institution_name_printed = "重庆市职业技能鉴定指导中心".to_owned();
        legacy.institution_uscc = uscc(3, RONGCHANG).as_str().to_owned();
        snap.add_certificate(RONGCHANG, 1, legacy);

        for (id, name, home) in [
            ("E01", "李强", RONGCHANG),
            ("E02", "张敏", LUXIAN),
            ("E03", "刘洋", LONGCHANG),
            ("E04", "陈静", RONGCHANG),
            ("E06", "杨军", RONGCHANG),
        ] {
            snap.add_expert(expert(id, name, home));
        }
        let mut outside = expert("E05", "黄勇", LUXIAN);
        outside.roles = vec![ExpertRole::ExternalSupervisor];
        snap.add_expert(outside);

        let batch = AssessmentBatch {
            batch_id: BATCH_ID.to_owned(),
            institution_uscc: school.uscc.clone(),
            filing_no: FILING_NO.to_owned(),
            occupation_code: occupation_code(WELDER.0),
            work_type: "--".to_owned(),
            level: Level::Three,
            exam_date: date("2023-04-10"),
            candidates: vec![person.candidate(Some(&company.uscc), None)],
            rooms: vec![
                room(
                    RoomKind::Theory,
                    1,
                    &[("E04", PanelRole::Proctor), ("E06", PanelRole::Proctor)],
                ),
                room(
                    RoomKind::Practical,
                    1,
                    &[
                        ("E01", PanelRole::LeadAssessor),
                        ("E02", PanelRole::Assessor),
                        ("E03", PanelRole::Assessor),
                    ],
                ),
            ],
            supervisors: vec![supervisor("E05", SupervisorKind::External, LUXIAN)],
            offered_for_alliance: true,
        };
        snap.add_batch(batch.clone());

        let number = cert_no(&school, 2023, Level::Three, 15);
        let mut c = certificate(
            &person,
            &school,
            &number,
            FILING_NO,
            WELDER,
            Level::Three,
            "2023-05-04",
        );
        c.batch_id = BATCH_ID.to_owned();
        let cert = snap.add_certificate(RONGCHANG, 5, c);
        World {
            snap,
            school,
            company,
            filing_no: FILING_NO.to_owned(),
            person,
            cert,
            batch,
        }
    }

    /// Replaces the world's certificate (same author and position) after `edit`.
    pub fn edit_cert(&mut self, edit: impl FnOnce(&mut Certificate)) {
        let mut c = self.cert.certificate.clone();
        edit(&mut c);
        let author = self.cert.author.as_str().to_owned();
        self.cert = self.snap.add_certificate(&author, self.cert.seq, c);
    }

    /// Replaces the world's batch after `edit`.
    pub fn edit_batch(&mut self, edit: impl FnOnce(&mut AssessmentBatch)) {
        edit(&mut self.batch);
        self.snap.add_batch(self.batch.clone());
    }

    /// An alliance competition of 荣昌, 泸县, 隆昌 (recognised by those three and 永川)
    /// with one 焊工 event `E-WELD` (standard level 三级), added to the snapshot.
    pub fn add_alliance_competition(&mut self, id: &str, year: i32) -> Competition {
        let c = Competition {
            competition_id: id.to_owned(),
            name: format!("{year}年渝西川南“巴蜀工匠”职业技能竞赛"),
            class: CompetitionClass::Alliance,
            year,
            events: vec![CompetitionEvent {
                event_id: "E-WELD".to_owned(),
                occupation_code: occupation_code(WELDER.0),
                work_type: "--".to_owned(),
                standard_level: Level::Three,
            }],
            co_defined_by: vec![county(RONGCHANG), county(LUXIAN), county(LONGCHANG)],
            recognised_by: vec![
                county(RONGCHANG),
                county(LUXIAN),
                county(LONGCHANG),
                county(YONGCHUAN),
            ],
            promotion_table: String::new(),
        };
        self.snap.add_competition(c.clone());
        c
    }

    /// A result of `person` in event `E-WELD` of `competition_id`, added to the snapshot.
    pub fn add_result(
        &mut self,
        result_id: &str,
        competition_id: &str,
        person: &Person,
        participant_type: ParticipantType,
        rank: u32,
    ) -> CompetitionResult {
        let r = CompetitionResult {
            result_id: result_id.to_owned(),
            competition_id: competition_id.to_owned(),
            event_id: "E-WELD".to_owned(),
            person_key: person.key_hex(),
            participant_type,
            rank,
            participants: 40,
            award: String::new(),
            referees: Vec::new(),
        };
        self.snap.add_result(r.clone());
        r
    }
}
