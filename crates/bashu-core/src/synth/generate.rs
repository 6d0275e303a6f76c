//! The generator of one county's export. See the recipe in [`super`].

use std::collections::{HashMap, HashSet};

use super::dataset::{
    CountyData, Expectations, Expected, ExpectedOutcome, GenError, GenOptions, HeaderLanguage,
    Variant, Violation,
};
use super::places::{FIRM_WORDS, INDUSTRIES, OTHER_REGIONS, Profile, SCHOOL_WORDS};
use super::{GIVEN, OCCUPATIONS, Rng, SURNAMES};
use crate::date::Date;
use crate::id::{
    CertNo, CountyCode, Level, OccupationCode, PersonId, Uscc, id_check_char, uscc_check_char,
};
use crate::import::{
    BatchInput, CandidateInput, Counterpart, ExpertInput, RelationInput, ResultInput,
};
use crate::record::{
    AssessmentBatch, AuthorityLevel, CertStatus, CertType, CertificateInput,
    CertificateStatusChange, Competition, CompetitionClass, CompetitionEvent, CompetitionResult,
    CounterpartKind, CrossRegistration, Expert, ExpertRole, ExpertStatus, Filing, FilingStatus,
    FilingStatusChange, FilingType, Institution, InstitutionKind, Occupation, PanelMember,
    PanelRole, ParticipantType, RelationType, Room, RoomKind, ScopeItem, SharedScope, Supervisor,
    SupervisorKind, TitleLevel, UrgentList,
};

/// 电工 6-31-01-03, the 准入类 occupation of the catalogue.
const ELECTRICIAN: usize = 3;

/// External supervisors each county shares for its neighbour's batches.
const EXTERNAL_SUPERVISORS: usize = 4;

/// Competition year.
const COMPETITION_YEAR: i32 = 2025;

// ------------------------------------------------------------------------------ timeline

fn ymd(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap_or(Date::MIN)
}

fn add_days(d: Date, n: i64) -> Date {
    Date::from_days_since_epoch(d.days_since_epoch() + n)
}

/// The expectations of the manifest hold for checks on this date or later: every status
/// change, suspension and revocation is effective by then.
pub fn as_of() -> Date {
    ymd(2026, 11, 30)
}

fn first_exam() -> Date {
    ymd(2020, 3, 1)
}

fn last_exam() -> Date {
    ymd(2026, 8, 31)
}

/// Latest issue date of any certificate (the last exam plus at most 50 days is earlier).
fn last_issue() -> Date {
    ymd(2026, 10, 20)
}

/// The suspended filing's suspension: from this day…
fn suspended_from() -> Date {
    ymd(2024, 3, 1)
}

/// …until the day before this one.
fn reinstated_on() -> Date {
    ymd(2024, 7, 1)
}

/// The revoked filing's revocation, after its last certificate.
fn filing_revoked_on() -> Date {
    ymd(2026, 10, 31)
}

/// Latest effective date of a certificate status change.
fn last_status_change() -> Date {
    ymd(2026, 11, 15)
}

/// 职业资格证书 (legacy numbers) were issued until the end of 2019.
fn legacy_until() -> Date {
    ymd(2019, 12, 31)
}

/// Years between the prerequisite and the exam (the alliance default of R6).
fn prerequisite_years(level: Level) -> i32 {
    if level == Level::Three { 5 } else { 4 }
}

/// The level below (五级 for 四级, …).
fn lower(level: Level) -> Option<Level> {
    match level {
        Level::Five => None,
        l => Level::from_digit(l.digit() + 1),
    }
}

/// Assessors a practical room of `candidates` needs under the alliance default: at least
/// 3, one per 5 candidates, an odd number.
pub(super) fn assessors_needed(candidates: usize) -> usize {
    let n = candidates.div_ceil(5).max(3);
    if n % 2 == 0 { n + 1 } else { n }
}

/// How many records of a family of `total` get each of `kinds` violation variants.
pub(super) fn per_variant(total: usize, kinds: usize, fraction: f64) -> usize {
    if fraction <= 0.0 || total == 0 {
        return 0;
    }
    ((fraction * total as f64) / kinds as f64).round().max(1.0) as usize
}

// ------------------------------------------------------------------------------ state

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// 职业技能鉴定所: issued the legacy 职业资格证书 until 2019.
    Station,
    /// The county's 职业教育中心: every occupation and level.
    Main,
    /// 社会培训评价组织.
    Evaluator,
    /// 用人单位 assessing its own staff.
    Enterprise,
    /// 职业培训机构: trains candidates, issues nothing.
    Training,
}

struct Inst {
    role: Role,
    inst: Institution,
    filing: Filing,
    former_name: String,
    /// (occupation index, levels) it may issue; the first is its main occupation.
    scope: Vec<(usize, Vec<Level>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seat {
    Proctor,
    Assessor,
    Senior,
    Internal,
    External,
    Referee,
    Expired,
}

#[derive(Debug, Clone)]
struct Team {
    proctors: Vec<String>,
    /// The first is the lead assessor.
    assessors: Vec<String>,
    reviewers: Vec<String>,
}

struct Plan {
    inst: usize,
    occ: usize,
    level: Level,
    exam: Date,
    issue: Date,
    size: usize,
    id: String,
    violation: Option<Variant>,
    team: usize,
    certs: Vec<usize>,
}

impl Plan {
    fn senior(&self) -> bool {
        self.level >= Level::Two
    }
}

/// What a certificate carries on purpose.
#[derive(Debug, Clone, Copy)]
enum Mark {
    Own(Variant),
    Batch(Variant, usize),
}

struct Gen<'a> {
    opts: &'a GenOptions,
    index: usize,
    county: CountyCode,
    name: String,
    profile: Profile,
    rng: Rng,
    large: bool,
    occ_codes: Vec<OccupationCode>,
    people: HashSet<String>,
    usccs: HashSet<String>,
    numbers: HashSet<String>,
    serials: HashMap<String, u32>,
    insts: Vec<Inst>,
    companies: Vec<Uscc>,
    expert_orgs: Vec<Uscc>,
    experts: Vec<ExpertInput>,
    relations: Vec<RelationInput>,
    internal_supervisors: Vec<String>,
    expired_experts: Vec<String>,
    referees: Vec<String>,
    pools: HashMap<(usize, bool), Vec<Team>>,
    certs: Vec<CertificateInput>,
    marks: HashMap<usize, Mark>,
    cert_status: Vec<CertificateStatusChange>,
    filing_status: Vec<FilingStatusChange>,
    plans: Vec<Plan>,
    batches: Vec<BatchInput>,
    competitions: Vec<Competition>,
    results: Vec<ResultInput>,
    expect: Expectations,
}

/// Generates the export of the county at `index` of `opts.counties`.
pub fn generate_county(opts: &GenOptions, index: usize) -> Result<CountyData, GenError> {
    opts.validate()?;
    let Some((county, name)) = opts.counties.get(index).cloned() else {
        return Err(GenError::Options(format!("no county at position {index}")));
    };
    let county_seed = county.as_str().parse::<u64>().unwrap_or(0);
    let occ_codes = OCCUPATIONS
        .iter()
        .map(|(c, _, _)| OccupationCode::parse(c))
        .collect::<Result<Vec<_>, _>>()?;
    let mut g = Gen {
        opts,
        index,
        profile: Profile::of(&county, &name),
        rng: Rng::new(
            opts.seed
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(county_seed),
        ),
        large: opts.certificates >= 5000,
        county,
        name,
        occ_codes,
        people: HashSet::new(),
        usccs: HashSet::new(),
        numbers: HashSet::new(),
        serials: HashMap::new(),
        insts: Vec::new(),
        companies: Vec::new(),
        expert_orgs: Vec::new(),
        experts: Vec::new(),
        relations: Vec::new(),
        internal_supervisors: Vec::new(),
        expired_experts: Vec::new(),
        referees: Vec::new(),
        pools: HashMap::new(),
        certs: Vec::with_capacity(opts.certificates),
        marks: HashMap::new(),
        cert_status: Vec::new(),
        filing_status: Vec::new(),
        plans: Vec::new(),
        batches: Vec::new(),
        competitions: Vec::new(),
        results: Vec::new(),
        expect: Expectations::default(),
    };
    g.organisations()?;
    g.institutions()?;
    g.fixed_experts()?;
    g.competition()?;
    g.standalone_violations()?;
    g.plan_batches();
    g.choose_batch_violations();
    g.assign_teams()?;
    g.build_batches()?;
    g.certificate_violations()?;
    g.fill()?;
    g.filing_changes();
    g.finish()
}

impl Gen<'_> {
    // -------------------------------------------------------------------------- randomness

    fn below(&mut self, n: usize) -> usize {
        self.rng.below(n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn date_between(&mut self, from: Date, to: Date) -> Date {
        let span = (to.days_since_epoch() - from.days_since_epoch()).max(0) as usize;
        add_days(from, self.below(span + 1) as i64)
    }

    fn weighted(&mut self, weights: &[usize]) -> usize {
        let total: usize = weights.iter().sum();
        let mut r = self.below(total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        0
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }

    fn person_name(&mut self) -> String {
        let s = *self.rng.pick(SURNAMES);
        let g = *self.rng.pick(GIVEN);
        if self.chance(60) {
            let h = *self.rng.pick(GIVEN);
            format!("{s}{g}{h}")
        } else {
            format!("{s}{g}")
        }
    }

    // -------------------------------------------------------------------------- identifiers

    /// Where a person's ID number was issued: mostly the county itself, some from the other
    /// counties of the alliance, a few from outside.
    fn region(&mut self) -> String {
        let r = self.below(100);
        if r < 88 {
            self.county.as_str().to_owned()
        } else if r < 96 {
            let i = self.below(self.opts.counties.len());
            self.opts.counties[i].0.as_str().to_owned()
        } else {
            (*self.rng.pick(&OTHER_REGIONS)).to_owned()
        }
    }

    /// A new person (name and resident ID) born between the two years. ID numbers are
    /// unique: the first digit of the sequence code is the county's position, so counties
    /// generated separately never share a number.
    fn person(&mut self, born_from: i32, born_to: i32) -> Result<(String, PersonId), GenError> {
        let region = self.region();
        for _ in 0..10_000 {
            let span = (born_to - born_from).max(0) as usize;
            let year = born_from + self.below(span + 1) as i32;
            let birth = add_days(ymd(year, 1, 1), self.below(365) as i64);
            let seq = (self.index % 10) * 100 + self.below(100);
            let first17 = format!(
                "{region}{:04}{:02}{:02}{seq:03}",
                birth.year(),
                birth.month(),
                birth.day()
            );
            let check = id_check_char(&first17).unwrap_or('0');
            let number = format!("{first17}{check}");
            if self.people.insert(number.clone()) {
                let name = self.person_name();
                return Ok((name, PersonId::parse("", &number)?));
            }
        }
        Err(GenError::Options(
            "ran out of distinct ID numbers; use fewer certificates".into(),
        ))
    }

    /// A unique USCC registered in the county: `head` is the registration authority and
    /// organisation type (`91` enterprise, `52` private non-enterprise, `12` public
    /// institution); the organisation code always holds letters, so no USCC reads as an ID
    /// number.
    fn uscc(&mut self, head: &str) -> Result<Uscc, GenError> {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
        const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRTUWXY";
        loop {
            let mut s = format!("{head}{}M", self.county);
            s.push(char::from(*self.rng.pick(LETTERS)));
            for _ in 0..7 {
                s.push(char::from(*self.rng.pick(ALPHABET)));
            }
            let check = uscc_check_char(&s).unwrap_or('0');
            s.push(check);
            if self.usccs.insert(s.clone()) {
                return Ok(Uscc::parse(&s)?);
            }
        }
    }

    fn next_serial(&mut self, prefix: &str, digits: usize) -> Option<String> {
        let limit = 10u32.pow(digits as u32);
        loop {
            let n = self.serials.entry(prefix.to_owned()).or_insert(0);
            *n += 1;
            if *n >= limit {
                return None;
            }
            let no = format!("{prefix}{:0width$}", *n, width = digits);
            if self.numbers.insert(no.clone()) {
                return Some(no);
            }
        }
    }

    /// `Y|S` · institution code · province · site serial · year · level · serial.
    fn current_number(&mut self, inst: usize, issued: Date, level: Level) -> String {
        let i = &self.insts[inst].inst;
        let letter = if i.kind == InstitutionKind::Y {
            'Y'
        } else {
            'S'
        };
        let prefix = format!(
            "{letter}{}{}{}{:02}{}",
            i.mohrss_code,
            i.province_code2,
            i.site_serial,
            issued.year().rem_euclid(100),
            level.digit()
        );
        self.next_serial(&prefix, 6)
            .unwrap_or_else(|| format!("{prefix}999999"))
    }

    /// Legacy 16 digits: year · province · prefecture · agency type · agency · level ·
    /// serial.
    fn legacy_number(&mut self, issued: Date, level: Level) -> String {
        let c = self.county.as_str().to_owned();
        let yy = issued.year().rem_euclid(100);
        for agency_type in 3..10 {
            let prefix = format!(
                "{yy:02}{}{}{agency_type}{}{}",
                &c[..2],
                &c[2..4],
                &c[3..6],
                level.digit()
            );
            if let Some(no) = self.next_serial(&prefix, 5) {
                return no;
            }
        }
        format!("{yy:02}{c}9{}99999", level.digit())
    }

    // -------------------------------------------------------------------------- organisations

    fn organisations(&mut self) -> Result<(), GenError> {
        let n = self.opts.certificates;
        for _ in 0..(40 + n / 400) {
            let u = self.uscc("91")?;
            self.companies.push(u);
        }
        for i in 0..(20 + n / 2000) {
            let u = self.uscc(if i % 3 == 0 { "12" } else { "91" })?;
            self.expert_orgs.push(u);
        }
        Ok(())
    }

    fn scope_items(&self, scope: &[(usize, Vec<Level>)]) -> Vec<ScopeItem> {
        scope
            .iter()
            .map(|(o, levels)| ScopeItem {
                occupation_code: self.occ_codes[*o].clone(),
                work_type: if OCCUPATIONS[*o].2 == "--" { "--" } else { "*" }.to_owned(),
                levels: levels.clone(),
            })
            .collect()
    }

    fn address(&mut self) -> String {
        let k = self.below(self.profile.streets.len());
        let street = self.profile.streets[k].clone();
        let n = self.between(1, 399);
        format!("{}{street}{n}号", self.profile.prefix)
    }

    #[allow(clippy::too_many_arguments)]
    fn add_institution(
        &mut self,
        role: Role,
        name: String,
        former_name: String,
        kind: InstitutionKind,
        mohrss_code: String,
        head: &str,
        scope: Vec<(usize, Vec<Level>)>,
        filing: (FilingType, CountyCode, AuthorityLevel, Date, Option<Date>),
    ) -> Result<(), GenError> {
        let n = self.insts.len() + 1;
        let uscc = self.uscc(head)?;
        let c = self.county.as_str().to_owned();
        let site_serial = format!("{}{n:02}", &c[2..6]);
        let address = self.address();
        let (filing_type, authority_code, authority_level, from, to) = filing;
        let letters = if filing_type == FilingType::TrainingPermit {
            "XK"
        } else {
            "BA"
        };
        let filing = Filing {
            filing_no: format!("{letters}-{c}-{}-{n:03}", from.year()),
            institution_uscc: uscc.clone(),
            filing_type,
            authority_code,
            authority_level,
            scope: self.scope_items(&scope),
            effective_from: from,
            effective_to: to,
            cross_registrations: Vec::new(),
        };
        self.insts.push(Inst {
            role,
            inst: Institution {
                uscc,
                name,
                kind,
                mohrss_code,
                province_code2: self.county.province_code().to_owned(),
                site_serial,
                division_code: self.county.clone(),
                address,
            },
            filing,
            former_name,
            scope,
        });
        Ok(())
    }

    fn levels(lo: u32, hi: u32) -> Vec<Level> {
        (hi..=lo).filter_map(Level::from_digit).collect()
    }

    fn institutions(&mut self) -> Result<(), GenError> {
        let n = self.opts.certificates;
        let prefix = self.profile.prefix.clone();
        let former = self.profile.former_prefix.clone();
        let c = self.county.clone();
        let province = CountyCode::parse(&format!("{}0000", c.province_code()))?;
        let city = CountyCode::parse(&format!("{}00", &c.as_str()[..4]))?;
        let all: Vec<usize> = (0..OCCUPATIONS.len()).collect();
        let assessed: Vec<usize> = all.iter().copied().filter(|o| *o != ELECTRICIAN).collect();

        let station_scope = all.iter().map(|o| (*o, Self::levels(5, 1))).collect();
        self.add_institution(
            Role::Station,
            format!("{prefix}职业技能鉴定所"),
            format!("{former}职业技能鉴定所"),
            InstitutionKind::S,
            "0000".into(),
            "12",
            station_scope,
            (
                FilingType::SkillLevel,
                province.clone(),
                AuthorityLevel::Province,
                ymd(2005, 1, 1),
                Some(legacy_until()),
            ),
        )?;

        let mut main_scope: Vec<(usize, Vec<Level>)> =
            assessed.iter().map(|o| (*o, Self::levels(5, 1))).collect();
        main_scope.push((ELECTRICIAN, Self::levels(5, 3)));
        let from = self.date_between(ymd(2019, 6, 1), ymd(2019, 12, 31));
        self.add_institution(
            Role::Main,
            format!("{prefix}职业教育中心"),
            format!("{former}职业教育中心"),
            InstitutionKind::S,
            "0000".into(),
            "12",
            main_scope,
            (
                FilingType::SkillLevel,
                province.clone(),
                AuthorityLevel::Province,
                from,
                Some(ymd(2029, 12, 31)),
            ),
        )?;

        let mut school_words: Vec<&str> = SCHOOL_WORDS.to_vec();
        self.shuffle(&mut school_words);
        let evaluators = 2 + (n / 20_000).min(6);
        for e in 0..evaluators {
            let word = school_words[e % school_words.len()];
            let mut occs = assessed.clone();
            self.shuffle(&mut occs);
            let k = self.between(2, 4);
            // The second evaluator's scope stops at 三级: its 二级 certificates are outside.
            let (lo, hi) = if e == 1 {
                (5, 3)
            } else {
                *self.rng.pick(&[(5, 3), (5, 2), (5, 1)])
            };
            let scope = occs[..k]
                .iter()
                .map(|o| (*o, Self::levels(lo, hi)))
                .collect();
            let from = self.date_between(ymd(2019, 3, 1), ymd(2019, 12, 31));
            let (auth, level) = if c.province_code() == "50" {
                (c.clone(), AuthorityLevel::County)
            } else {
                (city.clone(), AuthorityLevel::City)
            };
            let to = if self.chance(50) {
                Some(ymd(2029, 12, 31))
            } else {
                None
            };
            self.add_institution(
                Role::Evaluator,
                format!("{prefix}{word}职业技能培训学校"),
                format!("{former}{word}职业技能培训学校"),
                InstitutionKind::S,
                "0000".into(),
                "52",
                scope,
                (FilingType::SkillLevel, auth, level, from, to),
            )?;
        }

        let mut firm_words: Vec<&str> = FIRM_WORDS.to_vec();
        self.shuffle(&mut firm_words);
        let firm_prefix = Profile::enterprise_prefix(&c);
        let enterprises = 2 + (n / 30_000).min(4);
        for e in 0..enterprises {
            let (industry, occs, top) = INDUSTRIES[e % INDUSTRIES.len()];
            let word = firm_words[e % firm_words.len()];
            let short = &self.profile.short;
            let name = format!("{firm_prefix}{short}{word}{industry}有限公司");
            let former_name = format!("{firm_prefix}{word}{industry}有限责任公司");
            let scope = occs.iter().map(|o| (*o, Self::levels(5, top))).collect();
            let from = self.date_between(ymd(2019, 6, 1), ymd(2019, 12, 31));
            // The first enterprise filed with the ministry: its numbers carry its own code.
            let (code, auth, level) = if e == 0 {
                let code = format!("{:04}", self.between(1000, 9999));
                (code, CountyCode::parse("100000")?, AuthorityLevel::Ministry)
            } else {
                (
                    "0000".to_owned(),
                    province.clone(),
                    AuthorityLevel::Province,
                )
            };
            self.add_institution(
                Role::Enterprise,
                name,
                former_name,
                InstitutionKind::Y,
                code,
                "91",
                scope,
                (FilingType::SkillLevel, auth, level, from, None),
            )?;
        }

        for t in 0..2 {
            let word = school_words[(evaluators + t) % school_words.len()];
            let mut occs = assessed.clone();
            self.shuffle(&mut occs);
            let scope = occs[..2].iter().map(|o| (*o, Self::levels(5, 3))).collect();
            let from = self.date_between(ymd(2018, 1, 1), ymd(2019, 12, 31));
            self.add_institution(
                Role::Training,
                format!("{prefix}{word}技能培训中心"),
                format!("{former}{word}技能培训中心"),
                InstitutionKind::Training,
                "0000".into(),
                "52",
                scope,
                (
                    FilingType::TrainingPermit,
                    c.clone(),
                    AuthorityLevel::County,
                    from,
                    None,
                ),
            )?;
        }

        // 异地报备: the first evaluator also works in the next county.
        let next = self.next_county();
        if let Some(i) = self.insts.iter().position(|i| i.role == Role::Evaluator) {
            let scope = self.insts[i].filing.scope[..1].to_vec();
            self.insts[i]
                .filing
                .cross_registrations
                .push(CrossRegistration {
                    county: next,
                    date: ymd(2023, 3, 1),
                    scope,
                });
        }
        Ok(())
    }

    fn next_county(&self) -> CountyCode {
        let n = self.opts.counties.len();
        self.opts.counties[(self.index + 1) % n].0.clone()
    }

    fn previous_county(&self) -> CountyCode {
        let n = self.opts.counties.len();
        self.opts.counties[(self.index + n - 1) % n].0.clone()
    }

    fn of_role(&self, role: Role) -> Vec<usize> {
        (0..self.insts.len())
            .filter(|i| self.insts[*i].role == role)
            .collect()
    }

    fn main_institution(&self) -> usize {
        self.of_role(Role::Main).first().copied().unwrap_or(0)
    }

    fn station(&self) -> usize {
        self.of_role(Role::Station).first().copied().unwrap_or(0)
    }

    /// The evaluator whose filing is suspended in 2024.
    fn suspended_institution(&self) -> usize {
        self.of_role(Role::Evaluator).first().copied().unwrap_or(0)
    }

    /// The evaluator whose scope stops at 三级.
    fn narrow_institution(&self) -> usize {
        self.of_role(Role::Evaluator).get(1).copied().unwrap_or(0)
    }

    // -------------------------------------------------------------------------- experts

    fn expert(&mut self, id: String, seat: Seat, scope: Vec<usize>) -> Result<String, GenError> {
        let (name, person_id) = self.person(1958, 1988)?;
        let employer = match seat {
            Seat::Internal | Seat::External if self.chance(30) => None,
            _ => {
                let i = self.below(self.expert_orgs.len());
                Some(self.expert_orgs[i].clone())
            }
        };
        use ExpertRole as R;
        let mut roles = match seat {
            Seat::Proctor => vec![R::Assessor],
            Seat::Assessor if self.chance(20) => vec![R::Assessor, R::ItemWriter],
            Seat::Assessor => vec![R::Assessor],
            Seat::Senior | Seat::Expired if self.chance(20) => {
                vec![R::Assessor, R::SeniorAssessor, R::Master]
            }
            Seat::Senior | Seat::Expired => vec![R::Assessor, R::SeniorAssessor],
            Seat::Internal => vec![R::InternalSupervisor, R::Assessor],
            Seat::External => vec![R::ExternalSupervisor, R::SeniorAssessor],
            Seat::Referee => vec![R::Referee, R::Assessor],
        };
        roles.sort();
        roles.dedup();
        use TitleLevel as T;
        let (own_level, title_level) = match seat {
            Seat::Proctor => (Level::Three, *self.rng.pick(&[T::None, T::Junior])),
            Seat::Assessor => {
                let l = [Level::Three, Level::Two, Level::One][self.weighted(&[5, 3, 2])];
                let t = *self
                    .rng
                    .pick(&[T::None, T::Junior, T::Intermediate, T::SubSenior]);
                (l, t)
            }
            Seat::Senior | Seat::Expired | Seat::Referee if self.chance(70) => (
                Level::One,
                *self.rng.pick(&[T::Intermediate, T::SubSenior, T::Senior]),
            ),
            Seat::Senior | Seat::Expired | Seat::Referee => {
                (Level::Two, *self.rng.pick(&[T::SubSenior, T::Senior]))
            }
            Seat::Internal | Seat::External => (
                *self.rng.pick(&[Level::Two, Level::One]),
                *self.rng.pick(&[T::Intermediate, T::SubSenior, T::Senior]),
            ),
        };
        let since = self.date_between(ymd(2008, 1, 1), ymd(2018, 12, 31));
        let card_valid_to = if seat == Seat::Expired {
            ymd(2019, 12, 31)
        } else {
            let year = self.between(2027, 2029) as i32;
            if self.chance(50) {
                ymd(year, 6, 30)
            } else {
                ymd(year, 12, 31)
            }
        };
        let n = self.experts.len() + 1;
        let shared_scope = match seat {
            Seat::External => SharedScope::Alliance,
            _ if self.chance(70) => SharedScope::Alliance,
            _ => {
                let i = self.below(self.opts.counties.len());
                let mut list = vec![self.county.clone(), self.opts.counties[i].0.clone()];
                list.sort();
                list.dedup();
                SharedScope::Counties(list)
            }
        };
        let mut occupation_scope: Vec<OccupationCode> =
            scope.iter().map(|o| self.occ_codes[*o].clone()).collect();
        occupation_scope.sort();
        occupation_scope.dedup();
        self.experts.push(ExpertInput {
            person_id,
            expert: Expert {
                expert_id: id.clone(),
                person_key: String::new(),
                name,
                home_county: self.county.clone(),
                employer_uscc: employer,
                roles,
                card_no: format!("KP-{}-{}-{n:04}", self.county, since.year()),
                card_valid_to: Some(card_valid_to),
                occupation_scope,
                own_level: Some(own_level),
                title_level,
                assessing_since: Some(since),
                shared_scope,
                status: ExpertStatus::Active,
            },
        });
        Ok(id)
    }

    fn employer_of(&self, expert_id: &str) -> Option<Uscc> {
        self.experts
            .iter()
            .find(|e| e.expert.expert_id == expert_id)
            .and_then(|e| e.expert.employer_uscc.clone())
    }

    /// Supervisors, the experts with expired cards (R8 violations) and the referees.
    fn fixed_experts(&mut self) -> Result<(), GenError> {
        let c = self.county.clone();
        let assessed: Vec<usize> = (0..OCCUPATIONS.len())
            .filter(|o| *o != ELECTRICIAN)
            .collect();
        for k in 1..=(3 + self.opts.certificates / 25_000) {
            let id = self.expert(format!("ZJ-{c}-ND{k:02}"), Seat::Internal, assessed.clone())?;
            self.internal_supervisors.push(id);
        }
        // Shared with the previous county, whose high-level batches they supervise.
        let previous = self.previous_county();
        for k in 1..=EXTERNAL_SUPERVISORS {
            self.expert(format!("ZJ-{c}-WD{k:02}"), Seat::External, assessed.clone())?;
            if k > 2 {
                if let Some(e) = self.experts.last_mut() {
                    let mut list = vec![previous.clone(), c.clone()];
                    list.sort();
                    list.dedup();
                    e.expert.shared_scope = SharedScope::Counties(list);
                }
            }
        }
        for k in 1..=2 {
            let id = self.expert(format!("ZJ-{c}-GQ{k:02}"), Seat::Expired, assessed.clone())?;
            self.expired_experts.push(id);
        }
        for k in 1..=6 {
            let id = self.expert(format!("ZJ-{c}-CP{k:02}"), Seat::Referee, assessed.clone())?;
            self.referees.push(id);
        }
        Ok(())
    }

    /// A team expert, who may declare a relation with someone outside every batch.
    fn team_expert(&mut self, seat: Seat, occ: usize) -> Result<String, GenError> {
        let n = self.experts.len() + 1;
        let mut scope = vec![occ];
        if self.chance(25) {
            let other = self.below(OCCUPATIONS.len());
            if other != ELECTRICIAN {
                scope.push(other);
            }
        }
        let id = self.expert(format!("ZJ-{}-{n:04}", self.county), seat, scope)?;
        if self.chance(10) {
            let relation = if self.chance(50) {
                let (_, kin) = self.person(1950, 2005)?;
                RelationInput {
                    expert_id: id.clone(),
                    counterpart_kind: CounterpartKind::Person,
                    counterpart: Counterpart::Person(kin),
                    relation: *self
                        .rng
                        .pick(&[RelationType::Kin, RelationType::MasterApprentice]),
                }
            } else {
                let i = self.below(self.expert_orgs.len());
                RelationInput {
                    expert_id: id.clone(),
                    counterpart_kind: CounterpartKind::Employer,
                    counterpart: Counterpart::Organisation(self.expert_orgs[i].clone()),
                    relation: RelationType::Colleague,
                }
            };
            self.relations.push(relation);
        }
        Ok(id)
    }

    fn teams_per_pool(&self, senior: bool) -> usize {
        let n = self.opts.certificates;
        if senior {
            2 + n / 50_000
        } else {
            3 + n / 25_000
        }
    }

    fn team_assessors(&self) -> usize {
        assessors_needed(if self.large { 30 } else { 12 })
    }

    /// Team `t` of the (occupation, senior) pool; the pool's experts are made on first use.
    fn team(&mut self, occ: usize, senior: bool, t: usize) -> Result<Team, GenError> {
        if !self.pools.contains_key(&(occ, senior)) {
            self.make_pool(occ, senior)?;
        }
        self.pools
            .get(&(occ, senior))
            .and_then(|p| p.get(t))
            .cloned()
            .ok_or_else(|| GenError::Options(format!("no team {t} in pool {occ}/{senior}")))
    }

    fn make_pool(&mut self, occ: usize, senior: bool) -> Result<(), GenError> {
        let mut teams = Vec::new();
        for _ in 0..self.teams_per_pool(senior) {
            let seat = if senior { Seat::Senior } else { Seat::Assessor };
            let mut t = Team {
                proctors: Vec::new(),
                assessors: Vec::new(),
                reviewers: Vec::new(),
            };
            for _ in 0..2 {
                let id = self.team_expert(Seat::Proctor, occ)?;
                t.proctors.push(id);
            }
            for _ in 0..self.team_assessors() {
                let id = self.team_expert(seat, occ)?;
                t.assessors.push(id);
            }
            if senior {
                for _ in 0..3 {
                    let id = self.team_expert(Seat::Senior, occ)?;
                    t.reviewers.push(id);
                }
            }
            teams.push(t);
        }
        self.pools.insert((occ, senior), teams);
        Ok(())
    }

    // -------------------------------------------------------------------------- certificates

    #[allow(clippy::too_many_arguments)]
    fn issue(
        &mut self,
        inst: usize,
        name: &str,
        person: &PersonId,
        occ: usize,
        level: Level,
        issued: Date,
        batch: Option<&str>,
    ) -> Result<usize, GenError> {
        let legacy = self.insts[inst].role == Role::Station;
        let no = if legacy {
            self.legacy_number(issued, level)
        } else {
            self.current_number(inst, issued, level)
        };
        let (_, occ_name, work_type) = OCCUPATIONS[occ];
        let i = &self.insts[inst];
        self.certs.push(CertificateInput {
            cert_no: CertNo::parse(&no)?,
            cert_type: if legacy {
                CertType::Qualification
            } else {
                CertType::SkillLevel
            },
            name: name.to_owned(),
            person_id: person.clone(),
            occupation_code: self.occ_codes[occ].clone(),
            occupation_name: occ_name.to_owned(),
            work_type: work_type.to_owned(),
            level,
            issue_date: issued,
            institution_uscc: i.inst.uscc.clone(),
            institution_name: i.inst.name.clone(),
            filing_no: i.filing.filing_no.clone(),
            batch_id: batch.map(str::to_owned),
            status: CertStatus::Valid,
        });
        Ok(self.certs.len() - 1)
    }

    /// A certificate of a new person, issued by `inst` without a batch.
    fn standalone(
        &mut self,
        inst: usize,
        occ: usize,
        level: Level,
        issued: Date,
    ) -> Result<usize, GenError> {
        let (name, person) = self.person(1965, 2003)?;
        self.issue(inst, &name, &person, occ, level, issued, None)
    }

    /// The lower-level certificate a candidate took earlier: a legacy 职业资格证书 before
    /// 2020, else one of the county's 职业教育中心.
    fn prerequisite(
        &mut self,
        name: &str,
        person: &PersonId,
        occ: usize,
        level: Level,
        issued: Date,
    ) -> Result<usize, GenError> {
        let inst = if issued <= legacy_until() {
            self.station()
        } else {
            self.main_institution()
        };
        self.issue(inst, name, person, occ, level, issued, None)
    }

    fn standalone_violations(&mut self) -> Result<(), GenError> {
        let n = self.opts.certificates;
        let each = per_variant(n, Variant::CERTIFICATE.len(), self.opts.violations);
        let assessed: Vec<usize> = (0..OCCUPATIONS.len())
            .filter(|o| *o != ELECTRICIAN)
            .collect();

        let sx = self.suspended_institution();
        for _ in 0..each {
            let (occ, levels) = self.insts[sx].scope[0].clone();
            let level = *self.rng.pick(&levels);
            let issued = self.date_between(suspended_from(), add_days(reinstated_on(), -1));
            let c = self.standalone(sx, occ, level, issued)?;
            self.marks.insert(c, Mark::Own(Variant::FilingSuspended));
        }

        let sy = self.narrow_institution();
        let in_scope: Vec<usize> = self.insts[sy].scope.iter().map(|(o, _)| *o).collect();
        let outside: Vec<usize> = assessed
            .iter()
            .copied()
            .filter(|o| !in_scope.contains(o))
            .collect();
        for k in 0..each {
            let (occ, level) = if k % 2 == 0 || outside.is_empty() {
                (in_scope[0], Level::Two)
            } else {
                (*self.rng.pick(&outside), Level::Four)
            };
            let issued = self.date_between(ymd(2021, 1, 1), ymd(2025, 12, 31));
            let c = self.standalone(sy, occ, level, issued)?;
            self.marks.insert(c, Mark::Own(Variant::OutsideScope));
        }

        let main = self.main_institution();
        for _ in 0..each {
            let level = *self.rng.pick(&[Level::Five, Level::Four, Level::Three]);
            let issued = self.date_between(ymd(2020, 6, 1), last_issue());
            let c = self.standalone(main, ELECTRICIAN, level, issued)?;
            self.marks.insert(c, Mark::Own(Variant::AccessControlled));
        }
        Ok(())
    }

    // -------------------------------------------------------------------------- competition

    fn competition(&mut self) -> Result<(), GenError> {
        let c = self.county.clone();
        let all: Vec<CountyCode> = {
            let mut v: Vec<CountyCode> =
                self.opts.counties.iter().map(|(c, _)| c.clone()).collect();
            v.sort();
            v
        };
        let mut occs: Vec<usize> = (0..OCCUPATIONS.len())
            .filter(|o| *o != ELECTRICIAN)
            .collect();
        self.shuffle(&mut occs);
        let id = format!("JS-{c}-{COMPETITION_YEAR}");
        let events: Vec<CompetitionEvent> = occs[..3]
            .iter()
            .enumerate()
            .map(|(i, o)| CompetitionEvent {
                event_id: format!("E{}", i + 1),
                occupation_code: self.occ_codes[*o].clone(),
                work_type: OCCUPATIONS[*o].2.to_owned(),
                standard_level: Level::Three,
            })
            .collect();
        let (name, class, co_defined_by) = if self.index == 0 {
            (
                format!("渝西川南“巴蜀工匠杯”职业技能大赛（{COMPETITION_YEAR}）"),
                CompetitionClass::Alliance,
                all.clone(),
            )
        } else {
            (
                {
                    let n = self.between(3, 9);
                    format!("{}第{n}届职业技能大赛", self.name)
                },
                CompetitionClass::County,
                vec![c.clone()],
            )
        };
        self.competitions.push(Competition {
            competition_id: id.clone(),
            name,
            class,
            year: COMPETITION_YEAR,
            events: events.clone(),
            co_defined_by,
            recognised_by: all,
            promotion_table: "default".into(),
        });

        // (result index, event, rank, employee, holds the target level already)
        let mut rows: Vec<(usize, usize, u32, bool, bool)> = Vec::new();
        let main = self.main_institution();
        for (e, event_occ) in occs[..3].iter().enumerate() {
            let participants = if self.large {
                self.between(16, 30)
            } else {
                self.between(8, 12)
            } as u32;
            let bump_rank = if self.chance(50) {
                Some(self.between(2, 6) as u32)
            } else {
                None
            };
            let mut refs = self.referees.clone();
            self.shuffle(&mut refs);
            refs.truncate(3);
            for rank in 1..=participants {
                let employee = rank == 1 || self.chance(75);
                let (name, person) = if employee {
                    self.person(1975, 2000)?
                } else {
                    self.person(2003, 2008)?
                };
                let held = employee && bump_rank == Some(rank);
                if held {
                    let issued = self.date_between(ymd(2023, 1, 1), ymd(2024, 12, 31));
                    self.issue(main, &name, &person, *event_occ, Level::Three, issued, None)?;
                }
                let award = match rank {
                    1 if employee => "一等奖、技术能手",
                    1 => "一等奖",
                    2 | 3 => "二等奖",
                    4..=6 => "三等奖",
                    7..=10 => "优秀奖",
                    _ => "",
                };
                rows.push((self.results.len(), e, rank, employee, held));
                self.results.push(ResultInput {
                    person_id: person,
                    result: CompetitionResult {
                        result_id: format!("{id}-E{}-{rank:03}", e + 1),
                        competition_id: id.clone(),
                        event_id: format!("E{}", e + 1),
                        person_key: String::new(),
                        participant_type: if employee {
                            ParticipantType::Employee
                        } else {
                            ParticipantType::Student
                        },
                        rank,
                        participants,
                        award: award.to_owned(),
                        referees: refs.clone(),
                    },
                });
            }
        }

        let each = per_variant(
            self.results.len(),
            Variant::RESULT.len(),
            self.opts.violations,
        );
        let mut variant: HashMap<usize, Variant> = HashMap::new();
        let mut used: HashSet<usize> = HashSet::new();
        // Second promotion in one year: a promoted person of an earlier event also wins a
        // promoting place in a later one; the later result (larger id) is the violation.
        let promoting = |r: &(usize, usize, u32, bool, bool)| r.2 <= 6 && !r.4;
        let mut made = 0;
        'pairs: for first in 0..3 {
            for second in (first + 1)..3 {
                if made == each {
                    break 'pairs;
                }
                let a = rows
                    .iter()
                    .find(|r| r.1 == first && r.2 > 1 && promoting(r) && !used.contains(&r.0));
                let Some(a) = a.copied() else { continue };
                let b = rows.iter().find(|r| {
                    r.1 == second && r.2 > 1 && r.3 == a.3 && promoting(r) && !used.contains(&r.0)
                });
                if let Some(b) = b.copied() {
                    let person = self.results[a.0].person_id.clone();
                    self.results[b.0].person_id = person;
                    used.extend([a.0, b.0]);
                    variant.insert(b.0, Variant::SecondPromotionSameYear);
                    made += 1;
                }
            }
        }
        // 技术能手 claimed without being eligible: an employee below rank 1, or a student.
        let mut candidates: Vec<(usize, usize, u32, bool, bool)> = rows
            .iter()
            .copied()
            .filter(|r| !used.contains(&r.0) && !r.4)
            .filter(|r| {
                if r.3 {
                    (2..=6).contains(&r.2)
                } else {
                    r.2 == 1
                }
            })
            .collect();
        self.shuffle(&mut candidates);
        for r in candidates.into_iter().take(each) {
            let award = if r.3 {
                "二等奖、技术能手"
            } else {
                "一等奖、技术能手"
            };
            self.results[r.0].result.award = award.to_owned();
            used.insert(r.0);
            variant.insert(r.0, Variant::TitleNotEligible);
        }

        for (i, _, rank, employee, held) in rows {
            let result_id = self.results[i].result.result_id.clone();
            let expected = match variant.get(&i) {
                Some(v) => {
                    self.expect.violations.push(Violation {
                        rule: v.rule(),
                        variant: *v,
                        check: v.check(),
                        subject: result_id.clone(),
                        severity: v.severity(),
                        outcome: v.outcome(),
                        certificates_affected: 0,
                    });
                    Expected {
                        subject: result_id,
                        outcome: v.outcome(),
                        rules: v.rules(),
                        variant: Some(*v),
                        batch_id: None,
                        promoted_level: None,
                    }
                }
                None if rank <= 6 => Expected {
                    subject: result_id,
                    outcome: ExpectedOutcome::Valid,
                    rules: Vec::new(),
                    variant: None,
                    batch_id: None,
                    promoted_level: Some(match (employee, held) {
                        (true, true) => 2,
                        (true, false) => 3,
                        (false, _) => 4,
                    }),
                },
                None => Expected {
                    subject: result_id,
                    outcome: ExpectedOutcome::Invalid,
                    rules: Variant::NoPromotion.rules(),
                    variant: Some(Variant::NoPromotion),
                    batch_id: None,
                    promoted_level: None,
                },
            };
            self.expect.results.push(expected);
        }
        Ok(())
    }

    // -------------------------------------------------------------------------- batches

    fn pick_issuer(&mut self) -> usize {
        let main = self.of_role(Role::Main);
        let evaluators = self.of_role(Role::Evaluator);
        let enterprises = self.of_role(Role::Enterprise);
        let group = match self.weighted(&[30, 40, 30]) {
            0 => main,
            1 => evaluators,
            _ => enterprises,
        };
        group[self.below(group.len())]
    }

    fn plan_batches(&mut self) {
        let mut budget = self.opts.certificates.saturating_sub(self.certs.len());
        let (min, max) = if self.large { (10, 30) } else { (4, 12) };
        let sx = self.suspended_institution();
        let span = (last_exam().days_since_epoch() - first_exam().days_since_epoch()) as usize;
        let mut plans = Vec::new();
        while budget > 0 {
            let inst = self.pick_issuer();
            let scope: Vec<(usize, Vec<Level>)> = self.insts[inst]
                .scope
                .iter()
                .filter(|(o, _)| *o != ELECTRICIAN)
                .cloned()
                .collect();
            if scope.is_empty() {
                continue;
            }
            // An institution mostly assesses its main occupation.
            let k = if self.chance(50) {
                0
            } else {
                self.below(scope.len())
            };
            let (occ, levels) = scope[k].clone();
            let weights: Vec<usize> = levels
                .iter()
                .map(|l| match l {
                    Level::Five => 30,
                    Level::Four => 32,
                    Level::Three => 25,
                    Level::Two => 9,
                    _ => 4,
                })
                .collect();
            let level = levels[self.weighted(&weights)];
            let per = if level == Level::Five { 1 } else { 2 };
            let mut size = self.between(min, max);
            if size * per > budget {
                size = budget / per;
            }
            if size == 0 {
                break;
            }
            let mut exam = add_days(first_exam(), self.below(span + 1) as i64);
            let mut issue = add_days(exam, self.between(20, 50) as i64);
            if inst == sx && issue >= suspended_from() && issue < reinstated_on() {
                exam = add_days(exam, -183);
                issue = add_days(exam, self.between(20, 50) as i64);
            }
            budget -= size * per;
            plans.push(Plan {
                inst,
                occ,
                level,
                exam,
                issue,
                size,
                id: String::new(),
                violation: None,
                team: 0,
                certs: Vec::new(),
            });
        }
        plans.sort_by_key(|p| (p.exam, p.inst, p.occ, p.level.digit()));
        let mut per_year: HashMap<i32, u32> = HashMap::new();
        for p in &mut plans {
            let n = per_year.entry(p.exam.year()).or_insert(0);
            *n += 1;
            p.id = format!("PC-{}-{}-{:05}", self.county, p.exam.year(), n);
        }
        self.plans = plans;
    }

    /// Each institution's batches in R10 order (exam date, then batch id).
    fn institution_orders(&self) -> HashMap<usize, Vec<usize>> {
        let mut m: HashMap<usize, Vec<usize>> = HashMap::new();
        for (b, p) in self.plans.iter().enumerate() {
            m.entry(p.inst).or_default().push(b);
        }
        m
    }

    fn predecessors(&self) -> Vec<Option<usize>> {
        let mut pred = vec![None; self.plans.len()];
        for order in self.institution_orders().values() {
            for w in order.windows(2) {
                pred[w[1]] = Some(w[0]);
            }
        }
        pred
    }

    fn choose_batch_violations(&mut self) {
        let each = per_variant(self.plans.len(), Variant::BATCH.len(), self.opts.violations);
        if each == 0 {
            return;
        }
        let pred = self.predecessors();
        let mut succ = vec![None; pred.len()];
        for (b, p) in pred.iter().enumerate() {
            if let Some(p) = p {
                succ[*p] = Some(b);
            }
        }
        let mut reserved: HashSet<usize> = HashSet::new();

        // R10 first: the batch repeats the panel of its predecessor, which stays clean.
        let mut eligible: Vec<usize> = (0..self.plans.len())
            .filter(|b| {
                pred[*b].is_some_and(|p| {
                    self.plans[p].occ == self.plans[*b].occ
                        && self.plans[p].senior() == self.plans[*b].senior()
                })
            })
            .collect();
        self.shuffle(&mut eligible);
        let mut made = 0;
        for b in eligible {
            let Some(p) = pred[b] else { continue };
            if made == each || reserved.contains(&b) || reserved.contains(&p) {
                continue;
            }
            reserved.extend([b, p]);
            self.plans[b].violation = Some(Variant::PanelNotRotated);
            made += 1;
        }

        let order = [
            Variant::NoExternalSupervisor,
            Variant::SameEmployer,
            Variant::PrerequisiteTooRecent,
            Variant::PrerequisiteMissing,
            Variant::PanelTooSmall,
            Variant::CardExpired,
            Variant::DeclaredRelation,
        ];
        for v in order {
            let mut eligible: Vec<usize> = (0..self.plans.len())
                .filter(|b| !reserved.contains(b))
                .filter(|b| {
                    let p = &self.plans[*b];
                    match v {
                        Variant::NoExternalSupervisor => p.level.is_high_skill(),
                        Variant::SameEmployer => self.insts[p.inst].role != Role::Enterprise,
                        Variant::PrerequisiteTooRecent | Variant::PrerequisiteMissing => {
                            p.level != Level::Five
                        }
                        _ => true,
                    }
                })
                .collect();
            self.shuffle(&mut eligible);
            let mut made = 0;
            for b in eligible {
                if made == each {
                    break;
                }
                // The expired-card experts must not sit on consecutive batches of one
                // institution (R10 would count them).
                let next_to_card = v == Variant::CardExpired
                    && (pred[b].is_some_and(|p| self.plans[p].violation == Some(v))
                        || succ[b].is_some_and(|s| self.plans[s].violation == Some(v)));
                if next_to_card {
                    continue;
                }
                reserved.insert(b);
                self.plans[b].violation = Some(v);
                made += 1;
            }
        }
    }

    /// Panels rotate: each batch takes a team of its (occupation, senior) pool other than
    /// the one its institution's previous batch had — except an R10 violation, which takes
    /// the same one.
    fn assign_teams(&mut self) -> Result<(), GenError> {
        let orders = self.institution_orders();
        let mut insts: Vec<usize> = orders.keys().copied().collect();
        insts.sort();
        for inst in insts {
            let mut last: Option<((usize, bool), usize)> = None;
            for &b in &orders[&inst] {
                let key = (self.plans[b].occ, self.plans[b].senior());
                let n = self.teams_per_pool(key.1);
                let team = match (self.plans[b].violation, last) {
                    (Some(Variant::PanelNotRotated), Some((k, t))) if k == key => t,
                    (_, Some((k, t))) if k == key => (t + 1 + self.below(n - 1)) % n,
                    _ => self.below(n),
                };
                self.plans[b].team = team;
                last = Some((key, team));
            }
        }
        Ok(())
    }

    fn build_batches(&mut self) -> Result<(), GenError> {
        let next = self.next_county();
        let training: Vec<usize> = self.of_role(Role::Training);
        for b in 0..self.plans.len() {
            let (inst, occ, level, exam, issue, size, violation, team) = {
                let p = &self.plans[b];
                (
                    p.inst,
                    p.occ,
                    p.level,
                    p.exam,
                    p.issue,
                    p.size,
                    p.violation,
                    p.team,
                )
            };
            let senior = level >= Level::Two;
            let team = self.team(occ, senior, team)?;
            let batch_id = self.plans[b].id.clone();
            let inst_uscc = self.insts[inst].inst.uscc.clone();
            let enterprise = self.insts[inst].role == Role::Enterprise;
            let lead = team.assessors[0].clone();
            let year = exam.year();
            let mut candidates = Vec::with_capacity(size);
            for k in 0..size {
                let (name, person) = if level == Level::Five {
                    self.person(year - 45, year - 18)?
                } else {
                    self.person(year - 55, year - 27)?
                };
                let (mut employer, training_org) = if enterprise {
                    (Some(inst_uscc.clone()), None)
                } else {
                    let employer = if self.chance(90) {
                        let i = self.below(self.companies.len());
                        Some(self.companies[i].clone())
                    } else {
                        None
                    };
                    let t = match self.below(10) {
                        0..=3 if !training.is_empty() => {
                            let i = training[self.below(training.len())];
                            Some(self.insts[i].inst.uscc.clone())
                        }
                        4 | 5 => Some(inst_uscc.clone()),
                        _ => None,
                    };
                    (employer, t)
                };
                if k == 0 && violation == Some(Variant::SameEmployer) {
                    employer = self.employer_of(&lead);
                }
                if k == 0 && violation == Some(Variant::DeclaredRelation) {
                    self.relations.push(RelationInput {
                        expert_id: lead.clone(),
                        counterpart_kind: CounterpartKind::Person,
                        counterpart: Counterpart::Person(person.clone()),
                        relation: RelationType::Kin,
                    });
                }
                let cert = self.issue(inst, &name, &person, occ, level, issue, Some(&batch_id))?;
                self.plans[b].certs.push(cert);
                if let Some(held) = lower(level) {
                    let years = prerequisite_years(level);
                    let issued = match (violation, k) {
                        (Some(Variant::PrerequisiteMissing), 0) => None,
                        (Some(Variant::PrerequisiteTooRecent), 0) => Some(add_days(
                            exam.add_years(-(years - 1)),
                            -(self.below(300) as i64),
                        )),
                        _ => Some(add_days(
                            exam.add_years(-years),
                            -1 - self.below(3 * 365) as i64,
                        )),
                    };
                    if let Some(issued) = issued {
                        self.prerequisite(&name, &person, occ, held, issued)?;
                    }
                }
                candidates.push(CandidateInput {
                    person_id: person,
                    employer_uscc: employer,
                    training_institution_uscc: training_org,
                });
            }

            let count = size as u32;
            let mut rooms = vec![Room {
                kind: RoomKind::Theory,
                candidate_count: count,
                members: team
                    .proctors
                    .iter()
                    .map(|id| PanelMember {
                        expert_id: id.clone(),
                        role: PanelRole::Proctor,
                    })
                    .collect(),
            }];
            let mut n = assessors_needed(size).min(team.assessors.len());
            if violation == Some(Variant::PanelTooSmall) {
                n -= 1;
            }
            let mut practical: Vec<PanelMember> = team.assessors[..n]
                .iter()
                .enumerate()
                .map(|(i, id)| PanelMember {
                    expert_id: id.clone(),
                    role: if i == 0 {
                        PanelRole::LeadAssessor
                    } else {
                        PanelRole::Assessor
                    },
                })
                .collect();
            if violation == Some(Variant::CardExpired) {
                let k = self.below(self.expired_experts.len());
                if let Some(last) = practical.last_mut() {
                    last.expert_id = self.expired_experts[k].clone();
                }
            }
            rooms.push(Room {
                kind: RoomKind::Practical,
                candidate_count: count,
                members: practical,
            });
            if senior {
                rooms.push(Room {
                    kind: RoomKind::Review,
                    candidate_count: count,
                    members: team
                        .reviewers
                        .iter()
                        .map(|id| PanelMember {
                            expert_id: id.clone(),
                            role: PanelRole::Reviewer,
                        })
                        .collect(),
                });
            }
            let k = self.below(self.internal_supervisors.len());
            let mut supervisors = vec![Supervisor {
                expert_id: self.internal_supervisors[k].clone(),
                kind: SupervisorKind::Internal,
                appointed_by: self.county.clone(),
            }];
            if level.is_high_skill() && violation != Some(Variant::NoExternalSupervisor) {
                let k = self.between(1, EXTERNAL_SUPERVISORS);
                supervisors.push(Supervisor {
                    expert_id: format!("ZJ-{next}-WD{k:02}"),
                    kind: SupervisorKind::External,
                    appointed_by: next.clone(),
                });
            }
            let i = &self.insts[inst];
            self.batches.push(BatchInput {
                batch: AssessmentBatch {
                    batch_id,
                    institution_uscc: inst_uscc,
                    filing_no: i.filing.filing_no.clone(),
                    occupation_code: self.occ_codes[occ].clone(),
                    work_type: OCCUPATIONS[occ].2.to_owned(),
                    level,
                    exam_date: exam,
                    candidates: Vec::new(),
                    rooms,
                    supervisors,
                    offered_for_alliance: true,
                },
                candidates,
            });
            if let Some(v) = violation {
                for &c in &self.plans[b].certs {
                    self.marks.insert(c, Mark::Batch(v, b));
                }
            }
        }
        Ok(())
    }

    // -------------------------------------------------------------------------- violations

    /// Certificate violations made on certificates of clean batches (R6 batches count as
    /// clean: R6 is not part of recognition).
    fn certificate_violations(&mut self) -> Result<(), GenError> {
        let each = per_variant(
            self.opts.certificates,
            Variant::CERTIFICATE.len(),
            self.opts.violations,
        );
        let clean = |p: &Plan| p.violation.is_none_or(|v| v.certificate_effect().is_none());
        // R3 retroactive: the enterprise with the most such certificates loses its filing
        // later, and the revocation names some of them.
        let enterprises = self.of_role(Role::Enterprise);
        let count_of = |inst: usize| -> usize {
            self.plans
                .iter()
                .filter(|p| p.inst == inst && clean(p))
                .map(|p| p.certs.len())
                .sum()
        };
        let revoked = enterprises
            .iter()
            .copied()
            .max_by_key(|i| (count_of(*i), std::cmp::Reverse(*i)));
        let mut named: Vec<usize> = self
            .plans
            .iter()
            .filter(|p| Some(p.inst) == revoked && clean(p))
            .flat_map(|p| p.certs.iter().copied())
            .collect();
        self.shuffle(&mut named);
        named.truncate(each);
        let mut affected: Vec<String> = Vec::new();
        for &c in &named {
            self.marks
                .insert(c, Mark::Own(Variant::RevocationNamesCertificate));
            affected.push(self.certs[c].cert_no.as_str().to_owned());
        }
        if let Some(inst) = revoked {
            affected.sort();
            self.filing_status.push(FilingStatusChange {
                filing_no: self.insts[inst].filing.filing_no.clone(),
                status: FilingStatus::Revoked,
                effective_at: filing_revoked_on(),
                reason: "企业注销，撤销备案；经核查所列证书系违规发放".into(),
                affected_certificates: affected,
            });
        }

        let mut pool: Vec<usize> = self
            .plans
            .iter()
            .filter(|p| clean(p))
            .flat_map(|p| p.certs.iter().copied())
            .filter(|c| !self.marks.contains_key(c))
            .collect();
        pool.sort_unstable();
        self.shuffle(&mut pool);
        let mut take = pool.into_iter();
        for v in [
            Variant::LevelDigit,
            Variant::YearDigits,
            Variant::UnknownNumber,
            Variant::PrintedName,
            Variant::Revoked,
            Variant::Cancelled,
        ] {
            for c in take.by_ref().take(each) {
                self.mark_certificate(c, v)?;
            }
        }
        // Reissued certificates (补发) stay in force: realistic noise, not a violation.
        for c in take.take((self.opts.certificates / 5000).max(1)) {
            let issued = self.certs[c].issue_date;
            let at = self.date_between(add_days(issued, 60), last_status_change());
            self.cert_status.push(CertificateStatusChange {
                cert_no: self.certs[c].cert_no.as_str().to_owned(),
                status: CertStatus::Reissued,
                effective_date: at,
                reason: "证书遗失，补发".into(),
            });
        }
        Ok(())
    }

    fn mark_certificate(&mut self, c: usize, v: Variant) -> Result<(), GenError> {
        self.marks.insert(c, Mark::Own(v));
        let cert = &self.certs[c];
        let no = cert.cert_no.as_str().to_owned();
        let issued = cert.issue_date;
        match v {
            Variant::LevelDigit | Variant::YearDigits | Variant::UnknownNumber => {
                let mut chars: Vec<char> = no.chars().collect();
                match v {
                    Variant::LevelDigit => {
                        let digit = cert.level.digit();
                        let other = (digit % 5) + 1 + self.below(3) as u32;
                        let other = if other > 5 { other - 5 } else { other };
                        chars[15] = char::from_digit(other, 10).unwrap_or('9');
                    }
                    Variant::YearDigits => {
                        let yy = format!("{:02}", (issued.year() - 1).rem_euclid(100));
                        for (i, ch) in yy.chars().enumerate() {
                            chars[13 + i] = ch;
                        }
                    }
                    _ => {
                        chars.pop();
                    }
                }
                let mut candidate: String = chars.into_iter().collect();
                while self.numbers.contains(&candidate) {
                    candidate = bump(&candidate);
                }
                self.numbers.insert(candidate.clone());
                self.certs[c].cert_no = CertNo::parse(&candidate)?;
            }
            Variant::PrintedName => {
                let inst = self
                    .insts
                    .iter()
                    .find(|i| i.inst.uscc == self.certs[c].institution_uscc);
                if let Some(i) = inst {
                    self.certs[c].institution_name = i.former_name.clone();
                }
            }
            Variant::Revoked | Variant::Cancelled => {
                let at = self.date_between(add_days(issued, 30), last_status_change());
                let (status, reason) = if v == Variant::Revoked {
                    let r = *self
                        .rng
                        .pick(&["以欺骗等不正当手段取得证书，予以撤销", "考试违纪，撤销证书"]);
                    (CertStatus::Revoked, r)
                } else {
                    let r = *self
                        .rng
                        .pick(&["持证人申请注销", "证书信息有误，注销后重新核发"]);
                    (CertStatus::Cancelled, r)
                };
                self.cert_status.push(CertificateStatusChange {
                    cert_no: no,
                    status,
                    effective_date: at,
                    reason: reason.to_owned(),
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// Certificates without a batch (records migrated from older systems) until the county
    /// has exactly the number asked for.
    fn fill(&mut self) -> Result<(), GenError> {
        let main = self.main_institution();
        while self.certs.len() < self.opts.certificates {
            let mut occ = self.below(OCCUPATIONS.len());
            if occ == ELECTRICIAN {
                occ = 0;
            }
            let level = if self.chance(70) {
                Level::Five
            } else {
                Level::Four
            };
            let issued = self.date_between(ymd(2020, 3, 20), last_issue());
            self.standalone(main, occ, level, issued)?;
        }
        Ok(())
    }

    fn filing_changes(&mut self) {
        let sx = self.suspended_institution();
        let filing_no = self.insts[sx].filing.filing_no.clone();
        self.filing_status.push(FilingStatusChange {
            filing_no: filing_no.clone(),
            status: FilingStatus::Suspended,
            effective_at: suspended_from(),
            reason: "评价质量督导检查不合格，暂停等级认定".into(),
            affected_certificates: Vec::new(),
        });
        self.filing_status.push(FilingStatusChange {
            filing_no,
            status: FilingStatus::Active,
            effective_at: reinstated_on(),
            reason: "整改验收合格，恢复等级认定".into(),
            affected_certificates: Vec::new(),
        });
        self.filing_status
            .sort_by(|a, b| (a.effective_at, &a.filing_no).cmp(&(b.effective_at, &b.filing_no)));
    }

    // -------------------------------------------------------------------------- result

    fn expectations(&mut self) {
        let mut marked: Vec<(usize, Mark)> = self.marks.iter().map(|(c, m)| (*c, *m)).collect();
        marked.sort_by_key(|(c, _)| *c);
        for (c, mark) in marked {
            let cert_no = self.certs[c].cert_no.as_str().to_owned();
            match mark {
                Mark::Own(v) => {
                    self.expect.violations.push(Violation {
                        rule: v.rule(),
                        variant: v,
                        check: v.check(),
                        subject: cert_no.clone(),
                        severity: v.severity(),
                        outcome: v.outcome(),
                        certificates_affected: 1,
                    });
                    self.expect.certificates.push(Expected {
                        subject: cert_no,
                        outcome: v.outcome(),
                        rules: v.rules(),
                        variant: Some(v),
                        batch_id: None,
                        promoted_level: None,
                    });
                }
                Mark::Batch(v, b) => {
                    if let Some(outcome) = v.certificate_effect() {
                        self.expect.certificates.push(Expected {
                            subject: cert_no,
                            outcome,
                            rules: vec![v.rule()],
                            variant: Some(v),
                            batch_id: Some(self.plans[b].id.clone()),
                            promoted_level: None,
                        });
                    }
                }
            }
        }
        for p in &self.plans {
            let Some(v) = p.violation else { continue };
            self.expect.violations.push(Violation {
                rule: v.rule(),
                variant: v,
                check: v.check(),
                subject: p.id.clone(),
                severity: v.severity(),
                outcome: v.outcome(),
                certificates_affected: if v.certificate_effect().is_some() {
                    p.certs.len()
                } else {
                    0
                },
            });
            self.expect.batches.push(Expected {
                subject: p.id.clone(),
                outcome: v.outcome(),
                rules: v.rules(),
                variant: Some(v),
                batch_id: None,
                promoted_level: None,
            });
        }
        let order = |v: &Violation| (v.rule_order(), v.variant, v.subject.clone());
        self.expect.violations.sort_by_key(order);
        self.expect
            .certificates
            .sort_by(|a, b| a.subject.cmp(&b.subject));
        self.expect
            .batches
            .sort_by(|a, b| a.subject.cmp(&b.subject));
    }

    fn urgent(&mut self) -> Vec<UrgentList> {
        let mut out = Vec::new();
        for (year, county) in [(2025, true), (2026, true), (2026, false)] {
            if !county && self.index != 0 {
                continue;
            }
            let mut occs: Vec<usize> = (0..OCCUPATIONS.len()).collect();
            self.shuffle(&mut occs);
            let mut list: Vec<OccupationCode> = occs[..4]
                .iter()
                .map(|o| self.occ_codes[*o].clone())
                .collect();
            list.sort();
            out.push(UrgentList {
                year,
                county: county.then(|| self.county.clone()),
                occupations: list,
            });
        }
        out
    }

    fn finish(mut self) -> Result<CountyData, GenError> {
        self.expectations();
        let urgent = self.urgent();
        let occupations = OCCUPATIONS
            .iter()
            .enumerate()
            .map(|(i, (_, name, _))| Occupation {
                code: self.occ_codes[i].clone(),
                name: (*name).to_owned(),
                levels: Self::levels(5, 1),
                access_controlled: i == ELECTRICIAN,
            })
            .collect();
        let mut certificates = self.certs;
        certificates.sort_by(|a, b| {
            (a.issue_date, a.cert_no.as_str()).cmp(&(b.issue_date, b.cert_no.as_str()))
        });
        let mut cert_status = self.cert_status;
        cert_status
            .sort_by(|a, b| (a.effective_date, &a.cert_no).cmp(&(b.effective_date, &b.cert_no)));
        let (institutions, filings): (Vec<Institution>, Vec<Filing>) =
            self.insts.into_iter().map(|i| (i.inst, i.filing)).unzip();
        Ok(CountyData {
            header_language: if self.index % 2 == 0 {
                HeaderLanguage::En
            } else {
                HeaderLanguage::Zh
            },
            county: self.county,
            name: self.name,
            occupations,
            institutions,
            filings,
            filing_status: self.filing_status,
            experts: self.experts,
            relations: self.relations,
            batches: self.batches,
            certificates,
            competitions: self.competitions,
            results: self.results,
            certificate_status: cert_status,
            urgent,
            expectations: self.expect,
        })
    }
}

impl Violation {
    /// R1 < R2 < … < R16 (not the string order).
    fn rule_order(&self) -> u32 {
        self.rule
            .trim_start_matches('R')
            .parse()
            .unwrap_or(u32::MAX)
    }
}

/// The same number with its trailing digits increased by one (wrapping).
fn bump(s: &str) -> String {
    let digits = s.chars().rev().take_while(char::is_ascii_digit).count();
    let (head, tail) = s.split_at(s.len() - digits);
    let width = tail.len();
    let n: u64 = tail.parse().unwrap_or(0);
    let modulus = 10u64.saturating_pow(width as u32).max(1);
    format!("{head}{:0width$}", (n + 1) % modulus)
}
