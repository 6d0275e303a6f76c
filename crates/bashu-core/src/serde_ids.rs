//! serde for the checked identifier types: written as their canonical text, read through
//! their checked constructors, so a record that decodes holds only valid identifiers.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::date::Date;
use crate::id::{CountyCode, Level, OccupationCode, Uscc};

macro_rules! text_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <$t>::parse(&s).map_err(de::Error::custom)
            }
        }
    };
}

text_serde!(CountyCode);
text_serde!(OccupationCode);
text_serde!(Uscc);

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(de::Error::custom)
    }
}

/// A level is written as its digit (特级技师 = 0) and read from a digit or any label.
impl Serialize for Level {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.digit())
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Level;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a level digit 0..5 or a label such as 三级/高级工")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Level, E> {
                u32::try_from(v)
                    .ok()
                    .and_then(Level::from_digit)
                    .ok_or_else(|| E::custom(format!("level {v} is not 0..5")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Level, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("level {v} is not 0..5")))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Level, E> {
                Level::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip_and_invalid_ones_do_not_decode() {
        let c: CountyCode = serde_json::from_str("\"500153\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"500153\"");
        assert!(serde_json::from_str::<CountyCode>("\"5001\"").is_err());
        let d: Date = serde_json::from_str("\"2024-02-29\"").unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2024-02-29\"");
        assert!(serde_json::from_str::<Date>("\"2023-02-29\"").is_err());
        assert_eq!(serde_json::from_str::<Level>("3").unwrap(), Level::Three);
        assert_eq!(
            serde_json::from_str::<Level>("\"技师\"").unwrap(),
            Level::Two
        );
        assert_eq!(serde_json::to_string(&Level::Two).unwrap(), "2");
        assert!(serde_json::from_str::<Level>("9").is_err());
    }
}
