//! Real counties of the alliance region and the words institution names are made of.

use crate::id::CountyCode;

/// A county the generator knows: code, name, the prefix its institution names carry, the
/// prefix of their former names (an R2 violation prints the former name), short name,
/// streets for addresses.
#[derive(Debug, Clone, Copy)]
pub struct KnownCounty {
    pub code: &'static str,
    pub name: &'static str,
    pub prefix: &'static str,
    pub former_prefix: &'static str,
    pub short: &'static str,
    pub streets: [&'static str; 3],
}

/// 荣昌区 became a district in 2015 (荣昌县 before), 永川 in 2006 (永川市), 大足 in 2011
/// (大足县), 隆昌 a county-level city in 2017 (隆昌县).
pub const KNOWN_COUNTIES: [KnownCounty; 5] = [
    KnownCounty {
        code: "500153",
        name: "荣昌区",
        prefix: "重庆市荣昌区",
        former_prefix: "重庆市荣昌县",
        short: "荣昌",
        streets: ["昌州大道", "海棠大道", "迎宾大道"],
    },
    KnownCounty {
        code: "500118",
        name: "永川区",
        prefix: "重庆市永川区",
        former_prefix: "重庆市永川市",
        short: "永川",
        streets: ["人民大道", "兴龙大道", "昌龙大道"],
    },
    KnownCounty {
        code: "500111",
        name: "大足区",
        prefix: "重庆市大足区",
        former_prefix: "重庆市大足县",
        short: "大足",
        streets: ["五星大道", "龙岗大道", "双桥大道"],
    },
    KnownCounty {
        code: "510521",
        name: "泸县",
        prefix: "四川省泸县",
        former_prefix: "泸州市泸县",
        short: "泸县",
        streets: ["玉蟾大道", "龙城大道", "福集路"],
    },
    KnownCounty {
        code: "511083",
        name: "隆昌市",
        prefix: "四川省隆昌市",
        former_prefix: "四川省隆昌县",
        short: "隆昌",
        streets: ["金鹅大道", "隆昌大道", "石牌坊路"],
    },
];

/// The name of a known county.
pub fn county_name(code: &str) -> Option<&'static str> {
    KNOWN_COUNTIES
        .iter()
        .find(|k| k.code == code)
        .map(|k| k.name)
}

/// The naming profile of a county: the known one, or one made from its name.
pub(super) struct Profile {
    pub prefix: String,
    pub former_prefix: String,
    pub short: String,
    pub streets: Vec<String>,
}

impl Profile {
    pub fn of(county: &CountyCode, name: &str) -> Profile {
        if let Some(k) = KNOWN_COUNTIES.iter().find(|k| k.code == county.as_str()) {
            return Profile {
                prefix: k.prefix.to_owned(),
                former_prefix: k.former_prefix.to_owned(),
                short: k.short.to_owned(),
                streets: k.streets.iter().map(|s| (*s).to_owned()).collect(),
            };
        }
        let province = match county.province_code() {
            "50" => "重庆市",
            "51" => "四川省",
            _ => "",
        };
        let short: String = name.chars().take(2).collect();
        Profile {
            prefix: format!("{province}{name}"),
            former_prefix: name.to_owned(),
            short,
            streets: vec!["人民路".into(), "工业大道".into(), "学府路".into()],
        }
    }

    /// The province as enterprise names start (`重庆` / `四川`).
    pub fn enterprise_prefix(county: &CountyCode) -> &'static str {
        match county.province_code() {
            "50" => "重庆",
            "51" => "四川",
            _ => "",
        }
    }
}

/// Words for training-and-evaluation organisation names.
pub(super) const SCHOOL_WORDS: [&str; 12] = [
    "安澜", "启航", "明德", "惠民", "宏志", "华夏", "新城", "龙腾", "鸿鹄", "致远", "金穗", "卓越",
];

/// Words for enterprise names.
pub(super) const FIRM_WORDS: [&str; 12] = [
    "昌达", "鑫源", "华航", "宏盛", "汇通", "恒力", "天成", "瑞丰", "嘉禾", "永盛", "长鑫", "佳美",
];

/// Enterprise kinds: industry word and the occupations (indexes into `OCCUPATIONS`) it
/// assesses its own staff in.
pub(super) const INDUSTRIES: [(&str, &[usize], u32); 5] = [
    ("机械制造", &[0, 1, 2, 3], 1),
    ("汽车零部件", &[0, 4], 1),
    ("餐饮管理", &[5, 6], 2),
    ("养老服务", &[7, 8], 2),
    ("电子商务", &[9], 2),
];

/// ID-number address codes of people who moved in from outside the alliance.
pub(super) const OTHER_REGIONS: [&str; 5] = ["510502", "511002", "500101", "520102", "530102"];
