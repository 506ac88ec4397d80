//! YAML 1.1 number spellings.
//!
//! fairseq2 reads recipe YAML with a YAML 1.1 loader, where `960_000` is the integer
//! 960000. `yaml_serde` follows YAML 1.2, where it is the string `"960_000"`. These
//! deserializers accept both spellings for numeric fields, so upstream configs parse
//! verbatim. (A quoted `"960_000"` is accepted too: after parsing, the quotes are gone.)

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

/// Strips YAML 1.1 digit separators from a plain number literal, or `None` when the
/// text is not one (so that strings like `"1_2_"` or `"_1"` are still rejected).
fn without_separators(text: &str) -> Option<String> {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let starts_with_digit = body.starts_with(|c: char| c.is_ascii_digit());
    let well_placed = !body.contains("__") && !body.ends_with('_') && !body.contains("_.");
    (starts_with_digit && well_placed).then(|| text.replace('_', ""))
}

struct U64Visitor;

impl Visitor<'_> for U64Visitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer (digit separators like 960_000 allowed)")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        without_separators(v)
            .and_then(|digits| digits.strip_prefix('+').unwrap_or(&digits).parse().ok())
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

struct F64Visitor;

impl Visitor<'_> for F64Visitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a finite number")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    #[allow(
        clippy::cast_precision_loss,
        reason = "config integers used as floats are small"
    )]
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    #[allow(
        clippy::cast_precision_loss,
        reason = "config integers used as floats are small"
    )]
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        without_separators(v)
            .and_then(|text| text.parse::<f64>().ok())
            .filter(|x| x.is_finite())
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

/// `deserialize_with` for `u64` fields.
pub(crate) fn u64_yaml11<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    deserializer.deserialize_any(U64Visitor)
}

/// `deserialize_with` for `Option<u64>` fields (`null` → `None`).
pub(crate) fn opt_u64_yaml11<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    deserializer.deserialize_option(OptionOf(U64Visitor))
}

/// `deserialize_with` for `f64` fields.
pub(crate) fn f64_yaml11<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    deserializer.deserialize_any(F64Visitor)
}

/// `deserialize_with` for `Option<f64>` fields (`null` → `None`).
pub(crate) fn opt_f64_yaml11<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<f64>, D::Error> {
    deserializer.deserialize_option(OptionOf(F64Visitor))
}

struct OptionOf<V>(V);

impl<'de, V: Visitor<'de> + Copy> Visitor<'de> for OptionOf<V> {
    type Value = Option<V::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)?;
        f.write_str(" or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self.0).map(Some)
    }
}

impl Clone for U64Visitor {
    fn clone(&self) -> Self {
        *self
    }
}
impl Copy for U64Visitor {}
impl Clone for F64Visitor {
    fn clone(&self) -> Self {
        *self
    }
}
impl Copy for F64Visitor {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_follow_yaml_1_1() {
        assert_eq!(without_separators("960_000").as_deref(), Some("960000"));
        assert_eq!(without_separators("+1_0").as_deref(), Some("+10"));
        assert_eq!(without_separators("1_000.5").as_deref(), Some("1000.5"));
        for bad in ["_1", "1_", "1__0", "abc", "", "1_.5"] {
            assert_eq!(without_separators(bad), None, "{bad}");
        }
    }
}
