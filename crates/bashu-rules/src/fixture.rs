//! Test support, compiled always so that other crates' tests can use it: an in-memory
//! [`MemSnapshot`], builders of valid records, and a [`World`] in which one certificate is
//! recognised, for tests to break one thing at a time.
//!
//! Every builder takes identifiers the caller knows to be valid (constants); it panics with
//! a message naming the bad value otherwise. Nothing here reads a clock or randomness: the
//! "random" identifiers come from `bashu_core::synth` with fixed seeds.

use std::fmt::Debug;

use bashu_core::codec::Certificate;
use bashu_core::person::PseudonymKey;
use bashu_core::record::{
    AuthorityLevel, Candidate, CertStatus, CertType, CertificateInput, CertificateStatusChange,
    Expert, ExpertRole, ExpertStatus, Filing, FilingStatus, FilingStatusChange, FilingType,
    Institution, InstitutionKind, Occupation, PanelMember, PanelRole, Room, RoomKind, ScopeItem,
    SharedScope, Supervisor, SupervisorKind, TitleLevel,
};
use bashu_core::synth::{Rng, id_number, uscc as synth_uscc};
use bashu_core::{CertNo, CountyCode, Date, Level, OccupationCode, PersonId, Uscc};

mod mem;
mod world;

pub use mem::MemSnapshot;
pub use world::{BATCH_ID, COMPANY_NAME, FILING_NO, SCHOOL_NAME, World};

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
    status: FilingStatus,
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
