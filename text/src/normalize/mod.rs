//! Transcript normalisation, reproducing the Python reference implementations exactly.
//!
//! Two styles exist because the two halves of the project compare against two
//! references: [`coral`] is CoRal's evaluation normalisation (so our WER/CER are comparable
//! with published CoRal numbers), and [`omniasr`] is omnilingual-asr's data-preparation
//! `text_normalize` (so our training targets match what the omniASR tokenizer was built
//! for). Both are written as Python regexes, so the helpers here answer the character-class
//! questions (`\b`, `\d`, `\s`, `str.strip`) the way CPython does, from generated tables.

pub mod coral;
pub mod numerals;
pub mod omniasr;
#[rustfmt::skip]
mod tables;

use std::str::FromStr;

/// Which normaliser to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Style {
    /// CoRal evaluation normalisation (`coral.data.process_example`).
    Coral,
    /// omnilingual-asr data-prep `text_normalize(text, "da")`.
    OmniAsr,
}

impl Style {
    pub fn apply(self, text: &str) -> String {
        match self {
            Self::Coral => coral::normalize(text),
            Self::OmniAsr => omniasr::normalize(text),
        }
    }
}

impl FromStr for Style {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "coral" => Ok(Self::Coral),
            "omniasr" => Ok(Self::OmniAsr),
            other => Err(format!(
                "unknown normalisation style `{other}` (expected coral or omniasr)"
            )),
        }
    }
}

fn in_table(table: &[(u32, u32)], c: char) -> bool {
    let cp = u32::from(c);
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Python `re` word character (`str.isalnum()` or `_`), used for `\b`.
pub(crate) fn py_is_word(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        in_table(tables::PY_WORD, c)
    }
}

/// Python `re` `\d` (`str.isdecimal()`).
pub(crate) fn py_is_decimal(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        in_table(tables::PY_DECIMAL, c)
    }
}

/// Value of a Python decimal digit, as `int()` reads it.
pub(crate) fn py_decimal_value(c: char) -> Option<u32> {
    let cp = u32::from(c);
    let index = tables::PY_DECIMAL.partition_point(|&(_, hi)| hi < cp);
    let &(lo, hi) = tables::PY_DECIMAL.get(index)?;
    (lo <= cp && cp <= hi).then(|| (cp - lo) % 10)
}

/// Python `\s` / `str.isspace()`. Unlike `char::is_whitespace` it includes U+001C..U+001F.
pub fn py_is_space(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, '\t'..='\r' | '\x1c'..='\x1f' | ' ')
    } else {
        in_table(tables::PY_SPACE, c)
    }
}

/// Python `str.strip()` with no argument.
pub fn py_strip(text: &str) -> &str {
    text.trim_matches(py_is_space)
}

/// `\b` at char index `at` of `chars`, as Python `re` defines it.
pub(crate) fn py_word_boundary(chars: &[char], at: usize) -> bool {
    let before = at > 0 && chars.get(at - 1).is_some_and(|&c| py_is_word(c));
    let after = chars.get(at).is_some_and(|&c| py_is_word(c));
    before != after
}

/// `sre`'s case folding for `re.IGNORECASE`: the *simple* lower-case mapping (one char),
/// which differs from `char::to_lowercase` only for U+0130 (İ → i, not "i̇").
pub(crate) fn sre_lower(c: char) -> char {
    if c == '\u{130}' {
        return 'i';
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Collapse runs of `' '` into one (`re.sub(r" +", " ", text)`).
pub(crate) fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous_space = false;
    for c in text.chars() {
        if c == ' ' {
            if !previous_space {
                out.push(' ');
            }
            previous_space = true;
        } else {
            out.push(c);
            previous_space = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_character_classes() {
        assert!(py_is_word('_') && py_is_word('æ') && py_is_word('٣') && py_is_word('²'));
        assert!(
            !py_is_word('\u{301}'),
            "combining marks are not \\w in Python"
        );
        assert!(py_is_decimal('٣') && !py_is_decimal('²'));
        assert_eq!(py_decimal_value('٣'), Some(3));
        assert_eq!(py_decimal_value('7'), Some(7));
        assert_eq!(py_decimal_value('a'), None);
        assert!(py_is_space('\x1c') && py_is_space('\u{3000}') && !py_is_space('\u{200b}'));
        assert_eq!(py_strip("\x1c a \u{3000}"), "a");
        assert_eq!(sre_lower('İ'), 'i');
        assert_eq!(sre_lower('Å'), 'å');
    }

    #[test]
    fn style_parses() {
        assert_eq!("coral".parse::<Style>(), Ok(Style::Coral));
        assert_eq!("omniasr".parse::<Style>(), Ok(Style::OmniAsr));
        assert!("nfkc".parse::<Style>().is_err());
    }
}
