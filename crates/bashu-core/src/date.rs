//! Calendar dates (SPEC §1: `YYYY-MM-DD`, a real calendar date).
//!
//! Proleptic Gregorian calendar, years 0001..=9999 so that every date prints as exactly
//! `YYYY-MM-DD`. Day arithmetic uses the civil-from-days algorithm of Howard Hinnant
//! (<https://howardhinnant.github.io/date_algorithms.html>); results that would leave the
//! supported range saturate at 0001-01-01 or 9999-12-31. No clock is read here.

use std::fmt;

use crate::id::IdError;

const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;
const MS_PER_DAY: i64 = 86_400_000;

/// A calendar date. Ordered chronologically.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order matters: the derived `Ord` compares year, then month, then day.
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// Parses exactly `YYYY-MM-DD` (no surrounding whitespace, no other separators).
    pub fn parse(s: &str) -> Result<Date, IdError> {
        let b = s.as_bytes();
        let well_formed = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !well_formed {
            return Err(IdError::new(
                format!("日期格式应为 YYYY-MM-DD，实为 \"{s}\""),
                format!("date must be YYYY-MM-DD, found \"{s}\""),
            ));
        }
        let num = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'))
        };
        // At most four digits: the year always fits an i32.
        let year = i32::try_from(num(0..4)).unwrap_or(0);
        Date::from_ymd(year, num(5..7), num(8..10))
    }

    /// A date from its parts; fails unless it is a real calendar date in years 1..=9999.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date, IdError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(IdError::new(
                format!("年份 {year} 超出范围 0001–9999"),
                format!("year {year} is outside 0001-9999"),
            ));
        }
        if !(1..=12).contains(&month) {
            return Err(IdError::new(
                format!("月份 {month} 无效（{year:04}-{month:02}-{day:02}）"),
                format!("month {month} is not valid ({year:04}-{month:02}-{day:02})"),
            ));
        }
        let last = days_in_month(year, month);
        if day == 0 || day > last {
            return Err(IdError::new(
                format!("{year:04}-{month:02}-{day:02} 不是有效日期：该月只有 {last} 天"),
                format!(
                    "{year:04}-{month:02}-{day:02} is not a calendar date: that month has {last} days"
                ),
            ));
        }
        // Both checked above to fit a u8.
        Ok(Date {
            year,
            month: month as u8,
            day: day as u8,
        })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1..=12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// 1..=31.
    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        let m = i64::from(self.month);
        let d = i64::from(self.day);
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400; // [0, 399]
        let mp = (m + 9) % 12; // March = 0
        let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01, saturating at 0001-01-01 and 9999-12-31.
    pub fn from_days_since_epoch(days: i64) -> Date {
        let lo = Date::MIN.days_since_epoch();
        let hi = Date::MAX.days_since_epoch();
        let z = days.clamp(lo, hi) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097; // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
        let mp = (5 * doy + 2) / 153; // [0, 11]
        let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
        let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
        let year = yoe + era * 400 + i64::from(month <= 2);
        // The clamp keeps the year in 1..=9999; month and day are in range by construction.
        Date {
            year: year as i32,
            month: month as u8,
            day: day as u8,
        }
    }

    /// The same day `n` years later (earlier for negative `n`); 29 February becomes
    /// 28 February in a common year. Saturates at years 0001 and 9999.
    pub fn add_years(self, n: i32) -> Date {
        let year = self.year.saturating_add(n).clamp(MIN_YEAR, MAX_YEAR);
        let day = self.day.min(days_in_month(year, self.month()) as u8);
        Date {
            year,
            month: self.month,
            day,
        }
    }

    /// 0001-01-01.
    pub const MIN: Date = Date {
        year: MIN_YEAR,
        month: 1,
        day: 1,
    };

    /// 9999-12-31.
    pub const MAX: Date = Date {
        year: MAX_YEAR,
        month: 12,
        day: 31,
    };
}

/// The UTC calendar date of a Unix timestamp in milliseconds.
pub fn date_from_unix_ms(ms: i64) -> Date {
    Date::from_days_since_epoch(ms.div_euclid(MS_PER_DAY))
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl std::str::FromStr for Date {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Date, IdError> {
        Date::parse(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn parses_and_prints() {
        let x = d("2024-02-29");
        assert_eq!((x.year(), x.month(), x.day()), (2024, 2, 29));
        assert_eq!(x.to_string(), "2024-02-29");
        assert_eq!(d("0001-01-01").to_string(), "0001-01-01");
        assert_eq!("1999-12-31".parse::<Date>().unwrap(), d("1999-12-31"));
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "2024-2-29",
            "2024/02/29",
            "20240229",
            " 2024-02-29",
            "2024-02-29 ",
            "2024-02-2a",
            "+024-02-29",
            "２０２４-02-29",
            "2024-02-290",
        ] {
            let e = Date::parse(s).unwrap_err();
            assert!(e.message_en.contains("YYYY-MM-DD"), "{s}: {e}");
        }
    }

    #[test]
    fn rejects_impossible_dates() {
        for s in [
            "2023-02-29",
            "1900-02-29",
            "2024-02-30",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-01-32",
            "0000-01-01",
        ] {
            assert!(Date::parse(s).is_err(), "{s}");
        }
        let e = Date::parse("2023-02-29").unwrap_err();
        assert_eq!(
            e.message_en,
            "2023-02-29 is not a calendar date: that month has 28 days"
        );
        assert!(e.message_zh.contains("不是有效日期"));
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2000));
        assert!(is_leap_year(2024));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2023));
        assert!(Date::from_ymd(2000, 2, 29).is_ok());
        assert!(Date::from_ymd(2100, 2, 29).is_err());
    }

    #[test]
    fn epoch_days() {
        assert_eq!(d("1970-01-01").days_since_epoch(), 0);
        assert_eq!(d("1970-01-02").days_since_epoch(), 1);
        assert_eq!(d("1969-12-31").days_since_epoch(), -1);
        assert_eq!(d("2000-03-01").days_since_epoch(), 11_017);
        assert_eq!(d("2024-02-29").days_since_epoch(), 19_782);
        assert_eq!(Date::from_days_since_epoch(19_782), d("2024-02-29"));
        assert_eq!(Date::from_days_since_epoch(-719_162), d("0001-01-01"));
    }

    #[test]
    fn epoch_days_round_trip_and_order() {
        let mut prev = Date::from_days_since_epoch(-800_000);
        assert_eq!(prev, Date::MIN);
        for n in -719_161..=2_932_896 {
            let x = Date::from_days_since_epoch(n);
            assert_eq!(x.days_since_epoch(), n);
            assert!(prev < x);
            prev = x;
        }
        assert_eq!(prev, Date::MAX);
        assert_eq!(Date::from_days_since_epoch(i64::MAX), Date::MAX);
        assert_eq!(Date::from_days_since_epoch(i64::MIN), Date::MIN);
    }

    #[test]
    fn ordering_is_chronological() {
        assert!(d("2023-12-31") < d("2024-01-01"));
        assert!(d("2024-01-31") < d("2024-02-01"));
        assert!(d("2024-02-01") < d("2024-02-02"));
    }

    #[test]
    fn add_years_clips_leap_day() {
        assert_eq!(d("2024-02-29").add_years(1), d("2025-02-28"));
        assert_eq!(d("2024-02-29").add_years(4), d("2028-02-29"));
        assert_eq!(d("2024-02-29").add_years(-1), d("2023-02-28"));
        assert_eq!(d("2020-06-15").add_years(3), d("2023-06-15"));
        assert_eq!(d("2020-06-15").add_years(i32::MAX), d("9999-06-15"));
        assert_eq!(d("2020-06-15").add_years(i32::MIN), d("0001-06-15"));
    }

    #[test]
    fn unix_ms() {
        assert_eq!(date_from_unix_ms(0), d("1970-01-01"));
        assert_eq!(date_from_unix_ms(-1), d("1969-12-31"));
        assert_eq!(date_from_unix_ms(86_399_999), d("1970-01-01"));
        assert_eq!(date_from_unix_ms(86_400_000), d("1970-01-02"));
        // 2024-02-29T12:00:00Z
        assert_eq!(date_from_unix_ms(1_709_208_000_000), d("2024-02-29"));
    }
}
