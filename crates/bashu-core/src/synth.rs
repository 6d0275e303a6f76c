//! Deterministic synthetic data for demos, tests and benchmarks: valid identifiers, real
//! county codes and occupations. The same seed gives the same records.

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
