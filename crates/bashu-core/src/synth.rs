//! Deterministic synthetic data for demos, tests and benchmarks: valid identifiers, real
//! county codes and occupations. The same seed gives the same records.
//!
//! Two levels. [`certificates`] and [`institutions`] make plain valid certificates (the demo
//! and the older tests use them). [`generate_county`] makes a whole county's HR export —
//! what `bashu gen` writes — with a documented, seeded share of deliberate rule violations
//! and a [`Manifest`] that says what every check must answer. Pure: data structures in,
//! data structures out; [`write_file`] writes to any `Write`, the CLI opens the files.
//!
//! # The county export
//!
//! Per county (timeline: exams 2020-03-01 … 2026-08-31, certificates issued 20–50 days
//! later, every status change effective by [`AS_OF`] 2026-11-30):
//!
//! - **Occupations**: the ten of [`OCCUPATIONS`], levels 1–5; 电工 6-31-01-03 is 准入类
//!   (`access_controlled`), so R14 excludes it by default.
//! - **Institutions and filings**: the 职业技能鉴定所 (legacy 16-digit 职业资格证书 until
//!   2019), the 职业教育中心 (every occupation and level, 电工 三–五级), 2–8 社会培训评价组织
//!   (S, 2–4 occupations; the second stops at 三级), 2–6 enterprises (Y, their own trades;
//!   the first filed with the ministry and has its own 4-digit code), 2 职业培训机构 with
//!   training permits. USCCs carry check characters; site serials are the county code's
//!   last four digits and the institution's position, so numbers never collide across
//!   counties. The first evaluator has a 异地报备 in the next county.
//! - **Experts**: panels come from teams per (occupation, senior) pool — 2 proctors, the
//!   assessors a 30-candidate room needs (7; 3 in small sets), and for 二级/一级 3
//!   reviewers, all 高级考评员 with 一级 or a 副高 title. Teams are disjoint; an
//!   institution's consecutive batches never share a team (R10). Internal supervisors,
//!   four external supervisors shared with the previous county (R11), two experts whose
//!   card expired in 2019 (used only by R8 violations) and six referees. Shared scope
//!   ALLIANCE or a list of counties. Some experts declare relations with people and
//!   organisations that never meet them on a panel.
//! - **Batches**: 10–30 candidates (4–12 below 5,000 certificates), theory room with
//!   proctors, practical room with an odd number of assessors (1 per 5 candidates, at least
//!   3), review room from 二级 up, an internal supervisor, and from 三级 up an external one
//!   appointed by the next county. Candidates of S batches work for ordinary companies and
//!   may have trained at a 职业培训机构 or the institution itself; Y batches assess the
//!   enterprise's own staff. Every candidate for 四级 or above holds the next lower level in
//!   the same occupation, issued at least the SPEC's years before the exam (4, 5 for 三级) —
//!   a legacy certificate before 2020, else one of the 职业教育中心.
//! - **Certificates**: the batches' certificates, the prerequisites, and certificates
//!   without a batch (migrated records) up to exactly `--certificates`.
//! - **Competition**: the first county hosts an ALLIANCE-class 巴蜀工匠杯, the others a
//!   COUNTY-class contest (year 2025, promotion table `default`, recognised by every
//!   county), three events, every rank of every event as a result; some employees already
//!   hold 三级 and are promoted one level higher.
//! - **Status changes**: a few 补发 (reissued, still in force) besides the violations;
//!   the urgent-occupation lists of 2025 and 2026 (and an ALLIANCE list in the first
//!   county).
//!
//! # The violation recipe
//!
//! `violations` (default 0.02) is the share of records that break a rule on purpose,
//! spread evenly over the variants of each family, at least one of each when it is above
//! zero: certificates over 10 variants, batches over 8, results over 2.
//!
//! | rule | variant | made how | verdict |
//! |---|---|---|---|
//! | R1 | `level_digit` | level digit of the number changed | REJECTED (R1, R14) |
//! | R1 | `year_digits` | year digits = year before issue | REJECTED (R1, R14) |
//! | R1 | `unknown_number` | number truncated to 21 characters | PENDING (R1 REVIEW) |
//! | R2 | `printed_name` | printed name is the former name (荣昌县 before 2015, …) | REJECTED (R2, R14) |
//! | R3 | `filing_suspended` | issued while the first evaluator's filing was suspended (2024-03-01 … 06-30) | REJECTED (R3, R14) |
//! | R3 | `outside_scope` | 二级 from the evaluator whose scope stops at 三级, or an occupation it does not cover | REJECTED (R3, R14) |
//! | R3 | `revocation_names_certificate` | an enterprise's filing revoked on 2026-10-31, naming the certificate (the others it issued stay recognised) | REJECTED (R3, R14) |
//! | R14 | `revoked` / `cancelled` | status change before 2026-11-15 | REJECTED (R14) |
//! | R14 | `access_controlled` | a 电工 certificate | REJECTED (R14) |
//! | R6 | `prerequisite_too_recent` | one candidate's lower level is a year short | batch INVALID; certificates still RECOGNISED |
//! | R6 | `prerequisite_missing` | one candidate has no lower-level certificate | batch PENDING (REVIEW) |
//! | R7 | `panel_too_small` | practical room one assessor short (even) | batch INVALID, its certificates REJECTED |
//! | R8 | `card_expired` | an assessor replaced by an expert whose card expired | batch INVALID, certificates REJECTED |
//! | R9 | `same_employer` | in an S batch, a candidate works for the lead assessor's employer | batch INVALID, certificates REJECTED |
//! | R9 | `declared_relation` | the lead assessor declares a kin relation with a candidate | batch INVALID, certificates REJECTED |
//! | R10 | `panel_not_rotated` | same team as the institution's previous batch | batch PENDING, certificates PENDING |
//! | R11 | `no_external_supervisor` | 三级+ batch without the external supervisor | batch INVALID, certificates REJECTED |
//! | R12 | `second_promotion_same_year` | a promoted contestant of one event also places in a later event | promotion INVALID |
//! | R13 | `title_not_eligible` | 技术能手 claimed by an employee below rank 1, or by a student | promotion INVALID |
//!
//! Not generated: R4 and R16 (the importer refuses such rows, so they never reach the
//! replicated data), R5 (INFO only), R15 (subsidy claims are home-only, with no import
//! kind); certificates with source COMPETITION (the certificate export has no source
//! column). Results ranked below the promotion table are ordinary data: promotion INVALID
//! (R12), listed in the manifest like every result.
//!
//! Person ID numbers are unique across the counties of one generation: the first digit of
//! the sequence code is the county's position in the list.

mod dataset;
mod export;
#[cfg(test)]
mod gen_tests;
mod generate;
mod places;

pub use dataset::{
    Check, CountyData, CountyManifest, Expectations, Expected, ExpectedOutcome, FileEntry,
    GenError, GenOptions, HeaderLanguage, MAX_COUNTIES, MIN_CERTIFICATES, Manifest, NOT_GENERATED,
    NotGenerated, RecipeItem, Totals, Variant, Violation, manifest,
};
pub use export::{ExportFile, FILES, write_file};
pub use generate::{as_of, generate_county};
pub use places::{KNOWN_COUNTIES, KnownCounty, county_name};

/// The date the manifest's expectations hold from: every status change, suspension and
/// revocation the generator makes is effective by then.
pub const AS_OF: &str = "2026-11-30";

/// Every county of `options`, in order.
pub fn generate(options: &GenOptions) -> Result<Vec<CountyData>, GenError> {
    (0..options.counties.len())
        .map(|i| generate_county(options, i))
        .collect()
}

use crate::date::Date;
use crate::id::{
    CertNo, CountyCode, Level, OccupationCode, PersonId, Uscc, id_check_char, uscc_check_char,
};
use crate::record::{CertStatus, CertType, CertificateInput};

/// SplitMix64: small, fast, and good enough for synthetic data (not for keys).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Occupations used by the generator: (code, name, work type).
pub const OCCUPATIONS: &[(&str, &str, &str)] = &[
    ("6-18-02-04", "焊工", "--"),
    ("6-18-01-01", "车工", "--"),
    ("6-18-01-02", "铣工", "--"),
    ("6-31-01-03", "电工", "--"),
    ("4-12-01-01", "汽车维修工", "汽车机械维修工"),
    ("4-03-02-01", "中式烹调师", "--"),
    ("4-03-02-07", "茶艺师", "--"),
    ("4-10-01-05", "养老护理员", "--"),
    ("4-10-01-06", "家政服务员", "--"),
    ("4-01-02-02", "电子商务师", "--"),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "罗", "唐", "谢",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "兰", "红", "林", "波",
];

/// A plausible resident ID number born in `year` (valid check digit and birth date).
pub fn id_number(rng: &mut Rng, region: &str, year: i32) -> String {
    let month = 1 + rng.below(12);
    let day = 1 + rng.below(28);
    let seq = rng.below(1000);
    let first17 = format!("{region}{year:04}{month:02}{day:02}{seq:03}");
    let check = id_check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// A USCC with a valid check character, registered in `county`.
pub fn uscc(rng: &mut Rng, county: &str) -> String {
    let org = rng.below(1_000_000_000);
    let first17 = format!("91{county}{org:09}");
    let check = uscc_check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// An institution for the generator.
#[derive(Debug, Clone)]
pub struct SynthInstitution {
    pub uscc: String,
    pub name: String,
    pub kind: char,
    pub code: String,
    pub site_serial: String,
    pub filing_no: String,
}

/// The institutions of `county` the generator issues from.
pub fn institutions(county: &CountyCode, county_name: &str, seed: u64) -> Vec<SynthInstitution> {
    let mut rng = Rng::new(seed ^ 0x1157);
    let names = [
        "职业技术学院",
        "技工学校",
        "机械制造有限公司",
        "职业技能培训中心",
    ];
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let kind = if i % 2 == 0 { 'S' } else { 'Y' };
            SynthInstitution {
                uscc: uscc(&mut rng, county.as_str()),
                name: format!("{county_name}{n}"),
                kind,
                code: if kind == 'S' {
                    "0000".into()
                } else {
                    format!("{:04}", 1000 + rng.below(9000))
                },
                site_serial: format!("{:06}", rng.below(1_000_000)),
                filing_no: format!("BA{}{:04}", county.as_str(), i + 1),
            }
        })
        .collect()
}

/// `n` valid certificates issued in `county` (numbers unique within the county).
pub fn certificates(
    county: &CountyCode,
    county_name: &str,
    n: usize,
    seed: u64,
) -> Vec<CertificateInput> {
    let mut rng = Rng::new(seed ^ county.as_str().parse::<u64>().unwrap_or(0));
    let insts = institutions(county, county_name, seed);
    let province2 = county.province_code().to_owned();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let inst = rng.pick(&insts);
        let (occ_code, occ_name, work_type) = *rng.pick(OCCUPATIONS);
        let level_digit = 1 + rng.below(5) as u32;
        let year = 2020 + rng.below(6) as i32;
        let month = 1 + rng.below(12) as u32;
        let day = 1 + rng.below(28) as u32;
        let birth_year = 1965 + rng.below(38) as i32;
        let name = format!(
            "{}{}{}",
            rng.pick(SURNAMES),
            rng.pick(GIVEN),
            if rng.below(2) == 0 {
                *rng.pick(GIVEN)
            } else {
                ""
            }
        );
        // The serial is six digits; past a million the site serial moves on.
        let site = (inst.site_serial.parse::<usize>().unwrap_or(0) + i / 1_000_000) % 1_000_000;
        let cert_no = format!(
            "{}{}{}{:06}{:02}{}{:06}",
            inst.kind,
            inst.code,
            province2,
            site,
            year % 100,
            level_digit,
            i % 1_000_000
        );
        let id = id_number(&mut rng, county.as_str(), birth_year);
        let (
            Ok(cert_no),
            Ok(person_id),
            Ok(occupation_code),
            Some(level),
            Ok(issue_date),
            Ok(uscc),
        ) = (
            CertNo::parse(&cert_no),
            PersonId::parse("", &id),
            OccupationCode::parse(occ_code),
            Level::from_digit(level_digit),
            Date::from_ymd(year, month, day),
            Uscc::parse(&inst.uscc),
        )
        else {
            continue;
        };
        out.push(CertificateInput {
            cert_no,
            cert_type: CertType::SkillLevel,
            name,
            person_id,
            occupation_code,
            occupation_name: occ_name.to_owned(),
            work_type: work_type.to_owned(),
            level,
            issue_date,
            institution_uscc: uscc,
            institution_name: inst.name.clone(),
            filing_no: inst.filing_no.clone(),
            batch_id: None,
            status: CertStatus::Valid,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificates_are_valid_unique_and_deterministic() {
        let Ok(county) = CountyCode::parse("500153") else {
            panic!("county code");
        };
        let a = certificates(&county, "荣昌区", 500, 7);
        assert_eq!(a.len(), 500, "every generated record must be valid");
        let b = certificates(&county, "荣昌区", 500, 7);
        assert_eq!(a, b);
        let mut nos: Vec<_> = a.iter().map(|c| c.cert_no.as_str().to_owned()).collect();
        nos.sort();
        nos.dedup();
        assert_eq!(nos.len(), 500);
        for c in &a {
            assert_eq!(c.cert_no.level_digit(), Some(c.level.digit()));
        }
        let c = certificates(&county, "荣昌区", 500, 8);
        assert_ne!(a, c);
    }
}
